//! The `undersigned` command line: the clap definitions and the dispatch
//! here, one module per command group. Organisers' operations are the
//! dashboard's own (`organise`); these modules read arguments and print.

mod audit;
mod exports;
mod health;
mod keys;
mod organisers;
mod outbox;
mod petitions;
mod tokens;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::configuration::{ConfigError, DatabaseSettings, Settings, VARIABLES};
use crate::db::Db;
use crate::startup::{Application, open_database};
use exports::{ExportFormat, ExportKind};
use organisers::OrganiserCommand;
use outbox::OutboxCommand;
use petitions::PetitionCommand;
use tokens::TokenCommand;

#[derive(Debug, Parser)]
#[command(
    name = "undersigned",
    version,
    about = "Petition and signature-collection server: sign, confirm by email, count once.",
    after_help = after_help()
)]
pub struct Cli {
    /// Read KEY=value settings from FILE (environment variables take precedence).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server and its background workers (the default).
    Serve {
        /// Add the example campaign's two petitions if they are missing.
        #[arg(long)]
        example: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create, list and close petitions.
    #[command(subcommand)]
    Petition(PetitionCommand),
    /// Inspect the mail outbox, or put failed mail back in the queue.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Manage organiser accounts (the dashboard's users).
    #[command(subcommand)]
    Organiser(OrganiserCommand),
    /// The key file and master keys: init, export, rotate, retire, check.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage API tokens, for scripts that download exports.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The organisers' audit trail: check that no record was changed, removed or moved.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Export a petition's signatures, its totals, or its delivery packet.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["slug", "totals", "delivery"])))]
    Export {
        /// Export the confirmed signatures of this petition.
        slug: Option<String>,
        /// Format of the signatures export.
        #[arg(long, value_enum, default_value = "csv", requires = "slug")]
        format: ExportFormat,
        /// Add email and keep_informed (email only for people who asked to be kept informed).
        #[arg(long, requires = "slug")]
        contacts: bool,
        /// Export the confirmed signatures by country, with the total, as CSV.
        #[arg(long, value_name = "SLUG")]
        totals: Option<String>,
        /// Write the signed delivery packet (a ZIP); needs --out.
        #[arg(long, value_name = "SLUG", requires = "out")]
        delivery: Option<String>,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Apply the retention rules now (the server does daily): delete unconfirmed
    /// signatures whose links expired PENDING_GRACE ago, and erase names, emails
    /// and postcodes of petitions closed longer than ERASE_AFTER_CLOSE.
    Purge,
    /// Exit 0 if the server at BIND answers GET /healthz (for container health checks).
    Healthcheck {
        /// Address and port to ask (default: BIND, with 0.0.0.0 read as 127.0.0.1).
        #[arg(long, value_name = "HOST:PORT")]
        address: Option<String>,
    },
    /// Check a delivery packet: every file's hash, the manifest's signature,
    /// and its count against the transparency log's checkpoint it carries
    /// (the checkpoint's signature, the root and recount of the leaves, the
    /// signatures' rows in all and by country).
    VerifyDelivery {
        /// The packet (ZIP) to check.
        file: PathBuf,
        /// The public key to expect (base64, as GET /api/v1/delivery-key serves
        /// it). Without it, the key named in the packet is used and shown.
        #[arg(long, value_name = "BASE64")]
        public_key: Option<String>,
        /// The log key to expect: base64 of the 32-byte Ed25519 key (as GET
        /// /api/v1/log-key serves it) or the log's verifier key. Without it, the
        /// verifier key named in the packet is used and shown.
        #[arg(long, value_name = "KEY")]
        log_public_key: Option<String>,
    },
    /// Check a petition's transparency log: the checkpoint's signature, every
    /// entry and hash tile, the root, and the recount of the leaves against
    /// the totals the checkpoint states.
    VerifyLog {
        /// The log's prefix (https://HOST/log/SLUG), or a directory holding a copy of it.
        url: String,
        /// The log key: base64 of the 32-byte Ed25519 key (as GET /api/v1/log-key
        /// serves it) or the log's verifier key. Without it, the key is taken from
        /// the same deployment, which is not an independent check: the command
        /// then says UNVERIFIED and fails.
        #[arg(long, value_name = "KEY")]
        public_key: Option<String>,
        /// A checkpoint saved earlier (--save): check that the log only grew from it.
        #[arg(long, value_name = "CHECKPOINT_FILE")]
        since: Option<PathBuf>,
        /// Once verified, write the checkpoint to this file (for a later --since).
        #[arg(long, value_name = "CHECKPOINT_FILE")]
        save: Option<PathBuf>,
    },
    /// Check that a signer's receipt is in a petition's transparency log, and
    /// whether a withdrawal cancels it. The server is not told which receipt.
    VerifyReceipt {
        /// The log's prefix (https://HOST/log/SLUG), or a directory holding a copy of it.
        url: String,
        /// The receipt, or - to read it from standard input (out of the shell's history).
        /// A receipt is base64url, so it may begin with a hyphen: that is a value, not an option.
        #[arg(allow_hyphen_values = true)]
        receipt: String,
        /// The log key, as for verify-log.
        #[arg(long, value_name = "KEY")]
        public_key: Option<String>,
    },
}

fn after_help() -> String {
    let mut s = String::from("Configuration (environment variables):\n");
    for (name, what) in VARIABLES {
        s.push_str(&format!("  {name:<20} {what}\n"));
    }
    s
}

/// Parses the command line, runs the command, and maps failures to exit codes:
/// 2 for bad configuration or usage, 1 for anything else.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.config
        && let Err(e) = dotenvy::from_path(path)
    {
        eprintln!("error: --config {}: {e}", path.display());
        return ExitCode::from(2);
    }
    crate::telemetry::init();
    // The log and packet checks block (HTTP, threads of their own): outside the runtime.
    let result = match cli.command.unwrap_or(Command::Serve { example: false }) {
        Command::VerifyLog { url, public_key, since, save } => {
            verify::verify_log(&url, public_key.as_deref(), since.as_deref(), save.as_deref())
        }
        Command::VerifyReceipt { url, receipt, public_key } => {
            verify::verify_receipt(&url, &receipt, public_key.as_deref())
        }
        Command::VerifyDelivery { file, public_key, log_public_key } => {
            exports::verify_delivery(&file, public_key.as_deref(), log_public_key.as_deref())
        }
        command => actix_web::rt::System::new().block_on(run(command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(c) = e.downcast_ref::<ConfigError>() {
                eprintln!("error: {c}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// What the command line records its actions in the audit trail with: the
/// deployment's keys (the trail's key is derived from SECRET_KEY, which the
/// database does not hold), so a command that changes anything needs them.
async fn recorder(db: &Db) -> anyhow::Result<crate::audit::Recorder> {
    let settings = crate::configuration::KeySettings::from_env()?;
    let keys = crate::keys::load(db, &settings, crate::keys::FirstStart::Refuse)
        .await
        .context("the audit trail records this command, with a key derived from the deployment's keys")?;
    Ok(crate::audit::Recorder::command_line(&keys))
}

async fn open_db() -> anyhow::Result<Db> {
    Ok(open_database(&DatabaseSettings::from_env()?).await?.0)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { example } => {
            let settings = Settings::from_env()?;
            let (db, _) = open_database(&settings.database).await?;
            if example {
                let added = crate::example::seed(&db).await?;
                tracing::info!(added, "example petitions ready");
            }
            Application::build_with_db(settings, db).await?.run_until_stopped().await
        }
        Command::Migrate => {
            let (_, applied) = open_database(&DatabaseSettings::from_env()?).await?;
            println!("{} migration(s) applied", applied.len());
            for name in applied {
                println!("  {name}");
            }
            Ok(())
        }
        Command::Healthcheck { address } => health::healthcheck(address),
        Command::Purge => {
            let settings = Settings::from_env()?;
            let (db, _) = open_database(&settings.database).await?;
            let files = crate::email::MailFiles::configured(&settings.mail)?;
            let report = crate::jobs::housekeeping::purge(
                &db,
                None,
                files.as_ref(),
                settings.retention,
                settings.confirmation_ttl,
            )
            .await?;
            println!("{} unconfirmed signature(s) with expired links deleted", report.expired_pending);
            if files.is_some() {
                println!("{} mail file(s) deleted", report.mail_files_deleted);
            }
            match settings.retention.erase_after_close {
                None => println!("personal data of closed petitions is kept (ERASE_AFTER_CLOSE=never)"),
                Some(after) if report.erased.is_empty() => println!(
                    "no petition closed more than {} ago still holds personal data",
                    humantime::format_duration(after)
                ),
                Some(_) => {
                    for (slug, n) in &report.erased {
                        println!("{slug}: personal data erased ({n} signature(s); counts by country kept)");
                    }
                }
            }
            Ok(())
        }
        Command::Petition(cmd) => petitions::petition(cmd, open_db().await?).await,
        Command::Outbox(cmd) => outbox::outbox(cmd, open_db().await?).await,
        Command::Organiser(cmd) => organisers::organiser(cmd, open_db().await?).await,
        Command::Keys(cmd) => keys::keys(cmd, open_db).await,
        Command::Token(cmd) => tokens::token(cmd, open_db().await?).await,
        Command::Audit(cmd) => audit::audit(cmd, open_db().await?).await,
        Command::Export { slug, format, contacts, totals, delivery, out } => {
            let what = match (slug, totals, delivery) {
                (Some(slug), _, _) => ExportKind::Signatures { slug, format, contacts },
                (_, Some(slug), _) => ExportKind::Totals { slug },
                (_, _, Some(slug)) => ExportKind::Delivery { slug },
                _ => anyhow::bail!("say what to export: SLUG, --totals SLUG or --delivery SLUG"),
            };
            exports::export(what, out, open_db().await?).await
        }
        // `main` runs the checks outside the runtime (they block).
        Command::VerifyDelivery { .. } | Command::VerifyLog { .. } | Command::VerifyReceipt { .. } => {
            anyhow::bail!("the checks run outside the runtime")
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// One receipt in 64 begins with `-` (base64url); it is still the receipt.
    #[test]
    fn a_receipt_beginning_with_a_hyphen_is_a_receipt() {
        for receipt in ["-sAbC", "--x", "-"] {
            let cli =
                Cli::try_parse_from(["undersigned", "verify-receipt", "https://h/log/p", receipt, "--public-key", "k"])
                    .unwrap_or_else(|e| panic!("{receipt}: {e}"));
            let Some(Command::VerifyReceipt { receipt: parsed, public_key, .. }) = cli.command else {
                panic!("not verify-receipt");
            };
            assert_eq!(parsed, receipt);
            assert_eq!(public_key.as_deref(), Some("k"));
        }
    }
}
