//! Micro-benchmarks of the per-file hot path: `cargo bench`. Not part of `cargo test`.

use regmig::extract::extract;
use regmig::reference::ImageRef;
use regmig::walk::FileKind;

fn main() {
    divan::main();
}

const REFERENCES: &[&str] = &[
    "nginx",
    "nginx:1.27-alpine",
    "docker.io/library/redis:7.2",
    "bitnami/redis:7.2.4-debian-12-r9",
    "ghcr.io/acme/team/api:v1.4.2",
    "registry.k8s.io/ingress-nginx/controller:v1.9.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "localhost:5000/app",
    "[::1]:5000/app:dev",
];

#[divan::bench]
fn reference_parsing() -> usize {
    REFERENCES
        .iter()
        .filter(|r| ImageRef::parse(divan::black_box(r)).is_ok())
        .count()
}

fn manifest(documents: usize) -> String {
    let mut text = String::new();
    for i in 0..documents {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels: {{app: app-{i}}}\n\
             spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n\
             \x20       - name: web\n          image: \"nginx:1.27\"   # pinned\n          ports: [{{containerPort: 80}}]\n\
             \x20       - name: sidecar\n          image: ghcr.io/acme/sidecar:{i}\n"
        ));
    }
    text
}

fn dockerfile(stages: usize) -> String {
    let mut text = String::from("# syntax=docker/dockerfile:1\nARG BASE=alpine:3.20\n");
    for i in 0..stages {
        text.push_str(&format!(
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build{i}\nRUN --mount=type=cache,target=/root/.cache \\\n    go build ./...\n\
             COPY --from=busybox:1.36 /bin/busybox /bin/\nRUN <<EOF\necho building {i}\nEOF\n"
        ));
    }
    text.push_str("FROM ${BASE}\nCOPY --from=build0 /out /app\n");
    text
}

#[divan::bench(args = [1, 10, 100])]
fn yaml_extraction(bencher: divan::Bencher, documents: usize) {
    let text = manifest(documents);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| {
            extract(FileKind::Kubernetes, divan::black_box(&text))
                .occurrences
                .len()
        });
}

#[divan::bench(args = [1, 10, 100])]
fn dockerfile_extraction(bencher: divan::Bencher, stages: usize) {
    let text = dockerfile(stages);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| {
            extract(FileKind::Dockerfile, divan::black_box(&text))
                .occurrences
                .len()
        });
}
