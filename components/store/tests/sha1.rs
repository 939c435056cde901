/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! SHA-1 entries: accepted as the spec says (any WebCrypto hash name), but
//! never disclosed across sites. SHA-1 chosen-prefix collisions are
//! practical, so the site that authored a file could store a different file
//! under the same hash and have another site read it.

mod common;

use common::*;
use cos_store::Store;
use cos_store::thread::StoreThread;
use cos_traits::{
    CosError, CosHash, CosRequest, CosResponse, HashAlgorithm, Origin, RequestedOrigins,
};

fn sha1(bytes: &[u8]) -> CosHash {
    CosHash::of(HashAlgorithm::Sha1, bytes)
}

fn list(origins: &[&str]) -> RequestedOrigins {
    RequestedOrigins::from_list(origins).unwrap()
}

/// Writes `bytes` under `hash` as `origin`; how many requested origins
/// publication left off.
fn publish(
    store: &mut Store,
    origin: &Origin,
    hash: &CosHash,
    bytes: &[u8],
    requested: RequestedOrigins,
) -> usize {
    let mut session = store.begin_write(hash.clone(), origin).unwrap();
    session.write(None, bytes).unwrap();
    store
        .publish(session.finish().unwrap(), origin, &requested)
        .unwrap()
        .origins_dropped
}

/// A store whose profile Public Hash List names `bytes` under SHA-1 and
/// SHA-256, so that `'*'` would disclose either if it applied.
fn store_with_phl(fx: &Fixture, bytes: &[u8]) -> Store {
    let phl = fx.dir.path().join("phl.txt");
    std::fs::write(
        &phl,
        format!(
            "// ===BEGIN SHA-1===\n{}\n// ===END SHA-1===\n\
             // ===BEGIN SHA-256===\n{}\n// ===END SHA-256===\n",
            sha1(bytes).value(),
            sha256(bytes).value()
        ),
    )
    .unwrap();
    let mut config = fx.config();
    config.public_hash_list = Some(phl);
    Store::open(config).unwrap()
}

#[test]
fn a_sha1_entry_is_stored_and_read_same_site() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://app.a.example");
    let h = sha1(b"legacy.wasm");
    assert_eq!(
        publish(
            &mut store,
            &a,
            &h,
            b"legacy.wasm",
            RequestedOrigins::SameSite
        ),
        0
    );
    assert_eq!(
        store.layout().content_path(&h),
        fx.dir.path().join(format!(
            "cos/content-v1/sha1/{}/{}/{}",
            &h.value()[..2],
            &h.value()[2..4],
            h.value()
        ))
    );
    assert!(found(get(&mut store, &a, &h)));
    assert_eq!(store.read(&h, &a, 0, 100).unwrap(), b"legacy.wasm");
    // Same site: another origin of a.example finds and reads it too.
    let sibling = origin("https://cdn.a.example");
    assert!(found(get(&mut store, &sibling, &h)));
    assert_eq!(store.read(&h, &sibling, 0, 100).unwrap(), b"legacy.wasm");
    assert!(!found(get(&mut store, &origin("https://b.example"), &h)));
    let entries = store.list().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].hash, h);
    // Bytes that do not hash to the SHA-1 are refused like any mismatch.
    let mut session = store.begin_write(sha1(b"other"), &a).unwrap();
    session.write(None, b"not other").unwrap();
    assert_eq!(session.finish().err(), Some(CosError::Data));
}

#[test]
fn listing_or_star_does_not_disclose_a_sha1_entry_across_sites() {
    let fx = Fixture::new();
    let bytes = b"popular library";
    let mut store = store_with_phl(&fx, bytes);
    let (a, b) = (origin("https://a.example"), origin("https://b.example"));
    let h = sha1(bytes);
    assert!(store.public_hash_list().contains(&h));

    // Neither is applied; the write succeeds and reports what it left off
    // ('*' counts as one).
    let listed = list(&["https://b.example", "https://c.example"]);
    assert_eq!(publish(&mut store, &a, &h, bytes, listed.clone()), 2);
    assert_eq!(
        publish(&mut store, &a, &h, bytes, RequestedOrigins::Global),
        1
    );
    let entry = &store.list().unwrap()[0];
    assert!(entry.listed_origins.is_empty());
    assert!(!entry.globally_disclosable);
    assert!(entry.on_public_hash_list);

    for other in [
        &b,
        &origin("https://c.example"),
        &origin("https://d.example"),
    ] {
        assert_eq!(get(&mut store, other, &h), Err(CosError::NotFound));
        assert_eq!(store.read(&h, other, 0, 100), Err(CosError::NotFound));
    }
    assert!(found(get(&mut store, &a, &h)));

    // The same bytes under SHA-256, with the same requests, are disclosed:
    // it is the algorithm that keeps the SHA-1 entry same-site.
    let h256 = sha256(bytes);
    assert_eq!(publish(&mut store, &a, &h256, bytes, listed), 0);
    assert_eq!(
        publish(&mut store, &a, &h256, bytes, RequestedOrigins::Global),
        0
    );
    assert!(found(get(&mut store, &b, &h256)));
    assert!(found(get(&mut store, &origin("https://d.example"), &h256)));
}

#[test]
fn a_sha1_entry_stays_same_site_even_if_the_index_says_otherwise() {
    let fx = Fixture::new();
    let bytes = b"popular library";
    let a = origin("https://a.example");
    let h = sha1(bytes);
    let index = {
        let mut store = store_with_phl(&fx, bytes);
        publish(&mut store, &a, &h, bytes, RequestedOrigins::SameSite);
        store.layout().index()
    };
    {
        // An index from elsewhere (or tampered with) that grants it anyway.
        let conn = rusqlite::Connection::open(&index).unwrap();
        conn.execute("UPDATE entries SET global = 1", []).unwrap();
        conn.execute(
            "INSERT INTO listed (entry, origin, site, added)
             SELECT id, 'https://b.example', 'https://b.example', 0 FROM entries",
            [],
        )
        .unwrap();
    }
    let mut store = store_with_phl(&fx, bytes);
    let entry = &store.list().unwrap()[0];
    assert!(entry.globally_disclosable);
    assert_eq!(entry.listed_origins, vec![origin("https://b.example")]);
    assert!(!found(get(&mut store, &origin("https://b.example"), &h)));
    assert!(!found(get(&mut store, &origin("https://d.example"), &h)));
    assert!(found(get(&mut store, &a, &h)));
}

#[test]
fn a_sha1_entry_survives_reopening_and_recovery() {
    let fx = Fixture::new();
    let a = origin("https://a.example");
    let h = sha1(b"kept");
    let index = {
        let mut store = fx.open();
        publish(&mut store, &a, &h, b"kept", list(&["https://b.example"]));
        store.layout().index()
    };
    {
        let mut store = fx.open();
        assert_eq!(store.repairs().orphan_files_adopted, 0);
        assert_eq!(store.repairs().malformed_rows_dropped, 0);
        assert!(found(get(&mut store, &a, &h)));
        assert_eq!(store.read(&h, &a, 0, 100).unwrap(), b"kept");
        assert!(!found(get(&mut store, &origin("https://b.example"), &h)));
        assert_eq!(store.verify().unwrap().entries_verified, 1);
    }
    // A lost index is rebuilt from the content files: the SHA-1 file is
    // recognised by its directory, its bytes checked, and adopted.
    std::fs::write(&index, b"").unwrap();
    let mut store = fx.open();
    assert_eq!(store.repairs().orphan_files_adopted, 1);
    assert_eq!(store.repairs().orphan_files_removed, 0);
    assert_eq!(store.list().unwrap()[0].hash, h);
    // Adopted entries have no storer until a site stores the bytes again.
    assert!(!found(get(&mut store, &a, &h)));
    publish(&mut store, &a, &h, b"kept", RequestedOrigins::SameSite);
    assert!(found(get(&mut store, &a, &h)));
    assert!(!found(get(&mut store, &origin("https://b.example"), &h)));
}

#[test]
fn the_storage_thread_reports_the_dropped_origins() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    for (bytes, requested, dropped) in [
        (&b"one"[..], RequestedOrigins::Global, 1),
        (b"two", list(&["https://b.example"]), 1),
        (b"three", RequestedOrigins::SameSite, 0),
    ] {
        let id = match chan.call(CosRequest::BeginWrite {
            hash: sha1(bytes),
            origin: a.clone(),
            requested,
        }) {
            Ok(CosResponse::WriteStarted(id)) => id,
            other => panic!("unexpected {other:?}"),
        };
        chan.call(CosRequest::Write {
            id,
            position: None,
            bytes: bytes.to_vec(),
        })
        .unwrap();
        assert_eq!(
            chan.call(CosRequest::Finish { id }),
            Ok(CosResponse::Stored {
                origins_dropped: dropped
            })
        );
        assert!(matches!(
            chan.call(CosRequest::Lookup {
                hash: sha1(bytes),
                origin: origin("https://b.example"),
                top_site: site("https://b.example"),
            }),
            Err(CosError::NotFound)
        ));
    }
}

/// Stands in for a SHA-1 collision, which a test cannot make: the stored
/// file's bytes are replaced by others of the same size, which the store
/// does not re-hash when a write joins the entry. `rename`: as a new file
/// (another inode), else in place.
fn plant(store: &Store, hash: &CosHash, bytes: &[u8], rename: bool) {
    let path = store.layout().content_path(hash);
    if rename {
        let planted = path.with_extension("planted");
        std::fs::write(&planted, bytes).unwrap();
        std::fs::rename(&planted, &path).unwrap();
    } else {
        std::fs::write(&path, bytes).unwrap();
    }
}

#[test]
fn a_sha1_write_joins_a_stored_entry_only_with_the_same_bytes() {
    let fx = Fixture::new();
    let mut store = fx.open();
    let (a, b, c, d) = (
        origin("https://a.example"),
        origin("https://b.example"),
        origin("https://c.example"),
        origin("https://d.example"),
    );
    let real = b"the library its author published";
    let h = sha1(real);
    publish(&mut store, &a, &h, real, RequestedOrigins::SameSite);
    // The same bytes join the entry, as for any hash.
    publish(&mut store, &b, &h, real, RequestedOrigins::SameSite);
    assert!(found(get(&mut store, &b, &h)));
    assert_eq!(store.read(&h, &b, 0, 100).unwrap(), real);

    // Other bytes under the same SHA-1 are stored: a later writer of the
    // real file is refused rather than recorded as a storer of them.
    let other = b"a colliding file, same length!!!";
    assert_eq!(other.len(), real.len());
    plant(&store, &h, other, false);
    let mut session = store.begin_write(h.clone(), &c).unwrap();
    session.write(None, real).unwrap();
    let verified = session.finish().unwrap();
    let refused = store.publish(verified, &c, &RequestedOrigins::SameSite);
    assert_eq!(refused.unwrap_err().dom_name(), "NotAllowedError");
    assert!(!found(get(&mut store, &c, &h)));
    let entry = &store.list().unwrap()[0];
    let storers: Vec<&Origin> = entry.stored_by.iter().map(|s| &s.origin).collect();
    assert_eq!(storers, vec![&a, &b]);

    // The stored file changes between the write's comparison and its
    // publication (another inode at the path): publication compares again.
    plant(&store, &h, real, false);
    let mut session = store.begin_write(h.clone(), &d).unwrap();
    session.write(None, real).unwrap();
    let verified = session.finish().unwrap();
    plant(&store, &h, other, true);
    let refused = store.publish(verified, &d, &RequestedOrigins::SameSite);
    assert_eq!(refused.unwrap_err().dom_name(), "NotAllowedError");
    assert!(!found(get(&mut store, &d, &h)));
    // With the real bytes back, the write joins.
    plant(&store, &h, real, true);
    publish(&mut store, &d, &h, real, RequestedOrigins::SameSite);
    assert_eq!(store.read(&h, &d, 0, 100).unwrap(), real);
}
