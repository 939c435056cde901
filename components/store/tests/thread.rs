/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The storage thread under concurrency: many writers and readers at once,
//! in-order replies, and lookups answered while big writes hash.

mod common;

use std::sync::mpsc;

use common::*;
use cos_store::thread::{StoreSender, StoreThread};
use cos_traits::{
    CosAdminRequest, CosError, CosHash, CosRequest, CosResponse, LookupOutcome, Origin,
    RequestedOrigins, WriteId,
};

fn begin(
    chan: &StoreSender,
    hash: &CosHash,
    origin: &Origin,
    requested: RequestedOrigins,
) -> WriteId {
    match chan.call(CosRequest::BeginWrite {
        hash: hash.clone(),
        origin: origin.clone(),
        requested,
    }) {
        Ok(CosResponse::WriteStarted(id)) => id,
        other => panic!("unexpected {other:?}"),
    }
}

fn write_all(
    chan: &StoreSender,
    origin: &Origin,
    bytes: &[u8],
    requested: RequestedOrigins,
) -> Result<CosResponse, CosError> {
    let id = begin(chan, &sha256(bytes), origin, requested);
    for chunk in bytes.chunks(64 * 1024) {
        chan.call(CosRequest::Write {
            id,
            position: None,
            bytes: chunk.to_vec(),
        })?;
    }
    chan.call(CosRequest::Finish { id })
}

fn lookup(chan: &StoreSender, origin: &Origin, hash: &CosHash) -> Result<CosResponse, CosError> {
    chan.call(CosRequest::Lookup {
        hash: hash.clone(),
        origin: origin.clone(),
        top_site: origin.site().clone(),
    })
}

#[test]
fn many_writers_and_readers_at_once() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let shared: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8).collect();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let chan = thread.sender();
            let shared = shared.clone();
            std::thread::spawn(move || {
                let me = origin(&format!("https://w{i}.example"));
                // Everyone writes the shared file and one of their own.
                let own: Vec<u8> = vec![i as u8; 100_000 + i];
                assert!(matches!(
                    write_all(&chan, &me, &shared, RequestedOrigins::SameSite),
                    Ok(CosResponse::Stored { .. })
                ));
                write_all(&chan, &me, &own, RequestedOrigins::SameSite).unwrap();
                // A liar among the writers changes nothing for the others.
                let id = begin(&chan, &sha256(&shared), &me, RequestedOrigins::Global);
                chan.call(CosRequest::Write {
                    id,
                    position: None,
                    bytes: b"lies".to_vec(),
                })
                .unwrap();
                assert_eq!(chan.call(CosRequest::Finish { id }), Err(CosError::Data));
                // Read back both.
                for bytes in [&shared, &own] {
                    assert!(matches!(
                        lookup(&chan, &me, &sha256(bytes)),
                        Ok(CosResponse::Lookup(LookupOutcome::Found(_)))
                    ));
                    let mut got = Vec::new();
                    loop {
                        match chan.call(CosRequest::Read {
                            hash: sha256(bytes),
                            origin: me.clone(),
                            offset: got.len() as u64,
                            len: 50_000,
                        }) {
                            Ok(CosResponse::Bytes(b)) if b.is_empty() => break,
                            Ok(CosResponse::Bytes(b)) => got.extend(b),
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                    assert_eq!(&got, bytes);
                }
                // Nobody sees another writer's own file.
                let other = vec![((i + 1) % 8) as u8; 100_000 + (i + 1) % 8];
                assert_eq!(lookup(&chan, &me, &sha256(&other)), Err(CosError::NotFound));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let entries = match thread.sender().call_admin(CosAdminRequest::List) {
        Ok(CosResponse::Entries(e)) => e,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(entries.len(), 9);
    let shared_entry = entries.iter().find(|e| e.hash == sha256(&shared)).unwrap();
    assert_eq!(shared_entry.stored_by.len(), 8);
    assert!(
        !shared_entry.globally_disclosable,
        "a failed write widened nothing"
    );
}

#[test]
fn lookups_are_answered_while_a_large_write_hashes() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    write_all(&chan, &a, b"small", RequestedOrigins::SameSite).unwrap();

    // 48 MiB written out of order, so finishing re-reads and hashes it all.
    let big = vec![3u8; 48 << 20];
    let id = begin(&chan, &sha256(&big), &a, RequestedOrigins::SameSite);
    chan.call(CosRequest::Write {
        id,
        position: Some(1),
        bytes: big[1..].to_vec(),
    })
    .unwrap();
    chan.call(CosRequest::Write {
        id,
        position: Some(0),
        bytes: big[..1].to_vec(),
    })
    .unwrap();

    let (tx, rx) = mpsc::channel();
    let finish_tx = tx.clone();
    chan.send(CosRequest::Finish { id }, move |r| {
        finish_tx.send(("finish", r)).unwrap()
    });
    chan.send(
        CosRequest::Lookup {
            hash: sha256(b"small"),
            origin: a.clone(),
            top_site: a.site().clone(),
        },
        move |r| tx.send(("lookup", r)).unwrap(),
    );
    let (first, result) = rx.recv().unwrap();
    assert_eq!(first, "lookup", "the lookup waited for hashing");
    assert!(matches!(
        result,
        Ok(CosResponse::Lookup(LookupOutcome::Found(_)))
    ));
    let (second, result) = rx.recv().unwrap();
    assert_eq!(second, "finish");
    assert!(matches!(result, Ok(CosResponse::Stored { .. })));
}

#[test]
fn closed_and_unknown_streams_are_invalid_state() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    let id = begin(&chan, &sha256(b""), &a, RequestedOrigins::SameSite);
    assert!(matches!(
        chan.call(CosRequest::Finish { id }),
        Ok(CosResponse::Stored { .. })
    ));
    for request in [
        CosRequest::Write {
            id,
            position: None,
            bytes: vec![1],
        },
        CosRequest::Finish { id },
        CosRequest::Seek {
            id: WriteId(999),
            position: 0,
        },
    ] {
        assert!(matches!(chan.call(request), Err(CosError::InvalidState(_))));
    }
    // Abort discards: the hash stays absent.
    let id = begin(&chan, &sha256(b"abandoned"), &a, RequestedOrigins::SameSite);
    chan.call(CosRequest::Write {
        id,
        position: None,
        bytes: b"abandoned".to_vec(),
    })
    .unwrap();
    chan.call(CosRequest::Abort { id }).unwrap();
    assert_eq!(
        lookup(&chan, &a, &sha256(b"abandoned")),
        Err(CosError::NotFound)
    );
}

#[test]
fn a_failed_write_ends_its_stream() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    let id = begin(&chan, &sha256(b"x"), &a, RequestedOrigins::SameSite);
    chan.call(CosRequest::Write {
        id,
        position: None,
        bytes: b"x".to_vec(),
    })
    .unwrap();
    let too_far = CosRequest::Seek {
        id,
        position: u64::MAX,
    };
    assert!(matches!(
        chan.call(too_far),
        Err(CosError::QuotaExceeded(_))
    ));
    // Nothing more is taken, and the temporary file is gone.
    let write = CosRequest::Write {
        id,
        position: None,
        bytes: b"y".to_vec(),
    };
    assert!(matches!(chan.call(write), Err(CosError::InvalidState(_))));
    assert!(matches!(
        chan.call(CosRequest::Finish { id }),
        Err(CosError::InvalidState(_))
    ));
    assert!(files_under(&fx.dir.path().join("cos/tmp")).is_empty());
}

#[test]
fn stopping_the_thread_discards_open_writes() {
    let fx = Fixture::new();
    let tmp = {
        let thread = StoreThread::start(fx.config()).unwrap();
        let chan = thread.sender();
        let id = begin(
            &chan,
            &sha256(b"x"),
            &origin("https://a.example"),
            RequestedOrigins::SameSite,
        );
        chan.call(CosRequest::Write {
            id,
            position: None,
            bytes: b"x".to_vec(),
        })
        .unwrap();
        fx.dir.path().join("cos/tmp")
    };
    // Give the write thread a moment to see its channel close.
    for _ in 0..100 {
        if files_under(&tmp).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(files_under(&tmp).is_empty());
    // And the store opens again (the lock was released).
    drop(StoreThread::start(fx.config()).unwrap());
}

#[test]
fn a_store_that_cannot_open_reports_why() {
    let fx = Fixture::new();
    let _owner = fx.open();
    let err = StoreThread::start(fx.config()).err().expect("locked");
    assert!(err.to_string().contains("another process"));
}

#[test]
fn bytes_changed_after_they_were_verified_are_never_served() {
    // The entry is read once (so it was verified in this process), then a
    // byte in its second MiB changes on disk. No read returns a changed
    // byte: the piece holding it fails, and the entry is dropped.
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let hash = sha256(&bytes);
    write_all(&chan, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    let read = |offset: u64, len: u32| {
        chan.call(CosRequest::Read {
            hash: hash.clone(),
            origin: a.clone(),
            offset,
            len,
        })
    };
    assert_eq!(read(0, 8 << 20), Ok(CosResponse::Bytes(bytes.clone())));

    let path = fx
        .dir
        .path()
        .join("cos/content-v1/sha256")
        .join(&hash.value()[0..2])
        .join(&hash.value()[2..4])
        .join(hash.value());
    let mut on_disk = std::fs::read(&path).unwrap();
    on_disk[1_500_000] ^= 0x40;
    std::fs::write(&path, &on_disk).unwrap();

    // A read of the first MiB only touches intact bytes.
    assert_eq!(
        read(0, 1000),
        Ok(CosResponse::Bytes(bytes[..1000].to_vec()))
    );
    // Any read touching the changed piece fails, and serves nothing.
    assert_eq!(read(1_400_000, 200_000), Err(CosError::NotFound));
    // The entry is gone for everyone after that.
    assert_eq!(read(0, 1000), Err(CosError::NotFound));
    assert_eq!(lookup(&chan, &a, &hash), Err(CosError::NotFound));
}

#[test]
fn open_tells_a_reader_the_size_and_nobody_else_anything() {
    // getFile() opens the entry, then reads it piece by piece as the page
    // consumes it: Open must authorize exactly as Read does.
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let chan = thread.sender();
    let a = origin("https://a.example");
    let same_site = origin("https://b.a.example");
    let other = origin("https://other.example");
    let bytes = vec![7u8; 300_000];
    let hash = sha256(&bytes);
    let open = |origin: &Origin, hash: &CosHash| {
        chan.call(CosRequest::Open {
            hash: hash.clone(),
            origin: origin.clone(),
        })
    };
    assert_eq!(open(&a, &hash), Err(CosError::NotFound));
    write_all(&chan, &a, &bytes, RequestedOrigins::SameSite).unwrap();
    assert_eq!(open(&a, &hash), Ok(CosResponse::Opened { size: 300_000 }));
    assert_eq!(
        open(&same_site, &hash),
        Ok(CosResponse::Opened { size: 300_000 })
    );
    assert_eq!(open(&other, &hash), Err(CosError::NotFound));
    assert_eq!(open(&a, &sha256(b"absent")), Err(CosError::NotFound));
}
