//! The organisers' dashboard: lists, a petition's figures, managing petitions.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;

on_both_databases!(dashboard_shows_counts_chart_and_countries, petitions_are_created_edited_closed_and_reopened);

async fn dashboard_shows_counts_chart_and_countries(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for (i, country) in ["KE", "KE", "IN"].iter().enumerate() {
        let email = format!("p{i}@example.com");
        app.sign_json("p", &json!({"name": "N", "email": email, "country": country})).await;
        if i < 2 {
            let confirm = app.links(&app.mail_to(&email, 1).await).confirm.unwrap();
            app.post(&confirm).await;
        }
    }
    app.refresh_counts().await;
    let admin = app.admin("org@example.org").await;
    let index = admin.get("/admin").await.text().await.unwrap();
    assert!(
        index.contains(r#"<td class="n">2</td>"#) && index.contains(r#"<td class="n">1</td>"#),
        "confirmed and pending"
    );
    assert!(index.contains("2% of 100"), "goal progress");

    let page = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(page.contains("<tr><td>Kenya (KE)</td><td class=\"n\">2</td></tr>"));
    assert!(page.contains("<svg") && page.contains("role=\"img\""), "a chart drawn by the server");
    assert!(page.contains("<rect") && page.contains(": 2</title></rect>"), "a bar for today with 2");
    assert!(!page.contains("<script"), "readable without JavaScript");
    assert!(page.contains("Pending confirmation</th><td class=\"n\">1</td>"));
    for export in ["signatures.csv", "signatures.json", "signatures.ndjson", "totals.csv", "delivery.zip"] {
        assert!(page.contains(&format!("/admin/petitions/p/{export}")), "an export button for {export}");
    }
}

async fn petitions_are_created_edited_closed_and_reopened(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("org@example.org").await;
    let csrf = admin.csrf("/admin/petitions/new").await;
    let invalid = admin
        .post_form("/admin/petitions", &[("csrf_token", &csrf), ("slug", "Bad Slug"), ("title", ""), ("body", "x")])
        .await;
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("slug must be") && html.contains("title must be"));

    let res = admin
        .post_form(
            "/admin/petitions",
            &[
                ("csrf_token", &csrf),
                ("slug", "new-one"),
                ("title", "A new petition"),
                ("addressee", "UN Secretary-General"),
                ("goal", "1,000"),
                ("closes_at", "2099-12-31"),
                ("body", "We ask.\r\n\r\nPlease."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/petitions/new-one");
    let public: Value = app.get("/api/v1/petitions/new-one").await.json().await.unwrap();
    assert_eq!(public["goal"], 1000);
    assert_eq!(public["closes_at"], "2100-01-01T00:00:00+00:00");
    assert!(!app.get("/p/new-one").await.text().await.unwrap().contains("was changed on"));

    // Editing the text is recorded, and said on the public page.
    let edit = admin.get("/admin/petitions/new-one/edit").await.text().await.unwrap();
    assert!(edit.contains(r#"value="2099-12-31""#));
    let csrf = crate::helpers::csrf_in(&edit);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("title", "A new petition"),
        ("addressee", "UN Secretary-General"),
        ("goal", "1000"),
        ("closes_at", "2099-12-31"),
    ];
    let mut changed = fields.to_vec();
    changed.push(("body", "We ask, more clearly.\n\nPlease."));
    assert_eq!(admin.post_form("/admin/petitions/new-one/edit", &changed).await.status(), 303);
    let page = app.get("/p/new-one").await.text().await.unwrap();
    assert!(page.contains("We ask, more clearly.") && page.contains("The text of this petition was changed on"));
    let dashboard = admin.get("/admin/petitions/new-one").await.text().await.unwrap();
    assert!(dashboard.contains("The text was last changed on"));
    assert_eq!(dashboard.matches(": org@example.org</li>").count(), 2, "two revisions, by whom");
    // Changing only the goal is not a text change.
    let mut goal_only = fields.to_vec();
    goal_only[3] = ("goal", "2000");
    goal_only.push(("body", "We ask, more clearly.\n\nPlease."));
    admin.post_form("/admin/petitions/new-one/edit", &goal_only).await;
    let dashboard = admin.get("/admin/petitions/new-one").await.text().await.unwrap();
    assert_eq!(dashboard.matches(": org@example.org</li>").count(), 2);

    // Close and reopen.
    let csrf = admin.csrf("/admin/petitions/new-one").await;
    assert_eq!(
        admin.post_form("/admin/petitions/new-one/state", &[("csrf_token", &csrf), ("action", "close")]).await.status(),
        303
    );
    assert_eq!(app.get("/api/v1/petitions/new-one").await.json::<Value>().await.unwrap()["state"], "closed");
    let res = app.sign_json("new-one", &json!({"name": "A", "email": "a@example.com", "country": "GB"})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        admin.post_form("/admin/petitions/new-one/state", &[("csrf_token", &csrf), ("action", "close")]).await.status(),
        409
    );
    assert_eq!(
        admin.post_form("/admin/petitions/new-one/state", &[("csrf_token", &csrf), ("action", "open")]).await.status(),
        303
    );
    assert_eq!(app.get("/api/v1/petitions/new-one").await.json::<Value>().await.unwrap()["state"], "open");
    assert_eq!(
        app.sign_json("new-one", &json!({"name": "A", "email": "a@example.com", "country": "GB"})).await.status(),
        202
    );
    assert_eq!(
        admin.post_form("/admin/petitions/nope/state", &[("csrf_token", &csrf), ("action", "open")]).await.status(),
        404
    );

    // A petition whose closing date has passed is not reopened without a new one.
    use diesel::prelude::*;
    use undersigned::db::schema::petitions as p;
    let past = undersigned::now() - chrono::TimeDelta::hours(1);
    app.query(move |c| diesel::update(p::table).set((p::closes_at.eq(Some(past)), p::state.eq("closed"))).execute(c))
        .await;
    let res = admin.post_form("/admin/petitions/new-one/state", &[("csrf_token", &csrf), ("action", "open")]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("closing date has passed"));
}
