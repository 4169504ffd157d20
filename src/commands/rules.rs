//! `clinescan rules`: list the rules in effect, or check every rule's examples.

use std::io::{self, Write};

use crate::cli::RulesArgs;
use crate::rules::{check, RuleSet};
use crate::scan::matcher::Matcher;

/// Lists the rules (id, severity, name), or with `--check` runs their examples.
pub fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    let matcher = Matcher::new(RuleSet::load(&args.rules)?);
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

    let width = matcher
        .rules()
        .iter()
        .map(|rule| rule.info.id.len())
        .max()
        .unwrap_or(0);
    for rule in matcher.rules() {
        let info = &rule.info;
        writeln!(
            out,
            "{:<width$}  {:<8}  {}",
            info.id,
            info.severity.as_str(),
            info.name
        )?;
    }
    Ok(0)
}
