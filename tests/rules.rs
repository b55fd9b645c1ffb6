//! Rule data: the embedded lists match `rules/`, and every example in a rule file holds.

use std::fs;
use std::path::{Path, PathBuf};

use regmig::rules::{builtin, RULE_FILES, TARGET_FILES};
use regmig::{config, Mode};

fn toml_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

#[test]
fn embedded_lists_equal_the_directories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let embedded: Vec<String> = RULE_FILES.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(embedded, toml_names(&root), "RULE_FILES in src/rules.rs");
    let targets: Vec<String> = TARGET_FILES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        targets,
        toml_names(&root.join("targets")),
        "TARGET_FILES in src/rules.rs"
    );
    for (name, _) in RULE_FILES {
        let on_disk = fs::read_to_string(root.join(format!("{name}.toml"))).unwrap();
        assert_eq!(builtin().rule(name).unwrap().id, *name);
        assert!(toml::from_str::<toml::Table>(&on_disk).is_ok());
    }
    for preset in &builtin().presets {
        assert!(TARGET_FILES.iter().any(|(n, _)| *n == preset.name));
    }
}

#[test]
fn docker_hub_rule_lists_the_hosts_the_grammar_knows() {
    let rule = builtin().rule("docker-hub").unwrap();
    assert_eq!(rule.registries, regmig::reference::DOCKER_HUB_HOSTS);
}

#[test]
fn every_rule_example_holds() {
    let mut checked = 0;
    for rule in &builtin().rules {
        assert!(!rule.examples.is_empty(), "{} has no example", rule.id);
        for example in &rule.examples {
            let dir = tempfile::tempdir().unwrap();
            let file: PathBuf = dir.path().join(&example.path);
            fs::write(&file, &example.before).unwrap();
            let config = config::parse(&example.config, &dir.path().join("regmig.toml"), builtin())
                .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
            let write = Mode::Fix {
                write: true,
                allow_unsafe: false,
            };
            let report = regmig::collect(std::slice::from_ref(&file), &config, write).unwrap();
            assert!(
                report.findings().any(|(_, f)| f.rule == rule.id),
                "{}: the example does not trigger the rule",
                rule.id
            );
            assert_eq!(
                fs::read_to_string(&file).unwrap(),
                example.after,
                "{}",
                rule.id
            );
            checked += 1;
        }
    }
    assert!(checked >= 4);
}

#[test]
fn rule_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md");
    let rendered = regmig::rules::render_docs(builtin());
    if std::env::var_os("REGMIG_BLESS").is_some() {
        fs::write(&path, &rendered).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "rules/README.md is stale: run `REGMIG_BLESS=1 cargo test --test rules`"
    );
    for rule in &builtin().rules {
        assert!(rendered.contains(&format!("## {}", rule.id)));
    }
    for preset in &builtin().presets {
        assert!(rendered.contains(&format!("| `{}` |", preset.name)));
    }
}
