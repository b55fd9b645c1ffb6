//! Extract stage, Helm charts pulled over OCI: chart repositories on a registry count against
//! the same pull limits as images. `Chart.yaml` `dependencies[].repository`, Flux
//! `HelmRepository` (type `oci`) and `OCIRepository` URLs, Argo CD `repoURL` next to a `chart`,
//! helmfile `repositories[].url` with `oci: true` and `chart: oci://…`, and `helm
//! install|upgrade|pull|template oci://…` on a line of text. Every occurrence has
//! [`Role::Chart`]; its span leaves out the `oci://` scheme, so an edit keeps the form written.

use super::yaml::{Document, NodeId};
use super::{Blocker, Occurrence, Role};
use crate::reference::ImageRef;
use crate::source::Span;

pub(crate) const OCI: &str = "oci://";

/// A chart repository written as `oci://HOST/PATH` (or, where the format leaves the scheme
/// out, `HOST/PATH`), whose content starts at `start`.
pub fn occurrence(
    value: &str,
    start: usize,
    statement: usize,
    scheme: Scheme,
) -> Option<Occurrence> {
    let (rest, offset) = match value.strip_prefix(OCI) {
        Some(rest) => (rest, OCI.len()),
        None if scheme == Scheme::Optional => (value, 0),
        None => return None,
    };
    let rest = rest.trim_end_matches('/');
    let image = ImageRef::parse(rest).ok()?;
    // A chart repository always names its host: `bitnamicharts/redis` is not one.
    image.registry.as_ref()?;
    let span = Span::new(start + offset, start + offset + rest.len());
    let mut found = Occurrence::whole(image, rest, span, statement);
    found.role = Role::Chart;
    Some(found)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Required,
    /// Argo CD and helmfile write OCI repositories without `oci://`.
    Optional,
}

/// The chart occurrence held by scalar `value`, reported at `key`.
fn scalar(doc: &Document, key: NodeId, value: NodeId, scheme: Scheme) -> Option<Occurrence> {
    let held = doc.scalar(value)?;
    let mut found = occurrence(&held.value, held.span.start, doc.node(key).start, scheme)?;
    if !held.verbatim {
        found.blocker = Some(Blocker::NotVerbatim);
    }
    Some(found)
}

/// (key, value) of `name` in mapping `map`.
fn entry(doc: &Document, map: NodeId, name: &str) -> Option<(NodeId, NodeId)> {
    doc.entries(map)
        .iter()
        .copied()
        .find(|&(k, _)| doc.str(k) == Some(name))
}

/// `Chart.yaml`: `dependencies[].repository: oci://…`. In `Chart.lock` the same entries are
/// reported without a fix: its `digest` hashes the dependencies, so Helm must regenerate it.
pub fn chart_yaml(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let Some(dependencies) = doc.get(root, "dependencies") else {
        return;
    };
    let lock = doc.get(root, "digest").is_some() && doc.get(root, "generated").is_some();
    for &dependency in doc.items(dependencies) {
        if let Some((key, value)) = entry(doc, dependency, "repository") {
            out.extend(scalar(doc, key, value, Scheme::Required).map(|mut found| {
                if lock {
                    found.blocker = Some(Blocker::Generated);
                }
                found
            }));
        }
    }
}

/// Flux sources, Argo CD applications (at any depth, so ApplicationSet templates count) and
/// helmfile repositories and releases.
pub fn manifests(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let kind = doc.get(root, "kind").and_then(|k| doc.str(k));
    let api = doc
        .get(root, "apiVersion")
        .and_then(|a| doc.str(a))
        .unwrap_or("");
    if api.starts_with("source.toolkit.fluxcd.io/") {
        if let (Some("HelmRepository" | "OCIRepository"), Some(spec)) =
            (kind, doc.get(root, "spec"))
        {
            if let Some((key, url)) = entry(doc, spec, "url") {
                out.extend(scalar(doc, key, url, Scheme::Required));
            }
        }
        return;
    }
    for (key, value) in doc.all_entries() {
        if doc.str(key) != Some("repoURL") {
            continue;
        }
        // Argo CD: only a source that names a `chart` is a Helm repository.
        let owner = owning_map(doc, key);
        if owner.is_some_and(|m| entry(doc, m, "chart").is_some()) {
            out.extend(scalar(doc, key, value, Scheme::Optional));
        }
    }
    helmfile(doc, root, out);
}

/// helmfile: `repositories: [{url: HOST/PATH, oci: true}]` and `releases: [{chart: oci://…}]`.
fn helmfile(doc: &Document, root: NodeId, out: &mut Vec<Occurrence>) {
    if let Some(repositories) = doc.get(root, "repositories") {
        for &repository in doc.items(repositories) {
            let oci = doc
                .get(repository, "oci")
                .and_then(|o| doc.str(o))
                .is_some_and(|o| o == "true");
            if let (true, Some((key, url))) = (oci, entry(doc, repository, "url")) {
                out.extend(scalar(doc, key, url, Scheme::Optional));
            }
        }
    }
    if let Some(releases) = doc.get(root, "releases") {
        for &release in doc.items(releases) {
            if let Some((key, chart)) = entry(doc, release, "chart") {
                out.extend(scalar(doc, key, chart, Scheme::Required));
            }
        }
    }
}

/// The mapping that holds key node `key`.
fn owning_map(doc: &Document, key: NodeId) -> Option<NodeId> {
    (0..key)
        .rev()
        .find(|&id| doc.entries(id).iter().any(|&(k, _)| k == key))
}

/// Helm subcommands that pull the chart they are given.
const PULLING: &[&str] = &["install", "upgrade", "pull", "template", "show", "fetch"];

/// `helm install|upgrade|pull|template … oci://…` on any line of a text (scripts, Makefiles,
/// docs, CI steps). `helm push` uploads the project's own chart and is left alone.
pub fn text(text: &str, out: &mut Vec<Occurrence>) {
    for (start, line) in super::lines_with(text, &super::needles::OCI_SCHEME) {
        let Some(helm) = find_word(line, "helm") else {
            continue;
        };
        let after_helm = &line[helm + 4..];
        let pulls = after_helm
            .split_whitespace()
            .find(|w| !w.starts_with('-'))
            .is_some_and(|sub| PULLING.contains(&sub));
        if !pulls {
            continue;
        }
        let mut from = helm;
        while let Some(found) = line[from..].find(OCI) {
            let at = from + found;
            let end = line[at..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')' | ';' | '\\')
                })
                .map_or(line.len(), |e| at + e);
            let statement = start + (line.len() - line.trim_start().len());
            out.extend(occurrence(
                &line[at..end],
                start + at,
                statement,
                Scheme::Required,
            ));
            from = end.max(at + OCI.len());
        }
    }
}

/// The offset of `word` standing alone (not part of a longer name) in `line`.
fn find_word(line: &str, word: &str) -> Option<usize> {
    line.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.')))
        };
        boundary(before) && boundary(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(found: &[Occurrence], text: &str) -> Vec<String> {
        found
            .iter()
            .map(|o| text[o.location().start..o.location().end].to_owned())
            .collect()
    }

    #[test]
    fn helm_commands_that_pull() {
        let text =
            "helm install db oci://registry-1.docker.io/bitnamicharts/postgresql --version 15\n\
                    helm push chart.tgz oci://registry-1.docker.io/acme\n\
                    echo oci://registry-1.docker.io/x/y\n\
                    sudo helm upgrade --install r \"oci://docker.io/bitnamicharts/redis\"\n";
        let mut out = Vec::new();
        super::text(text, &mut out);
        assert_eq!(
            texts(&out, text),
            [
                "registry-1.docker.io/bitnamicharts/postgresql",
                "docker.io/bitnamicharts/redis"
            ]
        );
        assert!(out.iter().all(|o| o.role == Role::Chart));
    }

    #[test]
    fn a_chart_repository_names_its_host() {
        assert!(occurrence("oci://bitnamicharts/redis", 0, 0, Scheme::Required).is_none());
        assert!(occurrence("registry-1.docker.io/bitnamicharts", 0, 0, Scheme::Required).is_none());
        let found =
            occurrence("registry-1.docker.io/bitnamicharts", 4, 0, Scheme::Optional).unwrap();
        assert_eq!(found.location(), Span::new(4, 38));
    }
}
