//! Integration tests: one binary driving the real `clinescan` executable.

mod common;
mod sarif;
mod scan;
