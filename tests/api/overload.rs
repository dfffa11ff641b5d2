//! Slow clients and login floods: a body sent one byte at a time is cut off
//! without holding up anyone else, and a login flood beyond the password
//! hasher's queue is refused (503) without locking anyone out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use undersigned::db;

use crate::helpers::{Backend, PASSWORD, Smtp, browser, csrf_in, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    slow_bodies_are_cut_off_with_408_while_others_sign,
    a_login_flood_beyond_the_queue_gets_503_and_locks_nobody_out,
);

/// The body deadline the first test runs with (the default is 10 s).
const BODY_TIMEOUT: &str = "4s";

/// Generous upper bound for anything to happen, only so that a broken
/// server fails the test instead of hanging it.
const HANG: Duration = Duration::from_secs(60);

/// How a slow client sends its body.
#[derive(Clone, Copy, Debug)]
enum Framing {
    /// `Content-Length: 200`, then one byte at a time.
    Length,
    /// `Transfer-Encoding: chunked`, one one-byte chunk at a time.
    Chunked,
}

/// What a slow client got: everything the server sent until it closed.
struct SlowOutcome {
    answer: String,
    closed: bool,
}

/// Sends the head of a POST to `path`, then its body one byte a second,
/// until the server answers and closes (or [`HANG`] passes). `answered` is
/// set as soon as anything comes back.
async fn slow_client(
    addr: String,
    path: &'static str,
    content_type: &'static str,
    framing: Framing,
    ready: tokio::sync::mpsc::Sender<()>,
    answered: Arc<AtomicBool>,
) -> SlowOutcome {
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let length = match framing {
        Framing::Length => "Content-Length: 200",
        Framing::Chunked => "Transfer-Encoding: chunked",
    };
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n{length}\r\n\r\n");
    write.write_all(head.as_bytes()).await.unwrap();
    ready.send(()).await.unwrap();
    let trickle = async move {
        for _ in 0..200 {
            let byte: &[u8] = match framing {
                Framing::Length => b"a",
                Framing::Chunked => b"1\r\na\r\n",
            };
            if write.write_all(byte).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // Held open (not shut down) until the reader is done.
        std::future::pending::<()>().await;
    };
    let listen = async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match read.read(&mut buf).await {
                Ok(0) => return (answer, true),
                Ok(n) => {
                    answered.store(true, Ordering::SeqCst);
                    answer.extend_from_slice(&buf[..n]);
                }
                // A reset after the answer still means the server closed.
                Err(_) => return (answer, true),
            }
        }
    };
    let (answer, closed) = tokio::select! {
        _ = trickle => unreachable!("the trickle never ends by itself"),
        outcome = tokio::time::timeout(HANG, listen) => outcome.unwrap_or_default(),
    };
    SlowOutcome { answer: String::from_utf8_lossy(&answer).into_owned(), closed }
}

async fn slow_bodies_are_cut_off_with_408_while_others_sign(backend: Backend) {
    // Two HTTP workers (the test default), more slow clients than that, on
    // every kind of body: the JSON API, the sign form, an admin form.
    let app = spawn_app_with(backend, Smtp::Running, &[("REQUEST_BODY_TIMEOUT", BODY_TIMEOUT)]).await;
    app.create_petition("p").await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let form = "application/x-www-form-urlencoded";
    let slow = [
        ("/api/v1/petitions/p/signatures", "application/json", Framing::Length),
        ("/api/v1/petitions/p/signatures", "application/json", Framing::Chunked),
        ("/p/p/sign", form, Framing::Length),
        ("/p/p/sign", form, Framing::Chunked),
        ("/p/p/embed", form, Framing::Length),
        ("/admin/login", form, Framing::Length),
    ];
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(slow.len());
    let answered: Vec<Arc<AtomicBool>> = slow.iter().map(|_| Arc::default()).collect();
    let clients: Vec<_> = slow
        .iter()
        .zip(&answered)
        .map(|((path, content_type, framing), answered)| {
            tokio::spawn(slow_client(
                addr.clone(),
                path,
                content_type,
                *framing,
                ready_tx.clone(),
                Arc::clone(answered),
            ))
        })
        .collect();
    for _ in 0..slow.len() {
        tokio::time::timeout(HANG, ready_rx.recv()).await.expect("slow clients connect").unwrap();
    }

    // Meanwhile, others sign (on their own connections) and are answered.
    for i in 0..3 {
        let body = json!({"name": "Quick Signer", "email": format!("quick{i}@example.com"), "country": "FR"});
        let res = tokio::time::timeout(HANG, app.sign_json("p", &body)).await.expect("signing answers");
        assert_eq!(res.status(), 202, "signing works while slow clients are connected");
    }
    let form_res =
        app.sign_form("p", &[("name", "Form Signer"), ("email", "form@example.com"), ("country", "DE")]).await;
    assert_eq!(form_res.status(), 303);
    let still_waiting = answered.iter().filter(|a| !a.load(Ordering::SeqCst)).count();
    assert_eq!(still_waiting, slow.len(), "the others were answered while every slow client was still sending");

    for ((path, _, framing), client) in slow.iter().zip(clients) {
        let outcome = client.await.unwrap();
        let what = format!("{path} ({framing:?})");
        assert!(outcome.closed, "{what}: the server closed the connection");
        assert!(outcome.answer.starts_with("HTTP/1.1 408"), "{what}: {}", outcome.answer);
        assert!(outcome.answer.to_ascii_lowercase().contains("connection: close"), "{what}: {}", outcome.answer);
        if path.starts_with("/api/") {
            assert!(outcome.answer.contains(r#""code":"request_timeout""#), "{what}: {}", outcome.answer);
        } else {
            assert!(outcome.answer.contains("text/html"), "{what}: the usual error page");
        }
    }

    // Nothing half-read was stored: only the quick signers, and no login attempt.
    let mut names: Vec<_> = app.stored_signatures().await.into_iter().filter_map(|(_, name, _, _)| name).collect();
    names.sort();
    assert_eq!(names, ["Form Signer", "Quick Signer", "Quick Signer", "Quick Signer"]);
    let attempts: i64 = app.query(|c| db::schema::login_failures::table.count().get_result(c)).await;
    assert_eq!(attempts, 0);
}

async fn a_login_flood_beyond_the_queue_gets_503_and_locks_nobody_out(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("LOGIN_QUEUE", "1")]).await;
    app.add_organiser("ada@example.org").await;
    let failures = || app.query(|c| db::schema::login_failures::table.count().get_result::<i64>(c));

    // While the only place in the queue is taken, even the right password
    // is refused at once, unchecked and not counted.
    let place = app.state.passwords.reserve().expect("the queue's one place");
    let checked_before = app.state.passwords.verifications();
    let res = app.submit_login(&browser(), "ada@example.org", PASSWORD).await;
    assert_eq!(res.status(), 503);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().expect("numeric Retry-After");
    assert!(retry_after >= 1);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("Please try again in a few seconds"), "the usual error page");
    assert_eq!(app.state.passwords.verifications(), checked_before, "no Argon2 run for a refused login");
    assert_eq!(failures().await, 0, "a refused login is not a failure");
    drop(place);

    // A flood: twenty browsers with their forms ready send wrong passwords at once.
    let mut ready = Vec::new();
    for _ in 0..20 {
        let client = browser();
        let page = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        ready.push((client, csrf_in(&page)));
    }
    let attempts = ready.iter().map(|(client, csrf)| async {
        let res = client
            .post(app.url("/admin/login"))
            .form(&[("email", "ada@example.org"), ("password", "wrong wrong wrong"), ("csrf_token", csrf)])
            .send()
            .await
            .unwrap();
        let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        (res.status().as_u16(), retry_after)
    });
    let answers = tokio::time::timeout(HANG, futures_util::future::join_all(attempts)).await.expect("all answered");
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert!(statuses.iter().all(|s| [401, 503].contains(s)), "checked or refused, never 500: {statuses:?}");
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "more at once than the queue holds: {statuses:?}");
    for (_, retry_after) in &busy {
        let secs: u64 = retry_after.as_deref().expect("Retry-After").parse().expect("numeric Retry-After");
        assert!(secs >= 1);
    }
    let checked = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert_eq!(failures().await, checked, "only checked attempts count as failures");

    // After the flood the right password gets in at once.
    assert_eq!(app.submit_login(&browser(), "ada@example.org", PASSWORD).await.status(), 303);
}
