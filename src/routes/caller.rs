//! Who is asking: an organiser with a session (admin pages), or a session
//! or API token (exports). HTTP extractors over `auth`'s rules, here in
//! `routes` because they read the application state.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::audit::{Network, Recorder};
use crate::auth::Actor;
use crate::auth::session::{CSRF, ORGANISER};
use crate::db;
use crate::domain::ApiToken;
use crate::error::AppError;
use crate::state::AppState;

/// A signed-in organiser. Extracting it from a request without a live
/// session answers with a redirect to the login page.
pub struct CurrentOrganiser {
    pub id: i64,
    pub email: String,
    /// The token every state-changing form must send back.
    pub csrf: String,
    pub session: Session,
    /// Records what this organiser does in the audit trail (with the
    /// request's network).
    recorder: Recorder,
}

impl CurrentOrganiser {
    pub fn actor(&self) -> Actor {
        Actor { organiser_id: Some(self.id), description: self.email.clone() }
    }

    /// Records what this organiser does in the audit trail.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Refuses (403) a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        crate::auth::csrf::verify(&self.csrf, sent)
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))
}

/// The network a request came from, as the audit trail keeps it.
pub fn network(req: &HttpRequest, state: &AppState) -> Network {
    Network::of(&state.keys, crate::routes::client::client_ip(req, &state.trusted_proxies))
}

async fn from_session(state: &AppState, session: &Session) -> Result<Option<(i64, String, String)>, AppError> {
    let Ok(Some(id)) = session.get::<i64>(ORGANISER) else {
        return Ok(None);
    };
    let organiser = state.db.read(move |c| db::organisers::find(c, id)).await?;
    let Some(organiser) = organiser else {
        // Removed since signing in.
        session.purge();
        return Ok(None);
    };
    let csrf = session.get::<String>(CSRF).ok().flatten().unwrap_or_default();
    Ok(Some((organiser.id, organiser.email, csrf)))
}

impl FromRequest for CurrentOrganiser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state?;
            match from_session(&state, &session).await? {
                Some((id, email, csrf)) => {
                    let actor = Actor { organiser_id: Some(id), description: email.clone() };
                    let recorder = Recorder::new(&state.keys, actor, Some(network(&req, &state)));
                    Ok(Self { id, email, csrf, session, recorder })
                }
                None => Err(AppError::LoginRequired),
            }
        })
    }
}

/// Whoever may download exports: an organiser's session, or an API token
/// sent as `Authorization: Bearer`. Anything else is a 401.
pub struct Caller {
    /// Who it is, and what records what they do in the audit trail.
    pub recorder: Recorder,
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Only the Bearer scheme counts (any letter case); other schemes, such
        // as a proxy's Basic authentication, leave the session to decide.
        let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| {
            let v = v.to_str().ok()?;
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
        });
        let session = req.get_session();
        let state = state(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state?;
            let actor = match bearer {
                // A token was sent: it alone decides.
                Some(token) => {
                    let token = ApiToken::parse(&token).ok_or(AppError::Unauthorized)?;
                    let actor = crate::auth::api_token::authenticate(&state.db, &token, crate::now()).await?;
                    actor.ok_or(AppError::Unauthorized)?
                }
                None => match from_session(&state, &session).await? {
                    Some((id, email, _)) => Actor { organiser_id: Some(id), description: email },
                    None => return Err(AppError::Unauthorized),
                },
            };
            Ok(Self { recorder: Recorder::new(&state.keys, actor, Some(network(&req, &state))) })
        })
    }
}
