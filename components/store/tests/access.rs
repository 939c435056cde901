/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! A content process attacking the store through the IPC layer: it holds
//! only the sending end of a real `ipc-channel` to a relay in the trusted
//! process, which forwards through a `ContentSender` bound to the one site
//! the process runs (as Servo's bridge does). It claims another origin,
//! continues another process's write, and sends administrative messages by
//! reinterpreting its channel; all of it is refused and the store is as it
//! was.

mod common;

use std::thread::JoinHandle;

use common::*;
use cos_store::access::ContentSender;
use cos_store::thread::{StoreSender, StoreThread};
use cos_traits::{
    ConsentDecision, CosAdminRequest, CosError, CosHash, CosRequest, CosResponse, LookupOutcome,
    Origin, RequestedOrigins, Site, WriteId,
};
use ipc_channel::ipc::{self, IpcReceiver, IpcSender};

type Reply = IpcSender<Result<CosResponse, CosError>>;

/// The trusted end: what Servo's bridge does for one event loop. A message
/// that fails to deserialize is dropped, and the relay goes on. (ipc-channel
/// can panic while decoding a malformed message, and leaves its per-thread
/// decoding state broken when it does: the relay then carries on in a new
/// thread.) Returns how many messages could not be decoded.
fn relay(store: StoreSender, site: Site) -> (IpcSender<(CosRequest, Reply)>, JoinHandle<usize>) {
    let (tx, rx): (_, IpcReceiver<(CosRequest, Reply)>) = ipc::channel().unwrap();
    let content = ContentSender::new(store, move |origin: &Origin| origin.site() == &site);
    (tx, std::thread::spawn(move || serve(rx, content, 0)))
}

fn serve(
    rx: IpcReceiver<(CosRequest, Reply)>,
    content: ContentSender,
    mut undecodable: usize,
) -> usize {
    loop {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.recv())) {
            Ok(Ok((request, reply))) => content.send(request, move |result| {
                let _ = reply.send(result);
            }),
            Ok(Err(ipc_channel::IpcError::Disconnected)) => return undecodable,
            Ok(Err(_)) => undecodable += 1,
            Err(_) => {
                return std::thread::spawn(move || serve(rx, content, undecodable + 1))
                    .join()
                    .unwrap();
            },
        }
    }
}

fn call(tx: &IpcSender<(CosRequest, Reply)>, request: CosRequest) -> Result<CosResponse, CosError> {
    let (reply, answer) = ipc::channel().unwrap();
    tx.send((request, reply)).unwrap();
    answer.recv().unwrap()
}

fn lookup(origin: &Origin, hash: &CosHash) -> CosRequest {
    CosRequest::Lookup {
        hash: hash.clone(),
        origin: origin.clone(),
        top_site: origin.site().clone(),
    }
}

fn begin(tx: &IpcSender<(CosRequest, Reply)>, origin: &Origin, hash: &CosHash) -> WriteId {
    match call(
        tx,
        CosRequest::BeginWrite {
            hash: hash.clone(),
            origin: origin.clone(),
            requested: RequestedOrigins::SameSite,
        },
    ) {
        Ok(CosResponse::WriteStarted(id)) => id,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_content_process_acts_only_for_its_own_site() {
    let fx = Fixture::new();
    let mut config = fx.config();
    config.consent = cos_store::ConsentPolicy::Ask;
    let thread = StoreThread::start(config).unwrap();
    let a = origin("https://a.example");
    let evil = origin("https://evil.example");
    let (process_a, relay_a) = relay(thread.sender(), a.site().clone());
    let (process_evil, relay_evil) = relay(thread.sender(), evil.site().clone());

    // a.example stores a file for itself.
    let secret = b"a.example's file".to_vec();
    let hash = sha256(&secret);
    let id = begin(&process_a, &origin("https://www.a.example"), &hash);

    // evil.example's process continues a.example's write (it can guess or
    // learn the id): refused, whatever it tries.
    for request in [
        CosRequest::Write {
            id,
            position: None,
            bytes: b"poison".to_vec(),
        },
        CosRequest::Truncate { id, size: 0 },
        CosRequest::Abort { id },
        CosRequest::Finish { id },
    ] {
        assert!(matches!(
            call(&process_evil, request),
            Err(CosError::InvalidState(_))
        ));
    }
    // The owner's stream is untouched and publishes.
    call(
        &process_a,
        CosRequest::Write {
            id,
            position: None,
            bytes: secret.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        call(&process_a, CosRequest::Finish { id }),
        Ok(CosResponse::Stored { origins_dropped: 0 })
    );

    // evil.example's process claims to be a.example: to look the file up,
    // to read it, to write as it, to refill a.example's probe budget.
    for request in [
        lookup(&a, &hash),
        CosRequest::Open {
            hash: hash.clone(),
            origin: a.clone(),
        },
        CosRequest::Read {
            hash: hash.clone(),
            origin: a.clone(),
            offset: 0,
            len: 100,
        },
        CosRequest::BeginWrite {
            hash: sha256(b"planted"),
            origin: a.clone(),
            requested: RequestedOrigins::Global,
        },
        CosRequest::ReplenishProbeBudget {
            origin: a.clone(),
            top_site: a.site().clone(),
        },
    ] {
        assert!(matches!(
            call(&process_evil, request),
            Err(CosError::NotAllowed(_))
        ));
    }
    // As itself it is refused as any other site is.
    assert_eq!(
        call(&process_evil, lookup(&evil, &hash)),
        Err(CosError::NotFound)
    );

    // Administrative messages: the channel's type cannot carry them, so
    // the process reinterprets its channel to send their bytes anyway.
    // (Without a reply channel: ipc-channel aborts a process that fails to
    // decode a message carrying file descriptors, a limit of Servo's IPC
    // everywhere, not of this relay.)
    let forged: IpcSender<(CosAdminRequest, ())> = process_evil.clone().to_opaque().to();
    for request in [
        CosAdminRequest::RecordConsent {
            requesting_site: evil.site().clone(),
            hash: None,
            decision: ConsentDecision::Allow,
        },
        CosAdminRequest::SetConsentPolicy(cos_traits::ConsentPolicy::Allow),
        CosAdminRequest::RemoveEntry { hash: hash.clone() },
        CosAdminRequest::ClearSite {
            site: a.site().clone(),
        },
        CosAdminRequest::ClearAll,
        CosAdminRequest::List,
    ] {
        forged.send((request, ())).unwrap();
    }
    // The relay still answers, and the store is as it was: the entry is
    // there for a.example, and no consent was recorded for evil.example.
    assert_eq!(
        call(&process_evil, lookup(&evil, &hash)),
        Err(CosError::NotFound)
    );
    match call(&process_a, lookup(&a, &hash)) {
        Ok(CosResponse::Lookup(LookupOutcome::Found(entry))) => assert_eq!(entry.size, 16),
        other => panic!("a.example lost its file: {other:?}"),
    }
    // The trusted side still can, through its own sender.
    let entries = match thread.sender().call_admin(CosAdminRequest::List) {
        Ok(CosResponse::Entries(entries)) => entries,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(entries.len(), 1);

    drop((process_a, process_evil, forged));
    relay_a.join().unwrap();
    // Whatever the forged bytes decoded to, it was at most a page's request.
    assert!(relay_evil.join().unwrap() <= 6);
}

#[test]
fn write_ids_are_not_sequential() {
    let fx = Fixture::new();
    let thread = StoreThread::start(fx.config()).unwrap();
    let a = origin("https://a.example");
    let (process, _relay) = relay(thread.sender(), a.site().clone());
    let ids: Vec<u64> = (0..4u8)
        .map(|i| begin(&process, &a, &sha256(&[i])).0)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1].abs_diff(w[0]) > 1_000_000),
        "{ids:?}"
    );
}
