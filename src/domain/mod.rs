//! Types that parse their input and cannot hold invalid data.
//!
//! Every value that crosses the HTTP or command-line edge is turned into one of
//! these before it reaches the database. Each `parse` returns a typed error
//! whose `Display` is the message a person sees next to the field.

mod country;
mod email;
mod errors;
mod language;
mod name;
mod password;
mod personal;
mod petition;
mod postcode;
mod receipt;
mod signature;
mod signing;
mod tally;
mod token;

pub use country::{Country, CountryError};
pub use email::{EmailAddress, EmailError};
pub use errors::{FieldErrors, Localised, Problem};
pub use language::Language;
pub use name::{NameError, SignerName};
pub use password::{Password, PasswordError};
pub use personal::{Personal, StoredPersonal};
pub use petition::{
    Addressee, Goal, NewPetition, PetitionBody, PetitionEdit, PetitionError, PetitionState, PetitionTitle, Slug,
};
pub use postcode::{Postcode, PostcodeError};
pub use receipt::{Commitment, Receipt, ReceiptError};
pub use signature::{
    DetailsDigest, HoldReason, MailKind, NewSignature, SignatureDetails, SignatureInput, SignatureStatus, StatusCounts,
};
pub use signing::{
    ExistingSignature, RepeatDecision, RepeatMail, RepeatPlan, RepeatWrite, SignItem, SignOutcome, StoredSignature,
    TallyItem,
};
pub use tally::Tally;
pub use token::{ApiToken, Token, TokenHash};
