//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod config;
mod dotenv;
mod history;
mod leaks;
mod precommit;
mod properties;
mod repo;
mod report;
mod rules;
mod sarif;
mod scan;
mod staged;
mod suppress;
mod verify;
