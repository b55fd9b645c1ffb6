//! `regmig images`: each format on fixture trees under `fixtures/images/<case>/`, whose
//! `tree/` is scanned with the case's optional `regmig.toml`; expected outputs sit beside it as
//! `images.<format>` (`REGMIG_BLESS=1` rewrites them; review before committing).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_tree, regmig};

const FORMATS: [&str; 5] = ["table", "json", "crane", "skopeo", "regsync"];

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/images")
        .join(name)
}

/// Runs `images --format FORMAT` on a scratch copy of the case's tree.
fn images(case: &str, format: &str) -> common::Output {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case_dir(case).join("tree"), dir.path());
    fs::create_dir(dir.path().join(".git")).unwrap();
    let config = case_dir(case).join("regmig.toml");
    if config.exists() {
        fs::copy(config, dir.path().join("regmig.toml")).unwrap();
    }
    regmig(dir.path(), &["images", "--format", format])
}

fn check_case(case: &str, expected_code: i32) {
    let bless = std::env::var_os("REGMIG_BLESS").is_some();
    for format in FORMATS {
        let out = images(case, format);
        assert_eq!(out.code, expected_code, "{case} {format}: {}", out.stderr);
        let path = case_dir(case).join(format!("images.{format}"));
        if bless {
            fs::write(&path, &out.stdout).unwrap();
        }
        let expected = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(out.stdout, expected, "{case} --format {format}");
    }
}

#[test]
fn registries_settings_reach_the_plans() {
    check_case("registries", 0);
}

#[test]
fn mixed_sources_in_every_format() {
    check_case("mixed", 0);
}

#[test]
fn sources_without_destination_are_listed_with_the_reason() {
    check_case("no-destination", 1);
    let out = images("no-destination", "json");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(doc["images"][0]["destination"].is_null());
    assert_eq!(doc["images"][0]["reason"], "no [[map]] or [target] applies");
    assert!(
        out.stderr.contains("2 of 2 source images have no copy"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_inventory_semantics() {
    let out = images("mixed", "json");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    let find = |source: &str| {
        images
            .iter()
            .find(|i| i["source"] == source)
            .unwrap_or_else(|| panic!("{source} missing from {images:?}"))
    };
    // Untagged sources are copied as :latest, and both spellings group together.
    let nginx = find("docker.io/library/nginx:latest");
    assert_eq!(nginx["destination"], "ghcr.io/acme/nginx:latest");
    assert_eq!(nginx["occurrences"].as_array().unwrap().len(), 2);
    // A map's tag replaces the source's.
    assert_eq!(
        find("docker.io/library/ubuntu:18.04")["destination"],
        "quay.io/footloose/ubuntu18.04:latest"
    );
    // The built-in k8s.gcr.io rewrite is part of the plan.
    assert_eq!(
        find("k8s.gcr.io/pause:3.2")["destination"],
        "registry.k8s.io/pause:3.2"
    );
    // Ignored images and images already elsewhere are not sources.
    assert!(images
        .iter()
        .all(|i| !i["source"].as_str().unwrap().contains("mysql")));
    assert!(images.iter().all(|i| !i["source"]
        .as_str()
        .unwrap()
        .starts_with("quay.io/prometheus")));
    // A variable tag takes the value of the Dockerfile's global ARG.
    assert_eq!(
        find("docker.io/library/golang:1.22")["destination"],
        "ghcr.io/acme/golang:1.22"
    );
    // A built-in move to the upstream's new home is listed, but nothing is copied.
    let pause = find("k8s.gcr.io/pause:3.2");
    assert!(pause["reason"]
        .as_str()
        .unwrap()
        .contains("the upstream publishes it there"));
}

#[test]
fn variable_tags_take_the_repository_values() {
    check_case("variables", 1);
    let out = images("variables", "json");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    let destination = |source: &str| {
        images
            .iter()
            .find(|i| i["source"] == source)
            .unwrap_or_else(|| panic!("{source} missing from {images:?}"))["destination"]
            .clone()
    };
    // Dockerfile ARG default; an inline default; the compose .env; GitLab global and job
    // variables (the job's own wins); a map's destination.
    for (source, expected) in [
        (
            "docker.io/library/golang:1.22-bookworm",
            "ghcr.io/acme/golang:1.22-bookworm",
        ),
        ("gcr.io/distroless/static:nonroot", ""),
        (
            "docker.io/library/nginx:1.27-alpine",
            "ghcr.io/acme/nginx:1.27-alpine",
        ),
        (
            "docker.io/library/postgres:16.4",
            "ghcr.io/acme/postgres:16.4",
        ),
        ("docker.io/library/golang:1.22", "ghcr.io/acme/golang:1.22"),
        (
            "docker.io/library/golang:1.21-bookworm",
            "ghcr.io/acme/golang:1.21-bookworm",
        ),
        ("docker.io/library/postgres:16", "ghcr.io/acme/postgres:16"),
        (
            "docker.io/bitnami/redis:7.2",
            "registry.example.com/mirror/bitnami/redis:7.2",
        ),
    ] {
        if expected.is_empty() {
            assert!(images.iter().all(|i| i["source"] != source), "{source}");
        } else {
            assert_eq!(destination(source), expected, "{source}");
        }
    }
    // A variable without a value anywhere is named.
    let debian = images
        .iter()
        .find(|i| i["source"] == "docker.io/library/debian:…")
        .unwrap();
    assert!(
        debian["reason"]
            .as_str()
            .unwrap()
            .contains("`DEBIAN_RELEASE` has no value in the repository"),
        "{debian}"
    );
    assert!(debian["destination"] == "ghcr.io/acme/debian");
}

/// The README's workflow: `images` before `fix --write` and after it print the same plan,
/// because converted references are listed with the source they came from.
#[test]
fn inventory_is_the_same_before_and_after_fix_write() {
    for case in ["mixed", "variables"] {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&case_dir(case).join("tree"), dir.path());
        fs::create_dir(dir.path().join(".git")).unwrap();
        fs::copy(
            case_dir(case).join("regmig.toml"),
            dir.path().join("regmig.toml"),
        )
        .unwrap();
        let before: Vec<common::Output> = FORMATS
            .iter()
            .map(|f| regmig(dir.path(), &["images", "--format", f]))
            .collect();
        let fixed = regmig(dir.path(), &["fix", "--write"]);
        assert!(fixed.stderr.contains("fixed"), "{case}: {}", fixed.stderr);
        let check = regmig(dir.path(), &["check", "--format", "concise"]);
        assert!(
            !check.stdout.contains("docker-hub"),
            "{case}: {}",
            check.stdout
        );
        for (format, before) in FORMATS.iter().zip(before) {
            let after = regmig(dir.path(), &["images", "--format", format]);
            assert_eq!(after.code, before.code, "{case} {format}");
            assert_eq!(after.stdout, before.stdout, "{case} --format {format}");
        }
    }
}

#[test]
fn plans_copy_digests_by_digest() {
    let sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let crane = images("mixed", "crane").stdout;
    assert!(crane.contains(&format!(
        "crane copy docker.io/library/nginx@{sha} ghcr.io/acme/nginx:1.27\n"
    )));
    assert!(crane.contains(&format!(
        "crane copy docker.io/library/alpine@{sha} ghcr.io/acme/alpine@{sha}\n"
    )));
    let skopeo = images("mixed", "skopeo").stdout;
    assert!(skopeo.contains(
        "skopeo copy --all --preserve-digests docker://docker.io/library/redis:7.2 docker://ghcr.io/acme/redis:7.2\n"
    ));
}

#[test]
fn regsync_plan_is_valid_yaml() {
    let out = images("mixed", "regsync").stdout;
    let docs = yaml_rust2::YamlLoader::load_from_str(&out).expect("regsync config parses");
    let sync = docs[0]["sync"].as_vec().unwrap();
    assert!(sync.iter().all(|e| e["type"].as_str() == Some("image")));
    assert!(sync.iter().any(
        |e| e["source"].as_str() == Some("docker.io/library/postgres:16")
            && e["target"].as_str() == Some("ghcr.io/acme/postgres:16")
    ));
}

#[test]
fn a_destination_whose_source_cannot_be_named_says_why() {
    // `{name}` drops the namespace: quay.io/acme/redis may come from redis or bitnami/redis.
    let dir = common::repo(&[
        (
            "regmig.toml",
            "[target]\npreset = \"quay\"\norganization = \"acme\"\n",
        ),
        ("Dockerfile", "FROM quay.io/acme/redis:7\n"),
    ]);
    let out = regmig(dir.path(), &["images", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let image = &doc["images"][0];
    assert!(image["source"].is_null(), "{image}");
    assert_eq!(image["destination"], "quay.io/acme/redis:7");
    assert!(
        image["reason"].as_str().unwrap().contains("{name}"),
        "{image}"
    );
    let plan = regmig(dir.path(), &["images", "--format", "crane"]);
    assert!(
        plan.stdout
            .starts_with("# not copied: ?: the source is unknown"),
        "{}",
        plan.stdout
    );
}
