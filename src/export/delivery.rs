//! The delivery packet: one ZIP to hand over, with a cover document, the
//! totals by country, the signatures (names and countries), and a manifest of
//! every file's SHA-256, signed with the deployment's Ed25519 key.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, Write};

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::{Columns, ExportError, Format, Written, timestamp, write_signatures, write_totals};
use crate::db::{self, DbConnection, counts::Tally};
use crate::domain::HoldReason;
use crate::keys::{fingerprint, public_key_base64};
use crate::text::thousands;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
const FORMAT: &str = "undersigned-delivery/1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub petition: PetitionFacts,
    pub generated_at: String,
    pub confirmed_total: u64,
    pub files: Vec<FileEntry>,
    pub signing_key: KeyFacts,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PetitionFacts {
    pub slug: String,
    pub title: String,
    pub addressee: Option<String>,
    /// SHA-256 of the petition text (UTF-8), as shown in the cover document.
    pub text_sha256: String,
    pub text_changed_at: Option<String>,
    pub collection_started: String,
    /// None while the petition is still open.
    pub collection_ended: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyFacts {
    pub algorithm: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// Passes bytes through, counting them and hashing them.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }

    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

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
/// and returns its SHA-256. Call inside one snapshot, so that every file
/// describes the same moment. `written` counts the signature rows written.
pub fn write_packet<W: Write>(
    conn: &mut DbConnection,
    petition_id: i64,
    key: &SigningKey,
    now: NaiveDateTime,
    out: W,
    written: &mut Written,
) -> Result<String, ExportError> {
    let petition = db::petitions::find(conn, petition_id)?.ok_or(diesel::result::Error::NotFound)?;
    let revisions = db::petitions::revisions(conn, petition_id)?.len();
    let statuses: BTreeMap<String, i64> = db::exports::by_status(conn, petition_id)?.into_iter().collect();
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
        write_signatures(conn, petition_id, Format::Csv, Columns::Delivery, w, written)
    })?;
    add(&mut zip, "totals_by_country.csv", &mut |w| write_totals(&written.by_country, w).map(|_| ()))?;
    let generated_at = timestamp(Some(now));
    let count = |s: &str| thousands(statuses.get(s).copied().unwrap_or(0));
    let tally = |t: Tally| thousands(tallies.get(&t).copied().unwrap_or(0));
    let cover = Cover {
        petition: &facts,
        paragraphs: petition.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect(),
        generated_at: &generated_at,
        total: thousands(i64::try_from(written.rows).unwrap_or(i64::MAX)),
        countries: written.by_country.len(),
        duplicates: tally(Tally::Duplicate),
        honeypot: tally(Tally::Honeypot),
        withdrawn: count("withdrawn"),
        unconfirmed: thousands(statuses.get("pending").copied().unwrap_or(0) - held_now),
        held: thousands(held_now),
        abuse: Tally::ALL.into_iter().filter_map(|t| Some((tally(t), cover_words(t)?))).collect(),
        revisions,
        key: &key_facts,
    }
    .render()
    .map_err(io::Error::other)?;
    add(&mut zip, "cover.html", &mut |w| Ok(w.write_all(cover.as_bytes())?))?;

    let manifest = Manifest {
        format: FORMAT.into(),
        petition: facts.clone(),
        generated_at,
        confirmed_total: written.rows,
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

/// The result of checking a packet.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    /// The key the manifest's signature was checked with.
    pub key: Option<VerifyingKey>,
    /// Whether that key was given by the caller (a trusted copy), rather than
    /// taken from the packet itself.
    pub key_trusted: bool,
    /// One line per file or check.
    pub checks: Vec<(bool, String)>,
}

impl Verification {
    /// Every check passed: the files are those the manifest lists, unchanged,
    /// and the manifest is signed by `key`. Whether `key` is the campaign's is
    /// a separate question: see `key_trusted`.
    pub fn consistent(&self) -> bool {
        self.manifest.is_some() && !self.checks.is_empty() && self.checks.iter().all(|(ok, _)| *ok)
    }

    /// Consistent, and signed by the trusted key the caller gave.
    pub fn intact(&self) -> bool {
        self.consistent() && self.key_trusted
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        self.checks.push((ok, what.into()));
    }
}

fn read_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<Vec<u8>, String> {
    let mut file = zip.by_name(name).map_err(|_| format!("{name}: missing from the packet"))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| format!("{name}: damaged, cannot be read ({e})"))?;
    Ok(bytes)
}

/// The number of entries the archive's central directory declares (the zip
/// reader keeps only the last of several entries with one name, so this is
/// how duplicates show).
fn declared_entries<R: Read + Seek>(reader: &mut R) -> Option<u64> {
    let len = reader.seek(io::SeekFrom::End(0)).ok()?;
    let tail = len.min(65_557);
    reader.seek(io::SeekFrom::Start(len - tail)).ok()?;
    let mut buf = vec![0u8; usize::try_from(tail).ok()?];
    reader.read_exact(&mut buf).ok()?;
    let eocd = buf.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let entries = u16::from_le_bytes([*buf.get(eocd + 10)?, *buf.get(eocd + 11)?]);
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    let zip64 = buf.windows(4).rposition(|w| w == b"PK\x06\x06")?;
    let bytes: [u8; 8] = buf.get(zip64 + 32..zip64 + 40)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Checks a packet: the manifest's signature, every file's SHA-256, that no
/// file was added, removed or duplicated, and that the files agree with the
/// manifest's total. `trusted_key` is the campaign's published key; without
/// it the key named in the packet is used, which shows the packet is
/// consistent but not who made it.
pub fn verify<R: Read + Seek>(mut reader: R, trusted_key: Option<&VerifyingKey>) -> Verification {
    let mut v = Verification::default();
    let declared = declared_entries(&mut reader);
    let mut zip = match reader
        .seek(io::SeekFrom::Start(0))
        .map_err(zip::result::ZipError::Io)
        .and_then(|_| zip::ZipArchive::new(reader))
    {
        Ok(z) => z,
        Err(e) => {
            v.check(false, format!("not a readable ZIP archive ({e})"));
            return v;
        }
    };
    let (manifest_bytes, signature) = match (read_entry(&mut zip, MANIFEST), read_entry(&mut zip, SIGNATURE)) {
        (Ok(m), Ok(s)) => (m, s),
        (m, s) => {
            for problem in [m.err(), s.err()].into_iter().flatten() {
                v.check(false, problem);
            }
            return v;
        }
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            v.check(false, format!("{MANIFEST}: not a valid manifest ({e})"));
            return v;
        }
    };
    // The signature, with the trusted key if there is one.
    let named_key = crate::keys::parse_public_key(&manifest.signing_key.public_key);
    if let Some(named) = &named_key
        && fingerprint(named) != manifest.signing_key.fingerprint
    {
        v.check(false, format!("{MANIFEST}: the fingerprint it states is not that of the key it names"));
    }
    v.key_trusted = trusted_key.is_some();
    v.key = trusted_key.copied().or(named_key);
    match (v.key, trusted_key, named_key) {
        (Some(_), Some(trusted), Some(named)) if *trusted != named => v.check(
            false,
            format!("{MANIFEST}: names key {}, not the expected {}", fingerprint(&named), fingerprint(trusted)),
        ),
        (Some(key), _, _) => {
            let sig = STANDARD
                .decode(String::from_utf8_lossy(&signature).trim())
                .ok()
                .and_then(|b| <[u8; 64]>::try_from(b).ok())
                .map(|b| Signature::from_bytes(&b));
            match sig {
                None => v.check(false, format!("{SIGNATURE}: not a valid Ed25519 signature")),
                Some(s) if key.verify_strict(&manifest_bytes, &s).is_ok() => {
                    v.check(true, format!("{MANIFEST}: signature valid (key {})", fingerprint(&key)));
                }
                Some(_) => v.check(
                    false,
                    format!("{MANIFEST} / {SIGNATURE}: the signature does not match: one of them was changed, or another key signed"),
                ),
            }
        }
        (None, _, _) => v.check(false, format!("{MANIFEST}: names no usable public key")),
    }
    // Every listed file, and nothing else, each once.
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in &manifest.files {
        match read_entry(&mut zip, &entry.name) {
            Ok(bytes) => {
                let sha = hex::encode(Sha256::digest(&bytes));
                if sha == entry.sha256 && bytes.len() as u64 == entry.bytes {
                    v.check(true, format!("{}: intact", entry.name));
                } else {
                    v.check(false, format!("{}: changed (its SHA-256 differs from the manifest)", entry.name));
                }
                contents.insert(entry.name.clone(), bytes);
            }
            Err(problem) => v.check(false, problem),
        }
    }
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).chain([MANIFEST, SIGNATURE]).collect();
    let names: Vec<String> =
        zip.file_names().map(|n| n.map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".into())).collect();
    for name in &names {
        if !listed.contains(&name.as_str()) {
            v.check(false, format!("{name}: not listed in the manifest"));
        }
    }
    if declared != Some(listed.len() as u64) || names.len() != listed.len() {
        v.check(
            false,
            format!(
                "the archive holds {} entries where the manifest accounts for {} (an entry is duplicated or hidden)",
                declared.map_or("an unreadable number of".into(), |n| n.to_string()),
                listed.len()
            ),
        );
    }
    // The files agree with the total.
    if let Some(rows) = contents.get("signatures.csv").map(|b| csv_rows(b)) {
        v.check(
            rows == Some(manifest.confirmed_total),
            format!(
                "signatures.csv: {} rows, manifest total {}",
                rows.map_or("unreadable".into(), |r| r.to_string()),
                manifest.confirmed_total
            ),
        );
    }
    v.manifest = Some(manifest);
    v
}

fn csv_rows(bytes: &[u8]) -> Option<u64> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut n = 0;
    for record in reader.records() {
        record.ok()?;
        n += 1;
    }
    Some(n)
}
