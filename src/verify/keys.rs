//! Finding the found key in the API's key list, so the revoke instruction can name its id.
//!
//! The shape of `GET /api-keys` is not published, so the body is read defensively: the list
//! may be the body itself, or under `data` (Cline's envelope), `keys`, `apiKeys` or `items`,
//! and entries are objects with an `id`. An entry is matched to the secret only on evidence
//! that cannot be a coincidence, and only when exactly one entry matches:
//!
//! - a field holding the full key,
//! - a SHA-256 of the key (hex) in a field named like a hash,
//! - a masked form or a prefix and/or suffix (`sk_4f…9a2c`, `keyPrefix` + `last4`) revealing at
//!   least [`MIN_REVEALED`] characters beyond a generic prefix such as `sk_`.
//!
//! An unexpected shape is not an error: the key is still live, only without an id.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Characters an entry must reveal (beyond a generic prefix) before it can identify a key.
pub const MIN_REVEALED: usize = 6;

const GENERIC_PREFIXES: [&str; 4] = ["sk_", "cline_", "clp_", "sk-"];
const LIST_FIELDS: [&str; 5] = ["data", "keys", "apiKeys", "api_keys", "items"];
const ID_FIELDS: [&str; 4] = ["id", "keyId", "key_id", "uuid"];
const FULL_FIELDS: [&str; 3] = ["key", "apiKey", "api_key"];
const HASH_FIELDS: [&str; 5] = ["hash", "keyHash", "key_hash", "sha256", "hashedKey"];
const MASKED_FIELDS: [&str; 7] = [
    "maskedKey",
    "masked_key",
    "masked",
    "preview",
    "hint",
    "redactedKey",
    "display",
];
const PREFIX_FIELDS: [&str; 4] = ["prefix", "keyPrefix", "key_prefix", "start"];
const SUFFIX_FIELDS: [&str; 7] = [
    "suffix",
    "keySuffix",
    "key_suffix",
    "last4",
    "lastFour",
    "last_four",
    "end",
];

/// The id of the one key-list entry that matches `secret`, if there is exactly one.
pub fn matching_key_id(body: &str, secret: &str) -> Option<String> {
    let document: Value = serde_json::from_str(body).ok()?;
    let entries = find_list(&document, 0)?;
    let mut matches = entries
        .iter()
        .filter(|entry| entry_matches(entry, secret))
        .filter_map(entry_id);
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

fn find_list(value: &Value, depth: usize) -> Option<&Vec<Value>> {
    match value {
        Value::Array(entries) => Some(entries),
        Value::Object(object) if depth < 3 => LIST_FIELDS
            .iter()
            .filter_map(|field| object.get(*field))
            .find_map(|inner| find_list(inner, depth + 1)),
        _ => None,
    }
}

fn entry_id(entry: &Value) -> Option<String> {
    let object = entry.as_object()?;
    ID_FIELDS
        .iter()
        .filter_map(|field| object.get(*field))
        .find_map(|id| match id {
            Value::String(text) if is_safe_id(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}

/// An id is shown to the user and put in a URL: keep to plain characters.
fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte))
}

fn entry_matches(entry: &Value, secret: &str) -> bool {
    let Some(object) = entry.as_object() else {
        return false;
    };
    let text = |fields: &[&str]| -> Vec<&str> {
        fields
            .iter()
            .filter_map(|field| object.get(*field).and_then(Value::as_str))
            .collect()
    };

    if text(&FULL_FIELDS).contains(&secret) {
        return true;
    }
    let digest = sha256_hex(secret);
    if text(&HASH_FIELDS).iter().any(|hash| {
        hash.trim_start_matches("sha256:")
            .eq_ignore_ascii_case(&digest)
    }) {
        return true;
    }
    if text(&MASKED_FIELDS)
        .iter()
        .any(|masked| masked_matches(masked, secret))
    {
        return true;
    }
    let prefix = text(&PREFIX_FIELDS).first().copied().unwrap_or_default();
    let suffix = text(&SUFFIX_FIELDS).first().copied().unwrap_or_default();
    affixes_match(prefix, suffix, secret)
}

/// A masked key: visible head, a run of mask characters, visible tail.
fn masked_matches(masked: &str, secret: &str) -> bool {
    let is_mask = |character: char| matches!(character, '…' | '*' | '•' | '.' | 'x' | 'X');
    let Some(start) = masked.find(is_mask) else {
        return false;
    };
    let head = &masked[..start];
    let rest = &masked[start..];
    let tail = rest.trim_start_matches(is_mask);
    affixes_match(head, tail, secret)
}

fn affixes_match(prefix: &str, suffix: &str, secret: &str) -> bool {
    if prefix.len() + suffix.len() >= secret.len()
        || !secret.starts_with(prefix)
        || !secret.ends_with(suffix)
    {
        return false;
    }
    let generic = GENERIC_PREFIXES
        .iter()
        .filter(|generic| prefix.starts_with(*generic))
        .map(|generic| generic.len())
        .max()
        .unwrap_or(0);
    prefix.len() - generic + suffix.len() >= MIN_REVEALED
}

fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_4f00112233445566778899aabbccddeeff9a2c";

    #[test]
    fn a_unique_masked_match_in_the_envelope_gives_the_id() {
        let body = r#"{"success":true,"data":[
            {"id":"key_1","name":"ci","maskedKey":"sk_4f…0000"},
            {"id":"key_2","name":"laptop","maskedKey":"sk_4f…9a2c"}]}"#;
        assert_eq!(matching_key_id(body, KEY), Some("key_2".into()));
    }

    #[test]
    fn prefix_and_last4_fields_and_hashes_match() {
        let body = r#"{"data":{"keys":[{"id":7,"keyPrefix":"sk_4f00","last4":"9a2c"}]}}"#;
        assert_eq!(matching_key_id(body, KEY), Some("7".into()));
        let body = format!(r#"[{{"id":"h","hash":"{}"}}]"#, sha256_hex(KEY));
        assert_eq!(matching_key_id(&body, KEY), Some("h".into()));
        let body = format!(r#"[{{"id":"f","key":"{KEY}"}}]"#);
        assert_eq!(matching_key_id(&body, KEY), Some("f".into()));
    }

    #[test]
    fn weak_or_ambiguous_evidence_gives_no_id() {
        // Only the generic prefix and two characters revealed.
        let weak = r#"[{"id":"a","maskedKey":"sk_…2c"}]"#;
        assert_eq!(matching_key_id(weak, KEY), None);
        // Two entries match: no guess.
        let twice = r#"[{"id":"a","last4":"9a2c","prefix":"sk_4f"},
                        {"id":"b","maskedKey":"sk_4f****9a2c"}]"#;
        assert_eq!(matching_key_id(twice, KEY), None);
        // A lone entry without identifying fields is not assumed to be this key.
        assert_eq!(matching_key_id(r#"[{"id":"a","name":"ci"}]"#, KEY), None);
    }

    #[test]
    fn unexpected_shapes_are_not_errors() {
        for body in [
            "",
            "not json",
            "{}",
            r#"{"data":null}"#,
            r#"{"data":"x"}"#,
            "[1,2]",
        ] {
            assert_eq!(matching_key_id(body, KEY), None, "{body}");
        }
        let unsafe_id = r#"[{"id":"a/../b","maskedKey":"sk_4f00…9a2c"}]"#;
        assert_eq!(matching_key_id(unsafe_id, KEY), None);
    }
}
