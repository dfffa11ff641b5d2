//! The group-commit writer behind [`sign`](super::sign) and confirmation
//! POSTs (`confirmation::confirm_batch`).
//!
//! Each request waits until its signature and its confirmation mail (or
//! its tally, or its confirmation) are committed, but requests arriving
//! together share one transaction (group commit): while a batch is being
//! written, the next one gathers. A surge of signatures and of clicks on
//! their links, or a bot flood, thus costs a few commits per second instead
//! of one per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::result::QueryResult;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use super::policy::{self, FollowUp};
use crate::confirmation::{self, ConfirmAnswer, Confirmation};
use crate::db::signing::{RepeatAct, Stored};
use crate::db::{self, Db, DbConnection, DbError};
use crate::domain::{
    ExistingSignature, RepeatDecision, SignItem, SignOutcome, SignatureDetails, StoredSignature, Tally, TallyItem,
};
use crate::keys::Keys;
use crate::vault::Vault;

/// The most submissions (signatures, tallies and confirmations) one
/// transaction takes.
const MAX_BATCH: usize = 512;

type Reply<T> = oneshot::Sender<Result<T, DbError>>;

/// A submission waiting for its batch, and where its answer goes.
enum Pending {
    Sign { item: SignItem, reply: Reply<SignOutcome> },
    Tally { item: TallyItem, reply: Reply<()> },
    Confirm { item: Confirmation, reply: Reply<ConfirmAnswer> },
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
    /// `keys` open the stored details a repeat or a confirmation is compared
    /// with.
    pub fn new(
        db: Db,
        keys: Keys,
        confirmation_ttl: Duration,
        mail_wakeup: Arc<Notify>,
        writers: usize,
    ) -> (Self, SignWriter) {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        let unsettled = Arc::new(Unsettled::default());
        let writers = Arc::new(Semaphore::new(writers.max(1)));
        let writer =
            SignWriter { db, keys, rx, confirmation_ttl, mail_wakeup, writers, unsettled: Arc::clone(&unsettled) };
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
        self.send(|reply| Pending::Sign { item, reply }).await
    }

    /// Resolves once the tally is committed (with the batch it joined), or
    /// with `Unavailable` after [`db::REQUEST_DEADLINE`].
    pub async fn tally(&self, item: TallyItem) -> Result<(), DbError> {
        self.send(|reply| Pending::Tally { item, reply }).await
    }

    /// Resolves with what the confirmation came to once it is committed
    /// (with the batch it joined), or with `Unavailable` after
    /// [`db::REQUEST_DEADLINE`] (it may then still be committed; confirming
    /// again is harmless).
    pub async fn confirm(&self, item: Confirmation) -> Result<ConfirmAnswer, DbError> {
        self.send(|reply| Pending::Confirm { item, reply }).await
    }

    async fn send<T>(&self, pending: impl FnOnce(Reply<T>) -> Pending) -> Result<T, DbError> {
        let (reply, answer) = oneshot::channel();
        let wait = async {
            // Counted until the writer is done with it; uncounted again if it
            // never reaches the writer (refused, or this wait given up).
            self.unsettled.add(1);
            let mut unsent = Unsent(Some(&self.unsettled));
            if self.tx.send(pending(reply)).await.is_err() {
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
    keys: Keys,
    rx: mpsc::Receiver<Pending>,
    confirmation_ttl: Duration,
    mail_wakeup: Arc<Notify>,
    writers: Arc<Semaphore>,
    unsettled: Arc<Unsettled>,
}

impl SignWriter {
    /// Writes batches until every [`SignQueue`] is dropped.
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
            let (unsettled, keys) = (Arc::clone(&self.unsettled), self.keys.clone());
            tokio::spawn(async move {
                let size = batch.len();
                write_batch(&db, &keys, batch, ttl, &wakeup).await;
                drop(permit);
                unsettled.done(size);
            });
        }
    }
}

/// Sends each reply its answer: a reply whose request gave up has nobody to
/// hear it.
fn answer<T>(replies: Vec<Reply<T>>, answers: impl IntoIterator<Item = Result<T, DbError>>) {
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
}

/// Writes a batch, answers each request, then does what the answers left
/// to do (repeats, held tallies: [`follow_up`]). The answer waits for the
/// batch's insert alone, whose cost does not depend on whether an address
/// was already there.
async fn write_batch(db: &Db, keys: &Keys, batch: Vec<Pending>, ttl: Duration, wakeup: &Notify) {
    let now = crate::now();
    let ttl = chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    let stale_before = now.checked_sub_signed(ttl).unwrap_or(chrono::NaiveDateTime::MIN);
    let (mut items, mut replies, mut tallies, mut tally_replies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut confirms, mut confirm_replies) = (Vec::new(), Vec::new());
    for pending in batch {
        match pending {
            Pending::Sign { item, reply } => {
                items.push(item);
                replies.push(reply);
            }
            Pending::Tally { item, reply } => {
                tallies.push(item);
                tally_replies.push(reply);
            }
            Pending::Confirm { item, reply } => {
                confirms.push(item);
                confirm_replies.push(reply);
            }
        }
    }
    let (items, tallies, confirms) = (Arc::new(items), Arc::new(tallies), Arc::new(confirms));
    let (shared, shared_tallies, shared_confirms) = (Arc::clone(&items), Arc::clone(&tallies), Arc::clone(&confirms));
    let opener = keys.clone();
    let written = db
        .write(move |c| {
            let stored = db::signing::sign_batch(c, &shared, &shared_tallies, now)?;
            Ok((stored, confirmation::confirm_batch(c, &opener, &shared_confirms, now)?))
        })
        .await;
    let outcomes: Vec<Option<SignOutcome>> = match written {
        Ok((stored, confirmed)) => {
            answer(tally_replies, std::iter::repeat_with(|| Ok(())));
            answer(confirm_replies, confirmed.into_iter().map(Ok));
            let outcomes: Vec<SignOutcome> = items.iter().zip(stored).map(|(item, s)| outcome(item, s)).collect();
            answer(replies, outcomes.iter().copied().map(Ok));
            outcomes.into_iter().map(Some).collect()
        }
        // The database is away: every request hears so (503).
        Err(e @ (DbError::Unavailable(_) | DbError::Task)) => {
            let away = || DbError::Unavailable(e.to_string());
            answer(tally_replies, std::iter::repeat_with(|| Err(away())));
            answer(confirm_replies, std::iter::repeat_with(|| Err(away())));
            answer(replies, std::iter::repeat_with(|| Err(away())));
            return;
        }
        // Something in the batch failed: each item alone, so that one
        // cannot sink the others.
        Err(e) => {
            tracing::warn!(error = %e, size = items.len() + tallies.len() + confirms.len(), "batch failed; writing its items one by one");
            for (index, reply) in tally_replies.into_iter().enumerate() {
                let tallies = Arc::clone(&tallies);
                let one = db.write(move |c| db::signing::sign_batch(c, &[], &tallies[index..=index], now)).await;
                let _ = reply.send(one.map(|_| ()));
            }
            for (index, reply) in confirm_replies.into_iter().enumerate() {
                let (confirms, keys) = (Arc::clone(&confirms), keys.clone());
                let one = db
                    .write(move |c| confirmation::confirm_batch(c, &keys, &confirms[index..=index], now))
                    .await
                    .map(|mut done| {
                        done.pop().unwrap_or(ConfirmAnswer { outcome: confirmation::Confirmed::Unknown, counts: None })
                    });
                let _ = reply.send(one);
            }
            let mut outcomes = Vec::with_capacity(items.len());
            for (index, reply) in replies.into_iter().enumerate() {
                let shared = Arc::clone(&items);
                let one = db
                    .write(move |c| db::signing::sign_batch(c, &shared[index..=index], &[], now))
                    .await
                    .map(|mut s| s.pop().map_or(SignOutcome::MailLimited, |s| outcome(&items[index], s)));
                outcomes.push(one.as_ref().ok().copied());
                let _ = reply.send(one);
            }
            outcomes
        }
    };
    if items.is_empty() {
        return;
    }
    wakeup.notify_one();
    let left: Vec<(SignItem, SignOutcome)> = items
        .iter()
        .zip(outcomes)
        .filter_map(|(item, outcome)| outcome.filter(|o| policy::needs_follow_up(*o)).map(|o| (item.clone(), o)))
        .collect();
    if left.is_empty() {
        return;
    }
    let left = Arc::new(left);
    let (shared, opener) = (Arc::clone(&left), Arc::clone(keys.vault()));
    if let Err(e) = db.write(move |c| follow_up(c, &opener, &shared, now, stale_before)).await {
        tracing::warn!(error = %e, size = left.len(), "following up a batch failed; trying its items one by one");
        for index in 0..left.len() {
            let (left, vault) = (Arc::clone(&left), Arc::clone(keys.vault()));
            if let Err(e) = db.write(move |c| follow_up(c, &vault, &left[index..=index], now, stale_before)).await {
                tracing::warn!(error = %e, "a repeat could not be followed up; the signer may sign again");
            }
        }
    }
    wakeup.notify_one();
}

/// What a batch's insert came to for an item, as its request hears it.
fn outcome(item: &SignItem, stored: Stored) -> SignOutcome {
    match stored {
        Stored::PetitionClosed => SignOutcome::PetitionClosed,
        Stored::Inserted => policy::batch_outcome(true, item.held),
        Stored::AlreadyThere => policy::batch_outcome(false, item.held),
    }
}

/// Does what a batch left for after its answers (see
/// [`policy::follow_up`]): the tallies of the signatures it stored held,
/// and each repeat, a round at a time (see [`rounds`]).
///
/// Its commit does not wait for the disk (`db::commit_lazily`): every
/// answer went out before it began, so a crash can lose it whenever it
/// commits, and a signer whose repeat's mail was lost signs again. A flood
/// of repeats then adds no second durable commit to every batch.
fn follow_up(
    conn: &mut DbConnection,
    vault: &Vault,
    left: &[(SignItem, SignOutcome)],
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<()> {
    db::commit_lazily(conn)?;
    let mut tallies = Vec::new();
    let mut repeats = Vec::new();
    for (item, outcome) in left {
        match policy::follow_up(*outcome, item.held) {
            FollowUp::TallyHeld(reason) => tallies.push(tally(item, Tally::Held(reason))),
            FollowUp::Repeat => repeats.push(item),
            FollowUp::Done => {}
        }
    }
    for round in rounds(&repeats, &mut tallies) {
        repeat_round(conn, vault, &round, now, stale_before)?;
    }
    db::counts::record_tallies(conn, &tallies)
}

fn tally(item: &SignItem, tally: Tally) -> TallyItem {
    TallyItem { petition_id: item.petition_id, tally, country: item.signature.country.code() }
}

/// A batch's repeats in rounds, in the order they came, each address at
/// most once per round: a round's signatures are read in one query and
/// written together, and a later round sees what the earlier ones wrote. A
/// repeat that is the same submission as the one before it for its address
/// needs no round: it is only tallied (see [`policy::again`]), so a flood
/// of one address costs one round.
fn rounds<'a>(repeats: &[&'a SignItem], tallies: &mut Vec<TallyItem>) -> Vec<Vec<&'a SignItem>> {
    let mut last: HashMap<(i64, [u8; 32]), (usize, &SignItem)> = HashMap::new();
    let mut rounds: Vec<Vec<&SignItem>> = Vec::new();
    for item in repeats {
        let round = match last.get(&(item.petition_id, item.email_key)) {
            Some((round, earlier)) => {
                if let Some(counted) = policy::again(&earlier.signature, &item.signature) {
                    tallies.push(tally(item, counted));
                    continue;
                }
                round + 1
            }
            None => 0,
        };
        if rounds.len() <= round {
            rounds.push(Vec::new());
        }
        rounds[round].push(item);
        last.insert((item.petition_id, item.email_key), (round, item));
    }
    rounds
}

/// Carries out the repeats of one round (each of a different address):
/// their signatures read in one query, each decided by [`policy::repeat`],
/// and written together (`db::signing::carry_out`). A repeat whose
/// signature is gone or is to be replaced goes the way of a single one
/// ([`repeat`]).
fn repeat_round(
    conn: &mut DbConnection,
    vault: &Vault,
    round: &[&SignItem],
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<()> {
    let wanted: Vec<(i64, &[u8])> = round.iter().map(|item| (item.petition_id, &item.email_key[..])).collect();
    let mut found = db::signing::existing_many(conn, &wanted)?;
    let (mut acts, mut alone) = (Vec::with_capacity(round.len()), Vec::new());
    for item in round {
        let Some(stored) = found.remove(&(item.petition_id, item.email_key.to_vec())) else {
            alone.push(*item);
            continue;
        };
        let existing = open(conn, vault, item, stored)?;
        match policy::repeat(&existing, &SignatureDetails::of(&item.signature), now, stale_before) {
            RepeatDecision::Act(plan) => acts.push(RepeatAct { item, id: existing.id, plan }),
            RepeatDecision::Afresh | RepeatDecision::ReplaceStale => alone.push(*item),
        }
    }
    db::signing::carry_out(conn, &acts, now)?;
    for item in alone {
        repeat(conn, vault, item, now, stale_before)?;
    }
    Ok(())
}

/// A stored signature with its personal data opened, to decide a repeat on.
fn open(
    conn: &mut DbConnection,
    vault: &Vault,
    item: &SignItem,
    stored: StoredSignature,
) -> QueryResult<ExistingSignature> {
    let personal = match &stored.personal {
        Some(p) => Some(vault.open(conn, item.petition_id, stored.id, &item.email_key, p)?),
        None => None,
    };
    Ok(stored.opened(personal))
}

/// Stores an unflagged submission afresh, or, if its address already signed
/// the petition, does what [`policy::repeat`] decides for the signature
/// there. The unique index on (petition, email key) decides which, so the
/// result holds under any concurrency and across processes.
fn repeat(
    conn: &mut DbConnection,
    vault: &Vault,
    item: &SignItem,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<SignOutcome> {
    let new = SignatureDetails::of(&item.signature);
    // The existing row may vanish between a failed insert and reading it
    // (withdrawn, or replaced as stale): then the insert is tried again.
    let mut last_error = None;
    for _ in 0..3 {
        match db::signing::insert_one(conn, item, now)? {
            Ok(_) => return Ok(SignOutcome::Created),
            Err(taken) => last_error = Some(taken),
        }
        let Some(stored) = db::signing::existing(conn, item.petition_id, &item.email_key)? else {
            continue;
        };
        let existing = open(conn, vault, item, stored)?;
        match policy::repeat(&existing, &new, now, stale_before) {
            RepeatDecision::Afresh => {}
            RepeatDecision::ReplaceStale => db::signing::remove_stale(conn, existing.id)?,
            RepeatDecision::Act(plan) => {
                let done = db::signing::carry_out(conn, &[RepeatAct { item, id: existing.id, plan }], now)?;
                return Ok(done.first().copied().unwrap_or(plan.outcome));
            }
        }
    }
    Err(last_error.unwrap_or(diesel::result::Error::RollbackTransaction))
}
