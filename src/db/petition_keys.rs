//! Each petition's keys, as stored: wrapped under a master key that the
//! database never holds, and named by that key's identifier.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::petition_keys as k;

/// One petition's wrapped keys.
#[derive(Debug, Clone, Queryable)]
pub struct WrappedRow {
    pub petition_id: i64,
    pub master_key_id: String,
    pub wrapped: Vec<u8>,
}

/// Every petition's wrapped keys.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<WrappedRow>> {
    k::table.select((k::petition_id, k::master_key_id, k::wrapped)).order(k::petition_id).load(conn)
}

/// One petition's wrapped keys, if it has any yet.
pub fn get(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Option<WrappedRow>> {
    k::table.find(petition_id).select((k::petition_id, k::master_key_id, k::wrapped)).first(conn).optional()
}

/// Stores a petition's first keys unless another process stored some
/// first; returns whether these went in.
pub fn insert(
    conn: &mut DbConnection,
    petition_id: i64,
    master_key_id: &str,
    wrapped: &[u8],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        k::petition_id.eq(petition_id),
        k::master_key_id.eq(master_key_id),
        k::wrapped.eq(wrapped),
        k::created_at.eq(now),
    );
    let inserted = crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(k::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Replaces a petition's keys wrapped under `from` with the same keys
/// wrapped under `to`, if they are still under `from`.
pub fn rewrap(conn: &mut DbConnection, petition_id: i64, from: &str, to: &str, wrapped: &[u8]) -> QueryResult<bool> {
    let changed = diesel::update(k::table.find(petition_id).filter(k::master_key_id.eq(from)))
        .set((k::master_key_id.eq(to), k::wrapped.eq(wrapped)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Destroys a petition's keys (its erasure): what they sealed can no
/// longer be read, in this database or in any copy.
pub fn delete(conn: &mut DbConnection, petition_id: i64) -> QueryResult<usize> {
    diesel::delete(k::table.find(petition_id)).execute(conn)
}

/// How many petitions' keys are wrapped under each master key.
pub fn count_by_master(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    k::table.group_by(k::master_key_id).select((k::master_key_id, diesel::dsl::count_star())).load(conn)
}
