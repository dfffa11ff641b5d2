//! What an emailed link does: confirm exactly the details it was mailed
//! for, or withdraw the signature and forget every copy of its mail.
//!
//! A link is bound to the details its mail showed (a keyed digest stored
//! with its token, see `Keys::details_digest`), and the confirmation page's
//! form carries the digest of what the page showed. A confirmation goes
//! through only while the signature's details still match both, checked in
//! the transaction that confirms; so a change made between the mail and the
//! click (or between the page and the button) is never what gets confirmed.

use crate::db::links::{self, TokenTarget, WithdrawOutcome};
use diesel::result::QueryResult;

use crate::db::{Db, DbConnection, DbError};
use crate::domain::{DetailsDigest, Receipt, SignatureStatus, TokenHash};
use crate::email::MailFiles;
use crate::keys::Keys;
use crate::vault::Vault;

/// What a confirmation POST came to.
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// Confirmed by this request; the receipt is the signer's, shown once.
    Now {
        petition_id: i64,
        receipt: Receipt,
    },
    Already {
        petition_id: i64,
    },
    Expired {
        petition_id: i64,
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
    let personal = match &stored.personal {
        Some(p) => Some(vault.open(conn, stored.petition_id, stored.signature_id, &stored.email_key, p)?),
        None => None,
    };
    Ok(Some(stored.opened(personal)))
}

/// How often a confirmation is tried again when the signature changed
/// under it between reading and writing.
const ATTEMPTS: usize = 3;

/// Confirms the signature of a link's token, if its details are as mailed
/// (and as `shown`). Repeating it is harmless.
pub async fn confirm(
    db: &Db,
    keys: &Keys,
    hash: TokenHash,
    shown: Option<DetailsDigest>,
) -> Result<Confirmed, DbError> {
    let keys = keys.clone();
    let now = crate::now();
    db.write(move |c| {
        for _ in 0..ATTEMPTS {
            let Some(target) = target(c, keys.vault(), &hash)? else {
                return Ok(Confirmed::Unknown);
            };
            let petition_id = target.petition_id;
            let details = match (target.status, &target.details) {
                (SignatureStatus::Withdrawn, _) | (_, None) => return Ok(Confirmed::Unknown),
                (SignatureStatus::Confirmed, _) => return Ok(Confirmed::Already { petition_id }),
                (SignatureStatus::Pending, _) if target.expires_at <= now => {
                    return Ok(Confirmed::Expired { petition_id });
                }
                (SignatureStatus::Pending, Some(details)) => details.clone(),
            };
            if target.bound_to.is_none() && shown.is_none() {
                return Ok(Confirmed::NeedsPage(Box::new(target)));
            }
            if !may_confirm(keys.details_digest(&details), target.bound_to, shown) {
                return Ok(Confirmed::Changed(Box::new(target)));
            }
            let receipt = Receipt::generate();
            if links::confirm_as(c, &target, &details, &receipt.commitment(), now)? {
                return Ok(Confirmed::Now { petition_id, receipt });
            }
            // Confirmed, withdrawn or changed meanwhile: look again.
        }
        Ok(Confirmed::Unknown)
    })
    .await
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
