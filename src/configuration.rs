//! Settings from environment variables (an optional `--config` file of
//! `KEY=value` lines may add to them; the environment wins).
//!
//! Every variable is parsed here, once, at start. A bad value is reported as
//! one line naming the variable, and the program exits non-zero.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::db::DatabaseUrl;

/// A setting that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Every variable the binary reads, with what it does; README and
/// deploy/.env.example list the same.
pub const VARIABLES: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres:// URL, or SQLite file path (default undersigned.db)"),
    ("DATABASE_POOL_SIZE", "connections in the pool (default 16; on SQLite one more, that writes)"),
    ("BIND", "address and port to listen on (default 127.0.0.1:8080)"),
    ("PUBLIC_URL", "base of every link in mail (default http:// + BIND)"),
    ("SMTP_URL", "lettre SMTP URL; unset: mail is written as .eml files to OUTBOX_DIR"),
    ("OUTBOX_DIR", "where .eml files go when SMTP_URL is unset (default ./outbox)"),
    ("MAIL_FROM", "sender of every mail (default Undersigned <noreply@localhost>)"),
    ("MAIL_CONCURRENCY", "mails sent at once (default 8)"),
    (
        "MAIL_WORKER",
        "on (default): this instance sends the outbox's mail; off: it only serves HTTP and queues mail for instances that send",
    ),
    ("MAIL_RETRY_BASE", "first retry delay after a failed send, doubling each time (default 5s)"),
    ("MAIL_RETRY_MAX", "longest delay between retries (default 15m)"),
    ("SECRET_KEY", "at least 32 characters; unset: generated once and kept in the database"),
    ("DELIVERY_SIGNING_KEY", "base64 Ed25519 seed signing delivery packets; unset: generated once and kept"),
    ("CONFIRMATION_TTL", "how long a confirmation link works (default 7d)"),
    ("COUNT_REFRESH", "how often public counts are refreshed (default and most 1s)"),
    ("HTTP_WORKERS", "HTTP worker threads (default: one per core)"),
    (
        "REQUEST_BODY_TIMEOUT",
        "time a client has to send a whole request body after its head (default 10s, 1s to 5m); then 408 and the connection is closed",
    ),
    (
        "LOGIN_QUEUE",
        "logins checked or waiting for the password hasher at once (default 4 per core); more get 503 with Retry-After",
    ),
    (
        "TRUSTED_PROXIES",
        "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none",
    ),
    (
        "SIGN_RATE_LIMIT",
        "signatures per petition from one network (IPv4 address or IPv6 /64) before the rest are held for review: \
         N/duration pairs, comma-separated (default 30/10m,300/1d); off turns limits off (load tests only)",
    ),
    (
        "FORM_MIN_TIME",
        "sign forms sent back sooner than this after they were shown are held for review (default 3s; 0s: off)",
    ),
    (
        "DISPOSABLE_EMAIL_DOMAINS",
        "refused email domains: builtin (default, a list of throwaway-mail services), none, or a file (one domain a line)",
    ),
    ("PENDING_GRACE", "unconfirmed signatures are deleted this long after their last link expired (default 7d)"),
    (
        "ERASE_AFTER_CLOSE",
        "names, emails and postcodes are erased this long after a petition closes; counts stay (default 90d; never: keep)",
    ),
    (
        "EMBED_ORIGINS",
        "sites allowed to show the sign form (/p/SLUG/embed) in a frame: * (default, any) or origins, comma-separated",
    ),
    (
        "METRICS_TOKEN",
        "bearer token (at least 32 characters) that /metrics asks for on BIND; unset: /metrics answers only on METRICS_BIND",
    ),
    ("METRICS_BIND", "a second address and port serving only /metrics, without a token (for the monitoring network)"),
    ("RUST_LOG", "log filter (default info)"),
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind: SocketAddr,
    /// None: derived from the address actually bound.
    pub public_url: Option<PublicUrl>,
    pub mail: MailSettings,
    pub secret_key: Option<SecretKey>,
    pub delivery_key: Option<DeliveryKey>,
    pub confirmation_ttl: Duration,
    pub count_refresh: Duration,
    pub http_workers: Option<usize>,
    /// How long a client has to send a request body (`routes::body_deadline`).
    pub body_timeout: Duration,
    /// Logins the password hasher holds at once; None: 4 per core.
    pub login_queue: Option<usize>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub abuse: AbuseSettings,
    pub retention: RetentionSettings,
    /// Who may frame the embeddable sign form.
    pub embed_origins: EmbedOrigins,
    pub metrics: MetricsSettings,
}

/// Who may read `/metrics`: nobody without one of these.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// Asked for as `Authorization: Bearer …` on the main address.
    pub token: Option<MetricsToken>,
    /// A second listener that serves only /metrics, without a token.
    pub bind: Option<SocketAddr>,
}

/// The shortest METRICS_TOKEN accepted.
pub const MIN_METRICS_TOKEN: usize = 32;

/// METRICS_TOKEN: compared in constant time, never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl MetricsToken {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() < MIN_METRICS_TOKEN {
            return Err(format!("must be at least {MIN_METRICS_TOKEN} characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be printable ASCII without spaces".into());
        }
        Ok(Self(s.to_owned()))
    }

    /// Whether an `Authorization` header value carries this token.
    pub fn admits(&self, authorization: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        // The scheme is case-insensitive (RFC 9110 section 11.1).
        let Some((scheme, given)) = authorization.split_at_checked(7) else { return false };
        scheme.eq_ignore_ascii_case(b"Bearer ") && bool::from(given.trim_ascii().ct_eq(self.0.as_bytes()))
    }
}

/// The sites allowed to frame `/p/{slug}/embed` (no other page may be framed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EmbedOrigins {
    /// Any site.
    #[default]
    Any,
    /// Only these origins (scheme, host and port).
    Only(Vec<String>),
}

impl EmbedOrigins {
    /// "* or a comma-separated list of origins (https://campaign.example)".
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim() == "*" {
            return Ok(Self::Any);
        }
        let origins: Result<Vec<String>, String> = s
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                let url =
                    url::Url::parse(o).map_err(|_| format!("{o:?} is not an origin like https://campaign.example"))?;
                let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
                if !["http", "https"].contains(&url.scheme()) || url.host_str().is_none() || !bare {
                    return Err(format!("{o:?} is not an origin like https://campaign.example (no path)"));
                }
                let origin = url.origin().ascii_serialization();
                // It goes into a Content-Security-Policy header: nothing but
                // the characters of a scheme, host and port.
                if !origin.chars().all(|c| c.is_ascii_alphanumeric() || "-.:/[]".contains(c)) {
                    return Err(format!("{o:?} is not an origin like https://campaign.example"));
                }
                Ok(origin)
            })
            .collect();
        let origins = origins?;
        if origins.is_empty() {
            return Err("expected * or origins like https://campaign.example".into());
        }
        Ok(Self::Only(origins))
    }

    /// The CSP `frame-ancestors` sources.
    pub fn frame_ancestors(&self) -> String {
        match self {
            Self::Any => "*".into(),
            Self::Only(origins) => origins.join(" "),
        }
    }
}

/// What holds back or refuses suspicious signatures.
#[derive(Debug, Clone)]
pub struct AbuseSettings {
    /// (signatures, window) per petition per network; empty: no limit.
    pub rate_limits: Vec<(u32, Duration)>,
    /// Zero: no minimum.
    pub form_min_time: Duration,
    pub disposable_domains: crate::abuse::DomainList,
}

impl Default for AbuseSettings {
    fn default() -> Self {
        Self {
            rate_limits: parse_rate_limits(DEFAULT_RATE_LIMITS).unwrap_or_default(),
            form_min_time: Duration::from_secs(3),
            disposable_domains: crate::abuse::DomainList::builtin(),
        }
    }
}

/// How long personal data is kept.
#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    pub pending_grace: Duration,
    /// None: never erased.
    pub erase_after_close: Option<Duration>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            pending_grace: Duration::from_secs(7 * 86_400),
            erase_after_close: Some(Duration::from_secs(90 * 86_400)),
        }
    }
}

const DEFAULT_RATE_LIMITS: &str = "30/10m,300/1d";

/// `30/10m,300/1d`, or `off`.
fn parse_rate_limits(s: &str) -> Result<Vec<(u32, Duration)>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(str::trim)
        .map(|part| {
            let (n, window) = part.split_once('/').ok_or_else(|| format!("{part:?} is not like 30/10m"))?;
            let n: u32 =
                n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("{n:?} is not a count above 0"))?;
            let window = duration_within(Duration::from_secs(1), Duration::from_secs(366 * 86_400))(window.trim())?;
            Ok((n, window))
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: Mailbox,
    pub concurrency: usize,
    /// Whether this instance sends the outbox's mail (MAIL_WORKER).
    pub worker: bool,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

impl MailSettings {
    /// The file outbox, when SMTP_URL is unset (its directory created
    /// private if missing).
    pub fn files(&self) -> anyhow::Result<Option<crate::email::MailFiles>> {
        match &self.transport {
            MailTransport::Files(dir) => crate::email::MailFiles::open(dir)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("OUTBOX_DIR: cannot create {}: {e}", dir.display())),
            MailTransport::Smtp(_) => Ok(None),
        }
    }
}

#[derive(Clone)]
pub enum MailTransport {
    /// A lettre SMTP URL (it may carry credentials, so it is never printed).
    Smtp(String),
    /// Each mail becomes an .eml file in this directory.
    Files(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Smtp(<redacted>)"),
            Self::Files(dir) => write!(f, "Files({})", dir.display()),
        }
    }
}

/// The origin (and optional path prefix) every emailed link starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    host: String,
}

impl PublicUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must start with http:// or https://".into());
        }
        let origin_only = url.query().is_none() && url.fragment().is_none() && url.path() == "/";
        match url.host_str() {
            Some(host) if origin_only => {
                Ok(Self { origin: url.as_str().trim_end_matches('/').to_owned(), host: host.to_owned() })
            }
            _ => Err("must be an origin like https://sign.example.org, with no path, query or fragment".into()),
        }
    }

    /// `PUBLIC_URL` + `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }

    pub fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }

    /// The host alone, without scheme or port: `sign.example.org`, an IPv4
    /// address, or an IPv6 address in brackets.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// The key that signs delivery packets. Never printed.
#[derive(Clone)]
pub struct DeliveryKey(pub ed25519_dalek::SigningKey);

impl std::fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryKey(<redacted>)")
    }
}

/// The deployment's master secret. Never printed.
#[derive(Clone)]
pub struct SecretKey(pub Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn get(lookup: Lookup<'_>, var: &str) -> Option<String> {
    lookup(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn parse_with<T>(
    lookup: Lookup<'_>,
    var: &'static str,
    default: T,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(lookup, var) {
        None => Ok(default),
        Some(v) => parse(&v).map_err(|problem| ConfigError { var, problem }),
    }
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (expected a duration like 30s, 10m, 7d)"))
}

/// A duration from `min` to `max` inclusive.
fn duration_within(min: Duration, max: Duration) -> impl FnOnce(&str) -> Result<Duration, String> {
    move |s| {
        let d = duration(s)?;
        if d < min || d > max {
            Err(format!(
                "must be from {} to {}, got {s:?}",
                humantime::format_duration(min),
                humantime::format_duration(max)
            ))
        } else {
            Ok(d)
        }
    }
}

fn on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("expected on or off, got {s:?}")),
    }
}

fn number<T>(min: T, max: T) -> impl FnOnce(&str) -> Result<T, String>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    move |s| match s.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!("expected a whole number from {min} to {max}, got {s:?}")),
    }
}

impl DatabaseSettings {
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            url: parse_with(lookup, "DATABASE_URL", DatabaseUrl::Sqlite("undersigned.db".into()), DatabaseUrl::parse)?,
            pool_size: parse_with(lookup, "DATABASE_POOL_SIZE", 16, number(1, 1000))?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let database = DatabaseSettings::from_lookup(lookup)?;
        let bind = parse_with(lookup, "BIND", SocketAddr::from(([127, 0, 0, 1], 8080)), |s| {
            s.parse().map_err(|_| format!("{s:?} is not an address and port like 127.0.0.1:8080"))
        })?;
        let public_url = parse_with(lookup, "PUBLIC_URL", None, |s| PublicUrl::parse(s).map(Some))?;
        let transport = match get(lookup, "SMTP_URL") {
            Some(url) => {
                crate::email::smtp::SmtpTarget::parse(&url).map_err(|e| ConfigError {
                    var: "SMTP_URL",
                    problem: format!(
                        "not a usable SMTP URL ({e}); expected e.g. smtp://host:25 or smtps://user:pass@host"
                    ),
                })?;
                MailTransport::Smtp(url)
            }
            None => MailTransport::Files(PathBuf::from(get(lookup, "OUTBOX_DIR").unwrap_or_else(|| "outbox".into()))),
        };
        let from = get(lookup, "MAIL_FROM").unwrap_or_else(|| DEFAULT_SENDER.to_owned());
        let from = Mailbox::from_str(&from).map_err(|e| ConfigError {
            var: "MAIL_FROM",
            problem: format!("{e}; expected e.g. Campaign <noreply@example.org>"),
        })?;
        let mail = MailSettings {
            transport,
            from,
            concurrency: parse_with(lookup, "MAIL_CONCURRENCY", 8, number(1, 256))?,
            worker: parse_with(lookup, "MAIL_WORKER", true, on_off)?,
            retry_base: parse_with(
                lookup,
                "MAIL_RETRY_BASE",
                Duration::from_secs(5),
                duration_within(Duration::from_millis(10), Duration::from_secs(3600)),
            )?,
            retry_max: parse_with(
                lookup,
                "MAIL_RETRY_MAX",
                Duration::from_secs(15 * 60),
                duration_within(Duration::from_millis(10), Duration::from_secs(24 * 3600)),
            )?,
        };
        if mail.retry_max < mail.retry_base {
            return Err(ConfigError {
                var: "MAIL_RETRY_MAX",
                problem: "must not be shorter than MAIL_RETRY_BASE".into(),
            });
        }
        let secret_key = parse_with(lookup, "SECRET_KEY", None, |s| {
            if s.len() < 32 {
                Err("must be at least 32 characters (e.g. `openssl rand -hex 32`)".into())
            } else {
                Ok(Some(SecretKey(s.as_bytes().to_vec())))
            }
        })?;
        let delivery_key = parse_with(lookup, "DELIVERY_SIGNING_KEY", None, |s| {
            crate::keys::parse_signing_key(s)
                .map(|k| Some(DeliveryKey(k)))
                .ok_or_else(|| "must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)".into())
        })?;
        let confirmation_ttl = parse_with(
            lookup,
            "CONFIRMATION_TTL",
            Duration::from_secs(7 * 24 * 3600),
            duration_within(Duration::from_secs(60), Duration::from_secs(365 * 24 * 3600)),
        )?;
        let count_refresh = parse_with(lookup, "COUNT_REFRESH", Duration::from_secs(1), |s| {
            duration(s).and_then(|d| {
                if d.is_zero() || d > Duration::from_secs(1) {
                    Err("must be more than 0 and at most 1s (counts must show a confirmation within 2 seconds)".into())
                } else {
                    Ok(d)
                }
            })
        })?;
        let http_workers = parse_with(lookup, "HTTP_WORKERS", None, |s| number(1usize, 1024)(s).map(Some))?;
        let body_timeout = parse_with(
            lookup,
            "REQUEST_BODY_TIMEOUT",
            crate::routes::body_deadline::DEFAULT_TIMEOUT,
            duration_within(Duration::from_secs(1), Duration::from_secs(300)),
        )?;
        let login_queue = parse_with(lookup, "LOGIN_QUEUE", None, |s| number(1usize, 10_000)(s).map(Some))?;
        let trusted_proxies = parse_with(lookup, "TRUSTED_PROXIES", Vec::new(), |s| {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| format!("{p:?} is not an address or CIDR (e.g. 10.0.0.1, 10.0.0.0/8, ::1)"))
                })
                .collect()
        })?;
        let rate_limits = parse_with(lookup, "SIGN_RATE_LIMIT", AbuseSettings::default().rate_limits, |s| {
            parse_rate_limits(s).map_err(|e| format!("{e}; expected e.g. 30/10m,300/1d or off"))
        })?;
        let form_min_time = parse_with(
            lookup,
            "FORM_MIN_TIME",
            Duration::from_secs(3),
            duration_within(Duration::ZERO, Duration::from_secs(60)),
        )?;
        let disposable_domains =
            parse_with(lookup, "DISPOSABLE_EMAIL_DOMAINS", crate::abuse::DomainList::builtin(), |s| match s {
                "builtin" => Ok(crate::abuse::DomainList::builtin()),
                "none" => Ok(crate::abuse::DomainList::default()),
                path => std::fs::read_to_string(path)
                    .map(|text| crate::abuse::DomainList::parse(&text))
                    .map_err(|e| format!("cannot read {path:?} ({e}); expected builtin, none or a file")),
            })?;
        let retention = RetentionSettings {
            pending_grace: parse_with(
                lookup,
                "PENDING_GRACE",
                RetentionSettings::default().pending_grace,
                duration_within(Duration::ZERO, Duration::from_secs(366 * 86_400)),
            )?,
            erase_after_close: parse_with(
                lookup,
                "ERASE_AFTER_CLOSE",
                RetentionSettings::default().erase_after_close,
                |s| {
                    if s == "never" {
                        Ok(None)
                    } else {
                        duration_within(Duration::ZERO, Duration::from_secs(10 * 366 * 86_400))(s).map(Some)
                    }
                },
            )?,
        };
        let embed_origins = parse_with(lookup, "EMBED_ORIGINS", EmbedOrigins::Any, EmbedOrigins::parse)?;
        let metrics = MetricsSettings {
            token: parse_with(lookup, "METRICS_TOKEN", None, |s| MetricsToken::parse(s).map(Some))?,
            bind: parse_with(lookup, "METRICS_BIND", None, |s| {
                s.parse().map(Some).map_err(|_| format!("{s:?} is not an address and port like 127.0.0.1:9090"))
            })?,
        };
        Ok(Self {
            embed_origins,
            metrics,
            database,
            bind,
            public_url,
            mail,
            secret_key,
            delivery_key,
            confirmation_ttl,
            count_refresh,
            http_workers,
            body_timeout,
            login_queue,
            trusted_proxies,
            abuse: AbuseSettings { rate_limits, form_min_time, disposable_domains },
            retention,
        })
    }
}

const DEFAULT_SENDER: &str = "Undersigned <noreply@localhost>";

#[cfg(test)]
mod tests {
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
        for bad in
            ["", "campaign.example", "https://campaign.example/page", "javascript:alert(1)", "https://a.example;"]
        {
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
}
