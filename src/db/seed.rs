//! Bulk loading of confirmed signatures, for benchmarks and tests that need
//! many rows (or rows the forms would refuse, to test output escaping).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::columns;
use super::schema::signatures as s;
use super::{DbConnection, counts};
use crate::crypto::PetitionKeys;
use crate::domain::{Personal, StoredPersonal};

/// A seeded row's made-up email key: distinct per address, and telling
/// nothing of it (SHA-256 of `seed/<petition>/<address>`).
fn seed_key(petition_id: i64, address: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(format!("seed/{petition_id}/{address}")).to_vec()
}

/// Personal data as a seeded row stores it: sealed under `keys`, or in the
/// clear without (as a database from before encryption at rest holds it).
fn stored(keys: Option<&PetitionKeys>, email_key: &[u8], personal: Personal) -> StoredPersonal {
    match keys {
        Some(keys) => StoredPersonal::Sealed(keys.seal(email_key, &personal)),
        None => StoredPersonal::Clear(personal),
    }
}

/// A confirmed signature to load.
#[derive(Debug, Clone)]
pub struct SeedRow {
    pub name: String,
    pub country: String,
    pub postcode: Option<String>,
    pub email: String,
    pub keep_informed: bool,
}

/// Inserts confirmed signatures in multi-row statements and counts them,
/// sealed under `keys` (the petition's; None: in the clear). Each gets a
/// distinct made-up email key (`seed_key`), so emails must
/// be distinct.
pub fn confirmed(
    conn: &mut DbConnection,
    petition_id: i64,
    rows: &[SeedRow],
    now: NaiveDateTime,
    keys: Option<&PetitionKeys>,
) -> QueryResult<()> {
    for chunk in rows.chunks(1000) {
        let personal: Vec<(Vec<u8>, StoredPersonal)> = chunk
            .iter()
            .map(|r| {
                let email_key = seed_key(petition_id, &r.email);
                let p = Personal { email: r.email.clone(), name: r.name.clone(), postcode: r.postcode.clone() };
                let sealed = stored(keys, &email_key, p);
                (email_key, sealed)
            })
            .collect();
        let values: Vec<_> = chunk
            .iter()
            .zip(&personal)
            .map(|(r, (email_key, stored))| {
                let (sealed, email, name, postcode) = columns(stored);
                (
                    s::petition_id.eq(petition_id),
                    s::email_key.eq(Some(email_key)),
                    s::personal.eq(sealed),
                    s::email.eq(email),
                    s::name.eq(name),
                    s::country.eq(r.country.as_str()),
                    s::postcode.eq(postcode),
                    s::keep_informed.eq(r.keep_informed),
                    s::status.eq("confirmed"),
                    s::created_at.eq(now),
                    s::confirmed_at.eq(Some(now)),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(s::table).values(values).execute(c))?;
        let mut per_country: HashMap<&str, i32> = HashMap::new();
        for r in chunk {
            *per_country.entry(r.country.as_str()).or_default() += 1;
        }
        for (country, n) in per_country {
            counts::record_confirmed(conn, petition_id, country, now.date(), n)?;
        }
    }
    Ok(())
}

/// Queues for the transparency log, as confirming does, every confirmed
/// signature of a petition that has neither a leaf nor a queued row (those
/// [`confirmed`] loaded), each with the commitment of a random receipt
/// nobody holds; returns how many. Benchmarks leave their rows unlogged.
pub fn queue_leaves(conn: &mut DbConnection, petition_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    use rand::RngCore;

    use super::schema::{tlog_leaves as l, tlog_pending as q};
    let queued = q::table.select(q::signature_id);
    let leaved = l::table.filter(l::signature_id.is_not_null()).select(l::signature_id.assume_not_null());
    let rows: Vec<(i64, String)> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::status.eq("confirmed"))
        .filter(diesel::dsl::not(s::id.eq_any(queued)))
        .filter(diesel::dsl::not(s::id.eq_any(leaved)))
        .order(s::id)
        .select((s::id, s::country))
        .load(conn)?;
    for chunk in rows.chunks(1000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(id, country)| {
                let mut commitment = vec![0u8; 32];
                rand::rng().fill_bytes(&mut commitment);
                (
                    q::petition_id.eq(petition_id),
                    q::signature_id.eq(*id),
                    q::withdrawn.eq(false),
                    q::country.eq(country.as_str()),
                    q::day.eq(now.date()),
                    q::signed_at.eq(now),
                    q::commitment.eq(Some(commitment)),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(q::table).values(values).execute(c))?;
    }
    Ok(rows.len())
}

/// Inserts `n` pending signatures (emails `{prefix}{i}@example.com`),
/// sealed under `keys` (None: in the clear), and returns their ids, in order.
pub fn pending(
    conn: &mut DbConnection,
    petition_id: i64,
    prefix: &str,
    n: usize,
    now: NaiveDateTime,
    keys: Option<&PetitionKeys>,
) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(n);
    let countries = ["GB", "FR", "KE", "BR", "IN"];
    for start in (0..n).step_by(1000) {
        let personal: Vec<(Vec<u8>, StoredPersonal)> = (start..(start + 1000).min(n))
            .map(|i| {
                let email_key = seed_key(petition_id, &format!("{prefix}{i}"));
                let p = Personal {
                    email: format!("{prefix}{i}@example.com"),
                    name: format!("Pending Signer {i}"),
                    postcode: None,
                };
                let sealed = stored(keys, &email_key, p);
                (email_key, sealed)
            })
            .collect();
        let values: Vec<_> = (start..(start + 1000).min(n))
            .zip(&personal)
            .map(|(i, (email_key, stored))| {
                let (sealed, email, name, _) = columns(stored);
                (
                    s::petition_id.eq(petition_id),
                    s::email_key.eq(Some(email_key)),
                    s::personal.eq(sealed),
                    s::email.eq(email),
                    s::name.eq(name),
                    s::country.eq(countries[i % countries.len()]),
                    s::keep_informed.eq(false),
                    s::status.eq("pending"),
                    s::created_at.eq(now),
                    s::mails_queued.eq(1),
                    s::last_mail_at.eq(Some(now)),
                )
            })
            .collect();
        let mut batch: Vec<i64> = crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(s::table)
            .values(values)
            .returning(s::id)
            .get_results(c))?;
        batch.sort_unstable();
        ids.extend(batch);
    }
    Ok(ids)
}

/// Stores a confirmation token for each signature (of the petition whose
/// keys are `keys`; None: stored in the clear); returns the tokens.
pub fn tokens(
    conn: &mut DbConnection,
    signature_ids: &[i64],
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    keys: Option<&PetitionKeys>,
    bind: impl Fn(&crate::domain::SignatureDetails) -> crate::domain::DetailsDigest,
) -> QueryResult<Vec<crate::domain::Token>> {
    use super::schema::signature_tokens as t;
    let tokens: Vec<crate::domain::Token> = signature_ids.iter().map(|_| crate::domain::Token::generate()).collect();
    for (ids, toks) in signature_ids.chunks(1000).zip(tokens.chunks(1000)) {
        // Each link bound to its signature's details, as the mail worker binds them.
        type Row = (
            i64,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            String,
            bool,
        );
        let rows: Vec<Row> = s::table
            .filter(s::id.eq_any(ids))
            .select((
                s::id,
                s::email_key,
                s::personal,
                s::email,
                s::name,
                s::country,
                s::postcode,
                s::lang,
                s::keep_informed,
            ))
            .load(conn)?;
        let digests: HashMap<i64, Vec<u8>> = rows
            .into_iter()
            .map(|(id, email_key, sealed, email, name, country, postcode, lang, keep_informed)| {
                let personal = match (StoredPersonal::from_columns(sealed, email, name, postcode), keys) {
                    (Some(StoredPersonal::Sealed(bytes)), Some(keys)) => {
                        keys.open(&email_key.unwrap_or_default(), &bytes).ok()
                    }
                    (Some(StoredPersonal::Clear(p)), _) => Some(p),
                    _ => None,
                };
                let (name, postcode) = personal.map(|p| (p.name, p.postcode)).unwrap_or_default();
                let details = crate::domain::SignatureDetails {
                    name,
                    country,
                    postcode,
                    language: crate::domain::Language::from_db(&lang),
                    keep_informed,
                };
                (id, bind(&details).0.to_vec())
            })
            .collect();
        let values: Vec<_> = ids
            .iter()
            .zip(toks)
            .map(|(id, tok)| {
                (
                    t::token_hash.eq(tok.hash().0.to_vec()),
                    t::signature_id.eq(*id),
                    t::created_at.eq(now),
                    t::expires_at.eq(expires_at),
                    t::details_digest.eq(digests.get(id).cloned()),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(t::table).values(values).execute(c))?;
    }
    Ok(tokens)
}

/// Queues a confirmation mail for each signature.
pub fn outbox(conn: &mut DbConnection, signature_ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    super::outbox::enqueue_many(conn, signature_ids, crate::domain::MailKind::Confirm, now)
}

/// Queues `n` confirmations of made-up signatures (ids from 1, countries in
/// turn, commitments SHA-256 of the index) for the log of a petition, in
/// multi-row statements: a log of any size for the benchmarks.
pub fn log_queue(conn: &mut DbConnection, petition_id: i64, n: usize, now: NaiveDateTime) -> QueryResult<()> {
    use sha2::{Digest, Sha256};

    use super::schema::tlog_pending as q;
    let countries = ["GB", "FR", "KE", "BR", "IN", "CN", "EG", "US", "JP", "MX"];
    for start in (0..n).step_by(1000) {
        let values: Vec<_> = (start..(start + 1000).min(n))
            .map(|i| {
                (
                    q::petition_id.eq(petition_id),
                    q::signature_id.eq(i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1)),
                    q::withdrawn.eq(false),
                    q::country.eq(countries[i % countries.len()]),
                    q::day.eq(now.date()),
                    q::signed_at.eq(now),
                    q::commitment.eq(Some(Sha256::digest(i.to_be_bytes()).to_vec())),
                )
            })
            .collect();
        crate::on_each_backend!(&mut *conn, |c| diesel::insert_into(q::table).values(values).execute(c))?;
    }
    Ok(())
}
