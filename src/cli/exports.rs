//! `export` and `verify-delivery`: an export runs through the same
//! operation as the dashboard's downloads (`organise::exports`), written to
//! a file or standard output.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::audit::Recorder;
use std::sync::Arc;

use crate::configuration::KeySettings;
use crate::db::Db;
use crate::export::{Columns, Format};
use crate::keys::{FirstStart, Keys};
use crate::organise::exports::{self as exporting, LogAccess, PacketKeys, Refused, What};
use crate::text::printable;
use crate::tlog::LogKey;

/// `--format` of a signatures export.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum ExportFormat {
    Csv,
    Json,
    Ndjson,
}

impl From<ExportFormat> for Format {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Csv => Self::Csv,
            ExportFormat::Json => Self::Json,
            ExportFormat::Ndjson => Self::Ndjson,
        }
    }
}

/// What `export` was asked for.
pub(super) enum ExportKind {
    Signatures { slug: String, format: ExportFormat, contacts: bool },
    Totals { slug: String },
    Delivery { slug: String },
}

/// Runs an export like the HTTP ones, logged as done from the command line.
pub(super) async fn export(kind: ExportKind, out: Option<PathBuf>, db: Db) -> anyhow::Result<()> {
    let (slug, what) = match kind {
        ExportKind::Signatures { slug, format, contacts } => {
            let columns = if contacts { Columns::WithContacts } else { Columns::Standard };
            (slug, What::Signatures { format: format.into(), columns })
        }
        ExportKind::Totals { slug } => (slug, What::Totals),
        ExportKind::Delivery { slug } => (slug, What::Delivery),
    };
    let id = match exporting::petition(&db, &slug, what).await {
        Ok(id) => id,
        Err(Refused::NotFound) => anyhow::bail!("no petition {slug:?}"),
        Err(Refused::Erased(erased)) => anyhow::bail!(
            "the signers' personal data of {slug:?} was erased on {erased} UTC (ERASE_AFTER_CLOSE); only --totals remain"
        ),
        Err(Refused::Db(e)) => return Err(e.into()),
    };
    let all = crate::keys::load(&db, &KeySettings::from_env()?, FirstStart::Refuse).await?;
    let keys = (what == What::Delivery).then(|| packet_keys(&all));
    let started = exporting::start(&db, Arc::clone(all.vault()), id, Recorder::command_line(&all), what, keys).await?;
    let ran = tokio::task::spawn_blocking(move || started.run_blocking(|| sink(out.as_deref()))).await?;
    ran.logged?;
    if let Some(failure) = ran.failure {
        return Err(failure.into());
    }
    eprintln!("exported {} of {slug}: {} rows", what.logged_as(), ran.rows);
    Ok(())
}

/// The keys a packet needs: the delivery key, and the log key the
/// packet's checkpoint must open with. The command line never appends to
/// the logs (it may not have the server's log key or `PUBLIC_URL`): it
/// waits for the running server to append.
fn packet_keys(keys: &Keys) -> PacketKeys {
    PacketKeys { delivery: keys.delivery().clone(), log: LogAccess::WaitFor(keys.log().public_key()) }
}

/// Where an export goes: `--out FILE`, else standard output.
fn sink(out: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| io::Error::new(e.kind(), format!("--out: cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// `verify-delivery`: checks a packet's hashes and signature, and its count
/// against the transparency log's checkpoint it carries, and prints what it
/// found (the packet's own text escaped).
pub(super) fn verify_delivery(
    file: &Path,
    public_key: Option<&str>,
    log_public_key: Option<&str>,
) -> anyhow::Result<()> {
    let trusted = match public_key {
        Some(k) => Some(
            crate::keys::parse_public_key(k)
                .ok_or_else(|| anyhow::anyhow!("--public-key: not a base64 Ed25519 public key"))?,
        ),
        None => None,
    };
    let trusted_log = match log_public_key {
        Some(k) => Some(LogKey::parse(k).ok_or_else(|| {
            anyhow::anyhow!("--log-public-key: neither a base64 Ed25519 public key nor a log's verifier key")
        })?),
        None => None,
    };
    let reader = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report =
        crate::export::delivery::verify(std::io::BufReader::new(reader), trusted.as_ref(), trusted_log.as_ref());
    // The packet may come from anyone: its text is printed escaped.
    if let Some(m) = &report.manifest {
        println!("Petition:  {}", printable(&m.petition.title));
        println!("Made:      {}", printable(&m.generated_at));
        println!("Total:     {} confirmed signatures", m.confirmed_total);
    }
    if let Some(key) = &report.key {
        let whose =
            if report.key_trusted { "the key given with --public-key" } else { "the key the packet itself names" };
        println!("Signed by: {} ({whose})", crate::keys::fingerprint(key));
    }
    if let (Some(cp), Some(vkey)) = (&report.checkpoint, &report.log_key) {
        let whose = if report.log_key_trusted {
            "the key given with --log-public-key"
        } else {
            "the key the packet itself names, NOT checked independently"
        };
        println!("Log:       {} at {} leaves, counting {}", printable(&cp.origin), cp.size, cp.totals.total);
        println!("Log key:   {} ({whose})", printable(vkey));
    }
    for (ok, what) in &report.checks {
        println!("{} {what}", if *ok { "ok     " } else { "FAILED " });
    }
    if report.intact() {
        println!(
            "INTACT: every file is as signed by the given key, and the count is that of the log's checkpoint signed by \
             the given log key."
        );
        return Ok(());
    }
    if !report.consistent() {
        anyhow::bail!("the packet is NOT intact");
    }
    let mut unchecked = Vec::new();
    if !report.key_trusted {
        unchecked.push("the delivery key (GET /api/v1/delivery-key on the campaign's site) with --public-key");
    }
    if !report.log_key_trusted {
        unchecked.push("the log key (GET /api/v1/log-key) with --log-public-key");
    }
    println!(
        "UNVERIFIED: the files match the manifest and its signature, and the count matches the log's checkpoint, but \
         a key was taken from the packet itself (self-asserted). Give {} to finish the check.",
        unchecked.join(", and ")
    );
    anyhow::bail!("the packet's keys were not checked independently")
}
