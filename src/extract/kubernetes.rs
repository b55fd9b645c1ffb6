//! Extract stage, Kubernetes and other YAML: every `image:` key with a scalar value, at any
//! depth (containers, initContainers, CronJobs, CRDs, Tekton, Argo…). In a document that is not
//! a Kubernetes object (`apiVersion` + `kind`), or is a ConfigMap or Secret, the value must
//! have a `/`, a tag or a digest: `image: png` in an application config is not an image.

use super::yaml::Document;
use super::{scalar_reference, Occurrence};

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let kind = doc.get(root, "kind").and_then(|k| doc.str(k));
    // ConfigMap and Secret data is free-form application config.
    let is_object = doc.get(root, "apiVersion").is_some()
        && kind.is_some_and(|k| k != "ConfigMap" && k != "Secret");
    for (key, value) in doc.all_entries() {
        if doc.str(key) != Some("image") {
            continue;
        }
        let Some(occurrence) = scalar_reference(doc, key, value) else {
            continue;
        };
        if is_object || looks_like_image(&occurrence.image) {
            out.push(occurrence);
        }
    }
}

/// A registry, a path with `/`, a tag or a digest: what makes a bare word an image.
pub fn looks_like_image(image: &crate::reference::ImageRef) -> bool {
    image.registry.is_some()
        || image.path.contains('/')
        || image.tag.is_some()
        || image.digest.is_some()
}
