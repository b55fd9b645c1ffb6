//! Extract stage, YAML: a span-exact document model built from `saphyr-parser` events, shared
//! by the YAML-family extractors. Scalars carry the byte range of their content (inside the
//! quotes, after any `&anchor` / `!tag`), so an edit keeps quoting and style. Documents are
//! built and handed over one at a time, iteratively, so neither deep nesting nor long streams
//! exhaust the stack or the memory. Aliases are never expanded.

use std::cell::{Cell, RefCell};
use std::ops::Range;

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
    /// Its entries: a range of [`Document::pairs`].
    Map(Range<usize>),
    /// Its items: a range of [`Document::items`].
    Seq(Range<usize>),
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

/// One YAML document. Every collection's children sit side by side in one vector per kind
/// (a vector per collection would cost an allocation and its regrowth for each of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub nodes: Vec<Node>,
    /// Every mapping's (key, value) pairs, each mapping's together and in order.
    pairs: Vec<(NodeId, NodeId)>,
    /// Every sequence's items, each sequence's together and in order.
    items: Vec<NodeId>,
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
            Value::Map(range) => &self.pairs[range.clone()],
            _ => &[],
        }
    }

    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.nodes[id].value {
            Value::Seq(range) => &self.items[range.clone()],
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
        AllEntries {
            doc: self,
            next_node: 0,
            current: [].iter(),
        }
    }
}

/// [`Document::all_entries`]: the mappings in node order, each one's pairs in order.
struct AllEntries<'a> {
    doc: &'a Document,
    next_node: NodeId,
    current: std::slice::Iter<'a, (NodeId, NodeId)>,
}

impl Iterator for AllEntries<'_> {
    type Item = (NodeId, NodeId);

    fn next(&mut self) -> Option<(NodeId, NodeId)> {
        loop {
            if let Some(&pair) = self.current.next() {
                return Some(pair);
            }
            let node = self.doc.nodes.get(self.next_node)?;
            self.next_node += 1;
            if let Value::Map(range) = &node.value {
                self.current = self.doc.pairs[range.clone()].iter();
            }
        }
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
        documents.into_iter().for_each(recycle);
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
                .open()
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
            Event::DocumentStart(_) => builder = Builder::new(),
            Event::DocumentEnd => {
                let doc = std::mem::take(&mut builder).finish();
                visit(&doc);
                recycle(doc);
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
                builder.open_map(node_start, flow);
            }
            Event::SequenceStart(..) => {
                let flow = flow_bracket(text, start, end);
                builder.open_seq(node_start, flow);
            }
            Event::MappingEnd | Event::SequenceEnd => builder.close(),
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

/// Builds a document from nodes in document order. The children of the collections still
/// open wait on stacks, the innermost collection's on top, until it closes.
#[derive(Default)]
struct Builder {
    doc: Document,
    stacks: Stacks,
}

#[derive(Default)]
struct Stacks {
    open: Vec<Open>,
    pairs: Vec<(NodeId, NodeId)>,
    items: Vec<NodeId>,
}

/// A collection being filled; for a mapping, the key waiting for its value.
struct Open {
    id: NodeId,
    key: Option<NodeId>,
    /// For a flow collection, where its bracket is in the parsed text.
    flow: Option<usize>,
    /// Where its children start on their stack.
    base: usize,
}

thread_local! {
    /// Storage that documents already visited leave for the next one this thread builds:
    /// growing the vectors anew for each of thousands of small files costs more than reading
    /// them.
    static SPARE_DOCUMENTS: RefCell<Vec<Document>> = const { RefCell::new(Vec::new()) };
    static SPARE_STACKS: Cell<Option<Stacks>> = const { Cell::new(None) };
}

/// The most nodes, pairs or items whose storage a thread keeps between documents: ample for
/// most documents, and at most a few MiB for all the documents a thread keeps.
const KEPT: usize = 1 << 12;
/// The most documents whose storage a thread keeps (a file's documents are visited together).
const KEPT_DOCUMENTS: usize = 8;

/// Keeps `doc`'s storage for a later document, unless it is too large to hold on to.
fn recycle(mut doc: Document) {
    if doc
        .nodes
        .capacity()
        .max(doc.pairs.capacity())
        .max(doc.items.capacity())
        > KEPT
    {
        return;
    }
    doc.nodes.clear();
    doc.pairs.clear();
    doc.items.clear();
    SPARE_DOCUMENTS.with_borrow_mut(|spare| {
        if spare.len() < KEPT_DOCUMENTS {
            spare.push(doc);
        }
    });
}

impl Builder {
    /// A builder for a new document, on the storage visited ones left.
    fn new() -> Builder {
        Builder {
            doc: SPARE_DOCUMENTS
                .with_borrow_mut(Vec::pop)
                .unwrap_or_default(),
            stacks: SPARE_STACKS.take().unwrap_or_default(),
        }
    }

    fn open(&self) -> &[Open] {
        &self.stacks.open
    }

    fn add(&mut self, value: Value, start: usize) -> NodeId {
        let id = self.doc.nodes.len();
        let stacks = &mut self.stacks;
        let mut key_of_value = None;
        let mut parent = None;
        if let Some(open) = stacks.open.last_mut() {
            parent = Some(open.id);
            match self.doc.nodes[open.id].value {
                Value::Map(_) => match open.key.take() {
                    None => open.key = Some(id),
                    Some(key) => {
                        stacks.pairs.push((key, id));
                        key_of_value = Some(key);
                    }
                },
                Value::Seq(_) => stacks.items.push(id),
                _ => {}
            }
        }
        self.doc.nodes.push(Node {
            value,
            start,
            parent,
            key: key_of_value,
        });
        id
    }

    fn open_map(&mut self, start: usize, flow: Option<usize>) {
        let id = self.add(Value::Map(0..0), start);
        let base = self.stacks.pairs.len();
        self.opened(id, flow, base);
    }

    fn open_seq(&mut self, start: usize, flow: Option<usize>) {
        let id = self.add(Value::Seq(0..0), start);
        let base = self.stacks.items.len();
        self.opened(id, flow, base);
    }

    /// Collection `id` was just added: its children (from `base` on their stack) come next.
    fn opened(&mut self, id: NodeId, flow: Option<usize>, base: usize) {
        self.stacks.open.push(Open {
            id,
            key: None,
            flow,
            base,
        });
    }

    /// Ends the innermost open collection, moving its children into the document.
    fn close(&mut self) {
        let Some(open) = self.stacks.open.pop() else {
            return;
        };
        let (doc, stacks) = (&mut self.doc, &mut self.stacks);
        match &mut doc.nodes[open.id].value {
            Value::Map(range) => {
                let children = stacks.pairs.drain(open.base..);
                *range = doc.pairs.len()..doc.pairs.len() + children.len();
                doc.pairs.extend(children);
            }
            Value::Seq(range) => {
                let children = stacks.items.drain(open.base..);
                *range = doc.items.len()..doc.items.len() + children.len();
                doc.items.extend(children);
            }
            _ => {}
        }
    }

    /// The document, every collection closed; the stacks are left for the next one.
    fn finish(mut self) -> Document {
        while !self.stacks.open.is_empty() {
            self.close();
        }
        SPARE_STACKS.set(Some(self.stacks));
        self.doc
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

    /// A document written back from `entries` and `items` alone, as flow YAML.
    fn tree(doc: &Document, id: NodeId) -> String {
        if let Some(s) = doc.str(id) {
            return s.to_string();
        }
        if doc.is_map(id) {
            let entries: Vec<String> = doc
                .entries(id)
                .iter()
                .map(|&(k, v)| {
                    assert_eq!(doc.parent(v), Some(id));
                    assert_eq!(doc.nodes[v].key, Some(k));
                    format!("{}: {}", tree(doc, k), tree(doc, v))
                })
                .collect();
            return format!("{{{}}}", entries.join(", "));
        }
        let items: Vec<String> = doc.items(id).iter().map(|&i| tree(doc, i)).collect();
        format!("[{}]", items.join(", "))
    }

    fn trees(text: &str, fast: bool) -> Vec<String> {
        let mut out = Vec::new();
        let visit = |doc: &Document| out.push(doc.root().map_or(String::new(), |r| tree(doc, r)));
        if fast {
            parse_fast(text)
                .expect("a plain file")
                .iter()
                .for_each(visit);
        } else {
            parse_stream_full(text, visit).unwrap();
        }
        out
    }

    #[test]
    fn collections_hold_their_own_children_however_they_nest() {
        let text = "a:\n  b: [x, {y: z}]\n  c:\n  - d: e\n    f: [g]\n  - - h\n    - i\n  j: {}\nk: l\n---\n- m\n- n: o\n  p: q\n";
        let expected = [
            "{a: {b: [x, {y: z}], c: [{d: e, f: [g]}, [h, i]], j: {}}, k: l}",
            "[m, {n: o, p: q}]",
        ];
        for fast in [true, false] {
            // Twice: the second time on storage the first left behind.
            for _ in 0..2 {
                assert_eq!(trees(text, fast), expected, "fast: {fast}");
            }
        }
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
