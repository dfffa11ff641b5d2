//! Signing end to end: one signature per person, one mail at a time.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, Smtp, ada, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    whole_journey_sign_mail_confirm_count,
    repeat_signers_get_the_same_answer_and_one_signature,
    gmail_and_case_variants_are_one_person,
    repeat_mail_follows_the_signature_state,
    no_more_than_five_mails_per_signature,
    fifty_identical_submissions_make_one_signature_and_one_mail,
    keep_me_informed_is_recorded_only_when_ticked,
    a_restart_with_the_same_key_file_still_recognises_earlier_signers,
    the_mailbox_owner_confirms_the_details_submitted_last,
    once_its_mails_are_spent_a_pending_signature_keeps_its_details,
    a_pending_signature_whose_links_all_expired_starts_afresh,
    many_people_at_once_are_each_stored_with_their_mail,
    repeats_arriving_together_are_followed_up_together,
);

async fn whole_journey_sign_mail_confirm_count(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("free-speech").await;

    let page = app.get("/p/free-speech").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<p class=\"count\">0 signatures"));
    assert!(html.contains(r#"name="keep_informed" type="checkbox" value="yes">"#), "unchecked by default");

    let res = app.sign_form("free-speech", &ada()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/p/free-speech/check-email?lang=en");
    assert_eq!(app.get("/p/free-speech/check-email?lang=en").await.status(), 200);
    assert_eq!(app.statuses("free-speech").await["pending"], 1);

    let mail = app.mail_to("ada@example.com", 1).await;
    assert!(mail.subject().contains("Petition free-speech"), "the mail names the petition");
    assert!(mail.html().contains("Petition free-speech"));
    let links = app.links(&mail);
    let confirm = links.confirm.expect("a confirmation link");

    // Looking at the link (as mail scanners do) changes nothing.
    let page = app.get(&confirm).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Confirm my signature"));
    assert_eq!(app.client.head(app.url(&confirm)).send().await.unwrap().status(), 200);
    assert_eq!(app.statuses("free-speech").await["pending"], 1);
    assert_eq!(app.confirmed("free-speech").await, 0);

    let thanks = app.post(&confirm).await;
    assert_eq!(thanks.status(), 200);
    let html = thanks.text().await.unwrap();
    assert!(html.contains("your signature is confirmed"));
    assert!(html.contains("<p class=\"count\">1 signature "), "the thank-you page shows the new count");
    assert!(html.contains(&links.withdraw), "and a withdraw link");

    // The public count shows it within 2 seconds (COUNT_REFRESH defaults to 1 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while app.api_count("free-speech").await != 1 {
        assert!(std::time::Instant::now() < deadline, "count not updated within 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body: serde_json::Value = app.get("/api/v1/petitions/free-speech").await.json().await.unwrap();
    assert_eq!(body["by_country"], json!({"GB": 1}));

    // A second POST is harmless.
    let again = app.post(&confirm).await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("already confirmed"));
    app.refresh_counts().await;
    assert_eq!(app.api_count("free-speech").await, 1);
    assert_eq!(app.confirmed("free-speech").await, 1);
}

async fn repeat_signers_get_the_same_answer_and_one_signature(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let body = json!({"name": "Grace Hopper", "email": "grace@example.com", "country": "US"});

    let first = app.sign_json("p", &body).await;
    let (status, text) = (first.status(), first.text().await.unwrap());
    assert_eq!(status, 202);
    assert_eq!(text, r#"{"status":"pending_confirmation"}"#);
    for _ in 0..3 {
        let again = app.sign_json("p", &body).await;
        assert_eq!(again.status(), status);
        assert_eq!(again.text().await.unwrap(), text);
    }
    // The form answers repeats exactly as it answers a first signature.
    let fields = [("name", "Grace Hopper"), ("email", "grace@example.com"), ("country", "US")];
    let form_first = app.sign_form("p", &fields).await;
    assert_eq!(form_first.status(), 303);
    assert_eq!(form_first.headers()["location"], "/p/p/check-email?lang=en");

    assert_eq!(app.statuses("p").await, [("pending".to_string(), 1)].into());
}

async fn gmail_and_case_variants_are_one_person(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for email in
        ["Jane.Doe@gmail.com", "janedoe+petitions@googlemail.com", " JANE.DOE@GMAIL.COM ", "j.a.n.e.doe@Gmail.com"]
    {
        let res = app.sign_json("p", &json!({"name": "Jane Doe", "email": email, "country": "FR"})).await;
        assert_eq!(res.status(), 202, "{email}");
    }
    for email in ["jane.doe@example.com", "JANE.DOE@EXAMPLE.COM"] {
        app.sign_json("p", &json!({"name": "Jane Doe", "email": email, "country": "FR"})).await;
    }
    // One Gmail person, one example.com person; dots matter outside Gmail.
    app.sign_json("p", &json!({"name": "Jane Doe", "email": "janedoe@example.com", "country": "FR"})).await;
    assert_eq!(app.statuses("p").await["pending"], 3);
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received().len(), 3, "repeats within 10 minutes send no mail");
}

async fn repeat_mail_follows_the_signature_state(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let first = app.mail_to("ada@example.com", 1).await;

    // Pending, signed again after 10 minutes: a fresh confirmation link.
    app.age_last_mails(11).await;
    app.sign_form("p", &ada()).await;
    let second = app.mail_to("ada@example.com", 2).await;
    assert!(second.subject().starts_with("Please confirm"));
    let (l1, l2) = (app.links(&first), app.links(&second));
    assert_ne!(l1.confirm, l2.confirm, "each mail carries its own token");

    // Both links work; the first confirms, the second then finds it confirmed.
    assert_eq!(app.post(&l1.confirm.unwrap()).await.status(), 200);
    assert!(app.post(&l2.confirm.unwrap()).await.text().await.unwrap().contains("already confirmed"));
    assert_eq!(app.confirmed("p").await, 1);

    // Confirmed, signed again: an "already signed" mail, with no confirm link.
    app.age_last_mails(11).await;
    assert_eq!(app.sign_form("p", &ada()).await.status(), 303);
    let third = app.mail_to("ada@example.com", 3).await;
    assert!(third.subject().starts_with("You have already signed"), "{}", third.subject());
    assert!(app.links(&third).confirm.is_none());
    assert_eq!(app.statuses("p").await, [("confirmed".to_string(), 1)].into());

    // Within 10 minutes of that, nothing more is sent.
    app.sign_form("p", &ada()).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("ada@example.com").len(), 3);
}

async fn no_more_than_five_mails_per_signature(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for _ in 0..8 {
        app.age_last_mails(11).await;
        assert_eq!(app.sign_form("p", &ada()).await.status(), 303);
    }
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("ada@example.com").len(), 5);
}

async fn fifty_identical_submissions_make_one_signature_and_one_mail(backend: Backend) {
    // From one network, so within a limit that lets 50 through: over it,
    // every request is refused alike, whether or not the address signed.
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "100/10m")]).await;
    app.create_petition("p").await;
    let body = json!({"name": "Rosa Parks", "email": "rosa@example.com", "country": "US"});
    let requests = (0..50).map(|_| app.sign_json("p", &body));
    let responses = futures_util::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 202));
    assert_eq!(app.statuses("p").await, [("pending".to_string(), 1)].into());
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("rosa@example.com").len(), 1);
}

async fn keep_me_informed_is_recorded_only_when_ticked(backend: Backend) {
    use diesel::prelude::*;
    use undersigned::db::schema::signatures as s;
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &[("name", "A"), ("email", "a@example.com"), ("country", "DE")]).await;
    app.sign_form("p", &[("name", "B"), ("email", "b@example.com"), ("country", "DE"), ("keep_informed", "yes")]).await;
    app.sign_json("p", &json!({"name": "C", "email": "c@example.com", "country": "DE", "keep_informed": true})).await;
    let flags: Vec<bool> = app.query(|c| s::table.order(s::id).select(s::keep_informed).load(c)).await;
    assert_eq!(flags, [false, true, true]);
}

async fn a_restart_with_the_same_key_file_still_recognises_earlier_signers(backend: Backend) {
    // The keys live in the key file, not the database: a server restarted
    // with the same file recognises earlier signers.
    let app = spawn_app_with(backend.clone(), Smtp::Running, &[]).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let (url, keys) = (app.database_url().to_owned(), app.key_file().display().to_string());
    let restarted = spawn_app_with(backend, Smtp::Running, &[("DATABASE_URL", &url), ("KEY_FILE", &keys)]).await;
    restarted.sign_form("p", &ada()).await;
    assert_eq!(restarted.statuses("p").await["pending"], 1);
}

async fn the_mailbox_owner_confirms_the_details_submitted_last(backend: Backend) {
    // Someone types a victim's address with false details; the victim then
    // signs with their own. The link the victim holds confirms their details.
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &[("name", "Mallory Fake"), ("email", "victim@example.com"), ("country", "KP")]).await;
    // The first mail is written (bound to Mallory's details) before Vera
    // signs: waiting for it keeps a busy machine from writing it after.
    let first = app.links(&app.mail_to("victim@example.com", 1).await).confirm.unwrap();
    app.sign_form("p", &[("name", "Vera Victim"), ("email", "Victim@Example.com"), ("country", "NO")]).await;
    // The first mail's link was for Mallory's details: it confirms nothing
    // now. The details changed, so a second mail goes at once, for Vera's.
    assert_eq!(app.post(&first).await.status(), 409);
    assert_eq!(app.statuses("p").await["pending"], 1);
    let confirm = app.links(&app.mail_to("victim@example.com", 2).await).confirm.unwrap();
    let page = app.get(&confirm).await.text().await.unwrap();
    assert!(
        page.contains("<dd><bdi>Vera Victim</bdi></dd>") && page.contains("<dd>Norway</dd>"),
        "the page shows what is confirmed"
    );
    assert_eq!(app.post(&confirm).await.status(), 200);
    app.refresh_counts().await;
    let body: serde_json::Value = app.get("/api/v1/petitions/p").await.json().await.unwrap();
    assert_eq!(body["by_country"], json!({"NO": 1}));
    let stored = app.stored_signatures().await;
    assert_eq!(stored[0].1.as_deref(), Some("Vera Victim"));
}

async fn once_its_mails_are_spent_a_pending_signature_keeps_its_details(backend: Backend) {
    // Each change of details is mailed at once with a link for them; once
    // the five mails are spent, a change would leave every mailed link
    // unable to confirm, so the details stay and the last link still works.
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for i in 1..=6 {
        let name = format!("Name {i}");
        let res = app.sign_form("p", &[("name", &name), ("email", "ada@example.com"), ("country", "GB")]).await;
        assert_eq!(res.status(), 303);
    }
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("ada@example.com").len(), 5);
    let stored = app.stored_signatures().await;
    assert_eq!(stored[0].1.as_deref(), Some("Name 5"), "the sixth change was not taken");
    let last = app.links(&app.mail_to("ada@example.com", 5).await).confirm.unwrap();
    assert_eq!(app.post(&last).await.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
}

async fn a_pending_signature_whose_links_all_expired_starts_afresh(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for _ in 0..5 {
        app.age_last_mails(11).await;
        app.sign_form("p", &ada()).await;
    }
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received_by("ada@example.com").len(), 5, "the mail budget is spent");
    // A week later every link has expired; signing again must not be a dead end.
    app.expire_tokens().await;
    app.age_last_mails(7 * 24 * 60 + 1).await;
    assert_eq!(app.sign_form("p", &ada()).await.status(), 303);
    let fresh = app.links(&app.mail_to("ada@example.com", 6).await).confirm.unwrap();
    assert_eq!(app.post(&fresh).await.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
    assert_eq!(app.statuses("p").await, [("confirmed".to_string(), 1)].into());
}

async fn many_people_at_once_are_each_stored_with_their_mail(backend: Backend) {
    // Submissions that arrive together share a transaction; each still gets
    // its own signature and mail, and a duplicate inside a batch is a repeat.
    // (All from one test address: no rate limit.)
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "off")]).await;
    app.create_petition("p").await;
    let requests = (0..120).map(|i| {
        let email = format!("person{}@example.com", i % 100);
        let app = &app;
        async move { app.sign_json("p", &json!({"name": "N", "email": email, "country": "GB"})).await.status() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 202));
    assert_eq!(app.statuses("p").await["pending"], 100);
    app.wait_outbox_empty(Duration::from_secs(20)).await;
    assert_eq!(app.sink().received().len(), 100, "one mail per person, none for the repeats");
}

/// Repeats arriving together are followed up together (one lookup and a
/// few writes per round, not per repeat) with what one at a time would do:
/// each pending signer due a resend gets one fresh link however often they
/// submitted, each confirmed signer one "already signed" mail, new details
/// go out at once, and every repeat is tallied.
async fn repeats_arriving_together_are_followed_up_together(backend: Backend) {
    const SIGNERS: usize = 30;
    const CONFIRMED: usize = 5;
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "off")]).await;
    let petition = app.create_petition("p").await;
    let body = |i: usize, name: &str| json!({"name": name, "email": format!("r{i}@example.org"), "country": "GB"});
    let all_at_once = |bodies: Vec<serde_json::Value>| {
        let app = &app;
        futures_util::future::join_all(
            bodies.into_iter().map(move |b| async move { app.sign_json("p", &b).await.status().as_u16() }),
        )
    };
    assert!(all_at_once((0..SIGNERS).map(|i| body(i, "Signer")).collect()).await.iter().all(|s| *s == 202));
    for i in 0..CONFIRMED {
        let link = app.links(&app.mail_to(&format!("r{i}@example.org"), 1).await).confirm.unwrap();
        assert_eq!(app.post(&link).await.status(), 200);
    }
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let tallied = || app.query(move |c| undersigned::db::counts::tallies(c, petition));
    let duplicates_before = tallied().await.get(&undersigned::domain::Tally::Duplicate).copied().unwrap_or(0);

    // Every signer three times at once, their last mail 11 minutes old.
    app.age_last_mails(11).await;
    let burst: Vec<_> = (0..3 * SIGNERS).map(|n| body(n % SIGNERS, "Signer")).collect();
    assert!(all_at_once(burst).await.iter().all(|s| *s == 202));
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    for i in 0..SIGNERS {
        let mails = app.sink().received_by(&format!("r{i}@example.org"));
        assert_eq!(mails.len(), 2, "signer {i}: one more mail for three repeats");
        let expected = if i < CONFIRMED { "You have already signed" } else { "Please confirm" };
        assert!(mails[1].subject().starts_with(expected), "signer {i}: {}", mails[1].subject());
    }
    let expected = [("pending".to_string(), (SIGNERS - CONFIRMED) as i64), ("confirmed".to_string(), CONFIRMED as i64)];
    assert_eq!(app.statuses("p").await, expected.into());

    // Within 10 minutes: new details go out at once, the same ones do not.
    let changed = CONFIRMED..CONFIRMED + 5;
    let again: Vec<_> =
        (CONFIRMED..SIGNERS).map(|i| body(i, if changed.contains(&i) { "Signer Renamed" } else { "Signer" })).collect();
    assert!(all_at_once(again).await.iter().all(|s| *s == 202));
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    for i in CONFIRMED..SIGNERS {
        let mails = app.sink().received_by(&format!("r{i}@example.org"));
        assert_eq!(mails.len(), if changed.contains(&i) { 3 } else { 2 }, "signer {i}");
    }
    let renamed = app.stored_signatures().await.iter().filter(|s| s.1.as_deref() == Some("Signer Renamed")).count();
    assert_eq!(renamed, 5, "new details are taken with the mail that carries their link");
    app.refresh_counts().await;
    let duplicates = tallied().await.get(&undersigned::domain::Tally::Duplicate).copied().unwrap_or(0);
    assert_eq!(duplicates - duplicates_before, (3 * SIGNERS + SIGNERS - CONFIRMED) as i64, "every repeat tallied");
}
