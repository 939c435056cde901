/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Content files: the temporary files a write's bytes go into, and the
//! files under `content-v1/` they become.
//!
//! A [`TempFile`] lives under `tmp/` and is removed when dropped unless it
//! was renamed to its content path, so an abandoned or failed write leaves
//! nothing behind; [`sync_dir`] makes that rename durable. [`hash_path`]
//! checks a stored file against its hash (the first read of an entry, and
//! recovery); [`compare_with`] tells whether two files hold the same bytes
//! (a SHA-1 write joins an entry only then).
//!
//! Why a module of its own: writing (`put`), reading (`get`) and recovery
//! (`verify`) all handle content files, and each should find these helpers
//! here rather than in one of the others. What the bytes mean to the index
//! (publication, grants) stays with those callers.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use cos_traits::{CosError, CosHash};

use crate::chunks::{self, ChunkDigests};
use crate::error::StorageContext;

/// A file under `tmp/` that is deleted on drop unless it was renamed away.
pub(crate) struct TempFile {
    path: PathBuf,
    pub(crate) file: File,
    kept: bool,
}

impl TempFile {
    pub(crate) fn create(dir: &Path) -> Result<TempFile, CosError> {
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

    pub(crate) fn rename_to(mut self, to: &Path) -> Result<(), CosError> {
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

/// Makes `dir`'s entries (a rename into it) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), CosError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .storage("flushing a directory")
}

/// The digests of the pieces of the file at `path` if its bytes hash to
/// `hash`; `None` if they do not (verification of stored entries).
pub(crate) fn hash_path(path: &Path, hash: &CosHash) -> Result<Option<ChunkDigests>, CosError> {
    let file = File::open(path).storage("opening an entry")?;
    let (digest, chunks) = chunks::hash_file(&file, hash.algorithm().hasher())?;
    Ok((digest == hash.digest()).then_some(chunks))
}

/// Which file a comparison read: its device and inode. A content file is
/// only ever replaced by a rename, which makes another inode.
pub(crate) type FileIdentity = (u64, u64);

/// Whether `file` holds the same bytes as the file at `path`, and which
/// file that was; `None` when there is no file at `path`.
pub(crate) fn compare_with(
    file: &File,
    path: &Path,
) -> Result<Option<(FileIdentity, bool)>, CosError> {
    let other = match File::open(path) {
        Ok(other) => other,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).storage("opening an entry to compare"),
    };
    let theirs = other.metadata().storage("comparing with an entry")?;
    let identity = (theirs.dev(), theirs.ino());
    let len = file.metadata().storage("comparing with an entry")?.len();
    if len != theirs.len() {
        return Ok(Some((identity, false)));
    }
    let (mut mine, mut other_buf) = (vec![0u8; chunks::CHUNK], vec![0u8; chunks::CHUNK]);
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(chunks::CHUNK as u64) as usize;
        file.read_exact_at(&mut mine[..n], at)
            .storage("comparing with an entry")?;
        other
            .read_exact_at(&mut other_buf[..n], at)
            .storage("comparing with an entry")?;
        if mine[..n] != other_buf[..n] {
            return Ok(Some((identity, false)));
        }
        at += n as u64;
    }
    Ok(Some((identity, true)))
}
