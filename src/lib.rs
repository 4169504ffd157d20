//! clinescan finds leaked Cline API keys, Cline account tokens and Bearer tokens in working
//! trees, git history and staged changes.
//!
//! The pipeline is the same whatever is scanned: a source (`scan`) yields blobs, the one
//! compiled matcher (`scan::matcher`) turns them into matches, matches become findings
//! (`finding`), and every reporter (`report`) reads the same findings.

pub mod cli;
pub mod commands;
pub mod config;
pub mod finding;
pub mod report;
pub mod rules;
pub mod scan;
pub mod suppress;
pub mod verify;
