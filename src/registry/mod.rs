//! Registry client (for `verify`): the OCI distribution API's manifest HEAD, the
//! `WWW-Authenticate` challenge with the Bearer token flow (anonymous or with credentials)
//! and Basic, credentials from where container tools keep them, bounded retries. Blocking,
//! on `ureq` with rustls; `HTTPS_PROXY` / `NO_PROXY` are honoured.

mod auth;
mod client;
mod credentials;
mod retry;

pub use client::{Answer, Client};
pub use credentials::{Credential, CredentialStore, Lookup, Secret};
pub use retry::Retry;
