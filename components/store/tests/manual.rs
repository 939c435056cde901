/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Files the person adds from disk (spec: "Manually added entries"): no
//! storing origin, globally disclosable, so the Public Hash List decides.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use cos_store::{AddedFile, CHUNK, MAX_READ, Store, StoreConfig, thread::StoreThread};
use cos_traits::{CosAdminRequest, CosError, CosHash, CosResponse, Origin, RequestedOrigins};

/// A multi-piece file, so that piece digests are exercised.
fn model_bytes() -> Vec<u8> {
    (0..(CHUNK * 2 + 123))
        .map(|i| (i * 31 % 251) as u8)
        .collect()
}

fn file_on_disk(fx: &Fixture, name: &str, bytes: &[u8]) -> PathBuf {
    let path = fx.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The fixture's config with a Public Hash List of `hashes` (and not the
/// shipped one).
fn config_with_phl(fx: &Fixture, hashes: &[&CosHash]) -> StoreConfig {
    let phl = fx.dir.path().join("phl.txt");
    let lines: Vec<String> = hashes.iter().map(|h| h.value()).collect();
    std::fs::write(
        &phl,
        format!(
            "// ===BEGIN SHA-256===\n{}\n// ===END SHA-256===\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    let mut config = fx.config();
    config.public_hash_list = Some(phl);
    config.built_in_public_hash_list = false;
    config
}

fn read_all(store: &mut Store, origin: &Origin, hash: &CosHash) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let piece = store
            .read(hash, origin, out.len() as u64, MAX_READ)
            .unwrap();
        if piece.is_empty() {
            return out;
        }
        out.extend_from_slice(&piece);
    }
}

fn tmp_is_empty(fx: &Fixture) -> bool {
    files_under(&fx.dir.path().join("cos/tmp")).is_empty()
}

#[test]
fn an_added_file_is_global_with_no_storers() {
    let fx = Fixture::new();
    let bytes = model_bytes();
    let path = file_on_disk(&fx, "model.bin", &bytes);
    let hash = sha256(&bytes);
    let mut store = Store::open(config_with_phl(&fx, &[&hash])).unwrap();

    let added = store.add_file(&path).unwrap();
    assert_eq!(
        added,
        AddedFile {
            hash: hash.clone(),
            size: bytes.len() as u64,
            already_present: false,
        }
    );
    // The original is the person's: it stays where it was.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(tmp_is_empty(&fx));

    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.hash, hash);
    assert_eq!(entry.size, bytes.len() as u64);
    assert!(entry.globally_disclosable);
    assert!(entry.on_public_hash_list);
    assert!(entry.stored_by.is_empty());
    assert!(entry.listed_origins.is_empty());
    assert!(entry.read_by.is_empty());
    // No origin is charged for it.
    assert_eq!(store.usage().unwrap(), bytes.len() as u64);

    // A site that never stored it finds it through the Public Hash List,
    // then reads it, every piece checked.
    let b = origin("https://b.example");
    assert!(found(get(&mut store, &b, &hash)));
    assert_eq!(read_all(&mut store, &b, &hash), bytes);
    let report = store.verify().unwrap();
    assert_eq!(report.entries_verified, 1);
    assert!(report.entries_dropped.is_empty());
}

#[test]
fn the_public_hash_list_decides_who_finds_it() {
    let fx = Fixture::new();
    let bytes = model_bytes();
    let path = file_on_disk(&fx, "model.bin", &bytes);
    let hash = sha256(&bytes);
    let a = origin("https://a.example");
    let b = origin("https://b.other");

    // Not on the list: no one finds it, not even with the '*' flag (there
    // is no storing origin to be same-site with).
    let mut store = Store::open(config_with_phl(&fx, &[])).unwrap();
    store.add_file(&path).unwrap();
    assert!(store.list().unwrap()[0].globally_disclosable);
    assert!(!found(get(&mut store, &a, &hash)));
    assert!(!found(get(&mut store, &b, &hash)));
    assert_eq!(store.read(&hash, &a, 0, 10), Err(CosError::NotFound));
    drop(store);

    // On the list: every site does.
    let mut store = Store::open(config_with_phl(&fx, &[&hash])).unwrap();
    assert!(found(get(&mut store, &a, &hash)));
    assert!(found(get(&mut store, &b, &hash)));
}

#[test]
fn an_unreadable_path_is_a_type_error_naming_it() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let missing = fx.dir.path().join("no such model.bin");
    match store.add_file(&missing) {
        Err(CosError::Type(message)) => {
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            )
        },
        other => panic!("unexpected {other:?}"),
    }
    let dir = fx.dir.path().join("a directory");
    std::fs::create_dir(&dir).unwrap();
    match store.add_file(&dir) {
        Err(CosError::Type(message)) => {
            assert!(message.contains(&dir.display().to_string()), "{message}")
        },
        other => panic!("unexpected {other:?}"),
    }
    assert!(store.list().unwrap().is_empty());
    assert!(tmp_is_empty(&fx));
}

#[test]
fn adding_stored_bytes_leaves_their_grants_alone() {
    let fx = Fixture::new();
    let bytes = b"a site's own file".to_vec();
    let hash = sha256(&bytes);
    let mut store = Store::open(config_with_phl(&fx, &[&hash])).unwrap();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(&mut store, &a, &bytes, RequestedOrigins::SameSite).unwrap();

    let path = file_on_disk(&fx, "same bytes", &bytes);
    let added = store.add_file(&path).unwrap();
    assert_eq!(
        added,
        AddedFile {
            hash: hash.clone(),
            size: bytes.len() as u64,
            already_present: true,
        }
    );
    // Still same-site only, though on the Public Hash List: the site did
    // not ask for '*', and the person's add does not make it so.
    let entry = &store.list().unwrap()[0];
    assert!(!entry.globally_disclosable);
    assert_eq!(entry.stored_by.len(), 1);
    assert_eq!(entry.stored_by[0].origin, a);
    assert!(!found(get(&mut store, &b, &hash)));
    assert!(found(get(&mut store, &a, &hash)));
    assert!(tmp_is_empty(&fx));
}

#[test]
fn a_site_storing_an_added_file_becomes_its_storer() {
    let fx = Fixture::new();
    let bytes = b"seeded by the person".to_vec();
    let hash = sha256(&bytes);
    let mut store = Store::open(config_with_phl(&fx, &[])).unwrap();
    store.add_file(&file_on_disk(&fx, "seed", &bytes)).unwrap();
    let a = origin("https://a.example");
    assert!(!found(get(&mut store, &a, &hash)));
    // Storing it costs the site no download and makes it a storer, as for
    // any entry that already exists.
    put(&mut store, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    assert!(found(get(&mut store, &a, &hash)));
    let entry = &store.list().unwrap()[0];
    assert!(entry.globally_disclosable);
    assert_eq!(entry.stored_by.len(), 1);
}

#[test]
fn an_added_file_survives_reopening() {
    let fx = Fixture::new();
    let bytes = model_bytes();
    let hash = sha256(&bytes);
    let config = config_with_phl(&fx, &[&hash]);
    let mut store = Store::open(config.clone()).unwrap();
    store
        .add_file(&file_on_disk(&fx, "model.bin", &bytes))
        .unwrap();
    drop(store);

    let mut store = Store::open(config).unwrap();
    assert_eq!(store.repairs(), &Default::default());
    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].globally_disclosable);
    assert!(entries[0].stored_by.is_empty());
    let b = origin("https://b.example");
    assert!(found(get(&mut store, &b, &hash)));
    assert_eq!(read_all(&mut store, &b, &hash), bytes);
}

#[test]
fn added_files_count_against_the_store_budget_only() {
    let fx = Fixture::new();
    let mut config = fx.config();
    // A 600 000-byte store, 120 000 bytes per origin.
    config.disk_capacity = Some(1_000_000);
    let mut store = Store::open(config).unwrap();
    let first = vec![1u8; 350_000];
    let second = vec![2u8; 350_000];
    // Past any origin's budget: no origin pays for it.
    store.add_file(&file_on_disk(&fx, "first", &first)).unwrap();
    // The store is full: the least recently read entry makes room, after
    // the new one is in.
    store
        .add_file(&file_on_disk(&fx, "second", &second))
        .unwrap();
    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].hash, sha256(&second));

    // Larger than the store: refused before anything is copied.
    let huge = file_on_disk(&fx, "huge", &vec![3u8; 600_001]);
    assert!(matches!(
        store.add_file(&huge),
        Err(CosError::QuotaExceeded(_))
    ));
    assert_eq!(store.list().unwrap().len(), 1);
    assert!(tmp_is_empty(&fx));
}

#[test]
fn the_storage_thread_adds_files() {
    let fx = Fixture::new();
    let bytes = model_bytes();
    let hash = sha256(&bytes);
    let path = file_on_disk(&fx, "model.bin", &bytes);
    let thread = StoreThread::start(config_with_phl(&fx, &[&hash])).unwrap();
    let sender = thread.sender();
    let added = |path: &Path| {
        sender.call_admin(CosAdminRequest::AddFile {
            path: path.to_owned(),
        })
    };
    assert_eq!(
        added(&path),
        Ok(CosResponse::Added {
            hash: hash.clone(),
            size: bytes.len() as u64,
            already_present: false,
        })
    );
    assert_eq!(
        added(&path),
        Ok(CosResponse::Added {
            hash: hash.clone(),
            size: bytes.len() as u64,
            already_present: true,
        })
    );
    assert!(matches!(
        added(&fx.dir.path().join("missing")),
        Err(CosError::Type(_))
    ));
    match sender.call_admin(CosAdminRequest::List) {
        Ok(CosResponse::Entries(entries)) => {
            assert_eq!(entries.len(), 1);
            assert!(entries[0].globally_disclosable);
            assert!(entries[0].stored_by.is_empty());
        },
        other => panic!("unexpected {other:?}"),
    }
}
