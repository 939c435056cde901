/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The `cos-store` tool, run as a person runs it.

mod common;

use std::process::{Command, Output};

use common::*;
use cos_traits::{EntrySummary, RequestedOrigins};

fn cos_store(fx: &Fixture, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cos-store"))
        .arg("--store")
        .arg(fx.dir.path().join("cos"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn populated() -> Fixture {
    let fx = Fixture::new();
    let mut store = fx.open();
    let a = origin("https://a.example");
    let b = origin("https://b.example");
    put(
        &mut store,
        &a,
        b"model",
        RequestedOrigins::from_list(&["https://b.example"]).unwrap(),
    )
    .unwrap();
    put(&mut store, &b, b"b only", RequestedOrigins::SameSite).unwrap();
    get(&mut store, &b, &sha256(b"model")).unwrap();
    fx
}

#[test]
fn ls_shows_entries_with_attribution() {
    let fx = populated();
    let out = cos_store(&fx, &["ls"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("2 entries"), "{text}");
    assert!(text.contains(&sha256(b"model").to_string()), "{text}");
    assert!(text.contains("stored by  https://a.example"), "{text}");
    assert!(text.contains("read by    https://b.example"), "{text}");
    assert!(text.contains("listed     https://b.example"), "{text}");

    let out = cos_store(&fx, &["ls", "--json"]);
    let entries: Vec<EntrySummary> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entries.len(), 2);
}

#[test]
fn clear_site_and_rm() {
    let fx = populated();
    let out = cos_store(&fx, &["clear-site", "b.example"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        "cleared https://b.example: 1 entries deleted"
    );
    let out = cos_store(&fx, &["rm", &sha256(b"model").value()]);
    assert!(out.status.success(), "{:?}", out);
    let out = cos_store(&fx, &["rm", &sha256(b"model").value()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not stored"));
    assert!(stdout(&cos_store(&fx, &["ls"])).starts_with("0 entries"));
}

#[test]
fn verify_fails_on_damaged_entries() {
    let fx = populated();
    assert!(cos_store(&fx, &["verify"]).status.success());
    let path = fx.open().layout().content_path(&sha256(b"model"));
    std::fs::write(&path, b"MODEL").unwrap();
    let out = cos_store(&fx, &["verify"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("1 entries verified, 1 dropped"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn refuses_a_store_in_use_and_bad_input() {
    let fx = populated();
    let _browser = fx.open();
    let out = cos_store(&fx, &["ls"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another process"));
    drop(_browser);
    let out = cos_store(&fx, &["rm", "not-a-hash"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("TypeError"));
}

#[test]
fn add_copies_a_file_in_and_prints_its_hash() {
    let fx = populated();
    let path = fx.dir.path().join("downloaded model.bin");
    std::fs::write(&path, b"a model from elsewhere").unwrap();
    let hash = sha256(b"a model from elsewhere").to_string();
    let out = cos_store(&fx, &["add", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).starts_with(&format!("added {hash}")),
        "{}",
        stdout(&out)
    );
    let out = cos_store(&fx, &["add", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("already stored"), "{}", stdout(&out));

    let entries: Vec<EntrySummary> =
        serde_json::from_slice(&cos_store(&fx, &["ls", "--json"]).stdout).unwrap();
    let added = entries.iter().find(|e| e.hash.to_string() == hash).unwrap();
    assert!(added.globally_disclosable);
    assert!(added.stored_by.is_empty());

    let missing = fx.dir.path().join("missing.bin");
    let out = cos_store(&fx, &["add", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read") && stderr.contains("missing.bin"),
        "{stderr}"
    );
}
