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

/// Checks and fixes `text` once, as `fix --write --unsafe` would (without the disk).
fn fix_once(text: &str) -> (String, Vec<regmig::rewrite::Edit>) {
    let rules = rules::builtin();
    let config = config::parse(CONFIG, Path::new("regmig.toml"), rules).unwrap();
    let rewriter = Rewriter::new(&config, rules).unwrap();
    let checker = Checker {
        config: &config,
        rules,
        rewriter: &rewriter,
    };
    let extraction = extract(FileKind::Dockerfile, text);
    let findings = checker.check(FileKind::Dockerfile, text, &extraction);
    let patched = fix::apply(text, &findings, true);
    let edits = patched
        .applied
        .iter()
        .flat_map(|&i| findings[i].fix.as_ref().unwrap().edits.clone())
        .collect();
    if !patched.applied.is_empty() {
        fix::verify(FileKind::Dockerfile, text, &patched, &findings)
            .unwrap_or_else(|e| panic!("verification failed on {text:?}: {e}"));
    }
    (patched.text, edits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extraction_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let extraction = extract(FileKind::Dockerfile, &text);
        for occurrence in extraction.occurrences {
            for (_, span) in occurrence.parts {
                prop_assert!(span.end <= text.len() && text.is_char_boundary(span.start));
            }
        }
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
        let (fixed, mut edits) = fix_once(&text);
        edits.sort();
        edits.dedup();
        for edit in &edits {
            let replaced = &text[edit.span.start..edit.span.end];
            prop_assert!(
                regmig::reference::ImageRef::parse(replaced).is_ok(),
                "an edit replaced {:?}, which is not a reference", replaced
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

    #[test]
    fn fixing_twice_equals_fixing_once(text in dockerfile()) {
        let (once, _) = fix_once(&text);
        let (twice, edits) = fix_once(&once);
        prop_assert!(edits.is_empty(), "second pass edited {:?}", edits);
        prop_assert_eq!(once, twice);
    }
}
