//! Registry client, credentials: looked up where container tools keep them, never taken from
//! regmig.toml or the command line — `$REGISTRY_AUTH_FILE` (podman, skopeo, buildah), then
//! `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. In each file: `credHelpers` for
//! the host, then `auths`, then `credsStore`, the helpers run as
//! `docker-credential-<name> get`. Secrets are never printed: [`Credential`]'s `Debug` hides
//! them, and messages name only the file and the entry they came from.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use base64::Engine;
use serde::Deserialize;

use crate::reference::is_docker_hub_host;

/// The key `docker login` writes for Docker Hub.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    Password(String),
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint.
    IdentityToken(String),
}

#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub secret: Secret,
    /// Where it came from, for messages: `~/.docker/config.json (auths)`.
    pub origin: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Secret::Password(_) => "Password(…)",
            Secret::IdentityToken(_) => "IdentityToken(…)",
        })
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential {{ from {} }}", self.origin)
    }
}

/// The credential files in the order they are consulted, read once.
pub struct CredentialStore {
    files: Vec<ConfigFile>,
    /// Helper answers by (helper, server), so each helper runs once per host.
    helper_cache: Mutex<HashMap<(String, String), HelperResult>>,
    /// `PATH` for finding helpers, when not the process's own.
    helper_path: Option<OsString>,
}

type HelperResult = Result<Option<(String, Secret)>, String>;

/// One parsed `config.json` / `auth.json`.
struct ConfigFile {
    /// As shown in messages (`$REGISTRY_AUTH_FILE`, `~/.docker/config.json`).
    shown: String,
    content: Result<RawFile, String>,
}

#[derive(Default, Deserialize)]
struct RawFile {
    #[serde(default)]
    auths: HashMap<String, RawAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// What a lookup found: a credential, or nothing (and why, for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Credential),
    /// No credential for the host; the files consulted and any problem met on the way.
    None {
        looked_in: Vec<String>,
        problems: Vec<String>,
    },
}

impl CredentialStore {
    /// The files named by the environment: `$REGISTRY_AUTH_FILE`, then
    /// `$DOCKER_CONFIG/config.json` (or `$HOME/.docker/config.json`). A missing file holds
    /// nothing.
    pub fn from_env() -> CredentialStore {
        CredentialStore::from_vars(|name| std::env::var_os(name))
    }

    fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> CredentialStore {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let mut files = Vec::new();
        if let Some(path) = var("REGISTRY_AUTH_FILE") {
            files.push(("$REGISTRY_AUTH_FILE".to_owned(), PathBuf::from(path)));
        }
        if let Some(dir) = var("DOCKER_CONFIG") {
            let path = Path::new(&dir).join("config.json");
            files.push(("$DOCKER_CONFIG/config.json".to_owned(), path));
        } else if let Some(home) = var("HOME") {
            let path = Path::new(&home).join(".docker/config.json");
            files.push(("~/.docker/config.json".to_owned(), path));
        }
        CredentialStore::from_files(files)
    }

    /// The given files, each with the name messages use for it.
    pub fn from_files(paths: Vec<(String, PathBuf)>) -> CredentialStore {
        let files = paths
            .into_iter()
            .map(|(shown, path)| {
                let text = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    // Absent is the same as empty, but still named where nothing was found.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return ConfigFile {
                            shown,
                            content: Ok(RawFile::default()),
                        }
                    }
                    Err(e) => {
                        return ConfigFile {
                            content: Err(format!("{shown}: cannot read {}: {e}", path.display())),
                            shown,
                        }
                    }
                };
                // serde_json's messages quote no input, so a malformed file leaks no secret.
                let content = serde_json::from_str::<RawFile>(&text)
                    .map_err(|e| format!("{shown}: invalid JSON ({e})"));
                ConfigFile { shown, content }
            })
            .collect();
        CredentialStore {
            files,
            helper_cache: Mutex::new(HashMap::new()),
            helper_path: None,
        }
    }

    /// The credential for `host` (a registry as image references write it; any Docker Hub
    /// alias means Docker Hub).
    pub fn lookup(&self, host: &str) -> Lookup {
        let keys = candidate_keys(host);
        let mut problems = Vec::new();
        for file in &self.files {
            let raw = match &file.content {
                Ok(raw) => raw,
                Err(problem) => {
                    problems.push(problem.clone());
                    continue;
                }
            };
            let helper = keys
                .iter()
                .find_map(|key| raw.cred_helpers.get(key).map(|h| (key, h)));
            if let Some((key, helper)) = helper {
                match self.run_helper(helper, key) {
                    Ok(Some(found)) => {
                        return found_with(found, &file.shown, "credHelpers", helper)
                    }
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
            }
            if let Some(auth) = find_auth(&raw.auths, host) {
                match decode(auth) {
                    Ok(Some(secret)) => {
                        return Lookup::Found(Credential {
                            username: secret.0,
                            secret: secret.1,
                            origin: format!("{} (auths)", file.shown),
                        })
                    }
                    Ok(None) => {}
                    Err(problem) => problems.push(format!("{}: {problem}", file.shown)),
                }
            }
            if let Some(store) = raw.creds_store.as_deref().filter(|s| !s.is_empty()) {
                let server = if is_docker_hub_host(host) {
                    DOCKER_HUB_KEY
                } else {
                    host
                };
                match self.run_helper(store, server) {
                    Ok(Some(found)) => return found_with(found, &file.shown, "credsStore", store),
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
            }
        }
        Lookup::None {
            looked_in: self.files.iter().map(|f| f.shown.clone()).collect(),
            problems,
        }
    }

    /// `docker-credential-<helper> get` with `server` on stdin; `None` when it has nothing.
    fn run_helper(&self, helper: &str, server: &str) -> HelperResult {
        let key = (helper.to_owned(), server.to_owned());
        if let Some(answer) = self.helper_cache.lock().expect("not poisoned").get(&key) {
            return answer.clone();
        }
        let answer = run_helper(helper, server, self.helper_path.as_deref());
        self.helper_cache
            .lock()
            .expect("not poisoned")
            .insert(key, answer.clone());
        answer
    }
}

fn found_with(found: (String, Secret), file: &str, section: &str, helper: &str) -> Lookup {
    Lookup::Found(Credential {
        username: found.0,
        secret: found.1,
        origin: format!("{file} ({section}: docker-credential-{helper})"),
    })
}

/// The keys under which a host's credentials may be stored in `credHelpers`.
fn candidate_keys(host: &str) -> Vec<String> {
    if is_docker_hub_host(host) {
        [
            DOCKER_HUB_KEY,
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        vec![host.to_owned(), host.to_ascii_lowercase()]
    }
}

/// The `auths` entry for `host`: keys are compared by host, with any scheme and path
/// (`https://ghcr.io/v1/`) removed.
fn find_auth<'a>(auths: &'a HashMap<String, RawAuth>, host: &str) -> Option<&'a RawAuth> {
    let wanted_hub = is_docker_hub_host(host);
    let mut matching: Vec<(&String, &RawAuth)> = auths
        .iter()
        .filter(|(key, _)| {
            let key_host = key_host(key);
            if wanted_hub {
                is_docker_hub_host(key_host)
            } else {
                key_host.eq_ignore_ascii_case(host)
            }
        })
        .collect();
    // Deterministic when several spellings are present: the exact key first.
    matching.sort_by_key(|(key, _)| {
        (
            key.as_str() != host,
            key.as_str() != DOCKER_HUB_KEY,
            (*key).clone(),
        )
    });
    matching.first().map(|(_, auth)| *auth)
}

fn key_host(key: &str) -> &str {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// An `auths` entry's username and secret; `None` for an empty entry (a `credsStore`
/// marker).
fn decode(auth: &RawAuth) -> Result<Option<(String, Secret)>, String> {
    if let Some(token) = auth.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        let username = auth.username.clone().unwrap_or_default();
        return Ok(Some((username, Secret::IdentityToken(token.to_owned()))));
    }
    if let Some(encoded) = auth.auth.as_deref().filter(|a| !a.is_empty()) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "an `auth` value is not valid base64".to_owned())?;
        let text =
            String::from_utf8(bytes).map_err(|_| "an `auth` value is not UTF-8".to_owned())?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| "an `auth` value is not `user:password`".to_owned())?;
        return Ok(Some((
            user.to_owned(),
            Secret::Password(password.to_owned()),
        )));
    }
    match (&auth.username, &auth.password) {
        (Some(user), Some(password)) if !user.is_empty() => {
            Ok(Some((user.clone(), Secret::Password(password.clone()))))
        }
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs a credential helper. Its stderr is not passed on, since helpers may echo what they
/// were given; only the exit status and a fixed message are.
fn run_helper(helper: &str, server: &str, path: Option<&std::ffi::OsStr>) -> HelperResult {
    let program = format!("docker-credential-{helper}");
    let mut command = Command::new(&program);
    if let Some(path) = path {
        // std searches the child's PATH when it is set.
        command.env("PATH", path);
    }
    let mut child = command
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is answered by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{program} failed: {e}"))?;
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The helper protocol's answer for "nothing stored".
        if stdout.contains("credentials not found") || stderr.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!("{program} get failed ({})", output.status));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|_| format!("{program} get printed something other than its JSON answer"))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    // `<token>` is how helpers mark an identity token.
    let secret = if answer.username == "<token>" {
        Secret::IdentityToken(answer.secret)
    } else {
        Secret::Password(answer.secret)
    };
    Ok(Some((answer.username, secret)))
}

#[cfg(test)]
mod tests;
