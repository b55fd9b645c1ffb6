//! Extract stage, Terraform: `*.tf` and `*.tfvars` parsed with `hcl-edit` (byte spans of
//! strings, template literals and heredocs; a BOM is stripped first and offsets shifted back),
//! and `*.tf.json` read with the JSON/YAML span scanner.
//!
//! References: string values of attributes named `image` or ending in `_image` at any depth
//! (object items inside `jsonencode(...)` included), JSON documents in heredocs
//! (`container_definitions = <<EOF`), `name` in `docker_image` / `docker_registry_image`,
//! `helm_release` `set` / `set_sensitive` blocks and `set = [...]` lists whose `name` mentions
//! `image` (the Helm split rule for `image.registry` / `image.repository` / `image.tag`),
//! defaults of variables named like `*image*`, and `*.tfvars` assignments named like `*image*`.
//! Expressions (`var.image`, `docker_image.x.image_id`) are never references.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::template::{Element, StringTemplate};
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span as _;

use super::yaml::{self, Document, NodeId};
use super::{scalar_reference, Blocker, Extraction, Occurrence, ParseError, Part, Role};
use crate::reference::ImageRef;
use crate::source::{LineIndex, Span};

/// `*.tf` (`vars == false`) or `*.tfvars` (`vars == true`).
pub fn extract(text: &str, vars: bool) -> Extraction {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body_text = &text[bom..];
    let mut out = Extraction::default();
    let body = match hcl_edit::parser::parse_body(body_text) {
        Ok(body) => body,
        Err(e) => {
            out.errors.push(ParseError {
                offset: bom + offset_of(body_text, e.location().line(), e.location().column()),
                message: format!("HCL syntax error: {}", e.message()),
            });
            return out;
        }
    };
    let mut walker = Walker {
        text: body_text,
        shift: bom,
        vars,
        blocks: Vec::new(),
        helm_sets: None,
        out: Vec::new(),
    };
    walker.visit_body(&body);
    out.occurrences = walker.out;
    out
}

/// The byte offset of a 1-based line and column (columns in characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let index = LineIndex::new(text);
    let Some(span) = index.line_span(line) else {
        return text.len();
    };
    text[span.start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(span.end, |(i, _)| span.start + i)
}

/// A `helm_release` value setting with a string `value`.
struct HelmSet {
    name: String,
    value: String,
    /// The value's content (inside the quotes), in the parsed text.
    span: Span,
    verbatim: bool,
    statement: usize,
}

struct Walker<'a> {
    text: &'a str,
    /// Added to every offset: the length of a stripped BOM.
    shift: usize,
    vars: bool,
    /// (block type, first label) from the outermost block in.
    blocks: Vec<(String, String)>,
    /// `set` entries of the `helm_release` being walked, if one is.
    helm_sets: Option<Vec<HelmSet>>,
    out: Vec<Occurrence>,
}

impl Visit for Walker<'_> {
    fn visit_block(&mut self, block: &Block) {
        let kind = block.ident.as_str();
        let label = block
            .labels
            .first()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default();
        let release = kind == "resource" && label == "helm_release";
        if release {
            self.helm_sets = Some(Vec::new());
        }
        if matches!(kind, "set" | "set_sensitive") && self.in_helm_release() {
            let name = block.body.get_attribute("name").map(|a| &a.value);
            let value = block.body.get_attribute("value").map(|a| &a.value);
            let statement = block.ident.span().map_or(0, |s| s.start);
            self.helm_set(name, value, statement);
        }
        self.blocks.push((kind.to_owned(), label));
        visit::visit_block(self, block);
        self.blocks.pop();
        if release {
            let sets = self.helm_sets.take().unwrap_or_default();
            self.helm_values(sets);
        }
    }

    fn visit_attr(&mut self, attr: &Attribute) {
        let key = attr.key.as_str();
        let statement = attr.key.span().map_or(0, |s| s.start);
        if let Some(certainty) = self.key_kind(key) {
            let before = self.out.len();
            self.reference_values(&attr.value, statement);
            if certainty == Certainty::LooksLikeImage {
                // `image_tag = "1.2"` is not an image; `images = {web = "nginx:1"}` is.
                let kept: Vec<Occurrence> = self
                    .out
                    .drain(before..)
                    .filter(|o| super::kubernetes::looks_like_image(&o.image))
                    .collect();
                self.out.extend(kept);
            }
        }
        if key == "repository" && self.in_helm_release() {
            if let Expression::String(s) = &attr.value {
                if let Some(span) = s.span() {
                    let (content, verbatim) = self.quoted(s.as_str(), span);
                    let found = super::charts::occurrence(
                        s.as_str(),
                        self.shifted(content).start,
                        statement + self.shift,
                        super::charts::Scheme::Required,
                    );
                    self.out.extend(found.map(|mut o| {
                        if !verbatim {
                            o.blocker = Some(Blocker::NotVerbatim);
                        }
                        o
                    }));
                }
            }
        }
        if matches!(key, "set" | "set_sensitive") && self.in_helm_release() {
            if let Expression::Array(items) = &attr.value {
                for item in items.iter() {
                    if let Expression::Object(object) = item {
                        let field = |wanted: &str| {
                            object.iter().find_map(|(k, v)| {
                                let name = match k {
                                    ObjectKey::Ident(i) => i.as_str(),
                                    ObjectKey::Expression(Expression::String(s)) => s.as_str(),
                                    ObjectKey::Expression(_) => "",
                                };
                                (name == wanted).then(|| v.expr())
                            })
                        };
                        let statement = item.span().map_or(statement, |s| s.start);
                        self.helm_set(field("name"), field("value"), statement);
                    }
                }
            }
        }
        visit::visit_attr(self, attr);
    }

    fn visit_object_item(&mut self, key: &ObjectKey, value: &hcl_edit::expr::ObjectValue) {
        let name = match key {
            ObjectKey::Ident(ident) => Some(ident.as_str()),
            ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
            ObjectKey::Expression(_) => None,
        };
        if let Some(name) = name {
            if is_image_name(name) {
                let statement = key.span().map_or(0, |s| s.start);
                self.reference_values(value.expr(), statement);
            }
        }
        visit::visit_object_item(self, key, value);
    }

    fn visit_expr(&mut self, expr: &Expression) {
        if let Expression::HeredocTemplate(heredoc) = expr {
            self.heredoc_document(&heredoc.template);
        }
        visit::visit_expr(self, expr);
    }
}

impl Walker<'_> {
    fn in_variable(&self) -> bool {
        self.blocks
            .last()
            .is_some_and(|(kind, _)| kind == "variable")
    }

    fn in_helm_release(&self) -> bool {
        self.blocks
            .last()
            .is_some_and(|(kind, label)| kind == "resource" && label == "helm_release")
    }

    /// Records a `helm_release` setting whose `name` mentions `image` and whose `value` is a
    /// plain string.
    fn helm_set(
        &mut self,
        name: Option<&Expression>,
        value: Option<&Expression>,
        statement: usize,
    ) {
        let (Some(Expression::String(name)), Some(Expression::String(value))) = (name, value)
        else {
            return;
        };
        if !name.as_str().to_ascii_lowercase().contains("image") {
            return;
        }
        let Some(span) = value.span() else {
            return;
        };
        let (content, verbatim) = self.quoted(value.as_str(), span);
        if let Some(sets) = &mut self.helm_sets {
            sets.push(HelmSet {
                name: name.as_str().to_owned(),
                value: value.as_str().to_owned(),
                span: content,
                verbatim,
                statement,
            });
        }
    }

    /// A release's image settings: `…image` as a whole reference, and
    /// `…image.registry` / `.repository` / `.tag` / `.digest` composed by the Helm split rule.
    fn helm_values(&mut self, sets: Vec<HelmSet>) {
        let mut groups: Vec<(String, [Option<usize>; 4])> = Vec::new();
        const FIELDS: [&str; 4] = ["registry", "repository", "tag", "digest"];
        for (i, set) in sets.iter().enumerate() {
            let (prefix, last) = set.name.rsplit_once('.').unwrap_or(("", &set.name));
            if let Some(field) = FIELDS.iter().position(|f| *f == last) {
                match groups.iter_mut().find(|(p, _)| p == prefix) {
                    Some((_, fields)) => fields[field] = Some(i),
                    None => {
                        let mut fields = [None; 4];
                        fields[field] = Some(i);
                        groups.push((prefix.to_owned(), fields));
                    }
                }
            } else if last.ends_with("image") || last.ends_with("Image") {
                self.string_at(&set.value, set.span, set.verbatim, set.statement);
            }
        }
        for (_, [registry, repository, tag, digest]) in groups {
            let Some(repository) = repository.map(|i| &sets[i]) else {
                continue;
            };
            let registry = registry.map(|i| &sets[i]);
            let tag = tag.map(|i| &sets[i]);
            let Some((text, image)) = super::helm::compose_split(
                registry.map(|s| s.value.as_str()),
                &repository.value,
                tag.map(|s| s.value.as_str()),
                digest.map(|i| sets[i].value.as_str()),
            ) else {
                continue;
            };
            let mut parts = vec![(Part::Repository, self.shifted(repository.span))];
            if let Some(registry) = registry {
                parts.push((Part::Registry, self.shifted(registry.span)));
            }
            if let Some(tag) = tag {
                parts.push((Part::Tag, self.shifted(tag.span)));
            }
            let verbatim = [Some(repository), registry, tag]
                .iter()
                .flatten()
                .all(|s| s.verbatim);
            self.out.push(Occurrence {
                image,
                text,
                parts,
                statement: repository.statement + self.shift,
                blocker: (!verbatim).then_some(Blocker::NotVerbatim),
                shared: false,
                role: Role::Pull,
            });
        }
    }

    fn string_at(&mut self, value: &str, content: Span, verbatim: bool, statement: usize) {
        let Ok(image) = ImageRef::parse(value) else {
            return;
        };
        let mut occurrence =
            Occurrence::whole(image, value, self.shifted(content), statement + self.shift);
        if !verbatim {
            occurrence.blocker = Some(Blocker::NotVerbatim);
        }
        self.out.push(occurrence);
    }

    /// Whether attribute `key` holds a reference here, and how sure that is.
    fn key_kind(&self, key: &str) -> Option<Certainty> {
        if is_image_name(key) {
            return Some(Certainty::Named);
        }
        let innermost = self.blocks.last().map(|(t, l)| (t.as_str(), l.as_str()));
        let loosely_named = |name: &str| {
            let name = name.to_ascii_lowercase();
            name.contains("image").then(|| {
                if name.ends_with("image") {
                    Certainty::Named
                } else {
                    Certainty::LooksLikeImage
                }
            })
        };
        match innermost {
            Some(("resource" | "data", "docker_image" | "docker_registry_image")) => {
                (key == "name").then_some(Certainty::Named)
            }
            Some(("variable", name)) if key == "default" => loosely_named(name),
            None if self.vars => loosely_named(key),
            _ => None,
        }
    }

    /// The references written directly as `expr`: a string, a template, or either branch of a
    /// conditional. In `*.tfvars`, also the string leaves of objects and lists.
    fn reference_values(&mut self, expr: &Expression, statement: usize) {
        match expr {
            Expression::String(s) => {
                if let Some(span) = s.span() {
                    self.string(s.as_str(), span, statement);
                }
            }
            Expression::StringTemplate(template) => self.template(template, statement),
            Expression::Parenthesis(inner) => self.reference_values(inner.inner(), statement),
            Expression::Conditional(c) => {
                self.reference_values(&c.true_expr, statement);
                self.reference_values(&c.false_expr, statement);
            }
            // In `*.tfvars` and variable defaults, values may be lists or maps of images.
            Expression::Array(items) if self.vars || self.in_variable() => {
                for item in items.iter() {
                    self.reference_values(item, statement);
                }
            }
            Expression::Object(object) if self.vars || self.in_variable() => {
                for (_, value) in object.iter() {
                    self.reference_values(value.expr(), statement);
                }
            }
            _ => {}
        }
    }

    /// A quoted string whose span (quotes included) is `span`.
    fn string(&mut self, value: &str, span: std::ops::Range<usize>, statement: usize) {
        let (content, verbatim) = self.quoted(value, span);
        self.string_at(value, content, verbatim, statement);
    }

    /// The content of a quoted string spanning `span` (quotes included), and whether its bytes
    /// are exactly `value` (no escape sequences).
    fn quoted(&self, value: &str, span: std::ops::Range<usize>) -> (Span, bool) {
        let content = Span::new(
            span.start + 1,
            span.end.saturating_sub(1).max(span.start + 1),
        );
        let verbatim = self.text.get(content.start..content.end) == Some(value);
        (content, verbatim)
    }

    /// `"acme/app:${var.tag}"`: the literal name before an interpolated tag. A template with
    /// an interpolation in the registry or name is not a reference.
    fn template(&mut self, template: &StringTemplate, statement: usize) {
        let mut elements = template.iter();
        let Some(Element::Literal(first)) = elements.next() else {
            return;
        };
        let literal = first.as_str();
        let name_start = literal.rfind('/').map_or(0, |i| i + 1);
        let Some(sep) = literal[name_start..].find([':', '@']) else {
            return;
        };
        let rest_has_slash = elements.any(|e| match e {
            Element::Literal(l) => l.contains('/'),
            _ => false,
        });
        let Some(span) = first.span() else {
            return;
        };
        let name = &literal[..name_start + sep];
        let Ok(image) = ImageRef::parse(name) else {
            return;
        };
        if rest_has_slash {
            return;
        }
        let verbatim = self.text.get(span.start..span.start + name.len()) == Some(name);
        let written = self
            .text
            .get(template.span().unwrap_or(span.clone()))
            .unwrap_or(name);
        self.out.push(Occurrence {
            image,
            text: written.trim_matches('"').to_owned(),
            parts: vec![(
                Part::Name,
                self.shifted(Span::new(span.start, span.start + name.len())),
            )],
            statement: statement + self.shift,
            blocker: (!verbatim).then_some(Blocker::NotVerbatim),
            shared: false,
            role: Role::Pull,
        });
    }

    /// A heredoc holding a JSON (or YAML) document: its `image` keys, at their file offsets.
    fn heredoc_document(&mut self, template: &hcl_edit::template::Template) {
        let mut elements = template.iter();
        let (Some(Element::Literal(literal)), None) = (elements.next(), elements.next()) else {
            return;
        };
        let Some(span) = literal.span() else {
            return;
        };
        let Some(raw) = self.text.get(span.clone()) else {
            return;
        };
        if !raw.trim_start().starts_with(['{', '[']) && !raw.contains("image") {
            return;
        }
        let base = self.shift + span.start;
        let mut found = Vec::new();
        let _ = yaml::parse_stream(raw, |doc| {
            for (key, value) in doc.all_entries() {
                if doc.str(key).is_some_and(is_image_name) {
                    found.extend(scalar_reference(doc, key, value));
                }
            }
        });
        for mut occurrence in found {
            for (_, part) in &mut occurrence.parts {
                *part = Span::new(part.start + base, part.end + base);
            }
            occurrence.statement += base;
            self.out.push(occurrence);
        }
    }

    fn shifted(&self, span: Span) -> Span {
        Span::new(span.start + self.shift, span.end + self.shift)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Certainty {
    /// The name says it is an image (`image`, `app_image`, a `docker_image` name).
    Named,
    /// The name only mentions images (`image_tag`, `images`): keep values that have a `/`, a
    /// tag or a digest.
    LooksLikeImage,
}

/// `image`, or a name ending in `_image`.
fn is_image_name(name: &str) -> bool {
    name == "image" || name.ends_with("_image")
}

/// `*.tf.json`: the same references in Terraform's JSON syntax.
pub fn json(doc: &Document, out: &mut Vec<Occurrence>) {
    let Some(root) = doc.root() else {
        return;
    };
    let mut stack: Vec<(NodeId, Vec<String>)> = vec![(root, Vec::new())];
    while let Some((node, path)) = stack.pop() {
        for &(key, value) in doc.entries(node) {
            let Some(name) = doc.str(key) else {
                continue;
            };
            let mut child = path.clone();
            child.push(name.to_owned());
            if json_reference_path(&child) {
                out.extend(scalar_reference(doc, key, value));
            }
            stack.push((value, child.clone()));
            for &item in doc.items(value) {
                stack.push((item, child.clone()));
            }
        }
    }
}

/// `…image` / `…_image` anywhere, `resource.docker_image.*.name`, `variable.*image*.default`.
fn json_reference_path(path: &[String]) -> bool {
    let Some(last) = path.last() else {
        return false;
    };
    if is_image_name(last) {
        return true;
    }
    match path {
        [kind, resource, _, name] if kind == "resource" || kind == "data" => {
            name == "name" && (resource == "docker_image" || resource == "docker_registry_image")
        }
        [variable, name, default] => {
            variable == "variable"
                && default == "default"
                && name.to_ascii_lowercase().contains("image")
        }
        _ => false,
    }
}
