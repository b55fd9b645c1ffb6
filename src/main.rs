//! Entry point: arguments → run → exit code. Output streams and exit codes live here.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{CheckFormat, Cli, Command, Common, ImagesFormat};
use regmig::report::{self, Format};
use regmig::{rules, Mode, Report};

/// Exit code for usage errors, invalid config and unreadable explicit paths.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Check { common, format } => {
            let Some(report) = scan(&common, Mode::Check, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let format = match format {
                CheckFormat::Human => Format::Human,
                CheckFormat::Concise => Format::Concise,
                CheckFormat::Json => Format::Json,
                CheckFormat::Sarif => Format::Sarif,
                CheckFormat::Github => Format::Github,
            };
            report::findings(&mut out, format, &report, use_color())?;
            out.flush()?;
            if format == Format::Human {
                report::check_summary(&mut err, &report)?;
            }
            exit_code(report::counts(&report, false).errors > 0)
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
            let Some(report) = scan(&common, mode, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let unfixed = report::fix_result(&mut out, &mut err, &report, write)?;
            out.flush()?;
            let pending = !write && report.files.iter().any(|f| f.change.is_some());
            exit_code(pending || unfixed > 0)
        }
        Command::Images { common, format } => {
            let Some(report) = scan(&common, Mode::Check, &mut err)? else {
                return Ok(ExitCode::from(USAGE));
            };
            let images = regmig::images::inventory(&report);
            let format = match format {
                ImagesFormat::Table => report::images::ImagesFormat::Table,
                ImagesFormat::Json => report::images::ImagesFormat::Json,
                ImagesFormat::Crane => report::images::ImagesFormat::Crane,
                ImagesFormat::Skopeo => report::images::ImagesFormat::Skopeo,
                ImagesFormat::Regsync => report::images::ImagesFormat::Regsync,
            };
            report::images::write(&mut out, format, &images)?;
            out.flush()?;
            let missing = images.iter().filter(|i| i.copy.is_none()).count();
            if missing > 0 {
                writeln!(
                    err,
                    "regmig: {missing} of {} source images have no copy (see the reasons)",
                    images.len()
                )?;
            }
            exit_code(missing > 0)
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

/// Loads the config and runs the pipeline; `None` after printing a usage-level error.
fn scan(common: &Common, mode: Mode, err: &mut dyn Write) -> io::Result<Option<Report>> {
    let rules = rules::builtin();
    let config = match regmig::load_config(common.config.as_deref(), rules) {
        Ok(config) => config,
        Err(e) => {
            writeln!(err, "regmig: invalid config: {e}")?;
            return Ok(None);
        }
    };
    match regmig::run(&common.paths, &config, mode) {
        Ok(report) => Ok(Some(report)),
        Err(e) => {
            writeln!(err, "regmig: {e}")?;
            Ok(None)
        }
    }
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
