//! regmig: find and rewrite container image references.
//!
//! [`run`] is the whole pipeline: walk → read → extract → check → (diff | write), streaming
//! each file's result to a sink in path order. Reporting is left to [`report`], which only
//! formats those results.

pub mod changes;
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
pub mod root;
pub mod rules;
pub mod source;
pub mod verify;
pub mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use check::{Checker, Finding};
use config::{Config, ConfigError};
use extract::mapped::{MappedSearch, Prefix};
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

/// Loads `--config FILE`, or the `regmig.toml` found from the first scanned path (its
/// directory, or the nearest ancestor up to the repository root), or the defaults.
pub fn load_config(
    explicit: Option<&Path>,
    paths: &[PathBuf],
    rules: &RuleSet,
) -> Result<Config, ConfigError> {
    let file = match explicit {
        Some(path) => Some(path.to_owned()),
        None => config::discover(&discovery_start(paths)),
    };
    match file {
        Some(file) => config::load(&file, rules),
        None => Ok(Config::default()),
    }
}

/// Where config discovery starts: the first scanned path, or its directory for a file.
fn discovery_start(paths: &[PathBuf]) -> PathBuf {
    let Some(first) = paths.first() else {
        return PathBuf::from(".");
    };
    if first.is_dir() {
        return first.clone();
    }
    match first.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
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

/// How far the workers may run ahead of the oldest file whose result is not yet handed on:
/// results come back out of order and wait for it, so this bounds what is held.
const WINDOW: usize = 1024;

/// How many consecutive files a worker takes at once: few enough to share out a tree's large
/// files, enough that handing results over costs nothing next to reading them.
const BLOCK: usize = 16;

/// Runs the pipeline over `paths` (`.` when empty), handing every file with something to
/// report to `sink` in path order, as soon as it and every file before it are done. Returns
/// how many files were scanned.
pub fn run(
    paths: &[PathBuf],
    config: &Config,
    mode: Mode,
    sink: &mut dyn FnMut(FileResult) -> std::io::Result<()>,
) -> Result<usize, Error> {
    let prepare = Prepare {
        make: &|_| (),
        without_text: false,
    };
    run_prepared(paths, config, mode, prepare, &mut |file, ()| sink(file))
}

/// What workers make of each result before it is handed on (a report's text, say), so that
/// only handing results on in order is left to the caller's thread.
pub struct Prepare<'a, T> {
    pub make: &'a (dyn Fn(&FileResult) -> T + Sync),
    /// The sink reads what `make` made and counts the findings, never the file's text or a
    /// finding's names. A check then reads files while the walk goes on (results wait for its
    /// end, reduced to that).
    pub without_text: bool,
}

/// [`run`], with `prepare` applied to each result in the worker that made it.
pub fn run_prepared<T: Send>(
    paths: &[PathBuf],
    config: &Config,
    mode: Mode,
    prepare: Prepare<'_, T>,
    sink: &mut dyn FnMut(FileResult, T) -> std::io::Result<()>,
) -> Result<usize, Error> {
    let rules = rules::builtin();
    let rewriter = Rewriter::new(config, rules).map_err(Error::Config)?;
    let mapped = MappedSearch::new(mapped_prefixes(config));
    let pipeline = Pipeline {
        checker: Checker {
            config,
            rules,
            rewriter: &rewriter,
        },
        mapped: mapped.as_ref(),
    };
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    if mode == Mode::Check && prepare.without_text {
        return during_walk(paths, config, &pipeline, prepare.make, sink);
    }
    let candidates = walk::collect(paths, config).map_err(Error::Walk)?;
    if is_interrupted() {
        return Err(Error::Interrupted);
    }
    in_order(&candidates, &pipeline, mode, prepare.make, sink)?;
    if is_interrupted() {
        return Err(Error::Interrupted);
    }
    Ok(candidates.len())
}

/// A check whose results need no text: workers read, extract, check and prepare files as the
/// walk meets them, so no core waits for the walk to end; results (what `prepare` made, and
/// their counts) are handed to `sink` in path order once both are done.
fn during_walk<T: Send>(
    paths: &[PathBuf],
    config: &Config,
    pipeline: &Pipeline<'_>,
    prepare: &(dyn Fn(&FileResult) -> T + Sync),
    sink: &mut dyn FnMut(FileResult, T) -> std::io::Result<()>,
) -> Result<usize, Error> {
    let (send, receive) = std::sync::mpsc::channel::<Candidate>();
    let receive = Mutex::new(receive);
    let (walked, mut results) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..worker_count())
            .map(|_| scope.spawn(|| work_on(&receive, pipeline, prepare)))
            .collect();
        // The workers are gone only when one panicked, and then the scope panics.
        let meet = |candidate: &Candidate| drop(send.send(candidate.clone()));
        let walked = walk::visit(paths, config, worker_count(), &meet);
        drop(send);
        let results: Vec<_> = workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect();
        let mut by_candidate = std::collections::HashMap::with_capacity(results.len());
        by_candidate.extend(results.into_iter().map(|(c, r)| (SameCandidate(c), r)));
        (walked, by_candidate)
    });
    let walked = walked.map_err(Error::Walk)?;
    if is_interrupted() {
        return Err(Error::Interrupted);
    }
    let count = walked.len();
    for candidate in walked {
        if let Some((result, prepared)) = results.remove(&SameCandidate(candidate)) {
            sink(result, prepared).map_err(Error::Output)?;
        }
    }
    Ok(count)
}

/// A candidate as a key for the very candidate the walk handed over: `Path` hashes and
/// compares component by component, which costs more than the bytes that are the same anyway.
struct SameCandidate(Candidate);

impl PartialEq for SameCandidate {
    fn eq(&self, other: &SameCandidate) -> bool {
        self.0.kind == other.0.kind && self.0.path.as_os_str() == other.0.path.as_os_str()
    }
}

impl Eq for SameCandidate {}

impl std::hash::Hash for SameCandidate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.path.as_os_str().hash(state);
        self.0.kind.hash(state);
    }
}

/// One worker of [`during_walk`]: files from the walk until it ends, and what it found in them.
fn work_on<T>(
    receive: &Mutex<std::sync::mpsc::Receiver<Candidate>>,
    pipeline: &Pipeline<'_>,
    prepare: &(dyn Fn(&FileResult) -> T + Sync),
) -> Vec<(Candidate, (FileResult, T))> {
    let mut buffer = Vec::new();
    let mut found = Vec::new();
    loop {
        let next = receive.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(candidate) = next else {
            return found;
        };
        if is_interrupted() {
            continue;
        }
        if let Some(mut result) = process(&candidate, pipeline, Mode::Check, &mut buffer) {
            let prepared = prepare(&result);
            keep_only_counts(&mut result);
            found.push((candidate, (result, prepared)));
        }
    }
}

/// Drops what a result held for rendering (the text, names, fixes' edits), keeping what counts
/// read (each finding's severity and whether it is fixable): results wait for the walk to end.
fn keep_only_counts(result: &mut FileResult) {
    result.file.text = String::new();
    result.findings.shrink_to_fit();
    for finding in &mut result.findings {
        finding.image = String::new();
        finding.canonical = String::new();
        finding.detail = None;
        if let Some(fix) = &mut finding.fix {
            fix.replacement = String::new();
            fix.edits = Vec::new();
        }
    }
}

/// How many files are processed at once: `REGMIG_THREADS`, or one per core.
fn worker_count() -> usize {
    std::env::var("REGMIG_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Workers take the candidates in path order, [`BLOCK`] at a time, each reading into a buffer
/// it keeps; the calling thread puts their results back in order and hands them to `sink`. A
/// worker never runs more than [`WINDOW`] files ahead of the oldest result not yet handed on.
fn in_order<T: Send>(
    candidates: &[Candidate],
    pipeline: &Pipeline<'_>,
    mode: Mode,
    prepare: &(dyn Fn(&FileResult) -> T + Sync),
    sink: &mut dyn FnMut(FileResult, T) -> std::io::Result<()>,
) -> Result<(), Error> {
    let next = AtomicUsize::new(0);
    let handed_on = (Mutex::new(0usize), Condvar::new());
    let stop = AtomicBool::new(false);
    let (results, received) = std::sync::mpsc::channel::<(usize, Vec<(FileResult, T)>)>();
    std::thread::scope(|scope| {
        for _ in 0..worker_count().min(candidates.len()) {
            let results = results.clone();
            let (next, handed_on, stop) = (&next, &handed_on, &stop);
            scope.spawn(move || {
                let mut buffer = Vec::new();
                loop {
                    let start = next.fetch_add(BLOCK, Ordering::Relaxed);
                    if start >= candidates.len() || !wait_for_window(start, handed_on, stop) {
                        return;
                    }
                    let block = &candidates[start..candidates.len().min(start + BLOCK)];
                    let found = block
                        .iter()
                        .take_while(|_| !is_interrupted())
                        .filter_map(|candidate| process(candidate, pipeline, mode, &mut buffer))
                        .map(|result| {
                            let prepared = prepare(&result);
                            (result, prepared)
                        })
                        .collect();
                    if results.send((start, found)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results);
        let outcome = hand_on(received, &handed_on, sink);
        stop.store(true, Ordering::SeqCst);
        handed_on.1.notify_all();
        outcome
    })
}

/// Blocks until file `index` is within [`WINDOW`] of the oldest result not handed on; false
/// when the run stops (interrupted, or the output failed).
fn wait_for_window(
    index: usize,
    (done, moved): &(Mutex<usize>, Condvar),
    stop: &AtomicBool,
) -> bool {
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    while index >= *done + WINDOW && !stop.load(Ordering::SeqCst) {
        done = moved.wait(done).unwrap_or_else(|e| e.into_inner());
    }
    !stop.load(Ordering::SeqCst) && !is_interrupted()
}

/// Receives blocks of results in any order and hands them to `sink` in candidate order.
fn hand_on<T>(
    received: std::sync::mpsc::Receiver<(usize, Vec<(FileResult, T)>)>,
    (done, moved): &(Mutex<usize>, Condvar),
    sink: &mut dyn FnMut(FileResult, T) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut waiting = std::collections::BTreeMap::new();
    let mut want = 0;
    for (start, block) in received {
        waiting.insert(start, block);
        let before = want;
        while let Some(block) = waiting.remove(&want) {
            want += BLOCK;
            for (result, prepared) in block {
                sink(result, prepared).map_err(Error::Output)?;
            }
        }
        if want > before {
            *done.lock().unwrap_or_else(|e| e.into_inner()) = want;
            moved.notify_all();
        }
    }
    Ok(())
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

    fn searches_all_text(&self) -> bool {
        !mapped_prefixes(self).is_empty()
    }

    fn stops(&self) -> bool {
        is_interrupted()
    }
}

/// What every file of a run is processed with.
struct Pipeline<'a> {
    checker: Checker<'a>,
    /// The search for references the config's maps name, in every text file.
    mapped: Option<&'a MappedSearch>,
}

/// The name prefixes that `[[map]]` entries make specific enough to search in any text: a Docker
/// Hub namespace other than `library` (`kubeflowkatib/*`, `bitnami/redis`), or any other
/// registry (`quay.io/old-org/*`); and the destinations of those entries, so that a file reads
/// the same number of references after fixing as before (and a destination is recognised as
/// one).
pub fn mapped_prefixes(config: &Config) -> Vec<Prefix> {
    let prefix = |pattern: &config::ImagePattern| Prefix {
        domain: pattern.domain().to_owned(),
        repository: pattern.repository().to_owned(),
    };
    let mut prefixes: Vec<Prefix> = config
        .maps
        .iter()
        .filter(|entry| {
            let repository = entry.from.repository();
            entry.from.domain() != "docker.io"
                || (repository.contains('/') && !repository.starts_with("library/"))
        })
        .flat_map(|entry| [prefix(&entry.from), prefix(&entry.accepts)])
        .collect();
    prefixes.sort_by(|a, b| (&a.domain, &a.repository).cmp(&(&b.domain, &b.repository)));
    prefixes.dedup();
    prefixes
}

/// Files larger than this are not searched for mapped references (they are data, not text
/// that people edit); their own kind's extractor still reads them.
const MAPPED_SEARCH_LIMIT: usize = 8 << 20;

/// Notes about files that were skipped in part, for the command to print.
pub fn take_notes() -> Vec<String> {
    std::mem::take(&mut *notes().lock().unwrap_or_else(|e| e.into_inner()))
}

fn notes() -> &'static std::sync::Mutex<Vec<String>> {
    static NOTES: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    NOTES.get_or_init(Default::default)
}

fn note(message: String) {
    notes()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(message);
}

/// Change logs and release notes record what was: the images of past releases are not
/// rewritten by the mapped search (their own kind's rules still apply).
fn records_history(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let upper = name.to_ascii_uppercase();
    [
        "CHANGELOG",
        "CHANGES",
        "HISTORY",
        "NEWS",
        "RELEASE-NOTES",
        "RELEASE_NOTES",
        "RELEASENOTES",
    ]
    .iter()
    .any(|prefix| upper.starts_with(prefix))
}

/// Binary content, as git decides it: a NUL byte near the start.
fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8000)]).is_some()
}

/// A `#!` line naming a POSIX-style shell (`#!/bin/sh`, `#!/usr/bin/env bash`).
fn has_shell_shebang(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"#!") else {
        return false;
    };
    let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
    String::from_utf8_lossy(line)
        .split(|c: char| c.is_whitespace() || c == '/')
        .any(|word| matches!(word, "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash"))
}

/// read → extract → check → (fix) for one file.
fn process(
    candidate: &Candidate,
    pipeline: &Pipeline<'_>,
    mode: Mode,
    buffer: &mut Vec<u8>,
) -> Option<FileResult> {
    let checker = &pipeline.checker;
    let display = || display_path(&candidate.path);
    let bytes = match read_into(&candidate.path, buffer) {
        Ok(len) => &buffer[..len],
        Err(e) => {
            let message = format!("cannot read the file: {e}");
            return unreadable(candidate, display(), message, checker);
        }
    };
    let mut kind = candidate.kind;
    if kind == FileKind::Text {
        // A file of no known kind: a script if its shebang says so, else plain text that only
        // the mapped search reads; binary files are not text at all.
        if is_binary(bytes) {
            return None;
        }
        if has_shell_shebang(bytes) {
            kind = FileKind::Shell;
        } else if pipeline.mapped.is_none() {
            return None;
        }
    }
    // Invalid UTF-8 is reported whatever the file holds; it is not a text file regmig can read.
    // Every file is validated: the SIMD check, and std's only for the error's offset.
    let valid = simdutf8::basic::from_utf8(bytes).ok();
    let text = match valid.map_or_else(|| std::str::from_utf8(bytes), Ok) {
        Ok(text) => text,
        Err(_) if kind == FileKind::Text => return None,
        Err(e) => {
            let message = format!("invalid UTF-8 at byte {}", e.valid_up_to());
            return unreadable(candidate, display(), message, checker);
        }
    };
    let mapped = match pipeline.mapped {
        Some(_) if records_history(&candidate.path) => None,
        Some(_) if text.len() > MAPPED_SEARCH_LIMIT => {
            note(format!(
                "{}: larger than 8 MiB, not searched for references that [[map]] entries name",
                display()
            ));
            None
        }
        other => other,
    };
    let extraction = match mapped {
        Some(_) => extract::extract_all(kind, text, mapped),
        None if extract::may_hold_references(kind, text.as_bytes()) => extract::extract(kind, text),
        None => return None,
    };
    // Fixing verifies against what the file held; checking needs nothing more.
    let baseline = matches!(mode, Mode::Fix { .. }).then(|| fix::Baseline::of(&extraction));
    let converted = if mode == Mode::Inventory {
        checker.converted(&extraction)
    } else {
        Vec::new()
    };
    let findings = checker.check(kind, text, extraction);
    if findings.is_empty() && converted.is_empty() {
        return None;
    }
    let file = SourceFile {
        path: candidate.path.clone(),
        display: display(),
        text: text.to_owned(),
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
            kind,
            mapped,
            &baseline,
            &findings,
            write,
            allow_unsafe,
        ),
        _ => None,
    };
    Some(FileResult {
        file,
        kind,
        findings,
        converted,
        change,
    })
}

/// Reads the file at `path` into the start of `buffer` and returns its length: one buffer per
/// worker, kept at its largest size (so it is zeroed only when it grows), so reading a file
/// allocates only when it is larger than any before it and takes no `stat` for a size hint.
fn read_into(path: &Path, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    // A buffer grown by one huge file is not kept for every small one after it.
    if buffer.len() > BUFFER_KEPT {
        *buffer = Vec::new();
    }
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    loop {
        if len == buffer.len() {
            let more = buffer.len().max(64 << 10);
            buffer.resize(buffer.len() + more, 0);
        }
        match file.read(&mut buffer[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The largest read buffer a worker keeps between files.
const BUFFER_KEPT: usize = 4 << 20;

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
            role: extract::Role::Pull,
        }],
        converted: Vec::new(),
        change: None,
    })
}

fn fix_file(
    file: &SourceFile,
    kind: FileKind,
    mapped: Option<&MappedSearch>,
    baseline: &fix::Baseline,
    findings: &[Finding],
    write: bool,
    allow_unsafe: bool,
) -> Option<Change> {
    let patched = fix::apply(&file.text, findings, allow_unsafe);
    if patched.applied.is_empty() || patched.text == file.text {
        return None;
    }
    let status = match fix::verify_with(kind, mapped, baseline, &patched, findings) {
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
