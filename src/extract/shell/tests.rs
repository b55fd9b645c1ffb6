//! Shell extraction end to end: roles (pulled or own), tool variables, nested strings, split
//! pairs, statements and Jenkinsfile detection.

use super::*;
use crate::extract::{makefile, Part, Role};

/// (reference as written in the file, role) for every occurrence of a shell script.
fn found(text: &str) -> Vec<(String, Role)> {
    let mut occurrences = extract(text).occurrences;
    occurrences.sort_by_key(|o| o.location());
    occurrences
        .into_iter()
        .map(|o| {
            let span = o.location();
            (text[span.start..span.end].to_owned(), o.role)
        })
        .collect()
}

fn pulled(list: &[(String, Role)]) -> Vec<&str> {
    list.iter()
        .filter(|(_, role)| *role == Role::Pull)
        .map(|(t, _)| t.as_str())
        .collect()
}

#[test]
fn build_tag_push_and_local_loads_name_own_images() {
    let text = "docker build -t acme/api:1 .\ndocker tag acme/api:1 acme/api:2\n\
                docker push acme/api:2\nkind load docker-image acme/api:2\n\
                minikube image load acme/web:1\ndocker pull redis:7\n";
    let found = found(text);
    assert_eq!(pulled(&found), ["redis:7"]);
    assert_eq!(found.len(), 7);
}

#[test]
fn a_variable_built_or_pushed_is_an_own_image() {
    let text = "IMG=${IMG:-controller:latest}\nBASE_IMAGE=golang:1.22\n\
                docker build --build-arg BASE_IMAGE=\"$BASE_IMAGE\" -t \"$IMG\" .\n\
                docker run --rm \"$BASE_IMAGE\" go version\n";
    let found = found(text);
    assert_eq!(pulled(&found), ["golang:1.22"]);
    assert!(found.contains(&("controller:latest".to_owned(), Role::Named)));
}

#[test]
fn a_tagged_source_stays_pulled() {
    // Retagging a pulled image for a mirror does not make it the project's own.
    let text = "SRC_IMAGE=nginx:1.27\ndocker pull \"$SRC_IMAGE\"\n\
                docker tag \"$SRC_IMAGE\" mirror.local/nginx:1.27\n";
    assert_eq!(pulled(&found(text)), ["nginx:1.27"]);
}

#[test]
fn tool_variables_stand_for_the_engine() {
    let text = "DOCKER=${DOCKER:-podman}\n$DOCKER run --rm alpine:3.20 true\n\
                \"${ENGINE:-docker}\" pull redis:7\n$UNKNOWN pull memcached:1\n";
    assert_eq!(pulled(&found(text)), ["alpine:3.20", "redis:7"]);
    let make = "CONTAINER_TOOL ?= podman\nIMG ?= acme/op:1\nbuild:\n\t$(CONTAINER_TOOL) build -t $(IMG) .\n";
    let occurrences = makefile::extract(make).occurrences;
    assert_eq!(occurrences.len(), 1);
    assert_eq!(occurrences[0].role, Role::Named);
}

#[test]
fn nested_shell_strings_map_back_exactly() {
    let text = "bash -c 'docker pull redis:7 && docker run --rm \"nginx:1.27\"'\n";
    let found = found(text);
    assert_eq!(pulled(&found), ["redis:7", "nginx:1.27"]);
    let escaped = "sh -c \"docker pull ngin\\x\"\n";
    let occurrences = extract(escaped).occurrences;
    assert_eq!(
        occurrences[0].blocker,
        Some(crate::extract::Blocker::NotVerbatim)
    );
}

#[test]
fn split_pairs_edit_registry_repository_and_tag() {
    let text = "export APP_IMAGE_REGISTRY=docker.io\nexport APP_IMAGE_REPOSITORY=acme/api\n\
                APP_IMAGE_TAG=1.0\nOTHER_REPOSITORY=acme/other\n";
    let occurrences = extract(text).occurrences;
    assert_eq!(occurrences.len(), 1);
    let parts: Vec<(Part, &str)> = occurrences[0]
        .parts
        .iter()
        .map(|&(p, s)| (p, &text[s.start..s.end]))
        .collect();
    assert_eq!(
        parts,
        [
            (Part::Repository, "acme/api"),
            (Part::Registry, "docker.io"),
            (Part::Tag, "1.0")
        ]
    );
    assert_eq!(occurrences[0].text, "docker.io/acme/api:1.0");
}

#[test]
fn statements_start_at_the_command() {
    let text = "echo hi\n  sudo docker run \\\n    --rm nginx:1.27\n";
    let occurrence = &extract(text).occurrences[0];
    assert_eq!(occurrence.statement, 10);
}

#[test]
fn jenkinsfiles_are_told_from_scripts() {
    assert!(jenkins::is_groovy("pipeline {\n  agent any\n}\n"));
    assert!(jenkins::is_groovy("@Library('x') _\nnode {\n}\n"));
    assert!(!jenkins::is_groovy("#!/bin/bash\npipeline {\n"));
    assert!(!jenkins::is_groovy("docker pull nginx\n"));
    let text = "node {\n  docker.image(\"maven:3.9\").inside { sh 'mvn -v' }\n  sh '''\n    docker pull redis:7\n  '''\n}\n";
    assert_eq!(pulled(&found(text)), ["maven:3.9", "redis:7"]);
    let text = "podTemplate(containers: [containerTemplate(name: 'm', image: 'maven:3.9')]) {\n\
                node { sh label: 'x', script: 'docker pull redis:7'\n\
                bat(script: 'docker pull windows-only:1') }\n}\n";
    assert_eq!(pulled(&found(text)), ["maven:3.9", "redis:7"]);
}
