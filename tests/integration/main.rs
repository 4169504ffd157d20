//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod config;
mod dotenv;
mod report;
mod rules;
mod sarif;
mod scan;
mod suppress;
mod verify;
