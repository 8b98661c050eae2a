//! Instants written as RFC 3339 text, the way the API shows them (and the PostgreSQL store
//! writes them into its statements), without chrono's formatter.
//!
//! A page of 20 goals holds 40 instants, and chrono's `to_rfc3339_opts` (a general formatter
//! going through `fmt::Write` piece by piece) spent about 930 instructions on each: a tenth of
//! the local gateway's instructions per `GET /goals` (`callgrind`, see docs/decisions.md). The
//! layout is fixed, so [`Rfc3339`] fills a stack buffer digit by digit; its tests (and the domain's
//! property test of a goal's JSON) hold it equal to chrono's output.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// The longest text [`Rfc3339`] writes itself: `YYYY-MM-DDTHH:MM:SS.fffffffffZ`.
const MAX_LEN: usize = 30;

/// An instant as RFC 3339 text in UTC (`Z`). Years 0 to 9999 outside leap seconds are written
/// digit by digit; the rest (a sign and more digits, or `:60`) by chrono, which spells them its
/// own way.
pub struct Rfc3339(Text);

enum Text {
    Digits { bytes: [u8; MAX_LEN], len: usize },
    Chrono(String),
}

impl Rfc3339 {
    /// As `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes it: 0, 3, 6 or 9 fraction
    /// digits, as many as the instant needs.
    pub fn new(instant: &DateTime<Utc>) -> Self {
        let auto = |nanos| match nanos {
            0 => (0, 0),
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        Self(
            digits(instant, auto).unwrap_or_else(|| {
                Text::Chrono(instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }),
        )
    }

    /// With exactly 6 fraction digits, truncated, as chrono's `%.6f` writes them (PostgreSQL
    /// keeps microseconds).
    pub fn micros(instant: &DateTime<Utc>) -> Self {
        Self(
            digits(instant, |nanos| (nanos / 1_000, 6)).unwrap_or_else(|| {
                Text::Chrono(instant.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            }),
        )
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Text::Digits { bytes, len } => {
                std::str::from_utf8(&bytes[..*len]).expect("ASCII digits and separators")
            }
            Text::Chrono(text) => text,
        }
    }
}

/// The text, with the fraction `fraction` makes of the nanoseconds (value, digits); `None`
/// for years outside 0 to 9999 and for leap seconds.
fn digits(instant: &DateTime<Utc>, fraction: impl Fn(u32) -> (u32, usize)) -> Option<Text> {
    // Each accessor of a `DateTime` applies its offset again; a `NaiveDateTime`'s do not.
    let instant = instant.naive_utc();
    let year = u32::try_from(instant.year()).ok().filter(|&y| y <= 9999)?;
    let nanos = instant.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut bytes = *b"0000-00-00T00:00:00.000000000Z";
    write_digits(&mut bytes[0..4], year);
    write_digits(&mut bytes[5..7], instant.month());
    write_digits(&mut bytes[8..10], instant.day());
    write_digits(&mut bytes[11..13], instant.hour());
    write_digits(&mut bytes[14..16], instant.minute());
    write_digits(&mut bytes[17..19], instant.second());
    let (fraction, digits) = fraction(nanos);
    let mut end = 19;
    if digits > 0 {
        bytes[19] = b'.';
        write_digits(&mut bytes[20..20 + digits], fraction);
        end = 20 + digits;
    }
    bytes[end] = b'Z';
    Some(Text::Digits {
        bytes,
        len: end + 1,
    })
}

/// `value` in decimal, zero-padded to fill `out` (which it fits: callers size `out` for it).
fn write_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_text(instant: &DateTime<Utc>) -> String {
        instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn writes_each_fraction_width_as_chrono_does() {
        for micros in [
            0,
            1_700_000_000_000_000,
            1_700_000_000_120_000,
            1_700_000_000_123_456,
            -1,
            253_402_300_799_999_999,
            -62_167_219_200_000_000,
        ] {
            let instant = DateTime::from_timestamp_micros(micros).unwrap();
            assert_eq!(Rfc3339::new(&instant).as_str(), chrono_text(&instant));
        }
        let nanos = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(Rfc3339::new(&nanos).as_str(), chrono_text(&nanos));
    }

    #[test]
    fn micros_are_six_digits_truncated_as_chrono_writes_them() {
        for (seconds, nanos) in [
            (1_700_000_000, 0),
            (1_700_000_000, 123_456_789),
            (-1, 999_999_999),
        ] {
            let instant = DateTime::from_timestamp(seconds, nanos).unwrap();
            assert_eq!(
                Rfc3339::micros(&instant).as_str(),
                instant.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            );
        }
    }

    #[test]
    fn writes_leap_seconds_and_far_years_as_chrono_does() {
        let leap = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap();
        assert!(chrono_text(&leap).contains(":60"));
        assert_eq!(Rfc3339::new(&leap).as_str(), chrono_text(&leap));
        for year in [-1, 10_000] {
            let far = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc();
            assert_eq!(Rfc3339::new(&far).as_str(), chrono_text(&far));
        }
    }
}
