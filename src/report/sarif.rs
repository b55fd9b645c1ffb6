//! Report format `sarif`: SARIF 2.1.0 for GitHub code scanning and other consumers — the rules
//! with their descriptions and help from `rules/*.toml`, results with 1-based regions (and byte
//! offsets), and fixes as artifact changes.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::positions;
use crate::check::Finding;
use crate::rules::{builtin, Rule, Severity};
use crate::source::LineCursor;
use crate::FileResult;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/regmig/regmig";

/// Stands for the results array while the document around it is serialised.
const RESULTS: &str = "@@regmig-results@@";

/// The SARIF document around its results, split where the results go.
fn frame() -> (String, String) {
    let rules = &builtin().rules;
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "regmig",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules.iter().map(descriptor).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The repository root (the git top level, else the directory of regmig.toml)."}}},
            "columnKind": "unicodeCodePoints",
            "results": RESULTS,
        }],
    });
    let text = serde_json::to_string_pretty(&document).expect("SARIF frame serialises");
    let marker = format!("\"{RESULTS}\"");
    let (head, tail) = text.split_once(&marker).expect("marker present");
    (head.to_owned(), tail.to_owned())
}

pub fn begin(out: &mut dyn Write) -> io::Result<()> {
    write!(out, "{}[", frame().0)
}

/// `path` is the file's path relative to the repository root (`SRCROOT`).
pub fn file(out: &mut dyn Write, file: &FileResult, path: &str, first: bool) -> io::Result<()> {
    let rules = &builtin().rules;
    let mut index = LineCursor::new(&file.file.text);
    for (i, finding) in file.findings.iter().enumerate() {
        let separator = if first && i == 0 { "" } else { "," };
        writeln!(out, "{separator}")?;
        serde_json::to_writer(&mut *out, &result(path, finding, &mut index, rules))?;
    }
    Ok(())
}

pub fn end(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "]{}", frame().1)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `docker-hub` → `DockerHub`: SARIF rule names are identifiers.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn descriptor(rule: &Rule) -> Value {
    let first_paragraph = rule
        .explanation
        .split("\n\n")
        .find(|p| !p.trim_start().starts_with('#'))
        .unwrap_or(&rule.summary);
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": {"text": sentence(&rule.summary)},
        "fullDescription": {"text": sentence(&first_paragraph.replace('\n', " "))},
        "help": {"text": rule.explanation.trim(), "markdown": rule.explanation.trim()},
        "helpUri": format!("{INFORMATION_URI}/blob/main/rules/README.md#{}", rule.id),
        "defaultConfiguration": {"level": level(rule.severity)},
    })
}

fn result(path: &str, finding: &Finding, index: &mut LineCursor<'_>, rules: &[Rule]) -> Value {
    let (start, end) = positions(index, finding.span);
    let location = json!({"uri": path, "uriBaseId": "SRCROOT"});
    let mut result = json!({
        "ruleId": finding.rule,
        "ruleIndex": rules.iter().position(|r| r.id == finding.rule).unwrap_or(0),
        "level": level(finding.severity),
        "message": {"text": sentence(&finding.message())},
        "locations": [{"physicalLocation": {
            "artifactLocation": location,
            "region": {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
                "byteOffset": finding.span.start,
                "byteLength": finding.span.len(),
            },
        }}],
    });
    if let Some(fix) = &finding.fix {
        result["fixes"] = json!([{
            "description": {"text": format!("Use {} ({} fix).", fix.replacement, fix.applicability.as_str())},
            "artifactChanges": [{
                "artifactLocation": location,
                "replacements": fix.edits.iter().map(|edit| json!({
                    "deletedRegion": {"byteOffset": edit.span.start, "byteLength": edit.span.len()},
                    "insertedContent": {"text": edit.content},
                })).collect::<Vec<_>>(),
            }],
        }]);
    }
    result
}
