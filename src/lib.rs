//! regmig: find and rewrite container image references (walk → read → extract → check →
//! report | diff | write).

pub mod reference;
pub mod config;
pub mod rules;
pub mod source;
pub mod walk;
pub mod extract;
