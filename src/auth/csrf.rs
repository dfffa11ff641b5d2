//! Synchronizer tokens for the organisers' forms.

use subtle::ConstantTimeEq;

use crate::domain::Token;
use crate::error::AppError;

pub fn new_token() -> String {
    Token::generate().as_str().to_owned()
}

/// Refuses a form whose token is not the session's (403).
pub fn verify(expected: &str, given: &str) -> Result<(), AppError> {
    if !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This form has expired or was not sent from this site. Please go back, reload the page and try again."
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_passes() {
        let t = new_token();
        assert!(verify(&t, &t).is_ok());
        assert!(verify(&t, "").is_err());
        assert!(verify(&t, &new_token()).is_err());
        assert!(verify("", "").is_err(), "a session without a token accepts nothing");
    }
}
