/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The Public Hash List: the hashes popular enough that disclosing their
//! presence tells a site nothing about one user.
//!
//! The upstream text format has one section per algorithm,
//!
//! ```text
//! // ===BEGIN SHA-256===
//! 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! // ===END SHA-256===
//! ```
//!
//! one lowercase hex digest per line; other `//` lines are comments. Each
//! section is kept as one sorted, flat byte array of fixed-width digests and
//! searched by bisection: a million SHA-256 entries are 32 MB and 20 steps.

use std::path::Path;

use cos_traits::{CosHash, HashAlgorithm};

use crate::error::OpenError;

#[derive(Debug, Default)]
pub struct PublicHashList {
    /// Per algorithm (in `HashAlgorithm::ALL` order): sorted, deduplicated
    /// digests laid end to end.
    digests: [Vec<u8>; 3],
}

fn slot(algorithm: HashAlgorithm) -> usize {
    HashAlgorithm::ALL
        .iter()
        .position(|a| *a == algorithm)
        .expect("every algorithm is in ALL")
}

impl PublicHashList {
    pub fn load(path: &Path) -> Result<PublicHashList, OpenError> {
        let text = std::fs::read_to_string(path).map_err(OpenError::io(path))?;
        PublicHashList::parse(&text).map_err(|(line, detail)| OpenError::PublicHashList {
            path: path.to_owned(),
            line,
            detail,
        })
    }

    /// Parses the text format; an error names the 1-based line at fault.
    pub fn parse(text: &str) -> Result<PublicHashList, (usize, String)> {
        let mut lists: [Vec<Vec<u8>>; 3] = Default::default();
        let mut section: Option<HashAlgorithm> = None;
        for (number, line) in text.lines().enumerate() {
            let number = number + 1;
            let line = line.trim();
            if let Some(comment) = line.strip_prefix("//") {
                let marker = comment.trim();
                if let Some(name) = marker
                    .strip_prefix("===BEGIN ")
                    .and_then(|m| m.strip_suffix("==="))
                {
                    // Sections for algorithms COS does not accept are skipped whole.
                    section = name.parse().ok();
                } else if marker.starts_with("===END ") {
                    section = None;
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let Some(algorithm) = section else {
                continue;
            };
            let hash =
                CosHash::parse(algorithm.name(), line).map_err(|e| (number, e.dom_message()))?;
            lists[slot(algorithm)].push(hash.digest().to_vec());
        }
        let mut phl = PublicHashList::default();
        for (i, mut list) in lists.into_iter().enumerate() {
            list.sort_unstable();
            list.dedup();
            phl.digests[i] = list.concat();
        }
        Ok(phl)
    }

    pub fn contains(&self, hash: &CosHash) -> bool {
        let width = hash.algorithm().digest_len();
        let flat = &self.digests[slot(hash.algorithm())];
        let (mut lo, mut hi) = (0, flat.len() / width);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match flat[mid * width..(mid + 1) * width].cmp(hash.digest()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    pub fn len(&self) -> usize {
        HashAlgorithm::ALL
            .iter()
            .map(|a| self.digests[slot(*a)].len() / a.digest_len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(alg: HashAlgorithm, s: &str) -> CosHash {
        CosHash::of(alg, s.as_bytes())
    }

    #[test]
    fn finds_exactly_the_listed_hashes() {
        let listed: Vec<CosHash> = (0..500)
            .map(|i| h(HashAlgorithm::Sha256, &i.to_string()))
            .collect();
        let mut text = String::from("// Public Hash List\n// ===BEGIN SHA-256===\n");
        for hash in listed.iter().rev() {
            text.push_str(&hash.value());
            text.push('\n');
        }
        text.push_str("// ===END SHA-256===\n\n// ===BEGIN SHA-384===\n");
        text.push_str(&h(HashAlgorithm::Sha384, "x").value());
        text.push_str("\n// ===END SHA-384===\n");
        let phl = PublicHashList::parse(&text).unwrap();
        assert_eq!(phl.len(), 501);
        for hash in &listed {
            assert!(phl.contains(hash));
        }
        for i in 500..1000 {
            assert!(!phl.contains(&h(HashAlgorithm::Sha256, &i.to_string())));
        }
        assert!(phl.contains(&h(HashAlgorithm::Sha384, "x")));
        // Same bytes under another algorithm are another hash.
        assert!(!phl.contains(&h(HashAlgorithm::Sha512, "x")));
    }

    #[test]
    fn lines_outside_sections_and_unknown_sections_are_ignored() {
        let text = format!(
            "{}\n// ===BEGIN SHA-1===\nnot a sha256 line\n// ===END SHA-1===\n",
            h(HashAlgorithm::Sha256, "stray").value()
        );
        let phl = PublicHashList::parse(&text).unwrap();
        assert!(phl.is_empty());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let text = "// ===BEGIN SHA-256===\nABCDEF\n";
        let (line, _) = PublicHashList::parse(text).unwrap_err();
        assert_eq!(line, 2);
    }

    #[test]
    fn empty_list_contains_nothing() {
        assert!(!PublicHashList::default().contains(&h(HashAlgorithm::Sha256, "")));
    }
}
