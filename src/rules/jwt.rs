//! Recognising unsigned JSON Web Tokens, which grant nothing and are never reported.
//!
//! Test fixtures and documentation carry tokens with `"alg": "none"` or an empty signature
//! segment; a real access token is signed. The check applies to any secret that is a JWT,
//! optionally behind a scheme prefix such as `workos:`.

/// Whether `value` is a JWT (possibly after a `prefix:`) that has no signature: only two
/// segments, an empty third segment, or a header whose `alg` is `none`.
pub fn is_unsigned(value: &[u8]) -> bool {
    let token = match value.iter().position(|&byte| byte == b':') {
        Some(colon) if !value.starts_with(b"eyJ") => &value[colon + 1..],
        _ => value,
    };
    if !token.starts_with(b"eyJ") {
        return false;
    }
    let mut segments = token.split(|&byte| byte == b'.');
    let header = segments.next().unwrap_or_default();
    let Some(payload) = segments.next() else {
        return false;
    };
    if !payload.starts_with(b"eyJ") {
        return false;
    }
    let signature = segments.next().unwrap_or_default();
    if signature.is_empty() {
        return true;
    }
    let header = decode_base64url(header);
    let compact: Vec<u8> = header
        .iter()
        .filter(|byte| !byte.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect();
    contains(&compact, b"\"alg\":\"none\"")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Decodes base64url (or standard base64) without padding, stopping at the first byte that
/// is not part of the alphabet.
fn decode_base64url(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for &byte in text {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => break,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"alg":"none","typ":"JWT"}` and `{"alg":"RS256"}`, base64url.
    const NONE: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    const RS256: &str = "eyJhbGciOiJSUzI1NiJ9";
    const PAYLOAD: &str = "eyJzdWIiOiJ1c2VyXzAxIn0";

    #[test]
    fn decodes_the_header() {
        assert_eq!(decode_base64url(RS256.as_bytes()), br#"{"alg":"RS256"}"#);
    }

    #[test]
    fn alg_none_and_empty_signatures_are_unsigned() {
        let none = format!("{NONE}.{PAYLOAD}.c2lnbmF0dXJl");
        assert!(is_unsigned(none.as_bytes()));
        assert!(is_unsigned(format!("{RS256}.{PAYLOAD}.").as_bytes()));
        assert!(is_unsigned(format!("workos:{RS256}.{PAYLOAD}").as_bytes()));
    }

    #[test]
    fn signed_tokens_and_other_values_are_not_unsigned() {
        let signed = format!("workos:{RS256}.{PAYLOAD}.c2lnbmF0dXJlX2J5dGVz");
        assert!(!is_unsigned(signed.as_bytes()));
        assert!(!is_unsigned(b"sk_4f00112233445566778899aabbcc9a2c"));
        assert!(!is_unsigned(b"eyJonly-one-segment"));
    }
}
