/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `load`: eight pages writing eight different files while eight others
//! read eight other, already stored files, all at once through one storage
//! thread, as a browser with many tabs would. Every read must return the
//! stored bytes and every write must be published; the aggregate rate is
//! what the thread's design (writes and reads off the storage thread) buys.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use cos_store::thread::StoreThread;
use cos_store::{MAX_READ, Store};
use cos_traits::{CosRequest, CosResponse, LookupOutcome};

use crate::util::*;

const STREAMS: u64 = 8;

pub fn run(quick: bool) -> Outcome {
    let size: u64 = if quick { 8 << 20 } else { 256 << 20 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = config(&dir.path().join("cos"), 1 << 40);
    let reader = origin("https://reader.example");
    let read_set: Vec<_> = {
        let mut store = Store::open(config.clone()).expect("opening a new store");
        (0..STREAMS)
            .map(|i| put_pattern(&mut store, &reader, 500 + i, size).expect("pre-storing"))
            .collect()
    };
    // Hashes are known before writing, as a page knows them.
    let write_set: Vec<_> = (0..STREAMS).map(|i| pattern_hash(900 + i, size)).collect();

    let thread = StoreThread::start(config).expect("starting the storage thread");
    let barrier = Arc::new(Barrier::new(2 * STREAMS as usize + 1));
    let mut workers = Vec::new();
    for i in 0..STREAMS {
        let sender = thread.sender();
        let barrier = barrier.clone();
        let hash = write_set[i as usize].clone();
        let writer = origin(&format!("https://writer{i}.example"));
        workers.push(std::thread::spawn(move || {
            barrier.wait();
            let seed = 900 + i;
            let mut at = 0u64;
            // 4 MiB pieces, about what a page's stream hands over.
            let result = write_through(&sender, &writer, &hash, || {
                (at < size).then(|| {
                    let n = (size - at).min(4 << 20) as usize;
                    let mut buf = vec![0u8; n];
                    pattern(seed, at, &mut buf);
                    at += n as u64;
                    buf
                })
            });
            // Published means found by its writer afterwards.
            let found = result.is_ok()
                && matches!(
                    sender.call(CosRequest::Lookup {
                        hash: hash.clone(),
                        origin: writer.clone(),
                        top_site: writer.site().clone(),
                    }),
                    Ok(CosResponse::Lookup(LookupOutcome::Found(info))) if info.size == size
                );
            (true, size, found, result.err().map(|e| e.to_string()))
        }));
    }
    for i in 0..STREAMS {
        let sender = thread.sender();
        let barrier = barrier.clone();
        let hash = read_set[i as usize].clone();
        let reader = reader.clone();
        workers.push(std::thread::spawn(move || {
            barrier.wait();
            let back = read_all(&sender, &reader, &hash, size, MAX_READ, |at, want| {
                pattern(500 + i, at, want)
            });
            let (at, matched) = (back.delivered, back.corrupt == 0);
            let error = back.error.map(|e| format!("{e:?}"));
            (false, at, matched && at == size, error)
        }));
    }
    barrier.wait();
    let t = Instant::now();
    let results: Vec<_> = workers
        .into_iter()
        .map(|w| {
            w.join()
                .unwrap_or((false, 0, false, Some("the thread panicked".into())))
        })
        .collect();
    let secs = t.elapsed().as_secs_f64();
    drop(thread);

    let written: u64 = results.iter().filter(|r| r.0).map(|r| r.1).sum();
    let read: u64 = results.iter().filter(|r| !r.0).map(|r| r.1).sum();
    let published = results.iter().filter(|r| r.0 && r.2).count();
    let matched = results.iter().filter(|r| !r.0 && r.2).count();
    let mut result = format!(
        "{published}/{STREAMS} writes published, {matched}/{STREAMS} reads matched; \
         {:.0} MiB written + {:.0} MiB read in {secs:.1} s: {:.0} MiB/s aggregate",
        mib(written),
        mib(read),
        mib(written + read) / secs
    );
    if let Some(e) = results.iter().find_map(|r| r.3.clone()) {
        result += &format!("\nfirst error: {e}");
    }
    Outcome::new(
        published == STREAMS as usize && matched == STREAMS as usize,
        format!(
            "{STREAMS} threads writing {STREAMS} new files and {STREAMS} reading {STREAMS} \
             stored files ({} MiB each) at once through one StoreThread",
            size >> 20
        ),
        result,
    )
}
