//! Load benchmark: the release server on SQLite, then on the local
//! PostgreSQL, driven by wrk over loopback, each figure printed beside the
//! ceiling it is compared with.
//!
//! The server under load runs with MAIL_WORKER=off: it queues each
//! signature's mail in the signature's transaction, as always, and a second
//! instance on the same database sends it where a phase measures mail (the
//! outbox mail figure, and JSON signing while mail goes out, which shows what
//! sending costs signing when both share the two cores).
//!
//!     cargo bench --bench load
//!
//! Needs wrk (and, for the PostgreSQL ceilings, pgbench and psql; for the
//! SQLite export ceiling, sqlite3): missing Debian packages are installed
//! with apt-get. PostgreSQL is used when BENCH_DATABASE_URL or
//! TEST_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test).
//!
//! Settings: LOAD_RUNS (default 3; each figure is their median),
//! LOAD_SECONDS (default 10 per run), LOAD_CONNECTIONS (default 64),
//! LOAD_GROWTH (existing signatures for the growth runs, default
//! "0,1000000,10000000"), LOAD_EXPORT_ROWS (default 1000000),
//! LOAD_ONLY (sqlite or postgres), LOAD_PHASES (any of
//! healthz,sign,count,confirm,mail,export,growth; default all).

#![allow(clippy::unwrap_used, reason = "benchmarks may unwrap: a failure is the test's answer")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{PgDatabase, Server, median};

/// Prints wrk's summary in one parseable line.
const REPORT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"#;

/// A signature with an email no other request uses: run prefix, thread, counter.
const SIGN: &str = r#"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = args[1]
  form = args[2] == "form"
  stamp = args[3] or ""
  n = 0
end
function request()
  n = n + 1
  local email = string.format("%s-%d-%d@example.com", prefix, tid, n)
  if form then
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"},
      "name=Bench+Signer&country=GB&started=" .. stamp .. "&email=" .. email:gsub("@", "%%40"))
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    string.format('{"name":"Bench Signer","email":"%s","country":"GB"}', email))
end
"#;

/// POSTs confirmation links from a file of tokens, each thread its own share.
const CONFIRM: &str = r#"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  tokens = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == tid then tokens[#tokens + 1] = line end
    i = i + 1
  end
  n = 0
end
function request()
  n = n + 1
  return wrk.format("POST", "/s/" .. tokens[(n - 1) % #tokens + 1])
end
"#;

struct Settings {
    phases: Vec<String>,
    runs: usize,
    seconds: u64,
    connections: u32,
    growth: Vec<usize>,
    export_rows: usize,
}

impl Settings {
    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }

    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        Self {
            phases: var("LOAD_PHASES")
                .unwrap_or_else(|| "healthz,sign,count,confirm,mail,export,growth".into())
                .split(',')
                .map(|p| p.trim().to_owned())
                .collect(),
            runs: var("LOAD_RUNS").and_then(|v| v.parse().ok()).unwrap_or(3),
            seconds: var("LOAD_SECONDS").and_then(|v| v.parse().ok()).unwrap_or(10),
            connections: var("LOAD_CONNECTIONS").and_then(|v| v.parse().ok()).unwrap_or(64),
            growth: var("LOAD_GROWTH")
                .unwrap_or_else(|| "0,1000000,10000000".into())
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect(),
            export_rows: var("LOAD_EXPORT_ROWS").and_then(|v| v.parse().ok()).unwrap_or(1_000_000),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn parse_wrk(output: &str) -> Wrk {
    let line =
        output.lines().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| panic!("no wrk result in:\n{output}"));
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    Wrk {
        rps: field("requests") / (field("duration_us") / 1e6),
        p50_ms: field("p50_us") / 1000.0,
        p99_ms: field("p99_us") / 1000.0,
        errors: (field("status_errors") + field("socket_errors")) as u64,
    }
}

/// A wrk run: script, url, connections, seconds, script arguments.
struct WrkRun {
    script: PathBuf,
    url: String,
    connections: u32,
    seconds: u64,
    args: Vec<String>,
}

impl WrkRun {
    fn spawn(&self) -> std::process::Child {
        Command::new("wrk")
            .args(["-t2", &format!("-c{}", self.connections), &format!("-d{}s", self.seconds), "--timeout", "10s"])
            .arg("-s")
            .arg(&self.script)
            .arg(&self.url)
            .arg("--")
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wrk runs")
    }

    fn run(&self) -> Wrk {
        Self::finish(self.spawn())
    }

    fn finish(child: std::process::Child) -> Wrk {
        let out = child.wait_with_output().unwrap();
        parse_wrk(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Several runs of the same measurement: the median of each figure.
fn med(runs: &[Wrk]) -> Wrk {
    Wrk {
        rps: median(runs.iter().map(|r| r.rps).collect()),
        p50_ms: median(runs.iter().map(|r| r.p50_ms).collect()),
        p99_ms: median(runs.iter().map(|r| r.p99_ms).collect()),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}

fn ensure_tools(postgres: bool) {
    let mut missing = Vec::new();
    let have = |tool: &str| {
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
    };
    for (tool, package) in [("wrk", "wrk"), ("sqlite3", "sqlite3")] {
        if !have(tool) {
            missing.push(package);
        }
    }
    if postgres && (!have("pgbench") || !have("psql")) {
        missing.push("postgresql-client");
    }
    if !missing.is_empty() {
        eprintln!("installing {missing:?} with apt-get");
        let _ = Command::new("apt-get").arg("update").stdout(Stdio::null()).status();
        let status = Command::new("apt-get").args(["install", "-y"]).args(&missing).stdout(Stdio::null()).status();
        assert!(status.is_ok_and(|s| s.success()), "could not install {missing:?}");
    }
}

/// A minimal SMTP server counting what it receives.
#[derive(Clone)]
struct Sink {
    received: Arc<AtomicU64>,
}

impl mailin_embedded::Handler for Sink {
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.fetch_add(1, Ordering::Relaxed);
        mailin_embedded::response::OK
    }
}

fn start_sink() -> (u16, Arc<AtomicU64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicU64::new(0));
    let mut server = mailin_embedded::Server::new(Sink { received: Arc::clone(&received) });
    server
        .with_name("sink")
        .with_ssl(mailin_embedded::SslConfig::None)
        .unwrap()
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, received)
}

/// Empties the outbox: the signing runs leave hundreds of thousands of mails
/// queued, which the worker would be sending during the next measurement.
fn purge_outbox(db: &undersigned::db::Db) {
    use diesel::RunQueryDsl;
    db.write_blocking(|c| diesel::delete(undersigned::db::schema::outbox::table).execute(c)).unwrap();
}

/// A line of the results table.
struct Figure {
    measure: String,
    value: String,
    ceiling: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

impl Figure {
    fn new(measure: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            measure: measure.into(),
            value: value.into(),
            ceiling: String::new(),
            ratio: String::new(),
            target: String::new(),
            met: None,
        }
    }

    fn ceiling(mut self, ceiling: impl Into<String>, ratio: f64) -> Self {
        self.ceiling = ceiling.into();
        self.ratio = format!("{ratio:.2}");
        self
    }

    fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

fn thousands(n: f64) -> String {
    undersigned::text::thousands(n.round() as i64)
}

struct Bench<'a> {
    label: &'static str,
    url: String,
    dir: &'a Path,
    settings: &'a Settings,
    scripts: Scripts,
    figures: Vec<Figure>,
    admin_url: Option<String>,
}

struct Scripts {
    report: PathBuf,
    sign: PathBuf,
    confirm: PathBuf,
}

fn write_scripts(dir: &Path) -> Scripts {
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{body}\n{REPORT}")).unwrap();
        path
    };
    Scripts { report: write("report.lua", ""), sign: write("sign.lua", SIGN), confirm: write("confirm.lua", CONFIRM) }
}

impl Bench<'_> {
    fn wrk(&self, script: &Path, base: &str, path: &str, connections: u32, args: Vec<String>) -> WrkRun {
        WrkRun {
            script: script.to_path_buf(),
            url: format!("{base}{path}"),
            connections,
            seconds: self.settings.seconds,
            args,
        }
    }

    /// Between phases: empties the outbox (see `purge_outbox`) and, on
    /// PostgreSQL, vacuums it and checkpoints. Otherwise the next phase pays
    /// for the purge of this one's mail, a cost of the benchmark (a real
    /// outbox is drained by its worker as it goes) that fell on whichever
    /// phase autovacuum happened to start in.
    fn settle(&self, db: &undersigned::db::Db) {
        purge_outbox(db);
        if self.admin_url.is_some() {
            let psql = |sql: &str| Command::new("psql").arg(&self.url).args(["-qAtc", sql]).output().unwrap();
            let out = psql("VACUUM (ANALYZE) outbox");
            assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
            // CHECKPOINT needs a superuser or pg_checkpoint: without, go on.
            let out = psql("CHECKPOINT");
            if !out.status.success() {
                eprintln!("  (no CHECKPOINT between phases: {})", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
    }

    fn repeat(&self, f: impl Fn(usize) -> Wrk) -> Wrk {
        med(&(0..self.settings.runs).map(f).collect::<Vec<_>>())
    }

    fn run(&mut self) {
        let s = self.settings;
        eprintln!("== {} ==", self.label);
        let db = common::connect(&self.url);
        common::petition(&db, "bench");
        let (smtp_port, received) = start_sink();
        let env = vec![
            ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
            ("MAIL_FROM", "Bench <bench@example.org>".to_string()),
            // One client address sends everything: limits off, and no
            // minimum form time (the load generator fills forms instantly).
            ("SIGN_RATE_LIMIT", "off".to_string()),
            ("FORM_MIN_TIME", "0s".to_string()),
        ];
        // The server under load only queues mail; a second instance on the
        // same database sends it where a phase calls for that (MAIL_WORKER).
        let mailer_env: Vec<(&str, String)> = env.iter().cloned().chain([("MAIL_WORKER", "on".to_string())]).collect();
        let env: Vec<(&str, String)> = env.into_iter().chain([("MAIL_WORKER", "off".to_string())]).collect();
        let server = Server::start(&self.url, self.dir, &env);
        let base = server.base.clone();
        std::thread::sleep(Duration::from_millis(500));
        let healthz = (s.runs("healthz") || s.runs("count")).then(|| self.healthz(&base));
        if s.runs("sign") {
            self.sign(&base, &db, &mailer_env, &received);
        }
        if let (true, Some(healthz)) = (s.runs("count"), healthz) {
            self.settle(&db);
            self.count(&base, healthz);
        }
        if s.runs("confirm") {
            self.settle(&db);
            self.confirm(&base, &db);
        }
        if s.runs("mail") {
            self.settle(&db);
            let mailer = Server::start(&self.url, self.dir, &mailer_env);
            self.mail(&db, &received);
            drop(mailer);
        }
        drop(server);
        if s.runs("export") {
            self.export(&db);
        }
        if s.runs("growth") {
            self.growth(&db, &env);
        }
    }

    fn healthz(&mut self, base: &str) -> Wrk {
        let conns = self.settings.connections;
        eprintln!("  /healthz");
        let healthz = self.repeat(|_| self.wrk(&self.scripts.report, base, "/healthz", conns, vec![]).run());
        self.figures.push(Figure::new(format!("GET /healthz, {conns} connections (req/s)"), thousands(healthz.rps)));
        healthz
    }

    /// Signing alone (the server queues each signature's mail; no instance
    /// sends meanwhile), through the JSON API and the form; then JSON signing
    /// again while a second instance sends the mail, as in a real surge.
    fn sign(&mut self, base: &str, db: &undersigned::db::Db, mailer_env: &[(&str, String)], received: &AtomicU64) {
        let conns = self.settings.connections;
        let pgbench = self.admin_url.is_some().then(|| self.pgbench(conns));
        let target = if pgbench.is_some() {
            "≥ 10,000/s, ≥ 1.5 × pgbench, p99 < 50 ms"
        } else {
            "≥ 10,000/s, p99 < 50 ms"
        };
        let json = "/api/v1/petitions/bench/signatures";
        for (kind, path) in [("json", json), ("form", "/p/bench/sign")] {
            eprintln!("  signing ({kind})");
            self.settle(db);
            // The form carries the stamp of the page it came from, as in a browser.
            let stamp = if kind == "form" { common::form_stamp(base, "bench") } else { String::new() };
            let r = self.repeat(|i| {
                let args = vec![format!("{kind}{i}"), kind.into(), stamp.clone()];
                self.wrk(&self.scripts.sign, base, path, conns, args).run()
            });
            assert_eq!(r.errors, 0, "signing failed");
            let label = if kind == "json" { "JSON API" } else { "form" };
            let mut fig = Figure::new(
                format!("signing through the {label}, {conns} connections (signatures/s)"),
                thousands(r.rps),
            );
            if let Some(pg) = pgbench {
                fig = fig.ceiling(format!("pgbench single-row INSERT: {}", thousands(pg)), r.rps / pg);
            }
            let pass = r.rps >= 10_000.0 && r.p99_ms < 50.0 && pgbench.is_none_or(|pg| r.rps >= 1.5 * pg);
            self.figures.push(fig.target(target, pass));
            self.figures.push(Figure::new(
                format!("  latency p50 / p99 ({label})"),
                format!("{:.1} ms / {:.1} ms", r.p50_ms, r.p99_ms),
            ));
        }
        eprintln!("  signing (json) while another instance sends the mail");
        self.settle(db);
        let mailer = Server::start(&self.url, self.dir, mailer_env);
        let runs: Vec<(Wrk, f64)> = (0..self.settings.runs)
            .map(|i| {
                let before = received.load(Ordering::Relaxed);
                let started = Instant::now();
                let args = vec![format!("surge{i}"), "json".into(), String::new()];
                let r = self.wrk(&self.scripts.sign, base, json, conns, args).run();
                let mails = (received.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
                (r, mails)
            })
            .collect();
        drop(mailer);
        let r = med(&runs.iter().map(|x| x.0).collect::<Vec<_>>());
        assert_eq!(r.errors, 0, "signing failed");
        let mails = median(runs.iter().map(|x| x.1).collect());
        let mut fig = Figure::new(
            format!(
                "signing through the JSON API while another instance sends {} mails/s, {conns} connections (signatures/s)",
                thousands(mails)
            ),
            format!("{} (p99 {:.1} ms)", thousands(r.rps), r.p99_ms),
        );
        if let Some(pg) = pgbench {
            fig = fig.ceiling(format!("pgbench single-row INSERT: {}", thousands(pg)), r.rps / pg);
        }
        let pass = r.rps >= 10_000.0 && r.p99_ms < 50.0 && pgbench.is_none_or(|pg| r.rps >= 1.5 * pg);
        self.figures.push(fig.target(target, pass));
    }

    fn count(&mut self, base: &str, healthz: Wrk) {
        let (s, conns) = (self.settings, self.settings.connections);
        eprintln!("  count reads");
        let count =
            self.repeat(|_| self.wrk(&self.scripts.report, base, "/api/v1/petitions/bench", conns, vec![]).run());
        self.figures.push(
            Figure::new(format!("count reads alone, {conns} connections (req/s)"), thousands(count.rps))
                .ceiling(format!("/healthz: {}", thousands(healthz.rps)), count.rps / healthz.rps)
                .target("≥ 0.7 × /healthz", count.rps >= 0.7 * healthz.rps),
        );
        let half = conns / 2;
        let mixed = |path: &str, i: usize| {
            let signing = self.wrk(
                &self.scripts.sign,
                base,
                "/api/v1/petitions/bench/signatures",
                half,
                vec![format!("mixed{path}{i}"), "json".into()],
            );
            let reading = self.wrk(&self.scripts.report, base, path, half, vec![]);
            let (a, b) = (signing.spawn(), reading.spawn());
            let signed = WrkRun::finish(a);
            (WrkRun::finish(b), signed)
        };
        let counts: Vec<(Wrk, Wrk)> = (0..s.runs).map(|i| mixed("/api/v1/petitions/bench", i)).collect();
        let healths: Vec<(Wrk, Wrk)> = (0..s.runs).map(|i| mixed("/healthz", i)).collect();
        let (c, h) = (
            med(&counts.iter().map(|x| x.0).collect::<Vec<_>>()),
            med(&healths.iter().map(|x| x.0).collect::<Vec<_>>()),
        );
        let signing_meanwhile = med(&counts.iter().map(|x| x.1).collect::<Vec<_>>());
        self.figures.push(
            Figure::new(
                format!(
                    "count reads while {} signatures/s arrive, {half}+{half} connections (req/s)",
                    thousands(signing_meanwhile.rps)
                ),
                thousands(c.rps),
            )
            .ceiling(format!("/healthz under the same signing: {}", thousands(h.rps)), c.rps / h.rps)
            .target("≥ 0.7 × /healthz", c.rps >= 0.7 * h.rps),
        );
    }

    fn confirm(&mut self, base: &str, db: &undersigned::db::Db) {
        let (s, conns) = (self.settings, self.settings.connections);
        eprintln!("  confirmations");
        let petition = db.read_blocking(|c| undersigned::db::petitions::find_by_slug(c, "bench")).unwrap().unwrap().id;
        // Enough for 8,000 confirmations a second; beyond that tokens repeat (cheaper "already confirmed" answers).
        let per_run = 8_000 * s.seconds as usize;
        let now = undersigned::now();
        let ids = db
            .write_blocking(|c| undersigned::db::seed::pending(c, petition, "confirm-", per_run * s.runs, now))
            .unwrap();
        // The server's own keys (generated and kept in the database), so that
        // each link is bound to its signature's details as a mailed one is.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let keys = rt.block_on(undersigned::keys::Keys::load(db, None, None)).unwrap();
        let tokens = db
            .write_blocking(|c| {
                undersigned::db::seed::tokens(c, &ids, now, now + chrono::TimeDelta::days(1), |d| {
                    keys.details_digest(d)
                })
            })
            .unwrap();
        let confirm = self.repeat(|i| {
            let file = self.dir.join(format!("tokens-{i}.txt"));
            let lines: Vec<&str> = tokens.iter().skip(i * per_run).take(per_run).map(|t| t.as_str()).collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            self.wrk(&self.scripts.confirm, base, "", conns, vec![file.display().to_string(), "2".into()]).run()
        });
        assert_eq!(confirm.errors, 0, "confirmations failed");
        self.figures.push(Figure::new(
            format!("confirming (POST of confirmation links), {conns} connections (confirmations/s)"),
            format!("{} (p99 {:.1} ms)", thousands(confirm.rps), confirm.p99_ms),
        ));
    }

    fn mail(&mut self, db: &undersigned::db::Db, received: &AtomicU64) {
        eprintln!("  outbox mail");
        self.settle(db);
        // Let a round the worker had started finish before counting.
        std::thread::sleep(Duration::from_secs(2));
        let petition = db.read_blocking(|c| undersigned::db::petitions::find_by_slug(c, "bench")).unwrap().unwrap().id;
        let mails = 20_000;
        let now = undersigned::now();
        let ids = db.write_blocking(|c| undersigned::db::seed::pending(c, petition, "mail-", mails, now)).unwrap();
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

    /// PostgreSQL's single-row INSERT rate, at `conns` clients, into a table
    /// shaped like `signatures` (same columns and indexes).
    fn pgbench(&self, conns: u32) -> f64 {
        let psql = |sql: &str| {
            let out = Command::new("psql").arg(&self.url).args(["-qAtc", sql]).output().unwrap();
            assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        };
        psql("DROP TABLE IF EXISTS bench_signatures; CREATE TABLE bench_signatures (LIKE signatures INCLUDING ALL)");
        let script = self.dir.join("insert.sql");
        std::fs::write(
            &script,
            "\\set n random(1, 2000000000)\n\
             INSERT INTO bench_signatures (petition_id, email_key, email, name, country, postcode, keep_informed, status, created_at, mails_queued, last_mail_at) \
             VALUES (1, sha256(convert_to(:n || '-' || random(), 'UTF8')), 'bench' || :n || '@example.com', 'Bench Signer', 'GB', NULL, false, 'pending', now(), 1, now());\n",
        )
        .unwrap();
        let rates: Vec<f64> = (0..self.settings.runs)
            .map(|_| {
                let out = Command::new("pgbench")
                    .args(["-n", "-c", &conns.to_string(), "-j", "2", "-T", &self.settings.seconds.to_string(), "-f"])
                    .arg(&script)
                    .arg(&self.url)
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                text.lines()
                    .find(|l| l.starts_with("tps = "))
                    .and_then(|l| l.split_whitespace().nth(2))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("pgbench: {text}{}", String::from_utf8_lossy(&out.stderr)))
            })
            .collect();
        psql("DROP TABLE bench_signatures");
        median(rates)
    }

    fn export(&mut self, db: &undersigned::db::Db) {
        let rows = self.settings.export_rows;
        eprintln!("  export of {rows} rows");
        let petition = common::petition(db, "export");
        common::seed_confirmed(db, petition, 0, rows);
        let token = common::api_token(db);
        let server = Server::start(&self.url, self.dir, &[]);
        std::thread::sleep(Duration::from_millis(300));
        let runs: Vec<common::ExportRun> =
            (0..self.settings.runs).map(|_| common::export_csv(&server.base, "export", &token)).collect();
        assert!(runs.iter().all(|r| r.rows == rows as u64), "every row exported");
        let rate = median(runs.iter().map(|r| r.rows as f64 / r.seconds).collect());
        let peak = server.peak_mib();
        drop(server);
        let query = format!(
            "SELECT name, country, postcode, confirmed_at FROM signatures WHERE petition_id = {petition} AND status = 'confirmed' ORDER BY id"
        );
        let tool = if self.admin_url.is_some() { "psql \\copy" } else { "sqlite3 -csv" };
        let ceiling = median(
            (0..self.settings.runs)
                .map(|_| {
                    let started = Instant::now();
                    let out = match tool {
                        "psql \\copy" => Command::new("psql")
                            .arg(&self.url)
                            .args(["-qc", &format!("\\copy ({query}) TO '/dev/null' CSV HEADER")])
                            .output(),
                        _ => Command::new("sqlite3")
                            .args(["-csv", "-header"])
                            .arg(&self.url)
                            .arg(&query)
                            .stdout(Stdio::null())
                            .output(),
                    };
                    assert!(out.is_ok_and(|o| o.status.success()), "{tool} failed");
                    rows as f64 / started.elapsed().as_secs_f64()
                })
                .collect(),
        );
        self.figures.push(
            Figure::new(format!("export of {} rows as CSV (rows/s)", thousands(rows as f64)), thousands(rate))
                .ceiling(format!("{tool}: {}", thousands(ceiling)), rate / ceiling)
                .target("≥ 500,000/s", rate >= 500_000.0),
        );
        self.figures.push(
            Figure::new("  server peak memory during the export (VmHWM)", format!("{peak:.1} MiB"))
                .target("< 64 MiB", peak < 64.0),
        );
    }

    fn growth(&mut self, db: &undersigned::db::Db, env: &[(&str, String)]) {
        let petition = common::petition(db, "growth");
        let mut existing = 0;
        let mut results: Vec<(usize, Wrk)> = Vec::new();
        for &target in &self.settings.growth.clone() {
            if target > existing {
                eprintln!("  growth: seeding to {target} signatures");
                common::seed_confirmed(db, petition, existing, target - existing);
                existing = target;
            }
            // Each level starts with an empty outbox, so that only the
            // number of signatures differs between them.
            self.settle(db);
            let server = Server::start(&self.url, self.dir, env);
            std::thread::sleep(Duration::from_millis(300));
            let path = "/api/v1/petitions/growth/signatures";
            let r = self.repeat(|i| {
                self.wrk(
                    &self.scripts.sign,
                    &server.base,
                    path,
                    self.settings.connections,
                    vec![format!("growth{target}-{i}"), "json".into()],
                )
                .run()
            });
            assert_eq!(r.errors, 0, "signing failed");
            results.push((target, r));
        }
        let base = results.first().map(|(_, r)| r.rps).unwrap_or(1.0);
        for (existing, r) in &results {
            let drop = 1.0 - r.rps / base;
            let fig = Figure::new(
                format!(
                    "signing with {} signatures already in the petition (signatures/s, p99)",
                    thousands(*existing as f64)
                ),
                format!("{} ({:.1} ms)", thousands(r.rps), r.p99_ms),
            )
            .ceiling("the same with none", r.rps / base);
            self.figures.push(if *existing == 0 { fig } else { fig.target("drop < 20 %", drop < 0.2) });
        }
    }
}

fn print_table(settings: &Settings, label: &str, figures: &[Figure]) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!(
        "\n### {label}\n\n{cores} cores, server and wrk on the same machine, wrk -t2, {} s per run, median of {} runs; \
         command: cargo bench --bench load\n",
        settings.seconds, settings.runs
    );
    println!("| measure | figure | ceiling | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for f in figures {
        let met = match f.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {met} |", f.measure, f.value, f.ceiling, f.ratio, f.target);
    }
}

fn main() {
    let settings = Settings::from_env();
    let only = std::env::var("LOAD_ONLY").unwrap_or_default();
    let admin = common::postgres_admin_url();
    ensure_tools(admin.is_some());
    let dir = tempfile::tempdir().unwrap();
    let scripts = || write_scripts(dir.path());
    if only.is_empty() || only == "sqlite" {
        let path = dir.path().join("load.db");
        let mut bench = Bench {
            label: "SQLite",
            url: path.display().to_string(),
            dir: dir.path(),
            settings: &settings,
            scripts: scripts(),
            figures: Vec::new(),
            admin_url: None,
        };
        bench.run();
        print_table(&settings, "SQLite", &bench.figures);
    }
    if let Some(admin) = admin.filter(|_| only.is_empty() || only == "postgres") {
        let pg = PgDatabase::create(&admin, "load");
        let mut bench = Bench {
            label: "PostgreSQL",
            url: pg.url.clone(),
            dir: dir.path(),
            settings: &settings,
            scripts: scripts(),
            figures: Vec::new(),
            admin_url: Some(admin.clone()),
        };
        bench.run();
        print_table(&settings, "PostgreSQL", &bench.figures);
    }
}
