/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Storage limits: the store may use 60% of its disk's capacity, one origin
//! 20% of that. Every storing origin is charged an entry's full size (so an
//! origin cannot hide behind another's copy), but storing bytes an origin
//! already stored is free. When the store is full, least-recently-read
//! entries are evicted to make room.
//!
//! Writes in progress count too: each holds a [`Reservation`] that grows
//! with its temporary file, so an origin with many open streams cannot
//! spool more than its budget to disk before any of them publishes (and
//! all open streams together no more than the store's budget).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cos_traits::{CosError, CosHash, MAX_FILE_SIZE, Origin};

use crate::Store;
use crate::index::EntryRow;

/// Bytes held by writes in progress, per origin and in all. Shared with
/// the write threads.
#[derive(Clone, Default)]
pub(crate) struct Reservations(Arc<Mutex<Held>>);

#[derive(Default)]
struct Held {
    by_origin: HashMap<Origin, u64>,
    total: u64,
}

/// What one write in progress may hold and holds. Released on drop.
pub(crate) struct Reservation {
    shared: Reservations,
    /// `None` for a file the person added from disk, which no origin pays.
    origin: Option<Origin>,
    held: u64,
    /// How much this origin's open writes may hold together: its budget
    /// less what it has stored (unlimited for a rewrite of bytes it stored).
    origin_room: u64,
    /// How much all open writes may hold together: the store's budget.
    global_room: u64,
}

/// The per-file cap: a position or size past it is refused, never
/// allocated.
pub(crate) fn check_file_size(size: u64) -> Result<(), CosError> {
    if size > MAX_FILE_SIZE {
        return Err(CosError::QuotaExceeded(format!(
            "a Cross-Origin Storage file holds at most {MAX_FILE_SIZE} bytes"
        )));
    }
    Ok(())
}

impl Reservation {
    /// Grows (or shrinks) what this write holds to `size` bytes, or fails
    /// with `QuotaExceeded` naming the cap or the budget it would pass.
    pub(crate) fn hold(&mut self, size: u64) -> Result<(), CosError> {
        check_file_size(size)?;
        if size <= self.held {
            let mut held = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
            held.release(self.origin.as_ref(), self.held - size);
            self.held = size;
            return Ok(());
        }
        let more = size - self.held;
        let mut held = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        let origin_held = match &self.origin {
            Some(origin) => held.by_origin.get(origin).copied().unwrap_or(0),
            None => 0,
        };
        if origin_held.saturating_add(more) > self.origin_room {
            return Err(CosError::QuotaExceeded(format!(
                "this write needs {size} bytes and the origin's storage budget leaves {} for \
                 all its writes in progress",
                self.origin_room
            )));
        }
        if held.total.saturating_add(more) > self.global_room {
            return Err(CosError::QuotaExceeded(format!(
                "writes in progress would pass Cross-Origin Storage's budget of {} bytes",
                self.global_room
            )));
        }
        if let Some(origin) = &self.origin {
            *held.by_origin.entry(origin.clone()).or_default() += more;
        }
        held.total += more;
        self.held = size;
        Ok(())
    }
}

impl Held {
    fn release(&mut self, origin: Option<&Origin>, bytes: u64) {
        if let Some(origin) = origin
            && let Some(origin_held) = self.by_origin.get_mut(origin)
        {
            *origin_held = origin_held.saturating_sub(bytes);
            if *origin_held == 0 {
                self.by_origin.remove(origin);
            }
        }
        self.total = self.total.saturating_sub(bytes);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut held = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        held.release(self.origin.as_ref(), self.held);
    }
}

impl Store {
    /// The store's budget: 60% of the disk's capacity.
    pub fn global_budget(&self) -> u64 {
        self.capacity / 100 * 60
    }

    /// One origin's budget: 20% of the store's.
    pub fn origin_budget(&self) -> u64 {
        self.global_budget() / 100 * 20
    }

    /// What a new write by `origin` may hold, so that an over-budget write
    /// fails on the write that crosses the line rather than after gigabytes
    /// were spooled. Publication checks the stored usage again.
    pub(crate) fn reserve(&self, hash: &CosHash, origin: &Origin) -> Result<Reservation, CosError> {
        let storing = match self.index.entry(hash)? {
            Some(row) => self.index.storers(row.id)?.contains(origin),
            None => false,
        };
        let origin_room = if storing {
            // Rewriting bytes it already stored costs the origin nothing.
            u64::MAX
        } else {
            self.origin_budget()
                .saturating_sub(self.index.origin_usage(origin)?)
        };
        Ok(Reservation {
            shared: self.reservations.clone(),
            origin: Some(origin.clone()),
            held: 0,
            origin_room,
            global_room: self.global_budget(),
        })
    }

    /// What copying in a file the person added may hold: no origin's
    /// budget (no origin stores it), only the store's, shared with every
    /// write in progress.
    pub(crate) fn reserve_unattributed(&self) -> Reservation {
        Reservation {
            shared: self.reservations.clone(),
            origin: None,
            held: 0,
            origin_room: u64::MAX,
            global_room: self.global_budget(),
        }
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

    /// The least-recently-read entries to evict so that `size` more bytes
    /// fit in the store's budget. Nothing is evicted yet: the caller evicts
    /// them once the new entry is committed, so that a failed publication
    /// costs no one's entry.
    pub(crate) fn plan_room(&self, size: u64) -> Result<Vec<EntryRow>, CosError> {
        let budget = self.global_budget();
        if size > budget {
            return Err(CosError::QuotaExceeded(format!(
                "{size} bytes exceed the store's budget of {budget}"
            )));
        }
        let mut used = self.index.total_usage()?;
        let mut victims = Vec::new();
        if used + size <= budget {
            return Ok(victims);
        }
        for row in self.index.entries_by_last_use()? {
            used -= row.size;
            victims.push(row);
            if used + size <= budget {
                break;
            }
        }
        Ok(victims)
    }

    /// Evicts what [`Store::plan_room`] chose.
    pub(crate) fn evict(&mut self, victims: &[EntryRow]) {
        for row in victims {
            log::info!(
                "Cross-Origin Storage: evicting {} ({} bytes) to make room",
                row.hash,
                row.size
            );
            if let Err(e) = self.delete_entry(row) {
                log::warn!("Cross-Origin Storage: evicting {} failed: {e}", row.hash);
            }
        }
    }
}
