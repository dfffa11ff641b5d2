//! The confirmation and mail phases: POSTs of seeded confirmation links, and
//! an outbox of seeded mail sent to the local sink.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::Bench;
use crate::cpu::{CpuClock, micros_per};
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
        // The machine's CPU per confirmation of each run (server, database,
        // wrk and the background rounds together).
        let cpu_per_run = std::cell::RefCell::new(Vec::new());
        let confirm = self.repeat(|i| {
            let file = self.dir.join(format!("tokens-{i}.txt"));
            let lines: Vec<&str> = tokens.iter().skip(i * per_run).take(per_run).map(|t| t.as_str()).collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            let clock = CpuClock::now();
            let r =
                self.wrk(&self.scripts.confirm, base, "", conns, vec![file.display().to_string(), "2".into()]).run();
            let (busy, wall) = clock.elapsed();
            cpu_per_run.borrow_mut().push(micros_per(busy, r.rps * wall));
            r
        });
        let cpu = crate::common::median(cpu_per_run.into_inner());
        assert_eq!(confirm.errors, 0, "confirmations failed");
        let lag = lag.finish();
        let repeated = if confirm.rps * s.seconds as f64 > per_run as f64 { ", tokens repeated" } else { "" };
        let mut fig = Figure::new(
            format!("confirming (POST of confirmation links), {conns} connections (confirmations/s)"),
            format!("{} (p99 {:.1} ms{repeated})", thousands(confirm.rps), confirm.p99_ms),
        );
        let fast = confirm.rps >= 10_000.0 && confirm.p99_ms < 50.0 && repeated.is_empty();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let budget = cores as f64 * 1e6 / 10_000.0;
        let mut cpu_fig = Figure::new(
            "CPU per confirmation through the server, all cores: server, database, wrk, background rounds (µs)",
            format!("{cpu:.0}"),
        );
        if self.admin_url.is_some() {
            let sql = self.confirm_sql_alone(db, &keys);
            cpu_fig = cpu_fig.ceiling(format!("confirming's SQL alone: {:.0} µs", sql.cpu), cpu / sql.cpu);
            self.figures.push(
                Figure::new(
                    format!(
                        "confirming's SQL alone: pgbench running a batch's statements, {} clients, {CEILING_BATCH} \
                         confirmations a transaction (confirmations/s)",
                        CEILING_CLIENTS
                    ),
                    format!("{}{}", thousands(sql.rate), if sql.ran_out { " (rows ran out)" } else { "" }),
                )
                .ceiling(format!("confirming through the server: {}", thousands(confirm.rps)), confirm.rps / sql.rate),
            );
        }
        self.figures.push(cpu_fig.target(format!("≤ {budget:.0} µs ({cores} cores at 10,000/s)"), cpu <= budget));
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

    /// PostgreSQL's own ceiling for confirming with this schema on this
    /// machine: pgbench, with nothing of the server in the way (no HTTP, no
    /// opening of sealed rows, no pool), running the statements of one
    /// confirmation batch (`confirmation::confirm_batch`: the locking read
    /// of the links' signatures, the UPDATE, the count events, the log's
    /// queue, the counts the thank-you page shows, the durable COMMIT) on
    /// pending signatures of a petition of its own, while the server's
    /// background rounds fold the counts and append the log as they do
    /// under load. Generous on purpose: batches as large as 64 connections
    /// can make for two writers, one count-event INSERT a batch where the
    /// server writes one per country.
    fn confirm_sql_alone(&self, db: &undersigned::db::Db, keys: &undersigned::keys::Keys) -> SqlAlone {
        let s = self.settings;
        let slug = "bench-confirm-sql";
        let petition = match db.read_blocking(|c| undersigned::db::petitions::find_by_slug(c, slug)).unwrap() {
            Some(p) => p.id,
            None => crate::common::petition(db, slug),
        };
        let rows = CONFIRMS_PER_SECOND * s.seconds as usize * s.runs;
        let now = undersigned::now();
        let sealing = db.write_blocking(|c| keys.vault().keys(c, petition)).unwrap();
        let ids = db
            .write_blocking(|c| undersigned::db::seed::pending(c, petition, "sql-", rows, now, Some(&sealing)))
            .unwrap();
        db.write_blocking(|c| {
            let expires = now + chrono::TimeDelta::days(1);
            undersigned::db::seed::tokens(c, &ids, now, expires, Some(&sealing), |d| keys.details_digest(d))
        })
        .unwrap();
        // Each transaction takes the next block of CEILING_BATCH links, in
        // signature order, as the server's batches take whatever arrived.
        let first = ids.iter().min().copied().unwrap_or(0);
        self.psql(&format!(
            "DROP TABLE IF EXISTS bench_blocks; \
             CREATE TABLE bench_blocks AS SELECT (s.id - {first}) / {CEILING_BATCH} AS b, \
             array_agg(t.token_hash) AS hashes, array_agg(s.id) AS ids, array_agg(s.country) AS countries \
             FROM signatures s JOIN signature_tokens t ON t.signature_id = s.id \
             WHERE s.petition_id = {petition} AND s.status = 'pending' AND s.id >= {first} GROUP BY 1; \
             ALTER TABLE bench_blocks ADD PRIMARY KEY (b); ANALYZE bench_blocks, signatures, signature_tokens"
        ));
        let blocks: usize = self.psql("SELECT count(*) FROM bench_blocks").parse().unwrap();
        let script = self.dir.join("confirm-batch.sql");
        std::fs::write(&script, confirm_batch_sql(petition)).unwrap();
        let confirmed = || -> i64 {
            self.psql(&format!(
                "SELECT count(*) FROM signatures WHERE petition_id = {petition} AND status = 'confirmed'"
            ))
            .parse()
            .unwrap()
        };
        // Each run its own blocks: per client, `per_run` transactions' worth.
        let per_run = blocks / s.runs / CEILING_CLIENTS as usize;
        let last_full = ((per_run - 1) * CEILING_CLIENTS as usize * CEILING_BATCH) as i64;
        let mut ran_out = false;
        let runs: Vec<(f64, f64)> = (0..s.runs)
            .map(|run| {
                let before = confirmed();
                let clock = CpuClock::now();
                let vars = [("k", (run * per_run).to_string()), ("clients", CEILING_CLIENTS.to_string())];
                self.pgbench_tps(&script, CEILING_CLIENTS, &vars);
                let (busy, wall) = clock.elapsed();
                let done = confirmed() - before;
                ran_out |= done >= last_full;
                (done as f64 / wall, micros_per(busy, done as f64))
            })
            .collect();
        self.psql("DROP TABLE bench_blocks");
        SqlAlone {
            rate: crate::common::median(runs.iter().map(|r| r.0).collect()),
            cpu: crate::common::median(runs.iter().map(|r| r.1).collect()),
            ran_out,
        }
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

/// Confirmations a transaction of confirming's SQL alone: as many as 64
/// connections can put in a batch for each of two writers.
const CEILING_BATCH: usize = 32;

/// pgbench clients for confirming's SQL alone: the server's batches in
/// flight on PostgreSQL (`writers` in `startup.rs`).
const CEILING_CLIENTS: u32 = 2;

/// What confirming's SQL alone came to.
struct SqlAlone {
    /// Signatures confirmed per second (median of the runs).
    rate: f64,
    /// CPU microseconds of all cores per confirmation (PostgreSQL, pgbench
    /// and the server's background rounds; median of the runs).
    cpu: f64,
    /// Whether the seeded links ran out before a run ended (the rate is
    /// then too low).
    ran_out: bool,
}

/// One confirmation batch as `confirmation::confirm_batch` runs it on
/// PostgreSQL, for pgbench: block `b` of `bench_blocks` holds its links.
/// The per-client counter `k` (set with -D, like `clients`) picks a block
/// no other transaction takes.
fn confirm_batch_sql(petition: i64) -> String {
    let block = |column: &str, array: &str| format!("(SELECT {column} FROM bench_blocks WHERE b = :b)::{array}");
    format!(
        "\\set k :k + 1\n\
         \\set b (:k - 1) * :clients + :client_id\n\
         BEGIN;\n\
         SET LOCAL plan_cache_mode = force_custom_plan;\n\
         SELECT t.token_hash, s.id, s.petition_id, s.status, s.country, s.confirmed_at, s.created_at, t.expires_at, \
         s.lang, s.keep_informed, s.email_key, s.personal, s.email, s.name, s.postcode, t.details_digest \
         FROM signature_tokens t JOIN signatures s ON s.id = t.signature_id \
         WHERE t.token_hash = ANY ({hashes}) ORDER BY s.id FOR UPDATE;\n\
         UPDATE signatures SET status = 'confirmed', confirmed_at = now() \
         WHERE id = ANY ({ids}) AND status = 'pending';\n\
         INSERT INTO count_events (petition_id, country, delta, metric, day) \
         SELECT {petition}, c, count(*), 'confirmed', current_date FROM unnest({countries}) AS c GROUP BY c;\n\
         INSERT INTO tlog_pending (petition_id, signature_id, withdrawn, country, day, signed_at, commitment) \
         SELECT {petition}, i, false, c, current_date, now(), sha256(int8send(i)) FROM unnest({ids}, {countries}) AS u(i, c);\n\
         SELECT country, confirmed FROM petition_counts WHERE petition_id = {petition};\n\
         SELECT country, sum(delta) FROM count_events WHERE petition_id = {petition} AND metric = 'confirmed' GROUP BY country;\n\
         COMMIT;\n",
        hashes = block("hashes", "bytea[]"),
        ids = block("ids", "int8[]"),
        countries = block("countries", "text[]"),
    )
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
