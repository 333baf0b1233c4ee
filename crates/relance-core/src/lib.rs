//! Relance engine: customers, invoices, payments and dunning, over one SQLite file.
//! No GUI dependency: the desktop app and the `relance` CLI are thin layers over this crate.
//!
//! Modules import downward only (ARCHITECTURE.md, "Floors"; `tests/layers.rs` checks it):
//! error → money, validate → store → settings, journal → customers → invoices → dunning →
//! views → import, demo, backup, daily. This file, at the top, opens a database ready for use.

pub mod app;
pub mod backup;
pub mod bank;
pub mod contracts;
pub mod customers;
pub mod daily;
pub mod demo;
pub mod documents;
pub mod dunning;
pub mod error;
pub mod fonts;
pub mod import;
pub mod interest;
pub mod invoices;
pub mod journal;
pub mod money;
pub mod rates;
pub mod settings;
pub mod store;
pub mod validate;
pub mod views;

#[cfg(test)]
pub(crate) mod test_support;

pub use error::{ApiError, Error, Lang, Msg, Result, RowError};
pub use money::{Amount, Currency};

/// The connection type every engine function takes (see [`store::sql`]).
pub use crate::store::sql::Connection;

use std::path::Path;

/// Opens (creating if needed) the database at `path`, migrates it, and seeds what ships
/// with the product (the three dunning scenarios) the first time. Every shell opens here.
pub fn open(path: &Path) -> Result<Connection> {
    opened(|| {
        let conn = store::connect(path)?;
        // A file moved to a server is kept as it was: opening it says where the ledger is.
        store::refuse_moved(&conn)?;
        Ok(conn)
    })
}

/// What every way of opening a ledger does around its connection: wires the archiving of
/// issued documents (an upper floor's, see `invoices::issue::register_finish`), connects,
/// and seeds the shipped scenarios the first time.
fn opened(connect: impl FnOnce() -> Result<Connection>) -> Result<Connection> {
    invoices::issue::register_finish(documents::invoice::archive_issued);
    invoices::credit_documents::register_finish(documents::credit_note::archive_issued);
    let conn = connect()?;
    dunning::scenarios::ensure_shipped(&conn)?;
    Ok(conn)
}

/// When a start takes the day's automatic snapshot of a ledger file ([`backup::daily`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailySnapshot {
    /// Before the day's refreshes, the start waiting for it: the CLI, whose process may end
    /// as soon as its command is done.
    First,
    /// Not at all: the caller takes it apart, while the ledger is used
    /// ([`backup::daily_apart`], the window's own thread). At a million invoices the copy,
    /// its check and its flush take about half a minute: the window's first start of the
    /// day waited for them before it showed.
    Apart,
}

/// What the CLI does at start: [`open`], take the day's automatic snapshot
/// ([`backup::daily`]), then the day's refreshes (see [`start_at`]). A snapshot that cannot
/// be written does not stop the user working: it comes back as a warning to show.
pub fn start(path: &Path, today: chrono::NaiveDate) -> Result<(Connection, Option<Error>)> {
    start_with(
        &store::Place::File(path.to_path_buf()),
        today,
        DailySnapshot::First,
    )
}

/// The first half of a start, what the window waits for before it shows: the ledger opened
/// (migrated, or refused when moved to a server) and what a write committed but did not get
/// to name before it was stopped filed (a failure there is the warning).
pub fn open_at(place: &store::Place) -> Result<(Connection, Option<Error>)> {
    let conn = match place {
        store::Place::File(path) => open(path)?,
        store::Place::Server(address) => open_server(address)?,
    };
    let warning = store::finish_pending(&conn).err();
    Ok((conn, warning))
}

/// The second half of a start: the day's refreshes, each a transaction of its own; returns
/// the first failure (a failure here does not stop the user working). The window runs them
/// once it shows, holding the ledger, so that its first reads wait for them.
pub fn refresh_start(conn: &mut Connection, today: chrono::NaiveDate) -> Option<Error> {
    // The day's payer segments (a change is a history entry).
    daily::refresh_segments(conn, today)
        .err()
        // Today's wake dates (the segments just refreshed may have changed some scenarios)
        // and the day's actions kept for Today.
        .or_else(|| dunning::refresh_day(conn, today).err())
        // The name words of the customers added or renamed since (the bank matcher's).
        .or_else(|| bank::book::refresh_words(conn).err())
        // The groups of the statement lines waiting, kept for the Bank screen.
        .or_else(|| bank::kept::fold(conn).err())
        // The day sums the dashboard's DSO reads, one row per day again.
        .or_else(|| views::day_sums::fold(conn).err())
}

/// [`start`] for a ledger wherever it lives. On a server there is no daily snapshot onto
/// this computer (the server's backups are its administrator's; `relance backup --out`
/// writes a copy as a file on demand).
pub fn start_at(
    place: &store::Place,
    today: chrono::NaiveDate,
) -> Result<(Connection, Option<Error>)> {
    start_with(place, today, DailySnapshot::First)
}

/// [`open_at`], a file's daily snapshot taken as `snapshot` says, then [`refresh_start`]
/// (the first warning stops what follows, as it always did).
pub fn start_with(
    place: &store::Place,
    today: chrono::NaiveDate,
    snapshot: DailySnapshot,
) -> Result<(Connection, Option<Error>)> {
    let (mut conn, warning) = open_at(place)?;
    let warning = match (place, snapshot) {
        (store::Place::File(path), DailySnapshot::First) => {
            warning.or_else(|| backup::daily(&conn, path, today).err())
        }
        _ => warning,
    };
    let warning = warning.or_else(|| refresh_start(&mut conn, today));
    Ok((conn, warning))
}

/// [`open`] for the shared ledger on a PostgreSQL server (`postgres://…`): connects,
/// migrates an empty database into a ledger, and seeds the shipped scenarios.
pub fn open_server(address: &str) -> Result<Connection> {
    opened(|| store::connect_ledger(address))
}

/// [`open`] on a private in-memory database (tests).
pub fn open_in_memory() -> Result<Connection> {
    opened(|| {
        match std::env::var(TEST_SERVER_ENV)
            .ok()
            .filter(|a| !a.is_empty())
        {
            Some(server) => store::connect_ledger(&store::fresh_server_database(&server)?),
            None => store::connect_in_memory(),
        }
    })
}

/// When set to a server address, [`open_in_memory`] opens a fresh database on that server
/// instead: the engine's tests run on PostgreSQL with `RELANCE_TEST_SERVER=postgres:///postgres`.
pub const TEST_SERVER_ENV: &str = "RELANCE_TEST_SERVER";
