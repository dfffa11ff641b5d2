//! Checking a delivery packet that may come from anyone: its structure first,
//! then the manifest's signature, then every file against the manifest.

use std::io::{self, Read, Seek};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use zip::unstable::format::data_descriptor::ZipDataDescriptor as DataDescriptor;

use super::{MANIFEST, Manifest, SIGNATURE};
use crate::keys::fingerprint;
use crate::text::printable;

/// The result of checking a packet.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    /// The key the manifest's signature was found valid with.
    pub key: Option<VerifyingKey>,
    /// Whether that key was given by the caller (a trusted copy), rather than
    /// taken from the packet itself.
    pub key_trusted: bool,
    /// One line per file or check, safe to print: text taken from the packet
    /// (names, and what the ZIP and JSON readers say about them) has its
    /// control characters escaped.
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

/// From the ZIP specification (PKWARE's APPNOTE.TXT, 4.3.7): the signature
/// every local file header begins with, 0x04034b50 stored little-endian. A
/// packet begins with one.
const LOCAL_FILE_HEADER_SIGNATURE: [u8; 4] = 0x0403_4b50_u32.to_le_bytes();
/// A packet holds five entries; an archive with more is refused unread.
const MAX_ENTRIES: usize = 16;
/// The most the manifest may declare (it lists three files).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// The most the signature may declare (64 bytes are 88 characters of base64).
const MAX_SIGNATURE_BYTES: u64 = 1 << 10;
/// The most any other entry may declare: 1 GiB, some forty million rows of
/// names and countries.
const MAX_FILE_BYTES: u64 = 1 << 30;
/// The most all entries together may declare: what a check decompresses at
/// most, whatever the archive claims.
const MAX_PACKET_BYTES: u64 = 2 << 30;

/// The largest size an entry called `name` may declare.
fn size_limit(name: &str) -> u64 {
    match name {
        MANIFEST => MAX_MANIFEST_BYTES,
        SIGNATURE => MAX_SIGNATURE_BYTES,
        _ => MAX_FILE_BYTES,
    }
}

/// Opens a packet and checks its structure without reading any entry's
/// content: it begins with its first entry (nothing put before it), holds
/// few entries, each once, the sizes it declares are within the limits, and
/// its central directory agrees with every entry's own header and data
/// descriptor (name, offset, sizes, CRC, compression) and hides none.
fn open<R: Read + Seek>(mut reader: R) -> Result<zip::ZipArchive<R>, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("not a readable ZIP archive ({})", printable(&e.to_string()));
    let mut start = [0u8; 4];
    reader
        .seek(io::SeekFrom::Start(0))
        .and_then(|_| reader.read_exact(&mut start))
        .and_then(|()| reader.seek(io::SeekFrom::Start(0)))
        .map_err(|e| unreadable(&e))?;
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| unreadable(&e))?;
    if zip.is_empty() {
        return Err("the archive is empty".into());
    }
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "the archive holds {} entries, more than a packet may ({MAX_ENTRIES}); refused unread",
            zip.len()
        ));
    }
    if zip.has_duplicate_names() {
        return Err("two entries of the archive have the same name (an entry is duplicated); refused unread".into());
    }
    // (The reader keeps one entry of a name: duplicates are ruled out first.)
    let first_entry = (0..zip.len()).filter_map(|i| zip.by_index_data(i).ok().map(|e| e.header_start())).min();
    if start != LOCAL_FILE_HEADER_SIGNATURE || zip.offset() != 0 || first_entry != Some(0) {
        return Err("the archive does not begin with its first entry: bytes were put before it; refused unread".into());
    }
    // What the central directory declares, against the limits.
    let entries_end = zip.central_directory_start();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_data(i).map_err(|e| unreadable(&e))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".into());
        let (declared, limit) = (entry.size(), size_limit(&name));
        if declared > limit {
            return Err(format!(
                "{}: declares {declared} bytes, more than the {limit} a packet allows; refused unread",
                printable(&name)
            ));
        }
        if entry.compressed_size() > entries_end {
            return Err(format!(
                "{}: declares {} compressed bytes, more than the archive holds; refused unread",
                printable(&name),
                entry.compressed_size()
            ));
        }
        total = total.saturating_add(declared);
    }
    if total > MAX_PACKET_BYTES {
        return Err(format!(
            "the entries declare {total} bytes in all, more than the {MAX_PACKET_BYTES} a packet allows; refused unread"
        ));
    }
    // The central directory against the local headers, then against the
    // data descriptors: a streamed entry (as the packet's are) keeps its CRC
    // and sizes there, after its data, rather than in its local header.
    let disagrees = |detail: String| {
        format!("the archive's central directory does not agree with its entries ({detail}); refused unread")
    };
    zip.validate_header_consistency().map_err(|e| disagrees(printable(&e.to_string()).into_owned()))?;
    for i in 0..zip.len() {
        let entry = zip.by_index_with_data_descriptor(i).map_err(|e| unreadable(&e))?;
        let described = (*entry.data_descriptor()).map(|d| match d {
            DataDescriptor::ZipDataDescriptorBlock(d) => {
                (d.crc32, u64::from(d.compressed_size), u64::from(d.uncompressed_size))
            }
            DataDescriptor::Zip64DataDescriptorBlock(d) => (d.crc32, d.compressed_size, d.uncompressed_size),
        });
        if described.is_some_and(|d| d != (entry.crc32(), entry.compressed_size(), entry.size())) {
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".into());
            return Err(disagrees(format!("{}: CRC or sizes differ from its data descriptor", printable(&name))));
        }
    }
    Ok(zip)
}

/// Passes an entry's bytes through, hashing and counting them, and keeps
/// the first read error (a damaged entry, or one longer than it declares).
struct Tee<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    error: Option<String>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted && self.error.is_none() {
                    self.error = Some(e.to_string());
                }
                Err(e)
            }
        }
    }
}

/// The size the archive declares for entry `name`, if it has one by that name.
fn declared_size<R: Read + Seek>(zip: &zip::ZipArchive<R>, name: &str) -> Option<u64> {
    zip.by_index_data(zip.index_for_name(name)?).ok().map(|e| e.size())
}

/// Reads entry `name` through `consume`, never more than one byte past the
/// size it declares (which [`open`] checked against the limits), then reads
/// what `consume` left: returns what `consume` made of it, and the whole
/// entry's SHA-256 and size.
fn read_entry<R: Read + Seek, T>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    consume: impl FnOnce(&mut dyn Read) -> T,
) -> Result<(T, String, u64), String> {
    let shown = printable(name);
    let mut file = zip.by_name(name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => format!("{shown}: missing from the packet"),
        e => format!("{shown}: damaged, cannot be read ({})", printable(&e.to_string())),
    })?;
    let declared = file.size();
    let mut tee =
        Tee { inner: (&mut file).take(declared.saturating_add(1)), hasher: Sha256::new(), bytes: 0, error: None };
    let made = consume(&mut tee);
    // An error here is kept in `tee`.
    let _ = io::copy(&mut tee, &mut io::sink());
    if let Some(e) = tee.error {
        return Err(format!("{shown}: damaged, cannot be read ({})", printable(&e)));
    }
    if tee.bytes > declared {
        return Err(format!("{shown}: holds more than the {declared} bytes it declares; not read further"));
    }
    Ok((made, hex::encode(tee.hasher.finalize()), tee.bytes))
}

fn read_all(reader: &mut dyn Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    // An error is reported by `read_entry`.
    let _ = reader.read_to_end(&mut bytes);
    bytes
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    serde_json::from_slice(bytes)
        .map_err(|e| format!("{MANIFEST}: not a valid manifest ({})", printable(&e.to_string())))
}

/// Checks a packet, which may come from anyone, in an order that reads as
/// little of it as it can: first its structure, reading no content (see
/// [`open`]); then the manifest's signature, before any other entry is read
/// or hashed; then every file's SHA-256, that no file was added or removed,
/// and that the files agree with the manifest's total. It stops at the first
/// failure of the first two steps. `trusted_key` is the campaign's published
/// key; without it the key named in the packet is used, which shows the
/// packet is consistent but not who made it.
pub fn verify<R: Read + Seek>(reader: R, trusted_key: Option<&VerifyingKey>) -> Verification {
    let mut v = Verification::default();
    let mut zip = match open(reader) {
        Ok(z) => z,
        Err(problem) => {
            v.check(false, problem);
            return v;
        }
    };
    let (manifest_bytes, signature) =
        match (read_entry(&mut zip, MANIFEST, read_all), read_entry(&mut zip, SIGNATURE, read_all)) {
            (Ok((m, ..)), Ok((s, ..))) => (m, s),
            (m, s) => {
                for problem in [m.err(), s.err()].into_iter().flatten() {
                    v.check(false, problem);
                }
                return v;
            }
        };
    // The signature, with the trusted key if there is one (the manifest is
    // then parsed only once it is known to be signed by that key).
    let mut parsed = None;
    let key = match trusted_key {
        Some(key) => *key,
        None => {
            let manifest = match parse_manifest(&manifest_bytes) {
                Ok(m) => m,
                Err(problem) => {
                    v.check(false, problem);
                    return v;
                }
            };
            let named = crate::keys::parse_public_key(&manifest.signing_key.public_key);
            parsed = Some(manifest);
            match named {
                Some(key) => key,
                None => {
                    v.check(false, format!("{MANIFEST}: names no usable public key"));
                    return v;
                }
            }
        }
    };
    let sig = STANDARD
        .decode(String::from_utf8_lossy(&signature).trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match sig {
        None => {
            v.check(false, format!("{SIGNATURE}: not a valid Ed25519 signature"));
            return v;
        }
        Some(s) if key.verify_strict(&manifest_bytes, &s).is_ok() => {
            v.check(true, format!("{MANIFEST}: signature valid (key {})", fingerprint(&key)));
        }
        Some(_) => {
            let named = trusted_key
                .and_then(|_| parse_manifest(&manifest_bytes).ok())
                .and_then(|m| crate::keys::parse_public_key(&m.signing_key.public_key))
                .filter(|named| *named != key);
            v.check(
                false,
                match named {
                    Some(named) => format!(
                        "{MANIFEST}: names key {}, not the expected {}, and is not signed by the expected key",
                        fingerprint(&named),
                        fingerprint(&key)
                    ),
                    None => format!(
                        "{MANIFEST} / {SIGNATURE}: the signature does not match: one of them was changed, or another key signed"
                    ),
                },
            );
            return v;
        }
    }
    let manifest = match parsed.map_or_else(|| parse_manifest(&manifest_bytes), Ok) {
        Ok(m) => m,
        Err(problem) => {
            v.check(false, problem);
            return v;
        }
    };
    v.key = Some(key);
    v.key_trusted = trusted_key.is_some();
    let named_key = crate::keys::parse_public_key(&manifest.signing_key.public_key);
    if named_key != Some(key) {
        v.check(false, format!("{MANIFEST}: signed by the expected key, but names another"));
    }
    if named_key.is_some_and(|named| fingerprint(&named) != manifest.signing_key.fingerprint) {
        v.check(false, format!("{MANIFEST}: the fingerprint it states is not that of the key it names"));
    }
    // Every listed file, and nothing else, each once.
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).chain([MANIFEST, SIGNATURE]).collect();
    if listed.iter().enumerate().any(|(i, name)| listed[..i].contains(name)) {
        v.check(false, format!("{MANIFEST}: lists a file twice"));
        return v;
    }
    let unlisted: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".into()))
        .filter(|name| !listed.contains(&name.as_str()))
        .collect();
    for name in unlisted {
        v.check(false, format!("{}: not listed in the manifest", printable(&name)));
    }
    let mut rows = None;
    for entry in &manifest.files {
        let shown = printable(&entry.name);
        if let Some(declared) = declared_size(&zip, &entry.name)
            && declared != entry.bytes
        {
            v.check(
                false,
                format!("{shown}: changed (the archive declares {declared} bytes, the manifest {})", entry.bytes),
            );
            continue;
        }
        let is_signatures = entry.name == "signatures.csv";
        match read_entry(&mut zip, &entry.name, |r| is_signatures.then(|| csv_rows(r))) {
            Ok((counted, sha256, bytes)) => {
                if sha256 == entry.sha256 && bytes == entry.bytes {
                    v.check(true, format!("{shown}: intact"));
                } else {
                    v.check(false, format!("{shown}: changed (its SHA-256 differs from the manifest)"));
                }
                rows = rows.or(counted);
            }
            Err(problem) => v.check(false, problem),
        }
    }
    // The files agree with the total.
    if let Some(rows) = rows {
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

/// The number of rows after the header, if `bytes` is well-formed CSV.
fn csv_rows(bytes: impl Read) -> Option<u64> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while reader.read_byte_record(&mut record).ok()? {
        n += 1;
    }
    Some(n)
}
