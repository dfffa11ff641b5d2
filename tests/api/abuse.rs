//! Abuse: per-network rate limits that hold signatures for review rather than
//! drop them, the form's minimum fill time, disposable domains, and the
//! organisers' review of what was held.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};
use undersigned::db::schema::signatures as s;

use crate::helpers::{Backend, Smtp, TestApp, csrf_in, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    a_flood_from_one_network_is_held_not_dropped_and_organisers_release_it,
    forms_sent_back_too_fast_or_without_a_genuine_stamp_are_held,
    disposable_addresses_are_refused_with_a_clear_message,
    a_bot_flood_is_tallied_in_group_commits_not_a_commit_each,
);

async fn sign_from(app: &TestApp, ip: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/petitions/p/signatures"))
        .header("X-Forwarded-For", ip)
        .json(&json!({"name": "Shared Network", "email": email, "country": "FR"}))
        .send()
        .await
        .unwrap()
}

async fn held_reasons(app: &TestApp) -> Vec<(String, Option<String>)> {
    app.opened().await.into_iter().map(|r| (r.email.unwrap_or_default(), r.held_reason)).collect()
}

async fn a_flood_from_one_network_is_held_not_dropped_and_organisers_release_it(backend: Backend) {
    // The test client stands in for a reverse proxy, so X-Forwarded-For
    // picks the client address.
    let app =
        spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "3/1h"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.create_petition("p").await;
    for i in 0..3 {
        assert_eq!(sign_from(&app, "203.0.113.7", &format!("a{i}@example.com")).await.status(), 202);
    }
    let flooded = sign_from(&app, "203.0.113.7", "a3@example.com").await;
    assert_eq!(flooded.status(), 429);
    let retry: u64 = flooded.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1200).contains(&retry), "Retry-After in seconds: {retry}");
    let body: Value = flooded.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("held"));

    // Another address is not affected; an IPv6 /64 counts as one network.
    assert_eq!(sign_from(&app, "198.51.100.1", "b@example.com").await.status(), 202);
    for i in 0..3 {
        assert_eq!(
            sign_from(&app, &format!("2001:db8:0:1::{}", i + 1), &format!("v6-{i}@example.com")).await.status(),
            202
        );
    }
    assert_eq!(sign_from(&app, "2001:db8:0:1:ffff::9", "v6-held@example.com").await.status(), 429);
    assert_eq!(sign_from(&app, "2001:db8:0:2::1", "v6-other@example.com").await.status(), 202);

    // The form answers the same flood with a page that says what happened.
    let res = app
        .client
        .post(app.url("/p/p/sign"))
        .header("X-Forwarded-For", "203.0.113.7")
        .form(&[("name", "Form Flood"), ("email", "a4@example.com"), ("country", "FR")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/p/p/held?lang=en");
    let page = app.get("/p/p/held?lang=en").await.text().await.unwrap();
    assert!(page.contains("held for review"));

    let rows = held_reasons(&app).await;
    let held: Vec<&str> = rows.iter().filter(|(_, r)| r.is_some()).map(|(e, _)| e.as_str()).collect();
    assert_eq!(held, ["a3@example.com", "v6-held@example.com", "a4@example.com"], "stored, not dropped");
    assert!(rows.iter().filter(|(_, r)| r.is_some()).all(|(_, r)| r.as_deref() == Some("rate_limit")));
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("a3@example.com").len(), 0, "no mail for a held signature");
    assert_eq!(app.sink().received().len(), 8, "a mail for every signature within the limits");

    // Signing again from a network within its limits releases a held one.
    assert_eq!(sign_from(&app, "192.0.2.55", "v6-held@example.com").await.status(), 202);
    let confirm = app.links(&app.mail_to("v6-held@example.com", 1).await).confirm.unwrap();
    assert_eq!(app.post(&confirm).await.status(), 200);

    // Organisers see the held signatures with their reason, and decide.
    let admin = app.admin("org@example.org").await;
    let dashboard = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(
        dashboard
            .contains("Held for review (<a href=\"/admin/petitions/p/held\">review</a>)</th><td class=\"n\">2</td>")
    );
    assert!(dashboard.contains("Held for review: too many signatures from one network</th><td class=\"n\">3</td>"));
    let review = admin.get("/admin/petitions/p/held").await.text().await.unwrap();
    assert!(review.contains("a3@example.com") && review.contains("a4@example.com"));
    assert!(review.contains("too many signatures from one network"));
    let csrf = csrf_in(&review);
    let ids: Vec<i64> =
        app.query(|c| s::table.filter(s::held_reason.is_not_null()).order(s::id).select(s::id).load(c)).await;
    let release = admin
        .post_form(
            "/admin/petitions/p/held",
            &[("csrf_token", &csrf), ("action", "release"), ("which", &ids[0].to_string())],
        )
        .await;
    assert_eq!(release.status(), 303);
    let forged = admin
        .post_form("/admin/petitions/p/held", &[("csrf_token", "nope"), ("action", "discard"), ("which", "all")])
        .await;
    assert_eq!(forged.status(), 403);
    let discard = admin
        .post_form("/admin/petitions/p/held", &[("csrf_token", &csrf), ("action", "discard"), ("which", "all")])
        .await;
    assert_eq!(discard.status(), 303);

    // The released one confirms by email like anyone; the discarded one is gone.
    let confirm = app.links(&app.mail_to("a3@example.com", 1).await).confirm.unwrap();
    assert_eq!(app.post(&confirm).await.status(), 200);
    let rows = held_reasons(&app).await;
    assert!(rows.iter().all(|(_, r)| r.is_none()), "nothing held any more");
    assert!(!rows.iter().any(|(e, _)| e == "a4@example.com"), "discarded");
    app.refresh_counts().await;
    assert_eq!(app.confirmed("p").await, 2);
    let dashboard = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(
        dashboard.contains("Held signatures released</th><td class=\"n\">2</td>"),
        "one by the organiser, one by signing again"
    );
    assert!(dashboard.contains("Held signatures discarded</th><td class=\"n\">1</td>"));

    // The delivery packet's cover says what was held, released and discarded.
    let zip = admin.get("/admin/petitions/p/delivery.zip").await.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let mut cover = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("cover.html").unwrap(), &mut cover).unwrap();
    for line in [
        "<td class=\"n\">3</td><td>signatures held for review because too many came from one network",
        "<td class=\"n\">2</td><td>held signatures released",
        "<td class=\"n\">1</td><td>held signatures discarded",
        "<td class=\"n\">0</td><td>signatures still held for review",
    ] {
        assert!(cover.contains(line), "{line} in the cover");
    }
}

async fn forms_sent_back_too_fast_or_without_a_genuine_stamp_are_held(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("FORM_MIN_TIME", "1s")]).await;
    app.create_petition("p").await;
    let fields =
        |email: &str| vec![("name", "Quick".to_owned()), ("email", email.to_owned()), ("country", "DE".to_owned())];
    let page = app.get("/p/p").await;
    assert_eq!(page.headers()["cache-control"], "no-store", "each view has its own stamp");
    let stamp = crate::helpers::form_stamp_in(&page.text().await.unwrap()).expect("a stamped form");

    let mut fast = fields("fast@example.com");
    fast.push(("started", stamp.clone()));
    let res = app.post_sign_form("p", &fast).await;
    assert_eq!(res.headers()["location"], "/p/p/held?lang=en");
    let res = app.post_sign_form("p", &fields("nostamp@example.com")).await;
    assert_eq!(res.headers()["location"], "/p/p/held?lang=en");
    let mut forged = fields("forged@example.com");
    let tampered = format!("{}{}", &stamp[..stamp.len() - 1], if stamp.ends_with('0') { '1' } else { '0' });
    forged.push(("started", tampered));
    let res = app.post_sign_form("p", &forged).await;
    assert_eq!(res.headers()["location"], "/p/p/held?lang=en");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut person = fields("person@example.com");
    person.push(("started", stamp));
    let res = app.post_sign_form("p", &person).await;
    assert_eq!(res.headers()["location"], "/p/p/check-email?lang=en", "a person takes longer");

    let rows = held_reasons(&app).await;
    let reasons: Vec<(&str, Option<&str>)> = rows.iter().map(|(e, r)| (e.as_str(), r.as_deref())).collect();
    assert_eq!(
        reasons,
        [
            ("fast@example.com", Some("too_fast")),
            ("nostamp@example.com", Some("form_stamp")),
            ("forged@example.com", Some("form_stamp")),
            ("person@example.com", None),
        ]
    );
    // The JSON API has no form, so no stamp is asked of it; but it cannot
    // release what a bot-like form left held: only an organiser can.
    let res = app.sign_json("p", &json!({"name": "Api", "email": "api@example.com", "country": "DE"})).await;
    assert_eq!(res.status(), 202);
    let res = app.sign_json("p", &json!({"name": "Quick", "email": "fast@example.com", "country": "DE"})).await;
    assert_eq!(res.status(), 202, "answered like any repeat");
    let still =
        app.opened().await.into_iter().find(|r| r.email.as_deref() == Some("fast@example.com")).unwrap().held_reason;
    assert_eq!(still.as_deref(), Some("too_fast"));
}

#[actix_web::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // No TRUSTED_PROXIES: a client cannot dodge the limit by inventing
    // X-Forwarded-For addresses.
    let app = spawn_app_with(Backend::Sqlite, Smtp::Running, &[("SIGN_RATE_LIMIT", "1/1h")]).await;
    app.create_petition("p").await;
    assert_eq!(sign_from(&app, "198.51.100.1", "one@example.com").await.status(), 202);
    assert_eq!(sign_from(&app, "198.51.100.2", "two@example.com").await.status(), 429);
    // Limits apply per petition.
    app.create_petition("q").await;
    let res = app.sign_json("q", &json!({"name": "Q", "email": "q@example.com", "country": "FR"})).await;
    assert_eq!(res.status(), 202);
    // A method no route uses is refused before it reaches anything else.
    let res = app.client.request(reqwest::Method::from_bytes(b"BREW").unwrap(), app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

async fn disposable_addresses_are_refused_with_a_clear_message(backend: Backend) {
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), "# ours\nthrowaway.test\n").unwrap();
    let app = spawn_app(backend.clone()).await;
    app.create_petition("p").await;
    let res = app.sign_json("p", &json!({"name": "T", "email": "t@mailinator.com", "country": "US"})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let message = body["errors"]["email"][0].as_str().unwrap();
    assert!(message.contains("mailinator.com") && message.contains("disposable"), "{message}");
    let res = app.sign_form("p", &[("name", "T"), ("email", "t@sub.yopmail.com"), ("country", "US")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("yopmail.com are temporary"), "the form says why, next to the field");
    assert!(page.contains("value=\"t@sub.yopmail.com\""), "and keeps what was typed");
    assert!(app.stored_signatures().await.is_empty());
    let admin = app.admin("org@example.org").await;
    let dashboard = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(dashboard.contains("Refused: disposable email address</th><td class=\"n\">2</td>"));
    drop(app);

    // The list is configurable.
    let path = list.path().to_str().unwrap();
    let app = spawn_app_with(backend, Smtp::Running, &[("DISPOSABLE_EMAIL_DOMAINS", path)]).await;
    app.create_petition("p").await;
    let res = app.sign_json("p", &json!({"name": "T", "email": "t@throwaway.test", "country": "US"})).await;
    assert_eq!(res.status(), 422);
    let res = app.sign_json("p", &json!({"name": "T", "email": "t@mailinator.com", "country": "US"})).await;
    assert_eq!(res.status(), 202, "the file replaces the built-in list");
}

/// The honeypot's tally is written in the signatures' group commit: 64 bots
/// at once cost far fewer than 64 transactions, and each is still counted.
async fn a_bot_flood_is_tallied_in_group_commits_not_a_commit_each(backend: Backend) {
    const BOTS: usize = 64;
    let app = spawn_app(backend).await;
    let id = app.create_petition("p").await;
    let writes_before = app.state.db.writes();
    let bots = (0..BOTS).map(|i| {
        let body = json!({"name": "Bot", "email": format!("bot{i}@example.com"), "country": "FR",
                          "website": "http://spam.example"});
        app.client.post(app.url("/api/v1/petitions/p/signatures")).json(&body).send()
    });
    for res in futures_util::future::join_all(bots).await {
        assert_eq!(res.unwrap().status(), 202, "a bot hears what a person hears");
    }
    app.settled().await;
    let writes = app.state.db.writes() - writes_before;
    let tallies = app.snapshot(move |c| undersigned::db::counts::tallies(c, id)).await;
    assert_eq!(tallies.get(&undersigned::domain::Tally::Honeypot).copied(), Some(BOTS as i64), "every bot counted");
    let stored: i64 = app.query(|c| s::table.count().get_result(c)).await;
    assert_eq!(stored, 0, "nothing of theirs is stored");
    // One transaction per request would be at least 64 (the background
    // tasks only add to it); group commit takes them a batch at a time.
    assert!(writes < BOTS as u64, "{writes} write transactions for {BOTS} bots");
    eprintln!("{BOTS} honeypot submissions at once: {writes} write transactions");
}
