//! Runs every fixture case `fixtures/<kind>/<case>/`:
//! - `check --format concise` on `before/` prints exactly `check.txt`;
//! - `fix --write` turns `before/` into exactly `after/`;
//! - the diff printed by `fix` applies with `git apply` and gives the same tree;
//! - fixing `after/` again changes nothing, and `check` finds nothing fixable in it.
//!
//! A case may hold `regmig.toml` (copied to the tree's root) and `args.txt` (extra arguments
//! for `fix`, such as `--unsafe`). `REGMIG_BLESS=1` rewrites `check.txt` and `after/` from the
//! current behaviour; review the resulting diff before committing it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_tree, read_tree, regmig};

const CONFIG: &str = "regmig.toml";

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for kind in fs::read_dir(&root).unwrap() {
        let kind = kind.unwrap().path();
        if !kind.is_dir() {
            continue;
        }
        for case in fs::read_dir(&kind).unwrap() {
            let case = case.unwrap().path();
            if case.join("before").is_dir() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    cases
}

/// A scratch copy of `tree` with the case's config at its root and a `.git` marker so config
/// discovery stops there.
fn stage(case: &Path, tree: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(tree, dir.path());
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    if case.join(CONFIG).exists() {
        fs::copy(case.join(CONFIG), dir.path().join(CONFIG)).unwrap();
    }
    dir
}

fn fix_args(case: &Path) -> Vec<String> {
    fs::read_to_string(case.join("args.txt"))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The tree's files except the ones the harness adds.
fn tree_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    read_tree(dir)
        .into_iter()
        .filter(|(p, _)| p != CONFIG && !p.starts_with(".git/"))
        .collect()
}

/// Runs one case; returns how many changed YAML files the independent parser compared.
fn run_case(case: &Path, bless: bool) -> Result<usize, String> {
    let before = case.join("before");
    let args = fix_args(case);

    let work = stage(case, &before);
    let check = regmig(work.path(), &["check", "--format", "concise"]);
    let check_path = case.join("check.txt");
    if bless {
        fs::write(&check_path, &check.stdout).unwrap();
    }
    let expected = fs::read_to_string(&check_path).map_err(|e| format!("check.txt: {e}"))?;
    if check.stdout != expected {
        return Err(format!(
            "check output differs\n--- expected\n{expected}--- actual\n{}",
            check.stdout
        ));
    }
    let json = regmig(work.path(), &["check", "--format", "json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&json.stdout).map_err(|e| format!("invalid JSON: {e}"))?;
    let has_errors = doc["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["severity"] == "error"));
    if check.code != i32::from(has_errors) {
        return Err(format!(
            "check exited {} (errors: {has_errors})",
            check.code
        ));
    }

    let mut fix_write = vec!["fix", "--write"];
    fix_write.extend(args.iter().map(String::as_str));
    let fixed = regmig(work.path(), &fix_write);
    if fixed.code == 2 {
        return Err(format!("fix --write failed: {}", fixed.stderr));
    }
    let after = case.join("after");
    if bless {
        let _ = fs::remove_dir_all(&after);
        copy_tree(work.path(), &after);
        let _ = fs::remove_dir_all(after.join(".git"));
        let _ = fs::remove_file(after.join(CONFIG));
    }
    let actual_tree = tree_of(work.path());
    if actual_tree != tree_of(&after) {
        return Err(format!(
            "tree after `fix --write` differs from after/\n{}",
            common::describe_tree_diff(&tree_of(&after), &actual_tree)
        ));
    }

    let yaml_files = check_yaml_equivalence(&tree_of(&before), &actual_tree)?;

    let again = regmig(work.path(), &fix_write);
    if tree_of(work.path()) != actual_tree {
        return Err("a second `fix --write` changed the tree".to_owned());
    }
    if again.code == 2 {
        return Err(format!("second fix --write failed: {}", again.stderr));
    }
    let json_after = regmig(work.path(), &["check", "--format", "json"]);
    let unsafe_allowed = args.iter().any(|a| a == "--unsafe");
    let leftover = common::fixable_in_json(&json_after.stdout, unsafe_allowed);
    if leftover != 0 {
        return Err(format!("{leftover} fixable findings remain after fixing"));
    }

    let preview_dir = stage(case, &before);
    let mut preview = vec!["fix"];
    preview.extend(args.iter().map(String::as_str));
    let diff = regmig(preview_dir.path(), &preview);
    common::git_apply(preview_dir.path(), &diff.stdout)?;
    if tree_of(preview_dir.path()) != actual_tree {
        return Err("applying the `fix` diff with git apply gives a different tree".to_owned());
    }
    let changed = tree_of(&before) != actual_tree;
    if (diff.code == 1) != changed && !diff.stdout.is_empty() {
        return Err(format!("fix preview exited {}", diff.code));
    }
    Ok(yaml_files)
}

/// Every fixed YAML, JSON and HCL file, re-read by another parser (`yaml-rust2`, `hcl-rs`),
/// differs from the original only in image values. Helm templates are not YAML: left out.
fn check_yaml_equivalence(
    before: &[(String, Vec<u8>)],
    after: &[(String, Vec<u8>)],
) -> Result<usize, String> {
    let mut compared = 0;
    for (path, old) in before {
        let is_yaml = path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json");
        let is_hcl = path.ends_with(".tf") || path.ends_with(".tfvars");
        if !(is_yaml || is_hcl) || path.contains("templates/") {
            continue;
        }
        let Some((_, new)) = after.iter().find(|(p, _)| p == path) else {
            continue;
        };
        if old == new {
            continue;
        }
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        let parsed = if is_hcl {
            common::hcl_differs_only_in_strings(&old, &new)
        } else {
            common::yaml_differs_only_in_images(&old, &new)
        }
        .map_err(|e| format!("{path}: {e}"))?;
        compared += usize::from(parsed);
    }
    Ok(compared)
}

#[test]
fn hcl_equivalence_catches_changes_outside_strings() {
    let ok = common::hcl_differs_only_in_strings("a = \"nginx\"\n", "a = \"ghcr.io/x/nginx\"\n");
    assert_eq!(ok, Ok(true));
    assert!(
        common::hcl_differs_only_in_strings("a = \"x\"\nb = 1\n", "a = \"y\"\nb = 2\n").is_err()
    );
    assert!(common::hcl_differs_only_in_strings("a = \"nginx\"\n", "a = var.x\n").is_err());
    assert!(
        common::hcl_differs_only_in_strings("a = \"true\"\n", "a = \"Not an image\"\n").is_err()
    );
}

#[test]
fn yaml_equivalence_catches_changes_outside_image_values() {
    let ok = common::yaml_differs_only_in_images(
        "a: 1
image: x
",
        "a: 1
image: y
",
    );
    assert_eq!(ok, Ok(true));
    assert!(common::yaml_differs_only_in_images(
        "a: 1
image: x
",
        "a: 2
image: y
"
    )
    .is_err());
    assert!(common::yaml_differs_only_in_images(
        "a: [1]
",
        "a: [1, 2]
"
    )
    .is_err());
    // Shell and variables may change only in references, token by token.
    let run = |body: &str| format!("steps:\n  - run: {body}\n");
    assert_eq!(
        common::yaml_differs_only_in_images(
            &run("docker pull nginx:1 && make"),
            &run("docker pull ghcr.io/x/nginx:1 && make")
        ),
        Ok(true)
    );
    assert!(common::yaml_differs_only_in_images(
        &run("docker pull nginx:1 && make"),
        &run("docker pull nginx:1 || make")
    )
    .is_err());
    assert!(common::yaml_differs_only_in_images(
        &run("docker pull nginx:1"),
        &run("docker pull nginx:1 --quiet")
    )
    .is_err());
    assert!(common::yaml_differs_only_in_images(
        "a: {b: 1}
",
        "a: {c: 1}
"
    )
    .is_err());
}

#[test]
fn every_fixture_case() {
    let bless = std::env::var_os("REGMIG_BLESS").is_some();
    let cases = cases();
    assert!(!cases.is_empty(), "no fixture cases found");
    let mut failures = Vec::new();
    let mut yaml_files = 0;
    for case in &cases {
        match run_case(case, bless) {
            Ok(compared) => yaml_files += compared,
            Err(message) => failures.push(format!("{}:\n{message}", case.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(
        yaml_files >= 30,
        "only {yaml_files} fixed YAML/HCL files were re-parsed"
    );
    eprintln!(
        "{} fixture cases passed; {yaml_files} fixed YAML/HCL files re-parsed",
        cases.len()
    );
}
