//! The verifier: rebuilds a log from its published files alone (checkpoint,
//! hash tiles, entry bundles), through a [`Source`] that reads them over
//! HTTP, from a directory, or from memory.
//!
//! [`verify_log`] checks everything a checkpoint implies: its signature,
//! every entry against the level-0 hash tiles, every tile against the level
//! below, the root, the recount of the leaves against the totals the
//! checkpoint states and, given an earlier checkpoint, that the log only
//! grew since. [`verify_receipt`] finds one signer's leaf by scanning the
//! entries (no lookup request, so the server does not learn who checks) and
//! checks its inclusion proof built from the hash tiles. [`verify_entries`]
//! rebuilds the root and the recount from entry bundles only, as the
//! delivery packet carries them.
//!
//! Nothing is held per leaf but two bytes (its country, or a mark for a
//! withdrawal or a cancelled leaf); bundles and tiles are fetched in
//! parallel batches and dropped once checked.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use rayon::prelude::*;

use super::bundle::{self, BundleError};
use super::merkle::{self, Nodes, ProofError, RootBuilder};
use super::paths::{self, TileKind, TilePath};
use super::{Checkpoint, CheckpointError, EMPTY_ROOT, Hash, Leaf, LeafError, Totals, leaf_hash};
use crate::domain::Receipt;

/// The checkpoint's path under a log's prefix.
pub const CHECKPOINT: &str = "checkpoint";

/// Where a log's files are read from. `path` is relative to the log's
/// prefix (`checkpoint`, `tile/0/x001/000.p/5`, `tile/entries/000`); `None`
/// means the file is not there (HTTP 404, no such file).
pub trait Source: Sync {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError>;
}

/// A file could not be read (network, disk), as opposed to being absent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {path}: {message}")]
pub struct SourceError {
    pub path: String,
    pub message: String,
}

/// Why a withdrawal leaf is not a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalFault {
    /// It names itself or a later leaf.
    NotEarlier,
    /// It names a withdrawal leaf.
    NotAConfirmation,
    /// It names a leaf an earlier withdrawal already cancelled.
    AlreadyCancelled,
}

impl std::fmt::Display for WithdrawalFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotEarlier => "that leaf is not an earlier one",
            Self::NotAConfirmation => "that leaf is not a confirmation",
            Self::AlreadyCancelled => "that leaf was already cancelled",
        })
    }
}

/// What failed, named: the file, the leaf index, the country, the sizes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("the log has no checkpoint (nothing at {CHECKPOINT})")]
    NoCheckpoint,
    #[error("{0}")]
    Checkpoint(CheckpointError),
    #[error("a tile is missing: {path}")]
    Missing { path: String },
    #[error("{path} is {found} bytes, not the {expected} its width implies")]
    TileLength { path: String, expected: usize, found: usize },
    #[error("{path}: {error}")]
    Bundle { path: String, error: BundleError },
    #[error("the entry of leaf {index} in {bundle} does not hash to hash {position} of {tile}")]
    EntryHash { index: u64, bundle: String, tile: String, position: u16 },
    #[error("hash {position} of {path} is not the root of {below}")]
    TileHash { path: String, position: u16, below: String },
    #[error("the {size} entries rebuild the root {found}, not the checkpoint's {expected}")]
    Root { size: u64, expected: String, found: String },
    #[error("leaf {index} is malformed: {error}")]
    Leaf { index: u64, error: LeafError },
    #[error("leaf {index} withdraws leaf {cancels}, but {fault}")]
    Withdrawal { index: u64, cancels: u64, fault: WithdrawalFault },
    #[error("the checkpoint says total {checkpoint}, the leaves recount {recount}")]
    Total { checkpoint: i64, recount: i64 },
    #[error("the checkpoint says {checkpoint} for country {country}, the leaves recount {recount}")]
    Country { country: String, checkpoint: i64, recount: i64 },
    #[error("the earlier checkpoint does not open (a damaged local copy, or another log): {0}")]
    SinceCheckpoint(CheckpointError),
    #[error("the earlier checkpoint is of the log {old:?}, not {new:?}")]
    SinceOrigin { old: String, new: String },
    #[error("the log shrank: the earlier checkpoint has {old} leaves, this one {new}")]
    SinceShrunk { old: u64, new: u64 },
    #[error(
        "the log rewrote its history: its first {old_size} leaves (of {new_size}) have the root {found}, \
         the earlier checkpoint signed {expected}"
    )]
    Inconsistent { old_size: u64, new_size: u64, expected: String, found: String },
    #[error("the receipt is not in the log (no confirmed leaf among the {size} has its commitment)")]
    NotInLog { size: u64 },
    #[error("leaves {first} and {second} carry the same commitment")]
    DuplicateCommitment { first: u64, second: u64 },
    #[error("the inclusion proof of leaf {index} built from the hash tiles does not verify: {error}")]
    Proof { index: u64, error: ProofError },
}

/// What [`verify_log`] found to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The recount, equal to the checkpoint's totals.
    pub totals: Totals,
    pub leaves_confirmed: u64,
    pub leaves_withdrawn: u64,
    /// Hash tiles fetched and checked.
    pub tiles_checked: u64,
    pub bundles_checked: u64,
    /// The size of the earlier checkpoint the log was shown to extend.
    pub since: Option<u64>,
}

/// What [`verify_entries`] recounted, equal to the checkpoint's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntriesReport {
    pub size: u64,
    pub root: Hash,
    pub totals: Totals,
    pub leaves_confirmed: u64,
    pub leaves_withdrawn: u64,
    pub bundles_checked: u64,
}

/// What [`verify_receipt`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptReport {
    pub origin: String,
    /// The leaf's index.
    pub index: u64,
    /// The checkpoint the leaf is included in.
    pub size: u64,
    pub root: Hash,
    /// The inclusion proof (RFC 9162 PATH), from the leaf's sibling up.
    pub proof: Vec<Hash>,
    /// The withdrawal leaf that cancels it, if any.
    pub withdrawn_by: Option<u64>,
    pub country: String,
    pub day: NaiveDate,
    /// The hash of the petition's text the signer signed.
    pub text: Hash,
}

/// A hash as checkpoints write it (standard base64).
pub fn b64(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// Fetches a log's signed checkpoint.
pub fn fetch_checkpoint(source: &dyn Source) -> Result<Vec<u8>, VerifyError> {
    source.get(CHECKPOINT)?.ok_or(VerifyError::NoCheckpoint)
}

/// Verifies the whole log the source holds, at its current checkpoint,
/// against the verifier key `vkey`; with `since` (an earlier signed
/// checkpoint), also that the log only grew from it.
pub fn verify_log(source: &dyn Source, vkey: &str, since: Option<&[u8]>) -> Result<LogReport, VerifyError> {
    let note = fetch_checkpoint(source)?;
    verify_log_note(source, &note, vkey, since)
}

/// [`verify_log`] at the signed checkpoint `note` (already fetched, e.g. to
/// save it or to learn its origin).
pub fn verify_log_note(
    source: &dyn Source,
    note: &[u8],
    vkey: &str,
    since: Option<&[u8]>,
) -> Result<LogReport, VerifyError> {
    let cp = Checkpoint::open(note, vkey).map_err(VerifyError::Checkpoint)?;
    let old = match since {
        Some(old) => {
            let old = Checkpoint::open(old, vkey).map_err(VerifyError::SinceCheckpoint)?;
            if old.origin != cp.origin {
                return Err(VerifyError::SinceOrigin { old: old.origin, new: cp.origin });
            }
            if old.size > cp.size {
                return Err(VerifyError::SinceShrunk { old: old.size, new: cp.size });
            }
            Some(old)
        }
        None => None,
    };
    let mut recount = Recount::new(cp.size);
    let scan = scan(source, cp.size, true, old.as_ref().map(|o| o.size), |chunk| {
        recount.take(chunk);
        Ok(())
    })?;
    check_root(&cp, &scan)?;
    if let Some(old) = &old {
        let found = scan.root_at.unwrap_or(EMPTY_ROOT);
        if found != old.root {
            return Err(VerifyError::Inconsistent {
                old_size: old.size,
                new_size: cp.size,
                expected: b64(&old.root),
                found: b64(&found),
            });
        }
    }
    let upper = check_upper_levels(source, cp.size, scan.level_one)?;
    let totals = recount.finish(&cp.totals)?;
    Ok(LogReport {
        origin: cp.origin,
        size: cp.size,
        root: cp.root,
        totals,
        leaves_confirmed: recount.confirmed,
        leaves_withdrawn: recount.withdrawn,
        tiles_checked: scan.bundles + upper,
        bundles_checked: scan.bundles,
        since: old.map(|o| o.size),
    })
}

/// Rebuilds the root and the recount of `checkpoint` (already opened) from
/// the entry bundles alone, and checks both against it.
pub fn verify_entries(source: &dyn Source, checkpoint: &Checkpoint) -> Result<EntriesReport, VerifyError> {
    let mut recount = Recount::new(checkpoint.size);
    let scan = scan(source, checkpoint.size, false, None, |chunk| {
        recount.take(chunk);
        Ok(())
    })?;
    check_root(checkpoint, &scan)?;
    let totals = recount.finish(&checkpoint.totals)?;
    Ok(EntriesReport {
        size: checkpoint.size,
        root: checkpoint.root,
        totals,
        leaves_confirmed: recount.confirmed,
        leaves_withdrawn: recount.withdrawn,
        bundles_checked: scan.bundles,
    })
}

/// Finds the receipt's leaf in the log at its current checkpoint and
/// checks its inclusion.
pub fn verify_receipt(source: &dyn Source, vkey: &str, receipt: &Receipt) -> Result<ReceiptReport, VerifyError> {
    let note = fetch_checkpoint(source)?;
    let cp = Checkpoint::open(&note, vkey).map_err(VerifyError::Checkpoint)?;
    let commitment = receipt.commitment().0;
    let mut found: Option<(u64, Hash, Leaf)> = None;
    let mut withdrawn_by = None;
    let scan = scan(source, cp.size, false, None, |chunk| {
        for (j, (hash, leaf)) in chunk.hashes.iter().zip(&chunk.leaves).enumerate() {
            let index = chunk.start + j as u64;
            match leaf {
                Ok(leaf @ Leaf::Confirmed { commitment: c, .. }) if *c == commitment => match found {
                    Some((first, ..)) => return Err(VerifyError::DuplicateCommitment { first, second: index }),
                    None => found = Some((index, *hash, *leaf)),
                },
                Ok(Leaf::Withdrawn { cancels })
                    if withdrawn_by.is_none() && found.is_some_and(|(i, ..)| i == *cancels) =>
                {
                    withdrawn_by = Some(index);
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    check_root(&cp, &scan)?;
    let Some((index, hash, Leaf::Confirmed { country, day, text, .. })) = found else {
        return Err(VerifyError::NotInLog { size: cp.size });
    };
    let nodes = TileNodes::new(source, cp.size);
    let proof =
        merkle::inclusion_proof(&nodes, index, cp.size)?.map_err(|error| VerifyError::Proof { index, error })?;
    merkle::verify_inclusion(index, cp.size, &hash, &proof, &cp.root)
        .map_err(|error| VerifyError::Proof { index, error })?;
    Ok(ReceiptReport {
        origin: cp.origin,
        index,
        size: cp.size,
        root: cp.root,
        proof,
        withdrawn_by,
        country: String::from_utf8_lossy(&country).into_owned(),
        day,
        text,
    })
}

fn check_root(cp: &Checkpoint, scan: &Scan) -> Result<(), VerifyError> {
    if scan.root != cp.root {
        return Err(VerifyError::Root { size: cp.size, expected: b64(&cp.root), found: b64(&scan.root) });
    }
    Ok(())
}

/// The leaves of one entry bundle, hashed and parsed.
struct Chunk {
    /// The index of its first leaf.
    start: u64,
    hashes: Vec<Hash>,
    leaves: Vec<Result<Leaf, LeafError>>,
    /// The root of its 256 leaves, if the bundle is full.
    subtree: Option<Hash>,
}

/// What a scan of every entry bundle yields.
struct Scan {
    root: Hash,
    /// The root of the first `since` leaves, if asked for.
    root_at: Option<Hash>,
    /// The roots of the full level-0 tiles: what level 1 must hold.
    level_one: Vec<Hash>,
    bundles: u64,
}

/// Bundles fetched at once, and threads fetching them (fetching waits on
/// the network far more than it computes).
const BATCH: u64 = 64;
pub const FETCHERS: usize = 8;

fn pool() -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new().num_threads(FETCHERS).build().ok()
}

/// Runs `f` over `items` in parallel (in order of results), on `pool` if
/// one could be made.
fn parallel<T: Sync, R: Send>(
    pool: Option<&rayon::ThreadPool>,
    items: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    match pool {
        Some(p) => p.install(|| items.par_iter().map(&f).collect()),
        None => items.iter().map(f).collect(),
    }
}

/// Reads every entry bundle of a tree of `size` leaves in order, in
/// parallel batches; with `tiles`, checks each entry against its level-0
/// tile. Feeds each bundle to `each` and rebuilds the root (and the root
/// at `since` leaves).
fn scan(
    source: &dyn Source,
    size: u64,
    tiles: bool,
    since: Option<u64>,
    mut each: impl FnMut(&Chunk) -> Result<(), VerifyError>,
) -> Result<Scan, VerifyError> {
    let pool = pool();
    let bundles = size.div_ceil(paths::TILE_WIDTH);
    let mut builder = RootBuilder::new();
    let mut root_at = (since == Some(0)).then_some(EMPTY_ROOT);
    let mut level_one = Vec::with_capacity((size / paths::TILE_WIDTH) as usize);
    let mut first = 0;
    while first < bundles {
        let batch: Vec<u64> = (first..bundles.min(first + BATCH)).collect();
        let chunks = parallel(pool.as_ref(), &batch, |&k| load_chunk(source, size, k, tiles));
        for chunk in chunks {
            let chunk = chunk?;
            each(&chunk)?;
            let end = chunk.start + chunk.hashes.len() as u64;
            let inside = since.is_some_and(|m| chunk.start < m && m < end);
            match chunk.subtree {
                Some(subtree) if !inside => {
                    builder.push_subtree(8, subtree);
                    level_one.push(subtree);
                }
                _ => {
                    for hash in &chunk.hashes {
                        builder.push(*hash);
                        if since == Some(builder.size()) {
                            root_at = Some(builder.root());
                        }
                    }
                    if let Some(subtree) = chunk.subtree {
                        level_one.push(subtree);
                    }
                }
            }
            if since == Some(builder.size()) && root_at.is_none() {
                root_at = Some(builder.root());
            }
        }
        first += BATCH;
    }
    Ok(Scan { root: builder.root(), root_at, level_one, bundles })
}

/// Fetches a tile or bundle; a missing partial one is read from the start
/// of the full one, which a log may serve instead once it has grown.
fn fetch(source: &dyn Source, tile: TilePath) -> Result<(Vec<u8>, bool), VerifyError> {
    if let Some(bytes) = source.get(&tile.path())? {
        return Ok((bytes, false));
    }
    if !tile.is_full()
        && let Some(bytes) = source.get(&tile.full().path())?
    {
        return Ok((bytes, true));
    }
    Err(VerifyError::Missing { path: tile.path() })
}

/// The hashes of a tile, checked for length.
fn fetch_hashes(source: &dyn Source, tile: TilePath) -> Result<Vec<Hash>, VerifyError> {
    let (bytes, from_full) = fetch(source, tile)?;
    let want = usize::from(tile.width()) * 32;
    let (path, expected) = if from_full { (tile.full().path(), 256 * 32) } else { (tile.path(), want) };
    if bytes.len() != expected {
        return Err(VerifyError::TileLength { path, expected, found: bytes.len() });
    }
    Ok(bytes[..want].chunks_exact(32).map(|c| c.try_into().unwrap_or([0; 32])).collect())
}

fn load_chunk(source: &dyn Source, size: u64, k: u64, tiles: bool) -> Result<Chunk, VerifyError> {
    let missing = |path: String| VerifyError::Missing { path };
    let bundle = paths::tile_at(TileKind::Entries, k, size).ok_or_else(|| missing(format!("tile/entries/{k}")))?;
    let (bytes, from_full) = fetch(source, bundle)?;
    let width = usize::from(bundle.width());
    let entries = if from_full {
        let mut all =
            bundle::decode(&bytes, 256).map_err(|error| VerifyError::Bundle { path: bundle.full().path(), error })?;
        all.truncate(width);
        all
    } else {
        bundle::decode(&bytes, width).map_err(|error| VerifyError::Bundle { path: bundle.path(), error })?
    };
    let start = k * paths::TILE_WIDTH;
    let hashes: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    if tiles {
        let tile = paths::tile_at(TileKind::Hashes(0), k, size).ok_or_else(|| missing(format!("tile/0/{k}")))?;
        let published = fetch_hashes(source, tile)?;
        if let Some(j) = (0..hashes.len()).find(|&j| hashes[j] != published[j]) {
            return Err(VerifyError::EntryHash {
                index: start + j as u64,
                bundle: bundle.path(),
                tile: tile.path(),
                position: j as u16,
            });
        }
    }
    let leaves = entries.iter().map(|e| Leaf::parse(e)).collect();
    let subtree = if bundle.is_full() { merkle::perfect_root(&hashes) } else { None };
    Ok(Chunk { start, hashes, leaves, subtree })
}

/// Checks the tiles of level 1 and up: each hash must be the root of the
/// full tile below it (`expected`, from the level below), and returns how
/// many tiles were checked.
fn check_upper_levels(source: &dyn Source, size: u64, mut expected: Vec<Hash>) -> Result<u64, VerifyError> {
    let pool = pool();
    let mut checked = 0;
    for level in 1..paths::levels(size) {
        let tiles: Vec<TilePath> =
            paths::hash_tiles(size).into_iter().filter(|t| t.kind() == TileKind::Hashes(level)).collect();
        let fetched = parallel(pool.as_ref(), &tiles, |t| fetch_hashes(source, *t));
        let mut next = Vec::with_capacity(expected.len() / 256);
        for (tile, hashes) in tiles.iter().zip(fetched) {
            let hashes = hashes?;
            for (j, hash) in hashes.iter().enumerate() {
                let below = tile.index() * paths::TILE_WIDTH + j as u64;
                if expected.get(below as usize) != Some(hash) {
                    let below = TilePath::new(TileKind::Hashes(level - 1), below, 256).map(|t| t.path());
                    return Err(VerifyError::TileHash {
                        path: tile.path(),
                        position: j as u16,
                        below: below.unwrap_or_default(),
                    });
                }
            }
            if tile.is_full()
                && let Some(root) = merkle::perfect_root(&hashes)
            {
                next.push(root);
            }
            checked += 1;
        }
        expected = next;
    }
    Ok(checked)
}

/// Marks for leaves that count for no country.
const WITHDRAWAL: [u8; 2] = [0, 0];
const CANCELLED: [u8; 2] = [0, 1];

/// The recount of a log's leaves, in order: two bytes per leaf (its
/// country, or a mark), and the first misbehaviour seen.
struct Recount {
    state: Vec<[u8; 2]>,
    by_country: BTreeMap<[u8; 2], i64>,
    confirmed: u64,
    withdrawn: u64,
    fault: Option<VerifyError>,
}

impl Recount {
    fn new(size: u64) -> Self {
        Self {
            state: Vec::with_capacity(usize::try_from(size).unwrap_or(0)),
            by_country: BTreeMap::new(),
            confirmed: 0,
            withdrawn: 0,
            fault: None,
        }
    }

    fn take(&mut self, chunk: &Chunk) {
        for (j, leaf) in chunk.leaves.iter().enumerate() {
            let index = chunk.start + j as u64;
            match leaf {
                Ok(Leaf::Confirmed { country, .. }) => {
                    self.state.push(*country);
                    *self.by_country.entry(*country).or_default() += 1;
                    self.confirmed += 1;
                }
                Ok(Leaf::Withdrawn { cancels }) => {
                    self.state.push(WITHDRAWAL);
                    let fault = match self.state.get(*cancels as usize).copied() {
                        _ if *cancels >= index => Some(WithdrawalFault::NotEarlier),
                        Some(WITHDRAWAL) | None => Some(WithdrawalFault::NotAConfirmation),
                        Some(CANCELLED) => Some(WithdrawalFault::AlreadyCancelled),
                        Some(country) => {
                            *self.by_country.entry(country).or_default() -= 1;
                            self.state[*cancels as usize] = CANCELLED;
                            self.withdrawn += 1;
                            None
                        }
                    };
                    if let Some(fault) = fault {
                        self.fault.get_or_insert(VerifyError::Withdrawal { index, cancels: *cancels, fault });
                    }
                }
                Err(error) => {
                    self.state.push(WITHDRAWAL);
                    self.fault.get_or_insert(VerifyError::Leaf { index, error: *error });
                }
            }
        }
    }

    /// The recount, if no leaf misbehaved and it equals `stated`.
    fn finish(&mut self, stated: &Totals) -> Result<Totals, VerifyError> {
        if let Some(fault) = self.fault.take() {
            return Err(fault);
        }
        let recount = Totals::from_countries(
            self.by_country.iter().map(|(c, n)| (String::from_utf8_lossy(c).into_owned(), *n)).collect(),
        );
        let countries: std::collections::BTreeSet<&String> =
            recount.by_country.keys().chain(stated.by_country.keys()).collect();
        for country in countries {
            let (checkpoint, counted) =
                (stated.by_country.get(country).copied(), recount.by_country.get(country).copied());
            if checkpoint != counted {
                return Err(VerifyError::Country {
                    country: country.clone(),
                    checkpoint: checkpoint.unwrap_or(0),
                    recount: counted.unwrap_or(0),
                });
            }
        }
        if recount.total != stated.total {
            return Err(VerifyError::Total { checkpoint: stated.total, recount: recount.total });
        }
        Ok(recount)
    }
}

/// Complete subtree hashes read from a tree's hash tiles, for proofs (each
/// tile fetched once). They are not checked here: the proof built from them
/// is checked against the signed root.
struct TileNodes<'a> {
    source: &'a dyn Source,
    size: u64,
    tiles: RefCell<HashMap<TilePath, Vec<Hash>>>,
}

impl<'a> TileNodes<'a> {
    fn new(source: &'a dyn Source, size: u64) -> Self {
        Self { source, size, tiles: RefCell::new(HashMap::new()) }
    }
}

impl Nodes for TileNodes<'_> {
    type Error = VerifyError;

    fn node(&self, height: u32, index: u64) -> Result<Hash, VerifyError> {
        let (level, within) = ((height / 8) as u8, height % 8);
        let first = index << within;
        let count = 1usize << within;
        let absent = || VerifyError::Missing { path: format!("the level-{level} tile holding hash {first}") };
        let tile = paths::tile_at(TileKind::Hashes(level), first / paths::TILE_WIDTH, self.size).ok_or_else(absent)?;
        let offset = (first % paths::TILE_WIDTH) as usize;
        if offset + count > usize::from(tile.width()) {
            return Err(absent());
        }
        if !self.tiles.borrow().contains_key(&tile) {
            let hashes = fetch_hashes(self.source, tile)?;
            self.tiles.borrow_mut().insert(tile, hashes);
        }
        let tiles = self.tiles.borrow();
        let hashes = tiles.get(&tile).ok_or_else(absent)?;
        merkle::perfect_root(&hashes[offset..offset + count]).ok_or_else(absent)
    }
}

/// A log copied to a directory, in the same layout as under its prefix.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl Source for DirSource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let relative = Path::new(path);
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(SourceError { path: path.to_owned(), message: "not a path inside the log".into() });
        }
        match std::fs::read(self.root.join(relative)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SourceError { path: path.to_owned(), message: e.to_string() }),
        }
    }
}

/// A log's files held in memory, by path (a delivery packet's, a test's).
#[derive(Debug, Clone, Default)]
pub struct MemorySource(pub HashMap<String, Vec<u8>>);

impl Source for MemorySource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.0.get(path).cloned())
    }
}

/// A log served over HTTP(S) under a prefix such as
/// `https://sign.example/log/SLUG`. It blocks: call it from a thread of
/// its own (or `spawn_blocking`), not from async code.
#[derive(Debug, Clone)]
pub struct HttpSource {
    prefix: url::Url,
    client: reqwest::blocking::Client,
}

impl HttpSource {
    pub fn new(prefix: &str) -> Result<Self, SourceError> {
        let fail = |message: String| SourceError { path: prefix.to_owned(), message };
        let mut prefix = url::Url::parse(prefix).map_err(|e| fail(e.to_string()))?;
        if !matches!(prefix.scheme(), "http" | "https") {
            return Err(fail("not an http(s) URL".into()));
        }
        if !prefix.path().ends_with('/') {
            prefix.set_path(&format!("{}/", prefix.path()));
        }
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("undersigned-verify/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(60))
            .pool_max_idle_per_host(FETCHERS)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self { prefix, client })
    }

    /// The prefix, ending in `/`.
    pub fn prefix(&self) -> &url::Url {
        &self.prefix
    }

    /// The client, for other requests to the same deployment.
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }
}

impl Source for HttpSource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let fail = |message: String| SourceError { path: path.to_owned(), message };
        let url = self.prefix.join(path).map_err(|e| fail(e.to_string()))?;
        let response = self.client.get(url).send().map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        response.bytes().map(|b| Some(b.to_vec())).map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::LogSigner;
    use crate::tlog::merkle::tests::Levels;
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "sign.example.org/p/report";

    fn signer() -> LogSigner {
        LogSigner::new(SigningKey::from_bytes(&[7; 32]))
    }

    fn vkey() -> String {
        signer().verifier_key(ORIGIN)
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    /// Test receipts: r = i repeated.
    fn receipt(i: u8) -> Receipt {
        Receipt::parse(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([i; 32])).unwrap()
    }

    fn confirmed(country: &str, i: u8) -> Vec<u8> {
        Leaf::confirmed(country, day(), [0xaa; 32], receipt(i).commitment().0).unwrap().to_bytes()
    }

    fn withdrawn(cancels: u64) -> Vec<u8> {
        Leaf::Withdrawn { cancels }.to_bytes()
    }

    /// `n` confirmations, alternately DE and FR, with commitments no test
    /// receipt has.
    fn leaves(n: u64) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let c = if i % 2 == 0 { "DE" } else { "FR" };
                let mut commitment = [0u8; 32];
                commitment[..8].copy_from_slice(&(i + 1_000_000).to_be_bytes());
                Leaf::confirmed(c, day(), [0xaa; 32], commitment).unwrap().to_bytes()
            })
            .collect()
    }

    /// The recount of `leaves`, assuming every withdrawal valid.
    fn totals(leaves: &[Vec<u8>]) -> Totals {
        let mut t = Totals::default();
        for l in leaves {
            match Leaf::parse(l).unwrap() {
                Leaf::Confirmed { .. } => t.add(Leaf::parse(l).unwrap().country().unwrap(), 1),
                Leaf::Withdrawn { cancels } => {
                    t.add(Leaf::parse(&leaves[cancels as usize]).unwrap().country().unwrap(), -1)
                }
            }
        }
        t
    }

    /// A log's files as a server publishes them at its size, signed with
    /// `totals` (or the recount).
    fn publish(leaves: &[Vec<u8>], totals_: Option<Totals>) -> MemorySource {
        let size = leaves.len() as u64;
        let levels = Levels::new(leaves.iter().map(|l| leaf_hash(l)).collect());
        let mut files = HashMap::new();
        for tile in paths::hash_tiles(size) {
            let TileKind::Hashes(level) = tile.kind() else { unreachable!() };
            let first = tile.index() * 256;
            let data: Vec<u8> = (first..first + u64::from(tile.width()))
                .flat_map(|i| levels.node(8 * u32::from(level), i).unwrap())
                .collect();
            files.insert(tile.path(), data);
        }
        for b in paths::entry_bundles(size) {
            let first = (b.index() * 256) as usize;
            let data = bundle::encode(leaves[first..first + usize::from(b.width())].iter().map(Vec::as_slice)).unwrap();
            files.insert(b.path(), data);
        }
        let mut builder = RootBuilder::new();
        levels.0[0].iter().for_each(|h| builder.push(*h));
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: builder.root(),
            totals: totals_.unwrap_or_else(|| totals(leaves)),
        };
        files.insert(CHECKPOINT.into(), signer().sign(&cp).unwrap().into_bytes());
        MemorySource(files)
    }

    fn checkpoint(log: &MemorySource) -> Vec<u8> {
        log.0[CHECKPOINT].clone()
    }

    /// The tiles built here are the bytes `tlog_tiles` would serve.
    #[test]
    fn the_test_logs_tiles_match_tlog_tiles() {
        let leaves = leaves(70_000);
        let log = publish(&leaves, None);
        struct Stored(Vec<tlog_tiles::Hash>);
        impl tlog_tiles::HashReader for Stored {
            fn read_hashes(&self, idx: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
                Ok(idx.iter().map(|&i| self.0[i as usize]).collect())
            }
        }
        let mut stored = Stored(Vec::new());
        for (n, leaf) in leaves.iter().enumerate() {
            let new = tlog_tiles::stored_hashes(n as u64, leaf, &stored).unwrap();
            stored.0.extend(new);
        }
        let tiles = tlog_tiles::Tile::new_tiles(8, 0, 70_000);
        assert_eq!(tiles.len(), 277);
        for t in tiles {
            let path = TilePath::new(TileKind::Hashes(t.level()), t.level_index(), t.width() as u16).unwrap().path();
            assert_eq!(log.0[&path], t.read_data(&stored).unwrap(), "{path}");
        }
    }

    #[test]
    fn a_good_log_verifies_with_its_counts() {
        for n in [0, 1, 255, 256, 257, 600] {
            let mut leaves = leaves(n);
            if n > 3 {
                leaves.push(withdrawn(1));
                leaves.push(withdrawn(2));
            }
            let log = publish(&leaves, None);
            let report = verify_log(&log, &vkey(), None).unwrap();
            assert_eq!(report.size, leaves.len() as u64);
            assert_eq!(report.totals, totals(&leaves), "{n}");
            assert_eq!(report.leaves_confirmed, n);
            assert_eq!(report.leaves_withdrawn, if n > 3 { 2 } else { 0 });
            assert_eq!(report.tiles_checked, paths::hash_tiles(leaves.len() as u64).len() as u64);
            let cp = Checkpoint::open(&checkpoint(&log), &vkey()).unwrap();
            let entries = verify_entries(&log, &cp).unwrap();
            assert_eq!(entries.totals, report.totals);
        }
    }

    #[test]
    fn a_missing_partial_tile_is_read_from_the_full_one() {
        // A log grown to 512 leaves that dropped its partial tiles of size
        // 260, except the level-1 one (which has no full tile yet).
        let leaves = leaves(512);
        let small = publish(&leaves[..260], None);
        let mut grown = publish(&leaves, None);
        assert!(!grown.0.contains_key("tile/0/001.p/4") && !grown.0.contains_key("tile/entries/001.p/4"));
        grown.0.insert(CHECKPOINT.into(), checkpoint(&small));
        grown.0.insert("tile/1/000.p/1".into(), small.0["tile/1/000.p/1"].clone());
        assert_eq!(verify_log(&grown, &vkey(), None).unwrap().size, 260);
        grown.0.remove("tile/0/001");
        assert_eq!(failure(&grown), VerifyError::Missing { path: "tile/0/001.p/4".into() });
    }

    fn failure(log: &MemorySource) -> VerifyError {
        verify_log(log, &vkey(), None).unwrap_err()
    }

    #[test]
    fn a_changed_byte_in_an_entry_is_named() {
        let mut log = publish(&leaves(600), None);
        log.0.get_mut("tile/entries/001").unwrap()[2 + 74 * 3 + 50] ^= 1;
        let err = failure(&log);
        assert_eq!(
            err,
            VerifyError::EntryHash {
                index: 259,
                bundle: "tile/entries/001".into(),
                tile: "tile/0/001".into(),
                position: 3
            }
        );
        assert_eq!(err.to_string(), "the entry of leaf 259 in tile/entries/001 does not hash to hash 3 of tile/0/001");
        // From the entries alone, the root no longer matches.
        let cp = Checkpoint::open(&checkpoint(&log), &vkey()).unwrap();
        assert!(matches!(verify_entries(&log, &cp), Err(VerifyError::Root { size: 600, .. })));
    }

    #[test]
    fn a_changed_byte_in_a_hash_tile_is_named() {
        let mut log = publish(&leaves(70_000), None);
        log.0.get_mut("tile/1/000").unwrap()[32 * 7] ^= 1;
        assert_eq!(
            failure(&log),
            VerifyError::TileHash { path: "tile/1/000".into(), position: 7, below: "tile/0/007".into() }
        );
        let mut log = publish(&leaves(600), None);
        log.0.get_mut("tile/0/002.p/88").unwrap()[5] ^= 1;
        assert!(matches!(failure(&log), VerifyError::EntryHash { index: 512, .. }));
        let mut log = publish(&leaves(70_000), None);
        log.0.get_mut("tile/2/000.p/1").unwrap()[0] ^= 1;
        assert!(matches!(failure(&log), VerifyError::TileHash { position: 0, .. }));
    }

    #[test]
    fn a_removed_leaf_or_missing_tile_is_named() {
        let mut log = publish(&leaves(600), None);
        let bundle = log.0.get_mut("tile/entries/002.p/88").unwrap();
        bundle.truncate(bundle.len() - 74);
        assert_eq!(
            failure(&log),
            VerifyError::Bundle {
                path: "tile/entries/002.p/88".into(),
                error: BundleError::Truncated { entry: 87, expected: 88 }
            }
        );
        let mut log = publish(&leaves(600), None);
        log.0.remove("tile/1/000.p/2");
        assert_eq!(failure(&log).to_string(), "a tile is missing: tile/1/000.p/2");
        let mut log = publish(&leaves(600), None);
        log.0.remove("tile/entries/000");
        assert_eq!(failure(&log), VerifyError::Missing { path: "tile/entries/000".into() });
        let mut log = publish(&leaves(600), None);
        log.0.get_mut("tile/0/000").unwrap().push(0);
        assert!(matches!(failure(&log), VerifyError::TileLength { expected: 8192, found: 8193, .. }));
        log.0.remove(CHECKPOINT);
        assert_eq!(failure(&log), VerifyError::NoCheckpoint);
    }

    #[test]
    fn edited_totals_fail_the_signature_and_wrong_signed_totals_are_named() {
        let mut log = publish(&leaves(10), None);
        let note = String::from_utf8(checkpoint(&log)).unwrap().replacen("total 10", "total 11", 1);
        log.0.insert(CHECKPOINT.into(), note.into_bytes());
        assert!(matches!(failure(&log), VerifyError::Checkpoint(CheckpointError::Signature(_))));

        // A log that signs totals the leaves do not add up to.
        let wrong = Totals::from_countries([("DE".to_string(), 6), ("FR".to_string(), 5)].into());
        let log = publish(&leaves(10), Some(wrong));
        assert_eq!(failure(&log), VerifyError::Country { country: "DE".into(), checkpoint: 6, recount: 5 });
        let wrong =
            Totals::from_countries([("DE".to_string(), 5), ("FR".to_string(), 5), ("IT".to_string(), 1)].into());
        let log = publish(&leaves(10), Some(wrong));
        assert_eq!(failure(&log).to_string(), "the checkpoint says 1 for country IT, the leaves recount 0");
        // Signed by another key.
        let log = publish(&leaves(10), None);
        let other = LogSigner::new(SigningKey::from_bytes(&[8; 32])).verifier_key(ORIGIN);
        assert!(matches!(verify_log(&log, &other, None), Err(VerifyError::Checkpoint(_))));
    }

    #[test]
    fn invalid_withdrawals_are_named_by_index() {
        let cases = [
            (withdrawn(9), WithdrawalFault::NotEarlier),
            (withdrawn(3), WithdrawalFault::NotEarlier),
            (withdrawn(1), WithdrawalFault::AlreadyCancelled),
            (withdrawn(2), WithdrawalFault::NotAConfirmation),
        ];
        for (leaf, fault) in cases {
            let mut l = leaves(2);
            l.push(withdrawn(1));
            l.push(leaf.clone());
            let Leaf::Withdrawn { cancels } = Leaf::parse(&leaf).unwrap() else { unreachable!() };
            let log = publish(&l, Some(Totals::from_countries([("DE".to_string(), 1)].into())));
            assert_eq!(failure(&log), VerifyError::Withdrawal { index: 3, cancels, fault });
        }
        let mut l = leaves(3);
        l.push(vec![1, 9, 0]);
        let log = publish(&l, Some(totals(&leaves(3))));
        assert_eq!(failure(&log), VerifyError::Leaf { index: 3, error: LeafError::Kind(9) });
    }

    #[test]
    fn the_log_must_only_grow_from_an_earlier_checkpoint() {
        let all = leaves(700);
        let old = checkpoint(&publish(&all[..300], None));
        let new = publish(&all, None);
        assert_eq!(verify_log(&new, &vkey(), Some(&old)).unwrap().since, Some(300));
        for m in [0, 1, 256, 512, 700] {
            let old = checkpoint(&publish(&all[..m], None));
            assert_eq!(verify_log(&new, &vkey(), Some(&old)).unwrap().since, Some(m as u64), "{m}");
        }
        // History rewritten: leaf 100 replaced, then re-signed.
        let mut rewritten = all.clone();
        rewritten[100] = confirmed("DE", 1);
        let forked = publish(&rewritten, None);
        assert!(verify_log(&forked, &vkey(), None).is_ok(), "alone, the rewritten log is well-formed");
        let err = verify_log(&forked, &vkey(), Some(&old)).unwrap_err();
        assert!(matches!(err, VerifyError::Inconsistent { old_size: 300, new_size: 700, .. }), "{err}");
        // Shrunk, or an earlier checkpoint of another log or damaged.
        let small = publish(&all[..200], None);
        assert_eq!(
            verify_log(&small, &vkey(), Some(&old)).unwrap_err(),
            VerifyError::SinceShrunk { old: 300, new: 200 }
        );
        assert!(matches!(verify_log(&new, &vkey(), Some(b"\0\0")), Err(VerifyError::SinceCheckpoint(_))));
    }

    #[test]
    fn a_receipt_is_found_and_its_inclusion_proved() {
        let mut l = leaves(70_000);
        l[1234] = confirmed("IT", 1);
        l[65_600] = confirmed("PL", 2);
        l.push(withdrawn(65_600));
        l.push(withdrawn(65_600)); // invalid, ignored by the receipt check
        let log = publish(&l, Some(totals(&l[..70_001])));
        let r = verify_receipt(&log, &vkey(), &receipt(1)).unwrap();
        assert_eq!((r.index, r.size, r.withdrawn_by, r.country.as_str(), r.day), (1234, 70_002, None, "IT", day()));
        assert_eq!(r.proof.len(), 17);
        assert_eq!(merkle::verify_inclusion(1234, 70_002, &leaf_hash(&l[1234]), &r.proof, &r.root), Ok(()));
        let w = verify_receipt(&log, &vkey(), &receipt(2)).unwrap();
        assert_eq!((w.index, w.withdrawn_by), (65_600, Some(70_000)));
        assert_eq!(verify_receipt(&log, &vkey(), &receipt(3)).unwrap_err(), VerifyError::NotInLog { size: 70_002 });

        let mut l = leaves(5);
        l[1] = confirmed("IT", 1);
        l[4] = confirmed("IT", 1);
        let log = publish(&l, None);
        assert_eq!(
            verify_receipt(&log, &vkey(), &receipt(1)).unwrap_err(),
            VerifyError::DuplicateCommitment { first: 1, second: 4 }
        );
        // A tile that lies about a proof node.
        let mut l = leaves(600);
        l[3] = confirmed("IT", 1);
        let mut log = publish(&l, None);
        log.0.get_mut("tile/0/002.p/88").unwrap()[0] ^= 1;
        assert!(matches!(verify_receipt(&log, &vkey(), &receipt(1)), Err(VerifyError::Proof { index: 3, .. })));
    }

    #[test]
    fn a_directory_holds_the_same_layout() {
        let log = publish(&leaves(300), None);
        let dir = tempfile::tempdir().unwrap();
        for (path, bytes) in &log.0 {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
        let source = DirSource::new(dir.path());
        assert_eq!(verify_log(&source, &vkey(), None).unwrap().size, 300);
        assert!(source.get("../etc/passwd").is_err());
        assert_eq!(source.get("tile/9/000").unwrap(), None);
    }
}
