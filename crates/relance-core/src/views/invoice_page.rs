//! The invoice page: the invoice, what settled it, and the customer's usable credit.

use crate::customers::PaymentMethod;
use crate::error::Result;
use crate::invoices::{self, payments, InvoiceView};
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One line of an invoice's settlement history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settlement {
    pub date: NaiveDate,
    /// "payment", "credit_note", "difference" (bank fees or rounding accepted as settled
    /// with a bank payment) or "reversal" (a payment the bank gave back: negative amount,
    /// dated the day it was given back; its bank line is the return's).
    #[ts(type = "'payment' | 'credit_note' | 'difference' | 'reversal'")]
    pub kind: String,
    pub amount: String,
    /// Payment reference or credit-note number.
    pub reference: String,
    /// How a payment was made (`None` for a credit note).
    pub method: Option<PaymentMethod>,
    /// The payment's note or the credit note's reason.
    pub note: String,
    /// The bank statement line the payment came from (its id and the day the statement
    /// gave it), when it came from one.
    #[ts(type = "number | null")]
    pub bank_line: Option<i64>,
    pub bank_date: Option<NaiveDate>,
    /// A credit note imported from its e-invoice: the original file's name (saved from the
    /// page byte for byte).
    pub original: Option<String>,
}

/// The invoice page: the invoice and what settled it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceDetail {
    pub invoice: InvoiceView,
    pub settlements: Vec<Settlement>,
    /// The customer's unallocated credit in this invoice's currency (decimal string).
    pub customer_credit: String,
    /// The customer is on hold, and why (shown on the page).
    pub customer_on_hold: bool,
    pub hold_reason: String,
    /// What the penalty invoices of this invoice (or of the invoice this penalty invoice
    /// charges) claim beyond what is owed, with the credit note that corrects it.
    pub overcharge: Option<crate::interest::Overcharge>,
    /// The credit notes Relance issued on this invoice (documents with a PDF and an XML).
    pub credit_documents: Vec<crate::invoices::credit_documents::CreditDocumentView>,
    /// What the invoice bills, line by line (an invoice Relance issued, or one imported
    /// from its e-invoice); empty for an invoice recorded by its total.
    pub lines: Vec<crate::invoices::issue::LineView>,
    /// The e-invoice file it was imported from, kept byte for byte.
    pub original: Option<OriginalView>,
}

/// The original e-invoice file of an imported invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OriginalView {
    pub file_name: String,
    /// "Factur-X, factur-x.xml", "CII", "UBL".
    pub format: String,
    /// When it was imported (UTC, ISO 8601).
    pub imported_at: String,
}

pub fn detail(conn: &Connection, id: i64, as_of: NaiveDate) -> Result<InvoiceDetail> {
    let invoice = invoices::get(conn, id, as_of)?;
    let currency = Currency::parse(&invoice.currency)?;
    let mut stmt = conn.prepare_cached(
        "SELECT a.date, 'payment', a.amount_minor, p.reference, p.method, p.note, l.id, l.date,
                NULL
         FROM allocations a JOIN payments p ON p.id = a.payment_id
         LEFT JOIN bank_lines l ON l.payment_id = p.id WHERE a.invoice_id = ?1
         UNION ALL
         SELECT c.date, 'credit_note', c.amount_minor, c.number, NULL, c.reason, NULL, NULL,
                o.file_name
         FROM credit_notes c LEFT JOIN einvoice_originals o ON o.credit_note_id = c.id
         WHERE c.invoice_id = ?1
         UNION ALL
         SELECT d.date, 'difference', d.amount_minor, p.reference, NULL, '', l.id, l.date, NULL
         FROM settlement_differences d JOIN payments p ON p.id = d.payment_id
         LEFT JOIN bank_lines l ON l.payment_id = p.id WHERE d.invoice_id = ?1
         UNION ALL
         SELECT r.date, 'reversal', -s.amount_minor, p.reference, p.method, l.text, l.id, l.date,
                NULL
         FROM payment_reversals r JOIN payments p ON p.id = r.payment_id
         JOIN bank_lines l ON l.id = r.line_id
         JOIN (SELECT payment_id, invoice_id, SUM(amount_minor) AS amount_minor FROM (
                   SELECT payment_id, invoice_id, amount_minor FROM allocations
                   WHERE invoice_id = ?1
                   UNION ALL SELECT payment_id, invoice_id, amount_minor FROM settlement_differences
                   WHERE invoice_id = ?1) u
               GROUP BY payment_id, invoice_id) s
           ON s.payment_id = r.payment_id
         WHERE s.invoice_id = ?1
         ORDER BY 1, 2",
    )?;
    let settlements = stmt
        .query_map([id], |r| {
            Ok(Settlement {
                date: r.get(0)?,
                kind: r.get(1)?,
                amount: currency.minor_to_string(r.get(2)?),
                reference: r.get(3)?,
                method: r
                    .get::<_, Option<String>>(4)?
                    .and_then(|m| PaymentMethod::parse("method", &m).ok()),
                note: r.get(5)?,
                bank_line: r.get(6)?,
                bank_date: r.get(7)?,
                original: r.get(8)?,
            })
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let credit = payments::credit_minor(conn, invoice.customer_id)?
        .into_iter()
        .find(|(c, _)| *c == invoice.currency)
        .map(|(_, m)| m)
        .unwrap_or(0);
    let customer = crate::customers::get(conn, invoice.customer_id)?;
    let lines =
        crate::invoices::issue::line_views(&crate::invoices::issue::lines(conn, id)?, currency);
    let original = conn
        .query_row(
            "SELECT file_name, format, imported_at FROM einvoice_originals WHERE invoice_id = ?1",
            [id],
            |r| {
                Ok(OriginalView {
                    file_name: r.get(0)?,
                    format: r.get(1)?,
                    imported_at: r.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(InvoiceDetail {
        lines,
        original,
        overcharge: crate::interest::overcharge(conn, id)?,
        credit_documents: crate::invoices::credit_documents::for_invoice(conn, id)?,
        customer_on_hold: customer.on_hold,
        hold_reason: customer.hold_reason,
        invoice,
        settlements,
        customer_credit: currency.minor_to_string(credit),
    })
}
