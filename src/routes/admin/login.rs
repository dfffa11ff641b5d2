//! Signing in and out.

use actix_session::Session;
use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{Kind, Network, Recorder};
use crate::auth::session::{CSRF, ORGANISER, cookie_name};
use crate::auth::throttle::{self, AttemptKeys};
use crate::auth::{Actor, csrf};
use crate::db;
use crate::error::AppError;
use crate::routes::client::client_ip;
use crate::routes::extract::{OrganiserPost, impl_organiser_form};
use crate::routes::input;
use crate::routes::views::{html, no_store, see_other};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// Renders the login form with a fresh double-submit token: the same random
/// value in a hidden field and in a SameSite=Strict cookie.
fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let token = csrf::new_token();
    let mut res = html(status, LoginPage { csrf: &token, email, error })?;
    let https = state.public_url.is_https();
    let cookie = Cookie::build(cookie_name(https, "login"), token)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(1))
        .finish();
    res.add_cookie(&cookie).map_err(|e| AppError::Internal(e.into()))?;
    Ok(no_store(res))
}

pub async fn form(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    login_page(&state, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// The organiser a device cookie names, and the cookie's value.
fn device_cookie(req: &HttpRequest, state: &AppState) -> Option<(i64, String)> {
    let cookie = req.cookie(&cookie_name(state.public_url.is_https(), "device"))?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    let value = jar.private(&state.keys.cookie_key()).get(&cookie_name(state.public_url.is_https(), "device"))?;
    let value = value.value().to_owned();
    let id = value.split_once(':')?.0.parse().ok()?;
    Some((id, value))
}

/// A new device cookie for the organiser: proof, on later logins, that this
/// browser has signed in to this account before (see `auth::throttle`).
fn new_device_cookie(state: &AppState, organiser_id: i64) -> Cookie<'static> {
    let https = state.public_url.is_https();
    let name = cookie_name(https, "device");
    let value = format!("{organiser_id}:{}", csrf::new_token());
    let mut jar = CookieJar::new();
    jar.private_mut(&state.keys.cookie_key()).add(Cookie::new(name.clone(), value));
    let encrypted = jar.get(&name).map(|c| c.value().to_owned()).unwrap_or_default();
    Cookie::build(name, encrypted)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::days(365))
        .finish()
}

/// Checks the credentials. A wrong password and an unknown email get the same
/// page, after the same work (an Argon2id verification either way); repeated
/// failures are throttled (see `auth::throttle`), and when the hasher's queue
/// is full the attempt is refused unchecked (503, see `auth::password`).
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form: LoginForm = input::form(&req, payload, 4096).await?;
    let https = state.public_url.is_https();
    let sent_token = req.cookie(&cookie_name(https, "login")).map(|c| c.value().to_owned()).unwrap_or_default();
    if csrf::verify(&sent_token, &form.csrf_token).is_err() {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &form.email,
            Some("The login form had expired. Please try again."),
        );
    }
    // A place in the hasher's queue first: a login that finds it full costs
    // no database work at all (so a flood cannot queue behind SQLite's one
    // writer either) and does not count as a failure. A throttled attempt
    // below gives its place back at once.
    let Ok(place) = state.passwords.reserve() else {
        tracing::warn!("login refused: the password hasher is busy");
        return Err(AppError::LoginBusy { retry_after: crate::auth::password::BUSY_RETRY_AFTER });
    };
    let email = form.email.trim().to_lowercase();
    let lookup = email.clone();
    let organiser = state.db.read(move |c| db::organisers::find_by_email(c, &lookup)).await?;
    let device = device_cookie(&req, &state).filter(|(id, _)| organiser.as_ref().is_some_and(|o| o.id == *id));
    let client = client_ip(&req, &state.trusted_proxies);
    let keys = AttemptKeys::new(&state.keys, &email, client, device.as_ref().map(|(_, v)| v.as_str()));
    // Who the trail names: the account typed, if it exists (never what was typed).
    let actor = organiser.as_ref().map_or_else(
        || Actor { organiser_id: None, description: "unknown account".into() },
        |o| Actor { organiser_id: Some(o.id), description: o.email.clone() },
    );
    let by = Recorder::new(&state.keys, actor, Some(Network::of(&state.keys, client)));
    let (now, trusted) = (crate::now(), device.is_some());
    let attempt = state
        .db
        .write(move |c| {
            let device = keys.device.as_ref().map(|d| &d[..]);
            let since = now - throttle::WINDOW;
            db::organisers::begin_attempt(c, &keys.account, &keys.client, device, since, now, |recent| {
                throttle::allowed(recent, trusted)
            })
        })
        .await?;
    let Some(attempt) = attempt else {
        tracing::warn!("login throttled");
        return Err(AppError::TooManyRequests);
    };
    let verified = place.verify(form.password, organiser.as_ref().map(|o| o.password_hash.clone())).await;
    let Some(organiser) = organiser.filter(|_| verified) else {
        // The attempt stays recorded as a failure.
        tracing::info!("login failed");
        by.record(&state.db, Kind::SignInFailed, None, "wrong password or unknown account").await?;
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &form.email,
            Some("The email address or password is not correct."),
        );
    };
    state
        .db
        .write(move |c| {
            db::organisers::forget_attempt(c, attempt)?;
            by.append(c, Kind::SignIn, None, "password")
        })
        .await?;
    // A fresh session id on every login.
    session.renew();
    session.insert(ORGANISER, organiser.id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    session.insert(CSRF, csrf::new_token()).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    tracing::info!(organiser_id = organiser.id, "organiser signed in");
    let mut res = see_other("/admin");
    if device.is_none() {
        res.add_cookie(&new_device_cookie(&state, organiser.id)).map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

impl_organiser_form!(LogoutForm: 4096);

/// Ends the session on the server, not only in the browser.
pub async fn logout(
    state: web::Data<AppState>,
    OrganiserPost { organiser, .. }: OrganiserPost<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    // Signed out first, whatever happens to the record: a sign-out that a
    // failed write left undone would keep the session alive.
    organiser.session.purge();
    if let Err(e) = organiser.recorder().record(&state.db, Kind::SignOut, None, "").await {
        tracing::warn!(error = %e, organiser_id = organiser.id, "signed out, but the audit record was not written");
    }
    tracing::info!(organiser_id = organiser.id, "organiser signed out");
    Ok(see_other("/admin/login"))
}
