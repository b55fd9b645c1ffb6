//! Extract stage, Kustomize: `images[].name` and `images[].newName`. Both are rewritten, so an
//! override keeps matching the manifests regmig rewrites; `newTag` is edited only when a
//! destination sets its own tag, and `digest` never.

use super::github::entry;
use super::yaml::{Document, NodeId};
use super::{Blocker, Occurrence, Part};
use crate::reference::ImageRef;

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(images) = doc.root().and_then(|r| doc.get(r, "images")) else {
        return;
    };
    for &item in doc.items(images) {
        let new_name = entry(doc, item, "newName");
        let suffix = override_suffix(doc, item);
        let tag = entry(doc, item, "newTag").and_then(|(_, t)| doc.scalar(t));
        if let Some((key, name)) = entry(doc, item, "name") {
            // Without newName, the name is what is pulled, with the override's tag.
            let suffix = if new_name.is_none() {
                suffix.as_str()
            } else {
                ""
            };
            let tag = if new_name.is_none() { tag } else { None };
            out.extend(name_reference(doc, key, name, suffix, tag));
        }
        if let Some((key, name)) = new_name {
            out.extend(name_reference(doc, key, name, &suffix, tag));
        }
    }
}

/// `:newTag@digest` as far as the entry sets them.
fn override_suffix(doc: &Document, item: NodeId) -> String {
    let mut suffix = String::new();
    if let Some(tag) = doc.get(item, "newTag").and_then(|t| doc.str(t)) {
        suffix = format!(":{tag}");
    }
    if let Some(digest) = doc.get(item, "digest").and_then(|d| doc.str(d)) {
        suffix = format!("{suffix}@{digest}");
    }
    suffix
}

fn name_reference(
    doc: &Document,
    key: NodeId,
    name: NodeId,
    suffix: &str,
    tag: Option<&super::yaml::Scalar>,
) -> Option<Occurrence> {
    let scalar = doc.scalar(name)?;
    let image = ImageRef::parse(&format!("{}{suffix}", scalar.value))
        .or_else(|_| ImageRef::parse(&scalar.value))
        .ok()?;
    let mut parts = vec![(Part::Name, scalar.span)];
    if let Some(tag) = tag.filter(|t| t.verbatim) {
        parts.push((Part::Tag, tag.span));
    }
    Some(Occurrence {
        text: image.render(),
        image,
        parts,
        statement: doc.node(key).start,
        blocker: (!scalar.verbatim).then_some(Blocker::NotVerbatim),
        shared: false,
    })
}
