//! `regmig verify` as scripts meet it, where no registry needs to answer: usage and config
//! errors, the JSON document, unresolved tags and unreachable registries. The verdicts of real
//! registries are in `tests/registry.rs`.

mod common;

use common::{regmig, repo};

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn config_for(host: &str) -> String {
    format!("[target]\ntemplate = \"{host}/hub/{{repo}}\"\n\n[registries.\"{host}\"]\ninsecure = true\n")
}

#[test]
fn usage_and_config_errors_exit_2() {
    let dir = repo(&[("Dockerfile", "FROM nginx:1.27\n")]);
    for args in [
        &["verify", "--jobs", "0"][..],
        &["verify", "--jobs", "many"],
        &["verify", "--format", "xml"],
        &["verify", "--password", "hunter2"],
    ] {
        let out = regmig(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
    let bad = repo(&[
        ("Dockerfile", "FROM nginx:1.27\n"),
        (
            "regmig.toml",
            "[registries.\"https://ghcr.io\"]\ninsecure = true\n",
        ),
    ]);
    let out = regmig(bad.path(), &["verify"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("regmig.toml:1:"), "{}", out.stderr);
    let ca = repo(&[
        ("Dockerfile", "FROM nginx:1.27\n"),
        (
            "regmig.toml",
            "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n\n\
             [registries.\"ghcr.io\"]\nca_file = \"certs/missing.pem\"\n",
        ),
    ]);
    let out = regmig(ca.path(), &["verify"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("regmig.toml:5:11"), "{}", out.stderr);
    assert!(out.stderr.contains("certs/missing.pem"), "{}", out.stderr);
}

#[test]
fn nothing_to_verify_passes() {
    let dir = repo(&[("Dockerfile", "FROM ghcr.io/acme/app:1\n")]);
    let out = regmig(dir.path(), &["verify", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc, serde_json::json!({"version": 1, "images": []}));
    assert!(
        out.stderr.contains("no destinations to verify"),
        "{}",
        out.stderr
    );
}

#[test]
fn unresolved_and_unreachable_destinations_fail() {
    let host = format!("127.0.0.1:{}", closed_port());
    let dir = repo(&[
        ("regmig.toml", config_for(&host).as_str()),
        (
            "Dockerfile",
            "FROM golang:${GO_VERSION} AS build\nFROM nginx:1.27\nCOPY --from=build /app /app\n",
        ),
        ("deploy/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: busybox\n"),
    ]);
    let out = regmig(dir.path(), &["verify", "--format", "json", "--jobs", "2"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    let by_destination = |destination: String| {
        images
            .iter()
            .find(|i| i["destination"] == destination.as_str())
            .unwrap_or_else(|| panic!("{destination} not in {images:#?}"))
            .clone()
    };
    let golang = by_destination(format!("{host}/hub/library/golang"));
    assert_eq!(golang["status"], "unresolved");
    assert_eq!(golang["source"], "docker.io/library/golang:…");
    assert!(golang["detail"]
        .as_str()
        .unwrap()
        .contains("`GO_VERSION` has no value"));
    let nginx = by_destination(format!("{host}/hub/library/nginx:1.27"));
    assert_eq!(nginx["status"], "unreachable");
    assert_eq!(nginx["source"], "docker.io/library/nginx:1.27");
    assert!(nginx["digest"].is_null() && nginx["source_digest"].is_null());
    assert!(nginx["detail"].as_str().unwrap().contains(&host), "{nginx}");
    // An untagged reference is looked up as :latest.
    let busybox = by_destination(format!("{host}/hub/library/busybox:latest"));
    assert_eq!(busybox["status"], "unreachable");
    assert!(
        out.stderr
            .contains("3 destinations: 2 unreachable, 1 unresolved"),
        "{}",
        out.stderr
    );

    let human = regmig(dir.path(), &["verify"]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains(&format!("unreachable  {host}/hub/library/nginx:1.27\n")),
        "{}",
        human.stdout
    );
}

#[test]
fn sources_without_a_destination_are_left_to_images() {
    let dir = repo(&[("Dockerfile", "FROM nginx:1.27\n")]);
    let out = regmig(dir.path(), &["verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("1 source images have no destination"),
        "{}",
        out.stderr
    );
}
