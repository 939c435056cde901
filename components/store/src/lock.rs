/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The store's lock, `<root>/lock`: one process owns a store at a time.
//!
//! The index and the content files are changed by one owner only (the
//! storage thread of one browser, or the `cos-store` tool), and recovery at
//! open assumes nobody else is writing. So opening takes an exclusive lock
//! on `<root>/lock` and the [`Store`](crate::Store) holds it for its
//! lifetime; a second opener gets an `OpenError` that says another process
//! has the store open, instead of two owners corrupting each other.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::OpenError;

/// Opens (creating it if needed) and locks the lock file at `path`, waiting
/// up to a second for a previous owner that is exiting. Hold the returned
/// file: dropping it releases the lock.
pub(crate) fn acquire(path: &Path) -> Result<File, OpenError> {
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(OpenError::io(path))?;
    if let Err(e) = lock_within(&lock, Duration::from_secs(1)) {
        let source = match e {
            std::fs::TryLockError::WouldBlock => std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "another process (a running browser?) has this store open",
            ),
            std::fs::TryLockError::Error(e) => e,
        };
        return Err(OpenError::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(lock)
}

/// Takes the store's lock, waiting up to `patience` for a previous owner
/// that is exiting (a browser closing, or a child process that inherited
/// the descriptor for the instant before its exec).
fn lock_within(lock: &File, patience: Duration) -> Result<(), std::fs::TryLockError> {
    let deadline = Instant::now() + patience;
    loop {
        match lock.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            },
            result => return result,
        }
    }
}
