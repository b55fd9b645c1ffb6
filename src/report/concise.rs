//! Report format `concise`: `path:line:col: rule: message`, one line per finding.

use std::io::{self, Write};

use crate::source::LineCursor;
use crate::FileResult;

pub fn file(out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
    let mut index = LineCursor::new(&file.file.text);
    for finding in &file.findings {
        let at = index.position(finding.span.start);
        writeln!(
            out,
            "{}:{}:{}: {}: {}",
            file.file.display,
            at.line,
            at.column,
            finding.rule,
            finding.message()
        )?;
    }
    Ok(())
}
