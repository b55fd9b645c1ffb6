//! Extract stage, Jenkinsfiles (Groovy, which shares the shell kind): `image '…'` in
//! `agent { docker { … } }`, `docker.image('…')`, `containerTemplate(image: '…')`,
//! `docker.build('…')` (an own image), the `image:` lines of a Kubernetes agent's `yaml`, and
//! `sh '…'` / `sh """…"""` bodies read as shell. Groovy strings are decoded with each byte's
//! offset, so a reference written without escapes is edited in place.

use super::embed::OffsetMap;
use super::lex::{single_word, Dialect};
use super::{refs, scan, Collector, ToolVariables};
use crate::extract::{helm, Occurrence, Role};

/// Lines that only a Groovy pipeline starts with.
const GROOVY_STARTS: &[&str] = &[
    "pipeline {",
    "pipeline{",
    "node {",
    "node{",
    "node(",
    "@Library",
    "stage(",
    "stage (",
    "podTemplate(",
    "def ",
];

/// Whether a file of the shell kind is a Jenkinsfile rather than a script.
pub fn is_groovy(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.clone().next().is_some_and(|l| l.starts_with("#!")) {
        return false;
    }
    lines.any(|l| GROOVY_STARTS.iter().any(|s| l.starts_with(s)))
}

#[derive(Debug)]
enum Token {
    Ident(usize, usize),
    Punct(u8),
    Str(GroovyString),
}

/// A string literal, decoded, with the file offset of each byte.
#[derive(Debug)]
struct GroovyString {
    text: String,
    offsets: Vec<usize>,
}

pub fn extract(text: &str) -> Vec<Occurrence> {
    let tokens = tokenize(text);
    let mut collector = Collector::default();
    let tools = ToolVariables::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Str(string) = token else {
            continue;
        };
        let Some((callee, callee_start)) = callee(text, &tokens[..i]) else {
            continue;
        };
        match callee {
            "image" => {
                if let Some(o) = reference(string, callee_start, Role::Pull, text) {
                    collector.occurrence(o);
                }
            }
            "build" if docker_receiver(text, &tokens[..i]) => {
                if let Some(o) = reference(string, callee_start, Role::Named, text) {
                    collector.occurrence(o);
                }
            }
            "yaml" => {
                // The Kubernetes agent's pod: its `image:` lines are pulled.
                let map = OffsetMap::Table(string.offsets.clone());
                for occurrence in helm::template(&string.text).occurrences {
                    collector.occurrence(map.occurrence(occurrence, &string.text, text));
                }
            }
            "sh" => {
                let found = scan(&string.text, Dialect::Shell, &tools);
                let map = OffsetMap::Table(string.offsets.clone());
                let block = collector.block();
                collector.add(found.mapped(&map, &string.text, text), block);
            }
            _ => {}
        }
    }
    collector.finish()
}

/// The name called with the string at the end of `before`: `image 'x'`, `image('x')`,
/// `containerTemplate(image: 'x')`, `sh(script: 'x')`; and where that name starts.
fn callee<'t>(text: &'t str, before: &[Token]) -> Option<(&'t str, usize)> {
    let mut rest = before.iter().rev();
    let mut token = rest.next()?;
    if let Token::Punct(b':') = token {
        // A named argument: `image: '…'`, or `script: '…'` of an `sh` step only (`bat` and
        // `powershell` take one too).
        let Some(Token::Ident(s, e)) = rest.next() else {
            return None;
        };
        return match &text[*s..*e] {
            "image" => Some(("image", *s)),
            "script" if step_of_named_argument(text, &before[..before.len() - 2]) == Some("sh") => {
                Some(("sh", *s))
            }
            _ => None,
        };
    }
    if let Token::Punct(b'(') = token {
        token = rest.next()?;
    }
    match token {
        Token::Ident(s, e) => Some((&text[*s..*e], *s)),
        _ => None,
    }
}

/// The step a named argument belongs to: the nearest step name before it in the same call.
fn step_of_named_argument<'t>(text: &'t str, before: &[Token]) -> Option<&'t str> {
    for token in before.iter().rev().take(16) {
        match token {
            Token::Ident(s, e) => {
                let name = &text[*s..*e];
                if matches!(name, "sh" | "bat" | "powershell" | "pwsh") {
                    return Some(name);
                }
            }
            Token::Punct(b'{' | b'}' | b';') => return None,
            _ => {}
        }
    }
    None
}

/// Whether the string is the argument of `docker.<name>(`.
fn docker_receiver(text: &str, before: &[Token]) -> bool {
    matches!(
        before,
        [.., Token::Ident(s, e), Token::Punct(b'.'), Token::Ident(..), Token::Punct(b'(')]
            if &text[*s..*e] == "docker"
    )
}

fn reference(
    string: &GroovyString,
    statement: usize,
    role: Role,
    file: &str,
) -> Option<Occurrence> {
    let word = single_word(&string.text, Dialect::Shell)?;
    if word.quoted || word.text.len() != string.text.len() {
        return None;
    }
    let found = refs::occurrence(&word, 0, role, &string.text)?;
    let map = OffsetMap::Table(string.offsets.clone());
    let mut occurrence = map.occurrence(found, &string.text, file);
    occurrence.statement = statement;
    Some(occurrence)
}

fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            i += bytes[i..]
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(bytes.len() - i);
        } else if bytes[i..].starts_with(b"/*") {
            i += memchr::memmem::find(&bytes[i + 2..], b"*/").map_or(bytes.len() - i, |e| e + 4);
        } else if b == b'\'' || b == b'"' {
            let (string, end) = string_literal(text, i);
            tokens.push(Token::Str(string));
            i = end;
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token::Ident(start, i));
        } else {
            tokens.push(Token::Punct(b));
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    tokens
}

/// The string literal opening at `start` (`'…'`, `"…"`, `'''…'''`, `"""…"""`) and where it
/// ends. `${…}` interpolations are kept as written.
fn string_literal(text: &str, start: usize) -> (GroovyString, usize) {
    let bytes = text.as_bytes();
    let quote = bytes[start];
    let triple = bytes[start..].starts_with(&[quote; 3]);
    let delimiter: &[u8] = if triple {
        &bytes[start..start + 3]
    } else {
        &bytes[start..start + 1]
    };
    let mut i = start + delimiter.len();
    let mut out = GroovyString {
        text: String::new(),
        offsets: Vec::new(),
    };
    while i < bytes.len() {
        if bytes[i..].starts_with(delimiter) {
            return (out, i + delimiter.len());
        }
        if !triple && bytes[i] == b'\n' {
            break;
        }
        let c = text[i..].chars().next().unwrap_or('\u{fffd}');
        if c == '\\' {
            // An escape: the decoded bytes all point at the escaped character, so a
            // reference across it is not verbatim.
            let next = text[i + 1..].chars().next();
            let decoded = match next {
                Some('n') => "\n".to_owned(),
                Some('t') => "\t".to_owned(),
                Some('\n') => String::new(),
                Some(other) => other.to_string(),
                None => "\\".to_owned(),
            };
            out.text.push_str(&decoded);
            out.offsets
                .extend(std::iter::repeat_n(i + 1, decoded.len()));
            i += 1 + next.map_or(0, char::len_utf8);
            continue;
        }
        let end = if quote == b'"' && bytes[i..].starts_with(b"${") {
            interpolation_end(bytes, i + 2)
        } else {
            i + c.len_utf8()
        };
        out.text.push_str(&text[i..end]);
        out.offsets.extend(i..end);
        i = end;
    }
    (out, i)
}

/// The offset just after the `}` closing an interpolation whose body starts at `from`.
fn interpolation_end(bytes: &[u8], from: usize) -> usize {
    let mut level = 1;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => level += 1,
            b'}' => {
                level -= 1;
                if level == 0 {
                    return i + 1;
                }
            }
            b'\n' => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}
