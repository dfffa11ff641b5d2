//! Server-side session rows for organisers (see `auth::session`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sessions as s;

/// State of a live session: not idle past `expires_at`, not older than
/// `created_after`.
pub fn load(
    conn: &mut DbConnection,
    key_hash: &[u8],
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Option<String>> {
    s::table
        .find(key_hash)
        .filter(s::expires_at.gt(now))
        .filter(s::created_at.gt(created_after))
        .select(s::state)
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConnection,
    key_hash: &[u8],
    organiser_id: Option<i64>,
    state: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values((
            s::key_hash.eq(key_hash),
            s::organiser_id.eq(organiser_id),
            s::state.eq(state),
            s::created_at.eq(now),
            s::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the state of a live session; false if it has gone.
pub fn update(
    conn: &mut DbConnection,
    key_hash: &[u8],
    organiser_id: Option<i64>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(s::table.find(key_hash))
        .set((s::organiser_id.eq(organiser_id), s::state.eq(state), s::expires_at.eq(expires_at)))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn touch(conn: &mut DbConnection, key_hash: &[u8], expires_at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(s::table.find(key_hash)).set(s::expires_at.eq(expires_at)).execute(conn).map(|_| ())
}

pub fn delete(conn: &mut DbConnection, key_hash: &[u8]) -> QueryResult<()> {
    diesel::delete(s::table.find(key_hash)).execute(conn).map(|_| ())
}

/// Removes sessions that can no longer be used.
pub fn delete_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(s::table.filter(s::expires_at.le(now).or(s::created_at.le(created_before)))).execute(conn)
}
