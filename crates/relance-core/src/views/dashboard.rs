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
    let (outstanding, overdue, open, late, customers) = conn.query_row(
        "SELECT COALESCE(SUM(total_minor - settled_minor), 0),
                COALESCE(SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor END), 0),
                COUNT(*),
                COUNT(CASE WHEN due_date < ?2 THEN 1 END),
                COUNT(DISTINCT CASE WHEN due_date < ?2 THEN customer_id END)
         FROM invoices i WHERE settled_minor < total_minor AND currency = ?1
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                           WHERE x.invoice_id = i.id AND x.kind = 'write_off')",
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
}
