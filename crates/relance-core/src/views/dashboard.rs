//! Figures for the dashboard and, later, the aged balance and cash-in forecast.

use crate::error::Result;
use crate::store::sql::{params, Connection};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Headline figures in the company's default currency, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Dashboard {
    pub currency: String,
    pub outstanding: String,
    pub overdue: String,
    #[ts(type = "number")]
    pub open_invoices: i64,
    #[ts(type = "number")]
    pub overdue_invoices: i64,
    #[ts(type = "number")]
    pub customers_overdue: i64,
}

pub fn dashboard(conn: &Connection, as_of: NaiveDate) -> Result<Dashboard> {
    let currency = crate::settings::default_currency(conn)?;
    // Every open invoice in one pass over the open-invoice index (no probe per invoice),
    // less the few written off, and less the customers overdue only on those: a probe per
    // open invoice for its write-off was most of 150 ms at a million invoices. One
    // statement, so one moment of the ledger.
    let (outstanding, overdue, open, late, customers) = conn.query_row(
        "WITH wo AS (
             SELECT i.id, i.customer_id, i.due_date, i.total_minor - i.settled_minor AS balance
             FROM invoice_closures x CROSS JOIN invoices i ON i.id = x.invoice_id
             WHERE x.kind = 'write_off' AND i.settled_minor < i.total_minor AND i.currency = ?1),
         everything AS (
             SELECT COALESCE(SUM(total_minor - settled_minor), 0) AS outstanding,
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor END), 0)
                        AS overdue,
                    COUNT(*) AS open,
                    COUNT(CASE WHEN due_date < ?2 THEN 1 END) AS late,
                    COUNT(DISTINCT CASE WHEN due_date < ?2 THEN customer_id END) AS customers
             FROM invoices WHERE settled_minor < total_minor AND currency = ?1),
         taken AS (
             SELECT COALESCE(SUM(balance), 0) AS outstanding,
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN balance END), 0) AS overdue,
                    COUNT(*) AS open,
                    COUNT(CASE WHEN due_date < ?2 THEN 1 END) AS late
             FROM wo),
         only_written_off AS (
             SELECT COUNT(*) AS customers FROM (SELECT DISTINCT customer_id FROM wo
                                                 WHERE due_date < ?2) c
             WHERE NOT EXISTS (SELECT 1 FROM invoices i
                 WHERE i.customer_id = c.customer_id AND i.currency = ?1
                   AND i.settled_minor < i.total_minor AND i.due_date < ?2
                   AND NOT EXISTS (SELECT 1 FROM wo WHERE wo.id = i.id)))
         SELECT e.outstanding - t.outstanding, e.overdue - t.overdue, e.open - t.open,
                e.late - t.late, e.customers - o.customers
         FROM everything e, taken t, only_written_off o",
        params![currency.code(), as_of.to_string()],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        },
    )?;
    Ok(Dashboard {
        currency: currency.code().to_string(),
        outstanding: currency.minor_to_string(outstanding),
        overdue: currency.minor_to_string(overdue),
        open_invoices: open,
        overdue_invoices: late,
        customers_overdue: customers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::{self, payments};
    use crate::test_support::{day, inv, setup};

    #[test]
    fn dashboard_sums_open_and_overdue_balances() {
        let mut conn = setup();
        let d = day("2026-03-01");
        invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-01", "2026-01-31", "300"),
            d,
        )
        .unwrap();
        invoices::create(
            &conn,
            &inv("F-2", "BETA", "2026-02-01", "2026-03-15", "100.50"),
            d,
        )
        .unwrap();
        invoices::create(
            &conn,
            &inv("F-3", "BETA", "2026-01-01", "2026-02-01", "50"),
            d,
        )
        .unwrap();
        payments::record(
            &mut conn,
            &payments::PaymentInput {
                customer: "ACME".into(),
                date: "2026-02-10".into(),
                amount: "100".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let db = dashboard(&conn, d).unwrap();
        assert_eq!(db.outstanding, "350.50");
        assert_eq!(db.overdue, "250.00");
        assert_eq!(db.open_invoices, 3);
        assert_eq!(db.overdue_invoices, 2);
        assert_eq!(db.customers_overdue, 2);
    }

    /// The figures by their definition: every open invoice not written off, in one query
    /// with a probe per invoice (what `dashboard` computed before it took the few written
    /// off back out of one pass).
    fn by_definition(conn: &Connection, as_of: NaiveDate) -> (i64, i64, i64, i64, i64) {
        conn.query_row(
            "SELECT COALESCE(SUM(total_minor - settled_minor), 0),
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor END), 0),
                    COUNT(*),
                    COUNT(CASE WHEN due_date < ?2 THEN 1 END),
                    COUNT(DISTINCT CASE WHEN due_date < ?2 THEN customer_id END)
             FROM invoices i WHERE settled_minor < total_minor AND currency = 'EUR'
               AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                               WHERE x.invoice_id = i.id AND x.kind = 'write_off')",
            params!["EUR", as_of.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    }

    /// Written-off invoices are out of every figure, and a customer whose only overdue
    /// invoices were written off is not counted overdue; on several days, as invoices are
    /// written off one after the other (the demo's, a customer's only late one among them).
    #[test]
    fn written_off_invoices_leave_every_figure_as_the_definition_says() {
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        let minor = |s: &str| -> i64 { s.replace('.', "").parse().unwrap() };
        let same = |conn: &Connection, d: NaiveDate| {
            let got = dashboard(conn, d).unwrap();
            assert_eq!(
                (
                    minor(&got.outstanding),
                    minor(&got.overdue),
                    got.open_invoices,
                    got.overdue_invoices,
                    got.customers_overdue
                ),
                by_definition(conn, d),
                "{d}"
            );
        };
        // The overdue invoices of the customers with the fewest, written off in turn.
        let late: Vec<String> = conn
            .prepare(
                "SELECT number FROM invoices i WHERE settled_minor < total_minor
                   AND due_date < '2026-11-22'
                 ORDER BY (SELECT COUNT(*) FROM invoices j WHERE j.customer_id = i.customer_id
                             AND j.settled_minor < j.total_minor AND j.due_date < '2026-11-22'),
                          customer_id, number LIMIT 6",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        assert_eq!(late.len(), 6);
        let before = dashboard(&conn, today).unwrap();
        for number in &late {
            crate::dunning::close_invoice(
                &mut conn,
                number,
                crate::invoices::ClosureKind::WriteOff,
                today,
                "irrecoverable",
            )
            .unwrap();
            for d in [day("2026-10-01"), today, day("2027-02-01")] {
                same(&conn, d);
            }
        }
        let after = dashboard(&conn, today).unwrap();
        assert!(after.customers_overdue < before.customers_overdue);
        assert_eq!(after.overdue_invoices, before.overdue_invoices - 6);
    }
}
