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
fn bytes_changed_between_reads_are_caught() {
    // Pieces a read checked are checked again by the next: what is kept
    // from one read to the next is the digests, never the bytes.
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let mut store = fx.open();
    let bytes: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i % 239) as u8).collect();
    put(&mut store, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    let hash = sha256(&bytes);
    let path = store.layout().content_path(&hash);
    assert_eq!(store.read(&hash, &a, 0, 8 << 20).unwrap(), bytes);
    let mut rotten = bytes.clone();
    rotten[(2 << 20) + 5] ^= 0x10;
    std::fs::write(&path, &rotten).unwrap();
    // The first piece still matches; the read of the third does not.
    assert_eq!(store.read(&hash, &a, 0, 10).unwrap(), &bytes[..10]);
    assert_eq!(store.read(&hash, &a, 2 << 20, 10), Err(CosError::NotFound));
    assert!(!path.exists());
    assert!(!found(get(&mut store, &a, &hash)));
    // Stored again, the entry reads again.
    put(&mut store, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    assert_eq!(store.read(&hash, &a, 0, 8 << 20).unwrap(), bytes);
    // A file cut short is caught the same way.
    std::fs::write(&path, &bytes[..(1 << 20) + 3]).unwrap();
    assert_eq!(store.read(&hash, &a, 0, 8 << 20), Err(CosError::NotFound));
    assert!(!path.exists());
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

/// A store with two entries, one of `a`'s, one listed for `b`; returns the
/// index's path.
fn two_entries(fx: &Fixture) -> std::path::PathBuf {
    let mut store = fx.open();
    put(
        &mut store,
        &origin("https://a.example"),
        b"x",
        RequestedOrigins::SameSite,
    )
    .unwrap();
    put(
        &mut store,
        &origin("https://a.example"),
        b"model weights",
        RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
    )
    .unwrap();
    store.layout().index()
}

#[test]
fn a_damaged_index_is_set_aside_and_rebuilt_from_the_content_files() {
    for damage in ["garbage", "truncated", "zero-length"] {
        let fx = Fixture::new();
        let index = two_entries(&fx);
        let original = std::fs::read(&index).unwrap();
        match damage {
            "garbage" => std::fs::write(&index, vec![0x5au8; 8192]).unwrap(),
            "truncated" => std::fs::write(&index, &original[..original.len() / 2]).unwrap(),
            _ => std::fs::write(&index, b"").unwrap(),
        }
        let damaged = std::fs::read(&index).unwrap();
        let store = Store::open(fx.config()).unwrap_or_else(|e| panic!("{damage}: {e}"));
        let repairs = store.repairs().clone();
        // The content files were adopted, not deleted.
        assert_eq!(repairs.orphan_files_adopted, 2, "{damage}: {repairs:?}");
        assert_eq!(repairs.orphan_files_removed, 0, "{damage}");
        assert_eq!(files_under(&fx.dir.path().join("cos/content-v1")).len(), 2);
        let hashes: Vec<_> = store.list().unwrap().into_iter().map(|e| e.hash).collect();
        assert!(hashes.contains(&sha256(b"model weights")), "{damage}");
        // An index SQLite cannot read is kept, byte for byte, for a person
        // to look at; a zero-length one reads as empty and is reused.
        match &repairs.index_set_aside {
            Some(aside) => assert_eq!(std::fs::read(aside).unwrap(), damaged, "{damage}"),
            None => assert_eq!(damage, "zero-length"),
        }
        // Adopted entries have no storing origin: nobody reads them until
        // a site stores the bytes again, which then works as usual.
        drop(store);
        let mut store = fx.open();
        let a = origin("https://a.example");
        assert!(!found(get(&mut store, &a, &sha256(b"x"))), "{damage}");
        put(&mut store, &a, b"x", RequestedOrigins::SameSite).unwrap();
        assert!(found(get(&mut store, &a, &sha256(b"x"))), "{damage}");
    }
}

#[test]
fn a_file_whose_bytes_do_not_match_its_name_is_not_adopted() {
    let fx = Fixture::new();
    let index = two_entries(&fx);
    let store = fx.open();
    let path = store.layout().content_path(&sha256(b"x"));
    drop(store);
    std::fs::write(&path, b"y").unwrap();
    std::fs::write(&index, b"").unwrap();
    let store = fx.open();
    assert_eq!(store.repairs().orphan_files_adopted, 1);
    assert_eq!(store.repairs().orphan_files_removed, 1);
    assert!(!path.exists());
}

#[test]
fn unreadable_rows_and_stray_directories_cost_only_themselves() {
    let fx = Fixture::new();
    let index = two_entries(&fx);
    {
        let conn = rusqlite::Connection::open(&index).unwrap();
        // An entry row of an algorithm this code does not know, and a
        // storing origin that does not parse.
        conn.execute(
            "INSERT INTO entries (algorithm, digest, size, created) VALUES ('BLAKE3', x'00', 1, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO storers (entry, origin, site, first, last, count)
             SELECT id, 'not an origin', 'x', 0, 0, 1 FROM entries WHERE size = 13",
            [],
        )
        .unwrap();
    }
    std::fs::create_dir_all(fx.dir.path().join("cos/tmp/stray/deeper")).unwrap();
    let store = fx.open();
    assert_eq!(store.repairs().malformed_rows_dropped, 2);
    assert!(!fx.dir.path().join("cos/tmp/stray").exists());
    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert!(
            entry
                .stored_by
                .iter()
                .all(|s| s.origin.as_str() == "https://a.example")
        );
    }
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
