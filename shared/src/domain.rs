//! Domain types: the rules of a goal, free of HTTP and SQL.
//!
//! Every value a client sends is parsed into one of these types before it reaches the store,
//! so a handler never checks a raw string by hand and the store never sees an invalid value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rfc3339::Rfc3339;

/// Why a value from a client was refused. The message is safe to show to that client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("name must not be empty or only whitespace")]
    EmptyName,
    #[error("name must be at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("name must not contain control characters")]
    NameHasControlCharacters,
    #[error("id must be a positive 64-bit integer")]
    InvalidId,
    #[error("limit must be an integer from 1 to {MAX_PAGE_LIMIT}")]
    InvalidLimit,
    #[error("cursor is not one this API returned")]
    InvalidCursor,
    #[error("give at least one of name and completed")]
    EmptyPatch,
    #[error("owner must be 1 to {MAX_OWNER_CHARS} characters, without control characters")]
    InvalidOwner,
    #[error(
        "Idempotency-Key must be 1 to {} printable ASCII characters",
        crate::idempotency::MAX_KEY_CHARS
    )]
    InvalidIdempotencyKey,
}

/// The longest owner (principal) name, as the tables' checks allow.
pub const MAX_OWNER_CHARS: usize = 255;

/// The longest name a goal may have, counted in characters (not bytes).
pub const MAX_NAME_CHARS: usize = 255;

/// A goal's name: trimmed, 1 to 255 characters, no control characters anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalName(String);

impl GoalName {
    /// Control characters are refused even at the ends, where trimming would hide them:
    /// a client that sends one has a bug worth hearing about.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().any(char::is_control) {
            return Err(ValidationError::NameHasControlCharacters);
        }
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::EmptyName);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ValidationError::NameTooLong);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A goal's id: a positive 64-bit integer, written in decimal digits only.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct GoalId(i64);

impl GoalId {
    /// Signs, spaces and anything but ASCII digits are refused, so `/goals/+1` is not `/goals/1`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match parse_decimal::<i64>(raw) {
            Some(id) if id > 0 => Ok(Self(id)),
            _ => Err(ValidationError::InvalidId),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Parses ASCII decimal digits only: Rust's own parsers also take a leading `+`.
fn parse_decimal<T: std::str::FromStr>(raw: &str) -> Option<T> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// The principal a goal belongs to, as the authorizer (or the local gateway) named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner(String);

impl Owner {
    /// `None` for an empty principal: an empty owner would be a shared bucket, not an owner.
    pub fn new(principal: &str) -> Option<Self> {
        let principal = principal.trim();
        (!principal.is_empty()).then(|| Self(principal.to_owned()))
    }

    /// An owner an administrator names when issuing a key: what [`Owner::new`] takes, and no
    /// longer than the tables allow, without control characters (it is shown in listings).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let owner = Self::new(raw).ok_or(ValidationError::InvalidOwner)?;
        if owner.0.chars().count() > MAX_OWNER_CHARS || owner.0.chars().any(char::is_control) {
            return Err(ValidationError::InvalidOwner);
        }
        Ok(owner)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored goal, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Goal {
    pub id: GoalId,
    pub name: String,
    pub completed: bool,
    #[serde(serialize_with = "rfc3339")]
    #[sqlx(try_from = "crate::store::Timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    #[sqlx(try_from = "crate::store::Timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// An instant as chrono's own `Serialize` writes it (RFC 3339, `Z`, as many fraction digits as
/// it needs), written whole by [`Rfc3339`]: chrono's impl hands serde_json a `Display` that it
/// escapes piece by piece.
fn rfc3339<S: serde::Serializer>(
    instant: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(Rfc3339::new(instant).as_str())
}

/// The body of `POST /goals`. `goal_name` is the field the earlier API used; its clients still work.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGoalRequest {
    #[serde(alias = "goal_name")]
    pub name: String,
}

/// A goal about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGoal {
    pub name: GoalName,
}

impl TryFrom<CreateGoalRequest> for NewGoal {
    type Error = ValidationError;

    fn try_from(body: CreateGoalRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            name: GoalName::parse(&body.name)?,
        })
    }
}

/// The body of `PATCH /goals/{id}`. Unknown fields are refused so a typo such as
/// `"complete": true` is an error instead of a silent no-op.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoalRequest {
    #[serde(default, alias = "goal_name")]
    pub name: Option<String>,
    #[serde(default)]
    pub completed: Option<bool>,
}

/// A change to a goal: at least one field is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalPatch {
    pub name: Option<GoalName>,
    pub completed: Option<bool>,
}

impl TryFrom<UpdateGoalRequest> for GoalPatch {
    type Error = ValidationError;

    fn try_from(body: UpdateGoalRequest) -> Result<Self, Self::Error> {
        if body.name.is_none() && body.completed.is_none() {
            return Err(ValidationError::EmptyPatch);
        }
        Ok(Self {
            name: body.name.as_deref().map(GoalName::parse).transpose()?,
            completed: body.completed,
        })
    }
}

/// The most goals one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// How many goals a page holds when the client does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// The size of a page of goals: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    /// The largest page.
    pub const MAX: Self = Self(MAX_PAGE_LIMIT);

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match parse_decimal::<u32>(raw) {
            Some(limit) if (1..=MAX_PAGE_LIMIT).contains(&limit) => Ok(Self(limit)),
            _ => Err(ValidationError::InvalidLimit),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(DEFAULT_PAGE_LIMIT)
    }
}

/// Where the next page starts: after the goal with this id (keyset pagination, ordered by id).
///
/// On the wire it is opaque, so the encoding can change without breaking clients. It is not
/// signed: a forged cursor can only skip the caller's own goals, since every query is scoped
/// by owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub after: GoalId,
}

const CURSOR_PREFIX: &str = "g1:";

impl Cursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.after.get()))
    }

    /// Only what [`Cursor::encode`] writes: `g1:` and the id in digits without leading zeros.
    pub fn decode(raw: &str) -> Result<Self, ValidationError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| ValidationError::InvalidCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ValidationError::InvalidCursor)?;
        let id = text
            .strip_prefix(CURSOR_PREFIX)
            .filter(|id| !id.starts_with('0'))
            .ok_or(ValidationError::InvalidCursor)?;
        let after = GoalId::parse(id).map_err(|_| ValidationError::InvalidCursor)?;
        Ok(Self { after })
    }
}

/// One page of goals and, when more follow, the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalPage {
    pub goals: Vec<Goal>,
    pub next_cursor: Option<String>,
}

/// An API Gateway WebSocket connection id, as `requestContext.connectionId` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct ConnectionId(String);

impl ConnectionId {
    /// The longest id kept; API Gateway's are 16 characters.
    pub const MAX_LEN: usize = 128;

    /// `None` for an empty or oversized id.
    pub fn new(id: &str) -> Option<Self> {
        (!id.is_empty() && id.len() <= Self::MAX_LEN).then(|| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An open WebSocket connection and the owner whose goal changes it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: ConnectionId,
    pub owner: Owner,
    pub connected_at: DateTime<Utc>,
}

/// A change to a goal, as it is pushed to the owner's connections:
/// `{"type":"goal.created"|"goal.updated"|"goal.deleted","goal":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "goal")]
pub enum GoalEvent {
    #[serde(rename = "goal.created")]
    Created(Goal),
    #[serde(rename = "goal.updated")]
    Updated(Goal),
    /// Carries the goal as it was when deleted.
    #[serde(rename = "goal.deleted")]
    Deleted(Goal),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A goal's timestamps are written exactly as chrono's own `Serialize` writes them,
        /// to the nanosecond, from year 1 to 9999.
        #[test]
        fn timestamps_are_written_as_chrono_writes_them(
            seconds in -62_135_596_800i64..253_402_300_799,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1_000_000).prop_map(|us| us * 1000),
                                 (0u32..1000).prop_map(|ms| ms * 1_000_000)],
        ) {
            let instant = DateTime::from_timestamp(seconds, nanos).unwrap();
            let goal = Goal {
                id: GoalId::parse("1").unwrap(),
                name: "g".into(),
                completed: false,
                created_at: instant,
                updated_at: instant,
            };
            let written = serde_json::to_value(&goal).unwrap();
            let chrono = serde_json::to_value(instant).unwrap();
            prop_assert_eq!(&written["created_at"], &chrono);
            prop_assert_eq!(&written["updated_at"], &chrono);
        }
    }

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            GoalName::parse("  run a marathon ").unwrap().as_str(),
            "run a marathon"
        );
    }

    #[test]
    fn names_that_break_a_rule_are_rejected() {
        let cases = [
            ("", ValidationError::EmptyName, "empty"),
            ("   ", ValidationError::EmptyName, "only spaces"),
            (
                "\u{3000}",
                ValidationError::EmptyName,
                "only ideographic space",
            ),
            ("a\u{0}b", ValidationError::NameHasControlCharacters, "NUL"),
            (
                "line\nbreak",
                ValidationError::NameHasControlCharacters,
                "newline",
            ),
            (
                "trailing\n",
                ValidationError::NameHasControlCharacters,
                "trailing newline",
            ),
            ("tab\t", ValidationError::NameHasControlCharacters, "tab"),
            (
                "del\u{7f}",
                ValidationError::NameHasControlCharacters,
                "DEL",
            ),
            (
                "c1\u{85}",
                ValidationError::NameHasControlCharacters,
                "C1 control",
            ),
        ];
        for (raw, expected, why) in cases {
            assert_eq!(GoalName::parse(raw), Err(expected), "case: {why}");
        }
    }

    #[test]
    fn a_name_longer_than_255_characters_is_rejected() {
        assert_eq!(
            GoalName::parse(&"a".repeat(256)),
            Err(ValidationError::NameTooLong)
        );
        assert!(GoalName::parse(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let multibyte = "é".repeat(255);
        assert_eq!(multibyte.len(), 510);
        assert!(GoalName::parse(&multibyte).is_ok());
        let emoji = "🎯".repeat(255);
        assert!(GoalName::parse(&emoji).is_ok());
        assert_eq!(
            GoalName::parse(&"🎯".repeat(256)),
            Err(ValidationError::NameTooLong)
        );
    }

    #[test]
    fn ids_must_be_positive_decimal_integers() {
        assert_eq!(GoalId::parse("42").unwrap().get(), 42);
        assert_eq!(
            GoalId::parse(&i64::MAX.to_string()).unwrap().get(),
            i64::MAX
        );
        for raw in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "9223372036854775808",
            "1e3",
            "٣",
        ] {
            assert_eq!(
                GoalId::parse(raw),
                Err(ValidationError::InvalidId),
                "id {raw:?}"
            );
        }
    }

    #[test]
    fn limits_outside_1_to_100_are_rejected() {
        assert_eq!(PageLimit::parse("1").unwrap().get(), 1);
        assert_eq!(PageLimit::parse("100").unwrap().get(), 100);
        for raw in ["0", "101", "-1", "+5", "", "ten", "4294967296"] {
            assert_eq!(
                PageLimit::parse(raw),
                Err(ValidationError::InvalidLimit),
                "limit {raw:?}"
            );
        }
    }

    #[test]
    fn a_cursor_survives_a_round_trip() {
        let cursor = Cursor {
            after: GoalId::parse("1234").unwrap(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
    }

    #[test]
    fn garbled_or_forged_cursors_are_rejected() {
        let forged_negative = URL_SAFE_NO_PAD.encode("g1:-5");
        let other_prefix = URL_SAFE_NO_PAD.encode("x1:5");
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe]);
        let leading_zero = URL_SAFE_NO_PAD.encode("g1:07");
        let zero = URL_SAFE_NO_PAD.encode("g1:0");
        for raw in [
            "",
            "!!!",
            "Zz",
            forged_negative.as_str(),
            other_prefix.as_str(),
            not_utf8.as_str(),
            leading_zero.as_str(),
            zero.as_str(),
        ] {
            assert_eq!(
                Cursor::decode(raw),
                Err(ValidationError::InvalidCursor),
                "cursor {raw:?}"
            );
        }
    }

    #[test]
    fn an_empty_patch_is_rejected() {
        let body = UpdateGoalRequest {
            name: None,
            completed: None,
        };
        assert_eq!(GoalPatch::try_from(body), Err(ValidationError::EmptyPatch));
    }

    #[test]
    fn the_old_goal_name_field_is_accepted_on_create() {
        let body: CreateGoalRequest = serde_json::from_str(r#"{"goal_name":"legacy"}"#).unwrap();
        assert_eq!(NewGoal::try_from(body).unwrap().name.as_str(), "legacy");
    }
}
