//! What counts as an env file, and the hygiene rules reported about them.
//!
//! Env files are `.env`, `.env.local`, `.env.<anything>` and `<name>.env`. Templates
//! (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`) are meant to be
//! committed: they are exempt from hygiene findings, though their contents are still scanned.

use std::sync::Arc;

use crate::rules::{RuleInfo, Severity};

/// Suffixes of env files that are templates, meant to be committed.
const TEMPLATE_SUFFIXES: [&str; 5] = ["example", "sample", "template", "dist", "defaults"];

/// Whether the last component of `path` names an env file (template or not).
pub fn is_env_file(path: &str) -> bool {
    let name = file_name(path);
    name == ".env"
        || (name.starts_with(".env.") && name.len() > ".env.".len())
        || (name.ends_with(".env") && name.len() > ".env".len())
}

/// Whether the last component of `path` names an env template (`.env.example` and the like).
pub fn is_env_template(path: &str) -> bool {
    let name = file_name(path);
    let Some(suffix) = name.strip_prefix(".env.") else {
        return false;
    };
    TEMPLATE_SUFFIXES
        .iter()
        .any(|template| suffix.eq_ignore_ascii_case(template))
}

/// Whether `path` is an env file that hygiene findings apply to (an env file, not a template).
pub fn is_hygiene_subject(path: &str) -> bool {
    is_env_file(path) && !is_env_template(path)
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The hygiene rules, by id.
pub fn hygiene_rule(id: HygieneRule) -> Arc<RuleInfo> {
    let (id, name, severity, description) = match id {
        HygieneRule::NotIgnored => (
            "dotenv-not-ignored",
            "Env file not ignored by git",
            Severity::High,
            "An env file in the work tree is not covered by any git ignore rule, so the next \
             `git add .` commits it with every key inside. Add its name (or `.env*` with \
             `!.env.example`) to `.gitignore`.",
        ),
        HygieneRule::Tracked => (
            "dotenv-tracked",
            "Env file tracked by git",
            Severity::High,
            "An env file is tracked in the git index: every commit carries it, whatever \
             `.gitignore` says. Run `git rm --cached <path>`, add it to `.gitignore`, and \
             rotate the keys it holds.",
        ),
        HygieneRule::InHistory => (
            "dotenv-in-history",
            "Env file committed to git history",
            Severity::High,
            "An env file was committed at some point. Revoke and rotate every key it held: \
             rewriting history does not un-leak a key that was pushed or cloned.",
        ),
        HygieneRule::GitignoreMissing => (
            "gitignore-missing-dotenv",
            "Git ignore rules do not cover .env",
            Severity::Low,
            "The repository's ignore rules would not ignore a `.env` at its root, so one \
             created later would be committed by `git add .`. Add `.env` to the root \
             `.gitignore` (`clinescan scan --fix-gitignore` does it).",
        ),
    };
    Arc::new(RuleInfo {
        id: id.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        severity,
    })
}

/// Every hygiene check, in the order they are listed.
pub const HYGIENE_RULES: [HygieneRule; 4] = [
    HygieneRule::NotIgnored,
    HygieneRule::Tracked,
    HygieneRule::InHistory,
    HygieneRule::GitignoreMissing,
];

/// Whether `id` names a hygiene check (which `disable` accepts like a rule id).
pub fn is_hygiene_rule_id(id: &str) -> bool {
    HYGIENE_RULES
        .iter()
        .any(|rule| hygiene_rule(*rule).id == id)
}

/// The hygiene checks, each with its own rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HygieneRule {
    /// `dotenv-not-ignored`.
    NotIgnored,
    /// `dotenv-tracked`.
    Tracked,
    /// `dotenv-in-history`.
    InHistory,
    /// `gitignore-missing-dotenv`.
    GitignoreMissing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_and_templates_are_told_apart() {
        for path in [
            ".env",
            "app/.env.local",
            ".env.production",
            "prod.env",
            "a b/é.env",
        ] {
            assert!(is_env_file(path), "{path}");
            assert!(is_hygiene_subject(path), "{path}");
        }
        for path in [
            ".env.example",
            "x/.env.sample",
            ".env.TEMPLATE",
            ".env.dist",
            ".env.defaults",
        ] {
            assert!(is_env_file(path) && is_env_template(path), "{path}");
            assert!(!is_hygiene_subject(path), "{path}");
        }
        for path in [
            "env",
            ".envrc",
            "environment.rs",
            ".env.",
            "src/.environment",
            "dotenv",
        ] {
            assert!(!is_env_file(path), "{path}");
        }
    }

    #[test]
    fn hygiene_rules_have_their_ids() {
        assert_eq!(hygiene_rule(HygieneRule::Tracked).id, "dotenv-tracked");
        assert_eq!(
            hygiene_rule(HygieneRule::GitignoreMissing).severity,
            Severity::Low
        );
    }
}
