//! The typed values some settings parse into: the public URL, the metrics
//! token, the origins allowed to frame the sign form.

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

    /// What names the transparency logs of this deployment: the origin
    /// without its scheme (`sign.example.org`, with a port if it has one).
    pub fn log_origin_base(&self) -> String {
        self.origin.split_once("://").map_or(self.origin.as_str(), |(_, rest)| rest).to_owned()
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

/// The deployment's master secret (SECRET_KEY). Never printed.
#[derive(Clone)]
pub struct SecretKey(pub Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The shortest SECRET_KEY accepted.
const MIN_SECRET_KEY: usize = 32;

impl SecretKey {
    /// SECRET_KEY as configured: at least 32 bytes, used as they are.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() < MIN_SECRET_KEY {
            Err("must be at least 32 characters (e.g. `openssl rand -hex 32`)".into())
        } else {
            Ok(Self(s.as_bytes().to_vec()))
        }
    }
}

/// An Ed25519 signing key given as configuration (DELIVERY_SIGNING_KEY,
/// LOG_SIGNING_KEY). Never printed.
#[derive(Clone)]
pub struct DeliveryKey(pub ed25519_dalek::SigningKey);

impl std::fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryKey(<redacted>)")
    }
}

impl DeliveryKey {
    /// The key as configured: the base64 of a 32-byte seed.
    pub fn parse(s: &str) -> Result<Self, String> {
        crate::crypto::parse_signing_key(s)
            .map(Self)
            .ok_or_else(|| "must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)".into())
    }
}
