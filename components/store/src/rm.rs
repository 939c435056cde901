/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Removing: clearing an origin's or a site's data, deleting one entry, and
//! wiping the store.
//!
//! Deletion drops the index row first and the file second: a crash between
//! the two leaves a file without a row, which recovery removes, never a row
//! without its file.

use cos_traits::{CosError, CosHash, Origin, Site};

use crate::Store;
use crate::error::StorageContext;
use crate::index::{EntryRow, RevokeBy};

impl Store {
    pub(crate) fn delete_entry(&mut self, row: &EntryRow) -> Result<(), CosError> {
        self.index.delete_entry(row.id)?;
        self.digests.forget(&row.hash);
        match std::fs::remove_file(self.layout.content_path(&row.hash)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).storage("removing an entry's file")
            },
            _ => Ok(()),
        }
    }

    /// Clearing site data for `origin`: it stops being a storing origin, a
    /// listed origin and a recorded reader of every entry; entries it was
    /// the last storing origin of are deleted. Returns how many were.
    pub fn clear_origin(&mut self, origin: &Origin) -> Result<usize, CosError> {
        let orphans = self.index.revoke(RevokeBy::Origin, origin.as_str())?;
        self.delete_all(&orphans)
    }

    /// [`Store::clear_origin`] for every origin of `site`, plus the site's
    /// probe log and consent decisions.
    pub fn clear_site(&mut self, site: &Site) -> Result<usize, CosError> {
        let orphans = self.index.revoke(RevokeBy::Site, site.as_str())?;
        self.delete_all(&orphans)
    }

    fn delete_all(&mut self, rows: &[EntryRow]) -> Result<usize, CosError> {
        for row in rows {
            self.delete_entry(row)?;
        }
        Ok(rows.len())
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
