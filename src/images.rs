//! Images stage: the inventory of source images a migration moves — each distinct source
//! once, with its occurrences and destination — and the copy references for the plan. The
//! inventory is the same before and after `fix --write`: references already converted are
//! listed with the source they came from, and variable tags take the value the repository
//! gives them ([`tags`]).

mod tags;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::check::{Converted, Finding};
use crate::extract::Role;
use crate::reference::ImageRef;
use crate::rewrite::SourceOf;
use crate::source::LineIndex;
use crate::walk::FileKind;
use crate::FileResult;

/// One distinct source image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceImage {
    /// Fully qualified, `:latest` added when neither tag nor digest is written; `None` when a
    /// converted reference's source cannot be named (see `reason`).
    pub source: Option<String>,
    /// Fully qualified destination, when the config gives one.
    pub destination: Option<String>,
    /// What to copy (`…@sha256:…` for digest-pinned sources) and where to.
    pub copy: Option<(String, String)>,
    /// Why there is no copy, when there is none.
    pub reason: Option<String>,
    /// The destination is where the upstream itself publishes the image now (a rule's
    /// built-in rewrite, such as `k8s.gcr.io` → `registry.k8s.io`): nothing to copy.
    pub upstream: bool,
    pub occurrences: Vec<Location>,
}

impl SourceImage {
    /// A copy is needed and cannot be planned.
    pub fn lacks_copy(&self) -> bool {
        self.copy.is_none() && !self.upstream
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub kind: FileKind,
}

/// Collects sources file by file, as the pipeline streams them (under
/// [`Mode::Inventory`](crate::Mode::Inventory)).
#[derive(Default)]
pub struct Inventory {
    /// Keyed by (source unknown, source or destination), so unknown sources sort last.
    by_source: BTreeMap<(bool, String), SourceImage>,
    /// `.env` files already read, by directory.
    env_files: HashMap<PathBuf, HashMap<String, String>>,
}

/// One reference, reported or already converted, on its way into the inventory.
struct Use<'a> {
    offset: usize,
    /// As written.
    text: &'a str,
    /// The source, or why it cannot be named.
    source: Result<ImageRef, String>,
    destination: Option<ImageRef>,
    rule: &'static str,
    exact: bool,
}

impl Inventory {
    pub fn add(&mut self, file: &FileResult) {
        let index = LineIndex::new(&file.file.text);
        let uses = file
            .findings
            .iter()
            .filter_map(finding_use)
            .chain(file.converted.iter().map(converted_use));
        let mut scope = None;
        for item in uses {
            let location = Location {
                path: file.file.display.clone(),
                line: index.position(item.offset).line,
                kind: file.kind,
            };
            let tag = if item.exact {
                None
            } else {
                let scope = scope.get_or_insert_with(|| {
                    tags::Scope::of(
                        file.kind,
                        &file.file.path,
                        &file.file.text,
                        &mut self.env_files,
                    )
                });
                Some(tags::resolve(item.text, item.offset, scope))
            };
            let image = describe(item, tag);
            let key = match &image.source {
                Some(source) => (false, source.clone()),
                None => (true, image.destination.clone().unwrap_or_default()),
            };
            self.by_source
                .entry(key)
                .or_insert(image)
                .occurrences
                .push(location);
        }
    }

    /// Every distinct source, sorted by source (those without one last).
    pub fn finish(self) -> Vec<SourceImage> {
        let mut images: Vec<SourceImage> = self.by_source.into_values().collect();
        for image in &mut images {
            image.occurrences.sort();
            image.occurrences.dedup();
        }
        images
    }
}

fn finding_use(finding: &Finding) -> Option<Use<'_>> {
    // Helm chart repositories are copied chart version by chart version, not as images.
    if finding.canonical.is_empty() || matches!(finding.role, Role::Chart | Role::Matcher) {
        return None;
    }
    Some(Use {
        offset: finding.span.start,
        text: &finding.image,
        source: Ok(ImageRef::parse(&finding.canonical).ok()?),
        destination: finding.destination(),
        rule: finding.rule,
        exact: finding.exact,
    })
}

fn converted_use(converted: &Converted) -> Use<'_> {
    let (source, rule) = match &converted.source {
        SourceOf::Known { source, rule } => (Ok(source.clone()), *rule),
        SourceOf::Ambiguous(reason) => (Err(reason.clone()), ""),
    };
    Use {
        offset: converted.span.start,
        text: &converted.text,
        source,
        destination: Some(converted.image.clone()),
        rule,
        exact: converted.exact,
    }
}

/// A rule's own rewrite moves an image to where its upstream publishes it now.
fn is_upstream_move(rule: &str) -> bool {
    crate::rules::builtin()
        .rule(rule)
        .is_some_and(|r| r.rewrite.is_some())
}

/// The inventory entry for one use; `tag` is the resolved variable tag of an inexact use.
fn describe(item: Use<'_>, tag: Option<tags::Tag>) -> SourceImage {
    let upstream = is_upstream_move(item.rule);
    let unknown_source = |reason: String, destination: Option<String>| SourceImage {
        source: None,
        destination,
        copy: None,
        reason: Some(reason),
        upstream: false,
        occurrences: Vec::new(),
    };
    let mut source = match item.source {
        Ok(source) => source,
        Err(reason) => {
            let destination = item.destination.map(|d| source_name(&d));
            return unknown_source(format!("the source is unknown: {reason}"), destination);
        }
    };
    let mut destination = item.destination;
    match tag {
        None => {}
        Some(tags::Tag::Resolved { tag, digest }) => {
            source.tag = tag.clone();
            source.digest = digest.clone();
            if let Some(d) = &mut destination {
                d.tag = d.tag.take().or(tag);
                d.digest = digest;
            }
        }
        Some(tags::Tag::Unresolved(names)) => {
            let unset = match names.as_slice() {
                [] => String::new(),
                [name] => format!(", and `{name}` has no value in the repository"),
                names => format!(
                    ", and {} have no value in the repository",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let reason = match &destination {
                None => "no [[map]] or [target] applies".to_owned(),
                Some(_) => format!(
                    "the tag is not literal (`{}`){unset}: copy each tag it takes",
                    tags::written_tag(item.text)
                ),
            };
            return SourceImage {
                source: Some(format!("{}:…", source.canonical_name())),
                destination: destination.map(|d| d.canonical_name()),
                copy: None,
                reason: Some(reason),
                upstream: false,
                occurrences: Vec::new(),
            };
        }
    }
    let (copy, reason) = match &destination {
        None => (None, Some("no [[map]] or [target] applies".to_owned())),
        Some(_) if upstream => (
            None,
            Some("the upstream publishes it there: nothing to copy".to_owned()),
        ),
        Some(dest) => (Some(copy_pair(&source, dest)), None),
    };
    SourceImage {
        source: Some(source_name(&source)),
        destination: destination.as_ref().map(source_name),
        copy,
        reason,
        upstream,
        occurrences: Vec::new(),
    }
}

/// The reference as listed: fully qualified, `:latest` when neither tag nor digest is written.
fn source_name(image: &ImageRef) -> String {
    match (&image.tag, &image.digest) {
        (None, None) => format!("{}:latest", image.canonical_name()),
        _ => image.canonical(),
    }
}

/// Digest-pinned sources are copied by digest, to the tag when one is written (so the
/// rewritten `name:tag@digest` resolves) or else to the same digest.
fn copy_pair(source: &ImageRef, destination: &ImageRef) -> (String, String) {
    let source_name = source.canonical_name();
    let destination_name = destination.canonical_name();
    let tag = |image: &ImageRef| image.tag.clone().unwrap_or_else(|| "latest".to_owned());
    match &source.digest {
        Some(digest) => {
            let to = match &destination.tag {
                Some(tag) => format!("{destination_name}:{tag}"),
                None => format!("{destination_name}@{digest}"),
            };
            (format!("{source_name}@{digest}"), to)
        }
        None => (
            format!("{source_name}:{}", tag(source)),
            format!("{destination_name}:{}", tag(destination)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(source: &str, destination: &str) -> (String, String) {
        copy_pair(
            &ImageRef::parse(source).unwrap(),
            &ImageRef::parse(destination).unwrap(),
        )
    }

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn copy_pairs() {
        assert_eq!(
            pair("nginx", "ghcr.io/acme/nginx"),
            (
                "docker.io/library/nginx:latest".into(),
                "ghcr.io/acme/nginx:latest".into()
            )
        );
        assert_eq!(
            pair("bitnami/redis:7", "ghcr.io/acme/bitnami/redis:7"),
            (
                "docker.io/bitnami/redis:7".into(),
                "ghcr.io/acme/bitnami/redis:7".into()
            )
        );
        assert_eq!(
            pair(
                &format!("nginx:1.25@{SHA}"),
                &format!("ghcr.io/a/nginx:1.25@{SHA}")
            ),
            (
                format!("docker.io/library/nginx@{SHA}"),
                "ghcr.io/a/nginx:1.25".into()
            )
        );
        assert_eq!(
            pair(&format!("nginx@{SHA}"), &format!("ghcr.io/a/nginx@{SHA}")),
            (
                format!("docker.io/library/nginx@{SHA}"),
                format!("ghcr.io/a/nginx@{SHA}")
            )
        );
        assert_eq!(
            pair("ubuntu:18.04", "quay.io/footloose/ubuntu18.04:latest"),
            (
                "docker.io/library/ubuntu:18.04".into(),
                "quay.io/footloose/ubuntu18.04:latest".into()
            )
        );
    }
}
