//! Personal data at rest: a copy of the database alone tells nothing; the
//! wrong key refuses to start; rotation under load; tampering is reported;
//! an older database is sealed in place; erasure destroys keys.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use serde_json::json;
use undersigned::configuration::Settings;
use undersigned::db::schema::{instance_secrets as k, petition_keys as pk, signatures as s};
use undersigned::startup::Application;
use undersigned::vault::KeyFile;

use crate::helpers::{Backend, Smtp, TestApp, TestDatabase, key_file_of, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    a_copy_of_the_database_holds_no_name_address_postcode_or_hash_key,
    a_copy_with_the_wrong_key_refuses_to_start_and_with_the_right_one_serves_the_same,
    signing_goes_on_while_keys_rotate_and_the_old_key_then_opens_nothing,
    a_moved_or_changed_ciphertext_is_reported_naming_its_row_never_shown,
    an_older_database_starts_with_a_warning_and_is_sealed_in_place_once_its_keys_are_exported,
    withdrawal_and_retention_erase_the_values_and_the_petition_keys,
);

fn undersigned(app_url: &str, key_file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", app_url)
        .env("KEY_FILE", key_file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Every byte a copy of the database holds: the SQLite file and its WAL,
/// or what `pg_dump` writes. None if pg_dump is missing.
fn database_bytes(url: &str) -> Option<Vec<u8>> {
    if url.starts_with("postgres") {
        if !tool("pg_dump") {
            eprintln!("pg_dump not installed: the dump is not searched");
            return None;
        }
        let out = Command::new("pg_dump").args(["--dbname", url]).output().unwrap();
        assert!(out.status.success(), "pg_dump: {}", text(&out.stderr));
        return Some(out.stdout);
    }
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        if let Ok(b) = std::fs::read(format!("{url}{suffix}")) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty(), "the SQLite file is there");
    Some(bytes)
}

/// The forms a value could take in a copy: raw, lower-cased, upper-cased,
/// base64 (each of the three alignments) and hex (how a dump writes bytea).
fn forms(value: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![value.to_vec(), value.to_ascii_lowercase(), value.to_ascii_uppercase()];
    for skip in 0..3.min(value.len()) {
        let encoded = STANDARD.encode(&value[skip..]);
        // The characters that do not depend on what follows the value.
        let stable = (value.len() - skip) / 3 * 4;
        if stable >= 8 {
            forms.push(encoded.as_bytes()[..stable].to_vec());
        }
    }
    forms.push(hex::encode(value).into_bytes());
    forms
}

fn assert_absent(haystack: &[u8], what: &str, value: &[u8]) {
    for form in forms(value) {
        assert!(
            !haystack.windows(form.len()).any(|w| w == form.as_slice()),
            "{what} found in the copy as {:?}",
            text(&form)
        );
    }
}

/// A unique canary per run, so that nothing else can match it.
fn canary(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 5]>()))
}

/// Makes a copy of the application's database, as a backup would: SQLite's
/// `VACUUM INTO`, or `pg_dump` restored into a new database. None if the
/// PostgreSQL tools are missing.
fn copy_database(app: &TestApp, backend: &Backend, dir: &Path) -> Option<(String, Option<TestDatabase>)> {
    let url = app.database_url();
    if url.starts_with("postgres") {
        if !tool("pg_dump") || !tool("pg_restore") {
            eprintln!("pg_dump/pg_restore not installed: the copy is not made");
            return None;
        }
        let (copy, copy_url) = TestDatabase::create(backend);
        let dump = dir.join("dump");
        let out = Command::new("pg_dump")
            .args(["--format", "custom", "--file"])
            .arg(&dump)
            .args(["--dbname", url])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_dump: {}", text(&out.stderr));
        let out = Command::new("pg_restore").args(["--no-owner", "--dbname", &copy_url]).arg(&dump).output().unwrap();
        assert!(out.status.success(), "pg_restore: {}", text(&out.stderr));
        return Some((copy_url, Some(copy)));
    }
    #[cfg(feature = "sqlite")]
    {
        let path = dir.join(format!("copy-{}.db", rand::random::<u32>()));
        let mut conn = diesel::SqliteConnection::establish(url).unwrap();
        diesel::sql_query(format!("VACUUM INTO '{}'", path.display())).execute(&mut conn).unwrap();
        Some((path.display().to_string(), None))
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = backend;
        None
    }
}

/// Builds (without running) a server on `url` with the key file `keys`:
/// what a new server given a copy of the database does at start.
async fn start_on(url: &str, keys: &Path) -> anyhow::Result<Application> {
    let env = [
        ("DATABASE_URL", url.to_owned()),
        ("KEY_FILE", keys.display().to_string()),
        ("BIND", "127.0.0.1:0".to_owned()),
        ("SMTP_URL", "smtp://127.0.0.1:9".to_owned()),
        ("MAIL_WORKER", "off".to_owned()),
    ];
    let settings = Settings::from_lookup(&|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    Application::build(settings).await
}

/// A key file of its own (a deployment other than the test's).
fn other_key_file(dir: &Path) -> PathBuf {
    let path = dir.join(format!("other-{}.json", rand::random::<u32>()));
    KeyFile::generate().create(&path).unwrap();
    path
}

/// Signs and confirms `n` canary signers, holds one and changes the
/// details of another; returns (names, emails, postcodes).
async fn canary_campaign(app: &TestApp, n: usize) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut names, mut emails, mut postcodes) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let (name, email, postcode) =
            (canary("Zorya Canaryvich "), format!("{}@example.org", canary("signer.")), canary("ZX"));
        app.sign_form("p", &[("name", &name), ("email", &email), ("country", "GB"), ("postcode", &postcode)]).await;
        if i % 2 == 0 {
            let confirm = app.links(&app.mail_to(&email, 1).await).confirm.unwrap();
            assert_eq!(app.post(&confirm).await.status(), 200);
        }
        names.push(name);
        emails.push(email);
        postcodes.push(postcode);
    }
    // A repeat with new details (rewritten in place) and a held signature.
    let renamed = canary("Renamed Canary ");
    app.sign_form("p", &[("name", &renamed), ("email", &emails[1]), ("country", "GB")]).await;
    names.push(renamed);
    let (held_name, held_email) = (canary("Held Canary "), format!("{}@example.org", canary("held.")));
    let fields: [(&str, String); 4] = [
        ("name", held_name.clone()),
        ("email", held_email.clone()),
        ("country", "FR".into()),
        ("started", "junk".into()),
    ];
    app.post_sign_form("p", &fields).await;
    names.push(held_name);
    emails.push(held_email);
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    (names, emails, postcodes)
}

async fn count(app: &TestApp) -> serde_json::Value {
    app.get("/api/v1/petitions/p").await.json::<serde_json::Value>().await.unwrap()["signature_count"].clone()
}

async fn contacts_export(app: &TestApp, organiser: &str) -> String {
    let admin = app.admin(organiser).await;
    admin.get("/admin/petitions/p/signatures.csv?contacts=1").await.text().await.unwrap()
}

async fn a_copy_of_the_database_holds_no_name_address_postcode_or_hash_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let (names, emails, postcodes) = canary_campaign(&app, 6).await;
    // The server itself reads them all back (the review and the export).
    let admin = app.admin("org@example.org").await;
    let held = admin.get("/admin/petitions/p/held").await.text().await.unwrap();
    assert!(held.contains(names.last().unwrap()), "the held review shows the held signer");
    let export = admin.get("/admin/petitions/p/signatures.csv?contacts=1").await.text().await.unwrap();
    assert!(export.contains(&names[0]) && export.contains(&postcodes[0]), "the export shows the confirmed");
    let stored = app.opened().await;
    assert!(stored.iter().any(|r| r.name.as_deref() == Some(names[6].as_str())), "the repeat's details are stored");
    let Some(copy) = database_bytes(app.database_url()) else { return };
    for value in names.iter().chain(&emails).chain(&postcodes) {
        assert_absent(&copy, "a signer's name, address or postcode", value.as_bytes());
    }
    // Nor the keys that would make the copy readable or testable.
    let vault = Arc::clone(app.state.keys.vault());
    let hash_key = app.query(move |c| vault.keys(c, petition)).await.hash_key().to_vec();
    assert_absent(&copy, "the petition's hash key", &hash_key);
    let file = KeyFile::read(&app.key_file()).unwrap();
    assert_absent(&copy, "SECRET_KEY", &file.secret_key().unwrap());
    for master in &file.master_keys {
        assert_absent(&copy, "a master key", &STANDARD.decode(master).unwrap());
    }
    let stored_secrets: i64 =
        app.query(|c| k::table.filter(k::name.eq_any(undersigned::keys::STORED_SECRETS)).count().get_result(c)).await;
    assert_eq!(stored_secrets, 0, "no secret is kept in the database");
}

async fn a_copy_with_the_wrong_key_refuses_to_start_and_with_the_right_one_serves_the_same(backend: Backend) {
    let app = spawn_app(backend.clone()).await;
    app.create_petition("p").await;
    canary_campaign(&app, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let Some((copy_url, _copy)) = copy_database(&app, &backend, dir.path()) else { return };
    let master = KeyFile::read(&app.key_file()).unwrap().masters().unwrap()[0].id().to_owned();
    let refused = start_on(&copy_url, &other_key_file(dir.path())).await.err().expect("the wrong key refuses to start");
    let refused = format!("{refused:#}");
    assert!(refused.contains(&master) && refused.contains("not configured"), "names the key it needs: {refused}");
    // With the right key the copy serves the same counts and export.
    let (url, keys) = (copy_url.clone(), app.key_file().display().to_string());
    let copy = spawn_app_with(backend, Smtp::Running, &[("DATABASE_URL", &url), ("KEY_FILE", &keys)]).await;
    app.refresh_counts().await;
    copy.refresh_counts().await;
    assert_eq!(count(&copy).await, count(&app).await);
    let original = contacts_export(&app, "org@example.org").await;
    assert_eq!(contacts_export(&copy, "org2@example.org").await, original, "the same export, names and addresses");
    assert!(original.lines().count() > 2);
}

async fn signing_goes_on_while_keys_rotate_and_the_old_key_then_opens_nothing(backend: Backend) {
    let app = spawn_app_with(backend.clone(), Smtp::Running, &[("SIGN_RATE_LIMIT", "off")]).await;
    app.create_petition("p").await;
    canary_campaign(&app, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let before = copy_database(&app, &backend, dir.path());
    let old = KeyFile::read(&app.key_file()).unwrap().masters().unwrap()[0].id().to_owned();
    // Signing goes on in the background while the keys rotate.
    let stop = Arc::new(AtomicBool::new(false));
    let (client, url) = (app.client.clone(), app.url("/api/v1/petitions/p/signatures"));
    let signer = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let email = format!("during{i}@example.org");
                let res = client
                    .post(&url)
                    .json(&json!({"name": "During", "email": email, "country": "KE"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 202, "signing goes on during the rotation");
                acked.push(email);
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (db_url, keys) = (app.database_url().to_owned(), app.key_file());
    let rotate = tokio::task::spawn_blocking(move || undersigned(&db_url, &keys, &["keys", "rotate"])).await.unwrap();
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    assert!(text(&rotate.stdout).contains("rewrapped 1 petition(s)' data keys"), "{}", text(&rotate.stdout));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let acked = signer.await.unwrap();
    assert!(acked.len() > 5, "signatures went on: {}", acked.len());
    app.settled().await;
    let new = KeyFile::read(&app.key_file()).unwrap().masters().unwrap()[0].id().to_owned();
    assert_ne!(new, old);
    // The old key goes; everything still opens with the new one alone.
    let retire = undersigned(app.database_url(), &app.key_file(), &["keys", "retire"]);
    assert!(retire.status.success(), "{}", text(&retire.stderr));
    assert_eq!(KeyFile::read(&app.key_file()).unwrap().master_keys.len(), 1);
    let fresh = start_on(app.database_url(), &app.key_file()).await.expect("starts with the new key alone");
    drop(fresh);
    let check = undersigned(app.database_url(), &app.key_file(), &["keys", "check"]);
    assert!(
        check.status.success() && text(&check.stdout).contains(&format!("1 under {new}")),
        "{}",
        text(&check.stdout)
    );
    let db = undersigned::db::Db::connect(
        &undersigned::db::DatabaseUrl::parse(app.database_url()).unwrap(),
        2,
        Duration::from_secs(10),
    )
    .unwrap();
    let opened = crate::helpers::opened_signatures(&db, app.database_url()).await;
    for email in &acked {
        assert!(opened.iter().any(|r| r.email.as_deref() == Some(email.as_str())), "{email} opens");
    }
    // A copy taken before the rotation cannot be read with the new key alone.
    let Some((before_url, _before)) = before else { return };
    let refused = start_on(&before_url, &app.key_file()).await.err().expect("the old copy needs the old key");
    assert!(format!("{refused:#}").contains(&old), "{refused:#}");
}

async fn a_moved_or_changed_ciphertext_is_reported_naming_its_row_never_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let mut links = Vec::new();
    for (name, email) in [("Alice Original", "alice@example.org"), ("Bob Other", "bob@example.org")] {
        app.sign_form("p", &[("name", name), ("email", email), ("country", "GB")]).await;
        let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
        assert_eq!(app.post(&confirm).await.status(), 200);
        links.push(confirm);
    }
    let rows = app.opened().await;
    let (alice, bob) = (rows[0].id, rows[1].id);
    let export = || undersigned(app.database_url(), &app.key_file(), &["export", "p"]);
    let fine = export();
    assert!(fine.status.success() && text(&fine.stdout).contains("Alice Original"), "{}", text(&fine.stderr));
    // Alice's sealed details copied onto Bob's row.
    app.query(move |c| {
        let sealed: Option<Vec<u8>> = s::table.find(alice).select(s::personal).first(c)?;
        diesel::update(s::table.find(bob)).set(s::personal.eq(sealed)).execute(c)
    })
    .await;
    let page = app.get(&links[1]).await;
    assert_eq!(page.status(), 500, "Bob's page does not show Alice");
    assert!(!page.text().await.unwrap().contains("Alice"));
    let moved = export();
    assert!(!moved.status.success(), "the export fails rather than skip or show the row");
    assert!(text(&moved.stderr).contains(&format!("signature {bob}")), "names the row: {}", text(&moved.stderr));
    // One byte of Alice's own changed.
    app.query(move |c| {
        let mut sealed: Vec<u8> = s::table.find(alice).select(s::personal.assume_not_null()).first(c)?;
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        diesel::update(s::table.find(alice)).set(s::personal.eq(sealed)).execute(c)
    })
    .await;
    let changed = export();
    assert!(!changed.status.success());
    assert!(text(&changed.stderr).contains(&format!("signature {alice}")), "{}", text(&changed.stderr));
    assert!(text(&changed.stderr).contains("failed authentication"), "{}", text(&changed.stderr));
    assert_eq!(app.get(&links[0]).await.status(), 500);
}

async fn an_older_database_starts_with_a_warning_and_is_sealed_in_place_once_its_keys_are_exported(backend: Backend) {
    // A database as an older version left it: its secrets kept inside it,
    // no master key, personal data in the clear.
    let (_db, url) = TestDatabase::create(&backend);
    std::fs::remove_file(key_file_of(&url)).unwrap();
    let db =
        undersigned::db::Db::connect(&undersigned::db::DatabaseUrl::parse(&url).unwrap(), 2, Duration::from_secs(10))
            .unwrap();
    db.migrate().await.unwrap();
    db.write(|c| {
        for name in undersigned::keys::STORED_SECRETS {
            undersigned::db::secrets::set(c, name, &rand::random::<[u8; 32]>())?;
        }
        Ok(())
    })
    .await
    .unwrap();
    // Its mail worker off: an older version's servers are stopped before
    // one with keys starts (no rolling upgrade), and only the new one sends.
    let vars = [("DATABASE_URL", url.as_str()), ("KEY_FILE", ""), ("MAIL_WORKER", "off")];
    let legacy = spawn_app_with(backend.clone(), Smtp::Running, &vars).await;
    assert!(!legacy.state.keys.vault().seals(), "no master key: the older behaviour, with a warning");
    legacy.create_petition("p").await;
    for (name, email) in [("Old One", "old1@example.org"), ("Old Two", "old2@example.org")] {
        legacy.sign_form("p", &[("name", name), ("email", email), ("country", "GB")]).await;
    }
    // Confirmed as an older version did, in its own transaction.
    legacy
        .query(|c| {
            diesel::update(s::table.filter(s::email.eq("old1@example.org"))).set(s::status.eq("confirmed")).execute(c)
        })
        .await;
    let clear: i64 = legacy.query(undersigned::db::signatures::count_clear).await;
    assert_eq!(clear, 2);
    // `keys export` moves the secrets out and makes a master key.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.json");
    let out = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(["keys", "export", "--out"])
        .arg(&file)
        .env_clear()
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left: i64 = legacy
        .query(|c| k::table.filter(k::name.eq_any(undersigned::keys::STORED_SECRETS)).count().get_result(c))
        .await;
    assert_eq!(left, 0, "the secrets left the database");
    // A server with the key file seals the clear rows while it runs.
    let keys = file.display().to_string();
    let upgraded = spawn_app_with(backend, Smtp::Running, &[("DATABASE_URL", &url), ("KEY_FILE", &keys)]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while upgraded.query(undersigned::db::signatures::count_clear).await > 0 {
        assert!(Instant::now() < deadline, "sealed in place within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sealed: i64 = upgraded.query(|c| s::table.filter(s::personal.is_not_null()).count().get_result(c)).await;
    assert_eq!(sealed, 2);
    // The earlier signers are still recognised as duplicates, and still read.
    let res = upgraded.sign_json("p", &json!({"name": "Old One", "email": "Old1@Example.org", "country": "GB"})).await;
    assert_eq!(res.status(), 202);
    upgraded.wait_outbox_empty(Duration::from_secs(10)).await;
    let rows = upgraded.opened().await;
    assert_eq!(rows.len(), 2, "the repeat was recognised");
    assert!(
        rows.iter().any(|r| r.name.as_deref() == Some("Old Two") && r.email.as_deref() == Some("old2@example.org"))
    );
    let mail = upgraded.mail_to("old1@example.org", 1).await;
    assert!(mail.text().contains("Old One"), "the mail opens the sealed details");
    drop(db);
}

async fn withdrawal_and_retention_erase_the_values_and_the_petition_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    for email in ["stays@example.org", "leaves@example.org"] {
        app.sign_form("p", &[("name", "Signer"), ("email", email), ("country", "GB")]).await;
        let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
        assert_eq!(app.post(&confirm).await.status(), 200);
    }
    let withdraw = app.links(&app.mail_to("leaves@example.org", 1).await).withdraw;
    assert!(app.post(&withdraw).await.status().is_success());
    let sealed: Vec<Option<Vec<u8>>> = app.query(|c| s::table.order(s::id).select(s::personal).load(c)).await;
    assert!(sealed[0].is_some() && sealed[1].is_none(), "the withdrawn signature's values are gone");
    // Closed and erased: the values go, and the petition's keys with them.
    app.query(|c| undersigned::db::petitions::close(c, "p", undersigned::now())).await;
    let retention =
        undersigned::configuration::RetentionSettings { erase_after_close: Some(Duration::ZERO), ..Default::default() };
    let vault = Arc::clone(app.state.keys.vault());
    undersigned::jobs::housekeeping::purge(&app.state.db, Some(&vault), None, retention, Duration::from_secs(3600))
        .await
        .unwrap();
    let keys: i64 = app.query(move |c| pk::table.filter(pk::petition_id.eq(petition)).count().get_result(c)).await;
    assert_eq!(keys, 0, "the petition's keys are destroyed");
    let left: i64 = app.query(|c| s::table.filter(s::personal.is_not_null()).count().get_result(c)).await;
    assert_eq!(left, 0);
    let admin = app.admin("org@example.org").await;
    let totals = admin.get("/admin/petitions/p/totals.csv").await.text().await.unwrap();
    let gb = totals.lines().find(|l| l.starts_with("GB,")).unwrap_or_default();
    assert!(gb.ends_with(",1"), "the totals still count the confirmed one: {totals}");
}
