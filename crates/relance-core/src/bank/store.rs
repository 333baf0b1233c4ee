//! Bank statements in the ledger: an import (a batch, undoable whole), its lines kept once
//! by their identity, the proposals derived when read, the owner's decisions (a line matched
//! becomes a payment through `invoices::payments`, or is set aside with a reason), the payer
//! accounts learnt, the CSV mappings and the RF references allocated.

use super::book::{self, for_lines};
use super::matching::{self, Book, Confidence, Proposal, Reason};
use super::{csv::Mapping, fault, Line, Parsed};
use crate::error::{Error, Lang, Msg, Result, StatementFault};
use crate::invoices::payments::{self, AllocationInput, PaymentInput};
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

/// Bank fees or rounding accepted as settled (Settings: at most 1.00 and 0.5 % of what was
/// due by default): (minor units of a two-decimal currency, hundred-thousandths of the due).
pub fn tolerance(conn: &Connection) -> Result<(i64, i64)> {
    let s = crate::settings::get(conn)?;
    let scaled = |v: &str, by: i64| -> i64 {
        v.parse::<rust_decimal::Decimal>()
            .ok()
            .and_then(|d| i64::try_from((d * rust_decimal::Decimal::from(by)).trunc()).ok())
            .unwrap_or(0)
    };
    Ok((
        scaled(&s.bank_tolerance, 100),
        scaled(&s.bank_tolerance_percent, 1000),
    ))
}

/// One invoice a line pays and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankAllocation")]
pub struct LineAllocation {
    pub invoice: String,
    /// Decimal string.
    pub amount: String,
}

/// A statement line as shown and as the CLI prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankLine")]
pub struct LineView {
    /// `None` in a dry run.
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub date: NaiveDate,
    /// Decimal string, signed: money in is positive.
    pub amount: String,
    pub currency: String,
    pub payer: String,
    pub account: String,
    pub text: String,
    /// The customer's reference, when one is proposed.
    pub customer: Option<String>,
    /// The invoice numbers it would settle (or settled).
    pub invoices: Vec<String>,
    pub allocations: Vec<LineAllocation>,
    /// A settlement difference within the tolerance, decimal string.
    pub difference: Option<String>,
    pub confidence: Option<Confidence>,
    /// Why, in the user's words.
    pub reason: String,
    /// unmatched, proposed, matched, ignored or debit.
    pub status: String,
}

/// A statement whose balances do not add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankMismatch")]
pub struct Mismatch {
    pub account: String,
    pub currency: String,
    pub computed: String,
    pub closing: String,
}

/// What an import read and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankReport")]
pub struct ImportReport {
    /// `None` in a dry run, or when every line was already known.
    #[ts(type = "number | null")]
    pub import: Option<i64>,
    pub lines: usize,
    pub duplicates: usize,
    pub debits: usize,
    /// The lines of each kind, in the files' order: the first [`REPORT_LINES`] of them (a
    /// 50 MB statement holds 170,000 lines; once imported, the ledger lists them all by
    /// status, [`lines`]); the counts are of all.
    pub sure: Vec<LineView>,
    pub proposed: Vec<LineView>,
    pub unmatched: Vec<LineView>,
    pub sure_count: usize,
    pub proposed_count: usize,
    pub unmatched_count: usize,
    pub applied: usize,
    pub mismatches: Vec<Mismatch>,
    /// Rows a CSV mapping could not read, in the user's words.
    pub skipped: Vec<String>,
    /// Accounts in a currency the ledger does not use: listed, not matched.
    pub foreign: Vec<String>,
    /// Credits the bank gave back (a return or reversal in the statements): never matched.
    pub returned: usize,
}

/// The most lines of each kind an import report lists.
pub const REPORT_LINES: usize = 1_000;

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub dry_run: bool,
    pub apply_sure: bool,
    /// The owner confirmed a statement whose balances do not add up.
    pub confirmed: bool,
}

/// A line's identity: the account, then the first of the bank's reference, the entry's
/// reference and index, the FITID, or date + amount + text + occurrence in the file.
fn identity(account: &str, l: &Line, seen: &mut HashMap<String, u32>) -> String {
    let own = if !l.bank_ref.is_empty() && !l.bank_ref.eq_ignore_ascii_case("NOTPROVIDED") {
        format!("B:{}", l.bank_ref)
    } else if !l.entry_ref.is_empty() && !l.entry_ref.eq_ignore_ascii_case("NOTPROVIDED") {
        // With its day: some banks number their entries from 1 again each day.
        format!(
            "E:{}:{}#{}",
            l.booking_date.map(|d| d.to_string()).unwrap_or_default(),
            l.entry_ref,
            l.index_in_entry
        )
    } else if !l.fitid.is_empty() {
        format!("F:{}", l.fitid)
    } else {
        let key = format!(
            "T:{}|{}|{}|{}",
            l.booking_date.map(|d| d.to_string()).unwrap_or_default(),
            l.amount_minor,
            l.currency,
            super::alnum_key(&l.text)
        );
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        format!("{key}#{n}")
    };
    format!("{account}|{own}")
}

/// The saved CSV mappings.
pub fn mappings(conn: &Connection) -> Result<Vec<Mapping>> {
    let mut stmt = conn.prepare("SELECT mapping FROM bank_csv_mappings ORDER BY layout")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for json in rows {
        out.push(
            serde_json::from_str(&json?).map_err(|e| Error::DamagedDatabase {
                path: "bank_csv_mappings".into(),
                detail: e.to_string(),
            })?,
        );
    }
    Ok(out)
}

/// Saves the mapping of a CSV layout, checked on the file it was made on: the file must read
/// through it (see [`super::csv::check`]). The account defaults to the owner's IBAN.
pub fn set_mapping(conn: &Connection, file: &[u8], mut m: Mapping) -> Result<Mapping> {
    let text = super::decode(file);
    let preview = super::csv::preview(&text).ok_or_else(|| fault(StatementFault::NoLines))?;
    m.layout = preview.layout;
    m.columns = preview.columns;
    if m.account.trim().is_empty() {
        m.account = crate::settings::get(conn)?.iban.replace(' ', "");
    }
    if m.currency.trim().is_empty() {
        m.currency = crate::settings::default_currency(conn)?.code().to_string();
    }
    if m.date_format.trim().is_empty() {
        m.date_format = "%d/%m/%Y".into();
    }
    super::csv::check(&text, &m)?;
    conn.execute(
        "INSERT INTO bank_csv_mappings (layout, mapping) VALUES (?1, ?2)
         ON CONFLICT (layout) DO UPDATE SET mapping = excluded.mapping",
        params![
            m.layout,
            serde_json::to_string(&m).expect("a mapping is plain strings")
        ],
    )?;
    Ok(m)
}

/// Forgets a CSV layout's mapping; `false` when there was none.
pub fn remove_mapping(conn: &Connection, layout: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM bank_csv_mappings WHERE layout = ?1", [layout])? > 0)
}

fn reason_text(r: &Reason, lang: Lang) -> String {
    let fr = lang == Lang::Fr;
    match r {
        Reason::Reference { reference } => {
            if fr {
                format!("référence de paiement {reference}")
            } else {
                format!("payment reference {reference}")
            }
        }
        Reason::Numbers { numbers, partial } => {
            let n = numbers.join(", ");
            match (fr, partial) {
                (true, false) => format!("numéro de facture dans le libellé : {n}"),
                (true, true) => {
                    format!("numéro de facture dans le libellé : {n} (paiement partiel)")
                }
                (false, false) => format!("invoice number in the text: {n}"),
                (false, true) => format!("invoice number in the text: {n} (partial payment)"),
            }
        }
        Reason::KnownPayer { account } => {
            if fr {
                format!("compte connu du client ({account}) et montant")
            } else {
                format!("the customer's known account ({account}) and the amount")
            }
        }
        Reason::Name { name } => {
            if fr {
                format!("nom proche de « {name} » et montant : à vérifier")
            } else {
                format!("name like \"{name}\" and the amount: check it")
            }
        }
        Reason::NotOpen { numbers } => {
            let n = numbers.join(", ");
            if fr {
                format!("nomme la facture {n}, déjà payée ou close")
            } else {
                format!("names invoice {n}, already paid or closed")
            }
        }
        Reason::SeveralCustomers { numbers } => {
            let n = numbers.join(", ");
            if fr {
                format!("nomme des factures de plusieurs clients ({n})")
            } else {
                format!("names invoices of several customers ({n})")
            }
        }
        Reason::Nothing => {
            if fr {
                "aucune facture reconnue".into()
            } else {
                "no invoice recognised".into()
            }
        }
        Reason::Debit => {
            if fr {
                "sortie d'argent".into()
            } else {
                "money out".into()
            }
        }
    }
}

#[derive(Default)]
struct Names {
    invoices: HashMap<i64, String>,
    customers: HashMap<i64, String>,
}

impl Names {
    /// Learns the numbers of the invoices `p` names, from the book (no second read, no copy
    /// of a hundred thousand numbers on the import path), and its customer's reference.
    fn note(&mut self, conn: &Connection, book: &Book, p: &Proposal) -> Result<()> {
        for (id, _) in p.allocations.iter().chain(&p.differences) {
            if !self.invoices.contains_key(id) {
                if let Some(n) = book.number(*id) {
                    self.invoices.insert(*id, n.to_string());
                }
            }
        }
        match p.customer_id {
            Some(c) => self.customer(conn, c),
            None => Ok(()),
        }
    }

    /// Learns customer `id`'s reference (read by id: never every customer's for a few lines).
    fn customer(&mut self, conn: &Connection, id: i64) -> Result<()> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.customers.entry(id) {
            if let Some(r) = conn
                .prepare_cached("SELECT reference FROM customers WHERE id = ?1")?
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()?
            {
                e.insert(r);
            }
        }
        Ok(())
    }
}

/// The names of the invoices and customers the lines list shows (paid invoices too), read
/// by id: not every invoice of the ledger (a million numbers) for a screen of lines.
fn names(
    conn: &Connection,
    invoices: impl Iterator<Item = i64>,
    customers: impl Iterator<Item = i64>,
) -> Result<Names> {
    let mut n = Names {
        invoices: HashMap::new(),
        customers: HashMap::new(),
    };
    let invoices: Vec<i64> = invoices
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let customers: Vec<i64> = customers
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // A statement for a thousand ids (one per id made a page of fifty matched lines a
    // hundred round trips to a server).
    for (ids, sql, into) in [
        (
            &invoices,
            "SELECT id, number FROM invoices",
            &mut n.invoices,
        ),
        (
            &customers,
            "SELECT id, reference FROM customers",
            &mut n.customers,
        ),
    ] {
        for chunk in ids.chunks(READ_TOGETHER) {
            let mut stmt = conn.prepare(&format!(
                "{sql} WHERE id IN ({})",
                crate::store::sql::id_list(chunk)
            ))?;
            for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (id, v): (i64, String) = row?;
                into.insert(id, v);
            }
        }
    }
    Ok(n)
}

fn money(minor: i64, currency: &str) -> String {
    Currency::parse(currency).map_or_else(
        |_| Decimal2(minor).to_string(),
        |c| c.minor_to_string(minor),
    )
}

struct Decimal2(i64);
impl std::fmt::Display for Decimal2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", rust_decimal::Decimal::new(self.0, 2))
    }
}

#[allow(clippy::too_many_arguments)]
fn view(
    id: Option<i64>,
    l: &Line,
    p: &Proposal,
    status: &str,
    names: &Names,
    lang: Lang,
) -> LineView {
    let invoices: Vec<String> = p
        .allocations
        .iter()
        .filter_map(|(i, _)| names.invoices.get(i).cloned())
        .collect();
    LineView {
        id,
        date: l.date(),
        amount: money(l.amount_minor, &l.currency),
        currency: l.currency.to_string(),
        payer: l.party.to_string(),
        account: l.party_account.to_string(),
        text: l.text.to_string(),
        customer: p.customer_id.and_then(|c| names.customers.get(&c).cloned()),
        invoices,
        allocations: p
            .allocations
            .iter()
            .map(|(i, a)| LineAllocation {
                invoice: names.invoices.get(i).cloned().unwrap_or_default(),
                amount: money(*a, &l.currency),
            })
            .collect(),
        difference: (p.difference() != 0).then(|| money(p.difference(), &l.currency)),
        confidence: p.confidence,
        reason: reason_text(&p.reason, lang),
        status: status.to_string(),
    }
}

pub(super) fn status_of(p: &Proposal) -> &'static str {
    match (&p.reason, p.confidence) {
        (Reason::Debit, _) => "debit",
        (_, Some(_)) => "proposed",
        (_, None) => "unmatched",
    }
}

/// Reads statement files (name, bytes) and imports their new lines as one batch; with
/// `apply_sure`, the sure matches become payments in the same transaction. A file that
/// cannot be read refuses the whole import (nothing written), naming the file; a statement
/// whose balances do not add up needs `confirmed` (a dry run reports it and succeeds). The
/// files are taken: each one's bytes are dropped once read, so a 50 MB statement is not
/// held while its lines are matched and reported.
pub fn import(
    conn: &mut Connection,
    files: Vec<(String, Vec<u8>)>,
    opts: Options,
    lang: Lang,
    as_of: NaiveDate,
) -> Result<ImportReport> {
    let layouts = mappings(conn)?;
    let named = |name: &str, e: Error| match e {
        Error::Invalid { msg, .. } => Error::invalid(name.to_string(), msg),
        other => other,
    };
    let mut parsed: Vec<(String, Parsed)> = Vec::new();
    for (name, bytes) in files {
        // A .zip of daily files is read whole: each file in it is a statement of this
        // import.
        if super::zip::looks_like(&bytes) {
            for (inner, content) in super::zip::entries(&bytes).map_err(|e| named(&name, e))? {
                let inner = format!("{name}/{inner}");
                let p = super::parse(&content, &layouts).map_err(|e| named(&inner, e))?;
                parsed.push((inner, p));
            }
        } else {
            let p = super::parse(&bytes, &layouts).map_err(|e| named(&name, e))?;
            parsed.push((name, p));
        }
    }
    let default_currency = crate::settings::default_currency(conn)?.code().to_string();
    let mut report = ImportReport {
        import: None,
        lines: 0,
        duplicates: 0,
        debits: 0,
        sure: Vec::new(),
        proposed: Vec::new(),
        unmatched: Vec::new(),
        sure_count: 0,
        proposed_count: 0,
        unmatched_count: 0,
        applied: 0,
        mismatches: Vec::new(),
        skipped: Vec::new(),
        foreign: Vec::new(),
        returned: 0,
    };
    let mut refusal = None;
    for (name, p) in &parsed {
        for s in &p.statements {
            if let Some((computed, closing)) = s.balance_mismatch() {
                let cur = Currency::parse(&s.currency).unwrap_or(Currency::EUR);
                report.mismatches.push(Mismatch {
                    account: s.account.clone(),
                    currency: cur.code().to_string(),
                    computed: cur.minor_to_string(computed),
                    closing: cur.minor_to_string(closing),
                });
                refusal.get_or_insert_with(|| {
                    Error::invalid(
                        name.clone(),
                        Msg::Statement(StatementFault::Unbalanced {
                            account: s.account.clone(),
                            computed: cur.in_message(computed),
                            closing: cur.in_message(closing),
                        }),
                    )
                });
            }
        }
        report
            .skipped
            .extend(p.skipped.iter().map(|m| m.text(lang)));
    }
    if let (Some(e), false, false) = (refusal, opts.confirmed, opts.dry_run) {
        return Err(e);
    }
    // A big statement is written through a smaller page cache and without memory-mapped
    // reads: the ledger's 64 MB cache and 256 MB map would hold what it writes and checks
    // until the commit (a 50 MB camt.053 peaked at 136 MB). Set back after, whatever the
    // outcome.
    let big = parsed
        .iter()
        .flat_map(|(_, p)| &p.statements)
        .map(|s| s.lines.len())
        .sum::<usize>()
        > BIG_IMPORT;
    let saved = if big { Some(small_cache(conn)?) } else { None };
    let result = (|| -> Result<ImportReport> {
        let tx = conn.transaction()?;
        // The customers added or renamed since their name words were kept, written first.
        book::refresh_words_in(&tx)?;
        let statements = || parsed.iter().flat_map(|(_, p)| &p.statements);
        let mut book = for_lines(&tx, statements().flat_map(|s| &s.lines))?;
        let mut names = Names::default();
        // The currencies the ledger uses (its open invoices' and its own) among those the
        // statements name.
        let ledger_currencies = open_currencies(
            &tx,
            statements().flat_map(|s| {
                std::iter::once(s.currency.as_str())
                    .chain(s.lines.iter().map(|l| l.currency.as_str()))
            }),
        )?
        .into_iter()
        .chain([default_currency])
        .collect::<HashSet<String>>();
        let mut identities: HashSet<String> = HashSet::new();
        // The lines already known leave their statements in place; the new ones stay there and
        // are then walked by reference (a 50 MB file holds 170,000 lines: never a second copy).
        let mut kept_ids: Vec<Vec<String>> = Vec::new();
        let mut failed: Option<Error> = None;
        for (_, p) in &mut parsed {
            for s in &mut p.statements {
                let mut seen = HashMap::new();
                if !ledger_currencies.contains(&s.currency) && !s.currency.is_empty() {
                    report
                        .foreign
                        .push(format!("{} ({})", s.account, s.currency));
                }
                let mut ids = Vec::with_capacity(s.lines.len());
                let account = s.account.clone();
                s.lines.retain(|l| {
                    report.lines += 1;
                    // After a failure nothing more is asked: the import is refused.
                    if failed.is_some() {
                        return true;
                    }
                    let id = identity(&account, l, &mut seen);
                    let known = identities.contains(&id)
                        || match tx
                            .prepare_cached(
                                "SELECT EXISTS (SELECT 1 FROM bank_lines WHERE identity = ?1)",
                            )
                            .and_then(|mut st| st.query_row([&id], |r| r.get::<_, bool>(0)))
                        {
                            Ok(k) => k,
                            Err(e) => {
                                failed.get_or_insert(e.into());
                                true
                            }
                        };
                    if known {
                        report.duplicates += 1;
                        return false;
                    }
                    identities.insert(id.clone());
                    ids.push(id);
                    true
                });
                s.lines.shrink_to_fit();
                kept_ids.push(ids);
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        drop(identities);
        // account, identity, line: by reference into the parsed statements.
        let new_lines: Vec<(&str, &str, &Line)> = parsed
            .iter()
            .flat_map(|(_, p)| p.statements.iter())
            .zip(&kept_ids)
            .flat_map(|(s, ids)| {
                s.lines
                    .iter()
                    .zip(ids)
                    .map(move |(l, id)| (s.account.as_str(), id.as_str(), l))
            })
            .collect();
        let import_id = if opts.dry_run || new_lines.is_empty() {
            None
        } else {
            let files: Vec<&str> = parsed.iter().map(|(n, _)| n.as_str()).collect();
            let formats: Vec<&str> = parsed.iter().map(|(_, p)| p.format.name()).collect();
            let import_id = tx.insert(
                "INSERT INTO bank_imports (imported_on, files, format, line_count, duplicates, last_document_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(id), 0) FROM documents))",
                params![as_of, files.join(", "), formats.join(", "), new_lines.len() as i64, report.duplicates as i64],
            )?;
            for (_, p) in &parsed {
                for s in &p.statements {
                    tx.execute(
                        "INSERT INTO bank_statements (import_id, account, currency, opening_minor, closing_minor, from_date, to_date)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![import_id, s.account, s.currency, s.opening, s.closing, s.from, s.to],
                    )?;
                }
            }
            Some(import_id)
        };
        report.import = import_id;
        // Every line in first, then the returns linked (a credit later in the files, or in a
        // file given after, is found; so is the credit an earlier return was waiting for), then
        // the matches: a credit given back is never applied.
        let written = write_and_match(
            &tx,
            &new_lines,
            import_id,
            &mut book,
            &mut names,
            &ledger_currencies,
            opts,
            lang,
            &mut report,
        );
        written?;
        if opts.dry_run {
            drop(tx);
        } else {
            // The new lines' groups kept, and those the sure matches applied touched.
            super::kept::fold_in(&tx)?;
            tx.commit()?;
        }
        Ok(report)
    })();
    if let Some(saved) = saved {
        restore_cache(conn, saved);
    }
    result
}

/// More lines than this in one import are written through a smaller page cache.
pub(crate) const BIG_IMPORT: usize = 20_000;

/// Makes a connection's page cache and memory map small for a big import; returns what to
/// set back ([`restore_cache`]). Nothing is left changed when it fails.
fn small_cache(conn: &Connection) -> Result<(i64, Option<i64>)> {
    if conn.sqlite().is_none() {
        // A server's memory is its administrator's.
        return Ok((0, None));
    }
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    // No memory map to speak of (an in-memory database says nothing): left alone.
    let mmap: Option<i64> = conn
        .query_row("PRAGMA mmap_size", [], |r| r.get(0))
        .optional()?;
    conn.pragma_update("cache_size", -8192)?;
    if mmap.is_some() {
        if let Err(e) = conn.pragma_update("mmap_size", 0) {
            restore_cache(conn, (cache, mmap));
            return Err(e.into());
        }
    }
    Ok((cache, mmap))
}

/// Sets back what [`small_cache`] changed. A setting that cannot be set back leaves the
/// smaller one on that connection (slower, never wrong): not an error over an import
/// already committed.
fn restore_cache(conn: &Connection, (cache, mmap): (i64, Option<i64>)) {
    let _ = conn.pragma_update("cache_size", cache);
    if let Some(mmap) = mmap {
        let _ = conn.pragma_update("mmap_size", mmap);
    }
}

/// Writes the new lines of an import (none in a dry run), links the returns, then matches
/// each line and reports it (applying the sure ones when asked).
#[allow(clippy::too_many_arguments)]
fn write_and_match(
    tx: &Connection,
    new_lines: &[(&str, &str, &Line)],
    import_id: Option<i64>,
    book: &mut Book,
    names: &mut Names,
    ledger_currencies: &HashSet<String>,
    opts: Options,
    lang: Lang,
    report: &mut ImportReport,
) -> Result<()> {
    let mut line_ids: Vec<Option<i64>> = Vec::with_capacity(new_lines.len());
    for &(account, identity, l) in new_lines {
        line_ids.push(match import_id {
            Some(import_id) => {
                let new_id = tx.insert(
                    "INSERT INTO bank_lines (import_id, account, identity, booking_date, value_date, date, amount_minor,
                         currency, party, party_account, text, reference, end_to_end, reversal)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        import_id, account, identity, l.booking_date, l.value_date, l.date(), l.amount_minor,
                        l.currency.as_str(), l.party.as_str(), l.party_account.as_str(), l.text.as_str(),
                        l.reference.as_str(), l.end_to_end.as_str(), l.reversal
                    ],
                )?;
                Some(new_id)
            }
            None => None,
        });
    }
    if import_id.is_some() {
        let waiting: Vec<(i64, String)> = tx
            .prepare(
                "SELECT id, account FROM bank_lines WHERE reversal = 1 AND amount_minor < 0 AND reverses IS NULL
                 ORDER BY date, id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<crate::store::sql::Result<_>>()?;
        for (id, account) in waiting {
            let (l, _, _) = line_row(tx, id)?;
            reverse(tx, id, &account, &l, names, lang)?;
        }
    }
    // Many sure matches applied on a server: their payments recorded with the balances'
    // trigger aside, the kept sums caught up once after the last.
    let aside = if import_id.is_some() && opts.apply_sure {
        crate::invoices::kept::SettledAside::begin_past(tx, new_lines.len())?
    } else {
        None
    };
    for (&(_, _, l), line_id) in new_lines.iter().zip(line_ids) {
        let foreign = !ledger_currencies.contains(l.currency.as_str());
        if let Some(id) = line_id {
            if l.amount_minor > 0 && returned_by(tx, id)?.is_some() {
                report.returned += 1;
                continue;
            }
        }
        let proposal = if foreign && l.amount_minor > 0 && !l.reversal {
            Proposal::none(Reason::Nothing)
        } else {
            matching::propose(l, book)
        };
        let status = status_of(&proposal);
        if status == "debit" {
            report.debits += 1;
            continue;
        }
        names.note(tx, book, &proposal)?;
        // Its view only when it is listed (the first REPORT_LINES of its kind).
        let list = |report: &ImportReport| {
            let listed = match proposal.confidence {
                Some(Confidence::Sure) => report.sure.len(),
                Some(_) => report.proposed.len(),
                None => report.unmatched.len(),
            };
            listed < REPORT_LINES
        };
        let mut v = list(report).then(|| view(line_id, l, &proposal, status, names, lang));
        if proposal.confidence == Some(Confidence::Sure) {
            if opts.apply_sure {
                if let Some(line_id) = line_id {
                    apply(tx, line_id, l, &proposal, names, lang, true)?;
                    report.applied += 1;
                    if let Some(v) = &mut v {
                        v.status = "matched".into();
                    }
                    // Later lines of the same file see these invoices as paid.
                    settled(book, &proposal);
                }
            }
            report.sure_count += 1;
            report.sure.extend(v);
        } else if proposal.confidence.is_some() {
            report.proposed_count += 1;
            report.proposed.extend(v);
        } else {
            report.unmatched_count += 1;
            report.unmatched.extend(v);
        }
    }
    if let Some(aside) = aside {
        aside.catch_up(tx)?;
    }
    Ok(())
}

/// The return line that gave a credit line back, with its date, if any.
fn returned_by(conn: &Connection, line: i64) -> Result<Option<(i64, NaiveDate)>> {
    Ok(conn
        .prepare_cached("SELECT id, date FROM bank_lines WHERE reverses = ?1")?
        .query_row([line], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// A return or reversal (money out) is linked to the credit it gives back: on the same
/// account, of the same amount, not given back already, dated no later; the one with the
/// same end-to-end reference, else from the same payer account, else the only candidate
/// whose identifiers do not disagree. When that credit became a payment, the payment is
/// reversed from the return's date (never before the payment's own): the invoices it paid
/// reopen and dunning takes them back; nothing is deleted, the customer's history says it.
/// A return that names no credit stays a plain line of money out.
fn reverse(
    tx: &Connection,
    line_id: i64,
    account: &str,
    l: &Line,
    names: &Names,
    lang: Lang,
) -> Result<()> {
    let meaningful = |s: &str| !s.trim().is_empty() && !s.eq_ignore_ascii_case("NOTPROVIDED");
    // Returns come within weeks (SEPA: days); a year and a month bounds the search.
    let mut stmt = tx.prepare_cached(
        "SELECT id, payment_id, end_to_end, party_account, date FROM bank_lines c
         WHERE account = ?1 AND amount_minor = ?2 AND currency = ?3 AND reversal = 0
           AND date <= ?4 AND date >= date(?4, '-400 days')
           AND id <> ?5 AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.reverses = c.id)
         ORDER BY date DESC, id DESC",
    )?;
    let candidates: Vec<(i64, Option<i64>, String, String, NaiveDate)> = stmt
        .query_map(
            params![
                account,
                -l.amount_minor,
                l.currency.as_str(),
                l.date(),
                line_id
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?
        .collect::<crate::store::sql::Result<_>>()?;
    let e2e = meaningful(&l.end_to_end).then(|| l.end_to_end.trim());
    let payer = super::alnum_key(&l.party_account);
    let same_payer = |c: &str| !payer.is_empty() && super::alnum_key(c) == payer;
    let chosen = candidates
        .iter()
        .find(|c| e2e.is_some_and(|e| c.2.trim() == e))
        .or_else(|| {
            candidates
                .iter()
                .find(|c| same_payer(&c.3) && !(e2e.is_some() && meaningful(&c.2)))
        })
        // Nothing to tell them apart: only the one credit of that amount in the 60 days
        // before, and only when neither side names anything that could disagree.
        .or_else(|| match candidates.as_slice() {
            [only] if e2e.is_none() && payer.is_empty() && (l.date() - only.4).num_days() <= 60 => {
                Some(only)
            }
            _ => None,
        });
    let Some(&(credit, payment, _, _, _)) = chosen else {
        return Ok(());
    };
    tx.execute(
        "UPDATE bank_lines SET reverses = ?2 WHERE id = ?1",
        params![line_id, credit],
    )?;
    let Some(payment) = payment else {
        return Ok(());
    };
    let (customer, paid_on, amount, currency): (i64, NaiveDate, i64, String) = tx.query_row(
        "SELECT customer_id, date, amount_minor, currency FROM payments WHERE id = ?1",
        [payment],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let on = l.date().max(paid_on);
    tx.execute(
        "INSERT INTO payment_reversals (payment_id, line_id, date) VALUES (?1, ?2, ?3)",
        params![payment, line_id, on],
    )?;
    let invoices: Vec<i64> = tx
        .prepare_cached(
            "SELECT invoice_id FROM allocations WHERE payment_id = ?1
             UNION SELECT invoice_id FROM settlement_differences WHERE payment_id = ?1",
        )?
        .query_map([payment], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?;
    let numbers: Vec<String> = invoices
        .iter()
        .map(|i| match names.invoices.get(i) {
            Some(n) => n.clone(),
            None => tx
                .query_row("SELECT number FROM invoices WHERE id = ?1", [i], |r| {
                    r.get(0)
                })
                .unwrap_or_default(),
        })
        .collect();
    let cur = Currency::parse(&currency)?;
    let mut e = NewEntry::new(JournalKind::Note, customer, on);
    e.action = Some("payment_reversed".into());
    e.bank_identity = identity_of(tx, line_id)?;
    e.amount = Some((amount, cur));
    e.invoices = invoices.into_iter().map(|i| (i, None)).collect();
    let text = clean(&l.text, 200);
    e.note =
        match lang {
            Lang::Fr => format!(
            "Paiement du {} rendu par la banque le {} (retour ou annulation{}{}) : {} à nouveau {}",
            paid_on.format("%d/%m/%Y"),
            on.format("%d/%m/%Y"),
            if text.is_empty() { "" } else { " : " },
            text,
            if numbers.is_empty() { "rien".to_string() } else { numbers.join(", ") },
            if numbers.len() > 1 { "dues" } else { "due" },
        ),
            Lang::En => {
                format!(
            "Payment of {} given back by the bank on {} (return or reversal{}{}): {} due again",
            paid_on,
            on,
            if text.is_empty() { "" } else { ": " },
            text,
            if numbers.is_empty() { "nothing".to_string() } else { numbers.join(", ") },
        )
            }
        };
    journal::append(tx, &e)?;
    Ok(())
}

/// Which of `currencies` some open invoice (not written off or handed over) is in.
fn open_currencies<'a>(
    conn: &Connection,
    currencies: impl Iterator<Item = &'a str>,
) -> Result<HashSet<String>> {
    let asked: std::collections::BTreeSet<&str> = currencies.collect();
    let mut used = HashSet::new();
    let mut stmt = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM invoices i WHERE i.currency = ?1
                          AND i.settled_minor < i.total_minor
                          AND NOT EXISTS (SELECT 1 FROM invoice_closures c WHERE c.invoice_id = i.id))",
    )?;
    for c in asked {
        if stmt.query_row([c], |r| r.get::<_, bool>(0))? {
            used.insert(c.to_string());
        }
    }
    Ok(used)
}

/// Later lines of the same run see what a line just applied settled (each invoice found
/// through the book's index: a scan of every open invoice per line made a large statement
/// quadratic).
fn settled(book: &mut Book, p: &Proposal) {
    for (inv, amt) in p.allocations.iter().chain(&p.differences) {
        if let Some(k) = book.position(*inv) {
            book.open[k].balance -= amt;
        }
    }
}

/// A bank's text as a note the ledger accepts: control and invisible characters become
/// spaces, characters no shipped font can print a "?", at most `max` characters. (A
/// statement is not typed by the owner: one odd character must not refuse the import.)
fn clean(text: &str, max: usize) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}') {
                ' '
            } else if crate::fonts::printable(c) {
                c
            } else {
                '?'
            }
        })
        .take(max)
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Records the payment a line makes (its proposal's allocations; more than they take stays
/// the customer's credit), links the line to it, and learns the payer's account.
fn apply(
    tx: &Connection,
    line_id: i64,
    l: &Line,
    p: &Proposal,
    names: &Names,
    lang: Lang,
    learn: bool,
) -> Result<i64> {
    let customer_id = p.customer_id.ok_or_else(|| Error::NotFound {
        what: "customer",
        key: format!("line {line_id}"),
    })?;
    let customer = names
        .customers
        .get(&customer_id)
        .cloned()
        .unwrap_or_default();
    let cur = Currency::parse(&l.currency)?;
    let input = PaymentInput {
        customer,
        date: l.date().to_string(),
        amount: cur.minor_to_string(l.amount_minor),
        currency: l.currency.to_string(),
        method: "transfer".into(),
        reference: if l.end_to_end.eq_ignore_ascii_case("NOTPROVIDED") {
            String::new()
        } else {
            clean(&l.end_to_end, 80)
        },
        note: match lang {
            Lang::Fr => format!("Relevé bancaire : {}", clean(&l.text, 300)),
            Lang::En => format!("Bank statement: {}", clean(&l.text, 300)),
        },
        allocations: p
            .allocations
            .iter()
            .map(|(i, a)| AllocationInput {
                invoice: names.invoices.get(i).cloned().unwrap_or_default(),
                amount: cur.minor_to_string(*a),
            })
            .collect(),
        keep_as_credit: true,
    };
    let identity = identity_of(tx, line_id)?;
    let payment_id = payments::record_with(tx, &input, identity.as_deref())?;
    tx.execute(
        "UPDATE bank_lines SET payment_id = ?2 WHERE id = ?1",
        params![line_id, payment_id],
    )?;
    for (invoice, minor) in &p.differences {
        tx.execute(
            "INSERT INTO settlement_differences (invoice_id, payment_id, date, amount_minor)
             VALUES (?1, ?2, ?3, ?4)",
            params![invoice, payment_id, l.date(), minor],
        )?;
        let mut e = NewEntry::new(JournalKind::Note, customer_id, l.date());
        e.action = Some("settlement_difference".into());
        e.bank_identity = identity.clone();
        e.amount = Some((*minor, cur));
        e.invoices = vec![(*invoice, None)];
        let number = names.invoices.get(invoice).cloned().unwrap_or_default();
        e.note = match lang {
            Lang::Fr => format!(
                "Écart de règlement accepté sur {number} : {} (frais bancaires ou arrondi)",
                cur.format_minor(*minor, lang)
            ),
            Lang::En => format!(
                "Settlement difference accepted on {number}: {} (bank fees or rounding)",
                cur.format_minor(*minor, lang)
            ),
        };
        journal::append(tx, &e)?;
    }
    if learn {
        learn_payer(
            tx,
            customer_id,
            line_id,
            identity,
            &l.party_account,
            l.date(),
            lang,
        )?;
    }
    Ok(payment_id)
}

/// The key that keeps a line once, by which the history names it.
fn identity_of(tx: &Connection, line_id: i64) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached("SELECT identity FROM bank_lines WHERE id = ?1")?
        .query_row([line_id], |r| r.get(0))
        .optional()?)
}

/// A confirmed match teaches the payer's account for that customer (a history entry).
fn learn_payer(
    tx: &Connection,
    customer_id: i64,
    line_id: i64,
    identity: Option<String>,
    account: &str,
    on: NaiveDate,
    lang: Lang,
) -> Result<()> {
    let account = super::alnum_key(account);
    if account.len() < 8 {
        return Ok(());
    }
    let added = tx.execute(
        "INSERT INTO payer_accounts (customer_id, account, learnt_from) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![customer_id, account, line_id],
    )?;
    if added > 0 {
        let mut e = NewEntry::new(JournalKind::Note, customer_id, on);
        e.action = Some("payer_account".into());
        e.bank_identity = identity;
        e.note = match lang {
            Lang::Fr => format!("Compte payeur appris du relevé : {account}"),
            Lang::En => format!("Payer account learnt from the statement: {account}"),
        };
        journal::append(tx, &e)?;
    }
    Ok(())
}

pub(super) fn line_row(conn: &Connection, id: i64) -> Result<(Line, Option<i64>, Option<String>)> {
    conn.query_row(
        &format!("SELECT {LINE_COLUMNS}, payment_id, ignored FROM bank_lines WHERE id = ?1"),
        [id],
        |r| Ok((line_of(r)?, r.get(10)?, r.get(11)?)),
    )
    .optional()?
    .ok_or_else(|| fault(StatementFault::UnknownLine(id)))
}

/// The columns of a statement line [`line_of`] reads, in its order.
const LINE_COLUMNS: &str = "booking_date, value_date, amount_minor, currency, party, \
     party_account, text, reference, end_to_end, reversal";

/// A statement line from the first columns of a row ([`LINE_COLUMNS`]).
fn line_of(r: &crate::store::sql::Row) -> crate::store::sql::Result<Line> {
    Ok(Line {
        booking_date: r.get(0)?,
        value_date: r.get(1)?,
        amount_minor: r.get(2)?,
        currency: r.get::<_, String>(3)?.into(),
        party: r.get::<_, String>(4)?.into(),
        party_account: r.get::<_, String>(5)?.into(),
        text: r.get::<_, String>(6)?.into(),
        reference: r.get::<_, String>(7)?.into(),
        end_to_end: r.get::<_, String>(8)?.into(),
        reversal: r.get(9)?,
        ..Line::default()
    })
}

/// The lines among `ids` (integers read from the ledger) for which `filter` holds (an SQL
/// condition on `bank_lines`), a statement for a thousand of them: each row's
/// [`LINE_COLUMNS`] then `extra` (from index 10), made a value by `f`.
fn lines_among<T>(
    conn: &Connection,
    ids: &[i64],
    extra: &str,
    filter: &str,
    mut f: impl FnMut(&crate::store::sql::Row) -> crate::store::sql::Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(READ_TOGETHER) {
        let mut stmt = conn.prepare(&format!(
            "SELECT {LINE_COLUMNS}, {extra} FROM bank_lines WHERE id IN ({}) AND {filter}",
            crate::store::sql::id_list(chunk)
        ))?;
        for row in stmt.query_map([], &mut f)? {
            out.push(row?);
        }
    }
    Ok(out)
}

/// The lines among `ids` waiting for a decision: id, line, date.
pub(super) fn undecided_among(conn: &Connection, ids: &[i64]) -> Result<Vec<(i64, Line, String)>> {
    lines_among(conn, ids, "id, date", UNDECIDED, |r| {
        Ok((r.get(10)?, line_of(r)?, r.get(11)?))
    })
}

/// The lines among `ids`, by id (the kept lines of a page of a waiting group).
pub(super) fn lines_by_id(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, Line>> {
    Ok(
        lines_among(conn, ids, "id", "true", |r| Ok((r.get(10)?, line_of(r)?)))?
            .into_iter()
            .collect(),
    )
}

/// The returns of the lines shown: each credit given back (and the return's date), each
/// return and the credit it gives back (with the credit's date).
struct Returns {
    returned: HashMap<i64, NaiveDate>,
    returns: HashMap<i64, (i64, NaiveDate)>,
}

impl Returns {
    /// Every return of the ledger (one read).
    fn all(conn: &Connection) -> Result<Returns> {
        let pairs: Vec<(i64, NaiveDate, i64, NaiveDate)> = conn
            .prepare(
                "SELECT r.id, r.date, c.id, c.date FROM bank_lines r JOIN bank_lines c ON c.id = r.reverses",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<crate::store::sql::Result<_>>()?;
        Ok(Returns {
            returned: pairs.iter().map(|p| (p.2, p.1)).collect(),
            returns: pairs.iter().map(|p| (p.0, (p.2, p.3))).collect(),
        })
    }

    /// Those of `ids` alone, by the index on `reverses` and the key (a page of lines), a
    /// statement each for a thousand lines.
    fn of(conn: &Connection, ids: &[i64]) -> Result<Returns> {
        let mut out = Returns {
            returned: HashMap::new(),
            returns: HashMap::new(),
        };
        for chunk in ids.chunks(READ_TOGETHER) {
            let list = crate::store::sql::id_list(chunk);
            let mut by = conn.prepare(&format!(
                "SELECT reverses, date FROM bank_lines WHERE reverses IN ({list})"
            ))?;
            for row in by.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (credit, d) = row?;
                out.returned.insert(credit, d);
            }
            let mut gives = conn.prepare(&format!(
                "SELECT r.id, c.id, c.date FROM bank_lines r JOIN bank_lines c ON c.id = r.reverses
                 WHERE r.id IN ({list})"
            ))?;
            for row in gives.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))? {
                let (ret, credit) = row?;
                out.returns.insert(ret, credit);
            }
        }
        Ok(out)
    }
}

/// How many lines (or invoices, customers) one statement reads at most by their ids
/// ([`lines_among`], [`Returns::of`], [`DecidedRead`], the names a page shows).
const READ_TOGETHER: usize = 1_000;

/// What the decided lines among a set show, read a statement per table for a thousand of
/// them (a statement per line made a page of fifty matched lines some 250 round trips to
/// a server): each line with its payment and reason set aside, each payment's allocations
/// and customer.
struct DecidedRead {
    lines: HashMap<i64, (Line, Option<i64>, Option<String>)>,
    allocations: HashMap<i64, Vec<(i64, i64)>>,
    customers: HashMap<i64, i64>,
}

/// A line as [`DecidedRead`] reads it: the line, its payment, its reason set aside.
type LineRow = (Line, Option<i64>, Option<String>);

impl DecidedRead {
    /// The `extra` columns that follow [`LINE_COLUMNS`] for [`DecidedRead::row`].
    const EXTRA: &'static str = "payment_id, ignored, id";

    fn row(r: &crate::store::sql::Row) -> crate::store::sql::Result<(i64, LineRow)> {
        Ok((r.get(12)?, (line_of(r)?, r.get(10)?, r.get(11)?)))
    }

    /// The lines among `ids` (a page).
    fn of(conn: &Connection, ids: &[i64]) -> Result<DecidedRead> {
        let lines = lines_among(conn, ids, Self::EXTRA, "true", Self::row)?;
        Self::with_payments(conn, lines.into_iter().collect())
    }

    /// `lines`, with their payments' allocations and customers read.
    fn with_payments(conn: &Connection, lines: HashMap<i64, LineRow>) -> Result<DecidedRead> {
        let mut out = DecidedRead {
            lines,
            allocations: HashMap::new(),
            customers: HashMap::new(),
        };
        let mut payments: Vec<i64> = out.lines.values().filter_map(|(_, p, _)| *p).collect();
        payments.sort_unstable();
        for chunk in payments.chunks(READ_TOGETHER) {
            let list = crate::store::sql::id_list(chunk);
            let mut stmt = conn.prepare(&format!(
                "SELECT payment_id, invoice_id, amount_minor FROM allocations
                 WHERE payment_id IN ({list}) ORDER BY payment_id, id"
            ))?;
            for row in stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))? {
                let (payment, allocation): (i64, (i64, i64)) = row?;
                out.allocations.entry(payment).or_default().push(allocation);
            }
            let mut stmt = conn.prepare(&format!(
                "SELECT id, customer_id FROM payments WHERE id IN ({list})"
            ))?;
            for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (payment, customer) = row?;
                out.customers.insert(payment, customer);
            }
        }
        Ok(out)
    }

    /// Line `id` as read (every id asked for is a line: the caller read them in the same
    /// snapshot), and its decision ([`decided`]).
    fn take(&mut self, id: i64, returns: &Returns, lang: Lang) -> Result<(Line, Decision)> {
        let (l, payment, ignored) = self
            .lines
            .remove(&id)
            .ok_or_else(|| fault(StatementFault::UnknownLine(id)))?;
        let payment = match payment {
            Some(pid) => Some((
                *self
                    .customers
                    .get(&pid)
                    .ok_or_else(|| fault(StatementFault::UnknownLine(id)))?,
                self.allocations.remove(&pid).unwrap_or_default(),
            )),
            None => None,
        };
        Ok((l, decided(id, payment, ignored, returns, lang)))
    }
}

fn day_text(d: &NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Fr => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.to_string(),
    }
}

/// A line the owner decided (matched, set aside) or the bank gave back: its proposal (what
/// the payment paid), status and reason; `None` while it waits for a decision or is money
/// out (the matcher says which).
fn decided(
    id: i64,
    payment: Option<(i64, Vec<(i64, i64)>)>,
    ignored: Option<String>,
    returns: &Returns,
    lang: Lang,
) -> Decision {
    match (payment, ignored) {
        (Some((customer, allocations)), _) => {
            let p = Proposal {
                customer_id: Some(customer),
                allocations,
                differences: vec![],
                confidence: None,
                reason: Reason::Nothing,
            };
            let reason = match (lang, returns.returned.get(&id)) {
                (Lang::Fr, None) => "rapprochée".into(),
                (Lang::En, None) => "matched".into(),
                (Lang::Fr, Some(d)) => format!(
                    "rapprochée, puis rendue par la banque le {} : le paiement ne compte plus",
                    day_text(d, lang)
                ),
                (Lang::En, Some(d)) => format!(
                    "matched, then given back by the bank on {}: the payment no longer counts",
                    day_text(d, lang)
                ),
            };
            Some((p, "matched", Some(reason)))
        }
        (None, None) if returns.returned.contains_key(&id) => {
            let d = day_text(&returns.returned[&id], lang);
            let reason = match lang {
                Lang::Fr => format!("rendue par la banque le {d} (retour ou annulation)"),
                Lang::En => format!("given back by the bank on {d} (return or reversal)"),
            };
            Some((Proposal::none(Reason::Nothing), "ignored", Some(reason)))
        }
        (None, Some(reason)) => Some((Proposal::none(Reason::Nothing), "ignored", Some(reason))),
        (None, None) => None,
    }
}

type Decided = (i64, Line, Proposal, &'static str, Option<String>);

/// A line's decision as [`DecidedRead::take`] reads it: `None` while undecided.
type Decision = Option<(Proposal, &'static str, Option<String>)>;

/// Lines read with their decisions ([`DecidedRead::take`]), those no decision covers (waiting,
/// or money out) proposed now from one book for all of them (none read when every line is
/// decided).
fn with_proposals(conn: &Connection, read: Vec<(i64, Line, Decision)>) -> Result<Vec<Decided>> {
    let book = for_lines(conn, read.iter().filter(|r| r.2.is_none()).map(|r| &r.1))?;
    Ok(read
        .into_iter()
        .map(|(id, l, d)| {
            let (p, state, reason) = d.unwrap_or_else(|| {
                let p = matching::propose(&l, &book);
                let state = status_of(&p);
                (p, state, None)
            });
            (id, l, p, state, reason)
        })
        .collect())
}

/// The views of decided lines: the names of only the customers and invoices they show,
/// read once, and the reasons a return or reversal gives.
fn views_of(
    conn: &Connection,
    decided: Vec<Decided>,
    returns: &Returns,
    lang: Lang,
) -> Result<Vec<LineView>> {
    let names = names(
        conn,
        decided
            .iter()
            .flat_map(|(_, _, p, _, _)| p.allocations.iter().chain(&p.differences))
            .map(|(i, _)| *i),
        decided.iter().filter_map(|(_, _, p, _, _)| p.customer_id),
    )?;
    let mut out = Vec::with_capacity(decided.len());
    for (id, l, p, state, reason) in decided {
        let mut v = view(Some(id), &l, &p, state, &names, lang);
        if let Some(reason) = reason {
            v.reason = reason;
        }
        if l.reversal && l.amount_minor > 0 {
            v.reason = match lang {
                Lang::Fr => {
                    "annulation d'une sortie d'argent (argent rendu) : pas un paiement de client"
                        .into()
                }
                Lang::En => {
                    "reversal of money out (money given back): not a customer payment".into()
                }
            };
        }
        if l.reversal && l.amount_minor < 0 {
            v.reason = match (lang, returns.returns.get(&id)) {
                (Lang::Fr, Some((credit, d))) => {
                    format!(
                        "retour du virement du {} (ligne n°{credit})",
                        day_text(d, lang)
                    )
                }
                (Lang::En, Some((credit, d))) => {
                    format!(
                        "return of the transfer of {} (line {credit})",
                        day_text(d, lang)
                    )
                }
                (Lang::Fr, None) => {
                    "retour ou annulation : aucun virement reçu de ce montant à rendre".into()
                }
                (Lang::En, None) => {
                    "return or reversal: no transfer of this amount to give back".into()
                }
            };
        }
        out.push(v);
    }
    Ok(out)
}

/// The lines, newest first, each with its status and (while undecided) its proposal,
/// derived now. `status` filters: unmatched, proposed, matched, ignored or debit.
/// (`relance bank lines`; the Bank screen reads [`groups`], a page of each group.)
pub fn lines(conn: &Connection, status: Option<&str>, lang: Lang) -> Result<Vec<LineView>> {
    // One read of one moment (and one read lock, not one per statement; never the write lock).
    conn.reading(|| {
        let mut ids = Vec::new();
        let rows: HashMap<i64, LineRow> = conn
            .prepare(&format!(
                "SELECT {LINE_COLUMNS}, {} FROM bank_lines ORDER BY date DESC, id DESC",
                DecidedRead::EXTRA
            ))?
            .query_map([], DecidedRead::row)?
            .map(|row| {
                let row = row?;
                ids.push(row.0);
                Ok(row)
            })
            .collect::<crate::store::sql::Result<_>>()?;
        let returns = Returns::all(conn)?;
        let mut lines = DecidedRead::with_payments(conn, rows)?;
        let mut read = Vec::with_capacity(ids.len());
        for id in ids {
            let (l, d) = lines.take(id, &returns, lang)?;
            read.push((id, l, d));
        }
        // Each line's status and proposal first (the reason a view gives may be replaced),
        // then the names of only the customers and invoices they show.
        let mut kept = with_proposals(conn, read)?;
        kept.retain(|(_, _, _, state, _)| status.is_none_or(|s| s == *state));
        views_of(conn, kept, &returns, lang)
    })
}

/// The Bank screen's groups, in the order shown: what needs the owner first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "BankGroupKind")]
pub enum Group {
    /// Proposed, sure: applied in one click.
    Sure,
    /// Proposed, to check.
    Proposed,
    Unmatched,
    Matched,
    /// Set aside by the owner, or given back by the bank.
    Ignored,
    /// Money out.
    Debit,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Sure,
        Group::Proposed,
        Group::Unmatched,
        Group::Matched,
        Group::Ignored,
        Group::Debit,
    ];

    /// The group of a line of `status` (see [`LineView::status`]) and `confidence`.
    pub fn of(status: &str, confidence: Option<Confidence>) -> Group {
        match (status, confidence) {
            ("proposed", Some(Confidence::Sure)) => Group::Sure,
            ("proposed", _) => Group::Proposed,
            ("matched", _) => Group::Matched,
            ("ignored", _) => Group::Ignored,
            ("debit", _) => Group::Debit,
            _ => Group::Unmatched,
        }
    }

    /// The lines of a group the owner decided, in SQL: queries of their `id` and `date`,
    /// whose lines together are the group's (the others wait for a decision and are the
    /// matcher's to split), as [`decided`] and [`matching::reads_book`] say. Each reads
    /// from an index of its own (migrations 49 and 56) in the order shown, so a page and a
    /// count walk that group's lines alone.
    pub(crate) fn decided_parts(self) -> &'static [&'static str] {
        match self {
            Group::Matched => &["SELECT id, date FROM bank_lines WHERE payment_id IS NOT NULL"],
            // Set aside (which has no payment: the table's CHECK), or given back by a
            // reversal that came after it: few, read from the reversals (`CROSS JOIN`
            // keeps SQLite from walking every line without a payment for them), sorted.
            Group::Ignored => &[
                "SELECT id, date FROM bank_lines WHERE ignored IS NOT NULL",
                "SELECT l.id AS id, l.date AS date
                   FROM bank_lines r CROSS JOIN bank_lines l ON l.id = r.reverses
                  WHERE r.reverses IS NOT NULL AND l.payment_id IS NULL AND l.ignored IS NULL",
            ],
            // `+payment_id`: not through the index of payments (every line without one,
            // then sorted), through the money out's own.
            Group::Debit => &[
                "SELECT id, date FROM bank_lines WHERE +payment_id IS NULL AND ignored IS NULL
                   AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.reverses = bank_lines.id)
                   AND (amount_minor <= 0 OR reversal <> 0)",
            ],
            Group::Sure | Group::Proposed | Group::Unmatched => &[],
        }
    }

    /// [`Group::decided_parts`] as one query (`None` for a group waiting for a decision).
    pub(crate) fn decided_rows(self) -> Option<String> {
        let parts = self.decided_parts();
        (!parts.is_empty()).then(|| parts.join(" UNION ALL "))
    }
}

/// The lines waiting for the owner's decision: money in, not a reversal, neither a payment
/// nor set aside, not given back (the partial index `bank_lines_waiting`, migration 57,
/// serves it: its terms written as there).
pub(super) const UNDECIDED: &str = "+payment_id IS NULL AND ignored IS NULL
   AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.reverses = bank_lines.id)
   AND amount_minor > 0 AND reversal = 0";

/// The credits waiting for a decision dated up to `?1` (none given back by then), oldest
/// first: read from their own index (`bank_lines_waiting`, migration 57: not the money out's
/// whole history), each line's return (if any: `reverses` is unique) looked up by the
/// reversals' index. Written as `NOT EXISTS`, PostgreSQL turned the return into an
/// anti-join that walked every statement line (it guesses that "no payment and not set
/// aside" keeps a quarter of the lines, when 50 of 100,000 wait): 16 ms of each Today read
/// at a million invoices, read two to four times.
pub(crate) const CREDITS_WAITING: &str = "SELECT currency, amount_minor, party, date FROM bank_lines
     WHERE +payment_id IS NULL AND ignored IS NULL AND amount_minor > 0 AND reversal = 0 AND date <= ?1
       AND (SELECT r.id FROM bank_lines r WHERE r.reverses = bank_lines.id AND r.date <= ?1) IS NULL
     ORDER BY date, id";

/// How many credits wait for the owner (Today's figure), read as [`CREDITS_WAITING`] is.
pub(crate) const CREDITS_TO_REVIEW: &str = "SELECT COUNT(*) FROM bank_lines
     WHERE +payment_id IS NULL AND ignored IS NULL AND amount_minor > 0 AND reversal = 0
       AND (SELECT r.id FROM bank_lines r WHERE r.reverses = bank_lines.id) IS NULL";

/// The lines waiting for a decision (money in, neither decided nor given back), newest
/// first, each with its date (the order, kept beside a line's group: `bank::kept`).
pub(super) fn waiting(conn: &Connection) -> Result<Vec<(i64, Line, String)>> {
    Ok(conn
        .prepare(&format!(
            "SELECT {LINE_COLUMNS}, id, date FROM bank_lines WHERE {UNDECIDED}
             ORDER BY date DESC, id DESC"
        ))?
        .query_map([], |r| Ok((r.get(10)?, line_of(r)?, r.get(11)?)))?
        .collect::<crate::store::sql::Result<_>>()?)
}

/// The lines waiting for a decision whose proposal from the book narrowed to what they ask
/// (read through the invoice numbers' index, migration 50) differs from the one the book of
/// the whole ledger gives, and each one whose group kept for the Bank screen is not the one
/// that book gives ([`super::kept::verify`]), one finding each in `lang` (empty: none).
/// `relance check`, the crash harness and the model-based test ask it; read it inside one
/// snapshot on a shared ledger.
pub fn verify_book(conn: &Connection, lang: Lang) -> Result<Vec<String>> {
    let lines = waiting(conn)?;
    let mut asks = matching::Asks::default();
    for (_, l, _) in &lines {
        asks.add(l);
    }
    if asks.lines == 0 {
        return super::kept::verify(conn, &[], lang);
    }
    let (whole, narrow) = (book::book(conn)?, book::narrowed(conn, &asks)?);
    let said = |p: &Proposal| -> String {
        let paid: Vec<String> = p
            .allocations
            .iter()
            .map(|(inv, minor)| format!("#{inv} {minor}"))
            .collect();
        format!("{} [{}]", reason_text(&p.reason, lang), paid.join(", "))
    };
    let mut findings = Vec::new();
    let mut groups = Vec::with_capacity(lines.len());
    for (id, l, date) in &lines {
        let (a, b) = (matching::propose(l, &narrow), matching::propose(l, &whole));
        groups.push((
            *id,
            l,
            date.as_str(),
            Group::of(status_of(&b), b.confidence),
        ));
        if a != b {
            findings.push(match lang {
                Lang::Fr => format!(
                    "ligne de relevé #{id} : proposée « {} » par l'index des numéros de facture, « {} » par le grand livre entier",
                    said(&a),
                    said(&b)
                ),
                Lang::En => format!(
                    "statement line #{id}: proposed \"{}\" through the invoice numbers' index, \"{}\" from the whole ledger",
                    said(&a),
                    said(&b)
                ),
            });
        }
    }
    // Each waiting line's group kept for the Bank screen (migration 54).
    findings.extend(super::kept::verify(conn, &groups, lang)?);
    Ok(findings)
}

/// A page of the decided lines `part` reads (one of [`Group::decided_parts`]), newest
/// first (`?1` lines from `?2`; their ids and dates), from the head of their own index.
pub(crate) fn page_sql(part: &str) -> String {
    format!("{part} ORDER BY date DESC, id DESC LIMIT ?1 OFFSET ?2")
}

/// The ids of a page of a decided group (`limit` lines from `offset`, newest first). A
/// group of several parts (the lines set aside, those given back) reads the first
/// `offset + limit` of each from its index and merges them: PostgreSQL sorts a `UNION
/// ALL` of them whole rather than merge them (19 ms for a first page of 62,715 lines set
/// aside, most of it that sort).
fn decided_page(conn: &Connection, g: Group, limit: u32, offset: u32) -> Result<Vec<i64>> {
    let read = |part: &str, limit: u32, offset: u32| -> Result<Vec<(String, i64)>> {
        Ok(conn
            .prepare(&page_sql(part))?
            .query_map([i64::from(limit), i64::from(offset)], |r| {
                Ok((r.get(1)?, r.get(0)?))
            })?
            .collect::<crate::store::sql::Result<_>>()?)
    };
    let parts = g.decided_parts();
    let page = if let [one] = parts {
        read(one, limit, offset)?
    } else {
        let mut all = Vec::new();
        for part in parts {
            all.extend(read(part, offset.saturating_add(limit), 0)?);
        }
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect()
    };
    Ok(page.into_iter().map(|(_, id)| id).collect())
}

/// A page of one group asked for: from `offset`, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankPageAsk")]
pub struct PageAsk {
    pub group: Group,
    pub offset: u32,
}

/// One group of the Bank screen: how many lines it has, and the page asked (none when it
/// was not asked: a folded group shows its count alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankGroup")]
pub struct GroupPage {
    pub group: Group,
    pub total: u32,
    /// Where the page starts (the one asked, brought back within the group; the page of
    /// the line to show when it is in this group).
    pub offset: u32,
    pub lines: Vec<LineView>,
}

/// The Bank screen: every group's count, in [`Group::ALL`]'s order, and a page of `limit`
/// lines of each group asked; with `show`, the page of that line's group that holds it
/// (asked or not). The decided groups are counted and paged in SQL, a page's lines read
/// together (`DecidedRead`); the lines waiting for a decision are all proposed (their
/// count by group needs it), against the book they ask for ([`book::for_lines`]).
pub fn groups(
    conn: &Connection,
    pages: &[PageAsk],
    limit: u32,
    show: Option<i64>,
    lang: Lang,
) -> Result<Vec<GroupPage>> {
    let limit = limit.clamp(1, 500);
    // One snapshot on a server, without waiting for a write in progress (an import).
    conn.reading_together(|| {
        // The waiting lines through their kept groups; derived, every one proposed, when
        // the changes since the last fold touch too many, or a kept group is found wrong.
        if let Some(kept) = super::kept::Kept::read(conn)? {
            if let Some(out) =
                group_pages(conn, &mut Waiting::Kept(kept), pages, limit, show, lang)?
            {
                return Ok(out);
            }
        }
        let mut derived = Waiting::derive(conn)?;
        Ok(group_pages(conn, &mut derived, pages, limit, show, lang)?
            .expect("the lines derived are their own groups"))
    })
}

/// The lines waiting for a decision, by group: each proposed now against the book they ask
/// ([`Waiting::Derived`]), or read through their kept groups ([`super::kept::Kept`]).
enum Waiting {
    Derived(HashMap<Group, Vec<super::kept::Entry>>),
    Kept(super::kept::Kept),
}

impl Waiting {
    fn derive(conn: &Connection) -> Result<Waiting> {
        let read = waiting(conn)?;
        let ledger = for_lines(conn, read.iter().map(|(_, l, _)| l))?;
        let mut waiting: HashMap<Group, Vec<super::kept::Entry>> = HashMap::new();
        for (id, l, _) in read {
            let p = matching::propose(&l, &ledger);
            let state = status_of(&p);
            waiting
                .entry(Group::of(state, p.confidence))
                .or_default()
                .push((id, l, p, state));
        }
        Ok(Waiting::Derived(waiting))
    }

    fn total(&self, g: Group) -> u32 {
        match self {
            Waiting::Derived(w) => w.get(&g).map_or(0, |w| w.len() as u32),
            Waiting::Kept(k) => k.total(g),
        }
    }

    fn position(&self, conn: &Connection, line: i64) -> Result<Option<(Group, u32)>> {
        match self {
            Waiting::Derived(w) => Ok(Group::ALL.iter().find_map(|g| {
                w.get(g)
                    .and_then(|list| list.iter().position(|e| e.0 == line))
                    .map(|at| (*g, at as u32))
            })),
            Waiting::Kept(k) => k.position(conn, line),
        }
    }

    /// `None`: a kept group found wrong.
    fn page(
        &mut self,
        conn: &Connection,
        g: Group,
        offset: u32,
        limit: u32,
    ) -> Result<Option<Vec<super::kept::Entry>>> {
        match self {
            Waiting::Derived(w) => Ok(Some(
                w.get_mut(&g)
                    .map(|list| {
                        list.drain(..)
                            .skip(offset as usize)
                            .take(limit as usize)
                            .collect()
                    })
                    .unwrap_or_default(),
            )),
            Waiting::Kept(k) => k.page(conn, g, offset, limit),
        }
    }
}

/// The Bank screen's groups from `waiting`; `None` when a kept group is found wrong.
fn group_pages(
    conn: &Connection,
    waiting: &mut Waiting,
    pages: &[PageAsk],
    limit: u32,
    show: Option<i64>,
    lang: Lang,
) -> Result<Option<Vec<GroupPage>>> {
    // The line to show: its group, and where it stands in it.
    let shown: Option<(Group, u32)> = match show {
        None => None,
        Some(line) => {
            let mut found = waiting.position(conn, line)?;
            for g in Group::ALL {
                let Some(rows) = g.decided_rows() else {
                    continue;
                };
                if found.is_some() {
                    break;
                }
                let is_in: bool = conn.query_row(
                    &format!("SELECT EXISTS (SELECT 1 FROM ({rows}) g WHERE g.id = ?1)"),
                    [line],
                    |r| r.get(0),
                )?;
                let at: Option<u32> = if is_in {
                    Some(conn.query_row(
                        &format!(
                            "SELECT COUNT(*) FROM ({rows}) g
                              WHERE g.date > (SELECT d.date FROM bank_lines d WHERE d.id = ?1)
                                 OR (g.date = (SELECT d.date FROM bank_lines d WHERE d.id = ?1)
                                     AND g.id > ?1)"
                        ),
                        [line],
                        |r| r.get(0),
                    )?)
                } else {
                    None
                };
                found = at.map(|at| (g, at));
            }
            found
        }
    };
    let decided = super::kept::decided_totals(conn)?;
    let mut out = Vec::with_capacity(Group::ALL.len());
    for g in Group::ALL {
        let total: u32 = match decided.get(&g) {
            Some(n) => *n,
            None => waiting.total(g),
        };
        let asked = match shown {
            Some((sg, at)) if sg == g => Some(at / limit * limit),
            _ => pages.iter().find(|a| a.group == g).map(|a| a.offset),
        };
        let Some(offset) = asked else {
            out.push(GroupPage {
                group: g,
                total,
                offset: 0,
                lines: Vec::new(),
            });
            continue;
        };
        // A page past the end (lines decided since) is the group's last.
        let offset = if offset >= total {
            total.saturating_sub(1) / limit * limit
        } else {
            offset / limit * limit
        };
        let (page, returns): (Vec<Decided>, Returns) = match g.decided_parts() {
            [_, ..] => {
                let ids = decided_page(conn, g, limit, offset)?;
                let returns = Returns::of(conn, &ids)?;
                let mut lines = DecidedRead::of(conn, &ids)?;
                let mut read = Vec::with_capacity(ids.len());
                for id in ids {
                    let (l, d) = lines.take(id, &returns, lang)?;
                    read.push((id, l, d));
                }
                (with_proposals(conn, read)?, returns)
            }
            // Money in waiting for a decision: neither a return nor given back.
            [] => {
                let Some(list) = waiting.page(conn, g, offset, limit)? else {
                    return Ok(None);
                };
                (
                    list.into_iter()
                        .map(|(id, l, p, state)| (id, l, p, state, None))
                        .collect(),
                    Returns::of(conn, &[])?,
                )
            }
        };
        out.push(GroupPage {
            group: g,
            total,
            offset,
            lines: views_of(conn, page, &returns, lang)?,
        });
    }
    Ok(Some(out))
}

/// The owner matches a line to invoices (one customer's, open): the payment is recorded,
/// oldest invoice first, anything over their balances kept as the customer's credit.
pub fn match_line(
    conn: &mut Connection,
    line: i64,
    invoices: &[String],
    lang: Lang,
) -> Result<LineView> {
    if invoices.is_empty() {
        return Err(Error::invalid(
            "invoice",
            Msg::Statement(StatementFault::NoInvoice),
        ));
    }
    let tx = conn.transaction()?;
    let (l, payment, ignored) = line_row(&tx, line)?;
    if payment.is_some() || ignored.is_some() {
        return Err(fault(StatementFault::LineDecided(line)));
    }
    if l.amount_minor <= 0 || l.reversal {
        return Err(fault(StatementFault::LineIsDebit(line)));
    }
    if returned_by(&tx, line)?.is_some() {
        return Err(fault(StatementFault::LineReturned(line)));
    }
    // The book this line asks for: the tolerance, and its payer account.
    let book = for_lines(&tx, [&l])?;
    let mut names = Names::default();
    let mut chosen: Vec<(matching::OpenInvoice, i64)> = Vec::new();
    for (i, number) in invoices.iter().enumerate() {
        let field = format!("invoice[{i}]");
        let key = crate::validate::identifier_key(number);
        let found: Option<(matching::OpenInvoice, bool)> = tx
            .query_row(
                "SELECT i.id, i.number, i.customer_id, i.currency, i.total_minor - i.settled_minor,
                        i.due_date,
                        EXISTS (SELECT 1 FROM invoice_closures c WHERE c.invoice_id = i.id)
                 FROM invoices i WHERE i.number = ?1",
                [&key],
                |r| Ok((book::open_invoice(r)?, r.get(6)?)),
            )
            .optional()?;
        let Some((inv, closed)) = found else {
            return Err(Error::invalid(field, Msg::UnknownInvoice(key)));
        };
        let (customer, balance) = (inv.customer_id, inv.balance);
        if closed {
            return Err(Error::invalid(
                field,
                Msg::Statement(StatementFault::InvoiceClosed(key)),
            ));
        }
        if balance <= 0 {
            return Err(Error::invalid(
                field,
                Msg::Statement(StatementFault::InvoicePaid(key)),
            ));
        }
        if chosen.first().is_some_and(|&(_, first)| first != customer) {
            return Err(Error::invalid(field, Msg::InvoiceOfOtherCustomer(key)));
        }
        if inv.currency != l.currency {
            return Err(Error::invalid(
                field,
                Msg::CurrencyMismatch {
                    expected: inv.currency.clone(),
                    got: l.currency.to_string(),
                },
            ));
        }
        chosen.push((inv, customer));
    }
    // Oldest first, as the matcher pays; what is left over stays the customer's credit, and
    // what is missing within the tolerance is a settlement difference, as proposed.
    let invs: Vec<&matching::OpenInvoice> = chosen.iter().map(|(i, _)| i).collect();
    let (allocations, differences, _) = book.pay(&invs, l.amount_minor);
    let p = Proposal {
        customer_id: Some(chosen[0].1),
        allocations,
        differences,
        confidence: None,
        reason: Reason::Nothing,
    };
    for (inv, _) in &chosen {
        names.invoices.insert(inv.id, inv.number.clone());
    }
    // The account is known for another customer: matched as the owner said, but said, and
    // not learnt for this one.
    let known_for = book
        .payers
        .get(&super::alnum_key(&l.party_account))
        .copied()
        .filter(|&c| c != chosen[0].1);
    for c in std::iter::once(chosen[0].1).chain(known_for) {
        names.customer(&tx, c)?;
    }
    apply(&tx, line, &l, &p, &names, lang, known_for.is_none())?;
    super::kept::fold_in(&tx)?;
    tx.commit()?;
    let mut v = view(Some(line), &l, &p, "matched", &names, lang);
    let other = known_for.and_then(|c| names.customers.get(&c).cloned());
    v.reason = match (lang, other) {
        (Lang::Fr, None) => "rapprochée".into(),
        (Lang::En, None) => "matched".into(),
        (Lang::Fr, Some(o)) => format!(
            "rapprochée, alors que ce compte payeur est celui du client {o} : vérifiez qu'il ne paie pas pour lui"
        ),
        (Lang::En, Some(o)) => format!(
            "matched, though this payer account is customer {o}'s: check they are not paying for them"
        ),
    };
    Ok(v)
}

/// Applies every sure match waiting (the "Apply the 23 sure matches" button), in one
/// transaction: each line's payment recorded as [`import`] with `apply_sure` does. Returns
/// how many were applied.
pub fn apply_sure(conn: &mut Connection, lang: Lang) -> Result<usize> {
    let tx = conn.transaction()?;
    let mut names = Names::default();
    // Oldest first (`waiting` reads them newest first, in one statement).
    let lines: Vec<(i64, Line)> = waiting(&tx)?
        .into_iter()
        .rev()
        .map(|(id, l, _)| (id, l))
        .collect();
    let mut book = for_lines(&tx, lines.iter().map(|(_, l)| l))?;
    let mut applied = 0;
    // (many on a server: the balances' trigger aside, as an import's sure matches)
    let aside = crate::invoices::kept::SettledAside::begin_past(&tx, lines.len())?;
    for (id, l) in lines {
        let p = matching::propose(&l, &book);
        if p.confidence != Some(Confidence::Sure) {
            continue;
        }
        names.note(&tx, &book, &p)?;
        apply(&tx, id, &l, &p, &names, lang, true)?;
        applied += 1;
        settled(&mut book, &p);
    }
    if let Some(aside) = aside {
        aside.catch_up(&tx)?;
    }
    super::kept::fold_in(&tx)?;
    tx.commit()?;
    Ok(applied)
}

/// "Not a customer payment": the line is set aside with the owner's reason.
pub fn ignore(conn: &Connection, line: i64, reason: &str) -> Result<()> {
    let reason = crate::validate::required_line("reason", reason, 300)?;
    let (_, payment, ignored) = line_row(conn, line)?;
    if payment.is_some() || ignored.is_some() {
        return Err(fault(StatementFault::LineDecided(line)));
    }
    // Still undecided as it is written (one statement: a line another writer matched or
    // set aside since the check above is refused, not set aside as well).
    let changed = conn.execute(
        "UPDATE bank_lines SET ignored = ?2
          WHERE id = ?1 AND payment_id IS NULL AND ignored IS NULL",
        params![line, reason],
    )?;
    if changed == 0 {
        return Err(fault(StatementFault::LineDecided(line)));
    }
    Ok(())
}

/// Undoes an import whole: its payments go (recorded in each customer's history), its lines
/// are forgotten (the file can be imported again). Refused, nothing changed, when something
/// used it since: a document produced on an invoice it paid, or a later import matched
/// against one of them.
pub fn undo_import(
    conn: &mut Connection,
    import: i64,
    lang: Lang,
    as_of: NaiveDate,
) -> Result<usize> {
    let tx = conn.transaction()?;
    let last_document: Option<i64> = tx
        .query_row(
            "SELECT last_document_id FROM bank_imports WHERE id = ?1",
            [import],
            |r| r.get(0),
        )
        .optional()?;
    let Some(last_document) = last_document else {
        return Err(fault(StatementFault::UnknownImport(import)));
    };
    let given_back: Option<i64> = tx
        .query_row(
            "SELECT r.import_id FROM bank_lines r JOIN bank_lines c ON c.id = r.reverses
             WHERE c.import_id = ?1 AND r.import_id > ?1 ORDER BY r.import_id LIMIT 1",
            [import],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(later) = given_back {
        return Err(fault(StatementFault::ImportReturnedLater { import: later }));
    }
    // The payments it recorded and those its returns took back, as SQL (`?1`: the import).
    const TAKEN_BACK: &str =
        "SELECT payment_id FROM bank_lines WHERE import_id = ?1 AND payment_id IS NOT NULL
         UNION SELECT r.payment_id FROM payment_reversals r JOIN bank_lines l ON l.id = r.line_id
         WHERE l.import_id = ?1";
    // The invoices it paid, and those a return in it reopened: nothing may have used them.
    let paid: Vec<(i64, String)> = tx
        .prepare(
            &format!(
                "SELECT DISTINCT a.invoice_id, i.number FROM ({TAKEN_BACK}) p
                 JOIN allocations a ON a.payment_id = p.payment_id JOIN invoices i ON i.id = a.invoice_id"
            ),
        )?
        .query_map([import], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    for (invoice, number) in &paid {
        let doc: Option<String> = tx
            .query_row(
                "SELECT d.on_date FROM documents d JOIN document_invoices di ON di.document_id = d.id
                 WHERE di.invoice_id = ?1 AND d.id > ?2 ORDER BY d.id LIMIT 1",
                params![invoice, last_document],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(date) = doc {
            return Err(fault(StatementFault::ImportUsedByDocument {
                invoice: number.clone(),
                date,
            }));
        }
        let later: Option<i64> = tx
            .query_row(
                "SELECT l.import_id FROM bank_lines l JOIN allocations a ON a.payment_id = l.payment_id
                 WHERE a.invoice_id = ?1 AND l.import_id > ?2 LIMIT 1",
                params![invoice, import],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(later) = later {
            return Err(fault(StatementFault::ImportUsedByLater {
                import: later,
                invoice: number.clone(),
            }));
        }
    }
    // Nothing refused: many on a server, the balances' trigger aside (the invoices locked
    // first, what they settled read after), the kept sums of those invoices caught up once at the end.
    let taken_back: i64 = tx.query_row(
        &format!("SELECT COUNT(*) FROM ({TAKEN_BACK}) p"),
        [import],
        |r| r.get(0),
    )?;
    let aside = crate::invoices::kept::UnsettledAside::begin_past(
        &tx,
        usize::try_from(taken_back).unwrap_or(usize::MAX),
    )?;
    let settled: Vec<i64> = if aside.is_some() {
        tx.prepare(&format!(
            "SELECT a.invoice_id FROM ({TAKEN_BACK}) p JOIN allocations a ON a.payment_id = p.payment_id
             UNION SELECT d.invoice_id FROM ({TAKEN_BACK}) p
             JOIN settlement_differences d ON d.payment_id = p.payment_id"
        ))?
        .query_map([import], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?
    } else {
        Vec::new()
    };
    let payments: Vec<(i64, i64, i64, String)> = tx
        .prepare(
            "SELECT p.id, p.customer_id, p.amount_minor, p.currency FROM bank_lines l JOIN payments p ON p.id = l.payment_id
             WHERE l.import_id = ?1",
        )?
        .query_map([import], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let count: usize = tx.query_row(
        "SELECT COUNT(*) FROM bank_lines WHERE import_id = ?1",
        [import],
        |r| r.get::<_, i64>(0),
    )? as usize;
    // Its returns first: what they reopened is settled again (the history says so).
    let reversals: Vec<(i64, i64, i64, i64, String)> = tx
        .prepare(
            "SELECT r.id, p.id, p.customer_id, p.amount_minor, p.currency FROM payment_reversals r
             JOIN bank_lines l ON l.id = r.line_id JOIN payments p ON p.id = r.payment_id
             WHERE l.import_id = ?1",
        )?
        .query_map([import], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    for (rid, pid, customer, amount, currency) in reversals {
        tx.execute("DELETE FROM payment_reversals WHERE id = ?1", [rid])?;
        let invoices: Vec<i64> = tx
            .prepare("SELECT invoice_id FROM allocations WHERE payment_id = ?1")?
            .query_map([pid], |r| r.get(0))?
            .collect::<crate::store::sql::Result<_>>()?;
        let mut e = NewEntry::new(JournalKind::Note, customer, as_of);
        e.action = Some("bank_import_undone".into());
        e.amount = Some((amount, Currency::parse(&currency)?));
        e.invoices = invoices.into_iter().map(|i| (i, None)).collect();
        e.note = match lang {
            Lang::Fr => format!("Import de relevé n°{import} annulé : le retour du paiement est retiré, le paiement compte de nouveau"),
            Lang::En => format!("Statement import {import} undone: the payment's return is removed, the payment counts again"),
        };
        journal::append(&tx, &e)?;
    }
    // Its lines are forgotten: a return of an earlier import pointing at one of them waits
    // again for its credit.
    tx.execute(
        "UPDATE bank_lines SET reverses = NULL WHERE import_id = ?1",
        [import],
    )?;
    // What its matches taught goes with them.
    tx.execute(
        "DELETE FROM payer_accounts WHERE learnt_from IN (SELECT id FROM bank_lines WHERE import_id = ?1)",
        [import],
    )?;
    tx.execute(
        "UPDATE bank_lines SET reverses = NULL
         WHERE reverses IN (SELECT id FROM bank_lines WHERE import_id = ?1)",
        [import],
    )?;
    tx.execute("DELETE FROM bank_lines WHERE import_id = ?1", [import])?;
    for (pid, customer, amount, currency) in payments {
        let invoices: Vec<i64> = tx
            .prepare("SELECT invoice_id FROM allocations WHERE payment_id = ?1")?
            .query_map([pid], |r| r.get(0))?
            .collect::<crate::store::sql::Result<_>>()?;
        tx.execute(
            "DELETE FROM settlement_differences WHERE payment_id = ?1",
            [pid],
        )?;
        tx.execute("DELETE FROM allocations WHERE payment_id = ?1", [pid])?;
        tx.execute("DELETE FROM payments WHERE id = ?1", [pid])?;
        let mut e = NewEntry::new(JournalKind::Note, customer, as_of);
        e.action = Some("bank_import_undone".into());
        e.amount = Some((amount, Currency::parse(&currency)?));
        e.invoices = invoices.into_iter().map(|i| (i, None)).collect();
        e.note = match lang {
            Lang::Fr => format!("Import de relevé n°{import} annulé : paiement retiré"),
            Lang::En => format!("Statement import {import} undone: payment removed"),
        };
        journal::append(&tx, &e)?;
    }
    tx.execute("DELETE FROM bank_statements WHERE import_id = ?1", [import])?;
    tx.execute("DELETE FROM bank_imports WHERE id = ?1", [import])?;
    if let Some(aside) = aside {
        aside.catch_up(&tx, &settled)?;
    }
    super::kept::fold_in(&tx)?;
    tx.commit()?;
    Ok(count)
}

/// Money in not matched yet (nor set aside), dated up to `as_of`: (currency, minor units,
/// payer, date). Dunning holds every open invoice whose balance is one of these amounts
/// until the owner has looked: reminding a customer who has paid is the worst it can do.
/// ([`CREDITS_WAITING`] says how it is read.)
pub fn unmatched_credits(
    conn: &Connection,
    as_of: NaiveDate,
) -> Result<Vec<(String, i64, String, NaiveDate)>> {
    let mut stmt = conn.prepare_cached(CREDITS_WAITING)?;
    let rows = stmt.query_map([as_of], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// An invoice held by a credit not matched yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "HeldInvoice")]
pub struct Held {
    pub invoice: String,
    pub customer_name: String,
    /// Decimal string.
    pub amount: String,
    pub currency: String,
    pub payer: String,
    pub arrived: NaiveDate,
}

/// What Today says about the bank: when the last statement was imported and up to which
/// day it ran, how many lines wait for the owner, and the invoices their credits hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BankSummary {
    pub last_import: Option<NaiveDate>,
    /// The last day a statement covered (its end date, else its last line's).
    pub covered_to: Option<NaiveDate>,
    /// Lines neither matched, set aside nor money out.
    pub to_review: usize,
    pub held: Vec<Held>,
    /// How many days old the statements are (today minus the last day they cover) when
    /// that is more than Settings' `statement_stale_days`: before a final notice or formal
    /// demand the owner is told, and can import first. `None`: recent, or never imported
    /// (an owner who does not import statements is not nagged).
    #[ts(type = "number | null")]
    pub stale_days: Option<i64>,
    /// Days no imported statement of an account covers, between two that do.
    pub gaps: Vec<Gap>,
    /// The last imports, newest first (each can be undone while nothing used it since).
    pub imports: Vec<ImportInfo>,
}

/// One import, as the Bank screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankImport")]
pub struct ImportInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub imported_on: NaiveDate,
    pub files: String,
    pub format: String,
    #[ts(type = "number")]
    pub lines: i64,
    /// Lines that became payments.
    #[ts(type = "number")]
    pub matched: i64,
}

/// The last `limit` imports, newest first.
pub fn imports(conn: &Connection, limit: u32) -> Result<Vec<ImportInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.imported_on, i.files, i.format, i.line_count,
                (SELECT COUNT(*) FROM bank_lines l WHERE l.import_id = i.id AND l.payment_id IS NOT NULL)
         FROM bank_imports i ORDER BY i.id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(ImportInfo {
            id: r.get(0)?,
            imported_on: r.get(1)?,
            files: r.get(2)?,
            format: r.get(3)?,
            lines: r.get(4)?,
            matched: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// Days between two imported statements of one account that none covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "BankGap")]
pub struct Gap {
    pub account: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The gaps between the statements imported, account by account: each statement covers
/// its own from–to dates, else its lines' first and last days.
pub fn gaps(conn: &Connection) -> Result<Vec<Gap>> {
    let mut stmt = conn.prepare(
        "SELECT s.account,
                COALESCE(s.from_date, (SELECT MIN(l.date) FROM bank_lines l WHERE l.import_id = s.import_id AND l.account = s.account)),
                COALESCE(s.to_date, (SELECT MAX(l.date) FROM bank_lines l WHERE l.import_id = s.import_id AND l.account = s.account))
         FROM bank_statements s",
    )?;
    let mut spans: Vec<(String, NaiveDate, NaiveDate)> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<NaiveDate>>(1)?,
                r.get::<_, Option<NaiveDate>>(2)?,
            ))
        })?
        .filter_map(|r| match r {
            Ok((a, Some(f), Some(t))) if f <= t => Some(Ok((a, f, t))),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<crate::store::sql::Result<_>>()?;
    spans.sort();
    let mut out = Vec::new();
    let mut reach: Option<(&str, NaiveDate)> = None;
    for (account, from, to) in &spans {
        match reach {
            Some((a, until)) if a == account => {
                if *from > until + chrono::Duration::days(1) {
                    out.push(Gap {
                        account: account.clone(),
                        from: until + chrono::Duration::days(1),
                        to: *from - chrono::Duration::days(1),
                    });
                }
                reach = Some((a, until.max(*to)));
            }
            _ => reach = Some((account, *to)),
        }
    }
    Ok(out)
}

/// See [`BankSummary`].
pub fn summary(conn: &Connection, as_of: NaiveDate) -> Result<BankSummary> {
    let last_import: Option<NaiveDate> = conn.query_row(
        "SELECT MAX(imported_on) FROM bank_imports WHERE imported_on <= ?1",
        [as_of],
        |r| r.get(0),
    )?;
    let covered_to: Option<NaiveDate> = conn.query_row(
        "SELECT MAX(d) FROM (SELECT MAX(to_date) AS d FROM bank_statements
         UNION ALL SELECT MAX(date) FROM bank_lines) dates",
        [],
        |r| r.get(0),
    )?;
    let stale_after = crate::settings::get(conn)?.statement_stale_days;
    let stale_days = covered_to
        .map(|d| (as_of - d).num_days())
        .filter(|days| *days > stale_after);
    let credits = unmatched_credits(conn, as_of)?;
    let mut held = Vec::new();
    let mut seen = HashSet::new();
    for (currency, amount, payer, arrived) in &credits {
        // The open invoices of exactly that balance, through the index on open balances
        // (`invoices_open_balance`): a probe per credit, not a read of every open invoice.
        let mut stmt = conn.prepare_cached(
            "SELECT i.number, c.name FROM invoices i JOIN customers c ON c.id = i.customer_id
             WHERE i.settled_minor < i.total_minor AND i.total_minor - i.settled_minor = ?1 AND i.currency = ?2
               AND NOT EXISTS (SELECT 1 FROM invoice_closures x WHERE x.invoice_id = i.id)
             ORDER BY i.due_date, i.id",
        )?;
        let rows = stmt
            .query_map(params![amount, currency], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<crate::store::sql::Result<Vec<_>>>()?;
        for (invoice, customer_name) in rows {
            // Two credits of one amount hold an invoice once.
            if !seen.insert(invoice.clone()) {
                continue;
            }
            held.push(Held {
                invoice,
                customer_name,
                amount: money(*amount, currency),
                currency: currency.clone(),
                payer: payer.clone(),
                arrived: *arrived,
            });
        }
    }
    // Waiting for the owner: every undecided line that is money in (the others are money
    // out, never matched) — counted, not matched line by line each time Today loads.
    let to_review: i64 = conn.query_row(CREDITS_TO_REVIEW, [], |r| r.get(0))?;
    let to_review = to_review as usize;
    Ok(BankSummary {
        last_import,
        covered_to,
        to_review,
        held,
        stale_days,
        gaps: gaps(conn)?,
        imports: imports(conn, 10)?,
    })
}

/// The RF reference of invoice `number`, allocated (and stored) the first time it is asked.
pub fn invoice_reference(conn: &Connection, number: &str) -> Result<String> {
    let key = crate::validate::identifier_key(number);
    let id: i64 = conn
        .query_row("SELECT id FROM invoices WHERE number = ?1", [&key], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| Error::invalid("invoice", Msg::UnknownInvoice(key.clone())))?;
    references_for(conn, &[id])
}

/// The RF reference allocated for exactly this set of invoices, allocated now if none was.
pub fn references_for(conn: &Connection, invoices: &[i64]) -> Result<String> {
    let mut ids = invoices.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(Error::invalid(
            "invoice",
            Msg::Statement(StatementFault::NoInvoice),
        ));
    }
    let mut stmt = conn.prepare(
        "SELECT r.id, r.reference, group_concat(ri.invoice_id) FROM payment_references r
         JOIN payment_reference_invoices ri ON ri.reference_id = r.id
         WHERE r.id IN (SELECT reference_id FROM payment_reference_invoices WHERE invoice_id = ?1)
         GROUP BY r.id",
    )?;
    let wanted: Vec<String> = ids.iter().map(i64::to_string).collect();
    for row in stmt.query_map([ids[0]], |r| {
        Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })? {
        let (reference, members) = row?;
        let mut m: Vec<String> = members.split(',').map(str::to_string).collect();
        m.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        if m == wanted {
            return Ok(reference);
        }
    }
    let next: i64 = conn.query_row(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM payment_references",
        [],
        |r| r.get(0),
    )?;
    let reference = super::reference::rf(&super::reference::body_for(next))
        .expect("RL and a number is a valid body");
    conn.execute(
        "INSERT INTO payment_references (id, reference) VALUES (?1, ?2)",
        params![next, reference],
    )?;
    for id in ids {
        conn.execute(
            "INSERT INTO payment_reference_invoices (reference_id, invoice_id) VALUES (?1, ?2)",
            params![next, id],
        )?;
    }
    Ok(reference)
}
