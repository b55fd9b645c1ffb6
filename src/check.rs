//! Check stage: occurrences × rules × suppressions → findings, sorted by offset.

use crate::config::{did_you_mean, Config, Level};
use crate::extract::{Extraction, Role};
use crate::reference::ImageRef;
use crate::rewrite::{fix_for, Applicability, Fix, Rewriter, SourceOf};
use crate::rules::{
    RuleSet, Severity, DOCKER_HUB, DOCKER_HUB_CHART, INVALID_SUPPRESSION, PARSE_ERROR,
};
use crate::source::{LineIndex, Span};
use crate::walk::FileKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub span: Span,
    /// The reference as written (empty for parse errors).
    pub image: String,
    /// The fully qualified source (`docker.io/library/nginx:1.25`).
    pub canonical: String,
    /// What went wrong, for findings that are not references (parse errors).
    pub detail: Option<String>,
    pub fix: Option<Fix>,
    /// Index of the occurrence in the extraction, for verification after fixing.
    pub occurrence: Option<usize>,
    /// The reference names one image: its tag is not a variable or written elsewhere.
    pub exact: bool,
    /// What the file does with the reference: only pulled images (and the project's own)
    /// belong in the copy plan, not chart repositories or override selectors.
    pub role: Role,
}

impl Finding {
    /// Where the image should go: the fix's replacement, fully parsed.
    pub fn destination(&self) -> Option<ImageRef> {
        ImageRef::parse(&self.fix.as_ref()?.replacement).ok()
    }

    /// The message reports show; rendered on demand so that a file with many findings stays
    /// small in memory.
    pub fn message(&self) -> String {
        if let Some(detail) = &self.detail {
            return detail.clone();
        }
        let text = self.image.as_str();
        let what: [&str; 4] = match self.rule {
            DOCKER_HUB if self.role == Role::Matcher => [
                "`",
                text,
                "` selects a Docker Hub image to override (it must follow that image to keep matching)",
                "",
            ],
            DOCKER_HUB => ["`", text, "` is pulled from Docker Hub", ""],
            DOCKER_HUB_CHART => ["Helm chart repository `", text, "` is pulled from Docker Hub", ""],
            "legacy-k8s-registry" => {
                let host = self.canonical.split('/').next().unwrap_or_default();
                ["`", text, "` is on the frozen registry ", host]
            }
            _ => ["`", text, "` is mapped to another registry by regmig.toml", ""],
        };
        let then: [&str; 5] = match &self.fix {
            None if self.rule == DOCKER_HUB_CHART => [
                " (no destination: add an `oci://` [[map]] in regmig.toml, or ignore it)",
                "",
                "",
                "",
                "",
            ],
            None => [
                " (no destination: set [target] or add a [[map]] in regmig.toml, or ignore it)",
                "",
                "",
                "",
                "",
            ],
            Some(fix) => match (fix.note, fix.applicability) {
                (Some(note), Applicability::DisplayOnly) => {
                    ["; use `", &fix.replacement, "` (edit by hand: ", note, ")"]
                }
                (Some(note), _) => ["; use `", &fix.replacement, "` (unsafe fix: ", note, ")"],
                (None, _) => ["; use `", &fix.replacement, "`", "", ""],
            },
        };
        // Joined in one allocation: `format!` costs several times as much, for every finding.
        let pieces = || what.iter().chain(&then);
        let mut message = String::with_capacity(pieces().map(|p| p.len()).sum());
        pieces().for_each(|piece| message.push_str(piece));
        message
    }

    pub fn is_fixable(&self, allow_unsafe: bool) -> bool {
        self.fix.as_ref().is_some_and(|f| match f.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => allow_unsafe,
            Applicability::DisplayOnly => false,
        })
    }
}

/// A reference that already names a destination (after `fix --write`, or converted by
/// hand): not a finding, but the inventory lists it with the source it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    pub span: Span,
    /// The reference as written.
    pub text: String,
    /// The destination it names.
    pub image: ImageRef,
    pub source: SourceOf,
    /// See [`Finding::exact`].
    pub exact: bool,
}

/// Everything the check stage needs besides the file.
pub struct Checker<'a> {
    pub config: &'a Config,
    pub rules: &'a RuleSet,
    pub rewriter: &'a Rewriter<'a>,
}

impl Checker<'_> {
    /// The findings for one extracted file, sorted by offset.
    /// Consumes the extraction, so a file's occurrences and findings are not all in memory at
    /// once.
    pub fn check(&self, kind: FileKind, text: &str, extraction: Extraction) -> Vec<Finding> {
        let lines = Suppressions::new(kind, text);
        let mut findings =
            Vec::with_capacity(extraction.errors.len() + extraction.occurrences.len());
        for error in extraction.errors {
            if let Some(severity) = self.severity(PARSE_ERROR) {
                findings.push(Finding {
                    rule: PARSE_ERROR,
                    severity,
                    span: Span::new(error.offset, error.offset),
                    image: String::new(),
                    canonical: String::new(),
                    detail: Some(error.message),
                    fix: None,
                    occurrence: None,
                    exact: false,
                    role: Role::Pull,
                });
            }
        }
        if let Some(severity) = self.severity(INVALID_SUPPRESSION) {
            for (span, id) in lines.unknown_ids(self.rules) {
                let known = self.rules.rules.iter().map(|r| r.id.as_str());
                findings.push(Finding {
                    rule: INVALID_SUPPRESSION,
                    severity,
                    span,
                    image: String::new(),
                    canonical: String::new(),
                    detail: Some(format!(
                        "`# regmig: ignore[{id}]` names no rule{}",
                        did_you_mean(&id, known)
                    )),
                    fix: None,
                    occurrence: None,
                    exact: false,
                    role: Role::Pull,
                });
            }
        }
        for (index, occurrence) in extraction.occurrences.into_iter().enumerate() {
            let verdict = match occurrence.role {
                Role::Pull | Role::Matcher => self.rewriter.verdict(&occurrence.image),
                Role::Named => self.rewriter.mapped_verdict(&occurrence.image),
                Role::Chart => self.rewriter.chart_verdict(&occurrence.image),
            };
            let Some(verdict) = verdict else {
                continue;
            };
            let Some(severity) = self.severity(verdict.rule) else {
                continue;
            };
            let span = occurrence.location();
            // A comment above any key of a split map (`registry:`, `repository:`) covers it.
            let mut anchors = vec![occurrence.statement];
            anchors.extend(occurrence.parts.iter().map(|(_, s)| s.start));
            if lines.suppressed(verdict.rule, &anchors) {
                continue;
            }
            let fix = verdict
                .destination
                .as_ref()
                .map(|d| fix_for(&occurrence, d, text));
            findings.push(Finding {
                detail: None,
                rule: verdict.rule,
                severity,
                span,
                canonical: occurrence.image.canonical(),
                exact: is_exact(&occurrence),
                role: occurrence.role,
                image: occurrence.text,
                fix,
                occurrence: Some(index),
            });
        }
        findings.sort_by_key(|f| (f.span.start, f.span.end));
        findings
    }

    /// The references in `extraction` that no rule reports because they already are a
    /// destination, with their sources; sorted by offset.
    pub fn converted(&self, extraction: &Extraction) -> Vec<Converted> {
        extraction
            .occurrences
            .iter()
            .filter(|o| {
                let reported = match o.role {
                    Role::Pull => self.rewriter.verdict(&o.image),
                    Role::Named => self.rewriter.mapped_verdict(&o.image),
                    Role::Chart | Role::Matcher => return false,
                };
                reported.is_none()
            })
            .filter_map(|o| {
                Some(Converted {
                    span: o.location(),
                    text: o.text.clone(),
                    image: o.image.clone(),
                    source: self.rewriter.source_of(&o.image, o.role)?,
                    exact: is_exact(o),
                })
            })
            .collect()
    }

    /// The configured severity, or the rule's own; `None` when the rule is off.
    fn severity(&self, rule: &str) -> Option<Severity> {
        match self.config.level(rule) {
            Some(Level::Off) => None,
            Some(Level::On(severity)) => Some(severity),
            None => Some(
                self.rules
                    .rule(rule)
                    .map_or(Severity::Error, |r| r.severity),
            ),
        }
    }
}

/// Only a name written alone, without a tag or digest in reach (`golang:${GO}`, a Kustomize
/// `name` without `newTag`), leaves the pulled image open.
fn is_exact(occurrence: &crate::extract::Occurrence) -> bool {
    let name_only = occurrence
        .parts
        .iter()
        .all(|(part, _)| *part == crate::extract::Part::Name);
    !(name_only && occurrence.image.tag.is_none() && occurrence.image.digest.is_none())
}

/// `# regmig: ignore` and `# regmig: ignore[rule, …]` comments.
struct Suppressions<'a> {
    kind: FileKind,
    /// Built only for files that mention `regmig:` at all.
    lines: Option<LineIndex<'a>>,
}

impl<'a> Suppressions<'a> {
    fn new(kind: FileKind, text: &'a str) -> Suppressions<'a> {
        Suppressions {
            kind,
            lines: crate::extract::needles::SUPPRESSION
                .is_in(text.as_bytes())
                .then(|| LineIndex::new(text)),
        }
    }

    /// Whether a comment on the line above any of `offsets` silences `rule`.
    fn suppressed(&self, rule: &str, offsets: &[usize]) -> bool {
        let Some(lines) = &self.lines else {
            return false;
        };
        offsets.iter().any(|&offset| {
            let line = lines.position(offset).line;
            let above = line
                .checked_sub(1)
                .and_then(|l| lines.line_text(l))
                .is_some_and(|t| comment_suppresses(t.trim_start(), rule));
            // In a Dockerfile `#` starts a comment only at the start of a line.
            let same = self.kind.has_trailing_comments()
                && lines.line_text(line).is_some_and(|t| {
                    t.find(" #")
                        .is_some_and(|i| comment_suppresses(&t[i + 1..], rule))
                });
            above || same
        })
    }
}

impl Suppressions<'_> {
    /// Rule ids in `# regmig: ignore[…]` comments that name no rule, with their spans.
    fn unknown_ids(&self, rules: &RuleSet) -> Vec<(Span, String)> {
        let Some(lines) = &self.lines else {
            return Vec::new();
        };
        let mut unknown = Vec::new();
        for (at, _) in lines.text().match_indices("regmig:") {
            let line_start = lines.text()[..at].rfind('\n').map_or(0, |i| i + 1);
            let before = lines.text()[line_start..at].trim_end();
            let Some(hash) = before.strip_suffix('#') else {
                continue;
            };
            let comment_starts_line = hash.trim().is_empty();
            let trailing = hash.ends_with(char::is_whitespace) && self.kind.has_trailing_comments();
            if !(comment_starts_line || trailing) {
                continue;
            }
            let rest = &lines.text()[at + "regmig:".len()..];
            let rest_start = at + "regmig:".len() + (rest.len() - rest.trim_start().len());
            let Some(list) = lines.text()[rest_start..].strip_prefix("ignore[") else {
                continue;
            };
            let Some(close) = list.find(']').filter(|&c| !list[..c].contains('\n')) else {
                continue;
            };
            let list_start = rest_start + "ignore[".len();
            let mut offset = list_start;
            for id in list[..close].split(',') {
                let trimmed = id.trim();
                let id_start = offset + (id.len() - id.trim_start().len());
                if !trimmed.is_empty() && rules.rule(trimmed).is_none() {
                    unknown.push((
                        Span::new(id_start, id_start + trimmed.len()),
                        trimmed.to_owned(),
                    ));
                }
                offset += id.len() + 1;
            }
        }
        unknown
    }
}

fn comment_suppresses(comment: &str, rule: &str) -> bool {
    let Some(body) = comment.strip_prefix('#') else {
        return false;
    };
    let body = body.trim_start();
    let Some(rest) = body
        .strip_prefix("regmig:")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix("ignore"))
    else {
        return false;
    };
    match rest.strip_prefix('[') {
        Some(list) => list
            .split(']')
            .next()
            .unwrap_or("")
            .split(',')
            .any(|id| id.trim() == rule),
        None => rest.is_empty() || rest.starts_with(char::is_whitespace),
    }
}

#[cfg(test)]
mod tests {
    use super::comment_suppresses;

    #[test]
    fn suppression_comments() {
        assert!(comment_suppresses("# regmig: ignore", "docker-hub"));
        assert!(comment_suppresses("#regmig:ignore because", "docker-hub"));
        assert!(comment_suppresses(
            "# regmig: ignore[docker-hub]",
            "docker-hub"
        ));
        assert!(comment_suppresses(
            "# regmig: ignore[a, docker-hub]",
            "docker-hub"
        ));
        assert!(!comment_suppresses(
            "# regmig: ignore[parse-error]",
            "docker-hub"
        ));
        assert!(!comment_suppresses("# regmig: ignored", "docker-hub"));
        assert!(!comment_suppresses(
            "RUN echo # regmig: ignore",
            "docker-hub"
        ));
    }
}
