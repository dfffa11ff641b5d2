//! The mail outbox: rows written in the signer's transaction, claimed and
//! sent by the mail worker, deleted once the SMTP server has accepted them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::models::NewOutboxRow;
use super::schema::{outbox as o, petition_translations as pt, petitions as p, signatures as s};
use crate::domain::{Language, MailKind, StoredPersonal};

/// Queues a mail of `kind` for a signature, due at once.
pub fn enqueue(conn: &mut DbConnection, signature_id: i64, kind: MailKind, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(o::table).values(NewOutboxRow::due_now(signature_id, kind, now)).execute(conn).map(|_| ())
}

/// Queues the same kind of mail for many signatures in multi-row INSERTs.
pub fn enqueue_many(
    conn: &mut DbConnection,
    signature_ids: &[i64],
    kind: MailKind,
    now: NaiveDateTime,
) -> QueryResult<()> {
    for ids in signature_ids.chunks(1000) {
        let rows: Vec<NewOutboxRow> = ids.iter().map(|id| NewOutboxRow::due_now(*id, kind, now)).collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(o::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Forgets the queued mail of a signature being withdrawn or deleted. The
/// application does this itself wherever a signature goes: on PostgreSQL no
/// foreign key cascades it (migration 000007 explains why).
pub fn delete_for_signature(conn: &mut DbConnection, signature_id: i64) -> QueryResult<usize> {
    delete_for_signatures(conn, &[signature_id])
}

/// [`delete_for_signature`] for many.
pub fn delete_for_signatures(conn: &mut DbConnection, signature_ids: &[i64]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in signature_ids.chunks(1000) {
        n += diesel::delete(o::table.filter(o::signature_id.eq_any(chunk))).execute(conn)?;
    }
    Ok(n)
}

/// A claimed mail with everything needed to write it.
#[derive(Debug, Clone)]
pub struct ClaimedStored {
    pub id: i64,
    pub kind: MailKind,
    /// Attempts including this one.
    pub attempt: i32,
    pub signature_id: i64,
    pub petition_id: i64,
    /// The signer's keyed hash (the associated data of `personal`).
    pub email_key: Vec<u8>,
    /// The address, name and postcode, as stored.
    pub personal: StoredPersonal,
    pub country: String,
    /// The mail's language (and the title's).
    pub language: Language,
    pub keep_informed: bool,
    pub petition_title: String,
    pub petition_slug: String,
    /// When the mail was queued.
    pub created_at: NaiveDateTime,
}

#[derive(Queryable)]
struct ClaimRow {
    id: i64,
    kind: String,
    attempt: i32,
    signature_id: i64,
    petition_id: i64,
    email_key: Option<Vec<u8>>,
    personal: Option<Vec<u8>>,
    email: Option<String>,
    name: Option<String>,
    petition_title: String,
    petition_slug: String,
    created_at: NaiveDateTime,
    lang: String,
    translated_title: Option<String>,
    country: String,
    postcode: Option<String>,
    keep_informed: bool,
}

/// Claims up to `limit` mails that are due and not claimed by anyone else,
/// until `until`: if the claimer dies, the mail becomes due again then.
/// On PostgreSQL concurrent claimers skip each other's rows (SKIP LOCKED).
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedStored>> {
    let due = o::table
        .select(o::id)
        .filter(o::failed_at.is_null())
        .filter(o::next_attempt_at.le(now))
        .filter(o::locked_until.is_null().or(o::locked_until.le(now)))
        .order((o::next_attempt_at, o::id))
        .limit(limit);
    let ids: Vec<i64> = match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            by_index(c)?;
            due.for_update().skip_locked().load(c)?
        }
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => due.load(c)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(o::table.filter(o::id.eq_any(&ids)))
        .set((o::locked_until.eq(until), o::attempts.eq(o::attempts + 1)))
        .execute(conn)?;
    let rows: Vec<ClaimRow> = o::table
        .inner_join(s::table.inner_join(p::table))
        // A translation in the petition's own language (left over after its
        // language was changed) is not used, as on the page.
        .left_join(pt::table.on(pt::petition_id.eq(s::petition_id).and(pt::lang.eq(s::lang)).and(pt::lang.ne(p::lang))))
        .filter(o::id.eq_any(&ids))
        .select((
            o::id,
            o::kind,
            o::attempts,
            s::id,
            s::petition_id,
            s::email_key,
            s::personal,
            s::email,
            s::name,
            p::title,
            p::slug,
            o::created_at,
            s::lang,
            pt::title.nullable(),
            s::country,
            s::postcode,
            s::keep_informed,
        ))
        .order(o::id)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(rows.len());
    // A mail whose signature is gone (no foreign key guards this on
    // PostgreSQL) has nobody to go to.
    let found: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let mut orphans: Vec<i64> = ids.iter().copied().filter(|id| !found.contains(id)).collect();
    for row in rows {
        match StoredPersonal::from_columns(row.personal, row.email, row.name, row.postcode) {
            Some(personal) => claimed.push(ClaimedStored {
                id: row.id,
                kind: MailKind::from_db(&row.kind),
                attempt: row.attempt,
                signature_id: row.signature_id,
                petition_id: row.petition_id,
                email_key: row.email_key.unwrap_or_default(),
                personal,
                country: row.country,
                language: Language::from_db(&row.lang),
                keep_informed: row.keep_informed,
                petition_title: row.translated_title.unwrap_or(row.petition_title),
                petition_slug: row.petition_slug,
                created_at: row.created_at,
            }),
            // The signature was withdrawn: there is nobody to write to.
            None => orphans.push(row.id),
        }
    }
    if !orphans.is_empty() {
        diesel::delete(o::table.filter(o::id.eq_any(&orphans))).execute(conn)?;
    }
    Ok(claimed)
}

/// Extends to `until` the claim on those of `ids` still claimed until
/// exactly `was`, that is, by the caller: a claim that lapsed and was taken
/// by another worker holds another moment, and is left alone. Returns the
/// ids whose claim was extended.
pub fn renew(conn: &mut DbConnection, ids: &[i64], was: NaiveDateTime, until: NaiveDateTime) -> QueryResult<Vec<i64>> {
    diesel::update(o::table.filter(o::id.eq_any(ids)).filter(o::locked_until.eq(was)))
        .set(o::locked_until.eq(until))
        .returning(o::id)
        .get_results(conn)
}

/// Removes mails the SMTP server accepted.
pub fn complete(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => by_index(c)?,
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => {}
    }
    diesel::delete(o::table.filter(o::id.eq_any(ids))).execute(conn)
}

/// For the rest of the caller's transaction, PostgreSQL reaches rows through
/// their indexes only, one by one and in index order.
///
/// The outbox swings from empty to a surge's backlog within seconds, faster
/// than its statistics follow (autovacuum looks once a minute). Planned as
/// if it were still nearly empty, a claim fetched and sorted every due row
/// to return the first few, and deleting a round's sent mail scanned the
/// whole table: 3–100 ms per claim and about 5 ms per delete with a backlog
/// of a few hundred thousand, most of PostgreSQL's time in a surge
/// (`pg_stat_statements` during `cargo bench --bench load`). Every outbox
/// statement finds its rows by an index and needs no sort, which is right
/// at any size, so the other plans are ruled out.
#[cfg(feature = "postgres")]
fn by_index(c: &mut diesel::PgConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection as _;
    c.batch_execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
}

/// Releases a mail for another attempt at `next_attempt_at`.
pub fn retry_at(conn: &mut DbConnection, id: i64, next_attempt_at: NaiveDateTime, error: &str) -> QueryResult<()> {
    diesel::update(o::table.find(id))
        .set((
            o::locked_until.eq(None::<NaiveDateTime>),
            o::next_attempt_at.eq(next_attempt_at),
            o::last_error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Gives up on a mail that could not be sent while it mattered; the row stays, marked.
pub fn mark_failed(conn: &mut DbConnection, id: i64, now: NaiveDateTime, error: &str) -> QueryResult<()> {
    diesel::update(o::table.find(id))
        .set((o::locked_until.eq(None::<NaiveDateTime>), o::failed_at.eq(now), o::last_error.eq(error)))
        .execute(conn)
        .map(|_| ())
}

/// Mails not yet accepted by the SMTP server (waiting or being retried).
pub fn pending(conn: &mut DbConnection) -> QueryResult<i64> {
    o::table.filter(o::failed_at.is_null()).count().get_result(conn)
}

/// The state of the outbox, for operators.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutboxStatus {
    pub waiting: i64,
    pub failed: i64,
    pub oldest_waiting: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn status(conn: &mut DbConnection) -> QueryResult<OutboxStatus> {
    let waiting = pending(conn)?;
    let failed = o::table.filter(o::failed_at.is_not_null()).count().get_result(conn)?;
    let oldest_waiting = o::table.filter(o::failed_at.is_null()).select(diesel::dsl::min(o::created_at)).first(conn)?;
    let last_error = o::table
        .filter(o::last_error.is_not_null())
        .order(o::id.desc())
        .select(o::last_error)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    Ok(OutboxStatus { waiting, failed, oldest_waiting, last_error })
}

/// Puts every failed mail back in the queue, due now; returns how many.
pub fn requeue_failed(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(o::table.filter(o::failed_at.is_not_null()))
        .set((
            o::failed_at.eq(None::<NaiveDateTime>),
            o::next_attempt_at.eq(now),
            o::locked_until.eq(None::<NaiveDateTime>),
            o::created_at.eq(now),
        ))
        .execute(conn)
}
