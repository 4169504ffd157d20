//! `--verify` end to end: the real binary against a real HTTP server on loopback.

mod safety;
pub mod server;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};
use server::{MockServer, Reply};

/// Runs a verifying JSON scan of `dir` against `endpoint`, with a 1 ms first backoff.
fn verify_scan(dir: &Path, endpoint: &str, extra: &[&str]) -> Output {
    clinescan()
        .args([
            "scan",
            "--verify",
            "--format",
            "json",
            "--verify-endpoint",
            endpoint,
        ])
        .args(extra)
        .arg(dir)
        .env("CLINESCAN_VERIFY_BACKOFF_MS", "1")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("run clinescan")
}

/// The verification object of each finding, by path.
fn verdicts(output: &Output) -> HashMap<String, Value> {
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            let path = finding["path"].as_str().unwrap().to_string();
            (path, finding["verification"].clone())
        })
        .collect()
}

fn status(verdict: &Value) -> &str {
    verdict["status"].as_str().unwrap_or("none")
}

fn reason(verdict: &Value) -> &str {
    verdict["reason"].as_str().unwrap_or_default()
}

/// A key list in Cline's envelope holding `key` (masked) and one other key.
fn key_list(id: &str, key: &str) -> String {
    let masked = format!("{}…{}", &key[..8], &key[key.len() - 4..]);
    format!(
        r#"{{"success":true,"data":[{{"id":"other","maskedKey":"sk_ffff…0000"}},
            {{"id":"{id}","name":"laptop","maskedKey":"{masked}"}}]}}"#
    )
}

#[test]
fn each_answer_is_classified_as_documented() {
    let mut fake = Fake::new(501);
    let cases = [
        "listed", "401", "402", "403-live", "403-gone", "429", "429-date", "500", "404",
    ];
    let keys: HashMap<&str, String> = cases.iter().map(|case| (*case, fake.cline_key())).collect();
    let by_key: HashMap<String, &str> = keys
        .iter()
        .map(|(case, key)| (key.clone(), *case))
        .collect();
    let listed = keys["listed"].clone();
    let server = MockServer::start(move |request, previous| {
        let users = request.path.ends_with("/users/me");
        match (by_key.get(request.bearer()).copied().unwrap_or("?"), users) {
            ("listed", false) => Reply::status(200).json(key_list("key_42", &listed)),
            ("401", false) => Reply::status(401),
            ("402", false) => Reply::status(402),
            ("403-live", false) | ("403-gone", false) => Reply::status(403),
            ("403-live", true) => Reply::status(200).json(r#"{"success":true,"data":{}}"#),
            ("403-gone", true) => Reply::status(401),
            ("429", false) if previous == 0 => Reply::status(429).header("Retry-After", "0"),
            ("429-date", false) if previous == 0 => {
                Reply::status(429).header("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT")
            }
            ("429" | "429-date", false) => Reply::status(200).json("[]"),
            ("500", false) => Reply::status(500),
            _ => Reply::status(404),
        }
    });
    let dir = TempDir::new().unwrap();
    for (case, key) in &keys {
        write(
            dir.path(),
            &format!("{case}.env"),
            format!("CLINE_API_KEY={key}\n"),
        );
    }

    let output = verify_scan(dir.path(), &server.endpoint(), &[]);
    let verdicts = verdicts(&output);
    let verdict = |case: &str| verdicts[&format!("{case}.env")].clone();
    assert_eq!(verdict("listed")["status"], "live");
    assert_eq!(verdict("listed")["key_id"], "key_42");
    assert_eq!(status(&verdict("401")), "invalid");
    assert_eq!(status(&verdict("402")), "live");
    assert!(verdict("402").get("key_id").is_none());
    assert_eq!(status(&verdict("403-live")), "live");
    assert_eq!(status(&verdict("403-gone")), "invalid");
    assert_eq!(status(&verdict("429")), "live");
    assert_eq!(status(&verdict("429-date")), "live");
    assert_eq!(status(&verdict("500")), "unknown");
    assert!(
        reason(&verdict("500")).contains("HTTP 500"),
        "{}",
        verdict("500")
    );
    assert_eq!(status(&verdict("404")), "unknown");
    assert!(reason(&verdict("404")).contains("404"));

    let requests = server.requests();
    let count = |case: &str| {
        requests
            .iter()
            .filter(|request| request.bearer() == keys[case])
            .count()
    };
    for case in ["listed", "401", "402", "404"] {
        assert_eq!(count(case), 1, "{case}");
    }
    assert_eq!(count("403-live"), 2, "api-keys then users/me");
    assert_eq!(count("429"), 2, "one retry after the rate limit");
    assert_eq!(
        count("500"),
        4,
        "bounded retries of a persistent server error"
    );
}

#[test]
fn one_request_per_distinct_secret_with_the_polite_headers() {
    let mut fake = Fake::new(502);
    let (shared, single) = (fake.cline_key(), fake.cline_key());
    let server = MockServer::start(|_, _| Reply::status(401));
    let dir = TempDir::new().unwrap();
    for name in ["a.env", "b/c.env", "d/e/f.env"] {
        write(dir.path(), name, format!("CLINE_API_KEY={shared}\n"));
    }
    write(
        dir.path(),
        "single.env",
        format!("CLINE_API_KEY=\"{single}\"\n"),
    );

    let output = verify_scan(
        dir.path(),
        &server.endpoint(),
        &["--verify-concurrency", "8"],
    );
    assert_eq!(output.status.code(), Some(1));
    let verdicts = verdicts(&output);
    assert_eq!(verdicts.len(), 4);
    assert!(verdicts
        .values()
        .all(|verdict| status(verdict) == "invalid"));

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let user_agent = format!("clinescan/{}", env!("CARGO_PKG_VERSION"));
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/v1/api-keys");
        assert_eq!(request.header("user-agent"), Some(user_agent.as_str()));
        assert_eq!(request.header("x-title"), Some("clinescan"));
    }
    let mut sent: Vec<String> = requests
        .iter()
        .map(|request| request.header("authorization").unwrap().to_string())
        .collect();
    sent.sort();
    let mut expected = vec![format!("Bearer {shared}"), format!("Bearer {single}")];
    expected.sort();
    assert_eq!(sent, expected);
}

#[test]
fn no_more_requests_in_flight_than_the_concurrency_allows() {
    let mut fake = Fake::new(503);
    let server = MockServer::start(|_, _| {
        Reply::status(200)
            .json("[]")
            .delay(Duration::from_millis(150))
    });
    let dir = TempDir::new().unwrap();
    for index in 0..8 {
        let key = fake.cline_key();
        write(
            dir.path(),
            &format!("{index}.env"),
            format!("CLINE_API_KEY={key}\n"),
        );
    }

    let output = verify_scan(
        dir.path(),
        &server.endpoint(),
        &["--verify-concurrency", "2"],
    );
    assert!(verdicts(&output)
        .values()
        .all(|verdict| status(verdict) == "live"));
    assert_eq!(server.requests().len(), 8);
    assert_eq!(
        server.max_in_flight(),
        2,
        "two workers, each one request at a time"
    );
}

#[test]
fn a_slow_answer_times_out_and_the_scan_still_reports() {
    let key = Fake::new(504).cline_key();
    let server = MockServer::start(|_, _| Reply::status(200).delay(Duration::from_secs(3)));
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("CLINE_API_KEY={key}\n"));

    let output = verify_scan(dir.path(), &server.endpoint(), &["--verify-timeout", "0.2"]);
    assert_eq!(output.status.code(), Some(1));
    let verdict = &verdicts(&output)[".env"];
    assert_eq!(status(verdict), "unknown");
    assert!(reason(verdict).contains("timed out"), "{verdict}");
    assert_eq!(server.requests().len(), 4, "bounded retries");
}

#[test]
fn a_refused_connection_gives_unknown_not_an_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let key = Fake::new(505).cline_key();
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("CLINE_API_KEY={key}\n"));

    let endpoint = format!("http://127.0.0.1:{port}/api/v1");
    let output = verify_scan(dir.path(), &endpoint, &[]);
    assert_eq!(output.status.code(), Some(1));
    let verdict = &verdicts(&output)[".env"];
    assert_eq!(status(verdict), "unknown");
    assert!(reason(verdict).contains("connection refused"), "{verdict}");
}

#[test]
fn fail_on_live_blocks_only_live_keys() {
    let mut fake = Fake::new(508);
    let (live, revoked) = (fake.cline_key(), fake.cline_key());
    let live_token = live.clone();
    let server = MockServer::start(move |request, _| {
        Reply::status(if request.bearer() == live_token {
            200
        } else {
            401
        })
    });
    let both = TempDir::new().unwrap();
    write(both.path(), "live.env", format!("CLINE_API_KEY={live}\n"));
    write(both.path(), "old.env", format!("CLINE_API_KEY={revoked}\n"));
    let revoked_only = TempDir::new().unwrap();
    write(
        revoked_only.path(),
        ".env",
        format!("CLINE_API_KEY={revoked}\n"),
    );

    let code = |dir: &TempDir, extra: &[&str]| {
        verify_scan(dir.path(), &server.endpoint(), extra)
            .status
            .code()
    };
    assert_eq!(code(&both, &["--fail-on", "live"]), Some(1));
    assert_eq!(code(&revoked_only, &["--fail-on", "live"]), Some(0));
    assert_eq!(code(&revoked_only, &[]), Some(1));
}
