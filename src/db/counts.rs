//! Confirmed counts without a hot row.
//!
//! A confirmation appends `+1` to `count_events` (a withdrawal `-1`); nothing
//! is updated per signature. [`fold`] periodically moves events into
//! `petition_counts` in one transaction, and readers add the two tables
//! together, so a count is exact the moment its confirmation commits.

use std::collections::{BTreeMap, HashMap};

use diesel::dsl::sum;
use diesel::prelude::*;

use super::schema::{count_events as e, petition_counts as c};
use super::{DbConnection, is_unique_violation};

/// Confirmed signatures per country for one petition.
pub type ByCountry = BTreeMap<String, i64>;

pub fn record(conn: &mut DbConnection, petition_id: i64, country: &str, delta: i32) -> QueryResult<()> {
    diesel::insert_into(e::table)
        .values((e::petition_id.eq(petition_id), e::country.eq(country), e::delta.eq(delta)))
        .execute(conn)
        .map(|_| ())
}

/// Folds up to `limit` events into `petition_counts`; returns how many.
/// Safe to run from several processes at once: on PostgreSQL only one folds
/// at a time (advisory lock), and on SQLite writers already take turns.
pub fn fold(conn: &mut DbConnection, limit: i64) -> QueryResult<usize> {
    if !super::locks::try_lock_for_transaction(conn, super::locks::Job::FoldCounts)? {
        return Ok(0);
    }
    let events: Vec<(i64, i64, String, i32)> =
        e::table.select((e::id, e::petition_id, e::country, e::delta)).order(e::id).limit(limit).load(conn)?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut totals: HashMap<(i64, String), i64> = HashMap::new();
    for (_, petition, country, delta) in &events {
        *totals.entry((*petition, country.clone())).or_default() += i64::from(*delta);
    }
    // Only the rows just read are removed, so an event committed meanwhile is
    // left for the next fold rather than lost.
    let ids: Vec<i64> = events.iter().map(|ev| ev.0).collect();
    for chunk in ids.chunks(10_000) {
        diesel::delete(e::table.filter(e::id.eq_any(chunk))).execute(conn)?;
    }
    for ((petition, country), delta) in totals {
        if delta == 0 {
            continue;
        }
        let updated = diesel::update(c::table.find((petition, &country)))
            .set(c::confirmed.eq(c::confirmed + delta))
            .execute(conn)?;
        if updated == 0 {
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(c::table)
                    .values((c::petition_id.eq(petition), c::country.eq(&country), c::confirmed.eq(delta)))
                    .execute(conn)
            });
            match inserted {
                Ok(_) => {}
                Err(err) if is_unique_violation(&err) => {
                    diesel::update(c::table.find((petition, &country)))
                        .set(c::confirmed.eq(c::confirmed + delta))
                        .execute(conn)?;
                }
                Err(err) => return Err(err),
            }
        }
    }
    Ok(events.len())
}

/// Confirmed counts of every petition: folded totals plus pending events.
pub fn all(conn: &mut DbConnection) -> QueryResult<HashMap<i64, ByCountry>> {
    let folded: Vec<(i64, String, i64)> = c::table.select((c::petition_id, c::country, c::confirmed)).load(conn)?;
    let unfolded: Vec<(i64, String, Option<i64>)> = e::table
        .group_by((e::petition_id, e::country))
        .select((e::petition_id, e::country, sum(e::delta)))
        .load(conn)?;
    let mut out: HashMap<i64, ByCountry> = HashMap::new();
    for (petition, country, n) in folded.into_iter().chain(unfolded.into_iter().map(|(p, c, n)| (p, c, n.unwrap_or(0))))
    {
        *out.entry(petition).or_default().entry(country).or_default() += n;
    }
    for counts in out.values_mut() {
        counts.retain(|_, n| *n != 0);
    }
    Ok(out)
}

/// Confirmed counts of one petition, exact at the time of the call.
pub fn for_petition(conn: &mut DbConnection, petition_id: i64) -> QueryResult<ByCountry> {
    let folded: Vec<(String, i64)> =
        c::table.filter(c::petition_id.eq(petition_id)).select((c::country, c::confirmed)).load(conn)?;
    let unfolded: Vec<(String, Option<i64>)> = e::table
        .filter(e::petition_id.eq(petition_id))
        .group_by(e::country)
        .select((e::country, sum(e::delta)))
        .load(conn)?;
    let mut out = ByCountry::new();
    for (country, n) in folded.into_iter().chain(unfolded.into_iter().map(|(c, n)| (c, n.unwrap_or(0)))) {
        *out.entry(country).or_default() += n;
    }
    out.retain(|_, n| *n != 0);
    Ok(out)
}
