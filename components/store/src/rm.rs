/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Removing: clearing an origin's or a site's data, deleting one entry, and
//! wiping the store.
//!
//! Deletion removes the file first and the index row second (for clearing,
//! the files go inside the index transaction, before its commit): a crash
//! between the two leaves a row whose file is missing, which opening drops.
//! The other order would leave a file without a row, which opening adopts
//! as an entry nobody stored (see `verify.rs`): a deleted file would come
//! back.

use cos_traits::{CosError, CosHash, Origin, Site};

use crate::Store;
use crate::error::StorageContext;
use crate::index::{EntryRow, RevokeBy};
use crate::layout::Layout;

impl Store {
    /// The file goes before the row: a crash between the two leaves a row
    /// whose file is missing, which opening drops. (The other order would
    /// leave a file without a row, which opening adopts: the deleted file
    /// would come back.)
    pub(crate) fn delete_entry(&mut self, row: &EntryRow) -> Result<(), CosError> {
        self.digests.forget(&row.hash);
        remove_content_file(&self.layout, &row.hash)?;
        self.index.delete_entry(row.id)
    }

    /// Clearing site data for `origin`: it stops being a storing origin, a
    /// listed origin and a recorded reader of every entry; entries it was
    /// the last storing origin of are deleted. Returns how many were.
    pub fn clear_origin(&mut self, origin: &Origin) -> Result<usize, CosError> {
        self.revoke(RevokeBy::Origin, origin.as_str())
    }

    /// [`Store::clear_origin`] for every origin of `site`, plus the site's
    /// probe log and consent decisions.
    pub fn clear_site(&mut self, site: &Site) -> Result<usize, CosError> {
        self.revoke(RevokeBy::Site, site.as_str())
    }

    fn revoke(&mut self, column: RevokeBy, key: &str) -> Result<usize, CosError> {
        let layout = &self.layout;
        let orphans = self.index.revoke(column, key, |rows| {
            rows.iter()
                .try_for_each(|row| remove_content_file(layout, &row.hash))
        })?;
        for row in &orphans {
            self.digests.forget(&row.hash);
        }
        Ok(orphans.len())
    }

    /// Deletes one entry whatever its grants (the user's choice).
    pub fn remove_entry(&mut self, hash: &CosHash) -> Result<(), CosError> {
        let row = self.index.entry(hash)?.ok_or(CosError::NotFound)?;
        self.delete_entry(&row)
    }

    /// Wipes every entry, the probe log and consent decisions.
    pub fn clear_all(&mut self) -> Result<(), CosError> {
        self.index.clear_all()?;
        self.digests.clear();
        match std::fs::remove_dir_all(self.layout.content_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).storage("removing the content directory")
            },
            _ => Ok(()),
        }
    }
}

/// Removes an entry's content file; one already gone is fine.
fn remove_content_file(layout: &Layout, hash: &CosHash) -> Result<(), CosError> {
    match std::fs::remove_file(layout.content_path(hash)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).storage("removing an entry's file")
        },
        _ => Ok(()),
    }
}
