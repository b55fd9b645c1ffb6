//! Extract stage, Kubernetes and other YAML: `image:` where a container image lives, at any
//! depth (containers, initContainers, CronJobs, CRDs, Tekton, Argo…), and the `reference` of
//! image volumes (`volumes[].image.reference`). A Ceph RBD disk (`rbd.image`, in a pod's
//! volumes or a PersistentVolume) is no container image. In a document that is not a
//! Kubernetes object (`apiVersion` + `kind`), or is a ConfigMap or Secret, the value must have
//! a `/`, a tag or a digest (`image: png` in an application config is not an image), unless
//! it sits in a container list.

use super::yaml::{Document, NodeId};
use super::{scalar_reference, Occurrence};

/// Lists whose items are containers (`core/v1` PodSpec), wherever they are nested.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// Volume sources whose `image` field names a storage object, not a container image: in
/// `core/v1`, `RBDVolumeSource` and `RBDPersistentVolumeSource` (the rados image name).
const STORAGE_SOURCES: [&str; 1] = ["rbd"];

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
        let Some(holder) = doc.parent(key) else {
            continue;
        };
        if doc
            .key_of(holder)
            .is_some_and(|k| STORAGE_SOURCES.contains(&k))
        {
            continue;
        }
        if doc.is_map(value) {
            out.extend(image_volume(doc, holder, value));
            continue;
        }
        let Some(occurrence) = scalar_reference(doc, key, value) else {
            continue;
        };
        if is_object || in_container_list(doc, holder) || looks_like_image(&occurrence.image) {
            out.push(occurrence);
        }
    }
}

/// Whether mapping `item` is an item of a container list.
fn in_container_list(doc: &Document, item: NodeId) -> bool {
    doc.parent(item)
        .and_then(|list| doc.key_of(list))
        .is_some_and(|k| CONTAINER_LISTS.contains(&k))
}

/// `volumes: [{name, image: {reference, pullPolicy}}]`: the kubelet pulls `reference`.
fn image_volume(doc: &Document, volume: NodeId, image: NodeId) -> Option<Occurrence> {
    let volumes = doc.parent(volume)?;
    if doc.key_of(volumes) != Some("volumes") {
        return None;
    }
    let &(key, value) = doc
        .entries(image)
        .iter()
        .find(|&&(k, _)| doc.str(k) == Some("reference"))?;
    scalar_reference(doc, key, value)
}

/// A registry, a path with `/`, a tag or a digest: what makes a bare word an image.
pub fn looks_like_image(image: &crate::reference::ImageRef) -> bool {
    image.registry.is_some()
        || image.path.contains('/')
        || image.tag.is_some()
        || image.digest.is_some()
}

#[cfg(test)]
mod tests {
    use crate::extract::extract;
    use crate::walk::FileKind;

    fn images(text: &str) -> Vec<String> {
        extract(FileKind::Kubernetes, text)
            .occurrences
            .iter()
            .map(|o| text[o.location().start..o.location().end].to_owned())
            .collect()
    }

    #[test]
    fn storage_image_fields_are_not_container_images() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: nginx}]\n  \
                   volumes:\n    - {name: d, rbd: {pool: kube, image: foo}}\n    - {name: i, image: {reference: redis}}\n";
        assert_eq!(images(pod), ["nginx", "redis"]);
        let pv = "apiVersion: v1\nkind: PersistentVolume\nspec:\n  rbd:\n    image: data-01\n";
        assert!(images(pv).is_empty());
    }

    #[test]
    fn an_image_map_outside_volumes_is_not_an_image_volume() {
        let cr = "apiVersion: acme.io/v1\nkind: App\nspec:\n  image: {reference: nginx, tag: x}\n";
        assert!(images(cr).is_empty());
    }

    #[test]
    fn container_lists_count_in_any_yaml() {
        let partial =
            "spec:\n  template:\n    spec:\n      containers:\n        - image: busybox\n\
                       thumbnail:\n  image: png\n";
        assert_eq!(images(partial), ["busybox"]);
    }
}
