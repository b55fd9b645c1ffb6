//! Shell tokenizer: quotes, escapes, continuations, operators, comments, substitutions,
//! expansions, heredocs and redirections, and termination on hostile input.

use super::*;

fn words(text: &str) -> Vec<Vec<String>> {
    commands(text, Dialect::Shell)
        .into_iter()
        .map(|c| c.words.into_iter().map(|w| w.text).collect())
        .collect()
}

#[test]
fn quotes_and_escapes_are_removed_and_offsets_kept() {
    let text = r#"echo 'a b' "c\"d" e\ f"#;
    let command = &commands(text, Dialect::Shell)[0];
    let texts: Vec<&str> = command.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(texts, ["echo", "a b", "c\"d", "e f"]);
    let quoted = &command.words[1];
    assert_eq!(quoted.offsets, [6, 7, 8]);
    assert!(quoted.quoted && quoted.contiguous(0..3));
    // The escaped quote leaves a gap.
    assert!(!command.words[2].contiguous(0..3));
    assert_eq!(command.words[2].span, 11..17);
}

#[test]
fn continuations_join_words_and_commands() {
    assert_eq!(
        words("docker run \\\n  --rm \\\r\n  nginx\nls"),
        [vec!["docker", "run", "--rm", "nginx"], vec!["ls"]]
    );
    let command = &commands("ngi\\\nnx", Dialect::Shell)[0];
    assert_eq!(command.words[0].text, "nginx");
    assert!(!command.words[0].contiguous(0..5));
}

#[test]
fn operators_split_commands_and_link_pipelines() {
    let found = commands("a && b; c | d || e & f\ng |\n h", Dialect::Shell);
    let names: Vec<&str> = found.iter().map(|c| c.words[0].text.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    assert_eq!(found[3].piped_from, Some(2));
    assert_eq!(found[4].piped_from, None);
    assert_eq!(found[7].piped_from, Some(6));
}

#[test]
fn comments_are_skipped_but_hashes_inside_words_are_not() {
    assert_eq!(
        words("# docker run nginx\necho a#b # docker pull x\n"),
        [vec!["echo", "a#b"]]
    );
}

#[test]
fn command_substitutions_are_commands_too() {
    let found = commands(
        "x=$(docker run --rm alpine cat) y=`docker pull b`",
        Dialect::Shell,
    );
    let names: Vec<String> = found.iter().map(|c| c.words[0].text.clone()).collect();
    assert_eq!(
        names,
        ["x=$(docker run --rm alpine cat)", "docker", "docker"]
    );
    let outer = &found[0];
    assert_eq!(outer.words.len(), 2);
    assert_eq!(outer.words[0].expansions[0].kind, ExpansionKind::Other);
}

#[test]
fn parameters_keep_their_name_and_default() {
    let word = single_word("${IMG:-acme/app:1.0}:x", Dialect::Shell).unwrap();
    let ExpansionKind::Parameter { name, default } = &word.expansions[0].kind else {
        panic!("not a parameter");
    };
    assert_eq!(&word.text[name.clone()], "IMG");
    assert_eq!(&word.text[default.clone().unwrap()], "acme/app:1.0");
    let word = single_word("a$B${C}${D%x}$(e)${{ env.F }}", Dialect::Shell).unwrap();
    let vars: Vec<&str> = word.variables().collect();
    assert_eq!(vars, ["B", "C", "F"]);
}

#[test]
fn make_variables_and_doubled_dollars() {
    let word = single_word("$(IMG)-$$HOME-${TAG}-$@", Dialect::Make).unwrap();
    let vars: Vec<&str> = word.variables().collect();
    assert_eq!(vars, ["IMG", "HOME", "TAG", "@"]);
    // `$(shell …)` is a function, not a variable.
    let word = single_word("$(shell git rev-parse HEAD)", Dialect::Make).unwrap();
    assert_eq!(word.expansions[0].kind, ExpansionKind::Other);
}

#[test]
fn heredoc_bodies_are_attached_and_not_commands() {
    let text = "cat <<'EOF' | docker build -\nFROM alpine\nRUN docker pull x\nEOF\nls\n\tcat <<-END\n\tbody\n\tEND\n";
    let found = commands(text, Dialect::Shell);
    let names: Vec<&str> = found.iter().map(|c| c.words[0].text.as_str()).collect();
    assert_eq!(names, ["cat", "docker", "ls", "cat"]);
    let heredoc = &found[0].heredocs[0];
    assert!(heredoc.quoted);
    assert_eq!(
        &text[heredoc.body.clone()],
        "FROM alpine\nRUN docker pull x\n"
    );
    assert_eq!(&text[found[3].heredocs[0].body.clone()], "\tbody\n");
    // An unterminated heredoc runs to the end.
    let found = commands("cat <<EOF\nFROM x\n", Dialect::Shell);
    assert_eq!(found[0].heredocs[0].body, 10..17);
}

#[test]
fn redirections_take_their_target_and_io_numbers_vanish() {
    let found = commands("cat > Dockerfile 2>&1 <<< 'FROM x' >>log", Dialect::Shell);
    let command = &found[0];
    assert_eq!(command.words.len(), 1);
    let targets: Vec<(RedirectKind, &str)> = command
        .redirects
        .iter()
        .map(|(k, w)| (*k, w.text.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            (RedirectKind::Output, "Dockerfile"),
            (RedirectKind::Other, "1"),
            (RedirectKind::Output, "log")
        ]
    );
    assert_eq!(command.here_strings[0].text, "FROM x");
}

#[test]
fn hostile_input_terminates() {
    let deep = "$(".repeat(10_000);
    assert!(!commands(&deep, Dialect::Shell).is_empty());
    let backquotes = "`".repeat(1001);
    let _ = commands(&backquotes, Dialect::Shell);
    for text in ["'", "\"", "${", "$((", "\\", "<<", "a <<", "$'\\", "é\\é"] {
        let _ = commands(text, Dialect::Shell);
        let _ = commands(text, Dialect::Make);
    }
}

#[test]
fn word_slices_keep_offsets() {
    let word = single_word("--cache-from=type=registry,ref=acme/x:1", Dialect::Shell).unwrap();
    let slice = word.slice(31..word.text.len());
    assert_eq!(slice.text, "acme/x:1");
    assert_eq!(slice.span, 31..39);
    let empty = single_word("A=\"\"", Dialect::Shell).unwrap().tail(2);
    assert_eq!((empty.text.as_str(), empty.span.clone()), ("", 2..4));
}
