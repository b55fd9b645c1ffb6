//! Extract stage, shell: commands → references. Strips what runs a command without being it
//! (assignments, `sudo`, `env`, `if`/`then`, `time`…), records assignments, and reads the
//! operands of `docker`/`podman`/`nerdctl`; other tools are in [`super::tools`], the text
//! fed to `docker build -` and `kubectl apply -f -` in [`super::bodies`].

use super::assign::{is_image_name, Assignment, Value};
use super::bodies::Consumer;
use super::embed::OffsetMap;
use super::lex::{self, Command, Dialect, ExpansionKind, Word};
use super::options::{Operands, Options, ENGINE, PULL, PUSH, RUN, SUDO, TAG};
use super::{refs, Scan, ToolVariables};
use crate::extract::Role;

/// How deep `bash -c '…'` strings are read.
const MAX_DEPTH: usize = 4;

/// The container engines, whose command lines are alike.
const ENGINES: &[&str] = &["docker", "podman", "nerdctl"];

pub(super) fn scan(text: &str, dialect: Dialect, tools: &ToolVariables, depth: usize) -> Scan {
    let mut tools = tools.clone();
    let mut out = Scan::default();
    lex::for_each_line(text, dialect, &mut |commands| {
        // Variables naming the engine, known from here on (`DOCKER=podman`).
        for command in commands {
            let (assignments, _) = split_command(&command.words);
            for (word, eq) in assignments {
                let value = word.tail(eq + 1);
                if let Some(tool) = tool_value(&value, &tools) {
                    tools.insert(word.text[..eq].to_owned(), tool);
                }
            }
        }
        let mut ctx = Ctx {
            source: text,
            dialect,
            commands,
            tools: &tools,
            depth,
            out: &mut out,
        };
        for index in 0..commands.len() {
            ctx.command(index);
        }
    });
    out
}

pub(super) struct Ctx<'a> {
    pub source: &'a str,
    pub dialect: Dialect,
    pub commands: &'a [Command],
    pub tools: &'a ToolVariables,
    pub depth: usize,
    pub out: &'a mut Scan,
}

impl Ctx<'_> {
    fn command(&mut self, index: usize) {
        let command = &self.commands[index];
        let statement = command.start;
        let (assignments, words) = split_command(&command.words);
        for (word, eq) in assignments {
            if !may_matter(&word.text[..eq]) {
                continue;
            }
            let value = word.tail(eq + 1);
            self.out.assignments.push(Assignment {
                name: word.text[..eq].to_owned(),
                statement,
                block: 0,
                value: Value::of_word(&value, statement, self.source),
            });
        }
        let Some((name, args)) = words.split_first() else {
            return;
        };
        let Some(name) = self.tool_name(name) else {
            return;
        };
        let consumer = match name.as_str() {
            n if ENGINES.contains(&n) => self.engine(args, statement),
            "kubectl" | "oc" => self.kubectl(args, statement),
            "ctr" => self.ctr(args, statement),
            "crictl" => self.crictl(args, statement),
            "skopeo" => self.skopeo(args, statement),
            "crane" => self.crane(args, statement),
            "kind" => self.kind(args, statement),
            "minikube" => self.minikube(args, statement),
            "sh" | "bash" | "zsh" | "dash" | "ash" => {
                self.shell_c(args);
                None
            }
            "cat" | "tee" => Consumer::of_file_writer(command, &name, args),
            ":" => {
                self.default_assignments(args, statement);
                None
            }
            _ => None,
        };
        if let Some(consumer) = consumer {
            self.feed(index, consumer);
        }
    }

    /// The command a word names: its base name, or the tool a variable holds.
    pub(super) fn tool_name(&self, word: &Word) -> Option<String> {
        if let Some(text) = word.literal() {
            if !word.contiguous(0..text.len()) {
                return None;
            }
            // `cluster/kubectl.sh` is a wrapper named after the tool it runs.
            let base = text.rsplit('/').next().unwrap_or(text);
            return Some(base.strip_suffix(".sh").unwrap_or(base).to_owned());
        }
        tool_value(word, self.tools)
    }

    pub(super) fn reference(&mut self, word: &Word, statement: usize, role: Role) {
        if let Some(occurrence) = refs::occurrence(word, statement, role, self.source) {
            self.out.occurrences.push(occurrence);
        }
    }

    /// An own image (`build -t`, a `tag` target, `push`): named, and its variables and its
    /// literal name are own.
    pub(super) fn own(&mut self, word: &Word, statement: usize) {
        if let Some(occurrence) = refs::occurrence(word, statement, Role::Named, self.source) {
            self.out.own_images.push(occurrence.image.canonical());
            self.out.occurrences.push(occurrence);
        }
        self.out
            .own_variables
            .extend(word.variables().map(str::to_owned));
    }

    /// An image loaded from the local engine (`kind load docker-image`, `minikube image
    /// load`): named, its variables own; a pull of the same image in the file makes it follow
    /// that pull.
    pub(super) fn load(&mut self, word: &Word, statement: usize) {
        self.reference(word, statement, Role::Named);
        self.out
            .own_variables
            .extend(word.variables().map(str::to_owned));
    }

    fn engine(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let Operands::Known(operands) = ENGINE.operands(args, false) else {
            return None;
        };
        let first = *operands.first()?;
        let mut sub = args[first].literal()?;
        let mut rest = &args[first + 1..];
        let mut group = None;
        if matches!(sub, "container" | "image" | "buildx" | "builder") {
            group = Some(sub);
            if sub == "buildx" {
                rest = skip_buildx_options(rest);
            }
            let (next, after) = rest.split_first()?;
            sub = next.literal()?;
            rest = after;
        }
        match (group, sub) {
            (None | Some("container"), "run" | "create") => {
                if let Operands::Known(operands) = RUN.operands(rest, false) {
                    if let Some(&image) = operands.first() {
                        self.reference(&rest[image], statement, Role::Pull);
                    }
                }
                None
            }
            (None | Some("image"), "pull") => {
                for i in known(PULL.operands(rest, true)) {
                    self.reference(&rest[i], statement, Role::Pull);
                }
                None
            }
            (None | Some("image" | "builder" | "buildx"), "build") | (Some("buildx"), "b") => {
                self.build(rest, statement)
            }
            (None | Some("image"), "tag") => {
                let operands = known(TAG.operands(rest, true));
                if let [source, target] = operands[..] {
                    self.reference(&rest[source], statement, Role::Named);
                    self.own(&rest[target], statement);
                }
                None
            }
            (None | Some("image"), "push") => {
                for i in known(PUSH.operands(rest, true)) {
                    let word = &rest[i];
                    match word.text.strip_prefix("docker://") {
                        Some(_) => self.own(&word.tail("docker://".len()), statement),
                        None => self.own(word, statement),
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// `build` / `buildx build`: `-t` names own images, `--cache-from` pulls, and a
    /// Dockerfile read from stdin (`-`, `-f -`) makes the command a [`Consumer`].
    fn build(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let mut stdin = false;
        for i in 0..args.len() {
            if let Some((word, at)) = Options::value_at(args, i, "tag", Some('t')) {
                self.own(&word.tail(at), statement);
            } else if let Some((word, at)) = Options::value_at(args, i, "cache-from", None) {
                if let Some(reference) = cache_reference(&word.tail(at)) {
                    self.reference(&reference, statement, Role::Pull);
                }
            } else if let Some((word, at)) = Options::value_at(args, i, "cache-to", None) {
                if let Some(reference) = cache_reference(&word.tail(at)) {
                    self.own(&reference, statement);
                }
            } else if let Some((word, at)) = Options::value_at(args, i, "build-arg", None) {
                self.build_arg(&word.tail(at), statement);
            } else if let Some((word, at)) = Options::value_at(args, i, "file", Some('f')) {
                stdin |= word.text.get(at..) == Some("-");
            } else if args[i].is("-") {
                stdin = true;
            }
        }
        stdin.then_some(Consumer::Dockerfile)
    }

    /// `--build-arg BASE_IMAGE=golang:1.22`: an image variable's value, pulled by the build.
    fn build_arg(&mut self, word: &Word, statement: usize) {
        let Some(eq) = word.text.find('=') else {
            return;
        };
        let literal_name = word.expansions.first().is_none_or(|e| e.range.start > eq);
        if !literal_name || !is_image_name(&word.text[..eq]) {
            return;
        }
        let value = word.tail(eq + 1);
        if let Some(found) = refs::reference(&value) {
            if found.is_qualified(&value.text[found.range.clone()]) {
                let occurrence =
                    refs::to_occurrence(&value, &found, statement, Role::Pull, self.source);
                self.out.occurrences.push(occurrence);
            }
        }
    }

    /// `: "${IMAGE:=nginx:1.27}"` assigns the default when the variable is unset.
    fn default_assignments(&mut self, args: &[Word], statement: usize) {
        for word in args {
            let [expansion] = &word.expansions[..] else {
                continue;
            };
            let ExpansionKind::Parameter {
                name,
                default: Some(_),
            } = &expansion.kind
            else {
                continue;
            };
            if expansion.range == (0..word.text.len()) {
                self.out.assignments.push(Assignment {
                    name: word.text[name.clone()].to_owned(),
                    statement,
                    block: 0,
                    value: Value::of_word(word, statement, self.source),
                });
            }
        }
    }

    /// `bash -c 'docker run …'`: the string is scanned as shell of its own.
    fn shell_c(&mut self, args: &[Word]) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let mut i = 0;
        let mut script = None;
        while let Some(text) = args.get(i).and_then(Word::literal) {
            if text.starts_with("--") || !text.starts_with('-') {
                if text.starts_with("--") {
                    i += 1;
                    continue;
                }
                break;
            }
            if text.contains('c') {
                script = args.get(i + 1);
                break;
            }
            i += if text.contains('o') { 2 } else { 1 };
        }
        let Some(word) = script else {
            return;
        };
        let inner = scan(&word.text, self.dialect, self.tools, self.depth + 1);
        let mapped = inner.mapped(
            &OffsetMap::Table(word.offsets.clone()),
            &word.text,
            self.source,
        );
        self.out.occurrences.extend(mapped.occurrences);
        self.out.assignments.extend(mapped.assignments);
        self.out.own_variables.extend(mapped.own_variables);
    }
}

/// Whether an assignment to `name` can be a reference or a part of a split pair; the others
/// are not kept.
fn may_matter(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_image_name(name)
        || ["registry", "repository", "tag"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
}

pub(super) fn known(operands: Operands) -> Vec<usize> {
    match operands {
        Operands::Known(found) => found,
        Operands::Uncertain => Vec::new(),
    }
}

/// `docker buildx --builder x build`: buildx's own options before its subcommand.
fn skip_buildx_options(args: &[Word]) -> &[Word] {
    let mut i = 0;
    while let Some(text) = args.get(i).and_then(Word::literal) {
        match text {
            "--builder" => i += 2,
            _ if text.starts_with("--builder=") || text == "--debug" || text == "-D" => i += 1,
            _ => break,
        }
    }
    &args[i.min(args.len())..]
}

/// `--cache-from` values: `IMAGE`, or `type=registry,ref=IMAGE`; other cache types name no
/// image.
fn cache_reference(word: &Word) -> Option<Word> {
    let text = word.text.as_str();
    if !text.contains('=') {
        return Some(word.clone());
    }
    let mut kind = None;
    let mut reference = None;
    let mut start = 0;
    for field in text.split(',') {
        let range = start..start + field.len();
        start = range.end + 1;
        if let Some(value) = field.strip_prefix("type=") {
            kind = Some(value);
        } else if field.starts_with("ref=") {
            reference = Some(range.start + 4..range.end);
        }
    }
    if kind.is_some_and(|k| k != "registry") {
        return None;
    }
    reference.map(|r| word.slice(r))
}

/// Leading `NAME=value` words (with where their `=` is), then the command's words once what
/// merely runs it (`sudo`, `env`, `if`, `time`…) is set aside. `export NAME=value` and its
/// kin yield assignments and no command.
pub(super) fn split_command(words: &[Word]) -> (Vec<(&Word, usize)>, &[Word]) {
    let mut assignments = Vec::new();
    let mut rest = words;
    loop {
        while let Some((first, after)) = rest.split_first() {
            match assignment(first) {
                Some(eq) => {
                    assignments.push((first, eq));
                    rest = after;
                }
                None => break,
            }
        }
        let Some(keyword) = rest.first().and_then(Word::literal) else {
            return (assignments, rest);
        };
        rest = match keyword {
            "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{" | "time"
            | "nohup" | "exec" | "builtin" | "run" => &rest[1..],
            "command" => match rest.get(1).and_then(Word::literal) {
                // `command -v docker` looks the command up without running it.
                Some("-v" | "-V") => return (assignments, &[]),
                Some("-p") => &rest[2..],
                _ => &rest[1..],
            },
            "sudo" => match SUDO.operands(&rest[1..], false) {
                Operands::Known(operands) if !operands.is_empty() => &rest[1 + operands[0]..],
                _ => return (assignments, &[]),
            },
            "env" => skip_options(&rest[1..], &["-u", "-C", "-S"]),
            "timeout" => {
                let after = skip_options(&rest[1..], &["-s", "-k"]);
                after.get(1..).unwrap_or(&[])
            }
            "nice" => skip_options(&rest[1..], &["-n"]),
            "export" | "readonly" | "local" | "declare" | "typeset" => {
                for word in &rest[1..] {
                    if let Some(eq) = assignment(word) {
                        assignments.push((word, eq));
                    }
                }
                return (assignments, &[]);
            }
            _ => return (assignments, rest),
        };
    }
}

/// Skips options (and the values of those in `with_value`) before a command's operands.
fn skip_options<'w>(words: &'w [Word], with_value: &[&str]) -> &'w [Word] {
    let mut i = 0;
    while let Some(text) = words.get(i).and_then(Word::literal) {
        if text == "--" {
            return &words[i + 1..];
        }
        if !text.starts_with('-') || text == "-" {
            break;
        }
        i += if with_value.contains(&text) { 2 } else { 1 };
    }
    &words[i.min(words.len())..]
}

/// Where the `=` of an assignment word (`NAME=value`, name unquoted) is.
pub(super) fn assignment(word: &Word) -> Option<usize> {
    let eq = word.text.find('=')?;
    let name = &word.text[..eq];
    let valid = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let unquoted = word.offsets.first() == Some(&word.span.start) && word.contiguous(0..eq + 1);
    let literal = word.expansions.first().is_none_or(|e| e.range.start > eq);
    (valid && unquoted && literal).then_some(eq)
}

/// The tool a word names through a variable (`$(CONTAINER_TOOL)`, `${DOCKER:-podman}`).
fn tool_value(word: &Word, tools: &ToolVariables) -> Option<String> {
    if let Some(text) = word.literal() {
        let name = text.rsplit('/').next().unwrap_or(text);
        return ENGINES.contains(&name).then(|| name.to_owned());
    }
    let [expansion] = &word.expansions[..] else {
        return None;
    };
    if expansion.range != (0..word.text.len()) {
        return None;
    }
    let ExpansionKind::Parameter { name, default } = &expansion.kind else {
        return None;
    };
    if let Some(tool) = tools.get(&word.text[name.clone()]) {
        return Some(tool.clone());
    }
    let default = &word.text[default.clone()?];
    let name = default.rsplit('/').next().unwrap_or(default);
    ENGINES.contains(&name).then(|| name.to_owned())
}
