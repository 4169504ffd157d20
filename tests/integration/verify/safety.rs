//! `--verify` safety: where the secret may go, and where it must never appear.

use tempfile::TempDir;

use super::server::{MockServer, Reply};
use super::{key_list, reason, status, verdicts, verify_scan};
use crate::common::{clinescan, write, Fake};

#[test]
fn a_redirect_is_not_followed_and_the_secret_stays_home() {
    let elsewhere = MockServer::start(|_, _| Reply::status(200).json("[]"));
    let location = format!(
        "http://localhost:{}/api/v1/api-keys",
        elsewhere.address.port()
    );
    let server = MockServer::start(move |_, _| Reply::status(302).header("Location", &location));
    let key = Fake::new(506).cline_key();
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("CLINE_API_KEY={key}\n"));

    let output = verify_scan(dir.path(), &server.endpoint(), &[]);
    let verdict = &verdicts(&output)[".env"];
    assert_eq!(status(verdict), "unknown");
    assert!(reason(verdict).contains("redirect"), "{verdict}");
    assert_eq!(server.requests().len(), 1);
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_scanning() {
    let key = Fake::new(507).cline_key();
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("CLINE_API_KEY={key}\n"));

    let output = clinescan()
        .args(["scan", "--verify"])
        .arg(dir.path())
        .env("CLINESCAN_VERIFY_ENDPOINT", "http://api.cline.bot/api/v1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`http://api.cline.bot/api/v1` must use https"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "a report was written");

    let output = verify_scan(dir.path(), "api.cline.bot", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`api.cline.bot`"));
}

#[test]
fn no_secret_reaches_stderr_or_stdout_at_any_verbosity() {
    let mut fake = Fake::new(509);
    let keys = [fake.cline_key(), fake.cline_key(), fake.cline_key()];
    let listed = keys[0].clone();
    let server = MockServer::start(move |request, _| match request.bearer() {
        token if token == listed => Reply::status(200).json(key_list("key_7", &listed)),
        _ => Reply::status(500),
    });
    let dir = TempDir::new().unwrap();
    for (index, key) in keys.iter().enumerate() {
        write(
            dir.path(),
            &format!("{index}.env"),
            format!("CLINE_API_KEY={key}\n"),
        );
    }

    for (verbosity, log) in [("-vv", None), ("-v", Some("trace"))] {
        let mut command = clinescan();
        command
            .args([
                "scan",
                "--verify",
                verbosity,
                "--verify-endpoint",
                &server.endpoint(),
            ])
            .arg(dir.path())
            .env("CLINESCAN_VERIFY_BACKOFF_MS", "1");
        if let Some(log) = log {
            command.env("CLINESCAN_LOG", log);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stdout.contains("LIVE (key id key_7)"), "{stdout}");
        assert!(
            stdout.contains("unknown (server error (HTTP 500)"),
            "{stdout}"
        );
        assert!(stderr.contains("verifying 3 distinct"), "{stderr}");
        for key in &keys {
            assert!(!stdout.contains(key.as_str()), "a secret reached stdout");
            assert!(!stderr.contains(key.as_str()), "a secret reached stderr");
            // The HTTP layer's trace would dump the request 16 bytes to a line.
            for window in key.as_bytes()[3..].windows(10) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(!stderr.contains(window), "part of a secret reached stderr");
            }
        }
    }
}

#[test]
fn https_goes_through_the_proxy_from_the_environment_but_loopback_http_does_not() {
    let proxy = MockServer::start(|_, _| Reply::status(403));
    let api = MockServer::start(|_, _| Reply::status(401));
    let key = Fake::new(510).cline_key();
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("CLINE_API_KEY={key}\n"));
    let proxy_url = format!("http://{}", proxy.address);

    let run = |endpoint: &str, no_proxy: &str| {
        clinescan()
            .args([
                "scan",
                "--verify",
                "--format",
                "json",
                "--verify-endpoint",
                endpoint,
            ])
            .arg(dir.path())
            .env("CLINESCAN_VERIFY_BACKOFF_MS", "1")
            .env("HTTPS_PROXY", &proxy_url)
            .env("HTTP_PROXY", &proxy_url)
            .env("ALL_PROXY", &proxy_url)
            .env("NO_PROXY", no_proxy)
            .output()
            .unwrap()
    };

    let output = run("https://api.example.invalid/api/v1", "");
    assert_eq!(status(&verdicts(&output)[".env"]), "unknown");
    let tunnelled = proxy.requests();
    assert!(!tunnelled.is_empty(), "the proxy was not used");
    for request in &tunnelled {
        assert_eq!(request.method, "CONNECT");
        assert_eq!(request.path, "api.example.invalid:443");
        assert!(
            request.header("authorization").is_none(),
            "the secret went to the proxy"
        );
    }

    let before = proxy.requests().len();
    let output = run("https://api.example.invalid/api/v1", "api.example.invalid");
    assert_eq!(status(&verdicts(&output)[".env"]), "unknown");
    assert_eq!(proxy.requests().len(), before, "NO_PROXY was ignored");

    let output = run(&api.endpoint(), "");
    assert_eq!(status(&verdicts(&output)[".env"]), "invalid");
    assert_eq!(
        proxy.requests().len(),
        before,
        "loopback http went through the proxy"
    );
    assert_eq!(api.requests().len(), 1);
}
