//! An e-invoice as read from its XML, whatever the syntax, and the EN 16931 arithmetic it
//! must satisfy before Relance believes its figures.

use super::{fault, Fault};
use crate::error::Result;
use crate::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Cii,
    Ubl,
}

/// A party (seller BG-4 or buyer BG-7) as the file names it.
#[derive(Debug, Clone, Default)]
pub struct Party {
    pub name: String,
    /// Identifiers (BT-29, BT-46) with their scheme ("0002" SIREN, "0009" SIRET, "" none).
    pub ids: Vec<(String, String)>,
    /// Legal registration identifier (BT-30, BT-47) with its scheme.
    pub legal_id: Option<(String, String)>,
    /// VAT identifier (BT-31, BT-48).
    pub vat: String,
    /// Tax registration other than VAT (BT-32).
    pub tax_id: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub email: String,
}

impl Party {
    /// The French SIREN the party is identified by, if any: a legal or plain identifier
    /// under scheme 0002 (SIREN) or 0009 (SIRET, whose first nine digits are the SIREN),
    /// else the one inside a French VAT number (FRkk + SIREN).
    pub fn siren(&self) -> Option<String> {
        let digits = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
        let of_scheme = |scheme: &str, id: &str| -> Option<String> {
            let id = digits(id);
            let all_digits = id.bytes().all(|b| b.is_ascii_digit());
            match scheme {
                "0002" if id.len() == 9 && all_digits => Some(id),
                "0009" if id.len() == 14 && all_digits => Some(id[..9].to_string()),
                _ => None,
            }
        };
        self.legal_id
            .iter()
            .chain(self.ids.iter())
            .find_map(|(scheme, id)| of_scheme(scheme, id))
            .or_else(|| {
                let vat = digits(&self.vat).to_ascii_uppercase();
                vat.strip_prefix("FR")
                    .and_then(|r| r.get(2..))
                    .filter(|s| s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string)
            })
    }

    /// The VAT number compacted and upper-cased ("" when none).
    pub fn vat_key(&self) -> String {
        self.vat
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    pub name: String,
    pub quantity: Option<Decimal>,
    pub unit: String,
    pub price: Option<Decimal>,
    /// BT-131, the line's net (after its own allowances and charges).
    pub net: Decimal,
    pub category: String,
    pub rate: Option<Decimal>,
}

/// A document-level allowance (BG-20) or charge (BG-21).
#[derive(Debug, Clone)]
pub struct Charge {
    pub charge: bool,
    pub amount: Decimal,
    pub category: String,
    pub rate: Option<Decimal>,
}

/// One row of the VAT breakdown (BG-23).
#[derive(Debug, Clone)]
pub struct VatBreak {
    pub category: String,
    pub rate: Option<Decimal>,
    pub basis: Decimal,
    pub amount: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub syntax: Syntax,
    pub type_code: String,
    /// A credit note (UBL `CreditNote`, or a credit-note type code).
    pub credit: bool,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub terms: String,
    pub currency: String,
    pub buyer_reference: String,
    pub order_reference: String,
    pub payment_reference: String,
    /// BT-25: the invoices a credit note corrects.
    pub preceding: Vec<String>,
    pub seller: Party,
    pub buyer: Party,
    pub delivery_date: Option<NaiveDate>,
    pub notes: Vec<String>,
    pub lines: Vec<Line>,
    pub charges: Vec<Charge>,
    pub vat: Vec<VatBreak>,
    pub line_total: Decimal,
    pub allowance_total: Option<Decimal>,
    pub charge_total: Option<Decimal>,
    pub tax_basis: Decimal,
    pub tax_total: Option<Decimal>,
    pub grand_total: Decimal,
    pub prepaid: Option<Decimal>,
    pub rounding: Option<Decimal>,
    pub due: Decimal,
}

/// EN 16931 invoice type codes (UNTDID 1001 subset) read as invoices, and as credit notes.
const INVOICE_CODES: &[&str] = &[
    "71", "80", "82", "84", "102", "130", "202", "203", "204", "211", "218", "219", "295", "325",
    "326", "331", "380", "382", "383", "384", "385", "386", "387", "388", "389", "390", "393",
    "394", "395", "456", "457", "527", "575", "623", "633", "751", "780", "817", "870", "875",
    "876", "877", "935",
];
const CREDIT_CODES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

pub fn is_credit_code(code: &str) -> bool {
    CREDIT_CODES.contains(&code.trim())
}

/// A line of the document in minor units, as kept for display.
#[derive(Debug, Clone)]
pub struct CheckedLine {
    pub label: String,
    pub net_minor: i64,
    pub vat_rate_e4: i64,
    pub category: String,
    pub quantity_e4: Option<i64>,
    pub unit: String,
    pub price_minor: Option<i64>,
}

/// The figures Relance keeps, in the document's currency's minor units, once checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub currency: Currency,
    /// BT-109, BT-110, BT-112, BT-113, BT-115.
    pub net_minor: i64,
    pub vat_minor: i64,
    pub total_minor: i64,
    pub prepaid_minor: i64,
    pub due_minor: i64,
    pub lines: Vec<CheckedLine>,
    /// The breakdown (category, rate × 10,000, basis, VAT) in minor units.
    pub vat: Vec<(String, i64, i64, i64)>,
}

fn minor(currency: Currency, field: &'static str, d: Decimal) -> Result<i64> {
    currency.to_minor(d, field).map_err(|_| {
        fault(Fault::NotMoney {
            field,
            value: d.to_string(),
            currency: currency.code().to_string(),
        })
    })
}

fn rate_e4(field: &'static str, d: Option<Decimal>) -> Result<i64> {
    let d = d.unwrap_or_default();
    let bad = || {
        fault(Fault::BadAmount {
            field,
            value: d.to_string(),
        })
    };
    // Checked before scaling: the parser bounds a rate to 0–100, this says so again.
    if d < Decimal::ZERO || d > Decimal::from(100) {
        return Err(bad());
    }
    let scaled = d * Decimal::from(10_000);
    if scaled.fract() != Decimal::ZERO {
        return Err(bad());
    }
    i64::try_from(scaled.trunc()).map_err(|_| bad())
}

/// The EN 16931 rule of a VAT category's basis ("08") or amount ("09"): BR-S-08, BR-AE-09…
fn rule(category: &str, n: &str) -> String {
    match category {
        "S" | "Z" | "E" | "AE" | "K" | "G" | "O" | "L" | "M" => format!("BR-{category}-{n}"),
        _ => "BR-CO-17".to_string(),
    }
}

fn quantity_e4(d: Decimal) -> Option<i64> {
    let scaled = d.checked_mul(Decimal::from(10_000))?.round();
    i64::try_from(scaled).ok()
}

impl Doc {
    /// Checks the figures as EN 16931 requires (BR-CO-10 to BR-CO-16 and the VAT of each
    /// breakdown row, to the rule's tolerance) and returns them in minor units. What does
    /// not add up is refused, saying which rule and by how much.
    pub fn check(&self) -> Result<Checked> {
        if self.currency.is_empty() {
            return Err(fault(Fault::Missing("BT-5")));
        }
        let currency = Currency::parse(&self.currency).map_err(|_| {
            fault(Fault::UnknownCurrency(
                self.currency.chars().take(10).collect(),
            ))
        })?;
        if self.number.trim().is_empty() {
            return Err(fault(Fault::Missing("BT-1")));
        }
        if self.lines.is_empty() {
            return Err(fault(Fault::NoLines));
        }
        if !(INVOICE_CODES.contains(&self.type_code.as_str()) || self.credit) {
            return Err(fault(Fault::UnsupportedType(
                self.type_code.chars().take(10).collect(),
            )));
        }
        let m = |field, d| minor(currency, field, d);
        let add_up = |rule: &str, expected: Decimal, found: Decimal| -> Result<()> {
            if expected == found {
                Ok(())
            } else {
                Err(fault(Fault::DoesNotAddUp {
                    rule: rule.to_string(),
                    expected: expected.to_string(),
                    found: found.to_string(),
                }))
            }
        };
        let lines_sum: Decimal = self.lines.iter().map(|l| l.net).sum();
        add_up("BR-CO-10", lines_sum, self.line_total)?;
        let allowances: Decimal = self
            .charges
            .iter()
            .filter(|c| !c.charge)
            .map(|c| c.amount)
            .sum();
        let charges: Decimal = self
            .charges
            .iter()
            .filter(|c| c.charge)
            .map(|c| c.amount)
            .sum();
        if let Some(a) = self.allowance_total {
            add_up("BR-CO-11", allowances, a)?;
        } else if allowances != Decimal::ZERO {
            return Err(fault(Fault::Missing("BT-107")));
        }
        if let Some(c) = self.charge_total {
            add_up("BR-CO-12", charges, c)?;
        } else if charges != Decimal::ZERO {
            return Err(fault(Fault::Missing("BT-108")));
        }
        add_up(
            "BR-CO-13",
            self.line_total - allowances + charges,
            self.tax_basis,
        )?;
        let vat_sum: Decimal = self.vat.iter().map(|v| v.amount).sum();
        let tax_total = self.tax_total.unwrap_or_default();
        add_up("BR-CO-14", vat_sum, tax_total)?;
        add_up("BR-CO-15", self.tax_basis + tax_total, self.grand_total)?;
        let prepaid = self.prepaid.unwrap_or_default();
        let rounding = self.rounding.unwrap_or_default();
        add_up("BR-CO-16", self.grand_total - prepaid + rounding, self.due)?;
        if self.vat.is_empty() {
            return Err(fault(Fault::Missing("BG-23")));
        }
        // Each breakdown row: its basis is the nets of its category and rate (BR-S-08 and
        // siblings), its VAT the basis at the rate, within the rule's one-unit tolerance.
        let key = |cat: &str, rate: Option<Decimal>| {
            (cat.to_string(), rate.unwrap_or_default().normalize())
        };
        let mut vat = Vec::new();
        for b in &self.vat {
            let k = key(&b.category, b.rate);
            let basis: Decimal = self
                .lines
                .iter()
                .filter(|l| key(&l.category, l.rate) == k)
                .map(|l| l.net)
                .chain(
                    self.charges
                        .iter()
                        .filter(|c| key(&c.category, c.rate) == k)
                        .map(|c| if c.charge { c.amount } else { -c.amount }),
                )
                .sum();
            add_up(&rule(&b.category, "08"), basis, b.basis)?;
            let rate = b.rate.unwrap_or_default();
            let computed = b
                .basis
                .checked_mul(rate)
                .map(|x| x / Decimal::from(100))
                .ok_or_else(|| {
                    fault(Fault::BadAmount {
                        field: "BT-116",
                        value: b.basis.to_string(),
                    })
                })?
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            // Standard and reduced rates: the VAT to the rule's one-unit tolerance; the
            // exempt, reverse-charge, export and out-of-scope categories: exactly none.
            let tolerance = if matches!(b.category.as_str(), "S" | "L" | "M") {
                Decimal::ONE
            } else {
                Decimal::ZERO
            };
            if (computed - b.amount).abs() > tolerance {
                return Err(fault(Fault::DoesNotAddUp {
                    rule: rule(&b.category, "09"),
                    expected: computed.to_string(),
                    found: b.amount.to_string(),
                }));
            }
            vat.push((
                b.category.clone(),
                rate_e4("BT-119", b.rate)?,
                m("BT-116", b.basis)?,
                m("BT-117", b.amount)?,
            ));
        }
        for l in &self.lines {
            let k = key(&l.category, l.rate);
            if !self.vat.iter().any(|b| key(&b.category, b.rate) == k) {
                return Err(fault(Fault::LineWithoutBreakdown {
                    category: l.category.chars().take(4).collect(),
                    rate: l.rate.unwrap_or_default().normalize().to_string(),
                }));
            }
        }
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(CheckedLine {
                    label: if l.name.is_empty() {
                        format!("{} {}", "#", i + 1)
                    } else {
                        l.name.chars().take(500).collect()
                    },
                    net_minor: m("BT-131", l.net)?,
                    vat_rate_e4: rate_e4("BT-152", l.rate)?,
                    category: l.category.chars().take(4).collect(),
                    quantity_e4: l.quantity.and_then(quantity_e4),
                    unit: l.unit.chars().take(3).collect(),
                    price_minor: l.price.and_then(|p| {
                        let scaled = p.checked_mul(Decimal::from(10i64.pow(currency.digits())))?;
                        i64::try_from(scaled.round()).ok()
                    }),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Checked {
            currency,
            net_minor: m("BT-109", self.tax_basis)?,
            vat_minor: m("BT-110", tax_total)?,
            total_minor: m("BT-112", self.grand_total)?,
            prepaid_minor: m("BT-113", prepaid)?,
            due_minor: m("BT-115", self.due)?,
            lines,
            vat,
        })
    }
}
