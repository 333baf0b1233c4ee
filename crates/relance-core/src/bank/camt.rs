//! ISO 20022 camt.053 (account statement) and camt.054 (debit/credit notification), every
//! version from .001.02 to .001.08: elements are read by local name, whatever the
//! namespace. Streamed with quick-xml; a DTD or an entity other than the five predefined
//! ones and character references refuses the file (no XXE, no billion laughs).

use super::{amount, fault, in_range, Format, Line, Parsed, Statement};
use crate::error::{Place, Result, StatementFault};
use chrono::NaiveDate;
use quick_xml::events::Event;

/// One transaction being read (`TxDtls`), its figures until the entry ends.
#[derive(Default)]
struct Tx {
    amount: Option<(String, String, Place)>,
    credit: Option<bool>,
    /// The debtor's and the creditor's name and account: the other party is the debtor of a
    /// credit, the creditor of a debit.
    debtor: (String, String),
    creditor: (String, String),
    line: Line,
    ustrd: Vec<String>,
    returned: bool,
}

#[derive(Default)]
struct Entry {
    amount: Option<(String, String, Place)>,
    credit: Option<bool>,
    reversal: bool,
    status: String,
    booking: Option<NaiveDate>,
    value: Option<NaiveDate>,
    acct_svcr_ref: String,
    ntry_ref: String,
    info: String,
    txs: Vec<Tx>,
}

#[derive(Default)]
struct Balance {
    code: String,
    amount: Option<(String, String, Place)>,
    credit: Option<bool>,
}

/// Reads a camt.053 or camt.054 document.
pub fn parse(text: &str) -> Result<Parsed> {
    let mut reader = quick_xml::Reader::from_str(text);
    // Not trimmed event by event: "Parc &amp; Spa" keeps its spaces around the entity;
    // each value is trimmed whole.
    reader.config_mut().trim_text(false);
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut format = None;
    let mut statements: Vec<Statement> = Vec::new();
    let mut stmt: Option<Statement> = None;
    let mut entry: Option<Entry> = None;
    let mut entries = 0usize;
    let mut balance: Option<Balance> = None;
    let mut balances: Vec<Balance> = Vec::new();
    let mut pending_ccy = String::new();
    let at = |path: &[String], entries: usize| -> Place {
        let mut p = path
            .iter()
            .skip_while(|e| !matches!(e.as_str(), "Stmt" | "Ntfctn" | "Rpt"))
            .cloned()
            .collect::<Vec<_>>();
        if let Some(i) = p.iter().position(|e| e == "Ntry") {
            p[i] = format!("Ntry[{entries}]");
        }
        Place::Element(if p.is_empty() {
            path.join("/")
        } else {
            p.join("/")
        })
    };
    loop {
        let fmt = format.unwrap_or(Format::Camt053);
        let ev = reader.read_event().map_err(|e| {
            fault(StatementFault::Malformed {
                format: fmt.name().into(),
                at: at(&path, entries),
                detail: crate::error::Detail::Xml(e.to_string()),
            })
        })?;
        match ev {
            Event::DocType(_) => return Err(fault(StatementFault::Dtd)),
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if path.is_empty() && name != "Document" {
                    return Err(not_camt(&name));
                }
                if name == "Amt" {
                    pending_ccy = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "Ccy")
                        .map(|a| a.value.to_string())
                        .unwrap_or_default();
                }
                match name.as_str() {
                    "BkToCstmrStmt" => format = Some(Format::Camt053),
                    "BkToCstmrDbtCdtNtfctn" => format = Some(Format::Camt054),
                    "BkToCstmrAcctRpt" => format = Some(Format::Camt053),
                    "Stmt" | "Ntfctn" | "Rpt" => {
                        stmt = Some(Statement::default());
                        balances.clear();
                        entries = 0;
                    }
                    "Bal" if stmt.is_some() => balance = Some(Balance::default()),
                    "Ntry" if stmt.is_some() => {
                        entries += 1;
                        entry = Some(Entry::default());
                    }
                    "TxDtls" => {
                        if let Some(en) = entry.as_mut() {
                            en.txs.push(Tx::default());
                        }
                    }
                    "RtrInf" => {
                        if let Some(tx) = entry.as_mut().and_then(|e| e.txs.last_mut()) {
                            tx.returned = true;
                        }
                    }
                    _ => {}
                }
                path.push(name);
                // No statement nests this deep: refused before the path grows without end.
                if path.len() > 64 {
                    return Err(fault(StatementFault::Malformed {
                        format: fmt.name().into(),
                        at: Place::Element(path[..8].join("/")),
                        detail: crate::error::Detail::TooDeep,
                    }));
                }
                buf.clear();
            }
            // An empty return block (`<RtrInf/>`) still marks a return.
            Event::Empty(e) if e.local_name().as_ref() == "RtrInf" => {
                if let Some(tx) = entry.as_mut().and_then(|e| e.txs.last_mut()) {
                    tx.returned = true;
                }
            }
            Event::Empty(_) => {}
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                Err(_) => {
                    return Err(fault(StatementFault::Malformed {
                        format: fmt.name().into(),
                        at: at(&path, entries),
                        detail: crate::error::Detail::BadCharacter(format!("&{};", &*r)),
                    }))
                }
                Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                    Some(s) => buf.push_str(s),
                    None => return Err(fault(StatementFault::Dtd)),
                },
            },
            Event::End(_) => {
                let value = std::mem::take(&mut buf);
                let value = value.trim();
                // Where this is, written out only when something needs it (an amount kept
                // for a later message, an error): never for every element of a large file.
                let place = || at(&path, entries);
                let Some(name) = path.last().cloned() else {
                    break;
                };
                let tail = |n: usize| -> &[String] { &path[path.len().saturating_sub(n)..] };
                let in_tx = path.iter().any(|e| e == "TxDtls");
                let in_entry = path.iter().any(|e| e == "Ntry");
                let in_bal = path.iter().any(|e| e == "Bal");
                let date_of = |v: &str| -> Result<NaiveDate> {
                    let d = v.get(..10).unwrap_or(v);
                    let parsed = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                        fault(StatementFault::BadDate {
                            format: fmt.name().into(),
                            at: place(),
                            value: v.into(),
                        })
                    })?;
                    if parsed < crate::validate::earliest() || parsed > crate::validate::latest() {
                        return in_range(fmt, &place(), v, parsed);
                    }
                    Ok(parsed)
                };
                if in_bal {
                    if let Some(b) = balance.as_mut() {
                        match name.as_str() {
                            "Cd" if tail(2)[0] == "CdOrPrtry"
                                && !path.iter().any(|e| e == "SubTp") =>
                            {
                                b.code = value.to_string()
                            }
                            // The balance's own amount, not an availability's (Bal/Avlbty/Amt).
                            "Amt" if tail(2)[0] == "Bal" => {
                                b.amount = Some((value.to_string(), pending_ccy.clone(), place()))
                            }
                            "CdtDbtInd" if tail(2)[0] == "Bal" => b.credit = Some(value == "CRDT"),
                            "Bal" => {
                                if let Some(b) = balance.take() {
                                    balances.push(b);
                                }
                            }
                            _ => {}
                        }
                    }
                } else if in_tx {
                    let tx = entry.as_mut().and_then(|e| e.txs.last_mut());
                    if let Some(tx) = tx {
                        let t2 = tail(2);
                        let t3 = tail(3);
                        match name.as_str() {
                            "Amt" if t2[0] == "TxDtls" || t3.iter().any(|e| e == "TxAmt") => {
                                tx.amount = Some((value.to_string(), pending_ccy.clone(), place()))
                            }
                            "CdtDbtInd" if t2[0] == "TxDtls" => tx.credit = Some(value == "CRDT"),
                            "AcctSvcrRef" if t2[0] == "Refs" => tx.line.bank_ref = value.into(),
                            "EndToEndId" => tx.line.end_to_end = value.into(),
                            "Ustrd" => tx.ustrd.push(value.into()),
                            "Ref" if t2[0] == "CdtrRefInf" => tx.line.reference = value.into(),
                            // The debtor and the creditor (`Dbtr/Nm`, or `Dbtr/Pty/Nm` in .08),
                            // kept marked until the entry says which is the other party.
                            "Nm" if path.iter().any(|e| e == "RltdPties") => {
                                if path.iter().any(|e| e == "Dbtr") {
                                    tx.debtor.0 = value.to_string();
                                } else if path.iter().any(|e| e == "Cdtr") {
                                    tx.creditor.0 = value.to_string();
                                }
                            }
                            "IBAN" if path.iter().any(|e| e == "DbtrAcct") => {
                                tx.debtor.1 = value.replace(' ', "")
                            }
                            "IBAN" if path.iter().any(|e| e == "CdtrAcct") => {
                                tx.creditor.1 = value.replace(' ', "")
                            }
                            "AddtlTxInf" if tx.ustrd.is_empty() => tx.ustrd.push(value.into()),
                            _ => {}
                        }
                    }
                } else if in_entry {
                    if let Some(en) = entry.as_mut() {
                        let t2 = tail(2);
                        match name.as_str() {
                            "Amt" if t2[0] == "Ntry" => {
                                en.amount = Some((value.to_string(), pending_ccy.clone(), place()))
                            }
                            "CdtDbtInd" if t2[0] == "Ntry" => en.credit = Some(value == "CRDT"),
                            "RvslInd" => en.reversal = value.eq_ignore_ascii_case("true"),
                            "Sts" | "Cd"
                                if (t2[0] == "Ntry" || t2[0] == "Sts") && !value.is_empty() =>
                            {
                                en.status = value.to_string()
                            }
                            "Dt" | "DtTm" if t2[0] == "BookgDt" => {
                                en.booking = Some(date_of(value)?)
                            }
                            "Dt" | "DtTm" if t2[0] == "ValDt" => en.value = Some(date_of(value)?),
                            "AcctSvcrRef" if t2[0] == "Ntry" => en.acct_svcr_ref = value.into(),
                            "NtryRef" => en.ntry_ref = value.into(),
                            "AddtlNtryInf" => en.info = value.into(),
                            "Ntry" => {
                                let en = entry.take().expect("in an entry");
                                if let Some(s) = stmt.as_mut() {
                                    close_entry(fmt, s, en, &place())?;
                                }
                            }
                            _ => {}
                        }
                    }
                } else if let Some(s) = stmt.as_mut() {
                    let t2 = tail(2);
                    match name.as_str() {
                        "IBAN" if t2[0] == "Id" && path.iter().any(|e| e == "Acct") => {
                            s.account = value.replace(' ', "")
                        }
                        "Id" if t2[0] == "Othr"
                            && path.iter().any(|e| e == "Acct")
                            && s.account.is_empty() =>
                        {
                            s.account = value.into()
                        }
                        "Ccy" if t2[0] == "Acct" => s.currency = value.into(),
                        "FrDtTm" | "FrDt" => s.from = Some(date_of(value)?),
                        "ToDtTm" | "ToDt" => s.to = Some(date_of(value)?),
                        "Stmt" | "Ntfctn" | "Rpt" => {
                            let mut s = stmt.take().expect("in a statement");
                            close_balances(fmt, &mut s, &balances)?;
                            statements.push(s);
                        }
                        _ => {}
                    }
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(format) = format else {
        return Err(not_camt("Document"));
    };
    if !path.is_empty() {
        return Err(fault(StatementFault::Malformed {
            format: format.name().into(),
            at: Place::Element(path.join("/")),
            detail: crate::error::Detail::Truncated,
        }));
    }
    if statements.iter().all(|s| s.lines.is_empty()) {
        return Err(fault(StatementFault::NoLines));
    }
    Ok(Parsed {
        format,
        statements,
        skipped: Vec::new(),
    })
}

fn not_camt(root: &str) -> crate::error::Error {
    fault(StatementFault::Malformed {
        format: "camt.053/054".into(),
        at: Place::Element(root.into()),
        detail: crate::error::Detail::NotBankToCustomer,
    })
}

/// The entry's lines: one per `TxDtls` with its own amount (a batch is split), or the
/// entry itself when it details none.
fn close_entry(format: Format, s: &mut Statement, en: Entry, at: &Place) -> Result<()> {
    if matches!(en.status.as_str(), "PDNG" | "INFO") {
        return Ok(());
    }
    let missing = |field: &str| {
        fault(StatementFault::Missing {
            format: format.name().into(),
            at: at.clone(),
            field: field.into(),
        })
    };
    let (amt, ccy, amt_at) = en.amount.clone().ok_or_else(|| missing("Amt"))?;
    let ccy = if ccy.is_empty() {
        s.currency.clone()
    } else {
        ccy
    };
    let credit = en.credit.ok_or_else(|| missing("CdtDbtInd"))?;
    if en.booking.is_none() && en.value.is_none() {
        return Err(missing("BookgDt"));
    }
    let entry_minor = amount(format, &amt_at, &amt, &ccy)?;
    let entry_signed = if credit { entry_minor } else { -entry_minor };
    if s.currency.is_empty() {
        s.currency = ccy.clone();
    }
    if s.currency == ccy {
        s.booked_total += entry_signed;
    }
    let single = en.txs.len() <= 1;
    let txs = if en.txs.is_empty() {
        vec![Tx::default()]
    } else {
        en.txs
    };
    for (i, tx) in txs.into_iter().enumerate() {
        let mut line = tx.line;
        // A lone transaction's amount in another currency, or zero (seen in the wild), is
        // the entry's.
        let own = tx.amount.as_ref().filter(|(a, c, _)| {
            !(single
                && ((!c.is_empty() && *c != ccy) || a.trim_start_matches(['0', '.']).is_empty()))
        });
        let (minor, cur) = match (own, single) {
            (Some((a, c, a_at)), _) => {
                let c = if c.is_empty() { ccy.clone() } else { c.clone() };
                (amount(format, a_at, a, &c)?, c)
            }
            (None, true) => (entry_minor, ccy.clone()),
            (None, false) => return Err(missing("TxDtls/Amt")),
        };
        let credit = tx.credit.unwrap_or(credit);
        // The other party: the debtor of a credit, the creditor of a debit.
        let (party, account) = if credit { tx.debtor } else { tx.creditor };
        line.party = party.into();
        line.party_account = account.into();
        line.amount_minor = if credit { minor } else { -minor };
        line.currency = cur.into();
        line.booking_date = en.booking;
        line.value_date = en.value;
        line.text = if tx.ustrd.is_empty() {
            en.info.clone().into()
        } else {
            tx.ustrd.join(" ").into()
        };
        line.entry_ref = if en.acct_svcr_ref.is_empty() {
            en.ntry_ref.clone().into()
        } else {
            en.acct_svcr_ref.clone().into()
        };
        line.index_in_entry = i as u32;
        line.reversal = en.reversal || tx.returned;
        s.lines.push(line);
    }
    Ok(())
}

/// The statement's opening (OPBD, else PRCD) and closing (CLBD) booked balances.
fn close_balances(format: Format, s: &mut Statement, balances: &[Balance]) -> Result<()> {
    for b in balances {
        let Some((amt, ccy, amt_at)) = &b.amount else {
            continue;
        };
        let ccy = if ccy.is_empty() {
            s.currency.clone()
        } else {
            ccy.clone()
        };
        if !s.currency.is_empty() && ccy != s.currency {
            continue;
        }
        let minor = amount(format, amt_at, amt, &ccy)?;
        let signed = if b.credit == Some(false) {
            -minor
        } else {
            minor
        };
        match b.code.as_str() {
            "OPBD" => s.opening = Some(signed),
            "PRCD" if s.opening.is_none() => s.opening = Some(signed),
            "CLBD" => s.closing = Some(signed),
            _ => {}
        }
    }
    Ok(())
}
