/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

use serde::{Deserialize, Serialize};

/// Every way a COS operation can fail, one variant per exception a page sees.
///
/// The messages are for developers and logs; the page sees a fixed message per
/// variant (see [`CosError::dom_message`]) so that no refusal carries more
/// information than "not found".
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize, thiserror::Error)]
pub enum CosError {
    /// Malformed input: a hash, an origins list, a position; or, from the
    /// browser's own "add a file from disk", a path that cannot be read.
    #[error("TypeError: {0}")]
    Type(String),
    /// Absent, not visible to this origin, over the probe budget, GREASE'd or
    /// refused by the user. Deliberately carries nothing to tell these apart.
    #[error("NotFoundError")]
    NotFound,
    /// The operation is not permitted on this handle or in this context.
    #[error("NotAllowedError: {0}")]
    NotAllowed(String),
    /// The written bytes do not hash to the requested value.
    #[error("DataError: the written bytes do not match the requested hash")]
    Data,
    /// The write would exceed the origin's or the store's budget, or the
    /// per-file size cap.
    #[error("QuotaExceededError: {0}")]
    QuotaExceeded(String),
    /// The object is not in a state that allows the operation (for example a
    /// write to a stream that was already closed).
    #[error("InvalidStateError: {0}")]
    InvalidState(String),
    /// The store itself failed (disk full, I/O error, corrupt database).
    /// Surfaces as an "UnknownError" DOMException, as the File System
    /// Standard does for backend failures.
    #[error("UnknownError: {0}")]
    Storage(String),
}

impl CosError {
    /// The `DOMException` name (or `"TypeError"`) a page sees for this error.
    pub fn dom_name(&self) -> &'static str {
        match self {
            CosError::Type(_) => "TypeError",
            CosError::NotFound => "NotFoundError",
            CosError::NotAllowed(_) => "NotAllowedError",
            CosError::Data => "DataError",
            CosError::QuotaExceeded(_) => "QuotaExceededError",
            CosError::InvalidState(_) => "InvalidStateError",
            CosError::Storage(_) => "UnknownError",
        }
    }

    /// The message a page sees. `NotFound` has one fixed text whatever the
    /// reason, so that a refusal cannot be told apart from an absence.
    pub fn dom_message(&self) -> String {
        match self {
            CosError::NotFound => "The requested file could not be found.".to_owned(),
            CosError::Data => "The written bytes do not match the requested hash.".to_owned(),
            CosError::Type(m)
            | CosError::NotAllowed(m)
            | CosError::QuotaExceeded(m)
            | CosError::InvalidState(m) => m.clone(),
            // Paths and OS errors stay in the browser's log.
            CosError::Storage(_) => "Cross-Origin Storage failed to access its files.".to_owned(),
        }
    }
}
