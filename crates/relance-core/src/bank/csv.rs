//! Bank CSV exports: `;` or `,` (or tab), amounts as French banks write them ("1 234,56",
//! with a no-break or narrow space) or signed ("-1234.56"), one amount column or separate
//! Débit/Crédit ones, preamble lines (account, balance) before the header. The first time
//! a layout (its header) is seen the owner maps its columns once ([`Mapping`]); the mapping
//! is kept for that layout and the file is read through it from then on.

use super::{amount, date, fault, Format, Line, Parsed, Statement};
use crate::error::{Place, Result, StatementFault};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

const F: Format = Format::Csv;

/// How a bank CSV layout's columns are read (saved once per layout).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(rename = "CsvMapping")]
pub struct Mapping {
    /// The layout's key: its header, columns folded and joined (see [`layout_key`]).
    pub layout: String,
    /// The header as the bank writes it, for display.
    pub columns: Vec<String>,
    pub date: String,
    /// One signed amount column, or a debit and a credit column.
    pub amount: Option<String>,
    pub debit: Option<String>,
    pub credit: Option<String>,
    pub label: Option<String>,
    pub payer: Option<String>,
    pub reference: Option<String>,
    /// chrono's format: `%d/%m/%Y` unless the owner said otherwise.
    pub date_format: String,
    /// The account the statements of this layout belong to (the owner's IBAN by default).
    pub account: String,
    pub currency: String,
}

/// A CSV file as it looks: its columns and first rows, what the mapping step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "CsvPreview")]
pub struct Preview {
    pub layout: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
    /// Rows after the header of another width (line, cells): reported, never dropped silently.
    odd: Vec<(usize, usize)>,
    width: usize,
}

/// "31/12/2026", "2026-12-31", "31.12.26": what a date column holds.
fn looks_like_date(cell: &str) -> bool {
    let parts: Vec<&str> = cell.trim().split(['/', '-', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
}

/// The header's columns folded (trimmed, lower-cased) and joined: the same bank export
/// gives the same key whatever the rows.
pub fn layout_key(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| c.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join("|")
}

/// The table in the text: the delimiter that gives the most rows of one width (at least 3
/// columns), the header the first row of that width (preamble lines before it are skipped).
fn table(text: &str) -> Option<Table> {
    let mut best: Option<(usize, Table)> = None;
    for delim in [b';', b',', b'\t'] {
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delim)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
        for rec in reader.records() {
            let Ok(rec) = rec else { return None };
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            rows.push((line, cells));
        }
        let mut counts = std::collections::HashMap::new();
        for (_, r) in &rows {
            *counts.entry(r.len()).or_insert(0usize) += 1;
        }
        let Some((&width, &n)) = counts
            .iter()
            .filter(|(w, _)| **w >= 3)
            .max_by_key(|(w, n)| (**n, **w))
        else {
            continue;
        };
        if n < 2 {
            continue;
        }
        // The header is the row of that width naming the most columns in words, before the
        // first row holding a date (the data): a preamble line padded to the same width
        // ("Compte n° …;;;;") names one, a header with an empty last cell still most.
        let dated = |r: &[String]| r.iter().any(|c| looks_like_date(c));
        let first_data = rows
            .iter()
            .position(|(_, r)| r.len() == width && dated(r))
            .unwrap_or(rows.len());
        let score = |r: &[String]| {
            r.iter()
                .filter(|c| c.chars().any(char::is_alphabetic) && !looks_like_date(c))
                .count()
        };
        let start = rows[..first_data]
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| r.len() == width)
            .max_by_key(|(i, (_, r))| (score(r), *i))
            .map(|(i, _)| i)?;
        let header = rows[start].1.clone();
        let mut body = Vec::new();
        let mut odd = Vec::new();
        for (line, r) in &rows[start + 1..] {
            if r.len() == width {
                body.push((*line, r.clone()));
            } else {
                odd.push((*line, r.len()));
            }
        }
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((
                n,
                Table {
                    header,
                    rows: body,
                    odd,
                    width,
                },
            ));
        }
    }
    best.map(|(_, t)| t)
}

/// The file's columns and first five rows, or `None` when it is not a table.
pub fn preview(text: &str) -> Option<Preview> {
    let t = table(text)?;
    Some(Preview {
        layout: layout_key(&t.header),
        columns: t.header.clone(),
        rows: t.rows.iter().take(5).map(|(_, r)| r.clone()).collect(),
    })
}

/// Reads a bank CSV through the mapping saved for its layout. `None`: not a table at all
/// (another format may be tried); a table whose layout is not mapped yet is refused with
/// its columns and the command that maps them.
pub fn parse(text: &str, layouts: &[Mapping]) -> Option<Result<Parsed>> {
    let t = table(text)?;
    let key = layout_key(&t.header);
    let Some(m) = layouts.iter().find(|m| m.layout == key) else {
        return Some(Err(fault(StatementFault::UnknownLayout {
            columns: t.header.clone(),
        })));
    };
    Some(read(&t, m))
}

/// Checks a mapping against the file it is made on: the date and an amount (or debit and
/// credit) are named, every named column exists, and at most a third of the rows fail.
pub fn check(text: &str, m: &Mapping) -> Result<Parsed> {
    let Some(t) = table(text) else {
        return Err(fault(StatementFault::NoLines));
    };
    read(&t, m)
}

fn read(t: &Table, m: &Mapping) -> Result<Parsed> {
    if m.date.trim().is_empty() || (m.amount.is_none() && (m.debit.is_none() || m.credit.is_none()))
    {
        return Err(fault(StatementFault::MappingIncomplete));
    }
    let col = |name: &Option<String>| -> Result<Option<usize>> {
        match name {
            None => Ok(None),
            Some(n) if n.trim().is_empty() => Ok(None),
            Some(n) => t
                .header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n.trim()))
                .map(Some)
                .ok_or_else(|| fault(StatementFault::NoSuchColumn(n.clone()))),
        }
    };
    let date_col = col(&Some(m.date.clone()))?.expect("named");
    let (amount_col, debit_col, credit_col) = (col(&m.amount)?, col(&m.debit)?, col(&m.credit)?);
    let (label_col, payer_col, ref_col) = (col(&m.label)?, col(&m.payer)?, col(&m.reference)?);
    let fmt = if m.date_format.trim().is_empty() {
        "%d/%m/%Y"
    } else {
        m.date_format.as_str()
    };
    let currency = if m.currency.is_empty() {
        "EUR"
    } else {
        m.currency.as_str()
    };
    let mut lines = Vec::new();
    let mut errors: Vec<crate::error::Msg> = Vec::new();
    for (at, row) in &t.rows {
        let place = Place::Line(*at);
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(String::as_str).unwrap_or("");
        let parsed = (|| -> Result<Option<Line>> {
            let d = date(F, &place, cell(Some(date_col)), fmt)?;
            let minor = match amount_col {
                Some(c) => amount(F, &place, cell(Some(c)), currency)?,
                None => {
                    let (db, cr) = (cell(debit_col), cell(credit_col));
                    let debit = if db.trim().is_empty() {
                        0
                    } else {
                        amount(F, &place, db, currency)?.abs()
                    };
                    let credit = if cr.trim().is_empty() {
                        0
                    } else {
                        amount(F, &place, cr, currency)?.abs()
                    };
                    if debit == 0 && credit == 0 {
                        return Ok(None);
                    }
                    credit - debit
                }
            };
            let text = cell(label_col).to_string();
            Ok(Some(Line {
                booking_date: Some(d),
                value_date: None,
                amount_minor: minor,
                currency: currency.into(),
                party: cell(payer_col).into(),
                text: text.into(),
                reference: cell(ref_col).into(),
                ..Line::default()
            }))
        })();
        match parsed {
            Ok(Some(l)) => lines.push(l),
            Ok(None) => {}
            Err(crate::error::Error::Invalid { msg, .. }) => errors.push(msg),
            Err(other) => return Err(other),
        }
    }
    for (line, cells) in &t.odd {
        errors.push(crate::error::Msg::Statement(StatementFault::Malformed {
            format: F.name().into(),
            at: Place::Line(*line),
            detail: crate::error::Detail::Columns(*cells, t.width),
        }));
    }
    let total = t.rows.len() + t.odd.len();
    if !errors.is_empty() && (errors.len() * 3 >= total || lines.is_empty()) {
        return Err(fault(StatementFault::MappingErrors {
            bad: errors.len(),
            total,
            first: errors.into_iter().take(3).collect(),
        }));
    }
    if lines.is_empty() {
        return Err(fault(StatementFault::NoLines));
    }
    let booked_total = lines.iter().map(|l: &Line| l.amount_minor).sum();
    Ok(Parsed {
        format: F,
        statements: vec![Statement {
            account: m.account.clone(),
            currency: currency.to_string(),
            from: lines.iter().filter_map(|l| l.booking_date).min(),
            to: lines.iter().filter_map(|l| l.booking_date).max(),
            lines,
            booked_total,
            ..Statement::default()
        }],
        skipped: errors,
    })
}
