//! Taking a signature: the one path behind the HTML form and the JSON API.
//!
//! [`sign`] judges a request from the request alone and hands it to the
//! group-commit queue ([`queue`]), which commits it with others; what a
//! repeat or a held signature does, and when mail goes, is [`policy`].

pub mod policy;
mod queue;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub use queue::{SignQueue, SignWriter};

use crate::abuse::{DomainList, SignLimits, Verdict};
use crate::catalog::{Catalog, PetitionView};
use crate::configuration::AbuseSettings;
use crate::db::{Db, DbError};
use crate::domain::{
    FieldErrors, HoldReason, NewSignature, PetitionState, Problem, SignItem, SignOutcome, SignatureInput, Tally,
    TallyItem,
};
use crate::keys::Keys;
use crate::metrics::{self, Metrics};
use crate::vault::PetitionKeys;

/// What signing needs of the application: where petitions and signatures
/// are, the keys, the guards, the metrics, and the group-commit queue.
#[derive(Clone, Copy)]
pub struct Signing<'a> {
    pub db: &'a Db,
    pub catalog: &'a Catalog,
    pub keys: &'a Keys,
    pub guards: &'a Guards,
    pub metrics: &'a Metrics,
    pub queue: &'a SignQueue,
}

/// Why a submission was not taken.
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

/// A sign request: the fields, and what tells people from bots.
#[derive(Debug, Clone)]
pub struct Submission {
    pub input: SignatureInput,
    pub honeypot: Honeypot,
    /// The client's address (see `routes::client`), if known.
    pub client: Option<IpAddr>,
    /// From the HTML form: its signed `started` field (empty if missing).
    /// None from the JSON API, which has no form.
    pub form_stamp: Option<String>,
}

/// What became of an accepted submission: decided from the request alone,
/// before the address is looked up, so that the answer (and the work done
/// on the way to it) is the same whether or not the address has signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// Not flagged: stored (or merged with an earlier one); a mail is on its
    /// way unless the mail limits say otherwise. The answer never tells which.
    Pending,
    /// Flagged (rate limit, form timing): a new address is stored held for
    /// review; an address that has signed, in any state, is left as it is.
    /// `retry_after`: when a request from the same network would be within
    /// the limits.
    Held { reason: HoldReason, retry_after: Option<Duration> },
}

/// The checks that need configuration: rate limits, form timing, domains.
pub struct Guards {
    pub limits: SignLimits,
    pub form_min_time: Duration,
    pub disposable: DomainList,
}

/// How long a sign form stays good for (a tab left open over a day is still
/// fine; a stamp older than this is held for review, not refused).
pub const FORM_MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::days(2);

impl Guards {
    /// The guards `settings` ask for.
    pub fn new(settings: &AbuseSettings) -> Self {
        if settings.rate_limits.is_empty() {
            tracing::warn!("SIGN_RATE_LIMIT=off: signing is not rate limited; use this for load tests only");
        }
        Self {
            limits: SignLimits::new(&settings.rate_limits),
            form_min_time: settings.form_min_time,
            disposable: settings.disposable_domains.clone(),
        }
    }

    /// Judges a submission for a petition, from the request alone. Every
    /// request that is not a bot's (the honeypot) counts against its
    /// network's rate limit.
    pub fn judge(&self, keys: &Keys, petition_id: i64, sub: &Submission) -> Verdict {
        if sub.honeypot == Honeypot::Filled {
            return Verdict::Honeypot;
        }
        if let Some(ip) = sub.client
            && let Err(wait) = self.limits.check(petition_id, ip)
        {
            return Verdict::Flagged { reason: HoldReason::RateLimit, retry_after: Some(wait) };
        }
        match &sub.form_stamp {
            Some(stamp) => match self.form_timing(keys, petition_id, stamp, chrono::Utc::now()) {
                Some(reason) => Verdict::Flagged { reason, retry_after: None },
                None => Verdict::Clean,
            },
            None => Verdict::Clean,
        }
    }

    /// Why a form submission should be held, judging by its stamp.
    fn form_timing(
        &self,
        keys: &Keys,
        petition_id: i64,
        stamp: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<HoldReason> {
        let Some(shown) = keys.check_form_stamp(petition_id, stamp) else {
            return Some(HoldReason::FormStamp);
        };
        let elapsed = now - shown;
        if elapsed > FORM_MAX_AGE || elapsed < -chrono::TimeDelta::seconds(5) {
            return Some(HoldReason::FormStamp);
        }
        let min = chrono::TimeDelta::from_std(self.form_min_time).unwrap_or(chrono::TimeDelta::MAX);
        (elapsed < min).then_some(HoldReason::TooFast)
    }
}

/// Validates and stores a signature, or queues the mail a repeat calls for.
///
/// The answer depends on the request only: what the request is (clean,
/// flagged and why, or a bot's) is decided before the address is looked
/// up, and the answer follows from that decision alone. A clean request
/// and a flagged one both wait for the batch that writes them, whether that
/// batch inserts a row or finds the address already there. Disposable
/// addresses are refused like any invalid field. A bot's submission and a
/// disposable address's are tallied in the same batches.
pub async fn sign(ctx: &Signing<'_>, slug: &str, sub: Submission) -> Result<(Arc<PetitionView>, Signed), SignError> {
    let petition = ctx.catalog.find(ctx.db, slug).await?.ok_or(SignError::NotFound)?;
    let now = crate::now();
    if petition.state_at(now) == PetitionState::Closed {
        return Err(SignError::Closed(petition));
    }
    let signature = match NewSignature::parse(&sub.input) {
        Ok(s) => s,
        Err(errors) => {
            ctx.metrics.submitted(metrics::Submission::Invalid);
            return Err(SignError::Invalid(petition, errors));
        }
    };
    let (petition_id, country) = (petition.id, signature.country.code());
    let guards = ctx.guards;
    if guards.disposable.contains(signature.email.domain()) {
        ctx.metrics.submitted(metrics::Submission::Disposable);
        ctx.queue.tally(TallyItem { petition_id, tally: Tally::Disposable, country }).await?;
        let mut errors = FieldErrors::default();
        let domain = signature.email.domain();
        let text = format!(
            "Addresses at {domain} are temporary (disposable), so the signature could not be confirmed for long. \
             Please use an address you keep."
        );
        errors.push("email", Problem::localised(text, "error-email-disposable").with_arg("domain", domain));
        return Err(SignError::Invalid(petition, errors));
    }
    let verdict = guards.judge(ctx.keys, petition_id, &sub);
    ctx.metrics.judged(verdict);
    let (held, answer) = match verdict {
        Verdict::Honeypot => {
            tracing::info!(petition = %petition.slug, "honeypot field filled; submission discarded");
            ctx.queue.tally(TallyItem { petition_id, tally: Tally::Honeypot, country }).await?;
            return Ok((petition, Signed::Pending));
        }
        Verdict::Clean => (None, Signed::Pending),
        Verdict::Flagged { reason, retry_after } => (Some(reason), Signed::Held { reason, retry_after }),
    };
    let keys = petition_keys(ctx, petition_id).await?;
    let email_key = keys.email_key(&signature.email);
    let personal = ctx.keys.vault().seal(&keys, &email_key, signature.personal());
    let item = SignItem { petition_id, signature, email_key, personal, held, mailed: policy::mailed_at_once(held) };
    let outcome = ctx.queue.submit(item).await?;
    tracing::debug!(petition = %petition.slug, ?outcome, ?held, "signature submitted");
    match outcome {
        SignOutcome::PetitionClosed => {
            ctx.metrics.submitted(metrics::Submission::Closed);
            Err(SignError::Closed(petition))
        }
        // Whatever the address's state, the answer is the request's.
        _ => Ok((petition, answer)),
    }
}

/// A petition's keys: from memory on every signature but a process's first
/// for the petition, which reads (or makes) them.
async fn petition_keys(ctx: &Signing<'_>, petition_id: i64) -> Result<Arc<PetitionKeys>, DbError> {
    let vault = Arc::clone(ctx.keys.vault());
    if let Some(keys) = vault.in_memory(petition_id) {
        return Ok(keys);
    }
    let shared = Arc::clone(&vault);
    let keys = ctx.db.write(move |c| shared.keys(c, petition_id)).await?;
    // Committed: later signatures find them in memory.
    vault.committed(&keys);
    Ok(keys)
}
