/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What every scenario shares: the outcome it reports, a seedable random
//! generator, reproducible file contents, and the store calls a page makes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use cos_store::thread::StoreSender;
use cos_store::{ConsentPolicy, Store, StoreConfig, WriteSession};
use cos_traits::{
    CosError, CosHash, CosRequest, CosResponse, HashAlgorithm, Origin, RequestedOrigins,
};

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Status {
    Pass,
    Fail,
    /// The scenario could not run here (reason in its result); not a failure.
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One row of the table.
pub struct Outcome {
    pub done: String,
    pub result: String,
    pub status: Status,
}

impl Outcome {
    pub fn new(pass: bool, done: impl Into<String>, result: impl Into<String>) -> Outcome {
        Outcome {
            done: done.into(),
            result: result.into(),
            status: if pass { Status::Pass } else { Status::Fail },
        }
    }
}

// Panics anywhere in the process (the storage thread, a reader thread, a
// relay) are counted by a hook, because a panic on another thread never
// reaches the scenario's own catch_unwind: the thread just dies and the
// page sees "the storage thread has exited".
static PANICS: AtomicUsize = AtomicUsize::new(0);
static PANIC_MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn install_panic_counter() {
    std::panic::set_hook(Box::new(|info| {
        let n = PANICS.fetch_add(1, Ordering::SeqCst);
        let message = format!(
            "panic on thread {:?}: {info}",
            std::thread::current().name().unwrap_or("?")
        );
        // A fuzzer that finds one panic usually finds it thousands of
        // times: print the first few, keep them for the report.
        if n < 5 {
            eprintln!("{message}");
        }
        let mut kept = PANIC_MESSAGES.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < 5 {
            kept.push(message);
        }
    }));
}

pub fn panics() -> usize {
    PANICS.load(Ordering::SeqCst)
}

pub fn first_panic_messages() -> Vec<String> {
    PANIC_MESSAGES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// xorshift64*: small, fast and reproducible from a seed, which is all a
/// fault injector needs (and keeps the harness off the `rand` API churn).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix(seed) | 1)
    }

    /// Seeded from the clock: every run explores new cases; the seed is
    /// printed so a failure can be replayed.
    pub fn from_time() -> (Rng, u64) {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        (Rng::new(seed), seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }
}

pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The bytes at `offset..offset + buf.len()` of the file named by `seed`.
/// Any piece can be regenerated on its own, so a reader can check gigabytes
/// without the harness holding them in memory.
pub fn pattern(seed: u64, offset: u64, buf: &mut [u8]) {
    let mut i = 0usize;
    while i < buf.len() {
        let at = offset + i as u64;
        let word = splitmix(seed ^ (at / 8).wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes();
        let from = (at % 8) as usize;
        let n = (8 - from).min(buf.len() - i);
        buf[i..i + n].copy_from_slice(&word[from..from + n]);
        i += n;
    }
}

pub fn pattern_vec(seed: u64, size: usize) -> Vec<u8> {
    let mut buf = vec![0u8; size];
    pattern(seed, 0, &mut buf);
    buf
}

/// The SHA-256 of the pattern file `seed` of `size` bytes, computed in
/// pieces (a page knows its hash before it writes).
pub fn pattern_hash(seed: u64, size: u64) -> CosHash {
    let mut hasher = HashAlgorithm::Sha256.hasher();
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0;
    while at < size {
        let n = (size - at).min(buf.len() as u64) as usize;
        pattern(seed, at, &mut buf[..n]);
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    CosHash::from_digest(HashAlgorithm::Sha256, hasher.finalize()).expect("a SHA-256 digest")
}

pub fn origin(s: &str) -> Origin {
    Origin::parse(s).expect("a valid origin")
}

pub fn sha256(bytes: &[u8]) -> CosHash {
    CosHash::of(HashAlgorithm::Sha256, bytes)
}

/// Product defaults except: cross-site disclosure needs no prompt, no
/// GREASE (it would make lookups nondeterministic), and the budgets sized
/// from `capacity` rather than whatever disk the temporary directory is on.
pub fn config(root: &Path, capacity: u64) -> StoreConfig {
    let mut config = StoreConfig::new(root);
    config.consent = ConsentPolicy::Allow;
    config.grease_basis_points = 0;
    config.disk_capacity = Some(capacity);
    config
}

/// Stores `bytes` as `origin` through the synchronous API.
pub fn put(store: &mut Store, origin: &Origin, bytes: &[u8]) -> Result<CosHash, CosError> {
    let hash = sha256(bytes);
    let mut session = store.begin_write(hash.clone(), origin)?;
    for chunk in bytes.chunks(256 * 1024) {
        session.write(None, chunk)?;
    }
    let verified = session.finish()?;
    store.publish(verified, origin, &RequestedOrigins::SameSite)?;
    Ok(hash)
}

/// Appends the pattern file `seed` of `size` bytes to `session` in writes of
/// `piece` bytes, without holding it whole.
pub fn write_pattern(
    session: &mut WriteSession,
    seed: u64,
    size: u64,
    piece: usize,
) -> Result<(), CosError> {
    let mut buf = vec![0u8; piece];
    let mut at = 0;
    while at < size {
        let n = (size - at).min(piece as u64) as usize;
        pattern(seed, at, &mut buf[..n]);
        session.write(None, &buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

/// Stores the pattern file `seed` of `size` bytes without holding it whole.
pub fn put_pattern(
    store: &mut Store,
    origin: &Origin,
    seed: u64,
    size: u64,
) -> Result<CosHash, CosError> {
    let hash = pattern_hash(seed, size);
    let mut session = store.begin_write(hash.clone(), origin)?;
    write_pattern(&mut session, seed, size, 1 << 20)?;
    let verified = session.finish()?;
    store.publish(verified, origin, &RequestedOrigins::SameSite)?;
    Ok(hash)
}

/// Writes `chunks` as a page's `createWritable()` stream through the
/// storage thread: BeginWrite, one Write per chunk, Finish.
pub fn write_through(
    sender: &StoreSender,
    origin: &Origin,
    hash: &CosHash,
    mut chunks: impl FnMut() -> Option<Vec<u8>>,
) -> Result<(), CosError> {
    let id = match sender.call(CosRequest::BeginWrite {
        hash: hash.clone(),
        origin: origin.clone(),
        requested: RequestedOrigins::SameSite,
    })? {
        CosResponse::WriteStarted(id) => id,
        other => return Err(CosError::Storage(format!("unexpected reply {other:?}"))),
    };
    while let Some(bytes) = chunks() {
        if let Err(e) = sender.call(CosRequest::Write {
            id,
            position: None,
            bytes,
        }) {
            let _ = sender.call(CosRequest::Abort { id });
            return Err(e);
        }
    }
    match sender.call(CosRequest::Finish { id })? {
        CosResponse::Stored { .. } => Ok(()),
        other => Err(CosError::Storage(format!("unexpected reply {other:?}"))),
    }
}

/// Every file (not directory) under `dir`; empty if it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(items) = std::fs::read_dir(d) {
            for item in items.flatten() {
                if item.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&item.path(), out)
                } else {
                    out.push(item.path())
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// Everything directly in `dir` (files and directories).
pub fn items_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |items| items.count())
}

pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len() - 1) as f64 * p).round() as usize;
    s[i]
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The message of a caught panic.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// The bytes a page received, and how many of them were wrong.
pub struct ReadBack {
    pub delivered: u64,
    pub corrupt: u64,
    /// How the read ended, if not with the whole file.
    pub error: Option<CosError>,
}

/// Reads `hash` from 0 to its end in `piece`-byte requests as `origin`,
/// comparing each reply against `expected(offset, len)`.
pub fn read_all(
    sender: &StoreSender,
    origin: &Origin,
    hash: &CosHash,
    size: u64,
    piece: u32,
    mut expected: impl FnMut(u64, &mut [u8]),
) -> ReadBack {
    let mut back = ReadBack {
        delivered: 0,
        corrupt: 0,
        error: None,
    };
    let mut want = vec![0u8; piece as usize];
    let mut at = 0;
    while at < size {
        match sender.call(CosRequest::Read {
            hash: hash.clone(),
            origin: origin.clone(),
            offset: at,
            len: piece,
        }) {
            Ok(CosResponse::Bytes(bytes)) if !bytes.is_empty() => {
                let want = &mut want[..bytes.len()];
                expected(at, want);
                back.corrupt += bytes
                    .iter()
                    .zip(want.iter())
                    .filter(|(a, b)| a != b)
                    .count() as u64;
                back.delivered += bytes.len() as u64;
                at += bytes.len() as u64;
            },
            Ok(other) => {
                back.error = Some(CosError::Storage(format!("unexpected reply {other:?}")));
                break;
            },
            Err(e) => {
                back.error = Some(e);
                break;
            },
        }
    }
    back
}
