//! Headers on every response. Pages use no script at all; links carry
//! tokens, so no referrer leaves the site; nothing may be framed but the
//! embeddable sign form (`routes::embed`), which sets its own policy.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// The policy of every page: no script, nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The same policy, but framable by `frame_ancestors` (CSP sources).
pub fn framable_policy(frame_ancestors: &str) -> String {
    CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", &format!("frame-ancestors {frame_ancestors}"))
}

/// The header a framable response sets itself.
pub fn framable(frame_ancestors: &str) -> (HeaderName, HeaderValue) {
    let policy = HeaderValue::from_str(&framable_policy(frame_ancestors))
        .unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    (header::CONTENT_SECURITY_POLICY, policy)
}

/// Middleware: adds each security header the response does not set itself.
/// A response with its own policy (the embed) gets no `X-Frame-Options`,
/// which has no way to allow some sites and would override the policy in
/// old browsers; every other response is `DENY`.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.public_url.is_https());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let own_policy = h.contains_key(header::CONTENT_SECURITY_POLICY);
    let mut add = |name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    add(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    add(header::REFERRER_POLICY, "no-referrer");
    add(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    if !own_policy {
        add(header::X_FRAME_OPTIONS, "DENY");
    }
    if https {
        add(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    Ok(res)
}
