//! Entry point: arguments → run → exit code. Output streams and exit codes live here.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{CheckFormat, Cli, Command, Common, ImagesFormat, VerifyFormat};
use regmig::changes::Changes;
use regmig::report::{self, Format};
use regmig::root::RepoRoot;
use regmig::{rules, Mode};

/// Exit code for usage errors, invalid config and unreadable explicit paths.
const USAGE: u8 = 2;

/// Exit code after an interrupt (128 + SIGINT).
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    watch_signals();
    match execute(cli.command) {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("regmig: {e}");
            ExitCode::from(USAGE)
        }
    }
}

fn execute(command: Command) -> io::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let code = match command {
        Command::Check {
            common,
            format,
            new_since,
        } => {
            let format = match format {
                CheckFormat::Human => Format::Human,
                CheckFormat::Concise => Format::Concise,
                CheckFormat::Json => Format::Json,
                CheckFormat::Sarif => Format::Sarif,
                CheckFormat::Github => Format::Github,
                CheckFormat::Gitlab => Format::Gitlab,
            };
            let Some(config) = load_config(&common, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let anchor = common
                .paths
                .first()
                .map_or(Path::new("."), PathBuf::as_path);
            let root = RepoRoot::discover(anchor, config.file.as_deref());
            let mut reporter = report::CheckReporter::new(format, use_color()).with_root(root);
            if let Some(revision) = &new_since {
                match Changes::since(revision, anchor) {
                    Ok(changes) => {
                        reporter = reporter.with_filter(Box::new(move |file| {
                            changes.new_findings(&file.file.path, &file.file.text, &file.findings)
                        }));
                    }
                    Err(e) => {
                        writeln!(err, "regmig: --new-since {revision}: {e}")?;
                        return Ok(ExitCode::from(USAGE));
                    }
                }
            }
            let mut began = false;
            let renderer = reporter.renderer();
            let render = |file: &regmig::FileResult| renderer.as_ref().map(|r| r.render(file));
            let prepare = regmig::Prepare {
                make: &render,
                without_text: renderer.is_some(),
            };
            let scanned = regmig::run_prepared(
                &common.paths,
                &config,
                Mode::Check,
                prepare,
                &mut |file, rendered| {
                    if !began {
                        reporter.begin(&mut out)?;
                        began = true;
                    }
                    reporter.rendered_file(&mut out, &file, rendered)
                },
            );
            let Some(scanned) = finished(scanned, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            if !began {
                reporter.begin(&mut out)?;
            }
            reporter.finish(&mut out, scanned)?;
            out.flush()?;
            if format == Format::Human {
                report::check_summary(&mut err, &reporter.counts, scanned)?;
                report::config_note(&mut err, config.file.as_deref())?;
            }
            if let (Some(revision), hidden @ 1..) = (&new_since, reporter.hidden) {
                writeln!(
                    err,
                    "regmig: {hidden} older finding{} on lines unchanged since {revision} not shown",
                    if hidden == 1 { "" } else { "s" }
                )?;
            }
            exit_code(reporter.counts.errors > 0)
        }
        Command::Fix {
            common,
            write,
            allow_unsafe,
        } => {
            let mode = Mode::Fix {
                write,
                allow_unsafe,
            };
            let Some(config) = load_config(&common, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let mut reporter = report::FixReporter::default();
            let scanned = regmig::run(&common.paths, &config, mode, &mut |file| {
                reporter.file(&mut out, &mut err, &file)
            });
            if finished(scanned, &mut err)?.is_none() {
                return Ok(ExitCode::from(USAGE));
            }
            out.flush()?;
            let configured =
                config.target.is_some() || !config.maps.is_empty() || !config.chart_maps.is_empty();
            reporter.summary(&mut err, write, configured)?;
            exit_code(reporter.pending > 0 || reporter.unfixed_errors > 0)
        }
        Command::Images { common, format } => {
            let Some(config) = load_config(&common, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let Some(images) = inventory(&common, &config, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let format = match format {
                ImagesFormat::Table => report::images::ImagesFormat::Table,
                ImagesFormat::Json => report::images::ImagesFormat::Json,
                ImagesFormat::Crane => report::images::ImagesFormat::Crane,
                ImagesFormat::Skopeo => report::images::ImagesFormat::Skopeo,
                ImagesFormat::Regsync => report::images::ImagesFormat::Regsync,
            };
            report::images::write(&mut out, format, &images, &config.registries)?;
            out.flush()?;
            let missing = images.iter().filter(|i| i.lacks_copy()).count();
            if missing > 0 {
                writeln!(
                    err,
                    "regmig: {missing} of {} source images have no copy (see the reasons)",
                    images.len()
                )?;
            }
            exit_code(missing > 0)
        }
        Command::Verify {
            common,
            format,
            source,
            jobs,
        } => {
            let Some(config) = load_config(&common, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let credentials = regmig::registry::CredentialStore::from_env();
            let retry = regmig::registry::Retry::default();
            let client = match regmig::registry::Client::new(
                config.registries.clone(),
                credentials,
                retry,
            ) {
                Ok(client) => client,
                Err(e) => {
                    writeln!(err, "regmig: invalid config: {e}")?;
                    return Ok(ExitCode::from(USAGE));
                }
            };
            let Some(images) = inventory(&common, &config, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let options = regmig::verify::Options {
                source,
                jobs: jobs.into(),
            };
            let outcomes = regmig::verify::verify(&images, &client, options);
            let format = match format {
                VerifyFormat::Human => report::verify::VerifyFormat::Human,
                VerifyFormat::Json => report::verify::VerifyFormat::Json,
            };
            report::verify::write(&mut out, format, &outcomes, source)?;
            out.flush()?;
            let without = regmig::verify::without_destination(&images);
            report::verify::summary(&mut err, &outcomes, without)?;
            exit_code(!outcomes.iter().all(|o| o.passes(source)))
        }
        Command::Init { preset, set } => init(preset.as_deref(), &set, &mut err)?,
        Command::Completions { shell } => {
            // clap_complete panics on a closed pipe, so render into memory first.
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "regmig", &mut buffer);
            out.write_all(&buffer)?;
            out.flush()?;
            ExitCode::SUCCESS
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buffer)?;
            out.write_all(&buffer)?;
            out.flush()?;
            ExitCode::SUCCESS
        }
        Command::Rules { rule } => {
            let known = rules::builtin();
            match rule {
                None => {
                    for r in &known.rules {
                        writeln!(out, "{:<22} {:<8} {}", r.id, r.severity.as_str(), r.summary)?;
                    }
                }
                Some(id) => match known.rule(&id) {
                    Some(r) => writeln!(
                        out,
                        "# {}\n\n{}\n\n{}",
                        r.id,
                        r.summary,
                        r.explanation.trim()
                    )?,
                    None => {
                        writeln!(
                            err,
                            "regmig: unknown rule `{id}`; `regmig rules` lists them"
                        )?;
                        return Ok(ExitCode::from(USAGE));
                    }
                },
            }
            out.flush()?;
            ExitCode::SUCCESS
        }
    };
    Ok(code)
}

/// The first SIGINT or SIGTERM asks the run to stop between files (so every file is either
/// old or new); a second one ends the process at once.
fn watch_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = regmig::interrupted();
    for signal in [SIGINT, SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(
            signal,
            INTERRUPTED.into(),
            flag.clone(),
        );
        let _ = signal_hook::flag::register(signal, flag.clone());
    }
}

/// Loads the config; `None` after printing why it is invalid.
fn load_config(common: &Common, err: &mut dyn Write) -> io::Result<Option<regmig::config::Config>> {
    match regmig::load_config(common.config.as_deref(), &common.paths, rules::builtin()) {
        Ok(config) => Ok(Some(config)),
        Err(e) => {
            writeln!(err, "regmig: invalid config: {e}")?;
            Ok(None)
        }
    }
}

/// The number of files scanned; `None` after printing a usage-level error. Notes about files
/// skipped in part are printed first. A failed write
/// (a closed pipe) is passed on as the I/O error it is.
fn finished(
    result: Result<usize, regmig::Error>,
    err: &mut dyn Write,
) -> io::Result<Option<usize>> {
    for note in regmig::take_notes() {
        writeln!(err, "regmig: note: {note}")?;
    }
    match result {
        Ok(scanned) => Ok(Some(scanned)),
        Err(regmig::Error::Output(e)) => Err(e),
        Err(regmig::Error::Interrupted) => {
            writeln!(
                err,
                "regmig: interrupted; files already written are complete"
            )?;
            std::process::exit(INTERRUPTED.into());
        }
        Err(e) => {
            writeln!(err, "regmig: {e}")?;
            Ok(None)
        }
    }
}

/// The inventory of `images` and `verify`; `None` after printing a usage-level error.
fn inventory(
    common: &Common,
    config: &regmig::config::Config,
    err: &mut dyn Write,
) -> io::Result<Option<Vec<regmig::images::SourceImage>>> {
    let mut inventory = regmig::images::Inventory::default();
    let scanned = regmig::run(&common.paths, config, Mode::Inventory, &mut |file| {
        inventory.add(&file);
        Ok(())
    });
    Ok(finished(scanned, err)?.map(|_| inventory.finish()))
}

/// `regmig init`: a validated starter config, never over an existing one.
fn init(
    preset: Option<&str>,
    set: &[(String, String)],
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    for name in regmig::config::FILE_NAMES {
        if std::path::Path::new(name).exists() {
            writeln!(err, "regmig: {name} already exists; not overwriting it")?;
            return Ok(ExitCode::from(USAGE));
        }
    }
    let text = match regmig::config::starter(preset, set, rules::builtin()) {
        Ok(text) => text,
        Err(message) => {
            writeln!(err, "regmig: {message}")?;
            return Ok(ExitCode::from(USAGE));
        }
    };
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(regmig::config::FILE_NAMES[0])
    {
        Ok(file) => file,
        Err(e) => {
            writeln!(err, "regmig: cannot create regmig.toml: {e}")?;
            return Ok(ExitCode::from(USAGE));
        }
    };
    file.write_all(text.as_bytes())?;
    writeln!(err, "regmig: wrote regmig.toml")?;
    Ok(ExitCode::SUCCESS)
}

fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn use_color() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
