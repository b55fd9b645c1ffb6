//! Diff stage: a unified diff that `git apply` accepts (CRLF lines and a missing final newline
//! included).

use std::time::{Duration, Instant};

use similar::TextDiff;

/// How long the diff may search for a minimal edit script before settling for a correct but
/// larger one (a file with hundreds of thousands of changed lines).
const DEADLINE: Duration = Duration::from_secs(2);

/// The unified diff from `old` to `new` for `path` (`/`-separated, relative).
pub fn unified(path: &str, old: &str, new: &str) -> String {
    TextDiff::configure()
        .deadline(Instant::now() + DEADLINE)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
