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
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use cos_traits::{CosError, CosHash, Hasher};
use xxhash_rust::xxh3::Xxh3;

use crate::error::StorageContext;

/// The size of a verified piece. Reads check whole pieces.
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
    /// every piece it touches. `None`: a piece no longer matches (or the
    /// file now ends inside it).
    ///
    /// This is a page's read path. Two things keep its cost near that of a
    /// plain read (`cargo bench -p cos-store --bench store -- read` compares
    /// the two):
    ///
    /// - Each piece is read straight into the answer's buffer and hashed
    ///   right after, while it is still in cache, rather than after the
    ///   whole request, which would fetch every byte from memory again.
    /// - The buffer is not zeroed before the bytes are read into it
    ///   (`read_to_end` fills a vector's spare capacity): a plain read's
    ///   zeroing costs a good part of what hashing does.
    ///
    /// A request stays on the reader's thread. Splitting it with a second
    /// thread paid off only while a core was idle: under load, waiting for
    /// that thread to be scheduled made reads slower. (And a buffer that
    /// was never zeroed cannot be shared out between threads without unsafe
    /// code.)
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
        let chunk = CHUNK as u64;
        let first = offset / chunk;
        let mut file = file;
        file.seek(SeekFrom::Start(first * chunk))
            .storage("reading an entry")?;
        let mut out = Vec::with_capacity((end - offset) as usize);
        // A piece the read starts or ends inside of is read and checked
        // whole, and only the part asked for is kept.
        let mut partial = Vec::new();
        for piece in first..=(end - 1) / chunk {
            let from = piece * chunk;
            let to = (from + chunk).min(size);
            if offset <= from && to <= end {
                let at = out.len();
                if !read_piece(file, to - from, &mut out)? || !self.matches(piece, &out[at..]) {
                    return Ok(None);
                }
            } else {
                partial.clear();
                partial.reserve_exact((to - from) as usize);
                if !read_piece(file, to - from, &mut partial)? || !self.matches(piece, &partial) {
                    return Ok(None);
                }
                let keep = (offset.max(from) - from) as usize..(end.min(to) - from) as usize;
                out.extend_from_slice(&partial[keep]);
            }
        }
        Ok(Some(out))
    }

    /// Whether `bytes` are piece number `piece`.
    fn matches(&self, piece: u64, bytes: &[u8]) -> bool {
        usize::try_from(piece)
            .ok()
            .and_then(|piece| self.0.get(piece))
            == Some(&digest(bytes))
    }
}

/// Appends the next `len` bytes of `file` to `buf` (reserve room first, or
/// it grows as it is read). `false`: the file ended first.
fn read_piece(file: &File, len: u64, buf: &mut Vec<u8>) -> Result<bool, CosError> {
    let got = file
        .take(len)
        .read_to_end(buf)
        .storage("reading an entry")?;
    Ok(got as u64 == len)
}

/// The piece digests of the entries read last, so that a page reading an
/// entry in many requests does not load them from the index for each.
///
/// Keyed by hash. While an entry exists, its digests are those of its
/// file's bytes, whichever write or verification recorded them (a SHA-1
/// write, whose hash does not pin its bytes, joins an entry only with the
/// same bytes: `put.rs`). Another entry under the same hash can only come
/// after this one is gone, and the store forgets an entry's digests when it
/// deletes it (or finds it corrupt) and when a write records them. What is
/// kept is what bytes are checked against, never bytes: every read still
/// reads and checks every piece it serves.
#[derive(Default)]
pub(crate) struct DigestCache {
    /// Least recently used first.
    recent: Vec<(CosHash, Arc<ChunkDigests>)>,
}

impl DigestCache {
    /// How many entries' digests are kept: a few pages reading at once. At
    /// 16 bytes a MiB, a 4 GiB entry's take 64 KiB.
    const ENTRIES: usize = 8;

    pub fn get(&mut self, hash: &CosHash) -> Option<Arc<ChunkDigests>> {
        let at = self.recent.iter().position(|(h, _)| h == hash)?;
        let hit = self.recent.remove(at);
        let digests = hit.1.clone();
        self.recent.push(hit);
        Some(digests)
    }

    pub fn insert(&mut self, hash: &CosHash, digests: Arc<ChunkDigests>) {
        self.forget(hash);
        if self.recent.len() >= Self::ENTRIES {
            self.recent.remove(0);
        }
        self.recent.push((hash.clone(), digests));
    }

    pub fn forget(&mut self, hash: &CosHash) {
        self.recent.retain(|(h, _)| h != hash);
    }

    pub fn clear(&mut self) {
        self.recent.clear();
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

    fn digests_of(bytes: &[u8]) -> ChunkDigests {
        let mut hasher = ChunkHasher::default();
        hasher.update(bytes);
        hasher.finalize()
    }

    #[test]
    fn reads_return_exactly_the_range_asked_for() {
        // Three whole pieces and a short one.
        let bytes: Vec<u8> = (0..(CHUNK * 3 + 1000)).map(|i| (i % 253) as u8).collect();
        let digests = digests_of(&bytes);
        let size = bytes.len() as u64;
        let file = file_of(&bytes);
        let chunk = CHUNK as u64;
        for (offset, len) in [
            (0, size),
            (0, 8 << 20),
            (0, chunk),
            (chunk, 2 * chunk),
            // Starting and ending inside pieces, and within one piece.
            (10, 2 * chunk),
            (chunk - 1, chunk + 2),
            (chunk + 7, 100),
            // The short last piece, and past the end.
            (3 * chunk, 1000),
            (3 * chunk + 999, 5),
            (size - 1, 1),
        ] {
            let end = (offset + len).min(size) as usize;
            let got = digests
                .read_verified(&file, size, offset, len)
                .unwrap()
                .unwrap();
            assert!(
                got == bytes[offset as usize..end],
                "read of {len} at {offset}"
            );
            assert!(got.capacity() == got.len(), "read of {len} at {offset}");
        }
        assert_eq!(
            digests.read_verified(&file, size, size, 10).unwrap(),
            Some(Vec::new())
        );
    }

    #[test]
    fn a_file_cut_short_does_not_match() {
        let bytes: Vec<u8> = (0..(CHUNK * 2 + 10)).map(|i| (i % 241) as u8).collect();
        let digests = digests_of(&bytes);
        let size = bytes.len() as u64;
        // Cut inside the second piece, and at the boundary of the third.
        for cut in [CHUNK + 100, 2 * CHUNK] {
            let file = file_of(&bytes[..cut]);
            assert_eq!(
                digests.read_verified(&file, size, 0, size).unwrap(),
                None,
                "cut at {cut}"
            );
            assert_eq!(
                digests
                    .read_verified(&file, size, 2 * CHUNK as u64, 10)
                    .unwrap(),
                None,
                "cut at {cut}"
            );
            assert!(digests.read_verified(&file, size, 0, 10).unwrap().is_some());
        }
    }

    #[test]
    fn the_cache_keeps_the_entries_read_last() {
        let hash = |i: u8| CosHash::of(cos_traits::HashAlgorithm::Sha256, &[i]);
        let digests = |i: u8| Arc::new(digests_of(&[i]));
        let mut cache = DigestCache::default();
        for i in 0..DigestCache::ENTRIES as u8 {
            cache.insert(&hash(i), digests(i));
        }
        // Reading entry 0 makes entry 1 the least recently used: it goes
        // when one more comes in.
        assert_eq!(cache.get(&hash(0)), Some(digests(0)));
        cache.insert(&hash(100), digests(100));
        assert_eq!(cache.get(&hash(1)), None);
        assert_eq!(cache.get(&hash(0)), Some(digests(0)));
        assert_eq!(cache.get(&hash(100)), Some(digests(100)));
        cache.forget(&hash(0));
        assert_eq!(cache.get(&hash(0)), None);
        cache.clear();
        assert_eq!(cache.get(&hash(100)), None);
    }
}
