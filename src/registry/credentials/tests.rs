//! Credential lookup from each source, with fake `docker-credential-*` helpers in a temp dir.

use std::os::unix::fs::PermissionsExt;

use super::*;

/// A scratch directory with config files and executable helper scripts.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `docker-credential-NAME`: answers `get` for `server` with `user`/`secret`, and records
    /// each call in `NAME.calls`.
    fn helper(&self, name: &str, server: &str, user: &str, secret: &str) {
        let calls = self.dir.path().join(format!("bin/{name}.calls"));
        let script = format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\necho \"$server\" >> '{}'\n\
             if [ \"$server\" = '{server}' ]; then\n  \
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}' \"$server\"\n\
             else\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n",
            calls.display()
        );
        let path = self.file(&format!("bin/docker-credential-{name}"), &script);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn calls(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join(format!("bin/{name}.calls")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The store that `vars` (name → value) describe, finding helpers only in `bin/`.
    fn store(&self, vars: &[(&str, PathBuf)]) -> CredentialStore {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone().into_os_string()))
            .collect();
        let mut store = CredentialStore::from_vars(|name| vars.get(name).cloned());
        store.helper_path = Some(self.dir.path().join("bin").into_os_string());
        store
    }
}

fn found(lookup: Lookup) -> Credential {
    match lookup {
        Lookup::Found(credential) => credential,
        Lookup::None {
            looked_in,
            problems,
        } => {
            panic!("nothing found in {looked_in:?}; problems {problems:?}")
        }
    }
}

fn password(credential: &Credential) -> &str {
    match &credential.secret {
        Secret::Password(p) => p,
        Secret::IdentityToken(_) => panic!("expected a password"),
    }
}

#[test]
fn registry_auth_file_auths() {
    let scratch = Scratch::new();
    // `auth` is base64("robot:s3cret"); Docker Hub under docker login's own key.
    let auth = scratch.file(
        "auth.json",
        r#"{"auths": {"registry.corp.example:5000": {"auth": "cm9ib3Q6czNjcmV0"},
            "https://index.docker.io/v1/": {"username": "hubuser", "password": "hubpass"},
            "https://quay.io/v1/": {"auth": "cXVheTpxcA=="}}}"#,
    );
    let store = scratch.store(&[("REGISTRY_AUTH_FILE", auth)]);
    let corp = found(store.lookup("registry.corp.example:5000"));
    assert_eq!(
        (corp.username.as_str(), password(&corp)),
        ("robot", "s3cret")
    );
    assert_eq!(corp.origin, "$REGISTRY_AUTH_FILE (auths)");
    for hub in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
        assert_eq!(found(store.lookup(hub)).username, "hubuser");
    }
    // A key with a scheme and a path still names its host.
    assert_eq!(found(store.lookup("quay.io")).username, "quay");
    assert!(matches!(store.lookup("ghcr.io"), Lookup::None { .. }));
}

#[test]
fn docker_config_cred_helpers_and_creds_store() {
    let scratch = Scratch::new();
    scratch.helper(
        "ecr-login",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "AWS",
        "ecr-token",
    );
    scratch.helper("desktop", "ghcr.io", "octocat", "ghp-token");
    let dir = scratch.dir.path().join("docker");
    scratch.file(
        "docker/config.json",
        r#"{"credHelpers": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"},
            "credsStore": "desktop",
            "auths": {"ghcr.io": {}}}"#,
    );
    let store = scratch.store(&[("DOCKER_CONFIG", dir)]);
    let ecr = found(store.lookup("123456789012.dkr.ecr.eu-west-1.amazonaws.com"));
    assert_eq!(
        (ecr.username.as_str(), password(&ecr)),
        ("AWS", "ecr-token")
    );
    assert_eq!(
        ecr.origin,
        "$DOCKER_CONFIG/config.json (credHelpers: docker-credential-ecr-login)"
    );
    // An empty `auths` entry is a credsStore marker: the store answers.
    let ghcr = found(store.lookup("ghcr.io"));
    assert_eq!(
        (ghcr.username.as_str(), password(&ghcr)),
        ("octocat", "ghp-token")
    );
    assert!(ghcr
        .origin
        .contains("credsStore: docker-credential-desktop"));
    // Each helper runs once per server, however often it is asked.
    found(store.lookup("ghcr.io"));
    assert_eq!(scratch.calls("desktop"), ["ghcr.io"]);
    // "credentials not found" is an answer, not an error.
    let Lookup::None {
        looked_in,
        problems,
    } = store.lookup("quay.io")
    else {
        panic!("quay.io has no credentials");
    };
    assert_eq!(looked_in, ["$DOCKER_CONFIG/config.json"]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn home_docker_config_and_precedence() {
    let scratch = Scratch::new();
    scratch.file(
        "home/.docker/config.json",
        r#"{"auths": {"ghcr.io": {"auth": "aG9tZTpob21lcGFzcw=="},
                      "quay.io": {"auth": "aG9tZTpxdWF5"}}}"#,
    );
    let auth = scratch.file(
        "auth.json",
        r#"{"auths": {"ghcr.io": {"auth": "cG9kbWFuOnBvZG1hbnBhc3M="}}}"#,
    );
    let home = scratch.dir.path().join("home");
    let store = scratch.store(&[("HOME", home.clone()), ("REGISTRY_AUTH_FILE", auth)]);
    // $REGISTRY_AUTH_FILE first; the home config for what it lacks.
    assert_eq!(found(store.lookup("ghcr.io")).username, "podman");
    let quay = found(store.lookup("quay.io"));
    assert_eq!(quay.username, "home");
    assert_eq!(quay.origin, "~/.docker/config.json (auths)");
    // $DOCKER_CONFIG replaces the home directory's config.
    let elsewhere = scratch.dir.path().join("nowhere");
    let store = scratch.store(&[("HOME", home), ("DOCKER_CONFIG", elsewhere)]);
    assert!(matches!(store.lookup("quay.io"), Lookup::None { .. }));
}

#[test]
fn identity_tokens_and_problems() {
    let scratch = Scratch::new();
    scratch.helper("acr", "acme.azurecr.io", "<token>", "refresh-me");
    let dir = scratch.dir.path().join("docker");
    scratch.file(
        "docker/config.json",
        r#"{"credHelpers": {"acme.azurecr.io": "acr", "gone.example": "missing-helper"},
            "auths": {"broken.example": {"auth": "%%%"},
                      "id.example": {"identitytoken": "tok"}}}"#,
    );
    let store = scratch.store(&[("DOCKER_CONFIG", dir)]);
    let acr = found(store.lookup("acme.azurecr.io"));
    assert_eq!(acr.secret, Secret::IdentityToken("refresh-me".into()));
    assert_eq!(
        found(store.lookup("id.example")).secret,
        Secret::IdentityToken("tok".into())
    );
    let Lookup::None { problems, .. } = store.lookup("gone.example") else {
        panic!("no helper, no credential");
    };
    assert!(
        problems[0].contains("docker-credential-missing-helper"),
        "{problems:?}"
    );
    let Lookup::None { problems, .. } = store.lookup("broken.example") else {
        panic!("an undecodable entry is no credential");
    };
    assert!(problems[0].contains("base64"), "{problems:?}");
}

#[test]
fn secrets_never_show() {
    let scratch = Scratch::new();
    let auth = scratch.file(
        "auth.json",
        r#"{"auths": {"ghcr.io": {"auth": "dTpodW50ZXIy"}}}"#,
    );
    let credential = found(
        scratch
            .store(&[("REGISTRY_AUTH_FILE", auth)])
            .lookup("ghcr.io"),
    );
    assert_eq!(password(&credential), "hunter2");
    let shown = format!("{credential:?} {}", credential.origin);
    assert!(
        !shown.contains("hunter2") && !shown.contains("dTpodW50ZXIy"),
        "{shown}"
    );
    // A malformed file is reported without quoting it.
    let bad = scratch.file(
        "bad.json",
        r#"{"auths": {"ghcr.io": {"auth": "c2VjcmV0"}, }"#,
    );
    let Lookup::None { problems, .. } = scratch
        .store(&[("REGISTRY_AUTH_FILE", bad)])
        .lookup("ghcr.io")
    else {
        panic!("a malformed file holds nothing");
    };
    assert!(problems[0].contains("invalid JSON") && !problems[0].contains("c2VjcmV0"));
}
