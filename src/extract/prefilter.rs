//! Extract stage, prefilter for Kubernetes YAML, chart values and JSON: proves from the bytes
//! alone that no key could give an image a scalar value, so that CRDs and JSON schemas (which
//! say `image` everywhere, as keys whose values are mappings and in descriptions) need no
//! parse. Conservative: anything it cannot rule out is parsed.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// Words in every key whose scalar value those extractors read as an image or part of one:
/// `image` (`image`, `*Image`, `images`, searched as `mage` after an `i` or `I`), `repository`
/// (split maps under any key) and `reference` (image volumes' `image.reference`); then the
/// chart-repository words: Argo CD's `repoURL` key and helmfile's `oci:` (and any `oci://`).
/// Keys are compared exactly there, so only these spellings matter. No word's end is another's
/// start, so the one leftmost pass meets every occurrence of each.
const WORDS: [&str; 5] = ["mage", "repository", "reference", "repoURL", "oci:"];
const IMAGE: usize = 0;
const OCI: usize = 4;

/// All of [`WORDS`] in one SIMD pass (values files say `image` in hundreds of comments before
/// the first key that holds a scalar; one pass per word read them all).
static SEARCH: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(WORDS)
        .expect("the prefilter's words build a searcher")
});

/// Whether a Kubernetes manifest, chart values or JSON file may hold a reference: some key
/// containing a [`WORDS`] word may have a scalar value (one written on the key's line, other
/// than a flow mapping, whose own keys are looked at in turn, or on the lines after it when
/// the next line is not itself a `key:` line: a sequence item, a plain scalar continued on the
/// next line, properties), or it says `oci:`.
pub fn key_may_hold_reference(bytes: &[u8]) -> bool {
    SEARCH
        .find_iter(bytes)
        .any(|found| match found.pattern().as_usize() {
            IMAGE => {
                found.start() > 0
                    && matches!(bytes[found.start() - 1], b'i' | b'I')
                    && key_with_scalar(bytes, found.end())
            }
            OCI => true,
            _ => key_with_scalar(bytes, found.end()),
        })
}

/// Whether the word ending at `after` ends a key (more name characters, an optional closing
/// quote, then `:`) whose value may be a scalar.
fn key_with_scalar(bytes: &[u8], after: usize) -> bool {
    let mut at = after;
    while at < bytes.len() && is_name_byte(bytes[at]) {
        at += 1;
    }
    if at < bytes.len() && matches!(bytes[at], b'"' | b'\'') {
        at += 1;
    }
    at = skip_blanks(bytes, at);
    if bytes.get(at) != Some(&b':') {
        return false;
    }
    at = skip_blanks(bytes, at + 1);
    match bytes.get(at) {
        None => false,
        Some(b'\n' | b'\r' | b'#') => next_content_is_value(bytes, line_end(bytes, at)),
        // A flow mapping's keys are occurrences of their own; `{{` is a template.
        Some(b'{') => bytes.get(at + 1) == Some(&b'{'),
        Some(_) => true,
    }
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// The offset just past the line break of the line holding `at` (or the end of the text).
fn line_end(bytes: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n + 1)
}

/// Whether the first line from `start` on that is neither blank nor a comment may be a value
/// rather than a `key:` line: a key there is the start of a mapping (its keys are looked at in
/// turn) or of the next entry (the key before had no value).
fn next_content_is_value(bytes: &[u8], mut start: usize) -> bool {
    while start < bytes.len() {
        let end = line_end(bytes, start);
        let line = &bytes[start..end];
        let content = skip_blanks(line, 0);
        match line.get(content) {
            None | Some(b'\n' | b'\r' | b'#') => start = end,
            Some(_) => return !is_key_line(&line[content..]),
        }
    }
    false
}

/// `key: …`, `key:` or `"key": …` (a block scalar or plain scalar cannot hold `: `, so a line
/// with one is a mapping entry); a sequence item `- …` is not.
fn is_key_line(line: &[u8]) -> bool {
    if line.starts_with(b"- ") || line.starts_with(b"-\n") || line.starts_with(b"-\r") {
        return false;
    }
    let separator = |at: usize| {
        line.get(at) == Some(&b':')
            && matches!(line.get(at + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
    };
    if let Some(&quote @ (b'"' | b'\'')) = line.first() {
        let Some(close) = memchr::memchr(quote, &line[1..]) else {
            return false;
        };
        return separator(skip_blanks(line, close + 2));
    }
    (0..line.len())
        .take_while(|&at| !(line[at] == b'#' && at > 0 && line[at - 1] == b' '))
        .any(separator)
}

#[cfg(test)]
mod tests {
    #[test]
    fn schemas_describe_images_without_naming_one() {
        let crd = "properties:\n  image:\n    description: Image name; the image to pull\n    type: string\n  imagePullPolicy:\n    # the policy\n    description: policy\n  images:\n    items:\n      type: string\n";
        assert!(!may(crd));
        let schema = "{\"image\": {\"type\": \"object\", \"repository\": {\"type\": \"string\"}}}";
        assert!(!may(schema));
    }

    #[test]
    fn scalar_values_anywhere_are_kept() {
        for text in [
            "image: nginx\n",
            "  containerImage: 'acme/x:1'\n",
            "image:\n  nginx:1.25\n",
            "images:\n  # list\n  - nginx\n",
            "image:\n  repository: bitnami/redis\n",
            "volumes:\n- image:\n    reference: redis\n",
            "image: {reference: redis}\n",
            "{\"image\":\"busybox\"}",
            "\"image\" :\n  \"busybox\"\n",
            "image: |\n  nginx\n",
            "image: {{ .Values.image }}\n",
            "image: &a\n  nginx\n",
        ] {
            assert!(may(text), "{text:?}");
        }
    }

    fn may(text: &str) -> bool {
        super::key_may_hold_reference(text.as_bytes())
    }
}
