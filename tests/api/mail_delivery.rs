//! Mail goes out through SMTP without holding up signing, and is never lost.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, Smtp, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    smtp_down_at_signing_then_up_delivers_everything,
    smtp_refusing_temporarily_is_retried,
    smtp_refusing_permanently_is_retried_too,
    failed_mail_can_be_queued_again,
    mail_is_multipart_and_carries_no_tracking,
    without_smtp_url_mail_is_written_to_files,
    mail_files_are_private_and_leave_with_the_signature,
    mail_files_leave_when_erased_or_expired,
    an_instance_with_mail_worker_off_queues_mail_for_one_that_sends,
    a_claim_is_renewed_only_by_the_worker_holding_it,
    message_ids_and_the_greeting_name_the_public_host_not_the_machine,
);

/// Signers `s{i}@example.com`, each answered 202 without waiting for SMTP.
async fn sign_while_smtp_is_down(app: &crate::helpers::TestApp, signers: std::ops::Range<usize>) {
    for i in signers {
        let started = Instant::now();
        let res = app
            .sign_json(
                "p",
                &json!({"name": format!("Signer {i}"), "email": format!("s{i}@example.com"), "country": "KE"}),
            )
            .await;
        assert_eq!(res.status(), 202);
        assert!(started.elapsed() < Duration::from_secs(2), "signing does not wait for SMTP");
    }
}

async fn smtp_down_at_signing_then_up_delivers_everything(backend: Backend) {
    use diesel::prelude::*;
    use undersigned::db::schema::outbox as o;
    let mut app = spawn_app_with(backend, Smtp::Down, &[]).await;
    app.create_petition("p").await;
    sign_while_smtp_is_down(&app, 0..5).await;
    // The worker tries, fails, and keeps every mail for another attempt;
    // then, as the relay cannot be reached, it takes no more mail (asking
    // the relay instead) rather than claim and reschedule each new one.
    let deadline = Instant::now() + Duration::from_secs(10);
    let attempts = loop {
        let tried: Vec<(i32, Option<String>)> =
            app.query(|c| o::table.select((o::attempts, o::last_error)).load(c)).await;
        assert_eq!(tried.len(), 5);
        if tried.iter().any(|(attempts, error)| *attempts >= 1 && error.as_deref() == Some("SMTP connection failed")) {
            break tried.iter().map(|t| t.0).sum::<i32>();
        }
        assert!(Instant::now() < deadline, "worker did not try: {tried:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    sign_while_smtp_is_down(&app, 5..10).await;
    // Retries are due every 50–300 ms here: a churning worker would claim
    // each mail several times in this second.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later: Vec<i32> = app.query(|c| o::table.select(o::attempts).load(c)).await;
    assert_eq!(later.len(), 10, "every mail is kept");
    assert!(
        later.iter().sum::<i32>() <= attempts + 1,
        "no mail taken while the relay is unreachable: {attempts} attempts, then {later:?}"
    );

    app.start_smtp();
    app.wait_outbox_empty(Duration::from_secs(15)).await;
    let mails = app.sink().received();
    assert_eq!(mails.len(), 10);
    // Tokens of the failed attempts were never received, and are not kept.
    let tokens: i64 = app.query(|c| undersigned::db::schema::signature_tokens::table.count().get_result(c)).await;
    assert_eq!(tokens, 10);
    for i in 0..10 {
        assert_eq!(app.sink().received_by(&format!("s{i}@example.com")).len(), 1);
    }
    // Every delivered link works.
    for mail in mails {
        let confirm = app.links(&mail).confirm.unwrap();
        assert_eq!(app.post(&confirm).await.status(), 200);
    }
    assert_eq!(app.confirmed("p").await, 10);
}

async fn smtp_refusing_temporarily_is_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sink().refuse_next(3);
    for i in 0..2 {
        app.sign_json("p", &json!({"name": "N", "email": format!("r{i}@example.com"), "country": "IN"})).await;
    }
    app.wait_outbox_empty(Duration::from_secs(15)).await;
    assert_eq!(app.sink().received().len(), 2, "each mail delivered exactly once");
}

async fn mail_is_multipart_and_carries_no_tracking(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sign_json("p", &json!({"name": "Ada <b>Lovelace</b>", "email": "ada@example.com", "country": "GB"})).await;
    let mail = app.mail_to("ada@example.com", 1).await;
    let parsed = mail.parsed();
    assert_eq!(parsed.from().unwrap().first().unwrap().address().unwrap(), "campaign@example.org");
    assert!(parsed.message_id().is_some());
    let (text, html) = (mail.text(), mail.html());
    assert!(text.contains("Ada <b>Lovelace</b>"));
    assert!(!html.contains("<b>Lovelace</b>"), "names are escaped in HTML");
    assert!(!html.contains("<img") && !html.contains("<script"), "no tracking, no script");
    let links = app.links(&mail);
    assert!(html.contains(&app.url(&links.confirm.unwrap())));
    assert!(html.contains(&app.url(&links.withdraw)));
    assert!(text.contains("7 days"));
}

async fn without_smtp_url_mail_is_written_to_files(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app =
        spawn_app_with(backend, Smtp::Running, &[("SMTP_URL", ""), ("OUTBOX_DIR", outbox.to_str().unwrap())]).await;
    app.create_petition("p").await;
    app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "GB"})).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("To: \"Ada\" <ada@example.com>") || raw.contains("To: Ada <ada@example.com>"), "{raw}");
    assert!(app.sink().received().is_empty());
}

/// The mail files of an outbox directory.
fn mail_files(outbox: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(outbox).unwrap().map(|e| e.unwrap().path()).collect()
}

async fn file_outbox(backend: Backend, outbox: &std::path::Path) -> crate::helpers::TestApp {
    let app =
        spawn_app_with(backend, Smtp::Running, &[("SMTP_URL", ""), ("OUTBOX_DIR", outbox.to_str().unwrap())]).await;
    app.create_petition("p").await;
    app
}

/// The confirmation and withdraw paths in a mail file.
fn links_in(file: &std::path::Path) -> (String, String) {
    let raw = std::fs::read(file).unwrap();
    let mail = crate::smtp::ReceivedMail { to: Vec::new(), raw, helo: String::new() };
    let links = mail.links();
    let path = |l: &String| format!("/s/{}", l.split("/s/").nth(1).unwrap());
    let withdraw = links.iter().find(|l| l.ends_with("/withdraw")).map(path).unwrap();
    let confirm = links.iter().find(|l| l.contains("/s/") && !l.ends_with("/withdraw")).map(path).unwrap();
    (confirm, withdraw)
}

async fn mail_files_are_private_and_leave_with_the_signature(backend: Backend) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app = file_outbox(backend, &outbox).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&outbox), 0o700, "only the owner may list the directory");
    app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "GB"})).await;
    app.sign_json("p", &json!({"name": "Bea", "email": "bea@example.com", "country": "GB"})).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let files = mail_files(&outbox);
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| mode(f) == 0o600), "only the owner may read a mail");
    let ada = files.iter().find(|f| std::fs::read_to_string(f).unwrap().contains("ada@example.com")).unwrap();
    let (_, withdraw) = links_in(ada);
    assert_eq!(app.post(&withdraw).await.status(), 200);
    let left = mail_files(&outbox);
    assert_eq!(left.len(), 1, "the withdrawn signature's mail is gone at once");
    assert!(std::fs::read_to_string(&left[0]).unwrap().contains("bea@example.com"));
}

async fn mail_files_leave_when_erased_or_expired(backend: Backend) {
    use undersigned::configuration::RetentionSettings;
    use undersigned::jobs::housekeeping::{purge, sweep_mail_files};
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app = file_outbox(backend, &outbox).await;
    let (db, files, ttl) = (&app.state.db, app.state.mail_files.as_ref(), app.state.confirmation_ttl);
    app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "GB"})).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let (confirm, _) = links_in(&mail_files(&outbox)[0]);
    assert_eq!(app.post(&confirm).await.status(), 200);
    // A file younger than its links, of a signature that holds its data, stays.
    assert_eq!(sweep_mail_files(db, files.unwrap(), ttl).await.unwrap(), 0);
    assert_eq!(mail_files(&outbox).len(), 1);

    // Older than the links in it: deleted.
    app.create_petition("q").await;
    app.sign_json("q", &json!({"name": "Old", "email": "old@example.com", "country": "GB"})).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    let old = mail_files(&outbox).into_iter().find(|f| std::fs::read_to_string(f).unwrap().contains("old@")).unwrap();
    let written_long_ago = std::time::SystemTime::now() - ttl - Duration::from_secs(1);
    std::fs::File::options().write(true).open(&old).unwrap().set_modified(written_long_ago).unwrap();
    assert_eq!(sweep_mail_files(db, files.unwrap(), ttl).await.unwrap(), 1);
    assert!(!old.exists());
    assert_eq!(mail_files(&outbox).len(), 1);

    // Erased by retention once the petition is closed: its files go with it.
    app.query(|c| undersigned::db::petitions::close(c, "p", undersigned::now() - chrono::TimeDelta::days(1))).await;
    let retention = RetentionSettings { erase_after_close: Some(Duration::ZERO), ..RetentionSettings::default() };
    let report = purge(db, None, files, retention, ttl).await.unwrap();
    assert_eq!(report.erased.len(), 1);
    assert_eq!(report.mail_files_deleted, 1);
    assert!(mail_files(&outbox).is_empty());
}

async fn smtp_refusing_permanently_is_retried_too(backend: Backend) {
    // A 5xx from a misconfigured relay must not lose the mail queued meanwhile.
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.sink().reject_next(4);
    app.sign_json("p", &json!({"name": "N", "email": "x@example.com", "country": "BR"})).await;
    app.wait_outbox_empty(Duration::from_secs(15)).await;
    assert_eq!(app.sink().received_by("x@example.com").len(), 1);
}

async fn failed_mail_can_be_queued_again(backend: Backend) {
    use diesel::prelude::*;
    use undersigned::db::{outbox, schema::outbox as o};
    let mut app = spawn_app_with(backend, Smtp::Down, &[]).await;
    app.create_petition("p").await;
    app.sign_json("p", &json!({"name": "N", "email": "late@example.com", "country": "BR"})).await;
    // As if SMTP had been down for longer than links last: the worker gave up.
    // Marked while no send is in flight (a claimed mail is locked), so that
    // no attempt started earlier can still deliver it.
    let now = undersigned::now();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .query(move |c| {
            let idle = o::locked_until.is_null().or(o::locked_until.le(undersigned::now()));
            diesel::update(o::table.filter(idle)).set(o::failed_at.eq(now)).execute(c)
        })
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "the worker released its claim");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = app.query(outbox::status).await;
    assert_eq!((status.waiting, status.failed), (0, 1));
    app.start_smtp();
    assert_eq!(app.query(move |c| outbox::requeue_failed(c, now)).await, 1);
    app.wait_outbox_empty(Duration::from_secs(15)).await;
    assert_eq!(app.sink().received_by("late@example.com").len(), 1);
}

async fn an_instance_with_mail_worker_off_queues_mail_for_one_that_sends(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("MAIL_WORKER", "off")]).await;
    app.create_petition("p").await;
    let res = app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "KE"})).await;
    assert_eq!(res.status(), 202, "signing does not need a mail worker");
    // A worker would have sent it within milliseconds (it is woken at once).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.outbox_pending().await, 1, "the mail is queued");
    assert!(app.sink().received().is_empty(), "and not sent by this instance");

    // A second instance on the same database, with the worker on, sends it.
    let (_, handle) = app.second_instance(&[]).await;
    let mail = app.mail_to("ada@example.com", 1).await;
    let links = app.links(&mail);
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    // Its link works on the instance that took the signature.
    let confirm = links.confirm.expect("a confirmation link");
    assert_eq!(app.post(&confirm).await.status(), 200);
    assert_eq!(app.confirmed("p").await, 1);
    assert_eq!(app.sink().received().len(), 1, "sent once");
    handle.stop(false).await;
}

/// Claims are short (a crashed worker's mail goes out within a minute) and
/// renewed while sending; a renewal finds the claim by the moment it holds,
/// so a worker whose claim lapsed and was taken by another cannot take it
/// back, and the two never send the same mail at once.
async fn a_claim_is_renewed_only_by_the_worker_holding_it(backend: Backend) {
    use undersigned::db::outbox;
    let app = spawn_app_with(backend, Smtp::Running, &[("MAIL_WORKER", "off")]).await;
    app.create_petition("p").await;
    let res = app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "KE"})).await;
    assert_eq!(res.status(), 202);
    let at = |s: i64| {
        chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
            + chrono::TimeDelta::seconds(s)
    };
    let (first, renewed, stale, taken, late) = app
        .query(move |c| {
            let first = outbox::claim_due(c, at(0), at(60), 10)?;
            let again = outbox::claim_due(c, at(1), at(61), 10)?;
            assert!(again.is_empty(), "held by the first worker");
            let ids: Vec<i64> = first.iter().map(|m| m.id).collect();
            let renewed = outbox::renew(c, &ids, at(60), at(70))?;
            let stale = outbox::renew(c, &ids, at(60), at(80))?;
            // The first worker stops renewing; its claim lapses at 70 s and a
            // second worker takes the mail.
            assert!(outbox::claim_due(c, at(69), at(129), 10)?.is_empty(), "not before it lapses");
            let taken = outbox::claim_due(c, at(71), at(131), 10)?;
            let late = outbox::renew(c, &ids, at(70), at(140))?;
            Ok((ids, renewed, stale, taken.len(), late))
        })
        .await;
    assert_eq!(first.len(), 1);
    assert_eq!(renewed, first, "the holder renews its claim");
    assert!(stale.is_empty(), "a renewal of a moment no longer held renews nothing");
    assert_eq!(taken, 1, "a lapsed claim is taken by the next worker");
    assert!(late.is_empty(), "and the first worker cannot take it back");
}

/// On PostgreSQL no foreign key ties a queued mail to its signature
/// (migration 000007): a mail whose signature is gone must be dropped by the
/// worker, not claimed again every lease, and not sent.
#[actix_web::test]
async fn a_queued_mail_whose_signature_is_gone_is_dropped_on_postgres() {
    use diesel::prelude::*;
    use undersigned::db::schema::outbox as o;
    let Some(backend) = Backend::postgres() else { return };
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    app.query(|c| {
        let now = undersigned::now();
        diesel::insert_into(o::table)
            .values((
                o::kind.eq("confirm"),
                o::signature_id.eq(987_654_321_i64),
                o::attempts.eq(0),
                o::next_attempt_at.eq(now),
                o::created_at.eq(now),
            ))
            .execute(c)
    })
    .await;
    // A real signature queued after it still goes out.
    let res = app.sign_json("p", &json!({"name": "Ada", "email": "ada@example.com", "country": "KE"})).await;
    assert_eq!(res.status(), 202);
    app.mail_to("ada@example.com", 1).await;
    app.wait_outbox_empty(Duration::from_secs(10)).await;
    assert_eq!(app.sink().received().len(), 1, "nothing was sent for the orphan");
}

async fn message_ids_and_the_greeting_name_the_public_host_not_the_machine(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("PUBLIC_URL", "https://sign.example.org:8443")]).await;
    app.create_petition("p").await;
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).ok();
    let mut seen = Vec::new();
    for who in ["ada@example.com", "bob@example.com"] {
        app.sign_json("p", &json!({"name": "N", "email": who, "country": "GB"})).await;
        let mail = app.mail_to(who, 1).await;
        let header = mail.parsed().header_raw("Message-ID").expect("a Message-ID").trim().to_owned();
        let (left, host) = header
            .strip_prefix('<')
            .and_then(|h| h.strip_suffix('>'))
            .and_then(|h| h.split_once('@'))
            .unwrap_or_else(|| panic!("not <left@right>: {header}"));
        assert_eq!(host, "sign.example.org", "{header}");
        assert_eq!(mail.helo, "sign.example.org", "the SMTP greeting names the public host too");
        assert!(left.len() >= 32, "128 bits of randomness at least: {header}");
        if let Some(machine) = machine.as_deref().filter(|m| !m.is_empty()) {
            assert!(!header.contains(machine), "the machine's name {machine:?} is in {header}");
        }
        seen.push(header);
    }
    assert_ne!(seen[0], seen[1]);
}
