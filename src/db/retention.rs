//! Keeping personal data no longer than needed: unconfirmed signatures whose
//! links expired are deleted after a grace period; a while after a petition
//! closes, its signers' names, emails and postcodes are erased while the
//! counts by country stay. Work is done in chunks, one transaction each, so
//! that signing never waits long behind it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{petitions as p, signature_tokens as t, signatures as s};
use crate::domain::{PetitionState, SignatureStatus};

/// Rows handled per transaction.
pub const CHUNK: i64 = 5000;

/// Deletes up to [`CHUNK`] pending signatures whose last mail was queued
/// before `before` (or, held for review and never mailed, that arrived
/// before it); their tokens and mail go with them. Returns how many.
pub fn delete_expired_pending(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let ids: Vec<i64> = s::table
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
        .filter(
            s::held_reason
                .is_null()
                .and(s::last_mail_at.lt(before))
                .or(s::held_reason.is_not_null().and(s::created_at.lt(before))),
        )
        .select(s::id)
        .limit(CHUNK)
        .load(conn)?;
    forget_links(conn, &ids)?;
    diesel::delete(s::table.filter(s::id.eq_any(&ids))).execute(conn)
}

fn forget_links(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    diesel::delete(t::table.filter(t::signature_id.eq_any(ids))).execute(conn)?;
    super::outbox::delete_for_signatures(conn, ids)?;
    Ok(())
}

/// Petitions closed before `closed_before` whose personal data is still
/// there: (id, slug).
pub fn due_for_erasure(conn: &mut DbConnection, closed_before: NaiveDateTime) -> QueryResult<Vec<(i64, String)>> {
    p::table
        .filter(p::erased_at.is_null())
        .filter(
            p::state
                .eq(PetitionState::Closed.as_str())
                .and(p::closed_at.le(closed_before).or(p::closes_at.le(closed_before)))
                .or(p::state.eq(PetitionState::Open.as_str()).and(p::closes_at.le(closed_before))),
        )
        .order(p::id)
        .select((p::id, p::slug))
        .load(conn)
}

/// Erases the personal data of up to [`CHUNK`] signatures of a petition with
/// ids above `after`: confirmed and withdrawn ones keep only their country
/// and dates (their transparency-log leaves stay, no longer linked to
/// them); unconfirmed and held ones, never counted, are deleted.
/// Returns how many were handled and the last id, or None when done.
pub fn erase_chunk(conn: &mut DbConnection, petition_id: i64, after: i64) -> QueryResult<Option<(usize, i64)>> {
    let rows: Vec<(i64, String)> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::id.gt(after))
        .order(s::id)
        .limit(CHUNK)
        .select((s::id, s::status))
        .load(conn)?;
    let Some(&(last, _)) = rows.last() else {
        return Ok(None);
    };
    let pending = SignatureStatus::Pending.as_str();
    let unconfirmed: Vec<i64> = rows.iter().filter(|(_, status)| status == pending).map(|(id, _)| *id).collect();
    let kept: Vec<i64> = rows.iter().filter(|(_, status)| status != pending).map(|(id, _)| *id).collect();
    forget_links(conn, &unconfirmed)?;
    forget_links(conn, &kept)?;
    // The log keeps their leaves (still counted); only the link goes.
    super::tlog::unlink_signatures(conn, &kept)?;
    diesel::delete(s::table.filter(s::id.eq_any(&unconfirmed))).execute(conn)?;
    diesel::update(s::table.filter(s::id.eq_any(&kept)))
        .set((
            s::personal.eq(None::<Vec<u8>>),
            s::email.eq(None::<String>),
            s::name.eq(None::<String>),
            s::postcode.eq(None::<String>),
            s::email_key.eq(None::<Vec<u8>>),
            s::keep_informed.eq(false),
        ))
        .execute(conn)?;
    Ok(Some((rows.len(), last)))
}

/// Marks a petition's personal data as erased and destroys its keys, so
/// that what any copy of the database still holds of it cannot be read
/// once the master keys of that copy's time are destroyed.
pub fn mark_erased(conn: &mut DbConnection, petition_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(p::table.find(petition_id)).set(p::erased_at.eq(now)).execute(conn)?;
    super::petition_keys::delete(conn, petition_id).map(|_| ())
}
