//! Report format `sarif`: SARIF 2.1.0 for GitHub code scanning and other consumers — the rules
//! with their descriptions and help from `rules/*.toml`, results with 1-based regions (and byte
//! offsets), and fixes as artifact changes.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::positions;
use crate::check::Finding;
use crate::rules::{builtin, Rule, Severity};
use crate::source::LineIndex;
use crate::{FileResult, Report};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/regmig/regmig";

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let rules = &builtin().rules;
    let mut results = Vec::new();
    for file in &report.files {
        let index = LineIndex::new(&file.file.text);
        for finding in &file.findings {
            results.push(result(file, finding, &index, rules));
        }
    }
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
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The directory regmig ran in."}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
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

fn result(file: &FileResult, finding: &Finding, index: &LineIndex<'_>, rules: &[Rule]) -> Value {
    let (start, end) = positions(index, finding.span);
    let location = json!({"uri": file.file.display, "uriBaseId": "SRCROOT"});
    let mut result = json!({
        "ruleId": finding.rule,
        "ruleIndex": rules.iter().position(|r| r.id == finding.rule).unwrap_or(0),
        "level": level(finding.severity),
        "message": {"text": sentence(&finding.message)},
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
