//! The read side of the JSON API.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    lists_and_shows_petitions_with_counts_by_country,
    unknown_api_paths_answer_json,
    counts_never_go_down_while_events_are_folded,
);

async fn lists_and_shows_petitions_with_counts_by_country(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("first").await;
    app.create_petition("second").await;
    let people = [("a@example.com", "FR"), ("b@example.com", "FR"), ("c@example.com", "JP")];
    for (i, (email, country)) in people.iter().enumerate() {
        app.sign_json("first", &json!({"name": "N", "email": email, "country": country})).await;
        let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
        app.post(&confirm).await;
        assert_eq!(app.confirmed("first").await, i as i64 + 1);
    }
    app.refresh_counts().await;

    let res = app.get("/api/v1/petitions").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=1");
    let body: Value = res.json().await.unwrap();
    let list = body["petitions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = list.iter().find(|p| p["slug"] == "first").unwrap();
    assert_eq!(
        first,
        &json!({
            "slug": "first",
            "title": "Petition first",
            "addressee": null,
            "state": "open",
            "goal": 100,
            "closes_at": null,
            "signature_count": 3,
            "by_country": {"FR": 2, "JP": 1},
        })
    );
    let one: Value = app.get("/api/v1/petitions/first").await.json().await.unwrap();
    assert_eq!(&one, first);

    let now = undersigned::now();
    app.query(move |c| undersigned::db::petitions::close(c, "second", now)).await;
    app.refresh_counts().await;
    let second: Value = app.get("/api/v1/petitions/second").await.json().await.unwrap();
    assert_eq!(second["state"], "closed");
    assert_eq!(second["signature_count"], 0);
}

async fn unknown_api_paths_answer_json(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/api/v1/petitions/nope", "/api/v1/nothing-here"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    let res = app.client.delete(app.url("/api/v1/petitions")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "method_not_allowed");
}

async fn counts_never_go_down_while_events_are_folded(backend: Backend) {
    // Confirmations keep arriving and being folded while counts are read:
    // every read must see each confirmation exactly once.
    use undersigned::db;
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let writer_db = app.state.db.clone();
    let writer = actix_web::rt::spawn(async move {
        for i in 0..400 {
            writer_db
                .write(move |c| db::counts::record_confirmed(c, petition, "FR", undersigned::now().date(), 1))
                .await
                .unwrap();
            if i % 7 == 0 {
                writer_db.write(|c| db::counts::fold(c, 1_000)).await.unwrap();
            }
        }
    });
    let mut last = 0;
    while !writer.is_finished() {
        let total: i64 =
            app.state.db.snapshot(move |c| db::counts::for_petition(c, petition)).await.unwrap().values().sum();
        assert!(total >= last, "count went down from {last} to {total}");
        last = total;
    }
    writer.await.unwrap();
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, 400);
}
