//! Extract stage, YAML fast path: what starts a line's content (a `-`, a key, a scalar, a
//! block scalar's header, a one-line flow collection), scanned the way saphyr scans it.

use std::ops::ControlFlow;

use compact_str::CompactString;

use super::{FlowEntry, FlowPair, Item, Reader, MAX_KEY};
use crate::extract::yaml::Scalar;
use crate::source::Span;

/// Bytes that end a plain scalar inside a flow collection.
fn is_flow(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// What a double-quoted `\\c` stands for, as saphyr reads it; None for hex escapes.
fn escape(c: u8) -> Option<char> {
    Some(match c {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        _ => return None,
    })
}

impl Reader<'_> {
    /// What starts at `at` (not a blank, before `end`).
    pub(super) fn item(&self, at: usize, end: usize) -> Option<Item> {
        let b = self.bytes;
        match b[at] {
            b'-' if self.is_dash(at, end) => Some(Item::Dash),
            b'|' | b'>' => Some(Item::Block),
            b'{' => {
                let close = self.skip_spaces(at + 1, end);
                if close < end && b[close] == b'}' {
                    return self.rest_is_blank(close + 1, end).then_some(Item::EmptyMap);
                }
                self.flow_map(at, end)
            }
            b'[' => self.flow_seq(at, end),
            b'\'' | b'"' => self.quoted(at, end),
            b']' | b'}' | b',' | b'*' | b'&' | b'!' | b'%' | b'@' | b'`' | b'#' | b'?' | b':'
            | b'\t' | b' ' => None,
            _ => self.plain(at, end),
        }
    }

    /// A single-line plain scalar, or a plain key when a `:` and a blank end it.
    fn plain(&self, at: usize, end: usize) -> Option<Item> {
        let b = self.bytes;
        let mut last = at;
        let mut i = at;
        while i < end {
            match b[i] {
                b'\t' => return None,
                b':' if i + 1 == end || b[i + 1] == b' ' => {
                    if i - at > MAX_KEY {
                        return None;
                    }
                    let scalar = self.plain_scalar(at, last);
                    return Some(Item::Key(scalar, at, i + 1));
                }
                b'#' if b[i - 1] == b' ' => break,
                b' ' => {}
                _ => last = i + 1,
            }
            i += 1;
        }
        Some(Item::Scalar(self.plain_scalar(at, last), at))
    }

    fn plain_scalar(&self, start: usize, end: usize) -> Scalar {
        self.scalar(&self.text[start..end], Span::new(start, end), false, false)
    }

    /// A single-line quoted scalar or key.
    fn quoted(&self, at: usize, end: usize) -> Option<Item> {
        let (scalar, close) = self.quoted_scalar(at, end)?;
        let b = self.bytes;
        let colon = self.skip_spaces(close + 1, end);
        if colon < end && b[colon] == b':' && (colon + 1 == end || b[colon + 1] == b' ') {
            return (close - at <= MAX_KEY).then_some(Item::Key(scalar, at, colon + 1));
        }
        self.rest_is_blank(close + 1, end)
            .then_some(Item::Scalar(scalar, at))
    }

    /// A quoted scalar closed on its line, and its closing quote. Escapes that take hex digits
    /// are left to the full parser.
    fn quoted_scalar(&self, at: usize, end: usize) -> Option<(Scalar, usize)> {
        let mut value = CompactString::default();
        let close = self.quoted_segment(at + 1, end, self.bytes[at], &mut value)??;
        Some((
            self.scalar(value, Span::new(at + 1, close), false, false),
            close,
        ))
    }

    /// A quoted scalar opened at `at` on `line` and closed on a later line, as saphyr folds it:
    /// each line break becomes a space, or a `\n` per blank line after it; blanks around a
    /// break are dropped. Its lines must sit deeper than `col` (the collection holding it) and
    /// hold no tab, hex or line-break escape; the closing line must end after the quote (but for
    /// a comment). Returns the scalar and the start of the line after it.
    pub(super) fn multi_line_quoted(
        &self,
        line: super::Line,
        at: usize,
        col: usize,
    ) -> Option<(Scalar, usize)> {
        let b = self.bytes;
        let quote = *b.get(at).filter(|&&q| q == b'\'' || q == b'"')?;
        let mut value = CompactString::default();
        let (mut from, mut end, mut next) = (at + 1, line.end, line.next);
        loop {
            if let Some(close) = self.quoted_segment(from, end, quote, &mut value)? {
                // Closed on its first line, it failed as a single-line scalar.
                if from == at + 1 {
                    return None;
                }
                if !self.rest_is_blank(close + 1, end) {
                    return None;
                }
                let span = Span::new(at + 1, close);
                return Some((self.scalar(value, span, false, false), next));
            }
            let mut blank_lines = 0;
            let continued = loop {
                if next >= b.len() {
                    return None;
                }
                let following = self.line(next);
                if following.content < following.end {
                    break following;
                }
                blank_lines += 1;
                next = following.next;
            };
            if continued.indent <= col {
                return None;
            }
            match blank_lines {
                0 => value.push(' '),
                n => value.extend(std::iter::repeat_n('\n', n)),
            }
            (from, end, next) = (continued.content, continued.end, continued.next);
        }
    }

    /// Appends the content of a quoted scalar from `from` to its closing quote or `end`,
    /// escapes resolved; the closing quote's offset, None when the line goes on, or an outer
    /// None for what the fast path leaves to saphyr (tabs, hex and line-break escapes).
    fn quoted_segment(
        &self,
        from: usize,
        end: usize,
        quote: u8,
        value: &mut CompactString,
    ) -> Option<Option<usize>> {
        let b = self.bytes;
        let (mut copied, mut i) = (from, from);
        while i < end {
            let unescaped = match b[i] {
                b'\\' if quote == b'"' => escape(*b[..end].get(i + 1)?)?,
                b'\'' if quote == b'\'' && i + 1 < end && b[i + 1] == b'\'' => '\'',
                b'\t' => return None,
                c if c == quote => {
                    value.push_str(&self.text[copied..i]);
                    return Some(Some(i));
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            value.push_str(&self.text[copied..i]);
            value.push(unescaped);
            i += 2;
            copied = i;
        }
        // Blanks before a line break are dropped (escaped ones are content, and kept).
        let kept = self.text[copied..end].trim_end_matches(' ').len();
        value.push_str(&self.text[copied..copied + kept]);
        Some(None)
    }

    /// `[a, "b", 'c']` on one line, scalars only, no trailing comma.
    fn flow_seq(&self, at: usize, end: usize) -> Option<Item> {
        let b = self.bytes;
        let mut items = Vec::new();
        let mut i = self.skip_spaces(at + 1, end);
        let close = loop {
            if i >= end {
                return None;
            }
            if b[i] == b']' && items.is_empty() {
                break i;
            }
            let after = match b[i] {
                b'\'' | b'"' => {
                    let (scalar, close) = self.quoted_scalar(i, end)?;
                    items.push(FlowEntry::Scalar(scalar, i));
                    close + 1
                }
                b'{' => {
                    let (entries, close) = self.flow_map_at(i, end)?;
                    items.push(FlowEntry::Map(i, entries));
                    close + 1
                }
                _ => {
                    let (scalar, after) = self.flow_plain(i, end)?;
                    items.push(FlowEntry::Scalar(scalar, i));
                    after
                }
            };
            match self.flow_next(after, end, b']')? {
                ControlFlow::Break(close) => break close,
                ControlFlow::Continue(next) => i = next,
            }
        };
        self.rest_is_blank(close + 1, end)
            .then_some(Item::FlowSeq(items))
    }

    /// `{a: b, c: "d"}` ending the line (but for a comment).
    fn flow_map(&self, at: usize, end: usize) -> Option<Item> {
        let (entries, close) = self.flow_map_at(at, end)?;
        self.rest_is_blank(close + 1, end)
            .then_some(Item::FlowMap(entries))
    }

    /// `{a: b, c: "d"}` within a line: scalar keys, each with `: ` and a scalar value; no
    /// trailing comma, no empty value, no JSON-style `"a":b`. Its entries and its `}`.
    fn flow_map_at(&self, at: usize, end: usize) -> Option<(Vec<FlowPair>, usize)> {
        let b = self.bytes;
        let mut entries = Vec::new();
        let mut i = self.skip_spaces(at + 1, end);
        let close = loop {
            let (key, after_key) = self.flow_item(i, end, true)?;
            // The key ends at `:` and a blank.
            if b[..end].get(after_key) != Some(&b':') || b[..end].get(after_key + 1) != Some(&b' ')
            {
                return None;
            }
            let v = self.skip_spaces(after_key + 1, end);
            if v >= end || matches!(b[v], b',' | b'}') {
                return None;
            }
            let (value, after_value) = self.flow_item(v, end, false)?;
            entries.push(((key, i), (value, v)));
            match self.flow_next(after_value, end, b'}')? {
                ControlFlow::Break(close) => break close,
                ControlFlow::Continue(next) => i = next,
            }
        };
        Some((entries, close))
    }

    /// What follows an entry of a flow collection that `close` ends: the closing bracket
    /// (Break), or a comma and the next entry's start (Continue); None for anything else,
    /// a trailing or doubled comma included.
    fn flow_next(&self, after: usize, end: usize, close: u8) -> Option<ControlFlow<usize, usize>> {
        let b = self.bytes;
        let next = self.skip_spaces(after, end);
        match *b[..end].get(next)? {
            c if c == close => Some(ControlFlow::Break(next)),
            b',' => {
                let entry = self.skip_spaces(next + 1, end);
                (entry < end && b[entry] != close && b[entry] != b',')
                    .then_some(ControlFlow::Continue(entry))
            }
            _ => None,
        }
    }

    /// A scalar inside a flow collection starting at `at` (quoted, or plain and, for a key,
    /// ending where `:` and a blank start), and where its scan stopped.
    fn flow_item(&self, at: usize, end: usize, key: bool) -> Option<(Scalar, usize)> {
        let b = self.bytes;
        match *b[..end].get(at)? {
            b'\'' | b'"' => {
                let (scalar, close) = self.quoted_scalar(at, end)?;
                Some((scalar, close + 1))
            }
            _ if key => {
                // A key's plain scan: up to `: `, never across a flow indicator.
                let colon = (at..end).find(|&i| b[i] == b':' && b.get(i + 1) == Some(&b' '))?;
                let (scalar, stopped) = self.flow_plain(at, colon)?;
                (stopped == colon && colon - at <= MAX_KEY).then_some((scalar, colon))
            }
            _ => self.flow_plain(at, end),
        }
    }

    /// A plain scalar inside a flow collection, and where its scan stopped.
    fn flow_plain(&self, at: usize, end: usize) -> Option<(Scalar, usize)> {
        let b = self.bytes;
        let first = b[at];
        let next = b[..end].get(at + 1).copied();
        let dash_ok = first == b'-' && next.is_some_and(|c| c != b' ' && !is_flow(c));
        if !dash_ok && b"-?:,[]{}#&*!|>'\"%@`\t".contains(&first) {
            return None;
        }
        let mut last = at;
        let mut i = at;
        while i < end && !is_flow(b[i]) {
            match b[i] {
                b'\t' => return None,
                b':' if i + 1 == end || b[i + 1] == b' ' || is_flow(b[i + 1]) => return None,
                b'#' if b[i - 1] == b' ' => return None,
                b' ' => {}
                _ => last = i + 1,
            }
            i += 1;
        }
        Some((self.plain_scalar(at, last), i))
    }
}
