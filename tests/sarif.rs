//! `--format sarif` and `--format github` on a tree with every kind of finding: SARIF is
//! validated against the SARIF 2.1.0 JSON schema shipped in Microsoft's SARIF Multitool package
//! and by the Multitool itself (no result at level `error`); GitHub annotations are checked
//! line by line.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::regmig;
use serde_json::Value;

/// A tree with an error-level, a warning-level, a display-only, an unfixable and a
/// parse-error finding, in two kinds of file.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let files = [
        ("Dockerfile", "FROM nginx:1.25\nFROM golang:${GO}\n"),
        ("broken/Dockerfile", "FROM alpine:3.20\nRUN <<EOF\nnever closed\n"),
        ("deploy/pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: \"k8s.gcr.io/pause:3.2\"\n    - image: redis\n"),
        ("values/Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\n"),
        ("values/values.yaml", "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: \"7.2\"\n"),
        ("regmig.toml", "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n[rules]\nlegacy-k8s-registry = \"warning\"\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn sarif() -> (tempfile::TempDir, Value) {
    let dir = tree();
    let out = regmig(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    (dir, doc)
}

/// The Multitool's package directory, installed by `.ci/install-sarif-multitool` on first use.
fn multitool_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join(".ci/install-sarif-multitool"))
        .output()
        .expect("run .ci/install-sarif-multitool (needs npm)");
    assert!(
        out.status.success(),
        "installing the SARIF Multitool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn sarif_matches_the_2_1_0_schema() {
    let (_dir, doc) = sarif();
    let schema_text = fs::read_to_string(multitool_dir().join("sarif-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
    // The validator does reject what the schema forbids.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_passes_the_multitool_without_errors() {
    let (dir, _) = sarif();
    let input = dir.path().join("regmig.sarif");
    let out = regmig(dir.path(), &["check", "--format", "sarif"]);
    fs::write(&input, out.stdout).unwrap();
    let result = dir.path().join("validation.sarif");
    let status = Command::new(multitool_dir().join("Sarif.Multitool"))
        .arg("validate")
        .arg(&input)
        .arg("-o")
        .arg(&result)
        .args(["--log", "ForceOverwrite"])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let report: Value = serde_json::from_str(&fs::read_to_string(result).unwrap()).unwrap();
    let errors: Vec<&Value> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"].as_str().unwrap_or("warning") == "error")
        .collect();
    assert!(errors.is_empty(), "Multitool errors: {errors:#?}");
}

#[test]
fn sarif_carries_rules_regions_and_fixes() {
    let (dir, doc) = sarif();
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "regmig");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    for id in [
        "docker-hub",
        "legacy-k8s-registry",
        "mapped-image",
        "parse-error",
    ] {
        let rule = rules.iter().find(|r| r["id"] == id).unwrap();
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why"));
    }
    let results = run["results"].as_array().unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains(':'),
            "relative uri: {uri}"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(levels.contains(&"warning") && levels.contains(&"error"));

    // Applying every fix's replacements to the file gives what `fix --write` writes.
    let nginx = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("`nginx:1.25`")
        })
        .unwrap();
    let change = &nginx["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "Dockerfile");
    let replacement = &change["replacements"][0];
    let text = fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    let offset = replacement["deletedRegion"]["byteOffset"].as_u64().unwrap() as usize;
    let length = replacement["deletedRegion"]["byteLength"].as_u64().unwrap() as usize;
    assert_eq!(&text[offset..offset + length], "nginx:1.25");
    assert_eq!(
        replacement["insertedContent"]["text"],
        "ghcr.io/acme/nginx:1.25"
    );
    let split = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("bitnami/redis")
        })
        .unwrap();
    let edits = split["fixes"][0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap();
    assert_eq!(edits.len(), 2, "a Helm split map is one fix of two edits");
}

#[test]
fn github_annotations() {
    let dir = tree();
    let out = regmig(dir.path(), &["check", "--format", "github"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.contains(
        &"::error file=Dockerfile,line=1,col=6,endLine=1,endColumn=16,title=regmig docker-hub::`nginx:1.25` is pulled from Docker Hub; use `ghcr.io/acme/nginx:1.25`"
    ), "{}", out.stdout);
    assert!(lines.iter().any(|l| l.starts_with(
        "::warning file=deploy/pod.yaml,line=5,col=15,endLine=5,endColumn=35,title=regmig legacy-k8s-registry::"
    )), "{}", out.stdout);
    assert!(lines.iter().any(
        |l| l.starts_with("::error file=broken/Dockerfile,line=2,col=5,")
            && l.contains("parse-error")
    ));
    assert!(lines
        .iter()
        .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")));
}
