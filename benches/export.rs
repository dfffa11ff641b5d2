//! Export benchmark: 1 million confirmed signatures exported as CSV through
//! the release server, on SQLite and (when BENCH_DATABASE_URL or
//! TEST_DATABASE_URL names a PostgreSQL server) on PostgreSQL.
//!
//!     cargo bench --bench export                # 1,000,000 rows
//!     EXPORT_ROWS=100000 cargo bench --bench export
//!
//! Prints rows/s, time to first byte, and the server's resident memory
//! before the export and at its peak (VmHWM), read from /proc.

#![allow(clippy::unwrap_used, reason = "benchmarks may unwrap: a failure is the test's answer")]

mod common;

use std::time::Duration;

use common::{ExportRun, PgDatabase, Server};

fn run(label: &str, url: &str, rows: usize, dir: &std::path::Path) {
    eprintln!("{label}: seeding {rows} rows");
    let db = common::connect(url);
    let id = common::petition(&db, "benchmark");
    common::seed_confirmed(&db, &common::keys(&db, dir), id, 0, rows);
    let token = common::api_token(&db);
    let server = Server::start(url, dir, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let before = server.rss_mib();
    let mut runs: Vec<ExportRun> = (0..3).map(|_| common::export_csv(&server.base, "benchmark", &token)).collect();
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let median = &runs[1];
    assert_eq!(median.rows, rows as u64, "every row exported");
    println!(
        "| {label} | {} | {:.2} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} |",
        median.rows,
        median.seconds,
        median.rows as f64 / median.seconds,
        median.first_byte_ms,
        median.megabytes,
        before,
        server.peak_mib(),
    );
}

fn main() {
    let rows: usize = std::env::var("EXPORT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("export benchmark: {rows} confirmed signatures, CSV, median of 3 runs, {cores} cores");
    println!(
        "| database | rows | seconds | rows/s | first byte (ms) | MB | server RSS before (MiB) | server peak RSS (MiB) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("bench.db");
    run("SQLite", sqlite.to_str().unwrap(), rows, dir.path());
    if let Some(admin) = common::postgres_admin_url() {
        let pg = PgDatabase::create(&admin, "export");
        run("PostgreSQL", &pg.url, rows, dir.path());
    }
}
