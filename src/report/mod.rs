//! Report stage: one file per output format. Reporters receive each file's results as the
//! pipeline streams them, write to the stream they are given, and keep only counts; they
//! never touch the scanned files.

mod concise;
mod github;
mod human;
pub mod images;
mod json;
mod sarif;
pub mod verify;

use std::io::{self, Write};

use crate::source::{LineIndex, Position};
use crate::{ChangeStatus, FileResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
}

/// The start and end positions of a byte range in a file.
fn positions(index: &LineIndex<'_>, span: crate::source::Span) -> (Position, Position) {
    (index.position(span.start), index.position(span.end))
}

/// Counts used by the summaries and exit codes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub findings: usize,
    pub errors: usize,
    pub fixable: usize,
    pub files_with_findings: usize,
}

impl Counts {
    fn add(&mut self, file: &FileResult, allow_unsafe: bool) {
        self.files_with_findings += 1;
        for finding in &file.findings {
            self.findings += 1;
            self.errors += usize::from(finding.severity == crate::rules::Severity::Error);
            self.fixable += usize::from(finding.is_fixable(allow_unsafe));
        }
    }
}

/// Writes `check` results in one format as files arrive.
pub struct CheckReporter {
    format: Format,
    human: Option<miette::GraphicalReportHandler>,
    pub counts: Counts,
}

impl CheckReporter {
    pub fn new(format: Format, color: bool) -> CheckReporter {
        CheckReporter {
            format,
            human: (format == Format::Human).then(|| human::handler(color)),
            counts: Counts::default(),
        }
    }

    /// What comes before the first file (the opening of a JSON or SARIF document).
    pub fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Json => json::begin(out),
            Format::Sarif => sarif::begin(out),
            _ => Ok(()),
        }
    }

    pub fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let first = self.counts.findings == 0;
        match (self.format, &self.human) {
            (Format::Human, Some(handler)) => human::file(out, file, handler)?,
            (Format::Concise, _) => concise::file(out, file)?,
            (Format::Github, _) => github::file(out, file)?,
            (Format::Json, _) => json::file(out, file, first)?,
            (Format::Sarif, _) => sarif::file(out, file, first)?,
            (Format::Human, None) => {}
        }
        self.counts.add(file, false);
        Ok(())
    }

    /// What comes after the last file (the summary of a JSON document).
    pub fn finish(&mut self, out: &mut dyn Write, files_scanned: usize) -> io::Result<()> {
        match self.format {
            Format::Json => json::end(out, files_scanned, &self.counts),
            Format::Sarif => sarif::end(out),
            _ => Ok(()),
        }
    }
}

/// `check`'s closing line, for stderr.
pub fn check_summary(err: &mut dyn Write, counts: &Counts, files_scanned: usize) -> io::Result<()> {
    if counts.findings == 0 {
        return writeln!(err, "regmig: no findings in {files_scanned} files");
    }
    writeln!(
        err,
        "regmig: {} finding{} ({} fixable with `regmig fix --write`) in {} of {} files",
        counts.findings,
        plural(counts.findings),
        counts.fixable,
        counts.files_with_findings,
        files_scanned
    )
}

/// Writes `fix` results as files arrive: diffs to `out`, refusals to `err`.
#[derive(Default)]
pub struct FixReporter {
    pub fixed: usize,
    pub files_changed: usize,
    /// Error-level findings not fixed (no fix, display-only, unsafe, or refused).
    pub unfixed_errors: usize,
    /// Files with changes still to write (`fix` without `--write`).
    pub pending: usize,
}

impl FixReporter {
    pub fn file(
        &mut self,
        out: &mut dyn Write,
        err: &mut dyn Write,
        file: &FileResult,
    ) -> io::Result<()> {
        let applied: &[usize] = match &file.change {
            Some(change) => match &change.status {
                ChangeStatus::Previewed(diff) => {
                    out.write_all(diff.as_bytes())?;
                    self.pending += 1;
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
            self.files_changed += 1;
            self.fixed += applied.len();
        }
        self.unfixed_errors += file
            .findings
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                f.severity == crate::rules::Severity::Error && applied.binary_search(i).is_err()
            })
            .count();
        Ok(())
    }

    pub fn summary(&self, err: &mut dyn Write, write: bool) -> io::Result<()> {
        let verb = if write { "fixed" } else { "would fix" };
        writeln!(
            err,
            "regmig: {verb} {} reference{} in {} file{}; {} error{} left unfixed",
            self.fixed,
            plural(self.fixed),
            self.files_changed,
            plural(self.files_changed),
            self.unfixed_errors,
            plural(self.unfixed_errors),
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
