//! Rules: the model, loading rule files (built-in and user-supplied) and compiling them.
//!
//! A rule file is data (`rules/*.toml`); this module turns it into [`Rule`]s whose regular
//! expressions are compiled and bounded in size, and checks every invariant that a broken file
//! could violate, naming the file and the rule in the error.

pub mod check;
pub mod jwt;
pub mod model;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use regex::bytes::RegexBuilder;
use serde::Serialize;

pub use model::Severity;
use model::{ContextSpec, Example, PatternSpec, PlaceholderSpec, RuleFile, RuleSpec};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Largest compiled size of one rule pattern; a larger one is an error, not a slow scan.
const REGEX_SIZE_LIMIT: usize = 8 * 1024 * 1024;

/// Why a rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file or folder could not be read.
    #[error("cannot read rule file `{path}`")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the rule format.
    #[error("invalid rule file `{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, with the line.
        message: String,
    },
    /// A rule's pattern, context or globs are invalid.
    #[error("rule `{id}` in `{path}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The rule.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// Two rules share an id.
    #[error("rule id `{id}` is defined twice: in `{first}` and in `{second}`")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where it was defined first.
        first: PathBuf,
        /// Where it was defined again.
        second: PathBuf,
    },
}

/// What a rule is, for reports: everything but the compiled patterns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// Stable identifier.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// What leaked and how to fix it.
    pub description: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
}

/// A compiled rule, ready to match.
#[derive(Debug)]
pub struct Rule {
    /// The rule's description, shared with every finding it produces.
    pub info: Arc<RuleInfo>,
    /// The file the rule came from (`<builtin>/name.toml` for shipped rules).
    pub source: PathBuf,
    /// The compiled patterns, each with a `secret` group.
    pub patterns: Vec<Pattern>,
    /// Literals that must occur in a blob for the rule to run (lowercase).
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret, in bits per character.
    pub min_entropy: Option<f64>,
    /// When set, the rule applies only to matching paths.
    pub paths: Option<GlobSet>,
    /// Higher wins when two rules find the same secret.
    pub priority: i32,
    /// Examples that must match.
    pub examples: Vec<Example>,
    /// Examples that must not match.
    pub negative_examples: Vec<Example>,
}

/// A compiled pattern with the filters that belong to it.
#[derive(Debug)]
pub struct Pattern {
    /// The regular expression, with a `secret` group.
    pub regex: Regex,
    /// Evidence required near each match: the pattern's own, or else the rule's.
    pub context: Option<Context>,
    /// Drops a match when it matches the match's line.
    pub veto: Option<Regex>,
}

/// Compiled context requirement of a rule.
#[derive(Debug, Clone)]
pub struct Context {
    /// The evidence.
    pub pattern: Regex,
    /// Lines before and after the match to look in.
    pub lines: u32,
}

/// A compiled placeholder filter.
#[derive(Debug)]
pub struct Placeholder {
    /// Stable identifier.
    pub id: String,
    /// Matched against the extracted secret.
    pub pattern: Regex,
    /// Secrets it must recognise.
    pub examples: Vec<String>,
    /// The file it came from.
    pub source: PathBuf,
}

impl Rule {
    /// Whether the rule applies to a file at `path` (always, for rules without path globs).
    pub fn applies_to(&self, path: &str) -> bool {
        self.paths.as_ref().is_none_or(|globs| globs.is_match(path))
    }
}

/// Every rule and placeholder filter in effect.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// The rules, in load order: built-in files by name, then `--rules` paths as given.
    pub rules: Vec<Rule>,
    /// Placeholder filters shared by all rules.
    pub placeholders: Vec<Placeholder>,
}

impl RuleSet {
    /// Loads the built-in rules and then every rule file under `extra` (files or folders).
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN_RULE_FILES {
            set.add_text(&Path::new("<builtin>").join(name), text)?;
        }
        for path in extra {
            set.add_path(path)?;
        }
        set.check_unique_ids()?;
        Ok(set)
    }

    /// Adds a rule file, or every `*.toml` file in a folder (sorted by name).
    pub fn add_path(&mut self, path: &Path) -> Result<(), RuleError> {
        let read_error = |source| RuleError::Read {
            path: path.to_path_buf(),
            source,
        };
        if path.is_dir() {
            let mut files = Vec::new();
            for entry in fs::read_dir(path).map_err(read_error)? {
                let file = entry.map_err(read_error)?.path();
                if file.extension().is_some_and(|ext| ext == "toml") {
                    files.push(file);
                }
            }
            files.sort();
            for file in files {
                self.add_path(&file)?;
            }
            return Ok(());
        }
        let text = fs::read_to_string(path).map_err(read_error)?;
        self.add_text(path, &text)
    }

    /// Parses and compiles one rule file's text, read from `path`.
    pub fn add_text(&mut self, path: &Path, text: &str) -> Result<(), RuleError> {
        let file: RuleFile = toml::from_str(text).map_err(|error| RuleError::Parse {
            path: path.to_path_buf(),
            message: error.to_string().trim_end().to_string(),
        })?;
        for spec in file.rules {
            self.rules.push(compile_rule(path, spec)?);
        }
        for spec in file.placeholders {
            self.placeholders.push(compile_placeholder(path, spec)?);
        }
        Ok(())
    }

    fn check_unique_ids(&self) -> Result<(), RuleError> {
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        for rule in &self.rules {
            if let Some(first) = seen.insert(&rule.info.id, &rule.source) {
                return Err(RuleError::DuplicateId {
                    id: rule.info.id.clone(),
                    first: first.to_path_buf(),
                    second: rule.source.clone(),
                });
            }
        }
        Ok(())
    }

    /// Drops the rules whose ids are listed; returns the ids that named no rule.
    pub fn disable(&mut self, ids: &[String]) -> Vec<String> {
        let unknown = ids
            .iter()
            .filter(|id| !self.rules.iter().any(|rule| &rule.info.id == *id))
            .cloned();
        let unknown = unknown.collect();
        self.rules.retain(|rule| !ids.contains(&rule.info.id));
        unknown
    }
}

/// Compiles a rule's regular expression. CRLF mode makes `(?m)^` and `$` see a line break at
/// `\r` as well as `\n`, as the matcher counts lines (`\n`, `\r\n` or a lone `\r`).
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .crlf(true)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => {
                format!("pattern compiles to more than {limit} bytes; simplify it")
            }
            other => format!("invalid pattern: {other}"),
        })
}

fn compile_rule(path: &Path, spec: RuleSpec) -> Result<Rule, RuleError> {
    let invalid = |message: String| RuleError::Invalid {
        path: path.to_path_buf(),
        id: spec.id.clone(),
        message,
    };
    if spec.id.is_empty()
        || !spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "ids are non-empty and made of letters, digits and `-`".into(),
        ));
    }

    let context = spec
        .context
        .as_ref()
        .map(|context| compile_context(context).map_err(&invalid))
        .transpose()?;
    let mut patterns = Vec::new();
    for pattern in spec.pattern.to_vec() {
        patterns.push(compile_pattern(&pattern, context.as_ref()).map_err(&invalid)?);
    }
    if patterns.is_empty() {
        return Err(invalid("`pattern` is empty".into()));
    }

    let paths = if spec.paths.is_empty() {
        None
    } else {
        let mut builder = GlobSetBuilder::new();
        for glob in &spec.paths {
            let glob = Glob::new(glob).map_err(|error| invalid(format!("path glob: {error}")))?;
            builder.add(glob);
        }
        Some(
            builder
                .build()
                .map_err(|error| invalid(format!("path globs: {error}")))?,
        )
    };

    if spec.examples.is_empty() || spec.negative_examples.is_empty() {
        return Err(invalid(
            "every rule needs at least one `examples` and one `negative_examples` entry".into(),
        ));
    }
    if spec.keywords.iter().any(|keyword| keyword.is_empty()) {
        return Err(invalid("keywords must not be empty strings".into()));
    }

    Ok(Rule {
        info: Arc::new(RuleInfo {
            id: spec.id,
            name: spec.name,
            description: spec.description.trim().to_string(),
            severity: spec.severity,
        }),
        source: path.to_path_buf(),
        patterns,
        keywords: spec
            .keywords
            .iter()
            .map(|keyword| keyword.to_ascii_lowercase())
            .collect(),
        min_entropy: spec.min_entropy,
        paths,
        priority: spec.priority,
        examples: spec.examples,
        negative_examples: spec.negative_examples,
    })
}

fn compile_context(context: &ContextSpec) -> Result<Context, String> {
    Ok(Context {
        pattern: compile_regex(&context.pattern)
            .map_err(|message| format!("context: {message}"))?,
        lines: context.lines,
    })
}

/// Compiles one pattern with its own context (or else the rule's) and veto.
fn compile_pattern(spec: &PatternSpec, rule_context: Option<&Context>) -> Result<Pattern, String> {
    let regex = compile_regex(spec.regex())?;
    if !regex.capture_names().any(|name| name == Some("secret")) {
        return Err(format!(
            "pattern has no capture group named `secret`: {}",
            spec.regex()
        ));
    }
    let (context, veto) = match spec {
        PatternSpec::Plain(_) => (None, None),
        PatternSpec::Detailed(detailed) => (
            detailed.context.as_ref().map(compile_context).transpose()?,
            detailed
                .veto
                .as_deref()
                .map(|veto| compile_regex(veto).map_err(|message| format!("veto: {message}")))
                .transpose()?,
        ),
    };
    Ok(Pattern {
        regex,
        context: context.or_else(|| rule_context.cloned()),
        veto,
    })
}

fn compile_placeholder(path: &Path, spec: PlaceholderSpec) -> Result<Placeholder, RuleError> {
    let pattern = compile_regex(&spec.pattern).map_err(|message| RuleError::Invalid {
        path: path.to_path_buf(),
        id: spec.id.clone(),
        message,
    })?;
    Ok(Placeholder {
        id: spec.id,
        pattern,
        examples: spec.examples,
        source: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        set.add_text(Path::new("test.toml"), text)?;
        set.check_unique_ids()?;
        Ok(set)
    }

    const VALID: &str = r#"
        [[rule]]
        id = "demo"
        name = "Demo"
        description = "demo"
        severity = "high"
        pattern = 'key=(?P<secret>[a-z0-9]{8})'
        examples = ["key=abcd1234"]
        negative_examples = ["key=short"]
    "#;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::load(&[]).expect("built-in rules load");
        assert!(!set.rules.is_empty());
    }

    #[test]
    fn unknown_field_is_an_error_naming_the_file() {
        let text = VALID.replace("severity", "colour = \"red\"\n        severity");
        let error = load_text(&text).unwrap_err().to_string();
        assert!(error.contains("test.toml"), "{error}");
        assert!(error.contains("colour"), "{error}");
    }

    #[test]
    fn missing_secret_group_is_an_error_naming_the_rule() {
        let text = VALID.replace("(?P<secret>[a-z0-9]{8})", "[a-z0-9]{8}");
        let error = load_text(&text).unwrap_err().to_string();
        assert!(
            error.contains("`demo`") && error.contains("secret"),
            "{error}"
        );
    }

    #[test]
    fn invalid_regex_is_an_error_naming_the_rule() {
        let text = VALID.replace("{8})", "{8}");
        let error = load_text(&text).unwrap_err().to_string();
        assert!(
            error.contains("`demo`") && error.contains("invalid pattern"),
            "{error}"
        );
    }

    #[test]
    fn enormous_regex_is_refused() {
        // Patterns are byte-oriented; `(?u)` opts into Unicode classes, which are large.
        let text = VALID.replace("[a-z0-9]{8}", "(?u:\\w{1000}\\w{1000}\\w{1000})");
        let error = load_text(&text).unwrap_err().to_string();
        assert!(error.contains("simplify"), "{error}");
    }

    #[test]
    fn misspelt_key_in_a_pattern_table_is_named() {
        let text = r#"
            [[rule]]
            id = "demo"
            name = "Demo"
            description = "demo"
            severity = "high"
            examples = ["key=abcd1234"]
            negative_examples = ["key=short"]

            [[rule.pattern]]
            regx = 'key=(?P<secret>[a-z0-9]{8})'
        "#;
        let error = load_text(text).unwrap_err().to_string();
        assert!(error.contains("unknown field `regx`"), "{error}");
    }

    #[test]
    fn pattern_tables_carry_their_own_context_and_veto() {
        let table = r#"
            [[rule.pattern]]
            regex = 'key=(?P<secret>[a-z0-9]{8})'
            context = { pattern = 'near', lines = 1 }
            veto = 'never'
        "#;
        let text = VALID.replace("pattern = 'key=(?P<secret>[a-z0-9]{8})'\n", "") + table;
        let set = load_text(&text).expect("pattern tables load");
        let pattern = &set.rules[0].patterns[0];
        assert_eq!(
            pattern.context.as_ref().map(|context| context.lines),
            Some(1)
        );
        assert!(pattern
            .veto
            .as_ref()
            .is_some_and(|veto| veto.is_match(b"never")));
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let text = format!("{VALID}\n{}", VALID.replace("[[rule]]", "\n[[rule]]"));
        let error = load_text(&text).unwrap_err().to_string();
        assert!(error.contains("defined twice"), "{error}");
    }

    #[test]
    fn rule_without_negative_examples_is_refused() {
        let text = VALID.replace(
            "negative_examples = [\"key=short\"]",
            "negative_examples = []",
        );
        let error = load_text(&text).unwrap_err().to_string();
        assert!(error.contains("negative_examples"), "{error}");
    }
}
