//! Report format `json`: one object, `{"version": 1, "findings": […], "summary": {…}}`.

use std::io::{self, Write};

use serde::Serialize;

use super::positions;
use crate::source::LineCursor;
use crate::FileResult;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    path: &'a str,
    kind: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
    image: &'a str,
    canonical: &'a str,
    message: String,
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    replacement: &'a str,
    applicability: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    byte_start: usize,
    byte_end: usize,
    content: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    findings: usize,
    fixable: usize,
}

pub fn begin(out: &mut dyn Write) -> io::Result<()> {
    write!(out, "{{\"version\": 1,\n \"findings\": [")
}

/// Each finding on a line of its own, so the document streams and diffs well.
pub fn file(out: &mut dyn Write, file: &FileResult, first: bool) -> io::Result<()> {
    let mut index = LineCursor::new(&file.file.text);
    // serde_json writes a finding in dozens of small pieces: into a Vec of its own, not
    // through `dyn Write` one piece at a time.
    let mut line = Vec::with_capacity(1024);
    for (i, f) in file.findings.iter().enumerate() {
        let (start, end) = positions(&mut index, f.span);
        let finding = JsonFinding {
            rule: f.rule,
            severity: f.severity.as_str(),
            path: &file.file.display,
            kind: file.kind.as_str(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            byte_start: f.span.start,
            byte_end: f.span.end,
            image: &f.image,
            canonical: &f.canonical,
            message: f.message(),
            fix: f.fix.as_ref().map(|fix| JsonFix {
                replacement: &fix.replacement,
                applicability: fix.applicability.as_str(),
                edits: fix
                    .edits
                    .iter()
                    .map(|e| JsonEdit {
                        byte_start: e.span.start,
                        byte_end: e.span.end,
                        content: &e.content,
                    })
                    .collect(),
            }),
        };
        line.clear();
        if !(first && i == 0) {
            line.push(b',');
        }
        line.extend_from_slice(b"\n  ");
        serde_json::to_writer(&mut line, &finding)?;
        out.write_all(&line)?;
    }
    Ok(())
}

pub fn end(out: &mut dyn Write, files_scanned: usize, counts: &super::Counts) -> io::Result<()> {
    let summary = Summary {
        files_scanned,
        findings: counts.findings,
        fixable: counts.fixable,
    };
    write!(out, "],\n \"summary\": ")?;
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out, "}}")
}
