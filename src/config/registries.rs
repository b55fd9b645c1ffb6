//! Configuration, continued: `[registries."HOST"]` — how `verify` and the copy plans reach a
//! registry (plain HTTP or unverified TLS, an extra certificate authority). Credentials are
//! never read from here: they stay where container tools keep them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{absolutize, line_col, ConfigError, Origin};
use crate::reference::{is_docker_hub_host, ImageRef, DOCKER_HUB_HOSTS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegistry {
    #[serde(default)]
    insecure: bool,
    ca_file: Option<Spanned<String>>,
}

/// How to reach one registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Plain HTTP, or HTTPS without certificate verification.
    pub insecure: bool,
    /// A PEM file of extra trusted certificate authorities, absolute.
    pub ca_file: Option<PathBuf>,
    /// Where `ca_file` was written, for errors found when the file is read.
    pub ca_file_origin: Origin,
}

/// Every `[registries."HOST"]` table, by normalised host (lowercase; Docker Hub's aliases
/// are `docker.io`).
#[derive(Clone, Debug, Default)]
pub struct Registries {
    hosts: BTreeMap<String, RegistrySettings>,
    /// The config file, for messages about a `ca_file`.
    pub file: Option<PathBuf>,
}

impl Registries {
    /// The settings for `host` (a reference's registry as written, or its domain).
    pub fn get(&self, host: &str) -> Option<&RegistrySettings> {
        self.hosts.get(&normalise(host))
    }

    pub fn is_insecure(&self, host: &str) -> bool {
        self.get(host).is_some_and(|s| s.insecure)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &RegistrySettings)> {
        self.hosts.iter().map(|(h, s)| (h.as_str(), s))
    }

    /// The error for a `ca_file` that cannot be used, pointing at its line.
    pub fn ca_file_error(&self, settings: &RegistrySettings, message: String) -> ConfigError {
        ConfigError {
            file: self.file.clone().unwrap_or_default(),
            line: settings.ca_file_origin.line,
            column: settings.ca_file_origin.column,
            message,
        }
    }
}

fn normalise(host: &str) -> String {
    if is_docker_hub_host(host) {
        DOCKER_HUB_HOSTS[0].to_owned()
    } else {
        host.to_ascii_lowercase()
    }
}

pub(super) fn build(
    raw: BTreeMap<Spanned<String>, RawRegistry>,
    text: &str,
    file: &Path,
) -> Result<Registries, ConfigError> {
    let at = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = line_col(text, span.start);
        ConfigError {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    };
    let mut registries = Registries {
        hosts: BTreeMap::new(),
        file: Some(file.to_owned()),
    };
    for (host, settings) in raw {
        if !is_registry_host(host.get_ref()) {
            return Err(at(
                host.span(),
                format!(
                    "`{}` is not a registry host: write it as in an image reference \
                     (`ghcr.io`, `registry.example:5000`), without a scheme or path",
                    host.get_ref()
                ),
            ));
        }
        let (ca_file, ca_file_origin) = match settings.ca_file {
            Some(ca) => {
                let (line, column) = line_col(text, ca.span().start);
                let base = absolutize(file.parent().unwrap_or(Path::new(".")));
                (Some(base.join(ca.get_ref())), Origin { line, column })
            }
            None => (None, Origin::default()),
        };
        let normalised = normalise(host.get_ref());
        let value = RegistrySettings {
            insecure: settings.insecure,
            ca_file,
            ca_file_origin,
        };
        if registries.hosts.insert(normalised, value).is_some() {
            return Err(at(
                host.span(),
                format!("[registries] names `{}` twice", host.get_ref()),
            ));
        }
    }
    Ok(registries)
}

/// A host as image references write it: `ghcr.io`, `localhost:5000`, `[::1]:5000`.
fn is_registry_host(host: &str) -> bool {
    ImageRef::parse(&format!("{host}/x")).is_ok_and(|image| image.registry.as_deref() == Some(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::builtin;

    fn load(text: &str) -> Result<super::super::Config, ConfigError> {
        super::super::parse(text, Path::new("/repo/regmig.toml"), builtin())
    }

    #[test]
    fn settings_by_host() {
        let config = load(
            "[registries.\"registry.corp:5000\"]\ninsecure = true\n\n\
             [registries.\"ghcr.io\"]\nca_file = \"certs/corp.pem\"\n\n\
             [registries.\"index.docker.io\"]\ninsecure = false\n",
        )
        .unwrap();
        let registries = &config.registries;
        assert!(registries.is_insecure("registry.corp:5000"));
        assert!(registries.is_insecure("Registry.Corp:5000"));
        assert!(!registries.is_insecure("ghcr.io"));
        let ghcr = registries.get("ghcr.io").unwrap();
        assert_eq!(
            ghcr.ca_file.as_deref(),
            Some(Path::new("/repo/certs/corp.pem"))
        );
        assert_eq!(
            (ghcr.ca_file_origin.line, ghcr.ca_file_origin.column),
            (5, 11)
        );
        assert!(registries.get("docker.io").is_some());
        assert!(registries.get("registry-1.docker.io").is_some());
        assert!(registries.get("quay.io").is_none());
    }

    #[test]
    fn bad_registries_point_at_their_line() {
        let e = load("[registries.\"https://ghcr.io\"]\ninsecure = true\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        assert!(e.message.contains("without a scheme"), "{e}");
        let e = load("[registries.\"ghcr.io\"]\ninsecure = true\npassword = \"x\"\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = load("[registries.\"ghcr.io\"]\ninsecure = \"yes\"\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = load("[registries.\"docker.io\"]\n[registries.\"index.docker.io\"]\n").unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
    }
}
