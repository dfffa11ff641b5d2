//! The organisers' audit trail as stored: appending a record after the
//! last, and reading records in order. The chain (what each record's mac
//! covers) is `audit`'s; this module runs its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::locks::{self, Job};
use super::schema::audit_records as a;

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = a)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub organiser_id: Option<i64>,
    pub actor: String,
    pub network: Option<Vec<u8>>,
    pub kind: String,
    pub petition_id: Option<i64>,
    pub detail: String,
    pub mac: Vec<u8>,
}

/// The last record's id and mac, with the trail locked for appending until
/// the caller's transaction ends (PostgreSQL: an advisory lock; SQLite's
/// writing transaction holds the whole database already), so that the
/// record the caller then inserts follows it.
pub fn last_for_append(conn: &mut DbConnection) -> QueryResult<Option<(i64, Vec<u8>)>> {
    locks::lock_for_transaction(conn, Job::AuditTrail.key())?;
    a::table.select((a::id, a::mac)).order(a::id.desc()).first(conn).optional()
}

/// Inserts a record (its id the one after [`last_for_append`]'s).
pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> QueryResult<()> {
    crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(a::table).values(row).execute(c)).map(|_| ())
}

/// Up to `limit` records with ids above `after`, in id order.
pub fn after(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    a::table.filter(a::id.gt(after)).order(a::id).limit(limit).load(conn)
}

/// The record with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AuditRow>> {
    a::table.find(id).first(conn).optional()
}

/// Which records [`list`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub organiser_id: Option<i64>,
    pub petition_id: Option<i64>,
    pub kind: Option<String>,
}

/// Up to `limit` records matching `filter` with ids below `before` (all,
/// if None), newest first.
pub fn list(conn: &mut DbConnection, filter: &Filter, before: Option<i64>, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut query: a::BoxedQuery<'static, super::MultiBackend> = a::table.order(a::id.desc()).limit(limit).into_boxed();
    if let Some(id) = filter.organiser_id {
        query = query.filter(a::organiser_id.eq(id));
    }
    if let Some(id) = filter.petition_id {
        query = query.filter(a::petition_id.eq(id));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(a::kind.eq(kind.clone()));
    }
    if let Some(before) = before {
        query = query.filter(a::id.lt(before));
    }
    query.load(conn)
}
