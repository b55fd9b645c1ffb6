//! The YAML-family extractors (the first byte picks the kind): never panic; spans are valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::extract::extract;
use regmig::walk::FileKind;

const KINDS: [FileKind; 9] = [
    FileKind::Kubernetes,
    FileKind::HelmValues,
    FileKind::HelmTemplate,
    FileKind::HelmChart,
    FileKind::Kustomize,
    FileKind::Compose,
    FileKind::GithubActions,
    FileKind::GitlabCi,
    FileKind::TerraformJson,
];

fuzz_target!(|input: (u8, &str)| {
    let (selector, text) = input;
    let kind = KINDS[selector as usize % KINDS.len()];
    for occurrence in extract(kind, text).occurrences {
        for (_, span) in occurrence.parts {
            assert!(span.end <= text.len() && text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
});
