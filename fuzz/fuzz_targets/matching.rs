//! Arbitrary bytes matched with the built-in rules, as they are and through the UTF-16 decode
//! path: no panic, and every match lies inside the text with a consistent position.

#![no_main]

use std::sync::OnceLock;

use clinescan::rules::RuleSet;
use clinescan::scan::matcher::{line_at, Matcher, Scratch};
use clinescan::scan::{decode, is_binary};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| Matcher::new(RuleSet::load(&[]).expect("built-in rules load")))
}

fn scan(text: &[u8]) {
    let matcher = matcher();
    let mut found = Vec::new();
    matcher.find(text, None, &mut Scratch::default(), &mut found);
    for one in &found {
        assert!(one.secret.start < one.secret.end && one.secret.end <= text.len());
        assert!(
            one.start < one.end,
            "{:?} does not end after it starts",
            one
        );
        assert!(one.start.line >= 1 && one.start.column >= 1);
        let _ = line_at(text, one.secret.start);
        let _ = String::from_utf8_lossy(&text[one.secret.clone()]);
    }
    for pair in found.windows(2) {
        assert!(
            pair[0].secret.start <= pair[1].secret.start,
            "matches are sorted"
        );
        assert!(
            pair[0].secret.end <= pair[1].secret.start,
            "matches do not overlap"
        );
    }
    let _ = matcher.find_with_rule(found.first().map_or(0, |one| one.rule), text, Some("x.env"));
}

fuzz_target!(|data: &[u8]| {
    let _ = is_binary(data);
    scan(data);
    let decoded = decode(data);
    scan(&decoded);
    // The same bytes as UTF-16 with a byte-order mark, both orders.
    for mark in [[0xFF, 0xFE], [0xFE, 0xFF]] {
        let mut utf16 = mark.to_vec();
        utf16.extend_from_slice(data);
        scan(&decode(&utf16));
    }
});
