//! The export phase: a CSV export through the server, against psql's or
//! sqlite3's own.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Bench;
use crate::common::{self, Server, median};
use crate::report::{Figure, thousands};

impl Bench<'_> {
    pub(crate) fn export(&mut self, db: &undersigned::db::Db) {
        let rows = self.settings.export_rows;
        eprintln!("  export of {rows} rows");
        let petition = common::petition(db, "export");
        common::seed_confirmed(db, &common::keys(db, self.dir), petition, 0, rows);
        let token = common::api_token(db);
        let server = Server::start(&self.url, self.dir, &[]);
        std::thread::sleep(Duration::from_millis(300));
        let runs: Vec<common::ExportRun> =
            (0..self.settings.runs).map(|_| common::export_csv(&server.base, "export", &token)).collect();
        assert!(runs.iter().all(|r| r.rows == rows as u64), "every row exported");
        let rate = median(runs.iter().map(|r| r.rows as f64 / r.seconds).collect());
        let peak = server.peak_mib();
        drop(server);
        // The ceiling reads what the server reads: the sealed personal data
        // and the keyed hash it is bound to, beside the clear columns.
        let query = format!(
            "SELECT id, email_key, personal, country, confirmed_at, keep_informed FROM signatures \
             WHERE petition_id = {petition} AND status = 'confirmed' ORDER BY id"
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
}
