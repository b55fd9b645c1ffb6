//! Property tests for the invariants of DESIGN.md §9, on Dockerfiles assembled from realistic
//! and hostile pieces: extraction never panics, a fix changes only the bytes inside its edits,
//! and fixing twice equals fixing once.

use std::path::Path;

use proptest::prelude::*;
use regmig::check::Checker;
use regmig::extract::extract;
use regmig::rewrite::Rewriter;
use regmig::walk::FileKind;
use regmig::{config, fix, rules};

const CONFIG: &str = "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n\
                      [[map]]\nfrom = \"bitnami/*\"\nto = \"quay.io/bitnami/*\"\n";

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("FROM nginx:1.25 AS web".to_owned()),
        Just("from --platform=$BUILDPLATFORM golang:1.22 as build".to_owned()),
        Just("FROM web".to_owned()),
        Just("ARG BASE=node:20".to_owned()),
        Just("ARG BASE=\"python:3.12\"".to_owned()),
        Just("FROM ${BASE}".to_owned()),
        Just("FROM $BASE:latest".to_owned()),
        Just("FROM alpine:${TAG}".to_owned()),
        Just("RUN echo $BASE".to_owned()),
        Just("COPY --from=busybox:1.36 /a /b".to_owned()),
        Just("COPY --from=web /a /b".to_owned()),
        Just("RUN --mount=type=bind,from=bitnami/redis:7,target=/r true".to_owned()),
        Just("ONBUILD COPY --from=redis /a /b".to_owned()),
        Just("RUN <<EOF".to_owned()),
        Just("EOF".to_owned()),
        Just("FROM ng\\".to_owned()),
        Just("inx \\".to_owned()),
        Just("# syntax=docker/dockerfile:1".to_owned()),
        Just("# regmig: ignore".to_owned()),
        Just("FROM k8s.gcr.io/pause:3.2".to_owned()),
        Just("FROM scratch".to_owned()),
        Just(String::new()),
        "[ -~]{0,30}",
        "\\PC{0,12}",
    ]
}

fn dockerfile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..14),
        prop_oneof![Just("\n"), Just("\r\n")],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, eol, bom, final_newline)| {
            let mut text = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            text.push_str(&lines.join(eol));
            if final_newline && !lines.is_empty() {
                text.push_str(eol);
            }
            text
        })
}

/// Checks and fixes `text`, a file of `kind`, once, as `fix --write --unsafe` would (without
/// the disk).
fn fix_once(kind: FileKind, text: &str) -> (String, Vec<regmig::rewrite::Edit>) {
    let rules = rules::builtin();
    let config = config::parse(CONFIG, Path::new("regmig.toml"), rules).unwrap();
    let rewriter = Rewriter::new(&config, rules).unwrap();
    let checker = Checker {
        config: &config,
        rules,
        rewriter: &rewriter,
    };
    let extraction = extract(kind, text);
    let baseline = fix::Baseline::of(&extraction);
    let findings = checker.check(kind, text, extraction);
    let patched = fix::apply(text, &findings, true);
    let edits = patched
        .applied
        .iter()
        .flat_map(|&i| findings[i].fix.as_ref().unwrap().edits.clone())
        .collect();
    if !patched.applied.is_empty() {
        fix::verify(kind, &baseline, &patched, &findings)
            .unwrap_or_else(|e| panic!("verification failed on {text:?}: {e}"));
    }
    (patched.text, edits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extraction_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        spans_are_in_bounds(FileKind::Dockerfile, &text)?;
    }

    #[test]
    fn spans_hold_the_reference_they_claim(text in dockerfile()) {
        for occurrence in extract(FileKind::Dockerfile, &text).occurrences {
            if occurrence.blocker.is_some() {
                continue;
            }
            let (part, span) = occurrence.parts[0];
            let written = &text[span.start..span.end];
            let expected = match part {
                regmig::extract::Part::Name => occurrence.image.name(),
                _ => occurrence.image.render(),
            };
            prop_assert_eq!(written, expected);
        }
    }

    #[test]
    fn a_fix_changes_only_bytes_inside_its_edits(text in dockerfile()) {
        only_edited_bytes_change(FileKind::Dockerfile, &text)?;
    }

    #[test]
    fn fixing_twice_equals_fixing_once(text in dockerfile()) {
        settles_after_one_fix(FileKind::Dockerfile, &text)?;
    }

    #[test]
    fn yaml_extraction_never_panics_on_arbitrary_text(text in "\\PC{0,200}", kind in yaml_kind()) {
        spans_are_in_bounds(kind, &text)?;
    }

    #[test]
    fn yaml_fixes_change_only_bytes_inside_their_edits(text in yaml(), kind in yaml_kind()) {
        only_edited_bytes_change(kind, &text)?;
    }

    #[test]
    fn yaml_fixing_twice_equals_fixing_once(text in yaml(), kind in yaml_kind()) {
        settles_after_one_fix(kind, &text)?;
    }

    /// The prefilter may skip a file only when the extractor would find nothing in it. The
    /// texts are generated with and without the trigger words (`image` mangled to `imagE`).
    #[test]
    fn prefilter_never_hides_a_reference(
        text in prop_oneof![yaml(), hcl(), dockerfile()],
        kind in prop_oneof![yaml_kind(), hcl_kind(), Just(FileKind::Dockerfile), text_kind()],
        mangle in any::<bool>(),
    ) {
        let text = if mangle { text.replace("image", "imagE") } else { text };
        if !regmig::extract::may_hold_references(kind, text.as_bytes()) {
            let found = extract(kind, &text).occurrences;
            prop_assert!(found.is_empty(), "prefilter skipped {:?} holding {:?}", text, found);
        }
    }

    #[test]
    fn hcl_extraction_never_panics_on_arbitrary_text(text in "\\PC{0,200}", kind in hcl_kind()) {
        spans_are_in_bounds(kind, &text)?;
    }

    #[test]
    fn hcl_fixes_change_only_bytes_inside_their_edits(text in hcl(), kind in hcl_kind()) {
        only_edited_bytes_change(kind, &text)?;
    }

    #[test]
    fn hcl_fixing_twice_equals_fixing_once(text in hcl(), kind in hcl_kind()) {
        settles_after_one_fix(kind, &text)?;
    }
}

/// Extraction does not panic, and every span lies on character boundaries inside the text.
fn spans_are_in_bounds(kind: FileKind, text: &str) -> Result<(), TestCaseError> {
    for occurrence in extract(kind, text).occurrences {
        for (_, span) in occurrence.parts {
            prop_assert!(span.end <= text.len());
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
    Ok(())
}

fn only_edited_bytes_change(kind: FileKind, text: &str) -> Result<(), TestCaseError> {
    {
        let text = text.to_owned();
        let (fixed, mut edits) = fix_once(kind, &text);
        edits.sort();
        edits.dedup();
        for edit in edits.iter().filter(|e| !e.span.is_empty()) {
            let replaced = &text[edit.span.start..edit.span.end];
            prop_assert!(
                regmig::reference::ImageRef::parse(replaced).is_ok(),
                "an edit replaced {:?}, which is not a reference",
                replaced
            );
        }
        // Rebuild the expected text from the original outside the edits.
        let mut rebuilt = String::new();
        let mut cursor = 0;
        for edit in &edits {
            rebuilt.push_str(&text[cursor..edit.span.start]);
            rebuilt.push_str(&edit.content);
            cursor = edit.span.end;
        }
        rebuilt.push_str(&text[cursor..]);
        prop_assert_eq!(fixed, rebuilt);
    }
    Ok(())
}

fn settles_after_one_fix(kind: FileKind, text: &str) -> Result<(), TestCaseError> {
    let (once, _) = fix_once(kind, text);
    let (twice, edits) = fix_once(kind, &once);
    prop_assert!(edits.is_empty(), "second pass edited {:?}", edits);
    prop_assert_eq!(once, twice);
    Ok(())
}

fn yaml_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::Kubernetes),
        Just(FileKind::HelmValues),
        Just(FileKind::HelmTemplate),
        Just(FileKind::HelmChart),
        Just(FileKind::Kustomize),
        Just(FileKind::Compose),
        Just(FileKind::GithubActions),
        Just(FileKind::GitlabCi),
        Just(FileKind::TerraformJson),
        Just(FileKind::Json),
    ]
}

/// The text kinds (tests/text_properties.rs has their own generators).
fn text_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::Shell),
        Just(FileKind::Makefile),
        Just(FileKind::Env),
        Just(FileKind::Markdown),
    ]
}

fn hcl_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![Just(FileKind::Terraform), Just(FileKind::TerraformVars)]
}

fn hcl_line() -> impl Strategy<Value = String> {
    let fragments = [
        "resource \"docker_image\" \"x\" {",
        "resource \"helm_release\" \"r\" {",
        "variable \"base_image\" {",
        "locals {",
        "}",
        "  name = \"nginx:1.25\"",
        "  image = \"redis:7\"",
        "  app_image = \"acme/app:${var.tag}\"",
        "  image = \"${var.registry}/app:1\"",
        "  image = var.image",
        "  default = \"alpine:3.20\"",
        "  image = \"ngin\\u0078\"",
        "  set {",
        "    name  = \"image.repository\"",
        "    value = \"bitnami/redis\"",
        "    name  = \"image.registry\"",
        "    value = \"docker.io\"",
        "  defs = jsonencode([{ image = \"busybox\" }])",
        "  json = <<EOF",
        "[{\"image\": \"memcached:1.6\"}]",
        "EOF",
        "images = [\"python:3.12\", \"ghcr.io/x/y:1\"]",
        "# regmig: ignore",
        "",
    ];
    prop_oneof![
        8 => prop::sample::select(fragments.to_vec()).prop_map(str::to_owned),
        1 => "[ -~]{0,30}",
    ]
}

fn hcl() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(hcl_line(), 0..16),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, bom)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            text.push_str(&lines.join(eol));
            text.push_str(eol);
            text
        })
}

fn yaml_line() -> impl Strategy<Value = String> {
    let fragments = [
        "apiVersion: v1",
        "kind: Pod",
        "spec:",
        "  containers:",
        "    - name: a",
        "      image: nginx:1.25",
        "      image: \"redis:7\" # pinned",
        "      image: 'bitnami/redis:7'",
        "      image: &a busybox",
        "      image: *a",
        "      image: !!str alpine:3",
        "image: |",
        "  nginx",
        "image:",
        "  registry: docker.io",
        "  registry: \"\"",
        "  registry:",
        "  repository: bitnami/redis",
        "  tag: 7.2",
        "  digest: \"\"",
        "services:",
        "  web:",
        "    image: ${IMG:-nginx}:${TAG}",
        "    build: .",
        "  - postgres:16",
        "  - name: redis:7",
        "images:",
        "  - name: nginx",
        "    newName: bitnami/nginx",
        "    newTag: \"1.2\"",
        "jobs:",
        "  t:",
        "    container: node:20",
        "    steps:",
        "      - uses: docker://alpine",
        "dependencies:",
        "  - repository: oci://registry-1.docker.io/bitnamicharts",
        "repositories:",
        "  - url: registry-1.docker.io/bitnamicharts",
        "    oci: true",
        "  source:",
        "    repoURL: registry-1.docker.io/bitnamicharts",
        "    chart: redis",
        "annotations:",
        "  artifacthub.io/images: |",
        "    - name: x",
        "      image: docker.io/bitnami/x:1",
        "- {name: x, image: k8s.gcr.io/pause:3.2}",
        // CRD schemas: image keys whose values are mappings, and image words in prose.
        "  image:",
        "    description: Image is the container image; image: see the docs",
        "    type: string",
        "  imagePullPolicy:",
        "    # policy",
        "volumes:",
        "  - name: v",
        "    image:",
        "      reference: nginx:1.25",
        "      pullPolicy: IfNotPresent",
        "    rbd:",
        "      image: disk-01",
        "git:",
        "  repository: bitnami/git",
        "  containerImage:",
        "    nginx:1.25",
        "  images:",
        "  - nginx",
        "    - redis:7",
        "  image: {reference: redis:7}",
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"image\": {\"type\": \"string\"}}",
        "{\"image\":\"busybox:1\", \"features\": {}}",
        "  \"image\":",
        "    \"acme/app:1\"",
        "---",
        "# regmig: ignore",
        "",
    ];
    prop_oneof![
        8 => prop::sample::select(fragments.to_vec()).prop_map(str::to_owned),
        1 => "[ -~]{0,30}",
        1 => "\\PC{0,12}",
    ]
}

fn yaml() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(yaml_line(), 0..16),
        prop_oneof![Just("\n"), Just("\r\n")],
        any::<bool>(),
    )
        .prop_map(|(lines, eol, bom)| {
            let mut text = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            text.push_str(&lines.join(eol));
            text.push_str(eol);
            text
        })
}
