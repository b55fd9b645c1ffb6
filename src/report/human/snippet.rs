//! Report format `human`, the common case drawn directly: one label on one line of plain text
//! (ASCII and tabs), a message and help that fit the width. The drawing is miette's, byte for
//! byte (a property test in `human.rs` compares them), without its per-character passes over
//! the text, word wrapping and the allocations of its general layout; anything else is left
//! to miette.

use std::fmt::Write;

use miette::GraphicalTheme;

use crate::rules::Severity;
use crate::source::Span;

/// miette's defaults, which the handler sets explicitly so that both drawings agree.
pub const WIDTH: usize = 200;
pub const TAB: usize = 4;

/// What one finding's report shows.
pub struct Report<'a> {
    pub code: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    pub label: &'a str,
    pub help: Option<&'a str>,
}

/// Where the finding is: the file's name and text (without a `\r`, which miette counts as a
/// line break of its own), its span, the 1-based line the span starts on and where that line
/// starts.
pub struct Place<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub span: Span,
    pub line: usize,
    pub line_start: usize,
}

/// Draws `report` at `place` into `out` as miette would; false (and `out` untouched) when it
/// is not the common case.
pub fn draw(out: &mut String, theme: &GraphicalTheme, report: &Report, place: &Place) -> bool {
    let Some(lines) = shown_lines(place) else {
        return false;
    };
    let fits = |indent: usize, text: &str| {
        is_plain(text, false) && !text.starts_with(' ') && !text.ends_with(' ')
            // textwrap breaks a line only past the width, spaces included.
            && indent + text.len() <= WIDTH - 2
    };
    if !fits(4, report.message)
        || !report.help.is_none_or(|help| fits(8, help))
        || report.label.contains(['\n', '\r'])
    {
        return false;
    }
    write(out, theme, report, place, &lines);
    true
}

/// The lines miette shows around a one-line span: the one before, the span's own, the one
/// after (if any byte follows the span's line), each with its number and text.
fn shown_lines<'a>(place: &Place<'a>) -> Option<Vec<(usize, &'a str)>> {
    let text = place.text;
    let bytes = text.as_bytes();
    let span = place.span;
    let line_end = memchr::memchr(b'\n', &bytes[place.line_start..])
        .map_or(text.len(), |at| place.line_start + at);
    if span.is_empty() || span.end > line_end {
        return None;
    }
    let mut lines = Vec::with_capacity(3);
    if place.line_start > 0 {
        let above = place.line_start - 1;
        let start = memchr::memrchr(b'\n', &bytes[..above]).map_or(0, |at| at + 1);
        lines.push((place.line - 1, &text[start..above]));
    }
    lines.push((place.line, &text[place.line_start..line_end]));
    if line_end + 1 < text.len() {
        let below = line_end + 1;
        let end = memchr::memchr(b'\n', &bytes[below..]).map_or(text.len(), |at| below + at);
        lines.push((place.line + 1, &text[below..end]));
    }
    lines
        .iter()
        .all(|(_, line)| is_plain(line, true))
        .then_some(lines)
}

/// Printable ASCII (and tabs, where asked): one column a byte, as miette measures it. Every
/// byte is looked at (no early exit), so that the compiler may vectorise the loop: context
/// lines of prose run to hundreds of bytes.
fn is_plain(text: &str, tabs: bool) -> bool {
    text.bytes().fold(true, |plain, b| {
        plain & ((b' '..=b'~').contains(&b) | (tabs & (b == b'\t')))
    })
}

fn write(
    out: &mut String,
    theme: &GraphicalTheme,
    report: &Report,
    place: &Place,
    lines: &[(usize, &str)],
) {
    let chars = &theme.characters;
    let styles = &theme.styles;
    let (severity, icon) = match report.severity {
        Severity::Error => (styles.error, &chars.error),
        Severity::Warning => (styles.warning, &chars.warning),
    };
    let highlight = styles.highlights[0];
    paint(out, severity, |out| out.push_str(report.code));
    out.push_str("\n\n  ");
    paint(out, severity, |out| out.push_str(icon));
    out.push(' ');
    out.push_str(report.message);
    out.push('\n');

    let width = digits(lines.last().map_or(0, |&(number, _)| number));
    let line_text = &place.text[place.line_start..];
    let start = columns(&line_text[..place.span.start - place.line_start]);
    let end = columns(&line_text[..place.span.end - place.line_start]).max(start + 1);
    spaces(out, width + 2);
    out.push(chars.ltop);
    out.push(chars.hbar);
    out.push('[');
    paint(out, styles.link, |out| {
        let column = place.span.start - place.line_start + 1;
        let _ = write!(out, "{}:{}:{}", place.name, place.line, column);
    });
    out.push_str("]\n");
    for &(number, text) in lines {
        out.push(' ');
        paint(out, styles.linum, |out| {
            let _ = write!(out, "{number:width$}");
        });
        out.push(' ');
        out.push(chars.vbar);
        out.push(' ');
        expand_tabs(out, text);
        out.push('\n');
        if number != place.line {
            continue;
        }
        let middle = (start + end) / 2;
        gutter(out, width, chars.vbar_break);
        paint(out, highlight, |out| {
            spaces(out, start);
            out.extend(std::iter::repeat_n(chars.underline, middle - start));
            out.push(chars.underbar);
            out.extend(std::iter::repeat_n(chars.underline, end - middle - 1));
        });
        out.push('\n');
        gutter(out, width, chars.vbar_break);
        spaces(out, middle);
        paint(out, highlight, |out| {
            out.push(chars.lbot);
            out.push(chars.hbar);
            out.push(chars.hbar);
            out.push(' ');
            paint(out, highlight, |out| out.push_str(report.label));
        });
        out.push('\n');
    }
    spaces(out, width + 2);
    out.push(chars.lbot);
    out.extend(std::iter::repeat_n(chars.hbar, 4));
    out.push('\n');
    if let Some(help) = report.help {
        paint(out, styles.help, |out| out.push_str("  help: "));
        out.push_str(help);
        out.push('\n');
    }
}

/// What `draw` writes with `style`, between its escape codes (none for a plain style, as
/// owo-colors writes it for miette). Formatting into a String cannot fail.
fn paint(out: &mut String, style: owo_colors::Style, draw: impl FnOnce(&mut String)) {
    if style.is_plain() {
        return draw(out);
    }
    let _ = write!(out, "{}", style.prefix_formatter());
    draw(out);
    let _ = write!(out, "{}", style.suffix_formatter());
}

/// ` {blank line number} · `, the start of a line under a source line.
fn gutter(out: &mut String, width: usize, bar: char) {
    spaces(out, width + 2);
    out.push(bar);
    out.push(' ');
}

fn spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

fn digits(number: usize) -> usize {
    number.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// The columns `text` takes from the start of its line, tabs to the next multiple of four.
fn columns(text: &str) -> usize {
    if memchr::memchr(b'\t', text.as_bytes()).is_none() {
        return text.len();
    }
    text.bytes().fold(0, |column, b| match b {
        b'\t' => column + TAB - column % TAB,
        _ => column + 1,
    })
}

fn expand_tabs(out: &mut String, text: &str) {
    if memchr::memchr(b'\t', text.as_bytes()).is_none() {
        out.push_str(text);
        return;
    }
    let mut column = 0;
    for piece in text.split_inclusive('\t') {
        match piece.strip_suffix('\t') {
            Some(before) => {
                out.push_str(before);
                column += before.len();
                let spaces = TAB - column % TAB;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            None => out.push_str(piece),
        }
    }
}
