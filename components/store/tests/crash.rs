/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Crash safety: a writer process is killed at random instants, and every
//! reopen must find only complete, verifiable entries and no leftovers.
//!
//! The writer is this test binary re-run with `COS_CRASH_CHILD` set: it
//! stores files in a loop until it is killed.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use cos_store::{Store, StoreConfig};
use cos_traits::RequestedOrigins;

const CHILD_ENV: &str = "COS_CRASH_CHILD";

/// The body of the child process. A no-op when run as an ordinary test.
#[test]
fn crash_child() {
    let Ok(root) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut config = StoreConfig::new(root);
    config.disk_capacity = Some(1 << 40);
    let mut store = Store::open(config).unwrap();
    let origins: Vec<_> = (0..3)
        .map(|i| origin(&format!("https://w{i}.example")))
        .collect();
    for round in 0u64.. {
        // Sizes from a few bytes to a few MiB, so kills land in every phase:
        // spooling, hashing, fsync, rename, commit. Some hashes repeat, so
        // identical rewrites are exercised too.
        let size = [10usize, 70_000, 3 << 20][(round % 3) as usize];
        let seed = round % 40;
        let bytes: Vec<u8> = (0..size).map(|i| (i as u64 * 31 + seed) as u8).collect();
        let origin = &origins[(round % 3) as usize];
        let mut session = store.begin_write(sha256(&bytes), origin).unwrap();
        for chunk in bytes.chunks(256 * 1024) {
            session.write(None, chunk).unwrap();
        }
        if round % 5 == 0 {
            // Seek back and rewrite a piece, forcing a re-hash at finish.
            session
                .write(Some(0), &bytes[..bytes.len().min(100)])
                .unwrap();
        }
        let verified = session.finish().unwrap();
        store
            .publish(verified, origin, &RequestedOrigins::SameSite)
            .unwrap();
        if round % 7 == 0 {
            store.clear_origin(&origins[0]).unwrap();
        }
    }
}

/// A small deterministic generator: reproducible kill times per seed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn killing_a_writer_never_leaves_a_partial_entry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cos");
    let exe = std::env::current_exe().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut entries_seen = 0;
    let mut adopted = 0;
    for _ in 0..12 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50 + next(&mut seed) % 400));
        child.kill().unwrap();
        child.wait().unwrap();

        let mut config = StoreConfig::new(&root);
        config.disk_capacity = Some(1 << 40);
        let mut store = Store::open(config).unwrap();
        assert!(files_under(&store.layout().tmp_dir()).is_empty());
        let entries = store.list().unwrap();
        // Every indexed entry has its file, and nothing else is there.
        let mut expected: Vec<_> = entries
            .iter()
            .map(|e| store.layout().content_path(&e.hash))
            .collect();
        let mut actual = files_under(&store.layout().content_dir());
        expected.sort();
        actual.sort();
        assert_eq!(actual, expected);
        // Every entry is complete: its bytes hash to its hash.
        let report = store.verify().unwrap();
        assert!(report.entries_dropped.is_empty(), "{report:?}");
        assert_eq!(report.entries_verified, entries.len());
        // An entry nobody stored can only be a file whose publication was
        // interrupted between its rename and its commit, which opening
        // adopts: never a deleted one come back, nor a cleared origin's.
        adopted += store.repairs().orphan_files_adopted;
        let unowned = entries.iter().filter(|e| e.stored_by.is_empty()).count();
        assert!(
            unowned <= adopted,
            "{unowned} entries with no storing origin, {adopted} adopted"
        );
        entries_seen += entries.len();
    }
    // The child did get far enough to store things.
    assert!(entries_seen > 0);
}
