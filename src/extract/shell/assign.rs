//! Extract stage, text kinds: assignments of image variables (`IMAGE=…`, `BASE_IMAGE ?= …`,
//! YAML `env:` and `variables:` entries), split `*REGISTRY` + `*REPOSITORY` pairs, and the
//! rule that a variable used by `docker build -t`, `docker tag` or `docker push` names the
//! project's own image.

use std::collections::HashSet;

use super::embed::OffsetMap;
use super::lex::{single_word, Dialect, Word};
use super::refs;
use crate::extract::helm::compose_split;
use crate::extract::{Blocker, Occurrence, Part, Role};
use crate::source::Span;

/// Words that may follow `image` in a variable naming a whole reference (`IMAGE_NAME`).
const AFTER_IMAGE: &[&str] = &["name", "ref", "reference", "uri", "full", "fqn"];

/// A value written without variables, kept for split pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal {
    pub text: String,
    pub span: Span,
    pub blocker: Option<Blocker>,
}

/// What an assigned value holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Value {
    /// The reference, and whether it has a `/`, a tag or a digest.
    pub reference: Option<(Occurrence, bool)>,
    pub literal: Option<Literal>,
}

impl Value {
    /// The value of a shell word (`IMAGE=value`), in `source` coordinates.
    pub fn of_word(word: &Word, statement: usize, source: &str) -> Value {
        let reference = refs::reference(word).map(|found| {
            let qualified = found.is_qualified(&word.text[found.range.clone()]);
            let occurrence = refs::to_occurrence(word, &found, statement, Role::Pull, source);
            (occurrence, qualified)
        });
        let literal = word.literal().map(|text| {
            let (span, blocker) = if text.is_empty() {
                // Inside `""` or right after the `=`.
                let opens_quote = source
                    .as_bytes()
                    .get(word.span.start)
                    .is_some_and(|&b| b == b'"' || b == b'\'');
                let at = (word.span.start + usize::from(opens_quote)).min(source.len());
                (Span::new(at, at), None)
            } else {
                refs::span_of(word, 0..text.len(), source)
            };
            Literal {
                text: text.to_owned(),
                span,
                blocker,
            }
        });
        Value { reference, literal }
    }

    /// The value of a YAML scalar (`IMAGE: nginx:1.25`), read like a shell word because CI
    /// systems expand `$VAR` and `${{ … }}` in it.
    pub fn of_scalar(value: &str, map: &OffsetMap, statement: usize, file: &str) -> Value {
        let trimmed = value.trim_end_matches('\n');
        if trimmed.is_empty() {
            let at = map.point(0);
            return Value {
                reference: None,
                literal: map.span(Span::new(0, 0)).map(|_| Literal {
                    text: String::new(),
                    span: Span::new(at, at),
                    blocker: None,
                }),
            };
        }
        let Some(word) = single_word(trimmed, Dialect::Shell) else {
            return Value::default();
        };
        // A YAML value has no shell quoting: a quote inside it is a character.
        if word.quoted || word.text.len() != trimmed.len() {
            return Value::default();
        }
        let mut found = Value::of_word(&word, 0, trimmed);
        found.map(map, trimmed, file);
        if let Some((occurrence, _)) = &mut found.reference {
            occurrence.statement = statement;
        }
        found
    }

    /// Moves the value from snippet to file coordinates.
    pub fn map(&mut self, map: &OffsetMap, snippet: &str, file: &str) {
        if let Some((occurrence, _)) = &mut self.reference {
            *occurrence = map.occurrence(occurrence.clone(), snippet, file);
        }
        if let Some(literal) = &mut self.literal {
            match map.span(literal.span) {
                Some(span) => literal.span = span,
                None => {
                    literal.span = map.locate(&literal.text, file);
                    literal.blocker = Some(Blocker::NotVerbatim);
                }
            }
        }
    }
}

/// `NAME=value` in some scope (`block`): one file, or one YAML mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub statement: usize,
    pub block: usize,
    pub value: Value,
}

/// Whether variable `name` holds a whole image reference: it contains `IMAGE` or `IMG` as a
/// word (`BASE_IMAGE`, `KIND_IMAGE`, `BASEIMAGE`, `image_name`), and nothing after it makes
/// it a part or a setting (`IMAGE_TAG`, `IMAGE_PULL_POLICY`, `IMAGES_DIR`).
pub fn is_image_name(name: &str) -> bool {
    let words = name_words(name);
    let is_image_word = |w: &String| {
        w.ends_with("image")
            || w.ends_with("img")
            || AFTER_IMAGE.iter().any(|after| {
                w.strip_suffix(after)
                    .is_some_and(|s| s == "image" || s == "img")
            })
    };
    let Some(last_image) = words.iter().rposition(is_image_word) else {
        return false;
    };
    words[last_image + 1..]
        .iter()
        .all(|w| AFTER_IMAGE.contains(&w.as_str()))
}

/// `BASE_IMAGE` → `base`, `image`; `baseImage` → `base`, `image`.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = matches!(c, '_' | '-' | '.') || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The references among `assignments`: image variables and split pairs, own images (per
/// `own`, the variables that `build -t`, `tag` or `push` read) named rather than pulled.
pub fn resolve(assignments: &[Assignment], own: &HashSet<String>) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for assignment in assignments {
        if !is_image_name(&assignment.name) {
            continue;
        }
        let Some((occurrence, true)) = &assignment.value.reference else {
            continue;
        };
        let mut occurrence = occurrence.clone();
        occurrence.statement = assignment.statement;
        if own.contains(&assignment.name) {
            occurrence.role = Role::Named;
        }
        out.push(occurrence);
    }
    out.extend(split_pairs(assignments, own));
    out
}

/// `*REGISTRY` + `*REPOSITORY` (+ `*TAG`) with the same prefix in one block.
fn split_pairs(assignments: &[Assignment], own: &HashSet<String>) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut used = HashSet::new();
    for (i, registry) in assignments.iter().enumerate() {
        let lower = registry.name.to_ascii_lowercase();
        let Some(prefix) = lower.strip_suffix("registry") else {
            continue;
        };
        let sibling = |suffix: &str| {
            assignments.iter().enumerate().find(|(j, a)| {
                a.block == registry.block
                    && !used.contains(j)
                    && a.name.to_ascii_lowercase() == format!("{prefix}{suffix}")
            })
        };
        let Some((repository_index, repository)) = sibling("repository") else {
            continue;
        };
        let tag = sibling("tag").map(|(_, a)| a);
        if let Some(occurrence) = pair(registry, repository, tag, own) {
            used.insert(i);
            used.insert(repository_index);
            out.push(occurrence);
        }
    }
    out
}

fn pair(
    registry: &Assignment,
    repository: &Assignment,
    tag: Option<&Assignment>,
    own: &HashSet<String>,
) -> Option<Occurrence> {
    let registry_value = registry.value.literal.as_ref()?;
    let repository_value = repository
        .value
        .literal
        .as_ref()
        .filter(|l| !l.text.is_empty())?;
    // A tag held in a variable is left out: the name is still rewritable.
    let tag_value = tag.and_then(|t| t.value.literal.as_ref());
    let (text, image) = compose_split(
        Some(&registry_value.text),
        &repository_value.text,
        tag_value.map(|t| t.text.as_str()),
        None,
    )?;
    let mut parts = vec![
        (Part::Repository, repository_value.span),
        (Part::Registry, registry_value.span),
    ];
    let mut blockers = vec![registry_value.blocker, repository_value.blocker];
    if let Some(tag) = tag_value.filter(|t| !t.text.is_empty()) {
        parts.push((Part::Tag, tag.span));
        blockers.push(tag.blocker);
    }
    let is_own = [Some(registry), Some(repository), tag]
        .into_iter()
        .flatten()
        .any(|a| own.contains(&a.name));
    Some(Occurrence {
        image,
        text,
        parts,
        statement: repository.statement,
        blocker: blockers.into_iter().flatten().next(),
        shared: false,
        role: if is_own { Role::Named } else { Role::Pull },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_variable_names() {
        for name in [
            "IMAGE",
            "BASE_IMAGE",
            "IMG",
            "KIND_IMAGE",
            "BASEIMAGE",
            "image_name",
            "baseImage",
            "DOCKER_IMAGE_NAME",
            "IMAGE_REF",
            "imagename",
        ] {
            assert!(is_image_name(name), "{name}");
        }
        for name in [
            "IMAGE_TAG",
            "IMAGE_PULL_POLICY",
            "IMAGES_DIR",
            "IMAGE_VERSION",
            "IMAGE_REGISTRY",
            "IMAGE_REPOSITORY",
            "imagePullPolicy",
            "IMAGE_PATH",
            "IMAGE_FILE",
            "PAGE",
            "IMAGINE",
            "REGISTRY",
        ] {
            assert!(!is_image_name(name), "{name}");
        }
    }
}
