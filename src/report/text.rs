//! Human-readable output: findings grouped by file, and the closing summary line.

use std::collections::HashSet;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Report, WriteOptions};
use crate::finding::{Finding, Suppression, Verification};
use crate::rules::Severity;
use crate::scan::NoticeLevel;

const PATH: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const LIVE: Style = AnsiColor::Red.on_default().bold();

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => AnsiColor::Red.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default(),
        Severity::Medium => AnsiColor::Yellow.on_default(),
        Severity::Low => AnsiColor::Cyan.on_default(),
    }
}

/// Paints `text` with `style` when colour is on.
fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Writes findings grouped by file. Files holding a live key come first, and live keys come
/// first within their file; otherwise files are in path order and findings in line order.
pub fn write(report: &Report, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    let live_paths: HashSet<&str> = report
        .findings
        .iter()
        .filter(|finding| is_live(finding))
        .map(|finding| finding.location.path.as_str())
        .collect();
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|finding| {
        let path = finding.location.path.as_str();
        (!live_paths.contains(path), path, !is_live(finding))
    });

    let mut current: Option<&str> = None;
    for finding in findings {
        if current != Some(finding.location.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(
                out,
                "{}",
                paint(&finding.location.path, PATH, options.color)
            )?;
            current = Some(&finding.location.path);
        }
        write_finding(finding, options, out)?;
    }
    Ok(())
}

fn is_live(finding: &Finding) -> bool {
    matches!(finding.verification, Some(Verification::Live { .. }))
}

/// What suppressed a finding, in a few words.
fn suppressed_by(suppression: &Suppression) -> String {
    match suppression {
        Suppression::InlineMarker { marker } => format!("allow marker `{marker}`"),
        Suppression::IgnoreFile => "listed in .clinescanignore".to_string(),
        Suppression::Baseline => "in the baseline".to_string(),
        Suppression::AllowedValue => "allowlisted value".to_string(),
    }
}

fn write_finding(finding: &Finding, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    let color = options.color;
    let place = match finding.location.line {
        0 => "-".to_string(),
        line => format!("{line}:{}", finding.location.column),
    };
    let severity = finding.rule.severity;
    write!(
        out,
        "  {place:>7}  {}  {}",
        paint(
            &format!("{:<8}", severity.as_str()),
            severity_style(severity),
            color
        ),
        finding.rule.id,
    )?;
    match finding.shown_secret(options.show_secrets) {
        Some(secret) => write!(out, "  {secret}")?,
        None => write!(out, "  {}", finding.rule.name)?,
    }
    if let Some(suppression) = &finding.suppression {
        let note = format!("(suppressed: {})", suppressed_by(suppression));
        write!(out, "  {}", paint(&note, DIM, color))?;
    }
    writeln!(out)?;

    let indent = "           ";
    if let Some(message) = &finding.message {
        writeln!(out, "{indent}{message}")?;
    }
    match &finding.verification {
        Some(Verification::Live { key_id }) => {
            let line = match key_id {
                Some(id) => format!(
                    "LIVE (key id {id}): revoke it now at app.cline.bot, Settings > API Keys, \
                     or with `DELETE /api-keys/{id}`"
                ),
                None => "LIVE: revoke it now at app.cline.bot, Settings > API Keys".to_string(),
            };
            writeln!(out, "{indent}{}", paint(&line, LIVE, color))?;
        }
        Some(Verification::Invalid) => writeln!(
            out,
            "{indent}invalid: rejected by the API (revoked or never valid)"
        )?,
        Some(Verification::Unknown { reason }) => writeln!(out, "{indent}unknown ({reason})")?,
        None => {}
    }
    if let Some(provenance) = &finding.provenance {
        let commit = &provenance.commit;
        let short = &commit.id[..commit.id.len().min(10)];
        let line = format!(
            "introduced in {short} by {} <{}> on {}: {}",
            commit.author, commit.email, commit.date, commit.subject
        );
        writeln!(out, "{indent}{}", paint(&line, DIM, color))?;
        if provenance.other_commits + provenance.other_paths > 0 {
            let mut line = format!(
                "also in {} other commit(s) and {} other path(s)",
                provenance.other_commits, provenance.other_paths
            );
            if !provenance.other_occurrences.is_empty() {
                line.push_str(&format!(": {}", provenance.other_occurrences.join(", ")));
            }
            writeln!(out, "{indent}{}", paint(&line, DIM, color))?;
        }
    }
    Ok(())
}

/// The closing summary: what was scanned, what was not, what was found, how long it took.
/// It never says "clean" when something could not be scanned.
pub fn summary(report: &Report) -> String {
    let summary = &report.summary;
    let mut parts = vec![format!(
        "{} {} scanned ({}) in {:.2}s",
        summary.scanned,
        if summary.mode == "history" {
            "blobs"
        } else {
            "files"
        },
        human_bytes(summary.bytes),
        summary.elapsed.as_secs_f64()
    )];

    let mut skipped = Vec::new();
    if summary.binary_skipped > 0 {
        skipped.push(format!("{} binary", summary.binary_skipped));
    }
    let count = |wanted: fn(&crate::scan::SkipReason) -> bool| {
        summary
            .skipped
            .iter()
            .filter(|skipped| wanted(&skipped.reason))
            .count()
    };
    let large = count(|reason| matches!(reason, crate::scan::SkipReason::TooLarge { .. }));
    if large > 0 {
        skipped.push(format!("{large} over the size limit"));
    }
    let links = count(|reason| {
        matches!(
            reason,
            crate::scan::SkipReason::Symlink | crate::scan::SkipReason::BrokenSymlink
        )
    });
    if links > 0 {
        skipped.push(format!("{links} symbolic links"));
    }
    let special = count(|reason| matches!(reason, crate::scan::SkipReason::NotAFile));
    if special > 0 {
        skipped.push(format!("{special} special files"));
    }
    if !skipped.is_empty() {
        parts.push(format!("skipped {}", skipped.join(", ")));
    }
    let failed = count(|reason| reason.is_failure());
    if failed > 0 {
        parts.push(format!("{failed} could not be read"));
    }

    let findings = match summary.findings {
        0 if !report.is_complete() => {
            "no findings in what was scanned, but the scan is incomplete".to_string()
        }
        0 => "no findings".to_string(),
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    };
    parts.push(findings);
    if summary.findings > 0 && !report.is_complete() {
        parts.push("the scan is incomplete".to_string());
    }
    let live = report
        .active_findings()
        .filter(|finding| is_live(finding))
        .count();
    if live > 0 {
        parts.push(format!("{live} live"));
    }
    if summary.suppressed > 0 {
        parts.push(format!("{} suppressed", summary.suppressed));
    }
    let errors = report
        .notices
        .iter()
        .filter(|notice| notice.level == NoticeLevel::Error)
        .count();
    if errors > 0 {
        parts.push(format!("{errors} error(s)"));
    }
    parts.join("; ")
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{self, INVALID_SECRET, LIVE_SECRET};

    fn text(report: &Report, show_secrets: bool, color: bool) -> String {
        let mut bytes = Vec::new();
        let options = WriteOptions {
            show_secrets,
            color,
        };
        write(report, options, &mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn findings_are_grouped_by_file_with_live_keys_first() {
        let text = text(&fixture::report(), false, false);
        let headers: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with(' ') && !line.is_empty())
            .collect();
        assert_eq!(
            headers,
            [
                "config/app settings.env",
                "docs/überblick.md",
                "src/client.rs",
                "tests/fixture.http"
            ]
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("3:15") && lines[1].contains("sk_0…4567"),
            "{text}"
        );
        assert!(
            lines[2].contains("LIVE (key id key_42): revoke it now"),
            "{text}"
        );
        assert!(
            lines[3].contains("introduced in 0f1e2d3c4b by Ada Lovelace"),
            "{text}"
        );
        assert!(lines[4].contains("a1b2c3d4e5:config/old.env"), "{text}");
        assert!(
            lines[5].contains("dotenv-tracked  Env file tracked by git"),
            "{text}"
        );
        assert!(text.contains("invalid: rejected by the API"));
        assert!(text.contains("unknown (timed out after 10 s)"));
        assert!(text.contains("(suppressed: allow marker `clinescan:allow`)"));
    }

    #[test]
    fn secrets_and_colour_appear_only_when_asked_for() {
        let report = fixture::report();
        let plain = text(&report, false, false);
        assert!(!plain.contains(LIVE_SECRET) && !plain.contains(INVALID_SECRET));
        assert!(!plain.contains('\x1b'));
        assert!(text(&report, true, false).contains(LIVE_SECRET));
        assert!(text(&report, false, true).contains("\x1b["));
    }

    #[test]
    fn the_summary_never_says_clean_for_an_incomplete_scan() {
        let mut report = fixture::report();
        let line = summary(&report);
        assert!(
            line.contains("4 findings; the scan is incomplete; 1 live"),
            "{line}"
        );
        assert!(line.contains("1 could not be read"), "{line}");
        assert!(line.starts_with("120 blobs scanned (46.9 KiB)"), "{line}");

        report.findings.clear();
        report.summary.findings = 0;
        report.summary.suppressed = 0;
        let line = summary(&report);
        assert!(line.contains("no findings in what was scanned, but the scan is incomplete"));

        report.summary.skipped.clear();
        report.notices.clear();
        assert!(summary(&report).ends_with("; no findings"));
    }

    #[test]
    fn bytes_are_shown_in_binary_units() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
