//! Lists of content fingerprints: `.clinescanignore` and plain baseline files share one
//! format, a fingerprint per line with `#` comments.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use super::SuppressError;

/// The name of the fingerprint ignore file looked for at the scan root.
pub const IGNORE_FILE_NAME: &str = ".clinescanignore";

/// Fingerprints read from a file, each with the line it was on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FingerprintList {
    /// The file they came from.
    pub path: PathBuf,
    /// Fingerprint to line number (from 1; 0 when the file has no lines, such as a report).
    pub entries: HashMap<String, usize>,
}

impl FingerprintList {
    /// Reads `.clinescanignore` in `root`, if there is one.
    pub fn read_ignore_file(root: &Path) -> Result<Option<FingerprintList>, SuppressError> {
        let path = root.join(IGNORE_FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|error| SuppressError::Read {
            path: path.clone(),
            error,
        })?;
        FingerprintList::parse(&path, &text).map(Some)
    }

    /// Parses a fingerprint per line; blank lines and `#` comments (whole-line or after the
    /// fingerprint) are skipped. Anything else is an error naming the line.
    pub fn parse(path: &Path, text: &str) -> Result<FingerprintList, SuppressError> {
        let mut entries = HashMap::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let content = line
                .split_once('#')
                .map_or(line, |(before, _)| before)
                .trim();
            if content.is_empty() {
                continue;
            }
            if !is_fingerprint(content) {
                return Err(SuppressError::Malformed {
                    path: path.to_path_buf(),
                    line: index + 1,
                    message: format!(
                        "`{}` is not a finding fingerprint ({} hexadecimal digits, as shown in \
                         the reports); put reasons after a `#`",
                        shorten(content),
                        fingerprint_length()
                    ),
                });
            }
            entries
                .entry(content.to_ascii_lowercase())
                .or_insert(index + 1);
        }
        Ok(FingerprintList {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// Whether the list holds a fingerprint.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }
}

/// Whether `text` has the shape of a content fingerprint.
pub fn is_fingerprint(text: &str) -> bool {
    text.len() == fingerprint_length() && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The length of every fingerprint, taken from the fingerprint function itself once.
fn fingerprint_length() -> usize {
    static LENGTH: LazyLock<usize> =
        LazyLock::new(|| crate::finding::fingerprint("", None, "").len());
    *LENGTH
}

/// A malformed line as an error may show it: as it is when shorter than any secret a rule
/// finds (a path or `path:line` put there by mistake), else redacted like a secret, since a
/// line pasted into the ignore file is as likely to be the secret itself as its fingerprint.
fn shorten(text: &str) -> String {
    if text.chars().count() < 16 {
        text.to_string()
    } else {
        crate::finding::Secret::new(text).redacted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let fingerprint = "0123456789abcdef0123456789ABCDEF";
        let text = format!("\u{feff}# reasons\r\n\r\n{fingerprint}  # test fixture\r\n");
        let list = FingerprintList::parse(Path::new("x"), &text).unwrap();
        assert_eq!(list.entries.len(), 1);
        assert_eq!(list.entries[&fingerprint.to_ascii_lowercase()], 3);
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        let text = "# ok\napp/.env:2\n";
        let error = FingerprintList::parse(Path::new("dir/.clinescanignore"), text).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("`dir/.clinescanignore`, line 2: `app/.env:2`"),
            "{message}"
        );
    }

    #[test]
    fn a_secret_pasted_as_a_line_is_not_echoed() {
        let text = "sk_4f00112233445566778899aabbcc9a2c\n";
        let error = FingerprintList::parse(Path::new(".clinescanignore"), text).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("line 1: `sk_4…9a2c`"), "{message}");
    }
}
