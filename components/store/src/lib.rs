/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The Cross-Origin Storage registry: one entry per hash, shared by every
//! origin, with the grants, limits and records that keep sharing private.
//!
//! [`Store`] is the registry as a library (one owner, synchronous);
//! [`thread::StoreThread`] is the thread a browser runs it on, answering
//! [`cos_traits::CosRequest`]s in order while hashing and reading happen on
//! other threads; [`access::ContentSender`] is how a content process reaches
//! that thread. The modules are named by what they do: `put` writes,
//! `get` looks up and reads, `rm` removes, `ls` lists, `verify` repairs.

pub mod access;
mod chunks;
mod config;
mod content;
mod error;
mod get;
mod grease;
mod index;
mod layout;
mod lock;
mod ls;
mod phl;
mod put;
mod quota;
mod rm;
mod settings;
pub mod thread;
mod verify;

use std::fs::File;

pub use chunks::{CHUNK, ChunkDigests};
pub use config::{Clock, ConsentPolicy, StoreConfig, system_clock, utc_civil};
pub use error::OpenError;
pub use get::{MAX_READ, ReadOutcome, ReadTicket};
pub use index::SCHEMA_VERSION;
pub use layout::Layout;
pub use phl::PublicHashList;
pub use put::{AddedFile, CopiedFile, FileCopy, Published, VerifiedWrite, WriteSession};
pub use verify::Repairs;

use crate::grease::Grease;
use crate::index::Index;
use crate::settings::Settings;

pub struct Store {
    layout: Layout,
    index: Index,
    phl: PublicHashList,
    grease: Grease,
    config: StoreConfig,
    /// Bytes of the disk the store lives on.
    capacity: u64,
    /// Bytes held by writes in progress (see `quota`).
    reservations: quota::Reservations,
    /// Held for the store's lifetime: one process owns a store at a time.
    _lock: File,
    repairs: Repairs,
    /// Piece digests of the entries read last (see `chunks`).
    digests: chunks::DigestCache,
}

impl Store {
    /// Opens the store at `config.root`, creating it if needed, and repairs
    /// whatever a crash left behind.
    pub fn open(config: StoreConfig) -> Result<Store, OpenError> {
        let layout = Layout::new(&config.root);
        for dir in [layout.root().to_owned(), layout.tmp_dir()] {
            std::fs::create_dir_all(&dir).map_err(OpenError::io(&dir))?;
        }
        let lock = lock::acquire(&layout.root().join("lock"))?;

        // A damaged index is moved aside and rebuilt from the content files
        // (recovery adopts them); an index of a newer schema is left alone
        // and refused, since this code cannot know what it would lose.
        let mut index_set_aside = None;
        let index = match Index::open(&layout.index()) {
            Err(OpenError::Corrupt { path, detail }) => {
                let aside = layout
                    .set_aside_index((config.clock)())
                    .map_err(OpenError::io(&path))?;
                log::warn!(
                    "Cross-Origin Storage: the index {} is damaged ({detail}); moved it to {} \
                     and rebuilding it from the content files",
                    path.display(),
                    aside.display()
                );
                index_set_aside = Some(aside);
                Index::open(&layout.index())?
            },
            result => result?,
        };
        let phl_path = config
            .public_hash_list
            .clone()
            .or_else(|| Some(layout.default_public_hash_list()).filter(|p| p.exists()));
        let own = match phl_path {
            Some(path) => PublicHashList::load(&path)?,
            None => PublicHashList::default(),
        };
        let phl = if config.built_in_public_hash_list {
            PublicHashList::built_in().union(own)
        } else {
            own
        };
        let settings = Settings::load(&layout.settings())?;
        let capacity = match config.disk_capacity.or(settings.disk_capacity_bytes) {
            Some(bytes) => bytes,
            None => fs4::total_space(layout.root()).map_err(OpenError::io(layout.root()))?,
        };
        let corrupt = |e: cos_traits::CosError| OpenError::Corrupt {
            path: layout.index(),
            detail: e.to_string(),
        };
        let secret = index.device_secret().map_err(corrupt)?;
        let grease = Grease::new(
            secret,
            config.grease_basis_points,
            config.grease_max_size,
            config.grease_epoch.as_millis() as u64,
        );
        let mut store = Store {
            layout: layout.clone(),
            index,
            phl,
            grease,
            config,
            capacity,
            reservations: Default::default(),
            _lock: lock,
            repairs: Repairs::default(),
            digests: chunks::DigestCache::default(),
        };
        store.repairs = store.recover().map_err(corrupt)?;
        store.repairs.index_set_aside = index_set_aside;
        let window = store.config.probe_window.as_millis() as u64;
        let now = store.now();
        store
            .index
            .forget_probes(None, now.saturating_sub(window))
            .map_err(corrupt)?;
        Ok(store)
    }

    /// What opening repaired.
    pub fn repairs(&self) -> &Repairs {
        &self.repairs
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn public_hash_list(&self) -> &PublicHashList {
        &self.phl
    }

    pub fn set_consent_policy(&mut self, policy: ConsentPolicy) {
        self.config.consent = policy;
    }

    /// Forgets every consent decision: each site is asked again.
    pub fn reset_consent(&mut self) -> Result<(), cos_traits::CosError> {
        self.index.reset_consent()
    }

    /// Forgets `site`'s decisions: it is asked again.
    pub fn forget_consent(&mut self, site: &cos_traits::Site) -> Result<(), cos_traits::CosError> {
        self.index.forget_consent(site)
    }

    /// Each requesting site's remembered site-wide answer.
    pub fn consent_decisions(
        &self,
    ) -> Result<Vec<(cos_traits::Site, cos_traits::ConsentDecision)>, cos_traits::CosError> {
        Ok(self
            .index
            .consent_decisions()?
            .into_iter()
            .map(|(site, allow)| {
                let decision = if allow {
                    cos_traits::ConsentDecision::Allow
                } else {
                    cos_traits::ConsentDecision::Deny
                };
                (site, decision)
            })
            .collect())
    }

    /// Remembers the user's answer for `requesting_site` (for one entry, or
    /// all with `hash: None`).

    pub fn record_consent(
        &mut self,
        requesting_site: &cos_traits::Site,
        hash: Option<&cos_traits::CosHash>,
        decision: cos_traits::ConsentDecision,
    ) -> Result<(), cos_traits::CosError> {
        let now = self.now();
        self.index.set_consent(
            requesting_site,
            hash,
            decision == cos_traits::ConsentDecision::Allow,
            now,
        )
    }

    fn now(&self) -> u64 {
        (self.config.clock)()
    }
}
