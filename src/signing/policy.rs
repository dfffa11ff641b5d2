//! Signing's rules, in one place: whether a new signature is mailed, what a
//! batch leaves for after its answers, and what a repeat submission does
//! with the signature it finds (update its details, resend its mail, notify
//! a confirmed signer, release or keep a held one), within the mail limits.
//!
//! Pure functions of a row's state and the new submission; `db::signing`
//! runs the statements they decide on.

use chrono::{NaiveDateTime, TimeDelta};

use crate::domain::{
    ExistingSignature, HoldReason, MailKind, NewSignature, RepeatDecision, RepeatMail, RepeatPlan, RepeatWrite,
    SignOutcome, SignatureDetails, SignatureStatus, Tally,
};

/// At most this many mails are ever queued for one signature.
pub const MAX_MAILS_PER_SIGNATURE: i32 = 5;
/// A repeat submission queues a mail only if the last was this long ago.
pub const RESEND_AFTER: TimeDelta = TimeDelta::minutes(10);

/// Whether a new signature gets its confirmation mail with it: unless it is
/// held for review (it is mailed once released).
pub fn mailed_at_once(held: Option<HoldReason>) -> bool {
    held.is_none()
}

/// What a batch's insert came to for a submission: `inserted` if its row
/// went in. A flagged submission for an address already there writes
/// nothing; an unflagged one is a repeat, for the follow-up.
pub fn batch_outcome(inserted: bool, held: Option<HoldReason>) -> SignOutcome {
    match (inserted, held.is_some()) {
        // Its tally is kept for the follow-up.
        (true, true) => SignOutcome::Held,
        (true, false) => SignOutcome::Created,
        // Flagged, and the address is there already (or earlier in this
        // batch): nothing is written, as for any flagged repeat.
        (false, true) => SignOutcome::Ignored,
        // Answered now, handled by the follow-up.
        (false, false) => SignOutcome::Repeat,
    }
}

/// What a batch's follow-up does for one submission, after the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Nothing is left to do.
    Done,
    /// Tally a signature stored held, by its reason.
    TallyHeld(HoldReason),
    /// Handle a repeat (see [`repeat`]).
    Repeat,
}

/// What is left to do for a submission once its batch is answered. Kept
/// off the request path, so that a repeat is answered as quickly as a new
/// signature: the answer does not wait for work that only a repeat needs.
pub fn follow_up(outcome: SignOutcome, held: Option<HoldReason>) -> FollowUp {
    match (outcome, held) {
        (SignOutcome::Held, Some(reason)) => FollowUp::TallyHeld(reason),
        (SignOutcome::Repeat, None) => FollowUp::Repeat,
        _ => FollowUp::Done,
    }
}

/// Whether a batch's outcome leaves work for its follow-up.
pub fn needs_follow_up(outcome: SignOutcome) -> bool {
    matches!(outcome, SignOutcome::Held | SignOutcome::Repeat)
}

/// What an unflagged submission does for an address that already signed
/// the petition, with details `new`. A pending signature whose every link
/// has expired (its last mail was queued before `stale_before`) is replaced,
/// with a fresh mail budget.
///
/// The links already mailed are bound to the details they showed: new
/// details are taken only with a mail that carries a link for them (so a
/// link already mailed keeps working until then), and that mail need not
/// wait for [`RESEND_AFTER`] (the cap on mails per signature still holds).
pub fn repeat(
    existing: &ExistingSignature,
    new: &SignatureDetails,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> RepeatDecision {
    let details_change = existing.details.as_ref().is_none_or(|stored| stored != new);
    let resend_due = now - RESEND_AFTER;
    let mail = |kind, due, with_details| Some(RepeatMail { kind, due, cap: MAX_MAILS_PER_SIGNATURE, with_details });
    let plan = match existing.status {
        // Held for a bot-like form (which only an organiser releases): it
        // waits for review with the latest details.
        SignatureStatus::Pending if existing.held.is_some_and(|reason| reason != HoldReason::RateLimit) => {
            RepeatPlan { write: RepeatWrite::Details, tally: Tally::Duplicate, mail: None, outcome: SignOutcome::Held }
        }
        // Held by the rate limit, now within it: released, and mailed.
        SignatureStatus::Pending if existing.held.is_some() => RepeatPlan {
            write: RepeatWrite::DetailsReleased,
            tally: Tally::Released,
            mail: mail(MailKind::Confirm, resend_due, false),
            outcome: SignOutcome::ConfirmationResent,
        },
        // Every link sent for it has expired: start again from scratch.
        SignatureStatus::Pending if existing.last_mail_at.is_none_or(|t| t < stale_before) => {
            return RepeatDecision::ReplaceStale;
        }
        // The mailbox owner confirms what was submitted last (with the link
        // mailed for it), so someone who typed another person's address
        // first cannot fix the details.
        SignatureStatus::Pending => RepeatPlan {
            write: RepeatWrite::Nothing,
            tally: Tally::Duplicate,
            mail: mail(MailKind::Confirm, if details_change { now } else { resend_due }, true),
            outcome: SignOutcome::ConfirmationResent,
        },
        // Its details stay as confirmed; only the language of the mail
        // follows the form it was just sent from.
        SignatureStatus::Confirmed => RepeatPlan {
            write: RepeatWrite::Language,
            tally: Tally::Duplicate,
            mail: mail(MailKind::AlreadySigned, resend_due, false),
            outcome: SignOutcome::AlreadySignedNotified,
        },
        SignatureStatus::Withdrawn => return RepeatDecision::Afresh,
    };
    RepeatDecision::Act(plan)
}

/// What a repeat comes to if it is the same submission (the address as
/// typed, and every detail) as the one just before it for its address, once
/// that one was carried out: only a duplicate's tally. Whatever [`repeat`]
/// decided for the earlier one, carrying it out left the signature either
/// with these details and a mail just taken, or as it was with no mail to
/// take (not due, or none left): [`repeat`] for the later one writes
/// nothing new and takes no mail (the test carries out every case twice).
/// None if the submissions differ.
pub fn again(earlier: &NewSignature, later: &NewSignature) -> Option<Tally> {
    let same = earlier.email == later.email && SignatureDetails::of(earlier) == SignatureDetails::of(later);
    same.then_some(Tally::Duplicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    fn details(name: &str) -> SignatureDetails {
        SignatureDetails {
            name: name.into(),
            country: "GB".into(),
            postcode: None,
            language: Language::En,
            keep_informed: false,
        }
    }

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap_or_default().naive_utc()
    }

    fn existing(status: SignatureStatus, held: Option<HoldReason>, last_mail: i64) -> ExistingSignature {
        ExistingSignature { id: 1, status, last_mail_at: Some(at(last_mail)), held, details: Some(details("Ada")) }
    }

    fn plan(decision: RepeatDecision) -> RepeatPlan {
        match decision {
            RepeatDecision::Act(plan) => plan,
            other => panic!("expected a plan, got {other:?}"),
        }
    }

    #[test]
    fn a_new_signature_is_mailed_unless_held() {
        assert!(mailed_at_once(None));
        assert!(!mailed_at_once(Some(HoldReason::TooFast)));
        assert_eq!(batch_outcome(true, None), SignOutcome::Created);
        assert_eq!(batch_outcome(true, Some(HoldReason::RateLimit)), SignOutcome::Held);
        assert_eq!(batch_outcome(false, Some(HoldReason::RateLimit)), SignOutcome::Ignored);
        assert_eq!(batch_outcome(false, None), SignOutcome::Repeat);
    }

    #[test]
    fn only_held_signatures_and_repeats_are_followed_up() {
        assert_eq!(
            follow_up(SignOutcome::Held, Some(HoldReason::FormStamp)),
            FollowUp::TallyHeld(HoldReason::FormStamp)
        );
        assert_eq!(follow_up(SignOutcome::Repeat, None), FollowUp::Repeat);
        for outcome in [SignOutcome::Created, SignOutcome::Ignored, SignOutcome::PetitionClosed] {
            assert_eq!(follow_up(outcome, None), FollowUp::Done);
            assert!(!needs_follow_up(outcome));
        }
        assert!(needs_follow_up(SignOutcome::Held) && needs_follow_up(SignOutcome::Repeat));
    }

    #[test]
    fn a_pending_repeat_resends_after_a_while_or_at_once_for_new_details() {
        let (now, stale_before) = (at(100), at(0));
        let found = existing(SignatureStatus::Pending, None, 95);
        let same = plan(repeat(&found, &details("Ada"), now, stale_before));
        assert_eq!(same.write, RepeatWrite::Nothing);
        assert_eq!(same.tally, Tally::Duplicate);
        let mail = same.mail.expect("a mail");
        assert_eq!((mail.kind, mail.due, mail.cap), (MailKind::Confirm, now - RESEND_AFTER, MAX_MAILS_PER_SIGNATURE));
        assert!(mail.with_details, "new details go only with the link for them");
        assert_eq!(same.outcome, SignOutcome::ConfirmationResent);
        let changed = plan(repeat(&found, &details("Ada Lovelace"), now, stale_before));
        assert_eq!(changed.mail.map(|m| m.due), Some(now), "no wait for changed details");
    }

    #[test]
    fn a_stale_or_withdrawn_signature_is_stored_afresh() {
        let (now, stale_before) = (at(100), at(50));
        let stale = existing(SignatureStatus::Pending, None, 10);
        assert_eq!(repeat(&stale, &details("Ada"), now, stale_before), RepeatDecision::ReplaceStale);
        let never_mailed = ExistingSignature { last_mail_at: None, ..stale };
        assert_eq!(repeat(&never_mailed, &details("Ada"), now, stale_before), RepeatDecision::ReplaceStale);
        let gone = ExistingSignature { details: None, ..existing(SignatureStatus::Withdrawn, None, 99) };
        assert_eq!(repeat(&gone, &details("Ada"), now, stale_before), RepeatDecision::Afresh);
    }

    #[test]
    fn held_signatures_wait_for_review_unless_only_the_rate_limit_held_them() {
        let (now, stale_before) = (at(100), at(50));
        for reason in [HoldReason::TooFast, HoldReason::FormStamp] {
            // Held signatures were never mailed: not stale for that.
            let held = ExistingSignature { last_mail_at: None, ..existing(SignatureStatus::Pending, Some(reason), 0) };
            let kept = plan(repeat(&held, &details("Ada"), now, stale_before));
            assert_eq!(
                (kept.write, kept.tally, kept.mail, kept.outcome),
                (RepeatWrite::Details, Tally::Duplicate, None, SignOutcome::Held)
            );
        }
        let limited = ExistingSignature {
            last_mail_at: None,
            ..existing(SignatureStatus::Pending, Some(HoldReason::RateLimit), 0)
        };
        let released = plan(repeat(&limited, &details("Ada"), now, stale_before));
        assert_eq!((released.write, released.tally), (RepeatWrite::DetailsReleased, Tally::Released));
        assert_eq!(released.mail.map(|m| (m.kind, m.with_details)), Some((MailKind::Confirm, false)));
    }

    #[test]
    fn a_confirmed_signer_is_told_and_keeps_their_details() {
        let found = existing(SignatureStatus::Confirmed, None, 0);
        let told = plan(repeat(&found, &details("Someone else"), at(100), at(50)));
        assert_eq!(told.write, RepeatWrite::Language);
        assert_eq!(
            told.mail.map(|m| (m.kind, m.due, m.with_details)),
            Some((MailKind::AlreadySigned, at(100) - RESEND_AFTER, false))
        );
        assert_eq!(told.outcome, SignOutcome::AlreadySignedNotified);
    }

    /// Whether `mail` can be taken from `found`'s budget, as
    /// `db::signing::claim_mails` decides: `budget` if mails are left.
    fn claims(found: &ExistingSignature, mail: RepeatMail, budget: bool) -> bool {
        budget && found.last_mail_at.is_none_or(|t| t <= mail.due)
    }

    /// What carrying out `decision` for a submission with details `new`
    /// leaves of `found`, as `db::signing` writes it; `budget` if the
    /// signature has mails left.
    fn after(
        found: &ExistingSignature,
        decision: RepeatDecision,
        new: &SignatureDetails,
        now: NaiveDateTime,
        budget: bool,
    ) -> ExistingSignature {
        let RepeatDecision::Act(plan) = decision else {
            // Stored afresh (with a budget of its own), and mailed.
            let status = SignatureStatus::Pending;
            let details = Some(new.clone());
            return ExistingSignature { status, last_mail_at: Some(now), held: None, details, ..*found };
        };
        let mut next = found.clone();
        match plan.write {
            RepeatWrite::Nothing => {}
            RepeatWrite::Details => next.details = Some(new.clone()),
            RepeatWrite::DetailsReleased => (next.details, next.held) = (Some(new.clone()), None),
            RepeatWrite::Language => {
                if let Some(details) = next.details.as_mut() {
                    details.language = new.language;
                }
            }
        }
        if let Some(mail) = plan.mail
            && claims(&next, mail, budget)
        {
            next.last_mail_at = Some(now);
            if mail.with_details {
                next.details = Some(new.clone());
            }
        }
        next
    }

    #[test]
    fn the_same_submission_right_after_another_is_only_a_duplicate() {
        let (now, stale_before) = (at(100), at(50));
        let never_mailed = |status, held| ExistingSignature { last_mail_at: None, ..existing(status, held, 0) };
        let found = [
            existing(SignatureStatus::Pending, None, 95),
            existing(SignatureStatus::Pending, None, 60),
            existing(SignatureStatus::Pending, None, 10),
            never_mailed(SignatureStatus::Pending, None),
            never_mailed(SignatureStatus::Pending, Some(HoldReason::TooFast)),
            never_mailed(SignatureStatus::Pending, Some(HoldReason::RateLimit)),
            existing(SignatureStatus::Confirmed, None, 0),
            existing(SignatureStatus::Confirmed, None, 99),
            ExistingSignature { details: None, ..existing(SignatureStatus::Withdrawn, None, 99) },
        ];
        let french = SignatureDetails { language: Language::Fr, ..details("Ada") };
        for found in found {
            // A held signature was stored held and never mailed: its budget
            // is whole (holds are set only on insert).
            let budgets: &[bool] = if found.held.is_some() { &[true] } else { &[true, false] };
            for (new, &budget) in [details("Ada"), details("Ada Lovelace"), french.clone()]
                .iter()
                .flat_map(|new| budgets.iter().map(move |b| (new, b)))
            {
                let case = format!("{found:?} then {new:?}, mails left: {budget}");
                let then = after(&found, repeat(&found, new, now, stale_before), new, now, budget);
                let second = plan(repeat(&then, new, now, stale_before));
                assert_eq!(second.tally, Tally::Duplicate, "{case}");
                assert_eq!(after(&then, RepeatDecision::Act(second), new, now, budget), then, "{case}: a write");
                assert!(second.mail.is_none_or(|mail| !claims(&then, mail, budget)), "{case}: a mail");
            }
        }
    }

    #[test]
    fn only_the_same_address_and_details_are_the_same_submission() {
        let signature = |email: &str, name: &str| {
            NewSignature::parse(&crate::domain::SignatureInput {
                name: name.into(),
                email: email.into(),
                country: "GB".into(),
                postcode: String::new(),
                keep_informed: false,
                language: Language::En,
            })
            .unwrap_or_else(|e| panic!("{e:?}"))
        };
        let ada = signature("ada@example.org", "Ada");
        assert_eq!(again(&ada, &signature("ada@example.org", "Ada")), Some(Tally::Duplicate));
        assert_eq!(again(&ada, &signature("ada@example.org", "Ada Lovelace")), None);
        assert_eq!(again(&ada, &signature("Ada@example.org", "Ada")), None, "the address as typed is a detail");
    }
}
