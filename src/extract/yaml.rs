//! Extract stage, YAML: a span-exact document model built from `saphyr-parser` events, shared
//! by the YAML-family extractors. Scalars carry the byte range of their content (inside the
//! quotes, after any `&anchor` / `!tag`), so an edit keeps quoting and style. Documents are
//! built and handed over one at a time, iteratively, so neither deep nesting nor long streams
//! exhaust the stack or the memory. Aliases are never expanded.

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle};

use super::ParseError;
use crate::source::Span;

mod fast;
mod lenient;

pub type NodeId = usize;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Map(Vec<(NodeId, NodeId)>),
    Seq(Vec<NodeId>),
    Alias,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// Most scalars (keys, names, tags) are short: kept inline, they cost no allocation.
    pub value: CompactString,
    /// The content's bytes: inside the quotes for quoted scalars, after any properties.
    pub span: Span,
    /// The bytes of `span` are exactly `value`: no escapes, no line folding, not a block.
    pub verbatim: bool,
    /// A literal (`|`) or folded (`>`) block scalar.
    pub block: bool,
    /// An empty plain scalar (`key:` with nothing after it).
    pub null: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node starts (its properties included).
    pub start: usize,
    /// The collection holding the node.
    pub parent: Option<NodeId>,
    /// For a mapping's value, its key.
    pub key: Option<NodeId>,
}

/// One YAML document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub nodes: Vec<Node>,
}

impl Document {
    pub fn root(&self) -> Option<NodeId> {
        (!self.nodes.is_empty()).then_some(0)
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn scalar(&self, id: NodeId) -> Option<&Scalar> {
        match &self.nodes[id].value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar's value, when the node is a scalar.
    pub fn str(&self, id: NodeId) -> Option<&str> {
        self.scalar(id).map(|s| s.value.as_str())
    }

    pub fn entries(&self, id: NodeId) -> &[(NodeId, NodeId)] {
        match &self.nodes[id].value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.nodes[id].value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.nodes[id].value, Value::Map(_))
    }

    /// The value under scalar key `key` in mapping `id`.
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entries(id)
            .iter()
            .find(|(k, _)| self.str(*k) == Some(key))
            .map(|&(_, v)| v)
    }

    /// The collection holding node `id`.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.nodes[id].parent
    }

    /// The scalar key under which node `id` is a mapping's value.
    pub fn key_of(&self, id: NodeId) -> Option<&str> {
        self.nodes[id].key.and_then(|key| self.str(key))
    }

    /// Every (key, value) pair of every mapping, in document order, found without recursion.
    pub fn all_entries(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.nodes
            .iter()
            .flat_map(|n| match &n.value {
                Value::Map(entries) => entries.as_slice(),
                _ => &[],
            })
            .copied()
    }
}

/// Converts the parser's character indices to byte offsets.
struct CharIndex<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of every 64th character.
    checkpoints: Vec<usize>,
}

impl<'a> CharIndex<'a> {
    const STRIDE: usize = 64;

    fn new(text: &'a str) -> CharIndex<'a> {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(Self::STRIDE)
                .map(|(i, _)| i)
                .collect()
        };
        CharIndex {
            text,
            ascii,
            checkpoints,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / Self::STRIDE) else {
            return self.text.len();
        };
        self.text[base..]
            .char_indices()
            .nth(char_index % Self::STRIDE)
            .map_or(self.text.len(), |(i, _)| base + i)
    }
}

/// Parses every document of `text`, handing each to `visit`. Stops at the first syntax error,
/// which it returns (documents before it have been visited). A file that libyaml reads but
/// saphyr rejects is read again leniently, one document at a time (see [`lenient`]); spans
/// still point into `text`.
pub fn parse_stream(text: &str, visit: impl FnMut(&Document)) -> Result<(), ParseError> {
    // Plain block-style files (most values files) take a fast path that builds the same
    // documents; it decides on the whole file before visiting any.
    if let Some(documents) = fast::parse(text) {
        documents.iter().for_each(visit);
        return Ok(());
    }
    parse_stream_full(text, visit)
}

/// The documents of `text` as the fast path reads them, or None when it leaves the file to
/// saphyr. For differential tests.
#[doc(hidden)]
pub fn parse_fast(text: &str) -> Option<Vec<Document>> {
    fast::parse(text)
}

/// [`parse_stream`] without the fast path: always saphyr. For differential tests.
#[doc(hidden)]
pub fn parse_stream_full(text: &str, mut visit: impl FnMut(&Document)) -> Result<(), ParseError> {
    let mut from = 0;
    loop {
        let strict = Reading {
            parsed: text,
            from,
            original: text,
            map: None,
        };
        let failure = match read(&strict, &mut visit) {
            Ok(()) => return Ok(()),
            Err(failure) => failure,
        };
        from = lenient::reread_document(text, failure, |reading| read(reading, &mut visit))?;
    }
}

/// The text handed to the parser (from byte `from` on), and how its positions map back to the
/// file's bytes.
struct Reading<'a> {
    /// The file, or one document of it relaxed.
    parsed: &'a str,
    /// Where the read starts: a document's start, as documents before it have been read.
    from: usize,
    original: &'a str,
    /// None when `parsed` is `original`.
    map: Option<&'a lenient::OffsetMap>,
}

impl Reading<'_> {
    /// The file's byte for byte `at` of the text read.
    fn to_original(&self, at: usize) -> usize {
        let at = at + self.from;
        self.map.map_or(at, |map| map.to_original(at))
    }
}

/// Where and why a read stopped, with what a lenient retry needs; positions are in the whole
/// parsed text.
struct Failure {
    at: usize,
    info: String,
    /// The `[` or `{` of the outermost flow collection still open.
    open_flow: Option<usize>,
    /// The end of the last event read.
    last_end: usize,
    /// Where the document holding the error starts.
    document: usize,
}

/// One pass of the parser over `reading`, visiting each document it completes.
fn read(reading: &Reading<'_>, visit: &mut impl FnMut(&Document)) -> Result<(), Failure> {
    let text = &reading.parsed[reading.from..];
    let index = CharIndex::new(text);
    let mut builder = Builder::default();
    let mut last_end = 0;
    let mut document = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| Failure {
            at: reading.from + index.byte(e.marker().index()),
            info: e.info().to_owned(),
            open_flow: builder
                .open
                .iter()
                .find_map(|open| open.flow)
                .map(|at| reading.from + at),
            last_end: reading.from + last_end,
            document: reading.from + document,
        })?;
        let start = index.byte(span.start.index());
        let end = index.byte(span.end.index()).max(start);
        last_end = end;
        let node_start = reading.to_original(start);
        match event {
            Event::DocumentStart(_) => builder = Builder::default(),
            Event::DocumentEnd => {
                visit(&builder.doc);
                builder = Builder::default();
                // An implicit end is the next `---`, which starts the next document; after an
                // explicit `...`, directives may come before it.
                document = if text[start..].starts_with("---") {
                    start
                } else {
                    end
                };
            }
            Event::Scalar(value, style, _, _) => {
                let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
                let scalar = tighten(text, start, end, CompactString::from(value), style);
                // A quoted scalar's event span may run on past its closing quote.
                last_end = scalar.span.end + usize::from(quoted);
                builder.add(Value::Scalar(relocate(scalar, reading)), node_start);
            }
            Event::Alias(_) => {
                builder.add(Value::Alias, node_start);
            }
            Event::MappingStart(..) => {
                let flow = flow_bracket(text, start, end);
                builder.open_collection(Value::Map(Vec::new()), node_start, flow);
            }
            Event::SequenceStart(..) => {
                let flow = flow_bracket(text, start, end);
                builder.open_collection(Value::Seq(Vec::new()), node_start, flow);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                builder.open.pop();
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(())
}

/// The `[` or `{` of a collection whose start event spans `start..end`; None for a block
/// collection, whose event span is empty.
fn flow_bracket(text: &str, start: usize, end: usize) -> Option<usize> {
    let at = skip_properties(text.as_bytes(), start, end);
    (at < end && matches!(text.as_bytes()[at], b'[' | b'{')).then_some(at)
}

/// A scalar found in the parsed text, with its span moved to the file's bytes.
fn relocate(scalar: Scalar, reading: &Reading<'_>) -> Scalar {
    if reading.map.is_none() && reading.from == 0 {
        return scalar;
    }
    let span = Span::new(
        reading.to_original(scalar.span.start),
        reading.to_original(scalar.span.end),
    );
    // A scalar over shifted lines spans several lines, and such a scalar is never verbatim.
    let verbatim =
        !scalar.block && reading.original.get(span.start..span.end) == Some(scalar.value.as_str());
    Scalar {
        span,
        verbatim,
        ..scalar
    }
}

#[derive(Default)]
struct Builder {
    doc: Document,
    open: Vec<Open>,
}

/// A collection being filled; for a mapping, the key waiting for its value.
struct Open {
    id: NodeId,
    key: Option<NodeId>,
    /// For a flow collection, where its bracket is in the parsed text.
    flow: Option<usize>,
}

impl Builder {
    fn add(&mut self, value: Value, start: usize) -> NodeId {
        let id = self.doc.nodes.len();
        let mut key_of_value = None;
        if let Some(parent) = self.open.last_mut() {
            match &mut self.doc.nodes[parent.id].value {
                Value::Map(entries) => match parent.key.take() {
                    None => parent.key = Some(id),
                    Some(key) => {
                        entries.push((key, id));
                        key_of_value = Some(key);
                    }
                },
                Value::Seq(items) => items.push(id),
                _ => {}
            }
        }
        self.doc.nodes.push(Node {
            value,
            start,
            parent: self.open.last().map(|open| open.id),
            key: key_of_value,
        });
        id
    }

    fn open_collection(&mut self, value: Value, start: usize, flow: Option<usize>) {
        let id = self.add(value, start);
        self.open.push(Open {
            id,
            key: None,
            flow,
        });
    }
}

/// Past any `&anchor` and `!tag` properties at `start`, without going beyond `end`.
fn skip_properties(bytes: &[u8], start: usize, end: usize) -> usize {
    let mut at = start;
    while at < end && matches!(bytes[at], b'&' | b'!') {
        while at < end && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        while at < end && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
    }
    at
}

/// The exact content span of a scalar whose event span is `start..end`: skips `&anchor` and
/// `!tag` properties and, for quoted scalars, ends at the closing quote.
fn tighten(
    text: &str,
    start: usize,
    end: usize,
    value: CompactString,
    style: ScalarStyle,
) -> Scalar {
    let bytes = text.as_bytes();
    let at = skip_properties(bytes, start, end);
    let (span, block) = match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let quote = bytes.get(at).copied().unwrap_or(b'"');
            (
                Span::new(at + 1, closing_quote(bytes, at + 1, quote).max(at + 1)),
                false,
            )
        }
        ScalarStyle::Plain => (Span::new(at.min(end), end), false),
        _ => (Span::new(at.min(end), end), true),
    };
    let span = Span::new(span.start.min(text.len()), span.end.min(text.len()));
    let null = style == ScalarStyle::Plain && value.is_empty();
    Scalar::of(text, value, span, block, null)
}

impl Scalar {
    /// A scalar of `text` whose content is `span`: verbatim when those bytes are its value.
    fn of(text: &str, value: CompactString, span: Span, block: bool, null: bool) -> Scalar {
        let verbatim = !block && text.get(span.start..span.end) == Some(value.as_str());
        Scalar {
            value,
            span,
            verbatim,
            block,
            null,
        }
    }
}

/// The offset of the quote closing a scalar whose content starts at `from`.
fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalars(text: &str) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        parse_stream(text, |doc| {
            for node in &doc.nodes {
                if let Value::Scalar(s) = &node.value {
                    out.push((
                        s.value.to_string(),
                        text[s.span.start..s.span.end].to_owned(),
                        s.verbatim,
                    ));
                }
            }
        })
        .unwrap();
        out
    }

    #[test]
    fn quoted_scalars_end_at_their_quote_and_skip_properties() {
        let text = "\u{feff}a: &x \"quoted é\" # c\r\nb: !!str plain\r\nc: *x\r\nd: {i: nginx, e: 'it''s'}\r\n";
        let found = scalars(text);
        let pairs: Vec<(&str, &str, bool)> = found
            .iter()
            .map(|(v, s, ok)| (v.as_str(), s.as_str(), *ok))
            .collect();
        assert_eq!(
            pairs,
            [
                ("a", "a", true),
                ("quoted é", "quoted é", true),
                ("b", "b", true),
                ("plain", "plain", true),
                ("c", "c", true),
                ("d", "d", true),
                ("i", "i", true),
                ("nginx", "nginx", true),
                ("e", "e", true),
                ("it's", "it''s", false),
            ]
        );
    }

    #[test]
    fn escapes_folding_and_blocks_are_not_verbatim() {
        let found = scalars("a: \"x\\ty\"\nb: one\n  two\nc: |\n  block\nd: \"\"\n");
        let verbatim: Vec<(&str, bool)> =
            found.iter().map(|(v, _, ok)| (v.as_str(), *ok)).collect();
        assert_eq!(
            verbatim,
            [
                ("a", true),
                ("x\ty", false),
                ("b", true),
                ("one two", false),
                ("c", true),
                ("block\n", false),
                ("d", true),
                ("", true)
            ]
        );
    }

    #[test]
    fn documents_are_visited_one_by_one() {
        let mut roots = 0;
        parse_stream("a: 1\n---\nb: 2\n---\n- c\n", |doc| {
            roots += usize::from(doc.root().is_some());
        })
        .unwrap();
        assert_eq!(roots, 3);
    }

    #[test]
    fn syntax_errors_carry_a_byte_offset() {
        let err = parse_stream("a: é\nb: [1, 2\n", |_| {}).unwrap_err();
        assert!(
            err.offset > 0 && err.message.starts_with("YAML syntax error"),
            "{err:?}"
        );
    }

    #[test]
    fn deep_nesting_builds_without_recursion() {
        let depth = 5_000;
        let mut text = String::new();
        for i in 0..depth {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        text.push_str(&" ".repeat(depth));
        text.push_str("image: nginx\n");
        let mut nodes = 0;
        parse_stream(&text, |doc| nodes = doc.nodes.len()).unwrap();
        assert_eq!(nodes, 2 * depth + 3);
    }
}
