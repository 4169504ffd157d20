//! Baselines: the fingerprints of findings that were already known, read from an earlier
//! report (JSON or SARIF) or from a plain baseline file, and written as a plain file that
//! merges cleanly (sorted, one fingerprint per line, nothing that changes between runs).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::list::{is_fingerprint, FingerprintList};
use super::SuppressError;

/// The key under which SARIF output carries the content fingerprint, in
/// `results[].partialFingerprints`.
pub use crate::report::sarif::FINGERPRINT_KEY as SARIF_FINGERPRINT_KEY;

/// The first line of a written baseline. It never changes, so it never conflicts.
pub const HEADER: &str = "# clinescan baseline: one finding fingerprint per line, sorted. \
                          Regenerate with `clinescan baseline --output FILE`.";

/// Reads a baseline: a clinescan JSON report, a SARIF log, or a plain fingerprint list.
pub fn read_baseline(path: &Path) -> Result<FingerprintList, SuppressError> {
    let text = std::fs::read_to_string(path).map_err(|error| SuppressError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    if !text.trim_start().starts_with('{') {
        return FingerprintList::parse(path, &text);
    }
    let invalid = |message: String| SuppressError::Report {
        path: path.to_path_buf(),
        message,
    };
    let document: Value =
        serde_json::from_str(&text).map_err(|error| invalid(format!("not valid JSON: {error}")))?;
    let (fingerprints, results) = if let Some(runs) = document.get("runs") {
        sarif_fingerprints(runs)
    } else if let Some(findings) = document.get("findings").and_then(Value::as_array) {
        let found = findings
            .iter()
            .filter_map(|finding| finding.get("fingerprint")?.as_str())
            .map(str::to_string);
        (found.collect::<Vec<_>>(), findings.len())
    } else {
        return Err(invalid(
            "neither a clinescan JSON report (`findings`) nor a SARIF log (`runs`)".into(),
        ));
    };
    if fingerprints.len() < results {
        return Err(invalid(format!(
            "{} of {results} findings carry no clinescan fingerprint; use a report written \
             by clinescan",
            results - fingerprints.len()
        )));
    }
    let mut list = FingerprintList {
        path: path.to_path_buf(),
        entries: Default::default(),
    };
    for fingerprint in fingerprints {
        if !is_fingerprint(&fingerprint) {
            return Err(invalid(format!(
                "`{}` is not a finding fingerprint",
                crate::finding::Secret::new(fingerprint.as_str()).redacted()
            )));
        }
        list.entries.insert(fingerprint.to_ascii_lowercase(), 0);
    }
    Ok(list)
}

/// The clinescan fingerprints of every result of every run, and how many results there were.
fn sarif_fingerprints(runs: &Value) -> (Vec<String>, usize) {
    let results: Vec<&Value> = runs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|run| run.get("results")?.as_array())
        .flatten()
        .collect();
    let fingerprints = results
        .iter()
        .filter_map(|result| {
            let value = result
                .get("partialFingerprints")?
                .get(SARIF_FINGERPRINT_KEY)?;
            Some(value.as_str()?.to_string())
        })
        .collect();
    (fingerprints, results.len())
}

/// The text of a baseline file holding these fingerprints: the header, then each fingerprint
/// once, sorted.
pub fn render<'a>(fingerprints: impl IntoIterator<Item = &'a str>) -> String {
    let sorted: BTreeSet<&str> = fingerprints.into_iter().collect();
    let mut text = String::with_capacity(HEADER.len() + 1 + sorted.len() * 33);
    text.push_str(HEADER);
    text.push('\n');
    for fingerprint in sorted {
        text.push_str(fingerprint);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn rendering_sorts_and_deduplicates_and_reads_back() {
        let text = render([B, A, B]);
        assert_eq!(text, format!("{HEADER}\n{A}\n{B}\n"));
        let list = FingerprintList::parse(Path::new("b"), &text).unwrap();
        assert!(list.contains(A) && list.contains(B) && list.entries.len() == 2);
    }

    #[test]
    fn sarif_results_without_our_fingerprint_are_counted() {
        let runs = serde_json::json!([{ "results": [
            { "partialFingerprints": { SARIF_FINGERPRINT_KEY: A } },
            { "partialFingerprints": { "other/v1": B } },
        ]}]);
        assert_eq!(sarif_fingerprints(&runs), (vec![A.to_string()], 2));
    }
}
