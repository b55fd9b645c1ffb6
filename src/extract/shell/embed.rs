//! Extract stage, text kinds: shell text embedded in another file (a YAML `run:` block, a
//! Groovy string, a `bash -c` argument) and the way back from its offsets to the file's. A
//! span that cannot be located byte for byte is reported without a fix.

use crate::extract::yaml::Scalar;
use crate::extract::{Blocker, Occurrence};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OffsetMap {
    /// Snippet byte `i` is file byte `base + i`.
    Shift(usize),
    /// Line by line, for literal block scalars: (snippet offset, file offset, length).
    Lines(Vec<(usize, usize, usize)>),
    /// Byte by byte (a word whose quotes and escapes were removed).
    Table(Vec<usize>),
    /// The snippet's bytes are not the file's (escapes, folding): findings point into this
    /// region, without a fix.
    Nowhere(Span),
}

impl OffsetMap {
    /// How a YAML scalar's value maps to the file.
    pub fn of_scalar(file: &str, scalar: &Scalar) -> OffsetMap {
        if scalar.verbatim {
            return OffsetMap::Shift(scalar.span.start);
        }
        if scalar.block {
            if let Some(lines) = block_lines(file, scalar) {
                return OffsetMap::Lines(lines);
            }
        }
        OffsetMap::Nowhere(scalar.span)
    }

    /// The file span of snippet span `span`, when its bytes are the file's, consecutive.
    pub fn span(&self, span: Span) -> Option<Span> {
        match self {
            OffsetMap::Shift(base) => Some(Span::new(base + span.start, base + span.end)),
            OffsetMap::Lines(lines) => {
                let index = lines.partition_point(|&(start, _, _)| start <= span.start);
                let &(start, file, len) = lines.get(index.checked_sub(1)?)?;
                let within = span.start - start;
                (span.end - start <= len)
                    .then(|| Span::new(file + within, file + within + span.len()))
            }
            OffsetMap::Table(table) => {
                if span.is_empty() {
                    return table.get(span.start).map(|&at| Span::new(at, at));
                }
                let first = *table.get(span.start)?;
                let last = *table.get(span.end - 1)?;
                (last >= first && last - first == span.len() - 1)
                    .then(|| Span::new(first, last + 1))
            }
            OffsetMap::Nowhere(_) => None,
        }
    }

    /// The file offset of snippet offset `at`, or the nearest place that makes sense.
    pub fn point(&self, at: usize) -> usize {
        match self {
            OffsetMap::Shift(base) => base + at,
            OffsetMap::Lines(lines) => {
                let index = lines.partition_point(|&(start, _, _)| start <= at);
                match index.checked_sub(1).and_then(|i| lines.get(i)) {
                    Some(&(start, file, len)) => file + (at - start).min(len),
                    None => lines.first().map_or(0, |&(_, file, _)| file),
                }
            }
            OffsetMap::Table(table) => table.get(at).or(table.last()).copied().unwrap_or_default(),
            OffsetMap::Nowhere(region) => region.start,
        }
    }

    /// The region the snippet comes from, for findings that cannot be located exactly.
    fn region(&self, file: &str) -> Span {
        match self {
            OffsetMap::Nowhere(region) => *region,
            OffsetMap::Shift(base) => Span::new(*base, *base),
            OffsetMap::Lines(lines) => {
                let start = lines.first().map_or(0, |l| l.1);
                let end = lines.last().map_or(start, |l| l.1 + l.2);
                Span::new(start, end.min(file.len()))
            }
            OffsetMap::Table(table) => {
                let start = table.first().copied().unwrap_or_default();
                let end = table.last().map_or(start, |&l| l + 1);
                Span::new(start, end.max(start).min(file.len()))
            }
        }
    }

    /// Moves `occurrence`, found in `snippet`, into `file`'s coordinates. A part that does
    /// not map exactly is pointed at its text in the region when that is unique, and the
    /// occurrence is then reported without a fix.
    pub fn occurrence(&self, mut occurrence: Occurrence, snippet: &str, file: &str) -> Occurrence {
        let mut exact = true;
        for (_, span) in &mut occurrence.parts {
            match self.span(*span) {
                Some(mapped) if on_char_boundaries(file, mapped) => *span = mapped,
                _ => {
                    exact = false;
                    let written = snippet.get(span.start..span.end).unwrap_or("");
                    *span = self.locate(written, file);
                }
            }
        }
        occurrence.statement = self.point(occurrence.statement).min(file.len());
        if !exact {
            occurrence.blocker.get_or_insert(Blocker::NotVerbatim);
        }
        occurrence
    }

    /// The span of `written` in the snippet's region when it occurs there once, else the
    /// region's start.
    pub fn locate(&self, written: &str, file: &str) -> Span {
        let region = self.region(file);
        let haystack = file.get(region.start..region.end).unwrap_or("");
        let mut found = haystack
            .match_indices(written)
            .filter(|_| !written.is_empty());
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Span::new(region.start + i, region.start + i + written.len()),
            _ => Span::new(region.start, region.start),
        }
    }
}

fn on_char_boundaries(file: &str, span: Span) -> bool {
    span.end <= file.len() && file.is_char_boundary(span.start) && file.is_char_boundary(span.end)
}

/// A literal block scalar's value lines, each found in the file behind the block's
/// indentation; `None` when one is not (a folded scalar, tabs, a parse quirk).
fn block_lines(file: &str, scalar: &Scalar) -> Option<Vec<(usize, usize, usize)>> {
    let value = scalar.value.as_str();
    let leading_empty = value.bytes().take_while(|&b| b == b'\n').count();
    let mut cursor = file
        .get(..scalar.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    for _ in 0..leading_empty {
        cursor = file
            .get(..cursor.checked_sub(1)?)?
            .rfind('\n')
            .map_or(0, |i| i + 1);
    }
    let mut lines = Vec::new();
    let mut value_offset = 0;
    for value_line in value.split_inclusive('\n') {
        let content = value_line.strip_suffix('\n').unwrap_or(value_line);
        let file_line = file.get(cursor..)?.split_inclusive('\n').next()?;
        let file_content = file_line.trim_end_matches(['\n', '\r']);
        if content.is_empty() {
            if !file_content.trim().is_empty() {
                return None;
            }
        } else {
            let indent = file_content.len().checked_sub(content.len())?;
            let matches = file_content.ends_with(content)
                && file_content[..indent].bytes().all(|b| b == b' ');
            if !matches {
                return None;
            }
            lines.push((value_offset, cursor + indent, content.len()));
        }
        value_offset += value_line.len();
        cursor += file_line.len();
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::{parse_stream, Value};

    fn run_scalar(text: &str) -> Scalar {
        let mut found = None;
        parse_stream(text, |doc| {
            for node in &doc.nodes {
                if let Value::Scalar(s) = &node.value {
                    if s.value.contains("docker") {
                        found = Some(Scalar {
                            value: s.value.clone(),
                            span: s.span,
                            verbatim: s.verbatim,
                            block: s.block,
                            null: s.null,
                        });
                    }
                }
            }
        })
        .unwrap();
        found.unwrap()
    }

    #[test]
    fn literal_blocks_map_line_by_line() {
        let text = "run: |\n\n  echo hi\r\n    docker run nginx\n  done\n";
        let scalar = run_scalar(text);
        let map = OffsetMap::of_scalar(text, &scalar);
        let at = scalar.value.find("nginx").unwrap();
        let span = map.span(Span::new(at, at + 5)).unwrap();
        assert_eq!(&text[span.start..span.end], "nginx");
        // A span crossing a line break does not map.
        let at = scalar.value.find("hi").unwrap();
        assert_eq!(map.span(Span::new(at, at + 6)), None);
    }

    #[test]
    fn folded_blocks_and_escapes_do_not_map() {
        let text = "run: >\n  docker run\n  nginx\n";
        let scalar = run_scalar(text);
        assert!(matches!(
            OffsetMap::of_scalar(text, &scalar),
            OffsetMap::Nowhere(_)
        ));
        let text = "run: \"docker run \\\"nginx\\\"\"\n";
        let scalar = run_scalar(text);
        let map = OffsetMap::of_scalar(text, &scalar);
        assert_eq!(map.span(Span::new(0, 6)), None);
        let located = map.locate("nginx", text);
        assert_eq!(&text[located.start..located.end], "nginx");
    }
}
