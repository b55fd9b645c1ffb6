//! The Dockerfile scanner: never panics; every span lies on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::extract::extract;
use regmig::walk::FileKind;

fuzz_target!(|text: &str| {
    for occurrence in extract(FileKind::Dockerfile, text).occurrences {
        for (_, span) in occurrence.parts {
            assert!(span.end <= text.len() && text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
});
