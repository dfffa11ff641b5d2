//! `/p/{slug}/verify`: a signer checks their receipt against the petition's
//! transparency log (a form, no script; the receipt goes by POST so that it
//! stays out of addresses, browser history and access logs). What is
//! checked is `transparency::check_receipt`; this only reads the form and
//! shows the outcome. Nothing of the receipt is logged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::extract::PetitionBySlug;
use super::views::{Field, Summary, html, no_store};
use crate::catalog::PetitionView;
use crate::domain::{Country, Language, Problem, Receipt};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tlog::Leaf;
use crate::tlog::verify::b64;
use crate::transparency::{self, Included, ReceiptOutcome};

/// How anyone checks the same receipt without this server's word: the
/// command line's `verify-receipt` with the log's address and key.
struct CheckYourself {
    /// The log's prefix, `<PUBLIC_URL>/log/<slug>`.
    url: String,
    /// The log key, base64 of its 32 bytes (as `/api/v1/log-key` has it).
    public_key: String,
}

impl CheckYourself {
    fn new(state: &AppState, slug: &str) -> Self {
        Self {
            url: state.public_url.join(&format!("/log/{slug}")),
            public_key: crate::keys::public_key_base64(&state.keys.log().public_key()),
        }
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    tr: Tr,
    petition: Summary,
    receipt: Field,
    yourself: CheckYourself,
}

#[derive(Template)]
#[template(path = "verify_found.html")]
struct FoundPage {
    tr: Tr,
    petition: Summary,
    entry: Entry,
    yourself: CheckYourself,
}

#[derive(Template)]
#[template(path = "verify_missing.html")]
struct MissingPage {
    tr: Tr,
    petition: Summary,
    /// Confirmed and waiting to be appended, rather than unknown.
    queued: bool,
    /// The latest checkpoint's size, as digits and in the reader's language.
    size: u64,
    size_shown: String,
}

/// A receipt's leaf as the result page shows it, in the reader's language
/// (hashes in standard base64, as checkpoints write them).
struct Entry {
    index: u64,
    index_shown: String,
    /// "Germany (DE)".
    country: String,
    day: String,
    /// The withdrawal leaf cancelling it: its index, and as shown.
    cancelled_by: Option<(u64, String)>,
    size: u64,
    size_shown: String,
    root: String,
    /// The signed checkpoint the proof is for, as `/log/{slug}/checkpoint` served it.
    note: String,
    proof: Vec<String>,
    /// Why the server's own re-check of the proof failed, if it did.
    recheck_failed: Option<String>,
}

impl Entry {
    fn new(found: &Included, tr: &Tr) -> Self {
        let check = &found.check;
        // A receipt's commitment is only ever on a confirmed leaf.
        let (country, day) = match check.leaf {
            Leaf::Confirmed { country, day, .. } => {
                let code = String::from_utf8_lossy(&country).into_owned();
                let name = Country::parse(&code).map_or(code.as_str(), |c| tr.country_name(c));
                (format!("{name} ({code})"), tr.date(day))
            }
            Leaf::Withdrawn { .. } => (String::new(), String::new()),
        };
        let number = |n: u64| tr.number(i64::try_from(n).unwrap_or(i64::MAX));
        Self {
            index: check.index,
            index_shown: number(check.index),
            country,
            day,
            cancelled_by: check.cancelled_by.map(|w| (w, number(w))),
            size: check.size,
            size_shown: number(check.size),
            root: b64(&check.root),
            note: check.checkpoint.clone(),
            proof: check.proof.iter().map(b64).collect(),
            recheck_failed: found.recheck.as_ref().err().map(ToString::to_string),
        }
    }
}

/// The form's fields.
#[derive(Default, Deserialize)]
#[serde(default)]
struct VerifyForm {
    receipt: String,
    /// The language the form was shown in.
    lang: String,
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    p: &PetitionView,
    tr: Tr,
    receipt: Field,
) -> Result<HttpResponse, AppError> {
    let page = VerifyPage {
        tr,
        petition: Summary::new(p, crate::now(), &tr),
        receipt,
        yourself: CheckYourself::new(state, &p.slug),
    };
    Ok(no_store(html(status, page)?))
}

/// GET/HEAD: the form, and what checking proves.
pub async fn page(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    form_page(&state, StatusCode::OK, &p, tr, Field::default())
}

/// POST of the form: the receipt's place in the log with its proof, or
/// that it is not (yet) there; the form again (422) with a message at the
/// field if the receipt is malformed.
pub async fn check(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let form: VerifyForm = super::input::form(&req, payload, super::input::MAX_BODY).await?;
    let tr = Tr::new(Language::parse(&form.lang).unwrap_or_else(|| super::language::negotiate(&req)));
    let receipt = match Receipt::parse(&form.receipt) {
        Ok(receipt) => receipt,
        Err(e) => {
            let field = Field { value: form.receipt, errors: vec![tr.problem(&Problem::from(e))] };
            return form_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &p, tr, field);
        }
    };
    let (id, signer) = (p.id, state.keys.log().clone());
    let outcome = state.db.snapshot(move |c| transparency::check_receipt(c, id, &signer, &receipt)).await?;
    let petition = Summary::new(&p, crate::now(), &tr);
    let number = |n: u64| tr.number(i64::try_from(n).unwrap_or(i64::MAX));
    let res = match outcome {
        ReceiptOutcome::Included(found) => {
            if let Err(fault) = &found.recheck {
                tracing::error!(petition = %p.slug, %fault, "a leaf's inclusion proof does not verify against the signed checkpoint");
            }
            let page = FoundPage {
                tr,
                petition,
                entry: Entry::new(&found, &tr),
                yourself: CheckYourself::new(&state, &p.slug),
            };
            html(StatusCode::OK, page)?
        }
        ReceiptOutcome::Queued { size } => {
            html(StatusCode::OK, MissingPage { tr, petition, queued: true, size, size_shown: number(size) })?
        }
        ReceiptOutcome::NotInLog { size } => {
            html(StatusCode::OK, MissingPage { tr, petition, queued: false, size, size_shown: number(size) })?
        }
    };
    Ok(no_store(res))
}
