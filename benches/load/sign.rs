//! The signing phases: /healthz, signing (JSON, form, and while mail goes
//! out), count reads, signing as a petition grows, and pgbench's ceiling.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Bench;
use crate::common::{self, Server, median};
use crate::report::{Figure, thousands};
use crate::wrk::{Wrk, WrkRun, med};

impl Bench<'_> {
    pub(crate) fn healthz(&mut self, base: &str) -> Wrk {
        let conns = self.settings.connections;
        eprintln!("  /healthz");
        let healthz = self.repeat(|_| self.wrk(&self.scripts.report, base, "/healthz", conns, vec![]).run());
        self.figures.push(Figure::new(format!("GET /healthz, {conns} connections (req/s)"), thousands(healthz.rps)));
        healthz
    }

    /// Signing alone (the server queues each signature's mail; no instance
    /// sends meanwhile), through the JSON API and the form; then JSON signing
    /// again while a second instance sends the mail, as in a real surge.
    pub(crate) fn sign(
        &mut self,
        base: &str,
        db: &undersigned::db::Db,
        mailer_env: &[(&str, String)],
        received: &AtomicU64,
    ) {
        let conns = self.settings.connections;
        let pgbench = self.admin_url.is_some().then(|| self.pgbench(conns));
        let target = if pgbench.is_some() {
            "≥ 10,000/s, ≥ 1.5 × pgbench, p99 < 50 ms"
        } else {
            "≥ 10,000/s, p99 < 50 ms"
        };
        let json = "/api/v1/petitions/bench/signatures";
        let mut json_alone = 0.0;
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
            if kind == "json" {
                json_alone = r.rps;
            }
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
        self.signing_alone = Some(json_alone);
        self.sign_with_smtp_unreachable(db, mailer_env);
    }

    /// JSON signing on an instance that sends its own mail to a relay that
    /// cannot be reached (`SMTP_URL` at a port nothing listens on), beside
    /// the same on an instance with `MAIL_WORKER=off`: the worker must wait
    /// for the relay, not claim and reschedule every new mail. Each run
    /// measures both, one after the other, each on a server started for it
    /// with the outbox emptied, so that the two see the same database (it
    /// grows with every run) and the same fresh process.
    fn sign_with_smtp_unreachable(&mut self, db: &undersigned::db::Db, mailer_env: &[(&str, String)]) {
        let conns = self.settings.connections;
        eprintln!("  signing (json) while the SMTP relay cannot be reached, and with MAIL_WORKER=off");
        let closed = common::free_port();
        let with = |name: &str, value: &str| -> Vec<(&str, String)> {
            mailer_env.iter().map(|(k, v)| (*k, if *k == name { value.to_owned() } else { v.clone() })).collect()
        };
        let down_env = with("SMTP_URL", &format!("smtp://127.0.0.1:{closed}"));
        let off_env = with("MAIL_WORKER", "off");
        let sign_on = |env: &[(&str, String)], prefix: String| {
            self.settle(db);
            let server = Server::start(&self.url, self.dir, env);
            std::thread::sleep(Duration::from_millis(300));
            let args = vec![prefix, "json".into(), String::new()];
            let r = self.wrk(&self.scripts.sign, &server.base, "/api/v1/petitions/bench/signatures", conns, args).run();
            assert_eq!(r.errors, 0, "signing failed");
            r
        };
        let (mut off, mut down) = (Vec::new(), Vec::new());
        for i in 0..self.settings.runs {
            off.push(sign_on(&off_env, format!("off{i}")));
            down.push(sign_on(&down_env, format!("down{i}")));
        }
        let (off, down) = (med(&off), med(&down));
        self.figures.push(
            Figure::new(
                format!("signing through the JSON API with SMTP unreachable, mail worker on, {conns} connections (signatures/s)"),
                format!("{} (p99 {:.1} ms)", thousands(down.rps), down.p99_ms),
            )
            .ceiling(format!("the same with MAIL_WORKER=off: {}", thousands(off.rps)), down.rps / off.rps)
            .target("≥ 0.95 × MAIL_WORKER=off", down.rps >= 0.95 * off.rps),
        );
    }

    pub(crate) fn count(&mut self, base: &str, healthz: Wrk) {
        let (s, conns) = (self.settings, self.settings.connections);
        eprintln!("  count reads");
        let count =
            self.repeat(|_| self.wrk(&self.scripts.report, base, "/api/v1/petitions/bench", conns, vec![]).run());
        self.figures.push(
            Figure::new(format!("count reads alone, {conns} connections (req/s)"), thousands(count.rps))
                .ceiling(format!("/healthz: {}", thousands(healthz.rps)), count.rps / healthz.rps)
                .target("≥ 0.8 × /healthz", count.rps >= 0.8 * healthz.rps),
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

    pub(crate) fn growth(&mut self, db: &undersigned::db::Db, env: &[(&str, String)]) {
        let petition = common::petition(db, "growth");
        let mut existing = 0;
        let mut results: Vec<(usize, Wrk)> = Vec::new();
        for &target in &self.settings.growth.clone() {
            if target > existing {
                eprintln!("  growth: seeding to {target} signatures");
                common::seed_confirmed(db, &common::keys(db, self.dir), petition, existing, target - existing);
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

    /// PostgreSQL's single-row INSERT rate, at `conns` clients, into a table
    /// shaped like `signatures` (same columns and indexes).
    pub(crate) fn pgbench(&self, conns: u32) -> f64 {
        self.psql(
            "DROP TABLE IF EXISTS bench_signatures; CREATE TABLE bench_signatures (LIKE signatures INCLUDING ALL)",
        );
        let script = self.dir.join("insert.sql");
        std::fs::write(
            &script,
            "\\set n random(1, 2000000000)\n\
             INSERT INTO bench_signatures (petition_id, email_key, email, name, country, postcode, keep_informed, status, created_at, mails_queued, last_mail_at) \
             VALUES (1, sha256(convert_to(:n || '-' || random(), 'UTF8')), 'bench' || :n || '@example.com', 'Bench Signer', 'GB', NULL, false, 'pending', now(), 1, now());\n",
        )
        .unwrap();
        let rates: Vec<f64> = (0..self.settings.runs).map(|_| self.pgbench_tps(&script, conns, &[])).collect();
        self.psql("DROP TABLE bench_signatures");
        median(rates)
    }
}
