//! Running every rule's examples: each positive example must yield a secret (the expected one,
//! when it names it) and each negative example none; each placeholder example must be caught.

use std::fmt;
use std::path::PathBuf;

use crate::scan::matcher::Matcher;

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The rule file.
    pub source: PathBuf,
    /// The rule or placeholder id.
    pub id: String,
    /// What went wrong.
    pub problem: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` in `{}`: {}",
            self.id,
            self.source.display(),
            self.problem
        )
    }
}

/// How many examples the rule set carries in all.
pub fn count_examples(matcher: &Matcher) -> usize {
    let rules: usize = matcher
        .rules()
        .iter()
        .map(|rule| rule.examples.len() + rule.negative_examples.len())
        .sum();
    let placeholders: usize = matcher
        .rule_set()
        .placeholders
        .iter()
        .map(|placeholder| placeholder.examples.len())
        .sum();
    rules + placeholders
}

/// Runs every example; returns those that misbehave.
pub fn check(matcher: &Matcher) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (index, rule) in matcher.rules().iter().enumerate() {
        let fail = |problem: String| Failure {
            source: rule.source.clone(),
            id: rule.info.id.clone(),
            problem,
        };
        for example in &rule.examples {
            let text = example.text();
            let found = matcher.find_with_rule(index, text.as_bytes(), example.path());
            let secrets: Vec<&str> = found
                .iter()
                .map(|found| &text[found.secret.clone()])
                .collect();
            match example.secret() {
                _ if found.is_empty() => {
                    failures.push(fail(format!("example finds nothing: {text:?}")));
                }
                Some(expected) if !secrets.contains(&expected) => failures.push(fail(format!(
                    "example should find {expected:?} but finds {secrets:?}: {text:?}"
                ))),
                _ => {}
            }
        }
        for example in &rule.negative_examples {
            let text = example.text();
            let found = matcher.find_with_rule(index, text.as_bytes(), example.path());
            if let Some(found) = found.first() {
                let secret = &text[found.secret.clone()];
                failures.push(fail(format!("negative example finds {secret:?}: {text:?}")));
            }
        }
    }
    for placeholder in &matcher.rule_set().placeholders {
        for example in &placeholder.examples {
            if !placeholder.pattern.is_match(example.as_bytes()) {
                failures.push(Failure {
                    source: placeholder.source.clone(),
                    id: placeholder.id.clone(),
                    problem: format!("placeholder example is not caught: {example:?}"),
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn every_builtin_example_behaves() {
        let matcher = Matcher::new(RuleSet::load(&[]).expect("built-in rules load"));
        let failures = check(&matcher);
        let listed: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "misbehaving examples:\n{}",
            listed.join("\n")
        );
        assert!(count_examples(&matcher) >= 2 * matcher.rules().len());
    }

    #[test]
    fn a_misbehaving_example_is_reported_with_file_and_rule() {
        let mut set = RuleSet::default();
        let text = r#"
            [[rule]]
            id = "demo"
            name = "Demo"
            description = "d"
            severity = "low"
            pattern = 'k=(?P<secret>[0-9]{4})'
            examples = ["k=12"]
            negative_examples = ["k=1234"]
        "#;
        set.add_text(std::path::Path::new("demo.toml"), text)
            .unwrap();
        let failures = check(&Matcher::new(set));
        assert_eq!(failures.len(), 2);
        assert!(failures[0].to_string().contains("`demo` in `demo.toml`"));
        assert!(failures[1]
            .problem
            .contains("negative example finds \"1234\""));
    }
}
