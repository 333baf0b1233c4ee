//! The two engines' schemas cannot drift: a ledger file and a ledger on a PostgreSQL server,
//! both at this build's version, have the same tables with the same columns in the same order
//! (of the same types as each engine sees them: INTEGER is bigint, TEXT text, BLOB bytea),
//! the same keys, unique columns, references, named indexes, views and triggers. CHECK
//! constraints are not compared (SQLite does not list them). Needs the test server
//! (`RELANCE_PG_TESTS`, set by `./dev test`); without it, says so and checks nothing.

use relance_core::store::sql::{self, params_from_iter, Connection, Row};
use std::collections::BTreeSet;

type Set = BTreeSet<String>;

/// Every row of a query (with at most one parameter), mapped by `f`.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    arg: &[&str],
    f: impl FnMut(&Row<'_>) -> sql::Result<T>,
) -> Vec<T> {
    conn.prepare(sql)
        .unwrap()
        .query_map(params_from_iter(arg), f)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    rows(conn, sql, &[], |r| r.get(0))
}

fn column_fact(name: &str, ty: &str, notnull: bool, default: bool) -> String {
    format!(
        "{name} {ty}{}{}",
        if notnull { " not null" } else { "" },
        if default { " default" } else { "" }
    )
}

fn index_fact(table: &str, name: &str, unique: bool, partial: bool) -> String {
    format!(
        "{table}: index {name}{}{}",
        if unique { " unique" } else { "" },
        if partial { " partial" } else { "" }
    )
}

/// Every fact the comparison looks at, as lines "table: what".
fn sqlite_facts(c: &Connection) -> Set {
    let mut out = Set::new();
    let tables = strings(
        c,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    for t in &tables {
        let cols: Vec<(String, String, bool, bool, i64)> = rows(c, "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?1) ORDER BY cid", &[t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)));
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut list = Vec::new();
        for (name, ty, notnull, default, key) in cols {
            let ty = match ty.as_str() {
                "INTEGER" => "bigint",
                "TEXT" => "text",
                "BLOB" => "bytea",
                other => panic!("{t}.{name}: type {other} has no PostgreSQL twin here"),
            };
            if key > 0 {
                pk.push((key, name.clone()));
            }
            // A key column is never NULL (SQLite's INTEGER PRIMARY KEY does not say so).
            let notnull = notnull || key > 0;
            list.push(column_fact(&name, ty, notnull, default));
        }
        out.insert(format!("{t}: columns {}", list.join(", ")));
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        out.insert(format!("{t}: key ({})", pk.join(", ")));
        let uniques: Vec<String> = strings(
            c,
            &format!("SELECT name FROM pragma_index_list('{t}') WHERE origin = 'u'"),
        );
        for u in uniques {
            let cols = strings(
                c,
                &format!("SELECT name FROM pragma_index_info('{u}') ORDER BY seqno"),
            );
            out.insert(format!("{t}: unique ({})", cols.join(", ")));
        }
        let fks: Vec<(String, String, String)> = rows(
            c,
            "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)",
            &[t],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        );
        for (from, table, to) in fks {
            out.insert(format!("{t}: {from} references {table}({to})"));
        }
    }
    let indexes: Vec<(String, String, bool, bool)> = rows(
        c,
        "SELECT m.name, m.tbl_name, il.\"unique\", il.partial FROM sqlite_master m
             JOIN pragma_index_list(m.tbl_name) il ON il.name = m.name
             WHERE m.type = 'index' AND m.sql IS NOT NULL",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    for (name, table, unique, partial) in indexes {
        out.insert(index_fact(&table, &name, unique, partial));
    }
    for (kind, sql) in [("view", "view"), ("trigger", "trigger")] {
        let rows: Vec<(String, String)> = rows(
            c,
            &format!("SELECT tbl_name, name FROM sqlite_master WHERE type = '{sql}'"),
            &[],
            |r| Ok((r.get(0)?, r.get(1)?)),
        );
        for (table, name) in rows {
            out.insert(format!("{table}: {kind} {name}"));
        }
    }
    out
}

fn postgres_facts(c: &Connection) -> Set {
    let mut out = Set::new();
    let tables = strings(
        c,
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           AND table_name <> 'relance_schema' ORDER BY 1",
    );
    for t in &tables {
        let cols: Vec<(String, String, bool, bool)> = rows(c, "SELECT column_name::text, data_type::text, is_nullable = 'NO', column_default IS NOT NULL
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position", &[t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)));
        let list: Vec<String> = cols
            .into_iter()
            .map(|(name, ty, notnull, default)| column_fact(&name, &ty, notnull, default))
            .collect();
        out.insert(format!("{t}: columns {}", list.join(", ")));
        let constraints: Vec<(String, String)> = rows(c, "SELECT con.contype::text,
                        (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord)
                         FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num)
                 FROM pg_constraint con WHERE con.conrelid = ?1::text::regclass AND con.contype IN ('p', 'u')", &[t], |r| Ok((r.get(0)?, r.get(1)?)));
        for (kind, cols) in constraints {
            let what = if kind == "p" { "key" } else { "unique" };
            out.insert(format!("{t}: {what} ({cols})"));
        }
        let fks: Vec<(String, String, String)> = rows(
            c,
            "SELECT a.attname::text, con.confrelid::regclass::text, b.attname::text
                 FROM pg_constraint con
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                 JOIN pg_attribute b ON b.attrelid = con.confrelid AND b.attnum = con.confkey[1]
                 WHERE con.conrelid = ?1::text::regclass AND con.contype = 'f'",
            &[t],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        );
        for (from, table, to) in fks {
            out.insert(format!("{t}: {from} references {table}({to})"));
        }
    }
    // Named indexes: those a constraint does not own.
    let indexes: Vec<(String, String, bool, bool)> = rows(c, "SELECT i.relname::text, t.relname::text, x.indisunique, x.indpred IS NOT NULL
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = current_schema()
               AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)", &[], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)));
    for (name, table, unique, partial) in indexes {
        out.insert(index_fact(&table, &name, unique, partial));
    }
    for view in strings(c, "SELECT table_name::text FROM information_schema.views WHERE table_schema = current_schema()") {
        out.insert(format!("{view}: view {view}"));
    }
    let triggers: Vec<(String, String)> = rows(c, "SELECT DISTINCT event_object_table::text, trigger_name::text FROM information_schema.triggers
             WHERE trigger_schema = current_schema()", &[], |r| Ok((r.get(0)?, r.get(1)?)));
    for (table, name) in triggers {
        out.insert(format!("{table}: trigger {name}"));
    }
    out
}

#[test]
fn the_two_engines_hold_the_same_schema() {
    let lite = relance_core::store::connect_in_memory().unwrap();
    let lite = sqlite_facts(&lite);
    assert!(lite.len() > 200, "read the SQLite schema: {}", lite.len());
    if std::env::var_os("RELANCE_PG_TESTS").is_none() {
        eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it and starts a server)");
        return;
    }
    let admin =
        relance_core::store::connect_server("postgres:///postgres").expect("the test server");
    let name = format!("relance_schema_{}", std::process::id());
    admin
        .execute_batch(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    admin
        .execute_batch(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let server = relance_core::open_server(&format!("postgres:///{name}")).unwrap();
    let pg = postgres_facts(&server);
    drop(server);
    admin
        .execute_batch(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    let only_sqlite: Vec<&String> = lite.difference(&pg).collect();
    let only_pg: Vec<&String> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the schemas drifted\nonly on SQLite:\n  {}\nonly on PostgreSQL:\n  {}",
        only_sqlite
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_pg
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// No SQLite trigger takes a conflict clause (`INSERT OR IGNORE`, `UPDATE OR REPLACE`, …):
/// the clause of the statement that fires a trigger overrides every one inside it, and an
/// upsert's is ABORT, so a trigger that marked a customer already marked failed under an
/// upsert (the owner choosing a customer's segment twice in a day: "UNIQUE constraint failed:
/// segment_dirty.customer_id"). A trigger says `ON CONFLICT DO NOTHING`, which is its own.
#[test]
fn no_trigger_takes_a_conflict_clause_an_upsert_would_override() {
    let lite = relance_core::store::connect_in_memory().unwrap();
    let triggers: Vec<(String, String)> = rows(
        &lite,
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    assert!(triggers.len() > 50, "read the triggers: {}", triggers.len());
    let clauses = ["IGNORE", "REPLACE", "ABORT", "FAIL", "ROLLBACK"];
    let mut found = Vec::new();
    for (name, sql) in &triggers {
        let words: Vec<String> = sql
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_ascii_uppercase())
            .collect();
        for w in words.windows(3) {
            if ["INSERT", "UPDATE"].contains(&w[0].as_str())
                && w[1] == "OR"
                && clauses.contains(&w[2].as_str())
            {
                found.push(format!("{name}: {} OR {}", w[0], w[2]));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
