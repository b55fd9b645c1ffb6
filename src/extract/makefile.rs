//! Extract stage, Makefiles: variable assignments (`IMG ?= …`, `:=`, `::=`, `=`, with
//! `override` or `export`) by the text rules, and recipe lines read as shell, where `$(VAR)`
//! is Make's variable and `$$` the shell's `$`. Recipes are scanned in a copy of the file
//! with everything else blanked out, so offsets need no mapping.

use super::shell::assign::{Assignment, Literal, Value};
use super::shell::embed::OffsetMap;
use super::shell::lex::{single_word, Dialect};
use super::shell::{scan, Collector, ToolVariables};
use super::Extraction;
use crate::source::Span;

/// Make directives that look like neither an assignment nor a rule.
const DIRECTIVES: &[&str] = &[
    "ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "include", "-include", "sinclude",
    "vpath", "unexport", "$(",
];

pub fn extract(text: &str) -> Extraction {
    let mut view: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    let mut assignments = Vec::new();
    let mut tools = ToolVariables::new();
    let mut state = State::default();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        state.line(text, start, end, &mut view, &mut assignments, &mut tools);
        start += line.len();
    }
    // The view keeps recipe bytes and blanks every other byte to a space: still UTF-8.
    let view = String::from_utf8(view).unwrap_or_default();
    let mut collector = Collector::default();
    collector.add(scan(&view, Dialect::Make, &tools), 0);
    for assignment in assignments {
        collector.assignment(assignment);
    }
    Extraction {
        occurrences: collector.finish(),
        errors: Vec::new(),
    }
}

#[derive(Default)]
struct State {
    seen_rule: bool,
    in_define: bool,
    /// The previous recipe line ended with `\`.
    recipe_continues: bool,
    /// The previous Make line ended with `\`.
    make_continues: bool,
}

impl State {
    fn line(
        &mut self,
        text: &str,
        start: usize,
        end: usize,
        view: &mut [u8],
        assignments: &mut Vec<Assignment>,
        tools: &mut ToolVariables,
    ) {
        let line = &text[start..end];
        let continues = line.ends_with('\\');
        if self.recipe_continues {
            view[start..end].copy_from_slice(line.as_bytes());
            self.recipe_continues = continues;
            return;
        }
        if self.make_continues {
            self.make_continues = continues;
            return;
        }
        let trimmed = line.trim_start();
        if self.in_define {
            self.in_define = !trimmed.starts_with("endef");
            return;
        }
        if line.starts_with('\t') && self.seen_rule {
            let body = start + 1;
            view[body..end].copy_from_slice(&line.as_bytes()[1..]);
            // `@`, `-` and `+` before a recipe line are Make's, not the shell's.
            for byte in &mut view[body..end] {
                match byte {
                    b'@' | b'-' | b'+' | b' ' | b'\t' => *byte = b' ',
                    _ => break,
                }
            }
            self.recipe_continues = continues;
            return;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        self.make_continues = continues;
        if trimmed.starts_with("define ") || trimmed == "define" {
            self.in_define = true;
            return;
        }
        let statement = end - trimmed.len();
        if let Some(assignment) = assignment(text, statement, end) {
            if let Some(tool) = assignment
                .value
                .literal
                .as_ref()
                .map(|l| l.text.as_str())
                .filter(|v| ["docker", "podman", "nerdctl"].contains(v))
            {
                tools.insert(assignment.name.clone(), tool.to_owned());
            }
            assignments.push(assignment);
            return;
        }
        if DIRECTIVES.iter().any(|d| trimmed.starts_with(d)) {
            return;
        }
        if let Some(colon) = trimmed.find(':') {
            self.seen_rule = true;
            // `target: prerequisites ; recipe`
            if let Some(semicolon) = trimmed[colon..].find(';') {
                let recipe = statement + colon + semicolon + 1;
                view[recipe..end].copy_from_slice(&text.as_bytes()[recipe..end]);
            }
        }
    }
}

/// `[override|export] NAME ?= value`, with the operator `=`, `:=`, `::=`, `:::=` or `?=`.
fn assignment(text: &str, statement: usize, end: usize) -> Option<Assignment> {
    let line = &text[statement..end];
    let mut rest = line;
    for keyword in ["override ", "export ", "private "] {
        if let Some(after) = rest.strip_prefix(keyword) {
            rest = after.trim_start();
        }
    }
    let eq = rest.find('=')?;
    let before = &rest[..eq];
    let operator_len = ["?", ":::", "::", ":"]
        .iter()
        .find(|op| before.ends_with(*op))
        .map_or(0, |op| op.len());
    if before.ends_with('+') || before.ends_with('!') {
        return None;
    }
    let name = before[..eq - operator_len].trim_end();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_name {
        return None;
    }
    let value_start = end - rest.len() + eq + 1;
    let raw = &text[value_start..end];
    let value = raw.trim_start();
    let value_start = value_start + (raw.len() - value.len());
    // A `#` starts a comment unless escaped.
    let value = match value.find('#') {
        Some(i) if !value[..i].ends_with('\\') => &value[..i],
        _ => value,
    }
    .trim_end();
    let mut found = match single_word(value, Dialect::Make) {
        Some(word) => Value::of_word(&word, statement, value),
        None if value.is_empty() => Value {
            reference: None,
            literal: Some(Literal {
                text: String::new(),
                span: Span::new(0, 0),
                blocker: None,
            }),
        },
        None => return None,
    };
    found.map(&OffsetMap::Shift(value_start), value, text);
    if let Some((occurrence, _)) = &mut found.reference {
        occurrence.statement = statement;
    }
    Some(Assignment {
        name: name.to_owned(),
        statement,
        block: 0,
        value: found,
    })
}
