//! Check and fix under a target: edits replace references only, the result verifies, and a
//! second fix changes nothing.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use regmig::check::Checker;
use regmig::extract::extract;
use regmig::rewrite::Rewriter;
use regmig::walk::FileKind;
use regmig::{config, fix, rules};

const KINDS: [FileKind; 9] = [
    FileKind::Dockerfile,
    FileKind::Kubernetes,
    FileKind::HelmValues,
    FileKind::Compose,
    FileKind::Terraform,
    FileKind::Shell,
    FileKind::Makefile,
    FileKind::Env,
    FileKind::Markdown,
];

fn fix_once(kind: FileKind, text: &str) -> (String, usize) {
    let rules = rules::builtin();
    let config = config::parse(
        "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n",
        Path::new("regmig.toml"),
        rules,
    )
    .unwrap();
    let rewriter = Rewriter::new(&config, rules).unwrap();
    let checker = Checker { config: &config, rules, rewriter: &rewriter };
    let extraction = extract(kind, text);
    let baseline = fix::Baseline::of(&extraction);
    let findings = checker.check(kind, text, extraction);
    let patched = fix::apply(text, &findings, true);
    if !patched.applied.is_empty() {
        fix::verify(kind, &baseline, &patched, &findings).expect("a fix verifies");
    }
    (patched.text, patched.applied.len())
}

fuzz_target!(|input: (u8, &str)| {
    let (selector, text) = input;
    let kind = KINDS[selector as usize % KINDS.len()];
    let (once, _) = fix_once(kind, text);
    let (twice, applied) = fix_once(kind, &once);
    assert_eq!(applied, 0);
    assert_eq!(once, twice);
});
