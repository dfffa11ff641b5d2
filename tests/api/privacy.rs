//! Nobody can tell from an answer whether an address has signed: every
//! sign request gets the same answer whatever the state of the address it
//! names, in every flagged case and unflagged, on the form, the embed and
//! the API; a flagged request changes nothing that is already there; and a
//! confirmation link confirms only the details it was mailed for.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, TestApp, form_stamp_in, spawn_app_with};
use crate::on_both_databases;
use crate::smtp::ReceivedMail;

const SLUG: &str = "p";
/// One more every 20 minutes after a burst of 3, per network.
const LIMIT: &str = "3/1h";
/// A network that is over the limit for the whole test.
const EXHAUSTED: &str = "203.0.113.250";

/// The states an address can be in when a request names it.
const STATES: [&str; 5] = ["never", "pending", "confirmed", "held", "withdrawn"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Form,
    Embed,
    Api,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Clean,
    MissingStamp,
    ForgedStamp,
    ExpiredStamp,
    TooFast,
    RateLimited,
    Honeypot,
}

impl Case {
    const FORM: [Case; 7] = [
        Case::Clean,
        Case::MissingStamp,
        Case::ForgedStamp,
        Case::ExpiredStamp,
        Case::TooFast,
        Case::RateLimited,
        Case::Honeypot,
    ];
    const API: [Case; 3] = [Case::Clean, Case::RateLimited, Case::Honeypot];
}

/// What an answer shows a stranger.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    location: Option<String>,
    retry_after: Option<String>,
    body: String,
}

async fn answer(res: reqwest::Response) -> Answer {
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (status, location, retry_after) = (res.status().as_u16(), header("location"), header("retry-after"));
    let body = res.text().await.unwrap();
    // The per-request form stamp and CSRF values are the only parts that vary.
    let body = without_values(&without_values(&body, "name=\"started\" value=\""), "name=\"csrf_token\" value=\"");
    Answer { status, location, retry_after, body }
}

fn without_values(body: &str, marker: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(at) = rest.find(marker) {
        let (head, tail) = rest.split_at(at + marker.len());
        out.push_str(head);
        rest = tail.find('"').map_or("", |end| &tail[end..]);
    }
    out.push_str(rest);
    out
}

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        crate::helpers::Smtp::Running,
        &[
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
            ("SIGN_RATE_LIMIT", LIMIT),
            // A form sent back within a minute of being shown is too fast:
            // the clean form requests carry a stamp from two hours ago.
            ("FORM_MIN_TIME", "1m"),
        ],
    )
    .await
}

/// A JSON signature from a network of its own (or `from`).
async fn sign_api(app: &TestApp, email: &str, name: &str, from: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/petitions/{SLUG}/signatures")))
        .header("x-forwarded-for", from)
        .json(&json!({"name": name, "email": email, "country": "GB", "postcode": "N1 9GU"}))
        .send()
        .await
        .unwrap()
}

/// Puts `email` into `state` (through HTTP, as a signer would); `n` picks
/// a network of its own.
async fn prepare(app: &TestApp, email: &str, state: &str, n: usize) {
    let from = format!("198.18.{}.{}", n / 200, n % 200 + 1);
    match state {
        "never" => {}
        "held" => assert_eq!(sign_api(app, email, "Held Person", EXHAUSTED).await.status(), 429),
        _ => assert_eq!(sign_api(app, email, "Earlier Person", &from).await.status(), 202),
    }
    if state == "confirmed" || state == "withdrawn" {
        let mail = app.mail_to(email, 1).await;
        let links = app.links(&mail);
        let path = if state == "confirmed" { links.confirm.unwrap() } else { links.withdraw };
        assert_eq!(app.post(&path).await.status(), 200, "{state}");
    }
}

/// The fields of a form request for `case` (the stamp as the case wants it).
fn form_fields(app: &TestApp, case: Case, email: &str, fresh_stamp: &str) -> Vec<(&'static str, String)> {
    let petition_id = app.state.catalog.all().iter().find(|p| p.slug == SLUG).unwrap().id;
    let stamp_at = |ago: chrono::TimeDelta| app.state.keys.form_stamp(petition_id, chrono::Utc::now() - ago);
    let mut fields = vec![
        ("name", "Probe".to_owned()),
        ("email", email.to_owned()),
        ("country", "FR".to_owned()),
        ("postcode", "75001".to_owned()),
        ("lang", "en".to_owned()),
    ];
    match case {
        Case::Clean | Case::RateLimited | Case::Honeypot => {
            fields.push(("started", stamp_at(chrono::TimeDelta::hours(2))));
        }
        Case::MissingStamp => {}
        Case::ForgedStamp => fields.push(("started", "1764547200.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
        Case::ExpiredStamp => fields.push(("started", stamp_at(chrono::TimeDelta::days(3)))),
        Case::TooFast => fields.push(("started", fresh_stamp.to_owned())),
    }
    if case == Case::Honeypot {
        fields.push(("website", "http://spam.example".into()));
    }
    fields
}

/// Sends the request of `case` on `channel` naming `email`, from `from`.
async fn probe(app: &TestApp, channel: Channel, case: Case, email: &str, from: &str) -> Answer {
    let res = match channel {
        Channel::Api => {
            let mut body = json!({"name": "Probe", "email": email, "country": "FR", "postcode": "75001"});
            if case == Case::Honeypot {
                body["website"] = json!("http://spam.example");
            }
            let url = app.url(&format!("/api/v1/petitions/{SLUG}/signatures"));
            app.client.post(url).header("x-forwarded-for", from).json(&body).send().await.unwrap()
        }
        Channel::Form | Channel::Embed => {
            let page = if channel == Channel::Form { format!("/p/{SLUG}") } else { format!("/p/{SLUG}/embed") };
            let fresh = form_stamp_in(&app.get(&page).await.text().await.unwrap()).unwrap();
            let action = if channel == Channel::Form { format!("/p/{SLUG}/sign") } else { page };
            let fields = form_fields(app, case, email, &fresh);
            app.client.post(app.url(&action)).header("x-forwarded-for", from).form(&fields).send().await.unwrap()
        }
    };
    answer(res).await
}

/// Puts [`EXHAUSTED`] over the limit for good: 3 signatures, then every
/// one is refused.
async fn exhaust(app: &TestApp) {
    for i in 0..4 {
        sign_api(app, &format!("filler{i}@example.org"), "Filler", EXHAUSTED).await;
    }
}

async fn every_answer_is_the_same_whoever_signed(backend: Backend) {
    let app = app(backend).await;
    app.create_petition(SLUG).await;
    app.refresh_counts().await;
    exhaust(&app).await;
    let probes: Vec<(Channel, Case)> = Case::FORM
        .iter()
        .flat_map(|case| [(Channel::Form, *case), (Channel::Embed, *case)])
        .chain(Case::API.iter().map(|case| (Channel::Api, *case)))
        .collect();
    let address = |p: usize, state: &str| format!("{state}-{p}@example.org");
    let mut n = 0;
    for p in 0..probes.len() {
        for state in STATES {
            n += 1;
            prepare(&app, &address(p, state), state, n).await;
        }
    }
    app.wait_outbox_empty(Duration::from_secs(20)).await;
    let before: Vec<ReceivedMail> = app.sink().received();

    for (p, (channel, case)) in probes.iter().enumerate() {
        let mut answers = Vec::new();
        for (s, state) in STATES.iter().enumerate() {
            // A clean request comes from a network under the limit.
            let from = if *case == Case::RateLimited { EXHAUSTED.to_owned() } else { format!("198.51.{p}.{}", s + 1) };
            answers.push((*state, probe(&app, *channel, *case, &address(p, state), &from).await));
        }
        let (_, first) = &answers[0];
        for (state, other) in &answers[1..] {
            assert_eq!(first, other, "{channel:?} {case:?}: an address that is {state} is answered differently");
        }
        let expected = match (channel, case) {
            (Channel::Api, Case::RateLimited) => 429,
            (Channel::Api, _) => 202,
            _ => 303,
        };
        assert_eq!(first.status, expected, "{channel:?} {case:?}: {first:?}");
        eprintln!("{channel:?} {case:?}: {} {:?} {:?}", first.status, first.location, first.retry_after);
    }
    // The flagged requests mailed nobody; the clean ones mailed as before.
    app.settled().await;
    app.wait_outbox_empty(Duration::from_secs(20)).await;
    let after = app.sink().received();
    for mail in &after[before.len()..] {
        let to = &mail.to[0];
        let p: usize = to.split(['-', '@']).nth(1).unwrap().parse().unwrap();
        assert_eq!(probes[p].1, Case::Clean, "a flagged request led to a mail to {to}");
    }
}

async fn a_flagged_request_changes_nothing_already_there(backend: Backend) {
    let app = app(backend).await;
    app.create_petition(SLUG).await;
    app.refresh_counts().await;
    exhaust(&app).await;
    for (i, email) in ["pending@example.org", "confirmed@example.org"].iter().enumerate() {
        prepare(&app, email, if i == 0 { "pending" } else { "confirmed" }, i).await;
    }
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let stored = app.stored_signatures().await;
    let mails = app.sink().received().len();
    for case in [Case::MissingStamp, Case::ForgedStamp, Case::ExpiredStamp, Case::TooFast, Case::RateLimited] {
        for email in ["pending@example.org", "confirmed@example.org"] {
            let from = if case == Case::RateLimited { EXHAUSTED } else { "198.51.100.9" };
            let res = probe(&app, Channel::Form, case, email, from).await;
            assert_eq!(res.location.as_deref(), Some("/p/p/held?lang=en"), "{case:?}");
        }
    }
    for email in ["pending@example.org", "confirmed@example.org"] {
        assert_eq!(probe(&app, Channel::Api, Case::RateLimited, email, EXHAUSTED).await.status, 429);
    }
    app.settled().await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.stored_signatures().await, stored, "nothing stored changed");
    assert_eq!(app.sink().received().len(), mails, "nothing was mailed");
    // The owner's own link still confirms their own details.
    let mail = app.mail_to("pending@example.org", 1).await;
    assert_eq!(app.post(&app.links(&mail).confirm.unwrap()).await.status(), 200);
    let ours = |s: &(String, Option<String>, Option<String>, Option<String>)| {
        s.2.as_deref().is_some_and(|e| e == "pending@example.org" || e == "confirmed@example.org")
    };
    let stored: Vec<_> = app.stored_signatures().await.into_iter().filter(ours).collect();
    assert_eq!(stored.len(), 2);
    for (status, name, _, postcode) in stored {
        assert_eq!(
            (status.as_str(), name.as_deref(), postcode.as_deref()),
            ("confirmed", Some("Earlier Person"), Some("N1 9GU"))
        );
    }
}

on_both_databases!(every_answer_is_the_same_whoever_signed, a_flagged_request_changes_nothing_already_there);
