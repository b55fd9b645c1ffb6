//! The Terraform extractor (`.tf` or `.tfvars` by the first byte): never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::extract::extract;
use regmig::walk::FileKind;

fuzz_target!(|input: (bool, &str)| {
    let (vars, text) = input;
    let kind = if vars { FileKind::TerraformVars } else { FileKind::Terraform };
    for occurrence in extract(kind, text).occurrences {
        for (_, span) in occurrence.parts {
            assert!(span.end <= text.len() && text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
});
