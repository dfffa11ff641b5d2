//! What exports read, and the export log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{export_log as l, signatures as s};
use crate::domain::{SignatureStatus, StatusCounts, StoredPersonal};

/// One confirmed signature as its row holds it (opened by `export`).
#[derive(Debug, Clone)]
pub struct StoredExportRow {
    pub id: i64,
    pub email_key: Vec<u8>,
    /// None once erased.
    pub personal: Option<StoredPersonal>,
    pub country: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub keep_informed: bool,
}

/// Up to `limit` confirmed signatures of a petition with id above `after`,
/// in id order (keyset pagination: every batch is an index range scan).
pub fn confirmed_after(
    conn: &mut DbConnection,
    petition_id: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<StoredExportRow>> {
    type Row = (
        i64,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<NaiveDateTime>,
        bool,
    );
    let rows: Vec<Row> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::status.eq(SignatureStatus::Confirmed.as_str()))
        .filter(s::id.gt(after))
        .order(s::id)
        .limit(limit)
        .select((
            s::id,
            s::email_key,
            s::personal,
            s::email,
            s::name,
            s::postcode,
            s::country,
            s::confirmed_at,
            s::keep_informed,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, email_key, personal, email, name, postcode, country, confirmed_at, keep_informed)| StoredExportRow {
            id,
            email_key: email_key.unwrap_or_default(),
            personal: StoredPersonal::from_columns(personal, email, name, postcode),
            country,
            confirmed_at,
            keep_informed,
        })
        .collect())
}

/// Confirmed signatures per country, counted from the signatures themselves.
pub fn confirmed_by_country(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Vec<(String, i64)>> {
    s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::status.eq(SignatureStatus::Confirmed.as_str()))
        .group_by(s::country)
        .select((s::country, diesel::dsl::count_star()))
        .order(s::country)
        .load(conn)
}

/// Signatures of a petition by status.
pub fn by_status(conn: &mut DbConnection, petition_id: i64) -> QueryResult<StatusCounts> {
    super::signatures::status_counts(conn, petition_id)
}

/// Pending signatures per petition (for the dashboard).
pub fn pending_by_petition(conn: &mut DbConnection) -> QueryResult<Vec<(i64, i64)>> {
    s::table
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
        .group_by(s::petition_id)
        .select((s::petition_id, diesel::dsl::count_star()))
        .load(conn)
}

// ---- the export log ----

#[derive(Debug, Clone, Queryable)]
pub struct LogEntry {
    pub id: i64,
    pub actor: String,
    pub what: String,
    pub rows_written: Option<i64>,
    pub status: String,
    pub sha256: Option<String>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// What the log calls a view of held signatures (names and emails shown on
/// the review page); exports are named by their file (`signatures.csv`, …).
pub const HELD_VIEW: &str = "held-view";

/// Records, finished at once, an access to signers' personal data that is not
/// a streamed export (a page that shows `rows` of it): the same log, so that
/// one list says who saw whose data, when. Returns the entry's id.
pub fn record_access(
    conn: &mut DbConnection,
    petition_id: i64,
    organiser_id: Option<i64>,
    actor: &str,
    what: &str,
    rows: u64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let finished = (Ending::Complete.as_str(), Some(i64::try_from(rows).unwrap_or(i64::MAX)), Some(now));
    insert_entry(conn, (petition_id, organiser_id, actor, what), finished, now)
}

/// Opens a log entry for an export that is starting; returns its id.
pub fn start(
    conn: &mut DbConnection,
    petition_id: i64,
    organiser_id: Option<i64>,
    actor: &str,
    what: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    insert_entry(conn, (petition_id, organiser_id, actor, what), ("running", None, None), now)
}

/// Inserts a log entry: (petition, organiser, actor, what) it is of, and
/// (status, rows, finished at) so far. Returns its id.
fn insert_entry(
    conn: &mut DbConnection,
    of: (i64, Option<i64>, &str, &str),
    so_far: (&str, Option<i64>, Option<NaiveDateTime>),
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let ((petition_id, organiser_id, actor, what), (status, rows, finished_at)) = (of, so_far);
    diesel::insert_into(l::table)
        .values((
            l::petition_id.eq(petition_id),
            l::organiser_id.eq(organiser_id),
            l::actor.eq(actor),
            l::what.eq(what),
            l::rows_written.eq(rows),
            l::status.eq(status),
            l::started_at.eq(now),
            l::finished_at.eq(finished_at),
        ))
        .returning(l::id)
        .get_result(conn)
}

/// How an export ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Complete,
    /// The receiver went away before the end.
    Aborted,
    Failed,
}

impl Ending {
    /// As the log stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
        }
    }
}

pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    ending: Ending,
    rows: u64,
    sha256: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(l::table.find(id))
        .set((
            l::status.eq(ending.as_str()),
            l::rows_written.eq(i64::try_from(rows).unwrap_or(i64::MAX)),
            l::sha256.eq(sha256),
            l::finished_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn log_for_petition(conn: &mut DbConnection, petition_id: i64, limit: i64) -> QueryResult<Vec<LogEntry>> {
    l::table
        .filter(l::petition_id.eq(petition_id))
        .order(l::id.desc())
        .limit(limit)
        .select((l::id, l::actor, l::what, l::rows_written, l::status, l::sha256, l::started_at, l::finished_at))
        .load(conn)
}
