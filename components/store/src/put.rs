/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Writing an entry: a [`WriteSession`] collects bytes in a temporary file
//! and verifies them; [`Store::publish`] makes the verified file an entry.
//! A file the person adds from disk ([`Store::add_file`]) takes the same
//! path with no origin: a [`FileCopy`] copies it into a temporary file,
//! hashing the copy, and [`Store::publish_added`] makes it an entry.
//!
//! Nothing here touches the index until publication, so a create request,
//! an abandoned stream or a failed verification leaves no trace: the hash
//! stays absent for everyone, and a concurrent writer of the same hash is
//! never disturbed (each writer has its own temporary file).
//!
//! Publication is crash-safe by ordering: the temporary file is fsynced,
//! renamed to its content path (atomic), the directory fsynced, and only
//! then is the index row committed. A crash before the commit leaves a
//! content file without a row, which recovery adopts (its bytes are
//! verified); a crash after it leaves a complete entry. Entries evicted to
//! make room go only after the commit.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use cos_traits::{
    CosError, CosHash, HashAlgorithm, Hasher, MAX_ORIGINS_LIST_LENGTH, Origin, RequestedOrigins,
};

use crate::Store;
use crate::chunks::{self, ChunkDigests, ChunkHasher};
use crate::content::{FileIdentity, TempFile, compare_with, sync_dir};
use crate::error::StorageContext;
use crate::layout::Layout;
use crate::quota::{Reservation, check_file_size};

/// One `createWritable()` stream: a cursor over a temporary file.
pub struct WriteSession {
    hash: CosHash,
    temp: TempFile,
    len: u64,
    cursor: u64,
    /// The digest state of bytes `0..hashed`, while every write so far has
    /// appended exactly at `hashed`. A write elsewhere, a gap or a
    /// shrinking truncate drops it, and `finish` re-reads the final bytes.
    hasher: Option<Hasher>,
    /// The digests of its pieces (see `chunks`), kept as `hasher` is.
    chunker: Option<ChunkHasher>,
    hashed: u64,
    /// What this write holds against its origin's and the store's budgets.
    reservation: Reservation,
    /// For a hash that is not collision resistant (SHA-1), the content
    /// path whose bytes `finish` compares the write with (see `commit`).
    stored: Option<PathBuf>,
}

impl WriteSession {
    pub(crate) fn create(
        layout: &Layout,
        hash: CosHash,
        reservation: Reservation,
    ) -> Result<WriteSession, CosError> {
        let temp = TempFile::create(&layout.tmp_dir())?;
        let stored = (!hash.algorithm().collision_resistant()).then(|| layout.content_path(&hash));
        Ok(WriteSession {
            stored,
            hasher: Some(hash.algorithm().hasher()),
            chunker: Some(ChunkHasher::default()),
            hash,
            temp,
            len: 0,
            cursor: 0,
            hashed: 0,
            reservation,
        })
    }

    pub fn hash(&self) -> &CosHash {
        &self.hash
    }

    /// Checks that the file may grow to `size` bytes, and holds them (a
    /// size within the file is within every limit already).
    fn check_size(&mut self, size: u64) -> Result<(), CosError> {
        if size > self.len {
            self.reservation.hold(size)?;
        }
        Ok(())
    }

    /// Writes `bytes` at `position` (or the cursor), zero-filling any gap
    /// past the end, and leaves the cursor after them.
    pub fn write(&mut self, position: Option<u64>, bytes: &[u8]) -> Result<(), CosError> {
        let at = position.unwrap_or(self.cursor);
        let end = at
            .checked_add(bytes.len() as u64)
            .ok_or_else(|| CosError::QuotaExceeded("write position out of range".into()))?;
        self.check_size(end)?;
        if at > self.len {
            // The gap reads as zeros, even when no bytes follow it.
            self.temp.file.set_len(at).storage("extending")?;
        }
        self.temp.file.write_all_at(bytes, at).storage("writing")?;
        match (&mut self.hasher, &mut self.chunker) {
            (Some(hasher), Some(chunker)) if at == self.hashed && at == self.len => {
                hasher.update(bytes);
                chunker.update(bytes);
                self.hashed = end;
            },
            _ => self.hasher = None,
        }
        self.len = self.len.max(end);
        self.cursor = end;
        Ok(())
    }

    pub fn seek(&mut self, position: u64) -> Result<(), CosError> {
        // A seek past the end holds nothing until a write fills the gap.
        check_file_size(position)?;
        self.cursor = position;
        Ok(())
    }

    /// Resizes to `size` (zero-filling when growing); the cursor moves back
    /// if it was past the new end, as the File System Standard says.
    pub fn truncate(&mut self, size: u64) -> Result<(), CosError> {
        self.check_size(size)?;
        self.temp.file.set_len(size).storage("truncating")?;
        if size < self.len {
            self.reservation.hold(size)?;
        }
        if size < self.hashed || size > self.len {
            self.hasher = None;
        }
        self.len = size;
        self.cursor = self.cursor.min(size);
        Ok(())
    }

    /// `close()`: hashes the final contents and, if they match, returns the
    /// durable (fsynced) file ready to publish. On mismatch the temporary
    /// file is removed and the result is `DataError`.
    pub fn finish(self) -> Result<VerifiedWrite, CosError> {
        let WriteSession {
            hash,
            temp,
            len,
            hasher,
            chunker,
            hashed,
            reservation,
            stored,
            ..
        } = self;
        let (digest, chunks) = match (hasher, chunker) {
            (Some(hasher), Some(chunker)) if hashed == len => {
                (hasher.finalize(), chunker.finalize())
            },
            _ => chunks::hash_file(&temp.file, hash.algorithm().hasher())?,
        };
        if digest != hash.digest() {
            return Err(CosError::Data);
        }
        temp.file.sync_all().storage("flushing a verified write")?;
        // Done here, on the write's own thread, so that publication need
        // not read a large file on the storage thread. A failure to compare
        // leaves it to publication.
        let compared = stored.and_then(|path| compare_with(&temp.file, &path).ok().flatten());
        Ok(VerifiedWrite {
            hash,
            size: len,
            temp,
            chunks,
            compared,
            _reservation: reservation,
        })
    }
}

/// A write whose bytes hash to its hash, flushed to disk, not yet an entry.
/// Dropping it unpublished removes the file.
pub struct VerifiedWrite {
    hash: CosHash,
    size: u64,
    temp: TempFile,
    chunks: ChunkDigests,
    /// For a hash that is not collision resistant: whether the bytes were
    /// those of the stored file with the same hash when the write finished,
    /// and which file that was.
    compared: Option<(FileIdentity, bool)>,
    /// Held until publication charges the bytes to the origin.
    _reservation: Reservation,
}

impl VerifiedWrite {
    pub fn hash(&self) -> &CosHash {
        &self.hash
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

/// What publication did beyond storing.
#[derive(Debug, Default, PartialEq)]
pub struct Published {
    /// Requested origins left off because the entry's list is full, or
    /// because its hash is SHA-1, whose entries stay same-site (then every
    /// listed origin, or `'*'` counted as one). The browser logs a console
    /// warning; the write still succeeded.
    pub origins_dropped: usize,
}

/// A file the person chose to add from disk, about to be copied into
/// `tmp/`. [`FileCopy::run`] does the slow part and needs no access to the
/// store, so the storage thread runs it on a thread of its own.
pub struct FileCopy {
    source: PathBuf,
    file: File,
    temp: TempFile,
    /// Holds the copy's bytes against the store's budget (no origin's).
    reservation: Reservation,
}

/// A source-side failure: the person's file, not the store, is at fault.
fn unreadable(path: &Path) -> impl FnOnce(std::io::Error) -> CosError + '_ {
    move |e| CosError::Type(format!("cannot read {}: {e}", path.display()))
}

impl FileCopy {
    /// Copies the file in `CHUNK`-sized reads (never whole in memory),
    /// computing its SHA-256 and piece digests from the bytes as they are
    /// copied: the entry's hash is that of the bytes the store holds,
    /// whatever happens to the original meanwhile. Stops early, removing
    /// the copy, once `stop` is set (the storage thread is exiting).
    pub fn run(self, stop: &AtomicBool) -> Result<CopiedFile, CosError> {
        let FileCopy {
            source,
            mut file,
            temp,
            mut reservation,
        } = self;
        let mut hasher = HashAlgorithm::Sha256.hasher();
        let mut chunker = ChunkHasher::default();
        let mut buf = vec![0u8; chunks::CHUNK];
        let mut len = 0u64;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Err(CosError::Storage("the storage thread has exited".into()));
            }
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(unreadable(&source)(e)),
            };
            let end = len + n as u64;
            reservation.hold(end)?;
            temp.file
                .write_all_at(&buf[..n], len)
                .storage("copying in a file")?;
            hasher.update(&buf[..n]);
            chunker.update(&buf[..n]);
            len = end;
        }
        temp.file.sync_all().storage("flushing a copied file")?;
        let hash = CosHash::from_digest(HashAlgorithm::Sha256, hasher.finalize())?;
        Ok(CopiedFile(VerifiedWrite {
            hash,
            size: len,
            temp,
            chunks: chunker.finalize(),
            // SHA-256: collision resistant, nothing to compare.
            compared: None,
            _reservation: reservation,
        }))
    }
}

/// A file from disk, copied in and hashed, not yet an entry. Dropping it
/// unpublished removes the copy.
pub struct CopiedFile(VerifiedWrite);

impl CopiedFile {
    pub fn hash(&self) -> &CosHash {
        &self.0.hash
    }

    pub fn size(&self) -> u64 {
        self.0.size
    }
}

/// What adding a file from disk did.
#[derive(Clone, Debug, PartialEq)]
pub struct AddedFile {
    pub hash: CosHash,
    pub size: u64,
    /// The store held these bytes already; the entry was left as it was.
    pub already_present: bool,
}

impl Store {
    /// Starts a write for `create: true`. Registers nothing.
    pub fn begin_write(&self, hash: CosHash, origin: &Origin) -> Result<WriteSession, CosError> {
        let reservation = self.reserve(&hash, origin)?;
        WriteSession::create(&self.layout, hash, reservation)
    }

    /// Makes a verified write an entry (or, when the entry exists, records
    /// `origin` as one more storing origin and drops the duplicate bytes),
    /// then widens its visibility as `requested` asks. A SHA-1 write is
    /// the exception twice over (see `commit`): it joins an entry only with
    /// identical bytes, and it widens nothing.
    pub fn publish(
        &mut self,
        write: VerifiedWrite,
        origin: &Origin,
        requested: &RequestedOrigins,
    ) -> Result<Published, CosError> {
        self.commit(write, Some(origin), requested)
    }

    /// Publication proper. With `storer: None` (a file the person added)
    /// no origin is charged or recorded; the store's budget and eviction
    /// apply all the same.
    fn commit(
        &mut self,
        write: VerifiedWrite,
        storer: Option<&Origin>,
        requested: &RequestedOrigins,
    ) -> Result<Published, CosError> {
        let now = self.now();
        let existing = self.index.entry(&write.hash)?;
        // A write of a stored hash normally joins the entry and drops its
        // own bytes: equal hashes mean equal bytes. Not for SHA-1, whose
        // chosen-prefix collisions are practical: the site that authored a
        // file could store a second file with the same SHA-1 first, and a
        // site writing the real file would then be recorded as a storer of,
        // and read, the other bytes. So a SHA-1 write joins an entry only
        // with byte-identical contents, and is refused otherwise.
        if existing.is_some()
            && !write.hash.algorithm().collision_resistant()
            && !self.same_as_stored(&write)?
        {
            log::warn!(
                "Cross-Origin Storage: refused a write of {}: its bytes differ from the stored \
                 file with the same hash (a SHA-1 collision)",
                write.hash
            );
            return Err(CosError::NotAllowed(format!(
                "a different file with this {} hash is stored; {} is not collision resistant, \
                 so the store does not share it",
                write.hash.algorithm().name(),
                write.hash.algorithm().name()
            )));
        }
        if let Some(origin) = storer {
            let already_storing = match &existing {
                Some(row) => self.index.storers(row.id)?.contains(origin),
                None => false,
            };
            if !already_storing {
                self.check_origin_quota(origin, write.size)?;
            }
        }
        let path = self.layout.content_path(&write.hash);
        let mut victims = Vec::new();
        if existing.is_none() {
            victims = self.plan_room(write.size)?;
            let dir = path.parent().expect("content paths have parents");
            std::fs::create_dir_all(dir).storage("creating a content directory")?;
            write.temp.rename_to(&path)?;
            sync_dir(dir)?;
        }
        // An identical rewrite drops its temporary file here.
        let result = self.index.transaction(|index| {
            let id = match &existing {
                Some(row) => row.id,
                None => index.insert_entry(&write.hash, write.size, now)?,
            };
            if let Some(origin) = storer {
                index.add_storer(id, origin, now)?;
            }
            index.set_chunks(id, &write.chunks)?;
            let mut published = Published::default();
            match requested {
                RequestedOrigins::SameSite => {},
                // SHA-1 is not collision resistant: a site that authored a
                // file can make a second file with the same SHA-1 (a
                // chosen-prefix collision) and store that one first, so
                // another site asking for the hash would read the attacker's
                // bytes. An entry under such a hash therefore stays with the
                // sites that stored it: its `origins` list or `'*'` is not
                // applied, the write still succeeds, and the browser's
                // console warning counts what was left off (`'*'` as one).
                // `Store::lookup` never grants it across sites either.
                _ if !write.hash.algorithm().collision_resistant() => {
                    published.origins_dropped = match requested {
                        RequestedOrigins::List(list) => list.len(),
                        _ => 1,
                    };
                },
                RequestedOrigins::Global => index.set_global(id)?,
                RequestedOrigins::List(list) => {
                    let mut room = MAX_ORIGINS_LIST_LENGTH.saturating_sub(index.listed_count(id)?);
                    for candidate in list {
                        if index.is_listed(id, candidate)? {
                            continue;
                        }
                        if room == 0 {
                            published.origins_dropped += 1;
                            continue;
                        }
                        index.add_listed(id, candidate, now)?;
                        room -= 1;
                    }
                },
            }
            Ok((id, published))
        });
        match result {
            Ok((_, published)) => {
                // The digests reads check against are the index's again.
                self.digests.forget(&write.hash);
                // Only now that the new entry is committed do the old ones go.
                self.evict(&victims);
                Ok(published)
            },
            Err(e) => {
                if existing.is_none() {
                    // Leave no unindexed file behind (recovery would also).
                    let _ = std::fs::remove_file(&path);
                }
                Err(e)
            },
        }
    }

    /// Whether a verified write holds exactly the bytes of the stored file
    /// with its hash: what `finish` found, if the content path still names
    /// the file it compared with; otherwise compared now. No file (a row
    /// whose bytes are lost) is not the same.
    fn same_as_stored(&self, write: &VerifiedWrite) -> Result<bool, CosError> {
        let path = self.layout.content_path(&write.hash);
        if let Some((identity, same)) = write.compared
            && let Ok(now) = std::fs::metadata(&path)
            && (now.dev(), now.ino()) == identity
        {
            return Ok(same);
        }
        Ok(compare_with(&write.temp.file, &path)?.is_some_and(|(_, same)| same))
    }

    /// The management page's "add a file from disk" (spec: "Manually added
    /// entries"): copies the file at `path` in and publishes it as an entry
    /// with no storing origin, globally disclosable, so that it is
    /// disclosed across sites exactly when its hash is on the Public Hash
    /// List. [`Store::begin_add_file`], [`FileCopy::run`] and
    /// [`Store::publish_added`] in one call.
    pub fn add_file(&mut self, path: &Path) -> Result<AddedFile, CosError> {
        let copy = self.begin_add_file(path)?.run(&AtomicBool::new(false))?;
        self.publish_added(copy)
    }

    /// Opens the file at `path` to add it, and a temporary file to copy it
    /// into. A path that is missing, unreadable or not a regular file is a
    /// `TypeError` naming it; a file larger than an entry may be, or than
    /// the store's budget, is refused before anything is copied.
    pub fn begin_add_file(&self, path: &Path) -> Result<FileCopy, CosError> {
        // Not opened before it is known to be a file: opening a FIFO blocks.
        let metadata = std::fs::metadata(path).map_err(unreadable(path))?;
        if !metadata.is_file() {
            return Err(CosError::Type(format!(
                "cannot add {}: it is not a file",
                path.display()
            )));
        }
        let file = File::open(path).map_err(unreadable(path))?;
        let size = metadata.len();
        if size > self.global_budget() {
            return Err(CosError::QuotaExceeded(format!(
                "{} is {size} bytes, more than Cross-Origin Storage's budget of {}",
                path.display(),
                self.global_budget()
            )));
        }
        let mut reservation = self.reserve_unattributed();
        reservation.hold(size)?;
        Ok(FileCopy {
            source: path.to_owned(),
            file,
            temp: TempFile::create(&self.layout.tmp_dir())?,
            reservation,
        })
    }

    /// Makes a copied file an entry that no origin stored, globally
    /// disclosable with an empty origins list. If the store already holds
    /// the bytes, the entry is left exactly as it was and the copy dropped.
    pub fn publish_added(&mut self, copy: CopiedFile) -> Result<AddedFile, CosError> {
        let CopiedFile(write) = copy;
        let hash = write.hash.clone();
        if let Some(row) = self.index.entry(&hash)? {
            // A manual add must not widen what a site chose: an entry a
            // site stored same-site only, or for a list of origins, would
            // become '*' and be disclosed to sites its storer never named.
            // Its grants stay as they are (the person can still delete it).
            return Ok(AddedFile {
                hash,
                size: row.size,
                already_present: true,
            });
        }
        let size = write.size;
        self.commit(write, None, &RequestedOrigins::Global)?;
        Ok(AddedFile {
            hash,
            size,
            already_present: false,
        })
    }
}
