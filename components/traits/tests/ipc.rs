/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The messages cross a real `ipc-channel`, as they do between Servo's
//! content process and the storage thread.

use cos_traits::{
    CosError, CosHash, CosRequest, CosResponse, HashAlgorithm, Origin, RequestedOrigins, WriteId,
};
use ipc_channel::ipc::{self, IpcSender};

#[test]
fn requests_and_replies_cross_ipc_channels() {
    let (tx, rx) =
        ipc::channel::<(CosRequest, IpcSender<Result<CosResponse, CosError>>)>().unwrap();

    // The "storage thread": answers a write with the number of bytes it got,
    // and anything else with NotFound.
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while let Ok((request, reply)) = rx.recv() {
            let answer = match &request {
                CosRequest::Write { bytes, .. } => Ok(CosResponse::Bytes(vec![bytes.len() as u8])),
                _ => Err(CosError::NotFound),
            };
            seen.push(request);
            reply.send(answer).unwrap();
        }
        seen
    });

    let hash = CosHash::of(HashAlgorithm::Sha256, b"weights");
    let origin = Origin::parse("https://a.example").unwrap();
    let (reply_tx, reply_rx) = ipc::channel().unwrap();
    tx.send((
        CosRequest::BeginWrite {
            hash: hash.clone(),
            origin: origin.clone(),
            requested: RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
        },
        reply_tx.clone(),
    ))
    .unwrap();
    assert_eq!(reply_rx.recv().unwrap(), Err(CosError::NotFound));

    // A chunk bigger than a socket buffer, as writes of model files are.
    tx.send((
        CosRequest::Write {
            id: WriteId(7),
            position: None,
            bytes: vec![1; (1 << 20) + 3],
        },
        reply_tx,
    ))
    .unwrap();
    assert_eq!(reply_rx.recv().unwrap(), Ok(CosResponse::Bytes(vec![3])));
    drop(tx);

    let seen = server.join().unwrap();
    match &seen[0] {
        CosRequest::BeginWrite {
            hash: h,
            origin: o,
            requested: RequestedOrigins::List(list),
        } => {
            assert_eq!((h, o), (&hash, &origin));
            assert_eq!(list[0].as_str(), "https://b.example");
        },
        other => panic!("unexpected {other:?}"),
    }
}
