//! What the desktop shell tells the UI about itself at start-up.

use crate::error::Result;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub db_path: String,
    /// The "as of" date every screen uses, read once at the command boundary.
    pub today: chrono::NaiveDate,
    #[ts(type = "number")]
    pub customers: i64,
    #[ts(type = "number")]
    pub invoices: i64,
    /// A file path used instead of the native file dialog (`RELANCE_TEST_FILE`), so
    /// end-to-end tests can drive import; the work done with it is the same.
    pub test_file: Option<String>,
}

/// How many customers and invoices the database holds (first-run detection).
pub fn counts(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM invoices)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
