//! Bank statements: the owner's bank files read into lines (`parse`: camt.053/054, OFX,
//! MT940, bank CSV), each line kept once (`store`), matched to the invoices it pays
//! (`matching`, a pure function) and applied as payments through `invoices::payments`.
//!
//! The parsers are pure functions from bytes to [`Statement`]s: no database, no file I/O
//! (the shells read the files). A file is refused as a whole with a [`StatementFault`] that
//! says which formats were tried and where it failed; it never panics, whatever the bytes
//! (a property test feeds it arbitrary ones).

pub mod book;
pub mod camt;
pub mod csv;
pub mod epc;
pub mod kept;
pub mod matching;
pub mod mt940;
pub mod ofx;
pub mod reference;
pub mod store;
pub mod zip;

use crate::error::{Error, Msg, Place, Result, StatementFault};
use crate::money::Currency;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The largest statement file read, in MB: a year of a busy account in camt.053 is a few MB.
pub const MAX_MB: u64 = 64;

/// The formats a file can be read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "StatementFormat")]
pub enum Format {
    Camt053,
    Camt054,
    Ofx,
    Mt940,
    Csv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Camt053 => "camt.053",
            Format::Camt054 => "camt.054",
            Format::Ofx => "OFX",
            Format::Mt940 => "MT940",
            Format::Csv => "CSV",
        }
    }
}

/// A line's text field. Most are short (a currency code, an end-to-end id, a bank
/// reference, a payer's name) and kept inline without a heap allocation: a 50 MB statement's
/// lines take about a third less memory than with `String` (the bench's peak figure).
pub type Text = compact_str::CompactString;

/// One movement on the account as the bank reported it. Amounts are signed minor units of
/// `currency`: a credit (money in) is positive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub amount_minor: i64,
    pub currency: Text,
    /// The other party: the payer of a credit, the payee of a debit.
    pub party: Text,
    /// The other party's account (IBAN when given).
    pub party_account: Text,
    /// The free text (remittance information, label, memo).
    pub text: Text,
    /// A structured creditor reference (camt `Strd/CdtrRefInf/Ref`, a CSV reference column).
    pub reference: Text,
    pub end_to_end: Text,
    /// The transaction's own bank reference (camt `TxDtls/Refs/AcctSvcrRef`, MT940 `//ref`).
    pub bank_ref: Text,
    /// The entry's reference (camt `Ntry/AcctSvcrRef` or `NtryRef`) and the transaction's
    /// index within the entry.
    pub entry_ref: Text,
    pub index_in_entry: u32,
    /// OFX `FITID`.
    pub fitid: Text,
    /// A return or a reversal of an earlier movement (camt `RvslInd`/`RtrInf`, MT940 `RC`/`RD`).
    pub reversal: bool,
}

impl Line {
    /// The day the money is at the owner's disposal: the value date, else the booking date.
    pub fn date(&self) -> NaiveDate {
        self.value_date
            .or(self.booking_date)
            .expect("every parser sets a booking or value date")
    }
}

/// One statement of one account (a file may hold several).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    /// The account (IBAN when the bank gives one, else its own account id).
    pub account: String,
    pub currency: String,
    /// Opening and closing booked balances, signed minor units, when the file gives them.
    pub opening: Option<i64>,
    pub closing: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub lines: Vec<Line>,
    /// Lines the balance check counts (booked entries: a batched camt entry counts once).
    pub booked_total: i64,
}

impl Statement {
    /// Opening plus the lines against the closing balance: `Some((expected, closing))` when
    /// both balances are given and they disagree.
    pub fn balance_mismatch(&self) -> Option<(i64, i64)> {
        let (open, close) = (self.opening?, self.closing?);
        let expected = open + self.booked_total;
        (expected != close).then_some((expected, close))
    }
}

/// A whole file read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    pub statements: Vec<Statement>,
    /// Rows a CSV mapping could not read (fewer than a third: more refuses the file),
    /// reported with the import, never silently dropped.
    pub skipped: Vec<crate::error::Msg>,
}

/// Refuses a file over [`MAX_MB`] (the shells ask before reading it).
pub fn check_size(bytes: u64) -> Result<()> {
    if bytes > MAX_MB * 1024 * 1024 {
        return Err(fault(StatementFault::TooLarge { max_mb: MAX_MB }));
    }
    Ok(())
}

/// Reads a statement file of any supported format. `csv_layouts` are the bank CSV mappings
/// the owner saved (a CSV is read only through one). The format is told by the content,
/// never by the file name.
pub fn parse(bytes: &[u8], csv_layouts: &[csv::Mapping]) -> Result<Parsed> {
    check_size(bytes.len() as u64)?;
    let text = decode(bytes);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if looks_like_ofx(start) {
        return ofx::parse(&text);
    }
    if start.starts_with('<') {
        return camt::parse(&text);
    }
    if mt940::looks_like(start) {
        return mt940::parse(&text);
    }
    if let Some(result) = csv::parse(&text, csv_layouts) {
        return result;
    }
    let looked_like: String = start
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Err(fault(StatementFault::Unrecognised {
        looked_like: looked_like.trim().to_string(),
    }))
}

fn looks_like_ofx(start: &str) -> bool {
    let head: String = start.chars().take(600).collect();
    head.contains("OFXHEADER") || head.contains("<OFX>")
}

/// The file as text: UTF-8 (with or without BOM) when it is valid UTF-8, else Windows-1252
/// (a superset of ISO-8859-1's printable characters), what French bank exports use. An
/// OFX header or XML declaration naming another charset is honoured by the parser.
pub fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        // Not copied: a 50 MB statement is read in place.
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()),
    }
}

pub(crate) fn fault(f: StatementFault) -> Error {
    Error::invalid("file", Msg::Statement(f))
}

/// A bank's amount ("1234.56", "-1 234,56", "1.234,56") in `currency`'s minor units;
/// refused with the place it was read at, naming more decimals than the currency has.
pub(crate) fn amount(format: Format, at: &Place, value: &str, currency: &str) -> Result<i64> {
    let bad = || {
        fault(StatementFault::BadAmount {
            format: format.name().into(),
            at: at.clone(),
            value: value.trim().into(),
        })
    };
    let cur = Currency::parse(currency).unwrap_or(Currency::EUR);
    let digits = cur.digits();
    // Banks write plain numbers: a lone separator is always the decimal mark here (no
    // thousands ambiguity: "1,500" from a bank is one and a half).
    let cleaned: String = value
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    let (sign, body) = match cleaned.strip_prefix('-') {
        Some(b) => (-1, b),
        None => (1, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let last = body.rfind(['.', ',']);
    let (int, frac) = match last {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    // Thousands groups, when written, are groups of three ("1.234.567,89"): "1.2.3" is no
    // amount.
    let groups: Vec<&str> = int.split(['.', ',']).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err(bad());
    }
    let int: String = int.chars().filter(|c| *c != '.' && *c != ',').collect();
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() > 13
    {
        return Err(bad());
    }
    let frac_trimmed = frac.trim_end_matches('0');
    if frac_trimmed.len() as u32 > digits {
        return Err(fault(StatementFault::TooManyDecimals {
            format: format.name().into(),
            at: at.clone(),
            value: value.trim().into(),
            currency: cur.code().into(),
        }));
    }
    let mut minor: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    minor = minor.checked_mul(10i64.pow(digits)).ok_or_else(bad)?;
    let mut f = frac_trimmed.to_string();
    while (f.len() as u32) < digits {
        f.push('0');
    }
    if !f.is_empty() {
        minor += f.parse::<i64>().map_err(|_| bad())?;
    }
    Ok(sign * minor)
}

/// A date the bank wrote in `fmt` (chrono's format), refused outside 2000–2099.
pub(crate) fn date(format: Format, at: &Place, value: &str, fmt: &str) -> Result<NaiveDate> {
    let v = value.trim();
    let d = NaiveDate::parse_from_str(v, fmt).map_err(|_| {
        fault(StatementFault::BadDate {
            format: format.name().into(),
            at: at.clone(),
            value: v.into(),
        })
    })?;
    in_range(format, at, v, d)
}

pub(crate) fn in_range(format: Format, at: &Place, v: &str, d: NaiveDate) -> Result<NaiveDate> {
    if d < crate::validate::earliest() || d > crate::validate::latest() {
        return Err(fault(StatementFault::DateOutOfRange {
            format: format.name().into(),
            at: at.clone(),
            value: v.into(),
        }));
    }
    Ok(d)
}

/// Letters and digits only, upper-cased, look-alikes folded (NFKC): what invoice numbers
/// and references are compared on ("FA 2026/101" → "FA2026101").
pub fn alnum_key(s: &str) -> String {
    // Plain ASCII needs no compatibility folding: the matcher calls this for every word of
    // every line.
    if s.is_ascii() {
        return s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
    }
    crate::validate::identifier_key(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn bank_amounts_are_read_to_the_cent() {
        let at = Place::Line(1);
        let a = |v: &str| amount(Format::Csv, &at, v, "EUR");
        assert_eq!(a("1234.56").unwrap(), 123_456);
        assert_eq!(a("-1 234,56").unwrap(), -123_456);
        assert_eq!(a("1\u{202f}234,5").unwrap(), 123_450);
        assert_eq!(a("1.234,56").unwrap(), 123_456);
        assert_eq!(a("1,234.56").unwrap(), 123_456);
        assert_eq!(a("0,01").unwrap(), 1);
        assert_eq!(a("12").unwrap(), 1200);
        assert_eq!(a("12,").unwrap(), 1200);
        assert_eq!(a("+7,10").unwrap(), 710);
        assert!(matches!(
            a("1,234"),
            Err(Error::Invalid {
                msg: Msg::Statement(StatementFault::TooManyDecimals { .. }),
                ..
            })
        ));
        assert_eq!(amount(Format::Csv, &at, "1500", "JPY").unwrap(), 1500);
        for bad in [
            "",
            "-",
            "abc",
            "1..2x",
            "12e3",
            "99999999999999",
            "1.2.3",
            "12.34.567,8",
        ] {
            assert!(a(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invoice_numbers_compare_on_letters_and_digits() {
        assert_eq!(alnum_key("FA 2026/101"), "FA2026101");
        assert_eq!(alnum_key("fa-2026-101"), "FA2026101");
        assert_eq!(alnum_key("ＦＡ－２０２６．１０１"), "FA2026101");
    }
}
