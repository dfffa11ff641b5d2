//! HTTP handlers: thin functions that read the request, call the domain,
//! `signing` or `db`, and render a page or JSON.

mod api;
mod assets;
mod health;
mod input;
mod links;
mod pages;
mod views;

use actix_web::{guard, web};

use crate::error::AppError;

/// GET, and HEAD (answered like GET without a body).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(get_or_head().to(health::healthz)))
        .service(web::resource("/static/style.css").route(get_or_head().to(assets::stylesheet)))
        .service(
            web::scope("/api/v1")
                .service(web::resource("/petitions").route(get_or_head().to(api::list_petitions)))
                .service(web::resource("/petitions/{slug}").route(get_or_head().to(api::show_petition)))
                .service(web::resource("/petitions/{slug}/signatures").route(web::post().to(api::sign_petition))),
        )
        .service(web::resource("/").route(get_or_head().to(pages::home)))
        .service(web::resource("/p/{slug}").route(get_or_head().to(pages::petition)))
        .service(web::resource("/p/{slug}/sign").route(web::post().to(pages::sign)))
        .service(web::resource("/p/{slug}/check-email").route(get_or_head().to(pages::check_email)))
        .service(
            web::resource("/s/{token}")
                .route(get_or_head().to(links::confirm_page))
                .route(web::post().to(links::confirm)),
        )
        .service(
            web::resource("/s/{token}/withdraw")
                .route(get_or_head().to(links::withdraw_page))
                .route(web::post().to(links::withdraw)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
