//! What emailed links do to a signature: the tokens of mailed links, the
//! signature a token belongs to, confirming and withdrawing. Each function
//! runs inside the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{signature_tokens as t, signatures as s};
use super::{DbConnection, counts, outbox, tlog};
use crate::domain::{Commitment, DetailsDigest, Language, SignatureDetails, SignatureStatus, TokenHash};

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

/// The signature a link's token belongs to.
#[derive(Debug, Clone)]
pub struct TokenTarget {
    pub signature_id: i64,
    pub petition_id: i64,
    pub status: SignatureStatus,
    pub country: String,
    pub confirmed_at: Option<NaiveDateTime>,
    /// When the signature was made (the text it supported is the one
    /// current then).
    pub signed_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The details as they are now; None once erased (withdrawn).
    pub details: Option<SignatureDetails>,
    /// The digest of the details the link was mailed with (None for links
    /// mailed before links were bound to details).
    pub bound_to: Option<DetailsDigest>,
}

impl TokenTarget {
    /// The language the signature was given in.
    pub fn lang(&self) -> Language {
        self.details.as_ref().map(|d| d.language).unwrap_or_default()
    }
}

type TargetRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    Option<NaiveDateTime>,
    NaiveDateTime,
    NaiveDateTime,
    String,
    Option<String>,
    bool,
    Option<Vec<u8>>,
);

/// The signature a link's token belongs to, as it is now.
pub fn find_by_token(conn: &mut DbConnection, hash: &TokenHash) -> QueryResult<Option<TokenTarget>> {
    let row: Option<TargetRow> = t::table
        .inner_join(s::table)
        .filter(t::token_hash.eq(&hash.0[..]))
        .select((
            s::id,
            s::petition_id,
            s::status,
            s::name,
            s::country,
            s::confirmed_at,
            s::created_at,
            t::expires_at,
            s::lang,
            s::postcode,
            s::keep_informed,
            t::details_digest,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(
            signature_id,
            petition_id,
            status,
            name,
            country,
            confirmed_at,
            signed_at,
            expires_at,
            lang,
            postcode,
            keep,
            bound,
        )| {
            TokenTarget {
                signature_id,
                petition_id,
                status: SignatureStatus::from_db(&status),
                details: name.map(|name| SignatureDetails {
                    name,
                    country: country.clone(),
                    postcode,
                    language: Language::from_db(&lang),
                    keep_informed: keep,
                }),
                country,
                confirmed_at,
                signed_at,
                expires_at,
                bound_to: bound.as_deref().and_then(DetailsDigest::from_db),
            }
        },
    ))
}

/// Confirms a pending signature if its details are still exactly
/// `details` (compared in the same statement, so that a change committed
/// meanwhile wins); returns whether it did. The count follows, and the
/// transparency log's queue gets its leaf, carrying `commitment`.
pub fn confirm_as(
    conn: &mut DbConnection,
    target: &TokenTarget,
    details: &SignatureDetails,
    commitment: &Commitment,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = s::table
        .find(target.signature_id)
        .filter(s::status.eq(SignatureStatus::Pending.as_str()))
        .filter(s::name.eq(&details.name))
        .filter(s::country.eq(&details.country))
        .filter(s::lang.eq(details.language.code()))
        .filter(s::keep_informed.eq(details.keep_informed));
    let changed = match &details.postcode {
        Some(postcode) => diesel::update(row.filter(s::postcode.eq(postcode)))
            .set((s::status.eq(SignatureStatus::Confirmed.as_str()), s::confirmed_at.eq(now)))
            .execute(conn)?,
        None => diesel::update(row.filter(s::postcode.is_null()))
            .set((s::status.eq(SignatureStatus::Confirmed.as_str()), s::confirmed_at.eq(now)))
            .execute(conn)?,
    };
    if changed == 1 {
        counts::record_confirmed(conn, target.petition_id, &details.country, now.date(), 1)?;
        tlog::queue_confirmed(
            conn,
            target.petition_id,
            target.signature_id,
            &details.country,
            now.date(),
            target.signed_at,
            &commitment.0,
        )?;
    }
    Ok(changed == 1)
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
