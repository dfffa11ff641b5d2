//! Counts without a hot row.
//!
//! A confirmation appends `+1` to `count_events` (a withdrawal `-1`, on the
//! day of the original confirmation); merged or refused submissions append a
//! tally event for their reason. Nothing is updated per signature. [`fold`]
//! periodically moves events into `petition_counts` (confirmed, by country),
//! `petition_daily` (confirmed, by day) and `petition_tallies` (by reason),
//! in one transaction. Readers add folded totals and pending events, inside
//! one snapshot, so a count is exact the moment its confirmation commits.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::dsl::sum;
use diesel::prelude::*;

use super::schema::{count_events as e, petition_counts as c, petition_daily as d, petition_tallies as t};
use super::{DbConnection, is_unique_violation};
use crate::domain::{Tally, TallyItem};

/// Confirmed signatures per country for one petition.
pub type ByCountry = BTreeMap<String, i64>;

/// The metric of confirmed signatures; every other metric is a tally.
const CONFIRMED: &str = "confirmed";

/// Records a confirmation (`delta` 1) or its withdrawal (-1), dated `day`,
/// the day the signature was confirmed.
pub fn record_confirmed(
    conn: &mut DbConnection,
    petition_id: i64,
    country: &str,
    day: NaiveDate,
    delta: i32,
) -> QueryResult<()> {
    diesel::insert_into(e::table)
        .values((
            e::petition_id.eq(petition_id),
            e::country.eq(country),
            e::delta.eq(delta),
            e::metric.eq(CONFIRMED),
            e::day.eq(Some(day)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records one of each of `tallies` in multi-row INSERTs (a batch of
/// signing's submissions that stored nothing).
pub fn record_tallies(conn: &mut DbConnection, tallies: &[TallyItem]) -> QueryResult<()> {
    for chunk in tallies.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|t| {
                (
                    e::petition_id.eq(t.petition_id),
                    e::country.eq(t.country),
                    e::delta.eq(1),
                    e::metric.eq(t.tally.as_str()),
                    e::day.eq(None::<NaiveDate>),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(e::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Records `n` at once (an organiser releasing many held signatures).
pub fn add_tally(conn: &mut DbConnection, petition_id: i64, tally: Tally, country: &str, n: i32) -> QueryResult<()> {
    diesel::insert_into(e::table)
        .values((
            e::petition_id.eq(petition_id),
            e::country.eq(country),
            e::delta.eq(n),
            e::metric.eq(tally.as_str()),
            e::day.eq(None::<NaiveDate>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Adds `delta` to the row `find` selects, inserting `insert` if there is none.
macro_rules! add_or_insert {
    ($conn:expr, $find:expr, $column:expr, $delta:expr, $insert:expr) => {{
        let updated = diesel::update($find).set($column.eq($column + $delta)).execute($conn)?;
        if updated == 0 {
            match $conn.transaction(|c| $insert.execute(c)) {
                Ok(_) => {}
                Err(err) if is_unique_violation(&err) => {
                    diesel::update($find).set($column.eq($column + $delta)).execute($conn)?;
                }
                Err(err) => return Err(err),
            }
        }
    }};
}

/// Folds up to `limit` events into the totals; returns how many.
/// Safe to run from several processes at once: on PostgreSQL only one folds
/// at a time (advisory lock), and on SQLite writers already take turns.
pub fn fold(conn: &mut DbConnection, limit: i64) -> QueryResult<usize> {
    if !super::locks::try_lock_for_transaction(conn, super::locks::Job::FoldCounts)? {
        return Ok(0);
    }
    let events: Vec<(i64, i64, String, i32, String, Option<NaiveDate>)> = e::table
        .select((e::id, e::petition_id, e::country, e::delta, e::metric, e::day))
        .order(e::id)
        .limit(limit)
        .load(conn)?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut by_country: HashMap<(i64, String), i64> = HashMap::new();
    let mut by_day: HashMap<(i64, NaiveDate), i64> = HashMap::new();
    let mut tallies: HashMap<(i64, String), i64> = HashMap::new();
    for (_, petition, country, delta, metric, day) in &events {
        let delta = i64::from(*delta);
        if metric == CONFIRMED {
            *by_country.entry((*petition, country.clone())).or_default() += delta;
            if let Some(day) = day {
                *by_day.entry((*petition, *day)).or_default() += delta;
            }
        } else {
            *tallies.entry((*petition, metric.clone())).or_default() += delta;
        }
    }
    // Only the rows just read are removed, so an event committed meanwhile is
    // left for the next fold rather than lost.
    let ids: Vec<i64> = events.iter().map(|ev| ev.0).collect();
    for chunk in ids.chunks(10_000) {
        diesel::delete(e::table.filter(e::id.eq_any(chunk))).execute(conn)?;
    }
    for ((petition, country), delta) in by_country.into_iter().filter(|(_, n)| *n != 0) {
        add_or_insert!(
            conn,
            c::table.find((petition, &country)),
            c::confirmed,
            delta,
            diesel::insert_into(c::table).values((
                c::petition_id.eq(petition),
                c::country.eq(&country),
                c::confirmed.eq(delta)
            ))
        );
    }
    for ((petition, day), delta) in by_day.into_iter().filter(|(_, n)| *n != 0) {
        add_or_insert!(
            conn,
            d::table.find((petition, day)),
            d::confirmed,
            delta,
            diesel::insert_into(d::table).values((d::petition_id.eq(petition), d::day.eq(day), d::confirmed.eq(delta)))
        );
    }
    for ((petition, metric), delta) in tallies {
        add_or_insert!(
            conn,
            t::table.find((petition, &metric)),
            t::n,
            delta,
            diesel::insert_into(t::table).values((t::petition_id.eq(petition), t::metric.eq(&metric), t::n.eq(delta)))
        );
    }
    Ok(events.len())
}

/// Confirmed counts of every petition: folded totals plus pending events.
/// Call inside one snapshot (`Db::snapshot`).
pub fn all(conn: &mut DbConnection) -> QueryResult<HashMap<i64, ByCountry>> {
    let folded: Vec<(i64, String, i64)> = c::table.select((c::petition_id, c::country, c::confirmed)).load(conn)?;
    let unfolded: Vec<(i64, String, Option<i64>)> = e::table
        .filter(e::metric.eq(CONFIRMED))
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

/// Confirmed counts of one petition. Call inside one snapshot.
pub fn for_petition(conn: &mut DbConnection, petition_id: i64) -> QueryResult<ByCountry> {
    let folded: Vec<(String, i64)> =
        c::table.filter(c::petition_id.eq(petition_id)).select((c::country, c::confirmed)).load(conn)?;
    let unfolded: Vec<(String, Option<i64>)> = e::table
        .filter(e::petition_id.eq(petition_id))
        .filter(e::metric.eq(CONFIRMED))
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

/// Confirmed signatures per day of confirmation. Call inside one snapshot.
pub fn daily(conn: &mut DbConnection, petition_id: i64) -> QueryResult<BTreeMap<NaiveDate, i64>> {
    let folded: Vec<(NaiveDate, i64)> =
        d::table.filter(d::petition_id.eq(petition_id)).select((d::day, d::confirmed)).load(conn)?;
    let unfolded: Vec<(Option<NaiveDate>, Option<i64>)> = e::table
        .filter(e::petition_id.eq(petition_id))
        .filter(e::metric.eq(CONFIRMED))
        .group_by(e::day)
        .select((e::day, sum(e::delta)))
        .load(conn)?;
    let mut out = BTreeMap::new();
    let unfolded = unfolded.into_iter().filter_map(|(day, n)| Some((day?, n.unwrap_or(0))));
    for (day, n) in folded.into_iter().chain(unfolded) {
        *out.entry(day).or_default() += n;
    }
    out.retain(|_, n| *n != 0);
    Ok(out)
}

/// Merged or refused submissions by reason. Call inside one snapshot.
pub fn tallies(conn: &mut DbConnection, petition_id: i64) -> QueryResult<BTreeMap<Tally, i64>> {
    let folded: Vec<(String, i64)> =
        t::table.filter(t::petition_id.eq(petition_id)).select((t::metric, t::n)).load(conn)?;
    let unfolded: Vec<(String, Option<i64>)> = e::table
        .filter(e::petition_id.eq(petition_id))
        .filter(e::metric.ne(CONFIRMED))
        .group_by(e::metric)
        .select((e::metric, sum(e::delta)))
        .load(conn)?;
    let mut out: BTreeMap<Tally, i64> = Tally::ALL.iter().map(|t| (*t, 0)).collect();
    for (metric, n) in folded.into_iter().chain(unfolded.into_iter().map(|(m, n)| (m, n.unwrap_or(0)))) {
        if let Some(tally) = Tally::from_db(&metric) {
            *out.entry(tally).or_default() += n;
        }
    }
    Ok(out)
}
