//! Report stage: one file per output format. Reporters format what the pipeline returned and
//! write it to the stream they are given; they never touch the scanned files.

mod concise;
mod github;
mod human;
pub mod images;
mod json;
mod sarif;

use std::io::{self, Write};

use crate::source::{LineIndex, Position};
use crate::{ChangeStatus, Report};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
}

/// Writes every finding of `report` in `format`.
pub fn findings(
    out: &mut dyn Write,
    format: Format,
    report: &Report,
    color: bool,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(out, report, color),
        Format::Concise => concise::write(out, report),
        Format::Json => json::write(out, report),
        Format::Sarif => sarif::write(out, report),
        Format::Github => github::write(out, report),
    }
}

/// The start and end positions of a byte range in a file.
fn positions(index: &LineIndex<'_>, span: crate::source::Span) -> (Position, Position) {
    (index.position(span.start), index.position(span.end))
}

/// Counts used by the summaries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub findings: usize,
    pub errors: usize,
    pub fixable: usize,
    pub files_with_findings: usize,
}

pub fn counts(report: &Report, allow_unsafe: bool) -> Counts {
    let mut counts = Counts {
        files_with_findings: report.files.len(),
        ..Counts::default()
    };
    for (_, finding) in report.findings() {
        counts.findings += 1;
        counts.errors += usize::from(finding.severity == crate::rules::Severity::Error);
        counts.fixable += usize::from(finding.is_fixable(allow_unsafe));
    }
    counts
}

/// `check`'s closing line, for stderr.
pub fn check_summary(err: &mut dyn Write, report: &Report) -> io::Result<()> {
    let c = counts(report, false);
    if c.findings == 0 {
        return writeln!(err, "regmig: no findings in {} files", report.files_scanned);
    }
    writeln!(
        err,
        "regmig: {} finding{} ({} fixable with `regmig fix --write`) in {} of {} files",
        c.findings,
        plural(c.findings),
        c.fixable,
        c.files_with_findings,
        report.files_scanned
    )
}

/// `fix`'s output: the diffs to `out`, the summary and refusals to `err`. Returns the number
/// of error-level findings left unfixed.
pub fn fix_result(
    out: &mut dyn Write,
    err: &mut dyn Write,
    report: &Report,
    write: bool,
) -> io::Result<usize> {
    let mut fixed = 0;
    let mut files_changed = 0;
    let mut unfixed_errors = 0;
    for file in &report.files {
        let applied: &[usize] = match &file.change {
            Some(change) => match &change.status {
                ChangeStatus::Previewed(diff) => {
                    out.write_all(diff.as_bytes())?;
                    &change.applied
                }
                ChangeStatus::Written => &change.applied,
                ChangeStatus::Refused(reason) => {
                    writeln!(err, "regmig: {}: not changed: {reason}", file.file.display)?;
                    &[]
                }
            },
            None => &[],
        };
        if !applied.is_empty() {
            files_changed += 1;
            fixed += applied.len();
        }
        unfixed_errors += file
            .findings
            .iter()
            .enumerate()
            .filter(|(i, f)| f.severity == crate::rules::Severity::Error && !applied.contains(i))
            .count();
    }
    let verb = if write { "fixed" } else { "would fix" };
    writeln!(
        err,
        "regmig: {verb} {fixed} reference{} in {files_changed} file{}; {unfixed_errors} error{} left unfixed",
        plural(fixed),
        plural(files_changed),
        plural(unfixed_errors),
    )?;
    Ok(unfixed_errors)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
