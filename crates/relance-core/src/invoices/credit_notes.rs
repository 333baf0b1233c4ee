//! Credit notes: a document that reduces what an invoice asks for (partly or wholly).

use crate::error::{Error, Msg, Result};
use crate::journal::{self, JournalKind};
use crate::money::{positive_minor, Currency};
use crate::store::is_unique_violation;
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CreditNoteInput {
    /// Empty: generated from the invoice number ("AV-F2026-001", then "-2"…).
    pub number: String,
    /// The invoice it reduces.
    pub invoice: String,
    pub date: String,
    pub amount: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CreditNoteView {
    #[ts(type = "number")]
    pub id: i64,
    pub number: String,
    pub invoice_number: String,
    pub date: NaiveDate,
    pub currency: String,
    pub amount: String,
    pub reason: String,
}

/// Records a credit note typed by the owner against an invoice; it may not exceed the open
/// balance. An invoice Relance issued is corrected by a credit note Relance issues (a
/// document of its own series, `credit_documents`): a figure typed here would be a credit
/// note without its document.
pub fn create(conn: &mut Connection, input: &CreditNoteInput) -> Result<CreditNoteView> {
    let tx = conn.transaction()?;
    let issued: Option<bool> = tx
        .query_row(
            "SELECT issued FROM invoices WHERE number = ?1",
            [crate::validate::identifier_key(&input.invoice)],
            |r| r.get(0),
        )
        .optional()?;
    if issued == Some(true) {
        return Err(Error::invalid(
            "invoice",
            Msg::CreditNoteNeedsDocument(crate::validate::identifier_key(&input.invoice)),
        ));
    }
    let view = create_in(&tx, input)?;
    tx.commit()?;
    Ok(view)
}

/// The number a credit note typed without one gets: "AV-" and the invoice's number, then
/// "-2", "-3"… for the invoice's next ones, always one no credit note holds yet. A number
/// derived from another is not unique by construction: the second note of "F-1" and the
/// first of "F-1-2" are both "AV-F-1-2", and an invoice renamed to a number another one
/// left behind finds that invoice's notes under it. The owner never chose this number, so
/// a collision is Relance's to avoid, not an error to show. Nor one of the owner's own
/// credit-note series once it has begun that year (an invoice numbered "2026-0009" with the
/// series' prefix "AV-"): the series would leave a gap to go past it.
fn free_number(tx: &Connection, invoice_id: i64, inv_number: &str) -> Result<String> {
    let held: i64 = tx.query_row(
        "SELECT COUNT(*) FROM credit_notes WHERE invoice_id = ?1",
        [invoice_id],
        |r| r.get(0),
    )?;
    let mut taken = tx.prepare_cached("SELECT 1 FROM credit_notes WHERE number = ?1")?;
    let mut k = held + 1;
    loop {
        let candidate = if k == 1 {
            format!("AV-{inv_number}")
        } else {
            format!("AV-{inv_number}-{k}")
        };
        if !taken.exists([&candidate])?
            && super::credit_documents::refuse_own_series(tx, &candidate).is_ok()
        {
            return Ok(candidate);
        }
        k += 1;
    }
}

/// Records a credit note inside the caller's transaction (dispute resolution uses it).
pub(crate) fn create_in(tx: &Connection, input: &CreditNoteInput) -> Result<CreditNoteView> {
    let invoice = v::required_identifier("invoice", &input.invoice, 40)?;
    let (invoice_id, inv_number, currency_code, balance, issued): (i64, String, String, i64, NaiveDate) = tx
        .query_row(
            "SELECT id, number, currency, total_minor - settled_minor, issue_date FROM invoices WHERE number = ?1",
            [&invoice],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .map_err(|e| match e {
            crate::store::sql::Error::QueryReturnedNoRows => {
                Error::invalid("invoice", Msg::UnknownInvoice(invoice.clone()))
            }
            e => e.into(),
        })?;
    let currency = Currency::parse(&currency_code)?;
    let date = v::parse_date("date", &input.date)?;
    if date < issued {
        return Err(Error::invalid(
            "date",
            Msg::BeforeInvoiceDate(issued.to_string()),
        ));
    }
    if input.amount.trim().is_empty() {
        return Err(Error::invalid("amount", Msg::Required));
    }
    let amount = positive_minor(
        currency.parse_amount(&input.amount, "amount")?,
        currency,
        "amount",
    )?;
    if amount > balance {
        return Err(Error::invalid(
            "amount",
            Msg::AboveBalance {
                balance: currency.minor_to_string(balance),
            },
        ));
    }
    let reason = v::multiline("reason", &input.reason, 1000)?;
    let mut number = v::optional_identifier("number", &input.number, 40)?;
    // A number of the owner's own credit-note series is Relance's to give.
    super::credit_documents::refuse_own_series(tx, &number)?;
    if number.is_empty() {
        number = free_number(tx, invoice_id, &inv_number)?;
    }
    let id = tx.insert(
        "INSERT INTO credit_notes (number, invoice_id, date, amount_minor, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![number, invoice_id, date.to_string(), amount, reason],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::invalid("number", Msg::DuplicateCreditNoteNumber(number.clone()))
        } else {
            e.into()
        }
    })?;
    let customer_id: i64 = tx.query_row(
        "SELECT customer_id FROM invoices WHERE id = ?1",
        [invoice_id],
        |r| r.get(0),
    )?;
    log(
        tx,
        customer_id,
        invoice_id,
        date,
        (amount, currency),
        &number,
        &reason,
    )?;
    Ok(CreditNoteView {
        id,
        number,
        invoice_number: inv_number,
        date,
        currency: currency_code,
        amount: currency.minor_to_string(amount),
        reason,
    })
}

/// The history entry of a credit note: its number and reason, its amount, its invoice.
pub(crate) fn log(
    tx: &Connection,
    customer_id: i64,
    invoice_id: i64,
    date: NaiveDate,
    amount: (i64, Currency),
    number: &str,
    reason: &str,
) -> Result<i64> {
    let mut entry = journal::NewEntry::new(JournalKind::CreditNote, customer_id, date);
    entry.amount = Some(amount);
    entry.note = format!("{number} {reason}").trim().to_string();
    entry.invoices = vec![(invoice_id, None)];
    journal::append(tx, &entry)
}

/// The credit notes of one invoice, oldest first.
pub fn for_invoice(conn: &Connection, invoice_id: i64) -> Result<Vec<CreditNoteView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT cn.id, cn.number, i.number, cn.date, i.currency, cn.amount_minor, cn.reason
         FROM credit_notes cn JOIN invoices i ON i.id = cn.invoice_id
         WHERE cn.invoice_id = ?1 ORDER BY cn.date, cn.id",
    )?;
    let rows = stmt.query_map([invoice_id], |r| {
        let code: String = r.get(4)?;
        let cur = Currency::parse(&code).unwrap_or(Currency::EUR);
        Ok(CreditNoteView {
            id: r.get(0)?,
            number: r.get(1)?,
            invoice_number: r.get(2)?,
            date: r.get(3)?,
            currency: code,
            amount: cur.minor_to_string(r.get(5)?),
            reason: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::{self, InvoiceStatus};
    use crate::test_support::{day, inv, setup};

    #[test]
    fn credit_note_reduces_balance_and_cannot_exceed_it() {
        let mut conn = setup();
        let d = day("2026-02-01");
        let v = invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-10", "2026-02-20", "100"),
            d,
        )
        .unwrap();
        let input = |amount: &str| CreditNoteInput {
            invoice: "F-1".into(),
            date: "2026-01-20".into(),
            amount: amount.into(),
            reason: "Remise".into(),
            ..Default::default()
        };
        let cn = create(&mut conn, &input("30")).unwrap();
        assert_eq!(cn.number, "AV-F-1");
        assert_eq!(invoices::get(&conn, v.id, d).unwrap().balance, "70.00");
        assert!(create(&mut conn, &input("70.01")).is_err());
        let cn2 = create(&mut conn, &input("70")).unwrap();
        assert_eq!(cn2.number, "AV-F-1-2");
        assert_eq!(
            invoices::get(&conn, v.id, d).unwrap().status,
            InvoiceStatus::Paid
        );
        assert_eq!(for_invoice(&conn, v.id).unwrap().len(), 2);
    }

    /// A number generated from an invoice's would be one of the owner's own credit-note
    /// series, begun that year: the next one is taken.
    #[test]
    fn a_generated_number_is_never_one_of_the_owners_own_series() {
        let mut conn = setup();
        let d = day("2026-02-01");
        crate::settings::set(&conn, "credit_note_prefix", "AV-").unwrap();
        conn.execute(
            "INSERT INTO credit_note_sequence (year, last) VALUES (2026, 3)",
            [],
        )
        .unwrap();
        invoices::create(
            &conn,
            &inv("2026-0009", "ACME", "2026-01-10", "2026-02-20", "100"),
            d,
        )
        .unwrap();
        let cn = create(
            &mut conn,
            &CreditNoteInput {
                invoice: "2026-0009".into(),
                date: "2026-01-20".into(),
                amount: "1".into(),
                reason: "Remise".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(cn.number, "AV-2026-0009-2");
    }

    /// The family of "a number derived from another collides": whatever the invoices are
    /// called and renamed to, a credit note typed without a number is recorded, under a
    /// number of its own that starts from its invoice's current one. Invoice numbers are
    /// drawn from names that extend one another ("F-1", "F-1-2"…), the shapes that collide.
    #[test]
    fn a_credit_note_typed_without_a_number_always_gets_a_free_one() {
        use proptest::prelude::*;
        let server = std::env::var(crate::TEST_SERVER_ENV).is_ok_and(|a| !a.is_empty());
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: if server { 8 } else { 64 },
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        const NAMES: [&str; 7] = ["F-1", "F-1-2", "F-1-2-2", "F-1-3", "F-2", "F-1-2-3", "F-3"];
        // (invoice, Some(name): rename it to that name if free, None: a credit note).
        let step = (0usize..3, prop::option::weighted(0.3, 0usize..NAMES.len()));
        runner
            .run(&proptest::collection::vec(step, 1..24), |steps| {
                let mut conn = setup();
                let d = day("2026-02-01");
                let mut numbers: Vec<String> = NAMES[..3].iter().map(|n| n.to_string()).collect();
                let mut ids = Vec::new();
                for n in &numbers {
                    let v = invoices::create(
                        &conn,
                        &inv(n, "ACME", "2026-01-10", "2026-02-20", "100"),
                        d,
                    )
                    .unwrap();
                    ids.push(v.id);
                }
                let mut seen = std::collections::HashSet::new();
                for (k, rename) in steps {
                    match rename {
                        Some(to) => {
                            let to = NAMES[to];
                            if numbers.iter().any(|n| n == to) {
                                continue;
                            }
                            invoices::update(
                                &mut conn,
                                ids[k],
                                &inv(to, "ACME", "2026-01-10", "2026-02-20", "100"),
                                d,
                            )
                            .unwrap();
                            numbers[k] = to.to_string();
                        }
                        None => {
                            let cn = create(
                                &mut conn,
                                &CreditNoteInput {
                                    invoice: numbers[k].clone(),
                                    date: "2026-01-20".into(),
                                    amount: "0.01".into(),
                                    reason: "Remise".into(),
                                    ..Default::default()
                                },
                            );
                            prop_assert!(cn.is_ok(), "credit on {}: {cn:?}", numbers[k]);
                            let cn = cn.unwrap();
                            let stem = format!("AV-{}", numbers[k]);
                            prop_assert!(cn.number.starts_with(&stem), "{}", cn.number);
                            prop_assert!(seen.insert(cn.number.clone()), "{} twice", cn.number);
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
