//! One module per subcommand, and the shared run of a scan: rules, source, findings, report.

pub mod baseline;
pub mod config;
pub mod history;
pub mod rules;
pub mod scan;
pub mod staged;

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;

use crate::cli::{Cli, Command, Verbosity};
use crate::config::Settings;
use crate::report::{text, Report, Summary, WriteOptions};
use crate::rules::RuleSet;
use crate::scan::envfile::is_hygiene_rule_id;
use crate::scan::{collect, matcher::Matcher, Notice, NoticeLevel, Skipped, Source, Tally};
use crate::{suppress, verify};

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let verbosity = cli.verbosity;
    match cli.command {
        None => scan::run(cli.scan, verbosity),
        Some(Command::Scan(args)) => scan::run(args, verbosity),
        Some(Command::Rules(args)) => rules::run(&args),
        Some(Command::History(args)) => history::run(args, verbosity),
        Some(Command::Staged(args)) => staged::run(args, verbosity),
        Some(Command::Baseline(args)) => baseline::run(args, verbosity),
        Some(Command::Config(args)) => config::run(&args),
    }
}

/// Loads the rules in effect for these settings and compiles the matcher.
pub fn load_matcher(settings: &Settings) -> anyhow::Result<Matcher> {
    let mut rules = RuleSet::load(&settings.rule_paths)?;
    let unknown = rules.disable(&settings.disabled_rules);
    for unknown in unknown.iter().filter(|id| !is_hygiene_rule_id(id)) {
        tracing::warn!("no rule has the id `{unknown}`; nothing to disable");
    }
    Ok(Matcher::new(rules))
}

/// Runs a scan of `source` through the whole pipeline, writes the report and returns the exit
/// code. `mode` names the scan in the summary (`scan`, `history`, `staged`).
pub fn execute(
    source: &dyn Source,
    settings: &Settings,
    mode: &str,
    verbosity: Verbosity,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    // Open the output first: a bad path must fail before the work, not after it.
    let mut output = open_output(settings.output.as_deref(), settings.show_secrets)?;
    let matcher = load_matcher(settings)?;
    verify::check_settings(&settings.verify)?;

    let tally = Tally::default();
    let (mut findings, mut notices) = collect(source, &matcher, &tally);
    notices.extend(suppress::apply(&mut findings, settings, mode));
    verify::verify_findings(&mut findings, &settings.verify)?;

    let report = Report {
        summary: Summary {
            mode: mode.to_string(),
            scanned: tally.blobs(),
            bytes: tally.bytes(),
            binary_skipped: tally.binary(),
            skipped: tally.skipped(),
            findings: findings
                .iter()
                .filter(|finding| finding.is_active())
                .count(),
            suppressed: findings
                .iter()
                .filter(|finding| !finding.is_active())
                .count(),
            elapsed: started.elapsed(),
        },
        findings,
        notices,
        rules: matcher
            .rules()
            .iter()
            .map(|rule| rule.info.clone())
            .collect(),
    };

    let color = settings.output.is_none() && use_color(&io::stdout());
    let options = WriteOptions {
        show_secrets: settings.show_secrets,
        color,
    };
    let written = report
        .write(settings.format, options, &mut output)
        .and_then(|()| output.flush());
    match written {
        // The reader of stdout went away; the exit code still tells what was found.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report")?,
    }

    print_problems(&report.notices, &report.summary.skipped, verbosity.quiet);
    if !verbosity.quiet {
        eprintln!("{}", text::summary(&report));
    }
    Ok(report.exit_code(settings.fail_on))
}

/// Prints notices and unreadable inputs on stderr: errors always, warnings and notes unless
/// `quiet`.
pub fn print_problems(notices: &[Notice], skipped: &[Skipped], quiet: bool) {
    for notice in notices {
        if quiet && notice.level != NoticeLevel::Error {
            continue;
        }
        let level = serde_json::to_value(notice.level).unwrap_or_default();
        eprintln!("{}: {}", level.as_str().unwrap_or("note"), notice.message);
    }
    for skipped in skipped.iter().filter(|skipped| skipped.reason.is_failure()) {
        eprintln!("error: `{}` {}", skipped.path, skipped.reason.describe());
    }
}

/// Whether to colour output written to `stream`: a terminal, and `NO_COLOR` unset.
pub fn use_color(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Opens the report destination: stdout, or a file that is created (or truncated) now, so that
/// a path that cannot be written fails before the scan. A report with full secrets is readable
/// by its owner only: a new file is created `0600`, and an existing file with wider permissions
/// is tightened to `0600`, with a warning.
pub fn open_output(path: Option<&Path>, show_secrets: bool) -> anyhow::Result<Box<dyn Write>> {
    let Some(path) = path else {
        return Ok(Box::new(io::BufWriter::new(io::stdout().lock())));
    };
    let cannot = || format!("cannot write the report to `{}`", path.display());
    if path.is_dir() {
        anyhow::bail!("{}: it is a folder; name a file", cannot());
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if show_secrets {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let lowercase = |error: io::Error| anyhow::anyhow!("{}: {}", cannot(), lowercase(&error));
    let file: File = options.open(path).map_err(lowercase)?;
    #[cfg(unix)]
    if show_secrets {
        restrict_to_owner(&file, path).map_err(lowercase)?;
    }
    let _ = show_secrets;
    Ok(Box::new(io::BufWriter::new(file)))
}

/// An I/O error as a lowercase message, as the house style writes them.
fn lowercase(error: &io::Error) -> String {
    error.to_string().to_lowercase()
}

/// Narrows an existing report file that others may read to `0600`, saying so.
#[cfg(unix)]
fn restrict_to_owner(file: &File, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata()?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        tracing::warn!(
            "`{}` was readable by others (mode {mode:o}); it now holds full secrets, so its \
             mode was narrowed to 600",
            path.display()
        );
    }
    Ok(())
}
