//! Command-line definitions (clap). Help, and later completions and the man page, come from here.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// `0.1.0 (abc1234)`: the version and the commit it was built from, when the build knew it
/// (see build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("REGMIG_COMMIT_SUFFIX"));

#[derive(Parser, Debug)]
#[command(
    name = "regmig",
    version = VERSION,
    about = "Find Docker Hub image references and rewrite them to your registry, byte-exactly",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Report every image reference a rule flags (exit 1 if any is an error)
    Check {
        #[command(flatten)]
        common: Common,
        /// Output format
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Report only findings on lines added or changed since this git revision (the
        /// working tree diffed against it; untracked files are new), e.g. origin/main
        #[arg(long, value_name = "REF")]
        new_since: Option<String>,
    },
    /// Preview the rewrites as a unified diff, or apply them with --write
    Fix {
        #[command(flatten)]
        common: Common,
        /// Write the changes to the files (atomically) instead of printing a diff
        #[arg(long)]
        write: bool,
        /// Also apply fixes marked unsafe (for example an ARG default read elsewhere too)
        #[arg(long = "unsafe")]
        allow_unsafe: bool,
    },
    /// List every source image to copy, its uses and its destination, or print a copy plan
    Images {
        #[command(flatten)]
        common: Common,
        /// Output format: a table, JSON, or a plan for crane, skopeo or regsync
        #[arg(long, value_enum, default_value_t = ImagesFormat::Table)]
        format: ImagesFormat,
    },
    /// Check that every destination in the inventory can be pulled (exit 1 if one cannot)
    #[command(
        long_about = "Check that every destination in the inventory can be pulled: a manifest \
                      HEAD per distinct destination, following the registry's authentication \
                      challenge. Credentials come from $REGISTRY_AUTH_FILE, \
                      $DOCKER_CONFIG/config.json or ~/.docker/config.json (auths, credHelpers, \
                      credsStore), never from regmig.toml or the command line. Statuses: \
                      present, missing, denied, differs (--source), unreachable, unresolved. \
                      Exit 0 when every destination is present (and has its source's digest \
                      with --source), 1 otherwise, 2 for usage or config errors."
    )]
    Verify {
        #[command(flatten)]
        common: Common,
        /// Output format
        #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
        format: VerifyFormat,
        /// Also look up each source and compare its digest with the destination's
        #[arg(long)]
        source: bool,
        /// Registry lookups in flight at once
        #[arg(long, value_name = "N", default_value_t = 8,
              value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: u16,
    },
    /// List the rules, or explain one
    Rules {
        /// A rule id, such as docker-hub
        rule: Option<String>,
    },
    /// Write a commented regmig.toml in the current directory (never overwrites one)
    Init {
        /// A target preset from rules/targets/; give its parameters with --set (a default
        /// follows `=`)
        #[arg(long, value_parser = presets())]
        preset: Option<String>,
        /// A preset parameter, such as --set owner=acme (repeatable)
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
        set: Vec<(String, String)>,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

/// The built-in target presets, so `init --help` lists what `--preset` accepts and which
/// parameters each one needs.
fn presets() -> PossibleValuesParser {
    let presets = &regmig::rules::builtin().presets;
    PossibleValuesParser::new(presets.iter().map(|preset| {
        let params: Vec<String> = preset
            .params
            .iter()
            .map(|(name, param)| match &param.default {
                Some(default) => format!("{name}={default}"),
                None => name.clone(),
            })
            .collect();
        let help = if params.is_empty() {
            preset.summary.clone()
        } else {
            format!("{} (parameters: {})", preset.summary, params.join(", "))
        };
        PossibleValue::new(preset.name.as_str()).help(help)
    }))
}

fn key_value(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))?;
    Ok((key.trim().to_owned(), value.trim().to_owned()))
}

#[derive(Args, Debug)]
pub struct Common {
    /// Files or directories to scan (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Use this config file instead of the discovered regmig.toml
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckFormat {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagesFormat {
    Table,
    Json,
    Crane,
    Skopeo,
    Regsync,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyFormat {
    Human,
    Json,
}
