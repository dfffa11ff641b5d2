//! Checkpoints: C2SP `tlog-checkpoint` bodies with the counted totals as
//! extension lines, signed as a C2SP `signed-note` with the deployment's
//! Ed25519 log key under the log's origin.
//!
//! ```text
//! sign.example.org/p/release-the-report      origin
//! 1204                                       tree size (leaves)
//! 4UP6...Y5s=                                root hash, base64
//! total 1187                                 counted: confirmed minus withdrawn
//! country DE 400                             counted, by country (none at 0)
//! country FR 787
//!
//! — sign.example.org/p/release-the-report AbCd...   signature line(s)
//! ```

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, StandardVerifier, Verifier, VerifierList};

use super::Hash;

/// Ed25519's signature type byte in signed notes.
const ED25519: u8 = 0x01;

/// What a log counts at a checkpoint: confirmed leaves minus the ones
/// cancelled, in all and by country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub total: i64,
    pub by_country: BTreeMap<String, i64>,
}

impl Totals {
    /// Totals from counts by country (zeros dropped).
    pub fn from_countries(by_country: BTreeMap<String, i64>) -> Self {
        let by_country: BTreeMap<String, i64> = by_country.into_iter().filter(|(_, n)| *n != 0).collect();
        Self { total: by_country.values().sum(), by_country }
    }

    /// Adds `delta` to `country`.
    pub fn add(&mut self, country: &str, delta: i64) {
        let n = self.by_country.entry(country.to_owned()).or_default();
        *n += delta;
        if *n == 0 {
            self.by_country.remove(country);
        }
        self.total += delta;
    }

    fn extension(&self) -> String {
        let mut out = format!("total {}\n", self.total);
        for (country, n) in &self.by_country {
            out.push_str(&format!("country {country} {n}\n"));
        }
        out
    }

    fn parse_extension(text: &str) -> Result<Self, CheckpointError> {
        let mut lines = text.lines();
        let total = lines
            .next()
            .and_then(|l| l.strip_prefix("total "))
            .and_then(|n| n.parse().ok())
            .ok_or(CheckpointError::Totals)?;
        let mut by_country = BTreeMap::new();
        for line in lines {
            let mut parts = line.split(' ');
            let (Some("country"), Some(code), Some(n), None) = (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(CheckpointError::Totals);
            };
            let n: i64 = n.parse().map_err(|_| CheckpointError::Totals)?;
            if n == 0 || by_country.insert(code.to_owned(), n).is_some() {
                return Err(CheckpointError::Totals);
            }
        }
        let totals = Self { total, by_country };
        if totals.by_country.values().sum::<i64>() != totals.total {
            return Err(CheckpointError::Totals);
        }
        Ok(totals)
    }
}

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint is not a well-formed signed note: {0}")]
    Note(String),
    #[error("the checkpoint's signature does not verify with the log key ({0})")]
    Signature(String),
    #[error("the checkpoint is not a well-formed C2SP checkpoint")]
    Body,
    #[error("the checkpoint's extension lines are not the totals (\"total N\", then \"country CC N\" lines)")]
    Totals,
    #[error("the checkpoint names the log {found:?}, not {expected:?}")]
    Origin { expected: String, found: String },
    #[error("the log key {0:?} is not a signed-note Ed25519 verifier key")]
    Key(String),
    #[error("the origin {0:?} cannot name a key (it must be non-empty, without spaces or '+')")]
    Name(String),
}

impl Checkpoint {
    /// The checkpoint's text, as signed.
    pub fn body(&self) -> Result<Vec<u8>, CheckpointError> {
        tlog_tiles::Checkpoint::new(&self.origin, self.size, tlog_tiles::Hash(self.root), &self.totals.extension())
            .map(|c| c.to_bytes())
            .map_err(|_| CheckpointError::Body)
    }

    /// Reads a checkpoint's text (strictly: exactly what [`Checkpoint::body`] writes).
    pub fn parse_body(text: &[u8]) -> Result<Self, CheckpointError> {
        let c = tlog_tiles::Checkpoint::from_bytes(text).map_err(|_| CheckpointError::Body)?;
        Ok(Self {
            origin: c.origin().to_owned(),
            size: c.size(),
            root: c.hash().0,
            totals: Totals::parse_extension(c.extension())?,
        })
    }

    /// Opens a signed checkpoint: its signature by `vkey` (a signed-note
    /// verifier key, whose name must be the checkpoint's origin) must verify;
    /// other signatures are ignored, as the format requires.
    pub fn open(note: &[u8], vkey: &str) -> Result<Self, CheckpointError> {
        let verifier = StandardVerifier::new(vkey).map_err(|_| CheckpointError::Key(vkey.to_owned()))?;
        let name = verifier.name().to_owned();
        let note = Note::from_bytes(note).map_err(|e| CheckpointError::Note(e.to_string()))?;
        note.verify(&VerifierList::new(vec![Box::new(verifier) as Box<dyn Verifier>]))
            .map_err(|e| CheckpointError::Signature(e.to_string()))?;
        let checkpoint = Self::parse_body(note.text())?;
        if checkpoint.origin != name {
            return Err(CheckpointError::Origin { expected: name, found: checkpoint.origin });
        }
        Ok(checkpoint)
    }

    /// Reads a signed checkpoint without checking its signature: for
    /// showing one, or for learning its origin before opening it.
    pub fn read_unverified(note: &[u8]) -> Result<Self, CheckpointError> {
        let note = Note::from_bytes(note).map_err(|e| CheckpointError::Note(e.to_string()))?;
        Self::parse_body(note.text())
    }
}

/// The deployment's log key: one Ed25519 key signs every petition's log,
/// each under its own key name (the log's origin), so that a signature for
/// one petition cannot pass for another's.
#[derive(Clone)]
pub struct LogSigner {
    key: SigningKey,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner").field("public_key", &self.key.verifying_key()).finish_non_exhaustive()
    }
}

/// The key of one log: the deployment's key under the log's origin.
struct Named<'a> {
    name: &'a str,
    id: u32,
    key: &'a SigningKey,
}

impl signed_note::Signer for Named<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// `0x01` ‖ the 32-byte public key: what a verifier key encodes.
fn key_bytes(key: &VerifyingKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(33);
    out.push(ED25519);
    out.extend_from_slice(key.as_bytes());
    out
}

/// The signed-note verifier key of the log `origin` under `key`:
/// `<origin>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`.
pub fn verifier_key(origin: &str, key: &VerifyingKey) -> String {
    let bytes = key_bytes(key);
    format!("{origin}+{:08x}+{}", signed_note::key_id(origin, &bytes), STANDARD.encode(&bytes))
}

/// A log key as someone gives it to a verifier: the deployment's Ed25519
/// public key (base64 of its 32 bytes, as `GET /api/v1/log-key` serves it),
/// which signs every log of the deployment, each under its origin; or one
/// log's signed-note verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogKey {
    Raw(VerifyingKey),
    Verifier(String),
}

impl LogKey {
    /// Reads either form; None if it is neither. The raw form is tried
    /// first: its base64 may contain `+`, which a verifier key uses as a
    /// separator.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let raw = STANDARD.decode(s).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        if let Some(key) = raw.and_then(|b| VerifyingKey::from_bytes(&b).ok()) {
            return Some(Self::Raw(key));
        }
        StandardVerifier::new(s).ok().map(|_| Self::Verifier(s.to_owned()))
    }

    /// The verifier key to open the checkpoints of the log `origin` with
    /// (a verifier key given as such is used as it is: it names its log).
    pub fn for_origin(&self, origin: &str) -> String {
        match self {
            Self::Raw(key) => verifier_key(origin, key),
            Self::Verifier(vkey) => vkey.clone(),
        }
    }
}

impl LogSigner {
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The verifier key of the log `origin`.
    pub fn verifier_key(&self, origin: &str) -> String {
        verifier_key(origin, &self.public_key())
    }

    /// The signed note of `checkpoint`, signed under its origin.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, CheckpointError> {
        let name = checkpoint.origin.as_str();
        if !signed_note::is_key_name_valid(name) {
            return Err(CheckpointError::Name(name.to_owned()));
        }
        let id = signed_note::key_id(name, &key_bytes(&self.public_key()));
        let mut note = Note::new(&checkpoint.body()?, &[]).map_err(|e| CheckpointError::Note(e.to_string()))?;
        note.add_sigs(&[&Named { name, id, key: &self.key }]).map_err(|e| CheckpointError::Note(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Note(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seven() -> LogSigner {
        LogSigner::new(SigningKey::from_bytes(&[7; 32]))
    }

    fn totals(pairs: &[(&str, i64)]) -> Totals {
        Totals::from_countries(pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect())
    }

    /// The project vector of the transparency-log study (§1.6): seed 0x07×32,
    /// the reference tree of size 8, signed byte for byte as derived there
    /// (without extension lines, which that vector predates).
    #[test]
    fn the_signed_note_matches_the_derived_vector_byte_for_byte() {
        let signer = seven();
        let origin = "undersigned.example.org/p/42";
        assert_eq!(
            hex::encode(signer.public_key().as_bytes()),
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
        );
        assert_eq!(
            signer.verifier_key(origin),
            "undersigned.example.org/p/42+926218c4+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs"
        );
        let root = STANDARD.decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=").unwrap();
        let body = format!("{origin}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
        let mut note = Note::new(body.as_bytes(), &[]).unwrap();
        let id = signed_note::key_id(origin, &key_bytes(&signer.public_key()));
        note.add_sigs(&[&Named { name: origin, id, key: &signer.key }]).unwrap();
        assert_eq!(
            String::from_utf8(note.to_bytes()).unwrap(),
            format!(
                "{body}\n— {origin} kmIYxNGtkzODCTJuGoo2U5pQxJX+eNz/IJDUfV/LwzfasVbYMB8GqjlQqf7hHdbjaKUsDv54JZmi3OrI4BLtTThLtAc=\n"
            )
        );
        assert_eq!(root.len(), 32);
    }

    /// The example of C2SP signed-note.md: its verifier key opens its note.
    #[test]
    fn the_specifications_example_note_verifies() {
        let vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
        let verifier = StandardVerifier::new(vkey).unwrap();
        assert_eq!(verifier.name(), "example.com/foo");
        assert_eq!(verifier.key_id(), 0x530d903a);
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_no_other() {
        let signer = seven();
        let cp = Checkpoint {
            origin: "sign.example.org/p/report".into(),
            size: 3,
            root: [9; 32],
            totals: totals(&[("DE", 1), ("FR", 1)]),
        };
        let note = signer.sign(&cp).unwrap();
        assert!(note.contains("\ntotal 2\ncountry DE 1\ncountry FR 1\n\n— sign.example.org/p/report "), "{note}");
        assert_eq!(Checkpoint::open(note.as_bytes(), &signer.verifier_key(&cp.origin)), Ok(cp.clone()));
        assert_eq!(Checkpoint::read_unverified(note.as_bytes()), Ok(cp.clone()));

        let other = LogSigner::new(SigningKey::from_bytes(&[8; 32]));
        assert!(matches!(
            Checkpoint::open(note.as_bytes(), &other.verifier_key(&cp.origin)),
            Err(CheckpointError::Signature(_))
        ));
        // The same key under another petition's name does not open it.
        assert!(matches!(
            Checkpoint::open(note.as_bytes(), &signer.verifier_key("sign.example.org/p/other")),
            Err(CheckpointError::Signature(_))
        ));
        let tampered = note.replacen("total 2", "total 3", 1);
        assert!(Checkpoint::open(tampered.as_bytes(), &signer.verifier_key(&cp.origin)).is_err());
    }

    #[test]
    fn a_log_key_is_read_in_either_form() {
        let signer = seven();
        let origin = "sign.example.org/p/report";
        let raw = STANDARD.encode(signer.public_key().as_bytes());
        assert_eq!(LogKey::parse(&raw), Some(LogKey::Raw(signer.public_key())));
        assert_eq!(LogKey::parse(&format!(" {raw}\n")).unwrap().for_origin(origin), signer.verifier_key(origin));
        let vkey = signer.verifier_key(origin);
        assert_eq!(LogKey::parse(&vkey), Some(LogKey::Verifier(vkey.clone())));
        assert_eq!(LogKey::parse(&vkey).unwrap().for_origin("another/p/x"), vkey, "a verifier key names its log");
        // A raw key whose base64 has a '+' is still a raw key.
        let plus = (0u8..=255)
            .map(|i| SigningKey::from_bytes(&[i; 32]).verifying_key())
            .find(|k| STANDARD.encode(k.as_bytes()).contains('+'))
            .unwrap();
        assert_eq!(LogKey::parse(&STANDARD.encode(plus.as_bytes())), Some(LogKey::Raw(plus)));
        for junk in ["", "not a key", "a+b+c", "AAAA"] {
            assert_eq!(LogKey::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn totals_must_add_up_and_be_written_as_documented() {
        let body = |ext: &str| format!("o.example/p/x\n1\n{}\n{ext}", STANDARD.encode([0u8; 32]));
        assert!(Checkpoint::parse_body(body("total 1\ncountry DE 1\n").as_bytes()).is_ok());
        assert!(Checkpoint::parse_body(body("total 0\n").as_bytes()).is_ok());
        for bad in ["", "total 2\ncountry DE 1\n", "total 1\ncountry DE 1 x\n", "total 0\ncountry DE 0\n", "count 1\n"]
        {
            assert!(Checkpoint::parse_body(body(bad).as_bytes()).is_err(), "{bad:?}");
        }
        let mut t = totals(&[("DE", 2)]);
        t.add("DE", -1);
        t.add("FR", 1);
        t.add("DE", -1);
        assert_eq!(t, totals(&[("FR", 1)]));
    }
}
