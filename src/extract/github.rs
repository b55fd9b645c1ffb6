//! Extract stage, GitHub Actions: `jobs.*.container` (a string or its `image`),
//! `jobs.*.services.*.image`, `uses: docker://…` in steps, and `runs.image: docker://…` in
//! `action.yml`. Expressions (`${{ matrix.image }}`) are not references.

use super::yaml::{Document, NodeId};
use super::{prefixed_reference, scalar_reference, Occurrence};

const DOCKER_SCHEME: &str = "docker://";

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    if let Some(jobs) = doc.get(root, "jobs") {
        for &(_, job) in doc.entries(jobs) {
            job_references(doc, job, out);
        }
    }
    if let Some(runs) = doc.get(root, "runs") {
        if let Some((key, image)) = entry(doc, runs, "image") {
            out.extend(prefixed_reference(doc, key, image, DOCKER_SCHEME));
        }
        steps(doc, runs, out);
    }
}

fn job_references(doc: &Document, job: NodeId, out: &mut Vec<Occurrence>) {
    if let Some((key, container)) = entry(doc, job, "container") {
        match entry(doc, container, "image") {
            Some((image_key, image)) => out.extend(scalar_reference(doc, image_key, image)),
            None => out.extend(scalar_reference(doc, key, container)),
        }
    }
    if let Some(services) = doc.get(job, "services") {
        for &(_, service) in doc.entries(services) {
            if let Some((key, image)) = entry(doc, service, "image") {
                out.extend(scalar_reference(doc, key, image));
            }
        }
    }
    steps(doc, job, out);
}

fn steps(doc: &Document, parent: NodeId, out: &mut Vec<Occurrence>) {
    let Some(steps) = doc.get(parent, "steps") else {
        return;
    };
    for &step in doc.items(steps) {
        if let Some((key, uses)) = entry(doc, step, "uses") {
            out.extend(prefixed_reference(doc, key, uses, DOCKER_SCHEME));
        }
    }
}

/// The (key, value) of `key` in mapping `map`.
pub fn entry(doc: &Document, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
    doc.entries(map)
        .iter()
        .copied()
        .find(|&(k, _)| doc.str(k) == Some(key))
}
