//! Diff stage: a unified diff that `git apply` accepts (CRLF lines and a missing final newline
//! included).

use similar::TextDiff;

/// The unified diff from `old` to `new` for `path` (`/`-separated, relative).
pub fn unified(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
