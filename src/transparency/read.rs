//! Reading a log back out: tiles, entry bundles and receipts' proofs, all
//! derived from committed rows (so a tile, once it exists, never changes).

use diesel::QueryResult;
use tlog_tiles::{Tile, prove_record};

use super::append::Hashes;
use crate::db::DbConnection;
use crate::db::tlog::{self as rows, HeadRow};
use crate::tlog::{Hash, Leaf};

/// Hashes per tile, and entries per bundle (C2SP tlog-tiles: height 8).
const TILE_WIDTH: u64 = 256;
const TILE_HEIGHT: u8 = 8;

/// A tile of hashes at a level, or a bundle of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    Hashes { level: u8 },
    Entries,
}

/// The number of leaves a tile's first `width` hashes span, if it fits in u64.
fn leaves_spanned(kind: TileKind, index: u64, width: u64) -> Option<u64> {
    let level = match kind {
        TileKind::Hashes { level } => u32::from(level),
        TileKind::Entries => 0,
    };
    let per_hash = TILE_WIDTH.checked_pow(level)?;
    index.checked_mul(TILE_WIDTH)?.checked_add(width)?.checked_mul(per_hash)
}

/// The bytes of tile `index` of `kind`, `width` (1..=256) entries wide, as
/// of the log `head`; None if the log does not have that tile yet.
pub fn tile(
    conn: &mut DbConnection,
    head: &HeadRow,
    kind: TileKind,
    index: u64,
    width: u64,
) -> QueryResult<Option<Vec<u8>>> {
    let size = u64::try_from(head.size).unwrap_or(0);
    if !(1..=TILE_WIDTH).contains(&width) || leaves_spanned(kind, index, width).is_none_or(|end| end > size) {
        return Ok(None);
    }
    match kind {
        TileKind::Hashes { level } => {
            if level >= 64 {
                return Ok(None);
            }
            let w = u32::try_from(width).unwrap_or(256);
            let tile = Tile::new(TILE_HEIGHT, level, index, w, false);
            let reader = Hashes::new(conn, head.petition_id, u64::MAX, &[]);
            tile.read_data(&reader)
                .map(Some)
                .map_err(|e| diesel::result::Error::QueryBuilderError(format!("reading a tile of the log: {e}").into()))
        }
        TileKind::Entries => {
            let from = i64::try_from(index * TILE_WIDTH).unwrap_or(i64::MAX);
            let to = from.saturating_add(i64::try_from(width).unwrap_or(256));
            let leaves = rows::leaves(conn, head.petition_id, from, to)?;
            let mut out = Vec::with_capacity(leaves.iter().map(|l| l.len() + 2).sum());
            for leaf in &leaves {
                let len = u16::try_from(leaf.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(leaf);
            }
            Ok(Some(out))
        }
    }
}

/// What the log says of one receipt, as of `head`.
#[derive(Debug, Clone)]
pub struct ReceiptCheck {
    pub index: u64,
    pub leaf: Leaf,
    /// The inclusion proof of the leaf in the tree of the checkpoint.
    pub proof: Vec<Hash>,
    /// The withdrawal leaf that cancels it, if it was withdrawn.
    pub cancelled_by: Option<u64>,
    pub size: u64,
    pub root: Hash,
    /// The signed checkpoint the proof is for.
    pub checkpoint: String,
}

/// The leaf of the receipt whose commitment is `commitment`, with its
/// inclusion proof in the tree of `head`; None if no leaf carries it (yet).
/// Call inside one snapshot with the head.
pub fn receipt(conn: &mut DbConnection, head: &HeadRow, commitment: &[u8; 32]) -> QueryResult<Option<ReceiptCheck>> {
    let size = u64::try_from(head.size).unwrap_or(0);
    let Some(index) = rows::find_commitment(conn, head.petition_id, commitment)? else {
        return Ok(None);
    };
    let Ok(index_u) = u64::try_from(index) else {
        return Ok(None);
    };
    if index_u >= size {
        return Ok(None);
    }
    let leaf_bytes = rows::leaves(conn, head.petition_id, index, index + 1)?;
    let Some(leaf) = leaf_bytes.first().and_then(|b| Leaf::parse(b).ok()) else {
        return Ok(None);
    };
    let cancelled_by = rows::cancelled_by(conn, head.petition_id, index)?.and_then(|i| u64::try_from(i).ok());
    let reader = Hashes::new(conn, head.petition_id, u64::MAX, &[]);
    let proof = prove_record(size, index_u, &reader)
        .map_err(|e| diesel::result::Error::QueryBuilderError(format!("proving a leaf of the log: {e}").into()))?;
    Ok(Some(ReceiptCheck {
        index: index_u,
        leaf,
        proof: proof.iter().map(|h| h.0).collect(),
        cancelled_by,
        size,
        root: head.root.as_slice().try_into().unwrap_or([0; 32]),
        checkpoint: head.checkpoint.clone(),
    }))
}
