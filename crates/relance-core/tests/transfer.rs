//! Moving a ledger between engines: a file onto a PostgreSQL server (`relance move`) and a
//! server ledger back into a file (`relance backup --out`). The round trip keeps every
//! table equal, row for row, and every invoice's balance; a copy into a database that
//! already holds a ledger is refused with nothing changed on either side; the moved file
//! says where the ledger lives. Needs the test server (`RELANCE_PG_TESTS`, set by
//! `./dev test`); without it the test says so and stops.

use relance_core::backup;
use relance_core::store::sql::{Connection, Value};
use relance_core::store::{self, Place};
use relance_core::{Error, Lang};
use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::ServerDb;

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// Every table's rows (but the computer-local `pending_files`), sorted, as values.
fn everything(conn: &Connection) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out = BTreeMap::new();
    for t in store::tables(conn).unwrap() {
        if t == "pending_files" {
            continue;
        }
        let mut stmt = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let width = stmt.column_names().unwrap().len();
        let mut rows: Vec<Vec<String>> = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| {
                        r.get::<_, Value>(i).map(|v| match v {
                            Value::Blob(b) => {
                                format!("blob {} bytes {:x?}", b.len(), &b[..b.len().min(16)])
                            }
                            v => format!("{v:?}"),
                        })
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(t, rows);
    }
    out
}

fn balances(conn: &Connection) -> Vec<(String, i64)> {
    conn.prepare(
        "SELECT COALESCE(number, ''), total_minor - settled_minor FROM invoices ORDER BY id",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn demo_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("relance.sqlite");
    let mut conn = relance_core::open(&path).unwrap();
    relance_core::demo::load(&mut conn, day("2026-03-15")).unwrap();
    path
}

#[test]
fn a_ledger_moves_to_a_server_and_back_with_every_row_and_balance() {
    let Some(db) = ServerDb::create("move") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    {
        // Three drafts made and removed (issued or dropped): their ids are spent
        // (AUTOINCREMENT), and must stay so wherever the ledger goes.
        let conn = Connection::open_sqlite_file(&path, false).unwrap();
        for _ in 0..3 {
            conn.execute(
                "INSERT INTO invoice_drafts (customer_id, currency) VALUES (1, 'EUR')",
                [],
            )
            .unwrap();
        }
        conn.execute("DELETE FROM invoice_drafts", []).unwrap();
    }
    let (before, original_seq) = {
        let conn = Connection::open_sqlite_file(&path, true).unwrap();
        let seq: Vec<(String, i64)> = conn
            .prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        ((everything(&conn), balances(&conn)), seq)
    };
    assert!(
        !original_seq.is_empty(),
        "the file has AUTOINCREMENT records"
    );
    assert!(before.1.len() > 100, "the demo holds its invoices");

    let mut file = relance_core::open(&path).unwrap();
    let moved = backup::move_to_server(&mut file, &db.address()).unwrap();
    drop(file);
    assert_eq!(moved.balances, before.1.len() as i64);
    for c in &moved.tables {
        assert_eq!(
            c.rows,
            before.0[&c.table].len() as i64,
            "{} copied whole",
            c.table
        );
    }

    // The file is kept as it was, and says where the ledger lives now.
    let e = relance_core::open(&path).unwrap_err();
    assert!(matches!(&e, Error::Server(_)), "{e:?}");
    let text = e.message(Lang::En);
    assert!(text.contains(&db.address()), "{text}");
    assert!(e.message(Lang::Fr).contains("déplacé"));

    // The server ledger holds the same rows and balances, and goes on numbering after them.
    let mut server = relance_core::open_server(&db.address()).unwrap();
    // Vacuumed and analysed by the move: the invoices' pages all visible (what the
    // screens' index-only scans need) and their statistics gathered.
    // (the catalogs, not the statistics views, which lag on older servers)
    let (pages, visible, columns): (i64, i64, i64) = server
        .query_row(
            "SELECT c.relpages::BIGINT, c.relallvisible::BIGINT,
                    (SELECT COUNT(*) FROM pg_stats s
                      WHERE s.tablename = 'invoices' AND s.schemaname = current_schema())
               FROM pg_class c WHERE c.oid = 'invoices'::regclass",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(
        pages > 0 && visible == pages,
        "{visible} of {pages} pages visible"
    );
    assert!(columns > 0, "the invoices' statistics gathered");
    assert_eq!(everything(&server), before.0);
    assert_eq!(balances(&server), before.1);
    let id = relance_core::customers::create(
        &server,
        &relance_core::customers::CustomerInput {
            reference: "AFTER-MOVE".into(),
            name: "Written after the move".into(),
            ..Default::default()
        },
    );
    assert!(id.is_ok(), "a new row after explicit ids: {id:?}");

    // And back into a file: a normal Relance file, equal to the server's ledger.
    let out = dir.path().join("back.sqlite");
    let (snap, back) = backup::backup_server(&mut server, &out).unwrap();
    assert_eq!(snap.contents.invoices, before.1.len() as i64);
    assert_eq!(back.balances, before.1.len() as i64);
    let copy = Connection::open_sqlite_file(&out, true).unwrap();
    assert_eq!(everything(&copy), everything(&server));
    // Ids are never reused, even those of rows since removed: every AUTOINCREMENT record
    // of the file goes on from where the original's was.
    let sequences = |c: &Connection| -> Vec<(String, i64)> {
        c.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let back_seq = sequences(&copy);
    for (t, seq) in &original_seq {
        let now = back_seq.iter().find(|(n, _)| n == t).map(|(_, s)| *s);
        assert_eq!(now, Some(*seq), "{t}");
    }
    assert_eq!(balances(&copy), before.1);
    backup::check_file(&out).unwrap();
    // It opens as a ledger (not marked as moved) and takes writes.
    drop(copy);
    relance_core::open(&out).unwrap();
}

#[test]
fn a_move_into_a_database_holding_a_ledger_changes_nothing() {
    let Some(db) = ServerDb::create("busy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    // Someone already works on the server.
    let server = relance_core::open_server(&db.address()).unwrap();
    relance_core::customers::create(
        &server,
        &relance_core::customers::CustomerInput {
            reference: "THERE".into(),
            name: "Already there".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let there = everything(&server);
    let here = everything(&Connection::open_sqlite_file(&path, true).unwrap());

    let mut file = relance_core::open(&path).unwrap();
    let e = backup::move_to_server(&mut file, &db.address()).unwrap_err();
    assert!(
        e.message(Lang::En).contains("already holds a ledger"),
        "{e:?}"
    );
    assert!(e.message(Lang::Fr).contains("contient déjà"));
    drop(file);
    assert_eq!(everything(&server), there);
    assert_eq!(
        everything(&Connection::open_sqlite_file(&path, true).unwrap()),
        here
    );
    relance_core::open(&path).expect("a refused move leaves the file unmarked");
}

#[test]
fn places_are_read_as_the_user_gave_them() {
    assert_eq!(
        Place::parse("postgres://db.example/ledger"),
        Place::Server("postgres://db.example/ledger".into())
    );
    assert_eq!(
        Place::parse("postgresql:///ledger"),
        Place::Server("postgresql:///ledger".into())
    );
    assert_eq!(
        Place::parse("./postgres.sqlite"),
        Place::File("./postgres.sqlite".into())
    );
    // A server's local things go beside the platform file, never beside the address.
    let local = Place::parse("postgres:///x").local_file();
    assert!(local.ends_with("relance/relance.sqlite"), "{local:?}");
}
