//! Roles on a shared ledger: the role that creates the ledger owns it; the people working
//! in it log in as roles the owner granted (`store::grant`). A granted role does the day's
//! work (payments, actions, the history names it) but cannot change the schema, empty a
//! table, change or remove what is append-only or an issued invoice, nor upgrade the ledger;
//! an older ledger tells it who upgrades it. Needs the test server (`RELANCE_PG_TESTS`).

use relance_core::error::ServerFault;
use relance_core::store::{self, sql::Connection};
use relance_core::{Error, Lang};

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// A throw-away owner and staff role and a database the owner owns; dropped at the end.
struct Server {
    db: String,
    owner: String,
    staff: String,
}

impl Server {
    fn create() -> Option<Server> {
        if std::env::var_os("RELANCE_PG_TESTS").is_none() {
            eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
            return None;
        }
        let pid = std::process::id();
        let s = Server {
            db: format!("relance_roles_{pid}"),
            owner: format!("relance_owner_{pid}"),
            staff: format!("relance_staff_{pid}"),
        };
        // The same password as the test server's own role (PGPASSWORD): nothing to store.
        let password = std::env::var("PGPASSWORD")
            .unwrap_or_default()
            .replace('\'', "''");
        let admin = store::connect_server("postgres:///postgres").unwrap();
        for role in [&s.owner, &s.staff] {
            admin
                .execute_batch(&format!(
                    "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{password}'"
                ))
                .unwrap();
        }
        admin
            .execute_batch(&format!("CREATE DATABASE {} OWNER {}", s.db, s.owner))
            .unwrap();
        // The owner's own schema in its database (PostgreSQL 15 no longer lets everyone
        // create in `public`).
        let as_admin = store::connect_server(&format!("postgres:///{}", s.db)).unwrap();
        as_admin
            .execute_batch(&format!("ALTER SCHEMA public OWNER TO {}", s.owner))
            .unwrap();
        Some(s)
    }

    fn address(&self, role: &str) -> String {
        format!("postgres://{role}@/{}", self.db)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(admin) = store::connect_server("postgres:///postgres") {
            let _ = admin.execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE); DROP ROLE IF EXISTS {}; DROP ROLE IF EXISTS {}",
                self.db, self.staff, self.owner
            ));
        }
    }
}

fn denied(conn: &Connection, sql: &str) {
    let e: Error = conn.execute_batch(sql).unwrap_err().into();
    assert!(
        matches!(e, Error::Server(ServerFault::Denied(_))),
        "{sql}: {e:?}"
    );
    assert!(e.message(Lang::En).contains("only its owner can"), "{e:?}");
}

#[test]
fn a_granted_role_works_in_the_ledger_but_cannot_rewrite_it() {
    let Some(s) = Server::create() else {
        return;
    };
    // A role not granted yet cannot even create the ledger in an empty database.
    let e = relance_core::open_server(&s.address(&s.staff)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Server(ServerFault::OwnerOnly(_)) | Error::Server(ServerFault::Denied(_))
        ),
        "{e:?}"
    );

    let mut owner = relance_core::open_server(&s.address(&s.owner)).unwrap();
    relance_core::demo::load(&mut owner, day("2026-11-22")).unwrap();
    store::grant(&mut owner, &s.staff).unwrap();
    // Only the owner grants; a name that is no role is said so.
    let e = store::grant(&mut owner, "no_such_role_here").unwrap_err();
    assert!(e.message(Lang::En).contains("no role"), "{e:?}");

    let mut staff = relance_core::open_server(&s.address(&s.staff)).unwrap();
    assert!(!store::is_owner(&staff).unwrap());
    assert!(matches!(
        store::grant(&mut staff, &s.staff),
        Err(Error::Server(ServerFault::OwnerOnly(_)))
    ));
    // Nor does anyone but the owner restore a file onto the ledger, or preview it.
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("relance.sqlite");
    let copy = dir.path().join("copy.sqlite");
    relance_core::backup::backup_server(&mut owner, &copy).unwrap();
    for e in [
        relance_core::backup::restore(&mut staff, &local, &copy).unwrap_err(),
        relance_core::backup::restore_preview(&staff, &local, &copy).unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::Server(ServerFault::OwnerOnly("restore"))),
            "{e:?}"
        );
    }
    assert!(
        !dir.path().join("backups").exists(),
        "no undo snapshot taken"
    );
    // The day's work: an action done, named after the role.
    let today = day("2026-11-22");
    let agenda = relance_core::dunning::agenda(&staff, today).unwrap();
    let first = agenda[0].id.clone();
    relance_core::dunning::act(
        &mut staff,
        today,
        &[first],
        &relance_core::dunning::Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    let actor: String = staff
        .query_row(
            "SELECT actor FROM journal ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(actor, s.staff);

    // What it may not do, refused by the server in its words.
    denied(&staff, "UPDATE journal SET note = 'rewritten'");
    denied(&staff, "DELETE FROM journal");
    denied(&staff, "TRUNCATE journal");
    denied(&staff, "UPDATE allocations SET amount_minor = 1");
    denied(&staff, "DELETE FROM relance_schema");
    denied(&staff, "CREATE TABLE mine (a BIGINT)");
    denied(&staff, "ALTER TABLE invoices DISABLE TRIGGER USER");
    // An issued invoice is out of its reach (a recorded one is not): the row policies.
    owner
        .execute_batch("UPDATE invoices SET issued = 1 WHERE id = 1")
        .unwrap();
    let notes = |c: &Connection| -> String {
        c.query_row("SELECT notes FROM invoices WHERE id = 1", [], |r| r.get(0))
            .unwrap()
    };
    let kept = notes(&staff);
    assert_eq!(
        staff
            .execute("UPDATE invoices SET notes = 'x' WHERE id = 1", [])
            .unwrap(),
        0
    );
    assert_eq!(
        staff
            .execute("DELETE FROM invoices WHERE id = 1", [])
            .unwrap(),
        0
    );
    assert_eq!(notes(&owner), kept);
    // A recorded (not issued) invoice stays the staff's to correct.
    assert_eq!(
        staff
            .execute("UPDATE invoices SET notes = 'vu' WHERE id = 2", [])
            .unwrap(),
        1
    );
    // A payment on an invoice moves its cached balance (the triggers run as the owner).
    let before: i64 = staff
        .query_row(
            "SELECT settled_minor FROM invoices WHERE number = 'F2026-0143'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    relance_core::invoices::payments::record(
        &mut staff,
        &relance_core::invoices::payments::PaymentInput {
            customer: "PART21".into(),
            date: "2026-11-22".into(),
            amount: "100.00".into(),
            allocations: vec![relance_core::invoices::payments::AllocationInput {
                invoice: "F2026-0143".into(),
                amount: "100.00".into(),
            }],
            ..Default::default()
        },
    )
    .unwrap();
    let after: i64 = staff
        .query_row(
            "SELECT settled_minor FROM invoices WHERE number = 'F2026-0143'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(after - before, 10_000);
    // An import of invoices moves the kept sums itself, once at its end (server migration
    // 55): the granted role may, and they are the derived ones after it.
    relance_core::import::import(
        &mut staff,
        relance_core::import::ImportKind::Invoices,
        b"number,customer_reference,issue_date,due_date,total\n\
          STAFF-1,PART21,2026-11-22,2026-12-22,10.00\n\
          STAFF-2,PART21,2026-11-22,2026-12-22,20.00\n",
        false,
    )
    .unwrap();
    assert_eq!(
        relance_core::views::balances::verify(&staff, Lang::En).unwrap(),
        Vec::<String>::new()
    );

    // An older ledger: the granted role is told who upgrades it; nothing is changed.
    owner
        .execute_batch("UPDATE relance_schema SET version = version - 1")
        .unwrap();
    drop(staff);
    let e = relance_core::open_server(&s.address(&s.staff)).unwrap_err();
    assert!(
        matches!(e, Error::Server(ServerFault::NeedsUpgrade { .. })),
        "{e:?}"
    );
    assert!(
        e.message(Lang::En).contains("Its owner upgrades it"),
        "{e:?}"
    );
    assert!(e.message(Lang::Fr).contains("Son propriétaire"));
}
