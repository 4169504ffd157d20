//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod history;
mod repo;
mod scan;
