/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! Where things live under a store's root directory.
//!
//! ```text
//! <root>/index.sqlite                        the index (WAL mode)
//! <root>/content-v1/<alg>/<ab>/<cd>/<hex>    one file per entry, named by digest
//! <root>/tmp/<random>.part                   writes in progress
//! <root>/public-hash-list.txt                optional Public Hash List
//! <root>/settings.json                       optional settings (see `Settings`)
//! ```
//!
//! Content paths are built only from a validated [`CosHash`], never from
//! page input, so no path can escape the root. The `-v1` in the content
//! directory names the layout version: a future layout moves to `-v2`
//! beside it instead of reinterpreting old files.

use std::path::{Path, PathBuf};

use cos_traits::CosHash;

pub(crate) const CONTENT_DIR: &str = "content-v1";
const TMP_DIR: &str = "tmp";
const INDEX_FILE: &str = "index.sqlite";
const PHL_FILE: &str = "public-hash-list.txt";
const SETTINGS_FILE: &str = "settings.json";

#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn index(&self) -> PathBuf {
        self.root.join(INDEX_FILE)
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    pub fn content_dir(&self) -> PathBuf {
        self.root.join(CONTENT_DIR)
    }

    pub fn settings(&self) -> PathBuf {
        self.root.join(SETTINGS_FILE)
    }

    pub fn default_public_hash_list(&self) -> PathBuf {
        self.root.join(PHL_FILE)
    }

    /// The hash a content file's path names, if it is one this layout
    /// would make (the inverse of [`Layout::content_path`]).
    pub fn hash_of_content_path(&self, path: &Path) -> Option<CosHash> {
        let relative = path.strip_prefix(self.content_dir()).ok()?;
        let parts: Vec<&str> = relative.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
        let [dir, a, b, hex] = parts.as_slice() else {
            return None;
        };
        let algorithm = cos_traits::HashAlgorithm::ALL
            .into_iter()
            .find(|algorithm| algorithm.dir_name() == *dir)?;
        let hash = CosHash::parse(algorithm.name(), hex).ok()?;
        (hash.value()[0..2] == **a && hash.value()[2..4] == **b).then_some(hash)
    }

    /// Moves a damaged index (and its WAL files) aside as
    /// `index.sqlite.damaged-<stamp>`, for a person or a tool to look at:
    /// the store then starts a new index and rebuilds it from the content
    /// files, which are named by their hashes. Returns the new name.
    pub fn set_aside_index(&self, stamp: u64) -> std::io::Result<PathBuf> {
        let aside = self.root.join(format!("{INDEX_FILE}.damaged-{stamp}"));
        std::fs::rename(self.index(), &aside)?;
        for suffix in ["-wal", "-shm"] {
            let from = self.root.join(format!("{INDEX_FILE}{suffix}"));
            if from.exists() {
                std::fs::rename(
                    &from,
                    self.root
                        .join(format!("{INDEX_FILE}.damaged-{stamp}{suffix}")),
                )?;
            }
        }
        Ok(aside)
    }

    /// The file holding `hash`'s bytes. Two levels of two hex digits keep
    /// any one directory small even with many entries.
    pub fn content_path(&self, hash: &CosHash) -> PathBuf {
        let hex = hash.value();
        self.content_dir()
            .join(hash.algorithm().dir_name())
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cos_traits::HashAlgorithm;

    #[test]
    fn content_paths_name_their_hash() {
        let layout = Layout::new("/profile/cos");
        let hash = CosHash::of(HashAlgorithm::Sha384, b"y");
        let path = layout.content_path(&hash);
        assert_eq!(layout.hash_of_content_path(&path), Some(hash));
        for stray in [
            "/profile/cos/content-v1/sha384/00/00/notahash",
            "/profile/cos/content-v1/md5/00/00/00",
            "/profile/cos/tmp/x.part",
        ] {
            assert_eq!(
                layout.hash_of_content_path(Path::new(stray)),
                None,
                "{stray}"
            );
        }
        // A file moved to the wrong fan-out directory is not adopted.
        let hex = CosHash::of(HashAlgorithm::Sha256, b"z").value().to_owned();
        let misplaced = format!("/profile/cos/content-v1/sha256/ff/ff/{hex}");
        assert_eq!(layout.hash_of_content_path(Path::new(&misplaced)), None);
    }

    #[test]
    fn content_paths_are_made_of_the_digest() {
        let layout = Layout::new("/profile/cos");
        let hash = CosHash::of(HashAlgorithm::Sha512, b"x");
        let hex = hash.value();
        let expected = format!(
            "/profile/cos/content-v1/sha512/{}/{}/{hex}",
            &hex[0..2],
            &hex[2..4]
        );
        assert_eq!(layout.content_path(&hash), Path::new(&expected));
    }
}
