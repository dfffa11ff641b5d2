//! The organisers' audit trail: every action recorded, and `audit verify`
//! finding a changed, removed, moved or cut-off record.

use std::process::Output;

use diesel::{ExpressionMethods, QueryDsl};

use undersigned::audit::{self, Verdict};
use undersigned::db::{self, audit::AuditRow};

use crate::helpers::{Admin, Backend, PASSWORD, TestApp, browser, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    every_dashboard_action_is_recorded_with_who_where_and_which_petition,
    commands_that_change_something_are_recorded_too,
    audit_verify_finds_changed_removed_moved_and_cut_off_records,
);

/// The trail, oldest first.
async fn trail(app: &TestApp) -> Vec<AuditRow> {
    app.query(|c| db::audit::after(c, 0, 10_000)).await
}

fn kinds(rows: &[AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.kind.as_str()).collect()
}

async fn verdict(app: &TestApp) -> Verdict {
    let key = audit::AuditKey::of(&app.state.keys);
    app.query(move |c| audit::verify(c, &key, None)).await
}

fn undersigned(app: &TestApp, args: &[&str], input: Option<&str>) -> Output {
    crate::cli::undersigned_with_input(app.database_url(), args, input.unwrap_or(""))
}

async fn every_dashboard_action_is_recorded_with_who_where_and_which_petition(backend: Backend) {
    let app = spawn_app(backend).await;
    let petition = app.create_petition("p").await;
    let organiser = app.add_organiser("ada@example.org").await;

    // A wrong password names the account (not what was typed); an unknown
    // account is named as such.
    let stranger = browser();
    assert_eq!(app.submit_login(&stranger, "ada@example.org", "not the password at all").await.status(), 401);
    assert_eq!(app.submit_login(&stranger, "nobody@example.org", PASSWORD).await.status(), 401);
    let client = browser();
    assert_eq!(app.submit_login(&client, "ada@example.org", PASSWORD).await.status(), 303);
    let admin = Admin::signed_in(client, &app);

    let csrf = admin.csrf("/admin/petitions/new").await;
    let created = [
        ("csrf_token", csrf.as_str()),
        ("slug", "q"),
        ("title", "Another petition"),
        ("goal", ""),
        ("closes_at", ""),
        ("body", "We ask."),
    ];
    assert_eq!(admin.post_form("/admin/petitions", &created).await.status(), 303);
    let q: i64 = app.query(|c| db::petitions::find_by_slug(c, "q")).await.unwrap().id;
    let edited = [("csrf_token", csrf.as_str()), ("title", "Another petition, edited"), ("body", "We ask.")];
    assert_eq!(admin.post_form("/admin/petitions/q/edit", &edited).await.status(), 303);
    for action in ["close", "open"] {
        let res = admin.post_form("/admin/petitions/q/state", &[("csrf_token", &csrf), ("action", action)]).await;
        assert_eq!(res.status(), 303, "{action}");
    }
    let path = "/admin/petitions/p/translations/fr";
    let translation = [("csrf_token", csrf.as_str()), ("action", "save"), ("title", "Titre"), ("body", "Texte.")];
    assert_eq!(admin.post_form(path, &translation).await.status(), 303);
    assert_eq!(admin.post_form(path, &[("csrf_token", &csrf), ("action", "remove")]).await.status(), 303);

    // An empty held list shows nobody: nothing to record. One held: recorded.
    assert_eq!(admin.get("/admin/petitions/p/held").await.status(), 200);
    let fields = [("name", "Held Person"), ("email", "held@example.com"), ("country", "KE")];
    let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    assert_eq!(app.post_sign_form("p", &fields).await.status(), 303);
    assert_eq!(admin.get("/admin/petitions/p/held").await.status(), 200);
    let review = [("csrf_token", csrf.as_str()), ("action", "discard"), ("which", "all")];
    assert_eq!(admin.post_form("/admin/petitions/p/held", &review).await.status(), 303);

    assert_eq!(admin.get("/admin/petitions/p/signatures.csv").await.status(), 200);
    assert_eq!(admin.get("/admin/petitions/p/totals.csv").await.status(), 200);
    assert_eq!(admin.post_form("/admin/logout", &[("csrf_token", &csrf)]).await.status(), 303);

    let rows = trail(&app).await;
    assert_eq!(
        kinds(&rows),
        [
            "sign_in_failed",
            "sign_in_failed",
            "sign_in",
            "petition_created",
            "petition_edited",
            "petition_closed",
            "petition_opened",
            "translation_saved",
            "translation_removed",
            "held_viewed",
            "held_reviewed",
            "export",
            "export",
            "sign_out",
        ]
    );
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), (1..=14).collect::<Vec<i64>>(), "no gaps");
    assert_eq!((rows[0].organiser_id, rows[0].actor.as_str()), (Some(organiser), "ada@example.org"));
    assert_eq!((rows[1].organiser_id, rows[1].actor.as_str()), (None, "unknown account"));
    for r in &rows[2..] {
        assert_eq!((r.organiser_id, r.actor.as_str()), (Some(organiser), "ada@example.org"), "{}", r.kind);
    }
    // One network (a keyed hash, not the address), the same for every record.
    let network = rows[0].network.clone().expect("a network");
    assert_eq!(network.len(), 32);
    assert!(rows.iter().all(|r| r.network.as_ref() == Some(&network)));
    let petitions: Vec<Option<i64>> = rows.iter().map(|r| r.petition_id).collect();
    let (p, q) = (Some(petition), Some(q));
    assert_eq!(petitions, [None, None, None, q, q, q, q, p, p, p, p, p, p, None]);
    assert_eq!(rows[7].detail, "fr");
    assert_eq!(rows[9].detail, "1 held signature(s) shown with names");
    assert_eq!(rows[10].detail, "discard 1 held signature(s): all held");
    assert!(rows[11].detail.starts_with("signatures.csv (export log "), "{}", rows[11].detail);
    assert!(rows[12].detail.starts_with("totals.csv (export log "), "{}", rows[12].detail);
    // Nothing a signer typed is in the trail.
    let everything = format!("{rows:?}");
    assert!(!everything.contains("held@example.com") && !everything.contains("Held Person"));
    assert!(!everything.contains("nobody@example.org"), "a typed unknown address is not kept");
    assert!(matches!(verdict(&app).await, Verdict::Intact { checked: 14, .. }));
}

async fn commands_that_change_something_are_recorded_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let ok = |out: Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let password = "a long enough passphrase\n";
    ok(undersigned(&app, &["organiser", "add", "bo@example.org", "--password-stdin"], Some(password)));
    ok(undersigned(&app, &["organiser", "passwd", "bo@example.org", "--password-stdin"], Some(password)));
    ok(undersigned(&app, &["token", "create", "--organiser", "bo@example.org", "--name", "nightly"], None));
    ok(undersigned(&app, &["token", "revoke", "1"], None));
    let body = std::env::temp_dir().join(format!("audit-body-{}.txt", std::process::id()));
    std::fs::write(&body, "We ask.").unwrap();
    let body = body.display().to_string();
    ok(undersigned(&app, &["petition", "create", "--slug", "c", "--title", "T", "--body-file", &body], None));
    ok(undersigned(&app, &["petition", "close", "c"], None));
    ok(undersigned(&app, &["export", "--totals", "c"], None));
    ok(undersigned(&app, &["organiser", "remove", "bo@example.org"], None));
    ok(undersigned(&app, &["outbox", "retry"], None));
    ok(undersigned(&app, &["keys", "rotate"], None));
    ok(undersigned(&app, &["keys", "retire"], None));
    let rows = trail(&app).await;
    assert_eq!(
        kinds(&rows),
        [
            "organiser_added",
            "password_changed",
            "token_created",
            "token_revoked",
            "petition_created",
            "petition_closed",
            "export",
            "organiser_removed",
            "outbox_retried",
            "keys_rotated",
            "keys_retired",
        ]
    );
    for r in &rows {
        assert_eq!((r.organiser_id, r.actor.as_str(), r.network.as_ref()), (None, "command line", None), "{}", r.kind);
    }
    assert!(rows[2].detail.contains("\"nightly\"") && rows[2].detail.contains("bo@example.org"), "{}", rows[2].detail);
    // A command that changes nothing records nothing.
    assert!(!undersigned(&app, &["token", "revoke", "1"], None).status.success());
    assert_eq!(trail(&app).await.len(), rows.len());

    let out = ok(undersigned(&app, &["audit", "verify"], None));
    assert!(out.contains("intact: 11 record(s) checked"), "{out}");
}

async fn audit_verify_finds_changed_removed_moved_and_cut_off_records(backend: Backend) {
    use undersigned::db::schema::audit_records as a;
    let app = spawn_app(backend).await;
    let verify = |since: Option<&str>| {
        let mut args = vec!["audit", "verify"];
        args.extend(since.map(|s| ["--since", s]).into_iter().flatten());
        let out = undersigned(&app, &args, None);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = verify(None);
    assert!(ok && out.contains("the audit trail is empty"), "{out}");
    // Five records, from signing in and out.
    app.add_organiser("ada@example.org").await;
    for _ in 0..2 {
        let client = browser();
        assert_eq!(app.submit_login(&client, "ada@example.org", PASSWORD).await.status(), 303);
    }
    let client = browser();
    assert_eq!(app.submit_login(&client, "ada@example.org", "wrong password here").await.status(), 401);
    for _ in 0..2 {
        let client = browser();
        assert_eq!(app.submit_login(&client, "ada@example.org", PASSWORD).await.status(), 303);
    }
    let (ok, out) = verify(None);
    assert!(ok && out.contains("intact: 5 record(s) checked"), "{out}");
    let head = out.lines().find(|l| l.starts_with("5:")).expect("the head is printed").to_owned();

    // Changed: a detail rewritten.
    let original = trail(&app).await;
    app.query(|c| diesel::RunQueryDsl::execute(diesel::update(a::table.find(3)).set(a::detail.eq("nothing")), c)).await;
    let (ok, out) = verify(None);
    assert!(!ok && out.contains("record 3 does not match its mac"), "{out}");
    restore(&app, &original).await;
    assert!(verify(None).0, "restored");

    // Removed from the middle.
    app.query(|c| diesel::RunQueryDsl::execute(diesel::delete(a::table.find(2)), c)).await;
    let (ok, out) = verify(None);
    assert!(!ok && out.contains("record 2 is missing (the next is 3)"), "{out}");
    restore(&app, &original).await;

    // Moved: two records swapped, ids and all but the mac.
    app.query(|c| {
        use diesel::RunQueryDsl;
        diesel::update(a::table.find(2)).set(a::id.eq(1000)).execute(c)?;
        diesel::update(a::table.find(4)).set(a::id.eq(2)).execute(c)?;
        diesel::update(a::table.find(1000)).set(a::id.eq(4)).execute(c)
    })
    .await;
    let (ok, out) = verify(None);
    assert!(!ok && out.contains("record 2 does not match its mac"), "{out}");
    restore(&app, &original).await;

    // Cut off at the end: the chain left is valid, but the saved head is gone.
    app.query(|c| diesel::RunQueryDsl::execute(diesel::delete(a::table.filter(a::id.ge(4))), c)).await;
    let (ok, out) = verify(None);
    assert!(ok && out.contains("intact: 3 record(s)"), "without a head, a shorter trail looks whole: {out}");
    let (ok, out) = verify(Some(&head));
    assert!(!ok && out.contains("the trail ends at record 3, before the saved head 5"), "{out}");
    restore(&app, &original).await;
    let (ok, out) = verify(Some(&head));
    assert!(ok && out.contains("intact: 5 record(s) checked"), "{out}");

    // With a head, what came before it is checked too.
    app.query(|c| diesel::RunQueryDsl::execute(diesel::update(a::table.find(1)).set(a::kind.eq("sign_out")), c)).await;
    let (ok, out) = verify(Some(&head));
    assert!(!ok && out.contains("record 1 does not match its mac"), "{out}");
    restore(&app, &original).await;

    // A record after the head, changed, is found.
    let recorder = audit::Recorder::command_line(&app.state.keys);
    recorder.record(&app.state.db, audit::Kind::PetitionClosed, None, "later").await.unwrap();
    app.query(|c| diesel::RunQueryDsl::execute(diesel::update(a::table.find(6)).set(a::detail.eq("other")), c)).await;
    let (ok, out) = verify(Some(&head));
    assert!(!ok && out.contains("record 6 does not match its mac"), "{out}");

    // A trail made anew, every mac right (by someone holding the key, or an
    // older copy restored): only the saved head tells.
    app.query(|c| diesel::RunQueryDsl::execute(diesel::delete(a::table), c)).await;
    for _ in 0..6 {
        recorder.record(&app.state.db, audit::Kind::SignOut, None, "").await.unwrap();
    }
    assert!(verify(None).0, "a valid chain");
    let (ok, out) = verify(Some(&head));
    assert!(!ok && out.contains("record 5, the saved head, is not as it was"), "{out}");

    // A head that is not one.
    let (ok, out) = verify(Some("5:zz"));
    assert!(!ok && out.contains("a head is ID:MAC"), "{out}");
}

/// Puts the trail back as it was.
async fn restore(app: &TestApp, rows: &[AuditRow]) {
    use undersigned::db::schema::audit_records as a;
    let rows = rows.to_vec();
    app.query(move |c| {
        diesel::RunQueryDsl::execute(diesel::delete(a::table), c)?;
        for row in &rows {
            db::audit::insert(c, row)?;
        }
        Ok(())
    })
    .await;
}
