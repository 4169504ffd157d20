//! Human-readable output: findings grouped by file, and the closing summary line.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Report, WriteOptions};
use crate::finding::{Finding, Verification};
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

/// Writes findings grouped by file, live ones first, then by path and line.
pub fn write(report: &Report, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|finding| {
        let live = matches!(finding.verification, Some(Verification::Live { .. }));
        (!live, &finding.location.path)
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
    if let Some(secret) = finding.shown_secret(options.show_secrets) {
        write!(out, "  {secret}")?;
    }
    if let Some(suppression) = &finding.suppression {
        let by = serde_json::to_value(suppression)
            .ok()
            .and_then(|value| {
                value
                    .get("by")
                    .and_then(|by| by.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        write!(
            out,
            "  {}",
            paint(&format!("(suppressed: {by})"), DIM, color)
        )?;
    }
    writeln!(out)?;

    let indent = "           ";
    match &finding.verification {
        Some(Verification::Live { key_id }) => {
            let id = key_id
                .as_deref()
                .map(|id| format!(" (key id {id})"))
                .unwrap_or_default();
            let line = format!("LIVE{id}: revoke it now at app.cline.bot, Settings > API Keys");
            writeln!(out, "{indent}{}", paint(&line, LIVE, color))?;
        }
        Some(Verification::Invalid) => writeln!(out, "{indent}invalid: rejected by the API")?,
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
            let line = format!(
                "also in {} other commit(s) and {} other path(s)",
                provenance.other_commits, provenance.other_paths
            );
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

    #[test]
    fn bytes_are_shown_in_binary_units() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
