//! The rule file format: what a `rules/*.toml` file may contain, exactly as written.
//!
//! These types mirror the TOML and reject unknown fields, so a misspelt key is an error that
//! names the file instead of a rule that silently does less than its author meant.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// One rule file: any number of rules and placeholder filters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules this file defines.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
    /// Values that look like secrets but are documentation placeholders, for every rule.
    #[serde(default, rename = "placeholder")]
    pub placeholders: Vec<PlaceholderSpec>,
}

/// A detection rule as written in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable identifier, used in reports, suppressions and `--disable`.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// What leaked and how to fix it.
    pub description: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// One or more regular expressions, each with the secret in a group named `secret`.
    pub pattern: Patterns,
    /// Case-insensitive literals, one of which must occur in a blob before the patterns run.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret, in bits per character.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Path globs; when set, the rule only applies to files whose path matches one of them.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Evidence that must appear near a match for it to count.
    #[serde(default)]
    pub context: Option<ContextSpec>,
    /// Which rule wins when two rules find the same secret: the higher priority.
    #[serde(default)]
    pub priority: i32,
    /// Texts the rule must find a secret in.
    pub examples: Vec<Example>,
    /// Texts the rule must stay silent on.
    pub negative_examples: Vec<Example>,
}

/// A single pattern or a list of alternatives.
#[derive(Debug, Clone)]
pub enum Patterns {
    /// One regular expression.
    One(String),
    /// Several patterns; a match of any of them counts.
    Many(Vec<PatternSpec>),
}

impl Patterns {
    /// The patterns as a list, whichever way they were written.
    pub fn to_vec(&self) -> Vec<PatternSpec> {
        match self {
            Patterns::One(pattern) => vec![PatternSpec::Plain(pattern.clone())],
            Patterns::Many(patterns) => patterns.clone(),
        }
    }
}

/// One pattern of a rule: a bare regular expression, or a table that gives the pattern its own
/// evidence requirements (`[[rule.pattern]]`).
#[derive(Debug, Clone)]
pub enum PatternSpec {
    /// A regular expression that uses the rule's `context`, if any.
    Plain(String),
    /// A regular expression with its own context and veto.
    Detailed(DetailedPattern),
}

/// The table form of a pattern.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedPattern {
    /// The regular expression, with the secret in a group named `secret`.
    pub regex: String,
    /// Evidence required near a match of this pattern (replaces the rule's `context`).
    #[serde(default)]
    pub context: Option<ContextSpec>,
    /// A regular expression that, when it matches the line of a match, drops the match (for
    /// example another vendor's variable name next to a shared key prefix).
    #[serde(default)]
    pub veto: Option<String>,
}

impl PatternSpec {
    /// The regular expression.
    pub fn regex(&self) -> &str {
        match self {
            PatternSpec::Plain(regex) => regex,
            PatternSpec::Detailed(pattern) => &pattern.regex,
        }
    }
}

// Written by hand rather than `#[serde(untagged)]`, so that a misspelt key inside a
// `[[rule.pattern]]` table is reported as such instead of as "no variant matched".
impl<'de> Deserialize<'de> for Patterns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Patterns;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a regular expression or a list of patterns")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Patterns, E> {
                Ok(Patterns::One(value.to_string()))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Patterns, A::Error> {
                let mut patterns = Vec::new();
                while let Some(pattern) = seq.next_element()? {
                    patterns.push(pattern);
                }
                Ok(Patterns::Many(patterns))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl<'de> Deserialize<'de> for PatternSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = PatternSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a regular expression or a table with `regex`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<PatternSpec, E> {
                Ok(PatternSpec::Plain(value.to_string()))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<PatternSpec, A::Error> {
                let detailed =
                    DetailedPattern::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(PatternSpec::Detailed(detailed))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Evidence required near a match: `pattern` must match within `lines` lines of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    /// Regular expression for the evidence.
    pub pattern: String,
    /// How many lines before the match's first line and after its last line to look in.
    #[serde(default = "default_context_lines")]
    pub lines: u32,
}

fn default_context_lines() -> u32 {
    3
}

/// An example text, optionally with the path it would be found at and the secret it holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Example {
    /// Just the text.
    Text(String),
    /// The text with a path (for rules limited by `paths`) and the expected secret.
    Detailed(DetailedExample),
}

/// The table form of an example.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedExample {
    /// The text to scan.
    pub text: String,
    /// The path the text is scanned as.
    #[serde(default)]
    pub path: Option<String>,
    /// The secret the rule must extract (positive examples only).
    #[serde(default)]
    pub secret: Option<String>,
}

impl Example {
    /// The text to scan.
    pub fn text(&self) -> &str {
        match self {
            Example::Text(text) => text,
            Example::Detailed(example) => &example.text,
        }
    }

    /// The path to scan the text as, if the example names one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Example::Text(_) => None,
            Example::Detailed(example) => example.path.as_deref(),
        }
    }

    /// The secret the example expects to be extracted, if it names one.
    pub fn secret(&self) -> Option<&str> {
        match self {
            Example::Text(_) => None,
            Example::Detailed(example) => example.secret.as_deref(),
        }
    }
}

/// A filter for documentation placeholders: a secret matching `pattern` is never reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderSpec {
    /// Stable identifier, for error messages.
    pub id: String,
    /// Regular expression matched against the extracted secret alone.
    pub pattern: String,
    /// Why values of this shape are placeholders.
    #[serde(default)]
    pub description: String,
    /// Secrets that this filter must recognise as placeholders.
    #[serde(default)]
    pub examples: Vec<String>,
}

/// How bad a finding is, from the point of view of the person who must act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a leaked secret by itself.
    Low,
    /// A weakness that makes a leak likely.
    Medium,
    /// A credential that may grant access.
    High,
    /// A credential that grants access to an account or paid API.
    Critical,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The GitHub code scanning `security-severity` score (0.0 to 10.0).
    pub fn security_score(self) -> f64 {
        match self {
            Severity::Low => 3.0,
            Severity::Medium => 5.5,
            Severity::High => 8.0,
            Severity::Critical => 9.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
