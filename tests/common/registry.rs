//! Harness for tests against real registries: CNCF Distribution (Debian's `docker-registry`)
//! started on 127.0.0.1 at free ports with storage in temp dirs — open, with `htpasswd`
//! (Basic), with `token` auth backed by a token issuer run here (ES256 key and certificate
//! made per run), or as a pull-through cache (`proxy: remoteurl:`) — plus images built here as
//! OCI layouts and pushed with `skopeo`, and a CONNECT proxy for `HTTPS_PROXY`.
//! Every process started here is stopped when its handle drops.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;

/// The commands the registry tests run, and where they come from.
const TOOLS: [&str; 2] = ["docker-registry", "skopeo"];

/// Why the registry tests cannot run, when a tool is missing from `path` (the process's
/// `PATH` when `None`).
pub fn missing_tools(path: Option<&OsStr>) -> Option<String> {
    let path: OsString = path
        .map(OsStr::to_owned)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let missing: Vec<&str> = TOOLS
        .into_iter()
        .filter(|tool| !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the registry tests need {} on PATH: run the test suite with `bash .ci/test`, which \
             installs them, or install them yourself (as root: `apt-get update && apt-get install \
             -y docker-registry skopeo`)",
            missing.join(" and ")
        )
    })
}

/// Fails the test, naming what to install, unless `docker-registry` and `skopeo` are there.
pub fn require_tools() {
    if let Some(message) = missing_tools(None) {
        panic!("{message}");
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// How a registry authenticates, or what it mirrors.
pub enum Auth<'a> {
    Open,
    /// `auth: htpasswd` with these users (Basic).
    Htpasswd(&'a [(&'a str, &'a str)]),
    /// `auth: token`, trusting `issuer`'s certificate (Bearer).
    Token(&'a TokenIssuer),
    /// `proxy: remoteurl:` — a pull-through cache of the registry at this URL.
    Proxy(&'a str),
}

/// A running `docker-registry serve`.
pub struct Registry {
    /// `127.0.0.1:PORT`, as image references write it.
    pub host: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    pub fn start(auth: Auth<'_>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let mut last_error = String::new();
        // A port found free may be taken before the registry binds it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let config = config(dir.path(), port, &auth);
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}"));
            match wait_until_listening(port, &mut child) {
                Ok(()) => {
                    return Registry {
                        host: format!("127.0.0.1:{port}"),
                        child,
                        dir,
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = format!(
                        "{e}\n{}",
                        std::fs::read_to_string(dir.path().join("registry.log"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        panic!("docker-registry did not start: {last_error}");
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    /// The registry's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, port: u16, auth: &Auth<'_>) -> String {
    let storage = dir.join("storage");
    let mut text = format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: regmig-test-{port}\n",
        storage.display()
    );
    match auth {
        Auth::Open => {}
        Auth::Htpasswd(users) => {
            let mut file = String::new();
            for (user, password) in *users {
                let hash = bcrypt::hash(password, 4).unwrap();
                writeln!(file, "{user}:{hash}").unwrap();
            }
            let path = dir.join("htpasswd");
            std::fs::write(&path, file).unwrap();
            write!(
                text,
                "auth:\n  htpasswd:\n    realm: regmig-test\n    path: {}\n",
                path.display()
            )
            .unwrap();
        }
        Auth::Token(issuer) => {
            let path = dir.join("token-issuer.crt");
            std::fs::write(&path, &issuer.cert_pem).unwrap();
            write!(
                text,
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    \
                 rootcertbundle: {}\n",
                issuer.realm(),
                TokenIssuer::SERVICE,
                TokenIssuer::ISSUER,
                path.display()
            )
            .unwrap();
        }
        Auth::Proxy(remote) => {
            write!(text, "proxy:\n  remoteurl: {remote}\n").unwrap();
        }
    }
    text
}

fn wait_until_listening(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(format!("docker-registry exited: {status}"));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err("docker-registry did not listen within 20 s".to_owned())
}

/// A token issuer for `auth: token` registries: `GET /token?service=…&scope=…` with Basic
/// credentials of a known user grants the requested actions; without credentials it grants
/// none (anonymous); with wrong ones it answers 401. Tokens are ES256 JWTs with the signing
/// certificate in `x5c`.
pub struct TokenIssuer {
    port: u16,
    cert_pem: String,
    requests: Arc<AtomicUsize>,
}

impl TokenIssuer {
    pub const SERVICE: &'static str = "regmig-test-registry";
    pub const ISSUER: &'static str = "regmig-test-issuer";

    pub fn start(users: &[(&str, &str)]) -> TokenIssuer {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["regmig-token-issuer".to_owned()]).unwrap();
        let cert = params.self_signed(&key_pair).unwrap();
        let signer = Arc::new(Signer {
            key: ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key_pair.serialize_der(),
                &ring::rand::SystemRandom::new(),
            )
            .unwrap(),
            x5c: base64::engine::general_purpose::STANDARD.encode(cert.der()),
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let signer = signer.clone();
                let counter = counter.clone();
                std::thread::spawn(move || serve_tokens(stream, &signer, &counter));
            }
        });
        TokenIssuer {
            port,
            cert_pem: cert.pem(),
            requests,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// Token requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

struct Signer {
    key: ring::signature::EcdsaKeyPair,
    x5c: String,
    users: Vec<(String, String)>,
}

impl Signer {
    fn token(&self, subject: &str, access: &[(String, Vec<&str>)]) -> String {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]});
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": TokenIssuer::ISSUER, "sub": subject, "aud": TokenIssuer::SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{subject}"),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            url.encode(header.to_string()),
            url.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes())
            .unwrap();
        format!("{signing_input}.{}", url.encode(signature.as_ref()))
    }
}

fn serve_tokens(stream: TcpStream, signer: &Signer, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let Some((request_line, headers)) = read_head(&mut reader) else {
            return;
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let target = request_line.split_whitespace().nth(1).unwrap_or("");
        let query = target.split_once('?').map_or("", |(_, q)| q);
        let scopes: Vec<String> = query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("scope="))
            .map(percent_decode)
            .collect();
        let authorization = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        let user = match authorization
            .as_deref()
            .and_then(|v| v.strip_prefix("Basic "))
        {
            None => None,
            Some(encoded) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let known = signer
                    .users
                    .iter()
                    .find(|(u, p)| decoded == format!("{u}:{p}"));
                match known {
                    Some((user, _)) => Some(user.clone()),
                    None => {
                        let body = r#"{"details":"invalid username or password"}"#;
                        respond(&stream, "401 Unauthorized", body);
                        continue;
                    }
                }
            }
        };
        // Anonymous callers get a token that grants nothing.
        let access: Vec<(String, Vec<&str>)> = scopes
            .iter()
            .flat_map(|scope| scope.split(' '))
            .filter_map(|scope| {
                let rest = scope.strip_prefix("repository:")?;
                let (name, actions) = rest.rsplit_once(':')?;
                let granted = if user.is_some() {
                    actions
                        .split(',')
                        .filter(|a| matches!(*a, "pull" | "push"))
                        .collect()
                } else {
                    Vec::new()
                };
                Some((name.to_owned(), granted))
            })
            .collect();
        let token = signer.token(user.as_deref().unwrap_or(""), &access);
        let body = serde_json::json!({"token": token, "access_token": token, "expires_in": 300})
            .to_string();
        respond(&stream, "200 OK", &body);
    }
}

/// A request line and headers; `None` at the end of the connection.
fn read_head(reader: &mut impl BufRead) -> Option<(String, Vec<(String, String)>)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Some((request_line.trim_end().to_owned(), headers));
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

fn respond(mut stream: &TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP CONNECT proxy that tunnels to any target and counts the tunnels it opened.
pub struct ConnectProxy {
    pub port: u16,
    tunnels: Arc<AtomicUsize>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(AtomicUsize::new(0));
        let counter = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || tunnel(client, &counter));
            }
        });
        ConnectProxy { port, tunnels }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

fn tunnel(client: TcpStream, counter: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some((request_line, _)) = read_head(&mut reader) else {
        return;
    };
    let mut parts = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        respond(&client, "405 Method Not Allowed", "");
        return;
    };
    let Ok(upstream) = TcpStream::connect(target) else {
        respond(&client, "502 Bad Gateway", "");
        return;
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let mut client_writer = client.try_clone().unwrap();
    let _ = client_writer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    // Bytes the reader buffered past the request head belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    let mut upstream_writer = upstream.try_clone().unwrap();
    let _ = upstream_writer.write_all(&buffered);
    let mut upstream_reader = upstream;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader.into_inner(), &mut upstream_writer);
        let _ = upstream_writer.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
    let _ = client_writer.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

/// Builds a one-layer image as an OCI layout (a tar layer holding `/etc/image-name`, its
/// config and manifest) and pushes it to `destination` (`HOST/REPO:TAG`) with skopeo.
pub fn push_image(destination: &str, content: &str) {
    let layout = tempfile::tempdir().unwrap();
    let blobs = layout.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let store = |bytes: &[u8]| -> (String, usize) {
        let hex = sha256_hex(bytes);
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let layer = tar_with_file("etc/image-name", content.as_bytes());
    let (layer_digest, layer_size) = store(&layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"org.opencontainers.image.title": content}},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    })
    .to_string();
    let (config_digest, config_size) = store(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer_size}],
    })
    .to_string();
    let (manifest_digest, manifest_size) = store(manifest.as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": manifest_size,
                       "annotations": {"org.opencontainers.image.ref.name": "seed"}}],
    });
    std::fs::write(layout.path().join("index.json"), index.to_string()).unwrap();
    std::fs::write(
        layout.path().join("oci-layout"),
        r#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .unwrap();
    let source = format!("oci:{}:seed", layout.path().display());
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &source,
        &format!("docker://{destination}"),
    ]);
}

/// The digest a registry serves for `reference`, as skopeo sees it.
pub fn skopeo_digest(reference: &str) -> String {
    skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        &format!("docker://{reference}"),
    ])
    .trim()
    .to_owned()
}

/// Runs skopeo without any credentials from the environment; its stdout.
pub fn skopeo(args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new("skopeo")
        .args(args)
        .env("HOME", home.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .output()
        .expect("run skopeo");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A ustar archive holding one regular file.
fn tar_with_file(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    let mut put =
        |offset: usize, text: &[u8]| header[offset..offset + text.len()].copy_from_slice(text);
    put(0, name.as_bytes());
    put(100, b"0000644\0");
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, format!("{:011o}\0", content.len()).as_bytes());
    put(136, b"00000000000\0");
    put(156, b"0");
    put(257, b"ustar\0");
    put(263, b"00");
    // The checksum is computed with its own field as spaces.
    put(148, b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut archive = header.to_vec();
    archive.extend_from_slice(content);
    archive.resize(archive.len().div_ceil(512) * 512, 0);
    archive.extend_from_slice(&[0u8; 1024]);
    archive
}

/// A directory with an executable `docker-credential-NAME` that answers `get` for `server`.
pub fn credential_helper(name: &str, server: &str, user: &str, secret: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\n\
         if [ \"$server\" = '{server}' ]; then\n  \
         printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}' \"$server\"\n\
         else\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n"
    );
    let path = dir.path().join(format!("docker-credential-{name}"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `PATH` with `dir` first.
pub fn path_with(dir: &Path) -> OsString {
    let mut dirs: Vec<PathBuf> = vec![dir.to_owned()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}
