//! Queries on `organisers`, their sessions, API tokens and failed logins.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{api_tokens as t, login_failures as f, organisers as o, sessions as s};

#[derive(Debug, Clone, Queryable)]
pub struct OrganiserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
}

const COLUMNS: (o::id, o::email, o::password_hash, o::created_at, o::password_changed_at) =
    (o::id, o::email, o::password_hash, o::created_at, o::password_changed_at);

/// Adds an organiser; a unique violation if the email is taken.
pub fn insert(conn: &mut DbConnection, email: &str, password_hash: &str, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(o::table)
        .values((
            o::email.eq(email),
            o::password_hash.eq(password_hash),
            o::created_at.eq(now),
            o::password_changed_at.eq(now),
        ))
        .returning(o::id)
        .get_result(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<OrganiserRow>> {
    o::table.filter(o::email.eq(email)).select(COLUMNS).first(conn).optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OrganiserRow>> {
    o::table.find(id).select(COLUMNS).first(conn).optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<OrganiserRow>> {
    o::table.select(COLUMNS).order(o::email).load(conn)
}

/// Removes an organiser with their sessions and tokens; false if unknown.
pub fn remove(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    let Some(row) = find_by_email(conn, email)? else {
        return Ok(false);
    };
    diesel::delete(s::table.filter(s::organiser_id.eq(row.id))).execute(conn)?;
    diesel::delete(t::table.filter(t::organiser_id.eq(row.id))).execute(conn)?;
    diesel::delete(o::table.find(row.id)).execute(conn)?;
    Ok(true)
}

/// Sets a new password hash, ends every session of the organiser and
/// revokes their API tokens (whoever knew the old password may have made
/// or copied one). Call it in one transaction.
pub fn set_password(conn: &mut DbConnection, email: &str, hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(row) = find_by_email(conn, email)? else {
        return Ok(false);
    };
    diesel::update(o::table.find(row.id))
        .set((o::password_hash.eq(hash), o::password_changed_at.eq(now)))
        .execute(conn)?;
    diesel::delete(s::table.filter(s::organiser_id.eq(row.id))).execute(conn)?;
    revoke_tokens_of(conn, row.id, now)?;
    Ok(true)
}

/// Revokes every live token of an organiser; returns how many.
pub fn revoke_tokens_of(conn: &mut DbConnection, organiser_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(t::table.filter(t::organiser_id.eq(organiser_id)).filter(t::revoked_at.is_null()))
        .set(t::revoked_at.eq(now))
        .execute(conn)
}

// ---- API tokens ----

#[derive(Debug, Clone, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub organiser_email: String,
    pub name: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert_token(
    conn: &mut DbConnection,
    organiser_id: i64,
    name: &str,
    hash: &[u8],
    prefix: &str,
    now: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
) -> QueryResult<i64> {
    diesel::insert_into(t::table)
        .values((
            t::organiser_id.eq(organiser_id),
            t::name.eq(name),
            t::token_hash.eq(hash),
            t::prefix.eq(prefix),
            t::created_at.eq(now),
            t::expires_at.eq(expires_at),
        ))
        .returning(t::id)
        .get_result(conn)
}

pub fn list_tokens(conn: &mut DbConnection) -> QueryResult<Vec<TokenRow>> {
    t::table
        .inner_join(o::table)
        .select((t::id, o::email, t::name, t::prefix, t::created_at, t::last_used_at, t::revoked_at, t::expires_at))
        .order(t::id)
        .load(conn)
}

/// Revokes a token; false if there is no such token or it was revoked.
pub fn revoke_token(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(t::table.find(id).filter(t::revoked_at.is_null()))
        .set(t::revoked_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
}

/// A token that may be used now: neither revoked nor expired.
#[derive(Debug, Clone, Queryable)]
pub struct LiveToken {
    pub organiser_id: i64,
    pub organiser_email: String,
    pub token_id: i64,
    pub name: String,
    pub last_used_at: Option<NaiveDateTime>,
}

/// The live token with this hash, if any: one read, no write, so that a
/// made-up token costs no more than a lookup.
pub fn find_live_token(conn: &mut DbConnection, hash: &[u8], now: NaiveDateTime) -> QueryResult<Option<LiveToken>> {
    t::table
        .inner_join(o::table)
        .filter(t::token_hash.eq(hash))
        .filter(t::revoked_at.is_null())
        .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
        .select((o::id, o::email, t::id, t::name, t::last_used_at))
        .first(conn)
        .optional()
}

/// Records that a token was used at `now`, unless its use was already
/// recorded after `unless_since` (by a parallel request, say).
pub fn record_token_use(
    conn: &mut DbConnection,
    token_id: i64,
    now: NaiveDateTime,
    unless_since: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        t::table
            .find(token_id)
            .filter(t::revoked_at.is_null())
            .filter(t::last_used_at.is_null().or(t::last_used_at.le(unless_since))),
    )
    .set(t::last_used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

// ---- failed logins ----

/// Starts a login attempt: under a lock per account and per client, counts
/// the recent failures and, if `allowed` says so, records this attempt as a
/// failure until [`forget_attempt`] says otherwise. Returns the attempt's
/// id, or None when throttled. Counting and recording in one locked step is
/// what keeps parallel guesses within the limits.
pub fn begin_attempt(
    conn: &mut DbConnection,
    account_key: &[u8],
    client_key: &[u8],
    device_key: Option<&[u8]>,
    since: NaiveDateTime,
    now: NaiveDateTime,
    allowed: impl FnOnce(&RecentFailures) -> bool,
) -> QueryResult<Option<i64>> {
    let lock_key = |k: &[u8]| i64::from_le_bytes(k.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
    super::locks::lock_for_transaction(conn, lock_key(account_key))?;
    super::locks::lock_for_transaction(conn, lock_key(client_key))?;
    let recent = recent_failures(conn, account_key, client_key, device_key, since)?;
    if !allowed(&recent) {
        return Ok(None);
    }
    // Failures older than a day no longer matter.
    diesel::delete(f::table.filter(f::at.lt(now - chrono::TimeDelta::days(1)))).execute(conn)?;
    diesel::insert_into(f::table)
        .values((
            f::account_key.eq(account_key),
            f::client_key.eq(client_key),
            f::device_key.eq(device_key),
            f::at.eq(now),
        ))
        .returning(f::id)
        .get_result(conn)
        .map(Some)
}

/// The attempt was not a failure after all: the password was right, or it
/// was never checked (the hasher was busy).
pub fn forget_attempt(conn: &mut DbConnection, attempt: i64) -> QueryResult<()> {
    diesel::delete(f::table.find(attempt)).execute(conn).map(|_| ())
}

/// Records a failed login directly (tests set up throttling with it; the
/// login itself goes through `begin_attempt`).
#[cfg(feature = "testing")]
pub fn record_failure(
    conn: &mut DbConnection,
    account_key: &[u8],
    client_key: &[u8],
    device_key: Option<&[u8]>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(f::table)
        .values((
            f::account_key.eq(account_key),
            f::client_key.eq(client_key),
            f::device_key.eq(device_key),
            f::at.eq(now),
        ))
        .execute(conn)?;
    // Failures older than a day no longer matter.
    diesel::delete(f::table.filter(f::at.lt(now - chrono::TimeDelta::days(1)))).execute(conn)?;
    Ok(())
}

/// Failures since `since`: for the account (all, and from clients without a
/// device cookie for it), for the device, and for the client address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecentFailures {
    pub account: i64,
    pub account_untrusted: i64,
    pub device: i64,
    pub client: i64,
}

pub fn recent_failures(
    conn: &mut DbConnection,
    account_key: &[u8],
    client_key: &[u8],
    device_key: Option<&[u8]>,
    since: NaiveDateTime,
) -> QueryResult<RecentFailures> {
    let recent = || f::table.filter(f::at.ge(since));
    let account = recent().filter(f::account_key.eq(account_key)).count().get_result(conn)?;
    let account_untrusted =
        recent().filter(f::account_key.eq(account_key)).filter(f::device_key.is_null()).count().get_result(conn)?;
    let device = match device_key {
        Some(k) => recent().filter(f::device_key.eq(k)).count().get_result(conn)?,
        None => 0,
    };
    let client = recent().filter(f::client_key.eq(client_key)).count().get_result(conn)?;
    Ok(RecentFailures { account, account_untrusted, device, client })
}
