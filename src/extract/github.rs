//! Extract stage, GitHub Actions: `jobs.*.container` (a string or its `image`),
//! `jobs.*.services.*.image`, `uses: docker://…` in steps, and `runs.image: docker://…` in
//! `action.yml`. Expressions (`${{ matrix.image }}`) are not references. Text kinds
//! (DESIGN.md §4): `run:` bodies read as shell, `env:` image variables at workflow, job and
//! step level, and `with:` inputs naming an image ([`inputs`]).

use super::shell::assign::{Assignment, Value};
use super::shell::embed::OffsetMap;
use super::shell::lex::Dialect;
use super::shell::{scan, Collector, ToolVariables};
use super::yaml::{Document, NodeId};
use super::{prefixed_reference, scalar_reference, Occurrence};

mod inputs;

const DOCKER_SCHEME: &str = "docker://";

pub fn document(doc: &Document, text: &str, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let mut text_kinds = TextKinds {
        doc,
        text,
        collector: Collector::default(),
    };
    text_kinds.env(root);
    let workflow_shell = default_shell(doc, root);
    if let Some(jobs) = doc.get(root, "jobs") {
        for &(_, job) in doc.entries(jobs) {
            job_references(doc, job, out);
            text_kinds.job(job, workflow_shell);
        }
    }
    if let Some(runs) = doc.get(root, "runs") {
        if let Some((key, image)) = entry(doc, runs, "image") {
            out.extend(prefixed_reference(doc, key, image, DOCKER_SCHEME));
        }
        steps(doc, runs, out);
        text_kinds.steps(runs, Shell::Bash);
    }
    out.extend(text_kinds.collector.finish());
}

fn job_references(doc: &Document, job: NodeId, out: &mut Vec<Occurrence>) {
    if let Some((key, container)) = entry(doc, job, "container") {
        match entry(doc, container, "image") {
            Some((image_key, image)) => out.extend(scalar_reference(doc, image_key, image)),
            None => out.extend(scalar_reference(doc, key, container)),
        }
    }
    if let Some(services) = doc.get(job, "services") {
        for &(_, service) in doc.entries(services) {
            if let Some((key, image)) = entry(doc, service, "image") {
                out.extend(scalar_reference(doc, key, image));
            }
        }
    }
    steps(doc, job, out);
}

fn steps(doc: &Document, parent: NodeId, out: &mut Vec<Occurrence>) {
    let Some(steps) = doc.get(parent, "steps") else {
        return;
    };
    for &step in doc.items(steps) {
        if let Some((key, uses)) = entry(doc, step, "uses") {
            out.extend(prefixed_reference(doc, key, uses, DOCKER_SCHEME));
        }
    }
}

/// The (key, value) of `key` in mapping `map`.
pub fn entry(doc: &Document, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
    doc.entries(map)
        .iter()
        .copied()
        .find(|&(k, _)| doc.str(k) == Some(key))
}

/// Which shell runs a `run:` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shell {
    Bash,
    /// PowerShell, Python, cmd or a custom program: not read.
    Other,
    /// Not set: bash, except on Windows runners (PowerShell).
    Default,
}

/// `defaults.run.shell` of a workflow or job.
fn default_shell(doc: &Document, parent: NodeId) -> Shell {
    doc.get(parent, "defaults")
        .and_then(|d| doc.get(d, "run"))
        .and_then(|r| doc.get(r, "shell"))
        .and_then(|s| doc.str(s))
        .map_or(Shell::Default, shell_named)
}

/// `bash`, `sh -e {0}`, `/bin/bash --noprofile {0}` are read; anything else is not.
fn shell_named(written: &str) -> Shell {
    let program = written.split_whitespace().next().unwrap_or("");
    match program.rsplit('/').next() {
        Some("bash" | "sh") => Shell::Bash,
        _ => Shell::Other,
    }
}

/// Collects the text kinds of one workflow document: their own-image rule and split pairs
/// need the whole file.
pub(super) struct TextKinds<'a> {
    pub doc: &'a Document,
    pub text: &'a str,
    pub collector: Collector,
}

impl TextKinds<'_> {
    fn job(&mut self, job: NodeId, workflow_shell: Shell) {
        self.env(job);
        let mut shell = default_shell(self.doc, job);
        if shell == Shell::Default {
            shell = workflow_shell;
        }
        if shell == Shell::Default && self.runs_on_windows(job) {
            shell = Shell::Other;
        }
        self.steps(job, shell);
        if let Some(with) = self.doc.get(job, "with") {
            self.with(with);
        }
    }

    fn runs_on_windows(&self, job: NodeId) -> bool {
        let Some(runs_on) = self.doc.get(job, "runs-on") else {
            return false;
        };
        let mut labels = vec![runs_on];
        labels.extend(self.doc.items(runs_on));
        labels
            .iter()
            .filter_map(|&l| self.doc.str(l))
            .any(|l| l.to_ascii_lowercase().contains("windows"))
    }

    fn steps(&mut self, parent: NodeId, shell: Shell) {
        let Some(steps) = self.doc.get(parent, "steps") else {
            return;
        };
        for &step in self.doc.items(steps) {
            self.env(step);
            let step_shell = match self.doc.get(step, "shell").and_then(|s| self.doc.str(s)) {
                Some(written) => shell_named(written),
                None => shell,
            };
            if let Some(run) = self.doc.get(step, "run") {
                if step_shell != Shell::Other {
                    self.run(run);
                }
            }
            if let Some(with) = self.doc.get(step, "with") {
                self.with(with);
            }
        }
    }

    /// A `run:` body, scanned as shell.
    fn run(&mut self, node: NodeId) {
        let block = self.collector.block();
        self.run_in(node, block);
    }

    /// Shell in scalar `node` (a `run:` body, a GitLab script line); its assignments pair
    /// within `block`.
    pub(super) fn run_in(&mut self, node: NodeId, block: usize) {
        let Some(scalar) = self.doc.scalar(node) else {
            return;
        };
        let map = OffsetMap::of_scalar(self.text, scalar);
        let found = scan(&scalar.value, Dialect::Shell, &ToolVariables::new());
        self.collector
            .add(found.mapped(&map, &scalar.value, self.text), block);
    }

    /// `env:` (GitHub) or `variables:` (GitLab) under `parent`, one block for split pairs.
    pub(super) fn env(&mut self, parent: NodeId) {
        self.variables(parent, "env");
    }

    pub(super) fn variables(&mut self, parent: NodeId, key: &str) {
        let Some(map) = self.doc.get(parent, key) else {
            return;
        };
        let block = self.collector.block();
        for &(key, value) in self.doc.entries(map) {
            let Some(name) = self.doc.str(key) else {
                continue;
            };
            // GitLab's `NAME: {value: …, description: …}`.
            let value = entry(self.doc, value, "value").map_or(value, |(_, v)| v);
            let Some(scalar) = self.doc.scalar(value) else {
                continue;
            };
            let statement = self.doc.node(key).start;
            let offsets = OffsetMap::of_scalar(self.text, scalar);
            self.collector.assignment(Assignment {
                name: name.to_owned(),
                statement,
                block,
                value: Value::of_scalar(&scalar.value, &offsets, statement, self.text),
            });
        }
    }
}
