//! Organiser sessions: actix-session's middleware with a store in our own
//! database, so that sessions are server-side (logout really ends them), shared
//! by every instance, and bounded both by idleness and by age.

use std::collections::HashMap;

use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key};
use actix_session::{SessionMiddleware, config::SessionLifecycle};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use sha2::{Digest, Sha256};

use crate::db::{self, Db};

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::minutes(30);
/// …and this long after login, whatever happens.
pub const ABSOLUTE_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::hours(12);

/// The session key the organiser id is kept under.
pub const ORGANISER: &str = "organiser_id";
/// The session key the CSRF token is kept under.
pub const CSRF: &str = "csrf";

/// Cookie names: `__Host-` prefixed (Secure, Path=/, no Domain) over https.
pub fn cookie_name(https: bool, name: &str) -> String {
    if https { format!("__Host-undersigned-{name}") } else { format!("undersigned-{name}") }
}

pub fn middleware(db: Db, key: Key, https: bool) -> SessionMiddleware<DbSessionStore> {
    let idle = CookieDuration::seconds(IDLE_TIMEOUT.num_seconds());
    SessionMiddleware::builder(DbSessionStore { db }, key)
        .cookie_name(cookie_name(https, "session"))
        .cookie_secure(https)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_path("/".into())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(SessionLifecycle::BrowserSession(
            BrowserSession::default().state_ttl(idle).state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        ))
        .build()
}

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

fn key_hash(key: &SessionKey) -> Vec<u8> {
    Sha256::digest(key.as_ref().as_bytes()).to_vec()
}

fn expiry(ttl: &CookieDuration) -> chrono::NaiveDateTime {
    crate::now() + chrono::TimeDelta::seconds(ttl.whole_seconds().clamp(0, IDLE_TIMEOUT.num_seconds()))
}

/// The organiser a session belongs to, kept in a column so that removing an
/// organiser or changing their password ends their sessions.
fn organiser_of(state: &HashMap<String, String>) -> Option<i64> {
    state.get(ORGANISER).and_then(|v| serde_json::from_str(v).ok())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let hash = key_hash(session_key);
        let now = crate::now();
        let state = self
            .db
            .read(move |c| db::sessions::load(c, &hash, now, now - ABSOLUTE_TIMEOUT))
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        state.map(|s| serde_json::from_str(&s)).transpose().map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: HashMap<String, String>, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let hash = key_hash(&key);
        let organiser = organiser_of(&state);
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let (now, expires) = (crate::now(), expiry(ttl));
        self.db
            .write(move |c| db::sessions::insert(c, &hash, organiser, &json, now, expires))
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let hash = key_hash(&session_key);
        let organiser = organiser_of(&state);
        let json = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let expires = expiry(ttl);
        let updated = self
            .db
            .write(move |c| db::sessions::update(c, &hash, organiser, &json, expires))
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if updated {
            Ok(session_key)
        } else {
            // It expired meanwhile: the state goes into a new session.
            self.save(state, ttl).await.map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))
        }
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &CookieDuration) -> Result<(), anyhow::Error> {
        let hash = key_hash(session_key);
        let expires = expiry(ttl);
        self.db.write(move |c| db::sessions::touch(c, &hash, expires)).await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(session_key);
        self.db.write(move |c| db::sessions::delete(c, &hash)).await?;
        Ok(())
    }
}
