//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod config;
mod scan;
mod suppress;
