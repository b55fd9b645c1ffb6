//! The text kinds (the first byte picks shell, Makefile, env or Markdown) and the shell
//! tokenizer: never panic; spans are valid; word offsets stay in the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::extract::extract;
use regmig::extract::shell::lex::{commands, Dialect};
use regmig::walk::FileKind;

const KINDS: [FileKind; 4] = [FileKind::Shell, FileKind::Makefile, FileKind::Env, FileKind::Markdown];

fuzz_target!(|input: (u8, &str)| {
    let (selector, text) = input;
    let kind = KINDS[selector as usize % KINDS.len()];
    for occurrence in extract(kind, text).occurrences {
        for (_, span) in occurrence.parts {
            assert!(span.end <= text.len() && text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
    let dialect = if selector % 2 == 0 { Dialect::Shell } else { Dialect::Make };
    for command in commands(text, dialect) {
        for word in &command.words {
            assert_eq!(word.offsets.len(), word.text.len());
            assert!(word.offsets.iter().all(|&o| o < text.len()));
        }
    }
});
