//! The public pages.

use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    home_lists_open_petitions_with_counts,
    petition_page_has_everything_needed_to_sign,
    unknown_pages_are_friendly
);

async fn home_lists_open_petitions_with_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("open-one").await;
    app.create_petition("closed-one").await;
    let now = undersigned::now();
    app.query(move |c| undersigned::db::petitions::close(c, "closed-one", now)).await;
    app.refresh_counts().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(!csp.contains("unsafe-inline"));
    let html = res.text().await.unwrap();
    let (open, closed) = html.split_once("Closed petitions").expect("a closed section");
    assert!(open.contains(r#"<a href="/p/open-one" lang="en" dir="ltr">Petition open-one</a>"#));
    assert!(open.contains("<p class=\"count\">0 signatures of a goal of 100</p>"));
    assert!(!open.contains("closed-one"));
    assert!(closed.contains("closed-one"));
}

async fn petition_page_has_everything_needed_to_sign(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let html = app.get("/p/p").await.text().await.unwrap();
    assert!(html.contains("<p>First paragraph.</p>") && html.contains("<p>Second paragraph.</p>"));
    for control in [
        r#"<label for="name">"#,
        r#"<label for="email">"#,
        r#"<label for="country">"#,
        r#"<label for="postcode">"#,
        r#"<label for="keep_informed">"#,
        r#"<option value="TW">Taiwan</option>"#,
        r#"<option value="CH">Switzerland</option>"#,
        r#"name="website""#,
        r#"<progress class="goal" max="100" value="0""#,
        r#"<form method="post" action="/p/p/sign""#,
    ] {
        assert!(html.contains(control), "missing {control}");
    }
    assert!(!html.contains("<script"), "works without JavaScript");
    // The honeypot: a filled one is answered like any signature and stored nowhere.
    let res = app
        .sign_form("p", &[("name", "Bot"), ("email", "bot@example.com"), ("country", "GB"), ("website", "http://spam")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(app.statuses("p").await.is_empty());
    let css = app.get("/static/style.css").await;
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

async fn unknown_pages_are_friendly(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/p/nope", "/nothing/here", "/p/nope/check-email?lang=en"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("Page not found"));
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
    }
}
