//! `SMTP_URL`, parsed: where and how to send. The email module connects
//! (`email::smtp::SmtpTarget`); configuration only reads the URL.

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text (smtp://host).
    None,
    /// STARTTLS, required or when offered (smtp://host?tls=required|opportunistic).
    StartTls { required: bool },
    /// TLS from the first byte (smtps://host).
    Wrapper,
}

/// An `SMTP_URL` in lettre's URL form:
/// `smtp://[user:pass@]host[:port][/helo-name][?tls=required|opportunistic]`
/// or `smtps://…`. Default ports as lettre's: 25 plain, 587 with STARTTLS,
/// 465 smtps. Its Debug output never shows the credentials.
#[derive(Clone)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// The name the greeting gives; None: not given in the URL.
    pub hello: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpUrl({}:{}, {:?}, credentials: {})",
            self.host,
            self.port,
            self.security,
            self.credentials.is_some()
        )
    }
}

impl SmtpUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("no host")?.trim_matches(['[', ']']).to_owned();
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (SmtpSecurity::None, 25),
            ("smtp", Some("required")) => (SmtpSecurity::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (SmtpSecurity::StartTls { required: false }, 587),
            ("smtps", _) => (SmtpSecurity::Wrapper, 465),
            (scheme, tls) => return Err(format!("unknown scheme {scheme:?} or tls parameter {tls:?}")),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned());
        let credentials = match url.password() {
            Some(password) => Some((
                decode(url.username()).map_err(|_| "user name is not UTF-8")?,
                decode(password).map_err(|_| "password is not UTF-8")?,
            )),
            None => None,
        };
        let hello = match url.path().trim_matches('/') {
            "" => None,
            name => Some(name.to_owned()),
        };
        Ok(Self { port: url.port().unwrap_or(default_port), host, security, credentials, hello })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_as_lettre_reads_them() {
        let t = SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port, &t.security), ("127.0.0.1", 2525, &SmtpSecurity::None));
        let t = SmtpUrl::parse("smtp://user:p%40ss@mail.example.org?tls=required").unwrap();
        assert_eq!((t.port, &t.security), (587, &SmtpSecurity::StartTls { required: true }));
        assert_eq!(t.credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())), Some(("user", "p@ss")));
        assert!(!format!("{t:?}").contains("p@ss"), "credentials are never printed");
        assert_eq!(SmtpUrl::parse("smtps://mail.example.org").unwrap().port, 465);
        assert_eq!(SmtpUrl::parse("smtp://mail.example.org").unwrap().port, 25);
        let named = SmtpUrl::parse("smtp://relay.example.org/mx.campaign.example").unwrap();
        assert_eq!(named.hello.as_deref(), Some("mx.campaign.example"));
        for bad in ["nope://x", "smtp://x?tls=sometimes", "smtp://", "not a url"] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
