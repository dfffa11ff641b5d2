use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A signer's receipt: 256 random bits, shown once on the thank-you page as
/// URL-safe base64 (43 characters). The log's leaf holds only its
/// [`Commitment`], and so does the server; whoever holds the receipt can
/// show that a leaf is theirs, and nobody else can link the leaf to them.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt([u8; RECEIPT_BYTES]);

/// SHA-256 of a receipt's 32 bytes: what the log's leaf carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment(pub [u8; 32]);

const RECEIPT_BYTES: usize = 32;
const RECEIPT_CHARS: usize = 43;

/// Why a receipt was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("Enter your receipt")]
    Empty,
    #[error("A receipt is 43 letters, digits, '-' and '_', as it was shown")]
    Malformed,
}

impl super::errors::Localised for ReceiptError {
    fn message_id(&self) -> Option<&'static str> {
        Some(match self {
            Self::Empty => "error-receipt-empty",
            Self::Malformed => "error-receipt-malformed",
        })
    }
}

impl Receipt {
    pub fn generate() -> Self {
        let mut bytes = [0u8; RECEIPT_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Accepts exactly what [`Receipt::encode`] writes, with surrounding
    /// spaces (as pasted) ignored.
    pub fn parse(s: &str) -> Result<Self, ReceiptError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ReceiptError::Empty);
        }
        if s.len() != RECEIPT_CHARS {
            return Err(ReceiptError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| ReceiptError::Malformed)?;
        bytes.try_into().map(Self).map_err(|_| ReceiptError::Malformed)
    }

    /// The receipt as shown to its holder.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    pub fn commitment(&self) -> Commitment {
        Commitment(Sha256::digest(self.0).into())
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipt(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The study's example (transparency-logs.md §7.2): r = 00 01 … 1f.
    #[test]
    fn the_commitment_is_sha256_of_the_secret() {
        let r = Receipt(std::array::from_fn(|i| i as u8));
        assert!(hex::encode(r.commitment().0).starts_with("630dcd29"));
        assert!(hex::encode(r.commitment().0).ends_with("1bd710dd"));
    }

    #[test]
    fn receipts_read_back_and_nothing_else_is_one() {
        let r = Receipt::generate();
        assert_eq!(r.encode().len(), RECEIPT_CHARS);
        assert_eq!(Receipt::parse(&format!("  {}\n", r.encode())), Ok(r.clone()));
        assert_eq!(Receipt::parse(""), Err(ReceiptError::Empty));
        assert_eq!(Receipt::parse("abc"), Err(ReceiptError::Malformed));
        assert_eq!(Receipt::parse(&"+".repeat(43)), Err(ReceiptError::Malformed));
        assert_eq!(format!("{r:?}"), "Receipt(..)");
    }

    proptest! {
        #[test]
        fn no_input_makes_parsing_panic(s in ".{0,64}") {
            let _ = Receipt::parse(&s);
        }
    }
}
