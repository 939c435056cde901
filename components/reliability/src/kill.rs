/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `kill`: SIGKILL a process using the store at random instants — while it
//! writes (up to 64 MiB), reads, evicts and clears a site — then reopen the
//! store and count what a crash must never leave: partial entries (an entry
//! whose bytes do not hash to its hash), orphans (anything in `tmp/`, a
//! content file with no entry) and lost entries (one whose publication the
//! child had reported, gone although the child was not removing it).
//!
//! The child is this binary re-run with the hidden `kill-child` subcommand,
//! as `tests/crash.rs` re-runs its test binary. It reports on stdout, one
//! flushed line per event, *after* the event: `PUB` once `publish`
//! returned, `GONE` for entries its own write evicted, `CLEARED` once
//! `clear_site` returned. A line printed is a promise the store made; the
//! line is read after the kill, from the pipe, so nothing printed is lost.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cos_store::Store;
use cos_traits::{CosError, CosHash, LookupOutcome};

use crate::util::*;

/// The evict child's store thinks its disk holds this much, so that its
/// budget (60%: 14.4 MiB) is full after a few writes and every write after
/// that evicts.
const EVICT_CAPACITY: u64 = 24 << 20;

fn capacity(mode: &str) -> u64 {
    if mode == "evict" {
        EVICT_CAPACITY
    } else {
        1 << 40
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    say(&format!("ERR {what}: {e}"));
    std::process::exit(3);
}

/// The body of the child process: works on the store until it is killed.
pub fn child(mode: &str, root: &Path, seed: u64, max_size: u64) {
    let mut store = Store::open(config(root, capacity(mode))).unwrap_or_else(|e| fail("open", e));
    say("READY");
    match mode {
        "write" => write_loop(&mut store, seed, max_size),
        "read" => read_loop(&mut store, max_size),
        "evict" => evict_loop(&mut store, seed),
        "clear" => clear_loop(&mut store, seed),
        _ => fail("mode", mode),
    }
}

fn published(hash: &CosHash, size: u64, origin: &cos_traits::Origin) {
    say(&format!("PUB {hash} {size} {}", origin.site()));
}

fn write_loop(store: &mut Store, seed: u64, max_size: u64) -> ! {
    let origins: Vec<_> = (0..3)
        .map(|i| origin(&format!("https://w{i}.example")))
        .collect();
    let mut rng = Rng::new(seed);
    let mut mine: Vec<(u64, u64)> = Vec::new();
    for round in 0u64.. {
        // Sizes from bytes to max_size, so that kills land in every phase:
        // spooling, hashing, fsync, rename, commit. Every fourth write
        // repeats earlier bytes from another origin: a duplicate publish.
        let (data, size) = if round % 4 == 3 && !mine.is_empty() {
            *rng.pick(&mine)
        } else {
            let size = [10, 70_000, 3 << 20, max_size][(round % 4) as usize];
            (seed.wrapping_mul(1_000_003).wrapping_add(round), size)
        };
        let origin = &origins[(round % 3) as usize];
        say("BEGIN write");
        let hash = pattern_hash(data, size);
        let result = (|| {
            let mut session = store.begin_write(hash.clone(), origin)?;
            // Small writes, so that kills land between them.
            write_pattern(&mut session, data, size, 256 * 1024)?;
            if round % 5 == 0 {
                // A write behind the end forces a re-hash at finish.
                let head = pattern_vec(data, size.min(100) as usize);
                session.write(Some(0), &head)?;
            }
            let verified = session.finish()?;
            store.publish(verified, origin, &cos_traits::RequestedOrigins::SameSite)
        })();
        match result {
            Ok(_) => published(&hash, size, origin),
            Err(e) => fail("write", e),
        }
        mine.push((data, size));
    }
    unreachable!()
}

/// The read child's files: the same in every child, so each can check the
/// bytes of what an earlier child stored.
fn read_set(max_size: u64) -> Vec<(u64, u64)> {
    [
        10,
        70_000,
        1 << 20,
        3 << 20,
        max_size.min(16 << 20),
        200_000,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, size)| (0x5eed_0000 + i as u64, size))
    .collect()
}

fn read_loop(store: &mut Store, max_size: u64) -> ! {
    let reader = origin("https://r.example");
    let stranger = origin("https://stranger.example");
    let set: Vec<(u64, u64, CosHash)> = read_set(max_size)
        .into_iter()
        .map(|(data, size)| (data, size, pattern_hash(data, size)))
        .collect();
    for (data, size, hash) in &set {
        let found = matches!(
            store.lookup(hash, &reader, reader.site()),
            Ok(LookupOutcome::Found(_))
        );
        if !found {
            say("BEGIN write");
            put_pattern(store, &reader, *data, *size).unwrap_or_else(|e| fail("store", e));
            published(hash, *size, &reader);
        }
    }
    let mut rng = Rng::new(max_size ^ std::process::id() as u64);
    loop {
        let (data, size, hash) = rng.pick(&set).clone();
        // Lookups write the index (attribution, the probe log): kills land
        // in those commits too.
        say("BEGIN lookup");
        match store.lookup(&hash, &reader, reader.site()) {
            Ok(LookupOutcome::Found(_)) => {},
            other => fail("lookup", format!("{hash}: {other:?}")),
        }
        let _ = store.lookup(&hash, &stranger, stranger.site());
        say("BEGIN read");
        let mut at = rng.below(size.max(1));
        let mut expected = vec![0u8; 1 << 20];
        while at < size {
            let bytes = store
                .read(&hash, &reader, at, 1 << 20)
                .unwrap_or_else(|e| fail("read", e));
            pattern(data, at, &mut expected[..bytes.len()]);
            if bytes.is_empty() || bytes != expected[..bytes.len()] {
                say(&format!("BAD {hash} at {at}"));
                break;
            }
            at += bytes.len() as u64;
        }
    }
}

fn listed(store: &Store) -> HashSet<CosHash> {
    store
        .list()
        .unwrap_or_else(|e| fail("list", e))
        .into_iter()
        .map(|e| e.hash)
        .collect()
}

fn evict_loop(store: &mut Store, seed: u64) -> ! {
    let origins: Vec<_> = (0..16)
        .map(|i| origin(&format!("https://e{i}.example")))
        .collect();
    for round in 0u64.. {
        let size = [100_000, 400_000, 1 << 20, 2 << 20][(round % 4) as usize];
        let data = seed.wrapping_mul(1_000_003).wrapping_add(round);
        let origin = &origins[(round % 16) as usize];
        let before = listed(store);
        say(&format!("BEGIN evict-write {size}"));
        let result = put_pattern(store, origin, data, size);
        // What this write evicted is this child's own doing: reported, so
        // the parent does not count it lost.
        for gone in before.difference(&listed(store)) {
            say(&format!("GONE {gone}"));
        }
        match result {
            Ok(hash) => published(&hash, size, origin),
            // An origin over its own budget is refused, not evicted for.
            Err(CosError::QuotaExceeded(_)) => say("QUOTA"),
            Err(e) => fail("evict-write", e),
        }
    }
    unreachable!()
}

fn clear_loop(store: &mut Store, seed: u64) -> ! {
    let sites: Vec<_> = (0..4)
        .map(|k| {
            (
                origin(&format!("https://s{k}.example")),
                origin(&format!("https://www.s{k}.example")),
            )
        })
        .collect();
    for round in 0u64.. {
        for j in 0..12u64 {
            let size = [10, 5_000, 70_000, 1 << 20][(j % 4) as usize];
            let (a, b) = &sites[((round + j) % 4) as usize];
            let origin = if j % 2 == 0 { a } else { b };
            let data = seed.wrapping_mul(1_000_003).wrapping_add(round * 100 + j);
            say("BEGIN write");
            let hash = put_pattern(store, origin, data, size).unwrap_or_else(|e| fail("store", e));
            published(&hash, size, origin);
        }
        let site = sites[(round % 4) as usize].0.site().clone();
        say(&format!("CLEAR {site}"));
        store.clear_site(&site).unwrap_or_else(|e| fail("clear", e));
        say(&format!("CLEARED {site}"));
    }
    unreachable!()
}

#[derive(Clone)]
struct Expected {
    hash: CosHash,
    size: u64,
    site: String,
}

#[derive(Default)]
struct Tally {
    kills: usize,
    per_mode: Vec<(String, usize)>,
    landed: HashMap<String, usize>,
    entries_checked: usize,
    partial: usize,
    orphans_tmp: usize,
    orphans_content: usize,
    lost: usize,
    child_errors: usize,
    bad_reads: usize,
    open_failures: usize,
    notes: Vec<String>,
}

pub fn run(quick: bool) -> Outcome {
    let per_mode = if quick { 10 } else { 250 };
    let max_size: u64 = if quick { 8 << 20 } else { 64 << 20 };
    let (mut rng, seed) = Rng::from_time();
    let mut t = Tally::default();
    for (mode, max_delay_ms, trim) in [
        (
            "write",
            if quick { 600 } else { 2000 },
            if quick { 48u64 << 20 } else { 256 << 20 },
        ),
        ("read", 400, u64::MAX),
        ("evict", 800, u64::MAX),
        ("clear", 1000, 64 << 20),
    ] {
        let kills = one_mode(
            mode,
            per_mode,
            max_size,
            max_delay_ms,
            trim,
            &mut rng,
            &mut t,
        );
        t.per_mode.push((mode.into(), kills));
    }
    let mut landed: Vec<_> = t.landed.iter().collect();
    landed.sort();
    let pass = t.kills >= per_mode * 4
        && t.entries_checked > 0
        && t.partial == 0
        && t.orphans_tmp + t.orphans_content == 0
        && t.lost == 0
        && t.child_errors == 0
        && t.bad_reads == 0
        && t.open_failures == 0;
    let mut result = format!(
        "kills {} ({}); last step before the kill: {}\n\
         after each: {} entries checked; partial {}, orphans {} (tmp/ {}, content {}), lost {}, \
         corrupt reads {}, child errors {}, failed reopens {}\nseed {seed}",
        t.kills,
        t.per_mode
            .iter()
            .map(|(m, n)| format!("{m} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        landed
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        t.entries_checked,
        t.partial,
        t.orphans_tmp + t.orphans_content,
        t.orphans_tmp,
        t.orphans_content,
        t.lost,
        t.bad_reads,
        t.child_errors,
        t.open_failures,
    );
    for note in t.notes.iter().take(4) {
        result += &format!("\n{note}");
    }
    Outcome::new(
        pass,
        format!(
            "kill -9 of a child process {per_mode}x each while writing (10 B..{} MiB), reading, \
             evicting and clearing a site; reopen, list, verify after each",
            max_size >> 20
        ),
        result,
    )
}

/// Runs `kills` child processes of one mode against one store, killing
/// each, and checks the store after each. Returns how many were killed.
fn one_mode(
    mode: &str,
    kills: usize,
    max_size: u64,
    max_delay_ms: u64,
    trim: u64,
    rng: &mut Rng,
    t: &mut Tally,
) -> usize {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("cos");
    let exe = std::env::current_exe().expect("this binary's path");
    // The entries the store must still have, oldest first.
    let mut model: Vec<Expected> = Vec::new();
    let mut done = 0;
    for _ in 0..kills {
        let mut child = match Command::new(&exe)
            .args(["kill-child", "--mode", mode, "--root"])
            .arg(&root)
            .args(["--seed", &rng.next_u64().to_string()])
            .args(["--max-size", &max_size.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                t.notes.push(format!("cannot start a child: {e}"));
                t.child_errors += 1;
                break;
            },
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == "READY" {
                    let _ = ready_tx.send(());
                }
                lines.push(line);
            }
            lines
        });
        // Time starts once the store is open: a kill before that tests
        // nothing but process start-up.
        let ready = ready_rx.recv_timeout(Duration::from_secs(60)).is_ok();
        if ready {
            std::thread::sleep(Duration::from_millis(rng.below(max_delay_ms + 1)));
        }
        let _ = child.kill();
        let _ = child.wait();
        let lines = reader.join().unwrap_or_default();
        if ready {
            done += 1;
            t.kills += 1;
        }

        // What the child reported, in order.
        let mut in_flight: Option<String> = None;
        let mut last_step = "open".to_string();
        for line in &lines {
            let mut words = line.split(' ');
            match words.next() {
                Some("BEGIN") => {
                    let op = words.next().unwrap_or("?").to_string();
                    last_step = op.clone();
                    in_flight = Some(op);
                },
                Some("PUB") => {
                    let (Some(hash), Some(size), Some(site)) =
                        (words.next(), words.next(), words.next())
                    else {
                        continue;
                    };
                    let Ok(hash) = hash.parse::<CosHash>() else {
                        continue;
                    };
                    if !model.iter().any(|e| e.hash == hash) {
                        model.push(Expected {
                            hash,
                            size: size.parse().unwrap_or(0),
                            site: site.to_string(),
                        });
                    }
                    in_flight = None;
                },
                Some("GONE") => {
                    if let Some(Ok(hash)) = words.next().map(str::parse::<CosHash>) {
                        model.retain(|e| e.hash != hash);
                    }
                },
                Some("QUOTA") => in_flight = None,
                Some("CLEAR") => {
                    last_step = "clear".into();
                    in_flight = Some(format!("clear {}", words.next().unwrap_or("")));
                },
                Some("CLEARED") => {
                    let site = words.next().unwrap_or("");
                    model.retain(|e| e.site != site);
                    in_flight = None;
                },
                Some("BAD") => t.bad_reads += 1,
                Some("ERR") => {
                    t.child_errors += 1;
                    t.notes.push(format!("{mode} child: {line}"));
                },
                _ => {},
            }
        }
        if ready {
            *t.landed.entry(last_step).or_default() += 1;
        } else {
            t.child_errors += 1;
            t.notes.push(format!(
                "{mode} child never opened the store: {}",
                lines.join(" / ")
            ));
        }

        // Reopen, as the next browser start would.
        let mut store = match Store::open(config(&root, capacity(mode))) {
            Ok(store) => store,
            Err(e) => {
                t.open_failures += 1;
                t.notes.push(format!("{mode}: reopen failed: {e}"));
                break;
            },
        };
        t.orphans_tmp += items_in(&store.layout().tmp_dir());
        let entries = match store.list() {
            Ok(entries) => entries,
            Err(e) => {
                t.open_failures += 1;
                t.notes
                    .push(format!("{mode}: list failed after reopen: {e}"));
                break;
            },
        };
        t.entries_checked += entries.len();
        let expected_files: HashSet<_> = entries
            .iter()
            .map(|e| store.layout().content_path(&e.hash))
            .collect();
        t.orphans_content += files_under(&store.layout().content_dir())
            .iter()
            .filter(|p| !expected_files.contains(*p))
            .count();
        match store.verify() {
            Ok(report) => t.partial += report.entries_dropped.len(),
            Err(e) => {
                t.partial += 1;
                t.notes.push(format!("{mode}: verify failed: {e}"));
            },
        }
        let present: HashSet<&CosHash> = entries.iter().map(|e| &e.hash).collect();

        // An operation the kill interrupted may have removed what it was
        // removing, all or part of it; nothing else may be missing.
        let missing: Vec<usize> = (0..model.len())
            .filter(|&i| !present.contains(&model[i].hash))
            .collect();
        let allowed = |i: usize| match in_flight.as_deref() {
            Some(op) if op.starts_with("clear ") => model[i].site == op["clear ".len()..],
            // Eviction takes the least recently used first: what an
            // interrupted evicting write took is the oldest entries.
            Some("evict-write") => {
                missing.iter().enumerate().all(|(k, &m)| k == m) && i < missing.len()
            },
            _ => false,
        };
        let lost: Vec<usize> = missing.iter().copied().filter(|&i| !allowed(i)).collect();
        if !lost.is_empty() {
            t.notes.push(format!(
                "{mode}: lost {} (last step {:?}), e.g. {} of {} bytes",
                lost.len(),
                in_flight,
                model[lost[0]].hash,
                model[lost[0]].size
            ));
        }
        t.lost += lost.len();
        model.retain(|e| present.contains(&e.hash));
        // The store's own eviction order from here on: by last use, then
        // creation (an entry adopted by recovery counts as new).
        let when: HashMap<&CosHash, u64> = entries
            .iter()
            .map(|e| (&e.hash, e.last_read.unwrap_or(e.created)))
            .collect();
        model.sort_by_key(|e| when.get(&e.hash).copied().unwrap_or(0));

        // Keep verification per kill bounded: start over once big.
        let total: u64 = entries.iter().map(|e| e.size).sum();
        if total > trim {
            if let Err(e) = store.clear_all() {
                t.notes.push(format!("{mode}: clear_all failed: {e}"));
            }
            model.clear();
        }
    }
    done
}
