//! The `undersigned` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::auth::password;
use crate::configuration::{ConfigError, DatabaseSettings, Settings, VARIABLES};
use crate::db::{self, Db};
use crate::domain::{
    Addressee, ApiToken, EmailAddress, Goal, NewPetition, Password, PetitionBody, PetitionTitle, Slug,
};
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
    /// Manage organiser accounts (the dashboard's users).
    #[command(subcommand)]
    Organiser(OrganiserCommand),
    /// Manage API tokens, for scripts that download exports.
    #[command(subcommand)]
    Token(TokenCommand),
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
    /// Check a delivery packet: every file's hash and the manifest's signature.
    VerifyDelivery {
        /// The packet (ZIP) to check.
        file: PathBuf,
        /// The public key to expect (base64, as GET /api/v1/delivery-key serves
        /// it). Without it, the key named in the packet is used and shown.
        #[arg(long, value_name = "BASE64")]
        public_key: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Subcommand)]
enum OrganiserCommand {
    /// Add an organiser; the password (12 to 128 characters) is read from standard input.
    Add {
        email: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List organisers.
    List,
    /// Remove an organiser, with their sessions and API tokens.
    Remove { email: String },
    /// Set a new password (read from standard input), end the organiser's sessions and revoke their API tokens.
    Passwd {
        email: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for an organiser; it is printed once, and stored only as a hash.
    Create {
        #[arg(long, value_name = "EMAIL")]
        organiser: String,
        /// What the token is for, e.g. "nightly backup".
        #[arg(long)]
        name: String,
        /// Stop accepting the token this long from now, e.g. 90d or 12h
        /// (without it, the token works until revoked).
        #[arg(long, value_name = "DURATION", value_parser = parse_token_lifetime)]
        expires: Option<chrono::TimeDelta>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id (see `token list`).
    Revoke { id: i64 },
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
        /// Language of the title and text: ar, zh, en (default), fr, ru or es.
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
    /// List petitions with their counts.
    List,
    /// Stop taking signatures on a petition.
    Close {
        /// The petition's slug.
        slug: String,
    },
    /// Take signatures again on a closed petition.
    Open {
        /// The petition's slug.
        slug: String,
        /// New last day signatures are taken (UTC), YYYY-MM-DD; needed if the old one has passed.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
    },
    /// Change a petition; a changed title, text or addressee is recorded as a new revision.
    Edit {
        /// The petition's slug.
        slug: String,
        #[arg(long)]
        title: Option<String>,
        /// File with the new text.
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        #[arg(long)]
        addressee: Option<String>,
        #[arg(long)]
        goal: Option<i64>,
        /// Last day signatures are taken (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
        /// Language of the title and text: ar, zh, en, fr, ru or es.
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
}

/// How the command line appears in the export log and revision history.
const COMMAND_LINE: &str = "command line";

fn parse_language(tag: &str) -> anyhow::Result<crate::domain::Language> {
    crate::domain::Language::parse(tag)
        .ok_or_else(|| anyhow::anyhow!("--lang: {tag:?} is not one of ar, zh, en, fr, ru, es"))
}

/// The longest `--expires`; without the flag a token does not expire.
const TOKEN_LIFETIME_MAX: std::time::Duration = std::time::Duration::from_secs(3650 * 86_400);

/// `--expires`: a humantime duration (`90d`, `12h`), more than zero and at
/// most ten years.
fn parse_token_lifetime(s: &str) -> Result<chrono::TimeDelta, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (expected a duration like 12h, 30d, 90d)"))?;
    if d.is_zero() || d > TOKEN_LIFETIME_MAX {
        return Err("must be more than zero and at most 3650d (leave --expires out for no expiry)".into());
    }
    chrono::TimeDelta::from_std(d).map_err(|_| format!("{s:?} is too long"))
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
        Command::Healthcheck { address } => healthcheck(address),
        Command::Purge => {
            let settings = Settings::from_env()?;
            let (db, _) = open_database(&settings.database).await?;
            let files = settings.mail.files()?;
            let report =
                crate::jobs::housekeeping::purge(&db, files.as_ref(), settings.retention, settings.confirmation_ttl)
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
        Command::Petition(cmd) => petition(cmd, open_db().await?).await,
        Command::Outbox(cmd) => outbox(cmd, open_db().await?).await,
        Command::Organiser(cmd) => organiser(cmd, open_db().await?).await,
        Command::Token(cmd) => token(cmd, open_db().await?).await,
        Command::Export { slug, format, contacts, totals, delivery, out } => {
            let what = match (slug, totals, delivery) {
                (Some(slug), _, _) => ExportKind::Signatures { slug, format, contacts },
                (_, Some(slug), _) => ExportKind::Totals { slug },
                (_, _, Some(slug)) => ExportKind::Delivery { slug },
                _ => anyhow::bail!("say what to export: SLUG, --totals SLUG or --delivery SLUG"),
            };
            export(what, out, open_db().await?).await
        }
        Command::VerifyDelivery { file, public_key } => verify_delivery(&file, public_key.as_deref()),
    }
}

fn read_password() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    Ok(Password::parse(password)?)
}

fn organiser_email(email: &str) -> anyhow::Result<String> {
    Ok(EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{email:?}: {e}"))?.as_str().to_lowercase())
}

async fn organiser(cmd: OrganiserCommand, db: Db) -> anyhow::Result<()> {
    let now = crate::now();
    match cmd {
        OrganiserCommand::Add { email, .. } => {
            let email = organiser_email(&email)?;
            let hash = password::hash_blocking(&read_password()?)?;
            let e = email.clone();
            match db.write(move |c| db::organisers::insert(c, &e, &hash, now)).await {
                Ok(_) => println!("added organiser {email}"),
                Err(db::DbError::Query(err)) if db::is_unique_violation(&err) => {
                    anyhow::bail!("an organiser {email} already exists (use `organiser passwd` to change the password)")
                }
                Err(e) => return Err(e.into()),
            }
        }
        OrganiserCommand::List => {
            let rows = db.read(db::organisers::list).await?;
            println!("{:<40} {:<20} PASSWORD CHANGED", "EMAIL", "ADDED");
            for o in rows {
                println!(
                    "{:<40} {:<20} {}",
                    o.email,
                    o.created_at.format("%Y-%m-%d %H:%M"),
                    o.password_changed_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        OrganiserCommand::Remove { email } => {
            let email = organiser_email(&email)?;
            let e = email.clone();
            if !db.write(move |c| db::organisers::remove(c, &e)).await? {
                anyhow::bail!("no organiser {email}");
            }
            println!("removed organiser {email}, their sessions and API tokens");
        }
        OrganiserCommand::Passwd { email, .. } => {
            let email = organiser_email(&email)?;
            let hash = password::hash_blocking(&read_password()?)?;
            let e = email.clone();
            if !db.write(move |c| db::organisers::set_password(c, &e, &hash, now)).await? {
                anyhow::bail!("no organiser {email}");
            }
            println!("password changed for {email}; their sessions have ended and their API tokens are revoked");
        }
    }
    Ok(())
}

async fn token(cmd: TokenCommand, db: Db) -> anyhow::Result<()> {
    let now = crate::now();
    match cmd {
        TokenCommand::Create { organiser, name, expires } => {
            let email = organiser_email(&organiser)?;
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let token = ApiToken::generate();
            let (hash, prefix) = (token.hash(), token.display_prefix());
            let expires_at = expires.map(|d| now + d);
            let e = email.clone();
            let id = db
                .write(move |c| {
                    let Some(o) = db::organisers::find_by_email(c, &e)? else { return Ok(None) };
                    db::organisers::insert_token(c, o.id, &name, &hash.0, &prefix, now, expires_at).map(Some)
                })
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organiser {email}"))?;
            match expires_at {
                Some(t) => eprintln!(
                    "token {id} created for {email}, valid until {} UTC; it is shown only this once:",
                    t.format("%Y-%m-%d %H:%M")
                ),
                None => eprintln!("token {id} created for {email}; it is shown only this once:"),
            }
            println!("{}", token.reveal());
        }
        TokenCommand::List => {
            let rows = db.read(db::organisers::list_tokens).await?;
            println!(
                "{:>4} {:<30} {:<20} {:<10} {:<17} {:<17} {:<17} STATE",
                "ID", "ORGANISER", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES"
            );
            for t in rows {
                let day = |t: Option<chrono::NaiveDateTime>| {
                    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "-".into())
                };
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(_), _) => "revoked",
                    (None, Some(e)) if e <= now => "expired",
                    _ => "active",
                };
                println!(
                    "{:>4} {:<30} {:<20} {:<10} {:<17} {:<17} {:<17} {}",
                    t.id,
                    t.organiser_email,
                    t.name,
                    t.prefix,
                    day(Some(t.created_at)),
                    day(t.last_used_at),
                    t.expires_at.map_or_else(|| "never".into(), |e| day(Some(e))),
                    state
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !db.write(move |c| db::organisers::revoke_token(c, id, now)).await? {
                anyhow::bail!("no active token {id}");
            }
            println!("revoked token {id}");
        }
    }
    Ok(())
}

enum ExportKind {
    Signatures { slug: String, format: ExportFormat, contacts: bool },
    Totals { slug: String },
    Delivery { slug: String },
}

/// Runs an export like the HTTP ones, logged as done from the command line.
async fn export(what: ExportKind, out: Option<PathBuf>, db: Db) -> anyhow::Result<()> {
    use crate::export::{Columns, Format};
    let slug = match &what {
        ExportKind::Signatures { slug, .. } | ExportKind::Totals { slug } | ExportKind::Delivery { slug } => {
            slug.clone()
        }
    };
    let s = slug.clone();
    let petition = db
        .read(move |c| db::petitions::find_by_slug(c, &s))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no petition {slug:?}"))?;
    let id = petition.id;
    if let (Some(erased), ExportKind::Signatures { .. } | ExportKind::Delivery { .. }) = (petition.erased_at, &what) {
        anyhow::bail!(
            "the signers' personal data of {slug:?} was erased on {erased} UTC (ERASE_AFTER_CLOSE); only --totals remain"
        );
    }
    let label = match &what {
        ExportKind::Signatures { format, contacts, .. } => {
            format!("signatures{}.{}", if *contacts { "+contacts" } else { "" }, format!("{format:?}").to_lowercase())
        }
        ExportKind::Totals { .. } => "totals.csv".into(),
        ExportKind::Delivery { .. } => "delivery.zip".into(),
    };
    let now = crate::now();
    let logged = label.clone();
    let log_id = db.write(move |c| db::exports::start(c, id, None, COMMAND_LINE, &logged, now)).await?;
    let signing_key = match what {
        ExportKind::Delivery { .. } => {
            let configured = Settings::from_env()?.delivery_key.map(|k| k.0);
            Some(crate::keys::delivery_key(&db, configured).await?)
        }
        _ => None,
    };
    let job_db = db.clone();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<(u64, Option<String>)> {
        let mut sink: Box<dyn std::io::Write> = match &out {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("--out: cannot create {}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        let done = job_db.snapshot_blocking(|c| {
            Ok(match what {
                ExportKind::Signatures { format, contacts, .. } => {
                    let format = match format {
                        ExportFormat::Csv => Format::Csv,
                        ExportFormat::Json => Format::Json,
                        ExportFormat::Ndjson => Format::Ndjson,
                    };
                    let columns = if contacts { Columns::WithContacts } else { Columns::Standard };
                    let mut written = crate::export::Written::default();
                    crate::export::write_signatures(c, id, format, columns, &mut sink, &mut written)
                        .map(|()| (written.rows, None))
                }
                ExportKind::Totals { .. } => crate::export::totals(c, id)
                    .and_then(|t| crate::export::write_totals(&t, &mut sink))
                    .map(|n| (n, None)),
                ExportKind::Delivery { .. } => match &signing_key {
                    Some(key) => {
                        let mut written = crate::export::Written::default();
                        crate::export::delivery::write_packet(c, id, key, now, &mut sink, &mut written)
                            .map(|sha| (written.rows, Some(sha)))
                    }
                    None => return Err(diesel::result::Error::RollbackTransaction),
                },
            })
        })??;
        sink.flush()?;
        Ok(done)
    })
    .await?;
    let finished = crate::now();
    let (ending, rows, sha) = match &result {
        Ok((rows, sha)) => (db::exports::Ending::Complete, *rows, sha.clone()),
        Err(_) => (db::exports::Ending::Failed, 0, None),
    };
    db.write(move |c| db::exports::finish(c, log_id, ending, rows, sha.as_deref(), finished)).await?;
    let (rows, _) = result?;
    eprintln!("exported {label} of {slug}: {rows} rows");
    Ok(())
}

fn verify_delivery(file: &std::path::Path, public_key: Option<&str>) -> anyhow::Result<()> {
    let trusted = match public_key {
        Some(k) => Some(
            crate::keys::parse_public_key(k)
                .ok_or_else(|| anyhow::anyhow!("--public-key: not a base64 Ed25519 public key"))?,
        ),
        None => None,
    };
    let reader = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report = crate::export::delivery::verify(std::io::BufReader::new(reader), trusted.as_ref());
    // The packet may come from anyone: its text is printed escaped.
    if let Some(m) = &report.manifest {
        println!("Petition:  {}", crate::text::printable(&m.petition.title));
        println!("Made:      {}", crate::text::printable(&m.generated_at));
        println!("Total:     {} confirmed signatures", m.confirmed_total);
    }
    if let Some(key) = &report.key {
        let whose =
            if report.key_trusted { "the key given with --public-key" } else { "the key the packet itself names" };
        println!("Signed by: {} ({whose})", crate::keys::fingerprint(key));
    }
    for (ok, what) in &report.checks {
        println!("{} {what}", if *ok { "ok     " } else { "FAILED " });
    }
    if report.intact() {
        println!("INTACT: every file is as signed by the given key.");
        Ok(())
    } else if report.consistent() {
        println!(
            "UNVERIFIED: the files match the manifest and its signature, but the key was taken from the packet itself. \
             Give the campaign's published key (GET /api/v1/delivery-key on its site) with --public-key to finish the check."
        );
        anyhow::bail!("the packet's key was not checked")
    } else {
        anyhow::bail!("the packet is NOT intact")
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
        PetitionCommand::Create { slug, title, body_file, addressee, goal, closes_at, lang } => {
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
                lang: lang.as_deref().map(parse_language).transpose()?.unwrap_or_default(),
            };
            let now = crate::now();
            let slug = new.slug.as_str().to_owned();
            let result = db.write(move |c| db::petitions::insert(c, &new, now, COMMAND_LINE)).await;
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
        PetitionCommand::Open { slug, closes_at } => {
            let now = crate::now();
            let today = now.date();
            let closes_at =
                closes_at.map(|d| NewPetition::closes_at_end_of(d, today)).transpose().context("--closes-at")?;
            let s = slug.clone();
            let reopened = db
                .write(move |c| {
                    let Some(p) = db::petitions::find_by_slug(c, &s)? else {
                        return Ok(Err("no petition by that slug"));
                    };
                    if p.erased_at.is_some() {
                        return Ok(Err("its signers' personal data has been erased; it cannot take signatures again"));
                    }
                    let closes_at = closes_at.or(p.closes_at);
                    if closes_at.is_some_and(|t| t <= now) {
                        return Ok(Err("its closing date has passed; give a new one with --closes-at"));
                    }
                    Ok(if db::petitions::reopen(c, &s, closes_at, now)? { Ok(()) } else { Err("it is already open") })
                })
                .await?;
            match reopened {
                Ok(()) => {
                    println!("reopened petition {slug}");
                    Ok(())
                }
                Err(why) => anyhow::bail!("cannot reopen {slug:?}: {why}"),
            }
        }
        PetitionCommand::Edit { slug, title, body_file, addressee, goal, closes_at, lang } => {
            let s = slug.clone();
            let current = db
                .read(move |c| db::petitions::find_by_slug(c, &s))
                .await?
                .ok_or_else(|| anyhow::anyhow!("no petition {slug:?}"))?;
            let body = match body_file {
                Some(f) => {
                    std::fs::read_to_string(&f).with_context(|| format!("--body-file: cannot read {}", f.display()))?
                }
                None => current.body.clone(),
            };
            let today = crate::now().date();
            let edit = db::petitions::PetitionEdit {
                title: PetitionTitle::parse(title.as_deref().unwrap_or(&current.title)).context("--title")?,
                body: PetitionBody::parse(&body).context("--body-file")?,
                addressee: match addressee.as_deref().or(current.addressee.as_deref()) {
                    Some(a) if !a.trim().is_empty() => Some(Addressee::parse(a).context("--addressee")?),
                    _ => None,
                },
                goal: goal.or(current.goal).map(Goal::new).transpose().context("--goal")?,
                closes_at: match closes_at {
                    Some(d) => Some(NewPetition::closes_at_end_of(d, today).context("--closes-at")?),
                    None => current.closes_at,
                },
                lang: match lang {
                    Some(l) => parse_language(&l)?,
                    None => crate::domain::Language::from_db(&current.lang),
                },
            };
            let now = crate::now();
            let s = slug.clone();
            let changed = db.write(move |c| db::petitions::edit(c, &s, &edit, now, COMMAND_LINE)).await?;
            match changed {
                Some(true) => println!("edited petition {slug}; the text change is recorded"),
                Some(false) => println!("edited petition {slug}; the text is unchanged"),
                None => anyhow::bail!("no petition {slug:?}"),
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

/// Asks GET /healthz over plain HTTP/1.1, without any HTTP client library
/// (container images carry no curl), and fails unless the answer is 200.
fn healthcheck(address: Option<String>) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let address = match address {
        Some(a) => a,
        None => {
            let mut bind: SocketAddr = std::env::var("BIND")
                .ok()
                .and_then(|b| b.trim().parse().ok())
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
            if bind.ip().is_unspecified() {
                bind.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            bind.to_string()
        }
    };
    let target: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .with_context(|| format!("{address}: not an address"))?
        .next()
        .with_context(|| format!("{address}: not an address"))?;
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(2))
        .with_context(|| format!("cannot connect to {target}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).context("no answer")?;
    if head.starts_with(b"HTTP/1.1 200") {
        println!("ok");
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", String::from_utf8_lossy(&head))
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

    #[test]
    fn token_lifetimes_are_humantime_durations_within_ten_years() {
        assert_eq!(super::parse_token_lifetime("90d"), Ok(chrono::TimeDelta::days(90)));
        assert_eq!(super::parse_token_lifetime("12h"), Ok(chrono::TimeDelta::hours(12)));
        assert_eq!(super::parse_token_lifetime("3650d"), Ok(chrono::TimeDelta::days(3650)));
        for bad in ["0s", "3651d", "soon", "", "-1d"] {
            assert!(super::parse_token_lifetime(bad).is_err(), "{bad}");
        }
    }
}
