//! The JSON API under /api/v1.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use super::input;
use crate::catalog::PetitionView;
use crate::domain::PetitionState;
use crate::error::AppError;
use crate::signing::{self, SignError};
use crate::state::AppState;

#[derive(Serialize)]
struct PetitionJson<'a> {
    slug: &'a str,
    title: &'a str,
    addressee: Option<&'a str>,
    state: PetitionState,
    goal: Option<i64>,
    closes_at: Option<String>,
    signature_count: i64,
    by_country: &'a BTreeMap<String, i64>,
}

impl<'a> PetitionJson<'a> {
    fn new(p: &'a PetitionView, now: chrono::NaiveDateTime) -> Self {
        Self {
            slug: &p.slug,
            title: &p.title,
            addressee: p.addressee.as_deref(),
            state: p.state_at(now),
            goal: p.goal,
            closes_at: p.closes_at.map(|t| t.and_utc().to_rfc3339()),
            signature_count: p.total,
            by_country: &p.counts,
        }
    }
}

/// Counts change every second at most; let clients and proxies reuse them.
fn cacheable(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=1")).json(body)
}

pub async fn list_petitions(state: web::Data<AppState>) -> HttpResponse {
    let now = crate::now();
    let all = state.catalog.all();
    let petitions: Vec<_> = all.iter().map(|p| PetitionJson::new(p, now)).collect();
    cacheable(json!({ "petitions": petitions }))
}

pub async fn show_petition(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let p = state.catalog.find(&state.db, &slug).await?.ok_or(AppError::NotFound)?;
    Ok(cacheable(json!(PetitionJson::new(&p, crate::now()))))
}

/// The public key that signs delivery packets, so that recipients can check
/// a packet came from this deployment unchanged.
pub async fn delivery_key(state: web::Data<AppState>) -> HttpResponse {
    let key = state.keys.delivery().verifying_key();
    HttpResponse::Ok().json(json!({
        "algorithm": "Ed25519",
        "public_key": crate::keys::public_key_base64(&key),
        "fingerprint": crate::keys::fingerprint(&key),
    }))
}

/// 202 once the signature (or the mail a repeat calls for) is committed.
pub async fn sign_petition(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (input, honeypot) = input::sign_json(&req, payload).await?;
    match signing::sign(&state, &slug, input, honeypot).await {
        Ok(_) => Ok(HttpResponse::Accepted().json(json!({ "status": "pending_confirmation" }))),
        Err(SignError::Invalid(_, errors)) => Err(AppError::Invalid(errors)),
        Err(SignError::Closed(_)) => {
            Err(AppError::Conflict("This petition is closed and no longer takes signatures.".into()))
        }
        Err(SignError::NotFound) => Err(AppError::NotFound),
        Err(SignError::Db(e)) => Err(e.into()),
    }
}
