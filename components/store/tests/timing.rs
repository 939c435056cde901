/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Refusal timing through the storage thread: a page must not tell why a
//! lookup was refused, or whether the entry exists, from how long the
//! `NotFoundError` took. Four causes, each looked up in turn (interleaved,
//! so that drift of the machine falls on all alike): absent, withheld (the
//! entry exists for other sites), over the probe budget, and denied by a
//! remembered consent decision; with 1, 20 and 200 origins having stored the
//! entry, since the storing sites control that number. Every pair of causes
//! is compared with the two-sample Kolmogorov–Smirnov statistic D.
//!
//! `COS_TIMING_SAMPLES` sets the samples per cause (default 300; the
//! reliability run uses 2,000). The assertion uses the 0.1% critical value,
//! since this runs 18 comparisons on every `cargo test`; the table printed
//! (`--nocapture`) gives the 5% one too.

mod common;

use std::time::Instant;

use common::*;
use cos_store::thread::StoreThread;
use cos_store::{ConsentPolicy, Store};
use cos_traits::{ConsentDecision, CosError, CosHash, CosRequest, Origin, RequestedOrigins};

/// The two-sample Kolmogorov–Smirnov statistic.
fn ks_d(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// c(α)·sqrt((n+m)/(n·m)) for equal sizes n.
fn critical(alpha_coefficient: f64, n: usize) -> f64 {
    alpha_coefficient * (2.0 / n as f64).sqrt()
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

const CAUSES: [&str; 4] = ["absent", "withheld", "over budget", "consent denied"];

fn run(storers: usize, samples: usize) -> Vec<(String, f64, f64)> {
    let fx = Fixture::new();
    let mut config = fx.config();
    config.consent = ConsentPolicy::Ask;
    config.probe_budget = 16;
    let requester = origin("https://requester.example");
    let exhausted = origin("https://exhausted.example");
    let storing: Vec<Origin> = (0..storers)
        .map(|i| origin(&format!("https://storer{i}.example")))
        .collect();
    let withheld = sha256(b"withheld entry");
    let denied = sha256(b"listed for the requester, who said no");
    let unprobed = sha256(b"present, never probed by the exhausted site");
    {
        let mut store = Store::open(config.clone()).unwrap();
        for origin in &storing {
            for (bytes, requested) in [
                (&b"withheld entry"[..], RequestedOrigins::SameSite),
                (
                    &b"listed for the requester, who said no"[..],
                    RequestedOrigins::from_list(&[requester.as_str()]).unwrap(),
                ),
                (
                    &b"present, never probed by the exhausted site"[..],
                    RequestedOrigins::from_list(&[exhausted.as_str()]).unwrap(),
                ),
            ] {
                put(&mut store, origin, bytes, requested).unwrap();
            }
        }
        store
            .record_consent(requester.site(), None, ConsentDecision::Deny)
            .unwrap();
    }
    let thread = StoreThread::start(config).unwrap();
    let sender = thread.sender();
    let absent: CosHash = sha256(b"never stored");
    let lookup = |origin: &Origin, hash: &CosHash| {
        let started = Instant::now();
        let result = sender.call(CosRequest::Lookup {
            hash: hash.clone(),
            origin: origin.clone(),
            top_site: origin.site().clone(),
        });
        let elapsed = started.elapsed().as_secs_f64() * 1e6;
        assert_eq!(result, Err(CosError::NotFound));
        elapsed
    };
    // The exhausted site spends its budget on other hashes.
    for i in 0..16u32 {
        let _ = sender.call(CosRequest::Lookup {
            hash: sha256(&i.to_le_bytes()),
            origin: exhausted.clone(),
            top_site: exhausted.site().clone(),
        });
    }
    // Warm up every path (the first lookup of a hash by the requester is
    // charged to its budget; the later ones are repeats, as a page
    // averaging noise would make them).
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); CAUSES.len()];
    for round in 0..samples + 20 {
        // Rotate the order each round, so that no cause always comes first
        // or always follows another.
        for k in 0..CAUSES.len() {
            let cause = (k + round) % CAUSES.len();
            let t = match cause {
                0 => lookup(&requester, &absent),
                1 => lookup(&requester, &withheld),
                2 => lookup(&exhausted, &unprobed),
                _ => lookup(&requester, &denied),
            };
            if round >= 20 {
                times[cause].push(t);
            }
        }
    }
    let mut rows = Vec::new();
    for i in 0..CAUSES.len() {
        for j in i + 1..CAUSES.len() {
            rows.push((
                format!("{} vs {}", CAUSES[i], CAUSES[j]),
                ks_d(&times[i], &times[j]),
                median(&times[i]) - median(&times[j]),
            ));
        }
    }
    println!(
        "storers {storers:>3}: medians (µs) {}",
        CAUSES
            .iter()
            .zip(&times)
            .map(|(c, t)| format!("{c} {:.0}", median(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    rows
}

#[test]
fn refusals_take_the_same_time_whatever_their_cause() {
    let samples: usize = std::env::var("COS_TIMING_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let strict = critical(1.949, samples);
    let five_percent = critical(1.358, samples);
    let mut worst = 0f64;
    for storers in [1, 20, 200] {
        for (pair, d, median_gap) in run(storers, samples) {
            println!(
                "  {pair:<32} D = {d:.3} (5%: {five_percent:.3}, 0.1%: {strict:.3}), \
                 median gap {median_gap:+.0} µs"
            );
            worst = worst.max(d);
        }
    }
    assert!(
        worst < strict,
        "a refusal cause is distinguishable by timing: D = {worst:.3} >= {strict:.3}"
    );
}

#[test]
fn ks_statistic_sees_a_real_difference() {
    // The check above can fail: a 10 µs shift on 300 samples is seen.
    let a: Vec<f64> = (0..300).map(|i| 2000.0 + (i % 50) as f64).collect();
    let b: Vec<f64> = a.iter().map(|x| x + 10.0).collect();
    assert!(ks_d(&a, &b) > critical(1.949, 300));
    assert_eq!(ks_d(&a, &a), 0.0);
}
