//! What an emailed link does: confirm exactly the details it was mailed
//! for, or withdraw the signature and forget every copy of its mail.
//!
//! A link is bound to the details its mail showed (a keyed digest stored
//! with its token, see `Keys::details_digest`), and the confirmation page's
//! form carries the digest of what the page showed. A confirmation goes
//! through only while the signature's details still match both, checked in
//! the transaction that confirms; so a change made between the mail and the
//! click (or between the page and the button) is never what gets confirmed.
//!
//! Confirmations are written as signatures are, many to a transaction: the
//! POST hands a [`Confirmation`] to the group-commit writer
//! (`signing::SignQueue::confirm`), which runs [`confirm_batch`] and answers
//! each request once its batch is committed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::db::counts::ByCountry;
use crate::db::links::{self, NewlyConfirmed, TokenTarget, WithdrawOutcome};
use diesel::result::QueryResult;

use crate::db::{Db, DbConnection, DbError};
use crate::domain::{DetailsDigest, Language, Receipt, SignatureStatus, TokenHash};
use crate::email::MailFiles;
use crate::keys::Keys;
use crate::vault::Vault;

/// A confirmation POST, as the group-commit writer takes it.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The hash of the link's token.
    pub hash: TokenHash,
    /// The digest of what the confirmation page showed, if the form sent it.
    pub shown: Option<DetailsDigest>,
}

/// What a confirmation POST came to, and the confirmed counts of its
/// petition as of the transaction that confirmed it (for the page the signer
/// sees next, which counts them; read once per batch, not per request).
#[derive(Debug, Clone)]
pub struct ConfirmAnswer {
    pub outcome: Confirmed,
    /// For `Now` and `Already`.
    pub counts: Option<Arc<ByCountry>>,
}

/// What a confirmation POST came to. `lang` is the language the signature
/// was given in (its pages' language unless another is asked for).
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// Confirmed by this request; the receipt is the signer's, shown once.
    Now {
        petition_id: i64,
        lang: Language,
        receipt: Receipt,
    },
    Already {
        petition_id: i64,
        lang: Language,
    },
    Expired {
        petition_id: i64,
        lang: Language,
    },
    /// The details are no longer those the link was mailed for (or the page
    /// showed): nothing was confirmed. Carries the signature as it is now.
    Changed(Box<TokenTarget>),
    /// A link mailed before links were bound to details, sent without the
    /// page's digest: nothing changed, but only the page can say what is
    /// confirmed. Carries the signature as it is now.
    NeedsPage(Box<TokenTarget>),
    Unknown,
}

/// Whether a pending signature may be confirmed through this link with what
/// the page showed (`shown`, when the form sent it): its details now must be
/// the ones the link was mailed for and the ones shown. A link mailed before
/// links were bound to details confirms only through the page (`shown`).
pub fn may_confirm(now: DetailsDigest, mailed: Option<DetailsDigest>, shown: Option<DetailsDigest>) -> bool {
    let as_mailed = match mailed {
        Some(mailed) => mailed == now,
        None => shown.is_some(),
    };
    as_mailed && shown.is_none_or(|shown| shown == now)
}

/// Whether the page for this link can still confirm (no detail changed
/// since it was mailed); None if there is nothing to confirm.
pub fn still_as_mailed(keys: &Keys, target: &TokenTarget) -> Option<bool> {
    let details = target.details.as_ref()?;
    Some(target.bound_to.is_none_or(|mailed| mailed == keys.details_digest(details)))
}

/// The signature a link's token belongs to, its details opened: the one
/// reading of a link's target that pages and confirmations share.
pub fn target(conn: &mut DbConnection, vault: &Vault, hash: &TokenHash) -> QueryResult<Option<TokenTarget>> {
    let Some(stored) = links::find_by_token(conn, hash)? else {
        return Ok(None);
    };
    open(conn, vault, stored).map(Some)
}

/// A link's signature as read, its personal data opened (an error naming
/// the row if it does not open).
fn open(conn: &mut DbConnection, vault: &Vault, stored: links::StoredTarget) -> QueryResult<TokenTarget> {
    let personal = match &stored.personal {
        Some(p) => Some(vault.open(conn, stored.petition_id, stored.signature_id, &stored.email_key, p)?),
        None => None,
    };
    Ok(stored.opened(personal))
}

/// Confirms, in the caller's transaction, the signature of each link in
/// `batch` whose details are as mailed (and as shown), and counts and logs
/// those confirmed; returns what each came to, in order, with its
/// petition's counts. Repeating one, in the same batch or later, is
/// harmless: it is `Already` confirmed.
///
/// One read finds every link's signature (locked until the transaction
/// ends, see `links::find_by_tokens`) and one UPDATE confirms those that may
/// be, so that what was checked is what gets confirmed.
pub fn confirm_batch(
    conn: &mut DbConnection,
    keys: &Keys,
    batch: &[Confirmation],
    now: chrono::NaiveDateTime,
) -> QueryResult<Vec<ConfirmAnswer>> {
    let hashes: Vec<TokenHash> = batch.iter().map(|one| one.hash).collect();
    let stored = links::find_by_tokens(conn, &hashes)?;
    let mut newly: Vec<NewlyConfirmed> = Vec::new();
    // A signature two links of this batch confirm (a mail sent again) is
    // confirmed by the first; the second finds it confirmed.
    let mut confirming: HashSet<i64> = HashSet::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for one in batch {
        let Some(found) = stored.get(&one.hash.0).cloned() else {
            outcomes.push(Confirmed::Unknown);
            continue;
        };
        let target = open(conn, keys.vault(), found)?;
        let (petition_id, lang) = (target.petition_id, target.lang());
        let outcome = match decide(keys, &target, one.shown, now) {
            Decision::Answer(outcome) => outcome,
            Decision::Confirm if confirming.contains(&target.signature_id) => Confirmed::Already { petition_id, lang },
            Decision::Confirm => {
                confirming.insert(target.signature_id);
                let receipt = Receipt::generate();
                newly.push(NewlyConfirmed {
                    petition_id,
                    signature_id: target.signature_id,
                    country: target.country.clone(),
                    signed_at: target.signed_at,
                    commitment: receipt.commitment(),
                });
                Confirmed::Now { petition_id, lang, receipt }
            }
        };
        outcomes.push(outcome);
    }
    let ids: Vec<i64> = newly.iter().map(|n| n.signature_id).collect();
    if links::confirm_all(conn, &ids, now)? != ids.len() {
        // Not what was read: the batch is written again item by item.
        return Err(diesel::result::Error::RollbackTransaction);
    }
    links::record_confirmed(conn, &newly, now)?;
    with_counts(conn, outcomes)
}

/// What a link's POST does to the signature it belongs to.
enum Decision {
    /// Nothing: this is the answer.
    Answer(Confirmed),
    /// Confirm it.
    Confirm,
}

/// Whether a link confirms its signature now, from the signature as read.
fn decide(keys: &Keys, target: &TokenTarget, shown: Option<DetailsDigest>, now: chrono::NaiveDateTime) -> Decision {
    let (petition_id, lang) = (target.petition_id, target.lang());
    let details = match (target.status, &target.details) {
        (SignatureStatus::Withdrawn, _) | (_, None) => return Decision::Answer(Confirmed::Unknown),
        (SignatureStatus::Confirmed, _) => return Decision::Answer(Confirmed::Already { petition_id, lang }),
        (SignatureStatus::Pending, _) if target.expires_at <= now => {
            return Decision::Answer(Confirmed::Expired { petition_id, lang });
        }
        (SignatureStatus::Pending, Some(details)) => details,
    };
    if target.bound_to.is_none() && shown.is_none() {
        return Decision::Answer(Confirmed::NeedsPage(Box::new(target.clone())));
    }
    if !may_confirm(keys.details_digest(details), target.bound_to, shown) {
        return Decision::Answer(Confirmed::Changed(Box::new(target.clone())));
    }
    Decision::Confirm
}

/// Each outcome with its petition's confirmed counts, read once per petition.
fn with_counts(conn: &mut DbConnection, outcomes: Vec<Confirmed>) -> QueryResult<Vec<ConfirmAnswer>> {
    let mut counts: HashMap<i64, Arc<ByCountry>> = HashMap::new();
    let mut answers = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let counts = match &outcome {
            Confirmed::Now { petition_id, .. } | Confirmed::Already { petition_id, .. } => {
                Some(match counts.get(petition_id) {
                    Some(c) => Arc::clone(c),
                    None => {
                        let c = Arc::new(crate::db::counts::for_petition(conn, *petition_id)?);
                        counts.insert(*petition_id, Arc::clone(&c));
                        c
                    }
                })
            }
            _ => None,
        };
        answers.push(ConfirmAnswer { outcome, counts });
    }
    Ok(answers)
}

/// Withdraws the signature of a link's token (its personal data erased,
/// out of the count) and deletes its mail files, if mail goes to files.
pub async fn withdraw(db: &Db, files: Option<&MailFiles>, hash: TokenHash) -> Result<WithdrawOutcome, DbError> {
    let now = crate::now();
    let outcome = db.write(move |c| links::withdraw(c, &hash, now)).await?;
    if let (WithdrawOutcome::Withdrawn { signature_id, .. }, Some(files)) = (&outcome, files) {
        files.forget(&[*signature_id]).await;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_confirms_only_what_it_was_mailed_for_and_the_page_showed() {
        let (a, b) = (DetailsDigest([1; 32]), DetailsDigest([2; 32]));
        assert!(may_confirm(a, Some(a), None), "a script POSTs what was mailed");
        assert!(may_confirm(a, Some(a), Some(a)), "the page showed what was mailed");
        assert!(!may_confirm(b, Some(a), None), "changed after the mail");
        assert!(!may_confirm(b, Some(a), Some(b)), "the page showed the change, but the mail did not");
        assert!(!may_confirm(a, Some(a), Some(b)), "the page showed other details than there are now");
        assert!(may_confirm(a, None, Some(a)), "an older link, through the page");
        assert!(!may_confirm(a, None, None), "an older link, by a script");
        assert!(!may_confirm(a, None, Some(b)));
    }
}
