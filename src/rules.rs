//! Rule data: `rules/*.toml` and `rules/targets/*.toml`, embedded in the binary. The files
//! describe rules and target presets; the matching logic stays in Rust.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The embedded rule files, by id. A test checks this list against `rules/`.
pub const RULE_FILES: &[(&str, &str)] = &[
    ("docker-hub", include_str!("../rules/docker-hub.toml")),
    (
        "docker-hub-chart",
        include_str!("../rules/docker-hub-chart.toml"),
    ),
    (
        "invalid-suppression",
        include_str!("../rules/invalid-suppression.toml"),
    ),
    (
        "legacy-k8s-registry",
        include_str!("../rules/legacy-k8s-registry.toml"),
    ),
    ("mapped-image", include_str!("../rules/mapped-image.toml")),
    ("parse-error", include_str!("../rules/parse-error.toml")),
];

/// The embedded target presets, by name. A test checks this list against `rules/targets/`.
pub const TARGET_FILES: &[(&str, &str)] = &[
    ("acr-cache", include_str!("../rules/targets/acr-cache.toml")),
    (
        "artifactory",
        include_str!("../rules/targets/artifactory.toml"),
    ),
    (
        "ecr-private",
        include_str!("../rules/targets/ecr-private.toml"),
    ),
    (
        "ecr-public",
        include_str!("../rules/targets/ecr-public.toml"),
    ),
    (
        "ecr-pull-through",
        include_str!("../rules/targets/ecr-pull-through.toml"),
    ),
    (
        "gar-remote",
        include_str!("../rules/targets/gar-remote.toml"),
    ),
    ("ghcr", include_str!("../rules/targets/ghcr.toml")),
    (
        "gitlab-dependency-proxy",
        include_str!("../rules/targets/gitlab-dependency-proxy.toml"),
    ),
    (
        "harbor-proxy",
        include_str!("../rules/targets/harbor-proxy.toml"),
    ),
    (
        "mirror-gcr",
        include_str!("../rules/targets/mirror-gcr.toml"),
    ),
    ("ocir", include_str!("../rules/targets/ocir.toml")),
    ("quay", include_str!("../rules/targets/quay.toml")),
];

pub const DOCKER_HUB: &str = "docker-hub";
pub const DOCKER_HUB_CHART: &str = "docker-hub-chart";
pub const INVALID_SUPPRESSION: &str = "invalid-suppression";
pub const MAPPED_IMAGE: &str = "mapped-image";
pub const PARSE_ERROR: &str = "parse-error";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    /// Registries whose references this rule reports (documentation for `docker-hub`, whose
    /// hosts live in `reference.rs`; matching data for rules with a `rewrite`).
    #[serde(default)]
    pub registries: Vec<String>,
    /// A built-in rewrite, in `[[map]]` syntax.
    pub rewrite: Option<BuiltinRewrite>,
    pub explanation: String,
    #[serde(default)]
    pub examples: Vec<Example>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuiltinRewrite {
    pub from: String,
    pub to: String,
}

/// A file before and after `regmig fix --write`, under an optional config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub path: String,
    #[serde(default)]
    pub config: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetPreset {
    pub name: String,
    pub summary: String,
    pub template: String,
    #[serde(default)]
    pub params: BTreeMap<String, PresetParam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetParam {
    pub help: String,
    pub default: Option<String>,
}

pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub presets: Vec<TargetPreset>,
}

impl RuleSet {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn preset(&self, name: &str) -> Option<&TargetPreset> {
        self.presets.iter().find(|p| p.name == name)
    }
}

/// The embedded rules, parsed once. Malformed embedded data is a build defect, caught by tests.
pub fn builtin() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet {
        rules: RULE_FILES
            .iter()
            .map(|(id, text)| parse_embedded(id, text))
            .collect(),
        presets: TARGET_FILES
            .iter()
            .map(|(name, text)| parse_embedded(name, text))
            .collect(),
    })
}

fn parse_embedded<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> T {
    toml::from_str(text).unwrap_or_else(|e| panic!("embedded rule data {name} is invalid: {e}"))
}

/// `rules/README.md`: every rule and target preset, generated from the data files. A test
/// fails when the committed file is stale.
pub fn render_docs(rules: &RuleSet) -> String {
    let mut out = String::from(
        "# Rules and target presets\n\n\
         <!-- Generated from rules/*.toml and rules/targets/*.toml by \
         `REGMIG_BLESS=1 cargo test --test rules`. Do not edit. -->\n\n\
         | rule | default severity | summary |\n| --- | --- | --- |\n",
    );
    for rule in &rules.rules {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} |\n",
            rule.severity.as_str(),
            rule.summary,
            id = rule.id
        ));
    }
    for rule in &rules.rules {
        out.push_str(&format!("\n## {}\n\n{}\n", rule.id, rule.summary));
        let body = rule.explanation.trim().replace("\n## ", "\n### ");
        let body = body
            .strip_prefix("## ")
            .map_or(body.clone(), |b| format!("### {b}"));
        out.push_str(&format!("\n{body}\n"));
        for (i, example) in rule.examples.iter().enumerate() {
            out.push_str(&format!("\n#### Example {}\n\n", i + 1));
            if !example.config.trim().is_empty() {
                out.push_str(&format!(
                    "`regmig.toml`:\n\n```toml\n{}\n```\n\n",
                    example.config.trim()
                ));
            }
            out.push_str(&format!(
                "`{path}` before:\n\n```\n{}\n```\n\nafter `regmig fix --write`:\n\n```\n{}\n```\n",
                example.before.trim_end(),
                example.after.trim_end(),
                path = example.path
            ));
        }
    }
    out.push_str("\n## Target presets\n\nUse one as `[target] preset = \"NAME\"` with its parameters.\n\n| preset | template | parameters | summary |\n| --- | --- | --- | --- |\n");
    for preset in &rules.presets {
        let params: Vec<String> = preset
            .params
            .iter()
            .map(|(name, p)| match &p.default {
                Some(default) => format!("`{name}` (default `{default}`)"),
                None => format!("`{name}`"),
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            preset.name,
            preset.template,
            if params.is_empty() {
                "—".to_owned()
            } else {
                params.join(", ")
            },
            preset.summary
        ));
    }
    out
}
