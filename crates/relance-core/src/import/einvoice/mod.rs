//! E-invoices in: invoices the owner made elsewhere, imported from their e-invoice files
//! (Factur-X / ZUGFeRD / XRechnung PDFs, CII XML, UBL 2.1 Invoice and CreditNote).
//!
//! A batch of files is first [`preview`]ed: each file read, its figures checked by the
//! EN 16931 arithmetic, its seller checked to be the owner (a purchase invoice is refused),
//! its buyer matched to a customer (SIREN, then VAT number, then name) or proposed as a new
//! one, and its number compared with the ledger (the same invoice again is recognised, not
//! duplicated). [`import`] writes the batch in one transaction only when no file is refused:
//! each invoice with its lines and VAT breakdown, each credit note against the invoice it
//! references, and each original file byte for byte (`einvoice_originals`).

pub mod model;
mod pdf;
mod xml;

use crate::customers::{self, CustomerInput};
use crate::error::{EinvoiceFault as Fault, Error, Lang, Msg, Result};
use crate::invoices::credit_notes::{self, CreditNoteInput};
use crate::invoices::issue::{self, LineDetail};
use crate::invoices::{self, NewInvoice};
use crate::money::Currency;
use crate::settings;
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::{Datelike, NaiveDate};
use model::{Checked, Doc, Syntax};
use serde::Serialize;
use std::collections::HashMap;
use ts_rs::TS;

/// A file over this size is refused before it is read.
pub const MAX_MB: u64 = 20;
/// The invoice XML, alone or inside a PDF, is bounded too (decompression included).
pub(crate) const MAX_XML: usize = 10 * 1024 * 1024;

pub(crate) fn fault(f: Fault) -> Error {
    Error::invalid("file", Msg::Einvoice(f))
}

/// One file as the shell read it.
#[derive(Debug, Clone)]
pub struct EinvoiceFile {
    /// The name shown in the preview and kept with the original (no folder).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What one file would become.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EinvoiceStatus {
    /// A new invoice or credit note.
    New,
    /// Already in Relance with the same figures: nothing is written.
    Known,
    /// Refused: the whole batch is.
    Refused,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EinvoiceFilePreview {
    pub file: String,
    pub status: EinvoiceStatus,
    /// Why it is refused, in the user's language ("" otherwise).
    pub message: String,
    /// "Factur-X, factur-x.xml", "CII", "UBL".
    pub format: String,
    pub credit_note: bool,
    pub number: String,
    /// The buyer as the file names them.
    pub buyer: String,
    /// The customer it goes to ("" while refused or to be created).
    pub customer_reference: String,
    pub new_customer: bool,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    /// Amount due (BT-115), excluding tax (BT-109), VAT (BT-110), as decimal strings.
    pub total: String,
    pub net: String,
    pub vat: String,
    pub lines: usize,
    /// The invoice a credit note reduces.
    pub against: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EinvoicePreview {
    pub files: Vec<EinvoiceFilePreview>,
    /// The customers the import would create (their names, as the files give them).
    pub new_customers: Vec<String>,
    pub refused: usize,
    pub to_create: usize,
    pub known: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EinvoiceReport {
    pub invoices: usize,
    pub credit_notes: usize,
    pub customers_created: usize,
    pub known: usize,
}

/// Who the buyer is in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Buyer {
    Existing {
        id: i64,
        reference: String,
    },
    /// To be created; the key groups the files naming the same new buyer.
    New(String),
}

/// A file read and checked, ready to write.
#[derive(Clone)]
struct Ready {
    /// Its place in the batch.
    index: usize,
    doc: Doc,
    checked: Checked,
    buyer: Buyer,
    due_date: NaiveDate,
    /// The original's format label.
    format: String,
}

/// Refuses a file over [`MAX_MB`].
fn check_size(bytes: u64) -> Result<()> {
    if bytes > MAX_MB * 1024 * 1024 {
        return Err(fault(Fault::TooLarge { max_mb: MAX_MB }));
    }
    Ok(())
}

/// What a shell reads of a file: at most one byte over [`MAX_MB`] (enough for the engine to
/// refuse it as too large, saying which file), never the whole of a huge file.
pub fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_MB * 1024 * 1024 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// How many files one import takes.
pub const MAX_FILES: usize = 5_000;

/// Reads one file into its document: a PDF's embedded XML, or the XML itself.
fn read(file: &EinvoiceFile) -> Result<(Doc, String)> {
    check_size(file.bytes.len() as u64)?;
    let bytes = file.bytes.as_slice();
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes[start..].starts_with(b"%PDF-") {
        let (name, xml) = pdf::invoice_xml(bytes)?;
        let doc = xml::read(&xml::tree(&xml)?)?;
        let label = match doc.syntax {
            Syntax::Cii if name.to_ascii_lowercase().contains("zugferd") => "ZUGFeRD",
            Syntax::Cii if name.to_ascii_lowercase().contains("xrechnung") => "XRechnung",
            Syntax::Cii => "Factur-X",
            Syntax::Ubl => "PDF",
        };
        return Ok((doc, format!("{label}, {name}")));
    }
    let text_start = bytes[start..]
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&bytes[start..]);
    if !text_start.starts_with(b"<") {
        let shown: String = String::from_utf8_lossy(&bytes[..bytes.len().min(30)])
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        return Err(fault(Fault::NotEinvoice(shown.trim().to_string())));
    }
    if bytes.len() > MAX_XML {
        return Err(fault(Fault::TooLarge {
            max_mb: (MAX_XML / (1024 * 1024)) as u64,
        }));
    }
    let doc = xml::read(&xml::tree(bytes)?)?;
    let label = match doc.syntax {
        Syntax::Cii => "CII",
        Syntax::Ubl => "UBL",
    };
    Ok((doc, label.to_string()))
}

/// The owner's identifiers, to tell an invoice they issued from one they received.
struct Owner {
    siren: String,
    vat: String,
    name: std::collections::HashSet<String>,
}

impl Owner {
    fn read(conn: &Connection) -> Result<Owner> {
        let s = settings::get(conn)?;
        // The SIREN given, else the one a SIRET begins with.
        let siren = if s.siren.is_empty() {
            s.siret.get(..9).unwrap_or("").to_string()
        } else {
            s.siren.clone()
        };
        Ok(Owner {
            siren,
            vat: s
                .vat_number
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_uppercase(),
            name: crate::bank::matching::name_words(&s.company_name),
        })
    }

    /// Whether `p` is the owner: by SIREN or VAT number when both sides have one, else by
    /// name when the owner gave no identifier.
    fn is(&self, p: &model::Party) -> Result<bool> {
        if self.siren.is_empty() && self.vat.is_empty() {
            if self.name.is_empty() {
                return Err(fault(Fault::OwnerUnknown));
            }
            return Ok(crate::bank::matching::name_words(&p.name) == self.name);
        }
        let siren = p.siren();
        let vat = p.vat_key();
        // An identifier without a scheme that is the owner's SIREN, or a SIRET of it.
        let plain = p.legal_id.iter().chain(p.ids.iter()).any(|(scheme, id)| {
            let digits: String = id.chars().filter(|c| !c.is_whitespace()).collect();
            scheme.is_empty()
                && !self.siren.is_empty()
                && (digits.len() == 9 || digits.len() == 14)
                && digits.starts_with(&self.siren)
        });
        Ok(
            (!self.siren.is_empty() && siren.as_deref() == Some(self.siren.as_str()))
                || (!self.vat.is_empty() && vat == self.vat)
                || plain,
        )
    }
}

/// Finds the buyer among the customers: SIREN, then VAT number, then name (the name's
/// words, legal forms left out). Several by name and none by identifier is refused.
fn match_buyer(conn: &Connection, p: &model::Party) -> Result<Buyer> {
    let one = |sql: &str, key: &str| -> Result<Option<(i64, String, bool)>> {
        Ok(conn
            .query_row(sql, [key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    };
    let found = match p.siren() {
        Some(s) => one(
            "SELECT id, reference, archived_on IS NOT NULL FROM customers WHERE siren = ?1
             ORDER BY archived_on IS NOT NULL, id LIMIT 1",
            &s,
        )?,
        None => None,
    };
    let found = match (found, p.vat_key()) {
        (Some(f), _) => Some(f),
        (None, v) if !v.is_empty() => one(
            "SELECT id, reference, archived_on IS NOT NULL FROM customers
             WHERE upper(replace(vat_number, ' ', '')) = ?1
             ORDER BY archived_on IS NOT NULL, id LIMIT 1",
            &v,
        )?,
        _ => None,
    };
    let found = match found {
        Some(f) => Some(f),
        None => {
            let words = crate::bank::matching::name_words(&p.name);
            if words.is_empty() {
                None
            } else {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, reference, archived_on IS NOT NULL, name, siren,
                        upper(replace(vat_number, ' ', '')) FROM customers",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, bool>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    })?
                    .collect::<crate::store::sql::Result<Vec<_>>>()?;
                // By name only a customer whose identifiers do not say it is someone else.
                let (siren, vat) = (p.siren().unwrap_or_default(), p.vat_key());
                let alike: Vec<(i64, String, bool)> = rows
                    .into_iter()
                    .filter(|(_, _, _, name, c_siren, c_vat)| {
                        crate::bank::matching::name_words(name) == words
                            && (c_siren.is_empty() || siren.is_empty() || *c_siren == siren)
                            && (c_vat.is_empty() || vat.is_empty() || *c_vat == vat)
                    })
                    .map(|(id, reference, archived, ..)| (id, reference, archived))
                    .collect();
                match alike.len() {
                    0 => None,
                    1 => alike.into_iter().next(),
                    _ => return Err(fault(Fault::AmbiguousBuyer(p.name.clone()))),
                }
            }
        }
    };
    match found {
        Some((_, _, true)) => Err(fault(Fault::CustomerArchived(p.name.clone()))),
        Some((id, reference, false)) => Ok(Buyer::Existing { id, reference }),
        None => Ok(Buyer::New(buyer_key(p))),
    }
}

/// What groups the files naming one new buyer: their SIREN, else VAT number, else name.
fn buyer_key(p: &model::Party) -> String {
    if let Some(s) = p.siren() {
        return format!("siren:{s}");
    }
    let vat = p.vat_key();
    if !vat.is_empty() {
        return format!("vat:{vat}");
    }
    let mut words: Vec<String> = crate::bank::matching::name_words(&p.name)
        .into_iter()
        .collect();
    words.sort();
    format!("name:{}", words.join(" "))
}

/// The due date: BT-9, else the payment terms (BT-20: "30 jours", "net 45", "30 days",
/// "30 jours fin de mois"), else the customer's terms (or the company's).
fn due_date(conn: &Connection, doc: &Doc, buyer: &Buyer) -> Result<NaiveDate> {
    if let Some(d) = doc.due_date {
        if d < doc.issue_date {
            return Err(fault(Fault::DueBeforeIssue));
        }
        return Ok(d);
    }
    let (days, end_of_month) = match terms_days(&doc.terms) {
        Some(t) => t,
        None => {
            let customer_terms: Option<i64> = match buyer {
                Buyer::Existing { id, .. } => conn.query_row(
                    "SELECT payment_terms_days FROM customers WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )?,
                Buyer::New(_) => None,
            };
            let days = match customer_terms {
                Some(d) => d,
                None => settings::get(conn)?.default_payment_terms_days,
            };
            (days, false)
        }
    };
    let mut due = doc.issue_date + chrono::Duration::days(days);
    if end_of_month {
        // The last day of that month.
        let first_next = if due.month() == 12 {
            NaiveDate::from_ymd_opt(due.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(due.year(), due.month() + 1, 1)
        };
        due = first_next.and_then(|d| d.pred_opt()).unwrap_or(due);
    }
    Ok(due.min(crate::validate::latest()))
}

/// The days payment terms give when they say it plainly, and whether they run to the end of
/// that month ("fin de mois", "end of month"). A number of days next to "net" wins ("escompte
/// 2 % à 10 jours, net 30 jours": 30); else, in terms that also offer a discount, the
/// longest; else the first.
fn terms_days(terms: &str) -> Option<(i64, bool)> {
    let lower = terms.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // (days, "net" before it, "net" after its unit)
    let candidates: Vec<(i64, bool, bool)> = words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let n: i64 = w.parse().ok().filter(|n| (1..=366).contains(n))?;
            let next = words.get(i + 1).copied().unwrap_or("");
            let after = words.get(i + 2).copied().unwrap_or("");
            let before = if i > 0 { words[i - 1] } else { "" };
            let unit = matches!(
                next,
                "jours" | "jour" | "j" | "days" | "day" | "tage" | "tagen"
            );
            let net_after = unit && matches!(after, "net" | "netto");
            (unit || before == "net").then_some((n, before == "net", net_after))
        })
        .collect();
    let discount = ["escompte", "discount", "skonto"]
        .iter()
        .any(|d| lower.contains(d));
    let days = candidates
        .iter()
        .find(|c| c.1)
        .or_else(|| candidates.iter().find(|c| c.2))
        .or_else(|| {
            if discount {
                candidates.iter().max_by_key(|c| c.0)
            } else {
                candidates.first()
            }
        })
        .map(|c| c.0)?;
    let end_of_month = lower.contains("fin de mois") || lower.contains("end of month");
    Some((days, end_of_month))
}

/// What became of one file: ready (new or known), or refused.
type Outcome = Result<(Ready, EinvoiceStatus)>;

/// How numbers compare: as the ledger's `COLLATE NOCASE` columns do.
fn number_key(number: &str) -> String {
    crate::validate::identifier_key(number).to_ascii_lowercase()
}

/// The customer and the original of a document of this number already imported from the
/// very same bytes: known whatever has changed since (the customer renamed or archived).
fn same_original(
    conn: &Connection,
    credit: bool,
    number: &str,
    bytes: &[u8],
) -> Result<Option<(i64, String)>> {
    let sql = if credit {
        "SELECT i.customer_id, c.reference, o.bytes FROM einvoice_originals o
         JOIN credit_notes cn ON cn.id = o.credit_note_id JOIN invoices i ON i.id = cn.invoice_id
         JOIN customers c ON c.id = i.customer_id WHERE cn.number = ?1"
    } else {
        "SELECT i.customer_id, c.reference, o.bytes FROM einvoice_originals o
         JOIN invoices i ON i.id = o.invoice_id JOIN customers c ON c.id = i.customer_id
         WHERE i.number = ?1"
    };
    let found: Option<(i64, String, Vec<u8>)> = conn
        .query_row(sql, [number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(found
        .filter(|(_, _, b)| b.as_slice() == bytes)
        .map(|(id, reference, _)| (id, reference)))
}

/// One file, read, checked against the ledger and the files of the batch accepted before it.
fn check_one(
    conn: &Connection,
    owner: &Owner,
    files: &[EinvoiceFile],
    index: usize,
    read: Result<(Doc, String)>,
    batch: &[Ready],
) -> Outcome {
    let (doc, format) = read?;
    let checked = doc.check()?;
    if !owner.is(&doc.seller)? {
        return Err(fault(Fault::Purchase {
            seller: doc.seller.name.clone(),
        }));
    }
    // The number as the ledger will store it: checked as a typed one is.
    let number = crate::validate::required_identifier("number", &doc.number, 40)?;
    if checked.due_minor <= 0 {
        return Err(fault(Fault::NothingDue));
    }
    let ready = |buyer: Buyer, due_date: NaiveDate| Ready {
        index,
        doc: doc.clone(),
        checked: checked.clone(),
        buyer,
        due_date,
        format: format.clone(),
    };
    if let Some((id, reference)) = same_original(conn, doc.credit, &number, &files[index].bytes)? {
        let due = doc.due_date.unwrap_or(doc.issue_date);
        return Ok((
            ready(Buyer::Existing { id, reference }, due),
            EinvoiceStatus::Known,
        ));
    }
    if doc.credit {
        let against = doc
            .preceding
            .first()
            .map(|n| crate::validate::identifier_key(n))
            .ok_or_else(|| fault(Fault::CreditWithoutInvoice))?;
        // The invoice: in the ledger, or earlier in this batch.
        let in_ledger: Option<(i64, String, String, String, i64, NaiveDate, bool)> = conn
            .query_row(
                "SELECT i.customer_id, c.reference, c.name, i.currency,
                    i.total_minor - i.settled_minor, i.issue_date, i.issued
                 FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.number = ?1",
                [&against],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?;
        // An invoice Relance issued is corrected by a credit note Relance issues (its own
        // series and e-invoice), as a typed one would be refused.
        if let Some((.., true)) = in_ledger {
            return Err(fault(Fault::CreditOnIssuedInvoice(against)));
        }
        let (buyer, currency, balance, issued, customer_name) = match in_ledger {
            Some((id, reference, name, currency, balance, issued, _)) => (
                Buyer::Existing { id, reference },
                currency,
                balance,
                issued,
                name,
            ),
            None => {
                let earlier = batch
                    .iter()
                    .find(|r| !r.doc.credit && number_key(&r.doc.number) == number_key(&against))
                    .ok_or_else(|| fault(Fault::CreditUnknownInvoice(against.clone())))?;
                (
                    earlier.buyer.clone(),
                    earlier.checked.currency.code().to_string(),
                    earlier.checked.due_minor,
                    earlier.doc.issue_date,
                    earlier.doc.buyer.name.clone(),
                )
            }
        };
        // The credit note's own buyer must not be another known customer.
        if let Ok(Buyer::Existing { id: matched, .. }) = match_buyer(conn, &doc.buyer) {
            if !matches!(&buyer, Buyer::Existing { id, .. } if *id == matched) {
                return Err(fault(Fault::CreditOtherCustomer {
                    invoice: against,
                    customer: customer_name,
                }));
            }
        }
        if currency != checked.currency.code() {
            return Err(fault(Fault::CreditCurrency {
                invoice: against,
                currency: checked.currency.code().into(),
            }));
        }
        if doc.issue_date < issued {
            return Err(fault(Fault::CreditBeforeInvoice(issued.to_string())));
        }
        // Known already: the same number on the same invoice for the same amount.
        let known: Option<(String, i64)> = conn
            .query_row(
                "SELECT i.number, cn.amount_minor FROM credit_notes cn
                 JOIN invoices i ON i.id = cn.invoice_id WHERE cn.number = ?1",
                [&number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let status = match known {
            Some((inv, amount))
                if number_key(&inv) == number_key(&against) && amount == checked.due_minor =>
            {
                EinvoiceStatus::Known
            }
            Some(_) => return Err(fault(Fault::NumberTaken { number })),
            None => {
                crate::invoices::credit_documents::refuse_own_series(conn, &number)?;
                // What the credit notes of the batch before it take (its twin excepted).
                let credited_in_batch: i64 = batch
                    .iter()
                    .filter(|r| {
                        r.doc.credit
                            && number_key(&r.doc.number) != number_key(&number)
                            && r.doc.preceding.first().map(|n| number_key(n))
                                == Some(number_key(&against))
                    })
                    .map(|r| r.checked.due_minor)
                    .sum();
                let open = balance - credited_in_batch;
                if checked.due_minor > open {
                    return Err(fault(Fault::CreditAboveBalance {
                        invoice: against,
                        balance: format!(
                            "{} {}",
                            checked.currency.minor_to_string(open.max(0)),
                            checked.currency.code()
                        ),
                    }));
                }
                EinvoiceStatus::New
            }
        };
        return Ok((ready(buyer, doc.issue_date), status));
    }
    // Known already: the same number, customer, date, currency and amount due.
    let existing: Option<(i64, String, NaiveDate, String, i64)> = conn
        .query_row(
            "SELECT i.customer_id, c.reference, i.issue_date, i.currency, i.total_minor
             FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.number = ?1",
            [&number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    if let Some((customer, reference, date, currency, total)) = existing {
        let buyer = match_buyer(conn, &doc.buyer).ok();
        let same_customer = matches!(&buyer, Some(Buyer::Existing { id, .. }) if *id == customer);
        if same_customer
            && date == doc.issue_date
            && currency == checked.currency.code()
            && total == checked.due_minor
        {
            let due = doc.due_date.unwrap_or(doc.issue_date);
            return Ok((
                ready(
                    Buyer::Existing {
                        id: customer,
                        reference,
                    },
                    due,
                ),
                EinvoiceStatus::Known,
            ));
        }
        return Err(fault(Fault::NumberTaken { number }));
    }
    invoices::issue::refuse_own_series(conn, &number)?;
    let buyer = match_buyer(conn, &doc.buyer)?;
    let due = due_date(conn, &doc, &buyer)?;
    Ok((ready(buyer, due), EinvoiceStatus::New))
}

/// Reads and checks every file once; nothing is written. Invoices are looked at before
/// credit notes, so a credit note may correct an invoice of the same batch; the outcomes
/// come back in that order (invoices first), each with its file's index.
fn plan(conn: &Connection, files: &[EinvoiceFile]) -> Result<Vec<(Outcome, usize)>> {
    if files.is_empty() {
        return Err(fault(Fault::NoFile));
    }
    if files.len() > MAX_FILES {
        return Err(fault(Fault::TooManyFiles { max: MAX_FILES }));
    }
    let owner = Owner::read(conn)?;
    let mut parsed: Vec<(usize, Result<(Doc, String)>)> =
        files.iter().map(read).enumerate().collect();
    parsed.sort_by_key(|(i, r)| (matches!(r, Ok((d, _)) if d.credit), *i));
    let mut accepted: Vec<Ready> = Vec::new();
    let mut out: Vec<(Outcome, usize)> = Vec::new();
    for (i, read) in parsed {
        let mut result = check_one(conn, &owner, files, i, read, &accepted);
        // The same number twice in the batch: once if the same, else refused.
        if let Ok((ready, status)) = &result {
            let key = number_key(&ready.doc.number);
            if let Some(twin) = accepted
                .iter()
                .find(|r| r.doc.credit == ready.doc.credit && number_key(&r.doc.number) == key)
            {
                let same = twin.checked.due_minor == ready.checked.due_minor
                    && twin.doc.issue_date == ready.doc.issue_date
                    && twin.buyer == ready.buyer;
                result = if same {
                    Ok((ready.clone(), EinvoiceStatus::Known))
                } else {
                    Err(fault(Fault::TwiceInBatch {
                        number: crate::validate::identifier_key(&ready.doc.number),
                    }))
                };
            } else if *status == EinvoiceStatus::New {
                accepted.push(ready.clone());
            }
        }
        out.push((result, i));
    }
    Ok(out)
}

fn message_of(e: &Error, lang: Lang) -> String {
    crate::error::ApiError::from_error(e, lang).message
}

fn preview_of(file: &EinvoiceFile, outcome: &Outcome, lang: Lang) -> EinvoiceFilePreview {
    match outcome {
        Err(e) => EinvoiceFilePreview {
            file: file.name.clone(),
            status: EinvoiceStatus::Refused,
            message: message_of(e, lang),
            format: String::new(),
            credit_note: false,
            number: String::new(),
            buyer: String::new(),
            customer_reference: String::new(),
            new_customer: false,
            issue_date: None,
            due_date: None,
            currency: String::new(),
            total: String::new(),
            net: String::new(),
            vat: String::new(),
            lines: 0,
            against: String::new(),
        },
        Ok((r, status)) => {
            let c = r.checked.currency;
            EinvoiceFilePreview {
                file: file.name.clone(),
                status: status.clone(),
                message: String::new(),
                format: r.format.clone(),
                credit_note: r.doc.credit,
                number: crate::validate::identifier_key(&r.doc.number),
                buyer: r.doc.buyer.name.clone(),
                customer_reference: match &r.buyer {
                    Buyer::Existing { reference, .. } => reference.clone(),
                    Buyer::New(_) => String::new(),
                },
                new_customer: matches!(r.buyer, Buyer::New(_)),
                issue_date: Some(r.doc.issue_date),
                due_date: (!r.doc.credit).then_some(r.due_date),
                currency: c.code().to_string(),
                total: c.minor_to_string(r.checked.due_minor),
                net: c.minor_to_string(r.checked.net_minor),
                vat: c.minor_to_string(r.checked.vat_minor),
                lines: r.doc.lines.len(),
                against: r
                    .doc
                    .preceding
                    .first()
                    .filter(|_| r.doc.credit)
                    .map(|n| crate::validate::identifier_key(n))
                    .unwrap_or_default(),
            }
        }
    }
}

/// The names of the buyers the new documents would create, once each (by buyer key), in
/// the order met: what the preview lists and what the import asks the owner's yes for.
fn new_buyers<'a>(ready: impl Iterator<Item = &'a (Ready, EinvoiceStatus)>) -> Vec<String> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (r, status) in ready {
        if let (Buyer::New(key), EinvoiceStatus::New) = (&r.buyer, status) {
            if !seen.iter().any(|(k, _)| k == key) {
                seen.push((key, r.doc.buyer.name.clone()));
            }
        }
    }
    seen.into_iter().map(|(_, name)| name).collect()
}

/// What importing `files` would do, file by file; nothing is written.
pub fn preview(conn: &Connection, files: &[EinvoiceFile], lang: Lang) -> Result<EinvoicePreview> {
    let mut outcomes = plan(conn, files)?;
    // Shown in the order the files were given.
    outcomes.sort_by_key(|(_, i)| *i);
    let previews: Vec<EinvoiceFilePreview> = outcomes
        .iter()
        .map(|(outcome, i)| preview_of(&files[*i], outcome, lang))
        .collect();
    let new_customers = new_buyers(outcomes.iter().filter_map(|(o, _)| o.as_ref().ok()));
    let count = |s: EinvoiceStatus| previews.iter().filter(|p| p.status == s).count();
    Ok(EinvoicePreview {
        refused: count(EinvoiceStatus::Refused),
        to_create: count(EinvoiceStatus::New),
        known: count(EinvoiceStatus::Known),
        new_customers,
        files: previews,
    })
}

/// Imports `files` as one batch: all of it, or nothing when any file is refused (every
/// refusal listed). Customers the files name but Relance does not know are created only
/// with `create_customers` (the owner's yes); otherwise they are listed and nothing is
/// written. A file already imported is recognised and skipped.
pub fn import(
    conn: &mut Connection,
    files: &[EinvoiceFile],
    create_customers: bool,
) -> Result<EinvoiceReport> {
    let tx = conn.transaction()?;
    let outcomes = plan(&tx, files)?;
    let mut refused: Vec<(usize, Msg)> = Vec::new();
    let mut ready: Vec<(Ready, EinvoiceStatus)> = Vec::new();
    for (outcome, i) in outcomes {
        match outcome {
            Ok(r) => ready.push(r),
            Err(Error::Invalid { msg, .. }) => refused.push((i, msg)),
            // Not a refusal of the file (the disk, the database): stop there.
            Err(other) => return Err(other),
        }
    }
    if !refused.is_empty() {
        refused.sort_by_key(|(i, _)| *i);
        return Err(Error::invalid(
            "files",
            Msg::EinvoiceBatch(
                refused
                    .into_iter()
                    .map(|(i, m)| (files[i].name.clone(), m))
                    .collect(),
            ),
        ));
    }
    // A refusal met while writing (nothing is committed then) names its file too.
    let named = |index: usize| {
        move |e: Error| match e {
            Error::Invalid { msg, .. } => Error::invalid(
                "files",
                Msg::EinvoiceBatch(vec![(files[index].name.clone(), msg)]),
            ),
            other => other,
        }
    };
    let new_names = new_buyers(ready.iter());
    if !new_names.is_empty() && !create_customers {
        return Err(Error::invalid("yes", Msg::EinvoiceNewCustomers(new_names)));
    }
    let mut created: HashMap<String, i64> = HashMap::new();
    let mut report = EinvoiceReport {
        invoices: 0,
        credit_notes: 0,
        customers_created: 0,
        known: 0,
    };
    for (r, status) in &ready {
        if *status == EinvoiceStatus::Known {
            report.known += 1;
            continue;
        }
        if r.doc.credit {
            write_credit_note(&tx, r, &files[r.index]).map_err(named(r.index))?;
            report.credit_notes += 1;
            continue;
        }
        let customer_id = match &r.buyer {
            Buyer::Existing { id, .. } => *id,
            Buyer::New(key) => match created.get(key) {
                Some(id) => *id,
                None => {
                    let id = create_customer(&tx, &r.doc.buyer, r.checked.currency)
                        .map_err(named(r.index))?;
                    created.insert(key.clone(), id);
                    report.customers_created += 1;
                    id
                }
            },
        };
        write_invoice(&tx, r, &files[r.index], customer_id).map_err(named(r.index))?;
        report.invoices += 1;
    }
    tx.commit()?;
    Ok(report)
}

/// A new customer from the buyer's party: name, address, country, e-mail, and the SIREN and
/// VAT number when they are valid (an invalid one is left out, not guessed at).
fn create_customer(tx: &Connection, p: &model::Party, currency: Currency) -> Result<i64> {
    let french = matches!(p.country.as_str(), "FR" | "BE" | "LU" | "CH" | "MC" | "");
    let valid = |f: fn(&str, &str) -> Result<String>, v: &str| f("x", v).unwrap_or_default();
    let siren = p
        .siren()
        .map(|s| valid(crate::validate::siren, &s))
        .unwrap_or_default();
    let mut vat = valid(crate::validate::vat, &p.vat);
    if let Some(of_vat) = vat.strip_prefix("FR").and_then(|r| r.get(2..)) {
        if !siren.is_empty() && of_vat != siren {
            vat.clear();
        }
    }
    let name: String = if p.name.trim().is_empty() {
        "?".to_string()
    } else {
        p.name.chars().take(120).collect()
    };
    let input = CustomerInput {
        name,
        kind: "business".into(),
        language: if french { "fr" } else { "en" }.into(),
        email: crate::validate::optional_email("email", &p.email).unwrap_or_default(),
        address: p.address.chars().take(200).collect(),
        postal_code: p.postal_code.chars().take(20).collect(),
        city: p.city.chars().take(80).collect(),
        country: crate::validate::country("country", &p.country).unwrap_or_default(),
        siren,
        vat_number: vat,
        ..CustomerInput::default()
    };
    let c = customers::NewCustomer::parse(&input, currency)?;
    customers::insert(tx, &c)
}

/// The invoice, its lines (the document's allowances and charges as lines of their own,
/// so each rate's lines add up to its breakdown), and the original.
fn write_invoice(tx: &Connection, r: &Ready, file: &EinvoiceFile, customer_id: i64) -> Result<()> {
    let c = &r.checked;
    let no_prepaid = c.prepaid_minor == 0 && c.total_minor == c.due_minor;
    let new = NewInvoice {
        number: crate::validate::identifier_key(&r.doc.number),
        customer_id,
        issue_date: r.doc.issue_date,
        due_date: r.due_date,
        currency: c.currency,
        total_minor: c.due_minor,
        net_minor: (no_prepaid && c.net_minor > 0 && c.net_minor <= c.due_minor)
            .then_some(c.net_minor),
        reference: [&r.doc.buyer_reference, &r.doc.order_reference]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(|s| s.chars().take(80).collect())
            .unwrap_or_default(),
        notes: r.doc.notes.join("\n").chars().take(4000).collect(),
    };
    crate::validate::required_identifier("number", &new.number, 40)?;
    let id = invoices::insert(tx, &new)?;
    if no_prepaid {
        tx.execute(
            "UPDATE invoices SET vat_minor = ?2, delivery_date = ?3 WHERE id = ?1",
            params![id, c.vat_minor, r.doc.delivery_date.map(|d| d.to_string())],
        )?;
    }
    issue::write_lines(tx, "invoice_lines", "invoice_id", id, &lines_of(r))?;
    tx.execute(
        "INSERT INTO einvoice_originals (invoice_id, file_name, format, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![id, file.name, r.format, file.bytes],
    )?;
    Ok(())
}

/// The lines kept for display, each rate's VAT spread over its lines so that they add up to
/// the breakdown (the VAT at the line's rate, the rest on the rate's largest line).
fn lines_of(r: &Ready) -> Vec<issue::Line> {
    let c = &r.checked;
    let mut lines: Vec<issue::Line> = c
        .lines
        .iter()
        .map(|l| issue::Line {
            label: l.label.clone(),
            net_minor: l.net_minor,
            vat_rate_e4: l.vat_rate_e4,
            vat_minor: 0,
            detail: match (l.quantity_e4, l.price_minor) {
                (Some(q), Some(p)) if q > 0 && p >= 0 => Some(LineDetail {
                    quantity_e4: q,
                    unit: if l.unit.is_empty() {
                        "C62".into()
                    } else {
                        l.unit.clone()
                    },
                    price_minor: p,
                    discount_minor: 0,
                }),
                _ => None,
            },
            category: Some(if l.category.is_empty() {
                "S".into()
            } else {
                l.category.clone()
            }),
            allowance_e4: None,
        })
        .collect();
    for ch in &r.doc.charges {
        let minor = c.currency.to_minor(ch.amount, "BT-92").unwrap_or(0);
        let rate = ch
            .rate
            .and_then(|d| i64::try_from((d * rust_decimal::Decimal::from(10_000)).trunc()).ok())
            .unwrap_or(0);
        lines.push(issue::Line {
            label: if ch.charge {
                "Frais / Charge"
            } else {
                "Remise / Allowance"
            }
            .into(),
            net_minor: if ch.charge { minor } else { -minor },
            vat_rate_e4: rate,
            vat_minor: 0,
            detail: None,
            category: Some(ch.category.clone()),
            allowance_e4: None,
        });
    }
    for (category, rate, _, vat) in &c.vat {
        let of = |l: &issue::Line| {
            l.category.as_deref() == Some(category.as_str()) && l.vat_rate_e4 == *rate
        };
        let mut given = 0;
        for l in lines.iter_mut().filter(|l| of(l)) {
            l.vat_minor = (l.net_minor as i128 * *rate as i128 / 1_000_000) as i64;
            given += l.vat_minor;
        }
        if let Some(big) = lines
            .iter_mut()
            .filter(|l| of(l))
            .max_by_key(|l| l.net_minor.abs())
        {
            big.vat_minor += vat - given;
        }
    }
    lines
}

/// A credit note against the invoice it references (a recorded credit note, numbered as
/// the file says), and its original.
fn write_credit_note(tx: &Connection, r: &Ready, file: &EinvoiceFile) -> Result<()> {
    let c = &r.checked;
    let against = r.doc.preceding.first().cloned().unwrap_or_default();
    let view = credit_notes::create_in(
        tx,
        &CreditNoteInput {
            number: crate::validate::identifier_key(&r.doc.number),
            invoice: crate::validate::identifier_key(&against),
            date: r.doc.issue_date.to_string(),
            amount: c.currency.minor_to_string(c.due_minor),
            reason: r.doc.notes.join(" ").chars().take(1000).collect(),
        },
    )?;
    tx.execute(
        "INSERT INTO einvoice_originals (credit_note_id, file_name, format, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![view.id, file.name, r.format, file.bytes],
    )?;
    Ok(())
}

/// The original file of an imported invoice (else of an imported credit note) of this
/// number: its name and exact bytes.
pub fn original(conn: &Connection, number: &str) -> Result<Option<(String, Vec<u8>)>> {
    let key = crate::validate::identifier_key(number);
    for sql in [
        "SELECT o.file_name, o.bytes FROM einvoice_originals o
         JOIN invoices i ON i.id = o.invoice_id WHERE i.number = ?1",
        "SELECT o.file_name, o.bytes FROM einvoice_originals o
         JOIN credit_notes c ON c.id = o.credit_note_id WHERE c.number = ?1",
    ] {
        let found = conn
            .query_row(sql, [&key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
