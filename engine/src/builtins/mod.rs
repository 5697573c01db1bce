//! The builtin table: each builtin's name, signature, documentation and implementation, in one
//! place. The checker reads the signatures (through [`signatures`]) and the compiler the
//! implementations, so the two cannot disagree.

mod core;
pub(crate) use self::core::base64_decode;
#[cfg(test)]
pub(crate) use self::core::base64_encode;
pub mod domain;
mod k8s;

use crate::value::{Docs, Value};

/// A builtin's implementation.
#[derive(Clone, Copy)]
pub enum Impl {
    /// A pure function of its arguments.
    Pure(fn(&[Value], &dyn Docs) -> Result<Value, String>),
    /// A higher-order function, which the compiler calls lambdas for.
    Higher(Higher),
    /// `matches(s, pattern)`: compiled specially so constant patterns compile once.
    Regex,
    /// `of(inputs, Kind)`: documents of given kinds, from the input index.
    Of,
}

/// Higher-order builtins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Higher {
    /// `xs.any(x => …)`.
    Any,
    /// `xs.all(x => …)`.
    All,
    /// `xs.filter(x => …)`.
    Filter,
    /// `xs.map(x => …)`.
    Map,
    /// `xs.count(x => …)`.
    Count,
    /// `xs.find(x => …)`.
    Find,
    /// `xs.sort_by(x => …)`.
    SortBy,
    /// `xs.flat_map(x => …)`.
    FlatMap,
}

/// One builtin.
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// Its signature, e.g. `fn(list<T>, fn(T) -> bool) -> bool`.
    pub sig: &'static str,
    /// One-paragraph documentation.
    pub doc: &'static str,
    /// Examples, as `expression --> result` lines run by the spec tests.
    pub examples: &'static [(&'static str, &'static str)],
    /// The implementation.
    pub imp: Impl,
    /// For a builtin whose value is a part of its one string argument (`image_tag`): that
    /// part, borrowed. The evaluator compares it in place (`image_tag(x) == "latest"`) without
    /// making a string value; it agrees with `imp`.
    pub part: Option<PartFn>,
}

/// See [`Builtin::part`].
pub type PartFn = fn(&str) -> Option<&str>;

/// Every builtin, in a fixed order: a builtin's index here is its id in the typed IR.
pub fn table() -> &'static [Builtin] {
    static TABLE: std::sync::OnceLock<Vec<Builtin>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Vec::new();
        t.extend(core::builtins());
        t.extend(k8s::builtins());
        t
    })
}

/// The signatures of [`table`], for the checker.
pub fn signatures() -> Result<Vec<ward_lang::BuiltinSig>, String> {
    table().iter().map(|b| ward_lang::BuiltinSig::parse(b.name, b.sig)).collect()
}

/// Shorthand for a pure builtin entry.
pub(crate) const fn pure(
    name: &'static str,
    sig: &'static str,
    doc: &'static str,
    examples: &'static [(&'static str, &'static str)],
    f: fn(&[Value], &dyn Docs) -> Result<Value, String>,
) -> Builtin {
    Builtin { name, sig, doc, examples, imp: Impl::Pure(f), part: None }
}

impl Builtin {
    /// The builtin with [`Builtin::part`] set.
    pub(crate) const fn with_part(self, part: PartFn) -> Builtin {
        Builtin { part: Some(part), ..self }
    }
}

/// The string argument `i`.
pub(crate) fn arg_str<'a>(
    args: &'a [Value],
    i: usize,
    docs: &'a dyn Docs,
) -> Result<&'a str, String> {
    args.get(i)
        .and_then(|v| v.as_str(docs))
        .ok_or_else(|| format!("argument {} is not a string", i + 1))
}

/// Orders two values: numbers, then strings.
pub(crate) fn compare_values(
    x: &Value,
    y: &Value,
    docs: &(impl Docs + ?Sized),
) -> std::cmp::Ordering {
    core::compare(x, y, docs)
}

#[cfg(test)]
mod tests {
    /// A builtin's [`super::Builtin::part`] gives what its implementation gives.
    #[test]
    fn parts_agree_with_their_builtins() {
        use crate::value::Value;
        let texts = [
            "",
            "nginx",
            "nginx:1.25",
            "nginx:latest",
            "reg:5000/app",
            "reg:5000/app:v1",
            "ghcr.io/acme/api:2.4.1",
            "Not A Reference",
            "a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "a:b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ":",
            "@",
            "a/",
        ];
        let cx = crate::eval::Cx::empty();
        let mut checked = 0;
        for b in super::table() {
            let (Some(part), super::Impl::Pure(imp)) = (b.part, b.imp) else { continue };
            for t in texts {
                let full = imp(&[Value::str(t)], &cx).unwrap();
                let want = full.as_str(&cx).map(str::to_string);
                assert_eq!(part(t).map(str::to_string), want, "{}({t:?})", b.name);
                checked += 1;
            }
        }
        assert!(checked >= 2 * texts.len(), "the image builtins have parts");
    }

    #[test]
    fn every_signature_parses() {
        let sigs = super::signatures().unwrap();
        assert_eq!(sigs.len(), super::table().len());
    }
}
