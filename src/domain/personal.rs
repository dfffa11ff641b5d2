//! A signer's personal data, the part of a signature that is encrypted at
//! rest (see `vault`): the address, the name and the postcode.

use serde::{Deserialize, Serialize};

/// A signer's address, name and postcode, in the clear: built when a
/// signature is made or opened from its row, and never logged or cached.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Personal {
    pub email: String,
    pub name: String,
    pub postcode: Option<String>,
}

impl std::fmt::Debug for Personal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Personal(<redacted>)")
    }
}

/// Personal data as a row holds it: sealed (encrypted and authenticated
/// under its petition's data key), or in the clear in a row written before
/// keys were configured, until it is sealed in place.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredPersonal {
    Sealed(Vec<u8>),
    Clear(Personal),
}

impl std::fmt::Debug for StoredPersonal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sealed(bytes) => write!(f, "Sealed({} bytes)", bytes.len()),
            Self::Clear(_) => f.write_str("Clear(<redacted>)"),
        }
    }
}

impl StoredPersonal {
    /// What a row's columns hold: `sealed`, or the legacy clear columns
    /// (`name` set unless erased). None once erased.
    pub fn from_columns(
        sealed: Option<Vec<u8>>,
        email: Option<String>,
        name: Option<String>,
        postcode: Option<String>,
    ) -> Option<Self> {
        match (sealed, email, name) {
            (Some(bytes), _, _) => Some(Self::Sealed(bytes)),
            (None, Some(email), Some(name)) => Some(Self::Clear(Personal { email, name, postcode })),
            _ => None,
        }
    }

    /// The sealed bytes, if sealed.
    pub fn sealed(&self) -> Option<&[u8]> {
        match self {
            Self::Sealed(bytes) => Some(bytes),
            Self::Clear(_) => None,
        }
    }

    /// The clear values, if the row holds them in the clear.
    pub fn clear(&self) -> Option<&Personal> {
        match self {
            Self::Sealed(_) => None,
            Self::Clear(p) => Some(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_values() {
        let p = Personal { email: "ada@example.com".into(), name: "Ada".into(), postcode: Some("N1".into()) };
        let shown = format!("{p:?} {:?}", StoredPersonal::Clear(p.clone()));
        assert!(!shown.contains("ada") && !shown.contains("Ada") && !shown.contains("N1"), "{shown}");
    }

    #[test]
    fn a_row_is_sealed_clear_or_erased() {
        assert_eq!(
            StoredPersonal::from_columns(Some(vec![1]), None, None, None),
            Some(StoredPersonal::Sealed(vec![1]))
        );
        let clear = StoredPersonal::from_columns(None, Some("a@b.c".into()), Some("A".into()), None);
        assert!(clear.as_ref().and_then(StoredPersonal::clear).is_some());
        assert_eq!(StoredPersonal::from_columns(None, None, None, None), None);
    }
}
