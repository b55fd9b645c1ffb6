//! Property tests for the text kinds (shell, Makefile, env, Markdown, and the shell inside
//! GitHub Actions and GitLab CI files), on files assembled from realistic and hostile lines:
//! the tokenizer and every extractor never panic, no span lies inside a URL or a path, a fix
//! changes only the reference's bytes, fixing twice equals fixing once, and the prefilter
//! never skips a file holding a reference.

use std::path::Path;

use proptest::prelude::*;
use regmig::check::Checker;
use regmig::extract::shell::lex::{commands, Dialect};
use regmig::extract::{extract, may_hold_references};
use regmig::rewrite::{Edit, Rewriter};
use regmig::walk::FileKind;
use regmig::{config, fix, rules};

const CONFIG: &str = "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n\
                      [[map]]\nfrom = \"bitnami/*\"\nto = \"quay.io/bitnami/*\"\n\
                      [[map]]\nfrom = \"acme/*\"\nto = \"quay.io/acme/*\"\n";

const SHELL: &[&str] = &[
    "#!/bin/bash",
    "docker pull nginx:1.25",
    "docker run --rm -v a:b --name x -e K=V --network host -p 80:80 redis:7 redis-server",
    "sudo docker run -it $IMAGE sh",
    "docker run --frobnicate x alpine:3",
    "docker container run --rm \\",
    "  busybox:1.36 true",
    "docker run --rm ngi\\",
    "nx:1.25",
    "if docker pull bitnami/redis:7; then :; fi",
    "x=$(docker create memcached:1.6) && echo \"$x\"",
    "IMG=${IMG:-acme/app:1.0}",
    "docker build -t \"$IMG\" .",
    "docker push $IMG",
    "docker tag acme/app:1.0 acme/app:latest",
    "BASE_IMAGE=node:20",
    "export KIND_IMAGE='kindest/node:v1.29.2'",
    "IMAGE_TAG=1.2",
    "IMAGE_REGISTRY=docker.io",
    "IMAGE_REPOSITORY=acme/api",
    "IMAGE_REGISTRY=\"\"",
    "echo https://hub.docker.com/r/bitnami/redis",
    "git clone https://github.com/bitnami/charts",
    "docker run -v /opt/bitnami/redis:/data nginx",
    "docker run ./scripts/x",
    "IMG=/opt/bitnami/redis:1",
    "kubectl run web --image=nginx:1.27",
    "kubectl set image deploy/web web=bitnami/nginx:1.25 -n prod",
    "cat <<EOF | docker build -",
    "FROM alpine:3.20",
    "EOF",
    "echo 'FROM debian:12' | docker build -",
    "kubectl apply -f - <<'EOF'",
    "  - image: mysql:8",
    "EOF",
    "skopeo copy docker://postgres:16 docker://ghcr.io/x/postgres:16",
    "crane copy bitnami/redis:7 ghcr.io/x/redis:7",
    "ctr -n k8s.io i pull docker.io/library/traefik:v3",
    "crictl pull haproxy:2.9",
    "kind load docker-image acme/api:dev",
    "docker build --cache-from type=registry,ref=acme/api:cache --build-arg BASE_IMAGE=golang:1.21 .",
    "# regmig: ignore",
    "docker run acme/api:${TAG} # docker pull comment:1",
    "bash -c 'docker pull redis:6'",
    "docker run \"ngin\\x\"",
    "pipeline {",
    "  agent { docker { image 'maven:3.9' } }",
    "  sh \"docker run --rm node:20 ${X}\"",
    "'",
    "\"",
    "$(",
    "`",
];

const MAKEFILE: &[&str] = &[
    "IMG ?= controller:latest",
    "KIND_IMAGE ?= kindest/node:v1.29 # node",
    "IMAGE_REGISTRY ?= docker.io",
    "IMAGE_REPOSITORY := acme/api",
    "TEST_IMAGE = acme/test:$(VERSION)",
    "CONTAINER_TOOL ?= docker",
    "build:",
    "\t$(CONTAINER_TOOL) build -t ${IMG} .",
    "\t@docker run --rm golang:1.22 go test",
    "\tdocker pull $$IMG",
    "\t-docker run \\",
    "\t  redis:7",
    "e2e: ; docker run busybox:1.36",
    "define SCRIPT",
    "endef",
    "# docker run commented:1",
];

const ENV: &[&str] = &[
    "APP_IMAGE=bitnami/nginx:1.25",
    "export DB_IMAGE=\"postgres:16\" # db",
    "IMAGE_TAG=1",
    "LOGO_IMG=assets/logo.png",
    "IMAGE_REGISTRY=",
    "IMAGE_REPOSITORY=acme/x",
    "URL_IMAGE=https://example.com/a:1",
    "# BASE_IMAGE=alpine:3",
];

const MARKDOWN: &[&str] = &[
    "```bash",
    "$ docker run --rm nginx:1.25",
    "Unable to find image 'nginx:1' locally",
    "```",
    "~~~console",
    "# docker pull redis:7",
    "~~~",
    "```yaml",
    "    image: httpd:2.4",
    "```",
    "```dockerfile",
    "FROM golang:1.22 AS b",
    "```",
    "Prose: docker run prose:1 and https://hub.docker.com/r/bitnami/redis",
    "    docker run indented:1",
];

const GITHUB: &[&str] = &[
    "env:",
    "  BASE_IMAGE: python:3.12",
    "  IMAGE_REGISTRY: docker.io",
    "  IMAGE_REPOSITORY: bitnami/redis",
    "jobs:",
    "  b:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    "      - run: docker pull nginx:1.25",
    "      - run: |",
    "          docker run --rm redis:7",
    "          docker build -t acme/x:${{ github.sha }} .",
    "      - run: >",
    "          docker run alpine:3",
    "      - run: \"docker run \\\"busybox\\\"\"",
    "        with:",
    "          image: tonistiigi/binfmt:latest",
    "          driver-opts: image=moby/buildkit:v0.12",
    "          tags: acme/api:1,${{ env.IMAGE }}:2",
];

const GITLAB: &[&str] = &[
    "variables:",
    "  DOCKER_IMAGE: docker:24.0",
    "  T_IMAGE: {value: aquasec/trivy:0.50}",
    "job:",
    "  script:",
    "    - docker pull node:20",
    "    - |",
    "      docker run --rm \\",
    "        node:20 true",
    "  before_script: docker run busybox:1",
    "  image: $DOCKER_IMAGE",
];

fn lines(fragments: &'static [&'static str]) -> impl Strategy<Value = String> {
    let line = prop_oneof![
        8 => prop::sample::select(fragments.to_vec()).prop_map(str::to_owned),
        1 => "[ -~]{0,30}",
        1 => "\\PC{0,12}",
    ];
    (
        prop::collection::vec(line, 0..16),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(lines, eol)| {
            let mut text = lines.join(eol);
            text.push_str(eol);
            text
        })
}

/// A file of a text kind, or a CI file whose shell and variables the text rules read.
fn text_file() -> impl Strategy<Value = (FileKind, String)> {
    prop_oneof![
        lines(SHELL).prop_map(|t| (FileKind::Shell, t)),
        lines(MAKEFILE).prop_map(|t| (FileKind::Makefile, t)),
        lines(ENV).prop_map(|t| (FileKind::Env, t)),
        lines(MARKDOWN).prop_map(|t| (FileKind::Markdown, t)),
        lines(GITHUB).prop_map(|t| (FileKind::GithubActions, t)),
        lines(GITLAB).prop_map(|t| (FileKind::GitlabCi, t)),
    ]
}

fn text_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::Shell),
        Just(FileKind::Makefile),
        Just(FileKind::Env),
        Just(FileKind::Markdown),
        Just(FileKind::GithubActions),
        Just(FileKind::GitlabCi),
    ]
}

/// Checks and fixes `text` once, as `fix --write` would, verifying the result like it does.
fn fix_once(kind: FileKind, text: &str) -> (String, Vec<Edit>) {
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
    let patched = fix::apply(text, &findings, false);
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

/// The whitespace- and quote-delimited token around `span`.
fn token_around(text: &str, start: usize, end: usize) -> &str {
    let is_delimiter = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`');
    let from = text[..start].rfind(is_delimiter).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let to = text[end..]
        .find(is_delimiter)
        .map_or(text.len(), |i| end + i);
    &text[from..to]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_tokenizer_never_panics_and_keeps_offsets_in_bounds(text in "\\PC{0,200}", make in any::<bool>()) {
        let dialect = if make { Dialect::Make } else { Dialect::Shell };
        for command in commands(&text, dialect) {
            prop_assert!(command.start <= text.len());
            for word in command.words.iter().chain(command.redirects.iter().map(|(_, w)| w)) {
                prop_assert!(word.span.end <= text.len());
                prop_assert_eq!(word.offsets.len(), word.text.len());
                prop_assert!(word.offsets.iter().all(|&o| o < text.len()));
            }
            for heredoc in &command.heredocs {
                prop_assert!(heredoc.body.end <= text.len());
            }
        }
    }

    #[test]
    fn text_extraction_never_panics_on_arbitrary_text(text in "\\PC{0,200}", kind in text_kind()) {
        for occurrence in extract(kind, &text).occurrences {
            for (_, span) in occurrence.parts {
                prop_assert!(span.end <= text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }

    #[test]
    fn no_span_lies_inside_a_url_or_a_path((kind, text) in text_file()) {
        for occurrence in extract(kind, &text).occurrences {
            for (_, span) in &occurrence.parts {
                let token = token_around(&text, span.start, span.end);
                let url = token.contains("://") && !token.contains("docker://");
                let path = token.starts_with('/') || token.starts_with("./");
                prop_assert!(!url && !path, "{:?} reported inside {:?}", occurrence.text, token);
            }
        }
    }

    #[test]
    fn text_fixes_change_only_the_reference_bytes((kind, text) in text_file()) {
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
    fn text_fixing_twice_equals_fixing_once((kind, text) in text_file()) {
        let (once, _) = fix_once(kind, &text);
        let (twice, edits) = fix_once(kind, &once);
        prop_assert!(edits.is_empty(), "second pass edited {:?}", edits);
        prop_assert_eq!(once, twice);
    }

    /// The prefilter may skip a file only when the extractor would find nothing in it; the
    /// tool and variable words are mangled to test both sides.
    #[test]
    fn the_prefilter_never_hides_a_text_reference((kind, text) in text_file(), mangle in any::<bool>()) {
        let text = if mangle {
            text.replace("docker", "dockeR")
                .replace("image", "imaXe")
                .replace("IMAGE", "IMAXE")
                .replace("IMG", "IXG")
                .replace("kind", "kiXd")
                .replace("```", "``")
        } else {
            text
        };
        if !may_hold_references(kind, text.as_bytes()) {
            let found = extract(kind, &text).occurrences;
            prop_assert!(found.is_empty(), "prefilter skipped {:?} holding {:?}", text, found);
        }
    }
}

/// The generators are not vacuous: each kind's lines hold references that get fixed.
#[test]
fn the_generators_hold_references_and_fixes() {
    let groovy =
        |l: &&str| l.starts_with("pipeline") || l.contains("agent {") || l.contains("sh \"");
    let shell: Vec<&str> = SHELL.iter().copied().filter(|l| !groovy(l)).collect();
    let jenkins: Vec<&str> = SHELL.iter().copied().filter(groovy).collect();
    for (kind, fragments, at_least) in [
        (FileKind::Shell, shell.as_slice(), 20),
        (FileKind::Shell, jenkins.as_slice(), 2),
        (FileKind::Makefile, MAKEFILE, 4),
        (FileKind::Env, ENV, 2),
        (FileKind::Markdown, MARKDOWN, 4),
        (FileKind::GithubActions, GITHUB, 6),
        (FileKind::GitlabCi, GITLAB, 4),
    ] {
        let text = fragments.join("\n") + "\n";
        let found = extract(kind, &text).occurrences.len();
        assert!(
            found >= at_least,
            "{kind:?}: only {found} references in\n{text}"
        );
        let (fixed, edits) = fix_once(kind, &text);
        assert!(
            !edits.is_empty() && fixed != text,
            "{kind:?}: nothing fixed"
        );
    }
}
