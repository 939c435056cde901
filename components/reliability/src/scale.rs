/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `scale`: lookup latency with 1,000, 10,000 and 100,000 entries.
//!
//! Through the storage thread every lookup is answered at a fixed time
//! (`LOOKUP_ANSWER_TIME`, so that timing tells a page nothing), which would
//! hide any growth; so the work itself is measured too, with `Store::lookup`
//! called directly. Sizes are measured interleaved, round by round, so that
//! whatever else the machine does falls on all sizes alike.

use std::time::Instant;

use cos_store::Store;
use cos_store::thread::{LOOKUP_ANSWER_TIME, StoreThread};
use cos_traits::{CosHash, CosRequest, Origin};

use crate::util::*;

const ORIGINS: u64 = 500;

fn entry_bytes(i: u64) -> Vec<u8> {
    format!("scale entry {i}").into_bytes()
}

fn storer(i: u64) -> Origin {
    origin(&format!("https://o{}.example", i % ORIGINS))
}

pub fn run(quick: bool) -> Outcome {
    let sizes: &[u64] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let (direct_rounds, thread_rounds) = if quick { (2_000, 300) } else { (10_000, 2_000) };
    let dirs: Vec<_> = sizes
        .iter()
        .map(|_| tempfile::tempdir().expect("a temporary directory"))
        .collect();
    let configs: Vec<_> = dirs
        .iter()
        .map(|d| config(&d.path().join("cos"), 1 << 40))
        .collect();

    // Through the Store API, one process, before any thread starts: each
    // entry a small real file, fsynced and published as a page's would be.
    let t = Instant::now();
    let mut stores: Vec<Store> = Vec::new();
    for (&n, config) in sizes.iter().zip(&configs) {
        let mut store = Store::open(config.clone()).expect("opening a new store");
        for i in 0..n {
            put(&mut store, &storer(i), &entry_bytes(i)).expect("inserting an entry");
        }
        stores.push(store);
    }
    let build_secs = t.elapsed().as_secs_f64();

    // Direct: present (by a storing origin) and absent lookups, alternating.
    let (mut rng, _) = Rng::from_time();
    let mut direct: Vec<Vec<f64>> = vec![Vec::new(); sizes.len()];
    for round in 0..direct_rounds {
        for (k, store) in stores.iter_mut().enumerate() {
            let i = rng.below(sizes[k]);
            let who = storer(i);
            let hash: CosHash = if round % 2 == 0 {
                sha256(&entry_bytes(i))
            } else {
                sha256(&rng.next_u64().to_le_bytes())
            };
            let started = Instant::now();
            let _ = store.lookup(&hash, &who, who.site());
            direct[k].push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    drop(stores);

    // Through the storage thread, as a page sees it.
    let threads: Vec<_> = configs
        .iter()
        .map(|c| StoreThread::start(c.clone()).expect("starting a storage thread"))
        .collect();
    let mut through: Vec<Vec<f64>> = vec![Vec::new(); sizes.len()];
    for round in 0..thread_rounds {
        for (k, thread) in threads.iter().enumerate() {
            let i = rng.below(sizes[k]);
            let who = storer(i);
            let hash = if round % 2 == 0 {
                sha256(&entry_bytes(i))
            } else {
                sha256(&rng.next_u64().to_le_bytes())
            };
            let started = Instant::now();
            let _ = thread.sender().call(CosRequest::Lookup {
                hash,
                origin: who.clone(),
                top_site: who.site().clone(),
            });
            through[k].push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    drop(threads);

    let p50 = |s: &[f64]| percentile(s, 0.5);
    let ratio = p50(&direct[sizes.len() - 1]) / p50(&direct[0]);
    let mut lines: Vec<String> = sizes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            format!(
                "{n:>7} entries: direct p50 {:.0} µs, p99 {:.0} µs; through the thread p50 {:.0} \
                 µs, p99 {:.0} µs",
                p50(&direct[k]),
                percentile(&direct[k], 0.99),
                p50(&through[k]),
                percentile(&through[k], 0.99)
            )
        })
        .collect();
    lines.push(format!(
        "direct p50 at {} / at {}: {ratio:.2} (must be <= 2); the thread answers at {} ms by design; \
         inserting took {build_secs:.0} s",
        sizes[sizes.len() - 1],
        sizes[0],
        LOOKUP_ANSWER_TIME.as_millis()
    ));
    Outcome::new(
        ratio <= 2.0,
        format!(
            "{} entries inserted through Store; {direct_rounds} direct Store::lookup and \
             {thread_rounds} StoreThread lookups per size (half present, half absent), \
             interleaved",
            sizes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        lines.join("\n"),
    )
}
