//! Extract stage, Dockerfiles: the lexical layer — logical lines with their file offsets,
//! parser directives, words, quotes and heredoc markers, as BuildKit reads them.

use super::template;
use crate::source::Span;

/// An instruction's text after joining continuation lines, with each byte's offset in the file.
pub(super) struct Logical {
    pub(super) text: String,
    pub(super) offsets: Vec<usize>,
}

impl Logical {
    pub(super) fn push(&mut self, start: usize, segment: &str) {
        self.text.push_str(segment);
        self.offsets.extend(start..start + segment.len());
    }

    /// The file span of `range`, and whether the bytes are contiguous in the file.
    pub(super) fn span(&self, range: std::ops::Range<usize>) -> (Span, bool) {
        if range.is_empty() {
            let at = self
                .offsets
                .get(range.start)
                .copied()
                .unwrap_or_else(|| self.offsets.last().map_or(0, |&o| o + 1));
            return (Span::new(at, at), true);
        }
        let start = self.offsets[range.start];
        let last = self.offsets[range.end - 1];
        (Span::new(start, last + 1), last - start == range.len() - 1)
    }
}

/// `# key=value` → (key, value), as BuildKit's directive pattern `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
pub(super) fn directive(line: &str) -> Option<(&str, &str)> {
    // BuildKit trims a line's leading blanks before it looks for a directive.
    let rest = line
        .trim_start_matches([' ', '\t'])
        .strip_prefix('#')?
        .trim_start();
    let key_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let key = &rest[..key_len];
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[key_len..].trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then_some((key, value))
}

/// Splits an instruction into words at unquoted blanks. In a templated file a Jinja tag
/// (`{{ base_image }}`) stays inside one word, as it renders to one.
pub(super) fn words(text: &str, escape: char, templated: bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                chars.next();
            }
            Some(_) => {}
            None if c == ' ' || c == '\t' => {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == escape => {
                chars.next();
            }
            None if templated && c == '{' => {
                if let Some(len) = template::jinja_len(&text[i..]) {
                    while chars.next_if(|&(j, _)| j < i + len).is_some() {}
                }
            }
            None => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

/// `"value"` or `'value'` → (value, true); anything else unchanged.
pub(super) fn unquote(value: &str) -> (&str, bool) {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return (&value[1..value.len() - 1], true);
        }
    }
    (value, false)
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` → (EOF, strip leading tabs). `<<<` is a here-string.
pub(super) fn heredoc_name(word: &str) -> Option<(&str, bool)> {
    let rest = word.strip_prefix("<<")?;
    let (rest, strip_tabs) = match rest.strip_prefix('-') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    if rest.contains('<') {
        return None;
    }
    let name = unquote(rest).0;
    (!name.is_empty()).then_some((name, strip_tabs))
}
