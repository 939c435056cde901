/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! GREASE'ing: answering "absent" for a small share of lookups that only
//! the global grant would satisfy, so that a site cannot tell a true
//! absence from a privacy-motivated one.
//!
//! The decision is a keyed hash (HMAC-SHA-256 under a per-device secret) of
//! the requesting origin, the hash and the current epoch. It is
//! deterministic within an epoch, so retrying the same lookup cannot average
//! the noise away, and unpredictable without the secret, so a site cannot
//! pick hashes that avoid it.

use cos_traits::{CosHash, Origin};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub struct Grease {
    secret: [u8; 32],
    basis_points: u32,
    max_size: u64,
    epoch_ms: u64,
}

impl Grease {
    pub fn new(secret: [u8; 32], basis_points: u32, max_size: u64, epoch_ms: u64) -> Grease {
        Grease {
            secret,
            basis_points: basis_points.min(10_000),
            max_size,
            epoch_ms: epoch_ms.max(1),
        }
    }

    /// Whether to withhold an entry of `size` bytes from `origin` at `now`.
    /// Large entries are never GREASE'd: a spurious multi-gigabyte
    /// re-download costs the user far more than the noise is worth.
    pub fn applies(&self, origin: &Origin, hash: &CosHash, size: u64, now: u64) -> bool {
        // The keyed hash is computed whatever the size, so that the time a
        // lookup takes does not depend on the answer.
        let roll = self.roll(origin, hash, now / self.epoch_ms);
        size < self.max_size && roll < self.basis_points
    }

    /// A number in 0..10_000, uniform for a secret nobody knows.
    fn roll(&self, origin: &Origin, hash: &CosHash, epoch: u64) -> u32 {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        // Length-prefix the variable parts so that no two inputs share an
        // encoding.
        let origin = origin.as_str().as_bytes();
        mac.update(&(origin.len() as u64).to_be_bytes());
        mac.update(origin);
        mac.update(hash.algorithm().name().as_bytes());
        mac.update(hash.digest());
        mac.update(&epoch.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        let n = u64::from_be_bytes(tag[..8].try_into().expect("a tag is 32 bytes"));
        (n % 10_000) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cos_traits::HashAlgorithm;

    const DAY: u64 = 24 * 60 * 60 * 1000;

    fn origin(i: usize) -> Origin {
        Origin::parse(&format!("https://site{i}.example")).unwrap()
    }

    #[test]
    fn about_one_percent_of_small_lookups() {
        let grease = Grease::new([7; 32], 100, 500 * 1024, 7 * DAY);
        let n = 20_000;
        let hits = (0..n)
            .filter(|&i: &usize| {
                let hash = CosHash::of(HashAlgorithm::Sha256, &i.to_le_bytes());
                grease.applies(&origin(i % 50), &hash, 1024, 0)
            })
            .count();
        // 1% of 20 000 is 200; six standard deviations is about 84.
        assert!((116..=284).contains(&hits), "{hits} GREASE'd of {n}");
    }

    #[test]
    fn never_for_large_entries() {
        let grease = Grease::new([7; 32], 10_000, 500 * 1024, DAY);
        let hash = CosHash::of(HashAlgorithm::Sha256, b"model");
        assert!(grease.applies(&origin(0), &hash, 500 * 1024 - 1, 0));
        assert!(!grease.applies(&origin(0), &hash, 500 * 1024, 0));
        assert!(!grease.applies(&origin(0), &hash, 4 << 30, 0));
    }

    #[test]
    fn stable_within_an_epoch_and_keyed_by_the_secret() {
        let hash = CosHash::of(HashAlgorithm::Sha256, b"lib.js");
        let a = Grease::new([1; 32], 100, u64::MAX, DAY);
        let b = Grease::new([2; 32], 100, u64::MAX, DAY);
        let rolls = |g: &Grease, epoch| -> Vec<u32> {
            (0..64).map(|i| g.roll(&origin(i), &hash, epoch)).collect()
        };
        assert_eq!(rolls(&a, 3), rolls(&a, 3));
        assert_ne!(rolls(&a, 3), rolls(&a, 4));
        assert_ne!(rolls(&a, 3), rolls(&b, 3));
        // Within one epoch the decision does not change with the clock.
        assert_eq!(
            a.applies(&origin(1), &hash, 10, 5 * DAY),
            a.applies(&origin(1), &hash, 10, 5 * DAY + DAY - 1)
        );
    }
}
