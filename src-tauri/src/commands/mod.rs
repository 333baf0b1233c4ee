//! One thin command per user action, grouped by screen. Each parses its arguments, calls
//! one engine function on a blocking thread, and maps the error to an [`ApiError`] in the
//! user's language. No SQL and no business rule lives here.

pub mod app;
pub mod bank;
pub mod contracts;
pub mod customers;
pub mod documents;
pub mod drafts;
pub mod dunning;
pub mod invoices;
pub mod reports;
pub mod settings;

use chrono::NaiveDate;
use relance_core::{ApiError, Connection, Error};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The ledger open now: the owner's, or the demo opened beside it.
pub struct Ledger {
    pub conn: Connection,
    pub path: PathBuf,
    pub demo: bool,
}

/// The open database. One connection behind a mutex: a single-user desktop app issues
/// one command at a time, and SQLite serialises writers anyway. The demo swaps in its own
/// ledger (`store::demo_path`) and leaving it swaps the owner's back: the owner's file is
/// never written by the demo.
pub struct Db {
    pub ledger: Arc<Mutex<Ledger>>,
    /// The owner's ledger, opened at start.
    pub owner_path: PathBuf,
}

impl Db {
    /// The path of the ledger open now.
    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    /// Whether the demo ledger is open.
    pub fn demo(&self) -> bool {
        self.lock().demo
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Runs `f` on the blocking pool with the connection, mapping errors for the UI.
pub async fn with_db<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> relance_core::Result<T> + Send + 'static,
{
    let ledger = Arc::clone(&db.ledger);
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard.conn).map_err(|e| {
            let lang = relance_core::settings::ui_language(&guard.conn);
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
