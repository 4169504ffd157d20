//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod rules;
mod scan;
