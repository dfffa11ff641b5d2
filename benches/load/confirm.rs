//! The confirmation and mail phases: POSTs of seeded confirmation links, and
//! an outbox of seeded mail sent to the local sink.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Bench;
use crate::report::{Figure, thousands};

impl Bench<'_> {
    pub(crate) fn confirm(&mut self, base: &str, db: &undersigned::db::Db) {
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
        let keys = rt.block_on(undersigned::keys::Keys::load(db, None, None, None)).unwrap();
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

    pub(crate) fn mail(&mut self, db: &undersigned::db::Db, received: &AtomicU64) {
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
}
