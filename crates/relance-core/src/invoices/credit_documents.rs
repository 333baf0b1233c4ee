//! Credit notes Relance issues as documents (issue 21; EN 16931 type 381): numbered from
//! their own gapless yearly series (`A2026-0001`: the setting `credit_note_prefix`, the
//! year, four digits; allocated in the transaction that stores the credit note, like the
//! invoices' [`super::issue`]), dated the day they are issued, never before the previous
//! one, referencing the invoice they correct (BT-25 its number, BT-26 its date), immutable.
//!
//! What it credits: the whole invoice (its lines, as issued) when no line is given, else
//! the lines typed, computed as a draft's are ([`super::drafts::compute`]: VAT once per
//! rate) under the invoice's VAT case. It never credits more than the invoice's total not
//! yet credited by the credit notes issued before.
//!
//! Its effect on the ledger is a row of `credit_notes` (what settles an invoice), dated the
//! day it is issued: the part of its total the invoice's open balance takes. What exceeds
//! that balance (a paid invoice) is the customer's credit ([`free_credit`]), used on
//! another of their invoices by [`super::payments::apply_credit`] as a further row of
//! `credit_notes` imputing the same document (`A2026-0001-2`, …).

use super::drafts::{self, DraftLineInput};
use super::issue::{self, Line, Series};
use crate::error::{Error, Msg, Result, VatCase};
use crate::journal::{self, JournalKind};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A credit note to issue, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CreditNoteIssueInput {
    /// The number of the invoice it corrects.
    pub invoice: String,
    /// Empty: the whole invoice (its lines as issued).
    pub lines: Vec<DraftLineInput>,
    /// Why (printed on the credit note, in the history).
    pub reason: String,
}

/// An issued credit note as lists and the invoice page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CreditDocumentView {
    #[ts(type = "number")]
    pub id: i64,
    pub number: String,
    pub invoice_number: String,
    pub date: NaiveDate,
    pub currency: String,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// What it took off the invoice's balance when issued.
    pub applied: String,
    /// What is still the customer's credit (not yet used on another invoice).
    pub left: String,
    pub reason: String,
}

/// An issued credit note as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub number: String,
    pub invoice_id: i64,
    pub date: NaiveDate,
    pub currency: String,
    pub net_minor: i64,
    pub vat_minor: i64,
    pub total_minor: i64,
    pub reason: String,
    pub notes: String,
}

const STORED: &str = "SELECT id, number, invoice_id, date, currency, net_minor, vat_minor,
        total_minor, reason, notes FROM credit_note_documents";

fn stored_row(r: &crate::store::sql::Row) -> crate::store::sql::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        number: r.get(1)?,
        invoice_id: r.get(2)?,
        date: r.get(3)?,
        currency: r.get(4)?,
        net_minor: r.get(5)?,
        vat_minor: r.get(6)?,
        total_minor: r.get(7)?,
        reason: r.get(8)?,
        notes: r.get(9)?,
    })
}

/// The issued credit note numbered `number` (case ignored); refused when there is none.
pub fn by_number(conn: &Connection, number: &str) -> Result<Stored> {
    let key = v::identifier_key(number);
    conn.prepare_cached(&format!("{STORED} WHERE number = ?1"))?
        .query_row([&key], stored_row)
        .optional()?
        .ok_or_else(|| Error::invalid("credit_note", Msg::UnknownCreditNote(key)))
}

/// The VAT case an invoice's lines were issued under (None: VAT charged); an invoice
/// recorded from elsewhere: the owner's franchise, else none.
fn case_of(tx: &Connection, invoice_id: i64, lines: &[Line]) -> Result<Option<VatCase>> {
    // A penalty invoice, even one recorded before they were issued with lines: outside the
    // scope of VAT.
    let penalty: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM penalty_charges WHERE penalty_invoice_id = ?1)",
        [invoice_id],
        |r| r.get(0),
    )?;
    if penalty {
        return Ok(Some(VatCase::OutsideScope));
    }
    for l in lines {
        match l.category() {
            "K" => return Ok(Some(VatCase::ReverseChargeGoods)),
            "AE" => return Ok(Some(VatCase::ReverseChargeServices)),
            "G" => return Ok(Some(VatCase::Export)),
            "O" => return Ok(Some(VatCase::OutsideScope)),
            "E" => return Ok(Some(VatCase::Franchise)),
            _ => {}
        }
    }
    if lines.is_empty() && crate::settings::get(tx)?.vat_regime == "franchise" {
        return Ok(Some(VatCase::Franchise));
    }
    Ok(None)
}

/// The total credited so far on invoice `invoice_id`: the issued credit notes' totals and
/// the credit notes recorded without a document (typed, a dispute settled, an overcharge
/// corrected).
fn credited(tx: &Connection, invoice_id: i64) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT (SELECT COALESCE(SUM(total_minor), 0) FROM credit_note_documents
                  WHERE invoice_id = ?1)
              + (SELECT COALESCE(SUM(amount_minor), 0) FROM credit_notes
                  WHERE invoice_id = ?1 AND document_id IS NULL)",
        [invoice_id],
        |r| r.get(0),
    )?)
}

/// Refuses lines that credit a VAT category and rate the invoice does not have, or more of
/// one than the invoice billed less the credit notes issued before (per category and rate,
/// excluding tax): a credit note corrects what was invoiced, rate by rate.
fn refuse_beyond_rates(
    tx: &Connection,
    invoice_id: i64,
    invoice_lines: &[Line],
    lines: &[Line],
    currency: Currency,
) -> Result<()> {
    let key = |l: &Line| (l.category().to_string(), l.vat_rate_e4);
    let mut left: Vec<((String, i64), i64)> = Vec::new();
    for l in invoice_lines {
        match left.iter_mut().find(|(k, _)| *k == key(l)) {
            Some((_, b)) => *b += l.net_minor,
            None => left.push((key(l), l.net_minor)),
        }
    }
    let ids: Vec<i64> = tx
        .prepare_cached("SELECT id FROM credit_note_documents WHERE invoice_id = ?1")?
        .query_map([invoice_id], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?;
    for id in ids {
        for l in self::lines(tx, id)? {
            if let Some((_, b)) = left.iter_mut().find(|(k, _)| *k == key(&l)) {
                *b -= l.net_minor;
            }
        }
    }
    let mut asked: Vec<((String, i64), i64)> = Vec::new();
    for l in lines {
        match asked.iter_mut().find(|(k, _)| *k == key(l)) {
            Some((_, b)) => *b += l.net_minor,
            None => asked.push((key(l), l.net_minor)),
        }
    }
    for (k, net) in asked {
        let rate = issue::rate_text(k.1);
        match left.iter().find(|(x, _)| *x == k) {
            None => {
                return Err(Error::invalid(
                    "lines",
                    Msg::CreditRateNotInvoiced(format!("{} ({rate} %)", k.0)),
                ))
            }
            Some((_, b)) if net > *b => {
                return Err(Error::invalid(
                    "lines",
                    Msg::CreditAboveInvoiced(format!(
                        "{} ({rate} %)",
                        currency.in_message((*b).max(0))
                    )),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Issues a credit note on `on` inside the caller's transaction (see the module): checks,
/// numbers and stores it with its lines, imputes it on the invoice's open balance and logs
/// it. The documents floor archives its PDF and XML in the same transaction. Returns (id,
/// number).
pub fn issue_in(
    tx: &Connection,
    input: &CreditNoteIssueInput,
    on: NaiveDate,
) -> Result<(i64, String)> {
    let head = super::stored_by_number(tx, "invoice", &input.invoice)?;
    if on < head.issue_date {
        return Err(Error::invalid(
            "date",
            Msg::BeforeInvoiceDate(head.issue_date.to_string()),
        ));
    }
    let currency = Currency::parse(&head.currency)?;
    let reason = v::printable("reason", v::multiline("reason", &input.reason, 1000)?)?;
    if currency.digits() > 2 {
        return Err(Error::invalid(
            "invoice",
            Msg::CurrencyNotForEinvoice(currency.code().to_string()),
        ));
    }
    let invoice_lines = issue::lines(tx, head.id)?;
    let case = case_of(tx, head.id, &invoice_lines)?;
    let customer = crate::customers::get(tx, head.customer_id)?;
    let fr = customer.language == crate::error::Lang::Fr;
    let lines: Vec<Line> = if input.lines.is_empty() {
        if invoice_lines.is_empty() {
            return Err(Error::invalid(
                "lines",
                Msg::CreditNoteNeedsLines(head.number.clone()),
            ));
        }
        invoice_lines.clone()
    } else {
        if input.lines.len() > drafts::MAX_LINES {
            return Err(Error::invalid("lines", Msg::TooLong(drafts::MAX_LINES)));
        }
        let checked = input
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| drafts::check_line(l, i, currency, case))
            .collect::<Result<Vec<_>>>()?;
        // What is typed is what is credited: an invoice's discount on the whole invoice is
        // not applied to the lines typed (a goodwill gesture of 50.00 is 50.00); to credit a
        // line as a discounted invoice billed it, its line discount says so ("…|HUR|5").
        drafts::issued_lines(&checked, &drafts::compute(&checked, case)?, fr)
    };
    let net = crate::money::checked_total(lines.iter().map(|l| l.net_minor))?;
    let vat = crate::money::checked_total(lines.iter().map(|l| l.vat_minor))?;
    let total = crate::money::checked_total([net, vat])?;
    if total <= 0 {
        return Err(Error::invalid("total", Msg::NotPositive));
    }
    let left = head.total_minor - credited(tx, head.id)?;
    if total > left {
        return Err(Error::invalid(
            "lines",
            Msg::CreditAboveInvoiced(currency.in_message(left.max(0))),
        ));
    }
    if !invoice_lines.is_empty() && !input.lines.is_empty() {
        refuse_beyond_rates(tx, head.id, &invoice_lines, &lines, currency)?;
    }
    let vat_named = lines
        .iter()
        .any(|l| l.vat_rate_e4 > 0 || matches!(l.category(), "K" | "AE" | "G"));
    issue::check_mentions(tx, head.customer_id, vat_named)?;
    // A reverse charge names the buyer's VAT number (BR-IC-02, BR-AE-02), then as now.
    if matches!(
        case,
        Some(VatCase::ReverseChargeGoods | VatCase::ReverseChargeServices)
    ) && customer.vat_number.is_empty()
    {
        return Err(Error::invalid(
            "customer",
            Msg::BuyerVatRequired(customer.name.clone()),
        ));
    }
    // Numbers follow dates.
    let last: Option<NaiveDate> =
        tx.query_row("SELECT MAX(date) FROM credit_note_documents", [], |r| {
            r.get(0)
        })?;
    if let Some(last) = last.filter(|l| *l > on) {
        return Err(Error::invalid(
            "date",
            Msg::CreditNoteBeforeLast(last.to_string()),
        ));
    }
    let prefix = crate::settings::get(tx)?.credit_note_prefix;
    let number = issue::allocate(tx, Series::CreditNotes, &prefix, on.year())?;
    // The invoice's exemption mention stays on what corrects it: an invoice written in
    // Relance says it in its first note, a contract's in the contract's VAT mention, else the
    // case's own words.
    let notes = match case {
        Some(case) => {
            let (invoice_notes, reference): (String, String) = tx.query_row(
                "SELECT notes, reference FROM invoices WHERE id = ?1",
                [head.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let written_here = invoice_lines.iter().any(|l| l.category.is_some());
            let contract: String = if reference.is_empty() {
                String::new()
            } else {
                tx.query_row(
                    "SELECT vat_mention FROM contracts WHERE reference = ?1",
                    [&reference],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default()
            };
            match invoice_notes.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(first) if written_here => first.to_string(),
                _ if !contract.trim().is_empty() => contract.trim().to_string(),
                _ => drafts::exemption_mention(case, fr).to_string(),
            }
        }
        None => String::new(),
    };
    let id = tx.insert(
        "INSERT INTO credit_note_documents (number, invoice_id, date, currency, net_minor,
            vat_minor, total_minor, reason, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            number,
            head.id,
            on.to_string(),
            head.currency,
            net,
            vat,
            total,
            reason,
            notes
        ],
    )?;
    issue::write_lines(
        tx,
        "credit_note_document_lines",
        "credit_note_id",
        id,
        &lines,
    )?;
    // What the open balance takes; the rest is the customer's credit.
    let balance = (head.total_minor - head.settled_minor).max(0);
    let applied = total.min(balance);
    if applied > 0 {
        tx.execute(
            "INSERT INTO credit_notes (number, invoice_id, date, amount_minor, reason, document_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![number, head.id, on.to_string(), applied, reason, id],
        )?;
    }
    let mut entry = journal::NewEntry::new(JournalKind::CreditNote, head.customer_id, on);
    entry.amount = Some((total, currency));
    entry.note = format!("{number} {reason}").trim().to_string();
    entry.invoices = vec![(head.id, None)];
    journal::append(tx, &entry)?;
    Ok((id, number))
}

/// What is done with a credit note once issued, inside the transaction that issues it:
/// the archiving of its Factur-X PDF and CII XML, on the documents floor above this one,
/// which `crate::open` registers ([`register_finish`]) as it does the invoices'
/// ([`issue::register_finish`]). An issuer below that floor (a penalty correction) calls
/// [`finish`] after [`issue_in`].
static FINISH: issue::FinishHook = issue::FinishHook::new();

/// Registers what [`finish`] does (once per process; later calls are ignored).
pub fn register_finish(f: issue::Finish) {
    FINISH.register(f);
}

/// Finishes issued credit note `id` (`number`) inside the issuing transaction.
pub fn finish(tx: &Connection, id: i64, number: &str) -> Result<()> {
    FINISH.run(tx, id, number)
}

/// A customer's issued credit notes with credit left, in `currency`, dated up to `until`,
/// oldest first: (id, date, credit left in minor units).
pub fn free_credit(
    conn: &Connection,
    customer_id: i64,
    currency: &str,
    until: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, date, free FROM (
             SELECT d.id, d.date, d.total_minor - COALESCE(
                    (SELECT SUM(n.amount_minor) FROM credit_notes n WHERE n.document_id = d.id), 0) AS free
             FROM credit_note_documents d JOIN invoices i ON i.id = d.invoice_id
             WHERE i.customer_id = ?1 AND d.currency = ?2 AND d.date <= ?3) f
         WHERE free > 0
         ORDER BY date, id",
    )?;
    let rows = stmt.query_map(params![customer_id, currency, until.to_string()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// Uses `amount` of credit note `id`'s credit on invoice `invoice_id` on `date`: a row of
/// `credit_notes` numbered after the document (`A2026-0001-2`, …), with its history entry.
pub(crate) fn impute(
    tx: &Connection,
    id: i64,
    invoice_id: i64,
    amount: i64,
    date: NaiveDate,
) -> Result<()> {
    let (number, currency): (String, String) = tx.query_row(
        "SELECT number, currency FROM credit_note_documents WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let rows: i64 = tx.query_row(
        "SELECT COUNT(*) FROM credit_notes WHERE document_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    // The first row may have been the document's own number (imputed at issue).
    let mut k = rows + 1;
    let row_number = loop {
        let candidate = format!("{number}-{}", k.max(2));
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM credit_notes WHERE number = ?1)",
            [&candidate],
            |r| r.get(0),
        )?;
        if !taken {
            break candidate;
        }
        k += 1;
    };
    tx.execute(
        "INSERT INTO credit_notes (number, invoice_id, date, amount_minor, reason, document_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![row_number, invoice_id, date.to_string(), amount, number, id],
    )?;
    let customer_id: i64 = tx.query_row(
        "SELECT customer_id FROM invoices WHERE id = ?1",
        [invoice_id],
        |r| r.get(0),
    )?;
    super::credit_notes::log(
        tx,
        customer_id,
        invoice_id,
        date,
        (amount, Currency::parse(&currency)?),
        &row_number,
        &number,
    )?;
    Ok(())
}

/// The lines of issued credit note `id`, in order.
pub fn lines(conn: &Connection, id: i64) -> Result<Vec<Line>> {
    issue::read_lines(
        conn,
        "SELECT label, net_minor, vat_rate_e4, vat_minor, quantity_e4, unit, price_minor,
                discount_minor, vat_category, allowance_e4
         FROM credit_note_document_lines WHERE credit_note_id = ?1 ORDER BY position",
        id,
    )
}

/// The issued credit notes of one invoice (`invoice_id`), oldest first.
pub fn for_invoice(conn: &Connection, invoice_id: i64) -> Result<Vec<CreditDocumentView>> {
    views(conn, "d.invoice_id = ?1", invoice_id)
}

/// Issued credit note `id` as lists show it (what the shells print once it is issued).
pub fn view(conn: &Connection, id: i64) -> Result<CreditDocumentView> {
    views(conn, "d.id = ?1", id)?
        .pop()
        .ok_or_else(|| Error::NotFound {
            what: "credit note",
            key: id.to_string(),
        })
}

/// The issued credit notes of one customer, oldest first.
pub fn for_customer(conn: &Connection, customer_id: i64) -> Result<Vec<CreditDocumentView>> {
    views(conn, "i.customer_id = ?1", customer_id)
}

fn views(conn: &Connection, cond: &str, arg: i64) -> Result<Vec<CreditDocumentView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT d.id, d.number, i.number, d.date, d.currency, d.net_minor, d.vat_minor,
                d.total_minor, d.reason,
                COALESCE((SELECT n.amount_minor FROM credit_notes n
                           WHERE n.document_id = d.id AND n.invoice_id = d.invoice_id
                             AND n.number = d.number), 0),
                COALESCE((SELECT SUM(n.amount_minor) FROM credit_notes n
                           WHERE n.document_id = d.id), 0)
         FROM credit_note_documents d JOIN invoices i ON i.id = d.invoice_id
         WHERE {cond} ORDER BY d.date, d.id"
    ))?;
    let rows = stmt.query_map([arg], |r| {
        let code: String = r.get(4)?;
        let cur = Currency::parse(&code).unwrap_or(Currency::EUR);
        let total: i64 = r.get(7)?;
        let used: i64 = r.get(10)?;
        Ok(CreditDocumentView {
            id: r.get(0)?,
            number: r.get(1)?,
            invoice_number: r.get(2)?,
            date: r.get(3)?,
            net: cur.minor_to_string(r.get(5)?),
            vat: cur.minor_to_string(r.get(6)?),
            total: cur.minor_to_string(total),
            reason: r.get(8)?,
            applied: cur.minor_to_string(r.get(9)?),
            left: cur.minor_to_string(total - used),
            currency: code,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// Refuses a credit note number typed or imported in the owner's own credit-note series
/// for a year in which Relance has issued credit notes (see [`issue::refuse_own_series`]).
pub fn refuse_own_series(conn: &Connection, number: &str) -> Result<()> {
    let prefix = crate::settings::value(conn, "credit_note_prefix")?;
    issue::refuse_in_series(conn, Series::CreditNotes, &prefix, number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::{self, payments, InvoiceStatus};
    use crate::test_support::{day, inv};

    fn line(description: &str, quantity: &str, price: &str, rate: &str) -> DraftLineInput {
        DraftLineInput {
            description: description.into(),
            quantity: quantity.into(),
            unit_price: price.into(),
            vat_rate: rate.into(),
            ..DraftLineInput::default()
        }
    }

    /// A company ready to issue, customer K (SIREN known), and invoice F2026-0001 issued
    /// on 2026-03-02: 10 × 100.00 at 20 % and 2 × 50.00 at 5.5 %: net 1,100.00, VAT
    /// 200.00 + 5.50, total 1,305.50.
    fn ready() -> Connection {
        let mut conn = crate::open_in_memory().unwrap();
        crate::test_support::company(&conn);
        crate::customers::create(
            &conn,
            &crate::customers::CustomerInput {
                reference: "K".into(),
                name: "Client SAS".into(),
                address: "1 rue de la Paix".into(),
                postal_code: "75002".into(),
                city: "Paris".into(),
                siren: "552100554".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let draft = invoices::drafts::create(
            &mut conn,
            &invoices::drafts::DraftInput {
                customer: "K".into(),
                lines: vec![
                    line("Conseil", "10", "100", "20"),
                    line("Livres", "2", "50", "5.5"),
                ],
                ..Default::default()
            },
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let (_, number) = invoices::drafts::issue_in(&tx, draft.id, day("2026-03-02")).unwrap();
        tx.commit().unwrap();
        assert_eq!(number, "F2026-0001");
        conn
    }

    fn issue(conn: &mut Connection, lines: Vec<DraftLineInput>, on: &str) -> Result<String> {
        let tx = conn.transaction()?;
        let (_, number) = issue_in(
            &tx,
            &CreditNoteIssueInput {
                invoice: "F2026-0001".into(),
                lines,
                reason: "Geste commercial".into(),
            },
            day(on),
        )?;
        tx.commit()?;
        Ok(number)
    }

    fn balance(conn: &Connection, number: &str) -> String {
        invoices::get_by_number(conn, number, day("2026-12-31"))
            .unwrap()
            .balance
    }

    /// A credit note of some lines lowers the balance by its total (VAT per rate); the
    /// whole invoice can then no longer be credited (only what is left); on the paid
    /// invoice the excess becomes the customer's credit, used later on another invoice.
    #[test]
    fn credit_notes_reduce_the_balance_and_the_excess_is_credit() {
        let mut conn = ready();
        // 1 × 100.00 at 20 %: 120.00.
        let a = issue(
            &mut conn,
            vec![line("Remise", "1", "100", "20")],
            "2026-03-10",
        )
        .unwrap();
        assert_eq!(a, "A2026-0001");
        assert_eq!(balance(&conn, "F2026-0001"), "1185.50");
        let inv_id = invoices::find_id(&conn, "F2026-0001").unwrap().unwrap();
        let v = &for_invoice(&conn, inv_id).unwrap()[0];
        assert_eq!(
            (v.net.as_str(), v.vat.as_str(), v.total.as_str()),
            ("100.00", "20.00", "120.00")
        );
        assert_eq!((v.applied.as_str(), v.left.as_str()), ("120.00", "0.00"));
        // Paid in full.
        payments::record(
            &mut conn,
            &payments::PaymentInput {
                customer: "K".into(),
                date: "2026-03-15".into(),
                amount: "1185.50".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(balance(&conn, "F2026-0001"), "0.00");
        // The whole invoice again: more than is left to credit (1,305.50 − 120.00).
        let e = issue(&mut conn, vec![], "2026-03-20").unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { msg: Msg::CreditAboveInvoiced(left), .. } if left.contains("118550")),
            "{e:?}"
        );
        // The books, 2 × 50.00 at 5.5 %: 105.50, all of it credit (the invoice is paid).
        let b = issue(
            &mut conn,
            vec![line("Livres", "2", "50", "5.5")],
            "2026-03-20",
        )
        .unwrap();
        assert_eq!(b, "A2026-0002");
        assert_eq!(balance(&conn, "F2026-0001"), "0.00");
        let k = crate::customers::id_by_ref(&conn, "customer", "K").unwrap();
        assert_eq!(
            payments::credit_minor(&conn, k).unwrap(),
            vec![("EUR".to_string(), 10_550)]
        );
        // Used on the next invoice: 50.00 of it, a row numbered after the credit note.
        invoices::create(
            &conn,
            &inv("EXT-7", "K", "2026-04-01", "2026-05-01", "50"),
            day("2026-04-01"),
        )
        .unwrap();
        payments::apply_credit(&mut conn, "EXT-7", "", day("2026-04-02")).unwrap();
        assert_eq!(
            invoices::get_by_number(&conn, "EXT-7", day("2026-04-02"))
                .unwrap()
                .status,
            InvoiceStatus::Paid
        );
        assert_eq!(
            payments::credit_minor(&conn, k).unwrap(),
            vec![("EUR".to_string(), 5_550)]
        );
        let rows = crate::invoices::credit_notes::for_invoice(
            &conn,
            invoices::find_id(&conn, "EXT-7").unwrap().unwrap(),
        )
        .unwrap();
        assert_eq!(rows[0].number, "A2026-0002-2");
        let views = for_customer(&conn, k).unwrap();
        assert_eq!(
            views
                .iter()
                .map(|v| (v.applied.as_str(), v.left.as_str()))
                .collect::<Vec<_>>(),
            [("120.00", "0.00"), ("0.00", "55.50")]
        );
    }

    /// Never more than invoiced, rate by rate and counting the credit notes recorded without
    /// a document: the 5.5 % base is 100.00, a rate the invoice lacks is refused, a credit
    /// note typed for 500.00 leaves 805.50 to credit.
    #[test]
    fn a_credit_note_never_credits_more_than_was_invoiced() {
        let mut conn = ready();
        let refused = |conn: &mut Connection, lines: Vec<DraftLineInput>| match issue(
            conn,
            lines,
            "2026-03-10",
        ) {
            Err(Error::Invalid { msg, .. }) => msg,
            other => panic!("{other:?}"),
        };
        // 1,137.44 at 5.5 % totals 1,200.00, under the invoice's total but eleven times its
        // 5.5 % base.
        assert!(matches!(
            refused(&mut conn, vec![line("Livres", "1", "1137.44", "5.5")]),
            Msg::CreditAboveInvoiced(_)
        ));
        assert!(matches!(
            refused(&mut conn, vec![line("Autre", "1", "10", "10")]),
            Msg::CreditRateNotInvoiced(r) if r.contains("10 %")
        ));
        assert_eq!(
            issue(
                &mut conn,
                vec![line("Livres", "1", "100", "5.5")],
                "2026-03-10"
            )
            .unwrap(),
            "A2026-0001"
        );
        // The 5.5 % base is used up.
        assert!(matches!(
            refused(&mut conn, vec![line("Livres", "1", "0.01", "5.5")]),
            Msg::CreditAboveInvoiced(_)
        ));
        // A credit note the engine recorded (a dispute settled by one) counts too:
        // 1,305.50 − 105.50 − 500.00 = 700.00 left.
        crate::invoices::credit_notes::create_in(
            &conn,
            &crate::invoices::credit_notes::CreditNoteInput {
                invoice: "F2026-0001".into(),
                date: "2026-03-11".into(),
                amount: "500".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let e = issue(
            &mut conn,
            vec![line("Conseil", "6", "100", "20")],
            "2026-03-12",
        );
        assert!(
            matches!(&e, Err(Error::Invalid { msg: Msg::CreditAboveInvoiced(left), .. }) if left.contains("70000")),
            "{e:?}"
        );
        assert_eq!(balance(&conn, "F2026-0001"), "700.00");
    }

    /// Two processes issuing credit notes at once: every number once, none skipped.
    #[test]
    fn two_connections_issuing_at_once_leave_no_gap() {
        if ready().sqlite().is_none() {
            return; // Two processes on one file; a server's writers queue on its lock.
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credit.sqlite");
        // The ready ledger, copied to a file both connections open.
        ready()
            .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
            .unwrap();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = crate::open(&path).unwrap();
                    for _ in 0..30 {
                        issue(
                            &mut conn,
                            vec![line("Remise", "1", "1", "20")],
                            "2026-03-10",
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let conn = crate::open(&path).unwrap();
        let mut numbers: Vec<String> = conn
            .prepare("SELECT number FROM credit_note_documents")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        numbers.sort();
        let want: Vec<String> = (1..=60).map(|k| format!("A2026-{k:04}")).collect();
        assert_eq!(numbers, want);
        // 60 × 1.20 off 1,305.50.
        assert_eq!(balance(&conn, "F2026-0001"), "1233.50");
    }

    /// The series is the owner's (prefix setting), gapless, numbers follow dates; refused
    /// without writing: a date before the last credit note or before the invoice, a line
    /// on an invoice recorded from elsewhere with none given, a typed number of the series.
    #[test]
    fn the_series_is_gapless_and_follows_dates() {
        let mut conn = ready();
        crate::settings::set(&conn, "credit_note_prefix", "AV").unwrap();
        assert!(crate::settings::set(&conn, "credit_note_prefix", "f").is_err());
        let one = || vec![line("Remise", "1", "10", "20")];
        assert_eq!(
            issue(&mut conn, one(), "2026-03-05").unwrap(),
            "AV2026-0001"
        );
        assert!(matches!(
            issue(&mut conn, one(), "2026-03-04").unwrap_err(),
            Error::Invalid {
                msg: Msg::CreditNoteBeforeLast(_),
                ..
            }
        ));
        assert!(matches!(
            issue(&mut conn, one(), "2026-03-01").unwrap_err(),
            Error::Invalid {
                msg: Msg::BeforeInvoiceDate(_),
                ..
            }
        ));
        // Nothing was allocated by the refusals.
        assert_eq!(
            issue(&mut conn, one(), "2026-03-05").unwrap(),
            "AV2026-0002"
        );
        // Typed on an invoice Relance issued: refused, an issued credit note is needed.
        let on_issued = crate::invoices::credit_notes::create(
            &mut conn,
            &crate::invoices::credit_notes::CreditNoteInput {
                invoice: "F2026-0001".into(),
                date: "2026-03-06".into(),
                amount: "1".into(),
                ..Default::default()
            },
        );
        assert!(
            matches!(
                on_issued,
                Err(Error::Invalid {
                    msg: Msg::CreditNoteNeedsDocument(ref n),
                    ..
                }) if n == "F2026-0001"
            ),
            "{on_issued:?}"
        );
        let typed = crate::invoices::credit_notes::create_in(
            &conn,
            &crate::invoices::credit_notes::CreditNoteInput {
                number: "AV2026-0003".into(),
                invoice: "F2026-0001".into(),
                date: "2026-03-06".into(),
                amount: "1".into(),
                reason: String::new(),
            },
        );
        assert!(
            matches!(
                typed,
                Err(Error::Invalid {
                    msg: Msg::NumberInOwnSeries { .. },
                    ..
                })
            ),
            "{typed:?}"
        );
        // An invoice recorded from elsewhere: its lines are unknown.
        invoices::create(
            &conn,
            &inv("EXT-1", "K", "2026-03-01", "2026-04-01", "100"),
            day("2026-03-01"),
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let e = issue_in(
            &tx,
            &CreditNoteIssueInput {
                invoice: "EXT-1".into(),
                ..Default::default()
            },
            day("2026-03-06"),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { msg: Msg::CreditNoteNeedsLines(n), .. } if n == "EXT-1"),
            "{e:?}"
        );
        drop(tx);
        // Issued credit notes are immutable.
        assert!(conn
            .execute("UPDATE credit_note_documents SET total_minor = 1", [])
            .is_err());
        assert!(conn
            .execute("DELETE FROM credit_note_document_lines", [])
            .is_err());
        // The whole invoice, once what is left: it is settled by credit notes alone.
        let whole = issue(&mut conn, vec![], "2026-03-07");
        assert!(
            whole.is_err(),
            "two credit notes made: the whole is too much"
        );
        let left = 130_550 - 2 * 1_200;
        assert_eq!(
            balance(&conn, "F2026-0001"),
            format!("{}.{:02}", left / 100, left % 100)
        );
    }
}
