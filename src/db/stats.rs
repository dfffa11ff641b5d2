//! Figures for `/metrics`, each read through an index: cheap however many
//! signatures there are.

use diesel::prelude::*;

use super::schema::{petitions as p, signatures as s};
use super::{DbConnection, counts, outbox};
use crate::domain::SignatureStatus;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Pending, not held.
    pub pending: i64,
    pub held: i64,
    pub confirmed: i64,
    pub withdrawn: i64,
    pub outbox: outbox::OutboxStatus,
}

/// Whether the database answers a query at all (`/readyz`).
pub fn ready(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// Signatures by state over all petitions, and the outbox. Call in a snapshot.
pub fn read(conn: &mut DbConnection) -> QueryResult<Stats> {
    let ids: Vec<i64> = p::table.select(p::id).load(conn)?;
    let mut stats = Stats { outbox: outbox::status(conn)?, ..Stats::default() };
    for id in ids {
        let by = |status: SignatureStatus| s::table.filter(s::petition_id.eq(id)).filter(s::status.eq(status.as_str()));
        let pending: i64 = by(SignatureStatus::Pending).count().get_result(conn)?;
        let held: i64 = by(SignatureStatus::Pending).filter(s::held_reason.is_not_null()).count().get_result(conn)?;
        stats.pending += pending - held;
        stats.held += held;
        stats.withdrawn += by(SignatureStatus::Withdrawn).count().get_result::<i64>(conn)?;
    }
    stats.confirmed = counts::all(conn)?.values().flat_map(|by_country| by_country.values()).sum();
    Ok(stats)
}
