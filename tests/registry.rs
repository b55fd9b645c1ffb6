//! `regmig images` and `regmig verify` against real registries, never a mock: CNCF
//! Distribution started by the harness (`tests/common/registry.rs`) as an open source
//! registry, a Basic (`htpasswd`) and a Bearer (`token`) destination, and a pull-through cache.
//! regmig's own skopeo plan does the copying. Needs `docker-registry` and `skopeo`
//! (`bash .ci/test` installs them); without them these tests fail and say so.

mod common;
#[path = "common/registry.rs"]
mod harness;
#[path = "common/servers.rs"]
mod servers;

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use common::{repo, Output};
use harness::{Auth, Registry};
use servers::{ConnectProxy, TokenIssuer};

const USER: &str = "ci-robot";
const PASSWORD: &str = "correct-horse-battery";
const WRONG: &str = "wrong-staple-7731";

/// Runs regmig in `dir` with no credentials or proxies from the test's own environment, a
/// scratch `HOME`, and `env` on top.
fn regmig(dir: &Path, args: &[&str], env: &[(&str, OsString)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_regmig"));
    command.args(args).current_dir(dir).env("HOME", home.path());
    for name in [
        "REGISTRY_AUTH_FILE",
        "DOCKER_CONFIG",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run regmig");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn json(out: &Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    assert_eq!(doc["version"], 1);
    doc["images"].as_array().unwrap().clone()
}

fn entry<'a>(images: &'a [serde_json::Value], destination: &str) -> &'a serde_json::Value {
    images
        .iter()
        .find(|i| i["destination"] == destination)
        .unwrap_or_else(|| panic!("{destination} not in {images:#?}"))
}

fn basic_auth(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Three registries and a repository whose references point at the source one.
struct World {
    source: Registry,
    basic: Registry,
    token: Registry,
    issuer: TokenIssuer,
    repo: tempfile::TempDir,
    /// `$REGISTRY_AUTH_FILE` with the right credentials: `auths` for the Basic registry, a
    /// `credHelpers` entry (a helper script in `helpers`) for the token one.
    auth_file: tempfile::NamedTempFile,
    helpers: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        harness::require_tools();
        let issuer = TokenIssuer::start(&[(USER, PASSWORD)]);
        let source = Registry::start(Auth::Open);
        let basic = Registry::start(Auth::Htpasswd(&[(USER, PASSWORD)]));
        let token = Registry::start(Auth::Token(&issuer));
        for (name, content) in [
            ("team/api:1.0", "api 1.0"),
            ("team/worker:2.1", "worker 2.1"),
            ("team/web:3.0", "web 3.0"),
            ("team/late:1.0", "late 1.0"),
        ] {
            harness::push_image(&format!("{}/{name}", source.host), content);
        }
        let (src, bas, tok) = (&source.host, &basic.host, &token.host);
        let config = format!(
            "# The team's images move to two registries: the API to a Basic-auth one, the\n\
             # rest to one behind a token service.\n\
             [[map]]\nfrom = \"{src}/team/api\"\nto = \"{bas}/mirror/api\"\n\n\
             [[map]]\nfrom = \"{src}/team/*\"\nto = \"{tok}/mirror/*\"\n\n\
             [registries.\"{src}\"]\ninsecure = true\n\n\
             [registries.\"{bas}\"]\ninsecure = true\n\n\
             [registries.\"{tok}\"]\ninsecure = true\n"
        );
        let deployment = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    \
             spec:\n      containers:\n        - name: api\n          image: {src}/team/api:1.0\n"
        );
        let repo = repo(&[
            ("regmig.toml", config),
            ("k8s/api.yaml", deployment),
            (
                "worker/Dockerfile",
                format!("FROM {src}/team/worker:2.1\nCMD [\"worker\"]\n"),
            ),
            (
                "web/compose.yaml",
                format!("services:\n  web:\n    image: {src}/team/web:${{WEB_TAG}}\n"),
            ),
            ("web/.env", "WEB_TAG=3.0\n".to_owned()),
        ]);
        let helpers = harness::credential_helper("regmigtest", tok, USER, PASSWORD);
        let auth_file = tempfile::NamedTempFile::new().unwrap();
        fs::write(
            auth_file.path(),
            format!(
                r#"{{"auths": {{"{bas}": {{"auth": "{}"}}}}, "credHelpers": {{"{tok}": "regmigtest"}}}}"#,
                basic_auth(USER, PASSWORD)
            ),
        )
        .unwrap();
        World {
            source,
            basic,
            token,
            issuer,
            repo,
            auth_file,
            helpers,
        }
    }

    /// The environment that holds the right credentials.
    fn credentials(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("REGISTRY_AUTH_FILE", self.auth_file.path().into()),
            ("PATH", harness::path_with(self.helpers.path())),
        ]
    }

    fn verify(&self, args: &[&str], env: &[(&str, OsString)]) -> Output {
        let mut all = vec!["verify"];
        all.extend(args);
        regmig(self.repo.path(), &all, env)
    }

    /// Runs regmig's own skopeo plan with `sh`, with the right credentials.
    fn copy(&self) {
        let plan = regmig(self.repo.path(), &["images", "--format", "skopeo"], &[]);
        assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
        for flags in ["--src-tls-verify=false", "--dest-tls-verify=false"] {
            assert!(plan.stdout.contains(flags), "{}", plan.stdout);
        }
        let script = self.repo.path().join("copy.sh");
        fs::write(&script, &plan.stdout).unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut sh = Command::new("sh");
        sh.arg("-e").arg(&script).env("HOME", home.path());
        for (name, value) in self.credentials() {
            sh.env(name, value);
        }
        let out = sh.output().expect("run sh");
        assert!(
            out.status.success(),
            "the copy plan failed:\n{}\n{}\nbasic registry log:\n{}\ntoken registry log:\n{}",
            plan.stdout,
            String::from_utf8_lossy(&out.stderr),
            self.basic.log(),
            self.token.log()
        );
        fs::remove_file(script).unwrap();
    }
}

#[test]
fn the_copy_plan_runs_and_verify_proves_every_destination() {
    let world = World::new();
    let (src, bas, tok) = (&world.source.host, &world.basic.host, &world.token.host);
    world.copy();

    let out = world.verify(&["--source", "--format", "json"], &world.credentials());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let images = json(&out);
    assert_eq!(images.len(), 3, "{images:#?}");
    for (source, destination) in [
        (
            format!("{src}/team/api:1.0"),
            format!("{bas}/mirror/api:1.0"),
        ),
        (
            format!("{src}/team/worker:2.1"),
            format!("{tok}/mirror/worker:2.1"),
        ),
        // The compose tag comes from web/.env.
        (
            format!("{src}/team/web:3.0"),
            format!("{tok}/mirror/web:3.0"),
        ),
    ] {
        let image = entry(&images, &destination);
        let keys: Vec<&str> = image
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "destination",
                "detail",
                "digest",
                "source",
                "source_digest",
                "status"
            ]
        );
        assert_eq!(image["source"], source.as_str());
        assert_eq!(image["status"], "present", "{image}");
        // The source's digest as the registry reports it (not the layout's: skopeo may
        // re-encode on the first push), and the copy kept it.
        let expected = harness::skopeo_digest(&source);
        assert_eq!(image["source_digest"], expected.as_str(), "{image}");
        assert_eq!(image["digest"], expected.as_str(), "{image}");
    }
    // Bearer flow: the token service issued the tokens.
    assert!(world.issuer.requests() > 0);

    let human = world.verify(&["--source"], &world.credentials());
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human
            .stdout
            .contains(&format!("present      {bas}/mirror/api:1.0\n")),
        "{}",
        human.stdout
    );
    assert!(
        human.stderr.contains("3 destinations: 3 present"),
        "{}",
        human.stderr
    );

    // After the conversion the inventory, and so the verdicts, are the same.
    let fixed = regmig(world.repo.path(), &["fix", "--write"], &[]);
    assert!(
        fixed.stderr.contains("fixed 3 references"),
        "{}",
        fixed.stderr
    );
    let compose = fs::read_to_string(world.repo.path().join("web/compose.yaml")).unwrap();
    assert!(
        compose.contains(&format!("{tok}/mirror/web:${{WEB_TAG}}")),
        "{compose}"
    );
    let again = world.verify(&["--source", "--format", "json"], &world.credentials());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, out.stdout);

    // The source tag moves after the copy: with --source the destination differs.
    harness::push_image(&format!("{src}/team/worker:2.1"), "worker 2.1, rebuilt");
    let moved = world.verify(&["--source", "--format", "json"], &world.credentials());
    assert_eq!(moved.code, 1, "{}", moved.stdout);
    let images = json(&moved);
    let worker = entry(&images, &format!("{tok}/mirror/worker:2.1"));
    assert_eq!(worker["status"], "differs", "{worker}");
    assert_ne!(worker["digest"], worker["source_digest"]);
    assert_eq!(
        entry(&images, &format!("{tok}/mirror/web:3.0"))["status"],
        "present"
    );
    // Without --source only pullability counts.
    assert_eq!(world.verify(&[], &world.credentials()).code, 0);

    // A reference added after the copy ran: its image was never copied.
    fs::write(
        world.repo.path().join("k8s/late.yaml"),
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: late\nspec:\n  containers:\n    - name: late\n      image: {src}/team/late:1.0\n"),
    )
    .unwrap();
    let late = world.verify(&["--format", "json"], &world.credentials());
    assert_eq!(late.code, 1, "{}", late.stdout);
    let images = json(&late);
    assert_eq!(
        entry(&images, &format!("{tok}/mirror/late:1.0"))["status"],
        "missing"
    );
    assert_eq!(
        entry(&images, &format!("{bas}/mirror/api:1.0"))["status"],
        "present"
    );
    let late_human = world.verify(&[], &world.credentials());
    assert!(
        late_human.stdout.contains("regmig images --format skopeo"),
        "{}",
        late_human.stdout
    );
}

#[test]
fn wrong_or_missing_credentials_are_denied_and_never_shown() {
    let world = World::new();
    let (bas, tok) = (&world.basic.host, &world.token.host);
    world.copy();

    // Wrong passwords for both, in $DOCKER_CONFIG/config.json.
    let docker_config = tempfile::tempdir().unwrap();
    fs::write(
        docker_config.path().join("config.json"),
        format!(
            r#"{{"auths": {{"{bas}": {{"auth": "{0}"}}, "{tok}": {{"auth": "{0}"}}}}}}"#,
            basic_auth(USER, WRONG)
        ),
    )
    .unwrap();
    let env = [("DOCKER_CONFIG", docker_config.path().into())];
    let out = world.verify(&["--format", "json"], &env);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let images = json(&out);
    for destination in [
        format!("{bas}/mirror/api:1.0"),
        format!("{tok}/mirror/worker:2.1"),
        format!("{tok}/mirror/web:3.0"),
    ] {
        let image = entry(&images, &destination);
        assert_eq!(image["status"], "denied", "{image}");
        let detail = image["detail"].as_str().unwrap();
        assert!(
            detail.contains("$DOCKER_CONFIG/config.json (auths)"),
            "{detail}"
        );
    }
    let human = world.verify(&[], &env);
    assert_eq!(human.code, 1);
    // The Deployment pulls the API image: the cluster needs a pull secret as well.
    let api_block = human
        .stdout
        .split(&format!("denied       {bas}/mirror/api:1.0"))
        .nth(1)
        .unwrap_or_else(|| panic!("{}", human.stdout));
    let api_block = api_block.split("\ndenied").next().unwrap();
    assert!(api_block.contains("imagePullSecrets"), "{}", human.stdout);
    for text in [&out.stdout, &out.stderr, &human.stdout, &human.stderr] {
        assert!(
            !text.contains(WRONG) && !text.contains(&basic_auth(USER, WRONG)),
            "{text}"
        );
    }

    // No credentials at all: denied, and the message says how to log in.
    let anonymous = world.verify(&["--format", "json"], &[]);
    assert_eq!(anonymous.code, 1);
    for image in json(&anonymous) {
        assert_eq!(image["status"], "denied", "{image}");
        assert!(
            image["detail"].as_str().unwrap().contains("docker login"),
            "{image}"
        );
    }

    // The right credentials again: nothing of them shows either.
    let good = world.verify(&["--source"], &world.credentials());
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    for text in [&good.stdout, &good.stderr] {
        assert!(!text.contains(PASSWORD) && !text.contains(&basic_auth(USER, PASSWORD)));
    }
}

#[test]
fn a_pull_through_cache_needs_no_copy_and_proxies_are_honoured() {
    harness::require_tools();
    let source = Registry::start(Auth::Open);
    harness::push_image(&format!("{}/library/base:1.0", source.host), "base 1.0");
    let cache = Registry::start(Auth::Proxy(&source.url()));
    let (src, cch) = (&source.host, &cache.host);
    let dir = repo(&[
        (
            "regmig.toml",
            format!(
                "[[map]]\nfrom = \"{src}/library/*\"\nto = \"{cch}/library/*\"\n\n\
                 [registries.\"{src}\"]\ninsecure = true\n\n[registries.\"{cch}\"]\ninsecure = true\n"
            ),
        ),
        ("Dockerfile", format!("FROM {src}/library/base:1.0\n")),
    ]);
    let out = regmig(dir.path(), &["verify", "--source", "--format", "json"], &[]);
    assert_eq!(out.code, 0, "{}{}\n{}", out.stdout, out.stderr, cache.log());
    let images = json(&out);
    let image = entry(&images, &format!("{cch}/library/base:1.0"));
    assert_eq!(image["status"], "present");
    assert_eq!(image["digest"], image["source_digest"]);

    // Through HTTPS_PROXY: every connection goes through the proxy's tunnels.
    let proxy = ConnectProxy::start();
    let proxied = regmig(
        dir.path(),
        &["verify", "--source"],
        &[("HTTPS_PROXY", proxy.url().into())],
    );
    assert_eq!(proxied.code, 0, "{}{}", proxied.stdout, proxied.stderr);
    assert!(proxy.tunnels() >= 2, "{} tunnels", proxy.tunnels());

    // A proxy that does not answer makes the registries unreachable, not missing.
    let dead = format!("http://127.0.0.1:{}", {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    });
    let blocked = regmig(
        dir.path(),
        &["verify", "--format", "json"],
        &[("HTTPS_PROXY", dead.into())],
    );
    assert_eq!(blocked.code, 1);
    assert_eq!(json(&blocked)[0]["status"], "unreachable");
}

#[test]
fn missing_tools_fail_the_tests_with_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let message = harness::missing_tools(Some(empty.path().as_os_str())).unwrap();
    assert!(message.contains("docker-registry and skopeo"), "{message}");
    assert!(message.contains("bash .ci/test"), "{message}");
    assert!(
        message.contains("apt-get install -y docker-registry skopeo"),
        "{message}"
    );
}
