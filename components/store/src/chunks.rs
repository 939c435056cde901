/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Piecewise verification: a SHA-256 digest of every [`CHUNK`]-sized piece
//! of an entry, recorded when its bytes are first hashed (as a writer sends
//! them, or when an entry without digests is first verified), so that each
//! read checks just the pieces it returns.
//!
//! A file's bytes must never reach a page unless they match its hash, and
//! bits rot on disks, or are changed by other programs, after the store
//! verified them. Hashing a multi-GiB model before every read is too slow;
//! checking each 1 MiB piece as it is read costs one SHA-256 pass over the
//! bytes served (about 1.5 GB/s here) and catches any change since.

use std::fs::File;
use std::os::unix::fs::FileExt;

use cos_traits::{CosError, Hasher};
use sha2::{Digest, Sha256};

use crate::error::StorageContext;

/// The size of a verified piece. Reads are served in whole pieces.
pub const CHUNK: usize = 1 << 20;

/// The digests of an entry's pieces, in order; the last piece may be short.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkDigests(Vec<[u8; 32]>);

impl ChunkDigests {
    /// The digests as the index stores them: 32 bytes each, concatenated.
    pub fn to_blob(&self) -> Vec<u8> {
        self.0.concat()
    }

    pub fn from_blob(blob: &[u8]) -> Option<ChunkDigests> {
        if blob.len() % 32 != 0 {
            return None;
        }
        Some(ChunkDigests(
            blob.chunks_exact(32)
                .map(|d| d.try_into().expect("32 bytes"))
                .collect(),
        ))
    }

    /// Whether these are the digests of a file of `size` bytes.
    pub fn fit(&self, size: u64) -> bool {
        self.0.len() as u64 == size.div_ceil(CHUNK as u64)
    }

    /// Reads `[offset, offset + len)` of `file` (of `size` bytes), checking
    /// every piece it touches. `None`: a piece no longer matches.
    pub fn read_verified(
        &self,
        file: &File,
        size: u64,
        offset: u64,
        len: u64,
    ) -> Result<Option<Vec<u8>>, CosError> {
        let end = offset.saturating_add(len).min(size);
        if offset >= end {
            return Ok(Some(Vec::new()));
        }
        let first = offset / CHUNK as u64;
        let last = (end - 1) / CHUNK as u64;
        let start = first * CHUNK as u64;
        let stop = ((last + 1) * CHUNK as u64).min(size);
        let mut buf = vec![0u8; (stop - start) as usize];
        file.read_exact_at(&mut buf, start)
            .storage("reading an entry")?;
        for (i, piece) in buf.chunks(CHUNK).enumerate() {
            let expected = self.0.get(first as usize + i);
            if expected != Some(&Sha256::digest(piece).into()) {
                return Ok(None);
            }
        }
        buf.drain(..(offset - start) as usize);
        buf.truncate((end - offset) as usize);
        Ok(Some(buf))
    }
}

/// Digests pieces as bytes arrive in order.
#[derive(Clone, Default)]
pub struct ChunkHasher {
    current: Sha256,
    filled: usize,
    done: Vec<[u8; 32]>,
}

impl ChunkHasher {
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (CHUNK - self.filled).min(bytes.len());
            self.current.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == CHUNK {
                self.done
                    .push(std::mem::take(&mut self.current).finalize().into());
                self.filled = 0;
            }
        }
    }

    pub fn finalize(mut self) -> ChunkDigests {
        if self.filled > 0 {
            self.done.push(self.current.finalize().into());
        }
        ChunkDigests(self.done)
    }
}

/// Hashes a whole file from its start with `hasher` and digests its
/// pieces, in one pass of `CHUNK`-sized reads.
pub fn hash_file(file: &File, mut hasher: Hasher) -> Result<(Vec<u8>, ChunkDigests), CosError> {
    let mut buf = vec![0u8; CHUNK];
    let mut chunks = ChunkHasher::default();
    let mut offset = 0u64;
    loop {
        let n = read_full(file, &mut buf, offset)?;
        if n == 0 {
            return Ok((hasher.finalize(), chunks.finalize()));
        }
        hasher.update(&buf[..n]);
        chunks.update(&buf[..n]);
        offset += n as u64;
    }
}

/// Reads until `buf` is full or the file ends (a short read mid-file would
/// misalign the pieces).
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> Result<usize, CosError> {
    let mut n = 0;
    while n < buf.len() {
        let got = file
            .read_at(&mut buf[n..], offset + n as u64)
            .storage("reading a file to hash it")?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn pieces_arrive_in_any_split() {
        let bytes: Vec<u8> = (0..(CHUNK * 2 + 123)).map(|i| (i * 7) as u8).collect();
        let mut a = ChunkHasher::default();
        a.update(&bytes);
        let mut b = ChunkHasher::default();
        for piece in bytes.chunks(4099) {
            b.update(piece);
        }
        let (_, c) =
            hash_file(&file_of(&bytes), cos_traits::HashAlgorithm::Sha256.hasher()).unwrap();
        let a = a.finalize();
        assert_eq!(a, b.finalize());
        assert_eq!(a, c);
        assert!(a.fit(bytes.len() as u64));
        assert_eq!(ChunkDigests::from_blob(&a.to_blob()), Some(a));
    }

    #[test]
    fn reads_check_every_piece_they_touch() {
        let mut bytes: Vec<u8> = (0..(CHUNK * 3)).map(|i| (i % 251) as u8).collect();
        let mut hasher = ChunkHasher::default();
        hasher.update(&bytes);
        let digests = hasher.finalize();
        let size = bytes.len() as u64;
        let file = file_of(&bytes);
        let got = digests
            .read_verified(&file, size, 1_000_000, 100_000)
            .unwrap();
        assert_eq!(got.as_deref(), Some(&bytes[1_000_000..1_100_000]));
        // One flipped byte in the second piece: reads touching it fail,
        // reads of the other pieces still succeed.
        bytes[CHUNK + 5] ^= 1;
        let file = file_of(&bytes);
        assert_eq!(
            digests
                .read_verified(&file, size, CHUNK as u64 - 10, 20)
                .unwrap(),
            None
        );
        assert_eq!(
            digests.read_verified(&file, size, 0, 10).unwrap().unwrap(),
            &bytes[..10]
        );
        assert!(
            digests
                .read_verified(&file, size, 2 * CHUNK as u64, 10)
                .unwrap()
                .is_some()
        );
    }
}
