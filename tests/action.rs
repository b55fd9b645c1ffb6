//! The GitHub Action at the repository root (`action.yml`): its metadata follows the rules
//! GitHub applies to composite actions, the README's workflows use only inputs it declares,
//! and regmig's own scan of it is clean. `tests/action_steps.rs` runs its scripts.

mod action_yml;
mod common;

use std::collections::{HashMap, HashSet};
use std::fs;

use action_yml::{action_text, expressions, key, keys, load, root, string, valid_id};
use common::regmig;
use yaml_rust2::{Yaml, YamlLoader};

/// The dotted names an expression reads (`inputs.paths`, `steps.check.outputs.x`).
fn references(expression: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut word = String::new();
    for c in expression.chars().chain(std::iter::once(' ')) {
        if c == '\'' {
            in_string = !in_string;
            word.clear();
        } else if !in_string && (c.is_ascii_alphanumeric() || "_-.".contains(c)) {
            word.push(c);
        } else {
            if !word.is_empty() && word.starts_with(|c: char| c.is_ascii_alphabetic()) {
                out.push(word.split('.').map(str::to_owned).collect());
            }
            word.clear();
        }
    }
    out
}

/// Contexts a composite action's metadata may read.
const CONTEXTS: [&str; 8] = [
    "github", "inputs", "steps", "runner", "env", "job", "strategy", "matrix",
];

/// Outputs of the actions the steps use.
const USED_ACTION_OUTPUTS: [(&str, &[&str]); 1] = [(
    "actions/cache",
    &["cache-hit", "cache-primary-key", "cache-matched-key"],
)];

/// Every way `text` breaks GitHub's rules for composite action metadata.
fn violations(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = load(text);
    for required in ["name", "description", "runs"] {
        if key(&doc, required).is_badvalue() {
            problems.push(format!("missing required key `{required}`"));
        }
    }
    let allowed = [
        "name",
        "author",
        "description",
        "inputs",
        "outputs",
        "runs",
        "branding",
    ];
    for k in keys(&doc) {
        if !allowed.contains(&k.as_str()) {
            problems.push(format!("unknown top-level key `{k}`"));
        }
    }
    let inputs = keys(key(&doc, "inputs"));
    for id in &inputs {
        let input = &doc["inputs"][id.as_str()];
        if !valid_id(id) {
            problems.push(format!("invalid input id `{id}`"));
        }
        if string(&input["description"]).is_none() {
            problems.push(format!("input `{id}` has no description"));
        }
        for k in keys(input) {
            if !["description", "required", "default", "deprecationMessage"].contains(&k.as_str()) {
                problems.push(format!("input `{id}` has an unknown key `{k}`"));
            }
        }
    }
    for id in keys(key(&doc, "outputs")) {
        let output = &doc["outputs"][id.as_str()];
        if !valid_id(&id) {
            problems.push(format!("invalid output id `{id}`"));
        }
        if string(&output["value"]).is_none() {
            problems.push(format!(
                "output `{id}` has no `value` (composite outputs need one)"
            ));
        }
    }
    let runs = key(&doc, "runs");
    if string(&runs["using"]) != Some("composite") {
        problems.push("`runs.using` is not `composite`".to_owned());
    }
    let steps = runs["steps"].as_vec().cloned().unwrap_or_default();
    if steps.is_empty() {
        problems.push("`runs.steps` is empty".to_owned());
    }
    let mut step_ids: HashMap<String, Yaml> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        problems.extend(step_violations(i, step));
        if let Some(id) = string(&step["id"]) {
            if !valid_id(id) {
                problems.push(format!("step {i}: invalid id `{id}`"));
            }
            if step_ids.insert(id.to_owned(), step.clone()).is_some() {
                problems.push(format!("step id `{id}` is used twice"));
            }
        }
    }
    let mut conditions: Vec<String> = steps
        .iter()
        .filter_map(|s| string(&s["if"]).map(str::to_owned))
        .collect();
    conditions.extend(expressions(text));
    for expression in conditions {
        for path in references(&expression) {
            problems.extend(reference_violations(&path, &inputs, &step_ids));
        }
    }
    problems
}

fn step_violations(i: usize, step: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let allowed = [
        "id",
        "if",
        "name",
        "run",
        "shell",
        "uses",
        "with",
        "env",
        "working-directory",
        "continue-on-error",
    ];
    for k in keys(step) {
        if !allowed.contains(&k.as_str()) {
            problems.push(format!("step {i}: unknown key `{k}`"));
        }
    }
    match (string(&step["run"]), string(&step["uses"])) {
        (Some(_), None) => {
            let shells = ["bash", "pwsh", "python", "sh", "cmd", "powershell"];
            match string(&step["shell"]) {
                None => problems.push(format!("step {i}: a `run` step needs `shell`")),
                Some(shell) if !shells.contains(&shell) => {
                    problems.push(format!("step {i}: unknown shell `{shell}`"))
                }
                Some(_) => {}
            }
        }
        (None, Some(uses)) => {
            if !uses.starts_with("./") && !uses.contains('@') {
                problems.push(format!("step {i}: `uses: {uses}` names no version"));
            }
        }
        _ => problems.push(format!("step {i}: needs exactly one of `run` and `uses`")),
    }
    problems
}

fn reference_violations(
    path: &[String],
    inputs: &[String],
    steps: &HashMap<String, Yaml>,
) -> Vec<String> {
    let context = path[0].as_str();
    if [
        "true",
        "false",
        "null",
        "cancelled",
        "always",
        "success",
        "failure",
    ]
    .contains(&context)
    {
        return Vec::new();
    }
    if !CONTEXTS.contains(&context) {
        return vec![format!("`{}` reads an unknown context", path.join("."))];
    }
    match (
        context,
        path.get(1),
        path.get(2).map(String::as_str),
        path.get(3),
    ) {
        ("inputs", Some(name), ..) if !inputs.contains(name) => {
            vec![format!("`inputs.{name}` is not a declared input")]
        }
        ("steps", Some(id), Some("outputs"), Some(output)) => match steps.get(id) {
            None => vec![format!("`steps.{id}` is not a step id")],
            Some(step) => {
                let written = match (string(&step["run"]), string(&step["uses"])) {
                    (Some(run), _) => run.contains(&format!("{output}=")),
                    (_, Some(uses)) => USED_ACTION_OUTPUTS.iter().any(|(action, outputs)| {
                        uses.starts_with(&format!("{action}@"))
                            && outputs.contains(&output.as_str())
                    }),
                    _ => false,
                };
                if written {
                    Vec::new()
                } else {
                    vec![format!("step `{id}` never sets output `{output}`")]
                }
            }
        },
        ("steps", Some(id), ..) => vec![format!("`steps.{id}…` reads no output")],
        _ => Vec::new(),
    }
}

#[test]
fn the_action_follows_the_metadata_rules() {
    let problems = violations(&action_text());
    assert!(problems.is_empty(), "action.yml: {problems:#?}");
}

#[test]
fn the_rules_catch_broken_metadata() {
    let text = action_text();
    let broken = |from: &str, to: &str, expected: &str| {
        assert!(text.contains(from), "action.yml no longer holds `{from}`");
        let problems = violations(&text.replacen(from, to, 1));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "replacing `{from}` with `{to}` should give `{expected}`: {problems:#?}"
        );
    };
    broken("using: composite", "using: node20", "runs.using");
    broken(
        "      id: check\n      shell: bash\n",
        "      id: check\n",
        "needs `shell`",
    );
    broken("${{ inputs.paths }}", "${{ inputs.pathz }}", "inputs.pathz");
    broken(
        "\n    value: ${{ steps.check.outputs.sarif-file }}",
        "",
        "has no `value`",
    );
    broken("  new-since:\n", "  9new-since:\n", "invalid input id");
    broken(
        "name: regmig\ndescription:",
        "description:",
        "missing required key `name`",
    );
    broken(
        "steps.check.outputs.exit-code",
        "steps.check.outputs.exit-status",
        "never sets output `exit-status`",
    );
}

#[test]
fn regmig_scans_its_own_action_cleanly() {
    let out = regmig(root(), &["check", "--format", "concise", "action.yml"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

/// The fenced code blocks of the README in `language`.
fn readme_blocks(language: &str) -> Vec<String> {
    let text = fs::read_to_string(root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{language}") => current = Some(String::new()),
            Some(block) if line.trim_start() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every `uses: regmig/regmig@…` step in `yaml`, with its `with:` keys.
fn action_uses(yaml: &Yaml, found: &mut Vec<HashSet<String>>) {
    match yaml {
        Yaml::Hash(map) => {
            let uses = map.get(&Yaml::String("uses".into())).and_then(Yaml::as_str);
            if uses.is_some_and(|u| u.starts_with("regmig/regmig@")) {
                let with = map
                    .get(&Yaml::String("with".into()))
                    .map(keys)
                    .unwrap_or_default();
                found.push(with.into_iter().collect());
            }
            map.values().for_each(|v| action_uses(v, found));
        }
        Yaml::Array(items) => items.iter().for_each(|v| action_uses(v, found)),
        _ => {}
    }
}

#[test]
fn the_readme_workflows_use_the_action_as_declared() {
    let inputs: HashSet<String> = keys(&load(&action_text())["inputs"]).into_iter().collect();
    let mut steps = Vec::new();
    for block in readme_blocks("yaml") {
        let docs = YamlLoader::load_from_str(&block)
            .unwrap_or_else(|e| panic!("README YAML does not parse: {e}\n{block}"));
        docs.iter().for_each(|d| action_uses(d, &mut steps));
    }
    assert!(
        steps.len() >= 2,
        "the README shows the action (annotations and SARIF)"
    );
    for with in &steps {
        let unknown: Vec<&String> = with.difference(&inputs).collect();
        assert!(
            unknown.is_empty(),
            "README passes unknown inputs {unknown:?}"
        );
    }
    assert!(steps.iter().any(|w| w.contains("new-since")));
    assert!(steps.iter().any(|w| w.contains("format")));
}

#[test]
fn the_readme_shows_a_gitlab_code_quality_job() {
    let job = readme_blocks("yaml")
        .into_iter()
        .find(|b| b.contains("--format gitlab"))
        .expect("a GitLab CI job using --format gitlab");
    let doc = YamlLoader::load_from_str(&job).unwrap().remove(0);
    let (_, job) = doc.as_hash().unwrap().iter().next().unwrap();
    assert_eq!(
        job["artifacts"]["reports"]["codequality"].as_str(),
        Some("gl-code-quality-report.json")
    );
    let script: Vec<&str> = job["script"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(script
        .iter()
        .any(|l| l.contains("--format gitlab") && l.contains("gl-code-quality-report.json")));
}
