//! A scanner that never leaks what it finds: every scan mode, in every output format, to
//! stdout and to a file, at `-vv` and at `CLINESCAN_LOG=trace`, over generated fake secrets of
//! every shipped rule; no secret (nor 8 characters of its random part) may appear in stdout,
//! stderr or a written file unless `--show-secrets`, and then only in the report. Also: a panic
//! is one line without its payload, and configuration errors never echo an allowlisted value.

use std::path::Path;
use std::process::Output;

use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};
use crate::repo::TestRepo;
use crate::verify::server::{MockServer, Reply};

/// A planted fake secret: its full value and the random parts that must never show.
struct Planted {
    rule: &'static str,
    full: String,
    random: Vec<String>,
}

const HEX: &str = "0123456789abcdef";

/// One file per shipped rule, each holding a fresh fake secret of that rule's shape.
fn plant(fake: &mut Fake) -> Vec<(&'static str, String, Planted)> {
    let cline = fake.string(HEX, 40);
    let bearer = fake.token(40);
    let (header, payload, signature) = (fake.token(30), fake.token(60), fake.token(43));
    let refresh = fake.token(26);
    let openrouter = fake.string(HEX, 64);
    let anthropic = fake.token(93);
    let (openai_head, openai_tail) = (fake.token(40), fake.token(40));
    let planted = |rule, full: String, random: &[&String]| Planted {
        rule,
        full,
        random: random.iter().map(|part| part.to_string()).collect(),
    };
    vec![
        (
            "deploy.sh",
            format!("export CLINE_API_KEY=sk_{cline}\n"),
            planted("cline-api-key", format!("sk_{cline}"), &[&cline]),
        ),
        (
            "client.sh",
            format!("curl -H \"Authorization: Bearer {bearer}\" https://api.example.com/v1\n"),
            planted("bearer-token", bearer.clone(), &[&bearer]),
        ),
        (
            "state/session.json",
            format!("{{\"accessToken\": \"workos:eyJ{header}.eyJ{payload}.{signature}\"}}\n"),
            planted(
                "cline-account-token",
                format!("workos:eyJ{header}.eyJ{payload}.{signature}"),
                &[&header, &payload, &signature],
            ),
        ),
        (
            "state/providers.json",
            format!("{{\"cline\": {{\"auth\": {{\"refreshToken\": \"{refresh}\"}}}}}}\n"),
            planted("cline-refresh-token", refresh.clone(), &[&refresh]),
        ),
        (
            "keys/openrouter.txt",
            format!("OPENROUTER_API_KEY=sk-or-v1-{openrouter}\n"),
            planted(
                "openrouter-api-key",
                format!("sk-or-v1-{openrouter}"),
                &[&openrouter],
            ),
        ),
        (
            "keys/anthropic.txt",
            format!("ANTHROPIC_API_KEY=\"sk-ant-api03-{anthropic}AA\"\n"),
            planted(
                "anthropic-api-key",
                format!("sk-ant-api03-{anthropic}AA"),
                &[&anthropic],
            ),
        ),
        (
            "keys/openai.txt",
            format!("OPENAI_API_KEY=\"sk-proj-{openai_head}T3BlbkFJ{openai_tail}\"\n"),
            planted(
                "openai-api-key",
                format!("sk-proj-{openai_head}T3BlbkFJ{openai_tail}"),
                &[&openai_head, &openai_tail],
            ),
        ),
    ]
}

/// A repository whose first commit adds every fixture and whose second deletes them; the
/// fixtures are then written and staged again, so `scan`, `history` and `staged` all find
/// every secret.
fn fixture_repo(seed: u64) -> (TestRepo, Vec<Planted>) {
    let mut repo = TestRepo::new();
    let files = plant(&mut Fake::new(seed));
    for (path, contents, _) in &files {
        repo.stage(path, contents);
    }
    repo.commit("add the configuration");
    for (path, _, _) in &files {
        repo.remove(path);
    }
    repo.commit("remove the configuration");
    for (path, contents, _) in &files {
        repo.stage(path, contents);
    }
    let planted = files.into_iter().map(|(_, _, planted)| planted).collect();
    (repo, planted)
}

/// Fails when any secret, or 8 characters in a row of its random part, is in `text`.
fn assert_no_leak(context: &str, text: &str, planted: &[Planted]) {
    for secret in planted {
        assert!(
            !text.contains(&secret.full),
            "{context}: the full `{}` secret leaked:\n{text}",
            secret.rule
        );
        for part in &secret.random {
            for window in part.as_bytes().windows(8) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(
                    !text.contains(window),
                    "{context}: `{window}` of the `{}` secret leaked:\n{text}",
                    secret.rule
                );
            }
        }
    }
}

/// How logging is turned up for a run.
#[derive(Clone, Copy, Debug)]
enum Logging {
    Verbose,
    Trace,
}

/// Runs clinescan with `args`, logging turned up, and returns its output and the report file
/// (when `to_file`).
fn run(args: &[&str], logging: Logging, to_file: bool, extra_env: &[(&str, &str)]) -> Captured {
    let out = TempDir::new().unwrap();
    let report = out.path().join("report");
    let mut command = clinescan();
    command.args(args);
    if to_file {
        command.arg("--output").arg(&report);
    }
    match logging {
        Logging::Verbose => command.arg("-vv"),
        Logging::Trace => command.env("CLINESCAN_LOG", "trace"),
    };
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let output = command.output().expect("run clinescan");
    let file = to_file.then(|| std::fs::read_to_string(&report).expect("the report is written"));
    Captured { output, file }
}

struct Captured {
    output: Output,
    file: Option<String>,
}

impl Captured {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The report: the file when one was written, else stdout.
    fn report(&self) -> String {
        self.file.clone().unwrap_or_else(|| self.stdout())
    }

    fn everything(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}\n--- file\n{}",
            self.stdout(),
            self.stderr(),
            self.file.as_deref().unwrap_or("")
        )
    }
}

const FORMATS: [&str; 3] = ["text", "json", "sarif"];

/// Every mode, format, destination and logging, with and without `--show-secrets`.
fn every_run(
    modes: &[(&str, Vec<String>)],
    planted: &[Planted],
    extra_env: &[(&str, &str)],
    expect_code: i32,
) {
    for (mode, mode_args) in modes {
        for format in FORMATS {
            for to_file in [false, true] {
                for logging in [Logging::Verbose, Logging::Trace] {
                    let mut args: Vec<&str> = mode_args.iter().map(String::as_str).collect();
                    args.extend(["--format", format]);
                    let context = format!("{mode} --format {format} {logging:?} file={to_file}");
                    let hidden = run(&args, logging, to_file, extra_env);
                    assert_eq!(
                        hidden.output.status.code(),
                        Some(expect_code),
                        "{context}\n{}",
                        hidden.everything()
                    );
                    assert_no_leak(&context, &hidden.everything(), planted);

                    args.push("--show-secrets");
                    let shown = run(&args, logging, to_file, extra_env);
                    let context = format!("{context} --show-secrets");
                    let report = shown.report();
                    for secret in planted {
                        assert!(
                            report.contains(&secret.full),
                            "{context}: the `{}` secret is missing:\n{report}",
                            secret.rule
                        );
                    }
                    // Logs never carry a secret, whatever the report shows.
                    assert_no_leak(&context, &shown.stderr(), planted);
                    if to_file {
                        assert_no_leak(&context, &shown.stdout(), planted);
                    }
                }
            }
        }
    }
}

#[test]
fn no_scan_mode_format_or_log_level_leaks_a_secret() {
    let (repo, planted) = fixture_repo(701);
    let path = repo.path().display().to_string();
    let modes = [
        ("scan", vec!["scan".to_string(), path.clone()]),
        ("history", vec!["history".to_string(), path.clone()]),
        ("staged", vec!["staged".to_string(), path.clone()]),
    ];
    every_run(&modes, &planted, &[], 1);
}

#[test]
fn verification_against_a_server_leaks_no_secret() {
    let (repo, planted) = fixture_repo(702);
    // Every key is live, listed with a masked value as Cline's API lists it.
    let server = MockServer::start(|request, _| {
        let token = request.bearer();
        let masked = format!("{}…{}", &token[..8.min(token.len())], "0000");
        Reply::status(200).json(format!(
            r#"{{"success":true,"data":[{{"id":"key_1","name":"laptop","maskedKey":"{masked}"}}]}}"#
        ))
    });
    let endpoint = server.endpoint();
    let path = repo.path().display().to_string();
    let args = ["scan", "--verify", "--verify-endpoint", &endpoint, &path];
    let modes = [("scan --verify", args.map(str::to_string).to_vec())];
    let environment = [("CLINESCAN_VERIFY_BACKOFF_MS", "1")];
    every_run(&modes, &planted, &environment, 1);
    assert!(
        !server.requests().is_empty(),
        "the secrets were sent for verification"
    );
}

#[test]
fn a_baseline_holds_fingerprints_and_never_a_secret() {
    let (repo, planted) = fixture_repo(703);
    let path = repo.path().display().to_string();
    for to_file in [false, true] {
        for logging in [Logging::Verbose, Logging::Trace] {
            for show in [false, true] {
                let mut args = vec!["baseline", path.as_str()];
                if show {
                    args.push("--show-secrets");
                }
                let captured = run(&args, logging, to_file, &[]);
                let context = format!("baseline {logging:?} file={to_file} show={show}");
                // A header line, then one fingerprint per finding.
                assert!(
                    captured.report().lines().count() > planted.len(),
                    "{context}: no baseline written\n{}",
                    captured.everything()
                );
                assert_no_leak(&context, &captured.everything(), &planted);
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn a_report_with_secrets_is_readable_by_its_owner_only_even_when_it_existed() {
    use std::os::unix::fs::PermissionsExt;

    let (repo, _) = fixture_repo(704);
    let out = TempDir::new().unwrap();
    let fresh = out.path().join("fresh.json");
    let existing = out.path().join("existing.json");
    std::fs::write(&existing, "old").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    for report in [&fresh, &existing] {
        clinescan()
            .args(["scan", "--show-secrets", "--format", "json", "--output"])
            .arg(report)
            .arg(repo.path())
            .assert()
            .code(1);
        let mode = std::fs::metadata(report).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", report.display());
    }
}

/// Runs a scan with the debug-build panic hook on; returns the output.
fn panicking_scan(args: &[&str], dir: &Path) -> Output {
    clinescan()
        .args(args)
        .arg(dir)
        .env("CLINESCAN_TEST_PANIC_ON_BLOB", "1")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run clinescan")
}

#[test]
fn a_panic_is_one_line_without_its_payload_and_exit_code_2() {
    let (repo, planted) = fixture_repo(705);
    for mode in ["scan", "history", "staged"] {
        let output = panicking_scan(&[mode], repo.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{mode}: {stderr}");
        assert!(stderr.contains("internal error"), "{mode}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{mode}: {stderr}");
        assert!(!stderr.contains("test hook"), "{mode}: {stderr}");
        assert_no_leak(mode, &stderr, &planted);
        assert_no_leak(mode, &String::from_utf8_lossy(&output.stdout), &planted);
    }
}

#[test]
fn configuration_errors_never_echo_an_allowlisted_value() {
    let secret = format!("sk_{}", Fake::new(706).string(HEX, 40));
    let planted = [Planted {
        rule: "allow.values",
        full: secret.clone(),
        random: vec![secret[3..].to_string()],
    }];
    let broken = [
        format!("[allow]\nvalues = [\"{secret}\" \"other\"]\n"),
        format!("[allow]\nvalues = \"{secret}\"\n"),
        format!("[allow]\nvalues = [\"{secret}\", 3]\n"),
        format!("[allow]\nvalues = [\"{secret}\"]\nvalues = [\"{secret}\"]\n"),
        format!("[allow]\nvalue = [\"{secret}\"]\n"),
        format!("[allow]\nvalues = [\"{secret}\\q\"]\n"),
        format!("[allow]\nvalues = [\"{secret}\n"),
        format!("[allow]\nvalues = [{secret}]\n"),
        format!("[allow]\n{secret} = 1\n"),
        format!("{secret} = 1\n"),
        format!("[allow.{secret}]\n"),
    ];
    for text in broken {
        let dir = TempDir::new().unwrap();
        write(dir.path(), ".clinescan.toml", &text);
        write(dir.path(), "clean.txt", "nothing here\n");
        for args in [vec!["scan", "-vv"], vec!["config"]] {
            let output = clinescan()
                .args(&args)
                .arg(dir.path())
                .env("CLINESCAN_LOG", "trace")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context = format!("{args:?} over {text:?}");
            assert_eq!(output.status.code(), Some(2), "{context}: {stderr}");
            assert!(stderr.contains(".clinescan.toml"), "{context}: {stderr}");
            assert_no_leak(&context, &stderr, &planted);
            assert_no_leak(&context, &String::from_utf8_lossy(&output.stdout), &planted);
        }
    }
}

#[test]
fn a_secret_pasted_into_the_ignore_file_or_a_baseline_is_not_echoed() {
    let secret = format!("sk_{}", Fake::new(707).string(HEX, 40));
    let planted = [Planted {
        rule: "ignore file",
        full: secret.clone(),
        random: vec![secret[3..].to_string()],
    }];
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".clinescanignore",
        format!("{secret}  # the test key\n"),
    );
    write(dir.path(), "clean.txt", "nothing here\n");
    let baseline = dir.path().join("baseline.json");
    let report = format!(r#"{{"findings": [{{"fingerprint": "{secret}"}}]}}"#);
    std::fs::write(&baseline, report).unwrap();

    let ignore_file = clinescan()
        .args(["scan", "-vv"])
        .arg(dir.path())
        .output()
        .unwrap();
    std::fs::remove_file(dir.path().join(".clinescanignore")).unwrap();
    let with_baseline = clinescan()
        .args(["scan", "-vv", "--baseline"])
        .arg(&baseline)
        .arg(dir.path())
        .output()
        .unwrap();
    for (what, output) in [("ignore file", ignore_file), ("baseline", with_baseline)] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("not a finding fingerprint"),
            "{what}: {stderr}"
        );
        assert_no_leak(what, &stderr, &planted);
    }
}
