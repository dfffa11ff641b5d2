//! HTML error pages: outside the API and export downloads, the JSON body of
//! an [`AppError`](crate::error::AppError) response becomes a page in the
//! reader's language, with the same status and headers.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use askama::Template;

use crate::error::ErrorPage;
use crate::i18n::Tr;

/// Title and message in the reader's language where the page has fixed
/// words (the rest, mostly for organisers, stays in English).
fn in_language(page: &ErrorPage, tr: &Tr) -> (String, String) {
    let (title, text) = match page.code {
        "not_found" => ("error-not-found-title", Some("error-not-found-text")),
        "unavailable" => ("error-unavailable-title", Some("error-unavailable-text")),
        "internal" => ("error-internal-title", Some("error-internal-text")),
        "gone" => ("error-gone-title", None),
        "forbidden" => ("error-refused-title", None),
        "conflict" => ("error-conflict-title", None),
        // The specific reason is in English; other readers get a general
        // sentence in their language first.
        "bad_request"
        | "invalid"
        | "payload_too_large"
        | "unsupported_media_type"
        | "method_not_allowed"
        | "request_timeout" => {
            let message = if tr.lang == crate::domain::Language::En {
                page.message.clone()
            } else {
                format!("{} ({})", tr.t("error-bad-request-text"), page.message)
            };
            return (tr.t("error-bad-request-title"), message);
        }
        _ => return (page.title.to_owned(), page.message.clone()),
    };
    (tr.t(title), text.map(|t| tr.t(t)).unwrap_or_else(|| page.message.clone()))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    tr: Tr,
    title: &'a str,
    message: &'a str,
}

/// Whether a request is for machines (JSON errors): the API, and export
/// downloads, which scripts fetch with API tokens.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/")
        || (path.starts_with("/admin/petitions/")
            && [".csv", ".json", ".ndjson", ".zip"].iter().any(|ext| path.ends_with(ext)))
}

/// Middleware: except for API and export URLs, replaces the JSON body of an
/// [`crate::error::AppError`] response with an HTML page, keeping status and headers.
pub async fn render_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let api = wants_json(req.path());
    // The organisers' side is in English.
    let tr = if req.path().starts_with("/admin") {
        Tr::ENGLISH
    } else {
        Tr::new(crate::routes::language::negotiate(req.request()))
    };
    let res = next.call(req).await?;
    let page = if api { None } else { res.response().extensions().get::<ErrorPage>().cloned() };
    let Some(page) = page else {
        return Ok(res.map_into_left_body());
    };
    let (title, message) = in_language(&page, &tr);
    let html = ErrorTemplate { tr, title: &title, message: &message }.render().unwrap_or_else(|_| message.clone());
    Ok(res
        .map_body(|head, _| {
            head.headers_mut()
                .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
            head.headers_mut().remove(header::CONTENT_LENGTH);
            BoxBody::new(html)
        })
        .map_into_right_body())
}
