//! Walk stage: directories walked with `ignore` (gitignore honoured, hidden files kept, `.git`
//! never entered), explicit files taken as given, each classified into a [`FileKind`].

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::WalkBuilder;

/// The format family of a file, which decides its extractor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Dockerfile,
    /// Any other YAML: Kubernetes manifests, CRDs, Tekton, Argo, app configs.
    Kubernetes,
    /// `values*.yaml` in a Helm chart.
    HelmValues,
    /// A file under a chart's `templates/` (not YAML until rendered).
    HelmTemplate,
    /// A chart's `Chart.yaml` (Artifact Hub image annotations).
    HelmChart,
    Kustomize,
    Compose,
    GithubActions,
    GitlabCi,
    /// `*.tf`
    Terraform,
    /// `*.tfvars`
    TerraformVars,
    /// `*.tf.json`, `*.tfvars.json`
    TerraformJson,
    /// Shell scripts (`*.sh`, a `sh`/`bash` shebang) and `Jenkinsfile`.
    Shell,
    /// `Makefile`, `GNUmakefile`, `*.mk`.
    Makefile,
    /// `.env`, `*.env`, `.env.*`.
    Env,
    /// `*.md`, `*.mdx`: fenced code blocks.
    Markdown,
    /// Other `*.json` and `*.ipynb`.
    Json,
    /// Any other text file: searched only for references a `[[map]]` names.
    Text,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "dockerfile",
            FileKind::Kubernetes => "kubernetes",
            FileKind::HelmValues => "helm-values",
            FileKind::HelmTemplate => "helm-template",
            FileKind::HelmChart => "helm-chart",
            FileKind::Kustomize => "kustomize",
            FileKind::Compose => "compose",
            FileKind::GithubActions => "github-actions",
            FileKind::GitlabCi => "gitlab-ci",
            FileKind::Terraform | FileKind::TerraformVars | FileKind::TerraformJson => "terraform",
            FileKind::Shell => "shell",
            FileKind::Makefile => "makefile",
            FileKind::Env => "env",
            FileKind::Markdown => "markdown",
            FileKind::Json => "json",
            FileKind::Text => "text",
        }
    }

    /// Whether `#` comments may follow a value on the same line.
    pub fn has_trailing_comments(self) -> bool {
        self != FileKind::Dockerfile
    }
}

/// A file to scan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub kind: FileKind,
}

#[derive(Debug)]
pub enum WalkError {
    /// A path named on the command line does not exist or cannot be read.
    Unreadable(PathBuf, std::io::Error),
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::Unreadable(path, err) => {
                write!(f, "cannot read {}: {err}", path.display())
            }
        }
    }
}

/// Decides whether a path is excluded by the user's `[ignore].paths`, and whether files of no
/// known kind are searched at all.
pub trait PathFilter: Sync {
    fn is_ignored(&self, path: &Path, is_dir: bool) -> bool;

    /// Every text file is searched (for references a `[[map]]` names), not only known kinds.
    fn searches_all_text(&self) -> bool {
        false
    }

    /// The run was interrupted: the walk stops where it is.
    fn stops(&self) -> bool {
        false
    }
}

/// Collects every file to scan under `paths`, sorted by path.
pub fn collect(paths: &[PathBuf], filter: &dyn PathFilter) -> Result<Vec<Candidate>, WalkError> {
    visit(paths, filter, 0, &|_| ())
}

/// [`collect`] with `threads` walker threads (0: one per core), handing each file to scan to
/// `meet` as the walk meets it (in no order), so that files can be processed while the walk
/// goes on.
pub fn visit(
    paths: &[PathBuf],
    filter: &dyn PathFilter,
    threads: usize,
    meet: &(dyn Fn(&Candidate) + Sync),
) -> Result<Vec<Candidate>, WalkError> {
    let mut found = Vec::new();
    let mut dirs = Vec::new();
    // Targets of symbolic links named on the command line: each file is edited once, however
    // many names it is given.
    let mut link_targets = HashSet::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| WalkError::Unreadable(path.clone(), e))?;
        if meta.is_dir() {
            dirs.push(path.clone());
        } else if meta.is_file() && !filter.is_ignored(path, false) {
            if is_symlink(path) {
                let target = std::fs::canonicalize(path)
                    .map_err(|e| WalkError::Unreadable(path.clone(), e))?;
                if !link_targets.insert(target) {
                    continue;
                }
            }
            if let Some(kind) = classify_explicit(path, filter) {
                let candidate = Candidate {
                    path: path.clone(),
                    kind,
                };
                meet(&candidate);
                found.push(candidate);
            }
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        found.extend(walk_dirs(first, rest, filter, threads, meet)?);
    }
    if !link_targets.is_empty() {
        found.retain(|c| {
            is_symlink(&c.path)
                || std::fs::canonicalize(&c.path).map_or(true, |p| !link_targets.contains(&p))
        });
    }
    // Path order compares component by component, which costs a parse per comparison: the
    // same order, with a separator that sorts before every other byte, compares bytes.
    found.sort_by_cached_key(|c| (order_key(&c.path), c.kind));
    found.dedup();
    Ok(found)
}

/// A key that orders paths as `Path`'s own ordering does: components joined by a NUL byte.
fn order_key(path: &Path) -> Vec<u8> {
    let mut key = Vec::with_capacity(path.as_os_str().len());
    for (i, component) in path.components().enumerate() {
        if i > 0 {
            key.push(0);
        }
        key.extend_from_slice(component.as_os_str().as_encoded_bytes());
    }
    key
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn walk_dirs(
    first: &Path,
    rest: &[PathBuf],
    filter: &dyn PathFilter,
    threads: usize,
    meet: &(dyn Fn(&Candidate) + Sync),
) -> Result<Vec<Candidate>, WalkError> {
    let mut builder = WalkBuilder::new(first);
    for dir in rest {
        builder.add(dir);
    }
    builder
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    let found = Mutex::new(Vec::new());
    let classifier = Classifier::default();
    let all_text = filter.searches_all_text();
    // A directory the walk cannot list may hide references: the run fails, naming it.
    let unreadable: Mutex<Option<WalkError>> = Mutex::new(None);
    builder.build_parallel().run(|| {
        // Each walker thread collects on its own and hands its list over once, when done.
        let mut local = Collected {
            shared: &found,
            files: Vec::new(),
        };
        let unreadable = &unreadable;
        let classifier = &classifier;
        Box::new(move |entry| {
            use ignore::WalkState;
            if filter.stops() {
                return WalkState::Quit;
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    if let Some(failure) = unreadable_dir(&error) {
                        unreadable.lock().unwrap().get_or_insert(failure);
                        return WalkState::Quit;
                    }
                    return WalkState::Continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                return WalkState::Continue;
            };
            if filter.is_ignored(entry.path(), file_type.is_dir()) {
                return if file_type.is_dir() {
                    WalkState::Skip
                } else {
                    WalkState::Continue
                };
            }
            if file_type.is_file() {
                let kind = classifier
                    .classify(entry.path())
                    .or_else(|| unclassified(entry.path(), all_text));
                if let Some(kind) = kind {
                    let candidate = Candidate {
                        path: entry.into_path(),
                        kind,
                    };
                    meet(&candidate);
                    local.files.push(candidate);
                }
            }
            WalkState::Continue
        })
    });
    if let Some(failure) = unreadable.into_inner().unwrap() {
        return Err(failure);
    }
    Ok(found.into_inner().unwrap())
}

/// A directory that exists but cannot be listed (permissions, I/O); a path that vanished during
/// the walk, or a broken `.gitignore` line, is not a reason to stop.
fn unreadable_dir(error: &ignore::Error) -> Option<WalkError> {
    let mut error = error;
    let mut path = None;
    loop {
        match error {
            ignore::Error::WithPath { path: p, err } => {
                path = Some(p.clone());
                error = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                error = err;
            }
            ignore::Error::Io(io) if io.kind() != std::io::ErrorKind::NotFound => {
                let path = path?;
                let copy = std::io::Error::new(io.kind(), io.to_string());
                return Some(WalkError::Unreadable(path, copy));
            }
            _ => return None,
        }
    }
}

/// One walker thread's files, moved into the shared list when the thread's visitor is dropped.
struct Collected<'a> {
    shared: &'a Mutex<Vec<Candidate>>,
    files: Vec<Candidate>,
}

impl Drop for Collected<'_> {
    fn drop(&mut self) {
        if let Ok(mut shared) = self.shared.lock() {
            shared.append(&mut self.files);
        }
    }
}

/// Classifies a file met during a walk by its name, and for Helm files by the chart around it.
/// Without a shared [`Classifier`], chart lookups are not cached.
pub fn classify(path: &Path) -> Option<FileKind> {
    Classifier::default().classify(path)
}

/// Classifies files by name, remembering which directories belong to a Helm chart so that a
/// walk stats each directory's `Chart.yaml` once, whatever the number of files in it.
#[derive(Default)]
pub struct Classifier {
    /// Directory → whether it or an ancestor (up to the repository root) holds `Chart.yaml`.
    /// Keyed by the path's bytes: the walk spells a directory the same way every time, and
    /// `Path` hashes component by component.
    in_chart: Mutex<std::collections::HashMap<OsString, bool>>,
    /// Directory → whether it holds `Chart.yaml`.
    holds_chart: Mutex<std::collections::HashMap<OsString, bool>>,
}

impl Classifier {
    pub fn classify(&self, path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        if is_dockerfile_name(name) {
            return Some(FileKind::Dockerfile);
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf.json") || lower.ends_with(".tfvars.json") {
            return Some(FileKind::TerraformJson);
        }
        if lower.ends_with(".tf") {
            return Some(FileKind::Terraform);
        }
        if lower.ends_with(".tfvars") {
            return Some(FileKind::TerraformVars);
        }
        if let Some(kind) = classify_text(name, &lower) {
            return Some(kind);
        }
        if name == "Chart.lock" || name == "requirements.lock" {
            return Some(FileKind::HelmChart);
        }
        if is_templated_yaml_name(&lower) {
            return Some(FileKind::HelmTemplate);
        }
        let stem = lower
            .strip_suffix(".yaml")
            .or_else(|| lower.strip_suffix(".yml"));
        if name == "Kustomization" || stem == Some("kustomization") {
            return Some(FileKind::Kustomize);
        }
        // `NOTES.txt` prints commands and images to the installer: read like the templates.
        let template_file = stem.is_some() || lower.ends_with(".tpl") || lower.ends_with(".txt");
        if template_file && self.in_chart_templates(path) {
            return Some(FileKind::HelmTemplate);
        }
        let stem = stem?;
        let parent = |n: usize| {
            path.ancestors()
                .nth(n)
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
        };
        let kind = if stem == ".gitlab-ci" || stem.ends_with(".gitlab-ci") {
            FileKind::GitlabCi
        } else if stem.starts_with("compose") || stem.starts_with("docker-compose") {
            FileKind::Compose
        } else if stem == "action"
            || (mentions(path, "workflows")
                && parent(1) == Some("workflows")
                && parent(2) == Some(".github"))
        {
            FileKind::GithubActions
        } else if name == "Chart.yaml" {
            FileKind::HelmChart
        } else if path.parent().is_some_and(|dir| self.in_chart(dir)) {
            // Any YAML of a chart outside `templates/` is values-like: `values-prod.yaml`,
            // `ci/*.yaml`, environment overrides such as `conf/dev/app.yaml`.
            FileKind::HelmValues
        } else {
            FileKind::Kubernetes
        };
        Some(kind)
    }

    /// Whether `dir` or one of its ancestors, up to the repository root, holds `Chart.yaml`.
    fn in_chart(&self, dir: &Path) -> bool {
        if let Some(&known) = self.in_chart.lock().unwrap().get(dir.as_os_str()) {
            return known;
        }
        let found = if self.holds_chart(dir) {
            true
        } else if dir.as_os_str().is_empty() || dir.join(".git").exists() {
            false
        } else {
            match dir.parent() {
                Some(parent) => self.in_chart(parent),
                // `.` and other relative roots: the ancestors are the working directory's.
                None => false,
            }
        };
        self.in_chart
            .lock()
            .unwrap()
            .insert(dir.as_os_str().to_owned(), found);
        found
    }

    /// Under a `templates/` directory that sits beside a `Chart.yaml`.
    fn in_chart_templates(&self, path: &Path) -> bool {
        // Most paths do not mention `templates` at all, and need no walk up their components.
        if !mentions(path, "templates") {
            return false;
        }
        path.ancestors().skip(1).any(|dir| {
            dir.file_name() == Some("templates".as_ref())
                && dir.parent().is_some_and(|chart| self.holds_chart(chart))
        })
    }

    /// Whether `dir` itself holds `Chart.yaml`, looked up once per directory.
    fn holds_chart(&self, dir: &Path) -> bool {
        if let Some(&known) = self.holds_chart.lock().unwrap().get(dir.as_os_str()) {
            return known;
        }
        let found = dir.join("Chart.yaml").is_file();
        self.holds_chart
            .lock()
            .unwrap()
            .insert(dir.as_os_str().to_owned(), found);
        found
    }
}

/// Whether `word` occurs anywhere in `path`: a cheap test before walking its components.
fn mentions(path: &Path, word: &str) -> bool {
    memchr::memmem::find(path.as_os_str().as_encoded_bytes(), word.as_bytes()).is_some()
}

/// A file of no known kind: searched as text when every text file is, and otherwise only when
/// its name has no extension, since it may be a script with a shebang (decided once it is read).
fn unclassified(path: &Path, all_text: bool) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    // regmig's own config names the sources it maps: it is never a file to convert.
    if crate::config::FILE_NAMES.contains(&name) {
        return None;
    }
    let extensionless = !name.contains('.');
    (all_text || extensionless).then_some(FileKind::Text)
}

/// YAML written through a template engine, read line by line: `*.yaml.in`, `*.yaml.j2`,
/// `*.ftl.yaml`, `*.yaml.tpl`, `*.tmpl`, `*.gotmpl`.
fn is_templated_yaml_name(lower: &str) -> bool {
    const ENGINES: [&str; 7] = [
        ".in", ".j2", ".jinja", ".jinja2", ".tpl", ".tmpl", ".gotmpl",
    ];
    if lower.ends_with(".tmpl") || lower.ends_with(".gotmpl") {
        return true;
    }
    let yaml_then_engine = ENGINES.iter().any(|engine| {
        lower
            .strip_suffix(engine)
            .is_some_and(|rest| rest.ends_with(".yaml") || rest.ends_with(".yml"))
    });
    yaml_then_engine || lower.ends_with(".ftl.yaml") || lower.ends_with(".ftl.yml")
}

/// Scripts, Makefiles, env files, docs and JSON, by name alone.
fn classify_text(name: &str, lower: &str) -> Option<FileKind> {
    let extension = lower.rsplit_once('.').map(|(_, e)| e);
    let kind = if matches!(extension, Some("sh" | "bash" | "bats" | "zsh")) || name == "Jenkinsfile"
    {
        FileKind::Shell
    } else if matches!(name, "Makefile" | "makefile" | "GNUmakefile") || extension == Some("mk") {
        FileKind::Makefile
    } else if lower == ".env" || lower.starts_with(".env.") || extension == Some("env") {
        FileKind::Env
    } else if matches!(extension, Some("md" | "mdx")) {
        FileKind::Markdown
    } else if matches!(extension, Some("json" | "ipynb")) {
        FileKind::Json
    } else {
        return None;
    };
    Some(kind)
}

/// Classifies a file named on the command line: by name, then by content (documentation
/// such as `Dockerfile.md` stays out, whatever it quotes).
fn classify_explicit(path: &Path, filter: &dyn PathFilter) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".dockerignore") {
        return None;
    }
    classify(path)
        .or_else(|| sniff(path))
        .or_else(|| unclassified(path, filter.searches_all_text()))
}

/// A file whose first instruction is `FROM` (or `ARG`, then `FROM`) is a Dockerfile.
fn sniff(path: &Path) -> Option<FileKind> {
    let text = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&text[..text.len().min(64 * 1024)]).into_owned();
    let first_instruction = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let keyword = first_instruction.split_whitespace().next()?;
    (keyword.eq_ignore_ascii_case("FROM") || keyword.eq_ignore_ascii_case("ARG"))
        .then_some(FileKind::Dockerfile)
}

/// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `*.dockerfile`, `Containerfile*`.
fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") || lower.ends_with(".md") {
        return false;
    }
    let stem_match = |stem: &str| {
        lower
            .strip_prefix(stem)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    stem_match("dockerfile") || lower.ends_with(".dockerfile") || name.starts_with("Containerfile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_sort_like_paths() {
        let mut paths: Vec<PathBuf> = ["a-b/c", "a/b", "a/b/c", "a.b", "./a/z", "a/b-c", "b", "a/"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let mut by_key = paths.clone();
        paths.sort();
        by_key.sort_by_cached_key(|p| order_key(p));
        assert_eq!(paths, by_key);
    }

    #[test]
    fn dockerfile_names() {
        for name in [
            "Dockerfile",
            "dockerfile",
            "Dockerfile.dev",
            "api.Dockerfile",
            "api.dockerfile",
            "Containerfile",
            "Containerfile.build",
        ] {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in [
            "Dockerfile.dockerignore",
            "Dockerfile.md",
            "Dockerfiles",
            "mydockerfile",
            "README",
            ".dockerignore",
        ] {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }
}
