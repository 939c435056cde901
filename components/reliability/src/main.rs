/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `cos-reliability` (`./mach test-reliability`): attacks and faults the
//! Cross-Origin Storage store and prints, per scenario, what was done, what
//! came out, and PASS, FAIL or SKIP. Each scenario is one module with a full
//! size and a `--quick` (CI) size; the criteria are the same in both.
//!
//! The process exits non-zero if any scenario fails, and its last line is
//! always `N passed, N failed` so that CI can read it.

mod bit_rot;
mod disk_full;
mod fuzz;
mod index_damage;
mod kill;
mod load;
mod scale;
mod timing;
mod util;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use util::{Outcome, Status};

#[derive(Parser)]
#[command(
    name = "cos-reliability",
    about = "Attack and fault the Cross-Origin Storage store"
)]
struct Args {
    /// The CI-sized run (minutes, not hours); same criteria.
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (comma-separated): kill, disk-full,
    /// bit-rot, index-damage, fuzz, load, scale, timing.
    #[arg(long, value_delimiter = ',', value_name = "NAME[,NAME]")]
    only: Vec<String>,
    /// Also write the table as Markdown, with the date, the machine and
    /// the command line, to FILE.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(subcommand)]
    child: Option<Child>,
}

#[derive(Subcommand)]
enum Child {
    /// The process the `kill` scenario kills (this binary re-run).
    #[command(hide = true)]
    KillChild {
        #[arg(long)]
        mode: String,
        #[arg(long)]
        root: PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        max_size: u64,
    },
}

type Scenario = fn(bool) -> Outcome;

const SCENARIOS: [(&str, Scenario); 8] = [
    ("kill", kill::run),
    ("disk-full", disk_full::run),
    ("bit-rot", bit_rot::run),
    ("index-damage", index_damage::run),
    ("fuzz", fuzz::run),
    ("load", load::run),
    ("scale", scale::run),
    ("timing", timing::run),
];

fn main() {
    let args = Args::parse();
    if let Some(Child::KillChild {
        mode,
        root,
        seed,
        max_size,
    }) = args.child
    {
        kill::child(&mode, &root, seed, max_size);
        return;
    }
    util::install_panic_counter();

    for name in &args.only {
        if !SCENARIOS.iter().any(|(n, _)| n == name) {
            eprintln!(
                "cos-reliability: unknown scenario '{name}' (known: {})",
                SCENARIOS.map(|(n, _)| n).join(", ")
            );
            println!("0 passed, 1 failed");
            std::process::exit(2);
        }
    }
    let started = Instant::now();
    let mut rows: Vec<(&str, Outcome, f64)> = Vec::new();
    for (name, scenario) in SCENARIOS {
        if !args.only.is_empty() && !args.only.iter().any(|n| n == name) {
            continue;
        }
        eprintln!("== {name}{}", if args.quick { " (quick)" } else { "" });
        let t = Instant::now();
        // A scenario that panics is a failed scenario, not a dead harness:
        // the others still run and the table is still printed.
        let outcome = std::panic::catch_unwind(|| scenario(args.quick)).unwrap_or_else(|e| {
            Outcome::new(
                false,
                "(the scenario itself panicked)",
                format!("panic: {}", util::panic_text(&*e)),
            )
        });
        let secs = t.elapsed().as_secs_f64();
        eprintln!("   {} in {secs:.1} s", outcome.status.label());
        rows.push((name, outcome, secs));
    }
    let total = started.elapsed().as_secs_f64();

    let passed = rows.iter().filter(|r| r.1.status == Status::Pass).count();
    let failed = rows.iter().filter(|r| r.1.status == Status::Fail).count();
    let skipped = rows.iter().filter(|r| r.1.status == Status::Skip).count();
    print_table(&rows);
    println!(
        "total {total:.0} s{}{}",
        if args.quick { " (--quick)" } else { "" },
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    if let Some(path) = &args.record
        && let Err(e) = std::fs::write(path, markdown(&rows, total, args.quick))
    {
        eprintln!("cos-reliability: cannot write {}: {e}", path.display());
    }
    println!("{passed} passed, {failed} failed");
    let _ = std::io::stdout().flush();
    std::process::exit(if failed > 0 { 1 } else { 0 });
}

/// Splits `text` into lines of at most `width` characters, at spaces where
/// possible, keeping its own line breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

fn print_table(rows: &[(&str, Outcome, f64)]) {
    let header = ["scenario", "what was done", "result", ""];
    let widths = [12usize, 50, 64, 4];
    let cells: Vec<[Vec<String>; 4]> = rows
        .iter()
        .map(|(name, o, secs)| {
            [
                wrap(name, widths[0]),
                wrap(&format!("{} ({secs:.1} s)", o.done), widths[1]),
                wrap(&o.result, widths[2]),
                vec![o.status.label().to_owned()],
            ]
        })
        .collect();
    let rule = widths
        .iter()
        .map(|w| "-".repeat(w + 2))
        .collect::<Vec<_>>()
        .join("+");
    println!();
    println!(
        "{}",
        header
            .iter()
            .zip(widths)
            .map(|(h, w)| format!(" {h:<w$} "))
            .collect::<Vec<_>>()
            .join("|")
    );
    println!("{rule}");
    for row in cells {
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| {
                    let text = cell.get(i).map(String::as_str).unwrap_or("");
                    let pad = w.saturating_sub(text.chars().count());
                    format!(" {text}{} ", " ".repeat(pad))
                })
                .collect();
            println!("{}", line.join("|"));
        }
        println!("{rule}");
    }
}

fn markdown(rows: &[(&str, Outcome, f64)], total: f64, quick: bool) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
    let mut out = String::from("# Cross-Origin Storage reliability run\n\n");
    out += &format!("- date: {}\n", utc_now());
    out += &format!("- machine: {}\n", machine());
    out += &format!(
        "- command: `{}`\n",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    out += &format!(
        "- size: {}; total {total:.0} s\n\n",
        if quick { "--quick" } else { "full" }
    );
    out += "| scenario | what was done | result | |\n|---|---|---|---|\n";
    for (name, o, secs) in rows {
        out += &format!(
            "| {name} | {} ({secs:.1} s) | {} | {} |\n",
            cell(&o.done),
            cell(&o.result),
            o.status.label()
        );
    }
    let passed = rows.iter().filter(|r| r.1.status == Status::Pass).count();
    let failed = rows.iter().filter(|r| r.1.status == Status::Fail).count();
    out += &format!("\n{passed} passed, {failed} failed\n");
    out
}

/// nproc, memory and kernel: enough to compare two records' numbers.
fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or("?".into(), |kib| {
            format!("{:.1} GiB", kib as f64 / 1048576.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".into());
    format!("nproc {nproc}, memory {memory}, kernel {kernel}")
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SSZ`.
fn utc_now() -> String {
    let (year, month, day, hour, minute, second) =
        cos_store::utc_civil((cos_store::system_clock())());
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}Z")
}
