/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::CosError;

/// A WebCrypto digest algorithm that COS accepts: every one WebCrypto
/// recognises, as the spec's "validate a COS request" says.
///
/// `Sha1` comes last so that adding it moved no other variant.
#[derive(Clone, Copy, Debug, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
    Sha1,
}

impl HashAlgorithm {
    pub const ALL: [HashAlgorithm; 4] = [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
        HashAlgorithm::Sha1,
    ];

    /// The WebCrypto name, which is also the canonical spelling stored on disk.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::Sha1 => "SHA-1",
        }
    }

    /// A lowercase, path-safe name for the content directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
            HashAlgorithm::Sha1 => "sha1",
        }
    }

    pub fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
            HashAlgorithm::Sha1 => 20,
        }
    }

    /// Whether finding two inputs with the same digest is out of reach.
    /// SHA-1's is not: chosen-prefix collisions are practical (SHAmbles,
    /// 2020), so whoever authors a file can make a second, different file
    /// with the same SHA-1. The store keeps entries under such a hash to
    /// the site that stored them (see `cos-store`'s `publish` and `lookup`).
    pub fn collision_resistant(self) -> bool {
        match self {
            HashAlgorithm::Sha256 | HashAlgorithm::Sha384 | HashAlgorithm::Sha512 => true,
            HashAlgorithm::Sha1 => false,
        }
    }

    /// An incremental hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        match self {
            HashAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            HashAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
        }
    }
}

impl FromStr for HashAlgorithm {
    type Err = CosError;

    /// WebCrypto's digest names (SHA-1, SHA-256, SHA-384, SHA-512), compared
    /// ASCII-case-insensitively. SHA-1 is accepted because the spec accepts
    /// any name WebCrypto recognises; it is not collision resistant, which
    /// the store answers by never disclosing a SHA-1 entry across sites
    /// ([`HashAlgorithm::collision_resistant`]).
    fn from_str(name: &str) -> Result<Self, CosError> {
        HashAlgorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                CosError::Type(format!(
                    "'{name}' is not a supported hash algorithm \
                     (use SHA-256, SHA-384, SHA-512 or SHA-1)"
                ))
            })
    }
}

/// Incremental digest state for one [`HashAlgorithm`].
#[derive(Clone)]
pub enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha1(sha1::Sha1),
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
        }
    }

    pub fn finalize(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
        }
    }
}

/// A validated COS hash: an algorithm and a digest of exactly its length.
///
/// The only way to build one from page input is [`CosHash::parse`], so any
/// `CosHash` is safe to turn into a file name.
#[derive(Clone, Debug, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(try_from = "RawHash", into = "RawHash")]
pub struct CosHash {
    algorithm: HashAlgorithm,
    digest: Vec<u8>,
}

impl CosHash {
    /// Validates `{algorithm, value}` as a page passes it: the algorithm is a
    /// supported WebCrypto name in any ASCII case, the value is lowercase hex
    /// of exactly the digest length. Anything else is a `TypeError`.
    pub fn parse(algorithm: &str, value: &str) -> Result<CosHash, CosError> {
        let algorithm: HashAlgorithm = algorithm.parse()?;
        let expected = algorithm.digest_len() * 2;
        if value.len() != expected {
            return Err(CosError::Type(format!(
                "a {} hash value is {expected} lowercase hex characters, got {}",
                algorithm.name(),
                value.len()
            )));
        }
        if !value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(CosError::Type(
                "a hash value must be lowercase hexadecimal".to_owned(),
            ));
        }
        let digest = hex::decode(value).map_err(|e| CosError::Type(e.to_string()))?;
        Ok(CosHash { algorithm, digest })
    }

    /// Builds a hash from a digest computed locally.
    pub fn from_digest(algorithm: HashAlgorithm, digest: Vec<u8>) -> Result<CosHash, CosError> {
        if digest.len() != algorithm.digest_len() {
            return Err(CosError::Type(format!(
                "a {} digest is {} bytes, got {}",
                algorithm.name(),
                algorithm.digest_len(),
                digest.len()
            )));
        }
        Ok(CosHash { algorithm, digest })
    }

    /// The hash of `bytes` under `algorithm`.
    pub fn of(algorithm: HashAlgorithm, bytes: &[u8]) -> CosHash {
        let mut hasher = algorithm.hasher();
        hasher.update(bytes);
        CosHash {
            algorithm,
            digest: hasher.finalize(),
        }
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The lowercase hex value, as a page writes it (and a handle's `name`).
    pub fn value(&self) -> String {
        hex::encode(&self.digest)
    }
}

impl fmt::Display for CosHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.value())
    }
}

impl FromStr for CosHash {
    type Err = CosError;

    /// Parses `ALGORITHM:value` (as printed by `Display`), or a bare 64-digit
    /// value as SHA-256: the form people type on a command line.
    fn from_str(s: &str) -> Result<CosHash, CosError> {
        match s.split_once(':') {
            Some((algorithm, value)) => CosHash::parse(algorithm, value),
            None => CosHash::parse("SHA-256", s),
        }
    }
}

/// The wire form: re-validated on deserialization, so a message from a
/// compromised content process cannot smuggle in a malformed hash.
#[derive(Deserialize, Serialize)]
struct RawHash {
    algorithm: String,
    value: String,
}

impl TryFrom<RawHash> for CosHash {
    type Error = CosError;
    fn try_from(raw: RawHash) -> Result<CosHash, CosError> {
        CosHash::parse(&raw.algorithm, &raw.value)
    }
}

impl From<CosHash> for RawHash {
    fn from(hash: CosHash) -> RawHash {
        RawHash {
            algorithm: hash.algorithm.name().to_owned(),
            value: hash.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const EMPTY_SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

    #[test]
    fn algorithm_names_are_case_insensitive() {
        for name in ["SHA-256", "sha-256", "Sha-256", "sHA-256"] {
            assert_eq!(name.parse::<HashAlgorithm>(), Ok(HashAlgorithm::Sha256));
        }
        assert_eq!(
            "sha-384".parse::<HashAlgorithm>(),
            Ok(HashAlgorithm::Sha384)
        );
        assert_eq!(
            "SHA-512".parse::<HashAlgorithm>(),
            Ok(HashAlgorithm::Sha512)
        );
    }

    #[test]
    fn sha1_is_accepted_in_any_case() {
        for name in ["SHA-1", "sha-1", "Sha-1", "sHA-1"] {
            assert_eq!(name.parse::<HashAlgorithm>(), Ok(HashAlgorithm::Sha1));
        }
        assert_eq!(HashAlgorithm::Sha1.digest_len(), 20);
        assert!(!HashAlgorithm::Sha1.collision_resistant());
        let hash = CosHash::parse("sha-1", EMPTY_SHA1).unwrap();
        assert_eq!(hash.algorithm(), HashAlgorithm::Sha1);
        assert_eq!(hash.to_string(), format!("SHA-1:{EMPTY_SHA1}"));
    }

    #[test]
    fn sha1_values_are_40_lowercase_hex_digits() {
        let upper = EMPTY_SHA1.to_uppercase();
        let long = format!("{EMPTY_SHA1}0");
        // A SHA-256-length value is not a SHA-1 value, nor the other way.
        for value in [&EMPTY_SHA1[..39], &long, &upper, EMPTY_SHA256, ""] {
            assert_eq!(
                CosHash::parse("SHA-1", value).unwrap_err().dom_name(),
                "TypeError",
                "{value:?}"
            );
        }
        assert!(CosHash::parse("SHA-256", EMPTY_SHA1).is_err());
    }

    #[test]
    fn every_algorithm_is_consistent() {
        for algorithm in HashAlgorithm::ALL {
            assert_eq!(algorithm.name().parse::<HashAlgorithm>(), Ok(algorithm));
            let digest = CosHash::of(algorithm, b"abc");
            assert_eq!(digest.digest().len(), algorithm.digest_len());
            assert_eq!(digest.to_string().parse::<CosHash>(), Ok(digest));
            assert!(
                algorithm
                    .dir_name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            );
        }
        let mut dirs: Vec<&str> = HashAlgorithm::ALL.iter().map(|a| a.dir_name()).collect();
        dirs.sort_unstable();
        dirs.dedup();
        assert_eq!(dirs.len(), HashAlgorithm::ALL.len());
    }

    #[test]
    fn unsupported_algorithms_are_type_errors() {
        for name in [
            "sha1",
            "SHA1",
            "SHA256",
            "MD5",
            "",
            "SHA-256 ",
            "ＳHA-256",
            "SHA-1 ",
        ] {
            let err = name.parse::<HashAlgorithm>().unwrap_err();
            assert_eq!(err.dom_name(), "TypeError", "{name:?}");
        }
    }

    #[test]
    fn value_must_be_lowercase_hex_of_digest_length() {
        assert!(CosHash::parse("SHA-256", EMPTY_SHA256).is_ok());
        let upper = EMPTY_SHA256.to_uppercase();
        let cases = [upper.as_str(), &EMPTY_SHA256[..63], "", "zz"];
        for value in cases {
            assert_eq!(
                CosHash::parse("SHA-256", value).unwrap_err().dom_name(),
                "TypeError",
                "{value:?}"
            );
        }
        let long = format!("{EMPTY_SHA256}0");
        assert!(CosHash::parse("SHA-256", &long).is_err());
        let non_hex = format!("{}g", &EMPTY_SHA256[..63]);
        assert!(CosHash::parse("SHA-256", &non_hex).is_err());
        // A SHA-256-length value is not a SHA-512 value.
        assert!(CosHash::parse("SHA-512", EMPTY_SHA256).is_err());
        let sha512 = "a".repeat(128);
        assert!(CosHash::parse("SHA-512", &sha512).is_ok());
        assert!(CosHash::parse("SHA-384", &"b".repeat(96)).is_ok());
    }

    #[test]
    fn of_matches_known_digest() {
        assert_eq!(
            CosHash::of(HashAlgorithm::Sha256, b"").value(),
            EMPTY_SHA256
        );
        assert_eq!(
            CosHash::of(HashAlgorithm::Sha256, b""),
            CosHash::parse("sha-256", EMPTY_SHA256).unwrap()
        );
        assert_eq!(CosHash::of(HashAlgorithm::Sha1, b"").value(), EMPTY_SHA1);
        // FIPS 180 example.
        assert_eq!(
            CosHash::of(HashAlgorithm::Sha1, b"abc").value(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn display_round_trips() {
        let h = CosHash::of(HashAlgorithm::Sha384, b"abc");
        assert_eq!(h.to_string().parse::<CosHash>().unwrap(), h);
        assert_eq!(
            EMPTY_SHA256.parse::<CosHash>().unwrap().algorithm(),
            HashAlgorithm::Sha256
        );
    }

    #[test]
    fn deserialization_revalidates() {
        let bad = r#"{"algorithm":"SHA-256","value":"../../etc/passwd"}"#;
        assert!(serde_json::from_str::<CosHash>(bad).is_err());
        let good = format!(r#"{{"algorithm":"sha-256","value":"{EMPTY_SHA256}"}}"#);
        let h: CosHash = serde_json::from_str(&good).unwrap();
        assert_eq!(h.algorithm(), HashAlgorithm::Sha256);
    }
}
