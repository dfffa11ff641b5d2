//! The organisers' audit trail: what every organiser, API token and
//! command did, when, from which network, to which petition; append-only
//! and tamper-evident (see [`chain`] and docs/audit.md).
//!
//! An action and its record are written in one transaction where the
//! action writes ([`append`]); a read worth recording (an export, a list
//! of held names) records first, so that nothing is read unrecorded.

pub mod chain;

use std::net::IpAddr;

use diesel::QueryResult;

pub use chain::{AuditKey, Break, Head, HeadError};

use crate::auth::Actor;
use crate::db::audit::{self as stored, AuditRow};
use crate::db::{Db, DbConnection, DbError};
use crate::keys::Keys;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SignIn,
    SignInFailed,
    SignOut,
    PetitionCreated,
    PetitionEdited,
    PetitionOpened,
    PetitionClosed,
    TranslationSaved,
    TranslationRemoved,
    HeldViewed,
    HeldReviewed,
    Export,
    OutboxRetried,
    KeysExported,
    KeysRotated,
    KeysRetired,
    OrganiserAdded,
    OrganiserRemoved,
    PasswordChanged,
    TokenCreated,
    TokenRevoked,
}

impl Kind {
    pub const ALL: [Kind; 21] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SignOut,
        Self::PetitionCreated,
        Self::PetitionEdited,
        Self::PetitionOpened,
        Self::PetitionClosed,
        Self::TranslationSaved,
        Self::TranslationRemoved,
        Self::HeldViewed,
        Self::HeldReviewed,
        Self::Export,
        Self::OutboxRetried,
        Self::KeysExported,
        Self::KeysRotated,
        Self::KeysRetired,
        Self::OrganiserAdded,
        Self::OrganiserRemoved,
        Self::PasswordChanged,
        Self::TokenCreated,
        Self::TokenRevoked,
    ];

    /// As stored, and as the dashboard's and the CSV's filter names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::PetitionCreated => "petition_created",
            Self::PetitionEdited => "petition_edited",
            Self::PetitionOpened => "petition_opened",
            Self::PetitionClosed => "petition_closed",
            Self::TranslationSaved => "translation_saved",
            Self::TranslationRemoved => "translation_removed",
            Self::HeldViewed => "held_viewed",
            Self::HeldReviewed => "held_reviewed",
            Self::Export => "export",
            Self::OutboxRetried => "outbox_retried",
            Self::KeysExported => "keys_exported",
            Self::KeysRotated => "keys_rotated",
            Self::KeysRetired => "keys_retired",
            Self::OrganiserAdded => "organiser_added",
            Self::OrganiserRemoved => "organiser_removed",
            Self::PasswordChanged => "password_changed",
            Self::TokenCreated => "token_created",
            Self::TokenRevoked => "token_revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The network a request came from, as the trail keeps it: a keyed hash of
/// the client's address (an IPv6 /64 as one), the one login throttling
/// keeps, so that the trail names no address yet shows which records came
/// from one network.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Network([u8; 32]);

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Network({})", hex::encode(&self.0[..4]))
    }
}

impl Network {
    pub fn of(keys: &Keys, client: Option<IpAddr>) -> Self {
        Self(keys.login_key("client", crate::auth::throttle::client_prefix(client).as_bytes()))
    }
}

/// Who acts, as the trail records them, and the key it records with: made
/// once per request or command, handed to the operation that records.
#[derive(Debug, Clone)]
pub struct Recorder {
    key: AuditKey,
    actor: Actor,
    /// None for the command line.
    network: Option<Network>,
}

impl Recorder {
    pub fn new(keys: &Keys, actor: Actor, network: Option<Network>) -> Self {
        Self { key: AuditKey::of(keys), actor, network }
    }

    /// The command line: no network.
    pub fn command_line(keys: &Keys) -> Self {
        Self::new(keys, Actor::command_line(), None)
    }

    /// The command line, before the keys are loaded (the key commands
    /// resolve SECRET_KEY themselves).
    pub fn command_line_with(secret_key: &[u8]) -> Self {
        Self { key: AuditKey::new(crate::keys::audit_key(secret_key)), actor: Actor::command_line(), network: None }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Appends a record of `kind`, in the caller's transaction, after the
    /// trail's last; returns its id. `detail` says what, in words (never a
    /// signer's personal data).
    pub fn append(
        &self,
        conn: &mut DbConnection,
        kind: Kind,
        petition_id: Option<i64>,
        detail: &str,
    ) -> QueryResult<i64> {
        let (last_id, previous) = match stored::last_for_append(conn)? {
            Some((id, mac)) => (id, <[u8; 32]>::try_from(mac).map_err(|_| malformed(id))?),
            None => (0, chain::GENESIS),
        };
        // After the lock: times never run backwards along the ids.
        let now = crate::now();
        let mut row = AuditRow {
            id: last_id + 1,
            at: chain::stored_time(now),
            organiser_id: self.actor.organiser_id,
            actor: self.actor.description.clone(),
            network: self.network.map(|n| n.0.to_vec()),
            kind: kind.as_str().to_owned(),
            petition_id,
            detail: detail.to_owned(),
            mac: Vec::new(),
        };
        row.mac = self.key.mac(&previous, &fields(&row)).to_vec();
        stored::insert(conn, &row)?;
        Ok(row.id)
    }

    /// [`Recorder::append`] in a transaction of its own.
    pub async fn record(&self, db: &Db, kind: Kind, petition_id: Option<i64>, detail: &str) -> Result<i64, DbError> {
        let (me, detail) = (self.clone(), detail.to_owned());
        db.write(move |c| me.append(c, kind, petition_id, &detail)).await
    }
}

/// The error an append gives after a record whose mac is not 32 bytes:
/// the trail was tampered with, and a record chained to anything else
/// would hide it.
fn malformed(id: i64) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("audit record {id} has a malformed mac").into())
}

fn fields(row: &AuditRow) -> chain::Fields<'_> {
    chain::Fields {
        id: row.id,
        at: row.at,
        organiser_id: row.organiser_id,
        actor: &row.actor,
        network: row.network.as_deref(),
        kind: &row.kind,
        petition_id: row.petition_id,
        detail: &row.detail,
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record checked holds; `head` is the last (None: no record).
    Intact {
        checked: u64,
        head: Option<Head>,
    },
    Broken(Break),
}

/// Records read per query while verifying.
const VERIFY_CHUNK: i64 = 10_000;

/// Checks the chain from its first record. With `since` (a head saved
/// earlier) the record at that head must still have the mac it had then,
/// and the trail must reach it: so records cut from the end, or a chain
/// rewritten up to the head, are found too.
pub fn verify(conn: &mut DbConnection, key: &AuditKey, since: Option<&Head>) -> QueryResult<Verdict> {
    let mut walk = chain::Walk::from_start(key);
    // From the lowest id there is: a record below 1 (the schema refuses
    // them, but someone who can write could drop that) breaks the chain.
    let (mut after, mut checked) = (i64::MIN, 0u64);
    loop {
        let rows = stored::after(conn, after, VERIFY_CHUNK)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            if let Err(b) = walk.check(&fields(row), &row.mac) {
                return Ok(Verdict::Broken(b));
            }
            checked += 1;
            if let Some(head) = since
                && row.id == head.id
                && walk.head() != Some(*head)
            {
                return Ok(Verdict::Broken(Break::HeadChanged { id: head.id }));
            }
        }
    }
    let head = walk.head();
    if let Some(saved) = since {
        let last = head.map_or(0, |h| h.id);
        if last < saved.id {
            return Ok(Verdict::Broken(Break::Truncated { head: saved.id, last }));
        }
    }
    Ok(Verdict::Intact { checked, head })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_stored_and_no_two_share_a_name() {
        let names: std::collections::HashSet<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("Sign_In"), None);
    }
}
