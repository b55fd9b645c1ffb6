//! Extract stage, Compose: `services.*.image`, except for services with `build:` (there the
//! image is the name of what is built) and services that run an image another service of the
//! same file builds (`api: {build: ., image: acme-api:dev}` and `worker: {image: acme-api:dev}`).
//! In `${VAR:-default}` and `${VAR-default}` the default is the reference; a bare `${VAR}` is
//! not a finding.

use std::collections::HashSet;

use super::vars::{self, Shape};
use super::yaml::Document;
use super::{scalar_reference, Blocker, Occurrence, Part, Role};
use crate::reference::ImageRef;
use crate::source::Span;

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(services) = doc.root().and_then(|r| doc.get(r, "services")) else {
        return;
    };
    let built: HashSet<String> = doc
        .entries(services)
        .iter()
        .filter(|&&(_, service)| doc.get(service, "build").is_some())
        .filter_map(|&(_, service)| doc.str(doc.get(service, "image")?))
        .flat_map(identities)
        .collect();
    for &(_, service) in doc.entries(services) {
        if doc.get(service, "build").is_some() {
            continue;
        }
        let Some((key, value)) = doc
            .entries(service)
            .iter()
            .copied()
            .find(|&(k, _)| doc.str(k) == Some("image"))
        else {
            continue;
        };
        if doc
            .str(value)
            .is_some_and(|written| identities(written).any(|id| built.contains(&id)))
        {
            continue;
        }
        let found = match doc.str(value) {
            Some(text) if text.contains('$') => interpolated(doc, key, value),
            _ => scalar_reference(doc, key, value),
        };
        out.extend(found);
    }
}

/// What makes two `image:` values the same image: the value as written, and the reference it
/// names (variables at their defaults) in canonical form, an untagged one as `:latest`, which
/// is the tag Compose gives a built image that names none.
fn identities(written: &str) -> impl Iterator<Item = String> {
    let written = written.trim();
    let expanded = if written.contains('$') {
        vars::expand(written, |_| None)
    } else {
        Some(written.to_owned())
    };
    let canonical = expanded
        .and_then(|text| ImageRef::parse(&text).ok())
        .map(|image| {
            let untagged = image.tag.is_none() && image.digest.is_none();
            let canonical = image.canonical();
            if untagged {
                canonical + ":latest"
            } else {
                canonical
            }
        });
    std::iter::once(written.to_owned()).chain(canonical)
}

/// A value with `${…}`: the default, a literal name before a variable tag, or (when every
/// variable has a default) a report without a fix. GitLab CI values read the same way.
pub(super) fn interpolated(doc: &Document, key: usize, value: usize) -> Option<Occurrence> {
    let scalar = doc.scalar(value)?;
    let raw = scalar.value.as_str();
    if raw.contains("$$") {
        return None;
    }
    let statement = doc.node(key).start;
    let at = |offset: usize, len: usize| {
        Span::new(scalar.span.start + offset, scalar.span.start + offset + len)
    };
    let (image, part, span, blocker) = match vars::shape(raw) {
        Shape::LiteralName { len } => (
            ImageRef::parse(&raw[..len]).ok()?,
            Part::Name,
            at(0, len),
            None,
        ),
        Shape::LeadingVariable {
            variable, whole, ..
        } => {
            let (default, offset) = variable.default?;
            let image = ImageRef::parse(default).ok()?;
            if !whole && (image.tag.is_some() || image.digest.is_some()) {
                return None;
            }
            let part = if whole { Part::Whole } else { Part::Name };
            (image, part, at(offset, default.len()), None)
        }
        Shape::Other => {
            let image = ImageRef::parse(&vars::expand(raw, |_| None)?).ok()?;
            (image, Part::Whole, scalar.span, Some(Blocker::Variables))
        }
    };
    let blocker = blocker.or((!scalar.verbatim).then_some(Blocker::NotVerbatim));
    Some(Occurrence {
        image,
        text: raw.to_owned(),
        parts: vec![(part, span)],
        statement,
        blocker,
        shared: false,
        role: Role::Pull,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        let a: HashSet<String> = identities(a).collect();
        identities(b).any(|id| a.contains(&id))
    }

    #[test]
    fn built_image_identities() {
        assert!(same("acme-api:dev", "docker.io/library/acme-api:dev"));
        assert!(same("acme/web", "acme/web:latest"));
        assert!(same("${WEB_IMAGE:-acme/web:1}", "acme/web:1"));
        assert!(same("${REGISTRY}/web:1", " ${REGISTRY}/web:1"));
        assert!(!same("acme-api:dev", "acme-api:test"));
        assert!(!same("acme/web", "ghcr.io/acme/web"));
    }
}
