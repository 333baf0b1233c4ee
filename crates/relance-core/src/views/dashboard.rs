//! Figures for the dashboard and, later, the aged balance and cash-in forecast.

use crate::error::Result;
use crate::store::sql::{params, Connection, OptionalExtension};
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

/// Today's headline figures, from the kept summaries of the open invoices not written off
/// (`due_balances`, `oldest_dues`: see [`super::balances`]): sums over due dates, however
/// many invoices are open (one pass over the open invoices took 60-85 ms at a million
/// invoices). The summaries count an invoice for at most 10^15 minor units (as the
/// customers' balances: older builds let larger totals in); a ledger holding such an open
/// invoice (one probe of the open balances' index) reads [`derived`], which sums the real
/// amounts (and refuses an overflow clearly). One moment of the ledger.
pub fn dashboard(conn: &Connection, as_of: NaiveDate) -> Result<Dashboard> {
    conn.reading(|| {
        // The largest open balance, the last entry of the open balances' index (asked as
        // "any above the cap, LIMIT 1", PostgreSQL's generic plan guessed a third of the
        // rows above it and walked the table: 121 ms at a million invoices).
        let largest: Option<i64> = conn
            .query_row(
                "SELECT total_minor - settled_minor FROM invoices
                  WHERE settled_minor < total_minor
                  ORDER BY total_minor - settled_minor DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if largest.is_some_and(|b| b > crate::customers::BALANCE_CAP) {
            return derived(conn, as_of);
        }
        figures(
            conn,
            "SELECT COALESCE(SUM(open_minor), 0),
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN open_minor END), 0),
                    COALESCE(SUM(open_count), 0),
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN open_count END), 0),
                    (SELECT COALESCE(SUM(customers), 0) FROM oldest_dues
                      WHERE currency = ?1 AND oldest_due < ?2)
             FROM due_balances WHERE currency = ?1",
            as_of,
        )
    })
}

/// The headline figures by their definition, from every open invoice not written off (one
/// pass, a probe per invoice for its write-off): what [`dashboard`] must equal (the
/// model-based test compares them after every step, on several days).
pub fn derived(conn: &Connection, as_of: NaiveDate) -> Result<Dashboard> {
    figures(
        conn,
        "SELECT COALESCE(SUM(total_minor - settled_minor), 0),
                COALESCE(SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor END), 0),
                COUNT(*),
                COUNT(CASE WHEN due_date < ?2 THEN 1 END),
                COUNT(DISTINCT CASE WHEN due_date < ?2 THEN customer_id END)
         FROM invoices i WHERE settled_minor < total_minor AND currency = ?1
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                           WHERE x.invoice_id = i.id AND x.kind = 'write_off')",
        as_of,
    )
}

/// The figures one statement reads (outstanding, overdue, open invoices, overdue invoices,
/// customers late; `?1` the default currency, `?2` the day), as the screen shows them.
fn figures(conn: &Connection, sql: &str, as_of: NaiveDate) -> Result<Dashboard> {
    let currency = crate::settings::default_currency(conn)?;
    let (outstanding, overdue, open, late, customers) =
        conn.query_row(sql, params![currency.code(), as_of.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
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

    /// An open invoice beyond what the summaries count (older builds let such totals in):
    /// the figures are still the real sums, not the summaries' capped ones.
    #[test]
    fn an_invoice_beyond_the_summaries_cap_is_summed_for_real() {
        let conn = setup();
        let d = day("2026-03-01");
        for (n, total) in [("F-1", "300"), ("F-2", "100")] {
            invoices::create(&conn, &inv(n, "ACME", "2026-01-01", "2026-01-31", total), d).unwrap();
        }
        conn.execute(
            "UPDATE invoices SET total_minor = ?1 WHERE number = 'F-1'",
            [2 * crate::customers::BALANCE_CAP],
        )
        .unwrap();
        let got = dashboard(&conn, d).unwrap();
        assert_eq!(got, derived(&conn, d).unwrap());
        assert_eq!(got.outstanding, "20000000000100.00");
    }

    /// Written-off invoices are out of every figure, and a customer whose only overdue
    /// invoices were written off is not counted overdue; on several days, as invoices are
    /// written off one after the other (the demo's, a customer's only late one among them).
    #[test]
    fn written_off_invoices_leave_every_figure_as_the_definition_says() {
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        let same = |conn: &Connection, d: NaiveDate| {
            assert_eq!(
                dashboard(conn, d).unwrap(),
                derived(conn, d).unwrap(),
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
