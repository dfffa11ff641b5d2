//! Personal data never reaches the logs: a full run at the most verbose log
//! level, scanned for canary values.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, METRICS_TOKEN, TestDatabase, browser, csrf_in, form_stamp_in};
use crate::process::{ServerProcess, command, create_petition, read_log, read_mail};

const NAME: &str = "Zebulon Canaryfeather";
const EMAIL: &str = "zebulon.canaryfeather@example.com";
const POSTCODE: &str = "ZQ9 7XK";
const NAME2: &str = "Yolanda Canarywing";
const EMAIL2: &str = "yolanda.canarywing@example.net";
const NAME3: &str = "Xavier Canaryheld";
const EMAIL3: &str = "xavier.canaryheld@example.org";
const ORGANISER: &str = "canary.organiser@example.org";
const PASSWORD: &str = "canary pass phrase 4417";

#[actix_web::test]
async fn no_personal_data_or_secret_appears_in_the_logs_of_a_full_run() {
    let (_db, url) = TestDatabase::create(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let (outbox, log) = (dir.path().join("outbox"), dir.path().join("server.log"));
    create_petition(&url, dir.path());
    command(&url, &["organiser", "add", ORGANISER, "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    let api_token = command(&url, &["token", "create", "--organiser", ORGANISER, "--name", "canary"], None);
    let api_token = api_token.trim().to_owned();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let server = ServerProcess::start(
        &url,
        &outbox,
        &log,
        &[
            ("RUST_LOG", "trace"),
            ("SIGN_RATE_LIMIT", "off"),
            ("FORM_MIN_TIME", "0s"),
            ("METRICS_TOKEN", METRICS_TOKEN),
            ("METRICS_BIND", &metrics_bind),
        ],
    );
    let base = server.address.clone();
    let web = browser();

    // A supporter signs through the form, another through the API, one is refused.
    let page = web.get(format!("{base}/p/p")).send().await.unwrap().text().await.unwrap();
    let stamp = form_stamp_in(&page).unwrap();
    let res = web
        .post(format!("{base}/p/p/sign"))
        .form(&[("name", NAME), ("email", EMAIL), ("country", "GB"), ("postcode", POSTCODE), ("started", &stamp)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = web
        .post(format!("{base}/api/v1/petitions/p/signatures"))
        .json(&json!({"name": NAME2, "email": EMAIL2, "country": "FR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    // A form without its stamp is held for review (released below).
    let res = web
        .post(format!("{base}/p/p/sign"))
        .form(&[("name", NAME3), ("email", EMAIL3), ("country", "KE")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/p/p/held?lang=en");
    let res = web
        .post(format!("{base}/api/v1/petitions/p/signatures"))
        .json(&json!({"name": NAME, "email": "zebulon@mailinator.com", "country": "GB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // Both confirm by email; the second withdraws.
    let mut tokens = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokens.len() < 2 || !tokens.iter().any(|(to, _)| to == EMAIL2) {
        assert!(Instant::now() < deadline, "mails written");
        tokens = std::fs::read_dir(&outbox)
            .map(|d| d.filter_map(|e| read_mail(&e.ok()?.path())).collect())
            .unwrap_or_default();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut receipts = Vec::new();
    for (_, token) in &tokens {
        assert_eq!(web.get(format!("{base}/s/{token}")).send().await.unwrap().status(), 200);
        let res = web.post(format!("{base}/s/{token}")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        receipts.push(crate::transparency::receipt_in(&res.text().await.unwrap()).expect("a receipt is shown"));
    }
    let (_, second) = tokens.iter().find(|(to, _)| to == EMAIL2).unwrap();
    assert_eq!(web.post(format!("{base}/s/{second}/withdraw")).send().await.unwrap().status(), 200);
    // Both check their receipts, one mistyped first.
    const MISTYPED: &str = "canary-receipt-mistyped-0123456789";
    let verify = format!("{base}/p/p/verify");
    let res = web.post(&verify).form(&[("receipt", MISTYPED)]).send().await.unwrap();
    assert_eq!(res.status(), 422);
    for receipt in &receipts {
        assert_eq!(web.post(&verify).form(&[("receipt", receipt)]).send().await.unwrap().status(), 200);
    }

    // An organiser fails a login, logs in, looks around and exports.
    let admin = browser();
    let login = admin.get(format!("{base}/admin/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_in(&login);
    let res = admin
        .post(format!("{base}/admin/login"))
        .form(&[("email", ORGANISER), ("password", "wrong canary guess 99"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 303);
    let login = admin.get(format!("{base}/admin/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_in(&login);
    let res = admin
        .post(format!("{base}/admin/login"))
        .form(&[("email", ORGANISER), ("password", PASSWORD), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let cookie_value = cookie.split_once('=').unwrap().1.to_owned();
    for path in
        ["/admin", "/admin/petitions/p", "/admin/petitions/p/held", "/admin/petitions/p/signatures.csv?contacts=1"]
    {
        assert_eq!(admin.get(format!("{base}{path}")).send().await.unwrap().status(), 200, "{path}");
    }
    let held = admin.get(format!("{base}/admin/petitions/p/held")).send().await.unwrap().text().await.unwrap();
    assert!(held.contains(EMAIL3), "the organiser sees who is held");
    let held_csrf = csrf_in(&held);
    let res = admin
        .post(format!("{base}/admin/petitions/p/held"))
        .form(&[("csrf_token", held_csrf.as_str()), ("action", "release"), ("which", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The released signature's mail is written too.
    let deadline = Instant::now() + Duration::from_secs(20);
    let released = loop {
        let mails: Vec<(String, String)> = std::fs::read_dir(&outbox)
            .map(|d| d.filter_map(|e| read_mail(&e.ok()?.path())).collect())
            .unwrap_or_default();
        if let Some((_, token)) = mails.into_iter().find(|(to, _)| to == EMAIL3) {
            break token;
        }
        assert!(Instant::now() < deadline, "the released signature is mailed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let export =
        web.get(format!("{base}/admin/petitions/p/signatures.csv")).bearer_auth(&api_token).send().await.unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.text().await.unwrap().contains(NAME), "the export does hold the name");
    // Metrics: with the token on the main address, without it only on METRICS_BIND.
    assert_eq!(web.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
    let with_token = web.get(format!("{base}/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
    assert_eq!(with_token.status(), 200);
    let monitoring = format!("http://{metrics_bind}");
    let scraped = web.get(format!("{monitoring}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("undersigned_sign_requests_total"));
    assert_eq!(web.get(format!("{monitoring}/p/p")).send().await.unwrap().status(), 404, "nothing else there");
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success());

    let text = read_log(&log);
    assert!(text.lines().count() > 50, "a verbose log was written:\n{text}");
    assert!(text.contains("SIGN_RATE_LIMIT=off"), "turning the limits off is logged as a warning");
    let lower = text.to_lowercase();
    let mut canaries: Vec<String> = [
        NAME,
        NAME3,
        EMAIL3,
        "Canaryheld",
        "Canaryfeather",
        "Canarywing",
        EMAIL,
        EMAIL2,
        "zebulon@mailinator",
        POSTCODE,
        ORGANISER,
        PASSWORD,
        "wrong canary guess",
        METRICS_TOKEN,
    ]
    .iter()
    .map(|s| s.to_owned().to_owned())
    .collect();
    canaries.extend(tokens.iter().map(|(_, t)| t.clone()));
    canaries.extend(receipts);
    canaries.push(MISTYPED.to_owned());
    canaries.push(api_token.clone());
    canaries.push(released);
    canaries.push(held_csrf);
    canaries.push(cookie_value);
    canaries.push(csrf);
    canaries.push(stamp);
    for canary in &canaries {
        assert!(!lower.contains(&canary.to_lowercase()), "{canary:?} found in the log");
    }
    // Postcodes and emails in any encoding a library might use.
    for encoded in ["zq9+7xk", "zq9%207xk", "zebulon.canaryfeather%40example.com"] {
        assert!(!lower.contains(encoded), "{encoded:?} found in the log");
    }
}
