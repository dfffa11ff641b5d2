//! Sends what the outbox holds. Runs in every instance; claims are leased, so
//! instances never send the same mail twice at once, and a mail claimed by an
//! instance that died is picked up again when the lease ends (within a
//! minute). A round renews its claims while it sends, and hands a mail over
//! only while its claim outlasts the longest hand-over.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use diesel::result::QueryResult;
use futures_util::{StreamExt, stream};
use lettre::message::Mailbox;
use rand::Rng as _;
use tokio::sync::{Notify, watch};

use crate::configuration::{MailSettings, PublicUrl};
use crate::db::{self, Db, DbConnection, outbox::ClaimedStored};
use crate::domain::{DetailsDigest, MailKind, SignatureDetails, Token, TokenHash};
use crate::email::{self, MailLinks, Mailer, SendFailure};
use crate::keys::Keys;
use crate::metrics::Metrics;

/// How long a claim lasts unless renewed. A worker that dies (SIGKILL, OOM,
/// a lost machine) leaves its mails to the next worker, or to itself once
/// restarted, this long after it last renewed them.
const LEASE: Duration = Duration::from_secs(60);
/// How often a round renews the claims on the mails it is sending.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// A mail is handed to the SMTP server only while its claim has at least
/// this long left: the longest a hand-over may take, plus what instances'
/// clocks may differ by (the lease is stored by the claimer's clock and
/// read by another's). So no claim lapses, and no other worker takes the
/// mail, while it is being sent.
const SEND_MARGIN: Duration = email::SEND_LIMIT.saturating_add(Duration::from_secs(5));
/// Mails claimed per round, per concurrent connection: a round costs three
/// transactions whatever its size, so in a surge bigger rounds spare the
/// database. A round longer than the lease (16 mails × a slow relay) holds
/// its mails by renewing them.
const BATCH_PER_CONNECTION: usize = 16;
/// How often to look for due retries when nobody wakes the worker.
const POLL: Duration = Duration::from_millis(500);
/// While the relay cannot be reached, the worker claims nothing and asks
/// the relay for a session after this, doubling up to PROBE_MAX: a surge
/// signed while SMTP is down then costs one failed round, not a claim and a
/// reschedule of every new mail. (MAIL_RETRY_MAX caps it too.)
const PROBE_FIRST: Duration = Duration::from_millis(250);
const PROBE_MAX: Duration = Duration::from_secs(15);

/// A claimed mail with its signer's details opened (see `vault`).
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub id: i64,
    pub kind: MailKind,
    /// Attempts including this one.
    pub attempt: i32,
    pub signature_id: i64,
    pub email: String,
    /// The details as they are now: the mail shows them, and its link is
    /// bound to them. Their language is the mail's (and the title's).
    pub details: SignatureDetails,
    pub petition_title: String,
    pub petition_slug: String,
    /// When the mail was queued.
    pub created_at: chrono::NaiveDateTime,
}

/// What a mail whose details would not open is rescheduled with: the row
/// is named in the log, and nothing is sent in its place.
const UNREADABLE: &str = "the signature's personal data could not be opened (see the log)";
/// How long such a mail waits before it is tried again (a master key may
/// be missing during a rotation, until the server restarts with it).
const UNREADABLE_RETRY: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Claims due mail and opens each signer's details. A mail whose details
/// do not open is put back for later (and logged, naming the row), never
/// sent with something else.
fn claim(
    conn: &mut DbConnection,
    keys: &Keys,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedMail>> {
    let claimed = db::outbox::claim_due(conn, now, until, limit)?;
    let mut opened = Vec::with_capacity(claimed.len());
    for mail in claimed {
        let ClaimedStored { id, kind, attempt, signature_id, petition_id, email_key, personal, .. } = &mail;
        match keys.vault().open(conn, *petition_id, *signature_id, email_key, personal) {
            Ok(personal) => opened.push(ClaimedMail {
                id: *id,
                kind: *kind,
                attempt: *attempt,
                signature_id: *signature_id,
                email: personal.email,
                details: SignatureDetails {
                    name: personal.name,
                    country: mail.country,
                    postcode: personal.postcode,
                    language: mail.language,
                    keep_informed: mail.keep_informed,
                },
                petition_title: mail.petition_title,
                petition_slug: mail.petition_slug,
                created_at: mail.created_at,
            }),
            Err(e) => {
                tracing::error!(mail = id, error = %e, "mail not sent: its signature's personal data did not open");
                db::outbox::retry_at(conn, *id, now + UNREADABLE_RETRY, UNREADABLE)?;
            }
        }
    }
    Ok(opened)
}

pub struct MailWorker {
    db: Db,
    mailer: Mailer,
    from: Mailbox,
    links: LinkMaker,
    confirmation_ttl: Duration,
    retry_base: Duration,
    retry_max: Duration,
    concurrency: usize,
    wakeup: Arc<Notify>,
    metrics: Metrics,
}

/// What the links in a mail are: addresses under `PUBLIC_URL`, each bound to
/// the details its mail shows.
pub struct LinkMaker {
    pub public_url: PublicUrl,
    pub keys: Keys,
}

impl LinkMaker {
    fn links(&self, mail: &ClaimedMail, token: &Token) -> MailLinks {
        MailLinks {
            petition: self.public_url.join(&format!("/p/{}", mail.petition_slug)),
            confirm: self.public_url.join(&format!("/s/{}", token.as_str())),
            withdraw: self.public_url.join(&format!("/s/{}/withdraw", token.as_str())),
        }
    }

    fn bind(&self, mail: &ClaimedMail) -> DetailsDigest {
        self.keys.details_digest(&mail.details)
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    Sent,
    Retry {
        at: chrono::NaiveDateTime,
        reason: String,
        /// The relay could not be reached (not a refusal of this mail).
        unreachable: bool,
    },
    Failed {
        reason: String,
    },
    /// Not sent: the claim could not be renewed in time (or another worker
    /// holds the mail now). The row is left to whoever holds it.
    NotHeld,
}

/// What a round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Nothing was due.
    Idle,
    /// Mails were claimed and tried.
    Worked(usize),
    /// Mails were claimed, none went, and the relay could not be reached.
    RelayDown,
}

impl Round {
    fn of(outcomes: &[Outcome]) -> Self {
        let sent = outcomes.iter().any(Outcome::sent);
        let unreachable = outcomes.iter().any(|o| matches!(o, Outcome::Retry { unreachable: true, .. }));
        if !sent && unreachable { Self::RelayDown } else { Self::Worked(outcomes.len()) }
    }
}

/// The wait before the next probe of a relay that could not be reached.
fn next_probe(delay: Duration, retry_max: Duration) -> Duration {
    delay.saturating_mul(2).min(PROBE_MAX).min(retry_max)
}

/// The stored end of a claim made at `now`: whole microseconds, which both
/// databases keep exactly, so that a renewal can find it again.
fn lease_until(now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    (now + chrono::TimeDelta::from_std(LEASE).unwrap_or(chrono::TimeDelta::minutes(1))).trunc_subsecs(6)
}

/// Whether a mail held until `held_until` may still be handed over at `now`.
fn may_send(held_until: Instant, now: Instant) -> bool {
    held_until.saturating_duration_since(now) >= SEND_MARGIN
}

/// A round's claim: which of its mails this worker still holds, and until
/// when by its own monotonic clock (measured from before the statement that
/// claimed or renewed them, so never later than the stored lease).
struct Held {
    ids: std::collections::HashSet<i64>,
    until: Instant,
}

impl Held {
    fn may_send(&self, id: i64) -> bool {
        self.ids.contains(&id) && may_send(self.until, Instant::now())
    }
}

impl Outcome {
    fn sent(&self) -> bool {
        matches!(self, Self::Sent)
    }
}

impl MailWorker {
    pub fn new(
        db: Db,
        mailer: Mailer,
        settings: &MailSettings,
        links: LinkMaker,
        confirmation_ttl: Duration,
        wakeup: Arc<Notify>,
        metrics: Metrics,
    ) -> Self {
        Self {
            db,
            mailer,
            from: settings.from.clone(),
            links,
            confirmation_ttl,
            retry_base: settings.retry_base,
            retry_max: settings.retry_max,
            concurrency: settings.concurrency,
            wakeup,
            metrics,
        }
    }

    /// Sends mail until `stop` turns true; a round under way is finished
    /// first (its mails sent and recorded). Never gives up on the database
    /// or the SMTP server: errors are logged and the loop goes on.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let pause = match self.run_once().await {
                Ok(Round::Idle) => POLL,
                Ok(Round::Worked(_)) => continue,
                Ok(Round::RelayDown) => {
                    self.wait_for_relay(&mut stop).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "mail worker round failed; retrying");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = self.wakeup.notified() => {}
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// Waits, claiming nothing, until the relay opens a session again (or
    /// `stop` turns true), asking it with backoff.
    async fn wait_for_relay(&self, stop: &mut watch::Receiver<bool>) {
        tracing::warn!("the SMTP relay cannot be reached; no mail is taken until it answers (asking it with backoff)");
        let mut delay = PROBE_FIRST.min(self.retry_max);
        while !*stop.borrow() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stop.changed() => return,
            }
            match self.mailer.probe().await {
                Ok(()) => {
                    tracing::info!("the SMTP relay answers again; sending");
                    return;
                }
                Err(failure) => {
                    tracing::debug!(reason = %failure.reason, "the SMTP relay still cannot be reached");
                    delay = next_probe(delay, self.retry_max);
                }
            }
        }
    }

    /// Claims one batch of due mail and sends it.
    pub async fn run_once(&self) -> Result<Round, db::DbError> {
        let (started, now) = (Instant::now(), crate::now());
        let until = lease_until(now);
        let batch = i64::try_from(self.concurrency * BATCH_PER_CONNECTION).unwrap_or(64);
        let keys = self.links.keys.clone();
        let claimed = self.db.write(move |c| claim(c, &keys, now, until, batch)).await?;
        if claimed.is_empty() {
            return Ok(Round::Idle);
        }
        let held = Mutex::new(Held { ids: claimed.iter().map(|m| m.id).collect(), until: started + LEASE });
        let ttl = chrono::TimeDelta::from_std(self.confirmation_ttl).unwrap_or(chrono::TimeDelta::days(7));
        let batch: Vec<(ClaimedMail, Token)> = claimed.into_iter().map(|m| (m, Token::generate())).collect();
        // Each link is bound to the details its mail shows.
        let hashes: Vec<_> = batch.iter().map(|(m, t)| (t.hash(), m.signature_id, self.links.bind(m))).collect();
        self.db.write(move |c| db::links::insert_tokens(c, &hashes, now, now + ttl)).await?;
        let held = &held;
        let sending = stream::iter(batch)
            .map(|(mail, token)| async move {
                let (id, hash, signature) = (mail.id, token.hash(), mail.signature_id);
                let still_held = lock(held).may_send(id);
                let outcome = if still_held { self.deliver(mail, token).await } else { Outcome::NotHeld };
                (id, hash, outcome, signature)
            })
            .buffer_unordered(self.concurrency)
            .collect::<Vec<(i64, TokenHash, Outcome, i64)>>();
        let results = tokio::select! {
            results = sending => results,
            never = self.keep_claimed(until, held) => match never {},
        };
        let round = Round::of(&results.iter().map(|r| r.2.clone()).collect::<Vec<_>>());
        let written: Vec<i64> = results.iter().filter(|r| r.2.sent()).map(|r| r.3).collect();
        self.db
            .write(move |c| {
                let now = crate::now();
                let sent: Vec<i64> = results.iter().filter(|(_, _, o, _)| o.sent()).map(|(id, _, _, _)| *id).collect();
                db::outbox::complete(c, &sent)?;
                for (id, token, outcome, _) in &results {
                    if !outcome.sent() {
                        // Nobody received this token.
                        db::links::delete_token(c, token)?;
                    }
                    match outcome {
                        Outcome::Sent | Outcome::NotHeld => {}
                        Outcome::Retry { at, reason, .. } => db::outbox::retry_at(c, *id, *at, reason)?,
                        Outcome::Failed { reason } => db::outbox::mark_failed(c, *id, now, reason)?,
                    }
                }
                Ok(())
            })
            .await?;
        if let Some(files) = self.mailer.files() {
            // A signature withdrawn (or erased) while its mail was being
            // written: the file it missed goes now.
            let ids = written.clone();
            let alive = self.db.read(move |c| db::signatures::holding_personal_data(c, &ids)).await?;
            let alive: std::collections::HashSet<i64> = alive.into_iter().collect();
            let gone: Vec<i64> = written.iter().copied().filter(|id| !alive.contains(id)).collect();
            if !gone.is_empty() {
                files.forget(&gone).await;
            }
        }
        Ok(round)
    }

    /// Renews the round's claims every RENEW_EVERY until the round ends
    /// (the caller drops this future then). A renewal that fails leaves
    /// `held` as it was, so sending stops once too little of the claim is
    /// left; a mail whose claim was not found again is dropped from it.
    async fn keep_claimed(&self, mut stored: chrono::NaiveDateTime, held: &Mutex<Held>) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let (started, until) = (Instant::now(), lease_until(crate::now()));
            let ids: Vec<i64> = lock(held).ids.iter().copied().collect();
            let count = ids.len();
            match self.db.write(move |c| db::outbox::renew(c, &ids, stored, until)).await {
                Ok(renewed) => {
                    if renewed.len() < count {
                        tracing::warn!(
                            lost = count - renewed.len(),
                            "claims on mails being sent were lost; those mails are left to their new claimer"
                        );
                    }
                    stored = until;
                    *lock(held) = Held { ids: renewed.into_iter().collect(), until: started + LEASE };
                }
                Err(e) => tracing::warn!(error = %e, "renewing the claims on mails being sent failed; retrying"),
            }
        }
    }

    async fn deliver(&self, mail: ClaimedMail, token: Token) -> Outcome {
        let links = self.links.links(&mail, &token);
        let tr = crate::i18n::Tr::new(mail.details.language);
        let name = &mail.details.name;
        let host = self.links.public_url.host();
        let message = email::render_mail(mail.kind, name, &mail.petition_title, &links, tr, self.confirmation_ttl)
            .map_err(anyhow::Error::from)
            .and_then(|content| email::build_message(&self.from, name, &mail.email, content, host));
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(outbox_id = mail.id, error = %e, "cannot build mail");
                return Outcome::Failed { reason: "mail could not be built".into() };
            }
        };
        match self.mailer.send(message, mail.signature_id).await {
            Ok(place) => {
                let kind = match mail.kind {
                    MailKind::Confirm => "confirmation",
                    MailKind::AlreadySigned => "already-signed",
                };
                match &self.mailer {
                    Mailer::Files(_) => tracing::info!(outbox_id = mail.id, kind, path = %place, "mail written"),
                    Mailer::Smtp(_) => tracing::debug!(outbox_id = mail.id, kind, "mail sent"),
                }
                self.metrics.mails_sent.with_label_values(&[kind]).inc();
                Outcome::Sent
            }
            Err(SendFailure { permanent, unreachable, reason }) => {
                self.metrics.mails_failed.inc();
                tracing::warn!(outbox_id = mail.id, attempt = mail.attempt, permanent, reason = %reason, "mail not sent");
                // Any refusal may be a misconfiguration that will be fixed, so
                // every failure is retried until the mail is pointless: once its
                // link would have expired. Even then it is kept, marked failed.
                let now = crate::now();
                if give_up_after(mail.created_at, self.confirmation_ttl) <= now {
                    Outcome::Failed { reason }
                } else {
                    Outcome::Retry { at: now + self.backoff(mail.attempt), reason, unreachable }
                }
            }
        }
    }

    fn backoff(&self, attempt: i32) -> chrono::TimeDelta {
        let jitter = rand::rng().random_range(0.8..1.2);
        let delay = backoff(self.retry_base, self.retry_max, attempt).mul_f64(jitter);
        chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::minutes(15))
    }
}

/// The claim, also if a thread panicked while holding it (it is plain data).
fn lock(held: &Mutex<Held>) -> MutexGuard<'_, Held> {
    held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The delay before attempt `attempt + 1`: base × 2^(attempt-1), at most
/// `max`. The worker adds ±20 % so that many failed mails do not all come
/// back at the same instant.
fn backoff(base: Duration, max: Duration, attempt: i32) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

/// When retrying a mail stops making sense: when a link in it would expire.
fn give_up_after(queued_at: chrono::NaiveDateTime, ttl: Duration) -> chrono::NaiveDateTime {
    chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|t| queued_at.checked_add_signed(t))
        .unwrap_or(chrono::NaiveDateTime::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (base, max) = (Duration::from_secs(5), Duration::from_secs(60));
        let delays: Vec<u64> = (1..=7).map(|a| backoff(base, max, a).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 60, 60, 60]);
        assert_eq!(backoff(base, Duration::from_secs(900), 1_000).as_secs(), 900, "no overflow");
    }

    #[test]
    fn a_mail_is_sent_only_while_its_claim_outlasts_the_longest_send() {
        let now = Instant::now();
        assert!(may_send(now + LEASE, now), "a fresh claim");
        assert!(may_send(now + SEND_MARGIN, now));
        assert!(!may_send(now + SEND_MARGIN - Duration::from_millis(1), now));
        assert!(!may_send(now, now + Duration::from_secs(1)), "a lapsed claim");
        assert!(LEASE - SEND_MARGIN > RENEW_EVERY * 2, "a renewal can fail once without sending stopping");
    }

    #[test]
    fn leases_are_stored_to_the_microsecond() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_nano_opt(0, 0, 0, 123_456_789).unwrap();
        let until = lease_until(now);
        assert_eq!(until - now, chrono::TimeDelta::seconds(60) - chrono::TimeDelta::nanoseconds(789));
    }

    #[test]
    fn a_round_that_sent_nothing_for_want_of_a_relay_pauses_the_worker() {
        let at = chrono::NaiveDateTime::MIN;
        let retry = |unreachable| Outcome::Retry { at, reason: "x".into(), unreachable };
        assert_eq!(Round::of(&[retry(true), retry(true)]), Round::RelayDown);
        assert_eq!(Round::of(&[retry(true), Outcome::Sent]), Round::Worked(2), "the relay works");
        assert_eq!(Round::of(&[retry(false)]), Round::Worked(1), "a refusal is the mail's, not the relay's");
        assert_eq!(Round::of(&[Outcome::NotHeld]), Round::Worked(1));
        let probes = |max| -> Vec<u128> {
            std::iter::successors(Some(PROBE_FIRST), |d| Some(next_probe(*d, max)))
                .take(9)
                .map(|d| d.as_millis())
                .collect()
        };
        assert_eq!(probes(Duration::from_secs(900)), [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        assert_eq!(probes(Duration::from_secs(1)), [250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    }

    #[test]
    fn mails_are_retried_until_their_links_would_expire() {
        let queued = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let week = Duration::from_secs(7 * 86_400);
        assert_eq!(give_up_after(queued, week), queued + chrono::TimeDelta::days(7));
    }
}
