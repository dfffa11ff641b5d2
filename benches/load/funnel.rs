//! The funnel: signing, mail and confirmation at once, as in a surge. Clients
//! sign at a steady offered rate (unique addresses); the server sends each
//! signature's mail itself (MAIL_WORKER on, its default) to a sink that
//! reads the confirmation link out of each mail as it arrives; a client POSTs
//! each link at once. What counts is complete signatures: signed, mailed,
//! confirmed and shown in the public count.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::Bench;
use crate::common::{self, Server};
use crate::report::{Figure, thousands};
use crate::sink::start_link_sink;

/// Connections the signing clients use (each paced, see `paced.lua`).
const SIGN_CONNECTIONS: u32 = 64;
/// Confirmation POSTs in flight at most, as many clickers at once.
const CONFIRM_CONNECTIONS: usize = 64;
/// How often the sampler reads the outbox, the signatures and the count.
const SAMPLE: Duration = Duration::from_millis(250);
/// How long the funnel may take to drain once signing stops.
const DRAIN: Duration = Duration::from_secs(120);
/// The targets (issue 17).
const COMPLETE_TARGET: f64 = 2_000.0;
const P99_TARGET_MS: f64 = 100.0;
/// The outbox is bounded if it never holds more than this many seconds of
/// the offered signing rate.
const OUTBOX_SECONDS: f64 = 2.0;

/// One sample of the funnel's state.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    /// Signatures stored (each acknowledged once stored).
    signed: i64,
    outbox: i64,
    /// The public count, as `GET /api/v1/petitions/funnel` shows it.
    counted: i64,
}

/// How far mail and confirmations had got when signing stopped.
#[derive(Debug, Clone, Copy)]
struct Stages {
    mailed: u64,
    confirmed: u64,
}

/// One funnel run, for its report.
#[derive(Debug, Clone, Copy)]
struct Run {
    signing: crate::wrk::Wrk,
    window: Duration,
    /// When everything signed was counted (None: not within [`DRAIN`]).
    drained_at: Option<Duration>,
    at_window: Stages,
    /// Mails received and the public count once drained.
    mailed: u64,
    counted: i64,
    rate: u64,
}

/// What the confirming client did.
#[derive(Default)]
struct Clicks {
    latencies_us: Vec<u64>,
    ok: u64,
    failed: u64,
    links: u64,
    distinct: HashSet<String>,
}

impl Bench<'_> {
    pub(crate) fn funnel(&mut self, db: &undersigned::db::Db, mailer_env: &[(&str, String)]) {
        let (rate, seconds) = (self.settings.funnel_rate, self.settings.funnel_seconds);
        eprintln!("  funnel: {rate} signatures/s offered for {seconds} s");
        self.settle(db);
        let petition = common::petition(db, "funnel");
        let (port, links, mailed) = start_link_sink();
        let env: Vec<(&str, String)> = mailer_env
            .iter()
            .map(|(k, v)| (*k, if *k == "SMTP_URL" { format!("smtp://127.0.0.1:{port}") } else { v.clone() }))
            .collect();
        let server = Server::start(&self.url, self.dir, &env);
        std::thread::sleep(Duration::from_millis(500));

        let clicks = Arc::new(Mutex::new(Clicks::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let clicker = {
            let (base, clicks, stop) = (server.base.clone(), Arc::clone(&clicks), Arc::clone(&stop));
            std::thread::spawn(move || click_as_they_arrive(&base, links, &clicks, &stop))
        };
        let started = Instant::now();
        let sampler = {
            let (db, base, stop) = (db.clone(), server.base.clone(), Arc::clone(&stop));
            std::thread::spawn(move || sample(&db, &base, petition, started, &stop))
        };
        // Each connection waits so that together they offer `rate`.
        let pause_ms = (f64::from(SIGN_CONNECTIONS) * 1000.0 / rate as f64).max(0.0);
        let signing = crate::wrk::WrkRun {
            script: self.scripts.paced_sign.clone(),
            url: format!("{}/api/v1/petitions/funnel/signatures", server.base),
            connections: SIGN_CONNECTIONS,
            seconds,
            args: vec!["funnel".into(), "json".into(), String::new(), format!("{pause_ms:.1}")],
        }
        .run();
        let window = started.elapsed();
        let at_window = Stages { mailed: mailed.load(Ordering::Relaxed), confirmed: clicks.lock().unwrap().ok };
        // Drain: every stored signature mailed, clicked and counted.
        let drained_at = loop {
            let stored = signed_rows(db, petition);
            let done = count_of(&server.base) >= stored && clicks.lock().unwrap().ok as i64 >= stored;
            if done {
                break Some(started.elapsed());
            }
            if started.elapsed() > window + DRAIN {
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        stop.store(true, Ordering::Relaxed);
        let samples = sampler.join().unwrap();
        clicker.join().unwrap();
        let counted = count_of(&server.base);
        drop(server);
        let clicks = Arc::try_unwrap(clicks).ok().unwrap().into_inner().unwrap();
        let run = Run { signing, window, drained_at, at_window, mailed: mailed.load(Ordering::Relaxed), counted, rate };
        self.report_funnel(&run, &samples, &clicks);
    }

    fn report_funnel(&mut self, run: &Run, samples: &[Sample], clicks: &Clicks) {
        let Run { signing, window, drained_at, at_window: stages, mailed, counted, rate } = *run;
        let secs = window.as_secs_f64();
        let at_window = samples.iter().rev().find(|s| s.at <= window).copied().unwrap_or(Sample {
            at: window,
            signed: 0,
            outbox: 0,
            counted: 0,
        });
        let last = samples.last().copied().unwrap_or(at_window);
        let complete = at_window.counted as f64 / secs;
        let (sign_p99, confirm) = (signing.p99_ms, percentiles(&clicks.latencies_us));
        let max_outbox = samples.iter().map(|s| s.outbox).max().unwrap_or(0);
        let bounded = (max_outbox as f64) <= OUTBOX_SECONDS * rate as f64;
        let lags = lags(samples, window);
        let all_mailed_once = mailed as i64 == last.signed && clicks.distinct.len() as u64 == mailed;
        let all_counted = drained_at.is_some() && clicks.failed == 0 && clicks.ok as i64 == counted;
        let met = complete >= COMPLETE_TARGET
            && sign_p99 < P99_TARGET_MS
            && confirm.1 < P99_TARGET_MS
            && bounded
            && all_mailed_once
            && all_counted;
        self.figures.push(
            Figure::new(
                format!(
                    "funnel: complete signatures/s over {secs:.0} s (signed, mailed, confirmed, counted; {} offered)",
                    thousands(rate as f64)
                ),
                thousands(complete),
            )
            .target("≥ 2,000/s, p99 < 100 ms, outbox bounded, each mailed once and counted", met),
        );
        self.figures.push(Figure::new(
            "  stages (per second over the run): signed / mailed / confirmed / counted",
            format!(
                "{} / {} / {} / {}",
                thousands(at_window.signed as f64 / secs),
                thousands(stages.mailed as f64 / secs),
                thousands(stages.confirmed as f64 / secs),
                thousands(complete),
            ),
        ));
        self.figures.push(Figure::new(
            "  latency p50 / p99: signing; confirming",
            format!("{:.1} / {:.1} ms; {:.1} / {:.1} ms", signing.p50_ms, signing.p99_ms, confirm.0, confirm.1),
        ));
        let depth: Vec<String> =
            samples.iter().filter(|s| s.at <= window).step_by(40).map(|s| thousands(s.outbox as f64)).collect();
        self.figures.push(Figure::new(
            "  outbox depth every 10 s; its most",
            format!("{}; {}", depth.join(" "), thousands(max_outbox as f64)),
        ));
        self.figures.push(Figure::new(
            "  signature to public count, median / most (first in, first out)",
            format!("{:.1} s / {:.1} s", lags.0, lags.1),
        ));
        self.figures.push(Figure::new(
            "  after signing stopped: drained in; every signature mailed once; every click counted",
            format!(
                "{}; {} of {} (mails {}); {} of {}{}",
                drained_at.map_or("not within 2 min".into(), |d| format!("{:.1} s", (d - window).as_secs_f64())),
                clicks.distinct.len(),
                last.signed,
                mailed,
                counted,
                clicks.ok,
                if clicks.failed > 0 { format!(", {} clicks failed", clicks.failed) } else { String::new() }
            ),
        ));
    }
}

/// The signatures stored for a petition.
fn signed_rows(db: &undersigned::db::Db, petition: i64) -> i64 {
    use undersigned::db::schema::signatures as s;
    db.read_blocking(|c| s::table.filter(s::petition_id.eq(petition)).count().get_result(c)).unwrap()
}

/// The public count, as anyone reads it.
fn count_of(base: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let body: serde_json::Value =
            reqwest::get(format!("{base}/api/v1/petitions/funnel")).await.unwrap().json().await.unwrap();
        body["signature_count"].as_i64().unwrap()
    })
}

/// Samples the funnel's state until told to stop.
fn sample(db: &undersigned::db::Db, base: &str, petition: i64, started: Instant, stop: &AtomicBool) -> Vec<Sample> {
    use undersigned::db::schema::outbox as o;
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let at = started.elapsed();
        let signed = signed_rows(db, petition);
        let outbox = db.read_blocking(|c| o::table.count().get_result(c)).unwrap();
        samples.push(Sample { at, signed, outbox, counted: count_of(base) });
        std::thread::sleep(SAMPLE.saturating_sub(started.elapsed() - at));
    }
    samples
}

/// POSTs each link as soon as its mail arrives, at most
/// [`CONFIRM_CONNECTIONS`] at once, until told to stop.
fn click_as_they_arrive(
    base: &str,
    mut links: tokio::sync::mpsc::UnboundedReceiver<String>,
    clicks: &Mutex<Clicks>,
    stop: &AtomicBool,
) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONFIRM_CONNECTIONS).build().unwrap();
        let permits = Arc::new(tokio::sync::Semaphore::new(CONFIRM_CONNECTIONS));
        let mut tasks = tokio::task::JoinSet::new();
        while !stop.load(Ordering::Relaxed) {
            while let Some(done) = tasks.try_join_next() {
                record(clicks, done.unwrap());
            }
            let Ok(Some(path)) = tokio::time::timeout(Duration::from_millis(20), links.recv()).await else {
                continue;
            };
            {
                let mut c = clicks.lock().unwrap();
                c.links += 1;
                c.distinct.insert(path.clone());
            }
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let (client, url) = (client.clone(), format!("{base}{path}"));
            tasks.spawn(async move {
                let sent = Instant::now();
                let ok = client.post(url).send().await.is_ok_and(|r| r.status().is_success());
                drop(permit);
                (ok, sent.elapsed().as_micros() as u64)
            });
        }
        while let Some(done) = tasks.join_next().await {
            record(clicks, done.unwrap());
        }
    });
}

fn record(clicks: &Mutex<Clicks>, (ok, us): (bool, u64)) {
    let mut c = clicks.lock().unwrap();
    c.latencies_us.push(us);
    if ok {
        c.ok += 1;
    } else {
        c.failed += 1;
    }
}

/// p50 and p99 in milliseconds.
fn percentiles(us: &[u64]) -> (f64, f64) {
    let mut sorted = us.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted.get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)));
    (at(0.5).map_or(0.0, |v| *v as f64 / 1000.0), at(0.99).map_or(0.0, |v| *v as f64 / 1000.0))
}

/// How long after its signature the k-th confirmation showed in the public
/// count, taking signatures and confirmations in the same order (first in,
/// first out): for each sample of the count during the run, the time since
/// the first sample at which that many signatures were stored. Median and
/// most, in seconds.
fn lags(samples: &[Sample], window: Duration) -> (f64, f64) {
    let mut lags: Vec<f64> = samples
        .iter()
        .filter(|s| s.at <= window && s.counted > 0)
        .filter_map(|s| {
            let signed = samples.iter().find(|t| t.signed >= s.counted)?;
            Some(s.at.saturating_sub(signed.at).as_secs_f64())
        })
        .collect();
    if lags.is_empty() {
        return (0.0, 0.0);
    }
    lags.sort_by(f64::total_cmp);
    (lags[lags.len() / 2], lags[lags.len() - 1])
}
