//! The emailed links: looking changes nothing, POST acts, expiry, withdrawal.

use diesel::prelude::*;

use crate::helpers::{Backend, ada, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    get_and_head_of_links_change_nothing,
    expired_links_explain_and_lead_back,
    unknown_links_get_a_friendly_page,
    withdrawing_a_confirmed_signature_erases_it_and_uncounts_it,
    withdrawing_a_pending_signature_before_confirming,
    tokens_are_stored_only_as_hashes,
);

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
