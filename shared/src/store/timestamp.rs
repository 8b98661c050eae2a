//! Reading `timestamptz` columns fast. The PostgreSQL store uses the simple query protocol, so
//! every timestamp arrives as text, and sqlx reads that text with a chrono format string
//! (`parse_from_str`): on a 20-goal page those 40 parses were a quarter of the gateway's
//! instructions (`callgrind`, see docs/decisions.md), and chrono's RFC 3339 parser, which took
//! over, still about 880 instructions each. PostgreSQL writes a `timestamptz` at `DateStyle=ISO`
//! and `TimeZone=UTC` (what sqlx sets on every connection) in one layout,
//! `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, which [`iso_utc`] reads digit by digit. Any other text,
//! and binary values, go to sqlx's own decoding.

use chrono::{DateTime, NaiveDate, Utc};
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

/// `2026-12-02 18:25:40.123456+00` (PostgreSQL's ISO output in UTC, 0 to 9 fraction digits)
/// as an instant; `None` for any other text, which the caller hands to the general parser.
fn iso_utc(text: &[u8]) -> Option<DateTime<Utc>> {
    let text = text.strip_suffix(b"+00")?;
    let (date_time, fraction) = text.split_at_checked(19)?;
    if date_time[4] != b'-'
        || date_time[7] != b'-'
        || date_time[10] != b' '
        || date_time[13] != b':'
        || date_time[16] != b':'
    {
        return None;
    }
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            digits_value(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let field = |at: usize, len: usize| digits_value(&date_time[at..at + len]);
    NaiveDate::from_ymd_opt(field(0, 4)? as i32, field(5, 2)?, field(8, 2)?)?
        .and_hms_nano_opt(field(11, 2)?, field(14, 2)?, field(17, 2)?, nanos)
        .map(|instant| instant.and_utc())
}

/// The value of ASCII decimal digits (at most 9 of them); `None` if any byte is not one.
fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
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
            // Bytes, not `as_str`: the layout is ASCII, and any other byte fails the parse.
            if let Some(instant) = iso_utc(value.as_bytes()?) {
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
            assert_eq!(iso_utc(text.as_bytes()), Some(sqlx_reading(text)), "{text}");
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
            "2026-12-02 18:25:40.1234567890+00",
            "2026-12-02 18:25:40.+00",
            "2026-12-02 18:25:4x+00",
            "2026-12-02 18:25:60+00",
            "2026-02-30 18:25:40+00",
            "2026-12-02T18:25:40+00",
            "",
            "+00",
        ] {
            assert_eq!(iso_utc(text.as_bytes()), None, "{text}");
        }
    }

    proptest! {
        /// Any instant PostgreSQL can hold from year 1 to 9999, as PostgreSQL prints it.
        #[test]
        fn agrees_with_sqlx_on_every_instant(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
            let instant = DateTime::from_timestamp_micros(micros).unwrap();
            let text = instant.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            prop_assert_eq!(iso_utc(text.as_bytes()), Some(instant));
            prop_assert_eq!(sqlx_reading(&text), instant);
        }
    }
}
