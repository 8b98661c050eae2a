//! API keys: issued at random, shown once, stored only as a SHA-256 hash with their owner.
//!
//! A key is `gt_` and 43 base64url characters: 32 bytes from the operating system's CSPRNG
//! (ring's `SystemRandom`), 256 bits. With that much entropy a plain SHA-256 is enough to
//! store it: nobody can guess a preimage, so the slow, salted KDFs made for low-entropy
//! passwords (bcrypt, Argon2) would only add latency to every request. The hash is also what
//! the key is looked up by, so verifying a key is one indexed query.
//!
//! Issuing, listing and revoking ([`KeyCommand`]) is one piece of logic, used by the local
//! gateway's `keys` subcommand and by the `api-keys` admin function alike.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::domain::{Owner, ValidationError};
use crate::store::{KeyStore, StoreError};

/// What every key starts with, so a leaked one is recognisable (and secret scanners can find it).
pub const KEY_PREFIX: &str = "gt_";
/// Random bytes in a key.
const KEY_BYTES: usize = 32;
/// Base64url characters that encode [`KEY_BYTES`] without padding.
const KEY_CHARS: usize = 43;
/// Characters of the random part kept as the listing prefix: enough to tell keys apart,
/// few enough (36 of 256 bits) to leave the key unguessable.
const SHOWN_CHARS: usize = 6;

/// A freshly issued key. Its `Debug` shows the prefix only; [`ApiKey::expose`] is the one way
/// to the whole key, and it is called only to show the key once to whoever issued it.
pub struct ApiKey(String);

impl ApiKey {
    /// A new random key.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        let mut bytes = [0u8; KEY_BYTES];
        SystemRandom::new().fill(&mut bytes)?;
        Ok(Self(format!(
            "{KEY_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// The whole key, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash the key is stored and looked up by.
    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// The non-secret start of the key shown in listings, e.g. `gt_AbC12x`.
    pub fn prefix(&self) -> &str {
        &self.0[..KEY_PREFIX.len() + SHOWN_CHARS]
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…)", self.prefix())
    }
}

/// The SHA-256 of a key, as stored: 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    fn of(key: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// The hash of what a client presented, or `None` when it cannot be one of our keys
    /// (wrong prefix, length or alphabet), so garbage never reaches the database.
    pub fn of_presented(raw: &str) -> Option<Self> {
        let random = raw.strip_prefix(KEY_PREFIX)?;
        let well_formed = random.len() == KEY_CHARS
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self::of(raw))
    }

    /// Lower-case hex, as the `key_hash` column holds it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(…)")
    }
}

/// A key's id: a positive integer, not secret, used to revoke it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct KeyId(i64);

impl KeyId {
    /// From a number an administrator typed; only positive integers.
    pub fn new(id: i64) -> Option<Self> {
        (id > 0).then_some(Self(id))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What is known of a key once issued: everything but the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct KeyInfo {
    pub id: KeyId,
    pub owner: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An administrative action on keys: the `api-keys` function's payload, e.g.
/// `{"action":"create","owner":"alice"}`, `{"action":"list"}`, `{"action":"revoke","id":3}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyCommand {
    /// Issues a key for `owner`.
    Create { owner: String },
    /// Lists keys, of one owner or of all.
    List {
        #[serde(default)]
        owner: Option<String>,
    },
    /// Revokes a key by id; revoking a revoked key keeps its first revocation time.
    Revoke { id: i64 },
}

/// What a [`KeyCommand`] did. `Created` carries the key: it is shown this once and never again.
#[derive(Debug)]
pub enum KeyOutcome {
    Created { key: ApiKey, info: KeyInfo },
    Listed(Vec<KeyInfo>),
    Revoked(KeyInfo),
}

impl KeyOutcome {
    /// The JSON answer: `{"key": "gt_…", "info": …}`, `{"keys": […]}` or `{"revoked": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Created { key, info } => {
                serde_json::json!({ "key": key.expose(), "info": info })
            }
            Self::Listed(keys) => serde_json::json!({ "keys": keys }),
            Self::Revoked(info) => serde_json::json!({ "revoked": info }),
        }
    }
}

/// Why a [`KeyCommand`] failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyCommandError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no API key has id {0}")]
    NotFound(i64),
    #[error("the system random number generator failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Carries out `command` on `store`.
pub async fn execute(
    store: &dyn KeyStore,
    command: KeyCommand,
) -> Result<KeyOutcome, KeyCommandError> {
    match command {
        KeyCommand::Create { owner } => {
            let owner = Owner::parse(&owner)?;
            let (key, info) = issue(store, &owner).await?;
            Ok(KeyOutcome::Created { key, info })
        }
        KeyCommand::List { owner } => {
            let owner = owner.as_deref().map(Owner::parse).transpose()?;
            Ok(KeyOutcome::Listed(store.list_keys(owner.as_ref()).await?))
        }
        KeyCommand::Revoke { id } => {
            let key_id = KeyId::new(id).ok_or(KeyCommandError::NotFound(id))?;
            let info = store
                .revoke_key(key_id)
                .await?
                .ok_or(KeyCommandError::NotFound(id))?;
            tracing::info!(key_id = %info.id, owner = %info.owner, "API key revoked");
            Ok(KeyOutcome::Revoked(info))
        }
    }
}

/// Issues a key for `owner` and stores its hash. Logs the key's id and owner, never the key.
pub async fn issue(
    store: &dyn KeyStore,
    owner: &Owner,
) -> Result<(ApiKey, KeyInfo), KeyCommandError> {
    let key = ApiKey::generate().map_err(|_| KeyCommandError::Random)?;
    let info = store.insert_key(owner, &key.hash(), key.prefix()).await?;
    tracing::info!(key_id = %info.id, owner = %info.owner, "API key issued");
    Ok((key, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_has_the_prefix_and_43_base64url_characters() {
        let key = ApiKey::generate().unwrap();
        assert!(key.expose().starts_with("gt_"));
        assert_eq!(key.expose().len(), 3 + 43);
        assert!(KeyHash::of_presented(key.expose()).is_some());
        assert_eq!(KeyHash::of_presented(key.expose()), Some(key.hash()));
        assert_ne!(key.expose(), ApiKey::generate().unwrap().expose());
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let key = ApiKey::generate().unwrap();
        let shown = format!("{key:?} {:?}", key.hash());
        assert!(!shown.contains(&key.expose()[9..]), "{shown}");
    }

    #[test]
    fn presented_strings_that_cannot_be_keys_are_refused_without_hashing() {
        let good = ApiKey::generate().unwrap();
        let other_prefix = good.expose().replacen("gt_", "sk_", 1);
        let too_long = format!("{}A", good.expose());
        let short = &good.expose()[..good.expose().len() - 1];
        let bad_char = format!("{}+", short);
        for raw in [
            "",
            "gt_",
            other_prefix.as_str(),
            too_long.as_str(),
            short,
            bad_char.as_str(),
            "Bearer gt_x",
        ] {
            assert_eq!(KeyHash::of_presented(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn the_hash_is_sha256_in_hex() {
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(
            KeyHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn commands_parse_from_the_admin_payload() {
        let parse = |json: &str| serde_json::from_str::<KeyCommand>(json);
        assert_eq!(
            parse(r#"{"action":"create","owner":"alice"}"#).unwrap(),
            KeyCommand::Create {
                owner: "alice".into()
            }
        );
        assert_eq!(
            parse(r#"{"action":"list"}"#).unwrap(),
            KeyCommand::List { owner: None }
        );
        assert_eq!(
            parse(r#"{"action":"revoke","id":3}"#).unwrap(),
            KeyCommand::Revoke { id: 3 }
        );
        assert!(parse(r#"{"action":"drop"}"#).is_err());
        assert!(parse(r#"{"action":"create","owner":"a","admin":true}"#).is_err());
    }
}
