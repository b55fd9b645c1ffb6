//! `--format gitlab` (GitLab Code Quality), checked against a JSON schema written from
//! GitLab's documentation of the report ("Implement a custom tool": an array of objects with
//! `description`, `check_name`, `fingerprint`, `severity` of info|minor|major|critical|blocker,
//! `location.path` relative to the repository, and `location.lines.begin` or
//! `location.positions.begin.line`; no byte order mark). Also: paths in the CI formats are
//! relative to the repository root whatever the working directory.

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use common::{regmig, repo};
use serde_json::{json, Value};

const TARGET: &str =
    "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n[rules]\nlegacy-k8s-registry = \"warning\"\n";

fn schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "GitLab Code Quality report, as GitLab's documentation describes it",
        "type": "array",
        "items": {
            "type": "object",
            "required": ["description", "check_name", "fingerprint", "severity", "location"],
            "properties": {
                "description": {"type": "string", "minLength": 1},
                "check_name": {"type": "string", "minLength": 1},
                "fingerprint": {"type": "string", "minLength": 1},
                "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
                "location": {
                    "type": "object",
                    "required": ["path"],
                    "properties": {
                        "path": {
                            "type": "string",
                            "minLength": 1,
                            // Relative to the repository: not absolute, not `./`-prefixed.
                            "not": {"pattern": "^(/|\\./|\\.\\./|[A-Za-z]:)"}
                        },
                        "lines": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {
                                "begin": {"type": "integer", "minimum": 1},
                                "end": {"type": "integer", "minimum": 1}
                            }
                        },
                        "positions": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {"begin": {
                                "type": "object",
                                "required": ["line"],
                                "properties": {"line": {"type": "integer", "minimum": 1}}
                            }}
                        }
                    },
                    "anyOf": [{"required": ["lines"]}, {"required": ["positions"]}]
                }
            }
        }
    })
}

/// A repository with error- and warning-level findings, a parse error, two identical
/// references in one file, and a file in a subdirectory.
fn tree() -> tempfile::TempDir {
    repo(&[
        ("regmig.toml", TARGET),
        (
            "Dockerfile",
            "FROM nginx:1.25 AS web\nFROM golang:1.22\nFROM nginx:1.25\n",
        ),
        (
            "deploy/pod.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: k8s.gcr.io/pause:3.2\n    - image: redis\n",
        ),
        (
            "deploy/broken.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: nginx\n      args: [a, b\n",
        ),
    ])
}

/// Runs `check --format gitlab` in `dir`: exit code and the parsed report.
fn report(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "gitlab"];
    all.extend(args);
    let out = regmig(dir, &all);
    assert!(
        !out.stdout.starts_with('\u{feff}'),
        "GitLab rejects a byte order mark"
    );
    let doc = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    (out.code, doc)
}

fn entries(doc: &Value) -> &Vec<Value> {
    doc.as_array().expect("a JSON array")
}

fn fingerprints(doc: &Value) -> Vec<String> {
    entries(doc)
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

fn schema_errors(doc: &Value) -> Vec<String> {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn the_report_matches_the_documented_format() {
    let dir = tree();
    let (code, doc) = report(dir.path(), &[]);
    assert_eq!(code, 1);
    let errors = schema_errors(&doc);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
    let checks: HashSet<&str> = entries(&doc)
        .iter()
        .map(|e| e["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        HashSet::from(["docker-hub", "legacy-k8s-registry", "parse-error"])
    );
    let pause = entries(&doc)
        .iter()
        .find(|e| e["check_name"] == "legacy-k8s-registry")
        .unwrap();
    assert_eq!(pause["severity"], "minor", "a warning is minor");
    assert_eq!(pause["location"]["path"], "deploy/pod.yaml");
    assert_eq!(pause["location"]["lines"]["begin"], 5);
    let redis = entries(&doc)
        .iter()
        .find(|e| e["description"].as_str().unwrap().contains("`redis`"))
        .unwrap();
    assert_eq!(redis["severity"], "major", "an error is major");
    assert!(redis["description"]
        .as_str()
        .unwrap()
        .contains("ghcr.io/acme/redis"));
}

#[test]
fn the_schema_rejects_what_gitlab_would() {
    let dir = tree();
    let (_, doc) = report(dir.path(), &[]);
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut copy = doc.clone();
        edit(&mut copy[0]);
        assert!(!schema_errors(&copy).is_empty(), "accepted: {}", copy[0]);
    };
    broken(&|e| e["severity"] = json!("error"));
    broken(&|e| {
        e.as_object_mut().unwrap().remove("fingerprint");
    });
    broken(&|e| e["location"]["path"] = json!("/abs/Dockerfile"));
    broken(&|e| e["location"]["path"] = json!("./Dockerfile"));
    broken(&|e| e["location"]["lines"]["begin"] = json!(0));
    broken(&|e| {
        e["location"].as_object_mut().unwrap().remove("lines");
    });
}

#[test]
fn an_empty_report_is_an_empty_array() {
    let dir = repo(&[("Dockerfile", "FROM ghcr.io/acme/app:1\n")]);
    let (code, doc) = report(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(doc, json!([]));
}

#[test]
fn fingerprints_are_unique_and_stable_across_runs() {
    let dir = tree();
    let (_, first) = report(dir.path(), &[]);
    let (_, second) = report(dir.path(), &[]);
    assert_eq!(fingerprints(&first), fingerprints(&second));
    let all = fingerprints(&first);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(
        unique.len(),
        all.len(),
        "identical references need distinct fingerprints: {all:?}"
    );
    assert!(all
        .iter()
        .all(|f| f.len() == 32 && f.bytes().all(|b| b.is_ascii_hexdigit())));
}

#[test]
fn fingerprints_survive_edits_above_the_finding() {
    let dir = tree();
    let (_, before) = report(dir.path(), &[]);
    let dockerfile = dir.path().join("Dockerfile");
    let text = fs::read_to_string(&dockerfile).unwrap();
    fs::write(&dockerfile, format!("# syntax and comments\n\n{text}")).unwrap();
    let (_, after) = report(dir.path(), &[]);
    let lines = |doc: &Value| -> Vec<(String, u64)> {
        entries(doc)
            .iter()
            .filter(|e| e["location"]["path"] == "Dockerfile")
            .map(|e| {
                (
                    e["fingerprint"].as_str().unwrap().to_owned(),
                    e["location"]["lines"]["begin"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (old, new) = (lines(&before), lines(&after));
    assert_eq!(old.len(), 3);
    for ((old_print, old_line), (new_print, new_line)) in old.iter().zip(&new) {
        assert_eq!(old_print, new_print, "the fingerprint moved with the line");
        assert_eq!(old_line + 2, *new_line);
    }
    // A different reference on the same line is a different finding.
    fs::write(&dockerfile, text.replacen("golang:1.22", "golang:1.23", 1)).unwrap();
    let (_, changed) = report(dir.path(), &[]);
    let golang = |doc: &Value| {
        entries(doc)
            .iter()
            .find(|e| e["description"].as_str().unwrap().contains("`golang"))
            .map(|e| e["fingerprint"].clone())
            .unwrap()
    };
    assert_ne!(golang(&before), golang(&changed));
}

/// Runs `check --format FORMAT` in `dir/sub` and returns stdout.
fn output_in(dir: &Path, sub: &str, format: &str) -> String {
    let out = regmig(&dir.join(sub), &["check", "--format", format]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.stdout
}

#[test]
fn ci_formats_name_paths_from_the_repository_root_in_a_subdirectory() {
    let dir = repo(&[("db-manager/Dockerfile", "FROM nginx:1.25\n")]);
    let github = output_in(dir.path(), "db-manager", "github");
    assert!(
        github.starts_with("::error file=db-manager/Dockerfile,line=1,"),
        "{github}"
    );
    let sarif: Value = serde_json::from_str(&output_in(dir.path(), "db-manager", "sarif")).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "db-manager/Dockerfile");
    let gitlab: Value =
        serde_json::from_str(&output_in(dir.path(), "db-manager", "gitlab")).unwrap();
    assert_eq!(gitlab[0]["location"]["path"], "db-manager/Dockerfile");
    // The formats people read keep paths as given.
    let concise = output_in(dir.path(), "db-manager", "concise");
    assert!(
        concise.starts_with("Dockerfile:1:6: docker-hub"),
        "{concise}"
    );
    let json: Value = serde_json::from_str(&output_in(dir.path(), "db-manager", "json")).unwrap();
    assert_eq!(json["findings"][0]["path"], "Dockerfile");
    // Explicit paths from elsewhere in the repository resolve the same way.
    let out = regmig(
        &dir.path().join("db-manager"),
        &["check", "--format", "github", "../db-manager/Dockerfile"],
    );
    assert!(
        out.stdout
            .starts_with("::error file=db-manager/Dockerfile,"),
        "{}",
        out.stdout
    );
}

#[test]
fn without_git_the_config_directory_is_the_root() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("regmig.toml"), TARGET).unwrap();
    fs::create_dir_all(dir.path().join("app/deploy")).unwrap();
    fs::write(dir.path().join("app/deploy/Dockerfile"), "FROM nginx\n").unwrap();
    let github = output_in(dir.path(), "app", "github");
    assert!(
        github.starts_with("::error file=app/deploy/Dockerfile,"),
        "{github}"
    );
    // Neither git nor a config: the working directory.
    let bare = tempfile::tempdir().unwrap();
    fs::create_dir_all(bare.path().join("app")).unwrap();
    fs::write(bare.path().join("app/Dockerfile"), "FROM nginx\n").unwrap();
    let github = output_in(bare.path(), "app", "github");
    assert!(github.starts_with("::error file=Dockerfile,"), "{github}");
}
