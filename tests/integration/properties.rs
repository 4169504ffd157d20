//! Property tests of the matcher through the library API: a planted secret is found with its
//! rule at the line and column an independent count gives, whatever text surrounds it; no
//! input panics; a text matched alone and embedded in a larger blob gives the same matches.

use std::sync::OnceLock;

use clinescan::rules::RuleSet;
use clinescan::scan::decode;
use clinescan::scan::matcher::{Match, Matcher, Scratch};
use proptest::prelude::*;

/// Cases per property: enough to vary every generator, few enough to keep `cargo test` fast.
/// `PROPTEST_CASES` raises it for a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(128);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| Matcher::new(RuleSet::load(&[]).expect("built-in rules load")))
}

fn find(text: &[u8]) -> Vec<Match> {
    let mut out = Vec::new();
    matcher().find(text, None, &mut Scratch::default(), &mut out);
    out
}

/// A positive example that the full rule set reports under its own rule, with what matching
/// it alone gives and whether text may share its first and last lines.
#[derive(Debug, Clone)]
struct Plant {
    rule: String,
    text: String,
    /// Matches of the example alone: (rule index, byte range of the secret).
    alone: Vec<(usize, std::ops::Range<usize>)>,
    prefix_ok: bool,
    suffix_ok: bool,
}

fn spans(matches: &[Match], shift: usize) -> Vec<(usize, std::ops::Range<usize>)> {
    matches
        .iter()
        .map(|found| {
            (
                found.rule,
                found.secret.start - shift..found.secret.end - shift,
            )
        })
        .collect()
}

/// Every positive example of every shipped rule that the full matcher attributes to that rule
/// (with the secret the example names, when it names one).
fn plants() -> &'static [Plant] {
    static PLANTS: OnceLock<Vec<Plant>> = OnceLock::new();
    PLANTS.get_or_init(|| {
        let matcher = matcher();
        let mut plants = Vec::new();
        for (index, rule) in matcher.rules().iter().enumerate() {
            for example in rule
                .examples
                .iter()
                .filter(|example| example.path().is_none())
            {
                let text = example.text().to_string();
                let alone = find(text.as_bytes());
                let own = alone.iter().any(|found| {
                    found.rule == index
                        && example
                            .secret()
                            .is_none_or(|secret| &text[found.secret.clone()] == secret)
                });
                if !own {
                    continue;
                }
                let alone = spans(&alone, 0);
                let prefixed = find(format!("x {text}").as_bytes());
                let suffixed = find(format!("{text} x").as_bytes());
                plants.push(Plant {
                    rule: rule.info.id.clone(),
                    prefix_ok: spans(&prefixed, 2) == alone,
                    suffix_ok: spans(&suffixed, 0) == alone,
                    text,
                    alone,
                });
            }
        }
        plants
    })
}

/// Filler that no rule can match: words of at most 8 characters (every secret is longer),
/// non-ASCII ones included, separated by spaces and punctuation.
fn filler() -> impl Strategy<Value = String> {
    "([a-z0-9éü中文😀Ω]{1,8}[ =:;,.(){}#/]){0,8}"
}

fn line_ending() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
}

/// Line and column of a byte offset, counted independently of the matcher: every line break
/// becomes `\n`, then lines and characters are counted on the string.
fn oracle(text: &str, offset: usize) -> (u32, u32) {
    let before = text[..offset].replace("\r\n", "\n").replace('\r', "\n");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line as u32, column as u32)
}

/// Checks the matches of one text: in bounds, sorted, disjoint, and at the oracle's places.
fn check_positions(text: &str, matches: &[Match]) -> Result<(), TestCaseError> {
    for found in matches {
        prop_assert!(found.secret.start < found.secret.end && found.secret.end <= text.len());
        let start = oracle(text, found.secret.start);
        let end = oracle(text, found.secret.end);
        prop_assert_eq!((found.start.line, found.start.column), start);
        prop_assert_eq!((found.end.line, found.end.column), end);
    }
    for pair in matches.windows(2) {
        prop_assert!(pair[0].secret.end <= pair[1].secret.start, "{:?}", pair);
    }
    Ok(())
}

#[test]
fn every_shipped_rule_has_an_example_to_plant() {
    let planted: std::collections::BTreeSet<&str> =
        plants().iter().map(|plant| plant.rule.as_str()).collect();
    for rule in matcher().rules() {
        assert!(
            planted.contains(rule.info.id.as_str()),
            "no example of `{}` is attributed to it by the full rule set",
            rule.info.id
        );
    }
    assert!(plants()
        .iter()
        .any(|plant| plant.prefix_ok && plant.suffix_ok));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_planted_example_is_found_at_its_place(
        which in any::<prop::sample::Index>(),
        before in prop::collection::vec(filler(), 0..6),
        after in prop::collection::vec(filler(), 0..6),
        prefix in filler(),
        suffix in filler(),
        ending in line_ending(),
    ) {
        let plant = which.get(plants());
        let mut text = String::new();
        for line in &before {
            text.push_str(line);
            text.push_str(ending);
        }
        if plant.prefix_ok {
            text.push_str(&prefix);
            text.push(' ');
        }
        let offset = text.len();
        text.push_str(&plant.text);
        if plant.suffix_ok {
            text.push(' ');
            text.push_str(&suffix);
        }
        for line in &after {
            text.push_str(ending);
            text.push_str(line);
        }

        let found = find(text.as_bytes());
        prop_assert_eq!(spans(&found, offset), plant.alone.clone(), "in {:?}", text);
        check_positions(&text, &found)?;
        let rules: Vec<&str> = found
            .iter()
            .map(|found| matcher().rules()[found.rule].info.id.as_str())
            .collect();
        prop_assert!(rules.contains(&plant.rule.as_str()));
    }

    #[test]
    fn a_generated_cline_key_is_found_at_its_place(
        key in "[0-9a-f]{40}",
        before in prop::collection::vec(filler(), 0..6),
        prefix in filler(),
        ending in line_ending(),
    ) {
        let key = format!("sk_{key}");
        prop_assume!(!matcher().is_placeholder(key.as_bytes()));
        prop_assume!(clinescan::scan::matcher::shannon_entropy(key.as_bytes()) >= 3.0);
        let mut text = before.join(ending);
        text.push_str(ending);
        text.push_str(&prefix);
        text.push_str(" CLINE_API_KEY=");
        let offset = text.len();
        text.push_str(&key);
        text.push_str(ending);

        let found = find(text.as_bytes());
        prop_assert_eq!(found.len(), 1, "in {:?}", text);
        prop_assert_eq!(found[0].secret.clone(), offset..offset + key.len());
        prop_assert_eq!(&matcher().rules()[found[0].rule].info.id, "cline-api-key");
        check_positions(&text, &found)?;
    }

    #[test]
    fn a_generated_bearer_token_is_found_at_its_place(
        token in "[A-Za-z0-9_-]{16,64}",
        before in prop::collection::vec(filler(), 0..6),
        ending in line_ending(),
    ) {
        prop_assume!(!token.starts_with('-') && !matcher().is_placeholder(token.as_bytes()));
        prop_assume!(clinescan::scan::matcher::shannon_entropy(token.as_bytes()) >= 3.0);
        let mut text = before.join(ending);
        text.push_str(ending);
        text.push_str("curl -H \"Authorization: Bearer ");
        let offset = text.len();
        text.push_str(&token);
        text.push_str("\" https://example.invalid");

        let found = find(text.as_bytes());
        prop_assert_eq!(found.len(), 1, "in {:?}", text);
        prop_assert_eq!(found[0].secret.clone(), offset..offset + token.len());
        prop_assert_eq!(&matcher().rules()[found[0].rule].info.id, "bearer-token");
        check_positions(&text, &found)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_matches_stay_in_bounds(
        data in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        for text in [data.clone(), decode(&data).into_owned()] {
            let found = find(&text);
            for one in &found {
                prop_assert!(one.secret.start < one.secret.end && one.secret.end <= text.len());
                prop_assert!(one.start < one.end);
            }
        }
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend_from_slice(&data);
        let decoded = decode(&utf16);
        check_positions(std::str::from_utf8(&decoded).expect("decoded UTF-16 is UTF-8"),
            &find(&decoded))?;
    }

    #[test]
    fn arbitrary_text_never_panics_and_positions_agree(text in any::<String>()) {
        check_positions(&text, &find(text.as_bytes()))?;
    }

    #[test]
    fn repeated_keywords_never_panic_and_positions_agree(
        pieces in prop::collection::vec(
            prop::sample::select(vec![
                "cline", "CLINE_API_KEY=", "Bearer ", "Authorization: ", "bearer_auth(\"",
                "sk_", "sk-or-v1-", "sk-ant-", "T3BlbkFJ", "workos:", "refresh", "api.cline.bot",
                "eyJ", "\"", "'", "\\", "\r", "\n", "\r\n", " ", "=", ":", "é", "0f1e2d3c4b5a",
                "[cline]", "apiKey: ", "value: ", "- ",
            ]),
            0..2000,
        ),
    ) {
        let text = pieces.concat();
        check_positions(&text, &find(text.as_bytes()))?;
    }

    #[test]
    fn a_text_alone_and_embedded_at_an_offset_agree(
        which in any::<prop::sample::Index>(),
        head in prop::collection::vec(filler(), 1..4),
        tail in prop::collection::vec(filler(), 1..4),
    ) {
        // A blob is matched whole (there is no chunking): matching a text on its own and as
        // a slice of a larger blob must give the same secrets, shifted by the offset.
        let plant = which.get(plants());
        let head = head.join("\n") + "\n";
        let blob = format!("{head}{}\n{}", plant.text, tail.join("\n"));
        let whole = find(blob.as_bytes());
        prop_assert_eq!(spans(&whole, head.len()), plant.alone.clone());
        let slice = &blob.as_bytes()[head.len()..head.len() + plant.text.len()];
        prop_assert_eq!(spans(&find(slice), 0), plant.alone.clone());
        let lines_before = head.matches('\n').count() as u32;
        for (embedded, alone) in whole.iter().zip(find(slice)) {
            prop_assert_eq!(embedded.start.line, alone.start.line + lines_before);
            prop_assert_eq!(embedded.end.line, alone.end.line + lines_before);
            prop_assert_eq!(embedded.start.column, alone.start.column);
        }
    }
}
