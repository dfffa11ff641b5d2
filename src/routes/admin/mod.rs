//! The organisers' side: login, dashboard, petition management, exports.
//! Pages need a session (else a redirect to the login page); exports accept a
//! session or an API token (else 401).

mod chart;
mod dashboard;
mod exports;
mod held;
mod login;
mod petitions;
mod translations;

use actix_web::web;

use super::{get_or_head, resource};
use crate::auth::session;
use crate::db::Db;
use actix_web::cookie::Key;

/// Admin forms may carry a petition's whole text.
const FORM_LIMIT: usize = 256 * 1024;

pub fn scope(
    db: Db,
    cookie_key: Key,
    https: bool,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/admin")
        .wrap(session::middleware(db, cookie_key, https))
        .service(resource("").route(get_or_head().to(dashboard::index)))
        .service(resource("/login").route(get_or_head().to(login::form)).route(web::post().to(login::submit)))
        .service(resource("/logout").route(web::post().to(login::logout)))
        .service(resource("/petitions").route(web::post().to(petitions::create)))
        .service(resource("/petitions/new").route(get_or_head().to(petitions::new_form)))
        .service(resource("/petitions/{slug}").route(get_or_head().to(dashboard::petition)))
        .service(
            resource("/petitions/{slug}/edit")
                .route(get_or_head().to(petitions::edit_form))
                .route(web::post().to(petitions::update)),
        )
        .service(resource("/petitions/{slug}/state").route(web::post().to(petitions::set_state)))
        .service(
            resource("/petitions/{slug}/translations/{lang}")
                .route(get_or_head().to(translations::form))
                .route(web::post().to(translations::save)),
        )
        .service(
            resource("/petitions/{slug}/held").route(get_or_head().to(held::list)).route(web::post().to(held::review)),
        )
        // Exports answer GET only: a HEAD would run (and log) a whole export.
        .service(resource("/petitions/{slug}/signatures.{format}").route(web::get().to(exports::signatures)))
        .service(resource("/petitions/{slug}/totals.csv").route(web::get().to(exports::totals)))
        .service(resource("/petitions/{slug}/delivery.zip").route(web::get().to(exports::delivery)))
}
