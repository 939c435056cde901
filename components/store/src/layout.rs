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
