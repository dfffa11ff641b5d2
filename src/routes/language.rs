//! Which language a reader gets: `?lang=` (the language menu, remembered in
//! a cookie), then that cookie, then `Accept-Language`, else English.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};

use crate::domain::Language;
use crate::i18n::{Tr, from_accept_language};

const COOKIE: &str = "lang";

fn from_query(query: &str) -> Option<Language> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Language::parse(&v))
}

/// The language asked for with `?lang=`, if any.
pub fn asked(req: &HttpRequest) -> Option<Language> {
    from_query(req.query_string())
}

/// The reader's language for this request.
pub fn negotiate(req: &HttpRequest) -> Language {
    negotiate_parts(req.query_string(), req.cookie(COOKIE).as_ref().map(|c| c.value()), req.headers())
}

fn negotiate_parts(query: &str, cookie: Option<&str>, headers: &header::HeaderMap) -> Language {
    from_query(query)
        .or_else(|| cookie.and_then(Language::parse))
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(from_accept_language))
        .unwrap_or_default()
}

impl FromRequest for Tr {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Tr::new(negotiate(req))))
    }
}

/// Middleware: a `?lang=` choice is remembered in a cookie (a year, this
/// site only, no personal data), and pages say that they vary by language.
pub async fn remember_language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = from_query(req.query_string());
    let mut res = next.call(req).await?;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("image/svg"));
    if is_html {
        res.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
        if let Some(lang) = chosen {
            let cookie = format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_then_cookie_then_header() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(negotiate_parts("", None, &headers), Language::En);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ru-RU,ru;q=0.9,en;q=0.5"));
        assert_eq!(negotiate_parts("", None, &headers), Language::Ru);
        assert_eq!(negotiate_parts("", Some("ar"), &headers), Language::Ar);
        assert_eq!(negotiate_parts("x=1&lang=zh", Some("ar"), &headers), Language::Zh);
        assert_eq!(negotiate_parts("lang=de", Some("nonsense"), &headers), Language::Ru);
    }
}
