//! The signature transparency log's formats, with no database: what a leaf
//! holds, how a checkpoint is written and signed, how tiles and entry
//! bundles are addressed and encoded, and the verifier that rebuilds a log
//! from those files alone (the command line's `verify-log`, `verify-receipt`
//! and the delivery packet's check use it; so can anyone's own verifier,
//! see docs/transparency.md).
//!
//! The Merkle tree is RFC 6962's; tiles, checkpoints and notes are C2SP's
//! `tlog-tiles`, `tlog-checkpoint` and `signed-note`, through the
//! `tlog_tiles` and `signed_note` crates (only this module names them).

pub mod bundle;
pub mod checkpoint;
pub mod leaf;
pub mod merkle;
pub mod paths;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointError, LogKey, LogSigner, Totals, verifier_key};
pub use leaf::{Leaf, LeafError, text_hash};

/// A tree hash: SHA-256, 32 bytes.
pub type Hash = [u8; 32];

/// The root of the empty tree (SHA-256 of nothing).
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH.0;

/// RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    tlog_tiles::record_hash(leaf).0
}
