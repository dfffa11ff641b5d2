//! Signatures held for review (quarantined): listing them for organisers,
//! releasing them (they are then mailed like any new signature) and
//! discarding them.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::signatures as s;
use super::{DbConnection, counts, outbox};
use crate::domain::{HoldReason, MailKind, SignatureStatus, StoredPersonal, Tally};

/// A held signature as its row holds it (opened by `organise::held::list`).
#[derive(Debug, Clone)]
pub struct StoredHeld {
    pub id: i64,
    pub petition_id: i64,
    pub email_key: Vec<u8>,
    pub personal: Option<StoredPersonal>,
    pub country: String,
    pub reason: Option<HoldReason>,
    pub created_at: NaiveDateTime,
}

/// Which held signatures an action applies to.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    One(i64),
    Reason(HoldReason),
    All,
}

fn held(petition_id: i64) -> s::BoxedQuery<'static, super::MultiBackend> {
    s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::held_reason.is_not_null())
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
        .into_boxed()
}

fn selected(petition_id: i64, which: Selection) -> s::BoxedQuery<'static, super::MultiBackend> {
    match which {
        Selection::One(id) => held(petition_id).filter(s::id.eq(id)),
        Selection::Reason(r) => held(petition_id).filter(s::held_reason.eq(r.as_str())),
        Selection::All => held(petition_id),
    }
}

/// The oldest `limit` held signatures of a petition.
pub fn list(conn: &mut DbConnection, petition_id: i64, limit: i64) -> QueryResult<Vec<StoredHeld>> {
    type Row = (
        i64,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        NaiveDateTime,
    );
    let rows: Vec<Row> = held(petition_id)
        .order(s::id)
        .limit(limit)
        .select((
            s::id,
            s::email_key,
            s::personal,
            s::email,
            s::name,
            s::postcode,
            s::country,
            s::held_reason,
            s::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, email_key, personal, email, name, postcode, country, reason, created_at)| StoredHeld {
            id,
            petition_id,
            email_key: email_key.unwrap_or_default(),
            personal: StoredPersonal::from_columns(personal, email, name, postcode),
            country,
            reason: reason.as_deref().and_then(HoldReason::from_db),
            created_at,
        })
        .collect())
}

/// Held signatures now, by reason.
pub fn count_by_reason(conn: &mut DbConnection, petition_id: i64) -> QueryResult<BTreeMap<HoldReason, i64>> {
    let rows: Vec<(Option<String>, i64)> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::held_reason.is_not_null())
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
        .group_by(s::held_reason)
        .select((s::held_reason, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(r, n)| Some((HoldReason::from_db(r.as_deref()?)?, n))).collect())
}

/// Releases the selected held signatures: each gets its confirmation mail,
/// as if it had just been signed. Returns how many.
pub fn release(conn: &mut DbConnection, petition_id: i64, which: Selection, now: NaiveDateTime) -> QueryResult<usize> {
    let candidates: Vec<i64> = selected(petition_id, which).select(s::id).load(conn)?;
    // Only those still held when updated (a signer may have released their
    // own meanwhile), and only they are mailed.
    let mut ids = Vec::with_capacity(candidates.len());
    for chunk in candidates.chunks(1000) {
        let released: Vec<i64> = diesel::update(still_held(chunk))
            .set((s::held_reason.eq(None::<String>), s::mails_queued.eq(1), s::last_mail_at.eq(now)))
            .returning(s::id)
            .get_results(conn)?;
        ids.extend(released);
    }
    outbox::enqueue_many(conn, &ids, MailKind::Confirm, now)?;
    if !ids.is_empty() {
        counts::add_tally(conn, petition_id, Tally::Released, "", count(&ids))?;
    }
    Ok(ids.len())
}

/// Deletes the selected held signatures. Returns how many.
pub fn discard(conn: &mut DbConnection, petition_id: i64, which: Selection) -> QueryResult<usize> {
    let candidates: Vec<i64> = selected(petition_id, which).select(s::id).load(conn)?;
    let mut n = 0;
    for chunk in candidates.chunks(1000) {
        let deleted: Vec<i64> = diesel::delete(still_held(chunk)).returning(s::id).get_results(conn)?;
        // Held signatures are not mailed, but their queue must never keep a
        // mail for a signature that is gone (see outbox::claim_due).
        super::outbox::delete_for_signatures(conn, &deleted)?;
        n += deleted.len();
    }
    if n > 0 {
        counts::add_tally(conn, petition_id, Tally::Discarded, "", i32::try_from(n).unwrap_or(i32::MAX))?;
    }
    Ok(n)
}

/// The query of [`still_held`].
type StillHeld<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<s::table, diesel::dsl::EqAny<s::id, &'a [i64]>>,
        diesel::dsl::IsNotNull<s::held_reason>,
    >,
    diesel::dsl::Eq<s::status, &'static str>,
>;

/// These signatures, if still held and pending.
fn still_held(ids: &[i64]) -> StillHeld<'_> {
    s::table
        .filter(s::id.eq_any(ids))
        .filter(s::held_reason.is_not_null())
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
}

fn count(ids: &[i64]) -> i32 {
    i32::try_from(ids.len()).unwrap_or(i32::MAX)
}
