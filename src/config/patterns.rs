//! Configuration, continued: image patterns (`from`, `[ignore].images`), destinations (`to`)
//! and `[target]` templates — how the config names images and where they go.

use std::collections::BTreeMap;

use crate::reference::ImageRef;

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

    /// The normalised registry (`docker.io` for every Docker Hub alias).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The normalised repository, or with a wildcard the prefix before `*`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// Whether some reference matches both patterns (so one entry's destination could be
    /// another entry's source).
    pub fn overlaps(&self, other: &ImagePattern) -> bool {
        if !self.domain.eq_ignore_ascii_case(&other.domain) {
            return false;
        }
        if let (Some(a), Some(b)) = (&self.tag, &other.tag) {
            if a != b {
                return false;
            }
        }
        let covers = |pattern: &ImagePattern, repository: &str| {
            if pattern.wildcard {
                repository.len() > pattern.repository.len()
                    && repository.starts_with(&pattern.repository)
            } else {
                repository == pattern.repository
            }
        };
        match (self.wildcard, other.wildcard) {
            (true, true) => {
                self.repository.starts_with(&other.repository)
                    || other.repository.starts_with(&self.repository)
            }
            (true, false) => covers(self, &other.repository),
            (false, true) => covers(other, &self.repository),
            (false, false) => self.repository == other.repository,
        }
    }

    /// The tag the pattern restricts matches to, if any.
    pub fn fixed_tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The image this pattern matches whose wildcard part is `rest` (the inverse of
    /// [`matches`](Self::matches)), carrying `tag` unless the pattern fixes one.
    pub fn source(&self, rest: &str, tag: Option<&str>, digest: Option<&str>) -> Option<ImageRef> {
        let repository = if self.wildcard {
            format!("{}{rest}", self.repository)
        } else {
            self.repository.clone()
        };
        let mut image = ImageRef::parse(&format!("{}/{repository}", self.domain)).ok()?;
        image.tag = self.tag.clone().or(tag.map(str::to_owned));
        image.digest = digest.map(str::to_owned);
        Some(image)
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

    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The tag every destination gets, if the `to` sets one.
    pub fn fixed_tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The inverse of [`apply`](Self::apply): when `image` has this destination's registry,
    /// path (prefix) and tag, the part of its repository that `*` stood for (empty without a
    /// wildcard). The caller confirms by applying the map forward again.
    pub fn unapply(&self, image: &ImageRef) -> Option<String> {
        if self.tag.is_some() && image.tag != self.tag {
            return None;
        }
        let own = ImageRef {
            registry: self.registry.clone(),
            path: if self.wildcard {
                format!("{}x", self.path)
            } else {
                self.path.clone()
            },
            tag: None,
            digest: None,
        };
        if !own.domain().eq_ignore_ascii_case(image.domain()) {
            return None;
        }
        let repository = image.repository();
        if self.wildcard {
            let prefix = own.repository();
            let prefix = prefix.strip_suffix('x').unwrap_or(&prefix);
            repository
                .strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(str::to_owned)
        } else {
            (repository == own.repository()).then(String::new)
        }
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

    /// The inverse of [`apply`](Self::apply): the Docker Hub repositories (`library/nginx`)
    /// whose name this template renders as `image`'s name. `Err` when the name fits the
    /// template but the template keeps too little of the source to name it (`{name}` alone
    /// drops the namespace). The caller confirms each candidate by applying it forward.
    pub fn unapply(&self, image: &ImageRef) -> Result<Vec<String>, &'static str> {
        let mut found = Vec::new();
        let mut names = vec![image.name()];
        if image.canonical_name() != names[0] {
            names.push(image.canonical_name());
        }
        let mut fits = false;
        for name in &names {
            let mut bound = Bindings::default();
            self.bind(0, name, 0, &mut bound, &mut |b: &Bindings| {
                fits = true;
                if let Some(repository) = b.repository() {
                    found.push(repository);
                }
            });
        }
        found.sort();
        found.dedup();
        if found.is_empty() && fits {
            return Err("the [target] template keeps only the last path component ({name}),                         so the Docker Hub namespace it came from is unknown");
        }
        Ok(found)
    }

    /// Matches segments from `segment` on against `name[at..]`, calling `done` for every
    /// complete match. Placeholders match any non-empty text; repeated ones must agree.
    fn bind<'n>(
        &self,
        segment: usize,
        name: &'n str,
        at: usize,
        bound: &mut Bindings<'n>,
        done: &mut dyn FnMut(&Bindings<'n>),
    ) {
        let Some(current) = self.segments.get(segment) else {
            if at == name.len() {
                done(bound);
            }
            return;
        };
        if let Segment::Literal(text) = current {
            if name[at..].starts_with(text.as_str()) {
                self.bind(segment + 1, name, at + text.len(), bound, done);
            }
            return;
        }
        for end in at + 1..=name.len() {
            if !name.is_char_boundary(end) {
                continue;
            }
            let value = &name[at..end];
            let slot = bound.slot(current);
            if slot.is_some_and(|v| v != value) {
                continue;
            }
            let previous = slot.replace(value);
            self.bind(segment + 1, name, end, bound, done);
            *bound.slot(current) = previous;
        }
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

/// What each placeholder matched while inverting a template.
#[derive(Default)]
struct Bindings<'n> {
    path: Option<&'n str>,
    repo: Option<&'n str>,
    namespace: Option<&'n str>,
    name: Option<&'n str>,
}

impl<'n> Bindings<'n> {
    fn slot(&mut self, segment: &Segment) -> &mut Option<&'n str> {
        match segment {
            Segment::Path => &mut self.path,
            Segment::Repo => &mut self.repo,
            Segment::Namespace => &mut self.namespace,
            Segment::Name | Segment::Literal(_) => &mut self.name,
        }
    }

    /// The Docker Hub repository these values came from, when they name one.
    fn repository(&self) -> Option<String> {
        if let Some(repo) = self.repo {
            return Some(repo.to_owned());
        }
        if let Some(path) = self.path {
            return Some(if path.contains('/') {
                path.to_owned()
            } else {
                format!("library/{path}")
            });
        }
        Some(format!("{}/{}", self.namespace?, self.name?))
    }
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

/// Parses a `from` or an ignore pattern: a reference, or a name prefix ending in `*` (`acme/*`,
/// or `acme/jupyter*` inside the last component).
pub(super) fn parse_pattern(text: &str) -> Result<ImagePattern, String> {
    let (wildcard, image) = parse_with_wildcard(text)?;
    if image.digest.is_some() {
        return Err("a pattern cannot carry a digest".to_owned());
    }
    let repository = if wildcard {
        let prefix = image
            .path
            .strip_suffix(WILDCARD_STAND_IN)
            .unwrap_or(&image.path);
        if prefix.is_empty() && image.is_docker_hub() {
            return Err(
                "`*` alone would match every Docker Hub image: use [target] for that".to_owned(),
            );
        }
        // `nginx*` names official images, whose repositories start with `library/`.
        if image.is_docker_hub() && !prefix.contains('/') {
            format!("library/{prefix}")
        } else {
            prefix.to_owned()
        }
    } else {
        image.repository().into_owned()
    };
    Ok(ImagePattern {
        written: text.to_owned(),
        domain: image.domain().to_owned(),
        repository,
        wildcard,
        tag: image.tag,
    })
}

pub(super) fn parse_destination(text: &str) -> Result<Destination, String> {
    let (wildcard, image) = parse_with_wildcard(text)?;
    if image.digest.is_some() {
        return Err("a destination cannot carry a digest (digests are kept)".to_owned());
    }
    let path = if wildcard {
        image
            .path
            .strip_suffix(WILDCARD_STAND_IN)
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

/// What `*` is replaced with so that the rest parses as a reference; stripped again after.
const WILDCARD_STAND_IN: &str = "x";

/// Parses `text`, where a final `*` stands for "the rest of the name": a whole last component
/// (`name/*`) or the end of one (`name/prefix*`).
fn parse_with_wildcard(text: &str) -> Result<(bool, ImageRef), String> {
    let name_end = text.find(['@']).unwrap_or(text.len());
    let star = text.find('*');
    let (wildcard, candidate) = match star {
        None => (false, text.to_owned()),
        Some(i) => {
            let after = &text[i + 1..name_end];
            if after.starts_with(':') {
                return Err("a tag cannot follow `*`".to_owned());
            }
            if !after.is_empty() || text[i + 1..].contains('*') {
                return Err("`*` may only end the name (`name/*` or `name/prefix*`)".to_owned());
            }
            (
                true,
                format!("{}{WILDCARD_STAND_IN}{}", &text[..i], &text[i + 1..]),
            )
        }
    };
    let image = ImageRef::parse(&candidate).map_err(|e| format!("`{text}`: {e}"))?;
    Ok((wildcard, image))
}

/// The repository prefix of an `oci://` chart map side: `oci://registry-1.docker.io/bitnamicharts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartPrefix {
    pub written: String,
    /// The host as written (`registry-1.docker.io`).
    pub host: String,
    /// The path without a trailing `/` (`bitnamicharts`).
    pub path: String,
}

impl ChartPrefix {
    pub fn parse(text: &str) -> Result<ChartPrefix, String> {
        let rest = text
            .strip_prefix("oci://")
            .ok_or_else(|| format!("`{text}` does not start with `oci://`"))?;
        let rest = rest.trim_end_matches("/*").trim_end_matches('/');
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| format!("`{text}` names no repository path after the host"))?;
        let image = ImageRef::parse(rest).map_err(|e| format!("`{text}`: {e}"))?;
        if image.registry.as_deref() != Some(host) || image.tag.is_some() || image.digest.is_some()
        {
            return Err(format!("`{text}` is not `oci://HOST/PATH`"));
        }
        Ok(ChartPrefix {
            written: text.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
        })
    }

    /// The rest of `repository` (`/redis`, or empty) when a chart repository on `host` lies
    /// under this prefix; Docker Hub host aliases are one host.
    pub fn strip<'a>(&self, host: &str, repository: &'a str) -> Option<&'a str> {
        let same_host = host.eq_ignore_ascii_case(&self.host)
            || crate::reference::is_docker_hub_host(host)
                && crate::reference::is_docker_hub_host(&self.host);
        if !same_host {
            return None;
        }
        let rest = repository.strip_prefix(self.path.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
}
