/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Writes: verification at close, atomic publication, create registering
//! nothing, concurrent writers, size caps.

mod common;

use common::*;
use cos_traits::{CosError, CosHash, HashAlgorithm, MAX_FILE_SIZE, RequestedOrigins};

#[test]
fn a_verified_write_becomes_readable_by_its_writer() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let bytes = b"model weights".repeat(1000);
    put(&mut store, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    assert!(found(get(&mut store, &a, &sha256(&bytes))));
    assert_eq!(store.read(&sha256(&bytes), &a, 0, u32::MAX).unwrap(), bytes);
    assert_eq!(
        store.read(&sha256(&bytes), &a, 13, 4).unwrap(),
        b"mode".to_vec()
    );
    assert!(
        store
            .read(&sha256(&bytes), &a, bytes.len() as u64, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn every_algorithm_verifies() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    for algorithm in HashAlgorithm::ALL {
        let hash = CosHash::of(algorithm, b"runtime.wasm");
        put_as(
            &mut store,
            &a,
            &hash,
            b"runtime.wasm",
            RequestedOrigins::SameSite,
        )
        .unwrap();
        assert!(found(get(&mut store, &a, &hash)));
    }
    // The same bytes under each algorithm are as many entries.
    assert_eq!(store.list().unwrap().len(), HashAlgorithm::ALL.len());
}

#[test]
fn a_mismatch_is_a_data_error_and_leaves_nothing() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let hash = sha256(b"the real bytes");
    let mut session = store.begin_write(hash.clone(), &a).unwrap();
    session.write(None, b"other bytes").unwrap();
    assert!(matches!(session.finish(), Err(CosError::Data)));
    assert!(!found(get(&mut store, &a, &hash)));
    assert!(store.list().unwrap().is_empty());
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
    assert!(files_under(&store.layout().content_dir()).is_empty());
}

#[test]
fn an_empty_close_is_a_data_error_even_for_a_stored_hash() {
    // keepExistingData never seeds a COS stream: closing without writing
    // holds the empty sequence, which does not hash to the entry.
    let fx = Fixture::new();
    let mut store = fx.open();
    let (a, b) = (origin("https://a.example"), origin("https://b.example"));
    put(&mut store, &a, b"stored by a", RequestedOrigins::SameSite).unwrap();
    let session = store.begin_write(sha256(b"stored by a"), &b).unwrap();
    assert!(matches!(session.finish(), Err(CosError::Data)));
    assert!(!found(get(&mut store, &b, &sha256(b"stored by a"))));
}

#[test]
fn create_registers_nothing_until_verified() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let bytes = b"pending".to_vec();
    let hash = sha256(&bytes);
    let mut session = store.begin_write(hash.clone(), &a).unwrap();
    session.write(None, &bytes).unwrap();
    // Written but not closed: absent, to the writer too.
    assert!(!found(get(&mut store, &a, &hash)));
    assert!(store.list().unwrap().is_empty());
    let verified = session.finish().unwrap();
    assert!(!found(get(&mut store, &a, &hash)));
    store
        .publish(verified, &a, &RequestedOrigins::SameSite)
        .unwrap();
    assert!(found(get(&mut store, &a, &hash)));
}

#[test]
fn an_abandoned_write_leaves_no_trace() {
    let fx = Fixture::new();
    let store = fx.open();
    let a = origin("https://a.example");
    let mut session = store.begin_write(sha256(b"x"), &a).unwrap();
    session.write(None, b"x").unwrap();
    assert_eq!(files_under(&store.layout().tmp_dir()).len(), 1);
    drop(session);
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
    // Verified but never published: also nothing.
    let mut session = store.begin_write(sha256(b"x"), &a).unwrap();
    session.write(None, b"x").unwrap();
    drop(session.finish().unwrap());
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn concurrent_writers_of_one_hash_share_one_copy() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let (a, b, c) = (
        origin("https://a.example"),
        origin("https://b.example"),
        origin("https://c.example"),
    );
    let bytes = vec![7u8; 300_000];
    let hash = sha256(&bytes);
    let mut wa = store.begin_write(hash.clone(), &a).unwrap();
    let mut wb = store.begin_write(hash.clone(), &b).unwrap();
    let mut wc = store.begin_write(hash.clone(), &c).unwrap();
    wa.write(None, &bytes[..1000]).unwrap();
    wb.write(None, &bytes).unwrap();
    wc.write(None, b"a liar").unwrap();
    wa.write(None, &bytes[1000..]).unwrap();
    // The failing writer first: it must not disturb the others.
    assert!(matches!(wc.finish(), Err(CosError::Data)));
    let vb = wb.finish().unwrap();
    let va = wa.finish().unwrap();
    store.publish(vb, &b, &RequestedOrigins::SameSite).unwrap();
    store.publish(va, &a, &RequestedOrigins::SameSite).unwrap();

    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    let mut storers: Vec<_> = entries[0]
        .stored_by
        .iter()
        .map(|s| s.origin.clone())
        .collect();
    storers.sort();
    assert_eq!(storers, vec![a.clone(), b.clone()]);
    assert_eq!(files_under(&store.layout().content_dir()).len(), 1);
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
    assert!(found(get(&mut store, &a, &hash)));
    assert!(found(get(&mut store, &b, &hash)));
    assert!(!found(get(&mut store, &c, &hash)));
}

#[test]
fn n_origins_store_one_file() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let bytes = vec![1u8; 64 * 1024];
    for i in 0..10 {
        put(
            &mut store,
            &origin(&format!("https://s{i}.example")),
            &bytes,
            RequestedOrigins::SameSite,
        )
        .unwrap();
    }
    assert_eq!(files_under(&store.layout().content_dir()).len(), 1);
    assert_eq!(store.usage().unwrap(), bytes.len() as u64);
    assert_eq!(store.list().unwrap()[0].stored_by.len(), 10);
}

#[test]
fn seeks_and_truncates_hash_the_final_bytes() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let final_bytes = b"hello, world".to_vec();
    let mut session = store.begin_write(sha256(&final_bytes), &a).unwrap();
    session.write(None, b"hello, there, and more").unwrap();
    session.truncate(7).unwrap();
    session.write(None, b"wor").unwrap();
    session.seek(10).unwrap();
    session.write(None, b"ld").unwrap();
    session.write(Some(9), b"r").unwrap();
    store
        .publish(session.finish().unwrap(), &a, &RequestedOrigins::SameSite)
        .unwrap();
    assert_eq!(
        store.read(&sha256(&final_bytes), &a, 0, 100).unwrap(),
        final_bytes
    );
}

#[test]
fn writing_past_the_end_zero_fills() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let expected = [b"ab".as_slice(), &[0, 0, 0], b"cd"].concat();
    let mut session = store.begin_write(sha256(&expected), &a).unwrap();
    session.write(None, b"ab").unwrap();
    session.write(Some(5), b"cd").unwrap();
    store
        .publish(session.finish().unwrap(), &a, &RequestedOrigins::SameSite)
        .unwrap();
    // Even an empty write past the end moves the end (found by the model test).
    let mut session = store.begin_write(sha256(&[0]), &a).unwrap();
    session.write(Some(1), b"").unwrap();
    assert!(session.finish().is_ok());
    // Growing by truncate zero-fills too.
    let grown = [b"xy".as_slice(), &[0; 4]].concat();
    let mut session = store.begin_write(sha256(&grown), &a).unwrap();
    session.write(None, b"xy").unwrap();
    session.truncate(6).unwrap();
    assert!(session.finish().is_ok());
}

#[test]
fn positions_beyond_the_file_cap_are_errors_not_allocations() {
    let fx = Fixture::new();
    let store = fx.open();
    let a = origin("https://a.example");
    let mut session = store.begin_write(sha256(b""), &a).unwrap();
    let quota = |r: Result<(), CosError>| matches!(r, Err(CosError::QuotaExceeded(_)));
    assert!(quota(session.seek(MAX_FILE_SIZE + 1)));
    assert!(quota(session.truncate(MAX_FILE_SIZE + 1)));
    assert!(quota(session.write(Some(MAX_FILE_SIZE), b"x")));
    assert!(quota(session.write(Some(u64::MAX), b"x")));
    assert!(quota(session.truncate(u64::MAX)));
    // Nothing was allocated, and the session is still usable.
    let tmp = files_under(&store.layout().tmp_dir());
    assert_eq!(std::fs::metadata(&tmp[0]).unwrap().len(), 0);
    assert!(session.finish().is_ok());
}

#[test]
fn entries_persist_across_reopen() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    {
        let mut store = fx.open();
        put(&mut store, &a, b"kept", RequestedOrigins::SameSite).unwrap();
    }
    let mut store = fx.open();
    assert!(found(get(&mut store, &a, &sha256(b"kept"))));
    assert_eq!(store.read(&sha256(b"kept"), &a, 0, 10).unwrap(), b"kept");
}
