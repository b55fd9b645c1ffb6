//! The YAML/JSON prefilter (`extract::may_hold_references` for Kubernetes YAML, chart values and
//! JSON) never hides a reference the full parse finds. Documents are generated as trees, so they
//! parse, and rendered in block YAML (values on the key's line or the lines after it, block
//! scalars, sequences, flow mappings) or as JSON.

use proptest::prelude::*;
use regmig::extract::{extract, may_hold_references};
use regmig::walk::FileKind;

#[derive(Clone, Debug)]
enum Node {
    Scalar(&'static str),
    Map(Vec<(&'static str, Node)>),
    Seq(Vec<Node>),
}

const KEYS: &[&str] = &[
    "image",
    "images",
    "containerImage",
    "imagePullPolicy",
    "repository",
    "registry",
    "tag",
    "reference",
    "rbd",
    "volumes",
    "containers",
    "description",
    "type",
    "properties",
    "name",
    "apiVersion",
    "kind",
];

/// Argo CD sources: `repoURL` next to `chart`, as values and as CRD schema keys.
const CHART_KEYS: &[&str] = &[
    "repoURL",
    "chart",
    "source",
    "spec",
    "description",
    "type",
    "properties",
];

const SCALARS: &[&str] = &[
    "nginx",
    "nginx:1.25",
    "bitnami/redis",
    "docker.io",
    "7.2.4",
    "v1",
    "Pod",
    "string",
    "Image is the image to pull",
    "",
];

const CHART_SCALARS: &[&str] = &[
    "registry-1.docker.io/bitnamicharts",
    "docker.io/bitnamicharts",
    "redis",
    "string",
    "",
];

fn node() -> impl Strategy<Value = Node> {
    tree(KEYS, SCALARS)
}

fn tree(
    keys: &'static [&'static str],
    scalars: &'static [&'static str],
) -> impl Strategy<Value = Node> {
    let leaf = prop::sample::select(scalars).prop_map(Node::Scalar);
    leaf.prop_recursive(5, 40, 5, move |inner| {
        prop_oneof![
            3 => prop::collection::vec((prop::sample::select(keys), inner.clone()), 1..5)
                .prop_map(Node::Map),
            1 => prop::collection::vec(inner, 1..3).prop_map(Node::Seq),
        ]
    })
}

/// How a scalar value is written after its key.
#[derive(Clone, Copy, Debug)]
enum Style {
    SameLine,
    NextLine,
    Block,
    Quoted,
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::SameLine),
        Just(Style::NextLine),
        Just(Style::Block),
        Just(Style::Quoted)
    ]
}

fn scalar(value: &str, style: Style, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match (style, value) {
        (_, "") => String::new(),
        (Style::SameLine, v) => format!(" {v}"),
        (Style::NextLine, v) => format!("\n{pad}# the value\n{pad}{v}"),
        (Style::Block, v) => format!(" |\n{pad}{v}"),
        (Style::Quoted, v) => format!(" \"{v}\""),
    }
}

/// Block YAML: `key: value` lines; mappings whose values are small maps of scalars are written
/// in flow style when `flow` says so.
fn yaml(node: &Node, indent: usize, style: Style, flow: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Scalar(v) => out.push_str(&format!("{pad}{}\n", if v.is_empty() { "x" } else { v })),
        Node::Map(entries) => {
            for (key, value) in entries {
                out.push_str(&format!("{pad}{key}:"));
                match value {
                    Node::Scalar(v) => {
                        out.push_str(&scalar(v, style, indent));
                        out.push('\n');
                    }
                    Node::Map(inner) if flow && inner.iter().all(|(_, v)| matches!(v, Node::Scalar(s) if !s.is_empty() && !s.contains(' '))) => {
                        let items: Vec<String> = inner
                            .iter()
                            .map(|(k, v)| match v {
                                Node::Scalar(s) => format!("{k}: {s}"),
                                _ => unreachable!(),
                            })
                            .collect();
                        out.push_str(&format!(" {{{}}}\n", items.join(", ")));
                    }
                    _ => {
                        out.push('\n');
                        yaml(value, indent + 2, style, flow, out);
                    }
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                match item {
                    Node::Scalar(v) => {
                        out.push_str(&format!("{pad}- {}\n", if v.is_empty() { "x" } else { v }))
                    }
                    _ => {
                        out.push_str(&format!("{pad}-\n"));
                        yaml(item, indent + 2, style, flow, out);
                    }
                }
            }
        }
    }
}

fn json(node: &Node, out: &mut String) {
    match node {
        Node::Scalar(v) => out.push_str(&format!("\"{v}\"")),
        Node::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&format!("\"{key}\": "));
                json(value, out);
            }
            out.push('}');
        }
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json(item, out);
            }
            out.push(']');
        }
    }
}

/// The document rendered as JSON or as YAML of `kind`, and whether the prefilter skips it
/// although its parse finds references (None when it does not parse).
fn skipped_with_references(
    root: Node,
    style: Style,
    flow: bool,
    as_json: bool,
    kind: FileKind,
) -> Option<Result<(), String>> {
    let (text, kind) = if as_json {
        let mut text = String::new();
        json(&root, &mut text);
        (text, FileKind::Json)
    } else {
        let mut text = String::new();
        yaml(&root, 0, style, flow, &mut text);
        (text, kind)
    };
    let extraction = extract(kind, &text);
    if !extraction.errors.is_empty() {
        return None;
    }
    if !may_hold_references(kind, text.as_bytes()) && !extraction.occurrences.is_empty() {
        return Some(Err(format!(
            "prefilter skipped {text:?} holding {:?}",
            extraction.occurrences
        )));
    }
    Some(Ok(()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_skipped_file_holds_no_reference(
        root in prop::collection::vec((prop::sample::select(KEYS), node()), 1..6),
        style in style(),
        flow in any::<bool>(),
        as_json in any::<bool>(),
        kind in prop_oneof![Just(FileKind::Kubernetes), Just(FileKind::HelmValues)],
    ) {
        let verdict = skipped_with_references(Node::Map(root), style, flow, as_json, kind);
        prop_assume!(verdict.is_some());
        prop_assert!(matches!(verdict, Some(Ok(()))), "{:?}", verdict);
    }

    #[test]
    fn a_skipped_file_holds_no_chart_repository(
        root in prop::collection::vec((prop::sample::select(CHART_KEYS), tree(CHART_KEYS, CHART_SCALARS)), 1..6),
        style in style(),
        flow in any::<bool>(),
        as_json in any::<bool>(),
    ) {
        let verdict =
            skipped_with_references(Node::Map(root), style, flow, as_json, FileKind::Kubernetes);
        prop_assume!(verdict.is_some());
        prop_assert!(matches!(verdict, Some(Ok(()))), "{:?}", verdict);
    }
}
