//! Fix stage: splice non-overlapping edits into the original bytes, re-extract to verify that
//! only the intended references changed, and write atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::check::Finding;
use crate::extract::mapped::MappedSearch;
use crate::extract::{extract_all, Extraction};
use crate::rewrite::Edit;
use crate::walk::FileKind;

/// The result of applying a file's fixes in memory.
#[derive(Debug)]
pub struct Patched {
    pub text: String,
    /// Indices (into the findings) of the fixes applied.
    pub applied: Vec<usize>,
}

/// Applies every fixable finding's edits, in order, skipping a fix that overlaps one already
/// taken (an identical edit counts as taken). Linear in the number of edits, up to a log.
pub fn apply(text: &str, findings: &[Finding], allow_unsafe: bool) -> Patched {
    let mut order: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].is_fixable(allow_unsafe))
        .collect();
    order.sort_by_key(|&i| {
        findings[i]
            .fix
            .as_ref()
            .and_then(|f| f.edits.first())
            .map(|e| e.span)
    });
    // Accepted edits by start offset.
    let mut taken: BTreeMap<usize, &Edit> = BTreeMap::new();
    let mut applied = Vec::new();
    for i in order {
        let edits = &findings[i].fix.as_ref().expect("fixable").edits;
        let duplicate = edits
            .iter()
            .all(|e| taken.get(&e.span.start).is_some_and(|t| *t == e));
        if duplicate {
            applied.push(i);
        } else if !edits.iter().any(|e| overlaps_taken(&taken, e)) {
            for edit in edits {
                taken.insert(edit.span.start, edit);
            }
            applied.push(i);
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for edit in taken.values() {
        out.push_str(&text[cursor..edit.span.start]);
        out.push_str(&edit.content);
        cursor = edit.span.end;
    }
    out.push_str(&text[cursor..]);
    applied.sort_unstable();
    Patched { text: out, applied }
}

/// Whether `edit` overlaps an accepted edit: only the neighbours by start offset can.
fn overlaps_taken(taken: &BTreeMap<usize, &Edit>, edit: &Edit) -> bool {
    let before = taken.range(..=edit.span.start).next_back();
    let after = taken.range(edit.span.start..).next();
    [before, after]
        .into_iter()
        .flatten()
        .any(|(_, t)| t.span.overlaps(&edit.span))
}

/// What a file held before fixing, taken from the check's own extraction so the file is not
/// extracted twice: each reference's canonical name, and how many parse errors there were.
#[derive(Debug)]
pub struct Baseline {
    canonicals: Vec<String>,
    errors: usize,
}

impl Baseline {
    pub fn of(extraction: &Extraction) -> Baseline {
        Baseline {
            canonicals: extraction
                .occurrences
                .iter()
                .map(|o| o.image.canonical())
                .collect(),
            errors: extraction.errors.len(),
        }
    }
}

/// Re-extracts the patched text and checks that every reference is where it was, that the
/// fixed ones now read as their destinations and that nothing else changed.
pub fn verify(
    kind: FileKind,
    before: &Baseline,
    after: &Patched,
    findings: &[Finding],
) -> Result<(), String> {
    verify_with(kind, None, before, after, findings)
}

/// [`verify`] for a run that also searched for mapped references.
pub fn verify_with(
    kind: FileKind,
    mapped: Option<&MappedSearch>,
    before: &Baseline,
    after: &Patched,
    findings: &[Finding],
) -> Result<(), String> {
    let new = extract_all(kind, &after.text, mapped);
    if new.errors.len() > before.errors {
        return Err(format!(
            "the edited file no longer parses: {}",
            new.errors[0].message
        ));
    }
    if new.occurrences.len() != before.canonicals.len() {
        return Err(format!(
            "the edited file holds {} references instead of {}",
            new.occurrences.len(),
            before.canonicals.len()
        ));
    }
    let mut expected = before.canonicals.clone();
    for &i in &after.applied {
        let finding = &findings[i];
        let (Some(index), Some(destination)) = (finding.occurrence, finding.destination()) else {
            continue;
        };
        expected[index] = destination.canonical();
    }
    for (want, got) in expected.iter().zip(&new.occurrences) {
        if *want != got.image.canonical() {
            return Err(format!(
                "expected `{want}` after editing, found `{}`",
                got.image.canonical()
            ));
        }
    }
    Ok(())
}

#[derive(Debug)]
pub enum WriteError {
    /// The file changed on disk since it was read.
    Changed,
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Changed => f.write_str("the file changed on disk since it was read"),
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> WriteError {
        WriteError::Io(e)
    }
}

/// Replaces the file at `path` (following a symlink to its target) with `new`, atomically and
/// keeping its permissions, if it still holds `original`.
pub fn write_atomic(path: &Path, original: &[u8], new: &str) -> Result<(), WriteError> {
    let target = std::fs::canonicalize(path)?;
    let metadata = std::fs::metadata(&target)?;
    if std::fs::read(&target)? != original {
        return Err(WriteError::Changed);
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".regmig-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(new.as_bytes())?;
    temp.as_file().set_permissions(metadata.permissions())?;
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Checker;
    use crate::extract::extract;
    use crate::rewrite::Rewriter;
    use crate::{config, rules};

    /// A patched text whose references are not the intended destinations is refused.
    #[test]
    fn verification_refuses_an_edit_that_does_not_read_as_intended() {
        let rules = rules::builtin();
        let text = "FROM nginx:1.27\nFROM redis:7\n";
        let config = config::parse(
            "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n",
            Path::new("regmig.toml"),
            rules,
        )
        .unwrap();
        let rewriter = Rewriter::new(&config, rules).unwrap();
        let checker = Checker {
            config: &config,
            rules,
            rewriter: &rewriter,
        };
        let extraction = extract(FileKind::Dockerfile, text);
        let baseline = Baseline::of(&extraction);
        let findings = checker.check(FileKind::Dockerfile, text, extraction);
        let mut patched = apply(text, &findings, false);
        assert_eq!(
            verify(FileKind::Dockerfile, &baseline, &patched, &findings),
            Ok(())
        );

        patched.text = "FROM ghcr.io/acme/nginx:1.27\nFROM ghcr.io/other/redis:7\n".to_owned();
        let refused = verify(FileKind::Dockerfile, &baseline, &patched, &findings);
        assert!(refused.unwrap_err().contains("ghcr.io/other/redis:7"));

        patched.text = "FROM ghcr.io/acme/nginx:1.27\n".to_owned();
        assert!(verify(FileKind::Dockerfile, &baseline, &patched, &findings).is_err());

        patched.text =
            "FROM ghcr.io/acme/nginx:1.27\nFROM ghcr.io/acme/redis:7\nRUN <<EOF\n".to_owned();
        assert!(verify(FileKind::Dockerfile, &baseline, &patched, &findings).is_err());
    }
}
