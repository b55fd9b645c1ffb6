//! Verify stage: inventory × registry → per-image status. Every distinct destination of the
//! inventory is looked up with a manifest HEAD (and, with `--source`, its source too, to
//! compare digests), a bounded number at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::images::SourceImage;
use crate::reference::ImageRef;
use crate::registry::{Answer, Client};
use crate::walk::FileKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The destination can be pulled (with `--source`: and its digest may differ only when
    /// the status is [`Status::Differs`]).
    Present,
    /// The registry does not know the manifest: the copy has not run, or the mirror does not
    /// carry it.
    Missing,
    /// `401`/`403` even with the credentials found.
    Denied,
    /// Present, but its digest is not the source's: the copy did not preserve digests, or the
    /// tag moved.
    Differs,
    /// No usable answer: connection, TLS, proxy, or `5xx`/`429` after retries.
    Unreachable,
    /// The destination's tag is a variable with no value in the repository, so there is no
    /// one image to look up.
    Unresolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Missing => "missing",
            Status::Denied => "denied",
            Status::Differs => "differs",
            Status::Unreachable => "unreachable",
            Status::Unresolved => "unresolved",
        }
    }
}

/// The verdict on one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub source: Option<String>,
    pub destination: String,
    /// The destination's registry host.
    pub host: String,
    pub status: Status,
    pub digest: Option<String>,
    pub source_digest: Option<String>,
    pub detail: Option<String>,
    /// Kubernetes workloads pull it: a private registry needs an `imagePullSecrets` entry.
    pub kubernetes: bool,
}

impl Outcome {
    /// Whether this destination is as it should be: present, and with `compare_source` the
    /// same digest as its source.
    pub fn passes(&self, compare_source: bool) -> bool {
        self.status == Status::Present
            && (!compare_source || (self.digest.is_some() && self.digest == self.source_digest))
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Also look up each source and compare digests.
    pub source: bool,
    /// Lookups in flight at once (at least 1).
    pub jobs: usize,
}

/// One distinct destination to look up.
struct Target {
    source: Option<String>,
    destination: String,
    /// The pullable reference, or why there is none.
    pulled: Result<ImageRef, String>,
    kubernetes: bool,
}

/// File kinds whose images Kubernetes pulls.
fn pulled_by_kubernetes(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Kubernetes
            | FileKind::HelmValues
            | FileKind::HelmTemplate
            | FileKind::HelmChart
            | FileKind::Kustomize
    )
}

/// The distinct destinations of `images`, in inventory order; sources without one are left
/// to `regmig images`.
fn targets(images: &[SourceImage]) -> Vec<Target> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for image in images {
        let Some(destination) = image.destination.clone() else {
            continue;
        };
        let kubernetes = image
            .occurrences
            .iter()
            .any(|o| pulled_by_kubernetes(o.kind));
        if !seen.insert(destination.clone()) {
            if kubernetes {
                if let Some(t) = out
                    .iter_mut()
                    .find(|t: &&mut Target| t.destination == destination)
                {
                    t.kubernetes = true;
                }
            }
            continue;
        }
        let pulled = match ImageRef::parse(&destination) {
            Ok(reference) if reference.tag.is_some() || reference.digest.is_some() => Ok(reference),
            _ => Err(image
                .reason
                .clone()
                .unwrap_or_else(|| "the destination has no tag".to_owned())),
        };
        out.push(Target {
            source: image.source.clone(),
            destination,
            pulled,
            kubernetes,
        });
    }
    out
}

/// How many inventory entries have no destination at all.
pub fn without_destination(images: &[SourceImage]) -> usize {
    images.iter().filter(|i| i.destination.is_none()).count()
}

/// Looks up every destination of `images`, `options.jobs` at a time; outcomes in inventory
/// order.
pub fn verify(images: &[SourceImage], client: &Client, options: Options) -> Vec<Outcome> {
    let targets = targets(images);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::with_capacity(targets.len()));
    let workers = options.jobs.max(1).min(targets.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = targets.get(index) else {
                    break;
                };
                let outcome = look_up(target, client, options.source);
                results.lock().expect("not poisoned").push((index, outcome));
            });
        }
    });
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, outcome)| outcome).collect()
}

fn look_up(target: &Target, client: &Client, compare_source: bool) -> Outcome {
    let mut outcome = Outcome {
        source: target.source.clone(),
        destination: target.destination.clone(),
        host: ImageRef::parse(&target.destination)
            .map(|d| d.domain().to_owned())
            .unwrap_or_default(),
        status: Status::Unresolved,
        digest: None,
        source_digest: None,
        detail: None,
        kubernetes: target.kubernetes,
    };
    let destination = match &target.pulled {
        Ok(destination) => destination,
        Err(reason) => {
            outcome.detail = Some(reason.clone());
            return outcome;
        }
    };
    match client.head_manifest(destination) {
        Answer::Present(digest) => {
            outcome.status = Status::Present;
            outcome.digest = Some(digest);
        }
        Answer::Missing => {
            outcome.status = Status::Missing;
            outcome.detail = Some("the registry has no such manifest".to_owned());
            return outcome;
        }
        Answer::Denied(detail) => {
            outcome.status = Status::Denied;
            outcome.detail = Some(detail);
            return outcome;
        }
        Answer::Unreachable(detail) => {
            outcome.status = Status::Unreachable;
            outcome.detail = Some(detail);
            return outcome;
        }
    }
    if compare_source {
        compare(&mut outcome, client);
    }
    outcome
}

/// `--source`: the source's digest, and `differs` when it is not the destination's.
fn compare(outcome: &mut Outcome, client: &Client) {
    let Some(source) = outcome.source.as_deref() else {
        outcome.detail = Some("not compared: the source is unknown".to_owned());
        return;
    };
    let Ok(reference) = ImageRef::parse(source) else {
        outcome.detail = Some(format!("not compared: `{source}` is not a reference"));
        return;
    };
    match client.head_manifest(&reference) {
        Answer::Present(digest) => {
            if outcome.digest.as_deref() != Some(digest.as_str()) {
                outcome.status = Status::Differs;
                outcome.detail = Some(
                    "the destination's digest is not the source's: the copy did not preserve \
                     digests, or the tag moved since"
                        .to_owned(),
                );
            }
            outcome.source_digest = Some(digest);
        }
        Answer::Missing => {
            outcome.detail = Some("not compared: the source has no such manifest".to_owned())
        }
        Answer::Denied(detail) | Answer::Unreachable(detail) => {
            outcome.detail = Some(format!("not compared: source: {detail}"))
        }
    }
}
