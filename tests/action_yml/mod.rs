//! Reading the repository's `action.yml` for the action tests: YAML helpers and the
//! `${{ … }}` expressions in it.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn action_text() -> String {
    fs::read_to_string(root().join("action.yml")).expect("action.yml at the repository root")
}

pub fn load(text: &str) -> Yaml {
    YamlLoader::load_from_str(text)
        .expect("action.yml is YAML")
        .remove(0)
}

pub fn key<'a>(map: &'a Yaml, name: &str) -> &'a Yaml {
    &map[name]
}

pub fn string(yaml: &Yaml) -> Option<&str> {
    yaml.as_str()
}

pub fn keys(map: &Yaml) -> Vec<String> {
    map.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Ids of inputs, outputs and steps: a letter or `_`, then letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Every `${{ … }}` expression in `text`.
pub fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("an unclosed ${{ expression");
        found.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    found
}
