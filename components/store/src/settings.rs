/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The person's settings, `<root>/settings.json`.
//!
//! [`StoreConfig`](crate::StoreConfig) is what the browser passes when it
//! opens the store; this file is what a person may put beside the store,
//! kept across runs without a browser option, and used where the browser
//! set nothing (`StoreConfig::disk_capacity` wins). An absent file is no
//! settings; a malformed one, or one with a field this code does not know,
//! refuses to open the store with an `OpenError` naming the file, so a typo
//! is never silently ignored.

use std::path::Path;

use crate::error::OpenError;

/// What a person may set in `<root>/settings.json` (all optional):
/// `{"disk_capacity_bytes": N}` sizes the store's budgets (60% of N, an
/// origin 20% of that) as if its disk held N bytes, to keep Cross-Origin
/// Storage smaller than the disk allows.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    pub(crate) disk_capacity_bytes: Option<u64>,
}

impl Settings {
    pub(crate) fn load(path: &Path) -> Result<Settings, OpenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(OpenError::io(path)(e)),
        };
        serde_json::from_str(&text).map_err(|e| OpenError::Settings {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }
}
