use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// A signer's name as it will be delivered: any script, 1 to 100 characters
/// (user-perceived characters) after trimming, NFC-normalised, inner runs of
/// white space folded to one space.
#[derive(Clone, PartialEq, Eq)]
pub struct SignerName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter your name")]
    Empty,
    #[error("Name must be 100 characters or fewer")]
    TooLong,
    #[error("Name must not contain control characters or line breaks")]
    ControlCharacter,
    #[error("Name must not contain a web or email address")]
    ContainsLink,
    #[error("Name must not start with =, +, - or @")]
    FormulaPrefix,
}

impl super::errors::Localised for NameError {
    fn message_id(&self) -> Option<&'static str> {
        Some(match self {
            Self::Empty => "error-name-empty",
            Self::TooLong => "error-name-too-long",
            Self::ControlCharacter => "error-name-control",
            Self::ContainsLink => "error-name-link",
            Self::FormulaPrefix => "error-name-formula",
        })
    }
}

static LINKS: LazyLock<LinkFinder> = LazyLock::new(|| {
    let mut finder = LinkFinder::new();
    finder.url_must_have_scheme(false);
    finder.kinds(&[LinkKind::Url, LinkKind::Email]);
    finder
});

/// Characters that are not `char::is_control` but break layout or reorder
/// text: line and paragraph separators and the bidirectional overrides.
fn is_forbidden_format_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether text holds an email address or a web address. A scheme-less
/// candidate ("example.org/x") counts only if it ends in a real public suffix,
/// so that "Mary.Jane Watson" or "St.John Smith" remain names.
fn contains_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    LINKS.links(text).any(|link| match link.kind() {
        LinkKind::Url => {
            let host = link.as_str().split(['/', ':', '?', '#']).next().unwrap_or_default().to_lowercase();
            host.contains('.') && psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known())
        }
        _ => true,
    })
}

impl SignerName {
    pub const MAX_CHARS: usize = 100;
    /// Also at most this many bytes: a letter with hundreds of combining
    /// marks is one grapheme, but not one a name needs.
    pub const MAX_BYTES: usize = 400;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        if trimmed.chars().any(is_forbidden_format_char) {
            return Err(NameError::ControlCharacter);
        }
        let name: String = trimmed.nfc().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
        if name.len() > Self::MAX_BYTES || name.graphemes(true).count() > Self::MAX_CHARS {
            return Err(NameError::TooLong);
        }
        if name.starts_with(['=', '+', '-', '@']) {
            return Err(NameError::FormulaPrefix);
        }
        if contains_link(&name) {
            return Err(NameError::ContainsLink);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SignerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignerName(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_names_in_any_script() {
        for ok in [
            "Ada Lovelace",
            "J.R.R. Tolkien",
            "Zoë O'Brien-Smith",
            "محمد بن سلمان",
            "王秀英",
            "Анна Каренина",
            "Nguyễn Thị Minh Khai",
            "Ngũgĩ wa Thiong'o",
            "Mary.Jane Watson",
            "St.John Smith",
            "زهرا‌ احمدی",
        ] {
            assert_eq!(SignerName::parse(ok).map(|n| n.0), Ok(ok.to_owned()), "{ok}");
        }
    }

    #[test]
    fn folds_whitespace_and_normalises() {
        assert_eq!(SignerName::parse("  Ada \u{00A0}  Lovelace ").unwrap().as_str(), "Ada Lovelace");
        // "e" + combining acute becomes the precomposed é.
        assert_eq!(SignerName::parse("Rene\u{301}").unwrap().as_str(), "René");
    }

    #[test]
    fn each_rule_has_its_own_error() {
        assert_eq!(SignerName::parse(" \t "), Err(NameError::Empty));
        assert_eq!(SignerName::parse(&"a".repeat(101)), Err(NameError::TooLong));
        assert!(SignerName::parse(&"é".repeat(100)).is_ok());
        let stacked = format!("x{}", "\u{301}".repeat(300));
        assert_eq!(SignerName::parse(&stacked), Err(NameError::TooLong), "one grapheme, 601 bytes");
        assert!(SignerName::parse(&"e\u{301}".repeat(100)).is_ok(), "100 user-perceived characters");
        for bad in ["Ada\nLovelace", "Ada\u{0}", "Ada\u{7f}", "Ada\u{202E}ecalevol", "a\u{2028}b"] {
            assert_eq!(SignerName::parse(bad), Err(NameError::ControlCharacter), "{bad:?}");
        }
        for bad in [
            "Visit example.com",
            "VISIT EXAMPLE.ORG",
            "spam.co.uk/offer",
            "http://x.y",
            "www.spam",
            "me@example.com",
            "Ada https://evil.test/a",
        ] {
            assert_eq!(SignerName::parse(bad), Err(NameError::ContainsLink), "{bad:?}");
        }
        for bad in ["=HYPERLINK(1)", "+44", "-1", "@ada", "  =1+1"] {
            assert_eq!(SignerName::parse(bad), Err(NameError::FormulaPrefix), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_keeps_its_promises(s in "\\PC{0,150}") {
            if let Ok(name) = SignerName::parse(&s) {
                let n = name.as_str();
                prop_assert!(!n.is_empty());
                prop_assert!(n.graphemes(true).count() <= SignerName::MAX_CHARS);
                prop_assert!(n.len() <= SignerName::MAX_BYTES);
                prop_assert_eq!(n.trim(), n);
                prop_assert!(!n.starts_with(['=', '+', '-', '@']));
                prop_assert!(!n.chars().any(is_forbidden_format_char));
            }
        }

        #[test]
        fn any_control_character_is_refused(prefix in "[a-z]{1,5}", c in proptest::char::range('\u{0}', '\u{1f}'), suffix in "[a-z]{1,5}") {
            prop_assert_eq!(SignerName::parse(&format!("{prefix}{c}{suffix}")), Err(NameError::ControlCharacter));
        }
    }
}
