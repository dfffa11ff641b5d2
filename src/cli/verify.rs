//! `verify-log` and `verify-receipt`: check a petition's transparency log
//! from its published files alone, over HTTP(S) or in a directory copy.
//! Everything the log serves is printed escaped: it may come from anyone.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::domain::Receipt;
use crate::text::printable;
use crate::tlog::verify::{self, DirSource, HttpSource, Source, VerifyError, b64};
use crate::tlog::{Checkpoint, LogKey, verifier_key};

/// Where the log is read from.
enum Place {
    Http(HttpSource),
    Dir(DirSource),
}

impl Place {
    fn open(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(Self::Http(HttpSource::new(url)?));
        }
        let dir = Path::new(url);
        anyhow::ensure!(dir.is_dir(), "{url}: neither an http(s) URL nor a directory");
        Ok(Self::Dir(DirSource::new(dir)))
    }

    fn source(&self) -> &dyn Source {
        match self {
            Self::Http(s) => s,
            Self::Dir(s) => s,
        }
    }
}

/// The key a log is checked with, and where it came from.
struct Key {
    vkey: String,
    independent: bool,
}

/// The deployment's answer to `GET /api/v1/log-key`.
#[derive(serde::Deserialize)]
struct LogKeyAnswer {
    algorithm: String,
    public_key: String,
    #[serde(default)]
    logs: Vec<LogKeyEntry>,
}

#[derive(serde::Deserialize)]
struct LogKeyEntry {
    origin: String,
    verifier_key: String,
}

/// The verifier key for the log `origin`: from `--public-key` (base64 of
/// the 32-byte key, or a signed-note verifier key), or else from the
/// deployment that serves the log.
fn key(place: &Place, origin: &str, public_key: Option<&str>) -> anyhow::Result<Key> {
    if let Some(k) = public_key {
        let key = LogKey::parse(k)
            .ok_or_else(|| anyhow::anyhow!("--public-key: neither a base64 Ed25519 public key nor a verifier key"))?;
        return Ok(Key { vkey: key.for_origin(origin), independent: true });
    }
    let Place::Http(http) = place else {
        anyhow::bail!("a copy on disk needs --public-key (the deployment's log key, as GET /api/v1/log-key serves it)");
    };
    let url = http.prefix().join("/api/v1/log-key")?;
    let body = http
        .client()
        .get(url.clone())
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.bytes())
        .with_context(|| format!("cannot read the log key from {url}"))?;
    let answer: LogKeyAnswer =
        serde_json::from_slice(&body).with_context(|| format!("{url}: not the log key's JSON"))?;
    anyhow::ensure!(answer.algorithm == "Ed25519", "{url}: the log key is not Ed25519");
    let key = crate::keys::parse_public_key(&answer.public_key)
        .ok_or_else(|| anyhow::anyhow!("{url}: public_key is not a base64 Ed25519 public key"))?;
    let vkey = verifier_key(origin, &key);
    if let Some(listed) = answer.logs.iter().find(|l| l.origin == origin)
        && listed.verifier_key != vkey
    {
        anyhow::bail!("{url}: the verifier key listed for {} is not the one its public key gives", printable(origin));
    }
    Ok(Key { vkey, independent: false })
}

fn print_key(key: &Key) {
    let whose = if key.independent {
        "given with --public-key"
    } else {
        "taken from the same deployment (GET /api/v1/log-key), NOT checked independently"
    };
    println!("Key:        {} ({whose})", printable(&key.vkey));
}

/// Ends a check that held: a success only with a key given independently,
/// as `verify-delivery` does, so that a script never takes a log that is
/// merely consistent with itself for a verified one.
fn finish(key: &Key, verified: &str) -> anyhow::Result<()> {
    if key.independent {
        println!("VERIFIED: {verified}.");
        return Ok(());
    }
    println!(
        "UNVERIFIED: {verified}, but only with the key of the same deployment that serves the log. \
         Give the campaign's published key (from a source you trust) with --public-key to finish the check."
    );
    anyhow::bail!("the log's key was not checked")
}

/// `verify-log`.
pub(super) fn verify_log(
    url: &str,
    public_key: Option<&str>,
    since: Option<&Path>,
    save: Option<&Path>,
) -> anyhow::Result<()> {
    let place = Place::open(url)?;
    let source = place.source();
    let note = verify::fetch_checkpoint(source)?;
    let unverified = Checkpoint::read_unverified(&note).context("the log's checkpoint")?;
    let key = key(&place, &unverified.origin, public_key)?;
    let old = match since {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("--since: cannot read {}", path.display()))?),
        None => None,
    };
    println!("Log:        {}", printable(&unverified.origin));
    print_key(&key);
    let report = match verify::verify_log_note(source, &note, &key.vkey, old.as_deref()) {
        Ok(report) => report,
        Err(e) => {
            if let (VerifyError::Inconsistent { .. }, Some(old)) = (&e, &old) {
                println!("The earlier checkpoint:\n{}", printable(&String::from_utf8_lossy(old)));
                println!("The log's checkpoint now:\n{}", printable(&String::from_utf8_lossy(&note)));
                println!("Both are signed by the log key: keep them, they prove the log forked.");
            }
            println!("FAILED  {e}");
            anyhow::bail!("the log does NOT verify: {e}");
        }
    };
    println!("Checkpoint: {} leaves, root {}", report.size, b64(&report.root));
    println!("ok      the checkpoint's signature verifies with the key");
    println!(
        "ok      the {} entries ({} bundles) match the {} hash tiles, level by level, and rebuild the checkpoint's root",
        report.size, report.bundles_checked, report.tiles_checked
    );
    println!(
        "ok      the leaves recount total {} ({} confirmed, {} withdrawn), as the checkpoint states",
        report.totals.total, report.leaves_confirmed, report.leaves_withdrawn
    );
    for (country, n) in &report.totals.by_country {
        println!("          {} {n}", printable(country));
    }
    if let (Some(old), Some(path)) = (report.since, since) {
        println!("ok      the log only grew since the checkpoint of {old} leaves in {}", path.display());
    }
    if let Some(path) = save {
        save_atomically(path, &note).with_context(|| format!("--save: cannot write {}", path.display()))?;
        println!("Saved the checkpoint to {} (give it with --since next time)", path.display());
    }
    finish(&key, &format!("the log holds {} leaves counting {} signatures", report.size, report.totals.total))
}

/// `verify-receipt`; `receipt` is the receipt or `-` to read it from
/// standard input.
pub(super) fn verify_receipt(url: &str, receipt: &str, public_key: Option<&str>) -> anyhow::Result<()> {
    let receipt = if receipt == "-" {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the receipt from standard input")?;
        line
    } else {
        receipt.to_owned()
    };
    let receipt = Receipt::parse(&receipt).map_err(|e| anyhow::anyhow!("the receipt: {e}"))?;
    let place = Place::open(url)?;
    let source = place.source();
    let note = verify::fetch_checkpoint(source)?;
    let unverified = Checkpoint::read_unverified(&note).context("the log's checkpoint")?;
    let key = key(&place, &unverified.origin, public_key)?;
    println!("Log:        {}", printable(&unverified.origin));
    print_key(&key);
    let report = match verify::verify_receipt(source, &key.vkey, &receipt) {
        Ok(report) => report,
        Err(e) => {
            println!("FAILED  {e}");
            anyhow::bail!("the receipt does NOT verify: {e}");
        }
    };
    println!("Checkpoint: {} leaves, root {}", report.size, b64(&report.root));
    println!("ok      the checkpoint's signature verifies with the key, and the entries rebuild its root");
    println!(
        "ok      leaf {} carries the receipt's commitment: confirmed on {}, country {}, text hash {}",
        report.index,
        report.day,
        printable(&report.country),
        hex::encode(report.text)
    );
    println!(
        "ok      its inclusion proof ({} hashes, from the hash tiles) leads to the checkpoint's root:",
        report.proof.len()
    );
    for hash in &report.proof {
        println!("          {}", b64(hash));
    }
    match report.withdrawn_by {
        Some(w) => println!("WITHDRAWN: leaf {w} cancels it, so it no longer counts."),
        None => println!("COUNTED: the signature is in the log and no withdrawal cancels it."),
    }
    finish(&key, &format!("leaf {} of the log of {} leaves carries the receipt", report.index, report.size))
}

/// Writes `bytes` to `path` so that it holds the old content or the new,
/// never a part: a temporary file beside it, synced, then renamed.
fn save_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself, durable (where directories can be opened).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint");
        save_atomically(&path, b"one\n").unwrap();
        save_atomically(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        assert!(save_atomically(&dir.path().join("no/such/dir/x"), b"x").is_err());
    }
}
