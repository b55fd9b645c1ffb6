//! Extract stage, mapped references anywhere: a `[[map]]` that names a specific namespace
//! (`kubeflowkatib/*`, `bitnami/*`, `quay.io/old-org/*`) is specific enough to be searched in
//! every text file, prose and source code included. The search looks for each name prefix, then
//! widens the hit to the whole token around it; tokens inside URLs or filesystem paths, file
//! names and Helm chart names (`helm install r bitnami/redis`) are left alone. Every hit is a
//! [`Role::Named`] occurrence, so only a `[[map]]` can report it.

use aho_corasick::AhoCorasick;

use super::{Occurrence, Role};
use crate::reference::ImageRef;
use crate::source::Span;

/// The name prefixes to look for, compiled once per run.
pub struct MappedSearch {
    prefixes: Vec<Prefix>,
    /// Few distinct prefixes are searched one by one with SIMD substring search; many, with
    /// one automaton (whose scan of every byte costs more than a few fast passes).
    searcher: Searcher,
}

enum Searcher {
    Each(Vec<memchr::memmem::Finder<'static>>),
    Automaton(AhoCorasick),
}

/// Up to this many distinct prefixes are searched one by one.
const SEPARATE_SEARCHES: usize = 6;

/// One searched prefix: a repository prefix on a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// The normalised registry (`docker.io` for every Docker Hub alias).
    pub domain: String,
    /// The start of the repository path (`kubeflowkatib/`, `acme/jupyter`, `bitnami/redis`).
    pub repository: String,
}

impl MappedSearch {
    /// `None` when there is nothing to search for.
    pub fn new(prefixes: Vec<Prefix>) -> Option<MappedSearch> {
        if prefixes.is_empty() {
            return None;
        }
        let mut needles: Vec<&str> = prefixes.iter().map(|p| p.repository.as_str()).collect();
        needles.sort_unstable();
        needles.dedup();
        // `bitnami/` and `bitnamilegacy/` (a map and its destination): one pass for `bitnami`.
        let shared = common_prefix(&needles);
        let searcher = if shared.len() >= 4 {
            Searcher::Each(vec![memchr::memmem::Finder::new(shared).into_owned()])
        } else if needles.len() <= SEPARATE_SEARCHES {
            Searcher::Each(
                needles
                    .iter()
                    .map(|n| memchr::memmem::Finder::new(n).into_owned())
                    .collect(),
            )
        } else {
            Searcher::Automaton(AhoCorasick::new(needles).ok()?)
        };
        Some(MappedSearch { prefixes, searcher })
    }

    /// Every whole-token reference in `text` that starts with a searched prefix.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        let mut found: Vec<Occurrence> = Vec::new();
        for at in self.starts(text) {
            let occurrence = self
                .prefixes
                .iter()
                .filter(|p| text[at..].starts_with(p.repository.as_str()))
                .find_map(|prefix| token_at(text, at, prefix));
            let Some(occurrence) = occurrence else {
                continue;
            };
            if found
                .last()
                .is_some_and(|o| o.location() == occurrence.location())
            {
                continue;
            }
            found.push(occurrence);
        }
        found.sort_by_key(|o| o.location());
        found.dedup_by(|a, b| a.location() == b.location());
        found
    }

    /// Every position where some prefix starts, in order, each once (where a token is found
    /// does not depend on which prefix matched there, only whether it is kept).
    fn starts(&self, text: &str) -> Vec<usize> {
        let mut starts: Vec<usize> = match &self.searcher {
            Searcher::Each(finders) => finders
                .iter()
                .flat_map(|f| f.find_iter(text.as_bytes()))
                .collect(),
            Searcher::Automaton(automaton) => automaton
                .find_overlapping_iter(text)
                .map(|hit| hit.start())
                .collect(),
        };
        starts.sort_unstable();
        starts.dedup();
        starts
    }
}

/// The longest start every needle shares.
fn common_prefix<'a>(needles: &[&'a str]) -> &'a str {
    let Some((first, rest)) = needles.split_first() else {
        return "";
    };
    let len = rest.iter().fold(first.len(), |len, needle| {
        first
            .bytes()
            .zip(needle.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Needles are ASCII-led names; stay on a character boundary whatever they hold.
    let mut len = len;
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    &first[..len]
}

/// Characters a reference can hold; anything else ends a token.
fn is_reference_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/' | b':' | b'@')
}

/// File extensions that make a path-like token a file name (`bitnami/redis/values.yaml`).
const FILE_EXTENSIONS: &[&str] = &[
    "yaml", "yml", "json", "md", "txt", "sh", "tgz", "tar", "gz", "zip", "py", "go", "js", "ts",
    "html", "png", "svg", "jpg", "conf", "cfg", "toml", "ini", "xml", "lock", "rs", "rb", "java",
    "tpl", "j2", "tf", "csv", "log", "pem", "crt", "key",
];

/// The reference token around a prefix hit at `at`, if it is one.
fn token_at(text: &str, at: usize, prefix: &Prefix) -> Option<Occurrence> {
    let bytes = text.as_bytes();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut start = at;
    while start > line_start && is_reference_char(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    while end < bytes.len() && is_reference_char(bytes[end]) {
        end += 1;
    }
    let token = &text[start..end];
    // A URL, or a path (`/opt/bitnami/redis`, `./bitnami/x`, even `/key:bitnami/x`).
    if token.contains("://") || token.starts_with(['/', '.']) {
        return None;
    }
    // `key:bitnami/redis`: a `:` after a key ends it (a `host:port/` does not).
    if let Some(colon) = text[start..at].rfind(':') {
        let after = &text[start + colon + 1..at];
        let is_port = !after.is_empty()
            && after
                .split('/')
                .next()
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty());
        if !is_port {
            start += colon + 1;
        }
    }
    // A sentence may end right after a reference: `… use bitnami/redis.`
    let mut token_end = end;
    while token_end > at && matches!(bytes[token_end - 1], b'.' | b':' | b'-' | b'_' | b'@') {
        token_end -= 1;
    }
    let token = &text[start..token_end];
    let before = text[line_start..start].chars().next_back();
    if token.starts_with(['/', '.']) || matches!(before, Some('/' | '~' | '$' | '%' | '&' | '#')) {
        return None;
    }
    let image = ImageRef::parse(token).ok()?;
    if image.domain() != prefix.domain || !image.repository().starts_with(&prefix.repository) {
        return None;
    }
    if is_file_name(&image.path) || is_helm_chart_argument(&text[line_start..start]) {
        return None;
    }
    let mut occurrence = Occurrence::whole(image, token, Span::new(start, token_end), line_start);
    occurrence.role = Role::Named;
    Some(occurrence)
}

fn is_file_name(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    last.rsplit_once('.')
        .is_some_and(|(_, extension)| FILE_EXTENSIONS.contains(&extension))
}

/// `helm install r bitnami/redis`, `helm upgrade … bitnami/redis`: a chart from a Helm
/// repository named `bitnami`, not an image.
fn is_helm_chart_argument(line_before: &str) -> bool {
    line_before
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '(' | ';' | '&' | '|'))
        .any(|word| word == "helm" || word.ends_with("/helm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(text: &str) -> Vec<String> {
        let searcher = MappedSearch::new(vec![
            Prefix {
                domain: "docker.io".into(),
                repository: "bitnami/".into(),
            },
            Prefix {
                domain: "docker.io".into(),
                repository: "acme/jupyter".into(),
            },
            Prefix {
                domain: "quay.io".into(),
                repository: "old-org/".into(),
            },
        ])
        .unwrap();
        searcher
            .find(text)
            .into_iter()
            .map(|o| text[o.location().start..o.location().end].to_owned())
            .collect()
    }

    #[test]
    fn whole_tokens_in_prose_code_and_json() {
        assert_eq!(
            search("Run `docker.io/bitnami/redis:7.2` or bitnami/nginx.\n"),
            ["docker.io/bitnami/redis:7.2", "bitnami/nginx"]
        );
        assert_eq!(
            search("IMAGE = \"bitnami/kubectl:1.29\"\n{\"image\":\"bitnami/os-shell:12\\n\"}\n"),
            ["bitnami/kubectl:1.29", "bitnami/os-shell:12"]
        );
        assert_eq!(search("image:bitnami/redis\n"), ["bitnami/redis"]);
        assert_eq!(
            search("use quay.io/old-org/tools:1 and acme/jupyter-scipy:v1\n"),
            ["quay.io/old-org/tools:1", "acme/jupyter-scipy:v1"]
        );
    }

    #[test]
    fn every_search_strategy_finds_the_same() {
        let prefix = |domain: &str, repository: &str| Prefix {
            domain: domain.into(),
            repository: repository.into(),
        };
        let text = "FROM bitnami/redis:7 and bitnamilegacy/nginx:1, quay.io/bitnami/x:2, \
                    acme/app:1 zeta/y:3\n";
        let found = |prefixes: Vec<Prefix>| -> Vec<String> {
            MappedSearch::new(prefixes)
                .unwrap()
                .find(text)
                .iter()
                .map(|o| text[o.location().start..o.location().end].to_owned())
                .collect()
        };
        let hub = |r: &str| prefix("docker.io", r);
        // One shared start, a few separate needles, and an automaton for many.
        let shared = found(vec![
            hub("bitnami/"),
            hub("bitnamilegacy/"),
            prefix("quay.io", "bitnami/"),
        ]);
        assert_eq!(
            shared,
            [
                "bitnami/redis:7",
                "bitnamilegacy/nginx:1",
                "quay.io/bitnami/x:2"
            ]
        );
        let separate = found(vec![hub("bitnami/"), hub("acme/")]);
        assert_eq!(separate, ["bitnami/redis:7", "acme/app:1"]);
        let many: Vec<Prefix> = ["bitnami/", "acme/", "zeta/", "a1/", "b2/", "c3/", "d4/"]
            .iter()
            .map(|r| hub(r))
            .collect();
        assert_eq!(found(many), ["bitnami/redis:7", "acme/app:1", "zeta/y:3"]);
    }

    #[test]
    fn never_urls_paths_files_or_charts() {
        for text in [
            "see https://hub.docker.com/r/bitnami/redis\n",
            "git clone github.com/bitnami/charts\n",
            "cd /opt/bitnami/redis\n",
            "data in /bitnami/postgresql\n",
            "edit bitnami/redis/values.yaml\n",
            "helm install my-release bitnami/redis\n",
            "xbitnami/redis\n",
            "~/bitnami/redis\n",
        ] {
            assert!(search(text).is_empty(), "{text}: {:?}", search(text));
        }
    }
}
