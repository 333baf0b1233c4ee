//! Payments received and their allocation to invoices. Whatever part of a payment is not
//! allocated is the customer's credit, visible and usable later with [`apply_credit`].

use crate::customers::{self, PaymentMethod};
use crate::error::{Error, Msg, Result};
use crate::journal::{self, JournalKind};
use crate::money::{checked_total, positive_minor, Currency};
use crate::store::sql::{params, Connection};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct AllocationInput {
    /// Invoice number.
    pub invoice: String,
    pub amount: String,
}

/// The "Record a payment" form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct PaymentInput {
    /// The customer's reference.
    pub customer: String,
    pub date: String,
    pub amount: String,
    /// Empty: the currency of the invoices paid, else the company's default.
    pub currency: String,
    /// Empty: the customer's preferred payment method.
    pub method: String,
    pub reference: String,
    pub note: String,
    /// Which invoices it pays and how much of each. Empty: the customer's open invoices in
    /// that currency, oldest due date first.
    pub allocations: Vec<AllocationInput>,
    /// Keep any amount above what it pays as customer credit (otherwise that is refused).
    pub keep_as_credit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AllocationView {
    pub invoice_number: String,
    pub amount: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PaymentView {
    #[ts(type = "number")]
    pub id: i64,
    pub customer_reference: String,
    pub date: NaiveDate,
    pub currency: String,
    pub amount: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub note: String,
    pub allocations: Vec<AllocationView>,
    /// The part not allocated to any invoice: customer credit.
    pub unallocated: String,
    /// The day the bank gave it back (a return or reversal): from then on it settles
    /// nothing.
    pub reversed_on: Option<NaiveDate>,
    /// The bank statement line it came from (its id and day), when it came from one.
    pub bank_date: Option<NaiveDate>,
    #[ts(type = "number | null")]
    pub bank_line: Option<i64>,
}

struct OpenInvoice {
    id: i64,
    customer_id: i64,
    currency: String,
    balance: i64,
}

fn open_invoice(tx: &Connection, field: &str, number: &str) -> Result<(String, OpenInvoice)> {
    let number = &v::identifier_key(number);
    let row = tx
        .prepare_cached(
            "SELECT id, customer_id, currency, total_minor - settled_minor, number
             FROM invoices WHERE number = ?1",
        )?
        .query_row([number], |r| {
            Ok((
                r.get::<_, String>(4)?,
                OpenInvoice {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    currency: r.get(2)?,
                    balance: r.get(3)?,
                },
            ))
        });
    match row {
        Ok(x) => Ok(x),
        Err(crate::store::sql::Error::QueryReturnedNoRows) => Err(Error::invalid(
            field,
            Msg::UnknownInvoice(number.to_string()),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Records a payment and its allocations in one transaction; returns it.
pub fn record(conn: &mut Connection, input: &PaymentInput) -> Result<PaymentView> {
    let id = crate::store::write(conn, |tx| record_in(tx, input))?;
    get(conn, id)
}

/// Records a payment inside the caller's transaction (used by CSV import).
pub(crate) fn record_in(tx: &Connection, input: &PaymentInput) -> Result<i64> {
    record_with(tx, input, None)
}

/// Records a payment read from a statement line: its history entry names the line (by its
/// identity).
pub(crate) fn record_with(
    tx: &Connection,
    input: &PaymentInput,
    bank_identity: Option<&str>,
) -> Result<i64> {
    let customer_ref = v::required_line("customer", &input.customer, 40)?;
    let customer_id = customers::id_by_ref(tx, "customer", &customer_ref)?;
    let date = v::parse_date("date", &input.date)?;
    if input.amount.trim().is_empty() {
        return Err(Error::invalid("amount", Msg::Required));
    }
    let method = if input.method.trim().is_empty() {
        let m: String = tx.query_row(
            "SELECT payment_method FROM customers WHERE id = ?1",
            [customer_id],
            |r| r.get(0),
        )?;
        PaymentMethod::parse("method", &m)?
    } else {
        PaymentMethod::parse("method", &input.method)?
    };
    let reference = v::optional_line("reference", &input.reference, 80)?;
    let note = v::multiline("note", &input.note, 2000)?;

    // Resolve the explicit allocations first: they fix the currency when none is given.
    let mut explicit: Vec<(OpenInvoice, Option<&str>, String)> = Vec::new();
    for (i, a) in input.allocations.iter().enumerate() {
        let field = format!("allocations[{i}]");
        let (number, inv) = open_invoice(tx, &field, &a.invoice)?;
        if inv.customer_id != customer_id {
            return Err(Error::invalid(field, Msg::InvoiceOfOtherCustomer(number)));
        }
        let amt = Some(a.amount.trim()).filter(|s| !s.is_empty());
        explicit.push((inv, amt, field));
    }
    let currency = if !input.currency.trim().is_empty() {
        Currency::parse(&input.currency)?
    } else if let Some((inv, _, _)) = explicit.first() {
        Currency::parse(&inv.currency)?
    } else {
        crate::settings::default_currency(tx)?
    };
    // Parsed once the currency is known: it settles what "1,500" means where it can.
    let amount = currency.parse_amount(&input.amount, "amount")?;
    let amount_minor = positive_minor(amount, currency, "amount")?;

    let mut plan: Vec<(i64, i64)> = Vec::new();
    if explicit.is_empty() {
        let mut stmt = tx.prepare_cached(
            "SELECT id, total_minor - settled_minor FROM invoices
             WHERE customer_id = ?1 AND currency = ?2 AND settled_minor < total_minor
             ORDER BY due_date, id",
        )?;
        let open = stmt
            .query_map(params![customer_id, currency.code()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<crate::store::sql::Result<Vec<_>>>()?;
        let mut left = amount_minor;
        for (id, balance) in open {
            if left == 0 {
                break;
            }
            let take = balance.min(left);
            plan.push((id, take));
            left -= take;
        }
    } else {
        let mut left = amount_minor;
        for (inv, amt, field) in &explicit {
            if inv.currency != currency.code() {
                return Err(Error::invalid(
                    field.clone(),
                    Msg::CurrencyMismatch {
                        expected: inv.currency.clone(),
                        got: currency.code().to_string(),
                    },
                ));
            }
            let already =
                checked_total(plan.iter().filter(|(id, _)| *id == inv.id).map(|(_, a)| *a))?;
            let balance = inv.balance - already;
            let take = match amt {
                Some(a) => positive_minor(currency.parse_amount(a, field)?, currency, field)?,
                None => balance.min(left),
            };
            if take > balance {
                return Err(Error::invalid(
                    field.clone(),
                    Msg::AboveBalance {
                        balance: currency.in_message(balance),
                    },
                ));
            }
            if take > left {
                return Err(Error::invalid(field.clone(), Msg::AllocationsExceedPayment));
            }
            if take > 0 {
                plan.push((inv.id, take));
            }
            left -= take;
        }
    }
    let allocated = checked_total(plan.iter().map(|(_, a)| *a))?;
    let excess = amount_minor - allocated;
    if excess > 0 && !input.keep_as_credit {
        return Err(Error::invalid(
            "amount",
            Msg::OverpaymentNeedsCredit {
                excess: currency.in_message(excess),
            },
        ));
    }

    let payment_id = tx.prepare_cached(
        "INSERT INTO payments (customer_id, date, currency, amount_minor, method, reference, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )?
    .insert(params![
        customer_id,
        date.to_string(),
        currency.code(),
        amount_minor,
        method.as_str(),
        reference,
        note
    ])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO allocations (payment_id, invoice_id, amount_minor, date) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (invoice_id, amt) in &plan {
        ins.execute(params![payment_id, invoice_id, amt, date.to_string()])?;
    }
    let mut entry = journal::NewEntry::new(JournalKind::Payment, customer_id, date);
    entry.amount = Some((amount_minor, currency));
    entry.channel = Some(method.as_str().to_string());
    entry.note = reference;
    entry.invoices = plan.iter().map(|(id, _)| (*id, None)).collect();
    entry.bank_identity = bank_identity.map(str::to_string);
    journal::append(tx, &entry)?;
    Ok(payment_id)
}

pub fn get(conn: &Connection, id: i64) -> Result<PaymentView> {
    let mut list = query(conn, "p.id = ?1", id)?;
    list.pop().ok_or(Error::NotFound {
        what: "payment",
        key: id.to_string(),
    })
}

/// A customer's payments, newest first.
pub fn for_customer(conn: &Connection, customer_id: i64) -> Result<Vec<PaymentView>> {
    query(conn, "p.customer_id = ?1", customer_id)
}

fn query(conn: &Connection, cond: &str, arg: i64) -> Result<Vec<PaymentView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.id, c.reference, p.date, p.currency, p.amount_minor, p.method, p.reference, p.note,
                (SELECT r.date FROM payment_reversals r WHERE r.payment_id = p.id),
                (SELECT l.date FROM bank_lines l WHERE l.payment_id = p.id),
                (SELECT l.id FROM bank_lines l WHERE l.payment_id = p.id)
         FROM payments p JOIN customers c ON c.id = p.customer_id
         WHERE {cond} ORDER BY p.date DESC, p.id DESC"
    ))?;
    let heads = stmt
        .query_map([arg], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, NaiveDate>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<NaiveDate>>(8)?,
                r.get::<_, Option<NaiveDate>>(9)?,
                r.get::<_, Option<i64>>(10)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let mut alloc_stmt = conn.prepare_cached(
        "SELECT i.number, a.amount_minor, a.date FROM allocations a
         JOIN invoices i ON i.id = a.invoice_id WHERE a.payment_id = ?1 ORDER BY a.id",
    )?;
    let mut out = Vec::with_capacity(heads.len());
    for (
        id,
        customer_reference,
        date,
        currency_code,
        amount,
        method,
        reference,
        note,
        reversed_on,
        bank_date,
        bank_line,
    ) in heads
    {
        let currency = Currency::parse(&currency_code)?;
        let allocs = alloc_stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, NaiveDate>(2)?,
                ))
            })?
            .collect::<crate::store::sql::Result<Vec<_>>>()?;
        let allocated = checked_total(allocs.iter().map(|a| a.1))?;
        out.push(PaymentView {
            id,
            customer_reference,
            date,
            currency: currency_code,
            amount: currency.minor_to_string(amount),
            method: PaymentMethod::parse("method", &method)?,
            reference,
            note,
            allocations: allocs
                .into_iter()
                .map(|(n, a, d)| AllocationView {
                    invoice_number: n,
                    amount: currency.minor_to_string(a),
                    date: d,
                })
                .collect(),
            // A payment given back leaves no credit.
            unallocated: currency.minor_to_string(if reversed_on.is_some() {
                0
            } else {
                amount - allocated
            }),
            reversed_on,
            bank_date,
            bank_line,
        });
    }
    Ok(out)
}

/// A customer's unallocated credit per currency, as (currency code, minor units).
pub fn credit_minor(conn: &Connection, customer_id: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.currency, SUM(p.amount_minor - COALESCE(
                (SELECT SUM(a.amount_minor) FROM allocations a WHERE a.payment_id = p.id), 0))
         FROM payments p WHERE p.customer_id = ?1
           AND NOT EXISTS (SELECT 1 FROM payment_reversals r WHERE r.payment_id = p.id)
         GROUP BY p.currency ORDER BY p.currency",
    )?;
    let rows = stmt.query_map([customer_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut out: Vec<(String, i64)> = rows.collect::<crate::store::sql::Result<_>>()?;
    // Plus what issued credit notes left over (a credit note on a paid invoice).
    let mut docs = conn.prepare_cached(
        "SELECT d.currency, SUM(d.total_minor - COALESCE(
                (SELECT SUM(n.amount_minor) FROM credit_notes n WHERE n.document_id = d.id), 0))
         FROM credit_note_documents d JOIN invoices i ON i.id = d.invoice_id
         WHERE i.customer_id = ?1 GROUP BY d.currency",
    )?;
    for row in docs.query_map([customer_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (code, m) = row?;
        match out.iter_mut().find(|(c, _)| *c == code) {
            Some((_, x)) => *x = checked_total([*x, m])?,
            None => out.push((code, m)),
        }
    }
    out.sort();
    Ok(out.into_iter().filter(|(_, m)| *m > 0).collect())
}

/// Uses a customer's credit (unallocated payments, oldest first) to settle part or all of
/// one of their invoices. `amount` empty: as much as both allow.
pub fn apply_credit(
    conn: &mut Connection,
    invoice_number: &str,
    amount: &str,
    date: NaiveDate,
) -> Result<()> {
    let tx = conn.transaction()?;
    let (number, inv) = open_invoice(&tx, "invoice", invoice_number)?;
    let currency = Currency::parse(&inv.currency)?;
    let mut stmt = tx.prepare_cached(
        "SELECT id, free, date FROM (
             SELECT p.id, p.amount_minor - COALESCE(
                    (SELECT SUM(a.amount_minor) FROM allocations a WHERE a.payment_id = p.id), 0) AS free,
                    p.date
             FROM payments p WHERE p.customer_id = ?1 AND p.currency = ?2
               AND NOT EXISTS (SELECT 1 FROM payment_reversals r WHERE r.payment_id = p.id)) f
         WHERE free > 0
         ORDER BY date, id",
    )?;
    // (date, is an issued credit note, id, free): payments and credit notes, oldest first.
    let mut sources = stmt
        .query_map(params![inv.customer_id, inv.currency], |r| {
            Ok((
                r.get::<_, NaiveDate>(2)?,
                false,
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    drop(stmt);
    for (id, issued_on, free) in
        super::credit_documents::free_credit(&tx, inv.customer_id, &inv.currency, date)?
    {
        sources.push((issued_on, true, id, free));
    }
    sources.sort();
    let available = checked_total(sources.iter().map(|s| s.3))?;
    let wanted = match amount.trim() {
        "" => inv.balance.min(available),
        s => positive_minor(currency.parse_amount(s, "amount")?, currency, "amount")?,
    };
    if wanted == 0 || wanted > available {
        return Err(Error::invalid(
            "amount",
            Msg::NotEnoughCredit {
                available: currency.in_message(available),
            },
        ));
    }
    if wanted > inv.balance {
        return Err(Error::invalid(
            "amount",
            Msg::AboveBalance {
                balance: currency.in_message(inv.balance),
            },
        ));
    }
    let _ = number;
    let mut left = wanted;
    for (_, document, id, free) in sources {
        if left == 0 {
            break;
        }
        let take = free.min(left);
        if document {
            super::credit_documents::impute(&tx, id, inv.id, take, date)?;
        } else {
            tx.execute(
                "INSERT INTO allocations (payment_id, invoice_id, amount_minor, date) VALUES (?1, ?2, ?3, ?4)",
                params![id, inv.id, take, date.to_string()],
            )?;
        }
        left -= take;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::{self, InvoiceStatus};
    use crate::test_support::{day, inv, setup};

    fn pay(customer: &str, amount: &str, allocs: &[(&str, &str)], credit: bool) -> PaymentInput {
        PaymentInput {
            customer: customer.into(),
            date: "2026-02-01".into(),
            amount: amount.into(),
            allocations: allocs
                .iter()
                .map(|(i, a)| AllocationInput {
                    invoice: i.to_string(),
                    amount: a.to_string(),
                })
                .collect(),
            keep_as_credit: credit,
            ..Default::default()
        }
    }

    #[test]
    fn partial_payment_then_full() {
        let mut conn = setup();
        let d = day("2026-02-01");
        let v = invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-10", "2026-02-09", "1000"),
            d,
        )
        .unwrap();
        let p = record(&mut conn, &pay("ACME", "400", &[("F-1", "400")], false)).unwrap();
        assert_eq!(p.unallocated, "0.00");
        let after = invoices::get(&conn, v.id, d).unwrap();
        assert_eq!(after.status, InvoiceStatus::PartiallyPaid);
        assert_eq!(after.balance, "600.00");
        record(&mut conn, &pay("ACME", "600,00", &[("F-1", "")], false)).unwrap();
        let paid = invoices::get(&conn, v.id, d).unwrap();
        assert_eq!(paid.status, InvoiceStatus::Paid);
        assert_eq!(paid.balance, "0.00");
    }

    #[test]
    fn auto_allocation_oldest_first_and_overpayment_as_credit() {
        let mut conn = setup();
        let d = day("2026-02-01");
        invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-10", "2026-02-20", "100"),
            d,
        )
        .unwrap();
        invoices::create(
            &conn,
            &inv("F-2", "ACME", "2026-01-01", "2026-01-31", "100"),
            d,
        )
        .unwrap();
        let refused = record(&mut conn, &pay("ACME", "250", &[], false)).unwrap_err();
        assert!(matches!(
            refused,
            Error::Invalid {
                msg: Msg::OverpaymentNeedsCredit { .. },
                ..
            }
        ));
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "a refused payment writes nothing");
        let p = record(&mut conn, &pay("ACME", "150", &[], false)).unwrap();
        assert_eq!(p.allocations[0].invoice_number, "F-2");
        assert_eq!(p.allocations[0].amount, "100.00");
        assert_eq!(p.allocations[1].amount, "50.00");
        let p2 = record(&mut conn, &pay("ACME", "80", &[], true)).unwrap();
        assert_eq!(p2.unallocated, "30.00");
        let acme = crate::customers::find_id(&conn, "ACME").unwrap().unwrap();
        assert_eq!(
            credit_minor(&conn, acme).unwrap(),
            vec![("EUR".to_string(), 3000)]
        );
        // Use the credit later on a new invoice.
        invoices::create(
            &conn,
            &inv("F-3", "ACME", "2026-02-01", "2026-03-01", "45"),
            d,
        )
        .unwrap();
        apply_credit(&mut conn, "F-3", "", d).unwrap();
        assert_eq!(
            invoices::get_by_number(&conn, "F-3", d).unwrap().balance,
            "15.00"
        );
        assert!(credit_minor(&conn, acme).unwrap().is_empty());
        assert!(apply_credit(&mut conn, "F-3", "1", d).is_err());
    }

    #[test]
    fn allocation_refusals() {
        let mut conn = setup();
        let d = day("2026-02-01");
        invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-10", "2026-02-20", "100"),
            d,
        )
        .unwrap();
        invoices::create(
            &conn,
            &inv("G-1", "BETA", "2026-01-10", "2026-02-20", "100"),
            d,
        )
        .unwrap();
        let above = record(&mut conn, &pay("ACME", "150", &[("F-1", "150")], true)).unwrap_err();
        assert!(matches!(
            above,
            Error::Invalid {
                msg: Msg::AboveBalance { .. },
                ..
            }
        ));
        let other = record(&mut conn, &pay("ACME", "10", &[("G-1", "10")], false)).unwrap_err();
        assert!(matches!(
            other,
            Error::Invalid {
                msg: Msg::InvoiceOfOtherCustomer(_),
                ..
            }
        ));
        let unknown = record(&mut conn, &pay("ACME", "10", &[("Z-9", "10")], false)).unwrap_err();
        assert!(matches!(
            unknown,
            Error::Invalid {
                msg: Msg::UnknownInvoice(_),
                ..
            }
        ));
        let exceeds = record(&mut conn, &pay("ACME", "10", &[("F-1", "20")], false)).unwrap_err();
        assert!(matches!(
            exceeds,
            Error::Invalid {
                msg: Msg::AllocationsExceedPayment,
                ..
            }
        ));
        assert!(record(&mut conn, &pay("ACME", "-10", &[], false)).is_err());
        assert!(record(&mut conn, &pay("ACME", "10.005", &[], false)).is_err());
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM allocations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
