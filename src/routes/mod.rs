//! HTTP handlers: thin functions that read the request, call the domain,
//! `signing` or `db`, and render a page or JSON.

mod admin;
pub mod api;
mod assets;
pub mod body_deadline;
pub mod caller;
mod client;
mod embed;
pub mod error_page;
mod extract;
mod health;
pub mod input;
pub mod language;
mod links;
mod log;
mod pages;
pub mod security;
mod verify;
mod views;

use actix_web::{guard, web};

use crate::error::AppError;

/// A route whose other methods get a 405 with the usual error body.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// GET, and HEAD (answered like GET without a body).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub fn configure(cfg: &mut web::ServiceConfig, state: &crate::state::AppState) {
    cfg.service(resource("/healthz").route(get_or_head().to(health::healthz)))
        .service(resource("/readyz").route(get_or_head().to(health::readyz)))
        .service(resource("/metrics").route(get_or_head().to(health::metrics)))
        .service(resource("/static/style.css").route(get_or_head().to(assets::stylesheet)))
        .service(
            web::scope("/api/v1")
                .service(resource("/petitions").route(get_or_head().to(api::list_petitions)))
                .service(resource("/petitions/{slug}").route(get_or_head().to(api::show_petition)))
                .service(resource("/petitions/{slug}/signatures").route(web::post().to(api::sign_petition)))
                .service(resource("/delivery-key").route(get_or_head().to(api::delivery_key)))
                .service(resource("/log-key").route(get_or_head().to(api::log_key)))
                .service(resource("/openapi.json").route(get_or_head().to(api::openapi))),
        )
        .service(admin::scope(state.db.clone(), state.keys.cookie_key(), state.public_url.is_https()))
        .service(resource("/").route(get_or_head().to(pages::home)))
        .service(resource("/p/{slug}").route(get_or_head().to(pages::petition)))
        .service(resource("/log/{slug}/checkpoint").route(get_or_head().to(log::checkpoint)))
        .service(resource("/log/{slug}/checkpoints").route(get_or_head().to(log::checkpoints)))
        .configure(log::tile_routes)
        .service(
            resource("/p/{slug}/sign").route(web::post().to(pages::sign)).route(get_or_head().to(pages::sign_page)),
        )
        .service(resource("/p/{slug}/check-email").route(get_or_head().to(pages::check_email)))
        .service(resource("/p/{slug}/held").route(get_or_head().to(pages::held)))
        .service(
            resource("/p/{slug}/verify").route(get_or_head().to(verify::page)).route(web::post().to(verify::check)),
        )
        .service(resource("/p/{slug}/embed").route(get_or_head().to(embed::show)).route(web::post().to(embed::sign)))
        .service(resource("/p/{slug}/badge.svg").route(get_or_head().to(embed::badge)))
        .service(
            resource("/s/{token}").route(get_or_head().to(links::confirm_page)).route(web::post().to(links::confirm)),
        )
        .service(
            resource("/s/{token}/withdraw")
                .route(get_or_head().to(links::withdraw_page))
                .route(web::post().to(links::withdraw)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

async fn method_not_allowed() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// Middleware: the `METRICS_BIND` listener serves /metrics and nothing else.
pub async fn metrics_listener_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let listener = req.app_data::<web::Data<crate::state::AppState>>().and_then(|s| s.metrics_access.listener);
    let elsewhere = listener.is_none_or(|addr| addr != req.app_config().local_addr());
    let refusal = (!elsewhere && req.path() != "/metrics").then_some(AppError::NotFound);
    pass_unless(req, next, refusal).await
}

/// What the refusing middlewares share: the request goes on, or `refusal`
/// answers it before any handler runs.
async fn pass_unless<B: actix_web::body::MessageBody + 'static>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
    refusal: Option<AppError>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    match refusal {
        None => next.call(req).await.map(actix_web::dev::ServiceResponse::map_into_left_body),
        Some(refusal) => {
            let res = actix_web::ResponseError::error_response(&refusal);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

/// Middleware: a request with a method no route uses (anything but GET,
/// HEAD, POST) gets a 405 before it reaches the metrics, whose labels would
/// otherwise grow with every made-up method.
pub async fn refuse_unknown_methods(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::http::Method;
    let known = [Method::GET, Method::HEAD, Method::POST].contains(req.method());
    pass_unless(req, next, (!known).then_some(AppError::MethodNotAllowed)).await
}

/// Whether every segment of `path` (as sent, percent-encoded) decodes to
/// UTF-8 text without control characters. No address here has any other:
/// slugs, tokens, language codes and formats are all plain ASCII.
fn path_is_text(path: &str) -> bool {
    percent_encoding::percent_decode_str(path).decode_utf8().is_ok_and(|p| !p.chars().any(char::is_control))
}

/// Middleware: a path that is not text ([`path_is_text`]), such as a slug
/// with `%00`, `%0a` or `%ff` in it, names nothing: 404 with the usual
/// not-found page or JSON, before any handler, header or database sees it.
/// Emailed links (`/s/…`) are left to their own page, which says kindly
/// that the link does not work (a token is parsed before anything else).
pub async fn refuse_paths_that_are_not_text(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let named = req.path().starts_with("/s/") || path_is_text(req.path());
    pass_unless(req, next, (!named).then_some(AppError::NotFound)).await
}

#[cfg(test)]
mod tests {
    use super::path_is_text;

    #[test]
    fn paths_must_decode_to_text() {
        for good in ["/", "/p/free-them", "/p/free-them/sign", "/s/us_abc-DEF_123", "/p/%E7%8E%8B", "/p/a%20b"] {
            assert!(path_is_text(good), "{good}");
        }
        for bad in [
            "/p/a%00",
            "/p/a%0a",
            "/p/a%0D",
            "/p/%1b[2J",
            "/p/a%7f",
            "/p/a%C2%9B",
            "/p/%ff",
            "/p/%C3",
            "/admin/petitions/x%00/edit",
        ] {
            assert!(!path_is_text(bad), "{bad}");
        }
    }
}
