//! Late-payment interest and the fixed recovery indemnity, per jurisdiction. The rules are
//! pure functions of an invoice's history, the terms and the rate table ([`compute`]);
//! [`for_invoice`] reads those from the database.
//!
//! - **France, business debtor** (Code de commerce L441-10, D441-5): from the day after the
//!   due date; the rate of the owner's terms of sale if set, otherwise the ECB main
//!   refinancing rate + 10 points, January–June at the rate in force on 1 January and
//!   July–December at the rate in force on 1 July; 40 € per late invoice.
//! - **Other EU country, business debtor** (Directive 2011/7/EU): ECB + 8 points, same
//!   half-year rule, 40 € per late invoice.
//! - **United Kingdom, business debtor** (Late Payment of Commercial Debts (Interest) Act
//!   1998): 8 % + Bank Rate, January–June at the rate in force on 31 December before,
//!   July–December at the rate on 30 June; £40 below £1,000, £70 below £10,000, £100 above.
//! - **Private individual** (France): no fixed indemnity; the legal rate for individuals of
//!   each half-year (entered by the owner), from the day after the formal demand. Elsewhere
//!   no statutory interest applies to individuals: none is computed.
//!
//! Method: simple interest, actual days / 365, each day at the rate of its half-year on that
//! day's open balance (a payment or credit note lowers the base from the day after it is
//! received), summed exactly and rounded once to the currency's minor unit, half away from
//! zero. Consecutive days with the same rate and base make one period of the breakdown.

use crate::error::{Error, Msg, Result};
use crate::money::Currency;
use crate::rates::{RateTable, Series};
use crate::store::sql::{Connection, OptionalExtension};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whose law sets the interest: the owner's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    France,
    EuropeanUnion,
    UnitedKingdom,
}

const EU_COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Jurisdiction {
    /// From a two-letter country code; `None` where no rule is built in.
    pub fn of_country(code: &str) -> Option<Jurisdiction> {
        match code.trim().to_ascii_uppercase().as_str() {
            "FR" => Some(Jurisdiction::France),
            "GB" | "UK" => Some(Jurisdiction::UnitedKingdom),
            c if EU_COUNTRIES.contains(&c) => Some(Jurisdiction::EuropeanUnion),
            _ => None,
        }
    }
}

/// Who owes: a business or a private individual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Debtor {
    Business,
    Individual,
}

/// One invoice's history, as interest needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub currency: Currency,
    pub total_minor: i64,
    pub due_date: NaiveDate,
    /// Payments allocated, credit notes and settlement differences: (day received, minor
    /// units); a payment the bank gave back counts negative from the day it was reversed.
    pub reductions: Vec<(NaiveDate, i64)>,
    /// Interest already invoiced up to and including this day (a penalty invoice).
    pub charged_through: Option<NaiveDate>,
    /// The fixed indemnity was already invoiced.
    pub indemnity_charged: bool,
}

/// The legal frame of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub jurisdiction: Jurisdiction,
    pub debtor: Debtor,
    /// The rate of the owner's terms of sale, percent per year (business debtors).
    pub contract_rate: Option<Decimal>,
    /// The day of the formal demand (interest on an individual runs from the day after).
    pub demand_date: Option<NaiveDate>,
}

/// Days at one rate on one base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    /// Percent per year.
    pub rate: Decimal,
    pub base_minor: i64,
    /// Unrounded interest of the period, in major units.
    pub amount: Decimal,
}

/// Why a figure may need a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The as-of date is more than six months after the last known decision of the series.
    StaleRate { series: Series, last: NaiveDate },
    /// The fixed indemnity is set in EUR or GBP; an invoice in another currency gets none.
    IndemnityCurrency { law: &'static str, invoice: String },
    /// Individuals outside France: no statutory interest is computed.
    NoIndividualRule,
    /// An individual before any formal demand: interest has not started.
    NoDemandYet,
    /// The contractual rate is below three times the French legal rate (L441-10): the
    /// statutory minimum applies in law, whatever the terms say.
    ContractRateBelowMinimum { rate: Decimal, minimum: Decimal },
}

impl Warning {
    pub fn text(&self, lang: crate::error::Lang) -> String {
        let fr = lang == crate::error::Lang::Fr;
        match self {
            Warning::StaleRate { series, last } => {
                if fr {
                    format!("Le {} n'est connu que jusqu'au {} : vérifiez qu'aucune décision plus récente n'a été publiée et saisissez-la dans Réglages → Taux.", series.label(lang), last.format("%d/%m/%Y"))
                } else {
                    format!("The {} is known only up to {last}: check that no later decision was published, and enter it in Settings → Rates.", series.label(lang))
                }
            }
            Warning::IndemnityCurrency { law, invoice } => {
                if fr {
                    format!("L'indemnité forfaitaire est fixée en {law} ; aucune n'est ajoutée à une facture en {invoice}.")
                } else {
                    format!("The fixed indemnity is set in {law}; none is added to an invoice in {invoice}.")
                }
            }
            Warning::NoIndividualRule => {
                if fr {
                    "Particulier hors de France : aucun intérêt légal n'est calculé.".into()
                } else {
                    "Private individual outside France: no statutory interest is computed.".into()
                }
            }
            Warning::ContractRateBelowMinimum { rate, minimum } => {
                if fr {
                    format!("Le taux de vos CGV ({rate} %) est inférieur à trois fois le taux de l'intérêt légal ({minimum} %) : l'article L441-10 du Code de commerce impose ce minimum ; corrigez vos CGV et le réglage.")
                } else {
                    format!("Your terms' rate ({rate} %) is below three times the French legal rate ({minimum} %): article L441-10 of the Code de commerce sets that minimum; correct your terms and the setting.")
                }
            }
            Warning::NoDemandYet => {
                if fr {
                    "Particulier : les intérêts courent à partir de la mise en demeure, pas encore envoyée.".into()
                } else {
                    "Private individual: interest runs from the formal demand, not sent yet.".into()
                }
            }
        }
    }
}

/// Interest and indemnity of one claim as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalties {
    pub currency: Currency,
    pub interest_minor: i64,
    pub indemnity_minor: i64,
    pub periods: Vec<Period>,
    pub warnings: Vec<Warning>,
}

impl Penalties {
    pub fn total_minor(&self) -> i64 {
        self.interest_minor + self.indemnity_minor
    }
}

fn half_year_start(d: NaiveDate) -> NaiveDate {
    let month = if d.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(d.year(), month, 1).expect("valid")
}

/// The day whose reference rate applies to `d`'s half-year, for each series' rule.
fn reference_day(series: Series, d: NaiveDate) -> NaiveDate {
    let start = half_year_start(d);
    match series {
        // UK: the rate in force on 31 December (for January–June) or 30 June (July–December).
        Series::BoeBankRate => start.pred_opt().expect("valid"),
        _ => start,
    }
}

fn rate_of(table: &RateTable, series: Series, d: NaiveDate) -> Result<Decimal> {
    let day = reference_day(series, d);
    table.on(series, day).ok_or_else(|| {
        Error::invalid(
            "rate",
            Msg::NoRateFor {
                series: series.code().into(),
                date: day.to_string(),
            },
        )
    })
}

/// The yearly rate (percent) of day `d`, and the series it comes from if any.
fn yearly_rate(
    terms: &Terms,
    table: &RateTable,
    d: NaiveDate,
) -> Result<(Decimal, Option<Series>)> {
    match (terms.debtor, terms.jurisdiction) {
        // L313-2 CMF: the higher legal rate is for a creditor who is a private person; a
        // Relance owner is a business, so a private debtor owes the rate of "the other
        // cases", the professionals' series.
        (Debtor::Individual, _) => Ok((
            rate_of(table, Series::FrLegalProfessional, d)?,
            Some(Series::FrLegalProfessional),
        )),
        (Debtor::Business, _) if terms.contract_rate.is_some() => {
            Ok((terms.contract_rate.unwrap_or_default(), None))
        }
        (Debtor::Business, Jurisdiction::France) => Ok((
            rate_of(table, Series::EcbMro, d)? + Decimal::from(10),
            Some(Series::EcbMro),
        )),
        (Debtor::Business, Jurisdiction::EuropeanUnion) => Ok((
            rate_of(table, Series::EcbMro, d)? + Decimal::from(8),
            Some(Series::EcbMro),
        )),
        (Debtor::Business, Jurisdiction::UnitedKingdom) => Ok((
            rate_of(table, Series::BoeBankRate, d)? + Decimal::from(8),
            Some(Series::BoeBankRate),
        )),
    }
}

/// The fixed indemnity for one late invoice whose unpaid amount was `debt_minor`.
fn indemnity(terms: &Terms, currency: Currency, debt_minor: i64) -> (i64, Option<Warning>) {
    if terms.debtor == Debtor::Individual || debt_minor <= 0 {
        return (0, None);
    }
    let (law, amount) = match terms.jurisdiction {
        Jurisdiction::France | Jurisdiction::EuropeanUnion => ("EUR", Decimal::from(40)),
        Jurisdiction::UnitedKingdom => {
            let debt = currency.from_minor(debt_minor);
            let sum = if debt < Decimal::from(1000) {
                40
            } else if debt < Decimal::from(10_000) {
                70
            } else {
                100
            };
            ("GBP", Decimal::from(sum))
        }
    };
    if currency.code() != law {
        return (
            0,
            Some(Warning::IndemnityCurrency {
                law,
                invoice: currency.code().to_string(),
            }),
        );
    }
    (currency.to_minor(amount, "indemnity").unwrap_or(0), None)
}

/// Interest and indemnity of `claim` as of `as_of` (inclusive), under `terms`.
pub fn compute(
    claim: &Claim,
    terms: &Terms,
    table: &RateTable,
    as_of: NaiveDate,
) -> Result<Penalties> {
    let mut out = Penalties {
        currency: claim.currency,
        interest_minor: 0,
        indemnity_minor: 0,
        periods: Vec::new(),
        warnings: Vec::new(),
    };
    let base_on = |d: NaiveDate| -> i64 {
        let reduced: i64 = claim
            .reductions
            .iter()
            .filter(|(on, _)| *on < d)
            .map(|(_, m)| *m)
            .fold(0i64, i64::saturating_add);
        (claim.total_minor - reduced).max(0)
    };
    let start = match (terms.debtor, terms.jurisdiction) {
        (Debtor::Business, _) => claim.due_date.succ_opt(),
        (Debtor::Individual, Jurisdiction::France) => match terms.demand_date {
            Some(d) => d.max(claim.due_date).succ_opt(),
            None => {
                out.warnings.push(Warning::NoDemandYet);
                None
            }
        },
        (Debtor::Individual, _) => {
            out.warnings.push(Warning::NoIndividualRule);
            None
        }
    };
    let Some(mut start) = start else {
        return Ok(out);
    };
    if let Some(through) = claim.charged_through {
        start = start.max(through.succ_opt().expect("valid"));
    }
    if as_of > claim.due_date && !claim.indemnity_charged {
        let (fixed, warning) = indemnity(
            terms,
            claim.currency,
            base_on(claim.due_date.succ_opt().expect("valid")),
        );
        out.indemnity_minor = fixed;
        out.warnings.extend(warning);
    }
    let mut series_used = None;
    let mut total = Decimal::ZERO;
    let mut day = start;
    while day <= as_of {
        let base = base_on(day);
        if base == 0 {
            // Paid in full: no interest until a payment given back by the bank (a negative
            // reduction, effective the day after it) reopens the claim, if ever.
            let reopened = claim
                .reductions
                .iter()
                .filter(|(on, m)| *m < 0 && *on >= day)
                .map(|(on, _)| *on)
                .min();
            match reopened.and_then(|on| on.succ_opt()) {
                Some(next) => {
                    day = next;
                    continue;
                }
                None => break,
            }
        }
        let (rate, series) = yearly_rate(terms, table, day)?;
        series_used = series_used.or(series);
        let major = claim.currency.from_minor(base);
        let daily = major * rate / Decimal::from(100) / Decimal::from(365);
        total += daily;
        match out.periods.last_mut() {
            Some(p) if p.rate == rate && p.base_minor == base && p.to.succ_opt() == Some(day) => {
                p.to = day;
                p.days += 1;
                p.amount += daily;
            }
            _ => out.periods.push(Period {
                from: day,
                to: day,
                days: 1,
                rate,
                base_minor: base,
                amount: daily,
            }),
        }
        day = day.succ_opt().expect("valid");
    }
    for p in &mut out.periods {
        // Recomputed from the period as a whole: the same figure without the daily residues.
        p.amount = claim.currency.from_minor(p.base_minor) * p.rate * Decimal::from(p.days)
            / Decimal::from(36_500);
    }
    let exact: Decimal = out.periods.iter().map(|p| p.amount).sum();
    debug_assert!((exact - total).abs() < Decimal::new(1, 9));
    let rounded = exact.round_dp_with_strategy(
        claim.currency.digits(),
        RoundingStrategy::MidpointAwayFromZero,
    );
    out.interest_minor = claim.currency.to_minor(rounded, "interest")?;
    if let (Some(rate), Jurisdiction::France, Debtor::Business) =
        (terms.contract_rate, terms.jurisdiction, terms.debtor)
    {
        if let Some(legal) = table.on(Series::FrLegalProfessional, half_year_start(as_of)) {
            let minimum = (legal * Decimal::from(3)).normalize();
            if rate < minimum {
                out.warnings
                    .push(Warning::ContractRateBelowMinimum { rate, minimum });
            }
        }
    }
    if let Some(series) = series_used {
        if let Some(last) = table.last_decision(series) {
            // A shipped series counts from when its table was last checked.
            let checked = match series {
                Series::EcbMro | Series::BoeBankRate => {
                    last.max(crate::rates::shipped_checked_on())
                }
                Series::FrLegalIndividual | Series::FrLegalProfessional => last,
            };
            if as_of > checked + Months::new(6) {
                out.warnings.push(Warning::StaleRate {
                    series,
                    last: checked,
                });
            }
        }
    }
    Ok(out)
}

/// The penalties of an invoice as JSON and the UI show them: decimal strings, FR/EN text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PenaltiesView {
    pub invoice: String,
    pub currency: String,
    pub jurisdiction: Jurisdiction,
    pub debtor: Debtor,
    pub interest: String,
    pub indemnity: String,
    pub total: String,
    /// The first warning, in the requested language, or null.
    pub rate_warning: Option<String>,
    pub warnings: Vec<String>,
    pub periods: Vec<PeriodView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PeriodView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[ts(type = "number")]
    pub days: i64,
    pub rate: String,
    pub base: String,
    pub amount: String,
}

/// Reads an invoice (by number), its customer's kind, the owner's country and terms, and
/// the rate table, and computes its penalties as of `as_of`. `demand_date`: the formal
/// demand's day, for an individual debtor. Returns the invoice's number as stored, the
/// terms applied and the figures.
pub fn of_invoice(
    conn: &Connection,
    number: &str,
    as_of: NaiveDate,
    demand_date: Option<NaiveDate>,
) -> Result<(String, Terms, Penalties)> {
    let invoice = crate::invoices::stored_by_number(conn, "invoice", number)?;
    invoice.refuse_before_issue(as_of)?;
    // Interest runs only on an invoice that may be claimed (paid-late ones included: their
    // late days stay owed); never on a written-off, handed-over or disputed one.
    let at = crate::invoices::AsOf::new(conn, as_of)?;
    crate::invoices::refuse_out_of_claims(conn, invoice.id, &at)?;
    if is_penalty_invoice(conn, invoice.id)? {
        return Err(Error::invalid("invoice", Msg::PenaltyOnPenalty));
    }
    let (mut claim, terms) = claim_and_terms(conn, &invoice, as_of, demand_date)?;
    let (charged_through, indemnity_charged): (Option<NaiveDate>, i64) = conn.query_row(
        "SELECT MAX(through_date), COALESCE(SUM(indemnity_minor), 0) FROM penalty_charges
         WHERE source_invoice_id = ?1",
        [invoice.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    claim.charged_through = charged_through;
    claim.indemnity_charged = indemnity_charged > 0;
    let table = RateTable::load(conn)?;
    let p = compute(&claim, &terms, &table, as_of)?;
    Ok((invoice.number, terms, p))
}

/// An invoice's history as interest needs it (nothing charged yet) and the legal frame:
/// the owner's country and terms, the customer's kind and, for a private debtor, the day
/// of the first formal demand produced (archived) for it by `as_of` — or `demand_date`,
/// standing for one being made now, if earlier.
pub(crate) fn claim_and_terms(
    conn: &Connection,
    invoice: &crate::invoices::Stored,
    as_of: NaiveDate,
    demand_date: Option<NaiveDate>,
) -> Result<(Claim, Terms)> {
    let archived: Option<NaiveDate> = conn.query_row(
        "SELECT MIN(d.on_date) FROM documents d
           JOIN document_invoices di ON di.document_id = d.id
         WHERE di.invoice_id = ?1 AND d.kind = 'formal_demand' AND d.on_date <= ?2",
        crate::store::sql::params![invoice.id, as_of.to_string()],
        |r| r.get(0),
    )?;
    let demand_date = match (archived, demand_date) {
        (Some(a), Some(d)) => Some(a.min(d)),
        (a, d) => a.or(d),
    };
    let kind: String = conn.query_row(
        "SELECT kind FROM customers WHERE id = ?1",
        [invoice.customer_id],
        |r| r.get(0),
    )?;
    let settings = crate::settings::get(conn)?;
    let jurisdiction = Jurisdiction::of_country(&settings.country).ok_or_else(|| {
        Error::invalid("country", Msg::NoLateInterestRule(settings.country.clone()))
    })?;
    let currency = Currency::parse(&invoice.currency)?;
    let mut reductions: Vec<(NaiveDate, i64)> = Vec::new();
    let mut stmt =
        conn.prepare_cached("SELECT date, amount_minor FROM settlements WHERE invoice_id = ?1")?;
    for r in stmt.query_map([invoice.id], |r| Ok((r.get(0)?, r.get(1)?)))? {
        reductions.push(r?);
    }
    let claim = Claim {
        currency,
        total_minor: invoice.total_minor,
        due_date: invoice.due_date,
        reductions,
        charged_through: None,
        indemnity_charged: false,
    };
    let terms = Terms {
        jurisdiction,
        debtor: if kind == "individual" {
            Debtor::Individual
        } else {
            Debtor::Business
        },
        contract_rate: Some(settings.late_interest_rate.as_str())
            .filter(|r| !r.is_empty())
            .map(|r| crate::validate::rate("late_interest_rate", r))
            .transpose()?,
        demand_date,
    };
    Ok((claim, terms))
}

/// Penalty invoices that charge more than is owed: a payment or credit note recorded after
/// them, dated before the end of the period they charge, lowered the interest (or removed
/// the indemnity) they claim. Shown on the invoice page and on Today, with the credit note
/// that corrects it ([`correct_overcharge`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Overcharge {
    /// The invoice the penalties are for.
    pub invoice: String,
    #[ts(type = "number")]
    pub invoice_id: i64,
    pub customer: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub customer_name: String,
    pub currency: String,
    /// The penalty invoices, oldest first.
    pub penalty_invoices: Vec<String>,
    /// What they charge, net of the credit notes already made on them.
    pub charged: String,
    /// What the facts known today make owed for the same days.
    pub owed: String,
    /// `charged - owed`.
    pub excess: String,
    /// The part of the excess a credit note can remove: the penalty invoices' unpaid
    /// balance, up to the excess.
    pub correctable: String,
    /// The part already paid: to refund (no credit note reduces a paid invoice).
    pub paid: String,
    /// `excess` and `correctable` in minor units, for the engine's own arithmetic.
    #[serde(skip)]
    #[ts(skip)]
    pub excess_minor: i64,
    #[serde(skip)]
    #[ts(skip)]
    pub correctable_minor: i64,
}

impl Overcharge {
    /// What the owner is told, in `lang`.
    pub fn text(&self, lang: crate::error::Lang) -> String {
        let list = self.penalty_invoices.join(", ");
        let mut s = if lang == crate::error::Lang::Fr {
            format!(
                "{list} réclame {} {} de trop pour {} : un règlement ou un avoir enregistré après coup, daté de la période facturée (ou un taux saisi depuis), ramène les pénalités dues à {} {}.",
                self.excess.replace('.', ","), self.currency, self.invoice, self.owed.replace('.', ","), self.currency
            )
        } else {
            format!(
                "{list} charges {} {} too much for {}: a payment or credit note recorded afterwards, dated inside the period charged (or a rate entered since), lowers the penalties owed to {} {}.",
                self.excess, self.currency, self.invoice, self.owed, self.currency
            )
        };
        if self.correctable_minor > 0 {
            s.push_str(if lang == crate::error::Lang::Fr {
                " Établissez l'avoir qui le corrige."
            } else {
                " Issue the credit note that corrects it."
            });
        }
        if self.correctable_minor < self.excess_minor {
            s.push_str(&if lang == crate::error::Lang::Fr {
                format!(
                    " {} {} déjà payés sont à rembourser.",
                    self.paid.replace('.', ","),
                    self.currency
                )
            } else {
                format!(
                    " {} {} already paid is to refund.",
                    self.paid, self.currency
                )
            });
        }
        s
    }
}

/// The overcharge of the penalty invoices of one invoice (given by its id, or by the id of
/// one of its penalty invoices), or `None` when they charge no more than is owed.
///
/// "Owed" replays each penalty invoice exactly as it was made (the same days, the
/// indemnity on the first), with today's facts: with no new fact the figures are the
/// same to the cent, so rounding never raises a false alarm.
pub fn overcharge(conn: &Connection, invoice_id: i64) -> Result<Option<Overcharge>> {
    overcharge_with(conn, invoice_id, None)
}

/// [`overcharge`], with the rate table when the caller has it already (read only when the
/// invoice has penalty invoices otherwise).
fn overcharge_with(
    conn: &Connection,
    invoice_id: i64,
    table: Option<&RateTable>,
) -> Result<Option<Overcharge>> {
    let source_id = source_of(conn, invoice_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT i.number, pc.through_date, pc.interest_minor + pc.indemnity_minor,
                i.total_minor - i.settled_minor,
                (SELECT COALESCE(SUM(amount_minor), 0) FROM credit_notes WHERE invoice_id = i.id)
           FROM penalty_charges pc JOIN invoices i ON i.id = pc.penalty_invoice_id
          WHERE pc.source_invoice_id = ?1 ORDER BY pc.through_date, pc.id",
    )?;
    let charges = stmt
        .query_map([source_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, NaiveDate>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let Some(last) = charges.last().map(|c| c.1) else {
        return Ok(None);
    };
    let source = crate::invoices::stored_by_id(conn, source_id)?;
    let (mut claim, terms) = claim_and_terms(conn, &source, last, None)?;
    let loaded;
    let table = match table {
        Some(t) => t,
        None => {
            loaded = RateTable::load(conn)?;
            &loaded
        }
    };
    let mut owed = 0i64;
    for (_, through, ..) in &charges {
        let p = compute(&claim, &terms, table, *through)?;
        owed += p.total_minor();
        claim.indemnity_charged |= p.indemnity_minor > 0;
        claim.charged_through = Some(*through);
    }
    let charged: i64 = charges.iter().map(|c| c.2 - c.4).sum();
    let excess = charged - owed;
    if excess <= 0 {
        return Ok(None);
    }
    let open: i64 = charges.iter().map(|c| c.3.max(0)).sum();
    let correctable = open.min(excess);
    let currency = claim.currency;
    let customer = crate::customers::get(conn, source.customer_id)?;
    Ok(Some(Overcharge {
        invoice: source.number,
        invoice_id: source_id,
        customer: customer.reference,
        customer_id: customer.id,
        customer_name: customer.name,
        currency: currency.code().to_string(),
        penalty_invoices: charges.into_iter().map(|c| c.0).collect(),
        charged: currency.minor_to_string(charged),
        owed: currency.minor_to_string(owed),
        excess: currency.minor_to_string(excess),
        correctable: currency.minor_to_string(correctable),
        paid: currency.minor_to_string(excess - correctable),
        excess_minor: excess,
        correctable_minor: correctable,
    }))
}

/// The invoice a penalty invoice charges interest on; any other invoice is its own source.
fn source_of(conn: &Connection, invoice_id: i64) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT source_invoice_id FROM penalty_charges WHERE penalty_invoice_id = ?1",
            [invoice_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(invoice_id))
}

/// Every overcharge of the ledger, by customer name then invoice.
pub fn overcharges(conn: &Connection) -> Result<Vec<Overcharge>> {
    let ids = conn
        .prepare_cached("SELECT DISTINCT source_invoice_id FROM penalty_charges")?
        .query_map([], |r| r.get::<_, i64>(0))?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let table = RateTable::load(conn)?;
    let mut out = Vec::new();
    for id in ids {
        out.extend(overcharge_with(conn, id, Some(&table))?);
    }
    out.sort_by(|a, b| {
        (a.customer_name.as_str(), a.invoice.as_str())
            .cmp(&(b.customer_name.as_str(), b.invoice.as_str()))
    });
    Ok(out)
}

/// Issues, dated `today`, the credit notes that remove an overcharge (see [`Overcharge`])
/// from the penalty invoices of `number` (the invoice or one of its penalty invoices),
/// newest first, each up to its unpaid balance; the reason is written in the customer's
/// language (they read it). A penalty invoice Relance issued (numbered, with its lines) is
/// corrected by a credit note issued as a document (its own number, outside the scope of
/// VAT like the invoice, its Factur-X PDF archived): an issued invoice is never reduced by
/// a bare figure. One recorded before penalty invoices were issued is corrected by a
/// recorded credit note, as then. Refused when nothing is overcharged, or when all of it
/// is paid (it is then to refund). One transaction: all the credit notes or none. Returns
/// what each credit note took off its invoice.
pub fn correct_overcharge(
    conn: &mut Connection,
    number: &str,
    today: NaiveDate,
) -> Result<Vec<crate::invoices::credit_notes::CreditNoteView>> {
    let tx = conn.transaction()?;
    let invoice = crate::invoices::stored_by_number(&tx, "invoice", number)?;
    let Some(o) = overcharge(&tx, invoice.id)? else {
        let source = crate::invoices::stored_by_id(&tx, source_of(&tx, invoice.id)?)?;
        return Err(Error::invalid(
            "invoice",
            Msg::NothingToCorrect(source.number),
        ));
    };
    let currency = Currency::parse(&o.currency)?;
    let mut left = o.correctable_minor;
    if left == 0 {
        return Err(Error::invalid(
            "invoice",
            Msg::OverchargePaid {
                amount: format!(
                    "{} {}",
                    currency.minor_to_string(o.excess_minor),
                    o.currency
                ),
            },
        ));
    }
    let lang = crate::customers::get(&tx, o.customer_id)?.language;
    let reason = if lang == crate::error::Lang::Fr {
        format!(
            "Correction des pénalités de retard de {} : un règlement reçu avant la fin de la période facturée réduit ce qui est dû.",
            o.invoice
        )
    } else {
        format!(
            "Correction of the late-payment penalties of {}: a payment received before the end of the period charged lowers what is owed.",
            o.invoice
        )
    };
    let mut made = Vec::new();
    for penalty in o.penalty_invoices.iter().rev() {
        if left == 0 {
            break;
        }
        let p = crate::invoices::stored_by_number(&tx, "invoice", penalty)?;
        let open: i64 = tx.query_row(
            "SELECT total_minor - settled_minor FROM invoices WHERE id = ?1",
            [p.id],
            |r| r.get(0),
        )?;
        let amount = open.min(left);
        if amount <= 0 {
            continue;
        }
        left -= amount;
        if crate::invoices::issue::is_issued(&tx, p.id)? {
            use crate::invoices::credit_documents as cd;
            let line = if lang == crate::error::Lang::Fr {
                format!("Correction des pénalités de retard de {}", o.invoice)
            } else {
                format!("Correction of the late-payment penalties of {}", o.invoice)
            };
            let (id, number) = cd::issue_in(
                &tx,
                &cd::CreditNoteIssueInput {
                    invoice: p.number.clone(),
                    lines: vec![crate::invoices::drafts::DraftLineInput {
                        description: line,
                        quantity: "1".into(),
                        unit_price: currency.minor_to_string(amount),
                        ..Default::default()
                    }],
                    reason: reason.clone(),
                },
                today,
            )?;
            cd::finish(&tx, id, &number)?;
            made.extend(
                crate::invoices::credit_notes::for_invoice(&tx, p.id)?
                    .into_iter()
                    .filter(|n| n.number == number),
            );
            continue;
        }
        made.push(crate::invoices::credit_notes::create_in(
            &tx,
            &crate::invoices::credit_notes::CreditNoteInput {
                invoice: p.number.clone(),
                date: today.to_string(),
                amount: currency.minor_to_string(amount),
                reason: reason.clone(),
                ..Default::default()
            },
        )?);
    }
    tx.commit()?;
    Ok(made)
}

/// True when the invoice was issued for penalties (no interest is computed on interest).
pub fn is_penalty_invoice(conn: &Connection, invoice_id: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM penalty_charges WHERE penalty_invoice_id = ?1",
            [invoice_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Issues a separate invoice for the interest to `as_of` and the fixed indemnity of
/// `number` (an issued invoice is never changed), payable on receipt, with the breakdown
/// in its notes; it then follows dunning like any invoice. The interest of the days it
/// charges, and the indemnity, are never charged again. Refused when there is nothing to
/// charge. The breakdown is written in the customer's language (they read it).
pub fn invoice_penalties(
    db: &mut Connection,
    number: &str,
    today: NaiveDate,
) -> Result<crate::invoices::InvoiceView> {
    // One write transaction from the "charged through" read to the insert: two runs at
    // once cannot both charge the same days (the second waits, then sees the first).
    let tx = db.transaction()?;
    let (number, terms, p) = of_invoice(&tx, number, today, None)?;
    if p.total_minor() == 0 {
        return Err(Error::invalid("invoice", Msg::NothingToCharge));
    }
    let as_of = today;
    let conn = &tx;
    let source = crate::invoices::stored_by_number(conn, "invoice", &number)?;
    let customer = crate::customers::get(conn, source.customer_id)?;
    let lang = customer.language;
    let fr = lang == crate::error::Lang::Fr;
    let date = |d: NaiveDate| {
        d.format(if fr { "%d/%m/%Y" } else { "%Y-%m-%d" })
            .to_string()
    };
    let money = |minor: i64| p.currency.format_minor(minor, lang);
    // Outside the scope of VAT (interest and the indemnity pay for no supply): category O.
    let mut notes =
        vec![
            crate::invoices::drafts::exemption_mention(crate::error::VatCase::OutsideScope, fr)
                .to_string(),
        ];
    for q in &p.periods {
        let rate = q.rate.normalize().to_string();
        notes.push(if fr {
            format!(
                "Intérêts de retard sur {number} du {} au {} : {} j à {} % l'an sur {}",
                date(q.from),
                date(q.to),
                q.days,
                rate.replace('.', ","),
                money(q.base_minor)
            )
        } else {
            format!(
                "Late-payment interest on {number} from {} to {}: {} days at {rate} % a year on {}",
                date(q.from),
                date(q.to),
                q.days,
                money(q.base_minor)
            )
        });
    }
    if p.indemnity_minor > 0 {
        let amount = money(p.indemnity_minor);
        notes.push(if fr {
            format!("Indemnité forfaitaire pour frais de recouvrement : {amount}")
        } else {
            format!("Fixed recovery costs: {amount}")
        });
    }
    // An invoice Relance issues: numbered in the owner's yearly series, immutable, its
    // Factur-X PDF and XML archived (those issued before as `N-INTk` stay as they were).
    let uk = terms.jurisdiction == Jurisdiction::UnitedKingdom;
    let line = |label: String, minor: i64| crate::invoices::issue::Line {
        label,
        net_minor: minor,
        category: Some("O".into()),
        ..Default::default()
    };
    let mut lines = Vec::new();
    if p.interest_minor > 0 {
        lines.push(line(
            match (fr, uk) {
                (true, _) => format!("Intérêts de retard sur la facture {number}"),
                (false, true) => format!("Statutory interest on invoice {number}"),
                (false, false) => format!("Late-payment interest on invoice {number}"),
            },
            p.interest_minor,
        ));
    }
    if p.indemnity_minor > 0 {
        lines.push(line(
            match (fr, uk) {
                (true, _) => "Indemnité forfaitaire pour frais de recouvrement".to_string(),
                (false, true) => "Fixed sum for the cost of recovering the debt".to_string(),
                (false, false) => "Fixed recovery costs".to_string(),
            },
            p.indemnity_minor,
        ));
    }
    let (id, issued) = crate::invoices::issue::issue(
        &tx,
        &crate::invoices::issue::ToIssue {
            customer_id: source.customer_id,
            issue_date: as_of,
            due_date: as_of,
            currency: p.currency,
            lines,
            notes: notes.join("\n"),
            reference: String::new(),
            delivery_date: None,
            exchange_rate_e6: None,
            operation: None,
            delivery_address: None,
        },
    )?;
    tx.execute(
        "INSERT INTO penalty_charges (source_invoice_id, penalty_invoice_id, through_date, interest_minor, indemnity_minor)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        crate::store::sql::params![source.id, id, as_of.to_string(), p.interest_minor, p.indemnity_minor],
    )?;
    // Archived once it is a penalty invoice (its PDF says so).
    crate::invoices::issue::finish(&tx, id, &issued)?;
    tx.commit()?;
    crate::invoices::get(db, id, as_of)
}

/// [`of_invoice`] as JSON and the UI show it: decimal strings, warnings in `lang`.
pub fn for_invoice(
    conn: &Connection,
    number: &str,
    as_of: NaiveDate,
    demand_date: Option<NaiveDate>,
    lang: crate::error::Lang,
) -> Result<PenaltiesView> {
    let (number, terms, p) = of_invoice(conn, number, as_of, demand_date)?;
    let currency = p.currency;
    let jurisdiction = terms.jurisdiction;

    let warnings: Vec<String> = p.warnings.iter().map(|w| w.text(lang)).collect();
    Ok(PenaltiesView {
        invoice: number,
        currency: currency.code().to_string(),
        jurisdiction,
        debtor: terms.debtor,
        interest: currency.minor_to_string(p.interest_minor),
        indemnity: currency.minor_to_string(p.indemnity_minor),
        total: currency.minor_to_string(p.total_minor()),
        rate_warning: warnings.first().cloned(),
        warnings,
        periods: p
            .periods
            .iter()
            .map(|x| PeriodView {
                from: x.from,
                to: x.to,
                days: x.days,
                rate: x.rate.normalize().to_string(),
                base: currency.minor_to_string(x.base_minor),
                amount: x
                    .amount
                    .round_dp_with_strategy(
                        currency.digits() + 2,
                        RoundingStrategy::MidpointAwayFromZero,
                    )
                    .to_string(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::RateChange;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn claim(currency: &str, total: &str, due: &str, paid: &[(&str, &str)]) -> Claim {
        let c = Currency::parse(currency).unwrap();
        let minor = |s: &str| c.to_minor(s.parse().unwrap(), "t").unwrap();
        Claim {
            currency: c,
            total_minor: minor(total),
            due_date: d(due),
            reductions: paid.iter().map(|(on, a)| (d(on), minor(a))).collect(),
            charged_through: None,
            indemnity_charged: false,
        }
    }

    fn business(j: Jurisdiction) -> Terms {
        Terms {
            jurisdiction: j,
            debtor: Debtor::Business,
            contract_rate: None,
            demand_date: None,
        }
    }

    fn run(c: &Claim, t: &Terms, as_of: &str) -> Penalties {
        compute(c, t, &RateTable::shipped(), d(as_of)).unwrap()
    }

    fn figures(p: &Penalties) -> (String, String) {
        (
            p.currency.minor_to_string(p.interest_minor),
            p.currency.minor_to_string(p.indemnity_minor),
        )
    }

    /// 1,000 € due 31 March 2026, 30 days late: ECB on 1 January 2026 is 2.15 %, so
    /// 12.15 %: 1000 × 12.15 % × 30 / 365 = 9.9863… → 9.99 €, plus 40 €.
    #[test]
    fn france_business_thirty_days() {
        let p = run(
            &claim("EUR", "1000", "2026-03-31", &[]),
            &business(Jurisdiction::France),
            "2026-04-30",
        );
        assert_eq!(figures(&p), ("9.99".into(), "40.00".into()));
        assert_eq!(p.total_minor(), 4999);
        assert_eq!(p.periods.len(), 1);
        let q = &p.periods[0];
        assert_eq!(
            (q.from, q.to, q.days, q.rate.to_string()),
            (d("2026-04-01"), d("2026-04-30"), 30, "12.15".into())
        );
        // The last ECB decision shipped is 2025-06-11, but the table was checked to the end
        // of February 2026: no warning before the end of August 2026, then one that dates
        // from the check and names the series in words.
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let later = run(
            &claim("EUR", "1000", "2026-03-31", &[]),
            &business(Jurisdiction::France),
            "2026-09-01",
        );
        assert_eq!(
            later.warnings,
            [Warning::StaleRate {
                series: Series::EcbMro,
                last: d("2026-02-28"),
            }]
        );
        let text = later.warnings[0].text(crate::error::Lang::Fr);
        assert!(
            text.contains("taux directeur de la BCE") && text.contains("28/02/2026"),
            "{text}"
        );
    }

    /// Straddling 1 July 2025: June at ECB(1 Jan 2025) 3.15 + 10, the ECB cut of 11 June
    /// changes nothing before July; July at ECB(1 July) 2.15 + 10.
    /// 1000 × 13.15 % × 10/365 + 1000 × 12.15 % × 10/365 = 2530/365 = 6.9315… → 6.93.
    #[test]
    fn a_period_straddling_the_first_of_july() {
        let p = run(
            &claim("EUR", "1000", "2025-06-20", &[]),
            &business(Jurisdiction::France),
            "2025-07-10",
        );
        assert_eq!(figures(&p).0, "6.93");
        let rates: Vec<(i64, String)> = p
            .periods
            .iter()
            .map(|q| (q.days, q.rate.to_string()))
            .collect();
        assert_eq!(rates, [(10, "13.15".into()), (10, "12.15".into())]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    /// 1,000 € due 31 March 2026 paid in full on 10 April, given back by the bank on 20
    /// April: interest for 1–10 April, none for 11–20 April, again from 21 April to 30 April.
    /// 1000 × 12.15 % × (10 + 10)/365 = 2430/365 = 6.6575… → 6.66.
    #[test]
    fn a_payment_given_back_reopens_the_interest_the_day_after() {
        let mut c = claim("EUR", "1000", "2026-03-31", &[("2026-04-10", "1000")]);
        c.reductions.push((d("2026-04-20"), -100_000));
        let p = run(&c, &business(Jurisdiction::France), "2026-04-30");
        assert_eq!(figures(&p).0, "6.66");
        let spans: Vec<(NaiveDate, NaiveDate)> = p.periods.iter().map(|q| (q.from, q.to)).collect();
        assert_eq!(
            spans,
            [
                (d("2026-04-01"), d("2026-04-10")),
                (d("2026-04-21"), d("2026-04-30"))
            ]
        );
        // Paid again on 25 April: the second period stops there.
        c.reductions.push((d("2026-04-25"), 100_000));
        let p = run(&c, &business(Jurisdiction::France), "2026-04-30");
        assert_eq!(p.periods.last().map(|q| q.to), Some(d("2026-04-25")));
    }

    /// 400 € paid on 10 April lowers the base from 11 April:
    /// 1000 × 12.15 % × 10/365 + 600 × 12.15 % × 20/365 = 2673/365 = 7.3233 → 7.32.
    #[test]
    fn a_partial_payment_mid_period() {
        let c = claim("EUR", "1000", "2026-03-31", &[("2026-04-10", "400")]);
        let p = run(&c, &business(Jurisdiction::France), "2026-04-30");
        assert_eq!(figures(&p).0, "7.32");
        let bases: Vec<(NaiveDate, i64, i64)> = p
            .periods
            .iter()
            .map(|q| (q.from, q.days, q.base_minor))
            .collect();
        assert_eq!(
            bases,
            [
                (d("2026-04-01"), 10, 100_000),
                (d("2026-04-11"), 20, 60_000)
            ]
        );
    }

    /// Paid in full on 15 April: interest to that day only (15 days: 4.99), whatever the as-of.
    #[test]
    fn paid_late_in_full_stops_on_the_payment_day() {
        let c = claim("EUR", "1000", "2026-03-31", &[("2026-04-15", "1000")]);
        let p = run(&c, &business(Jurisdiction::France), "2026-06-01");
        assert_eq!(figures(&p), ("4.99".into(), "40.00".into()));
        assert_eq!(p.periods.last().unwrap().to, d("2026-04-15"));
        // Paid on the due date: not late, nothing at all.
        let on_time = claim("EUR", "1000", "2026-03-31", &[("2026-03-31", "1000")]);
        let p = run(&on_time, &business(Jurisdiction::France), "2026-06-01");
        assert_eq!(figures(&p), ("0.00".into(), "0.00".into()));
    }

    /// Another EU country: ECB + 8. 1000 × 10.15 % × 30/365 = 8.3425 → 8.34, plus 40 €.
    #[test]
    fn european_union_business() {
        let p = run(
            &claim("EUR", "1000", "2026-03-31", &[]),
            &business(Jurisdiction::EuropeanUnion),
            "2026-04-30",
        );
        assert_eq!(figures(&p), ("8.34".into(), "40.00".into()));
    }

    /// UK: 8 % + Bank Rate on 31 December (3.75 % since 18 Dec 2025) for January–June:
    /// £1,000 × 11.75 % × 30/365 = 9.6575 → 9.66. For July–December the rate on 30 June:
    /// 4.25 % in 2025 even after the cut of 7 August: £1,000 × 12.25 % × 10/365 → 3.36.
    #[test]
    fn united_kingdom_rates_and_bands() {
        let uk = business(Jurisdiction::UnitedKingdom);
        let p = run(&claim("GBP", "1000", "2026-01-31", &[]), &uk, "2026-03-02");
        assert_eq!(figures(&p), ("9.66".into(), "70.00".into()));
        let p = run(&claim("GBP", "1000", "2025-07-31", &[]), &uk, "2025-08-10");
        assert_eq!(figures(&p).0, "3.36");
        assert_eq!(p.periods[0].rate.to_string(), "12.25");
        for (debt, fixed) in [
            ("999.99", "40.00"),
            ("1000.00", "70.00"),
            ("9999.99", "70.00"),
            ("10000.00", "100.00"),
        ] {
            let p = run(&claim("GBP", debt, "2026-01-31", &[]), &uk, "2026-02-01");
            assert_eq!(figures(&p).1, fixed, "{debt}");
        }
        // A sterling rule on a euro invoice: no fixed sum, and a warning says why.
        let p = run(&claim("EUR", "1000", "2026-01-31", &[]), &uk, "2026-02-01");
        assert_eq!(p.indemnity_minor, 0);
        assert!(p
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::IndemnityCurrency { .. })));
    }

    /// A private individual: no indemnity; the legal rate of the half-year (entered: 6.67 %)
    /// from the day after the formal demand of 15 April: 1000 × 6.67 % × 15/365 = 2.7411 → 2.74.
    #[test]
    fn private_individual_from_the_formal_demand() {
        let mut changes = RateTable::shipped().changes().to_vec();
        changes.push(RateChange {
            series: Series::FrLegalProfessional,
            effective: d("2026-01-01"),
            rate: "6.67".parse().unwrap(),
            entered: true,
        });
        let table = RateTable::from_changes(changes);
        let mut t = Terms {
            jurisdiction: Jurisdiction::France,
            debtor: Debtor::Individual,
            contract_rate: None,
            demand_date: Some(d("2026-04-15")),
        };
        let c = claim("EUR", "1000", "2026-03-31", &[]);
        let p = compute(&c, &t, &table, d("2026-04-30")).unwrap();
        assert_eq!(figures(&p), ("2.74".into(), "0.00".into()));
        assert_eq!(p.periods[0].from, d("2026-04-16"));
        t.demand_date = None;
        let p = compute(&c, &t, &table, d("2026-04-30")).unwrap();
        assert_eq!(p.total_minor(), 0);
        assert_eq!(p.warnings, [Warning::NoDemandYet]);
        // Without the half-year's legal rate: refused, naming what to enter (in words, not
        // by its code).
        t.demand_date = Some(d("2026-04-15"));
        let e = compute(&c, &t, &RateTable::shipped(), d("2026-04-30")).unwrap_err();
        let said = e.message(crate::error::Lang::Fr);
        assert!(
            said.contains("taux légal — autres cas") && !said.contains("fr_legal"),
            "{said}"
        );
    }

    /// The owner's terms of sale: 15 % → 1000 × 15 % × 30/365 = 12.3288 → 12.33.
    /// Rounding happens once, half away from zero: 0.05 € for a year at 10 % is 0.005 → 0.01.
    #[test]
    fn contract_rate_and_rounding() {
        let mut t = business(Jurisdiction::France);
        t.contract_rate = Some("15".parse().unwrap());
        let p = run(&claim("EUR", "1000", "2026-03-31", &[]), &t, "2026-04-30");
        assert_eq!(figures(&p).0, "12.33");
        assert!(
            p.warnings.is_empty(),
            "a contract rate needs no reference rate"
        );
        t.contract_rate = Some("10".parse().unwrap());
        let p = run(&claim("EUR", "0.05", "2025-03-31", &[]), &t, "2026-03-31");
        assert_eq!(p.periods[0].days, 365);
        assert_eq!(figures(&p).0, "0.01");
    }

    #[test]
    fn no_rate_before_the_table_is_refused() {
        let c = claim("EUR", "1000", "2015-06-30", &[]);
        let e = compute(
            &c,
            &business(Jurisdiction::France),
            &RateTable::shipped(),
            d("2015-07-10"),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    msg: Msg::NoRateFor { .. },
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn jurisdictions_follow_the_owners_country() {
        assert_eq!(Jurisdiction::of_country("fr"), Some(Jurisdiction::France));
        assert_eq!(
            Jurisdiction::of_country("DE"),
            Some(Jurisdiction::EuropeanUnion)
        );
        assert_eq!(
            Jurisdiction::of_country("GB"),
            Some(Jurisdiction::UnitedKingdom)
        );
        assert_eq!(Jurisdiction::of_country("CH"), None);
    }

    /// The penalty invoice: 1,000 € due 31 March, invoiced on 30 April: 9.99 € interest +
    /// 40 € indemnity = 49.99 €, due on receipt. A month later only May's interest is new
    /// (1000 × 12.15 % × 30/365 = 9.99 €) and no second indemnity; the same day again has
    /// nothing to charge; a penalty invoice bears no interest itself.
    #[test]
    fn penalties_are_invoiced_once_for_each_day() {
        let mut conn = crate::test_support::setup_issuer();
        let d0 = d("2026-03-01");
        crate::invoices::create(
            &conn,
            &crate::test_support::inv("F-1", "ACME", "2026-03-01", "2026-03-31", "1000"),
            d0,
        )
        .unwrap();
        let lang = crate::error::Lang::Fr;
        let first = invoice_penalties(&mut conn, "F-1", d("2026-04-30")).unwrap();
        assert_eq!(
            (first.number.as_str(), first.total.as_str()),
            ("F2026-0001", "49.99")
        );
        assert_eq!(first.due_date, d("2026-04-30"));
        assert!(
            first.notes.contains(
                "du 01/04/2026 au 30/04/2026 : 30 j à 12,15 % l'an sur 1\u{202f}000,00\u{a0}€"
            ),
            "{}",
            first.notes
        );
        assert!(first.notes.contains("Indemnité forfaitaire"));
        let later = for_invoice(&conn, "F-1", d("2026-05-30"), None, lang).unwrap();
        assert_eq!(
            (later.interest.as_str(), later.indemnity.as_str()),
            ("9.99", "0.00")
        );
        assert_eq!(later.periods[0].from, d("2026-05-01"));
        let second = invoice_penalties(&mut conn, "F-1", d("2026-05-30")).unwrap();
        assert_eq!(
            (second.number.as_str(), second.total.as_str()),
            ("F2026-0002", "9.99")
        );
        let again = invoice_penalties(&mut conn, "F-1", d("2026-05-30")).unwrap_err();
        assert!(
            matches!(
                again,
                Error::Invalid {
                    msg: Msg::NothingToCharge,
                    ..
                }
            ),
            "{again}"
        );
        let on_penalty = for_invoice(&conn, "F2026-0001", d("2026-06-30"), None, lang).unwrap_err();
        assert!(matches!(
            on_penalty,
            Error::Invalid {
                msg: Msg::PenaltyOnPenalty,
                ..
            }
        ));
        // The penalty invoices are ordinary open invoices: dunning follows them.
        let agenda = crate::dunning::agenda(&conn, d("2026-06-30")).unwrap();
        assert!(
            agenda
                .iter()
                .any(|a| a.invoices.iter().any(|n| n == "F2026-0001")),
            "{agenda:?}"
        );
    }

    /// A penalty invoice is issued outside the scope of VAT (category O, no rate): a credit
    /// note on it takes the same category; a line typed with a VAT rate is refused.
    #[test]
    fn a_penalty_invoice_is_outside_the_scope_of_vat() {
        let (mut conn, int1) = f1_with_int1();
        let lines = crate::invoices::issue::lines(&conn, int1.id).unwrap();
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.category(), l.net_minor, l.vat_minor))
                .collect::<Vec<_>>(),
            [("O", 999, 0), ("O", 4000, 0)]
        );
        let credit = |rate: &str| crate::invoices::credit_documents::CreditNoteIssueInput {
            invoice: "F2026-0001".into(),
            lines: vec![crate::invoices::drafts::DraftLineInput {
                description: "Geste".into(),
                unit_price: "10".into(),
                vat_rate: rate.into(),
                ..Default::default()
            }],
            reason: String::new(),
        };
        let tx = conn.transaction().unwrap();
        let e = crate::invoices::credit_documents::issue_in(&tx, &credit("20"), d("2026-05-02"))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    msg: Msg::VatNotCharged(crate::error::VatCase::OutsideScope),
                    ..
                }
            ),
            "{e:?}"
        );
        let (id, _) =
            crate::invoices::credit_documents::issue_in(&tx, &credit(""), d("2026-05-02")).unwrap();
        let l = crate::invoices::credit_documents::lines(&tx, id).unwrap();
        assert_eq!((l[0].category(), l[0].vat_minor), ("O", 0));
    }

    /// 1,000 € due 31 March, and its penalty invoice made on 30 April (49.99 €).
    fn f1_with_int1() -> (Connection, crate::invoices::InvoiceView) {
        let mut conn = crate::test_support::setup_issuer();
        crate::invoices::create(
            &conn,
            &crate::test_support::inv("F-1", "ACME", "2026-03-01", "2026-03-31", "1000"),
            d("2026-03-01"),
        )
        .unwrap();
        let int1 = invoice_penalties(&mut conn, "F-1", d("2026-04-30")).unwrap();
        (conn, int1)
    }

    /// A payment recorded after a penalty invoice, dated before the end of the period it
    /// charges, leaves it overcharged: 1,000 € due 31 March, INT1 on 30 April charges 30 days
    /// (9.99 €) + 40 €; a payment of the whole dated 10 April, recorded later, leaves 10 days
    /// owed (1000 × 12.15 % × 10/365 = 3.33 €) + 40 €. The 6.66 € overcharged is shown and
    /// one credit note on INT1 removes it; with no new fact nothing is ever flagged.
    #[test]
    fn a_later_backdated_payment_leaves_a_penalty_invoice_overcharged_until_corrected() {
        let (mut conn, int1) = f1_with_int1();
        assert_eq!(int1.total, "49.99");
        assert_eq!(overcharges(&conn).unwrap(), vec![]);
        let nothing = correct_overcharge(&mut conn, "F-1", d("2026-05-05")).unwrap_err();
        assert!(
            matches!(
                nothing,
                Error::Invalid {
                    msg: Msg::NothingToCorrect(_),
                    ..
                }
            ),
            "{nothing}"
        );
        crate::invoices::payments::record(
            &mut conn,
            &crate::invoices::payments::PaymentInput {
                customer: "ACME".into(),
                date: "2026-04-10".into(),
                amount: "1000".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let o = overcharge(&conn, int1.id).unwrap().expect("overcharged");
        assert_eq!(
            (
                o.invoice.as_str(),
                o.charged.as_str(),
                o.owed.as_str(),
                o.excess.as_str()
            ),
            ("F-1", "49.99", "43.33", "6.66")
        );
        assert_eq!((o.correctable.as_str(), o.paid.as_str()), ("6.66", "0.00"));
        assert_eq!(o.penalty_invoices, vec!["F2026-0001".to_string()]);
        assert_eq!(overcharges(&conn).unwrap(), vec![o]);
        let notes = correct_overcharge(&mut conn, "F2026-0001", d("2026-05-05")).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            (
                notes[0].number.as_str(),
                notes[0].invoice_number.as_str(),
                notes[0].amount.as_str()
            ),
            ("A2026-0001", "F2026-0001", "6.66")
        );
        assert!(notes[0]
            .reason
            .contains("Correction des pénalités de retard de F-1"));
        // The issued penalty invoice is corrected by a credit note issued as a document:
        // one line outside the scope of VAT, its Factur-X PDF and XML archived.
        let d = crate::invoices::credit_documents::by_number(&conn, "A2026-0001").unwrap();
        assert_eq!((d.total_minor, d.vat_minor), (666, 0));
        let lines = crate::invoices::credit_documents::lines(&conn, d.id).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].category(), lines[0].net_minor), ("O", 666));
        assert_eq!(lines[0].label, "Correction des pénalités de retard de F-1");
        let archived: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM credit_note_archives WHERE credit_note_id = ?1",
                [d.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(archived, 1);
        assert_eq!(overcharges(&conn).unwrap(), vec![]);
        assert_eq!(overcharge(&conn, int1.id).unwrap(), None);
    }

    /// An overcharge already paid cannot be credited: the refusal names the amount to refund.
    #[test]
    fn a_paid_overcharge_is_to_refund() {
        let (mut conn, _) = f1_with_int1();
        let pay = |conn: &mut Connection, date: &str, invoice: &str, amount: &str| {
            crate::invoices::payments::record(
                conn,
                &crate::invoices::payments::PaymentInput {
                    customer: "ACME".into(),
                    date: date.into(),
                    amount: amount.into(),
                    allocations: vec![crate::invoices::payments::AllocationInput {
                        invoice: invoice.into(),
                        amount: amount.into(),
                    }],
                    ..Default::default()
                },
            )
            .unwrap();
        };
        pay(&mut conn, "2026-05-02", "F2026-0001", "49.99");
        assert_eq!(overcharges(&conn).unwrap(), vec![], "INT1 paid as charged");
        // Then the bank statement shows F-1 was paid on 10 April.
        pay(&mut conn, "2026-04-10", "F-1", "1000");
        let o = overcharges(&conn).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(
            (
                o[0].excess.as_str(),
                o[0].correctable.as_str(),
                o[0].paid.as_str()
            ),
            ("6.66", "0.00", "6.66")
        );
        let refused = correct_overcharge(&mut conn, "F-1", d("2026-05-05")).unwrap_err();
        assert!(
            matches!(&refused, Error::Invalid { msg: Msg::OverchargePaid { amount }, .. } if amount.contains("6.66")),
            "{refused}"
        );
        assert_eq!(
            conn.query_row("SELECT COUNT(*) FROM credit_notes", [], |r| r
                .get::<_, i64>(0))
                .unwrap(),
            0
        );
    }

    /// A contract rate below three times the French legal rate for professionals is warned
    /// about (L441-10); at or above it, and with no legal rate entered, nothing is said.
    #[test]
    fn a_contract_rate_below_three_times_the_legal_rate_is_warned_about() {
        let mut changes = RateTable::shipped().changes().to_vec();
        changes.push(RateChange {
            series: Series::FrLegalProfessional,
            effective: d("2026-01-01"),
            rate: "3.0".parse().unwrap(),
            entered: true,
        });
        let table = RateTable::from_changes(changes);
        let c = claim("EUR", "1000", "2026-03-31", &[]);
        let mut t = business(Jurisdiction::France);
        t.contract_rate = Some("5".parse().unwrap());
        let p = compute(&c, &t, &table, d("2026-04-30")).unwrap();
        assert!(
            matches!(&p.warnings[..], [Warning::ContractRateBelowMinimum { minimum, .. }] if minimum.to_string() == "9"),
            "{:?}",
            p.warnings
        );
        assert!(p.warnings[0]
            .text(crate::error::Lang::Fr)
            .contains("L441-10"));
        t.contract_rate = Some("9".parse().unwrap());
        assert!(compute(&c, &t, &table, d("2026-04-30"))
            .unwrap()
            .warnings
            .is_empty());
        t.contract_rate = Some("5".parse().unwrap());
        assert!(compute(&c, &t, &RateTable::shipped(), d("2026-04-30"))
            .unwrap()
            .warnings
            .is_empty());
    }
}
