//! Promises to pay: a date, an amount, which invoices. A live promise pauses dunning on its
//! invoices until the promised date plus the grace days. Its status is derived: kept when
//! payments allocated to its invoices since it was made reach the amount by the deadline
//! (or the invoices are settled), broken when the deadline passes without that. "Since it
//! was made" means recorded after it (allocations numbered after the last one when it was
//! made), whatever their date up to the deadline: a payment recorded earlier the same day is
//! already netted from the amount promised, and one dated earlier but only recorded now
//! (the bank statement came later) counts.

use crate::customers;
use crate::error::{Error, Msg, Result};
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::{positive_minor, Currency};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    Live,
    Kept,
    Broken,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct PromiseInput {
    /// The customer's reference.
    pub customer: String,
    /// Invoice numbers; empty: all the customer's open invoices.
    pub invoices: Vec<String>,
    pub promised_date: String,
    /// Empty: the open balance of those invoices.
    pub amount: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PromiseView {
    #[ts(type = "number")]
    pub id: i64,
    pub customer: String,
    pub invoices: Vec<String>,
    pub made_on: NaiveDate,
    pub promised_date: NaiveDate,
    pub amount: String,
    pub currency: String,
    /// Paid on those invoices since the promise was made.
    pub paid: String,
    pub status: PromiseStatus,
    pub note: String,
}

/// A promise's derived state, for the agenda.
pub(crate) struct PromiseState {
    pub id: i64,
    pub promised_date: NaiveDate,
    pub invoice_ids: Vec<i64>,
    pub status: PromiseStatus,
    /// The journal entry that handled the "promise broken" action, if any.
    pub acknowledged_by: Option<i64>,
    view: PromiseView,
}

/// Records a promise made on `as_of`.
pub fn add(conn: &mut Connection, input: &PromiseInput, as_of: NaiveDate) -> Result<PromiseView> {
    let tx = conn.transaction()?;
    let id = add_in(&tx, input, as_of)?;
    tx.commit()?;
    let grace = super::promise_grace_days(conn)?;
    states(conn, as_of, grace)?
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| s.view)
        .ok_or(Error::NotFound {
            what: "promise",
            key: id.to_string(),
        })
}

/// [`add`] inside the caller's transaction; returns the promise's id.
pub(crate) fn add_in(tx: &Connection, input: &PromiseInput, as_of: NaiveDate) -> Result<i64> {
    let conn = tx;
    let customer_id = customers::id_by_ref(
        conn,
        "customer",
        &v::required_line("customer", &input.customer, 40)?,
    )?;
    let promised = v::parse_date("promised_date", &input.promised_date)?;
    if promised < as_of {
        return Err(Error::invalid("promised_date", Msg::DateInPast));
    }
    v::within_a_year("promised_date", promised, as_of)?;
    let note = v::multiline("note", &input.note, 2000)?;
    let mut targets: Vec<(i64, String, i64)> = Vec::new();
    if input.invoices.is_empty() {
        let mut stmt = tx.prepare(
            "SELECT id, currency, total_minor - settled_minor FROM invoices
             WHERE customer_id = ?1 AND settled_minor < total_minor ORDER BY due_date",
        )?;
        targets = stmt
            .query_map([customer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<crate::store::sql::Result<_>>()?;
    } else {
        for (i, number) in input.invoices.iter().enumerate() {
            let field = format!("invoices[{i}]");
            let row: Option<(i64, i64, String, i64)> = tx
                .query_row(
                    "SELECT id, customer_id, currency, total_minor - settled_minor FROM invoices WHERE number = ?1",
                    [v::identifier_key(number)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let (id, owner, cur, bal) = row
                .ok_or_else(|| Error::invalid(&field, Msg::UnknownInvoice(number.trim().into())))?;
            if owner != customer_id {
                return Err(Error::invalid(
                    field,
                    Msg::InvoiceOfOtherCustomer(number.trim().into()),
                ));
            }
            if bal == 0 {
                return Err(Error::invalid(field, Msg::InvoiceSettled));
            }
            targets.push((id, cur, bal));
        }
    }
    let Some(first) = targets.first() else {
        return Err(Error::invalid("invoices", Msg::NoOpenInvoices));
    };
    let currency = Currency::parse(&first.1)?;
    if targets.iter().any(|t| t.1 != first.1) {
        return Err(Error::invalid(
            "invoices",
            Msg::CurrencyMismatch {
                expected: first.1.clone(),
                got: targets
                    .iter()
                    .find(|t| t.1 != first.1)
                    .map(|t| t.1.clone())
                    .unwrap_or_default(),
            },
        ));
    }
    let open = crate::money::checked_total(targets.iter().map(|t| t.2))?;
    let amount = match input.amount.trim() {
        "" => open,
        s => positive_minor(currency.parse_amount(s, "amount")?, currency, "amount")?,
    };
    if amount > open {
        return Err(Error::invalid(
            "amount",
            Msg::AboveBalance {
                balance: currency.minor_to_string(open),
            },
        ));
    }
    let id = tx.insert(
        "INSERT INTO promises (customer_id, made_on, promised_date, currency, amount_minor, note, after_allocation)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(MAX(id), 0) FROM allocations))",
        params![
            customer_id,
            as_of.to_string(),
            promised.to_string(),
            currency.code(),
            amount,
            note
        ],
    )?;
    for t in &targets {
        tx.execute(
            "INSERT INTO promise_invoices (promise_id, invoice_id) VALUES (?1, ?2)",
            params![id, t.0],
        )?;
    }
    let mut entry = NewEntry::new(JournalKind::PromiseMade, customer_id, as_of);
    entry.amount = Some((amount, currency));
    entry.until_date = Some(promised);
    entry.promise_id = Some(id);
    entry.note = note;
    entry.invoices = targets.iter().map(|t| (t.0, None)).collect();
    journal::append(tx, &entry)?;
    Ok(id)
}

/// Every promise with its derived status as of a date, newest first.
pub fn list(conn: &Connection, as_of: NaiveDate) -> Result<Vec<PromiseView>> {
    let grace = super::promise_grace_days(conn)?;
    let mut all: Vec<PromiseView> = states(conn, as_of, grace)?
        .into_iter()
        .map(|s| s.view)
        .collect();
    all.reverse();
    Ok(all)
}

pub(crate) fn states(conn: &Connection, as_of: NaiveDate, grace: i64) -> Result<Vec<PromiseState>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.id, c.reference, p.made_on, p.promised_date, p.currency, p.amount_minor, p.note,
                (SELECT COALESCE(SUM(a.amount_minor), 0) FROM allocations a
                   JOIN promise_invoices pi ON pi.invoice_id = a.invoice_id
                  WHERE pi.promise_id = p.id AND a.date <= date(p.promised_date, ?1)
                    AND CASE WHEN p.after_allocation IS NULL THEN a.date >= p.made_on
                             ELSE a.id > p.after_allocation END
                    -- A payment the bank gave back within the promise's time kept nothing.
                    AND NOT EXISTS (SELECT 1 FROM payment_reversals r WHERE r.payment_id = a.payment_id
                                    AND r.date <= date(p.promised_date, ?1))),
                (SELECT COUNT(*) FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
                  WHERE pi.promise_id = p.id AND i.settled_minor < i.total_minor),
                (SELECT MIN(j.id) FROM journal j WHERE j.promise_id = p.id
                  AND j.kind IN ('action_done', 'action_skipped') AND {})
         FROM promises p JOIN customers c ON c.id = p.customer_id ORDER BY p.id",
        crate::journal::NOT_UNDONE
    ))?;
    let rows = stmt
        .query_map([format!("+{grace} days")], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, NaiveDate>(2)?,
                r.get::<_, NaiveDate>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let mut inv_stmt = conn.prepare_cached(
        "SELECT i.id, i.number FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = ?1 ORDER BY i.due_date",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, customer, made_on, promised, cur, amount, note, paid, still_open, ack) in rows {
        let currency = Currency::parse(&cur)?;
        let invs = inv_stmt
            .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<crate::store::sql::Result<Vec<_>>>()?;
        let deadline = promised + Duration::days(grace);
        let status = if paid >= amount || still_open == 0 {
            PromiseStatus::Kept
        } else if as_of <= deadline {
            PromiseStatus::Live
        } else {
            PromiseStatus::Broken
        };
        out.push(PromiseState {
            id,
            promised_date: promised,
            invoice_ids: invs.iter().map(|i| i.0).collect(),
            status,
            acknowledged_by: ack,
            view: PromiseView {
                id,
                customer,
                invoices: invs.into_iter().map(|i| i.1).collect(),
                made_on,
                promised_date: promised,
                amount: currency.minor_to_string(amount),
                currency: cur,
                paid: currency.minor_to_string(paid.min(amount)),
                status,
                note,
            },
        });
    }
    Ok(out)
}
