//! Bulk loading of confirmed signatures, for benchmarks and tests that need
//! many rows (or rows the forms would refuse, to test output escaping).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::signatures as s;
use super::{DbConnection, counts};

/// A confirmed signature to load.
#[derive(Debug, Clone)]
pub struct SeedRow {
    pub name: String,
    pub country: String,
    pub postcode: Option<String>,
    pub email: String,
    pub keep_informed: bool,
}

/// Inserts confirmed signatures in multi-row statements and counts them.
/// Each gets a distinct made-up email key (`seed/<petition>/<email>`), so
/// emails must be distinct.
pub fn confirmed(conn: &mut DbConnection, petition_id: i64, rows: &[SeedRow], now: NaiveDateTime) -> QueryResult<()> {
    for chunk in rows.chunks(1000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    s::petition_id.eq(petition_id),
                    s::email_key.eq(Some(format!("seed/{petition_id}/{}", r.email).into_bytes())),
                    s::email.eq(Some(r.email.as_str())),
                    s::name.eq(Some(r.name.as_str())),
                    s::country.eq(r.country.as_str()),
                    s::postcode.eq(r.postcode.as_deref()),
                    s::keep_informed.eq(r.keep_informed),
                    s::status.eq("confirmed"),
                    s::created_at.eq(now),
                    s::confirmed_at.eq(Some(now)),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(s::table).values(values).execute(c))?;
        let mut per_country: HashMap<&str, i32> = HashMap::new();
        for r in chunk {
            *per_country.entry(r.country.as_str()).or_default() += 1;
        }
        for (country, n) in per_country {
            counts::record_confirmed(conn, petition_id, country, now.date(), n)?;
        }
    }
    Ok(())
}
