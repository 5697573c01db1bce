//! Shannon entropy of strings and a simple "looks like a secret" heuristic.

use std::collections::HashMap;

/// Shannon entropy in bits per character, counted over `char`s:
/// `""` and `"aaaa"` give `0.0`, `"ab"` gives `1.0`, `"abcd"` gives `2.0`.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `s` is at least `min_len` characters long and has at least
/// `min_entropy` bits per character, e.g. a 40-character random token passes
/// `looks_like_secret(token, 20, 3.5)` while `"password"` does not.
pub fn looks_like_secret(s: &str, min_len: usize, min_entropy: f64) -> bool {
    s.chars().count() >= min_len && shannon_entropy(s) >= min_entropy
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

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn known_values() {
        assert!(close(shannon_entropy(""), 0.0));
        assert!(close(shannon_entropy("aaaa"), 0.0));
        assert!(close(shannon_entropy("ab"), 1.0));
        assert!(close(shannon_entropy("abcd"), 2.0));
        assert!(close(shannon_entropy("aabb"), 1.0));
        assert!(close(shannon_entropy("0123456789abcdef"), 4.0));
    }

    #[test]
    fn counts_chars_not_bytes() {
        assert!(close(shannon_entropy("éé"), 0.0));
        assert!(close(shannon_entropy("日本"), 1.0));
    }

    #[test]
    fn secrets() {
        let token = "ghp_Zx8fK2mQ9rT4vL7wN1pS6yB3cD5hJ0aE";
        assert!(looks_like_secret(token, 20, 3.5));
        assert!(!looks_like_secret("password", 8, 3.5));
        assert!(!looks_like_secret("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 20, 1.0));
        assert!(!looks_like_secret("Zx8fK2", 20, 2.0));
        assert!(looks_like_secret("", 0, 0.0));
    }

    #[test]
    fn bounded_by_alphabet() {
        let s: String = (0..1000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let e = shannon_entropy(&s);
        assert!(e <= 26f64.log2() + 1e-9);
        assert!(e > 4.6);
    }

    #[test]
    fn huge_input() {
        let s = "xy".repeat(500_000);
        assert!(close(shannon_entropy(&s), 1.0));
        assert!(!shannon_entropy("\u{0}\u{ffff}").is_nan());
    }
}
