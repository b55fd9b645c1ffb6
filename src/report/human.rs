//! Report format `human`: source snippets with labels, drawn as miette draws them (by
//! `snippet` in the common case, by miette otherwise).

mod snippet;

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::check::Finding;
use crate::rules::Severity;
use crate::source::LineCursor;
use crate::FileResult;

/// One finding as miette sees it.
struct FindingDiagnostic<'a> {
    report: &'a snippet::Report<'a>,
    span: crate::source::Span,
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
        f.write_str(self.report.message)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.report.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.report.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.report.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.report.label.to_owned()),
            self.span.start,
            self.span.len(),
        ))))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.report.help?))
    }
}

fn label(finding: &Finding) -> String {
    match &finding.fix {
        Some(fix) => format!("→ {}", fix.replacement),
        None if finding.image.is_empty() => "here".to_owned(),
        None => "no destination configured".to_owned(),
    }
}

fn help(finding: &Finding) -> Option<String> {
    let fix = finding.fix.as_ref()?;
    Some(match fix.note {
        None => "fixable with `regmig fix --write`".to_owned(),
        Some(note) => format!("{} fix: {note}", fix.applicability.as_str()),
    })
}

/// The renderer, built once per run: colour only when asked, never hyperlinks.
pub struct Handler {
    miette: GraphicalReportHandler,
    theme: GraphicalTheme,
}

pub fn handler(color: bool) -> Handler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Messages wrap at spaces only: an image reference is never split across lines, however
    // long it is, so it can be copied from the terminal. Width, tabs and context are miette's
    // defaults, set here because `snippet` draws with the same.
    let miette = GraphicalReportHandler::new_themed(theme.clone())
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_width(snippet::WIDTH)
        .tab_width(snippet::TAB)
        .with_context_lines(1);
    Handler { miette, theme }
}

pub fn file(out: &mut dyn Write, file: &FileResult, handler: &Handler) -> io::Result<()> {
    let name = &file.file.display;
    let text = &file.file.text;
    // miette counts a lone `\r` as a line break, the cursor only `\n`; and in a `\r\n` file
    // every line shown holds a `\r`, which only miette draws. Either way: miette's file.
    let drawable = memchr::memchr(b'\r', text.as_bytes()).is_none();
    let mut lines = LineCursor::new(text);
    let mut windowed = None;
    // A report is about 700 bytes: room from the start, not a doubling per line.
    let mut rendered = String::with_capacity(2048);
    for finding in &file.findings {
        rendered.clear();
        let message = finding.message();
        let label = label(finding);
        let help = help(finding);
        let report = snippet::Report {
            code: finding.rule,
            severity: finding.severity,
            message: &message,
            label: &label,
            help: help.as_deref(),
        };
        let drawn = drawable && {
            let (line, line_start) = lines.line(finding.span.start);
            let place = snippet::Place {
                name,
                text,
                span: finding.span,
                line,
                line_start,
            };
            snippet::draw(&mut rendered, &handler.theme, &report, &place)
        };
        if !drawn {
            let source = windowed.get_or_insert_with(|| Windowed::new(name, text));
            let diagnostic = FindingDiagnostic {
                report: &report,
                span: finding.span,
                source,
            };
            handler
                .miette
                .render_report(&mut rendered, &diagnostic)
                .map_err(io::Error::other)?;
        }
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

    /// What miette draws for `report` at `span` of `text`, and what `snippet` draws (if it
    /// takes the case).
    fn both(
        text: &str,
        span: crate::source::Span,
        report: &snippet::Report,
        color: bool,
    ) -> (String, Option<String>) {
        let handler = handler(color);
        let source = Windowed::new("dir/file.yaml", text);
        let diagnostic = FindingDiagnostic {
            report,
            span,
            source: &source,
        };
        let mut by_miette = String::new();
        handler
            .miette
            .render_report(&mut by_miette, &diagnostic)
            .unwrap();
        let (line, line_start) = LineCursor::new(text).line(span.start);
        let place = snippet::Place {
            name: "dir/file.yaml",
            text,
            span,
            line,
            line_start,
        };
        let mut drawn = String::new();
        let taken = snippet::draw(&mut drawn, &handler.theme, report, &place);
        assert!(taken || drawn.is_empty());
        (by_miette, taken.then_some(drawn))
    }

    #[test]
    fn a_common_finding_is_drawn_as_miette_draws_it() {
        let text = "spec:\n  containers:\n\t- image: nginx:1.25 # web\n  ports: []\n";
        let start = text.find("nginx").unwrap();
        let report = snippet::Report {
            code: "docker-hub",
            severity: Severity::Error,
            message: "`nginx:1.25` is pulled from Docker Hub",
            label: "→ ghcr.io/acme/nginx:1.25",
            help: Some("fixable with `regmig fix --write`"),
        };
        for color in [false, true] {
            let span = crate::source::Span::new(start, start + 10);
            let (by_miette, drawn) = both(text, span, &report, color);
            assert_eq!(drawn.as_deref(), Some(by_miette.as_str()));
        }
    }

    /// Mostly what `snippet` takes, with the edges it leaves to miette mixed in.
    fn report_parts() -> impl Strategy<Value = (String, String, Option<String>, bool)> {
        let message = prop_oneof![
            6 => Just("`a:1` is pulled from Docker Hub".to_owned()),
            1 => Just(" lead".to_owned()),
            1 => Just("two  spaces and tail ".to_owned()),
            1 => Just("é".to_owned()),
            1 => Just("a\ttab".to_owned()),
            1 => Just("x ".repeat(97) + "y"),
            2 => Just("x".repeat(194)),
            1 => Just("x".repeat(195)),
        ];
        let label = prop_oneof![8 => "[a-z→ ]{0,6}", 1 => "[a-z]{0,2}\n[a-z]{0,2}"];
        let help = prop_oneof![
            3 => Just(None),
            3 => Just(Some("fixable with `regmig fix --write`".to_owned())),
            1 => Just(Some("h".repeat(190))),
            1 => Just(Some("h".repeat(191))),
        ];
        (message, label, help, any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Whatever `snippet` draws, miette draws the same, in colour and without.
        #[test]
        fn snippets_are_drawn_as_miette_draws_them(
            lines in prop::collection::vec(
                prop_oneof![8 => "[a-z \t]{0,9}", 2 => "[a-z]{0,2}[é\u{1b}\x0c\x7f][a-z]{0,5}"],
                1..16,
            ),
            ends_with_newline in any::<bool>(),
            at in 0usize..120,
            len in 0usize..12,
            (message, label, help, warning) in report_parts(),
            color in any::<bool>(),
        ) {
            let mut text = lines.join("\n");
            if ends_with_newline {
                text.push('\n');
            }
            let mut start = at.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let report = snippet::Report {
                code: "docker-hub",
                severity: if warning { Severity::Warning } else { Severity::Error },
                message: &message,
                label: &label,
                help: help.as_deref(),
            };
            let (by_miette, drawn) = both(&text, crate::source::Span::new(start, end), &report, color);
            if let Some(drawn) = drawn {
                prop_assert_eq!(drawn, by_miette);
            }
        }

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
