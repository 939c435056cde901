/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The messages the storage thread answers. Each request gets exactly one
//! reply, `Result<CosResponse, CosError>`, in the order requests were sent.

use serde::{Deserialize, Serialize};

use crate::{CosHash, Origin, RequestedOrigins, Site};

/// Names one write in progress (one `createWritable()` stream).
#[derive(Clone, Copy, Debug, Deserialize, Eq, Hash, PartialEq, Serialize)]
pub struct WriteId(pub u64);

#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum CosRequest {
    /// A read request (`create` false): may `origin`, in a document whose
    /// top-level site is `top_site`, be told that `hash` exists?
    /// Replies [`CosResponse::Lookup`] or `NotFound`.
    Lookup {
        hash: CosHash,
        origin: Origin,
        top_site: Site,
    },
    /// `getFile()`: may `origin` read `hash` (a lookup disclosed the entry
    /// to it, or it stored it), and how big is the entry? Replies
    /// [`CosResponse::Opened`]. The bytes are then read piece by piece with
    /// `Read` as the page consumes the file, so a file of any size needs no
    /// more memory than a piece.
    Open { hash: CosHash, origin: Origin },
    /// Up to `len` bytes of an entry from `offset`, for an origin that a
    /// lookup disclosed the entry to, or that stored it. Replies
    /// [`CosResponse::Bytes`] (empty at the end of the file).
    Read {
        hash: CosHash,
        origin: Origin,
        offset: u64,
        len: u32,
    },
    /// A stream from `createWritable()` on a create handle. Registers
    /// nothing: the hash stays absent for everyone until `Finish` verifies.
    /// Replies [`CosResponse::WriteStarted`].
    BeginWrite {
        hash: CosHash,
        origin: Origin,
        requested: RequestedOrigins,
    },
    /// Writes at `position`, or at the stream's cursor when `None`, moving
    /// the cursor past the bytes. Writing past the end fills the gap with
    /// zeros, as `FileSystemWritableFileStream` does.
    Write {
        id: WriteId,
        position: Option<u64>,
        bytes: Vec<u8>,
    },
    /// Moves the stream's cursor.
    Seek { id: WriteId, position: u64 },
    /// Resizes the file being written (zero-filling when it grows).
    Truncate { id: WriteId, size: u64 },
    /// `close()`: hashes the final contents, and if they match, publishes
    /// the entry atomically and records `origin` as a storing origin.
    /// `DataError` on mismatch, with nothing left behind. Replies
    /// [`CosResponse::Stored`].
    Finish { id: WriteId },
    /// `abort()`, or a stream dropped unclosed: discards the write.
    Abort { id: WriteId },
    /// A user activation (consumed by the lookup it came with) in a
    /// document of `origin` whose top-level site is `top_site`: refills that
    /// site's probe budget, but only when `origin` is of the top-level site
    /// itself (a click in a cross-site frame refills nothing).
    ReplenishProbeBudget { origin: Origin, top_site: Site },
}

impl CosRequest {
    /// The origin the sender claims to act for, where the request names
    /// one: whoever relays requests from a content process checks it
    /// against what that process may act as.
    pub fn claimed_origin(&self) -> Option<&Origin> {
        match self {
            CosRequest::Lookup { origin, .. }
            | CosRequest::Open { origin, .. }
            | CosRequest::Read { origin, .. }
            | CosRequest::BeginWrite { origin, .. }
            | CosRequest::ReplenishProbeBudget { origin, .. } => Some(origin),
            CosRequest::Write { .. }
            | CosRequest::Seek { .. }
            | CosRequest::Truncate { .. }
            | CosRequest::Finish { .. }
            | CosRequest::Abort { .. } => None,
        }
    }

    /// The write stream the request continues, if it is one.
    pub fn write_id(&self) -> Option<WriteId> {
        match self {
            CosRequest::Write { id, .. }
            | CosRequest::Seek { id, .. }
            | CosRequest::Truncate { id, .. }
            | CosRequest::Finish { id }
            | CosRequest::Abort { id } => Some(*id),
            _ => None,
        }
    }
}

/// What only the browser itself may ask of the store: the user's answers
/// and the management view's actions. This type has no place in the
/// messages a content process can send ([`CosRequest`]), so no page, and no
/// compromised content process, can express one.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum CosAdminRequest {
    /// The user's answer to a consent prompt. `hash: None` applies to every
    /// entry for that requesting site.
    RecordConsent {
        requesting_site: Site,
        hash: Option<CosHash>,
        decision: ConsentDecision,
    },
    /// Forgets every consent decision.
    ResetConsent,
    /// Forgets one requesting site's decisions: it is asked again.
    ForgetConsent { site: Site },
    /// The remembered site-wide decisions, for the management page; replies
    /// [`CosResponse::ConsentDecisions`].
    ListConsent,
    /// The browser's consent preference changed.
    SetConsentPolicy(ConsentPolicy),
    /// Clearing site data for one origin: revokes it everywhere.
    ClearOrigin { origin: Origin },
    /// Clearing site data for every origin of a site.
    ClearSite { site: Site },
    /// Removes one entry whatever its grants (the user's "delete").
    RemoveEntry { hash: CosHash },
    /// Wipes the whole store.
    ClearAll,
    /// Every entry with its attribution, for the management view.
    List,
    /// The management page's "add a file from disk": copies the file at
    /// `path` into the store as an entry no origin stored, globally
    /// disclosable (spec: "Manually added entries"), so the Public Hash List
    /// decides whether other sites can find it. Replies
    /// [`CosResponse::Added`]; a path that cannot be read is a `TypeError`
    /// naming it.
    AddFile { path: std::path::PathBuf },
}

#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub enum CosResponse {
    Lookup(LookupOutcome),
    /// The entry may be read; it holds `size` bytes.
    Opened {
        size: u64,
    },
    Bytes(Vec<u8>),
    WriteStarted(WriteId),
    /// A `Finish` verified and stored the bytes. `origins_dropped` requested
    /// origins did not fit in the entry's full origins list; the write still
    /// succeeded, and the browser logs a console warning.
    Stored {
        origins_dropped: u32,
    },
    /// The request was carried out and has nothing to return.
    Done,
    Entries(Vec<EntrySummary>),
    /// Each requesting site's remembered answer, by site.
    ConsentDecisions(Vec<(Site, ConsentDecision)>),
    /// A [`CosAdminRequest::AddFile`] stored the file as `hash`.
    /// `already_present`: the store held those bytes already, and the entry
    /// was left as it was (its grants untouched).
    Added {
        hash: CosHash,
        size: u64,
        already_present: bool,
    },
}

/// What a successful lookup found.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub enum LookupOutcome {
    /// The entry may be disclosed to the requesting origin.
    Found(EntryInfo),
    /// The entry would be disclosed across a site boundary and the user has
    /// not decided yet: the browser asks, records the answer with
    /// [`CosRequest::RecordConsent`], and looks up again. The content
    /// process must never see this variant: to a page, it is still pending.
    NeedsConsent(ConsentRequest),
}

#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct EntryInfo {
    pub hash: CosHash,
    pub size: u64,
}

/// What the consent prompt shows: "site X wants to use a file that other
/// sites saved: <size>, stored by <sites>".
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct ConsentRequest {
    pub requesting_site: Site,
    pub hash: CosHash,
    pub size: u64,
    pub storing_sites: Vec<Site>,
}

#[derive(Clone, Copy, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub enum ConsentDecision {
    Allow,
    Deny,
}

/// One entry as the management view and `cos-store ls` show it.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct EntrySummary {
    pub hash: CosHash,
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    pub created: u64,
    pub last_read: Option<u64>,
    pub globally_disclosable: bool,
    /// Whether the hash is on the Public Hash List (the shipped one or the
    /// person's own), which `'*'` needs to disclose across sites.
    pub on_public_hash_list: bool,
    pub listed_origins: Vec<Origin>,
    pub stored_by: Vec<OriginActivity>,
    pub read_by: Vec<OriginActivity>,
}

/// When an origin first and last stored or read an entry, and how often.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct OriginActivity {
    pub origin: Origin,
    pub first: u64,
    pub last: u64,
    pub count: u64,
}

/// The browser's preference for disclosing an entry across a site boundary.
#[derive(Clone, Copy, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
pub enum ConsentPolicy {
    /// Ask the user once per requesting site (the default).
    #[default]
    Ask,
    /// Disclose without asking (automation, or a user who opted in).
    Allow,
    /// Never disclose across sites.
    Deny,
}

impl std::str::FromStr for ConsentPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ask" => Ok(ConsentPolicy::Ask),
            "allow" => Ok(ConsentPolicy::Allow),
            "deny" => Ok(ConsentPolicy::Deny),
            _ => Err(format!(
                "'{s}' is not a consent policy (ask, allow or deny)"
            )),
        }
    }
}
