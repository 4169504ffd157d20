//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod config;
mod dotenv;
mod history;
mod hostile;
mod leaks;
mod output_path;
mod precommit;
mod properties;
mod repo;
mod report;
mod repos;
mod rules;
mod sarif;
mod scan;
mod staged;
mod suppress;
mod verify;
