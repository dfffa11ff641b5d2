//! The transparency log's rows: confirmations and withdrawals waiting to be
//! appended, leaves, stored hashes, heads and checkpoints. What a leaf says
//! and how the tree is hashed is `transparency`'s and `tlog`'s business;
//! these functions only read and write rows, inside the caller's
//! transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{
    petition_revisions as r, petitions as p, tlog_checkpoints as cp, tlog_hashes as h, tlog_heads as hd,
    tlog_leaves as l, tlog_pending as q,
};

/// Rows per multi-row INSERT (SQLite allows 32,766 bound values).
const CHUNK: usize = 1000;

/// A confirmation or withdrawal waiting to be appended.
#[derive(Debug, Clone, Queryable)]
pub struct PendingRow {
    pub id: i64,
    pub petition_id: i64,
    pub signature_id: i64,
    pub withdrawn: bool,
    pub country: String,
    pub day: NaiveDate,
    pub signed_at: NaiveDateTime,
    pub commitment: Option<Vec<u8>>,
}

/// A confirmation to queue for the log.
#[derive(Debug, Clone, Copy)]
pub struct NewPending<'a> {
    pub petition_id: i64,
    pub signature_id: i64,
    pub country: &'a str,
    pub day: NaiveDate,
    pub signed_at: NaiveDateTime,
    pub commitment: &'a [u8; 32],
}

/// Queues confirmations for the log, in their order (in the transaction
/// that confirms them), in multi-row INSERTs.
pub fn queue_confirmed(conn: &mut DbConnection, confirmed: &[NewPending<'_>]) -> QueryResult<()> {
    for chunk in confirmed.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|c| {
                (
                    q::petition_id.eq(c.petition_id),
                    q::signature_id.eq(c.signature_id),
                    q::withdrawn.eq(false),
                    q::country.eq(c.country),
                    q::day.eq(c.day),
                    q::signed_at.eq(c.signed_at),
                    q::commitment.eq(Some(c.commitment.to_vec())),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(q::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Queues the withdrawal of a confirmed signature (in the transaction that
/// withdraws it).
pub fn queue_withdrawn(
    conn: &mut DbConnection,
    petition_id: i64,
    signature_id: i64,
    country: &str,
    day: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(q::table)
        .values((
            q::petition_id.eq(petition_id),
            q::signature_id.eq(signature_id),
            q::withdrawn.eq(true),
            q::country.eq(country),
            q::day.eq(day),
            q::signed_at.eq(now),
            q::commitment.eq(None::<Vec<u8>>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Up to `limit` queued rows, oldest first.
pub fn pending(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<PendingRow>> {
    q::table.order(q::id).limit(limit).load(conn)
}

/// Whether a confirmation carrying `commitment` waits to be appended to a
/// petition's log. The queue holds what the last rounds have not appended
/// yet (a few seconds' worth), so it is scanned rather than indexed.
pub fn is_queued(conn: &mut DbConnection, petition_id: i64, commitment: &[u8; 32]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        q::table
            .filter(q::petition_id.eq(petition_id))
            .filter(q::withdrawn.eq(false))
            .filter(q::commitment.eq(&commitment[..])),
    ))
    .get_result(conn)
}

/// How many rows of a petition wait to be appended.
pub fn pending_count(conn: &mut DbConnection, petition_id: i64) -> QueryResult<i64> {
    q::table.filter(q::petition_id.eq(petition_id)).count().get_result(conn)
}

/// The lowest and highest id waiting in a petition's queue (ids grow in
/// commit order): how far behind the log is, for the benchmarks.
pub fn pending_ids(conn: &mut DbConnection, petition_id: i64) -> QueryResult<(Option<i64>, Option<i64>)> {
    use diesel::dsl::{max, min};
    q::table.filter(q::petition_id.eq(petition_id)).select((min(q::id), max(q::id))).first(conn)
}

pub fn delete_pending(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    for chunk in ids.chunks(10_000) {
        diesel::delete(q::table.filter(q::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

/// Petitions that have no log yet: (id, slug).
pub fn petitions_without_log(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
    p::table.left_join(hd::table).filter(hd::petition_id.is_null()).order(p::id).select((p::id, p::slug)).load(conn)
}

/// A log's head.
#[derive(Debug, Clone, Queryable)]
pub struct HeadRow {
    pub petition_id: i64,
    pub origin: String,
    pub size: i64,
    pub root: Vec<u8>,
    /// Counted leaves by country, one `CC n` per line.
    pub totals: String,
    /// The latest signed checkpoint.
    pub checkpoint: String,
    pub checkpoint_at: NaiveDateTime,
}

/// Creates a petition's log with its first (empty) checkpoint.
pub fn create_head(conn: &mut DbConnection, head: &HeadRow) -> QueryResult<()> {
    diesel::insert_into(hd::table)
        .values((
            hd::petition_id.eq(head.petition_id),
            hd::origin.eq(&head.origin),
            hd::size.eq(head.size),
            hd::root.eq(&head.root),
            hd::totals.eq(&head.totals),
            hd::checkpoint.eq(&head.checkpoint),
            hd::checkpoint_at.eq(head.checkpoint_at),
        ))
        .execute(conn)?;
    insert_checkpoint(conn, head)
}

fn insert_checkpoint(conn: &mut DbConnection, head: &HeadRow) -> QueryResult<()> {
    diesel::insert_into(cp::table)
        .values((
            cp::petition_id.eq(head.petition_id),
            cp::size.eq(head.size),
            cp::note.eq(&head.checkpoint),
            cp::created_at.eq(head.checkpoint_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn head(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Option<HeadRow>> {
    hd::table.find(petition_id).first(conn).optional()
}

/// Every log's head, with its petition's slug.
pub fn heads(conn: &mut DbConnection) -> QueryResult<Vec<(String, HeadRow)>> {
    hd::table.inner_join(p::table).order(hd::petition_id).select((p::slug, hd::all_columns)).load(conn)
}

/// When each log's latest checkpoint was signed: (petition id, when).
pub fn checkpoint_times(conn: &mut DbConnection) -> QueryResult<Vec<(i64, NaiveDateTime)>> {
    hd::table.select((hd::petition_id, hd::checkpoint_at)).load(conn)
}

/// When a petition's latest checkpoint was signed, if it has a log.
pub fn checkpoint_time(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Option<NaiveDateTime>> {
    hd::table.find(petition_id).select(hd::checkpoint_at).first(conn).optional()
}

/// Moves a log's head from `old_size` to `head`, and keeps the new
/// checkpoint; false (nothing written) if the head is no longer at
/// `old_size`, which means another appender got there first.
pub fn advance_head(conn: &mut DbConnection, old_size: i64, head: &HeadRow) -> QueryResult<bool> {
    let moved = diesel::update(hd::table.find(head.petition_id).filter(hd::size.eq(old_size)))
        .set((
            hd::size.eq(head.size),
            hd::root.eq(&head.root),
            hd::totals.eq(&head.totals),
            hd::checkpoint.eq(&head.checkpoint),
            hd::checkpoint_at.eq(head.checkpoint_at),
        ))
        .execute(conn)?;
    if moved != 1 {
        return Ok(false);
    }
    insert_checkpoint(conn, head)?;
    Ok(true)
}

/// A main-text revision: (since when, title, text, addressee).
pub type RevisionRow = (NaiveDateTime, String, String, Option<String>);

/// A petition's main-text revisions, oldest first.
pub fn main_revisions(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Vec<RevisionRow>> {
    r::table
        .filter(r::petition_id.eq(petition_id))
        .filter(r::main.eq(true))
        .order(r::id)
        .select((r::changed_at, r::title, r::body, r::addressee))
        .load(conn)
}

/// A leaf to insert.
#[derive(Debug, Clone)]
pub struct NewLeaf {
    pub idx: i64,
    pub leaf: Vec<u8>,
    pub commitment: Option<Vec<u8>>,
    pub cancels: Option<i64>,
    pub signature_id: Option<i64>,
}

pub fn insert_leaves(conn: &mut DbConnection, petition_id: i64, leaves: &[NewLeaf]) -> QueryResult<()> {
    for chunk in leaves.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|x| {
                (
                    l::petition_id.eq(petition_id),
                    l::idx.eq(x.idx),
                    l::leaf.eq(&x.leaf),
                    l::commitment.eq(x.commitment.as_ref()),
                    l::cancels.eq(x.cancels),
                    l::signature_id.eq(x.signature_id),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(l::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Stores hashes at consecutive stored-hash indices from `first`.
pub fn insert_hashes(conn: &mut DbConnection, petition_id: i64, first: i64, hashes: &[[u8; 32]]) -> QueryResult<()> {
    for (n, chunk) in hashes.chunks(CHUNK).enumerate() {
        let base = first + i64::try_from(n * CHUNK).unwrap_or(i64::MAX);
        let rows: Vec<_> = chunk
            .iter()
            .zip(base..)
            .map(|(hash, sidx)| (h::petition_id.eq(petition_id), h::sidx.eq(sidx), h::hash.eq(hash.to_vec())))
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(h::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Stored hashes by index; those missing are left out.
pub fn read_hashes(conn: &mut DbConnection, petition_id: i64, sidx: &[i64]) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    let mut out = Vec::with_capacity(sidx.len());
    for chunk in sidx.chunks(CHUNK) {
        out.extend(
            h::table
                .filter(h::petition_id.eq(petition_id))
                .filter(h::sidx.eq_any(chunk))
                .select((h::sidx, h::hash))
                .load::<(i64, Vec<u8>)>(conn)?,
        );
    }
    Ok(out)
}

/// The leaf of a signature, while the link exists.
pub fn leaf_of_signature(conn: &mut DbConnection, signature_id: i64) -> QueryResult<Option<i64>> {
    l::table.filter(l::signature_id.eq(signature_id)).select(l::idx).first(conn).optional()
}

/// Forgets which signatures some leaves belong to (they were withdrawn).
pub fn unlink(conn: &mut DbConnection, petition_id: i64, idxs: &[i64]) -> QueryResult<()> {
    for chunk in idxs.chunks(CHUNK) {
        diesel::update(l::table.filter(l::petition_id.eq(petition_id)).filter(l::idx.eq_any(chunk)))
            .set(l::signature_id.eq(None::<i64>))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets which signatures the leaves of some signatures are (erasure),
/// in the log and in the queue. Leaves stay.
pub fn unlink_signatures(conn: &mut DbConnection, signature_ids: &[i64]) -> QueryResult<()> {
    for chunk in signature_ids.chunks(CHUNK) {
        diesel::update(l::table.filter(l::signature_id.eq_any(chunk)))
            .set(l::signature_id.eq(None::<i64>))
            .execute(conn)?;
    }
    Ok(())
}

/// How many leaves of a petition still name a signature.
pub fn linked_leaves(conn: &mut DbConnection, petition_id: i64) -> QueryResult<i64> {
    l::table.filter(l::petition_id.eq(petition_id)).filter(l::signature_id.is_not_null()).count().get_result(conn)
}

/// The leaves `from..to` of a petition's log, in order.
pub fn leaves(conn: &mut DbConnection, petition_id: i64, from: i64, to: i64) -> QueryResult<Vec<Vec<u8>>> {
    l::table
        .filter(l::petition_id.eq(petition_id))
        .filter(l::idx.ge(from))
        .filter(l::idx.lt(to))
        .order(l::idx)
        .select(l::leaf)
        .load(conn)
}

/// The index of the confirmed leaf carrying `commitment`.
pub fn find_commitment(conn: &mut DbConnection, petition_id: i64, commitment: &[u8; 32]) -> QueryResult<Option<i64>> {
    l::table
        .filter(l::petition_id.eq(petition_id))
        .filter(l::commitment.eq(&commitment[..]))
        .select(l::idx)
        .first(conn)
        .optional()
}

/// The withdrawal leaf cancelling leaf `idx`, if any.
pub fn cancelled_by(conn: &mut DbConnection, petition_id: i64, idx: i64) -> QueryResult<Option<i64>> {
    l::table.filter(l::petition_id.eq(petition_id)).filter(l::cancels.eq(idx)).select(l::idx).first(conn).optional()
}

/// A published checkpoint: (size, signed note, when).
pub type CheckpointRow = (i64, String, NaiveDateTime);

/// Up to `limit` checkpoints of a log with sizes above `after`, smallest first.
pub fn checkpoints(
    conn: &mut DbConnection,
    petition_id: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<CheckpointRow>> {
    cp::table
        .filter(cp::petition_id.eq(petition_id))
        .filter(cp::size.gt(after))
        .order(cp::size)
        .limit(limit)
        .select((cp::size, cp::note, cp::created_at))
        .load(conn)
}
