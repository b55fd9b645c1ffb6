//! Extract stage, GitHub Actions `with:` inputs: `image`, `*-image` and `*_image` values,
//! buildx `driver-opts` lines `image=…` (pulled), and the `tags` / `images` of build and
//! metadata actions, which name the project's own images.

use super::TextKinds;
use crate::extract::shell::assign::Value;
use crate::extract::shell::embed::OffsetMap;
use crate::extract::shell::lex::{single_word, Dialect};
use crate::extract::shell::refs;
use crate::extract::yaml::NodeId;
use crate::extract::{Occurrence, Role};
use crate::source::Span;

impl TextKinds<'_> {
    pub(super) fn with(&mut self, with: NodeId) {
        for &(key, value) in self.doc.entries(with) {
            let (Some(name), Some(scalar)) = (self.doc.str(key), self.doc.scalar(value)) else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            let statement = self.doc.node(key).start;
            let map = OffsetMap::of_scalar(self.text, scalar);
            let value = scalar.value.as_str();
            if name == "image" || name.ends_with("-image") || name.ends_with("_image") {
                let found = Value::of_scalar(value, &map, statement, self.text);
                if let Some((occurrence, true)) = found.reference {
                    self.collector.occurrence(occurrence);
                }
            } else if name == "driver-opts" {
                for item in items(value) {
                    let Some(image) = value[item.clone()].strip_prefix("image=") else {
                        continue;
                    };
                    let at = item.end - image.len();
                    self.item(value, at..item.end, Role::Pull, statement, &map);
                }
            } else if name == "tags" || name == "images" {
                for item in items(value) {
                    self.item(value, item, Role::Named, statement, &map);
                }
            }
        }
    }

    /// One reference written as `value[range]`.
    fn item(
        &mut self,
        value: &str,
        range: std::ops::Range<usize>,
        role: Role,
        statement: usize,
        map: &OffsetMap,
    ) {
        let Some(word) = single_word(&value[range.clone()], Dialect::Shell) else {
            return;
        };
        if role == Role::Named {
            self.collector
                .own_variables(word.variables().map(str::to_owned));
        }
        let Some(found) = refs::occurrence(&word, 0, role, &value[range.clone()]) else {
            return;
        };
        let shifted = Occurrence {
            parts: found
                .parts
                .iter()
                .map(|&(part, span)| {
                    (
                        part,
                        Span::new(span.start + range.start, span.end + range.start),
                    )
                })
                .collect(),
            ..found
        };
        let mut occurrence = map.occurrence(shifted, value, self.text);
        occurrence.statement = statement;
        self.collector.occurrence(occurrence);
    }
}

/// The items of a list written one per line or separated by commas, trimmed.
fn items(value: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in value.split(['\n', ',']) {
        let end = start + piece.len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            let at = start + (piece.len() - piece.trim_start().len());
            out.push(at..at + trimmed.len());
        }
        start = end + 1;
    }
    out
}
