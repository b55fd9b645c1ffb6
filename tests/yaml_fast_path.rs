//! The YAML fast path against saphyr: whenever the fast path accepts a file, its documents
//! equal the full parser's, node for node and byte for byte. Inputs are block-style YAML
//! generated from a small grammar, then mutated with hostile lines; plus every YAML fixture.

use std::path::Path;

use proptest::prelude::*;
use regmig::extract::yaml::{parse_fast, parse_stream_full, Document};

/// Asserts the fast path agrees with saphyr; returns whether it accepted `text`.
fn agrees(text: &str) -> bool {
    let Some(fast) = parse_fast(text) else {
        return false;
    };
    let mut full = Vec::new();
    let result = parse_stream_full(text, |doc| full.push(doc.clone()));
    assert!(
        result.is_ok(),
        "fast path accepted what saphyr rejects: {result:?}\n{text:?}"
    );
    assert_eq!(fast, full, "documents differ for {text:?}");
    true
}

#[derive(Clone, Debug)]
enum Node {
    Plain(String),
    Single(String),
    Double(String),
    /// A quoted scalar over several lines: its quote, its lines, and how deep the lines after
    /// the first sit (0: deeper than the key, 1: at the key, 2: at the margin, 3: mixed).
    Lines(char, Vec<String>, usize),
    Null,
    Block(&'static str, Vec<String>),
    Flow(&'static str),
    Map(Vec<(String, Node)>, bool),
    Seq(Vec<Node>, bool),
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./-][a-zA-Z0-9_./-]{0,8}",
        "[a-z0-9é][a-z0-9 :#./é'\"-]{0,10}",
        Just("docker.io/bitnami/nginx:1.25".to_owned()),
        Just("http://x:80/".to_owned()),
        Just("-1".to_owned()),
        Just("a:b".to_owned()),
        Just("---".to_owned()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_.-]{0,6}",
        1 => word(),
        1 => "'[a-z ':]{0,5}'",
        1 => "\"[a-z \\\\:]{0,5}\"",
    ]
}

const FLOW: &[&str] = &[
    "{}",
    "[]",
    "{ }",
    "[ ]",
    "[a, b]",
    "[\"ALL\"]",
    "[a,'b' , \"c d\"]",
    "[-1, 2]",
    "[a, ]",
    "[-]",
    "[a: b]",
    "[a #c]",
    "[a, [b]]",
    "{a: b}",
    "[a]x",
    "[a] # c",
    "['it''s', x:y, 'q\\']",
    "{app: app-0}",
    "{a: b, c: 'd', \"e f\": g h}",
    "{ a: b }",
    "{a: b,}",
    "{a}",
    "{a: }",
    "{a: b, c}",
    "{\"a\":b}",
    "{a: [b]}",
    "{a: {b: c}}",
    "{a: b} # c",
    "{a: b}x",
    "{a:b}",
    "{a: b: c}",
    "{a: b #c}",
    "{-a: -b, ?c: :d}",
    "{a b: c d}",
    "{a: -}",
    "{'a''b': \"c\\\"d\"}",
    "{a: b, , c: d}",
    "[{containerPort: 8000}]",
    "[{a: b}, c, {d: 'e', f: g}]",
    "[{a: b}x]",
    "[{}]",
    "[{a: b},]",
    "[ {a: [b]} ]",
];

fn scalar() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => word().prop_map(Node::Plain),
        1 => "[a-z 'é#:]{0,8}".prop_map(Node::Single),
        1 => "[a-z0-9_/NLP \\\\\"#:é]{0,8}".prop_map(Node::Double),
        2 => Just(Node::Null),
        1 => (
            prop::sample::select(vec!['\'', '"', ' ']),
            prop::collection::vec("[a-z #:é'\\\\\"|>\\-\\[{(,%@`!&*?]{0,8}", 2..5),
            prop_oneof![4 => Just(0usize), 1 => 1usize..4],
        )
            .prop_map(|(q, lines, depth)| Node::Lines(q, lines, depth)),
        1 => (
            prop::sample::select(vec!["|", "|-", "|+", ">", ">-", ">+", "|2", ">1-"]),
            prop::collection::vec("( {0,3}[a-z #!&\t]{0,6}|)", 0..5)
        )
            .prop_map(|(h, lines)| Node::Block(h, lines)),
        1 => prop::sample::select(FLOW.to_vec()).prop_map(Node::Flow),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(5, 40, 5, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key(), inner.clone()), 1..5),
                any::<bool>()
            )
                .prop_map(|(e, c)| Node::Map(e, c)),
            (prop::collection::vec(inner, 1..5), any::<bool>()).prop_map(|(i, c)| Node::Seq(i, c)),
        ]
    })
}

/// Layout choices for one rendering.
#[derive(Clone, Copy, Debug)]
struct Style {
    step: usize,
    indentless: bool,
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Appends `node` after `head` (a `key:` or `-` prefix already indented) at indentation `n`.
fn render(node: &Node, head: String, n: usize, style: Style, out: &mut Vec<String>) {
    let deeper = n + style.step;
    match node {
        Node::Plain(s) => out.push(format!("{head} {s}")),
        Node::Single(s) => out.push(format!("{head} '{}'", s.replace('\'', "''"))),
        Node::Double(s) => out.push(format!("{head} \"{s}\"")),
        Node::Lines(quote, lines, depth) => {
            let escape = |l: &String| match quote {
                '\'' => l.replace('\'', "''"),
                _ => l.clone(),
            };
            // A space for a quote: a plain scalar continued on the lines after.
            let quote = quote.to_string().trim().to_owned();
            out.push(format!("{head} {quote}{}", escape(&lines[0])));
            for (i, l) in lines.iter().enumerate().skip(1) {
                let at = match (depth, i % 2) {
                    (0, _) | (3, 0) => deeper + i % 3,
                    (1, _) => n,
                    _ => 0,
                };
                let close = if i + 1 == lines.len() {
                    quote.to_string()
                } else {
                    String::new()
                };
                out.push(format!("{}{}{close}", pad(at), escape(l)));
            }
        }
        Node::Null => out.push(head),
        Node::Flow(s) => out.push(format!("{head} {s}")),
        Node::Block(h, lines) => {
            out.push(format!("{head} {h}"));
            out.extend(lines.iter().map(|l| format!("{}{l}", pad(deeper))));
        }
        Node::Map(entries, compact) if *compact && head.trim_start().starts_with('-') => {
            let col = head.len() + 1;
            for (i, (k, v)) in entries.iter().enumerate() {
                let prefix = if i == 0 { format!("{head} ") } else { pad(col) };
                render(v, format!("{prefix}{k}:"), col, style, out);
            }
        }
        Node::Seq(items, compact) if *compact && head.trim_start().starts_with('-') => {
            let col = head.len() + 1;
            for (i, item) in items.iter().enumerate() {
                let prefix = if i == 0 { format!("{head} ") } else { pad(col) };
                render(item, format!("{prefix}-"), col, style, out);
            }
        }
        Node::Map(entries, _) => {
            if !head.is_empty() {
                out.push(head);
            }
            for (k, v) in entries {
                render(v, format!("{}{k}:", pad(deeper)), deeper, style, out);
            }
        }
        Node::Seq(items, _) => {
            let is_key = head.ends_with(':');
            if !head.is_empty() {
                out.push(head);
            }
            let at = if is_key && style.indentless {
                n
            } else {
                deeper
            };
            for item in items {
                render(item, format!("{}-", pad(at)), at, style, out);
            }
        }
    }
}

/// A root collection rendered at column 0.
fn document(root: &Node, style: Style) -> Vec<String> {
    let mut out = Vec::new();
    match root {
        Node::Map(entries, _) => {
            for (k, v) in entries {
                render(v, format!("{k}:"), 0, style, &mut out);
            }
        }
        Node::Seq(items, _) => {
            for item in items {
                render(item, "-".to_owned(), 0, style, &mut out);
            }
        }
        other => render(other, "-".to_owned(), 0, style, &mut out),
    }
    out
}

const HOSTILE: &[&str] = &[
    "# comment",
    "   # indented comment",
    "",
    "  ",
    "\t",
    "---",
    "--- # doc",
    "...",
    "%YAML 1.2",
    "- ",
    "-",
    "? complex",
    ": value",
    "a: &anchor x",
    "b: *anchor",
    "c: !!str x",
    "d: [1, 2]",
    "e: 'open",
    "  continued line",
    "f: x # c",
    "g:\tx",
    "\u{feff}",
    "key: value: more",
    "h: \"a\\tb\"",
    "i: |",
    "j: >2",
    "  - item",
    "k:",
    "l: x\r",
    "  |",
    "m: |+",
    "n: >-",
    "      deeper block line",
    " ",
    "- - a: 1",
    "-   - b",
    "o: [x, 'y']",
    "p: \"é\": x",
];

/// Characters a byte-level mutation inserts.
const NOISE: &[char] = &[
    ' ', '\t', '\n', '\r', ':', '#', '-', '\'', '"', '[', ']', ',', '|', '!', 'é',
];

#[derive(Clone, Debug)]
enum Mutation {
    Insert(usize, usize, usize),
    Delete(usize),
    Indent(usize, usize),
    Trailing(usize, usize),
    Char(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..HOSTILE.len(), 0usize..5)
            .prop_map(|(a, b, c)| Mutation::Insert(a, b, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 0usize..4).prop_map(|(a, b)| Mutation::Indent(a, b)),
        (any::<usize>(), 0usize..3).prop_map(|(a, b)| Mutation::Trailing(a, b)),
        (any::<usize>(), 0..NOISE.len()).prop_map(|(a, b)| Mutation::Char(a, b)),
    ]
}

fn mutate(lines: &mut Vec<String>, m: &Mutation) {
    let len = lines.len().max(1);
    match *m {
        Mutation::Insert(at, which, indent) => {
            lines.insert(
                at % (lines.len() + 1),
                format!("{}{}", pad(indent), HOSTILE[which]),
            );
        }
        Mutation::Delete(at) if !lines.is_empty() => {
            lines.remove(at % len);
        }
        Mutation::Indent(at, by) if !lines.is_empty() => lines[at % len].insert_str(0, &pad(by)),
        Mutation::Trailing(at, kind) if !lines.is_empty() => {
            lines[at % len].push_str(["  ", " # trailing", "   # x: y"][kind])
        }
        Mutation::Char(at, which) if !lines.is_empty() => {
            let line = &mut lines[at % len];
            let mut pos = at % (line.len() + 1);
            while !line.is_char_boundary(pos) {
                pos -= 1;
            }
            line.insert(pos, NOISE[which]);
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
struct Layout {
    step: usize,
    indentless: bool,
    crlf: bool,
    bom: bool,
    final_newline: bool,
    leading_marker: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        1usize..5,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(step, indentless, crlf, bom, final_newline, leading_marker)| Layout {
                step,
                indentless,
                crlf,
                bom,
                final_newline,
                leading_marker,
            },
        )
}

fn assemble(docs: &[Node], layout: &Layout, mutations: &[Mutation]) -> String {
    let style = Style {
        step: layout.step,
        indentless: layout.indentless,
    };
    let mut lines = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 || layout.leading_marker {
            lines.push("---".to_owned());
        }
        lines.extend(document(doc, style));
    }
    for m in mutations {
        mutate(&mut lines, m);
    }
    let newline = if layout.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(newline);
    if layout.final_newline {
        text.push_str(newline);
    }
    if layout.bom {
        text.insert(0, '\u{feff}');
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn clean_documents_agree(docs in prop::collection::vec(node(), 1..3), layout in layout()) {
        agrees(&assemble(&docs, &layout, &[]));
    }

    #[test]
    fn mutated_documents_agree(
        docs in prop::collection::vec(node(), 1..3),
        layout in layout(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        agrees(&assemble(&docs, &layout, &mutations));
    }

    #[test]
    fn arbitrary_text_agrees(text in "[ a-z:#\\-|>'\"\n\r\t,!&*{}\\[\\]]{0,80}") {
        agrees(&text);
    }
}

#[test]
fn plain_block_documents_take_the_fast_path() {
    let text = "\u{feff}# values\r\nimage:\r\n  registry: docker.io  # hub\r\n  tag: \"1.25\"\r\n\
                list:\r\n- a\r\n- b: 1\r\n  c:\r\n  -\r\nempty: {}\r\nnone: []\r\nscript: |-\r\n  \
                echo hi\r\n\r\n  done\r\nx: 'it''s'\r\n---\r\n---\r\n- - n\r\n";
    assert!(agrees(text));
}

#[test]
fn multi_line_plain_scalars_take_the_fast_path() {
    for text in [
        "a: one\n  two\n",
        "description: A store. It is often referred\n  to as a data structure server\n  and more.\nhome: x\n",
        "- one\n  two\n   three  \n- four\n",
        "a:\n  b: one\r\n    two\r\n  c: d\r\n",
        "a: 'one\n  two'\n",
        "a:\n  b: 'one  \n\n     two''s\n\n\n   three'  # c\n  c: \"x\\ty \n    z\"\nd: 1\n",
        "- 'one\r\n  two'\r\n- \"a\\ \n  b\"\n",
        "a: '\n  x\n  '\n",
        "metadata:\n  labels: {app: app-0, tier: 'web'}\n",
        "d: Duration is the amount. Default\n  unit is seconds (e.g.\n  \"2m\", \"1h\")\n",
        "rule: (self.type == 'Inline')\n  || (self.type == 'X')\n  - [a] {b} >c |d\n",
    ] {
        assert!(parse_fast(text).is_some(), "{text:?}");
        assert!(agrees(text), "{text:?}");
    }
}

#[test]
fn unusual_yaml_falls_back() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: [1, [2]]\n",
        "a: [1,\n  2]\n",
        "a: [b: c]\n",
        "a: {b: 1,\n  c: 2}\n",
        "a: [x, ]\n",
        "a: [x]y\n",
        "? a\n: b\n",
        "a: one\n\n  two\n",
        "a: one\n  two: x\n",
        "a: \"x\\x41\"\n",
        "a: \"x\\\n  y\"\n",
        "a:\n\tb: 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "a: |2\n   x\n",
        "plain scalar\n",
        "a: b: c\n",
        "a: 1\r b: 2\n",
        "a: 1\n- b\n",
    ] {
        assert!(parse_fast(text).is_none(), "{text:?}");
        agrees(text);
    }
}

#[test]
fn every_yaml_fixture_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (mut total, mut accepted) = (0, 0);
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                total += 1;
                accepted += usize::from(agrees(&text));
            }
        }
    }
    assert!(total > 0 && accepted > 0, "{accepted} of {total}");
}

/// Documents are visited once each, in order, whichever path reads them.
#[test]
fn fast_path_visits_like_saphyr() {
    let text = "a: 1\n---\nb: 2\n";
    let mut seen: Vec<Document> = Vec::new();
    regmig::extract::yaml::parse_stream(text, |d| seen.push(d.clone())).unwrap();
    assert_eq!(Some(seen), parse_fast(text));
}

/// The properties above mean little if the fast path declines everything: most clean
/// generated documents must take it.
#[test]
fn most_clean_documents_take_the_fast_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (prop::collection::vec(node(), 1..3), layout());
    let (mut total, mut accepted) = (0, 0);
    for _ in 0..2000 {
        let (docs, layout) = strategy.new_tree(&mut runner).unwrap().current();
        total += 1;
        accepted += usize::from(agrees(&assemble(&docs, &layout, &[])));
    }
    eprintln!("fast path accepted {accepted} of {total}");
    assert!(
        accepted * 4 > total,
        "fast path accepted only {accepted} of {total}"
    );
}
