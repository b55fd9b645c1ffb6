//! The command line as users and scripts meet it: exit codes, formats, writes, walking.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{read_tree, regmig, repo};

const TARGET: &str = "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n";

/// `path kind` of every finding in a JSON report.
fn paths_and_kinds(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["path"].as_str().unwrap(),
                f["kind"].as_str().unwrap()
            )
        })
        .collect()
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend(args);
    let out = regmig(dir, &all);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn exit_codes() {
    let clean = repo(&[("Dockerfile", "FROM ghcr.io/acme/app:1\n")]);
    assert_eq!(regmig(clean.path(), &["check"]).code, 0);
    let dirty = repo(&[("Dockerfile", "FROM nginx\n")]);
    assert_eq!(regmig(dirty.path(), &["check"]).code, 1);
    let warn = repo(&[
        ("Dockerfile", "FROM nginx\n"),
        ("regmig.toml", "[rules]\ndocker-hub = \"warning\"\n"),
    ]);
    assert_eq!(regmig(warn.path(), &["check"]).code, 0);
    let missing = regmig(clean.path(), &["check", "no/such/path"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("no/such/path"));
    assert_eq!(regmig(clean.path(), &["check", "--frobnicate"]).code, 2);
    assert_eq!(regmig(clean.path(), &["check", "--format", "xml"]).code, 2);
}

#[test]
fn invalid_config_exits_2_and_points_at_the_line() {
    let dir = repo(&[
        ("Dockerfile", "FROM nginx\n"),
        (
            "regmig.toml",
            "[target]\ntemplate = \"ghcr.io/acme/{nope}\"\n",
        ),
    ]);
    let out = regmig(dir.path(), &["fix", "--write"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("regmig.toml:2:"), "{}", out.stderr);
    assert!(out.stderr.contains("{nope}"), "{}", out.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        "FROM nginx\n"
    );
}

#[test]
fn explicit_config_file() {
    let dir = repo(&[("Dockerfile", "FROM nginx\n"), ("conf/custom.toml", TARGET)]);
    let out = regmig(dir.path(), &["fix", "--config", "conf/custom.toml"]);
    assert!(
        out.stdout.contains("+FROM ghcr.io/acme/nginx"),
        "{}",
        out.stdout
    );
    let missing = regmig(dir.path(), &["check", "--config", "nope.toml"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn config_is_discovered_in_an_ancestor() {
    let dir = repo(&[
        ("regmig.toml", TARGET),
        ("svc/a/Dockerfile", "FROM nginx\n"),
    ]);
    let out = regmig(&dir.path().join("svc/a"), &["check", "--format", "concise"]);
    assert!(
        out.stdout.contains("use `ghcr.io/acme/nginx`"),
        "{}",
        out.stdout
    );
}

#[test]
fn json_matches_the_documented_shape() {
    let text = "FROM alpine\n# é\nFROM  nginx:1.25 AS web\n";
    let dir = repo(&[("deploy/Dockerfile", text), ("regmig.toml", TARGET)]);
    let doc = json(dir.path(), &[]);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["files_scanned"], 1);
    assert_eq!(doc["summary"]["findings"], 2);
    assert_eq!(doc["summary"]["fixable"], 2);
    let f = &doc["findings"][1];
    let start = text.find("nginx").unwrap();
    assert_eq!(f["rule"], "docker-hub");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], "deploy/Dockerfile");
    assert_eq!(f["kind"], "dockerfile");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(7))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(3), Some(17))
    );
    assert_eq!(f["byte_start"].as_u64(), Some(start as u64));
    assert_eq!(f["byte_end"].as_u64(), Some(start as u64 + 10));
    assert_eq!(f["image"], "nginx:1.25");
    assert_eq!(f["canonical"], "docker.io/library/nginx:1.25");
    assert_eq!(f["fix"]["replacement"], "ghcr.io/acme/nginx:1.25");
    assert_eq!(f["fix"]["applicability"], "safe");
    assert_eq!(
        f["fix"]["edits"][0]["byte_start"].as_u64(),
        Some(start as u64)
    );
    assert_eq!(f["fix"]["edits"][0]["content"], "ghcr.io/acme/nginx:1.25");
    let no_target = repo(&[("Dockerfile", "FROM nginx\n")]);
    let doc = json(no_target.path(), &[]);
    assert!(doc["findings"][0]["fix"].is_null());
    assert_eq!(doc["summary"]["fixable"], 0);
}

#[test]
fn concise_and_human_formats() {
    let dir = repo(&[("Dockerfile", "FROM nginx:1.25\n"), ("regmig.toml", TARGET)]);
    let concise = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(
        concise.stdout,
        "Dockerfile:1:6: docker-hub: `nginx:1.25` is pulled from Docker Hub; use `ghcr.io/acme/nginx:1.25`\n"
    );
    let human = regmig(dir.path(), &["check"]);
    assert!(human.stdout.contains("Dockerfile:1:6"), "{}", human.stdout);
    assert!(human.stdout.contains("FROM nginx:1.25"), "{}", human.stdout);
    assert!(
        human.stdout.contains("→ ghcr.io/acme/nginx:1.25"),
        "{}",
        human.stdout
    );
    assert!(
        !human.stdout.contains('\x1b'),
        "no colour when not on a terminal"
    );
    assert!(human.stderr.contains("1 finding"), "{}", human.stderr);
    assert!(
        concise.stderr.is_empty(),
        "machine formats keep stderr quiet"
    );
}

#[test]
fn fix_previews_a_diff_and_write_applies_it() {
    let dir = repo(&[
        ("Dockerfile", "FROM nginx:1.25\r\nRUN true\r\nFROM redis"),
        ("regmig.toml", TARGET),
    ]);
    let preview = regmig(dir.path(), &["fix"]);
    assert_eq!(preview.code, 1);
    assert!(
        preview
            .stdout
            .starts_with("--- a/Dockerfile\n+++ b/Dockerfile\n"),
        "{}",
        preview.stdout
    );
    assert!(preview.stdout.contains("\\ No newline at end of file"));
    common::git_apply(dir.path(), &preview.stdout).unwrap();
    let applied = fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(
        applied,
        "FROM ghcr.io/acme/nginx:1.25\r\nRUN true\r\nFROM ghcr.io/acme/redis"
    );

    let fresh = repo(&[
        ("Dockerfile", "FROM nginx:1.25\r\nRUN true\r\nFROM redis"),
        ("regmig.toml", TARGET),
    ]);
    let write = regmig(fresh.path(), &["fix", "--write"]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    assert!(write.stdout.is_empty());
    assert!(
        write.stderr.contains("fixed 2 references in 1 file"),
        "{}",
        write.stderr
    );
    assert_eq!(
        fs::read_to_string(fresh.path().join("Dockerfile")).unwrap(),
        applied
    );
    let again = regmig(fresh.path(), &["fix"]);
    assert_eq!((again.code, again.stdout.as_str()), (0, ""));
}

#[test]
fn fix_write_exits_1_when_findings_stay_unfixed() {
    let dir = repo(&[("Dockerfile", "FROM nginx\n")]);
    let out = regmig(dir.path(), &["fix", "--write"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("1 error left unfixed"),
        "{}",
        out.stderr
    );
}

#[test]
fn unsafe_fixes_need_the_flag() {
    let text = "ARG BASE=python:3.12\nFROM $BASE\nRUN echo $BASE\n";
    let dir = repo(&[("Dockerfile", text), ("regmig.toml", TARGET)]);
    assert_eq!(regmig(dir.path(), &["fix", "--write"]).code, 1);
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        text
    );
    assert_eq!(regmig(dir.path(), &["fix", "--write", "--unsafe"]).code, 0);
    assert!(fs::read_to_string(dir.path().join("Dockerfile"))
        .unwrap()
        .starts_with("ARG BASE=ghcr.io/acme/python:3.12\n"));
}

#[cfg(unix)]
#[test]
fn writes_keep_permissions_and_leave_no_temporary_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo(&[("Dockerfile", "FROM nginx\n"), ("regmig.toml", TARGET)]);
    let path = dir.path().join("Dockerfile");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o754)).unwrap();
    assert_eq!(regmig(dir.path(), &["fix", "--write"]).code, 0);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o754);
    let names: Vec<String> = read_tree(dir.path()).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["Dockerfile", "regmig.toml"]);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_by_the_walk_and_resolved_when_named() {
    let dir = repo(&[("real/Dockerfile", "FROM nginx\n"), ("regmig.toml", TARGET)]);
    std::os::unix::fs::symlink("real/Dockerfile", dir.path().join("Dockerfile")).unwrap();
    let doc = json(dir.path(), &[]);
    assert_eq!(doc["summary"]["files_scanned"], 1, "the link is not walked");
    assert_eq!(
        regmig(dir.path(), &["fix", "--write", "Dockerfile"]).code,
        0
    );
    let link = dir.path().join("Dockerfile");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.path().join("real/Dockerfile")).unwrap(),
        "FROM ghcr.io/acme/nginx\n"
    );
}

#[test]
fn walk_honours_gitignore_keeps_hidden_dirs_and_skips_dot_git() {
    let dir = repo(&[
        (".gitignore", "vendor/\n"),
        ("vendor/Dockerfile", "FROM nginx\n"),
        (".devcontainer/Dockerfile", "FROM ubuntu\n"),
        (".git/Dockerfile", "FROM redis\n"),
        ("Dockerfile", "FROM alpine\n"),
    ]);
    let doc = json(dir.path(), &[]);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".devcontainer/Dockerfile", "Dockerfile"]);
}

#[test]
fn gitignore_is_honoured_outside_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
    fs::create_dir(dir.path().join("ignored")).unwrap();
    fs::write(dir.path().join("ignored/Dockerfile"), "FROM nginx\n").unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM alpine\n").unwrap();
    let doc = json(dir.path(), &["."]);
    assert_eq!(doc["summary"]["files_scanned"], 1);
}

#[test]
fn explicit_files_are_checked_whatever_their_name_but_ignore_paths_apply() {
    let dir = repo(&[
        ("build/base.txt", "# base image\nFROM nginx\n"),
        ("docs/Dockerfile", "FROM redis\n"),
        ("regmig.toml", "[ignore]\npaths = [\"docs/\"]\n"),
    ]);
    let doc = json(dir.path(), &["build/base.txt", "docs/Dockerfile"]);
    assert_eq!(doc["summary"]["files_scanned"], 1);
    assert_eq!(doc["findings"][0]["path"], "build/base.txt");
}

#[test]
fn invalid_utf8_is_a_parse_error_naming_the_offset() {
    let dir = repo::<&str>(&[]);
    fs::write(dir.path().join("Dockerfile"), b"FROM nginx\n\xff\n").unwrap();
    let out = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "Dockerfile:1:1: parse-error: invalid UTF-8 at byte 11\n"
    );
}

#[test]
fn output_order_does_not_depend_on_threads() {
    // More files than the workers may run ahead of the output (1,024), so that they wait for it.
    let mut files = Vec::new();
    for i in 0..1500 {
        files.push((
            format!("svc{:04}/Dockerfile", (i * 37) % 1500),
            format!("FROM nginx:{i}\nFROM redis:{i}\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let run = |threads: &str, format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_regmig"))
            .args(["check", "--format", format])
            .current_dir(dir.path())
            .env("REGMIG_THREADS", threads)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let one = run("1", "concise");
    assert_eq!(one.lines().count(), 3000);
    assert_eq!(one, run("4", "concise"));
    let mut sorted: Vec<&str> = one.lines().collect();
    sorted.sort_by_key(|l| l.split(':').next().unwrap().to_owned());
    assert_eq!(sorted, one.lines().collect::<Vec<_>>());
    // JSON is read while the walk goes on, and put in order at its end: the same order.
    let json = run("1", "json");
    assert_eq!(json, run("4", "json"));
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let json_paths: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let concise_paths: Vec<&str> = one.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(json_paths, concise_paths);
}

#[test]
fn closed_stdout_exits_quietly() {
    let mut files = Vec::new();
    for i in 0..300 {
        files.push((format!("d{i}/Dockerfile"), "FROM nginx\n".to_owned()));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let mut child = Command::new(env!("CARGO_BIN_EXE_regmig"))
        .args(["check", "--format", "concise"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rules_lists_and_explains() {
    let dir = repo::<&str>(&[]);
    let list = regmig(dir.path(), &["rules"]);
    assert_eq!(list.code, 0);
    for id in [
        "docker-hub",
        "legacy-k8s-registry",
        "mapped-image",
        "parse-error",
    ] {
        assert!(list.stdout.contains(id), "{id}");
    }
    let one = regmig(dir.path(), &["rules", "docker-hub"]);
    assert!(one.stdout.contains("toomanyrequests"));
    assert_eq!(regmig(dir.path(), &["rules", "nope"]).code, 2);
}

#[test]
fn files_are_classified_by_name_and_chart() {
    let dir = repo(&[
        ("Dockerfile", "FROM nginx\n"),
        (
            "k8s/pod.yaml",
            "apiVersion: v1\nkind: Pod\nspec: {containers: [{image: nginx}]}\n",
        ),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        ),
        ("chart/values.yaml", "image: nginx\n"),
        ("chart/values-dev.yml", "image: nginx\n"),
        ("chart/templates/pod.yaml", "image: nginx\n"),
        ("values.yaml", "image: nginx:1\n"),
        ("kustomization.yml", "images: [{name: nginx}]\n"),
        ("Kustomization", "images: [{name: nginx}]\n"),
        ("compose.yaml", "services: {web: {image: nginx}}\n"),
        (
            "docker-compose.prod.yml",
            "services: {web: {image: nginx}}\n",
        ),
        (
            ".github/workflows/ci.yaml",
            "jobs: {t: {container: nginx}}\n",
        ),
        ("action.yml", "runs: {image: 'docker://nginx'}\n"),
        (".gitlab-ci.yml", "image: nginx\n"),
        ("ci/deploy.gitlab-ci.yml", "image: nginx\n"),
        ("notes.txt", "image: nginx\n"),
    ]);
    let doc = json(dir.path(), &[]);
    let kinds = paths_and_kinds(&doc);
    assert_eq!(
        kinds,
        [
            ".github/workflows/ci.yaml github-actions",
            ".gitlab-ci.yml gitlab-ci",
            "Dockerfile dockerfile",
            "Kustomization kustomize",
            "action.yml github-actions",
            "chart/templates/pod.yaml helm-template",
            "chart/values-dev.yml helm-values",
            "chart/values.yaml helm-values",
            "ci/deploy.gitlab-ci.yml gitlab-ci",
            "compose.yaml compose",
            "docker-compose.prod.yml compose",
            "k8s/pod.yaml kubernetes",
            "kustomization.yml kustomize",
            "values.yaml kubernetes",
        ]
    );
    assert_eq!(
        doc["summary"]["files_scanned"], 15,
        "Chart.yaml is scanned too"
    );
}

#[test]
fn init_writes_a_config_that_loads_and_never_overwrites() {
    let dir = repo(&[("Dockerfile", "FROM nginx:1.27\n")]);
    let missing = regmig(dir.path(), &["init", "--preset", "ghcr"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("--set owner="),
        "{}",
        missing.stderr
    );
    let made = regmig(
        dir.path(),
        &["init", "--preset", "ghcr", "--set", "owner=acme"],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let text = fs::read_to_string(dir.path().join("regmig.toml")).unwrap();
    assert!(text.contains("preset = \"ghcr\"") && text.contains("# [[map]]"));
    let fix = regmig(dir.path(), &["fix"]);
    assert!(
        fix.stdout.contains("+FROM ghcr.io/acme/nginx:1.27"),
        "{}",
        fix.stdout
    );
    let again = regmig(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert_eq!(
        fs::read_to_string(dir.path().join("regmig.toml")).unwrap(),
        text
    );
    let bare = repo::<&str>(&[]);
    assert_eq!(regmig(bare.path(), &["init"]).code, 0);
    assert_eq!(
        regmig(bare.path(), &["check"]).code,
        0,
        "the commented starter loads"
    );
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let dir = repo::<&str>(&[]);
    for shell in ["bash", "zsh", "fish"] {
        let out = regmig(dir.path(), &["completions", shell]);
        assert_eq!(out.code, 0);
        for word in ["check", "fix", "images", "format"] {
            assert!(out.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    let man = regmig(dir.path(), &["man"]);
    assert!(man.stdout.contains(".TH regmig 1") && man.stdout.contains("images"));
}

#[test]
fn terraform_files_are_classified() {
    let dir = repo(&[
        (
            "main.tf",
            "resource \"docker_image\" \"x\" {\n  name = \"nginx\"\n}\n",
        ),
        ("prod.tfvars", "app_image = \"nginx\"\n"),
        ("main.tf.json", "{\"locals\": {\"app_image\": \"nginx\"}}\n"),
    ]);
    let doc = json(dir.path(), &[]);
    let found = paths_and_kinds(&doc);
    assert_eq!(
        found,
        [
            "main.tf terraform",
            "main.tf.json terraform",
            "prod.tfvars terraform"
        ]
    );
}
