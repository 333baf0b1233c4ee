//! The customer page: details, every invoice, payments, credit and totals per currency.

use crate::customers::{self, Customer};
use crate::error::Result;
use crate::invoices::payments::{self, PaymentView};
use crate::invoices::{self, InvoiceFilter, InvoiceQuery, InvoiceSort, InvoiceView};
use crate::money::{Amount, Currency};
use crate::store::sql::{params, Connection};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The customer page: details, every invoice, payments, credit and totals.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CustomerDetail {
    pub customer: Customer,
    pub invoices: Vec<InvoiceView>,
    pub payments: Vec<PaymentView>,
    /// Open balance per currency.
    pub outstanding: Vec<Amount>,
    /// Overdue balance per currency.
    pub overdue: Vec<Amount>,
    /// Unallocated payments per currency, usable against future invoices.
    pub credit: Vec<Amount>,
    /// The dunning scenario they follow now, and why (their choice, key account, segment,
    /// default).
    #[ts(type = "number")]
    pub scenario_in_effect: i64,
    pub scenario_source: crate::dunning::scenarios::ScenarioSource,
}

pub fn detail(conn: &Connection, id: i64, as_of: NaiveDate) -> Result<CustomerDetail> {
    let customer = customers::get(conn, id)?;
    let invoices = invoices::list(
        conn,
        &InvoiceQuery {
            filter: InvoiceFilter::All,
            sort: InvoiceSort::DueDate,
            descending: true,
            customer_id: Some(id),
            limit: 10_000,
            ..Default::default()
        },
        as_of,
    )?
    .rows;
    let mut stmt = conn.prepare_cached(
        "SELECT currency, SUM(total_minor - settled_minor),
                SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor ELSE 0 END)
         FROM invoices i WHERE customer_id = ?1 AND settled_minor < total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = i.id AND x.kind = 'write_off')
         GROUP BY currency ORDER BY currency",
    )?;
    let sums = stmt
        .query_map(params![id, as_of.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let amount = |code: &str, minor: i64| -> Result<Amount> {
        Ok(Amount::of(Currency::parse(code)?, minor))
    };
    let mut outstanding = Vec::new();
    let mut overdue = Vec::new();
    for (code, open, late) in &sums {
        outstanding.push(amount(code, *open)?);
        if *late > 0 {
            overdue.push(amount(code, *late)?);
        }
    }
    let credit = payments::credit_minor(conn, id)?
        .into_iter()
        .map(|(c, m)| amount(&c, m))
        .collect::<Result<Vec<_>>>()?;
    let (scenario_in_effect, scenario_source) = crate::dunning::scenarios::effective(conn, id)?;
    Ok(CustomerDetail {
        scenario_in_effect,
        scenario_source,
        customer,
        invoices,
        payments: payments::for_customer(conn, id)?,
        outstanding,
        overdue,
        credit,
    })
}
