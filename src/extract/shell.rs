//! Extract stage, shell scripts and the shell inside other files (Makefile recipes, Markdown
//! code, CI `run:`/`script:` bodies, Jenkinsfile `sh` steps). Docker Hub is reported only
//! where an image is certain: the image operands of container tools, `FROM` and `image:`
//! lines fed to them, and assignments of image variables (DESIGN.md §4, Text).
//!
//! Text is read by one tokenizer ([`lex`]); [`commands`] recognises the tools; [`assign`]
//! holds the variable rules, which need the whole file (a variable used by `docker build -t`
//! names the project's own image), so each file's findings go through a [`Collector`].

pub mod assign;
mod bodies;
mod commands;
pub mod embed;
mod jenkins;
pub mod lex;
pub mod options;
pub mod refs;
mod tools;

use std::collections::{HashMap, HashSet};

use self::assign::Assignment;
use self::embed::OffsetMap;
use self::lex::Dialect;
use super::{Extraction, Occurrence, Role};

/// What one piece of shell text holds, in its own coordinates.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    pub occurrences: Vec<Occurrence>,
    pub assignments: Vec<Assignment>,
    /// Variables read by own-image operands (`docker build -t $IMG`, `docker push $IMG`).
    pub own_variables: Vec<String>,
    /// Images the file builds, tags or pushes itself (`docker build -t my-app .`), fully
    /// qualified.
    pub own_images: Vec<String>,
}

impl Scan {
    /// Moves everything from `snippet` into `file` coordinates.
    pub fn mapped(mut self, map: &OffsetMap, snippet: &str, file: &str) -> Scan {
        self.occurrences = self
            .occurrences
            .into_iter()
            .map(|o| map.occurrence(o, snippet, file))
            .collect();
        for assignment in &mut self.assignments {
            assignment.value.map(map, snippet, file);
            assignment.statement = map.point(assignment.statement).min(file.len());
        }
        self
    }
}

/// Variables naming the container tool (`CONTAINER_TOOL ?= docker`, `DOCKER=${DOCKER:-podman}`),
/// so `$(CONTAINER_TOOL) build -t …` is read as a `docker build`.
pub type ToolVariables = HashMap<String, String>;

/// Scans shell text written in `dialect`.
pub fn scan(text: &str, dialect: Dialect, tools: &ToolVariables) -> Scan {
    commands::scan(text, dialect, tools, 0)
}

/// One file's findings from every snippet in it, resolved together at the end.
#[derive(Default)]
pub struct Collector {
    occurrences: Vec<Occurrence>,
    assignments: Vec<Assignment>,
    own: HashSet<String>,
    own_images: HashSet<String>,
    blocks: usize,
}

impl Collector {
    /// A new scope for split pairs (one YAML mapping, one script).
    pub fn block(&mut self) -> usize {
        self.blocks += 1;
        self.blocks
    }

    /// Adds a scan already in file coordinates; its assignments pair within `block`.
    pub fn add(&mut self, scan: Scan, block: usize) {
        self.occurrences.extend(scan.occurrences);
        for mut assignment in scan.assignments {
            assignment.block = block;
            self.assignments.push(assignment);
        }
        self.own.extend(scan.own_variables);
        self.own_images.extend(scan.own_images);
    }

    pub fn assignment(&mut self, assignment: Assignment) {
        self.assignments.push(assignment);
    }

    pub fn occurrence(&mut self, occurrence: Occurrence) {
        self.occurrences.push(occurrence);
    }

    pub fn own_variables(&mut self, names: impl IntoIterator<Item = String>) {
        self.own.extend(names);
    }

    pub fn finish(mut self) -> Vec<Occurrence> {
        let resolved = assign::resolve(&self.assignments, &self.own);
        self.occurrences.extend(resolved);
        reconcile(&mut self.occurrences, &self.own_images);
        self.occurrences
    }
}

/// Makes the uses of one image in a file agree. An image the file builds itself (`docker
/// build -t my-app .`, then `docker run my-app`) is never a Docker Hub pull; an image the file
/// pulls and then hands on (`docker pull busybox`, then `kind load docker-image busybox` or
/// `docker tag busybox …`) is rewritten everywhere, so the later steps still find it.
fn reconcile(occurrences: &mut [Occurrence], own_images: &HashSet<String>) {
    // An own image written with a tag names that tag only; without one, every tag.
    let is_own = |image: &crate::reference::ImageRef| {
        own_images.contains(&image.canonical()) || own_images.contains(&image.canonical_name())
    };
    for occurrence in occurrences.iter_mut() {
        if occurrence.role == Role::Pull && is_own(&occurrence.image) {
            occurrence.role = Role::Named;
        }
    }
    let pulled: HashSet<String> = occurrences
        .iter()
        .filter(|o| o.role == Role::Pull)
        .map(|o| o.image.canonical())
        .collect();
    for occurrence in occurrences.iter_mut() {
        let image = &occurrence.image;
        if occurrence.role == Role::Named && pulled.contains(&image.canonical()) && !is_own(image) {
            occurrence.role = Role::Pull;
        }
    }
}

/// A shell script, or a Jenkinsfile (Groovy), which shares the kind.
pub fn extract(text: &str) -> Extraction {
    let occurrences = if jenkins::is_groovy(text) {
        jenkins::extract(text)
    } else {
        let mut collector = Collector::default();
        let tools = ToolVariables::new();
        collector.add(scan(text, Dialect::Shell, &tools), 0);
        collector.finish()
    };
    Extraction {
        occurrences,
        errors: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
