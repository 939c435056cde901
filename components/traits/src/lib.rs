/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The vocabulary shared by the two sides of Cross-Origin Storage (COS): the
//! script side in the content process, which only validates and forwards, and
//! the storage thread, which owns the registry and decides every grant.
//!
//! Everything here is plain data (`serde`), so it travels equally over an
//! in-process channel and over `ipc-channel`.

mod error;
mod hash;
mod msg;
mod origin;
pub mod policy;

pub use error::CosError;
pub use hash::{CosHash, HashAlgorithm, Hasher};
pub use msg::{
    ConsentDecision, ConsentPolicy, ConsentRequest, CosAdminRequest, CosRequest, CosResponse,
    EntryInfo, EntrySummary, LookupOutcome, OriginActivity, WriteId,
};
pub use origin::{MAX_ORIGINS_LIST_LENGTH, Origin, RequestedOrigins, Site};

/// The largest file a page may store: seeks, truncates and writes past this
/// are refused rather than allocated.
pub const MAX_FILE_SIZE: u64 = 4 << 30;
