//! Which language a reader gets: `?lang=` (the language menu, remembered in
//! a cookie), then that cookie, then `Accept-Language`, else English.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};

use crate::domain::Language;
use crate::i18n::Tr;

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

/// The most preferred of our languages in an `Accept-Language` header, by
/// q-value (ties in the order given); `q=0` means "not this one".
pub fn from_accept_language(value: &str) -> Option<Language> {
    use header::{LanguageTag, Preference, Quality, QualityItem};
    let mut ranked: Vec<QualityItem<Preference<LanguageTag>>> =
        value.split(',').filter_map(|item| item.trim().parse().ok()).collect();
    ranked.retain(|item| item.quality > Quality::ZERO);
    ranked.sort_by_key(|item| std::cmp::Reverse(item.quality));
    ranked.iter().find_map(|item| match &item.item {
        Preference::Specific(tag) => Language::parse(tag.primary_language()),
        Preference::Any => None,
    })
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
    let https = req.app_data::<actix_web::web::Data<crate::state::AppState>>().is_some_and(|s| s.public_url.is_https());
    let mut res = next.call(req).await?;
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (is_html, is_svg) = (content_type.starts_with("text/html"), content_type.starts_with("image/svg"));
    if is_html || is_svg {
        res.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    }
    // Not on the badge: a shared cache must not hand one reader's cookie to another.
    if let (true, Some(lang)) = (is_html, chosen) {
        let secure = if https { "; Secure" } else { "" };
        let cookie = format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
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

    #[test]
    fn accept_language_by_preference() {
        assert_eq!(from_accept_language("de-DE,de;q=0.9,fr;q=0.8,en;q=0.5"), Some(Language::Fr));
        assert_eq!(from_accept_language("en;q=0.1, fr;q=0.9"), Some(Language::Fr), "by q-value, not order");
        assert_eq!(from_accept_language("fr;q=0, en"), Some(Language::En), "q=0 is a refusal");
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9"), Some(Language::Zh));
        assert_eq!(from_accept_language("zh-Hant-TW"), Some(Language::Zh));
        assert_eq!(from_accept_language("ar-EG"), Some(Language::Ar));
        assert_eq!(from_accept_language("de"), None);
        assert_eq!(from_accept_language(""), None);
        assert_eq!(from_accept_language("*"), None);
        assert_eq!(from_accept_language("!!, ;;;"), None);
    }
}
