//! The pages behind emailed links. GET and HEAD only show a page (mail
//! scanners fetch links); a button POSTs to confirm or withdraw.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::views::{Summary, html};
use crate::confirmation::{self, Confirmation, Confirmed};
use crate::db::counts::ByCountry;
use crate::db::links::{TokenTarget, WithdrawOutcome};
use crate::domain::{Country, DetailsDigest, Language, Receipt, SignatureStatus, Token};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    tr: Tr,
    petition: Summary,
    token: String,
    /// What will be confirmed, so the mailbox owner can check it: every
    /// stored detail.
    name: String,
    country: String,
    /// "—" if none was given.
    postcode: String,
    language: Language,
    keep_informed: bool,
    /// The digest of what this page shows, sent back with the button; None
    /// when this link can no longer confirm (the details changed since it
    /// was mailed): then there is no button.
    shown: Option<String>,
    /// Say that the details changed.
    changed: bool,
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    tr: Tr,
    petition: Summary,
    token: String,
    already: bool,
    /// The signer's receipt, on the page that confirmed (the only time it
    /// exists outside the signer's hands).
    receipt: Option<String>,
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

/// As [`summary`], with counts just read (see `Catalog::with_counts`), or
/// read now if there are none.
async fn summary_counted(
    state: &AppState,
    petition_id: i64,
    tr: &Tr,
    counts: Option<&ByCountry>,
) -> Result<Option<Summary>, AppError> {
    let Some(counts) = counts else {
        return summary(state, petition_id, tr).await;
    };
    let view = state.catalog.with_counts(&state.db, petition_id, counts).await?;
    Ok(view.map(|p| Summary::new(&p, crate::now(), tr)))
}

/// The language of a link's pages: the one asked for (`?lang=`), else the
/// one the signature was given in.
fn language(req: &HttpRequest, signed_in: Language) -> Tr {
    Tr::new(super::language::asked(req).unwrap_or(signed_in))
}

impl LinkFor {
    /// The page for a link whose token is unknown.
    fn unknown(self) -> Result<HttpResponse, AppError> {
        match self {
            Self::Unknown(reader) | Self::Known { reader, .. } => unknown_link(reader),
        }
    }
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
    receipt: Option<Receipt>,
    tr: Tr,
    counts: Option<&ByCountry>,
) -> Result<HttpResponse, AppError> {
    let Some(petition) = summary_counted(state, petition_id, &tr, counts).await? else {
        return unknown_link(tr);
    };
    let page = ThanksPage {
        tr,
        petition,
        token: token.as_str().to_owned(),
        already: receipt.is_none(),
        receipt: receipt.map(|r| r.encode()),
    };
    no_store(html(StatusCode::OK, page))
}

/// GET/HEAD of a confirmation link: every detail that will be confirmed,
/// and the "Confirm my signature" button.
pub async fn confirm_page(state: web::Data<AppState>, link: LinkFor) -> Result<HttpResponse, AppError> {
    let LinkFor::Known { token, target, tr, .. } = link else {
        return link.unknown();
    };
    match target.status {
        SignatureStatus::Withdrawn => unknown_link(tr),
        SignatureStatus::Confirmed => thanks(&state, target.petition_id, token, None, tr, None).await,
        SignatureStatus::Pending if target.expires_at <= crate::now() => {
            expired_link(&state, target.petition_id, tr).await
        }
        SignatureStatus::Pending => {
            let changed = confirmation::still_as_mailed(&state.keys, &target) == Some(false);
            confirm_form(&state, StatusCode::OK, *target, token, tr, changed).await
        }
    }
}

/// The confirmation page for a pending signature as it is now; `changed`
/// says that its details changed under the link or the page.
async fn confirm_form(
    state: &AppState,
    status: StatusCode,
    target: TokenTarget,
    token: Token,
    tr: Tr,
    changed: bool,
) -> Result<HttpResponse, AppError> {
    let Some(petition) = summary(state, target.petition_id, &tr).await? else {
        return unknown_link(tr);
    };
    let can_confirm = confirmation::still_as_mailed(&state.keys, &target) == Some(true);
    let Some(details) = target.details else {
        return unknown_link(tr);
    };
    let shown = can_confirm.then(|| state.keys.details_digest(&details).encode());
    let country = Country::parse(&details.country).map(|c| tr.country_name(c).to_owned()).unwrap_or(details.country);
    let page = ConfirmPage {
        tr,
        petition,
        token: token.as_str().to_owned(),
        name: details.name,
        country,
        postcode: details.postcode.unwrap_or_else(|| "\u{2014}".to_owned()),
        language: details.language,
        keep_informed: details.keep_informed,
        shown,
        changed,
    };
    no_store(html(status, page))
}

/// The signature a link's token belongs to, if the token is known: looked
/// up with a read, so that a flood of made-up tokens never takes the write
/// path.
async fn target_of(state: &AppState, token: &Token) -> Result<Option<TokenTarget>, AppError> {
    let (hash, vault) = (token.hash(), std::sync::Arc::clone(state.keys.vault()));
    Ok(state.db.read(move |c| confirmation::target(c, &vault, &hash)).await?)
}

/// The link a page is for, found from the path's `{token}` with a read
/// (see [`target_of`]): the prologue every link page but the confirmation
/// POST shares (that one reads its form before looking the token up).
pub enum LinkFor {
    /// A known token and the signature it belongs to.
    Known {
        token: Token,
        target: Box<TokenTarget>,
        /// The language of the link's pages: the one asked for (`?lang=`),
        /// else the one the signature was given in.
        tr: Tr,
        /// The reader's language, as for any page.
        reader: Tr,
    },
    /// A malformed or unknown token, answered with [`unknown_link`] in the
    /// reader's language.
    Unknown(Tr),
}

impl FromRequest for LinkFor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let reader = Tr::new(super::language::negotiate(&req));
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
            let Some(token) = req.match_info().get("token").and_then(Token::parse) else {
                return Ok(Self::Unknown(reader));
            };
            Ok(match target_of(&state, &token).await? {
                Some(target) => {
                    Self::Known { tr: language(&req, target.lang()), token, target: Box::new(target), reader }
                }
                None => Self::Unknown(reader),
            })
        })
    }
}

/// The confirmation form's one field: the digest of what the page showed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ConfirmForm {
    details: String,
}

/// The digest the confirmation form sent, if it sent one: scripts may POST
/// without a body (they then confirm exactly what was mailed).
async fn shown_digest(req: &HttpRequest, payload: web::Payload) -> Result<Option<DetailsDigest>, AppError> {
    let has_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !has_form {
        return Ok(None);
    }
    let form: ConfirmForm = super::input::form(req, payload, super::input::MAX_BODY).await?;
    if form.details.is_empty() {
        return Ok(None);
    }
    // A mangled digest confirms nothing, as a changed one would not.
    Ok(Some(DetailsDigest::decode(&form.details).unwrap_or(DetailsDigest([0; 32]))))
}

/// POST of the confirmation button: confirms what the link was mailed for
/// and the page showed, or shows the page again with the current details.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let Some(token) = Token::parse(&token) else {
        return unknown_link(tr);
    };
    // The form is read before the token is looked up (by the writer, in
    // the transaction that confirms: nothing is read before it).
    let shown = shown_digest(&req, payload).await?;
    let answer = state.signer.confirm(Confirmation { hash: token.hash(), shown }).await?;
    let counts = answer.counts.as_deref();
    match answer.outcome {
        Confirmed::Now { petition_id, lang, receipt } => {
            state.metrics.confirmations.inc();
            thanks(&state, petition_id, token, Some(receipt), language(&req, lang), counts).await
        }
        Confirmed::Already { petition_id, lang } => {
            thanks(&state, petition_id, token, None, language(&req, lang), counts).await
        }
        Confirmed::Expired { petition_id, lang } => expired_link(&state, petition_id, language(&req, lang)).await,
        Confirmed::Changed(target) => {
            let tr = language(&req, target.lang());
            confirm_form(&state, StatusCode::CONFLICT, *target, token, tr, true).await
        }
        Confirmed::NeedsPage(target) => {
            let tr = language(&req, target.lang());
            confirm_form(&state, StatusCode::CONFLICT, *target, token, tr, false).await
        }
        Confirmed::Unknown => unknown_link(tr),
    }
}

/// GET/HEAD of a withdraw link: shows the "Withdraw my signature" button.
pub async fn withdraw_page(state: web::Data<AppState>, link: LinkFor) -> Result<HttpResponse, AppError> {
    let LinkFor::Known { token, target, tr, reader } = link else {
        return link.unknown();
    };
    if target.status == SignatureStatus::Withdrawn {
        return unknown_link(reader);
    }
    let Some(petition) = summary(&state, target.petition_id, &tr).await? else {
        return unknown_link(tr);
    };
    no_store(html(StatusCode::OK, WithdrawPage { tr, petition, token: token.as_str().to_owned() }))
}

/// POST of the withdraw button: erases the signature's personal data.
pub async fn withdraw(state: web::Data<AppState>, link: LinkFor) -> Result<HttpResponse, AppError> {
    let LinkFor::Known { token, tr, .. } = link else {
        return link.unknown();
    };
    match confirmation::withdraw(&state.db, state.mail_files.as_ref(), token.hash()).await? {
        WithdrawOutcome::Withdrawn { petition_id, .. } => {
            let petition = summary(&state, petition_id, &tr).await?;
            no_store(html(StatusCode::OK, WithdrawnPage { tr, petition }))
        }
        WithdrawOutcome::Unknown => unknown_link(tr),
    }
}
