//! Bitnami-style charts compare the images they render with the image list in `Chart.yaml`
//! (`annotations.images`) and refuse to install when the two differ. After `fix --write` the
//! list and the values must still name the same images.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{copy_tree, regmig};
use yaml_rust2::{Yaml, YamlLoader};

/// Every `image:` of the block-scalar list under `annotations.images`.
fn annotation_images(chart_yaml: &str) -> BTreeSet<String> {
    let doc = &YamlLoader::load_from_str(chart_yaml).unwrap()[0];
    let list = doc["annotations"]["images"]
        .as_str()
        .expect("an images annotation");
    let items = &YamlLoader::load_from_str(list).unwrap()[0];
    items
        .as_vec()
        .unwrap()
        .iter()
        .map(|item| item["image"].as_str().unwrap().to_owned())
        .collect()
}

/// Every split map `{registry, repository, tag}` of a values file, composed.
fn values_images(values_yaml: &str) -> BTreeSet<String> {
    fn walk(node: &Yaml, out: &mut BTreeSet<String>) {
        match node {
            Yaml::Hash(map) => {
                let field = |k: &str| map.get(&Yaml::String(k.to_owned())).and_then(Yaml::as_str);
                if let (Some(registry), Some(repository), Some(tag)) =
                    (field("registry"), field("repository"), field("tag"))
                {
                    out.insert(format!("{registry}/{repository}:{tag}"));
                }
                map.values().for_each(|v| walk(v, out));
            }
            Yaml::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(
        &YamlLoader::load_from_str(values_yaml).unwrap()[0],
        &mut out,
    );
    out
}

#[test]
fn the_chart_image_list_and_the_values_agree_after_fixing() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm/images-annotation-agrees");
    let work = tempfile::tempdir().unwrap();
    copy_tree(&case.join("before"), work.path());
    fs::create_dir(work.path().join(".git")).unwrap();
    fs::copy(case.join("regmig.toml"), work.path().join("regmig.toml")).unwrap();
    let chart = work.path().join("charts/valkey");
    let read = |name: &str| fs::read_to_string(chart.join(name)).unwrap();

    let before = (
        annotation_images(&read("Chart.yaml")),
        values_images(&read("values.yaml")),
    );
    assert_eq!(before.0, before.1, "the fixture starts consistent");
    assert!(before.0.iter().all(|i| i.starts_with("docker.io/bitnami/")));

    let fixed = regmig(work.path(), &["fix", "--write"]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let after = (
        annotation_images(&read("Chart.yaml")),
        values_images(&read("values.yaml")),
    );
    assert_eq!(after.0, after.1, "Chart.yaml lists what the values render");
    assert_eq!(after.0.len(), 3);
    assert!(
        after
            .0
            .iter()
            .all(|i| i.starts_with("docker.io/bitnamilegacy/")),
        "{:?}",
        after.0
    );
}
