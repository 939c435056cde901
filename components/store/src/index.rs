/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The SQLite index: which entries exist, who stored, was granted and read
//! each, the probe log and the consent records. The content files are the
//! bytes; this is everything else.

use std::path::Path;

use cos_traits::{CosError, CosHash, HashAlgorithm, Origin, OriginActivity, Site};
use rusqlite::{Connection, OptionalExtension, params};

use crate::chunks::ChunkDigests;
use crate::error::{OpenError, StorageContext};

/// The schema this code reads and writes. `MIGRATIONS[n]` upgrades a
/// database from version `n` to `n + 1`; version 0 is an empty file.
pub const SCHEMA_VERSION: i64 = 3;

const MIGRATIONS: &[&str] = &[
    // 0 -> 1
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE entries (
         id INTEGER PRIMARY KEY,
         algorithm TEXT NOT NULL,
         digest BLOB NOT NULL,
         size INTEGER NOT NULL,
         global INTEGER NOT NULL DEFAULT 0,
         created INTEGER NOT NULL,
         last_read INTEGER,
         UNIQUE (algorithm, digest)
     );
     CREATE TABLE storers (
         entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
         origin TEXT NOT NULL, site TEXT NOT NULL,
         first INTEGER NOT NULL, last INTEGER NOT NULL, count INTEGER NOT NULL,
         PRIMARY KEY (entry, origin)
     );
     CREATE INDEX storers_origin ON storers(origin);
     CREATE INDEX storers_site ON storers(site);
     CREATE TABLE listed (
         entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
         origin TEXT NOT NULL, site TEXT NOT NULL, added INTEGER NOT NULL,
         PRIMARY KEY (entry, origin)
     );
     CREATE INDEX listed_site ON listed(site);
     CREATE TABLE readers (
         entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
         origin TEXT NOT NULL, site TEXT NOT NULL,
         first INTEGER NOT NULL, last INTEGER NOT NULL, count INTEGER NOT NULL,
         PRIMARY KEY (entry, origin)
     );
     CREATE INDEX readers_site ON readers(site);
     CREATE TABLE probes (
         top_site TEXT NOT NULL, algorithm TEXT NOT NULL, digest BLOB NOT NULL,
         at INTEGER NOT NULL,
         PRIMARY KEY (top_site, algorithm, digest)
     );
     CREATE TABLE consent (
         site TEXT NOT NULL, entry_key TEXT NOT NULL, allow INTEGER NOT NULL,
         at INTEGER NOT NULL,
         PRIMARY KEY (site, entry_key)
     );",
    // 1 -> 2: a lookup asks "does a storer or a listed origin share the
    // requester's site?" as one indexed probe, whatever the entry's size.
    "CREATE INDEX storers_entry_site ON storers(entry, site);
     CREATE INDEX listed_entry_site ON listed(entry, site);",
    // 2 -> 3: the digests of each entry's 1 MiB pieces, checked on every
    // read (see `chunks.rs`). Entries from before get theirs when they are
    // first verified.
    "CREATE TABLE chunks (
         entry INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
         digests BLOB NOT NULL
     );",
];

/// One row of `entries`.
#[derive(Clone, Debug)]
pub struct EntryRow {
    pub id: i64,
    pub hash: CosHash,
    pub size: u64,
    pub global: bool,
    pub created: u64,
    pub last_read: Option<u64>,
}

pub struct Index {
    conn: Connection,
}

fn algorithm_name(hash: &CosHash) -> &'static str {
    hash.algorithm().name()
}

fn entry_from_row(row: &rusqlite::Row) -> rusqlite::Result<EntryRow> {
    let algorithm: String = row.get(1)?;
    let digest: Vec<u8> = row.get(2)?;
    let algorithm: HashAlgorithm = algorithm.parse().map_err(|e: CosError| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
    })?;
    let hash = CosHash::from_digest(algorithm, digest).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Blob, e.into())
    })?;
    Ok(EntryRow {
        id: row.get(0)?,
        hash,
        size: row.get::<_, i64>(3)? as u64,
        global: row.get(4)?,
        created: row.get::<_, i64>(5)? as u64,
        last_read: row.get::<_, Option<i64>>(6)?.map(|t| t as u64),
    })
}

fn origin_from_text(text: String) -> rusqlite::Result<Origin> {
    Origin::parse(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

const ENTRY_COLUMNS: &str = "id, algorithm, digest, size, global, created, last_read";

impl Index {
    /// Opens (creating if needed) and migrates the index at `path`.
    pub fn open(path: &Path) -> Result<Index, OpenError> {
        let corrupt = |e: rusqlite::Error| OpenError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        };
        let conn = Connection::open(path).map_err(corrupt)?;
        // The first statement that reads the file tells whether it is a
        // database at all.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        if version > SCHEMA_VERSION {
            return Err(OpenError::NewerSchema {
                path: path.to_owned(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(OpenError::Corrupt {
                path: path.to_owned(),
                detail: check,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        // WAL with synchronous=NORMAL: commits survive a crash of the
        // browser without an fsync each (lookups write the probe log and
        // attribution, and must stay fast). A power cut may lose the last
        // commits; recovery then finds a content file without its row and
        // removes it, which is the old state.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(corrupt)?;
        let mut index = Index { conn };
        index.migrate(version).map_err(corrupt)?;
        Ok(index)
    }

    fn migrate(&mut self, from: i64) -> rusqlite::Result<()> {
        for version in from..SCHEMA_VERSION {
            let tx = self.conn.transaction()?;
            tx.execute_batch(MIGRATIONS[version as usize])?;
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The per-device secret that keys GREASE decisions, made on first use.
    pub fn device_secret(&self) -> Result<[u8; 32], CosError> {
        let existing: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'device_secret'",
                [],
                |r| r.get(0),
            )
            .optional()
            .storage("reading the device secret")?;
        if let Some(secret) = existing.and_then(|s| <[u8; 32]>::try_from(s).ok()) {
            return Ok(secret);
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).storage("generating the device secret")?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_secret', ?1)",
                params![secret.to_vec()],
            )
            .storage("storing the device secret")?;
        Ok(secret)
    }

    pub fn entry(&self, hash: &CosHash) -> Result<Option<EntryRow>, CosError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE algorithm = ?1 AND digest = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![algorithm_name(hash), hash.digest()], entry_from_row)
                    .optional()
            })
            .storage("looking up an entry")
    }

    pub fn entries(&self) -> Result<Vec<EntryRow>, CosError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries ORDER BY created, id"
            ))
            .storage("listing entries")?;
        let rows = stmt
            .query_map([], entry_from_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .storage("listing entries")?;
        Ok(rows)
    }

    /// Entries in eviction order: least recently read (or, never read,
    /// least recently created) first.
    pub fn entries_by_last_use(&self) -> Result<Vec<EntryRow>, CosError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries ORDER BY COALESCE(last_read, created), id"
            ))
            .storage("ordering entries")?;
        stmt.query_map([], entry_from_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .storage("ordering entries")
    }

    pub fn insert_entry(&self, hash: &CosHash, size: u64, now: u64) -> Result<i64, CosError> {
        self.conn
            .prepare_cached(
                "INSERT INTO entries (algorithm, digest, size, created) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    algorithm_name(hash),
                    hash.digest(),
                    size as i64,
                    now as i64
                ])
            })
            .storage("inserting an entry")?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn delete_entry(&self, id: i64) -> Result<(), CosError> {
        self.conn
            .execute("DELETE FROM entries WHERE id = ?1", params![id])
            .storage("deleting an entry")?;
        Ok(())
    }

    pub fn set_global(&self, id: i64) -> Result<(), CosError> {
        self.conn
            .execute("UPDATE entries SET global = 1 WHERE id = ?1", params![id])
            .storage("granting global visibility")?;
        Ok(())
    }

    /// Storing origins of an entry; `id` of an absent entry gives none.
    pub fn storers(&self, id: i64) -> Result<Vec<Origin>, CosError> {
        self.conn
            .prepare_cached("SELECT origin FROM storers WHERE entry = ?1 ORDER BY first, origin")
            .and_then(|mut s| {
                s.query_map(params![id], |r| origin_from_text(r.get(0)?))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .storage("reading storing origins")
    }

    /// Attribution: `origin` stored entry `id` at `now` (again).
    pub fn add_storer(&self, id: i64, origin: &Origin, now: u64) -> Result<(), CosError> {
        self.note_activity("storers", id, origin, now)
            .storage("recording a storing origin")
    }

    pub fn set_chunks(&self, id: i64, chunks: &ChunkDigests) -> Result<(), CosError> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO chunks (entry, digests) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, chunks.to_blob()]))
            .storage("recording an entry's piece digests")?;
        Ok(())
    }

    /// Entry `id`'s piece digests, if they were recorded (and are readable).
    pub fn chunks(&self, id: i64) -> Result<Option<ChunkDigests>, CosError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT digests FROM chunks WHERE entry = ?1")
            .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
            .storage("reading an entry's piece digests")?;
        Ok(blob.and_then(|b| ChunkDigests::from_blob(&b)))
    }

    /// Whether an origin of `site` stored entry `id`. One indexed probe, so
    /// it costs the same for an entry with one storer or a thousand, and for
    /// no entry at all (`id` -1).
    pub fn has_storer_in(&self, id: i64, site: &Site) -> Result<bool, CosError> {
        self.conn
            .prepare_cached("SELECT 1 FROM storers WHERE entry = ?1 AND site = ?2")
            .and_then(|mut s| s.exists(params![id, site.as_str()]))
            .storage("reading the storing origins")
    }

    /// Whether entry `id`'s origins list names an origin of `site` (a listed
    /// origin admits its whole site). One indexed probe, as above.
    pub fn is_listed_in(&self, id: i64, site: &Site) -> Result<bool, CosError> {
        self.conn
            .prepare_cached("SELECT 1 FROM listed WHERE entry = ?1 AND site = ?2")
            .and_then(|mut s| s.exists(params![id, site.as_str()]))
            .storage("reading the origins list")
    }

    pub fn is_listed(&self, id: i64, origin: &Origin) -> Result<bool, CosError> {
        self.conn
            .prepare_cached("SELECT 1 FROM listed WHERE entry = ?1 AND origin = ?2")
            .and_then(|mut s| s.exists(params![id, origin.as_str()]))
            .storage("reading the origins list")
    }

    pub fn listed(&self, id: i64) -> Result<Vec<Origin>, CosError> {
        self.conn
            .prepare_cached("SELECT origin FROM listed WHERE entry = ?1 ORDER BY added, rowid")
            .and_then(|mut s| {
                s.query_map(params![id], |r| origin_from_text(r.get(0)?))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .storage("reading the origins list")
    }

    pub fn listed_count(&self, id: i64) -> Result<usize, CosError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM listed WHERE entry = ?1",
                params![id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .storage("counting the origins list")
    }

    pub fn add_listed(&self, id: i64, origin: &Origin, now: u64) -> Result<(), CosError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO listed (entry, origin, site, added) VALUES (?1, ?2, ?3, ?4)",
                params![id, origin.as_str(), origin.site().as_str(), now as i64],
            )
            .storage("extending the origins list")?;
        Ok(())
    }

    pub fn is_reader(&self, id: i64, origin: &Origin) -> Result<bool, CosError> {
        self.conn
            .prepare_cached("SELECT 1 FROM readers WHERE entry = ?1 AND origin = ?2")
            .and_then(|mut s| s.exists(params![id, origin.as_str()]))
            .storage("reading attribution")
    }

    /// Attribution: `origin` read entry `id` at `now`, which is also the
    /// entry's last use (eviction goes by it).
    pub fn record_read(&self, id: i64, origin: &Origin, now: u64) -> Result<(), CosError> {
        self.note_activity("readers", id, origin, now)
            .and_then(|_| {
                self.conn
                    .prepare_cached("UPDATE entries SET last_read = ?2 WHERE id = ?1")?
                    .execute(params![id, now as i64])
            })
            .storage("recording a read")?;
        Ok(())
    }

    /// Adds `origin` to an attribution table (`storers` or `readers`) for
    /// entry `id`, or, if it is there, moves its `last` to `now` and counts
    /// one more. What `activity` reads back.
    fn note_activity(
        &self,
        table: &str,
        id: i64,
        origin: &Origin,
        now: u64,
    ) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO {table} (entry, origin, site, first, last, count)
                 VALUES (?1, ?2, ?3, ?4, ?4, 1)
                 ON CONFLICT (entry, origin) DO UPDATE SET last = ?4, count = count + 1"
            ))?
            .execute(params![
                id,
                origin.as_str(),
                origin.site().as_str(),
                now as i64
            ])?;
        Ok(())
    }

    fn activity(&self, table: &str, id: i64) -> Result<Vec<OriginActivity>, CosError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT origin, first, last, count FROM {table} WHERE entry = ?1 ORDER BY first, origin"
            ))
            .and_then(|mut s| {
                s.query_map(params![id], |r| {
                    Ok(OriginActivity {
                        origin: origin_from_text(r.get(0)?)?,
                        first: r.get::<_, i64>(1)? as u64,
                        last: r.get::<_, i64>(2)? as u64,
                        count: r.get::<_, i64>(3)? as u64,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .storage("reading attribution")
    }

    pub fn stored_by(&self, id: i64) -> Result<Vec<OriginActivity>, CosError> {
        self.activity("storers", id)
    }

    pub fn read_by(&self, id: i64) -> Result<Vec<OriginActivity>, CosError> {
        self.activity("readers", id)
    }

    /// Bytes charged to `origin`: the full size of every entry it stored.
    pub fn origin_usage(&self, origin: &Origin) -> Result<u64, CosError> {
        self.conn
            .prepare_cached(
                "SELECT COALESCE(SUM(e.size), 0) FROM entries e
                 JOIN storers s ON s.entry = e.id WHERE s.origin = ?1",
            )
            .and_then(|mut s| s.query_row(params![origin.as_str()], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
            .storage("computing an origin's usage")
    }

    /// Bytes on disk: each entry once.
    pub fn total_usage(&self) -> Result<u64, CosError> {
        self.conn
            .query_row("SELECT COALESCE(SUM(size), 0) FROM entries", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .storage("computing the store's usage")
    }

    /// Removes `origins` (storing, listed and reading) everywhere; returns
    /// the entries left with no storing origin.
    /// Removes `key` (an origin or a site) from every entry's storing
    /// origins, listed origins and readers, and deletes the entries it was
    /// the last storing origin of, all in one transaction. `remove_files`
    /// removes those entries' content files before the commit: a crash
    /// before it leaves rows whose files are gone, which opening drops; a
    /// crash after it leaves nothing to do. (Removing the files after the
    /// commit would leave files without rows, which opening adopts as
    /// entries nobody stored: a deleted file would come back.)
    pub fn revoke(
        &mut self,
        column: RevokeBy,
        key: &str,
        remove_files: impl FnOnce(&[EntryRow]) -> Result<(), CosError>,
    ) -> Result<Vec<EntryRow>, CosError> {
        let filter = match column {
            RevokeBy::Origin => "origin = ?1",
            RevokeBy::Site => "site = ?1",
        };
        let tx = self.conn.transaction().storage("revoking an origin")?;
        let touched: Vec<i64> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT DISTINCT entry FROM storers WHERE {filter}"
                ))
                .storage("revoking an origin")?;
            stmt.query_map(params![key], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .storage("revoking an origin")?
        };
        for table in ["storers", "listed", "readers"] {
            tx.execute(&format!("DELETE FROM {table} WHERE {filter}"), params![key])
                .storage("revoking an origin")?;
        }
        if column == RevokeBy::Site {
            tx.execute("DELETE FROM probes WHERE top_site = ?1", params![key])
                .storage("revoking a site")?;
            tx.execute("DELETE FROM consent WHERE site = ?1", params![key])
                .storage("revoking a site")?;
        }
        let mut orphans = Vec::new();
        for id in touched {
            let row = tx
                .query_row(
                    &format!(
                        "SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?1
                         AND NOT EXISTS (SELECT 1 FROM storers WHERE entry = ?1)"
                    ),
                    params![id],
                    entry_from_row,
                )
                .optional()
                .storage("revoking an origin")?;
            if let Some(row) = row {
                tx.execute("DELETE FROM entries WHERE id = ?1", params![id])
                    .storage("revoking an origin")?;
                orphans.push(row);
            }
        }
        remove_files(&orphans)?;
        tx.commit().storage("revoking an origin")?;
        Ok(orphans)
    }

    pub fn clear_all(&mut self) -> Result<(), CosError> {
        self.conn
            .execute_batch(
                "BEGIN; DELETE FROM entries; DELETE FROM probes; DELETE FROM consent; COMMIT;",
            )
            .storage("clearing the store")
    }

    /// Whether `top_site` already looked `hash` up since `since` (so a
    /// repeat costs nothing), and how many distinct hashes it looked up.
    pub fn probes_since(
        &self,
        top_site: &Site,
        hash: &CosHash,
        since: u64,
    ) -> Result<(bool, u64), CosError> {
        let seen = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM probes WHERE top_site = ?1 AND algorithm = ?2 AND digest = ?3 AND at >= ?4",
            )
            .and_then(|mut s| {
                s.exists(params![top_site.as_str(), algorithm_name(hash), hash.digest(), since as i64])
            })
            .storage("reading the probe log")?;
        let count = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM probes WHERE top_site = ?1 AND at >= ?2")
            .and_then(|mut s| {
                s.query_row(params![top_site.as_str(), since as i64], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .storage("reading the probe log")?;
        Ok((seen, count as u64))
    }

    pub fn record_probe(&self, top_site: &Site, hash: &CosHash, now: u64) -> Result<(), CosError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO probes (top_site, algorithm, digest, at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![top_site.as_str(), algorithm_name(hash), hash.digest(), now as i64])
            })
            .storage("writing the probe log")?;
        Ok(())
    }

    pub fn forget_probes(&self, top_site: Option<&Site>, before: u64) -> Result<(), CosError> {
        match top_site {
            Some(site) => self.conn.execute(
                "DELETE FROM probes WHERE top_site = ?1",
                params![site.as_str()],
            ),
            None => self
                .conn
                .execute("DELETE FROM probes WHERE at < ?1", params![before as i64]),
        }
        .storage("pruning the probe log")?;
        Ok(())
    }

    /// The recorded decision for `site`: for this entry, else for every
    /// entry.
    /// Deletes the rows this code cannot read (an entry with an unknown
    /// algorithm or a digest of the wrong length, an origin that does not
    /// parse) and brings each row's site up to date with its origin (the
    /// Public Suffix List may have changed since the row was written). A
    /// damaged row costs that row, not the store. Returns how many rows were
    /// dropped.
    pub fn drop_malformed_rows(&mut self) -> Result<usize, CosError> {
        let tx = self.conn.transaction().storage("checking the index")?;
        let mut dropped = 0;
        let bad_entries: Vec<i64> = {
            let mut stmt = tx
                .prepare("SELECT id, algorithm, digest FROM entries")
                .storage("checking the index")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, rusqlite::types::Value>(1)?,
                        r.get::<_, rusqlite::types::Value>(2)?,
                    ))
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .storage("checking the index")?;
            rows.into_iter()
                .filter(|(_, algorithm, digest)| {
                    let (
                        rusqlite::types::Value::Text(algorithm),
                        rusqlite::types::Value::Blob(digest),
                    ) = (algorithm, digest)
                    else {
                        return true;
                    };
                    algorithm
                        .parse::<HashAlgorithm>()
                        .and_then(|a| CosHash::from_digest(a, digest.clone()))
                        .is_err()
                })
                .map(|(id, _, _)| id)
                .collect()
        };
        for id in bad_entries {
            log::warn!("Cross-Origin Storage: index row {id} names no valid hash; dropping it");
            tx.execute("DELETE FROM entries WHERE id = ?1", params![id])
                .storage("dropping a malformed entry")?;
            dropped += 1;
        }
        for table in ["storers", "listed", "readers"] {
            let rows: Vec<(i64, rusqlite::types::Value, rusqlite::types::Value)> = {
                let mut stmt = tx
                    .prepare(&format!("SELECT rowid, origin, site FROM {table}"))
                    .storage("checking the index")?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                    .storage("checking the index")?
            };
            for (rowid, origin, site) in rows {
                let parsed = match &origin {
                    rusqlite::types::Value::Text(text) => Origin::parse(text).ok(),
                    _ => None,
                };
                match parsed {
                    None => {
                        log::warn!(
                            "Cross-Origin Storage: a {table} row names no valid origin; dropping it"
                        );
                        tx.execute(
                            &format!("DELETE FROM {table} WHERE rowid = ?1"),
                            params![rowid],
                        )
                        .storage("dropping a malformed row")?;
                        dropped += 1;
                    },
                    Some(origin)
                        if site
                            != rusqlite::types::Value::Text(origin.site().as_str().to_owned()) =>
                    {
                        tx.execute(
                            &format!("UPDATE {table} SET site = ?2 WHERE rowid = ?1"),
                            params![rowid, origin.site().as_str()],
                        )
                        .storage("updating a row's site")?;
                    },
                    Some(_) => {},
                }
            }
        }
        tx.commit().storage("checking the index")?;
        Ok(dropped)
    }

    pub fn reset_consent(&self) -> Result<(), CosError> {
        self.conn
            .execute("DELETE FROM consent", [])
            .storage("forgetting consent decisions")?;
        Ok(())
    }

    pub fn forget_consent(&self, site: &Site) -> Result<(), CosError> {
        self.conn
            .execute(
                "DELETE FROM consent WHERE site = ?1",
                params![site.as_str()],
            )
            .storage("forgetting a site's consent decisions")?;
        Ok(())
    }

    /// The site-wide decisions (those the consent dialog records), by site.
    /// A row whose site no longer parses is skipped, not fatal: the page
    /// that lists them must still open.
    pub fn consent_decisions(&self) -> Result<Vec<(Site, bool)>, CosError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT site, allow FROM consent WHERE entry_key = '' ORDER BY site")
            .storage("listing consent decisions")?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))
            .storage("listing consent decisions")?;
        let mut decisions = Vec::new();
        for row in rows {
            let (site, allow) = row.storage("listing consent decisions")?;
            if let Ok(site) = Site::parse(&site) {
                decisions.push((site, allow));
            }
        }
        Ok(decisions)
    }

    pub fn consent(&self, site: &Site, hash: &CosHash) -> Result<Option<bool>, CosError> {
        self.conn
            .prepare_cached(
                "SELECT allow FROM consent WHERE site = ?1 AND entry_key IN (?2, '')
                 ORDER BY entry_key DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![site.as_str(), hash.to_string()], |r| r.get(0))
                    .optional()
            })
            .storage("reading consent")
    }

    pub fn set_consent(
        &self,
        site: &Site,
        hash: Option<&CosHash>,
        allow: bool,
        now: u64,
    ) -> Result<(), CosError> {
        let key = hash.map(|h| h.to_string()).unwrap_or_default();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO consent (site, entry_key, allow, at) VALUES (?1, ?2, ?3, ?4)",
                params![site.as_str(), key, allow, now as i64],
            )
            .storage("recording consent")?;
        Ok(())
    }

    /// Runs `f` in one transaction: all its index changes land, or none.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&Index) -> Result<T, CosError>,
    ) -> Result<T, CosError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .storage("starting a transaction")?;
        match f(self) {
            Ok(value) => {
                self.conn.execute_batch("COMMIT").storage("committing")?;
                Ok(value)
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            },
        }
    }
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum RevokeBy {
    Origin,
    Site,
}
