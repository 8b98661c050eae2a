//! PostgreSQL statements sent whole: the simple query protocol, one round trip each, with every
//! parameter written into the text as a quoted literal.
//!
//! Why not bound parameters: sqlx's extended protocol sends Parse and Describe with a Sync,
//! waits for the answer, then Bind and Execute with a second Sync. That is two round trips,
//! and behind a transaction-pooling proxy (RDS Proxy, PgBouncer) the second may reach another
//! server connection than the first, where the unnamed statement is missing or is another
//! client's: so those need `BEGIN`/`COMMIT` around them, four round trips in all. Named
//! statements would save the Parse, but PgBouncer 1.18 cannot follow them in transaction mode
//! and RDS Proxy pins the connection on them. A simple query is one round trip and leaves
//! nothing on the server for a proxy to keep track of (`bench/round_trips.sh` counts them).
//!
//! Why it is safe: the SQL text is always a constant of this crate, with `$1`, `$2`…
//! placeholders as a bound statement would have; they are replaced in one pass over that text
//! (never over a value), and a template holding a quote is refused, so no placeholder can sit
//! inside a string. Text goes through `postgres-protocol`'s `escape_literal`, which is correct
//! whatever `standard_conforming_strings` says; a NUL, which PostgreSQL text cannot hold, is
//! refused instead of being sent. Numbers and booleans are written by Rust, timestamps as
//! RFC 3339 text cast to `timestamptz`, at the microsecond precision PostgreSQL keeps.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::domain::GoalId;
use crate::keys::KeyId;
use crate::rfc3339::Rfc3339;

/// One value of a statement.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
    Time(DateTime<Utc>),
    Null,
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<DateTime<Utc>> for Param<'_> {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(value)
    }
}

impl From<GoalId> for Param<'_> {
    fn from(value: GoalId) -> Self {
        Self::Int(value.get())
    }
}

impl From<KeyId> for Param<'_> {
    fn from(value: KeyId) -> Self {
        Self::Int(value.get())
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// A statement ready to send: `template` with each `$n` replaced by `params[n - 1]`.
pub fn render(template: &str, params: &[Param<'_>]) -> Result<String, sqlx::Error> {
    let invalid = |reason: String| sqlx::Error::Protocol(format!("{reason} in `{template}`"));
    if template.contains('\'') {
        return Err(invalid("a quote in a statement template".into()));
    }
    let mut sql = String::with_capacity(template.len() + 16 * params.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        sql.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(rest.len() - at - 1, |end| end);
        let index: usize = rest[at + 1..at + 1 + digits]
            .parse()
            .map_err(|_| invalid("a `$` without a parameter number".into()))?;
        let param = index
            .checked_sub(1)
            .and_then(|i| params.get(i))
            .ok_or_else(|| invalid(format!("no parameter ${index}")))?;
        write_literal(&mut sql, param)?;
        rest = &rest[at + 1 + digits..];
    }
    sql.push_str(rest);
    Ok(sql)
}

fn write_literal(sql: &mut String, param: &Param<'_>) -> Result<(), sqlx::Error> {
    match param {
        Param::Text(text) if text.contains('\0') => {
            return Err(sqlx::Error::Protocol(
                "a NUL character in a text parameter".into(),
            ))
        }
        Param::Text(text) => sql.push_str(&postgres_protocol::escape::escape_literal(text)),
        Param::Int(n) => write!(sql, "{n}").expect("writing to a String"),
        Param::Bool(b) => sql.push_str(if *b { "TRUE" } else { "FALSE" }),
        Param::Time(at) => {
            sql.push('\'');
            sql.push_str(Rfc3339::micros(at).as_str());
            sql.push_str("'::timestamptz");
        }
        Param::Null => sql.push_str("NULL"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// An instant's literal is what chrono's `%.6f` format wrote, from year 1 to 9999.
        #[test]
        fn instants_are_written_as_chrono_formats_them(
            seconds in -62_135_596_800i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
        ) {
            let at = DateTime::from_timestamp(seconds, nanos).unwrap();
            let expected = format!("SELECT '{}'::timestamptz", at.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
            prop_assert_eq!(render("SELECT $1", &[at.into()]).unwrap(), expected);
        }
    }

    #[test]
    fn placeholders_become_literals_in_order() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let sql = render(
            "SELECT $1, $2, $3, $4, $5, $10",
            &[
                "it's".into(),
                Param::Int(-7),
                true.into(),
                at.into(),
                None::<&str>.into(),
                Param::Int(1),
                Param::Int(2),
                Param::Int(3),
                Param::Int(4),
                Param::Int(10),
            ],
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT 'it''s', -7, TRUE, '2023-11-14T22:13:20.123456Z'::timestamptz, NULL, 10"
        );
    }

    #[test]
    fn backslashes_are_escaped_whatever_the_server_setting() {
        let sql = render("SELECT $1", &[r"a\'; DROP TABLE goals; --".into()]).unwrap();
        assert_eq!(sql, r"SELECT  E'a\\''; DROP TABLE goals; --'");
    }

    #[test]
    fn a_nul_a_missing_parameter_and_a_quoted_template_are_refused() {
        assert!(render("SELECT $1", &["a\0b".into()]).is_err());
        assert!(render("SELECT $2", &["a".into()]).is_err());
        assert!(render("SELECT $0", &["a".into()]).is_err());
        assert!(render("SELECT $", &[]).is_err());
        assert!(render("SELECT '$1'", &["a".into()]).is_err());
    }
}
