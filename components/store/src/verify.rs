/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Recovery when a store opens, and full verification on demand.
//!
//! Opening brings index and files back into agreement after any crash or
//! damage: temporary files (and anything else) in `tmp/` are removed; rows
//! the code cannot read are dropped; a row whose file is missing or has the
//! wrong size is dropped; a content file with no row (a publication
//! interrupted before its commit, or an index that was lost and started
//! anew) is hashed and, if its bytes match the hash its path names, adopted
//! as an entry with no storing origin (disclosed to nobody until a site
//! stores it again, and shown to the person in the management view),
//! otherwise removed. The bytes are the expensive part of the store: a
//! damaged index must not take them with it. Hashing every entry at every
//! start would cost seconds per gigabyte, so opening checks sizes only;
//! each entry is hashed before this process first serves it (see
//! `ReadTicket`), and `verify` hashes everything.

use std::collections::HashSet;
use std::path::Path;

use cos_traits::{CosError, CosHash};

use crate::Store;
use crate::content::hash_path;
use crate::error::StorageContext;

/// What recovery or verification changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repairs {
    /// Temporary files of interrupted writes, removed.
    pub temp_files_removed: usize,
    /// Entries dropped because their file was missing, truncated or (for
    /// `verify`) did not hash to their hash.
    pub entries_dropped: Vec<CosHash>,
    /// Content files with no index row that did not match their name, or
    /// were not named by a hash at all, removed.
    pub orphan_files_removed: usize,
    /// Content files with no index row whose bytes match the hash they are
    /// named by, adopted as entries.
    pub orphan_files_adopted: usize,
    /// Index rows that could not be read, dropped.
    pub malformed_rows_dropped: usize,
    /// Where a damaged index was moved aside to, when the store had to
    /// start a new one.
    pub index_set_aside: Option<std::path::PathBuf>,
    /// Entries whose bytes were hashed and matched.
    pub entries_verified: usize,
}

fn walk_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let kind = item.file_type()?;
        if kind.is_dir() {
            walk_files(&item.path(), out)?;
        } else {
            out.push(item.path());
        }
    }
    Ok(())
}

impl Store {
    pub(crate) fn recover(&mut self) -> Result<Repairs, CosError> {
        let mut repairs = Repairs::default();

        // No write can be in progress: this process holds the store's lock.
        // tmp/ is ours alone: whatever is in it goes.
        for item in std::fs::read_dir(self.layout.tmp_dir()).storage("listing tmp/")? {
            let item = item.storage("listing tmp/")?;
            let path = item.path();
            if item.file_type().is_ok_and(|kind| kind.is_dir()) {
                std::fs::remove_dir_all(&path).storage("removing a directory in tmp/")?;
            } else {
                std::fs::remove_file(&path).storage("removing a temporary file")?;
            }
            repairs.temp_files_removed += 1;
        }

        repairs.malformed_rows_dropped = self.index.drop_malformed_rows()?;

        let mut indexed = HashSet::new();
        for row in self.index.entries()? {
            let path = self.layout.content_path(&row.hash);
            let intact = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == row.size);
            if intact {
                indexed.insert(path);
            } else {
                log::warn!(
                    "Cross-Origin Storage: {} lost its bytes; dropping it",
                    row.hash
                );
                self.delete_entry(&row)?;
                repairs.entries_dropped.push(row.hash);
            }
        }

        let mut files = Vec::new();
        if self.layout.content_dir().exists() {
            walk_files(&self.layout.content_dir(), &mut files).storage("listing content files")?;
        }
        let now = self.now();
        for path in files {
            if indexed.contains(&path) {
                continue;
            }
            // A file can be half-written only under tmp/; still, adopt
            // nothing whose bytes are not what its name says.
            let adoptable = self.layout.hash_of_content_path(&path).and_then(|hash| {
                let chunks = hash_path(&path, &hash).ok().flatten()?;
                Some((hash, chunks))
            });
            match adoptable {
                Some((hash, chunks)) => {
                    let size = std::fs::metadata(&path)
                        .storage("adopting a content file")?
                        .len();
                    let id = self.index.insert_entry(&hash, size, now)?;
                    self.index.set_chunks(id, &chunks)?;
                    log::warn!("Cross-Origin Storage: {hash} had no index row; adopted it");
                    repairs.orphan_files_adopted += 1;
                },
                None => {
                    std::fs::remove_file(&path).storage("removing an orphaned file")?;
                    repairs.orphan_files_removed += 1;
                },
            }
        }
        Ok(repairs)
    }

    /// Hashes every entry's bytes; an entry that does not match is dropped.
    pub fn verify(&mut self) -> Result<Repairs, CosError> {
        let mut repairs = Repairs::default();
        for row in self.index.entries()? {
            let path = self.layout.content_path(&row.hash);
            let chunks = std::fs::metadata(&path)
                .is_ok_and(|m| m.len() == row.size)
                .then(|| hash_path(&path, &row.hash).ok().flatten())
                .flatten();
            if let Some(chunks) = chunks {
                self.index.set_chunks(row.id, &chunks)?;
                repairs.entries_verified += 1;
            } else {
                log::warn!(
                    "Cross-Origin Storage: {} failed verification; dropping it",
                    row.hash
                );
                self.delete_entry(&row)?;
                repairs.entries_dropped.push(row.hash);
            }
        }
        Ok(repairs)
    }
}
