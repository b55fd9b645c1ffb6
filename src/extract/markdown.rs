//! Extract stage, Markdown (`*.md`, `*.mdx`): fenced code blocks only (``` and ~~~). Shell
//! blocks (`sh`, `bash`, `shell`, `console`, `zsh`, `shell-session`) are read as shell with
//! prompts (`$ `, and `# ` in session blocks) blanked and, once a block uses prompts, the
//! lines that are neither commands nor their continuations (output) left out; `yaml` blocks
//! are read as Compose or Kubernetes YAML when they parse (else by `image:` line), and
//! `dockerfile` blocks by the Dockerfile extractor. Prose and indented code are never read,
//! and stand-in names (`your-image`, `myorg/app`) are never references.

use std::ops::Range;

use super::shell::lex::Dialect;
use super::shell::{scan, Collector, ToolVariables};
use super::{compose, dockerfile, helm, kubernetes, yaml, Extraction, Occurrence};
use crate::reference::ImageRef;
use crate::source::Span;

const SHELLS: &[&str] = &["sh", "bash", "shell", "zsh", "ksh"];
/// Blocks that show a terminal session: `# ` is a root prompt there, not a comment.
const SESSIONS: &[&str] = &["console", "shell-session", "shellsession", "sh-session"];

#[derive(Debug, PartialEq, Eq)]
struct Block {
    language: String,
    /// The lines between the fences.
    content: Range<usize>,
}

pub fn extract(text: &str) -> Extraction {
    let mut collector = Collector::default();
    for block in fenced_blocks(text) {
        let body = &text[block.content.clone()];
        let base = block.content.start;
        let language = match block.language.as_str() {
            // A block without a language is read as what it plainly is.
            "" => guess_language(body),
            language => language,
        };
        if SHELLS.contains(&language) || SESSIONS.contains(&language) {
            let view = shell_view(body, SESSIONS.contains(&language));
            let found = scan(&view, Dialect::Shell, &ToolVariables::new());
            let shift = super::shell::embed::OffsetMap::Shift(base);
            let block_id = collector.block();
            collector.add(found.mapped(&shift, &view, text), block_id);
        } else if matches!(language, "yaml" | "yml") {
            for occurrence in yaml_block(body) {
                collector.occurrence(shifted(occurrence, base));
            }
        } else if matches!(language, "dockerfile" | "containerfile") {
            for occurrence in dockerfile::extract(body).occurrences {
                collector.occurrence(shifted(occurrence, base));
            }
        }
    }
    let mut occurrences = collector.finish();
    occurrences.retain(|o| !is_placeholder(&o.image));
    Extraction {
        occurrences,
        errors: Vec::new(),
    }
}

/// The language of an untagged block, when its content says so beyond doubt: YAML that parses
/// as a mapping holding `services:` or `apiVersion` + `kind`, a Dockerfile whose first
/// instruction is `FROM`, or commands that start with a container tool (a `$ ` prompt allowed).
/// Anything else is left unread.
fn guess_language(body: &str) -> &'static str {
    let lines = || {
        body.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    };
    let Some(first) = lines().next() else {
        return "";
    };
    if first.starts_with("FROM ")
        || first.starts_with("ARG ") && lines().any(|l| l.starts_with("FROM "))
    {
        return "dockerfile";
    }
    let mut is_manifest = false;
    let parsed = yaml::parse_stream(body, |doc| {
        is_manifest |= doc.root().is_some_and(|root| {
            doc.is_map(root)
                && (doc.get(root, "services").is_some()
                    || doc.get(root, "apiVersion").is_some() && doc.get(root, "kind").is_some())
        });
    });
    // An abbreviated file (`...` for the elided parts) does not parse, but still opens like one.
    let opens_like_manifest = ["services:", "apiVersion:", "version:"]
        .iter()
        .any(|key| first.starts_with(key))
        && body.contains("image:");
    if is_manifest && parsed.is_ok() || parsed.is_err() && opens_like_manifest {
        return "yaml";
    }
    const TOOLS: &[&str] = &["docker ", "podman ", "nerdctl ", "kubectl ", "sudo docker "];
    let mut continued = false;
    let commands = lines().all(|line| {
        let command = line.strip_prefix("$ ").unwrap_or(line);
        let ok = continued || TOOLS.iter().any(|tool| command.starts_with(tool));
        continued = line.ends_with('\\');
        ok
    });
    if commands {
        return "console";
    }
    ""
}

/// A YAML example read as what it shows when it parses (a Compose file: services with
/// `build:` are local; Kubernetes objects and container lists: images where containers live;
/// other YAML: values with a `/`, tag or digest), else by `image:` line.
fn yaml_block(body: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let parsed = yaml::parse_stream(body, |doc| {
        let is_compose = doc
            .root()
            .is_some_and(|root| doc.get(root, "services").is_some_and(|s| doc.is_map(s)));
        if is_compose {
            compose::document(doc, &mut found);
        } else {
            kubernetes::document(doc, &mut found);
        }
    });
    match parsed {
        Ok(()) => found,
        Err(_) => helm::template(body).occurrences,
    }
}

/// Names that documentation uses as stand-ins for the reader's own image (`your-image`,
/// `myorg/app`, `image:tag`): never a pull to rewrite.
fn is_placeholder(image: &ImageRef) -> bool {
    const STAND_INS: &[&str] = &[
        "image",
        "example",
        "foo",
        "bar",
        "baz",
        "org",
        "namespace",
        "username",
        "user",
        "repo",
        "repository",
        "name",
        "placeholder",
        "some-image",
        "app-image",
    ];
    const MINE: &[&str] = &[
        "myorg",
        "myrepo",
        "myimage",
        "myapp",
        "myuser",
        "myregistry",
        "myproject",
        "mycompany",
        "myaccount",
        "myname",
        "myteam",
    ];
    image.familiar_path().split('/').any(|component| {
        component.starts_with("your")
            || component.starts_with("my-")
            || component.starts_with("my_")
            || MINE.contains(&component)
            || STAND_INS.contains(&component)
    })
}

fn shifted(mut occurrence: Occurrence, by: usize) -> Occurrence {
    for (_, span) in &mut occurrence.parts {
        *span = Span::new(span.start + by, span.end + by);
    }
    occurrence.statement += by;
    occurrence
}

/// Every fenced code block, with its language (the info string's first word, lowercase). A
/// fence may be indented by up to three spaces, or more inside a list item (the item's
/// content indentation plus three); deeper, it is indented code.
fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(u8, usize, String, usize)> = None;
    let mut lists = ListFold::default();
    // Lines outside any block, as the list context reads them: everything but a block's body
    // and its closing fence.
    let mut inside: Vec<Range<usize>> = Vec::new();
    for line_start in fence_line_starts(text) {
        let line_end = memchr::memchr(b'\n', &text.as_bytes()[line_start..])
            .map_or(text.len(), |i| line_start + i + 1);
        let content = text[line_start..line_end].trim_end_matches(['\n', '\r']);
        let Some((indent, fence, len, info)) = fence(content) else {
            continue;
        };
        match &open {
            Some((c, n, _, _)) if fence == *c && len >= *n && info.trim().is_empty() => {
                let (_, _, language, body_start) = open.take().unwrap_or_default();
                blocks.push(Block {
                    language,
                    content: body_start..line_start,
                });
                inside.push(body_start..line_end);
            }
            Some(_) => {}
            None => {
                // Only a fence indented past three spaces needs the list it may sit in.
                let indented_code =
                    indent > 3 && indent > lists.indent_through(text, line_start, &inside) + 3;
                if indented_code || (fence == b'`' && info.contains('`')) {
                    continue;
                }
                open = Some((fence, len, language(info), line_end));
            }
        }
    }
    if let Some((_, _, language, body_start)) = open {
        blocks.push(Block {
            language,
            content: body_start..text.len(),
        });
    }
    blocks
}

/// The starts of the lines that may be fences: up to any number of spaces, then ``` or ~~~.
/// Two SIMD searches instead of a look at every line (READMEs run to megabytes of prose).
fn fence_line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts: Vec<usize> = ["```", "~~~"]
        .iter()
        .flat_map(|needle| memchr::memmem::find_iter(bytes, needle))
        .filter_map(|at| {
            let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
            bytes[line_start..at]
                .iter()
                .all(|&b| b == b' ')
                .then_some(line_start)
        })
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// The list context ([`list_context`]) folded over the lines outside blocks, lazily: only as
/// far as the last fence that asked for it.
#[derive(Default)]
struct ListFold {
    /// The start of the next line to fold.
    at: usize,
    indent: usize,
    /// The first of the `inside` ranges not yet passed.
    next_inside: usize,
}

impl ListFold {
    /// The list context after folding every line up to and including the one at `line_start`.
    fn indent_through(&mut self, text: &str, line_start: usize, inside: &[Range<usize>]) -> usize {
        while self.at <= line_start && self.at < text.len() {
            if let Some(range) = inside.get(self.next_inside) {
                if range.start <= self.at {
                    self.at = self.at.max(range.end);
                    self.next_inside += 1;
                    continue;
                }
            }
            let end = memchr::memchr(b'\n', &text.as_bytes()[self.at..])
                .map_or(text.len(), |i| self.at + i + 1);
            let content = text[self.at..end].trim_end_matches(['\n', '\r']);
            self.indent = list_context(content, self.indent);
            self.at = end;
        }
        self.indent
    }
}

/// The content indentation of the list item `line` starts (`- `, `* `, `+ `, `1. `, `1) `),
/// the previous one while inside it, or 0 once a line at the margin leaves the list.
fn list_context(line: &str, previous: usize) -> usize {
    let rest = line.trim_start_matches(' ');
    let indent = line.len() - rest.len();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let marker = if rest.starts_with(['-', '*', '+']) {
        1
    } else if digits > 0 && rest[digits..].starts_with(['.', ')']) {
        digits + 1
    } else {
        0
    };
    if marker > 0 && rest[marker..].starts_with(' ') {
        return indent + marker + 1;
    }
    if indent == 0 && !rest.is_empty() {
        return 0;
    }
    previous
}

/// A fence line: its indentation, its character, its length and the info string after it.
fn fence(line: &str) -> Option<(usize, u8, usize, &str)> {
    let rest = line.trim_start_matches(' ');
    let indent = line.len() - rest.len();
    let c = *rest.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == c).count();
    (len >= 3).then(|| (indent, c, len, &rest[len..]))
}

/// `bash title="x"`, `{.bash}`, `Bash` → `bash`.
fn language(info: &str) -> String {
    let word = info
        .trim()
        .trim_start_matches('{')
        .trim_start_matches('.')
        .split(|c: char| c.is_whitespace() || c == '}' || c == ',')
        .next()
        .unwrap_or("");
    word.to_ascii_lowercase()
}

/// The block with prompts blanked and, when it uses prompts, output lines blanked too; the
/// same length as the block, so offsets carry over.
fn shell_view(body: &str, session: bool) -> String {
    let prompt = |line: &str| -> Option<usize> {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let rest = &line[indent..];
        let marker = if rest.starts_with("$ ") || (session && rest.starts_with("# ")) {
            2
        } else if rest == "$" || rest == "$\r" {
            1
        } else {
            return None;
        };
        Some(indent + marker)
    };
    let uses_prompts = body.lines().any(|l| prompt(l).is_some());
    let mut view = String::with_capacity(body.len());
    let mut continues = false;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let ending = &line[content.len()..];
        match prompt(content) {
            Some(end) => {
                view.push_str(&" ".repeat(end));
                view.push_str(&content[end..]);
            }
            None if uses_prompts && !continues => view.push_str(&blank(content)),
            None => view.push_str(content),
        }
        view.push_str(ending);
        continues =
            content.ends_with('\\') && (continues || !uses_prompts || prompt(content).is_some());
    }
    view
}

/// Spaces for every byte of `text`.
fn blank(text: &str) -> String {
    " ".repeat(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fold over every line that [`fenced_blocks`] must agree with.
    fn fenced_blocks_by_line(text: &str) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut open: Option<(u8, usize, String, usize)> = None;
        let mut list_indent = 0;
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let line_start = start;
            start += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            if open.is_none() {
                list_indent = list_context(content, list_indent);
            }
            let Some((indent, fence, len, info)) = fence(content) else {
                continue;
            };
            match &open {
                Some((c, n, _, _)) if fence == *c && len >= *n && info.trim().is_empty() => {
                    let (_, _, language, body_start) = open.take().unwrap_or_default();
                    blocks.push(Block {
                        language,
                        content: body_start..line_start,
                    });
                }
                Some(_) => {}
                None => {
                    if indent > list_indent + 3 || (fence == b'`' && info.contains('`')) {
                        continue;
                    }
                    open = Some((fence, len, language(info), start));
                }
            }
        }
        if let Some((_, _, language, body_start)) = open {
            blocks.push(Block {
                language,
                content: body_start..text.len(),
            });
        }
        blocks
    }

    fn markdown_line() -> impl Strategy<Value = String> {
        let indent = prop_oneof![
            Just(""),
            Just(" "),
            Just("   "),
            Just("    "),
            Just("      ")
        ];
        let body = prop_oneof![
            Just("```"),
            Just("````"),
            Just("```sh"),
            Just("``` `x`"),
            Just("~~~"),
            Just("~~~~ yaml"),
            Just("- item"),
            Just("1. step"),
            Just("10) step"),
            Just("* "),
            Just("text with `code` and ``` inline"),
            Just("a ~~~ b"),
            Just(""),
            Just("docker run nginx"),
        ];
        let ending = prop_oneof![Just("\n"), Just("\r\n")];
        (indent, body, ending).prop_map(|(i, b, e)| format!("{i}{b}{e}"))
    }

    proptest! {
        #[test]
        fn fence_search_agrees_with_the_line_fold(
            lines in proptest::collection::vec(markdown_line(), 0..40),
            cut in any::<bool>(),
        ) {
            let mut text = lines.concat();
            if cut {
                text = text.trim_end_matches(['\n', '\r']).to_owned();
            }
            prop_assert_eq!(fenced_blocks(&text), fenced_blocks_by_line(&text));
        }
    }

    #[test]
    fn fences_and_languages() {
        let text = "# Title\n```bash title=\"x\"\nls\n```\n~~~~ {.yaml}\na: 1\n~~~\n~~~~\n    ```\nnot code\n\n- item\n\n    ```sh\n    ls\n    ```\n";
        let blocks = fenced_blocks(text);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[2].language, "sh");
        assert_eq!(blocks[0].language, "bash");
        assert_eq!(&text[blocks[0].content.clone()], "ls\n");
        assert_eq!(blocks[1].language, "yaml");
        assert_eq!(&text[blocks[1].content.clone()], "a: 1\n~~~\n");
    }

    #[test]
    fn prompts_and_output_are_blanked() {
        let body = "$ docker run \\\n  nginx\nHello from nginx\n# root\n";
        assert_eq!(
            shell_view(body, true),
            "  docker run \\\n  nginx\n                \n  root\n"
        );
        assert_eq!(shell_view("# comment\nls\n", false), "# comment\nls\n");
    }
}
