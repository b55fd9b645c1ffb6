//! The YAML fast path: whenever it accepts a file, its documents equal saphyr's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::extract::yaml::{parse_fast, parse_stream_full};

fuzz_target!(|text: &str| {
    if let Some(fast) = parse_fast(text) {
        let mut full = Vec::new();
        let result = parse_stream_full(text, |doc| full.push(doc.clone()));
        assert!(result.is_ok(), "fast path accepted what saphyr rejects");
        assert_eq!(fast, full);
    }
});
