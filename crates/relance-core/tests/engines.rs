//! The SQL surface (`store::sql`) behaves the same on both engines: the embedded SQLite file
//! and a PostgreSQL server. Every check runs on SQLite; on PostgreSQL when `RELANCE_PG_TESTS`
//! is set (`./dev test` sets it and starts a throw-away server with `pg_virtualenv`), and then
//! a server that cannot be reached fails the test instead of skipping it.

use relance_core::store::sql::{params, params_from_iter, Connection, Error, OptionalExtension};
use relance_core::store::{self, sql};

mod common;
use common::ServerDb;

fn both(tag: &str, check: impl Fn(&mut Connection)) {
    let mut lite = Connection::open_sqlite_file(":memory:", false).unwrap();
    check(&mut lite);
    if let Some((_db, mut server)) = ServerDb::connected(tag) {
        assert_eq!(server.dialect(), sql::Dialect::Postgres);
        check(&mut server);
    }
}

#[test]
fn parameters_rows_and_transactions_behave_alike() {
    both("shapes", |c| {
        c.execute_batch(
            "CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT, b TEXT NOT NULL, c BYTEA)",
        )
        .unwrap();
        c.execute(
            "INSERT INTO t (id, a, b) VALUES (?1, ?2, ?3)",
            params![1, 10, "one"],
        )
        .unwrap();
        c.execute(
            "INSERT INTO t (id, a, b) VALUES (?1, ?2, ?3)",
            (2, 20, "two"),
        )
        .unwrap();
        c.execute("INSERT INTO t (id, a, b) VALUES (3, 30, ?1)", ["three"])
            .unwrap();
        c.execute(
            "INSERT INTO t (id, a, b, c) VALUES (?, ?, ?, ?)",
            params![4, None::<i64>, 44, vec![0u8, 255]],
        )
        .unwrap();
        // A list built at run time; a number where text is expected is kept as its digits.
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM t WHERE id IN (?1, ?2, ?3)",
                params_from_iter([1i64, 2, 3]),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 3);
        let b: String = c
            .query_row("SELECT b FROM t WHERE id = 4", [], |r| r.get(0))
            .unwrap();
        assert_eq!(b, "44");
        let (a, blob): (Option<i64>, Vec<u8>) = c
            .query_row("SELECT a, c FROM t WHERE id = ?1", [4], |r| {
                Ok((r.get(0)?, r.get("c")?))
            })
            .unwrap();
        assert_eq!((a, blob), (None, vec![0, 255]));
        // A sum is an integer on both engines (PostgreSQL's is NUMERIC), a comparison 0 or 1.
        let (sum, big): (i64, i64) = c
            .query_row(
                "SELECT SUM(a), MAX(CASE WHEN a > 15 THEN 1 ELSE 0 END) FROM t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((sum, big), (60, 1));
        let flag: bool = c.query_row("SELECT 2 > 1", [], |r| r.get(0)).unwrap();
        assert!(flag);
        // Rows by name, in order, through a prepared statement.
        let names: Vec<String> = c
            .prepare_cached("SELECT b FROM t WHERE a >= ?1 ORDER BY id")
            .unwrap()
            .query_map([20], |r| r.get("b"))
            .unwrap()
            .collect::<sql::Result<_>>()
            .unwrap();
        assert_eq!(names, ["two", "three"]);
        let mut st = c.prepare("SELECT id, b FROM t ORDER BY id").unwrap();
        assert_eq!(st.column_names().unwrap(), ["id", "b"]);
        let mut rows = st.query([]).unwrap();
        let mut ids = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            ids.push(r.get::<_, i64>(0).unwrap());
        }
        assert_eq!(ids, [1, 2, 3, 4]);
        drop(rows);
        drop(st);
        // No row is None; a wrong type is an error naming the column.
        let none: Option<i64> = c
            .query_row("SELECT a FROM t WHERE id = 99", [], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
        assert!(c
            .query_row("SELECT b FROM t WHERE id = 1", [], |r| r.get::<_, i64>(0))
            .is_err());
        // A transaction dropped without commit is rolled back; committed, it stays.
        {
            let tx = c.transaction().unwrap();
            tx.execute("DELETE FROM t", []).unwrap();
        }
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4);
        let tx = c.transaction().unwrap();
        assert_eq!(tx.execute("DELETE FROM t WHERE id > ?1", [2]).unwrap(), 2);
        tx.commit().unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        // An insert says which id it gave (RETURNING, on both engines).
        let id: i64 = c
            .query_row(
                "INSERT INTO t (id, a, b) VALUES (7, 70, 'seven') RETURNING id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(id, 7);
    });
}

#[test]
fn errors_are_classified_alike() {
    both("errors", |c| {
        c.execute_batch("CREATE TABLE u (k TEXT NOT NULL UNIQUE, n BIGINT NOT NULL CHECK (n > 0))")
            .unwrap();
        c.execute("INSERT INTO u VALUES ('a', 1)", []).unwrap();
        let code = |e: Error| match e {
            Error::SqliteFailure(f, _) => f.extended_code,
            other => panic!("not an engine failure: {other:?}"),
        };
        let dup = c.execute("INSERT INTO u VALUES ('a', 2)", []).unwrap_err();
        assert_eq!(code(dup), sql::ffi::SQLITE_CONSTRAINT_UNIQUE);
        let check = c.execute("INSERT INTO u VALUES ('b', 0)", []).unwrap_err();
        assert_eq!(code(check), sql::ffi::SQLITE_CONSTRAINT_CHECK);
        let null = c
            .execute("INSERT INTO u VALUES ('c', NULL)", [])
            .unwrap_err();
        assert_eq!(code(null), sql::ffi::SQLITE_CONSTRAINT_NOTNULL);
        // Nothing was written by the refused statements.
        let n: i64 = c
            .query_row("SELECT count(*) FROM u", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // An error becomes the engine's own error type with a message.
        let e: relance_core::Error = c
            .execute("INSERT INTO nowhere VALUES (1)", [])
            .unwrap_err()
            .into();
        assert!(matches!(e, relance_core::Error::Db(_)), "{e:?}");
    });
}

#[test]
fn a_server_address_never_carries_a_password() {
    let e = store::connect_server("postgres://marie:secret@localhost/relance").unwrap_err();
    assert_eq!(e.kind(), "server");
    assert!(
        e.message(relance_core::Lang::Fr).contains("mot de passe"),
        "{e}"
    );
    assert!(store::is_server_address("postgresql://db.example/relance"));
    assert!(!store::is_server_address("/home/marie/relance.sqlite"));
}

/// Two sessions writing at once on a server queue, as two processes do on a file: the
/// second transaction waits for the first's commit and sees its write.
#[test]
fn writers_on_a_server_queue() {
    let Some((db, mut first)) = ServerDb::connected("queue") else {
        return;
    };
    first
        .execute_batch("CREATE TABLE n (v BIGINT NOT NULL); INSERT INTO n VALUES (0)")
        .unwrap();
    let tx = first.transaction().unwrap();
    let v: i64 = tx.query_row("SELECT v FROM n", [], |r| r.get(0)).unwrap();
    let name = db.name.clone();
    let other = std::thread::spawn(move || {
        let mut second = store::connect_server(&format!("postgres:///{name}")).unwrap();
        let tx = second.transaction().unwrap();
        // Read inside the queue: after the first transaction committed.
        let v: i64 = tx.query_row("SELECT v FROM n", [], |r| r.get(0)).unwrap();
        tx.execute("UPDATE n SET v = ?1", [v + 1]).unwrap();
        tx.commit().unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.execute("UPDATE n SET v = ?1", [v + 1]).unwrap();
    tx.commit().unwrap();
    other.join().unwrap();
    let v: i64 = first
        .query_row("SELECT v FROM n", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        v, 2,
        "both increments kept: the second waited for the first"
    );
}

/// A statement that fails inside a transaction: SQLite undoes that statement only, and the
/// transaction commits what came before; PostgreSQL ends the whole transaction, and then a
/// commit must say that nothing was written, never report success. Inside `recoverable`,
/// both engines go on as SQLite does.
#[test]
fn a_failure_inside_a_transaction_is_never_a_silent_commit() {
    both("aborted", |c| {
        c.execute_batch("CREATE TABLE k (v BIGINT NOT NULL UNIQUE)")
            .unwrap();
        let tx = c.transaction().unwrap();
        tx.execute("INSERT INTO k VALUES (1)", []).unwrap();
        assert!(tx.execute("INSERT INTO k VALUES (1)", []).is_err());
        let committed = tx.commit();
        let n: i64 = c
            .query_row("SELECT count(*) FROM k", [], |r| r.get(0))
            .unwrap();
        match c.dialect() {
            sql::Dialect::Sqlite => assert_eq!((committed.is_ok(), n), (true, 1)),
            sql::Dialect::Postgres => assert_eq!((committed.is_ok(), n), (false, 0)),
        }
        c.execute("DELETE FROM k", []).unwrap();
        let tx = c.transaction().unwrap();
        tx.execute("INSERT INTO k VALUES (1)", []).unwrap();
        let again: Result<usize, Error> =
            tx.recoverable(|| tx.execute("INSERT INTO k VALUES (1)", []));
        assert!(again.is_err());
        tx.execute("INSERT INTO k VALUES (2)", []).unwrap();
        tx.commit().unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM k", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2, "{:?}", c.dialect());
    });
}

/// A window hears the others' commits, not its own, and never a rolled-back write: on a
/// file through `data_version`, on a server through a listening session.
#[test]
fn a_commit_by_someone_else_is_heard_and_ones_own_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changes.sqlite");
    let mut mine = Connection::open_sqlite_file(&path, false).unwrap();
    let mut theirs = Connection::open_sqlite_file(&path, false).unwrap();
    mine.execute_batch("CREATE TABLE t (a BIGINT)").unwrap();
    let seen = store::data_version(&mine).unwrap().unwrap();
    let write = |c: &mut Connection, keep: bool| {
        let tx = c.transaction().unwrap();
        tx.execute("INSERT INTO t (a) VALUES (1)", []).unwrap();
        if keep {
            tx.commit().unwrap();
        }
    };
    write(&mut mine, true);
    assert_eq!(
        store::data_version(&mine).unwrap().unwrap(),
        seen,
        "one's own"
    );
    write(&mut theirs, false);
    assert_eq!(
        store::data_version(&mine).unwrap().unwrap(),
        seen,
        "rolled back"
    );
    write(&mut theirs, true);
    assert_ne!(
        store::data_version(&mine).unwrap().unwrap(),
        seen,
        "someone else's"
    );

    let Some((db, mut mine)) = ServerDb::connected("changes") else {
        return;
    };
    let address = db.address();
    let mut theirs = store::connect_server(&address).unwrap();
    mine.execute_batch("CREATE TABLE t (a BIGINT)").unwrap();
    let own = store::session_id(&mine).unwrap();
    assert!(own.is_some());
    assert_eq!(store::data_version(&mine).unwrap(), None);
    let mut ears = store::Listener::start(&address).unwrap();
    let short = std::time::Duration::from_millis(300);
    write(&mut mine, true);
    assert!(!ears.wait(short, own).unwrap(), "one's own");
    write(&mut theirs, false);
    assert!(!ears.wait(short, own).unwrap(), "rolled back");
    write(&mut theirs, true);
    write(&mut theirs, true);
    assert!(
        ears.wait(std::time::Duration::from_secs(5), own).unwrap(),
        "someone else's"
    );
    // Then quiet again (the second commit's notice, if it came apart, is taken first).
    let mut waits = 0;
    while ears.wait(short, own).unwrap() {
        waits += 1;
        assert!(waits < 2, "only the two commits were heard");
    }
}
