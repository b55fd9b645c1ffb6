//! Report format `human`: source snippets with labels, rendered by miette.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use crate::check::Finding;
use crate::rules::Severity;
use crate::FileResult;

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: &'a NamedSource<String>,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message())
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message())
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.finding.span;
        let label = match &self.finding.fix {
            Some(fix) => format!("→ {}", fix.replacement),
            None if self.finding.image.is_empty() => "here".to_owned(),
            None => "no destination configured".to_owned(),
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            span.start,
            span.len(),
        ))))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let fix = self.finding.fix.as_ref()?;
        Some(Box::new(match fix.note {
            None => "fixable with `regmig fix --write`".to_owned(),
            Some(note) => format!("{} fix: {note}", fix.applicability.as_str()),
        }))
    }
}

/// The renderer, built once per run: colour only when asked, never hyperlinks.
pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Messages wrap at spaces only: an image reference is never split across lines, however
    // long it is, so it can be copied from the terminal.
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

pub fn file(
    out: &mut dyn Write,
    file: &FileResult,
    handler: &GraphicalReportHandler,
) -> io::Result<()> {
    let source = NamedSource::new(&file.file.display, file.file.text.clone());
    for finding in &file.findings {
        let diagnostic = FindingDiagnostic {
            finding,
            source: &source,
        };
        let mut rendered = String::new();
        handler
            .render_report(&mut rendered, &diagnostic)
            .map_err(io::Error::other)?;
        writeln!(out, "{rendered}")?;
    }
    Ok(())
}
