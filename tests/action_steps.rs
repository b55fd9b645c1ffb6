//! The GitHub Action's scripts (`action.yml`), run the way a runner runs a `shell: bash`
//! step: inputs filled in through `env:`, `GITHUB_OUTPUT` read back, regmig on PATH.

mod action_yml;
mod common;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use action_yml::{action_text, expressions, keys, load, root, string};

/// A step of the action by id: its script and its `env:`, with `${{ … }}` filled in from
/// `values` (and the inputs' defaults), as the runner would.
fn step_script(id: &str, values: &HashMap<&str, String>) -> (String, Vec<(String, String)>) {
    let doc = load(&action_text());
    let defaults: HashMap<String, String> = keys(&doc["inputs"])
        .into_iter()
        .map(|name| {
            let default = string(&doc["inputs"][name.as_str()]["default"])
                .unwrap_or("")
                .to_owned();
            (name, default)
        })
        .collect();
    let step = doc["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| string(&s["id"]) == Some(id))
        .unwrap_or_else(|| panic!("no step `{id}`"))
        .clone();
    let fill = |text: &str| -> String {
        let mut out = text.to_owned();
        for expression in expressions(text) {
            let value = match expression.strip_prefix("inputs.") {
                Some(name) => values
                    .get(format!("inputs.{name}").as_str())
                    .cloned()
                    .unwrap_or_else(|| defaults[name].clone()),
                None => values
                    .get(expression.as_str())
                    .unwrap_or_else(|| panic!("the test gives no value for `{expression}`"))
                    .clone(),
            };
            out = out.replace(&format!("${{{{ {expression} }}}}"), &value);
        }
        out
    };
    let env = step["env"]
        .as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_owned(), fill(v.as_str().unwrap())))
                .collect()
        })
        .unwrap_or_default();
    (fill(string(&step["run"]).unwrap()), env)
}

struct StepRun {
    code: i32,
    stdout: String,
    outputs: HashMap<String, String>,
}

/// Runs a step's script the way the runner runs `shell: bash`, in `dir`, with regmig on PATH.
fn run_step(id: &str, dir: &Path, values: &[(&str, &str)]) -> StepRun {
    let values: HashMap<&str, String> = values.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let (script, env) = step_script(id, &values);
    let scratch = tempfile::tempdir().unwrap();
    let script_file = scratch.path().join("step.sh");
    fs::write(&script_file, script).unwrap();
    let output_file = scratch.path().join("output");
    fs::write(&output_file, "").unwrap();
    let binary_dir = PathBuf::from(env!("CARGO_BIN_EXE_regmig"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        binary_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_file)
        .current_dir(dir)
        .envs(env)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_ACTION_PATH", root())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .unwrap();
    let outputs = fs::read_to_string(&output_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    StepRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        outputs,
    }
}

/// A checkout with a Docker Hub reference in each of two directories.
fn checkout() -> tempfile::TempDir {
    common::repo(&[
        ("deploy/Dockerfile", "FROM nginx:1.25\n"),
        ("tools/Dockerfile", "FROM alpine:3.20\n"),
    ])
}

#[test]
fn the_check_step_annotates_and_fails_by_default() {
    let dir = checkout();
    let run = run_step("check", dir.path(), &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("::error file=deploy/Dockerfile,line=1,col=6,"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("::error file=tools/Dockerfile,"));
    assert_eq!(run.outputs["exit-code"], "1");
}

#[test]
fn the_check_step_writes_sarif_and_names_the_file() {
    let dir = checkout();
    let run = run_step(
        "check",
        dir.path(),
        &[
            ("inputs.format", "sarif"),
            ("inputs.sarif-file", "out/regmig.sarif"),
            ("inputs.fail-on-findings", "false"),
            ("inputs.paths", "deploy\n"),
        ],
    );
    assert_eq!(run.code, 0, "fail-on-findings: false");
    assert_eq!(run.outputs["sarif-file"], "out/regmig.sarif");
    assert_eq!(run.outputs["exit-code"], "1");
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/regmig.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the paths given");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/Dockerfile"
    );
}

#[test]
fn the_check_step_passes_paths_config_and_new_since() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    fs::create_dir_all(dir.path().join("ci")).unwrap();
    fs::write(
        dir.path().join("ci/regmig.toml"),
        "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n",
    )
    .unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM nginx:1.25\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM nginx:1.25\nFROM redis:7\n",
    )
    .unwrap();
    let run = run_step(
        "check",
        dir.path(),
        &[
            ("inputs.new-since", "HEAD"),
            ("inputs.config", "ci/regmig.toml"),
            ("inputs.paths", "Dockerfile ci"),
        ],
    );
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].starts_with("::error file=Dockerfile,line=2,"));
    assert!(
        lines[0].contains("ghcr.io/acme/redis:7"),
        "the config was used"
    );
}

#[test]
fn the_check_step_refuses_unknown_settings() {
    let dir = checkout();
    let run = run_step("check", dir.path(), &[("inputs.format", "xml")]);
    assert_eq!(run.code, 2);
    assert!(run
        .stdout
        .contains("::error title=regmig::format must be github or sarif"));
    let run = run_step("check", dir.path(), &[("inputs.fail-on-findings", "no")]);
    assert_eq!(run.code, 2);
    // Inputs are data, never shell code.
    let run = run_step(
        "check",
        dir.path(),
        &[("inputs.paths", "$(touch pwned) `touch pwned`")],
    );
    assert_eq!(run.code, 2, "the paths do not exist");
    assert!(!dir.path().join("pwned").exists());
}

#[test]
fn the_cache_key_names_os_version_ref_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let values = [
        ("github.action_ref", "v0.1.0"),
        ("runner.temp", "/runner/temp"),
    ];
    let run = run_step("build", dir.path(), &values);
    assert_eq!(run.code, 0);
    let key = &run.outputs["key"];
    let prefix = format!("regmig-Linux-X64-{}-v0.1.0-", env!("CARGO_PKG_VERSION"));
    assert!(key.starts_with(&prefix), "{key}");
    assert_eq!(
        key.len(),
        prefix.len() + 16,
        "a 16-digit source digest: {key}"
    );
    assert_eq!(run.outputs["root"], "/runner/temp/regmig-action");
    // A branch ref with a slash still makes a valid key; the digest is stable.
    let again = run_step(
        "build",
        dir.path(),
        &[("github.action_ref", "feature/x"), ("runner.temp", "/t")],
    );
    let digest = |k: &str| k.rsplit('-').next().unwrap().to_owned();
    assert!(
        again.outputs["key"].contains("-feature_x-"),
        "{}",
        again.outputs["key"]
    );
    assert_eq!(digest(key), digest(&again.outputs["key"]));
}
