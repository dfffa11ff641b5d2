//! What emailed links do to a signature: the tokens of mailed links, the
//! signature a token belongs to, confirming and withdrawing. Each function
//! runs inside the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{signature_tokens as t, signatures as s};
use super::{DbConnection, counts, outbox, tlog};
use crate::domain::{
    Commitment, DetailsDigest, Language, Personal, SignatureDetails, SignatureStatus, StoredPersonal, TokenHash,
};

/// Stores the hashes of the tokens of a batch of mails, (hash, signature,
/// digest of the details the mail shows), in one statement per 500 (not one
/// per mail: the mail worker stores a batch at a time while signatures pour in).
pub fn insert_tokens(
    conn: &mut DbConnection,
    tokens: &[(TokenHash, i64, DetailsDigest)],
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    for chunk in tokens.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(hash, signature_id, digest)| {
                (
                    t::token_hash.eq(hash.0.to_vec()),
                    t::signature_id.eq(*signature_id),
                    t::created_at.eq(now),
                    t::expires_at.eq(expires_at),
                    t::details_digest.eq(Some(digest.0.to_vec())),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(t::table).values(rows).execute(c))?;
    }
    Ok(())
}

/// Forgets a token (its mail could not be sent).
pub fn delete_token(conn: &mut DbConnection, hash: &TokenHash) -> QueryResult<usize> {
    diesel::delete(t::table.filter(t::token_hash.eq(&hash.0[..]))).execute(conn)
}

/// The signature a link's token belongs to, as its row holds it.
#[derive(Debug, Clone)]
pub struct StoredTarget {
    pub signature_id: i64,
    pub petition_id: i64,
    pub status: SignatureStatus,
    pub country: String,
    pub confirmed_at: Option<NaiveDateTime>,
    /// When the signature was made (the text it supported is the one
    /// current then).
    pub signed_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The signer's keyed hash (the associated data of `personal`).
    pub email_key: Vec<u8>,
    /// As stored; None once erased (withdrawn).
    pub personal: Option<StoredPersonal>,
    pub language: Language,
    pub keep_informed: bool,
    /// The digest of the details the link was mailed with (None for links
    /// mailed before links were bound to details).
    pub bound_to: Option<DetailsDigest>,
}

/// The signature a link's token belongs to, its details opened.
#[derive(Debug, Clone)]
pub struct TokenTarget {
    pub signature_id: i64,
    pub petition_id: i64,
    pub status: SignatureStatus,
    pub country: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub signed_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The details as they are now; None once erased (withdrawn).
    pub details: Option<SignatureDetails>,
    pub bound_to: Option<DetailsDigest>,
}

impl StoredTarget {
    /// With its personal data opened (None if erased).
    pub fn opened(self, personal: Option<Personal>) -> TokenTarget {
        let details = personal.map(|p| SignatureDetails {
            name: p.name,
            country: self.country.clone(),
            postcode: p.postcode,
            language: self.language,
            keep_informed: self.keep_informed,
        });
        TokenTarget {
            signature_id: self.signature_id,
            petition_id: self.petition_id,
            status: self.status,
            country: self.country,
            confirmed_at: self.confirmed_at,
            signed_at: self.signed_at,
            expires_at: self.expires_at,
            details,
            bound_to: self.bound_to,
        }
    }
}

impl TokenTarget {
    /// The language the signature was given in.
    pub fn lang(&self) -> Language {
        self.details.as_ref().map(|d| d.language).unwrap_or_default()
    }
}

type TargetRow = (
    (i64, i64, String, String, Option<NaiveDateTime>, NaiveDateTime, NaiveDateTime, String, bool),
    (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>, Option<String>, Option<String>, Option<Vec<u8>>),
);

/// The columns a link's target is read from.
macro_rules! target_columns {
    () => {
        (
            (
                s::id,
                s::petition_id,
                s::status,
                s::country,
                s::confirmed_at,
                s::created_at,
                t::expires_at,
                s::lang,
                s::keep_informed,
            ),
            (s::email_key, s::personal, s::email, s::name, s::postcode, t::details_digest),
        )
    };
}

fn stored_target(
    (
        (signature_id, petition_id, status, country, confirmed_at, signed_at, expires_at, lang, keep_informed),
        (email_key, personal, email, name, postcode, bound),
    ): TargetRow,
) -> StoredTarget {
    StoredTarget {
        signature_id,
        petition_id,
        status: SignatureStatus::from_db(&status),
        country,
        confirmed_at,
        signed_at,
        expires_at,
        email_key: email_key.unwrap_or_default(),
        personal: StoredPersonal::from_columns(personal, email, name, postcode),
        language: Language::from_db(&lang),
        keep_informed,
        bound_to: bound.as_deref().and_then(DetailsDigest::from_db),
    }
}

/// The signature a link's token belongs to, as it is now.
pub fn find_by_token(conn: &mut DbConnection, hash: &TokenHash) -> QueryResult<Option<StoredTarget>> {
    let row: Option<TargetRow> = t::table
        .inner_join(s::table)
        .filter(t::token_hash.eq(&hash.0[..]))
        .select(target_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(stored_target))
}

/// The signatures the tokens of a batch of links belong to, by token hash,
/// in one statement. On PostgreSQL their rows are locked (`FOR UPDATE`, in
/// signature order) until the caller's transaction ends, so that nothing
/// read changes before the caller writes; SQLite's writing transaction
/// holds the whole database already.
///
/// On PostgreSQL the rest of the transaction plans its statements for the
/// tables as they are now ([`super::plan_for_now`]).
pub fn find_by_tokens(
    conn: &mut DbConnection,
    hashes: &[TokenHash],
) -> QueryResult<std::collections::HashMap<[u8; 32], StoredTarget>> {
    super::plan_for_now(conn)?;
    let mut found = std::collections::HashMap::with_capacity(hashes.len());
    for chunk in hashes.chunks(500) {
        let wanted: Vec<&[u8]> = chunk.iter().map(|h| &h.0[..]).collect();
        let query = t::table
            .inner_join(s::table)
            .filter(t::token_hash.eq_any(wanted))
            .order(s::id)
            .select((t::token_hash, target_columns!()));
        let rows: Vec<(Vec<u8>, TargetRow)> = match &mut *conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgres(c) => query.for_update().load(c)?,
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => query.load(c)?,
        };
        for (hash, row) in rows {
            if let Ok(hash) = <[u8; 32]>::try_from(hash) {
                found.insert(hash, stored_target(row));
            }
        }
    }
    Ok(found)
}

/// Confirms the pending signatures `ids` (read in this transaction, with
/// [`find_by_tokens`]); returns how many it confirmed. The caller then
/// records them with [`record_confirmed`].
pub fn confirm_all(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<usize> {
    let mut confirmed = 0;
    for chunk in ids.chunks(500) {
        confirmed += diesel::update(
            s::table.filter(s::id.eq_any(chunk)).filter(s::status.eq(SignatureStatus::Pending.as_str())),
        )
        .set((s::status.eq(SignatureStatus::Confirmed.as_str()), s::confirmed_at.eq(now)))
        .execute(conn)?;
    }
    Ok(confirmed)
}

/// A signature confirmed in this transaction, for [`record_confirmed`].
#[derive(Debug, Clone)]
pub struct NewlyConfirmed {
    pub petition_id: i64,
    pub signature_id: i64,
    pub country: String,
    pub signed_at: NaiveDateTime,
    /// The commitment to the signer's receipt, carried by its leaf.
    pub commitment: Commitment,
}

/// Counts the signatures confirmed at `now` (one count event per petition
/// and country, not one per signature) and queues their leaves for the
/// transparency log, in their order.
pub fn record_confirmed(conn: &mut DbConnection, confirmed: &[NewlyConfirmed], now: NaiveDateTime) -> QueryResult<()> {
    let mut by_country: std::collections::BTreeMap<(i64, &str), i32> = std::collections::BTreeMap::new();
    for c in confirmed {
        *by_country.entry((c.petition_id, &c.country)).or_default() += 1;
    }
    for ((petition_id, country), n) in by_country {
        counts::record_confirmed(conn, petition_id, country, now.date(), n)?;
    }
    let leaves: Vec<tlog::NewPending<'_>> = confirmed
        .iter()
        .map(|c| tlog::NewPending {
            petition_id: c.petition_id,
            signature_id: c.signature_id,
            country: &c.country,
            day: now.date(),
            signed_at: c.signed_at,
            commitment: &c.commitment.0,
        })
        .collect();
    tlog::queue_confirmed(conn, &leaves)
}

/// What a withdrawal came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawOutcome {
    Withdrawn { petition_id: i64, signature_id: i64 },
    Unknown,
}

/// Withdraws the signature a token belongs to: erases its personal data and
/// email key, takes it out of the count, and forgets its tokens and mail.
pub fn withdraw(conn: &mut DbConnection, hash: &TokenHash, now: NaiveDateTime) -> QueryResult<WithdrawOutcome> {
    // A confirmation may land between reading and writing; try again then.
    for _ in 0..3 {
        let Some(target) = find_by_token(conn, hash)? else {
            return Ok(WithdrawOutcome::Unknown);
        };
        if target.status == SignatureStatus::Withdrawn {
            return Ok(WithdrawOutcome::Unknown);
        }
        let changed = diesel::update(s::table.find(target.signature_id).filter(s::status.eq(target.status.as_str())))
            .set((
                s::status.eq(SignatureStatus::Withdrawn.as_str()),
                s::withdrawn_at.eq(now),
                s::email_key.eq(None::<Vec<u8>>),
                s::personal.eq(None::<Vec<u8>>),
                s::email.eq(None::<String>),
                s::name.eq(None::<String>),
                s::postcode.eq(None::<String>),
                s::keep_informed.eq(false),
            ))
            .execute(conn)?;
        if changed == 0 {
            continue;
        }
        if target.status == SignatureStatus::Confirmed {
            let day = target.confirmed_at.unwrap_or(now).date();
            counts::record_confirmed(conn, target.petition_id, &target.country, day, -1)?;
            tlog::queue_withdrawn(conn, target.petition_id, target.signature_id, &target.country, day, now)?;
        }
        diesel::delete(t::table.filter(t::signature_id.eq(target.signature_id))).execute(conn)?;
        outbox::delete_for_signature(conn, target.signature_id)?;
        return Ok(WithdrawOutcome::Withdrawn { petition_id: target.petition_id, signature_id: target.signature_id });
    }
    Ok(WithdrawOutcome::Unknown)
}
