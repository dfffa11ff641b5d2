//! Checking a delivery packet that may come from anyone: its structure first,
//! then the manifest's signature, then every file against the manifest, then
//! the count against the transparency log's checkpoint the packet carries
//! (opened with the log key, its root rebuilt and its leaves recounted from
//! the packet's entry bundles).

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Seek};
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use zip::unstable::format::data_descriptor::ZipDataDescriptor as DataDescriptor;

use super::tie::differences;
use super::{LOG_DIR, MANIFEST, Manifest, SIGNATURE, log_file};
use crate::keys::fingerprint;
use crate::text::printable;
use crate::tlog::verify::{CHECKPOINT, Source, SourceError, b64, verify_entries};
use crate::tlog::{Checkpoint, LogKey, leaf, paths};

/// The result of checking a packet.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    /// The key the manifest's signature was found valid with.
    pub key: Option<VerifyingKey>,
    /// Whether that key was given by the caller (a trusted copy), rather than
    /// taken from the packet itself.
    pub key_trusted: bool,
    /// The log checkpoint the packet carries, once it opened with `log_key`.
    pub checkpoint: Option<Checkpoint>,
    /// The verifier key the checkpoint was opened with.
    pub log_key: Option<String>,
    /// Whether that key came from the caller (`--log-public-key`), rather
    /// than from the packet's manifest.
    pub log_key_trusted: bool,
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

    /// Consistent, signed by the trusted delivery key the caller gave, and
    /// its count that of a checkpoint signed by the trusted log key.
    pub fn intact(&self) -> bool {
        self.consistent() && self.key_trusted && self.log_key_trusted
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        self.checks.push((ok, what.into()));
    }
}

/// From the ZIP specification (PKWARE's APPNOTE.TXT, 4.3.7): the signature
/// every local file header begins with, 0x04034b50 stored little-endian. A
/// packet begins with one.
const LOCAL_FILE_HEADER_SIGNATURE: [u8; 4] = 0x0403_4b50_u32.to_le_bytes();
/// The most entry bundles a packet may hold: 2^16, a log of some 16.7
/// million leaves, whose bundles (1.24 GB at most) leave room within
/// [`MAX_PACKET_BYTES`] for the signatures. `write_packet` refuses more.
pub(crate) const MAX_BUNDLES: usize = 1 << 16;
/// A packet holds six entries and the log's bundles; an archive with more is
/// refused unread.
const MAX_ENTRIES: usize = 16 + MAX_BUNDLES;
/// The most the manifest may declare (it lists each file in about 150 bytes).
const MAX_MANIFEST_BYTES: u64 = 32 << 20;
/// The most the signature may declare (64 bytes are 88 characters of base64).
const MAX_SIGNATURE_BYTES: u64 = 1 << 10;
/// The most the log's checkpoint may declare (a few lines per country).
const MAX_CHECKPOINT_BYTES: u64 = 64 << 10;
/// The most an entry bundle may declare: 256 entries of the longest leaf,
/// each after its two-byte length.
const MAX_BUNDLE_BYTES: u64 = paths::TILE_WIDTH * (2 + leaf::CONFIRMED_LEN as u64);
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
        _ if name == log_file(CHECKPOINT) => MAX_CHECKPOINT_BYTES,
        _ if name.starts_with(LOG_DIR) => MAX_BUNDLE_BYTES,
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
/// and that the files agree with the manifest's total; then the log (see
/// [`check_log`]). It stops at the first failure of the first two steps.
/// `trusted_key` is the campaign's published delivery key, `trusted_log_key`
/// its log key; without them the keys named in the packet are used, which
/// shows the packet is consistent but not who made it.
pub fn verify<R: Read + Seek + Send>(
    reader: R,
    trusted_key: Option<&VerifyingKey>,
    trusted_log_key: Option<&LogKey>,
) -> Verification {
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
    let mut listed: HashSet<&str> = HashSet::with_capacity(manifest.files.len() + 2);
    if !manifest.files.iter().map(|f| f.name.as_str()).chain([MANIFEST, SIGNATURE]).all(|name| listed.insert(name)) {
        v.check(false, format!("{MANIFEST}: lists a file twice"));
        return v;
    }
    let unlisted: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".into()))
        .filter(|name| !listed.contains(name.as_str()))
        .collect();
    for name in unlisted {
        v.check(false, format!("{}: not listed in the manifest", printable(&name)));
    }
    let mut rows: Option<Option<CsvCount>> = None;
    // Bundles found intact are reported in one line, not one each.
    let mut bundles_intact = 0u64;
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
        let is_signatures = entry.name == SIGNATURES;
        match read_entry(&mut zip, &entry.name, |r| is_signatures.then(|| count_csv(r))) {
            Ok((counted, sha256, bytes)) => {
                let intact = sha256 == entry.sha256 && bytes == entry.bytes;
                if intact && is_bundle(&entry.name) {
                    bundles_intact += 1;
                } else if intact {
                    v.check(true, format!("{shown}: intact"));
                } else {
                    v.check(false, format!("{shown}: changed (its SHA-256 differs from the manifest)"));
                }
                rows = rows.or(counted);
            }
            Err(problem) => v.check(false, problem),
        }
    }
    if bundles_intact > 0 {
        v.check(true, format!("{LOG_DIR}tile/entries/...: {bundles_intact} entry bundle(s) intact"));
    }
    // The files agree with the total.
    if let Some(rows) = &rows {
        v.check(
            rows.as_ref().map(|r| r.rows) == Some(manifest.confirmed_total),
            format!(
                "{SIGNATURES}: {} rows, manifest total {}",
                rows.as_ref().map_or("unreadable".into(), |r| r.rows.to_string()),
                manifest.confirmed_total
            ),
        );
    }
    check_log(&mut v, &mut zip, &manifest, trusted_log_key, rows.as_ref());
    v.manifest = Some(manifest);
    v
}

/// The signatures' file.
const SIGNATURES: &str = "signatures.csv";

fn is_bundle(name: &str) -> bool {
    name.strip_prefix(LOG_DIR).is_some_and(|path| path.starts_with("tile/entries/"))
}

/// What `signatures.csv` holds: its rows, and how many by country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct CsvCount {
    rows: u64,
    by_country: BTreeMap<String, u64>,
    /// Rows whose country is not two capital letters (no log counts them).
    no_code: u64,
}

/// Counts the rows after the header, by their `country` column; None if
/// `bytes` is not well-formed CSV with such a column.
fn count_csv(bytes: impl Read) -> Option<CsvCount> {
    let mut reader = csv::Reader::from_reader(bytes);
    let column = reader.byte_headers().ok()?.iter().position(|h| h == b"country")?;
    let mut record = csv::ByteRecord::new();
    let mut by_code: BTreeMap<[u8; 2], u64> = BTreeMap::new();
    let (mut rows, mut no_code) = (0, 0);
    while reader.read_byte_record(&mut record).ok()? {
        rows += 1;
        match record.get(column).and_then(|c| <[u8; 2]>::try_from(c).ok()) {
            Some(code) if code.iter().all(u8::is_ascii_uppercase) => *by_code.entry(code).or_default() += 1,
            _ => no_code += 1,
        }
    }
    let by_country = by_code.into_iter().map(|(c, n)| (String::from_utf8_lossy(&c).into_owned(), n)).collect();
    Some(CsvCount { rows, by_country, no_code })
}

/// The log's files in the packet (`log/...`), as the log verifier reads
/// them; it reads from several threads, so the archive is behind a lock.
struct PacketLog<'a, R> {
    zip: Mutex<&'a mut zip::ZipArchive<R>>,
}

impl<R: Read + Seek + Send> Source for PacketLog<'_, R> {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let name = log_file(path);
        let mut zip = self.zip.lock().unwrap_or_else(PoisonError::into_inner);
        if zip.index_for_name(&name).is_none() {
            return Ok(None);
        }
        read_entry(&mut zip, &name, read_all).map(|(bytes, ..)| Some(bytes)).map_err(|problem| {
            let prefix = format!("{}: ", printable(&name));
            let message = problem.strip_prefix(&prefix).unwrap_or(&problem).to_owned();
            SourceError { path: printable(&name).into_owned(), message }
        })
    }
}

/// Checks the count against the log: the checkpoint the packet carries
/// opens with the log key (`trusted`, else the one the manifest names) and
/// is the one the manifest states; the entry bundles rebuild its root and
/// recount its totals; and `signatures.csv` (`counted`: None if the
/// manifest does not list it, `Some(None)` if it is unreadable) has exactly
/// as many rows, in all and by country. Each failure is a check of its own.
fn check_log<R: Read + Seek + Send>(
    v: &mut Verification,
    zip: &mut zip::ZipArchive<R>,
    manifest: &Manifest,
    trusted: Option<&LogKey>,
    counted: Option<&Option<CsvCount>>,
) {
    let Some(facts) = &manifest.log else {
        v.check(
            false,
            format!(
                "{MANIFEST}: names no transparency-log checkpoint (a packet made before packets carried one): its \
                 count cannot be checked against the log"
            ),
        );
        return;
    };
    let vkey = match trusted {
        Some(key) => {
            let vkey = key.for_origin(&facts.origin);
            if facts.verifier_key != vkey {
                v.check(
                    false,
                    format!(
                        "{MANIFEST}: names the log key {}, not the expected {}",
                        printable(&facts.verifier_key),
                        printable(&vkey)
                    ),
                );
            }
            vkey
        }
        None => facts.verifier_key.clone(),
    };
    let name = log_file(CHECKPOINT);
    let note = match read_entry(zip, &name, read_all) {
        Ok((note, ..)) => note,
        Err(problem) => {
            v.check(false, problem);
            return;
        }
    };
    let checkpoint = match Checkpoint::open(&note, &vkey) {
        Ok(c) => c,
        Err(e) => {
            v.check(false, format!("{name}: {}", printable(&e.to_string())));
            return;
        }
    };
    v.check(
        true,
        format!(
            "{name}: signature valid (log key {}): {} leaves, counting {}",
            printable(&vkey),
            checkpoint.size,
            checkpoint.totals.total
        ),
    );
    v.log_key = Some(vkey);
    v.log_key_trusted = trusted.is_some();
    let stated = (facts.origin.as_str(), facts.size, facts.root.as_str());
    let root = b64(&checkpoint.root);
    if stated != (checkpoint.origin.as_str(), checkpoint.size, root.as_str()) {
        v.check(
            false,
            format!(
                "{MANIFEST}: states the log {} at {} leaves with root {}, but {name} is of {} at {} leaves with root {}",
                printable(&facts.origin),
                facts.size,
                printable(&facts.root),
                printable(&checkpoint.origin),
                checkpoint.size,
                root
            ),
        );
    }
    // The packet's log files are the checkpoint's tree's, and no others.
    let expected: HashSet<String> =
        paths::entry_bundles(checkpoint.size).map(|b| log_file(&b.path())).chain([name.clone()]).collect();
    for entry in manifest.files.iter().filter(|f| f.name.starts_with(LOG_DIR) && !expected.contains(&f.name)) {
        v.check(false, format!("{}: not a file of the checkpoint's tree", printable(&entry.name)));
    }
    match verify_entries(&PacketLog { zip: Mutex::new(zip) }, &checkpoint) {
        Ok(report) => v.check(
            true,
            format!(
                "{LOG_DIR}tile/entries/...: the {} leaves ({} bundles) rebuild the checkpoint's root and recount \
                 its totals ({} confirmed, {} withdrawn)",
                report.size, report.bundles_checked, report.leaves_confirmed, report.leaves_withdrawn
            ),
        ),
        Err(e) => v.check(false, format!("{LOG_DIR}tile/entries/...: {}", printable(&e.to_string()))),
    }
    if i64::try_from(manifest.confirmed_total).ok() != Some(checkpoint.totals.total) {
        v.check(
            false,
            format!(
                "{MANIFEST}: total {}, the log's checkpoint counts {}",
                manifest.confirmed_total, checkpoint.totals.total
            ),
        );
    }
    match counted {
        None => {
            v.check(false, format!("{SIGNATURES}: not listed in the manifest, so nothing to count against the log"))
        }
        Some(None) => v.check(false, format!("{SIGNATURES}: unreadable, so not counted against the log's checkpoint")),
        Some(Some(count)) => {
            let differ = differences(&checkpoint.totals, &count.by_country);
            for d in &differ {
                v.check(
                    false,
                    match &d.country {
                        None => format!("{SIGNATURES}: {} rows, the log's checkpoint counts {}", d.counted, d.log),
                        Some(c) => format!(
                            "{SIGNATURES}: {} rows for country {}, the log's checkpoint counts {}",
                            d.counted,
                            printable(c),
                            d.log
                        ),
                    },
                );
            }
            if count.no_code > 0 {
                v.check(false, format!("{SIGNATURES}: {} rows have no two-letter country code", count.no_code));
            }
            if differ.is_empty() && count.no_code == 0 {
                v.check(
                    true,
                    format!("{SIGNATURES}: {} rows, in all and by country as the log's checkpoint counts", count.rows),
                );
            }
        }
    }
    v.checkpoint = Some(checkpoint);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signatures_are_counted_by_their_country_column() {
        let csv = "name,country\r\nAda,GB\r\n\"Lee, Jr\",GB\r\nMai,JP\r\n";
        let count = count_csv(csv.as_bytes()).unwrap();
        assert_eq!(count.rows, 3);
        assert_eq!(count.by_country, [("GB".to_owned(), 2), ("JP".to_owned(), 1)].into());
        assert_eq!(count.no_code, 0);
        // The column is found by its name, wherever it is.
        let count = count_csv("country,name\r\nFR,Ada\r\n".as_bytes()).unwrap();
        assert_eq!(count.by_country, [("FR".to_owned(), 1)].into());
        // Anything but two capital letters counts for no country.
        let count = count_csv("name,country\r\na,gb\r\nb,GBR\r\nc,\r\nd,\u{1b}[\r\ne,DE\r\n".as_bytes()).unwrap();
        assert_eq!((count.rows, count.no_code), (5, 4));
        assert_eq!(count.by_country, [("DE".to_owned(), 1)].into());
        assert_eq!(count_csv("name,country\r\n".as_bytes()).unwrap(), CsvCount::default());
    }

    #[test]
    fn a_csv_without_a_country_column_or_malformed_is_not_counted() {
        assert_eq!(count_csv("name,land\r\nAda,GB\r\n".as_bytes()), None);
        assert_eq!(count_csv("name,country\r\nAda,GB,extra\r\n".as_bytes()), None);
        assert_eq!(
            count_csv(&b"name,country\r\n\xff\xfe,GB\r\n"[..]).map(|c| c.rows),
            Some(1),
            "names may be any bytes"
        );
    }

    #[test]
    fn log_files_have_limits_of_their_own() {
        assert_eq!(size_limit("log/checkpoint"), MAX_CHECKPOINT_BYTES);
        assert_eq!(size_limit("log/tile/entries/000"), MAX_BUNDLE_BYTES);
        assert_eq!(size_limit("log/tile/entries/x001/234.p/5"), MAX_BUNDLE_BYTES);
        assert_eq!(MAX_BUNDLE_BYTES, 256 * 74, "256 confirmed leaves, each after its length");
        assert_eq!(size_limit("signatures.csv"), MAX_FILE_BYTES);
        assert_eq!(size_limit(MANIFEST), MAX_MANIFEST_BYTES);
        assert!(
            is_bundle("log/tile/entries/000.p/3") && !is_bundle("log/checkpoint") && !is_bundle("tile/entries/000")
        );
    }
}
