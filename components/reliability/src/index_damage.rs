/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `index-damage`: opens a store whose `index.sqlite` (or `tmp/`) was
//! damaged in seven ways, and reports per case whether it opened, whether
//! the content files survived, and what error was given.
//!
//! The content files are what cost a user gigabytes of downloads; the
//! index is bookkeeping that can be rebuilt from them (they are named by
//! their hashes). So a damaged index must be recovered, never fatal and
//! never a reason to delete content. The one exception is an index of a
//! newer schema: this code cannot know what a rebuild would lose, so it
//! must refuse, clearly, and touch nothing.

use std::path::Path;

use cos_store::{OpenError, SCHEMA_VERSION, Store};

use crate::util::*;

struct Case {
    label: &'static str,
    damage: fn(&Path, &mut Rng),
    /// The store must open (a recoverable case) or refuse with NewerSchema.
    must_open: bool,
    /// Listing must work after opening.
    must_list: bool,
}

fn index(root: &Path) -> std::path::PathBuf {
    root.join("index.sqlite")
}

/// The WAL is checkpointed into the main file when the last connection
/// closes; if one is left, the damage would be to the wrong file.
fn without_wal(root: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(root.join(format!("index.sqlite{suffix}")));
    }
}

fn sql(root: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(index(root)).expect("opening the index with SQLite");
    conn.execute_batch(statement).expect("damaging the index");
}

const CASES: [Case; 7] = [
    Case {
        label: "(a) index truncated to half",
        damage: |root, _| {
            without_wal(root);
            let len = std::fs::metadata(index(root)).map_or(0, |m| m.len());
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(index(root))
                .unwrap();
            file.set_len(len / 2).unwrap();
        },
        must_open: true,
        must_list: true,
    },
    Case {
        label: "(b) index zero-length",
        damage: |root, _| {
            without_wal(root);
            std::fs::write(index(root), b"").unwrap();
        },
        must_open: true,
        must_list: true,
    },
    Case {
        label: "(c) index overwritten with garbage",
        damage: |root, rng| {
            without_wal(root);
            let len = std::fs::metadata(index(root)).map_or(4096, |m| m.len());
            std::fs::write(index(root), rng.bytes(len as usize)).unwrap();
        },
        must_open: true,
        must_list: true,
    },
    Case {
        label: "(d) user_version newer than this build",
        damage: |root, _| {
            sql(
                root,
                &format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1),
            );
        },
        must_open: false,
        must_list: false,
    },
    Case {
        label: "(e) an entries row with an unknown algorithm",
        damage: |root, _| {
            sql(
                root,
                "UPDATE entries SET algorithm = 'MD5' WHERE id = (SELECT min(id) FROM entries)",
            );
        },
        must_open: true,
        must_list: true,
    },
    Case {
        label: "(f) a stray directory in tmp/",
        damage: |root, _| {
            let stray = root.join("tmp").join("stray.dir");
            std::fs::create_dir_all(stray.join("inner")).unwrap();
            std::fs::write(stray.join("inner").join("x.part"), b"left behind").unwrap();
        },
        must_open: true,
        must_list: true,
    },
    Case {
        label: "(g) a storers row with a garbage origin",
        damage: |root, _| {
            sql(
                root,
                "UPDATE storers SET origin = 'not an origin \u{2603}' \
                 WHERE rowid = (SELECT min(rowid) FROM storers)",
            );
        },
        must_open: true,
        must_list: true,
    },
];

fn content_files(root: &Path) -> usize {
    files_under(&root.join("content-v1")).len()
}

pub fn run(_quick: bool) -> Outcome {
    let (mut rng, _) = Rng::from_time();
    let mut lines = Vec::new();
    let mut pass = true;
    for case in &CASES {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path().join("cos");
        let config = config(&root, 1 << 40);
        {
            let mut store = Store::open(config.clone()).expect("opening a new store");
            let a = origin("https://a.example");
            let b = origin("https://b.example");
            for (i, size) in [10u64, 100_000, 1 << 20, 3 << 20].into_iter().enumerate() {
                let who = if i % 2 == 0 { &a } else { &b };
                put_pattern(&mut store, who, 100 + i as u64, size).expect("storing");
            }
        }
        (case.damage)(&root, &mut rng);
        let before = content_files(&root);
        let index_before = std::fs::read(index(&root)).ok();

        let (opened, listed, error, newer) = match Store::open(config) {
            Ok(store) => {
                let listed = store.list().map(|entries| entries.len());
                let error = listed.as_ref().err().map(|e| format!("list: {e}"));
                (true, listed.ok(), error, false)
            },
            Err(e) => {
                let newer = matches!(e, OpenError::NewerSchema { .. });
                (false, None, Some(e.to_string()), newer)
            },
        };
        let after = content_files(&root);
        let ok = if case.must_open {
            opened && after >= before && (!case.must_list || listed.is_some())
        } else {
            // Refused clearly, and nothing touched: not a file deleted,
            // not a byte of the index rewritten.
            !opened && newer && after == before && std::fs::read(index(&root)).ok() == index_before
        };
        pass &= ok;
        let mut line = format!(
            "{}: {}, content files {before}->{after}",
            case.label,
            if opened { "opened" } else { "refused" }
        );
        if let Some(n) = listed {
            line += &format!(", list shows {n} entries");
        }
        if let Some(e) = error {
            // The path is in every message and says nothing new here.
            line += &format!(
                ", error: {}",
                e.replace(&root.display().to_string(), "<root>")
            );
        }
        line += if ok { " [ok]" } else { " [FAIL]" };
        lines.push(line);
    }
    Outcome::new(
        pass,
        "stored 4 entries, then damaged the index 7 ways (truncated, empty, garbage, newer \
         schema, unknown algorithm, tmp/ directory, garbage origin) and opened the store",
        lines.join("\n"),
    )
}
