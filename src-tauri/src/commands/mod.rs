//! One thin command per user action, grouped by screen. Each parses its arguments, calls
//! one engine function on a blocking thread, and maps the error to an [`ApiError`] in the
//! user's language. No SQL and no business rule lives here.

pub mod app;
pub mod contracts;
pub mod customers;
pub mod documents;
pub mod dunning;
pub mod invoices;
pub mod reports;
pub mod settings;

use chrono::NaiveDate;
use relance_core::{ApiError, Connection, Error};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The open database. One connection behind a mutex: a single-user desktop app issues
/// one command at a time, and SQLite serialises writers anyway.
pub struct Db {
    pub conn: Arc<Mutex<Connection>>,
    pub path: PathBuf,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Runs `f` on the blocking pool with the connection, mapping errors for the UI.
pub async fn with_db<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> relance_core::Result<T> + Send + 'static,
{
    let conn = Arc::clone(&db.conn);
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard).map_err(|e| {
            let lang = relance_core::settings::ui_language(&guard);
            ApiError::from_error(&e, lang)
        })
    })
    .await
    .map_err(|e| {
        ApiError::from_error(
            &Error::Io(std::io::Error::other(e.to_string())),
            relance_core::Lang::En,
        )
    })?
}

/// Today, read at the command boundary by the engine's one rule (`RELANCE_TODAY` when set,
/// as for the CLI). `main` refuses to start on an invalid value, so this cannot fail later.
pub fn today() -> NaiveDate {
    relance_core::app::today().unwrap_or_else(|_| chrono::Local::now().date_naive())
}
