//! Extract stage, YAML fast path: literal and folded block scalars, read the way saphyr's
//! scanner reads them (value, chomping and the positions it reports).

use super::{Line, Reader};
use crate::extract::yaml::{skip_properties, Value};
use crate::source::Span;

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

impl Reader<'_> {
    /// The byte length of the line break at `at`, if there is one.
    fn break_at(&self, at: usize) -> Option<usize> {
        match self.bytes.get(at) {
            Some(b'\n') => Some(1),
            Some(b'\r') => Some(2),
            _ => None,
        }
    }

    /// A block scalar whose `|` or `>` is at `at` on `line`, owned by a key or `-` at column
    /// `base`. Explicit indentation indicators are left to saphyr.
    pub(super) fn block_scalar(&mut self, line: Line, at: usize, base: usize) -> Option<()> {
        let b = self.bytes;
        let literal = b[at] == b'|';
        let mut i = at + 1;
        let chomp = match b[..line.end].get(i) {
            Some(b'-') => Chomp::Strip,
            Some(b'+') => Chomp::Keep,
            _ => Chomp::Clip,
        };
        i += usize::from(chomp != Chomp::Clip);
        if (i < line.end && b[i].is_ascii_digit()) || !self.rest_is_blank(i, line.end) {
            return None;
        }
        let header_break = line.next > line.end;
        let mut pos = line.next;
        let mut line_start = pos;
        if b.get(pos) == Some(&b'\t') {
            return None;
        }
        // Leading blank lines, and the indentation the first content line sets.
        let mut trailing = String::new();
        let mut widest = 0;
        loop {
            while b.get(pos) == Some(&b' ') {
                pos += 1;
            }
            widest = widest.max(pos - line_start);
            let Some(n) = self.break_at(pos) else { break };
            trailing.push('\n');
            pos += n;
            line_start = pos;
        }
        let indent = widest.max(base + 1);
        if pos >= b.len() {
            let value = match chomp {
                Chomp::Strip | Chomp::Clip => String::new(),
                Chomp::Keep if trailing.is_empty() && header_break && pos > line_start => {
                    "\n".to_owned()
                }
                Chomp::Keep => trailing,
            };
            let scalar = self.scalar(value, Span::new(at, pos), true, false);
            self.builder.add(Value::Scalar(scalar), at);
            self.pos = pos;
            return Some(());
        }
        let col = pos - line_start;
        if col < indent && col > base {
            return None;
        }
        let start = pos;
        let mut value = String::new();
        let mut leading = String::new();
        let mut leading_blank = false;
        while pos - line_start == indent && pos < b.len() && self.break_at(pos).is_none() {
            let blank = matches!(b[pos], b' ' | b'\t');
            if !literal && !leading.is_empty() && !leading_blank && !blank {
                value.push_str(&trailing);
                if trailing.is_empty() {
                    value.push(' ');
                }
            } else {
                value.push_str(&leading);
                value.push_str(&trailing);
            }
            leading.clear();
            trailing.clear();
            leading_blank = blank;
            let end = self.line(line_start).end;
            value.push_str(&self.text[pos..end]);
            pos = end;
            let Some(n) = self.break_at(pos) else { break };
            leading.push('\n');
            pos += n;
            line_start = pos;
            // The next line's indentation, and blank lines.
            loop {
                while pos - line_start < indent && b.get(pos) == Some(&b' ') {
                    pos += 1;
                }
                let Some(n) = self.break_at(pos) else { break };
                trailing.push('\n');
                pos += n;
                line_start = pos;
            }
        }
        if chomp != Chomp::Strip {
            value.push_str(&leading);
            if pos >= b.len() && self.text[line_start..pos].chars().count() >= indent.max(1) {
                value.push('\n');
            }
        }
        if chomp == Chomp::Keep {
            value.push_str(&trailing);
        }
        // The saphyr path's `tighten` skips what looks like properties at the content's start
        // (`!(` in a script); the node's start stays put.
        let content = skip_properties(b, start, pos);
        let scalar = self.scalar(value, Span::new(content, pos), true, false);
        self.builder.add(Value::Scalar(scalar), start);
        // Resume at the line where the scalar stopped, unless it ran to the end.
        self.pos = if pos >= b.len() { pos } else { line_start };
        Some(())
    }
}
