//! The signature transparency log: leaves for confirmations, cancelling
//! leaves for withdrawals, checkpoints that recount the public total,
//! tiles served as C2SP says, receipts.

use std::time::{Duration, Instant};

use base64::Engine;
use undersigned::db;
use undersigned::tlog::{Checkpoint, Leaf, bundle};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    a_confirmation_becomes_a_leaf_and_the_checkpoint_recounts_the_public_total,
    a_withdrawal_appends_a_cancelling_leaf_and_the_recount_follows,
    tiles_are_immutable_and_cacheable_and_missing_ones_are_not_cached,
);

/// Signs `email` on `slug` and confirms it through its mailed link; returns
/// the thank-you page.
pub async fn sign_and_confirm(app: &TestApp, slug: &str, email: &str, country: &str) -> String {
    let res = app.sign_form(slug, &[("name", "A Signer"), ("email", email), ("country", country)]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
    let res = app.post(&confirm).await;
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The log's verifier key, as the deployment publishes it.
pub async fn vkey(app: &TestApp, slug: &str) -> String {
    let keys: serde_json::Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    let log = keys["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["slug"] == slug)
        .unwrap_or_else(|| panic!("the log of {slug} in {keys}"));
    log["verifier_key"].as_str().unwrap().to_owned()
}

/// The latest checkpoint, opened with the published key.
pub async fn checkpoint(app: &TestApp, slug: &str) -> Checkpoint {
    let note = app.get(&format!("/log/{slug}/checkpoint")).await.text().await.unwrap();
    Checkpoint::open(note.as_bytes(), &vkey(app, slug).await).expect("a checkpoint signed with the log key")
}

/// Waits until the log of `slug` has `size` leaves (the promised delay is
/// a few seconds; tests append every 100 ms).
pub async fn wait_for_size(app: &TestApp, slug: &str, size: u64) -> Checkpoint {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if app.get(&format!("/log/{slug}/checkpoint")).await.status() == 200 {
            let cp = checkpoint(app, slug).await;
            if cp.size >= size {
                return cp;
            }
        }
        assert!(Instant::now() < deadline, "the log of {slug} did not reach {size} leaves within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The leaves of a log of `size` leaves, read from its entry bundles.
pub async fn leaves(app: &TestApp, slug: &str, size: u64) -> Vec<Leaf> {
    let mut out = Vec::new();
    for path in undersigned::tlog::paths::entry_bundles(size) {
        let res = app.get(&format!("/log/{slug}/{}", path.path())).await;
        assert_eq!(res.status(), 200, "{}", path.path());
        let bytes = res.bytes().await.unwrap();
        for entry in bundle::decode(&bytes, usize::from(path.width())).unwrap() {
            out.push(Leaf::parse(entry).unwrap());
        }
    }
    out
}

async fn a_confirmation_becomes_a_leaf_and_the_checkpoint_recounts_the_public_total(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let thanks = sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    sign_and_confirm(&app, "p", "b@example.com", "FR").await;
    sign_and_confirm(&app, "p", "c@example.com", "FR").await;
    let started = Instant::now();
    let cp = wait_for_size(&app, "p", 3).await;
    assert!(started.elapsed() < Duration::from_secs(5), "leaves trail confirmations by seconds at most");
    assert_eq!(cp.origin, format!("{}/p/p", app.address.trim_start_matches("http://")));
    assert_eq!(cp.totals.total, 3);
    assert_eq!(cp.totals.by_country.get("FR"), Some(&2));
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, cp.totals.total, "the public count equals the log's recount");

    let leaves = leaves(&app, "p", cp.size).await;
    assert_eq!(leaves.len(), 3);
    let today = chrono::Utc::now().date_naive();
    let text = undersigned::tlog::text_hash("Petition p", None, "First paragraph.\n\nSecond paragraph.");
    for leaf in &leaves {
        let Leaf::Confirmed { day, text: t, .. } = leaf else { panic!("{leaf:?}") };
        assert_eq!(*day, today);
        assert_eq!(*t, text, "each leaf carries the hash of the text signed");
    }
    // The receipt shown once is the secret behind the first leaf.
    let receipt = receipt_in(&thanks).expect("the thank-you page shows a receipt");
    let receipt = undersigned::domain::Receipt::parse(&receipt).unwrap();
    assert!(matches!(leaves[0], Leaf::Confirmed { commitment, .. } if commitment == receipt.commitment().0));
    // Nothing about the person is in the leaves.
    for leaf in &leaves {
        let bytes = leaf.to_bytes();
        assert!(!bytes.windows(9).any(|w| w == b"A Signer".as_slice() || w.starts_with(b"@example")));
    }
}

/// The receipt on a thank-you page.
pub fn receipt_in(page: &str) -> Option<String> {
    let marker = "<code class=\"receipt-code\">";
    let at = page.find(marker)? + marker.len();
    Some(page[at..].split('<').next()?.to_owned())
}

async fn a_withdrawal_appends_a_cancelling_leaf_and_the_recount_follows(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    sign_and_confirm(&app, "p", "b@example.com", "FR").await;
    wait_for_size(&app, "p", 2).await;
    let withdraw = app.links(&app.mail_to("a@example.com", 1).await).withdraw;
    assert_eq!(app.post(&withdraw).await.status(), 200);
    let cp = wait_for_size(&app, "p", 3).await;
    assert_eq!(cp.totals.total, 1);
    assert_eq!(cp.totals.by_country.get("DE"), None);
    let leaves = leaves(&app, "p", 3).await;
    assert_eq!(leaves[2], Leaf::Withdrawn { cancels: 0 });
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, 1);
    // The withdrawn signer's leaf no longer names their signature.
    let linked = app
        .query(|c| {
            let id = db::petitions::find_by_slug(c, "p")?.unwrap().id;
            db::tlog::linked_leaves(c, id)
        })
        .await;
    assert_eq!(linked, 1, "only the signature still counted is linked");
}

async fn tiles_are_immutable_and_cacheable_and_missing_ones_are_not_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    wait_for_size(&app, "p", 1).await;
    let first = app.get("/log/p/tile/0/000.p/1").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(first.headers()["content-type"], "application/octet-stream");
    let first = first.bytes().await.unwrap();
    assert_eq!(first.len(), 32);
    let checkpoint = app.get("/log/p/checkpoint").await;
    assert_eq!(checkpoint.headers()["cache-control"], "no-cache");
    assert_eq!(checkpoint.headers()["content-type"], "text/plain; charset=utf-8");

    sign_and_confirm(&app, "p", "b@example.com", "DE").await;
    wait_for_size(&app, "p", 2).await;
    assert_eq!(app.get("/log/p/tile/0/000.p/1").await.bytes().await.unwrap(), first, "a tile never changes");
    let two = app.get("/log/p/tile/0/000.p/2").await.bytes().await.unwrap();
    assert_eq!(&two[..32], &first[..]);

    for missing in
        ["/log/p/tile/0/000.p/3", "/log/p/tile/0/000", "/log/p/tile/1/000.p/1", "/log/p/tile/0/1", "/log/p/tile/x"]
    {
        let res = app.get(missing).await;
        assert_eq!(res.status(), 404, "{missing}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{missing}");
    }
    let list: serde_json::Value = app.get("/log/p/checkpoints").await.json().await.unwrap();
    let sizes: Vec<i64> = list["checkpoints"].as_array().unwrap().iter().map(|c| c["size"].as_i64().unwrap()).collect();
    assert_eq!(sizes.first(), Some(&0));
    assert_eq!(sizes.last(), Some(&2));
    assert!(sizes.windows(2).all(|w| w[0] < w[1]));
    let key: serde_json::Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    let delivery: serde_json::Value = app.get("/api/v1/delivery-key").await.json().await.unwrap();
    assert_ne!(key["public_key"], delivery["public_key"], "the log key is not the delivery key");
    assert_eq!(
        base64::engine::general_purpose::STANDARD.decode(key["public_key"].as_str().unwrap()).unwrap().len(),
        32
    );
}
