//! `check --new-since REF` on real git repositories built here with the `git` CLI: only
//! findings on lines added or changed since REF (committed, staged, unstaged or untracked),
//! renames followed, parse errors of changed files kept, a bad REF is a usage error.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::regmig;
use serde_json::Value;

/// Runs git in `dir` with no user or system configuration, so the machine's settings cannot
/// change what the test sees.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=regmig",
            "-c",
            "user.email=regmig@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

const DOCKERFILE: &str = "\
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /app ./cmd/app

FROM alpine:3.20
COPY --from=build /app /app
ENTRYPOINT [\"/app\"]
";

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:1.25
    - name: cache
      image: redis:7
";

/// A repository with two files full of Docker Hub references, committed and tagged `base`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "build/Dockerfile", DOCKERFILE);
    write(dir.path(), "deploy/pod.yaml", POD);
    commit(dir.path(), "base");
    git(dir.path(), &["tag", "base"]);
    dir
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// `path:line image` of every finding `check --new-since REF --format json` reports, and the
/// exit code.
fn new_findings(dir: &Path, args: &[&str]) -> (i32, Vec<String>) {
    let mut all = vec!["check", "--format", "json", "--new-since"];
    all.extend(args);
    let out = regmig(dir, &all);
    assert_ne!(out.code, 2, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let found = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let image = f["image"].as_str().unwrap();
            let what = if image.is_empty() {
                f["rule"].as_str().unwrap()
            } else {
                image
            };
            format!("{}:{} {what}", f["path"].as_str().unwrap(), f["line"])
        })
        .collect();
    (out.code, found)
}

#[test]
fn nothing_changed_means_nothing_reported_and_exit_0() {
    let dir = repository();
    let (code, found) = new_findings(dir.path(), &["base"]);
    assert_eq!((code, found), (0, vec![]));
    // Without the flag every finding is there.
    assert_eq!(regmig(dir.path(), &["check"]).code, 1);
}

#[test]
fn an_edited_line_is_reported_and_untouched_lines_are_not() {
    let dir = repository();
    write(
        dir.path(),
        "deploy/pod.yaml",
        &POD.replace("redis:7", "redis:7.2"),
    );
    write(
        dir.path(),
        "build/Dockerfile",
        &format!("{DOCKERFILE}\nFROM busybox:1.36\n"),
    );
    let (code, found) = new_findings(dir.path(), &["base"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "build/Dockerfile:10 busybox:1.36",
            "deploy/pod.yaml:10 redis:7.2"
        ]
    );
    // The same once committed: a pull request's branch against its base.
    commit(dir.path(), "bump");
    let (_, committed) = new_findings(dir.path(), &["base"]);
    assert_eq!(committed, found);
    let out = regmig(dir.path(), &["check", "--new-since", "base"]);
    assert!(
        out.stderr
            .contains("3 older findings on lines unchanged since base not shown"),
        "{}",
        out.stderr
    );
}

#[test]
fn new_files_count_whole_whether_staged_or_untracked() {
    let dir = repository();
    write(
        dir.path(),
        "staged/compose.yaml",
        "services:\n  db:\n    image: postgres:16\n",
    );
    git(dir.path(), &["add", "staged/compose.yaml"]);
    write(dir.path(), "untracked/Dockerfile", "FROM python:3.12\n");
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), "ignored/Dockerfile", "FROM ruby:3\n");
    let (code, found) = new_findings(dir.path(), &["base"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "staged/compose.yaml:3 postgres:16",
            "untracked/Dockerfile:1 python:3.12"
        ]
    );
}

#[test]
fn a_renamed_file_reports_only_its_changed_lines() {
    let dir = repository();
    fs::create_dir(dir.path().join("images")).unwrap();
    git(
        dir.path(),
        &["mv", "build/Dockerfile", "images/app.Dockerfile"],
    );
    let (code, found) = new_findings(dir.path(), &["base"]);
    assert_eq!((code, found), (0, vec![]), "a pure rename adds nothing");
    let renamed = dir.path().join("images/app.Dockerfile");
    let edited = DOCKERFILE.replace("alpine:3.20", "alpine:3.21");
    fs::write(&renamed, edited).unwrap();
    commit(dir.path(), "move and bump");
    let (_, found) = new_findings(dir.path(), &["base"]);
    assert_eq!(found, ["images/app.Dockerfile:6 alpine:3.21"]);
}

#[test]
fn a_parse_error_in_a_changed_file_counts_wherever_it_is() {
    let dir = repository();
    let broken = POD.replace("  name: web\n", "  name: web\n  labels: [app\n");
    write(dir.path(), "deploy/broken.yaml", &broken);
    commit(dir.path(), "broken file");
    git(dir.path(), &["tag", "broken"]);
    // Untouched since `broken`: its parse error is old.
    let (code, found) = new_findings(dir.path(), &["broken"]);
    assert_eq!((code, found), (0, vec![]));
    // An edit far from the error makes the file's parse error count again.
    write(
        dir.path(),
        "deploy/broken.yaml",
        &broken.replace("name: cache", "name: cache-v2"),
    );
    let (code, found) = new_findings(dir.path(), &["broken"]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("deploy/broken.yaml:") && found[0].ends_with("parse-error"));
}

#[test]
fn removing_a_suppression_reports_the_line_below_it() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let suppressed = "FROM alpine:3.20 AS tools\n# regmig: ignore\nFROM nginx:1.25\n";
    write(dir.path(), "Dockerfile", suppressed);
    commit(dir.path(), "base");
    write(
        dir.path(),
        "Dockerfile",
        &suppressed.replace("# regmig: ignore\n", ""),
    );
    let (code, found) = new_findings(dir.path(), &["HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["Dockerfile:2 nginx:1.25"],
        "the line above stays old"
    );
}

#[test]
fn a_subdirectory_and_explicit_paths_use_the_same_repository() {
    let dir = repository();
    write(
        dir.path(),
        "deploy/pod.yaml",
        &POD.replace("nginx:1.25", "nginx:1.27"),
    );
    let (_, found) = new_findings(&dir.path().join("deploy"), &["base"]);
    assert_eq!(found, ["pod.yaml:8 nginx:1.27"]);
    let (_, found) = new_findings(&dir.path().join("build"), &["base", "../deploy/pod.yaml"]);
    assert_eq!(found, ["../deploy/pod.yaml:8 nginx:1.27"]);
}

#[test]
fn gitlab_fingerprints_do_not_depend_on_the_filter() {
    let dir = repository();
    // Two identical references; only the second one is new.
    write(
        dir.path(),
        "deploy/pod.yaml",
        &format!("{POD}    - name: web2\n      image: nginx:1.25\n"),
    );
    let gitlab = |args: &[&str]| -> Vec<(u64, String)> {
        let mut all = vec!["check", "--format", "gitlab"];
        all.extend(args);
        let doc: Value = serde_json::from_str(&regmig(dir.path(), &all).stdout).unwrap();
        doc.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["location"]["lines"]["begin"].as_u64().unwrap(),
                    e["fingerprint"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let everything = gitlab(&[]);
    let new = gitlab(&["--new-since", "base"]);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].0, 12);
    assert!(everything.contains(&new[0]), "{everything:?} vs {new:?}");
}

#[test]
fn a_missing_revision_is_a_usage_error() {
    let dir = repository();
    let out = regmig(dir.path(), &["check", "--new-since", "origin/nope"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`origin/nope` is not a commit"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.is_empty(),
        "nothing half-written: {}",
        out.stdout
    );
    let out = regmig(dir.path(), &["check", "--new-since", "--format"]);
    assert_eq!(out.code, 2);
    let out = regmig(dir.path(), &["check", "--new-since=-x"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not a git revision"), "{}", out.stderr);
}

#[test]
fn outside_a_git_repository_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM nginx\n");
    let out = regmig(dir.path(), &["check", "--new-since", "main"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("needs a git repository"),
        "{}",
        out.stderr
    );
}

#[test]
fn without_git_installed_it_says_so() {
    let dir = repository();
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_regmig"))
        .args(["check", "--new-since", "base"])
        .current_dir(dir.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("runs git, which failed to start"),
        "{stderr}"
    );
}
