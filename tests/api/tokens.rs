//! API tokens: what an unknown token costs, expiry, revocation when the
//! password changes or the organiser goes; and the held-review page's record
//! in the export log.

use std::time::Duration;

use diesel::prelude::*;
use undersigned::auth::api_token::{USE_RECORDED_EVERY, authenticate};
use undersigned::db::{self, DatabaseUrl, Db, schema::api_tokens as t};
use undersigned::domain::ApiToken;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_databases;
use crate::process::command;

on_both_databases!(
    made_up_revoked_and_expired_tokens_cost_a_read_not_a_write,
    a_password_change_or_removal_revokes_the_organisers_tokens,
    tokens_expire_when_created_with_expires,
    viewing_held_signatures_is_recorded_in_the_export_log,
);

/// The command line on the app's database (it must succeed), off the async
/// workers; its standard output.
fn cli(app: &TestApp, args: &[&str], stdin: Option<&str>) -> impl Future<Output = String> + use<> {
    let url = app.database_url().to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    async move {
        tokio::task::spawn_blocking(move || {
            command(&url, &args.iter().map(String::as_str).collect::<Vec<_>>(), stdin.as_deref())
        })
        .await
        .unwrap()
    }
}

/// The status of a totals export with `token`.
async fn export_with(app: &TestApp, token: &str) -> u16 {
    let res = app.client.get(app.url("/admin/petitions/p/totals.csv")).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    res.bytes().await.unwrap();
    status
}

async fn add_token(app: &TestApp, organiser: i64, expires_at: Option<chrono::NaiveDateTime>) -> (i64, ApiToken) {
    let token = ApiToken::generate();
    let (hash, prefix) = (token.hash(), token.display_prefix());
    let id = app
        .query(move |c| {
            db::organisers::insert_token(c, organiser, "ci", &hash.0, &prefix, undersigned::now(), expires_at)
        })
        .await;
    (id, token)
}

async fn last_used(app: &TestApp, id: i64) -> Option<chrono::NaiveDateTime> {
    app.query(move |c| t::table.find(id).select(t::last_used_at).first(c)).await
}

async fn made_up_revoked_and_expired_tokens_cost_a_read_not_a_write(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let organiser = app.add_organiser("ada@example.org").await;
    let (live_id, live) = add_token(&app, organiser, None).await;
    let (revoked_id, revoked) = add_token(&app, organiser, None).await;
    app.query(move |c| db::organisers::revoke_token(c, revoked_id, undersigned::now())).await;
    let (_, expired) = add_token(&app, organiser, Some(undersigned::now() - chrono::TimeDelta::seconds(1))).await;

    // Over HTTP, each is refused like any unknown token.
    for token in [ApiToken::generate(), revoked.clone(), expired.clone()] {
        assert_eq!(export_with(&app, &token.reveal()).await, 401);
    }

    // A handle of its own on the same database, so that its write count is
    // only what token checks cost (the app's background jobs write too).
    let url = DatabaseUrl::parse(app.database_url()).unwrap();
    let db = tokio::task::spawn_blocking(move || Db::connect(&url, 2, Duration::from_secs(5)).unwrap()).await.unwrap();
    // Whole seconds: PostgreSQL keeps microseconds, the clock nanoseconds.
    let now = chrono::Timelike::with_nanosecond(&undersigned::now(), 0).unwrap();
    for _ in 0..200 {
        assert!(authenticate(&db, &ApiToken::generate(), now).await.unwrap().is_none());
    }
    assert!(authenticate(&db, &revoked, now).await.unwrap().is_none());
    assert!(authenticate(&db, &expired, now).await.unwrap().is_none());
    assert_eq!(db.writes(), 0, "made-up, revoked and expired tokens are looked up with reads only");

    // A live token records its use: once, then not again within the minute.
    let actor = authenticate(&db, &live, now).await.unwrap().expect("a live token is accepted");
    assert_eq!(actor.organiser_id, Some(organiser));
    assert_eq!(actor.description, "ada@example.org (API token \"ci\")");
    assert_eq!(db.writes(), 1);
    assert_eq!(last_used(&app, live_id).await, Some(now));
    for _ in 0..20 {
        assert!(authenticate(&db, &live, now + chrono::TimeDelta::seconds(30)).await.unwrap().is_some());
    }
    assert_eq!(db.writes(), 1, "a busy script does not write per request");
    let later = now + USE_RECORDED_EVERY;
    assert!(authenticate(&db, &live, later).await.unwrap().is_some());
    assert_eq!(db.writes(), 2);
    assert_eq!(last_used(&app, live_id).await, Some(later));

    // And over HTTP the live token works.
    assert_eq!(export_with(&app, &live.reveal()).await, 200);
}

async fn a_password_change_or_removal_revokes_the_organisers_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for who in ["ada@example.org", "bob@example.org"] {
        cli(&app, &["organiser", "add", who, "--password-stdin"], Some("correct horse battery staple\n")).await;
    }
    let token = |who: &'static str| cli(&app, &["token", "create", "--organiser", who, "--name", "nightly"], None);
    let ada = token("ada@example.org").await.trim().to_owned();
    let bob = token("bob@example.org").await.trim().to_owned();
    assert_eq!(export_with(&app, &ada).await, 200);
    assert_eq!(export_with(&app, &bob).await, 200);

    let out =
        cli(&app, &["organiser", "passwd", "ada@example.org", "--password-stdin"], Some("a brand new passphrase\n"))
            .await;
    assert!(out.contains("API tokens are revoked"), "{out}");
    assert_eq!(export_with(&app, &ada).await, 401, "a password change revokes the organiser's tokens");
    assert_eq!(export_with(&app, &bob).await, 200, "only theirs");
    let listing = cli(&app, &["token", "list"], None).await;
    let ada_row = listing.lines().find(|l| l.contains("ada@example.org")).unwrap();
    assert!(ada_row.ends_with("revoked"), "{listing}");

    cli(&app, &["organiser", "remove", "bob@example.org"], None).await;
    assert_eq!(export_with(&app, &bob).await, 401, "removing an organiser ends their tokens");
    let left: i64 = app.query(|c| t::table.filter(t::revoked_at.is_null()).count().get_result(c)).await;
    assert_eq!(left, 0);
}

async fn tokens_expire_when_created_with_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    cli(&app, &["organiser", "add", "ada@example.org", "--password-stdin"], Some("correct horse battery staple\n"))
        .await;
    let create = ["token", "create", "--organiser", "ada@example.org", "--name", "n"];
    let before = undersigned::now();
    let expiring = cli(&app, &[&create[..], &["--expires", "90d"]].concat(), None).await.trim().to_owned();
    let lasting = cli(&app, &create, None).await.trim().to_owned();
    assert_eq!(export_with(&app, &expiring).await, 200, "not yet expired");
    assert_eq!(export_with(&app, &lasting).await, 200);

    let expiries: Vec<Option<chrono::NaiveDateTime>> =
        app.query(|c| t::table.order(t::id).select(t::expires_at).load(c)).await;
    let first = expiries[0].expect("--expires sets an expiry");
    let ninety = chrono::TimeDelta::days(90);
    assert!(first >= before + ninety && first <= undersigned::now() + ninety, "{first}");
    assert_eq!(expiries[1], None, "no --expires: no expiry");
    let listing = cli(&app, &["token", "list"], None).await;
    assert!(listing.contains("EXPIRES"), "{listing}");
    assert!(listing.contains(&first.format("%Y-%m-%d %H:%M").to_string()), "{listing}");
    assert!(listing.contains("never"), "{listing}");

    // Its time passes: refused like an unknown token; the other still works.
    let past = undersigned::now() - chrono::TimeDelta::seconds(1);
    app.query(move |c| diesel::update(t::table.filter(t::id.eq(1))).set(t::expires_at.eq(past)).execute(c)).await;
    assert_eq!(export_with(&app, &expiring).await, 401);
    assert_eq!(export_with(&app, &lasting).await, 200);
    let listing = cli(&app, &["token", "list"], None).await;
    assert!(listing.lines().nth(1).unwrap().ends_with("expired"), "{listing}");

    // Bad durations are refused, with the reason.
    for bad in ["0s", "soon", "20000d"] {
        let url = app.database_url().to_owned();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
                .args(["token", "create", "--organiser", "ada@example.org", "--name", "x", "--expires", bad])
                .env_clear()
                .env("DATABASE_URL", url)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--expires"), "{bad}");
    }
}

async fn viewing_held_signatures_is_recorded_in_the_export_log(backend: Backend) {
    use undersigned::db::schema::export_log as l;
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let admin = app.admin("ada@example.org").await;
    let organiser: i64 =
        app.query(|c| db::organisers::find_by_email(c, "ada@example.org")).await.expect("the organiser").id;
    let logged = || {
        app.query(|c| {
            l::table
                .order(l::id)
                .select((l::petition_id, l::organiser_id, l::actor, l::what, l::rows_written, l::status))
                .load::<(i64, Option<i64>, String, String, Option<i64>, String)>(c)
        })
    };
    // Nothing held: no personal data shown, nothing recorded.
    assert_eq!(admin.get("/admin/petitions/p/held").await.status(), 200);
    assert!(logged().await.is_empty());

    // A form without its stamp is held for review.
    let fields = [("name", "Held Person"), ("email", "held@example.com"), ("country", "KE")];
    let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    assert_eq!(app.post_sign_form("p", &fields).await.status(), 303);
    let page = admin.get("/admin/petitions/p/held").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("held@example.com"), "the page shows the email");
    assert_eq!(
        logged().await,
        [(petition, Some(organiser), "ada@example.org".to_owned(), "held-view".to_owned(), Some(1), "complete".into())],
        "who, which petition, what and how many rows"
    );

    // The dashboard's export log lists it, labelled.
    let dashboard = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(dashboard.contains("Viewed held signatures (names and emails)"), "{dashboard}");
}
