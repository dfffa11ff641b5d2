//! HTTP handlers: thin functions that read the request, call the domain,
//! `signing` or `db`, and render a page or JSON.

mod admin;
pub mod api;
mod assets;
pub mod body_deadline;
mod client;
mod embed;
mod health;
pub mod input;
pub mod language;
mod links;
mod pages;
pub mod security;
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
                .service(resource("/openapi.json").route(get_or_head().to(api::openapi))),
        )
        .service(admin::scope(state.db.clone(), state.keys.cookie_key(), state.public_url.is_https()))
        .service(resource("/").route(get_or_head().to(pages::home)))
        .service(resource("/p/{slug}").route(get_or_head().to(pages::petition)))
        .service(
            resource("/p/{slug}/sign").route(web::post().to(pages::sign)).route(get_or_head().to(pages::sign_page)),
        )
        .service(resource("/p/{slug}/check-email").route(get_or_head().to(pages::check_email)))
        .service(resource("/p/{slug}/held").route(get_or_head().to(pages::held)))
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
    if [Method::GET, Method::HEAD, Method::POST].contains(req.method()) {
        return next.call(req).await.map(actix_web::dev::ServiceResponse::map_into_left_body);
    }
    let res = actix_web::ResponseError::error_response(&AppError::MethodNotAllowed);
    Ok(req.into_response(res).map_into_right_body())
}
