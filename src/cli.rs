//! The `undersigned` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::configuration::{ConfigError, DatabaseSettings, Settings, VARIABLES};
use crate::db::{self, Db};
use crate::domain::{Addressee, Goal, NewPetition, PetitionBody, PetitionTitle, Slug};
use crate::startup::{Application, open_database};

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
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// Mails waiting, failed, the oldest waiting, and the last error.
    Status,
    /// Queue every failed mail again (after fixing SMTP settings, say).
    Retry,
}

#[derive(Debug, Subcommand)]
enum PetitionCommand {
    /// Open a new petition.
    Create {
        /// Short name used in its address: /p/SLUG (a-z, 0-9, hyphens).
        #[arg(long)]
        slug: String,
        /// Headline, one line.
        #[arg(long)]
        title: String,
        /// File with the petition text; blank lines separate paragraphs.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
        /// Whom the petition is addressed to.
        #[arg(long)]
        addressee: Option<String>,
        /// Number of signatures aimed for.
        #[arg(long)]
        goal: Option<i64>,
        /// Last day signatures are taken (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
    },
    /// List petitions with their counts.
    List,
    /// Stop taking signatures on a petition.
    Close {
        /// The petition's slug.
        slug: String,
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
    let system = actix_web::rt::System::new();
    match system.block_on(run(cli.command.unwrap_or(Command::Serve { example: false }))) {
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
        Command::Petition(cmd) => petition(cmd, open_db().await?).await,
        Command::Outbox(cmd) => outbox(cmd, open_db().await?).await,
    }
}

async fn outbox(cmd: OutboxCommand, db: Db) -> anyhow::Result<()> {
    match cmd {
        OutboxCommand::Status => {
            let s = db.read(db::outbox::status).await?;
            println!("waiting: {}", s.waiting);
            println!("failed:  {}", s.failed);
            if let Some(t) = s.oldest_waiting {
                println!("oldest waiting since: {t} UTC");
            }
            if let Some(e) = s.last_error {
                println!("last error: {e}");
            }
        }
        OutboxCommand::Retry => {
            let now = crate::now();
            let n = db.write(move |c| db::outbox::requeue_failed(c, now)).await?;
            println!("{n} failed mail(s) queued again");
        }
    }
    Ok(())
}

async fn petition(cmd: PetitionCommand, db: Db) -> anyhow::Result<()> {
    match cmd {
        PetitionCommand::Create { slug, title, body_file, addressee, goal, closes_at } => {
            let body = std::fs::read_to_string(&body_file)
                .with_context(|| format!("--body-file: cannot read {}", body_file.display()))?;
            let today = crate::now().date();
            let new = NewPetition {
                slug: Slug::parse(&slug).context("--slug")?,
                title: PetitionTitle::parse(&title).context("--title")?,
                body: PetitionBody::parse(&body).context("--body-file")?,
                addressee: addressee.as_deref().map(Addressee::parse).transpose().context("--addressee")?,
                goal: goal.map(Goal::new).transpose().context("--goal")?,
                closes_at: closes_at
                    .map(|d| NewPetition::closes_at_end_of(d, today))
                    .transpose()
                    .context("--closes-at")?,
            };
            let now = crate::now();
            let slug = new.slug.as_str().to_owned();
            let result = db.write(move |c| db::petitions::insert(c, &new, now)).await;
            match result {
                Ok(_) => {
                    println!("created petition {slug}: /p/{slug}");
                    Ok(())
                }
                Err(db::DbError::Query(e)) if db::is_unique_violation(&e) => {
                    anyhow::bail!("--slug: a petition called {slug:?} already exists")
                }
                Err(e) => Err(e.into()),
            }
        }
        PetitionCommand::List => {
            let (rows, counts) = db.snapshot(|c| Ok((db::petitions::list(c)?, db::counts::all(c)?))).await?;
            let now = crate::now();
            println!("{:<40} {:<7} {:>12} {:>12}  TITLE", "SLUG", "STATE", "CONFIRMED", "GOAL");
            for row in rows {
                let confirmed: i64 = counts.get(&row.id).map(|c| c.values().sum()).unwrap_or(0);
                let open = row.state == "open" && row.closes_at.is_none_or(|t| t > now);
                println!(
                    "{:<40} {:<7} {:>12} {:>12}  {}",
                    row.slug,
                    if open { "open" } else { "closed" },
                    confirmed,
                    row.goal.map(|g| g.to_string()).unwrap_or_else(|| "-".into()),
                    row.title
                );
            }
            Ok(())
        }
        PetitionCommand::Close { slug } => {
            let now = crate::now();
            let s = slug.clone();
            if db.write(move |c| db::petitions::close(c, &s, now)).await? {
                println!("closed petition {slug}");
                Ok(())
            } else {
                anyhow::bail!("no open petition called {slug:?}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
