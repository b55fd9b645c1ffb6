//! Report format `github`: GitHub Actions workflow commands, which show each finding as an
//! annotation on the pull request (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::…`).

use std::io::{self, Write};

use super::positions;
use crate::rules::Severity;
use crate::source::LineCursor;
use crate::FileResult;

/// `path` is the file's path relative to the repository root, which annotations resolve against.
pub fn file(out: &mut dyn Write, file: &FileResult, path: &str) -> io::Result<()> {
    let mut index = LineCursor::new(&file.file.text);
    for finding in &file.findings {
        let (start, end) = positions(&mut index, finding.span);
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(path),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&format!("regmig {}", finding.rule)),
            data(&finding.message()),
        )?;
    }
    Ok(())
}

/// Escapes a message the way the runner's command parser expects.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: a message's escapes plus `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
