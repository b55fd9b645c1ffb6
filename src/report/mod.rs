//! Report stage: one file per output format. Reporters receive each file's results as the
//! pipeline streams them, write to the stream they are given, and keep only counts; they
//! never touch the scanned files.

mod concise;
mod github;
mod gitlab;
mod human;
pub mod images;
mod json;
mod sarif;
pub mod verify;

use std::io::{self, Write};

use crate::root::RepoRoot;
use crate::source::{LineCursor, Position, SourceFile};
use crate::{ChangeStatus, FileResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
    Gitlab,
}

/// The start and end positions of a byte range in a file.
fn positions(index: &mut LineCursor<'_>, span: crate::source::Span) -> (Position, Position) {
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

/// Chooses, for each finding of a file, whether it is shown (`check --new-since`).
pub type FindingFilter = Box<dyn Fn(&FileResult) -> Vec<bool>>;

/// Renders a file's report (`human` or `json`) in any thread.
pub enum Renderer {
    Human(Box<human::Handler>),
    /// A file's findings as JSON lines, written as if they came first (the reporter puts the
    /// comma before them).
    Json,
}

impl Renderer {
    pub fn render(&self, file: &FileResult) -> String {
        let mut text = Vec::new();
        // Writing into memory fails only if miette does, and then the reporter renders again.
        let written = match self {
            Renderer::Human(handler) => human::file(&mut text, file, handler),
            Renderer::Json => json::file(&mut text, file, true),
        };
        // Rendered reports may wait for the end of the run: no spare capacity.
        text.shrink_to_fit();
        match written {
            Ok(()) => String::from_utf8(text).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

/// Writes `check` results in one format as files arrive.
pub struct CheckReporter {
    format: Format,
    color: bool,
    human: Option<human::Handler>,
    /// What `sarif`, `github` and `gitlab` paths are relative to; without it, the paths
    /// other formats show.
    root: Option<RepoRoot>,
    filter: Option<FindingFilter>,
    pub counts: Counts,
    /// Findings a filter left out.
    pub hidden: usize,
}

impl CheckReporter {
    pub fn new(format: Format, color: bool) -> CheckReporter {
        CheckReporter {
            format,
            color,
            human: (format == Format::Human).then(|| human::handler(color)),
            root: None,
            filter: None,
            counts: Counts::default(),
            hidden: 0,
        }
    }

    /// Makes CI-facing paths relative to the repository root.
    pub fn with_root(mut self, root: RepoRoot) -> CheckReporter {
        self.root = Some(root);
        self
    }

    /// Shows only the findings `filter` keeps; counts and exit codes follow what is shown.
    pub fn with_filter(mut self, filter: FindingFilter) -> CheckReporter {
        self.filter = Some(filter);
        self
    }

    /// What comes before the first file (the opening of a JSON or SARIF document).
    pub fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Json => json::begin(out),
            Format::Sarif => sarif::begin(out),
            Format::Gitlab => gitlab::begin(out),
            _ => Ok(()),
        }
    }

    /// What a worker can render of `file` ahead of [`file`](Self::file), for the human and
    /// JSON reports of a file whose findings are all shown; with it, the reporter needs no
    /// file's text.
    pub fn renderer(&self) -> Option<Renderer> {
        if self.filter.is_some() {
            return None;
        }
        match self.format {
            Format::Human => Some(Renderer::Human(Box::new(human::handler(self.color)))),
            Format::Json => Some(Renderer::Json),
            _ => None,
        }
    }

    /// [`file`](Self::file), with the text a [`Renderer`] made of it, if any.
    pub fn rendered_file(
        &mut self,
        out: &mut dyn Write,
        file: &FileResult,
        rendered: Option<String>,
    ) -> io::Result<()> {
        match rendered {
            Some(text) if self.filter.is_none() && !file.findings.is_empty() => {
                if self.format == Format::Json && self.counts.findings > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(text.as_bytes())?;
                self.counts.add(file, false);
                Ok(())
            }
            _ => self.file(out, file),
        }
    }

    pub fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let keep = self.filter.as_ref().map(|filter| filter(file));
        let shown = keep
            .as_ref()
            .map_or(file.findings.len(), |k| k.iter().filter(|&&x| x).count());
        self.hidden += file.findings.len() - shown;
        if shown == 0 {
            return Ok(());
        }
        let subset;
        let visible = match &keep {
            Some(keep) if shown < file.findings.len() => {
                subset = only(file, keep);
                &subset
            }
            _ => file,
        };
        let first = self.counts.findings == 0;
        match (self.format, &self.human) {
            (Format::Human, Some(handler)) => human::file(out, visible, handler)?,
            (Format::Concise, _) => concise::file(out, visible)?,
            (Format::Github, _) => github::file(out, visible, &self.root_path(file))?,
            (Format::Json, _) => json::file(out, visible, first)?,
            (Format::Sarif, _) => sarif::file(out, visible, &self.root_path(file), first)?,
            // Fingerprints count every finding of the file, shown or not.
            (Format::Gitlab, _) => {
                gitlab::file(out, file, &self.root_path(file), keep.as_deref(), first)?
            }
            (Format::Human, None) => {}
        }
        self.counts.add(visible, false);
        Ok(())
    }

    /// What comes after the last file (the summary of a JSON document).
    pub fn finish(&mut self, out: &mut dyn Write, files_scanned: usize) -> io::Result<()> {
        match self.format {
            Format::Json => json::end(out, files_scanned, &self.counts),
            Format::Sarif => sarif::end(out),
            Format::Gitlab => gitlab::end(out, self.counts.findings == 0),
            _ => Ok(()),
        }
    }

    fn root_path(&self, file: &FileResult) -> String {
        match &self.root {
            Some(root) => root.relative(&file.file),
            None => file.file.display.clone(),
        }
    }
}

/// A copy of `file` with only the findings `keep` selects.
fn only(file: &FileResult, keep: &[bool]) -> FileResult {
    FileResult {
        file: SourceFile {
            path: file.file.path.clone(),
            display: file.file.display.clone(),
            text: file.file.text.clone(),
        },
        kind: file.kind,
        findings: file
            .findings
            .iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(f, _)| f.clone())
            .collect(),
        change: None,
        converted: Vec::new(),
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

/// Which config the run used, for people reading `human` output.
pub fn config_note(err: &mut dyn Write, config: Option<&std::path::Path>) -> io::Result<()> {
    match config {
        Some(path) => writeln!(err, "regmig: config: {}", crate::display_path(path)),
        None => writeln!(
            err,
            "regmig: no regmig.toml found (run `regmig init` to write one); using the defaults"
        ),
    }
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
    /// Reported references with nowhere to go (no `[[map]]` or `[target]` applies).
    pub without_destination: usize,
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
        self.without_destination += file
            .findings
            .iter()
            .filter(|f| f.fix.is_none() && !f.canonical.is_empty())
            .count();
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

    /// The closing lines; `configured` says whether the config names any destination.
    pub fn summary(&self, err: &mut dyn Write, write: bool, configured: bool) -> io::Result<()> {
        if self.without_destination > 0 {
            let hint = if configured {
                "add a [[map]] entry for them, or a [target] in regmig.toml"
            } else {
                "nothing to rewrite to: run `regmig init --preset NAME` to write a regmig.toml with a [target] (`regmig init --help` lists the presets)"
            };
            writeln!(
                err,
                "regmig: {} reference{} without a destination; {hint}",
                self.without_destination,
                plural(self.without_destination)
            )?;
        }
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
