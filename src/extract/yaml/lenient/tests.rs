//! YAML leniency: the same scalars as libyaml, exact spans, and real errors still reported.

use proptest::prelude::*;

use super::super::{parse_stream, Value};
use super::*;

// The cases below were written as probes; which ones saphyr-parser 0.3.4 rejects was found by
// running it on each, and the scalar values libyaml reads by running PyYAML 6.0.3 with its
// libyaml binding (`[e.value for e in yaml.parse(text, Loader=yaml.CSafeLoader) if
// isinstance(e, yaml.ScalarEvent)]`). `pyyaml_still_agrees` re-runs PyYAML when it is there.

/// Files saphyr rejects and libyaml reads, with the scalars PyYAML 6.0.3 (libyaml) reported.
const LIBYAML_READS: &[(&str, &str, &[&str])] = &[
    ("bom_then_flow", "\u{feff}a:\n  b: [\n  c\n  ]\n", &["a", "b", "c"]),
    ("crlf_flow_low", "a:\r\n  b: [\r\n  c\r\n  ]\r\n", &["a", "b", "c"]),
    ("dq_cont_col0", "metadata:\n  annotations:\n    description: \"first line\nsecond line\"\n", &["metadata", "annotations", "description", "first line second line"]),
    ("dq_escape_cont_col0", "a:\n  b: \"x\\\ny\"\n", &["a", "b", "xy"]),
    ("dq_in_flow_col0", "a:\n  b: [\"x\ny\"]\n", &["a", "b", "x y"]),
    ("flow_close_less_than_parent", "a:\n  b:\n    c: [\n  d\n  ]\n", &["a", "b", "c", "d"]),
    ("flow_close_then_more", "a:\n  b: [\n    c\n]\n  d: 1\n", &["a", "b", "c", "d", "1"]),
    ("flow_in_seq_entry", "items:\n  - [a,\n  b]\n", &["items", "a", "b"]),
    ("flow_in_seq_entry_col0", "items:\n  - [a,\nb]\n", &["items", "a", "b"]),
    ("flow_map_close_col0", "metadata:\n  labels: {\n    app: web\n}\n", &["metadata", "labels", "app", "web"]),
    ("flow_map_items_at_key", "metadata:\n  labels: {\n  app: web,\n  tier: front\n  }\n", &["metadata", "labels", "app", "web", "tier", "front"]),
    ("flow_seq_close_col0", "spec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      args: [\n        \"--port\", \"8080\"\n]\n", &["spec", "containers", "name", "app", "image", "nginx:1.27", "args", "--port", "8080"]),
    ("flow_seq_close_dash_indent", "spec:\n  containers:\n    - name: app\n      args: [\n        \"--port\", \"8080\"\n    ]\n", &["spec", "containers", "name", "app", "args", "--port", "8080"]),
    ("flow_seq_close_key_indent", "spec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      args: [\n        \"--port\", \"8080\"\n      ]\n", &["spec", "containers", "name", "app", "image", "nginx:1.27", "args", "--port", "8080"]),
    ("flow_seq_items_at_key", "spec:\n  containers:\n    - name: app\n      args: [\n      \"--port\", \"8080\"\n      ]\n", &["spec", "containers", "name", "app", "args", "--port", "8080"]),
    ("flow_seq_items_col0", "spec:\n  containers:\n    - name: app\n      args: [\n\"--port\", \"8080\"\n]\n", &["spec", "containers", "name", "app", "args", "--port", "8080"]),
    ("flow_seq_plain_items_at_key", "a:\n  args: [\n  x, y\n  ]\n", &["a", "args", "x", "y"]),
    ("flow_top_key", "a: [\nb]\n", &["a", "b"]),
    ("helm_like_cond", "a:\n  b: [ \"x\",\n    \"y\" ]\n  c: {\n  }\n", &["a", "b", "x", "y", "c"]),
    ("key_in_flow_low", "a:\n  b: {\nc: d}\n", &["a", "b", "c", "d"]),
    ("plain_multiline_in_flow_low", "a:\n  b: {c: d\ne}\n", &["a", "b", "c", "d e"]),
    ("seq_items_under_dash", "x:\n  - name: a\n    args: [\n  \"b\"]\n", &["x", "name", "a", "args", "b"]),
    ("sq_cont_at_key", "metadata:\n  annotations:\n    description: 'first line\n    second line'\n", &["metadata", "annotations", "description", "first line second line"]),
    ("sq_cont_col0", "metadata:\n  annotations:\n    description: 'first line\nsecond line'\n", &["metadata", "annotations", "description", "first line second line"]),
    ("sq_cont_col0_top", "description: 'first line\nsecond line'\n", &["description", "first line second line"]),
    ("sq_cont_empty_lines", "a:\n  b: 'x\n\ny'\n", &["a", "b", "x\ny"]),
    ("sq_cont_less", "metadata:\n  annotations:\n    description: 'first line\n  second line'\n", &["metadata", "annotations", "description", "first line second line"]),
    ("sq_in_flow_low", "a:\n  b: ['x\ny']\n", &["a", "b", "x y"]),
    ("tab_after_colon", "a:\tb\n", &["a", "b"]),
    ("tab_in_flow", "a: [\n\tb]\n", &["a", "b"]),
    ("anchor_flow_low", "a:\n  b: &x [\n  c]\n", &["a", "b", "c"]),
    ("block_scalar_then_flow", "a:\n  s: |\n    [not flow\n  b: [\n  c]\n", &["a", "s", "[not flow\n", "b", "c"]),
    ("comment_with_bracket_in_flow", "a:\n  b: [x, # ] not closed\n  y]\n", &["a", "b", "x", "y"]),
    ("dq_empty_cont", "a:\n  b: \"x\n\n  y\"\n", &["a", "b", "x\ny"]),
    ("dq_with_escaped_quote_low", "a:\n  b: \"say \\\"hi\\\"\nnext\"\n", &["a", "b", "say \"hi\" next"]),
    ("flow_in_flow_key", "a:\n  b: {c: [1,\n 2], d: {e: f,\n g: h}}\n", &["a", "b", "c", "1", "2", "d", "e", "f", "g", "h"]),
    ("flow_multi_doc", "a: [\nb]\n---\nc: [\nd]\n", &["a", "b", "c", "d"]),
    ("flow_then_comment_after_close", "a:\n  b: [\n  c\n] # done\n  d: 1\n", &["a", "b", "c", "d", "1"]),
    ("indented_seq_low_bracket", "a:\n  - b: [\n    c\n  ]\n", &["a", "b", "c"]),
    ("json_in_block_low", "data:\n  cfg: {\n\"a\": 1\n}\n  other: 2\n", &["data", "cfg", "a", "1", "other", "2"]),
    ("plain_in_flow_with_quote", "a:\n  b: [it's,\n  ok]\n", &["a", "b", "it's", "ok"]),
    ("quoted_key_cont_low", "a:\n  b:\n    - \"x\n  y\"\n", &["a", "b", "x y"]),
    ("quoted_key_flow_low", "a:\n  \"b\": [\n  c]\n", &["a", "b", "c"]),
    ("quoted_then_flow", "a:\n  b: 'x\ny'\n  c: [\n  d]\n", &["a", "b", "x y", "c", "d"]),
    ("seq_of_flow_maps_low", "x:\n  - {a: 1,\n  b: 2}\n  - {c: 3,\n  d: 4}\n", &["x", "a", "1", "b", "2", "c", "3", "d", "4"]),
    ("sq_with_escape_quote_low", "a:\n  b: 'it''s\nnext'\n", &["a", "b", "it's next"]),
    ("tab_after_colon_flow", "a: {b:\tc}\n", &["a", "b", "c"]),
    ("tab_after_colon_nested", "a:\n  b:\tc\n", &["a", "b", "c"]),
    ("tab_after_colon_num", "a:\t1\n", &["a", "1"]),
    ("tab_in_flow_after_space", "a:\n  b: [\n  \tc]\n", &["a", "b", "c"]),
    ("tab_in_quoted_cont", "a:\n  b: 'x\n\ty'\n", &["a", "b", "x y"]),
    ("tab_line_in_flow", "a:\n  b: [c,\n\t\n  d]\n", &["a", "b", "c", "d"]),
    ("tag_flow_low", "a:\n  b: !!seq [\n  c]\n", &["a", "b", "c"]),
    ("bom_mid_doc", "a: 1\n---\n\u{feff}b: 2\n", &["a", "1", "b", "2"]),
    ("comment_after_quote_nospace", "a: \"b\"#c\n", &["a", "b"]),
    ("dq_cont_tab_indent", "a: \"x\n\ty\"\n", &["a", "x y"]),
    ("dq_multiline_at_key", "a:\n  b: \"x\n  y\"\n", &["a", "b", "x y"]),
    ("empty_flow_map_multiline", "a: {\n}\n", &["a"]),
    ("empty_flow_seq_col0", "a:\n  b: [\n]\n", &["a", "b"]),
];

/// Files libyaml rejects too (saphyr as well).
const LIBYAML_REJECTS: &[(&str, &str)] = &[
    ("block_mapping_bad", "a:\n    b: 1\n  c: 2\n"),
    ("block_scalar_leading_blank_more", "a: |\n      \n  x\n"),
    ("block_scalar_less_indent_first", "a: |\n    x\n  y\n"),
    ("doc_marker_in_flow", "a: [b,\n---\n]\n"),
    ("empty_flow_entry", "a: [b, , c]\n"),
    ("plain_cont_at_key", "a:\n  b: first\n  second\n"),
    ("plain_cont_col0", "a:\n  b: first\nsecond\n"),
    ("quoted_key_multiline", "\"a\n b\": c\n"),
    ("tab_indent", "a:\n\tb: 1\n"),
    ("unclosed_flow", "a: [b, c\n"),
    ("sq_doc_marker", "a: 'x\n---\ny'\n"),
    ("tab_after_colon_dash", "a:\t- b\n"),
    ("tab_after_dash_dash", "-\t- a\n"),
    ("at_plain", "a: @b\n"),
    ("backtick_plain", "a: `b\n"),
    ("colon_end_plain", "a: b:\n"),
    ("flow_double_comma", "a: [b,, c]\n"),
    ("long_key_2000", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: v\\n"),
];

/// (value, bytes under the span, verbatim) of every scalar, in document order.
fn scalars(text: &str) -> Result<Vec<(String, String, bool)>, ParseError> {
    let mut out = Vec::new();
    parse_stream(text, |doc| {
        for node in &doc.nodes {
            if let Value::Scalar(s) = &node.value {
                out.push((
                    s.value.to_string(),
                    text[s.span.start..s.span.end].to_owned(),
                    s.verbatim,
                ));
            }
        }
    })?;
    Ok(out)
}

#[test]
fn reads_what_libyaml_reads_with_the_same_values() {
    for (name, text, expected) in LIBYAML_READS {
        let found = scalars(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let values: Vec<&str> = found.iter().map(|(v, _, _)| v.as_str()).collect();
        assert_eq!(&values, expected, "{name}");
        for (value, bytes, verbatim) in &found {
            assert_eq!(
                *verbatim,
                bytes == value,
                "{name}: {value:?} over {bytes:?}"
            );
        }
    }
}

#[test]
fn single_line_scalars_keep_exact_spans_in_repaired_files() {
    let text = "spec:\n  containers:\n    - name: app\n      args: [\n\"--port\", '8080'\n]\n      image: nginx:1.27\n    - image: \"redis:7\"\n      env: [{name: A, value: 'x\ny'}\n]\n";
    let found = scalars(text).unwrap();
    for expected in ["--port", "8080", "nginx:1.27", "redis:7", "name", "A"] {
        assert!(
            found
                .iter()
                .any(|(v, bytes, ok)| v == expected && bytes == expected && *ok),
            "{expected}: {found:?}"
        );
    }
    let folded = found.iter().find(|(v, _, _)| v == "x y").unwrap();
    assert_eq!((folded.1.as_str(), folded.2), ("x\ny", false));
}

#[test]
fn real_errors_stay_errors_and_say_how_to_skip_the_file() {
    for (name, text) in LIBYAML_REJECTS {
        let error = scalars(text).expect_err(name);
        assert!(
            error.message.starts_with("YAML syntax error: ")
                && error.message.ends_with(
                    "(if this file is not meant to be YAML, add it to [ignore].paths in regmig.toml)"
                ),
            "{name}: {}",
            error.message
        );
        assert!(error.offset <= text.len(), "{name}");
    }
}

#[test]
fn an_error_after_a_repair_points_into_the_original_text() {
    // The flow sequence is forgiven; the unclosed one below it is not.
    let text = "a:\n  b: [\nc]\n  d: [e,\n";
    let error = scalars(text).unwrap_err();
    assert_eq!(error.offset, text.len(), "{error:?}");
}

#[test]
fn documents_before_a_repair_are_visited_once() {
    let text = "a: 1\n---\nb:\n  c: [\nd]\n---\ne: 2\n";
    let mut roots = Vec::new();
    parse_stream(text, |doc| {
        let root = doc.root().unwrap();
        roots.push(doc.str(doc.entries(root)[0].0).unwrap().to_owned());
    })
    .unwrap();
    assert_eq!(roots, ["a", "b", "e"]);
}

#[test]
fn each_document_of_a_long_stream_is_repaired_once() {
    let doc = "kind: Pod\nspec:\n  containers:\n    - image: nginx:1.27\n      args: [\n      \"-v\"\n      ]\n";
    let text = vec![doc; 300].join("---\n");
    let found = scalars(&text).unwrap();
    let images: Vec<_> = found.iter().filter(|(v, _, _)| v == "nginx:1.27").collect();
    assert_eq!(images.len(), 300);
    assert!(images.iter().all(|(v, bytes, ok)| v == bytes && *ok));
    let broken = format!("{text}---\na: [\nb]\nc: 'unclosed\n");
    let error = scalars(&broken).unwrap_err();
    assert_eq!(&broken[error.offset..], "'unclosed\n", "{error:?}");
}

#[test]
fn a_document_read_alone_maps_back_into_the_file() {
    let text = "a: 1\n---\nb: [\nc]\n...\n---\nd: 2\n";
    let start = text.find("---").unwrap();
    assert_eq!(document_end(text, start + 5), text.find("...").unwrap() + 4);
    let mut relaxed = Relaxed::new(text, start, text.len());
    relaxed.edit(text.find("c]").unwrap() - start, 0, "  ");
    relaxed.rebuild();
    assert_eq!(relaxed.text, "---\nb: [\n  c]\n...\n---\nd: 2\n");
    let c = relaxed.text.find('c').unwrap();
    assert_eq!(relaxed.map.to_original(c), text.find('c').unwrap());
    assert_eq!(relaxed.map.to_original(0), start);
}

#[test]
fn pyyaml_still_agrees() {
    let script = "import sys, json, yaml\n\
        cases = json.load(sys.stdin)\n\
        print(json.dumps([[e.value for e in yaml.parse(t, Loader=yaml.CSafeLoader) \
        if isinstance(e, yaml.ScalarEvent)] for t in cases]))\n";
    let Ok(mut child) = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return;
    };
    let texts: Vec<&str> = LIBYAML_READS.iter().map(|(_, t, _)| *t).collect();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&texts).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if !output.status.success() {
        return; // No python3 with PyYAML and libyaml here: the table above stands.
    }
    let pyyaml: Vec<Vec<String>> = serde_json::from_slice(&output.stdout).unwrap();
    for ((name, _, expected), live) in LIBYAML_READS.iter().zip(pyyaml) {
        assert_eq!(&live, expected, "{name}: PyYAML now reads it differently");
    }
}

#[test]
fn offset_map_of_a_tab_a_shift_and_a_byte_order_mark() {
    const ORIGINAL: &str = "a:\tb\nc: [\nd]\n\u{feff}e: 1\n";
    let mut relaxed = Relaxed::new(ORIGINAL, 0, ORIGINAL.len());
    relaxed.edit(2, 1, " ");
    relaxed.edit(10, 0, "    ");
    relaxed.edit(13, 3, "");
    relaxed.rebuild();
    assert_eq!(relaxed.text, "a: b\nc: [\n    d]\ne: 1\n");
    let back: Vec<usize> = (0..relaxed.text.len())
        .map(|r| relaxed.map.to_original(r))
        .collect();
    assert_eq!(
        back,
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10, 11, 12, 16, 17, 18, 19, 20]
    );
}

/// Whether relaxed position `at` holds replacement text rather than an original byte.
fn replaced(map: &OffsetMap, at: usize) -> bool {
    map.runs
        .iter()
        .any(|run| (run.relaxed..run.relaxed + run.relaxed_len).contains(&at))
}

/// One mapping entry, written strictly (continuation lines indented under the key) and the
/// way libyaml also accepts (continuation lines and the closing bracket or quote at `low`).
#[derive(Clone, Debug)]
enum Entry {
    FlowSeq(Vec<String>),
    FlowMap(Vec<(String, String)>),
    Quoted(char, Vec<String>),
    Image(String),
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.-]{0,6}"
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        prop::collection::vec(word(), 1..4).prop_map(Entry::FlowSeq),
        prop::collection::vec((word(), word()), 1..3).prop_map(Entry::FlowMap),
        (
            prop_oneof![Just('\''), Just('"')],
            prop::collection::vec(word(), 2..4)
        )
            .prop_map(|(q, lines)| Entry::Quoted(q, lines)),
        word().prop_map(|w| Entry::Image(format!("{w}:1.0"))),
    ]
}

/// The document at key indentation `indent`; `low` is where continuation lines start in the
/// lenient form (None: the strict form).
fn render(entries: &[Entry], indent: usize, low: Option<usize>) -> String {
    let pad = " ".repeat(indent);
    let cont = " ".repeat(low.unwrap_or(indent + 2));
    let close = " ".repeat(low.unwrap_or(indent + 2));
    let mut text = format!(
        "spec:\n{}containers:\n",
        " ".repeat(indent.saturating_sub(2))
    );
    let mut first = true;
    for (i, entry) in entries.iter().enumerate() {
        let lead = if first {
            first = false;
            format!("{}- ", " ".repeat(indent - 2))
        } else {
            pad.clone()
        };
        match entry {
            Entry::FlowSeq(items) => {
                text.push_str(&format!("{lead}k{i}: [\n"));
                for item in items {
                    text.push_str(&format!("{cont}\"{item}\",\n"));
                }
                text.push_str(&format!("{close}]\n"));
            }
            Entry::FlowMap(pairs) => {
                text.push_str(&format!("{lead}k{i}: {{\n"));
                for (k, v) in pairs {
                    text.push_str(&format!("{cont}{k}: '{v}',\n"));
                }
                text.push_str(&format!("{close}}}\n"));
            }
            Entry::Quoted(q, lines) => {
                text.push_str(&format!("{lead}k{i}: {q}{}", lines[0]));
                for line in &lines[1..] {
                    text.push_str(&format!("\n{cont}{line}"));
                }
                text.push_str(&format!("{q}\n"));
            }
            Entry::Image(image) => text.push_str(&format!("{lead}image: {image}\n")),
        }
    }
    text
}

proptest! {
    #[test]
    fn lenient_form_reads_like_the_strict_form(
        entries in prop::collection::vec(entry(), 1..6),
        indent in 4usize..8,
        low_at_key in any::<bool>(),
    ) {
        let strict = render(&entries, indent, None);
        let lenient = render(&entries, indent, Some(if low_at_key { indent } else { 0 }));
        let expected = scalars(&strict).unwrap();
        let found = scalars(&lenient).unwrap();
        let saphyr_rejects = saphyr_parser::Parser::new_from_str(&lenient).any(|e| e.is_err());
        prop_assert_eq!(saphyr_rejects, entries.iter().any(|e| !matches!(e, Entry::Image(_))));
        let values = |s: &[(String, String, bool)]| s.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        prop_assert_eq!(values(&found), values(&expected));
        for ((value, bytes, verbatim), (_, _, strict_verbatim)) in found.iter().zip(&expected) {
            // Every scalar that fits on one line is verbatim in both forms, and its span holds
            // exactly its value.
            prop_assert_eq!(verbatim, strict_verbatim);
            prop_assert_eq!(*verbatim, bytes == value);
        }
    }

    #[test]
    fn the_offset_map_lands_on_the_same_bytes(
        lines in prop::collection::vec("\u{feff}?[ \t]{0,3}[a-z:\\[\\]'\"é\t]{0,8}", 1..12),
        shifts in prop::collection::vec((any::<prop::sample::Index>(), 1usize..6), 0..6),
        tabs in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        drop_marks in any::<bool>(),
    ) {
        let original = lines.join("\n");
        let mut relaxed = Relaxed::new(&original, 0, original.len());
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(original.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        for (line, spaces) in shifts {
            relaxed.edit(*line.get(&line_starts), 0, &" ".repeat(spaces));
        }
        let tab_positions: Vec<usize> = original.match_indices('\t').map(|(i, _)| i).collect();
        if !tab_positions.is_empty() {
            for tab in tabs {
                relaxed.edit(*tab.get(&tab_positions), 1, " ");
            }
        }
        if drop_marks {
            for (at, _) in original.match_indices('\u{feff}') {
                relaxed.edit(at, 3, "");
            }
        }
        relaxed.rebuild();
        let removed: usize = relaxed.edits.values().map(|e| e.remove).sum();
        let inserted: usize = relaxed.edits.values().map(|e| e.insert.len()).sum();
        prop_assert_eq!(relaxed.text.len(), original.len() + inserted - removed);
        let mut previous = 0;
        let mut landed = 0;
        for (at, byte) in relaxed.text.bytes().enumerate() {
            let back = relaxed.map.to_original(at);
            prop_assert!(back >= previous && back <= original.len());
            previous = back;
            if replaced(&relaxed.map, at) {
                // Only blanks are ever inserted; they map to what they stand before or replace.
                prop_assert_eq!(byte, b' ');
                continue;
            }
            landed += 1;
            prop_assert_eq!(Some(byte), original.as_bytes().get(back).copied());
        }
        prop_assert_eq!(landed, original.len() - removed);
        prop_assert_eq!(relaxed.map.to_original(relaxed.text.len()), original.len());
    }
}
