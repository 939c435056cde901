/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Property tests: any sequence of writes, seeks and truncates ends with the
//! same bytes as a plain in-memory model of `FileSystemWritableFileStream`,
//! verification accepts exactly the model's hash, and what is stored is the
//! model's bytes.

mod common;

use common::*;
use cos_traits::{CosError, RequestedOrigins};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(Option<u64>, Vec<u8>),
    Seek(u64),
    Truncate(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (proptest::option::of(0u64..300), proptest::collection::vec(any::<u8>(), 0..120))
            .prop_map(|(p, b)| Op::Write(p, b)),
        1 => (0u64..300).prop_map(Op::Seek),
        1 => (0u64..300).prop_map(Op::Truncate),
    ]
}

/// The File System Standard's semantics, on a Vec.
#[derive(Default)]
struct Model {
    bytes: Vec<u8>,
    cursor: u64,
}

impl Model {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Write(position, data) => {
                let at = position.unwrap_or(self.cursor) as usize;
                if self.bytes.len() < at + data.len() {
                    self.bytes.resize(at + data.len(), 0);
                }
                self.bytes[at..at + data.len()].copy_from_slice(data);
                self.cursor = (at + data.len()) as u64;
            },
            Op::Seek(position) => self.cursor = *position,
            Op::Truncate(size) => {
                self.bytes.resize(*size as usize, 0);
                self.cursor = self.cursor.min(*size);
            },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn writes_match_the_model(ops in proptest::collection::vec(op(), 0..25)) {
        let fx = Fixture::new();
        let mut store = fx.open();
        let a = origin("https://a.example");
        let mut model = Model::default();
        for op in &ops {
            model.apply(op);
        }
        let hash = sha256(&model.bytes);
        let mut session = store.begin_write(hash.clone(), &a).unwrap();
        for op in &ops {
            match op {
                Op::Write(position, data) => session.write(*position, data).unwrap(),
                Op::Seek(position) => session.seek(*position).unwrap(),
                Op::Truncate(size) => session.truncate(*size).unwrap(),
            }
        }
        store.publish(session.finish().unwrap(), &a, &RequestedOrigins::SameSite).unwrap();
        prop_assert_eq!(store.read(&hash, &a, 0, u32::MAX).unwrap(), model.bytes);
    }

    #[test]
    fn any_other_hash_is_a_data_error(
        ops in proptest::collection::vec(op(), 1..15),
        flip in any::<prop::sample::Index>(),
    ) {
        let fx = Fixture::new();
        let store = fx.open();
        let a = origin("https://a.example");
        let mut model = Model::default();
        for op in &ops {
            model.apply(op);
        }
        // The hash of almost the same bytes: one bit differs (or one byte
        // more, for an empty file).
        let mut other = model.bytes.clone();
        if other.is_empty() {
            other.push(0);
        } else {
            let i = flip.index(other.len());
            other[i] ^= 1;
        }
        let mut session = store.begin_write(sha256(&other), &a).unwrap();
        for op in &ops {
            match op {
                Op::Write(position, data) => session.write(*position, data).unwrap(),
                Op::Seek(position) => session.seek(*position).unwrap(),
                Op::Truncate(size) => session.truncate(*size).unwrap(),
            }
        }
        prop_assert!(matches!(session.finish(), Err(CosError::Data)));
        prop_assert!(files_under(&store.layout().tmp_dir()).is_empty());
    }
}
