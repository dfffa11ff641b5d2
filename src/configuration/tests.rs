//! Tests of settings parsing: defaults, each bad value, the documented list.

use std::collections::HashMap;

use super::*;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_lookup(&|k| map.get(k).cloned())
}

#[test]
fn defaults_need_nothing() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    assert!(matches!(s.mail.transport, MailTransport::Files(_)));
    assert_eq!(s.database.url, DatabaseUrl::Sqlite("undersigned.db".into()));
    assert_eq!(s.confirmation_ttl, Duration::from_secs(604_800));
    assert!(s.mail.worker, "an instance sends mail unless told not to");
    assert!(!settings(&[("MAIL_WORKER", "off")]).unwrap().mail.worker);
    assert!(settings(&[("MAIL_WORKER", "ON")]).unwrap().mail.worker);
}

#[test]
fn each_bad_value_names_its_variable() {
    for (var, value) in [
        ("BIND", "nonsense"),
        ("PUBLIC_URL", "ftp://x"),
        ("SMTP_URL", "nope://"),
        ("MAIL_FROM", "not an address"),
        ("SECRET_KEY", "short"),
        ("DELIVERY_SIGNING_KEY", "not base64!"),
        ("DATABASE_URL", "mysql://x/y"),
        ("DATABASE_POOL_SIZE", "0"),
        ("CONFIRMATION_TTL", "forever"),
        ("COUNT_REFRESH", "10s"),
        ("MAIL_RETRY_BASE", "-1"),
        ("MAIL_RETRY_BASE", "0s"),
        ("MAIL_RETRY_MAX", "1ms"),
        ("CONFIRMATION_TTL", "1000000years"),
        ("PUBLIC_URL", "https://example.org/petitions"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, nonsense"),
        ("SIGN_RATE_LIMIT", "30"),
        ("SIGN_RATE_LIMIT", "0/1m"),
        ("SIGN_RATE_LIMIT", "5/forever"),
        ("FORM_MIN_TIME", "2h"),
        ("DISPOSABLE_EMAIL_DOMAINS", "/nonexistent/list.txt"),
        ("PENDING_GRACE", "soon"),
        ("ERASE_AFTER_CLOSE", "later"),
        ("MAIL_WORKER", "sometimes"),
        ("REQUEST_BODY_TIMEOUT", "0s"),
        ("REQUEST_BODY_TIMEOUT", "1h"),
        ("LOGIN_QUEUE", "0"),
    ] {
        let err = settings(&[(var, value)]).unwrap_err();
        assert_eq!(err.var, var);
        assert!(err.to_string().starts_with(&format!("{var}: ")), "{err}");
    }
}

#[test]
fn abuse_and_retention_settings_parse() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.abuse.rate_limits, [(30, Duration::from_secs(600)), (300, Duration::from_secs(86_400))]);
    assert!(s.abuse.disposable_domains.contains("mailinator.com"));
    assert_eq!(s.retention.erase_after_close, Some(Duration::from_secs(90 * 86_400)));
    let s = settings(&[
        ("SIGN_RATE_LIMIT", "off"),
        ("FORM_MIN_TIME", "0s"),
        ("DISPOSABLE_EMAIL_DOMAINS", "none"),
        ("ERASE_AFTER_CLOSE", "never"),
    ])
    .unwrap();
    assert!(s.abuse.rate_limits.is_empty());
    assert!(s.abuse.form_min_time.is_zero());
    assert!(!s.abuse.disposable_domains.contains("mailinator.com"));
    assert_eq!(s.retention.erase_after_close, None);
    let s = settings(&[("SIGN_RATE_LIMIT", " 5/1m , 50/1h ")]).unwrap();
    assert_eq!(s.abuse.rate_limits, [(5, Duration::from_secs(60)), (50, Duration::from_secs(3600))]);
}

#[test]
fn public_url_is_normalised() {
    let s = settings(&[("PUBLIC_URL", "https://sign.example.org/")]).unwrap();
    let url = s.public_url.unwrap();
    assert_eq!(url.join("/s/abc"), "https://sign.example.org/s/abc");
    assert_eq!(url.host(), "sign.example.org");
    assert_eq!(PublicUrl::parse("http://127.0.0.1:8080").unwrap().host(), "127.0.0.1");
    assert_eq!(PublicUrl::parse("http://[::1]:8080").unwrap().host(), "[::1]");
}

#[test]
fn the_documented_variables_are_exactly_those_read() {
    let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
    Settings::from_lookup(&|k| {
        asked.borrow_mut().insert(k.to_owned());
        None
    })
    .unwrap();
    // RUST_LOG is read by the log filter (telemetry), not here.
    asked.borrow_mut().insert("RUST_LOG".to_owned());
    let documented: std::collections::BTreeSet<String> = VARIABLES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(*asked.borrow(), documented);
}

#[test]
fn the_metrics_token_is_asked_for_as_a_bearer_token() {
    assert!(MetricsToken::parse("short").is_err());
    assert!(MetricsToken::parse(&format!("{} x", "a".repeat(32))).is_err(), "no spaces");
    let token = MetricsToken::parse(&"t".repeat(40)).unwrap();
    let header = |v: String| token.admits(v.as_bytes());
    assert!(header(format!("Bearer {}", "t".repeat(40))));
    assert!(header(format!("bearer {}", "t".repeat(40))), "the scheme in any case");
    assert!(!header(format!("Bearer {}", "t".repeat(39))));
    assert!(!header(format!("Basic {}", "t".repeat(40))));
    assert!(!header("t".repeat(40)));
    assert!(!format!("{token:?}").contains("tttt"), "never printed");
}

#[test]
fn embed_origins_are_origins() {
    assert_eq!(EmbedOrigins::parse("*").unwrap().frame_ancestors(), "*");
    let only = EmbedOrigins::parse(" https://campaign.example , http://localhost:8000/").unwrap();
    assert_eq!(only.frame_ancestors(), "https://campaign.example http://localhost:8000");
    for bad in ["", "campaign.example", "https://campaign.example/page", "javascript:alert(1)", "https://a.example;"] {
        assert!(EmbedOrigins::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn every_variable_is_documented_once() {
    let mut names: Vec<_> = VARIABLES.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), VARIABLES.len());
}
