//! General builtins: strings, lists, maps, sets, regular expressions, encodings, higher-order.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Builtin, Higher, Impl, arg_str, pure};
use crate::value::{Docs, Text, Value};

fn higher(
    name: &'static str,
    sig: &'static str,
    doc: &'static str,
    examples: &'static [(&'static str, &'static str)],
    h: Higher,
) -> Builtin {
    Builtin { name, sig, doc, examples, imp: Impl::Higher(h), part: None }
}

fn items(args: &[Value], i: usize, docs: &dyn Docs) -> Result<Vec<Value>, String> {
    args.get(i)
        .and_then(|v| v.items(docs))
        .ok_or_else(|| format!("argument {} is not a list", i + 1))
}

fn list(v: Vec<Value>) -> Value {
    Value::List(Arc::new(v))
}

fn strs(v: impl IntoIterator<Item = String>) -> Value {
    list(v.into_iter().map(|s| Value::Str(s.into())).collect())
}

fn opt_str(s: Option<String>) -> Value {
    s.map_or(Value::Null, |s| Value::Str(s.into()))
}

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        pure(
            "exists",
            "fn(T?) -> bool",
            "Whether a value is present (not absent and not `null`).",
            &[("exists(null)", "false"), ("exists(0)", "true")],
            |a, d| Ok(Value::Bool(!a.first().is_none_or(|v| v.is_null(d)))),
        ),
        pure(
            "len",
            "fn(string) -> int",
            "The number of characters of a string.",
            &[("len(\"héllo\")", "5")],
            |a, d| Ok(Value::Int(arg_str(a, 0, d)?.chars().count() as i64)),
        ),
        pure(
            "len",
            "fn(list<T>) -> int",
            "The number of items of a list.",
            &[("len([1, 2, 3])", "3")],
            |a, d| Ok(Value::Int(items(a, 0, d)?.len() as i64)),
        ),
        pure(
            "len",
            "fn(map<string, T>) -> int",
            "The number of entries of a map.",
            &[("len({a: 1})", "1")],
            |a, d| Ok(Value::Int(items(a, 0, d)?.len() as i64)),
        ),
        pure(
            "is_empty",
            "fn(list<T>) -> bool",
            "Whether a list has no items.",
            &[("is_empty([])", "true")],
            |a, d| Ok(Value::Bool(items(a, 0, d)?.is_empty())),
        ),
        pure(
            "is_empty",
            "fn(string) -> bool",
            "Whether a string is empty.",
            &[("is_empty(\"\")", "true")],
            |a, d| Ok(Value::Bool(arg_str(a, 0, d)?.is_empty())),
        ),
        pure(
            "is_empty",
            "fn(map<string, T>) -> bool",
            "Whether a map has no entries.",
            &[("is_empty({})", "true")],
            |a, d| Ok(Value::Bool(items(a, 0, d)?.is_empty())),
        ),
        pure(
            "lower",
            "fn(string) -> string",
            "The string in lower case.",
            &[("lower(\"AbC\")", "\"abc\"")],
            |a, d| Ok(Value::str(&arg_str(a, 0, d)?.to_lowercase())),
        ),
        pure(
            "upper",
            "fn(string) -> string",
            "The string in upper case.",
            &[("upper(\"AbC\")", "\"ABC\"")],
            |a, d| Ok(Value::str(&arg_str(a, 0, d)?.to_uppercase())),
        ),
        pure(
            "trim",
            "fn(string) -> string",
            "The string without leading and trailing whitespace.",
            &[("trim(\"  a b \")", "\"a b\"")],
            |a, d| Ok(Value::str(arg_str(a, 0, d)?.trim())),
        ),
        pure(
            "starts_with",
            "fn(string, string) -> bool",
            "Whether the string starts with the prefix.",
            &[("starts_with(\"nginx:1\", \"nginx\")", "true")],
            |a, d| Ok(Value::Bool(arg_str(a, 0, d)?.starts_with(arg_str(a, 1, d)?))),
        ),
        pure(
            "ends_with",
            "fn(string, string) -> bool",
            "Whether the string ends with the suffix.",
            &[("ends_with(\"a.yaml\", \".yaml\")", "true")],
            |a, d| Ok(Value::Bool(arg_str(a, 0, d)?.ends_with(arg_str(a, 1, d)?))),
        ),
        pure(
            "contains",
            "fn(string, string) -> bool",
            "Whether the string contains the other.",
            &[("contains(\"abc\", \"b\")", "true")],
            |a, d| Ok(Value::Bool(arg_str(a, 0, d)?.contains(arg_str(a, 1, d)?))),
        ),
        pure(
            "contains",
            "fn(list<T>, T) -> bool",
            "Whether the list contains the value.",
            &[("contains([1, 2], 2)", "true")],
            |a, d| {
                let needle = a.get(1).cloned().unwrap_or_default();
                Ok(Value::Bool(items(a, 0, d)?.iter().any(|x| x.equals(&needle, d))))
            },
        ),
        pure(
            "split",
            "fn(string, string) -> list<string>",
            "The parts of the string between separators.",
            &[("split(\"a,b\", \",\")", "[\"a\", \"b\"]")],
            |a, d| {
                let (s, sep) = (arg_str(a, 0, d)?, arg_str(a, 1, d)?);
                if sep.is_empty() {
                    return Ok(strs(s.chars().map(String::from)));
                }
                Ok(strs(s.split(sep).map(String::from)))
            },
        ),
        pure(
            "join",
            "fn(list<string>, string) -> string",
            "The strings joined with a separator.",
            &[("join([\"a\", \"b\"], \"-\")", "\"a-b\"")],
            |a, d| {
                let sep = arg_str(a, 1, d)?;
                let parts: Vec<String> = items(a, 0, d)?.iter().map(|v| v.display(d)).collect();
                Ok(Value::str(&parts.join(sep)))
            },
        ),
        pure(
            "replace",
            "fn(string, string, string) -> string",
            "The string with every occurrence of the second replaced by the third.",
            &[("replace(\"a-b-c\", \"-\", \"+\")", "\"a+b+c\"")],
            |a, d| {
                let from = arg_str(a, 1, d)?;
                if from.is_empty() {
                    return Ok(Value::str(arg_str(a, 0, d)?));
                }
                Ok(Value::str(&arg_str(a, 0, d)?.replace(from, arg_str(a, 2, d)?)))
            },
        ),
        pure(
            "to_string",
            "fn(any) -> string",
            "The value as text: strings as they are, everything else as JSON.",
            &[("to_string(12)", "\"12\"")],
            |a, d| Ok(Value::str(&a.first().map(|v| v.display(d)).unwrap_or_default())),
        ),
        pure(
            "to_int",
            "fn(string) -> int?",
            "The decimal integer the string spells, or absent.",
            &[("to_int(\"42\")", "42"), ("to_int(\"x\")", "null")],
            |a, d| Ok(arg_str(a, 0, d)?.trim().parse::<i64>().map_or(Value::Null, Value::Int)),
        ),
        pure(
            "first",
            "fn(list<T>) -> T?",
            "The first item, or absent.",
            &[("first([1, 2])", "1")],
            |a, d| Ok(items(a, 0, d)?.into_iter().next().unwrap_or_default()),
        ),
        pure(
            "last",
            "fn(list<T>) -> T?",
            "The last item, or absent.",
            &[("last([1, 2])", "2")],
            |a, d| Ok(items(a, 0, d)?.pop().unwrap_or_default()),
        ),
        pure(
            "unique",
            "fn(list<T>) -> list<T>",
            "The items without repeats, in first-seen order.",
            &[("unique([1, 2, 1])", "[1, 2]")],
            |a, d| {
                let dd = d;
                let mut out: Vec<Value> = Vec::new();
                for v in items(a, 0, d)? {
                    if !out.iter().any(|o| o.equals(&v, dd)) {
                        out.push(v);
                    }
                }
                Ok(list(out))
            },
        ),
        pure(
            "sort",
            "fn(list<T>) -> list<T>",
            "The items in ascending order (numbers, then strings).",
            &[("sort([3, 1, 2])", "[1, 2, 3]")],
            |a, d| {
                let dd = d;
                let mut v: Vec<Value> = items(a, 0, d)?.into_iter().map(|x| x.scalar(dd)).collect();
                v.sort_by(|x, y| compare(x, y, dd));
                Ok(list(v))
            },
        ),
        pure(
            "reverse",
            "fn(list<T>) -> list<T>",
            "The items in reverse order.",
            &[("reverse([1, 2])", "[2, 1]")],
            |a, d| {
                let mut v = items(a, 0, d)?;
                v.reverse();
                Ok(list(v))
            },
        ),
        pure(
            "flatten",
            "fn(list<list<T>>) -> list<T>",
            "The items of the inner lists, in order.",
            &[("flatten([[1], [2, 3]])", "[1, 2, 3]")],
            |a, d| {
                let mut out = Vec::new();
                for inner in items(a, 0, d)? {
                    out.extend(inner.items(d).unwrap_or_default());
                }
                Ok(list(out))
            },
        ),
        pure(
            "intersection",
            "fn(list<T>, list<T>) -> list<T>",
            "The items of the first list that are also in the second.",
            &[("intersection([1, 2, 3], [2, 3, 4])", "[2, 3]")],
            |a, d| {
                let (x, y) = (items(a, 0, d)?, items(a, 1, d)?);
                Ok(list(x.into_iter().filter(|v| y.iter().any(|w| w.equals(v, d))).collect()))
            },
        ),
        pure(
            "difference",
            "fn(list<T>, list<T>) -> list<T>",
            "The items of the first list that are not in the second.",
            &[("difference([1, 2, 3], [2])", "[1, 3]")],
            |a, d| {
                let (x, y) = (items(a, 0, d)?, items(a, 1, d)?);
                Ok(list(x.into_iter().filter(|v| !y.iter().any(|w| w.equals(v, d))).collect()))
            },
        ),
        pure(
            "keys",
            "fn(map<string, T>) -> list<string>",
            "The keys of a map, in order.",
            &[("keys({b: 1, a: 2})", "[\"a\", \"b\"]")],
            |a, d| match a.first() {
                // A node's keys without pairing them with values first.
                Some(v @ Value::Node(_)) if v.is_map(d) => {
                    Ok(list(v.items(d).ok_or("argument 1 is not a map")?))
                }
                v => {
                    let e = v.and_then(|v| v.entries(d)).ok_or("argument 1 is not a map")?;
                    Ok(list(e.into_iter().map(|(k, _)| Value::Str(k)).collect()))
                }
            },
        ),
        pure(
            "values",
            "fn(map<string, T>) -> list<T>",
            "The values of a map, in key order.",
            &[("values({b: 1, a: 2})", "[2, 1]")],
            |a, d| {
                let e = a.first().and_then(|v| v.entries(d)).ok_or("argument 1 is not a map")?;
                Ok(list(e.into_iter().map(|(_, v)| v).collect()))
            },
        ),
        pure(
            "get",
            "fn(map<string, T>, string) -> T?",
            "The value under a key, or absent.",
            &[("get({a: 1}, \"a\")", "1"), ("get({a: 1}, \"b\")", "null")],
            |a, d| {
                let key = arg_str(a, 1, d)?;
                let e = a.first().and_then(|v| v.entries(d)).ok_or("argument 1 is not a map")?;
                Ok(e.into_iter().find(|(k, _)| &**k == key).map(|(_, v)| v).unwrap_or_default())
            },
        ),
        pure(
            "has_key",
            "fn(map<string, T>, string) -> bool",
            "Whether a map has a key.",
            &[("has_key({a: 1}, \"a\")", "true")],
            |a, d| {
                let key = arg_str(a, 1, d)?;
                let e = a.first().and_then(|v| v.entries(d)).ok_or("argument 1 is not a map")?;
                Ok(Value::Bool(e.iter().any(|(k, _)| &**k == key)))
            },
        ),
        Builtin {
            name: "matches",
            sig: "fn(string, string) -> bool",
            doc: "Whether the string contains a match of the regular expression (RE2 syntax, linear time). Anchor with `^…$` for a whole-string match. A constant pattern is compiled once with the policy (an invalid one is error E0401); a pattern known only at run time, from a parameter or a document, is compiled at its first use and kept for the next (an invalid one is run-time error E0505 at the call).",
            examples: &[("matches(\"nginx:1.25\", \"^nginx:[0-9.]+$\")", "true")],
            imp: Impl::Regex,
            part: None,
        },
        pure(
            "base64_decode",
            "fn(string) -> string?",
            "The text a standard base64 string encodes, or absent when it is not valid base64 of UTF-8 text.",
            &[("base64_decode(\"aGk=\")", "\"hi\"")],
            |a, d| {
                Ok(opt_str(
                    base64_decode(arg_str(a, 0, d)?).and_then(|b| String::from_utf8(b).ok()),
                ))
            },
        ),
        pure(
            "base64_encode",
            "fn(string) -> string",
            "The standard base64 encoding of the string.",
            &[("base64_encode(\"hi\")", "\"aGk=\"")],
            |a, d| Ok(Value::str(&base64_encode(arg_str(a, 0, d)?.as_bytes()))),
        ),
        pure(
            "json_pointer",
            "fn(any, string) -> any",
            "The value at a JSON Pointer (RFC 6901) inside a value, or absent.",
            &[("json_pointer({a: [1, 2]}, \"/a/1\")", "2")],
            |a, d| {
                let ptr = arg_str(a, 1, d)?;
                Ok(a.first().map(|v| json_pointer(v, ptr, d)).unwrap_or_default())
            },
        ),
        higher(
            "any",
            "fn(list<T>, fn(T) -> bool) -> bool",
            "Whether the predicate holds for some item.",
            &[("[1, 2].any(x => x > 1)", "true")],
            Higher::Any,
        ),
        higher(
            "all",
            "fn(list<T>, fn(T) -> bool) -> bool",
            "Whether the predicate holds for every item (true for an empty list).",
            &[("[1, 2].all(x => x > 1)", "false")],
            Higher::All,
        ),
        higher(
            "filter",
            "fn(list<T>, fn(T) -> bool) -> list<T>",
            "The items for which the predicate holds.",
            &[("[1, 2, 3].filter(x => x != 2)", "[1, 3]")],
            Higher::Filter,
        ),
        higher(
            "map",
            "fn(list<T>, fn(T) -> U) -> list<U>",
            "The function applied to each item.",
            &[("[1, 2].map(x => x * 10)", "[10, 20]")],
            Higher::Map,
        ),
        higher(
            "count",
            "fn(list<T>, fn(T) -> bool) -> int",
            "The number of items for which the predicate holds.",
            &[("[1, 2, 3].count(x => x > 1)", "2")],
            Higher::Count,
        ),
        higher(
            "find",
            "fn(list<T>, fn(T) -> bool) -> T?",
            "The first item for which the predicate holds, or absent.",
            &[("[1, 2, 3].find(x => x > 1)", "2")],
            Higher::Find,
        ),
        higher(
            "sort_by",
            "fn(list<T>, fn(T) -> U) -> list<T>",
            "The items ordered by a key (stable).",
            &[("[\"bb\", \"a\"].sort_by(s => len(s))", "[\"a\", \"bb\"]")],
            Higher::SortBy,
        ),
        higher(
            "flat_map",
            "fn(list<T>, fn(T) -> list<U>) -> list<U>",
            "The lists the function returns, concatenated.",
            &[("[1, 2].flat_map(x => [x, x])", "[1, 1, 2, 2]")],
            Higher::FlatMap,
        ),
        Builtin {
            name: "of",
            sig: "fn(Inputs, Kinds<T>) -> list<T>",
            doc: "The input documents of a kind (or union of kinds), in input order. Indexed by kind once per evaluation.",
            examples: &[],
            imp: Impl::Of,
            part: None,
        },
        Builtin {
            name: "of",
            sig: "fn(Inputs, Kinds<T>, string) -> list<T>",
            doc: "The input documents of a kind (or union of kinds) in a namespace (`default` for documents that name none), in input order. Indexed by kind and by namespace once per evaluation.",
            examples: &[],
            imp: Impl::Of,
            part: None,
        },
    ]
}

/// Orders scalars: numbers before strings before everything else.
pub(crate) fn compare(x: &Value, y: &Value, docs: &(impl Docs + ?Sized)) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &Value| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Str(_) => 3,
        _ => 4,
    };
    match (x.as_f64(docs), y.as_f64(docs)) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => match (x.as_str(docs), y.as_str(docs)) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => rank(&x.scalar(docs)).cmp(&rank(&y.scalar(docs))),
        },
    }
}

fn json_pointer(v: &Value, ptr: &str, d: &dyn Docs) -> Value {
    if ptr.is_empty() {
        return v.clone();
    }
    let Some(rest) = ptr.strip_prefix('/') else { return Value::Null };
    let dd = d;
    let mut cur = v.clone();
    for raw in rest.split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        cur = if let Some(e) = cur.entries(dd) {
            e.into_iter().find(|(k, _)| **k == *seg).map(|(_, v)| v).unwrap_or_default()
        } else if let Some(items) = cur.items(dd) {
            seg.parse::<usize>().ok().and_then(|i| items.into_iter().nth(i)).unwrap_or_default()
        } else {
            return Value::Null;
        };
    }
    cur
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(
                    B64.get(((n >> (18 - 6 * i)) & 63) as usize).copied().map_or('=', char::from),
                );
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional, whitespace ignored).
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A map value from pairs.
pub(crate) fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(Arc::new(
        pairs.into_iter().map(|(k, v)| (Text::from(k), v)).collect::<BTreeMap<_, _>>(),
    ))
}
