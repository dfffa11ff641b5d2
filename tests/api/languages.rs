//! Pages and mails in the six UN languages, names in any script, the
//! embeddable form and the count badge.

use undersigned::domain::Language;
use undersigned::i18n::Tr;

use crate::helpers::Smtp;
use crate::helpers::{Backend, TestApp, browser, form_stamp_in, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    pages_follow_accept_language_and_the_menu,
    a_signature_keeps_its_language_for_mail_and_links,
    field_errors_are_announced_in_the_readers_language,
    petition_text_has_versions_per_language_with_a_fallback,
    organisers_add_translations,
    names_in_any_script_survive_to_the_export,
    the_api_takes_a_language,
    the_embed_can_be_framed_and_signs,
    the_badge_shows_the_live_count,
);

/// A page's text with the entities askama writes turned back into characters.
fn text_of(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn page_in(app: &TestApp, path: &str, accept_language: &str) -> String {
    let res = app.client.get(app.url(path)).header("accept-language", accept_language).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    text_of(&res.text().await.unwrap())
}

async fn pages_follow_accept_language_and_the_menu(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    for lang in Language::ALL {
        let tr = Tr::new(lang);
        let header = format!("{}-XX,{};q=0.9,en;q=0.1", lang.code(), lang.code());
        let html = page_in(&app, "/p/p", &header).await;
        assert!(html.contains(&format!(r#"<html lang="{}" dir="{}">"#, lang.code(), lang.dir())), "{lang:?}");
        assert!(html.contains(&tr.t("sign-heading")), "{lang:?}");
        assert!(html.contains(&tr.t("field-email")), "{lang:?}");
        assert!(html.contains(&tr.count_of_goal(0, 100)), "{lang:?}: the count in words and digits of the language");
        // Every language is in the menu, each named in itself.
        for other in Language::ALL {
            assert!(html.contains(&format!(r#"<a href="?lang={0}" lang="{0}" hreflang="{0}""#, other.code())));
            assert!(html.contains(other.native_name()));
        }
    }
    let arabic = page_in(&app, "/", "ar").await;
    assert!(arabic.contains(r#"dir="rtl""#), "Arabic is right to left");
    assert!(page_in(&app, "/", "de-DE,de;q=0.9").await.contains(r#"<html lang="en" dir="ltr">"#), "else English");
    assert!(page_in(&app, "/", "ru;q=0, es;q=0.2, fr;q=0.9").await.contains(r#"<html lang="fr""#), "by preference");
    // Error pages too.
    let res = app.client.get(app.url("/p/nope")).header("accept-language", "ru").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["vary"].to_str().unwrap().contains("Accept-Language"));
    assert!(text_of(&res.text().await.unwrap()).contains(&Tr::new(Language::Ru).t("error-not-found-text")));

    // ?lang= wins over Accept-Language and is remembered in a cookie.
    let client = browser();
    let res = client.get(app.url("/p/p?lang=zh")).header("accept-language", "fr").send().await.unwrap();
    assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("lang=zh;"));
    assert!(res.headers()["vary"].to_str().unwrap().contains("Accept-Language"));
    assert!(res.text().await.unwrap().contains(r#"<html lang="zh" dir="ltr">"#));
    let next = client.get(app.url("/")).header("accept-language", "fr").send().await.unwrap().text().await.unwrap();
    assert!(next.contains(r#"<html lang="zh""#), "the choice holds on the next page");
    // The country list is in the reader's language, sorted for it.
    let french = page_in(&app, "/p/p", "fr").await;
    assert!(french.contains(r#"<option value="CH">Suisse</option>"#));
    assert!(french.find(">Égypte<").unwrap() < french.find(">Zimbabwe<").unwrap());
}

async fn a_signature_keeps_its_language_for_mail_and_links(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let zh = Tr::new(Language::Zh);
    // The form is shown in Chinese; the browser sends no Accept-Language.
    let page = app.get("/p/p?lang=zh").await.text().await.unwrap();
    assert!(page.contains(r#"<input type="hidden" name="lang" value="zh">"#));
    let stamp = form_stamp_in(&page).unwrap();
    let fields = [
        ("name", "李小龙".to_owned()),
        ("email", "li@example.com".to_owned()),
        ("country", "CN".to_owned()),
        ("started", stamp),
        ("lang", "zh".to_owned()),
    ];
    let res = app.post_sign_form("p", &fields).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/p/p/check-email?lang=zh");
    let check = text_of(&app.get("/p/p/check-email?lang=zh").await.text().await.unwrap());
    assert!(check.contains(&zh.t("check-email-title")));
    assert!(check.contains(&zh.t1(
        "check-email-valid-for",
        "duration",
        &zh.duration(std::time::Duration::from_secs(7 * 86_400))
    )));

    let mail = app.mail_to("li@example.com", 1).await;
    assert_eq!(mail.subject(), zh.t1("mail-confirm-subject", "title", "Petition p"));
    assert!(mail.text().contains(&zh.t1("mail-greeting", "name", "李小龙")));
    assert!(mail.html().contains(r#"<html lang="zh""#));
    // The link opens in Chinese without being told: the signature knows.
    let links = app.links(&mail);
    let confirm = links.confirm.unwrap();
    let page = text_of(&app.get(&confirm).await.text().await.unwrap());
    assert!(page.contains(&zh.t("confirm-button")));
    assert!(page.contains("<bdi>李小龙</bdi>"));
    assert!(
        page.contains(&format!("<dd>{}</dd>", zh.country_name(undersigned::domain::Country::parse("CN").unwrap())))
    );
    let thanks = text_of(&app.post(&confirm).await.text().await.unwrap());
    assert!(thanks.contains(&zh.t("thanks-title")));
    assert!(thanks.contains(&zh.count_of_goal(1, 100)));
    // ?lang= still overrides, for someone who forwards the link.
    let english = app.get(&format!("{confirm}?lang=en")).await.text().await.unwrap();
    assert!(english.contains(r#"<html lang="en""#));

    // Signing again in Arabic: the "already signed" mail follows the new language.
    let ar = Tr::new(Language::Ar);
    app.age_last_mails(11).await;
    let res = app
        .post_sign_form(
            "p",
            &[
                ("name", "李小龙".to_owned()),
                ("email", "li@example.com".to_owned()),
                ("country", "CN".to_owned()),
                ("started", form_stamp_in(&app.get("/p/p").await.text().await.unwrap()).unwrap()),
                ("lang", "ar".to_owned()),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/p/p/check-email?lang=ar");
    let mail = app.mail_to("li@example.com", 2).await;
    assert_eq!(mail.subject(), ar.t1("mail-already-subject", "title", "Petition p"));
    assert!(mail.html().contains(r#"dir="rtl""#));
}

async fn field_errors_are_announced_in_the_readers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let es = Tr::new(Language::Es);
    let stamp = form_stamp_in(&app.get("/p/p").await.text().await.unwrap()).unwrap();
    let res = app
        .post_sign_form(
            "p",
            &[("name", String::new()), ("email", "nope".into()), ("started", stamp), ("lang", "es".into())],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = text_of(&res.text().await.unwrap());
    assert!(html.contains(r#"<html lang="es" dir="ltr">"#));
    // The summary at the top names each problem and links to its field.
    let summary = &html[html.find(r#"class="error-summary""#).expect("an error summary")..];
    assert!(summary.contains(&es.t("error-summary-heading")));
    assert!(summary.contains(&format!(r##"<a href="#name">{}</a>"##, es.t("error-name-empty"))));
    assert!(summary.contains(&format!(r##"<a href="#email">{}</a>"##, es.t("error-email-invalid"))));
    assert!(summary.contains(&format!(r##"<a href="#country">{}</a>"##, es.t("error-country-empty"))));
    let (name, email, country) =
        (summary.find("#name").unwrap(), summary.find("#email").unwrap(), summary.find("#country").unwrap());
    assert!(name < email && email < country, "in the order of the form");
    // Each field says what is wrong, and is marked invalid and described by it.
    assert!(html.contains(&format!(r#"<p class="error" id="email-error">{}</p>"#, es.t("error-email-invalid"))));
    assert!(html.contains(r#"aria-describedby="email-hint email-error" aria-invalid="true""#));
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="name-error""#));
    assert!(html.contains(r#"value="nope""#), "what was typed is kept");
    assert!(html.contains(&format!("<title>{}: Petition p", es.t("error-summary-heading"))), "the title says so too");
    // The language menu on this page (its address is the form's) leads back
    // to the petition in the chosen language.
    let res = app.get("/p/p/sign?lang=ar").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/p/p?lang=ar");
    // The JSON API keeps its English messages (for programs).
    let res = app.sign_json("p", &serde_json::json!({"name": "", "email": "x", "country": "FR", "lang": "es"})).await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"]["name"][0], "Enter your name");
}

async fn translate(app: &TestApp, petition_id: i64, lang: Language, title: &str, body: &str) {
    use undersigned::domain::{Addressee, PetitionBody, PetitionTitle};
    let (title, body) = (PetitionTitle::parse(title).unwrap(), PetitionBody::parse(body).unwrap());
    let addressee = Addressee::parse("Haut-Commissaire").unwrap();
    let now = undersigned::now();
    app.query(move |c| {
        undersigned::db::petitions::save_translation(
            c,
            petition_id,
            lang,
            (&title, &body, Some(&addressee)),
            now,
            "test",
        )
    })
    .await;
    app.refresh_counts().await;
}

async fn petition_text_has_versions_per_language_with_a_fallback(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.create_petition("p").await;
    translate(&app, id, Language::Fr, "Pétition p en français", "Premier paragraphe.\n\nDeuxième.").await;
    let fr = page_in(&app, "/p/p", "fr").await;
    assert!(fr.contains(r#"<div lang="fr" dir="ltr">"#) && fr.contains("<h1>Pétition p en français</h1>"));
    assert!(fr.contains("<p>Premier paragraphe.</p>") && fr.contains("<p>Deuxième.</p>"));
    assert!(!fr.contains(&Tr::new(Language::Fr).t("text-in-other-language")));
    // No Russian version: the English text, marked as English, with a note.
    let ru = page_in(&app, "/p/p", "ru").await;
    assert!(ru.contains(r#"<html lang="ru""#));
    assert!(ru.contains(r#"<div lang="en" dir="ltr">"#) && ru.contains("<h1>Petition p</h1>"));
    assert!(ru.contains(&Tr::new(Language::Ru).t("text-in-other-language")));
    // The list and the mail use the translation too.
    assert!(page_in(&app, "/", "fr").await.contains("Pétition p en français"));
    let stamp = form_stamp_in(&app.get("/p/p").await.text().await.unwrap()).unwrap();
    let fields = [
        ("name", "Jeanne".to_owned()),
        ("email", "jeanne@example.com".to_owned()),
        ("country", "FR".to_owned()),
        ("started", stamp),
        ("lang", "fr".to_owned()),
    ];
    app.post_sign_form("p", &fields).await;
    let mail = app.mail_to("jeanne@example.com", 1).await;
    assert_eq!(mail.subject(), Tr::new(Language::Fr).t1("mail-confirm-subject", "title", "Pétition p en français"));
}

async fn organisers_add_translations(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let admin = app.admin("organiser@example.com").await;
    let dashboard = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(dashboard.contains(r#"href="/admin/petitions/p/translations/ar">Translations</a>"#));
    let path = "/admin/petitions/p/translations/ar";
    let page = admin.get(path).await.text().await.unwrap();
    assert!(page.contains("not translated yet"));
    let csrf = admin.csrf(path).await;
    // Bad input: the form again, with the field named.
    let res = admin.post_form(path, &[("csrf_token", &csrf), ("action", "save"), ("title", ""), ("body", "نص")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"id="title-error""#));
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("action", "save"),
        ("title", "أصدروا التقرير"),
        ("addressee", ""),
        ("body", "الفقرة الأولى.\n\nالفقرة الثانية."),
    ];
    assert_eq!(admin.post_form(path, &fields).await.status(), 303);
    let ar = page_in(&app, "/p/p", "ar").await;
    assert!(ar.contains(r#"<div lang="ar" dir="rtl">"#) && ar.contains("<h1>أصدروا التقرير</h1>"));
    assert!(admin.get(path).await.text().await.unwrap().contains("translated, saved"));
    let history = admin.get("/admin/petitions/p").await.text().await.unwrap();
    assert!(history.contains("organiser@example.com (translation: ar)"), "recorded in the text history");
    // The petition's own language cannot be "translated", unknown ones do not exist.
    assert_eq!(admin.get("/admin/petitions/p/translations/en").await.status(), 404);
    assert_eq!(admin.get("/admin/petitions/p/translations/de").await.status(), 404);
    // Removed: back to the English text.
    assert_eq!(admin.post_form(path, &[("csrf_token", &csrf), ("action", "remove")]).await.status(), 303);
    assert!(page_in(&app, "/p/p", "ar").await.contains("<h1>Petition p</h1>"));
    // Without the CSRF token nothing changes.
    assert_eq!(admin.post_form(path, &[("csrf_token", "nope"), ("action", "save")]).await.status(), 403);
}

async fn names_in_any_script_survive_to_the_export(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let people = [
        ("فاطمة الزهراء", "fatima@example.com", "EG"),
        ("王秀英", "wang@example.com", "CN"),
        ("Александр Пушкин", "pushkin@example.com", "RU"),
        ("Zoë Ñúñez-Ørsted", "zoe@example.com", "ES"),
        ("Nguyễn Thị Minh Khai", "nguyen@example.com", "VN"),
    ];
    for (name, email, country) in people {
        let res = app.sign_form("p", &[("name", name), ("email", email), ("country", country)]).await;
        assert_eq!(res.status(), 303, "{name}");
        let confirm = app.links(&app.mail_to(email, 1).await).confirm.unwrap();
        let page = app.get(&confirm).await.text().await.unwrap();
        assert!(page.contains(&format!("<bdi>{name}</bdi>")), "shown as typed: {name}");
        app.post(&confirm).await;
    }
    let admin = app.admin("organiser@example.com").await;
    let csv = admin.get("/admin/petitions/p/signatures.csv").await.bytes().await.unwrap();
    let csv = String::from_utf8(csv.to_vec()).expect("UTF-8");
    for (name, _, _) in people {
        assert!(csv.contains(name), "{name} intact in the CSV");
    }
    let json: serde_json::Value = admin.get("/admin/petitions/p/signatures.json").await.json().await.unwrap();
    let text = json.to_string();
    for (name, _, _) in people {
        assert!(text.contains(name), "{name} intact in the JSON");
    }
}

async fn the_api_takes_a_language(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let body = serde_json::json!({"name": "Иван", "email": "ivan@example.com", "country": "RU", "lang": "ru"});
    assert_eq!(app.sign_json("p", &body).await.status(), 202);
    let ru = Tr::new(Language::Ru);
    assert_eq!(
        app.mail_to("ivan@example.com", 1).await.subject(),
        ru.t1("mail-confirm-subject", "title", "Petition p")
    );
    // Without "lang", Accept-Language decides.
    let res = app
        .client
        .post(app.url("/api/v1/petitions/p/signatures"))
        .header("accept-language", "es-MX")
        .json(&serde_json::json!({"name": "Ana", "email": "ana@example.com", "country": "MX"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let es = Tr::new(Language::Es);
    assert_eq!(app.mail_to("ana@example.com", 1).await.subject(), es.t1("mail-confirm-subject", "title", "Petition p"));
    // A language we do not have is refused, naming the field.
    let res = app
        .sign_json("p", &serde_json::json!({"name": "X", "email": "x@example.com", "country": "DE", "lang": "de"}))
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["errors"]["lang"][0].as_str().unwrap().contains("ar, zh, en, fr, ru, es"));
}

async fn the_embed_can_be_framed_and_signs(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Smtp::Running,
        &[("EMBED_ORIGINS", "https://campaign.example, https://partner.example:8443")],
    )
    .await;
    app.create_petition("p").await;
    let res = app.client.get(app.url("/p/p/embed")).header("accept-language", "fr").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors https://campaign.example https://partner.example:8443;"), "{csp}");
    assert!(!csp.contains("script-src") && csp.contains("default-src 'none'"));
    assert!(!res.headers().contains_key("x-frame-options"), "framing left to the policy");
    let html = text_of(&res.text().await.unwrap());
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#));
    assert!(html.contains(r#"action="/p/p/embed""#));
    // Every other page refuses to be framed.
    for path in ["/p/p", "/", "/p/nope/embed", "/p/p/check-email"] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
        assert!(
            res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    // Signing inside the frame stays inside it.
    let stamp = form_stamp_in(&html).unwrap();
    let res = app
        .client
        .post(app.url("/p/p/embed"))
        .form(&[
            ("name", "Jeanne"),
            ("email", "jeanne@example.com"),
            ("country", "FR"),
            ("started", &stamp),
            ("lang", "fr"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/p/p/embed?after=sent&lang=fr");
    let after = app.get("/p/p/embed?after=sent&lang=fr").await;
    assert!(
        after.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors https://campaign.example")
    );
    let after = text_of(&after.text().await.unwrap());
    assert!(after.contains(&Tr::new(Language::Fr).t("check-email-title")));
    app.mail_to("jeanne@example.com", 1).await;
    // Mistakes are shown in the frame too.
    let res = app.client.post(app.url("/p/p/embed")).form(&[("name", ""), ("lang", "fr")]).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors https://campaign.example")
    );
    assert!(res.text().await.unwrap().contains("error-summary"));
    // The default: any site may frame it.
    let open = spawn_app(Backend::Sqlite).await;
    open.create_petition("p").await;
    let res = open.get("/p/p/embed").await;
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors *;"));
}

async fn the_badge_shows_the_live_count(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.create_petition("p").await;
    let rows =
        (0..1234).map(|i| (format!("N{i}"), "FR".to_owned(), None, format!("n{i}@example.com"), false)).collect();
    app.insert_confirmed(id, rows).await;
    app.refresh_counts().await;
    let res = app.get("/p/p/badge.svg").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "public, max-age=60");
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<title>1,234 signatures</title>"), "{svg}");
    let zh = Tr::new(Language::Zh);
    let svg = app.get("/p/p/badge.svg?lang=zh").await.text().await.unwrap();
    assert!(svg.contains(&format!("{} {}", zh.number(1234), zh.count("badge-label", 1234))));
    let one = app.create_petition("one").await;
    app.insert_confirmed(one, vec![("Ada".into(), "GB".into(), None, "ada@example.com".into(), false)]).await;
    app.refresh_counts().await;
    assert!(app.get("/p/one/badge.svg").await.text().await.unwrap().contains("<title>1 signature</title>"));
    assert_eq!(app.get("/p/nope/badge.svg").await.status(), 404);
}
