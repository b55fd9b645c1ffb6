//! Extract stage, GitLab CI: `image` (a string or its `name`) and `services` entries (strings
//! or their `name`), at the top level, under `default:` and in every job (hidden `.jobs`
//! included). `$CI_…` prefixes make a name a variable, so those are not findings; a variable
//! only in the tag (`golang:$GO_VERSION`) keeps the literal name rewritable.

use super::github::entry;
use super::yaml::{Document, NodeId};
use super::{compose::interpolated, scalar_reference, Occurrence};

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "variables",
    "include",
    "stages",
    "workflow",
    "cache",
    "spec",
];

pub fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    job_references(doc, root, out);
    for &(key, job) in doc.entries(root) {
        let is_job = doc.is_map(job) && doc.str(key).is_some_and(|k| !RESERVED.contains(&k));
        if is_job {
            job_references(doc, job, out);
        }
    }
}

fn job_references(doc: &Document, job: NodeId, out: &mut Vec<Occurrence>) {
    if let Some((key, image)) = entry(doc, job, "image") {
        out.extend(named(doc, key, image));
    }
    if let Some(services) = doc.get(job, "services") {
        for &service in doc.items(services) {
            out.extend(named(doc, service, service));
        }
    }
}

/// A string, or a mapping's `name`.
fn named(doc: &Document, key: NodeId, value: NodeId) -> Option<Occurrence> {
    let (key, value) = entry(doc, value, "name").unwrap_or((key, value));
    match doc.str(value) {
        Some(text) if text.contains('$') => interpolated(doc, key, value),
        _ => scalar_reference(doc, key, value),
    }
}
