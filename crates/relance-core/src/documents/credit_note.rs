//! The PDF of a credit note Relance issued (type 381): the invoice's letterhead and
//! layout, titled "Avoir" / "Credit note", the invoice it corrects (number and date), its
//! lines and totals, why it was issued, the VAT mention the invoice carried, and how it is
//! settled (set against the invoice's balance; any excess the customer's credit). Like an
//! invoice it is a Factur-X PDF/A-3b with its CII XML ([`super::cii::credit_note_xml`])
//! embedded, both archived in the transaction that issues it: what `relance credit-note
//! pdf|xml` and the app return from then on.

use super::invoice::{self, t, InvoiceDoc};
use super::{letters, pdf, short_date};
use crate::error::{Lang, Result};
use crate::invoices::credit_documents::{self as cd, CreditNoteIssueInput};
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};

/// Everything issued credit note `number` says, before layout.
pub fn compose(conn: &Connection, number: &str) -> Result<InvoiceDoc> {
    let d = cd::by_number(conn, number)?;
    let inv = crate::invoices::stored_by_id(conn, d.invoice_id)?;
    let settings = crate::settings::get(conn)?;
    let c = crate::customers::get(conn, inv.customer_id)?;
    let lang = c.language;
    let currency = Currency::parse(&d.currency)?;
    let money = |m: i64| currency.format_minor(m, lang);
    let lines = cd::lines(conn, d.id)?;
    let (sender, footer) = letters::company_lines(&settings, lang);
    let recipient = letters::recipient_lines(&c, &settings, lang);
    let mut facts = vec![
        (t(lang, "Avoir n°", "Credit note No."), d.number.clone()),
        (t(lang, "Date d'émission", "Date"), short_date(d.date, lang)),
        (
            t(lang, "Facture corrigée", "Invoice corrected"),
            if lang == Lang::Fr {
                format!("{} du {}", inv.number, short_date(inv.issue_date, lang))
            } else {
                format!("{} of {}", inv.number, short_date(inv.issue_date, lang))
            },
        ),
    ];
    // The corrected invoice's delivery address, as its XML repeats it.
    if let Some(a) = crate::invoices::issue::delivery_address(conn, inv.id)? {
        facts.push((
            t(lang, "Livraison à", "Delivered to"),
            a.one_line(&settings.country, lang == Lang::Fr),
        ));
    }
    if !c.siren.is_empty() {
        facts.push((t(lang, "SIREN client", "Customer SIREN"), c.siren.clone()));
    }
    if !c.vat_number.is_empty() {
        facts.push((t(lang, "TVA client", "Customer VAT"), c.vat_number.clone()));
    }
    let (headers, rows, mut totals) = invoice::table(&lines, d.vat_minor, currency, lang);
    totals.push((
        t(lang, "Total TTC de l'avoir", "Total credited"),
        money(d.total_minor),
    ));
    let mut notes = Vec::new();
    if !d.reason.trim().is_empty() {
        notes.push(format!(
            "{} {}",
            t(lang, "Motif :", "Reason:"),
            d.reason.trim()
        ));
    }
    if !d.notes.trim().is_empty() {
        notes.push(d.notes.trim().to_string());
    }
    notes.extend(invoice::debits_mention(&settings, d.vat_minor, lang));
    // How it was settled when issued: the row numbered as the document is what the
    // invoice's balance took then.
    let applied: i64 = conn
        .query_row(
            "SELECT amount_minor FROM credit_notes WHERE document_id = ?1 AND number = ?2",
            crate::store::sql::params![d.id, d.number],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let excess = d.total_minor - applied;
    let mut mentions = Vec::new();
    if applied > 0 {
        mentions.push(if lang == Lang::Fr {
            format!(
                "Cet avoir vient en déduction de la facture {} : {} de moins à payer.",
                inv.number,
                money(applied)
            )
        } else {
            format!(
                "This credit note is set against invoice {}: {} less to pay.",
                inv.number,
                money(applied)
            )
        });
    }
    if excess > 0 {
        mentions.push(if lang == Lang::Fr {
            format!(
                "{} restent à votre crédit : ils seront déduits d'une prochaine facture ou remboursés à votre demande.",
                money(excess)
            )
        } else {
            format!(
                "{} remain to your credit: they will be deducted from a next invoice or refunded on request.",
                money(excess)
            )
        });
    }
    Ok(InvoiceDoc {
        date: d.date,
        number: d.number,
        lang,
        title: t(lang, "Avoir", "Credit note"),
        sender,
        recipient,
        facts,
        headers,
        lines: rows,
        totals,
        notes,
        mentions,
        footer,
        window_left: settings.letter_window == "left",
        logo: crate::settings::logo(conn)?.map(|(_, b)| std::sync::Arc::new(b)),
        reference: String::new(),
        qr: None,
    })
}

/// Issues a credit note on `on` ([`cd::issue_in`]) with its Factur-X PDF and CII XML
/// archived, all in one transaction. Returns (id, number).
pub fn issue(
    conn: &mut Connection,
    input: &CreditNoteIssueInput,
    on: chrono::NaiveDate,
) -> Result<(i64, String)> {
    let tx = conn.transaction()?;
    let (id, number) = cd::issue_in(&tx, input, on)?;
    archive_issued(&tx, id, &number)?;
    tx.commit()?;
    Ok((id, number))
}

/// Archives the Factur-X PDF and CII XML of credit note `id` (`number`), inside the
/// transaction that issues it (what `crate::open` registers as
/// [`cd::register_finish`]).
pub fn archive_issued(tx: &Connection, id: i64, number: &str) -> Result<()> {
    let xml = super::cii::credit_note_xml(tx, number)?;
    let pdf = draw(tx, number, &xml)?;
    tx.execute(
        "INSERT INTO credit_note_archives (credit_note_id, pdf, xml) VALUES (?1, ?2, ?3)",
        crate::store::sql::params![id, pdf, xml],
    )?;
    Ok(())
}

/// The archived (PDF, XML) of credit note `number`.
fn archived(conn: &Connection, number: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    let d = cd::by_number(conn, number)?;
    match conn
        .query_row(
            "SELECT pdf, xml FROM credit_note_archives WHERE credit_note_id = ?1",
            [d.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
    {
        Some(a) => Ok(a),
        // Not archived (a store opened without the documents floor): drawn now.
        None => {
            let xml = super::cii::credit_note_xml(conn, number)?;
            Ok((draw(conn, number, &xml)?, xml))
        }
    }
}

/// The PDF of credit note `number`, as archived when it was issued.
pub fn pdf(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    Ok(archived(conn, number)?.0)
}

/// The CII XML of credit note `number`, as archived when it was issued.
pub fn xml(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    Ok(archived(conn, number)?.1)
}

fn draw(conn: &Connection, number: &str, xml: &[u8]) -> Result<Vec<u8>> {
    let d = compose(conn, number)?;
    let title = format!("{} {}", d.title, d.number);
    pdf::render_factur_x(
        &invoice::meta(&d, &title),
        &invoice::layout(&d),
        &pdf::FacturX {
            xml,
            level: "EN 16931",
        },
    )
}
