//! Personal data at rest: signers' addresses, names and postcodes are
//! sealed under a data key per petition, and each petition's keys are
//! stored only wrapped under a master key kept outside the database
//! (`DATA_KEYS` or the key file). See docs/encryption.md.
//!
//! The `Vault` holds the master keys and the petitions' unwrapped keys (in
//! memory only, never logged); it seals what signing writes and opens what
//! pages, mails and exports read. Queries stay in `db`; they hand back the
//! stored bytes as [`StoredPersonal`].

mod file;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::crypto::random_key;
pub use crate::crypto::{MasterKey, OpenError, PERSONAL_COLUMN, PetitionKeys};
pub use file::{KeyFile, KeyFileError};

use crate::db::{DbConnection, petition_keys, signatures};
use crate::domain::{Personal, StoredPersonal};

/// Why personal data or a petition's keys could not be read. Each names
/// what it is about (a petition, a master key's identifier, a signature's
/// row), never a value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VaultError {
    #[error(
        "petition {petition_id}'s data keys are wrapped under master key {key_id}, which is not configured \
         (DATA_KEYS or the key file's master_keys)"
    )]
    MasterMissing { petition_id: i64, key_id: String },
    #[error("petition {petition_id}'s data keys do not open under master key {key_id}: {problem}")]
    Unwrap { petition_id: i64, key_id: String, problem: OpenError },
    #[error("signature {signature_id}: its personal data {problem}")]
    Open { signature_id: i64, problem: OpenError },
    #[error("signature {signature_id} holds sealed personal data but petition {petition_id} has no data keys")]
    NoKeys { signature_id: i64, petition_id: i64 },
    #[error("signature {signature_id} holds sealed personal data but no master key is configured")]
    NoMaster { signature_id: i64 },
}

impl VaultError {
    /// As a query error, for code that runs inside a database closure: it
    /// fails the operation (and is logged, naming the row) instead of
    /// serving something else.
    pub fn into_query(self) -> diesel::result::Error {
        diesel::result::Error::DeserializationError(Box::new(self))
    }
}

/// What the startup check found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opened {
    /// Petitions whose keys opened.
    pub petitions: usize,
    /// Of those, how many were rewrapped under the current master key.
    pub rewrapped: usize,
}

/// The master keys and the petitions' keys.
pub struct Vault {
    /// The current master key first; the others are accepted during a
    /// rotation. Empty: no master key is configured (a database from before
    /// encryption at rest), and personal data is written in the clear.
    masters: Vec<MasterKey>,
    /// The hash key of addresses for petitions signed before hash keys were
    /// per petition (derived from SECRET_KEY), so their duplicates are
    /// still found.
    legacy_hash: [u8; 32],
    cache: RwLock<HashMap<i64, Arc<PetitionKeys>>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.masters.iter().map(MasterKey::id).collect();
        write!(f, "Vault({ids:?}, <redacted>)")
    }
}

impl Vault {
    pub fn new(masters: Vec<MasterKey>, legacy_hash: [u8; 32]) -> Self {
        Self { masters, legacy_hash, cache: RwLock::new(HashMap::new()) }
    }

    /// Whether new personal data is sealed (a master key is configured).
    pub fn seals(&self) -> bool {
        !self.masters.is_empty()
    }

    /// The master key new petitions' keys are wrapped under.
    pub fn current(&self) -> Option<&MasterKey> {
        self.masters.first()
    }

    fn master(&self, id: &str) -> Option<&MasterKey> {
        self.masters.iter().find(|m| m.id() == id)
    }

    fn cached(&self, petition_id: i64) -> Option<Arc<PetitionKeys>> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).get(&petition_id).cloned()
    }

    fn remember(&self, keys: PetitionKeys) -> Arc<PetitionKeys> {
        let keys = Arc::new(keys);
        self.cache.write().unwrap_or_else(|p| p.into_inner()).insert(keys.petition_id(), Arc::clone(&keys));
        keys
    }

    /// Remembers keys [`keys`](Self::keys) returned, once the transaction
    /// that made them has committed.
    pub fn committed(&self, keys: &Arc<PetitionKeys>) {
        self.cache.write().unwrap_or_else(|p| p.into_inner()).insert(keys.petition_id(), Arc::clone(keys));
    }

    /// Forgets a petition's keys (its erasure).
    pub fn forget(&self, petition_id: i64) {
        self.cache.write().unwrap_or_else(|p| p.into_inner()).remove(&petition_id);
    }

    /// Keys for clear-text mode: only the legacy hash key is real.
    fn legacy(&self, petition_id: i64) -> PetitionKeys {
        PetitionKeys::from_parts(petition_id, &[0; 32], &self.legacy_hash)
    }

    fn unwrap_row(&self, row: &petition_keys::WrappedRow) -> Result<PetitionKeys, VaultError> {
        let master = self.master(&row.master_key_id).ok_or_else(|| VaultError::MasterMissing {
            petition_id: row.petition_id,
            key_id: row.master_key_id.clone(),
        })?;
        master.unwrap(row.petition_id, &row.wrapped).map_err(|problem| VaultError::Unwrap {
            petition_id: row.petition_id,
            key_id: row.master_key_id.clone(),
            problem,
        })
    }

    /// A petition's keys if they are at hand without the database.
    pub fn in_memory(&self, petition_id: i64) -> Option<Arc<PetitionKeys>> {
        match self.cached(petition_id) {
            Some(keys) => Some(keys),
            None if !self.seals() => Some(Arc::new(self.legacy(petition_id))),
            None => None,
        }
    }

    /// A petition's keys if it has any: from memory, or unwrapped from its
    /// row. Reads only.
    pub fn existing_keys(&self, conn: &mut DbConnection, petition_id: i64) -> QueryResult<Option<Arc<PetitionKeys>>> {
        if let Some(keys) = self.in_memory(petition_id) {
            return Ok(Some(keys));
        }
        match petition_keys::get(conn, petition_id)? {
            Some(row) => Ok(Some(self.remember(self.unwrap_row(&row).map_err(VaultError::into_query)?))),
            None => Ok(None),
        }
    }

    /// A petition's keys, made and stored (wrapped) on first use. A petition
    /// that already has signatures (made before hash keys were per petition)
    /// keeps the hash key they were made with. Keys made here are not kept
    /// in memory: the caller's transaction may still roll back, and only
    /// keys read from a committed row are remembered. Call it in a
    /// transaction of its own, before sealing anything with what it returns.
    pub fn keys(&self, conn: &mut DbConnection, petition_id: i64) -> QueryResult<Arc<PetitionKeys>> {
        if let Some(keys) = self.existing_keys(conn, petition_id)? {
            return Ok(keys);
        }
        let Some(master) = self.current() else {
            return Ok(Arc::new(self.legacy(petition_id)));
        };
        let fresh = if signatures::any_for_petition(conn, petition_id)? {
            PetitionKeys::from_parts(petition_id, &random_key(), &self.legacy_hash)
        } else {
            PetitionKeys::generate(petition_id)
        };
        if petition_keys::insert(conn, petition_id, master.id(), &master.wrap(&fresh), crate::now())? {
            return Ok(Arc::new(fresh));
        }
        // Another process stored its keys first: those are the petition's.
        self.existing_keys(conn, petition_id)?.ok_or(diesel::result::Error::NotFound)
    }

    /// A signature's personal data as it is to be stored.
    pub fn seal(&self, keys: &PetitionKeys, email_key: &[u8], personal: Personal) -> StoredPersonal {
        if self.seals() {
            StoredPersonal::Sealed(keys.seal(email_key, &personal))
        } else {
            StoredPersonal::Clear(personal)
        }
    }

    /// Opens a signature's stored personal data with its petition's keys.
    pub fn open_with(
        keys: &PetitionKeys,
        signature_id: i64,
        email_key: &[u8],
        stored: &StoredPersonal,
    ) -> Result<Personal, VaultError> {
        match stored {
            StoredPersonal::Clear(personal) => Ok(personal.clone()),
            StoredPersonal::Sealed(bytes) => {
                keys.open(email_key, bytes).map_err(|problem| VaultError::Open { signature_id, problem })
            }
        }
    }

    /// Opens a signature's stored personal data, finding its petition's keys.
    pub fn open(
        &self,
        conn: &mut DbConnection,
        petition_id: i64,
        signature_id: i64,
        email_key: &[u8],
        stored: &StoredPersonal,
    ) -> QueryResult<Personal> {
        if let StoredPersonal::Clear(personal) = stored {
            return Ok(personal.clone());
        }
        if !self.seals() {
            return Err(VaultError::NoMaster { signature_id }.into_query());
        }
        let keys = self
            .existing_keys(conn, petition_id)?
            .ok_or_else(|| VaultError::NoKeys { signature_id, petition_id }.into_query())?;
        Self::open_with(&keys, signature_id, email_key, stored).map_err(VaultError::into_query)
    }

    /// Unwraps every petition's keys (at start: a key that does not open
    /// stops the server rather than let it serve or lose anything), and,
    /// with `rewrap` (the server, whose configuration is the deployment's),
    /// rewraps under the current master key those wrapped under an older
    /// one. A command line never rewraps: its `DATA_KEYS` may be a value
    /// nobody kept.
    pub fn open_all(&self, conn: &mut DbConnection, rewrap: bool) -> Result<Opened, OpenAllError> {
        let rows = petition_keys::all(conn)?;
        let mut opened = Opened::default();
        for row in &rows {
            let keys = self.unwrap_row(row)?;
            if rewrap
                && let Some(current) = self.current()
                && current.id() != row.master_key_id
                && petition_keys::rewrap(conn, row.petition_id, &row.master_key_id, current.id(), &current.wrap(&keys))?
            {
                opened.rewrapped += 1;
            }
            self.remember(keys);
            opened.petitions += 1;
        }
        Ok(opened)
    }

    /// Unwraps every petition's keys without writing anything; returns how
    /// many are wrapped under each master key.
    pub fn check_all(&self, conn: &mut DbConnection) -> Result<Vec<(String, usize)>, OpenAllError> {
        let mut by_master: Vec<(String, usize)> = Vec::new();
        for row in petition_keys::all(conn)? {
            self.unwrap_row(&row)?;
            match by_master.iter_mut().find(|(id, _)| *id == row.master_key_id) {
                Some((_, n)) => *n += 1,
                None => by_master.push((row.master_key_id, 1)),
            }
        }
        Ok(by_master)
    }

    /// Rewraps every petition's keys under `to` (a rotation: no data is
    /// re-encrypted). Returns how many were rewrapped.
    pub fn rewrap_all(&self, conn: &mut DbConnection, to: &MasterKey) -> Result<usize, OpenAllError> {
        let mut rewrapped = 0;
        for row in petition_keys::all(conn)? {
            if row.master_key_id == to.id() {
                continue;
            }
            let keys = self.unwrap_row(&row)?;
            if petition_keys::rewrap(conn, row.petition_id, &row.master_key_id, to.id(), &to.wrap(&keys))? {
                rewrapped += 1;
            }
        }
        Ok(rewrapped)
    }
}

/// Why the petitions' keys could not all be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenAllError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("reading the petitions' data keys: {0}")]
    Query(#[from] diesel::result::Error),
}

use diesel::result::QueryResult;
