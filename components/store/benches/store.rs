/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What the store costs on top of the work it cannot avoid.
//!
//! `write` stores one 256 MiB file three ways: through the store (hash
//! while writing, fsync, rename, fsync the directory, commit the index),
//! as the bare durable minimum (the same hashing, writing and syncing with
//! no index), and through `cacache`, a content-addressed cache with the
//! same integrity check but no fsync at all. `lookup` times answering
//! whether a hash exists, for each answer a page can get. `read` reads
//! entries back through the storage thread as a page does, every piece
//! checked, against reading the same bytes unchecked.
//!
//! Besides criterion's reports, each group prints plain summary lines
//! (`ratio ...`, `lookup ... p50=.. p99=..`) so that a run can be compared
//! with the targets without reading criterion's output.
//!
//! Run with `cargo bench -p cos-store --bench store`; name a group to run
//! only that one: `cargo bench -p cos-store --bench store -- read`.

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use cos_store::thread::StoreThread;
use cos_store::{ConsentPolicy, ReadTicket, Store, StoreConfig};
use cos_traits::{
    CosError, CosHash, CosRequest, CosResponse, HashAlgorithm, LookupOutcome, Origin,
    RequestedOrigins,
};
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use tempfile::TempDir;

/// Large enough that per-write overheads (opening the temporary file,
/// committing the index) are noise next to moving the bytes.
const FILE_SIZE: usize = 256 << 20;
/// The store hashes and copies in pieces of this size, so the baseline
/// does too.
const CHUNK: usize = 1 << 20;
/// Interleaved repetitions behind each printed ratio (after one untimed
/// round that warms the page cache and allocator).
const RATIO_REPETITIONS: usize = 5;
/// Criterion's minimum; each write sample already takes seconds.
const WRITE_SAMPLES: usize = 10;

/// Entries in the store the lookups run against.
const LOOKUP_ENTRIES: usize = 1000;
const LOOKUP_ENTRY_SIZE: usize = 1024;
/// Individually timed lookups behind each printed p50/p99.
const TIMED_LOOKUPS: usize = 10_000;

/// The bytes every write contender stores, and their hash.
struct Payload {
    bytes: Vec<u8>,
    hash: CosHash,
}

impl Payload {
    fn new(size: usize) -> Payload {
        let bytes = pseudo_random_bytes(size, 0);
        let hash = CosHash::of(HashAlgorithm::Sha256, &bytes);
        Payload { bytes, hash }
    }
}

/// Incompressible-looking bytes, in case the disk or filesystem would
/// shortcut runs of zeros; xorshift keeps generation far cheaper than any
/// write being measured, and deterministic across runs. Distinct seeds give
/// distinct bytes (the multiplier is odd, so seeds map to distinct nonzero
/// states), which the lookup entries rely on.
fn pseudo_random_bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut bytes = Vec::with_capacity(size + 8);
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

fn origin(s: &str) -> Origin {
    Origin::parse(s).expect("benchmark origins are valid")
}

/// Product defaults, except for what would make measurements depend on
/// the machine or on how many lookups criterion decides to run.
fn config(dir: &TempDir) -> StoreConfig {
    let mut config = StoreConfig::new(dir.path().join("cos"));
    // The quota derives from disk size; fix it so a 256 MiB write always
    // fits, whatever the free space of the machine running the bench.
    config.disk_capacity = Some(1 << 40);
    // A prompt would stop cross-site lookups before the work we measure.
    config.consent = ConsentPolicy::Allow;
    // Repeating one hash is free anyway; this only guards against a
    // future change to that rule turning lookups into budget refusals.
    config.probe_budget = u32::MAX;
    config
}

fn scratch_dir() -> TempDir {
    tempfile::tempdir().expect("creating a scratch directory")
}

// Each contender is a setup (untimed) and a routine (timed) whose output
// is dropped untimed, which deletes the 256 MiB it wrote before the next
// iteration: the disk never holds more than one copy.

/// A fresh store per iteration, so every write is a first write (a repeat
/// of a stored hash would skip the rename) and the index stays small.
fn cos_store_setup() -> (TempDir, Store) {
    let dir = scratch_dir();
    let store = Store::open(config(&dir)).expect("opening a store");
    (dir, store)
}

fn cos_store_write((dir, mut store): (TempDir, Store), payload: &Payload) -> (TempDir, Store) {
    let writer = origin("https://writer.example");
    let mut session = store
        .begin_write(payload.hash.clone(), &writer)
        .expect("beginning a write");
    for chunk in payload.bytes.chunks(CHUNK) {
        session.write(None, chunk).expect("writing a chunk");
    }
    let verified = session.finish().expect("the payload matches its hash");
    store
        .publish(verified, &writer, &RequestedOrigins::SameSite)
        .expect("publishing");
    (dir, store)
}

/// The least a durable, verified, content-addressed write can do: hash
/// while writing, fsync, rename into place, fsync the directory so the
/// rename survives a crash (the store does all of these too).
fn baseline_write(dir: TempDir, payload: &Payload) -> TempDir {
    let temp_path = dir.path().join("incoming");
    let mut file = File::create(&temp_path).expect("creating the temporary file");
    let mut hasher = HashAlgorithm::Sha256.hasher();
    for chunk in payload.bytes.chunks(CHUNK) {
        hasher.update(chunk);
        file.write_all(chunk).expect("writing a chunk");
    }
    assert_eq!(
        hasher.finalize(),
        payload.hash.digest(),
        "the payload matches its hash"
    );
    file.sync_all().expect("flushing the file");
    std::fs::rename(&temp_path, dir.path().join(hex_digest(&payload.hash)))
        .expect("renaming into place");
    File::open(dir.path())
        .and_then(|d| d.sync_all())
        .expect("flushing the directory");
    dir
}

/// cacache's synchronous keyed write: it hashes and renames into place
/// but never fsyncs, so it does less durable work than the other two.
fn cacache_write(dir: TempDir, payload: &Payload) -> TempDir {
    let integrity =
        cacache::write_sync(dir.path(), "payload", &payload.bytes).expect("writing to cacache");
    // Checked so that all three contenders provably computed the same hash.
    assert_eq!(integrity.to_hex().1, hex_digest(&payload.hash));
    dir
}

fn hex_digest(hash: &CosHash) -> String {
    hash.digest().iter().map(|b| format!("{b:02x}")).collect()
}

/// One run of a contender, timed as criterion's `iter_batched` times it.
fn time_once<I, O>(setup: impl FnOnce() -> I, routine: impl FnOnce(I) -> O) -> (Duration, O) {
    let input = setup();
    let start = Instant::now();
    let output = routine(input);
    (start.elapsed(), output)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Sizes criterion's runs of a write routine taking up to `per_iteration`
/// so the group takes seconds, not minutes, whatever the disk's speed.
fn size_write_bench(group: &mut BenchmarkGroup<'_, WallTime>, per_iteration: Duration) {
    // Criterion estimates an iteration's time from its warm-up, doubling
    // the iterations until the warm-up time is spent: one slowest run's
    // worth is usually three iterations (one, then two), enough to average
    // out a slow one.
    group.warm_up_time(per_iteration);
    // One iteration per sample would be enough, but criterion warns about
    // any sample of one; 2.5 keeps samples at two or more iterations as
    // long as its estimate is under 2.5 times ours.
    group.measurement_time(per_iteration.mul_f64(WRITE_SAMPLES as f64 * 2.5));
}

fn write_benches(c: &mut Criterion) {
    if !selected("write") {
        return;
    }
    let payload = Payload::new(FILE_SIZE);

    // The ratios come from our own interleaved runs rather than from
    // criterion's: interleaving spreads background load (other builds on
    // the machine) evenly over the contenders, which back-to-back
    // criterion runs do not. They double as warm-up and as the estimates
    // that size criterion's runs below. Each closure drops its output
    // (deleting the file) after taking the time, so cleanup stays untimed.
    let contenders: [&dyn Fn() -> Duration; 3] = [
        &|| time_once(cos_store_setup, |s| cos_store_write(s, &payload)).0,
        &|| time_once(scratch_dir, |d| baseline_write(d, &payload)).0,
        &|| time_once(scratch_dir, |d| cacache_write(d, &payload)).0,
    ];
    let mut times: [Vec<Duration>; 3] = Default::default();
    for round in 0..=RATIO_REPETITIONS {
        // Rotating the order keeps any after-effect of one contender (say,
        // writeback it left behind) from always landing on the same other.
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            let time = contenders[i]();
            if round > 0 {
                times[i].push(time);
            }
        }
    }
    // Sized by the slowest run, so one slow criterion warm-up still
    // leaves room for two iterations per sample.
    let slowest = times
        .each_ref()
        .map(|t| *t.iter().max().expect("at least one run"));
    let [cos_store, baseline, cacache] = times.map(median);

    let mut group = c.benchmark_group("write");
    group
        .throughput(Throughput::Bytes(FILE_SIZE as u64))
        .sample_size(WRITE_SAMPLES)
        // Linear sampling would need 55 iterations or more.
        .sampling_mode(SamplingMode::Flat);

    size_write_bench(&mut group, slowest[0]);
    group.bench_function("cos-store", |b| {
        b.iter_batched(
            cos_store_setup,
            |s| cos_store_write(s, &payload),
            BatchSize::PerIteration,
        )
    });
    size_write_bench(&mut group, slowest[1]);
    group.bench_function("sha256+fsync+rename", |b| {
        b.iter_batched(
            scratch_dir,
            |d| baseline_write(d, &payload),
            BatchSize::PerIteration,
        )
    });
    size_write_bench(&mut group, slowest[2]);
    group.bench_function("cacache", |b| {
        b.iter_batched(
            scratch_dir,
            |d| cacache_write(d, &payload),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mib_per_s = |d: Duration| FILE_SIZE as f64 / (1 << 20) as f64 / d.as_secs_f64();
    println!(
        "write medians of {RATIO_REPETITIONS}: cos-store {:.0} MiB/s, baseline {:.0} MiB/s, cacache {:.0} MiB/s",
        mib_per_s(cos_store),
        mib_per_s(baseline),
        mib_per_s(cacache),
    );
    // Throughput ratios are inverse time ratios.
    println!(
        "ratio cos-store/baseline: {:.2}",
        baseline.as_secs_f64() / cos_store.as_secs_f64()
    );
    println!(
        "ratio cos-store/cacache: {:.2}",
        cacache.as_secs_f64() / cos_store.as_secs_f64()
    );
}

fn lookup_benches(c: &mut Criterion) {
    if !selected("lookup") {
        return;
    }
    let dir = scratch_dir();
    let mut store = Store::open(config(&dir)).expect("opening a store");
    let home = origin("https://app.example.com");
    let elsewhere = origin("https://cdn.example.net");

    // Half the entries are the looking-up site's own, half another site's,
    // so the index holds rows of both kinds around the ones looked up.
    let mut hashes = Vec::with_capacity(LOOKUP_ENTRIES);
    for i in 0..LOOKUP_ENTRIES {
        let bytes = pseudo_random_bytes(LOOKUP_ENTRY_SIZE, i as u64 + 1);
        let hash = CosHash::of(HashAlgorithm::Sha256, &bytes);
        let storer = if i % 2 == 0 { &home } else { &elsewhere };
        let mut session = store
            .begin_write(hash.clone(), storer)
            .expect("beginning a write");
        session.write(None, &bytes).expect("writing");
        let verified = session.finish().expect("the entry matches its hash");
        store
            .publish(verified, storer, &RequestedOrigins::SameSite)
            .expect("publishing");
        hashes.push(hash);
    }
    let never_stored = pseudo_random_bytes(LOOKUP_ENTRY_SIZE, u64::MAX);
    let cases = [
        ("present", hashes[LOOKUP_ENTRIES / 2].clone()),
        ("absent", CosHash::of(HashAlgorithm::Sha256, &never_stored)),
        // Stored same-site-only by another site: refused, and refused the
        // same way as an absent hash, which is what its timing should show.
        ("withheld", hashes[LOOKUP_ENTRIES / 2 + 1].clone()),
    ];
    let top_site = home.site().clone();

    // A bench of the wrong answer would look plausible, so check each case
    // answers as named (this also spends each hash's one probe charge).
    for (name, hash) in &cases {
        let found = match store.lookup(hash, &home, &top_site) {
            Ok(LookupOutcome::Found(_)) => true,
            Err(CosError::NotFound) => false,
            other => panic!("lookup {name}: unexpected {other:?}"),
        };
        assert_eq!(found, *name == "present", "lookup {name}");
    }

    // Every lookup commits to the index (a probe or a read record), so
    // its cost is mostly the disk's fsync latency, which varies by tens of
    // times under background I/O; a warm-up estimate can be far off, and a
    // small sample count bounds the iterations a slow disk must serve.
    let mut group = c.benchmark_group("lookup");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, hash) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| store.lookup(black_box(hash), &home, &top_site))
        });
    }
    group.finish();

    // Criterion reports means; tails need every lookup timed on its own
    // (Instant's own cost is tens of nanoseconds, far below a lookup's).
    // The cases take turns so that a stretch of slow disk lands on all
    // three alike rather than on whichever ran then.
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for _ in 0..TIMED_LOOKUPS {
        for ((_, hash), samples) in cases.iter().zip(&mut samples) {
            let start = Instant::now();
            let result = store.lookup(black_box(hash), &home, &top_site);
            samples.push(start.elapsed());
            let _ = black_box(result);
        }
    }
    for ((name, _), mut samples) in cases.iter().zip(samples) {
        samples.sort();
        let micros = |p: usize| samples[samples.len() * p / 100].as_secs_f64() * 1e6;
        println!(
            "lookup {name} p50={:.1}µs p99={:.1}µs",
            micros(50),
            micros(99)
        );
    }
}

/// What a page's `getFile()` asks the storage thread for in one `Read`
/// (`READ_CHUNK` in the script patch).
const PAGE_REQUEST: u32 = 8 << 20;
/// The entry sizes the read group reads back.
const READ_SIZES: [usize; 2] = [64 << 20, 256 << 20];
/// Interleaved repetitions behind each read figure: a read takes tens of
/// milliseconds, and under background load their spread is wide enough
/// that telling a ratio of 0.9 from one of 1 takes many of them.
const READ_REPETITIONS: usize = 31;

/// The groups, by the names criterion reports them under.
const GROUPS: [&str; 3] = ["lookup", "write", "read"];

/// Whether to run `group`'s own measurements: `cargo bench -p cos-store
/// --bench store -- read` runs only the read group (criterion applies the
/// same filter to the benchmarks it times; this skips the setup and the
/// interleaved measurements each group does around them). With no group
/// named, all run.
fn selected(group: &str) -> bool {
    let named: Vec<&str> = GROUPS
        .into_iter()
        .filter(|g| std::env::args().skip(1).any(|a| a == *g))
        .collect();
    named.is_empty() || named.contains(&group)
}

fn mean(samples: &[Duration]) -> Duration {
    samples.iter().sum::<Duration>() / samples.len() as u32
}

/// The storage thread as it served reads before pieces were checked: a
/// thread that owns a store and authorizes each request
/// (`Store::authorize_read`), handing it to one of two reader threads,
/// which opens the entry's file, reads the range into a new zeroed buffer
/// and answers through a channel (what `ReadTicket::read` did then). The
/// same hand-offs, index queries, and allocation on one thread and release
/// on another as the real one, so that comparing the two measures what
/// checking costs.
struct UncheckedReader {
    requests: crossbeam_channel::Sender<ReadJob>,
}

/// What to read, and where to send it.
type ReadJob = (CosHash, u64, usize, crossbeam_channel::Sender<Vec<u8>>);
/// A read, authorized.
type AuthorizedJob = (ReadTicket, u64, usize, crossbeam_channel::Sender<Vec<u8>>);

impl UncheckedReader {
    fn start(mut store: Store, origin: Origin) -> UncheckedReader {
        let (requests, incoming) = crossbeam_channel::unbounded::<ReadJob>();
        let (tickets, jobs) = crossbeam_channel::unbounded::<AuthorizedJob>();
        std::thread::spawn(move || {
            for (hash, offset, len, reply) in incoming {
                let ticket = store.authorize_read(&hash, &origin).expect("authorized");
                let _ = tickets.send((ticket, offset, len, reply));
            }
        });
        for _ in 0..2 {
            let jobs = jobs.clone();
            std::thread::spawn(move || {
                use std::os::unix::fs::FileExt;
                for (ticket, offset, len, reply) in jobs {
                    let file = File::open(&ticket.path).expect("opening");
                    let mut bytes = vec![0u8; len];
                    file.read_exact_at(&mut bytes, offset).expect("reading");
                    let _ = reply.send(bytes);
                }
            });
        }
        UncheckedReader { requests }
    }

    fn read(&self, hash: &CosHash, offset: u64, len: usize) -> Vec<u8> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.requests
            .send((hash.clone(), offset, len, reply))
            .expect("the reader is running");
        answer.recv().expect("the reader answers")
    }
}

/// Stores `payloads` in a new store in `dir`, as `writer`.
fn store_payloads(dir: &TempDir, payloads: &[Payload], writer: &Origin) -> Store {
    let mut store = Store::open(config(dir)).expect("opening a store");
    for payload in payloads {
        let mut session = store
            .begin_write(payload.hash.clone(), writer)
            .expect("beginning a write");
        for chunk in payload.bytes.chunks(CHUNK) {
            session.write(None, chunk).expect("writing a chunk");
        }
        let verified = session.finish().expect("the payload matches its hash");
        store
            .publish(verified, writer, &RequestedOrigins::SameSite)
            .expect("publishing");
    }
    store
}

/// Reading stored entries back as a page does, in `Read` requests of
/// [`PAGE_REQUEST`] bytes, three ways: through the storage thread, every
/// 1 MiB piece checked against its digest before it is answered; through
/// [`UncheckedReader`], the same requests served as they were before pieces
/// were checked; and as plain reads on the bench's own thread, each into a
/// new zeroed buffer (no thread, no check: the floor). Prints each one's
/// throughput and the checked/unchecked ratio (the target: 0.9 or more),
/// from medians and from means.
fn read_benches(_: &mut Criterion) {
    if !selected("read") {
        return;
    }
    let payloads = READ_SIZES.map(Payload::new);
    let reader = origin("https://writer.example");
    // The checked store and the unchecked one each hold the entries.
    let (checked_dir, unchecked_dir) = (scratch_dir(), scratch_dir());
    drop(store_payloads(&checked_dir, &payloads, &reader));
    let thread = StoreThread::start(config(&checked_dir)).expect("starting the storage thread");
    let sender = thread.sender();
    let unchecked_store = store_payloads(&unchecked_dir, &payloads, &reader);
    let paths = payloads
        .each_ref()
        .map(|payload| unchecked_store.layout().content_path(&payload.hash));
    let unchecked_reader = UncheckedReader::start(unchecked_store, reader.clone());

    for (payload, path) in payloads.iter().zip(&paths) {
        let size = payload.bytes.len() as u64;
        // The lengths of a page's requests, in order.
        let requests = || {
            (0..size).step_by(PAGE_REQUEST as usize).map(move |offset| {
                (
                    offset,
                    (size - offset).min(u64::from(PAGE_REQUEST)) as usize,
                )
            })
        };
        let checked = |keep: &mut dyn FnMut(&[u8])| {
            for (offset, len) in requests() {
                let response = sender
                    .call(CosRequest::Read {
                        hash: payload.hash.clone(),
                        origin: reader.clone(),
                        offset,
                        len: len as u32,
                    })
                    .expect("reading");
                let CosResponse::Bytes(bytes) = response else {
                    panic!("a read answered {response:?}");
                };
                assert_eq!(bytes.len(), len, "the read at {offset}");
                keep(&bytes);
                black_box(bytes);
            }
        };
        let unchecked = || {
            for (offset, len) in requests() {
                black_box(unchecked_reader.read(&payload.hash, offset, len));
            }
        };
        let plain = || {
            use std::os::unix::fs::FileExt;
            let file = File::open(path).expect("opening");
            for (offset, len) in requests() {
                let mut bytes = vec![0u8; len];
                file.read_exact_at(&mut bytes, offset).expect("reading");
                black_box(bytes);
            }
        };

        // One untimed round warms the page cache and the allocators, and
        // shows the checked reads return the stored bytes.
        let mut back = Vec::with_capacity(payload.bytes.len());
        checked(&mut |bytes| back.extend_from_slice(bytes));
        assert!(back == payload.bytes, "the store returned other bytes");
        drop(back);
        unchecked();
        plain();

        let contenders: [&dyn Fn() -> Duration; 3] = [
            &|| time_once(|| (), |()| checked(&mut |_| {})).0,
            &|| time_once(|| (), |()| unchecked()).0,
            &|| time_once(|| (), |()| plain()).0,
        ];
        let mut times: [Vec<Duration>; 3] = Default::default();
        for round in 0..READ_REPETITIONS {
            // Rotating the order, as for writes.
            for k in 0..contenders.len() {
                let i = (round + k) % contenders.len();
                times[i].push(contenders[i]());
            }
        }
        let mib = size as f64 / (1 << 20) as f64;
        let rate = |d: Duration| mib / d.as_secs_f64();
        let means = times.each_ref().map(|t| mean(t));
        let medians = times.map(median);
        println!(
            "read {mib:.0} MiB in {} MiB requests, medians (means) of {READ_REPETITIONS}: \
             checked {:.0} ({:.0}) MiB/s, unchecked {:.0} ({:.0}) MiB/s, \
             plain reads on one thread {:.0} ({:.0}) MiB/s",
            PAGE_REQUEST >> 20,
            rate(medians[0]),
            rate(means[0]),
            rate(medians[1]),
            rate(means[1]),
            rate(medians[2]),
            rate(means[2]),
        );
        let ratio =
            |times: [Duration; 3], base: usize| times[base].as_secs_f64() / times[0].as_secs_f64();
        println!(
            "ratio read {mib:.0} MiB checked/unchecked: {:.2} (means {:.2}); \
             checked/plain: {:.2} (means {:.2})",
            ratio(medians, 1),
            ratio(means, 1),
            ratio(medians, 2),
            ratio(means, 2),
        );
    }
}

// Lookups first: each one waits on an fsync, and deleting the gigabytes
// the write group leaves behind can keep the disk busy (discards, on a
// filesystem mounted with `discard`) for seconds after that group ends.
criterion_group!(benches, lookup_benches, write_benches, read_benches);
criterion_main!(benches);
