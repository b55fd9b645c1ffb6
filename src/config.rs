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
    pub ignore_images: Vec<ImagePattern>,
    ignore_paths: Option<Gitignore>,
    pub levels: HashMap<String, Level>,
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
    pub origin: Origin,
}

/// A `from` or `[ignore].images` entry, normalised.
#[derive(Debug, Clone)]
pub struct ImagePattern {
    pub written: String,
    domain: String,
    /// The whole repository, or with `wildcard` the prefix before `*` (ends with `/`).
    repository: String,
    wildcard: bool,
    tag: Option<String>,
}

/// A `to`: where matched references go.
#[derive(Debug, Clone)]
pub struct Destination {
    pub written: String,
    registry: Option<String>,
    /// The path, or with `wildcard` the prefix to which the matched rest is appended.
    path: String,
    wildcard: bool,
    tag: Option<String>,
}

/// A `[target]` template, with preset parameters already substituted.
#[derive(Debug, Clone)]
pub struct Template {
    pub written: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Path,
    Repo,
    Namespace,
    Name,
}

const PLACEHOLDERS: [&str; 4] = ["path", "repo", "namespace", "name"];

impl ImagePattern {
    /// Returns the part of the repository matched by `*` (empty without a wildcard).
    pub fn matches<'a>(&self, image: &'a ImageRef, repository: &'a str) -> Option<&'a str> {
        if !image.domain().eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        if let Some(tag) = &self.tag {
            if image.tag.as_deref() != Some(tag) {
                return None;
            }
        }
        if self.wildcard {
            repository
                .strip_prefix(self.repository.as_str())
                .filter(|rest| !rest.is_empty())
        } else {
            (repository == self.repository).then_some("")
        }
    }

    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }
}

impl Destination {
    /// The new reference for `image`, whose repository's wildcard part is `rest`.
    pub fn apply(&self, image: &ImageRef, rest: &str) -> Option<ImageRef> {
        let mut path = if self.wildcard {
            format!("{}{rest}", self.path)
        } else {
            self.path.clone()
        };
        // A `to` without a host keeps the host spelling of a Docker Hub reference.
        let registry = match &self.registry {
            Some(host) => Some(host.clone()),
            None if image.is_docker_hub() => image.registry.clone(),
            None => None,
        };
        let needs_library = registry
            .as_deref()
            .is_some_and(|h| h != "docker.io" && crate::reference::is_docker_hub_host(h));
        if needs_library && !path.contains('/') {
            path = format!("library/{path}");
        }
        let new = ImageRef {
            registry,
            path,
            tag: self.tag.clone().or_else(|| image.tag.clone()),
            digest: image.digest.clone(),
        };
        ImageRef::parse(&new.render()).ok()
    }

    pub fn carries_tag(&self) -> bool {
        self.tag.is_some()
    }
}

impl Template {
    /// The new reference for a Docker Hub image; tag and digest carried over.
    pub fn apply(&self, image: &ImageRef) -> Option<ImageRef> {
        let mut new = ImageRef::parse(&self.render_name(image)).ok()?;
        new.tag = image.tag.clone();
        new.digest = image.digest.clone();
        Some(new)
    }

    fn render_name(&self, image: &ImageRef) -> String {
        let repo = image.repository();
        let (namespace, name) = repo.rsplit_once('/').unwrap_or(("", &repo));
        let mut name_out = String::new();
        for segment in &self.segments {
            name_out.push_str(match segment {
                Segment::Literal(text) => text,
                Segment::Path => image.familiar_path(),
                Segment::Repo => &repo,
                Segment::Namespace => namespace,
                Segment::Name => name,
            });
        }
        name_out
    }
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
        toml::from_str(text).map_err(|e| fail(e.span(), e.message().trim().to_owned()))?;
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
        let from = parse_pattern(entry.from.get_ref())
            .map_err(|m| err_at(&entry.from, format!("invalid `from`: {m}")))?;
        let to = parse_destination(entry.to.get_ref())
            .map_err(|m| err_at(&entry.to, format!("invalid `to`: {m}")))?;
        if from.wildcard != to.wildcard {
            return Err(err_at(
                &entry.to,
                "`from` and `to` must both end in `/*`, or neither".to_owned(),
            ));
        }
        config.maps.push(MapEntry {
            from,
            to,
            origin: origin(entry.from.span()),
        });
    }
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
                    "unknown rule `{}` (known: {})",
                    rule.get_ref(),
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
    Ok(config)
}

/// Parses a `from`/`to` pair as `[[map]]` does.
pub fn parse_map(from: &str, to: &str) -> Result<(ImagePattern, Destination), String> {
    let from = parse_pattern(from)?;
    let to = parse_destination(to)?;
    if from.wildcard != to.wildcard {
        return Err("`from` and `to` must both end in `/*`, or neither".to_owned());
    }
    Ok((from, to))
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
                        "unknown key `{}` in [target] (parameters go with a preset)",
                        key.get_ref()
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
                        "unknown preset `{}` (known: {})",
                        p.get_ref(),
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
                            "preset `{}` has no parameter `{}` (it takes: {})",
                            found.name,
                            key.get_ref(),
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
        (None, None) => Err(None),
    }
}

/// Parses `{placeholder}` syntax, substituting `params`, and checks that the result renders
/// valid, untagged references.
pub fn parse_template(text: &str, params: &BTreeMap<String, String>) -> Result<Template, String> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("unmatched `}`".to_owned());
        }
        literal.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| "unclosed `{`".to_owned())?
            + open;
        let name = &rest[open + 1..close];
        let segment = match name {
            "path" => Segment::Path,
            "repo" => Segment::Repo,
            "namespace" => Segment::Namespace,
            "name" => Segment::Name,
            _ => match params.get(name) {
                Some(value) => {
                    literal.push_str(value);
                    rest = &rest[close + 1..];
                    continue;
                }
                None => {
                    return Err(format!(
                        "unknown placeholder `{{{name}}}` (use {})",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ))
                }
            },
        };
        if !literal.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut literal)));
        }
        segments.push(segment);
        rest = &rest[close + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    if !segments
        .iter()
        .any(|s| *s != Segment::Namespace && !matches!(s, Segment::Literal(_)))
    {
        return Err("a template needs {path}, {repo} or {name}".to_owned());
    }
    let template = Template {
        written: text.to_owned(),
        segments,
    };
    for sample in ["nginx", "bitnami/redis", "a/b/c"] {
        let image = ImageRef::parse(sample).expect("sample is valid");
        let rendered = template.render_name(&image);
        let name = ImageRef::parse(&rendered)
            .map_err(|e| format!("renders `{rendered}` for `{sample}`: {e}"))?;
        if name.tag.is_some() || name.digest.is_some() {
            return Err("a template must not carry a tag or digest".to_owned());
        }
    }
    Ok(template)
}

/// Parses a `from` or an ignore pattern: a reference, or a name prefix ending in `/*`.
fn parse_pattern(text: &str) -> Result<ImagePattern, String> {
    let (wildcard, image) = parse_with_wildcard(text)?;
    if image.digest.is_some() {
        return Err("a pattern cannot carry a digest".to_owned());
    }
    let repository = if wildcard {
        let prefix = image
            .path
            .strip_suffix('x')
            .unwrap_or(&image.path)
            .to_owned();
        if prefix.is_empty() && image.is_docker_hub() {
            return Err(
                "`*` alone would match every Docker Hub image: use [target] for that".to_owned(),
            );
        }
        prefix
    } else {
        image.repository()
    };
    Ok(ImagePattern {
        written: text.to_owned(),
        domain: image.domain().to_owned(),
        repository,
        wildcard,
        tag: image.tag,
    })
}

fn parse_destination(text: &str) -> Result<Destination, String> {
    let (wildcard, image) = parse_with_wildcard(text)?;
    if image.digest.is_some() {
        return Err("a destination cannot carry a digest (digests are kept)".to_owned());
    }
    let path = if wildcard {
        image
            .path
            .strip_suffix('x')
            .unwrap_or(&image.path)
            .to_owned()
    } else {
        image.path.clone()
    };
    Ok(Destination {
        written: text.to_owned(),
        registry: image.registry,
        path,
        wildcard,
        tag: image.tag,
    })
}

/// Parses `text`, where a final path component `*` stands for "the rest of the path".
fn parse_with_wildcard(text: &str) -> Result<(bool, ImageRef), String> {
    let name_end = text.find(['@']).unwrap_or(text.len());
    let star = text.find('*');
    let (wildcard, candidate) = match star {
        None => (false, text.to_owned()),
        Some(i) => {
            let after = &text[i + 1..name_end];
            let valid_position = i > 0
                && text.as_bytes()[i - 1] == b'/'
                && (after.is_empty() || after.starts_with(':'));
            if !valid_position || text[i + 1..].contains('*') {
                return Err("`*` may only stand as the last path component (`name/*`)".to_owned());
            }
            if after.starts_with(':') {
                return Err("a tag cannot follow `*`".to_owned());
            }
            (true, format!("{}x{}", &text[..i], &text[i + 1..]))
        }
    };
    let image = ImageRef::parse(&candidate).map_err(|e| format!("`{text}`: {e}"))?;
    Ok((wildcard, image))
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

#[cfg(test)]
mod tests;

/// A commented `regmig.toml` for `regmig init`: the target from `preset` and `params` (every
/// parameter without a default must be given), or a commented-out target without a preset.
/// The text is validated before it is returned.
pub fn starter(
    preset: Option<&str>,
    params: &[(String, String)],
    rules: &RuleSet,
) -> Result<String, String> {
    let mut text = String::from(
        "# regmig configuration: https://github.com/regmig/regmig#configuration-regmigtoml\n\
         # Check with `regmig check`, preview with `regmig fix`, apply with `regmig fix --write`.\n\n",
    );
    match preset {
        Some(name) => {
            let found = rules.preset(name).ok_or_else(|| {
                let names: Vec<&str> = rules.presets.iter().map(|p| p.name.as_str()).collect();
                format!("unknown preset `{name}` (known: {})", names.join(", "))
            })?;
            if let Some((key, _)) = params.iter().find(|(k, _)| !found.params.contains_key(k)) {
                return Err(format!(
                    "preset `{name}` has no parameter `{key}` (it takes: {})",
                    found.params.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            text.push_str(&format!(
                "# Where Docker Hub images go: {}\n# Template: {}\n[target]\npreset = \"{name}\"\n",
                found.summary, found.template
            ));
            for (param, spec) in &found.params {
                let value = params.iter().find(|(k, _)| k == param).map(|(_, v)| v);
                match (value, &spec.default) {
                    (Some(value), _) => {
                        text.push_str(&format!("{param} = {value:?}  # {}\n", spec.help))
                    }
                    (None, Some(default)) => text.push_str(&format!(
                        "# {param} = {default:?}  # {} (default)\n",
                        spec.help
                    )),
                    (None, None) => {
                        return Err(format!(
                            "preset `{name}` needs --set {param}=VALUE ({})",
                            spec.help
                        ))
                    }
                }
            }
        }
        None => {
            if !params.is_empty() {
                return Err("--set needs --preset".to_owned());
            }
            text.push_str(
                "# Where Docker Hub images go. Use a template or a preset (`regmig init --preset NAME`);\n\
                 # placeholders: {path} nginx, bitnami/redis; {repo} library/nginx; {namespace}; {name}.\n\
                 # [target]\n# template = \"ghcr.io/your-org/{path}\"\n",
            );
        }
    }
    text.push_str(
        "\n# Specific images first; the first matching entry wins over [target].\n\
         # [[map]]\n# from = \"bitnami/*\"\n# to   = \"ghcr.io/your-org/bitnami/*\"\n\
         \n# Never reported.\n# [ignore]\n# images = [\"mysql\"]\n# paths  = [\"docs/**\"]\n\
         \n# error | warning | off\n# [rules]\n# docker-hub = \"error\"\n",
    );
    parse(&text, Path::new("regmig.toml"), rules).map_err(|e| e.message)?;
    Ok(text)
}
