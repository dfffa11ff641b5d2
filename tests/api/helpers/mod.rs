//! Starting the application for a test, and talking to it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::web;
use diesel::prelude::*;
use undersigned::configuration::Settings;
use undersigned::db::{self, DbConnection};
use undersigned::domain::{Goal, NewPetition, PetitionBody, PetitionTitle, Slug};
use undersigned::startup::Application;
use undersigned::state::AppState;

use crate::smtp::{MailSink, ReceivedMail};

mod admin;
mod database;

pub use admin::*;
pub use database::{Backend, TestDatabase, key_file_of};

/// The longest a test's request may take before it fails: far above any
/// answer the application gives (its own deadlines are seconds), so that a
/// request that never ends fails its test with its name rather than holding
/// the whole run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How the application under test reaches SMTP.
pub enum Smtp {
    /// A sink is running and accepting mail.
    Running,
    /// Nothing listens on the SMTP port yet; [`TestApp::start_smtp`] starts it.
    Down,
}

pub struct TestApp {
    pub address: String,
    pub state: web::Data<AppState>,
    pub client: reqwest::Client,
    smtp_port: u16,
    sink: Option<MailSink>,
    handle: ServerHandle,
    database_url: String,
    _db: TestDatabase,
}

/// What the test applications ask for on /metrics.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789abcdef";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Smtp::Running, &[]).await
}

/// Starts the real application (port 0) with the given extra variables.
pub async fn spawn_app_with(backend: Backend, smtp: Smtp, vars: &[(&str, &str)]) -> TestApp {
    spawn_app_mapped(backend, smtp, vars, str::to_owned).await
}

/// Like [`spawn_app_with`], with the application reaching its fresh
/// database through `map(url)` (a proxy, say).
pub async fn spawn_app_mapped(
    backend: Backend,
    smtp: Smtp,
    vars: &[(&str, &str)],
    map: impl FnOnce(&str) -> String,
) -> TestApp {
    // TEST_LOG=debug shows the application's log.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let (db, database_url) = TestDatabase::create(&backend);
    let (sink, smtp_port) = match smtp {
        Smtp::Running => {
            let sink = MailSink::start();
            let port = sink.port;
            (Some(sink), port)
        }
        Smtp::Down => {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            (None, port)
        }
    };
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", map(&database_url)),
        // The keys are provisioned as a deployment's are: a key file.
        ("KEY_FILE", key_file_of(&database_url).display().to_string()),
        ("DATABASE_POOL_SIZE", "8".into()),
        ("BIND", "127.0.0.1:0".into()),
        ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("MAIL_FROM", "Campaign <campaign@example.org>".into()),
        ("MAIL_RETRY_BASE", "50ms".into()),
        ("MAIL_RETRY_MAX", "300ms".into()),
        ("HTTP_WORKERS", "2".into()),
        // Tests fill forms in milliseconds; the abuse tests set their own.
        ("FORM_MIN_TIME", "0s".into()),
        ("METRICS_TOKEN", METRICS_TOKEN.into()),
        // Leaves appear within a tenth of a second, so tests wait little.
        ("LOG_INTERVAL", "100ms".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in vars {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::from_lookup(&|k| env.get(k).cloned()).expect("valid test settings");
    let app = Application::build(settings).await.expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap();
    TestApp { address, state, client, smtp_port, sink, handle, database_url, _db: db }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; its completion need not be awaited.
        drop(self.handle.stop(false));
    }
}

/// The confirmation and withdraw links of a mail.
#[derive(Debug, Clone)]
pub struct MailLinks {
    pub confirm: Option<String>,
    pub withdraw: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The key file the application was started with.
    pub fn key_file(&self) -> std::path::PathBuf {
        key_file_of(&self.database_url)
    }

    pub fn sink(&self) -> &MailSink {
        self.sink.as_ref().expect("SMTP sink running")
    }

    /// Starts the SMTP server on the port the application was told to use.
    pub fn start_smtp(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.smtp_port)).expect("SMTP port still free");
        self.sink = Some(MailSink::start_on(listener));
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET /metrics with the test token, as the monitoring does.
    pub async fn metrics(&self) -> reqwest::Response {
        self.client.get(self.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap()
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.client.post(self.url(path)).send().await.unwrap()
    }

    /// Posts the sign form as a browser would: with the `started` stamp of
    /// the page it was shown on (unless `fields` bring their own).
    pub async fn sign_form(&self, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if !fields.iter().any(|(k, _)| *k == "started") {
            let page = self.get(&format!("/p/{slug}")).await.text().await.unwrap();
            if let Some(stamp) = form_stamp_in(&page) {
                fields.push(("started", stamp));
            }
        }
        self.post_sign_form(slug, &fields).await
    }

    /// Posts exactly these fields to the sign form (and waits for what the
    /// answer leaves to do: see [`TestApp::settled`]).
    pub async fn post_sign_form(&self, slug: &str, fields: &[(&str, String)]) -> reqwest::Response {
        let res = self.client.post(self.url(&format!("/p/{slug}/sign"))).form(fields).send().await.unwrap();
        self.settled_after(&res).await;
        res
    }

    pub async fn sign_json(&self, slug: &str, body: &serde_json::Value) -> reqwest::Response {
        let url = self.url(&format!("/api/v1/petitions/{slug}/signatures"));
        let res = self.client.post(url).json(body).send().await.unwrap();
        self.settled_after(&res).await;
        res
    }

    /// [`TestApp::settled`] after an answer, unless the database was away
    /// (a 503: its write may still be waiting for the database).
    async fn settled_after(&self, res: &reqwest::Response) {
        if !res.status().is_server_error() {
            self.settled().await;
        }
    }

    /// Waits until every signature submitted so far is written and followed
    /// up: a repeat is answered first and handled right after.
    pub async fn settled(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.state.signer.settled())
            .await
            .expect("signature follow-ups finish within 10 s");
    }

    pub async fn create_petition(&self, slug: &str) -> i64 {
        let new = NewPetition {
            slug: Slug::parse(slug).unwrap(),
            title: PetitionTitle::parse(&format!("Petition {slug}")).unwrap(),
            body: PetitionBody::parse("First paragraph.\n\nSecond paragraph.").unwrap(),
            addressee: None,
            goal: Some(Goal::new(100).unwrap()),
            closes_at: None,
            lang: undersigned::domain::Language::En,
        };
        self.state.db.write(move |c| db::petitions::insert(c, &new, undersigned::now(), "test")).await.unwrap()
    }

    /// Starts another instance on this application's database, mailing to
    /// the same sink under the same PUBLIC_URL, with `vars` on top; returns
    /// its address and the handle that stops it.
    pub async fn second_instance(&self, vars: &[(&str, &str)]) -> (String, ServerHandle) {
        let mut env: HashMap<&str, String> = [
            ("DATABASE_URL", self.database_url.clone()),
            ("KEY_FILE", self.key_file().display().to_string()),
            ("BIND", "127.0.0.1:0".to_owned()),
            ("SMTP_URL", format!("smtp://127.0.0.1:{}", self.smtp_port)),
            ("MAIL_FROM", "Campaign <campaign@example.org>".to_owned()),
            ("PUBLIC_URL", self.address.clone()),
        ]
        .into_iter()
        .collect();
        env.extend(vars.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let settings = Settings::from_lookup(&|k| env.get(k).cloned()).expect("valid settings");
        let app = Application::build(settings).await.expect("the second instance starts");
        let (address, handle) = (format!("http://127.0.0.1:{}", app.port()), app.handle());
        actix_web::rt::spawn(app.run_until_stopped());
        (address, handle)
    }

    /// Runs a query on the application's database.
    pub async fn query<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> T {
        self.state.db.write(f).await.unwrap()
    }

    /// Runs reads in one snapshot (REPEATABLE READ on PostgreSQL): what
    /// counts read folded and unfolded parts in two statements, and the
    /// count task may fold between them.
    pub async fn snapshot<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> T {
        self.state.db.snapshot(f).await.unwrap()
    }

    /// Signatures of a petition by status, e.g. {"pending": 1}.
    pub async fn statuses(&self, slug: &str) -> HashMap<String, i64> {
        let slug = slug.to_owned();
        self.query(move |c| {
            let id = db::petitions::find_by_slug(c, &slug)?.expect("petition").id;
            db::signatures::status_counts(c, id)
        })
        .await
        .into_iter()
        .map(|(status, n)| (status.as_str().to_owned(), n))
        .collect()
    }

    /// The confirmed count straight from the database.
    pub async fn confirmed(&self, slug: &str) -> i64 {
        let slug = slug.to_owned();
        self.snapshot(move |c| {
            let id = db::petitions::find_by_slug(c, &slug)?.expect("petition").id;
            Ok(db::counts::for_petition(c, id)?.values().sum())
        })
        .await
    }

    /// Mails still waiting to be accepted by the SMTP server.
    pub async fn outbox_pending(&self) -> i64 {
        self.query(db::outbox::pending).await
    }

    pub async fn wait_outbox_empty(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.outbox_pending().await > 0 {
            assert!(Instant::now() < deadline, "outbox not drained within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Pretends the last mail to every signature was sent `minutes` ago.
    pub async fn age_last_mails(&self, minutes: i64) {
        use undersigned::db::schema::signatures as s;
        let then = undersigned::now() - chrono::TimeDelta::minutes(minutes);
        self.query(move |c| diesel::update(s::table).set(s::last_mail_at.eq(then)).execute(c)).await;
    }

    /// Makes every emailed token older than its validity.
    pub async fn expire_tokens(&self) {
        use undersigned::db::schema::signature_tokens as t;
        let past = undersigned::now() - chrono::TimeDelta::seconds(1);
        self.query(move |c| diesel::update(t::table).set(t::expires_at.eq(past)).execute(c)).await;
    }

    /// Every stored signature: (status, name, email, postcode), its
    /// personal data opened as the server opens it.
    pub async fn stored_signatures(&self) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
        self.opened().await.into_iter().map(|r| (r.status, r.name, r.email, r.postcode)).collect()
    }

    /// Every stored signature, its personal data opened with the server's keys.
    pub async fn opened(&self) -> Vec<OpenedRow> {
        let vault = std::sync::Arc::clone(self.state.keys.vault());
        self.query(move |c| opened_rows(c, &vault)).await
    }

    /// Folds count events and reloads the public counts now.
    pub async fn refresh_counts(&self) {
        undersigned::jobs::counter::refresh_once(&self.state.db, &self.state.catalog).await.unwrap();
    }

    /// Waits for the `n`-th mail to `address` and returns it.
    pub async fn mail_to(&self, address: &str, n: usize) -> ReceivedMail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.sink().received_by(address);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            assert!(Instant::now() < deadline, "no mail #{n} to {address} within 10 s (got {})", mails.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The links of a mail, as paths on this application.
    pub fn links(&self, mail: &ReceivedMail) -> MailLinks {
        let links = mail.links();
        // Links name PUBLIC_URL, this application's address unless a test
        // sets another: the path is what this application answers.
        let path = |l: &String| reqwest::Url::parse(l).expect("an absolute link").path().to_owned();
        let withdraw = links.iter().find(|l| l.ends_with("/withdraw")).map(path).expect("a withdraw link");
        let confirm = links.iter().find(|l| l.contains("/s/") && !l.ends_with("/withdraw")).map(path);
        MailLinks { confirm, withdraw }
    }

    pub async fn api_count(&self, slug: &str) -> i64 {
        let body: serde_json::Value = self.get(&format!("/api/v1/petitions/{slug}")).await.json().await.unwrap();
        body["signature_count"].as_i64().unwrap()
    }
}

/// A stored signature, its personal data opened (None once erased).
#[derive(Debug, Clone)]
pub struct OpenedRow {
    pub id: i64,
    pub petition_id: i64,
    pub status: String,
    pub held_reason: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub postcode: Option<String>,
}

/// Every stored signature in id order, opened with `vault` (a row that
/// does not open fails the query).
pub fn opened_rows(c: &mut DbConnection, vault: &undersigned::vault::Vault) -> QueryResult<Vec<OpenedRow>> {
    use undersigned::db::schema::signatures as s;
    use undersigned::domain::StoredPersonal;
    type Row = (
        (i64, i64, String, Option<String>, Option<Vec<u8>>),
        (Option<Vec<u8>>, Option<String>, Option<String>, Option<String>),
    );
    let rows: Vec<Row> = s::table
        .order(s::id)
        .select((
            (s::id, s::petition_id, s::status, s::held_reason, s::email_key),
            (s::personal, s::email, s::name, s::postcode),
        ))
        .load(c)?;
    let mut opened = Vec::with_capacity(rows.len());
    for ((id, petition_id, status, held_reason, key), (sealed, email, name, postcode)) in rows {
        let personal = match StoredPersonal::from_columns(sealed, email, name, postcode) {
            Some(stored) => Some(vault.open(c, petition_id, id, &key.unwrap_or_default(), &stored)?),
            None => None,
        };
        let (name, email, postcode) = match personal {
            Some(p) => (Some(p.name), Some(p.email), p.postcode),
            None => (None, None, None),
        };
        opened.push(OpenedRow { id, petition_id, status, held_reason, name, email, postcode });
    }
    Ok(opened)
}

/// The keys of the test database at `url`, from its key file, as the
/// command line loads them.
pub async fn keys_of(db: &db::Db, url: &str) -> undersigned::keys::Keys {
    use undersigned::configuration::{KeyFilePath, KeySettings};
    let settings = KeySettings { key_file: Some(KeyFilePath::Configured(key_file_of(url))), ..Default::default() };
    undersigned::keys::load(db, &settings, undersigned::keys::FirstStart::Refuse).await.expect("the test's keys open")
}

/// Every signature of the database `db` (a test database at `url`, or a
/// copy of one), opened with the test database's key file.
pub async fn opened_signatures(db: &db::Db, url: &str) -> Vec<OpenedRow> {
    let keys = keys_of(db, url).await;
    let vault = std::sync::Arc::clone(keys.vault());
    db.write(move |c| opened_rows(c, &vault)).await.unwrap()
}
