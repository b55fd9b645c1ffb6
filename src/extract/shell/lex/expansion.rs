//! Extract stage, text kinds: expansions — `$NAME`, `${…}` with its default, `$(…)` and
//! backquotes (read as nested command lists), `$((…))`, CI expressions `${{ … }}`, ANSI-C
//! quotes, and in Makefiles `$(VAR)` and the doubled `$$`.

use std::ops::Range;

use super::lexer::{is_blank, is_name_byte, Builder, Lexer, MAX_DEPTH};
use super::{Dialect, ExpansionKind};

impl Lexer<'_, '_> {
    pub(super) fn backquoted(&mut self, w: &mut Builder) {
        let start = self.pos;
        let mut close = self.pos + 1;
        while close < self.end && self.bytes[close] != b'`' {
            close += if self.bytes[close] == b'\\' { 2 } else { 1 };
        }
        let close = close.min(self.end);
        if self.depth < MAX_DEPTH {
            let saved_end = self.end;
            self.pos = start + 1;
            self.end = close;
            self.depth += 1;
            self.list(None);
            self.depth -= 1;
            self.end = saved_end;
        }
        self.pos = (close + 1).min(self.end);
        w.push_raw(self.bytes, start..self.pos, ExpansionKind::Other);
    }

    /// An expansion at a `$`.
    pub(super) fn dollar(&mut self, w: &mut Builder) {
        let start = self.pos;
        if self.dialect == Dialect::Make {
            match self.peek(1) {
                Some(b'$') => {
                    // `$$` is the shell's `$`.
                    self.pos += 1;
                    let kind = self.shell_expansion(w);
                    if let Some(kind) = kind {
                        w.push_raw(self.bytes, start..self.pos, kind);
                    }
                }
                Some(open @ (b'(' | b'{')) => {
                    let close = if open == b'(' { b')' } else { b'}' };
                    self.pos += 2;
                    self.skip_balanced(open, close);
                    let inner = start + 2..self.pos.saturating_sub(1).max(start + 2);
                    let kind = name_kind(self.bytes, inner, None);
                    w.push_raw(self.bytes, start..self.pos, kind);
                }
                Some(c) if !is_blank(c) && c != b'\n' => {
                    self.pos += 2;
                    let kind = name_kind(self.bytes, start + 1..start + 2, None);
                    w.push_raw(self.bytes, start..self.pos, kind);
                }
                _ => {
                    w.literal_dollar = true;
                    w.push(b'$', start);
                    self.pos += 1;
                }
            }
            return;
        }
        if let Some(kind) = self.shell_expansion(w) {
            w.push_raw(self.bytes, start..self.pos, kind);
        }
    }

    /// A shell expansion at the `$` under `pos`; `None` when it was added to `w` as quoted
    /// text or a literal `$` instead.
    fn shell_expansion(&mut self, w: &mut Builder) -> Option<ExpansionKind> {
        let start = self.pos;
        match self.peek(1) {
            Some(b'{') if self.peek(2) == Some(b'{') => {
                // A CI expression, substituted before the shell runs.
                let rest = &self.bytes[start + 3..self.end];
                self.pos = match memchr::memmem::find(rest, b"}}") {
                    Some(i) => start + 3 + i + 2,
                    None => self.end,
                };
                Some(ExpansionKind::Other)
            }
            Some(b'{') => {
                self.pos += 2;
                self.skip_balanced(b'{', b'}');
                let inner = start + 2..self.pos.saturating_sub(1).max(start + 2);
                Some(parameter(self.bytes, inner))
            }
            Some(b'(') if self.peek(2) == Some(b'(') => {
                self.pos += 3;
                self.skip_balanced(b'(', b')');
                if self.peek(0) == Some(b')') {
                    self.pos += 1;
                }
                Some(ExpansionKind::Other)
            }
            Some(b'(') => {
                self.pos += 2;
                self.nested(Some(b')'));
                Some(ExpansionKind::Other)
            }
            Some(b'\'') => {
                self.pos += 1;
                self.single_quoted(w, true);
                None
            }
            Some(b'"') => {
                self.pos += 1;
                self.double_quoted(w);
                None
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.pos += 1;
                while self.peek(0).is_some_and(is_name_byte) {
                    self.pos += 1;
                }
                Some(name_kind(self.bytes, start + 1..self.pos, None))
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.pos += 2;
                Some(ExpansionKind::Other)
            }
            _ => {
                w.literal_dollar = true;
                w.push(b'$', start);
                self.pos += 1;
                None
            }
        }
    }
}

/// `${…}` contents: a name and, for `:-`, `-`, `:=` and `=`, the default. Other operators
/// (`${#X}`, `${X%suffix}`, `${X:+alt}`) do not stand for the variable's value.
fn parameter(bytes: &[u8], inner: Range<usize>) -> ExpansionKind {
    let name_end = (inner.start..inner.end)
        .find(|&i| !is_name_byte(bytes[i]))
        .unwrap_or(inner.end);
    let op = &bytes[name_end..inner.end];
    let default_at = if op.starts_with(b":-") || op.starts_with(b":=") {
        Some(name_end + 2)
    } else if op.starts_with(b"-") || op.starts_with(b"=") {
        Some(name_end + 1)
    } else if op.is_empty() || op.starts_with(b":?") || op.starts_with(b"?") {
        None
    } else {
        return ExpansionKind::Other;
    };
    name_kind(
        bytes,
        inner.start..name_end,
        default_at.map(|d| d..inner.end),
    )
}

fn name_kind(bytes: &[u8], name: Range<usize>, default: Option<Range<usize>>) -> ExpansionKind {
    let valid = !name.is_empty()
        && bytes[name.clone()]
            .iter()
            .all(|&b| is_name_byte(b) || b == b'-' || b == b'.' || b == b'@' || b == b'<');
    if valid {
        ExpansionKind::Parameter { name, default }
    } else {
        ExpansionKind::Other
    }
}
