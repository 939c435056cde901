/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `fuzz`: structure-aware fuzzing of everything that takes input from a
//! page or a file, for a time budget per target. PASS iff nothing panicked
//! (a panic on the storage thread kills Cross-Origin Storage for the whole
//! browser; one in the relay kills a content process's channel).
//!
//! - `ipc`: requests from a compromised content process, over a real
//!   ipc-channel, to a relay that forwards through `ContentSender` into a
//!   `StoreThread`, as Servo's bridge does. Well-formed `CosRequest`s built
//!   from an `arbitrary` byte stream (write ids learnt from earlier replies,
//!   so streams are continued), the same shapes with free-form origin, site
//!   and hash strings, mutated encodings and plain random bytes. The relay
//!   receives raw bytes and decodes them itself with postcard, the
//!   serializer ipc-channel uses: ipc-channel's own typed receive can panic
//!   inside its decoder on malformed input, which is a limit of the IPC
//!   crate, not of the store. Every message must get exactly one answer.
//! - `parsers`: `Origin::parse`, `Site::parse`, `CosHash::parse`,
//!   `RequestedOrigins`, the Permissions-Policy header and `allow` attribute
//!   parsers, and `PublicHashList::load` of random file contents.
//! - `serde`: every message type deserialized from mutated valid JSON and
//!   random JSON.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use cos_store::access::ContentSender;
use cos_store::thread::StoreThread;
use cos_store::{PublicHashList, Store};
use cos_traits::policy::{
    Allowlist, ContainerPolicy, DocumentPolicy, WorkerInheritance, parse_allow_attribute,
    parse_permissions_policy_header,
};
use cos_traits::{
    ConsentDecision, ConsentPolicy, ConsentRequest, CosAdminRequest, CosError, CosHash, CosRequest,
    CosResponse, EntryInfo, EntrySummary, HashAlgorithm, LookupOutcome, Origin, OriginActivity,
    RequestedOrigins, Site, WriteId,
};
use ipc_channel::ipc;
use serde::Serialize;
use serde_json::Value;

use crate::util::*;

type Answer = Option<Result<CosResponse, CosError>>;

const ORIGIN_SEEDS: &[&str] = &[
    "https://fuzz.example",
    "https://www.fuzz.example:8443",
    "https://a.b.fuzz.example",
    "https://fuzz.example.",
    "https://other.example",
    "http://fuzz.example",
    "http://127.0.0.1:8000",
    "http://[::1]:81",
    "https://[::ffff:1.2.3.4]",
    "http://localhost",
    "https://0x7f.1",
    "https://xn--nxasmq6b.example",
    "https://例え.テスト",
    "https://alice.github.io",
    "https://github.io",
    "https://co.uk",
    "blob:https://fuzz.example/6f1c",
    "data:text/plain,hi",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "ws://fuzz.example",
    "foo://bar",
    "null",
    "*",
    "",
    "https://",
    "https://a..b",
    "https://%66uzz.example",
    "https://fuzz.example:99999",
    "https://user:pw@fuzz.example/path?q#f",
];

const SITE_SEEDS: &[&str] = &[
    "https://fuzz.example",
    "https://other.example",
    "http://127.0.0.1",
    "http://[::1]",
    "https://localhost",
    "fuzz.example",
    "www.Example.com",
    "127.0.0.1",
    "https://github.io",
    "x",
];

const NOISE: &[&str] = &[
    ".", "/", ":", "%", "%00", "@", "[", "]", "\0", "\u{202e}", "é", "𝔘", " ", "\t", "\n", "#",
    "?", "\\", "\"", "'", "(", ")", ";", ",", "=", "*", "xn--", "..", "ß", "\u{fffd}", "-", "0",
];

fn choose<'a, T>(u: &mut Unstructured, items: &'a [T]) -> &'a T {
    u.choose(items).unwrap_or(&items[0])
}

fn small(u: &mut Unstructured, max: usize) -> usize {
    u.int_in_range(0..=max).unwrap_or(0)
}

/// Applies up to three edits to `s`: insertions of characters that mean
/// something to URL, header and hash parsers, deletions, repetitions.
fn mutate(u: &mut Unstructured, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..small(u, 3) {
        let at = small(u, chars.len());
        match small(u, 4) {
            0 => {
                let noise: Vec<char> = choose(u, NOISE).chars().collect();
                chars.splice(at..at, noise);
            },
            1 if at < chars.len() => {
                let end = (at + 1 + small(u, 4)).min(chars.len());
                chars.drain(at..end);
            },
            2 => {
                let c =
                    char::from_u32(u.arbitrary::<u32>().unwrap_or(0) % 0x11_0000).unwrap_or('x');
                chars.insert(at, c);
            },
            3 if !chars.is_empty() => {
                // A long repetition: label and length limits.
                let piece: String = chars[at.min(chars.len() - 1)..].iter().collect();
                let times = small(u, 64);
                chars.extend(piece.repeat(times).chars().take(5_000));
            },
            _ => {},
        }
    }
    chars.into_iter().collect()
}

fn origin_text(u: &mut Unstructured) -> String {
    if u.ratio(1, 10).unwrap_or(false) {
        return u.arbitrary::<String>().unwrap_or_default();
    }
    let seed = *choose(u, ORIGIN_SEEDS);
    if u.ratio(1, 2).unwrap_or(false) {
        seed.to_string()
    } else {
        mutate(u, seed)
    }
}

fn site_text(u: &mut Unstructured) -> String {
    let seed = *choose(u, SITE_SEEDS);
    if u.ratio(1, 2).unwrap_or(false) {
        seed.to_string()
    } else {
        mutate(u, seed)
    }
}

/// An origin that parses; most often the relay's own site, so that the
/// store itself (not only the relay's check) sees the request.
fn any_origin(u: &mut Unstructured) -> Origin {
    if u.ratio(2, 3).unwrap_or(true) {
        return Origin::parse(*choose(u, &ORIGIN_SEEDS[..3])).expect("a seed origin");
    }
    Origin::parse(&origin_text(u))
        .unwrap_or_else(|_| Origin::parse("https://other.example").expect("an origin"))
}

fn hash_value(u: &mut Unstructured) -> (String, String) {
    let algorithm = match small(u, 9) {
        0 => "SHA-1".to_string(),
        1 => "sha-384".into(),
        2 => "SHA-512".into(),
        3 => mutate(u, "SHA-256"),
        4 => String::new(),
        _ => "SHA-256".into(),
    };
    let len = *choose(u, &[64usize, 96, 128, 63, 65, 0, 1, 200]);
    let mut value: String = (0..len)
        .map(|_| *choose(u, &['0', '9', 'a', 'f', 'A', 'g', 'é']))
        .collect();
    if u.ratio(1, 2).unwrap_or(true) {
        value = value
            .chars()
            .map(|c| {
                if c.is_ascii_hexdigit() {
                    c.to_ascii_lowercase()
                } else {
                    'a'
                }
            })
            .collect();
    }
    (algorithm, value)
}

fn any_hash(u: &mut Unstructured, known: &[CosHash]) -> CosHash {
    if !known.is_empty() && u.ratio(1, 2).unwrap_or(true) {
        return choose(u, known).clone();
    }
    let algorithm = *choose(u, &HashAlgorithm::ALL);
    let digest: Vec<u8> = (0..algorithm.digest_len())
        .map(|_| u.arbitrary::<u8>().unwrap_or(0))
        .collect();
    CosHash::from_digest(algorithm, digest).expect("a digest of the right length")
}

fn number(u: &mut Unstructured) -> u64 {
    match small(u, 9) {
        0 => 0,
        1 => 1,
        2 => 4096,
        3 => 1 << 20,
        4 => cos_traits::MAX_FILE_SIZE,
        5 => cos_traits::MAX_FILE_SIZE + 1,
        6 => u64::MAX,
        7 => u.arbitrary::<u64>().unwrap_or(0),
        _ => small(u, 100_000) as u64,
    }
}

fn write_id(u: &mut Unstructured, ids: &[u64]) -> u64 {
    if !ids.is_empty() && u.ratio(4, 5).unwrap_or(true) {
        *choose(u, ids)
    } else {
        u.arbitrary::<u64>().unwrap_or(0)
    }
}

fn request(u: &mut Unstructured, known: &[CosHash], ids: &[u64]) -> CosRequest {
    let origin = any_origin(u);
    let top_site = if u.ratio(3, 4).unwrap_or(true) {
        origin.site().clone()
    } else {
        any_origin(u).site().clone()
    };
    match small(u, 8) {
        0 => CosRequest::Lookup {
            hash: any_hash(u, known),
            origin,
            top_site,
        },
        1 if u.ratio(1, 4).unwrap_or(false) => CosRequest::Open {
            hash: any_hash(u, known),
            origin,
        },
        1 => CosRequest::Read {
            hash: any_hash(u, known),
            origin,
            offset: number(u),
            len: *choose(u, &[0, 1, 100, 1 << 20, u32::MAX]),
        },
        2 => CosRequest::BeginWrite {
            hash: any_hash(u, known),
            origin,
            requested: match small(u, 2) {
                0 => RequestedOrigins::SameSite,
                1 => RequestedOrigins::Global,
                _ => {
                    let list: Vec<String> = (0..small(u, 5)).map(|_| origin_text(u)).collect();
                    RequestedOrigins::from_list(&list).unwrap_or_default()
                },
            },
        },
        3 => CosRequest::Write {
            id: WriteId(write_id(u, ids)),
            position: if u.ratio(1, 2).unwrap_or(true) {
                None
            } else {
                // Mostly small: a huge gap is refused before it is written,
                // but a budget-sized one would be spooled and re-hashed.
                Some(if u.ratio(9, 10).unwrap_or(true) {
                    small(u, 1 << 16) as u64
                } else {
                    number(u)
                })
            },
            bytes: {
                let len = small(u, 4096);
                u.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
            },
        },
        4 => CosRequest::Seek {
            id: WriteId(write_id(u, ids)),
            position: number(u),
        },
        5 => CosRequest::Truncate {
            id: WriteId(write_id(u, ids)),
            size: if u.ratio(9, 10).unwrap_or(true) {
                small(u, 1 << 16) as u64
            } else {
                number(u)
            },
        },
        6 => CosRequest::Finish {
            id: WriteId(write_id(u, ids)),
        },
        7 => CosRequest::Abort {
            id: WriteId(write_id(u, ids)),
        },
        _ => CosRequest::ReplenishProbeBudget { origin, top_site },
    }
}

/// `CosRequest`'s wire shape with every validated field a free string: what
/// a compromised process can put in a message that its own types would
/// refuse to build. Same variant and field order, so postcard lays it out
/// as a `CosRequest`.
#[derive(Serialize)]
struct RawHash {
    algorithm: String,
    value: String,
}

#[derive(Serialize)]
enum RawRequested {
    SameSite,
    List(Vec<String>),
    Global,
}

#[derive(Serialize)]
enum RawRequest {
    Lookup {
        hash: RawHash,
        origin: String,
        top_site: String,
    },
    Read {
        hash: RawHash,
        origin: String,
        offset: u64,
        len: u32,
    },
    BeginWrite {
        hash: RawHash,
        origin: String,
        requested: RawRequested,
    },
    ReplenishProbeBudget {
        origin: String,
        top_site: String,
    },
}

fn raw_request(u: &mut Unstructured) -> Vec<u8> {
    let (algorithm, value) = hash_value(u);
    let hash = RawHash { algorithm, value };
    let raw = match small(u, 3) {
        0 => RawRequest::Lookup {
            hash,
            origin: origin_text(u),
            top_site: site_text(u),
        },
        1 => RawRequest::Read {
            hash,
            origin: origin_text(u),
            offset: number(u),
            len: u.arbitrary().unwrap_or(0),
        },
        2 => RawRequest::BeginWrite {
            hash,
            origin: origin_text(u),
            requested: match small(u, 2) {
                0 => RawRequested::SameSite,
                1 => RawRequested::Global,
                _ => RawRequested::List((0..small(u, 120)).map(|_| origin_text(u)).collect()),
            },
        },
        _ => RawRequest::ReplenishProbeBudget {
            origin: origin_text(u),
            top_site: site_text(u),
        },
    };
    let mut bytes = postcard::to_stdvec(&raw).unwrap_or_default();
    // The mirror's variant indexes are not CosRequest's for the last two;
    // put the real index in front (postcard: one varint byte here).
    if let Some(first) = bytes.first_mut() {
        *first = match raw {
            RawRequest::Lookup { .. } => 0,
            RawRequest::Read { .. } => 1,
            RawRequest::BeginWrite { .. } => 2,
            RawRequest::ReplenishProbeBudget { .. } => 8,
        };
    }
    bytes
}

fn mutate_bytes(u: &mut Unstructured, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..=small(u, 4) {
        let at = small(u, bytes.len());
        match small(u, 2) {
            0 if at < bytes.len() => bytes[at] = u.arbitrary().unwrap_or(0xff),
            1 => bytes.insert(at, u.arbitrary().unwrap_or(0x80)),
            _ if at < bytes.len() => {
                bytes.truncate(at);
            },
            _ => {},
        }
    }
    bytes
}

/// Runs `case` until `budget` is spent; returns how many ran. Each case
/// gets a fresh `arbitrary` byte stream from the seeded generator.
fn for_budget(budget: Duration, rng: &mut Rng, mut case: impl FnMut(&mut Unstructured)) -> u64 {
    let started = Instant::now();
    let mut cases = 0;
    while started.elapsed() < budget {
        let data = rng.bytes(4096);
        let mut u = Unstructured::new(&data);
        // Counted by the panic hook; caught so that the run goes on.
        let _ = catch_unwind(AssertUnwindSafe(|| case(&mut u)));
        cases += 1;
    }
    cases
}

struct Target {
    name: &'static str,
    cases: u64,
    panics: usize,
    notes: Vec<String>,
}

fn fuzz_ipc(budget: Duration, rng: &mut Rng) -> Target {
    let panics_before = panics();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A small disk: a fuzzed write's zero-filled gap stays within MiBs.
    let config = config(&dir.path().join("cos"), 256 << 20);
    let own = origin("https://fuzz.example");
    let other = origin("https://other.example");
    let mut known = Vec::new();
    {
        let mut store = Store::open(config.clone()).expect("opening a new store");
        for i in 0..3u64 {
            known.push(
                put(
                    &mut store,
                    &own,
                    &pattern_vec(i, 1000 + i as usize * 70_000),
                )
                .unwrap(),
            );
            known.push(put(&mut store, &other, &pattern_vec(10 + i, 5000)).unwrap());
        }
    }
    let thread = StoreThread::start(config).expect("starting the storage thread");
    let site = own.site().clone();
    let content = ContentSender::new(thread.sender(), move |o: &Origin| o.site() == &site);

    let (bytes_tx, bytes_rx) = ipc::bytes_channel().expect("an ipc bytes channel");
    let (answer_tx, answer_rx) = ipc::channel::<Answer>().expect("an ipc channel");
    let relay = std::thread::Builder::new()
        .name("relay".into())
        .spawn(move || {
            while let Ok(bytes) = bytes_rx.recv() {
                let decoded = catch_unwind(|| postcard::from_bytes::<CosRequest>(&bytes).ok())
                    .ok()
                    .flatten();
                match decoded {
                    Some(request) => {
                        let answer = answer_tx.clone();
                        content.send(request, move |result| {
                            let _ = answer.send(Some(result));
                        });
                    },
                    None => {
                        let _ = answer_tx.send(None);
                    },
                }
            }
        })
        .expect("spawning the relay");

    let mut ids: Vec<u64> = Vec::new();
    let mut cases = 0u64;
    let mut kinds = [0u64; 4];
    let mut answers: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut unanswered = 0;
    let started = Instant::now();
    'outer: while started.elapsed() < budget {
        // Sent in batches: lookups are answered 2 ms after arrival, so one
        // at a time would spend the budget waiting.
        let batch = 32;
        for _ in 0..batch {
            let data = rng.bytes(4096);
            let mut u = Unstructured::new(&data);
            let kind = small(&mut u, 9);
            let message = catch_unwind(AssertUnwindSafe(|| match kind {
                0..=3 => postcard::to_stdvec(&request(&mut u, &known, &ids)).unwrap_or_default(),
                4..=5 => raw_request(&mut u),
                6..=7 => {
                    let valid =
                        postcard::to_stdvec(&request(&mut u, &known, &ids)).unwrap_or_default();
                    mutate_bytes(&mut u, valid)
                },
                _ => {
                    let len = small(&mut u, 256);
                    u.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
                },
            }))
            .unwrap_or_default();
            kinds[match kind {
                0..=3 => 0,
                4..=5 => 1,
                6..=7 => 2,
                _ => 3,
            }] += 1;
            if bytes_tx.send(&message).is_err() {
                break 'outer;
            }
            cases += 1;
        }
        for _ in 0..batch {
            match answer_rx.try_recv_timeout(Duration::from_secs(30)) {
                Ok(answer) => {
                    let name = match &answer {
                        None => "undecodable",
                        Some(Ok(CosResponse::WriteStarted(id))) => {
                            ids.push(id.0);
                            if ids.len() > 64 {
                                ids.remove(0);
                            }
                            "write started"
                        },
                        Some(Ok(CosResponse::Stored { .. })) => "stored",
                        Some(Ok(CosResponse::Bytes(_))) => "bytes",
                        Some(Ok(CosResponse::Lookup(_))) => "found",
                        Some(Ok(_)) => "done",
                        Some(Err(e)) => e.dom_name(),
                    };
                    *answers.entry(name).or_default() += 1;
                },
                Err(_) => {
                    unanswered += 1;
                    break 'outer;
                },
            }
        }
    }
    drop(bytes_tx);
    let _ = relay.join();
    // The store still serves its own origin after all that.
    let alive = matches!(
        thread.sender().call(CosRequest::Lookup {
            hash: known[0].clone(),
            origin: own.clone(),
            top_site: own.site().clone(),
        }),
        Ok(CosResponse::Lookup(LookupOutcome::Found(_)))
    );
    drop(thread);
    let mut notes = vec![format!(
        "{} well-formed, {} free-string, {} mutated, {} random; answers: {}",
        kinds[0],
        kinds[1],
        kinds[2],
        kinds[3],
        answers
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if unanswered > 0 {
        notes.push("FAIL: a message got no answer within 30 s".into());
    }
    if !alive {
        notes.push("FAIL: the store no longer finds its own entry afterwards".into());
    }
    Target {
        name: "ipc",
        cases,
        panics: panics() - panics_before + usize::from(unanswered > 0 || !alive),
        notes,
    }
}

fn phl_text(u: &mut Unstructured) -> String {
    let mut text = String::new();
    for _ in 0..small(u, 12) {
        let line = match small(u, 8) {
            0 => format!(
                "// ===BEGIN {}===",
                choose(
                    u,
                    &["SHA-256", "SHA-384", "SHA-512", "SHA-1", "sha-256", ""]
                )
            ),
            1 => format!("// ===END {}===", choose(u, &["SHA-256", "SHA-384", "x"])),
            2 => "// a comment".into(),
            3 => String::new(),
            4 => mutate(u, "// ===BEGIN SHA-256==="),
            5 => u.arbitrary::<String>().unwrap_or_default(),
            _ => hash_value(u).1,
        };
        text += &line;
        let end: &str = *choose(u, &["\n", "\r\n", "\n\n", ""][..]);
        text += end;
    }
    text
}

fn policy_text(u: &mut Unstructured) -> String {
    let pieces = [
        "cross-origin-storage",
        "=",
        "()",
        "*",
        "self",
        "src",
        "'self'",
        "'src'",
        "'none'",
        "\"https://fuzz.example\"",
        "https://other.example",
        "(",
        ")",
        " ",
        ",",
        ";",
        ";a=1",
        "\"",
        "\\",
        "geolocation=()",
        "CROSS-ORIGIN-STORAGE",
    ];
    let mut s: String = (0..small(u, 12)).map(|_| *choose(u, &pieces)).collect();
    if u.ratio(1, 3).unwrap_or(false) {
        s = mutate(u, &s);
    }
    s
}

fn fuzz_parsers(budget: Duration, rng: &mut Rng) -> Target {
    let panics_before = panics();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let phl_path = dir.path().join("public-hash-list.txt");
    let mut per: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut round = 0u64;
    let own = origin("https://fuzz.example");
    let cases = for_budget(budget, rng, |u| {
        round += 1;
        let name = match round % 7 {
            0 => {
                let _ = Origin::parse(&origin_text(u));
                "Origin::parse"
            },
            1 => {
                let _ = Site::parse(&site_text(u));
                "Site::parse"
            },
            2 => {
                let (algorithm, value) = hash_value(u);
                let _ = CosHash::parse(&algorithm, &value);
                let _ = format!("{algorithm}:{value}").parse::<CosHash>();
                "CosHash::parse"
            },
            3 => {
                let list: Vec<String> = (0..small(u, 110)).map(|_| origin_text(u)).collect();
                let _ = RequestedOrigins::from_list(&list);
                let _ = RequestedOrigins::from_string(&origin_text(u));
                "RequestedOrigins"
            },
            4 => {
                let values: Vec<String> = (0..=small(u, 3)).map(|_| policy_text(u)).collect();
                let _ =
                    parse_permissions_policy_header(values.iter().map(String::as_str), Some(&own));
                let _ = parse_permissions_policy_header(values.iter().map(String::as_str), None);
                "Permissions-Policy header"
            },
            5 => {
                let src = Origin::parse(&origin_text(u)).ok();
                let _ = parse_allow_attribute(&policy_text(u), Some(&own), src.as_ref());
                "allow attribute"
            },
            _ => {
                let text = phl_text(u);
                let _ = std::fs::write(&phl_path, text.as_bytes());
                let _ = PublicHashList::load(&phl_path);
                "PublicHashList::load"
            },
        };
        *per.entry(name).or_default() += 1;
    });
    Target {
        name: "parsers",
        cases,
        panics: panics() - panics_before,
        notes: vec![
            per.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ],
    }
}

/// Valid values of the message types, as JSON: the starting points that
/// mutation bends just out of shape.
fn examples() -> Vec<Value> {
    let o = origin("https://fuzz.example");
    let s = o.site().clone();
    let h = sha256(b"x");
    let id = WriteId(7);
    let summary = EntrySummary {
        hash: h.clone(),
        size: 1,
        created: 2,
        last_read: Some(3),
        globally_disclosable: true,
        on_public_hash_list: false,
        listed_origins: vec![o.clone()],
        stored_by: vec![OriginActivity {
            origin: o.clone(),
            first: 1,
            last: 2,
            count: 3,
        }],
        read_by: vec![],
    };
    let mut out = Vec::new();
    let mut add = |v: serde_json::Result<Value>| out.extend(v.ok());
    for r in [
        CosRequest::Lookup {
            hash: h.clone(),
            origin: o.clone(),
            top_site: s.clone(),
        },
        CosRequest::Open {
            hash: h.clone(),
            origin: o.clone(),
        },
        CosRequest::Read {
            hash: h.clone(),
            origin: o.clone(),
            offset: 1,
            len: 2,
        },
        CosRequest::BeginWrite {
            hash: h.clone(),
            origin: o.clone(),
            requested: RequestedOrigins::List(vec![o.clone()]),
        },
        CosRequest::Write {
            id,
            position: Some(3),
            bytes: vec![1, 2],
        },
        CosRequest::Seek { id, position: 1 },
        CosRequest::Truncate { id, size: 1 },
        CosRequest::Finish { id },
        CosRequest::Abort { id },
        CosRequest::ReplenishProbeBudget {
            origin: o.clone(),
            top_site: s.clone(),
        },
    ] {
        add(serde_json::to_value(r));
    }
    for r in [
        CosAdminRequest::RecordConsent {
            requesting_site: s.clone(),
            hash: Some(h.clone()),
            decision: ConsentDecision::Allow,
        },
        CosAdminRequest::ResetConsent,
        CosAdminRequest::ForgetConsent { site: s.clone() },
        CosAdminRequest::ListConsent,
        CosAdminRequest::AddFile {
            path: "/nonexistent/model.bin".into(),
        },
        CosAdminRequest::SetConsentPolicy(ConsentPolicy::Deny),
        CosAdminRequest::ClearOrigin { origin: o.clone() },
        CosAdminRequest::ClearSite { site: s.clone() },
        CosAdminRequest::RemoveEntry { hash: h.clone() },
        CosAdminRequest::ClearAll,
        CosAdminRequest::List,
    ] {
        add(serde_json::to_value(r));
    }
    for r in [
        CosResponse::Lookup(LookupOutcome::Found(EntryInfo {
            hash: h.clone(),
            size: 1,
        })),
        CosResponse::Lookup(LookupOutcome::NeedsConsent(ConsentRequest {
            requesting_site: s.clone(),
            hash: h.clone(),
            size: 1,
            storing_sites: vec![s.clone()],
        })),
        CosResponse::Bytes(vec![1, 2, 3]),
        CosResponse::WriteStarted(id),
        CosResponse::Stored { origins_dropped: 1 },
        CosResponse::Done,
        CosResponse::Entries(vec![summary]),
    ] {
        add(serde_json::to_value(r));
    }
    add(serde_json::to_value(Err::<(), _>(CosError::QuotaExceeded(
        "x".into(),
    ))));
    let nested = ContainerPolicy::Nested {
        parent_enabled: true,
        parent_allowlist: Allowlist::All,
        attribute_allowlist: Allowlist::Origins(vec![o.clone()]),
    };
    add(serde_json::to_value(DocumentPolicy::new(
        nested,
        Some(Allowlist::All),
        Some(&o),
    )));
    add(serde_json::to_value(WorkerInheritance {
        allowed: true,
        scope_ceiling: vec![o.clone()],
        top_level_site: Some(s.clone()),
    }));
    out
}

const KEYS: &[&str] = &[
    "hash",
    "origin",
    "top_site",
    "offset",
    "len",
    "requested",
    "id",
    "position",
    "bytes",
    "size",
    "algorithm",
    "value",
    "requesting_site",
    "decision",
    "site",
    "Lookup",
    "Read",
    "BeginWrite",
    "Write",
    "List",
    "Global",
    "SameSite",
    "Nested",
    "Origins",
    "All",
    "container",
    "declared",
    "enabled",
    "parent_enabled",
    "parent_allowlist",
    "attribute_allowlist",
    "scope_ceiling",
    "top_level_site",
    "Ok",
    "Err",
    "Found",
    "NeedsConsent",
    "storing_sites",
    "stored_by",
];

fn random_json(u: &mut Unstructured, depth: usize) -> Value {
    match small(u, if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary().unwrap_or(false)),
        2 => serde_json::json!(*choose(u, &[-1i64, 0, 1, i64::MAX, i64::MIN])),
        3 => serde_json::json!(*choose(u, &[0.5f64, 1e308, -0.0, 18446744073709551616.0])),
        4 => Value::String(if u.ratio(1, 2).unwrap_or(true) {
            origin_text(u)
        } else {
            choose(u, KEYS).to_string()
        }),
        5 => Value::Array(
            (0..small(u, 4))
                .map(|_| random_json(u, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..small(u, 3))
                .map(|_| (choose(u, KEYS).to_string(), random_json(u, depth + 1)))
                .collect(),
        ),
    }
}

/// Replaces, removes or adds one node somewhere in `v`.
fn mutate_json(u: &mut Unstructured, v: &mut Value) {
    let here = u.ratio(1, 3).unwrap_or(true);
    match v {
        Value::Object(map) if !map.is_empty() && !here => {
            let key = map
                .keys()
                .nth(small(u, map.len() - 1))
                .cloned()
                .unwrap_or_default();
            match small(u, 4) {
                0 => {
                    map.remove(&key);
                },
                1 => {
                    map.insert(choose(u, KEYS).to_string(), random_json(u, 0));
                },
                _ => mutate_json(u, map.get_mut(&key).expect("a present key")),
            }
        },
        Value::Array(items) if !items.is_empty() && !here => {
            let i = small(u, items.len() - 1);
            mutate_json(u, &mut items[i]);
        },
        Value::String(s) if u.ratio(1, 2).unwrap_or(true) => *s = mutate(u, s),
        _ => *v = random_json(u, 0),
    }
}

fn fuzz_serde(budget: Duration, rng: &mut Rng) -> Target {
    let panics_before = panics();
    let examples = examples();
    let mut documents = 0u64;
    let cases = for_budget(budget, rng, |u| {
        let text = if u.ratio(1, 5).unwrap_or(false) {
            random_json(u, 0).to_string()
        } else {
            let mut v: Value = choose(u, &examples[..]).clone();
            for _ in 0..=small(u, 2) {
                mutate_json(u, &mut v);
            }
            let text = v.to_string();
            if u.ratio(1, 5).unwrap_or(false) {
                mutate(u, &text)
            } else {
                text
            }
        };
        documents += 1;
        macro_rules! each {
            ($($t:ty),* $(,)?) => { $( let _ = serde_json::from_str::<$t>(&text); )* };
        }
        each!(
            CosRequest, CosAdminRequest, CosResponse, Result<CosResponse, CosError>, CosError,
            LookupOutcome, EntryInfo, ConsentRequest, ConsentDecision, ConsentPolicy,
            EntrySummary, OriginActivity, WriteId, Origin, Site, CosHash, HashAlgorithm,
            RequestedOrigins, Allowlist, ContainerPolicy, DocumentPolicy, WorkerInheritance,
        );
    });
    Target {
        name: "serde",
        cases,
        panics: panics() - panics_before,
        notes: vec![format!(
            "{documents} JSON documents x 22 types (mutated valid messages, random JSON, mangled text)"
        )],
    }
}

pub fn run(quick: bool) -> Outcome {
    let budget = Duration::from_secs(if quick { 5 } else { 600 });
    let (mut rng, seed) = Rng::from_time();
    let targets = [
        fuzz_ipc(budget, &mut rng),
        fuzz_parsers(budget, &mut rng),
        fuzz_serde(budget, &mut rng),
    ];
    let total: usize = targets.iter().map(|t| t.panics).sum();
    let mut lines: Vec<String> = targets
        .iter()
        .map(|t| {
            format!(
                "{}: {} cases, {} panics ({})",
                t.name,
                t.cases,
                t.panics,
                t.notes.join("; ")
            )
        })
        .collect();
    for message in first_panic_messages().iter().take(3) {
        lines.push(message.clone());
    }
    lines.push(format!("seed {seed}"));
    Outcome::new(
        total == 0,
        format!(
            "structure-aware fuzzing, {} s per target: IPC requests through ipc-channel, \
             ContentSender and StoreThread; origin/site/hash/origins-list/policy/PHL parsers; \
             serde of every message type",
            budget.as_secs()
        ),
        lines.join("\n"),
    )
}
