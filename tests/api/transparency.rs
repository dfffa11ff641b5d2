//! The signature transparency log: leaves for confirmations, cancelling
//! leaves for withdrawals, checkpoints that recount the public total,
//! tiles served as C2SP says, receipts.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use undersigned::db;
use undersigned::domain::Receipt;
use undersigned::tlog::merkle::verify_inclusion;
use undersigned::tlog::{Checkpoint, Hash, Leaf, bundle, leaf_hash};
use undersigned::transparency::{self, ReceiptOutcome};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    a_confirmation_becomes_a_leaf_and_the_checkpoint_recounts_the_public_total,
    a_withdrawal_appends_a_cancelling_leaf_and_the_recount_follows,
    tiles_are_immutable_and_cacheable_and_missing_ones_are_not_cached,
    a_receipt_from_the_thank_you_page_verifies_with_a_proof_that_holds,
    a_made_up_receipt_is_not_in_the_log_and_a_queued_one_is_told_apart,
    a_malformed_receipt_gets_the_form_again_with_the_message_at_the_field,
    a_withdrawn_signatures_receipt_shows_the_cancelling_leaf,
    the_petition_page_says_how_long_ago_the_log_was_checkpointed,
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

/// The log's verifier key, as the deployment publishes it (listed as soon
/// as the log exists: the list is read from the database).
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
    let page = app.get("/p/p").await.text().await.unwrap();
    assert!(
        page.contains("<p class=\"count\">3 signatures of a goal of 100</p>"),
        "the page's count is the recount too: {page}"
    );

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

    for missing in [
        "/log/p/tile/0/000.p/3",
        "/log/p/tile/0/000",
        "/log/p/tile/1/000.p/1",
        "/log/p/tile/0/1",
        "/log/p/tile/x",
        "/log/p/tile/entries/x001/x002/x003/x004/x005/x006/007.p/5",
    ] {
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

/// Posts the verify form of `slug` as a browser would (in `lang`).
async fn post_receipt(app: &TestApp, slug: &str, receipt: &str, lang: &str) -> (u16, String, String) {
    let res = app
        .client
        .post(app.url(&format!("/p/{slug}/verify")))
        .form(&[("receipt", receipt), ("lang", lang)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, cache, res.text().await.unwrap())
}

/// The number in the page's first `attr="N"`.
fn data(page: &str, attr: &str) -> Option<u64> {
    let marker = format!("{attr}=\"");
    let at = page.find(&marker)? + marker.len();
    page[at..].split('"').next()?.parse().ok()
}

/// The text of every element opened with `open` (up to the next `<`).
fn texts<'a>(page: &'a str, open: &str) -> Vec<&'a str> {
    page.match_indices(open).filter_map(|(at, _)| page[at + open.len()..].split('<').next()).collect()
}

fn hash_of(b64: &str) -> Hash {
    STANDARD.decode(b64).unwrap().try_into().unwrap()
}

/// What a result page shows of a receipt's leaf, parsed: (index, size,
/// root, proof, signed checkpoint); and checks that the proof holds with
/// the crate's verifier, for the leaf the log serves at that index, and
/// that the checkpoint shown is the one the log signed.
async fn shown_proof_holds(app: &TestApp, slug: &str, page: &str, receipt: &Receipt) -> (u64, u64) {
    let index = data(page, "data-index").expect("the page shows the leaf index");
    let size = data(page, "data-size").expect("the page shows the checkpoint's size");
    let root = hash_of(texts(page, "<code class=\"checkpoint-root\" dir=\"ltr\">")[0]);
    let proof: Vec<Hash> = texts(page, "<code class=\"proof-hash\">").into_iter().map(hash_of).collect();
    let note = texts(page, "<pre class=\"checkpoint-note\" dir=\"ltr\">")[0];
    let signed =
        Checkpoint::open(note.as_bytes(), &vkey(app, slug).await).expect("the note shown is signed by the log");
    assert_eq!((signed.size, signed.root), (size, root), "the size and root shown are the signed ones");
    let leaves = leaves(app, slug, size).await;
    let leaf = leaves[usize::try_from(index).unwrap()];
    assert!(matches!(leaf, Leaf::Confirmed { commitment, .. } if commitment == receipt.commitment().0));
    assert_eq!(verify_inclusion(index, size, &leaf_hash(&leaf.to_bytes()), &proof, &root), Ok(()));
    let mut bent = proof.clone();
    bent[0][0] ^= 1;
    assert!(verify_inclusion(index, size, &leaf_hash(&leaf.to_bytes()), &bent, &root).is_err(), "the check can fail");
    assert!(page.contains("class=\"rechecked\""), "the server says it re-checked the proof");
    (index, size)
}

async fn a_receipt_from_the_thank_you_page_verifies_with_a_proof_that_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    let thanks = sign_and_confirm(&app, "p", "b@example.com", "FR").await;
    sign_and_confirm(&app, "p", "c@example.com", "FR").await;
    wait_for_size(&app, "p", 3).await;
    let text = receipt_in(&thanks).unwrap();
    let receipt = Receipt::parse(&text).unwrap();

    let (status, cache, page) = post_receipt(&app, "p", &format!("  {text}\n"), "en").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(cache, "no-store");
    let (index, size) = shown_proof_holds(&app, "p", &page, &receipt).await;
    assert_eq!((index, size), (1, 3), "the second confirmation is leaf 1 of 3");
    assert_eq!(texts(&page, "<code class=\"proof-hash\">").len(), 2, "leaf 1 of 3 has two hashes to the root");
    assert!(page.contains("France (FR)"));
    assert!(page.contains("class=\"counted\"") && !page.contains("data-cancelled-by"));
    // How to check it without the server: the command with the log and its key.
    let key: serde_json::Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    let command = format!(
        "undersigned verify-receipt {}/log/p - --public-key {}",
        app.address,
        key["public_key"].as_str().unwrap()
    );
    assert!(page.contains(&command), "{page}");
    assert!(!page.contains(&text), "the receipt is not shown back");

    let (status, _, french) = post_receipt(&app, "p", &text, "fr").await;
    assert_eq!(status, 200);
    assert!(french.contains("Votre signature est dans le registre"), "{french}");
    assert_eq!(data(&french, "data-index"), Some(1));
}

async fn a_made_up_receipt_is_not_in_the_log_and_a_queued_one_is_told_apart(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.create_petition("p").await;
    sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    let cp = wait_for_size(&app, "p", 1).await;
    let made_up = Receipt::generate();
    let (status, cache, page) = post_receipt(&app, "p", &made_up.encode(), "en").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(cache, "no-store");
    assert!(page.contains("This receipt is not in the log"), "{page}");
    assert!(page.contains("class=\"not-in-log\""));
    assert_eq!(data(&page, "data-size"), Some(cp.size), "as of the latest checkpoint");
    assert!(!page.contains("data-index"));
    // The receipt of another petition is not in this one's log.
    app.create_petition("q").await;
    let other = sign_and_confirm(&app, "q", "b@example.com", "DE").await;
    wait_for_size(&app, "q", 1).await;
    let (_, _, page) = post_receipt(&app, "p", &receipt_in(&other).unwrap(), "en").await;
    assert!(page.contains("class=\"not-in-log\""), "{page}");

    // A confirmation still waiting to be appended is told apart from an
    // unknown receipt: checked in the transaction that queues it, which no
    // appender can have appended yet.
    let queued = Receipt::generate();
    let signer = app.state.keys.log().clone();
    let (commitment, check) = (queued.commitment().0, queued.clone());
    let outcome = app
        .query(move |c| {
            let today = undersigned::now();
            let leaf = db::tlog::NewPending {
                petition_id: id,
                signature_id: i64::MAX,
                country: "DE",
                day: today.date(),
                signed_at: today,
                commitment: &commitment,
            };
            db::tlog::queue_confirmed(c, &[leaf])?;
            transparency::check_receipt(c, id, &signer, &check)
        })
        .await;
    assert!(matches!(outcome, ReceiptOutcome::Queued { size: 1 }), "{outcome:?}");
    let signer = app.state.keys.log().clone();
    let outcome = app.snapshot(move |c| transparency::check_receipt(c, id, &signer, &made_up)).await;
    assert!(matches!(outcome, ReceiptOutcome::NotInLog { .. }), "{outcome:?}");
}

async fn a_malformed_receipt_gets_the_form_again_with_the_message_at_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let form = app.get("/p/p/verify").await;
    assert_eq!(form.status(), 200);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let form = form.text().await.unwrap();
    assert!(form.contains("<form method=\"post\" action=\"/p/p/verify\""), "{form}");
    assert!(form.contains("name=\"receipt\"") && !form.contains("<script"));
    assert_eq!(app.get("/p/nope/verify").await.status(), 404);

    let (status, cache, page) = post_receipt(&app, "p", "not-a-receipt", "en").await;
    assert_eq!(status, 422, "as the sign form answers a bad field");
    assert_eq!(cache, "no-store");
    let at_field = texts(&page, "<p class=\"error\" id=\"receipt-error\">");
    assert_eq!(at_field.len(), 1, "{page}");
    assert!(at_field[0].starts_with("A receipt is 43 letters"), "{}", at_field[0]);
    assert!(page.contains("value=\"not-a-receipt\"") && page.contains("aria-invalid=\"true\""));

    let (status, _, page) = post_receipt(&app, "p", "   ", "fr").await;
    assert_eq!(status, 422);
    assert_eq!(texts(&page, "<p class=\"error\" id=\"receipt-error\">"), ["Saisissez votre reçu"]);
    // 44 characters, or 43 that are not base64url, are not receipts either.
    for bad in [format!("{}A", Receipt::generate().encode()), "+".repeat(43)] {
        assert_eq!(post_receipt(&app, "p", &bad, "en").await.0, 422, "{bad}");
    }
}

async fn a_withdrawn_signatures_receipt_shows_the_cancelling_leaf(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let thanks = sign_and_confirm(&app, "p", "a@example.com", "DE").await;
    sign_and_confirm(&app, "p", "b@example.com", "FR").await;
    wait_for_size(&app, "p", 2).await;
    let withdraw = app.links(&app.mail_to("a@example.com", 1).await).withdraw;
    assert_eq!(app.post(&withdraw).await.status(), 200);
    wait_for_size(&app, "p", 3).await;
    let receipt = Receipt::parse(&receipt_in(&thanks).unwrap()).unwrap();
    let (status, _, page) = post_receipt(&app, "p", &receipt.encode(), "en").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(shown_proof_holds(&app, "p", &page, &receipt).await, (0, 3));
    assert_eq!(data(&page, "data-cancelled-by"), Some(2), "the withdrawal is leaf 2");
    assert!(page.contains("entry 2 cancels it") && !page.contains("class=\"counted\""), "{page}");
}

async fn the_petition_page_says_how_long_ago_the_log_was_checkpointed(backend: Backend) {
    use undersigned::db::schema::tlog_heads as hd;
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    wait_for_size(&app, "p", 0).await;
    // The log's latest checkpoint, signed three hours ago (nothing has been
    // appended since, so no round moves it).
    let then = undersigned::now() - chrono::TimeDelta::minutes(3 * 60 + 5);
    app.query(move |c| diesel::update(hd::table).set(hd::checkpoint_at.eq(then)).execute(c)).await;
    app.refresh_counts().await;
    let page = app.get("/p/p").await.text().await.unwrap();
    assert!(page.contains("Public log of signatures: last checkpoint 3 hours ago."), "{page}");
    assert!(page.contains("href=\"/p/p/verify?lang=en\"") && page.contains("href=\"/log/p/checkpoint\""));
    let page = app.get("/p/p?lang=es").await.text().await.unwrap();
    assert!(page.contains("último punto de control hace 3 horas"), "{page}");
}
