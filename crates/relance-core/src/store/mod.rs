//! The SQLite store: opening a database, connection settings, and schema migrations.
//!
//! Each migration is one SQL file under `migrations/`, applied in order inside an IMMEDIATE
//! transaction that also bumps `PRAGMA user_version`, so a crash leaves either the old or the
//! new schema, never half of one. A database whose version is newer than this build is refused.
//!
//! The store knows no domain: seeding the shipped scenarios happens one floor up, in
//! [`crate::open`].

use crate::error::{Error, Result};
pub use rusqlite::Connection;
use rusqlite::{OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Ordered migrations: index + 1 is the schema version each one produces.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_dunning.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Environment variable that overrides the database path (the app and the CLI honour it).
pub const DB_ENV: &str = "RELANCE_DB";

/// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
/// The engine's entry point is [`crate::open`], which also seeds the shipped data.
pub fn connect(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, true)?;
    migrate(&conn, SCHEMA_VERSION)?;
    Ok(conn)
}

/// A migrated in-memory database (tests, benchmarks); see [`crate::open_in_memory`].
pub fn connect_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn, false)?;
    migrate(&conn, SCHEMA_VERSION)?;
    Ok(conn)
}

fn configure(conn: &Connection, wal: bool) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    if wal {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A 64 MiB page cache and memory-mapped reads: the default 2 MiB cache turned every
    // random B-tree visit of the agenda's 28,000 open invoices into a read() (measured).
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "mmap_size", 268_435_456)?;
    Ok(())
}

/// The schema version recorded in the file.
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies migrations up to `target` (exposed so tests can build an old-version database).
pub fn migrate(conn: &Connection, target: i64) -> Result<()> {
    let current = schema_version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for version in (current + 1)..=target.min(SCHEMA_VERSION) {
        let sql = MIGRATIONS[(version - 1) as usize];
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The default database path: `<platform data dir>/relance/relance.sqlite`, unless
/// `RELANCE_DB` is set. Linux: `$XDG_DATA_HOME` or `~/.local/share`; macOS:
/// `~/Library/Application Support`; Windows: `%APPDATA%`.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    data_dir().join("relance").join("relance.sqlite")
}

fn data_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(target_os = "windows") {
        if let Some(p) = env("APPDATA") {
            return p;
        }
    }
    if cfg!(target_os = "macos") {
        if let Some(h) = env("HOME") {
            return h.join("Library").join("Application Support");
        }
    }
    if let Some(p) = env("XDG_DATA_HOME") {
        return p;
    }
    env("HOME")
        .map(|h| h.join(".local").join("share"))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Refuses an output path that is the database or its `-wal` / `-shm` / `-journal` file (an
/// export written there would replace the ledger). Compares resolved paths, so `./x.db`,
/// a symlink or `../dir/x.db` are caught too; the output need not exist yet.
pub fn refuse_database_as_output(db: &Path, out: &Path, field: &str) -> Result<()> {
    fn resolved(p: &Path) -> PathBuf {
        if let Ok(c) = std::fs::canonicalize(p) {
            return c;
        }
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match (std::fs::canonicalize(parent), p.file_name()) {
            (Ok(dir), Some(name)) => dir.join(name),
            _ => p.to_path_buf(),
        }
    }
    let db = resolved(db);
    let out = resolved(out);
    let mut forbidden = vec![db.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut s = db.clone().into_os_string();
        s.push(suffix);
        forbidden.push(PathBuf::from(s));
    }
    if forbidden.contains(&out) {
        return Err(Error::invalid(
            field,
            crate::error::Msg::OutputIsDatabase(out.display().to_string()),
        ));
    }
    Ok(())
}

/// A `LIKE … ESCAPE '\\'` pattern matching `search` as a plain substring (its `%`, `_` and
/// `\\` are escaped, so "100%" finds "100%" and not "1000").
pub(crate) fn like_pattern(search: &str) -> String {
    let escaped = search
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Maps a UNIQUE constraint failure to a refusal; other errors pass through.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::{open, open_in_memory};

    #[test]
    fn fresh_database_is_at_latest_version_with_foreign_keys() {
        let conn = open_in_memory().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn file_database_uses_wal_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("r.sqlite");
        {
            let conn = open(&path).unwrap();
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            conn.execute("INSERT INTO settings VALUES ('company_name', 'X')", [])
                .unwrap();
        }
        let conn = open(&path).unwrap();
        let v: String = conn
            .query_row("SELECT value FROM settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "X");
    }

    #[test]
    fn v1_database_opens_with_latest_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            configure(&conn, true).unwrap();
            migrate(&conn, 1).unwrap();
            assert_eq!(schema_version(&conn).unwrap(), 1);
            conn.execute(
                "INSERT INTO customers (reference, name, kind, language) VALUES ('C1', 'Old', 'business', 'fr')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
                 VALUES ('F-OLD', 1, '2026-03-01', '2026-03-31', 'EUR', 12000)",
                [],
            )
            .unwrap();
        }
        let conn = open(&path).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let name: String = conn
            .query_row(
                "SELECT name FROM customers WHERE reference = 'c1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Old");
        // v1 -> v2: the shipped scenarios appear, the old customer follows Standard, and the
        // agenda runs on the upgraded file (an invoice written under v1 gets its reminder).
        assert_eq!(crate::dunning::scenarios::list(&conn).unwrap().len(), 3);
        let c = crate::customers::get_by_ref(&conn, "C1").unwrap();
        assert_eq!(c.scenario_id, None);
        let due: chrono::NaiveDate = "2026-03-31".parse().unwrap();
        let agenda = crate::dunning::agenda(&conn, due + chrono::Duration::days(3)).unwrap();
        assert_eq!(agenda.len(), 1);
        assert_eq!(agenda[0].id, "C1/reminder/email");
        // Reopening does not ship the scenarios twice.
        drop(conn);
        let conn = open(&path).unwrap();
        assert_eq!(crate::dunning::scenarios::list(&conn).unwrap().len(), 3);
    }

    #[test]
    fn newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        assert!(matches!(open(&path), Err(Error::NewerSchema { .. })));
    }
}
