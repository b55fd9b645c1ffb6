//! Read stage: a file's text, byte spans into it, and the byte → line:column index.

use std::path::PathBuf;

/// A byte range into a file's original text, end-exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
            || (self.is_empty() || other.is_empty()) && self.start == other.start
    }
}

/// A file as read: where it is, how to show its path, and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path to open and write.
    pub path: PathBuf,
    /// The path as reports show it (`/`-separated, relative where possible).
    pub display: String,
    pub text: String,
}

/// 1-based line and column (columns count Unicode scalar values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Byte offsets of line starts, built once per file that has something to report.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { text, line_starts }
    }

    /// The position of a byte offset. A byte order mark is not a column.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        position_in_line(self.text, line, self.line_starts[line], offset)
    }

    /// The byte range of 1-based line `line`, without its line ending.
    pub fn line_span(&self, line: usize) -> Option<Span> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let mut end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        if self.text[start..end].ends_with('\r') {
            end -= 1;
        }
        Some(Span::new(start, end))
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn line_text(&self, line: usize) -> Option<&'a str> {
        self.line_span(line).map(|s| &self.text[s.start..s.end])
    }
}

/// Positions of byte offsets met roughly in order, as reporters meet a file's findings: the
/// line is counted from the last offset asked for (SIMD-counted line breaks, forwards or
/// backwards), so a file with a few findings costs a few counts instead of an index of every
/// line. Answers as [`LineIndex::position`] does.
pub struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
    /// 0-based line of `offset`, and where that line starts.
    line: usize,
    line_start: usize,
}

impl<'a> LineCursor<'a> {
    pub fn new(text: &'a str) -> LineCursor<'a> {
        LineCursor {
            text,
            offset: 0,
            line: 0,
            line_start: 0,
        }
    }

    /// The 1-based line of a byte offset and the offset that line starts at.
    pub fn line(&mut self, offset: usize) -> (usize, usize) {
        self.seek(offset);
        (self.line + 1, self.line_start)
    }

    pub fn position(&mut self, offset: usize) -> Position {
        self.seek(offset);
        position_in_line(self.text, self.line, self.line_start, self.offset)
    }

    fn seek(&mut self, offset: usize) {
        let offset = offset.min(self.text.len());
        let bytes = self.text.as_bytes();
        if offset >= self.offset {
            let passed = &bytes[self.offset..offset];
            if let Some(last) = memchr::memrchr(b'\n', passed) {
                self.line += memchr::memchr_iter(b'\n', passed).count();
                self.line_start = self.offset + last + 1;
            }
        } else {
            self.line -= memchr::memchr_iter(b'\n', &bytes[offset..self.offset]).count();
            self.line_start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |at| at + 1);
        }
        self.offset = offset;
    }
}

/// The position of `offset` (within the text) on 0-based line `line`, which starts at
/// `line_start`. A byte order mark is not a column.
fn position_in_line(text: &str, line: usize, line_start: usize, offset: usize) -> Position {
    let mut start = line_start;
    if line == 0 && text.starts_with('\u{feff}') && offset >= 3 {
        start = 3;
    }
    let column = text[start..floor_char_boundary(text, offset)]
        .chars()
        .count()
        + 1;
    Position {
        line: line + 1,
        column,
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cursor answers as the index does, whatever order the offsets come in.
        #[test]
        fn the_cursor_agrees_with_the_index(
            text in "\u{feff}?([a-zé\r ]{0,5}\n?){0,8}",
            offsets in prop::collection::vec(0usize..50, 0..12),
        ) {
            let index = LineIndex::new(&text);
            let mut cursor = LineCursor::new(&text);
            for offset in offsets {
                prop_assert_eq!(cursor.position(offset), index.position(offset), "offset {}", offset);
            }
        }
    }

    #[test]
    fn positions_count_characters_and_skip_the_bom() {
        let text = "\u{feff}FROM é\r\nFROM x";
        let index = LineIndex::new(text);
        assert_eq!(index.position(3), Position { line: 1, column: 1 });
        assert_eq!(index.position(8), Position { line: 1, column: 6 });
        assert_eq!(index.position(10), Position { line: 1, column: 7 });
        let second = text.find("FROM x").unwrap();
        assert_eq!(index.position(second + 5), Position { line: 2, column: 6 });
        assert_eq!(index.line_text(1), Some("\u{feff}FROM é"));
        assert_eq!(index.line_text(2), Some("FROM x"));
        assert_eq!(index.line_text(3), None);
    }
}
