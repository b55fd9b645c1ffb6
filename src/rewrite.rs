//! Rewrite stage: decides which rule reports a reference and where it should go (`[[map]]`,
//! then `[target]`, then a rule's built-in rewrite), and turns that into a [`Fix`] of byte
//! edits. Loading checks the idempotence invariant: no destination is rewritten again.

use crate::config::{Config, ConfigError, Destination, ImagePattern, Origin};
use crate::extract::{Occurrence, Part};
use crate::reference::ImageRef;
use crate::rules::{RuleSet, DOCKER_HUB, DOCKER_HUB_CHART, MAPPED_IMAGE};
use crate::source::Span;

/// Replace the bytes of `span` with `content`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub span: Span,
    pub content: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Applied by `fix --write`.
    Safe,
    /// Applied by `fix --write --unsafe`: correct for this reference, but it changes more.
    Unsafe,
    /// Shown, never applied.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The new text of the reference.
    pub replacement: String,
    pub applicability: Applicability,
    /// Why the fix is not safe, when it is not.
    pub note: Option<&'static str>,
    pub edits: Vec<Edit>,
}

/// What a rule says about one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub rule: &'static str,
    /// Where the image should go, if anywhere.
    pub destination: Option<ImageRef>,
}

/// The compiled rewrite policy: the user's config plus the rules' built-in rewrites.
pub struct Rewriter<'a> {
    config: &'a Config,
    builtins: Vec<(&'static str, ImagePattern, Destination)>,
}

impl<'a> Rewriter<'a> {
    pub fn new(config: &'a Config, rules: &'static RuleSet) -> Result<Rewriter<'a>, ConfigError> {
        let mut builtins = Vec::new();
        for rule in &rules.rules {
            if let Some(rewrite) = &rule.rewrite {
                let (from, to) = crate::config::parse_map(&rewrite.from, &rewrite.to)
                    .unwrap_or_else(|e| panic!("rule {}: built-in rewrite invalid: {e}", rule.id));
                builtins.push((rule.id.as_str(), from, to));
            }
        }
        let rewriter = Rewriter { config, builtins };
        rewriter.check_idempotent()?;
        Ok(rewriter)
    }

    /// The rule that reports `image` and its destination; `None` when nothing reports it.
    pub fn verdict(&self, image: &ImageRef) -> Option<Verdict> {
        if self.config.is_image_ignored(image) || self.is_destination(image) {
            return None;
        }
        let hub_rule = || {
            if image.is_docker_hub() {
                DOCKER_HUB
            } else {
                MAPPED_IMAGE
            }
        };
        if let Some(destination) = self.user_map(image) {
            return Some(Verdict {
                rule: hub_rule(),
                destination,
            });
        }
        if image.is_docker_hub() {
            let destination = self
                .config
                .target
                .as_ref()
                .and_then(|t| t.template.apply(image));
            return Some(Verdict {
                rule: DOCKER_HUB,
                destination,
            });
        }
        let repository = image.repository();
        for (rule, from, to) in &self.builtins {
            if let Some(rest) = from.matches(image, &repository) {
                // The user's maps apply to the built-in destination too, so a second run
                // finds nothing more to do.
                let destination = to
                    .apply(image, rest)
                    .map(|d| self.user_map(&d).flatten().unwrap_or(d));
                return Some(Verdict { rule, destination });
            }
        }
        None
    }

    /// The verdict for a reference that is named but not certainly pulled ([`Role::Named`]):
    /// only a `[[map]]` reports it, as `mapped-image`.
    ///
    /// [`Role::Named`]: crate::extract::Role::Named
    pub fn mapped_verdict(&self, image: &ImageRef) -> Option<Verdict> {
        if self.config.is_image_ignored(image) || self.is_destination(image) {
            return None;
        }
        self.user_map(image).map(|destination| Verdict {
            rule: MAPPED_IMAGE,
            destination,
        })
    }

    /// The verdict for an OCI Helm chart repository ([`Role::Chart`]): `docker-hub-chart` on
    /// Docker Hub, `mapped-image` elsewhere when an `oci://` map names it; the destination
    /// replaces the map's prefix.
    ///
    /// [`Role::Chart`]: crate::extract::Role::Chart
    pub fn chart_verdict(&self, chart: &ImageRef) -> Option<Verdict> {
        let host = chart.registry.as_deref()?;
        let mapped = self.config.chart_maps.iter().find_map(|map| {
            let rest = map.from.strip(host, &chart.path)?;
            let mut destination =
                ImageRef::parse(&format!("{}/{}{rest}", map.to.host, map.to.path)).ok()?;
            destination.tag = chart.tag.clone();
            destination.digest = chart.digest.clone();
            Some(destination)
        });
        let is_destination = self
            .config
            .chart_maps
            .iter()
            .any(|map| map.to.strip(host, &chart.path).is_some());
        if is_destination {
            return None;
        }
        if chart.is_docker_hub() {
            return Some(Verdict {
                rule: DOCKER_HUB_CHART,
                destination: mapped,
            });
        }
        mapped.map(|destination| Verdict {
            rule: MAPPED_IMAGE,
            destination: Some(destination),
        })
    }

    /// A reference that some `[[map]]` writes is final: never reported again.
    fn is_destination(&self, image: &ImageRef) -> bool {
        let repository = image.repository();
        self.config
            .maps
            .iter()
            .any(|entry| entry.accepts.matches(image, &repository).is_some())
    }

    /// `Some(destination)` when a `[[map]]` entry matches (the destination is `None` only if
    /// the result is not a valid reference).
    fn user_map(&self, image: &ImageRef) -> Option<Option<ImageRef>> {
        let repository = image.repository();
        self.config.maps.iter().find_map(|entry| {
            entry
                .from
                .matches(image, &repository)
                .map(|rest| entry.to.apply(image, rest))
        })
    }

    /// Every destination must be final: not reported again by any rule. (Chains between
    /// `[[map]]` entries are refused when the config loads.)
    fn check_idempotent(&self) -> Result<(), ConfigError> {
        let file = self.config.file.clone().unwrap_or_default();
        let fail = |origin: Origin, message: String| ConfigError {
            file: file.clone(),
            line: origin.line,
            column: origin.column,
            message,
        };
        for entry in &self.config.maps {
            let sample = ImageRef::parse(&entry.to.written.replace('*', "sample"))
                .expect("validated at load");
            let repository = sample.repository();
            if let Some((rule, _, _)) = self
                .builtins
                .iter()
                .find(|(_, from, _)| from.matches(&sample, &repository).is_some())
            {
                return Err(fail(
                    entry.origin,
                    format!(
                        "destination `{}` would itself be reported by rule {rule} and rewritten again",
                        entry.to.written
                    ),
                ));
            }
        }
        if let Some(target) = &self.config.target {
            for sample in ["nginx", "bitnami/redis"] {
                let rendered = target
                    .template
                    .apply(&ImageRef::parse(sample).expect("valid sample"))
                    .expect("validated at load");
                if self.verdict(&rendered).is_some() {
                    let literal = target.template.written.split('{').next().unwrap_or("");
                    return Err(fail(
                        target.origin,
                        format!(
                            "destination `{rendered}` would itself be reported and rewritten again; \
                             add \"{literal}*\" to [ignore].images if it is meant to stay"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The fix that moves `occurrence` (in `text`) to `destination`: one edit per part whose
/// content changes.
pub fn fix_for(occurrence: &Occurrence, destination: &ImageRef, text: &str) -> Fix {
    let has = |wanted: &[Part]| occurrence.parts.iter().any(|(p, _)| wanted.contains(p));
    let has_registry = has(&[Part::Registry, Part::NullRegistry]);
    let tag_changes = destination.tag != occurrence.image.tag;
    let mut edits = Vec::new();
    for &(part, span) in &occurrence.parts {
        let content = match part {
            Part::Whole => destination.render(),
            Part::Name => destination.name(),
            Part::Repository if has_registry => destination.path.clone(),
            Part::Repository => destination.name(),
            Part::Registry => destination.registry.clone().unwrap_or_default(),
            Part::NullRegistry => match &destination.registry {
                Some(host) => format!(" {host}"),
                None => continue,
            },
            Part::Tag if tag_changes => destination.tag.clone().unwrap_or_default(),
            Part::Tag => continue,
        };
        if text.get(span.start..span.end) != Some(content.as_str()) {
            edits.push(Edit { span, content });
        }
    }
    let (applicability, note) = if let Some(blocker) = occurrence.blocker {
        (Applicability::DisplayOnly, Some(blocker.reason()))
    } else if tag_changes && !has(&[Part::Whole, Part::Tag]) {
        (
            Applicability::DisplayOnly,
            Some("the destination sets a tag, but the tag here is a variable or written apart"),
        )
    } else if occurrence.shared {
        (
            Applicability::Unsafe,
            Some("the edited ARG is also read by other instructions"),
        )
    } else {
        (Applicability::Safe, None)
    };
    Fix {
        replacement: destination.render(),
        applicability,
        note,
        edits,
    }
}
