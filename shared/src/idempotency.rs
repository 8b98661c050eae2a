//! `Idempotency-Key` on `POST /goals`, with the semantics of the IETF draft
//! (draft-ietf-httpapi-idempotency-key-header) and of Powertools' idempotency utility.
//!
//! A client that retries a create sends the same key again. The first request creates the goal
//! and, in the same transaction, a record of its answer under `(owner, key)`; a later request
//! with that key either replays the answer (same fingerprint), is refused as a reuse (another
//! fingerprint), or is told the first one is still running. Records are kept [`RETENTION`];
//! an expired record is replaced when its key comes again.
//!
//! This module holds the rules; the store ([`crate::store::IdempotencyStore`]) applies them in
//! one transaction per engine, and the handler turns the [`IdempotentOutcome`] into a response.

use chrono::{DateTime, TimeDelta, Utc};
use ring::digest::{digest, SHA256};

use crate::domain::{Goal, ValidationError};

/// The request header that carries the key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The response header that marks a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key, in characters (all ASCII, so also in bytes).
pub const MAX_KEY_CHARS: usize = 255;
/// How long a key's record is kept: a retry within this time replays the first answer.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);

/// A client's idempotency key: 1 to 255 printable ASCII characters (space to `~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Refuses empty and overlong keys and any byte outside printable ASCII, so a key reads
    /// back the same from every engine and every log.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let printable = raw.bytes().all(|b| (b' '..=b'~').contains(&b));
        if raw.is_empty() || raw.len() > MAX_KEY_CHARS || !printable {
            return Err(ValidationError::InvalidIdempotencyKey);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests "the same request": SHA-256 of method, path and body, in hex.
/// The body is taken byte for byte: a retry sends what the first attempt sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        // Neither method nor path holds a newline, so the fields cannot run into each other.
        let mut input = Vec::with_capacity(method.len() + path.len() + body.len() + 2);
        input.extend_from_slice(method.as_bytes());
        input.push(b'\n');
        input.extend_from_slice(path.as_bytes());
        input.push(b'\n');
        input.extend_from_slice(body);
        let hash = digest(&SHA256, &input);
        Self(hash.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A create that carries a key: what the store records with the goal.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    /// Until when the record replays; [`IdempotentRequest::new`] sets it [`RETENTION`] ahead.
    pub expires_at: DateTime<Utc>,
}

impl IdempotentRequest {
    pub fn new(key: IdempotencyKey, fingerprint: Fingerprint) -> Self {
        Self {
            key,
            fingerprint,
            expires_at: Utc::now() + RETENTION,
        }
    }
}

/// What a create with a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotentOutcome {
    /// The goal was created, and the key recorded with it.
    Created(Goal),
    /// An earlier request with this key and fingerprint created this goal: answer as it was.
    Replayed(Goal),
    /// The key was used for another request.
    KeyReused,
    /// Another request with this key has not finished yet.
    InProgress,
}

/// A key's record as the store keeps it: the first request's fingerprint and goal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRecord {
    pub fingerprint: String,
    pub expires_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub goal: Goal,
}

impl StoredRecord {
    /// The one place a replay is decided: what `request` gets from this record at `now`, or
    /// `None` when the record has expired and the request may take the key anew.
    pub fn answer(
        &self,
        request: &IdempotentRequest,
        now: DateTime<Utc>,
    ) -> Option<IdempotentOutcome> {
        if self.expires_at <= now {
            None
        } else if self.fingerprint == request.fingerprint.as_str() {
            Some(IdempotentOutcome::Replayed(self.goal.clone()))
        } else {
            Some(IdempotentOutcome::KeyReused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_1_to_255_printable_ascii_characters_are_accepted() {
        for raw in [
            "a",
            " ",
            "~",
            "8e5e0c1b-6a7e-4f3d-9a8e-0f1b2c3d4e5f",
            &"k".repeat(255),
        ] {
            assert_eq!(
                IdempotencyKey::parse(raw).unwrap().as_str(),
                raw,
                "key {raw:?}"
            );
        }
    }

    #[test]
    fn empty_overlong_and_non_printable_keys_are_rejected() {
        let overlong = "k".repeat(256);
        for (raw, why) in [
            ("", "empty"),
            (overlong.as_str(), "256 characters"),
            ("tab\tkey", "tab"),
            ("nul\0", "NUL"),
            ("del\u{7f}", "DEL"),
            ("clé", "non-ASCII"),
            ("line\nbreak", "newline"),
        ] {
            assert_eq!(
                IdempotencyKey::parse(raw),
                Err(ValidationError::InvalidIdempotencyKey),
                "case: {why}"
            );
        }
    }

    #[test]
    fn a_fingerprint_changes_with_method_path_and_body() {
        let base = Fingerprint::of("POST", "/goals", br#"{"name":"a"}"#);
        assert_eq!(base, Fingerprint::of("POST", "/goals", br#"{"name":"a"}"#));
        assert_eq!(base.as_str().len(), 64);
        for (other, why) in [
            (
                Fingerprint::of("PUT", "/goals", br#"{"name":"a"}"#),
                "method",
            ),
            (
                Fingerprint::of("POST", "/goals/1", br#"{"name":"a"}"#),
                "path",
            ),
            (
                Fingerprint::of("POST", "/goals", br#"{"name":"b"}"#),
                "body",
            ),
            (
                Fingerprint::of("POST", "/goals\n{", br#""name":"a"}"#),
                "shifted fields",
            ),
        ] {
            assert_ne!(base, other, "a different {why} must change the fingerprint");
        }
    }
}
