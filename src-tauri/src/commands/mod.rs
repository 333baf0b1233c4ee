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
use relance_core::error::ServerFault;
use relance_core::store::Place;
use relance_core::{ApiError, Connection, Error};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The ledger open now: the owner's, or the demo opened beside it.
pub struct Ledger {
    pub conn: Connection,
    /// The ledger's file, or for a server the local file beside which its local things go.
    pub path: PathBuf,
    pub demo: bool,
    /// The server's address when the ledger open now is on one.
    pub server: Option<String>,
    /// This window's own session on the server: its commits are no news to the window.
    pub session: Option<i32>,
    /// Where the owner's ledger lives (what leaving the demo opens again).
    pub owner: Place,
    /// The watcher lost its own session to the server since the last command: this one
    /// may be cut too, unknown to it until it is used (see [`Ledger::reconnect`]).
    pub suspect: bool,
}

impl Ledger {
    /// The ledger wherever it lives (its connection made, migrated and seeded).
    pub fn open(place: &Place, conn: Connection) -> relance_core::Result<Ledger> {
        let session = relance_core::store::session_id(&conn)?;
        Ok(Ledger {
            conn,
            path: place.local_file(),
            demo: false,
            server: match place {
                Place::Server(a) => Some(a.clone()),
                Place::File(_) => None,
            },
            session,
            owner: place.clone(),
            suspect: false,
        })
    }

    /// Opens the ledger at `place` (a server's is migrated when this role owns it) and
    /// makes it the one this window works on.
    pub fn switch_to(&mut self, place: &Place) -> relance_core::Result<()> {
        let conn = match place {
            Place::Server(a) => relance_core::open_server(a)?,
            Place::File(p) => relance_core::open(p)?,
        };
        *self = Ledger::open(place, conn)?;
        Ok(())
    }

    /// Where the ledger open now lives, as Settings shows it.
    pub fn shown(&self) -> String {
        self.server
            .clone()
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// A server session that was cut (the server restarted, the network came back) is
    /// opened again before the next command; a server still away is said so. An idle
    /// session does not notice the server went away until it is used: when the watcher's
    /// own session was cut meanwhile, one round trip tells (only then: a command costs no
    /// extra round trip while the server stays up).
    fn reconnect(&mut self) -> relance_core::Result<()> {
        let Some(address) = self.server.clone() else {
            return Ok(());
        };
        let gone =
            self.conn.is_closed() || (self.suspect && self.conn.execute_batch("SELECT 1").is_err());
        if gone {
            self.conn = relance_core::open_server(&address)?;
            self.session = relance_core::store::session_id(&self.conn)?;
        }
        self.suspect = false;
        Ok(())
    }
}

/// A command that failed because the server went away says so, in the user's words.
fn unreachable_if_gone(conn: &Connection, e: Error) -> Error {
    match e {
        Error::Server(_) => e,
        e if conn.is_closed() => Error::Server(ServerFault::Unreachable(e.to_string())),
        e => e,
    }
}

/// The open database. One connection behind a mutex: a single-user desktop app issues
/// one command at a time, and SQLite serialises writers anyway. The demo swaps in its own
/// ledger (`store::demo_path`) and leaving it swaps the owner's back: the owner's file is
/// never written by the demo.
pub struct Db {
    pub ledger: Arc<Mutex<Ledger>>,
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
        let done = guard.reconnect().and_then(|()| f(&mut guard.conn));
        done.map_err(|e| {
            let e = unreachable_if_gone(&guard.conn, e);
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
