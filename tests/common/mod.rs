//! Helpers shared by the integration tests: running the binary, copying and reading trees.

#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the regmig binary in `dir` with `args`.
pub fn regmig(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_regmig"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run regmig");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch repository (with `.git`, so config discovery stops there) holding `files`.
pub fn repo<T: AsRef<[u8]>>(files: &[(&str, T)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    dir
}

/// Copies the files under `from` into `to`, keeping permissions.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let file_type = entry.file_type().unwrap();
        if file_type.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if file_type.is_file() {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`, as (relative `/` path, bytes), sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if dir.is_dir() {
        collect(dir, dir, &mut out);
    }
    out.sort();
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, fs::read(&path).unwrap()));
        }
    }
}

/// Names the files that differ between two trees, with both contents for small text files.
pub fn describe_tree_diff(expected: &[(String, Vec<u8>)], actual: &[(String, Vec<u8>)]) -> String {
    let mut out = String::new();
    for (path, bytes) in expected {
        match actual.iter().find(|(p, _)| p == path) {
            None => out.push_str(&format!("missing: {path}\n")),
            Some((_, got)) if got != bytes => out.push_str(&format!(
                "differs: {path}\n--- expected\n{}\n--- actual\n{}\n",
                String::from_utf8_lossy(bytes).escape_debug(),
                String::from_utf8_lossy(got).escape_debug()
            )),
            Some(_) => {}
        }
    }
    for (path, _) in actual {
        if !expected.iter().any(|(p, _)| p == path) {
            out.push_str(&format!("unexpected: {path}\n"));
        }
    }
    out
}

/// The number of findings whose fix `fix --write` would apply, from `check --format json`.
pub fn fixable_in_json(json: &str, allow_unsafe: bool) -> usize {
    let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| match f["fix"]["applicability"].as_str() {
            Some("safe") => true,
            Some("unsafe") => allow_unsafe,
            _ => false,
        })
        .count()
}

/// Applies `diff` in `dir` with `git apply`, which must accept it.
pub fn git_apply(dir: &Path, diff: &str) -> Result<(), String> {
    if diff.is_empty() {
        return Ok(());
    }
    let patch = dir.join(".git").join("regmig.patch");
    fs::create_dir_all(dir.join(".git")).unwrap();
    fs::write(&patch, diff).unwrap();
    let output = Command::new("git")
        .args(["apply", "--unsafe-paths", "--whitespace=nowarn", "-p1"])
        .arg(&patch)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git apply refused the diff: {}\n{diff}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Re-reads `before` and `after` with an independent YAML parser (`yaml-rust2`) and checks the
/// documents are equal except for values under keys that hold image references. `Ok(false)`
/// when `before` is not valid YAML to that parser (a parse-error fixture).
pub fn yaml_differs_only_in_images(before: &str, after: &str) -> Result<bool, String> {
    use yaml_rust2::YamlLoader;
    let Ok(old) = YamlLoader::load_from_str(before) else {
        return Ok(false);
    };
    let new = YamlLoader::load_from_str(after)
        .map_err(|e| format!("fixed YAML no longer parses: {e}"))?;
    if old.len() != new.len() {
        return Err(format!("{} documents became {}", old.len(), new.len()));
    }
    for (a, b) in old.iter().zip(&new) {
        compare_yaml(a, b, "")?;
    }
    Ok(true)
}

/// Keys whose scalar values regmig may rewrite.
fn holds_image(key: &str) -> bool {
    key.ends_with("image")
        || key.ends_with("Image")
        || matches!(
            key,
            "name"
                | "newName"
                | "reference"
                | "registry"
                | "repository"
                | "tag"
                | "newTag"
                | "uses"
                | "container"
                | "default"
                | "services"
                | "artifacthub.io/images"
                | "images"
                | "url"
                | "repoURL"
                | "chart"
        )
}

/// Prose holding mapped references: the words that differ are image references on both sides.
fn differ_only_in_references(a: &str, b: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>|=".contains(c))
            .map(str::to_owned)
            .collect()
    };
    let (x, y) = (words(a), words(b));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| {
            p == q
                || (regmig::reference::ImageRef::parse(p).is_ok()
                    && regmig::reference::ImageRef::parse(q).is_ok())
        })
}

/// Keys holding shell or variables that the text rules edit (DESIGN.md §4, Text): `run:` and
/// `script:` bodies, `with:` inputs, `env:` / `variables:` entries (upper-case names).
fn holds_text(key: &str) -> bool {
    matches!(
        key,
        "run"
            | "script"
            | "before_script"
            | "after_script"
            | "driver-opts"
            | "tags"
            | "images"
            | "value"
    ) || key.ends_with("-image")
        || key.ends_with("_image")
        || key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Two strings that differ only in tokens that are image references in both (a variable
/// tag, `docker://` and `image=` prefixes allowed).
fn only_references_differ(a: &yaml_rust2::Yaml, b: &yaml_rust2::Yaml) -> bool {
    let (Some(a), Some(b)) = (a.as_str(), b.as_str()) else {
        return false;
    };
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | '"' | '\''))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let is_reference = |token: &str| {
        let token = token.strip_prefix("docker://").unwrap_or(token);
        let literal = token.split('$').next().unwrap_or("");
        let literal = literal.trim_end_matches([':', '@']);
        regmig::reference::ImageRef::parse(literal).is_ok()
    };
    let (x, y) = (split(a), split(b));
    x.len() == y.len()
        && x.iter()
            .zip(&y)
            .all(|(p, q)| p == q || (is_reference(p) && is_reference(q)))
}

fn compare_yaml(a: &yaml_rust2::Yaml, b: &yaml_rust2::Yaml, key: &str) -> Result<(), String> {
    use yaml_rust2::Yaml;
    match (a, b) {
        (Yaml::Hash(x), Yaml::Hash(y)) => {
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Err(format!("the keys under `{key}` changed"));
            }
            for ((k, va), vb) in x.iter().zip(y.values()) {
                compare_yaml(va, vb, k.as_str().unwrap_or("?"))?;
            }
            Ok(())
        }
        (Yaml::Array(x), Yaml::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("the list under `{key}` changed length"));
            }
            x.iter()
                .zip(y)
                .try_for_each(|(va, vb)| compare_yaml(va, vb, key))
        }
        (Yaml::Hash(_) | Yaml::Array(_), _) | (_, Yaml::Hash(_) | Yaml::Array(_)) => {
            Err(format!("the value under `{key}` changed shape"))
        }
        _ if a == b => Ok(()),
        _ if holds_image(key) => Ok(()),
        (Yaml::String(x), Yaml::String(y)) if differ_only_in_references(x, y) => Ok(()),
        _ if holds_text(key) && only_references_differ(a, b) => Ok(()),
        _ => Err(format!(
            "`{key}` changed from {a:?} to {b:?}, which is not an image value"
        )),
    }
}

/// Re-reads `before` and `after` with `hcl-rs` and checks that they differ only in string
/// values (quoted strings and template text), each changed plain string being an image
/// reference before and after. `Ok(false)` when `before` does not parse.
pub fn hcl_differs_only_in_strings(before: &str, after: &str) -> Result<bool, String> {
    let strip = |s: &str| s.strip_prefix('\u{feff}').unwrap_or(s).to_owned();
    let Ok(old) = hcl::parse(&strip(before)) else {
        return Ok(false);
    };
    let new = hcl::parse(&strip(after)).map_err(|e| format!("fixed HCL no longer parses: {e}"))?;
    compare_body(&old, &new)?;
    Ok(true)
}

fn compare_body(a: &hcl::Body, b: &hcl::Body) -> Result<(), String> {
    use hcl::Structure;
    if a.iter().count() != b.iter().count() {
        return Err("the number of attributes and blocks changed".to_owned());
    }
    for (x, y) in a.iter().zip(b.iter()) {
        match (x, y) {
            (Structure::Attribute(x), Structure::Attribute(y)) if x.key == y.key => {
                compare_expr(&x.expr, &y.expr, x.key.as_str())?
            }
            (Structure::Block(x), Structure::Block(y))
                if x.identifier == y.identifier && x.labels == y.labels =>
            {
                compare_body(&x.body, &y.body)?
            }
            _ => return Err(format!("structure changed: {x:?} became {y:?}")),
        }
    }
    Ok(())
}

fn compare_expr(a: &hcl::Expression, b: &hcl::Expression, key: &str) -> Result<(), String> {
    use hcl::expr::TemplateExpr;
    use hcl::Expression as E;
    match (a, b) {
        (E::String(x), E::String(y)) if x != y => {
            // An image, or an `oci://` chart repository.
            let image = |s: &str| {
                regmig::reference::ImageRef::parse(s.strip_prefix("oci://").unwrap_or(s)).is_ok()
            };
            if image(x) && image(y) {
                Ok(())
            } else {
                Err(format!("`{key}`: {x:?} became {y:?}, not an image value"))
            }
        }
        (E::TemplateExpr(x), E::TemplateExpr(y)) => match (x.as_ref(), y.as_ref()) {
            (TemplateExpr::QuotedString(_), TemplateExpr::QuotedString(_))
            | (TemplateExpr::Heredoc(_), TemplateExpr::Heredoc(_)) => Ok(()),
            _ => Err(format!("`{key}`: template kind changed")),
        },
        (E::Array(x), E::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .try_for_each(|(x, y)| compare_expr(x, y, key)),
        (E::Object(x), E::Object(y)) if x.keys().eq(y.keys()) => x
            .iter()
            .zip(y.values())
            .try_for_each(|((k, x), y)| compare_expr(x, y, &k.to_string())),
        (E::FuncCall(x), E::FuncCall(y)) if x.name == y.name && x.args.len() == y.args.len() => x
            .args
            .iter()
            .zip(&y.args)
            .try_for_each(|(x, y)| compare_expr(x, y, key)),
        (E::Conditional(x), E::Conditional(y)) if x.cond_expr == y.cond_expr => {
            compare_expr(&x.true_expr, &y.true_expr, key)?;
            compare_expr(&x.false_expr, &y.false_expr, key)
        }
        (E::Parenthesis(x), E::Parenthesis(y)) => compare_expr(x, y, key),
        _ if a == b => Ok(()),
        _ => Err(format!("`{key}`: {a:?} became {b:?}")),
    }
}

/// A command running the regmig binary as an unprivileged user: `nobody` through `setpriv`
/// when the tests run as root (root reads and lists anything), else the current user.
pub fn regmig_unprivileged() -> Command {
    let binary = env!("CARGO_BIN_EXE_regmig");
    if unsafe { libc::geteuid() } == 0 {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        command
    } else {
        Command::new(binary)
    }
}
