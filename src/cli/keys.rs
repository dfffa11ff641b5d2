//! `keys`: the deployment's key file and master keys. `init` makes a key
//! file for a new deployment; `export` moves the secrets an older version
//! kept in the database into one; `rotate` adds a new master key and
//! rewraps every petition's data keys under it; `retire` drops the old
//! master keys once nothing is wrapped under them; `check` opens everything.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use crate::audit::{Kind, Recorder};
use crate::configuration::{KeyFilePath, KeySettings};
use crate::db::{Db, petition_keys, secrets};
use crate::keys::{FirstStart, STORED_SECRETS, resolve};
use crate::vault::{KeyFile, MasterKey, Vault};

#[derive(Debug, Subcommand)]
pub(super) enum KeysCommand {
    /// Write a new key file (mode 0600) with fresh secrets, for a new deployment.
    Init {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write the secrets this deployment uses (those an older version kept in
    /// the database included, and a new master key if none is configured) to
    /// a new key file, then delete them from the database.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Make a new master key and rewrap every petition's data keys under it
    /// (no data is re-encrypted). With a key file, the file gets the new key
    /// first and keeps the old; with DATA_KEYS, prints the value to set.
    Rotate,
    /// Drop every master key but the current one, once no petition's data
    /// keys are wrapped under them (the key file's list, or DATA_KEYS to set).
    Retire,
    /// Open every petition's data keys and say under which master keys they
    /// are, and how many signatures are still stored in the clear.
    Check,
}

pub(super) async fn keys(cmd: KeysCommand, db: impl AsyncFnOnce() -> anyhow::Result<Db>) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Init { out } => {
            KeyFile::generate().create(&out)?;
            println!("wrote {} (mode 0600): set KEY_FILE={}", out.display(), out.display());
            println!("keep a copy of it apart from the database's backups: without it the signatures cannot be read");
            Ok(())
        }
        KeysCommand::Export { out } => export(&db().await?, &out).await,
        KeysCommand::Rotate => rotate(&db().await?).await,
        KeysCommand::Retire => retire(&db().await?).await,
        KeysCommand::Check => check(&db().await?).await,
    }
}

/// The key file the configuration names (or the embedded default, if it
/// exists), unless DATA_KEYS sets the master keys instead.
fn key_file(settings: &KeySettings) -> Option<&Path> {
    if !settings.data_keys.is_empty() {
        return None;
    }
    match &settings.key_file {
        Some(KeyFilePath::Configured(p)) => Some(p),
        Some(KeyFilePath::Default(p)) if p.exists() => Some(p),
        _ => None,
    }
}

fn data_keys_line(masters: &[MasterKey]) -> String {
    let keys: Vec<String> = masters.iter().map(MasterKey::encode).collect();
    format!("DATA_KEYS={}", keys.join(","))
}

async fn export(db: &Db, out: &Path) -> anyhow::Result<()> {
    let settings = KeySettings::from_env()?;
    let out = out.to_owned();
    db.write(move |c| {
        Ok((|| -> anyhow::Result<()> {
            let resolved = resolve(c, &settings, FirstStart::Refuse)?;
            let masters =
                if resolved.masters.is_empty() { vec![MasterKey::generate()] } else { resolved.masters.clone() };
            let file = KeyFile {
                format: 1,
                master_keys: masters.iter().map(MasterKey::encode).collect(),
                secret_key: KeyFile::encode_secret(&resolved.secret_key),
                delivery_signing_key: KeyFile::encode_secret(resolved.delivery.as_bytes()),
                log_signing_key: KeyFile::encode_secret(resolved.log.as_bytes()),
            };
            file.create(&out)?;
            // Only once the file is safely written.
            let deleted = secrets::delete(c, &STORED_SECRETS)?;
            let detail = format!("to {}; {deleted} secret(s) deleted from the database", out.display());
            Recorder::command_line_with(&resolved.secret_key).append(c, Kind::KeysExported, None, &detail)?;
            println!("wrote {} (mode 0600): set KEY_FILE={}", out.display(), out.display());
            println!("deleted {deleted} secret(s) from the database; the servers seal stored personal data on start");
            println!("keep a copy of the key file apart from the database's backups");
            Ok(())
        })())
    })
    .await?
}

async fn rotate(db: &Db) -> anyhow::Result<()> {
    let settings = KeySettings::from_env()?;
    db.write(move |c| {
        Ok((|| -> anyhow::Result<()> {
            let resolved = resolve(c, &settings, FirstStart::Refuse)?;
            anyhow::ensure!(!resolved.masters.is_empty(), "no master key is configured: run `keys export` first");
            let new = MasterKey::generate();
            let mut masters = vec![new.clone()];
            masters.extend(resolved.masters.iter().cloned());
            let Some(path) = key_file(&settings) else {
                // Nothing is rewrapped until the servers have the new key:
                // they rewrap at start.
                println!("new master key {}: set, then restart every server (each rewraps at start):", new.id());
                println!("{}", data_keys_line(&masters));
                return Ok(());
            };
            // The new key is in the file before anything is wrapped under it.
            let mut file = KeyFile::read(path)?;
            file.master_keys = masters.iter().map(MasterKey::encode).collect();
            file.replace(path)?;
            let vault = Vault::new(masters.clone(), [0; 32]);
            let rewrapped = vault.rewrap_all(c, &new)?;
            let detail = format!("new master key {}; {rewrapped} petition(s) rewrapped", new.id());
            Recorder::command_line_with(&resolved.secret_key).append(c, Kind::KeysRotated, None, &detail)?;
            println!("new master key {} added to {} (the old kept)", new.id(), path.display());
            println!(
                "rewrapped {rewrapped} petition(s)' data keys under it; restart every server, then run `keys retire`"
            );
            Ok(())
        })())
    })
    .await?
}

async fn retire(db: &Db) -> anyhow::Result<()> {
    let settings = KeySettings::from_env()?;
    db.write(move |c| {
        Ok((|| -> anyhow::Result<()> {
            let resolved = resolve(c, &settings, FirstStart::Refuse)?;
            let current = resolved.masters.first().context("no master key is configured")?.clone();
            let elsewhere: Vec<(String, i64)> =
                petition_keys::count_by_master(c)?.into_iter().filter(|(id, _)| *id != current.id()).collect();
            if let Some((id, n)) = elsewhere.first() {
                anyhow::bail!(
                    "{n} petition(s)' data keys are still wrapped under {id}: restart every server with the current \
                     configuration (each rewraps at start), or run `keys rotate` again, then retire"
                );
            }
            let detail = format!("master keys other than {} retired", current.id());
            Recorder::command_line_with(&resolved.secret_key).append(c, Kind::KeysRetired, None, &detail)?;
            match key_file(&settings) {
                Some(path) => {
                    let mut file = KeyFile::read(path)?;
                    file.master_keys = vec![current.encode()];
                    file.replace(path)?;
                    println!("{} now holds only master key {}", path.display(), current.id());
                }
                None => println!(
                    "set {} (master key {} only)",
                    data_keys_line(std::slice::from_ref(&current)),
                    current.id()
                ),
            }
            println!("destroy every other copy of the old master keys when the backups they open have expired");
            Ok(())
        })())
    })
    .await?
}

async fn check(db: &Db) -> anyhow::Result<()> {
    let settings = KeySettings::from_env()?;
    // A write: an older version's database may still generate a secret.
    db.write(move |c| {
        Ok((|| -> anyhow::Result<()> {
            let resolved = resolve(c, &settings, FirstStart::Refuse)?;
            let keys =
                crate::keys::Keys::derive(&resolved.secret_key, resolved.delivery, resolved.log, resolved.masters);
            let by_master = keys.vault().check_all(c)?;
            let total: usize = by_master.iter().map(|(_, n)| n).sum();
            println!("{total} petition(s)' data keys open");
            for (id, n) in by_master {
                println!("  {n} under {id}");
            }
            let clear = crate::db::signatures::count_clear(c)?;
            println!("{clear} signature(s) still hold personal data in the clear");
            if !resolved.from_database.is_empty() {
                println!("the database still holds secrets: run `keys export --out FILE`");
            }
            Ok(())
        })())
    })
    .await?
}
