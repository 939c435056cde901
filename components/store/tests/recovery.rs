/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Opening a store after damage: leftovers are cleaned, bad entries are
//! dropped and never served, a bad database is an error that names it.

mod common;

use common::*;
use cos_store::{OpenError, SCHEMA_VERSION, Store};
use cos_traits::{CosError, RequestedOrigins};

#[test]
fn temporary_files_of_interrupted_writes_are_removed() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    {
        let store = fx.open();
        let mut session = store.begin_write(sha256(b"x"), &a).unwrap();
        session.write(None, b"x").unwrap();
        // A crash: neither Drop nor finish runs.
        std::mem::forget(session);
        assert_eq!(files_under(&store.layout().tmp_dir()).len(), 1);
    }
    let store = fx.open();
    assert_eq!(store.repairs().temp_files_removed, 1);
    assert!(files_under(&store.layout().tmp_dir()).is_empty());
}

#[test]
fn files_without_rows_and_rows_without_files_are_dropped() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let (content, kept, lost, truncated) = {
        let mut store = fx.open();
        put(&mut store, &a, b"kept", RequestedOrigins::SameSite).unwrap();
        put(&mut store, &a, b"lost", RequestedOrigins::SameSite).unwrap();
        put(&mut store, &a, b"truncated", RequestedOrigins::SameSite).unwrap();
        let layout = store.layout().clone();
        (
            layout.content_dir(),
            layout.content_path(&sha256(b"kept")),
            layout.content_path(&sha256(b"lost")),
            layout.content_path(&sha256(b"truncated")),
        )
    };
    std::fs::remove_file(&lost).unwrap();
    std::fs::write(&truncated, b"trunc").unwrap();
    // A publication interrupted between rename and commit.
    let orphan = content.join("sha256/00/00/orphan");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"?").unwrap();

    let mut store = fx.open();
    let repairs = store.repairs().clone();
    assert_eq!(repairs.orphan_files_removed, 1);
    let mut dropped = repairs.entries_dropped.clone();
    dropped.sort();
    let mut expected = vec![sha256(b"lost"), sha256(b"truncated")];
    expected.sort();
    assert_eq!(dropped, expected);
    assert_eq!(files_under(&content), vec![kept]);
    assert!(found(get(&mut store, &a, &sha256(b"kept"))));
    assert!(!found(get(&mut store, &a, &sha256(b"lost"))));
}

#[test]
fn corrupted_bytes_are_never_served() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let path = {
        let mut store = fx.open();
        put(&mut store, &a, b"original", RequestedOrigins::SameSite).unwrap();
        put(&mut store, &a, b"second", RequestedOrigins::SameSite).unwrap();
        store.layout().content_path(&sha256(b"original"))
    };
    // Same size, different bytes: only hashing can tell.
    std::fs::write(&path, b"ORIGINAL").unwrap();
    let mut store = fx.open();
    assert!(store.repairs().entries_dropped.is_empty());
    assert_eq!(
        store.read(&sha256(b"original"), &a, 0, 100),
        Err(CosError::NotFound)
    );
    assert!(!found(get(&mut store, &a, &sha256(b"original"))));
    assert!(!path.exists());
    assert_eq!(
        store.read(&sha256(b"second"), &a, 0, 100).unwrap(),
        b"second"
    );
}

#[test]
fn verify_hashes_everything() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let mut store = fx.open();
    put(&mut store, &a, b"good", RequestedOrigins::SameSite).unwrap();
    put(&mut store, &a, b"bad!", RequestedOrigins::SameSite).unwrap();
    std::fs::write(store.layout().content_path(&sha256(b"bad!")), b"BAD!").unwrap();
    let report = store.verify().unwrap();
    assert_eq!(report.entries_verified, 1);
    assert_eq!(report.entries_dropped, vec![sha256(b"bad!")]);
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn a_corrupt_index_is_an_error_naming_the_file_and_is_left_alone() {
    let fx = Fixture::new();
    let index = {
        let mut store = fx.open();
        put(
            &mut store,
            &origin("https://a.example"),
            b"x",
            RequestedOrigins::SameSite,
        )
        .unwrap();
        store.layout().index()
    };
    let garbage = vec![0x5au8; 8192];
    std::fs::write(&index, &garbage).unwrap();
    let err = Store::open(fx.config())
        .err()
        .expect("a corrupt index does not open");
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains(index.to_str().unwrap()), "{err}");
    assert_eq!(std::fs::read(&index).unwrap(), garbage);
    // The content was not deleted to "fix" it.
    assert_eq!(files_under(&fx.dir.path().join("cos/content-v1")).len(), 1);
}

#[test]
fn a_newer_schema_is_an_error_and_is_left_alone() {
    let fx = Fixture::new();
    let index = fx.open().layout().index();
    {
        let conn = rusqlite::Connection::open(&index).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(fx.config())
        .err()
        .expect("a newer schema does not open");
    assert!(
        matches!(err, OpenError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{err:?}"
    );
    assert!(err.to_string().contains(index.to_str().unwrap()));
}

#[test]
fn one_process_owns_a_store_at_a_time() {
    let fx = Fixture::new();
    let _first = fx.open();
    let err = Store::open(fx.config())
        .err()
        .expect("a second owner is refused");
    assert!(err.to_string().contains("another process"), "{err}");
}

#[test]
fn a_malformed_public_hash_list_names_its_line() {
    let fx = Fixture::new();
    let phl = fx.dir.path().join("phl.txt");
    std::fs::write(&phl, "// ===BEGIN SHA-256===\nnot-a-digest\n").unwrap();
    let mut config = fx.config();
    config.public_hash_list = Some(phl);
    let err = Store::open(config).err().unwrap();
    assert!(
        matches!(err, OpenError::PublicHashList { line: 2, .. }),
        "{err:?}"
    );
}
