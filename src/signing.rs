//! Taking a signature: the one path behind the HTML form and the JSON API,
//! and the queue that commits signatures in groups.
//!
//! Each request waits until its signature and its confirmation mail are
//! committed, but requests arriving together share one transaction (group
//! commit): while a batch is being written, the next one gathers. A surge
//! thus costs a few commits per second instead of one per signature.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::catalog::PetitionView;
use crate::db::signatures::{SignItem, SignOutcome};
use crate::db::{self, Db, DbError};
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
    let email_key = state.keys.email_key(&signature.email);
    let outcome = state.signer.submit(SignItem { petition_id: petition.id, signature, email_key }).await?;
    tracing::debug!(petition = %petition.slug, ?outcome, "signature submitted");
    if outcome == SignOutcome::PetitionClosed {
        return Err(SignError::Closed(petition));
    }
    Ok(petition)
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
}

impl SignQueue {
    /// A queue and the task that writes what it receives. `writers` batches
    /// may be in flight at once (1 for SQLite, which has one writer).
    pub fn new(db: Db, confirmation_ttl: Duration, mail_wakeup: Arc<Notify>, writers: usize) -> (Self, SignWriter) {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        (
            Self { tx },
            SignWriter { db, rx, confirmation_ttl, mail_wakeup, writers: Arc::new(Semaphore::new(writers.max(1))) },
        )
    }

    /// Resolves once the signature (or the repeat's mail) is committed.
    pub async fn submit(&self, item: SignItem) -> Result<SignOutcome, DbError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Pending { item, reply })
            .await
            .map_err(|_| DbError::Unavailable("the signature writer has stopped".into()))?;
        answer.await.map_err(|_| DbError::Task)?
    }
}

/// The task behind a [`SignQueue`]; run it with [`SignWriter::run`].
pub struct SignWriter {
    db: Db,
    rx: mpsc::Receiver<Pending>,
    confirmation_ttl: Duration,
    mail_wakeup: Arc<Notify>,
    writers: Arc<Semaphore>,
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
            tokio::spawn(async move {
                write_batch(&db, batch, ttl).await;
                wakeup.notify_one();
                drop(permit);
            });
        }
    }
}

async fn write_batch(db: &Db, batch: Vec<Pending>, ttl: Duration) {
    let now = crate::now();
    let ttl = chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    let stale_before = now.checked_sub_signed(ttl).unwrap_or(chrono::NaiveDateTime::MIN);
    let (items, replies): (Vec<SignItem>, Vec<_>) = batch.into_iter().map(|p| (p.item, p.reply)).unzip();
    let items = Arc::new(items);
    let shared = Arc::clone(&items);
    match db.write(move |c| db::signatures::sign_batch(c, &shared, now, stale_before)).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        // The database is away: every request hears so (503).
        Err(e @ (DbError::Unavailable(_) | DbError::Task)) => {
            let reason = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(DbError::Unavailable(reason.clone())));
            }
        }
        // Something in the batch failed: each item alone, so that one cannot
        // sink the others.
        Err(e) => {
            tracing::warn!(error = %e, size = items.len(), "batch failed; writing its signatures one by one");
            for (index, reply) in replies.into_iter().enumerate() {
                let items = Arc::clone(&items);
                let one =
                    db.write(move |c| db::signatures::sign_batch(c, &items[index..=index], now, stale_before)).await;
                let _ = reply.send(one.map(|mut o| o.pop().unwrap_or(SignOutcome::MailLimited)));
            }
        }
    }
}
