//! Report format `gitlab`: a GitLab Code Quality report (the subset of the Code Climate issue
//! format that GitLab reads): a JSON array of `{description, check_name, fingerprint,
//! severity, location: {path, lines: {begin, end}}}`, paths relative to the repository root.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::positions;
use crate::rules::Severity;
use crate::source::LineCursor;
use crate::FileResult;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

pub fn begin(out: &mut dyn Write) -> io::Result<()> {
    write!(out, "[")
}

/// Writes the findings of `file` that `keep` selects (all without it). Fingerprints are
/// counted over every finding, so a finding keeps its fingerprint whether or not a filter
/// such as `--new-since` hides its neighbours.
pub fn file(
    out: &mut dyn Write,
    file: &FileResult,
    path: &str,
    keep: Option<&[bool]>,
    first: bool,
) -> io::Result<()> {
    let mut index = LineCursor::new(&file.file.text);
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    let mut first = first;
    for (i, finding) in file.findings.iter().enumerate() {
        let ordinal = seen.entry((finding.rule, &finding.image)).or_insert(0);
        let fingerprint = fingerprint(finding.rule, path, &finding.image, *ordinal);
        *ordinal += 1;
        if keep.is_some_and(|keep| !keep[i]) {
            continue;
        }
        let (start, end) = positions(&mut index, finding.span);
        let issue = Issue {
            description: finding.message(),
            check_name: finding.rule,
            fingerprint,
            severity: severity(finding.severity),
            location: Location {
                path,
                lines: Lines {
                    begin: start.line,
                    end: end.line,
                },
            },
        };
        let separator = if first { "" } else { "," };
        first = false;
        write!(out, "{separator}\n  ")?;
        serde_json::to_writer(&mut *out, &issue)?;
    }
    Ok(())
}

pub fn end(out: &mut dyn Write, empty: bool) -> io::Result<()> {
    if empty {
        writeln!(out, "]")
    } else {
        writeln!(out, "\n]")
    }
}

/// Errors fail the pipeline in regmig, so they rank above warnings in the merge request.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
    }
}

/// Identifies a finding across runs without its line number, so an edit above it does not
/// make GitLab see it as fixed and new again: the rule, the root-relative path, the reference
/// as written, and which of the identical ones in the file it is.
fn fingerprint(rule: &str, path: &str, image: &str, ordinal: usize) -> String {
    let mut hash = Fnv128::default();
    // The rule last: FNV spreads a difference only into later bytes' mixing.
    for part in [&ordinal.to_string(), image, path, rule] {
        hash.write(part.as_bytes());
        hash.write(&[0]);
    }
    format!("{:032x}", hash.0)
}

/// FNV-1a, 128 bits: stable across Rust releases and platforms (unlike `std`'s hashers), and
/// as wide as the MD5 fingerprints GitLab's own analyzers emit.
struct Fnv128(u128);

impl Default for Fnv128 {
    fn default() -> Fnv128 {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }
}

impl Fnv128 {
    const PRIME: u128 = 0x0000000001000000000000000000013b;

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // The published FNV-1a 128-bit test vectors.
        let hash = |text: &str| {
            let mut h = Fnv128::default();
            h.write(text.as_bytes());
            format!("{:032x}", h.0)
        };
        assert_eq!(hash(""), "6c62272e07bb014262b821756295c58d");
        assert_eq!(hash("a"), "d228cb696f1a8caf78912b704e4a8964");
    }

    #[test]
    fn fingerprints_separate_every_part() {
        let base = fingerprint("docker-hub", "Dockerfile", "nginx", 0);
        assert_eq!(base.len(), 32);
        assert_eq!(base, fingerprint("docker-hub", "Dockerfile", "nginx", 0));
        for other in [
            fingerprint("mapped-image", "Dockerfile", "nginx", 0),
            fingerprint("docker-hub", "a/Dockerfile", "nginx", 0),
            fingerprint("docker-hub", "Dockerfile", "nginx:1", 0),
            fingerprint("docker-hub", "Dockerfile", "nginx", 1),
            fingerprint("docker-hub", "Dockerfil", "enginx", 0),
        ] {
            assert_ne!(base, other);
        }
    }
}
