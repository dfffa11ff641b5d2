//! The audit trail's chain, pure functions of its records: what a record's
//! mac covers, and walking records in order to find where the chain breaks.
//!
//! A record's mac is HMAC-SHA256, under the trail's key, of
//! `"undersigned/audit/v1\0"`, the previous record's mac (32 zero bytes
//! before the first) and the record's fields, each length-prefixed so that
//! no two records encode alike. Ids run from 1 without gaps. So a record
//! changed, removed, inserted or moved breaks the chain at that point, and
//! someone who can write to the database but does not hold the key (derived
//! from SECRET_KEY, kept outside it) cannot mend it. Records removed from
//! the end leave a valid chain: a head saved earlier ([`Head`]) finds that.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every mac begins with: this format, and nothing else's.
const DOMAIN: &[u8] = b"undersigned/audit/v1\0";

/// The "previous mac" of the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// The key the chain is made with.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(redacted)")
    }
}

/// A record's fields, as its mac covers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields<'a> {
    pub id: i64,
    pub at: NaiveDateTime,
    pub organiser_id: Option<i64>,
    pub actor: &'a str,
    pub network: Option<&'a [u8]>,
    pub kind: &'a str,
    pub petition_id: Option<i64>,
    pub detail: &'a str,
}

impl AuditKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The deployment's (derived from SECRET_KEY).
    pub fn of(keys: &crate::keys::Keys) -> Self {
        Self(keys.audit_key())
    }

    /// The mac of `record` following a record whose mac was `previous`.
    pub fn mac(&self, previous: &[u8; 32], record: &Fields<'_>) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(&encode(previous, record));
        mac.finalize().into_bytes().into()
    }
}

/// The bytes a mac covers.
fn encode(previous: &[u8; 32], r: &Fields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(DOMAIN.len() + 32 + 64 + r.actor.len() + r.kind.len() + r.detail.len());
    out.extend_from_slice(DOMAIN);
    out.extend_from_slice(previous);
    out.extend_from_slice(&r.id.to_be_bytes());
    out.extend_from_slice(&r.at.and_utc().timestamp_micros().to_be_bytes());
    optional_number(&mut out, r.organiser_id);
    bytes(&mut out, r.actor.as_bytes());
    match r.network {
        Some(n) => {
            out.push(1);
            bytes(&mut out, n);
        }
        None => out.push(0),
    }
    bytes(&mut out, r.kind.as_bytes());
    optional_number(&mut out, r.petition_id);
    bytes(&mut out, r.detail.as_bytes());
    out
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_be_bytes());
    out.extend_from_slice(b);
}

fn optional_number(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => {
            out.push(1);
            out.extend_from_slice(&n.to_be_bytes());
        }
        None => out.push(0),
    }
}

/// A time as the trail stores it: to the microsecond, which both databases
/// keep exactly (so that the mac of a record read back is the one written).
pub fn stored_time(at: NaiveDateTime) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_micros(at.and_utc().timestamp_micros()).map_or(at, |t| t.naive_utc())
}

/// A point of the trail, to check later that nothing before it changed
/// and nothing after it was removed: `ID:MAC` (the mac in hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub id: i64,
    pub mac: [u8; 32],
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.id, hex::encode(self.mac))
    }
}

/// Why a head does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a head is ID:MAC as `audit verify` prints it (a record number, a colon, 64 hex digits)")]
pub struct HeadError;

impl FromStr for Head {
    type Err = HeadError;

    fn from_str(s: &str) -> Result<Self, HeadError> {
        let (id, mac) = s.trim().split_once(':').ok_or(HeadError)?;
        let id: i64 = id.parse().map_err(|_| HeadError)?;
        let mac: [u8; 32] = hex::decode(mac).ok().and_then(|m| m.try_into().ok()).ok_or(HeadError)?;
        if id < 1 {
            return Err(HeadError);
        }
        Ok(Self { id, mac })
    }
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The record's mac is not that of its fields after the record before:
    /// it (or the one before it) was changed, or records were moved.
    #[error("record {id} does not match its mac: it was changed, or records around it were moved")]
    Changed { id: i64 },
    /// The ids skip: records were removed (or inserted with made-up ids).
    #[error("record {expected} is missing (the next is {found}): records were removed")]
    Missing { expected: i64, found: i64 },
    /// The saved head is not in the trail as it was.
    #[error("record {id}, the saved head, is not as it was: the trail was rewritten or cut back before it")]
    HeadChanged { id: i64 },
    /// The trail ends before the saved head.
    #[error("the trail ends at record {last}, before the saved head {head}: records were removed from its end")]
    Truncated { head: i64, last: i64 },
}

/// Walks records in id order from a known point, checking each.
#[derive(Debug, Clone)]
pub struct Walk<'k> {
    key: &'k AuditKey,
    previous: [u8; 32],
    next_id: i64,
}

impl<'k> Walk<'k> {
    /// From the trail's beginning.
    pub fn from_start(key: &'k AuditKey) -> Self {
        Self { key, previous: GENESIS, next_id: 1 }
    }

    /// Checks the next record.
    pub fn check(&mut self, record: &Fields<'_>, mac: &[u8]) -> Result<(), Break> {
        if record.id != self.next_id {
            return Err(Break::Missing { expected: self.next_id, found: record.id });
        }
        let expected = self.key.mac(&self.previous, record);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], mac)) {
            return Err(Break::Changed { id: record.id });
        }
        self.previous = expected;
        self.next_id += 1;
        Ok(())
    }

    /// The head after the records checked so far (None before the first).
    pub fn head(&self) -> Option<Head> {
        (self.next_id > 1).then_some(Head { id: self.next_id - 1, mac: self.previous })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    struct Owned {
        id: i64,
        at: NaiveDateTime,
        organiser_id: Option<i64>,
        actor: String,
        network: Option<Vec<u8>>,
        kind: String,
        petition_id: Option<i64>,
        detail: String,
    }

    impl Owned {
        fn fields(&self) -> Fields<'_> {
            Fields {
                id: self.id,
                at: self.at,
                organiser_id: self.organiser_id,
                actor: &self.actor,
                network: self.network.as_deref(),
                kind: &self.kind,
                petition_id: self.petition_id,
                detail: &self.detail,
            }
        }
    }

    fn record(id: i64, detail: &str) -> Owned {
        Owned {
            id,
            at: at("2026-12-06 21:00:00.123456"),
            organiser_id: Some(7),
            actor: "ana@example.org".into(),
            network: Some(vec![1; 32]),
            kind: "sign_in".into(),
            petition_id: None,
            detail: detail.into(),
        }
    }

    /// A chain of records and their macs.
    fn chain(key: &AuditKey, records: &[Owned]) -> Vec<[u8; 32]> {
        let mut previous = GENESIS;
        records
            .iter()
            .map(|r| {
                previous = key.mac(&previous, &r.fields());
                previous
            })
            .collect()
    }

    fn walk(key: &AuditKey, records: &[Owned], macs: &[[u8; 32]]) -> Result<Option<Head>, Break> {
        let mut walk = Walk::from_start(key);
        for (r, mac) in records.iter().zip(macs) {
            walk.check(&r.fields(), mac)?;
        }
        Ok(walk.head())
    }

    #[test]
    fn an_untouched_chain_verifies_and_names_its_head() {
        let key = AuditKey::new([9; 32]);
        let records: Vec<Owned> = (1..=3).map(|i| record(i, &format!("r{i}"))).collect();
        let macs = chain(&key, &records);
        assert_eq!(walk(&key, &records, &macs), Ok(Some(Head { id: 3, mac: macs[2] })));
    }

    #[test]
    fn a_changed_removed_or_swapped_record_breaks_the_chain_where_it_happened() {
        let key = AuditKey::new([9; 32]);
        let mut records: Vec<Owned> = (1..=4).map(|i| record(i, &format!("r{i}"))).collect();
        let macs = chain(&key, &records);

        records[1].detail = "r2, edited".into();
        assert_eq!(walk(&key, &records, &macs), Err(Break::Changed { id: 2 }));
        records[1].detail = "r2".into();

        let (mut fewer, mut fewer_macs) = (Vec::new(), Vec::new());
        for (i, r) in records.iter().enumerate().filter(|(i, _)| *i != 1) {
            fewer.push(record(r.id, &r.detail));
            fewer_macs.push(macs[i]);
        }
        assert_eq!(walk(&key, &fewer, &fewer_macs), Err(Break::Missing { expected: 2, found: 3 }));

        // Swapped with their ids renumbered to hide the move.
        let swapped = vec![record(1, "r1"), record(2, "r3"), record(3, "r2"), record(4, "r4")];
        let swapped_macs = vec![macs[0], macs[2], macs[1], macs[3]];
        assert_eq!(walk(&key, &swapped, &swapped_macs), Err(Break::Changed { id: 2 }));

        // Someone without the key cannot make a chain that verifies.
        let forged = chain(&AuditKey::new([8; 32]), &records);
        assert_eq!(walk(&key, &records, &forged), Err(Break::Changed { id: 1 }));
    }

    #[test]
    fn every_field_is_covered() {
        let key = AuditKey::new([9; 32]);
        let base = record(1, "d");
        let mac = key.mac(&GENESIS, &base.fields());
        let variants: [fn(&mut Owned); 7] = [
            |r| r.at += chrono::TimeDelta::microseconds(1),
            |r| r.organiser_id = None,
            |r| r.actor.push('x'),
            |r| r.network = None,
            |r| r.kind = "sign_out".into(),
            |r| r.petition_id = Some(1),
            |r| r.detail.push('x'),
        ];
        for change in variants {
            let mut r = record(1, "d");
            change(&mut r);
            assert_ne!(key.mac(&GENESIS, &r.fields()), mac);
        }
    }

    #[test]
    fn times_are_kept_to_the_microsecond() {
        assert_eq!(stored_time(at("2026-12-06 21:00:00.123456789")), at("2026-12-06 21:00:00.123456"));
    }

    #[test]
    fn heads_read_back_as_printed() {
        let head = Head { id: 42, mac: [0xab; 32] };
        assert_eq!(head.to_string().parse::<Head>(), Ok(head));
        for bad in ["", "42", "x:ab", "0:ab", &format!("42:{}", "ab".repeat(31))] {
            assert_eq!(bad.parse::<Head>(), Err(HeadError), "{bad}");
        }
    }

    proptest! {
        /// Length prefixes: moving bytes from one text field to the next
        /// never gives the same mac.
        #[test]
        fn no_two_splits_of_the_same_text_encode_alike(text in "[a-z]{0,12}", cut in 0usize..13) {
            let cut = cut.min(text.len());
            let key = AuditKey::new([3; 32]);
            let mut a = record(1, "");
            let mut b = record(1, "");
            a.actor = text.clone();
            a.kind = String::new();
            b.actor = text[..cut].to_owned();
            b.kind = text[cut..].to_owned();
            prop_assume!(cut != text.len());
            prop_assert_ne!(key.mac(&GENESIS, &a.fields()), key.mac(&GENESIS, &b.fields()));
        }
    }
}
