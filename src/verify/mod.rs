//! Live verification: asking the Cline API whether a found secret still works.
//!
//! With `--verify`, every distinct Cline secret among the active findings (`cline-api-key`,
//! `cline-account-token`) is sent once, as a Bearer token, to `GET {endpoint}/api-keys`; a 403
//! is settled with `GET {endpoint}/users/me`. Identical secrets are merged before any request,
//! a fixed pool of `--verify-concurrency` workers bounds the requests in flight, and the
//! verdict (`live`, `invalid`, `unknown`) is written into every finding holding the secret.
//! A network failure never aborts the scan: it becomes `unknown` with the reason. Suppressed
//! findings are not verified: their values are known fakes or already handled.

mod classify;
mod client;
mod endpoint;
mod keys;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use thiserror::Error;

pub use endpoint::{Endpoint, EndpointError};

use crate::config::VerifySettings;
use crate::finding::{Finding, Secret, Verification};
use classify::{classify_keys, classify_user, Class, RetryPolicy};
use client::Client;
use keys::matching_key_id;

/// The rule whose findings are Cline API keys.
pub const API_KEY_RULE: &str = "cline-api-key";
/// The rule whose findings are Cline account (WorkOS) access tokens.
pub const ACCOUNT_TOKEN_RULE: &str = "cline-account-token";
/// Environment variable setting the first retry backoff in milliseconds (tests use a small
/// one; the default is 500).
pub const BACKOFF_VARIABLE: &str = "CLINESCAN_VERIFY_BACKOFF_MS";

/// Why verification cannot start.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The endpoint URL is unusable.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The backoff variable is not a number.
    #[error("`{BACKOFF_VARIABLE}` must be a whole number of milliseconds, not `{0}`")]
    Backoff(String),
}

/// Checks the verification settings, so a bad endpoint fails before the scan starts.
pub fn check_settings(settings: &VerifySettings) -> Result<(), VerifyError> {
    if settings.enabled {
        Endpoint::parse(&settings.endpoint)?;
        retry_policy()?;
    }
    Ok(())
}

/// Verifies the Cline secrets among `findings`, when verification is enabled, and records the
/// verdict in each of them. Fails only on unusable settings, never on the network.
pub fn verify_findings(findings: &mut [Finding], settings: &VerifySettings) -> anyhow::Result<()> {
    if !settings.enabled {
        return Ok(());
    }
    let endpoint = Endpoint::parse(&settings.endpoint)?;
    let client = Client::new(&endpoint, settings.timeout, retry_policy()?);
    let jobs = group(findings);
    if jobs.is_empty() {
        tracing::debug!("no Cline secrets to verify");
        return Ok(());
    }
    let workers = settings.concurrency.clamp(1, jobs.len());
    tracing::debug!(
        "verifying {} distinct Cline secrets against `{}`, {workers} at a time",
        jobs.len(),
        endpoint.base()
    );

    let verdicts = run(&client, &endpoint, &jobs, workers);
    for (job, verdict) in jobs.iter().zip(verdicts) {
        for &index in &job.findings {
            findings[index].verification = Some(verdict.clone());
        }
    }
    Ok(())
}

/// The retry policy, with the first backoff from [`BACKOFF_VARIABLE`] when set.
fn retry_policy() -> Result<RetryPolicy, VerifyError> {
    let mut policy = RetryPolicy::default();
    if let Ok(value) = std::env::var(BACKOFF_VARIABLE) {
        let milliseconds: u64 = value
            .trim()
            .parse()
            .map_err(|_| VerifyError::Backoff(value.clone()))?;
        policy.base = Duration::from_millis(milliseconds);
    }
    Ok(policy)
}

/// What kind of Cline secret a job holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ApiKey,
    AccountToken,
}

/// One distinct secret to verify and the findings that hold it.
struct Job {
    kind: Kind,
    /// The value as found, for matching it in the key list.
    found: Secret,
    /// The value sent as Bearer token.
    bearer: Secret,
    findings: Vec<usize>,
}

/// Merges the active Cline findings by the token they would send.
fn group(findings: &[Finding]) -> Vec<Job> {
    let mut jobs: BTreeMap<Secret, Job> = BTreeMap::new();
    for (index, finding) in findings.iter().enumerate() {
        let kind = match finding.rule.id.as_str() {
            API_KEY_RULE => Kind::ApiKey,
            ACCOUNT_TOKEN_RULE => Kind::AccountToken,
            _ => continue,
        };
        let Some(secret) = finding.secret.as_ref().filter(|_| finding.is_active()) else {
            continue;
        };
        let bearer = bearer_value(kind, secret);
        let job = jobs.entry(bearer.clone()).or_insert_with(|| Job {
            kind,
            found: secret.clone(),
            bearer,
            findings: Vec::new(),
        });
        if kind == Kind::ApiKey && job.kind != Kind::ApiKey {
            job.kind = Kind::ApiKey;
            job.found = secret.clone();
        }
        job.findings.push(index);
    }
    jobs.into_values().collect()
}

/// The Bearer token for a secret. Cline clients send an account token as `workos:<JWT>`; a
/// rule may capture the token with or without that prefix, so a bare JWT gets it added.
fn bearer_value(kind: Kind, secret: &Secret) -> Secret {
    let value = secret.expose();
    let is_bare_jwt = value.starts_with("eyJ") && value.matches('.').count() == 2;
    if kind == Kind::AccountToken && is_bare_jwt {
        Secret::new(format!("workos:{value}"))
    } else {
        secret.clone()
    }
}

/// Verifies every job on `workers` threads, each doing one request at a time.
fn run(client: &Client, endpoint: &Endpoint, jobs: &[Job], workers: usize) -> Vec<Verification> {
    let next = AtomicUsize::new(0);
    let verdicts: Vec<OnceLock<Verification>> = jobs.iter().map(|_| OnceLock::new()).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(index) else {
                    break;
                };
                let verdict = check(client, endpoint, job);
                tracing::debug!(
                    "{} {}: {}",
                    kind_name(job.kind),
                    job.found,
                    describe(&verdict)
                );
                let _ = verdicts[index].set(verdict);
            });
        }
    });
    verdicts
        .into_iter()
        .map(|verdict| {
            verdict
                .into_inner()
                .unwrap_or_else(|| Verification::Unknown {
                    reason: "verification did not finish".to_string(),
                })
        })
        .collect()
}

/// Asks the API about one secret.
fn check(client: &Client, endpoint: &Endpoint, job: &Job) -> Verification {
    let answer = match client.get(&endpoint.url("api-keys"), &job.bearer) {
        Ok(answer) => answer,
        Err(reason) => return Verification::Unknown { reason },
    };
    match classify_keys(answer.status) {
        Class::Live => {
            let key_id = (answer.status == 200 && job.kind == Kind::ApiKey)
                .then(|| matching_key_id(&answer.body, job.found.expose()))
                .flatten();
            Verification::Live { key_id }
        }
        Class::Invalid => Verification::Invalid,
        Class::AskUser => check_user(client, endpoint, job),
        Class::Retry => Verification::Unknown {
            reason: format!("HTTP {}", answer.status),
        },
        Class::Unknown(reason) => Verification::Unknown { reason },
    }
}

/// Settles a 403 from the key list with `GET /users/me`.
fn check_user(client: &Client, endpoint: &Endpoint, job: &Job) -> Verification {
    match client.get(&endpoint.url("users/me"), &job.bearer) {
        Ok(answer) => match classify_user(answer.status) {
            Class::Live => Verification::Live { key_id: None },
            Class::Invalid => Verification::Invalid,
            Class::AskUser | Class::Retry => Verification::Unknown {
                reason: format!("HTTP {} from users/me", answer.status),
            },
            Class::Unknown(reason) => Verification::Unknown {
                reason: format!("{reason} from users/me"),
            },
        },
        Err(reason) => Verification::Unknown {
            reason: format!("{reason} (users/me)"),
        },
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::ApiKey => "API key",
        Kind::AccountToken => "account token",
    }
}

fn describe(verdict: &Verification) -> String {
    match verdict {
        Verification::Live { key_id: Some(id) } => format!("live (key id {id})"),
        Verification::Live { key_id: None } => "live".to_string(),
        Verification::Invalid => "invalid".to_string(),
        Verification::Unknown { reason } => format!("unknown ({reason})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_account_jwt_is_sent_with_the_workos_prefix() {
        let jwt = Secret::new("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl");
        let bearer = bearer_value(Kind::AccountToken, &jwt);
        assert_eq!(bearer.expose(), format!("workos:{}", jwt.expose()));

        let prefixed = Secret::new(format!("workos:{}", jwt.expose()));
        assert_eq!(bearer_value(Kind::AccountToken, &prefixed), prefixed);
        let key = Secret::new("sk_4f00112233445566778899aabbcc9a2c");
        assert_eq!(bearer_value(Kind::ApiKey, &key), key);
    }

    #[test]
    fn the_backoff_variable_must_be_a_number() {
        assert!(VerifyError::Backoff("x".into())
            .to_string()
            .contains(BACKOFF_VARIABLE));
    }
}
