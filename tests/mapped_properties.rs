//! Property tests for the search of mapped references in any text (docs prose, code, JSON,
//! notebooks): it never panics, never reports inside a URL or a filesystem path, every edit
//! replaces exactly one whole reference token, and fixing twice equals fixing once.

use std::path::Path;

use proptest::prelude::*;
use regmig::check::Checker;
use regmig::extract::extract_all;
use regmig::extract::mapped::MappedSearch;
use regmig::rewrite::Rewriter;
use regmig::walk::FileKind;
use regmig::{config, fix, rules};

const CONFIG: &str = "[[map]]\nfrom = \"bitnami/*\"\nto = \"bitnamilegacy/*\"\n\
                      [[map]]\nfrom = \"kubeflowkatib/*\"\nto = \"ghcr.io/kubeflow/katib/*\"\n\
                      [[map]]\nfrom = \"quay.io/old-org/*\"\nto = \"ghcr.io/new-org/*\"\n";

const PIECES: &[&str] = &[
    "see https://hub.docker.com/r/bitnami/redis for tags",
    "http://example.com/kubeflowkatib/katib-ui:v1",
    "data lives in /opt/bitnami/redis and ./bitnami/cache",
    "~/bitnami/redis",
    "use bitnami/redis:7.2 or docker.io/bitnami/nginx.",
    "edit bitnami/redis/values.yaml first",
    "helm install db bitnami/postgresql",
    "\"image\": \"bitnami/kubectl:1.29\\n\"",
    "x = `kubeflowkatib/katib-controller:v0.17.0`",
    "(quay.io/old-org/tools:1), [bitnami/git:2] {kubeflowkatib/ui}",
    "image:bitnami/os-shell:12",
    "localhost:5000/bitnami/redis",
    "github.com/bitnami/charts",
    "xbitnami/redis bitnami/ bitnami",
    "é bitnami/é ünï kubeflowkatib/ü",
    "bitnami/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    " ",
    "\t",
    "\n",
    "\r\n",
    ":",
    "/",
    "\\",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(PIECES).prop_map(str::to_owned),
            "[a-z/:.@ -]{0,12}",
        ],
        0..24,
    )
    .prop_map(|pieces| pieces.concat())
}

/// Characters that end a token (DESIGN.md §4, mapped references anywhere).
fn delimits(c: char) -> bool {
    c.is_whitespace() || "\"'`\\=,;()[]{}<>|".contains(c)
}

/// URL and path stretches of `text`: from a scheme (`https://`) or a token starting with `/`,
/// `./` or `~/`, to the end of the token.
fn protected(text: &str) -> Vec<(usize, usize)> {
    let end_of_token = |from: usize| {
        text[from..]
            .char_indices()
            .find(|&(_, c)| delimits(c))
            .map_or(text.len(), |(i, _)| from + i)
    };
    let mut out = Vec::new();
    for (at, _) in text.match_indices("://") {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_ascii_alphanumeric() || "+.-".contains(c))
            .last()
            .map_or(at, |(i, _)| i);
        out.push((start, end_of_token(at)));
    }
    for (at, c) in text.char_indices() {
        let token_start = text[..at].chars().next_back().is_none_or(delimits);
        let rest = &text[at..];
        if token_start && (c == '/' || rest.starts_with("./") || rest.starts_with("~/")) {
            out.push((at, end_of_token(at)));
        }
    }
    out
}

fn with_search<T>(f: impl FnOnce(&config::Config, Option<&MappedSearch>) -> T) -> T {
    let config = config::parse(CONFIG, Path::new("regmig.toml"), rules::builtin()).unwrap();
    let search = MappedSearch::new(regmig::mapped_prefixes(&config));
    f(&config, search.as_ref())
}

/// The text after one `fix`, and the edits made.
fn fix_once(text: &str) -> (String, Vec<regmig::rewrite::Edit>) {
    with_search(|config, search| {
        let rules = rules::builtin();
        let rewriter = Rewriter::new(config, rules).unwrap();
        let checker = Checker {
            config,
            rules,
            rewriter: &rewriter,
        };
        let extraction = extract_all(FileKind::Text, text, search);
        let findings = checker.check(FileKind::Text, text, extraction);
        let patched = fix::apply(text, &findings, false);
        let edits = patched
            .applied
            .iter()
            .flat_map(|&i| findings[i].fix.as_ref().unwrap().edits.clone())
            .collect();
        (patched.text, edits)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_inside_a_url_or_a_path(text in text()) {
        let found = with_search(|_, search| extract_all(FileKind::Text, &text, search).occurrences);
        let protected = protected(&text);
        for occurrence in found {
            let span = occurrence.location();
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            prop_assert!(
                !protected.iter().any(|&(s, e)| span.start < e && s < span.end),
                "{:?} reported inside a URL or path in {:?}",
                &text[span.start..span.end],
                text
            );
        }
    }

    #[test]
    fn edits_replace_whole_reference_tokens(text in text()) {
        let (fixed, mut edits) = fix_once(&text);
        edits.sort();
        let mut rebuilt = String::new();
        let mut cursor = 0;
        for edit in &edits {
            let replaced = &text[edit.span.start..edit.span.end];
            prop_assert!(regmig::reference::ImageRef::parse(replaced).is_ok(), "{:?}", replaced);
            let before = text[..edit.span.start].chars().next_back();
            let after = text[edit.span.end..].chars().next();
            let joins = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/');
            prop_assert!(!joins(before) && !joins(after), "{:?} is part of a longer word", replaced);
            rebuilt.push_str(&text[cursor..edit.span.start]);
            rebuilt.push_str(&edit.content);
            cursor = edit.span.end;
        }
        rebuilt.push_str(&text[cursor..]);
        prop_assert_eq!(fixed, rebuilt);
    }

    #[test]
    fn fixing_twice_equals_fixing_once(text in text()) {
        let (once, _) = fix_once(&text);
        let (twice, edits) = fix_once(&once);
        prop_assert!(edits.is_empty(), "second pass edited {:?}", edits);
        prop_assert_eq!(once, twice);
    }
}
