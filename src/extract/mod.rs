//! Extract stage: a file's text → the image references in it, with the byte spans an edit may
//! replace. One file per format family; extractors know nothing of config or rewriting.

pub mod charts;
pub mod compose;
pub mod dockerfile;
pub mod embedded;
pub mod env;
pub mod github;
pub mod gitlab;
pub mod helm;
pub mod json;
pub mod kubernetes;
pub mod kustomize;
pub mod makefile;
pub mod mapped;
pub mod markdown;
pub(crate) mod needles;
mod prefilter;
pub mod shell;
pub mod terraform;
pub mod vars;
pub mod yaml;

use crate::reference::ImageRef;
use crate::source::Span;
use crate::walk::FileKind;

/// Which piece of a reference a span holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// `name[:tag][@digest]`, everything written.
    Whole,
    /// Only the name; the tag or digest is written elsewhere and kept.
    Name,
    /// A Helm split map's `registry` value.
    Registry,
    /// A Helm split map's `registry:` key with no value: an edit inserts after the colon.
    NullRegistry,
    /// A Helm split map's `repository` value.
    Repository,
    /// A tag written on its own (Helm `tag`, Kustomize `newTag`), edited only when a
    /// destination sets a different tag.
    Tag,
}

/// Why a reference can be reported but not rewritten automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// The value's bytes are not its characters: escapes, line folding or a block scalar.
    NotVerbatim,
    /// The reference is split over a line continuation.
    LineContinuation,
    /// Part of the name comes from variables that cannot be edited in one place.
    Variables,
    /// The file has a parse error, so its structure is not certain.
    ParseError,
    /// The file is generated from another that regmig edits (`Chart.lock`).
    Generated,
}

impl Blocker {
    pub fn reason(self) -> &'static str {
        match self {
            Blocker::NotVerbatim => {
                "the value is written with escapes, line folding or as a block scalar"
            }
            Blocker::LineContinuation => "the reference is split across a line continuation",
            Blocker::Variables => "the name is assembled from variables",
            Blocker::ParseError => "the file has a parse error",
            Blocker::Generated => {
                "the file is generated: run `helm dependency update` once Chart.yaml is fixed"
            }
        }
    }
}

/// What the file does with a reference, which decides which rules may report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// The image is pulled (`FROM`, `image:`, `docker run`): every rule that matches reports it.
    #[default]
    Pull,
    /// The image is named but not certainly pulled: the project's own image (`docker build
    /// -t`, `docker push`) or a mention in prose or code. Reported only when a `[[map]]`
    /// names it, so an own-image rename changes the push and the later pull together.
    Named,
    /// A name that only selects an image to override (Kustomize `images[].name` next to a
    /// `newName`): rewritten with the image it selects, so it keeps matching, but never pulled
    /// itself.
    Matcher,
    /// An OCI Helm chart repository (`oci://registry-1.docker.io/bitnamicharts/redis`,
    /// written here without the scheme): rule `docker-hub-chart`, fixed by an `oci://` map.
    Chart,
}

/// One image reference found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The reference (for `golang:${GO}`, the literal name `golang` alone; for a Helm split
    /// map, the composed reference).
    pub image: ImageRef,
    /// The reference as the file writes it (`golang:${GO}`).
    pub text: String,
    /// The spans an edit replaces; the first is where reports point. Never empty.
    pub parts: Vec<(Part, Span)>,
    /// Start of the statement (instruction, YAML key) holding the reference, for suppression
    /// comments above it.
    pub statement: usize,
    pub blocker: Option<Blocker>,
    /// The edited value is used elsewhere too (a Dockerfile `ARG` also read by `RUN`), so an
    /// edit changes more than this reference.
    pub shared: bool,
    pub role: Role,
}

impl Occurrence {
    /// A reference written whole in `span`.
    pub fn whole(image: ImageRef, text: &str, span: Span, statement: usize) -> Occurrence {
        Occurrence {
            image,
            text: text.to_owned(),
            parts: vec![(Part::Whole, span)],
            statement,
            blocker: None,
            shared: false,
            role: Role::Pull,
        }
    }

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

/// A cheap byte search that rules out files which cannot hold a reference, so most files
/// need no parse: every reference a YAML-family or Terraform extractor reports sits under a
/// key containing `image` or `Image`, except GitHub's `container:` / `docker://` and
/// GitLab's `services:` strings; Terraform names are compared ignoring case. Kubernetes YAML,
/// chart values and JSON need such a key with a possibly scalar value ([`prefilter`]). Text
/// kinds (and the shell in CI files) need a tool's name or an image word
/// ([`text_may_hold_references`]).
/// Dockerfiles are always parsed. `tests/properties.rs` checks that a skipped file never
/// holds a reference.
pub fn may_hold_references(kind: FileKind, bytes: &[u8]) -> bool {
    use needles::*;
    let has = |needle: &Needle| needle.is_in(bytes);
    let image = || has(&IMAGE) || has(&IMAGE_CAPITAL);
    // A chart template is read for `image:` lines and `helm … oci://` commands only.
    if kind == FileKind::HelmTemplate {
        return has(&IMAGE) || has(&OCI_SCHEME);
    }
    // Chart repositories (`charts.rs`): `oci://`, helmfile's `oci: true` and Argo CD's scheme-less
    // `repoURL`, searched only when the kind's own words are absent (each is a pass over the file).
    let charts = || has(&OCI) || has(&REPO_URL);
    match kind {
        FileKind::Dockerfile => true,
        FileKind::GithubActions => {
            image()
                || has(&CONTAINER)
                || has(&DOCKER_SCHEME)
                || text_may_hold_references(bytes)
                || charts()
        }
        FileKind::GitlabCi => {
            image() || has(&SERVICES) || text_may_hold_references(bytes) || charts()
        }
        // Terraform names (`BaseImage`, `IMAGE_TAG`) are matched case-insensitively.
        FileKind::Terraform | FileKind::TerraformVars | FileKind::TerraformJson => {
            contains_ignoring_case(bytes, b"image") || charts()
        }
        FileKind::Shell | FileKind::Makefile => text_may_hold_references(bytes) || charts(),
        // CRDs and JSON schemas say `image` everywhere, but as keys of mappings; Argo CD's CRD
        // says `repoURL` the same way.
        FileKind::Kubernetes | FileKind::HelmValues | FileKind::Json => {
            prefilter::key_may_hold_reference(bytes)
        }
        FileKind::Env => variable_words(bytes) || charts(),
        FileKind::Markdown => {
            (has(&BACKTICK_FENCE) || has(&TILDE_FENCE))
                && (text_may_hold_references(bytes) || contains_ignoring_case(bytes, b"from"))
                || charts()
        }
        _ => image() || charts(),
    }
}

/// What shell text must contain to hold a reference: the name of a tool whose operands are
/// images (`kubectl` and `oc` need `image` in any case), an image variable's name
/// (`IMAGE`, `IMG`, `*REPOSITORY`), or the name of a Dockerfile written from a heredoc.
fn text_may_hold_references(bytes: &[u8]) -> bool {
    needles::TOOLS.iter().any(|tool| tool.is_in(bytes))
        || variable_words(bytes)
        || contains_ignoring_case(bytes, b"dockerfile")
        || contains_ignoring_case(bytes, b"containerfile")
}

/// Words every image variable's name (and every `image:` key) contains, in any case.
fn variable_words(bytes: &[u8]) -> bool {
    contains_ignoring_case(bytes, b"image")
        || contains_ignoring_case(bytes, b"img")
        || contains_ignoring_case(bytes, b"repository")
}

/// Whether `bytes` contains `needle` (lowercase ASCII) in any letter case.
fn contains_ignoring_case(bytes: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), bytes).any(|at| {
        bytes
            .get(at + 1..at + needle.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(rest))
    })
}

/// The lines of `text` (with their offsets) that contain `word`, each once, in order: most
/// lines of most files do not, and need not be looked at.
pub(crate) fn lines_with<'a>(
    text: &'a str,
    word: &'static needles::Needle,
) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    let bytes = text.as_bytes();
    let mut next_line = 0;
    word.find_iter(bytes).filter_map(move |at| {
        if at < next_line {
            return None;
        }
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n + 1);
        next_line = end;
        Some((start, &text[start..end]))
    })
}

/// Extracts every reference from `text`, a file of kind `kind`. Never panics.
pub fn extract(kind: FileKind, text: &str) -> Extraction {
    let mut extraction = match kind {
        FileKind::Dockerfile => dockerfile::extract(text),
        FileKind::HelmTemplate => helm::template(text),
        FileKind::Terraform => terraform::extract(text, false),
        FileKind::TerraformVars => terraform::extract(text, true),
        FileKind::Shell => shell::extract(text),
        FileKind::Makefile => makefile::extract(text),
        FileKind::Env => env::extract(text),
        FileKind::Markdown => markdown::extract(text),
        FileKind::Json => json::extract(text),
        FileKind::Text => Extraction::default(),
        _ => yaml_family(kind, text),
    };
    if matches!(
        kind,
        FileKind::Shell
            | FileKind::Makefile
            | FileKind::Markdown
            | FileKind::HelmTemplate
            | FileKind::GithubActions
            | FileKind::GitlabCi
    ) {
        charts::text(text, &mut extraction.occurrences);
    }
    if !extraction.errors.is_empty() {
        for occurrence in &mut extraction.occurrences {
            occurrence.blocker.get_or_insert(Blocker::ParseError);
        }
    }
    extraction.occurrences.sort_by_key(|o| o.location());
    extraction.occurrences.dedup_by(|a, b| a.parts == b.parts);
    extraction
}

/// [`extract`], plus the references the config's maps name anywhere in the text ([`mapped`]),
/// except where they overlap a reference the kind's own extractor found. The kind's extractor
/// runs only when its prefilter lets the file through.
pub fn extract_all(
    kind: FileKind,
    text: &str,
    mapped: Option<&mapped::MappedSearch>,
) -> Extraction {
    let mut extraction = if may_hold_references(kind, text.as_bytes()) {
        extract(kind, text)
    } else {
        Extraction::default()
    };
    let Some(search) = mapped else {
        return extraction;
    };
    let taken: Vec<Span> = extraction
        .occurrences
        .iter()
        .flat_map(|o| o.parts.iter().map(|&(_, span)| span))
        .collect();
    let before = extraction.occurrences.len();
    extraction.occurrences.extend(
        search
            .find(text)
            .into_iter()
            .filter(|o| !taken.iter().any(|t| t.overlaps(&o.location()))),
    );
    if extraction.occurrences.len() > before {
        extraction.occurrences.sort_by_key(|o| o.location());
    }
    extraction
}

fn yaml_family(kind: FileKind, text: &str) -> Extraction {
    let mut out = Extraction::default();
    let occurrences = &mut out.occurrences;
    let result = yaml::parse_stream(text, |doc| match kind {
        FileKind::HelmValues => helm::values(doc, text, occurrences),
        FileKind::HelmChart => {
            helm::chart(doc, text, occurrences);
            charts::chart_yaml(doc, occurrences);
        }
        FileKind::Kustomize => kustomize::document(doc, occurrences),
        FileKind::Compose => compose::document(doc, occurrences),
        FileKind::GithubActions => github::document(doc, text, occurrences),
        FileKind::GitlabCi => gitlab::document(doc, text, occurrences),
        FileKind::TerraformJson => terraform::json(doc, occurrences),
        _ => {
            kubernetes::document(doc, occurrences);
            charts::manifests(doc, occurrences);
            embedded::manifests(doc, text, occurrences);
        }
    });
    if let Err(error) = result {
        // YAML written through a template engine (`{{ }}`, `{% %}`, `${…}`) that does not
        // parse is read line by line, like a chart template: never a parse error.
        let templated = text.contains("{{") || text.contains("{%") || text.contains("${");
        if templated && matches!(kind, FileKind::Kubernetes | FileKind::HelmValues) {
            return helm::template(text);
        }
        out.errors.push(error);
    }
    out
}

/// The reference held by scalar node `value`, reported at the statement starting at `key`.
pub fn scalar_reference(
    doc: &yaml::Document,
    key: yaml::NodeId,
    value: yaml::NodeId,
) -> Option<Occurrence> {
    let scalar = doc.scalar(value)?;
    // A block scalar ends with a line break; the name is the rest.
    let written = if scalar.block {
        scalar.value.trim()
    } else {
        scalar.value.as_str()
    };
    let image = ImageRef::parse(written).ok()?;
    let mut occurrence = Occurrence::whole(image, written, scalar.span, doc.node(key).start);
    if !scalar.verbatim {
        occurrence.blocker = Some(Blocker::NotVerbatim);
    }
    Some(occurrence)
}

/// Like [`scalar_reference`] for values that carry a scheme prefix (`docker://alpine`): the
/// span starts after it.
pub fn prefixed_reference(
    doc: &yaml::Document,
    key: yaml::NodeId,
    value: yaml::NodeId,
    prefix: &str,
) -> Option<Occurrence> {
    let scalar = doc.scalar(value)?;
    let rest = scalar.value.strip_prefix(prefix)?;
    let image = ImageRef::parse(rest).ok()?;
    let span = Span::new(scalar.span.start + prefix.len(), scalar.span.end);
    let mut occurrence = Occurrence::whole(image, rest, span, doc.node(key).start);
    if !scalar.verbatim {
        occurrence.blocker = Some(Blocker::NotVerbatim);
    }
    Some(occurrence)
}
