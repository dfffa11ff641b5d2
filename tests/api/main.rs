//! Integration tests: the real application on port 0, a fresh database per
//! test (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set), and a
//! real SMTP server receiving the mail.

#![allow(clippy::unwrap_used, reason = "tests may unwrap: a failure is the test's answer")]

mod helpers;
mod smtp;

mod abuse;
mod api;
mod audit;
mod backup;
mod browser;
mod cli;
mod confirmation;
mod contract;
mod dashboard;
mod deploy;
mod encryption;
mod exports;
mod faults;
mod hostile_packets;
mod languages;
mod layers;
mod log_integrity;
mod logs;
mod mail_delivery;
mod migrations;
mod operations;
mod organisers;
mod overload;
mod pages;
mod pgbouncer;
mod privacy;
mod process;
mod scale;
mod signing;
mod tokens;
mod transparency;
mod validation;
