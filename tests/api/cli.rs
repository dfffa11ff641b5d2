//! The command line, run as a separate process like an operator would.

use std::process::{Command, Output};

use crate::helpers::{Backend, TestDatabase};
use crate::on_both_databases;

fn undersigned(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("KEY_FILE", crate::helpers::key_file_of(database_url))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn undersigned_with_env(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("KEY_FILE", crate::helpers::key_file_of(database_url))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// The command line on `database_url` (and its test key file), `input` on
/// its standard input.
pub(crate) fn undersigned_with_input(database_url: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("KEY_FILE", crate::helpers::key_file_of(database_url))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

on_both_databases!(
    petitions_are_managed_from_the_command_line,
    organisers_and_tokens_are_managed_from_the_command_line,
    exports_and_packets_come_from_the_command_line_too,
);

async fn organisers_and_tokens_are_managed_from_the_command_line(backend: Backend) {
    let (_db, url) = TestDatabase::create(&backend);
    let run = |args: &[&str]| undersigned(&url, args);
    let out = undersigned_with_input(
        &url,
        &["organiser", "add", "Ada@Example.org", "--password-stdin"],
        "correct horse battery staple\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = undersigned_with_input(&url, &["organiser", "add", "bob@example.org", "--password-stdin"], "short\n");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("at least 12 characters"));
    let out = undersigned_with_input(
        &url,
        &["organiser", "add", "ada@example.org", "--password-stdin"],
        "another long password\n",
    );
    assert!(stderr(&out).contains("already exists"));
    let out = run(&["organiser", "add", "x@example.org"]);
    assert!(!out.status.success(), "the password must come from standard input");
    assert!(stdout(&run(&["organiser", "list"])).contains("ada@example.org"));

    let out = run(&["token", "create", "--organiser", "ada@example.org", "--name", "nightly export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("us_") && token.len() == 46, "{token}");
    let listing = stdout(&run(&["token", "list"]));
    assert!(
        listing.contains("nightly export") && listing.contains(&token[..9]) && listing.contains("active"),
        "{listing}"
    );
    assert!(!listing.contains(&token), "the token itself is never shown again");
    assert!(run(&["token", "revoke", "1"]).status.success());
    assert!(stdout(&run(&["token", "list"])).contains("revoked"));
    assert!(!run(&["token", "revoke", "1"]).status.success());
    assert!(!run(&["token", "create", "--organiser", "nobody@example.org", "--name", "x"]).status.success());

    let out = undersigned_with_input(
        &url,
        &["organiser", "passwd", "ada@example.org", "--password-stdin"],
        "a brand new passphrase\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(run(&["organiser", "remove", "ada@example.org"]).status.success());
    assert!(!stdout(&run(&["organiser", "list"])).contains("ada@example.org"));
    assert!(!run(&["organiser", "remove", "ada@example.org"]).status.success());
}

async fn exports_and_packets_come_from_the_command_line_too(backend: Backend) {
    let (_db, url) = TestDatabase::create(&backend);
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "We ask.").unwrap();
    let run = |args: &[&str]| undersigned(&url, args);
    let out = run(&["petition", "create", "--slug", "p", "--title", "T", "--body-file", body.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let csv = dir.path().join("s.csv");
    let out = run(&["export", "p", "--out", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "name,country,postcode,confirmed_at\r\n");
    let out = run(&["export", "--totals", "p"]);
    assert_eq!(stdout(&out), "country,country_name,signatures\r\nTOTAL,,0\r\n");
    let out = run(&["export", "p", "--format", "json"]);
    assert_eq!(stdout(&out).trim(), "[\n]");
    assert!(!run(&["export", "--delivery", "p"]).status.success(), "a packet needs --out");
    assert!(!run(&["export", "nope"]).status.success());

    let zip = dir.path().join("p.zip");
    let seed = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let log_seed = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    let keys =
        [("DELIVERY_SIGNING_KEY", seed), ("LOG_SIGNING_KEY", log_seed), ("PUBLIC_URL", "https://sign.example.org")];
    let packet = || undersigned_with_env(&url, &["export", "--delivery", "p", "--out", zip.to_str().unwrap()], &keys);
    // The command line never signs or names a log: with no server running
    // there is none yet, which it says.
    let out = packet();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("the petition has no transparency log yet"), "{}", stderr(&out));
    // The server creates it (named from its PUBLIC_URL) within a round.
    let server = crate::process::ServerProcess::start(&url, &dir.path().join("outbox"), &dir.path().join("log"), &keys);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let out = loop {
        let out = packet();
        if out.status.success() || std::time::Instant::now() > deadline {
            break out;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    drop(server);
    let public =
        undersigned::keys::public_key_base64(&undersigned::keys::parse_signing_key(seed).unwrap().verifying_key());
    let log_key = undersigned::keys::parse_signing_key(log_seed).unwrap().verifying_key();
    let log_public = undersigned::keys::public_key_base64(&log_key);
    let verifier = undersigned::tlog::verifier_key("sign.example.org/p/p", &log_key);
    for log in [&log_public, &verifier] {
        let out = run(&["verify-delivery", zip.to_str().unwrap(), "--public-key", &public, "--log-public-key", log]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("INTACT"));
        assert!(stdout(&out).contains("Log:       sign.example.org/p/p at 0 leaves, counting 0"), "{}", stdout(&out));
    }
    // Without the published keys the packet can only be said to be consistent.
    let out = run(&["verify-delivery", zip.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("UNVERIFIED"), "{}", stdout(&out));
    let out = run(&["verify-delivery", zip.to_str().unwrap(), "--public-key", &public]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("the key the packet itself names, NOT checked independently"), "{}", stdout(&out));
    assert!(stdout(&out).contains("UNVERIFIED") && stdout(&out).contains("--log-public-key"), "{}", stdout(&out));
    // Another log key: named, and a failure.
    let other =
        undersigned::keys::public_key_base64(&undersigned::keys::parse_signing_key(seed).unwrap().verifying_key());
    let out = run(&["verify-delivery", zip.to_str().unwrap(), "--public-key", &public, "--log-public-key", &other]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAILED  log/checkpoint: the checkpoint's signature does not verify"),
        "{}",
        stdout(&out)
    );
    let out = run(&["verify-delivery", zip.to_str().unwrap(), "--log-public-key", "nonsense"]);
    assert!(stderr(&out).contains("--log-public-key: neither"), "{}", stderr(&out));

    // One byte changed in the archive: named, and a failure.
    let mut bytes = std::fs::read(&zip).unwrap();
    let name = b"totals_by_country.csv";
    let header = bytes.windows(name.len()).position(|w| w == name).expect("a local header") - 30;
    let extra = usize::from(u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]));
    let data = header + 30 + name.len() + extra;
    bytes[data + 2] ^= 0x55;
    std::fs::write(&zip, &bytes).unwrap();
    let out =
        run(&["verify-delivery", zip.to_str().unwrap(), "--public-key", &public, "--log-public-key", &log_public]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FAILED  totals_by_country.csv"), "{}", stdout(&out));
    assert!(stderr(&out).contains("NOT intact"));

    // The command line's exports are logged as such.
    let url2 = url.clone();
    let log = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use undersigned::db::schema::export_log as l;
        let db = undersigned::db::Db::connect(
            &undersigned::db::DatabaseUrl::parse(&url2).unwrap(),
            1,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        db.read_blocking(|c| {
            l::table.order(l::id).select((l::actor, l::what, l::status)).load::<(String, String, String)>(c)
        })
        .unwrap()
    })
    .await
    .unwrap();
    let whats: Vec<&str> = log.iter().map(|(_, w, _)| w.as_str()).collect();
    assert_eq!(whats[..4], ["signatures.csv", "totals.csv", "signatures.json", "delivery.zip"]);
    assert_eq!(whats.last(), Some(&"delivery.zip"));
    assert!(log.iter().all(|(actor, _, _)| actor == "command line"));
    let statuses: Vec<&str> = log.iter().map(|(_, _, s)| s.as_str()).collect();
    assert_eq!(statuses[..4], ["complete", "complete", "complete", "failed"], "the packet without a log failed");
    assert_eq!(statuses.last(), Some(&"complete"));
}

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
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/.env.example");
    let vars: std::collections::HashMap<String, String> =
        dotenvy::from_path_iter(&path).unwrap().map(|item| item.unwrap()).collect();
    // A build without PostgreSQL refuses the example's postgres:// URL (as
    // db::pool's tests show); every other value must parse all the same.
    let lookup = |k: &str| match k {
        "DATABASE_URL" if !cfg!(feature = "postgres") => Some("undersigned.db".to_owned()),
        _ => vars.get(k).cloned(),
    };
    undersigned::configuration::Settings::from_lookup(&lookup).expect("the example parses");
    let documented: std::collections::BTreeSet<&str> =
        undersigned::configuration::VARIABLES.iter().map(|(name, _)| *name).collect();
    let listed: std::collections::BTreeSet<&str> = vars.keys().map(String::as_str).collect();
    assert_eq!(listed, documented, "the example lists every variable the binary reads, and only those");
}
