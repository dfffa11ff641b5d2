//! Secrets generated once and kept in the database.

use diesel::prelude::*;

use super::schema::instance_secrets as k;
use super::{DbConnection, is_unique_violation};

/// Returns the secret called `name`, storing `generate()` first if there is
/// none. Several instances starting at once agree on one value.
pub fn get_or_insert(conn: &mut DbConnection, name: &str, generate: impl FnOnce() -> Vec<u8>) -> QueryResult<Vec<u8>> {
    if let Some(v) = get(conn, name)? {
        return Ok(v);
    }
    let value = generate();
    let inserted =
        conn.transaction(|c| diesel::insert_into(k::table).values((k::name.eq(name), k::value.eq(&value))).execute(c));
    match inserted {
        Ok(_) => Ok(value),
        Err(e) if is_unique_violation(&e) => get(conn, name)?.ok_or(e),
        Err(e) => Err(e),
    }
}

pub fn get(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Vec<u8>>> {
    k::table.find(name).select(k::value).first(conn).optional()
}

pub fn set(conn: &mut DbConnection, name: &str, value: &[u8]) -> QueryResult<()> {
    let updated = diesel::update(k::table.find(name)).set(k::value.eq(value)).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(k::table).values((k::name.eq(name), k::value.eq(value))).execute(conn)?;
    }
    Ok(())
}

/// Deletes the named secrets; returns how many there were.
pub fn delete(conn: &mut DbConnection, names: &[&str]) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::name.eq_any(names))).execute(conn)
}
