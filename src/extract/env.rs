//! Extract stage, env files (`.env`, `*.env`, `.env.*`): `NAME=value` lines (with `export`,
//! quotes and comments as the shell reads them) by the text rules for image variables and
//! `*REGISTRY` + `*REPOSITORY` pairs. Nothing else in an env file is a command.

use super::shell::lex::Dialect;
use super::shell::{scan, Collector, ToolVariables};
use super::Extraction;

pub fn extract(text: &str) -> Extraction {
    let mut found = scan(text, Dialect::Shell, &ToolVariables::new());
    // `KEY=some value` is a string to Compose, not a command to run.
    found.occurrences.clear();
    found.own_variables.clear();
    let mut collector = Collector::default();
    collector.add(found, 0);
    Extraction {
        occurrences: collector.finish(),
        errors: Vec::new(),
    }
}
