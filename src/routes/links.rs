//! The pages behind emailed links. GET and HEAD only show a page (mail
//! scanners fetch links); a button POSTs to confirm or withdraw.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::views::{Summary, html};
use crate::db::signatures::{self, ConfirmOutcome, WithdrawOutcome};
use crate::domain::{Country, Language, SignatureStatus, Token, TokenHash};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    tr: Tr,
    petition: Summary,
    token: String,
    /// What will be confirmed, so the mailbox owner can check it.
    name: String,
    country: String,
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    tr: Tr,
    petition: Summary,
    token: String,
    already: bool,
}

#[derive(Template)]
#[template(path = "link_problem.html")]
struct LinkProblemPage {
    tr: Tr,
    expired: bool,
    petition: Option<Summary>,
}

#[derive(Template)]
#[template(path = "withdraw.html")]
struct WithdrawPage {
    tr: Tr,
    petition: Summary,
    token: String,
}

#[derive(Template)]
#[template(path = "withdrawn.html")]
struct WithdrawnPage {
    tr: Tr,
    petition: Option<Summary>,
}

async fn summary(state: &AppState, petition_id: i64, tr: &Tr) -> Result<Option<Summary>, AppError> {
    let view = state.catalog.find_exact(&state.db, petition_id).await?;
    Ok(view.map(|p| Summary::new(&p, crate::now(), tr)))
}

/// The language of a link's pages: the one asked for (`?lang=`), else the
/// one the signature was given in.
fn language(req: &HttpRequest, signed_in: Language) -> Tr {
    Tr::new(super::language::asked(req).unwrap_or(signed_in))
}

fn unknown_link(tr: Tr) -> Result<HttpResponse, AppError> {
    no_store(html(StatusCode::NOT_FOUND, LinkProblemPage { tr, expired: false, petition: None }))
}

async fn expired_link(state: &AppState, petition_id: i64, tr: Tr) -> Result<HttpResponse, AppError> {
    let petition = summary(state, petition_id, &tr).await?;
    no_store(html(StatusCode::GONE, LinkProblemPage { tr, expired: true, petition }))
}

/// Pages carrying a token are never cached.
fn no_store(res: Result<HttpResponse, AppError>) -> Result<HttpResponse, AppError> {
    res.map(|mut r| {
        r.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
        r
    })
}

async fn thanks(
    state: &AppState,
    petition_id: i64,
    token: Token,
    already: bool,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(petition) = summary(state, petition_id, &tr).await? else {
        return unknown_link(tr);
    };
    no_store(html(StatusCode::OK, ThanksPage { tr, petition, token: token.as_str().to_owned(), already }))
}

/// GET/HEAD of a confirmation link: shows the "Confirm my signature" button.
pub async fn confirm_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(token) = Token::parse(&token) else {
        return unknown_link(tr);
    };
    let hash = token.hash();
    let Some(target) = state.db.read(move |c| signatures::find_by_token(c, &hash)).await? else {
        return unknown_link(tr);
    };
    let tr = language(&req, target.lang);
    match target.status {
        SignatureStatus::Withdrawn => unknown_link(tr),
        SignatureStatus::Confirmed => thanks(&state, target.petition_id, token, true, tr).await,
        SignatureStatus::Pending if target.expires_at <= crate::now() => {
            expired_link(&state, target.petition_id, tr).await
        }
        SignatureStatus::Pending => {
            let Some(petition) = summary(&state, target.petition_id, &tr).await? else {
                return unknown_link(tr);
            };
            let country =
                Country::parse(&target.country).map(|c| tr.country_name(c).to_owned()).unwrap_or(target.country);
            let name = target.name.unwrap_or_default();
            let page = ConfirmPage { tr, petition, token: token.as_str().to_owned(), name, country };
            no_store(html(StatusCode::OK, page))
        }
    }
}

/// Whether a token is known, looked up with a read so that a flood of made-up
/// tokens never takes the write path.
/// Returns the language the signature was given in, if the token is known.
async fn known(state: &AppState, hash: TokenHash) -> Result<Option<Language>, AppError> {
    Ok(state.db.read(move |c| signatures::find_by_token(c, &hash)).await?.map(|t| t.lang))
}

/// POST of the confirmation button.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(token) = Token::parse(&token) else {
        return unknown_link(tr);
    };
    let hash = token.hash();
    let Some(signed_in) = known(&state, hash).await? else {
        return unknown_link(tr);
    };
    let tr = language(&req, signed_in);
    let now = crate::now();
    match state.db.write(move |c| signatures::confirm(c, &hash, now)).await? {
        ConfirmOutcome::Confirmed { petition_id } => {
            state.metrics.confirmations.inc();
            thanks(&state, petition_id, token, false, tr).await
        }
        ConfirmOutcome::AlreadyConfirmed { petition_id } => thanks(&state, petition_id, token, true, tr).await,
        ConfirmOutcome::Expired { petition_id } => expired_link(&state, petition_id, tr).await,
        ConfirmOutcome::Unknown => unknown_link(tr),
    }
}

/// GET/HEAD of a withdraw link: shows the "Withdraw my signature" button.
pub async fn withdraw_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(token) = Token::parse(&token) else {
        return unknown_link(tr);
    };
    let hash = token.hash();
    let target = state.db.read(move |c| signatures::find_by_token(c, &hash)).await?;
    let Some(target) = target.filter(|t| t.status != SignatureStatus::Withdrawn) else {
        return unknown_link(tr);
    };
    let tr = language(&req, target.lang);
    let Some(petition) = summary(&state, target.petition_id, &tr).await? else {
        return unknown_link(tr);
    };
    no_store(html(StatusCode::OK, WithdrawPage { tr, petition, token: token.as_str().to_owned() }))
}

/// POST of the withdraw button: erases the signature's personal data.
pub async fn withdraw(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(token) = Token::parse(&token) else {
        return unknown_link(tr);
    };
    let hash = token.hash();
    let Some(signed_in) = known(&state, hash).await? else {
        return unknown_link(tr);
    };
    let tr = language(&req, signed_in);
    let now = crate::now();
    match state.db.write(move |c| signatures::withdraw(c, &hash, now)).await? {
        WithdrawOutcome::Withdrawn { petition_id } => {
            let petition = summary(&state, petition_id, &tr).await?;
            no_store(html(StatusCode::OK, WithdrawnPage { tr, petition }))
        }
        WithdrawOutcome::Unknown => unknown_link(tr),
    }
}
