//! A leaf of a petition's log: fixed-size bytes with no personal data.
//!
//! Version 1 (all integers big-endian):
//!
//! | kind      | bytes                                                                     | size |
//! |-----------|---------------------------------------------------------------------------|------|
//! | confirmed | `01` ‖ `01` ‖ country (2 ASCII letters) ‖ day (u32, days since 1970-01-01) ‖ text hash (32) ‖ commitment (32) | 72 |
//! | withdrawn | `01` ‖ `02` ‖ index of the confirmed leaf it cancels (u64)                | 10   |
//!
//! The commitment is SHA-256 of the signer's receipt secret (256 random
//! bits that only the signer holds), so a leaf cannot be tested against a
//! guessed email address; the day is the UTC date of the confirmation, and
//! the text hash is [`text_hash`] of the petition's text as it stood when
//! the person signed.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::Hash;

/// The leaf format's version byte.
pub const VERSION: u8 = 1;
const KIND_CONFIRMED: u8 = 1;
const KIND_WITHDRAWN: u8 = 2;
/// Size of a confirmed leaf.
pub const CONFIRMED_LEN: usize = 72;
/// Size of a withdrawal leaf.
pub const WITHDRAWN_LEN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// A confirmed signature.
    Confirmed { country: [u8; 2], day: NaiveDate, text: Hash, commitment: Hash },
    /// A withdrawal, cancelling the confirmed leaf at `cancels`.
    Withdrawn { cancels: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    #[error("a leaf of {0} bytes is neither a confirmation (72) nor a withdrawal (10)")]
    Length(usize),
    #[error("unknown leaf version {0}")]
    Version(u8),
    #[error("unknown leaf kind {0}")]
    Kind(u8),
    #[error("the country is not two capital letters")]
    Country,
    #[error("the day is out of range")]
    Day,
}

/// The UNIX epoch as a date: leaves count days from it.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

impl Leaf {
    /// A confirmed leaf; None if `country` is not two ASCII capital letters
    /// or `day` is before 1970.
    pub fn confirmed(country: &str, day: NaiveDate, text: Hash, commitment: Hash) -> Option<Self> {
        let bytes: [u8; 2] = country.as_bytes().try_into().ok()?;
        (bytes.iter().all(u8::is_ascii_uppercase) && day >= epoch()).then_some(Self::Confirmed {
            country: bytes,
            day,
            text,
            commitment,
        })
    }

    /// The leaf's bytes, as served in entry bundles.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Confirmed { country, day, text, commitment } => {
                let days = u32::try_from((*day - epoch()).num_days()).unwrap_or(0);
                let mut out = Vec::with_capacity(CONFIRMED_LEN);
                out.extend_from_slice(&[VERSION, KIND_CONFIRMED]);
                out.extend_from_slice(country);
                out.extend_from_slice(&days.to_be_bytes());
                out.extend_from_slice(text);
                out.extend_from_slice(commitment);
                out
            }
            Self::Withdrawn { cancels } => {
                let mut out = Vec::with_capacity(WITHDRAWN_LEN);
                out.extend_from_slice(&[VERSION, KIND_WITHDRAWN]);
                out.extend_from_slice(&cancels.to_be_bytes());
                out
            }
        }
    }

    /// Reads a leaf's bytes; only exactly what [`Leaf::to_bytes`] writes.
    pub fn parse(bytes: &[u8]) -> Result<Self, LeafError> {
        let (&version, rest) = bytes.split_first().ok_or(LeafError::Length(0))?;
        if version != VERSION {
            return Err(LeafError::Version(version));
        }
        let (&kind, rest) = rest.split_first().ok_or(LeafError::Length(bytes.len()))?;
        match kind {
            KIND_CONFIRMED => {
                if bytes.len() != CONFIRMED_LEN {
                    return Err(LeafError::Length(bytes.len()));
                }
                let country = [rest[0], rest[1]];
                if !country.iter().all(u8::is_ascii_uppercase) {
                    return Err(LeafError::Country);
                }
                let days = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]);
                let day = epoch().checked_add_days(chrono::Days::new(u64::from(days))).ok_or(LeafError::Day)?;
                let mut text = [0; 32];
                text.copy_from_slice(&rest[6..38]);
                let mut commitment = [0; 32];
                commitment.copy_from_slice(&rest[38..70]);
                Ok(Self::Confirmed { country, day, text, commitment })
            }
            KIND_WITHDRAWN => {
                let index: [u8; 8] = rest.try_into().map_err(|_| LeafError::Length(bytes.len()))?;
                Ok(Self::Withdrawn { cancels: u64::from_be_bytes(index) })
            }
            other => Err(LeafError::Kind(other)),
        }
    }

    /// The country of a confirmed leaf, as text.
    pub fn country(&self) -> Option<&str> {
        match self {
            Self::Confirmed { country, .. } => std::str::from_utf8(country).ok(),
            Self::Withdrawn { .. } => None,
        }
    }
}

/// The hash a leaf carries of a petition's text: SHA-256 of the title, the
/// addressee (empty if none) and the text, in the petition's main language,
/// each as a u32 big-endian byte length followed by its UTF-8 bytes.
pub fn text_hash(title: &str, addressee: Option<&str>, body: &str) -> Hash {
    let mut h = Sha256::new();
    for part in [title, addressee.unwrap_or(""), body] {
        h.update(u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_confirmed_leaf_is_72_bytes_laid_out_as_documented() {
        let leaf = Leaf::confirmed("DE", day(2026, 12, 2), [0xaa; 32], [0xbb; 32]).unwrap();
        let bytes = leaf.to_bytes();
        assert_eq!(bytes.len(), CONFIRMED_LEN);
        assert_eq!(&bytes[..4], &[1, 1, b'D', b'E']);
        // 2026-12-02 is day 20,789 since 1970-01-01.
        assert_eq!(&bytes[4..8], &20_789u32.to_be_bytes());
        assert_eq!(&bytes[8..40], &[0xaa; 32]);
        assert_eq!(&bytes[40..], &[0xbb; 32]);
        assert_eq!(Leaf::parse(&bytes), Ok(leaf));
    }

    #[test]
    fn a_withdrawal_names_the_index_it_cancels() {
        let bytes = Leaf::Withdrawn { cancels: 258 }.to_bytes();
        assert_eq!(bytes, [1, 2, 0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(Leaf::parse(&bytes), Ok(Leaf::Withdrawn { cancels: 258 }));
    }

    #[test]
    fn malformed_leaves_are_refused_by_name() {
        let good = Leaf::confirmed("FR", day(2026, 1, 1), [0; 32], [1; 32]).unwrap().to_bytes();
        assert_eq!(Leaf::parse(&good[..71]), Err(LeafError::Length(71)));
        assert_eq!(Leaf::parse(&[]), Err(LeafError::Length(0)));
        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(Leaf::parse(&v2), Err(LeafError::Version(2)));
        let mut kind = good.clone();
        kind[1] = 9;
        assert_eq!(Leaf::parse(&kind), Err(LeafError::Kind(9)));
        let mut country = good;
        country[2] = b'd';
        assert_eq!(Leaf::parse(&country), Err(LeafError::Country));
        assert_eq!(Leaf::parse(&[1, 2, 0]), Err(LeafError::Length(3)));
        assert!(Leaf::confirmed("DEU", day(2026, 1, 1), [0; 32], [0; 32]).is_none());
        assert!(Leaf::confirmed("de", day(2026, 1, 1), [0; 32], [0; 32]).is_none());
    }

    #[test]
    fn the_text_hash_separates_its_parts() {
        assert_ne!(text_hash("ab", None, "c"), text_hash("a", Some("b"), "c"));
        assert_eq!(text_hash("t", None, "b"), text_hash("t", Some(""), "b"));
        // SHA-256 of three zero lengths.
        assert_eq!(hex::encode(text_hash("", None, "")), hex::encode(Sha256::digest([0u8; 12])));
    }

    proptest! {
        #[test]
        fn leaves_read_back_as_written(c in "[A-Z]{2}", days in 0u64..200_000, text: [u8; 32], commitment: [u8; 32], cancels: u64) {
            let day = epoch().checked_add_days(chrono::Days::new(days)).unwrap();
            let leaf = Leaf::confirmed(&c, day, text, commitment).unwrap();
            prop_assert_eq!(Leaf::parse(&leaf.to_bytes()), Ok(leaf));
            let w = Leaf::Withdrawn { cancels };
            prop_assert_eq!(Leaf::parse(&w.to_bytes()), Ok(w));
        }

        #[test]
        fn no_byte_string_makes_the_parser_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = Leaf::parse(&bytes);
        }
    }
}
