use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A secret carried in an emailed link: 256 random bits, URL-safe base64.
///
/// Only its [`TokenHash`] is ever stored; the token itself exists in memory
/// while a mail is being written and in the recipient's mailbox.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// SHA-256 of a token, the form in which tokens are stored and looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

const TOKEN_BYTES: usize = 32;
const TOKEN_CHARS: usize = 43; // 32 bytes in unpadded base64

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only strings that could have come from [`Token::generate`].
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == TOKEN_CHARS
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD.decode(s).is_ok_and(|b| b.len() == TOKEN_BYTES);
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// A secret an organiser's scripts send as `Authorization: Bearer …`:
/// `us_` and 256 random bits. Shown once, stored as SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(Token);

impl ApiToken {
    const PREFIX: &'static str = "us_";

    pub fn generate() -> Self {
        Self(Token::generate())
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.strip_prefix(Self::PREFIX).and_then(Token::parse).map(Self)
    }

    /// The whole token, to show once.
    pub fn reveal(&self) -> String {
        format!("{}{}", Self::PREFIX, self.0.as_str())
    }

    /// Enough of the token to tell it apart in a list, not enough to use it.
    pub fn display_prefix(&self) -> String {
        format!("{}{}", Self::PREFIX, &self.0.as_str()[..6])
    }

    pub fn hash(&self) -> TokenHash {
        self.0.hash()
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "short", &"a".repeat(44), &format!("{}=", "a".repeat(42)), &"é".repeat(43)] {
            assert!(Token::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn api_tokens_round_trip() {
        let t = ApiToken::generate();
        let shown = t.reveal();
        assert!(shown.starts_with("us_"));
        assert_eq!(ApiToken::parse(&shown), Some(t.clone()));
        assert!(ApiToken::parse(&shown[3..]).is_none(), "the prefix is required");
        assert!(shown.starts_with(&t.display_prefix()));
        assert!(!format!("{t:?}").contains(&shown[3..]));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }
}
