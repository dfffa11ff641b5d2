//! Row structs: what a table row looks like to diesel. Domain types never
//! derive diesel traits; conversion happens in the query modules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{outbox, petitions, signatures};
use crate::domain::{HoldReason, MailKind, PetitionState, SignItem, SignatureStatus, StoredPersonal};

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

/// A new row of `signatures`: built only by [`NewSignatureRow::pending`],
/// inserted as it is on SQLite and column by column on PostgreSQL (see
/// [`SIGNATURE_COLUMNS`]).
#[derive(Insertable, Clone)]
#[diesel(table_name = signatures)]
pub struct NewSignatureRow<'a> {
    pub petition_id: i64,
    pub email_key: &'a [u8],
    /// Sealed personal data (see `vault`); the three clear columns are
    /// None then, and set only while no master key is configured.
    pub personal: Option<&'a [u8]>,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
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

/// The columns of [`NewSignatureRow`], in its order: the PostgreSQL batch
/// statement names them (a test checks that they are the struct's).
#[cfg(any(test, feature = "postgres"))]
pub const SIGNATURE_COLUMNS: [&str; 14] = [
    "petition_id",
    "email_key",
    "personal",
    "email",
    "name",
    "country",
    "postcode",
    "keep_informed",
    "status",
    "created_at",
    "mails_queued",
    "last_mail_at",
    "held_reason",
    "lang",
];

impl<'a> NewSignatureRow<'a> {
    /// The row of a new pending signature, stored `now`: held for review,
    /// or counted as mailed if its confirmation mail goes with it.
    pub fn pending(item: &'a SignItem, now: NaiveDateTime) -> Self {
        let signature = &item.signature;
        let (personal, email, name, postcode) = columns(&item.personal);
        Self {
            petition_id: item.petition_id,
            email_key: &item.email_key,
            personal,
            email,
            name,
            country: signature.country.code(),
            postcode,
            keep_informed: signature.keep_informed,
            status: SignatureStatus::Pending.as_str(),
            created_at: now,
            mails_queued: i32::from(item.mailed),
            last_mail_at: item.mailed.then_some(now),
            held_reason: item.held.map(HoldReason::as_str),
            lang: signature.language.code(),
        }
    }
}

/// The values of the columns personal data is stored in: (personal, email,
/// name, postcode).
pub type PersonalColumns<'a> = (Option<&'a [u8]>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// The columns personal data is stored in: sealed, or the clear three (set
/// only for data stored in the clear).
pub fn columns(stored: &StoredPersonal) -> PersonalColumns<'_> {
    match stored {
        StoredPersonal::Sealed(bytes) => (Some(bytes), None, None, None),
        StoredPersonal::Clear(p) => (None, Some(&p.email), Some(&p.name), p.postcode.as_deref()),
    }
}

/// A new row of `outbox`: built only by [`NewOutboxRow::due_now`], inserted
/// as it is, or column by column by the PostgreSQL batch statement (see
/// [`OUTBOX_COLUMNS`]).
#[derive(Insertable, Clone, Copy)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow {
    pub kind: &'static str,
    pub signature_id: i64,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// The columns of [`NewOutboxRow`], in its order (a test checks them).
#[cfg(any(test, feature = "postgres"))]
pub const OUTBOX_COLUMNS: [&str; 5] = ["kind", "signature_id", "attempts", "next_attempt_at", "created_at"];

impl NewOutboxRow {
    /// A mail of `kind` for a signature, queued `now` and due at once.
    pub fn due_now(signature_id: i64, kind: MailKind, now: NaiveDateTime) -> Self {
        Self { kind: kind.as_str(), signature_id, attempts: 0, next_attempt_at: now, created_at: now }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The column list an INSERT of `values` names, as diesel writes it.
    fn columns_of(sql: &str) -> Vec<String> {
        let start = sql.find('(').unwrap() + 1;
        let end = start + sql[start..].find(')').unwrap();
        sql[start..end].split(',').map(|c| c.trim().trim_matches(|q| q == '"' || q == '`').to_owned()).collect()
    }

    #[cfg(feature = "sqlite")]
    type Backend = diesel::sqlite::Sqlite;
    #[cfg(not(feature = "sqlite"))]
    type Backend = diesel::pg::Pg;

    #[test]
    fn the_column_lists_are_the_rows_own() {
        let now = chrono::NaiveDateTime::default();
        let input = crate::domain::SignatureInput {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            country: "GB".into(),
            // Every optional column given, so that the statement names it.
            postcode: "N1".into(),
            ..Default::default()
        };
        let signature = crate::domain::NewSignature::parse(&input).unwrap();
        let personal = crate::domain::Personal {
            email: signature.email.as_str().into(),
            name: signature.name.as_str().into(),
            postcode: Some("N1".into()),
        };
        // A row is sealed or clear: the two name every column between them.
        for (stored, left_out) in [
            (StoredPersonal::Sealed(vec![1; 40]), &["email", "name", "postcode"][..]),
            (StoredPersonal::Clear(personal), &["personal"][..]),
        ] {
            let item = SignItem {
                petition_id: 1,
                signature: signature.clone(),
                email_key: [0; 32],
                personal: stored,
                held: Some(HoldReason::TooFast),
                mailed: true,
            };
            let insert = diesel::insert_into(signatures::table).values(NewSignatureRow::pending(&item, now));
            let sql = diesel::debug_query::<Backend, _>(&insert).to_string();
            let expected: Vec<&str> = SIGNATURE_COLUMNS.into_iter().filter(|c| !left_out.contains(c)).collect();
            assert_eq!(columns_of(&sql), expected);
        }
        let insert = diesel::insert_into(outbox::table).values(NewOutboxRow::due_now(1, MailKind::Confirm, now));
        let sql = diesel::debug_query::<Backend, _>(&insert).to_string();
        assert_eq!(columns_of(&sql), OUTBOX_COLUMNS);
    }
}
