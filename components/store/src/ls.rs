/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Listing entries with their attribution, for the browser's management
//! view and `cos-store ls`. Never reachable from a page.

use cos_traits::{CosError, EntrySummary};

use crate::Store;

impl Store {
    pub fn list(&self) -> Result<Vec<EntrySummary>, CosError> {
        self.index
            .entries()?
            .into_iter()
            .map(|row| {
                Ok(EntrySummary {
                    on_public_hash_list: self.phl.contains(&row.hash),
                    listed_origins: self.index.listed(row.id)?,
                    stored_by: self.index.stored_by(row.id)?,
                    read_by: self.index.read_by(row.id)?,
                    hash: row.hash,
                    size: row.size,
                    created: row.created,
                    last_read: row.last_read,
                    globally_disclosable: row.global,
                })
            })
            .collect()
    }

    /// Bytes the store holds on disk (each entry once).
    pub fn usage(&self) -> Result<u64, CosError> {
        self.index.total_usage()
    }
}
