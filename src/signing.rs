//! Taking a signature: the one path behind the HTML form and the JSON API.

use std::sync::Arc;

use crate::catalog::PetitionView;
use crate::db::{self, DbError};
use crate::domain::{FieldErrors, NewSignature, PetitionState, SignatureInput};
use crate::state::AppState;

#[derive(Debug)]
pub enum SignError {
    NotFound,
    Closed(Arc<PetitionView>),
    Invalid(Arc<PetitionView>, FieldErrors),
    Db(DbError),
}

impl From<DbError> for SignError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

/// Whether a bot filled the field people cannot see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Honeypot {
    Empty,
    Filled,
}

/// Validates and stores a signature, or queues the mail a repeat calls for.
///
/// Every accepted submission returns the same `Ok`, whether it was new, a
/// repeat, or caught by the honeypot: the answer never tells who has signed.
pub async fn sign(
    state: &AppState,
    slug: &str,
    input: SignatureInput,
    honeypot: Honeypot,
) -> Result<Arc<PetitionView>, SignError> {
    let petition = state.catalog.find(&state.db, slug).await?.ok_or(SignError::NotFound)?;
    let now = crate::now();
    if petition.state_at(now) == PetitionState::Closed {
        return Err(SignError::Closed(petition));
    }
    let signature = match NewSignature::parse(&input) {
        Ok(s) => s,
        Err(errors) => return Err(SignError::Invalid(petition, errors)),
    };
    if honeypot == Honeypot::Filled {
        tracing::info!(petition = %petition.slug, "honeypot field filled; submission discarded");
        let (petition_id, country) = (petition.id, signature.country.code());
        state.db.write(move |c| db::counts::record_tally(c, petition_id, db::counts::Tally::Honeypot, country)).await?;
        return Ok(petition);
    }
    let key = state.keys.email_key(&signature.email);
    let petition_id = petition.id;
    let ttl = chrono::TimeDelta::from_std(state.confirmation_ttl).unwrap_or(chrono::TimeDelta::MAX);
    let stale_before = now.checked_sub_signed(ttl).unwrap_or(chrono::NaiveDateTime::MIN);
    let outcome =
        state.db.write(move |c| db::signatures::sign(c, petition_id, &signature, &key, now, stale_before)).await?;
    tracing::debug!(petition = %petition.slug, ?outcome, "signature submitted");
    if outcome.queued_mail() {
        state.mail_wakeup.notify_one();
    }
    Ok(petition)
}
