//! Contracts billed in milestones: a deposit at signature, stage invoices as the work goes,
//! and a final invoice (facture de solde) that lists the whole contract and deducts every
//! invoice issued before, line by line. The invoices are issued by Relance itself
//! ([`crate::invoices::issue`]): numbered without gaps, immutable, then dunned like any other.
//!
//! Amounts: the contract total excluding tax is split over the milestones, each given as a
//! percentage of the total or as a fixed amount; together they must cover the total
//! exactly. Amounts from percentages are rounded to the cent by the largest remainder, so
//! they sum exactly to what the percentages cover and each is within one cent of its exact
//! share. The contract's VAT (rounded once on the total) is split over the milestones the
//! same way, in proportion to their amounts, so the invoices' VAT sums to the contract's.
//!
//! Decisions: one VAT rate per contract (a VAT-exempt seller gives rate 0 and the mention);
//! a milestone invoice is dated the day it is issued (the day the milestone was reached is
//! its service date, printed on it), so numbers follow dates; the deposit (trigger "signature") is issued when the
//! contract is saved if it is signed by then; the last milestone is the final invoice.

use crate::error::{Error, Lang, Msg, Result};
use crate::invoices::issue::{self, Line, ToIssue};
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::{checked_total, positive_minor, Currency};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One milestone as typed: a share (percent) or a fixed amount excluding tax.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct MilestoneInput {
    pub label: String,
    /// Percent of the contract total ("30", "33,33"); empty when `amount` is given.
    pub share: String,
    /// A fixed amount excluding tax; empty when `share` is given.
    pub amount: String,
    /// "signature", "date" or "reached".
    pub trigger: String,
    /// The day a "date" milestone falls due.
    pub date: String,
    /// Payment terms of its invoice, in days; empty: the customer's or the company's.
    pub terms_days: String,
}

/// The contract form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ContractInput {
    pub reference: String,
    /// The customer's reference.
    pub customer: String,
    pub title: String,
    pub signed_on: String,
    /// Empty: the company's default currency.
    pub currency: String,
    /// Total excluding tax.
    pub total: String,
    /// VAT rate in percent; empty or 0 for a VAT-exempt seller.
    pub vat_rate: String,
    /// Printed on every invoice, e.g. "TVA non applicable, art. 293 B du CGI".
    pub vat_mention: String,
    pub milestones: Vec<MilestoneInput>,
    /// The answer to the question asked when the deposit would be invoiced to a customer on
    /// hold (refused on the field "confirm" until then).
    #[serde(default)]
    pub confirm: bool,
    /// A contract in another currency than the euro by a French owner: euros for one unit
    /// of it ("1.165"), to state its invoices' VAT in euros. Empty: none.
    #[serde(default)]
    pub exchange_rate: String,
}

/// One milestone of a plan, with its amounts (decimal strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlannedMilestone {
    #[ts(type = "number")]
    pub position: i64,
    pub label: String,
    /// The share typed (percent), if given as a share.
    pub share: Option<String>,
    pub net: String,
    pub vat: String,
    pub total: String,
    pub trigger: String,
    pub date: Option<NaiveDate>,
    #[ts(type = "number")]
    pub terms_days: i64,
}

/// What a schedule comes to, shown before saving: the amounts of each milestone and what
/// is missing (positive) or in excess (negative) against the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Plan {
    pub currency: String,
    pub net: String,
    pub vat: String,
    pub total: String,
    pub milestones: Vec<PlannedMilestone>,
    /// Excluding tax; "0.00" when the schedule covers the total exactly.
    pub gap: String,
    pub covered: bool,
}

/// A checked contract, its amounts computed.
struct Checked {
    reference: String,
    customer_id: i64,
    title: String,
    signed_on: NaiveDate,
    currency: Currency,
    net_minor: i64,
    vat_rate_e4: i64,
    vat_minor: i64,
    vat_mention: String,
    exchange_rate_e6: Option<i64>,
    rows: Vec<Row>,
    gap_minor: i64,
}

#[derive(Debug, Clone)]
struct Row {
    label: String,
    share_e4: Option<i64>,
    /// The share as typed ("33.33" percent, or "1/3" of the total), kept exact.
    share_text: String,
    /// The share as an exact rational over [`DEN`] (0 for a fixed amount).
    weight: i128,
    net_minor: i64,
    vat_minor: i64,
    trigger: &'static str,
    on_date: Option<NaiveDate>,
    terms_days: i64,
    /// Already invoiced (an amendment keeps it as it is).
    invoice_id: Option<i64>,
}

const TRIGGERS: [&str; 3] = ["signature", "date", "reached"];

/// Shares are exact rationals over this denominator: a percentage with up to four decimals,
/// or a fraction of the total `n/d` with `d` up to 36 (a third, a monthly twelfth): the
/// least common multiple of 1..=36, times 10^6 (percent × 10,000 per unit).
const LCM_36: i128 = 144_403_552_893_600;
const DEN: i128 = 1_000_000 * LCM_36;

/// A typed share: its exact weight over [`DEN`] and its percentage × 10,000 (rounded, for
/// display). "1/3" is exactly a third; "33.33" is 33.33 %.
fn share_weight(field: &str, value: &str) -> Result<(i128, i64)> {
    let value = value.trim();
    if let Some((n, d)) = value.split_once('/') {
        let bad = || Error::invalid(field, Msg::BadShare(value.to_string()));
        let n: i128 = n.trim().parse().map_err(|_| bad())?;
        let d: i128 = d.trim().parse().map_err(|_| bad())?;
        if !(1..=36).contains(&d) || n < 0 || n > d {
            return Err(bad());
        }
        let e4 = ((n * 2_000_000 / d) + 1) / 2; // rounded half up
        return Ok((n * DEN / d, e4 as i64));
    }
    let e4 = percent_e4(field, value)?;
    Ok((e4 as i128 * LCM_36, e4))
}

/// A share as shown and typed back: as it was typed when kept ("1/3"), else its percentage.
fn share_shown(share_e4: Option<i64>, typed: &str) -> Option<String> {
    share_e4.map(|e4| {
        if typed.is_empty() {
            issue::rate_text(e4)
        } else {
            typed.to_string()
        }
    })
}

/// A share as printed: "1/3" as it is, a percentage with its sign ("33,33 %" in French).
pub fn share_with_unit(share: &str, fr: bool) -> String {
    if share.contains('/') {
        share.to_string()
    } else if fr {
        format!("{} %", share.replace('.', ","))
    } else {
        format!("{share} %")
    }
}

/// Percent × 10,000 from a typed percentage in [0, 100].
fn percent_e4(field: &str, value: &str) -> Result<i64> {
    let r = v::rate(field, value)?;
    if r < rust_decimal::Decimal::ZERO {
        return Err(Error::invalid(field, Msg::NotPositive));
    }
    let e4 = (r * rust_decimal::Decimal::from(10_000))
        .trunc()
        .to_string()
        .parse::<i64>()
        .map_err(|_| Error::invalid(field, Msg::BadRate(value.to_string())))?;
    Ok(e4)
}

/// Splits `total` in proportion to `weights` (non-negative, summing to `denominator` × the
/// part that must be split exactly): each part is the floor of its exact share, and the
/// cents left go one each to the largest remainders (ties: the earlier part). Returns the
/// parts; their sum is `total` when the weights sum to the denominator.
pub fn largest_remainder(total: i64, weights: &[i128], denominator: i128) -> Vec<i64> {
    let exact: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let n = total as i128 * w;
            (n / denominator, n % denominator)
        })
        .collect();
    let mut parts: Vec<i64> = exact.iter().map(|(q, _)| *q as i64).collect();
    let given: i64 = parts.iter().sum();
    let sum_w: i128 = weights.iter().sum();
    let share_total = (total as i128 * sum_w / denominator) as i64;
    let mut left = share_total - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order {
        if left <= 0 {
            break;
        }
        if exact[i].1 > 0 {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
}

/// VAT on a net amount at a rate (percent × 10,000), rounded half up to the minor unit.
pub fn vat_of(net_minor: i64, rate_e4: i64) -> i64 {
    let n = net_minor as i128 * rate_e4 as i128;
    ((n + 500_000) / 1_000_000) as i64
}

fn lang_of(conn: &Connection, customer_id: i64) -> Result<Lang> {
    Ok(crate::customers::get(conn, customer_id)?.language)
}

/// Checks the form and computes every amount; a schedule that does not cover the total is
/// not refused here (see `gap_minor`): the form shows it.
fn check(conn: &Connection, input: &ContractInput, locked: &[Row]) -> Result<Checked> {
    let reference = v::required_identifier("reference", &input.reference, 40)?;
    let customer_ref = v::required_line("customer", &input.customer, 40)?;
    let customer_id = crate::customers::id_by_ref(conn, "customer", &customer_ref)?;
    let title = v::printable("title", v::required_line("title", &input.title, 200)?)?;
    let signed_on = v::parse_date("signed_on", &input.signed_on)?;
    let currency = crate::settings::currency_or_default(conn, &input.currency)?;
    let net_minor = crate::money::required_positive_minor(currency, &input.total, "total")?;
    let vat_rate_e4 = if input.vat_rate.trim().is_empty() {
        0
    } else {
        percent_e4("vat_rate", &input.vat_rate)?
    };
    let mut vat_mention = v::printable(
        "vat_mention",
        v::optional_line("vat_mention", &input.vat_mention, 200)?,
    )?;
    // Under the VAT franchise (the owner's setting) no VAT is charged, and every invoice
    // says why: the contract's mention is the franchise's unless the owner wrote one. A
    // contract already invoiced keeps the VAT it was signed with (its final invoice deducts
    // what the earlier ones charged, VAT included): the regime changed after it was agreed.
    if crate::settings::get(conn)?.vat_regime == "franchise" && locked.is_empty() {
        if vat_rate_e4 > 0 {
            return Err(Error::invalid(
                "vat_rate",
                Msg::VatNotCharged(crate::error::VatCase::Franchise),
            ));
        }
        if vat_mention.is_empty() {
            vat_mention = crate::invoices::drafts::exemption_mention(
                crate::error::VatCase::Franchise,
                lang_of(conn, customer_id)? == Lang::Fr,
            )
            .to_string();
        }
    }
    // A French owner states the VAT of an invoice in another currency in euros too (CGI art.
    // 242 nonies A; EN 16931 BT-111): the rate is entered with the contract.
    let exchange_rate_e6 = crate::invoices::drafts::exchange_rate(currency, &input.exchange_rate)?;
    if exchange_rate_e6.is_none()
        && currency != Currency::EUR
        && vat_rate_e4 > 0
        && crate::settings::get(conn)?.country == "FR"
    {
        return Err(Error::invalid(
            "exchange_rate",
            Msg::ExchangeRateRequired(currency.code().to_string()),
        ));
    }
    // The contract's VAT before the schedule is known; once it covers the total, the sum of
    // its invoices' VAT (below).
    let mut vat_minor = vat_of(net_minor, vat_rate_e4);
    crate::money::checked_total([net_minor, vat_minor])?;
    let default_terms = match conn.query_row(
        "SELECT payment_terms_days FROM customers WHERE id = ?1",
        [customer_id],
        |r| r.get::<_, Option<i64>>(0),
    )? {
        Some(t) => t,
        None => crate::settings::get(conn)?.default_payment_terms_days,
    };
    if input.milestones.is_empty() && locked.is_empty() {
        return Err(Error::invalid("milestones", Msg::EmptySchedule));
    }
    // Typed rows: shares as weights, fixed amounts as they are.
    let mut rows: Vec<Row> = locked.to_vec();
    for (i, m) in input.milestones.iter().enumerate() {
        let pos = locked.len() + i + 1;
        let field = |f: &str| format!("milestones.{i}.{f}");
        let label = v::printable(
            &field("label"),
            v::required_line(&field("label"), &m.label, 120)?,
        )?;
        let (share_e4, weight, fixed) =
            match (m.share.trim().is_empty(), m.amount.trim().is_empty()) {
                (false, true) => {
                    let (w, s) = share_weight(&field("share"), &m.share)?;
                    if w == 0 {
                        return Err(Error::invalid(
                            field("share"),
                            Msg::MilestoneNotPositive(pos),
                        ));
                    }
                    (Some(s), w, 0)
                }
                (true, false) => {
                    let a = currency.parse_amount(&m.amount, &field("amount"))?;
                    if a <= rust_decimal::Decimal::ZERO {
                        return Err(Error::invalid(
                            field("amount"),
                            Msg::MilestoneNotPositive(pos),
                        ));
                    }
                    (None, 0, positive_minor(a, currency, &field("amount"))?)
                }
                _ => return Err(Error::invalid(field("share"), Msg::ShareOrAmount(pos))),
            };
        let trigger = TRIGGERS
            .into_iter()
            .find(|t| *t == m.trigger.trim())
            .ok_or_else(|| Error::invalid(field("trigger"), Msg::OneOf(TRIGGERS.to_vec())))?;
        let on_date = match trigger {
            "date" => Some(v::parse_date(&field("date"), &m.date)?),
            _ => None,
        };
        let terms_days = if m.terms_days.trim().is_empty() {
            default_terms
        } else {
            v::int_in(&field("terms_days"), &m.terms_days, 0, 365)?
        };
        rows.push(Row {
            label,
            share_e4,
            share_text: if share_e4.is_some() {
                m.share.trim().to_string()
            } else {
                String::new()
            },
            weight,
            net_minor: fixed,
            vat_minor: 0,
            trigger,
            on_date,
            terms_days,
            invoice_id: None,
        });
    }
    // A new total below what is already invoiced: said as such.
    let invoiced = checked_total(locked.iter().map(|r| r.net_minor))?;
    if invoiced > net_minor {
        return Err(Error::invalid(
            "total",
            Msg::TotalBelowInvoiced(currency.in_message(invoiced)),
        ));
    }
    // What the shares must cover: the total less the fixed amounts (invoiced ones included).
    let fixed: i64 = checked_total(
        rows.iter()
            .filter(|r| r.share_e4.is_none())
            .map(|r| r.net_minor),
    )?;
    let weights: Vec<i128> = rows.iter().map(|r| r.weight).collect();
    let shares_exact = net_minor as i128 * weights.iter().sum::<i128>(); // × 1/DEN
    let gap_exact = (net_minor as i128 - fixed as i128) * DEN - shares_exact; // × 1/DEN
    let mut gap_minor = ((gap_exact.abs() + DEN / 2) / DEN) as i64 * gap_exact.signum() as i64;
    if gap_minor == 0 && gap_exact != 0 {
        gap_minor = gap_exact.signum() as i64;
    }
    if gap_exact == 0 {
        let parts = largest_remainder(net_minor, &weights, DEN);
        for (r, p) in rows.iter_mut().zip(parts) {
            if r.share_e4.is_some() {
                r.net_minor = p;
            }
        }
        for (i, r) in rows.iter().enumerate() {
            if r.net_minor <= 0 {
                return Err(Error::invalid(
                    format!("milestones.{i}.share"),
                    Msg::MilestoneNotPositive(i + 1),
                ));
            }
        }
        // VAT: each invoice's own, its net × the rate rounded once (what EN 16931 and a tax
        // auditor check); what the invoiced milestones carry stays; the contract's VAT is the
        // sum of its invoices'.
        for r in rows.iter_mut().filter(|r| r.invoice_id.is_none()) {
            r.vat_minor = vat_of(r.net_minor, vat_rate_e4);
        }
        vat_minor = checked_total(rows.iter().map(|r| r.vat_minor))?;
    }
    Ok(Checked {
        reference,
        customer_id,
        title,
        signed_on,
        currency,
        net_minor,
        vat_rate_e4,
        vat_minor,
        vat_mention,
        exchange_rate_e6,
        rows,
        gap_minor,
    })
}

fn plan_of(c: &Checked) -> Plan {
    let cur = c.currency;
    Plan {
        currency: cur.code().to_string(),
        net: cur.minor_to_string(c.net_minor),
        vat: cur.minor_to_string(c.vat_minor),
        total: cur.minor_to_string(c.net_minor + c.vat_minor),
        milestones: c
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| PlannedMilestone {
                position: i as i64 + 1,
                label: r.label.clone(),
                share: share_shown(r.share_e4, &r.share_text),
                net: cur.minor_to_string(r.net_minor),
                vat: cur.minor_to_string(r.vat_minor),
                total: cur.minor_to_string(r.net_minor + r.vat_minor),
                trigger: r.trigger.to_string(),
                date: r.on_date,
                terms_days: r.terms_days,
            })
            .collect(),
        gap: cur.minor_to_string(c.gap_minor),
        covered: c.gap_minor == 0,
    }
}

/// The schedule's amounts as they would be saved, with what is missing or in excess; a
/// field that is wrong (an unknown customer, a share and an amount on one milestone) is
/// refused, naming it. Nothing is written.
pub fn plan(conn: &Connection, input: &ContractInput) -> Result<Plan> {
    Ok(plan_of(&check(conn, input, &[])?))
}

/// The usual schedules, ready to edit: "30/70", "30/40/30", "thirds" (3 × "1/3", exact
/// thirds), "monthly:N" (N instalments of "1/N", a month apart from the signature).
pub fn template(name: &str, signed_on: NaiveDate, lang: Lang) -> Result<Vec<MilestoneInput>> {
    let fr = lang == Lang::Fr;
    let deposit = if fr {
        "Acompte à la signature"
    } else {
        "Deposit at signature"
    };
    let stage = |k: usize| {
        if fr {
            format!("Étape {k}")
        } else {
            format!("Stage {k}")
        }
    };
    let balance = if fr {
        "Solde à la livraison"
    } else {
        "Balance on delivery"
    };
    let m = |label: String, share: &str, trigger: &str, date: Option<NaiveDate>| MilestoneInput {
        label,
        share: share.to_string(),
        amount: String::new(),
        trigger: trigger.to_string(),
        date: date.map(|d| d.to_string()).unwrap_or_default(),
        terms_days: String::new(),
    };
    let name = name.trim();
    Ok(match name {
        "30/70" => vec![
            m(deposit.into(), "30", "signature", None),
            m(balance.into(), "70", "reached", None),
        ],
        "30/40/30" => vec![
            m(deposit.into(), "30", "signature", None),
            m(stage(2), "40", "reached", None),
            m(balance.into(), "30", "reached", None),
        ],
        "thirds" => vec![
            m(deposit.into(), "1/3", "signature", None),
            m(stage(2), "1/3", "reached", None),
            m(balance.into(), "1/3", "reached", None),
        ],
        _ => {
            let n: u32 = name
                .strip_prefix("monthly:")
                .and_then(|n| n.parse().ok())
                .filter(|n| (2..=36).contains(n))
                .ok_or_else(|| {
                    Error::invalid(
                        "template",
                        Msg::OneOf(vec!["30/70", "30/40/30", "thirds", "monthly:N (2-36)"]),
                    )
                })?;
            // Exactly 1/n each: every instalment within a cent of its share.
            (0..n)
                .map(|k| {
                    let share = format!("1/{n}");
                    let label = if fr {
                        format!("Échéance {}/{n}", k + 1)
                    } else {
                        format!("Instalment {}/{n}", k + 1)
                    };
                    let date = signed_on.checked_add_months(Months::new(k));
                    if k == 0 {
                        m(label, &share, "signature", None)
                    } else {
                        m(label, &share, "date", date)
                    }
                })
                .collect()
        }
    })
}

fn contract_id(conn: &Connection, reference: &str) -> Result<i64> {
    conn.query_row(
        "SELECT id FROM contracts WHERE reference = ?1",
        [v::identifier_key(reference)],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| {
        Error::invalid(
            "contract",
            Msg::UnknownContract(reference.trim().to_string()),
        )
    })
}

fn log(
    tx: &Connection,
    customer_id: i64,
    on: NaiveDate,
    note: String,
    invoice: Option<i64>,
) -> Result<()> {
    let mut e = NewEntry::new(JournalKind::Contract, customer_id, on);
    e.note = note;
    e.invoices = invoice.map(|i| vec![(i, None)]).unwrap_or_default();
    journal::append(tx, &e)?;
    Ok(())
}

/// Saves a contract whose schedule covers its total exactly (else refused with what is
/// missing or in excess, nothing written), with a history entry. A deposit due at
/// signature is issued at once when the contract is signed by `as_of`; for a customer on
/// hold, only once `input.confirm` answers the question (asked on the field "confirm").
pub fn create(
    conn: &mut Connection,
    input: &ContractInput,
    as_of: NaiveDate,
) -> Result<ContractView> {
    let c = check(conn, input, &[])?;
    refuse_gap(&c)?;
    let deposit_now = c.signed_on <= as_of && c.rows.iter().any(|r| r.trigger == "signature");
    if deposit_now && !input.confirm {
        let customer = crate::customers::get(conn, c.customer_id)?;
        if customer.on_hold {
            return Err(Error::invalid(
                "confirm",
                Msg::CustomerOnHoldConfirm(customer.name),
            ));
        }
    }
    let tx = conn.transaction()?;
    let id = tx
        .insert(
            "INSERT INTO contracts (reference, customer_id, title, signed_on, currency, net_minor,
             vat_rate_e4, vat_minor, vat_mention, exchange_rate_e6)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                c.reference,
                c.customer_id,
                c.title,
                c.signed_on.to_string(),
                c.currency.code(),
                c.net_minor,
                c.vat_rate_e4,
                c.vat_minor,
                c.vat_mention,
                c.exchange_rate_e6,
            ],
        )
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                Error::invalid("reference", Msg::DuplicateContract(c.reference.clone()))
            } else {
                e.into()
            }
        })?;
    insert_rows(&tx, id, &c.rows, 1)?;
    let lang = lang_of(&tx, c.customer_id)?;
    let total = c.currency.format_minor(c.net_minor + c.vat_minor, lang);
    log(
        &tx,
        c.customer_id,
        as_of,
        match lang {
            Lang::Fr => format!(
                "Contrat {} : {}, {total} TTC",
                c.reference,
                Lang::Fr.count(c.rows.len() as i64, "étape", "étapes")
            ),
            Lang::En => format!(
                "Contract {}: {}, {total} incl. tax",
                c.reference,
                Lang::En.count(c.rows.len() as i64, "milestone", "milestones")
            ),
        },
        None,
    )?;
    if c.signed_on <= as_of {
        for (i, r) in c.rows.iter().enumerate() {
            if r.trigger == "signature" {
                issue_milestone(&tx, id, i as i64 + 1, as_of, as_of)?;
            }
        }
    }
    tx.commit()?;
    get(conn, &c.reference, as_of)
}

fn refuse_gap(c: &Checked) -> Result<()> {
    if c.gap_minor != 0 {
        return Err(Error::invalid(
            "milestones",
            Msg::ScheduleGap {
                amount: c.currency.minor_to_string(c.gap_minor.abs()),
                excess: c.gap_minor < 0,
            },
        ));
    }
    Ok(())
}

fn insert_rows(tx: &Connection, contract_id: i64, rows: &[Row], from: usize) -> Result<()> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO milestones (contract_id, position, label, share_e4, net_minor, vat_minor,
             trigger, on_date, terms_days, share_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (i, r) in rows.iter().enumerate().skip(from - 1) {
        ins.execute(params![
            contract_id,
            i as i64 + 1,
            r.label,
            r.share_e4,
            r.net_minor,
            r.vat_minor,
            r.trigger,
            r.on_date.map(|d| d.to_string()),
            r.terms_days,
            r.share_text,
        ])?;
    }
    Ok(())
}

struct Stored {
    reference: String,
    customer_id: i64,
    title: String,
    signed_on: NaiveDate,
    currency: Currency,
    net_minor: i64,
    vat_rate_e4: i64,
    vat_minor: i64,
    vat_mention: String,
    cancelled_on: Option<NaiveDate>,
    exchange_rate_e6: Option<i64>,
}

/// The columns [`stored_row`] reads, in its order.
const STORED_COLUMNS: [&str; 11] = [
    "reference",
    "customer_id",
    "title",
    "signed_on",
    "currency",
    "net_minor",
    "vat_rate_e4",
    "vat_minor",
    "vat_mention",
    "cancelled_on",
    "exchange_rate_e6",
];

/// The columns, each prefixed with the table's alias (`k.reference, k.customer_id, …`).
fn columns_of(alias: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A contract read from [`STORED_COLUMNS`] starting at column `at`.
fn stored_row(r: &crate::store::sql::Row<'_>, at: usize) -> crate::store::sql::Result<Stored> {
    Ok(Stored {
        reference: r.get(at)?,
        customer_id: r.get(at + 1)?,
        title: r.get(at + 2)?,
        signed_on: r.get(at + 3)?,
        currency: Currency::parse(&r.get::<_, String>(at + 4)?).unwrap_or(Currency::EUR),
        net_minor: r.get(at + 5)?,
        vat_rate_e4: r.get(at + 6)?,
        vat_minor: r.get(at + 7)?,
        vat_mention: r.get(at + 8)?,
        cancelled_on: r.get(at + 9)?,
        exchange_rate_e6: r.get(at + 10)?,
    })
}

fn stored(conn: &Connection, id: i64) -> Result<Stored> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM contracts k WHERE k.id = ?1",
            columns_of("k", &STORED_COLUMNS)
        ))?
        .query_row([id], |r| stored_row(r, 0))?)
}

struct MilestoneRow {
    position: i64,
    label: String,
    share_e4: Option<i64>,
    share_text: String,
    net_minor: i64,
    vat_minor: i64,
    trigger: String,
    on_date: Option<NaiveDate>,
    terms_days: i64,
    invoice_id: Option<i64>,
    cancelled: bool,
}

/// The columns [`milestone_row`] reads, in its order.
const MILESTONE_COLUMNS: [&str; 11] = [
    "position",
    "label",
    "share_e4",
    "net_minor",
    "vat_minor",
    "trigger",
    "on_date",
    "terms_days",
    "invoice_id",
    "cancelled",
    "share_text",
];

/// A milestone read from [`MILESTONE_COLUMNS`] starting at column `at`.
fn milestone_row(
    r: &crate::store::sql::Row<'_>,
    at: usize,
) -> crate::store::sql::Result<MilestoneRow> {
    Ok(MilestoneRow {
        position: r.get(at)?,
        label: r.get(at + 1)?,
        share_e4: r.get(at + 2)?,
        net_minor: r.get(at + 3)?,
        vat_minor: r.get(at + 4)?,
        trigger: r.get(at + 5)?,
        on_date: r.get(at + 6)?,
        terms_days: r.get(at + 7)?,
        invoice_id: r.get(at + 8)?,
        cancelled: r.get::<_, i64>(at + 9)? == 1,
        share_text: r.get(at + 10)?,
    })
}

fn milestone_rows(conn: &Connection, contract_id: i64) -> Result<Vec<MilestoneRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM milestones m WHERE m.contract_id = ?1 ORDER BY m.position",
        columns_of("m", &MILESTONE_COLUMNS)
    ))?;
    let rows = stmt.query_map([contract_id], |r| milestone_row(r, 0))?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// Issues the invoice of milestone `position` dated `on`, inside the caller's
/// transaction. The last milestone is the final invoice: the whole contract, less every
/// invoice issued before, line by line (milestones left uninvoiced are merged into it).
fn issue_milestone(
    tx: &Connection,
    contract_id: i64,
    position: i64,
    service_on: NaiveDate,
    as_of: NaiveDate,
) -> Result<String> {
    // The invoice is dated the day it is issued (CGI art. 289); the day the milestone was
    // reached is its service date, printed as such.
    let on = as_of;
    let k = stored(tx, contract_id)?;
    let rows = milestone_rows(tx, contract_id)?;
    let me = rows
        .iter()
        .find(|m| m.position == position && !m.cancelled)
        .ok_or_else(|| Error::invalid("milestone", Msg::UnknownMilestone(position as usize)))?;
    let lang = lang_of(tx, k.customer_id)?;
    let fr = lang == Lang::Fr;
    let last = rows
        .iter()
        .filter(|m| !m.cancelled)
        .map(|m| m.position)
        .max()
        == Some(position);
    let date_text = |d: NaiveDate| match lang {
        Lang::Fr => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%d %b %Y").to_string(),
    };
    let mut lines = Vec::new();
    if last && rows.iter().any(|m| m.invoice_id.is_some()) {
        lines.push(Line {
            label: if fr {
                format!("{} : montant total du contrat {}", k.title, k.reference)
            } else {
                format!("{}: total of contract {}", k.title, k.reference)
            },
            net_minor: k.net_minor,
            vat_rate_e4: k.vat_rate_e4,
            vat_minor: k.vat_minor,
            ..Line::default()
        });
        for m in rows.iter().filter(|m| m.invoice_id.is_some()) {
            let (number, issued): (String, NaiveDate) = tx.query_row(
                "SELECT number, issue_date FROM invoices WHERE id = ?1",
                [m.invoice_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            lines.push(Line {
                label: if fr {
                    format!(
                        "Déduction : facture {number} du {} ({})",
                        date_text(issued),
                        m.label
                    )
                } else {
                    format!(
                        "Less: invoice {number} of {} ({})",
                        date_text(issued),
                        m.label
                    )
                },
                net_minor: -m.net_minor,
                vat_rate_e4: k.vat_rate_e4,
                vat_minor: -m.vat_minor,
                ..Line::default()
            });
        }
        // Milestones skipped on the way are billed by this final invoice.
        for m in rows
            .iter()
            .filter(|m| m.invoice_id.is_none() && m.position != position)
        {
            tx.execute(
                "UPDATE milestones SET cancelled = 1 WHERE contract_id = ?1 AND position = ?2",
                params![contract_id, m.position],
            )?;
        }
    } else {
        let share = share_shown(me.share_e4, &me.share_text)
            .map(|s| {
                let s = share_with_unit(&s, fr);
                if fr {
                    format!(" ({s} du contrat {})", k.reference)
                } else {
                    format!(" ({s} of contract {})", k.reference)
                }
            })
            .unwrap_or_else(|| {
                if fr {
                    format!(" (contrat {})", k.reference)
                } else {
                    format!(" (contract {})", k.reference)
                }
            });
        lines.push(Line {
            label: format!("{} : {}{share}", me.label, k.title)
                .replace(" : ", if fr { " : " } else { ": " }),
            net_minor: me.net_minor,
            vat_rate_e4: k.vat_rate_e4,
            vat_minor: me.vat_minor,
            ..Line::default()
        });
    }
    let mut notes = vec![k.vat_mention.clone()];
    notes.retain(|n| !n.is_empty());
    // The day a milestone was reached is the service date (BT-72, printed among the
    // invoice's facts when it is not the issue date); a deposit at signature bills a
    // service not yet done.
    let delivery_date = (me.trigger != "signature").then_some(service_on);
    let (id, number) = issue::issue(
        tx,
        &ToIssue {
            customer_id: k.customer_id,
            issue_date: on,
            due_date: on + Duration::days(me.terms_days),
            currency: k.currency,
            lines,
            notes: notes.join("\n"),
            reference: k.reference.clone(),
            delivery_date,
            // Only where VAT is charged in another currency (the rate stays on the contract).
            exchange_rate_e6: k.exchange_rate_e6.filter(|_| k.vat_rate_e4 > 0),
            operation: Some("services"),
            delivery_address: None,
        },
    )?;
    tx.execute(
        "UPDATE milestones SET invoice_id = ?3, reached_on = ?4 WHERE contract_id = ?1 AND position = ?2",
        params![contract_id, position, id, service_on.to_string()],
    )?;
    let kind = match (position, last, fr) {
        (1, false, true) => "Facture d'acompte",
        (1, false, false) => "Deposit invoice",
        (_, true, true) => "Facture de solde",
        (_, true, false) => "Final invoice",
        (_, false, true) => "Facture d'étape",
        (_, false, false) => "Stage invoice",
    };
    log(
        tx,
        k.customer_id,
        as_of,
        format!("{kind} {number} ({}, {})", k.reference, me.label),
        Some(id),
    )?;
    issue::finish(tx, id, &number)?;
    Ok(number)
}

/// Marks milestone `position` reached on `on` (its service date, not before the signature)
/// and issues its invoice, dated `as_of` (the day it is issued) and due per its terms. Refused, nothing written: a cancelled contract; a milestone already
/// invoiced; earlier milestones not invoiced, or a customer on hold, unless `confirm` (these
/// two are refused on the field "confirm": the question to ask); a day after `as_of`.
pub fn reach(
    conn: &mut Connection,
    reference: &str,
    position: i64,
    on: NaiveDate,
    confirm: bool,
    as_of: NaiveDate,
) -> Result<(ContractView, String)> {
    let id = contract_id(conn, reference)?;
    if on > as_of {
        return Err(Error::invalid("date", Msg::DateInFuture));
    }
    let tx = conn.transaction()?;
    let k = stored(&tx, id)?;
    if k.cancelled_on.is_some() {
        return Err(Error::invalid(
            "contract",
            Msg::ContractCancelled(k.reference),
        ));
    }
    if on < k.signed_on {
        return Err(Error::invalid(
            "date",
            Msg::BeforeSignature(k.signed_on.to_string()),
        ));
    }
    let rows = milestone_rows(&tx, id)?;
    let me = rows
        .iter()
        .find(|m| m.position == position && !m.cancelled)
        .ok_or_else(|| Error::invalid("milestone", Msg::UnknownMilestone(position as usize)))?;
    if let Some(inv) = me.invoice_id {
        let number: String =
            tx.query_row("SELECT number FROM invoices WHERE id = ?1", [inv], |r| {
                r.get(0)
            })?;
        return Err(Error::invalid(
            "milestone",
            Msg::MilestoneAlreadyInvoiced {
                position: position as usize,
                invoice: number,
            },
        ));
    }
    if !confirm {
        let earlier: Vec<usize> = rows
            .iter()
            .filter(|m| m.position < position && !m.cancelled && m.invoice_id.is_none())
            .map(|m| m.position as usize)
            .collect();
        let last = rows
            .iter()
            .filter(|m| !m.cancelled)
            .map(|m| m.position)
            .max()
            == Some(position);
        if last && !earlier.is_empty() {
            return Err(Error::invalid(
                "confirm",
                Msg::EarlierMilestonesNotInvoiced(earlier),
            ));
        }
        let c = crate::customers::get(&tx, k.customer_id)?;
        if c.on_hold {
            return Err(Error::invalid(
                "confirm",
                Msg::CustomerOnHoldConfirm(c.name),
            ));
        }
    }
    let number = issue_milestone(&tx, id, position, on, as_of)?;
    tx.commit()?;
    Ok((get(conn, &k.reference, as_of)?, number))
}

/// Cancels what is left of a contract: the milestones not invoiced are dropped, what was
/// invoiced stays (a credit note corrects it); the history records it with the reason.
pub fn cancel(
    conn: &mut Connection,
    reference: &str,
    on: NaiveDate,
    reason: &str,
    as_of: NaiveDate,
) -> Result<ContractView> {
    let id = contract_id(conn, reference)?;
    let reason = v::required_line("reason", reason, 300)?;
    let tx = conn.transaction()?;
    let k = stored(&tx, id)?;
    if k.cancelled_on.is_some() {
        return Err(Error::invalid(
            "contract",
            Msg::ContractCancelled(k.reference),
        ));
    }
    tx.execute(
        "UPDATE contracts SET cancelled_on = ?2 WHERE id = ?1",
        params![id, on.to_string()],
    )?;
    let dropped = tx.execute(
        "UPDATE milestones SET cancelled = 1 WHERE contract_id = ?1 AND invoice_id IS NULL AND cancelled = 0",
        [id],
    )?;
    let fr = lang_of(&tx, k.customer_id)? == Lang::Fr;
    log(
        &tx,
        k.customer_id,
        as_of,
        if fr {
            format!(
                "Contrat {} annulé : {reason} ({})",
                k.reference,
                Lang::Fr.count(
                    dropped as i64,
                    "étape non facturée abandonnée",
                    "étapes non facturées abandonnées"
                )
            )
        } else {
            format!(
                "Contract {} cancelled: {reason} ({} dropped)",
                k.reference,
                Lang::En.count(
                    dropped as i64,
                    "uninvoiced milestone",
                    "uninvoiced milestones"
                )
            )
        },
        None,
    )?;
    tx.commit()?;
    get(conn, &k.reference, as_of)
}

/// The invoiced milestones of a contract, as fixed rows an amendment keeps.
fn locked_rows(rows: &[MilestoneRow]) -> Vec<Row> {
    rows.iter()
        .filter(|m| m.invoice_id.is_some())
        .map(|m| Row {
            label: m.label.clone(),
            share_e4: None,
            share_text: String::new(),
            weight: 0,
            net_minor: m.net_minor,
            vat_minor: m.vat_minor,
            trigger: TRIGGERS
                .into_iter()
                .find(|t| *t == m.trigger)
                .unwrap_or("reached"),
            on_date: m.on_date,
            terms_days: m.terms_days,
            invoice_id: m.invoice_id,
        })
        .collect()
}

/// What an amendment would come to (see [`amend`]): the invoiced milestones as billed, then
/// the remaining ones typed; nothing is written.
pub fn plan_amendment(conn: &Connection, reference: &str, input: &ContractInput) -> Result<Plan> {
    let id = contract_id(conn, reference)?;
    let k = stored(conn, id)?;
    let locked = locked_rows(&milestone_rows(conn, id)?);
    let mut input = input.clone();
    input.reference = k.reference;
    Ok(plan_of(&check(conn, &input, &locked)?))
}

/// Changes what is left of a contract: a new total, VAT and mention, and the milestones
/// still to invoice (`input.milestones` lists only those). The invoiced milestones stay as
/// they were billed; the new schedule must cover the new total with them. The history
/// records the change.
pub fn amend(
    conn: &mut Connection,
    reference: &str,
    input: &ContractInput,
    as_of: NaiveDate,
) -> Result<ContractView> {
    let id = contract_id(conn, reference)?;
    let k = stored(conn, id)?;
    if k.cancelled_on.is_some() {
        return Err(Error::invalid(
            "contract",
            Msg::ContractCancelled(k.reference),
        ));
    }
    let rows = milestone_rows(conn, id)?;
    let locked = locked_rows(&rows);
    let mut input = input.clone();
    input.reference = k.reference.clone();
    let c = check(conn, &input, &locked)?;
    refuse_gap(&c)?;
    if c.customer_id != k.customer_id || c.currency != k.currency {
        return Err(Error::invalid("customer", Msg::LockedBySettlement));
    }
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE contracts SET title = ?2, signed_on = ?3, net_minor = ?4, vat_rate_e4 = ?5,
             vat_minor = ?6, vat_mention = ?7, exchange_rate_e6 = ?8 WHERE id = ?1",
        params![
            id,
            c.title,
            c.signed_on.to_string(),
            c.net_minor,
            c.vat_rate_e4,
            c.vat_minor,
            c.vat_mention,
            c.exchange_rate_e6
        ],
    )?;
    // The old uninvoiced milestones give way to the new ones, numbered after the invoiced.
    tx.execute(
        "DELETE FROM milestones WHERE contract_id = ?1 AND invoice_id IS NULL",
        [id],
    )?;
    // The invoiced ones are numbered 1, 2, … in their order (moved out of the way first).
    let invoiced: Vec<i64> = rows
        .iter()
        .filter(|m| m.invoice_id.is_some())
        .map(|m| m.position)
        .collect();
    tx.execute(
        "UPDATE milestones SET position = position + 1000000 WHERE contract_id = ?1",
        [id],
    )?;
    for (new_pos, old_pos) in invoiced.iter().enumerate() {
        tx.execute(
            "UPDATE milestones SET position = ?3 WHERE contract_id = ?1 AND position = ?2",
            params![id, old_pos + 1_000_000, new_pos as i64 + 1],
        )?;
    }
    insert_rows(&tx, id, &c.rows, locked.len() + 1)?;
    let lang = lang_of(&tx, k.customer_id)?;
    let before = k.currency.format_minor(k.net_minor + k.vat_minor, lang);
    let after = c.currency.format_minor(c.net_minor + c.vat_minor, lang);
    log(
        &tx,
        k.customer_id,
        as_of,
        match lang {
            Lang::Fr => format!(
                "Contrat {} modifié : {before} → {after} TTC, {} à facturer",
                k.reference,
                Lang::Fr.count(
                    (c.rows.len() - locked.len()) as i64,
                    "étape restant",
                    "étapes restant"
                )
            ),
            Lang::En => format!(
                "Contract {} amended: {before} → {after} incl. tax, {} left to invoice",
                k.reference,
                Lang::En.count(
                    (c.rows.len() - locked.len()) as i64,
                    "milestone",
                    "milestones"
                )
            ),
        },
        None,
    )?;
    tx.commit()?;
    get(conn, &k.reference, as_of)
}

/// Where a milestone stands, as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneState {
    /// Waiting for its trigger.
    Planned,
    /// Its trigger has come (signature, date): its invoice is to issue.
    Due,
    Invoiced,
    Paid,
    /// Invoiced and unpaid past its due date.
    Late,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MilestoneView {
    #[ts(type = "number")]
    pub position: i64,
    pub label: String,
    pub share: Option<String>,
    pub net: String,
    pub vat: String,
    /// Including tax: what its invoice asks for.
    pub amount: String,
    pub trigger: String,
    pub date: Option<NaiveDate>,
    #[ts(type = "number")]
    pub terms_days: i64,
    pub state: MilestoneState,
    pub invoice: Option<String>,
    #[ts(type = "number | null")]
    pub invoice_id: Option<i64>,
    pub invoice_due: Option<NaiveDate>,
    /// What is left to pay on its invoice.
    pub balance: Option<String>,
    pub is_final: bool,
}

/// "Hold the work": a milestone is due or was invoiced while an earlier milestone's
/// invoice is unpaid past its due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkAheadAlert {
    pub contract: String,
    pub title: String,
    pub customer: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub customer_name: String,
    pub currency: String,
    /// The unpaid invoices past due: number, balance, days late.
    pub late_invoices: Vec<String>,
    /// What is unpaid on them (decimal string).
    pub unpaid: String,
    /// The milestone the work has reached.
    pub reached: String,
    pub on_hold: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ContractView {
    pub reference: String,
    pub customer: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub customer_name: String,
    pub title: String,
    pub signed_on: NaiveDate,
    pub currency: String,
    pub vat_rate: String,
    pub vat_mention: String,
    /// Euros for one unit of the currency ("1.165"), "" when none.
    pub exchange_rate: String,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// Including tax: issued, paid (and credited), still owed on what was issued, and not
    /// yet invoiced.
    pub invoiced: String,
    pub paid: String,
    pub outstanding: String,
    pub to_invoice: String,
    pub cancelled_on: Option<NaiveDate>,
    /// The customer is on hold: the next milestone invoice asks first.
    pub on_hold: bool,
    pub milestones: Vec<MilestoneView>,
    pub alert: Option<WorkAheadAlert>,
}

/// A contract with every figure and each milestone's state as of `as_of`.
pub fn get(conn: &Connection, reference: &str, as_of: NaiveDate) -> Result<ContractView> {
    let id = contract_id(conn, reference)?;
    view(conn, id, as_of)
}

fn view(conn: &Connection, id: i64, as_of: NaiveDate) -> Result<ContractView> {
    let inputs = load(conn, &[id])?
        .pop()
        .ok_or(crate::store::sql::Error::QueryReturnedNoRows)?;
    Ok(derive(inputs, as_of))
}

/// The views of the contracts `ids`, in that order.
fn views(conn: &Connection, ids: &[i64], as_of: NaiveDate) -> Result<Vec<ContractView>> {
    let mut ascending = ids.to_vec();
    ascending.sort_unstable();
    ascending.dedup();
    let mut by_id: std::collections::HashMap<i64, ContractView> = ascending
        .iter()
        .copied()
        .zip(load(conn, &ascending)?)
        .map(|(id, inputs)| (id, derive(inputs, as_of)))
        .collect();
    ids.iter()
        .map(|id| {
            by_id
                .remove(id)
                .ok_or_else(|| crate::store::sql::Error::QueryReturnedNoRows.into())
        })
        .collect()
}

/// The customer as a contract's view shows it.
struct Party {
    id: i64,
    reference: String,
    name: String,
    language: Lang,
    on_hold: bool,
}

/// A milestone's invoice: number, due date, total and settled (minor units).
type Billed = (String, NaiveDate, i64, i64);

/// What a contract's view is derived from: the contract, its customer, its milestones in
/// order, each with its invoice if issued.
struct Inputs {
    k: Stored,
    c: Party,
    rows: Vec<(MilestoneRow, Option<Billed>)>,
}

/// Contracts per statement of [`load`]: the list of ids is always this long (the last
/// chunk repeats its first id), so one prepared statement serves every chunk.
const LOAD_CHUNK: usize = 64;

/// The inputs of the contracts `ids` (ascending, each one existing), in that order: two
/// statements per 64 contracts (the contracts with their customers, the milestones with
/// their invoices) rather than a handful per contract and one per milestone (Today's
/// contract alerts derive a thousand contracts at a million invoices).
fn load(conn: &Connection, ids: &[i64]) -> Result<Vec<Inputs>> {
    let list = crate::store::sql::IdChunks::new(1, LOAD_CHUNK);
    let marks = &list.marks;
    let mut out: Vec<Inputs> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(list.size()) {
        let args = list.padded(chunk);
        let first = out.len();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, c.reference, c.name, c.language, c.on_hold
             FROM contracts k CROSS JOIN customers c ON c.id = k.customer_id
             WHERE k.id IN ({marks}) ORDER BY k.id",
            columns_of("k", &STORED_COLUMNS)
        ))?;
        let found = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
            let k = stored_row(r, 0)?;
            let n = STORED_COLUMNS.len();
            Ok(Inputs {
                c: Party {
                    id: k.customer_id,
                    reference: r.get(n)?,
                    name: r.get(n + 1)?,
                    language: Lang::parse(&r.get::<_, String>(n + 2)?).unwrap_or_default(),
                    on_hold: r.get(n + 3)?,
                },
                k,
                rows: Vec::new(),
            })
        })?;
        for inputs in found {
            out.push(inputs?);
        }
        if out.len() - first != chunk.len() {
            return Err(crate::store::sql::Error::QueryReturnedNoRows.into());
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT m.contract_id, {}, i.number, i.due_date, i.total_minor, i.settled_minor
             FROM milestones m LEFT JOIN invoices i ON i.id = m.invoice_id
             WHERE m.contract_id IN ({marks}) ORDER BY m.contract_id, m.position",
            columns_of("m", &MILESTONE_COLUMNS)
        ))?;
        let rows = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
            let n = 1 + MILESTONE_COLUMNS.len();
            let billed = match r.get::<_, Option<String>>(n)? {
                Some(number) => Some((number, r.get(n + 1)?, r.get(n + 2)?, r.get(n + 3)?)),
                None => None,
            };
            Ok((r.get::<_, i64>(0)?, milestone_row(r, 1)?, billed))
        })?;
        for row in rows {
            let (contract_id, m, billed) = row?;
            let k = chunk
                .binary_search(&contract_id)
                .map_err(|_| crate::store::sql::Error::QueryReturnedNoRows)?;
            out[first + k].rows.push((m, billed));
        }
    }
    Ok(out)
}

/// A contract's view from its inputs as of a date: milestones' states, figures, and the
/// alert when the work runs ahead of the payments.
fn derive(inputs: Inputs, as_of: NaiveDate) -> ContractView {
    let Inputs { k, c, rows } = inputs;
    let cur = k.currency;
    let last = rows
        .iter()
        .filter(|(m, _)| !m.cancelled)
        .map(|(m, _)| m.position)
        .max();
    let (mut invoiced, mut paid) = (0i64, 0i64);
    let mut milestones = Vec::new();
    let mut late = Vec::new();
    let mut late_due: Option<NaiveDate> = None;
    let mut unpaid = 0i64;
    for (m, inv) in &rows {
        let state = match (&inv, m.cancelled) {
            (Some((_, _, total, settled)), _) if settled >= total => MilestoneState::Paid,
            (Some((_, due, _, _)), _) if *due < as_of => MilestoneState::Late,
            (Some(_), _) => MilestoneState::Invoiced,
            (None, true) => MilestoneState::Cancelled,
            (None, false) => {
                let triggered = match m.trigger.as_str() {
                    "signature" => k.signed_on <= as_of,
                    "date" => m.on_date.is_some_and(|d| d <= as_of),
                    _ => false,
                };
                if triggered && k.cancelled_on.is_none() {
                    MilestoneState::Due
                } else {
                    MilestoneState::Planned
                }
            }
        };
        if let Some((number, due, total, settled)) = &inv {
            invoiced += total;
            paid += settled;
            if state == MilestoneState::Late {
                let days = (as_of - *due).num_days();
                let left = cur.format_minor(total - settled, c.language);
                late.push(match c.language {
                    Lang::Fr => format!("{number} : {left} ({days} j de retard)"),
                    Lang::En => format!("{number}: {left} ({days} days late)"),
                });
                unpaid += total - settled;
                late_due = Some(late_due.map_or(*due, |d: NaiveDate| d.min(*due)));
            }
        }
        milestones.push(MilestoneView {
            position: m.position,
            label: m.label.clone(),
            share: share_shown(m.share_e4, &m.share_text),
            net: cur.minor_to_string(m.net_minor),
            vat: cur.minor_to_string(m.vat_minor),
            amount: cur.minor_to_string(m.net_minor + m.vat_minor),
            trigger: m.trigger.clone(),
            date: m.on_date,
            terms_days: m.terms_days,
            state,
            invoice: inv.as_ref().map(|i| i.0.clone()),
            invoice_id: m.invoice_id,
            invoice_due: inv.as_ref().map(|i| i.1),
            balance: inv.as_ref().map(|i| cur.minor_to_string(i.2 - i.3)),
            is_final: Some(m.position) == last,
        });
    }
    let total = k.net_minor + k.vat_minor;
    let to_invoice = if k.cancelled_on.is_some() {
        0
    } else {
        (total - invoiced).max(0)
    };
    // The work has run ahead: a later milestone is due, or was invoiced after an earlier
    // invoice fell overdue.
    let alert = late_due.and_then(|first_late| {
        let first_late_pos = rows
            .iter()
            .zip(&milestones)
            .find(|(_, v)| v.state == MilestoneState::Late)
            .map(|((m, _), _)| m.position)?;
        let ahead = rows.iter().zip(&milestones).find(|((m, _), v)| {
            m.position > first_late_pos
                && (v.state == MilestoneState::Due
                    || (m.invoice_id.is_some() && v.invoice_due.is_some_and(|d| d >= first_late)))
        });
        ahead.map(|((m, _), _)| WorkAheadAlert {
            contract: k.reference.clone(),
            title: k.title.clone(),
            customer: c.reference.clone(),
            customer_id: c.id,
            customer_name: c.name.clone(),
            currency: cur.code().to_string(),
            late_invoices: late.clone(),
            unpaid: cur.minor_to_string(unpaid),
            reached: m.label.clone(),
            on_hold: c.on_hold,
        })
    });
    ContractView {
        reference: k.reference,
        customer: c.reference.clone(),
        customer_id: c.id,
        customer_name: c.name.clone(),
        title: k.title,
        signed_on: k.signed_on,
        currency: cur.code().to_string(),
        vat_rate: issue::rate_text(k.vat_rate_e4),
        vat_mention: k.vat_mention,
        exchange_rate: k
            .exchange_rate_e6
            .map(crate::invoices::drafts::exchange_rate_text)
            .unwrap_or_default(),
        net: cur.minor_to_string(k.net_minor),
        vat: cur.minor_to_string(k.vat_minor),
        total: cur.minor_to_string(total),
        invoiced: cur.minor_to_string(invoiced),
        paid: cur.minor_to_string(paid),
        outstanding: cur.minor_to_string(invoiced - paid),
        to_invoice: cur.minor_to_string(to_invoice),
        cancelled_on: k.cancelled_on,
        on_hold: c.on_hold,
        milestones,
        alert,
    }
}

/// What the Contracts list asks for: a page, and what to look for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ContractQuery {
    /// Matches the contract's reference or title, or its customer's name or reference.
    pub search: String,
    /// 0 asks for the default page (100).
    #[ts(type = "number")]
    pub limit: u32,
    #[ts(type = "number")]
    pub offset: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ContractPage {
    pub rows: Vec<ContractView>,
    /// How many contracts match, all pages together.
    #[ts(type = "number")]
    pub total: i64,
}

/// The Contracts list, newest signature first, each contract with its figures.
///
/// The page's contracts are chosen first, from the index on the signature date (it serves
/// the order and stops at the page), and only they are derived: a first page costs about the
/// same at any size. A search reads every contract's reference and title and its customer's
/// name and reference. One read transaction.
pub fn list(conn: &Connection, q: &ContractQuery, as_of: NaiveDate) -> Result<ContractPage> {
    // One read of one moment (and one read lock, not one per statement; never the write lock).
    conn.reading(|| {
        let limit = v::page_limit(q.limit)?;
        let search = q.search.trim();
        let (from, filter) = if search.is_empty() {
            ("contracts k", "CAST(?1 AS TEXT) IS NOT NULL")
        } else {
            (
                "contracts k CROSS JOIN customers c ON c.id = k.customer_id",
                "(k.reference LIKE ?1 ESCAPE '\\' OR k.title LIKE ?1 ESCAPE '\\'
                  OR c.name LIKE ?1 ESCAPE '\\' OR c.reference LIKE ?1 ESCAPE '\\')",
            )
        };
        let pattern = crate::store::like_pattern(search);
        let ids: Vec<i64> = conn
            .prepare_cached(&format!(
                "SELECT k.id FROM {from} WHERE {filter}
                 ORDER BY k.signed_on DESC, k.id DESC LIMIT ?2 OFFSET ?3"
            ))?
            .query_map(params![pattern, limit, q.offset], |r| r.get(0))?
            .collect::<crate::store::sql::Result<_>>()?;
        let total = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM {from} WHERE {filter}"))?
            .query_row([&pattern], |r| r.get(0))?;
        let rows = views(conn, &ids, as_of)?;
        Ok(ContractPage { rows, total })
    })
}

/// The contracts whose work runs ahead of the payments, for Today.
///
/// The contracts are chosen in SQL by the alert's own rule (see [`view`]): not cancelled, a
/// milestone invoiced and unpaid past its due date, and after the first such milestone one
/// due to invoice, or invoiced on or after the earliest such due date. Only those are
/// derived, and the alert shown is the derivation's (`tests::alerts_are_the_views_alerts`
/// compares the two on every contract, day after day). One read transaction: one moment,
/// one read lock.
pub fn alerts(conn: &Connection, as_of: NaiveDate) -> Result<Vec<WorkAheadAlert>> {
    // One read of one moment (and one read lock, not one per statement; never the write lock).
    conn.reading(|| {
        // From the invoiced milestones to their invoices (CROSS JOIN keeps SQLite to that
        // order): what contracts hold, not every overdue invoice of the ledger to find the
        // few that are milestones (`views::growth` counts the reads).
        let ids: Vec<i64> = conn
            .prepare_cached(
                "SELECT l.contract_id FROM (
                     SELECT m.contract_id AS contract_id, MIN(m.position) AS pos,
                            MIN(i.due_date) AS first_due
                     FROM milestones m INDEXED BY milestones_invoice
                     CROSS JOIN invoices i ON i.id = m.invoice_id
                     WHERE m.invoice_id IS NOT NULL
                       AND i.settled_minor < i.total_minor AND i.due_date < ?1
                     GROUP BY m.contract_id
                 ) l JOIN contracts k ON k.id = l.contract_id
                 WHERE k.cancelled_on IS NULL AND EXISTS (
                     SELECT 1 FROM milestones a LEFT JOIN invoices j ON j.id = a.invoice_id
                     WHERE a.contract_id = l.contract_id AND a.position > l.pos
                       AND (j.due_date >= l.first_due
                            OR (a.invoice_id IS NULL AND a.cancelled = 0
                                AND ((a.trigger = 'signature' AND k.signed_on <= ?1)
                                     OR (a.trigger = 'date' AND a.on_date <= ?1)))))
                 ORDER BY l.contract_id",
            )?
            .query_map([as_of.to_string()], |r| r.get(0))?
            .collect::<crate::store::sql::Result<_>>()?;
        // `ids` ascends (ORDER BY): loaded as they come, derived one by one.
        Ok(load(conn, &ids)?
            .into_iter()
            .filter_map(|inputs| derive(inputs, as_of).alert)
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    /// A company able to issue invoices (France, SIRET, VAT number) and one customer.
    fn ready() -> Connection {
        let conn = crate::open_in_memory().unwrap();
        for (k, val) in [
            ("company_name", "Atelier Lumen"),
            ("address", "12 rue des Arts"),
            ("postal_code", "69001"),
            ("city", "Lyon"),
            ("siret", "73282932000074"),
            ("vat_number", "FR44732829320"),
        ] {
            crate::settings::set(&conn, k, val).unwrap();
        }
        crate::customers::create(
            &conn,
            &crate::customers::CustomerInput {
                reference: "MUSEE".into(),
                name: "Musée des Confluences".into(),
                kind: "business".into(),
                address: "86 quai Perrache".into(),
                postal_code: "69002".into(),
                city: "Lyon".into(),
                payment_terms_days: "30".into(),
                ..Default::default()
            },
        )
        .unwrap();
        conn
    }

    fn input(total: &str, schedule: &str, signed: &str) -> ContractInput {
        ContractInput {
            reference: "K1".into(),
            customer: "MUSEE".into(),
            title: "Signalétique de l'exposition".into(),
            signed_on: signed.into(),
            currency: String::new(),
            total: total.into(),
            vat_rate: "20".into(),
            vat_mention: String::new(),
            milestones: template(schedule, day(signed), Lang::Fr).unwrap(),
            confirm: false,
            exchange_rate: String::new(),
        }
    }

    fn invoice_total(conn: &Connection, number: &str) -> (i64, i64, i64) {
        conn.query_row(
            "SELECT net_minor, vat_minor, total_minor FROM invoices WHERE number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    /// The Contracts list: newest signature first (the later one first on the same day),
    /// page after page with the count of all, each row the contract's own view; a search
    /// by reference, title or customer; a page above the maximum refused.
    #[test]
    fn the_contracts_list_pages_newest_signature_first_and_searches() {
        let mut conn = ready();
        crate::customers::create(
            &conn,
            &crate::customers::CustomerInput {
                reference: "OPERA".into(),
                name: "Opéra de Lyon".into(),
                kind: "business".into(),
                address: "1 place de la Comédie".into(),
                postal_code: "69001".into(),
                city: "Lyon".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let as_of = day("2026-06-30");
        let q = |search: &str, limit: u32, offset: u32| ContractQuery {
            search: search.into(),
            limit,
            offset,
        };
        assert_eq!(list(&conn, &q("", 0, 0), as_of).unwrap().total, 0);
        // Signed out of order; K3 and K4 on the same day.
        for (reference, customer, signed, title) in [
            ("K1", "MUSEE", "2026-03-02", "Signalétique"),
            ("K2", "OPERA", "2026-05-11", "Décor du Barbier"),
            ("K3", "MUSEE", "2026-01-15", "Catalogue 100%"),
            ("K4", "OPERA", "2026-01-15", "Affiches"),
            ("K5", "MUSEE", "2026-04-20", "Site"),
        ] {
            let mut k = input("1000", "30/70", signed);
            k.reference = reference.into();
            k.customer = customer.into();
            k.title = title.into();
            create(&mut conn, &k, as_of).unwrap();
        }
        let refs = |p: &ContractPage| -> Vec<String> {
            p.rows.iter().map(|k| k.reference.clone()).collect()
        };
        let first = list(&conn, &q("", 2, 0), as_of).unwrap();
        assert_eq!(
            (refs(&first), first.total),
            (vec!["K2".into(), "K5".into()], 5)
        );
        let second = list(&conn, &q("", 2, 2), as_of).unwrap();
        assert_eq!(refs(&second), ["K1", "K4"]);
        let last = list(&conn, &q("", 2, 4), as_of).unwrap();
        assert_eq!((refs(&last), last.total), (vec!["K3".into()], 5));
        for k in first.rows.iter().chain(&second.rows).chain(&last.rows) {
            assert_eq!(k, &get(&conn, &k.reference, as_of).unwrap());
        }
        // The deposits are invoiced at signature: the figures are the contract's own.
        assert_eq!(first.rows[0].invoiced, "360.00");
        // By the customer's name, whatever the case; by title; "%" is a character.
        let opera = list(&conn, &q("opéra", 0, 0), as_of).unwrap();
        assert_eq!(
            (refs(&opera), opera.total),
            (vec!["K2".into(), "K4".into()], 2)
        );
        assert_eq!(
            refs(&list(&conn, &q("barbier", 0, 0), as_of).unwrap()),
            ["K2"]
        );
        assert_eq!(refs(&list(&conn, &q(" k5 ", 0, 0), as_of).unwrap()), ["K5"]);
        assert_eq!(refs(&list(&conn, &q("100%", 0, 0), as_of).unwrap()), ["K3"]);
        assert_eq!(refs(&list(&conn, &q("0%", 0, 0), as_of).unwrap()), ["K3"]);
        let none = list(&conn, &q("%%", 0, 0), as_of).unwrap();
        assert_eq!((none.rows.len(), none.total), (0, 0));
        let e = list(&conn, &q("", v::MAX_PAGE + 1, 0), as_of).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
    }

    /// Today's work-ahead alerts are exactly the alerts the contracts' pages show: the SQL
    /// choice of [`alerts`] against every contract's derivation, day after day and weeks
    /// ahead, over contracts of every schedule signed, reached, paid in full or in part,
    /// and cancelled as the year goes.
    #[test]
    fn alerts_are_the_views_alerts() {
        use crate::invoices::payments::{record, AllocationInput, PaymentInput};
        let mut conn = ready();
        let mut seed = 11u64;
        let mut draw = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let schedules = ["30/70", "30/40/30", "thirds", "monthly:3", "monthly:5"];
        let (mut signed, mut seen, mut compared) = (0usize, 0usize, 0usize);
        // Each date a milestone falls due on is read too (the day it becomes due).
        let mut dates = std::collections::BTreeSet::new();
        let mut d = day("2026-01-05");
        while d < day("2026-12-31") {
            if draw(4) == 0 {
                let mut k = input("1000", schedules[signed % schedules.len()], &d.to_string());
                k.reference = format!("K{signed}");
                k.confirm = true;
                let made = create(&mut conn, &k, d).unwrap();
                dates.extend(made.milestones.iter().filter_map(|m| m.date));
                signed += 1;
            }
            if signed > 0 && draw(3) == 0 {
                let k = get(&conn, &format!("K{}", draw(signed as u64)), d).unwrap();
                let open: Vec<&MilestoneView> = k
                    .milestones
                    .iter()
                    .filter(|m| m.invoice.is_none() && m.state != MilestoneState::Cancelled)
                    .collect();
                if k.cancelled_on.is_none() && !open.is_empty() {
                    let m = open[draw(open.len() as u64) as usize];
                    reach(&mut conn, &k.reference, m.position, d, true, d).unwrap();
                }
            }
            if signed > 0 && draw(3) == 0 {
                let k = get(&conn, &format!("K{}", draw(signed as u64)), d).unwrap();
                if let Some(m) = k
                    .milestones
                    .iter()
                    .find(|m| m.balance.as_deref().is_some_and(|b| b != "0.00") && draw(2) == 0)
                {
                    let owed: rust_decimal::Decimal = m.balance.as_ref().unwrap().parse().unwrap();
                    let amount = if draw(3) == 0 {
                        owed / rust_decimal::Decimal::TWO
                    } else {
                        owed
                    };
                    record(
                        &mut conn,
                        &PaymentInput {
                            customer: "MUSEE".into(),
                            date: d.to_string(),
                            amount: amount.round_dp(2).to_string(),
                            allocations: vec![AllocationInput {
                                invoice: m.invoice.clone().unwrap(),
                                amount: amount.round_dp(2).to_string(),
                            }],
                            ..Default::default()
                        },
                    )
                    .unwrap();
                }
            }
            if signed > 0 && draw(40) == 0 {
                let k = format!("K{}", draw(signed as u64));
                if get(&conn, &k, d).unwrap().cancelled_on.is_none() {
                    cancel(&mut conn, &k, d, "Chantier arrêté", d).unwrap();
                }
            }
            let falling: Vec<NaiveDate> = dates.range(d..d + Duration::days(3)).copied().collect();
            for on in [d, d + Duration::days(45)].into_iter().chain(falling) {
                let want: Vec<WorkAheadAlert> = (0..signed)
                    .map(|n| get(&conn, &format!("K{n}"), on).unwrap())
                    .filter(|k| k.cancelled_on.is_none())
                    .filter_map(|k| k.alert)
                    .collect();
                let got = alerts(&conn, on).unwrap();
                let key = |a: &[WorkAheadAlert]| -> Vec<String> {
                    let mut v: Vec<String> = a.iter().map(|a| format!("{a:?}")).collect();
                    v.sort();
                    v
                };
                assert_eq!(key(&got), key(&want), "on {on}");
                seen += got.len();
                compared += 1;
            }
            d += Duration::days(3);
        }
        // The walk reaches the cases it is about.
        assert!(signed >= 20, "{signed} contracts");
        assert!(seen >= 50, "{seen} alerts over {compared} readings");
    }

    /// Contracts are loaded 64 at a time (a list's page, Today's alerts) or alone (a
    /// contract's page): each one's view is the same either way, whatever its neighbours.
    #[test]
    fn contracts_loaded_together_are_those_loaded_alone() {
        let mut conn = ready();
        let schedules = ["30/70", "30/40/30", "thirds", "monthly:3", "monthly:5"];
        for n in 0..70 {
            let signed = day("2026-01-05") + Duration::days(n);
            let mut k = input(
                &format!("{}", 1000 + 7 * n),
                schedules[n as usize % 5],
                &signed.to_string(),
            );
            k.reference = format!("K{n:02}");
            k.confirm = true;
            create(&mut conn, &k, signed).unwrap();
            if n % 3 == 0 {
                reach(&mut conn, &k.reference, 2, signed, true, signed).unwrap();
            }
        }
        let on = day("2026-06-01");
        let page = list(
            &conn,
            &ContractQuery {
                limit: 100,
                ..Default::default()
            },
            on,
        )
        .unwrap();
        assert_eq!(page.rows.len(), 70);
        for v in &page.rows {
            assert_eq!(v, &get(&conn, &v.reference, on).unwrap());
        }
        // Some are late, some have work ahead: the views differ from one another.
        assert!(page.rows.iter().filter(|v| v.alert.is_some()).count() >= 10);
        assert_eq!(
            alerts(&conn, on).unwrap().len(),
            page.rows.iter().filter(|v| v.alert.is_some()).count()
        );
    }

    /// Under the VAT franchise a contract charging VAT is refused, nothing written; without
    /// VAT its invoices carry the franchise's mention (category E in their e-invoice).
    #[test]
    fn under_the_franchise_a_contract_charges_no_vat_and_says_why() {
        let mut conn = ready();
        crate::settings::set(&conn, "vat_regime", "franchise").unwrap();
        let e = create(
            &mut conn,
            &input("1000", "30/70", "2026-03-02"),
            day("2026-03-02"),
        )
        .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Invalid {
                    field,
                    msg: Msg::VatNotCharged(crate::error::VatCase::Franchise)
                } if field == "vat_rate"
            ),
            "{e}"
        );
        let issued: i64 = conn
            .query_row("SELECT COUNT(*) FROM invoices", [], |r| r.get(0))
            .unwrap();
        assert_eq!(issued, 0, "nothing issued");
        let mut k = input("1000", "30/70", "2026-03-02");
        k.vat_rate = String::new();
        let view = create(&mut conn, &k, day("2026-03-02")).unwrap();
        assert_eq!(view.vat_mention, "TVA non applicable, art. 293 B du CGI");
        let deposit = view.milestones[0].invoice.clone().unwrap();
        assert_eq!(invoice_total(&conn, &deposit), (30_000, 0, 30_000));
        let notes: String = conn
            .query_row(
                "SELECT notes FROM invoices WHERE number = ?1",
                [&deposit],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            notes.contains("TVA non applicable, art. 293 B du CGI"),
            "{notes}"
        );
        let xml = String::from_utf8(crate::documents::cii::xml(&conn, &deposit).unwrap()).unwrap();
        assert!(
            xml.contains("<ram:CategoryCode>E</ram:CategoryCode>"),
            "{xml}"
        );
        assert!(xml.contains("VATEX-FR-FRANCHISE"), "{xml}");
    }

    /// A contract signed with VAT and partly invoiced before the owner chose the franchise
    /// keeps its rate: it can still be amended, its next invoices still charge it.
    #[test]
    fn a_contract_invoiced_before_the_franchise_keeps_its_vat() {
        let mut conn = ready();
        create(
            &mut conn,
            &input("1000", "30/70", "2026-03-02"),
            day("2026-03-02"),
        )
        .unwrap();
        crate::settings::set(&conn, "vat_regime", "franchise").unwrap();
        // The deposit is invoiced: the amendment gives the milestones left.
        let mut amended = input("1000", "30/70", "2026-03-02");
        amended.milestones.remove(0);
        let view = amend(&mut conn, "K1", &amended, day("2026-03-03")).unwrap();
        assert_eq!(view.vat_rate, "20");
    }

    #[test]
    fn a_30_40_30_contract_bills_deposit_stage_and_a_final_invoice_that_deducts_them() {
        let mut conn = ready();
        let signed = day("2026-03-02");
        // 10,000.01 excluding tax: the odd cent goes to the largest remainder (40 %).
        let k = create(
            &mut conn,
            &input("10000.01", "30/40/30", "2026-03-02"),
            signed,
        )
        .unwrap();
        assert_eq!(k.total, "12000.01");
        assert_eq!(k.vat, "2000.00");
        let nets: Vec<&str> = k.milestones.iter().map(|m| m.net.as_str()).collect();
        assert_eq!(nets, ["3000.00", "4000.01", "3000.00"]);
        let vats: Vec<&str> = k.milestones.iter().map(|m| m.vat.as_str()).collect();
        assert_eq!(vats, ["600.00", "800.00", "600.00"]);
        // The deposit was issued at signature: numbered, due in the customer's 30 days.
        assert_eq!(k.milestones[0].invoice.as_deref(), Some("F2026-0001"));
        assert_eq!(k.milestones[0].invoice_due, Some(day("2026-04-01")));
        assert_eq!(k.milestones[0].state, MilestoneState::Invoiced);
        assert_eq!(invoice_total(&conn, "F2026-0001"), (300000, 60000, 360000));
        // The final invoice before the stage: a confirmation is needed.
        let e = reach(&mut conn, "K1", 3, signed, false, signed).unwrap_err();
        assert!(
            matches!(e, Error::Invalid { msg: Msg::EarlierMilestonesNotInvoiced(ref p), .. } if p == &vec![2]),
            "{e:?}"
        );
        // The stage reached while the deposit is unpaid past its due date: the alert.
        let may = day("2026-05-11");
        let (k, stage) = reach(&mut conn, "K1", 2, may, false, may).unwrap();
        assert_eq!(stage, "F2026-0002");
        let alert = k.alert.expect("work ahead of payment");
        assert_eq!(alert.unpaid, "3600.00");
        assert!(
            alert.late_invoices[0].starts_with("F2026-0001"),
            "{alert:?}"
        );
        assert_eq!(alerts(&conn, may).unwrap().len(), 1);
        // Twice: refused, naming the invoice.
        let e = reach(&mut conn, "K1", 2, may, false, may).unwrap_err();
        assert!(e.message(Lang::En).contains("F2026-0002"), "{e:?}");
        // The final invoice: the whole contract, less each invoice before, line by line.
        let june = day("2026-06-15");
        let (k, last) = reach(&mut conn, "K1", 3, june, false, june).unwrap();
        assert_eq!(last, "F2026-0003");
        let id = crate::invoices::find_id(&conn, &last).unwrap().unwrap();
        let lines = issue::lines(&conn, id).unwrap();
        let amounts: Vec<(i64, i64)> = lines.iter().map(|l| (l.net_minor, l.vat_minor)).collect();
        assert_eq!(
            amounts,
            [(1000001, 200000), (-300000, -60000), (-400001, -80000)]
        );
        assert!(lines[1].label.contains("F2026-0001") && lines[2].label.contains("F2026-0002"));
        assert_eq!(invoice_total(&conn, &last), (300000, 60000, 360000));
        assert_eq!(
            (k.invoiced.as_str(), k.to_invoice.as_str()),
            ("12000.01", "0.00")
        );
        // Issued invoices do not change; the history has the contract and each invoice.
        let e = crate::invoices::update(
            &mut conn,
            id,
            &crate::invoices::InvoiceInput {
                number: last.clone(),
                customer: "MUSEE".into(),
                issue_date: "2026-06-15".into(),
                total: "1".into(),
                ..Default::default()
            },
            june,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::Invalid {
                msg: Msg::IssuedInvoiceImmutable,
                ..
            }
        ));
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'contract'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 4);
    }

    #[test]
    fn a_schedule_that_does_not_cover_the_total_is_refused_and_nothing_is_written() {
        let mut conn = ready();
        let mut k = input("9000", "30/70", "2026-03-02");
        k.milestones[1].share = "60".into();
        let p = plan(&conn, &k).unwrap();
        assert!(!p.covered);
        assert_eq!(p.gap, "900.00");
        let e = create(&mut conn, &k, day("2026-03-02")).unwrap_err();
        assert!(
            e.message(Lang::Fr).contains("il manque 900.00"),
            "{}",
            e.message(Lang::Fr)
        );
        k.milestones[1].share = "80".into();
        assert!(create(&mut conn, &k, day("2026-03-02"))
            .unwrap_err()
            .message(Lang::En)
            .contains("exceeds the total by 900.00"));
        // A share and an amount, a zero share, a negative amount: each named.
        k.milestones[1].share = "70".into();
        k.milestones[1].amount = "10".into();
        assert!(matches!(
            create(&mut conn, &k, day("2026-03-02")),
            Err(Error::Invalid {
                msg: Msg::ShareOrAmount(2),
                ..
            })
        ));
        k.milestones[1].amount = String::new();
        k.milestones[1].share = "0".into();
        assert!(matches!(
            create(&mut conn, &k, day("2026-03-02")),
            Err(Error::Invalid {
                msg: Msg::MilestoneNotPositive(2),
                ..
            })
        ));
        k.milestones[1].share = String::new();
        k.milestones[1].amount = "-6300".into();
        assert!(create(&mut conn, &k, day("2026-03-02")).is_err());
        // A fixed amount and a share together cover it.
        k.milestones[1].amount = "6300".into();
        assert!(plan(&conn, &k).unwrap().covered);
        // Identity incomplete: the deposit cannot be issued, so nothing is saved.
        crate::settings::set(&conn, "siret", "").unwrap();
        let e = create(&mut conn, &k, day("2026-03-02")).unwrap_err();
        assert!(
            e.message(Lang::Fr).contains("SIREN ou SIRET"),
            "{}",
            e.message(Lang::Fr)
        );
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM contracts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    /// Issue 18, item 8: the templates split exactly (each part within a cent of its exact
    /// share), and each invoice's VAT is its own net × the rate, rounded once.
    #[test]
    fn templates_split_exactly_and_each_invoice_has_its_own_vat() {
        let conn = ready();
        let nets = |schedule: &str, total: &str| -> Vec<String> {
            plan(&conn, &input(total, schedule, "2026-03-02"))
                .unwrap()
                .milestones
                .into_iter()
                .map(|m| m.net)
                .collect()
        };
        assert_eq!(nets("thirds", "12000"), ["4000.00", "4000.00", "4000.00"]);
        assert_eq!(nets("monthly:12", "12000"), vec!["1000.00"; 12]);
        assert_eq!(
            nets("monthly:7", "100"),
            ["14.29", "14.29", "14.29", "14.29", "14.28", "14.28", "14.28"]
        );
        // A third of 100: 33.34 / 33.33 / 33.33, and 20 % VAT on 33.33 is 6.67 (6.666).
        let p = plan(&conn, &input("100", "thirds", "2026-03-02")).unwrap();
        let vats: Vec<&str> = p.milestones.iter().map(|m| m.vat.as_str()).collect();
        assert_eq!(vats, ["6.67", "6.67", "6.67"]);
        // The contract's VAT is the sum of its invoices' VAT.
        assert_eq!(p.vat, "20.01");
        // Fractions are checked.
        let mut bad = input("100", "thirds", "2026-03-02");
        bad.milestones[0].share = "1/37".into();
        assert!(matches!(
            plan(&conn, &bad).unwrap_err(),
            Error::Invalid {
                msg: Msg::BadShare(_),
                ..
            }
        ));
    }

    #[test]
    fn gbp_thirds_amendment_cancellation_and_hold() {
        let mut conn = ready();
        let mut k = input("1000", "thirds", "2026-09-01");
        k.currency = "GBP".into();
        k.reference = "UK-7".into();
        // A French owner's contract in pounds charging VAT needs the rate for its VAT in
        // euros: refused without it, nothing written.
        let e = create(&mut conn, &k, day("2026-09-01")).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field, msg: Msg::ExchangeRateRequired(c) } if field == "exchange_rate" && c == "GBP"),
            "{e}"
        );
        k.exchange_rate = "1,17".into();
        let v = create(&mut conn, &k, day("2026-09-01")).unwrap();
        assert_eq!(v.currency, "GBP");
        assert_eq!(v.exchange_rate, "1.17");
        // The deposit: 333.34 GBP at 20 % is 66.67 GBP of VAT, 78.00 EUR at 1.17
        // (78.0039 → 78.00).
        let deposit = v.milestones[0].invoice.clone().unwrap();
        let vat_eur: Option<i64> = conn
            .query_row(
                "SELECT vat_eur_minor FROM invoices WHERE number = ?1",
                [&deposit],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(vat_eur, Some(7_800));
        let nets: Vec<&str> = v.milestones.iter().map(|m| m.net.as_str()).collect();
        // Exact thirds: each part within a cent of a third (not of a rounded 33.34 %).
        assert_eq!(nets, ["333.34", "333.33", "333.33"]);
        assert_eq!(v.milestones[0].share.as_deref(), Some("1/3"));
        // Amended: a new total; the invoiced deposit stays, the rest is re-planned.
        let mut a = k.clone();
        a.total = "1200".into();
        a.milestones = vec![MilestoneInput {
            label: "Solde".into(),
            amount: "866.66".into(),
            trigger: "reached".into(),
            ..Default::default()
        }];
        let v = amend(&mut conn, "UK-7", &a, day("2026-09-10")).unwrap();
        assert_eq!(v.total, "1440.00");
        let nets: Vec<&str> = v.milestones.iter().map(|m| m.net.as_str()).collect();
        assert_eq!(nets, ["333.34", "866.66"]);
        assert_eq!(v.milestones[0].invoice.as_deref(), Some("F2026-0001"));
        let vats: i64 = conn
            .query_row("SELECT SUM(m.vat_minor) FROM milestones m JOIN contracts k ON k.id = m.contract_id WHERE k.reference = 'UK-7'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(vats, 24000);
        // On hold: the next invoice needs a confirmation.
        conn.execute(
            "UPDATE customers SET on_hold = 1 WHERE reference = 'MUSEE'",
            [],
        )
        .unwrap();
        let e = reach(
            &mut conn,
            "UK-7",
            2,
            day("2026-09-20"),
            false,
            day("2026-09-20"),
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::Invalid {
                msg: Msg::CustomerOnHoldConfirm(_),
                ..
            }
        ));
        // Cancelled: what is invoiced stays, the rest is dropped.
        let v = cancel(
            &mut conn,
            "UK-7",
            day("2026-09-21"),
            "Projet abandonné",
            day("2026-09-21"),
        )
        .unwrap();
        assert_eq!(v.milestones[1].state, MilestoneState::Cancelled);
        assert_eq!(v.to_invoice, "0.00");
        // 333.34 + 20 % VAT on it alone (66.668 → 66.67).
        assert_eq!(v.invoiced, "400.01");
        assert!(reach(
            &mut conn,
            "UK-7",
            2,
            day("2026-09-22"),
            true,
            day("2026-09-22")
        )
        .is_err());
    }
}
