//! SARIF 2.1.0 output for code scanning.

use std::io::{self, Write};

use super::{Report, WriteOptions};

/// Writes the report as a SARIF 2.1.0 log.
pub fn write(report: &Report, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    // TODO(sarif): replace with the serde-sarif writer.
    super::json::write(report, options, out)
}
