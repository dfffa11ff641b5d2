//! Writing a delivery packet: the signatures, the totals, the cover document,
//! the log's checkpoint and entry bundles, and the signed manifest, streamed
//! into one ZIP.

use std::io::{self, Write};

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::tie::{Tied, Untied, differences};
use super::{FORMAT, FileEntry, Hashing, KeyFacts, LogFacts, MANIFEST, Manifest, PetitionFacts, SIGNATURE, log_file};
use crate::db::{self, DbConnection};
use crate::domain::{HoldReason, SignatureStatus, Tally};
use crate::export::{Columns, ExportError, Format, Written, timestamp, write_signatures, write_totals};
use crate::keys::{fingerprint, public_key_base64};
use crate::text::thousands;
use crate::tlog::paths;
use crate::tlog::verify::{CHECKPOINT, b64};
use crate::vault::Vault;

#[derive(Template)]
#[template(path = "delivery/cover.html")]
struct Cover<'a> {
    petition: &'a PetitionFacts,
    paragraphs: Vec<&'a str>,
    generated_at: &'a str,
    total: String,
    countries: usize,
    duplicates: String,
    honeypot: String,
    withdrawn: String,
    unconfirmed: String,
    /// Held for review when the packet was made (not counted).
    held: String,
    /// Further refusals and reviews: (count, what).
    abuse: Vec<(String, &'static str)>,
    revisions: usize,
    key: &'a KeyFacts,
    log: &'a LogFacts,
    log_total: String,
}

/// How the cover words each abuse tally.
fn cover_words(t: Tally) -> Option<&'static str> {
    Some(match t {
        Tally::Disposable => "submissions refused for a disposable (throwaway) email address",
        Tally::Held(HoldReason::RateLimit) => {
            "signatures held for review because too many came from one network in a short time"
        }
        Tally::Held(HoldReason::TooFast) => {
            "signatures held for review because the form was sent back faster than people type"
        }
        Tally::Held(HoldReason::FormStamp) => {
            "signatures held for review because the form's timestamp was missing or invalid"
        }
        Tally::Released => {
            "held signatures released, by the organisers after review or by their signers signing again within the \
             limits (then confirmed by email like all others)"
        }
        Tally::Discarded => "held signatures discarded by the organisers after review",
        Tally::Duplicate | Tally::Honeypot => return None,
    })
}

/// Writes the packet of a petition to `out` (streaming: `out` need not seek)
/// and returns its SHA-256. Call inside the snapshot `tied` was found in
/// ([`super::tie`]), so that every file describes the same moment and the
/// log's checkpoint counts exactly the signatures written; should they
/// differ all the same, it fails before anything is signed. `written`
/// counts the signature rows written.
pub fn write_packet<W: Write>(
    conn: &mut DbConnection,
    vault: &Vault,
    key: &SigningKey,
    tied: &Tied,
    now: NaiveDateTime,
    out: W,
    written: &mut Written,
) -> Result<String, ExportError> {
    // The petition the log's head is of.
    let petition_id = tied.head.petition_id;
    let petition = db::petitions::find(conn, petition_id)?.ok_or(diesel::result::Error::NotFound)?;
    let revisions = db::petitions::revisions(conn, petition_id)?.len();
    let statuses = db::exports::by_status(conn, petition_id)?;
    let tallies = db::counts::tallies(conn, petition_id)?;
    let held_now: i64 = db::held::count_by_reason(conn, petition_id)?.values().sum();

    let ended = petition.closed_at.or(petition.closes_at.filter(|t| *t <= now));
    let facts = PetitionFacts {
        slug: petition.slug.clone(),
        title: petition.title.clone(),
        addressee: petition.addressee.clone(),
        text_sha256: hex::encode(Sha256::digest(petition.body.as_bytes())),
        text_changed_at: petition.text_changed_at.map(|t| timestamp(Some(t))),
        collection_started: timestamp(Some(petition.created_at)),
        collection_ended: ended.map(|t| timestamp(Some(t))),
    };
    let verifying = key.verifying_key();
    let key_facts = KeyFacts {
        algorithm: "Ed25519".into(),
        public_key: public_key_base64(&verifying),
        fingerprint: fingerprint(&verifying),
    };
    let checkpoint = &tied.checkpoint;
    let log_facts = LogFacts {
        origin: checkpoint.origin.clone(),
        size: checkpoint.size,
        root: b64(&checkpoint.root),
        verifier_key: tied.verifier_key.clone(),
    };

    let mut options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    if let Ok(made) = zip_time(now) {
        options = options.last_modified_time(made);
    }
    let mut zip = zip::ZipWriter::new_stream(Hashing::new(out));
    let mut files = Vec::new();
    let mut add =
        |zip: &mut zip::ZipWriter<_>, name: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<(), ExportError>| {
            zip.start_file(name, options)?;
            let mut h = Hashing::new(&mut *zip);
            write(&mut h)?;
            let (_, sha256, bytes) = h.finish();
            files.push(FileEntry { name: name.into(), sha256, bytes });
            Ok::<_, ExportError>(())
        };

    add(&mut zip, "signatures.csv", &mut |w| {
        write_signatures(conn, vault, petition_id, Format::Csv, Columns::Delivery, w, written)
    })?;
    // The rule of the snapshot, checked again on what was written.
    let differ = differences(&checkpoint.totals, &written.by_country);
    if !differ.is_empty() {
        return Err(Untied::Differs(differ).into());
    }
    add(&mut zip, "totals_by_country.csv", &mut |w| write_totals(&written.by_country, w).map(|_| ()))?;
    let generated_at = timestamp(Some(now));
    let tally = |t: Tally| thousands(tallies.get(&t).copied().unwrap_or(0));
    let cover = Cover {
        petition: &facts,
        paragraphs: petition.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect(),
        generated_at: &generated_at,
        total: thousands(i64::try_from(written.rows).unwrap_or(i64::MAX)),
        countries: written.by_country.len(),
        duplicates: tally(Tally::Duplicate),
        honeypot: tally(Tally::Honeypot),
        withdrawn: thousands(statuses.get(SignatureStatus::Withdrawn)),
        unconfirmed: thousands(statuses.get(SignatureStatus::Pending) - held_now),
        held: thousands(held_now),
        abuse: Tally::ALL.into_iter().filter_map(|t| Some((tally(t), cover_words(t)?))).collect(),
        revisions,
        key: &key_facts,
        log: &log_facts,
        log_total: thousands(checkpoint.totals.total),
    }
    .render()
    .map_err(io::Error::other)?;
    add(&mut zip, "cover.html", &mut |w| Ok(w.write_all(cover.as_bytes())?))?;
    add(&mut zip, &log_file(CHECKPOINT), &mut |w| Ok(w.write_all(tied.head.checkpoint.as_bytes())?))?;
    // One bundle at a time (256 leaves), read and dropped.
    let bundles = paths::entry_bundles(checkpoint.size).count();
    if bundles > super::verify::MAX_BUNDLES {
        return Err(Untied::TooLarge { leaves: checkpoint.size, most: super::verify::MAX_BUNDLES }.into());
    }
    for bundle in paths::entry_bundles(checkpoint.size) {
        let bytes = crate::transparency::tile(conn, &tied.head, &bundle)?
            .ok_or_else(|| Untied::MissingBundle(bundle.path()))?;
        add(&mut zip, &log_file(&bundle.path()), &mut |w| Ok(w.write_all(&bytes)?))?;
    }

    let manifest = Manifest {
        format: FORMAT.into(),
        petition: facts.clone(),
        generated_at,
        confirmed_total: written.rows,
        log: Some(log_facts.clone()),
        files,
        signing_key: key_facts.clone(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    let signature = STANDARD.encode(key.sign(&manifest_json).to_bytes());
    zip.start_file(MANIFEST, options)?;
    zip.write_all(&manifest_json)?;
    zip.start_file(SIGNATURE, options)?;
    zip.write_all(signature.as_bytes())?;
    let stream = zip.finish()?;
    let (mut out, sha256, _) = stream.into_inner().finish();
    out.flush()?;
    Ok(sha256)
}

fn zip_time(t: NaiveDateTime) -> Result<zip::DateTime, zip::result::DateTimeRangeError> {
    use chrono::{Datelike, Timelike};
    let year = u16::try_from(t.year()).unwrap_or(1980);
    // Every field below fits its type: chrono's ranges are narrower.
    zip::DateTime::from_date_and_time(
        year,
        u8::try_from(t.month()).unwrap_or(1),
        u8::try_from(t.day()).unwrap_or(1),
        u8::try_from(t.hour()).unwrap_or(0),
        u8::try_from(t.minute()).unwrap_or(0),
        u8::try_from(t.second()).unwrap_or(0),
    )
}
