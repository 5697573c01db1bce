//! Go-style durations (`1h30m`, `300ms`) and RFC 3339 timestamps, both as exact nanosecond counts.

use std::fmt;

const NANOS_PER_SEC: i128 = 1_000_000_000;
const SECS_PER_DAY: i128 = 86_400;
/// Go durations are an `int64` of nanoseconds; magnitudes above this overflow.
const MAX_MAGNITUDE: u128 = 1 << 63;
/// Fraction digits kept when parsing a duration; Go keeps as many as fit an `int64`.
const MAX_FRACTION_DIGITS: usize = 18;

/// A signed span of time in nanoseconds, e.g. `1h30m` is `Duration(5_400_000_000_000)`.
///
/// [`parse`] keeps within Go's `int64` range; arithmetic on the field may go beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i128);

/// An instant as nanoseconds since 1970-01-01T00:00:00Z, e.g. `Timestamp(0)` is the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i128);

/// Why a duration was rejected.
///
/// For example parsing `10` gives `MissingUnit("10")` because only `0` may omit the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// The input does not have the shape `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`.
    Invalid(String),
    /// A number has no unit after it.
    MissingUnit(String),
    /// A unit is not one of `ns us µs ms s m h`; holds the input and the unit.
    UnknownUnit {
        /// The whole input.
        input: String,
        /// The unknown unit, e.g. `d`.
        unit: String,
    },
    /// The value does not fit in Go's `int64` nanoseconds (about 292 years).
    Overflow(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(s) => write!(f, "invalid duration `{s}`"),
            Self::MissingUnit(s) => write!(f, "missing unit in duration `{s}`"),
            Self::UnknownUnit { input, unit } => {
                write!(f, "unknown unit `{unit}` in duration `{input}`")
            }
            Self::Overflow(s) => write!(f, "duration `{s}` is out of range"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Why a timestamp was rejected.
///
/// For example `2023-02-29T00:00:00Z` gives `OutOfRange { field: "day", .. }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The input is not shaped like `2006-01-02T15:04:05Z07:00`.
    Malformed(String),
    /// A field has an impossible value; holds the input and the field name.
    OutOfRange {
        /// The whole input.
        input: String,
        /// Which field: `month`, `day`, `hour`, `minute`, `second` or `offset`.
        field: &'static str,
    },
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(s) => write!(f, "invalid rfc 3339 timestamp `{s}`"),
            Self::OutOfRange { input, field } => {
                write!(f, "{field} out of range in timestamp `{input}`")
            }
        }
    }
}

impl std::error::Error for TimeError {}

impl Duration {
    /// Whole seconds and fraction as a float, e.g. `1500ms` gives `1.5`.
    pub fn as_secs_f64(&self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

/// Parses a Go duration such as `1h30m`, `300ms`, `1.5h`, `-2m`, `1us`, `1µs` or `0`.
///
/// Units are `ns`, `us` (or `µs`/`μs`), `ms`, `s`, `m`, `h`; there is no day unit.
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if body == "0" {
        return Ok(Duration(0));
    }
    if body.is_empty() {
        return Err(DurationError::Invalid(s.to_string()));
    }
    let mut rest = body;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (nanos, after) = parse_component(rest, s)?;
        total = total.saturating_add(nanos);
        rest = after;
    }
    let limit = if negative { MAX_MAGNITUDE } else { MAX_MAGNITUDE - 1 };
    if total > limit {
        return Err(DurationError::Overflow(s.to_string()));
    }
    let magnitude = i128::try_from(total).unwrap_or(i128::MAX);
    Ok(Duration(if negative { -magnitude } else { magnitude }))
}

/// Parses one `1.5h` piece; returns its nanoseconds and the remaining text.
fn parse_component<'a>(s: &'a str, input: &str) -> Result<(u128, &'a str), DurationError> {
    let (int, rest) = split_digits(s);
    let (frac, rest) = match rest.strip_prefix('.') {
        Some(after_dot) => split_digits(after_dot),
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(DurationError::Invalid(input.to_string()));
    }
    let unit_end = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
    let (unit, rest) = rest.split_at_checked(unit_end).unwrap_or((rest, ""));
    if unit.is_empty() {
        return Err(DurationError::MissingUnit(input.to_string()));
    }
    let per_unit = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
        input: input.to_string(),
        unit: unit.to_string(),
    })?;
    let whole = parse_int(int)
        .and_then(|v| v.checked_mul(per_unit))
        .filter(|&v| v <= MAX_MAGNITUDE)
        .ok_or_else(|| DurationError::Overflow(input.to_string()))?;
    Ok((whole + fraction_nanos(frac, per_unit), rest))
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// Value of an ASCII digit string (empty is 0); `None` on overflow.
fn parse_int(digits: &str) -> Option<u128> {
    digits.bytes().try_fold(0u128, |acc, b| {
        acc.checked_mul(10)?.checked_add(u128::from(b.wrapping_sub(b'0')))
    })
}

/// `0.<frac> × per_unit`, truncated, using at most 18 fraction digits like Go.
fn fraction_nanos(frac: &str, per_unit: u128) -> u128 {
    let kept = frac.get(..MAX_FRACTION_DIGITS).unwrap_or(frac);
    let value = parse_int(kept).unwrap_or(0);
    let exp = u32::try_from(kept.len()).unwrap_or(0);
    let scale = 10u128.pow(exp);
    value * per_unit / scale
}

fn unit_nanos(unit: &str) -> Option<u128> {
    match unit {
        "ns" => Some(1),
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        "m" => Some(60_000_000_000),
        "h" => Some(3_600_000_000_000),
        _ => None,
    }
}

impl fmt::Display for Duration {
    /// Writes Go's format: `1h30m0s`, `1.5s`, `300ms`, `1µs`, `0s`, `-2m0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let u = self.0.unsigned_abs();
        let body = match u {
            0 => "0s".to_string(),
            1..=999 => format!("{u}ns"),
            1_000..=999_999 => format!("{}\u{b5}s", decimal(u, 3)),
            1_000_000..=999_999_999 => format!("{}ms", decimal(u, 6)),
            _ => clock_format(u),
        };
        write!(f, "{sign}{body}")
    }
}

/// `1h2m3.5s` form for at least one second.
fn clock_format(nanos: u128) -> String {
    let secs = nanos / 1_000_000_000;
    let sec_part = decimal(secs % 60 * 1_000_000_000 + nanos % 1_000_000_000, 9);
    let (mins, hours) = ((secs / 60) % 60, secs / 3600);
    match (hours, secs >= 60) {
        (0, false) => format!("{sec_part}s"),
        (0, true) => format!("{mins}m{sec_part}s"),
        _ => format!("{hours}h{mins}m{sec_part}s"),
    }
}

/// `value / 10^places` written with a trimmed fraction, e.g. `(1500, 3)` gives `1.5`.
fn decimal(value: u128, places: u32) -> String {
    let scale = 10u128.pow(places);
    let (int, frac) = (value / scale, value % scale);
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{frac:0width$}", width = places as usize);
    format!("{int}.{}", digits.trim_end_matches('0'))
}

impl std::str::FromStr for Duration {
    type Err = DurationError;

    /// Same as [`parse`], e.g. `"90s".parse::<Duration>()`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl Timestamp {
    /// The instant `d` later (earlier when negative), e.g. epoch plus `1h` is `01:00:00Z`.
    pub fn add(&self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.0))
    }

    /// The span from `earlier` to `self`, negative when `earlier` is later.
    pub fn since(&self, earlier: Timestamp) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }

    /// Whole seconds since the epoch, rounded down, e.g. `1970-01-01T00:00:01.5Z` gives `1`.
    pub fn unix_seconds(&self) -> i128 {
        self.0.div_euclid(NANOS_PER_SEC)
    }
}

/// Parses an RFC 3339 timestamp such as `2024-02-29T12:00:00.5+02:00` or `2024-01-01t00:00:00z`.
///
/// The date and time must be real (no February 30th, no hour 24, no leap
/// second 60); fractions may have any number of digits, beyond nine are
/// truncated; the offset is `Z`, `z` or `±HH:MM`.
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeError> {
    let mut c = Cursor::new(s);
    let fields = c.fields().ok_or_else(|| TimeError::Malformed(s.to_string()))?;
    if let Some(field) = fields.invalid_field() {
        return Err(TimeError::OutOfRange { input: s.to_string(), field });
    }
    Ok(Timestamp(fields.unix_nanos()))
}

/// The fields of a timestamp as written.
struct Fields {
    year: i128,
    month: i128,
    day: i128,
    hour: i128,
    minute: i128,
    second: i128,
    nanos: i128,
    /// Offset hours and minutes, e.g. `-05:30` is 5 and 30 with `offset_negative`.
    offset_hours: i128,
    offset_minutes: i128,
    offset_negative: bool,
}

impl Fields {
    fn invalid_field(&self) -> Option<&'static str> {
        let checks = [
            ((1..=12).contains(&self.month), "month"),
            (self.day >= 1 && self.day <= days_in_month(self.year, self.month), "day"),
            (self.hour <= 23, "hour"),
            (self.minute <= 59, "minute"),
            (self.second <= 59, "second"),
            (self.offset_hours <= 23 && self.offset_minutes <= 59, "offset"),
        ];
        checks.iter().find(|(ok, _)| !ok).map(|(_, field)| *field)
    }

    fn unix_nanos(&self) -> i128 {
        let days = days_from_civil(self.year, self.month, self.day);
        let local = days * SECS_PER_DAY + self.hour * 3600 + self.minute * 60 + self.second;
        let offset = (self.offset_hours * 60 + self.offset_minutes) * 60;
        let offset = if self.offset_negative { -offset } else { offset };
        (local - offset) * NANOS_PER_SEC + self.nanos
    }
}

/// A byte reader over the timestamp text.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self { bytes: s.as_bytes(), pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, allowed: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| allowed.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    /// Exactly `n` ASCII digits as a number.
    fn number(&mut self, n: usize) -> Option<i128> {
        let digits = self.bytes.get(self.pos..self.pos + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(digits.iter().fold(0, |acc, &d| acc * 10 + i128::from(d - b'0')))
    }

    fn fields(&mut self) -> Option<Fields> {
        let year = self.number(4)?;
        self.eat(b"-")?;
        let month = self.number(2)?;
        self.eat(b"-")?;
        let day = self.number(2)?;
        self.eat(b"Tt")?;
        let hour = self.number(2)?;
        self.eat(b":")?;
        let minute = self.number(2)?;
        self.eat(b":")?;
        let second = self.number(2)?;
        let nanos = self.fraction()?;
        let (offset_negative, offset_hours, offset_minutes) = self.offset()?;
        (self.pos == self.bytes.len()).then_some(Fields {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos,
            offset_hours,
            offset_minutes,
            offset_negative,
        })
    }

    /// Optional `.digits`, as nanoseconds (extra digits truncated).
    fn fraction(&mut self) -> Option<i128> {
        if self.eat(b".").is_none() {
            return Some(0);
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.bytes.get(start..self.pos)?;
        if digits.is_empty() {
            return None;
        }
        let padded = digits.iter().copied().chain(std::iter::repeat(b'0'));
        Some(padded.take(9).fold(0, |acc, d| acc * 10 + i128::from(d - b'0')))
    }

    /// `Z`, `z` or `±HH:MM` as (negative, hours, minutes).
    fn offset(&mut self) -> Option<(bool, i128, i128)> {
        let sign = self.eat(b"Zz+-")?;
        if sign == b'Z' || sign == b'z' {
            return Some((false, 0, 0));
        }
        let hours = self.number(2)?;
        self.eat(b":")?;
        let minutes = self.number(2)?;
        Some((sign == b'-', hours, minutes))
    }
}

fn is_leap_year(y: i128) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i128, m: i128) -> i128 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01, as (year, month, day).
fn civil_from_days(z: i128) -> (i128, i128, i128) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    (y, m, d)
}

impl fmt::Display for Timestamp {
    /// Writes RFC 3339 in UTC with a trimmed fraction, e.g. `2024-02-29T10:00:00.5Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let (y, mo, d) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
        let year = if y < 0 { format!("-{:04}", -y) } else { format!("{y:04}") };
        write!(f, "{year}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        write!(f, "Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;

    /// Same as [`parse_rfc3339`], e.g. `"2024-01-01T00:00:00Z".parse::<Timestamp>()`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_rfc3339(s)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
mod tests {
    use super::*;

    const S: i128 = 1_000_000_000;

    fn d(s: &str) -> i128 {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).0
    }

    fn t(s: &str) -> i128 {
        parse_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}")).0
    }

    #[test]
    fn basic_units() {
        assert_eq!(d("1ns"), 1);
        assert_eq!(d("1us"), 1_000);
        assert_eq!(d("1µs"), 1_000);
        assert_eq!(d("1μs"), 1_000);
        assert_eq!(d("300ms"), 300_000_000);
        assert_eq!(d("2s"), 2 * S);
        assert_eq!(d("2m"), 120 * S);
        assert_eq!(d("1h"), 3600 * S);
    }

    #[test]
    fn compound_and_fractions() {
        assert_eq!(d("1h30m"), 5400 * S);
        assert_eq!(d("1.5h"), 5400 * S);
        assert_eq!(d("1h1m1s1ms1us1ns"), 3661 * S + 1_001_001);
        assert_eq!(d(".5s"), S / 2);
        assert_eq!(d("1.s"), S);
        assert_eq!(d("0.000000001s"), 1);
        assert_eq!(d("0.0000000001s"), 0);
        assert_eq!(d("1.0000000000000000000000001s"), S);
    }

    #[test]
    fn signs_and_zero() {
        assert_eq!(d("-2m"), -120 * S);
        assert_eq!(d("+2m"), 120 * S);
        assert_eq!(d("0"), 0);
        assert_eq!(d("-0"), 0);
        assert_eq!(d("0s"), 0);
    }

    #[test]
    fn duration_errors() {
        assert_eq!(parse(""), Err(DurationError::Invalid("".into())));
        assert_eq!(parse("-"), Err(DurationError::Invalid("-".into())));
        assert_eq!(parse("10"), Err(DurationError::MissingUnit("10".into())));
        assert!(matches!(parse("1d"), Err(DurationError::UnknownUnit { .. })));
        assert!(matches!(parse("1H"), Err(DurationError::UnknownUnit { .. })));
        assert!(matches!(parse("."), Err(DurationError::Invalid(_))));
        assert!(matches!(parse(".s"), Err(DurationError::Invalid(_))));
        assert!(matches!(parse("1s "), Err(DurationError::UnknownUnit { .. })));
        assert!(matches!(parse("s"), Err(DurationError::Invalid(_))));
        assert!(matches!(parse("1.5.5s"), Err(DurationError::MissingUnit(_))));
        assert_eq!(parse("3d").unwrap_err().to_string(), "unknown unit `d` in duration `3d`");
    }

    #[test]
    fn int64_boundaries() {
        assert_eq!(d("9223372036854775807ns"), i128::from(i64::MAX));
        assert_eq!(d("-9223372036854775808ns"), i128::from(i64::MIN));
        assert!(matches!(parse("9223372036854775808ns"), Err(DurationError::Overflow(_))));
        assert!(matches!(parse("2562048h"), Err(DurationError::Overflow(_))));
        assert_eq!(d("2562047h"), 2_562_047 * 3600 * S);
        assert!(matches!(parse(&format!("{}h", "9".repeat(100))), Err(DurationError::Overflow(_))));
    }

    #[test]
    fn go_display() {
        let show = |s: &str| parse(s).unwrap().to_string();
        assert_eq!(show("1h30m"), "1h30m0s");
        assert_eq!(show("0"), "0s");
        assert_eq!(show("300ms"), "300ms");
        assert_eq!(show("1.5ms"), "1.5ms");
        assert_eq!(show("1us"), "1µs");
        assert_eq!(show("999ns"), "999ns");
        assert_eq!(show("1.5s"), "1.5s");
        assert_eq!(show("90s"), "1m30s");
        assert_eq!(show("-2m"), "-2m0s");
        assert_eq!(show("2h"), "2h0m0s");
        assert_eq!(show("1h0m0.000000001s"), "1h0m0.000000001s");
        assert_eq!(show("-9223372036854775808ns"), "-2562047h47m16.854775808s");
    }

    #[test]
    fn display_round_trips() {
        for s in ["1h2m3.456s", "17µs", "4.2ms", "59m59s", "-1ns"] {
            let v = parse(s).unwrap();
            assert_eq!(parse(&v.to_string()).unwrap(), v, "{s}");
        }
    }

    #[test]
    fn epoch_and_offsets() {
        assert_eq!(t("1970-01-01T00:00:00Z"), 0);
        assert_eq!(t("1970-01-01t00:00:00z"), 0);
        assert_eq!(t("1970-01-01T02:00:00+02:00"), 0);
        assert_eq!(t("1969-12-31T19:00:00-05:00"), 0);
        assert_eq!(t("1970-01-01T00:00:00+00:30"), -1800 * S);
        assert_eq!(t("2024-01-01T00:00:00Z"), 1_704_067_200 * S);
    }

    #[test]
    fn fractions() {
        assert_eq!(t("1970-01-01T00:00:00.5Z"), S / 2);
        assert_eq!(t("1970-01-01T00:00:00.000000001Z"), 1);
        assert_eq!(t("1970-01-01T00:00:00.1234567899999Z"), 123_456_789);
        assert!(parse_rfc3339("1970-01-01T00:00:00.Z").is_err());
    }

    #[test]
    fn leap_years() {
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_ok());
        assert_eq!(
            parse_rfc3339("2023-02-29T00:00:00Z"),
            Err(TimeError::OutOfRange { input: "2023-02-29T00:00:00Z".into(), field: "day" })
        );
        assert!(parse_rfc3339("1900-02-29T00:00:00Z").is_err());
        assert!(parse_rfc3339("2024-04-31T00:00:00Z").is_err());
        assert!(parse_rfc3339("2024-12-31T23:59:59Z").is_ok());
    }

    #[test]
    fn out_of_range_fields() {
        let field = |s: &str| match parse_rfc3339(s) {
            Err(TimeError::OutOfRange { field, .. }) => field,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(field("2024-13-01T00:00:00Z"), "month");
        assert_eq!(field("2024-00-01T00:00:00Z"), "month");
        assert_eq!(field("2024-01-00T00:00:00Z"), "day");
        assert_eq!(field("2024-01-01T24:00:00Z"), "hour");
        assert_eq!(field("2024-01-01T00:60:00Z"), "minute");
        assert_eq!(field("2024-01-01T00:00:60Z"), "second");
        assert_eq!(field("2024-01-01T00:00:00+24:00"), "offset");
    }

    #[test]
    fn malformed() {
        for s in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "24-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01T00:00:00+02",
            "２０２４-01-01T00:00:00Z",
        ] {
            assert!(matches!(parse_rfc3339(s), Err(TimeError::Malformed(_))), "{s}");
        }
        assert_eq!(parse_rfc3339("x").unwrap_err().to_string(), "invalid rfc 3339 timestamp `x`");
    }

    #[test]
    fn display_utc() {
        let show = |s: &str| parse_rfc3339(s).unwrap().to_string();
        assert_eq!(show("2024-02-29T12:00:00.500+02:00"), "2024-02-29T10:00:00.5Z");
        assert_eq!(show("1970-01-01T00:00:00Z"), "1970-01-01T00:00:00Z");
        assert_eq!(show("2000-03-01T00:30:00+01:00"), "2000-02-29T23:30:00Z");
        assert_eq!(show("0000-01-01T00:00:00+01:00"), "-0001-12-31T23:00:00Z");
        assert_eq!(show("9999-12-31T23:59:59.999999999Z"), "9999-12-31T23:59:59.999999999Z");
        assert_eq!(show("1969-12-31T23:59:59.9Z"), "1969-12-31T23:59:59.9Z");
    }

    #[test]
    fn round_trip_many_days() {
        for day in (-719_000..2_900_000).step_by(997) {
            let ts = Timestamp(day * SECS_PER_DAY * S + 12_345);
            assert_eq!(parse_rfc3339(&ts.to_string()).map_err(|_| day), Ok(ts));
        }
    }

    #[test]
    fn timestamp_arithmetic() {
        let a = parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let b = a.add(parse("36h").unwrap());
        assert_eq!(b.to_string(), "2024-01-02T12:00:00Z");
        assert_eq!(b.since(a).to_string(), "36h0m0s");
        assert_eq!(a.since(b).0, -36 * 3600 * S);
        assert_eq!(a.unix_seconds(), 1_704_067_200);
        assert!(a < b);
    }

    #[test]
    fn garbage_never_panics() {
        for s in ["\u{0}", "ééé", "-.", "+", "1e3s", "--1s", "1µ", "µs", "1h-1m"] {
            let _ = parse(s);
            let _ = parse_rfc3339(s);
        }
        let long = "1s".repeat(100_000);
        assert_eq!(d(&long), 100_000 * S);
        let _ = parse_rfc3339(&format!("2024-01-01T00:00:00.{}Z", "9".repeat(100_000)));
        let _ = Timestamp(i128::MAX).to_string();
        let _ = Timestamp(i128::MIN).to_string();
        let _ = Duration(i128::MIN).to_string();
    }
    #[test]
    fn same_instant_different_offsets() {
        assert_eq!(t("2024-06-01T12:00:00+05:30"), t("2024-06-01T06:30:00Z"));
        assert_eq!(t("2024-06-01T00:00:00-00:00"), t("2024-06-01T00:00:00Z"));
    }

    #[test]
    fn year_and_month_boundaries() {
        assert_eq!(t("2024-01-01T00:00:00Z") - t("2023-12-31T23:59:59Z"), S);
        assert_eq!(t("2024-03-01T00:00:00Z") - t("2024-02-29T00:00:00Z"), 86_400 * S);
        assert_eq!(t("2023-03-01T00:00:00Z") - t("2023-02-28T00:00:00Z"), 86_400 * S);
        assert_eq!(t("2000-01-01T00:00:00Z"), 946_684_800 * S);
    }

    #[test]
    fn extreme_years() {
        assert_eq!(t("0000-01-01T00:00:00Z"), -62_167_219_200 * S);
        assert!(parse_rfc3339("0000-02-29T00:00:00Z").is_ok());
        assert_eq!(t("9999-12-31T23:59:59Z"), 253_402_300_799 * S);
    }

    #[test]
    fn duration_helpers() {
        assert_eq!(parse("1500ms").unwrap().as_secs_f64(), 1.5);
        assert_eq!("90s".parse::<Duration>().unwrap(), Duration(90 * S));
        assert_eq!(Duration::default().to_string(), "0s");
        assert_eq!(Duration(-1_500).to_string(), "-1.5µs");
    }
}
