//! The aged balance: what each customer owes, by how late it is (not yet due, 1–30,
//! 31–60, 61–90, over 90 days past due), in one currency (never summed across currencies).
//!
//! Decisions: it ages what was owed on the as-of date, each payment and credit note counted
//! from its own date (`invoices::AsOf`), for the invoices issued by then; written-off
//! invoices are left out, disputed and handed-over ones are still owed and count. As of
//! today it is the settled cache over the covering index of open invoices.

use crate::error::Result;
use crate::money::Currency;
use crate::store::sql::{params, Connection};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One customer's line (or the totals): decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgedRow {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub not_due: String,
    pub d1_30: String,
    pub d31_60: String,
    pub d61_90: String,
    pub over_90: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgedBalance {
    pub as_of: NaiveDate,
    pub currency: String,
    /// Largest total first.
    pub rows: Vec<AgedRow>,
    pub totals: AgedRow,
}

/// The buckets' names, in order, as the JSON and CSV columns.
pub const BUCKETS: [&str; 5] = ["not_due", "d1_30", "d31_60", "d61_90", "over_90"];

/// The aged balance as of `as_of` in `currency` (default: the company's).
pub fn aged_balance(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
) -> Result<AgedBalance> {
    let cur = crate::settings::currency_or_default(conn, currency.unwrap_or(""))?;
    let day = |d: i64| (as_of - Duration::days(d)).to_string();
    let at = crate::invoices::AsOf::new(conn, as_of)?;
    let open = format!("(i.total_minor - {})", at.settled);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT MAX(c.reference) AS reference, MAX(c.name), i.customer_id,
                SUM(CASE WHEN i.due_date >= ?2 THEN {open} ELSE 0 END),
                SUM(CASE WHEN i.due_date < ?2 AND i.due_date >= ?3 THEN {open} ELSE 0 END),
                SUM(CASE WHEN i.due_date < ?3 AND i.due_date >= ?4 THEN {open} ELSE 0 END),
                SUM(CASE WHEN i.due_date < ?4 AND i.due_date >= ?5 THEN {open} ELSE 0 END),
                SUM(CASE WHEN i.due_date < ?5 THEN {open} ELSE 0 END),
                SUM({open}) AS total
         FROM invoices i JOIN customers c ON c.id = i.customer_id
         WHERE {} AND i.currency = ?1
         GROUP BY i.customer_id
         ORDER BY total DESC, reference",
        at.owed()
    ))?;
    let rows = stmt.query_map(
        params![cur.code(), as_of.to_string(), day(30), day(60), day(90)],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                [
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                ],
            ))
        },
    )?;
    let mut out = Vec::new();
    let mut sums = [0i64; 6];
    for row in rows {
        let (reference, name, id, amounts) = row?;
        for (s, a) in sums.iter_mut().zip(amounts) {
            *s = crate::money::checked_total([*s, a])?;
        }
        out.push(line(cur, reference, name, id, amounts));
    }
    Ok(AgedBalance {
        as_of,
        currency: cur.code().to_string(),
        rows: out,
        totals: line(cur, String::new(), String::new(), 0, sums),
    })
}

fn line(cur: Currency, customer: String, name: String, id: i64, a: [i64; 6]) -> AgedRow {
    AgedRow::from_minor(cur, customer, name, id, a)
}

impl AgedRow {
    /// A line from its five buckets and total in minor units of `cur`.
    pub fn from_minor(
        cur: Currency,
        customer: String,
        name: String,
        id: i64,
        a: [i64; 6],
    ) -> AgedRow {
        let s = |m: i64| cur.minor_to_string(m);
        AgedRow {
            customer,
            customer_name: name,
            customer_id: id,
            not_due: s(a[0]),
            d1_30: s(a[1]),
            d31_60: s(a[2]),
            d61_90: s(a[3]),
            over_90: s(a[4]),
            total: s(a[5]),
        }
    }

    /// The five buckets then the total, in [`BUCKETS`] order (decimal strings).
    pub fn amounts(&self) -> [&str; 6] {
        [
            &self.not_due,
            &self.d1_30,
            &self.d31_60,
            &self.d61_90,
            &self.over_90,
            &self.total,
        ]
    }
}

/// The invoices of one cell: a customer (or all, with `None`) and a bucket (or all).
pub fn cell_invoices(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
    customer_id: Option<i64>,
    bucket: Option<&str>,
) -> Result<Vec<crate::invoices::InvoiceView>> {
    let cur = crate::settings::currency_or_default(conn, currency.unwrap_or(""))?;
    let (from, to) = match bucket {
        None => (None, None),
        Some(b) => {
            let k = BUCKETS.iter().position(|x| *x == b).ok_or_else(|| {
                crate::error::Error::invalid("bucket", crate::error::Msg::OneOf(BUCKETS.to_vec()))
            })?;
            // Days past due: (0 or less), 1–30, 31–60, 61–90, 91 and more.
            let bounds = [
                (None, Some(0)),
                (Some(1), Some(30)),
                (Some(31), Some(60)),
                (Some(61), Some(90)),
                (Some(91), None),
            ];
            bounds[k]
        }
    };
    let at = crate::invoices::AsOf::new(conn, as_of)?;
    // One customer's: from their invoices (left to itself, SQLite reads every invoice of
    // the currency issued by the date, through the billing index).
    let index = if customer_id.is_some() {
        "INDEXED BY invoices_customer"
    } else {
        ""
    };
    let mut sql = format!(
        "SELECT {} FROM invoices i {index} CROSS JOIN customers c ON c.id = i.customer_id
         WHERE {} AND i.currency = ?1 AND CAST(?2 AS TEXT) IS NOT NULL",
        at.view_columns(),
        at.owed()
    );
    let mut args: Vec<String> = vec![cur.code().to_string(), as_of.to_string()];
    if let Some(id) = customer_id {
        args.push(id.to_string());
        sql.push_str(&format!(
            " AND i.customer_id = CAST(?{} AS INTEGER)",
            args.len()
        ));
    }
    // A due date d is `days` late when as_of - d = days.
    if let Some(min_days) = from {
        args.push((as_of - Duration::days(min_days)).to_string());
        sql.push_str(&format!(" AND i.due_date <= ?{}", args.len()));
    }
    if let Some(max_days) = to {
        args.push((as_of - Duration::days(max_days)).to_string());
        sql.push_str(&format!(" AND i.due_date >= ?{}", args.len()));
    }
    sql.push_str(" ORDER BY i.due_date, i.number");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
        crate::invoices::view_from_row(r, as_of)
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    #[test]
    fn buckets_sum_to_the_open_balances_and_to_the_dashboard() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let as_of = day("2026-11-22");
        let a = aged_balance(&conn, as_of, None).unwrap();
        let cur = Currency::EUR;
        let minor = |s: &str| cur.to_minor(s.parse().unwrap(), "x").unwrap();
        // Each row's buckets sum to its total; the totals are the rows' sums.
        for r in &a.rows {
            let b = &r.amounts()[..5];
            assert_eq!(
                b.iter().map(|x| minor(x)).sum::<i64>(),
                minor(&r.total),
                "{r:?}"
            );
        }
        let sum: i64 = a.rows.iter().map(|r| minor(&r.total)).sum();
        assert_eq!(sum, minor(&a.totals.total));
        // The total is every open balance in euros, to the cent, and the dashboard's.
        let open: i64 = conn
            .query_row(
                "SELECT SUM(total_minor - settled_minor) FROM invoices WHERE settled_minor < total_minor AND currency = 'EUR'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(minor(&a.totals.total), open);
        let d = crate::views::dashboard::dashboard(&conn, as_of).unwrap();
        assert_eq!(d.outstanding, a.totals.total);
        // A cell's invoices are exactly that cell's amount.
        for (k, b) in BUCKETS.iter().enumerate() {
            let list = cell_invoices(&conn, as_of, None, None, Some(b)).unwrap();
            let got: i64 = list.iter().map(|i| minor(&i.balance)).sum();
            let want = minor(
                [
                    &a.totals.not_due,
                    &a.totals.d1_30,
                    &a.totals.d31_60,
                    &a.totals.d61_90,
                    &a.totals.over_90,
                ][k],
            );
            assert_eq!(got, want, "{b}");
        }
        // Another currency is its own report.
        assert!(aged_balance(&conn, as_of, Some("GBP")).unwrap().rows.len() <= 1);
        // After a write-off, the aged balance, the dashboard, the Customers list and the
        // customer's page all leave it out, and still agree to the cent.
        crate::dunning::close_invoice(
            &mut conn,
            "F2026-0124",
            crate::invoices::ClosureKind::WriteOff,
            as_of,
            "liquidation",
        )
        .unwrap();
        let a = aged_balance(&conn, as_of, None).unwrap();
        let d = crate::views::dashboard::dashboard(&conn, as_of).unwrap();
        assert_eq!(d.outstanding, a.totals.total);
        let list = crate::customers::list(
            &conn,
            &crate::customers::CustomerQuery {
                limit: 1000,
                ..Default::default()
            },
            as_of,
        )
        .unwrap();
        let listed: i64 = list.rows.iter().map(|c| minor(&c.outstanding)).sum();
        assert_eq!(listed, minor(&a.totals.total));
        for c in &list.rows {
            let page = crate::views::customer_page::detail(&conn, c.id, as_of).unwrap();
            let row = a.rows.iter().find(|r| r.customer_id == c.id);
            let paged: i64 = page
                .outstanding
                .iter()
                .filter(|b| b.currency == "EUR")
                .map(|b| minor(&b.amount))
                .sum();
            assert_eq!(paged, row.map_or(0, |r| minor(&r.total)), "{}", c.reference);
        }
    }

    #[test]
    fn a_hand_checked_customer() {
        let mut conn = crate::test_support::setup();
        let as_of = day("2026-06-30");
        for (n, due, total) in [
            ("A", "2026-07-10", "100"), // not due
            ("B", "2026-06-30", "1"),   // due today: not due
            ("C", "2026-06-29", "10"),  // 1 day
            ("D", "2026-05-31", "20"),  // 30 days
            ("E", "2026-05-30", "30"),  // 31 days
            ("F", "2026-04-01", "40"),  // 90 days
            ("G", "2026-03-31", "50"),  // 91 days
        ] {
            crate::invoices::create(
                &conn,
                &crate::test_support::inv(n, "ACME", "2026-01-01", due, total),
                as_of,
            )
            .unwrap();
        }
        let p = crate::invoices::payments::PaymentInput {
            customer: "ACME".into(),
            date: "2026-06-30".into(),
            amount: "5".into(),
            allocations: vec![crate::invoices::payments::AllocationInput {
                invoice: "G".into(),
                amount: "5".into(),
            }],
            ..Default::default()
        };
        crate::invoices::payments::record(&mut conn, &p).unwrap();
        let a = aged_balance(&conn, as_of, None).unwrap();
        let r = &a.rows[0];
        assert_eq!(
            [
                r.not_due.as_str(),
                &r.d1_30,
                &r.d31_60,
                &r.d61_90,
                &r.over_90,
                &r.total
            ],
            ["101.00", "30.00", "30.00", "40.00", "45.00", "246.00"]
        );
        let over = cell_invoices(&conn, as_of, None, Some(r.customer_id), Some("over_90")).unwrap();
        assert_eq!(
            over.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(),
            ["G"]
        );
    }
}
