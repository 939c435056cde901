/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `bit-rot`: one byte of a content file changes on disk — at offset 0, in
//! the middle, at the end — (a) at rest, before the store opens, and (b) in
//! use, after this process already read (and so verified) the entry once.
//! A page reads the entry through the storage thread; every byte of a
//! `Read` reply that differs from what was stored is a corruption
//! delivered to the page. Refusing the read (`NotFound`) is the right
//! answer; serving the changed byte is not.
//!
//! Also measures how fast a large entry reads through the storage thread,
//! the first time (which hashes it whole) and again.

use std::os::unix::fs::FileExt;
use std::time::Instant;

use cos_store::thread::StoreThread;
use cos_store::{MAX_READ, Store};

use crate::util::*;

fn flip(path: &std::path::Path, offset: u64) {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("opening a content file");
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset)
        .expect("reading a byte");
    byte[0] ^= 0x01;
    // In place, as a failing disk or a stray writer would: same inode, no
    // rename, nothing the store is told about.
    file.write_all_at(&byte, offset).expect("flipping a byte");
    file.sync_all().expect("syncing");
}

fn describe(back: &ReadBack) -> String {
    match &back.error {
        None => format!(
            "served all {} bytes, {} corrupt",
            back.delivered, back.corrupt
        ),
        Some(e) => format!(
            "{} after {} bytes ({} corrupt)",
            e.dom_name(),
            back.delivered,
            back.corrupt
        ),
    }
}

pub fn run(quick: bool) -> Outcome {
    const SIZE: u64 = 1_572_864; // 1.5 MiB: the middle offset is inside.
    const PIECE: u32 = 256 * 1024;
    let owner = origin("https://owner.example");
    let original = pattern_vec(7, SIZE as usize);
    let mut total_corrupt = 0;
    let mut lines = Vec::new();
    for in_use in [false, true] {
        for offset in [0, 500_000, SIZE - 1] {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let config = config(&dir.path().join("cos"), 1 << 40);
            let path = {
                let mut store = Store::open(config.clone()).expect("opening a new store");
                let hash = put(&mut store, &owner, &original).expect("storing");
                store.layout().content_path(&hash)
            };
            let hash = sha256(&original);
            if !in_use {
                flip(&path, offset);
            }
            let thread = StoreThread::start(config).expect("starting the storage thread");
            let sender = thread.sender();
            let expected = |at: u64, buf: &mut [u8]| {
                buf.copy_from_slice(&original[at as usize..at as usize + buf.len()])
            };
            let mut line = format!(
                "{} byte {offset}: ",
                if in_use { "in use" } else { "at rest" }
            );
            if in_use {
                let first = read_all(&sender, &owner, &hash, SIZE, PIECE, expected);
                total_corrupt += first.corrupt;
                line += &format!("first read {}; ", describe(&first));
                flip(&path, offset);
            }
            let back = read_all(&sender, &owner, &hash, SIZE, PIECE, expected);
            total_corrupt += back.corrupt;
            line += &format!("read after the flip {}", describe(&back));
            lines.push(line);
        }
    }

    // Throughput of one large entry through the storage thread.
    let size: u64 = if quick { 32 << 20 } else { 256 << 20 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = config(&dir.path().join("cos"), 1 << 40);
    let hash = {
        let mut store = Store::open(config.clone()).expect("opening a new store");
        put_pattern(&mut store, &owner, 11, size).expect("storing the large entry")
    };
    let thread = StoreThread::start(config).expect("starting the storage thread");
    let sender = thread.sender();
    let mut rates = Vec::new();
    let mut throughput_ok = true;
    for _ in 0..2 {
        let t = Instant::now();
        let back = read_all(&sender, &owner, &hash, size, MAX_READ, |at, buf| {
            pattern(11, at, buf)
        });
        rates.push(mib(back.delivered) / t.elapsed().as_secs_f64());
        total_corrupt += back.corrupt;
        throughput_ok &= back.error.is_none() && back.delivered == size;
    }
    drop(thread);

    let result = format!(
        "corrupted bytes delivered: {total_corrupt}\n{}\nread {} MiB through the storage thread: \
         {:.0} MiB/s the first time (hashes it whole first), {:.0} MiB/s again",
        lines.join("\n"),
        size >> 20,
        rates[0],
        rates[1]
    );
    Outcome::new(
        total_corrupt == 0 && throughput_ok,
        format!(
            "flipped one byte (offset 0, 500,000, last) of a 1.5 MiB entry at rest and after a \
             verified read; read it back through StoreThread; read a {} MiB entry twice",
            size >> 20
        ),
        result,
    )
}
