//! Extract stage, text kinds: which part of a shell word is an image reference. A word that
//! is a literal reference, a `${VAR:-default}` whose default is one, or a literal name with a
//! variable tag (`acme/api:${TAG}`) counts; a variable anywhere in the name part, a URL or a
//! filesystem path does not.

use std::ops::Range;

use super::lex::{ExpansionKind, Word};
use crate::extract::{Blocker, Occurrence, Part, Role};
use crate::reference::ImageRef;
use crate::source::Span;

/// File extensions that mark a path, not an image (`assets/logo.png`, `build/disk.img`).
const FILE_EXTENSIONS: &[&str] = &[
    "bin", "bz2", "conf", "cfg", "css", "csv", "gif", "go", "gz", "html", "ico", "img", "ini",
    "iso", "jar", "jpeg", "jpg", "js", "json", "log", "md", "mk", "ova", "png", "py", "qcow2",
    "raw", "rb", "rs", "sh", "svg", "tar", "tgz", "toml", "ts", "txt", "vhd", "vmdk", "webp",
    "xml", "xz", "yaml", "yml", "zip", "zst",
];

/// A reference found in a word: where it is in the word's text and which part it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordRef {
    pub image: ImageRef,
    pub range: Range<usize>,
    pub part: Part,
    /// The tag or digest is a variable (`acme/api:${TAG}`).
    pub variable_tag: bool,
}

impl WordRef {
    /// Names an image precisely enough for an assignment to count: a `/`, a tag or a digest.
    pub fn is_qualified(&self, written: &str) -> bool {
        self.variable_tag
            || self.image.tag.is_some()
            || self.image.digest.is_some()
            || written.contains('/')
    }
}

/// The reference `word` holds, if any.
pub fn reference(word: &Word) -> Option<WordRef> {
    if word.literal_dollar || word.text.is_empty() {
        return None;
    }
    let text = word.text.as_str();
    let Some(first) = word.expansions.first() else {
        let image = parse(text)?;
        return Some(WordRef {
            image,
            range: 0..text.len(),
            part: Part::Whole,
            variable_tag: false,
        });
    };
    if first.range.start == 0 {
        return leading_default(word);
    }
    // A literal name, then a tag or digest holding variables.
    let prefix = &text[..first.range.start];
    let name_start = prefix.rfind('/').map_or(0, |i| i + 1);
    let separator = name_start + prefix[name_start..].find([':', '@'])?;
    let literal_rest_has_slash = literal_parts(word, separator).any(|s| s.contains('/'));
    if literal_rest_has_slash {
        return None;
    }
    let image = parse(&text[..separator])?;
    Some(WordRef {
        image,
        range: 0..separator,
        part: Part::Name,
        variable_tag: true,
    })
}

/// `${VAR:-default}` alone, or followed by a `:tag` / `@digest` without another `/`.
fn leading_default(word: &Word) -> Option<WordRef> {
    let first = &word.expansions[0];
    let ExpansionKind::Parameter {
        default: Some(default),
        ..
    } = &first.kind
    else {
        return None;
    };
    let written = &word.text[default.clone()];
    if written.contains('$') || written.contains('`') {
        return None;
    }
    let image = parse(written)?;
    let rest = &word.text[first.range.end..];
    if rest.is_empty() {
        return Some(WordRef {
            image,
            range: default.clone(),
            part: Part::Whole,
            variable_tag: false,
        });
    }
    let tagged_after = rest.starts_with([':', '@'])
        && !literal_parts(word, first.range.end).any(|s| s.contains('/'));
    (tagged_after && image.tag.is_none() && image.digest.is_none()).then(|| WordRef {
        image,
        range: default.clone(),
        part: Part::Name,
        variable_tag: word.expansions.len() > 1,
    })
}

/// The literal stretches of the word's text from byte `from` on.
fn literal_parts(word: &Word, from: usize) -> impl Iterator<Item = &str> {
    let mut cuts = vec![from];
    for e in word.expansions.iter().filter(|e| e.range.end > from) {
        cuts.push(e.range.start.max(from));
        cuts.push(e.range.end);
    }
    cuts.push(word.text.len());
    cuts.chunks(2)
        .filter_map(|pair| match pair {
            [a, b] if a < b => Some(&word.text[*a..*b]),
            _ => None,
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// A literal reference, refusing URLs, filesystem paths and file names.
pub fn parse(text: &str) -> Option<ImageRef> {
    if text.contains("://") || text.starts_with(['/', '.', '~', '-']) {
        return None;
    }
    let image = ImageRef::parse(text).ok()?;
    let last = image.path.rsplit('/').next().unwrap_or("");
    let extension = last.rsplit_once('.').map(|(_, e)| e);
    if extension.is_some_and(|e| FILE_EXTENSIONS.contains(&e)) {
        return None;
    }
    // `sha256:…` is a digest or an image ID, not a repository with a tag.
    if image.registry.is_none() && matches!(image.path.as_str(), "sha256" | "sha512") {
        return None;
    }
    Some(image)
}

/// The span of bytes `range` of the word's text in the source, and why it cannot be edited
/// when its bytes are not written together.
pub fn span_of(word: &Word, range: Range<usize>, source: &str) -> (Span, Option<Blocker>) {
    let start = word
        .offsets
        .get(range.start)
        .copied()
        .unwrap_or(word.span.start);
    let end = word
        .offsets
        .get(range.end.saturating_sub(1))
        .map_or(start, |&o| o + 1)
        .max(start);
    let char_boundary = |at: usize| source.is_char_boundary(at);
    if word.contiguous(range) && char_boundary(start) && char_boundary(end) {
        return (Span::new(start, end), None);
    }
    let (start, end) = (floor_char(source, start), ceil_char(source, end));
    let between = source.get(start..end).unwrap_or("");
    let blocker = if between.contains("\\\n") || between.contains("\\\r\n") {
        Blocker::LineContinuation
    } else {
        Blocker::NotVerbatim
    };
    (Span::new(start, end), Some(blocker))
}

fn floor_char(source: &str, mut at: usize) -> usize {
    at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char(source: &str, mut at: usize) -> usize {
    at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The occurrence `word` holds, pulled or named per `role`, in `source` coordinates.
pub fn occurrence(word: &Word, statement: usize, role: Role, source: &str) -> Option<Occurrence> {
    let found = reference(word)?;
    Some(to_occurrence(word, &found, statement, role, source))
}

pub fn to_occurrence(
    word: &Word,
    found: &WordRef,
    statement: usize,
    role: Role,
    source: &str,
) -> Occurrence {
    let (span, blocker) = span_of(word, found.range.clone(), source);
    Occurrence {
        image: found.image.clone(),
        text: word.text.clone(),
        parts: vec![(found.part, span)],
        statement,
        blocker,
        shared: false,
        role,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::{single_word, Dialect};
    use super::*;

    fn found(text: &str) -> Option<(String, String, Part)> {
        let word = single_word(text, Dialect::Shell)?;
        let r = reference(&word)?;
        let (span, _) = span_of(&word, r.range.clone(), text);
        Some((
            r.image.to_string(),
            text[span.start..span.end].to_owned(),
            r.part,
        ))
    }

    #[test]
    fn literal_default_and_variable_tag_shapes() {
        assert_eq!(
            found("nginx:1.25"),
            Some(("nginx:1.25".into(), "nginx:1.25".into(), Part::Whole))
        );
        assert_eq!(
            found("\"${IMG:-acme/app:1.0}\""),
            Some(("acme/app:1.0".into(), "acme/app:1.0".into(), Part::Whole))
        );
        assert_eq!(
            found("acme/api:${TAG}"),
            Some(("acme/api".into(), "acme/api".into(), Part::Name))
        );
        assert_eq!(
            found("golang:$(GO_VERSION)-alpine"),
            Some(("golang".into(), "golang".into(), Part::Name))
        );
        assert_eq!(
            found("acme/api:${{ github.sha }}"),
            Some(("acme/api".into(), "acme/api".into(), Part::Name))
        );
        assert_eq!(
            found("${IMG:-acme/app}:${TAG}"),
            Some(("acme/app".into(), "acme/app".into(), Part::Name))
        );
    }

    #[test]
    fn variables_in_the_name_urls_and_paths_are_not_references() {
        for text in [
            "$REGISTRY/app",
            "${REGISTRY}/app:1",
            "${{ env.REGISTRY }}/app",
            "localhost:${PORT}/app",
            "acme/$NAME:1",
            "https://hub.docker.com/r/bitnami/redis",
            "/opt/bitnami/redis",
            "./scripts/build",
            "assets/logo.png",
            "sha256:0123456789abcdef",
            "'$literal'",
            "${IMG}",
            "${IMG:-$OTHER}",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }

    #[test]
    fn escapes_and_continuations_block_the_edit() {
        let text = "ngi\\\nnx:1.25";
        let word = single_word(text, Dialect::Shell).unwrap();
        let r = reference(&word).unwrap();
        let (_, blocker) = span_of(&word, r.range, text);
        assert_eq!(blocker, Some(Blocker::LineContinuation));
        let text = "ngi\\nx";
        let word = single_word(text, Dialect::Shell).unwrap();
        let r = reference(&word).unwrap();
        assert_eq!(span_of(&word, r.range, text).1, Some(Blocker::NotVerbatim));
    }
}
