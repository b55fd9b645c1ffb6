//! Extract stage, YAML leniency: what libyaml (PyYAML, and Go's yaml.v3, which Helm and
//! kubectl use) accepts but `saphyr-parser` rejects, read anyway. saphyr follows YAML 1.2 to
//! the letter; libyaml does not check that the continuation lines of a flow collection or of a
//! quoted scalar are indented deeper than the block around them, allows a tab between `:` and
//! its value and a comment right after a closing quote, and skips a byte order mark at the
//! start of any line. When a strict read fails with one of those errors, the text is relaxed
//! without changing any value (the construct's continuation lines shifted right with spaces,
//! the tab made a space, a space put before the `#`, the mark dropped) and its document read
//! again. An [`OffsetMap`] takes every position in the relaxed text back to the file's own
//! bytes, so spans stay exact.

use std::collections::BTreeMap;

use super::{closing_quote, Failure, Reading};
use crate::extract::ParseError;

/// Each repair fixes one construct and re-reads its document; a document needing more than
/// this is not worth the re-reads.
const MAX_REPAIRS_PER_DOCUMENT: usize = 256;

/// What a real syntax error says besides saphyr's own words.
const HINT: &str = "if this file is not meant to be YAML, add it to [ignore].paths in regmig.toml";

/// Reads the document of `text` where `failure` happened again, repairing one construct per
/// round, until a read of it succeeds (then returns where the next document starts) or a
/// failure is not one libyaml would forgive. `read` is called on the document's relaxed text
/// alone, so each round costs one document, however long the stream.
pub(super) fn reread_document(
    text: &str,
    failure: Failure,
    mut read: impl FnMut(&Reading<'_>) -> Result<(), Failure>,
) -> Result<usize, ParseError> {
    let start = failure.document;
    let end = document_end(text, failure.at);
    let mut relaxed = Relaxed::new(text, start, end);
    let mut failure = Failure {
        at: failure.at - start,
        open_flow: failure.open_flow.map(|at| at - start),
        last_end: failure.last_end.saturating_sub(start),
        document: 0,
        info: failure.info,
    };
    for _ in 0..MAX_REPAIRS_PER_DOCUMENT {
        if !relaxed.repair(&failure) {
            break;
        }
        let reading = Reading {
            parsed: &relaxed.text,
            from: 0,
            original: text,
            map: Some(&relaxed.map),
        };
        match read(&reading) {
            Ok(()) => return Ok(end),
            Err(next) => failure = next,
        }
    }
    Err(syntax_error(
        relaxed.map.to_original(failure.at),
        &failure.info,
    ))
}

/// Where the document holding byte `at` ends: at the next `---` line, or after the next `...`
/// line (at the start of a line, both end a document wherever they stand, in libyaml as in
/// saphyr), else at the end of the text.
fn document_end(text: &str, at: usize) -> usize {
    let mut line = match memchr::memchr(b'\n', &text.as_bytes()[at..]) {
        Some(i) => at + i + 1,
        None => return text.len(),
    };
    while line < text.len() {
        let bytes = &text.as_bytes()[line..];
        let next = memchr::memchr(b'\n', bytes).map_or(text.len(), |i| line + i + 1);
        if is_document_marker(bytes) {
            return if bytes.starts_with(b"---") {
                line
            } else {
                next
            };
        }
        line = next;
    }
    text.len()
}

pub(super) fn syntax_error(offset: usize, info: &str) -> ParseError {
    ParseError {
        offset,
        message: format!("YAML syntax error: {info} ({HINT})"),
    }
}

/// Positions in a relaxed text (the original with some bytes replaced, mostly by inserted
/// spaces) translated back to the original's bytes.
#[derive(Debug, Default)]
pub(super) struct OffsetMap {
    /// Where the relaxed text starts in the original.
    base: usize,
    /// Replaced runs in order: where each starts in the relaxed text and in the original, and
    /// its length in each.
    runs: Vec<Run>,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    relaxed: usize,
    original: usize,
    relaxed_len: usize,
    original_len: usize,
}

impl OffsetMap {
    /// The original byte at relaxed position `at`; a position inside replacement text maps to
    /// the start of what it replaced (for inserted spaces, the byte they stand before).
    pub(super) fn to_original(&self, at: usize) -> usize {
        let index = self.runs.partition_point(|run| run.relaxed <= at);
        let Some(run) = index.checked_sub(1).map(|i| self.runs[i]) else {
            return self.base + at;
        };
        if at < run.relaxed + run.relaxed_len {
            run.original
        } else {
            at - (run.relaxed + run.relaxed_len) + run.original + run.original_len
        }
    }
}

/// A repair: `remove` original bytes replaced by `insert`.
#[derive(Debug, Default)]
struct Edit {
    remove: usize,
    insert: String,
}

/// One document of the original text (`start..end`) with the repairs made so far.
struct Relaxed<'a> {
    original: &'a str,
    start: usize,
    end: usize,
    /// Repairs by original offset.
    edits: BTreeMap<usize, Edit>,
    text: String,
    map: OffsetMap,
}

impl<'a> Relaxed<'a> {
    fn new(original: &'a str, start: usize, end: usize) -> Relaxed<'a> {
        Relaxed {
            original,
            start,
            end,
            edits: BTreeMap::new(),
            text: original[start..end].to_owned(),
            map: OffsetMap {
                base: start,
                runs: Vec::new(),
            },
        }
    }

    /// Replaces `remove` bytes at relaxed position `at` with `insert`; text inserted twice at
    /// one place accumulates (only blanks are ever inserted).
    fn edit(&mut self, at: usize, remove: usize, insert: &str) {
        let edit = self.edits.entry(self.map.to_original(at)).or_default();
        edit.remove = edit.remove.max(remove);
        edit.insert.push_str(insert);
    }

    /// Records the repair for `failure` (positions in the current relaxed text) and rebuilds
    /// the text; false when there is nothing libyaml would forgive.
    fn repair(&mut self, failure: &Failure) -> bool {
        let info = failure.info.as_str();
        let changed = if info.starts_with("':' must be followed by") {
            self.tab_after_colon(failure.at)
        } else if info.starts_with("comments must be separated from other tokens") {
            self.space_before_comment(failure.at)
        } else if info.starts_with("a byte order mark must not appear inside a document") {
            self.bom_at_line_start(failure.at)
        } else if info.contains("indentation") {
            self.shift_construct(failure)
        } else {
            false
        };
        if changed {
            self.rebuild();
        }
        changed
    }

    /// `"value"#comment`: libyaml starts the comment all the same.
    fn space_before_comment(&mut self, at: usize) -> bool {
        let quoted_before = at > 0 && matches!(self.text.as_bytes()[at - 1], b'"' | b'\'');
        if self.text.as_bytes().get(at) != Some(&b'#') || !quoted_before {
            return false;
        }
        self.edit(at, 0, " ");
        true
    }

    /// libyaml skips a byte order mark at the start of any line (files joined with `cat`).
    fn bom_at_line_start(&mut self, at: usize) -> bool {
        let line_start = at == 0 || self.text.as_bytes()[at - 1] == b'\n';
        if !line_start || !self.text[at..].starts_with('\u{feff}') {
            return false;
        }
        self.edit(at, '\u{feff}'.len_utf8(), "");
        true
    }

    /// `key:<TAB>value`: the blanks between the `:` and `at` become spaces.
    fn tab_after_colon(&mut self, at: usize) -> bool {
        let bytes = self.text.as_bytes();
        let blanks = bytes[..at.min(bytes.len())]
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let colon = at - blanks;
        if colon == 0 || bytes[colon - 1] != b':' {
            return false;
        }
        let tabs: Vec<usize> = (colon..at).filter(|&i| bytes[i] == b'\t').collect();
        for &tab in &tabs {
            self.edit(tab, 1, " ");
        }
        !tabs.is_empty()
    }

    /// A flow collection or quoted scalar whose continuation lines are indented too little:
    /// each of them is shifted right of the construct's first character.
    fn shift_construct(&mut self, failure: &Failure) -> bool {
        let bytes = self.text.as_bytes();
        let Some(start) = failure
            .open_flow
            .or_else(|| construct_after(bytes, failure.last_end))
        else {
            return false;
        };
        let end = match bytes[start] {
            b'[' | b'{' => flow_end(bytes, start),
            quote => Some(closing_quote(bytes, start + 1, quote)).filter(|&e| e < bytes.len()),
        };
        let Some(end) = end.filter(|&end| (start..=end).contains(&failure.at)) else {
            return false;
        };
        let line_start = bytes[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let need = self.text[line_start..start].chars().count() + 1;
        let mut shifts = Vec::new();
        let mut at = start;
        while let Some(newline) = memchr::memchr(b'\n', &bytes[at..=end]) {
            let line = at + newline + 1;
            if is_document_marker(&bytes[line..]) {
                return false;
            }
            if let Some(spaces) = shift_for(&bytes[line..], need) {
                shifts.push((line, spaces));
            }
            at = line;
        }
        for &(line, spaces) in &shifts {
            self.edit(line, 0, &" ".repeat(spaces));
        }
        !shifts.is_empty()
    }

    fn rebuild(&mut self) {
        let mut text = String::with_capacity(self.end - self.start + 64 * self.edits.len());
        let mut runs = Vec::with_capacity(self.edits.len());
        let mut copied = self.start;
        for (&at, edit) in &self.edits {
            text.push_str(&self.original[copied..at]);
            runs.push(Run {
                relaxed: text.len(),
                original: at,
                relaxed_len: edit.insert.len(),
                original_len: edit.remove,
            });
            text.push_str(&edit.insert);
            copied = at + edit.remove;
        }
        text.push_str(&self.original[copied..self.end]);
        self.text = text;
        self.map = OffsetMap {
            base: self.start,
            runs,
        };
    }
}

/// How many spaces to put at the start of `line` so its content starts at column `need` or
/// beyond and no tab stands in its indentation; None when it needs none (blank lines too).
fn shift_for(line: &[u8], need: usize) -> Option<usize> {
    let blanks = line
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let has_tab = line[..blanks].contains(&b'\t');
    let blank_line = matches!(line.get(blanks), None | Some(b'\n' | b'\r'));
    if has_tab {
        Some(need)
    } else if blank_line || blanks >= need {
        None
    } else {
        Some(need - blanks)
    }
}

/// `---` or `...` at the start of a line: libyaml ends the document there, even inside a
/// flow collection or a quoted scalar, so nothing is forgiven across it.
fn is_document_marker(line: &[u8]) -> bool {
    (line.starts_with(b"---") || line.starts_with(b"..."))
        && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// The flow collection or quoted scalar that starts the next node after `from`: past `:`,
/// `-` and `?` indicators, blanks, comments, anchors and tags.
fn construct_after(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < bytes.len() {
        let blank_after =
            |i: usize| matches!(bytes.get(i + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        match bytes[at] {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => at += memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at),
            b':' | b'-' | b'?' if blank_after(at) => at += 1,
            b'&' | b'!' => {
                at += bytes[at..]
                    .iter()
                    .take_while(|b| !b.is_ascii_whitespace())
                    .count();
            }
            b'[' | b'{' | b'\'' | b'"' => return Some(at),
            _ => return None,
        }
    }
    None
}

/// The offset of the bracket closing the flow collection opened at `open`, as libyaml's
/// scanner tokenizes flow context: quotes start a scalar only where a node starts, `#` after
/// a blank starts a comment, and brackets inside quoted scalars and comments do not count.
fn flow_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_plain = false;
    let mut at = open;
    while at < bytes.len() {
        let line_start = at == 0 || bytes[at - 1] == b'\n';
        if line_start && is_document_marker(&bytes[at..]) {
            return None;
        }
        let after_blank = at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\r' | b'\n');
        match bytes[at] {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'#' if after_blank => {
                at += memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                in_plain = false;
            }
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
                in_plain = false;
            }
            b',' => in_plain = false,
            b':' if !in_plain
                || matches!(
                    bytes.get(at + 1),
                    None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
                ) =>
            {
                in_plain = false;
            }
            quote @ (b'\'' | b'"') if !in_plain => {
                at = closing_quote(bytes, at + 1, quote);
            }
            // Anchors, tags and aliases: a quote after them still starts a scalar.
            b'&' | b'!' | b'*' if !in_plain => {
                while bytes.get(at + 1).is_some_and(|b| {
                    !b.is_ascii_whitespace() && !matches!(b, b',' | b'[' | b']' | b'{' | b'}')
                }) {
                    at += 1;
                }
            }
            _ => in_plain = true,
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests;
