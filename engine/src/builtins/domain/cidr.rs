//! IP addresses and CIDR blocks: parsing, containment, overlap and private-range checks.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A CIDR block such as `10.0.0.0/8` or `fd00::/8`.
///
/// `addr` keeps the address as written, host bits included (`10.1.2.3/8`);
/// [`Cidr::network`] gives the block with them cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// The address as written, e.g. `10.1.2.3` in `10.1.2.3/8`.
    pub addr: IpAddr,
    /// The prefix length: at most 32 for IPv4, 128 for IPv6.
    pub prefix: u8,
}

/// Why an address or block was rejected.
///
/// For example `parse_cidr("10.0.0.0/33")` gives `InvalidPrefix { .. }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// Not an IPv4 or IPv6 address.
    InvalidIp(String),
    /// No `/prefix` part.
    MissingPrefix(String),
    /// The prefix is not a number within the family's bit count.
    InvalidPrefix {
        /// The whole input.
        input: String,
        /// The prefix as written.
        prefix: String,
    },
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidIp(s) => write!(f, "invalid ip address `{s}`"),
            Self::MissingPrefix(s) => write!(f, "cidr `{s}` has no `/prefix`"),
            Self::InvalidPrefix { input, prefix } => {
                write!(f, "invalid prefix length `{prefix}` in cidr `{input}`")
            }
        }
    }
}

impl std::error::Error for CidrError {}

/// Parses an IPv4 or IPv6 address, e.g. `192.168.1.1` or `fe80::1`.
///
/// Leading zeros in IPv4 octets (`010.0.0.1`) and zone ids (`fe80::1%eth0`) are rejected.
pub fn parse_ip(s: &str) -> Result<IpAddr, CidrError> {
    s.parse().map_err(|_| CidrError::InvalidIp(s.to_string()))
}

/// Parses a CIDR block such as `10.0.0.0/8`, `192.168.1.7/24` or `2001:db8::/32`.
///
/// The prefix is decimal without sign or leading zeros and at most the family's bits.
pub fn parse_cidr(s: &str) -> Result<Cidr, CidrError> {
    let (ip, prefix) = s.split_once('/').ok_or_else(|| CidrError::MissingPrefix(s.to_string()))?;
    let addr = parse_ip(ip)?;
    let bad_prefix =
        || CidrError::InvalidPrefix { input: s.to_string(), prefix: prefix.to_string() };
    let canonical = prefix == "0" || !prefix.starts_with('0');
    if !canonical || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad_prefix());
    }
    let prefix: u8 = prefix.parse().map_err(|_| bad_prefix())?;
    if prefix > bits(&addr) {
        return Err(bad_prefix());
    }
    Ok(Cidr { addr, prefix })
}

/// Bits in the address family: 32 or 128.
fn bits(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn to_u128(ip: &IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(*v4)),
        IpAddr::V6(v6) => u128::from(*v6),
    }
}

/// The mask with the top `prefix` of `width` bits set.
fn mask(width: u8, prefix: u8) -> u128 {
    let host_bits = u32::from(width.saturating_sub(prefix));
    let all = u128::MAX.checked_shr(128 - u32::from(width)).unwrap_or(0);
    let host = u128::MAX.checked_shr(128 - host_bits).unwrap_or(0);
    all & !host
}

impl Cidr {
    /// The block with host bits cleared: `10.1.2.3/8` gives `10.0.0.0/8`.
    pub fn network(&self) -> Cidr {
        let masked = to_u128(&self.addr) & mask(bits(&self.addr), self.prefix);
        let addr = match self.addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(masked).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(masked)),
        };
        Cidr { addr, prefix: self.prefix }
    }

    /// Whether `ip` is in the block: `10.0.0.0/8` contains `10.9.9.9`.
    /// Addresses of the other family are never contained.
    pub fn contains_ip(&self, ip: &IpAddr) -> bool {
        let m = mask(bits(&self.addr), self.prefix);
        self.addr.is_ipv4() == ip.is_ipv4() && (to_u128(ip) & m) == (to_u128(&self.addr) & m)
    }

    /// Whether `other` lies wholly inside this block: `10.0.0.0/8` contains `10.1.0.0/16`.
    pub fn contains_cidr(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains_ip(&other.addr)
    }

    /// Whether the blocks share any address: `10.0.0.0/8` overlaps `10.1.0.0/16`.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains_cidr(other) || other.contains_cidr(self)
    }

    /// Whether this is an IPv4 block, e.g. true for `10.0.0.0/8`.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }
}

impl fmt::Display for Cidr {
    /// Writes `addr/prefix` as stored, e.g. `10.1.2.3/8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Cidr {
    type Err = CidrError;

    /// Same as [`parse_cidr`], e.g. `"10.0.0.0/8".parse::<Cidr>()`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_cidr(s)
    }
}

/// Whether `ip` is not publicly routable in the usual sense: RFC 1918
/// (`10/8`, `172.16/12`, `192.168/16`), loopback (`127/8`, `::1`), link-local
/// (`169.254/16`, `fe80::/10`) or unique local (`fc00::/7`). IPv4-mapped IPv6
/// addresses (`::ffff:10.0.0.1`) are judged as their IPv4 address.
pub fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(&v4),
            None => is_private_v6(v6),
        },
    }
}

fn is_private_v4(ip: &Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback() || ip.is_link_local()
}

fn is_private_v6(ip: &Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or(0);
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    ip.is_loopback() || unique_local || link_local
}

/// Whether `ip` is the unspecified address `0.0.0.0` or `::`.
pub fn is_unspecified(ip: &IpAddr) -> bool {
    ip.is_unspecified()
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

    fn c(s: &str) -> Cidr {
        parse_cidr(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ip(s: &str) -> IpAddr {
        parse_ip(s).unwrap()
    }

    #[test]
    fn parse_ips() {
        assert_eq!(ip("192.168.1.1"), IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)));
        assert!(ip("::1").is_ipv6());
        assert!(ip("::ffff:10.0.0.1").is_ipv6());
        for s in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.0.0.1",
            "010.0.0.1",
            "fe80::1%eth0",
            "[::1]",
            " 1.2.3.4",
            "::g",
        ] {
            assert_eq!(parse_ip(s), Err(CidrError::InvalidIp(s.into())), "{s}");
        }
    }

    #[test]
    fn parse_cidrs() {
        let b = c("10.1.2.3/8");
        assert_eq!(b.addr, ip("10.1.2.3"));
        assert_eq!(b.prefix, 8);
        assert_eq!(b.network(), c("10.0.0.0/8"));
        assert_eq!(c("2001:db8::1/32").network().to_string(), "2001:db8::/32");
        assert_eq!(c("0.0.0.0/0").prefix, 0);
        assert_eq!(c("::/0").prefix, 0);
        assert_eq!(c("1.2.3.4/32").network(), c("1.2.3.4/32"));
        assert_eq!(c("::1/128").network(), c("::1/128"));
    }

    #[test]
    fn cidr_errors() {
        assert_eq!(parse_cidr("10.0.0.0"), Err(CidrError::MissingPrefix("10.0.0.0".into())));
        for s in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "10.0.0.0/999999999999",
        ] {
            assert!(matches!(parse_cidr(s), Err(CidrError::InvalidPrefix { .. })), "{s}");
        }
        assert!(matches!(parse_cidr("x/8"), Err(CidrError::InvalidIp(_))));
        assert_eq!(
            parse_cidr("10.0.0.0/33").unwrap_err().to_string(),
            "invalid prefix length `33` in cidr `10.0.0.0/33`"
        );
    }

    #[test]
    fn contains_ip() {
        let b = c("10.0.0.0/8");
        assert!(b.contains_ip(&ip("10.255.0.1")));
        assert!(!b.contains_ip(&ip("11.0.0.1")));
        assert!(!b.contains_ip(&ip("::ffff:10.0.0.1")));
        assert!(c("0.0.0.0/0").contains_ip(&ip("8.8.8.8")));
        assert!(!c("0.0.0.0/0").contains_ip(&ip("::1")));
        assert!(c("::/0").contains_ip(&ip("2001:db8::1")));
        assert!(c("2001:db8::/32").contains_ip(&ip("2001:db8:ffff::1")));
        assert!(!c("2001:db8::/32").contains_ip(&ip("2001:db9::1")));
        assert!(c("1.2.3.4/32").contains_ip(&ip("1.2.3.4")));
        assert!(!c("1.2.3.4/32").contains_ip(&ip("1.2.3.5")));
    }

    #[test]
    fn contains_cidr_and_overlaps() {
        let big = c("10.0.0.0/8");
        let small = c("10.1.0.0/16");
        let other = c("192.168.0.0/16");
        assert!(big.contains_cidr(&small));
        assert!(!small.contains_cidr(&big));
        assert!(big.contains_cidr(&big));
        assert!(big.overlaps(&small) && small.overlaps(&big));
        assert!(!big.overlaps(&other));
        assert!(!c("10.0.0.0/8").overlaps(&c("::/0")));
        assert!(c("10.0.0.0/9").overlaps(&c("10.1.2.3/8")));
        assert!(!c("10.0.0.0/9").overlaps(&c("10.128.0.0/9")));
    }

    #[test]
    fn private_ranges() {
        for s in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:192.168.1.1",
        ] {
            assert!(is_private(&ip(s)), "{s}");
        }
        for s in [
            "8.8.8.8",
            "172.32.0.1",
            "172.15.255.255",
            "192.169.0.1",
            "2001:db8::1",
            "fec0::1",
            "::ffff:8.8.8.8",
            "0.0.0.0",
        ] {
            assert!(!is_private(&ip(s)), "{s}");
        }
    }

    #[test]
    fn unspecified() {
        assert!(is_unspecified(&ip("0.0.0.0")));
        assert!(is_unspecified(&ip("::")));
        assert!(!is_unspecified(&ip("0.0.0.1")));
    }

    #[test]
    fn masks() {
        assert_eq!(mask(32, 0), 0);
        assert_eq!(mask(32, 32), 0xffff_ffff);
        assert_eq!(mask(32, 8), 0xff00_0000);
        assert_eq!(mask(128, 0), 0);
        assert_eq!(mask(128, 128), u128::MAX);
        assert_eq!(mask(128, 1), 1 << 127);
    }

    #[test]
    fn display_and_from_str() {
        let b: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(b.to_string(), "10.1.2.3/8");
        assert!(b.is_ipv4());
    }

    #[test]
    fn garbage_never_panics() {
        for s in ["/", "//", "/8", "é/8", "\u{0}", "1.2.3.4/é", "::/", "::/00"] {
            assert!(parse_cidr(s).is_err(), "{s}");
        }
        let huge = "1".repeat(100_000);
        assert!(parse_cidr(&format!("1.2.3.4/{huge}")).is_err());
        assert!(parse_ip(&huge).is_err());
    }
    #[test]
    fn ipv6_overlaps() {
        assert!(c("fd00::/8").overlaps(&c("fd12:3456::/32")));
        assert!(!c("fd00::/8").overlaps(&c("fe80::/10")));
        assert!(c("::/0").contains_cidr(&c("2001:db8::/32")));
    }

    #[test]
    fn family_mismatch_never_contains() {
        assert!(!c("::/0").contains_cidr(&c("10.0.0.0/8")));
        assert!(!c("0.0.0.0/0").contains_cidr(&c("::/96")));
    }

    #[test]
    fn network_is_idempotent() {
        for s in ["10.1.2.3/8", "172.20.1.1/12", "2001:db8:1:2::5/64", "1.2.3.4/0", "::1/0"] {
            let n = c(s).network();
            assert_eq!(n.network(), n, "{s}");
            assert!(n.contains_cidr(&c(s)), "{s}");
        }
        assert_eq!(c("1.2.3.4/0").network().to_string(), "0.0.0.0/0");
    }

    #[test]
    fn host_routes() {
        let h = c("10.0.0.5/32");
        assert!(c("10.0.0.0/24").contains_cidr(&h));
        assert!(!h.contains_cidr(&c("10.0.0.0/24")));
        assert!(h.overlaps(&c("10.0.0.0/24")));
    }

    #[test]
    fn display_ipv6() {
        assert_eq!(c("2001:0db8:0000::1/64").to_string(), "2001:db8::1/64");
        assert_eq!(c("2001:db8::1/64").network().to_string(), "2001:db8::/64");
    }
}
