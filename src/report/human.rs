//! Report format `human`: source snippets with labels, rendered by miette.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::check::Finding;
use crate::rules::Severity;
use crate::FileResult;

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: &'a Windowed<'a>,
}

/// A file's text as miette reads it, one window of lines at a time: miette finds a span's
/// lines by scanning from the first byte, so each snippet is cut from a window that starts a
/// few lines before the span (found through the file's line breaks, counted once), and its
/// line number is moved back by the lines left out. The output is the same as for the whole
/// text (a property test below checks it).
pub struct Windowed<'a> {
    name: &'a str,
    text: &'a str,
    /// The offset of the last byte of every line break, as miette counts them: `\n`, `\r\n`
    /// (at its `\n`) and a lone `\r`.
    breaks: Vec<usize>,
}

impl<'a> Windowed<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Windowed<'a> {
        let bytes = text.as_bytes();
        let breaks = memchr::memchr2_iter(b'\n', b'\r', bytes)
            .filter(|&at| bytes[at] == b'\n' || bytes.get(at + 1) != Some(&b'\n'))
            .collect();
        Windowed { name, text, breaks }
    }
}

impl SourceCode for Windowed<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // Line breaks before the span; the window keeps one line more than miette shows.
        let above = self.breaks.partition_point(|&at| at < span.offset());
        let skipped = above.saturating_sub(before + 1);
        let start = match skipped {
            0 => 0,
            n => self.breaks[n - 1] + 1,
        };
        let window = &self.text.as_bytes()[start..];
        let local = SourceSpan::new((span.offset() - start).into(), span.len());
        let contents = window.read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + start).into(),
                contents.span().len(),
            ),
            contents.line() + skipped,
            contents.column(),
            contents.line_count() + skipped,
        )))
    }
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
    let source = Windowed::new(&file.file.display, &file.file.text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use miette::NamedSource;
    use proptest::prelude::*;

    fn render(source: &dyn SourceCode, offset: usize, len: usize) -> String {
        let contents = source.read_span(&SourceSpan::new(offset.into(), len), 1, 1);
        match contents {
            Ok(c) => format!(
                "{:?} {:?} {} {} {}",
                std::str::from_utf8(c.data()),
                c.span(),
                c.line(),
                c.column(),
                c.line_count()
            ),
            Err(e) => format!("{e:?}"),
        }
    }

    proptest! {
        /// Every span of every text reads the same through a window as through the whole text.
        #[test]
        fn windows_read_like_the_whole_text(
            lines in prop::collection::vec(("[a-z ]{0,6}", prop::sample::select(vec!["\n", "\r\n", "\r", ""])), 0..12),
            at in 0usize..80,
            len in 0usize..8,
        ) {
            let text: String = lines.iter().map(|(l, eol)| format!("{l}{eol}")).collect();
            let offset = at.min(text.len());
            let len = len.min(text.len() - offset);
            let whole = NamedSource::new("f", text.clone());
            let windowed = Windowed::new("f", &text);
            prop_assert_eq!(render(&whole, offset, len), render(&windowed, offset, len));
        }
    }
}
