//! Reads of `signatures` that are neither signing nor links: what still
//! holds personal data, and how many signatures are in each status.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::signatures as s;
use crate::domain::{SignatureStatus, StatusCounts};

/// Which of these signatures still hold personal data (not withdrawn,
/// erased, purged or discarded).
pub fn holding_personal_data(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let mut alive = Vec::new();
    for chunk in ids.chunks(500) {
        alive.extend(
            s::table.filter(s::id.eq_any(chunk)).filter(s::email.is_not_null()).select(s::id).load::<i64>(conn)?,
        );
    }
    Ok(alive)
}

/// Signatures of a petition by status.
pub fn status_counts(conn: &mut DbConnection, petition_id: i64) -> QueryResult<StatusCounts> {
    let rows: Vec<(String, i64)> = s::table
        .filter(s::petition_id.eq(petition_id))
        .group_by(s::status)
        .select((s::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(status, n)| (SignatureStatus::from_db(&status), n)).collect())
}
