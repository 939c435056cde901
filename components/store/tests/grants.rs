/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Who may be told an entry exists: storing origins and their sites, the
//! explicit list, and `'*'` through the Public Hash List and GREASE.

mod common;

use common::*;
use cos_store::Store;
use cos_traits::{CosError, MAX_ORIGINS_LIST_LENGTH, RequestedOrigins};

fn list(origins: &[&str]) -> RequestedOrigins {
    RequestedOrigins::from_list(origins).unwrap()
}

#[test]
fn storing_origin_and_same_site_origins_read() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://app.a.example");
    put(&mut store, &a, b"x", RequestedOrigins::SameSite).unwrap();
    let h = sha256(b"x");
    assert!(found(get(&mut store, &a, &h)));
    assert!(found(get(
        &mut store,
        &origin("https://cdn.a.example:8443"),
        &h
    )));
    assert!(found(get(&mut store, &origin("https://a.example"), &h)));
    // Other sites, including the http scheme of the same domain, do not.
    assert!(!found(get(&mut store, &origin("https://b.example"), &h)));
    assert!(!found(get(&mut store, &origin("http://app.a.example"), &h)));
}

#[test]
fn listed_origins_read_and_unlisted_do_not() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("http://127.0.0.1:8000");
    put(&mut store, &a, b"x", list(&["http://localhost:9000"])).unwrap();
    let h = sha256(b"x");
    assert!(found(get(&mut store, &origin("http://localhost:9000"), &h)));
    // A listed origin admits its whole site (spec, "determine COS
    // disclosure": same site with an item of the entry's origins).
    assert!(found(get(&mut store, &origin("http://localhost:9001"), &h)));
    assert!(!found(get(
        &mut store,
        &origin("https://localhost:9000"),
        &h
    )));
    assert!(!found(get(
        &mut store,
        &origin("http://127.0.0.2:8000"),
        &h
    )));
}

#[test]
fn global_flag_discloses_only_hashes_on_the_public_hash_list() {
    let fx = Fixture::new();
    let on_list = b"popular library".to_vec();
    let off_list = b"niche library".to_vec();
    let phl = fx.dir.path().join("phl.txt");
    std::fs::write(
        &phl,
        format!(
            "// ===BEGIN SHA-256===\n{}\n// ===END SHA-256===\n",
            sha256(&on_list).value()
        ),
    )
    .unwrap();
    let mut config = fx.config();
    config.public_hash_list = Some(phl);
    let mut store = Store::open(config).unwrap();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(&mut store, &a, &on_list, RequestedOrigins::Global).unwrap();
    put(&mut store, &a, &off_list, RequestedOrigins::Global).unwrap();
    assert!(found(get(&mut store, &b, &sha256(&on_list))));
    assert!(!found(get(&mut store, &b, &sha256(&off_list))));
    // The storer reads either.
    assert!(found(get(&mut store, &a, &sha256(&off_list))));
}

#[test]
fn the_default_public_hash_list_lives_in_the_store() {
    let fx = Fixture::new();
    let bytes = b"shipped".to_vec();
    std::fs::create_dir_all(fx.dir.path().join("cos")).unwrap();
    std::fs::write(
        fx.dir.path().join("cos/public-hash-list.txt"),
        format!("// ===BEGIN SHA-256===\n{}\n", sha256(&bytes).value()),
    )
    .unwrap();
    let mut store = fx.open();
    // The profile's list adds one hash to the shipped list.
    let shipped = cos_store::PublicHashList::built_in().len();
    assert_eq!(store.public_hash_list().len(), shipped + 1);
    put(
        &mut store,
        &origin("https://a.example"),
        &bytes,
        RequestedOrigins::Global,
    )
    .unwrap();
    assert!(found(get(
        &mut store,
        &origin("https://b.example"),
        &sha256(&bytes)
    )));
}

fn greasy_store(fx: &Fixture, hashes: &[&[u8]]) -> Store {
    let phl = fx.dir.path().join("phl.txt");
    let lines: Vec<String> = hashes.iter().map(|b| sha256(b).value()).collect();
    std::fs::write(
        &phl,
        format!("// ===BEGIN SHA-256===\n{}\n", lines.join("\n")),
    )
    .unwrap();
    let mut config = fx.config();
    config.public_hash_list = Some(phl);
    config.grease_basis_points = 10_000; // every eligible lookup
    Store::open(config).unwrap()
}

#[test]
fn grease_withholds_small_global_entries_only_from_global_readers() {
    let fx = Fixture::new();
    let small = vec![1u8; 1000];
    let large = vec![2u8; 500 * 1024];
    let mut store = greasy_store(&fx, &[&small, &large]);
    let a = origin("https://a.example");
    put(&mut store, &a, &small, RequestedOrigins::Global).unwrap();
    put(&mut store, &a, &large, RequestedOrigins::Global).unwrap();
    put(&mut store, &a, &small, list(&["https://listed.example"])).unwrap();
    let stranger = origin("https://stranger.example");
    assert!(!found(get(&mut store, &stranger, &sha256(&small))));
    // Never for files of 500 KiB and more.
    assert!(found(get(&mut store, &stranger, &sha256(&large))));
    // Never for storers, their sites, or listed origins.
    assert!(found(get(&mut store, &a, &sha256(&small))));
    assert!(found(get(
        &mut store,
        &origin("https://www.a.example"),
        &sha256(&small)
    )));
    assert!(found(get(
        &mut store,
        &origin("https://listed.example"),
        &sha256(&small)
    )));
    // Nor for origins same site with a listed origin (newest spec, GREASE:
    // "storing origins, listed origins, or origins same site with either").
    assert!(found(get(
        &mut store,
        &origin("https://cdn.listed.example:8443"),
        &sha256(&small)
    )));
}

#[test]
fn grants_only_widen() {
    let fx = Fixture::new();
    let mut store = greasy_store(&fx, &[]);
    let (a, b) = (origin("https://a.example"), origin("https://b.example"));
    let listed = origin("https://listed.example");
    let h = sha256(b"x");
    put(&mut store, &a, b"x", list(&["https://listed.example"])).unwrap();
    // A later same-site-only write, and a later '*' write of a hash that is
    // not on the list, leave the listed origin's access alone.
    put(&mut store, &b, b"x", RequestedOrigins::SameSite).unwrap();
    put(&mut store, &b, b"x", RequestedOrigins::Global).unwrap();
    assert!(found(get(&mut store, &listed, &h)));
    // Any writer with the bytes may widen the list.
    put(&mut store, &b, b"x", list(&["https://second.example"])).unwrap();
    assert!(found(get(
        &mut store,
        &origin("https://second.example"),
        &h
    )));
    let entry = &store.list().unwrap()[0];
    assert!(entry.globally_disclosable);
    assert_eq!(
        entry.listed_origins,
        vec![listed, origin("https://second.example")]
    );
}

#[test]
fn the_origins_list_is_capped_cumulatively() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let first: Vec<String> = (0..60).map(|i| format!("https://p{i}.example")).collect();
    let second: Vec<String> = (40..120).map(|i| format!("https://p{i}.example")).collect();
    put(
        &mut store,
        &a,
        b"x",
        RequestedOrigins::from_list(&first).unwrap(),
    )
    .unwrap();
    // 20 of the second list are already there, 40 fit, 20 are dropped, and
    // the write still succeeds.
    let mut session = store.begin_write(sha256(b"x"), &a).unwrap();
    session.write(None, b"x").unwrap();
    let published = store
        .publish(
            session.finish().unwrap(),
            &a,
            &RequestedOrigins::from_list(&second).unwrap(),
        )
        .unwrap();
    assert_eq!(published.origins_dropped, 20);
    let entry = &store.list().unwrap()[0];
    assert_eq!(entry.listed_origins.len(), MAX_ORIGINS_LIST_LENGTH);
    assert!(found(get(
        &mut store,
        &origin("https://p99.example"),
        &sha256(b"x")
    )));
    assert!(!found(get(
        &mut store,
        &origin("https://p100.example"),
        &sha256(b"x")
    )));
}

#[test]
fn every_refusal_is_the_same_error() {
    let fx = Fixture::new();
    let mut store = greasy_store(&fx, &[b"greased"]);
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(
        &mut store,
        &a,
        b"same-site only",
        RequestedOrigins::SameSite,
    )
    .unwrap();
    put(
        &mut store,
        &a,
        b"global, not on the PHL",
        RequestedOrigins::Global,
    )
    .unwrap();
    put(&mut store, &a, b"greased", RequestedOrigins::Global).unwrap();
    let mut writing = store.begin_write(sha256(b"in progress"), &a).unwrap();
    writing.write(None, b"in progress").unwrap();
    let refusals: Vec<CosError> = [
        &b"absent"[..],
        b"same-site only",
        b"global, not on the PHL",
        b"greased",
        b"in progress",
    ]
    .iter()
    .map(|bytes| get(&mut store, &b, &sha256(bytes)).unwrap_err())
    .collect();
    for e in &refusals {
        assert_eq!(e, &CosError::NotFound);
        assert_eq!(e.dom_message(), refusals[0].dom_message());
    }
}

#[test]
fn reading_bytes_needs_a_disclosure_first() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(&mut store, &a, b"x", list(&["https://b.example"])).unwrap();
    let h = sha256(b"x");
    // Listed, but has not looked it up: the bytes are not handed out.
    assert_eq!(store.read(&h, &b, 0, 10), Err(CosError::NotFound));
    assert!(found(get(&mut store, &b, &h)));
    assert_eq!(store.read(&h, &b, 0, 10).unwrap(), b"x");
    assert_eq!(
        store.read(&h, &origin("https://c.example"), 0, 10),
        Err(CosError::NotFound)
    );
}

#[test]
fn reads_are_attributed() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(&mut store, &a, b"x", list(&["https://b.example"])).unwrap();
    get(&mut store, &b, &sha256(b"x")).unwrap();
    fx.clock.advance(5000);
    get(&mut store, &b, &sha256(b"x")).unwrap();
    let entry = &store.list().unwrap()[0];
    assert_eq!(entry.stored_by.len(), 1);
    assert_eq!(entry.stored_by[0].origin, a);
    assert_eq!(entry.read_by.len(), 1);
    let read = &entry.read_by[0];
    assert_eq!(
        (read.origin.clone(), read.count, read.last - read.first),
        (b, 2, 5000)
    );
    assert_eq!(entry.last_read, Some(read.last));
}
