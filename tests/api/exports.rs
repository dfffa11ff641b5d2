//! Exports: exactly the confirmed signatures, safe CSV, streaming, logged;
//! the delivery packet, tied to the transparency log, and its verification.

use std::io::{Cursor, Read, Write};

use diesel::prelude::*;
use serde_json::{Value, json};
use undersigned::db;
use undersigned::export::delivery;
use undersigned::tlog::LogKey;

use crate::helpers::{Backend, Smtp, TestApp, ada, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    exports_hold_exactly_the_confirmed_signatures,
    csv_is_rfc4180_and_formulas_are_neutralised,
    a_large_export_streams_and_is_logged,
    the_delivery_packet_verifies_and_any_change_is_caught,
    the_packet_carries_the_logs_checkpoint_and_a_recount_catches_what_a_resigned_manifest_hides,
    a_packet_taken_while_confirmations_keep_arriving_is_consistent_or_refused,
    a_packet_the_log_disagrees_with_is_refused_with_the_reason,
    contacts_only_for_one_or_true,
);

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn exports_hold_exactly_the_confirmed_signatures(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    // Three confirmed (one asked to be kept informed), one pending, one withdrawn.
    let people = [
        ("Ada Lovelace", "ada@example.com", "GB", true),
        ("王秀英", "wang@example.com", "CN", false),
        ("محمد عبد الله", "m@example.com", "EG", false),
        ("Pending Person", "pending@example.com", "FR", false),
        ("Withdrawn Person", "gone@example.com", "DE", false),
    ];
    for (name, email, country, keep) in people {
        let mut body = json!({"name": name, "email": email, "country": country, "postcode": "1000"});
        if keep {
            body["keep_informed"] = json!(true);
        }
        app.sign_json("p", &body).await;
        let links = app.links(&app.mail_to(email, 1).await);
        if email != "pending@example.com" {
            app.post(&links.confirm.unwrap()).await;
        }
        if email == "gone@example.com" {
            app.post(&links.withdraw).await;
        }
    }
    let admin = app.admin("org@example.org").await;

    let text = admin.get("/admin/petitions/p/signatures.csv").await.text().await.unwrap();
    let rows = csv_rows(&text);
    assert_eq!(rows[0], ["name", "country", "postcode", "confirmed_at"]);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Ada Lovelace", "王秀英", "محمد عبد الله"], "names in any script, intact");
    assert!(!text.contains('@'), "no emails without asking for contacts");

    let contacts = admin.get("/admin/petitions/p/signatures.csv?contacts=1").await.text().await.unwrap();
    let rows = csv_rows(&contacts);
    assert_eq!(rows[0], ["name", "country", "postcode", "confirmed_at", "email", "keep_informed"]);
    assert_eq!(rows[1][4..], ["ada@example.com", "yes"]);
    assert_eq!(rows[2][4..], ["", "no"], "no email for those who did not ask to be kept informed");

    let json: Value = admin.get("/admin/petitions/p/signatures.json").await.json().await.unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[1]["name"], "王秀英");
    assert!(json[0].get("email").is_none());
    let ndjson = admin.get("/admin/petitions/p/signatures.ndjson").await.text().await.unwrap();
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["country"], "EG");

    let totals = csv_rows(&admin.get("/admin/petitions/p/totals.csv").await.text().await.unwrap());
    assert_eq!(
        totals,
        [
            vec!["country", "country_name", "signatures"],
            vec!["CN", "China", "1"],
            vec!["EG", "Egypt", "1"],
            vec!["GB", "United Kingdom", "1"],
            vec!["TOTAL", "", "3"],
        ]
    );

    // Each export is in the log, with who, what and how many rows.
    let page = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(
        page.contains(
            "<td>org@example.org</td><td>signatures+contacts.csv</td><td class=\"n\">3</td><td>complete</td>"
        ),
        "{page}"
    );
    let log: Vec<(String, String, Option<i64>, String)> = app
        .query(|c| {
            use db::schema::export_log as l;
            l::table.order(l::id).select((l::actor, l::what, l::rows_written, l::status)).load(c)
        })
        .await;
    let whats: Vec<&str> = log.iter().map(|(_, w, ..)| w.as_str()).collect();
    assert_eq!(
        whats,
        ["signatures.csv", "signatures+contacts.csv", "signatures.json", "signatures.ndjson", "totals.csv"]
    );
    assert!(
        log.iter().all(|(actor, _, rows, status)| actor == "org@example.org" && rows.is_some() && status == "complete")
    );
}

async fn csv_is_rfc4180_and_formulas_are_neutralised(backend: Backend) {
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    // Rows the form would refuse (legacy or imported data): output escaping
    // must not rely on input validation.
    let payloads = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rReturn", "O\"Brien, Jr"];
    let rows = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| ((*p).to_owned(), "GB".to_owned(), Some("=1".to_owned()), format!("={i}@example.com"), true))
        .collect();
    app.insert_confirmed(petition, rows).await;
    let admin = app.admin("org@example.org").await;
    let text = admin.get("/admin/petitions/p/signatures.csv?contacts=1").await.text().await.unwrap();
    assert!(text.ends_with("\r\n") && text.lines().count() == payloads.len() + 1, "CRLF line ends");
    assert!(text.contains("\"O\"\"Brien, Jr\""), "quotes doubled, cells with commas quoted");
    let parsed = csv_rows(&text);
    for (row, payload) in parsed[1..].iter().zip(payloads) {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']), "{cell:?}");
        }
        if payload.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert_eq!(row[0], format!("'{payload}"), "the value is kept, behind an apostrophe");
        }
        assert_eq!(row[2], "'=1");
        assert!(row[4].starts_with("'="));
    }
}

async fn a_large_export_streams_and_is_logged(backend: Backend) {
    const ROWS: usize = 100_000;
    let app = spawn_app(backend).await;
    let petition = app.create_petition("big").await;
    let rows = (0..ROWS)
        .map(|i| {
            (
                format!("Signer {i}"),
                ["GB", "FR", "KE", "BR"][i % 4].to_owned(),
                None,
                format!("s{i}@example.com"),
                false,
            )
        })
        .collect();
    app.insert_confirmed(petition, rows).await;
    let admin = app.admin("org@example.org").await;

    let head = admin.client.head(admin.url("/admin/petitions/big/signatures.csv")).send().await.unwrap();
    assert_eq!(head.status(), 405, "a HEAD does not run an export");
    let mut res = admin.get("/admin/petitions/big/signatures.csv").await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"big-signatures-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(res.headers().get("content-length").is_none(), "streamed, not buffered");
    let first = res.chunk().await.unwrap().expect("a first chunk");
    assert!(first.starts_with(b"name,country,postcode,confirmed_at\r\n"));
    // The first bytes are here while the export is still running: with a
    // bounded channel it cannot have read 100,000 rows ahead of this client.
    let status = || {
        app.query(|c| {
            use db::schema::export_log as l;
            l::table.order(l::id.desc()).select((l::status, l::rows_written)).first::<(String, Option<i64>)>(c)
        })
    };
    assert_eq!(status().await, ("running".to_owned(), None));
    let mut total = first.len();
    let mut lines = first.iter().filter(|b| **b == b'\n').count();
    while let Some(chunk) = res.chunk().await.unwrap() {
        total += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(lines, ROWS + 1);
    assert!(total > 2_000_000);
    // The log entry is closed just after the last byte.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while status().await.0 == "running" {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status().await, ("complete".to_owned(), Some(ROWS as i64)));

    // A client that stops reading ends the export, which is logged as aborted.
    let mut res = admin.get("/admin/petitions/big/signatures.ndjson").await;
    res.chunk().await.unwrap();
    drop(res);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status().await.0 == "running" {
        assert!(std::time::Instant::now() < deadline, "the abandoned export did not stop");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (ending, rows) = status().await;
    assert_eq!(ending, "aborted");
    let rows = rows.unwrap();
    assert!(rows > 0 && rows < ROWS as i64, "the log says how many rows may have left: {rows}");
    let logged: i64 = app.query(|c| db::schema::export_log::table.count().get_result(c)).await;
    assert_eq!(logged, 2, "the HEAD was not logged");
}

pub(crate) fn read_zip(zip: &[u8], name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    zip::ZipArchive::new(Cursor::new(zip)).unwrap().by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
    bytes
}

/// `zip` with its manifest replaced by `manifest`, signed by `key`.
pub(crate) fn resign(zip: &[u8], key: &ed25519_dalek::SigningKey, manifest: &delivery::Manifest) -> Vec<u8> {
    use base64::Engine;
    use ed25519_dalek::Signer;
    let json = serde_json::to_vec_pretty(manifest).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&json).to_bytes());
    let zip = rewrite(zip, delivery::MANIFEST, |b| *b = json.clone());
    rewrite(&zip, delivery::SIGNATURE, |b| *b = sig.clone().into_bytes())
}

/// `zip` with other signatures (`total` of them), and a manifest that
/// matches them, signed by `key`.
fn forge(zip: &[u8], key: &ed25519_dalek::SigningKey, signatures: &[u8], total: u64) -> Vec<u8> {
    let zip = rewrite(zip, "signatures.csv", |b| *b = signatures.to_vec());
    let mut manifest = rehashed(&zip);
    manifest.confirmed_total = total;
    manifest.signing_key.public_key = undersigned::keys::public_key_base64(&key.verifying_key());
    manifest.signing_key.fingerprint = undersigned::keys::fingerprint(&key.verifying_key());
    resign(&zip, key, &manifest)
}

/// The manifest of `zip` with every file's hash and size made its own again.
fn rehashed(zip: &[u8]) -> delivery::Manifest {
    let mut manifest: delivery::Manifest = serde_json::from_slice(&read_zip(zip, delivery::MANIFEST)).unwrap();
    for f in &mut manifest.files {
        let bytes = read_zip(zip, &f.name);
        f.sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        f.bytes = bytes.len() as u64;
    }
    manifest
}

/// The failed checks of a report.
fn failed(report: &delivery::Verification) -> Vec<String> {
    report.checks.iter().filter(|(ok, _)| !ok).map(|(_, what)| what.clone()).collect()
}

/// The deployment's log key, as `GET /api/v1/log-key` publishes it.
pub(crate) async fn log_key(app: &TestApp) -> LogKey {
    let key: Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    LogKey::parse(key["public_key"].as_str().unwrap()).unwrap()
}

/// A copy of `zip` with `name`'s content changed by `change`.
pub(crate) fn rewrite(zip: &[u8], name: &str, change: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let file_name = file.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if file_name == name {
            change(&mut bytes);
        }
        out.start_file(file_name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn the_delivery_packet_verifies_and_any_change_is_caught(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for (i, country) in ["GB", "GB", "JP"].iter().enumerate() {
        let email = format!("p{i}@example.com");
        app.sign_json("p", &json!({"name": format!("Person {i}"), "email": email, "country": country})).await;
        let confirm = app.links(&app.mail_to(&email, 1).await).confirm.unwrap();
        app.post(&confirm).await;
    }
    app.sign_form("p", &ada()).await; // pending: not delivered
    app.sign_json("p", &json!({"name": "Person 0", "email": "P0@example.com", "country": "GB"})).await; // a repeat
    let admin = app.admin("org@example.org").await;
    let res = admin.get("/admin/petitions/p/delivery.zip").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let zip = res.bytes().await.unwrap().to_vec();

    let key: Value = app.get("/api/v1/delivery-key").await.json().await.unwrap();
    let public = undersigned::keys::parse_public_key(key["public_key"].as_str().unwrap()).unwrap();
    let log_key = log_key(&app).await;
    let report = delivery::verify(Cursor::new(&zip), Some(&public), Some(&log_key));
    assert!(report.intact(), "{:?}", report.checks);
    let manifest = report.manifest.unwrap();
    assert_eq!(manifest.confirmed_total, 3);
    assert_eq!(manifest.signing_key.fingerprint, key["fingerprint"]);
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["signatures.csv", "totals_by_country.csv", "cover.html", "log/checkpoint", "log/tile/entries/000.p/3"]
    );

    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    assert_eq!(read("signatures.csv"), "name,country\r\nPerson 0,GB\r\nPerson 1,GB\r\nPerson 2,JP\r\n");
    assert_eq!(
        read("totals_by_country.csv"),
        "country,country_name,signatures\r\nGB,United Kingdom,2\r\nJP,Japan,1\r\nTOTAL,,3\r\n"
    );
    let cover = read("cover.html");
    assert!(cover.contains("Petition p") && cover.contains("First paragraph."));
    assert!(cover.contains("<strong>3</strong> confirmed signatures"));
    assert!(cover.contains("<td class=\"n\">1</td><td>repeat submissions"), "duplicates counted");
    assert!(cover.contains("<td class=\"n\">1</td><td>signatures never confirmed"), "pending counted");

    // Change one byte of any file: verification fails and names the file.
    for name in [
        "signatures.csv",
        "totals_by_country.csv",
        "cover.html",
        "log/checkpoint",
        "log/tile/entries/000.p/3",
        "manifest.json",
        "manifest.sig",
    ] {
        let tampered = rewrite(&zip, name, |bytes| {
            let i = bytes.len() / 2;
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        });
        let report = delivery::verify(Cursor::new(&tampered), Some(&public), Some(&log_key));
        assert!(!report.intact(), "{name}");
        let failures: Vec<&String> = report.checks.iter().filter(|(ok, _)| !ok).map(|(_, what)| what).collect();
        assert!(failures.iter().any(|f| f.split(':').next().unwrap().contains(name)), "{name}: {failures:?}");
    }
    // A file added, or one removed.
    let mut added = zip::ZipWriter::new_append(Cursor::new(zip.clone())).unwrap();
    added.start_file("extra.csv", zip::write::SimpleFileOptions::default()).unwrap();
    added.write_all(b"smuggled").unwrap();
    let added = added.finish().unwrap().into_inner();
    let report = delivery::verify(Cursor::new(&added), Some(&public), Some(&log_key));
    assert!(report.checks.iter().any(|(ok, w)| !ok && w.starts_with("extra.csv")));
    // Signed by someone else.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    assert!(!delivery::verify(Cursor::new(&zip), Some(&other), Some(&log_key)).intact());
    // A copy re-signed with another key. Without the trusted key it can at
    // most look consistent; with it, it fails.
    let forger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let signatures = read_zip(&zip, "signatures.csv");
    let forged = forge(&zip, &forger, &signatures, 3);
    let report = delivery::verify(Cursor::new(&forged), None, Some(&log_key));
    assert!(report.consistent() && !report.intact(), "{:?}", report.checks);
    assert!(!report.key_trusted && report.log_key_trusted);
    assert!(!delivery::verify(Cursor::new(&forged), Some(&public), Some(&log_key)).intact());
    // Other rows, re-signed: the log's checkpoint, which the forger cannot
    // sign, still counts three, so not even consistency holds.
    let other_rows = forge(&zip, &forger, b"name,country\r\nNobody,GB\r\n", 1);
    let report = delivery::verify(Cursor::new(&other_rows), None, None);
    assert!(!report.consistent(), "{:?}", report.checks);
    assert!(failed(&report).contains(&"signatures.csv: 1 rows, the log's checkpoint counts 3".to_owned()));
    // Claiming the real key's fingerprint for another key does not pass.
    let mut manifest: delivery::Manifest = serde_json::from_slice(&read_zip(&forged, delivery::MANIFEST)).unwrap();
    manifest.signing_key.fingerprint = undersigned::keys::fingerprint(&public);
    let lying = resign(&forged, &forger, &manifest);
    let report = delivery::verify(Cursor::new(&lying), None, Some(&log_key));
    assert!(!report.consistent());
    assert!(failed(&report).iter().any(|f| f.contains("fingerprint")), "{:?}", report.checks);
    // A second entry of the same name, placed before the real one (written
    // under another name of the same length, then renamed in the raw bytes).
    let mut duplicated = zip::ZipWriter::new(Cursor::new(Vec::new()));
    duplicated.start_file("signaturez.csv", zip::write::SimpleFileOptions::default()).unwrap();
    duplicated.write_all(b"name,country\r\nFake,GB\r\n").unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    for i in 0..archive.len() {
        duplicated.raw_copy_file(archive.by_index(i).unwrap()).unwrap();
    }
    let mut duplicated = duplicated.finish().unwrap().into_inner();
    while let Some(at) = duplicated.windows(14).position(|w| w == b"signaturez.csv") {
        duplicated[at + 9] = b's';
    }
    let report = delivery::verify(Cursor::new(&duplicated), Some(&public), Some(&log_key));
    assert!(!report.intact());
    assert!(report.checks.iter().any(|(ok, w)| !ok && w.contains("duplicated")), "{:?}", report.checks);
    // A flipped byte in the archive itself.
    let mut flipped = zip.clone();
    let at = flipped.len() / 3;
    flipped[at] ^= 0xff;
    assert!(!delivery::verify(Cursor::new(&flipped), Some(&public), Some(&log_key)).intact());

    let logged: (String, Option<String>) = app
        .query(|c| {
            use db::schema::export_log as l;
            l::table.filter(l::what.eq("delivery.zip")).select((l::status, l::sha256)).first(c)
        })
        .await;
    assert_eq!(logged.0, "complete");
    assert_eq!(
        logged.1.unwrap(),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&zip)),
        "the log keeps the packet's hash"
    );
}

async fn contacts_only_for_one_or_true(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "GB", "keep_informed": true}))
        .await;
    app.post(&app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap()).await;
    let admin = app.admin("org@example.org").await;
    for asked in ["1", "true"] {
        let res = admin.get(&format!("/admin/petitions/p/signatures.csv?contacts={asked}")).await;
        assert_eq!(res.status(), 200, "{asked}");
        assert!(res.text().await.unwrap().contains("ada@example.com"), "{asked}");
    }
    for standard in ["0", "false"] {
        let res = admin.get(&format!("/admin/petitions/p/signatures.csv?contacts={standard}")).await;
        assert_eq!(res.status(), 200, "{standard}");
        let text = res.text().await.unwrap();
        assert!(
            text.starts_with("name,country,postcode,confirmed_at\r\n") && !text.contains('@'),
            "{standard}: {text}"
        );
    }
    for unclear in ["", "yes", "TRUE", "2"] {
        let res = admin.get(&format!("/admin/petitions/p/signatures.json?contacts={unclear}")).await;
        assert_eq!(res.status(), 400, "{unclear:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("contacts:"), "{body}");
    }
    // Nothing was handed out for the refused ones: only the four exports ran.
    let logged: i64 = app.query(|c| db::schema::export_log::table.count().get_result(c)).await;
    assert_eq!(logged, 4);
}

/// The delivery key of the tests that re-sign packets as its holder could.
const DELIVERY_SEED: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

async fn the_packet_carries_the_logs_checkpoint_and_a_recount_catches_what_a_resigned_manifest_hides(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("DELIVERY_SIGNING_KEY", DELIVERY_SEED)]).await;
    app.create_petition("p").await;
    for (email, country) in [("a@example.com", "GB"), ("b@example.com", "GB"), ("c@example.com", "JP")] {
        crate::transparency::sign_and_confirm(&app, "p", email, country).await;
    }
    crate::transparency::sign_and_confirm(&app, "p", "d@example.com", "FR").await;
    let withdraw = app.links(&app.mail_to("d@example.com", 1).await).withdraw;
    assert_eq!(app.post(&withdraw).await.status(), 200);
    let admin = app.admin("org@example.org").await;
    // Asked for at once: the packet appends what the log has not yet.
    let zip = admin.get("/admin/petitions/p/delivery.zip").await.bytes().await.unwrap().to_vec();
    let key = undersigned::keys::parse_signing_key(DELIVERY_SEED).unwrap();
    let public = key.verifying_key();
    let log_key = log_key(&app).await;

    let report = delivery::verify(Cursor::new(&zip), Some(&public), Some(&log_key));
    assert!(report.intact(), "{:?}", report.checks);
    let checkpoint = report.checkpoint.clone().unwrap();
    assert_eq!(checkpoint.size, 5, "four confirmations and a withdrawal");
    assert_eq!(checkpoint.totals.total, 3);
    let rows = csv_rows(&String::from_utf8(read_zip(&zip, "signatures.csv")).unwrap());
    assert_eq!(checkpoint.totals.total as usize, rows.len() - 1, "the checkpoint's total is the CSV's rows");
    for (country, n) in &checkpoint.totals.by_country {
        assert_eq!(rows[1..].iter().filter(|r| &r[1] == country).count() as i64, *n, "{country}");
    }
    // It is the log's own checkpoint, as published, and the manifest says so.
    let published = crate::transparency::checkpoint(&app, "p").await;
    assert_eq!(checkpoint, published);
    let note = read_zip(&zip, "log/checkpoint");
    assert!(String::from_utf8_lossy(&note).contains("\ntotal 3\ncountry GB 2\ncountry JP 1\n"));
    let manifest = report.manifest.unwrap();
    let facts = manifest.log.clone().unwrap();
    assert_eq!((facts.size, facts.origin.as_str()), (5, published.origin.as_str()));
    assert_eq!(facts.verifier_key, crate::transparency::vkey(&app, "p").await);
    assert_eq!(
        read_zip(&zip, "log/tile/entries/000.p/5"),
        app.get("/log/p/tile/entries/000.p/5").await.bytes().await.unwrap()
    );
    let cover = String::from_utf8(read_zip(&zip, "cover.html")).unwrap();
    assert!(cover.contains("checkpoint of 5 leaves") && cover.contains("counts <strong>3</strong> signatures"));

    // Without the log key the count is only self-consistent.
    let report = delivery::verify(Cursor::new(&zip), Some(&public), None);
    assert!(report.consistent() && !report.intact() && !report.log_key_trusted, "{:?}", report.checks);
    // With another log key, the checkpoint does not open.
    let other = LogKey::parse(&undersigned::keys::public_key_base64(
        &ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key(),
    ))
    .unwrap();
    let report = delivery::verify(Cursor::new(&zip), Some(&public), Some(&other));
    assert!(!report.consistent());
    let failures = failed(&report);
    assert!(failures.iter().any(|f| f.starts_with("manifest.json: names the log key")), "{failures:?}");
    assert!(failures.iter().any(|f| f.starts_with("log/checkpoint: the checkpoint's signature does not verify")));

    // A changed byte in an entry bundle (a commitment of leaf 1), with the
    // manifest re-signed by the delivery key's holder: the entries no
    // longer rebuild the checkpoint's root.
    let changed = rewrite(&zip, "log/tile/entries/000.p/5", |b| b[2 + 72 + 2 + 70] ^= 1);
    let report = delivery::verify(Cursor::new(&changed), Some(&public), Some(&log_key));
    assert!(failed(&report).iter().any(|f| f.starts_with("log/tile/entries/000.p/5: changed")), "{:?}", report.checks);
    let resigned = resign(&changed, &key, &rehashed(&changed));
    let report = delivery::verify(Cursor::new(&resigned), Some(&public), Some(&log_key));
    assert!(!report.consistent());
    let failures = failed(&report);
    assert_eq!(failures.len(), 1, "{failures:?}");
    let root = undersigned::tlog::verify::b64(&checkpoint.root);
    assert!(
        failures[0].starts_with("log/tile/entries/...: the 5 entries rebuild the root ")
            && failures[0].ends_with(&format!(", not the checkpoint's {root}")),
        "{failures:?}"
    );

    // A deleted row, the manifest re-signed to match it: the count is no
    // longer the log's, in all and for the country.
    let deleted = rewrite(&zip, "signatures.csv", |b| {
        *b = String::from_utf8(b.clone()).unwrap().replacen("A Signer,GB\r\n", "", 1).into_bytes();
    });
    let mut manifest = rehashed(&deleted);
    manifest.confirmed_total = 2;
    let resigned = resign(&deleted, &key, &manifest);
    let report = delivery::verify(Cursor::new(&resigned), Some(&public), Some(&log_key));
    assert!(!report.consistent());
    assert_eq!(
        failed(&report),
        [
            "manifest.json: total 2, the log's checkpoint counts 3",
            "signatures.csv: 2 rows, the log's checkpoint counts 3",
            "signatures.csv: 1 rows for country GB, the log's checkpoint counts 2",
        ]
    );
    // The same from the command line: named, and a failure.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("packet.zip");
    std::fs::write(&file, &resigned).unwrap();
    let raw_log_key: Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .arg("verify-delivery")
        .arg(&file)
        .args(["--public-key", &undersigned::keys::public_key_base64(&public)])
        .args(["--log-public-key", raw_log_key["public_key"].as_str().unwrap()])
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED  signatures.csv: 1 rows for country GB, the log's checkpoint counts 2"),
        "{stdout}"
    );
    assert!(stdout.contains("(the key given with --log-public-key)"), "{stdout}");
    // A packet claiming no log at all is not intact either.
    let mut manifest = rehashed(&zip);
    manifest.log = None;
    let report = delivery::verify(Cursor::new(&resign(&zip, &key, &manifest)), Some(&public), Some(&log_key));
    assert!(!report.intact());
    assert!(
        failed(&report)[0].starts_with("manifest.json: names no transparency-log checkpoint"),
        "{:?}",
        report.checks
    );
}

async fn a_packet_taken_while_confirmations_keep_arriving_is_consistent_or_refused(backend: Backend) {
    const SIGNERS: usize = 150;
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let keys = app.state.keys.clone();
    let tokens: Vec<String> = app
        .query(move |c| {
            let now = undersigned::now();
            let sealing = keys.vault().keys(c, petition)?;
            let ids = db::seed::pending(c, petition, "busy-", SIGNERS, now, Some(&sealing))?;
            let expires = now + chrono::TimeDelta::days(1);
            let tokens = db::seed::tokens(c, &ids, now, expires, Some(&sealing), |d| keys.details_digest(d))?;
            Ok(tokens.iter().map(|t| t.as_str().to_owned()).collect())
        })
        .await;
    let admin = app.admin("org@example.org").await;
    let key: Value = app.get("/api/v1/delivery-key").await.json().await.unwrap();
    let public = undersigned::keys::parse_public_key(key["public_key"].as_str().unwrap()).unwrap();
    let log_key = log_key(&app).await;

    let done = std::sync::atomic::AtomicBool::new(false);
    let confirming = async {
        for token in &tokens {
            assert_eq!(app.post(&format!("/s/{token}")).await.status(), 200);
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    // Packets asked for all along, and once more after the last confirmation.
    let taking = async {
        let (mut made, mut refused, mut last) = (0, 0, None);
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let res = admin.get("/admin/petitions/p/delivery.zip").await;
            match res.status().as_u16() {
                200 => {
                    let zip = res.bytes().await.unwrap();
                    let report = delivery::verify(Cursor::new(&zip), Some(&public), Some(&log_key));
                    assert!(report.intact(), "a packet made while confirming: {:?}", report.checks);
                    last = report.checkpoint.map(|c| c.totals.total);
                    made += 1;
                }
                409 => {
                    let body: Value = res.json().await.unwrap();
                    assert_eq!(body["error"]["code"], "conflict");
                    let message = body["error"]["message"].as_str().unwrap();
                    assert!(message.contains("confirmations kept arriving"), "{message}");
                    refused += 1;
                }
                status => panic!("a packet answered {status}: {}", res.text().await.unwrap()),
            }
            if finished {
                return (made, refused, last);
            }
        }
    };
    let ((), (made, refused, last)) = tokio::join!(confirming, taking);
    assert!(made >= 1, "the packet asked for after the last confirmation was made");
    assert_eq!(last, Some(SIGNERS as i64), "and it counts every confirmation");
    let failed: i64 = app
        .query(|c| {
            use db::schema::export_log as l;
            l::table.filter(l::what.eq("delivery.zip")).filter(l::status.eq("failed")).count().get_result(c)
        })
        .await;
    assert_eq!(failed, refused, "each refusal is in the export log");
    eprintln!("packets while confirming: {made} made, {refused} refused");
}

async fn a_packet_the_log_disagrees_with_is_refused_with_the_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    // A signature stored without its leaf queued: the log can never count it.
    app.insert_confirmed(petition, vec![("Ada".into(), "GB".into(), None, "ada@example.com".into(), false)]).await;
    let admin = app.admin("org@example.org").await;
    let res = admin.get("/admin/petitions/p/delivery.zip").await;
    assert_eq!(res.status(), 409, "an answer, not a broken download");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(
        body["error"]["message"],
        "no delivery packet was made: the transparency log and the confirmed signatures disagree (in all: the log \
         counts 0, the signatures 1; country GB: the log counts 0, the signatures 1)"
    );
    let status: String = app
        .query(|c| {
            use db::schema::export_log as l;
            l::table.filter(l::what.eq("delivery.zip")).select(l::status).first(c)
        })
        .await;
    assert_eq!(status, "failed");
    // The command line refuses it the same way, and writes no file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.zip");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(["export", "--delivery", "p", "--out", file.to_str().unwrap()])
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("KEY_FILE", app.key_file())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the transparency log and the confirmed signatures disagree (in all: the log counts 0"),
        "{stderr}"
    );
    assert!(!file.exists(), "no packet file");
    // Once its leaf is in the log, the packet is made.
    app.queue_for_log(petition).await;
    let zip = admin.get("/admin/petitions/p/delivery.zip").await.bytes().await.unwrap();
    let report = delivery::verify(Cursor::new(&zip), None, Some(&log_key(&app).await));
    assert!(report.consistent(), "{:?}", report.checks);
    assert_eq!(report.checkpoint.unwrap().totals.total, 1);
}
