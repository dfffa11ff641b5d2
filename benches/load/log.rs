//! The transparency-log phase: appending alone (a queue of LOAD_LOG_LEAVES
//! confirmations folded into the tree, no HTTP) beside inserting the same
//! queue rows, and `undersigned verify-log` over that log through the
//! release server, its time and peak memory beside fetching the same files
//! without checking them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use undersigned::tlog::paths::{entry_bundles, hash_tiles};
use undersigned::tlog::verify::FETCHERS;
use undersigned::transparency::Appender;

use crate::Bench;
use crate::common::{self, Server, status_kib};
use crate::report::{Figure, thousands};

/// The bounds for checking a log of a million leaves.
const VERIFY_SECONDS: f64 = 10.0;
const VERIFY_MIB: f64 = 64.0;

impl Bench<'_> {
    pub(crate) fn log(&mut self, db: &undersigned::db::Db) {
        let leaves = self.settings.log_leaves;
        eprintln!("  transparency log of {} leaves", thousands(leaves as f64));
        let petition = common::petition(db, "logbench");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // The server's own log key (its key file), so that the log verifies
        // with the key the server publishes.
        let keys = common::keys(db, self.dir);
        let appender = Appender { signer: keys.log().clone(), origin_base: "bench.invalid".into() };
        // The empty log first, so that what follows is the queue alone.
        rt.block_on(undersigned::jobs::counter::append_once(db, &appender)).unwrap();
        let started = Instant::now();
        db.write_blocking(|c| undersigned::db::seed::log_queue(c, petition, leaves, undersigned::now())).unwrap();
        let insert = leaves as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let appended = rt.block_on(undersigned::jobs::counter::append_once(db, &appender)).unwrap();
        let append = leaves as f64 / started.elapsed().as_secs_f64();
        assert_eq!(appended, leaves, "every queued leaf appended");
        self.figures.push(
            Figure::new(
                format!("appending alone: {} queued confirmations into the log (leaves/s)", thousands(leaves as f64)),
                thousands(append),
            )
            .ceiling(format!("{} (inserting the queue rows)", thousands(insert)), append / insert),
        );

        let server = Server::start(&self.url, self.dir, &[]);
        std::thread::sleep(Duration::from_millis(300));
        let prefix = format!("{}/log/logbench", server.base);
        let client = reqwest::blocking::Client::new();
        let keys: serde_json::Value =
            client.get(format!("{}/api/v1/log-key", server.base)).send().unwrap().json().unwrap();
        let key = keys["public_key"].as_str().unwrap().to_owned();
        // The ceiling: every file the verifier reads, fetched by as many
        // threads as it fetches with, and not checked.
        let size = leaves as u64;
        let files: Vec<String> = entry_bundles(size).chain(hash_tiles(size)).map(|t| t.path()).collect();
        let started = Instant::now();
        let per_thread = files.len().div_ceil(FETCHERS);
        let bytes: usize = std::thread::scope(|s| {
            let fetchers: Vec<_> = files
                .chunks(per_thread)
                .map(|chunk| {
                    let (client, prefix) = (&client, &prefix);
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|file| {
                                let res = client.get(format!("{prefix}/{file}")).send().unwrap();
                                assert!(res.status().is_success(), "{file}: {}", res.status());
                                res.bytes().unwrap().len()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            fetchers.into_iter().map(|f| f.join().unwrap()).sum()
        });
        let fetch = started.elapsed().as_secs_f64();

        // verify-log as a user runs it, its peak memory read while it runs.
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .args(["verify-log", &prefix, "--public-key", &key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut peak_kib = 0;
        while child.try_wait().unwrap().is_none() {
            peak_kib = peak_kib.max(status_kib(child.id(), "VmHWM:"));
            std::thread::sleep(Duration::from_millis(5));
        }
        let seconds = started.elapsed().as_secs_f64();
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains(&format!("VERIFIED: the log holds {leaves} leaves")),
            "verify-log failed:\n{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        drop(server);
        let peak = peak_kib as f64 / 1024.0;
        self.figures.push(
            Figure::new(
                format!(
                    "verify-log of {} leaves over HTTP ({} files, {:.0} MB) (s)",
                    thousands(leaves as f64),
                    thousands(files.len() as f64),
                    bytes as f64 / 1e6
                ),
                format!("{seconds:.1}"),
            )
            .ceiling(format!("{fetch:.1} (fetching them unchecked, {FETCHERS} threads)"), fetch / seconds)
            .target(format!("≤ {VERIFY_SECONDS:.0} s"), seconds <= VERIFY_SECONDS),
        );
        self.figures.push(
            Figure::new("verify-log peak memory (MiB)", format!("{peak:.0}"))
                .target(format!("≤ {VERIFY_MIB:.0} MiB"), peak <= VERIFY_MIB),
        );
    }
}
