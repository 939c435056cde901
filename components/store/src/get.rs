/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Reading: deciding whether an entry is disclosed to a requesting origin,
//! and handing out its bytes.
//!
//! Three additive grants disclose an entry (spec: "determine COS
//! disclosure"): its storing origins and every origin same-site with one of
//! them; its explicit origins list, each listed origin admitting its whole
//! site; and the global `'*'` flag, which counts
//! only when the hash is on the Public Hash List and the lookup is not
//! GREASE'd. On top of those, a cross-site lookup must fit in the top-level
//! site's probe budget and, when the grant crosses a site boundary, have the
//! user's consent. An entry under a hash that is not collision resistant
//! (SHA-1) has only the first grant.
//!
//! Every refusal is the same `NotFound`, and every lookup runs the same
//! queries whatever the answer: each a single indexed probe, so that
//! neither the error nor the work done tells an absent entry from a
//! withheld one, however many origins stored or were listed for it. (The
//! storage thread also answers every lookup at a fixed time after it
//! arrived: `thread::LOOKUP_ANSWER_TIME`.)

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use cos_traits::{
    ConsentPolicy, ConsentRequest, CosError, CosHash, EntryInfo, LookupOutcome, Origin, Site,
};

use crate::Store;
use crate::chunks::ChunkDigests;
use crate::content::hash_path;
use crate::error::StorageContext;

/// The largest piece one read returns.
pub const MAX_READ: u32 = 16 << 20;

/// Permission to read one entry's bytes, granted by [`Store::authorize_read`].
/// Reading and (first-time) verification need no access to the index, so
/// the storage thread hands tickets to worker threads.
#[derive(Clone, Debug)]
pub struct ReadTicket {
    pub entry: i64,
    pub hash: CosHash,
    pub path: PathBuf,
    pub size: u64,
    /// The digests every read checks its pieces against; `None` for an
    /// entry stored before they were recorded, which is hashed in full once
    /// (`verify`) to make them.
    pub chunks: Option<Arc<ChunkDigests>>,
}

/// What a read found.
#[derive(Debug, PartialEq)]
pub enum ReadOutcome {
    Bytes(Vec<u8>),
    /// A piece no longer matches its digest: nothing was served, and the
    /// entry must be dropped.
    Corrupt,
}

impl ReadTicket {
    pub fn needs_verification(&self) -> bool {
        !self.chunks.as_ref().is_some_and(|c| c.fit(self.size))
    }

    /// Hashes the whole file: the digests of its pieces if it still
    /// matches its hash, `None` if it does not.
    pub fn verify(&self) -> Result<Option<ChunkDigests>, CosError> {
        if std::fs::metadata(&self.path).map(|m| m.len()).ok() != Some(self.size) {
            return Ok(None);
        }
        hash_path(&self.path, &self.hash)
    }

    /// Up to `len` bytes at `offset`, every piece checked. Verify first if
    /// [`ReadTicket::needs_verification`].
    pub fn read(&self, offset: u64, len: u32) -> Result<ReadOutcome, CosError> {
        let chunks = self
            .chunks
            .as_ref()
            .ok_or_else(|| CosError::Storage("reading an entry before verifying it".into()))?;
        let file = File::open(&self.path).storage("opening an entry")?;
        let len = u64::from(len.min(MAX_READ));
        Ok(match chunks.read_verified(&file, self.size, offset, len)? {
            Some(bytes) => ReadOutcome::Bytes(bytes),
            None => ReadOutcome::Corrupt,
        })
    }
}

/// Which grant disclosed an entry.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Grant {
    /// A storing origin, or same-site with one: one trust unit.
    SameSite,
    /// Named on the entry's origins list.
    Listed,
    /// The `'*'` flag, through the Public Hash List and GREASE.
    Global,
}

impl Store {
    /// A read request: may `origin`, in a document whose top-level site is
    /// `top_site`, be told that `hash` exists?
    pub fn lookup(
        &mut self,
        hash: &CosHash,
        origin: &Origin,
        top_site: &Site,
    ) -> Result<LookupOutcome, CosError> {
        let now = self.now();
        // Every signal is gathered for every lookup, present or not; an
        // absent entry is looked up as entry id -1, which matches no row.
        let entry = self.index.entry(hash)?;
        let id = entry.as_ref().map_or(-1, |row| row.id);
        let size = entry.as_ref().map_or(0, |row| row.size);
        let same_site = self.index.has_storer_in(id, origin.site())?;
        let listed = self.index.is_listed_in(id, origin.site())?;
        let on_phl = self.phl.contains(hash);
        let greased = self.grease.applies(origin, hash, size, now);
        let recorded_consent = self.index.consent(origin.site(), hash)?;

        let within_budget = same_site || self.charge_probe(top_site, hash, now)?;
        let global = entry.as_ref().is_some_and(|row| row.global);
        // SHA-1 is not collision resistant: the site that authored a file
        // can store a second file with the same SHA-1, and a site that asks
        // for the hash would read those bytes. So an entry under it is
        // disclosed only by the same-site rule, never through a list or
        // `'*'` (`Store::publish` records neither for it; this holds even
        // for an index that says otherwise). It depends on the requested
        // hash alone, so every lookup still does the same work.
        let crosses_sites = hash.algorithm().collision_resistant();

        let grant = match () {
            _ if entry.is_none() || !within_budget => None,
            _ if same_site => Some(Grant::SameSite),
            _ if listed && crosses_sites => Some(Grant::Listed),
            _ if global && on_phl && !greased && crosses_sites => Some(Grant::Global),
            _ => None,
        };
        let Some(grant) = grant else {
            return Err(CosError::NotFound);
        };
        let entry = entry.expect("a grant implies an entry");

        if grant != Grant::SameSite {
            let allowed = match self.config.consent {
                ConsentPolicy::Allow => true,
                ConsentPolicy::Deny => false,
                ConsentPolicy::Ask => match recorded_consent {
                    Some(decision) => decision,
                    None => {
                        // Past every refusal: the prompt may take its time.
                        let mut storing_sites: Vec<Site> = self
                            .index
                            .storers(entry.id)?
                            .iter()
                            .map(|o| o.site().clone())
                            .collect();
                        storing_sites.sort();
                        storing_sites.dedup();
                        return Ok(LookupOutcome::NeedsConsent(ConsentRequest {
                            requesting_site: origin.site().clone(),
                            hash: hash.clone(),
                            size: entry.size,
                            storing_sites,
                        }));
                    },
                },
            };
            if !allowed {
                return Err(CosError::NotFound);
            }
        }

        // Attribution is worth keeping, but not at the price of the read:
        // with the disk full, the record is lost and the file still served.
        if let Err(e) = self.index.record_read(entry.id, origin, now) {
            log::warn!("Cross-Origin Storage: could not record a read of {hash}: {e}");
        }
        Ok(LookupOutcome::Found(EntryInfo {
            hash: entry.hash,
            size: entry.size,
        }))
    }

    /// Counts a cross-site lookup of `hash` against `top_site`'s budget of
    /// distinct hashes per window. `false`: over budget.
    fn charge_probe(
        &mut self,
        top_site: &Site,
        hash: &CosHash,
        now: u64,
    ) -> Result<bool, CosError> {
        let since = now.saturating_sub(self.config.probe_window.as_millis() as u64);
        let (seen, count) = self.index.probes_since(top_site, hash, since)?;
        if !seen && count >= u64::from(self.config.probe_budget) {
            return Ok(false);
        }
        // A probe that cannot be recorded (the disk is full) is not
        // allowed: the budget must not stop counting. Same-site lookups,
        // which cost no budget, still succeed.
        if let Err(e) = self.index.record_probe(top_site, hash, now) {
            log::warn!("Cross-Origin Storage: could not record a probe, refusing it: {e}");
            return Ok(false);
        }
        Ok(true)
    }

    /// A user activation in a document of `origin` under `top_site` refills
    /// the top-level site's budget, when the document is of that site: a
    /// click in a cross-site frame is the frame's, and refills nothing.
    pub fn replenish_probe_budget(
        &mut self,
        origin: &Origin,
        top_site: &Site,
    ) -> Result<(), CosError> {
        if origin.site() != top_site {
            return Ok(());
        }
        self.index.forget_probes(Some(top_site), 0)
    }

    /// Checks that `origin` may read `hash`'s bytes: it stored the entry, is
    /// same-site with an origin that did, or was disclosed the entry by a
    /// lookup (the attribution log records that). Checked for every request:
    /// only the entry's piece digests are kept from one request to the next.
    pub fn authorize_read(
        &mut self,
        hash: &CosHash,
        origin: &Origin,
    ) -> Result<ReadTicket, CosError> {
        let entry = self.index.entry(hash)?.ok_or(CosError::NotFound)?;
        let allowed = self.index.has_storer_in(entry.id, origin.site())?
            || self.index.is_reader(entry.id, origin)?;
        if !allowed {
            return Err(CosError::NotFound);
        }
        let chunks = match self.digests.get(&entry.hash) {
            Some(chunks) => Some(chunks),
            None => {
                let chunks = self.index.chunks(entry.id)?.map(Arc::new);
                if let Some(chunks) = &chunks {
                    self.digests.insert(&entry.hash, chunks.clone());
                }
                chunks
            },
        };
        Ok(ReadTicket {
            path: self.layout.content_path(&entry.hash),
            chunks,
            entry: entry.id,
            hash: entry.hash,
            size: entry.size,
        })
    }

    /// Records what verifying a ticket's entry found: its piece digests, or
    /// (`None`) that its bytes no longer match, which drops the entry: it is
    /// never served again.
    pub fn verified(
        &mut self,
        ticket: &ReadTicket,
        chunks: Option<&ChunkDigests>,
    ) -> Result<(), CosError> {
        if let Some(chunks) = chunks {
            self.index.set_chunks(ticket.entry, chunks)?;
            self.digests.insert(&ticket.hash, Arc::new(chunks.clone()));
            return Ok(());
        }
        log::warn!(
            "Cross-Origin Storage: {}'s bytes no longer match its hash; dropped it",
            ticket.hash
        );
        if let Some(row) = self.index.entry(&ticket.hash)? {
            self.delete_entry(&row)?;
        }
        Err(CosError::NotFound)
    }

    /// Reads up to `len` bytes at `offset`, each piece checked (hashing the
    /// whole file first if its piece digests were never recorded). (The storage thread does the same work
    /// off its own thread.)
    pub fn read(
        &mut self,
        hash: &CosHash,
        origin: &Origin,
        offset: u64,
        len: u32,
    ) -> Result<Vec<u8>, CosError> {
        let mut ticket = self.authorize_read(hash, origin)?;
        if ticket.needs_verification() {
            let chunks = ticket.verify()?;
            self.verified(&ticket, chunks.as_ref())?;
            ticket.chunks = chunks.map(Arc::new);
        }
        match ticket.read(offset, len)? {
            ReadOutcome::Bytes(bytes) => Ok(bytes),
            ReadOutcome::Corrupt => {
                self.verified(&ticket, None)?;
                Err(CosError::NotFound)
            },
        }
    }
}
