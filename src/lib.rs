//! regmig: find and rewrite container image references.
//!
//! [`run`] is the whole pipeline: walk → read → extract → check → (diff | write), streaming
//! each file's result to a sink in path order. Reporting is left to [`report`], which only
//! formats those results.

pub mod check;
pub mod config;
pub mod diff;
pub mod extract;
pub mod fix;
pub mod images;
pub mod reference;
pub mod registry;
pub mod report;
pub mod rewrite;
pub mod rules;
pub mod source;
pub mod verify;
pub mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use check::{Checker, Finding};
use config::{Config, ConfigError};
use rewrite::Rewriter;
use rules::{RuleSet, Severity, PARSE_ERROR};
use source::{SourceFile, Span};
use walk::{Candidate, FileKind, WalkError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Check,
    /// [`Check`](Mode::Check), and also hand on the references that already name a
    /// destination ([`FileResult::converted`]), for the inventory.
    Inventory,
    Fix {
        write: bool,
        allow_unsafe: bool,
    },
}

#[derive(Debug)]
pub enum Error {
    Config(ConfigError),
    Walk(WalkError),
    /// Writing the results failed (a closed pipe, say).
    Output(std::io::Error),
    /// The run was interrupted; files already written are complete, no other was touched.
    Interrupted,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(e) => write!(f, "{e}"),
            Error::Walk(e) => write!(f, "{e}"),
            Error::Output(e) => write!(f, "{e}"),
            Error::Interrupted => write!(f, "interrupted"),
        }
    }
}

/// What happened to a file under `fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStatus {
    /// `fix` without `--write`: the diff is the output.
    Previewed(String),
    Written,
    /// Not written, and why.
    Refused(String),
}

#[derive(Debug)]
pub struct Change {
    /// Indices into the file's findings of the fixes applied (or that would be), sorted.
    pub applied: Vec<usize>,
    pub status: ChangeStatus,
}

/// One file with something to report.
#[derive(Debug)]
pub struct FileResult {
    pub file: SourceFile,
    pub kind: FileKind,
    pub findings: Vec<Finding>,
    /// Only under [`Mode::Inventory`]: references already converted to a destination.
    pub converted: Vec<check::Converted>,
    pub change: Option<Change>,
}

/// Every result of a run, kept ([`collect`]).
#[derive(Debug, Default)]
pub struct Report {
    /// Files with findings, sorted by path.
    pub files: Vec<FileResult>,
    pub files_scanned: usize,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = (&FileResult, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }
}

/// Loads `--config FILE`, or the discovered `regmig.toml`, or the defaults.
pub fn load_config(explicit: Option<&Path>, rules: &RuleSet) -> Result<Config, ConfigError> {
    let file = match explicit {
        Some(path) => Some(path.to_owned()),
        None => config::discover(Path::new(".")),
    };
    match file {
        Some(file) => config::load(&file, rules),
        None => Ok(Config::default()),
    }
}

/// Set (by a signal handler in `main`) to stop the run between files: no new file is
/// written once it is set, and files already replaced stay replaced.
pub fn interrupted() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

fn is_interrupted() -> bool {
    interrupted().load(Ordering::SeqCst)
}

/// How many files are processed in parallel before their results are handed on: enough to
/// keep every core busy, few enough that memory stays bounded whatever the tree's size.
const CHUNK: usize = 256;

/// Runs the pipeline over `paths` (`.` when empty), handing every file with something to
/// report to `sink` in path order, as soon as its chunk is done. Returns how many files were
/// scanned.
pub fn run(
    paths: &[PathBuf],
    config: &Config,
    mode: Mode,
    sink: &mut dyn FnMut(FileResult) -> std::io::Result<()>,
) -> Result<usize, Error> {
    let rules = rules::builtin();
    let rewriter = Rewriter::new(config, rules).map_err(Error::Config)?;
    let checker = Checker {
        config,
        rules,
        rewriter: &rewriter,
    };
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let candidates = walk::collect(paths, config).map_err(Error::Walk)?;
    for chunk in candidates.chunks(CHUNK) {
        if is_interrupted() {
            return Err(Error::Interrupted);
        }
        let results: Vec<Option<FileResult>> = chunk
            .par_iter()
            .map(|candidate| process(candidate, &checker, mode))
            .collect();
        for result in results.into_iter().flatten() {
            sink(result).map_err(Error::Output)?;
        }
    }
    Ok(candidates.len())
}

/// [`run`], keeping every result: for tests and small trees.
pub fn collect(paths: &[PathBuf], config: &Config, mode: Mode) -> Result<Report, Error> {
    let mut files = Vec::new();
    let files_scanned = run(paths, config, mode, &mut |file| {
        files.push(file);
        Ok(())
    })?;
    Ok(Report {
        files,
        files_scanned,
    })
}

impl walk::PathFilter for Config {
    fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        self.is_path_ignored(path, is_dir)
    }
}

/// read → extract → check → (fix) for one file.
fn process(candidate: &Candidate, checker: &Checker<'_>, mode: Mode) -> Option<FileResult> {
    let display = display_path(&candidate.path);
    let bytes = match std::fs::read(&candidate.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let message = format!("cannot read the file: {e}");
            return unreadable(candidate, display, message, checker);
        }
    };
    // Invalid UTF-8 is reported whatever the file holds; it is not a text file regmig can read.
    let text = match source::decode(bytes) {
        Ok(text) => text,
        Err(offset) => {
            let message = format!("invalid UTF-8 at byte {offset}");
            return unreadable(candidate, display, message, checker);
        }
    };
    if !extract::may_hold_references(candidate.kind, text.as_bytes()) {
        return None;
    }
    let extraction = extract::extract(candidate.kind, &text);
    // Fixing verifies against what the file held; checking needs nothing more.
    let baseline = matches!(mode, Mode::Fix { .. }).then(|| fix::Baseline::of(&extraction));
    let converted = if mode == Mode::Inventory {
        checker.converted(&extraction)
    } else {
        Vec::new()
    };
    let findings = checker.check(candidate.kind, &text, extraction);
    if findings.is_empty() && converted.is_empty() {
        return None;
    }
    let file = SourceFile {
        path: candidate.path.clone(),
        display,
        text,
    };
    let change = match (mode, baseline) {
        (
            Mode::Fix {
                write,
                allow_unsafe,
            },
            Some(baseline),
        ) => fix_file(
            &file,
            candidate.kind,
            &baseline,
            &findings,
            write,
            allow_unsafe,
        ),
        _ => None,
    };
    Some(FileResult {
        file,
        kind: candidate.kind,
        findings,
        converted,
        change,
    })
}

/// A file that cannot be read or decoded is a `parse-error` finding: it may hide references.
fn unreadable(
    candidate: &Candidate,
    display: String,
    message: String,
    checker: &Checker<'_>,
) -> Option<FileResult> {
    let severity = match checker.config.level(PARSE_ERROR) {
        Some(config::Level::Off) => return None,
        Some(config::Level::On(severity)) => severity,
        None => Severity::Error,
    };
    Some(FileResult {
        file: SourceFile {
            path: candidate.path.clone(),
            display,
            text: String::new(),
        },
        kind: candidate.kind,
        findings: vec![Finding {
            rule: PARSE_ERROR,
            severity,
            span: Span::new(0, 0),
            image: String::new(),
            canonical: String::new(),
            detail: Some(message),
            fix: None,
            occurrence: None,
            exact: false,
        }],
        converted: Vec::new(),
        change: None,
    })
}

fn fix_file(
    file: &SourceFile,
    kind: FileKind,
    baseline: &fix::Baseline,
    findings: &[Finding],
    write: bool,
    allow_unsafe: bool,
) -> Option<Change> {
    let patched = fix::apply(&file.text, findings, allow_unsafe);
    if patched.applied.is_empty() || patched.text == file.text {
        return None;
    }
    let status = match fix::verify(kind, baseline, &patched, findings) {
        Err(reason) => ChangeStatus::Refused(format!("verification failed: {reason}")),
        Ok(()) if !write => {
            ChangeStatus::Previewed(diff::unified(&file.display, &file.text, &patched.text))
        }
        Ok(()) if is_interrupted() => {
            ChangeStatus::Refused("interrupted before writing".to_owned())
        }
        Ok(()) => match fix::write_atomic(&file.path, file.text.as_bytes(), &patched.text) {
            Ok(()) => ChangeStatus::Written,
            Err(e) => ChangeStatus::Refused(e.to_string()),
        },
    };
    Some(Change {
        applied: patched.applied,
        status,
    })
}

/// The path as reports show it: `/`-separated, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut rest = text.as_str();
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped.trim_start_matches('/');
    }
    rest.to_owned()
}
