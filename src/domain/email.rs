use std::str::FromStr;

use validator::ValidateEmail;

/// An email address a mail can be sent to: trimmed, domain in lower-case ASCII
/// (internationalised domains in their punycode form), at most 254 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter your email address")]
    Empty,
    #[error("Email address must be 254 characters or fewer")]
    TooLong,
    #[error("Enter a valid email address, like name@example.com")]
    Invalid,
}

impl super::errors::Localised for EmailError {
    fn message_id(&self) -> Option<&'static str> {
        Some(match self {
            Self::Empty => "error-email-empty",
            Self::TooLong => "error-email-too-long",
            Self::Invalid => "error-email-invalid",
        })
    }
}

/// Domains whose mailboxes ignore dots and `+tag` in the local part.
const GMAIL_DOMAINS: [&str; 2] = ["gmail.com", "googlemail.com"];

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if !trimmed.validate_email() {
            return Err(EmailError::Invalid);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let domain = idna::domain_to_ascii(domain).map_err(|_| EmailError::Invalid)?;
        if domain.is_empty() || !domain.contains('.') {
            return Err(EmailError::Invalid);
        }
        let address = format!("{local}@{domain}");
        if address.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        // What we accept we must be able to send to.
        lettre::Address::from_str(&address).map_err(|_| EmailError::Invalid)?;
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`, lower-case ASCII.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The form used to decide whether two addresses are the same person:
    /// lower-cased, and for Gmail without dots or `+tag` and with
    /// googlemail.com folded into gmail.com.
    pub fn canonical(&self) -> String {
        let lower = self.0.to_lowercase();
        let Some((local, domain)) = lower.rsplit_once('@') else {
            return lower;
        };
        if GMAIL_DOMAINS.contains(&domain) {
            let local = local.split('+').next().unwrap_or_default().replace('.', "");
            format!("{local}@gmail.com")
        } else {
            lower
        }
    }
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data: never printed, even in debug output.
        f.write_str("EmailAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        EmailAddress::parse(s).expect(s).canonical()
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["a@example.com", "  first.last+tag@sub.example.org  ", "x@bücher.de"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(EmailAddress::parse("x@Bücher.DE").unwrap().as_str(), "x@xn--bcher-kva.de");
        // Non-ASCII local parts need SMTPUTF8, which we cannot count on.
        assert_eq!(EmailAddress::parse("Ünïcødé@example.com"), Err(EmailError::Invalid));
    }

    #[test]
    fn refuses_invalid_addresses_with_specific_errors() {
        assert_eq!(EmailAddress::parse("   "), Err(EmailError::Empty));
        for bad in [
            "plainaddress",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@@example.com",
            "a\n@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailError::Invalid), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn canonical_folds_case_and_gmail_variants() {
        assert_eq!(canon("Jane.Doe@Example.COM"), "jane.doe@example.com");
        assert_eq!(canon("Jane.Doe+petitions@GoogleMail.com"), "janedoe@gmail.com");
        assert_eq!(canon("j.a.n.e.d.o.e@gmail.com"), "janedoe@gmail.com");
        // Dots and tags matter elsewhere.
        assert_ne!(canon("jane.doe@example.com"), canon("janedoe@example.com"));
        assert_ne!(canon("jane+x@example.com"), canon("jane@example.com"));
    }

    fn local_part() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9]{1,10}(\\.[a-zA-Z0-9]{1,10}){0,3}"
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent(local in local_part(), domain in "(gmail\\.com|googlemail\\.com|example\\.org|Mail\\.EXAMPLE\\.net)") {
            let first = canon(&format!("{local}@{domain}"));
            prop_assert_eq!(canon(&first), first.clone());
        }

        #[test]
        fn case_never_changes_identity(local in local_part(), domain in "(gmail\\.com|example\\.org)") {
            let a = format!("{local}@{domain}");
            prop_assert_eq!(canon(&a), canon(&a.to_uppercase()));
        }

        #[test]
        fn gmail_dots_and_tags_never_change_identity(local in "[a-z0-9]{2,12}", dots in proptest::collection::vec(any::<bool>(), 12), tag in "[a-z0-9]{0,8}", google in any::<bool>()) {
            let dotted: String = local.chars().enumerate().flat_map(|(i, c)| {
                let dot = i > 0 && dots[i % dots.len()];
                dot.then_some('.').into_iter().chain(std::iter::once(c))
            }).collect();
            let domain = if google { "googlemail.com" } else { "gmail.com" };
            let tagged = if tag.is_empty() { dotted } else { format!("{dotted}+{tag}") };
            prop_assert_eq!(canon(&format!("{tagged}@{domain}")), format!("{local}@gmail.com"));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = EmailAddress::parse(&s).map(|e| e.canonical());
        }

        #[test]
        fn accepted_addresses_are_short_and_trimmed(s in "[ a-zA-Z0-9@.+_-]{0,300}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert!(e.as_str().len() <= EmailAddress::MAX_LEN);
                prop_assert_eq!(e.as_str().trim(), e.as_str());
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }
    }
}
