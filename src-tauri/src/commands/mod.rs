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
    /// The day whose refreshes ran on this ledger (see [`Ledger::keep_day`]).
    pub day: Option<NaiveDate>,
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
            day: None,
        })
    }

    /// Opens the ledger at `place` (a server's is migrated when this role owns it) and
    /// makes it the one this window works on, as a start does: what a stopped write left is
    /// filed now, and the day's refreshes run before the next command reads it
    /// ([`Ledger::keep_day`]).
    pub fn switch_to(&mut self, place: &Place) -> relance_core::Result<()> {
        let (conn, warning) = relance_core::open_at(place)?;
        if let Some(w) = warning {
            said("filing a stopped write failed", &w);
        }
        *self = Ledger::open(place, conn)?;
        Ok(())
    }

    /// The day's refreshes of a start ([`relance_core::refresh_start`]: segments, wake
    /// dates, the actions kept for Today, name words, the Bank screen's groups), then the
    /// day's snapshot of a file taken apart, once a day on the ledger open: at start, when
    /// another ledger opens (the demo, leaving it, a server, the file again), and when the
    /// day turns with the window left open. Before, a ledger opened from Settings or a
    /// window left open overnight kept the segments of the day it was opened until the
    /// next start. A failure is said once and not tried again that day, as at a start.
    pub fn keep_day(&mut self, today: NaiveDate) {
        if self.day == Some(today) {
            return;
        }
        self.day = Some(today);
        if let Some(w) = relance_core::refresh_start(&mut self.conn, today) {
            said("a day's refresh failed", &w);
        }
        if self.server.is_none() && !self.demo {
            let path = self.path.clone();
            std::thread::spawn(move || {
                if let Err(e) = relance_core::backup::daily_apart(&path, today) {
                    said("automatic backup failed", &e);
                }
            });
        }
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

/// What went wrong outside any command (a start's, a day's work), said on the terminal.
pub fn said(what: &str, e: &Error) {
    eprintln!("Relance: {what}: {}", e.message(relance_core::Lang::En));
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
    /// Where the ledger open now is, kept beside it for what only shows it (`app_info`):
    /// read without waiting for the ledger (held by a start's refreshes for seconds at a
    /// million invoices, or by another command), never on the async runtime's threads.
    /// Written whenever the ledger changes (see [`app::with_ledger`]); a command that acts
    /// on it reads it under the ledger's lock ([`with_db_at`]).
    pub at: Arc<Mutex<At>>,
}

/// Where the ledger open now is (see [`Db::at`]).
#[derive(Clone)]
pub struct At {
    pub path: PathBuf,
    pub demo: bool,
    /// As Settings shows it ([`Ledger::shown`]).
    pub shown: String,
    pub shared: bool,
}

impl At {
    pub fn of(ledger: &Ledger) -> At {
        At {
            path: ledger.path.clone(),
            demo: ledger.demo,
            shown: ledger.shown(),
            shared: ledger.server.is_some(),
        }
    }
}

impl Db {
    pub fn new(ledger: Arc<Mutex<Ledger>>) -> Db {
        let at = At::of(&ledger.lock().unwrap_or_else(|p| p.into_inner()));
        Db {
            ledger,
            at: Arc::new(Mutex::new(at)),
        }
    }

    /// Where the ledger open now is, as shown (see [`Db::at`]).
    pub fn at(&self) -> At {
        self.at.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Runs `f` on the blocking pool with the connection, mapping errors for the UI.
pub async fn with_db<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> relance_core::Result<T> + Send + 'static,
{
    locked(db, move |ledger| f(&mut ledger.conn)).await
}

/// [`with_db`] for a command that needs where the ledger is (its file, whether it is the
/// demo), read with the connection under the ledger's lock: read before, a command started
/// while another ledger was opening (leaving the demo) would have run on the new ledger
/// with the old one's place (the demo's statement imported into the owner's ledger, a
/// restore's copy written beside the demo).
pub async fn with_db_at<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection, &At) -> relance_core::Result<T> + Send + 'static,
{
    locked(db, move |ledger| {
        let at = At::of(ledger);
        f(&mut ledger.conn, &at)
    })
    .await
}

/// Runs `f` on the blocking pool with the ledger under its lock, its server session opened
/// again if it was cut and the day's refreshes run once the day turned ([`Ledger::keep_day`]),
/// mapping errors for the UI.
async fn locked<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Ledger) -> relance_core::Result<T> + Send + 'static,
{
    let ledger = Arc::clone(&db.ledger);
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let done = guard.reconnect().and_then(|()| {
            guard.keep_day(today());
            f(&mut guard)
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The day of the payer segments' last refresh on `ledger`.
    fn refreshed_on(ledger: &Ledger) -> String {
        ledger
            .conn
            .query_row(
                "SELECT on_date FROM segment_refresh WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// A ledger file with a customer (an empty ledger has no daily snapshot).
    fn ledger_file(path: &std::path::Path) -> Place {
        let place = Place::File(path.to_path_buf());
        let (conn, _) = relance_core::open_at(&place).unwrap();
        relance_core::customers::create(
            &conn,
            &relance_core::customers::CustomerInput {
                reference: "ACME".into(),
                name: "Acme SARL".into(),
                ..Default::default()
            },
        )
        .unwrap();
        place
    }

    fn snapshot_of(path: &std::path::Path, on: &str) -> std::path::PathBuf {
        relance_core::store::backups_dir(path).join(format!("relance-daily-{on}.sqlite"))
    }

    /// Waits for the snapshot the day's thread takes apart.
    fn wait_for(file: &std::path::Path) -> bool {
        for _ in 0..600 {
            if file.exists() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    #[test]
    fn the_days_refreshes_and_snapshot_follow_the_day_and_the_ledger_open() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.sqlite");
        let place = ledger_file(&first);
        let (conn, _) = relance_core::open_at(&place).unwrap();
        let mut ledger = Ledger::open(&place, conn).unwrap();
        assert_eq!(ledger.day, None);

        // The start's.
        ledger.keep_day(day("2026-12-01"));
        assert_eq!(refreshed_on(&ledger), "2026-12-01");
        assert!(wait_for(&snapshot_of(&first, "2026-12-01")));

        // The window left open overnight: the first command of the next day runs them.
        ledger.keep_day(day("2026-12-02"));
        assert_eq!(refreshed_on(&ledger), "2026-12-02");
        assert!(wait_for(&snapshot_of(&first, "2026-12-02")));

        // Another ledger opened from Settings, last opened days ago: its own day's work.
        let second = dir.path().join("second.sqlite");
        let other = ledger_file(&second);
        {
            let (mut conn, _) = relance_core::open_at(&other).unwrap();
            assert!(relance_core::refresh_start(&mut conn, day("2026-11-20")).is_none());
        }
        ledger.switch_to(&other).unwrap();
        assert_eq!(ledger.day, None);
        assert_eq!(refreshed_on(&ledger), "2026-11-20");
        ledger.keep_day(day("2026-12-02"));
        assert_eq!(refreshed_on(&ledger), "2026-12-02");
        assert!(wait_for(&snapshot_of(&second, "2026-12-02")));

        // The demo is refreshed, never snapshotted (it is thrown away when left).
        ledger.demo = true;
        ledger.day = None;
        let before = std::fs::read_dir(relance_core::store::backups_dir(&second))
            .unwrap()
            .count();
        ledger.keep_day(day("2026-12-03"));
        assert_eq!(refreshed_on(&ledger), "2026-12-03");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!snapshot_of(&second, "2026-12-03").exists());
        assert_eq!(
            std::fs::read_dir(relance_core::store::backups_dir(&second))
                .unwrap()
                .count(),
            before
        );
    }
}
