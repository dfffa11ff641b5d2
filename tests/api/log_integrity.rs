//! The transparency log against those who would bend it: a server that
//! tampers with what it serves, an operator who edits the stored leaves,
//! erasure, a made-up receipt, and several appenders at once. Each is
//! checked the way an outsider would: with `undersigned verify-log` or
//! `verify-receipt` against the live server, or with the verifier engine.

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use undersigned::db::schema::tlog_leaves as l;
use undersigned::tlog::verify::{HttpSource, LogReport, VerifyError, verify_log};

use crate::helpers::{Backend, Smtp, TestApp, spawn_app, spawn_app_with};
use crate::on_both_databases;
use crate::transparency::{sign_and_confirm, vkey, wait_for_size};

on_both_databases!(
    verify_log_checks_a_live_log_and_names_what_a_tampering_server_changed,
    an_operator_who_edits_or_drops_a_stored_leaf_is_caught,
    erasure_keeps_every_leaf_and_ends_every_link,
    a_made_up_receipt_is_not_in_the_log,
    several_appenders_at_once_neither_skip_repeat_nor_fork,
    a_history_rewritten_under_the_same_key_is_caught_from_a_saved_checkpoint,
);

/// Runs `undersigned ARGS` as an outsider would (no database), off the
/// test's runtime, which also runs the server.
async fn outsider(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_undersigned")).args(&args).env_clear().output().unwrap()
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The deployment's log key (base64 of the 32 bytes).
async fn public_key(app: &TestApp) -> String {
    let keys: serde_json::Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    keys["public_key"].as_str().unwrap().to_owned()
}

/// `verify-log` of the log at `base/log/SLUG` with the deployment's key.
async fn verify_log_cli(base: &str, slug: &str, key: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify-log".to_owned(), format!("{base}/log/{slug}"), "--public-key".to_owned(), key.into()];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    outsider(args).await
}

/// The verifier engine over HTTP, off the runtime (its client blocks).
async fn verify_over_http(
    base: &str,
    slug: &str,
    vkey: &str,
    since: Option<Vec<u8>>,
) -> Result<LogReport, VerifyError> {
    let (prefix, vkey) = (format!("{base}/log/{slug}"), vkey.to_owned());
    tokio::task::spawn_blocking(move || verify_log(&HttpSource::new(&prefix)?, &vkey, since.as_deref())).await.unwrap()
}

/// What the tampering proxy changes in what it passes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Nothing,
    /// The last byte of every entry bundle (the last leaf's commitment).
    EntryByte,
    /// The first byte of every level-0 hash tile.
    HashByte,
    /// The checkpoint's `total` line, raised by a thousand.
    Total,
    /// Level-0 hash tiles answered 404.
    HideTiles,
    /// The last leaf left out of the last entry bundle.
    DropLeaf,
}

struct Proxy {
    target: String,
    tamper: Mutex<Tamper>,
    client: reqwest::Client,
}

async fn pass_on(req: HttpRequest, proxy: web::Data<Proxy>) -> HttpResponse {
    let path = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let res = proxy.client.get(format!("{}{path}", proxy.target)).send().await.unwrap();
    let status = res.status().as_u16();
    let mut body = res.bytes().await.unwrap().to_vec();
    let tamper = *proxy.tamper.lock().unwrap();
    let (entries, level0) = (path.contains("/tile/entries/"), path.contains("/tile/0/"));
    match tamper {
        Tamper::EntryByte if entries => *body.last_mut().unwrap() ^= 1,
        Tamper::HashByte if level0 => body[0] ^= 1,
        Tamper::HideTiles if level0 => return HttpResponse::NotFound().finish(),
        Tamper::DropLeaf if entries => {
            // Entries are u16-length-prefixed: keep all but the last.
            let mut at = 0;
            let mut last = 0;
            while at < body.len() {
                last = at;
                at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
            }
            body.truncate(last);
        }
        Tamper::Total if path.ends_with("/checkpoint") => {
            // A thousand more, in the total and in one country, so that the
            // totals still add up and only the signature can tell.
            let mut note = String::from_utf8(body).unwrap();
            for prefix in ["total ", "country "] {
                let line = note.lines().find(|l| l.starts_with(prefix)).unwrap().to_owned();
                let (head, n) = line.rsplit_once(' ').unwrap();
                let raised = format!("{head} {}", n.parse::<u64>().unwrap() + 1000);
                note = note.replacen(&line, &raised, 1);
            }
            body = note.into_bytes();
        }
        _ => {}
    }
    let status = actix_web::http::StatusCode::from_u16(status).unwrap();
    HttpResponse::build(status).body(body)
}

/// A server in front of `app` that passes everything on, changed as told.
fn tampering_proxy(app: &TestApp) -> (String, web::Data<Proxy>) {
    let proxy = web::Data::new(Proxy {
        target: app.address.clone(),
        tamper: Mutex::new(Tamper::Nothing),
        client: app.client.clone(),
    });
    let data = proxy.clone();
    let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(pass_on)))
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    (address, proxy)
}

async fn verify_log_checks_a_live_log_and_names_what_a_tampering_server_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for (i, country) in ["DE", "FR", "FR"].iter().enumerate() {
        sign_and_confirm(&app, "p", &format!("s{i}@example.com"), country).await;
    }
    wait_for_size(&app, "p", 3).await;
    let key = public_key(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("checkpoint");
    let saved = saved.to_str().unwrap();

    let out = verify_log_cli(&app.address, "p", &key, &["--save", saved]).await;
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("VERIFIED: the log holds 3 leaves counting 3 signatures."), "{said}");
    assert!(said.contains("FR 2") && said.contains("DE 1"), "the recount by country: {said}");

    // The log grows; checked again from the saved checkpoint.
    sign_and_confirm(&app, "p", "s3@example.com", "KE").await;
    wait_for_size(&app, "p", 4).await;
    let out = verify_log_cli(&app.address, "p", &key, &["--since", saved]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the log only grew since the checkpoint of 3 leaves"), "{}", text(&out));

    // With the key the same deployment serves, the log is only consistent
    // with itself: said so, and not a success.
    let out = outsider(vec!["verify-log".into(), format!("{}/log/p", app.address)]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "UNVERIFIED: the log holds 4 leaves counting 4 signatures, but only with the key of the same deployment"
        ),
        "{}",
        text(&out)
    );

    // The same log through a server that changes what it passes on.
    let (proxy, control) = tampering_proxy(&app);
    let out = verify_log_cli(&proxy, "p", &key, &[]).await;
    assert!(out.status.success(), "an honest proxy changes nothing: {}", text(&out));
    for (tamper, named) in [
        (Tamper::EntryByte, "the entry of leaf 3 in tile/entries/000.p/4 does not hash to hash 3 of tile/0/000.p/4"),
        (Tamper::HashByte, "the entry of leaf 0 in tile/entries/000.p/4 does not hash to hash 0 of tile/0/000.p/4"),
        (Tamper::Total, "the checkpoint's signature does not verify with the log key"),
        (Tamper::HideTiles, "a tile is missing: tile/0/000.p/4"),
        (Tamper::DropLeaf, "tile/entries/000.p/4: the bundle ends inside entry 3 (expected 4 entries)"),
    ] {
        *control.tamper.lock().unwrap() = tamper;
        let out = verify_log_cli(&proxy, "p", &key, &[]).await;
        let said = text(&out);
        assert!(!out.status.success(), "{tamper:?} must be caught: {said}");
        assert!(said.contains("the log does NOT verify") && said.contains(named), "{tamper:?}: {said}");
        assert!(!said.contains("VERIFIED"), "{said}");
    }
}

/// Changes the stored leaf `idx` of petition 1 with `f`.
async fn edit_leaf(app: &TestApp, idx: i64, f: fn(&mut Vec<u8>)) {
    app.query(move |c| {
        let mut leaf: Vec<u8> = l::table.filter(l::idx.eq(idx)).select(l::leaf).first(c)?;
        f(&mut leaf);
        diesel::update(l::table.filter(l::idx.eq(idx))).set(l::leaf.eq(leaf)).execute(c)
    })
    .await;
}

async fn an_operator_who_edits_or_drops_a_stored_leaf_is_caught(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for (i, country) in ["DE", "FR"].iter().enumerate() {
        sign_and_confirm(&app, "p", &format!("s{i}@example.com"), country).await;
    }
    wait_for_size(&app, "p", 2).await;
    let key = vkey(&app, "p").await;
    assert!(verify_over_http(&app.address, "p", &key, None).await.is_ok());

    // A leaf moved to another country: its entry no longer matches the
    // stored hashes the checkpoint was signed over.
    edit_leaf(&app, 0, |leaf| leaf[2..4].copy_from_slice(b"FR")).await;
    let err = verify_over_http(&app.address, "p", &key, None).await.unwrap_err();
    assert!(matches!(err, VerifyError::EntryHash { index: 0, .. }), "{err}");
    edit_leaf(&app, 0, |leaf| leaf[2..4].copy_from_slice(b"DE")).await;
    assert!(verify_over_http(&app.address, "p", &key, None).await.is_ok(), "restored, it verifies again");

    // A leaf deleted outright: the entry bundle comes up short.
    app.query(|c| diesel::delete(l::table.filter(l::idx.eq(1))).execute(c)).await;
    let err = verify_over_http(&app.address, "p", &key, None).await.unwrap_err();
    assert!(matches!(err, VerifyError::Bundle { .. }), "{err}");
}

async fn erasure_keeps_every_leaf_and_ends_every_link(backend: Backend) {
    use undersigned::db::schema::petitions as p;
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for (i, country) in ["DE", "FR", "FR"].iter().enumerate() {
        sign_and_confirm(&app, "p", &format!("s{i}@example.com"), country).await;
    }
    let before = wait_for_size(&app, "p", 3).await;
    let note_before = app.get("/log/p/checkpoint").await.text().await.unwrap();
    let linked = || app.query(|c| undersigned::db::tlog::linked_leaves(c, 1));
    assert_eq!(linked().await, 3);

    let closed = undersigned::now() - chrono::TimeDelta::days(91);
    app.query(move |c| diesel::update(p::table).set((p::state.eq("closed"), p::closed_at.eq(closed))).execute(c)).await;
    let database_url = app.database_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("purge")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(text(&out).contains("personal data erased (3 signature(s)"), "{}", text(&out));

    assert_eq!(linked().await, 0, "no leaf leads back to a person");
    let signature_ids: Vec<Option<i64>> = app.query(|c| l::table.select(l::signature_id).load(c)).await;
    assert!(signature_ids.iter().all(Option::is_none));
    // The log is as it was, and still recounts the public total.
    assert_eq!(app.get("/log/p/checkpoint").await.text().await.unwrap(), note_before, "no new checkpoint");
    let report = verify_over_http(&app.address, "p", &vkey(&app, "p").await, Some(note_before.into_bytes())).await;
    let report = report.unwrap();
    assert_eq!((report.size, report.totals.clone()), (3, before.totals));
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, report.totals.total);
}

async fn a_made_up_receipt_is_not_in_the_log(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let thanks = sign_and_confirm(&app, "p", "s0@example.com", "DE").await;
    wait_for_size(&app, "p", 1).await;
    let key = public_key(&app).await;
    let receipt = crate::transparency::receipt_in(&thanks).unwrap();
    let check = |receipt: String| {
        let args = ["verify-receipt", &format!("{}/log/p", app.address), &receipt, "--public-key", &key];
        outsider(args.iter().map(|s| (*s).to_owned()).collect())
    };
    let out = check(receipt.clone()).await;
    assert!(out.status.success(), "the real receipt: {}", text(&out));
    assert!(text(&out).contains("leaf 0"), "{}", text(&out));

    // One in 64 receipts begins with a hyphen (base64url): the made-up one
    // always does, so that the command is seen to take it as a receipt.
    let made_up = std::iter::repeat_with(|| undersigned::domain::Receipt::generate().encode())
        .find(|r| r.starts_with('-'))
        .unwrap();
    assert_ne!(made_up, receipt);
    let out = check(made_up).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("the receipt is not in the log"), "{}", text(&out));
    let out = check("not-a-receipt".into()).await;
    assert!(!out.status.success());
    assert!(text(&out).to_lowercase().contains("receipt"), "{}", text(&out));
}

async fn several_appenders_at_once_neither_skip_repeat_nor_fork(backend: Backend) {
    const SIGNERS: usize = 40;
    // One client address signs 40 times at once: no rate limit.
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "off")]).await;
    app.create_petition("p").await;
    // A second instance on the same database appends too.
    let vars = [("LOG_INTERVAL", "100ms"), ("FORM_MIN_TIME", "0s"), ("SIGN_RATE_LIMIT", "off")];
    let (second_address, handle) = app.second_instance(&vars).await;
    // And a third appender, as fast as it can, through the library.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammer = {
        let (db, appender, stop) = (app.state.db.clone(), app.state.appender(), Arc::clone(&stop));
        actix_web::rt::spawn(async move {
            let mut rounds = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                undersigned::jobs::counter::append_once(&db, &appender).await.unwrap();
                rounds += 1;
                tokio::task::yield_now().await;
            }
            rounds
        })
    };

    // Confirmations arrive through both instances, all at once.
    let signings = (0..SIGNERS).map(|i| {
        let app = &app;
        let second = second_address.clone();
        async move {
            let email = format!("s{i}@example.com");
            let res = app.sign_form("p", &[("name", "A Signer"), ("email", &email), ("country", "KE")]).await;
            assert!(res.status().is_redirection(), "{}", res.status());
            let confirm = app.links(&app.mail_to(&email, 1).await).confirm.unwrap();
            let base = if i % 2 == 0 { app.address.clone() } else { second };
            let res = app.client.post(format!("{base}{confirm}")).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }
    });
    futures_util::future::join_all(signings).await;
    let last = wait_for_size(&app, "p", SIGNERS as u64).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(hammer.await.unwrap() > 0);
    handle.stop(false).await;

    // Exactly one leaf per confirmation: none skipped, none twice.
    assert_eq!((last.size, last.totals.total), (SIGNERS as u64, SIGNERS as i64));
    let key = vkey(&app, "p").await;
    let report = verify_over_http(&app.address, "p", &key, None).await.unwrap();
    assert_eq!(report.leaves_confirmed, SIGNERS as u64);
    let linked: Vec<Option<i64>> = app.query(|c| l::table.select(l::signature_id).load(c)).await;
    let distinct: std::collections::HashSet<_> = linked.iter().flatten().collect();
    assert_eq!(distinct.len(), SIGNERS, "each confirmed signature has its own leaf");
    let commitments: Vec<Option<Vec<u8>>> = app.query(|c| l::table.select(l::commitment).load(c)).await;
    let distinct: std::collections::HashSet<_> = commitments.iter().flatten().collect();
    assert_eq!(distinct.len(), SIGNERS);

    // Every checkpoint ever published is a prefix of the last: no fork.
    let list: serde_json::Value = app.get("/log/p/checkpoints").await.json().await.unwrap();
    let notes: Vec<String> =
        list["checkpoints"].as_array().unwrap().iter().map(|c| c["note"].as_str().unwrap().to_owned()).collect();
    assert!(notes.len() >= 2, "{notes:?}");
    for note in notes {
        let report = verify_over_http(&app.address, "p", &key, Some(note.clone().into_bytes())).await;
        assert!(report.is_ok(), "{note}: {report:?}");
    }
}

async fn a_history_rewritten_under_the_same_key_is_caught_from_a_saved_checkpoint(backend: Backend) {
    // Two deployments with one log key and one public address: what an
    // operator who rewrites the log (or shows different people different
    // logs) serves, each log well signed on its own.
    let vars =
        [("PUBLIC_URL", "http://127.0.0.1:1"), ("LOG_SIGNING_KEY", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")];
    let (honest, rewritten) = (
        spawn_app_with(backend.clone(), Smtp::Running, &vars).await,
        spawn_app_with(backend, Smtp::Running, &vars).await,
    );
    for (app, countries) in [(&honest, ["DE", "FR", "FR", "KE"]), (&rewritten, ["DE", "US", "FR", "KE"])] {
        app.create_petition("p").await;
        for (i, country) in countries.iter().enumerate() {
            sign_and_confirm(app, "p", &format!("s{i}@example.com"), country).await;
            wait_for_size(app, "p", i as u64 + 1).await;
        }
    }
    let key = public_key(&honest).await;
    assert_eq!(key, public_key(&rewritten).await);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("checkpoint");
    let saved = saved.to_str().unwrap();
    // A watcher saved the honest log's checkpoint at 3 leaves.
    let list: serde_json::Value = honest.get("/log/p/checkpoints").await.json().await.unwrap();
    let at_three = list["checkpoints"].as_array().unwrap().iter().find(|c| c["size"] == 3).unwrap();
    std::fs::write(saved, at_three["note"].as_str().unwrap()).unwrap();
    let out = verify_log_cli(&honest.address, "p", &key, &["--since", saved]).await;
    assert!(out.status.success(), "{}", text(&out));

    // The other history verifies on its own ...
    let out = verify_log_cli(&rewritten.address, "p", &key, &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    // ... but not as the continuation of what was seen before.
    let out = verify_log_cli(&rewritten.address, "p", &key, &["--since", saved]).await;
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("the log rewrote its history: its first 3 leaves (of 4) have the root"), "{said}");
    assert!(said.contains("Both are signed by the log key: keep them, they prove the log forked."), "{said}");
}
