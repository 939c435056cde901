/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Writing an entry: a [`WriteSession`] collects bytes in a temporary file
//! and verifies them; [`Store::publish`] makes the verified file an entry.
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

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use cos_traits::{CosError, CosHash, Hasher, MAX_ORIGINS_LIST_LENGTH, Origin, RequestedOrigins};

use crate::Store;
use crate::chunks::{self, ChunkDigests, ChunkHasher};
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
}

impl WriteSession {
    pub(crate) fn create(
        layout: &Layout,
        hash: CosHash,
        reservation: Reservation,
    ) -> Result<WriteSession, CosError> {
        let temp = TempFile::create(&layout.tmp_dir())?;
        Ok(WriteSession {
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
        Ok(VerifiedWrite {
            hash,
            size: len,
            temp,
            chunks,
            _reservation: reservation,
        })
    }
}

/// The digests of the pieces of the file at `path` if its bytes hash to
/// `hash`; `None` if they do not (verification of stored entries).
pub(crate) fn hash_path(path: &Path, hash: &CosHash) -> Result<Option<ChunkDigests>, CosError> {
    let file = File::open(path).storage("opening an entry")?;
    let (digest, chunks) = chunks::hash_file(&file, hash.algorithm().hasher())?;
    Ok((digest == hash.digest()).then_some(chunks))
}

/// A write whose bytes hash to its hash, flushed to disk, not yet an entry.
/// Dropping it unpublished removes the file.
pub struct VerifiedWrite {
    hash: CosHash,
    size: u64,
    temp: TempFile,
    chunks: ChunkDigests,
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

/// A file under `tmp/` that is deleted on drop unless it was renamed away.
struct TempFile {
    path: PathBuf,
    file: File,
    kept: bool,
}

impl TempFile {
    fn create(dir: &Path) -> Result<TempFile, CosError> {
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).storage("naming a temporary file")?;
        let path = dir.join(format!("{}.part", hex::encode(name)));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .storage("creating a temporary file")?;
        Ok(TempFile {
            path,
            file,
            kept: false,
        })
    }

    fn rename_to(mut self, to: &Path) -> Result<(), CosError> {
        std::fs::rename(&self.path, to).storage("publishing an entry")?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What publication did beyond storing.
#[derive(Debug, Default, PartialEq)]
pub struct Published {
    /// Requested origins left off because the entry's list is full (the
    /// browser logs a console warning; the write still succeeded).
    pub origins_dropped: usize,
}

/// Makes `dir`'s entries (a rename into it) durable.
fn sync_dir(dir: &Path) -> Result<(), CosError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .storage("flushing a directory")
}

impl Store {
    /// Starts a write for `create: true`. Registers nothing.
    pub fn begin_write(&self, hash: CosHash, origin: &Origin) -> Result<WriteSession, CosError> {
        let reservation = self.reserve(&hash, origin)?;
        WriteSession::create(&self.layout, hash, reservation)
    }

    /// Makes a verified write an entry (or, when the entry exists, records
    /// `origin` as one more storing origin and drops the duplicate bytes),
    /// then widens its visibility as `requested` asks.
    pub fn publish(
        &mut self,
        write: VerifiedWrite,
        origin: &Origin,
        requested: &RequestedOrigins,
    ) -> Result<Published, CosError> {
        let now = self.now();
        let existing = self.index.entry(&write.hash)?;
        let already_storing = match &existing {
            Some(row) => self.index.storers(row.id)?.contains(origin),
            None => false,
        };
        if !already_storing {
            self.check_origin_quota(origin, write.size)?;
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
            index.add_storer(id, origin, now)?;
            index.set_chunks(id, &write.chunks)?;
            let mut published = Published::default();
            match requested {
                RequestedOrigins::SameSite => {},
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
}
