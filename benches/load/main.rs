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
//! SQLite export ceiling, sqlite3): if one is missing it says which Debian
//! package to install (`apt-get install wrk sqlite3 postgresql-client`) and
//! stops. PostgreSQL is used when BENCH_DATABASE_URL or
//! TEST_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test).
//!
//! Settings: LOAD_RUNS (default 3; each figure is their median),
//! LOAD_SECONDS (default 10 per run), LOAD_CONNECTIONS (default 64),
//! LOAD_GROWTH (existing signatures for the growth runs, default
//! "0,1000000,10000000"), LOAD_EXPORT_ROWS (default 1000000),
//! LOAD_LOG_LEAVES (the log verify-log checks, default 1000000),
//! LOAD_FUNNEL_RATE (signatures/s the funnel offers, default 3000; each
//! connection pauses for its share, so the rate reached is lower by the
//! requests' own time),
//! LOAD_FUNNEL_SECONDS (default 60), LOAD_ONLY (sqlite or postgres),
//! LOAD_PHASES (any of healthz,sign,count,confirm,repeat,mail,funnel,export,
//! log,growth; default all).

#![allow(clippy::unwrap_used, reason = "benchmarks may unwrap: a failure is the test's answer")]

#[path = "../common/mod.rs"]
mod common;
mod confirm;
mod cpu;
mod export;
mod funnel;
mod log;
mod repeat;
mod report;
mod sign;
mod sink;
mod wrk;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{PgDatabase, Server};
use report::{Figure, print_table};
use sink::start_sink;
use wrk::{Scripts, Wrk, WrkRun, med, write_scripts};

/// The benchmark's settings, from LOAD_* variables.
struct Settings {
    phases: Vec<String>,
    runs: usize,
    seconds: u64,
    connections: u32,
    growth: Vec<usize>,
    export_rows: usize,
    log_leaves: usize,
    funnel_rate: u64,
    funnel_seconds: u64,
}

impl Settings {
    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }

    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        Self {
            phases: var("LOAD_PHASES")
                .unwrap_or_else(|| "healthz,sign,count,confirm,repeat,mail,funnel,export,log,growth".into())
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
            log_leaves: var("LOAD_LOG_LEAVES").and_then(|v| v.parse().ok()).unwrap_or(1_000_000),
            funnel_rate: var("LOAD_FUNNEL_RATE").and_then(|v| v.parse().ok()).unwrap_or(3_000),
            funnel_seconds: var("LOAD_FUNNEL_SECONDS").and_then(|v| v.parse().ok()).unwrap_or(60),
        }
    }
}

/// One database's run: its server's URL, scripts, and the figures so far.
struct Bench<'a> {
    label: &'static str,
    url: String,
    dir: &'a Path,
    settings: &'a Settings,
    scripts: Scripts,
    figures: Vec<Figure>,
    admin_url: Option<String>,
    /// JSON signing alone in this run (signatures/s), once measured: the
    /// ceiling confirming is compared with.
    signing_alone: Option<f64>,
}

/// Empties the outbox: the signing runs leave hundreds of thousands of mails
/// queued, which the worker would be sending during the next measurement.
fn purge_outbox(db: &undersigned::db::Db) {
    use diesel::RunQueryDsl;
    db.write_blocking(|c| diesel::delete(undersigned::db::schema::outbox::table).execute(c)).unwrap();
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
            self.psql("VACUUM (ANALYZE) outbox");
            // CHECKPOINT needs a superuser or pg_checkpoint: without, go on.
            let out = Command::new("psql").arg(&self.url).args(["-qAtc", "CHECKPOINT"]).output().unwrap();
            if !out.status.success() {
                eprintln!("  (no CHECKPOINT between phases: {})", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
    }

    /// Runs `sql` with psql on this run's PostgreSQL database; what it
    /// printed (unaligned, tuples only). Panics if psql fails.
    pub(crate) fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql").arg(&self.url).args(["-qAtc", sql]).output().unwrap();
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// pgbench's transactions per second running `script` for one run's
    /// seconds with `clients` clients (two threads), each variable of
    /// `vars` set for every client (`-D`).
    pub(crate) fn pgbench_tps(&self, script: &Path, clients: u32, vars: &[(&str, String)]) -> f64 {
        let mut command = Command::new("pgbench");
        command.args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &self.settings.seconds.to_string()]);
        for (name, value) in vars {
            command.arg("-D").arg(format!("{name}={value}"));
        }
        let out = command.arg("-f").arg(script).arg(&self.url).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.starts_with("tps = "))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("pgbench: {text}{}", String::from_utf8_lossy(&out.stderr)))
    }

    fn repeat(&self, f: impl Fn(usize) -> Wrk) -> Wrk {
        med(&(0..self.settings.runs).map(f).collect::<Vec<_>>())
    }

    pub(crate) fn run(&mut self) {
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
        if s.runs("repeat") {
            self.repeats(&base, &db);
        }
        if s.runs("mail") {
            self.settle(&db);
            let mailer = Server::start(&self.url, self.dir, &mailer_env);
            self.mail(&db, &received);
            drop(mailer);
        }
        drop(server);
        // Its own server, which sends its own mail, with nothing else running.
        if s.runs("funnel") {
            self.funnel(&db, &mailer_env);
        }
        if s.runs("export") {
            self.export(&db);
        }
        if s.runs("log") {
            self.log(&db);
        }
        if s.runs("growth") {
            self.growth(&db, &env);
        }
    }
}

/// The programs the benchmark runs, each with the Debian package that has it:
/// wrk and sqlite3 always; pgbench and psql for PostgreSQL.
fn tools(postgres: bool) -> Vec<(&'static str, &'static str)> {
    let mut tools = vec![("wrk", "wrk"), ("sqlite3", "sqlite3")];
    if postgres {
        tools.extend([("pgbench", "postgresql-client"), ("psql", "postgresql-client")]);
    }
    tools
}

/// Stops the benchmark, saying how to install them, if any of its tools is
/// missing. It installs nothing itself.
fn ensure_tools(postgres: bool) {
    let have = |tool: &str| {
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
    };
    let missing: Vec<_> = tools(postgres).into_iter().filter(|(tool, _)| !have(tool)).collect();
    if missing.is_empty() {
        return;
    }
    let names: Vec<&str> = missing.iter().map(|(tool, _)| *tool).collect();
    let mut packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    packages.dedup();
    eprintln!(
        "the load benchmark needs {}, which is not installed; install it (on Debian, as root) with\n\n    \
         apt-get install {}\n\nand run the benchmark again",
        names.join(", "),
        packages.join(" ")
    );
    std::process::exit(1);
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
            signing_alone: None,
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
            signing_alone: None,
        };
        bench.run();
        print_table(&settings, "PostgreSQL", &bench.figures);
    }
}
