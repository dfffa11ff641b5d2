//! Queries on `petitions`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::models::{NewPetitionRow, PetitionRow};
use super::schema::petitions::dsl as p;
use crate::domain::{NewPetition, PetitionState};

/// Inserts a petition, open. Fails with a unique violation if the slug is taken.
pub fn insert(conn: &mut DbConnection, new: &NewPetition, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(p::petitions)
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
        })
        .returning(p::id)
        .get_result(conn)
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

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<PetitionRow>> {
    p::petitions.find(id).select(PetitionRow::as_select()).first(conn).optional()
}
