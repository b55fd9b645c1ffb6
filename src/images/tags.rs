//! Images stage, variable tags: the value a tag written as a variable (`golang:${GO_VERSION}`)
//! takes where the repository defines it — a Dockerfile's global `ARG` default, the Compose
//! `.env` file beside the compose file, GitLab CI `variables:` (the job's, then the global
//! ones) — so the inventory can name the one image to copy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::extract::{dockerfile, vars, yaml};
use crate::reference::ImageRef;
use crate::walk::FileKind;

/// What a variable tag comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tag {
    /// The tag and digest, once every variable is expanded.
    Resolved {
        tag: Option<String>,
        digest: Option<String>,
    },
    /// Not known; the variables without a value in the repository, if any.
    Unresolved(Vec<String>),
}

/// The variables one file can see.
#[derive(Debug, Default)]
pub struct Scope {
    /// Visible everywhere in the file.
    global: HashMap<String, String>,
    /// GitLab jobs: where each top-level key starts, and the job's own variables.
    jobs: Vec<(usize, HashMap<String, String>)>,
}

impl Scope {
    /// The variables of `text`, a file of `kind` at `path`; `.env` files already read are in
    /// `env_files`, by directory.
    pub fn of(
        kind: FileKind,
        path: &Path,
        text: &str,
        env_files: &mut HashMap<PathBuf, HashMap<String, String>>,
    ) -> Scope {
        match kind {
            FileKind::Dockerfile => Scope {
                global: dockerfile::arg_defaults(text),
                jobs: Vec::new(),
            },
            FileKind::Compose => {
                let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
                let global = env_files
                    .entry(dir)
                    .or_insert_with_key(|dir| read_env_file(&dir.join(".env")))
                    .clone();
                Scope {
                    global,
                    jobs: Vec::new(),
                }
            }
            FileKind::GitlabCi => gitlab_variables(text),
            _ => Scope::default(),
        }
    }

    fn lookup(&self, offset: usize, name: &str) -> Option<String> {
        let job = self.jobs.iter().rev().find(|(start, _)| *start <= offset);
        job.and_then(|(_, vars)| vars.get(name))
            .or_else(|| self.global.get(name))
            .cloned()
    }
}

/// The tag of `text` (a reference as written whose tag holds variables), at `offset` in its
/// file.
pub fn resolve(text: &str, offset: usize, scope: &Scope) -> Tag {
    let suffix = tag_suffix(text);
    let lookup = |name: &str| scope.lookup(offset, name).filter(|v| !v.is_empty());
    let unset = || {
        let mut names: Vec<String> = vars::names_read(suffix)
            .filter(|name| lookup(name).is_none())
            .map(str::to_owned)
            .collect();
        names.dedup();
        Tag::Unresolved(names)
    };
    if !suffix.contains('$') {
        return Tag::Unresolved(Vec::new());
    }
    let Some(expanded) = vars::expand(suffix, lookup) else {
        return unset();
    };
    match ImageRef::parse(&format!("x{expanded}")) {
        Ok(image) if image.path == "x" => Tag::Resolved {
            tag: image.tag,
            digest: image.digest,
        },
        _ => Tag::Unresolved(Vec::new()),
    }
}

/// The tag (and digest) as written: `${TAG}-alpine` of `golang:${TAG}-alpine`.
pub fn written_tag(text: &str) -> &str {
    let suffix = tag_suffix(text);
    suffix.strip_prefix(':').unwrap_or(suffix)
}

/// `:${TAG}` of `golang:${TAG}`, `:v${TAG}@…` of `${IMAGE:-golang}:v${TAG}@…`: what follows
/// the name.
fn tag_suffix(text: &str) -> &str {
    let rest = match vars::parse(text) {
        Some((_, len)) if text.starts_with('$') => &text[len..],
        _ => {
            let last_slash = text.rfind('/').map_or(0, |i| i + 1);
            let name_end = text[last_slash..]
                .find([':', '@'])
                .map_or(text.len(), |i| last_slash + i);
            &text[name_end..]
        }
    };
    rest
}

/// `KEY=VALUE` lines of a Compose `.env` file; missing or unreadable means none.
fn read_env_file(path: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            Some((key.trim().to_owned(), unquote(value.trim()).to_owned()))
        })
        .collect()
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    // An unquoted value ends at ` #`.
    value.split(" #").next().unwrap_or(value).trim_end()
}

/// GitLab's top-level `variables:` and each job's own; a variable is a string or a map with
/// `value:`.
fn gitlab_variables(text: &str) -> Scope {
    let mut scope = Scope::default();
    let _ = yaml::parse_stream(text, |doc| {
        let Some(root) = doc.root() else {
            return;
        };
        if let Some(vars) = doc.get(root, "variables") {
            scope.global.extend(variables(doc, vars));
        }
        for &(key, job) in doc.entries(root) {
            let own = doc
                .get(job, "variables")
                .map(|vars| variables(doc, vars))
                .unwrap_or_default();
            scope.jobs.push((doc.node(key).start, own));
        }
    });
    scope
}

fn variables(doc: &yaml::Document, map: yaml::NodeId) -> HashMap<String, String> {
    doc.entries(map)
        .iter()
        .filter_map(|&(key, value)| {
            let value = doc
                .str(value)
                .or_else(|| doc.get(value, "value").and_then(|v| doc.str(v)))?;
            Some((doc.str(key)?.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(pairs: &[(&str, &str)]) -> Scope {
        Scope {
            global: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            jobs: Vec::new(),
        }
    }

    fn tag(value: &str) -> Tag {
        Tag::Resolved {
            tag: Some(value.to_owned()),
            digest: None,
        }
    }

    #[test]
    fn suffixes() {
        assert_eq!(tag_suffix("golang:${V}"), ":${V}");
        assert_eq!(tag_suffix("localhost:5000/app:${V}"), ":${V}");
        assert_eq!(tag_suffix("${IMAGE:-golang}:v${V}"), ":v${V}");
        assert_eq!(tag_suffix("golang"), "");
    }

    #[test]
    fn tags_resolve_through_the_scope_or_defaults() {
        let vars = scope(&[("GO", "1.22"), ("EMPTY", "")]);
        assert_eq!(resolve("golang:${GO}", 0, &vars), tag("1.22"));
        assert_eq!(resolve("golang:$GO-alpine", 0, &vars), tag("1.22-alpine"));
        assert_eq!(resolve("golang:${NOPE:-1.21}", 0, &vars), tag("1.21"));
        assert_eq!(resolve("golang:${EMPTY:-1.20}", 0, &vars), tag("1.20"));
        assert_eq!(
            resolve("golang:${NOPE}-${GO}", 0, &vars),
            Tag::Unresolved(vec!["NOPE".to_owned()])
        );
        assert_eq!(
            resolve("golang:${GO}@sha256:${D}", 0, &vars),
            Tag::Unresolved(vec!["D".to_owned()])
        );
        // A value that is no tag resolves nothing.
        let odd = scope(&[("GO", "1.22/x")]);
        assert_eq!(resolve("golang:${GO}", 0, &odd), Tag::Unresolved(vec![]));
    }

    #[test]
    fn gitlab_job_variables_shadow_global_ones() {
        let text = "variables:\n  GO: \"1.21\"\n  PY:\n    value: \"3.12\"\n    description: x\n\
                    build:\n  variables:\n    GO: \"1.22\"\n  image: golang:$GO\n\
                    test:\n  image: golang:$GO\n";
        let scope = gitlab_variables(text);
        let build = text.find("image: golang").unwrap();
        let test = text.rfind("image: golang").unwrap();
        assert_eq!(resolve("golang:$GO", build, &scope), tag("1.22"));
        assert_eq!(resolve("golang:$GO", test, &scope), tag("1.21"));
        assert_eq!(resolve("python:${PY}", test, &scope), tag("3.12"));
    }

    #[test]
    fn env_files_and_dockerfile_args() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "# versions\nexport WEB=\"1.27\"\nAPI='2.0'\nDB=16 # pinned\n",
        )
        .unwrap();
        let compose = dir.path().join("compose.yaml");
        let mut cache = HashMap::new();
        let scope = Scope::of(FileKind::Compose, &compose, "", &mut cache);
        assert_eq!(resolve("nginx:${WEB}", 0, &scope), tag("1.27"));
        assert_eq!(resolve("acme/api:${API}", 0, &scope), tag("2.0"));
        assert_eq!(resolve("postgres:${DB}", 0, &scope), tag("16"));
        let docker = "ARG GO=1.22\nFROM golang:${GO}\nARG LATE=1\n";
        let scope = Scope::of(
            FileKind::Dockerfile,
            Path::new("Dockerfile"),
            docker,
            &mut cache,
        );
        assert_eq!(resolve("golang:${GO}", 12, &scope), tag("1.22"));
        assert_eq!(
            resolve("golang:${LATE}", 12, &scope),
            Tag::Unresolved(vec!["LATE".to_owned()])
        );
    }
}
