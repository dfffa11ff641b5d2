//! Queries on `petitions`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::models::{NewPetitionRow, PetitionRow, TranslationRow};
use super::schema::petition_revisions as r;
use super::schema::petition_translations as pt;
use super::schema::petitions::dsl as p;
use crate::domain::{Addressee, Language, NewPetition, PetitionBody, PetitionEdit, PetitionState, PetitionTitle};

/// Inserts a petition, open, with its first text revision by `actor`.
/// Fails with a unique violation if the slug is taken.
pub fn insert(conn: &mut DbConnection, new: &NewPetition, now: NaiveDateTime, actor: &str) -> QueryResult<i64> {
    let id = diesel::insert_into(p::petitions)
        .values(NewPetitionRow {
            slug: new.slug.as_str(),
            title: new.title.as_str(),
            body: new.body.as_str(),
            addressee: new.addressee.as_ref().map(|a| a.as_str()),
            goal: new.goal.map(|g| g.get()),
            state: PetitionState::Open.as_str(),
            closes_at: new.closes_at,
            created_at: now,
            updated_at: now,
            lang: new.lang.code(),
        })
        .returning(p::id)
        .get_result(conn)?;
    record_revision(
        conn,
        id,
        new.title.as_str(),
        new.body.as_str(),
        new.addressee.as_ref().map(|a| a.as_str()),
        now,
        actor,
    )?;
    Ok(id)
}

fn record_revision(
    conn: &mut DbConnection,
    petition_id: i64,
    title: &str,
    body: &str,
    addressee: Option<&str>,
    now: NaiveDateTime,
    actor: &str,
) -> QueryResult<()> {
    diesel::insert_into(r::table)
        .values((
            r::petition_id.eq(petition_id),
            r::title.eq(title),
            r::body.eq(body),
            r::addressee.eq(addressee),
            r::changed_at.eq(now),
            r::changed_by.eq(actor),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Applies an edit; if the text changed, records the new revision and when.
/// Returns None if there is no such petition, else whether the text changed.
pub fn edit(
    conn: &mut DbConnection,
    slug: &str,
    edit: &PetitionEdit,
    now: NaiveDateTime,
    actor: &str,
) -> QueryResult<Option<bool>> {
    let Some(row) = find_by_slug(conn, slug)? else {
        return Ok(None);
    };
    let addressee = edit.addressee.as_ref().map(|a| a.as_str());
    let text_changed =
        row.title != edit.title.as_str() || row.body != edit.body.as_str() || row.addressee.as_deref() != addressee;
    diesel::update(p::petitions.find(row.id))
        .set((
            p::title.eq(edit.title.as_str()),
            p::body.eq(edit.body.as_str()),
            p::addressee.eq(addressee),
            p::goal.eq(edit.goal.map(|g| g.get())),
            p::closes_at.eq(edit.closes_at),
            p::updated_at.eq(now),
            p::lang.eq(edit.lang.code()),
        ))
        .execute(conn)?;
    if text_changed {
        diesel::update(p::petitions.find(row.id)).set(p::text_changed_at.eq(now)).execute(conn)?;
        record_revision(conn, row.id, edit.title.as_str(), edit.body.as_str(), addressee, now, actor)?;
    }
    Ok(Some(text_changed))
}

/// Every revision of a petition's text: (when, by whom), oldest first.
pub fn revisions(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Vec<(NaiveDateTime, String)>> {
    r::table.filter(r::petition_id.eq(petition_id)).order(r::id).select((r::changed_at, r::changed_by)).load(conn)
}

/// Reopens a closed petition; false if there is none by that slug or it was open.
pub fn reopen(
    conn: &mut DbConnection,
    slug: &str,
    closes_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(p::petitions.filter(p::slug.eq(slug)).filter(p::state.eq(PetitionState::Closed.as_str())))
        .set((
            p::state.eq(PetitionState::Open.as_str()),
            p::closed_at.eq(None::<NaiveDateTime>),
            p::closes_at.eq(closes_at),
            p::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<PetitionRow>> {
    p::petitions.filter(p::slug.eq(slug)).select(PetitionRow::as_select()).first(conn).optional()
}

/// Every petition, newest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<PetitionRow>> {
    p::petitions.select(PetitionRow::as_select()).order(p::id.desc()).load(conn)
}

/// Closes an open petition; false if there is none by that slug or it was closed.
pub fn close(conn: &mut DbConnection, slug: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(p::petitions.filter(p::slug.eq(slug)).filter(p::state.eq(PetitionState::Open.as_str())))
        .set((p::state.eq(PetitionState::Closed.as_str()), p::closed_at.eq(now), p::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Those of `ids` that take signatures at `now` (open, closing date ahead).
pub fn open_among(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    p::petitions
        .filter(p::id.eq_any(ids))
        .filter(p::state.eq(PetitionState::Open.as_str()))
        .filter(p::closes_at.is_null().or(p::closes_at.gt(now)))
        .select(p::id)
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<PetitionRow>> {
    p::petitions.find(id).select(PetitionRow::as_select()).first(conn).optional()
}

/// Every petition's translations, for the public snapshot.
pub fn translations(conn: &mut DbConnection) -> QueryResult<Vec<TranslationRow>> {
    pt::table.select(TranslationRow::as_select()).order((pt::petition_id, pt::lang)).load(conn)
}

/// One petition's translations, for its organisers.
pub fn translations_of(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Vec<TranslationRow>> {
    pt::table.filter(pt::petition_id.eq(petition_id)).select(TranslationRow::as_select()).order(pt::lang).load(conn)
}

/// Adds or replaces a petition's text in `lang`, recorded in the text
/// history as `actor`'s (with the language).
pub fn save_translation(
    conn: &mut DbConnection,
    petition_id: i64,
    lang: Language,
    text: (&PetitionTitle, &PetitionBody, Option<&Addressee>),
    now: NaiveDateTime,
    actor: &str,
) -> QueryResult<()> {
    let (title, body, addressee) = text;
    diesel::delete(pt::table.filter(pt::petition_id.eq(petition_id)).filter(pt::lang.eq(lang.code()))).execute(conn)?;
    let changed_by = format!("{actor} (translation: {})", lang.code());
    record_revision(conn, petition_id, title.as_str(), body.as_str(), addressee.map(|a| a.as_str()), now, &changed_by)?;
    diesel::insert_into(pt::table)
        .values((
            pt::petition_id.eq(petition_id),
            pt::lang.eq(lang.code()),
            pt::title.eq(title.as_str()),
            pt::body.eq(body.as_str()),
            pt::addressee.eq(addressee.map(|a| a.as_str())),
            pt::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Removes a petition's text in `lang`; the removal is recorded in the
/// text history.
pub fn delete_translation(
    conn: &mut DbConnection,
    petition_id: i64,
    lang: Language,
    now: NaiveDateTime,
    actor: &str,
) -> QueryResult<usize> {
    let removed = diesel::delete(pt::table.filter(pt::petition_id.eq(petition_id)).filter(pt::lang.eq(lang.code())))
        .execute(conn)?;
    if removed > 0 {
        let changed_by = format!("{actor} (translation removed: {})", lang.code());
        record_revision(conn, petition_id, "", "", None, now, &changed_by)?;
    }
    Ok(removed)
}
