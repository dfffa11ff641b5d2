//! The running server against its own OpenAPI description: every documented
//! operation is exercised, every answer's status is documented for it, and
//! every JSON body matches the documented schema.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Smtp, TestApp, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(the_server_keeps_to_its_openapi_description);

/// (method, documented path, request path, JSON body or raw body, status)
struct Case {
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Body>,
    expect: u16,
}

enum Body {
    Json(Value),
    Raw(&'static str, String),
}

fn case(expect: u16, method: Method, template: &'static str, path: &str, body: Option<Body>) -> Case {
    Case { method, template, path: path.to_owned(), body, expect }
}

fn cases() -> Vec<Case> {
    let sign = "/api/v1/petitions/{slug}/signatures";
    let ok =
        json!({"name": "Ada", "email": "ada@example.org", "country": "GB", "postcode": "N1", "keep_informed": true});
    vec![
        case(200, Method::GET, "/api/v1/petitions", "/api/v1/petitions", None),
        case(200, Method::GET, "/api/v1/petitions/{slug}", "/api/v1/petitions/p", None),
        case(404, Method::GET, "/api/v1/petitions/{slug}", "/api/v1/petitions/none", None),
        case(200, Method::GET, "/api/v1/delivery-key", "/api/v1/delivery-key", None),
        case(200, Method::GET, "/api/v1/log-key", "/api/v1/log-key", None),
        case(202, Method::POST, sign, "/api/v1/petitions/p/signatures", Some(Body::Json(ok.clone()))),
        case(422, Method::POST, sign, "/api/v1/petitions/p/signatures", Some(Body::Json(json!({"email": 5})))),
        case(
            400,
            Method::POST,
            sign,
            "/api/v1/petitions/p/signatures",
            Some(Body::Raw("application/json", "[1]".into())),
        ),
        case(415, Method::POST, sign, "/api/v1/petitions/p/signatures", Some(Body::Raw("text/plain", "hi".into()))),
        case(
            413,
            Method::POST,
            sign,
            "/api/v1/petitions/p/signatures",
            Some(Body::Raw("application/json", "x".repeat(20_000))),
        ),
        case(404, Method::POST, sign, "/api/v1/petitions/none/signatures", Some(Body::Json(ok.clone()))),
        case(409, Method::POST, sign, "/api/v1/petitions/closed/signatures", Some(Body::Json(ok.clone()))),
        // Over the limit of 2 per network: held, 429.
        case(
            202,
            Method::POST,
            sign,
            "/api/v1/petitions/p/signatures",
            Some(Body::Json(json!({"name": "B", "email": "b@example.org", "country": "GB"}))),
        ),
        case(
            429,
            Method::POST,
            sign,
            "/api/v1/petitions/p/signatures",
            Some(Body::Json(json!({"name": "C", "email": "c@example.org", "country": "GB"}))),
        ),
    ]
}

/// The schema `schema` (possibly a $ref) as a validator over the whole spec.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = spec["components"].clone();
    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("a valid schema {schema}: {e}"))
}

async fn send(app: &TestApp, c: &Case) -> reqwest::Response {
    let mut req = app.client.request(c.method.clone(), app.url(&c.path));
    match &c.body {
        Some(Body::Json(v)) => req = req.json(v),
        Some(Body::Raw(ct, text)) => req = req.header("content-type", *ct).body(text.clone()),
        None => {}
    }
    req.send().await.unwrap()
}

async fn the_server_keeps_to_its_openapi_description(backend: Backend) {
    let app = spawn_app_with(backend, Smtp::Running, &[("SIGN_RATE_LIMIT", "2/1h")]).await;
    app.create_petition("p").await;
    app.create_petition("closed").await;
    crate::process::command(app.database_url(), &["petition", "close", "closed"], None);
    app.refresh_counts().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let spec: Value = res.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));

    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    let mut exercised = BTreeSet::new();
    for c in cases() {
        let op = &spec["paths"][c.template][c.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} is documented", c.method, c.template);
        let res = send(&app, &c).await;
        assert_eq!(res.status().as_u16(), c.expect, "{} {}", c.method, c.path);
        let status = res.status().as_u16().to_string();
        let documented_response = &op["responses"][&status];
        assert!(documented_response.is_object(), "{} {}: status {status} is documented", c.method, c.path);
        for (header, _) in documented_response["headers"].as_object().into_iter().flatten() {
            assert!(res.headers().contains_key(header.as_str()), "{} {}: documented header {header}", c.method, c.path);
        }
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/json"), "{}: {content_type}", c.path);
        let body: Value = res.json().await.unwrap();
        let schema = &documented_response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{} {} {status}: a documented body", c.method, c.path);
        let v = validator(&spec, schema);
        let errors: Vec<String> = v.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(errors.is_empty(), "{} {} {status}: {body} does not match its schema: {errors:?}", c.method, c.path);
        if c.method == Method::POST && status == "202" {
            // The request body the server accepted matches the documented one too.
            let request_schema = &op["requestBody"]["content"]["application/json"]["schema"];
            if let Some(Body::Json(sent)) = &c.body {
                assert!(validator(&spec, request_schema).is_valid(sent), "{sent} matches the request schema");
            }
        }
        exercised.insert((c.method.as_str().to_owned(), c.template.to_owned()));
    }
    assert_eq!(exercised, documented, "every documented operation is exercised");
}
