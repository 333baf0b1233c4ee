//! Upgrades: a ledger written by an earlier release, opened by this one, keeps every row and
//! reads the same figures.
//!
//! Each fixture in `tests/fixtures/upgrade/` is the SQL dump of a real database made by a
//! released build (how each was made is written at its top), with
//! `<name>.expected.json` holding what that build itself printed for every invoice
//! (`relance invoice list --all --format json`). The test loads the dump into a file, opens it
//! as the app does, and checks that
//! - a snapshot of the old file was written to `backups/` before any migration, and holds
//!   exactly the old rows;
//! - every table, column and row of the old file is still there with the same values (a
//!   migration may add tables, columns and rows, never lose or change one);
//! - every invoice's total, settled amount, balance and status are what the old build read.
//!
//! The fixture of the current release (`release-0.1.0`) is at today's schema: it guards the
//! next migrations, which must keep all of it.

use relance_core::store::sql::{self, Value};
use relance_core::store::{self, SCHEMA_VERSION};
use relance_core::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rows by key: the rowid, or the primary key of a WITHOUT ROWID table.
type Rows = BTreeMap<String, Vec<Value>>;
/// Table name → (column names, rows by rowid).
type Snapshot = BTreeMap<String, (Vec<String>, Rows)>;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade")
}

fn read_all(conn: &Connection) -> Snapshot {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut out = Snapshot::new();
    for t in tables {
        // The key: the rowid, or for a WITHOUT ROWID table its primary key columns.
        let without_rowid = conn
            .prepare(&format!("SELECT rowid FROM \"{t}\" LIMIT 0"))
            .is_err();
        let key = if without_rowid {
            let mut pk = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{t}') WHERE pk > 0 ORDER BY pk"
                ))
                .unwrap();
            let cols: Vec<String> = pk
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert!(!cols.is_empty(), "{t}: no key");
            cols.iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ")
        } else {
            "rowid".to_string()
        };
        let mut stmt = conn
            .prepare(&format!("SELECT CAST({key} AS TEXT), * FROM \"{t}\""))
            .unwrap();
        let cols: Vec<String> = stmt.column_names().unwrap().into_iter().skip(1).collect();
        let n = cols.len();
        let rows: Rows = stmt
            .query_map([], |r| {
                let id: String = r.get(0)?;
                let vals = (1..=n)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<sql::Result<Vec<_>>>()?;
                Ok((id, vals))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        out.insert(t, (cols, rows));
    }
    out
}

/// Every table, column and row of `old` is in `new` with the same values.
fn assert_kept(fixture: &str, old: &Snapshot, new: &Snapshot) {
    for (table, (cols, rows)) in old {
        let (new_cols, new_rows) = new
            .get(table)
            .unwrap_or_else(|| panic!("{fixture}: table {table} is gone"));
        let at: Vec<usize> = cols
            .iter()
            .map(|c| {
                new_cols
                    .iter()
                    .position(|n| n == c)
                    .unwrap_or_else(|| panic!("{fixture}: column {table}.{c} is gone"))
            })
            .collect();
        for (rowid, vals) in rows {
            let got = new_rows
                .get(rowid)
                .unwrap_or_else(|| panic!("{fixture}: row {rowid} of {table} is gone"));
            for (i, v) in vals.iter().enumerate() {
                assert_eq!(
                    &got[at[i]], v,
                    "{fixture}: {table}.{} of row {rowid} changed",
                    cols[i]
                );
            }
        }
    }
}

fn row_count(s: &Snapshot) -> usize {
    s.values().map(|(_, rows)| rows.len()).sum()
}

/// Loads `<name>.sql` into a new file `relance.sqlite` in `dir`; returns its path.
fn load(dir: &Path, name: &str) -> PathBuf {
    let sql = std::fs::read_to_string(fixtures().join(format!("{name}.sql"))).unwrap();
    let path = dir.join("relance.sqlite");
    let conn = Connection::open_sqlite_file(&path, false).unwrap();
    conn.execute_batch(&sql).unwrap();
    path
}

fn upgrade(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = load(dir.path(), name);
    let (old, version) = {
        let conn = Connection::open_sqlite_file(&path, false).unwrap();
        (read_all(&conn), store::schema_version(&conn).unwrap())
    };
    assert!(
        (1..=SCHEMA_VERSION).contains(&version),
        "{name}: schema {version}"
    );
    assert!(row_count(&old) > 300, "{name}: a fixture with data");

    // Opened as the app opens it at start (migrations, shipped data, the day's snapshot,
    // the segments refreshed).
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let as_of: chrono::NaiveDate = expected["as_of"].as_str().unwrap().parse().unwrap();
    let (conn, warning) = relance_core::start(&path, as_of).unwrap();
    assert!(warning.is_none(), "{name}: {warning:?}");
    assert_eq!(store::schema_version(&conn).unwrap(), SCHEMA_VERSION);
    let new = read_all(&conn);
    assert_kept(name, &old, &new);

    // The safety snapshot: taken before migrating, and only then.
    let snaps: Vec<PathBuf> = std::fs::read_dir(store::backups_dir(&path))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("relance-before-v")
        })
        .collect();
    if version < SCHEMA_VERSION {
        assert_eq!(snaps.len(), 1, "{name}: {snaps:?}");
        let snap = Connection::open_sqlite_file(&snaps[0], true).unwrap();
        assert_eq!(
            store::schema_version(&snap).unwrap(),
            version,
            "{name}: the snapshot is the old file"
        );
        let in_snap = read_all(&snap);
        assert_kept(name, &old, &in_snap);
        assert_eq!(
            row_count(&in_snap),
            row_count(&old),
            "{name}: snapshot rows"
        );
    } else {
        assert!(snaps.is_empty(), "{name}: no migration, no snapshot");
    }

    // Every invoice reads as the old build read it.
    let invoices = relance_core::invoices::all(&conn, as_of).unwrap();
    let listed = expected["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), listed.len(), "{name}: invoice count");
    for e in listed {
        let number = e["number"].as_str().unwrap();
        let got = invoices
            .iter()
            .find(|i| i.number == number)
            .unwrap_or_else(|| panic!("{name}: invoice {number} is gone"));
        for (field, value) in [
            ("total", &got.total),
            ("settled", &got.settled),
            ("balance", &got.balance),
        ] {
            assert_eq!(
                e[field].as_str(),
                Some(value.as_str()),
                "{name}: {number} {field}"
            );
        }
        assert_eq!(
            serde_json::to_value(got.status).unwrap(),
            e["status"],
            "{name}: {number} status"
        );
    }
}

/// A ledger from before e-mail drafts, contracts and segments (schema 7): migrations 8 to the
/// latest run on real data.
#[test]
fn a_ledger_of_schema_7_upgrades_keeping_every_row() {
    upgrade("schema-7-demo");
}

/// The ledger of the current release: whatever the next migrations do, all of it stays.
#[test]
fn the_current_release_ledger_opens_keeping_every_row() {
    upgrade("release-0.1.0");
}
