//! Disputes: an invoice the customer contests leaves dunning until the dispute is resolved
//! by a credit note (partial or full), rejected (dunning resumes), or settled.

use crate::error::{Error, Msg, Result};
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DisputeCategory {
    NotDelivered,
    WrongPrice,
    NotOrdered,
    InvoicingError,
    Defective,
    Other,
}

impl DisputeCategory {
    const ALL: [(&'static str, DisputeCategory); 6] = [
        ("not_delivered", DisputeCategory::NotDelivered),
        ("wrong_price", DisputeCategory::WrongPrice),
        ("not_ordered", DisputeCategory::NotOrdered),
        ("invoicing_error", DisputeCategory::InvoicingError),
        ("defective", DisputeCategory::Defective),
        ("other", DisputeCategory::Other),
    ];
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(s, _)| *s)
            .unwrap_or("other")
    }
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == s.trim())
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    Msg::OneOf(Self::ALL.iter().map(|(k, _)| *k).collect()),
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    CreditNote,
    Rejected,
    Settled,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DisputeInput {
    pub invoice: String,
    pub category: String,
    pub note: String,
    /// Empty: today.
    pub opened_on: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ResolutionInput {
    #[ts(type = "number")]
    pub dispute_id: i64,
    pub resolution: Resolution,
    /// For a credit note: its amount (empty: the whole open balance).
    pub credit_amount: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DisputeView {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub invoice_id: i64,
    pub invoice: String,
    pub customer: String,
    pub customer_name: String,
    pub category: DisputeCategory,
    pub note: String,
    pub opened_on: NaiveDate,
    /// Days since it was opened (until resolved).
    #[ts(type = "number")]
    pub age_days: i64,
    pub balance: String,
    pub currency: String,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
    pub resolution_note: String,
}

/// Opens a dispute on an invoice with an open balance.
pub fn open(conn: &mut Connection, input: &DisputeInput, as_of: NaiveDate) -> Result<DisputeView> {
    let tx = conn.transaction()?;
    let id = open_in(&tx, input, as_of)?;
    tx.commit()?;
    get(conn, id, as_of)
}

/// [`open`] inside the caller's transaction; returns the dispute's id.
pub(crate) fn open_in(tx: &Connection, input: &DisputeInput, as_of: NaiveDate) -> Result<i64> {
    let category = DisputeCategory::parse("category", &input.category)?;
    let note = v::multiline("note", &input.note, 2000)?;
    let opened_on = match input.opened_on.trim() {
        "" => as_of,
        s => v::parse_date("opened_on", s)?,
    };
    if opened_on > as_of {
        return Err(Error::invalid("opened_on", Msg::DateInFuture));
    }
    let number = v::required_identifier("invoice", &input.invoice, 40)?;
    let (invoice_id, customer_id, balance): (i64, i64, i64) = tx
        .query_row(
            "SELECT id, customer_id, total_minor - settled_minor FROM invoices WHERE number = ?1",
            [&number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::invalid("invoice", Msg::UnknownInvoice(number.clone())))?;
    if balance == 0 {
        return Err(Error::invalid("invoice", Msg::DisputeOnPaidInvoice));
    }
    let already: bool = tx
        .query_row(
            "SELECT 1 FROM disputes WHERE invoice_id = ?1 AND resolved_on IS NULL",
            [invoice_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if already {
        return Err(Error::invalid("invoice", Msg::AlreadyDisputed));
    }
    let id = tx.insert(
        "INSERT INTO disputes (invoice_id, category, note, opened_on) VALUES (?1, ?2, ?3, ?4)",
        params![invoice_id, category.as_str(), note, opened_on.to_string()],
    )?;
    let mut entry = NewEntry::new(JournalKind::DisputeOpened, customer_id, opened_on);
    entry.action = Some(category.as_str().to_string());
    entry.dispute_id = Some(id);
    entry.note = note;
    entry.invoices = vec![(invoice_id, None)];
    journal::append(tx, &entry)?;
    Ok(id)
}

/// Resolves an open dispute; a credit-note resolution records the credit note in the same
/// transaction.
pub fn resolve(
    conn: &mut Connection,
    input: &ResolutionInput,
    as_of: NaiveDate,
) -> Result<DisputeView> {
    let note = v::multiline("note", &input.note, 2000)?;
    let tx = conn.transaction()?;
    let (invoice_id, number, customer_id, opened_on): (i64, String, i64, NaiveDate) = tx
        .query_row(
            "SELECT d.invoice_id, i.number, i.customer_id, d.opened_on FROM disputes d JOIN invoices i ON i.id = d.invoice_id
             WHERE d.id = ?1 AND d.resolved_on IS NULL",
            [input.dispute_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| Error::invalid("dispute", Msg::NotOpenDispute))?;
    if as_of < opened_on {
        return Err(Error::invalid(
            "dispute",
            Msg::BeforeDisputeOpened(opened_on.to_string()),
        ));
    }
    let resolution = match input.resolution {
        // An invoice Relance issued is corrected by an issued credit note (its own number
        // and PDF, from the invoice's page), then the dispute is resolved as settled.
        Resolution::CreditNote if crate::invoices::issue::is_issued(&tx, invoice_id)? => {
            return Err(Error::invalid(
                "resolution",
                Msg::CreditNoteNeedsDocument(number.clone()),
            ));
        }
        Resolution::CreditNote => {
            let balance: i64 = tx.query_row(
                "SELECT total_minor - settled_minor FROM invoices WHERE id = ?1",
                [invoice_id],
                |r| r.get(0),
            )?;
            let currency: String = tx.query_row(
                "SELECT currency FROM invoices WHERE id = ?1",
                [invoice_id],
                |r| r.get(0),
            )?;
            let amount = match input.credit_amount.trim() {
                "" => Currency::parse(&currency)?.minor_to_string(balance),
                s => s.to_string(),
            };
            crate::invoices::credit_notes::create_in(
                &tx,
                &crate::invoices::credit_notes::CreditNoteInput {
                    number: String::new(),
                    invoice: number.clone(),
                    date: as_of.to_string(),
                    amount,
                    reason: note.clone(),
                },
            )
            .map_err(|e| match e {
                Error::Invalid { field, msg } if field == "amount" => {
                    Error::invalid("credit_amount", msg)
                }
                other => other,
            })?;
            "credit_note"
        }
        Resolution::Rejected => "rejected",
        Resolution::Settled => "settled",
    };
    tx.execute(
        "UPDATE disputes SET resolved_on = ?2, resolution = ?3, resolution_note = ?4 WHERE id = ?1",
        params![input.dispute_id, as_of.to_string(), resolution, note],
    )?;
    let mut entry = NewEntry::new(JournalKind::DisputeResolved, customer_id, as_of);
    entry.action = Some(resolution.to_string());
    entry.dispute_id = Some(input.dispute_id);
    entry.note = note;
    entry.invoices = vec![(invoice_id, None)];
    journal::append(&tx, &entry)?;
    tx.commit()?;
    get(conn, input.dispute_id, as_of)
}

const SELECT: &str = "SELECT d.id, i.number, c.reference, c.name, d.category, d.note, d.opened_on,
        i.total_minor - i.settled_minor, i.currency, d.resolved_on, d.resolution, d.resolution_note, d.invoice_id
    FROM disputes d JOIN invoices i ON i.id = d.invoice_id JOIN customers c ON c.id = i.customer_id";

fn from_row(
    r: &crate::store::sql::Row,
    as_of: NaiveDate,
) -> crate::store::sql::Result<DisputeView> {
    let cur: String = r.get(8)?;
    let opened: NaiveDate = r.get(6)?;
    let resolved: Option<NaiveDate> = r.get(9)?;
    let resolution: Option<String> = r.get(10)?;
    let category: String = r.get(4)?;
    let balance: i64 = r.get(7)?;
    Ok(DisputeView {
        id: r.get(0)?,
        invoice_id: r.get(12)?,
        invoice: r.get(1)?,
        customer: r.get(2)?,
        customer_name: r.get(3)?,
        category: DisputeCategory::parse("category", &category).unwrap_or(DisputeCategory::Other),
        note: r.get(5)?,
        opened_on: opened,
        age_days: (resolved.unwrap_or(as_of) - opened).num_days(),
        balance: Currency::parse(&cur)
            .map(|c| c.minor_to_string(balance))
            .unwrap_or_default(),
        currency: cur,
        resolved_on: resolved,
        resolution: resolution.as_deref().map(|s| match s {
            "credit_note" => Resolution::CreditNote,
            "rejected" => Resolution::Rejected,
            _ => Resolution::Settled,
        }),
        resolution_note: r.get(11)?,
    })
}

pub fn get(conn: &Connection, id: i64, as_of: NaiveDate) -> Result<DisputeView> {
    conn.query_row(&format!("{SELECT} WHERE d.id = ?1"), [id], |r| {
        from_row(r, as_of)
    })
    .optional()?
    .ok_or(Error::NotFound {
        what: "dispute",
        key: id.to_string(),
    })
}

/// Disputes, oldest open first; `open_only` hides resolved ones.
pub fn list(conn: &Connection, as_of: NaiveDate, open_only: bool) -> Result<Vec<DisputeView>> {
    let cond = if open_only {
        "WHERE d.resolved_on IS NULL"
    } else {
        ""
    };
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} {cond} ORDER BY d.resolved_on IS NOT NULL, d.opened_on, d.id"
    ))?;
    let rows = stmt.query_map([], |r| from_row(r, as_of))?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}
