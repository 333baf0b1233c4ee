//! SWIFT MT940 statements: `:20:` starts a statement, `:25:` its account, `:60F:`/`:60M:` and
//! `:62F:`/`:62M:` its balances, each `:61:` a line and the `:86:` after it its details —
//! German SEPA structured fields (`?20`–`?29` and `?60`–`?63` the purpose with `EREF+`,
//! `SVWZ+`…, `?31` the payer's IBAN, `?32`/`?33` the name) or free text. Lines some banks put
//! before `:20:` (SWIFT blocks, bank codes) are skipped.

use super::{amount, fault, in_range, Format, Line, Parsed, Statement};
use crate::error::{Detail, Place, Result, StatementFault};
use chrono::NaiveDate;

const F: Format = Format::Mt940;

/// Whether the text looks like MT940: a `:20:` tag at the start of a line, and a `:61:` or a
/// `:60F:`/`:60M:` one.
pub fn looks_like(text: &str) -> bool {
    let head: String = text.chars().take(4000).collect();
    let tag = |t: &str| head.starts_with(t) || head.contains(&format!("\n{t}"));
    tag(":20:") && (tag(":61:") || tag(":60F:") || tag(":60M:") || tag(":25:"))
}

/// Reads an MT940 file.
pub fn parse(text: &str) -> Result<Parsed> {
    // Fields: (tag, value, first line number); a line not starting with ':' continues the
    // previous field (`:86:` spans several lines).
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    // Inside a statement: from `:20:` to its closing "-" (what comes between two statements,
    // bank codes or SWIFT blocks, is skipped).
    let mut inside = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.starts_with(":20:") {
            inside = true;
        }
        if !inside {
            continue;
        }
        if line.trim() == "-" || line.starts_with("-}") {
            inside = false;
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let tagged = line.strip_prefix(':').and_then(|r| {
            let end = r.find(':')?;
            let tag = &r[..end];
            (tag.len() <= 4 && tag.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| (tag.to_string(), r[end + 1..].to_string()))
        });
        match tagged {
            Some((tag, value)) => fields.push((tag, value, i + 1)),
            None => {
                if let Some(last) = fields.last_mut() {
                    // SWIFT wraps at 65 characters: structured `:86:` subfields (`?2x`)
                    // continue without a space, free text with one, other fields on a
                    // new line.
                    if last.0 != "86" {
                        last.1.push('\n');
                    } else if !last.1.contains('?') {
                        last.1.push(' ');
                    }
                    last.1.push_str(line);
                } else if line.starts_with('{') || line.starts_with('}') {
                    continue;
                }
            }
        }
    }
    let mut statements: Vec<Statement> = Vec::new();
    for (tag, value, at) in fields {
        match tag.as_str() {
            "20" => statements.push(Statement::default()),
            "25" => {
                if let Some(s) = statements.last_mut() {
                    s.account = value.trim().replace(' ', "");
                }
            }
            "60F" | "60M" | "62F" | "62M" => {
                let Some(s) = statements.last_mut() else {
                    continue;
                };
                let (minor, ccy, date) = balance(&value, at)?;
                s.currency = ccy;
                if tag.starts_with("60") {
                    if s.opening.is_none() {
                        s.opening = Some(minor);
                        s.from = Some(date);
                    }
                } else {
                    s.closing = Some(minor);
                    s.to = Some(date);
                }
            }
            "61" => {
                let Some(s) = statements.last_mut() else {
                    continue;
                };
                let line = statement_line(&value, &s.currency, at)?;
                s.booked_total += line.amount_minor;
                s.lines.push(line);
            }
            "86" => {
                let Some(line) = statements.last_mut().and_then(|s| s.lines.last_mut()) else {
                    continue;
                };
                if line.text.is_empty() && line.party.is_empty() {
                    details(line, &value);
                }
            }
            _ => {}
        }
    }
    if statements.is_empty() {
        return Err(fault(StatementFault::Missing {
            format: F.name().into(),
            at: Place::Line(1),
            field: ":20:".into(),
        }));
    }
    if statements.iter().all(|s| s.lines.is_empty()) {
        return Err(fault(StatementFault::NoLines));
    }
    Ok(Parsed {
        format: F,
        statements,
        skipped: Vec::new(),
    })
}

/// `C250101EUR1234,56`: mark, date, currency, amount.
fn balance(v: &str, at: usize) -> Result<(i64, String, NaiveDate)> {
    let v = v.lines().next().unwrap_or("").trim();
    let place = Place::Line(at);
    if v.len() < 11 || !v.is_char_boundary(1) || !v.is_char_boundary(7) || !v.is_char_boundary(10) {
        return Err(malformed(at, Detail::TooShort("balance")));
    }
    let sign = match &v[..1] {
        "C" => 1,
        "D" => -1,
        _ => return Err(malformed(at, Detail::NoMark("balance"))),
    };
    let date = yymmdd(&v[1..7], at)?;
    let ccy = v[7..10].to_string();
    let minor = amount(F, &place, &v[10..], &ccy)?;
    Ok((sign * minor, ccy, date))
}

fn yymmdd(v: &str, at: usize) -> Result<NaiveDate> {
    let bad = || {
        fault(StatementFault::BadDate {
            format: F.name().into(),
            at: Place::Line(at),
            value: v.into(),
        })
    };
    if v.len() != 6 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let d = NaiveDate::parse_from_str(&format!("20{v}"), "%Y%m%d").map_err(|_| bad())?;
    in_range(F, &Place::Line(at), v, d)
}

/// `:61:` — value date YYMMDD, optional entry date MMDD, mark (C, D, RC, RD, CR, DR), an
/// optional funds code, the amount, the type (N…/F…/S…), the customer's reference, `//` and
/// the bank's reference, then supplementary details on the next line.
fn statement_line(v: &str, currency: &str, at: usize) -> Result<Line> {
    let first = v.lines().next().unwrap_or("").trim_end();
    let b = first.as_bytes();
    if b.len() < 12 || !first.is_ascii() {
        return Err(malformed(at, Detail::TooShort(":61:")));
    }
    let value_date = yymmdd(&first[..6], at)?;
    let mut i = 6;
    let mut booking = None;
    if b.len() >= 10 && b[6..10].iter().all(u8::is_ascii_digit) {
        let (mm, dd) = (&first[6..8], &first[8..10]);
        // The entry date's year: the value date's, or the next/previous one across New Year.
        use chrono::Datelike;
        let y = value_date.year();
        let candidates = [y - 1, y, y + 1]
            .map(|y| NaiveDate::parse_from_str(&format!("{y}{mm}{dd}"), "%Y%m%d").ok());
        booking = candidates
            .into_iter()
            .flatten()
            .min_by_key(|d| (*d - value_date).num_days().abs());
        if booking.is_none() {
            return Err(fault(StatementFault::BadDate {
                format: F.name().into(),
                at: Place::Line(at),
                value: first[6..10].into(),
            }));
        }
        i = 10;
    }
    let rest = &first[i..];
    let (credit, reversal, skip) = if rest.starts_with("RC") || rest.starts_with("CR") {
        // RC: reversal of a credit (money out); CR, written by some banks, is a credit.
        (rest.starts_with("CR"), rest.starts_with("RC"), 2)
    } else if rest.starts_with("RD") || rest.starts_with("DR") {
        (rest.starts_with("RD"), rest.starts_with("RD"), 2)
    } else if rest.starts_with('C') {
        (true, false, 1)
    } else if rest.starts_with('D') {
        (false, false, 1)
    } else {
        return Err(malformed(at, Detail::NoMark(":61:")));
    };
    let mut rest = &rest[skip..];
    // An optional funds code letter before the amount.
    if rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        rest = &rest[1..];
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    let figure = &rest[..end];
    if figure.is_empty() {
        return Err(malformed(at, Detail::NoAmount));
    }
    let minor = amount(F, &Place::Line(at), figure, currency)?;
    let rest = rest[end..].trim_start();
    // Transaction type: 4 characters (N + 3, F + 3, S + 3).
    let rest = rest.get(4..).unwrap_or("");
    let (customer_ref, bank_ref) = match rest.split_once("//") {
        Some((c, b)) => (c.trim(), b.trim()),
        None => (rest.trim(), ""),
    };
    let mut line = Line {
        value_date: Some(value_date),
        booking_date: booking.or(Some(value_date)),
        amount_minor: if credit { minor } else { -minor },
        currency: currency.into(),
        reversal,
        ..Line::default()
    };
    if !matches!(bank_ref, "" | "NONREF") {
        line.bank_ref = bank_ref.into();
    }
    if !matches!(customer_ref, "" | "NONREF") {
        line.end_to_end = customer_ref.into();
    }
    Ok(line)
}

/// A `:86:` field: German structured subfields when it has them, free text otherwise.
fn details(line: &mut Line, v: &str) {
    let v = v.replace(['\n', '\r'], "");
    if !v.contains("?20") && !v.contains("?00") && !v.contains("?32") {
        line.text = v.trim().into();
        return;
    }
    let mut purpose = String::new();
    let mut name = String::new();
    for part in v.split('?').skip(1) {
        if part.len() < 2 || !part.is_char_boundary(2) {
            continue;
        }
        let (code, text) = part.split_at(2);
        match code {
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => purpose.push_str(text),
            "31" => line.party_account = text.trim().into(),
            "32" | "33" => name.push_str(text),
            _ => {}
        }
    }
    line.party = name.trim().into();
    // SEPA keywords inside the purpose: EREF+ (end to end), SVWZ+ (the remittance text).
    let keys = [
        "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "COAM+", "OAMT+",
    ];
    let mut found: Vec<(usize, &str)> = keys
        .iter()
        .filter_map(|k| purpose.find(k).map(|i| (i, *k)))
        .collect();
    found.sort();
    if found.is_empty() {
        line.text = purpose.trim().into();
        return;
    }
    for (n, (start, key)) in found.iter().enumerate() {
        let end = found.get(n + 1).map_or(purpose.len(), |(s, _)| *s);
        let value = purpose[start + key.len()..end].trim();
        match *key {
            "EREF+" if value != "NOTPROVIDED" => line.end_to_end = value.into(),
            "SVWZ+" => line.text = value.into(),
            _ => {}
        }
    }
    if line.text.is_empty() {
        line.text = purpose[..found[0].0].trim().into();
    }
}

fn malformed(line: usize, detail: Detail) -> crate::error::Error {
    fault(StatementFault::Malformed {
        format: F.name().into(),
        at: Place::Line(line),
        detail,
    })
}
