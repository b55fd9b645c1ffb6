//! Extract stage, GitLab CI: `image` (a string or its `name`) and `services` entries (strings
//! or their `name`), at the top level, under `default:` and in every job (hidden `.jobs`
//! included). `$CI_…` prefixes make a name a variable, so those are not findings; a variable
//! only in the tag (`golang:$GO_VERSION`) keeps the literal name rewritable. Text kinds
//! (DESIGN.md §4): `script`, `before_script` and `after_script` lines read as shell, and
//! `variables:` image variables and `*REGISTRY` + `*REPOSITORY` pairs, top level and per job.

use super::github::{entry, TextKinds};
use super::shell::Collector;
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

const SCRIPTS: &[&str] = &["before_script", "script", "after_script"];

pub fn document(doc: &Document, text: &str, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let mut text_kinds = TextKinds {
        doc,
        text,
        collector: Collector::default(),
    };
    job_references(doc, root, out);
    text_kinds.variables(root, "variables");
    scripts(&mut text_kinds, root);
    for &(key, job) in doc.entries(root) {
        let is_job = doc.is_map(job) && doc.str(key).is_some_and(|k| !RESERVED.contains(&k));
        if is_job {
            job_references(doc, job, out);
            text_kinds.variables(job, "variables");
            scripts(&mut text_kinds, job);
        }
    }
    out.extend(text_kinds.collector.finish());
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

/// Script lines: a string, a list of strings, or lists nested one level (GitLab flattens
/// them).
fn scripts(text_kinds: &mut TextKinds, job: NodeId) {
    let doc = text_kinds.doc;
    let block = text_kinds.collector.block();
    for key in SCRIPTS {
        let Some(script) = doc.get(job, key) else {
            continue;
        };
        text_kinds.run_in(script, block);
        for &line in doc.items(script) {
            text_kinds.run_in(line, block);
            for &nested in doc.items(line) {
                text_kinds.run_in(nested, block);
            }
        }
    }
}
