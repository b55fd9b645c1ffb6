//! Extract stage, Compose: `services.*.image`, except for services with `build:` (there the
//! image is the name of what is built). In `${VAR:-default}` and `${VAR-default}` the default
//! is the reference; a bare `${VAR}` is not a finding.

use super::vars::{self, Shape};
use super::yaml::Document;
use super::{scalar_reference, Blocker, Occurrence, Part, Role};
use crate::reference::ImageRef;
use crate::source::Span;

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(services) = doc.root().and_then(|r| doc.get(r, "services")) else {
        return;
    };
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
        let found = match doc.str(value) {
            Some(text) if text.contains('$') => interpolated(doc, key, value),
            _ => scalar_reference(doc, key, value),
        };
        out.extend(found);
    }
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
