//! The file outbox: each mail written as an `.eml` file to `OUTBOX_DIR`
//! when `SMTP_URL` is unset. For trying the service, not for a campaign: the
//! files hold a name, an address and live links.
//!
//! So they are kept no longer than they can be of use: the directory is
//! created readable by its owner only (0700) and each file written 0600;
//! a file is named after its signature (`s{id}-{random}.eml`), so that a
//! withdrawal deletes its files at once, and housekeeping deletes the files
//! of signatures erased or purged, and every file older than the links in it.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand::RngCore as _;

use crate::configuration::{MailSettings, MailTransport};

/// Only the owner may list the directory or read the files.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
const EXTENSION: &str = "eml";

/// A mail file: its path, the signature it was written for, when.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub path: PathBuf,
    /// None for a file named otherwise (written before files were named
    /// after their signature): it goes by age alone.
    pub signature_id: Option<i64>,
    pub written: SystemTime,
}

/// Where mail files go (see the module's documentation).
#[derive(Debug, Clone)]
pub struct MailFiles {
    dir: PathBuf,
}

/// `s42-0123abcd….eml` → 42. None for files this outbox did not write.
fn signature_of(file_name: &str) -> Option<i64> {
    let stem = file_name.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    let (id, random) = stem.strip_prefix('s')?.split_once('-')?;
    if random.is_empty() || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    id.parse().ok()
}

/// Whether a path is a mail file (any `.eml`, also one an older version wrote).
fn is_mail(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == EXTENSION) && path.is_file()
}

fn file_name(signature_id: i64) -> String {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    format!("s{signature_id}-{}.{EXTENSION}", hex::encode(random))
}

impl MailFiles {
    /// The file outbox of these settings, when SMTP_URL is unset (its
    /// directory created private if missing); None when mail goes by SMTP.
    pub fn configured(settings: &MailSettings) -> anyhow::Result<Option<Self>> {
        match &settings.transport {
            MailTransport::Files(dir) => Self::open(dir)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("OUTBOX_DIR: cannot create {}: {e}", dir.display())),
            MailTransport::Smtp(_) => Ok(None),
        }
    }

    /// Creates the directory (0700) if needed, and makes an existing one
    /// private too, with every mail file already in it.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if is_mail(&path) {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(FILE_MODE))?;
            }
        }
        Ok(Self { dir: dir.to_owned() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one message for a signature, 0600 from the moment it exists;
    /// returns its path.
    pub async fn write(&self, signature_id: i64, message: Vec<u8>) -> std::io::Result<PathBuf> {
        let path = self.dir.join(file_name(signature_id));
        let target = path.clone();
        blocking(move || {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&target)?;
            file.write_all(&message)?;
            file.sync_data()
        })
        .await?;
        Ok(path)
    }

    /// Every mail file there is (files of other names are left alone).
    pub async fn list(&self) -> std::io::Result<Vec<MailFile>> {
        let dir = self.dir.clone();
        blocking(move || {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if !is_mail(&path) {
                    continue;
                }
                let signature_id = path.file_name().and_then(|n| n.to_str()).and_then(signature_of);
                let written = std::fs::metadata(&path)?.modified()?;
                files.push(MailFile { path, signature_id, written });
            }
            Ok(files)
        })
        .await
    }

    /// Deletes the files written for these signatures. A file that cannot
    /// be deleted is logged (by name only) and left for the next sweep.
    pub async fn forget(&self, signature_ids: &[i64]) {
        let ids: std::collections::HashSet<i64> = signature_ids.iter().copied().collect();
        match self.list().await {
            Ok(files) => {
                let theirs = files.into_iter().filter(|f| f.signature_id.is_some_and(|id| ids.contains(&id))).collect();
                self.remove(theirs).await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the mail files"),
        }
    }

    /// Deletes these files; returns how many went.
    pub async fn remove(&self, files: Vec<MailFile>) -> usize {
        blocking(move || {
            let mut removed = 0;
            for file in files {
                match std::fs::remove_file(&file.path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(error = %e, signature_id = ?file.signature_id, "cannot delete a mail file")
                    }
                }
            }
            Ok(removed)
        })
        .await
        .unwrap_or(0)
    }
}

/// Which files a sweep deletes: those older than `keep` (their links have
/// expired) and those whose signature no longer holds personal data
/// (`alive` says which still do). A file of no known signature goes by age.
pub fn due_for_deletion(
    files: Vec<MailFile>,
    now: SystemTime,
    keep: Duration,
    alive: &std::collections::HashSet<i64>,
) -> Vec<MailFile> {
    files
        .into_iter()
        .filter(|f| {
            f.signature_id.is_some_and(|id| !alive.contains(&id))
                || now.duration_since(f.written).is_ok_and(|age| age >= keep)
        })
        .collect()
}

async fn blocking<T: Send + 'static>(job: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(job).await.map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_their_signature_and_nothing_else() {
        let name = file_name(42);
        assert_eq!(signature_of(&name), Some(42));
        assert!(name.starts_with("s42-") && name.ends_with(".eml") && name.len() == "s42-.eml".len() + 32);
        assert_ne!(file_name(42), name, "random part");
        for other in ["42.eml", "s42.eml", "s42-.eml", "sx-ab.eml", "s42-zz.eml", "s42-ab.txt", "notes"] {
            assert_eq!(signature_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_sweep_takes_old_files_and_files_of_erased_signatures() {
        let now = SystemTime::now();
        let file = |signature_id, age: u64| MailFile {
            path: PathBuf::from("mail.eml"),
            signature_id,
            written: now - Duration::from_secs(age),
        };
        let alive = [1, 2].into_iter().collect();
        let files = vec![file(Some(1), 10), file(Some(2), 100), file(Some(3), 10), file(None, 10), file(None, 100)];
        let due: Vec<_> =
            due_for_deletion(files, now, Duration::from_secs(60), &alive).iter().map(|f| f.signature_id).collect();
        assert_eq!(due, [Some(2), Some(3), None], "an older version's file goes by age");
    }

    #[tokio::test]
    async fn files_are_private_and_forgotten_by_signature() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("outbox");
        let files = MailFiles::open(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let first = files.write(7, b"mail".to_vec()).await.unwrap();
        let other = files.write(8, b"mail".to_vec()).await.unwrap();
        assert_eq!(mode(&first), 0o600);
        files.forget(&[7]).await;
        assert!(!first.exists() && other.exists());
        // An existing, readable directory is made private, and the files an
        // older version left in it (named by message id, 0644) too.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let legacy = dir.join("3f2b7c1e-0000-4000-8000-000000000000.eml");
        std::fs::write(&legacy, b"old mail").unwrap();
        std::fs::set_permissions(&legacy, std::fs::Permissions::from_mode(0o644)).unwrap();
        let files = MailFiles::open(&dir).unwrap();
        assert_eq!((mode(&dir), mode(&legacy)), (0o700, 0o600));
        let listed = files.list().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|f| f.path == legacy && f.signature_id.is_none()));
    }
}
