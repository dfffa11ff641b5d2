//! End-to-end in a real browser: headless Chromium driven through
//! chromedriver (WebDriver), against the real server and a real SMTP
//! server. A supporter signs in English, Arabic and Chinese, corrects field
//! errors, confirms from the mail and sees the count; an organiser signs
//! in, sees the chart and downloads a CSV and the delivery packet. axe-core
//! checks the pages for serious and critical accessibility problems, and
//! every step is saved as a screenshot in target/browser-artifacts/.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver)
//! and axe-core (`npm ci --prefix tests/browser`). Without them the test says
//! so and passes, unless UNDERSIGNED_BROWSER_TESTS=required (set by
//! .ci/run), when it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use undersigned::domain::Language;
use undersigned::i18n::Tr;

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn axe_source() -> Option<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js"),
    )
    .ok()
}

/// Whether the browser tests must run (in CI) rather than be skipped.
fn required() -> bool {
    std::env::var("UNDERSIGNED_BROWSER_TESTS").is_ok_and(|v| v == "required")
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session, downloading into `downloads`.
async fn browser(driver: &Driver, downloads: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1024,900", "--lang=en-GB"],
            "prefs": {
                "download.default_directory": downloads.to_str().unwrap(),
                "download.prompt_for_download": false,
                "intl.accept_languages": "en-GB,en"
            }
        }
    });
    let Value::Object(caps) = caps else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.expect("a Chromium session starts")
}

struct Session {
    client: Client,
    shots: PathBuf,
    step: usize,
}

impl Session {
    async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.step)), png).unwrap();
    }

    async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.client.find(Locator::Css(css)).await.unwrap().attr(name).await.unwrap()
    }

    async fn fill(&self, id: &str, value: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn choose(&self, id: &str, value: &str) {
        self.client.find(Locator::Id(id)).await.unwrap().select_by_value(value).await.unwrap();
    }

    /// Clicks something that loads a new page, and waits for that page.
    async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        // The old document goes stale once the new one has replaced it.
        while old.attr("lang").await.is_ok() {
            assert!(Instant::now() < deadline, "no new page after clicking {css}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("body"))
            .await
            .expect("the new page loads");
    }

    /// Clicks something that stays on the page (a link to a field).
    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    /// Runs axe-core on the page; returns the serious and critical violations
    /// (and headings out of order, which axe rates moderate).
    async fn axe(&self, source: &str) -> Vec<String> {
        self.client.execute(source, vec![]).await.expect("axe-core loads");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')')))
              .catch(e => done(['axe failed: ' + e]));
        "#;
        let result = self.client.execute_async(script, vec![]).await.expect("axe-core runs");
        serde_json::from_value(result).unwrap()
    }

    /// The page fits a 320 px wide screen: nothing scrolls sideways.
    async fn fits_320(&self) -> bool {
        let w = self.client.execute("return document.documentElement.scrollWidth;", vec![]).await.unwrap();
        w.as_u64().unwrap() <= 320
    }
}

fn confirm_path(app: &TestApp, email: &str, n: usize, mails: &[crate::smtp::ReceivedMail]) -> String {
    let mail = mails.iter().filter(|m| m.to.iter().any(|t| t == email)).nth(n - 1).expect("the mail");
    app.links(mail).confirm.expect("a confirmation link")
}

#[actix_web::test]
async fn supporters_and_organisers_in_a_real_browser() {
    let have = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    let axe = axe_source();
    if !have || axe.is_none() {
        let missing = "needs /usr/bin/chromium, /usr/bin/chromedriver and tests/browser/node_modules/axe-core \
                       (apt-get install chromium chromium-driver; npm ci --prefix tests/browser)";
        assert!(!required(), "browser test required but cannot run: {missing}");
        eprintln!("browser test skipped: {missing}");
        return;
    }
    let axe = axe.unwrap();
    // This run's screenshots only.
    let _ = std::fs::remove_dir_all(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts"));
    // The checker itself: an unlabelled field on a page must be reported.
    let checker = Driver::start();
    let probe = Session { client: browser(&checker, Path::new("/tmp")).await, shots: artifacts(), step: 0 };
    probe.client.goto("data:text/html,<html lang=en><title>t</title><main><input></main></html>").await.unwrap();
    let found = probe.axe(&axe).await;
    assert!(found.iter().any(|v| v.contains("label")), "axe-core reports an unlabelled field: {found:?}");
    probe.client.close().await.unwrap();
    drop(checker);
    let app = spawn_app(Backend::Sqlite).await;
    app.create_petition("p").await;
    let driver = Driver::start();
    let downloads = tempfile::tempdir().unwrap();
    let shots = artifacts();
    let mut s = Session { client: browser(&driver, downloads.path()).await, shots: shots.clone(), step: 0 };
    let mut accessibility: Vec<String> = Vec::new();

    let people = [
        (Language::En, "Ada Lovelace", "ada@example.com", "GB"),
        (Language::Ar, "فاطمة الزهراء", "fatima@example.com", "EG"),
        (Language::Zh, "王秀英", "wang@example.com", "CN"),
    ];
    for (n, (lang, name, email, country)) in people.into_iter().enumerate() {
        let tr = Tr::new(lang);
        let code = lang.code();
        s.client.goto(&app.url("/p/p?lang=en")).await.unwrap();
        if lang != Language::En {
            // The language menu, as a person would use it.
            s.submit(&format!(r#"nav.languages a[hreflang="{code}"]"#)).await;
        }
        assert_eq!(s.attr("html", "lang").await.as_deref(), Some(code));
        assert_eq!(s.attr("html", "dir").await.as_deref(), Some(lang.dir()));
        s.shot(&format!("{code}-petition")).await;
        accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("{code} petition page: {v}")));

        // Sent empty: the error summary and each field say what is wrong.
        s.submit(r#"form[action="/p/p/sign"] button[type="submit"]"#).await;
        let page = s.text().await;
        assert!(page.contains(&tr.t("error-summary-heading")), "{code}");
        assert!(page.contains(&tr.t("error-name-empty")), "{code}");
        assert_eq!(s.attr("#name", "aria-invalid").await.as_deref(), Some("true"));
        assert_eq!(s.attr("#name", "aria-describedby").await.as_deref(), Some("name-error"));
        s.shot(&format!("{code}-errors")).await;
        accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("{code} error page: {v}")));
        // The summary's links lead to the fields.
        s.click(r##".error-summary a[href="#email"]"##).await;
        let focused = s.client.execute("return document.activeElement.id;", vec![]).await.unwrap();
        assert_eq!(focused, "email", "{code}: the summary's link moves to the field");

        // Corrected and sent.
        s.fill("name", name).await;
        s.fill("email", email).await;
        s.choose("country", country).await;
        s.submit(r#"form[action="/p/p/sign"] button[type="submit"]"#).await;
        assert!(s.text().await.contains(&tr.t("check-email-title")), "{code}: check your email");
        s.shot(&format!("{code}-check-email")).await;

        // The mail, through the real SMTP server, in the signer's language.
        let mail = app.mail_to(email, 1).await;
        assert_eq!(mail.subject(), tr.t1("mail-confirm-subject", "title", "Petition p"));
        let confirm = confirm_path(&app, email, 1, &app.sink().received());
        // The link opens without ?lang=: the signature's language is kept.
        s.client.goto(&app.url(&confirm)).await.unwrap();
        assert_eq!(s.attr("html", "lang").await.as_deref(), Some(code));
        assert!(s.text().await.contains(name), "{code}: the name as typed");
        s.shot(&format!("{code}-confirm")).await;
        accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("{code} confirmation page: {v}")));
        s.submit(r#"form[action^="/s/"] button[type="submit"]"#).await;
        let thanks = s.text().await;
        assert!(thanks.contains(&tr.t("thanks-title")), "{code}");
        assert!(thanks.contains(&tr.count_of_goal(n as i64 + 1, 100)), "{code}: the new count");
        s.shot(&format!("{code}-thanks")).await;

        // The count on the petition page, within the refresh interval.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            s.client.goto(&app.url(&format!("/p/p?lang={code}"))).await.unwrap();
            if s.text().await.contains(&tr.count_of_goal(n as i64 + 1, 100)) {
                break;
            }
            assert!(Instant::now() < deadline, "{code}: the petition page shows the count");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // Phone width: nothing scrolls sideways, in any script.
    s.client.set_window_size(320, 800).await.unwrap();
    for path in
        ["/p/p?lang=en", "/p/p?lang=ar", "/p/p?lang=zh", "/p/p/embed?lang=ru", "/p/nope?lang=fr", "/admin/login"]
    {
        s.client.goto(&app.url(path)).await.unwrap();
        assert!(s.fits_320().await, "{path} fits 320 px");
        let name: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        s.shot(&format!("phone{name}")).await;
    }
    s.client.set_window_size(1024, 900).await.unwrap();

    // A page that does not exist, and the embeddable form.
    s.client.goto(&app.url("/p/nope?lang=fr")).await.unwrap();
    s.shot("fr-not-found").await;
    accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("not-found page: {v}")));
    s.client.goto(&app.url("/p/p/embed?lang=ar")).await.unwrap();
    s.shot("ar-embed").await;
    accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("embed: {v}")));
    // The embed in a real frame on another site (another origin: another
    // port); any site may frame it by default.
    let campaign = campaign_site(&app.url("/p/p/embed?lang=es"), &app.url("/p/p"));
    s.client.goto(&format!("{campaign}/embed")).await.unwrap();
    s.client.enter_frame(0).await.unwrap();
    let framed = s.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form button")).await;
    assert!(framed.is_ok(), "the sign form shows inside another site's frame");
    assert!(s.text().await.contains(&Tr::new(Language::Es).t("sign-heading")));
    s.client.enter_parent_frame().await.unwrap();
    s.shot("es-embed-in-a-frame").await;
    // The petition page itself refuses to be framed.
    s.client.goto(&format!("{campaign}/page")).await.unwrap();
    s.client.enter_frame(0).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let blocked = s.client.find(Locator::Css("form button")).await;
    assert!(blocked.is_err(), "the petition page does not render inside a frame");
    s.client.enter_parent_frame().await.unwrap();

    // An organiser signs in, sees the chart, downloads a CSV and the packet.
    app.add_organiser("organiser@example.com").await;
    s.client.goto(&app.url("/admin/login")).await.unwrap();
    s.fill("email", "organiser@example.com").await;
    s.fill("password", PASSWORD).await;
    s.submit(r#"form[action="/admin/login"] button[type="submit"]"#).await;
    s.client.goto(&app.url("/admin/petitions/p")).await.unwrap();
    let chart = s.client.find(Locator::Css("figure.chart svg rect")).await.expect("the chart has bars");
    assert!(chart.attr("height").await.unwrap().is_some());
    assert!(s.text().await.contains("Confirmed signatures per"));
    s.shot("organiser-dashboard").await;
    accessibility.extend(s.axe(&axe).await.into_iter().map(|v| format!("dashboard: {v}")));
    s.click(r#"a[href="/admin/petitions/p/signatures.csv"]"#).await;
    let csv = wait_for_download(downloads.path(), ".csv").await;
    let csv = std::fs::read_to_string(csv).unwrap();
    for (_, name, _, _) in people {
        assert!(csv.contains(name), "the CSV has {name}");
    }
    s.click(r#"a[href="/admin/petitions/p/delivery.zip"]"#).await;
    let zip = wait_for_download(downloads.path(), ".zip").await;
    let bytes = std::fs::read(&zip).unwrap();
    assert!(bytes.starts_with(b"PK"), "a ZIP archive");
    let key: Value = app.get("/api/v1/delivery-key").await.json().await.unwrap();
    let log_key: Value = app.get("/api/v1/log-key").await.json().await.unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .arg("verify-delivery")
        .arg(&zip)
        .args(["--public-key", key["public_key"].as_str().unwrap()])
        .args(["--log-public-key", log_key["public_key"].as_str().unwrap()])
        .output()
        .unwrap();
    assert!(check.status.success(), "the packet verifies: {}", String::from_utf8_lossy(&check.stdout));
    s.shot("organiser-after-downloads").await;

    s.client.close().await.unwrap();
    assert!(accessibility.is_empty(), "serious or critical accessibility problems:\n{}", accessibility.join("\n"));
    eprintln!("browser test screenshots: {}", shots.display());
}

/// A campaign's site on another port: `/embed` frames `embed`, anything
/// else frames `page`. Returns its address.
fn campaign_site(embed: &str, page: &str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (embed, page) = (embed.to_owned(), page.to_owned());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 2048];
            let n = stream.read(&mut request).unwrap_or(0);
            let target = if request[..n].starts_with(b"GET /embed") { &embed } else { &page };
            let body = format!(
                "<!doctype html><html lang=en><title>A campaign</title><h1>A campaign</h1>\
                 <iframe title=\"Sign\" width=600 height=900 src=\"{target}\"></iframe></html>"
            );
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
        }
    });
    address
}

/// Waits for a finished download ending in `ext` (Chromium writes
/// `.crdownload` until done).
/// The finished download ending in `ext`. Chromium may reserve the final
/// name with an empty file while it writes to a `.crdownload` file that it
/// renames over it at the end (a run once found a `.zip` that was no ZIP
/// yet), so a file of that name alone is not the download.
async fn wait_for_download(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let paths: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
        let writing = paths.iter().any(|p| p.to_string_lossy().ends_with(".crdownload"));
        let found = paths.into_iter().find(|p| p.to_string_lossy().ends_with(ext));
        if let Some(path) = found
            && !writing
            && std::fs::metadata(&path).is_ok_and(|m| m.len() > 0)
        {
            return path;
        }
        assert!(Instant::now() < deadline, "no finished {ext} download within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
