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
    /// Its address, name and postcode: what is sealed at rest.
    pub fn personal(&self) -> super::Personal {
        super::Personal {
            email: self.email.as_str().to_owned(),
            name: self.name.as_str().to_owned(),
            postcode: self.postcode.as_ref().map(|p| p.as_str().to_owned()),
        }
    }

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureStatus {
    /// Stored, waiting for the signer to follow the emailed link.
    Pending,
    /// Confirmed by email; counted.
    Confirmed,
    /// Removed by the signer; personal data erased, no longer counted.
    Withdrawn,
}

impl SignatureStatus {
    /// Every status, in the order of a signature's life.
    pub const ALL: [SignatureStatus; 3] = [Self::Pending, Self::Confirmed, Self::Withdrawn];

    /// Its name in `signatures.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// The status stored as `s` (anything unknown reads as pending).
    pub fn from_db(s: &str) -> Self {
        match s {
            "confirmed" => Self::Confirmed,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Pending,
        }
    }
}

/// How many signatures of a petition are in each status (held ones count
/// as pending).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatusCounts(std::collections::BTreeMap<SignatureStatus, i64>);

impl StatusCounts {
    /// How many are in `status`.
    pub fn get(&self, status: SignatureStatus) -> i64 {
        self.0.get(&status).copied().unwrap_or(0)
    }
}

impl FromIterator<(SignatureStatus, i64)> for StatusCounts {
    fn from_iter<I: IntoIterator<Item = (SignatureStatus, i64)>>(iter: I) -> Self {
        let mut counts = Self::default();
        for (status, n) in iter {
            *counts.0.entry(status).or_default() += n;
        }
        counts
    }
}

impl IntoIterator for StatusCounts {
    type Item = (SignatureStatus, i64);
    type IntoIter = std::collections::btree_map::IntoIter<SignatureStatus, i64>;

    /// The statuses some signature is in, with their counts.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
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

/// A signature's details as stored, which its signer confirms: what each
/// confirmation link is bound to (see `Keys::details_digest`). The email
/// address is not among them: a link only reaches that mailbox.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureDetails {
    pub name: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    pub postcode: Option<String>,
    pub language: super::Language,
    pub keep_informed: bool,
}

impl std::fmt::Debug for SignatureDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureDetails")
            .field("name", &"<redacted>")
            .field("country", &self.country)
            .field("postcode", &self.postcode.as_ref().map(|_| "<redacted>"))
            .field("language", &self.language)
            .field("keep_informed", &self.keep_informed)
            .finish()
    }
}

impl SignatureDetails {
    /// The details a new signature is stored with.
    pub fn of(signature: &NewSignature) -> Self {
        Self {
            name: signature.name.as_str().to_owned(),
            country: signature.country.code().to_owned(),
            postcode: signature.postcode.as_ref().map(|p| p.as_str().to_owned()),
            language: signature.language,
            keep_informed: signature.keep_informed,
        }
    }

    /// One unambiguous byte string for the digest: a version, then each field
    /// length-prefixed (so that no two different details encode alike, even
    /// when a name contains what looks like a separator).
    pub fn canonical(&self) -> Vec<u8> {
        fn field(out: &mut Vec<u8>, bytes: &[u8]) {
            out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        let mut out = vec![1u8];
        field(&mut out, self.name.as_bytes());
        field(&mut out, self.country.as_bytes());
        match &self.postcode {
            Some(p) => {
                out.push(1);
                field(&mut out, p.as_bytes());
            }
            None => out.push(0),
        }
        field(&mut out, self.language.code().as_bytes());
        out.push(u8::from(self.keep_informed));
        out
    }
}

/// A keyed digest of [`SignatureDetails`], stored with each confirmation
/// token and carried by the confirmation page's form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DetailsDigest(pub [u8; 32]);

impl std::fmt::Debug for DetailsDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DetailsDigest(<redacted>)")
    }
}

impl DetailsDigest {
    /// For a hidden form field (URL-safe base64, no padding).
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The form field back; None unless it is exactly 32 bytes.
    pub fn decode(field: &str) -> Option<Self> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(field.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn from_db(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

#[cfg(test)]
mod details_tests {
    use super::*;
    use proptest::prelude::*;

    fn details(name: &str, country: &str, postcode: Option<&str>, keep: bool) -> SignatureDetails {
        SignatureDetails {
            name: name.into(),
            country: country.into(),
            postcode: postcode.map(Into::into),
            language: super::super::Language::En,
            keep_informed: keep,
        }
    }

    #[test]
    fn every_field_changes_the_encoding() {
        let base = details("Ada", "GB", Some("N1"), false);
        let others = [
            details("Ada ", "GB", Some("N1"), false),
            details("Ada", "FR", Some("N1"), false),
            details("Ada", "GB", Some("N2"), false),
            details("Ada", "GB", None, false),
            details("Ada", "GB", Some(""), false),
            details("Ada", "GB", Some("N1"), true),
            SignatureDetails { language: super::super::Language::Fr, ..base.clone() },
        ];
        for other in &others {
            assert_ne!(base.canonical(), other.canonical(), "{other:?}");
        }
        assert!(!format!("{base:?}").contains("Ada") && !format!("{base:?}").contains("N1"));
    }

    #[test]
    fn digests_round_trip_through_the_form_field() {
        let d = DetailsDigest([7; 32]);
        assert_eq!(DetailsDigest::decode(&d.encode()), Some(d));
        assert_eq!(DetailsDigest::decode("short"), None);
        assert_eq!(DetailsDigest::decode(""), None);
    }

    proptest! {
        /// Moving bytes between fields never gives the same encoding.
        #[test]
        fn the_encoding_is_injective(a in ".{0,12}", b in ".{0,12}", p in proptest::option::of(".{0,6}"),
                                     c in ".{0,12}", d in ".{0,12}", q in proptest::option::of(".{0,6}")) {
            let x = details(&a, &b, p.as_deref(), false);
            let y = details(&c, &d, q.as_deref(), false);
            prop_assert_eq!(x.canonical() == y.canonical(), x == y);
        }
    }
}
