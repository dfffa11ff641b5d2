//! The confirmation and mail phases: POSTs of seeded confirmation links, and
//! an outbox of seeded mail sent to the local sink.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::Bench;
use crate::report::{Figure, thousands};

impl Bench<'_> {
    pub(crate) fn confirm(&mut self, base: &str, db: &undersigned::db::Db) {
        let (s, conns) = (self.settings, self.settings.connections);
        eprintln!("  confirmations");
        let petition = db.read_blocking(|c| undersigned::db::petitions::find_by_slug(c, "bench")).unwrap().unwrap().id;
        // Enough for 20,000 confirmations a second; beyond that tokens repeat
        // (cheaper "already confirmed" answers), which the table then says.
        let per_run = CONFIRMS_PER_SECOND * s.seconds as usize;
        let now = undersigned::now();
        // The server's own keys (its key file), so that the rows are sealed
        // as signing seals them and each link is bound to its signature's
        // details as a mailed one is.
        let keys = crate::common::keys(db, self.dir);
        let sealing = db.write_blocking(|c| keys.vault().keys(c, petition)).unwrap();
        let ids = db
            .write_blocking(|c| {
                undersigned::db::seed::pending(c, petition, "confirm-", per_run * s.runs, now, Some(&sealing))
            })
            .unwrap();
        let tokens = db
            .write_blocking(|c| {
                let expires = now + chrono::TimeDelta::days(1);
                undersigned::db::seed::tokens(c, &ids, now, expires, Some(&sealing), |d| keys.details_digest(d))
            })
            .unwrap();
        let lag = LogLag::watch(db, petition);
        let confirm = self.repeat(|i| {
            let file = self.dir.join(format!("tokens-{i}.txt"));
            let lines: Vec<&str> = tokens.iter().skip(i * per_run).take(per_run).map(|t| t.as_str()).collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            self.wrk(&self.scripts.confirm, base, "", conns, vec![file.display().to_string(), "2".into()]).run()
        });
        assert_eq!(confirm.errors, 0, "confirmations failed");
        let lag = lag.finish();
        let repeated = if confirm.rps * s.seconds as f64 > per_run as f64 { ", tokens repeated" } else { "" };
        let mut fig = Figure::new(
            format!("confirming (POST of confirmation links), {conns} connections (confirmations/s)"),
            format!("{} (p99 {:.1} ms{repeated})", thousands(confirm.rps), confirm.p99_ms),
        );
        let fast = confirm.rps >= 10_000.0 && confirm.p99_ms < 50.0 && repeated.is_empty();
        fig = match self.signing_alone {
            Some(signing) => fig
                .ceiling(format!("JSON signing alone: {}", thousands(signing)), confirm.rps / signing)
                .target("≥ 10,000/s, ≥ 0.7 × signing, p99 < 50 ms", fast && confirm.rps >= 0.7 * signing),
            None => fig.target("≥ 10,000/s, p99 < 50 ms (signing not run)", fast),
        };
        self.figures.push(fig);
        self.figures.push(
            Figure::new(
                "log appending during those confirmations (leaves/s; most queued; longest a confirmation waited for its checkpoint)",
                format!(
                    "{} ({} queued at most, {:.1} s)",
                    thousands(lag.leaves_per_second),
                    thousands(lag.max_queued as f64),
                    lag.max_wait.as_secs_f64()
                ),
            )
            .target("log ≤ 5 s behind", lag.max_wait <= LOG_BEHIND),
        );
    }

    pub(crate) fn mail(&mut self, db: &undersigned::db::Db, received: &AtomicU64) {
        eprintln!("  outbox mail");
        self.settle(db);
        // Let a round the worker had started finish before counting.
        std::thread::sleep(Duration::from_secs(2));
        let petition = db.read_blocking(|c| undersigned::db::petitions::find_by_slug(c, "bench")).unwrap().unwrap().id;
        let mails = 20_000;
        let now = undersigned::now();
        let keys = crate::common::keys(db, self.dir);
        let sealing = db.write_blocking(|c| keys.vault().keys(c, petition)).unwrap();
        let ids = db
            .write_blocking(|c| undersigned::db::seed::pending(c, petition, "mail-", mails, now, Some(&sealing)))
            .unwrap();
        let before = received.load(Ordering::Relaxed);
        let started = Instant::now();
        db.write_blocking(|c| undersigned::db::seed::outbox(c, &ids, undersigned::now())).unwrap();
        while received.load(Ordering::Relaxed) < before + mails as u64 {
            assert!(started.elapsed() < Duration::from_secs(600), "mail did not go out");
            std::thread::sleep(Duration::from_millis(20));
        }
        let rate = mails as f64 / started.elapsed().as_secs_f64();
        self.figures.push(
            Figure::new(
                format!("outbox mail to a local SMTP sink, {} mails (mails/s)", thousands(mails as f64)),
                thousands(rate),
            )
            .target("≥ 1,000/s", rate >= 1000.0),
        );
    }
}

/// Tokens seeded per second of a confirmation run.
const CONFIRMS_PER_SECOND: usize = 20_000;

/// How far the log may trail the count under load (issue 15).
const LOG_BEHIND: Duration = Duration::from_secs(5);

/// How often the watcher looks at the log's queue.
const LAG_SAMPLE: Duration = Duration::from_millis(200);

/// What the log did while confirmations arrived.
struct Lag {
    /// Leaves appended from the watch's start until the queue was empty again.
    leaves_per_second: f64,
    max_queued: i64,
    /// The longest a confirmation waited in the queue before a checkpoint
    /// covered it (to within a sample).
    max_wait: Duration,
}

/// Watches a petition's log queue from another thread: at each sample it
/// notes the newest queued row, and the first later sample at which every
/// row up to it has left the queue (appended, in the same transaction as
/// its checkpoint) tells how long that row waited at most.
struct LogLag {
    stop: Arc<AtomicBool>,
    watcher: std::thread::JoinHandle<(i64, Duration)>,
    db: undersigned::db::Db,
    petition: i64,
    started: Instant,
    size: i64,
}

impl LogLag {
    fn head_size(db: &undersigned::db::Db, petition: i64) -> i64 {
        db.read_blocking(|c| undersigned::db::tlog::head(c, petition)).unwrap().map_or(0, |h| h.size)
    }

    fn watch(db: &undersigned::db::Db, petition: i64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (db2, stop2) = (db.clone(), Arc::clone(&stop));
        let watcher = std::thread::spawn(move || {
            let (mut queued, mut wait) = (0, Duration::ZERO);
            // (when, the newest row queued then), oldest first, not yet appended.
            let mut waiting: std::collections::VecDeque<(Instant, i64)> = std::collections::VecDeque::new();
            while !stop2.load(Ordering::Relaxed) {
                let (count, (lowest, highest)) = db2
                    .read_blocking(|c| {
                        Ok((
                            undersigned::db::tlog::pending_count(c, petition)?,
                            undersigned::db::tlog::pending_ids(c, petition)?,
                        ))
                    })
                    .unwrap();
                let now = Instant::now();
                queued = queued.max(count);
                while let Some(&(at, newest)) = waiting.front() {
                    if lowest.is_some_and(|low| low <= newest) {
                        break;
                    }
                    wait = wait.max(now - at);
                    waiting.pop_front();
                }
                if let Some(high) = highest
                    && waiting.back().is_none_or(|&(_, newest)| newest < high)
                {
                    waiting.push_back((now, high));
                }
                std::thread::sleep(LAG_SAMPLE);
            }
            (queued, wait)
        });
        Self { stop, watcher, db: db.clone(), petition, started: Instant::now(), size: Self::head_size(db, petition) }
    }

    /// Waits until the queue is empty, then stops watching.
    fn finish(self) -> Lag {
        let drained = Instant::now();
        while self.db.read_blocking(|c| undersigned::db::tlog::pending_count(c, self.petition)).unwrap() > 0 {
            assert!(drained.elapsed() < Duration::from_secs(600), "the log did not catch up");
            std::thread::sleep(Duration::from_millis(20));
        }
        let appended = Self::head_size(&self.db, self.petition) - self.size;
        let leaves_per_second = appended as f64 / self.started.elapsed().as_secs_f64();
        // A last sample after the queue emptied resolves what still waited.
        std::thread::sleep(LAG_SAMPLE * 2);
        self.stop.store(true, Ordering::Relaxed);
        let (max_queued, max_wait) = self.watcher.join().unwrap();
        Lag { leaves_per_second, max_queued, max_wait }
    }
}
