/// An organiser's password: 12 to 128 characters, anything allowed, used
/// exactly as typed. Never printed.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least 12 characters")]
    TooShort,
    #[error("password must be at most 128 characters")]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        match input.chars().count() {
            n if n < Self::MIN_CHARS => Err(PasswordError::TooShort),
            n if n > Self::MAX_CHARS => Err(PasswordError::TooLong),
            _ => Ok(Self(input.to_owned())),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_the_only_rule() {
        assert_eq!(Password::parse("elevenchars").unwrap_err(), PasswordError::TooShort);
        assert!(Password::parse("twelve chars").is_ok());
        assert!(Password::parse("ŝŝŝŝŝŝŝŝŝŝŝŝ").is_ok(), "characters, not bytes");
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert_eq!(Password::parse(&"x".repeat(129)).unwrap_err(), PasswordError::TooLong);
        assert!(!format!("{:?}", Password::parse("correct horse battery").unwrap()).contains("horse"));
    }
}
