/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The probe budget and the storage quota.

mod common;

use common::*;
use cos_store::Store;
use cos_traits::{CosError, RequestedOrigins};

const DAY: u64 = 24 * 60 * 60 * 1000;

fn everyone() -> RequestedOrigins {
    // Listed for the prober, so that a present entry is really visible and
    // only the budget can refuse it.
    RequestedOrigins::from_list(&["https://prober.example"]).unwrap()
}

#[test]
fn cross_site_lookups_are_limited_in_distinct_hashes_per_window() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let prober = origin("https://prober.example");
    for i in 0..20u32 {
        put(&mut store, &a, &i.to_le_bytes(), everyone()).unwrap();
    }
    // Absent hashes count too: otherwise the budget itself would tell
    // present from absent.
    for i in 100..110u32 {
        assert!(!found(get(&mut store, &prober, &sha256(&i.to_le_bytes()))));
    }
    for i in 0..6u32 {
        assert!(found(get(&mut store, &prober, &sha256(&i.to_le_bytes()))));
    }
    // 16 distinct hashes spent; a present, visible 17th reads as absent.
    assert!(!found(get(
        &mut store,
        &prober,
        &sha256(&6u32.to_le_bytes())
    )));
    // Repeats of counted hashes stay free.
    assert!(found(get(
        &mut store,
        &prober,
        &sha256(&0u32.to_le_bytes())
    )));
    // The budget is per top-level site: the same origin embedded under
    // another top-level site has its own.
    let elsewhere = site("https://news.example");
    assert!(
        store
            .lookup(&sha256(&6u32.to_le_bytes()), &prober, &elsewhere)
            .is_ok()
    );
    // A window later, the budget is back.
    fx.clock.advance(DAY + 1);
    assert!(found(get(
        &mut store,
        &prober,
        &sha256(&7u32.to_le_bytes())
    )));
}

#[test]
fn storers_and_creates_are_never_charged() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    for i in 0..40u32 {
        put(&mut store, &a, &i.to_le_bytes(), RequestedOrigins::SameSite).unwrap();
        assert!(found(get(&mut store, &a, &sha256(&i.to_le_bytes()))));
        assert!(found(get(
            &mut store,
            &origin("https://www.a.example"),
            &sha256(&i.to_le_bytes())
        )));
    }
    // None of that spent a.example's budget on a cross-site entry.
    let b = origin("https://b.example");
    put(
        &mut store,
        &b,
        b"b's",
        RequestedOrigins::from_list(&["https://a.example"]).unwrap(),
    )
    .unwrap();
    assert!(found(get(&mut store, &a, &sha256(b"b's"))));
}

#[test]
fn the_budget_persists_and_user_activation_replenishes_it() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let prober = origin("https://prober.example");
    {
        let mut store = fx.open();
        put(&mut store, &a, b"target", everyone()).unwrap();
        for i in 0..16u32 {
            let _ = get(&mut store, &prober, &sha256(&i.to_le_bytes()));
        }
    }
    let mut store = fx.open();
    assert!(!found(get(&mut store, &prober, &sha256(b"target"))));
    // A click in a frame of another site, inside prober's page, is that
    // frame's gesture: it refills nothing.
    let framed = origin("https://framed.example");
    store
        .replenish_probe_budget(&framed, prober.site())
        .unwrap();
    assert!(!found(get(&mut store, &prober, &sha256(b"target"))));
    // A click in prober's own document (any origin of its site) does.
    store
        .replenish_probe_budget(&origin("https://www.prober.example"), prober.site())
        .unwrap();
    assert!(found(get(&mut store, &prober, &sha256(b"target"))));
}

#[test]
fn the_budget_is_configurable() {
    let fx = Fixture::new();
    let mut config = fx.config();
    config.probe_budget = 2;
    let mut store = Store::open(config).unwrap();
    let prober = origin("https://prober.example");
    put(&mut store, &origin("https://a.example"), b"t", everyone()).unwrap();
    let _ = get(&mut store, &prober, &sha256(b"1"));
    let _ = get(&mut store, &prober, &sha256(b"2"));
    assert!(!found(get(&mut store, &prober, &sha256(b"t"))));
}

fn small_disk(fx: &Fixture, capacity: u64) -> Store {
    let mut config = fx.config();
    config.disk_capacity = Some(capacity);
    Store::open(config).unwrap()
}

#[test]
fn a_settings_file_caps_the_budgets() {
    let fx = Fixture::new();
    let mut config = fx.config();
    config.disk_capacity = None;
    std::fs::create_dir_all(&config.root).unwrap();
    std::fs::write(
        config.root.join("settings.json"),
        r#"{"disk_capacity_bytes": 1000000}"#,
    )
    .unwrap();
    let store = Store::open(config.clone()).unwrap();
    assert_eq!(store.global_budget(), 600_000);
    drop(store);
    std::fs::write(config.root.join("settings.json"), r#"{"disk_capacity": 5}"#).unwrap();
    let err = Store::open(config)
        .err()
        .expect("unknown settings are refused");
    assert!(err.to_string().contains("settings.json"), "{err}");
}

#[test]
fn budgets_derive_from_disk_capacity() {
    let fx = Fixture::new();
    let store = small_disk(&fx, 1_000_000);
    assert_eq!(store.global_budget(), 600_000);
    assert_eq!(store.origin_budget(), 120_000);
}

#[test]
fn an_origin_over_its_budget_gets_quota_exceeded() {
    let fx = Fixture::new();
    let mut store = small_disk(&fx, 1_000_000); // 120 000 bytes per origin
    let a = origin("https://a.example");
    put(
        &mut store,
        &a,
        &vec![1; 100_000],
        RequestedOrigins::SameSite,
    )
    .unwrap();
    // The write that crosses the line fails as it is written.
    let big = vec![2; 30_000];
    let mut session = store.begin_write(sha256(&big), &a).unwrap();
    assert!(matches!(
        session.write(None, &big),
        Err(CosError::QuotaExceeded(_))
    ));
    // Identical rewrites are free.
    put(
        &mut store,
        &a,
        &vec![1; 100_000],
        RequestedOrigins::SameSite,
    )
    .unwrap();
    // Other origins have their own budget.
    put(
        &mut store,
        &origin("https://b.example"),
        &big,
        RequestedOrigins::SameSite,
    )
    .unwrap();
}

#[test]
fn every_storing_origin_is_charged_the_full_size() {
    let fx = Fixture::new();
    let mut store = small_disk(&fx, 1_000_000);
    let shared = vec![9; 100_000];
    let (a, b) = (origin("https://a.example"), origin("https://b.example"));
    put(&mut store, &a, &shared, RequestedOrigins::SameSite).unwrap();
    put(&mut store, &b, &shared, RequestedOrigins::SameSite).unwrap();
    // b's copy is a's file, but b is charged for it all the same.
    assert_eq!(
        put(&mut store, &b, &vec![3; 30_000], RequestedOrigins::SameSite).map_err(|e| e.dom_name()),
        Err("QuotaExceededError")
    );
    assert_eq!(store.usage().unwrap(), 100_000);
}

#[test]
fn open_writes_of_one_origin_share_its_budget() {
    // An origin's budget here is 120,000 bytes. Many open streams cannot
    // each hold up to it: together they hold at most it.
    let fx = Fixture::new();
    let store = small_disk(&fx, 1_000_000);
    let a = origin("https://a.example");
    let mut writes: Vec<_> = (0..9u8)
        .map(|i| store.begin_write(sha256(&[i]), &a).unwrap())
        .collect();
    let mut held = 0;
    for w in &mut writes {
        if w.write(None, &[7; 50_000]).is_ok() {
            held += 50_000;
        }
    }
    assert_eq!(held, 100_000);
    assert!(files_under(&store.layout().tmp_dir()).len() <= 9);
    // Another origin is not charged for them.
    let b = origin("https://b.example");
    let mut wb = store.begin_write(sha256(&[9; 100_000]), &b).unwrap();
    wb.write(None, &[9; 100_000]).unwrap();
    // Closing streams gives their room back.
    writes.clear();
    let mut again = store.begin_write(sha256(&[1; 110_000]), &a).unwrap();
    again.write(None, &[1; 110_000]).unwrap();
    drop(wb);
    drop(again);
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
}

#[test]
fn publication_rechecks_the_budget() {
    // Two writes that each fit alone: the first publishes while the second
    // is still writing, and the second then no longer fits.
    let fx = Fixture::new();
    let mut store = small_disk(&fx, 1_000_000);
    let a = origin("https://a.example");
    let (x, y) = (vec![1; 70_000], vec![2; 70_000]);
    let mut wx = store.begin_write(sha256(&x), &a).unwrap();
    let mut wy = store.begin_write(sha256(&y), &a).unwrap();
    wx.write(None, &x).unwrap();
    store
        .publish(wx.finish().unwrap(), &a, &RequestedOrigins::SameSite)
        .unwrap();
    wy.write(None, &y).unwrap();
    let err = store
        .publish(wy.finish().unwrap(), &a, &RequestedOrigins::SameSite)
        .unwrap_err();
    assert_eq!(err.dom_name(), "QuotaExceededError");
    assert_eq!(files_under(&store.layout().content_dir()).len(), 1);
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
}

#[test]
fn a_full_store_evicts_the_least_recently_read() {
    let fx = Fixture::new();
    let mut store = small_disk(&fx, 500_000); // 300 000 in all, 60 000 per origin
    let entries: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 55_000]).collect();
    for (i, bytes) in entries.iter().enumerate() {
        fx.clock.advance(1000);
        put(
            &mut store,
            &origin(&format!("https://s{i}.example")),
            bytes,
            RequestedOrigins::SameSite,
        )
        .unwrap();
    }
    // Read the oldest, so the second oldest is now least recently used.
    fx.clock.advance(1000);
    assert!(found(get(
        &mut store,
        &origin("https://s0.example"),
        &sha256(&entries[0])
    )));
    fx.clock.advance(1000);
    put(
        &mut store,
        &origin("https://s5.example"),
        &vec![5; 55_000],
        RequestedOrigins::SameSite,
    )
    .unwrap();
    let left: Vec<_> = store.list().unwrap().into_iter().map(|e| e.hash).collect();
    assert_eq!(left.len(), 5);
    assert!(!left.contains(&sha256(&entries[1])));
    assert!(left.contains(&sha256(&entries[0])));
    assert_eq!(files_under(&store.layout().content_dir()).len(), 5);
}

#[test]
fn a_publication_that_fails_evicts_nothing() {
    let fx = Fixture::new();
    let mut store = small_disk(&fx, 500_000); // 300 000 in all, 60 000 per origin
    for i in 0..5u8 {
        fx.clock.advance(1000);
        let s = origin(&format!("https://s{i}.example"));
        put(&mut store, &s, &vec![i; 55_000], RequestedOrigins::SameSite).unwrap();
    }
    // A sixth entry needs the oldest evicted, but its commit fails: another
    // connection holds the index's write lock.
    let newcomer = origin("https://new.example");
    let mut write = store.begin_write(sha256(&[9; 55_000]), &newcomer).unwrap();
    write.write(None, &[9; 55_000]).unwrap();
    let verified = write.finish().unwrap();
    let blocker = rusqlite::Connection::open(store.layout().index()).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    assert!(
        store
            .publish(verified, &newcomer, &RequestedOrigins::SameSite)
            .is_err()
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    // Nothing was evicted for a publication that did not happen.
    for i in 0..5u8 {
        let s = origin(&format!("https://s{i}.example"));
        assert!(
            found(get(&mut store, &s, &sha256(&vec![i; 55_000]))),
            "entry {i}"
        );
    }
    assert!(!found(get(&mut store, &newcomer, &sha256(&[9; 55_000]))));
}
