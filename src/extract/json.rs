//! Extract stage, JSON (`*.json` other than Terraform's): Kubernetes objects written as JSON,
//! `"image"` keys elsewhere with the rule for non-Kubernetes YAML (a `/`, a tag or a digest),
//! and a dev container's `image` (bare names too: `"image": "ubuntu"` is a pull). JSON is YAML,
//! so the span-exact YAML reader does the work; `//` and `/* */` comments (JSON with comments,
//! as `devcontainer.json` and VS Code settings allow) are blanked first, keeping every offset.
//! Notebooks are left to the mapped-reference search.

use super::yaml::{self, Document};
use super::{charts, helm, kubernetes, scalar_reference, Extraction, Occurrence};

/// Keys that only a dev container configuration has next to `image`.
const DEVCONTAINER_KEYS: &[&str] = &[
    "features",
    "customizations",
    "forwardPorts",
    "remoteUser",
    "containerUser",
    "postCreateCommand",
    "postStartCommand",
    "workspaceFolder",
    "runArgs",
    "containerEnv",
    "remoteEnv",
    "mounts",
];

pub fn extract(text: &str) -> Extraction {
    let mut out = Extraction::default();
    if text.contains("\"nbformat\"") && text.contains("\"cells\"") {
        return out;
    }
    let blanked = blank_comments(text);
    let occurrences = &mut out.occurrences;
    let result = yaml::parse_stream(&blanked, |doc| document(doc, occurrences));
    if let Err(error) = result {
        // Templated JSON (`{{ }}`, `${…}`) is read line by line, like a chart template.
        if text.contains("{{") || text.contains("{%") || text.contains("${") {
            return helm::template(text);
        }
        out.errors.push(error);
    }
    out
}

fn document(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let is_devcontainer = doc
        .entries(root)
        .iter()
        .any(|&(k, _)| doc.str(k).is_some_and(|k| DEVCONTAINER_KEYS.contains(&k)));
    if is_devcontainer {
        if let Some(&(key, value)) = doc
            .entries(root)
            .iter()
            .find(|&&(k, _)| doc.str(k) == Some("image"))
        {
            out.extend(scalar_reference(doc, key, value));
        }
        return;
    }
    kubernetes::document(doc, out);
    charts::manifests(doc, out);
}

/// `text` with every `//` line comment and `/* */` block comment outside strings replaced by
/// spaces (line breaks kept), so offsets into it are offsets into `text`.
fn blank_comments(text: &str) -> String {
    if !text.contains("//") && !text.contains("/*") {
        return text.to_owned();
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            (false, b'/') if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    bytes[i] = b' ';
                    i += 1;
                }
                continue;
            }
            (false, b'/') if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for byte in &mut bytes[i..end] {
                    if !matches!(*byte, b'\n' | b'\r') {
                        *byte = b' ';
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Vec<String> {
        extract(text)
            .occurrences
            .iter()
            .map(|o| text[o.location().start..o.location().end].to_owned())
            .collect()
    }

    #[test]
    fn comments_are_blanked_in_place() {
        let text = "{\n  // a \"comment\" with image: x\n  \"url\": \"http://a//b\", /* c */ \"n\": 1\n}\n";
        let blanked = blank_comments(text);
        assert_eq!(blanked.len(), text.len());
        assert!(!blanked.contains("comment") && !blanked.contains("c */"));
        assert!(blanked.contains("\"http://a//b\""));
    }

    #[test]
    fn devcontainers_kubernetes_objects_and_other_json() {
        assert_eq!(
            images("{\n  // base\n  \"image\": \"ubuntu\",\n  \"features\": {},\n}\n"),
            ["ubuntu"]
        );
        assert_eq!(
            images(
                r#"{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"image": "busybox"}]}}"#
            ),
            ["busybox"]
        );
        assert_eq!(
            images(r#"{"settings": {"image": "png"}, "worker": {"image": "acme/worker:1.2"}}"#),
            ["acme/worker:1.2"]
        );
        assert!(
            images(r#"{"nbformat": 4, "cells": [{"source": ["image: acme/x:1"]}]}"#).is_empty()
        );
    }
}
