//! The one compiled matcher that every source shares: it turns a blob's bytes into matches.
//!
//! A case-insensitive keyword automaton runs over the blob first (and stops as soon as every
//! rule is triggered); only the rules whose keywords occur run their regular expressions. Each
//! candidate then passes the filters: the shared placeholder list, unsigned JWTs, the rule's
//! minimum entropy, the pattern's veto on its line and the pattern's (or rule's) context
//! nearby. Where secrets found by several rules overlap, the highest priority keeps the place.
//! Positions are computed only for what survives, in one forward pass over the text.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::jwt;
use crate::rules::{Pattern, Rule, RuleSet};

/// A line and column, both counted from 1; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line number; a line ends at `\n`, `\r\n` or a lone `\r`.
    pub line: u32,
    /// Character (Unicode scalar value) offset in the line, plus one.
    pub column: u32,
}

/// A secret found by one rule in one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in [`Matcher::rules`].
    pub rule: usize,
    /// Byte range of the secret in the scanned text.
    pub secret: Range<usize>,
    /// Where the secret starts.
    pub start: Position,
    /// Where the secret ends (the column after its last character).
    pub end: Position,
}

/// Reusable per-thread buffers, so that scanning a blob allocates nothing in the common case.
#[derive(Debug, Default)]
pub struct Scratch {
    triggered: Vec<bool>,
    candidates: Vec<Candidate>,
}

#[derive(Debug, Clone)]
struct Candidate {
    rule: usize,
    priority: i32,
    secret: Range<usize>,
}

/// The compiled rule set with its keyword prefilter.
#[derive(Debug)]
pub struct Matcher {
    rules: RuleSet,
    keywords: Option<AhoCorasick>,
    /// For each keyword of the automaton, the rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: they run on every blob.
    unconditional: Vec<usize>,
}

impl Matcher {
    /// Builds the keyword automaton for a rule set.
    pub fn new(rules: RuleSet) -> Matcher {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unconditional = Vec::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unconditional.push(index);
            }
            for keyword in &rule.keywords {
                match keywords.iter().position(|known| known == keyword) {
                    Some(slot) => keyword_rules[slot].push(index),
                    None => {
                        keywords.push(keyword.clone());
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        let automaton = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&keywords)
                .expect("keywords are plain literals of bounded size")
        });
        Matcher {
            rules,
            keywords: automaton,
            keyword_rules,
            unconditional,
        }
    }

    /// The compiled rules, in the order that [`Match::rule`] indexes.
    pub fn rules(&self) -> &[Rule] {
        &self.rules.rules
    }

    /// The full rule set, with its placeholder filters.
    pub fn rule_set(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds every secret in `text`, appending matches sorted by position to `out`.
    ///
    /// `path` limits rules that have path globs; with `None` every rule runs, and the caller
    /// must apply [`Rule::applies_to`] to each path the text is known under.
    pub fn find(
        &self,
        text: &[u8],
        path: Option<&str>,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        scratch.triggered.clear();
        scratch.triggered.resize(self.rules.rules.len(), false);
        for &index in &self.unconditional {
            scratch.triggered[index] = true;
        }
        if let Some(automaton) = &self.keywords {
            let mut untriggered = self.rules.rules.len() - self.unconditional.len();
            for found in automaton.find_overlapping_iter(text) {
                for &index in &self.keyword_rules[found.pattern().as_usize()] {
                    if !scratch.triggered[index] {
                        scratch.triggered[index] = true;
                        untriggered -= 1;
                    }
                }
                if untriggered == 0 {
                    break;
                }
            }
        }

        scratch.candidates.clear();
        for (index, rule) in self.rules.rules.iter().enumerate() {
            if !scratch.triggered[index] || path.is_some_and(|path| !rule.applies_to(path)) {
                continue;
            }
            self.collect(index, rule, text, &mut scratch.candidates);
        }
        resolve_overlaps(&mut scratch.candidates);
        locate(text, &scratch.candidates, out);
    }

    /// Finds the secrets that one rule alone reports in `text`, ignoring every other rule.
    pub fn find_with_rule(&self, rule: usize, text: &[u8], path: Option<&str>) -> Vec<Match> {
        let mut candidates = Vec::new();
        let compiled = &self.rules.rules[rule];
        if path.is_none_or(|path| compiled.applies_to(path)) {
            self.collect(rule, compiled, text, &mut candidates);
        }
        resolve_overlaps(&mut candidates);
        let mut out = Vec::new();
        locate(text, &candidates, &mut out);
        out
    }

    /// Whether a secret is a documentation placeholder according to the shared filters.
    pub fn is_placeholder(&self, secret: &[u8]) -> bool {
        self.rules
            .placeholders
            .iter()
            .any(|placeholder| placeholder.pattern.is_match(secret))
    }

    fn collect(&self, index: usize, rule: &Rule, text: &[u8], out: &mut Vec<Candidate>) {
        for pattern in &rule.patterns {
            for captures in pattern.regex.captures_iter(text) {
                let (Some(whole), Some(secret)) = (captures.get(0), captures.name("secret")) else {
                    continue;
                };
                let secret = trim_secret(text, secret.range());
                if secret.is_empty() || !self.accepts(rule, pattern, text, &secret, whole.range()) {
                    continue;
                }
                out.push(Candidate {
                    rule: index,
                    priority: rule.priority,
                    secret,
                });
            }
        }
    }

    fn accepts(
        &self,
        rule: &Rule,
        pattern: &Pattern,
        text: &[u8],
        secret: &Range<usize>,
        whole: Range<usize>,
    ) -> bool {
        let value = &text[secret.clone()];
        if self.is_placeholder(value) || jwt::is_unsigned(value) {
            return false;
        }
        if rule
            .min_entropy
            .is_some_and(|minimum| shannon_entropy(value) < minimum)
        {
            return false;
        }
        if let Some(veto) = &pattern.veto {
            if veto.is_match(line_at(text, secret.start)) {
                return false;
            }
        }
        match &pattern.context {
            Some(context) => {
                let window = line_window(text, whole, context.lines);
                context.pattern.is_match(&text[window])
            }
            None => true,
        }
    }
}

/// Drops the quotes, backslashes and carriage returns that a loose pattern may have taken in.
fn trim_secret(text: &[u8], mut range: Range<usize>) -> Range<usize> {
    let is_edge = |byte: u8| matches!(byte, b'"' | b'\'' | b'`' | b'\\' | b'\r' | b'\n');
    while range.start < range.end && is_edge(text[range.end - 1]) {
        range.end -= 1;
    }
    while range.start < range.end && is_edge(text[range.start]) {
        range.start += 1;
    }
    range
}

/// Keeps one candidate per place: among overlapping secrets, the highest priority wins and,
/// at equal priority, the one found first (earlier rule, then earlier start).
fn resolve_overlaps(candidates: &mut Vec<Candidate>) {
    if candidates.len() < 2 {
        return;
    }
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for candidate in candidates.drain(..) {
        let overlapping = kept.iter().position(|other| {
            candidate.secret.start < other.secret.end && other.secret.start < candidate.secret.end
        });
        match overlapping {
            Some(slot) if candidate.priority > kept[slot].priority => kept[slot] = candidate,
            Some(_) => {}
            None => kept.push(candidate),
        }
    }
    kept.sort_by_key(|candidate| (candidate.secret.start, candidate.rule));
    *candidates = kept;
}

/// Turns byte ranges (sorted by start) into matches with line and column positions.
fn locate(text: &[u8], candidates: &[Candidate], out: &mut Vec<Match>) {
    let mut cursor = LineCursor::default();
    for candidate in candidates {
        let start = cursor.position(text, candidate.secret.start);
        let end = LineCursor { ..cursor }.position(text, candidate.secret.end);
        out.push(Match {
            rule: candidate.rule,
            secret: candidate.secret.clone(),
            start,
            end,
        });
    }
}

/// Walks forward through a text counting line breaks, so that positions of sorted offsets
/// cost one pass over the text in all.
#[derive(Debug, Clone, Copy)]
struct LineCursor {
    offset: usize,
    line: u32,
    line_start: usize,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor {
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }
}

impl LineCursor {
    fn position(&mut self, text: &[u8], target: usize) -> Position {
        for found in memchr::memchr2_iter(b'\n', b'\r', &text[self.offset..target]) {
            let at = self.offset + found;
            // A `\r` directly followed by `\n` is one line break, counted at the `\n`.
            if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            self.line_start = at + 1;
        }
        self.offset = target;
        let column = text[self.line_start..target]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        Position {
            line: self.line,
            column: column as u32 + 1,
        }
    }
}

/// The byte range from `lines` lines before `range` to `lines` lines after it, where a line
/// ends at `\n`, `\r\n` or a lone `\r` (as positions count them).
fn line_window(text: &[u8], range: Range<usize>, lines: u32) -> Range<usize> {
    let mut start = range.start;
    for _ in 0..=lines {
        match memchr::memrchr2(b'\n', b'\r', &text[..start]) {
            // Step over a whole `\r\n`, so that it counts as one break.
            Some(at) if at > 0 && text[at] == b'\n' && text[at - 1] == b'\r' => start = at - 1,
            Some(at) if at > 0 => start = at,
            _ => {
                start = 0;
                break;
            }
        }
    }
    let mut end = range.end;
    for _ in 0..=lines {
        match memchr::memchr2(b'\n', b'\r', &text[end..]) {
            Some(at) => {
                end += at + 1;
                if text[end - 1] == b'\r' && text.get(end) == Some(&b'\n') {
                    end += 1;
                }
            }
            None => {
                end = text.len();
                break;
            }
        }
    }
    start..end.min(text.len())
}

/// Shannon entropy of the bytes, in bits per byte.
pub fn shannon_entropy(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &byte in value {
        counts[byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let share = f64::from(count) / length;
            -share * share.log2()
        })
        .sum()
}

/// The text of the line holding `offset`, without its line break.
pub fn line_at(text: &[u8], offset: usize) -> &[u8] {
    let is_break = |byte: &u8| *byte == b'\n' || *byte == b'\r';
    let start = text[..offset]
        .iter()
        .rposition(is_break)
        .map_or(0, |at| at + 1);
    let end = text[offset..]
        .iter()
        .position(is_break)
        .map_or(text.len(), |at| offset + at);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::rules::check;

    fn matcher(rules: &str) -> Matcher {
        let mut set = RuleSet::default();
        set.add_text(Path::new("test.toml"), rules).unwrap();
        Matcher::new(set)
    }

    const RULES: &str = r#"
        [[rule]]
        id = "generic"
        name = "Generic"
        description = "d"
        severity = "medium"
        pattern = 'Bearer (?P<secret>[A-Za-z0-9_]{12,})'
        keywords = ["bearer"]
        priority = -10
        examples = ["Bearer abcdefghijkl1"]
        negative_examples = ["Bearer short"]

        [[rule]]
        id = "specific"
        name = "Specific"
        description = "d"
        severity = "critical"
        pattern = '(?P<secret>sk_[a-f0-9]{12,})'
        keywords = ["sk_"]
        min_entropy = 2.5
        examples = ["sk_0123456789abcdef"]
        negative_examples = ["sk_000000000000000"]

        [[rule]]
        id = "near"
        name = "Near"
        description = "d"
        severity = "high"
        pattern = 'token: (?P<secret>[a-z0-9]{10,})'
        context = { pattern = 'host: api\.example', lines = 1 }
        examples = ["host: api.example\ntoken: abcdef12345"]
        negative_examples = ["token: abcdef12345"]

        [[placeholder]]
        id = "your"
        pattern = '(?i)^your'
        examples = ["YOUR_TOKEN_123"]
    "#;

    fn ids(matcher: &Matcher, text: &str) -> Vec<(String, String, u32, u32)> {
        let mut out = Vec::new();
        matcher.find(text.as_bytes(), None, &mut Scratch::default(), &mut out);
        out.iter()
            .map(|found| {
                let secret = &text[found.secret.clone()];
                let id = matcher.rules()[found.rule].info.id.clone();
                (id, secret.to_string(), found.start.line, found.start.column)
            })
            .collect()
    }

    #[test]
    fn specific_rule_wins_over_generic_on_the_same_secret() {
        let matcher = matcher(RULES);
        let found = ids(&matcher, "x\nAuthorization: Bearer sk_0123456789abcdef\n");
        assert_eq!(
            found,
            vec![("specific".into(), "sk_0123456789abcdef".into(), 2, 23)]
        );
    }

    #[test]
    fn low_entropy_and_placeholders_are_dropped() {
        let matcher = matcher(RULES);
        assert!(ids(&matcher, "sk_000000000000000").is_empty());
        assert!(ids(&matcher, "Bearer YOUR_TOKEN_123").is_empty());
    }

    #[test]
    fn context_must_be_within_the_window() {
        let matcher = matcher(RULES);
        let near = "host: api.example\ntoken: abcdef12345\n";
        assert_eq!(ids(&matcher, near).len(), 1);
        for ending in ["\n", "\r\n", "\r"] {
            let near = format!("host: api.example{ending}token: abcdef12345{ending}");
            assert_eq!(ids(&matcher, &near).len(), 1, "{near:?}");
            let far = format!("host: api.example{}token: abcdef12345", ending.repeat(4));
            assert!(ids(&matcher, &far).is_empty(), "{far:?}");
        }
    }

    #[test]
    fn positions_count_crlf_and_lone_cr_as_one_break_and_columns_in_characters() {
        let matcher = matcher(RULES);
        let text = "a\r\nb\rcé sk_0123456789abcdef\r\n";
        assert_eq!(
            ids(&matcher, text),
            vec![("specific".into(), "sk_0123456789abcdef".into(), 3, 4)]
        );
    }

    #[test]
    fn line_anchors_in_a_context_see_crlf_and_lone_cr_line_breaks() {
        let matcher = matcher(
            r#"
            [[rule]]
            id = "section"
            name = "Section"
            description = "d"
            severity = "high"
            pattern = 'key = (?P<secret>[a-z0-9]{10,})'
            context = { pattern = '(?m)^\[acme\]$', lines = 2 }
            examples = ["[acme]\nkey = abcdef12345"]
            negative_examples = ["[other]\nkey = abcdef12345"]
        "#,
        );
        for ending in ["\n", "\r\n", "\r"] {
            let text = format!("x{ending}[acme]{ending}key = abcdef12345{ending}y");
            assert_eq!(ids(&matcher, &text).len(), 1, "{text:?}");
        }
    }

    #[test]
    fn column_is_right_deep_in_a_long_minified_line() {
        let matcher = matcher(RULES);
        let text = format!("{}sk_0123456789abcdef", "é;".repeat(50_000));
        let found = ids(&matcher, &text);
        assert_eq!(found[0].2, 1);
        assert_eq!(found[0].3, 100_001);
    }

    const TABLE_PATTERNS: &str = r#"
        [[rule]]
        id = "keyed"
        name = "Keyed"
        description = "d"
        severity = "high"
        keywords = ["key"]
        examples = ["ACME_KEY=k_abcdef123456"]
        negative_examples = ["k_abcdef123456"]

        [[rule.pattern]]
        regex = 'ACME_KEY=(?P<secret>k_[a-z0-9]{12})'

        [[rule.pattern]]
        regex = '(?P<secret>k_[a-z0-9]{12})'
        context = { pattern = 'acme', lines = 0 }
        veto = 'other'
    "#;

    #[test]
    fn each_table_pattern_has_its_own_context_and_veto() {
        let matcher = matcher(TABLE_PATTERNS);
        assert_eq!(ids(&matcher, "ACME_KEY=k_abcdef123456").len(), 1);
        assert_eq!(ids(&matcher, "key for acme: k_abcdef123456").len(), 1);
        assert!(ids(&matcher, "key for acme\nk_abcdef123456").is_empty());
        assert!(ids(&matcher, "acme key, other vendor: k_abcdef123456").is_empty());
    }

    #[test]
    fn unsigned_jwts_are_never_reported() {
        let matcher = matcher(
            r#"
            [[rule]]
            id = "jwt"
            name = "JWT"
            description = "d"
            severity = "high"
            pattern = 'token=(?P<secret>[\w.:-]+)'
            examples = ["token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"]
            negative_examples = ["token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0."]
        "#,
        );
        assert_eq!(check::check(&matcher), Vec::new());
    }

    #[test]
    fn secrets_lose_trailing_quotes_backslashes_and_carriage_returns() {
        let matcher = matcher(
            r#"
            [[rule]]
            id = "loose"
            name = "Loose"
            description = "d"
            severity = "low"
            pattern = 'v=(?P<secret>\S+)'
            examples = ["v=abc"]
            negative_examples = ["w=abc"]
        "#,
        );
        let found = ids(&matcher, "v=\"abcdef\\\"\r\n");
        assert_eq!(found[0].1, "abcdef");
    }

    #[test]
    fn entropy_of_uniform_and_distinct_values() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn line_at_strips_line_breaks() {
        let text = b"one\r\ntwo three\nfour";
        assert_eq!(line_at(text, 7), b"two three");
        assert_eq!(line_at(text, 0), b"one");
        assert_eq!(line_at(text, 17), b"four");
    }
}
