//! Extract stage, makefile: not yet implemented (filled in by the text-kinds work).

use super::Extraction;

pub fn extract(_text: &str) -> Extraction {
    Extraction::default()
}
