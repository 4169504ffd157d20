//! Merging: each setting from the flag, else the configuration file, else the default, with
//! the file's values checked (globs, patterns, paths) and its origin recorded.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use super::file::{ConfigError, ConfigFile, FileSettings};
use super::{SettingOrigin, Settings, VerifySettings};
use super::{DEFAULT_MAX_FILE_SIZE, DEFAULT_VERIFY_ENDPOINT, ENDPOINT_VARIABLE};
use crate::cli::CommonArgs;
use crate::report::{FailOn, Format};
use crate::suppress::{self, FingerprintList};

/// Picks a setting's value: the flag, else the file, else the default.
struct Merger<'a> {
    file: Option<&'a ConfigFile>,
    origins: BTreeMap<&'static str, SettingOrigin>,
}

impl Merger<'_> {
    fn pick<T: Clone>(
        &mut self,
        name: &'static str,
        flag: Option<T>,
        file: Option<(&T, Range<usize>)>,
        default: T,
    ) -> T {
        let (value, origin) = match (flag, file, self.file) {
            (Some(value), _, _) => (value, SettingOrigin::Flag),
            (None, Some((value, span)), Some(config)) => (value.clone(), self.at(config, &span)),
            _ => (default, SettingOrigin::Default),
        };
        self.origins.insert(name, origin);
        value
    }

    fn at(&self, config: &ConfigFile, span: &Range<usize>) -> SettingOrigin {
        SettingOrigin::File {
            path: config.path.clone(),
            line: config.line(span),
        }
    }

    fn set(&mut self, name: &'static str, origin: SettingOrigin) {
        self.origins.insert(name, origin);
    }
}

/// Merges `args` over `config` over defaults, and reads the suppression files they name (the
/// baseline only when `read_baseline`).
pub(super) fn merge(
    args: &CommonArgs,
    no_ignore: bool,
    root: PathBuf,
    config: Option<&ConfigFile>,
    read_baseline: bool,
) -> anyhow::Result<Settings> {
    let empty = FileSettings::default();
    let file = config.map_or(&empty, |config| &config.settings);
    let mut merger = Merger {
        file: config,
        origins: BTreeMap::new(),
    };

    let format = merger.pick("format", args.format, spanned(&file.format), Format::Text);
    let fail_on = merger.pick("fail_on", args.fail_on, spanned(&file.fail_on), FailOn::Any);
    let max_file_size = merger.pick(
        "max_file_size",
        args.max_file_size,
        spanned(&file.max_file_size),
        DEFAULT_MAX_FILE_SIZE,
    );
    let threads = merger.pick("threads", args.threads, spanned(&file.threads), 0);
    let inline_allow = merger.pick(
        "inline_allow",
        args.no_inline_allow.then_some(false),
        spanned(&file.inline_allow),
        true,
    );
    merger.set(
        "respect_ignore",
        match no_ignore {
            true => SettingOrigin::Flag,
            false => SettingOrigin::Default,
        },
    );

    let rule_paths = rule_paths(args, config, &mut merger);
    let disabled_rules = merger.pick("disable", None, spanned(&file.disable), Vec::new());
    let exclude = exclude_globs(config, &root, &mut merger)?;
    let (allowed_values, allowed_patterns) = allowlist(config, &mut merger)?;
    let verify = verify_settings(args, config, &mut merger)?;

    let file_baseline = file
        .baseline
        .as_ref()
        .zip(config)
        .map(|(written, config)| (Some(config.relative(written.get_ref())), written.span()));
    let baseline = merger.pick(
        "baseline",
        args.baseline.clone().map(Some),
        file_baseline
            .as_ref()
            .map(|(path, span)| (path, span.clone())),
        None,
    );
    let baseline_list = baseline
        .as_deref()
        .filter(|_| read_baseline)
        .map(suppress::read_baseline)
        .transpose()?;
    let ignore_list = FingerprintList::read_ignore_file(&root)?;

    Ok(Settings {
        config_file: config.map(|config| config.path.clone()),
        root,
        whole_root: true,
        format,
        output: args.output.clone(),
        rule_paths,
        disabled_rules,
        exclude,
        respect_ignore: !no_ignore,
        max_file_size,
        threads,
        show_secrets: args.show_secrets,
        baseline,
        baseline_list,
        ignore_list,
        inline_allow,
        allowed_values,
        allowed_patterns,
        verify,
        fail_on,
        origins: merger.origins,
    })
}

/// Rule files from the configuration file (relative to it) and from `--rules`, both kept.
fn rule_paths(args: &CommonArgs, config: Option<&ConfigFile>, merger: &mut Merger) -> Vec<PathBuf> {
    let from_file: Vec<PathBuf> = config
        .and_then(|config| {
            let written = config.settings.rules.as_ref()?;
            Some(
                written
                    .get_ref()
                    .iter()
                    .map(|path| config.relative(path.get_ref()))
                    .collect(),
            )
        })
        .unwrap_or_default();
    let written = config.and_then(|config| Some((config, config.settings.rules.as_ref()?)));
    let origin = match (written, args.rules.is_empty()) {
        (Some((config, rules)), true) if !from_file.is_empty() => merger.at(config, &rules.span()),
        (_, true) => SettingOrigin::Default,
        (_, false) if from_file.is_empty() => SettingOrigin::Flag,
        (_, false) => SettingOrigin::FileAndFlag,
    };
    merger.set("rules", origin);
    from_file
        .into_iter()
        .chain(args.rules.iter().cloned())
        .collect()
}

/// The exclude globs, each checked now so that a bad one names its line.
fn exclude_globs(
    config: Option<&ConfigFile>,
    root: &std::path::Path,
    merger: &mut Merger,
) -> Result<Vec<String>, ConfigError> {
    let Some((config, written)) = config.and_then(|c| Some((c, c.settings.exclude.as_ref()?)))
    else {
        merger.set("exclude", SettingOrigin::Default);
        return Ok(Vec::new());
    };
    let mut globs = Vec::new();
    for glob in written.get_ref() {
        let mut builder = ignore::overrides::OverrideBuilder::new(root);
        let added = builder.add(&format!("!{}", glob.get_ref())).map(|_| ());
        let checked = added.and_then(|()| builder.build().map(|_| ()));
        if let Err(error) = checked {
            let message = format!("invalid glob `{}`: {}", glob.get_ref(), glob_error(&error));
            return Err(config.invalid(&glob.span(), "exclude", message));
        }
        globs.push(glob.get_ref().clone());
    }
    merger.set("exclude", merger.at(config, &written.span()));
    Ok(globs)
}

fn glob_error(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

/// The `[allow]` table: exact values, and patterns that must match a whole secret.
fn allowlist(
    config: Option<&ConfigFile>,
    merger: &mut Merger,
) -> Result<(Vec<String>, Vec<regex::Regex>), ConfigError> {
    let allow = config.and_then(|config| Some((config, config.settings.allow.as_ref()?)));
    let Some((config, allow)) = allow else {
        return Ok((Vec::new(), Vec::new()));
    };
    let values = merger.pick("allow.values", None, spanned(&allow.values), Vec::new());
    let mut patterns = Vec::new();
    if let Some(written) = &allow.patterns {
        for pattern in written.get_ref() {
            let anchored = format!("^(?:{})$", pattern.get_ref());
            let compiled = regex::Regex::new(&anchored).map_err(|error| {
                let message = format!("invalid pattern `{}`: {error}", pattern.get_ref());
                config.invalid(&pattern.span(), "allow.patterns", message)
            })?;
            patterns.push(compiled);
        }
        merger.set("allow.patterns", merger.at(config, &written.span()));
    }
    Ok((values, patterns))
}

/// Verification: only `--verify` turns it on; a file found at the scan root (rather than named
/// with `--config`) cannot redirect secrets to another endpoint.
fn verify_settings(
    args: &CommonArgs,
    config: Option<&ConfigFile>,
    merger: &mut Merger,
) -> Result<VerifySettings, ConfigError> {
    let empty = Default::default();
    let file = config
        .and_then(|config| config.settings.verify.as_ref())
        .unwrap_or(&empty);
    if let (Some(config), Some(enabled)) = (config, &file.enabled) {
        let message = "a configuration file cannot turn verification on or off, because it \
                       sends secrets over the network; pass `--verify` instead"
            .to_string();
        return Err(config.invalid(&enabled.span(), "verify.enabled", message));
    }
    merger.set(
        "verify.enabled",
        match args.verify {
            true => SettingOrigin::Flag,
            false => SettingOrigin::Default,
        },
    );

    let mut file_endpoint = spanned(&file.endpoint);
    if let (Some(config), Some(_)) = (config, &file_endpoint) {
        if !config.explicit && args.verify_endpoint.is_none() {
            if args.verify {
                tracing::warn!(
                    "ignoring `verify.endpoint` in `{}`: a configuration file found in the \
                     scanned folder may not choose where secrets are sent; name it with \
                     `--config` to trust it",
                    config.path.display()
                );
            }
            file_endpoint = None;
        }
    }
    let environment = std::env::var(ENDPOINT_VARIABLE).ok();
    let endpoint = match (&args.verify_endpoint, environment) {
        (Some(flag), _) => merger.pick("verify.endpoint", Some(flag.clone()), None, String::new()),
        (None, Some(value)) => {
            merger.set(
                "verify.endpoint",
                SettingOrigin::Environment(ENDPOINT_VARIABLE),
            );
            value
        }
        _ => merger.pick(
            "verify.endpoint",
            None,
            file_endpoint,
            DEFAULT_VERIFY_ENDPOINT.to_string(),
        ),
    };

    let concurrency = merger.pick(
        "verify.concurrency",
        args.verify_concurrency,
        spanned(&file.concurrency),
        4,
    );
    let timeout = merger.pick(
        "verify.timeout",
        args.verify_timeout,
        spanned(&file.timeout),
        10.0,
    );
    if let (Some(config), Some(written)) = (config, &file.timeout) {
        let seconds = *written.get_ref();
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
            let message =
                "the timeout must be a number of seconds above 0 and at most 86400".to_string();
            return Err(config.invalid(&written.span(), "verify.timeout", message));
        }
    }
    Ok(VerifySettings {
        enabled: args.verify,
        endpoint,
        concurrency: concurrency.max(1),
        timeout: Duration::from_secs_f64(timeout.max(0.001)),
    })
}

fn spanned<T>(value: &Option<toml::Spanned<T>>) -> Option<(&T, Range<usize>)> {
    value.as_ref().map(|value| (value.get_ref(), value.span()))
}
