/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `disk-full`: the store on a 48 MiB tmpfs, written until the disk (not
//! the store's budget: it is told the disk is 1 TiB, as when other programs
//! filled the disk after the budget was computed) refuses. Then, with the
//! disk full to the last byte: the storing origin's lookups and reads of
//! what is already there must still work, no temporary file may remain,
//! every refusal a page saw must be a clear one (QuotaExceededError or
//! UnknownError), nothing may panic, and the store must still open.
//!
//! A small filesystem needs a mount, so this runs only as root; without
//! root it is skipped (a loop device would need root too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use cos_store::Store;
use cos_store::thread::StoreThread;
use cos_traits::{CosAdminRequest, CosError, CosRequest, CosResponse, LookupOutcome};

use crate::util::*;

/// Unmounts on drop, so that a failing (or panicking) scenario does not
/// leave a tmpfs mounted.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Something still holds a file there: detach it anyway.
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn skip(reason: String) -> Outcome {
    Outcome {
        done: "store on a 48 MiB tmpfs, filled until writes fail".into(),
        result: reason,
        status: Status::Skip,
    }
}

pub fn run(quick: bool) -> Outcome {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("SKIP: not root, so no tmpfs can be mounted (and no loop device)".into());
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mountpoint = dir.path().join("small-disk");
    std::fs::create_dir_all(&mountpoint).expect("creating the mount point");
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=48m", "tmpfs"])
        .arg(&mountpoint)
        .status();
    match status {
        Ok(s) if s.success() => {},
        Ok(s) => return skip(format!("SKIP: mount -t tmpfs failed ({s})")),
        Err(e) => return skip(format!("SKIP: cannot run mount: {e}")),
    }
    let mount = Mount(mountpoint.clone());
    let outcome = std::panic::catch_unwind(|| fill(&mountpoint, quick));
    drop(mount);
    outcome.unwrap_or_else(|e| {
        Outcome::new(
            false,
            "store on a 48 MiB tmpfs",
            format!("panic: {}", panic_text(&*e)),
        )
    })
}

fn fill(disk: &Path, quick: bool) -> Outcome {
    let root = disk.join("cos");
    let config = config(&root, 1 << 40);
    let panics_before = panics();
    let thread = StoreThread::start(config.clone()).expect("opening the store on the tmpfs");
    let sender = thread.sender();

    // What must stay readable: four entries of one origin.
    let keeper = origin("https://keeper.example");
    let mut present = Vec::new();
    for seed in 0..4u64 {
        let size = 256 * 1024;
        let hash = pattern_hash(seed, size);
        let mut at = 0;
        write_through(&sender, &keeper, &hash, || {
            (at < size).then(|| {
                at = size;
                pattern_vec(seed, size as usize)
            })
        })
        .expect("storing the entries that must survive");
        present.push((seed, size, hash));
    }

    // Fill: 4 MiB files from eight origins until the disk refuses three in
    // a row.
    let mut errors: Vec<CosError> = Vec::new();
    let mut stored = 0;
    let mut failed_in_a_row = 0;
    let attempts = if quick { 40 } else { 80 };
    for i in 0..attempts {
        let who = origin(&format!("https://filler{}.example", i % 8));
        let seed = 1000 + i;
        let size: u64 = 4 << 20;
        let hash = pattern_hash(seed, size);
        let mut at = 0u64;
        let result = write_through(&sender, &who, &hash, || {
            (at < size).then(|| {
                let mut buf = vec![0u8; 1 << 20];
                pattern(seed, at, &mut buf);
                at += buf.len() as u64;
                buf
            })
        });
        match result {
            Ok(()) => {
                stored += 1;
                failed_in_a_row = 0;
            },
            Err(e) => {
                errors.push(e);
                failed_in_a_row += 1;
                if failed_in_a_row >= 3 {
                    break;
                }
            },
        }
    }
    // The last megabytes: a ballast file beside the store takes every byte
    // the store's writes left, so the disk is full to the end.
    if let Ok(mut ballast) = std::fs::File::create(disk.join("ballast")) {
        let block = vec![0xa5u8; 64 * 1024];
        while ballast.write_all(&block).is_ok() {}
        let mut byte = [0u8; 1];
        while ballast.write_all(&byte).is_ok() {
            byte[0] ^= 1;
        }
        let _ = ballast.sync_all();
    }
    // Small writes, now that not a byte is left.
    for i in 0..3u64 {
        let bytes = format!("a small file {i} on a full disk").into_bytes();
        let hash = sha256(&bytes);
        let mut once = Some(bytes);
        if let Err(e) = write_through(&sender, &origin("https://late.example"), &hash, || {
            once.take()
        }) {
            errors.push(e);
        }
    }

    let temp_left = items_in(&root.join("tmp"));
    // The disk is full: may the storing origin still find and read its files?
    let mut lookups_ok = 0;
    let mut reads_ok = 0;
    let mut read_errors = Vec::new();
    for (seed, size, hash) in &present {
        match sender.call(CosRequest::Lookup {
            hash: hash.clone(),
            origin: keeper.clone(),
            top_site: keeper.site().clone(),
        }) {
            Ok(CosResponse::Lookup(LookupOutcome::Found(_))) => lookups_ok += 1,
            other => read_errors.push(format!("lookup: {other:?}")),
        }
        match sender.call(CosRequest::Read {
            hash: hash.clone(),
            origin: keeper.clone(),
            offset: 0,
            len: *size as u32,
        }) {
            Ok(CosResponse::Bytes(bytes)) if bytes == pattern_vec(*seed, *size as usize) => {
                reads_ok += 1
            },
            other => read_errors.push(format!(
                "read: {}",
                match other {
                    Ok(CosResponse::Bytes(b)) => format!("{} bytes, not the stored ones", b.len()),
                    other => format!("{other:?}"),
                }
            )),
        }
    }
    // Each lookup from a new origin of the storing site records a new
    // attribution row: hundreds of them make the index's WAL grow past what
    // earlier commits left allocated, which a full disk refuses. Those
    // records may be lost; the lookups may not fail.
    let mut new_origin_lookups = 0;
    let mut new_origin_errors = Vec::new();
    for i in 0..200 {
        let reader = origin(&format!("https://r{i}.keeper.example"));
        for (_, _, hash) in &present {
            match sender.call(CosRequest::Lookup {
                hash: hash.clone(),
                origin: reader.clone(),
                top_site: reader.site().clone(),
            }) {
                Ok(CosResponse::Lookup(LookupOutcome::Found(_))) => new_origin_lookups += 1,
                other => new_origin_errors.push(format!("{other:?}")),
            }
        }
    }
    let new_origin_total = 200 * present.len();
    let thread_alive = sender.call_admin(CosAdminRequest::List).is_ok();
    drop(thread);

    // Reopen while the disk is still full, as a browser restarting would.
    let reopened = match Store::open(config.clone()) {
        Ok(mut store) => {
            let found = present
                .iter()
                .filter(|(_, _, hash)| {
                    matches!(
                        store.lookup(hash, &keeper, keeper.site()),
                        Ok(LookupOutcome::Found(_))
                    )
                })
                .count();
            Ok(found)
        },
        Err(e) => Err(e.to_string()),
    };
    let temp_left_after_reopen = items_in(&root.join("tmp"));
    let panics = panics() - panics_before;

    let mut kinds: Vec<(String, usize)> = Vec::new();
    for e in &errors {
        let name = e.dom_name().to_string();
        match kinds.iter_mut().find(|(k, _)| *k == name) {
            Some((_, n)) => *n += 1,
            None => kinds.push((name, 1)),
        }
    }
    let clear = errors
        .iter()
        .all(|e| matches!(e, CosError::QuotaExceeded(_) | CosError::Storage(_)));
    let pass = !errors.is_empty()
        && clear
        && panics == 0
        && thread_alive
        && lookups_ok == present.len()
        && reads_ok == present.len()
        && new_origin_lookups == new_origin_total
        && temp_left == 0
        && temp_left_after_reopen == 0
        && reopened.as_ref().is_ok_and(|&n| n == present.len());
    let mut result = format!(
        "stored {stored} x 4 MiB before the disk refused; errors a page saw: {}{}\n\
         with the disk full: lookups {lookups_ok}/{n}, reads {reads_ok}/{n} of the entries \
         already there, same-site lookups from 200 new origins {new_origin_lookups}/\
         {new_origin_total}{}; temp files left {temp_left}; panics {panics}; storage thread {}\n\
         reopen on the full disk: {}; temp files after {temp_left_after_reopen}",
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds
                .iter()
                .map(|(k, n)| format!("{k} x{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        new_origin_errors
            .first()
            .map(|e| format!(" (first failure: {e})"))
            .unwrap_or_default(),
        if thread_alive { "alive" } else { "DEAD" },
        match &reopened {
            Ok(n) => format!("opened, {n}/{} found", present.len()),
            Err(e) => format!("FAILED: {e}"),
        },
        n = present.len(),
    );
    for e in read_errors.iter().take(3) {
        result += &format!("\n{e}");
    }
    Outcome::new(
        pass,
        "store on a 48 MiB tmpfs (budget set to 1 TiB), 4 MiB writes until refused, the rest \
         filled by a ballast file; lookups, reads and reopen on the full disk",
        result,
    )
}
