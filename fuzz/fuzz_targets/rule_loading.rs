//! Arbitrary bytes as a rule file's text: loading must return a result, never panic; a file
//! that loads must compile into a matcher whose examples can all be checked and matched.

#![no_main]

use std::path::Path;

use clinescan::rules::{check, RuleSet};
use clinescan::scan::matcher::{Matcher, Scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RuleSet::default();
    if set.add_text(Path::new("fuzz.toml"), text).is_err() {
        return;
    }
    let matcher = Matcher::new(set);
    let _ = check::check(&matcher);
    let _ = check::count_examples(&matcher);
    // Every example of every rule through the full matcher, as a scan would run it.
    let mut scratch = Scratch::default();
    let mut found = Vec::new();
    for rule in matcher.rules() {
        for example in rule.examples.iter().chain(&rule.negative_examples) {
            found.clear();
            matcher.find(
                example.text().as_bytes(),
                example.path(),
                &mut scratch,
                &mut found,
            );
            for one in &found {
                assert!(one.secret.start < one.secret.end);
                assert!(one.secret.end <= example.text().len());
                assert!(one.start <= one.end);
            }
        }
    }
});
