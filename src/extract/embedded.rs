//! Extract stage, Kubernetes manifests embedded in YAML: a literal block scalar holding a
//! whole object (Argo Workflows' `resource.manifest: |`, a ConfigMap carrying an executor
//! plugin or a Job template) is a manifest that will be applied, so its images are pulls.
//! The inner document is read with the same extractor and its spans mapped back to the file
//! line by line; where they cannot be, the reference is reported without a fix.

use super::helm::BlockLines;
use super::yaml::{self, Document, Value};
use super::{kubernetes, Blocker, Occurrence};
use crate::source::Span;

pub fn manifests(doc: &Document, text: &str, out: &mut Vec<Occurrence>) {
    for (id, node) in doc.nodes.iter().enumerate() {
        let Value::Scalar(block) = &node.value else {
            continue;
        };
        let holds_manifest = block.block
            && block.value.contains("image")
            && block.value.contains("apiVersion")
            && block.value.contains("kind");
        if !holds_manifest {
            continue;
        }
        let lines = BlockLines::new(text, block);
        let mut inner_found = Vec::new();
        let parsed = yaml::parse_stream(&block.value, |inner| {
            let is_object = inner.root().is_some_and(|root| {
                inner.get(root, "apiVersion").is_some() && inner.get(root, "kind").is_some()
            });
            if is_object {
                kubernetes::document(inner, &mut inner_found);
            }
        });
        if parsed.is_err() {
            continue;
        }
        for mut occurrence in inner_found {
            let mapped: Option<Vec<_>> = occurrence
                .parts
                .iter()
                .map(|&(part, span)| Some((part, lines.as_ref()?.map(span)?)))
                .collect();
            match mapped {
                Some(parts) => {
                    occurrence.statement = lines
                        .as_ref()
                        .and_then(|l| l.map(Span::new(occurrence.statement, occurrence.statement)))
                        .map_or(parts[0].1.start, |s| s.start);
                    occurrence.parts = parts;
                }
                None => {
                    occurrence.parts = vec![(occurrence.parts[0].0, block.span)];
                    occurrence.statement = doc.node(id).start;
                    occurrence.blocker = Some(Blocker::NotVerbatim);
                }
            }
            out.push(occurrence);
        }
    }
}
