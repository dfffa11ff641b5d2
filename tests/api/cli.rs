//! The command line, run as a separate process like an operator would.

use std::process::{Command, Output};

use crate::helpers::{Backend, TestDatabase};
use crate::on_both_databases;

fn undersigned(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

on_both_databases!(petitions_are_managed_from_the_command_line);

async fn petitions_are_managed_from_the_command_line(backend: Backend) {
    let (_db, url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "We ask for this.\n\nAnd for that.").unwrap();

    let out = undersigned(&url, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let body_arg = body.to_str().unwrap();
    let create = |slug: &str, extra: &[&str]| {
        let mut args = vec!["petition", "create", "--slug", slug, "--title", "A title", "--body-file", body_arg];
        args.extend_from_slice(extra);
        undersigned(&url, &args)
    };
    let out = create("first", &["--addressee", "UN Secretary-General", "--goal", "1000", "--closes-at", "2099-12-31"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created petition first"));

    let out = create("first", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"));
    let out = create("Bad Slug", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--slug"));
    let out = create("past", &["--closes-at", "2000-01-01"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--closes-at"));

    let out = undersigned(&url, &["petition", "list"]);
    let listing = stdout(&out);
    assert!(listing.contains("first") && listing.contains("open") && listing.contains("1000"), "{listing}");

    let out = undersigned(&url, &["petition", "close", "first"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = stdout(&undersigned(&url, &["petition", "list"]));
    assert!(listing.contains("closed"), "{listing}");
    let out = undersigned(&url, &["petition", "close", "first"]);
    assert!(!out.status.success(), "closing twice is an error");
}

#[test]
fn help_lists_the_commands_and_variables() {
    let out = undersigned("unused.db", &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in ["serve", "migrate", "petition", "DATABASE_URL", "SMTP_URL", "PUBLIC_URL", "SECRET_KEY"] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let out = undersigned("unused.db", &["petition", "create", "--help"]);
    assert!(stdout(&out).contains("--closes-at <YYYY-MM-DD>"));
}

#[test]
fn a_bad_setting_is_one_clear_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    for (var, value) in [("BIND", "not-an-address"), ("PUBLIC_URL", "ftp://x"), ("SECRET_KEY", "short")] {
        let out = Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", &db)
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("error: {var}: ")), "{err}");
        assert!(!err.contains("panicked"));
    }
    let out = undersigned("mysql://nope/x", &["migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: DATABASE_URL: "));
}

#[test]
fn the_example_config_file_is_valid_and_complete() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/undersigned.env.example");
    let vars: std::collections::HashMap<String, String> =
        dotenvy::from_path_iter(&path).unwrap().map(|item| item.unwrap()).collect();
    undersigned::configuration::Settings::from_lookup(&|k| vars.get(k).cloned()).expect("the example parses");
    let documented: std::collections::BTreeSet<&str> =
        undersigned::configuration::VARIABLES.iter().map(|(name, _)| *name).collect();
    let listed: std::collections::BTreeSet<&str> = vars.keys().map(String::as_str).collect();
    assert_eq!(listed, documented, "the example lists every variable the binary reads, and only those");
}
