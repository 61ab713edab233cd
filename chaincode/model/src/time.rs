//! Times and dates without a clock: UTC instants with second precision, written as RFC 3339
//! (`2024-01-01T09:30:00Z`), and calendar dates (`1984-03-15`).
//!
//! In the chaincode every "now" is the transaction's timestamp (the client's proposal time,
//! the same on every endorser), never a clock.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// An instant in UTC, with second precision. Ordered; written `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The earliest instant the model writes (0001-01-01T00:00:00Z).
const MIN_SECONDS: i64 = -62_135_596_800;
/// The latest instant the model writes (9999-12-31T23:59:59Z).
const MAX_SECONDS: i64 = 253_402_300_799;

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (years 1 to 9999).
    pub fn from_unix(field: &str, seconds: i64) -> Result<Self, ValidationError> {
        if (MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            Ok(Timestamp(seconds))
        } else {
            Err(ValidationError::new(
                field,
                format!("{seconds} seconds is outside the years 1 to 9999"),
            ))
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// This instant plus `days` days; `None` past the year 9999.
    pub fn plus_days(self, days: u32) -> Option<Timestamp> {
        let s = self.0.checked_add(i64::from(days) * DAY)?;
        (s <= MAX_SECONDS).then_some(Timestamp(s))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (UTC only, no fractions: the one form this model writes).
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let bad = || {
            ValidationError::new(
                field,
                format!(
                    "expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, got {:?}",
                    truncate(text)
                ),
            )
        };
        let b = text.as_bytes();
        if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return Err(bad());
        }
        let days = parse_date(&text[..10]).ok_or_else(bad)?;
        let hh = digits(&b[11..13]).ok_or_else(bad)?;
        let mm = digits(&b[14..16]).ok_or_else(bad)?;
        let ss = digits(&b[17..19]).ok_or_else(bad)?;
        if hh > 23 || mm > 59 || ss > 59 {
            return Err(bad());
        }
        Ok(Timestamp(days * DAY + hh * 3600 + mm * 60 + ss))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse("", &text).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// A calendar date, `YYYY-MM-DD` (years 1 to 9999).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// Parses `YYYY-MM-DD`, checking the calendar (no 2023-02-29).
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        parse_date(text).map(Date).ok_or_else(|| {
            ValidationError::new(
                field,
                format!("expected a date as YYYY-MM-DD, got {:?}", truncate(text)),
            )
        })
    }

    /// The first instant of the day (UTC).
    pub fn start(self) -> Timestamp {
        Timestamp(self.0 * DAY)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse("", &text).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// A period: from `start` (inclusive) to `end` (exclusive), open-ended without `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The first instant it covers.
    pub start: Timestamp,
    /// The first instant it no longer covers; absent = no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

impl Period {
    /// Checks that the period ends after it starts.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self.end {
            Some(end) if end <= self.start => Err(ValidationError::new(
                "end",
                format!("must be after start ({}), got {end}", self.start),
            )),
            _ => Ok(()),
        }
    }

    /// Whether `at` lies in the period.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && self.end.is_none_or(|end| at < end)
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, checking the calendar.
fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(feature = "schema")]
mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{Date, Timestamp};

    impl JsonSchema for Timestamp {
        fn schema_name() -> Cow<'static, str> {
            "Timestamp".into()
        }
        fn inline_schema() -> bool {
            true
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string", "format": "date-time",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"})
        }
    }

    impl JsonSchema for Date {
        fn schema_name() -> Cow<'static, str> {
            "Date".into()
        }
        fn inline_schema() -> bool {
            true
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string", "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        let t = Timestamp::from_unix("t", 1_704_067_200).unwrap();
        assert_eq!(t.to_string(), "2024-01-01T00:00:00Z");
        assert_eq!(Timestamp::parse("t", "2024-01-01T00:00:00Z").unwrap(), t);
        assert_eq!(
            Timestamp::parse("t", "1969-12-31T23:59:59Z")
                .unwrap()
                .unix(),
            -1
        );
        assert_eq!(t.plus_days(3).unwrap().to_string(), "2024-01-04T00:00:00Z");
        assert_eq!(
            Date::parse("d", "2024-02-29").unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(Date::parse("d", "1970-01-02").unwrap().start().unix(), DAY);
    }

    #[test]
    fn malformed_times_name_the_field() {
        for bad in [
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01T00:00:00+09:00",
            "",
        ] {
            let e = Timestamp::parse("period.start", bad).unwrap_err();
            assert_eq!(e.field, "period.start", "{bad}");
        }
        for bad in [
            "2023-02-29",
            "2024-04-31",
            "0000-01-01",
            "84-03-15",
            "2024-1-01",
        ] {
            assert!(Date::parse("birth_date", bad).is_err(), "{bad}");
        }
        assert!(Timestamp::from_unix("t", MAX_SECONDS + 1).is_err());
    }

    #[test]
    fn periods() {
        let t = |s| Timestamp::parse("t", s).unwrap();
        let p = Period {
            start: t("2024-01-01T00:00:00Z"),
            end: Some(t("2024-02-01T00:00:00Z")),
        };
        assert!(p.validate().is_ok());
        assert!(p.contains(t("2024-01-01T00:00:00Z")));
        assert!(!p.contains(t("2024-02-01T00:00:00Z")));
        assert!(!p.contains(t("2023-12-31T23:59:59Z")));
        let open = Period {
            start: p.start,
            end: None,
        };
        assert!(open.contains(t("9999-12-31T23:59:59Z")));
        let bad = Period {
            start: p.start,
            end: Some(p.start),
        };
        assert_eq!(bad.validate().unwrap_err().field, "end");
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(s in MIN_SECONDS..=MAX_SECONDS) {
            let t = Timestamp::from_unix("t", s).unwrap();
            let text = t.to_string();
            prop_assert_eq!(text.len(), 20);
            prop_assert_eq!(Timestamp::parse("t", &text).unwrap(), t);
        }
    }
}
