//! Periodic clean-up: expired sessions (every ten minutes), idle rate-limit
//! entries, and, once a day, the retention rules (see `db::retention`).
//! An erased petition's keys are destroyed with it (and forgotten here).

use std::time::Duration;

use crate::auth::session::ABSOLUTE_TIMEOUT;
use crate::configuration::RetentionSettings;
use crate::db::{self, Db, DbError, retention};
use crate::email::MailFiles;
use crate::email::files::due_for_deletion;
use crate::signing::Guards;
use crate::vault::Vault;

/// How often the clean-up runs.
pub const EVERY: Duration = Duration::from_secs(600);
/// How often the retention rules are applied.
pub const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Deletes sessions past their idle or absolute limit; returns how many.
pub async fn run_once(db: &Db) -> Result<usize, DbError> {
    let now = crate::now();
    db.write(move |c| db::sessions::delete_expired(c, now, now - ABSOLUTE_TIMEOUT)).await
}

/// What [`purge`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Unconfirmed signatures deleted because their links had expired.
    pub expired_pending: usize,
    /// Petitions whose personal data was erased: (slug, signatures handled).
    pub erased: Vec<(String, usize)>,
    /// Mail files deleted (file outbox only; see [`sweep_mail_files`]).
    pub mail_files_deleted: usize,
}

/// Deletes the mail files (file outbox) that must not stay: those of
/// signatures that no longer hold personal data (withdrawn, erased, purged,
/// discarded) and every file older than the links in it.
pub async fn sweep_mail_files(db: &Db, files: &MailFiles, confirmation_ttl: Duration) -> Result<usize, DbError> {
    let listed = match files.list().await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the mail files");
            return Ok(0);
        }
    };
    if listed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = listed.iter().filter_map(|f| f.signature_id).collect();
    let alive = db.read(move |c| db::signatures::holding_personal_data(c, &ids)).await?;
    let due = due_for_deletion(listed, std::time::SystemTime::now(), confirmation_ttl, &alive.into_iter().collect());
    let removed = files.remove(due).await;
    if removed > 0 {
        tracing::info!(files = removed, "mail files deleted");
    }
    Ok(removed)
}

/// Applies the retention rules now, and then deletes the mail files that
/// must not outlive them.
pub async fn purge(
    db: &Db,
    vault: Option<&Vault>,
    files: Option<&MailFiles>,
    retention: RetentionSettings,
    confirmation_ttl: Duration,
) -> Result<PurgeReport, DbError> {
    let now = crate::now();
    let keep =
        chrono::TimeDelta::from_std(confirmation_ttl + retention.pending_grace).unwrap_or(chrono::TimeDelta::MAX);
    let before = now.checked_sub_signed(keep).unwrap_or(chrono::NaiveDateTime::MIN);
    let mut report = PurgeReport::default();
    loop {
        let n = db.write(move |c| retention::delete_expired_pending(c, before)).await?;
        report.expired_pending += n;
        if n < usize::try_from(retention::CHUNK).unwrap_or(usize::MAX) {
            break;
        }
    }
    if let Some(after) = retention.erase_after_close {
        let after = chrono::TimeDelta::from_std(after).unwrap_or(chrono::TimeDelta::MAX);
        let closed_before = now.checked_sub_signed(after).unwrap_or(chrono::NaiveDateTime::MIN);
        for (id, slug) in db.read(move |c| retention::due_for_erasure(c, closed_before)).await? {
            let (mut cursor, mut handled) = (0, 0);
            while let Some((n, last)) = db.write(move |c| retention::erase_chunk(c, id, cursor)).await? {
                handled += n;
                cursor = last;
            }
            db.write(move |c| retention::mark_erased(c, id, now)).await?;
            if let Some(vault) = vault {
                vault.forget(id);
            }
            tracing::info!(petition = %slug, signatures = handled, "personal data of a closed petition erased");
            report.erased.push((slug, handled));
        }
    }
    if report.expired_pending > 0 {
        tracing::info!(signatures = report.expired_pending, "unconfirmed signatures with expired links deleted");
    }
    if let Some(files) = files {
        report.mail_files_deleted = sweep_mail_files(db, files, confirmation_ttl).await?;
    }
    Ok(report)
}

/// Applies the retention rules if no other instance is applying them and
/// none has within [`RETENTION_EVERY`]: the lease is held for a day after a
/// successful run (for an hour while running). Returns None if skipped.
pub async fn purge_once_across_instances(
    db: &Db,
    vault: Option<&Vault>,
    files: Option<&MailFiles>,
    holder: &str,
    retention: RetentionSettings,
    confirmation_ttl: Duration,
) -> Result<Option<PurgeReport>, DbError> {
    let (now, me) = (crate::now(), holder.to_owned());
    let running = now + chrono::TimeDelta::hours(1);
    let taken = db.write(move |c| db::locks::take_lease(c, RETENTION_LEASE, &me, now, running)).await?;
    if !taken {
        return Ok(None);
    }
    let result = purge(db, vault, files, retention, confirmation_ttl).await;
    let (me, now) = (holder.to_owned(), crate::now());
    let next = match result {
        // Done: nobody needs to run it again for a day.
        Ok(_) => now + chrono::TimeDelta::from_std(RETENTION_EVERY).unwrap_or(chrono::TimeDelta::days(1)),
        // Failed: let any instance try again at its next tick.
        Err(_) => now,
    };
    let other = format!("{me} (done)");
    db.write(move |c| {
        db::locks::release_lease(c, RETENTION_LEASE, &me, now)?;
        db::locks::take_lease(c, RETENTION_LEASE, &other, now, next).map(|_| ())
    })
    .await?;
    result.map(Some)
}

/// The lease row (see migration 000005) that retention runs under.
pub const RETENTION_LEASE: &str = "retention";

pub async fn run(
    db: Db,
    vault: std::sync::Arc<Vault>,
    files: Option<MailFiles>,
    guards: std::sync::Arc<Guards>,
    retention: RetentionSettings,
    confirmation_ttl: Duration,
) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Tells this process's lease from another's.
    let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
    loop {
        tick.tick().await;
        match run_once(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
        guards.limits.forget_idle();
        match purge_once_across_instances(&db, Some(&vault), files.as_ref(), &holder, retention, confirmation_ttl).await
        {
            Ok(Some(_)) => tracing::info!("retention rules applied"),
            // Another instance applied them; the files here are this one's.
            Ok(None) => {
                if let Some(files) = &files
                    && let Err(e) = sweep_mail_files(&db, files, confirmation_ttl).await
                {
                    tracing::warn!(error = %e, "deleting mail files failed; will retry");
                }
            }
            Err(e) => tracing::warn!(error = %e, "applying the retention rules failed; will retry"),
        }
    }
}
