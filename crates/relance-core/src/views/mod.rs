//! Read models that combine several subjects: what one screen shows at once (the customer
//! page, the invoice page, the dashboard). They only read; every write lives in the subject's
//! own module below: the aged balance; later payer profiles and the cash-in forecast.

pub mod aged;
pub mod balances;
pub mod customer_page;
pub mod dashboard;
pub mod invoice_page;
pub mod overview;
pub mod profile;
pub mod segments;

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
