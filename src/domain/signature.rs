use super::{Country, EmailAddress, FieldErrors, Postcode, SignerName};

/// What a supporter typed into the sign form (or sent as JSON), unchecked.
#[derive(Debug, Default, Clone)]
pub struct SignatureInput {
    pub name: String,
    pub email: String,
    pub country: String,
    pub postcode: String,
    pub keep_informed: bool,
    /// The language the form was shown in (or the API request asked for):
    /// the signer's mails are written in it.
    pub language: super::Language,
}

/// A signature that passed every rule, ready to be stored as pending.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub name: SignerName,
    pub email: EmailAddress,
    pub country: Country,
    pub postcode: Option<Postcode>,
    pub keep_informed: bool,
    pub language: super::Language,
}

impl NewSignature {
    /// Checks every field and reports every problem at once.
    pub fn parse(input: &SignatureInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", SignerName::parse(&input.name));
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let country = errors.check("country", Country::parse(&input.country));
        let postcode = errors.check("postcode", Postcode::parse(&input.postcode));
        match (name, email, country, postcode) {
            (Some(name), Some(email), Some(country), Some(postcode)) if errors.is_empty() => Ok(Self {
                name,
                email,
                country,
                postcode,
                keep_informed: input.keep_informed,
                language: input.language,
            }),
            _ => Err(errors),
        }
    }
}

/// Where a signature is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Stored, waiting for the signer to follow the emailed link.
    Pending,
    /// Confirmed by email; counted.
    Confirmed,
    /// Removed by the signer; personal data erased, no longer counted.
    Withdrawn,
}

impl SignatureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "confirmed" => Self::Confirmed,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Pending,
        }
    }
}

/// Why a signature is held back for an organiser to review instead of being
/// sent its confirmation mail (quarantined). Held signatures are kept, never
/// counted, and confirmed by email like any other once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HoldReason {
    /// More signatures from one network (an IPv4 address or an IPv6 /64)
    /// than `SIGN_RATE_LIMIT` allows.
    RateLimit,
    /// The form came back sooner after it was shown than a person can fill it.
    TooFast,
    /// The form's signed timestamp was missing, forged or too old.
    FormStamp,
}

impl HoldReason {
    pub const ALL: [HoldReason; 3] = [Self::RateLimit, Self::TooFast, Self::FormStamp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimit => "rate_limit",
            Self::TooFast => "too_fast",
            Self::FormStamp => "form_stamp",
        }
    }

    pub fn from_db(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// For organisers.
    pub fn describe(self) -> &'static str {
        match self {
            Self::RateLimit => "too many signatures from one network",
            Self::TooFast => "form sent faster than a person types",
            Self::FormStamp => "form timestamp missing, forged or expired",
        }
    }
}

/// The mails a signature can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// "Confirm your signature", with the confirmation link.
    Confirm,
    /// "You have already signed", sent when a confirmed signer signs again.
    AlreadySigned,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::AlreadySigned => "already_signed",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "already_signed" { Self::AlreadySigned } else { Self::Confirm }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_bad_field() {
        let errors = NewSignature::parse(&SignatureInput {
            name: "".into(),
            email: "nope".into(),
            country: "ZZ".into(),
            postcode: "x".repeat(17),
            keep_informed: false,
            language: super::super::Language::En,
        })
        .unwrap_err();
        assert_eq!(errors.get("name"), ["Enter your name"]);
        assert_eq!(errors.get("email"), ["Enter a valid email address, like name@example.com"]);
        assert_eq!(errors.get("country"), ["Choose a country from the list"]);
        assert_eq!(errors.get("postcode"), ["Postcode must be 16 characters or fewer"]);
    }

    #[test]
    fn good_input_parses() {
        let s = NewSignature::parse(&SignatureInput {
            name: " Ada ".into(),
            email: "ada@example.com".into(),
            country: "gb".into(),
            postcode: "".into(),
            keep_informed: true,
            language: super::super::Language::Ar,
        })
        .unwrap();
        assert_eq!(s.name.as_str(), "Ada");
        assert_eq!(s.country.code(), "GB");
        assert_eq!(s.language, super::super::Language::Ar, "the language it was given in");
        assert!(s.postcode.is_none());
        assert!(s.keep_informed);
    }
}
