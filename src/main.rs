//! The `ward` command line.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ward::{Format, Limits, Options, Policy, Source, SourceMap, build, render};

/// `print!` that ends the program quietly when standard output is closed (`ward … | head`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($t)*) {
            exit_on_closed_stdout(&e);
        }
    }};
}

/// `println!` that ends the program quietly when standard output is closed.
macro_rules! outln {
    () => { out!("\n") };
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*) {
            exit_on_closed_stdout(&e);
        }
    }};
}

fn exit_on_closed_stdout(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
}

const USAGE: &str = "\
ward: a typed policy language and engine for container security

Usage:
  ward check [OPTIONS] PATH...   check manifests against policies
  ward test [--policy PATH]... [--stdlib]
                                 run the `test` blocks of policies
  ward fmt [--check] PATH...     format .ward files in place (PATH: a file, a
                                 directory of them, or - for stdin to stdout);
                                 --check lists the files that would change
  ward crd [--module NAME] FILE...
                                 print Ward kinds for the CustomResourceDefinitions
                                 in FILEs (save them as a .ward file for --policy)
  ward help                      show this help

Options for `check`:
  --profile NAME       run a profile of standard-library rules (repeatable)
  --policy PATH        a .ward file or a directory of them (repeatable)
  --set KEY=VALUE      set a policy parameter, e.g. --set pss.version=v1.29
  --config FILE        set parameters from a YAML/JSON map (`pss.version: v1.29`);
                       --set wins over --config
  --format FORMAT      text (default) or json
  --input-format FMT   read inputs as yaml, json, ndjson or dockerfile instead of
                       detecting the format from the file name
  --max-steps N        evaluation budget per rule and document
  --timeout SECONDS    stop rules still running after SECONDS of wall-clock
                       time (e.g. 2.5); they are reported as rule errors
  --every-rule         run every rule on every document of its kinds; by default
                       a rule is skipped where it cannot find anything (the
                       document lacks a field all its findings read), and so
                       reports no rule error there; findings are the same

Options for `test`:
  --policy PATH        run the tests of these policies (repeatable)
  --stdlib             also run the standard library's tests (the default
                       when no --policy is given)

PATH is a file, a directory (scanned recursively for .yaml, .yml, .json,
.ndjson and .jsonl files and Dockerfiles: Dockerfile, Dockerfile.*,
*.dockerfile, Containerfile) or - for standard input. Trivy reports, CycloneDX
SBOMs, DSSE envelopes, in-toto statements and image configs are recognised by
their content.

Without --profile and --policy, the recommended standard-library rules run.
With --policy and no --profile, only the given policies' rules run.

Exit status: 0 no findings; 1 findings; 2 usage or policy error;
3 an input could not be read (the other inputs are still checked).
`ward fmt`: 0 done (or already formatted); 1 with --check, some file would
change; 2 a file has syntax errors or cannot be read.
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("error: {msg}");
            eprintln!("run `ward help` for usage");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Args {
    command: String,
    profiles: Vec<String>,
    policies: Vec<PathBuf>,
    sets: Vec<(String, String)>,
    configs: Vec<PathBuf>,
    json: bool,
    input_format: Option<Format>,
    max_steps: Option<u64>,
    timeout: Option<std::time::Duration>,
    every_rule: bool,
    module: Option<String>,
    stdlib: bool,
    check: bool,
    paths: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let mut a = Args::default();
    let text = |v: std::ffi::OsString| {
        v.into_string().map_err(|_| "argument is not valid UTF-8".to_string())
    };
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Long("profile") => a.profiles.push(text(p.value().map_err(|e| e.to_string())?)?),
            Long("policy") => a.policies.push(PathBuf::from(p.value().map_err(|e| e.to_string())?)),
            Long("config") => a.configs.push(PathBuf::from(p.value().map_err(|e| e.to_string())?)),
            Long("set") => {
                let kv = text(p.value().map_err(|e| e.to_string())?)?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("`--set {kv}`: expected KEY=VALUE"))?;
                a.sets.push((k.to_string(), v.to_string()));
            }
            Long("format") => match text(p.value().map_err(|e| e.to_string())?)?.as_str() {
                "json" => a.json = true,
                "text" => a.json = false,
                other => {
                    return Err(format!("unknown format `{other}`: expected `text` or `json`"));
                }
            },
            Long("input-format") => {
                let f = text(p.value().map_err(|e| e.to_string())?)?;
                a.input_format = Some(Format::parse(&f).ok_or_else(|| {
                    format!("unknown input format `{f}`: expected yaml, json, ndjson or dockerfile")
                })?);
            }
            Long("every-rule") => a.every_rule = true,
            Long("max-steps") => {
                let n = text(p.value().map_err(|e| e.to_string())?)?;
                a.max_steps =
                    Some(n.parse().map_err(|_| format!("`--max-steps {n}`: expected a number"))?);
            }
            Long("timeout") => {
                let n = text(p.value().map_err(|e| e.to_string())?)?;
                let secs: f64 = n
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("`--timeout {n}`: expected a number of seconds"))?;
                a.timeout = Some(
                    std::time::Duration::try_from_secs_f64(secs)
                        .map_err(|_| format!("`--timeout {n}`: too large"))?,
                );
            }
            Long("module") => a.module = Some(text(p.value().map_err(|e| e.to_string())?)?),
            Long("stdlib") => a.stdlib = true,
            Long("check") => a.check = true,
            Short('h') | Long("help") => a.command = "help".into(),
            Value(v) if a.command.is_empty() => a.command = text(v)?,
            Value(v) => a.paths.push(text(v)?),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    Ok(a)
}

fn run() -> Result<u8, String> {
    let args = parse_args()?;
    match args.command.as_str() {
        "check" => check(&args),
        "test" => test(&args),
        "crd" => crd(&args),
        "fmt" => fmt(&args),
        "help" | "" => {
            out!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

/// `ward fmt`: rewrites `.ward` files in the canonical layout, or with `--check` lists those
/// that are not.
fn fmt(args: &Args) -> Result<u8, String> {
    if args.paths.is_empty() {
        return Err("`ward fmt` needs at least one PATH".into());
    }
    let mut code = 0;
    for p in &args.paths {
        if p == "-" {
            let mut src = String::new();
            std::io::stdin().read_to_string(&mut src).map_err(|e| format!("<stdin>: {e}"))?;
            match format_source("<stdin>", &src) {
                Some(out) if args.check => {
                    if out != src {
                        out!("{}", first_difference("<stdin>", &src, &out));
                        code = code.max(1);
                    }
                }
                Some(out) => out!("{out}"),
                None => code = 2,
            }
            continue;
        }
        let path = Path::new(p);
        let mut files = Vec::new();
        if path.is_dir() {
            walk(path, &mut files, &|f| f.extension().is_some_and(|e| e == "ward"))
                .map_err(|e| format!("{p}: {e}"))?;
        } else {
            files.push(path.to_path_buf());
        }
        for f in files {
            let name = f.display().to_string();
            let src = match std::fs::read_to_string(&f) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {name}: {e}");
                    code = 2;
                    continue;
                }
            };
            let Some(out) = format_source(&name, &src) else {
                code = 2;
                continue;
            };
            if out == src {
                continue;
            }
            if args.check {
                out!("{}", first_difference(&name, &src, &out));
                code = code.max(1);
            } else if let Err(e) = std::fs::write(&f, out) {
                eprintln!("error: {name}: {e}");
                code = 2;
            }
        }
    }
    Ok(code)
}

/// The formatted text of one file, or `None` after printing its syntax errors.
fn format_source(name: &str, src: &str) -> Option<String> {
    match ward_lang::fmt::format(src) {
        Ok(out) => Some(out),
        Err(errors) => {
            let mut sources = SourceMap::new();
            sources.add(name, src);
            let diags: Vec<_> = errors.iter().map(|e| e.diagnostic()).collect();
            eprint!("{}", render::diagnostics(&sources, &diags, color_stderr()));
            eprintln!("error: {name} has {} syntax error(s); not formatted", errors.len());
            None
        }
    }
}

/// `name` and a short unified-style diff of its first changed lines.
fn first_difference(name: &str, old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a_end, b_end) = resync(&a, &b, start);
    let mut out = format!("would reformat {name}\n@@ line {} @@\n", start + 1);
    for l in a.get(start..a_end).unwrap_or(&[]) {
        out.push_str(&format!("-{l}\n"));
    }
    for l in b.get(start..b_end).unwrap_or(&[]) {
        out.push_str(&format!("+{l}\n"));
    }
    out
}

/// Where `a` and `b`, which differ at line `start`, agree again: the nearest pair of lines from
/// which three lines (or both ends) are equal, within a window; else the window's end.
fn resync(a: &[&str], b: &[&str], start: usize) -> (usize, usize) {
    const WINDOW: usize = 40;
    let agree = |i: usize, j: usize| {
        (0..3).all(|k| match (a.get(i + k), b.get(j + k)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => true,
            _ => false,
        })
    };
    (0..2 * WINDOW)
        .flat_map(|d| (0..=d).map(move |i| (start + i, start + d - i)))
        .find(|&(i, j)| agree(i, j))
        .unwrap_or(((start + WINDOW).min(a.len()), (start + WINDOW).min(b.len())))
}

/// `ward crd`: Ward kinds for the CRDs in the inputs.
fn crd(args: &Args) -> Result<u8, String> {
    if args.paths.is_empty() {
        return Err("`ward crd` needs at least one FILE".into());
    }
    let symbols = std::sync::Arc::new(ward_engine::doc::Symbols::default());
    let mut docs = Vec::new();
    let (files, unreadable) = inputs(&args.paths);
    if let Some(e) = unreadable.first() {
        return Err(format!("{}: {}", e.file, e.message));
    }
    for (name, bytes) in files {
        let loaded =
            ward_engine::load::load(&name, &bytes, args.input_format, &symbols, &Limits::default());
        if let Some(e) = loaded.errors.first() {
            return Err(format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message));
        }
        docs.extend(loaded.docs.iter().map(|d| d.to_json()));
    }
    out!("{}", ward::crd::declarations(&docs, args.module.as_deref())?);
    Ok(0)
}

fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Reads the `.ward` files named by `--policy`.
fn policy_sources(paths: &[PathBuf]) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            walk(p, &mut files, &|f| f.extension().is_some_and(|e| e == "ward"))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        } else {
            files.push(p.clone());
        }
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            out.push(Source { name: f.display().to_string(), text });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, keep: &dyn Fn(&Path) -> bool) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if e.file_type()?.is_dir() {
            walk(&path, out, keep)?;
        } else if keep(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn compile(args: &Args) -> Result<Policy, u8> {
    let sources = policy_sources(&args.policies).map_err(|e| {
        eprintln!("error: {e}");
        2u8
    })?;
    let mut policy = build(&sources).map_err(|e| {
        if args.json {
            let json = serde_json::json!({
                "diagnostics": ward::diagnostics_json(&e.sources, &e.diagnostics),
                "findings": [],
                "errors": [],
            });
            outln!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        } else {
            eprint!("{}", render::diagnostics(&e.sources, &e.diagnostics, color_stderr()));
        }
        eprintln!("error: the policies have {} error(s)", e.diagnostics.len());
        2u8
    })?;
    for path in &args.configs {
        if let Err(e) = apply_config(&mut policy, path) {
            eprintln!("error: {}: {e}", path.display());
            return Err(2);
        }
    }
    for (k, v) in &args.sets {
        if let Err(e) = policy.set_param_text(k, v) {
            eprintln!("error: --set {k}={v}: {e}");
            return Err(2);
        }
    }
    Ok(policy)
}

/// Sets parameters from a YAML or JSON file mapping qualified names to values
/// (`pss.version: v1.29`).
fn apply_config(policy: &mut Policy, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let loaded = policy.load(&path.display().to_string(), &bytes, None, &Limits::default());
    if let Some(e) = loaded.errors.first() {
        return Err(format!("{}:{}: {}", e.line, e.column, e.message));
    }
    let Some(doc) = loaded.docs.first() else { return Ok(()) };
    let serde_json::Value::Object(params) = doc.to_json() else {
        return Err("expected a map of parameter names to values, e.g. `pss.version: v1.29`".into());
    };
    for (name, value) in params {
        policy
            .compiled
            .set_param(&name, ward::Value::from_json(&value))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One input: a display name and its bytes.
/// Reads every input; one that cannot be read becomes a load error and the rest are still read.
fn inputs(paths: &[String]) -> (Vec<(String, Vec<u8>)>, Vec<ward::LoadError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut fail = |name: String, e: std::io::Error| {
        errors.push(ward::LoadError {
            file: name.into(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        });
    };
    for p in paths {
        if p == "-" {
            let mut buf = Vec::new();
            match std::io::stdin().read_to_end(&mut buf) {
                Ok(_) => out.push(("<stdin>".to_string(), buf)),
                Err(e) => fail("<stdin>".into(), e),
            }
            continue;
        }
        let path = Path::new(p);
        let mut files = Vec::new();
        if path.is_dir() {
            if let Err(e) = walk(path, &mut files, &|f| ward_engine_detect(f)) {
                fail(p.clone(), e);
            }
        } else {
            files.push(path.to_path_buf());
        }
        for f in files {
            match std::fs::read(&f) {
                Ok(b) => out.push((f.display().to_string(), b)),
                Err(e) => fail(f.display().to_string(), e),
            }
        }
    }
    (out, errors)
}

fn ward_engine_detect(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| ward_engine::load::detect(n).is_some())
}

fn check(args: &Args) -> Result<u8, String> {
    if args.paths.is_empty() {
        return Err("`ward check` needs at least one PATH".into());
    }
    let policy = match compile(args) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let rules = select_rules(&policy, args)?;
    let (inputs, mut errors) = inputs(&args.paths);
    let limits = Limits::default();
    let mut docs = Vec::new();
    // Only what the selected rules read is built.
    let projection = policy.compiled.projection(Some(&rules));
    for (name, bytes) in &inputs {
        let loaded =
            policy.load_projected(name, bytes, args.input_format, &limits, projection.as_ref());
        docs.extend(loaded.docs);
        errors.extend(loaded.errors);
    }
    let outcome = policy.compiled.evaluate(
        &docs,
        &Options {
            max_steps: args.max_steps,
            deadline: args.timeout,
            rules: Some(rules),
            sequential: false,
            run_every_rule: args.every_rule,
        },
    );
    if args.json {
        let json = serde_json::json!({
            "findings": outcome.findings,
            "errors": errors,
            "rule_errors": outcome.errors,
        });
        outln!("{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?);
    } else {
        let texts: Vec<(String, String)> = inputs
            .iter()
            .map(|(n, b)| (n.clone(), String::from_utf8_lossy(b).into_owned()))
            .collect();
        out!("{}", render::findings(texts, &outcome.findings, color_stdout()));
        for e in &errors {
            if e.line == 0 {
                eprintln!("error: {}: {}", e.file, e.message);
            } else {
                eprintln!("error: {}:{}:{}: {}", e.file, e.line, e.column, e.message);
            }
        }
        for e in &outcome.errors {
            eprintln!(
                "error: rule {} failed on {}:{}:{}: {}",
                e.rule, e.file, e.line, e.column, e.error
            );
        }
        let n = outcome.findings.len();
        outln!(
            "{} finding{} in {} document{}",
            n,
            if n == 1 { "" } else { "s" },
            docs.len(),
            if docs.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if !errors.is_empty() || !outcome.errors.is_empty() {
        3
    } else if outcome.findings.is_empty() {
        0
    } else {
        1
    })
}

fn select_rules(policy: &Policy, args: &Args) -> Result<Vec<u32>, String> {
    let mut rules = Vec::new();
    for p in &args.profiles {
        let r = policy.tagged(p);
        if r.is_empty() {
            return Err(format!("unknown profile `{p}`"));
        }
        rules.extend(r);
    }
    if args.profiles.is_empty() && args.policies.is_empty() {
        rules.extend(policy.tagged("recommended"));
    }
    rules.extend(policy.user_rules());
    rules.sort_unstable();
    rules.dedup();
    Ok(rules)
}

fn test(args: &Args) -> Result<u8, String> {
    let policy = match compile(args) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let user: std::collections::HashSet<ward::FileId> = policy.user_files.iter().copied().collect();
    let stdlib = args.stdlib || args.policies.is_empty();
    let results: Vec<_> = policy
        .compiled
        .run_tests()
        .into_iter()
        .filter(|r| if user.contains(&r.span.file) { true } else { stdlib })
        .collect();
    let mut failed = 0;
    for r in &results {
        if r.failures.is_empty() {
            outln!("test {} ... ok", r.name);
        } else {
            failed += 1;
            outln!("test {} ... FAILED", r.name);
            for (span, msg) in &r.failures {
                let (file, line, col) = policy
                    .sources
                    .get(span.file)
                    .map(|f| {
                        let (l, c) = f.line_col(span.start);
                        (f.name.clone(), l, c)
                    })
                    .unwrap_or_default();
                outln!("  {file}:{line}:{col}: {msg}");
            }
        }
    }
    outln!("{} passed, {} failed", results.len() - failed, failed);
    Ok(if failed > 0 { 1 } else { 0 })
}
