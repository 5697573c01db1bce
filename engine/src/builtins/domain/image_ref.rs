//! Docker/OCI image reference parsing, following the distribution reference grammar with docker.io defaults.

use std::fmt;
use std::net::Ipv6Addr;

/// Registry assumed when a reference names none, e.g. `nginx` lives on `docker.io`.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// Namespace of official images on the default registry, e.g. `nginx` is `library/nginx`.
const OFFICIAL_NAMESPACE: &str = "library";

/// Longest name (registry plus repository, as written) the grammar allows.
const NAME_MAX: usize = 255;

/// Longest tag the grammar allows.
const TAG_MAX: usize = 128;

/// A parsed image reference.
///
/// For example `nginx:1.25` parses to registry `docker.io`, repository
/// `library/nginx`, tag `1.25`, no digest and `explicit_registry` false.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry host with optional port, e.g. `ghcr.io` or `localhost:5000`; `docker.io` when absent.
    pub registry: String,
    /// Repository path, e.g. `library/nginx` for the official `nginx` image.
    pub repository: String,
    /// Tag as written, e.g. `1.25`; `None` when the reference has no tag.
    pub tag: Option<String>,
    /// Digest as written, e.g. `sha256:…`; `None` when the reference has no digest.
    pub digest: Option<String>,
    /// Whether the registry was written in the reference (`docker.io/nginx` yes, `nginx` no).
    pub explicit_registry: bool,
}

/// Why an image reference was rejected.
///
/// For example parsing `UPPER/x` gives `UppercaseRepository("UPPER/x")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRefError {
    /// The reference was the empty string.
    Empty,
    /// The name part is longer than 255 characters; holds its length.
    NameTooLong(usize),
    /// The registry part is not a valid host with optional port.
    InvalidRegistry(String),
    /// The repository path breaks the path-component grammar.
    InvalidRepository(String),
    /// The repository path contains uppercase letters.
    UppercaseRepository(String),
    /// The repository is a 64-character hex string, which would be confused with an image id.
    HexRepository(String),
    /// The tag breaks `[\w][\w.-]{0,127}`.
    InvalidTag(String),
    /// The digest is not `algorithm:hex` or has the wrong length for its algorithm.
    InvalidDigest(String),
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "image reference is empty"),
            Self::NameTooLong(n) => {
                write!(f, "image name is {n} characters long, the limit is {NAME_MAX}")
            }
            Self::InvalidRegistry(r) => write!(f, "invalid registry `{r}`"),
            Self::InvalidRepository(r) => write!(f, "invalid repository name `{r}`"),
            Self::UppercaseRepository(r) => write!(f, "repository name `{r}` must be lowercase"),
            Self::HexRepository(r) => {
                write!(f, "repository name `{r}` cannot be a 64-character hexadecimal string")
            }
            Self::InvalidTag(t) => write!(f, "invalid tag `{t}`"),
            Self::InvalidDigest(d) => write!(f, "invalid digest `{d}`"),
        }
    }
}

impl std::error::Error for ImageRefError {}

impl ImageRef {
    /// The short name people type: `nginx` for `docker.io/library/nginx`,
    /// `bitnami/redis` for `docker.io/bitnami/redis`, `ghcr.io/x/y` otherwise.
    pub fn familiar_name(&self) -> String {
        if self.registry != DEFAULT_REGISTRY {
            return format!("{}/{}", self.registry, self.repository);
        }
        let official = self
            .repository
            .strip_prefix(OFFICIAL_NAMESPACE)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|rest| !rest.contains('/'));
        official.unwrap_or(&self.repository).to_string()
    }

    /// The full name without tag or digest, e.g. `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The tag a pull would use: the written tag, `latest` when there is neither tag nor
    /// digest, and `None` for a digest-only reference such as `nginx@sha256:…`.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// Whether the reference is pinned by digest, e.g. true for `nginx@sha256:…`.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }
}

impl fmt::Display for ImageRef {
    /// Writes the canonical form, e.g. `docker.io/library/nginx:1.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Parses an image reference such as `nginx`, `nginx:1.25@sha256:…` or
/// `localhost:5000/team/app:v1`, filling in `docker.io` and `library/` like docker does.
///
/// A first path component is a registry only if it contains `.` or `:` or is
/// `localhost`, so `reg:5000/app` is registry `reg:5000` with no tag.
pub fn parse(s: &str) -> Result<ImageRef, ImageRefError> {
    let p = parts(s)?;
    Ok(ImageRef {
        registry: p.registry.to_string(),
        repository: normalize_repository(p.registry, p.path),
        tag: p.tag.map(str::to_string),
        digest: p.digest.map(str::to_string),
        explicit_registry: p.explicit_registry,
    })
}

/// The parts of a valid image reference, borrowed from it: what [`parse`] checks, without
/// allocating (the builtins that want one part use this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    /// Registry as written, or `docker.io`.
    pub registry: &'a str,
    /// Repository path as written (without the `library/` of official images).
    pub path: &'a str,
    /// Tag as written.
    pub tag: Option<&'a str>,
    /// Digest as written.
    pub digest: Option<&'a str>,
    /// Whether the registry was written.
    pub explicit_registry: bool,
}

/// Checks an image reference and splits it into borrowed [`Parts`].
pub fn parts(s: &str) -> Result<Parts<'_>, ImageRefError> {
    match plain_parts(s.as_bytes()) {
        Some(p) => Ok(p.parts(s)),
        None => parts_in_full(s),
    }
}

/// Byte classes for [`plain_parts`].
const LOWER: u8 = 1; // a-z 0-9: path and tag and domain
const UPPER: u8 = 2; // A-Z: tag and domain
const WORD_SEP: u8 = 4; // _
const DOT: u8 = 8;
const DASH: u8 = 16;

#[allow(clippy::indexing_slicing, reason = "a const loop over the table's own indices")]
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            LOWER
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c == b'_' {
            WORD_SEP
        } else if c == b'.' {
            DOT
        } else if c == b'-' {
            DASH
        } else {
            0
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

/// The class of byte `c` (the look-up needs no bounds check: a byte indexes 256 entries).
fn class(c: u8) -> u8 {
    CLASS.get(c as usize).copied().unwrap_or(0)
}

/// The parts of a reference of the usual shape (`[host[:port]/]path[:tag][@sha256:hex]`, a
/// lowercase path, an ASCII host name), checked in one pass over each part with a byte-class
/// table; `None` for anything else, valid or not, which [`parts_in_full`] decides. Agrees with
/// it wherever it answers (a test compares them on every short string over the grammar's bytes).
fn plain_parts(b: &[u8]) -> Option<Spans> {
    if b.is_empty() || b.len() > NAME_MAX {
        return None;
    }
    // The separators: the first `@`, and before it the first and last `/` and the last `:`.
    let (mut first_slash, mut last_slash, mut last_colon) = (None, None, None);
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'/' => {
                first_slash = first_slash.or(Some(i));
                last_slash = Some(i);
            }
            b':' => last_colon = Some(i),
            b'@' => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let digest = if end < b.len() {
        let d = b.get(end + 1..)?;
        let hex = d.strip_prefix(b"sha256:")?;
        if hex.len() != 64 || !hex.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Some((end + 1, b.len()))
    } else {
        None
    };
    // The tag's colon comes after the last slash.
    let (name_end, tag) = match last_colon {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => (c, Some((c + 1, end))),
        _ => (end, None),
    };
    if let Some((t0, t1)) = tag {
        let t = b.get(t0..t1)?;
        let (first, rest) = t.split_first()?;
        let word = LOWER | UPPER | WORD_SEP;
        if t.len() > TAG_MAX
            || class(*first) & word == 0
            || !rest.iter().all(|c| class(*c) & (word | DOT | DASH) != 0)
        {
            return None;
        }
    }
    // A first component with `.` or `:`, or `localhost`, is a registry.
    let (registry, path_start) = match first_slash.filter(|sl| *sl < name_end) {
        Some(sl) => {
            let first = b.get(..sl)?;
            if first.iter().any(|c| *c == b'.' || *c == b':') || first == b"localhost" {
                if !plain_host(first) {
                    return None;
                }
                (Some((0, sl)), sl + 1)
            } else {
                (None, 0)
            }
        }
        None => (None, 0),
    };
    let path = b.get(path_start..name_end)?;
    if !valid_path(path) || registry.is_none() && is_lower_hex_bytes(path, 64) {
        return None;
    }
    Some(Spans { registry, path: (path_start, name_end), tag, digest })
}

/// `host[:port]`, the host of ASCII letters, digits and `-` in dot-separated components that
/// start and end with a letter or digit.
fn plain_host(b: &[u8]) -> bool {
    let (host, port) = match b.iter().position(|c| *c == b':') {
        Some(i) => (b.get(..i).unwrap_or_default(), b.get(i + 1..)),
        None => (b, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    let mut edge = true; // at the start of a component
    let mut last = 0u8;
    for &c in host {
        let class = class(c);
        if c == b'.' {
            if edge || last == b'-' {
                return false;
            }
            edge = true;
        } else if class & (LOWER | UPPER) != 0 || c == b'-' && !edge {
            edge = false;
        } else {
            return false;
        }
        last = c;
    }
    !edge && last != b'-'
}

fn is_lower_hex_bytes(s: &[u8], len: usize) -> bool {
    s.len() == len && s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// [`parts`] by the general route: every case and every error.
fn parts_in_full(s: &str) -> Result<Parts<'_>, ImageRefError> {
    if s.is_empty() {
        return Err(ImageRefError::Empty);
    }
    // One pass finds the separators: the first `@`, and before it the first and last `/` and
    // the last `:`.
    let (mut at, mut first_slash, mut last_slash, mut last_colon) = (None, None, None, None);
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'@' => {
                at = Some(i);
                break;
            }
            b'/' => {
                first_slash = first_slash.or(Some(i));
                last_slash = Some(i);
            }
            b':' => last_colon = Some(i),
            _ => {}
        }
    }
    let (rest, digest) = match at {
        Some(at) => (
            s.get(..at).unwrap_or_default(),
            Some(validate_digest(s.get(at + 1..).unwrap_or_default())?),
        ),
        None => (s, None),
    };
    // The tag's colon comes after the last slash.
    let (name, tag) = match last_colon {
        Some(colon) if last_slash.is_none_or(|sl| colon > sl) => {
            (rest.get(..colon).unwrap_or_default(), rest.get(colon + 1..))
        }
        _ => (rest, None),
    };
    if let Some(t) = tag {
        validate_tag(t)?;
    }
    if name.is_empty() {
        return Err(ImageRefError::InvalidRepository(s.to_string()));
    }
    if name.len() > NAME_MAX {
        return Err(ImageRefError::NameTooLong(name.len()));
    }
    let (registry, path, explicit) = split_registry(name, first_slash);
    if explicit {
        validate_registry(registry)?;
    }
    validate_path(path)?;
    if !explicit && is_hex64(path) {
        return Err(ImageRefError::HexRepository(path.to_string()));
    }
    Ok(Parts { registry, path, tag, digest, explicit_registry: explicit })
}

/// Where the parts of a valid reference sit in it, as byte ranges (the registry `None` when it
/// is the `docker.io` default): [`Parts`] without the borrow, so they can be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spans {
    registry: Option<(usize, usize)>,
    path: (usize, usize),
    tag: Option<(usize, usize)>,
    digest: Option<(usize, usize)>,
}

impl Spans {
    fn of(s: &str, p: &Parts<'_>) -> Spans {
        // Every part but the default registry is a slice of `s`.
        let at = |part: &str| {
            let start = (part.as_ptr() as usize).wrapping_sub(s.as_ptr() as usize);
            (start, start + part.len())
        };
        Spans {
            registry: p.explicit_registry.then(|| at(p.registry)),
            path: at(p.path),
            tag: p.tag.map(at),
            digest: p.digest.map(at),
        }
    }

    fn parts<'a>(&self, s: &'a str) -> Parts<'a> {
        let get = |(a, b): (usize, usize)| s.get(a..b).unwrap_or_default();
        Parts {
            registry: self.registry.map_or(DEFAULT_REGISTRY, get),
            path: get(self.path),
            tag: self.tag.map(get),
            digest: self.digest.map(get),
            explicit_registry: self.registry.is_some(),
        }
    }
}

/// References [`parts_cached`] checked on this thread, and their parts when valid: a small
/// direct-mapped cache, a slot per hash of the text.
struct Checked {
    slots: [(String, Option<Spans>); CACHE_SLOTS],
}

/// How many references [`parts_cached`] remembers per thread. A cluster's workloads run a few
/// dozen images between them, and one document's containers a handful.
const CACHE_SLOTS: usize = 32;

thread_local! {
    static CHECKED: std::cell::RefCell<Checked> = const {
        std::cell::RefCell::new(Checked { slots: [const { (String::new(), None) }; CACHE_SLOTS] })
    };
}

/// [`parts`], remembering the references checked on this thread: rules ask for several parts
/// of one image in a row (`image_digest(x) == null && image_tag(x) == …`), and the same images
/// recur from workload to workload. `None` for an invalid reference.
pub fn parts_cached(s: &str) -> Option<Parts<'_>> {
    spans_cached(s, |sp| sp.parts(s))
}

/// The tag of the reference `s`, as [`parts_cached`] gives it, without the other parts.
pub fn tag_cached(s: &str) -> Option<&str> {
    spans_cached(s, |sp| sp.tag.and_then(|(a, b)| s.get(a..b))).flatten()
}

/// The digest of the reference `s`, as [`parts_cached`] gives it, without the other parts.
pub fn digest_cached(s: &str) -> Option<&str> {
    spans_cached(s, |sp| sp.digest.and_then(|(a, b)| s.get(a..b))).flatten()
}

/// `read` of the spans of the reference `s`, from the thread's cache (see [`parts_cached`]).
#[inline]
fn spans_cached<T>(s: &str, read: impl Fn(&Spans) -> T) -> Option<T> {
    use std::hash::BuildHasher;
    let read = &read;
    let uncached = || parts(s).ok().map(|p| read(&Spans::of(s, &p)));
    // References longer than the grammar allows are refused at once; not worth a slot.
    if s.len() > NAME_MAX {
        return uncached();
    }
    let slot = rustc_hash::FxBuildHasher.hash_one(s.as_bytes()) as usize % CACHE_SLOTS;
    CHECKED.with(|checked| {
        let Ok(mut checked) = checked.try_borrow_mut() else { return uncached() };
        let Some((text, spans)) = checked.slots.get_mut(slot) else { return uncached() };
        if text != s {
            text.clear();
            text.push_str(s);
            // The usual shape gives its spans at once; anything else takes the general route.
            *spans = plain_parts(s.as_bytes())
                .or_else(|| parts_in_full(s).ok().map(|p| Spans::of(s, &p)));
        }
        spans.as_ref().map(read)
    })
}

/// Splits off the registry when the first component looks like a host.
fn split_registry(name: &str, first_slash: Option<usize>) -> (&str, &str, bool) {
    // The first slash of the whole reference is the name's: a tag or digest has none.
    let Some(slash) = first_slash.filter(|i| *i < name.len()) else {
        return (DEFAULT_REGISTRY, name, false);
    };
    let first = name.get(..slash).unwrap_or_default();
    if first.bytes().any(|b| b == b'.' || b == b':') || first == "localhost" {
        (first, name.get(slash + 1..).unwrap_or_default(), true)
    } else {
        (DEFAULT_REGISTRY, name, false)
    }
}

fn normalize_repository(registry: &str, path: &str) -> String {
    if registry == DEFAULT_REGISTRY && !path.contains('/') {
        format!("{OFFICIAL_NAMESPACE}/{path}")
    } else {
        path.to_string()
    }
}

fn validate_tag(tag: &str) -> Result<(), ImageRefError> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut bytes = tag.bytes();
    let first_ok = bytes.next().is_some_and(word);
    let rest_ok = bytes.all(|c| word(c) || c == b'.' || c == b'-');
    if first_ok && rest_ok && tag.len() <= TAG_MAX {
        Ok(())
    } else {
        Err(ImageRefError::InvalidTag(tag.to_string()))
    }
}

fn validate_digest(d: &str) -> Result<&str, ImageRefError> {
    let bad = || ImageRefError::InvalidDigest(d.to_string());
    let (algo, hex) = d.split_once(':').ok_or_else(bad)?;
    if !valid_digest_algorithm(algo) || hex.len() < 32 {
        return Err(bad());
    }
    let ok = match algo {
        "sha256" => is_lower_hex(hex, 64),
        "sha384" => is_lower_hex(hex, 96),
        "sha512" => is_lower_hex(hex, 128),
        _ => hex.chars().all(|c| c.is_ascii_hexdigit()),
    };
    if ok { Ok(d) } else { Err(bad()) }
}

/// `[A-Za-z][A-Za-z0-9]*` components joined by one of `+.-_`.
fn valid_digest_algorithm(algo: &str) -> bool {
    algo.split(['+', '.', '-', '_']).all(|comp| {
        let mut chars = comp.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric())
    })
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_hex64(s: &str) -> bool {
    is_lower_hex(s, 64)
}

fn validate_registry(reg: &str) -> Result<(), ImageRefError> {
    let ok = match reg.strip_prefix('[') {
        Some(rest) => valid_ipv6_host(rest),
        None => match reg.split_once(':') {
            Some((host, port)) => valid_domain(host) && valid_port(port),
            None => valid_domain(reg),
        },
    };
    if ok { Ok(()) } else { Err(ImageRefError::InvalidRegistry(reg.to_string())) }
}

/// Checks `::1]` or `::1]:5000` (the part after the opening bracket).
fn valid_ipv6_host(rest: &str) -> bool {
    let Some((addr, after)) = rest.split_once(']') else {
        return false;
    };
    let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(valid_port);
    port_ok && addr.parse::<Ipv6Addr>().is_ok()
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit())
}

/// `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` components joined by dots.
fn valid_domain(host: &str) -> bool {
    host.as_bytes().split(|c| *c == b'.').all(|comp| {
        let edge_ok = |c: Option<&u8>| c.is_some_and(u8::is_ascii_alphanumeric);
        edge_ok(comp.first())
            && edge_ok(comp.last())
            && comp.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    })
}

fn validate_path(path: &str) -> Result<(), ImageRefError> {
    if valid_path(path.as_bytes()) {
        Ok(())
    } else if path.bytes().any(|c| c.is_ascii_uppercase()) {
        Err(ImageRefError::UppercaseRepository(path.to_string()))
    } else {
        Err(ImageRefError::InvalidRepository(path.to_string()))
    }
}

/// Components joined by `/`, each `[a-z0-9]+` runs joined by `_`, `.`, `__` or one or more `-`:
/// one pass over the bytes.
fn valid_path(path: &[u8]) -> bool {
    #[derive(PartialEq)]
    enum At {
        /// The start of a component: a letter or digit must follow.
        Start,
        /// Inside a run of letters and digits.
        Run,
        /// Inside a separator: its byte and length so far.
        Sep(u8, usize),
    }
    let mut at = At::Start;
    for &c in path {
        let alnum = c.is_ascii_lowercase() || c.is_ascii_digit();
        at = match at {
            _ if alnum => At::Run,
            At::Run if c == b'/' => At::Start,
            At::Run if matches!(c, b'_' | b'.' | b'-') => At::Sep(c, 1),
            At::Sep(b'-', n) if c == b'-' => At::Sep(c, n + 1),
            At::Sep(b'_', 1) if c == b'_' => At::Sep(c, 2),
            _ => return false,
        };
    }
    at == At::Run
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

    /// The remembered parts are the parts: whether a reference was checked just before, long
    /// before (its slot since taken by another), or never, and whether it is valid.
    #[test]
    fn cached_parts_agree() {
        let refs = [
            "nginx",
            "nginx",
            "nginx:1.25",
            "ghcr.io/acme/api:2.4.1",
            "ghcr.io/acme/api:2.4.1",
            "localhost:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "UPPER/x",
            "UPPER/x",
            "nginx",
            "",
            "[::1]:5000/a/b:c",
        ];
        // Each part reader agrees with the general route, whether it fills the slot or hits it.
        let agree = |r: &str| {
            let want = parts(r).ok();
            assert_eq!(parts_cached(r), want, "{r}");
            assert_eq!(tag_cached(r), want.and_then(|p| p.tag), "{r}");
            assert_eq!(digest_cached(r), want.and_then(|p| p.digest), "{r}");
        };
        for r in refs {
            // A copy, so a hit is on equal text at another address.
            let copy = String::from(r);
            assert_eq!(parts_cached(&copy), parts(r).ok(), "{r}");
            agree(&copy);
            agree(&String::from(r));
        }
        // More references than the cache has slots, twice over in turn, and one over the name
        // limit: each evicts or reuses slots, and every answer is still the general route's.
        let many: Vec<String> = (0..3 * CACHE_SLOTS)
            .map(|i| match i % 3 {
                0 => format!("registry-{i}.example.com/team/app:{i}"),
                1 => format!("app{i}"),
                _ => format!("Bad{i}:/"),
            })
            .chain([format!("{}:tag", "a".repeat(NAME_MAX + 1))])
            .collect();
        for r in many.iter().chain(&many).chain(many.iter().rev()) {
            assert_eq!(parts_cached(r), parts(r).ok(), "{r}");
            agree(r);
        }
    }

    /// The one-pass route agrees with the general one wherever it answers: on every string of
    /// up to five bytes over the grammar's interesting bytes, and on longer usual references.
    #[test]
    fn plain_parts_agree_with_the_general_route() {
        let mut answered = 0;
        every_string(b"aZ1_.-/:@[", 5, |text| {
            if let Some(p) = plain_parts(text.as_bytes()) {
                answered += 1;
                assert_eq!(Ok(p.parts(text)), parts_in_full(text), "{text:?}");
            }
        });
        assert!(answered > 1000, "the plain route answered only {answered} times");
        let hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let more = [
            "nginx:1.25.3".to_string(),
            "registry.example.com:5000/team/worker".into(),
            "quay.io/prometheus/node-exporter:v1.7.0".into(),
            format!("redis@sha256:{hex}"),
            format!("redis:7@sha256:{hex}"),
            format!("redis@sha256:{}", hex.to_uppercase()),
            format!("redis@sha512:{hex}"),
            hex.to_string(),
            format!("reg.io/{hex}"),
            "localhost/app:v1".into(),
            "localhost:5000/app".into(),
            "-bad.io/app".into(),
            "bad-.io/app".into(),
            "a..b.io/app".into(),
            "reg.io:/app".into(),
            "reg.io:50a/app".into(),
            "Reg.IO/app:TAG".into(),
            "app:.bad".into(),
            format!("app:{}", "t".repeat(129)),
            format!("app:{}", "t".repeat(128)),
            format!("{}/app", "a".repeat(250)),
        ];
        for text in &more {
            if let Some(p) = plain_parts(text.as_bytes()) {
                assert_eq!(Ok(p.parts(text)), parts_in_full(text), "{text:?}");
            }
            assert_eq!(parts(text), parts_in_full(text), "{text:?}");
        }
    }

    /// The one-pass path check agrees with the distribution reference grammar's regular
    /// expression on every string of up to six characters over the interesting bytes.
    #[test]
    fn path_check_agrees_with_the_grammar() {
        let grammar = regex::Regex::new(
            r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$",
        )
        .unwrap();
        every_string(b"a1_.-/", 6, |text| {
            assert_eq!(valid_path(text.as_bytes()), grammar.is_match(text), "{text:?}");
        });
    }

    /// Calls `check` with every string of up to `max` bytes over `alphabet` (ASCII).
    fn every_string(alphabet: &[u8], max: u32, mut check: impl FnMut(&str)) {
        let mut s = Vec::new();
        for len in 0..=max {
            for mut n in 0..alphabet.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                check(std::str::from_utf8(&s).unwrap());
            }
        }
    }

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn ok(s: &str) -> ImageRef {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn official_image() {
        let r = ok("nginx");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/nginx");
        assert_eq!(r.tag, None);
        assert_eq!(r.digest, None);
        assert!(!r.explicit_registry);
        assert_eq!(r.familiar_name(), "nginx");
        assert_eq!(r.effective_tag(), Some("latest"));
        assert_eq!(r.to_string(), "docker.io/library/nginx");
    }

    #[test]
    fn tagged() {
        let r = ok("nginx:1.25");
        assert_eq!(r.tag.as_deref(), Some("1.25"));
        assert_eq!(r.repository, "library/nginx");
    }

    #[test]
    fn digest_only() {
        let r = ok(&format!("nginx@{SHA}"));
        assert_eq!(r.tag, None);
        assert_eq!(r.digest.as_deref(), Some(SHA));
        assert!(r.is_pinned());
        assert_eq!(r.effective_tag(), None);
    }

    #[test]
    fn tag_and_digest() {
        let r = ok(&format!("nginx:1.25@{SHA}"));
        assert_eq!(r.tag.as_deref(), Some("1.25"));
        assert_eq!(r.digest.as_deref(), Some(SHA));
        assert_eq!(r.to_string(), format!("docker.io/library/nginx:1.25@{SHA}"));
    }

    #[test]
    fn localhost_with_port() {
        let r = ok("localhost:5000/a/b:t");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.tag.as_deref(), Some("t"));
        assert!(r.explicit_registry);
        assert_eq!(r.familiar_name(), "localhost:5000/a/b");
    }

    #[test]
    fn bare_localhost_is_registry() {
        let r = ok("localhost/app");
        assert_eq!(r.registry, "localhost");
        assert_eq!(r.repository, "app");
    }

    #[test]
    fn registry_port_is_not_a_tag() {
        let r = ok("reg:5000/app");
        assert_eq!(r.registry, "reg:5000");
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn ipv6_registry() {
        let r = ok("[::1]:5000/x");
        assert_eq!(r.registry, "[::1]:5000");
        assert_eq!(r.repository, "x");
        assert_eq!(r.tag, None);
        let r = ok("[2001:db8::1]/team/app:v2");
        assert_eq!(r.registry, "[2001:db8::1]");
        assert_eq!(r.tag.as_deref(), Some("v2"));
    }

    #[test]
    fn bad_ipv6_registry() {
        assert!(matches!(parse("[::zz]:5000/x"), Err(ImageRefError::InvalidRegistry(_))));
        assert!(parse("[::1/x").is_err());
    }

    #[test]
    fn explicit_docker_io() {
        let r = ok("docker.io/library/nginx");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/nginx");
        assert!(r.explicit_registry);
        assert_eq!(r.familiar_name(), "nginx");
        let r = ok("docker.io/nginx");
        assert_eq!(r.repository, "library/nginx");
    }

    #[test]
    fn index_docker_io_kept_as_given() {
        let r = ok("index.docker.io/library/nginx");
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.repository, "library/nginx");
    }

    #[test]
    fn user_namespace() {
        let r = ok("bitnami/redis:7.2");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "bitnami/redis");
        assert_eq!(r.familiar_name(), "bitnami/redis");
    }

    #[test]
    fn ghcr() {
        let r = ok("ghcr.io/x/y:latest");
        assert_eq!(r.registry, "ghcr.io");
        assert_eq!(r.repository, "x/y");
        assert_eq!(r.familiar_name(), "ghcr.io/x/y");
    }

    #[test]
    fn deep_path_and_separators() {
        let r = ok("gcr.io/my-proj/sub.dir/my__app-x_y:v1.2.3-rc_1");
        assert_eq!(r.repository, "my-proj/sub.dir/my__app-x_y");
        assert_eq!(r.tag.as_deref(), Some("v1.2.3-rc_1"));
        assert!(ok("a/b---c").repository.ends_with("b---c"));
    }

    #[test]
    fn uppercase_tag_allowed() {
        assert_eq!(ok("nginx:Latest_X").tag.as_deref(), Some("Latest_X"));
    }

    #[test]
    fn empty_is_error() {
        assert_eq!(parse(""), Err(ImageRefError::Empty));
    }

    #[test]
    fn tag_without_name() {
        assert!(matches!(parse(":tag"), Err(ImageRefError::InvalidRepository(_))));
    }

    #[test]
    fn uppercase_repository() {
        assert_eq!(parse("UPPER/x"), Err(ImageRefError::UppercaseRepository("UPPER/x".into())));
        assert!(matches!(parse("ghcr.io/Org/app"), Err(ImageRefError::UppercaseRepository(_))));
    }

    #[test]
    fn short_digest() {
        assert!(matches!(parse("a@sha256:short"), Err(ImageRefError::InvalidDigest(_))));
        assert!(parse(&format!("a@{}", &SHA[..SHA.len() - 1])).is_err());
        assert!(parse(&format!("a@{}", SHA.to_uppercase().replace("SHA", "sha"))).is_err());
    }

    #[test]
    fn other_digest_algorithms() {
        let hex32 = "0123456789abcdef0123456789abcdef";
        assert!(parse(&format!("a@multihash+base58:{hex32}")).is_ok());
        assert!(parse(&format!("a@1bad:{hex32}")).is_err());
        assert!(parse("a@sha256").is_err());
    }

    #[test]
    fn bad_tags() {
        assert!(matches!(parse("nginx:"), Err(ImageRefError::InvalidTag(_))));
        assert!(parse("nginx:.x").is_err());
        assert!(parse("nginx:-x").is_err());
        assert!(parse(&format!("nginx:{}", "a".repeat(129))).is_err());
        assert!(parse(&format!("nginx:{}", "a".repeat(128))).is_ok());
    }

    #[test]
    fn bad_paths() {
        for s in ["a//b", "/a", "a/", "-a", "a-", "a..b", "a___b", "a_.b", "a b", "a/b c"] {
            assert!(parse(s).is_err(), "{s} should fail");
        }
    }

    #[test]
    fn bad_registries() {
        for s in ["-reg.io/x", "reg..io/x", "reg.io:/x", "reg.io:abc/x", "re_g.io/x"] {
            assert!(matches!(parse(s), Err(ImageRefError::InvalidRegistry(_))), "{s} should fail");
        }
    }

    #[test]
    fn hex_repository_rejected() {
        let hex = &SHA[7..];
        assert!(matches!(parse(hex), Err(ImageRefError::HexRepository(_))));
        assert!(parse(&format!("ghcr.io/{hex}")).is_ok());
    }

    #[test]
    fn host_only_name_is_image() {
        // Like docker, `localhost:5000` alone is image `localhost` with tag `5000`.
        let r = ok("localhost:5000");
        assert_eq!(r.repository, "library/localhost");
        assert_eq!(r.tag.as_deref(), Some("5000"));
    }

    #[test]
    fn too_long_and_garbage() {
        let long = format!("a/{}", "b".repeat(300));
        assert!(matches!(parse(&long), Err(ImageRefError::NameTooLong(_))));
        for s in ["@", "@@@", ":::", "[", "]", "é", "nginx@", "a:b:c", "\0", "a\n"] {
            assert!(parse(s).is_err(), "{s:?} should fail");
        }
        let huge = "x".repeat(1_000_000);
        assert!(parse(&huge).is_err());
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            parse("UPPER/x").unwrap_err().to_string(),
            "repository name `UPPER/x` must be lowercase"
        );
        assert_eq!(parse("").unwrap_err().to_string(), "image reference is empty");
        assert_eq!(parse("a@x").unwrap_err().to_string(), "invalid digest `x`");
    }
}
