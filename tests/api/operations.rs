//! What operators rely on: readiness, metrics, security headers, retention.

use std::process::Command;

use diesel::prelude::*;
use serde_json::json;
use undersigned::db::schema::{petitions as p, signatures as s};

use crate::helpers::{Backend, Smtp, TestApp, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    readiness_and_metrics_tell_how_things_stand,
    retention_deletes_expired_and_erases_closed_petitions,
    retention_runs_in_one_instance_at_a_time_once_a_day,
);

async fn retention_runs_in_one_instance_at_a_time_once_a_day(backend: Backend) {
    use undersigned::jobs::housekeeping::purge_once_across_instances;
    let app = spawn_app(backend).await;
    let (db, settings) = (app.state.db.clone(), undersigned::configuration::RetentionSettings::default());
    let week = std::time::Duration::from_secs(7 * 86_400);
    // The application's own housekeeping applies the rules once at start and
    // then not for ten minutes: wait for that first run, so that it cannot
    // take the lease in the middle of this test, then expire its lease.
    use undersigned::db::schema::job_leases as l;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let holders: Vec<String> = app.query(|c| l::table.select(l::holder).load(c)).await;
        if holders.iter().any(|h| h.ends_with(" (done)")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the application's first retention run: {holders:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let past = undersigned::now() - chrono::TimeDelta::seconds(1);
    app.query(move |c| diesel::update(l::table).set(l::until.eq(past)).execute(c)).await;
    let (a, b) = tokio::join!(
        purge_once_across_instances(&db, None, None, "instance-a", settings, week),
        purge_once_across_instances(&db, None, None, "instance-b", settings, week),
    );
    let ran = [a.unwrap().is_some(), b.unwrap().is_some()];
    assert_eq!(ran.iter().filter(|r| **r).count(), 1, "one of two instances at once: {ran:?}");
    for holder in ["instance-a", "instance-b", "instance-c"] {
        let again = purge_once_across_instances(&db, None, None, holder, settings, week).await.unwrap();
        assert!(again.is_none(), "{holder}: not again within the day");
    }
    // A day later (the lease expired), one runs again.
    let past = undersigned::now() - chrono::TimeDelta::seconds(1);
    app.query(move |c| diesel::update(l::table).set(l::until.eq(past)).execute(c)).await;
    assert!(purge_once_across_instances(&db, None, None, "instance-c", settings, week).await.unwrap().is_some());
}

async fn sign_and_confirm(app: &TestApp, email: &str, country: &str) {
    let res = app
        .sign_json("p", &json!({"name": "Ada Canary", "email": email, "country": country, "postcode": "N1 9GU"}))
        .await;
    assert_eq!(res.status(), 202);
    let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
    assert_eq!(app.post(&confirm).await.status(), 200);
}

async fn readiness_and_metrics_tell_how_things_stand(backend: Backend) {
    let app = spawn_app(backend).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
    app.create_petition("p").await;
    sign_and_confirm(&app, "ada@example.com", "GB").await;
    app.sign_json("p", &json!({"name": "B", "email": "b@example.com", "country": "GB"})).await;
    app.sign_json("p", &json!({"name": "", "email": "b@example.com", "country": "GB"})).await;
    app.wait_outbox_empty(std::time::Duration::from_secs(10)).await;

    let refused = app.get("/metrics").await;
    assert_eq!(refused.status(), 401, "no figures without the token");
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("not-the-metrics-token-0123456789abc").send().await;
    assert_eq!(wrong.unwrap().status(), 401);
    let res = app.metrics().await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    for line in [
        "undersigned_signatures{state=\"confirmed\"} 1",
        "undersigned_signatures{state=\"pending\"} 1",
        "undersigned_signatures{state=\"held\"} 0",
        "undersigned_confirmations_total 1",
        "undersigned_sign_requests_total{outcome=\"accepted\"} 2",
        "undersigned_sign_requests_total{outcome=\"invalid\"} 1",
        "undersigned_mails_sent_total{kind=\"confirmation\"} 2",
        "undersigned_outbox_depth 0",
        "undersigned_outbox_oldest_age_seconds 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    let by_route = |route: &str| format!("endpoint=\"{route}\"");
    for route in ["/s/{token}", "/api/v1/petitions/{slug}/signatures"] {
        assert!(
            text.lines().any(|l| l.starts_with("undersigned_http_requests_total{") && l.contains(&by_route(route))),
            "request count for {route}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("undersigned_http_requests_duration_seconds_bucket{")
                    && l.contains(&by_route(route))),
            "latency histogram for {route}"
        );
    }
    assert!(!text.contains("ada@example.com"));
    let token = app.links(&app.mail_to("ada@example.com", 1).await).confirm.unwrap();
    let token = token.rsplit('/').next().unwrap();
    assert!(!text.contains(token), "paths with tokens are reported by their pattern only");
}

fn purge(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .arg("purge")
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("KEY_FILE", app.key_file())
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn retention_deletes_expired_and_erases_closed_petitions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    sign_and_confirm(&app, "kept@example.com", "KE").await;
    for email in ["stale@example.com", "recent@example.com"] {
        app.sign_json("p", &json!({"name": "N", "email": email, "country": "KE"})).await;
    }
    app.wait_outbox_empty(std::time::Duration::from_secs(10)).await;
    // Links last 7 days and the grace is 7 days: a mail queued 15 days ago is past both.
    let long_ago = undersigned::now() - chrono::TimeDelta::days(15);
    let rows = app.opened().await;
    let stale = rows.iter().find(|r| r.email.as_deref() == Some("stale@example.com")).unwrap().id;
    app.query(move |c| diesel::update(s::table.find(stale)).set(s::last_mail_at.eq(long_ago)).execute(c)).await;
    // A signature held for review 15 days ago and never released goes too
    // (stored in the clear, as a database from before encryption holds it).
    let id = rows.iter().find(|r| r.email.as_deref() == Some("recent@example.com")).unwrap().petition_id;
    app.query(move |c| {
        diesel::insert_into(s::table)
            .values((
                s::petition_id.eq(id),
                s::email.eq("held@example.com"),
                s::name.eq("Held"),
                s::country.eq("KE"),
                s::status.eq("pending"),
                s::created_at.eq(long_ago),
                s::held_reason.eq("rate_limit"),
            ))
            .execute(c)
    })
    .await;
    let out = purge(&app, &[]);
    assert!(out.contains("2 unconfirmed signature(s) with expired links deleted"), "{out}");
    assert!(out.contains("no petition closed more than"), "{out}");
    let statuses = app.statuses("p").await;
    assert_eq!((statuses["confirmed"], statuses["pending"]), (1, 1));

    // Closed 91 days ago: past the default 90 days.
    let closed = undersigned::now() - chrono::TimeDelta::days(91);
    app.query(move |c| diesel::update(p::table).set((p::state.eq("closed"), p::closed_at.eq(closed))).execute(c)).await;
    assert!(purge(&app, &[("ERASE_AFTER_CLOSE", "never")]).contains("kept (ERASE_AFTER_CLOSE=never)"));
    let out = purge(&app, &[]);
    assert!(out.contains("p: personal data erased (2 signature(s); counts by country kept)"), "{out}");
    let stored = app.stored_signatures().await;
    assert_eq!(stored, [("confirmed".to_owned(), None, None, None)], "the unconfirmed one deleted, the rest anonymous");
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, 1, "the count stays");

    let admin = app.admin("org@example.org").await;
    let res = admin.get("/admin/petitions/p/signatures.csv").await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("erased"));
    assert_eq!(admin.get("/admin/petitions/p/delivery.zip").await.status(), 410);
    let totals = admin.get("/admin/petitions/p/totals.csv").await;
    assert_eq!(totals.status(), 200);
    assert!(totals.text().await.unwrap().contains("KE"));
    assert!(purge(&app, &[]).contains("no petition closed"), "erased once");
    let export = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(["export", "p"])
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("KEY_FILE", app.key_file())
        .output()
        .unwrap();
    assert!(!export.status.success());
    assert!(String::from_utf8_lossy(&export.stderr).contains("erased"));
    let csrf = admin.csrf("/admin/petitions/p").await;
    let reopen = admin.post_form("/admin/petitions/p/state", &[("csrf_token", &csrf), ("action", "open")]).await;
    assert_eq!(reopen.status(), 409, "an erased petition cannot take signatures again");
}

const PAGES: [&str; 8] =
    ["/", "/p/p", "/p/none", "/api/v1/petitions", "/healthz", "/static/style.css", "/admin/login", "/s/not-a-token"];

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    app.create_petition("p").await;
    for path in PAGES {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{path}: no script at all: {csp}");
        assert!(!csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "{path}: no HSTS over plain http");
    }
    drop(app);
    let app = spawn_app_with(Backend::Sqlite, Smtp::Running, &[("PUBLIC_URL", "https://sign.example.org")]).await;
    for path in PAGES {
        let res = app.get(path).await;
        let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
        assert!(hsts.starts_with("max-age=31536000"), "{path}: {hsts}");
    }
}
