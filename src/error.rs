//! The one error type at the HTTP edge.
//!
//! Handlers return `Result<_, AppError>`. The answer is JSON, with an
//! [`ErrorPage`] attached; outside `/api/`, `routes::error_page` turns it
//! into an HTML page.
//! Server errors never carry their cause to the client: it is logged.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("This address does not accept that method.")]
    MethodNotAllowed,
    /// An admin page without a signed-in organiser: redirect to the login page.
    #[error("Please sign in.")]
    LoginRequired,
    /// An admin API or export URL without a valid session or token.
    #[error("Sign in, or send a valid API token as Authorization: Bearer.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("Too many failed attempts. Please wait a few minutes and try again.")]
    TooManyRequests,
    /// Too many signatures from the client's network: the signature is held
    /// for review, and a repeat after `retry_after` goes through.
    #[error(
        "Too many signatures came from your network just now. Yours is kept and held for the organisers to review; \
         or send it again after the time in Retry-After."
    )]
    RateLimited { retry_after: std::time::Duration },
    #[error("{0}")]
    BadRequest(String),
    /// The request body did not arrive within the deadline (see
    /// `routes::body_deadline`); the connection is closed after the answer.
    #[error("The request took too long to arrive. Please send it again.")]
    RequestTimeout,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// What was asked for existed but is gone for good (erased data).
    #[error("{0}")]
    Gone(String),
    #[error("invalid fields")]
    Invalid(FieldErrors),
    #[error("temporarily unavailable")]
    Unavailable,
    /// The password hasher's queue is full (see `auth::password`): nothing
    /// was checked and nothing counts against the account; try again after
    /// `retry_after`.
    #[error("Many sign-ins are being checked just now. Please try again in a few seconds.")]
    LoginBusy { retry_after: std::time::Duration },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                Self::Unavailable
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// The JSON body of every error but invalid fields.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: not_found, invalid, rate_limited, unavailable, ...
    #[schema(example = "not_found")]
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// The JSON body of a 422: each invalid field with its messages.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ValidationErrors {
    #[schema(value_type = BTreeMap<String, Vec<String>>)]
    pub errors: FieldErrors,
}

/// What an HTML error page shows: attached to every error response, so that
/// `routes::error_page` can draw the page in the reader's language (it knows
/// the request path; this type does not).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The stable code, as in the JSON body (`not_found`, `invalid`, ...).
    pub code: &'static str,
    /// The page's English title.
    pub title: &'static str,
    /// The English message, as in the JSON body.
    pub message: String,
}

impl AppError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::LoginRequired => "login_required",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyRequests => "too_many_requests",
            Self::RateLimited { .. } => "rate_limited",
            Self::BadRequest(_) => "bad_request",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Conflict(_) => "conflict",
            Self::Gone(_) => "gone",
            Self::Invalid(_) => "invalid",
            Self::Unavailable => "unavailable",
            Self::LoginBusy { .. } => "busy",
            Self::Internal(_) => "internal",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound => "There is nothing at this address.".into(),
            Self::Unavailable => "The service is busy or under maintenance. Please try again in a moment.".into(),
            Self::Internal(_) => "Something went wrong on our side. It has been logged; please try again later.".into(),
            other => other.to_string(),
        }
    }

    fn page_title(&self) -> &'static str {
        match self {
            Self::NotFound => "Page not found",
            Self::Unavailable | Self::LoginBusy { .. } => "Please try again shortly",
            Self::Internal(_) => "Something went wrong",
            Self::Conflict(_) => "This cannot be done now",
            Self::Gone(_) => "No longer available",
            Self::Unauthorized | Self::LoginRequired => "Please sign in",
            Self::Forbidden(_) => "This request was refused",
            Self::TooManyRequests => "Too many attempts",
            Self::RateLimited { .. } => "Held for review",
            _ => "Your request could not be understood",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::LoginRequired => StatusCode::SEE_OTHER,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests | Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable | Self::LoginBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        if matches!(self, Self::LoginRequired) {
            return HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin/login")).finish();
        }
        let body = match self {
            Self::Invalid(errors) => json!(ValidationErrors { errors: errors.clone() }),
            other => json!(ErrorBody { error: ErrorDetail { code: other.code(), message: other.public_message() } }),
        };
        let mut res = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::TooManyRequests => {
                res.insert_header((header::RETRY_AFTER, "300"));
            }
            Self::RateLimited { retry_after } | Self::LoginBusy { retry_after } => {
                // Whole seconds, rounded up, at least 1.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                res.insert_header((header::RETRY_AFTER, secs.max(1).to_string()));
            }
            Self::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        let mut res = res.json(body);
        res.extensions_mut().insert(ErrorPage {
            code: self.code(),
            title: self.page_title(),
            message: self.public_message(),
        });
        res
    }
}
