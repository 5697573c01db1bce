//! Kubernetes resource quantities (`500m`, `1Gi`, `2e3`) parsed exactly, with Kubernetes rounding and limits.

use std::fmt;

const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Kubernetes caps quantities at `2^63 - 1` units; this is that cap in nano-units.
const MAX_NANOS: u128 = (i64::MAX as u128) * 1_000_000_000;
/// Digits of `MAX_NANOS`; any integer with more digits is above the cap.
const MAX_NANOS_DIGITS: usize = 28;

/// A resource quantity held exactly as a whole number of nano-units.
///
/// For example `500m` is 500 000 000 nano-units and `1Ki` is 1 024 000 000 000.
/// Like Kubernetes, parsing rounds away from zero to the nearest nano-unit and
/// caps the magnitude at `2^63 - 1` units. Ordering compares values, so
/// `1Gi > 1G` and `1000m == 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity {
    nanos: i128,
}

/// Why a quantity was rejected.
///
/// For example parsing `1K` gives `InvalidSuffix { .. }` because only `k` is decimal kilo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// The input was the empty string.
    Empty,
    /// The input does not have the shape sign, digits, fraction, suffix.
    InvalidFormat(String),
    /// The number is fine but the suffix is unknown; holds the input and the suffix.
    InvalidSuffix {
        /// The whole input.
        input: String,
        /// The part after the number.
        suffix: String,
    },
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "quantity is empty"),
            Self::InvalidFormat(s) => write!(f, "invalid quantity `{s}`"),
            Self::InvalidSuffix { input, suffix } => {
                write!(f, "unknown suffix `{suffix}` in quantity `{input}`")
            }
        }
    }
}

impl std::error::Error for QuantityError {}

/// Multiplier named by a suffix.
#[derive(Debug, Clone, Copy)]
enum Suffix {
    /// `2^n`, from `Ki` (10) to `Ei` (60).
    Binary(u32),
    /// `10^n`, from `n` (-9) to `E` (18), or any `e<n>`.
    Decimal(i64),
}

/// The pieces of `-1.5Gi`: sign, `1`, `5`, `Gi`.
struct Parts<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    suffix: &'a str,
}

impl Quantity {
    /// Builds a quantity from nano-units, e.g. `from_nanos(1_500_000_000)` is `1.5`.
    pub fn from_nanos(nanos: i128) -> Self {
        Self { nanos }
    }

    /// The exact value in nano-units, e.g. `250m` gives `250_000_000`.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value as a float, e.g. `1.5Gi` gives `1610612736.0`.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANOS_PER_UNIT as f64
    }

    /// Whole units rounded away from zero, like Kubernetes `Value()`: `1500m` gives `Some(2)`.
    ///
    /// `None` when the result does not fit in an `i64`, the range Kubernetes uses.
    pub fn value(&self) -> Option<i128> {
        fit_i64(div_away_from_zero(self.nanos, NANOS_PER_UNIT))
    }

    /// Milli-units rounded away from zero, like Kubernetes `MilliValue()`: `1.5` gives `Some(1500)`.
    ///
    /// `None` when the result does not fit in an `i64`, e.g. for `8E`.
    pub fn milli_value(&self) -> Option<i128> {
        fit_i64(div_away_from_zero(self.nanos, 1_000_000))
    }

    /// Whether the quantity is zero, e.g. true for `0Mi`.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }
}

impl fmt::Display for Quantity {
    /// Writes a plain decimal form: whole units when exact (`2048` for `2Ki`),
    /// otherwise the largest of `m`, `u`, `n` that is exact (`1500m` for `1.5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.nanos;
        let (value, suffix) = [(NANOS_PER_UNIT, ""), (1_000_000, "m"), (1_000, "u")]
            .into_iter()
            .find(|(unit, _)| n % unit == 0)
            .map_or((n, "n"), |(unit, s)| (n / unit, s));
        write!(f, "{value}{suffix}")
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    /// Same as [`parse`], e.g. `"1Gi".parse::<Quantity>()`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses a Kubernetes quantity such as `500m`, `1Gi`, `1.5`, `2e3`, `100Ki`, `1E` or `-1`.
///
/// The grammar is Kubernetes' own: optional sign, digits with optional fraction
/// (`1.`, `.5` allowed), then a binary suffix (`Ki`…`Ei`), a decimal suffix
/// (`n u m k M G T P E` or none) or an exponent (`e3`, `E-2`).
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Empty);
    }
    let parts = split_parts(s).ok_or_else(|| QuantityError::InvalidFormat(s.to_string()))?;
    let suffix = parse_suffix(parts.suffix).ok_or_else(|| QuantityError::InvalidSuffix {
        input: s.to_string(),
        suffix: parts.suffix.to_string(),
    })?;
    let magnitude = to_nanos(parts.int, parts.frac, suffix);
    let magnitude = i128::try_from(magnitude).unwrap_or(i128::MAX);
    let nanos = if parts.negative { -magnitude } else { magnitude };
    Ok(Quantity { nanos })
}

fn split_parts(s: &str) -> Option<Parts<'_>> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, rest) = split_digits(body);
    let (frac, suffix) = match rest.strip_prefix('.') {
        Some(after_dot) => split_digits(after_dot),
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    Some(Parts { negative, int, frac, suffix })
}

/// Splits the leading ASCII digits off `s`.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

fn parse_suffix(s: &str) -> Option<Suffix> {
    let decimal = |e| Some(Suffix::Decimal(e));
    match s {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => Some(Suffix::Binary(10)),
        "Mi" => Some(Suffix::Binary(20)),
        "Gi" => Some(Suffix::Binary(30)),
        "Ti" => Some(Suffix::Binary(40)),
        "Pi" => Some(Suffix::Binary(50)),
        "Ei" => Some(Suffix::Binary(60)),
        _ => parse_exponent(s).map(Suffix::Decimal),
    }
}

/// Parses `e<int>` / `E<int>` where the int has an optional sign and fits an `i64`.
fn parse_exponent(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['e', 'E'])?;
    let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The magnitude in nano-units, rounded up and capped at `MAX_NANOS`.
fn to_nanos(int: &str, frac: &str, suffix: Suffix) -> u128 {
    // Little-endian decimal digits of int ++ frac, without leading zeros.
    let mut digits: Vec<u8> =
        int.bytes().chain(frac.bytes()).rev().map(|b| b.wrapping_sub(b'0')).collect();
    trim_high_zeros(&mut digits);
    let (pow2, pow10) = match suffix {
        Suffix::Binary(p) => (p, 0),
        Suffix::Decimal(e) => (0, e),
    };
    for _ in 0..pow2 / 10 {
        mul_small(&mut digits, 1024);
    }
    let frac_len = i128::try_from(frac.len()).unwrap_or(i128::MAX);
    let exponent = i128::from(pow10) + 9 - frac_len;
    ceil_scaled(&digits, exponent)
}

fn trim_high_zeros(digits: &mut Vec<u8>) {
    while digits.last() == Some(&0) {
        digits.pop();
    }
}

/// Multiplies little-endian decimal digits by a small factor in place.
fn mul_small(digits: &mut Vec<u8>, factor: u32) {
    let mut carry = 0u32;
    for d in digits.iter_mut() {
        let v = u32::from(*d) * factor + carry;
        *d = (v % 10) as u8;
        carry = v / 10;
    }
    while carry > 0 {
        digits.push((carry % 10) as u8);
        carry /= 10;
    }
}

/// `ceil(digits * 10^exponent)`, capped at `MAX_NANOS`.
fn ceil_scaled(digits: &[u8], exponent: i128) -> u128 {
    if digits.is_empty() {
        return 0;
    }
    let len = i128::try_from(digits.len()).unwrap_or(i128::MAX);
    if exponent >= 0 {
        if len.saturating_add(exponent) > MAX_NANOS_DIGITS as i128 {
            return MAX_NANOS;
        }
        let shift = u32::try_from(exponent).unwrap_or(u32::MAX);
        let scaled = 10u128.checked_pow(shift).and_then(|p| p.checked_mul(to_u128(digits)));
        return scaled.map_or(MAX_NANOS, |v| v.min(MAX_NANOS));
    }
    let cut = usize::try_from(-exponent).unwrap_or(usize::MAX);
    let has_fraction = digits.iter().take(cut).any(|&d| d != 0);
    let int_digits = digits.get(cut..).unwrap_or_default();
    if int_digits.len() > MAX_NANOS_DIGITS {
        return MAX_NANOS;
    }
    let int = to_u128(int_digits) + u128::from(has_fraction);
    int.min(MAX_NANOS)
}

/// Value of at most 38 little-endian decimal digits.
fn to_u128(digits: &[u8]) -> u128 {
    digits.iter().rev().fold(0u128, |acc, &d| acc.saturating_mul(10).saturating_add(u128::from(d)))
}

fn div_away_from_zero(n: i128, d: i128) -> i128 {
    let q = n / d;
    match n % d {
        0 => q,
        _ if n > 0 => q + 1,
        _ => q - 1,
    }
}

fn fit_i64(v: i128) -> Option<i128> {
    i64::try_from(v).ok().map(i128::from)
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

    fn n(s: &str) -> i128 {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).nanos()
    }

    const G: i128 = 1_000_000_000;

    #[test]
    fn milli() {
        assert_eq!(n("500m"), G / 2);
        assert_eq!(parse("500m").unwrap().milli_value(), Some(500));
        assert_eq!(parse("500m").unwrap().value(), Some(1));
    }

    #[test]
    fn binary_suffixes() {
        assert_eq!(n("1Ki"), 1024 * G);
        assert_eq!(n("100Ki"), 102_400 * G);
        assert_eq!(n("1Mi"), (1 << 20) * G);
        assert_eq!(n("1Gi"), (1 << 30) * G);
        assert_eq!(n("1Ti"), (1 << 40) * G);
        assert_eq!(n("1Pi"), (1 << 50) * G);
        assert_eq!(parse("1Ei").unwrap().value(), Some(1 << 60));
    }

    #[test]
    fn decimal_suffixes() {
        assert_eq!(n("1n"), 1);
        assert_eq!(n("1u"), 1_000);
        assert_eq!(n("1k"), 1_000 * G);
        assert_eq!(n("1M"), 1_000_000 * G);
        assert_eq!(n("1G"), G * G);
        assert_eq!(parse("1T").unwrap().value(), Some(1_000_000_000_000));
        assert_eq!(parse("1P").unwrap().value(), Some(1_000_000_000_000_000));
        assert_eq!(parse("1E").unwrap().value(), Some(1_000_000_000_000_000_000));
    }

    #[test]
    fn fractions() {
        assert_eq!(n("1.5"), 3 * G / 2);
        assert_eq!(n("1.5Gi"), 1_610_612_736 * G);
        assert_eq!(n("0.1Ki"), 102_400_000_000);
        assert_eq!(n(".5"), G / 2);
        assert_eq!(n("1."), G);
        assert_eq!(n("0.5m"), 500_000);
    }

    #[test]
    fn exponents() {
        assert_eq!(n("2e3"), 2_000 * G);
        assert_eq!(n("2E3"), 2_000 * G);
        assert_eq!(n("1e-3"), 1_000_000);
        assert_eq!(n("1e+3"), 1_000 * G);
        assert_eq!(n("1.5e1"), 15 * G);
    }

    #[test]
    fn signs() {
        assert_eq!(n("-1"), -G);
        assert_eq!(n("+1"), G);
        assert_eq!(n("-0"), 0);
        assert_eq!(parse("-1.5").unwrap().value(), Some(-2));
        assert_eq!(parse("-1500m").unwrap().milli_value(), Some(-1500));
    }

    #[test]
    fn zeros() {
        for s in ["0", "0m", "0Gi", "000", "0.0", "0e5", "-0.000"] {
            assert!(parse(s).unwrap().is_zero(), "{s}");
        }
    }

    #[test]
    fn rounds_up_to_nano() {
        assert_eq!(n("0.1n"), 1);
        assert_eq!(n("1.0000000001"), G + 1);
        assert_eq!(n("-0.1n"), -1);
        assert_eq!(n("1e-100"), 1);
        assert_eq!(n("1.5n"), 2);
    }

    #[test]
    fn value_rounds_away_from_zero() {
        assert_eq!(parse("1500m").unwrap().value(), Some(2));
        assert_eq!(parse("1001m").unwrap().value(), Some(2));
        assert_eq!(parse("1000m").unwrap().value(), Some(1));
        assert_eq!(parse("1n").unwrap().milli_value(), Some(1));
        assert_eq!(parse("-1n").unwrap().milli_value(), Some(-1));
    }

    #[test]
    fn cap_at_i64_max_units() {
        let max = i128::from(i64::MAX);
        assert_eq!(parse("1e100").unwrap().value(), Some(max));
        assert_eq!(parse("16Ei").unwrap().value(), Some(max));
        assert_eq!(parse("-1e30").unwrap().value(), Some(-max));
        assert_eq!(parse("9223372036854775807").unwrap().value(), Some(max));
        assert_eq!(parse("9223372036854775808").unwrap().value(), Some(max));
        assert_eq!(parse("8E").unwrap().milli_value(), None);
    }

    #[test]
    fn ordering() {
        let q = |s| parse(s).unwrap();
        assert!(q("1Gi") > q("1G"));
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("1k"), q("1e3"));
        assert!(q("-1") < q("0"));
        assert!(q("100Mi") < q("0.1Gi"));
        let mut v = vec![q("2"), q("500m"), q("1Ki"), q("-3")];
        v.sort();
        assert_eq!(v, vec![q("-3"), q("500m"), q("2"), q("1Ki")]);
    }

    #[test]
    fn as_f64() {
        assert_eq!(parse("250m").unwrap().as_f64(), 0.25);
        assert_eq!(parse("1Ki").unwrap().as_f64(), 1024.0);
    }

    #[test]
    fn display() {
        assert_eq!(parse("1.5").unwrap().to_string(), "1500m");
        assert_eq!(parse("2Ki").unwrap().to_string(), "2048");
        assert_eq!(parse("1u").unwrap().to_string(), "1u");
        assert_eq!(parse("3n").unwrap().to_string(), "3n");
        assert_eq!(parse("0").unwrap().to_string(), "0");
    }

    #[test]
    fn invalid_formats() {
        for s in [".", "-", "+", "abc", "--1", "1..2", " 1", "1 ", "1.2.3", "Ki", "m"] {
            assert!(parse(s).is_err(), "{s} should fail");
        }
        assert_eq!(parse(""), Err(QuantityError::Empty));
    }

    #[test]
    fn invalid_suffixes() {
        for s in
            ["1K", "1e", "1E+", "1e1.5", "1KiB", "1gi", "1mi", "1ee3", "1e99999999999999999999"]
        {
            assert!(
                matches!(parse(s), Err(QuantityError::InvalidSuffix { .. })),
                "{s} should fail"
            );
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(parse("1K").unwrap_err().to_string(), "unknown suffix `K` in quantity `1K`");
        assert_eq!(parse("x").unwrap_err().to_string(), "invalid quantity `x`");
    }

    #[test]
    fn huge_inputs_do_not_panic() {
        let many = "9".repeat(100_000);
        assert_eq!(parse(&many).unwrap().value(), Some(i128::from(i64::MAX)));
        let tiny = format!("0.{}1", "0".repeat(100_000));
        assert_eq!(n(&tiny), 1);
        let long_frac = format!("1.{}", "0".repeat(100_000));
        assert_eq!(n(&long_frac), G);
        assert!(parse(&"x".repeat(10_000)).is_err());
        assert_eq!(n("1e-9223372036854775808"), 1);
        assert_eq!(
            parse("1e9223372036854775807Ei").map(|_| ()),
            Err(QuantityError::InvalidSuffix {
                input: "1e9223372036854775807Ei".into(),
                suffix: "e9223372036854775807Ei".into()
            })
        );
    }

    #[test]
    fn from_str() {
        let q: Quantity = "2Gi".parse().unwrap();
        assert_eq!(q.value(), Some(2 << 30));
    }
    #[test]
    fn cpu_style_comparisons() {
        let q = |s| parse(s).unwrap();
        assert!(q("250m") < q("0.5"));
        assert!(q("2") > q("1999m"));
        assert_eq!(q("0.25"), q("250m"));
        assert_eq!(q("1Mi").value(), Some(1_048_576));
    }

    #[test]
    fn memory_milli_value() {
        assert_eq!(parse("1.5Gi").unwrap().milli_value(), Some(1_610_612_736_000));
        assert_eq!(parse("128974848").unwrap().value(), Some(128_974_848));
        assert_eq!(parse("129e6").unwrap().value(), Some(129_000_000));
        assert_eq!(parse("123Mi").unwrap().value(), Some(128_974_848));
    }

    #[test]
    fn from_nanos_and_default() {
        assert_eq!(Quantity::from_nanos(1_500_000_000), parse("1.5").unwrap());
        assert!(Quantity::default().is_zero());
        assert_eq!(Quantity::from_nanos(-7).to_string(), "-7n");
        assert!("1Q".parse::<Quantity>().is_err());
    }
}
