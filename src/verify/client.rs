//! The HTTP client: one blocking `ureq` agent, configured for safety, and a request loop that
//! retries rate limits, server errors and network failures.
//!
//! The agent never follows redirects (a redirect could carry the secret elsewhere), refuses
//! plain HTTP unless the endpoint is a loopback address, checks certificates against the
//! platform's trusted roots, and uses the `HTTPS_PROXY` / `NO_PROXY` settings for HTTPS only.
//! Error reasons are built from the error kind, never from the request, and any trace of the
//! secret is scrubbed from them all the same.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::time::{Duration, SystemTime};

use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

use super::classify::{parse_retry_after, RetryPolicy, Wait};
use super::endpoint::Endpoint;
use crate::finding::Secret;

/// The largest response body read; key lists are small.
const MAX_BODY: u64 = 1024 * 1024;

/// An HTTP answer: the status, the `Retry-After` header and the body (200 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, read only for 200 answers (and at most 1 MiB); empty otherwise.
    pub body: String,
}

/// A blocking client for one verification endpoint.
pub struct Client {
    agent: Agent,
    timeout: Duration,
    policy: RetryPolicy,
}

impl Client {
    /// A client for `endpoint` with a per-request `timeout` and retry `policy`.
    pub fn new(endpoint: &Endpoint, timeout: Duration, policy: RetryPolicy) -> Client {
        let proxy = if endpoint.is_plain_http() {
            None
        } else {
            Proxy::try_from_env()
        };
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = Agent::config_builder()
            .https_only(!endpoint.is_plain_http())
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .tls_config(tls)
            .timeout_global(Some(timeout))
            .user_agent(concat!("clinescan/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.new_agent(),
            timeout,
            policy,
        }
    }

    /// `GET url` with the secret as Bearer token, retrying 429, 5xx and network failures as
    /// the policy allows. `Err` carries the reason for an `unknown` verdict.
    pub fn get(&self, url: &str, secret: &Secret) -> Result<Answer, String> {
        let mut retry = 0;
        loop {
            let (failure, retry_after) = match self.get_once(url, secret) {
                Ok((answer, _)) if !is_retryable(answer.status) => return Ok(answer),
                Ok((answer, retry_after)) => (RetryFailure::Status(answer.status), retry_after),
                Err(reason) => (RetryFailure::Network(reason), None),
            };
            match self.policy.wait(retry, retry_after, random()) {
                Wait::For(delay) => {
                    tracing::debug!(
                        "{}; retrying in {} ms",
                        failure.describe(),
                        delay.as_millis()
                    );
                    std::thread::sleep(delay);
                    retry += 1;
                }
                Wait::GiveUp(why) => {
                    let attempts = retry + 1;
                    let mut reason = failure.exhausted(attempts);
                    if let Some(why) = why {
                        reason = format!("{}; {why}", failure.describe());
                    }
                    return Err(scrub(reason, secret));
                }
            }
        }
    }

    fn get_once(&self, url: &str, secret: &Secret) -> Result<(Answer, Option<Duration>), String> {
        let result = self
            .agent
            .get(url)
            .header("Authorization", format!("Bearer {}", secret.expose()))
            .header("X-Title", "clinescan")
            .header("Accept", "application/json")
            .call();
        let mut response = match result {
            Ok(response) => response,
            Err(error) => return Err(scrub(describe_error(&error, self.timeout), secret)),
        };
        let status = response.status().as_u16();
        tracing::trace!("GET {url}: HTTP {status}");
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = if status == 200 {
            match response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_string()
            {
                Ok(body) => body,
                Err(error) => {
                    let reason = describe_error(&error, self.timeout);
                    tracing::debug!("cannot read the key list: {}", scrub(reason, secret));
                    String::new()
                }
            }
        } else {
            String::new()
        };
        Ok((Answer { status, body }, retry_after))
    }
}

/// Why an attempt is being retried.
enum RetryFailure {
    Status(u16),
    Network(String),
}

impl RetryFailure {
    fn describe(&self) -> String {
        match self {
            RetryFailure::Status(429) => "rate limited (HTTP 429)".to_string(),
            RetryFailure::Status(status) => format!("server error (HTTP {status})"),
            RetryFailure::Network(reason) => reason.clone(),
        }
    }

    fn exhausted(&self, attempts: u32) -> String {
        format!("{}; gave up after {attempts} attempts", self.describe())
    }
}

fn is_retryable(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// A short reason for a transport error, built from its kind.
fn describe_error(error: &ureq::Error, timeout: Duration) -> String {
    match error {
        ureq::Error::Timeout(_) => format!("timed out after {}", seconds(timeout)),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused".to_string(),
            ErrorKind::ConnectionReset => "connection reset".to_string(),
            ErrorKind::ConnectionAborted => "connection aborted".to_string(),
            ErrorKind::TimedOut => format!("timed out after {}", seconds(timeout)),
            ErrorKind::UnexpectedEof => "connection closed before an answer".to_string(),
            ErrorKind::InvalidData => format!("TLS or protocol error: {io}"),
            _ => format!("network error: {io}"),
        },
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Tls(message) => format!("TLS error: {message}"),
        ureq::Error::Rustls(error) => format!("TLS error: {error}"),
        ureq::Error::ConnectProxyFailed(message) => format!("proxy failed: {message}"),
        ureq::Error::InvalidProxyUrl => "invalid proxy URL in HTTPS_PROXY".to_string(),
        ureq::Error::Protocol(error) => format!("protocol error: {error}"),
        ureq::Error::BodyExceedsLimit(_) => "answer too large".to_string(),
        other => format!("request failed: {other}"),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// Removes the secret from a message, whatever produced it.
pub fn scrub(message: String, secret: &Secret) -> String {
    let value = secret.expose();
    if value.is_empty() || !message.contains(value) {
        return message;
    }
    message.replace(value, &secret.redacted())
}

/// A random number for jitter, from the standard library's randomly keyed hasher.
fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_the_secret() {
        let secret = Secret::new("sk_0123456789abcdef0123");
        let message = scrub("bad header sk_0123456789abcdef0123 here".into(), &secret);
        assert!(!message.contains(secret.expose()), "{message}");
        assert!(message.contains(&secret.redacted()));
    }

    #[test]
    fn only_rate_limits_and_server_errors_are_retried() {
        assert!(is_retryable(429) && is_retryable(500) && is_retryable(599));
        assert!(!is_retryable(200) && !is_retryable(401) && !is_retryable(404));
    }

    #[test]
    fn jitter_numbers_vary() {
        let numbers: std::collections::HashSet<u64> = (0..8).map(|_| random()).collect();
        assert!(numbers.len() > 1);
    }
}
