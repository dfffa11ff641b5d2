//! Row structs: what a table row looks like to diesel. Domain types never
//! derive diesel traits; conversion happens in the query modules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{petitions, signatures};
use crate::domain::PetitionState;

/// A stored state as read from `petitions.state`.
impl From<String> for PetitionState {
    fn from(stored: String) -> Self {
        Self::from_db(&stored)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = petitions)]
pub struct PetitionRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub addressee: Option<String>,
    pub goal: Option<i64>,
    /// Stored as `open` or `closed`.
    #[diesel(deserialize_as = String)]
    pub state: PetitionState,
    pub closes_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub text_changed_at: Option<NaiveDateTime>,
    pub erased_at: Option<NaiveDateTime>,
    /// The language of its own text.
    pub lang: String,
}

#[derive(Insertable)]
#[diesel(table_name = petitions)]
pub struct NewPetitionRow<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub addressee: Option<&'a str>,
    pub goal: Option<i64>,
    pub state: &'a str,
    pub closes_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub lang: &'a str,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = signatures)]
pub struct NewSignatureRow<'a> {
    pub petition_id: i64,
    pub email_key: &'a [u8],
    pub email: &'a str,
    pub name: &'a str,
    pub country: &'a str,
    pub postcode: Option<&'a str>,
    pub keep_informed: bool,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub mails_queued: i32,
    pub last_mail_at: Option<NaiveDateTime>,
    pub held_reason: Option<&'a str>,
    pub lang: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::petition_translations)]
pub struct TranslationRow {
    pub petition_id: i64,
    pub lang: String,
    pub title: String,
    pub body: String,
    pub addressee: Option<String>,
    pub updated_at: NaiveDateTime,
}
