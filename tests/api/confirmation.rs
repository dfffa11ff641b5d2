//! The emailed links: looking changes nothing, POST acts, expiry, withdrawal.

use diesel::prelude::*;
use futures_util::future::join_all;

use crate::helpers::{Backend, Smtp, TestApp, ada, spawn_app, spawn_app_with};
use crate::on_both_databases;
use crate::transparency::{receipt_in, wait_for_size};

on_both_databases!(
    get_and_head_of_links_change_nothing,
    expired_links_explain_and_lead_back,
    unknown_links_get_a_friendly_page,
    withdrawing_a_confirmed_signature_erases_it_and_uncounts_it,
    withdrawing_a_pending_signature_before_confirming,
    tokens_are_stored_only_as_hashes,
    a_link_confirms_only_the_details_it_was_mailed_for,
    a_link_mailed_before_links_were_bound_confirms_only_through_its_page,
    links_clicked_together_are_confirmed_together_and_fail_alone,
);

/// The digest the confirmation page carries in its form, if it has a button.
fn shown_digest(page: &str) -> Option<String> {
    let marker = r#"name="details" value=""#;
    let at = page.find(marker)? + marker.len();
    Some(page[at..].split('"').next()?.to_owned())
}

async fn a_link_confirms_only_the_details_it_was_mailed_for(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let first = app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap();
    let page = app.get(&first).await.text().await.unwrap();
    for shown in
        ["<bdi>Ada Lovelace</bdi>", "<dd>United Kingdom</dd>", "<bdi>SW1A 1AA</bdi>", ">English</dd>", "<dd>No</dd>"]
    {
        assert!(page.contains(shown), "the page shows every detail: {shown} in\n{page}");
    }
    let first_digest = shown_digest(&page).expect("a button with the digest of what is shown");

    // The details change (someone signs again with the same address).
    let changed = [("name", "Changed Name"), ("email", "ada@example.com"), ("country", "FR")];
    assert_eq!(app.sign_form("p", &changed).await.status(), 303);
    let second = app.links(&app.mail_to("ada@example.com", 2).await).confirm.unwrap();

    // The first link confirms nothing now, with the page's digest or without.
    let with_digest = app.client.post(app.url(&first)).form(&[("details", first_digest.as_str())]).send().await;
    let with_digest = with_digest.unwrap();
    assert_eq!(with_digest.status(), 409);
    let again = with_digest.text().await.unwrap();
    assert!(again.contains("These details changed") && again.contains("<bdi>Changed Name</bdi>"), "{again}");
    assert_eq!(shown_digest(&again), None, "no button: this link cannot confirm them");
    assert_eq!(app.post(&first).await.status(), 409, "a POST without a form (a script)");
    let page = app.get(&first).await.text().await.unwrap();
    assert!(page.contains("These details changed") && shown_digest(&page).is_none());
    assert_eq!(app.statuses("p").await, [("pending".to_string(), 1)].into());

    // The second link, with the first page's digest: what was shown then is
    // not what is there now.
    let stale = app.client.post(app.url(&second)).form(&[("details", first_digest.as_str())]).send().await.unwrap();
    assert_eq!(stale.status(), 409);
    assert_eq!(app.confirmed("p").await, 0);
    // Through its own page it confirms what it was mailed for.
    let digest = shown_digest(&app.get(&second).await.text().await.unwrap()).unwrap();
    let res = app.client.post(app.url(&second)).form(&[("details", digest.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
    let stored = app.stored_signatures().await;
    assert_eq!((stored[0].0.as_str(), stored[0].1.as_deref()), ("confirmed", Some("Changed Name")));
}

async fn a_link_mailed_before_links_were_bound_confirms_only_through_its_page(backend: Backend) {
    use undersigned::db::schema::signature_tokens as t;
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let link = app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap();
    // As a token stored before migration 000008.
    app.query(|c| diesel::update(t::table).set(t::details_digest.eq(None::<Vec<u8>>)).execute(c)).await;
    let res = app.post(&link).await;
    assert_eq!(res.status(), 409, "a script cannot tell what it confirms");
    let page = res.text().await.unwrap();
    assert!(!page.contains("These details changed"), "nothing changed: the page only asks to confirm");
    assert!(shown_digest(&page).is_some(), "with its button");
    let digest = shown_digest(&app.get(&link).await.text().await.unwrap()).expect("the page can confirm");
    let res = app.client.post(app.url(&link)).form(&[("details", digest.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
}

async fn get_and_head_of_links_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let links = app.links(&app.mail_to("ada@example.com", 1).await);
    let confirm = links.confirm.unwrap();
    for _ in 0..3 {
        assert_eq!(app.get(&confirm).await.status(), 200);
        assert_eq!(app.client.head(app.url(&confirm)).send().await.unwrap().status(), 200);
        assert_eq!(app.get(&links.withdraw).await.status(), 200);
        assert_eq!(app.client.head(app.url(&links.withdraw)).send().await.unwrap().status(), 200);
    }
    assert_eq!(app.statuses("p").await, [("pending".to_string(), 1)].into());
    assert_eq!(app.confirmed("p").await, 0);
    let page = app.get(&confirm).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
}

async fn expired_links_explain_and_lead_back(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let confirm = app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap();
    app.expire_tokens().await;

    for res in [app.get(&confirm).await, app.post(&confirm).await] {
        assert_eq!(res.status(), 410);
        let html = res.text().await.unwrap();
        assert!(html.contains("This link has expired"));
        assert!(html.contains(r#"href="/p/p""#), "links back to the petition");
    }
    assert_eq!(app.confirmed("p").await, 0);
    assert_eq!(app.statuses("p").await["pending"], 1);

    // Signing again sends a fresh link that works.
    app.age_last_mails(11).await;
    app.sign_form("p", &ada()).await;
    let fresh = app.links(&app.mail_to("ada@example.com", 2).await).confirm.unwrap();
    assert_eq!(app.post(&fresh).await.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
}

async fn unknown_links_get_a_friendly_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let unknown = format!("/s/{}", "A".repeat(43));
    for path in [unknown.as_str(), "/s/too-short", "/s/%FF%FE", &format!("{unknown}/withdraw")] {
        for res in [app.get(path).await, app.post(path).await] {
            assert_eq!(res.status(), 404, "{path}");
            let html = res.text().await.unwrap();
            assert!(html.contains("This link does not work"), "{path}");
            assert!(html.contains(r#"href="/""#));
        }
    }
}

async fn withdrawing_a_confirmed_signature_erases_it_and_uncounts_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let links = app.links(&app.mail_to("ada@example.com", 1).await);
    let confirm = links.confirm.unwrap();
    app.post(&confirm).await;
    assert_eq!(app.confirmed("p").await, 1);

    let page = app.get(&links.withdraw).await;
    assert!(page.text().await.unwrap().contains("Withdraw my signature"));
    assert_eq!(app.confirmed("p").await, 1, "GET does not withdraw");

    let done = app.post(&links.withdraw).await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("has been withdrawn"));
    assert_eq!(app.confirmed("p").await, 0);
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, 0);
    assert_eq!(app.stored_signatures().await, vec![("withdrawn".to_string(), None, None, None)]);

    // The links no longer work, and a second withdrawal changes nothing.
    assert_eq!(app.get(&confirm).await.status(), 404);
    assert_eq!(app.post(&links.withdraw).await.status(), 404);
    assert_eq!(app.confirmed("p").await, 0);

    // The person may sign again.
    app.sign_form("p", &ada()).await;
    let again = app.links(&app.mail_to("ada@example.com", 2).await).confirm.unwrap();
    app.post(&again).await;
    assert_eq!(app.confirmed("p").await, 1);
}

async fn withdrawing_a_pending_signature_before_confirming(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let links = app.links(&app.mail_to("ada@example.com", 1).await);
    assert_eq!(app.post(&links.withdraw).await.status(), 200);
    assert_eq!(app.stored_signatures().await, vec![("withdrawn".to_string(), None, None, None)]);
    assert_eq!(app.post(&links.confirm.unwrap()).await.status(), 404, "cannot confirm a withdrawn signature");
    assert_eq!(app.confirmed("p").await, 0);
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    use undersigned::db::schema::signature_tokens as t;
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_form("p", &ada()).await;
    let confirm = app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap();
    let token = confirm.trim_start_matches("/s/").to_owned();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &token).unwrap();
    assert_eq!(bytes.len(), 32, "256 random bits");
    let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) =
        app.query(|c| t::table.select((t::created_at, t::expires_at)).first(c)).await;
    assert_eq!(expires - created, chrono::TimeDelta::days(7), "valid 7 days by default");
    let stored: Vec<Vec<u8>> = app.query(|c| t::table.select(t::token_hash).load(c)).await;
    assert_eq!(stored.len(), 1);
    let hash = undersigned::domain::Token::parse(&token).unwrap().hash();
    assert_eq!(stored[0], hash.0.to_vec());
    assert!(!stored[0].windows(token.len()).any(|w| w == token.as_bytes()));
}

/// Signs `n` addresses `{prefix}{i}@example.org` and returns their mailed
/// confirmation links, in order.
async fn mailed_links(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut links = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("{prefix}{i}@example.org");
        let res = app.sign_form("p", &[("name", "Some Signer"), ("email", &email), ("country", "DE")]).await;
        assert_eq!(res.status(), 303);
        links.push(app.links(&app.mail_to(&email, 1).await).confirm.unwrap());
    }
    links
}

/// POSTs every link at once; each answer's status and page, in order.
async fn post_all(app: &TestApp, links: &[String]) -> Vec<(u16, String)> {
    join_all(links.iter().map(|link| async move {
        let res = app.post(link).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }))
    .await
}

/// Clicks arriving together share write transactions (as signatures do),
/// each answered only once committed, with its own receipt; a second POST
/// of a link, or a click on another link of the same signature, is answered
/// "already confirmed"; and a link whose row cannot be opened fails alone,
/// its batch written again item by item.
async fn links_clicked_together_are_confirmed_together_and_fail_alone(backend: Backend) {
    const SIGNERS: usize = 40;
    const TWICE: usize = 10;
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "off")]).await;
    app.create_petition("p").await;
    let links = mailed_links(&app, "s", SIGNERS).await;

    let burst: Vec<String> = links.iter().chain(&links[..TWICE]).cloned().collect();
    let writes = app.state.db.writes();
    let answers = post_all(&app, &burst).await;
    let writes = app.state.db.writes() - writes;
    assert!(answers.iter().all(|(status, _)| *status == 200), "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
    // Committed before answered: every 200 is counted already.
    assert_eq!(app.confirmed("p").await, SIGNERS as i64);
    assert!(
        writes < SIGNERS as u64,
        "{} confirmations took {writes} write transactions (background jobs included)",
        burst.len()
    );
    let mut receipts = std::collections::HashSet::new();
    for (i, link) in links.iter().enumerate() {
        let of_link: Vec<&String> =
            burst.iter().zip(&answers).filter(|(l, _)| *l == link).map(|(_, (_, page))| page).collect();
        let with_receipt: Vec<String> = of_link.iter().filter_map(|page| receipt_in(page)).collect();
        assert_eq!(with_receipt.len(), 1, "link {i}: exactly one answer shows its receipt");
        assert!(receipts.insert(with_receipt[0].clone()), "each signer's receipt is its own");
    }
    wait_for_size(&app, "p", SIGNERS as u64).await;

    // Two links of one signature (its mail sent again) clicked together:
    // one of them confirms it, the other finds it confirmed.
    let first = mailed_links(&app, "u", 1).await.remove(0);
    app.age_last_mails(11).await;
    let res = app.sign_form("p", &[("name", "Some Signer"), ("email", "u0@example.org"), ("country", "DE")]).await;
    assert_eq!(res.status(), 303);
    let second = app.links(&app.mail_to("u0@example.org", 2).await).confirm.unwrap();
    assert_ne!(first, second);
    let answers = post_all(&app, &[first, second]).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert_eq!(answers.iter().filter(|(_, page)| receipt_in(page).is_some()).count(), 1);
    assert_eq!(app.confirmed("p").await, SIGNERS as i64 + 1);

    // One row among a burst cannot be opened (a byte of its sealed details
    // changed): it alone fails, with a page that tells nothing.
    let more = mailed_links(&app, "t", 11).await;
    let broken = app
        .query(|c| {
            use undersigned::db::schema::signatures as s;
            let (id, mut sealed): (i64, Vec<u8>) = s::table
                .filter(s::status.eq("pending"))
                .order(s::id.desc())
                .select((s::id, s::personal.assume_not_null()))
                .first(c)?;
            let last = sealed.len() - 1;
            sealed[last] ^= 1;
            diesel::update(s::table.find(id)).set(s::personal.eq(sealed)).execute(c)
        })
        .await;
    assert_eq!(broken, 1);
    let answers = post_all(&app, &more).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses[..10], [200; 10], "{statuses:?}");
    assert_eq!(statuses[10], 500, "the last signer's row is the broken one");
    assert!(answers[10].1.contains("Something went wrong") && !answers[10].1.contains("Some Signer"));
    assert_eq!(app.confirmed("p").await, SIGNERS as i64 + 11);
    assert_eq!(app.statuses("p").await.get("pending"), Some(&1));
    wait_for_size(&app, "p", SIGNERS as u64 + 11).await;
}
