/// A postal code: at most 16 characters of letters, digits, spaces and hyphens.
#[derive(Clone, PartialEq, Eq)]
pub struct Postcode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    #[error("Postcode must be 16 characters or fewer")]
    TooLong,
    #[error("Postcode can only contain letters, numbers, spaces and hyphens")]
    InvalidCharacter,
}

impl super::errors::Localised for PostcodeError {
    fn message_id(&self) -> Option<&'static str> {
        Some(match self {
            Self::TooLong => "error-postcode-too-long",
            Self::InvalidCharacter => "error-postcode-invalid",
        })
    }
}

impl Postcode {
    pub const MAX_CHARS: usize = 16;

    /// An empty input is no postcode at all (the field is optional).
    pub fn parse(input: &str) -> Result<Option<Self>, PostcodeError> {
        let folded = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            return Ok(None);
        }
        if folded.chars().count() > Self::MAX_CHARS {
            return Err(PostcodeError::TooLong);
        }
        if !folded.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-') {
            return Err(PostcodeError::InvalidCharacter);
        }
        Ok(Some(Self(folded)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Postcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Postcode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn optional_and_bounded() {
        assert_eq!(Postcode::parse("  "), Ok(None));
        assert_eq!(Postcode::parse(" SW1A   1AA ").unwrap().unwrap().as_str(), "SW1A 1AA");
        assert!(Postcode::parse("1211 Genève 10").unwrap().is_some());
        assert_eq!(Postcode::parse("12345678901234567"), Err(PostcodeError::TooLong));
        assert_eq!(Postcode::parse("<script>"), Err(PostcodeError::InvalidCharacter));
        assert_eq!(Postcode::parse("12\u{0}34"), Err(PostcodeError::InvalidCharacter));
    }

    proptest! {
        #[test]
        fn accepted_postcodes_keep_their_promises(s in "\\PC{0,40}") {
            if let Ok(Some(p)) = Postcode::parse(&s) {
                prop_assert!(p.as_str().chars().count() <= Postcode::MAX_CHARS);
                prop_assert!(p.as_str().chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-'));
            }
        }
    }
}
