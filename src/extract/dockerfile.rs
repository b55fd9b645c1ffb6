//! Extract stage, Dockerfiles: a scanner that follows BuildKit's parser (parser directives,
//! escape character, line continuations, comment lines inside continuations, heredocs) and
//! keeps the byte offset of every character, so references can be edited in place.
//!
//! References: `FROM`, `COPY --from=`, `RUN --mount=…,from=…`, the same under `ONBUILD`, the
//! `# syntax=` directive, and global `ARG` defaults that a `FROM` expands. Templates of
//! Dockerfiles (`Dockerfile.j2`, `Dockerfile.in`) are read too: see [`template`].

use std::collections::{HashMap, HashSet};

use super::{vars, Blocker, Extraction, Occurrence, ParseError, Part, Role};
use crate::reference::ImageRef;
use crate::source::Span;
use lex::{directive, heredoc_name, unquote, words, Logical};

pub fn extract(text: &str) -> Extraction {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.finish()
}

/// The defaults of the global `ARG`s (declared before the first `FROM`), which `FROM` lines
/// expand: what a variable tag such as `golang:${GO_VERSION}` comes to without build args.
pub fn arg_defaults(text: &str) -> HashMap<String, String> {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner
        .args
        .into_iter()
        .filter(|(_, arg)| !arg.value.is_empty())
        .map(|(name, arg)| (name, arg.value))
        .collect()
}

/// A global `ARG` (declared before the first `FROM`) with a default value.
struct ArgDefault {
    value: String,
    span: Span,
    blocker: Option<Blocker>,
}

/// A `--from` value, resolved once every stage name is known.
struct PendingFrom {
    range: std::ops::Range<usize>,
    logical: std::rc::Rc<Logical>,
    statement: usize,
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    escape: char,
    seen_from: bool,
    args: HashMap<String, ArgDefault>,
    /// Stage names so far, lowercased (BuildKit compares them case-insensitively).
    stages: HashSet<String>,
    pending: Vec<PendingFrom>,
    /// Variables read by instructions other than `FROM` and `ARG`.
    vars_read_elsewhere: HashSet<String>,
    /// For each occurrence edited through an `ARG`, the variable's name.
    via_arg: Vec<(usize, String)>,
    /// The file holds template placeholders, so stages may come from elsewhere.
    templated: bool,
    out: Extraction,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Scanner {
            text,
            pos,
            escape: '\\',
            seen_from: false,
            args: HashMap::new(),
            stages: HashSet::new(),
            pending: Vec::new(),
            vars_read_elsewhere: HashSet::new(),
            via_arg: Vec::new(),
            templated: template::is_templated(text),
            out: Extraction::default(),
        }
    }

    /// The physical line at `at`: (content start, content end without `\r\n`, next line).
    fn line_at(&self, at: usize) -> (usize, usize, usize) {
        let rest = &self.text[at..];
        let (end, next) = match rest.find('\n') {
            Some(i) => (at + i, at + i + 1),
            None => (self.text.len(), self.text.len()),
        };
        let end = if self.text[at..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        (at, end, next)
    }

    fn run(&mut self) {
        self.parse_directives();
        while self.pos < self.text.len() {
            let (start, end, next) = self.line_at(self.pos);
            let line = &self.text[start..end];
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                self.pos = next;
                continue;
            }
            if self.templated && template::opens_block_comment(trimmed) {
                self.skip_block_comment(next);
                continue;
            }
            let statement = start + (line.len() - trimmed.len());
            let logical = self.read_logical(statement);
            self.instruction(logical, statement);
        }
    }

    /// Parser directives: `# key=value` lines at the very top, until the first other line.
    fn parse_directives(&mut self) {
        let mut at = self.pos;
        let mut seen = HashSet::new();
        while at < self.text.len() {
            let (start, end, next) = self.line_at(at);
            let Some((key, value)) = directive(&self.text[start..end]) else {
                return;
            };
            let key_lower = key.to_ascii_lowercase();
            if !matches!(key_lower.as_str(), "syntax" | "escape" | "check")
                || !seen.insert(key_lower.clone())
            {
                return;
            }
            let value_start =
                start + value.as_ptr() as usize - self.text[start..end].as_ptr() as usize;
            match key_lower.as_str() {
                "escape" if value == "`" => self.escape = '`',
                "syntax" => {
                    if let Ok(image) = ImageRef::parse(value) {
                        self.out.occurrences.push(Occurrence {
                            image,
                            text: value.to_owned(),
                            parts: vec![(
                                Part::Whole,
                                Span::new(value_start, value_start + value.len()),
                            )],
                            statement: start,
                            blocker: None,
                            shared: false,
                            role: Role::Pull,
                        });
                    }
                }
                _ => {}
            }
            at = next;
        }
    }

    /// Moves past a `{# … #}` template comment whose first line ends before `next`: what it
    /// holds is never rendered.
    fn skip_block_comment(&mut self, mut next: usize) {
        while next < self.text.len() {
            let (start, end, after) = self.line_at(next);
            next = after;
            if self.text[start..end].contains("#}") {
                break;
            }
        }
        self.pos = next;
    }

    /// Joins the instruction starting at `statement` with its continuation lines, skipping
    /// comment and empty lines inside the continuation, and moves past it.
    fn read_logical(&mut self, statement: usize) -> Logical {
        let mut logical = Logical {
            text: String::new(),
            offsets: Vec::new(),
        };
        let (_, mut end, mut next) = self.line_at(statement);
        let mut start = statement;
        loop {
            let segment = self.text[start..end].trim_end_matches([' ', '\t']);
            let Some(joined) = segment.strip_suffix(self.escape) else {
                logical.push(start, &self.text[start..end]);
                self.pos = next;
                return logical;
            };
            logical.push(start, joined);
            self.pos = next;
            loop {
                if self.pos >= self.text.len() {
                    return logical;
                }
                let (s, e, n) = self.line_at(self.pos);
                let t = self.text[s..e].trim_start();
                if t.is_empty() || t.starts_with('#') {
                    self.pos = n;
                    continue;
                }
                (start, end, next) = (s, e, n);
                break;
            }
        }
    }

    fn instruction(&mut self, logical: Logical, statement: usize) {
        let words = words(&logical.text, self.escape, self.templated);
        let Some(first) = words.first() else {
            return;
        };
        let keyword = logical.text[first.clone()].to_ascii_lowercase();
        let logical = std::rc::Rc::new(logical);
        self.dispatch(&keyword, &logical, &words[1..], statement);
    }

    fn dispatch(
        &mut self,
        keyword: &str,
        logical: &std::rc::Rc<Logical>,
        args: &[std::ops::Range<usize>],
        statement: usize,
    ) {
        match keyword {
            "from" => self.from(logical, args, statement),
            "arg" => {
                if !self.seen_from {
                    self.global_args(logical, args);
                }
            }
            "onbuild" => {
                self.note_vars_read(&logical.text);
                if let Some((inner, rest)) = args.split_first() {
                    let keyword = logical.text[inner.clone()].to_ascii_lowercase();
                    if keyword != "from" && keyword != "onbuild" {
                        self.dispatch(&keyword, logical, rest, statement);
                    }
                }
            }
            _ => {
                self.note_vars_read(&logical.text);
                for word in args {
                    let text = &logical.text[word.clone()];
                    if keyword == "copy" {
                        if let Some(value) = text.strip_prefix("--from=") {
                            self.pending.push(PendingFrom {
                                range: word.end - value.len()..word.end,
                                logical: logical.clone(),
                                statement,
                            });
                        }
                    }
                    if keyword == "run" {
                        if let Some(value) = text.strip_prefix("--mount=") {
                            self.mount_from(logical, word.end - value.len(), value, statement);
                        }
                    }
                }
                if matches!(keyword, "run" | "copy" | "add") {
                    self.skip_heredocs(logical, args, statement);
                }
            }
        }
    }

    fn from(&mut self, logical: &Logical, args: &[std::ops::Range<usize>], statement: usize) {
        self.seen_from = true;
        let mut rest = args
            .iter()
            .skip_while(|w| logical.text[(*w).clone()].starts_with("--"));
        let Some(image) = rest.next() else {
            self.out.errors.push(ParseError {
                offset: statement,
                message: "FROM requires an image".to_owned(),
            });
            return;
        };
        if !self.names_stage(&logical.text[image.clone()]) {
            self.reference(logical, image.clone(), statement);
        }
        // `AS name` ends the instruction, also after an image written as several template
        // words (`{% if arm %} arm64v8/ubuntu {% else %} ubuntu {% endif %}`).
        let rest: Vec<_> = rest.collect();
        if let [.., as_kw, name] = rest.as_slice() {
            if logical.text[(*as_kw).clone()].eq_ignore_ascii_case("as") {
                self.stages
                    .insert(logical.text[(*name).clone()].to_ascii_lowercase());
            }
        }
    }

    /// `ARG NAME=default …` before the first `FROM`.
    fn global_args(&mut self, logical: &Logical, args: &[std::ops::Range<usize>]) {
        for word in args {
            let text = &logical.text[word.clone()];
            let Some((name, value)) = text.split_once('=') else {
                continue;
            };
            let value_start = word.start + name.len() + 1;
            let (inner, quoted) = unquote(value);
            let inner_start = value_start + usize::from(quoted);
            let (span, contiguous) = logical.span(inner_start..inner_start + inner.len());
            let blocker = if quoted && inner.contains(self.escape) {
                Some(Blocker::NotVerbatim)
            } else if !contiguous {
                Some(Blocker::LineContinuation)
            } else {
                None
            };
            if inner.contains('$') || inner.contains(['"', '\'']) {
                self.args.remove(name);
                continue;
            }
            self.args.insert(
                name.to_owned(),
                ArgDefault {
                    value: inner.to_owned(),
                    span,
                    blocker,
                },
            );
        }
    }

    /// `--mount=type=bind,from=image,…`: the `from` field.
    fn mount_from(
        &mut self,
        logical: &std::rc::Rc<Logical>,
        start: usize,
        value: &str,
        statement: usize,
    ) {
        let mut field_start = start;
        for field in value.split(',') {
            if let Some(image) = field.strip_prefix("from=") {
                let begin = field_start + "from=".len();
                self.pending.push(PendingFrom {
                    range: begin..begin + image.len(),
                    logical: logical.clone(),
                    statement,
                });
            }
            field_start += field.len() + 1;
        }
    }

    /// Moves past the bodies of heredocs opened on this line (`<<EOF`, `<<-EOF`, `<<"EOF"`).
    fn skip_heredocs(
        &mut self,
        logical: &Logical,
        args: &[std::ops::Range<usize>],
        statement: usize,
    ) {
        for word in args {
            let Some((name, strip_tabs)) = heredoc_name(&logical.text[word.clone()]) else {
                continue;
            };
            let opened_at = logical.span(word.clone()).0.start;
            loop {
                if self.pos >= self.text.len() {
                    self.out.errors.push(ParseError {
                        offset: opened_at.max(statement),
                        message: format!("heredoc <<{name} is never closed"),
                    });
                    return;
                }
                let (start, end, next) = self.line_at(self.pos);
                self.pos = next;
                let line = &self.text[start..end];
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if line == name {
                    break;
                }
            }
        }
    }

    fn note_vars_read(&mut self, text: &str) {
        self.vars_read_elsewhere
            .extend(vars::names_read(text).map(str::to_owned));
    }

    /// Records the reference in `logical[range]`, resolving variables through global ARGs.
    fn reference(&mut self, logical: &Logical, range: std::ops::Range<usize>, statement: usize) {
        let raw = &logical.text[range.clone()];
        let (inner, quoted) = unquote(raw);
        let range =
            range.start + usize::from(quoted)..range.start + usize::from(quoted) + inner.len();
        let raw = &logical.text[range.clone()];
        let placeholder = self
            .templated
            .then(|| template::first_placeholder(raw))
            .flatten();
        let found = if let Some(at) = placeholder {
            template::tag_only_reference(logical, range, at, statement)
        } else if raw.contains('$') {
            self.with_variables(logical, range, statement)
        } else {
            ImageRef::parse(raw).ok().map(|image| {
                let (span, contiguous) = logical.span(range.clone());
                Occurrence {
                    image,
                    text: raw.to_owned(),
                    parts: vec![(Part::Whole, span)],
                    statement,
                    blocker: (!contiguous).then_some(Blocker::LineContinuation),
                    shared: false,
                    role: Role::Pull,
                }
            })
        };
        if let Some(occurrence) = found {
            self.out.occurrences.push(occurrence);
        }
    }

    fn with_variables(
        &mut self,
        logical: &Logical,
        range: std::ops::Range<usize>,
        statement: usize,
    ) -> Option<Occurrence> {
        let raw = &logical.text[range.clone()];
        match vars::shape(raw) {
            vars::Shape::LiteralName { len } => {
                let image = ImageRef::parse(&raw[..len]).ok()?;
                let (span, contiguous) = logical.span(range.start..range.start + len);
                Some(Occurrence {
                    image,
                    text: raw.to_owned(),
                    parts: vec![(Part::Name, span)],
                    statement,
                    blocker: (!contiguous).then_some(Blocker::LineContinuation),
                    shared: false,
                    role: Role::Pull,
                })
            }
            vars::Shape::LeadingVariable { variable, len, .. } => {
                self.through_arg(logical, range.start, variable, len, raw, statement)
            }
            // Anything else: report only when every variable has a default.
            vars::Shape::Other => {
                let image = ImageRef::parse(&self.expand(raw)?).ok()?;
                Some(Occurrence {
                    image,
                    text: raw.to_owned(),
                    parts: vec![(Part::Whole, logical.span(range).0)],
                    statement,
                    blocker: Some(Blocker::Variables),
                    shared: false,
                    role: Role::Pull,
                })
            }
        }
    }

    /// `${NAME}` (the whole reference) or `${NAME}:tag` (the name): the edit goes on the ARG
    /// default; `${NAME:-default}` without an ARG default: on the inline default.
    fn through_arg(
        &mut self,
        logical: &Logical,
        start: usize,
        var: vars::Variable<'_>,
        var_len: usize,
        raw: &str,
        statement: usize,
    ) -> Option<Occurrence> {
        let whole = var_len == raw.len();
        let part = if whole { Part::Whole } else { Part::Name };
        if let Some(arg) = self.args.get(var.name).filter(|a| !a.value.is_empty()) {
            let image = ImageRef::parse(&arg.value).ok()?;
            if !whole && (image.tag.is_some() || image.digest.is_some()) {
                return None;
            }
            self.via_arg
                .push((self.out.occurrences.len(), var.name.to_owned()));
            let text = format!("{}{}", arg.value, &raw[var_len..]);
            return Some(Occurrence {
                image,
                text,
                parts: vec![(part, arg.span)],
                statement,
                blocker: arg.blocker,
                shared: false,
                role: Role::Pull,
            });
        }
        let (default, offset) = var.default?;
        let image = ImageRef::parse(default).ok()?;
        if !whole && (image.tag.is_some() || image.digest.is_some()) {
            return None;
        }
        let (span, contiguous) = logical.span(start + offset..start + offset + default.len());
        Some(Occurrence {
            image,
            text: raw.to_owned(),
            parts: vec![(part, span)],
            statement,
            blocker: (!contiguous).then_some(Blocker::LineContinuation),
            shared: false,
            role: Role::Pull,
        })
    }

    /// `scratch` or a stage name, written out or through a global ARG (`FROM ${GO_SRC}` with
    /// `ARG GO_SRC=go-builder`). Stage names compare case-insensitively.
    fn names_stage(&self, raw: &str) -> bool {
        let expanded = if raw.contains('$') {
            self.expand(raw)
        } else {
            Some(raw.to_owned())
        };
        expanded.is_some_and(|name| {
            name == "scratch" || self.stages.contains(&name.to_ascii_lowercase())
        })
    }

    /// Expands variables with global ARG defaults.
    fn expand(&self, raw: &str) -> Option<String> {
        vars::expand(raw, |name| {
            self.args
                .get(name)
                .filter(|a| !a.value.is_empty())
                .map(|a| a.value.clone())
        })
    }

    fn finish(mut self) -> Extraction {
        for pending in std::mem::take(&mut self.pending) {
            let raw = &pending.logical.text[pending.range.clone()];
            let is_index = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
            // In a template, a bare name may be a stage that an included file declares.
            let may_be_stage = self.templated && template::is_bare_name(raw);
            if !is_index && !may_be_stage && !self.names_stage(raw) {
                self.reference(&pending.logical, pending.range.clone(), pending.statement);
            }
        }
        for (index, name) in &self.via_arg {
            if self.vars_read_elsewhere.contains(name) {
                self.out.occurrences[*index].shared = true;
            }
        }
        self.out
    }
}

mod lex;
mod template;
#[cfg(test)]
mod tests;
