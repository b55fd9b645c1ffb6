//! Report formats of `regmig images`: `table`, `json`, and the copy plans `crane`, `skopeo`
//! and `regsync`. Sources without a copy are listed with the reason (as comments in plans).
//! `[registries."HOST"]` settings become each tool's TLS options.

use std::io::{self, Write};

use serde::Serialize;

use crate::config::{Registries, RegistrySettings};
use crate::images::SourceImage;
use crate::reference::ImageRef;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagesFormat {
    Table,
    Json,
    Crane,
    Skopeo,
    Regsync,
}

pub fn write(
    out: &mut dyn Write,
    format: ImagesFormat,
    images: &[SourceImage],
    registries: &Registries,
) -> io::Result<()> {
    match format {
        ImagesFormat::Table => table(out, images),
        ImagesFormat::Json => json(out, images),
        ImagesFormat::Crane => crane(out, images, registries),
        ImagesFormat::Skopeo => skopeo(out, images, registries),
        ImagesFormat::Regsync => regsync(out, images, registries),
    }
}

/// How the table and the plans name a source that cannot be named.
const UNKNOWN: &str = "?";

fn source(image: &SourceImage) -> &str {
    image.source.as_deref().unwrap_or(UNKNOWN)
}

fn table(out: &mut dyn Write, images: &[SourceImage]) -> io::Result<()> {
    let width = images
        .iter()
        .map(|i| source(i).chars().count())
        .max()
        .unwrap_or(0)
        .max("SOURCE".len());
    writeln!(out, "{:<width$}  DESTINATION", "SOURCE")?;
    for image in images {
        let destination = match (&image.destination, &image.reason) {
            (Some(d), None) => d.clone(),
            (Some(d), Some(reason)) => format!("{d} ({reason})"),
            (None, reason) => format!("- ({})", reason.as_deref().unwrap_or("")),
        };
        writeln!(out, "{:<width$}  {destination}", source(image))?;
        for location in &image.occurrences {
            writeln!(out, "    {}:{}", location.path, location.line)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    version: u32,
    images: Vec<JsonImage<'a>>,
}

#[derive(Serialize)]
struct JsonImage<'a> {
    source: Option<&'a str>,
    destination: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    occurrences: Vec<JsonLocation<'a>>,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    path: &'a str,
    line: usize,
}

fn json(out: &mut dyn Write, images: &[SourceImage]) -> io::Result<()> {
    let document = JsonDocument {
        version: 1,
        images: images
            .iter()
            .map(|i| JsonImage {
                source: i.source.as_deref(),
                destination: i.destination.as_deref(),
                reason: i.reason.as_deref(),
                occurrences: i
                    .occurrences
                    .iter()
                    .map(|l| JsonLocation {
                        path: &l.path,
                        line: l.line,
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// The registry settings of `reference`'s host.
fn settings<'r>(registries: &'r Registries, reference: &str) -> Option<&'r RegistrySettings> {
    let image = ImageRef::parse(reference).ok()?;
    registries.get(image.domain())
}

fn insecure(registries: &Registries, reference: &str) -> bool {
    settings(registries, reference).is_some_and(|s| s.insecure)
}

/// One command per copy; a comment for each source that has none.
fn plan(
    out: &mut dyn Write,
    images: &[SourceImage],
    command: impl Fn(&str, &str) -> String,
) -> io::Result<()> {
    for image in images {
        match &image.copy {
            Some((from, to)) => writeln!(out, "{}", command(from, to))?,
            None => writeln!(out, "# not copied: {}: {}", source(image), reason(image))?,
        }
    }
    Ok(())
}

/// crane's `--insecure` allows plain HTTP and unverified TLS for both ends; crane has no CA
/// option, so a `ca_file` becomes a note.
fn crane(out: &mut dyn Write, images: &[SourceImage], registries: &Registries) -> io::Result<()> {
    for (host, ca) in ca_files(images, registries) {
        writeln!(
            out,
            "# {host}: crane trusts the system certificate store; add {ca} to it first"
        )?;
    }
    plan(out, images, |from, to| {
        let flag = if insecure(registries, from) || insecure(registries, to) {
            " --insecure"
        } else {
            ""
        };
        format!("crane copy{flag} {from} {to}")
    })
}

/// skopeo's TLS options are per end: `--src-tls-verify=false`, and `--src-cert-dir` (a
/// directory whose `*.crt` files are trusted) for a `ca_file`.
fn skopeo(out: &mut dyn Write, images: &[SourceImage], registries: &Registries) -> io::Result<()> {
    let options = |end: &str, reference: &str| {
        let mut flags = String::new();
        let Some(settings) = settings(registries, reference) else {
            return flags;
        };
        if settings.insecure {
            flags.push_str(&format!(" --{end}-tls-verify=false"));
        }
        if let Some(dir) = settings.ca_file.as_deref().and_then(|f| f.parent()) {
            flags.push_str(&format!(
                " --{end}-cert-dir {}",
                shell_word(&dir.to_string_lossy())
            ));
        }
        flags
    };
    for (host, ca) in ca_files(images, registries) {
        if !ca.ends_with(".crt") {
            writeln!(
                out,
                "# {host}: skopeo reads only *.crt files from --*-cert-dir: name {ca} *.crt"
            )?;
        }
    }
    plan(out, images, |from, to| {
        format!(
            "skopeo copy --all --preserve-digests{}{} docker://{from} docker://{to}",
            options("src", from),
            options("dest", to)
        )
    })
}

/// Single-quoted for `sh` when it holds anything but safe characters.
fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%=".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The hosts of the planned copies that have a `ca_file`, with it.
fn ca_files(images: &[SourceImage], registries: &Registries) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = images
        .iter()
        .filter_map(|i| i.copy.as_ref())
        .flat_map(|(from, to)| [from, to])
        .filter_map(|reference| {
            let image = ImageRef::parse(reference).ok()?;
            let ca = registries.get(image.domain())?.ca_file.as_ref()?;
            Some((image.domain().to_owned(), ca.to_string_lossy().into_owned()))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn reason(image: &SourceImage) -> &str {
    image.reason.as_deref().unwrap_or("no destination")
}

/// A regclient `regsync` configuration: one `type: image` entry per copy. regsync copies
/// multi-platform indexes whole, so digests survive.
fn regsync(out: &mut dyn Write, images: &[SourceImage], registries: &Registries) -> io::Result<()> {
    writeln!(
        out,
        "# regsync configuration generated by regmig: run `regsync once -c FILE`"
    )?;
    writeln!(out, "version: 1")?;
    regsync_creds(out, images, registries)?;
    writeln!(out, "defaults:")?;
    writeln!(
        out,
        "  # Pause when Docker Hub's remaining pull quota drops below 100."
    )?;
    writeln!(out, "  ratelimit:")?;
    writeln!(out, "    min: 100")?;
    writeln!(out, "    retry: 15m")?;
    writeln!(out, "  parallel: 2")?;
    writeln!(out, "sync:")?;
    for image in images {
        match &image.copy {
            Some((from, to)) => {
                writeln!(out, "  - source: \"{from}\"")?;
                writeln!(out, "    target: \"{to}\"")?;
                writeln!(out, "    type: image")?;
            }
            None => writeln!(out, "  # not copied: {}: {}", source(image), reason(image))?,
        }
    }
    Ok(())
}

/// `creds:` entries for the hosts of the copies that `[registries]` configures.
fn regsync_creds(
    out: &mut dyn Write,
    images: &[SourceImage],
    registries: &Registries,
) -> io::Result<()> {
    let mut hosts: Vec<String> = images
        .iter()
        .filter_map(|i| i.copy.as_ref())
        .flat_map(|(from, to)| [from, to])
        .filter_map(|reference| ImageRef::parse(reference).ok())
        .map(|image| image.domain().to_owned())
        .filter(|host| {
            registries
                .get(host)
                .is_some_and(|s| s.insecure || s.ca_file.is_some())
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    if hosts.is_empty() {
        return Ok(());
    }
    writeln!(out, "creds:")?;
    for host in hosts {
        let settings = registries.get(&host).expect("filtered above");
        writeln!(out, "  - registry: \"{host}\"")?;
        if settings.insecure {
            writeln!(out, "    tls: disabled")?;
        }
        if let Some(ca) = &settings.ca_file {
            writeln!(
                out,
                "    # add `regcert:` with the PEM certificates of {}",
                ca.display()
            )?;
        }
    }
    Ok(())
}
