/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Piecewise verification: a 128-bit XXH3 digest of every [`CHUNK`]-sized
//! piece of an entry, recorded when its bytes are first hashed against the
//! entry's own (cryptographic) hash, as a writer sends them or when an entry
//! without digests is first verified, so that each read checks just the
//! pieces it returns.
//!
//! A file's bytes must never reach a page unless they match its hash, and
//! bits rot on disks, or are changed by other programs, after the store
//! verified them. Hashing a multi-GiB model before every read is too slow;
//! checking each 1 MiB piece as it is read catches any change since.
//!
//! Why XXH3 and not SHA-256 for the pieces: the pieces only have to show
//! that the bytes are still the ones that were verified against the entry's
//! SHA-2 hash, an accidental change (a flipped bit, a truncated or
//! overwritten file) to be caught with certainty in practice (2^-128). A
//! deliberate change would take someone who can write the store's files, and
//! so its index and these digests too: a cryptographic digest here would add
//! nothing against them. What it would add is cost: SHA-256 runs at about
//! 1.4 GB/s here and halved the speed of `getFile()` for a 64 MiB entry in
//! the shell (75 ms against 35 ms unchecked); XXH3 runs at memory speed
//! (38 ms against 34 ms, medians of 25 interleaved runs).

use std::fs::File;
use std::os::unix::fs::FileExt;

use cos_traits::{CosError, Hasher};
use xxhash_rust::xxh3::Xxh3;

use crate::error::StorageContext;

/// The size of a verified piece. Reads are served in whole pieces.
pub const CHUNK: usize = 1 << 20;

/// The size of one piece's digest.
const DIGEST: usize = 16;

/// One piece's digest.
fn digest(piece: &[u8]) -> [u8; DIGEST] {
    xxhash_rust::xxh3::xxh3_128(piece).to_le_bytes()
}

/// The digests of an entry's pieces, in order; the last piece may be short.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkDigests(Vec<[u8; DIGEST]>);

impl ChunkDigests {
    /// The digests as the index stores them: 16 bytes each, concatenated.
    pub fn to_blob(&self) -> Vec<u8> {
        self.0.concat()
    }

    pub fn from_blob(blob: &[u8]) -> Option<ChunkDigests> {
        if blob.len() % DIGEST != 0 {
            return None;
        }
        Some(ChunkDigests(
            blob.chunks_exact(DIGEST)
                .map(|d| d.try_into().expect("a digest's length"))
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
        if !self.check(first as usize, &buf) {
            return Ok(None);
        }
        buf.drain(..(offset - start) as usize);
        buf.truncate((end - offset) as usize);
        Ok(Some(buf))
    }
}

impl ChunkDigests {
    /// Whether `buf`, the pieces from number `first` on, matches. A read of
    /// several pieces checks them on two threads: the check runs at memory
    /// speed, and a page reading a cached file is otherwise only as fast as
    /// copying it.
    fn check(&self, first: usize, buf: &[u8]) -> bool {
        let matches = |from: usize, pieces: &[u8]| {
            pieces
                .chunks(CHUNK)
                .enumerate()
                .all(|(i, piece)| self.0.get(from + i) == Some(&digest(piece)))
        };
        let count = buf.len().div_ceil(CHUNK);
        if count < 4 {
            return matches(first, buf);
        }
        let (left, right) = buf.split_at(count / 2 * CHUNK);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| matches(first + count / 2, right));
            let here = matches(first, left);
            here && other.join().unwrap_or(false)
        })
    }
}

/// Digests pieces as bytes arrive in order.
#[derive(Clone, Default)]
pub struct ChunkHasher {
    current: Xxh3,
    filled: usize,
    done: Vec<[u8; DIGEST]>,
}

impl ChunkHasher {
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (CHUNK - self.filled).min(bytes.len());
            self.current.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == CHUNK {
                self.done.push(self.current.digest128().to_le_bytes());
                self.current.reset();
                self.filled = 0;
            }
        }
    }

    pub fn finalize(mut self) -> ChunkDigests {
        if self.filled > 0 {
            self.done.push(self.current.digest128().to_le_bytes());
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
