//! Extract stage, GitLab CI: `image` (a string or its `name`) and `services` entries (strings
//! or their `name`), at the top level, under `default:` and in every job (hidden `.jobs`
//! included). `$CI_…` prefixes make a name a variable, so those are not findings.

use super::github::entry;
use super::yaml::{Document, NodeId};
use super::{scalar_reference, Occurrence};

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
    match entry(doc, value, "name") {
        Some((name_key, name)) => scalar_reference(doc, name_key, name),
        None => scalar_reference(doc, key, value),
    }
}
