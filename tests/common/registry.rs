//! Harness for tests against real registries: CNCF Distribution (Debian's `docker-registry`)
//! started on 127.0.0.1 at free ports with storage in temp dirs — open, with `htpasswd`
//! (Basic), with `token` auth backed by the token issuer of `servers.rs`, or as a pull-through
//! cache (`proxy: remoteurl:`) — plus images built here as OCI layouts and pushed with
//! `skopeo`. Every process started here is stopped when its handle drops.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::servers::TokenIssuer;

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
