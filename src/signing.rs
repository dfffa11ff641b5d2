//! Taking a signature: the one path behind the HTML form and the JSON API,
//! and the queue that commits signatures in groups.
//!
//! Each request waits until its signature and its confirmation mail are
//! committed, but requests arriving together share one transaction (group
//! commit): while a batch is being written, the next one gathers. A surge
//! thus costs a few commits per second instead of one per signature.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::abuse::{DomainList, SignLimits, Verdict};
use crate::catalog::PetitionView;
use crate::configuration::AbuseSettings;
use crate::db::counts::Tally;
use crate::db::signatures::{SignItem, SignOutcome};
use crate::db::{self, Db, DbError};
use crate::domain::{FieldErrors, HoldReason, NewSignature, PetitionState, Problem, SignatureInput};
use crate::keys::Keys;
use crate::metrics;
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
/// addresses are refused like any invalid field.
pub async fn sign(state: &AppState, slug: &str, sub: Submission) -> Result<(Arc<PetitionView>, Signed), SignError> {
    let petition = state.catalog.find(&state.db, slug).await?.ok_or(SignError::NotFound)?;
    let now = crate::now();
    if petition.state_at(now) == PetitionState::Closed {
        return Err(SignError::Closed(petition));
    }
    let signature = match NewSignature::parse(&sub.input) {
        Ok(s) => s,
        Err(errors) => {
            state.metrics.submitted(metrics::Submission::Invalid);
            return Err(SignError::Invalid(petition, errors));
        }
    };
    let (petition_id, country) = (petition.id, signature.country.code());
    let guards = &state.guards;
    if guards.disposable.contains(signature.email.domain()) {
        state.metrics.submitted(metrics::Submission::Disposable);
        state.db.write(move |c| db::counts::record_tally(c, petition_id, Tally::Disposable, country)).await?;
        let mut errors = FieldErrors::default();
        let domain = signature.email.domain();
        let text = format!(
            "Addresses at {domain} are temporary (disposable), so the signature could not be confirmed for long. \
             Please use an address you keep."
        );
        errors.push("email", Problem::localised(text, "error-email-disposable").with_arg("domain", domain));
        return Err(SignError::Invalid(petition, errors));
    }
    let verdict = guards.judge(&state.keys, petition_id, &sub);
    state.metrics.judged(verdict);
    let (held, answer) = match verdict {
        Verdict::Honeypot => {
            tracing::info!(petition = %petition.slug, "honeypot field filled; submission discarded");
            state.db.write(move |c| db::counts::record_tally(c, petition_id, Tally::Honeypot, country)).await?;
            return Ok((petition, Signed::Pending));
        }
        Verdict::Clean => (None, Signed::Pending),
        Verdict::Flagged { reason, retry_after } => (Some(reason), Signed::Held { reason, retry_after }),
    };
    let email_key = state.keys.email_key(&signature.email);
    let outcome = state.signer.submit(SignItem { petition_id, signature, email_key, held }).await?;
    tracing::debug!(petition = %petition.slug, ?outcome, ?held, "signature submitted");
    match outcome {
        SignOutcome::PetitionClosed => {
            state.metrics.submitted(metrics::Submission::Closed);
            Err(SignError::Closed(petition))
        }
        // Whatever the address's state, the answer is the request's.
        _ => Ok((petition, answer)),
    }
}

/// The most signatures one transaction takes.
const MAX_BATCH: usize = 512;

struct Pending {
    item: SignItem,
    reply: oneshot::Sender<Result<SignOutcome, DbError>>,
}

/// The way in to the group-commit writer.
#[derive(Clone)]
pub struct SignQueue {
    tx: mpsc::Sender<Pending>,
    unsettled: Arc<Unsettled>,
}

/// Submissions not yet fully written (answered, and followed up): so that
/// a stopping server, or a test, can wait for the follow-ups too.
#[derive(Default)]
struct Unsettled {
    count: std::sync::atomic::AtomicUsize,
    settled: Notify,
}

/// Uncounts a submission that did not reach the writer, when dropped armed.
struct Unsent<'a>(Option<&'a Unsettled>);

impl Drop for Unsent<'_> {
    fn drop(&mut self) {
        if let Some(unsettled) = self.0 {
            unsettled.done(1);
        }
    }
}

impl Unsettled {
    fn add(&self, n: usize) {
        self.count.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }

    fn done(&self, n: usize) {
        if self.count.fetch_sub(n, std::sync::atomic::Ordering::SeqCst) == n {
            self.settled.notify_waiters();
        }
    }
}

impl SignQueue {
    /// A queue and the task that writes what it receives. `writers` batches
    /// may be in flight at once (1 for SQLite, which has one writer).
    pub fn new(db: Db, confirmation_ttl: Duration, mail_wakeup: Arc<Notify>, writers: usize) -> (Self, SignWriter) {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        let unsettled = Arc::new(Unsettled::default());
        let writers = Arc::new(Semaphore::new(writers.max(1)));
        let writer = SignWriter { db, rx, confirmation_ttl, mail_wakeup, writers, unsettled: Arc::clone(&unsettled) };
        (Self { tx, unsettled }, writer)
    }

    /// Resolves once every submission so far is written and followed up
    /// (its repeat handled, its mail queued).
    pub async fn settled(&self) {
        loop {
            let settled = self.unsettled.settled.notified();
            if self.unsettled.count.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            settled.await;
        }
    }

    /// Resolves once the signature (or the repeat's mail) is committed, or
    /// with `Unavailable` after [`db::REQUEST_DEADLINE`] (the signature may
    /// then still be committed; signing again is harmless).
    pub async fn submit(&self, item: SignItem) -> Result<SignOutcome, DbError> {
        let (reply, answer) = oneshot::channel();
        let wait = async {
            // Counted until the writer is done with it; uncounted again if it
            // never reaches the writer (refused, or this wait given up).
            self.unsettled.add(1);
            let mut unsent = Unsent(Some(&self.unsettled));
            if self.tx.send(Pending { item, reply }).await.is_err() {
                return Err(DbError::Unavailable("the signature writer has stopped".into()));
            }
            unsent.0 = None;
            answer.await.map_err(|_| DbError::Task)?
        };
        tokio::time::timeout(db::REQUEST_DEADLINE, wait)
            .await
            .unwrap_or_else(|_| Err(DbError::Unavailable("the database did not answer in time".into())))
    }
}

/// The task behind a [`SignQueue`]; run it with [`SignWriter::run`].
pub struct SignWriter {
    db: Db,
    rx: mpsc::Receiver<Pending>,
    confirmation_ttl: Duration,
    mail_wakeup: Arc<Notify>,
    writers: Arc<Semaphore>,
    unsettled: Arc<Unsettled>,
}

impl SignWriter {
    pub async fn run(mut self) {
        while let Some(first) = self.rx.recv().await {
            // Waiting for a free writer first lets the batch grow meanwhile.
            let Ok(permit) = Arc::clone(&self.writers).acquire_owned().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let (db, wakeup, ttl) = (self.db.clone(), Arc::clone(&self.mail_wakeup), self.confirmation_ttl);
            let unsettled = Arc::clone(&self.unsettled);
            tokio::spawn(async move {
                let size = batch.len();
                write_batch(&db, batch, ttl, &wakeup).await;
                drop(permit);
                unsettled.done(size);
            });
        }
    }
}

/// Writes a batch, answers each request, then does what the answers left
/// to do (repeats, held tallies: [`db::signatures::follow_up`]). The answer
/// waits for the batch's insert alone, whose cost does not depend on
/// whether an address was already there.
async fn write_batch(db: &Db, batch: Vec<Pending>, ttl: Duration, wakeup: &Notify) {
    let now = crate::now();
    let ttl = chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    let stale_before = now.checked_sub_signed(ttl).unwrap_or(chrono::NaiveDateTime::MIN);
    let (items, replies): (Vec<SignItem>, Vec<_>) = batch.into_iter().map(|p| (p.item, p.reply)).unzip();
    let items = Arc::new(items);
    let shared = Arc::clone(&items);
    let outcomes: Vec<Option<SignOutcome>> = match db.write(move |c| db::signatures::sign_batch(c, &shared, now)).await
    {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(&outcomes) {
                let _ = reply.send(Ok(*outcome));
            }
            outcomes.into_iter().map(Some).collect()
        }
        // The database is away: every request hears so (503).
        Err(e @ (DbError::Unavailable(_) | DbError::Task)) => {
            let reason = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(DbError::Unavailable(reason.clone())));
            }
            return;
        }
        // Something in the batch failed: each item alone, so that one
        // cannot sink the others.
        Err(e) => {
            tracing::warn!(error = %e, size = items.len(), "batch failed; writing its signatures one by one");
            let mut outcomes = Vec::with_capacity(items.len());
            for (index, reply) in replies.into_iter().enumerate() {
                let items = Arc::clone(&items);
                let one = db
                    .write(move |c| db::signatures::sign_batch(c, &items[index..=index], now))
                    .await
                    .map(|mut o| o.pop().unwrap_or(SignOutcome::MailLimited));
                outcomes.push(one.as_ref().ok().copied());
                let _ = reply.send(one);
            }
            outcomes
        }
    };
    wakeup.notify_one();
    let left: Vec<(SignItem, SignOutcome)> = items
        .iter()
        .zip(outcomes)
        .filter_map(|(item, outcome)| {
            outcome.filter(|o| db::signatures::needs_follow_up(*o)).map(|o| (item.clone(), o))
        })
        .collect();
    if left.is_empty() {
        return;
    }
    let left = Arc::new(left);
    let shared = Arc::clone(&left);
    if let Err(e) = db.write(move |c| db::signatures::follow_up(c, &shared, now, stale_before)).await {
        tracing::warn!(error = %e, size = left.len(), "following up a batch failed; trying its items one by one");
        for index in 0..left.len() {
            let left = Arc::clone(&left);
            if let Err(e) =
                db.write(move |c| db::signatures::follow_up(c, &left[index..=index], now, stale_before)).await
            {
                tracing::warn!(error = %e, "a repeat could not be followed up; the signer may sign again");
            }
        }
    }
    wakeup.notify_one();
}
