//! Lenient semantic-version helpers over the `semver` crate: `v` prefixes, short versions, comparison, ranges.

use std::cmp::Ordering;
use std::fmt;

pub use semver::{Version, VersionReq};

/// Why a version or requirement was rejected.
///
/// For example `parse_loose("1.x")` gives `InvalidVersion { .. }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemverError {
    /// Not a version even after loosening.
    InvalidVersion {
        /// The input as given.
        input: String,
        /// The `semver` crate's explanation.
        reason: String,
    },
    /// Not a version requirement such as `>=1.2, <2`.
    InvalidRequirement {
        /// The input as given.
        input: String,
        /// The `semver` crate's explanation.
        reason: String,
    },
}

impl fmt::Display for SemverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidVersion { input, reason } => {
                write!(f, "invalid version `{input}`: {reason}")
            }
            Self::InvalidRequirement { input, reason } => {
                write!(f, "invalid version requirement `{input}`: {reason}")
            }
        }
    }
}

impl std::error::Error for SemverError {}

/// Parses a version leniently: surrounding whitespace and a leading `v` or `V`
/// are dropped and a missing minor or patch is zero, so `v1.29` is `1.29.0`
/// and `2` is `2.0.0`; `v1.2-rc.1` is `1.2.0-rc.1`.
pub fn parse_loose(s: &str) -> Result<Version, SemverError> {
    let trimmed = s.trim();
    let body = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
    let split = body.find(['-', '+']).unwrap_or(body.len());
    let (core, suffix) = body.split_at_checked(split).unwrap_or((body, ""));
    let padding = match core.split('.').count() {
        1 => ".0.0",
        2 => ".0",
        _ => "",
    };
    let padded = format!("{core}{padding}{suffix}");
    Version::parse(&padded)
        .map_err(|e| SemverError::InvalidVersion { input: s.to_string(), reason: e.to_string() })
}

/// Compares two loose versions by semver precedence, ignoring build metadata:
/// `compare("v1.10", "1.9.9")` is `Greater`, `compare("1.0.0-rc.1", "1.0.0")` is `Less`.
pub fn compare(a: &str, b: &str) -> Result<Ordering, SemverError> {
    Ok(parse_loose(a)?.cmp_precedence(&parse_loose(b)?))
}

/// Whether a loose version satisfies a requirement in Cargo syntax:
/// `satisfies("v1.29", ">=1.27, <1.31")` is true. A bare `1.2` means `^1.2`;
/// pre-releases match only requirements that name the same `major.minor.patch`.
pub fn satisfies(version: &str, req: &str) -> Result<bool, SemverError> {
    let v = parse_loose(version)?;
    let r = VersionReq::parse(req.trim()).map_err(|e| SemverError::InvalidRequirement {
        input: req.to_string(),
        reason: e.to_string(),
    })?;
    Ok(r.matches(&v))
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

    fn v(s: &str) -> String {
        parse_loose(s).unwrap_or_else(|e| panic!("{s}: {e}")).to_string()
    }

    #[test]
    fn loose_forms() {
        assert_eq!(v("v1.29"), "1.29.0");
        assert_eq!(v("V2"), "2.0.0");
        assert_eq!(v("1.2.3"), "1.2.3");
        assert_eq!(v(" v1.2.3 "), "1.2.3");
        assert_eq!(v("v1.2-rc.1"), "1.2.0-rc.1");
        assert_eq!(v("1+build.5"), "1.0.0+build.5");
        assert_eq!(v("1.2.3-alpha+sha.abc"), "1.2.3-alpha+sha.abc");
    }

    #[test]
    fn invalid_versions() {
        for s in ["", "v", "1.x", "1.2.3.4", "latest", "01.2.3", "1..2", "-1", "vv1"] {
            assert!(matches!(parse_loose(s), Err(SemverError::InvalidVersion { .. })), "{s}");
        }
        assert!(parse_loose("x").unwrap_err().to_string().starts_with("invalid version `x`: "));
    }

    #[test]
    fn comparisons() {
        assert_eq!(compare("v1.10", "1.9.9").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0.0-rc.1", "1.0.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0", "v1.0.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0+a", "1.0.0+b").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0-alpha.2", "1.0.0-alpha.10").unwrap(), Ordering::Less);
        assert!(compare("1", "nope").is_err());
    }

    #[test]
    fn requirements() {
        assert!(satisfies("v1.29", ">=1.27, <1.31").unwrap());
        assert!(!satisfies("1.31.0", ">=1.27, <1.31").unwrap());
        assert!(satisfies("1.4.2", "1.2").unwrap());
        assert!(!satisfies("2.0.0", "^1.2").unwrap());
        assert!(satisfies("1.2.9", "~1.2").unwrap());
        assert!(satisfies("3.0.0", "*").unwrap());
        assert!(satisfies("1.2.3", "=1.2.3").unwrap());
    }

    #[test]
    fn prerelease_requirements() {
        assert!(!satisfies("1.3.0-rc.1", ">=1.2").unwrap());
        assert!(satisfies("1.3.0-rc.2", ">=1.3.0-rc.1").unwrap());
    }

    #[test]
    fn invalid_requirements() {
        assert!(matches!(satisfies("1.0.0", ">>1"), Err(SemverError::InvalidRequirement { .. })));
        assert!(matches!(satisfies("bad", ">=1"), Err(SemverError::InvalidVersion { .. })));
    }

    #[test]
    fn garbage_never_panics() {
        let huge = "9".repeat(100_000);
        assert!(parse_loose(&huge).is_err());
        for s in ["\u{0}", "é.1.2", "1.2.3-", "1.2.3+", "-", "+", "v-1"] {
            let _ = parse_loose(s);
            let _ = satisfies("1.0.0", s);
        }
    }
    #[test]
    fn leading_v_with_prerelease_and_build() {
        assert_eq!(v("v1-beta"), "1.0.0-beta");
        assert_eq!(v("v1.2.3+k3s1"), "1.2.3+k3s1");
    }

    #[test]
    fn compare_ordering_chain() {
        let mut list = vec!["1.10.0", "v1.2", "1.9", "1.10.0-rc.1", "0.9.9"];
        list.sort_by(|a, b| compare(a, b).unwrap());
        assert_eq!(list, vec!["0.9.9", "v1.2", "1.9", "1.10.0-rc.1", "1.10.0"]);
    }

    #[test]
    fn requirement_messages() {
        let e = satisfies("1.0.0", ">>1").unwrap_err().to_string();
        assert!(e.starts_with("invalid version requirement `>>1`: "), "{e}");
    }
}
