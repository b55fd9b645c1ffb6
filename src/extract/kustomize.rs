//! Extract stage, Kustomize: `images[].name` and `images[].newName`. Both are rewritten, so an
//! override keeps matching the manifests regmig rewrites; `newTag` and `digest` are never
//! edited (a destination that sets its own tag makes the fix one to apply by hand).

use super::github::entry;
use super::yaml::{Document, NodeId};
use super::{Blocker, Occurrence, Part, Role};
use crate::reference::ImageRef;

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(images) = doc.root().and_then(|r| doc.get(r, "images")) else {
        return;
    };
    for &item in doc.items(images) {
        let new_name = entry(doc, item, "newName");
        let suffix = override_suffix(doc, item);
        if let Some((key, name)) = entry(doc, item, "name") {
            // Without newName, the name is what is pulled, with the override's tag.
            let suffix = if new_name.is_none() {
                suffix.as_str()
            } else {
                ""
            };
            let selects_only = new_name.is_some();
            out.extend(name_reference(doc, key, name, suffix).map(|mut found| {
                if selects_only {
                    found.role = Role::Matcher;
                }
                found
            }));
        }
        if let Some((key, name)) = new_name {
            out.extend(name_reference(doc, key, name, &suffix));
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

fn name_reference(doc: &Document, key: NodeId, name: NodeId, suffix: &str) -> Option<Occurrence> {
    let scalar = doc.scalar(name)?;
    let image = ImageRef::parse(&format!("{}{suffix}", scalar.value))
        .or_else(|_| ImageRef::parse(&scalar.value))
        .ok()?;
    Some(Occurrence {
        text: image.render(),
        image,
        parts: vec![(Part::Name, scalar.span)],
        statement: doc.node(key).start,
        blocker: (!scalar.verbatim).then_some(Blocker::NotVerbatim),
        shared: false,
        role: Role::Pull,
    })
}
