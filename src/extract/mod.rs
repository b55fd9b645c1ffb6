//! Extract stage: a file's text → the image references in it, with the byte spans an edit may
//! replace. One file per format family; extractors know nothing of config or rewriting.

pub mod dockerfile;
pub mod vars;

use crate::reference::ImageRef;
use crate::source::Span;
use crate::walk::FileKind;

/// Which piece of a reference a span holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// `name[:tag][@digest]`, everything written.
    Whole,
    /// Only the name; the tag or digest after it is a variable the edit keeps.
    Name,
}

/// Why a reference can be reported but not rewritten automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// The value uses escape sequences, so its bytes are not the reference's characters.
    Escapes,
    /// The reference is split over a line continuation.
    LineContinuation,
    /// Part of the name comes from variables that cannot be edited in one place.
    Variables,
    /// The file has a parse error, so its structure is not certain.
    ParseError,
}

impl Blocker {
    pub fn reason(self) -> &'static str {
        match self {
            Blocker::Escapes => "the value uses escape sequences",
            Blocker::LineContinuation => "the reference is split across a line continuation",
            Blocker::Variables => "the name is assembled from variables",
            Blocker::ParseError => "the file has a parse error",
        }
    }
}

/// One image reference found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The literal reference (for `golang:${GO}`, the name `golang` alone).
    pub image: ImageRef,
    /// The reference as the file writes it (`golang:${GO}`).
    pub text: String,
    /// The spans an edit replaces. Never empty.
    pub parts: Vec<(Part, Span)>,
    /// Start of the statement holding the reference, for suppression comments above it.
    pub statement: usize,
    pub blocker: Option<Blocker>,
    /// The edited value is used elsewhere too (a Dockerfile `ARG` also read by `RUN`), so an
    /// edit changes more than this reference.
    pub shared: bool,
}

impl Occurrence {
    /// The span a report points at.
    pub fn location(&self) -> Span {
        self.parts[0].1
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Extraction {
    pub occurrences: Vec<Occurrence>,
    pub errors: Vec<ParseError>,
}

/// Extracts every reference from `text`, a file of kind `kind`. Never panics.
pub fn extract(kind: FileKind, text: &str) -> Extraction {
    let mut extraction = match kind {
        FileKind::Dockerfile => dockerfile::extract(text),
    };
    if !extraction.errors.is_empty() {
        for occurrence in &mut extraction.occurrences {
            occurrence.blocker.get_or_insert(Blocker::ParseError);
        }
    }
    extraction.occurrences.sort_by_key(|o| o.location());
    extraction.occurrences.dedup_by(|a, b| a.parts == b.parts);
    extraction
}
