//! Export benchmark: 1 million confirmed signatures exported as CSV through
//! the release server, on SQLite and (when BENCH_DATABASE_URL or
//! TEST_DATABASE_URL names a PostgreSQL server) on PostgreSQL.
//!
//!     cargo bench --bench export                # 1,000,000 rows
//!     EXPORT_ROWS=100000 cargo bench --bench export
//!
//! Prints rows/s, time to first byte, and the server's resident memory
//! before the export and at its peak (VmHWM), read from /proc.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use undersigned::db::{self, DatabaseUrl, Db, seed::SeedRow};
use undersigned::domain::{ApiToken, NewPetition, PetitionBody, PetitionTitle, Slug};

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn seed(url: &str, rows: usize) -> String {
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap(), 2, Duration::from_secs(10)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(db.migrate()).unwrap();
    let now = undersigned::now();
    let started = Instant::now();
    let petition = NewPetition {
        slug: Slug::parse("benchmark").unwrap(),
        title: PetitionTitle::parse("Benchmark petition").unwrap(),
        body: PetitionBody::parse("Text.").unwrap(),
        addressee: None,
        goal: None,
        closes_at: None,
    };
    let id = db.write_blocking(|c| db::petitions::insert(c, &petition, now, "benchmark")).unwrap();
    let countries = ["GB", "FR", "KE", "BR", "IN", "CN", "EG", "US", "JP", "MX"];
    for start in (0..rows).step_by(50_000) {
        let batch: Vec<SeedRow> = (start..(start + 50_000).min(rows))
            .map(|i| SeedRow {
                name: format!("Signer Number {i}"),
                country: countries[i % countries.len()].into(),
                postcode: (i % 3 == 0).then(|| format!("{:05}", i % 100_000)),
                email: format!("signer{i}@example.com"),
                keep_informed: i % 4 == 0,
            })
            .collect();
        db.write_blocking(|c| db::seed::confirmed(c, id, &batch, now)).unwrap();
    }
    let organiser = db.write_blocking(|c| db::organisers::insert(c, "bench@example.org", "x", now)).unwrap();
    let token = ApiToken::generate();
    let (hash, prefix) = (token.hash(), token.display_prefix());
    db.write_blocking(|c| db::organisers::insert_token(c, organiser, "bench", &hash.0, &prefix, now)).unwrap();
    eprintln!("  seeded {rows} rows in {:.1} s", started.elapsed().as_secs_f64());
    token.reveal()
}

fn start_server(url: &str, dir: &std::path::Path) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .arg("serve")
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Server(child), base)
}

struct Figures {
    rows: u64,
    seconds: f64,
    first_byte_ms: f64,
    megabytes: f64,
    rss_before_mib: f64,
    peak_mib: f64,
}

fn export(base: &str, token: &str, pid: u32) -> Figures {
    let rss_before = status_kib(pid, "VmRSS:");
    let started = Instant::now();
    let url = format!("{base}/admin/petitions/benchmark/signatures.csv");
    let mut response = ureq_like_get(&url, token);
    let mut buf = vec![0u8; 256 * 1024];
    let mut first_byte = None;
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = response.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    Figures {
        rows: lines.saturating_sub(1),
        seconds,
        first_byte_ms: first_byte.unwrap_or_default().as_secs_f64() * 1000.0,
        megabytes: bytes as f64 / 1e6,
        rss_before_mib: rss_before as f64 / 1024.0,
        peak_mib: status_kib(pid, "VmHWM:") as f64 / 1024.0,
    }
}

/// A minimal blocking HTTP/1.1 GET with a bearer token, returning a reader
/// of the (chunked) body; enough for loopback measurements.
fn ureq_like_get(url: &str, token: &str) -> impl Read {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let url = url.to_owned();
    let token = token.to_owned();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        rt.block_on(async move {
            let mut res = client.get(url).bearer_auth(token).send().await.unwrap();
            assert!(res.status().is_success(), "export refused: {}", res.status());
            while let Some(chunk) = res.chunk().await.unwrap() {
                if tx.send(chunk.to_vec()).is_err() {
                    break;
                }
            }
        });
    });
    ChannelReader { rx, pending: Vec::new(), at: 0 }
}

struct ChannelReader {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.pending = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.pending.len() - self.at);
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn run(label: &str, url: &str, rows: usize, dir: &std::path::Path) {
    eprintln!("{label}:");
    let token = seed(url, rows);
    let (server, base) = start_server(url, dir);
    let pid = server.0.id();
    std::thread::sleep(Duration::from_millis(500));
    let mut runs: Vec<Figures> = (0..3).map(|_| export(&base, &token, pid)).collect();
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
        median.rss_before_mib,
        runs.iter().map(|r| r.peak_mib).fold(0.0, f64::max),
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
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
    let pg = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    if let Some(admin) = pg.filter(|u| !u.is_empty()) {
        use diesel::{Connection, RunQueryDsl};
        let name = format!("undersigned_bench_{}", std::process::id());
        let mut conn = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        run("PostgreSQL", url.as_str(), rows, dir.path());
        diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)")).execute(&mut conn).unwrap();
    }
}
