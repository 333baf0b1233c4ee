//! Read models that combine several subjects: what one screen shows at once (the customer
//! page, the invoice page, the dashboard). They only read; every write lives in the subject's
//! own module below: the aged balance; later payer profiles and the cash-in forecast.

pub mod aged;
pub mod balances;
pub mod customer_page;
pub mod dashboard;
pub mod day_sums;
pub mod invoice_page;
pub mod overview;
pub mod profile;
pub mod segments;
pub mod today;

pub use customer_page::CustomerDetail;
pub use dashboard::Dashboard;
pub use invoice_page::{InvoiceDetail, Settlement};

/// Every screen's read leaves the writers alone: while another connection holds the
/// ledger's write lock (an import, a batch of letters in another window or the CLI), each
/// read the screens make answers at once from the last commit, and none takes the write
/// lock itself (the family of `unchecked_transaction` used for a read: the Contracts list,
/// Today's contract alerts and the bank screen each opened a write transaction, so they
/// waited behind any writer and then failed with "database is locked").
#[cfg(test)]
mod beside_a_writer {
    use crate::error::Lang;
    use crate::test_support::day;

    #[test]
    fn every_screen_reads_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relance.sqlite");
        let as_of = day("2026-11-30");
        let mut conn = crate::open(&path).unwrap();
        crate::demo::load(&mut conn, as_of).unwrap();
        let statement = crate::demo::statement(&conn, as_of).unwrap();
        crate::bank::store::import(
            &mut conn,
            vec![("releve.xml".into(), statement)],
            crate::bank::store::Options::default(),
            Lang::Fr,
            as_of,
        )
        .unwrap();
        let customer: i64 = conn
            .query_row("SELECT MIN(id) FROM customers", [], |r| r.get(0))
            .unwrap();
        let invoice: i64 = conn
            .query_row("SELECT MIN(id) FROM invoices", [], |r| r.get(0))
            .unwrap();
        let notes = |c: &crate::Connection| -> String {
            c.query_row(
                "SELECT payment_notes FROM customers WHERE id = ?1",
                [customer],
                |r| r.get(0),
            )
            .unwrap()
        };
        let before = notes(&conn);
        // A reader that would wait for the lock gives up at once rather than after 5 s.
        conn.pragma_update("busy_timeout", 50).unwrap();
        let mut writer = crate::open(&path).unwrap();
        let tx = writer.transaction().unwrap();
        tx.execute(
            "UPDATE customers SET payment_notes = 'en cours' WHERE id = ?1",
            [customer],
        )
        .unwrap();
        let c = &conn;
        type Read<'a> = Box<dyn Fn() -> crate::Result<()> + 'a>;
        let reads: Vec<(&str, Read)> = vec![
            (
                "agenda",
                Box::new(|| crate::dunning::agenda(c, as_of).map(drop)),
            ),
            (
                "Today's sections",
                Box::new(|| crate::dunning::today(c, as_of).map(drop)),
            ),
            (
                "Today by payer segment",
                Box::new(|| {
                    super::today::by_segment(c, as_of, Lang::Fr, &Default::default()).map(drop)
                }),
            ),
            (
                "dashboard",
                Box::new(|| super::dashboard::dashboard(c, as_of).map(drop)),
            ),
            (
                "dashboard screen",
                Box::new(|| super::overview::overview(c, as_of, Lang::Fr).map(drop)),
            ),
            (
                "aged balance",
                Box::new(|| super::aged::aged_balance(c, as_of, None).map(drop)),
            ),
            (
                "sanction proposals",
                Box::new(|| super::segments::sanctions(c, as_of, Lang::Fr).map(drop)),
            ),
            (
                "payer segments",
                Box::new(|| super::segments::current(c, as_of, Lang::Fr).map(drop)),
            ),
            (
                "contracts list",
                Box::new(|| {
                    crate::contracts::list(c, &crate::contracts::ContractQuery::default(), as_of)
                        .map(drop)
                }),
            ),
            (
                "contract alerts",
                Box::new(|| crate::contracts::alerts(c, as_of).map(drop)),
            ),
            (
                "bank lines",
                Box::new(|| crate::bank::store::lines(c, None, Lang::Fr).map(drop)),
            ),
            (
                "bank summary",
                Box::new(|| crate::bank::store::summary(c, as_of).map(drop)),
            ),
            (
                "invoices list",
                Box::new(|| {
                    crate::invoices::list(c, &crate::invoices::InvoiceQuery::default(), as_of)
                        .map(drop)
                }),
            ),
            (
                "customers list",
                Box::new(|| {
                    crate::customers::list(c, &crate::customers::CustomerQuery::default(), as_of)
                        .map(drop)
                }),
            ),
            (
                "customer page",
                Box::new(|| super::customer_page::detail(c, customer, as_of).map(drop)),
            ),
            (
                "invoice page",
                Box::new(|| super::invoice_page::detail(c, invoice, as_of).map(drop)),
            ),
            (
                "penalty overcharges",
                Box::new(|| crate::interest::overcharges(c).map(drop)),
            ),
        ];
        let failed: Vec<String> = reads
            .iter()
            .filter_map(|(what, read)| read().err().map(|e| format!("{what}: {e}")))
            .collect();
        assert!(failed.is_empty(), "{}", failed.join("\n"));
        // The writer's change is its own until it commits.
        assert_eq!(notes(&conn), before);
        tx.commit().unwrap();
        assert_eq!(notes(&conn), "en cours");
    }
}

/// What a screen's read costs grows with what it shows, not with what the ledger holds:
/// on a ledger whose day's work is done, Today's reads take as many steps of SQLite's
/// virtual machine (counted through its progress handler, the same on every machine: no
/// clock) on a ledger four times larger. The family of a read that walks a whole table
/// for nothing: the agenda's woken invoices, a UNION that SQLite merged in id order, read
/// every wake date in the table rather than the range of those come (at a million
/// invoices, an empty Today took 10-35 ms); Today's contract alerts walked every overdue
/// invoice to find the milestones among them; the sanction proposals read every customer's
/// segment to keep those at risk; the headline figures summed every open invoice. One
/// customer's pages and documents likewise: a letter's and an aged cell's reads of the
/// customer's invoices went through the billing index, every invoice of the currency.
///
/// Nor more statements (`store::sql::runs`): on a server each is a round trip, so a read
/// that runs one per row shown costs what it shows many times over (Today's page read the
/// history of its customers invoice by invoice: 110 ms on a server for 3 ms on a file).
#[cfg(test)]
mod growth {
    use crate::error::Lang;
    use crate::import::{import, ImportKind};
    use crate::test_support::day;
    use crate::Connection;
    use chrono::{Duration, NaiveDate};
    use std::fmt::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// `customers` customers, each with an invoice paid, one overdue whose step of the day
    /// is done, and two due in a month and two (their wake dates to come).
    /// A file (the virtual machine counted is SQLite's, whatever engine the tests run on).
    fn ledger(customers: usize, as_of: NaiveDate) -> (tempfile::TempDir, Connection) {
        ledger_of(customers, as_of, true)
    }

    /// [`ledger`], the day's steps done (`acted`) or left waiting on Today.
    fn ledger_of(
        customers: usize,
        as_of: NaiveDate,
        acted: bool,
    ) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::open(&dir.path().join("relance.sqlite")).unwrap();
        let mut cs =
            String::from("reference,name,kind,email,address,postal_code,city,payment_terms_days\n");
        let mut is = String::from("number,customer_reference,issue_date,due_date,total\n");
        let mut ps = String::from("customer_reference,date,amount,invoice_number\n");
        for c in 0..customers {
            writeln!(
                cs,
                "C{c:05},Client {c},business,c{c}@example.fr,{c} rue de la Paix,75002,Paris,30"
            )
            .unwrap();
            for (k, due) in [-90i64, -20, 30, 60].into_iter().enumerate() {
                let due = as_of + Duration::days(due);
                let issue = due - Duration::days(30);
                writeln!(is, "F{c:05}-{k},C{c:05},{issue},{due},{}.00", 100 + c).unwrap();
            }
            let paid = as_of - Duration::days(60);
            writeln!(ps, "C{c:05},{paid},{}.00,F{c:05}-0", 100 + c).unwrap();
        }
        for (kind, csv) in [
            (ImportKind::Customers, cs),
            (ImportKind::Invoices, is),
            (ImportKind::Payments, ps),
        ] {
            import(&mut conn, kind, csv.as_bytes(), false).unwrap();
        }
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue"),
            ("postal_code", "75002"),
            ("city", "Paris"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        crate::dunning::wake::refresh(&mut conn, as_of).unwrap();
        let ids: Vec<String> = crate::dunning::agenda(&conn, as_of)
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert!(ids.len() >= customers, "every customer has a step due");
        if acted {
            let done = crate::dunning::Act::Done {
                note: String::new(),
            };
            crate::dunning::act(&mut conn, as_of, &ids, &done).unwrap();
            assert!(crate::dunning::agenda(&conn, as_of).unwrap().is_empty());
        }
        // As the next start does: the payer segments the day's work changed, the wake dates
        // and the actions kept for Today.
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        crate::dunning::refresh_day(&mut conn, as_of).unwrap();
        (dir, conn)
    }

    /// The virtual machine's steps `read` takes (the handler is called at every step).
    fn steps(conn: &mut Connection, read: &dyn Fn(&Connection)) -> u64 {
        let count = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&count);
        let db = conn.sqlite_mut().unwrap();
        db.progress_handler(
            1,
            Some(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                false
            }),
        )
        .unwrap();
        read(conn);
        let db = conn.sqlite_mut().unwrap();
        db.progress_handler(1, None::<fn() -> bool>).unwrap();
        count.load(Ordering::Relaxed)
    }

    #[test]
    fn reads_cost_what_they_show_not_what_the_ledger_holds() {
        let as_of = day("2026-11-30");
        let (_small_dir, mut small) = ledger(40, as_of);
        let (_large_dir, mut large) = ledger(160, as_of);
        type Read = Box<dyn Fn(&Connection)>;
        let reads: Vec<(&str, Read)> = vec![
            (
                "Today's sections",
                Box::new(move |c| drop(crate::dunning::today(c, as_of).unwrap())),
            ),
            (
                "a click on Today (one customer's actions)",
                Box::new(move |c| {
                    let id = ["C00007/x".to_string()];
                    drop(crate::dunning::agenda_of(c, as_of, &id).unwrap())
                }),
            ),
            (
                "contract alerts",
                Box::new(move |c| drop(crate::contracts::alerts(c, as_of).unwrap())),
            ),
            (
                "headline figures",
                Box::new(move |c| drop(super::dashboard::dashboard(c, as_of).unwrap())),
            ),
            (
                "bank summary",
                Box::new(move |c| drop(crate::bank::store::summary(c, as_of).unwrap())),
            ),
            (
                "penalty overcharges",
                Box::new(|c| drop(crate::interest::overcharges(c).unwrap())),
            ),
            (
                "sanction proposals (Today's page)",
                Box::new(move |c| {
                    drop(super::segments::sanctions_page(c, as_of, Lang::Fr, 50).unwrap())
                }),
            ),
            // One customer's pages and documents: what they hold, whatever the ledger holds.
            (
                "customer page",
                Box::new(move |c| {
                    let id = crate::customers::id_by_ref(c, "c", "C00007").unwrap();
                    drop(super::customer_page::detail(c, id, as_of).unwrap())
                }),
            ),
            (
                "invoice page",
                Box::new(move |c| {
                    let id = crate::invoices::find_id(c, "F00007-1").unwrap().unwrap();
                    drop(super::invoice_page::detail(c, id, as_of).unwrap())
                }),
            ),
            (
                "a customer's open invoices",
                Box::new(move |c| {
                    let id = crate::customers::id_by_ref(c, "c", "C00007").unwrap();
                    let q = crate::invoices::InvoiceQuery {
                        customer_id: Some(id),
                        limit: 100,
                        ..Default::default()
                    };
                    drop(crate::invoices::list(c, &q, as_of).unwrap())
                }),
            ),
            (
                "a customer's cell of the aged balance",
                Box::new(move |c| {
                    let id = crate::customers::id_by_ref(c, "c", "C00007").unwrap();
                    drop(super::aged::cell_invoices(c, as_of, None, Some(id), None).unwrap())
                }),
            ),
            (
                "a reminder letter",
                Box::new(move |c| {
                    use crate::documents::letters::{compose, LetterKind};
                    drop(compose(c, LetterKind::Reminder, "F00007-1", as_of).unwrap())
                }),
            ),
            (
                "a courtesy e-mail",
                Box::new(move |c| {
                    use crate::documents::letters::LetterKind;
                    let kind = LetterKind::Courtesy;
                    drop(crate::documents::email::preview(c, kind, "F00007-2", as_of).unwrap())
                }),
            ),
            (
                "a statement of account",
                Box::new(move |c| {
                    use crate::documents::letters::statement;
                    drop(statement(c, "C00007", None, as_of).unwrap())
                }),
            ),
        ];
        let mut grew = Vec::new();
        for (what, read) in &reads {
            // Once to prepare the statements, then counted.
            read(&small);
            read(&large);
            let (s, l) = (steps(&mut small, read), steps(&mut large, read));
            eprintln!("{what}: {s} → {l}");
            if l > s + s / 4 {
                grew.push(format!("{what}: {s} steps for 40 customers, {l} for 160"));
            }
            // Nor more statements (a round trip each on a server).
            let statements = |c: &Connection| -> u64 {
                let before = crate::store::sql::runs();
                read(c);
                crate::store::sql::runs() - before
            };
            let (s, l) = (statements(&small), statements(&large));
            if l > s + 2 {
                grew.push(format!(
                    "{what}: {s} statements for 40 customers, {l} for 160"
                ));
            }
        }
        assert!(grew.is_empty(), "{}", grew.join("\n"));
    }

    /// What changed in the book since the bank's last fold is mapped to the statement lines
    /// it may touch in batches (of 500): the Bank screen's reading and the fold run as many
    /// statements after 100 changes as after 400 (on a server each is a round trip). They
    /// ran four or five per change: after an import of 10,000 invoices on a server, each
    /// reading of the Bank screen until the next fold was some 40,000 round trips.
    #[test]
    fn the_bank_reads_the_changes_since_its_fold_in_batches() {
        let as_of = day("2026-11-30");
        let (_small_dir, mut small) = ledger(20, as_of);
        let (_large_dir, mut large) = ledger(80, as_of);
        for c in [&mut small, &mut large] {
            crate::bank::kept::fold(c).unwrap();
            // As the triggers log an import of these invoices and customers one by one.
            c.execute_batch(
                "INSERT INTO bank_book_changes (kind, value, seq)
                   SELECT 'i', CAST(id AS TEXT), 0 FROM invoices
                 UNION ALL SELECT 'c', CAST(id AS TEXT), 0 FROM customers",
            )
            .unwrap();
        }
        let statements = |c: &mut Connection, what: &dyn Fn(&mut Connection)| -> u64 {
            let before = crate::store::sql::runs();
            what(c);
            crate::store::sql::runs() - before
        };
        let read = |c: &mut Connection| {
            drop(crate::bank::store::groups(c, &[], 50, None, Lang::Fr).unwrap());
        };
        let fold = |c: &mut Connection| {
            crate::bank::kept::fold(c).unwrap();
        };
        let (s, l) = (statements(&mut small, &read), statements(&mut large, &read));
        assert!(
            l <= s + 2,
            "the Bank screen: {s} statements for 100 changes, {l} for 400"
        );
        let (s, l) = (statements(&mut small, &fold), statements(&mut large, &fold));
        assert!(
            l <= s + 2,
            "the fold: {s} statements for 100 changes, {l} for 400"
        );
        for c in [&small, &large] {
            let left: i64 = c
                .query_row("SELECT COUNT(*) FROM bank_book_changes", [], |r| r.get(0))
                .unwrap();
            assert_eq!(left, 0, "the fold took every change");
        }
    }

    /// A payment recorded ahead of its day costs the reads of the day before it only the
    /// invoices it settles: the first pages of open and overdue invoices (by due date and by
    /// amount, with their counts) and of the aged balance cost about what they cost with the
    /// payment dated that day (a quarter more at most, plus the few invoices' own reads).
    /// The reads of every row (the whole aged balance, a cell's invoices) cost at most twice
    /// as much: each of the two parts probes every invoice it scans against the few, and
    /// the rows are ordered through their union. Each invoice's facts were summed by date
    /// once any settlement was dated after the day: 20 to 45 times the steps of a page, 3 to
    /// 4 times those of a cell, three seconds for the first page of a million invoices.
    #[test]
    fn a_payment_dated_ahead_costs_the_reads_before_it_only_what_it_settles() {
        use crate::invoices::{InvoiceFilter, InvoiceQuery, InvoiceSort};
        let as_of = day("2026-11-30");
        let (_ahead_dir, mut ahead) = ledger(200, as_of);
        let (_on_dir, mut on) = ledger(200, as_of);
        for (c, paid) in [(&mut ahead, as_of + Duration::days(2)), (&mut on, as_of)] {
            let csv = format!(
                "customer_reference,date,amount,invoice_number\nC00007,{paid},107.00,F00007-1\n"
            );
            import(c, ImportKind::Payments, csv.as_bytes(), false).unwrap();
        }
        let at = crate::invoices::AsOf::split(&ahead, as_of).unwrap();
        assert!(at.later.is_some(), "the payment is dated after the day");
        assert!(crate::invoices::AsOf::new(&on, as_of).unwrap().cached);
        type Read = Box<dyn Fn(&Connection)>;
        // Each read and its name: the pages first, then the reads of every row.
        let mut reads: Vec<(String, Read)> = Vec::new();
        for filter in [InvoiceFilter::Open, InvoiceFilter::Overdue] {
            for sort in [InvoiceSort::DueDate, InvoiceSort::Amount] {
                let q = InvoiceQuery {
                    filter,
                    sort,
                    limit: 10,
                    ..Default::default()
                };
                reads.push((
                    format!("{filter:?} invoices by {sort:?}"),
                    Box::new(move |c| drop(crate::invoices::list(c, &q, as_of).unwrap())),
                ));
            }
        }
        reads.push((
            "the aged balance's first page".into(),
            Box::new(move |c| drop(super::aged::aged_page(c, as_of, None, 0, 10).unwrap())),
        ));
        let pages = reads.len();
        reads.push((
            "the whole aged balance".into(),
            Box::new(move |c| drop(super::aged::aged_balance(c, as_of, None).unwrap())),
        ));
        for bucket in [None, Some("not_due")] {
            reads.push((
                format!("the aged balance's cell {bucket:?}"),
                Box::new(move |c| {
                    drop(super::aged::cell_invoices(c, as_of, None, None, bucket).unwrap())
                }),
            ));
        }
        let mut grew = Vec::new();
        for (k, (what, read)) in reads.iter().enumerate() {
            read(&ahead);
            read(&on);
            let (a, o) = (steps(&mut ahead, read), steps(&mut on, read));
            eprintln!("{what}: {o} steps with the payment of the day, {a} with it ahead");
            let more = if k < pages { o / 4 } else { o };
            if a > o + more + 2_500 {
                grew.push(format!(
                    "{what}: {o} steps with the payment of the day, {a} with it ahead"
                ));
            }
        }
        assert!(grew.is_empty(), "{}", grew.join("\n"));
    }

    /// A whole report costs in proportion to the invoices, on any date: the aged balance of
    /// a day after which something was paid reads what settled each invoice by the date.
    /// SQLite did not carry the invoice into the settlements' view, so each invoice read
    /// every allocation up to the date (the report of a day before a payment, at 100,000
    /// invoices, ran for more than ten minutes).
    #[test]
    fn the_aged_balance_of_a_past_day_costs_what_it_sums() {
        let as_of = day("2026-11-30");
        let (_small_dir, mut small) = ledger(100, as_of);
        let (_large_dir, mut large) = ledger(400, as_of);
        let before = as_of - Duration::days(61);
        for c in [&small, &large] {
            let later: bool = c
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM allocations WHERE date > ?1)",
                    [before.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(later, "a payment after the day");
        }
        let read = |c: &Connection| drop(super::aged::aged_balance(c, before, None).unwrap());
        read(&small);
        read(&large);
        let (s, l) = (steps(&mut small, &read), steps(&mut large, &read));
        eprintln!("the aged balance of a past day: {s} steps → {l}");
        assert!(l < 6 * s, "{s} steps for 100 customers, {l} for 400");
    }

    /// What settled an invoice by a date is read through each settlement table's index on
    /// the invoice, whatever the data: through the `settlements` view, SQLite planned each
    /// invoice's sum as a read of every allocation up to the date (`allocations_by_date`)
    /// on the ledger where that report hung, though not on the small ones above.
    #[test]
    fn what_settled_an_invoice_by_a_date_is_read_by_its_invoice() {
        let as_of = day("2026-11-30");
        let (_dir, conn) = ledger(20, as_of);
        for day in [Some("'2026-10-01'"), None] {
            let settled = crate::invoices::settled_sql(day);
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT {settled} FROM invoices i"
                ))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let reads: Vec<&String> = plan
                .iter()
                .filter(|l| l.starts_with("SEARCH") || l.starts_with("SCAN"))
                .filter(|l| !l.contains(" i") && !l.contains(" r "))
                .collect();
            assert_eq!(reads.len(), 5, "{plan:#?}");
            for l in reads {
                assert!(l.contains("(invoice_id=?)"), "{day:?}: {l}\n{plan:#?}");
            }
        }
    }

    /// A write over many rows costs in proportion to them: a bank fold of four times the
    /// changes takes about four times the steps, not sixteen (its clearing, a few hundred
    /// changes a statement, made SQLite read every change logged for each statement: a
    /// start after the name words of 100,000 customers ran for more than ten minutes).
    #[test]
    fn a_fold_costs_what_it_folds() {
        let as_of = day("2026-11-30");
        let (_small_dir, mut small) = ledger(100, as_of);
        let (_large_dir, mut large) = ledger(400, as_of);
        let logged = |c: &Connection| -> i64 {
            c.query_row("SELECT COUNT(*) FROM bank_book_changes", [], |r| r.get(0))
                .unwrap()
        };
        let (s_logged, l_logged) = (logged(&small), logged(&large));
        assert!(
            l_logged >= 4 * s_logged - 4,
            "{s_logged} then {l_logged} changes"
        );
        let fold = |c: &Connection| {
            crate::bank::kept::fold_in(c).unwrap();
        };
        let (s, l) = (steps(&mut small, &fold), steps(&mut large, &fold));
        eprintln!("a fold: {s} steps ({s_logged} changes) → {l} ({l_logged})");
        assert_eq!((logged(&small), logged(&large)), (0, 0));
        assert!(
            l < 6 * s,
            "{s} steps for {s_logged} changes, {l} for {l_logged}"
        );
    }

    /// What a screen shows of a long Today is read in as many statements whatever it shows:
    /// on a server each statement is a round trip (the history of the customers shown read
    /// invoice by invoice made Today's sections 468 round trips, 110 ms at 100,000 invoices,
    /// against 3 ms on a file). 10 customers waiting, every one shown; 160, a page.
    #[test]
    fn a_page_of_today_is_read_in_as_many_statements_whatever_it_shows() {
        let as_of = day("2026-11-30");
        let (_small_dir, small) = ledger_of(10, as_of, false);
        let (_large_dir, large) = ledger_of(160, as_of, false);
        let lang = Lang::Fr;
        type Read = Box<dyn Fn(&Connection)>;
        let reads: Vec<(&str, Read)> = vec![
            (
                "Today's sections",
                Box::new(move |c| drop(crate::dunning::today(c, as_of).unwrap())),
            ),
            (
                "Today grouped by segment",
                Box::new(move |c| {
                    drop(super::today::by_segment(c, as_of, lang, &Default::default()).unwrap())
                }),
            ),
        ];
        let shown = |c: &Connection| -> usize {
            crate::dunning::today(c, as_of)
                .unwrap()
                .iter()
                .map(|s| s.actions.len())
                .sum()
        };
        let (s_shown, l_shown) = (shown(&small), shown(&large));
        assert!(l_shown >= s_shown * 4, "{s_shown} shown, then {l_shown}");
        let mut grew = Vec::new();
        for (what, read) in &reads {
            let count = |c: &Connection| -> u64 {
                let before = crate::store::sql::runs();
                read(c);
                crate::store::sql::runs() - before
            };
            let (s, l) = (count(&small), count(&large));
            eprintln!("{what}: {s} statements ({s_shown} shown) → {l} ({l_shown} shown)");
            if l > s + 2 {
                grew.push(format!(
                    "{what}: {s} statements for {s_shown} actions shown, {l} for {l_shown}"
                ));
            }
        }
        assert!(grew.is_empty(), "{}", grew.join("\n"));
    }
}
