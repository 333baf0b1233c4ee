//! OFX statements: 1.x (SGML: leaf elements have no closing tag, a `KEY:VALUE` header, often
//! `CHARSET:1252` and decimal commas from French banks) and 2.x (XML). One small reader for
//! both: a tag followed by text is a value, a tag followed by another tag opens an aggregate.
//! `FITID` is each line's identity.

use super::{amount, fault, in_range, Format, Line, Parsed, Statement};
use crate::error::{Detail, Place, Result, StatementFault};
use chrono::NaiveDate;

const F: Format = Format::Ofx;

/// Reads an OFX file already decoded as text (see [`super::decode`]); a 1.x header naming
/// `CHARSET:1252` over bytes that were valid UTF-8 changes nothing (they were ASCII).
pub fn parse(text: &str) -> Result<Parsed> {
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(fault(StatementFault::Dtd));
    }
    let Some(start) = text.find("<OFX>") else {
        return Err(fault(StatementFault::Missing {
            format: F.name().into(),
            at: Place::Line(1),
            field: "<OFX>".into(),
        }));
    };
    // Line numbers counted as the reader moves on (never from the start again: a 64 MB file
    // stays linear).
    let mut counted = (start, text[..start].matches('\n').count() + 1);
    let mut line_of = |offset: usize| {
        let (from, line) = counted;
        let more = text[from..offset].matches('\n').count();
        counted = (offset, line + more);
        line + more
    };
    let mut statements = Vec::new();
    let mut stmt: Option<Statement> = None;
    let mut tx: Option<(Line, String, String, String, usize)> = None; // line, amount, name, memo, at
    let mut balance_amt: Option<(String, usize)> = None;
    let mut in_acct = false;
    let mut in_ledger = false;
    let mut rest = &text[start..];
    let mut offset = start;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else {
            return Err(malformed(line_of(offset + lt), Detail::TagNotClosed));
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_uppercase();
        let after = &rest[lt + gt + 1..];
        let next = after.find('<').unwrap_or(after.len());
        let value = unescape(after[..next].trim());
        let here = line_of(offset + lt);
        offset += lt + gt + 1;
        rest = after;
        if let Some(closing) = tag.strip_prefix('/') {
            match closing {
                "STMTTRN" => {
                    if let (Some(s), Some(t)) = (stmt.as_mut(), tx.take()) {
                        close_tx(s, t)?;
                    }
                }
                "STMTRS" | "CCSTMTRS" => {
                    if let Some(t) = tx.take() {
                        if let Some(s) = stmt.as_mut() {
                            close_tx(s, t)?;
                        }
                    }
                    if let Some(s) = stmt.take() {
                        statements.push(s);
                    }
                }
                "BANKACCTFROM" | "CCACCTFROM" => in_acct = false,
                "LEDGERBAL" => in_ledger = false,
                _ => {}
            }
            continue;
        }
        match tag.as_str() {
            "STMTRS" | "CCSTMTRS" => stmt = Some(Statement::default()),
            "BANKACCTFROM" | "CCACCTFROM" => in_acct = true,
            "LEDGERBAL" => in_ledger = true,
            "STMTTRN" => {
                if let (Some(s), Some(t)) = (stmt.as_mut(), tx.take()) {
                    close_tx(s, t)?;
                }
                tx = Some((
                    Line::default(),
                    String::new(),
                    String::new(),
                    String::new(),
                    here,
                ));
            }
            _ => {}
        }
        if value.is_empty() {
            continue;
        }
        let Some(s) = stmt.as_mut() else { continue };
        if let Some((line, amt, name, memo, _)) = tx.as_mut() {
            match tag.as_str() {
                "DTPOSTED" => line.booking_date = Some(ofx_date(&value, here)?),
                "DTUSER" | "DTAVAIL" if line.value_date.is_none() => {
                    line.value_date = Some(ofx_date(&value, here)?)
                }
                "TRNAMT" => *amt = value,
                "FITID" => line.fitid = value.into(),
                "NAME" => *name = value,
                "MEMO" => *memo = value,
                // A cheque number repeats across cheques: never a line's identity.
                "CHECKNUM" | "REFNUM" if line.end_to_end.is_empty() => {
                    line.end_to_end = value.into()
                }
                "BANKACCTTO" | "ACCTID" => line.party_account = value.into(),
                "CURRENCY" | "ORIGCURRENCY" => {}
                _ => {}
            }
            continue;
        }
        match tag.as_str() {
            "CURDEF" => s.currency = value,
            "ACCTID" if in_acct => s.account = value.replace(' ', ""),
            "DTSTART" => s.from = Some(ofx_date(&value, here)?),
            "DTEND" => s.to = Some(ofx_date(&value, here)?),
            "BALAMT" if in_ledger => balance_amt = Some((value, here)),
            _ => {}
        }
        if let Some((v, at)) = balance_amt.take() {
            let cur = if s.currency.is_empty() {
                "EUR".to_string()
            } else {
                s.currency.clone()
            };
            s.closing = Some(amount(F, &Place::Line(at), &v, &cur)?);
        }
    }
    if let Some(mut s) = stmt.take() {
        if let Some(t) = tx.take() {
            close_tx(&mut s, t)?;
        }
        statements.push(s);
    }
    // OFX gives no opening balance: the balance check does not apply.
    for s in &mut statements {
        s.closing = None;
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

fn close_tx(
    s: &mut Statement,
    (mut line, amt, name, memo, at): (Line, String, String, String, usize),
) -> Result<()> {
    let place = Place::Line(at);
    if amt.is_empty() {
        return Err(missing(at, "TRNAMT"));
    }
    if line.booking_date.is_none() {
        return Err(missing(at, "DTPOSTED"));
    }
    let cur = if s.currency.is_empty() {
        "EUR".to_string()
    } else {
        s.currency.clone()
    };
    line.amount_minor = amount(F, &place, &amt, &cur)?;
    line.currency = cur.into();
    // A value date after the booking date is the bank's availability date; DTUSER before it
    // is the day the customer ordered it: the booking date is kept then.
    if line.value_date.is_some_and(|v| Some(v) < line.booking_date) {
        line.value_date = None;
    }
    line.party = name.clone().into();
    line.text = match (name.is_empty(), memo.is_empty()) {
        (_, true) => name.into(),
        (true, false) => memo.into(),
        (false, false) => format!("{name} {memo}").into(),
    };
    s.booked_total += line.amount_minor;
    s.lines.push(line);
    Ok(())
}

/// `YYYYMMDD[HHMMSS[.XXX][[-5:EST]]]`.
fn ofx_date(v: &str, at: usize) -> Result<NaiveDate> {
    let d = v.get(..8).unwrap_or(v);
    let parsed = NaiveDate::parse_from_str(d, "%Y%m%d").map_err(|_| {
        fault(StatementFault::BadDate {
            format: F.name().into(),
            at: Place::Line(at),
            value: v.into(),
        })
    })?;
    in_range(F, &Place::Line(at), v, parsed)
}

fn unescape(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    v.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn malformed(line: usize, detail: Detail) -> crate::error::Error {
    fault(StatementFault::Malformed {
        format: F.name().into(),
        at: Place::Line(line),
        detail,
    })
}

fn missing(line: usize, field: &str) -> crate::error::Error {
    fault(StatementFault::Missing {
        format: F.name().into(),
        at: Place::Line(line),
        field: field.into(),
    })
}
