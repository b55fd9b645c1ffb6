//! Extract stage, text kinds: the tokenizer shared by shell scripts, Makefile recipes, env
//! files, Markdown code and CI `run:`/`script:` bodies. It splits text into commands (with
//! their pipelines, redirections and heredoc bodies) and words; a word's text has quotes,
//! escapes and line continuations removed and keeps every expansion as written, with the
//! source offset of each byte, so a reference inside it maps back to exact file bytes.

use std::ops::Range;

/// Nesting depth of `$(…)` and backquotes beyond which substitutions are skipped unparsed,
/// so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// POSIX shell and bash.
    Shell,
    /// A Makefile recipe: `$(VAR)` and `${VAR}` are Make's, `$$` is the shell's `$`.
    Make,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpansionKind {
    /// `$NAME`, `${NAME}`, `${NAME:-default}`, Make's `$(NAME)`: ranges in the word's text.
    Parameter {
        name: Range<usize>,
        default: Option<Range<usize>>,
    },
    /// Command substitution, arithmetic, Make functions, CI expressions (`${{ … }}`).
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// Where the expansion sits in the word's text.
    pub range: Range<usize>,
    pub kind: ExpansionKind,
}

/// One shell word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The word's bytes in the source, quotes included.
    pub span: Range<usize>,
    /// The word without quotes, escapes and continuations; expansions kept as written.
    pub text: String,
    /// The source offset of each byte of `text`.
    pub offsets: Vec<usize>,
    pub expansions: Vec<Expansion>,
    /// A `$` or backquote the shell takes literally (quoted or escaped).
    pub literal_dollar: bool,
    /// Part of the word is quoted.
    pub quoted: bool,
}

impl Word {
    /// The text when the word holds no expansion.
    pub fn literal(&self) -> Option<&str> {
        (self.expansions.is_empty() && !self.literal_dollar).then_some(self.text.as_str())
    }

    /// The part of the word from byte `from` of its text on (the value of `NAME=value`).
    pub fn tail(&self, from: usize) -> Word {
        self.slice(from..self.text.len())
    }

    /// Bytes `range` of the word's text as a word of their own (`ref=…` in `a=b,ref=…`).
    pub fn slice(&self, range: Range<usize>) -> Word {
        let end = range.end.min(self.text.len());
        let start = range.start.min(end);
        // An empty tail sits right after the byte before it (`NAME=` or `NAME=""`).
        let span_start = match self.offsets.get(start) {
            Some(&at) => at,
            None => start
                .checked_sub(1)
                .and_then(|i| self.offsets.get(i))
                .map_or(self.span.end, |&at| at + 1),
        };
        let span_end = match end.checked_sub(1).and_then(|i| self.offsets.get(i)) {
            Some(&at) if end > start && end < self.text.len() => at + 1,
            _ => self.span.end,
        };
        Word {
            span: span_start.min(span_end)..span_end,
            text: self.text[start..end].to_owned(),
            offsets: self.offsets[start..end].to_vec(),
            expansions: self
                .expansions
                .iter()
                .filter(|e| e.range.start >= start && e.range.end <= end)
                .map(|e| shift_expansion(e, start))
                .collect(),
            literal_dollar: self.literal_dollar,
            quoted: self.quoted,
        }
    }

    /// Whether the word's text is `name` and written as such in the source (no quotes or
    /// escapes inside), so a byte search for `name` finds it.
    pub fn is(&self, name: &str) -> bool {
        self.text == name && self.contiguous(0..self.text.len())
    }

    /// Whether bytes `range` of the text are consecutive bytes of the source.
    pub fn contiguous(&self, range: Range<usize>) -> bool {
        if range.is_empty() {
            return true;
        }
        match (
            self.offsets.get(range.start),
            self.offsets.get(range.end - 1),
        ) {
            (Some(&first), Some(&last)) => last >= first && last - first == range.len() - 1,
            _ => false,
        }
    }

    /// Names of the variables the word reads, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.expansions.iter().filter_map(|e| match &e.kind {
            ExpansionKind::Parameter { name, .. } => Some(&self.text[name.clone()]),
            ExpansionKind::Other => ci_variable(&self.text[e.range.clone()]),
        })
    }
}

/// `${{ env.NAME }}` → `NAME`.
fn ci_variable(expression: &str) -> Option<&str> {
    let inner = expression.strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let name = inner.strip_prefix("env.")?;
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .then_some(name)
}

fn shift_expansion(e: &Expansion, by: usize) -> Expansion {
    let shift = |r: &Range<usize>| r.start - by..r.end - by;
    Expansion {
        range: shift(&e.range),
        kind: match &e.kind {
            ExpansionKind::Parameter { name, default } => ExpansionKind::Parameter {
                name: shift(name),
                default: default.as_ref().map(shift),
            },
            ExpansionKind::Other => ExpansionKind::Other,
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `<`
    Input,
    /// `>`, `>>`, `>|`, `&>`, `&>>`
    Output,
    /// `<&`, `>&`, `<>`
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The body's lines, without the delimiter line.
    pub body: Range<usize>,
    /// The delimiter was quoted, so the body is not expanded.
    pub quoted: bool,
}

/// A simple command: its words, redirections, heredocs and the pipeline feeding it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// Where the command starts in the source.
    pub start: usize,
    pub words: Vec<Word>,
    pub redirects: Vec<(RedirectKind, Word)>,
    pub heredocs: Vec<Heredoc>,
    /// `<<< word`
    pub here_strings: Vec<Word>,
    /// The command whose output this one reads (`a | b`): an index into the command list.
    pub piped_from: Option<usize>,
}

/// Every command in `text`, those inside `$(…)` and backquotes included (after the command
/// that holds them in the list, whose index they do not change).
pub fn commands(text: &str, dialect: Dialect) -> Vec<Command> {
    let mut lexer = Lexer::new(text, dialect);
    lexer.list(None);
    lexer.commands
}

/// `text` read as exactly one word (a CI variable's value), or `None` when it is several.
pub fn single_word(text: &str, dialect: Dialect) -> Option<Word> {
    let mut lexer = Lexer::new(text, dialect);
    let word = lexer.word()?;
    (lexer.pos == text.len() && !word.text.is_empty()).then_some(word)
}

struct PendingHeredoc {
    command: usize,
    delimiter: String,
    strip_tabs: bool,
    quoted: bool,
}

struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The lexer stops here (the closing backquote of a substitution being read).
    end: usize,
    dialect: Dialect,
    depth: usize,
    commands: Vec<Command>,
    pending: Vec<PendingHeredoc>,
}

#[derive(Default)]
struct Builder {
    text: Vec<u8>,
    offsets: Vec<usize>,
    expansions: Vec<Expansion>,
    literal_dollar: bool,
    quoted: bool,
}

impl Builder {
    fn push(&mut self, byte: u8, at: usize) {
        self.text.push(byte);
        self.offsets.push(at);
    }

    fn push_raw(&mut self, bytes: &[u8], range: Range<usize>, kind: ExpansionKind) {
        let start = self.text.len();
        for i in range.clone() {
            self.push(bytes[i], i);
        }
        let base = range.start;
        let relative = |r: Range<usize>| start + r.start - base..start + r.end - base;
        let kind = match kind {
            ExpansionKind::Parameter { name, default } => ExpansionKind::Parameter {
                name: relative(name),
                default: default.map(relative),
            },
            ExpansionKind::Other => ExpansionKind::Other,
        };
        self.expansions.push(Expansion {
            range: start..self.text.len(),
            kind,
        });
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

fn ends_word(b: u8) -> bool {
    is_blank(b) || matches!(b, b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Lexer<'a> {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            end: text.len(),
            dialect,
            depth: 0,
            commands: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        let at = self.pos + ahead;
        (at < self.end).then(|| self.bytes[at])
    }

    /// Skips blanks and line continuations.
    fn skip_blanks(&mut self) {
        while let Some(b) = self.peek(0) {
            if is_blank(b) {
                self.pos += 1;
            } else if let Some(len) = self.continuation(self.pos) {
                self.pos += len;
            } else {
                break;
            }
        }
    }

    /// The length of a `\`-newline at `at`, if there is one.
    fn continuation(&self, at: usize) -> Option<usize> {
        let b = |i: usize| (i < self.end).then(|| self.bytes[i]);
        match (b(at), b(at + 1), b(at + 2)) {
            (Some(b'\\'), Some(b'\n'), _) => Some(2),
            (Some(b'\\'), Some(b'\r'), Some(b'\n')) => Some(3),
            _ => None,
        }
    }

    fn skip_comment(&mut self) {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.pos += 1;
        }
    }

    /// A list of pipelines, up to the end or an unmatched `terminator` (consumed).
    fn list(&mut self, terminator: Option<u8>) {
        let mut pipe_from: Option<usize> = None;
        let mut last: Option<usize> = None;
        let mut open_parens = 0usize;
        loop {
            self.skip_blanks();
            let Some(b) = self.peek(0) else {
                return;
            };
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.read_heredocs();
                }
                b'#' => self.skip_comment(),
                b')' if open_parens == 0 && terminator == Some(b')') => {
                    self.pos += 1;
                    return;
                }
                b'(' | b')' => {
                    if b == b'(' {
                        open_parens += 1;
                    } else {
                        open_parens = open_parens.saturating_sub(1);
                    }
                    self.pos += 1;
                    pipe_from = None;
                }
                b'|' => {
                    let double = self.peek(1) == Some(b'|');
                    self.pos += if double || self.peek(1) == Some(b'&') {
                        2
                    } else {
                        1
                    };
                    pipe_from = if double { None } else { last };
                }
                b';' | b'&' if !(b == b'&' && self.peek(1) == Some(b'>')) => {
                    while self.peek(0).is_some_and(|c| c == b';' || c == b'&') {
                        self.pos += 1;
                    }
                    pipe_from = None;
                }
                _ => {
                    let before = self.pos;
                    last = Some(self.command(pipe_from.take()));
                    if self.pos == before {
                        // Nothing could be read here (a stray byte): step over it.
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// One simple command; returns its index.
    fn command(&mut self, piped_from: Option<usize>) -> usize {
        let index = self.commands.len();
        self.commands.push(Command {
            start: self.pos,
            piped_from,
            ..Command::default()
        });
        loop {
            self.skip_blanks();
            let Some(b) = self.peek(0) else {
                break;
            };
            match b {
                b'#' => self.skip_comment(),
                b'<' | b'>' if self.peek(1) == Some(b'(') => {
                    // Process substitution: a nested list.
                    self.pos += 2;
                    self.nested(Some(b')'));
                }
                b'<' | b'>' => self.redirect(index),
                b'&' if self.peek(1) == Some(b'>') => self.redirect(index),
                b'\n' | b';' | b'&' | b'|' | b'(' | b')' => break,
                _ => {
                    let Some(word) = self.word() else {
                        break;
                    };
                    let io_number = !word.quoted
                        && word.text.bytes().all(|c| c.is_ascii_digit())
                        && matches!(self.peek(0), Some(b'<' | b'>'));
                    if !io_number {
                        self.commands[index].words.push(word);
                    }
                }
            }
        }
        index
    }

    fn nested(&mut self, terminator: Option<u8>) {
        if self.depth >= MAX_DEPTH {
            self.skip_balanced(b'(', b')');
            return;
        }
        self.depth += 1;
        self.list(terminator);
        self.depth -= 1;
    }

    /// Skips to the `close` matching an already consumed `open`.
    fn skip_balanced(&mut self, open: u8, close: u8) {
        let mut level = 1usize;
        while let Some(b) = self.peek(0) {
            self.pos += 1;
            if b == b'\\' {
                self.pos = (self.pos + 1).min(self.end);
            } else if b == open {
                level += 1;
            } else if b == close {
                level -= 1;
                if level == 0 {
                    return;
                }
            }
        }
    }

    fn redirect(&mut self, command: usize) {
        let rest = &self.bytes[self.pos..self.end];
        let (len, kind) = if rest.starts_with(b"<<<") {
            (3, None)
        } else if rest.starts_with(b"<<-") {
            (3, Some(true))
        } else if rest.starts_with(b"<<") {
            (2, Some(false))
        } else if rest.starts_with(b"&>>") {
            (3, None)
        } else if rest.starts_with(b">>")
            || rest.starts_with(b">|")
            || rest.starts_with(b"&>")
            || rest.starts_with(b"<&")
            || rest.starts_with(b">&")
            || rest.starts_with(b"<>")
        {
            (2, None)
        } else {
            (1, None)
        };
        let op = &rest[..len];
        self.pos += len;
        self.skip_blanks();
        let Some(target) = self.word() else {
            return;
        };
        match (op, kind) {
            (b"<<<", _) => self.commands[command].here_strings.push(target),
            (_, Some(strip_tabs)) => self.pending.push(PendingHeredoc {
                command,
                delimiter: target.text.clone(),
                strip_tabs,
                quoted: target.quoted || target.text.len() != target.span.len(),
            }),
            _ => {
                let kind = match op {
                    b"<" => RedirectKind::Input,
                    b">" | b">>" | b">|" | b"&>" | b"&>>" => RedirectKind::Output,
                    _ => RedirectKind::Other,
                };
                self.commands[command].redirects.push((kind, target));
            }
        }
    }

    /// Reads the bodies of the heredocs opened on the line just ended.
    fn read_heredocs(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            let start = self.pos;
            let mut body_end = self.end;
            while self.pos < self.end {
                let line_start = self.pos;
                let line_end = self.bytes[self.pos..self.end]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.end, |i| self.pos + i);
                self.pos = (line_end + 1).min(self.end);
                let mut line = &self.bytes[line_start..line_end];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                if pending.strip_tabs {
                    while line.first() == Some(&b'\t') {
                        line = &line[1..];
                    }
                }
                if line == pending.delimiter.as_bytes() {
                    body_end = line_start;
                    break;
                }
            }
            self.commands[pending.command].heredocs.push(Heredoc {
                body: start..body_end.max(start),
                quoted: pending.quoted,
            });
        }
    }

    /// One word, or `None` at an operator, a newline or the end.
    fn word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut w = Builder::default();
        while let Some(b) = self.peek(0) {
            match b {
                _ if ends_word(b) => break,
                b'\\' => {
                    if let Some(len) = self.continuation(self.pos) {
                        self.pos += len;
                        continue;
                    }
                    match self.peek(1) {
                        Some(next) => {
                            w.push(next, self.pos + 1);
                            w.literal_dollar |= next == b'$' || next == b'`';
                            self.pos += 2;
                        }
                        None => {
                            w.push(b, self.pos);
                            self.pos += 1;
                        }
                    }
                }
                b'\'' => self.single_quoted(&mut w, false),
                b'"' => self.double_quoted(&mut w),
                b'$' => self.dollar(&mut w),
                b'`' => self.backquoted(&mut w),
                _ => {
                    w.push(b, self.pos);
                    self.pos += 1;
                }
            }
        }
        if self.pos == start {
            return None;
        }
        Some(Word {
            span: start..self.pos,
            // Bytes are copied whole characters at a time, so this never fails; be safe anyway.
            text: String::from_utf8(w.text).unwrap_or_default(),
            offsets: w.offsets,
            expansions: w.expansions,
            literal_dollar: w.literal_dollar,
            quoted: w.quoted,
        })
    }

    /// `'…'`, or `$'…'` (ANSI-C quoting, whose escapes are resolved loosely) when `ansi`.
    fn single_quoted(&mut self, w: &mut Builder, ansi: bool) {
        w.quoted = true;
        self.pos += 1;
        while let Some(b) = self.peek(0) {
            if b == b'\'' {
                self.pos += 1;
                return;
            }
            if ansi && b == b'\\' {
                if let Some(next) = self.peek(1) {
                    w.push(next, self.pos + 1);
                    self.pos += 2;
                    continue;
                }
            }
            w.literal_dollar |= b == b'$' || b == b'`';
            w.push(b, self.pos);
            self.pos += 1;
        }
    }

    fn double_quoted(&mut self, w: &mut Builder) {
        w.quoted = true;
        self.pos += 1;
        while let Some(b) = self.peek(0) {
            match b {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => {
                    if let Some(len) = self.continuation(self.pos) {
                        self.pos += len;
                        continue;
                    }
                    match self.peek(1) {
                        Some(next @ (b'$' | b'`' | b'"' | b'\\')) => {
                            w.literal_dollar |= next == b'$' || next == b'`';
                            w.push(next, self.pos + 1);
                            self.pos += 2;
                        }
                        _ => {
                            w.push(b, self.pos);
                            self.pos += 1;
                        }
                    }
                }
                b'$' => self.dollar(w),
                b'`' => self.backquoted(w),
                _ => {
                    w.push(b, self.pos);
                    self.pos += 1;
                }
            }
        }
    }

    fn backquoted(&mut self, w: &mut Builder) {
        let start = self.pos;
        let mut close = self.pos + 1;
        while close < self.end && self.bytes[close] != b'`' {
            close += if self.bytes[close] == b'\\' { 2 } else { 1 };
        }
        let close = close.min(self.end);
        if self.depth < MAX_DEPTH {
            let saved_end = self.end;
            self.pos = start + 1;
            self.end = close;
            self.depth += 1;
            self.list(None);
            self.depth -= 1;
            self.end = saved_end;
        }
        self.pos = (close + 1).min(self.end);
        w.push_raw(self.bytes, start..self.pos, ExpansionKind::Other);
    }

    /// An expansion at a `$`.
    fn dollar(&mut self, w: &mut Builder) {
        let start = self.pos;
        if self.dialect == Dialect::Make {
            match self.peek(1) {
                Some(b'$') => {
                    // `$$` is the shell's `$`.
                    self.pos += 1;
                    let kind = self.shell_expansion(w);
                    if let Some(kind) = kind {
                        w.push_raw(self.bytes, start..self.pos, kind);
                    }
                }
                Some(open @ (b'(' | b'{')) => {
                    let close = if open == b'(' { b')' } else { b'}' };
                    self.pos += 2;
                    self.skip_balanced(open, close);
                    let inner = start + 2..self.pos.saturating_sub(1).max(start + 2);
                    let kind = name_kind(self.bytes, inner, None);
                    w.push_raw(self.bytes, start..self.pos, kind);
                }
                Some(c) if !is_blank(c) && c != b'\n' => {
                    self.pos += 2;
                    let kind = name_kind(self.bytes, start + 1..start + 2, None);
                    w.push_raw(self.bytes, start..self.pos, kind);
                }
                _ => {
                    w.literal_dollar = true;
                    w.push(b'$', start);
                    self.pos += 1;
                }
            }
            return;
        }
        if let Some(kind) = self.shell_expansion(w) {
            w.push_raw(self.bytes, start..self.pos, kind);
        }
    }

    /// A shell expansion at the `$` under `pos`; `None` when it was added to `w` as quoted
    /// text or a literal `$` instead.
    fn shell_expansion(&mut self, w: &mut Builder) -> Option<ExpansionKind> {
        let start = self.pos;
        match self.peek(1) {
            Some(b'{') if self.peek(2) == Some(b'{') => {
                // A CI expression, substituted before the shell runs.
                let rest = &self.bytes[start + 3..self.end];
                self.pos = match memchr::memmem::find(rest, b"}}") {
                    Some(i) => start + 3 + i + 2,
                    None => self.end,
                };
                Some(ExpansionKind::Other)
            }
            Some(b'{') => {
                self.pos += 2;
                self.skip_balanced(b'{', b'}');
                let inner = start + 2..self.pos.saturating_sub(1).max(start + 2);
                Some(parameter(self.bytes, inner))
            }
            Some(b'(') if self.peek(2) == Some(b'(') => {
                self.pos += 3;
                self.skip_balanced(b'(', b')');
                if self.peek(0) == Some(b')') {
                    self.pos += 1;
                }
                Some(ExpansionKind::Other)
            }
            Some(b'(') => {
                self.pos += 2;
                self.nested(Some(b')'));
                Some(ExpansionKind::Other)
            }
            Some(b'\'') => {
                self.pos += 1;
                self.single_quoted(w, true);
                None
            }
            Some(b'"') => {
                self.pos += 1;
                self.double_quoted(w);
                None
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.pos += 1;
                while self.peek(0).is_some_and(is_name_byte) {
                    self.pos += 1;
                }
                Some(name_kind(self.bytes, start + 1..self.pos, None))
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.pos += 2;
                Some(ExpansionKind::Other)
            }
            _ => {
                w.literal_dollar = true;
                w.push(b'$', start);
                self.pos += 1;
                None
            }
        }
    }
}

/// `${…}` contents: a name and, for `:-`, `-`, `:=` and `=`, the default. Other operators
/// (`${#X}`, `${X%suffix}`, `${X:+alt}`) do not stand for the variable's value.
fn parameter(bytes: &[u8], inner: Range<usize>) -> ExpansionKind {
    let name_end = (inner.start..inner.end)
        .find(|&i| !is_name_byte(bytes[i]))
        .unwrap_or(inner.end);
    let op = &bytes[name_end..inner.end];
    let default_at = if op.starts_with(b":-") || op.starts_with(b":=") {
        Some(name_end + 2)
    } else if op.starts_with(b"-") || op.starts_with(b"=") {
        Some(name_end + 1)
    } else if op.is_empty() || op.starts_with(b":?") || op.starts_with(b"?") {
        None
    } else {
        return ExpansionKind::Other;
    };
    name_kind(
        bytes,
        inner.start..name_end,
        default_at.map(|d| d..inner.end),
    )
}

fn name_kind(bytes: &[u8], name: Range<usize>, default: Option<Range<usize>>) -> ExpansionKind {
    let valid = !name.is_empty()
        && bytes[name.clone()]
            .iter()
            .all(|&b| is_name_byte(b) || b == b'-' || b == b'.' || b == b'@' || b == b'<');
    if valid {
        ExpansionKind::Parameter { name, default }
    } else {
        ExpansionKind::Other
    }
}

#[cfg(test)]
#[path = "lex_tests.rs"]
mod tests;
