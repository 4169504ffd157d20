//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod history;
mod precommit;
mod repo;
mod scan;
mod staged;
