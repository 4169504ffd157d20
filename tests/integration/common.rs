//! Shared helpers: the command under test and generated fake secrets.

#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// The `clinescan` executable, with a clean environment for logging and colour.
pub fn clinescan() -> Command {
    let mut command = Command::cargo_bin("clinescan").expect("the binary is built");
    command.env_remove("CLINESCAN_LOG").env("NO_COLOR", "1");
    command.env_remove("CLINESCAN_VERIFY_ENDPOINT");
    command
}

/// A small deterministic generator, so fake secrets differ per test but never change.
pub struct Fake(u64);

impl Fake {
    /// A generator seeded by a test's own number.
    pub fn new(seed: u64) -> Fake {
        Fake(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `length` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &str, length: usize) -> String {
        let alphabet: Vec<char> = alphabet.chars().collect();
        (0..length)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }

    /// A fake Cline API key: `sk_` and 40 lowercase hex digits.
    pub fn cline_key(&mut self) -> String {
        format!("sk_{}", self.string("0123456789abcdef", 40))
    }

    /// A fake opaque token of base64url characters.
    pub fn token(&mut self, length: usize) -> String {
        const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        self.string(BASE64URL, length)
    }

    /// A fake signed JWT (three base64url segments, the first two starting `eyJ`).
    pub fn jwt(&mut self) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.eyJ{}.{}",
            self.token(60),
            self.token(86)
        )
    }
}

/// Writes `contents` to `dir/name`, creating folders as needed.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folders");
    }
    std::fs::write(path, contents).expect("write file");
}
