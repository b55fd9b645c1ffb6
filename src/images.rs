//! Images stage: the inventory of source images a migration moves — each distinct source
//! once, with its occurrences and destination — and the copy references for the plan.

use std::collections::BTreeMap;

use crate::check::Finding;
use crate::reference::ImageRef;
use crate::source::LineIndex;
use crate::FileResult;

/// One distinct source image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceImage {
    /// Fully qualified, `:latest` added when neither tag nor digest is written.
    pub source: String,
    /// Fully qualified destination, when the config gives one.
    pub destination: Option<String>,
    /// What to copy (`…@sha256:…` for digest-pinned sources) and where to.
    pub copy: Option<(String, String)>,
    /// Why there is no copy, when there is none.
    pub reason: Option<String>,
    pub occurrences: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

/// Collects sources file by file, as the pipeline streams them.
#[derive(Default)]
pub struct Inventory {
    by_source: BTreeMap<String, SourceImage>,
}

impl Inventory {
    pub fn add(&mut self, file: &FileResult) {
        let index = LineIndex::new(&file.file.text);
        for finding in &file.findings {
            let Some(image) = finding_image(finding) else {
                continue;
            };
            let location = Location {
                path: file.file.display.clone(),
                line: index.position(finding.span.start).line,
            };
            let key = source_name(&image, finding.exact);
            self.by_source
                .entry(key.clone())
                .or_insert_with(|| describe(key, &image, finding))
                .occurrences
                .push(location);
        }
    }

    /// Every distinct source, sorted by source.
    pub fn finish(self) -> Vec<SourceImage> {
        let mut images: Vec<SourceImage> = self.by_source.into_values().collect();
        for image in &mut images {
            image.occurrences.sort();
            image.occurrences.dedup();
        }
        images
    }
}

fn finding_image(finding: &Finding) -> Option<ImageRef> {
    if finding.canonical.is_empty() {
        return None;
    }
    ImageRef::parse(&finding.canonical).ok()
}

/// The source as listed: `:latest` for an untagged exact reference; a variable tag is shown as
/// written.
fn source_name(image: &ImageRef, exact: bool) -> String {
    if !exact {
        return format!("{}:…", image.canonical_name());
    }
    match (&image.tag, &image.digest) {
        (None, None) => format!("{}:latest", image.canonical_name()),
        _ => image.canonical(),
    }
}

fn describe(source: String, image: &ImageRef, finding: &Finding) -> SourceImage {
    let target = finding.destination();
    let destination = target.as_ref().map(|d| {
        if finding.exact {
            source_name(d, true)
        } else {
            d.canonical_name()
        }
    });
    let (copy, reason) = match (&target, finding.exact) {
        (None, _) => (None, Some("no [[map]] or [target] applies".to_owned())),
        (Some(_), false) => (
            None,
            Some(format!(
                "the tag is not literal (`{}`): copy each tag it takes",
                finding.image
            )),
        ),
        (Some(dest), true) => (Some(copy_pair(image, dest)), None),
    };
    SourceImage {
        source,
        destination,
        copy,
        reason,
        occurrences: Vec::new(),
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
