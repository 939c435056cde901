/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `timing`: can a page tell why a lookup was refused from how long the
//! `NotFoundError` took? Four
//! causes — absent, withheld (exists for other sites), over the probe
//! budget, denied by a remembered consent decision — looked up interleaved
//! through the storage thread, with 1, 20 and 200 storing origins, every
//! pair compared with the two-sample Kolmogorov–Smirnov statistic D.
//!
//! The full run holds D below the 5% critical value; the quick run, with
//! fewer samples on a CI machine, below the 0.1% one (it makes 18
//! comparisons on every `./mach test`). Without the storage thread's fixed
//! answer time (`LOOKUP_ANSWER_TIME` set to 0), "over budget" is told apart:
//! D ≈ 0.4 at 300 samples.

use std::time::Instant;

use cos_store::thread::StoreThread;
use cos_store::{ConsentPolicy, Store};
use cos_traits::{ConsentDecision, CosError, CosHash, CosRequest, Origin, RequestedOrigins};

use crate::util::*;

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

const CAUSES: [&str; 4] = ["absent", "withheld", "over budget", "consent denied"];

/// Per pair of causes: (pair, D, median of the first, median of the second).
fn measure(storers: usize, samples: usize) -> Result<Vec<(String, f64, f64, f64)>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut config = config(&dir.path().join("cos"), 100_000_000_000);
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
        let mut store = Store::open(config.clone()).map_err(|e| e.to_string())?;
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
                let mut session = store
                    .begin_write(sha256(bytes), origin)
                    .map_err(|e| e.to_string())?;
                session.write(None, bytes).map_err(|e| e.to_string())?;
                let verified = session.finish().map_err(|e| e.to_string())?;
                store
                    .publish(verified, origin, &requested)
                    .map_err(|e| e.to_string())?;
            }
        }
        store
            .record_consent(requester.site(), None, ConsentDecision::Deny)
            .map_err(|e| e.to_string())?;
    }
    let thread = StoreThread::start(config).map_err(|e| e.to_string())?;
    let sender = thread.sender();
    let absent: CosHash = sha256(b"never stored");
    let mut unexpected = None;
    let mut lookup = |origin: &Origin, hash: &CosHash| {
        let started = Instant::now();
        let result = sender.call(CosRequest::Lookup {
            hash: hash.clone(),
            origin: origin.clone(),
            top_site: origin.site().clone(),
        });
        let elapsed = started.elapsed().as_secs_f64() * 1e6;
        if result != Err(CosError::NotFound) {
            unexpected = Some(format!("{hash} for {origin}: {result:?}"));
        }
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
    // The first 20 rounds warm every path and are not counted (the
    // requester's first lookup of a hash is charged to its budget; later
    // ones are repeats, as a page averaging noise would make them).
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); CAUSES.len()];
    for round in 0..samples + 20 {
        // Rotated each round, so no cause always comes first or always
        // follows another.
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
    if let Some(e) = unexpected {
        return Err(format!("a refusal was not NotFound: {e}"));
    }
    let mut rows = Vec::new();
    for i in 0..CAUSES.len() {
        for j in i + 1..CAUSES.len() {
            rows.push((
                format!("{} vs {}", CAUSES[i], CAUSES[j]),
                ks_d(&times[i], &times[j]),
                percentile(&times[i], 0.5),
                percentile(&times[j], 0.5),
            ));
        }
    }
    Ok(rows)
}

pub fn run(quick: bool) -> Outcome {
    let samples = if quick { 300 } else { 2_000 };
    let five_percent = critical(1.358, samples);
    let strict = critical(1.949, samples);
    let (limit, limit_name) = if quick {
        (strict, "0.1%")
    } else {
        (five_percent, "5%")
    };
    let mut lines = vec![format!(
        "critical D at n={samples}: 5% {five_percent:.3}, 0.1% {strict:.3}; this run holds D < \
         {limit:.3} ({limit_name})"
    )];
    let mut worst = 0f64;
    let mut pass = true;
    for storers in [1, 20, 200] {
        match measure(storers, samples) {
            Ok(rows) => {
                for (pair, d, ma, mb) in rows {
                    worst = worst.max(d);
                    let over = d >= limit;
                    pass &= !over;
                    lines.push(format!(
                        "{storers:>3} storers, {pair}: D = {d:.3}, medians {ma:.0} / {mb:.0} µs{}",
                        if over { " [over]" } else { "" }
                    ));
                }
            },
            Err(e) => {
                pass = false;
                lines.push(format!("{storers} storers: {e}"));
            },
        }
    }
    lines.insert(1, format!("largest D {worst:.3}"));
    Outcome::new(
        pass,
        format!(
            "{samples} NotFound lookups per cause (absent, withheld, over budget, consent \
             denied) through StoreThread with 1, 20 and 200 storers; KS D per pair"
        ),
        lines.join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_statistic_sees_a_real_difference() {
        // The criterion can fail: a 10 µs shift on 300 samples is seen.
        let a: Vec<f64> = (0..300).map(|i| 2000.0 + (i % 50) as f64).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 10.0).collect();
        assert!(ks_d(&a, &b) > critical(1.949, 300));
        assert_eq!(ks_d(&a, &a), 0.0);
    }
}
