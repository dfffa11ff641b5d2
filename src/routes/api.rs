//! The JSON API under /api/v1.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::client::client_ip;
use super::extract::PetitionBySlug;
use super::input;
use crate::catalog::PetitionView;
use crate::domain::PetitionState;
use crate::error::{AppError, ErrorBody, ValidationErrors};
use crate::signing::{self, SignError, Signed, Submission};
use crate::state::AppState;

/// A petition and its count of confirmed signatures (refreshed every second).
#[derive(Serialize, ToSchema)]
#[schema(as = Petition)]
pub struct PetitionJson<'a> {
    /// Its address: /p/{slug}.
    #[schema(example = "release-the-report")]
    slug: &'a str,
    title: &'a str,
    /// Whom the petition is addressed to.
    addressee: Option<&'a str>,
    /// `open` or `closed`.
    #[schema(value_type = String, pattern = "^(open|closed)$")]
    state: PetitionState,
    /// Signatures aimed for.
    goal: Option<i64>,
    /// When signing ends (RFC 3339, UTC).
    closes_at: Option<String>,
    /// Confirmed signatures.
    signature_count: i64,
    /// Confirmed signatures by ISO 3166-1 alpha-2 country code.
    #[schema(value_type = BTreeMap<String, i64>)]
    by_country: &'a BTreeMap<String, i64>,
}

/// Every petition, open and closed.
#[derive(Serialize, ToSchema)]
pub struct PetitionList<'a> {
    petitions: Vec<PetitionJson<'a>>,
}

/// A sign request. Unknown fields are ignored.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the body; `input::parse_sign_json` reads it field by field.
pub struct SignRequest {
    /// The signer's full name (1 to 100 characters, at most 400 bytes).
    #[schema(example = "Ada Lovelace")]
    name: String,
    /// Where the confirmation link is sent (at most 254 characters).
    #[schema(example = "ada@example.org")]
    email: String,
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "GB")]
    country: String,
    /// Optional; at most 16 characters.
    postcode: Option<String>,
    /// Whether the signer wants news of the campaign by email.
    keep_informed: Option<bool>,
    /// The language the signer's mails are written in: ar, zh, en, fr, ru
    /// or es. Default: from `Accept-Language`, else English.
    #[schema(example = "fr")]
    lang: Option<String>,
}

/// The signature is stored; it counts once its signer follows the emailed link.
#[derive(Serialize, ToSchema)]
pub struct SignAccepted {
    #[schema(example = "pending_confirmation")]
    status: &'static str,
}

/// The public key that signs delivery packets.
#[derive(Serialize, ToSchema)]
pub struct DeliveryKey {
    #[schema(example = "Ed25519")]
    algorithm: &'static str,
    /// Base64 of the 32-byte public key.
    public_key: String,
    /// SHA-256 of the key, in hex groups.
    fingerprint: String,
}

/// The key that signs the transparency logs' checkpoints, and each log's
/// signed-note verifier key (its key name is the log's origin).
#[derive(Serialize, ToSchema)]
pub struct LogKey {
    #[schema(example = "Ed25519")]
    algorithm: &'static str,
    /// Base64 of the 32-byte public key.
    public_key: String,
    /// SHA-256 of the key, in hex groups.
    fingerprint: String,
    logs: Vec<LogJson>,
}

/// One petition's log.
#[derive(Serialize, ToSchema)]
pub struct LogJson {
    slug: String,
    /// The checkpoints' first line, fixed when the log was created.
    origin: String,
    /// `<origin>+<key id>+<base64(0x01 ‖ public key)>` (C2SP signed-note).
    verifier_key: String,
    /// The log's prefix: `checkpoint` and `tile/...` are under it.
    url: String,
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

#[utoipa::path(
    get,
    path = "/api/v1/petitions",
    tag = "petitions",
    responses((status = 200, description = "Every petition with its count", body = PetitionList))
)]
pub async fn list_petitions(state: web::Data<AppState>) -> HttpResponse {
    let now = crate::now();
    let all = state.catalog.all();
    let petitions: Vec<_> = all.iter().map(|p| PetitionJson::new(p, now)).collect();
    cacheable(json!(PetitionList { petitions }))
}

#[utoipa::path(
    get,
    path = "/api/v1/petitions/{slug}",
    tag = "petitions",
    params(("slug" = String, Path, description = "The petition's slug")),
    responses(
        (status = 200, description = "The petition with its count", body = PetitionJson),
        (status = 404, description = "No such petition", body = ErrorBody),
        (status = 503, description = "The database is unavailable; retry later", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn show_petition(PetitionBySlug(p): PetitionBySlug) -> Result<HttpResponse, AppError> {
    let now = crate::now();
    // Made once per snapshot (see `catalog::Prepared`), not per request.
    let body = p.prepared(p.state_at(now), || {
        serde_json::to_vec(&PetitionJson::new(&p, now)).map(bytes::Bytes::from).map_err(anyhow::Error::from)
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=1"))
        .content_type("application/json")
        .body(body))
}

/// The public key that signs delivery packets, so that recipients can check
/// a packet came from this deployment unchanged.
#[utoipa::path(
    get,
    path = "/api/v1/delivery-key",
    tag = "delivery",
    responses((status = 200, description = "The delivery signing key", body = DeliveryKey))
)]
pub async fn delivery_key(state: web::Data<AppState>) -> HttpResponse {
    let key = state.keys.delivery().verifying_key();
    HttpResponse::Ok().json(DeliveryKey {
        algorithm: "Ed25519",
        public_key: crate::keys::public_key_base64(&key),
        fingerprint: crate::keys::fingerprint(&key),
    })
}

/// The public key that signs the transparency logs' checkpoints (distinct
/// from the delivery key), with each petition's log and verifier key.
#[utoipa::path(
    get,
    path = "/api/v1/log-key",
    tag = "transparency",
    responses((status = 200, description = "The log signing key and the logs", body = LogKey))
)]
pub async fn log_key(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let signer = state.keys.log().clone();
    // From the database, not the catalog's snapshot: a log is listed as
    // soon as its first checkpoint is served.
    let heads = state.db.read(crate::db::tlog::heads).await?;
    let logs = heads
        .into_iter()
        .map(|(slug, h)| LogJson {
            verifier_key: signer.verifier_key(&h.origin),
            url: state.public_url.join(&format!("/log/{slug}")),
            slug,
            origin: h.origin,
        })
        .collect();
    let key = signer.public_key();
    Ok(HttpResponse::Ok().json(LogKey {
        algorithm: "Ed25519",
        public_key: crate::keys::public_key_base64(&key),
        fingerprint: crate::keys::fingerprint(&key),
        logs,
    }))
}

/// 202 once the signature (or the mail a repeat calls for) is committed;
/// 429 with Retry-After when the client's network is over the rate limits
/// (the signature is then held for an organiser to review).
#[utoipa::path(
    post,
    path = "/api/v1/petitions/{slug}/signatures",
    tag = "signing",
    params(("slug" = String, Path, description = "The petition's slug")),
    request_body(content = SignRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Stored (or merged with an earlier signature of the same address); \
            a confirmation link is emailed. The answer is the same whether or not the address had signed.",
            body = SignAccepted),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 404, description = "No such petition", body = ErrorBody),
        (status = 408, description = "The body did not arrive within REQUEST_BODY_TIMEOUT (default 10 s); \
            nothing was stored and the connection is closed", body = ErrorBody),
        (status = 409, description = "The petition is closed", body = ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "The body is not application/json", body = ErrorBody),
        (status = 422, description = "Invalid fields, each with its messages", body = ValidationErrors),
        (status = 429, description = "Too many signatures from this network: the signature is held for review",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds until a repeat is within the limits"))),
        (status = 503, description = "The database is unavailable; nothing was stored", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn sign_petition(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (input, honeypot) = input::sign_json(&req, payload).await?;
    let client = client_ip(&req, &state.trusted_proxies);
    let submission = Submission { input, honeypot, client, form_stamp: None };
    match signing::sign(&state.signing(), &slug, submission).await {
        Ok((_, Signed::Pending)) => Ok(HttpResponse::Accepted().json(SignAccepted { status: "pending_confirmation" })),
        Ok((_, Signed::Held { retry_after, .. })) => {
            Err(AppError::RateLimited { retry_after: retry_after.unwrap_or(Duration::from_secs(60)) })
        }
        Err(SignError::Invalid(_, errors)) => Err(AppError::Invalid(errors)),
        Err(SignError::Closed(_)) => {
            Err(AppError::Conflict("This petition is closed and no longer takes signatures.".into()))
        }
        Err(SignError::NotFound) => Err(AppError::NotFound),
        Err(SignError::Db(e)) => Err(e.into()),
    }
}

/// The OpenAPI description of this API, generated from the handlers above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "undersigned API",
        description = "Read petitions and their counts; sign. Errors have the shape {\"error\": {\"code\", \"message\"}}, \
            invalid fields {\"errors\": {\"field\": [\"message\"]}}."
    ),
    paths(list_petitions, show_petition, sign_petition, delivery_key, log_key),
    components(schemas(
        PetitionJson,
        PetitionList,
        SignRequest,
        SignAccepted,
        DeliveryKey,
        LogKey,
        LogJson,
        ErrorBody,
        ValidationErrors
    ))
)]
pub struct ApiDoc;

/// GET /api/v1/openapi.json
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(<ApiDoc as utoipa::OpenApi>::openapi())
}
