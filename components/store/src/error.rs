/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

use std::fmt::Display;
use std::path::PathBuf;

use cos_traits::CosError;

/// Why a store could not be opened. Each names the file at fault; none is
/// "fixed" by deleting user data.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Cross-Origin Storage index {path} is corrupt ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the Cross-Origin Storage index {path} has schema version {found}, newer than this \
         browser's {supported}; it was left untouched"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("the Cross-Origin Storage settings {path} are malformed: {detail}")]
    Settings { path: PathBuf, detail: String },
    #[error("the Public Hash List {path} is malformed at line {line}: {detail}")]
    PublicHashList {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

impl OpenError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> OpenError {
        let path = path.into();
        move |source| OpenError::Io { path, source }
    }
}

/// Wraps a backend failure (I/O, SQLite) as the page-facing "UnknownError",
/// keeping the detail for the browser's log.
pub(crate) trait StorageContext<T> {
    fn storage(self, context: &str) -> Result<T, CosError>;
}

impl<T, E: Display> StorageContext<T> for Result<T, E> {
    fn storage(self, context: &str) -> Result<T, CosError> {
        self.map_err(|e| CosError::Storage(format!("{context}: {e}")))
    }
}
