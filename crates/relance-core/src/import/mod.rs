//! CSV import and export of customers, invoices and payments.
//!
//! Import accepts comma-, semicolon- or tab-separated UTF-8 (with or without BOM), ISO or
//! DD/MM/YYYY dates, and amounts with a dot or a comma decimal mark. Headers are matched to
//! the canonical columns (see README) case- and accent-insensitively, with French synonyms.
//! Every row goes through the same checks as the forms, inside one transaction: a file with
//! any bad row imports nothing and the error lists every bad row with its line and reason.
//! Export writes the canonical columns and neutralises cells a spreadsheet would run as a
//! formula (a leading `'`, which import strips again so an export re-imports unchanged).

pub mod einvoice;

use crate::customers::{self, CustomerInput, NewCustomer};
use crate::error::{Error, Msg, Result, RowError};
use crate::invoices::payments::{self, AllocationInput, PaymentInput};
use crate::invoices::{self, InvoiceInput, NewInvoice};
use crate::settings;
use crate::store::sql::Connection;
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Invoices,
    Payments,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "customers" => Some(ImportKind::Customers),
            "invoices" => Some(ImportKind::Invoices),
            "payments" => Some(ImportKind::Payments),
            _ => None,
        }
    }

    /// The canonical columns, required ones first.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Customers => &[
                "reference",
                "name",
                "kind",
                "language",
                "email",
                "phone",
                "address",
                "postal_code",
                "city",
                "country",
                "payment_method",
                "payment_terms_days",
                "contact_name",
                "contact_email",
                "contact_phone",
                "payment_notes",
                "credit_limit",
                "on_hold",
                "hold_reason",
                "siren",
                "vat_number",
            ],
            ImportKind::Invoices => &[
                "number",
                "customer_reference",
                "issue_date",
                "due_date",
                "total",
                "net",
                "currency",
                "reference",
                "notes",
            ],
            ImportKind::Payments => &[
                "customer_reference",
                "date",
                "amount",
                "currency",
                "method",
                "reference",
                "invoice_number",
                "keep_as_credit",
                "note",
            ],
        }
    }

    pub fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Customers => &["reference", "name"],
            ImportKind::Invoices => &["number", "customer_reference", "issue_date", "total"],
            ImportKind::Payments => &["customer_reference", "date", "amount"],
        }
    }

    /// Other names accepted for a canonical column (after normalisation).
    fn synonym(self, header: &str) -> Option<&'static str> {
        let common: &[(&str, &str)] = &[
            ("e_mail", "email"),
            ("mail", "email"),
            ("courriel", "email"),
            ("telephone", "phone"),
            ("tel", "phone"),
            ("adresse", "address"),
            ("code_postal", "postal_code"),
            ("cp", "postal_code"),
            ("zip", "postal_code"),
            ("ville", "city"),
            ("pays", "country"),
            ("devise", "currency"),
            ("client", "customer_reference"),
            ("customer", "customer_reference"),
            ("ref_client", "customer_reference"),
            ("reference_client", "customer_reference"),
            ("code_client", "customer_reference"),
            ("remarques", "notes"),
        ];
        let specific: &[(&str, &str)] = match self {
            ImportKind::Customers => &[
                ("ref", "reference"),
                ("code_client", "reference"),
                ("reference_client", "reference"),
                ("nom", "name"),
                ("raison_sociale", "name"),
                ("type", "kind"),
                ("langue", "language"),
                ("mode_de_paiement", "payment_method"),
                ("delai_de_paiement", "payment_terms_days"),
                ("contact", "contact_name"),
                ("plafond", "credit_limit"),
                ("encours_autorise", "credit_limit"),
                ("notes", "payment_notes"),
                ("tva_intracommunautaire", "vat_number"),
                ("numero_tva", "vat_number"),
                ("tva_intracom", "vat_number"),
                ("vat", "vat_number"),
            ],
            ImportKind::Invoices => &[
                ("numero", "number"),
                ("invoice_number", "number"),
                ("facture", "number"),
                ("date", "issue_date"),
                ("date_facture", "issue_date"),
                ("date_emission", "issue_date"),
                ("invoice_date", "issue_date"),
                ("echeance", "due_date"),
                ("date_echeance", "due_date"),
                ("montant", "total"),
                ("montant_ttc", "total"),
                ("total_ttc", "total"),
                ("amount", "total"),
                ("montant_ht", "net"),
                ("total_ht", "net"),
                ("bon_de_commande", "reference"),
                ("po", "reference"),
            ],
            ImportKind::Payments => &[
                ("date_paiement", "date"),
                ("date_reglement", "date"),
                ("payment_date", "date"),
                ("montant", "amount"),
                ("mode", "method"),
                ("mode_de_paiement", "method"),
                ("payment_method", "method"),
                ("facture", "invoice_number"),
                ("numero_facture", "invoice_number"),
                ("avoir_client", "keep_as_credit"),
                ("notes", "note"),
            ],
        };
        specific
            .iter()
            .chain(common.iter())
            .find(|(k, _)| *k == header)
            .map(|(_, v)| *v)
            .filter(|c| self.columns().contains(c))
    }
}

fn normalize_header(h: &str) -> String {
    h.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' | 'ä' => 'a',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '-' | '.' | '\'' | '’' => '_',
            c => c,
        })
        .collect::<String>()
        .trim_matches('_')
        .to_string()
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub kind: ImportKind,
    #[ts(type = "number")]
    pub rows: usize,
    pub dry_run: bool,
}

/// Decodes a CSV file's bytes: refuses binary and empty files, strips a UTF-8 BOM.
fn decode(bytes: &[u8]) -> Result<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(Error::invalid("file", Msg::CsvBinary));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::invalid("file", Msg::CsvBinary))?;
    if text.trim().is_empty() {
        return Err(Error::invalid("file", Msg::CsvEmpty));
    }
    Ok(text)
}

fn delimiter(header_line: &str) -> u8 {
    let count = |c| header_line.matches(c).count();
    let (semi, comma, tab) = (count(';'), count(','), count('\t'));
    if tab > semi && tab > comma {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// Line numbers of a file's records, counting LF, CRLF and a lone CR each as one line end (the
/// csv crate's own count is one short after CRLF). Records arrive in file order, so it counts
/// forward from the previous record instead of from the top: linear over the whole file.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line where the record at byte `offset` starts.
    fn at(&mut self, offset: u64) -> usize {
        let bytes = self.bytes;
        let mut start = (offset as usize).min(bytes.len());
        // A record's position can point at the end of the previous line's terminator.
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        // `pos` is always a record start, never inside a CRLF, so no pair is split.
        let chunk = &bytes[self.pos..start];
        let crlf = chunk.windows(2).filter(|w| w == b"\r\n").count();
        self.line += chunk.iter().filter(|&&b| b == b'\n' || b == b'\r').count() - crlf;
        self.pos = start;
        self.line
    }
}

/// Undoes the neutralisation that [`export`] applies: one leading apostrophe goes when it
/// protects a formula sign or another apostrophe (a cell that really began with `'=` was
/// exported as `''=` and comes back whole). An apostrophe typed by hand before ordinary
/// text stays.
fn unneutralize(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\'']) => rest,
        _ => cell,
    }
}

/// The line where a quoted cell opens and never closes, if any (the CSV reader would
/// otherwise swallow the rest of the file into one cell, reported as a wrong value). Follows
/// the reader's rules: a quote opens a cell only at its start, `""` inside is a quote.
fn unterminated_quote(text: &str, delimiter: u8) -> Option<usize> {
    #[derive(PartialEq)]
    enum At {
        Start,
        Plain,
        Quoted,
        QuoteInQuoted,
    }
    let delimiter = char::from(delimiter);
    let mut at = At::Start;
    let (mut line, mut opened_at) = (1, 0);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        at = match (at, c) {
            (At::Quoted, '"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, '"') => At::Quoted,
            (At::Start, '"') => {
                opened_at = line;
                At::Quoted
            }
            (_, '\n') => At::Start,
            (_, c) if c == delimiter => At::Start,
            _ => At::Plain,
        };
    }
    (at == At::Quoted).then_some(opened_at)
}

/// From this many lines, an import of customers or invoices builds the table's indexes once
/// at the end rather than row by row ([`crate::store::drop_indexes`])…
const BULK_ROWS: usize = 10_000;

/// …when the file brings at least a quarter of what the table holds: building an index
/// sorts every row, the old ones too (10,000 invoices into a ledger of a million are
/// cheaper inserted one by one).
fn bulk(tx: &Connection, table: &str, text: &str) -> Result<bool> {
    let lines = line_count(text);
    if lines < BULK_ROWS {
        return Ok(false);
    }
    let held: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(lines as i64 * 4 >= held)
}

/// The file's lines as the reader splits them: LF or CRLF, or CR alone.
fn line_count(text: &str) -> usize {
    let lf = text.bytes().filter(|&b| b == b'\n').count();
    if lf > 0 {
        lf
    } else {
        text.bytes().filter(|&b| b == b'\r').count()
    }
}

/// Past this many lines (the header counted), an import of payments into a server ledger
/// sets the balances' trigger aside ([`InsertedPayments`]; why this many:
/// [`crate::invoices::kept::SERVER_BULK_PAYMENTS`]).
const SERVER_BULK_PAYMENTS: usize = crate::invoices::kept::SERVER_BULK_PAYMENTS;

/// The caches every invoice inserted updates through a trigger (its wake date, its
/// customer's marks and balance), set aside for a bulk import of invoices and then updated
/// once for every invoice it inserted: the same rows, without a trigger run and a statement
/// journal per invoice ([`crate::store::drop_triggers`]).
///
/// On a server, every import of invoices sets aside only the balances' triggers, by a
/// setting of its transaction ([`crate::invoices::kept::step_aside`]; dropping a trigger
/// is the owner's alone): each invoice moved its due date's row, one row rewritten again
/// and again in one transaction, which PostgreSQL makes quadratic. The others (a row per
/// invoice or per customer) stay.
enum InsertedInvoices {
    /// On a server: the balances' triggers stepped aside; the highest invoice id before
    /// the import (those it inserts come after).
    Server { last_id: i64 },
    /// On a file: the triggers dropped, to create again.
    File { last_id: i64, triggers: Vec<String> },
}

impl InsertedInvoices {
    fn set_aside(tx: &Connection) -> Result<InsertedInvoices> {
        if tx.dialect() == crate::store::sql::Dialect::Postgres {
            // (the invoices locked first: the import's start read after)
            crate::invoices::kept::step_aside(tx, crate::invoices::kept::Bulk::Invoices)?;
            return Ok(InsertedInvoices::Server {
                last_id: crate::store::last_id(tx, "invoices")?,
            });
        }
        let last_id = crate::store::last_id(tx, "invoices")?;
        let [segment, habits] = crate::views::segments::INVOICE_INSERT_TRIGGERS;
        let triggers = crate::store::drop_triggers(
            tx,
            &[
                crate::dunning::wake::INSERT_TRIGGER,
                segment,
                habits,
                crate::invoices::kept::INVOICE_INSERT_TRIGGER,
                crate::dunning::kept::INVOICE_INSERT_TRIGGER,
                crate::bank::kept::INVOICE_INSERT_TRIGGER,
                crate::views::day_sums::INVOICE_INSERT_TRIGGER,
            ],
        )?;
        Ok(InsertedInvoices::File { last_id, triggers })
    }

    fn catch_up(self, tx: &Connection) -> Result<()> {
        match self {
            InsertedInvoices::Server { last_id } => {
                crate::invoices::kept::add_invoices_since(tx, last_id)?;
                crate::views::day_sums::invoices_since(tx, last_id)?;
                crate::invoices::kept::step_back(tx)
            }
            InsertedInvoices::File { triggers, .. } if triggers.is_empty() => Ok(()),
            InsertedInvoices::File { last_id, triggers } => {
                crate::dunning::wake::opened_since(tx, last_id)?;
                crate::views::segments::mark_invoices_since(tx, last_id)?;
                crate::invoices::kept::add_invoices_since(tx, last_id)?;
                crate::views::day_sums::invoices_since(tx, last_id)?;
                crate::dunning::kept::forget_in(tx)?;
                crate::bank::kept::forget_in(tx)?;
                crate::store::create_again(tx, &triggers)
            }
        }
    }
}

/// The caches each payment keeps by trigger as it settles invoices (the marks of its
/// customers, their balances and their due dates' rows, the settled invoices' wake dates),
/// set aside for a bulk import of payments and then brought up to date once for every
/// allocation it inserted. The settling itself (`allocations_settle`) and the paid date
/// (`invoices_paid_on`) stay: each payment without an invoice named reads the open invoices
/// as the ones before left them. On a server, as for [`InsertedInvoices`], an import of more
/// than [`SERVER_BULK_PAYMENTS`] lines sets aside only the balances' trigger (each
/// allocation moved its due date's row: 1.85 ms an allocation at 5,000, quadratic), then
/// sums them again once.
enum InsertedPayments {
    /// On a server: the balances' trigger stepped aside.
    Server(crate::invoices::kept::SettledAside),
    /// On a file: the triggers dropped, to create again, and the highest payment and
    /// allocation ids before the import.
    File {
        last_payment: i64,
        last_allocation: i64,
        triggers: Vec<String>,
    },
}

impl InsertedPayments {
    fn set_aside(tx: &Connection) -> Result<InsertedPayments> {
        // (on a server, the invoices locked first: the import's start read after)
        if let Some(aside) = crate::invoices::kept::SettledAside::begin(tx)? {
            return Ok(InsertedPayments::Server(aside));
        }
        let (last_payment, last_allocation) = (
            crate::store::last_id(tx, "payments")?,
            crate::store::last_id(tx, "allocations")?,
        );
        let mut names: Vec<&str> = crate::views::segments::PAYMENT_TRIGGERS.to_vec();
        names.extend(crate::dunning::wake::SETTLE_TRIGGERS);
        names.push(crate::invoices::kept::INVOICE_UPDATE_TRIGGER);
        names.push(crate::dunning::kept::INVOICE_UPDATE_TRIGGER);
        names.push(crate::bank::kept::INVOICE_UPDATE_TRIGGER);
        names.push(crate::views::day_sums::ALLOCATION_INSERT_TRIGGER);
        let triggers = crate::store::drop_triggers(tx, &names)?;
        Ok(InsertedPayments::File {
            last_payment,
            last_allocation,
            triggers,
        })
    }

    fn catch_up(self, tx: &Connection) -> Result<()> {
        match self {
            InsertedPayments::Server(aside) => aside.catch_up(tx),
            InsertedPayments::File { triggers, .. } if triggers.is_empty() => Ok(()),
            InsertedPayments::File {
                last_payment,
                last_allocation,
                triggers,
            } => {
                crate::views::segments::mark_payments_since(tx, last_payment, last_allocation)?;
                // (no settlement difference comes from a file of payments)
                let last_difference = crate::store::last_id(tx, "settlement_differences")?;
                crate::invoices::kept::settled_since(tx, last_allocation, last_difference)?;
                crate::dunning::wake::settled_since(tx, last_allocation)?;
                crate::views::day_sums::allocations_since(tx, last_allocation)?;
                crate::dunning::kept::forget_in(tx)?;
                crate::bank::kept::forget_in(tx)?;
                crate::store::create_again(tx, &triggers)
            }
        }
    }
}

/// Imports a CSV file. On any bad row nothing is written and every bad row is reported.
pub fn import(
    conn: &mut Connection,
    kind: ImportKind,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport> {
    let text = decode(bytes)?;
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = delimiter(header_line);
    if let Some(line) = unterminated_quote(text, delimiter) {
        return Err(Error::invalid("file", Msg::CsvUnterminatedQuote(line)));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid("file", Msg::CsvMalformed(e.to_string())))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut unnamed: Vec<usize> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let norm = normalize_header(h);
        if norm.is_empty() {
            unnamed.push(i);
            continue;
        }
        let canonical = kind
            .columns()
            .iter()
            .find(|c| **c == norm)
            .copied()
            .or_else(|| kind.synonym(&norm))
            .ok_or_else(|| Error::invalid("header", Msg::CsvUnknownColumn(h.trim().to_string())))?;
        // Two headers for one column ("name,name", or "client" and "customer_reference"):
        // which one wins would be a guess.
        if index.insert(canonical, i).is_some() {
            return Err(Error::invalid(
                "header",
                Msg::CsvDuplicateColumn(h.trim().to_string()),
            ));
        }
    }
    let missing: Vec<String> = kind
        .required()
        .iter()
        .filter(|c| !index.contains_key(*c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid("header", Msg::CsvMissingColumns(missing)));
    }

    let currency = settings::default_currency(conn)?;
    // Many rows into customers or invoices: their indexes built once at the end (nothing
    // the row checks reads them; a number or reference already taken is still refused by
    // its UNIQUE constraint). A failed import rolls the drop back with the rows.
    let table = match kind {
        ImportKind::Customers => Some("customers"),
        ImportKind::Invoices => Some("invoices"),
        ImportKind::Payments => None,
    };
    let is_bulk = match table {
        Some(table) => bulk(conn, table, text)?,
        None => false,
    };
    // Many payments: the caches their allocations keep by trigger brought up to date once
    // at the end, from the open invoices of the customers and due dates they settled (read
    // through their indexes: worth it when the file brings a quarter of the invoices held,
    // as for the invoices' indexes).
    let bulk_payments = kind == ImportKind::Payments && bulk(conn, "invoices", text)?;
    // The indexes' sorts in temporary files ([`crate::store::create_again`]): set before the
    // transaction begins (SQLite refuses it inside one), back after it ends. Invoices only:
    // their rows then fire no trigger; each statement of 50 rows (`invoices::insert_batch`)
    // may still fail half way and keeps a statement journal, which goes to a file past
    // 64 KiB (measured with it: a million invoices in 13.6 s).
    let on_disk = is_bulk && kind == ImportKind::Invoices;
    if on_disk {
        crate::store::sort_on_disk(conn, true)?;
    }
    let imported = (|| -> Result<ImportReport> {
        let tx = conn.transaction()?;
        tx.generic_plans()?;
        let dropped = match table {
            Some(table) if is_bulk => crate::store::drop_indexes(&tx, table)?,
            _ => Vec::new(),
        };
        // And the caches an invoice's insert keeps by trigger, brought up to date once at the end.
        let caches = match kind {
            ImportKind::Invoices
                if is_bulk || tx.dialect() == crate::store::sql::Dialect::Postgres =>
            {
                Some(InsertedInvoices::set_aside(&tx)?)
            }
            _ => None,
        };
        let settled = match kind {
            ImportKind::Payments
                if bulk_payments
                    || (tx.dialect() == crate::store::sql::Dialect::Postgres
                        && line_count(text) > SERVER_BULK_PAYMENTS) =>
            {
                Some(InsertedPayments::set_aside(&tx)?)
            }
            _ => None,
        };
        let mut errors = Vec::new();
        let mut rows = 0usize;
        let mut lines = Lines::new(text);
        // (many invoices: every customer read at once)
        let mut known = if kind == ImportKind::Invoices && is_bulk {
            invoices::Lookups::every_customer(&tx)?
        } else {
            invoices::Lookups::default()
        };
        // Invoice rows checked, waiting to be stored together, with their lines.
        let mut waiting: Vec<(usize, NewInvoice)> = Vec::new();
        for result in reader.records() {
            let record = match result {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                    errors.push(RowError {
                        line,
                        field: "row".into(),
                        msg: Msg::CsvMalformed(e.to_string()),
                    });
                    continue;
                }
            };
            let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            // Data under a column without a name would be dropped silently.
            if let Some(&col) = unnamed
                .iter()
                .find(|&&i| record.get(i).is_some_and(|c| !c.trim().is_empty()))
            {
                errors.push(RowError {
                    line,
                    field: "row".into(),
                    msg: Msg::CsvUnnamedColumn(col + 1),
                });
                continue;
            }
            rows += 1;
            let get = |col: &str| -> String {
                index
                    .get(col)
                    .and_then(|&i| record.get(i))
                    .map(|c| unneutralize(c.trim()).to_string())
                    .unwrap_or_default()
            };
            let outcome = match kind {
                ImportKind::Customers => tx.recoverable(|| import_customer(&tx, &get, currency)),
                // (checked here, stored with the rows around it: `store_invoices`)
                ImportKind::Invoices => {
                    check_invoice(&tx, &get, &mut known).map(|new| waiting.push((line, new)))
                }
                ImportKind::Payments => tx.recoverable(|| import_payment(&tx, &get)),
            };
            match outcome {
                Ok(()) => {}
                Err(Error::Invalid { field, msg }) => errors.push(RowError {
                    line,
                    field: csv_field(kind, &field),
                    msg,
                }),
                Err(other) => return Err(other),
            }
            if waiting.len() >= invoices::INSERT_BATCH {
                store_invoices(&tx, &mut waiting, &mut known, &mut errors)?;
            }
        }
        store_invoices(&tx, &mut waiting, &mut known, &mut errors)?;
        // (a row refused when its batch was stored comes after the lines read since)
        errors.sort_by_key(|e| e.line);
        if rows == 0 && errors.is_empty() {
            return Err(Error::invalid("file", Msg::CsvEmpty));
        }
        if !errors.is_empty() {
            return Err(Error::Import(errors));
        }
        if !dry_run {
            crate::store::create_again(&tx, &dropped)?;
            if let Some(caches) = caches {
                caches.catch_up(&tx)?;
            }
            if let Some(settled) = settled {
                settled.catch_up(&tx)?;
            }
            // (one row per day again: a server's payments added a row each)
            crate::views::day_sums::fold_in(&tx)?;
            tx.commit()?;
        }
        Ok(ImportReport {
            kind,
            rows,
            dry_run,
        })
    })();
    if on_disk {
        // Outside any transaction this cannot fail; if it did, the import stands and only
        // this connection's statement journals would go to a file.
        let _ = crate::store::sort_on_disk(conn, false);
    }
    imported
}

/// Names the CSV column for an engine field, so the error matches the file's vocabulary.
fn csv_field(kind: ImportKind, field: &str) -> String {
    match (kind, field) {
        (ImportKind::Invoices | ImportKind::Payments, "customer") => "customer_reference".into(),
        (ImportKind::Payments, f) if f.starts_with("allocations") => "invoice_number".into(),
        (_, f) => f.to_string(),
    }
}

fn import_customer(
    tx: &Connection,
    get: &dyn Fn(&str) -> String,
    currency: crate::money::Currency,
) -> Result<()> {
    let input = CustomerInput {
        reference: get("reference"),
        name: get("name"),
        kind: get("kind"),
        language: get("language"),
        email: get("email"),
        phone: get("phone"),
        address: get("address"),
        postal_code: get("postal_code"),
        city: get("city"),
        country: get("country"),
        payment_method: get("payment_method"),
        payment_terms_days: get("payment_terms_days"),
        contact_name: get("contact_name"),
        contact_email: get("contact_email"),
        contact_phone: get("contact_phone"),
        payment_notes: get("payment_notes"),
        credit_limit: get("credit_limit"),
        on_hold: validate::boolean("on_hold", &get("on_hold"))?,
        hold_reason: get("hold_reason"),
        payer_accounts: None,
        siren: get("siren"),
        vat_number: get("vat_number"),
        // An import writes what the file says, whoever changed the customer before.
        loaded_version: String::new(),
    };
    if input.reference.trim().is_empty() {
        return Err(Error::invalid("reference", Msg::Required));
    }
    customers::insert(tx, &NewCustomer::parse(&input, currency)?)?;
    Ok(())
}

/// An invoice row checked, to be stored with others ([`store_invoices`]).
fn check_invoice(
    tx: &Connection,
    get: &dyn Fn(&str) -> String,
    known: &mut invoices::Lookups,
) -> Result<NewInvoice> {
    let input = InvoiceInput {
        number: get("number"),
        customer: get("customer_reference"),
        issue_date: get("issue_date"),
        due_date: get("due_date"),
        total: get("total"),
        net: get("net"),
        currency: get("currency"),
        reference: get("reference"),
        notes: get("notes"),
    };
    let new = NewInvoice::parse_with(tx, &input, known)?;
    invoices::check_insert(tx, &new, known)?;
    Ok(new)
}

/// Stores the invoice rows waiting with one statement; where it is refused (a number taken,
/// by the ledger or by another row), one by one, each row refused named by its line. Leaves
/// none waiting.
fn store_invoices(
    tx: &crate::store::sql::Transaction,
    waiting: &mut Vec<(usize, NewInvoice)>,
    known: &mut invoices::Lookups,
    errors: &mut Vec<RowError>,
) -> Result<()> {
    let rows: Vec<&NewInvoice> = waiting.iter().map(|(_, new)| new).collect();
    match tx.recoverable(|| invoices::insert_batch(tx, &rows, known)) {
        Ok(()) => {}
        Err(Error::Invalid { .. }) => {
            for (line, new) in waiting.iter() {
                match tx.recoverable(|| invoices::insert_with(tx, new, known)) {
                    Ok(_) => {}
                    Err(Error::Invalid { field, msg }) => errors.push(RowError {
                        line: *line,
                        field: csv_field(ImportKind::Invoices, &field),
                        msg,
                    }),
                    Err(other) => return Err(other),
                }
            }
        }
        Err(other) => return Err(other),
    }
    waiting.clear();
    Ok(())
}

fn import_payment(tx: &crate::store::sql::Transaction, get: &dyn Fn(&str) -> String) -> Result<()> {
    let invoice = get("invoice_number");
    let input = PaymentInput {
        customer: get("customer_reference"),
        date: get("date"),
        amount: get("amount"),
        currency: get("currency"),
        method: get("method"),
        reference: get("reference"),
        note: get("note"),
        allocations: if invoice.is_empty() {
            vec![]
        } else {
            vec![AllocationInput {
                invoice,
                amount: String::new(),
            }]
        },
        keep_as_credit: validate::boolean("keep_as_credit", &get("keep_as_credit"))?,
    };
    payments::record_in(tx, &input)?;
    Ok(())
}

/// The aged balance as CSV: one line per customer, then the totals (customer "TOTAL");
/// amounts as decimal strings, names formula-safe.
pub fn aged_balance_csv(a: &crate::views::aged::AgedBalance) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    let mut header = vec!["customer", "customer_name"];
    header.extend(crate::views::aged::BUCKETS);
    header.extend(["total", "currency"]);
    w.write_record(&header).map_err(io)?;
    let mut rows: Vec<&crate::views::aged::AgedRow> = a.rows.iter().collect();
    rows.push(&a.totals);
    for r in rows {
        let customer = if r.customer.is_empty() {
            "TOTAL"
        } else {
            &r.customer
        };
        let mut record = vec![neutralize(customer), neutralize(&r.customer_name)];
        record.extend(r.amounts().map(str::to_string));
        record.push(a.currency.clone());
        w.write_record(&record).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// Neutralises a cell a spreadsheet would evaluate as a formula.
pub fn neutralize(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Every table of the ledger, from the schema itself (so a table added later is exported
/// without anyone remembering to).
fn all_tables(conn: &Connection) -> Result<Vec<String>> {
    crate::store::tables(conn)
}

/// The extension of a stored file, from its first bytes.
fn extension_of(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF") {
        "pdf"
    } else if bytes.starts_with(b"<?xml") {
        "xml"
    } else if bytes.starts_with(b"\x89PNG") {
        "png"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        "jpg"
    } else {
        "bin"
    }
}

/// Everything, so the data is never locked in: customers, invoices and payments in the
/// import format (`customers.csv`… re-import as they are), then **every table of the schema**
/// column for column as `tables/NAME.csv` (contracts, milestones, invoice lines and sequence,
/// archived documents, penalty charges, entered rates, templates, segments… whatever the
/// schema holds), each stored file (an archived PDF, the logo) as its own file under
/// `tables/NAME/ID.ext`, named in its cell. Returns (relative path, bytes); the shell writes
/// them.
pub fn export_all(conn: &Connection, as_of: NaiveDate) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for (name, kind) in [
        ("customers.csv", ImportKind::Customers),
        ("invoices.csv", ImportKind::Invoices),
        ("payments.csv", ImportKind::Payments),
    ] {
        files.push((name.to_string(), export(conn, kind, as_of)?));
    }
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    for table in all_tables(conn)? {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))?;
        let columns: Vec<String> = stmt.column_names()?;
        let id_column = columns.iter().position(|c| c == "id");
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(&columns).map_err(io)?;
        let mut rows = stmt.query([])?;
        let mut k = 0usize;
        while let Some(row) = rows.next()? {
            k += 1;
            let key = match id_column.map(|i| row.get_ref(i)) {
                Some(Ok(crate::store::sql::ValueRef::Integer(n))) => n.to_string(),
                _ => k.to_string(),
            };
            let mut cells = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                use crate::store::sql::ValueRef;
                cells.push(match row.get_ref(i)? {
                    ValueRef::Null => String::new(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(f) => f.to_string(),
                    ValueRef::Text(t) => neutralize(&String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => {
                        let name = format!("tables/{table}/{key}.{}", extension_of(b));
                        files.push((name.clone(), b.to_vec()));
                        name
                    }
                });
            }
            w.write_record(&cells).map_err(io)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        files.push((format!("tables/{table}.csv"), bytes));
    }
    Ok(files)
}

/// Exports as CSV with the canonical columns (comma-separated, UTF-8, ISO dates, dot decimals).
pub fn export(conn: &Connection, kind: ImportKind, as_of: NaiveDate) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    w.write_record(kind.columns()).map_err(io)?;
    let mut write = |cells: Vec<String>| -> Result<()> {
        w.write_record(cells.iter().map(|c| neutralize(c)))
            .map_err(io)
    };
    match kind {
        ImportKind::Customers => {
            for c in customers::all(conn)? {
                write(vec![
                    c.reference,
                    c.name,
                    c.kind.as_str().into(),
                    c.language.code().into(),
                    c.email,
                    c.phone,
                    c.address,
                    c.postal_code,
                    c.city,
                    c.country,
                    c.payment_method.as_str().into(),
                    c.payment_terms_days
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    c.contact_name,
                    c.contact_email,
                    c.contact_phone,
                    c.payment_notes,
                    c.credit_limit.unwrap_or_default(),
                    if c.on_hold { "yes" } else { "no" }.into(),
                    c.hold_reason,
                    c.siren,
                    c.vat_number,
                ])?;
            }
        }
        ImportKind::Invoices => {
            for i in invoices::all(conn, as_of)? {
                write(vec![
                    i.number,
                    i.customer_reference,
                    i.issue_date.to_string(),
                    i.due_date.to_string(),
                    i.total,
                    i.net.unwrap_or_default(),
                    i.currency,
                    i.reference,
                    i.notes,
                ])?;
            }
        }
        ImportKind::Payments => {
            // One row per allocation, plus one per unallocated remainder (kept as credit),
            // so that re-importing the export rebuilds the same settlements.
            let mut stmt = conn.prepare("SELECT id FROM payments ORDER BY date, id")?;
            let ids = stmt
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<crate::store::sql::Result<Vec<_>>>()?;
            for id in ids {
                let p = payments::get(conn, id)?;
                let base = |amount: String, invoice: String, credit: bool| {
                    vec![
                        p.customer_reference.clone(),
                        p.date.to_string(),
                        amount,
                        p.currency.clone(),
                        p.method.as_str().to_string(),
                        p.reference.clone(),
                        invoice,
                        if credit { "yes" } else { "no" }.to_string(),
                        p.note.clone(),
                    ]
                };
                for a in &p.allocations {
                    write(base(a.amount.clone(), a.invoice_number.clone(), false))?;
                }
                let cur = crate::money::Currency::parse(&p.currency)?;
                if cur.to_minor(p.unallocated.parse().unwrap_or_default(), "amount")? > 0 {
                    write(base(p.unallocated.clone(), String::new(), true))?;
                }
            }
        }
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{kept, kept_as_derived, rows};

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    const CUSTOMERS: &str = "\u{feff}Référence;Nom;Type;E-mail;Ville\nACME;Acme SARL;entreprise;compta@acme.fr;Lyon\nDUP;Jean Dupont;particulier;;Paris\n";

    /// The schema as SQLite keeps it: every table, index and trigger with its SQL.
    fn schema(conn: &Connection) -> Vec<(String, Option<String>)> {
        conn.prepare("SELECT name, sql FROM sqlite_schema ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_bulk_import_leaves_every_index_as_it_was_whether_it_lands_or_not() {
        let mut conn = crate::open_in_memory().unwrap();
        if conn.dialect() != crate::store::sql::Dialect::Sqlite {
            // The bulk path is a file's: a server imports row by row (`drop_indexes`).
            return;
        }
        let before = schema(&conn);
        let mut customers = String::from("reference,name\n");
        let mut invoices = String::from("number,customer_reference,issue_date,due_date,total\n");
        for i in 0..BULK_ROWS {
            customers.push_str(&format!("C{i},Client {i}\n"));
            invoices.push_str(&format!("F{i},C{},2026-01-05,2026-02-04,{i}.50\n", i % 50));
        }
        // A bad last row: nothing kept, the indexes back.
        let bad = format!("{customers}C0,Twice\n");
        assert!(import(&mut conn, ImportKind::Customers, bad.as_bytes(), false).is_err());
        assert_eq!(schema(&conn), before);
        assert_eq!(count(&conn, "customers"), 0);
        // A dry run: rows checked, nothing kept.
        import(&mut conn, ImportKind::Customers, customers.as_bytes(), true).unwrap();
        assert_eq!(schema(&conn), before);
        assert_eq!(count(&conn, "customers"), 0);
        import(
            &mut conn,
            ImportKind::Customers,
            customers.as_bytes(),
            false,
        )
        .unwrap();
        import(&mut conn, ImportKind::Invoices, invoices.as_bytes(), false).unwrap();
        assert_eq!(schema(&conn), before);
        assert_eq!(count(&conn, "invoices"), BULK_ROWS as i64);
        // The indexes hold every row: the planner's pick and a full scan agree.
        let by_index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM invoices INDEXED BY invoices_customer WHERE customer_id > 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(by_index, BULK_ROWS as i64);
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        // A number already taken, or taken twice in the file, is still refused by its
        // UNIQUE constraint meanwhile.
        let mut more = invoices.replace("\nF", "\nG");
        more.push_str("G0,C1,2026-01-05,2026-02-04,1\nF7,C1,2026-01-05,2026-02-04,1\n");
        match import(&mut conn, ImportKind::Invoices, more.as_bytes(), false) {
            Err(Error::Import(rows)) => assert_eq!(rows.len(), 2, "{rows:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&conn, "invoices"), BULK_ROWS as i64);
        assert_eq!(schema(&conn), before);
    }

    /// A bulk import, which reads every customer at once, finds or refuses each row's
    /// customer exactly as an import of a few rows does (customer by customer): a reference
    /// typed in another case of ASCII letters, or of other letters (which only the server's
    /// collation folds), an unknown one, an archived one.
    #[test]
    fn a_bulk_import_finds_each_rows_customer_as_a_few_rows_do() {
        let mut conn = crate::open_in_memory().unwrap();
        let customers = "reference,name\nACME,Acme\nÉcole-Sud,École\néTÉ,Été\nOLD,Old\n";
        import(
            &mut conn,
            ImportKind::Customers,
            customers.as_bytes(),
            false,
        )
        .unwrap();
        crate::customers::set_archived(
            &mut conn,
            "OLD",
            true,
            crate::error::Lang::En,
            crate::test_support::day("2026-01-01"),
        )
        .unwrap();
        let header = "number,customer_reference,issue_date,due_date,total\n";
        let odd = "X1,acme,2026-01-05,2026-02-04,1\nX2,ÉCOLE-SUD,2026-01-05,2026-02-04,1\n\
                   X3,ÉTÉ,2026-01-05,2026-02-04,1\nX4,NOPE,2026-01-05,2026-02-04,1\n\
                   X5,old,2026-01-05,2026-02-04,1\n";
        let mut many = format!("{header}{odd}");
        for i in 0..BULK_ROWS {
            many.push_str(&format!("F{i},Acme,2026-01-05,2026-02-04,1\n"));
        }
        assert!(bulk(&conn, "invoices", &many).unwrap(), "the bulk path");
        let few = format!("{header}{odd}");
        assert!(!bulk(&conn, "invoices", &few).unwrap(), "row by row");
        let refused = |text: &str, conn: &mut Connection| match import(
            conn,
            ImportKind::Invoices,
            text.as_bytes(),
            false,
        ) {
            Err(Error::Import(rows)) => rows
                .iter()
                .map(|e| format!("{} {} {:?}", e.line, e.field, e.msg))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let by_bulk = refused(&many, &mut conn);
        assert_eq!(by_bulk, refused(&few, &mut conn));
        // Unknown and archived refused on both engines; "ÉTÉ" for "éTÉ" found only where
        // the collation folds É (a server).
        assert!(
            by_bulk
                .iter()
                .any(|e| e.starts_with("5 customer_reference UnknownCustomer")),
            "{by_bulk:?}"
        );
        assert!(
            by_bulk
                .iter()
                .any(|e| e.starts_with("6 customer_reference CustomerArchived")),
            "{by_bulk:?}"
        );
        assert!(!by_bulk
            .iter()
            .any(|e| e.starts_with("2 ") || e.starts_with("3 ")));
        // Without the bad rows, every row lands on its customer.
        let good = many.replace(
            "X3,ÉTÉ,2026-01-05,2026-02-04,1\nX4,NOPE,2026-01-05,2026-02-04,1\n\
             X5,old,2026-01-05,2026-02-04,1\n",
            "",
        );
        import(&mut conn, ImportKind::Invoices, good.as_bytes(), false).unwrap();
        let on = |number: &str| -> String {
            conn.query_row(
                "SELECT c.reference FROM invoices i JOIN customers c ON c.id = i.customer_id
                 WHERE i.number = ?1",
                [number],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(on("X1"), "ACME");
        assert_eq!(on("X2"), "École-Sud");
        assert_eq!(on("F9"), "ACME");
    }

    /// 60 customers, 40 invoices of 30 of them, some paid, one partly, one written off;
    /// every cache as a refresh would leave it (no mark, every wake date computed).
    fn cache_ledger() -> Connection {
        let mut conn = crate::open_in_memory().unwrap();
        let mut customers = String::from("reference,name\n");
        for c in 0..60 {
            customers.push_str(&format!("C{c},Client {c}\n"));
        }
        import(
            &mut conn,
            ImportKind::Customers,
            customers.as_bytes(),
            false,
        )
        .unwrap();
        let mut before = String::from("number,customer_reference,issue_date,due_date,total\n");
        for k in 0..40 {
            before.push_str(&format!(
                "P{k},C{},2026-01-02,2026-02-01,{}0.00\n",
                k % 30,
                k + 1
            ));
        }
        import(&mut conn, ImportKind::Invoices, before.as_bytes(), false).unwrap();
        // Some paid, one written off, every cache as a refresh would leave it.
        conn.execute_batch(
            "UPDATE invoices SET settled_minor = total_minor WHERE number IN ('P3', 'P4');
             UPDATE invoices SET settled_minor = 500 WHERE number = 'P5';
             INSERT INTO invoice_closures (invoice_id, kind, on_date, reason)
                 SELECT id, 'write_off', '2026-03-01', '' FROM invoices WHERE number = 'P6';
             UPDATE agenda_wake SET wake_on = '2026-04-01';
             DELETE FROM segment_dirty; DELETE FROM habits_dirty;",
        )
        .unwrap();
        conn
    }

    /// Any import of invoices keeps the kept sums (the balances per customer, per due date
    /// and per earliest due date) as they derive from the invoices, on either engine: on a
    /// server it sets the balances' triggers aside for its transaction and moves the sums
    /// once at its end, grouped (server migration 55). Many invoices share a due date and
    /// customers their earliest one, in two currencies, for customers with invoices from
    /// before (some paid, one written off) and without; then the triggers are back.
    #[test]
    fn an_import_of_invoices_keeps_the_kept_sums_as_they_derive() {
        let mut conn = cache_ledger();
        let mut file =
            String::from("number,customer_reference,issue_date,due_date,total,currency\n");
        for i in 0..300 {
            let currency = if i % 5 == 0 { "USD" } else { "EUR" };
            // Customers C0–C49: C30–C49 had no invoice; three due dates, one before the
            // invoices from before (C0–C29's earliest due date moves), two after.
            file.push_str(&format!(
                "Q{i},C{},2026-01-0{},{},{}.{:02},{currency}\n",
                i % 50,
                1 + i % 3,
                ["2026-01-15", "2026-03-01", "2026-03-31"][i % 3],
                10 + i % 97,
                i % 100
            ));
        }
        import(&mut conn, ImportKind::Invoices, file.as_bytes(), false).unwrap();
        let imported = kept_as_derived(&mut conn);
        assert!(
            imported[1].len() >= 6 && imported[2].len() >= 3,
            "{:?}",
            &imported[1..]
        );
        // The triggers are back: an invoice recorded after moves the sums.
        crate::invoices::create(
            &conn,
            &crate::invoices::InvoiceInput {
                number: "AFTER".into(),
                customer: "C55".into(),
                issue_date: "2026-01-05".into(),
                due_date: "2026-01-10".into(),
                total: "12.34".into(),
                ..Default::default()
            },
            crate::test_support::day("2026-01-05"),
        )
        .unwrap();
        assert_eq!(
            crate::views::balances::verify(&conn, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
        assert_ne!(kept(&conn), imported);
    }

    /// A fresh ledger on the test server with [`CUSTOMERS`] (its address, and a session on
    /// it); `None`, said, when no server is set.
    fn server_ledger() -> Option<(String, Connection)> {
        let Some(server) = std::env::var(crate::TEST_SERVER_ENV)
            .ok()
            .filter(|s| !s.is_empty())
        else {
            eprintln!("skipped: RELANCE_TEST_SERVER is not set (./dev test sets it)");
            return None;
        };
        let address = crate::store::fresh_server_database(&server).unwrap();
        let mut conn = crate::open_server(&address).unwrap();
        import(
            &mut conn,
            ImportKind::Customers,
            CUSTOMERS.as_bytes(),
            false,
        )
        .unwrap();
        Some((address, conn))
    }

    /// On a server, an import that set the balances' triggers aside holds every other
    /// change of the invoices off until it ends: an invoice added outside a transaction
    /// (which takes no writer's lock) would otherwise be counted by its own trigger and
    /// again by the import's catch-up (above the import's first id).
    #[test]
    fn a_server_import_with_its_triggers_aside_holds_other_invoice_writes_off() {
        let Some((address, mut importer)) = server_ledger() else {
            return;
        };
        let other = crate::open_server(&address).unwrap();
        other.execute_batch("SET lock_timeout = '300ms'").unwrap();
        // (each its own customer: no row of a cache the two would both write)
        let add = |c: &Connection, number: &str, customer: &str| {
            crate::invoices::create(
                c,
                &crate::test_support::inv(number, customer, "2026-01-02", "2026-02-01", "10"),
                crate::test_support::day("2026-01-02"),
            )
        };
        let tx = importer.transaction().unwrap();
        let aside = InsertedInvoices::set_aside(&tx).unwrap();
        add(&tx, "IMPORTED", "ACME").unwrap();
        let refused = add(&other, "MEANWHILE", "DUP");
        // (the server's lock timeout, said as a ledger busy elsewhere)
        assert!(matches!(refused, Err(Error::Busy)), "{refused:?}");
        aside.catch_up(&tx).unwrap();
        tx.commit().unwrap();
        add(&other, "AFTER", "DUP").unwrap();
        assert_eq!(
            crate::views::balances::verify(&other, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(count(&other, "invoices"), 2);
    }

    /// On a server, an import whose invoices the server's own work holds (a manual
    /// `VACUUM`, an index built concurrently: here another session's lock of the same mode,
    /// outside Relance's writers' lock) waits a bounded time, its session's own wait when
    /// shorter, then says why; nothing is written. The session's wait is set back once the
    /// lock is had.
    #[test]
    fn a_server_import_held_off_by_the_servers_maintenance_says_so() {
        let Some((address, mut importer)) = server_ledger() else {
            return;
        };
        let wait = |c: &Connection| -> String {
            c.query_row("SELECT current_setting('lock_timeout')", [], |r| r.get(0))
                .unwrap()
        };
        let tx = importer.transaction().unwrap();
        InsertedInvoices::set_aside(&tx).unwrap();
        assert_eq!(wait(&tx), "0", "no wait of its own: none set back");
        drop(tx);
        let maintenance = crate::open_server(&address).unwrap();
        maintenance
            .execute_batch("BEGIN; LOCK TABLE invoices IN SHARE UPDATE EXCLUSIVE MODE")
            .unwrap();
        let file = b"number,customer_reference,issue_date,total\nH1,ACME,2026-01-02,10.00\n";
        for own_wait in [None, Some("200ms")] {
            if let Some(w) = own_wait {
                importer
                    .execute_batch(&format!("SET lock_timeout = '{w}'"))
                    .unwrap();
            }
            let held = import(&mut importer, ImportKind::Invoices, file, false);
            assert!(
                matches!(
                    held,
                    Err(Error::Server(crate::error::ServerFault::InvoicesHeld))
                ),
                "{held:?}"
            );
            let said = held.unwrap_err().message(crate::Lang::Fr);
            assert!(
                said.contains("VACUUM") && said.contains("enregistré"),
                "{said}"
            );
            assert_eq!(count(&importer, "invoices"), 0);
        }
        maintenance.execute_batch("COMMIT").unwrap();
        let tx = importer.transaction().unwrap();
        InsertedInvoices::set_aside(&tx).unwrap();
        assert_eq!(wait(&tx), "200ms", "the session's own wait, set back");
        drop(tx);
        import(&mut importer, ImportKind::Invoices, file, false).unwrap();
        assert_eq!(count(&importer, "invoices"), 1);
    }

    /// Any import of payments keeps the kept sums as they derive, on either engine: on a
    /// server, from [`SERVER_BULK_PAYMENTS`] lines, it sets the balances' update trigger
    /// aside for its transaction and sums the settled customers' balances, due dates' rows
    /// and earliest due dates again once at its end. Payments naming their invoice or not,
    /// in two currencies, many invoices sharing a due date: some customers pay everything
    /// (their balance row goes), some their earliest invoices (their earliest due date
    /// moves), others a part; then the trigger is back.
    #[test]
    fn an_import_of_payments_keeps_the_kept_sums_as_they_derive() {
        let mut conn = cache_ledger();
        // Customer C(i % 50)'s invoices Q(i), all in one currency (i % 5); due on the 15th
        // of January (i / 50 even) or the 1st of March. C0–C29 also owe their P invoices
        // from before, due on the 1st of February.
        let amount = |i: usize| 10 + i % 40;
        let mut invoices =
            String::from("number,customer_reference,issue_date,due_date,total,currency\n");
        for i in 0..400 {
            let currency = if i % 5 == 0 { "USD" } else { "EUR" };
            invoices.push_str(&format!(
                "Q{i},C{},2026-01-02,{},{}.00,{currency}\n",
                i % 50,
                ["2026-01-15", "2026-03-01"][(i / 50) % 2],
                amount(i)
            ));
        }
        import(&mut conn, ImportKind::Invoices, invoices.as_bytes(), false).unwrap();
        let before = kept(&conn);
        let mut payments = String::from("customer_reference,date,amount,currency,invoice_number\n");
        let mut pay = |c: usize, amount: String, invoice: String| {
            let currency = if c.is_multiple_of(5) { "USD" } else { "EUR" };
            payments.push_str(&format!("C{c},2026-02-05,{amount},{currency},{invoice}\n"));
        };
        for i in 0..400 {
            let c = i % 50;
            match c {
                // C40–C49 pay every invoice, in full, by name: their balance goes.
                40.. => pay(c, format!("{}.00", amount(i)), format!("Q{i}")),
                // C30–C39 pay their invoices due in January: their earliest date moves.
                30.. if (i / 50) % 2 == 0 => pay(c, format!("{}.00", amount(i)), format!("Q{i}")),
                30.. => {}
                // C0–C29 pay a part, by name or to their oldest invoices.
                _ if i % 3 == 0 => pay(c, "0.50".into(), String::new()),
                _ => pay(c, "0.25".into(), format!("Q{i}")),
            }
        }
        // Small payments to the oldest invoices, up to past the server's threshold.
        for k in 0..SERVER_BULK_PAYMENTS {
            pay(k % 30, "0.01".into(), String::new());
        }
        import(&mut conn, ImportKind::Payments, payments.as_bytes(), false).unwrap();
        let imported = kept_as_derived(&mut conn);
        assert_ne!(imported, before, "the payments moved the kept sums");
        let balance_of = |c: &str| -> Vec<(i64, String)> {
            conn.prepare(
                "SELECT b.open_count, b.oldest_due FROM customer_balances b
                  JOIN customers c ON c.id = b.customer_id WHERE c.reference = ?1",
            )
            .unwrap()
            .query_map([c], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap()
        };
        assert_eq!(balance_of("C41"), [], "every invoice paid: no balance row");
        assert_eq!(balance_of("C31"), [(4, "2026-03-01".to_string())]);
        // The trigger is back: a payment recorded after moves the sums.
        import(
            &mut conn,
            ImportKind::Payments,
            b"customer_reference,date,amount,invoice_number\nC31,2026-02-10,1.00,Q81\n",
            false,
        )
        .unwrap();
        crate::invoices::payments::record(
            &mut conn,
            &crate::invoices::payments::PaymentInput {
                customer: "C2".into(),
                date: "2026-02-11".into(),
                amount: "12.00".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            crate::views::balances::verify(&conn, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
    }

    /// The bulk path sets the insert triggers aside and updates their caches once: the
    /// caches then hold exactly what the same rows imported through the triggers give, in a
    /// ledger that already had invoices, some paid, one written off.
    #[test]
    fn a_bulk_import_of_invoices_keeps_the_caches_as_the_triggers_would() {
        if crate::open_in_memory().unwrap().dialect() != crate::store::sql::Dialect::Sqlite {
            // The bulk path is a file's: a server keeps its triggers.
            return;
        }
        let mut lines = Vec::new();
        for i in 0..BULK_ROWS {
            let currency = if i % 7 == 0 { "USD" } else { "EUR" };
            // Customers C0–C44 only: some have invoices from before, some none yet.
            lines.push(format!(
                "N{i},C{},2026-02-0{},2026-03-0{},{}.{:02},{currency}\n",
                i % 45,
                1 + i % 9,
                1 + i % 9,
                1 + i % 997,
                i % 100
            ));
        }
        let header = "number,customer_reference,issue_date,due_date,total,currency\n";
        let mut bulk_ledger = cache_ledger();
        let all = format!("{header}{}", lines.concat());
        assert!(
            bulk(&bulk_ledger, "invoices", &all).unwrap(),
            "the bulk path"
        );
        import(
            &mut bulk_ledger,
            ImportKind::Invoices,
            all.as_bytes(),
            false,
        )
        .unwrap();
        let mut row_ledger = cache_ledger();
        for half in lines.chunks(BULK_ROWS / 2) {
            let part = format!("{header}{}", half.concat());
            assert!(!bulk(&row_ledger, "invoices", &part).unwrap(), "row by row");
            import(
                &mut row_ledger,
                ImportKind::Invoices,
                part.as_bytes(),
                false,
            )
            .unwrap();
        }
        same_caches(&bulk_ledger, &row_ledger, &[]);
    }

    /// The caches two ledgers keep (the same rows in every one), and the balances of the
    /// first as derived from its invoices; `more` are other reads to compare, each with at
    /// least this many rows (a comparison of next to nothing proves nothing).
    fn same_caches(bulk_ledger: &Connection, row_ledger: &Connection, more: &[(&str, usize)]) {
        for &(sql, least) in [
            ("SELECT * FROM agenda_wake ORDER BY invoice_id", 40),
            ("SELECT * FROM segment_dirty ORDER BY customer_id", 40),
            ("SELECT * FROM habits_dirty ORDER BY customer_id", 40),
            (
                "SELECT * FROM customer_balances ORDER BY customer_id, currency",
                40,
            ),
            ("SELECT * FROM due_balances ORDER BY currency, due_date", 10),
            (
                "SELECT * FROM oldest_dues ORDER BY currency, oldest_due",
                10,
            ),
        ]
        .iter()
        .chain(more)
        {
            let (bulk_rows, trigger_rows) = (rows(bulk_ledger, sql), rows(row_ledger, sql));
            assert!(
                bulk_rows.len() > least,
                "{sql}: {} {bulk_rows:?}",
                bulk_rows.len()
            );
            assert_eq!(bulk_rows, trigger_rows, "{sql}");
        }
        assert_eq!(
            crate::views::balances::verify(bulk_ledger, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
    }

    /// A bulk import of payments sets aside the triggers that keep the caches as each
    /// allocation settles an invoice, and brings them up to date once: the caches, the
    /// invoices settled and their paid dates then hold exactly what the same rows imported
    /// through the triggers give. Payments name an invoice or let the oldest open ones take
    /// them, in two currencies, some beyond what is owed (kept as credit), some settling an
    /// invoice under a promise or one written off.
    #[test]
    fn a_bulk_import_of_payments_keeps_the_caches_as_the_triggers_would() {
        if crate::open_in_memory().unwrap().dialect() != crate::store::sql::Dialect::Sqlite {
            return;
        }
        let as_of = crate::test_support::day("2026-03-31");
        let ledger = || {
            let mut conn = cache_ledger();
            let mut invoices =
                String::from("number,customer_reference,issue_date,due_date,total,currency\n");
            for i in 0..12_000 {
                let currency = if i % 7 == 0 { "USD" } else { "EUR" };
                invoices.push_str(&format!(
                    "N{i},C{},2025-12-0{},2026-{:02}-{:02},{}.{:02},{currency}\n",
                    i % 45,
                    1 + i % 9,
                    1 + (i / 7) % 12,
                    1 + i % 28,
                    20 + i % 400,
                    i % 100
                ));
            }
            import(&mut conn, ImportKind::Invoices, invoices.as_bytes(), false).unwrap();
            for (customer, invoice) in [("C3", "N3"), ("C5", "N50"), ("C8", "N8")] {
                crate::dunning::promises::add(
                    &mut conn,
                    &crate::dunning::promises::PromiseInput {
                        customer: customer.into(),
                        invoices: vec![invoice.into()],
                        promised_date: "2026-04-15".into(),
                        amount: String::new(),
                        note: String::new(),
                    },
                    as_of,
                )
                .unwrap();
            }
            // A promise to pay C3's invoice made by another customer, who pays nothing
            // here: only the promise marks them.
            conn.execute_batch(
                "UPDATE promises SET customer_id = (SELECT id FROM customers WHERE reference = 'C50')
                  WHERE id = (SELECT MIN(id) FROM promises);
                 UPDATE agenda_wake SET wake_on = '2026-04-01';
                 DELETE FROM segment_dirty; DELETE FROM habits_dirty;",
            )
            .unwrap();
            conn
        };
        let mut lines = Vec::new();
        for i in 0..BULK_ROWS {
            // Every fourth names its invoice (the customer's own, in its currency); the
            // others go to the customer's oldest open invoices in their currency (every
            // customer has both, 4 and 45 being coprime; C6's written-off P6 among them).
            let named = i % 4 == 0;
            let currency = match named {
                true if i % 7 == 0 => "USD",
                true => "EUR",
                false if i % 5 == 0 => "USD",
                false => "EUR",
            };
            let invoice = if named {
                format!("N{i}")
            } else {
                String::new()
            };
            lines.push(format!(
                "C{},2026-03-{:02},{}.{:02},{currency},{invoice},true\n",
                i % 45,
                1 + i % 28,
                // (some customers pay much more than others: their oldest open due dates
                // then differ)
                (1 + i % 100) * (1 + (i % 45) / 5),
                i % 100
            ));
        }
        let header = "customer_reference,date,amount,currency,invoice_number,keep_as_credit\n";
        let mut bulk_ledger = ledger();
        let all = format!("{header}{}", lines.concat());
        assert!(
            bulk(&bulk_ledger, "invoices", &all).unwrap(),
            "the bulk path"
        );
        import(
            &mut bulk_ledger,
            ImportKind::Payments,
            all.as_bytes(),
            false,
        )
        .unwrap();
        let mut row_ledger = ledger();
        for half in lines.chunks(BULK_ROWS / 2) {
            let part = format!("{header}{}", half.concat());
            assert!(!bulk(&row_ledger, "invoices", &part).unwrap(), "row by row");
            import(
                &mut row_ledger,
                ImportKind::Payments,
                part.as_bytes(),
                false,
            )
            .unwrap();
        }
        let paid: i64 = bulk_ledger
            .query_row(
                "SELECT COUNT(*) FROM invoices WHERE paid_on IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(paid > 1_000, "{paid} invoices paid");
        same_caches(
            &bulk_ledger,
            &row_ledger,
            &[
                (
                    "SELECT id, settled_minor, paid_on FROM invoices ORDER BY id",
                    12_000,
                ),
                ("SELECT * FROM allocations ORDER BY id", 10_000),
                (
                    "SELECT id, customer_id, date, currency, amount_minor, method FROM payments
                      ORDER BY id",
                    9_999,
                ),
                ("SELECT * FROM promise_invoices ORDER BY promise_id", 2),
                (
                    "SELECT type, name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name",
                    50,
                ),
                (
                    "SELECT i.settled_minor FROM invoices i
                       JOIN invoice_closures x ON x.invoice_id = i.id AND x.kind = 'write_off'
                      WHERE i.settled_minor > 0",
                    0,
                ),
                (
                    "SELECT customer_id FROM segment_dirty
                      WHERE customer_id = (SELECT id FROM customers WHERE reference = 'C50')",
                    0,
                ),
            ],
        );
        // The triggers are back: a payment recorded after moves the caches.
        let open = |c: &Connection| -> Option<i64> {
            use crate::store::sql::OptionalExtension;
            c.query_row(
                "SELECT open_minor FROM customer_balances
                  WHERE customer_id = (SELECT id FROM customers WHERE reference = 'C50')",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
        };
        assert_eq!(open(&bulk_ledger), None);
        import(
            &mut bulk_ledger,
            ImportKind::Invoices,
            b"number,customer_reference,issue_date,due_date,total\nZ1,C50,2026-03-01,2026-03-31,80.00\n",
            false,
        )
        .unwrap();
        import(
            &mut bulk_ledger,
            ImportKind::Payments,
            b"customer_reference,date,amount\nC50,2026-03-30,30.00\n",
            false,
        )
        .unwrap();
        assert_eq!(open(&bulk_ledger), Some(5000));
        assert_eq!(
            crate::views::balances::verify(&bulk_ledger, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn imports_french_semicolon_file_with_bom() {
        let mut conn = crate::open_in_memory().unwrap();
        let r = import(
            &mut conn,
            ImportKind::Customers,
            CUSTOMERS.as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(r.rows, 2);
        let c = customers::get_by_ref(&conn, "DUP").unwrap();
        assert_eq!(c.kind, customers::CustomerKind::Individual);
        let inv = "numero;client;date;echeance;montant\nF-1;ACME;15/01/2026;14/02/2026;1 234,56\nF-2;DUP;2026-01-20;2026-02-19;80\n";
        import(&mut conn, ImportKind::Invoices, inv.as_bytes(), false).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(
            invoices::get_by_number(&conn, "F-1", d).unwrap().total,
            "1234.56"
        );
        let pay = "customer_reference,date,amount,invoice_number\nACME,2026-02-01,234.56,F-1\n";
        import(&mut conn, ImportKind::Payments, pay.as_bytes(), false).unwrap();
        assert_eq!(
            invoices::get_by_number(&conn, "F-1", d).unwrap().balance,
            "1000.00"
        );
    }

    #[test]
    fn any_bad_row_imports_nothing_and_lists_every_bad_row() {
        let mut conn = crate::open_in_memory().unwrap();
        import(
            &mut conn,
            ImportKind::Customers,
            CUSTOMERS.as_bytes(),
            false,
        )
        .unwrap();
        let inv = "number,customer_reference,issue_date,due_date,total\n\
                   F-1,ACME,2026-01-15,2026-02-14,100\n\
                   F-2,NOPE,2026-01-15,2026-02-14,100\n\
                   F-3,ACME,2026-01-15,2026-01-14,100\n\
                   F-4,ACME,2026-01-15,2026-02-14,-5\n\
                   F-1,ACME,2026-01-15,2026-02-14,100\n\
                   F-6,ACME,2026-02-30,2026-03-14,100\n";
        let err = import(&mut conn, ImportKind::Invoices, inv.as_bytes(), false).unwrap_err();
        let Error::Import(rows) = err else {
            panic!("{err:?}")
        };
        let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "customer_reference"),
                (4, "due_date"),
                (5, "total"),
                (6, "number"),
                (7, "issue_date")
            ]
        );
        assert_eq!(count(&conn, "invoices"), 0);
    }

    /// Invoices are stored 50 rows to a statement (`invoices::insert_batch`): a number
    /// taken, by the ledger or by another row of the file, in any batch (the first, a middle
    /// one, the last and shorter one, across a batch's end), is still named by its line, in
    /// line order among the rows refused before it was stored; nothing is written. Without
    /// them, every row lands, whatever the count around a batch's size.
    #[test]
    fn invoices_stored_by_batches_name_each_number_taken_by_its_line() {
        let fresh = || {
            let mut conn = crate::open_in_memory().unwrap();
            import(
                &mut conn,
                ImportKind::Customers,
                CUSTOMERS.as_bytes(),
                false,
            )
            .unwrap();
            import(
                &mut conn,
                ImportKind::Invoices,
                b"number,customer_reference,issue_date,due_date,total\nOLD-1,ACME,2026-01-02,2026-02-01,5\n",
                false,
            )
            .unwrap();
            conn
        };
        let file = |numbers: &[String]| {
            let mut f = String::from("number,customer_reference,issue_date,due_date,total\n");
            for (k, n) in numbers.iter().enumerate() {
                // Line 30 (row 29) has a bad date: refused while its batch waits.
                let issue = if k == 28 { "2026-02-30" } else { "2026-01-15" };
                f.push_str(&format!("{n},DUP,{issue},2026-03-14,{}.50\n", k + 1));
            }
            f
        };
        let batch = crate::invoices::INSERT_BATCH;
        let mut numbers: Vec<String> = (0..3 * batch + 7).map(|k| format!("B-{k}")).collect();
        // Line numbers are rows + 1 (the header is line 1).
        numbers[3] = "OLD-1".into(); // taken by the ledger, in the first batch
        numbers[batch + 2] = "B-7".into(); // by a row of an earlier batch
        numbers[2 * batch - 1] = "B-100".into(); // by the row after it, in the same batch
        numbers[3 * batch + 5] = "B-151".into(); // in the last, shorter batch
        let mut conn = fresh();
        let err = import(
            &mut conn,
            ImportKind::Invoices,
            file(&numbers).as_bytes(),
            false,
        )
        .unwrap_err();
        let Error::Import(rows) = err else {
            panic!("{err:?}")
        };
        let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(
            got,
            [
                (5, "number"),
                (30, "issue_date"),
                (batch + 4, "number"),
                // B-100 is first written by line 101: the row after it is refused.
                (2 * batch + 2, "number"),
                (3 * batch + 7, "number"),
            ]
        );
        assert!(
            rows.iter()
                .any(|r| matches!(&r.msg, Msg::DuplicateInvoiceNumber(n) if n == "OLD-1")),
            "{rows:?}"
        );
        assert_eq!(count(&conn, "invoices"), 1);
        // Without them: every row, for counts around a batch's size.
        for n in [1, batch - 1, batch, batch + 1, 2 * batch] {
            let mut conn = fresh();
            let numbers: Vec<String> = (0..n).map(|k| format!("C-{k}")).collect();
            let ok = file(&numbers).replace("2026-02-30", "2026-01-15");
            let report = import(&mut conn, ImportKind::Invoices, ok.as_bytes(), false).unwrap();
            assert_eq!(report.rows, n);
            assert_eq!(count(&conn, "invoices"), n as i64 + 1);
            let total: i64 = conn
                .query_row(
                    "SELECT SUM(total_minor) FROM invoices WHERE number LIKE 'C-%'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(total, (1..=n as i64).map(|k| k * 100 + 50).sum::<i64>());
        }
    }

    #[test]
    fn bad_rows_are_named_by_their_line_whatever_the_line_ends() {
        // Excel and most exports write CRLF; the line numbers must match what an editor shows.
        for eol in ["\n", "\r\n", "\r"] {
            let mut conn = crate::open_in_memory().unwrap();
            import(
                &mut conn,
                ImportKind::Customers,
                CUSTOMERS.as_bytes(),
                false,
            )
            .unwrap();
            let inv = [
                "number,customer_reference,issue_date,due_date,total",
                "F-1,ACME,2026-01-15,2026-02-14,100",
                "F-2,ACME,2026-01-15,2026-01-10,100",
                "\"F-3\",ACME,2026-01-15,2026-02-14,abc",
            ]
            .join(eol)
                + eol;
            let err = import(&mut conn, ImportKind::Invoices, inv.as_bytes(), false).unwrap_err();
            let Error::Import(rows) = err else {
                panic!("{err:?}")
            };
            let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
            assert_eq!(got, [(3, "due_date"), (4, "total")], "line ends {eol:?}");
        }
    }

    #[test]
    fn dry_run_checks_without_writing() {
        let mut conn = crate::open_in_memory().unwrap();
        let r = import(&mut conn, ImportKind::Customers, CUSTOMERS.as_bytes(), true).unwrap();
        assert!(r.dry_run);
        assert_eq!(r.rows, 2);
        assert_eq!(count(&conn, "customers"), 0);
    }

    #[test]
    fn refuses_empty_binary_and_bad_headers() {
        let mut conn = crate::open_in_memory().unwrap();
        let k = ImportKind::Customers;
        assert!(matches!(
            import(&mut conn, k, b"", false),
            Err(Error::Invalid {
                msg: Msg::CsvEmpty,
                ..
            })
        ));
        assert!(matches!(
            import(&mut conn, k, b"reference,name\n", false),
            Err(Error::Invalid {
                msg: Msg::CsvEmpty,
                ..
            })
        ));
        assert!(matches!(
            import(&mut conn, k, b"\x89PNG\r\n\x1a\n\0\0", false),
            Err(Error::Invalid {
                msg: Msg::CsvBinary,
                ..
            })
        ));
        assert!(matches!(
            import(&mut conn, k, b"name,city\nA,B\n", false),
            Err(Error::Invalid {
                msg: Msg::CsvMissingColumns(_),
                ..
            })
        ));
        assert!(matches!(
            import(&mut conn, k, b"reference,name,colour\nA,B,red\n", false),
            Err(Error::Invalid {
                msg: Msg::CsvUnknownColumn(_),
                ..
            })
        ));
        let ragged = b"reference,name\nA,B\nC,D,E\n";
        assert!(matches!(
            import(&mut conn, k, ragged, false),
            Err(Error::Import(_))
        ));
        assert_eq!(count(&conn, "customers"), 0);
    }

    #[test]
    fn export_all_holds_every_table_of_the_schema_row_for_row() {
        let mut conn = crate::open_in_memory().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        // Rows in the tables added since the first export: an archived letter, a penalty
        // invoice, an entered rate, a contract with its issued deposit, a wording.
        crate::documents::archive::produce(
            &mut conn,
            crate::documents::letters::LetterKind::FormalDemand,
            "F2026-0136",
            today,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        crate::interest::invoice_penalties(&mut conn, "F2026-0136", today).unwrap();
        crate::rates::add(&conn, "fr_legal_professional", "2026-07-01", "2.62").unwrap();
        crate::contracts::create(
            &mut conn,
            &crate::contracts::ContractInput {
                reference: "K1".into(),
                customer: "HOTL03".into(),
                title: "Salon".into(),
                signed_on: today.to_string(),
                total: "3000".into(),
                vat_rate: "20".into(),
                milestones: crate::contracts::template("thirds", today, crate::Lang::Fr).unwrap(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        let files = export_all(&conn, today).unwrap();
        let file = |name: &str| {
            files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone())
        };
        let tables = crate::store::tables(&conn).unwrap();
        for wanted in [
            "contracts",
            "milestones",
            "invoice_lines",
            "invoice_sequence",
            "documents",
            "penalty_charges",
            "rate_decisions",
            "letter_templates",
            "segment_overrides",
            "customer_segments",
        ] {
            assert!(tables.iter().any(|t| t == wanted), "no table {wanted}");
        }
        for t in &tables {
            let bytes =
                file(&format!("tables/{t}.csv")).unwrap_or_else(|| panic!("{t} not exported"));
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
            let columns = conn
                .prepare(&format!("SELECT * FROM \"{t}\" LIMIT 0"))
                .unwrap()
                .column_names()
                .unwrap();
            assert_eq!(header, columns, "{t}");
            let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
            let count: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            assert_eq!(rows.len() as i64, count, "{t}");
        }
        // Stored files come out byte for byte: every archived PDF.
        let pdfs: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT id, pdf FROM documents")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        assert!(!pdfs.is_empty());
        for (id, pdf) in pdfs {
            assert_eq!(
                file(&format!("tables/documents/{id}.pdf")).as_deref(),
                Some(&pdf[..])
            );
        }
        for t in [
            "contracts",
            "milestones",
            "invoice_lines",
            "penalty_charges",
            "rate_decisions",
        ] {
            let csv = String::from_utf8(file(&format!("tables/{t}.csv")).unwrap()).unwrap();
            assert!(csv.lines().count() > 1, "{t} exported empty");
        }
    }

    #[test]
    fn export_neutralizes_formulas_and_round_trips() {
        let mut conn = crate::open_in_memory().unwrap();
        let csv = "reference,name,phone,payment_notes\nX1,=HYPERLINK(\"http://evil\"),+33 1 23 45 67 89,@SUM(A1)\n";
        import(&mut conn, ImportKind::Customers, csv.as_bytes(), false).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let out = String::from_utf8(export(&conn, ImportKind::Customers, d).unwrap()).unwrap();
        assert!(
            out.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{out}"
        );
        assert!(out.contains("'+33 1 23 45 67 89"));
        assert!(out.contains("'@SUM(A1)"));
        let mut other = crate::open_in_memory().unwrap();
        import(&mut other, ImportKind::Customers, out.as_bytes(), false).unwrap();
        assert_eq!(
            customers::all(&other).unwrap(),
            customers::all(&conn).unwrap()
        );
    }

    /// A cell that really begins with an apostrophe (before a formula sign or not) comes
    /// back whole from export and re-import; it lost its apostrophe.
    #[test]
    fn apostrophes_survive_the_round_trip() {
        let conn = crate::open_in_memory().unwrap();
        for (r, notes) in [
            ("A1", "'=not a formula"),
            ("A2", "'quoted"),
            ("A3", "=A1+1"),
            ("A4", "''=two"),
        ] {
            customers::create(
                &conn,
                &customers::CustomerInput {
                    reference: r.into(),
                    name: format!("Customer {r}"),
                    payment_notes: notes.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let out = export(&conn, ImportKind::Customers, d).unwrap();
        let mut other = crate::open_in_memory().unwrap();
        import(&mut other, ImportKind::Customers, &out, false).unwrap();
        let notes = |c: &Connection| -> Vec<String> {
            customers::all(c)
                .unwrap()
                .into_iter()
                .map(|c| c.payment_notes)
                .collect()
        };
        assert_eq!(notes(&other), notes(&conn));
        assert_eq!(notes(&other)[0], "'=not a formula");
    }

    fn refusal(conn: &mut Connection, kind: ImportKind, csv: &str) -> Error {
        let e = import(conn, kind, csv.as_bytes(), false).unwrap_err();
        assert_eq!(count(conn, "customers"), 0, "nothing imported");
        e
    }

    /// Duplicate headers were accepted (the last one won); data under a column without a
    /// header was dropped; an unterminated quote was reported as "control characters".
    #[test]
    fn headers_and_quotes_are_checked() {
        let mut conn = crate::open_in_memory().unwrap();
        let e = refusal(
            &mut conn,
            ImportKind::Customers,
            "reference,name,name\nX,a,b\n",
        );
        assert!(
            matches!(e, Error::Invalid { msg: Msg::CsvDuplicateColumn(ref h), .. } if h == "name"),
            "{e:?}"
        );
        let e = refusal(
            &mut conn,
            ImportKind::Customers,
            "reference,nom,name\nX,a,b\n",
        );
        assert!(
            matches!(
                e,
                Error::Invalid {
                    msg: Msg::CsvDuplicateColumn(_),
                    ..
                }
            ),
            "{e:?}"
        );
        let e = refusal(
            &mut conn,
            ImportKind::Customers,
            "reference,name,\nX,Acme,\nY,Beta,lost\n",
        );
        match e {
            Error::Import(rows) => {
                assert_eq!(rows.len(), 1);
                assert_eq!((rows[0].line, &rows[0].msg), (3, &Msg::CsvUnnamedColumn(3)));
            }
            other => panic!("{other:?}"),
        }
        let e = refusal(
            &mut conn,
            ImportKind::Customers,
            "reference,name\nX,Acme\nY,\"Beta\nZ,Gamma\n",
        );
        assert!(
            matches!(
                e,
                Error::Invalid {
                    msg: Msg::CsvUnterminatedQuote(3),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.message(crate::Lang::En).contains("line 3"));
        // Quotes the reader takes literally are not mistaken for an open quote; a quoted cell
        // over two lines with an escaped quote is fine.
        let ok = "reference;name;address\nX;Screen 12\" wide;\"1 rue \"\"A\"\"\nLyon\"\n";
        import(&mut conn, ImportKind::Customers, ok.as_bytes(), false).unwrap();
        assert_eq!(customers::all(&conn).unwrap()[0].name, "Screen 12\" wide");
    }

    /// An invoice dated 2999 was accepted and exported, then refused on re-import. Dates out
    /// of the horizon are refused at entry, including a due date computed from the terms.
    #[test]
    fn dates_out_of_the_horizon_are_refused_on_entry() {
        let mut conn = crate::open_in_memory().unwrap();
        import(
            &mut conn,
            ImportKind::Customers,
            b"reference,name\nC1,Acme\n",
            false,
        )
        .unwrap();
        for (issue, due) in [
            ("2999-12-31", "2999-12-31"),
            ("1900-01-01", ""),
            ("2099-12-15", ""),
        ] {
            let csv = format!(
                "number,customer_reference,issue_date,due_date,total\nF1,C1,{issue},{due},10\n"
            );
            match import(&mut conn, ImportKind::Invoices, csv.as_bytes(), false) {
                Err(Error::Import(rows)) => {
                    assert!(
                        matches!(rows[0].msg, Msg::DateOutOfRange { .. }),
                        "{issue}: {:?}",
                        rows[0]
                    )
                }
                other => panic!("{issue}: {other:?}"),
            }
        }
    }

    /// A full disk or a read-only database: one clear message, nothing half-written, and
    /// the connection keeps working once the cause is gone.
    #[test]
    fn disk_full_and_read_only_are_clear_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::open(&dir.path().join("full.sqlite")).unwrap();
        let mut csv = String::from("reference,name,payment_notes\n");
        for i in 0..3000 {
            csv.push_str(&format!("C{i},Customer {i},{}\n", "x".repeat(200)));
        }
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update("max_page_count", pages + 5).unwrap();
        let e = import(&mut conn, ImportKind::Customers, csv.as_bytes(), false).unwrap_err();
        assert!(matches!(e, Error::DiskFull), "{e:?}");
        assert!(e.message(crate::Lang::Fr).contains("disque est plein"));
        assert_eq!(count(&conn, "customers"), 0);
        conn.pragma_update("max_page_count", 1_000_000).unwrap();
        import(&mut conn, ImportKind::Customers, csv.as_bytes(), false).unwrap();
        assert_eq!(count(&conn, "customers"), 3000);

        conn.pragma_update("query_only", true).unwrap();
        let e = import(
            &mut conn,
            ImportKind::Customers,
            b"reference,name\nZ,Zed\n",
            false,
        )
        .unwrap_err();
        assert!(matches!(e, Error::ReadOnly), "{e:?}");
        assert!(e.message(crate::Lang::En).contains("read-only"));
        assert_eq!(count(&conn, "customers"), 3000);
    }
}
