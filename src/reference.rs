//! Reference grammar: parse, normalise and render image references exactly like Docker's
//! `distribution/reference` (`ParseNormalizedNamed`), plus the Docker Hub host aliases.
//!
//! An [`ImageRef`] remembers how the user wrote it (host or no host, `library/` or not), so a
//! rewrite can keep the user's form; the normalised views (`domain`, `repository`,
//! `canonical`) are derived from it.

use std::borrow::Cow;
use std::fmt;

/// The hosts that serve Docker Hub. The first is the canonical spelling.
pub const DOCKER_HUB_HOSTS: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// distribution/reference's `NameTotalLengthMax`, applied to the repository path.
const PATH_MAX: usize = 255;
const TAG_MAX: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// The registry host (with port) as written; `None` when the reference names none.
    pub registry: Option<String>,
    /// The repository path as written (`nginx`, `library/nginx`, `bitnami/redis`).
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefError {
    Empty,
    HexName,
    Uppercase,
    NameTooLong,
    InvalidDomain,
    InvalidPath,
    InvalidTag,
    InvalidDigest,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefError::Empty => "empty reference",
            RefError::HexName => "a 64-character hexadecimal string is an image ID, not a name",
            RefError::Uppercase => "repository name must be lowercase",
            RefError::NameTooLong => "repository name must not be longer than 255 characters",
            RefError::InvalidDomain => "invalid registry host",
            RefError::InvalidPath => "invalid repository path",
            RefError::InvalidTag => "invalid tag",
            RefError::InvalidDigest => "invalid digest",
        })
    }
}

impl std::error::Error for RefError {}

/// `true` for any spelling of a Docker Hub host.
pub fn is_docker_hub_host(host: &str) -> bool {
    DOCKER_HUB_HOSTS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
}

impl ImageRef {
    /// Parses like `ParseNormalizedNamed`, but keeps the written form.
    pub fn parse(s: &str) -> Result<ImageRef, RefError> {
        if s.is_empty() {
            return Err(RefError::Empty);
        }
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(RefError::HexName);
        }
        let (registry, remainder) = split_domain(s);
        let (before_digest, digest) = match position(remainder, b'@') {
            Some(i) => (&remainder[..i], Some(&remainder[i + 1..])),
            None => (remainder, None),
        };
        let (path, tag) = match position(before_digest, b':') {
            Some(i) => (&before_digest[..i], Some(&before_digest[i + 1..])),
            None => (before_digest, None),
        };
        if let Some(host) = registry {
            if !valid_domain(host) {
                return Err(RefError::InvalidDomain);
            }
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(RefError::Uppercase);
        }
        if path.is_empty()
            || !path
                .as_bytes()
                .split(|&b| b == b'/')
                .all(valid_path_component)
        {
            return Err(RefError::InvalidPath);
        }
        if let Some(tag) = tag {
            if !valid_tag(tag) {
                return Err(RefError::InvalidTag);
            }
        }
        if let Some(digest) = digest {
            if !valid_digest(digest) {
                return Err(RefError::InvalidDigest);
            }
        }
        let image = ImageRef {
            registry: registry.map(str::to_owned),
            path: path.to_owned(),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        };
        if image.official_prefix().len() + image.path.len() > PATH_MAX {
            return Err(RefError::NameTooLong);
        }
        Ok(image)
    }

    /// `true` when the image is pulled from Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry.as_deref().is_none_or(is_docker_hub_host)
    }

    /// The normalised registry: `docker.io` for every Docker Hub alias.
    pub fn domain(&self) -> &str {
        match &self.registry {
            Some(host) if !is_docker_hub_host(host) => host,
            _ => DOCKER_HUB_HOSTS[0],
        }
    }

    /// The normalised repository path: `library/` added to one-component Docker Hub paths.
    pub fn repository(&self) -> Cow<'_, str> {
        match self.official_prefix() {
            "" => Cow::Borrowed(&self.path),
            prefix => Cow::Owned([prefix, &self.path].concat()),
        }
    }

    /// `library/` for a one-component Docker Hub path, else nothing.
    fn official_prefix(&self) -> &'static str {
        if self.is_docker_hub() && !self.path.contains('/') {
            "library/"
        } else {
            ""
        }
    }

    /// The path as Docker shows it: `nginx` rather than `library/nginx` on Docker Hub.
    pub fn familiar_path(&self) -> &str {
        match self.path.strip_prefix("library/") {
            Some(rest) if self.is_docker_hub() && !rest.contains('/') => rest,
            _ => &self.path,
        }
    }

    /// The name as written, without tag or digest.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(host) => [host, "/", &self.path].concat(),
            None => self.path.clone(),
        }
    }

    /// `domain/repository`, the key under which reports group an image.
    pub fn canonical_name(&self) -> String {
        self.canonical_pieces().concat()
    }

    /// Fully qualified: `docker.io/library/nginx:1.25`.
    pub fn canonical(&self) -> String {
        self.with_suffix(&self.canonical_pieces())
    }

    fn canonical_pieces(&self) -> [&str; 4] {
        [self.domain(), "/", self.official_prefix(), &self.path]
    }

    /// The reference in the form it was written.
    pub fn render(&self) -> String {
        match &self.registry {
            Some(host) => self.with_suffix(&[host, "/", &self.path]),
            None => self.with_suffix(&[&self.path]),
        }
    }

    /// `name`'s pieces, then `:tag` and `@digest`, in one allocation (these run for every
    /// reference found, and `format!` costs several times as much).
    fn with_suffix(&self, name: &[&str]) -> String {
        let suffix = [
            self.tag.as_ref().map_or(0, |t| t.len() + 1),
            self.digest.as_ref().map_or(0, |d| d.len() + 1),
        ];
        let mut out = String::with_capacity(
            name.iter().map(|p| p.len()).sum::<usize>() + suffix[0] + suffix[1],
        );
        name.iter().for_each(|piece| out.push_str(piece));
        push_suffix(&mut out, self);
        out
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

fn push_suffix(out: &mut String, image: &ImageRef) {
    if let Some(tag) = &image.tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        out.push('@');
        out.push_str(digest);
    }
}

/// `splitDockerDomain`: the first component is a host only if it is `localhost`, contains
/// `.` or `:`, or has an uppercase letter.
fn split_domain(s: &str) -> (Option<&str>, &str) {
    match position(s, b'/') {
        Some(i) => {
            let first = &s[..i];
            let is_host = first == "localhost"
                || first
                    .bytes()
                    .any(|b| matches!(b, b'.' | b':') || b.is_ascii_uppercase());
            if is_host {
                (Some(first), &s[i + 1..])
            } else {
                (None, s)
            }
        }
        None => (None, s),
    }
}

/// `host [":" port]`, host being a domain name or a bracketed IPv6 address.
fn valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return false;
        };
        let ipv6 = &rest[..close];
        if ipv6.is_empty() || !ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        let after = &rest[close + 1..];
        match after.strip_prefix(':') {
            Some(port) => (None, Some(port)),
            None if after.is_empty() => (None, None),
            None => return false,
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    host.is_none_or(|h| {
        h.as_bytes()
            .split(|&b| b == b'.')
            .all(valid_domain_component)
    })
}

/// Where byte `b` first occurs in `s`: references are short, and a plain loop beats the
/// setup of a `str::find` for them.
fn position(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

fn valid_domain_component(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`
fn valid_path_component(bytes: &[u8]) -> bool {
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b'a'..=b'z' | b'0'..=b'9') {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let sep_start = i;
        while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &bytes[sep_start..i];
        let valid_sep = matches!(sep, b"." | b"_" | b"__") || sep.iter().all(|&b| b == b'-');
        if !valid_sep || i == bytes.len() {
            return false;
        }
    }
}

/// `[\w][\w.-]{0,127}`
fn valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= TAG_MAX
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// The reference grammar's digest, then go-digest's check: a registered algorithm with its
/// exact length of lowercase hex.
fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == expected_len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests;
