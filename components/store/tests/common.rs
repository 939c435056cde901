/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cos_store::{ConsentPolicy, Store, StoreConfig};
use cos_traits::{CosError, CosHash, HashAlgorithm, LookupOutcome, Origin, RequestedOrigins, Site};

pub fn origin(s: &str) -> Origin {
    Origin::parse(s).unwrap()
}

pub fn site(s: &str) -> Site {
    origin(s).site().clone()
}

pub fn sha256(bytes: &[u8]) -> CosHash {
    CosHash::of(HashAlgorithm::Sha256, bytes)
}

/// A clock the test moves by hand.
#[derive(Clone, Default)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst)
    }
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: TestClock,
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture::new()
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        let clock = TestClock::default();
        clock.set(1_700_000_000_000);
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            clock,
        }
    }

    /// Product defaults, except that cross-site disclosure needs no prompt
    /// (tests of consent set the policy themselves), the disk is 100 GB,
    /// and no GREASE (tests of GREASE turn it on).
    pub fn config(&self) -> StoreConfig {
        let mut config = StoreConfig::new(self.dir.path().join("cos"));
        let clock = self.clock.0.clone();
        config.clock = Arc::new(move || clock.load(Ordering::SeqCst));
        config.consent = ConsentPolicy::Allow;
        config.disk_capacity = Some(100_000_000_000);
        config.grease_basis_points = 0;
        config
    }

    pub fn open(&self) -> Store {
        Store::open(self.config()).unwrap()
    }
}

/// Writes `bytes` as `origin` in one piece and publishes.
pub fn put(
    store: &mut Store,
    origin: &Origin,
    bytes: &[u8],
    requested: RequestedOrigins,
) -> Result<(), CosError> {
    put_as(store, origin, &sha256(bytes), bytes, requested)
}

pub fn put_as(
    store: &mut Store,
    origin: &Origin,
    hash: &CosHash,
    bytes: &[u8],
    requested: RequestedOrigins,
) -> Result<(), CosError> {
    let mut session = store.begin_write(hash.clone(), origin)?;
    session.write(None, bytes)?;
    let verified = session.finish()?;
    store.publish(verified, origin, &requested).map(drop)
}

/// A lookup from `origin` as the top-level document.
pub fn get(store: &mut Store, origin: &Origin, hash: &CosHash) -> Result<LookupOutcome, CosError> {
    store.lookup(hash, origin, origin.site())
}

pub fn found(result: Result<LookupOutcome, CosError>) -> bool {
    match result {
        Ok(LookupOutcome::Found(_)) => true,
        Err(CosError::NotFound) => false,
        other => panic!("unexpected lookup result {other:?}"),
    }
}

/// Every file under `dir`, relative.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path(), out)
                } else {
                    out.push(e.path())
                }
            }
        }
    }
    walk(dir, &mut out);
    out
}
