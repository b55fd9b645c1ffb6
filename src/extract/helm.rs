//! Extract stage, Helm: values files (`image: "ref"` strings under keys ending in
//! `image`/`Image`, and split maps `{registry, repository, tag, digest}`), chart templates (a
//! line scan for literal `image:` values; a templated tag keeps a literal name rewritable), and
//! the image lists of `Chart.yaml` annotations (`artifacthub.io/images`, Bitnami's `images`: a
//! YAML list inside a block scalar), which must change together with the values.

use super::yaml::{self, Document, NodeId, Scalar};
use super::{scalar_reference, Blocker, Extraction, Occurrence, Part, Role};
use crate::reference::ImageRef;
use crate::source::Span;

/// Words that YAML reads as booleans or null, never image names.
const NOT_NAMES: &[&str] = &["true", "false", "yes", "no", "on", "off", "null", "~"];

pub fn values(doc: &Document, text: &str, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    // A helm-unittest suite sets values to assert on what the templates render; nothing in
    // it is pulled.
    if doc.get(root, "suite").is_some() && doc.get(root, "tests").is_some() {
        return;
    }
    // Kubernetes objects kept in a chart (`crds/`, `files/`) are read as what they are.
    if doc.get(root, "apiVersion").is_some() && doc.get(root, "kind").is_some() {
        super::kubernetes::document(doc, out);
        return;
    }
    let global_registry = global_image_registry(doc, root);
    for (key, value) in doc.all_entries() {
        let Some(name) = doc.str(key) else {
            continue;
        };
        let image_key = name.ends_with("image") || name.ends_with("Image");
        if doc.is_map(value) {
            out.extend(split_map(doc, text, key, value, image_key, global_registry));
        } else if image_key {
            if let Some(occurrence) = scalar_reference(doc, key, value) {
                // `useImage: true` and `maxImage: 3` are settings, not images.
                let text = occurrence.text.to_ascii_lowercase();
                let setting = NOT_NAMES.contains(&text.as_str())
                    || text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if !setting {
                    out.push(occurrence);
                }
            }
        }
    }
}

/// `global.imageRegistry`, which Helm charts (Bitnami's and many others) use for every image
/// whose own `registry` is empty; umbrella charts hand it to their subcharts.
fn global_image_registry(doc: &Document, root: NodeId) -> Option<&str> {
    let global = doc.get(root, "global")?;
    doc.get(global, "imageRegistry")
        .and_then(|r| doc.str(r))
        .filter(|r| !r.trim().is_empty())
}

/// `{registry, repository, tag, digest}`: an empty or missing registry means the values file's
/// `global.imageRegistry`, else Docker Hub. Under a key that does not name an image (`git:`),
/// the map must hold `registry` and a `tag` or `digest` to count.
fn split_map(
    doc: &Document,
    text: &str,
    key: NodeId,
    map: NodeId,
    image_key: bool,
    global_registry: Option<&str>,
) -> Option<Occurrence> {
    let field = |name: &str| {
        doc.entries(map)
            .iter()
            .find(|(k, _)| doc.str(*k) == Some(name))
            .map(|&(k, v)| (k, v))
    };
    let (_, repository_id) = field("repository")?;
    if !image_key
        && (field("registry").is_none() || (field("tag").is_none() && field("digest").is_none()))
    {
        return None;
    }
    let repository = doc.scalar(repository_id).filter(|s| !s.value.is_empty())?;
    let registry = field("registry");
    let registry_scalar = match registry {
        Some((_, id)) => Some(doc.scalar(id)?),
        None => None,
    };
    let tag = field("tag").and_then(|(_, id)| doc.scalar(id));
    let digest = field("digest").and_then(|(_, id)| doc.scalar(id));

    let own_registry = registry_scalar
        .map(|s| s.value.as_str())
        .filter(|r| !r.is_empty());
    let from_global = own_registry.is_none() && global_registry.is_some();
    let (composed, image) = compose_split(
        own_registry.or(global_registry),
        &repository.value,
        tag.map(|s| s.value.as_str()),
        digest.map(|s| s.value.as_str()),
    )?;

    let mut parts = vec![(Part::Repository, repository.span)];
    let mut used: Vec<&Scalar> = vec![repository];
    if let (Some((registry_key, _)), Some(scalar)) = (registry, registry_scalar) {
        if scalar.null {
            parts.push((
                Part::NullRegistry,
                after_colon(text, doc.node(registry_key).start)?,
            ));
        } else {
            parts.push((Part::Registry, scalar.span));
            used.push(scalar);
        }
    }
    if let Some(tag) = tag.filter(|t| !t.null) {
        parts.push((Part::Tag, tag.span));
        used.push(tag);
    }
    let blocker = if from_global {
        // The host comes from `global.imageRegistry`, shared by every image of the file.
        Some(Blocker::Variables)
    } else {
        used.iter()
            .any(|s| !s.verbatim)
            .then_some(Blocker::NotVerbatim)
    };
    Some(Occurrence {
        text: composed,
        image,
        parts,
        statement: doc.node(key).start,
        blocker,
        shared: false,
        role: Role::Pull,
    })
}

/// The reference a split `{registry, repository, tag, digest}` names; an empty or missing
/// registry means Docker Hub (or whatever host `repository` starts with).
pub fn compose_split(
    registry: Option<&str>,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
) -> Option<(String, ImageRef)> {
    let mut composed = match registry.filter(|r| !r.is_empty()) {
        Some(registry) => format!("{registry}/{repository}"),
        None => repository.to_owned(),
    };
    if let Some(tag) = tag.filter(|t| !t.is_empty()) {
        composed = format!("{composed}:{tag}");
    }
    if let Some(digest) = digest.filter(|d| !d.is_empty()) {
        composed = format!("{composed}@{digest}");
    }
    let image = ImageRef::parse(&composed).ok()?;
    Some((composed, image))
}

/// The empty span just after the `:` that follows a key starting at `key_start`.
fn after_colon(text: &str, key_start: usize) -> Option<Span> {
    let colon = key_start + text.get(key_start..)?.find(':')?;
    Some(Span::new(colon + 1, colon + 1))
}

/// A chart template is Go-template text, not YAML: find literal `image:` values line by line.
/// `acme/app:{{ .Values.tag }}` has a literal name: it is rewritten, the template kept.
pub fn template(text: &str) -> Extraction {
    let mut out = Extraction::default();
    for (start, line) in super::lines_with(text, &super::needles::IMAGE) {
        let content = line.trim_end_matches(['\n', '\r']);
        let Some((value, value_start)) = image_value(content) else {
            continue;
        };
        let statement = start + (content.len() - content.trim_start().len());
        let (written, part) = match literal_name(value) {
            Some(name) => (name, Part::Name),
            None if value.contains("{{")
                || value.contains("{%")
                || value.contains("${")
                || at_placeholder(value).is_some() =>
            {
                continue
            }
            None => (value, Part::Whole),
        };
        let Ok(image) = ImageRef::parse(written) else {
            continue;
        };
        let span = Span::new(start + value_start, start + value_start + written.len());
        let mut occurrence = Occurrence::whole(image, value, span, statement);
        occurrence.parts = vec![(part, span)];
        out.occurrences.push(occurrence);
    }
    out
}

/// The literal name before a templated tag or digest: `docker.io/acme/app` in
/// `docker.io/acme/app:{{ .Values.tag }}` (or `{% … %}`, `${…}`).
fn literal_name(value: &str) -> Option<&str> {
    let placeholder = ["{{", "{%", "${"]
        .iter()
        .filter_map(|p| value.find(p))
        .chain(at_placeholder(value))
        .min()?;
    let name = value[..placeholder].strip_suffix([':', '@'])?;
    let last_component = name.rsplit('/').next()?;
    // `registry:{{ .port }}/app`: the placeholder is in the name, not the tag.
    let tag_only = !value[placeholder..].contains('/') && !last_component.contains(':');
    (tag_only && !name.is_empty()).then_some(name)
}

/// Where an `@NAME@` substitution (autoconf, Maven filtering) starts after a `:`.
fn at_placeholder(value: &str) -> Option<usize> {
    let start = value.find(":@")? + 1;
    let rest = &value[start + 1..];
    let end = rest.find('@')?;
    let name = &rest[..end];
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(start)
}

/// The value of an `image:` line (`- image: "nginx" # comment`) and its offset.
fn image_value(line: &str) -> Option<(&str, usize)> {
    let mut rest = line.trim_start();
    while let Some(item) = rest.strip_prefix("- ") {
        rest = item.trim_start();
    }
    let after_key = rest
        .strip_prefix("image:")
        .or_else(|| rest.strip_prefix("\"image\":"))?;
    let value = after_key.trim_start();
    let value = match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    }
    .trim_end();
    let value = match value.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) if value.len() >= 2 && value.as_bytes()[value.len() - 1] == q => {
            &value[1..value.len() - 1]
        }
        _ => value,
    };
    if value.is_empty() {
        return None;
    }
    // `value` is a slice of `line`, so its offset is the distance between the two.
    Some((value, value.as_ptr() as usize - line.as_ptr() as usize))
}

/// Annotations that list a chart's images: Artifact Hub's, and Bitnami's, which its charts
/// compare with the rendered images before they install.
const IMAGES_ANNOTATIONS: [&str; 2] = ["artifacthub.io/images", "images"];

/// `annotations: {artifacthub.io/images: |- …, images: |- …}`: each list's `image` values,
/// located in the file through the block's indentation.
pub fn chart(doc: &Document, text: &str, out: &mut Vec<Occurrence>) {
    let Some(annotations) = doc.root().and_then(|r| doc.get(r, "annotations")) else {
        return;
    };
    for name in IMAGES_ANNOTATIONS {
        if let Some(block_id) = doc.get(annotations, name) {
            image_list(doc, text, block_id, out);
        }
    }
}

/// The `image` values of a YAML list held in block scalar `block_id`.
fn image_list(doc: &Document, text: &str, block_id: NodeId, out: &mut Vec<Occurrence>) {
    let Some(block) = doc.scalar(block_id) else {
        return;
    };
    let lines = BlockLines::new(text, block);
    let _ = yaml::parse_stream(&block.value, |inner| {
        for (key, value) in inner.all_entries() {
            if inner.str(key) != Some("image") {
                continue;
            }
            let Some(mut occurrence) = scalar_reference(inner, key, value) else {
                continue;
            };
            match lines.as_ref().and_then(|l| l.map(occurrence.location())) {
                Some(span) => {
                    occurrence.parts = vec![(Part::Whole, span)];
                    occurrence.statement = lines
                        .as_ref()
                        .and_then(|l| l.map(Span::new(occurrence.statement, occurrence.statement)))
                        .map_or(span.start, |s| s.start);
                }
                None => {
                    // Report at the annotation, without a fix.
                    occurrence.parts = vec![(Part::Whole, block.span)];
                    occurrence.statement = doc.node(block_id).start;
                    occurrence.blocker = Some(Blocker::NotVerbatim);
                }
            }
            out.push(occurrence);
        }
    });
}

/// Maps offsets in a literal block scalar's value back to the file: value line `i` is file
/// line `i` of the block with the block's indentation in front.
pub(super) struct BlockLines {
    /// For each value line: (offset in the value, offset in the file, length).
    lines: Vec<(usize, usize, usize)>,
}

impl BlockLines {
    pub(super) fn new(text: &str, block: &Scalar) -> Option<BlockLines> {
        let first_line_start = text[..block.span.start].rfind('\n').map_or(0, |i| i + 1);
        let indent = block.span.start - first_line_start;
        let mut lines = Vec::new();
        let mut value_offset = 0;
        let mut file_offset = first_line_start;
        for value_line in block.value.split_inclusive('\n') {
            let content = value_line.trim_end_matches('\n');
            let file_line = text.get(file_offset..)?.split_inclusive('\n').next()?;
            let file_content = file_line.trim_end_matches(['\n', '\r']);
            let mapped = if content.is_empty() {
                file_content.trim().is_empty()
            } else {
                file_content.get(indent..) == Some(content)
            };
            if !mapped {
                return None;
            }
            lines.push((value_offset, file_offset + indent, content.len()));
            value_offset += value_line.len();
            file_offset += file_line.len();
        }
        Some(BlockLines { lines })
    }

    /// The file span of a span of the value that lies within one line.
    pub(super) fn map(&self, span: Span) -> Option<Span> {
        let &(value_start, file_start, len) = self
            .lines
            .iter()
            .rev()
            .find(|(value_start, _, _)| *value_start <= span.start)?;
        let within = span.start - value_start;
        (span.end - value_start <= len.max(within))
            .then(|| Span::new(file_start + within, file_start + within + span.len()))
    }
}
