//! Live verification: asking the Cline API whether a found secret still works.

use crate::config::VerifySettings;
use crate::finding::Finding;

/// Verifies the Cline secrets among `findings`, when verification is enabled.
pub fn verify_findings(findings: &mut [Finding], settings: &VerifySettings) -> anyhow::Result<()> {
    if settings.enabled {
        anyhow::bail!("`--verify` is not available yet");
    }
    let _ = findings;
    Ok(())
}
