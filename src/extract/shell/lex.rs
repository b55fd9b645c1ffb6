//! Extract stage, text kinds: the tokenizer shared by shell scripts, Makefile recipes, env
//! files, Markdown code and CI `run:`/`script:` bodies. It splits text into commands (with
//! their pipelines, redirections and heredoc bodies) and words; a word's text has quotes,
//! escapes and line continuations removed and keeps every expansion as written, with the
//! source offset of each byte, so a reference inside it maps back to exact file bytes.

use std::ops::Range;

mod expansion;
mod lexer;

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
    let mut all: Vec<Command> = Vec::new();
    for_each_line(text, dialect, &mut |batch| {
        let base = all.len();
        all.extend(batch.iter().cloned().map(|mut c| {
            c.piped_from = c.piped_from.map(|i| i + base);
            c
        }));
    });
    all
}

/// The commands of `text` a line at a time (a pipeline or heredoc that runs over several
/// lines stays together); `piped_from` indexes the batch.
pub fn for_each_line(text: &str, dialect: Dialect, sink: &mut dyn FnMut(&[Command])) {
    lexer::for_each_line(text, dialect, sink);
}

/// `text` read as exactly one word (a CI variable's value), or `None` when it is several.
pub fn single_word(text: &str, dialect: Dialect) -> Option<Word> {
    lexer::single_word(text, dialect)
}

#[cfg(test)]
mod tests;
