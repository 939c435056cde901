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

/// A store time (milliseconds since the Unix epoch) as UTC
/// `(year, month, day, hour, minute, second)`, for people to read (no date
/// crate for this: days to civil date by Howard Hinnant's algorithm).
pub fn utc_civil(ms: u64) -> (i64, i64, i64, u64, u64, u64) {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
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

#[cfg(test)]
mod tests {
    #[test]
    fn store_times_read_as_utc_dates() {
        assert_eq!(super::utc_civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(
            super::utc_civil(1_700_000_000_000),
            (2023, 11, 14, 22, 13, 20)
        );
        assert_eq!(super::utc_civil(1_709_164_800_999), (2024, 2, 29, 0, 0, 0));
    }
}
