//! Report formats of `regmig verify`: `human` (one block per destination, with what to do)
//! and `json`.

use std::io::{self, Write};

use serde::Serialize;

use crate::verify::{Outcome, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyFormat {
    Human,
    Json,
}

pub fn write(
    out: &mut dyn Write,
    format: VerifyFormat,
    outcomes: &[Outcome],
    compare_source: bool,
) -> io::Result<()> {
    match format {
        VerifyFormat::Human => human(out, outcomes, compare_source),
        VerifyFormat::Json => json(out, outcomes),
    }
}

const INDENT: &str = "             ";

fn human(out: &mut dyn Write, outcomes: &[Outcome], compare_source: bool) -> io::Result<()> {
    for outcome in outcomes {
        writeln!(
            out,
            "{:<12} {}",
            outcome.status.as_str(),
            outcome.destination
        )?;
        if let Some(source) = &outcome.source {
            writeln!(out, "{INDENT}from {source}")?;
        }
        if let Some(digest) = &outcome.digest {
            let same = compare_source && outcome.source_digest.as_ref() == Some(digest);
            let note = if same { " (the source's)" } else { "" };
            writeln!(out, "{INDENT}digest {digest}{note}")?;
        }
        if outcome.status == Status::Differs {
            if let Some(source_digest) = &outcome.source_digest {
                writeln!(out, "{INDENT}source digest {source_digest}")?;
            }
        }
        if let Some(detail) = &outcome.detail {
            writeln!(out, "{INDENT}{detail}")?;
        }
        if let Some(advice) = advice(outcome) {
            writeln!(out, "{INDENT}{advice}")?;
        }
    }
    Ok(())
}

/// What to do about an outcome that does not pass.
fn advice(outcome: &Outcome) -> Option<String> {
    match outcome.status {
        Status::Missing => Some(
            "copy it before deploying: `regmig images --format skopeo` prints the plan".to_owned(),
        ),
        Status::Denied if outcome.kubernetes => Some(format!(
            "Kubernetes workloads pull it: unless {} is public, they need an imagePullSecrets \
             entry (in the pod spec or the service account) with credentials for it",
            outcome.host
        )),
        Status::Differs => Some(
            "copy with `skopeo copy --all --preserve-digests` or `crane copy` so digests survive"
                .to_owned(),
        ),
        _ => None,
    }
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    version: u32,
    images: Vec<JsonImage<'a>>,
}

#[derive(Serialize)]
struct JsonImage<'a> {
    source: Option<&'a str>,
    destination: &'a str,
    status: &'static str,
    digest: Option<&'a str>,
    source_digest: Option<&'a str>,
    detail: Option<&'a str>,
}

fn json(out: &mut dyn Write, outcomes: &[Outcome]) -> io::Result<()> {
    let document = JsonDocument {
        version: 1,
        images: outcomes
            .iter()
            .map(|o| JsonImage {
                source: o.source.as_deref(),
                destination: &o.destination,
                status: o.status.as_str(),
                digest: o.digest.as_deref(),
                source_digest: o.source_digest.as_deref(),
                detail: o.detail.as_deref(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// `regmig: 5 destinations: 3 present, 1 missing, 1 denied` (stderr).
pub fn summary(
    err: &mut dyn Write,
    outcomes: &[Outcome],
    without_destination: usize,
) -> io::Result<()> {
    let statuses = [
        Status::Present,
        Status::Differs,
        Status::Missing,
        Status::Denied,
        Status::Unreachable,
        Status::Unresolved,
    ];
    let counts: Vec<String> = statuses
        .iter()
        .map(|s| (s, outcomes.iter().filter(|o| o.status == *s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let noun = if outcomes.len() == 1 {
        "destination"
    } else {
        "destinations"
    };
    if counts.is_empty() {
        writeln!(err, "regmig: no destinations to verify")?;
    } else {
        writeln!(
            err,
            "regmig: {} {noun}: {}",
            outcomes.len(),
            counts.join(", ")
        )?;
    }
    if without_destination > 0 {
        writeln!(
            err,
            "regmig: {without_destination} source images have no destination; `regmig images` lists them"
        )?;
    }
    Ok(())
}
