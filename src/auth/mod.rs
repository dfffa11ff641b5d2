//! Organisers: passwords, sessions, API tokens, login throttling, CSRF.

pub mod api_token;
pub mod csrf;
pub mod password;
pub mod session;
pub mod throttle;

pub use password::PasswordHasher;

/// Who is acting, for logs meant to be read by people (export log, revisions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub organiser_id: Option<i64>,
    pub description: String,
}

impl Actor {
    pub fn command_line() -> Self {
        Self { organiser_id: None, description: "command line".into() }
    }
}
