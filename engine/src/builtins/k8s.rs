//! Container-domain builtins: image references, Kubernetes quantities and label selectors,
//! durations and timestamps, CIDRs, globs, semver, entropy and shell lines.

use std::sync::Arc;

use super::core::map;
use super::domain::{
    cidr, duration, entropy, glob, image_ref, quantity, selector, semver_ext, shell,
};
use super::{Builtin, arg_str, pure};
use crate::value::{Docs, Value};

fn opt_str(s: Option<String>) -> Value {
    s.map_or(Value::Null, |s| Value::Str(s.into()))
}

fn image(a: &[Value], d: &dyn Docs) -> Result<Option<image_ref::ImageRef>, String> {
    Ok(image_ref::parse(arg_str(a, 0, d)?).ok())
}

/// The borrowed parts of the image reference in argument 0, when it is valid.
fn image_parts<'a>(
    a: &'a [Value],
    d: &'a dyn Docs,
) -> Result<Option<image_ref::Parts<'a>>, String> {
    Ok(image_ref::parts_cached(arg_str(a, 0, d)?))
}

fn opt_part(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::str)
}

fn num_or_str(a: &[Value], i: usize, d: &dyn Docs) -> Option<String> {
    match a.get(i)?.scalar(d) {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn labels(v: &Value, d: &dyn Docs) -> Vec<(String, String)> {
    v.entries(d)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.display(d)))
        .collect()
}

fn strings(v: Option<Value>, d: &dyn Docs) -> Vec<String> {
    v.and_then(|v| v.items(d)).unwrap_or_default().iter().map(|x| x.display(d)).collect()
}

/// A `LabelSelector` document value as a selector.
fn to_selector(v: &Value, d: &dyn Docs) -> Result<selector::LabelSelector, String> {
    let dd = d;
    let entries = v.entries(dd).unwrap_or_default();
    let get = |k: &str| entries.iter().find(|(n, _)| &**n == k).map(|(_, v)| v.clone());
    let match_labels = get("matchLabels").map(|m| labels(&m, d)).unwrap_or_default();
    let mut match_expressions = Vec::new();
    for e in get("matchExpressions").and_then(|m| m.items(dd)).unwrap_or_default() {
        let fields = e.entries(dd).unwrap_or_default();
        let f = |k: &str| fields.iter().find(|(n, _)| &**n == k).map(|(_, v)| v.clone());
        let key = f("key").map(|v| v.display(dd)).unwrap_or_default();
        let op = match f("operator").map(|v| v.display(dd)).as_deref() {
            Some("In") => selector::Op::In,
            Some("NotIn") => selector::Op::NotIn,
            Some("Exists") => selector::Op::Exists,
            Some("DoesNotExist") => selector::Op::DoesNotExist,
            other => {
                return Err(format!("invalid label selector operator `{}`", other.unwrap_or("")));
            }
        };
        let values = strings(f("values"), d);
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        match_expressions.push(selector::Requirement::new(&key, op, &values));
    }
    Ok(selector::LabelSelector { match_labels, match_expressions })
}

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        pure(
            "image_registry",
            "fn(string) -> string?",
            "The registry host of an image reference (`docker.io` when none is written); absent when the reference is invalid.",
            &[
                ("image_registry(\"nginx:1.25\")", "\"docker.io\""),
                ("image_registry(\"ghcr.io/a/b\")", "\"ghcr.io\""),
            ],
            |a, d| Ok(opt_part(image_parts(a, d)?.map(|r| r.registry))),
        ),
        pure(
            "image_repository",
            "fn(string) -> string?",
            "The repository path of an image reference, with `library/` for official images.",
            &[("image_repository(\"nginx\")", "\"library/nginx\"")],
            |a, d| Ok(opt_str(image(a, d)?.map(|r| r.repository))),
        ),
        pure(
            "image_tag",
            "fn(string) -> string?",
            "The tag of an image reference as written; absent when there is none (`reg:5000/app` has none).",
            &[("image_tag(\"nginx:1.25\")", "\"1.25\""), ("image_tag(\"reg:5000/app\")", "null")],
            |a, d| Ok(opt_part(image_parts(a, d)?.and_then(|r| r.tag))),
        )
        .with_part(image_ref::tag_cached),
        pure(
            "image_digest",
            "fn(string) -> string?",
            "The digest of an image reference (`sha256:…`), or absent.",
            &[("image_digest(\"nginx\")", "null")],
            |a, d| Ok(opt_part(image_parts(a, d)?.and_then(|r| r.digest))),
        )
        .with_part(image_ref::digest_cached),
        pure(
            "image_valid",
            "fn(string) -> bool",
            "Whether the string is a valid image reference.",
            &[("image_valid(\"nginx:1.25\")", "true"), ("image_valid(\"UPPER/x\")", "false")],
            |a, d| Ok(Value::Bool(image_parts(a, d)?.is_some())),
        ),
        pure(
            "quantity",
            "fn(any) -> float?",
            "The value of a Kubernetes quantity (`500m` is 0.5, `1Gi` is 1073741824); absent when invalid.",
            &[("quantity(\"500m\")", "0.5"), ("quantity(\"1Ki\")", "1024.0")],
            |a, d| {
                Ok(num_or_str(a, 0, d)
                    .and_then(|s| quantity::parse(&s).ok())
                    .map_or(Value::Null, |q| Value::Float(q.as_f64())))
            },
        ),
        pure(
            "duration_seconds",
            "fn(string) -> float?",
            "The length of a Go-style duration (`1h30m`, `300ms`) in seconds; absent when invalid.",
            &[("duration_seconds(\"1m30s\")", "90.0")],
            |a, d| {
                Ok(duration::parse(arg_str(a, 0, d)?)
                    .map_or(Value::Null, |x| Value::Float(x.as_secs_f64())))
            },
        ),
        pure(
            "time_seconds",
            "fn(string) -> float?",
            "An RFC 3339 timestamp as seconds since the Unix epoch; absent when invalid.",
            &[("time_seconds(\"1970-01-01T00:01:00Z\")", "60.0")],
            |a, d| {
                Ok(duration::parse_rfc3339(arg_str(a, 0, d)?)
                    .map_or(Value::Null, |t| Value::Float(t.0 as f64 / 1e9)))
            },
        ),
        pure(
            "cidr_contains",
            "fn(string, string) -> bool?",
            "Whether a CIDR block contains an IP address or another block; absent when either is invalid.",
            &[("cidr_contains(\"10.0.0.0/8\", \"10.1.2.3\")", "true")],
            |a, d| {
                let Ok(block) = cidr::parse_cidr(arg_str(a, 0, d)?) else { return Ok(Value::Null) };
                let x = arg_str(a, 1, d)?;
                Ok(match (cidr::parse_ip(x), cidr::parse_cidr(x)) {
                    (Ok(ip), _) => Value::Bool(block.contains_ip(&ip)),
                    (_, Ok(c)) => Value::Bool(block.contains_cidr(&c)),
                    _ => Value::Null,
                })
            },
        ),
        pure(
            "ip_is_private",
            "fn(string) -> bool?",
            "Whether an IP address is private, loopback or link-local; absent when invalid.",
            &[("ip_is_private(\"192.168.1.1\")", "true")],
            |a, d| {
                Ok(cidr::parse_ip(arg_str(a, 0, d)?)
                    .map_or(Value::Null, |ip| Value::Bool(cidr::is_private(&ip))))
            },
        ),
        pure(
            "glob_match",
            "fn(string, string) -> bool",
            "Whether the string matches the glob (`*` within a path segment, `**` across, `?`, `[a-z]`). An invalid glob matches nothing.",
            &[("glob_match(\"ghcr.io/org/*\", \"ghcr.io/org/app\")", "true")],
            |a, d| {
                Ok(Value::Bool(
                    glob::compile(arg_str(a, 0, d)?)
                        .is_ok_and(|g| g.is_match(arg_str(a, 1, d).unwrap_or(""))),
                ))
            },
        ),
        pure(
            "semver_compare",
            "fn(string, string) -> int?",
            "-1, 0 or 1 as the first version is lower, equal or higher (a leading `v` and missing parts allowed); absent when invalid.",
            &[("semver_compare(\"v1.29\", \"1.30.0\")", "-1")],
            |a, d| {
                Ok(semver_ext::compare(arg_str(a, 0, d)?, arg_str(a, 1, d)?)
                    .map_or(Value::Null, |o| Value::Int(o as i64)))
            },
        ),
        pure(
            "semver_satisfies",
            "fn(string, string) -> bool?",
            "Whether a version satisfies a requirement such as `>=1.2, <2`; absent when either is invalid.",
            &[("semver_satisfies(\"1.4.0\", \">=1.2, <2\")", "true")],
            |a, d| {
                Ok(semver_ext::satisfies(arg_str(a, 0, d)?, arg_str(a, 1, d)?)
                    .map_or(Value::Null, Value::Bool))
            },
        ),
        pure(
            "entropy",
            "fn(string) -> float",
            "The Shannon entropy of the string, in bits per character.",
            &[("entropy(\"aaaa\")", "0.0")],
            |a, d| Ok(Value::Float(entropy::shannon_entropy(arg_str(a, 0, d)?))),
        ),
        pure(
            "shell_commands",
            "fn(string) -> list<list<string>>",
            "A shell line (a Dockerfile `RUN`) split into commands at `&&`, `||`, `;`, `|` and newlines, each a list of words with quotes removed.",
            &[(
                "shell_commands(\"apt-get update && apt-get install -y curl\")",
                "[[\"apt-get\", \"update\"], [\"apt-get\", \"install\", \"-y\", \"curl\"]]",
            )],
            |a, d| {
                let cmds = shell::split_commands(arg_str(a, 0, d)?);
                Ok(Value::List(Arc::new(
                    cmds.into_iter()
                        .map(|c| {
                            Value::List(Arc::new(
                                c.words.into_iter().map(|w| Value::Str(w.into())).collect(),
                            ))
                        })
                        .collect(),
                )))
            },
        ),
        pure(
            "selector_matches",
            "fn(any, map<string, string>) -> bool",
            "Whether a Kubernetes `LabelSelector` (`matchLabels`, `matchExpressions`) selects the labels. An empty selector selects everything.",
            &[(
                "selector_matches({matchLabels: {app: \"web\"}}, {app: \"web\", tier: \"1\"})",
                "true",
            )],
            |a, d| {
                let sel = to_selector(a.first().ok_or("missing selector")?, d)?;
                let l = a.get(1).map(|v| labels(v, d)).unwrap_or_default();
                Ok(Value::Bool(selector::matches(&sel, &l)))
            },
        ),
        pure(
            "parse_image",
            "fn(string) -> map<string, string>?",
            "The parts of an image reference: `registry`, `repository`, `tag`, `digest` (missing parts absent).",
            &[("parse_image(\"ghcr.io/a/b:1\")?.tag", "\"1\"")],
            |a, d| {
                Ok(image(a, d)?.map_or(Value::Null, |r| {
                    let mut pairs = vec![
                        ("registry", Value::Str(r.registry.into())),
                        ("repository", Value::Str(r.repository.into())),
                    ];
                    if let Some(t) = r.tag {
                        pairs.push(("tag", Value::Str(t.into())));
                    }
                    if let Some(dg) = r.digest {
                        pairs.push(("digest", Value::Str(dg.into())));
                    }
                    map(pairs)
                }))
            },
        ),
    ]
}
