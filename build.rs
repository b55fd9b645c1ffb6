//! Build script: records the git commit regmig is built from, for `regmig --version`. Builds
//! without git (a crate tarball, a copied tree) still succeed, with the version alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let suffix = commit(&dir).map_or_else(String::new, |c| format!(" ({c})"));
    println!("cargo:rustc-env=REGMIG_COMMIT_SUFFIX={suffix}");
    println!("cargo:rerun-if-changed=build.rs");
    for path in git_state_files(&dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// The short commit of the tree at `dir`: from git when `dir` is the top level of a work
/// tree, else from the `.cargo_vcs_info.json` that `cargo package` puts in a crate tarball.
pub fn commit(dir: &Path) -> Option<String> {
    git_commit(dir).or_else(|| packaged_commit(dir))
}

fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    // A tarball unpacked inside some other repository must not take that repository's commit.
    if canonical(Path::new(&top)) != canonical(dir) {
        return None;
    }
    git(dir, &["rev-parse", "--short", "HEAD"])
}

/// `{"git": {"sha1": "…"}, …}`, read without a JSON parser to keep the build dependency-free.
fn packaged_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let value = text.split("\"sha1\"").nth(1)?.split('"').nth(1)?;
    let hex = value.len() >= 7 && value.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| value[..7].to_owned())
}

/// The files a commit or a checkout rewrites: `HEAD`, the branch it points to, `packed-refs`.
/// Only existing files are named, since cargo reruns the script on every build for a
/// missing one.
fn git_state_files(dir: &Path) -> Vec<PathBuf> {
    if git_commit(dir).is_none() {
        return Vec::new();
    }
    let mut names = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    names.extend(git(dir, &["rev-parse", "--symbolic-full-name", "HEAD"]).filter(|r| r != "HEAD"));
    names
        .iter()
        .filter_map(|name| git(dir, &["rev-parse", "--git-path", name]))
        .map(|path| dir.join(path))
        .filter(|path| path.is_file())
        .collect()
}

/// Runs git in `dir` and returns its trimmed output; `None` if git is missing or fails. The
/// environment of an enclosing git command (a hook) must not redirect it to another repository.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}
