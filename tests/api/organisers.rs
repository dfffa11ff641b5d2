//! Organisers: signing in and out, sessions, CSRF, throttling, API tokens.

use diesel::prelude::*;
use serde_json::Value;
use undersigned::auth::throttle::{self, AttemptKeys};
use undersigned::db;

use crate::helpers::{Backend, PASSWORD, browser, csrf_in, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    right_password_signs_in_wrong_and_unknown_get_the_same_answer,
    sessions_are_fresh_server_side_and_expire,
    state_changing_forms_need_their_csrf_token,
    failed_logins_are_throttled_without_locking_out_known_devices,
    parallel_guesses_stay_within_the_limits,
    cookies_are_host_prefixed_and_secure_over_https,
    a_password_change_ends_the_sessions,
    admin_pages_redirect_and_exports_answer_401_without_credentials,
    api_tokens_are_created_used_and_revoked,
);

async fn right_password_signs_in_wrong_and_unknown_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_organiser("ada@example.org").await;

    let page = |html: String| html.replace(&csrf_in(&html), "");
    let before = app.state.passwords.verifications();
    let wrong = app.submit_login(&browser(), "ada@example.org", "not the password at all").await;
    let unknown = app.submit_login(&browser(), "nobody@example.org", "not the password at all").await;
    assert_eq!(app.state.passwords.verifications() - before, 2, "an unknown email costs a hash verification too");
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown) = (page(wrong.text().await.unwrap()), page(unknown.text().await.unwrap()));
    assert!(wrong.contains("The email address or password is not correct."));
    assert_eq!(wrong.replace("ada@example.org", "X"), unknown.replace("nobody@example.org", "X"), "the same answer");

    let client = browser();
    let res = app.submit_login(&client, " ADA@example.org ", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin");
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("undersigned-session=")).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Max-Age"), "the cookie ends with the browser");
    let dashboard = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.unwrap().contains("ada@example.org"));
}

async fn sessions_are_fresh_server_side_and_expire(backend: Backend) {
    use undersigned::db::schema::sessions as s;
    let app = spawn_app(backend).await;
    let admin = app.admin("ada@example.org").await;
    // Only a hash of the session key is stored.
    let stored: Vec<Vec<u8>> = app.query(|c| s::table.select(s::key_hash).load(c)).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32);
    // Signing in again from the same browser replaces the session: a fresh id.
    assert_eq!(app.submit_login(&admin.client, "ada@example.org", PASSWORD).await.status(), 303);
    let renewed: Vec<Vec<u8>> = app.query(|c| s::table.select(s::key_hash).load(c)).await;
    assert_eq!(renewed.len(), 1);
    assert_ne!(renewed[0], stored[0], "a new session id on every login");
    assert_eq!(admin.get("/admin").await.status(), 200);

    // A second login gets a new session; the old one stays valid until it ends.
    let second = browser();
    app.submit_login(&second, "ada@example.org", PASSWORD).await;
    let keys: Vec<Vec<u8>> = app.query(|c| s::table.select(s::key_hash).load(c)).await;
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);

    // Logging out ends the session on the server.
    let csrf = admin.csrf("/admin").await;
    let res = admin.post_form("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.query(|c| s::table.count().get_result::<i64>(c)).await, 1);
    assert_eq!(admin.get("/admin").await.status(), 303);

    // Idle for 30 minutes: gone.
    app.query(|c| diesel::update(s::table).set(s::expires_at.eq(undersigned::now())).execute(c)).await;
    let res = second.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/login");

    // Active, but signed in 12 hours ago: gone too.
    let third = browser();
    app.submit_login(&third, "ada@example.org", PASSWORD).await;
    assert_eq!(third.get(app.url("/admin")).send().await.unwrap().status(), 200);
    let long_ago = undersigned::now() - chrono::TimeDelta::hours(12) - chrono::TimeDelta::seconds(1);
    app.query(move |c| diesel::update(s::table).set(s::created_at.eq(long_ago)).execute(c)).await;
    assert_eq!(third.get(app.url("/admin")).send().await.unwrap().status(), 303);
}

async fn state_changing_forms_need_their_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let admin = app.admin("ada@example.org").await;
    let fields = |csrf: &'static str| vec![("csrf_token", csrf), ("action", "close")];
    for form in [fields(""), fields("forged-token-forged-token-forged-token-forge")] {
        let res = admin.post_form("/admin/petitions/p/state", &form).await;
        assert_eq!(res.status(), 403);
    }
    let res = admin.post_form("/admin/petitions", &[("slug", "x"), ("title", "X"), ("body", "Y")]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(admin.post_form("/admin/logout", &[]).await.status(), 403);
    let edit = [("csrf_token", "wrong"), ("title", "Changed"), ("body", "Changed")];
    assert_eq!(admin.post_form("/admin/petitions/p/edit", &edit).await.status(), 403);
    assert_eq!(app.get("/api/v1/petitions/p").await.json::<Value>().await.unwrap()["title"], "Petition p");
    assert_eq!(app.get("/api/v1/petitions/p").await.json::<Value>().await.unwrap()["state"], "open");
    // With the token it works.
    let csrf = admin.csrf("/admin/petitions/p").await;
    assert_eq!(
        admin.post_form("/admin/petitions/p/state", &[("csrf_token", &csrf), ("action", "close")]).await.status(),
        303
    );
    assert_eq!(app.get("/api/v1/petitions/p").await.json::<Value>().await.unwrap()["state"], "closed");
    // The login form carries its own token (a cookie and a field that must match).
    let res = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", "ada@example.org"), ("password", PASSWORD), ("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

async fn failed_logins_are_throttled_without_locking_out_known_devices(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_organiser("ada@example.org").await;
    // Ada's own browser has signed in before, so it holds a device cookie.
    let ada = browser();
    assert_eq!(app.submit_login(&ada, "ada@example.org", PASSWORD).await.status(), 303);

    // Wrong passwords are recorded (under keyed hashes only).
    let stranger = browser();
    for _ in 0..3 {
        assert_eq!(app.submit_login(&stranger, "ada@example.org", "guess guess guess").await.status(), 401);
    }
    let recorded: i64 = app.query(|c| db::schema::login_failures::table.count().get_result(c)).await;
    assert_eq!(recorded, 3);

    // A stranger's failures pile up to the limit for clients without a device cookie.
    let keys = AttemptKeys::new(&app.state.keys, "ada@example.org", Some("10.9.8.7".parse().unwrap()), None);
    let now = undersigned::now();
    app.query(move |c| {
        for _ in 0..throttle::ACCOUNT_UNTRUSTED_LIMIT - 3 {
            db::organisers::record_failure(c, &keys.account, &keys.client, None, now)?;
        }
        Ok(())
    })
    .await;
    let refused = app.submit_login(&browser(), "ada@example.org", PASSWORD).await;
    assert_eq!(refused.status(), 429, "even the right password is not checked from an unknown browser");
    assert!(refused.headers().contains_key("retry-after"));
    let unknown = app.submit_login(&browser(), "nobody@example.org", "whatever whatever").await;
    assert_eq!(unknown.status(), 401, "other accounts are unaffected");

    // Ada, on her own browser, still gets in.
    let res = app.submit_login(&ada, "ada@example.org", PASSWORD).await;
    assert_eq!(res.status(), 303, "a stranger cannot lock the organiser out");

    // Never more than 100 failures an hour for one account, whoever tries.
    let total = AttemptKeys::new(&app.state.keys, "ada@example.org", Some("10.9.8.6".parse().unwrap()), Some("other"));
    app.query(move |c| {
        for _ in 0..throttle::ACCOUNT_LIMIT - throttle::ACCOUNT_UNTRUSTED_LIMIT {
            db::organisers::record_failure(
                c,
                &total.account,
                &total.client,
                total.device.as_ref().map(|d| &d[..]),
                now,
            )?;
        }
        Ok(())
    })
    .await;
    assert_eq!(app.submit_login(&ada, "ada@example.org", PASSWORD).await.status(), 429);

    // An hour later it is all forgotten.
    let hour_ago = now - chrono::TimeDelta::minutes(61);
    app.query(move |c| {
        diesel::update(db::schema::login_failures::table).set(db::schema::login_failures::at.eq(hour_ago)).execute(c)
    })
    .await;
    assert_eq!(app.submit_login(&browser(), "ada@example.org", PASSWORD).await.status(), 303);
}

async fn admin_pages_redirect_and_exports_answer_401_without_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for page in ["/admin", "/admin/petitions/p", "/admin/petitions/new", "/admin/petitions/p/edit"] {
        let res = app.get(page).await;
        assert_eq!(res.status(), 303, "{page}");
        assert_eq!(res.headers()["location"], "/admin/login");
    }
    for export in EXPORTS {
        let url = app.url(&export.replace("{slug}", "p"));
        for auth in [
            None,
            Some("Bearer nonsense"),
            Some("Bearer us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Some("Basic eDp5"),
        ] {
            let mut req = app.client.get(&url);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{export} with {auth:?}");
            assert_eq!(res.headers()["www-authenticate"], "Bearer");
            assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
        }
    }
    let logged: i64 = app.query(|c| db::schema::export_log::table.count().get_result(c)).await;
    assert_eq!(logged, 0, "refused exports are not exports");
}

/// Every export URL.
pub const EXPORTS: [&str; 7] = [
    "/admin/petitions/{slug}/signatures.csv",
    "/admin/petitions/{slug}/signatures.csv?contacts=1",
    "/admin/petitions/{slug}/signatures.json",
    "/admin/petitions/{slug}/signatures.ndjson",
    "/admin/petitions/{slug}/signatures.json?contacts=1",
    "/admin/petitions/{slug}/totals.csv",
    "/admin/petitions/{slug}/delivery.zip",
];

async fn api_tokens_are_created_used_and_revoked(backend: Backend) {
    use undersigned::domain::ApiToken;
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let organiser = app.add_organiser("ada@example.org").await;
    let token = ApiToken::generate();
    let (hash, prefix) = (token.hash(), token.display_prefix());
    let id = app
        .query(move |c| db::organisers::insert_token(c, organiser, "ci", &hash.0, &prefix, undersigned::now(), None))
        .await;
    app.insert_confirmed(petition, vec![("Ada".into(), "GB".into(), None, "a@example.com".into(), false)]).await;
    app.queue_for_log(petition).await;

    for export in EXPORTS {
        let res =
            app.client.get(app.url(&export.replace("{slug}", "p"))).bearer_auth(token.reveal()).send().await.unwrap();
        assert_eq!(res.status(), 200, "{export}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
        res.bytes().await.unwrap();
    }
    let (last_used, stored): (Option<chrono::NaiveDateTime>, Vec<u8>) = app
        .query(move |c| {
            db::schema::api_tokens::table
                .find(id)
                .select((db::schema::api_tokens::last_used_at, db::schema::api_tokens::token_hash))
                .first(c)
        })
        .await;
    assert!(last_used.is_some());
    assert_eq!(stored, token.hash().0.to_vec(), "stored as its hash");

    // A session works too, and the log says who did what.
    let admin = app.admin("grace@example.org").await;
    assert_eq!(admin.get("/admin/petitions/p/totals.csv").await.status(), 200);

    app.query(move |c| db::organisers::revoke_token(c, id, undersigned::now())).await;
    let res =
        app.client.get(app.url("/admin/petitions/p/totals.csv")).bearer_auth(token.reveal()).send().await.unwrap();
    assert_eq!(res.status(), 401, "a revoked token no longer works");
}

async fn parallel_guesses_stay_within_the_limits(backend: Backend) {
    // Many wrong passwords at once from one address: counting and recording
    // happen in one locked step, so no more than the limit are even checked.
    // The hasher's queue holds them all here, so that only throttling decides
    // (the queue has its own test in overload.rs).
    let app = crate::helpers::spawn_app_with(backend, crate::helpers::Smtp::Running, &[("LOGIN_QUEUE", "64")]).await;
    app.add_organiser("ada@example.org").await;
    let ada = browser();
    assert_eq!(app.submit_login(&ada, "ada@example.org", PASSWORD).await.status(), 303);
    let attempts = (0..40).map(|_| async {
        let stranger = browser();
        app.submit_login(&stranger, "ada@example.org", "wrong wrong wrong").await.status().as_u16()
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked as i64, throttle::CLIENT_LIMIT, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40 - checked);
    // Other organisers from that address are throttled too (it is one client)…
    app.add_organiser("bob@example.org").await;
    assert_eq!(app.submit_login(&browser(), "bob@example.org", PASSWORD).await.status(), 429);
    // …but Ada's own browser is not.
    assert_eq!(app.submit_login(&ada, "ada@example.org", PASSWORD).await.status(), 303);
}

async fn cookies_are_host_prefixed_and_secure_over_https(backend: Backend) {
    use crate::helpers::{Smtp, spawn_app_with};
    let app = spawn_app_with(backend, Smtp::Running, &[("PUBLIC_URL", "https://sign.example.org")]).await;
    app.add_organiser("ada@example.org").await;
    let cookies = |res: &reqwest::Response| -> Vec<String> {
        res.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).collect()
    };
    let form = app.client.get(app.url("/admin/login")).send().await.unwrap();
    let login_cookie =
        cookies(&form).into_iter().find(|c| c.starts_with("__Host-undersigned-login=")).expect("login cookie");
    assert!(login_cookie.contains("Secure") && login_cookie.contains("Path=/"));
    let csrf = csrf_in(&form.text().await.unwrap());
    let pair = login_cookie.split(';').next().unwrap().to_owned();
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("cookie", pair)
        .form(&[("email", "ada@example.org"), ("password", PASSWORD), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set = cookies(&res);
    for name in ["__Host-undersigned-session=", "__Host-undersigned-device="] {
        let cookie = set.iter().find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("{name} in {set:?}"));
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        assert!(!cookie.contains("Domain="), "__Host- cookies have no Domain");
    }
}

async fn a_password_change_ends_the_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada@example.org").await;
    assert_eq!(admin.get("/admin").await.status(), 200);
    app.query(|c| db::organisers::set_password(c, "ada@example.org", "new-hash", undersigned::now())).await;
    assert_eq!(admin.get("/admin").await.status(), 303);
    // Removing an organiser does too, with their tokens.
    let again = app.admin("bob@example.org").await;
    app.query(|c| db::organisers::remove(c, "bob@example.org")).await;
    assert_eq!(again.get("/admin").await.status(), 303);
}
