//! undersigned: a petition and signature-collection server.
//!
//! A supporter signs (`routes`, `signing`), the signature is stored pending
//! with its confirmation mail in one transaction (`db`), the mail worker sends
//! it (`jobs`, `email`), the supporter confirms through the emailed link, and
//! the public count (`catalog`) includes them within a second.
//!
//! Organisers act through `organise` (exports, opening and closing, editing,
//! reviewing held signatures), which both the command line (`cli`) and the
//! dashboard (`routes::admin`) call.

pub mod abuse;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod configuration;
pub mod confirmation;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod example;
pub mod export;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod organise;
pub mod routes;
pub mod signing;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod text;
pub mod tlog;
pub mod transparency;
pub mod vault;

/// The current time in UTC, as stored in the database.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
