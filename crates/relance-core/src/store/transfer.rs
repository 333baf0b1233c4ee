//! Copying a whole ledger from one engine to the other (a file to a server: `relance move`;
//! a server to a file: `relance backup --out`), every table, row for row, checked before it
//! is committed.
//!
//! The copy runs inside one write transaction on each side: the source's holds its writers
//! back (so what is copied is one moment of the ledger, and on a move nothing lands in the
//! file after it was copied), the target's makes the copy all or nothing. On the target the
//! triggers are set aside meanwhile (as a restore does), so the append-only rules and the
//! caches they keep (an invoice's settled amount, its paid-on day) see a copy, not edits:
//! every row, caches included, lands as it was. Before the target commits, every table is
//! read back and compared with the source (count, then every row by content) and the
//! caller's own check runs (the domain compares every invoice's balance); any difference
//! refuses the copy and leaves the target as it was.

use super::sql::{self, Connection, Dialect, OptionalExtension, Value};
use super::{schema_version, tables, SCHEMA_VERSION};
use crate::error::{Error, Result, ServerFault};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// Tables that belong to one computer, not to the ledger: the files a write on this
/// computer still has to name. Not copied.
const LOCAL_TABLES: [&str; 1] = ["pending_files"];

/// Tables whose rows make a ledger: a target holding any of them is refused untouched (the
/// rows migrations seed, such as the shipped rate series, are replaced by the source's).
const LEDGER_FACTS: [&str; 4] = ["customers", "invoices", "payments", "journal"];

/// Values per INSERT of a batch (SQLite's historical limit of parameters is 999).
const BATCH_VALUES: usize = 900;

/// One table copied: its name and how many rows it holds on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: String,
    pub rows: i64,
}

/// Copies every row of `from` into `to` (an empty ledger, or a fresh file, at this build's
/// schema), compares them, runs `check(from, to)` inside both transactions, and commits the
/// target. `then(from)` runs last inside the source's transaction, after the target
/// committed (a move marks the file there). Returns every table with its row count, by name.
pub fn copy_ledger(
    from: &mut Connection,
    to: &mut Connection,
    check: impl FnOnce(&Connection, &Connection) -> Result<()>,
    then: impl FnOnce(&Connection) -> Result<()>,
) -> Result<Vec<Copied>> {
    let source = from.transaction()?;
    let target = to.transaction()?;
    target.generic_plans()?;
    let copied = copy_rows(&source, &target, Onto::Empty)?;
    check(&source, &target)?;
    target.commit()?;
    // The copy is kept; what follows on the source (a move marks the file) failing would
    // leave two ledgers: said as such, never as a plain failure.
    then(&source)
        .and_then(|()| Ok(source.commit()?))
        .map_err(|e| Error::Server(ServerFault::CopyKeptSourceUnmarked(e.to_string())))?;
    Ok(copied)
}

/// What the target of [`copy_rows`] may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Onto {
    /// No ledger (only the rows migrations seed): anything else is refused untouched.
    Empty,
    /// A ledger, replaced whole (its owner's restore).
    Replaced,
}

/// Copies every row of `source` into `target`, both inside a write transaction the caller
/// opened (and commits), at this build's schema: the target's tables emptied (a ledger's
/// facts only when `into` says so), the rows copied with the target's triggers set aside,
/// every table read back and compared, ids carried on, references checked. Returns every
/// table with its row count, by name.
pub fn copy_rows(source: &Connection, target: &Connection, onto: Onto) -> Result<Vec<Copied>> {
    for side in [source, target] {
        let v = schema_version(side)?;
        if v != SCHEMA_VERSION {
            return Err(Error::damaged(
                "database",
                &format!("schema version {v}, expected {SCHEMA_VERSION}"),
            ));
        }
    }
    if onto == Onto::Empty {
        for t in LEDGER_FACTS {
            let held: bool =
                target.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {t})"), [], |r| {
                    r.get(0)
                })?;
            if held {
                return Err(Error::Server(ServerFault::NotEmpty));
            }
        }
    }
    let names: Vec<String> = tables(target)?
        .into_iter()
        .filter(|t| !LOCAL_TABLES.contains(&t.as_str()))
        .collect();
    // Ids go on after the last either side handed out: a replaced ledger's ids are never
    // given again (its undo snapshot holds them).
    let mut last = last_ids(source)?;
    if onto == Onto::Replaced {
        for (t, v) in last_ids(target)? {
            let e = last.entry(t).or_insert(v);
            *e = (*e).max(v);
        }
    }
    let order = in_reference_order(target, &names)?;
    let aside = Triggers::set_aside(target, &order)?;
    clear(target, &order, onto)?;
    let mut copied = Vec::with_capacity(order.len());
    for t in &order {
        let columns = target
            .prepare(&format!("SELECT * FROM {t}"))?
            .column_names()?;
        let width = columns.len();
        let list = columns.join(", ");
        // Rows go in batches, one statement per batch (one round trip to a server for
        // many rows, not one each).
        let per = (BATCH_VALUES / width).max(1);
        let insert = |n: usize| -> String {
            format!(
                "INSERT INTO {t} ({list}) VALUES {}",
                sql::value_rows(n, width)
            )
        };
        let mut full = target.prepare(&insert(per))?;
        let mut read = source.prepare(&format!("SELECT {list} FROM {t}"))?;
        let mut rows = read.query([])?;
        let mut sent = Vec::new();
        let mut batch: Vec<Value> = Vec::with_capacity(per * width);
        while let Some(row) = rows.next()? {
            for i in 0..width {
                batch.push(row.get::<_, Value>(i)?);
            }
            sent.push(digest(&batch[batch.len() - width..]));
            if batch.len() == per * width {
                full.execute(sql::params_from_iter(batch.iter()))?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            target
                .prepare(&insert(batch.len() / width))?
                .execute(sql::params_from_iter(batch.iter()))?;
        }
        let landed = digests(target, t, &list, columns.len())?;
        sent.sort_unstable();
        if sent != landed {
            return Err(Error::Server(ServerFault::CopyDiffers(format!(
                "{t}: {} rows read, {} written",
                sent.len(),
                landed.len()
            ))));
        }
        copied.push(Copied {
            table: t.clone(),
            rows: sent.len() as i64,
        });
    }
    aside.restore(target)?;
    after_explicit_ids(target, &last)?;
    if target.dialect() == Dialect::Sqlite {
        let broken: Option<String> = target
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(t) = broken {
            return Err(Error::Server(ServerFault::CopyDiffers(format!(
                "a row of {t} lacks what it refers to"
            ))));
        }
    }
    copied.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(copied)
}

/// The rows of a table on the target, each as its [`digest`], sorted: compared with the
/// source's as multisets (the two engines order text differently, so no ORDER BY is shared).
fn digests(conn: &Connection, table: &str, list: &str, width: usize) -> Result<Vec<u64>> {
    let mut read = conn.prepare(&format!("SELECT {list} FROM {table}"))?;
    let mut rows = read.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..width)
            .map(|i| row.get::<_, Value>(i))
            .collect::<sql::Result<Vec<Value>>>()?;
        out.push(digest(&values));
    }
    out.sort_unstable();
    Ok(out)
}

/// A row's content as one number: every value with its kind, so 1 and '1' differ.
fn digest(values: &[Value]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for v in values {
        match v {
            Value::Null => 0u8.hash(&mut h),
            Value::Integer(i) => (1u8, i).hash(&mut h),
            Value::Real(f) => (2u8, f.to_bits()).hash(&mut h),
            Value::Text(s) => (3u8, s).hash(&mut h),
            Value::Blob(b) => (4u8, b).hash(&mut h),
        }
    }
    h.finish()
}

/// The tables ordered so that each comes after those it refers to (a server checks every
/// reference as the row lands). A table's references to itself are met by copying in the
/// order rows were written.
fn in_reference_order(conn: &Connection, names: &[String]) -> Result<Vec<String>> {
    let sql = match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
              WHERE m.type = 'table'"
        }
        Dialect::Postgres => {
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
              WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
        }
    };
    let mut needs: BTreeMap<String, BTreeSet<String>> =
        names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
    for edge in conn
        .prepare(sql)?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
    {
        let (child, parent) = edge?;
        if child != parent && needs.contains_key(&parent) {
            if let Some(n) = needs.get_mut(&child) {
                n.insert(parent);
            }
        }
    }
    let mut order = Vec::with_capacity(names.len());
    while !needs.is_empty() {
        let ready: Vec<String> = needs
            .iter()
            .filter(|(_, n)| n.is_empty())
            .map(|(t, _)| t.clone())
            .collect();
        if ready.is_empty() {
            return Err(Error::damaged(
                "database",
                &"tables refer to each other in a circle",
            ));
        }
        for t in &ready {
            needs.remove(t);
        }
        for n in needs.values_mut() {
            for t in &ready {
                n.remove(t);
            }
        }
        order.extend(ready);
    }
    Ok(order)
}

/// Empties the target's tables (the rows migrations seeded, or a ledger replaced), those
/// referring to others first. An empty server database is truncated; a ledger replaced on
/// a server is deleted row by row, as TRUNCATE is not MVCC-safe (a backup's snapshot taken
/// before would see the tables empty).
fn clear(conn: &Connection, order: &[String], onto: Onto) -> Result<()> {
    match conn.dialect() {
        Dialect::Postgres if onto == Onto::Empty => {
            Ok(conn.execute_batch(&format!("TRUNCATE {}", order.join(", ")))?)
        }
        Dialect::Postgres | Dialect::Sqlite => {
            for t in order.iter().rev() {
                conn.execute_batch(&format!("DELETE FROM {t}"))?;
            }
            Ok(())
        }
    }
}

/// The target's triggers while the rows land: dropped and written back on a file (SQLite has
/// no switch), disabled and enabled again on a server; both inside the transaction.
enum Triggers {
    Dropped(Vec<String>),
    Disabled(Vec<String>),
}

impl Triggers {
    fn set_aside(conn: &Connection, order: &[String]) -> Result<Triggers> {
        match conn.dialect() {
            Dialect::Sqlite => {
                conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
                let found: Vec<(String, String)> = conn
                    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<sql::Result<_>>()?;
                for (name, _) in &found {
                    conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
                }
                Ok(Triggers::Dropped(
                    found.into_iter().map(|(_, s)| s).collect(),
                ))
            }
            Dialect::Postgres => {
                for t in order {
                    conn.execute_batch(&format!("ALTER TABLE {t} DISABLE TRIGGER USER"))?;
                }
                Ok(Triggers::Disabled(order.to_vec()))
            }
        }
    }

    fn restore(self, conn: &Connection) -> Result<()> {
        match self {
            Triggers::Dropped(sqls) => {
                for s in sqls {
                    conn.execute_batch(&s)?;
                }
            }
            Triggers::Disabled(tables) => {
                for t in tables {
                    conn.execute_batch(&format!("ALTER TABLE {t} ENABLE TRIGGER USER"))?;
                }
            }
        }
        Ok(())
    }
}

/// The last id each table handed out (a file's AUTOINCREMENT tables, a server's
/// identities): ids are never reused, even those of rows since removed (an issued draft).
fn last_ids(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    match conn.dialect() {
        Dialect::Sqlite => {
            let known: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')",
                [],
                |r| r.get(0),
            )?;
            if known {
                for row in conn
                    .prepare("SELECT name, seq FROM sqlite_sequence")?
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                {
                    let (t, seq) = row?;
                    out.insert(t, seq);
                }
            }
        }
        Dialect::Postgres => {
            for (t, c) in identities(conn)? {
                let last: Option<i64> = conn.query_row(
                    &format!("SELECT pg_sequence_last_value(pg_get_serial_sequence('{t}', '{c}'))"),
                    [],
                    |r| r.get(0),
                )?;
                if let Some(last) = last {
                    out.insert(t, last);
                }
            }
        }
    }
    Ok(out)
}

fn identities(conn: &Connection) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
              WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<sql::Result<_>>()?)
}

/// The ids go on after the last one the source handed out, or the highest copied: on a
/// server rows landed with their own ids, which do not advance a sequence; on a file the
/// AUTOINCREMENT record is set to the source's.
fn after_explicit_ids(conn: &Connection, last: &BTreeMap<String, i64>) -> Result<()> {
    match conn.dialect() {
        Dialect::Postgres => {
            for (t, c) in identities(conn)? {
                let given = last.get(&t).copied().unwrap_or(0);
                conn.query_row(
                    &format!(
                        "SELECT CASE WHEN v > 0
                                THEN setval(pg_get_serial_sequence('{t}', '{c}'), v, true)
                                ELSE setval(pg_get_serial_sequence('{t}', '{c}'), 1, false) END
                           FROM (SELECT GREATEST(COALESCE(MAX({c}), 0), ?1) AS v FROM {t}) AS x"
                    ),
                    [given],
                    |_| Ok(()),
                )?;
            }
        }
        Dialect::Sqlite => {
            // The tables declared AUTOINCREMENT keep their record in sqlite_sequence.
            let auto: Vec<String> = conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                       AND sql LIKE '%AUTOINCREMENT%'",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<sql::Result<_>>()?;
            for t in auto {
                let Some(&given) = last.get(&t) else { continue };
                let updated = conn.execute(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, ?2) WHERE name = ?1",
                    sql::params![t, given],
                )?;
                if updated == 0 {
                    conn.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
                        sql::params![t, given],
                    )?;
                }
            }
        }
    }
    Ok(())
}
