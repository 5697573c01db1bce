//! Splitting a Dockerfile `RUN` shell line into simple commands and their words, the way `sh` would read them.

/// One simple command: its words after quote removal, e.g. `apt-get install -y curl`
/// gives `["apt-get", "install", "-y", "curl"]`.
///
/// `$(...)`, `${...}` and backtick substitutions stay as one verbatim word;
/// leading assignments such as `DEBIAN_FRONTEND=noninteractive` stay as words;
/// redirections such as `>/dev/null` or `2>&1` are ordinary words; a heredoc
/// (`cat <<EOF`) adds the marker `<<EOF` and then its body as one more word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShellCommand {
    /// The words of the command in order, e.g. `["rm", "-rf", "/tmp/x"]`.
    pub words: Vec<String>,
}

impl ShellCommand {
    /// The program run, skipping leading `VAR=value` words and `sudo`/`env`
    /// prefixes with their options: `sudo -u app FOO=1 pip install x` gives `pip`.
    ///
    /// `None` when the command is only assignments, e.g. `FOO=bar`.
    pub fn program(&self) -> Option<&str> {
        self.program_index().and_then(|i| self.words.get(i)).map(String::as_str)
    }

    /// The words after the program: for `sudo apt-get install -y curl` that is
    /// `["install", "-y", "curl"]`; empty when there is no program.
    pub fn args(&self) -> &[String] {
        self.program_index().and_then(|i| self.words.get(i + 1..)).unwrap_or_default()
    }

    fn program_index(&self) -> Option<usize> {
        let mut i = 0;
        while let Some(word) = self.words.get(i) {
            i = match word.as_str() {
                w if is_assignment(w) => i + 1,
                "sudo" => skip_options(&self.words, i + 1, SUDO_ARG_OPTIONS),
                "env" => skip_options(&self.words, i + 1, ENV_ARG_OPTIONS),
                _ => return Some(i),
            };
        }
        None
    }
}

/// `sudo` options that take a separate argument, e.g. `-u root`.
const SUDO_ARG_OPTIONS: &[&str] = &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"];
/// `env` options that take a separate argument, e.g. `-u NAME`.
const ENV_ARG_OPTIONS: &[&str] = &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"];

/// Index of the first word at or after `start` that is not an option (or its argument).
fn skip_options(words: &[String], start: usize, takes_arg: &[&str]) -> usize {
    let mut i = start;
    while let Some(w) = words.get(i) {
        if w == "--" {
            return i + 1;
        }
        if !w.starts_with('-') || w == "-" {
            return i;
        }
        i += if takes_arg.contains(&w.as_str()) { 2 } else { 1 };
    }
    i
}

/// Whether `w` is `NAME=value` with a shell variable name.
fn is_assignment(w: &str) -> bool {
    let Some((name, _)) = w.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits a shell line into simple commands on `&&`, `||`, `;`, `|`, `&`,
/// parentheses and newlines outside quotes.
///
/// For example `apt-get update && apt-get install -y curl` gives two commands.
/// Quotes are removed (`'a b'` is the word `a b`), backslash-newline joins lines,
/// `# ...` at a word start is a comment, and unbalanced quotes never fail: the
/// rest of the input becomes one word. A Buildkit style `<<EOF` on a line of its
/// own has its body split as commands instead.
pub fn split_commands(s: &str) -> Vec<ShellCommand> {
    Lexer::new(s, true).run()
}

/// A heredoc whose body starts after the current line.
struct PendingHeredoc {
    delimiter: String,
    strip_tabs: bool,
    /// Index in `out` of the command that owns it.
    command: usize,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    out: Vec<ShellCommand>,
    words: Vec<String>,
    cur: String,
    in_word: bool,
    allow_heredoc: bool,
    heredocs: Vec<PendingHeredoc>,
}

impl Lexer {
    fn new(s: &str, allow_heredoc: bool) -> Self {
        Self {
            chars: s.chars().collect(),
            pos: 0,
            out: Vec::new(),
            words: Vec::new(),
            cur: String::new(),
            in_word: false,
            allow_heredoc,
            heredocs: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<ShellCommand> {
        while let Some(c) = self.peek() {
            self.step(c);
        }
        self.end_command();
        self.read_heredocs();
        self.out
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn push(&mut self, c: char) {
        self.cur.push(c);
        self.in_word = true;
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.words.push(std::mem::take(&mut self.cur));
            self.in_word = false;
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        if !self.words.is_empty() {
            let words = std::mem::take(&mut self.words);
            self.out.push(ShellCommand { words });
        }
    }

    fn separator(&mut self, len: usize) {
        self.pos += len;
        self.end_command();
    }

    fn step(&mut self, c: char) {
        match c {
            ' ' | '\t' | '\r' => {
                self.pos += 1;
                self.end_word();
            }
            '\n' => {
                self.separator(1);
                self.read_heredocs();
            }
            '\\' => self.backslash(),
            '\'' => self.single_quote(),
            '"' => self.double_quote(),
            '`' => self.backtick(),
            '$' => self.dollar(),
            '#' if !self.in_word => self.comment(),
            ';' | '(' | ')' => self.separator(1),
            '|' => {
                let len = if matches!(self.peek_at(1), Some('|' | '&')) { 2 } else { 1 };
                self.separator(len);
            }
            '&' => self.ampersand(),
            '<' if self.starts_heredoc() => self.heredoc_marker(),
            _ => {
                self.push(c);
                self.pos += 1;
            }
        }
    }

    fn backslash(&mut self) {
        match (self.peek_at(1), self.peek_at(2)) {
            (Some('\n'), _) => self.pos += 2,
            (Some('\r'), Some('\n')) => self.pos += 3,
            (Some(next), _) => {
                self.push(next);
                self.pos += 2;
            }
            (None, _) => {
                self.push('\\');
                self.pos += 1;
            }
        }
    }

    fn single_quote(&mut self) {
        self.pos += 1;
        self.in_word = true;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\'' {
                return;
            }
            self.cur.push(c);
        }
    }

    fn double_quote(&mut self) {
        self.pos += 1;
        self.in_word = true;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => self.escape_in_double_quotes(),
                '$' => self.dollar(),
                '`' => self.backtick(),
                _ => {
                    self.cur.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn escape_in_double_quotes(&mut self) {
        match self.peek_at(1) {
            Some('\n') => self.pos += 2,
            Some(next @ ('$' | '`' | '"' | '\\')) => {
                self.cur.push(next);
                self.pos += 2;
            }
            _ => {
                self.cur.push('\\');
                self.pos += 1;
            }
        }
    }

    /// Copies a backtick substitution verbatim, closing backtick included.
    fn backtick(&mut self) {
        self.push('`');
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.cur.push(c);
            self.pos += 1;
            match c {
                '`' => return,
                '\\' => self.copy_one(),
                _ => {}
            }
        }
    }

    fn copy_one(&mut self) {
        if let Some(c) = self.peek() {
            self.cur.push(c);
            self.pos += 1;
        }
    }

    fn dollar(&mut self) {
        match self.peek_at(1) {
            Some('(') => self.copy_balanced('(', ')'),
            Some('{') => self.copy_balanced('{', '}'),
            _ => {
                self.push('$');
                self.pos += 1;
            }
        }
    }

    /// Copies `$(...)` or `${...}` verbatim, counting nesting and skipping quotes.
    fn copy_balanced(&mut self, open: char, close: char) {
        self.push('$');
        self.pos += 1;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            self.cur.push(c);
            self.pos += 1;
            match (quote, c) {
                (Some('\''), '\'') | (Some('"'), '"') => quote = None,
                (Some('"') | None, '\\') => self.copy_one(),
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, _) if c == open => depth += 1,
                (None, _) if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                (None, _) => {}
            }
        }
    }

    fn comment(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.pos += 1;
        }
    }

    /// `&&` and a lone `&` separate commands; `2>&1`, `>&2` and `&>file` are words.
    fn ampersand(&mut self) {
        let after_redirect = self.cur.ends_with(['>', '<']);
        match self.peek_at(1) {
            Some('&') => self.separator(2),
            Some('>') => {
                self.push('&');
                self.pos += 1;
            }
            _ if after_redirect => {
                self.push('&');
                self.pos += 1;
            }
            _ => self.separator(1),
        }
    }

    fn starts_heredoc(&self) -> bool {
        self.allow_heredoc
            && !self.in_word
            && self.peek_at(1) == Some('<')
            && self.peek_at(2) != Some('<')
    }

    /// Reads `<<EOF`, `<<-EOF`, `<< 'EOF'` and records the heredoc.
    fn heredoc_marker(&mut self) {
        self.pos += 2;
        let strip_tabs = self.peek() == Some('-');
        if strip_tabs {
            self.pos += 1;
        }
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
        let delimiter = self.read_delimiter();
        let dash = if strip_tabs { "-" } else { "" };
        self.push_str(&format!("<<{dash}{delimiter}"));
        self.end_word();
        if !delimiter.is_empty() {
            let command = self.out.len();
            self.heredocs.push(PendingHeredoc { delimiter, strip_tabs, command });
        }
    }

    fn push_str(&mut self, s: &str) {
        self.cur.push_str(s);
        self.in_word = true;
    }

    /// Reads a heredoc delimiter word, removing quotes.
    fn read_delimiter(&mut self) -> String {
        let mut delimiter = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')') {
                break;
            }
            if !matches!(c, '\'' | '"' | '\\') {
                delimiter.push(c);
            }
            self.pos += 1;
        }
        delimiter
    }

    /// After a newline, consumes the bodies of pending heredocs.
    fn read_heredocs(&mut self) {
        for doc in std::mem::take(&mut self.heredocs) {
            let body = self.read_body(&doc);
            self.attach_body(doc.command, body);
        }
    }

    fn read_body(&mut self, doc: &PendingHeredoc) -> String {
        let mut lines: Vec<String> = Vec::new();
        while self.pos < self.chars.len() {
            let line = self.read_line();
            let trimmed =
                if doc.strip_tabs { line.trim_start_matches('\t') } else { line.as_str() };
            if trimmed == doc.delimiter {
                break;
            }
            lines.push(trimmed.to_string());
        }
        lines.join("\n")
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\n' {
                break;
            }
            line.push(c);
        }
        line
    }

    /// Adds the body to its command; a command that is only heredoc markers
    /// (Buildkit `RUN <<EOF`) is replaced by the commands of its body.
    fn attach_body(&mut self, command: usize, body: String) {
        let Some(cmd) = self.out.get_mut(command) else {
            return;
        };
        if cmd.words.iter().all(|w| w.starts_with("<<")) {
            let script = Lexer::new(&body, false).run();
            self.out.splice(command..=command, script);
        } else {
            cmd.words.push(body);
        }
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

    fn words(s: &str) -> Vec<Vec<String>> {
        split_commands(s).into_iter().map(|c| c.words).collect()
    }

    fn w(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect()
    }

    fn programs(s: &str) -> Vec<Option<String>> {
        split_commands(s).iter().map(|c| c.program().map(str::to_string)).collect()
    }

    #[test]
    fn apt_get_and_cleanup() {
        assert_eq!(
            words("apt-get install -y curl && rm -rf /var/lib/apt/lists/*"),
            w(&[&["apt-get", "install", "-y", "curl"], &["rm", "-rf", "/var/lib/apt/lists/*"]])
        );
    }

    #[test]
    fn continuation_lines() {
        let s = "apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n       ca-certificates \\\n       curl \\\n    && rm -rf /var/lib/apt/lists/*";
        assert_eq!(
            words(s),
            w(&[
                &["apt-get", "update"],
                &["apt-get", "install", "-y", "--no-install-recommends", "ca-certificates", "curl"],
                &["rm", "-rf", "/var/lib/apt/lists/*"],
            ])
        );
    }

    #[test]
    fn crlf_continuation() {
        assert_eq!(words("apk add \\\r\n  git"), w(&[&["apk", "add", "git"]]));
    }

    #[test]
    fn curl_pipe_sh() {
        let cmds = split_commands("curl -fsSL https://get.example.com | sh -s -- --yes");
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].program(), Some("curl"));
        assert_eq!(cmds[1].program(), Some("sh"));
        assert_eq!(cmds[1].args(), ["-s", "--", "--yes"]);
    }

    #[test]
    fn wget_pipe_bash_with_or() {
        assert_eq!(
            programs("wget -qO- https://x.sh | bash || true"),
            vec![Some("wget".into()), Some("bash".into()), Some("true".into())]
        );
    }

    #[test]
    fn apk_no_cache() {
        assert_eq!(
            words(
                "apk add --no-cache python3 py3-pip; pip install --no-cache-dir requests==2.31.0"
            ),
            w(&[
                &["apk", "add", "--no-cache", "python3", "py3-pip"],
                &["pip", "install", "--no-cache-dir", "requests==2.31.0"]
            ])
        );
    }

    #[test]
    fn pip_quoted_requirement() {
        assert_eq!(
            words(r#"pip install "django>=4.2,<5" 'celery[redis]'"#),
            w(&[&["pip", "install", "django>=4.2,<5", "celery[redis]"]])
        );
    }

    #[test]
    fn single_quotes_keep_operators() {
        assert_eq!(
            words("sh -c 'echo a && echo b; exit 1'"),
            w(&[&["sh", "-c", "echo a && echo b; exit 1"]])
        );
    }

    #[test]
    fn double_quote_escapes() {
        assert_eq!(
            words(r#"echo "say \"hi\" \$HOME \n" done"#),
            w(&[&["echo", r#"say "hi" $HOME \n"#, "done"]])
        );
    }

    #[test]
    fn empty_quoted_word() {
        assert_eq!(words("echo '' \"\""), w(&[&["echo", "", ""]]));
    }

    #[test]
    fn adjacent_quotes_join() {
        assert_eq!(words("echo a'b c'\"d\"e"), w(&[&["echo", "ab cde"]]));
    }

    #[test]
    fn command_substitution_is_one_word() {
        assert_eq!(
            words(
                "echo \"deb [arch=$(dpkg --print-architecture)] https://x $(lsb_release -cs) stable\" > /etc/apt/sources.list.d/docker.list"
            ),
            w(&[&[
                "echo",
                "deb [arch=$(dpkg --print-architecture)] https://x $(lsb_release -cs) stable",
                ">",
                "/etc/apt/sources.list.d/docker.list"
            ]])
        );
        assert_eq!(
            words("cd $(dirname $(which python3)) && ls"),
            w(&[&["cd", "$(dirname $(which python3))"], &["ls"]])
        );
    }

    #[test]
    fn substitution_with_operators_inside() {
        assert_eq!(
            words("X=$(cat a | grep ')' && echo y) make"),
            w(&[&["X=$(cat a | grep ')' && echo y)", "make"]])
        );
    }

    #[test]
    fn backticks_and_braces() {
        assert_eq!(
            words(
                "echo `uname -m` ${VERSION:-1.0}; arch=`dpkg --print-architecture | cut -d- -f1`"
            ),
            w(&[
                &["echo", "`uname -m`", "${VERSION:-1.0}"],
                &["arch=`dpkg --print-architecture | cut -d- -f1`"]
            ])
        );
    }

    #[test]
    fn env_assignments_and_program() {
        let cmds =
            split_commands("DEBIAN_FRONTEND=noninteractive TZ=UTC apt-get install -y tzdata");
        assert_eq!(cmds[0].words[0], "DEBIAN_FRONTEND=noninteractive");
        assert_eq!(cmds[0].program(), Some("apt-get"));
        assert_eq!(cmds[0].args(), ["install", "-y", "tzdata"]);
    }

    #[test]
    fn sudo_and_env_prefixes() {
        assert_eq!(
            programs(
                "sudo -u app -E env -i PATH=/bin FOO=1 pip install x; env; FOO=bar; sudo -- ls"
            ),
            vec![Some("pip".into()), None, None, Some("ls".into())]
        );
    }

    #[test]
    fn comments() {
        assert_eq!(
            words("apt-get update # refresh && rm -rf /\napt-get install x#not-a-comment"),
            w(&[&["apt-get", "update"], &["apt-get", "install", "x#not-a-comment"]])
        );
    }

    #[test]
    fn redirections_stay_words() {
        assert_eq!(
            words("make >/dev/null 2>&1 & echo started &>log"),
            w(&[&["make", ">/dev/null", "2>&1"], &["echo", "started", "&>log"]])
        );
    }

    #[test]
    fn subshells_and_pipes() {
        assert_eq!(
            words("(cd /src && make) | tee build.log |& cat"),
            w(&[&["cd", "/src"], &["make"], &["tee", "build.log"], &["cat"]])
        );
    }

    #[test]
    fn heredoc_body_is_one_word() {
        let cmds = split_commands(
            "cat <<EOF > /etc/app.conf && chmod 600 /etc/app.conf\nkey=value\nrm -rf /\nEOF\necho done",
        );
        assert_eq!(
            cmds.iter().map(|c| c.words.clone()).collect::<Vec<_>>(),
            w(&[
                &["cat", "<<EOF", ">", "/etc/app.conf", "key=value\nrm -rf /"],
                &["chmod", "600", "/etc/app.conf"],
                &["echo", "done"]
            ])
        );
    }

    #[test]
    fn heredoc_strip_tabs_and_quoted_delimiter() {
        assert_eq!(
            words("cat <<-'END'\n\tline $HOME\n\tEND"),
            w(&[&["cat", "<<-END", "line $HOME"]])
        );
    }

    #[test]
    fn buildkit_heredoc_script() {
        assert_eq!(
            words(
                "<<EOF\napt-get update\napt-get install -y curl && rm -rf /var/lib/apt/lists/*\nEOF"
            ),
            w(&[
                &["apt-get", "update"],
                &["apt-get", "install", "-y", "curl"],
                &["rm", "-rf", "/var/lib/apt/lists/*"]
            ])
        );
    }

    #[test]
    fn unterminated_heredoc_takes_rest() {
        assert_eq!(words("cat <<EOF\na\nb"), w(&[&["cat", "<<EOF", "a\nb"]]));
    }

    #[test]
    fn unbalanced_quotes_take_rest() {
        assert_eq!(words("echo 'abc && rm -rf /"), w(&[&["echo", "abc && rm -rf /"]]));
        assert_eq!(words("echo \"abc; x"), w(&[&["echo", "abc; x"]]));
        assert_eq!(words("echo $(abc; x"), w(&[&["echo", "$(abc; x"]]));
        assert_eq!(words("echo `abc"), w(&[&["echo", "`abc"]]));
        assert_eq!(words("echo \\"), w(&[&["echo", "\\"]]));
    }

    #[test]
    fn empty_and_blank() {
        assert!(split_commands("").is_empty());
        assert!(split_commands("  \n\t ;; && \n").is_empty());
        assert!(split_commands("# only a comment").is_empty());
    }

    #[test]
    fn garbage_and_huge_input_never_panics() {
        let nasty = "$(((((`\"'\\<<<<-<<\n&|;)(){}${$(";
        let _ = split_commands(nasty);
        for end in 0..nasty.len() {
            if let Some(prefix) = nasty.get(..end) {
                let _ = split_commands(prefix);
            }
        }
        let deep = "$(".repeat(50_000);
        assert_eq!(split_commands(&deep).len(), 1);
        let long = "a && ".repeat(20_000);
        assert_eq!(split_commands(&long).len(), 20_000);
        let _ = split_commands("é ü 日本 \u{0} \u{feff}");
    }

    #[test]
    fn program_with_path_and_no_words() {
        let c = ShellCommand { words: vec!["/usr/bin/python3".into(), "-m".into(), "pip".into()] };
        assert_eq!(c.program(), Some("/usr/bin/python3"));
        assert_eq!(ShellCommand::default().program(), None);
        assert!(ShellCommand::default().args().is_empty());
    }
}
