//! Several server processes on one PostgreSQL: they migrate together, dedup
//! holds across them, every mail is sent once, and their counts agree.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use futures_util::StreamExt;
use serde_json::json;
use undersigned::db::schema::{outbox as o, signatures as s};

use crate::helpers::{Backend, TestDatabase};
use crate::process::{ServerProcess, create_petition};
use crate::smtp::MailSink;

#[test]
fn eight_migrations_at_once_on_an_empty_database_are_safe() {
    let Some(backend) = Backend::postgres() else { return };
    let (_db, url) = TestDatabase::create(&backend);
    let runs: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
                .arg("migrate")
                .env_clear()
                .env("DATABASE_URL", &url)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = runs.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    assert!(outputs.iter().all(|o| o.status.success()), "every one succeeds");
    let applied: Vec<usize> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        applied.iter().filter(|n| **n > 0).count(),
        1,
        "one applies them, the others find nothing to do: {applied:?}"
    );
}

#[actix_web::test]
async fn two_instances_share_one_postgres_without_double_counting_or_double_mail() {
    let Some(backend) = Backend::postgres() else { return };
    let (_db, url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let sink = MailSink::start();
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let secret = "a shared secret of at least thirty-two characters";
    let env = [("SMTP_URL", smtp.as_str()), ("SIGN_RATE_LIMIT", "off"), ("SECRET_KEY", secret)];

    // Both start at once on an empty database: both try to migrate.
    let (a, b) = {
        let (url_a, url_b, dir_a, dir_b) = (url.clone(), url.clone(), dir.path().to_owned(), dir.path().to_owned());
        let env_a: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env_b = env_a.clone();
        let start = |url: String, dir: std::path::PathBuf, name: &'static str, env: Vec<(String, String)>| {
            std::thread::spawn(move || {
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                ServerProcess::start(&url, &dir.join("outbox"), &dir.join(format!("{name}.log")), &env)
            })
        };
        let (ta, tb) = (start(url_a, dir_a, "a", env_a), start(url_b, dir_b, "b", env_b));
        (ta.join().unwrap(), tb.join().unwrap())
    };
    create_petition(&url, dir.path());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // 300 requests, alternating between the instances, for 200 people: the
    // first 100 addresses are sent twice, once through each instance, at once
    // (neighbours in the stream, 32 in flight). A busy instance may answer 503
    // with Retry-After, as it promises under overload; the client then tries
    // again, as a real one would, and that must not make a second signature.
    let requests = (0..300).map(|i| {
        let base = if i % 2 == 0 { a.address.clone() } else { b.address.clone() };
        let email = format!("person{}@example.com", if i < 200 { i / 2 } else { i - 100 });
        let client = client.clone();
        async move {
            let mut tries = 0;
            loop {
                tries += 1;
                let res = client
                    .post(format!("{base}/api/v1/petitions/p/signatures"))
                    .json(&json!({"name": "Shared", "email": email, "country": "IN"}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                if status != 503 || tries == 10 {
                    return (status, tries);
                }
                let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                tokio::time::sleep(Duration::from_secs(wait.min(2))).await;
            }
        }
    });
    let answers: Vec<(u16, u32)> = futures_util::stream::iter(requests).buffered(32).collect().await;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for (status, _) in &answers {
        *statuses.entry(*status).or_default() += 1;
    }
    let retried = answers.iter().filter(|(_, tries)| *tries > 1).count();
    assert_eq!(statuses.get(&202), Some(&300), "every request accepted: {statuses:?}, {retried} after a 503");

    let db =
        undersigned::db::Db::connect(&undersigned::db::DatabaseUrl::parse(&url).unwrap(), 2, Duration::from_secs(10))
            .unwrap();
    let emails: Vec<String> =
        crate::helpers::opened_signatures(&db, &url).await.into_iter().filter_map(|r| r.email).collect();
    assert_eq!(emails.len(), 200, "one signature per person across both instances");

    // Both mail workers run; each mail goes out once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = db.read(|c| o::table.count().get_result(c)).await.unwrap();
        if waiting == 0 && sink.received().len() >= 200 {
            break;
        }
        assert!(Instant::now() < deadline, "mail sent: {} of 200, {waiting} waiting", sink.received().len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for mail in sink.received() {
        for to in mail.to {
            *per_address.entry(to).or_default() += 1;
        }
    }
    assert_eq!(per_address.len(), 200);
    assert!(per_address.values().all(|n| *n == 1), "each mail sent exactly once");

    // Confirm 50 through alternating instances; both then show the same count.
    for (i, mail) in sink.received().into_iter().take(50).enumerate() {
        let link = mail.links().into_iter().find(|l| l.contains("/s/") && !l.ends_with("/withdraw")).unwrap();
        let token = link.rsplit("/s/").next().unwrap().to_owned();
        let base = if i % 2 == 0 { &a.address } else { &b.address };
        assert_eq!(client.post(format!("{base}/s/{token}")).send().await.unwrap().status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut counts = Vec::new();
        for base in [&a.address, &b.address] {
            let body: serde_json::Value =
                client.get(format!("{base}/api/v1/petitions/p")).send().await.unwrap().json().await.unwrap();
            counts.push(body["signature_count"].as_i64().unwrap());
        }
        if counts == [50, 50] {
            break;
        }
        assert!(Instant::now() < deadline, "both instances count 50: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let confirmed: i64 = db.read(|c| s::table.filter(s::status.eq("confirmed")).count().get_result(c)).await.unwrap();
    assert_eq!(confirmed, 50, "the count equals the rows");
    let folded: i64 = db.snapshot(|c| undersigned::db::counts::for_petition(c, 1)).await.unwrap().values().sum();
    assert_eq!(folded, 50, "folded once, not once per instance");

    // An organiser signed in on one instance is signed in on the other
    // (sessions live in PostgreSQL), and a form from one posts to the other.
    crate::process::command(
        &url,
        &["organiser", "add", "org@example.org", "--password-stdin"],
        Some("a long enough passphrase\n"),
    );
    let browser = crate::helpers::browser();
    let login = browser.get(format!("{}/admin/login", a.address)).send().await.unwrap().text().await.unwrap();
    let csrf = crate::helpers::csrf_in(&login);
    let res = browser
        .post(format!("{}/admin/login", a.address))
        .form(&[("email", "org@example.org"), ("password", "a long enough passphrase"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The cookie is for 127.0.0.1, whichever port: the browser sends it to both.
    let dashboard = browser.get(format!("{}/admin/petitions/p", b.address)).send().await.unwrap();
    assert_eq!(dashboard.status(), 200, "the session is known to the other instance");
    let page = dashboard.text().await.unwrap();
    assert!(page.contains("Confirmed</th><td class=\"n\">50</td>"));
    let csrf = crate::helpers::csrf_in(&page);
    let res = browser
        .post(format!("{}/admin/petitions/p/state", a.address))
        .form(&[("csrf_token", csrf.as_str()), ("action", "close")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a form from one instance is accepted by the other");
}
