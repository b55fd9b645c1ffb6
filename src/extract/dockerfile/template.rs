//! Extract stage, Dockerfiles: templates that render to a Dockerfile (Jinja `{{ … }}`,
//! `{% … %}`, `{# … #}`; autoconf and CMake `@NAME@`), as in `Dockerfile.j2` and
//! `Dockerfile.in`. Such a file may get stages from elsewhere (`{% include %}`), and its
//! placeholders are not references.

use super::lex::Logical;
use crate::extract::{Blocker, Occurrence, Part, Role};
use crate::reference::ImageRef;

const JINJA: [(&str, &str); 3] = [("{{", "}}"), ("{%", "%}"), ("{#", "#}")];

/// Whether `text` holds template placeholders.
pub(super) fn is_templated(text: &str) -> bool {
    text.contains("{{")
        || text.contains("{%")
        || text
            .match_indices('@')
            .any(|(i, _)| at_placeholder_len(&text[i..]).is_some())
}

/// The length of the Jinja tag starting `text` (to the end of `text` when it is not closed).
pub(super) fn jinja_len(text: &str) -> Option<usize> {
    JINJA.iter().find_map(|(open, close)| {
        let rest = text.strip_prefix(open)?;
        Some(
            rest.find(close)
                .map_or(text.len(), |i| open.len() + i + close.len()),
        )
    })
}

/// `@NAME@` at the start of `text`: its length.
fn at_placeholder_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('@')?;
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    let starts_well = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    (starts_well && rest[name_len..].starts_with('@')).then_some(name_len + 2)
}

/// Where the first placeholder in `word` starts.
pub(super) fn first_placeholder(word: &str) -> Option<usize> {
    word.char_indices().map(|(i, _)| i).find(|&i| {
        let rest = &word[i..];
        jinja_len(rest).is_some() || at_placeholder_len(rest).is_some()
    })
}

/// A `{# … #}` comment opening on this line and closing on a later one.
pub(super) fn opens_block_comment(line: &str) -> bool {
    line.trim_start()
        .strip_prefix("{#")
        .is_some_and(|rest| !rest.contains("#}"))
}

/// A `--from` value that names a stage in a templated file: one bare name, no registry,
/// path, tag or digest (`builder`, `tools`), which an included template may declare.
pub(super) fn is_bare_name(value: &str) -> bool {
    !value.is_empty() && !value.contains(['/', ':', '@', '$'])
}

/// A reference holding a template placeholder: only `name:{{ tag }}` (or `@TAG@`) is one,
/// with the literal name edited and the placeholder kept, as for `golang:${GO_VERSION}`.
pub(super) fn tag_only_reference(
    logical: &Logical,
    range: std::ops::Range<usize>,
    placeholder: usize,
    statement: usize,
) -> Option<Occurrence> {
    let raw = &logical.text[range.clone()];
    let name_start = raw[..placeholder].rfind('/').map_or(0, |i| i + 1);
    let len = name_start + raw[name_start..placeholder].find([':', '@'])?;
    let image = ImageRef::parse(&raw[..len]).ok()?;
    let (span, contiguous) = logical.span(range.start..range.start + len);
    Some(Occurrence {
        image,
        text: raw.to_owned(),
        parts: vec![(Part::Name, span)],
        statement,
        blocker: (!contiguous).then_some(Blocker::LineContinuation),
        shared: false,
        role: Role::Pull,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(is_templated("FROM {{ base }}\n"));
        assert!(is_templated("{% include 'x' %}\n"));
        assert!(is_templated("FROM @BASE_IMAGE@ AS build\n"));
        assert!(!is_templated(
            "RUN git clone git@github.com:acme/x.git\nFROM a@sha256:00\n"
        ));
        assert_eq!(first_placeholder("python:{{ v }}-slim"), Some(7));
        assert_eq!(first_placeholder("golang:@GO_VERSION@"), Some(7));
        assert_eq!(first_placeholder("nginx:1.27"), None);
        assert_eq!(jinja_len("{{ a }} b"), Some(7));
        assert_eq!(jinja_len("{% if x"), Some(7));
        assert!(opens_block_comment("{# notes"));
        assert!(!opens_block_comment("{# one line #}"));
        assert!(is_bare_name("tools") && !is_bare_name("busybox:1.36") && !is_bare_name("a/b"));
    }
}
