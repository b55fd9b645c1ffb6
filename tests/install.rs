//! The install story: `regmig --version` names the commit the binary was built from, the
//! build script falls back gracefully without git, the crate ships what a build needs, and
//! `regmig init --help` lists the presets from `rules/targets/`.

mod common;

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::regmig;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs git in `dir`; its trimmed stdout, or `None` when git fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let out = regmig(root(), &["--version"]);
    assert_eq!(out.code, 0);
    let expected = match build_script::commit(root()) {
        Some(commit) => format!("regmig {} ({commit})\n", env!("CARGO_PKG_VERSION")),
        None => format!("regmig {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(out.stdout, expected);
    // Subcommands print the same version.
    let check = regmig(root(), &["check", "--version"]).stdout;
    assert_eq!(check, expected.replacen("regmig", "regmig-check", 1));
    // Built from this repository's checkout, the commit is HEAD's.
    let top = git(root(), &["rev-parse", "--show-toplevel"]);
    if top.is_some_and(|t| fs::canonicalize(t).ok() == fs::canonicalize(root()).ok()) {
        let head = git(root(), &["rev-parse", "--short", "HEAD"]).unwrap();
        assert!(out.stdout.contains(&format!("({head})")), "{}", out.stdout);
    }
}

#[test]
fn the_build_script_reads_git_at_the_top_level_only() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(build_script::commit(dir.path()), None, "no git, no commit");
    git(dir.path(), &["init", "-q"]).unwrap();
    assert_eq!(build_script::commit(dir.path()), None, "no commit yet");
    fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
    git(dir.path(), &["add", "-A"]).unwrap();
    git(dir.path(), &["commit", "-q", "-m", "first"]).unwrap();
    let head = git(dir.path(), &["rev-parse", "--short", "HEAD"]).unwrap();
    assert_eq!(build_script::commit(dir.path()), Some(head));
    // A crate unpacked inside another repository does not take that repository's commit.
    let nested = dir.path().join("vendor/regmig-0.1.0");
    fs::create_dir_all(&nested).unwrap();
    assert_eq!(build_script::commit(&nested), None);
}

#[test]
fn a_packaged_crate_keeps_the_commit_it_was_packaged_from() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "3f2c9a1d0e5b7c4a9f8e6d5c4b3a29180716f5e4";
    fs::write(
        dir.path().join(".cargo_vcs_info.json"),
        format!("{{\n  \"git\": {{\n    \"sha1\": \"{sha}\"\n  }},\n  \"path_in_vcs\": \"\"\n}}"),
    )
    .unwrap();
    assert_eq!(build_script::commit(dir.path()), Some("3f2c9a1".to_owned()));
    fs::write(dir.path().join(".cargo_vcs_info.json"), "{\"git\": {}}").unwrap();
    assert_eq!(build_script::commit(dir.path()), None);
}

#[test]
fn the_crate_and_the_lockless_ci_build_carry_the_build_script() {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    let include = manifest["package"]["include"].as_array().unwrap();
    assert!(
        include.iter().any(|i| i.as_str() == Some("build.rs")),
        "Cargo.toml `include` lacks build.rs: {include:?}"
    );
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    let copy = ci
        .lines()
        .find(|l| l.starts_with("cp -r ") && l.contains("\"$scratch\""))
        .expect(".ci/run copies the sources for the build without Cargo.lock");
    assert!(copy.split_whitespace().any(|w| w == "build.rs"), "{copy}");
}

#[test]
fn init_help_lists_every_preset() {
    let out = regmig(root(), &["init", "--help"]);
    assert_eq!(out.code, 0);
    let presets = fs::read_dir(root().join("rules/targets")).unwrap();
    let mut names = Vec::new();
    for entry in presets {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        assert!(
            out.stdout.contains(&format!("- {name}:")),
            "`init --help` does not list {name}:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("owner"), "parameters are shown");
    let bad = regmig(root(), &["init", "--preset", "gchr"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("ghcr"), "{}", bad.stderr);
}
