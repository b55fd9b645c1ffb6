//! Extract stage, YAML fast path: a line reader for plain block-style files (nested block
//! mappings and sequences, single-line plain and quoted scalars, literal and folded block
//! scalars, comments, `---` documents, CRLF, BOM) that builds exactly the documents the
//! saphyr path builds, positions included. Anything else makes it give up (None) before a
//! single document is handed over, and the caller reads the file with saphyr instead.

use compact_str::CompactString;

use super::{Builder, Document, Scalar, Value};
use crate::source::Span;

mod block;
mod scalar;

/// Deeper files are rare; saphyr reads them without recursion.
const MAX_DEPTH: usize = 64;
/// saphyr drops a simple key candidate after 1024 characters; stay well below.
const MAX_KEY: usize = 1000;

/// Files larger than this are left to saphyr, which hands documents over one at a time: the
/// fast path holds every document of a file before handing any over (a 25 MB stream of pods
/// would take gigabytes).
const MAX_FILE: usize = 1 << 20;

/// Every document of `text`, or None when the file needs the full parser.
pub(super) fn parse(text: &str) -> Option<Vec<Document>> {
    if text.len() > MAX_FILE {
        return None;
    }
    let bytes = text.as_bytes();
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let bom_later = crate::extract::needles::BOM.is_in(&bytes[bom..]);
    if bom_later || memchr::memchr(0, bytes).is_some() || has_lone_cr(bytes) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes,
        pos: bom,
        builder: Builder::default(),
        docs: Vec::new(),
        depth: 0,
    };
    reader.stream()?;
    Some(reader.docs)
}

fn has_lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

/// One line: `content` is its first byte after the indentation, `end` is before its break.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    content: usize,
    end: usize,
    next: usize,
    eof: bool,
    /// A `---` document marker.
    marker: bool,
}

/// What starts at a position inside a line.
enum Item {
    /// `-` and a blank: a sequence entry.
    Dash,
    /// A simple key: its scalar and where it starts, and the byte after its `:`.
    Key(Scalar, usize, usize),
    /// A scalar that ends the line (but for a comment), and where it starts.
    Scalar(Scalar, usize),
    /// `|` or `>`.
    Block,
    /// An empty flow mapping ending the line.
    EmptyMap,
    /// A single-line flow sequence of scalars and flow mappings ending the line.
    FlowSeq(Vec<FlowEntry>),
    /// A single-line flow mapping of scalar keys and values ending the line.
    FlowMap(Vec<FlowPair>),
}

/// A flow mapping's key and value, each with where it starts.
type FlowPair = ((Scalar, usize), (Scalar, usize));

/// An entry of a one-line flow sequence, and where it starts.
enum FlowEntry {
    Scalar(Scalar, usize),
    Map(usize, Vec<FlowPair>),
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The start of the first line not yet read.
    pos: usize,
    builder: Builder,
    docs: Vec<Document>,
    depth: usize,
}

impl Reader<'_> {
    fn line(&self, start: usize) -> Line {
        let b = self.bytes;
        let nl = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let end = if nl > start && b[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let indent = b[start..end].iter().take_while(|&&c| c == b' ').count();
        Line {
            start,
            indent,
            content: start + indent,
            end,
            next: (nl + 1).min(b.len()),
            eof: false,
            marker: false,
        }
    }

    /// The next line with content (comments and blank lines skipped, `self.pos` moved to it),
    /// or an end-of-file line. None for what the fast path leaves to saphyr: tabs in the
    /// indentation, `...`, directives.
    fn peek(&mut self) -> Option<Line> {
        let b = self.bytes;
        loop {
            if self.pos >= b.len() {
                let at = b.len();
                return Some(Line {
                    start: at,
                    indent: 0,
                    content: at,
                    end: at,
                    next: at,
                    eof: true,
                    marker: false,
                });
            }
            let mut line = self.line(self.pos);
            match b.get(line.content).filter(|_| line.content < line.end) {
                None | Some(b'#') => {
                    self.pos = line.next;
                    continue;
                }
                Some(b'\t' | b'%') => return None,
                _ => {}
            }
            if line.indent == 0 {
                let rest = &b[line.start..line.end];
                if rest.starts_with(b"...") {
                    return None;
                }
                if rest.starts_with(b"---") {
                    if rest.len() > 3 && rest[3] != b' ' {
                        return None;
                    }
                    line.marker = true;
                }
            }
            return Some(line);
        }
    }

    fn stream(&mut self) -> Option<()> {
        // Whether a `---` opened a document that has no content yet.
        let mut open = false;
        loop {
            let line = self.peek()?;
            if line.eof {
                if open {
                    self.empty_document(line.start, line.start);
                }
                return Some(());
            }
            if line.marker {
                // An empty document's null sits on the token after it: this marker.
                if open {
                    self.empty_document(line.start, line.start + 3);
                }
                if !self.rest_is_blank(line.start + 3, line.end) {
                    return None;
                }
                self.pos = line.next;
                open = true;
                continue;
            }
            open = false;
            self.builder = Builder::new();
            self.node(line)?;
            let after = self.peek()?;
            if !(after.eof || after.marker) {
                return None;
            }
            let builder = std::mem::take(&mut self.builder);
            self.docs.push(builder.finish());
        }
    }
}

impl Reader<'_> {
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.builder.close();
        self.depth -= 1;
    }

    /// A block collection starting on `line`, indented deeper than its owner.
    fn node(&mut self, line: Line) -> Option<()> {
        match self.item(line.content, line.end)? {
            Item::Dash => self.seq(line, line.content, false),
            Item::Key(key, start, after) => self.map(line, (key, start, after)),
            _ => None,
        }
    }

    /// A block mapping whose first key (scalar, start, byte after `:`) is on `line`.
    fn map(&mut self, mut line: Line, mut key: (Scalar, usize, usize)) -> Option<()> {
        let col = key.1 - line.start;
        self.enter()?;
        self.builder.open_map(key.1, None);
        loop {
            let (scalar, start, after) = key;
            self.builder.add(Value::Scalar(scalar), start);
            self.value(line, after, col)?;
            let next = self.peek()?;
            if next.eof || next.marker || next.indent < col {
                break;
            }
            if next.indent > col {
                return None;
            }
            match self.item(next.content, next.end)? {
                Item::Key(scalar, start, after) => key = (scalar, start, after),
                _ => return None,
            }
            line = next;
        }
        self.leave();
        Some(())
    }

    /// The value of a key at column `col` whose `:` ends at `after`.
    fn value(&mut self, line: Line, after: usize, col: usize) -> Option<()> {
        let at = self.skip_spaces(after, line.end);
        if at < line.end && self.bytes[at] != b'#' {
            return self.inline(line, at, col, false);
        }
        self.pos = line.next;
        let next = self.peek()?;
        if !next.eof && !next.marker {
            if next.indent > col {
                return self.node(next);
            }
            // A sequence may sit at its key's indentation.
            if next.indent == col && self.is_dash(next.content, next.end) {
                return self.seq(next, next.content, true);
            }
        }
        // saphyr places an empty value on its `:`.
        self.null(after - 1);
        Some(())
    }

    /// A block sequence whose first `-` is at `dash`; an indentless one (at its key's
    /// indentation) starts where its first entry does.
    fn seq(&mut self, mut line: Line, mut dash: usize, indentless: bool) -> Option<()> {
        let col = dash - line.start;
        self.enter()?;
        let start = if indentless {
            self.entry(dash, line.end)
        } else {
            dash
        };
        self.builder.open_seq(start, None);
        loop {
            let at = self.entry(dash, line.end);
            if at == line.end {
                self.pos = line.next;
                let next = self.peek()?;
                if !next.eof && !next.marker && next.indent > col {
                    self.node(next)?;
                } else {
                    self.null(at);
                }
            } else {
                self.inline(line, at, col, true)?;
            }
            let next = self.peek()?;
            if next.eof || next.marker || next.indent < col {
                break;
            }
            if next.indent > col {
                return None;
            }
            if !self.is_dash(next.content, next.end) {
                if indentless {
                    break;
                }
                return None;
            }
            line = next;
            dash = next.content;
        }
        self.leave();
        Some(())
    }

    /// Where an entry's content starts after its `-`: past blanks, or the line's end when
    /// only a comment follows.
    fn entry(&self, dash: usize, end: usize) -> usize {
        let at = self.skip_spaces(dash + 1, end);
        if at < end && self.bytes[at] == b'#' {
            end
        } else {
            at
        }
    }

    /// A node starting at `at` on `line` after a key or `-` at column `col`; only a sequence
    /// entry may hold a nested sequence or mapping on the same line.
    fn inline(&mut self, line: Line, at: usize, col: usize, entry: bool) -> Option<()> {
        let Some(item) = self.item(at, line.end) else {
            // A quoted scalar not closed on its line may continue on the next ones.
            let (scalar, next) = self.multi_line_quoted(line, at, col)?;
            self.builder.add(Value::Scalar(scalar), at);
            self.pos = next;
            return Some(());
        };
        match item {
            Item::Scalar(scalar, start) => {
                let plain = !matches!(self.bytes[start], b'\'' | b'"');
                let scalar = if plain && self.only_spaces(scalar.span.end, line.end) {
                    self.continued(scalar, line, col)?
                } else {
                    self.pos = line.next;
                    scalar
                };
                self.builder.add(Value::Scalar(scalar), start);
            }
            Item::EmptyMap => {
                self.builder.open_map(at, None);
                self.builder.close();
                self.pos = line.next;
            }
            Item::FlowMap(entries) => {
                self.add_flow_map(at, entries);
                self.pos = line.next;
            }
            Item::FlowSeq(items) => {
                self.builder.open_seq(at, None);
                for item in items {
                    match item {
                        FlowEntry::Scalar(scalar, start) => {
                            self.builder.add(Value::Scalar(scalar), start);
                        }
                        FlowEntry::Map(start, entries) => self.add_flow_map(start, entries),
                    }
                }
                self.builder.close();
                self.pos = line.next;
            }
            Item::Block => self.block_scalar(line, at, col)?,
            Item::Dash if entry => self.seq(line, at, false)?,
            Item::Key(key, start, after) if entry => self.map(line, (key, start, after))?,
            _ => return None,
        }
        Some(())
    }

    /// A one-line flow mapping starting at `at`, built as saphyr builds it.
    fn add_flow_map(&mut self, at: usize, entries: Vec<FlowPair>) {
        self.builder.open_map(at, None);
        for ((key, key_start), (value, value_start)) in entries {
            self.builder.add(Value::Scalar(key), key_start);
            self.builder.add(Value::Scalar(value), value_start);
        }
        self.builder.close();
    }

    fn null(&mut self, at: usize) {
        let scalar = self.scalar("", Span::new(at, at), false, true);
        self.builder.add(Value::Scalar(scalar), at);
    }

    fn empty_document(&mut self, start: usize, end: usize) {
        self.builder = Builder::new();
        let scalar = self.scalar("", Span::new(start, end), false, true);
        self.builder.add(Value::Scalar(scalar), start);
        let builder = std::mem::take(&mut self.builder);
        self.docs.push(builder.finish());
    }

    fn scalar(
        &self,
        value: impl Into<CompactString>,
        span: Span,
        block: bool,
        null: bool,
    ) -> Scalar {
        Scalar::of(self.text, value.into(), span, block, null)
    }

    fn skip_spaces(&self, mut at: usize, end: usize) -> usize {
        while at < end && self.bytes[at] == b' ' {
            at += 1;
        }
        at
    }

    /// A plain scalar continued on the lines after `line` that are indented deeper than `col`
    /// (`description: a long` / `  sentence`): saphyr folds each line break into a space.
    /// Blank lines, comments and anything a plain scalar cannot hold end it; a continuation
    /// the fast path does not read is left to saphyr.
    fn continued(&mut self, scalar: Scalar, line: Line, col: usize) -> Option<Scalar> {
        self.pos = line.next;
        let (start, mut end) = (scalar.span.start, scalar.span.end);
        let mut value: Option<String> = None;
        while self.pos < self.bytes.len() {
            let next = self.line(self.pos);
            if next.content >= next.end || next.indent <= col || self.bytes[next.content] == b'#' {
                break;
            }
            let text = &self.bytes[next.content..next.end];
            let last = next.content + text.iter().rposition(|&c| c != b' ')? + 1;
            let words = &self.bytes[next.content..last];
            // Inside a plain scalar only a comment or a `: ` ends a line early: indicators that
            // could not start one (`"`, `|`, `-`, `[`) are content on the lines after the first.
            let indicator = matches!(words[0], b'#' | b':');
            let unsure = |w: &[u8]| w.windows(2).any(|p| p == b": " || p == b" #");
            if indicator || words.contains(&b'\t') || words.ends_with(b":") || unsure(words) {
                return None;
            }
            let folded = value.get_or_insert_with(|| scalar.value.to_string());
            folded.push(' ');
            folded.push_str(&self.text[next.content..last]);
            end = last;
            self.pos = next.next;
        }
        Some(match value {
            None => scalar,
            Some(folded) => self.scalar(folded, Span::new(start, end), false, false),
        })
    }

    fn only_spaces(&self, from: usize, end: usize) -> bool {
        self.bytes[from..end].iter().all(|&c| c == b' ')
    }

    /// Only blanks and perhaps a comment (after a blank) from `from` to `end`.
    fn rest_is_blank(&self, from: usize, end: usize) -> bool {
        let at = self.skip_spaces(from, end);
        at == end || (self.bytes[at] == b'#' && at > from)
    }

    fn is_dash(&self, at: usize, end: usize) -> bool {
        self.bytes[at] == b'-' && (at + 1 == end || self.bytes[at + 1] == b' ')
    }
}

#[cfg(test)]
mod multiline_tests {
    use crate::extract::yaml::{parse_fast, parse_stream_full, Document};

    fn full(text: &str) -> Vec<Document> {
        let mut docs = Vec::new();
        parse_stream_full(text, |d| docs.push(d.clone())).unwrap();
        docs
    }

    #[test]
    fn multi_line_plain_scalars_read_like_saphyr() {
        for text in [
            "description: Redis is a store. It is often referred\n  to as a data structure server\n  and more.\nhome: x\n",
            "a:\n  b: one two\n    three\n  c: d\n",
            "- one\n  two\n- three\n",
            "k: v  \n   w   \nz: 1\r\n",
            "k: v\n\n  w\n",
            "k: v\n  # c\n  w\n",
            "k: v # c\n  w\n",
            "k: v\n  w: x\n",
            "k: v\n  - w\n",
        ] {
            if let Some(fast) = parse_fast(text) {
                assert_eq!(fast, full(text), "{text:?}");
            }
        }
        assert!(parse_fast("description: a b\n  c d\nx: 1\n").is_some());
    }
}
