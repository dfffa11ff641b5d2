//! Faults: the database going away, the process killed in the middle of a
//! surge, a clean stop, and what the logs must never hold.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, Smtp, TestDatabase, spawn_app_mapped};
use crate::on_both_databases;
use crate::process::{ServerProcess, create_petition, read_log, read_mail};

on_both_databases!(every_acknowledged_signature_survives_sigkill, sigterm_answers_what_is_in_flight_and_stops_cleanly);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Signs unique addresses until `stop`, recording those answered 202.
fn signers(
    base: &str,
    round: usize,
    n: usize,
    stop: &Arc<AtomicBool>,
    acked: &Arc<Mutex<HashSet<String>>>,
    other: &Arc<Mutex<Vec<u16>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|t| {
            let (base, stop, acked, other, client) =
                (base.to_owned(), Arc::clone(stop), Arc::clone(acked), Arc::clone(other), client());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let email = format!("r{round}-t{t}-{i}@example.com");
                    let res = client
                        .post(format!("{base}/api/v1/petitions/p/signatures"))
                        .json(&json!({"name": "Surge Signer", "email": email, "country": "NG"}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 202 => {
                            acked.lock().unwrap().insert(email);
                        }
                        Ok(r) => other.lock().unwrap().push(r.status().as_u16()),
                        // Killed or stopping: no answer, no promise.
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
            })
        })
        .collect()
}

/// Confirms the mails that appear in `outbox` until `stop`, recording the
/// addresses whose confirmation was answered 200.
fn confirmer(
    base: &str,
    outbox: &std::path::Path,
    stop: &Arc<AtomicBool>,
    seen: &Arc<Mutex<HashSet<std::path::PathBuf>>>,
    confirmed: &Arc<Mutex<HashSet<String>>>,
) -> tokio::task::JoinHandle<()> {
    let (base, outbox, stop, seen, confirmed, client) =
        (base.to_owned(), outbox.to_owned(), Arc::clone(stop), Arc::clone(seen), Arc::clone(confirmed), client());
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            let files: Vec<_> = std::fs::read_dir(&outbox)
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
                .unwrap_or_default();
            for path in files {
                if stop.load(Ordering::Relaxed) || seen.lock().unwrap().contains(&path) {
                    continue;
                }
                let Some((to, token)) = read_mail(&path) else { continue };
                seen.lock().unwrap().insert(path);
                if let Ok(r) = client.post(format!("{base}/s/{token}")).send().await
                    && r.status() == 200
                {
                    confirmed.lock().unwrap().insert(to);
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

async fn every_acknowledged_signature_survives_sigkill(backend: Backend) {
    let (_db, url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let (outbox, log) = (dir.path().join("outbox"), dir.path().join("server.log"));
    create_petition(&url, dir.path());
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let confirmed = Arc::new(Mutex::new(HashSet::new()));
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let other = Arc::new(Mutex::new(Vec::new()));
    // The log is appended every 100 ms, so kills also land in appends.
    let extra = [("SIGN_RATE_LIMIT", "off"), ("LOG_INTERVAL", "100ms")];
    for round in 0..4 {
        let server = ServerProcess::start(&url, &outbox, &log, &extra);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = signers(&server.address, round, 12, &stop, &acked, &other);
        tasks.push(confirmer(&server.address, &outbox, &stop, &seen, &confirmed));
        tokio::time::sleep(Duration::from_millis(400 + 250 * round as u64)).await;
        server.kill();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(acked.len() > 50, "the surge got going: {} signatures acknowledged", acked.len());
    assert!(!confirmed.is_empty(), "confirmations happened between kills");
    assert!(!other.lock().unwrap().contains(&500), "no internal errors: {:?}", other.lock().unwrap());

    // Restarted once more: every acknowledged signature is there once, every
    // acknowledged confirmation holds, and the count matches the rows.
    let restarted = Instant::now();
    let server = ServerProcess::start(&url, &outbox, &log, &extra);
    let db =
        undersigned::db::Db::connect(&undersigned::db::DatabaseUrl::parse(&url).unwrap(), 2, Duration::from_secs(10))
            .unwrap();
    let rows: Vec<(Option<String>, String)> =
        crate::helpers::opened_signatures(&db, &url).await.into_iter().map(|r| (r.email, r.status)).collect();
    let mut by_email: HashMap<String, Vec<String>> = HashMap::new();
    for (email, status) in rows {
        by_email.entry(email.unwrap()).or_default().push(status);
    }
    for email in &acked {
        assert_eq!(by_email.get(email).map(Vec::len), Some(1), "{email} acknowledged, stored once");
    }
    assert!(by_email.values().all(|v| v.len() == 1), "nobody twice");
    for email in &confirmed {
        assert_eq!(by_email[email], ["confirmed"], "{email}: confirmation acknowledged, so it holds");
    }
    let confirmed_rows = by_email.values().filter(|v| v[0] == "confirmed").count() as i64;
    let counted: i64 = db.snapshot(|c| undersigned::db::counts::for_petition(c, 1)).await.unwrap().values().sum();
    assert_eq!(counted, confirmed_rows, "the count matches the rows");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body: serde_json::Value =
            client().get(format!("{}/api/v1/petitions/p", server.address)).send().await.unwrap().json().await.unwrap();
        if body["signature_count"] == confirmed_rows {
            break;
        }
        assert!(Instant::now() < deadline, "public count {} != {confirmed_rows}", body["signature_count"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every acknowledged signature's mail arrives within 90 s of the last
    // restart, also those a killed worker had claimed: its claims lapse
    // within a minute (jobs::mail_worker::LEASE).
    let mailed_within = loop {
        let mailed: HashSet<String> = std::fs::read_dir(&outbox)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| read_mail(&e.path()))
            .map(|(to, _)| to)
            .collect();
        let missing: Vec<&String> = acked.iter().filter(|a| !mailed.contains(*a)).collect();
        if missing.is_empty() {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(90),
            "{} acknowledged signatures had no mail 90 s after the last restart, e.g. {}",
            missing.len(),
            missing[0]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // The log holds one leaf per confirmed signature: none lost to a kill
    // in the middle of an append, none appended twice after a restart.
    let report = log_after_restart(&server.address, confirmed_rows).await;
    assert_eq!((report.size, report.leaves_confirmed), (confirmed_rows as u64, confirmed_rows as u64));
    let linked: Vec<Option<i64>> = db
        .read(|c| {
            undersigned::db::schema::tlog_leaves::table
                .select(undersigned::db::schema::tlog_leaves::signature_id)
                .load(c)
        })
        .await
        .unwrap();
    let distinct: HashSet<i64> = linked.iter().flatten().copied().collect();
    assert_eq!(distinct.len() as i64, confirmed_rows, "each confirmed signature has one leaf of its own");
    eprintln!(
        "crash test: {} acknowledged, {} confirmed, {} rows, {} leaves, 4 SIGKILLs; every mail out {:.1} s after the last restart",
        acked.len(),
        confirmed.len(),
        by_email.len(),
        report.size,
        mailed_within.as_secs_f64()
    );
}

/// Waits until the log of petition `p` at `base` counts `total`, then
/// verifies it with the key the server publishes.
async fn log_after_restart(base: &str, total: i64) -> undersigned::tlog::verify::LogReport {
    let keys: serde_json::Value =
        client().get(format!("{base}/api/v1/log-key")).send().await.unwrap().json().await.unwrap();
    let vkey = keys["logs"][0]["verifier_key"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let note = client().get(format!("{base}/log/p/checkpoint")).send().await.unwrap().text().await.unwrap();
        let cp = undersigned::tlog::Checkpoint::open(note.as_bytes(), &vkey);
        if cp.as_ref().is_ok_and(|cp| cp.totals.total == total) {
            break;
        }
        assert!(Instant::now() < deadline, "the log did not reach {total}: {note}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let prefix = format!("{base}/log/p");
    tokio::task::spawn_blocking(move || {
        undersigned::tlog::verify::verify_log(&undersigned::tlog::verify::HttpSource::new(&prefix)?, &vkey, None)
    })
    .await
    .unwrap()
    .expect("the log verifies after the kills")
}

async fn sigterm_answers_what_is_in_flight_and_stops_cleanly(backend: Backend) {
    let (_db, url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let (outbox, log) = (dir.path().join("outbox"), dir.path().join("server.log"));
    create_petition(&url, dir.path());
    let extra = [("SIGN_RATE_LIMIT", "off")];
    let server = ServerProcess::start(&url, &outbox, &log, &extra);
    let (acked, other) = (Arc::new(Mutex::new(HashSet::new())), Arc::new(Mutex::new(Vec::new())));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = signers(&server.address, 0, 8, &stop, &acked, &other);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    assert!(status.success(), "exit status {status:?}");
    assert!(other.lock().unwrap().is_empty(), "every answer was a 202: {:?}", other.lock().unwrap());
    let text = read_log(&log);
    for line in ["HTTP server stopped; stopping the mail worker", "mail worker stopped", "INFO stopped"] {
        assert!(text.contains(line), "{line:?} in the log:\n{text}");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());
    let db =
        undersigned::db::Db::connect(&undersigned::db::DatabaseUrl::parse(&url).unwrap(), 2, Duration::from_secs(10))
            .unwrap();
    let stored: HashSet<String> =
        crate::helpers::opened_signatures(&db, &url).await.into_iter().filter_map(|r| r.email).collect();
    assert!(acked.is_subset(&stored), "every answered signature was stored");
}

/// A TCP proxy in front of PostgreSQL that can play dead: refuse (cut every
/// connection and refuse new ones, as a stopped server) or hang (keep every
/// connection open but pass nothing on, as an unreachable host).
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    hung: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

/// Copies one direction, holding everything back while `hung`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    hung: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while hung.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    /// Starts the proxy on a thread of its own, with its own runtime: nothing
    /// the test's thread does (a blocking drop, say) can stall the bytes it
    /// passes on, so that the application's connections only stop when the
    /// test says so.
    async fn start(target: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (down, hung) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (d, h, conns) = (Arc::clone(&down), Arc::clone(&hung), Arc::clone(&connections));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                while let Ok((inbound, _)) = listener.accept().await {
                    if d.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let h = Arc::clone(&h);
                    let task = tokio::spawn(async move {
                        if let Ok(outbound) = TcpStream::connect(target).await {
                            let (ri, wi) = inbound.into_split();
                            let (ro, wo) = outbound.into_split();
                            tokio::join!(pipe(ri, wo, Arc::clone(&h)), pipe(ro, wi, h));
                        }
                    });
                    conns.lock().unwrap().push(task.abort_handle());
                }
            });
        });
        Self { port, down, hung, connections }
    }

    /// Cuts every connection and refuses new ones, as a stopped server would.
    fn stop(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// Passes nothing on, in either direction, on any connection.
    fn hang(&self) {
        self.hung.store(true, Ordering::SeqCst);
    }

    fn resume(&self) {
        self.down.store(false, Ordering::SeqCst);
        self.hung.store(false, Ordering::SeqCst);
    }
}

/// Its connections end with it (its thread waits for the next, refused).
impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outage {
    /// The server stopped: connections cut, new ones refused.
    Stopped,
    /// The host went silent: nothing answers, nothing is closed.
    Silent,
}

#[test]
fn a_postgres_outage_is_answered_with_503_and_service_resumes_by_itself() {
    bounded(outage(Outage::Stopped));
}

#[test]
fn a_silent_postgres_is_answered_with_503_too_and_service_resumes_by_itself() {
    bounded(outage(Outage::Silent));
}

/// Runs an outage test so that it fails, rather than hangs, if it never
/// ends: within two minutes, and without dropping its runtime afterwards
/// (dropping a runtime waits for every blocking task it started, however
/// long, and a test of a database that hangs is where one might not end).
/// The runtime's threads are left to the end of the test process.
fn bounded(test: impl std::future::Future<Output = ()>) {
    let runner = actix_web::rt::System::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.block_on(within_two_minutes(test))));
    std::mem::forget(runner);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

async fn within_two_minutes(test: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(120), test).await.expect("the outage test ends within 2 minutes");
}

async fn outage(kind: Outage) {
    let Some(backend) = Backend::postgres() else { return };
    let Backend::Postgres(server_url) = &backend else { unreachable!() };
    let parsed = url::Url::parse(server_url).unwrap();
    let target: SocketAddr = tokio::net::lookup_host((parsed.host_str().unwrap(), parsed.port().unwrap_or(5432)))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(target).await;
    let port = proxy.port;
    let app = spawn_app_mapped(backend, Smtp::Running, &[], move |u| {
        let mut u = url::Url::parse(u).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(port)).unwrap();
        u.to_string()
    })
    .await;
    app.create_petition("p").await;
    app.refresh_counts().await;
    let sign = async |email: &str| app.sign_json("p", &json!({"name": "N", "email": email, "country": "CN"})).await;
    assert_eq!(sign("before@example.com").await.status(), 202);

    match kind {
        Outage::Stopped => proxy.stop(),
        Outage::Silent => proxy.hang(),
    }
    for what in ["sign", "readyz", "sign again", "readyz again"] {
        let started = Instant::now();
        let res = if what.starts_with("sign") {
            sign(&format!("during-{}@example.com", what.len())).await
        } else {
            app.get("/readyz").await
        };
        let took = started.elapsed();
        // A request waits at most 1 s for a connection, 1.5 s in all.
        eprintln!("{kind:?}: {what} during the outage: {} in {took:?}", res.status());
        assert_eq!(res.status(), 503, "{what}");
        assert!(res.headers().contains_key("retry-after"), "{what}");
        assert!(took < Duration::from_secs(2), "{what} answered within 2 s, not hung: {took:?}");
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(!body.to_string().contains("127.0.0.1"), "no internals in the answer");
    }
    assert_eq!(app.get("/healthz").await.status(), 200, "alive all along");
    assert_eq!(app.get("/api/v1/petitions/p").await.status(), 200, "counts are still served from memory");
    let metrics = app.metrics().await;
    assert_eq!(metrics.status(), 200, "metrics are still served");
    assert!(metrics.text().await.unwrap().contains("undersigned_database_up 0"));

    proxy.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/readyz").await.status() != 200 {
        assert!(Instant::now() < deadline, "service resumes without a restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for email in ["after1@example.com", "after2@example.com", "after3@example.com"] {
        assert_eq!(sign(email).await.status(), 202, "{email}");
    }
    let confirm = app.links(&app.mail_to("after3@example.com", 1).await).confirm.unwrap();
    assert_eq!(app.post(&confirm).await.status(), 200);
    let emails: Vec<String> = app.opened().await.into_iter().filter_map(|r| r.email).collect();
    for email in ["before@example.com", "after1@example.com", "after2@example.com", "after3@example.com"] {
        assert!(emails.iter().any(|e| e == email), "{email} stored");
    }
    // A signature answered 503 while the host was silent may still have been
    // committed when it came back (signing again is harmless); nothing else is.
    assert!(emails.len() <= 6, "{emails:?}");
}
