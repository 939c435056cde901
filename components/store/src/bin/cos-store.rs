/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `cos-store`: inspect and tidy a profile's Cross-Origin Storage from the
//! command line — what is stored, who stored and read it, adding a file
//! from disk, and clearing.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cos_store::{Store, StoreConfig};
use cos_traits::{CosHash, EntrySummary, Origin, OriginActivity, Site};

#[derive(Parser)]
#[command(name = "cos-store", version, about)]
struct Cli {
    /// The browser profile directory (the store is its `cross-origin-storage` folder).
    #[arg(long, conflicts_with = "store", global = true)]
    profile: Option<PathBuf>,
    /// The store directory itself.
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List entries with their size and attribution.
    Ls {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Hash every entry; drop those whose bytes do not match.
    Verify,
    /// Clear one site's data: revoke its origins everywhere, delete entries
    /// no other origin stored.
    ClearSite { site: String },
    /// Clear one origin's data.
    ClearOrigin { origin: String },
    /// Delete one entry (`SHA-256:<hex>`, or a bare SHA-256 hex value).
    Rm { hash: String },
    /// Delete everything.
    ClearAll,
    /// Add a file from disk as an entry no site stored, visible to every
    /// site if its hash is on the Public Hash List (the management page's
    /// "add a file from disk"). Prints its hash.
    Add { path: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cos-store: {message}");
            ExitCode::FAILURE
        },
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let root = match (cli.store, cli.profile) {
        (Some(store), _) => store,
        (None, Some(profile)) => profile.join("cross-origin-storage"),
        (None, None) => return Err("say which store: --profile DIR or --store DIR".into()),
    };
    if !root.exists() {
        return Err(format!("{} does not exist", root.display()));
    }
    let mut store = Store::open(StoreConfig::new(&root)).map_err(|e| e.to_string())?;
    let repairs = store.repairs().clone();
    if repairs != Default::default() {
        eprintln!(
            "repaired on open: {} temporary files removed, {} entries dropped, {} orphaned files removed",
            repairs.temp_files_removed,
            repairs.entries_dropped.len(),
            repairs.orphan_files_removed
        );
    }
    let err = |e: cos_traits::CosError| e.to_string();
    match cli.command {
        Command::Ls { json } => {
            let entries = store.list().map_err(err)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?
                );
            } else {
                print_entries(&store, &entries).map_err(err)?;
            }
        },
        Command::Verify => {
            let report = store.verify().map_err(err)?;
            println!(
                "{} entries verified, {} dropped",
                report.entries_verified,
                report.entries_dropped.len()
            );
            for hash in &report.entries_dropped {
                println!("dropped {hash}: its bytes no longer match its hash");
            }
            if !report.entries_dropped.is_empty() {
                return Err("some entries failed verification".into());
            }
        },
        Command::ClearSite { site } => {
            let site = Site::parse(&site).map_err(err)?;
            let deleted = store.clear_site(&site).map_err(err)?;
            println!("cleared {site}: {deleted} entries deleted");
        },
        Command::ClearOrigin { origin } => {
            let origin = Origin::parse(&origin).map_err(err)?;
            let deleted = store.clear_origin(&origin).map_err(err)?;
            println!("cleared {origin}: {deleted} entries deleted");
        },
        Command::Rm { hash } => {
            let hash: CosHash = hash.parse().map_err(err)?;
            store.remove_entry(&hash).map_err(|e| match e {
                cos_traits::CosError::NotFound => format!("{hash} is not stored"),
                e => e.to_string(),
            })?;
            println!("deleted {hash}");
        },
        Command::ClearAll => {
            store.clear_all().map_err(err)?;
            println!("cleared all Cross-Origin Storage data");
        },
        Command::Add { path } => {
            let added = store.add_file(&path).map_err(|e| match e {
                cos_traits::CosError::Type(message) => message,
                e => e.to_string(),
            })?;
            if added.already_present {
                println!("{} already stored, left as it was", added.hash);
            } else {
                println!("added {} ({})", added.hash, size(added.size));
            }
        },
    }
    Ok(())
}

fn print_entries(store: &Store, entries: &[EntrySummary]) -> Result<(), cos_traits::CosError> {
    println!(
        "{} entries, {} on disk (budget {}, {} per origin)",
        entries.len(),
        size(store.usage()?),
        size(store.global_budget()),
        size(store.origin_budget())
    );
    for entry in entries {
        println!();
        println!("{}", entry.hash);
        let scope = match (
            entry.globally_disclosable,
            entry.on_public_hash_list,
            entry.listed_origins.is_empty(),
        ) {
            (true, true, _) => "every site ('*', on the Public Hash List)",
            (true, false, true) => "same-site only ('*', but not on the Public Hash List)",
            (true, false, false) => "listed sites ('*', but not on the Public Hash List)",
            (false, _, false) => "listed sites",
            (false, _, true) => "same-site only",
        };
        println!(
            "  {}  created {}  last read {}  visible to: {scope}",
            size(entry.size),
            date(entry.created),
            entry.last_read.map(date).unwrap_or_else(|| "never".into()),
        );
        print_activity("stored by", &entry.stored_by);
        print_activity("read by", &entry.read_by);
        for origin in &entry.listed_origins {
            println!("  {:<10} {origin}", "listed");
        }
    }
    Ok(())
}

fn print_activity(label: &str, activity: &[OriginActivity]) {
    for a in activity {
        println!(
            "  {label:<10} {}  first {}  last {}  ×{}",
            a.origin,
            date(a.first),
            date(a.last),
            a.count
        );
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `YYYY-MM-DD HH:MM` UTC from milliseconds since the epoch.
fn date(ms: u64) -> String {
    let (year, month, day, hour, minute, _) = cos_store::utc_civil(ms);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}
