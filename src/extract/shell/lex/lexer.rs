//! Extract stage, text kinds: the lexer behind [`super::commands`] — one pass over the bytes,
//! recursing into `$(…)` and backquotes up to a depth limit, reading heredoc bodies at the end
//! of the line that opened them.

use std::ops::Range;

use super::{Command, Dialect, Expansion, ExpansionKind, Heredoc, RedirectKind, Word};

/// Nesting depth of `$(…)` and backquotes beyond which substitutions are skipped unparsed,
/// so hostile input cannot exhaust the stack.
pub(super) const MAX_DEPTH: usize = 32;

/// Hands the commands to `sink` a line at a time (a pipeline or heredoc running over
/// several lines stays in one batch), so memory stays bounded by the longest line.
pub(super) fn for_each_line(text: &str, dialect: Dialect, sink: &mut dyn FnMut(&[Command])) {
    let mut lexer = Lexer::new(text, dialect);
    lexer.sink = Some(sink);
    lexer.list(None);
    lexer.flush();
}

pub(super) fn single_word(text: &str, dialect: Dialect) -> Option<Word> {
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

/// Where complete lines of commands go.
type Sink<'s> = &'s mut dyn FnMut(&[Command]);

pub(super) struct Lexer<'a, 's> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    /// The lexer stops here (the closing backquote of a substitution being read).
    pub(super) end: usize,
    pub(super) dialect: Dialect,
    pub(super) depth: usize,
    pub(super) commands: Vec<Command>,
    pending: Vec<PendingHeredoc>,
    /// Receives complete lines of commands; without one, commands accumulate.
    sink: Option<Sink<'s>>,
}

#[derive(Default)]
pub(super) struct Builder {
    pub(super) text: Vec<u8>,
    pub(super) offsets: Vec<usize>,
    pub(super) expansions: Vec<Expansion>,
    pub(super) literal_dollar: bool,
    pub(super) quoted: bool,
}

impl Builder {
    pub(super) fn push(&mut self, byte: u8, at: usize) {
        self.text.push(byte);
        self.offsets.push(at);
    }

    pub(super) fn push_raw(&mut self, bytes: &[u8], range: Range<usize>, kind: ExpansionKind) {
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

pub(super) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

fn ends_word(b: u8) -> bool {
    is_blank(b) || matches!(b, b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>')
}

pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a, '_> {
    fn new(text: &'a str, dialect: Dialect) -> Self {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            end: text.len(),
            dialect,
            depth: 0,
            commands: Vec::new(),
            pending: Vec::new(),
            sink: None,
        }
    }

    pub(super) fn peek(&self, ahead: usize) -> Option<u8> {
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
    pub(super) fn continuation(&self, at: usize) -> Option<usize> {
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
    pub(super) fn list(&mut self, terminator: Option<u8>) {
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
                    if self.depth == 0 && pipe_from.is_none() && self.sink.is_some() {
                        self.flush();
                        last = None;
                    }
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

    fn flush(&mut self) {
        if let Some(sink) = &mut self.sink {
            sink(&self.commands);
            self.commands.clear();
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

    pub(super) fn nested(&mut self, terminator: Option<u8>) {
        if self.depth >= MAX_DEPTH {
            self.skip_balanced(b'(', b')');
            return;
        }
        self.depth += 1;
        self.list(terminator);
        self.depth -= 1;
    }

    /// Skips to the `close` matching an already consumed `open`.
    pub(super) fn skip_balanced(&mut self, open: u8, close: u8) {
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
        // Room for the word up to its first blank (most words): growing two vectors a byte at
        // a time reallocates each several times per word.
        let guess = self.bytes[start..self.end]
            .iter()
            .take_while(|&&b| !ends_word(b))
            .count();
        let mut w = Builder {
            text: Vec::with_capacity(guess),
            offsets: Vec::with_capacity(guess),
            ..Builder::default()
        };
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
    pub(super) fn single_quoted(&mut self, w: &mut Builder, ansi: bool) {
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

    pub(super) fn double_quoted(&mut self, w: &mut Builder) {
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
}
