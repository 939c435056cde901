/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Storage limits: the store may use 60% of its disk's capacity, one origin
//! 20% of that. Every storing origin is charged an entry's full size (so an
//! origin cannot hide behind another's copy), but storing bytes an origin
//! already stored is free. When the store is full, least-recently-read
//! entries are evicted to make room.

use cos_traits::{CosError, CosHash, MAX_FILE_SIZE, Origin};

use crate::Store;

impl Store {
    /// The store's budget: 60% of the disk's capacity.
    pub fn global_budget(&self) -> u64 {
        self.capacity / 100 * 60
    }

    /// One origin's budget: 20% of the store's.
    pub fn origin_budget(&self) -> u64 {
        self.global_budget() / 100 * 20
    }

    /// The most a new write by `origin` may hold, fixed when it begins so
    /// that an over-budget write fails on the write that crosses the line
    /// rather than after gigabytes were spooled. Publication checks again.
    pub(crate) fn write_limit(&self, hash: &CosHash, origin: &Origin) -> Result<u64, CosError> {
        let storing = match self.index.entry(hash)? {
            Some(row) => self.index.storers(row.id)?.contains(origin),
            None => false,
        };
        if storing {
            // Rewriting bytes it already stored costs the origin nothing.
            return Ok(MAX_FILE_SIZE);
        }
        let remaining = self
            .origin_budget()
            .saturating_sub(self.index.origin_usage(origin)?);
        Ok(remaining.min(self.global_budget()).min(MAX_FILE_SIZE))
    }

    pub(crate) fn check_origin_quota(&self, origin: &Origin, size: u64) -> Result<(), CosError> {
        let used = self.index.origin_usage(origin)?;
        if used.saturating_add(size) > self.origin_budget() {
            return Err(CosError::QuotaExceeded(format!(
                "{origin} has stored {used} bytes; {size} more would pass its budget of {}",
                self.origin_budget()
            )));
        }
        Ok(())
    }

    /// Evicts least-recently-read entries until `size` more bytes fit in the
    /// store's budget. Nothing is evicted if they could never fit.
    pub(crate) fn make_room(&mut self, size: u64) -> Result<(), CosError> {
        let budget = self.global_budget();
        if size > budget {
            return Err(CosError::QuotaExceeded(format!(
                "{size} bytes exceed the store's budget of {budget}"
            )));
        }
        let mut used = self.index.total_usage()?;
        if used + size <= budget {
            return Ok(());
        }
        for row in self.index.entries_by_last_use()? {
            log::info!(
                "Cross-Origin Storage: evicting {} ({} bytes) to make room",
                row.hash,
                row.size
            );
            self.delete_entry(&row)?;
            used -= row.size;
            if used + size <= budget {
                return Ok(());
            }
        }
        Ok(())
    }
}
