//! `clinescan rules`: list the rules in effect, or check every rule's examples.

use std::io::{self, Write};

use std::path::Path;

use crate::cli::{CommonArgs, RulesArgs};
use crate::config::Settings;
use crate::rules::{check, RuleInfo};
use crate::scan::envfile::{hygiene_rule, HYGIENE_RULES};

/// Width of the wrapped descriptions in the listing, indent excluded.
const DESCRIPTION_WIDTH: usize = 88;

/// Lists the rules in effect (id, severity, name, then the description: what leaked and how to
/// fix it), the `.env` hygiene checks included; with `--check`, runs every rule's examples.
pub fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    let common = CommonArgs {
        rules: args.rules.clone(),
        config: args.config.clone(),
        ..CommonArgs::default()
    };
    let settings = Settings::resolve_without_baseline(&common, false, Path::new("."))?;
    let matcher = super::load_matcher(&settings)?;
    let mut out = io::stdout().lock();

    if args.check {
        let failures = check::check(&matcher);
        for failure in &failures {
            writeln!(out, "{failure}")?;
        }
        let examples = check::count_examples(&matcher);
        if failures.is_empty() {
            eprintln!(
                "{} rules, {examples} examples: all behave",
                matcher.rules().len()
            );
            return Ok(0);
        }
        eprintln!("{} of {examples} examples misbehave", failures.len());
        return Ok(2);
    }

    let mut hygiene = HYGIENE_RULES.map(hygiene_rule).to_vec();
    hygiene.retain(|info| !settings.disabled_rules.contains(&info.id));
    let infos: Vec<&RuleInfo> = matcher
        .rules()
        .iter()
        .map(|rule| rule.info.as_ref())
        .chain(hygiene.iter().map(|info| info.as_ref()))
        .collect();
    let width = infos.iter().map(|info| info.id.len()).max().unwrap_or(0);
    for info in infos {
        let severity = info.severity.as_str();
        writeln!(out, "{:<width$}  {severity:<8}  {}", info.id, info.name)?;
        for line in wrap(&info.description, DESCRIPTION_WIDTH) {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(0)
}

/// Splits text into lines of at most `width` characters, at spaces (a longer word stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_lines_within_the_width() {
        let lines = wrap("revoke the key at app.cline.bot and  create a new one", 16);
        assert_eq!(
            lines,
            [
                "revoke the key",
                "at app.cline.bot",
                "and create a new",
                "one"
            ]
        );
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
        assert!(wrap("   ", 10).is_empty());
    }
}
