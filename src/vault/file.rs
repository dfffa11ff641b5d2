//! The key file (`KEY_FILE`): every secret of a deployment, kept outside
//! the database. JSON, mode 0600, refused if anyone but its owner can
//! read it.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::crypto::{MasterKey, random_key};

/// The format this version writes and reads.
const FORMAT: u32 = 1;

/// A key file's contents. Values are base64 of raw bytes.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub format: u32,
    /// The master keys, the current one first; the others are accepted
    /// while a rotation is under way.
    pub master_keys: Vec<String>,
    /// The secret the deployment's other keys are derived from (cookies,
    /// login throttling, confirmation links, form stamps).
    pub secret_key: String,
    pub delivery_signing_key: String,
    pub log_signing_key: String,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyFile(<redacted>)")
    }
}

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("key file {path} can be read by others (mode {mode:o}): run `chmod 600 {path}`")]
    Readable { path: PathBuf, mode: u32 },
    #[error("key file {path} is not a key file: {problem}")]
    Invalid { path: PathBuf, problem: String },
    #[error("key file {path} exists already: it is never overwritten")]
    Exists { path: PathBuf },
}

fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

impl KeyFile {
    /// A new deployment's secrets, all random.
    pub fn generate() -> Self {
        Self {
            format: FORMAT,
            master_keys: vec![MasterKey::generate().encode()],
            secret_key: encode(random_key().as_ref()),
            delivery_signing_key: encode(random_key().as_ref()),
            log_signing_key: encode(random_key().as_ref()),
        }
    }

    /// The master keys, parsed, the current one first.
    pub fn masters(&self) -> Result<Vec<MasterKey>, String> {
        self.master_keys.iter().map(|k| MasterKey::parse(k)).collect()
    }

    /// The secret key's bytes.
    pub fn secret_key(&self) -> Result<Vec<u8>, String> {
        let bytes = STANDARD.decode(self.secret_key.trim()).map_err(|_| "secret_key is not base64".to_owned())?;
        if bytes.len() < 32 { Err("secret_key must be at least 32 bytes".into()) } else { Ok(bytes) }
    }

    /// A signing key's seed (`delivery_signing_key`, `log_signing_key`).
    pub fn signing_key(value: &str, name: &str) -> Result<ed25519_dalek::SigningKey, String> {
        crate::crypto::parse_signing_key(value).ok_or_else(|| format!("{name} must be the base64 of 32 bytes"))
    }

    pub fn encode_secret(bytes: &[u8]) -> String {
        encode(bytes)
    }

    /// Reads a key file, refusing one that others can read.
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyFileError::Readable { path: path.to_owned(), mode });
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text = std::fs::read(path).map_err(io)?;
        // serde_json's messages may quote a value (a key): only where, and what kind.
        let file: Self = serde_json::from_slice(&text).map_err(|e| KeyFileError::Invalid {
            path: path.to_owned(),
            problem: format!(
                "{} at line {}, column {}",
                match e.classify() {
                    serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type",
                    _ => "not JSON",
                },
                e.line(),
                e.column()
            ),
        })?;
        let invalid = |problem: String| KeyFileError::Invalid { path: path.to_owned(), problem };
        if file.format != FORMAT {
            return Err(invalid(format!("format {} (this version reads {FORMAT})", file.format)));
        }
        if file.master_keys.is_empty() {
            return Err(invalid("master_keys is empty".into()));
        }
        file.masters().map_err(invalid)?;
        file.secret_key().map_err(invalid)?;
        Self::signing_key(&file.delivery_signing_key, "delivery_signing_key").map_err(invalid)?;
        Self::signing_key(&file.log_signing_key, "log_signing_key").map_err(invalid)?;
        Ok(file)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_else(|_| unreachable!("strings always serialise"));
        text.push(b'\n');
        text
    }

    /// Writes a new key file, mode 0600, and syncs it; never overwrites one.
    pub fn create(&self, path: &Path) -> Result<(), KeyFileError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeyFileError::Exists { path: path.to_owned() },
            _ => KeyFileError::Io { path: path.to_owned(), source },
        })?;
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        file.write_all(&self.bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        sync_dir(path);
        Ok(())
    }

    /// Replaces an existing key file atomically (a new file beside it,
    /// synced, then renamed over it), keeping mode 0600.
    pub fn replace(&self, path: &Path) -> Result<(), KeyFileError> {
        let mut temp = path.as_os_str().to_owned();
        temp.push(".new");
        let temp = PathBuf::from(temp);
        let _ = std::fs::remove_file(&temp);
        self.create(&temp)?;
        std::fs::rename(&temp, path).map_err(|source| KeyFileError::Io { path: path.to_owned(), source })?;
        sync_dir(path);
        Ok(())
    }
}

/// Syncs the directory holding `path`: a new name is durable only then.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let file = KeyFile::generate();
        file.create(&path).unwrap();
        let read = KeyFile::read(&path).unwrap();
        assert_eq!(read.master_keys, file.master_keys);
        assert_eq!(read.secret_key().unwrap().len(), 32);
        assert!(matches!(file.create(&path), Err(KeyFileError::Exists { .. })), "never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            let refused = KeyFile::read(&path).unwrap_err();
            assert!(matches!(refused, KeyFileError::Readable { mode: 0o640, .. }), "{refused}");
            assert!(refused.to_string().contains("chmod 600"));
        }
    }

    #[test]
    fn a_replaced_key_file_keeps_its_mode_and_takes_the_new_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let mut file = KeyFile::generate();
        file.create(&path).unwrap();
        file.master_keys.insert(0, MasterKey::generate().encode());
        file.replace(&path).unwrap();
        assert_eq!(KeyFile::read(&path).unwrap().master_keys.len(), 2);
    }

    #[test]
    fn malformed_key_files_are_refused_naming_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            path
        };
        let good = KeyFile::generate();
        let mut no_masters = good.clone();
        no_masters.master_keys.clear();
        let mut short = good.clone();
        short.master_keys = vec!["c2hvcnQ=".into()];
        for (name, text, says) in [
            ("junk", "not json".to_owned(), "not JSON"),
            ("empty", serde_json::to_string(&no_masters).unwrap(), "master_keys is empty"),
            ("short", serde_json::to_string(&short).unwrap(), "32 bytes"),
        ] {
            let error = KeyFile::read(&write(name, &text)).unwrap_err().to_string();
            assert!(error.contains(says), "{name}: {error}");
        }
        assert!(matches!(KeyFile::read(&dir.path().join("missing")), Err(KeyFileError::Io { .. })));
    }
}
