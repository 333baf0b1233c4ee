//! What the desktop shell tells the UI about itself at start-up.

use crate::error::Result;
use crate::store::sql::Connection;
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
    /// The demo ledger is open (the app shows a banner on every screen and a way out).
    pub demo: bool,
    /// The company's name ("" until the owner sets their company up).
    pub company_name: String,
    /// The user's home folder: messages name a file from there ("Documents/Relance/…").
    pub home_dir: String,
    /// The ledger open is a shared one on a server (`db_path` is then its address).
    pub shared: bool,
    /// `RELANCE_DB` decides which ledger opens at start (a choice in Settings lasts until
    /// the window closes).
    pub ledger_from_env: bool,
}

/// What "Test the connection" found at a server address (Settings → Shared ledger), before
/// anything is written there.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ServerCheck {
    pub address: String,
    /// The server's PostgreSQL version ("15.18").
    pub server_version: String,
    /// The role logged in (the name the history will give this person).
    pub role: String,
    pub database: String,
    /// "empty" (its owner's first use creates the ledger), "ledger" (ready), "older" (its
    /// owner upgrades it by opening it once), "newer" (needs a newer Relance).
    pub state: String,
    #[ts(type = "number")]
    pub version: i64,
    /// The role owns the ledger (or may create it): it migrates, grants and restores.
    pub owner: bool,
    #[ts(type = "number")]
    pub customers: i64,
    #[ts(type = "number")]
    pub invoices: i64,
    /// The protocol protecting the session ("TLSv1.3"), empty when it is not encrypted.
    pub tls: String,
    /// What of the server's certificate was checked: "name" (signed by the authority and
    /// naming the host addressed, `verify-full`), "authority" (signed only), "none".
    pub verified: String,
}

/// Connects to `address` and says what is there, writing nothing: a wrong address, a
/// password in it, a server that does not answer or a database of another program come
/// back as their own clear refusals.
pub fn check_server(address: &str) -> Result<ServerCheck> {
    use crate::store;
    let address = address.trim();
    if !store::is_server_address(address) {
        return Err(crate::error::Error::Server(
            crate::error::ServerFault::BadAddress(format!(
                "{address}: expected postgres://host/database"
            )),
        ));
    }
    let conn = store::connect_server(address)?;
    let (server_version, role, database): (String, String, String) = conn.query_row(
        "SELECT current_setting('server_version'), current_user::text, current_database()::text",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let version = store::server_version(&conn, address)?;
    let state = match version {
        0 => "empty",
        v if v == store::SCHEMA_VERSION => "ledger",
        v if v < store::SCHEMA_VERSION => "older",
        _ => "newer",
    };
    let (customers, invoices) = if version > 0 { counts(&conn)? } else { (0, 0) };
    let tls: String = conn.query_row(
        "SELECT COALESCE((SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl), '')",
        [],
        |r| r.get(0),
    )?;
    let asked = store::server_tls(address)?;
    let verified = match asked.mode {
        _ if tls.is_empty() => "none",
        store::SslMode::VerifyFull => "name",
        store::SslMode::VerifyCa => "authority",
        store::SslMode::Require if asked.root_cert.is_some() => "authority",
        _ => "none",
    };
    Ok(ServerCheck {
        address: address.to_string(),
        server_version,
        role,
        database,
        state: state.to_string(),
        version,
        owner: store::is_owner(&conn)?,
        customers,
        invoices,
        tls,
        verified: verified.to_string(),
    })
}

/// How many customers and invoices the database holds (first-run detection).
pub fn counts(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM invoices)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Environment variable that pins "today" for the app and the CLI alike (tests, demos,
/// replaying a past day). Either format the forms accept: `YYYY-MM-DD` or `DD/MM/YYYY`.
pub const TODAY_ENV: &str = "RELANCE_TODAY";

/// The "as of" date a shell uses when the user gives none: `RELANCE_TODAY` when set and not
/// empty, otherwise the local calendar date. One rule for both shells, so `relance agenda`
/// and the Today screen agree on the same machine. A value that is not a date is refused
/// (never silently replaced by the real date).
pub fn today() -> Result<chrono::NaiveDate> {
    match std::env::var(TODAY_ENV) {
        Ok(s) if !s.trim().is_empty() => crate::validate::parse_date(TODAY_ENV, &s),
        _ => Ok(chrono::Local::now().date_naive()),
    }
}

/// The system account the shell runs as (`USER`, else `LOGNAME`, else `USERNAME`; "" if
/// none): who the history names when Settings gives no name (read by the shells at the
/// command boundary, like [`today`], and handed to `journal::set_system_user`).
pub fn system_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_default()
}

/// Seconds since 1970 now: the Date header of an e-mail draft (read by the shells at the
/// command boundary, like [`today`]).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
