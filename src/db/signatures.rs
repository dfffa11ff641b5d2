//! Reads of `signatures` that are neither signing nor links: what still
//! holds personal data, and how many signatures are in each status.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::signatures as s;
use crate::domain::{Personal, SignatureStatus, StatusCounts};

/// Which of these signatures still hold personal data (not withdrawn,
/// erased, purged or discarded).
pub fn holding_personal_data(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let mut alive = Vec::new();
    for chunk in ids.chunks(500) {
        alive.extend(
            s::table
                .filter(s::id.eq_any(chunk))
                .filter(s::personal.is_not_null().or(s::email.is_not_null()))
                .select(s::id)
                .load::<i64>(conn)?,
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

/// Whether a petition has any signature row at all.
pub fn any_for_petition(conn: &mut DbConnection, petition_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(s::table.filter(s::petition_id.eq(petition_id)))).get_result(conn)
}

/// A row still holding its personal data in the clear (written before keys
/// were configured).
#[derive(Debug, Clone)]
pub struct ClearRow {
    pub id: i64,
    pub petition_id: i64,
    pub email_key: Vec<u8>,
    pub personal: Personal,
    /// The clear columns exactly as read (compared when sealing).
    was: (Option<String>, Option<String>),
}

/// The rows holding personal data in the clear: the condition of the
/// partial index `signatures_in_clear` (migration 000012), written the same
/// way so that SQLite sees it may use the index.
#[diesel::dsl::auto_type]
fn in_clear() -> _ {
    s::personal.is_null().and(s::name.is_not_null().or(s::email.is_not_null()))
}

/// Up to `limit` rows with id above `after` that hold personal data in the
/// clear, in id order.
pub fn clear_after(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<ClearRow>> {
    type Row = (i64, i64, Option<Vec<u8>>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = s::table
        .filter(s::id.gt(after))
        .filter(in_clear())
        .order(s::id)
        .limit(limit)
        .select((s::id, s::petition_id, s::email_key, s::email, s::name, s::postcode))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, petition_id, email_key, email, name, postcode)| ClearRow {
            id,
            petition_id,
            email_key: email_key.unwrap_or_default(),
            personal: Personal {
                email: email.clone().unwrap_or_default(),
                name: name.clone().unwrap_or_default(),
                postcode,
            },
            was: (email, name),
        })
        .collect())
}

/// How many rows hold personal data in the clear.
pub fn count_clear(conn: &mut DbConnection) -> QueryResult<i64> {
    s::table.filter(in_clear()).count().get_result(conn)
}

type Condition = Box<dyn BoxableExpression<s::table, super::MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// `column` holds exactly `value` (NULL for None).
macro_rules! same {
    ($column:expr, $value:expr) => {{
        let condition: Condition = match $value {
            Some(v) => Box::new($column.assume_not_null().eq(v.clone())),
            None => Box::new($column.is_null()),
        };
        condition
    }};
}

/// Replaces a row's clear personal data with `sealed`, if the row still
/// holds exactly `was` in the clear (a change meanwhile wins); returns
/// whether it did.
pub fn seal_in_place(conn: &mut DbConnection, row: &ClearRow, sealed: &[u8]) -> QueryResult<bool> {
    let (email, name) = &row.was;
    // Each clear column exactly as read, NULL included.
    let target = diesel::update(s::table.find(row.id))
        .filter(s::personal.is_null())
        .filter(same!(s::email, email))
        .filter(same!(s::name, name))
        .filter(same!(s::postcode, &row.personal.postcode));
    let sealing = (
        s::personal.eq(sealed),
        s::email.eq(None::<String>),
        s::name.eq(None::<String>),
        s::postcode.eq(None::<String>),
    );
    let changed = target.set(sealing).execute(conn)?;
    Ok(changed == 1)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diesel::sql_types::Text;
    use diesel_migrations::MigrationHarness;

    use super::*;

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    /// Finding the rows still in the clear reads the partial index (empty
    /// once everything is sealed), never every signature.
    #[test]
    fn rows_in_the_clear_are_found_through_their_index() {
        let mut c = diesel::SqliteConnection::establish(":memory:").unwrap();
        c.run_pending_migrations(super::super::migrations::SQLITE).unwrap();
        let query = s::table.filter(s::id.gt(0)).filter(in_clear()).order(s::id).limit(1000).select(s::id);
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
        let sql = sql.split(" -- binds").next().unwrap().replace('?', "0");
        let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut c).unwrap();
        let plan: Vec<String> = plan.into_iter().map(|p| p.detail).collect();
        assert!(plan.iter().any(|d| d.contains("signatures_in_clear")), "{sql}: {plan:?}");
        let count = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&s::table.filter(in_clear()).count()).to_string();
        let count = count.split(" -- binds").next().unwrap().to_owned();
        let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {count}")).load(&mut c).unwrap();
        assert!(plan.iter().any(|p| p.detail.contains("signatures_in_clear")), "{count}");
    }
}
