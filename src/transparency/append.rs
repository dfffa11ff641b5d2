//! Appending the queue to the logs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::QueryResult;
use diesel::result::Error as DieselError;
use tlog_tiles::{HashReader, stored_hash_count, stored_hashes, tree_hash};

use crate::db::DbConnection;
use crate::db::locks::{self, Job};
use crate::db::tlog::{self as rows, HeadRow, NewLeaf, PendingRow};
use crate::tlog::{Checkpoint, EMPTY_ROOT, Leaf, LogSigner, Totals, text_hash};

/// The country a leaf records when the stored one is not two capital
/// letters (cannot happen for signatures made through the forms): ISO
/// 3166's user-assigned "unknown".
const UNKNOWN_COUNTRY: &str = "ZZ";

/// What the appender needs: the log key and how origins are named.
#[derive(Debug, Clone)]
pub struct Appender {
    pub signer: LogSigner,
    /// `PUBLIC_URL` without its scheme: origins are `<this>/p/<slug>`,
    /// fixed when a log is created.
    pub origin_base: String,
}

impl Appender {
    pub fn origin(&self, slug: &str) -> String {
        format!("{}/p/{slug}", self.origin_base)
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    /// Logs created (one per new petition).
    pub created: usize,
    /// Queued rows taken (a row of a deleted petition appends nothing).
    pub taken: usize,
    pub leaves: usize,
    pub checkpoints: usize,
}

impl Appended {
    /// Whether the round took fewer rows than its `limit`, so that the
    /// queue was empty when it ran: the one test of every draining loop.
    pub fn drained(&self, limit: i64) -> bool {
        i64::try_from(self.taken).is_ok_and(|taken| taken < limit)
    }
}

/// Whether to wait for another appender's turn or give the round up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Wait,
    Skip,
}

/// One round, in the caller's (write) transaction: creates the logs of new
/// petitions, appends up to `limit` queued rows, and signs a checkpoint for
/// each log that grew. With [`Turn::Skip`] it does nothing if another
/// instance is appending.
pub fn append(conn: &mut DbConnection, appender: &Appender, now: NaiveDateTime, limit: i64) -> QueryResult<Appended> {
    append_with(conn, appender, now, limit, Turn::Skip)
}

pub fn append_with(
    conn: &mut DbConnection,
    appender: &Appender,
    now: NaiveDateTime,
    limit: i64,
    turn: Turn,
) -> QueryResult<Appended> {
    match turn {
        Turn::Wait => locks::lock_for_transaction(conn, Job::AppendLog.key())?,
        Turn::Skip => {
            if !locks::try_lock_for_transaction(conn, Job::AppendLog)? {
                return Ok(Appended::default());
            }
        }
    }
    let mut done = Appended::default();
    for (petition_id, slug) in rows::petitions_without_log(conn)? {
        let checkpoint =
            Checkpoint { origin: appender.origin(&slug), size: 0, root: EMPTY_ROOT, totals: Totals::default() };
        let note = appender.signer.sign(&checkpoint).map_err(signing_failed)?;
        rows::create_head(
            conn,
            &HeadRow {
                petition_id,
                origin: checkpoint.origin,
                size: 0,
                root: EMPTY_ROOT.to_vec(),
                totals: String::new(),
                checkpoint: note,
                checkpoint_at: now,
            },
        )?;
        done.created += 1;
    }
    let queued = rows::pending(conn, limit)?;
    if queued.is_empty() {
        return Ok(done);
    }
    let ids: Vec<i64> = queued.iter().map(|row| row.id).collect();
    done.taken = ids.len();
    let mut by_petition: BTreeMap<i64, Vec<PendingRow>> = BTreeMap::new();
    for row in queued {
        by_petition.entry(row.petition_id).or_default().push(row);
    }
    for (petition_id, queue) in by_petition {
        let Some(head) = rows::head(conn, petition_id)? else {
            // The petition was deleted: nothing to append to.
            continue;
        };
        done.leaves += grow(conn, &appender.signer, head, &queue, now)?;
        done.checkpoints += 1;
    }
    rows::delete_pending(conn, &ids)?;
    Ok(done)
}

fn signing_failed(e: crate::tlog::CheckpointError) -> DieselError {
    DieselError::QueryBuilderError(format!("cannot sign the log's checkpoint: {e}").into())
}

fn tree_error(e: tlog_tiles::Error) -> DieselError {
    DieselError::QueryBuilderError(format!("the log's tree is inconsistent: {e}").into())
}

/// The main-text hashes of a petition over time: the revision current when
/// a person signed is the last one made at or before that moment.
struct Texts(Vec<(NaiveDateTime, [u8; 32])>);

impl Texts {
    fn load(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Self> {
        let revisions = rows::main_revisions(conn, petition_id)?;
        Ok(Self(revisions.iter().map(|(at, title, body, to)| (*at, text_hash(title, to.as_deref(), body))).collect()))
    }

    fn at(&self, signed_at: NaiveDateTime) -> [u8; 32] {
        let current = self.0.iter().rev().find(|(at, _)| *at <= signed_at).or(self.0.first());
        current.map(|(_, h)| *h).unwrap_or([0; 32])
    }
}

/// Appends one petition's queue to its log and signs the new checkpoint;
/// returns how many leaves it appended.
fn grow(
    conn: &mut DbConnection,
    signer: &LogSigner,
    head: HeadRow,
    queue: &[PendingRow],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let petition_id = head.petition_id;
    let old_size = u64::try_from(head.size).unwrap_or(0);
    let texts = Texts::load(conn, petition_id)?;
    let mut totals = parse_totals(&head.totals);
    let mut leaves: Vec<NewLeaf> = Vec::with_capacity(queue.len());
    let mut cancelled: Vec<i64> = Vec::new();
    let mut new_hashes: Vec<tlog_tiles::Hash> = Vec::new();
    // Leaves of this batch by signature, for a withdrawal in the same batch.
    let mut batch_leaf: HashMap<i64, (i64, String)> = HashMap::new();
    let first_sidx = stored_hash_count(old_size);
    let mut size = old_size;
    for row in queue {
        let leaf = if row.withdrawn {
            let target = match batch_leaf.get(&row.signature_id) {
                Some(found) => Some(found.clone()),
                None => rows::leaf_of_signature(conn, row.signature_id)?.map(|idx| (idx, row.country.clone())),
            };
            let Some((target, country)) = target else {
                tracing::error!(petition_id, "a withdrawal names no leaf of its log; not appended");
                continue;
            };
            cancelled.push(target);
            totals.add(&country, -1);
            NewLeaf {
                idx: 0,
                leaf: Leaf::Withdrawn { cancels: u64::try_from(target).unwrap_or(0) }.to_bytes(),
                commitment: None,
                cancels: Some(target),
                signature_id: None,
            }
        } else {
            let commitment: [u8; 32] = row.commitment.as_deref().and_then(|c| c.try_into().ok()).unwrap_or([0; 32]);
            let text = texts.at(row.signed_at);
            let leaf = Leaf::confirmed(&row.country, row.day, text, commitment).unwrap_or_else(|| {
                tracing::error!(petition_id, "a confirmation's country is not a code; logged as {UNKNOWN_COUNTRY}");
                Leaf::Confirmed { country: *b"ZZ", day: row.day, text, commitment }
            });
            let country = leaf.country().unwrap_or(UNKNOWN_COUNTRY).to_owned();
            totals.add(&country, 1);
            batch_leaf.insert(row.signature_id, (i64::try_from(size).unwrap_or(i64::MAX), country));
            NewLeaf {
                idx: 0,
                leaf: leaf.to_bytes(),
                commitment: Some(commitment.to_vec()),
                cancels: None,
                signature_id: Some(row.signature_id),
            }
        };
        let stored = stored_hashes(size, &leaf.leaf, &Hashes::new(conn, petition_id, first_sidx, &new_hashes))
            .map_err(tree_error)?;
        new_hashes.extend(stored);
        leaves.push(NewLeaf { idx: i64::try_from(size).unwrap_or(i64::MAX), ..leaf });
        size += 1;
    }
    if leaves.is_empty() {
        return Ok(0);
    }
    let root = tree_hash(size, &Hashes::new(conn, petition_id, first_sidx, &new_hashes)).map_err(tree_error)?;
    // Withdrawn signatures' leaves no longer name them.
    for leaf in &mut leaves {
        if leaf.signature_id.is_some_and(|_| cancelled.contains(&leaf.idx)) {
            leaf.signature_id = None;
        }
    }
    rows::insert_leaves(conn, petition_id, &leaves)?;
    rows::unlink(conn, petition_id, &cancelled)?;
    let hashes: Vec<[u8; 32]> = new_hashes.iter().map(|h| h.0).collect();
    rows::insert_hashes(conn, petition_id, i64::try_from(first_sidx).unwrap_or(i64::MAX), &hashes)?;
    let checkpoint = Checkpoint { origin: head.origin.clone(), size, root: root.0, totals: totals.clone() };
    let note = signer.sign(&checkpoint).map_err(signing_failed)?;
    let next = HeadRow {
        size: i64::try_from(size).unwrap_or(i64::MAX),
        root: root.0.to_vec(),
        totals: format_totals(&totals),
        checkpoint: note,
        checkpoint_at: now,
        ..head
    };
    if !rows::advance_head(conn, i64::try_from(old_size).unwrap_or(0), &next)? {
        // Another appender moved the head: give the whole round up.
        return Err(DieselError::RollbackTransaction);
    }
    Ok(leaves.len())
}

/// The head's totals column: `CC n` lines.
pub(crate) fn format_totals(totals: &Totals) -> String {
    totals.by_country.iter().map(|(c, n)| format!("{c} {n}\n")).collect()
}

pub(crate) fn parse_totals(text: &str) -> Totals {
    let by_country = text
        .lines()
        .filter_map(|line| {
            let (country, n) = line.split_once(' ')?;
            Some((country.to_owned(), n.parse().ok()?))
        })
        .collect();
    Totals::from_countries(by_country)
}

/// Stored hashes as the tree grows: those of this batch from memory, older
/// ones from the database.
pub(crate) struct Hashes<'a> {
    conn: RefCell<&'a mut DbConnection>,
    petition_id: i64,
    first_new: u64,
    new: &'a [tlog_tiles::Hash],
}

impl<'a> Hashes<'a> {
    pub(crate) fn new(
        conn: &'a mut DbConnection,
        petition_id: i64,
        first_new: u64,
        new: &'a [tlog_tiles::Hash],
    ) -> Self {
        Self { conn: RefCell::new(conn), petition_id, first_new, new }
    }
}

impl HashReader for Hashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        let stored: Vec<i64> =
            indexes.iter().filter(|&&i| i < self.first_new).filter_map(|&i| i64::try_from(i).ok()).collect();
        let found: HashMap<i64, Vec<u8>> = if stored.is_empty() {
            HashMap::new()
        } else {
            let mut conn = self.conn.borrow_mut();
            rows::read_hashes(&mut conn, self.petition_id, &stored)
                .map_err(|e| tlog_tiles::Error::InvalidInput(format!("reading stored hashes: {e}")))?
                .into_iter()
                .collect()
        };
        indexes
            .iter()
            .map(|&i| {
                let bytes = if i >= self.first_new {
                    usize::try_from(i - self.first_new).ok().and_then(|k| self.new.get(k)).map(|h| h.0)
                } else {
                    i64::try_from(i).ok().and_then(|k| found.get(&k)).and_then(|b| b.as_slice().try_into().ok())
                };
                bytes.map(tlog_tiles::Hash).ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}
