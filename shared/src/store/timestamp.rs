//! Reading `timestamptz` columns fast. The PostgreSQL store uses the simple query protocol, so
//! every timestamp arrives as text, and sqlx reads that text with a chrono format string
//! (`parse_from_str`): on a 20-goal page those 40 parses were a quarter of the gateway's
//! instructions (`callgrind`, see docs/decisions.md). PostgreSQL writes a `timestamptz` at
//! `DateStyle=ISO` and `TimeZone=UTC` (what sqlx sets on every connection) as RFC 3339 with a
//! space for the `T` and `+00` for the offset, which chrono's dedicated RFC 3339 parser reads
//! once the offset is spelled `Z`. Any other text, and binary values, go to sqlx's own decoding.

use chrono::{DateTime, Utc};
use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Postgres, Sqlite, Type};

/// A `timestamptz` (PostgreSQL) or timestamp text (SQLite) column, read as a UTC instant.
/// Row types name it with `#[sqlx(try_from = "Timestamp")]` on a `DateTime<Utc>` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(DateTime<Utc>);

impl From<Timestamp> for DateTime<Utc> {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

/// The longest text [`iso_utc`] reads: `YYYY-MM-DD HH:MM:SS.ffffff+00` is 29 bytes.
const MAX_ISO_LEN: usize = 32;

/// `2026-12-02 18:25:40.123456+00` (PostgreSQL's ISO output in UTC) as an instant; `None` for
/// any other text, which the caller hands to the general parser.
fn iso_utc(text: &str) -> Option<DateTime<Utc>> {
    let local = text.strip_suffix("+00")?;
    let mut rfc3339 = [0u8; MAX_ISO_LEN];
    let written = rfc3339.get_mut(..=local.len())?;
    let (digits, zone) = written.split_at_mut(local.len());
    digits.copy_from_slice(local.as_bytes());
    zone[0] = b'Z';
    let rfc3339 = std::str::from_utf8(written).ok()?;
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.format() == PgValueFormat::Text {
            if let Some(instant) = iso_utc(value.as_str()?) {
                return Ok(Self(instant));
            }
        }
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Self)
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <DateTime<Utc> as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <DateTime<Utc> as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Sqlite>>::decode(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    /// What sqlx itself makes of PostgreSQL's text (its format string, read as UTC).
    fn sqlx_reading(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
            .unwrap()
            .and_utc()
    }

    #[test]
    fn reads_postgres_iso_output_with_and_without_fractions() {
        for text in [
            "2026-12-02 18:25:40.123456+00",
            "2026-12-02 18:25:40.1+00",
            "2026-12-02 18:25:40+00",
            "1999-02-28 00:00:00.000001+00",
        ] {
            assert_eq!(iso_utc(text), Some(sqlx_reading(text)), "{text}");
        }
    }

    #[test]
    fn leaves_other_text_to_the_general_parser() {
        for text in [
            "2026-12-02 18:25:40.123456+01",
            "2026-12-02 18:25:40+05:30",
            "2026-12-02 18:25:40 BC+00",
            "12/02/2026 18:25:40+00",
            "2026-12-02 18:25:40.1234567890123456789+00",
            "",
            "+00",
        ] {
            assert_eq!(iso_utc(text), None, "{text}");
        }
    }

    proptest! {
        /// Any instant PostgreSQL can hold from year 1 to 9999, as PostgreSQL prints it.
        #[test]
        fn agrees_with_sqlx_on_every_instant(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
            let instant = DateTime::from_timestamp_micros(micros).unwrap();
            let text = instant.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            prop_assert_eq!(iso_utc(&text), Some(instant));
            prop_assert_eq!(sqlx_reading(&text), instant);
        }
    }
}
