//! Filter between check and report: `check --new-since REF` keeps only findings on lines
//! added or changed since a git revision, so a repository can hold pull requests to "no new
//! Docker Hub pulls" before its one-shot conversion. Git is run as a program (`git diff
//! --unified=0 -M REF --` of the working tree, plus untracked files, which are all new).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::check::Finding;
use crate::config::absolutize;
use crate::rules::PARSE_ERROR;
use crate::source::{LineIndex, Span};

#[derive(Debug)]
pub struct ChangesError(String);

impl fmt::Display for ChangesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lines changed in one file since the revision.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileChanges {
    /// The whole file is new (untracked, or added since the revision).
    pub all_new: bool,
    /// 1-based, inclusive line ranges of the working-tree file, sorted.
    pub lines: Vec<(usize, usize)>,
}

impl FileChanges {
    fn touches(&self, first: usize, last: usize) -> bool {
        self.all_new || self.lines.iter().any(|&(a, b)| a <= last && first <= b)
    }
}

/// Every file changed since the revision, by absolute path.
#[derive(Debug, Default)]
pub struct Changes {
    files: HashMap<PathBuf, FileChanges>,
}

impl Changes {
    /// Asks git what changed in the working tree (of the repository holding `anchor`) since
    /// `revision`.
    pub fn since(revision: &str, anchor: &Path) -> Result<Changes, ChangesError> {
        if revision.is_empty() || revision.starts_with('-') {
            return Err(ChangesError(format!(
                "`{revision}` is not a git revision (a branch, tag or commit such as origin/main)"
            )));
        }
        let top_level = top_level(anchor)?;
        let commit = resolve(revision, &top_level)?;
        let diff = git(&top_level, &diff_args(&commit))
            .map_err(|e| ChangesError(format!("git diff against `{revision}` failed: {e}")))?;
        let mut files: HashMap<PathBuf, FileChanges> = parse_diff(&diff)
            .into_iter()
            .map(|(path, changes)| (top_level.join(path), changes))
            .collect();
        let untracked = git(
            &top_level,
            &["ls-files", "--others", "--exclude-standard", "-z"],
        )
        .map_err(|e| ChangesError(format!("listing untracked files failed: {e}")))?;
        for path in untracked.split(|&b| b == 0).filter(|p| !p.is_empty()) {
            let path = top_level.join(String::from_utf8_lossy(path).as_ref());
            let whole = FileChanges {
                all_new: true,
                lines: Vec::new(),
            };
            files.insert(path, whole);
        }
        Ok(Changes { files })
    }

    /// The changes to the file at `path` (as walked), if it changed at all.
    pub fn file(&self, path: &Path) -> Option<&FileChanges> {
        let absolute = absolutize(path);
        if let Some(found) = self.files.get(&absolute) {
            return Some(found);
        }
        // The walk's paths may reach the repository through a symbolic link; git's do not.
        let real = match (absolute.parent(), absolute.file_name()) {
            (Some(dir), Some(name)) => canonical(dir).join(name),
            _ => return None,
        };
        self.files.get(&real)
    }

    /// For each finding of the file at `path` (as walked) holding `text`, whether it is new:
    /// one of the lines it spans, or one its fix edits, was added or changed. A parse error
    /// counts in any changed file, since it may hide a reference on a changed line.
    pub fn new_findings(&self, path: &Path, text: &str, findings: &[Finding]) -> Vec<bool> {
        let Some(changes) = self.file(path) else {
            return vec![false; findings.len()];
        };
        if changes.all_new {
            return vec![true; findings.len()];
        }
        let index = LineIndex::new(text);
        let touched = |span: Span| {
            let first = index.position(span.start).line;
            let last = index.position(span.end).line;
            changes.touches(first, last)
        };
        findings
            .iter()
            .map(|finding| {
                finding.rule == PARSE_ERROR
                    || touched(finding.span)
                    || finding
                        .fix
                        .iter()
                        .flat_map(|fix| fix.edits.iter())
                        .any(|edit| touched(edit.span))
            })
            .collect()
    }
}

/// The top level of the work tree holding `anchor` (a file or directory), as git names it.
fn top_level(anchor: &Path) -> Result<PathBuf, ChangesError> {
    let anchor = absolutize(anchor);
    let start = match anchor.parent() {
        Some(parent) if !anchor.is_dir() => parent.to_path_buf(),
        _ => anchor,
    };
    let top = git(&start, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
        GitFailure::NotStarted(e) => ChangesError(e),
        GitFailure::Failed(e) => ChangesError(format!(
            "--new-since needs a git repository, and {} is not in one ({e})",
            start.display()
        )),
    })?;
    Ok(canonical(Path::new(
        String::from_utf8_lossy(&top).trim_end(),
    )))
}

/// The commit `revision` names: the diff then cannot mistake it for a path.
fn resolve(revision: &str, top_level: &Path) -> Result<String, ChangesError> {
    let spec = format!("{revision}^{{commit}}");
    let commit = git(top_level, &["rev-parse", "--verify", "--quiet", &spec]).map_err(|_| {
        ChangesError(format!(
            "`{revision}` is not a commit in {}; a shallow clone may lack it: fetch it first \
             (`git fetch origin main`, or `fetch-depth: 0` in actions/checkout) and pass e.g. \
             origin/main",
            top_level.display()
        ))
    })?;
    Ok(String::from_utf8_lossy(&commit).trim().to_owned())
}

/// `git diff` of the working tree against `commit`, pinned against user settings that would
/// change its output (colour, external diff drivers, prefixes, quoting of non-ASCII names).
fn diff_args(commit: &str) -> Vec<&str> {
    vec![
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--text",
        "--unified=0",
        "-M",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        commit,
        "--",
    ]
}

enum GitFailure {
    /// git is not installed or cannot be started.
    NotStarted(String),
    /// git ran and failed: the last line it wrote to stderr.
    Failed(String),
}

impl fmt::Display for GitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitFailure::NotStarted(e) | GitFailure::Failed(e) => f.write_str(e),
        }
    }
}

/// Runs git in `dir`; its stdout.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitFailure> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| {
            GitFailure::NotStarted(format!("--new-since runs git, which failed to start: {e}"))
        })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim().lines().last().unwrap_or("git failed");
    Err(GitFailure::Failed(last.to_owned()))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// Per file (path relative to the top level), the working-tree lines a `--unified=0` diff
/// adds or changes. A pure deletion marks the line that now follows the gap: removing a
/// `# regmig: ignore` comment changes what the line below it means.
pub fn parse_diff(diff: &[u8]) -> Vec<(String, FileChanges)> {
    let mut files: Vec<(String, FileChanges)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in diff.split(|&b| b == b'\n') {
        if let Some(target) = line.strip_prefix(b"+++ ") {
            current = new_path(target).map(|path| {
                files.push((path, FileChanges::default()));
                files.len() - 1
            });
        } else if line.starts_with(b"diff --git ") {
            current = None;
        } else if let (Some(i), Some(header)) = (current, line.strip_prefix(b"@@ ")) {
            if let Some(range) = hunk_lines(header) {
                let changes = &mut files[i].1;
                // `-0,0`: nothing was there before (an added file, or one that was empty).
                changes.all_new |= header.starts_with(b"-0,0 ");
                changes.lines.push(range);
            }
        }
    }
    for (_, changes) in &mut files {
        changes.lines.sort_unstable();
    }
    files
}

/// The working-tree path of a `+++ b/PATH` line; `None` for `/dev/null` (a deletion).
fn new_path(target: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(target);
    let text = text.trim_end_matches('\r');
    let path = if text.starts_with('"') {
        unquote(text)?
    } else {
        text.trim_end_matches('\t').to_owned()
    };
    path.strip_prefix("b/").map(str::to_owned)
}

/// Git's C-style quoting of unusual paths: `"b/a\tb"`, `"b/\303\251"` (octal bytes).
fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::with_capacity(inner.len());
    let mut rest = inner.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let (&escaped, tail) = rest.split_first()?;
        rest = tail;
        let byte = match escaped {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            b'0'..=b'3' => {
                let digits = [escaped, *rest.first()?, *rest.get(1)?];
                rest = &rest[2..];
                let text = std::str::from_utf8(&digits).ok()?;
                u8::from_str_radix(text, 8).ok()?
            }
            other => other,
        };
        bytes.push(byte);
    }
    String::from_utf8(bytes).ok()
}

/// The changed working-tree lines of a hunk header `-a,b +c,d @@`: `c..c+d-1`, or for a
/// pure deletion (`d == 0`, after line `c`) the line `c+1` below the gap.
fn hunk_lines(header: &[u8]) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(header).ok()?;
    let new = text.split(' ').find_map(|part| part.strip_prefix('+'))?;
    let (start, count) = match new.split_once(',') {
        Some((start, count)) => (start.parse::<usize>().ok()?, count.parse::<usize>().ok()?),
        None => (new.parse::<usize>().ok()?, 1),
    };
    if count == 0 {
        Some((start + 1, start + 1))
    } else {
        Some((start, start + count - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_working_tree_lines() {
        let diff = b"diff --git a/k8s/app.yaml b/k8s/app.yaml\n\
index 1..2 100644\n\
--- a/k8s/app.yaml\n\
+++ b/k8s/app.yaml\n\
@@ -3 +3 @@ kind: Pod\n\
-    image: ghcr.io/acme/nginx\n\
+    image: nginx\n\
@@ -10,0 +11,2 @@ spec:\n\
+a\n\
+b\n\
@@ -20,2 +21,0 @@\n\
-c\n\
-d\n\
diff --git a/gone.yaml b/gone.yaml\n\
deleted file mode 100644\n\
--- a/gone.yaml\n\
+++ /dev/null\n\
@@ -1 +0,0 @@\n\
-x\n\
diff --git a/new file.yaml b/new file.yaml\n\
new file mode 100644\n\
--- /dev/null\n\
+++ b/new file.yaml\t\n\
@@ -0,0 +1,3 @@\n\
+x\n";
        let files = parse_diff(diff);
        assert_eq!(
            files,
            vec![
                (
                    "k8s/app.yaml".to_owned(),
                    FileChanges {
                        all_new: false,
                        lines: vec![(3, 3), (11, 12), (22, 22)]
                    }
                ),
                (
                    "new file.yaml".to_owned(),
                    FileChanges {
                        all_new: true,
                        lines: vec![(1, 3)]
                    }
                ),
            ]
        );
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        assert_eq!(new_path(b"\"b/tab\\there\""), Some("tab\there".to_owned()));
        assert_eq!(
            new_path(b"\"b/caf\\303\\251.yaml\""),
            Some("café.yaml".to_owned())
        );
        assert_eq!(new_path(b"\"b/q\\\"uote\""), Some("q\"uote".to_owned()));
        assert_eq!(new_path(b"/dev/null"), None);
    }

    #[test]
    fn a_deletion_marks_the_line_below_it() {
        assert_eq!(hunk_lines(b"-1,2 +0,0 @@"), Some((1, 1)));
        assert_eq!(hunk_lines(b"-5 +4,0 @@"), Some((5, 5)));
        assert_eq!(hunk_lines(b"-5 +7 @@ x"), Some((7, 7)));
    }
}
