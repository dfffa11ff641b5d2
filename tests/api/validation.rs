//! Bad input always gets a clear, specific answer; never a 500.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    every_rule_has_its_message_in_json,
    the_form_is_shown_again_with_messages_and_values,
    malformed_and_oversized_bodies,
    invalid_utf8_is_refused,
    unknown_and_closed_petitions,
    odd_input_never_causes_a_server_error,
    a_path_segment_that_is_not_text_is_not_found,
);

fn valid() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "country": "GB", "postcode": "SW1A 1AA"})
}

fn with(field: &str, value: Value) -> Value {
    let mut v = valid();
    v[field] = value;
    v
}

async fn every_rule_has_its_message_in_json(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!(""), "Enter your name"),
        ("name", json!("   "), "Enter your name"),
        ("name", json!("x".repeat(101)), "Name must be 100 characters or fewer"),
        ("name", json!("Ada\u{0007}Lovelace"), "Name must not contain control characters or line breaks"),
        ("name", json!("Ada\nLovelace"), "Name must not contain control characters or line breaks"),
        ("name", json!("Buy at https://spam.example"), "Name must not contain a web or email address"),
        ("name", json!("visit spam.com now"), "Name must not contain a web or email address"),
        ("name", json!("=HYPERLINK(\"x\")"), "Name must not start with =, +, - or @"),
        ("name", json!("+1"), "Name must not start with =, +, - or @"),
        ("name", json!("-x"), "Name must not start with =, +, - or @"),
        ("name", json!("@x"), "Name must not start with =, +, - or @"),
        ("email", json!(""), "Enter your email address"),
        ("email", json!("not-an-email"), "Enter a valid email address, like name@example.com"),
        ("email", json!("a@b"), "Enter a valid email address, like name@example.com"),
        ("email", json!(format!("{}@example.com", "a".repeat(250))), "Email address must be 254 characters or fewer"),
        ("country", json!(""), "Choose your country"),
        ("country", json!("ZZ"), "Choose a country from the list"),
        ("country", json!("France"), "Choose a country from the list"),
        ("postcode", json!("12345678901234567"), "Postcode must be 16 characters or fewer"),
        ("postcode", json!("<b>1</b>"), "Postcode can only contain letters, numbers, spaces and hyphens"),
        ("name", json!(42), "Must be a string"),
        ("keep_informed", json!("yes"), "Must be true or false"),
    ];
    for (field, value, message) in cases {
        let res = app.sign_json("p", &with(field, value.clone())).await;
        assert_eq!(res.status(), 422, "{field}={value}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"errors": {field: [message]}}), "{field}={value}");
    }
    // Every bad field is reported at once.
    let res = app.sign_json("p", &json!({})).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"errors": {"name": ["Enter your name"], "email": ["Enter your email address"], "country": ["Choose your country"]}})
    );
    // Names in any script pass.
    for name in ["محمد عبد الله", "王秀英", "Анна Петрова", "Zoë Ó Briain"] {
        assert_eq!(app.sign_json("p", &with("name", json!(name))).await.status(), 202, "{name}");
    }
    assert_eq!(app.statuses("p").await["pending"], 1, "same email: one signature");
}

async fn the_form_is_shown_again_with_messages_and_values(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let res = app
        .sign_form(
            "p",
            &[("name", "Ada Lovelace"), ("email", "ada@example"), ("country", "FR"), ("keep_informed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="error" id="email-error">Enter a valid email address, like name@example.com</p>"#)
    );
    assert!(html.contains(r##"<a href="#email">Enter a valid email address"##), "error summary links to the field");
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(html.contains(r#"value="Ada Lovelace""#), "typed values are kept");
    assert!(html.contains(r#"value="ada@example""#));
    assert!(html.contains(r#"<option value="FR" selected>France</option>"#));
    assert!(html.contains(r#"value="yes" checked>"#));
    assert!(!html.contains(r#"id="name-error""#), "no message at fields that are fine");
    assert!(app.statuses("p").await.is_empty(), "nothing stored");

    // Entered values are escaped when shown again.
    let res = app.sign_form("p", &[("name", "\"><script>x</script>"), ("email", ""), ("country", "")]).await;
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>x</script>"));
}

async fn malformed_and_oversized_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let url = app.url("/api/v1/petitions/p/signatures");
    let send =
        |body: Vec<u8>, ctype: &'static str| app.client.post(&url).header("content-type", ctype).body(body).send();
    for bad in [&b"{"[..], b"not json", b"", b"[1,2]", b"\"text\"", b"{\"name\": }"] {
        let res = send(bad.to_vec(), "application/json").await.unwrap();
        assert_eq!(res.status(), 400, "{:?}", String::from_utf8_lossy(bad));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains("JSON"));
    }
    let res = send(b"name=x".to_vec(), "text/plain").await.unwrap();
    assert_eq!(res.status(), 415);

    let mut big = serde_json::to_vec(&valid()).unwrap();
    big.truncate(big.len() - 1);
    big.extend_from_slice(format!(r#","padding":"{}"}}"#, "x".repeat(17 * 1024)).as_bytes());
    let res = send(big, "application/json").await.unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");

    let long = "x".repeat(17 * 1024);
    let res = app.sign_form("p", &[("name", long.as_str()), ("email", "a@example.com"), ("country", "GB")]).await;
    assert_eq!(res.status(), 413);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(app.statuses("p").await.is_empty());
}

async fn invalid_utf8_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let form = |body: &'static [u8]| {
        app.client
            .post(app.url("/p/p/sign"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for body in [
        &b"name=Ad%FFa&email=a%40example.com&country=GB"[..],
        b"name=Ad\xffa&email=a%40example.com&country=GB",
        b"name%C3=x",
    ] {
        let res = form(body).await.unwrap();
        assert_eq!(res.status(), 400, "{body:?}");
        assert!(res.text().await.unwrap().contains("not valid UTF-8"));
    }
    let res = app
        .client
        .post(app.url("/api/v1/petitions/p/signatures"))
        .header("content-type", "application/json")
        .body(&b"{\"name\":\"Ad\xffa\",\"email\":\"a@example.com\",\"country\":\"GB\"}"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(app.statuses("p").await.is_empty());
}

async fn unknown_and_closed_petitions(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.sign_json("nope", &valid()).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    let res = app.sign_form("nope", &[("name", "A")]).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));

    app.create_petition("p").await;
    // The public snapshot still says open; closing must take effect at once.
    app.refresh_counts().await;
    let now = undersigned::now();
    app.query(move |c| undersigned::db::petitions::close(c, "p", now)).await;
    let res = app.sign_json("p", &valid()).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("closed"));
    let res = app.sign_form("p", &[("name", "Ada"), ("email", "ada@example.com"), ("country", "GB")]).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("This petition is closed"));
    assert!(!html.contains("<form"), "no sign form on a closed petition");
    assert!(app.statuses("p").await.is_empty());
}

async fn odd_input_never_causes_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let odd = [
        "",
        "\u{0}",
        "\u{202e}",
        "%",
        "%%",
        "&&&",
        "=",
        "a=b=c",
        "name=%",
        "name[]=x",
        "name=x&name=y",
        "email=@",
        "country=%00",
        "\u{fffd}",
        "🎉",
        "name=🎉&email=%F0%9F%8E%89%40example.com&country=GB",
    ];
    for body in odd {
        let res = app
            .client
            .post(app.url("/p/p/sign"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{body:?} -> {}", res.status());
        let res = app
            .client
            .post(app.url("/api/v1/petitions/p/signatures"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{body:?} -> {}", res.status());
    }
    // Odd path parameters: NUL bytes, overlong, non-ASCII.
    let long = "a".repeat(5000);
    for slug in ["a%00b", "%FF", "%C3%A9", long.as_str(), "a%2Fb", "%00"] {
        for res in [
            app.get(&format!("/p/{slug}")).await,
            app.get(&format!("/p/{slug}/check-email")).await,
            app.get(&format!("/api/v1/petitions/{slug}")).await,
            app.sign_json(slug, &valid()).await,
            app.sign_form(slug, &[("name", "A")]).await,
            app.get(&format!("/s/{slug}")).await,
            app.post(&format!("/s/{slug}/withdraw")).await,
        ] {
            assert!(res.status().is_client_error(), "{slug} -> {}", res.status());
        }
    }
    for value in [json!(null), json!([]), json!({}), json!(1.5), json!("x".repeat(10_000)), json!({"a": {"b": [1]}})] {
        for field in ["name", "email", "country", "postcode", "keep_informed", "website"] {
            let res = app.sign_json("p", &with(field, value.clone())).await;
            assert!(res.status() == 202 || res.status().is_client_error(), "{field}={value} -> {}", res.status());
        }
    }
}

async fn a_path_segment_that_is_not_text_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_petition("p").await;
    let admin = app.admin("org@example.org").await;
    // Control characters (NUL, LF, CR, ESC, DEL, a C1), and bytes that are not UTF-8.
    let bad = ["%00", "p%00", "%0a", "p%0d%0aSet-Cookie:%20x=1", "%1b[2J", "%7f", "%c2%9b", "%ff", "p%c3"];
    let pages = [
        "/p/{}",
        "/p/{}/sign",
        "/p/{}/check-email",
        "/p/{}/held",
        "/p/{}/embed",
        "/p/{}/badge.svg",
        "/s/{}",
        "/s/{}/withdraw",
        "/admin/petitions/{}",
        "/admin/petitions/{}/edit",
        "/admin/petitions/{}/held",
        "/admin/petitions/{}/translations/fr",
        "/admin/petitions/p/translations/{}",
    ];
    let json = [
        "/api/v1/petitions/{}",
        "/admin/petitions/{}/signatures.csv",
        "/admin/petitions/{}/signatures.json?contacts=1",
        "/admin/petitions/{}/totals.csv",
        "/admin/petitions/{}/delivery.zip",
    ];
    let posts = [
        "/p/{}/sign",
        "/p/{}/embed",
        "/s/{}",
        "/s/{}/withdraw",
        "/api/v1/petitions/{}/signatures",
        "/admin/petitions/{}/edit",
        "/admin/petitions/{}/state",
        "/admin/petitions/{}/held",
        "/admin/petitions/{}/translations/fr",
    ];
    for segment in bad {
        for template in pages.iter().chain(&json) {
            let path = template.replace("{}", segment);
            let res = admin.get(&path).await;
            assert_eq!(res.status(), 404, "GET {path}");
            let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
            let body = res.text().await.unwrap();
            if json.contains(template) {
                let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("GET {path}: {body}"));
                assert_eq!(body["error"]["code"], "not_found", "GET {path}");
            } else if template.starts_with("/s/") {
                // An emailed link that does not work gets its own kind page.
                assert!(
                    kind.starts_with("text/html") && body.contains("This link does not work"),
                    "GET {path}: {body}"
                );
            } else {
                assert!(kind.starts_with("text/html") && body.contains("Page not found"), "GET {path}: {body}");
            }
        }
        for template in posts {
            let path = template.replace("{}", segment);
            let res = admin.client.post(admin.url(&path)).form(&[("name", "A")]).send().await.unwrap();
            assert_eq!(res.status(), 404, "POST {path}");
        }
    }
    // Other text is looked up as usual (and not found); real pages still answer.
    for path in ["/p/%e7%8e%8b", "/p/a%20b", "/api/v1/petitions/%C3%A9"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(admin.get("/admin/petitions/p").await.status(), 200);
}
