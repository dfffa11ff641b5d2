//! What the benchmarks share: starting the release server, reading its
//! memory, seeding data, and driving HTTP.

#![allow(dead_code, reason = "each benchmark uses a part")]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use undersigned::db::{self, DatabaseUrl, Db};
use undersigned::domain::{ApiToken, NewPetition, PetitionBody, PetitionTitle, Slug};

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The release server, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(url: &str, dir: &Path, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("serve")
            .current_dir(dir)
            .env("DATABASE_URL", url)
            .env("KEY_FILE", key_file(dir))
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn peak_mib(&self) -> f64 {
        status_kib(self.pid(), "VmHWM:") as f64 / 1024.0
    }

    pub fn rss_mib(&self) -> f64 {
        status_kib(self.pid(), "VmRSS:") as f64 / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The benchmark's key file (made as `keys init` makes one), in `dir`: the
/// server and the benchmark's own seeding share it.
pub fn key_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("keys.json");
    if !path.exists() {
        undersigned::vault::KeyFile::generate().create(&path).unwrap();
    }
    path
}

/// The server's keys, from the benchmark's key file.
pub fn keys(db: &Db, dir: &Path) -> undersigned::keys::Keys {
    use undersigned::configuration::{KeyFilePath, KeySettings};
    let settings = KeySettings { key_file: Some(KeyFilePath::Configured(key_file(dir))), ..Default::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(undersigned::keys::load(db, &settings, undersigned::keys::FirstStart::Refuse)).unwrap()
}

pub fn connect(url: &str) -> Db {
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap(), 4, Duration::from_secs(10)).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(db.migrate()).unwrap();
    db
}

/// Creates a petition; returns its id.
pub fn petition(db: &Db, slug: &str) -> i64 {
    let petition = NewPetition {
        slug: Slug::parse(slug).unwrap(),
        title: PetitionTitle::parse("Benchmark petition").unwrap(),
        body: PetitionBody::parse("Text.").unwrap(),
        addressee: None,
        goal: None,
        closes_at: None,
        lang: undersigned::domain::Language::En,
    };
    db.write_blocking(|c| db::petitions::insert(c, &petition, undersigned::now(), "benchmark")).unwrap()
}

/// Adds `rows` confirmed signatures to a petition, numbered from `from`,
/// sealed under the petition's keys as signing seals them.
pub fn seed_confirmed(db: &Db, keys: &undersigned::keys::Keys, petition_id: i64, from: usize, rows: usize) {
    let sealing = db.write_blocking(|c| keys.vault().keys(c, petition_id)).unwrap();
    let countries = ["GB", "FR", "KE", "BR", "IN", "CN", "EG", "US", "JP", "MX"];
    let now = undersigned::now();
    for start in (from..from + rows).step_by(50_000) {
        let batch: Vec<db::seed::SeedRow> = (start..(start + 50_000).min(from + rows))
            .map(|i| db::seed::SeedRow {
                name: format!("Signer Number {i}"),
                country: countries[i % countries.len()].into(),
                postcode: (i % 3 == 0).then(|| format!("{:05}", i % 100_000)),
                email: format!("signer{i}@example.com"),
                keep_informed: i % 4 == 0,
            })
            .collect();
        db.write_blocking(|c| db::seed::confirmed(c, petition_id, &batch, now, Some(&sealing))).unwrap();
    }
    db.write_blocking(|c| {
        while db::counts::fold(c, 100_000)? > 0 {}
        Ok(())
    })
    .unwrap();
}

/// An organiser with an API token; returns the token.
pub fn api_token(db: &Db) -> String {
    let now = undersigned::now();
    let organiser = match db.read_blocking(|c| db::organisers::find_by_email(c, "bench@example.org")).unwrap() {
        Some(o) => o.id,
        None => db.write_blocking(|c| db::organisers::insert(c, "bench@example.org", "x", now)).unwrap(),
    };
    let token = ApiToken::generate();
    let (hash, prefix) = (token.hash(), token.display_prefix());
    db.write_blocking(|c| db::organisers::insert_token(c, organiser, "bench", &hash.0, &prefix, now, None)).unwrap();
    token.reveal()
}

/// What one export run measured.
pub struct ExportRun {
    pub rows: u64,
    pub seconds: f64,
    pub first_byte_ms: f64,
    pub megabytes: f64,
}

/// Downloads an export with a bearer token, counting rows as it streams.
pub fn export_csv(base: &str, slug: &str, token: &str) -> ExportRun {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let started = Instant::now();
        let mut res = reqwest::Client::new()
            .get(format!("{base}/admin/petitions/{slug}/signatures.csv"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "export refused: {}", res.status());
        let (mut bytes, mut lines, mut first) = (0u64, 0u64, None);
        while let Some(chunk) = res.chunk().await.unwrap() {
            first.get_or_insert_with(|| started.elapsed());
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        ExportRun {
            rows: lines.saturating_sub(1),
            seconds: started.elapsed().as_secs_f64(),
            first_byte_ms: first.unwrap_or_default().as_secs_f64() * 1000.0,
            megabytes: bytes as f64 / 1e6,
        }
    })
}

/// The signed `started` stamp of a petition's sign form, as a browser gets it.
pub fn form_stamp(base: &str, slug: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let page = rt.block_on(async { reqwest::get(format!("{base}/p/{slug}")).await.unwrap().text().await.unwrap() });
    let marker = "name=\"started\" value=\"";
    let at = page.find(marker).expect("a stamped sign form") + marker.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// A new database on the PostgreSQL server `admin_url`, dropped on drop.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str, label: &str) -> Self {
        use diesel::{Connection, RunQueryDsl};
        let name = format!("undersigned_bench_{label}_{}", std::process::id());
        let mut conn = diesel::PgConnection::establish(admin_url).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).unwrap();
        let mut url = url::Url::parse(admin_url).unwrap();
        url.set_path(&name);
        Self { admin_url: admin_url.into(), name, url: url.to_string() }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

/// The PostgreSQL server to use, if any (BENCH_DATABASE_URL, else TEST_DATABASE_URL).
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|u| !u.is_empty())
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Reads all of a reader, for subprocess output.
pub fn read_all(mut r: impl Read) -> String {
    let mut s = String::new();
    let _ = r.read_to_string(&mut s);
    s
}
