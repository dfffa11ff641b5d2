//! Reading a log back out: tiles, entry bundles and receipts' proofs, all
//! derived from committed rows (so a tile, once it exists, never changes).

use diesel::QueryResult;
use tlog_tiles::{Tile, prove_record};

use super::append::Hashes;
use crate::db::DbConnection;
use crate::db::tlog::{self as rows, HeadRow};
use crate::tlog::paths::{self, TILE_WIDTH, TileKind, TilePath};
use crate::tlog::{Hash, Leaf, bundle};

/// Tile height (C2SP tlog-tiles: always 8, 256 hashes to a tile).
const TILE_HEIGHT: u8 = 8;

/// The bytes of the tile or entry bundle at `path`, as of the log `head`;
/// None if the log does not have it (yet).
pub fn tile(conn: &mut DbConnection, head: &HeadRow, path: &TilePath) -> QueryResult<Option<Vec<u8>>> {
    let size = u64::try_from(head.size).unwrap_or(0);
    if paths::tile_at(path.kind(), path.index(), size).is_none_or(|available| available.width() < path.width()) {
        return Ok(None);
    }
    let failed = |what: String| diesel::result::Error::QueryBuilderError(what.into());
    match path.kind() {
        TileKind::Hashes(level) => {
            let tile = Tile::new(TILE_HEIGHT, level, path.index(), u32::from(path.width()), false);
            let reader = Hashes::new(conn, head.petition_id, u64::MAX, &[]);
            tile.read_data(&reader).map(Some).map_err(|e| failed(format!("reading a tile of the log: {e}")))
        }
        TileKind::Entries => {
            let from = i64::try_from(path.index().saturating_mul(TILE_WIDTH)).unwrap_or(i64::MAX);
            let to = from.saturating_add(i64::from(path.width()));
            let leaves = rows::leaves(conn, head.petition_id, from, to)?;
            bundle::encode(leaves.iter().map(Vec::as_slice))
                .map(Some)
                .map_err(|e| failed(format!("writing an entry bundle: {e}")))
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
