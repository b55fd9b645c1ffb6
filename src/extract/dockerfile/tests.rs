//! Dockerfile scanner: each BuildKit parsing rule that decides what is a reference.

use super::*;
use crate::extract::{extract as extract_kind, Blocker};
use crate::walk::FileKind;

/// (bytes under the first span, literal reference) for each occurrence.
fn refs(text: &str) -> Vec<(String, String)> {
    extract_kind(FileKind::Dockerfile, text)
        .occurrences
        .iter()
        .map(|o| {
            let span = o.location();
            (text[span.start..span.end].to_owned(), o.image.render())
        })
        .collect()
}

fn spans(text: &str) -> Vec<String> {
    refs(text).into_iter().map(|(s, _)| s).collect()
}

#[test]
fn from_with_platform_alias_and_lowercase() {
    let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nfrom alpine:3.20 as final\n";
    assert_eq!(spans(text), ["golang:1.22", "alpine:3.20"]);
}

#[test]
fn stage_names_scratch_and_indexes_are_not_images() {
    let text = "FROM node:20 AS Build\nFROM build AS test\nFROM scratch\n\
                COPY --from=BUILD /a /b\nCOPY --from=0 /a /b\nCOPY --from=nginx:1.25 /etc/nginx /x\n\
                RUN --mount=type=cache,target=/c --mount=type=bind,from=build,source=/s,target=/t true\n\
                RUN --mount=type=bind,from=busybox:1.36,target=/bb true\n";
    assert_eq!(spans(text), ["node:20", "nginx:1.25", "busybox:1.36"]);
}

#[test]
fn copy_from_may_name_a_later_stage() {
    let text = "FROM alpine AS a\nCOPY --from=later /x /y\nFROM alpine AS later\n";
    assert_eq!(spans(text), ["alpine", "alpine"]);
}

#[test]
fn continuation_lines_and_comments_inside_them() {
    let text = "FROM \\\n  # a comment inside\n\n  nginx:1.25 \\\n  AS web\n";
    let found = refs(text);
    assert_eq!(found, [("nginx:1.25".to_owned(), "nginx:1.25".to_owned())]);
}

#[test]
fn a_name_split_by_a_continuation_is_reported_not_edited() {
    let text = "FROM ngi\\\nnx:1.25\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    assert_eq!(extraction.occurrences[0].image.render(), "nginx:1.25");
    assert_eq!(
        extraction.occurrences[0].blocker,
        Some(Blocker::LineContinuation)
    );
}

#[test]
fn heredoc_bodies_are_not_instructions() {
    let text = "FROM alpine\nRUN <<EOF\nFROM nginx\nEOF\nCOPY <<-'END' /x\n\tFROM redis\n\tEND\nRUN cat <<<here\nFROM busybox\n";
    assert_eq!(spans(text), ["alpine", "busybox"]);
}

#[test]
fn unclosed_heredoc_is_a_parse_error_and_blocks_fixes() {
    let text = "FROM alpine\nRUN <<EOF\necho\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    assert_eq!(extraction.errors.len(), 1);
    assert_eq!(extraction.errors[0].offset, text.find("<<EOF").unwrap());
    assert_eq!(extraction.occurrences[0].blocker, Some(Blocker::ParseError));
}

#[test]
fn from_without_image_is_a_parse_error() {
    let extraction = extract_kind(FileKind::Dockerfile, "FROM --platform=linux/amd64\n");
    assert_eq!(extraction.errors[0].message, "FROM requires an image");
}

#[test]
fn onbuild_forms() {
    let text = "FROM alpine\nONBUILD COPY --from=nginx:1 /a /b\nONBUILD RUN --mount=from=redis:7,target=/r true\n";
    assert_eq!(spans(text), ["alpine", "nginx:1", "redis:7"]);
}

#[test]
fn syntax_directive_only_at_the_top() {
    let text = "# syntax=docker/dockerfile:1.7\n# escape=\\\nFROM alpine\n";
    assert_eq!(spans(text), ["docker/dockerfile:1.7", "alpine"]);
    let late = "FROM alpine\n# syntax=docker/dockerfile:1\n";
    assert_eq!(spans(late), ["alpine"]);
    let after_comment = "# hello\n# syntax=docker/dockerfile:1\nFROM alpine\n";
    assert_eq!(spans(after_comment), ["alpine"]);
}

#[test]
fn escape_directive_changes_the_continuation_character() {
    let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\nCOPY --from=nginx C:\\a C:\\b\n";
    assert_eq!(
        spans(text),
        ["mcr.microsoft.com/windows/servercore:ltsc2022", "nginx"]
    );
}

#[test]
fn arg_default_carries_the_edit() {
    let text = "ARG BASE=\"node:20-alpine\"\nARG TAG=1.25\nFROM ${BASE} AS build\nFROM nginx:${TAG}\nFROM $BASE\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    let found: Vec<_> = extraction
        .occurrences
        .iter()
        .map(|o| {
            (
                &text[o.location().start..o.location().end],
                o.parts[0].0,
                o.shared,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("node:20-alpine", Part::Whole, false),
            ("nginx", Part::Name, false)
        ],
        "two FROMs through one ARG are one occurrence"
    );
}

#[test]
fn arg_read_by_run_is_shared() {
    let text = "ARG BASE=python:3.12\nFROM $BASE\nARG BASE\nRUN echo ${BASE}\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    assert!(extraction.occurrences[0].shared);
}

#[test]
fn variable_name_part_with_literal_tag_goes_on_the_arg() {
    let text = "ARG IMAGE=golang\nFROM ${IMAGE}:1.22\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    let o = &extraction.occurrences[0];
    assert_eq!(
        (&text[o.location().start..o.location().end], o.parts[0].0),
        ("golang", Part::Name)
    );
}

#[test]
fn inline_default_without_arg_default() {
    let text = "ARG BASE\nFROM ${BASE:-debian:12}\n";
    assert_eq!(spans(text), ["debian:12"]);
}

#[test]
fn unresolved_registry_variables_are_not_findings() {
    let text = "ARG REGISTRY\nFROM ${REGISTRY}/app:1\nFROM $UNKNOWN\nFROM ghcr.io/${ORG}/x\n";
    assert!(refs(text).is_empty());
}

#[test]
fn resolved_registry_variable_is_reported_without_fix() {
    let text = "ARG REGISTRY=docker.io\nFROM ${REGISTRY}/library/nginx:1\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    let o = &extraction.occurrences[0];
    assert_eq!(o.image.canonical(), "docker.io/library/nginx:1");
    assert_eq!(o.blocker, Some(Blocker::Variables));
}

#[test]
fn arg_after_from_does_not_resolve_from() {
    let text = "FROM alpine\nARG LATE=nginx\nFROM $LATE\n";
    assert_eq!(spans(text), ["alpine"]);
}

#[test]
fn escaped_arg_values_are_not_references() {
    // BuildKit keeps `\n` inside double quotes, so the value is not a valid name.
    assert!(refs("ARG BASE=\"ngi\\nx\"\nFROM $BASE\n").is_empty());
}

#[test]
fn bom_and_crlf_keep_exact_spans() {
    let text = "\u{feff}# syntax=docker/dockerfile:1\r\nFROM nginx:1.25 AS a\r\nCOPY --from=redis:7 \\\r\n  /a /b\r\n";
    assert_eq!(
        spans(text),
        ["docker/dockerfile:1", "nginx:1.25", "redis:7"]
    );
}

#[test]
fn invalid_references_are_skipped() {
    assert!(refs("FROM Nginx:latest\nFROM ${\n").is_empty());
}

#[test]
fn tag_and_digest_both_kept() {
    let sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let text = format!("FROM nginx:1.25@{sha}\n");
    assert_eq!(spans(&text), [format!("nginx:1.25@{sha}")]);
}

#[test]
fn templated_from_declares_a_stage_and_is_no_finding() {
    let text = "FROM {{ base_image }} AS builder\nFROM @BASE@ AS build\nFROM alpine:3.20\n\
                COPY --from=builder /out /out\nCOPY --from=build /a /a\n";
    assert_eq!(spans(text), ["alpine:3.20"]);
}

#[test]
fn a_bare_from_name_in_a_template_may_be_an_included_stage() {
    let text = "{% include 'tools.j2' %}\nFROM golang:1.22 AS build\n\
                COPY --from=tools /bin/x /bin/x\nRUN --mount=from=cache,target=/c true\n\
                COPY --from=busybox:1.36 /bin/sh /sh\nCOPY --from=docker.io/library/alpine /a /a\n";
    assert_eq!(
        spans(text),
        ["golang:1.22", "busybox:1.36", "docker.io/library/alpine"]
    );
    // The same lines without a placeholder: `tools` and `cache` are Docker Hub images.
    let plain = text.replace("{% include 'tools.j2' %}\n", "");
    assert_eq!(
        spans(&plain),
        [
            "golang:1.22",
            "tools",
            "cache",
            "busybox:1.36",
            "docker.io/library/alpine"
        ]
    );
}

#[test]
fn a_jinja_tag_is_one_word() {
    let text = "FROM --platform={{ platform }} {{ runtime_image }} AS runtime\n\
                FROM {% if arm %} arm64v8/ubuntu {% else %} ubuntu {% endif %} AS base\n\
                FROM base\nFROM runtime\n";
    assert!(refs(text).is_empty(), "{:?}", refs(text));
}

#[test]
fn a_templated_tag_keeps_the_literal_name_editable() {
    let text = "FROM python:{{ python_version }}-slim AS py\nFROM golang:@GO_VERSION@\n\
                FROM {{ registry }}/app:1\nFROM acme/{{ name }}:1\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    let found: Vec<_> = extraction
        .occurrences
        .iter()
        .map(|o| (&text[o.location().start..o.location().end], o.parts[0].0))
        .collect();
    assert_eq!(found, [("python", Part::Name), ("golang", Part::Name)]);
}

#[test]
fn jinja_statements_and_comments_are_not_instructions() {
    let text = "{#\nFROM nginx:1.25\n#}\n{% if with_tools %}\n{%- set pkgs = ['git', 'curl'] %}\n\
                FROM debian:12 AS tools\nRUN <<EOF\n{% for p in pkgs %}\napt-get install {{ p }}\n{% endfor %}\nEOF\n\
                {% endif %}\n{{ extra_instructions }}\nFROM tools\n";
    let extraction = extract_kind(FileKind::Dockerfile, text);
    assert!(extraction.errors.is_empty(), "{:?}", extraction.errors);
    assert_eq!(spans(text), ["debian:12"]);
}
