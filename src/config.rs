//! Configuration: `regmig.toml` discovery, schema and validation. Every error names the line
//! and column in the config file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::reference::ImageRef;
use crate::rules::{RuleSet, Severity};

pub const FILE_NAMES: [&str; 2] = ["regmig.toml", ".regmig.toml"];

#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Where a config entry was written, for messages that point back at it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub line: usize,
    pub column: usize,
}

/// A rule's configured level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

#[derive(Debug, Default)]
pub struct Config {
    /// The file it was read from; `None` for the built-in defaults.
    pub file: Option<PathBuf>,
    pub target: Option<Target>,
    pub maps: Vec<MapEntry>,
    pub chart_maps: Vec<ChartMap>,
    pub ignore_images: Vec<ImagePattern>,
    ignore_paths: Option<Gitignore>,
    pub levels: HashMap<String, Level>,
    /// `[registries."HOST"]`: how `verify` and the copy plans reach each registry.
    pub registries: Registries,
}

#[derive(Debug)]
pub struct Target {
    pub template: Template,
    pub origin: Origin,
}

/// One `[[map]]` entry.
#[derive(Debug)]
pub struct MapEntry {
    pub from: ImagePattern,
    pub to: Destination,
    /// `to` read as a pattern: references it matches are destinations, never reported.
    pub accepts: ImagePattern,
    pub origin: Origin,
}

/// One `[[map]]` entry between `oci://` Helm chart repositories: a prefix replacement.
#[derive(Debug)]
pub struct ChartMap {
    pub from: ChartPrefix,
    pub to: ChartPrefix,
    pub origin: Origin,
}

impl Config {
    /// `true` when `[ignore].paths` excludes `path` (absolute or relative to the current
    /// directory).
    pub fn is_path_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(matcher) = &self.ignore_paths else {
            return false;
        };
        let absolute = absolutize(path);
        matcher
            .matched_path_or_any_parents(&absolute, is_dir)
            .is_ignore()
    }

    pub fn is_image_ignored(&self, image: &ImageRef) -> bool {
        let repository = image.repository();
        self.ignore_images
            .iter()
            .any(|p| p.matches(image, &repository).is_some())
    }

    pub fn level(&self, rule: &str) -> Option<Level> {
        self.levels.get(rule).copied()
    }
}

/// The candidate nearest to `word` (a misspelt key, rule id or preset), if one is close enough
/// to be what was meant.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// ` (did you mean `x`?)` when a candidate is near, else nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or(String::new(), |n| format!("; did you mean `{n}`?"))
}

/// Finds `regmig.toml` or `.regmig.toml` in `start` or its nearest ancestor, stopping at the
/// repository root (a directory holding `.git`).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = absolutize(start);
    for dir in start.ancestors() {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Reads and validates a config file.
pub fn load(file: &Path, rules: &RuleSet) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message: format!("cannot read config: {e}"),
    })?;
    parse(&text, file, rules)
}

/// Validates config text; `file` names it in errors and anchors `[ignore].paths`.
pub fn parse(text: &str, file: &Path, rules: &RuleSet) -> Result<Config, ConfigError> {
    let fail = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, column) = line_col(text, span.map_or(0, |s| s.start));
        ConfigError {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| fail(e.span(), with_suggestion(e.message().trim())))?;
    let origin = |span: std::ops::Range<usize>| {
        let (line, column) = line_col(text, span.start);
        Origin { line, column }
    };
    let err_at = |value: &Spanned<String>, message: String| fail(Some(value.span()), message);

    let mut config = Config {
        file: Some(file.to_owned()),
        ..Config::default()
    };
    if let Some(target) = raw.target {
        let span = target.span();
        config.target = Some(Target {
            template: target_template(target.into_inner(), rules, &err_at)
                .map_err(|e| e.unwrap_or_else(|| fail(Some(span.clone()), missing_target())))?,
            origin: origin(span),
        });
    }
    for entry in raw.map {
        let origin = origin(entry.from.span());
        if entry.from.get_ref().starts_with(OCI_SCHEME)
            || entry.to.get_ref().starts_with(OCI_SCHEME)
        {
            config.chart_maps.push(chart_map(&entry, origin, &err_at)?);
            continue;
        }
        let from = parse_pattern(entry.from.get_ref())
            .map_err(|m| err_at(&entry.from, format!("invalid `from`: {m}")))?;
        let to = parse_destination(entry.to.get_ref())
            .map_err(|m| err_at(&entry.to, format!("invalid `to`: {m}")))?;
        if from.is_wildcard() != to.is_wildcard() {
            return Err(err_at(
                &entry.to,
                "`from` and `to` must both end in `*`, or neither".to_owned(),
            ));
        }
        let accepts = parse_pattern(entry.to.get_ref())
            .map_err(|m| err_at(&entry.to, format!("invalid `to`: {m}")))?;
        config.maps.push(MapEntry {
            from,
            to,
            accepts,
            origin,
        });
    }
    check_map_chains(&config.maps, &|origin: Origin, message: String| {
        ConfigError {
            file: file.to_owned(),
            line: origin.line,
            column: origin.column,
            message,
        }
    })?;
    if let Some(ignore) = raw.ignore {
        for image in &ignore.images {
            let pattern = parse_pattern(image.get_ref())
                .map_err(|m| err_at(image, format!("invalid image pattern: {m}")))?;
            config.ignore_images.push(pattern);
        }
        if !ignore.paths.is_empty() {
            let root = absolutize(file.parent().unwrap_or(Path::new(".")));
            let mut builder = GitignoreBuilder::new(&root);
            for glob in &ignore.paths {
                builder
                    .add_line(None, glob.get_ref())
                    .map_err(|e| err_at(glob, format!("invalid path glob: {e}")))?;
            }
            let matcher = builder
                .build()
                .map_err(|e| fail(None, format!("invalid [ignore].paths: {e}")))?;
            config.ignore_paths = Some(matcher);
        }
    }
    for (rule, level) in raw.rules {
        if rules.rule(rule.get_ref()).is_none() {
            let known: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
            return Err(err_at(
                &rule,
                format!(
                    "unknown rule `{}`{} (known: {})",
                    rule.get_ref(),
                    did_you_mean(rule.get_ref(), known.iter().copied()),
                    known.join(", ")
                ),
            ));
        }
        let parsed = match level.get_ref().as_str() {
            "off" => Level::Off,
            "warning" => Level::On(Severity::Warning),
            "error" => Level::On(Severity::Error),
            other => {
                return Err(err_at(
                    &level,
                    format!("unknown level `{other}`: use error, warning or off"),
                ))
            }
        };
        config.levels.insert(rule.into_inner(), parsed);
    }
    config.registries = registries::build(raw.registries, text, file)?;
    Ok(config)
}

/// `unknown field `imagez`, expected `images` or `paths``, with the nearest valid key named.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match nearest(unknown, known.iter().copied()) {
        Some(near) => format!(
            "unknown key `{unknown}`; did you mean `{near}`? (valid here: {})",
            known.join(", ")
        ),
        None => format!("unknown key `{unknown}` (valid here: {})", known.join(", ")),
    }
}

const OCI_SCHEME: &str = "oci://";

/// An `oci://` `[[map]]` entry: both sides must be chart repositories.
fn chart_map(
    entry: &RawMap,
    origin: Origin,
    err_at: &dyn Fn(&Spanned<String>, String) -> ConfigError,
) -> Result<ChartMap, ConfigError> {
    let side = |value: &Spanned<String>, name: &str| {
        ChartPrefix::parse(value.get_ref()).map_err(|m| {
            err_at(
                value,
                format!("invalid `{name}`: {m} (chart maps read `oci://HOST/PATH` on both sides)"),
            )
        })
    };
    Ok(ChartMap {
        from: side(&entry.from, "from")?,
        to: side(&entry.to, "to")?,
        origin,
    })
}

/// A `to` that another entry's `from` matches would be rewritten again by a second run:
/// refuse chains and cycles, naming both entries.
fn check_map_chains(
    maps: &[MapEntry],
    fail: &dyn Fn(Origin, String) -> ConfigError,
) -> Result<(), ConfigError> {
    for (i, entry) in maps.iter().enumerate() {
        for (j, other) in maps.iter().enumerate() {
            if entry.accepts.overlaps(&other.from) {
                let what = if i == j {
                    "its own `from` matches it again".to_owned()
                } else {
                    format!(
                        "the [[map]] at line {} (`from = \"{}\"`) would rewrite it again",
                        other.origin.line, other.from.written
                    )
                };
                return Err(fail(
                    entry.origin,
                    format!(
                        "[[map]] destination `{}` is not final: {what}; map the source straight to the final destination",
                        entry.to.written
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn missing_target() -> String {
    "[target] needs `template = \"…\"` or `preset = \"…\"`".to_owned()
}

/// Builds the `[target]` template from `template` or `preset` plus parameters.
/// `Err(None)` means neither was given.
fn target_template(
    table: BTreeMap<Spanned<String>, Spanned<String>>,
    rules: &RuleSet,
    err_at: &dyn Fn(&Spanned<String>, String) -> ConfigError,
) -> Result<Template, Option<ConfigError>> {
    let mut template = None;
    let mut preset = None;
    let mut params = Vec::new();
    for (key, value) in table {
        match key.get_ref().as_str() {
            "template" => template = Some(value),
            "preset" => preset = Some(value),
            _ => params.push((key, value)),
        }
    }
    match (template, preset) {
        (Some(t), Some(_)) => Err(Some(err_at(
            &t,
            "use either `template` or `preset`, not both".to_owned(),
        ))),
        (Some(t), None) => {
            if let Some((key, _)) = params.first() {
                return Err(Some(err_at(
                    key,
                    format!(
                        "unknown key `{}` in [target]{} (parameters go with a preset)",
                        key.get_ref(),
                        did_you_mean(key.get_ref(), ["template", "preset"])
                    ),
                )));
            }
            parse_template(t.get_ref(), &BTreeMap::new())
                .map_err(|m| Some(err_at(&t, format!("invalid template: {m}"))))
        }
        (None, Some(p)) => {
            let Some(found) = rules.preset(p.get_ref()) else {
                let names: Vec<&str> = rules.presets.iter().map(|p| p.name.as_str()).collect();
                return Err(Some(err_at(
                    &p,
                    format!(
                        "unknown preset `{}`{} (known: {})",
                        p.get_ref(),
                        did_you_mean(p.get_ref(), names.iter().copied()),
                        names.join(", ")
                    ),
                )));
            };
            let mut values = BTreeMap::new();
            for (key, value) in &params {
                if !found.params.contains_key(key.get_ref()) {
                    return Err(Some(err_at(
                        key,
                        format!(
                            "preset `{}` has no parameter `{}`{} (it takes: {})",
                            found.name,
                            key.get_ref(),
                            did_you_mean(key.get_ref(), found.params.keys().map(String::as_str)),
                            found.params.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )));
                }
                values.insert(key.get_ref().clone(), value.get_ref().clone());
            }
            for (name, param) in &found.params {
                if !values.contains_key(name) {
                    match &param.default {
                        Some(default) => {
                            values.insert(name.clone(), default.clone());
                        }
                        None => {
                            return Err(Some(err_at(
                                &p,
                                format!(
                                    "preset `{}` needs `{name} = \"…\"` ({})",
                                    found.name, param.help
                                ),
                            )))
                        }
                    }
                }
            }
            parse_template(&found.template, &values)
                .map_err(|m| Some(err_at(&p, format!("invalid preset template: {m}"))))
        }
        (None, None) => match params.first() {
            Some((key, _)) => Err(Some(err_at(
                key,
                format!(
                    "unknown key `{}` in [target]{} ([target] needs `template` or `preset`)",
                    key.get_ref(),
                    did_you_mean(key.get_ref(), ["template", "preset"])
                ),
            ))),
            None => Err(None),
        },
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let index = crate::source::LineIndex::new(text);
    let position = index.position(offset);
    (position.line, position.column)
}

/// Joins a relative path to the current directory and removes `.` components, without
/// resolving symlinks.
pub fn absolutize(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    target: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    #[serde(default)]
    map: Vec<RawMap>,
    ignore: Option<RawIgnore>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    registries: BTreeMap<Spanned<String>, registries::RawRegistry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    #[serde(default)]
    images: Vec<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
}

mod patterns;
mod registries;
mod starter;
#[cfg(test)]
mod tests;

use patterns::{parse_destination, parse_pattern};
pub use patterns::{parse_map, parse_template, ChartPrefix, Destination, ImagePattern, Template};
pub use registries::{Registries, RegistrySettings};
pub use starter::starter;
