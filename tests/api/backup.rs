//! A pg_dump taken while signing goes on restores into a database that
//! undersigned serves with the same counts.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::json;
use undersigned::db::schema::signatures as s;

use crate::helpers::{Backend, TestDatabase};
use crate::process::{ServerProcess, create_petition, read_mail};

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[actix_web::test]
async fn a_dump_taken_while_signing_restores_and_serves_the_same_counts() {
    let Some(backend) = Backend::postgres() else { return };
    if !tool("pg_dump") || !tool("pg_restore") {
        eprintln!("pg_dump/pg_restore not installed: backup test not run");
        return;
    }
    let (_db, url) = TestDatabase::create(&backend);
    let (_copy, copy_url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    create_petition(&url, dir.path());
    let extra = [("SIGN_RATE_LIMIT", "off")];
    let server = ServerProcess::start(&url, &outbox, &dir.path().join("a.log"), &extra);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // Signing and confirming go on in the background.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (base, stop, acked, client) =
            (server.address.clone(), Arc::clone(&stop), Arc::clone(&acked), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let email = format!("b{t}-{i}@example.com");
                let res = client
                    .post(format!("{base}/api/v1/petitions/p/signatures"))
                    .json(&json!({"name": "Backed Up", "email": email, "country": "ZA"}))
                    .send()
                    .await;
                if res.is_ok_and(|r| r.status() == 202) {
                    acked.lock().unwrap().push((Instant::now(), email));
                }
            }
        }));
    }
    {
        let (base, stop, outbox, client) = (server.address.clone(), Arc::clone(&stop), outbox.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            while !stop.load(Ordering::Relaxed) {
                let files: Vec<_> = std::fs::read_dir(&outbox)
                    .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
                    .unwrap_or_default();
                for path in files {
                    if seen.contains(&path) {
                        continue;
                    }
                    if let Some((_, token)) = read_mail(&path) {
                        seen.insert(path);
                        let _ = client.post(format!("{base}/s/{token}")).send().await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let dump = dir.path().join("backup.dump");
    let started = Instant::now();
    let out = Command::new("pg_dump").args(["--format=custom", "--file"]).arg(&dump).arg(&url).output().unwrap();
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    drop(server);

    let out = Command::new("pg_restore").args(["--no-owner", "--dbname", &copy_url]).arg(&dump).output().unwrap();
    assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));

    // What the dump holds, read directly, is what undersigned serves from it.
    let copy = undersigned::db::Db::connect(
        &undersigned::db::DatabaseUrl::parse(&copy_url).unwrap(),
        2,
        Duration::from_secs(10),
    )
    .unwrap();
    let confirmed: i64 = copy.read(|c| s::table.filter(s::status.eq("confirmed")).count().get_result(c)).await.unwrap();
    // A backup is restored with the key file of its time (kept apart from it).
    std::fs::copy(crate::helpers::key_file_of(&url), crate::helpers::key_file_of(&copy_url)).unwrap();
    let stored: Vec<String> =
        crate::helpers::opened_signatures(&copy, &copy_url).await.into_iter().filter_map(|r| r.email).collect();
    let before_dump: Vec<String> =
        acked.lock().unwrap().iter().filter(|(at, _)| *at < started).map(|(_, e)| e.clone()).collect();
    assert!(
        before_dump.len() > 20 && confirmed > 0,
        "the dump was taken under load: {} signed, {confirmed} confirmed",
        before_dump.len()
    );
    for email in &before_dump {
        assert!(stored.contains(email), "{email}, acknowledged before the dump began, is in it");
    }
    let restored = ServerProcess::start(&copy_url, &dir.path().join("outbox2"), &dir.path().join("b.log"), &extra);
    let body: serde_json::Value =
        client.get(format!("{}/api/v1/petitions/p", restored.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["signature_count"].as_i64().unwrap(), confirmed, "the restored site counts what the dump holds");
    eprintln!("backup: {} rows in the dump, {confirmed} confirmed", stored.len());
}
