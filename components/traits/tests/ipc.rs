/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The messages cross a real `ipc-channel`, as they do between Servo's
//! content process and the storage thread.

use cos_traits::{CosError, CosHash, CosRequest, CosResponse, HashAlgorithm, Origin, RequestedOrigins, WriteId};

#[test]
fn requests_and_replies_cross_ipc_channels() {
    let (tx, rx) = ipc_channel::ipc::channel::<CosRequest>().unwrap();
    let (reply_tx, reply_rx) =
        ipc_channel::ipc::channel::<Result<CosResponse, CosError>>().unwrap();

    let hash = CosHash::of(HashAlgorithm::Sha256, b"weights");
    let origin = Origin::parse("https://a.example").unwrap();
    tx.send(CosRequest::BeginWrite {
        hash: hash.clone(),
        origin: origin.clone(),
        requested: RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
    })
    .unwrap();
    tx.send(CosRequest::Write {
        id: WriteId(7),
        position: None,
        bytes: vec![1; 1 << 20],
    })
    .unwrap();

    match rx.recv().unwrap() {
        CosRequest::BeginWrite { hash: h, origin: o, requested } => {
            assert_eq!(h, hash);
            assert_eq!(o, origin);
            assert!(matches!(requested, RequestedOrigins::List(ref l) if l.len() == 1));
        },
        other => panic!("unexpected {other:?}"),
    }
    match rx.recv().unwrap() {
        CosRequest::Write { id, bytes, .. } => {
            assert_eq!(id, WriteId(7));
            assert_eq!(bytes.len(), 1 << 20);
        },
        other => panic!("unexpected {other:?}"),
    }

    reply_tx.send(Err(CosError::NotFound)).unwrap();
    assert_eq!(reply_rx.recv().unwrap(), Err(CosError::NotFound));
}
