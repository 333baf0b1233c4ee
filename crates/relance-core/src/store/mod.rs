//! The SQLite store: opening a database, connection settings, and schema migrations.
//!
//! Each migration is one SQL file under `migrations/`, applied in order inside an IMMEDIATE
//! transaction that also bumps `PRAGMA user_version`, so a crash leaves either the old or the
//! new schema, never half of one. A database whose version is newer than this build is refused.
//!
//! The store knows no domain: seeding the shipped scenarios happens one floor up, in
//! [`crate::open`].

pub mod pg;
pub mod sql;
pub mod transfer;

use crate::error::{Error, Result};
use rusqlite::{OpenFlags, OptionalExtension, TransactionBehavior};
pub use sql::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Ordered migrations: index + 1 is the schema version each one produces.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_initial.sql"),
    include_str!("migrations/sqlite/0002_dunning.sql"),
    include_str!("migrations/sqlite/0003_rates.sql"),
    include_str!("migrations/sqlite/0004_documents.sql"),
    include_str!("migrations/sqlite/0005_penalties.sql"),
    include_str!("migrations/sqlite/0006_templates.sql"),
    include_str!("migrations/sqlite/0007_rate_series.sql"),
    include_str!("migrations/sqlite/0008_email_templates.sql"),
    include_str!("migrations/sqlite/0009_contracts.sql"),
    include_str!("migrations/sqlite/0010_segment_overrides.sql"),
    include_str!("migrations/sqlite/0011_aging_index.sql"),
    include_str!("migrations/sqlite/0012_report_indexes.sql"),
    include_str!("migrations/sqlite/0013_segment_log.sql"),
    include_str!("migrations/sqlite/0014_paid_on.sql"),
    include_str!("migrations/sqlite/0015_same_letter.sql"),
    include_str!("migrations/sqlite/0016_promise_watermark.sql"),
    include_str!("migrations/sqlite/0017_undo.sql"),
    include_str!("migrations/sqlite/0018_archive.sql"),
    include_str!("migrations/sqlite/0019_proposals_aside.sql"),
    include_str!("migrations/sqlite/0020_sanction_after.sql"),
    include_str!("migrations/sqlite/0021_bank.sql"),
    include_str!("migrations/sqlite/0022_settlement_reversal.sql"),
    include_str!("migrations/sqlite/0023_foreign_key_indexes.sql"),
    include_str!("migrations/sqlite/0024_journal_bank_line.sql"),
    include_str!("migrations/sqlite/0025_customer_identifiers.sql"),
    include_str!("migrations/sqlite/0026_invoice_drafts.sql"),
    include_str!("migrations/sqlite/0027_credit_note_documents.sql"),
    include_str!("migrations/sqlite/0028_tax_currency.sql"),
    include_str!("migrations/sqlite/0029_operation_category.sql"),
    include_str!("migrations/sqlite/0030_einvoice_originals.sql"),
    include_str!("migrations/sqlite/0031_delivery_address.sql"),
    include_str!("migrations/sqlite/0032_document_discount.sql"),
    include_str!("migrations/sqlite/0033_contract_exchange_rate.sql"),
    include_str!("migrations/sqlite/0034_journal_actor.sql"),
    include_str!("migrations/sqlite/0035_scale.sql"),
    include_str!("migrations/sqlite/0036_agenda_wake.sql"),
    include_str!("migrations/sqlite/0037_segment_dirty.sql"),
    include_str!("migrations/sqlite/0038_customer_balances.sql"),
    include_str!("migrations/sqlite/0039_customer_habits.sql"),
    include_str!("migrations/sqlite/0040_segment_marks.sql"),
    include_str!("migrations/sqlite/0041_contracts_signed.sql"),
    include_str!("migrations/sqlite/0042_segment_index.sql"),
    include_str!("migrations/sqlite/0043_due_balances.sql"),
    include_str!("migrations/sqlite/0044_segment_reminded.sql"),
    include_str!("migrations/sqlite/0045_segment_rule_reminder_pending.sql"),
    include_str!("migrations/sqlite/0046_agenda_kept.sql"),
    include_str!("migrations/sqlite/0047_agenda_kept_segment.sql"),
    include_str!("migrations/sqlite/0048_triggers_mark_under_upserts.sql"),
    include_str!("migrations/sqlite/0049_bank_lines_pages.sql"),
    include_str!("migrations/sqlite/0050_invoice_number_key.sql"),
    include_str!("migrations/sqlite/0051_customer_words.sql"),
    include_str!("migrations/sqlite/0052_reminders_that_may_move.sql"),
    include_str!("migrations/sqlite/0053_customers_by_name_bytes.sql"),
    include_str!("migrations/sqlite/0054_bank_lines_kept.sql"),
    include_str!("migrations/sqlite/0055_balances_caught_up_on_server.sql"),
    include_str!("migrations/sqlite/0056_bank_lines_ignored.sql"),
    include_str!("migrations/sqlite/0057_bank_lines_waiting.sql"),
    include_str!("migrations/sqlite/0058_invoices_open_due_covering.sql"),
    include_str!("migrations/sqlite/0059_bank_line_counts.sql"),
    include_str!("migrations/sqlite/0060_day_sums.sql"),
    include_str!("migrations/sqlite/0061_invoices_number_odd_ranges.sql"),
];

/// The PostgreSQL migrations: (the version each one produces, its SQL). The first creates
/// the whole schema of its version on an empty database (no server ledger existed before it);
/// every later one comes in step with the SQLite migration of the same number.
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (34, include_str!("migrations/postgres/0034_schema.sql")),
    (35, include_str!("migrations/postgres/0035_scale.sql")),
    (36, include_str!("migrations/postgres/0036_agenda_wake.sql")),
    (
        37,
        include_str!("migrations/postgres/0037_segment_dirty.sql"),
    ),
    (
        38,
        include_str!("migrations/postgres/0038_customer_balances.sql"),
    ),
    (
        39,
        include_str!("migrations/postgres/0039_customer_habits.sql"),
    ),
    (
        40,
        include_str!("migrations/postgres/0040_segment_marks.sql"),
    ),
    (
        41,
        include_str!("migrations/postgres/0041_contracts_signed.sql"),
    ),
    (
        42,
        include_str!("migrations/postgres/0042_segment_index.sql"),
    ),
    (
        43,
        include_str!("migrations/postgres/0043_due_balances.sql"),
    ),
    (
        44,
        include_str!("migrations/postgres/0044_segment_reminded.sql"),
    ),
    (
        45,
        include_str!("migrations/postgres/0045_segment_rule_reminder_pending.sql"),
    ),
    (46, include_str!("migrations/postgres/0046_agenda_kept.sql")),
    (
        47,
        include_str!("migrations/postgres/0047_agenda_kept_segment.sql"),
    ),
    (
        48,
        include_str!("migrations/postgres/0048_triggers_mark_under_upserts.sql"),
    ),
    (
        49,
        include_str!("migrations/postgres/0049_bank_lines_pages.sql"),
    ),
    (
        50,
        include_str!("migrations/postgres/0050_invoice_number_key.sql"),
    ),
    (
        51,
        include_str!("migrations/postgres/0051_customer_words.sql"),
    ),
    (
        52,
        include_str!("migrations/postgres/0052_reminders_that_may_move.sql"),
    ),
    (
        53,
        include_str!("migrations/postgres/0053_customers_by_name_bytes.sql"),
    ),
    (
        54,
        include_str!("migrations/postgres/0054_bank_lines_kept.sql"),
    ),
    (
        55,
        include_str!("migrations/postgres/0055_balances_caught_up_on_server.sql"),
    ),
    (
        56,
        include_str!("migrations/postgres/0056_bank_lines_ignored.sql"),
    ),
    (
        57,
        include_str!("migrations/postgres/0057_bank_lines_waiting.sql"),
    ),
    (
        58,
        include_str!("migrations/postgres/0058_invoices_open_due_covering.sql"),
    ),
    (
        59,
        include_str!("migrations/postgres/0059_bank_line_counts.sql"),
    ),
    (60, include_str!("migrations/postgres/0060_day_sums.sql")),
    (
        61,
        include_str!("migrations/postgres/0061_invoices_number_odd_ranges.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Environment variable that overrides the database path (the app and the CLI honour it).
pub const DB_ENV: &str = "RELANCE_DB";

/// Stamped in every Relance database (`PRAGMA application_id`, the bytes "RLNC"), so a
/// SQLite file of another program is recognised and refused untouched.
pub const APPLICATION_ID: i32 = 0x524C_4E43;

/// Tables a Relance database written before the stamp existed always has.
const RELANCE_TABLES: [&str; 4] = ["customers", "invoices", "journal", "settings"];

/// What the file at a path is, read without changing a byte of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// No file, or an empty one: a new database will be created.
    New,
    /// A Relance database at this schema version (maybe older than this build).
    Relance { version: i64 },
}

/// Looks at the file at `path` read-only and refuses, untouched, what is not a Relance
/// database this build can open: another program's SQLite file, a file that is not SQLite,
/// a damaged header, a schema newer than this build, or a folder that does not exist.
pub fn inspect(path: &Path) -> Result<FileState> {
    let shown = || path.display().to_string();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            if let Some(dir) = dir {
                if !dir.is_dir() {
                    return Err(Error::FolderNotFound(dir.display().to_string()));
                }
            }
            return Ok(FileState::New);
        }
        Err(e) => return Err(e.into()),
        Ok(m) if m.is_dir() => return Err(Error::NotADatabase(shown())),
        Ok(m) if m.len() == 0 => return Ok(FileState::New),
        Ok(_) => {}
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let header = || -> rusqlite::Result<(i32, i64, Vec<String>)> {
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
        let tables = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok((app, version, tables))
    };
    let (app, version, tables) = match header() {
        Ok(h) => h,
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(Error::NotADatabase(shown()))
        }
        Err(e) => return Err(Error::damaged(shown(), &e)),
    };
    let ours = app == APPLICATION_ID
        || (app == 0
            && (tables.is_empty() || RELANCE_TABLES.iter().all(|t| tables.iter().any(|n| n == t))));
    if !ours {
        return Err(Error::ForeignDatabase(shown()));
    }
    if version < 0 || (version == 0 && !tables.is_empty()) {
        return Err(Error::damaged(
            shown(),
            &format!("schema version {version}"),
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(if tables.is_empty() {
        FileState::New
    } else {
        FileState::Relance { version }
    })
}

/// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
/// The file is first [`inspect`]ed, so a file that is not ours is refused before anything
/// (WAL mode, the stamp, tables) is written to it. Before a migration, a snapshot of the
/// old file is written to `backups/` beside it. The folder must exist (the shells create
/// the default data folder; a `--db` in a missing folder is a typing mistake).
/// The engine's entry point is [`crate::open`], which also seeds the shipped data.
pub fn connect(path: &Path) -> Result<Connection> {
    let state = inspect(path)?;
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&mut conn, true)?;
    let conn = Connection::from_sqlite(conn);
    if let FileState::Relance { version } = state {
        if version < SCHEMA_VERSION {
            let name = format!("relance-before-v{}-{}.sqlite", SCHEMA_VERSION, stamp_now());
            snapshot(&conn, &backups_dir(path).join(name))?;
        }
    }
    conn.pragma_update("application_id", APPLICATION_ID)?;
    migrate(&conn, SCHEMA_VERSION).map_err(|e| match e {
        Error::Db(db) => Error::damaged(path.display().to_string(), &db),
        other => other,
    })?;
    Ok(conn)
}

/// Where the app opens its demo: `demo/relance.sqlite` beside the owner's ledger, a ledger
/// of its own (its snapshots in `demo/backups`, never among the owner's).
pub fn demo_path(owner: &Path) -> PathBuf {
    owner
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("demo")
        .join("relance.sqlite")
}

/// The folder of automatic and safety snapshots: `backups/` beside the database.
pub fn backups_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("backups")
}

/// The computer's local time as used in snapshot file names (`2026-11-22T09-30-05`).
pub fn stamp_now() -> String {
    chrono::Local::now().format("%Y-%m-%dT%H-%M-%S").to_string()
}

/// Writes a consistent copy of the live database to `dest` with SQLite's online backup API
/// (other connections may keep reading and writing). The copy is written under a
/// temporary name, checked with `PRAGMA integrity_check`, flushed to disk, and only then
/// renamed to `dest`, so `dest` is either absent or a whole, checked database. Returns
/// the size in bytes.
pub fn snapshot(conn: &Connection, dest: &Path) -> Result<u64> {
    let source = conn
        .sqlite()
        .ok_or(Error::Server(crate::error::ServerFault::FileOnly(
            "snapshot",
        )))?;
    write_whole_file(dest, |tmp| {
        let mut copy = rusqlite::Connection::open(tmp)?;
        let b = rusqlite::backup::Backup::new(source, &mut copy)?;
        // Every page in one step, so one read of the file (WAL: writers go on meanwhile).
        // Step by step, a commit by another connection between two steps starts the copy
        // over: a snapshot taken beside a window that writes might never end.
        // Busy or locked (another connection's checkpoint, a restore): tried again for up
        // to a minute.
        for _ in 0..3000 {
            match b.step(-1)? {
                rusqlite::backup::StepResult::Done => return Ok(()),
                rusqlite::backup::StepResult::More => {}
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("the ledger stayed busy for a minute".into()),
        )
        .into())
    })
}

/// Writes a Relance file at `dest` whole or not at all: `fill` writes it under a temporary
/// name of this process, which is then made self-contained (no `-wal` beside it), checked
/// with `PRAGMA integrity_check`, flushed to disk, and only then renamed to `dest`. Returns
/// the size in bytes.
pub fn write_whole_file(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<u64> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // This process's own temporary name: two processes taking the same snapshot at once
    // (two commands started together on the first run of the day) never share one.
    let mut tmp = dest.as_os_str().to_owned();
    tmp.push(format!(".{}{PARTIAL}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let result = (|| -> Result<u64> {
        fill(&tmp)?;
        {
            let copy = rusqlite::Connection::open(&tmp)?;
            // A snapshot is a self-contained file: no -wal beside it.
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            let ok: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(Error::damaged(tmp.display().to_string(), &ok));
            }
        }
        let f = std::fs::File::open(&tmp)?;
        f.sync_all()?;
        let size = f.metadata()?.len();
        std::fs::rename(&tmp, dest)?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself must reach the disk (POSIX: fsync the folder).
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(size)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub use pg::{is_server_address, pgpass, Listener, SslMode, Tls};

/// The TLS a server address asks for (its mode and the files it names), read as a
/// connection reads it.
pub fn server_tls(address: &str) -> Result<Tls> {
    pg::config(address, &|k| std::env::var(k).ok())
        .map(|t| t.tls)
        .map_err(crate::error::Error::Server)
}

/// A number that changes when another connection commits to the ledger file (SQLite's
/// `PRAGMA data_version`: this connection's own commits do not change it); `None` on a
/// server, where a [`Listener`] hears the others instead.
pub fn data_version(conn: &Connection) -> Result<Option<i64>> {
    match conn.dialect() {
        sql::Dialect::Sqlite => Ok(Some(
            conn.query_row("PRAGMA data_version", [], |r| r.get(0))?,
        )),
        sql::Dialect::Postgres => Ok(None),
    }
}

/// The server process of this connection's session (what a [`Listener`] sees as the
/// sender of its commits); `None` on a file.
pub fn session_id(conn: &Connection) -> Result<Option<i32>> {
    match conn.dialect() {
        sql::Dialect::Sqlite => Ok(None),
        sql::Dialect::Postgres => Ok(Some(
            conn.query_row("SELECT pg_backend_pid()", [], |r| r.get::<_, i64>(0))? as i32,
        )),
    }
}

/// Opens a session on a PostgreSQL server (an address `postgres://…`; see [`pg::config`] for
/// what it may leave out and where the password comes from), without looking at what the
/// database holds. A ledger opens with [`connect_ledger`].
pub fn connect_server(address: &str) -> Result<Connection> {
    let client = pg::connect(address, &|k| std::env::var(k).ok())?;
    Ok(Connection::from_postgres(client))
}

/// Opens the shared ledger at a PostgreSQL address and migrates it to this build's schema:
/// an empty database becomes a ledger; a database holding other tables is refused untouched,
/// and so is a ledger written by a newer Relance.
pub fn connect_ledger(address: &str) -> Result<Connection> {
    let mut conn = connect_server(address)?;
    migrate_server(&mut conn, address)?;
    Ok(conn)
}

/// Creates a new, empty database on the server at `address` (its name unique to this
/// process and call) and returns its address: a private ledger for a test, as an in-memory
/// SQLite file is.
pub fn fresh_server_database(address: &str) -> Result<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let admin = connect_server(address)?;
    let name = format!(
        "relance_test_{}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    admin.execute_batch(&format!("CREATE DATABASE {name}"))?;
    let base = address.split('?').next().unwrap_or(address);
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// The schema version of a ledger on a server (0: an empty database; a database holding
/// other tables is refused as another program's).
pub fn server_version(conn: &Connection, shown: &str) -> Result<i64> {
    let ours: Option<String> =
        conn.query_row("SELECT to_regclass('relance_schema')::text", [], |r| {
            r.get(0)
        })?;
    if ours.is_none() {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            [],
            |r| r.get(0),
        )?;
        return if tables == 0 {
            Ok(0)
        } else {
            Err(Error::ForeignDatabase(shown.to_string()))
        };
    }
    Ok(conn
        .query_row("SELECT max(version) FROM relance_schema", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

fn migrate_server(conn: &mut Connection, shown: &str) -> Result<()> {
    let tx = conn.transaction()?;
    let current = server_version(&tx, shown)?;
    if current > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    // Only the owner changes the schema: a granted role on an older ledger is told who
    // upgrades it; on an empty database it is told who creates the ledger.
    if current < SCHEMA_VERSION && !is_owner(&tx)? {
        return Err(Error::Server(if current == 0 {
            crate::error::ServerFault::OwnerOnly("create the ledger")
        } else {
            crate::error::ServerFault::NeedsUpgrade {
                found: current,
                needed: SCHEMA_VERSION,
            }
        }));
    }
    for (version, sql) in PG_MIGRATIONS {
        if *version <= current || *version > SCHEMA_VERSION {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM relance_schema", [])?;
        tx.execute(
            "INSERT INTO relance_schema (version) VALUES (?1)",
            [version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Whether the role logged in on a server owns the ledger (or, on an empty database, may
/// create it): the owner migrates, restores and grants. On a file, always.
pub fn is_owner(conn: &Connection) -> Result<bool> {
    if conn.dialect() == sql::Dialect::Sqlite {
        return Ok(true);
    }
    Ok(conn.query_row(
        "SELECT COALESCE(
            (SELECT pg_has_role(current_user, t.tableowner, 'USAGE') FROM pg_tables t
              WHERE t.schemaname = current_schema() AND t.tablename = 'relance_schema'),
            has_schema_privilege(current_schema(), 'CREATE'))",
        [],
        |r| r.get(0),
    )?)
}

/// Tables whose rows are never changed or removed once written (the triggers refuse it
/// too): a granted role may add to them only.
const APPEND_ONLY: [&str; 8] = [
    "journal",
    "penalty_charges",
    "invoice_lines",
    "documents",
    "invoice_archives",
    "credit_note_documents",
    "credit_note_document_lines",
    "credit_note_archives",
];
/// Tables whose rows may be removed (an import undone) but never changed.
const NEVER_CHANGED: [&str; 5] = [
    "allocations",
    "journal_invoices",
    "settlement_differences",
    "payment_reversals",
    "einvoice_originals",
];

/// Lets `role` (an existing login role of the server) work in the shared ledger: read and
/// write what the application writes, but no schema change, no TRUNCATE, no UPDATE or
/// DELETE on the append-only tables, none on an issued invoice (row policies) and none on
/// the schema version. The owner's alone; refused on a file.
pub fn grant(conn: &mut Connection, role: &str) -> Result<()> {
    use crate::error::ServerFault;
    if conn.dialect() != sql::Dialect::Postgres {
        return Err(Error::Server(ServerFault::FileOnly("server grant")));
    }
    let valid = !role.is_empty()
        && role.len() <= 63
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !valid {
        return Err(Error::Server(ServerFault::BadAddress(format!(
            "role \"{role}\": letters, digits, _ - . only"
        ))));
    }
    let tx = conn.transaction()?;
    if !is_owner(&tx)? {
        return Err(Error::Server(ServerFault::OwnerOnly("server grant")));
    }
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?1)",
        [role],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::Server(ServerFault::Denied(format!(
            "no role \"{role}\" on this server: its administrator creates it first"
        ))));
    }
    let r = format!("\"{role}\"");
    // The server's own names, quoted as identifiers (a quote inside doubled).
    let ident = |sql: &str| -> Result<String> {
        let name: String = tx.query_row(sql, [], |x| x.get(0))?;
        Ok(format!("\"{}\"", name.replace('"', "\"\"")))
    };
    let db = ident("SELECT current_database()::text")?;
    let schema = ident("SELECT current_schema()::text")?;
    // No one but the owner creates in the ledger's schema (PostgreSQL before 15 let
    // everyone create in `public`).
    let mut sql = format!(
        "REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;
         REVOKE CREATE ON SCHEMA {schema} FROM {r};
         GRANT CONNECT ON DATABASE {db} TO {r};
         GRANT USAGE ON SCHEMA {schema} TO {r};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {r};
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r};
         REVOKE INSERT, UPDATE, DELETE ON relance_schema FROM {r};"
    );
    for t in APPEND_ONLY {
        sql.push_str(&format!("REVOKE UPDATE, DELETE ON {t} FROM {r};"));
    }
    for t in NEVER_CHANGED {
        sql.push_str(&format!("REVOKE UPDATE ON {t} FROM {r};"));
    }
    tx.execute_batch(&sql)?;
    tx.commit()?;
    Ok(())
}

/// A migrated in-memory database (tests, benchmarks); see [`crate::open_in_memory`].
pub fn connect_in_memory() -> Result<Connection> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    configure(&mut conn, false)?;
    let conn = Connection::from_sqlite(conn);
    migrate(&conn, SCHEMA_VERSION)?;
    Ok(conn)
}

/// The page cache of a file's connection, in KiB as SQLite counts it (negative), see
/// [`configure`].
const CACHE_SIZE: i64 = -262_144;

/// How long a connection to a ledger file waits for another one's lock before it says busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn configure(conn: &mut rusqlite::Connection, wal: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every `conn.transaction()` takes the write lock at BEGIN, waiting up to the busy
    // timeout. A DEFERRED transaction reads first and upgrades later; in WAL mode an upgrade
    // after another process committed fails at once with SQLITE_BUSY (the timeout cannot
    // help), which made a second writer (the app plus a script) fail in 5 ms.
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    if wal {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    // FULL: in WAL mode, NORMAL may lose the last acknowledged transactions on power loss;
    // a payment the user saw recorded must still be there (cost measured in `./dev bench`).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A page cache of up to 256 MiB (filled only as pages are read) and the file mapped up
    // to 2 GiB: the default 2 MiB cache turned every random B-tree visit of the agenda's
    // 28,000 open invoices into a read(), and at a million invoices (a 700 MB file) a
    // 64 MiB cache and 256 MiB map made every write that touches random index pages grow
    // faster than the ledger (payments import 26× for 10× the rows; 12× with these).
    conn.pragma_update(None, "cache_size", CACHE_SIZE)?;
    conn.pragma_update(None, "mmap_size", 2_147_418_112_i64)?;
    // Temporary storage in memory: inside a transaction, each statement that may fail half
    // way (a foreign key, a trigger, an upsert) first copies every page it changes to a
    // statement journal, and in a temporary file that was a write() per page per row: a
    // third of a CSV import's time (measured with perf). Sorts and temporary tables are kept
    // in memory too, except while a bulk import of invoices builds its indexes again
    // ([`sort_on_disk`]); the ledger's own journal (the WAL) is untouched.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Every statement run through `Connection` is kept prepared (`sql.rs`): room for the
    // engine's few hundred distinct ones, so a bulk write's do not push each other out.
    conn.set_prepared_statement_cache_capacity(512);
    Ok(())
}

/// On a file, drops `table`'s own indexes inside the caller's transaction and returns their
/// SQL for [`create_again`]; unique ones stay, as do those of its UNIQUE and PRIMARY KEY
/// constraints (they keep refusing duplicates); on a server, nothing. For a bulk write of
/// many rows: one sort per index at the end instead of a random B-tree insert per row and
/// index. A read of the table meanwhile still works, only slower.
pub(crate) fn drop_indexes(tx: &Connection, table: &str) -> Result<Vec<String>> {
    if tx.dialect() != sql::Dialect::Sqlite {
        return Ok(Vec::new());
    }
    let indexes: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL
               AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
        )?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<sql::Result<_>>()?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
}

/// Creates again the indexes [`drop_indexes`] or the triggers [`drop_triggers`] dropped, in
/// the same transaction.
///
/// An index over many rows is built by SQLite's sorter. Kept in memory (the connection's
/// `temp_store`) with the connection's large cache, it sorts every row as one list, one
/// allocation per row: 9 s of a million invoices' import for their 9 indexes. In pieces of
/// 2 MiB, sorted by two threads and merged through a temporary file ([`sort_on_disk`]),
/// the same indexes take 4 s (measured on the bench's ledger); the cache is set back after.
pub(crate) fn create_again(tx: &Connection, dropped: &[String]) -> Result<()> {
    let indexes = tx.dialect() == sql::Dialect::Sqlite
        && dropped.iter().any(|s| s.starts_with("CREATE INDEX"));
    if indexes {
        tx.execute_batch("PRAGMA cache_size = -2048; PRAGMA threads = 2")?;
    }
    let built = dropped.iter().try_for_each(|sql| tx.execute_batch(sql));
    if indexes {
        tx.execute_batch(&format!(
            "PRAGMA cache_size = {CACHE_SIZE}; PRAGMA threads = 0"
        ))?;
    }
    Ok(built?)
}

/// On a file, keeps the connection's temporary storage in files (`on`) or in memory (the
/// default, see [`configure`]); on a server, nothing. SQLite's sorter sorts in pieces only
/// when its temporary storage is a file ([`create_again`]); it refuses the change inside a
/// transaction, so the caller sets it before its bulk write's transaction and back after.
/// The statement journal goes to a file meanwhile too: a bulk write that keeps it (a row
/// that fires a trigger) would pay a write per row.
pub(crate) fn sort_on_disk(conn: &Connection, on: bool) -> Result<()> {
    if conn.dialect() == sql::Dialect::Sqlite {
        let store = if on { "FILE" } else { "MEMORY" };
        conn.execute_batch(&format!("PRAGMA temp_store = {store}"))?;
    }
    Ok(())
}

/// The highest id in `table` (a constant name), 0 when empty: the rows a bulk write inserts
/// come after it.
pub(crate) fn last_id(conn: &Connection, table: &str) -> Result<i64> {
    Ok(conn.query_row(
        &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )?)
}

/// On a file, drops the triggers named inside the caller's transaction and returns their SQL
/// for [`create_again`] (SQL run again as it is); on a server, nothing. For a bulk write
/// that then does what they would have done once, over every row it wrote: a trigger makes
/// each row's INSERT a statement that may fail half way, which SQLite first copies to a
/// statement journal page by page.
pub(crate) fn drop_triggers(tx: &Connection, names: &[&str]) -> Result<Vec<String>> {
    use sql::OptionalExtension as _;
    if tx.dialect() != sql::Dialect::Sqlite {
        return Ok(Vec::new());
    }
    let mut dropped = Vec::new();
    for name in names {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        let sql = sql.ok_or_else(|| Error::damaged("schema", &format!("no trigger {name}")))?;
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
        dropped.push(sql);
    }
    Ok(dropped)
}

/// The ledger's tables, by name in byte order (not the engine's own bookkeeping).
pub fn tables(conn: &Connection) -> Result<Vec<String>> {
    let sql = match conn.dialect() {
        sql::Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name"
        }
        sql::Dialect::Postgres => {
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> 'relance_schema'
             ORDER BY table_name COLLATE \"C\""
        }
    };
    Ok(conn
        .prepare(sql)?
        .query_map([], |r| r.get(0))?
        .collect::<sql::Result<_>>()?)
}

/// The schema version recorded in the ledger (a file's header, a server's `relance_schema`).
pub fn schema_version(conn: &Connection) -> Result<i64> {
    let sql = match conn.dialect() {
        sql::Dialect::Sqlite => "PRAGMA user_version",
        sql::Dialect::Postgres => "SELECT COALESCE(MAX(version), 0) FROM relance_schema",
    };
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

/// Applies migrations up to `target` (exposed so tests can build an old-version database).
pub fn migrate(conn: &Connection, target: i64) -> Result<()> {
    let current = schema_version(conn)?;
    if current < 0 {
        return Err(Error::damaged(
            "database",
            &format!("schema version {current}"),
        ));
    }
    if current > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    // SQLite's procedure for rebuilding a table that others reference: foreign keys off
    // around the transaction (the pragma is ignored inside one), checked before commit.
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update("foreign_keys", "OFF")?;
    let run = || -> Result<()> {
        for version in (current + 1)..=target.min(SCHEMA_VERSION) {
            let sql = MIGRATIONS[(version - 1) as usize];
            let tx = conn.unchecked_transaction()?;
            // Another process may have applied it while this one waited for the lock.
            if schema_version(&tx)? >= version {
                continue;
            }
            tx.pragma_update("application_id", APPLICATION_ID)?;
            tx.execute_batch(sql)?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()?;
            if let Some(table) = broken {
                return Err(Error::damaged(
                    "database",
                    &format!("migration {version}: a row of {table} lost its reference"),
                ));
            }
            tx.pragma_update("user_version", version)?;
            tx.commit()?;
        }
        Ok(())
    };
    let done = run();
    conn.pragma_update("foreign_keys", if fk == 1 { "ON" } else { "OFF" })?;
    done
}

/// The default database path: `<platform data dir>/relance/relance.sqlite`, unless
/// `RELANCE_DB` is set. Linux: `$XDG_DATA_HOME` or `~/.local/share`; macOS:
/// `~/Library/Application Support`; Windows: `%APPDATA%`.
pub fn default_path() -> PathBuf {
    match db_env() {
        Some(Place::File(p)) => p,
        _ => data_file(),
    }
}

/// The platform data folder's ledger file, whatever `RELANCE_DB` says.
fn data_file() -> PathBuf {
    data_dir().join("relance").join("relance.sqlite")
}

/// `RELANCE_DB` when it is set and not empty.
fn db_env() -> Option<Place> {
    std::env::var_os(DB_ENV)
        .filter(|p| !p.is_empty())
        .map(Place::parse)
}

/// [`default_path`], creating the platform data folder when it is the one used (a first
/// start). A `RELANCE_DB` in a missing folder is left to [`inspect`] to refuse.
pub fn prepare_default_path() -> Result<PathBuf> {
    let path = default_path();
    if !matches!(db_env(), Some(Place::File(_))) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    Ok(path)
}

/// Where a ledger lives: a file on this computer (the default, for one person) or a
/// database on a PostgreSQL server (`postgres://…`, shared by a team).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    File(PathBuf),
    Server(String),
}

impl Place {
    /// What a user gave as `--db` or `RELANCE_DB`: a server address (`postgres://…`,
    /// `postgresql://…`) or a file path.
    pub fn parse(given: impl AsRef<std::ffi::OsStr>) -> Place {
        let given = given.as_ref();
        match given.to_str() {
            Some(s) if is_server_address(s) => Place::Server(s.to_string()),
            _ => Place::File(PathBuf::from(given)),
        }
    }

    /// `given` when the user named a ledger, else `RELANCE_DB`, else the platform data
    /// folder's file (its folder created on a first start).
    pub fn chosen(given: Option<&std::ffi::OsStr>) -> Result<Place> {
        let place = match given.filter(|g| !g.is_empty()) {
            Some(g) => Place::parse(g),
            None => match db_env().or_else(|| remembered_server().map(Place::Server)) {
                Some(p) => p,
                None => return prepare_default_path().map(Place::File),
            },
        };
        if let Place::Server(_) = place {
            // Where this computer keeps the server ledger's local things (the demo).
            if let Some(dir) = place.local_file().parent() {
                std::fs::create_dir_all(dir)?;
            }
        }
        Ok(place)
    }

    /// The file on this computer beside which this ledger's local things go (its
    /// snapshots folder, the demo, the outputs never to overwrite): the ledger's own file,
    /// or for a server the platform data folder's file (which need not exist).
    pub fn local_file(&self) -> PathBuf {
        match self {
            Place::File(p) => p.clone(),
            Place::Server(_) => data_file(),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::File(p) => write!(f, "{}", p.display()),
            Place::Server(a) => f.write_str(a),
        }
    }
}

/// The file of this computer that remembers the shared ledger chosen in Settings (one line,
/// its address): the app and the CLI open it when neither `--db` nor `RELANCE_DB` says
/// otherwise. Not in the ledger: it says where the ledger is.
fn remembered_file() -> PathBuf {
    data_dir().join("relance").join("shared-ledger")
}

/// The shared ledger chosen in Settings on this computer, if any.
pub fn remembered_server() -> Option<String> {
    std::fs::read_to_string(remembered_file())
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| is_server_address(s))
}

/// Remembers the shared ledger chosen in Settings (`None`: back to the file of this
/// computer). Written whole under a temporary name, then renamed.
pub fn remember_server(address: Option<&str>) -> Result<()> {
    let file = remembered_file();
    match address {
        None => match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::write("file", &file, e))
            }
            _ => Ok(()),
        },
        Some(a) => {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::write("file", dir, e))?;
            }
            let mut tmp = file.clone().into_os_string();
            tmp.push(PARTIAL);
            std::fs::write(&tmp, format!("{a}\n")).map_err(|e| Error::write("file", &file, e))?;
            std::fs::rename(&tmp, &file).map_err(|e| Error::write("file", &file, e))
        }
    }
}

/// The settings key a moved ledger file carries: the server it now lives on.
const MOVED_KEY: &str = "ledger_moved_to";

/// Refuses a ledger file that was moved to a server ([`mark_moved`]), naming the server.
pub fn refuse_moved(conn: &Connection) -> Result<()> {
    let to: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [MOVED_KEY],
            |r| r.get(0),
        )
        .optional()?;
    match to {
        Some(to) => Err(Error::Server(crate::error::ServerFault::Moved(to))),
        None => Ok(()),
    }
}

/// How many times [`write`] runs a write a server gave up for another.
const WRITE_ATTEMPTS: usize = 3;

/// Runs the write `f` in a write transaction of its own and commits it; on a server, runs it
/// again (up to [`WRITE_ATTEMPTS`] times in all) when the server gave the transaction up to
/// let another through (a serialization failure or a deadlock: [`Error::Busy`]). `f` reads
/// and writes the ledger only — its inputs parsed again, nothing kept from a try — so
/// running it again after the rollback is running it once. Relance's own writers queue on
/// one lock and never cause such a failure; another program writing the tables can. On a
/// file, a lock held past its timeout is not tried again (the timeout already waited).
pub fn write<T>(conn: &mut Connection, mut f: impl FnMut(&Connection) -> Result<T>) -> Result<T> {
    let server = conn.dialect() == sql::Dialect::Postgres;
    let mut attempt = 1;
    loop {
        let tx = conn.transaction()?;
        let outcome = f(&tx).and_then(|v| {
            tx.commit()?;
            Ok(v)
        });
        match outcome {
            Err(Error::Busy) if server && attempt < WRITE_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// Takes the "moved" mark off a ledger (a restore brings a moved file's data back here).
pub fn clear_moved(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM settings WHERE key = ?1", [MOVED_KEY])?;
    Ok(())
}

/// Marks a ledger file as moved to `address` (inside the move's transaction on the file).
pub fn mark_moved(conn: &Connection, address: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [MOVED_KEY, address],
    )?;
    Ok(())
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

/// Writes a file the owner asked for (a PDF, an e-mail draft, an export) whole or not at
/// all: [`stage_output`] then [`Staged::finish`].
pub fn write_output(db: &Path, out: &Path, bytes: &[u8], field: &str) -> Result<()> {
    stage_output(db, out, bytes, field)?.finish()
}

/// The suffix of a file written but not yet given its name.
pub const PARTIAL: &str = ".partial";

/// A file written whole under `NAME.partial` and flushed to disk, waiting for its name. A
/// write that records something (an archived letter, an action done) stages its files
/// inside its transaction ([`stage_output_in`]) and names them after the commit: a failure
/// to write rolls the record back, and a kill before the commit leaves only `.partial`
/// files, which the next batch into that folder removes ([`tidy_partials`]). Dropped
/// without [`Staged::finish`] (the transaction failed), the partial file is removed.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    out: PathBuf,
    field: String,
    done: bool,
}

impl Staged {
    /// Gives the file its name (an atomic rename), then flushes the folder.
    pub fn finish(mut self) -> Result<()> {
        self.done = true;
        let renamed = std::fs::rename(&self.tmp, &self.out).and_then(|()| {
            match self.out.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(dir) => std::fs::File::open(dir).and_then(|d| d.sync_all()),
                None => Ok(()),
            }
        });
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(Error::write(&self.field, &self.out, e));
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Refuses an output path that exists and is not a regular file (a symbolic link, a
/// folder, a FIFO, a device node): only a regular file or a new path is written.
pub fn refuse_special_output(out: &Path, field: &str) -> Result<()> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.file_type().is_file() => Err(Error::invalid(
            field,
            crate::error::Msg::NotARegularFile(out.display().to_string()),
        )),
        _ => Ok(()),
    }
}

/// Writes `bytes` whole under `out` + [`PARTIAL`] and flushes them (see [`Staged`]).
/// Refused, writing nothing: the database as output, or a path that is not a regular file.
pub fn stage_output(db: &Path, out: &Path, bytes: &[u8], field: &str) -> Result<Staged> {
    use std::io::Write;
    refuse_database_as_output(db, out, field)?;
    refuse_special_output(out, field)?;
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(PARTIAL);
    let tmp = PathBuf::from(tmp);
    refuse_special_output(&tmp, field)?;
    let staged = Staged {
        tmp: tmp.clone(),
        out: out.to_path_buf(),
        field: field.to_string(),
        done: false,
    };
    let result = (|| -> std::io::Result<()> {
        // A leftover of a killed run is replaced; create_new never follows a link.
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        return Err(Error::write(field, out, e));
    }
    Ok(staged)
}

/// [`stage_output`] inside a write transaction that records something: the file is also
/// noted in `pending_files`, in that transaction. Once it commits, [`Staged::finish_in`]
/// names the file and forgets the note; if the process dies in between, the next start
/// names it ([`finish_pending`]), so a committed record never lacks its file. If the
/// transaction does not commit, the note goes with it and the `.partial` file is left for
/// [`tidy_partials`].
pub fn stage_output_in(
    tx: &Connection,
    db: &Path,
    out: &Path,
    bytes: &[u8],
    field: &str,
) -> Result<Staged> {
    // Noted as an absolute path: the next start may run from another folder.
    let out = std::path::absolute(out).map_err(|e| Error::write(field, out, e))?;
    let staged = stage_output(db, &out, bytes, field)?;
    tx.execute(
        "INSERT INTO pending_files (path) VALUES (?1) ON CONFLICT DO NOTHING",
        [out.to_string_lossy()],
    )?;
    Ok(staged)
}

impl Staged {
    /// [`Staged::finish`], then forgets the note of [`stage_output_in`]. Another process's
    /// start may have named the file first: it read the committed note ([`finish_pending`])
    /// between this commit and this rename. The file then has its name (the partial file
    /// is gone, the name is a regular file) and that is no failure: a clerk preparing the
    /// day's letters on a shared ledger was told "the folder … does not exist" of letters
    /// committed and named, when a colleague's command started at that moment.
    pub fn finish_in(self, conn: &Connection) -> Result<()> {
        let path = self.out.to_string_lossy().into_owned();
        let (tmp, out) = (self.tmp.clone(), self.out.clone());
        if let Err(e) = self.finish() {
            let named = std::fs::symlink_metadata(&tmp).is_err()
                && std::fs::symlink_metadata(&out).is_ok_and(|m| m.file_type().is_file());
            if !named {
                return Err(e);
            }
        }
        conn.execute("DELETE FROM pending_files WHERE path = ?1", [path])?;
        Ok(())
    }
}

/// Names the files a committed write staged but did not get to name (the process died
/// between its commit and the rename). Run at every start. Returns how many were named.
pub fn finish_pending(conn: &Connection) -> Result<usize> {
    let paths: Vec<String> = conn
        .prepare("SELECT path FROM pending_files ORDER BY path")?
        .query_map([], |r| r.get(0))?
        .collect::<sql::Result<_>>()?;
    let mut named = 0;
    for p in paths {
        let tmp = PathBuf::from(format!("{p}{PARTIAL}"));
        if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.file_type().is_file()) {
            std::fs::rename(&tmp, &p).map_err(|e| Error::write("file", Path::new(&p), e))?;
            named += 1;
        }
        conn.execute("DELETE FROM pending_files WHERE path = ?1", [&p])?;
    }
    Ok(named)
}

/// What the engine hands a file to write inside its transaction (see [`stage_output_in`]):
/// the transaction and the bytes.
pub type Sink<'a> = dyn FnMut(&Connection, &[u8]) -> Result<()> + 'a;
/// [`Sink`] for a batch: the transaction, the file's name and its bytes.
pub type BatchSink<'a> = dyn FnMut(&Connection, &str, &[u8]) -> Result<()> + 'a;

/// Removes the `.partial` files a killed batch left in `dir` (its files are written again):
/// only the kinds a batch writes (`.pdf`, `.eml`, `.html`).
pub fn tidy_partials(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let regular = e.file_type().is_ok_and(|t| t.is_file());
            let name = name.to_string_lossy();
            let ours = [".pdf", ".eml", ".html"]
                .iter()
                .any(|ext| name.ends_with(&format!("{ext}{PARTIAL}")));
            if regular && ours {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
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

    /// A server session plans each run of a statement with its own values (a generic plan
    /// guessed a third of the rows for `date > $1` and walked tables); a bulk write's
    /// transaction lets its statements be planned once, until it ends.
    #[test]
    fn a_server_plans_each_run_with_its_values_but_within_a_bulk_write() {
        let mut conn = open_in_memory().unwrap();
        if conn.sqlite().is_some() {
            // A file plans by SQLite's rules: nothing to choose.
            conn.unchecked_transaction()
                .unwrap()
                .generic_plans()
                .unwrap();
            return;
        }
        let mode = |c: &Connection| -> String {
            c.query_row("SELECT current_setting('plan_cache_mode')", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(mode(&conn), "force_custom_plan");
        for commit in [false, true] {
            {
                let tx = conn.transaction().unwrap();
                tx.generic_plans().unwrap();
                assert_eq!(mode(&tx), "auto");
                if commit {
                    tx.commit().unwrap();
                }
            }
            assert_eq!(mode(&conn), "force_custom_plan", "after commit: {commit}");
        }
    }

    /// Every reference to another row has an index starting with its column (holding every
    /// row, or every row where the column is set): deleting a referenced row then finds what
    /// refers to it without reading the whole referring table. Without it a restore, which
    /// replaces every row, is quadratic.
    #[test]
    fn every_reference_has_its_index() {
        let conn = open_in_memory().unwrap();
        if conn.sqlite().is_none() {
            return; // SQLite's own rule (tests/schema.rs compares the server's indexes).
        }
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<sql::Result<_>>()
            .unwrap();
        let mut missing = Vec::new();
        for t in &tables {
            let refs: Vec<(String, String)> = conn
                .prepare(&format!(
                    "SELECT \"from\", \"table\" FROM pragma_foreign_key_list('{t}')"
                ))
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<sql::Result<_>>()
                .unwrap();
            // An index serves a reference when it starts with its column and holds every
            // row, or every row that has the reference (`WHERE col IS NOT NULL`: SQLite's
            // lookup `col = ?` implies it, measured: a parent's delete over two million
            // children, 11 s without, 10 ms with such an index).
            let first_columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT f.name FROM pragma_index_list('{t}') l
                     JOIN pragma_index_info(l.name) f ON f.seqno = 0
                     LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
                     WHERE l.partial = 0
                        OR m.sql LIKE '%WHERE ' || f.name || ' IS NOT NULL'"
                ))
                .unwrap()
                .query_map([], |r| r.get::<_, Option<String>>(0))
                .unwrap()
                .filter_map(|c| c.unwrap())
                .collect();
            let pk: Option<String> = conn
                .query_row(
                    &format!("SELECT name FROM pragma_table_info('{t}') WHERE pk = 1"),
                    [],
                    |r| r.get(0),
                )
                .ok();
            for (column, parent) in refs {
                if !first_columns.contains(&column) && pk.as_deref() != Some(column.as_str()) {
                    missing.push(format!("{t}.{column} -> {parent}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "references without an index: {missing:?}"
        );
    }

    #[test]
    fn fresh_database_is_at_latest_version_with_foreign_keys() {
        let conn = open_in_memory().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        if conn.sqlite().is_none() {
            return; // A server always checks references.
        }
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn file_database_uses_wal_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
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

    /// Migration 60 fills the day sums from the facts: a day in one row, a day beyond 64 bits
    /// (totals an older build accepted) a row per fact; every day as the facts say.
    #[test]
    fn migration_60_sums_each_day_even_beyond_64_bits() {
        let mut raw = rusqlite::Connection::open_in_memory().unwrap();
        configure(&mut raw, false).unwrap();
        let conn = Connection::from_sqlite(raw);
        migrate(&conn, 59).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (reference, name, kind, language) VALUES ('C1', 'Old', 'business', 'fr');
             INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
                 VALUES ('F-1', 1, '2026-03-01', '2026-03-31', 'EUR', 12000),
                        ('F-2', 1, '2026-03-01', '2026-03-31', 'EUR', 3000),
                        ('F-H1', 1, '2026-03-02', '2026-03-31', 'EUR', 9223372036854775807),
                        ('F-H2', 1, '2026-03-02', '2026-03-31', 'EUR', 9223372036854775807);
             INSERT INTO payments (id, customer_id, date, currency, amount_minor, method)
                 VALUES (1, 1, '2026-03-05', 'EUR', 5000, 'transfer');
             INSERT INTO allocations (payment_id, invoice_id, amount_minor, date)
                 VALUES (1, 1, 5000, '2026-03-05');",
        )
        .unwrap();
        migrate(&conn, 60).unwrap();
        assert_eq!(
            crate::views::day_sums::verify(&conn, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
        let per_day: Vec<(String, i64)> = conn
            .prepare("SELECT day, COUNT(*) FROM day_sums GROUP BY day ORDER BY day")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<sql::Result<_>>()
            .unwrap();
        let want = [("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-05", 1)]
            .map(|(d, n)| (d.to_string(), n));
        assert_eq!(per_day, want);
    }

    #[test]
    fn v1_database_opens_with_latest_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let mut raw = rusqlite::Connection::open(&path).unwrap();
            configure(&mut raw, true).unwrap();
            let conn = Connection::from_sqlite(raw);
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

    /// Bytes of every file in `dir` (to prove a refusal left the folder untouched).
    fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn newer_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        {
            let conn = Connection::open_sqlite_file(&path, false).unwrap();
            migrate(&conn, SCHEMA_VERSION).unwrap();
            conn.pragma_update("user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let before = folder_bytes(dir.path());
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::NewerSchema { .. }), "{e}");
        assert!(e.message(crate::Lang::Fr).contains("plus récente"));
        // Not switched to WAL, no -wal/-shm created, not a byte changed.
        assert_eq!(folder_bytes(dir.path()), before);
    }

    #[test]
    fn another_programs_sqlite_file_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photos.db");
        {
            let conn = Connection::open_sqlite_file(&path, false).unwrap();
            conn.execute_batch("CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO albums VALUES (1, 'Summer');")
                .unwrap();
        }
        let before = folder_bytes(dir.path());
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::ForeignDatabase(_)), "{e}");
        assert_eq!(e.kind(), "foreign_database");
        assert!(e
            .message(crate::Lang::En)
            .contains("not a Relance database"));
        assert_eq!(folder_bytes(dir.path()), before);
        // Even one of our table names is not enough to be taken for ours.
        let path2 = dir.path().join("other.db");
        Connection::open_sqlite_file(&path2, false)
            .unwrap()
            .execute_batch("CREATE TABLE customers (x);")
            .unwrap();
        assert!(matches!(open(&path2), Err(Error::ForeignDatabase(_))));
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.sqlite");
        std::fs::write(
            &path,
            "reference,name\nC1,Not a database at all, just CSV text\n".repeat(20),
        )
        .unwrap();
        let before = folder_bytes(dir.path());
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::NotADatabase(_)), "{e}");
        assert_eq!(folder_bytes(dir.path()), before);
        let e = open(dir.path()).unwrap_err();
        assert!(matches!(e, Error::NotADatabase(_)), "{e}");
    }

    #[test]
    fn damaged_versions_give_one_line_and_no_panic() {
        let dir = tempfile::tempdir().unwrap();
        // user_version −1 on our file: refused (it panicked: the migration index underflowed).
        let path = dir.path().join("neg.sqlite");
        {
            let conn = open(&path).unwrap();
            conn.pragma_update("user_version", -1).unwrap();
        }
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::DamagedDatabase { .. }), "{e}");
        assert!(e.to_string().contains("schema version -1"), "{e}");
        // A version that does not match the tables: the failing migration is reported in
        // one short line, not as the SQL of the migration.
        let path = dir.path().join("wrong.sqlite");
        {
            let conn = open(&path).unwrap();
            conn.pragma_update("user_version", 1).unwrap();
        }
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::DamagedDatabase { .. }), "{e}");
        let text = e.message(crate::Lang::En);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.len() < 300, "{text}");
    }

    #[test]
    fn a_missing_folder_is_refused_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo").join("relance.sqlite");
        let e = open(&path).unwrap_err();
        assert!(matches!(e, Error::FolderNotFound(_)), "{e}");
        assert!(e.message(crate::Lang::Fr).contains("n'existe pas"));
        assert!(!dir.path().join("typo").exists());
    }

    #[test]
    fn files_are_stamped_and_unstamped_older_files_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let app_id = |p: &Path| -> i32 {
            Connection::open_sqlite_file(p, false)
                .unwrap()
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .unwrap()
        };
        drop(open(&path).unwrap());
        assert_eq!(app_id(&path), APPLICATION_ID);
        // A database written before the stamp existed (same tables, no id) is ours.
        let old = dir.path().join("old.sqlite");
        {
            let conn = Connection::open_sqlite_file(&old, false).unwrap();
            migrate(&conn, SCHEMA_VERSION).unwrap();
            conn.pragma_update("application_id", 0).unwrap();
        }
        drop(open(&old).unwrap());
        assert_eq!(app_id(&old), APPLICATION_ID);
        // An empty file (as `touch` leaves) becomes a new database.
        let empty = dir.path().join("empty.sqlite");
        std::fs::write(&empty, b"").unwrap();
        drop(open(&empty).unwrap());
        assert_eq!(app_id(&empty), APPLICATION_ID);
    }

    #[test]
    fn a_migration_is_preceded_by_a_snapshot_of_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open_sqlite_file(&path, false).unwrap();
            migrate(&conn, 1).unwrap();
            conn.execute(
                "INSERT INTO customers (reference, name, kind, language) VALUES ('C1', 'Old', 'business', 'fr')",
                [],
            )
            .unwrap();
        }
        drop(open(&path).unwrap());
        let snaps: Vec<_> = std::fs::read_dir(backups_dir(&path))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(snaps.len(), 1, "{snaps:?}");
        let name = snaps[0].file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with(&format!("relance-before-v{SCHEMA_VERSION}-")),
            "{name}"
        );
        let snap = Connection::open_sqlite_file(&snaps[0], false).unwrap();
        assert_eq!(schema_version(&snap).unwrap(), 1);
        let n: i64 = snap
            .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // Reopening an up-to-date file takes no further snapshot.
        drop(open(&path).unwrap());
        assert_eq!(std::fs::read_dir(backups_dir(&path)).unwrap().count(), 1);
    }

    /// Two processes writing at once (the app open and a script): every write succeeds. One
    /// thread adds invoices without pause while the other records payments against them; each
    /// has its own connection, as two processes would. With DEFERRED transactions most of the
    /// payments failed at once with "database is locked".
    #[test]
    fn two_writers_both_succeed() {
        use crate::test_support::inv;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.sqlite");
        {
            let conn = open(&path).unwrap();
            for r in ["ACME", "BETA"] {
                crate::customers::create(
                    &conn,
                    &crate::customers::CustomerInput {
                        reference: r.into(),
                        name: r.into(),
                        ..Default::default()
                    },
                )
                .unwrap();
            }
            for i in 0..200 {
                let n = format!("P-{i}");
                crate::invoices::create(
                    &conn,
                    &inv(&n, "BETA", "2026-01-01", "2026-02-01", "10"),
                    "2026-03-01".parse().unwrap(),
                )
                .unwrap();
            }
        }
        let as_of: chrono::NaiveDate = "2026-03-01".parse().unwrap();
        let adder = {
            let path = path.clone();
            std::thread::spawn(move || {
                let conn = open(&path).unwrap();
                let mut failures = 0;
                for i in 0..300 {
                    let n = format!("A-{i}");
                    let input = inv(&n, "ACME", "2026-01-01", "2026-02-01", "10");
                    if crate::invoices::create(&conn, &input, as_of).is_err() {
                        failures += 1;
                    }
                }
                failures
            })
        };
        let payer = std::thread::spawn(move || {
            let mut conn = open(&path).unwrap();
            let mut failures = Vec::new();
            for i in 0..200 {
                let input = crate::invoices::payments::PaymentInput {
                    customer: "BETA".into(),
                    date: "2026-02-15".into(),
                    amount: "10".into(),
                    allocations: vec![crate::invoices::payments::AllocationInput {
                        invoice: format!("P-{i}"),
                        amount: "10".into(),
                    }],
                    ..Default::default()
                };
                if let Err(e) = crate::invoices::payments::record(&mut conn, &input) {
                    failures.push(e.to_string());
                }
            }
            failures
        });
        assert_eq!(adder.join().unwrap(), 0, "invoice writer failed");
        let failures = payer.join().unwrap();
        assert!(
            failures.is_empty(),
            "{} payments failed: {:?}",
            failures.len(),
            failures.first()
        );
    }

    /// A file staged in a committed write and named first by another process's start
    /// (`finish_pending`, which reads the committed note) is no failure for the writer:
    /// the file has its name, the note is gone.
    #[test]
    fn a_file_named_first_by_another_start_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relance.sqlite");
        let mut conn = crate::open(&db).unwrap();
        let other = crate::open(&db).unwrap();
        let out = dir.path().join("letter.pdf");
        let tx = conn.transaction().unwrap();
        let staged = stage_output_in(&tx, &db, &out, b"%PDF-1.7 a letter", "out").unwrap();
        tx.commit().unwrap();
        assert_eq!(
            finish_pending(&other).unwrap(),
            1,
            "the other start names it"
        );
        staged.finish_in(&conn).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"%PDF-1.7 a letter");
        let noted: i64 = conn
            .query_row("SELECT COUNT(*) FROM pending_files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(noted, 0);
        // A rename that fails for another reason is still said.
        let blocked = dir.path().join("taken");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("inside"), b"x").unwrap();
        let tmp = dir.path().join("taken.partial");
        std::fs::write(&tmp, b"x").unwrap();
        let moved = Staged {
            tmp,
            out: blocked,
            field: "out".into(),
            done: false,
        };
        assert!(
            moved.finish_in(&conn).is_err(),
            "a folder in the way is a failure"
        );
    }
}
