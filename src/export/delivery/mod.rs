//! The delivery packet: one ZIP to hand over, with a cover document, the
//! totals by country, the signatures (names and countries), the petition's
//! transparency-log checkpoint those signatures were counted at and the
//! log's leaves up to it (so that anyone can recount offline), and a
//! manifest of every file's SHA-256, signed with the deployment's Ed25519
//! delivery key.
//!
//! [`tie`] (in `tie`) checks, in the snapshot a packet is written from, that
//! the log counts exactly its signatures; [`write_packet`] (in `packet`)
//! makes one; [`verify`] (in `verify`) checks one that may come from anyone.
//! This module holds what they share: the manifest's shape, where the log's
//! files go, and the hashing writer.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod packet;
mod tie;
mod verify;

pub use packet::write_packet;
pub use tie::{Difference, Tied, Untied, differences, tie};
pub use verify::{Verification, verify};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
/// Format 2 carries the log's checkpoint and entry bundles.
const FORMAT: &str = "undersigned-delivery/2";
/// Where the log's files are in a packet: `log/checkpoint` and
/// `log/tile/entries/...`, the layout of a log's prefix (C2SP tlog-tiles).
pub const LOG_DIR: &str = "log/";

/// The name in a packet of the log file at `path` (relative to the log's
/// prefix, such as `checkpoint` or `tile/entries/000`).
pub fn log_file(path: &str) -> String {
    format!("{LOG_DIR}{path}")
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub petition: PetitionFacts,
    pub generated_at: String,
    pub confirmed_total: u64,
    /// The transparency log the count is tied to; None only in packets made
    /// before packets carried it (format 1), which `verify` refuses to call
    /// intact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogFacts>,
    pub files: Vec<FileEntry>,
    pub signing_key: KeyFacts,
}

/// The log checkpoint a packet carries (`log/checkpoint`), as the manifest
/// states it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogFacts {
    /// The log's origin: the checkpoint's first line, and its key name.
    pub origin: String,
    /// Leaves in the tree at the checkpoint.
    pub size: u64,
    /// The tree's root hash, standard base64 (as in the checkpoint).
    pub root: String,
    /// The signed-note verifier key the checkpoint opens with (the
    /// deployment's log key, not the delivery key).
    pub verifier_key: String,
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
