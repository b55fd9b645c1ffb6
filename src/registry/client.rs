//! Registry client, requests: `HEAD /v2/<name>/manifests/<reference>` over one ureq agent per
//! registry host (its TLS settings from `[registries]`), answering the `WWW-Authenticate`
//! challenge once per host and reusing tokens per repository, with bounded retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::auth::{self, Challenge};
use super::credentials::{CredentialStore, Lookup, Secret};
use super::retry::Retry;
use crate::config::{ConfigError, Registries};
use crate::reference::{ImageRef, DOCKER_HUB_HOSTS};

/// The manifest media types a pull accepts: OCI index and manifest, Docker list and v2.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
                      application/vnd.oci.image.manifest.v1+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json, \
                      application/vnd.docker.distribution.manifest.v2+json";

/// Where Docker Hub's registry API lives.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// What the registry says about one manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It can be pulled; its digest.
    Present(String),
    /// Manifest (or repository) unknown.
    Missing,
    /// 401/403 even with the credentials found (or with none); why, without secrets.
    Denied(String),
    /// No answer worth the name: connection, TLS, timeouts, 5xx after retries.
    Unreachable(String),
}

/// A blocking registry client, shared by the `verify` workers.
pub struct Client {
    registries: Registries,
    credentials: CredentialStore,
    retry: Retry,
    /// Extra certificate authorities per host, read from `ca_file` when the client is made.
    extra_roots: HashMap<String, Vec<Certificate<'static>>>,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// What the client knows about one registry.
struct Host {
    /// As references write it, normalised (`docker.io`).
    name: String,
    /// Where the API is (`registry-1.docker.io` for Docker Hub).
    api: String,
    agent: ureq::Agent,
    insecure: bool,
    /// `https`, or `http` for an insecure host that does not speak TLS; decided on first use.
    scheme: OnceLock<&'static str>,
    challenge: Mutex<Option<Challenge>>,
    /// Bearer tokens by scope.
    tokens: Mutex<HashMap<String, String>>,
    credential: OnceLock<Lookup>,
}

/// The parts of a response the client reads.
struct Reply {
    status: u16,
    challenge: Option<String>,
    digest: Option<String>,
    body: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Head,
    Get,
    /// With a form body.
    Post,
}

impl Client {
    /// A client for the registries of `registries`; fails (pointing into the config) when a
    /// `ca_file` cannot be read.
    pub fn new(
        registries: Registries,
        credentials: CredentialStore,
        retry: Retry,
    ) -> Result<Client, ConfigError> {
        let mut extra_roots = HashMap::new();
        for (host, settings) in registries.iter() {
            let Some(path) = &settings.ca_file else {
                continue;
            };
            let fail = |why: String| {
                registries.ca_file_error(settings, format!("ca_file `{}`: {why}", path.display()))
            };
            let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()
                .map_err(|e| fail(format!("not PEM: {e}")))?;
            if certs.is_empty() {
                return Err(fail("holds no PEM certificate".to_owned()));
            }
            extra_roots.insert(host.to_owned(), certs);
        }
        Ok(Client {
            registries,
            credentials,
            retry,
            extra_roots,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `image` can be pulled: a HEAD of its manifest by digest, else by tag.
    pub fn head_manifest(&self, image: &ImageRef) -> Answer {
        let host = self.host(image.domain());
        let repository = image.repository();
        let reference = image
            .digest
            .as_deref()
            .or(image.tag.as_deref())
            .unwrap_or("latest");
        let path = format!("/v2/{repository}/manifests/{reference}");
        let scope = format!("repository:{repository}:pull");
        let mut authorization = match self.authorization(&host, &scope, false) {
            Ok(authorization) => authorization,
            Err(answer) => return answer,
        };
        let mut challenged = false;
        loop {
            let reply = match self.registry_request(&host, Method::Head, &path, &authorization) {
                Ok(reply) => reply,
                Err(detail) => return Answer::Unreachable(detail),
            };
            match reply.status {
                200..=299 => return self.digest_of(&host, &path, &authorization, reply),
                401 if !challenged => {
                    challenged = true;
                    let Some(challenge) = reply.challenge.as_deref().and_then(Challenge::parse)
                    else {
                        return Answer::Denied(self.denied(&host, 401, "without a challenge"));
                    };
                    *host.challenge.lock().expect("not poisoned") = Some(challenge);
                    authorization = match self.authorization(&host, &scope, true) {
                        Ok(authorization) => authorization,
                        Err(answer) => return answer,
                    };
                }
                status @ (401 | 403) => return Answer::Denied(self.denied(&host, status, "")),
                404 => return Answer::Missing,
                status => {
                    return Answer::Unreachable(format!("{} answered HTTP {status}", host.api))
                }
            }
        }
    }

    /// The digest of a found manifest: `Docker-Content-Digest`, or the SHA-256 of the
    /// manifest itself from a GET when the HEAD did not say.
    fn digest_of(
        &self,
        host: &Host,
        path: &str,
        authorization: &Option<String>,
        head: Reply,
    ) -> Answer {
        if let Some(digest) = head.digest {
            return Answer::Present(digest);
        }
        match self.registry_request(host, Method::Get, path, authorization) {
            Ok(reply) if (200..300).contains(&reply.status) => {
                let hash = ring::digest::digest(&ring::digest::SHA256, &reply.body);
                let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                Answer::Present(reply.digest.unwrap_or(format!("sha256:{hex}")))
            }
            Ok(reply) => Answer::Unreachable(format!(
                "{} answered HEAD but not GET (HTTP {})",
                host.api, reply.status
            )),
            Err(detail) => Answer::Unreachable(detail),
        }
    }

    /// The `Authorization` header for `scope` once the host has challenged (fetching a token
    /// when needed, or a new one with `fresh`); `None` before any challenge.
    fn authorization(
        &self,
        host: &Host,
        scope: &str,
        fresh: bool,
    ) -> Result<Option<String>, Answer> {
        let challenge = host.challenge.lock().expect("not poisoned").clone();
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => match self.credential(host) {
                Lookup::Found(credential) => match &credential.secret {
                    Secret::Password(password) => {
                        Ok(Some(auth::basic_header(&credential.username, password)))
                    }
                    Secret::IdentityToken(_) => Err(Answer::Denied(format!(
                        "{} asks for a password, but {} holds an identity token",
                        host.name, credential.origin
                    ))),
                },
                Lookup::None { .. } => Err(Answer::Denied(self.denied(host, 401, ""))),
            },
            Some(Challenge::Bearer { realm, service, .. }) => {
                if !fresh {
                    if let Some(token) = host.tokens.lock().expect("not poisoned").get(scope) {
                        return Ok(Some(format!("Bearer {token}")));
                    }
                }
                let token = self.fetch_token(host, &realm, service.as_deref(), scope)?;
                host.tokens
                    .lock()
                    .expect("not poisoned")
                    .insert(scope.to_owned(), token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A token from the realm: with Basic credentials, an identity token (OAuth2 refresh), or
    /// anonymously.
    fn fetch_token(
        &self,
        host: &Host,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, Answer> {
        let lookup = self.credential(host);
        let (method, url, authorization, form) = match &lookup {
            Lookup::Found(credential) => match &credential.secret {
                Secret::Password(password) => (
                    Method::Get,
                    auth::token_url(realm, service, scope),
                    Some(auth::basic_header(&credential.username, password)),
                    None,
                ),
                Secret::IdentityToken(token) => (
                    Method::Post,
                    realm.to_owned(),
                    None,
                    Some(auth::refresh_token_form(service, scope, token)),
                ),
            },
            Lookup::None { .. } => (
                Method::Get,
                auth::token_url(realm, service, scope),
                None,
                None,
            ),
        };
        let reply = self
            .execute(&host.agent, method, &url, &authorization, form.as_deref())
            .map_err(|e| Answer::Unreachable(format!("token service: {e}")))?;
        match reply.status {
            200..=299 => auth::token_from_response(&String::from_utf8_lossy(&reply.body))
                .ok_or_else(|| {
                    Answer::Unreachable("the token service answered without a token".to_owned())
                }),
            status @ (401 | 403) => Err(Answer::Denied(self.denied(
                host,
                status,
                "from the token service",
            ))),
            status => Err(Answer::Unreachable(format!(
                "the token service answered HTTP {status}"
            ))),
        }
    }

    /// The host's credential, looked up once.
    fn credential<'h>(&self, host: &'h Host) -> &'h Lookup {
        host.credential
            .get_or_init(|| self.credentials.lookup(&host.name))
    }

    /// Why access was denied, naming where credentials came from (never what they are).
    fn denied(&self, host: &Host, status: u16, context: &str) -> String {
        let context = if context.is_empty() {
            String::new()
        } else {
            format!(" {context}")
        };
        match self.credential(host) {
            Lookup::Found(credential) => format!(
                "HTTP {status}{context} with the credentials for {} from {}",
                host.name, credential.origin
            ),
            Lookup::None {
                looked_in,
                problems,
            } => {
                let mut text = format!(
                    "HTTP {status}{context} without credentials: none for {} in {}; \
                     log in with `docker login {}`",
                    host.name,
                    if looked_in.is_empty() {
                        "any credential file".to_owned()
                    } else {
                        looked_in.join(", ")
                    },
                    host.name
                );
                for problem in problems {
                    text.push_str(&format!(" ({problem})"));
                }
                text
            }
        }
    }

    /// A request to the host's API, deciding between HTTPS and plain HTTP for an insecure
    /// host on first use, as Docker does: HTTPS first.
    fn registry_request(
        &self,
        host: &Host,
        method: Method,
        path: &str,
        authorization: &Option<String>,
    ) -> Result<Reply, String> {
        let url = |scheme: &str| format!("{scheme}://{}{path}", host.api);
        if let Some(scheme) = host.scheme.get() {
            return self.execute(&host.agent, method, &url(scheme), authorization, None);
        }
        match self.execute(&host.agent, method, &url("https"), authorization, None) {
            Ok(reply) => {
                let _ = host.scheme.set("https");
                Ok(reply)
            }
            Err(tls_error) if host.insecure => {
                match self.execute(&host.agent, method, &url("http"), authorization, None) {
                    Ok(reply) => {
                        let _ = host.scheme.set("http");
                        Ok(reply)
                    }
                    Err(e) => Err(format!("{tls_error}; over plain HTTP: {e}")),
                }
            }
            Err(e) if looks_like_tls(&e) => Err(format!(
                "{e} (if {host} serves plain HTTP or a certificate from a private authority, \
                 say so in regmig.toml: [registries.\"{host}\"] insecure = true, or ca_file)",
                host = host.name
            )),
            Err(e) => Err(e),
        }
    }

    /// One request, retried on 429 and 5xx.
    fn execute(
        &self,
        agent: &ureq::Agent,
        method: Method,
        url: &str,
        authorization: &Option<String>,
        form: Option<&str>,
    ) -> Result<Reply, String> {
        let mut failures = 0;
        loop {
            let (reply, retry_after) = send(agent, method, url, authorization, form)?;
            if !Retry::is_retryable(reply.status) {
                return Ok(reply);
            }
            failures += 1;
            if failures >= self.retry.attempts {
                return Err(format!(
                    "{} answered HTTP {} {} times",
                    host_of(url),
                    reply.status,
                    failures
                ));
            }
            let wait = self
                .retry
                .delay(failures, retry_after.as_deref(), SystemTime::now());
            std::thread::sleep(wait);
        }
    }

    fn host(&self, domain: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().expect("not poisoned");
        if let Some(host) = hosts.get(domain) {
            return host.clone();
        }
        let settings = self.registries.get(domain).cloned().unwrap_or_default();
        let api = if domain == DOCKER_HUB_HOSTS[0] {
            DOCKER_HUB_API.to_owned()
        } else {
            domain.to_owned()
        };
        let tls = if settings.insecure {
            TlsConfig::builder().disable_verification(true).build()
        } else {
            TlsConfig::builder()
                .root_certs(roots(self.extra_roots.get(&domain.to_ascii_lowercase())))
                .build()
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .user_agent(format!("regmig/{}", env!("CARGO_PKG_VERSION")))
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        let host = Arc::new(Host {
            name: domain.to_owned(),
            api,
            agent: config.into(),
            insecure: settings.insecure,
            scheme: OnceLock::new(),
            challenge: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
            credential: OnceLock::new(),
        });
        hosts.insert(domain.to_owned(), host.clone());
        host
    }
}

/// The system's certificate store (where corporate CAs live) plus a `ca_file`'s; Mozilla's
/// roots, bundled, only when the system has none.
fn roots(extra: Option<&Vec<Certificate<'static>>>) -> RootCerts {
    static SYSTEM: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    let system = SYSTEM.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    });
    match extra {
        None if system.is_empty() => RootCerts::WebPki,
        None => RootCerts::from(system.iter().cloned()),
        Some(extra) => RootCerts::from(system.iter().chain(extra).cloned()),
    }
}

/// Whether a transport error is about TLS (a plain HTTP server, an unknown certificate
/// authority), which `[registries]` settings can fix.
fn looks_like_tls(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    ["certificate", "tls", "handshake", "corrupt message"]
        .iter()
        .any(|needle| error.contains(needle))
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// Sends one request; the reply and its `Retry-After`. Transport errors name the host and
/// what failed, never a header.
fn send(
    agent: &ureq::Agent,
    method: Method,
    url: &str,
    authorization: &Option<String>,
    form: Option<&str>,
) -> Result<(Reply, Option<String>), String> {
    let fail = |e: ureq::Error| format!("{}: {e}", host_of(url));
    let result = match method {
        Method::Post => {
            let mut request = agent
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded");
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            request.send(form.unwrap_or_default())
        }
        Method::Head => {
            let mut request = agent.head(url).header("Accept", ACCEPT);
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            request.call()
        }
        Method::Get => {
            let mut request = agent.get(url).header("Accept", ACCEPT);
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            request.call()
        }
    };
    let mut response = result.map_err(fail)?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let challenge = header("www-authenticate");
    let digest = header("docker-content-digest").filter(|d| d.contains(':'));
    let retry_after = header("retry-after");
    let body = if method != Method::Head {
        response.body_mut().read_to_vec().map_err(fail)?
    } else {
        Vec::new()
    };
    Ok((
        Reply {
            status,
            challenge,
            digest,
            body,
        },
        retry_after,
    ))
}

#[cfg(test)]
mod tests;
