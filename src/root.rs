//! Walk-stage helper: the repository root. CI-facing reports (SARIF, GitHub annotations,
//! GitLab Code Quality) name files relative to it, because code scanning, annotations and
//! merge-request widgets resolve paths against the checkout's root, not the directory regmig
//! happened to run in.

use std::path::{Path, PathBuf};

use crate::config::absolutize;
use crate::source::SourceFile;

/// The directory report paths are made relative to, found once per run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoRoot {
    dir: PathBuf,
}

impl RepoRoot {
    /// The git top level holding `anchor` (a directory holding `.git`, as a worktree or
    /// submodule has a `.git` file), else the config file's directory, else the current
    /// directory. `anchor` is the first scanned path, the same start as config discovery.
    pub fn discover(anchor: &Path, config_file: Option<&Path>) -> RepoRoot {
        let anchor = absolutize(anchor);
        let git_top = anchor
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf);
        let config_dir = || {
            config_file
                .map(absolutize)
                .and_then(|file| file.parent().map(Path::to_path_buf))
        };
        let dir = git_top
            .or_else(config_dir)
            .unwrap_or_else(|| absolutize(Path::new(".")));
        RepoRoot { dir }
    }

    pub fn at(dir: &Path) -> RepoRoot {
        RepoRoot {
            dir: absolutize(dir),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file's path relative to the root, `/`-separated; a file outside the root keeps
    /// the path reports show anyway.
    pub fn relative(&self, file: &SourceFile) -> String {
        match absolutize(&file.path).strip_prefix(&self.dir) {
            Ok(inside) if !inside.as_os_str().is_empty() => crate::display_path(inside),
            _ => file.display.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &Path) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            display: crate::display_path(path),
            text: String::new(),
        }
    }

    #[test]
    fn git_top_level_beats_the_config_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("db-manager/deploy");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let config = dir.path().join("db-manager/regmig.toml");
        let root = RepoRoot::discover(&sub, Some(&config));
        assert_eq!(root.dir(), dir.path());
        let file = source(&sub.join("Dockerfile"));
        assert_eq!(root.relative(&file), "db-manager/deploy/Dockerfile");
    }

    #[test]
    fn without_git_the_config_directory_is_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let root = RepoRoot::discover(&sub, Some(&dir.path().join("a/regmig.toml")));
        assert_eq!(root.dir(), dir.path().join("a"));
        assert_eq!(root.relative(&source(&sub.join("x.yaml"))), "b/x.yaml");
    }

    #[test]
    fn a_file_outside_the_root_keeps_its_display_path() {
        let root = RepoRoot::at(Path::new("/nonexistent/repo"));
        let file = source(Path::new("/elsewhere/Dockerfile"));
        assert_eq!(root.relative(&file), "/elsewhere/Dockerfile");
    }
}
