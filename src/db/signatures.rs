//! Queries on `signatures` and `signature_tokens`: signing, confirming,
//! withdrawing. Each function runs inside the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::NewSignatureRow;
use super::schema::{signature_tokens as t, signatures as s};
use super::{DbConnection, counts, is_unique_violation, outbox};
use crate::domain::{
    DetailsDigest, HoldReason, Language, MailKind, NewSignature, SignatureDetails, SignatureStatus, TokenHash,
};

/// At most this many mails are ever queued for one signature.
pub const MAX_MAILS_PER_SIGNATURE: i32 = 5;
/// A repeat submission queues a mail only if the last was this long ago.
pub const RESEND_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// What a submission did. Callers answer every case the same way, so that
/// nobody can learn from the answer whether an address had signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutcome {
    /// A new pending signature and its confirmation mail.
    Created,
    /// Still pending: a fresh confirmation mail.
    ConfirmationResent,
    /// Already confirmed: an "already signed" mail.
    AlreadySignedNotified,
    /// A repeat beyond the mail limits: nothing sent, and a pending
    /// signature keeps its details (the links already mailed still confirm
    /// them).
    MailLimited,
    /// The petition closed before the signature could be stored.
    PetitionClosed,
    /// Stored but held for review: no mail until an organiser releases it.
    Held,
    /// Flagged, and the address had already signed (in any state but
    /// withdrawn): nothing written, nothing mailed.
    Ignored,
    /// Unflagged, and the address is there already: answered like a new
    /// signature, and handled (see [`sign`]) by [`follow_up`] once the
    /// answers are sent.
    Repeat,
}

/// Whether a batch's outcome leaves work for [`follow_up`].
pub fn needs_follow_up(outcome: SignOutcome) -> bool {
    matches!(outcome, SignOutcome::Held | SignOutcome::Repeat)
}

/// Does what a batch left for after its answers: the tallies of the
/// signatures it stored held, and each repeat (what the address's state
/// calls for, within the mail limits). Kept off the request path, so that
/// a repeat is answered as quickly as a new signature: the answer does not
/// wait for work that only a repeat needs. Returns what each repeat came to.
pub fn follow_up(
    conn: &mut DbConnection,
    left: &[(SignItem, SignOutcome)],
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<Vec<SignOutcome>> {
    let mut done = Vec::with_capacity(left.len());
    for (item, outcome) in left {
        let country = item.signature.country.code();
        done.push(match (outcome, item.held) {
            (SignOutcome::Held, Some(reason)) => {
                counts::record_tally(conn, item.petition_id, counts::Tally::Held(reason), country)?;
                SignOutcome::Held
            }
            (SignOutcome::Repeat, None) => {
                sign(conn, item.petition_id, &item.signature, &item.email_key, None, now, stale_before)?
            }
            (other, _) => *other,
        });
    }
    Ok(done)
}

/// Stores a pending signature and queues its confirmation mail, or, if this
/// person already signed this petition, does what their state calls for
/// (within the mail limits). The unique index on (petition, email key)
/// decides, so the result holds under any concurrency and across processes.
///
/// A pending signature whose every link has expired (its last mail was queued
/// before `stale_before`) is replaced by the new one, with a fresh mail budget.
///
/// With `held` (a flagged request), a new signature is stored held for
/// review, without a mail, and an address that has signed is left exactly as
/// it is. Without it, a signature held by the rate limit is released.
pub fn sign(
    conn: &mut DbConnection,
    petition_id: i64,
    new: &NewSignature,
    email_key: &[u8],
    held: Option<HoldReason>,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<SignOutcome> {
    let row = NewSignatureRow {
        petition_id,
        email_key,
        email: new.email.as_str(),
        name: new.name.as_str(),
        country: new.country.code(),
        postcode: new.postcode.as_ref().map(|p| p.as_str()),
        keep_informed: new.keep_informed,
        status: SignatureStatus::Pending.as_str(),
        created_at: now,
        mails_queued: if held.is_some() { 0 } else { 1 },
        last_mail_at: if held.is_some() { None } else { Some(now) },
        held_reason: held.map(HoldReason::as_str),
        lang: new.language.code(),
    };
    // The existing row may vanish between a failed insert and reading it
    // (withdrawn, or replaced as stale): then the insert is tried again.
    let mut last_error = None;
    for _ in 0..3 {
        // A savepoint, so that a duplicate leaves the outer transaction usable.
        let inserted = conn.transaction(|c| diesel::insert_into(s::table).values(&row).returning(s::id).get_result(c));
        match inserted {
            Ok(id) => {
                if let Some(reason) = held {
                    counts::record_tally(conn, petition_id, counts::Tally::Held(reason), new.country.code())?;
                    return Ok(SignOutcome::Held);
                }
                outbox::enqueue(conn, id, MailKind::Confirm, now)?;
                return Ok(SignOutcome::Created);
            }
            // Flagged: what is there stays as it is.
            Err(e) if is_unique_violation(&e) && held.is_some() => return Ok(SignOutcome::Ignored),
            Err(e) if is_unique_violation(&e) => {
                if let Some(outcome) = repeat(conn, petition_id, new, email_key, now, stale_before)? {
                    return Ok(outcome);
                }
                last_error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or(diesel::result::Error::RollbackTransaction))
}

/// Handles an unflagged submission for an address that already signed; None
/// if its signature is gone (or was stale and has been removed) and the
/// caller should insert afresh.
fn repeat(
    conn: &mut DbConnection,
    petition_id: i64,
    new: &NewSignature,
    email_key: &[u8],
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<Option<SignOutcome>> {
    type Existing =
        (i64, String, Option<NaiveDateTime>, Option<String>, Option<String>, String, Option<String>, bool, String);
    let existing: Option<Existing> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::email_key.eq(email_key))
        .select((
            s::id,
            s::status,
            s::last_mail_at,
            s::held_reason,
            s::name,
            s::country,
            s::postcode,
            s::keep_informed,
            s::lang,
        ))
        .first(conn)
        .optional()?;
    let Some((id, status, last_mail_at, held_reason, name, country, postcode, keep_informed, lang)) = existing else {
        return Ok(None);
    };
    // The links already mailed are bound to the details they showed: new
    // details are taken only with a mail that carries a link for them (so a
    // link already mailed keeps working until then), and that mail need not
    // wait for RESEND_AFTER (the cap on mails per signature still holds).
    let stored = name.map(|name| SignatureDetails {
        name,
        country,
        postcode,
        language: Language::from_db(&lang),
        keep_informed,
    });
    let details_change = stored.is_none_or(|stored| stored != SignatureDetails::of(new));
    let pending = s::table.find(id).filter(s::status.eq(SignatureStatus::Pending.as_str()));
    let details = (
        s::email.eq(new.email.as_str()),
        s::name.eq(new.name.as_str()),
        s::country.eq(new.country.code()),
        s::postcode.eq(new.postcode.as_ref().map(|p| p.as_str())),
        s::keep_informed.eq(new.keep_informed),
        s::lang.eq(new.language.code()),
    );
    let country = new.country.code();
    let resend_due = now - RESEND_AFTER;
    let (kind, outcome) = match SignatureStatus::from_db(&status) {
        // Held for a bot-like form (which only an organiser releases): it
        // waits for review with the latest details.
        SignatureStatus::Pending
            if held_reason.as_deref().is_some_and(|reason| reason != HoldReason::RateLimit.as_str()) =>
        {
            diesel::update(pending).set(details).execute(conn)?;
            counts::record_tally(conn, petition_id, counts::Tally::Duplicate, country)?;
            return Ok(Some(SignOutcome::Held));
        }
        // Held by the rate limit, now within it: released, and mailed below.
        SignatureStatus::Pending if held_reason.is_some() => {
            diesel::update(pending).set((details, s::held_reason.eq(None::<String>))).execute(conn)?;
            counts::record_tally(conn, petition_id, counts::Tally::Released, country)?;
            if !claim_mail(conn, id, now, resend_due)? {
                return Ok(Some(SignOutcome::MailLimited));
            }
            (MailKind::Confirm, SignOutcome::ConfirmationResent)
        }
        SignatureStatus::Pending if last_mail_at.is_none_or(|t| t < stale_before) => {
            // Every link sent for it has expired: start again from scratch.
            if diesel::delete(pending).execute(conn)? == 1 {
                outbox::delete_for_signature(conn, id)?;
            }
            return Ok(None);
        }
        SignatureStatus::Pending => {
            // The mailbox owner confirms what was submitted last (with the
            // link mailed for it), so someone who typed another person's
            // address first cannot fix the details.
            counts::record_tally(conn, petition_id, counts::Tally::Duplicate, country)?;
            if !claim_mail(conn, id, now, if details_change { now } else { resend_due })? {
                return Ok(Some(SignOutcome::MailLimited));
            }
            diesel::update(pending).set(details).execute(conn)?;
            (MailKind::Confirm, SignOutcome::ConfirmationResent)
        }
        SignatureStatus::Confirmed => {
            // Its details stay as confirmed; only the language of the mail
            // follows the form it was just sent from.
            diesel::update(s::table.find(id)).set(s::lang.eq(new.language.code())).execute(conn)?;
            counts::record_tally(conn, petition_id, counts::Tally::Duplicate, country)?;
            if !claim_mail(conn, id, now, resend_due)? {
                return Ok(Some(SignOutcome::MailLimited));
            }
            (MailKind::AlreadySigned, SignOutcome::AlreadySignedNotified)
        }
        SignatureStatus::Withdrawn => return Ok(None),
    };
    outbox::enqueue(conn, id, kind, now)?;
    Ok(Some(outcome))
}

/// Takes one mail from a signature's budget if it has one left and its last
/// mail went at or before `due`; conditional, so that two concurrent
/// repeats cannot both pass the limits.
fn claim_mail(conn: &mut DbConnection, id: i64, now: NaiveDateTime, due: NaiveDateTime) -> QueryResult<bool> {
    let claimed = diesel::update(
        s::table
            .find(id)
            .filter(s::mails_queued.lt(MAX_MAILS_PER_SIGNATURE))
            .filter(s::last_mail_at.is_null().or(s::last_mail_at.le(due))),
    )
    .set((s::mails_queued.eq(s::mails_queued + 1), s::last_mail_at.eq(now)))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// One signature to store, in a batch.
#[derive(Debug, Clone)]
pub struct SignItem {
    pub petition_id: i64,
    pub signature: NewSignature,
    pub email_key: [u8; 32],
    /// Store it held for review, without a mail.
    pub held: Option<HoldReason>,
}

/// Signs a batch in the caller's transaction (group commit): one multi-row
/// INSERT … ON CONFLICT DO NOTHING for the signatures, one for their mails;
/// whatever did not insert (a repeat, or the second of two identical
/// submissions in the batch) is `Repeat` (or `Ignored`, if flagged), left
/// for [`follow_up`], which puts it through [`sign`] exactly as it would go
/// alone. Returns one outcome per item, in order.
pub fn sign_batch(conn: &mut DbConnection, items: &[SignItem], now: NaiveDateTime) -> QueryResult<Vec<SignOutcome>> {
    // The petition's state as of this transaction decides, not the public
    // snapshot (which may be a second old): closing takes effect at once.
    let mut petition_ids: Vec<i64> = items.iter().map(|i| i.petition_id).collect();
    petition_ids.sort_unstable();
    petition_ids.dedup();
    let open: std::collections::HashSet<i64> =
        super::petitions::open_among(conn, &petition_ids, now)?.into_iter().collect();
    let (indexes, open_items): (Vec<usize>, Vec<&SignItem>) =
        items.iter().enumerate().filter(|(_, item)| open.contains(&item.petition_id)).unzip();
    let mut outcomes = vec![SignOutcome::PetitionClosed; items.len()];
    for (index, outcome) in indexes.into_iter().zip(sign_open(conn, &open_items, now)?) {
        outcomes[index] = outcome;
    }
    Ok(outcomes)
}

fn sign_open(conn: &mut DbConnection, items: &[&SignItem], now: NaiveDateTime) -> QueryResult<Vec<SignOutcome>> {
    let rows: Vec<NewSignatureRow<'_>> = items
        .iter()
        .map(|item| NewSignatureRow {
            petition_id: item.petition_id,
            email_key: &item.email_key,
            email: item.signature.email.as_str(),
            name: item.signature.name.as_str(),
            country: item.signature.country.code(),
            postcode: item.signature.postcode.as_ref().map(|p| p.as_str()),
            keep_informed: item.signature.keep_informed,
            status: SignatureStatus::Pending.as_str(),
            created_at: now,
            mails_queued: if item.held.is_some() { 0 } else { 1 },
            last_mail_at: if item.held.is_some() { None } else { Some(now) },
            held_reason: item.held.map(HoldReason::as_str),
            lang: item.signature.language.code(),
        })
        .collect();
    let mut inserted: std::collections::HashMap<(i64, Vec<u8>), i64> = std::collections::HashMap::new();
    let returned: Vec<(i64, i64, Option<Vec<u8>>)> = match conn {
        // One constant statement for the whole batch, signatures and their
        // mails together: arrays instead of a VALUES list, so the server
        // parses and plans it once and reuses the plan.
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            pg_insert_batch(c, &rows, now)?.into_iter().map(|r| (r.id, r.petition_id, Some(r.email_key))).collect()
        }
        // In-process: a statement per row costs little; the commit is what counts.
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => {
            let mut returned = Vec::with_capacity(rows.len());
            for row in &rows {
                let one = diesel::insert_into(s::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .returning((s::id, s::petition_id, s::email_key))
                    .get_result(c);
                returned.extend(one.optional()?);
            }
            returned
        }
    };
    inserted.extend(returned.into_iter().filter_map(|(id, petition, key)| Some(((petition, key?), id))));
    let mut outcomes = Vec::with_capacity(items.len());
    let mut created = Vec::new();
    // On PostgreSQL the batch statement queued the new signatures' mails itself.
    #[cfg(feature = "postgres")]
    let mails_queued = matches!(conn, DbConnection::Postgres(_));
    #[cfg(not(feature = "postgres"))]
    let mails_queued = false;
    for item in items {
        // The first item with a key that was inserted is the one that inserted it.
        match inserted.remove(&(item.petition_id, item.email_key.to_vec())) {
            // Its tally is kept for the follow-up.
            Some(_) if item.held.is_some() => outcomes.push(SignOutcome::Held),
            Some(id) => {
                created.push(id);
                outcomes.push(SignOutcome::Created);
            }
            // Flagged, and the address is there already (or earlier in this
            // batch): nothing is written, as for any flagged repeat.
            None if item.held.is_some() => outcomes.push(SignOutcome::Ignored),
            // Answered now, handled by the follow-up.
            None => outcomes.push(SignOutcome::Repeat),
        }
    }
    if !mails_queued {
        outbox::enqueue_many(conn, &created, MailKind::Confirm, now)?;
    }
    Ok(outcomes)
}

#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct InsertedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    petition_id: i64,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    email_key: Vec<u8>,
}

/// Inserts the batch's signatures that are not already there, and a
/// confirmation mail for each, in one statement.
#[cfg(feature = "postgres")]
fn pg_insert_batch(
    c: &mut diesel::PgConnection,
    rows: &[NewSignatureRow<'_>],
    now: NaiveDateTime,
) -> QueryResult<Vec<InsertedRow>> {
    use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, Text, Timestamp};
    const SQL: &str = "WITH new AS ( \
           INSERT INTO signatures (petition_id, email_key, email, name, country, postcode, keep_informed, \
                                   status, created_at, mails_queued, last_mail_at, held_reason, lang) \
           SELECT p, k, e, n, c, pc, ki, 'pending', $8, CASE WHEN h IS NULL THEN 1 ELSE 0 END, \
                  CASE WHEN h IS NULL THEN $8 END, h, l \
           FROM unnest($1, $2, $3, $4, $5, $6, $7, $9, $10) AS t(p, k, e, n, c, pc, ki, h, l) \
           ON CONFLICT DO NOTHING \
           RETURNING id, petition_id, email_key, held_reason), \
         mail AS ( \
           INSERT INTO outbox (kind, signature_id, attempts, next_attempt_at, created_at) \
           SELECT 'confirm', id, 0, $8, $8 FROM new WHERE held_reason IS NULL) \
         SELECT id, petition_id, email_key FROM new";
    diesel::sql_query(SQL)
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.petition_id).collect::<Vec<_>>())
        .bind::<Array<Binary>, _>(rows.iter().map(|r| r.email_key.to_vec()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.email).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.name).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.country).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.postcode).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(rows.iter().map(|r| r.keep_informed).collect::<Vec<_>>())
        .bind::<Timestamp, _>(now)
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.held_reason).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.lang).collect::<Vec<_>>())
        .load(c)
}

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
    String,
    Option<String>,
    bool,
    Option<Vec<u8>>,
);

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
            t::expires_at,
            s::lang,
            s::postcode,
            s::keep_informed,
            t::details_digest,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(signature_id, petition_id, status, name, country, confirmed_at, expires_at, lang, postcode, keep, bound)| {
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
                expires_at,
                bound_to: bound.as_deref().and_then(DetailsDigest::from_db),
            }
        },
    ))
}

/// Confirms a pending signature if its details are still exactly
/// `details` (compared in the same statement, so that a change committed
/// meanwhile wins); returns whether it did. The count follows.
pub fn confirm_as(
    conn: &mut DbConnection,
    target: &TokenTarget,
    details: &SignatureDetails,
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
    }
    Ok(changed == 1)
}

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
        }
        diesel::delete(t::table.filter(t::signature_id.eq(target.signature_id))).execute(conn)?;
        outbox::delete_for_signature(conn, target.signature_id)?;
        return Ok(WithdrawOutcome::Withdrawn { petition_id: target.petition_id, signature_id: target.signature_id });
    }
    Ok(WithdrawOutcome::Unknown)
}

/// Which of these signatures still hold personal data (not withdrawn,
/// erased, purged or discarded).
pub fn holding_personal_data(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let mut alive = Vec::new();
    for chunk in ids.chunks(500) {
        alive.extend(
            s::table.filter(s::id.eq_any(chunk)).filter(s::email.is_not_null()).select(s::id).load::<i64>(conn)?,
        );
    }
    Ok(alive)
}

/// Signatures of a petition by state, for the command line and tests.
pub fn status_counts(conn: &mut DbConnection, petition_id: i64) -> QueryResult<Vec<(String, i64)>> {
    s::table
        .filter(s::petition_id.eq(petition_id))
        .group_by(s::status)
        .select((s::status, diesel::dsl::count_star()))
        .load(conn)
}
