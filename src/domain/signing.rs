//! The words signing's policy (`signing::policy`) and the queries that
//! carry it out (`db::signing`) share: a submission to store, what it came
//! to, an address's signature as a repeat finds it, and what a repeat is to
//! do with it. The policy decides; `db` only runs the statements it is given.

use chrono::NaiveDateTime;

use super::{HoldReason, MailKind, NewSignature, SignatureDetails, SignatureStatus, StoredPersonal, Tally};

/// One signature to store, in a batch.
#[derive(Debug, Clone)]
pub struct SignItem {
    pub petition_id: i64,
    pub signature: NewSignature,
    pub email_key: [u8; 32],
    /// Its address, name and postcode as they are to be stored (sealed
    /// under the petition's data key).
    pub personal: StoredPersonal,
    /// Store it held for review.
    pub held: Option<HoldReason>,
    /// Queue its confirmation mail with it (see `signing::policy::mailed_at_once`).
    pub mailed: bool,
}

/// A tally of a submission that stored nothing (a bot's, or one refused
/// for its address), committed with a batch of signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TallyItem {
    pub petition_id: i64,
    pub tally: Tally,
    /// The country the submission named (an ISO 3166-1 alpha-2 code).
    pub country: &'static str,
}

/// What a submission did. Callers answer every case the same way, so that
/// nobody can learn from the answer whether an address had signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutcome {
    /// A new pending signature and its confirmation mail.
    Created,
    /// Still pending: a fresh confirmation mail.
    ConfirmationResent,
    /// Already confirmed: an "already signed" mail.
    AlreadySignedNotified,
    /// A repeat beyond the mail limits: nothing sent, and a pending
    /// signature keeps its details (the links already mailed still confirm
    /// them).
    MailLimited,
    /// The petition closed before the signature could be stored.
    PetitionClosed,
    /// Stored but held for review: no mail until an organiser releases it.
    Held,
    /// Flagged, and the address had already signed (in any state but
    /// withdrawn): nothing written, nothing mailed.
    Ignored,
    /// Unflagged, and the address is there already: answered like a new
    /// signature, and handled by the batch's follow-up once the answers are
    /// sent (see `signing::policy::repeat`).
    Repeat,
}

/// An address's signature of a petition, as a repeat submission finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingSignature {
    pub id: i64,
    pub status: SignatureStatus,
    pub last_mail_at: Option<NaiveDateTime>,
    /// Why it is held for review, if it is.
    pub held: Option<HoldReason>,
    /// Its details; None once erased (withdrawn).
    pub details: Option<SignatureDetails>,
}

/// An address's signature of a petition as its row holds it: the
/// personal data as stored (sealed), opened above `db` into an
/// [`ExistingSignature`].
#[derive(Debug, Clone)]
pub struct StoredSignature {
    pub id: i64,
    pub status: SignatureStatus,
    pub last_mail_at: Option<NaiveDateTime>,
    pub held: Option<HoldReason>,
    /// None once erased (withdrawn).
    pub personal: Option<StoredPersonal>,
    pub country: String,
    pub language: super::Language,
    pub keep_informed: bool,
}

impl StoredSignature {
    /// With its personal data opened (None if erased).
    pub fn opened(self, personal: Option<super::Personal>) -> ExistingSignature {
        let Self { id, status, last_mail_at, held, country, language, keep_informed, .. } = self;
        ExistingSignature {
            id,
            status,
            last_mail_at,
            held,
            details: personal.map(|p| SignatureDetails {
                name: p.name,
                country,
                postcode: p.postcode,
                language,
                keep_informed,
            }),
        }
    }
}

/// What a repeat submission is to do with the signature it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatDecision {
    /// The signature is gone: store the submission afresh.
    Afresh,
    /// Every link mailed for it has expired: delete it (and its mail), then
    /// store the submission afresh.
    ReplaceStale,
    /// Write to it, and perhaps mail its signer.
    Act(RepeatPlan),
}

/// The writes a repeat makes to the signature it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatPlan {
    /// Written at once, whatever becomes of the mail.
    pub write: RepeatWrite,
    /// Recorded at once, whatever becomes of the mail.
    pub tally: Tally,
    /// The mail to take from the signature's budget, if any.
    pub mail: Option<RepeatMail>,
    /// What the repeat came to if its mail (if any) could be taken; it is
    /// [`SignOutcome::MailLimited`] if not.
    pub outcome: SignOutcome,
}

/// What a repeat writes to the signature at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatWrite {
    /// Nothing.
    Nothing,
    /// The submission's details (and address), while it is pending.
    Details,
    /// The submission's details, and the hold lifted, while it is pending.
    DetailsReleased,
    /// Only the submission's language (the language of its mails).
    Language,
}

/// A mail a repeat takes from the signature's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatMail {
    pub kind: MailKind,
    /// Taken only if the last mail was queued at or before this.
    pub due: NaiveDateTime,
    /// Taken only if fewer than this many mails were ever queued for it.
    pub cap: i32,
    /// With the mail, the submission's details replace the stored ones
    /// (while pending): the mail carries the link for them.
    pub with_details: bool,
}
