//! `verify-delivery` on packets crafted to mislead or harm the checker:
//! refused from their structure before any content is read, the signature
//! checked before any other entry, and their names printed harmlessly.

use std::io::Write;
use std::process::Output;

use serde_json::json;
use undersigned::export::delivery;

use crate::exports::{read_zip, resign, rewrite};
use crate::helpers::{Backend, Smtp, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(hostile_packets_are_refused_before_they_are_read);

const SEED: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

/// From the ZIP specification (APPNOTE.TXT 4.3.7 and 4.3.12).
const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";
const CENTRAL_HEADER: &[u8; 4] = b"PK\x01\x02";
/// Where the fields are, from the start of each header.
const LOCAL_UNCOMPRESSED_SIZE: usize = 22;
const LOCAL_NAME_LENGTH: usize = 26;
const LOCAL_NAME: usize = 30;
const CENTRAL_UNCOMPRESSED_SIZE: usize = 24;
const CENTRAL_NAME_LENGTH: usize = 28;
const CENTRAL_NAME: usize = 46;

/// The offset of the header (local or central, by `signature`) of entry `name`.
fn header(zip: &[u8], signature: &[u8; 4], name: &str) -> usize {
    let (length_at, name_at) =
        if signature == LOCAL_HEADER { (LOCAL_NAME_LENGTH, LOCAL_NAME) } else { (CENTRAL_NAME_LENGTH, CENTRAL_NAME) };
    (0..zip.len() - 4)
        .filter(|&at| &zip[at..at + 4] == signature)
        .find(|&at| {
            let length = usize::from(u16::from_le_bytes([zip[at + length_at], zip[at + length_at + 1]]));
            zip.get(at + name_at..at + name_at + length) == Some(name.as_bytes())
        })
        .unwrap_or_else(|| panic!("no header for {name}"))
}

fn set_u32(zip: &mut [u8], at: usize, value: u32) {
    zip[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn get_u32(zip: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(zip[at..at + 4].try_into().unwrap())
}

/// `zip` with the uncompressed size of `name` set to `size` in both its
/// local header and the central directory (so that they agree).
fn declare_size(zip: &[u8], name: &str, size: u32) -> Vec<u8> {
    let mut zip = zip.to_vec();
    let local = header(&zip, LOCAL_HEADER, name);
    let central = header(&zip, CENTRAL_HEADER, name);
    set_u32(&mut zip, local + LOCAL_UNCOMPRESSED_SIZE, size);
    set_u32(&mut zip, central + CENTRAL_UNCOMPRESSED_SIZE, size);
    zip
}

/// The log key of these tests (LOG_SIGNING_KEY's seed).
const LOG_SEED: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// Runs `undersigned verify-delivery` on `packet` with the published keys.
fn verify(packet: &[u8], public_key: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("packet.zip");
    std::fs::write(&file, packet).unwrap();
    let log_key =
        undersigned::keys::public_key_base64(&undersigned::keys::parse_signing_key(LOG_SEED).unwrap().verifying_key());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(["verify-delivery", file.to_str().unwrap(), "--public-key", public_key, "--log-public-key", &log_key])
        .env_clear()
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

/// The report's FAILED lines.
fn failures(stdout: &str) -> Vec<&str> {
    stdout.lines().filter_map(|l| l.strip_prefix("FAILED  ")).collect()
}

/// Refused, with exactly one failure, which contains `what`, and nothing
/// read (no entry said intact, no signature said valid).
fn refused_unread(packet: &[u8], public_key: &str, what: &str) {
    let (out, stdout) = verify(packet, public_key);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(failures(&stdout).len(), 1, "{stdout}");
    assert!(failures(&stdout)[0].contains(what), "{what:?} in {stdout}");
    assert!(!stdout.contains("ok "), "{stdout}");
}

async fn hostile_packets_are_refused_before_they_are_read(backend: Backend) {
    let app =
        spawn_app_with(backend, Smtp::Running, &[("DELIVERY_SIGNING_KEY", SEED), ("LOG_SIGNING_KEY", LOG_SEED)]).await;
    app.create_petition("p").await;
    for i in 0..3 {
        let email = format!("p{i}@example.com");
        app.sign_json("p", &json!({"name": format!("Person {i}"), "email": email, "country": "GB"})).await;
        app.post(&app.links(&app.mail_to(&email, 1).await).confirm.unwrap()).await;
    }
    let admin = app.admin("org@example.org").await;
    // As made: streamed, each entry's sizes in a data descriptor after it.
    let packet = admin.get("/admin/petitions/p/delivery.zip").await.bytes().await.unwrap().to_vec();
    let key = undersigned::keys::parse_signing_key(SEED).unwrap();
    let public = undersigned::keys::public_key_base64(&key.verifying_key());
    // The same files written with their sizes in the local headers.
    let plain = rewrite(&packet, "", |_| {});
    for good in [&packet, &plain] {
        let (out, stdout) = verify(good, &public);
        assert!(out.status.success() && stdout.contains("INTACT"), "{stdout}");
    }

    // Bytes put before the first entry (a readable ZIP all the same).
    let mut prefixed = b"MZ\x90\x00 whatever comes first".to_vec();
    prefixed.extend_from_slice(&packet);
    assert!(zip::ZipArchive::new(std::io::Cursor::new(&prefixed)).is_ok(), "the zip crate alone would read it");
    refused_unread(&prefixed, &public, "does not begin with its first entry");

    // The central directory names an entry otherwise than its local header.
    for packet in [&packet, &plain] {
        let mut renamed = packet.clone();
        let at = header(&renamed, CENTRAL_HEADER, "cover.html") + CENTRAL_NAME;
        renamed[at + "cover.htm".len()] = b'x';
        refused_unread(&renamed, &public, "central directory does not agree");
    }
    // ... or gives it another size (in the local header, or in the data
    // descriptor of a streamed entry).
    for packet in [&packet, &plain] {
        let mut resized = packet.clone();
        let at = header(&resized, CENTRAL_HEADER, "cover.html") + CENTRAL_UNCOMPRESSED_SIZE;
        let size = get_u32(&resized, at);
        set_u32(&mut resized, at, size + 1);
        refused_unread(&resized, &public, "central directory does not agree");
    }

    // An entry declaring a huge size (a zip bomb) is not even opened.
    let huge = declare_size(&plain, "signatures.csv", 0xFFFF_FFF0);
    refused_unread(&huge, &public, "signatures.csv: declares 4294967280 bytes, more than the 1073741824");
    // One giving out more bytes than it declares (here with a manifest,
    // properly signed, that agrees) is read no further than declared.
    let mut manifest: delivery::Manifest = serde_json::from_slice(&read_zip(&plain, delivery::MANIFEST)).unwrap();
    let totals = manifest.files.iter_mut().find(|f| f.name == "totals_by_country.csv").unwrap();
    totals.bytes -= 10;
    let short = u32::try_from(totals.bytes).unwrap();
    let understated = declare_size(&resign(&plain, &key, &manifest), "totals_by_country.csv", short);
    let (out, stdout) = verify(&understated, &public);
    assert_eq!(out.status.code(), Some(1));
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(failed[0].starts_with("totals_by_country.csv:") && failed[0].contains("declare"), "{stdout}");

    // A broken signature is reported first and alone, though another file
    // was changed too: nothing else is read or hashed.
    let changed = rewrite(&packet, "signatures.csv", |b| b.extend_from_slice(b"Extra,GB\r\n"));
    let forged = rewrite(&changed, delivery::SIGNATURE, |b| {
        let i = b.len() / 2;
        b[i] = if b[i] == b'x' { b'y' } else { b'x' };
    });
    let (out, stdout) = verify(&forged, &public);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        failures(&stdout),
        ["manifest.json / manifest.sig: the signature does not match: one of them was changed, or another key signed"],
        "{stdout}"
    );
    assert!(!stdout.contains("signatures.csv") && !stdout.contains("Petition:"), "{stdout}");
    // With the signature intact, the changed file is found.
    let (_, stdout) = verify(&changed, &public);
    assert!(failures(&stdout).iter().any(|f| f.starts_with("signatures.csv: changed")), "{stdout}");

    // A name that would clear the screen and retitle the terminal is shown
    // escaped; no control character reaches the terminal.
    let mut smuggled = zip::ZipWriter::new_append(std::io::Cursor::new(packet.clone())).unwrap();
    smuggled.start_file("\x1b[2J\x1b]0;pwned\x07.csv", zip::write::SimpleFileOptions::default()).unwrap();
    smuggled.write_all(b"x").unwrap();
    let smuggled = smuggled.finish().unwrap().into_inner();
    let (out, stdout) = verify(&smuggled, &public);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout.contains(['\x1b', '\x07']), "{stdout:?}");
    assert!(failures(&stdout).contains(&"\\u{1b}[2J\\u{1b}]0;pwned\\u{7}.csv: not listed in the manifest"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(['\x1b', '\x07']), "{stderr:?}");
}
