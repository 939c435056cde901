/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use cos_traits::ConsentPolicy;

/// Milliseconds since the Unix epoch. Replaceable so that tests can move
/// time through probe windows and GREASE epochs.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    })
}

/// How a store behaves. [`StoreConfig::new`] gives the product defaults.
#[derive(Clone)]
pub struct StoreConfig {
    /// The store's directory (in a browser profile: `<config_dir>/cross-origin-storage`).
    pub root: PathBuf,
    /// A Public Hash List of one's own; `None` means
    /// `<root>/public-hash-list.txt` if that file exists. It adds to the
    /// shipped list.
    pub public_hash_list: Option<PathBuf>,
    /// Whether the list the browser ships (`public-hash-list.txt` in this
    /// crate, made by `./mach phl`) counts.
    pub built_in_public_hash_list: bool,
    /// Distinct cross-site hashes one top-level site may look up per window.
    pub probe_budget: u32,
    pub probe_window: Duration,
    /// Overrides the capacity of the disk holding `root`, in bytes, from
    /// which the global (60%) and per-origin (20% of that) budgets derive.
    pub disk_capacity: Option<u64>,
    /// Share of eligible `'*'` lookups GREASE'd, in basis points (100 = 1%).
    pub grease_basis_points: u32,
    /// Only entries smaller than this are ever GREASE'd.
    pub grease_max_size: u64,
    /// How long one GREASE decision for (origin, hash) stands.
    pub grease_epoch: Duration,
    pub consent: ConsentPolicy,
    pub clock: Clock,
}

impl StoreConfig {
    pub fn new(root: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            root: root.into(),
            public_hash_list: None,
            built_in_public_hash_list: true,
            probe_budget: 16,
            probe_window: Duration::from_secs(24 * 60 * 60),
            disk_capacity: None,
            grease_basis_points: 100,
            grease_max_size: 500 * 1024,
            grease_epoch: Duration::from_secs(7 * 24 * 60 * 60),
            consent: ConsentPolicy::Ask,
            clock: system_clock(),
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("root", &self.root)
            .field("public_hash_list", &self.public_hash_list)
            .field("probe_budget", &self.probe_budget)
            .field("probe_window", &self.probe_window)
            .field("disk_capacity", &self.disk_capacity)
            .field("grease_basis_points", &self.grease_basis_points)
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}
