//! The delivery packet: one ZIP to hand over, with a cover document, the
//! totals by country, the signatures (names and countries), and a manifest of
//! every file's SHA-256, signed with the deployment's Ed25519 key.
//!
//! [`write_packet`] (in `packet`) makes one; [`verify`] (in `verify`) checks
//! one that may come from anyone. This module holds what both share: the
//! manifest's shape and the hashing writer.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod packet;
mod verify;

pub use packet::write_packet;
pub use verify::{Verification, verify};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
const FORMAT: &str = "undersigned-delivery/1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub petition: PetitionFacts,
    pub generated_at: String,
    pub confirmed_total: u64,
    pub files: Vec<FileEntry>,
    pub signing_key: KeyFacts,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PetitionFacts {
    pub slug: String,
    pub title: String,
    pub addressee: Option<String>,
    /// SHA-256 of the petition text (UTF-8), as shown in the cover document.
    pub text_sha256: String,
    pub text_changed_at: Option<String>,
    pub collection_started: String,
    /// None while the petition is still open.
    pub collection_ended: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyFacts {
    pub algorithm: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// Passes bytes through, counting them and hashing them.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }

    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
