//! Invoices written in Relance (issue 21): a draft for a customer (lines with a quantity, a
//! unit, a unit price excluding tax, a VAT rate and an optional discount; notes; the delivery
//! date), editable and deletable, then **issued**: dated that day, numbered from the yearly
//! sequence ([`super::issue`]), immutable, and dunned like any invoice; the draft goes in
//! the same transaction.
//!
//! The figures follow EN 16931: a line's net is quantity × unit price rounded to the cent,
//! less its discount (rounded to the cent); the VAT is computed **once per rate** on the sum
//! of the line nets of that rate (BR-CO-17), each rounded half away from zero; the per-line
//! VAT the PDF shows is that sum spread over the lines by largest remainder, so the lines
//! add up to the breakdown exactly. [`compute`] is a pure function tests check by hand.
//!
//! VAT cases: the owner's `vat_regime` setting (`franchise`: no VAT on any invoice, category
//! E, "TVA non applicable, art. 293 B du CGI"), else per draft a reverse charge for goods
//! (K) or services (AE) to a business elsewhere in the EU (its VAT number required), an
//! export outside the EU (G), or VAT at the lines' rates (S). A 0 % rate outside those cases
//! is refused: the invoice must say why no VAT is charged.

use super::issue::{self, LineDetail};
use crate::error::{Error, Msg, Result, VatCase};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The UN/ECE Recommendation 20 units offered (the refusal lists them).
pub const UNITS: [&str; 16] = [
    "C62", "H87", "HUR", "DAY", "WEE", "MON", "ANN", "MIN", "KGM", "MTR", "MTK", "MTQ", "LTR",
    "KMT", "LS", "E48",
];

/// The most lines one invoice may have.
pub const MAX_LINES: usize = 500;

/// A line as typed: every value a string.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DraftLineInput {
    pub description: String,
    /// Empty: 1.
    pub quantity: String,
    /// UN/ECE code; empty: C62 ("one").
    pub unit: String,
    /// Excluding tax, in the invoice's currency.
    pub unit_price: String,
    /// Percent ("20", "5,5"); empty: 0 (only where no VAT is charged).
    pub vat_rate: String,
    /// Percent taken off the line; empty: none.
    pub discount: String,
}

/// The draft form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DraftInput {
    /// The customer's reference.
    pub customer: String,
    /// Empty: the company's default currency.
    pub currency: String,
    /// Empty: the issue date.
    pub delivery_date: String,
    pub notes: String,
    /// "" (VAT at the lines' rates), "reverse_charge_goods", "reverse_charge_services" or
    /// "export".
    pub vat_exemption: String,
    pub lines: Vec<DraftLineInput>,
    /// An invoice in another currency than the euro by a French owner: euros for one unit
    /// of it ("1.165"), to state the VAT in euros. Empty: none.
    #[serde(default)]
    pub exchange_rate: String,
    /// What the invoice bills: "services" (the default when empty), "goods" or "mixed".
    #[serde(default)]
    pub operation: String,
    /// Where the goods were delivered or the service done, when not at the customer's
    /// address: all empty for none; else street, postal code and city (the country: the
    /// customer's when empty).
    #[serde(default)]
    pub delivery_address: issue::DeliveryAddress,
    /// Percent taken off the whole invoice ("remise globale": every rate's lines alike);
    /// empty: none.
    #[serde(default)]
    pub discount: String,
}

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLine {
    pub description: String,
    pub quantity_e4: i64,
    pub unit: String,
    pub price_minor: i64,
    pub vat_rate_e4: i64,
    /// Percent × 10,000.
    pub discount_e4: i64,
}

/// One group of the VAT breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub category: &'static str,
    pub rate_e4: i64,
    pub basis: i64,
    pub vat: i64,
}

/// The discount on the whole invoice for one VAT category and rate (EN 16931 BG-20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub category: &'static str,
    pub rate_e4: i64,
    /// The rate's line nets the percent applies to (BT-93).
    pub basis: i64,
    /// What it takes off (BT-92, positive).
    pub amount: i64,
    /// Its share of the rate's VAT (negative or zero): the lines' shares and this add up to
    /// the rate's VAT.
    pub vat: i64,
}

/// What the lines come to (minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// Per line: quantity × price rounded, the discount, the net, its share of the VAT.
    pub gross: Vec<i64>,
    pub discounts: Vec<i64>,
    pub nets: Vec<i64>,
    pub vats: Vec<i64>,
    pub categories: Vec<&'static str>,
    pub groups: Vec<Group>,
    /// The discount on the whole invoice, one per group, in the groups' order (empty when
    /// none).
    pub allowances: Vec<Allowance>,
    /// Its percent × 10,000.
    pub discount_e4: i64,
    /// The lines' nets before that discount (BT-106).
    pub lines_net: i64,
    /// After it (BT-109).
    pub net: i64,
    pub vat: i64,
    pub total: i64,
}

/// `n / d` rounded half away from zero.
fn round_div(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// The EN 16931 category of every line under `case` (None: VAT at the lines' rates).
pub fn category(case: Option<VatCase>) -> &'static str {
    match case {
        None => "S",
        Some(VatCase::Franchise) => "E",
        Some(VatCase::ReverseChargeGoods) => "K",
        Some(VatCase::ReverseChargeServices) => "AE",
        Some(VatCase::Export) => "G",
        Some(VatCase::OutsideScope) => "O",
    }
}

/// The lines' figures (see the module's rounding rules). Errors only on an overflow.
pub fn compute(lines: &[CheckedLine], case: Option<VatCase>) -> Result<Computed> {
    compute_with(lines, case, 0)
}

/// The lines' figures with a discount on the whole invoice of `discount_e4` (percent ×
/// 10,000): per VAT category and rate, that percent of the rate's line nets rounded half
/// away from zero comes off its basis before the rate's VAT is computed (BR-CO-17 on the
/// basis after the allowance, BR-S-08), and that VAT is spread over the lines and the
/// allowance alike.
pub fn compute_with(
    lines: &[CheckedLine],
    case: Option<VatCase>,
    discount_e4: i64,
) -> Result<Computed> {
    let cat = category(case);
    let mut gross = Vec::with_capacity(lines.len());
    let mut discounts = Vec::with_capacity(lines.len());
    let mut nets = Vec::with_capacity(lines.len());
    let too_large = || Error::invalid("lines", Msg::AmountTooLarge(String::new()));
    for l in lines {
        let g = round_div(
            i128::from(l.quantity_e4) * i128::from(l.price_minor),
            10_000,
        );
        let d = round_div(g * i128::from(l.discount_e4), 1_000_000);
        gross.push(i64::try_from(g).map_err(|_| too_large())?);
        discounts.push(i64::try_from(d).map_err(|_| too_large())?);
        nets.push(i64::try_from(g - d).map_err(|_| too_large())?);
    }
    let mut groups: Vec<Group> = Vec::new();
    for (l, net) in lines.iter().zip(&nets) {
        let rate = if cat == "S" { l.vat_rate_e4 } else { 0 };
        match groups.iter_mut().find(|g| g.rate_e4 == rate) {
            Some(g) => g.basis = crate::money::checked_total([g.basis, *net])?,
            None => groups.push(Group {
                category: cat,
                rate_e4: rate,
                basis: *net,
                vat: 0,
            }),
        }
    }
    let lines_net = crate::money::checked_total(nets.iter().copied())?;
    let mut allowances: Vec<Allowance> = Vec::new();
    if discount_e4 > 0 {
        for g in &mut groups {
            let amount = i64::try_from(round_div(
                i128::from(g.basis) * i128::from(discount_e4),
                1_000_000,
            ))
            .map_err(|_| too_large())?;
            // A rate whose lines come to a few cents may get nothing off: no line for it.
            if amount == 0 {
                continue;
            }
            allowances.push(Allowance {
                category: g.category,
                rate_e4: g.rate_e4,
                basis: g.basis,
                amount,
                vat: 0,
            });
            g.basis -= amount;
        }
    }
    for g in &mut groups {
        g.vat = i64::try_from(round_div(
            i128::from(g.basis) * i128::from(g.rate_e4),
            1_000_000,
        ))
        .map_err(|_| too_large())?;
    }
    // Each group's VAT spread over its lines (and its allowance, a negative member after
    // them) by largest remainder, in proportion to nets.
    let mut shares: Vec<i64> = nets.clone();
    shares.extend(allowances.iter().map(|a| -a.amount));
    let rate_of = |i: usize| {
        if i < lines.len() {
            if cat == "S" {
                lines[i].vat_rate_e4
            } else {
                0
            }
        } else {
            allowances[i - lines.len()].rate_e4
        }
    };
    let mut vats = vec![0i64; shares.len()];
    for g in &groups {
        let members: Vec<usize> = (0..shares.len())
            .filter(|&i| rate_of(i) == g.rate_e4)
            .collect();
        if g.basis == 0 {
            continue;
        }
        let exact: Vec<(i128, i128)> = members
            .iter()
            .map(|&i| {
                let n = i128::from(g.vat) * i128::from(shares[i]);
                (
                    n.div_euclid(i128::from(g.basis)),
                    n.rem_euclid(i128::from(g.basis)),
                )
            })
            .collect();
        let mut left = i128::from(g.vat) - exact.iter().map(|(q, _)| q).sum::<i128>();
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
        for (k, &i) in members.iter().enumerate() {
            vats[i] = exact[k].0 as i64;
        }
        for k in order {
            if left <= 0 {
                break;
            }
            vats[members[k]] += 1;
            left -= 1;
        }
    }
    for (k, a) in allowances.iter_mut().enumerate() {
        a.vat = vats[lines.len() + k];
    }
    vats.truncate(lines.len());
    let net = crate::money::checked_total([
        lines_net,
        -crate::money::checked_total(allowances.iter().map(|a| a.amount))?,
    ])?;
    let vat = crate::money::checked_total(groups.iter().map(|g| g.vat))?;
    Ok(Computed {
        gross,
        discounts,
        categories: vec![cat; lines.len()],
        nets,
        vats,
        groups,
        allowances,
        discount_e4,
        lines_net,
        net,
        vat,
        total: crate::money::checked_total([net, vat])?,
    })
}

/// The legal mention an invoice without VAT carries (printed under the lines and given as
/// the exemption reason of its e-invoice), in the customer's language.
pub fn exemption_mention(case: VatCase, fr: bool) -> &'static str {
    match (case, fr) {
        (VatCase::Franchise, true) => "TVA non applicable, art. 293 B du CGI",
        (VatCase::Franchise, false) => "VAT not applicable, art. 293 B of the French tax code (CGI)",
        (VatCase::ReverseChargeGoods, true) => {
            "Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire)"
        }
        (VatCase::ReverseChargeGoods, false) => {
            "VAT exempt: intra-Community supply of goods (art. 138 of Directive 2006/112/EC)"
        }
        (VatCase::ReverseChargeServices, true) => "Autoliquidation (article 283-2 du CGI)",
        (VatCase::ReverseChargeServices, false) => {
            "Reverse charge: VAT to be accounted for by the customer (art. 196 of Directive 2006/112/EC)"
        }
        (VatCase::Export, true) => "Exonération de TVA, article 262 I du CGI (exportation)",
        (VatCase::Export, false) => {
            "VAT exempt: export outside the EU (art. 146 of Directive 2006/112/EC)"
        }
        (VatCase::OutsideScope, true) => {
            "Non soumis à la TVA (intérêts de retard et indemnité forfaitaire)"
        }
        (VatCase::OutsideScope, false) => {
            "Not subject to VAT (late-payment interest and recovery costs)"
        }
    }
}

/// The EN 16931 exemption reason code (VATEX) of a case.
pub fn exemption_code(case: VatCase) -> &'static str {
    match case {
        VatCase::Franchise => "VATEX-FR-FRANCHISE",
        VatCase::ReverseChargeGoods => "VATEX-EU-IC",
        VatCase::ReverseChargeServices => "VATEX-EU-AE",
        VatCase::Export => "VATEX-EU-G",
        VatCase::OutsideScope => "VATEX-EU-O",
    }
}

fn parse_case(field: &str, s: &str) -> Result<Option<VatCase>> {
    Ok(match s.trim().replace('-', "_").as_str() {
        "" | "none" => None,
        "reverse_charge_goods" => Some(VatCase::ReverseChargeGoods),
        "reverse_charge_services" => Some(VatCase::ReverseChargeServices),
        "export" => Some(VatCase::Export),
        _ => {
            return Err(Error::invalid(
                field,
                Msg::OneOf(vec![
                    "reverse-charge-goods",
                    "reverse-charge-services",
                    "export",
                ]),
            ))
        }
    })
}

fn case_text(case: Option<VatCase>) -> &'static str {
    match case {
        Some(VatCase::ReverseChargeGoods) => "reverse_charge_goods",
        Some(VatCase::ReverseChargeServices) => "reverse_charge_services",
        Some(VatCase::Export) => "export",
        _ => "",
    }
}

/// A decimal typed with at most 4 decimals, × 10,000.
fn e4(d: rust_decimal::Decimal) -> Option<i64> {
    let d = d.normalize();
    (d.scale() <= 4)
        .then(|| (d * rust_decimal::Decimal::from(10_000)).trunc())
        .and_then(|x| i64::try_from(x).ok())
}

/// Checks one typed line (`at` is its index, for the field names the form shows errors by).
pub fn check_line(
    l: &DraftLineInput,
    at: usize,
    currency: Currency,
    case: Option<VatCase>,
) -> Result<CheckedLine> {
    let field = |name: &str| format!("lines[{at}].{name}");
    let description = v::printable(
        &field("description"),
        v::required_line(&field("description"), &l.description, 300)?,
    )?;
    let quantity_e4 = match l.quantity.trim() {
        "" => 10_000,
        q => {
            let bad = || Error::invalid(field("quantity"), Msg::BadQuantity(q.to_string()));
            let d = crate::money::parse_amount(q, &field("quantity")).map_err(|_| bad())?;
            match e4(d) {
                Some(n) if n > 0 && n <= 1_000_000 * 10_000 => n,
                _ => return Err(bad()),
            }
        }
    };
    let unit = match l.unit.trim().to_ascii_uppercase().as_str() {
        "" => "C62".to_string(),
        u if UNITS.contains(&u) => u.to_string(),
        u => return Err(Error::invalid(field("unit"), Msg::UnknownUnit(u.into()))),
    };
    let price = currency.parse_amount(&l.unit_price, &field("unit_price"))?;
    if price.is_sign_negative() {
        return Err(Error::invalid(field("unit_price"), Msg::Negative));
    }
    let price_minor = currency.to_minor(price, &field("unit_price"))?;
    let vat_rate_e4 = match l.vat_rate.trim() {
        "" => 0,
        r => e4(v::rate(&field("vat_rate"), r)?).unwrap_or_default(),
    };
    match case {
        Some(c) if vat_rate_e4 > 0 => {
            return Err(Error::invalid(field("vat_rate"), Msg::VatNotCharged(c)))
        }
        None if vat_rate_e4 == 0 => {
            return Err(Error::invalid(
                field("vat_rate"),
                Msg::ZeroRateNeedsExemption,
            ))
        }
        _ => {}
    }
    let discount_e4 = match l.discount.trim() {
        "" => 0,
        d => e4(v::rate(&field("discount"), d)?).unwrap_or_default(),
    };
    Ok(CheckedLine {
        description,
        quantity_e4,
        unit,
        price_minor,
        vat_rate_e4,
        discount_e4,
    })
}

/// A checked draft, ready to store or to compute.
#[derive(Debug, Clone)]
pub struct CheckedDraft {
    pub customer_id: i64,
    pub currency: Currency,
    pub delivery_date: Option<NaiveDate>,
    pub notes: String,
    /// The draft's own case (the franchise is the owner's setting, not stored per draft).
    pub exemption: Option<VatCase>,
    pub lines: Vec<CheckedLine>,
    /// Euros for one unit of the currency, × 1,000,000.
    pub exchange_rate_e6: Option<i64>,
    /// "goods", "services" or "mixed".
    pub operation: &'static str,
    pub delivery_address: Option<issue::DeliveryAddress>,
    /// The discount on the whole invoice, percent × 10,000 (0: none).
    pub discount_e4: i64,
}

/// The category of the operation as typed ("" is services).
fn operation(typed: &str) -> Result<&'static str> {
    match typed.trim().to_ascii_lowercase().as_str() {
        "" | "services" | "service" => Ok("services"),
        "goods" | "biens" => Ok("goods"),
        "mixed" | "mixte" => Ok("mixed"),
        _ => Err(Error::invalid(
            "operation",
            Msg::OneOf(vec!["services", "goods", "mixed"]),
        )),
    }
}

/// The operation's mention on the invoice, in the customer's language.
pub fn operation_mention(op: &str, fr: bool) -> &'static str {
    match (op, fr) {
        ("goods", true) => "Livraison de biens",
        ("goods", false) => "Supply of goods",
        ("mixed", true) => "Livraison de biens et prestation de services",
        ("mixed", false) => "Supply of goods and services",
        (_, true) => "Prestation de services",
        (_, false) => "Supply of services",
    }
}

/// The exchange rate as typed: a positive decimal with at most 6 decimals, below 1,000,000.
pub(crate) fn exchange_rate(currency: Currency, typed: &str) -> Result<Option<i64>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if currency == Currency::EUR {
        return Err(Error::invalid("exchange_rate", Msg::ExchangeRateNotNeeded));
    }
    let bad = || Error::invalid("exchange_rate", Msg::BadExchangeRate(typed.to_string()));
    // A rate, not an amount: "1,165" and "1.165" are both 1.165 (no thousands separator).
    let d: rust_decimal::Decimal = typed.replace(',', ".").parse().map_err(|_| bad())?;
    let d = d.normalize();
    // Bounded before scaling (a huge number typed must not overflow).
    if d.scale() > 6
        || d <= rust_decimal::Decimal::ZERO
        || d >= rust_decimal::Decimal::from(1_000_000)
    {
        return Err(bad());
    }
    let e6 = (d * rust_decimal::Decimal::from(1_000_000)).trunc();
    match i64::try_from(e6) {
        Ok(n) if n < 1_000_000 * 1_000_000 => Ok(Some(n)),
        _ => Err(bad()),
    }
}

/// An exchange rate (euros for one unit, × 1,000,000) as typed back: "1.165".
pub(crate) fn exchange_rate_text(rate_e6: i64) -> String {
    rust_decimal::Decimal::new(rate_e6, 6)
        .normalize()
        .to_string()
}

/// `vat` (minor units of `currency`) in euro cents at `rate_e6`, half away from zero.
pub fn vat_in_euros(vat: i64, currency: Currency, rate_e6: i64) -> i64 {
    round_div(
        i128::from(vat) * i128::from(rate_e6) * 100,
        1_000_000 * 10i128.pow(currency.digits()),
    ) as i64
}

/// The case the lines are computed under: the owner's franchise, else the draft's.
fn effective_case(conn: &Connection, exemption: Option<VatCase>) -> Result<Option<VatCase>> {
    if crate::settings::get(conn)?.vat_regime == "franchise" {
        return Ok(Some(VatCase::Franchise));
    }
    Ok(exemption)
}

/// Checks a typed draft (every field; a draft may have no line yet).
pub fn check(conn: &Connection, input: &DraftInput) -> Result<CheckedDraft> {
    let customer_id = crate::customers::id_by_ref(conn, "customer", &input.customer)?;
    let currency = if input.currency.trim().is_empty() {
        crate::settings::default_currency(conn)?
    } else {
        Currency::parse(&input.currency)
            .map_err(|_| Error::invalid("currency", Msg::UnknownCurrency(input.currency.clone())))?
    };
    // EN 16931 amounts have at most two decimals (BR-DEC): a dinar invoice cannot be one.
    if currency.digits() > 2 {
        return Err(Error::invalid(
            "currency",
            Msg::CurrencyNotForEinvoice(currency.code().to_string()),
        ));
    }
    let delivery_date = match input.delivery_date.trim() {
        "" => None,
        d => Some(v::parse_date("delivery_date", d)?),
    };
    let notes = v::printable("notes", v::multiline("notes", &input.notes, 2000)?)?;
    let exemption = parse_case("vat_exemption", &input.vat_exemption)?;
    let case = effective_case(conn, exemption)?;
    if input.lines.len() > MAX_LINES {
        return Err(Error::invalid("lines", Msg::TooLong(MAX_LINES)));
    }
    let lines = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| check_line(l, i, currency, case))
        .collect::<Result<Vec<_>>>()?;
    let discount_e4 = match input.discount.trim() {
        "" => 0,
        d => e4(v::rate("discount", d)?).unwrap_or_default(),
    };
    if discount_e4 >= 1_000_000 {
        return Err(Error::invalid("discount", Msg::DiscountWholeInvoice));
    }
    compute_with(&lines, case, discount_e4)?;
    Ok(CheckedDraft {
        customer_id,
        currency,
        delivery_date,
        notes,
        exemption,
        lines,
        exchange_rate_e6: exchange_rate(currency, &input.exchange_rate)?,
        operation: operation(&input.operation)?,
        delivery_address: delivery_address(&input.delivery_address)?,
        discount_e4,
    })
}

/// A line as the form and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftLineView {
    pub description: String,
    /// "1", "2.5".
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    /// "20", "5.5".
    pub vat_rate: String,
    /// "10" (percent) or "" (none).
    pub discount: String,
    /// What the discount takes off, "" when none.
    pub discount_amount: String,
    pub net: String,
    pub vat: String,
    pub category: String,
}

/// One group of the VAT breakdown as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VatGroupView {
    pub category: String,
    pub rate: String,
    pub basis: String,
    pub vat: String,
}

/// The discount on the whole invoice for one VAT rate, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AllowanceView {
    pub category: String,
    /// The VAT rate it applies to ("20").
    pub rate: String,
    /// The percent ("5").
    pub percent: String,
    /// The rate's line nets it is taken from.
    pub basis: String,
    /// What it takes off (positive).
    pub amount: String,
}

/// The totals as the owner types (computed by the engine, never in the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftTotals {
    pub currency: String,
    pub lines: Vec<DraftLineView>,
    /// The lines' nets before the discount on the whole invoice.
    pub lines_net: String,
    /// That discount, one per VAT rate (empty: none).
    pub allowances: Vec<AllowanceView>,
    pub groups: Vec<VatGroupView>,
    pub net: String,
    pub vat: String,
    pub total: String,
    /// The mention printed when no VAT is charged ("TVA non applicable, art. 293 B du CGI").
    pub mention: String,
    /// The VAT in euros at the exchange rate typed ("" when none).
    #[serde(default)]
    pub vat_eur: String,
}

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftView {
    #[ts(type = "number")]
    pub id: i64,
    pub customer_reference: String,
    pub customer_name: String,
    pub delivery_date: Option<NaiveDate>,
    pub notes: String,
    pub vat_exemption: String,
    /// The discount on the whole invoice ("5", "" when none).
    pub discount: String,
    pub totals: DraftTotals,
    pub updated_at: String,
}

fn rate_shown(e4: i64) -> String {
    issue::rate_text(e4)
}

fn quantity_shown(e4: i64) -> String {
    rust_decimal::Decimal::new(e4, 4).normalize().to_string()
}

/// The totals of checked lines under `case`, shown in `currency` (`fr`: the mention's
/// language), with the VAT in euros at `rate_e6` when given.
pub fn totals(
    lines: &[CheckedLine],
    currency: Currency,
    case: Option<VatCase>,
    fr: bool,
    rate_e6: Option<i64>,
    discount_e4: i64,
) -> Result<DraftTotals> {
    let c = compute_with(lines, case, discount_e4)?;
    let m = |x: i64| currency.minor_to_string(x);
    Ok(DraftTotals {
        currency: currency.code().to_string(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, l)| DraftLineView {
                description: l.description.clone(),
                quantity: quantity_shown(l.quantity_e4),
                unit: l.unit.clone(),
                unit_price: m(l.price_minor),
                vat_rate: rate_shown(if c.categories[i] == "S" {
                    l.vat_rate_e4
                } else {
                    0
                }),
                discount: if l.discount_e4 == 0 {
                    String::new()
                } else {
                    rate_shown(l.discount_e4)
                },
                discount_amount: if c.discounts[i] == 0 {
                    String::new()
                } else {
                    m(c.discounts[i])
                },
                net: m(c.nets[i]),
                vat: m(c.vats[i]),
                category: c.categories[i].to_string(),
            })
            .collect(),
        lines_net: m(c.lines_net),
        allowances: c
            .allowances
            .iter()
            .map(|a| AllowanceView {
                category: a.category.to_string(),
                rate: rate_shown(a.rate_e4),
                percent: rate_shown(discount_e4),
                basis: m(a.basis),
                amount: m(a.amount),
            })
            .collect(),
        groups: c
            .groups
            .iter()
            .map(|g| VatGroupView {
                category: g.category.to_string(),
                rate: rate_shown(g.rate_e4),
                basis: m(g.basis),
                vat: m(g.vat),
            })
            .collect(),
        net: m(c.net),
        vat: m(c.vat),
        total: m(c.total),
        mention: case
            .map(|k| exemption_mention(k, fr).to_string())
            .unwrap_or_default(),
        vat_eur: rate_e6
            .map(|r| Currency::EUR.minor_to_string(vat_in_euros(c.vat, currency, r)))
            .unwrap_or_default(),
    })
}

/// The totals of a typed draft, without saving it (the form calls it as the owner types).
pub fn preview(conn: &Connection, input: &DraftInput) -> Result<DraftTotals> {
    let d = check(conn, input)?;
    let fr = crate::customers::get(conn, d.customer_id)?.language == crate::error::Lang::Fr;
    totals(
        &d.lines,
        d.currency,
        effective_case(conn, d.exemption)?,
        fr,
        d.exchange_rate_e6,
        d.discount_e4,
    )
}

fn write_lines(conn: &Connection, id: i64, lines: &[CheckedLine]) -> Result<()> {
    conn.execute("DELETE FROM invoice_draft_lines WHERE draft_id = ?1", [id])?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO invoice_draft_lines (draft_id, position, description, quantity_e4, unit,
            price_minor, vat_rate_e4, discount_e4) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, l) in lines.iter().enumerate() {
        ins.execute(params![
            id,
            i as i64 + 1,
            l.description,
            l.quantity_e4,
            l.unit,
            l.price_minor,
            l.vat_rate_e4,
            l.discount_e4
        ])?;
    }
    Ok(())
}

/// The delivery address as typed: none when every field is empty; else the street, postal
/// code and city are required and a country given must be an ISO 3166 one. An empty
/// country is kept empty on the draft: Issue takes the customer's then (else the owner's),
/// so a draft whose customer changes follows it.
fn delivery_address(a: &issue::DeliveryAddress) -> Result<Option<issue::DeliveryAddress>> {
    if [&a.street, &a.postal_code, &a.city, &a.country]
        .iter()
        .all(|f| f.trim().is_empty())
    {
        return Ok(None);
    }
    let street = v::printable(
        "delivery_address.street",
        v::multiline("delivery_address.street", &a.street, 200)?,
    )?;
    // Two lines at most (an address line's own room): what follows joins the second.
    let lines: Vec<&str> = street
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let street = match lines.as_slice() {
        [] => return Err(Error::invalid("delivery_address.street", Msg::Required)),
        [one] => one.to_string(),
        [one, rest @ ..] => format!("{one}\n{}", rest.join(", ")),
    };
    let postal_code = v::printable(
        "delivery_address.postal_code",
        v::required_line("delivery_address.postal_code", &a.postal_code, 20)?,
    )?;
    let city = v::printable(
        "delivery_address.city",
        v::required_line("delivery_address.city", &a.city, 80)?,
    )?;
    let country = v::country("delivery_address.country", &a.country)?;
    Ok(Some(issue::DeliveryAddress {
        street,
        postal_code,
        city,
        country,
    }))
}

/// The delivery address columns of a draft (street, postal code, city, country).
fn address_columns(d: &CheckedDraft) -> [Option<&str>; 4] {
    match &d.delivery_address {
        Some(a) => [
            Some(a.street.as_str()),
            Some(a.postal_code.as_str()),
            Some(a.city.as_str()),
            Some(a.country.as_str()),
        ],
        None => [None; 4],
    }
}

/// Saves a new draft.
pub fn create(conn: &mut Connection, input: &DraftInput) -> Result<DraftView> {
    let d = check(conn, input)?;
    let tx = conn.transaction()?;
    let id = tx.insert(
        "INSERT INTO invoice_drafts (customer_id, currency, delivery_date, notes, vat_exemption,
            exchange_rate_e6, operation, delivery_street, delivery_postal_code, delivery_city,
            delivery_country, discount_e4)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            d.customer_id,
            d.currency.code(),
            d.delivery_date.map(|x| x.to_string()),
            d.notes,
            case_text(d.exemption),
            d.exchange_rate_e6,
            d.operation,
            address_columns(&d)[0],
            address_columns(&d)[1],
            address_columns(&d)[2],
            address_columns(&d)[3],
            d.discount_e4,
        ],
    )?;
    write_lines(&tx, id, &d.lines)?;
    tx.commit()?;
    get(conn, id)
}

fn refuse_unknown(conn: &Connection, id: i64) -> Result<()> {
    if exists(conn, id)? {
        Ok(())
    } else {
        Err(Error::NotFound {
            what: "draft",
            key: id.to_string(),
        })
    }
}

/// Replaces a draft with the form as typed.
pub fn update(conn: &mut Connection, id: i64, input: &DraftInput) -> Result<DraftView> {
    refuse_unknown(conn, id)?;
    let d = check(conn, input)?;
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE invoice_drafts SET customer_id = ?2, currency = ?3, delivery_date = ?4, notes = ?5,
            vat_exemption = ?6, exchange_rate_e6 = ?7, operation = ?8, delivery_street = ?9,
            delivery_postal_code = ?10, delivery_city = ?11, delivery_country = ?12,
            discount_e4 = ?13, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?1",
        params![
            id,
            d.customer_id,
            d.currency.code(),
            d.delivery_date.map(|x| x.to_string()),
            d.notes,
            case_text(d.exemption),
            d.exchange_rate_e6,
            d.operation,
            address_columns(&d)[0],
            address_columns(&d)[1],
            address_columns(&d)[2],
            address_columns(&d)[3],
            d.discount_e4,
        ],
    )?;
    write_lines(&tx, id, &d.lines)?;
    tx.commit()?;
    get(conn, id)
}

/// Deletes a draft (nothing else refers to one).
pub fn delete(conn: &mut Connection, id: i64) -> Result<()> {
    refuse_unknown(conn, id)?;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM invoice_draft_lines WHERE draft_id = ?1", [id])?;
    tx.execute("DELETE FROM invoice_drafts WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(())
}

/// A draft as typed back (what an edit starts from).
pub fn input_of(conn: &Connection, id: i64) -> Result<DraftInput> {
    refuse_unknown(conn, id)?;
    type Typed = (
        String,
        String,
        Option<String>,
        String,
        String,
        Option<i64>,
        String,
        i64,
    );
    let (customer, currency, delivery, notes, exemption, rate, operation, discount): Typed = conn
        .query_row(
        "SELECT c.reference, d.currency, d.delivery_date, d.notes, d.vat_exemption,
                d.exchange_rate_e6, d.operation, d.discount_e4
         FROM invoice_drafts d JOIN customers c ON c.id = d.customer_id WHERE d.id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    let cur = Currency::parse(&currency)?;
    let lines = stored_lines(conn, id)?
        .into_iter()
        .map(|l| DraftLineInput {
            description: l.description,
            quantity: quantity_shown(l.quantity_e4),
            unit: l.unit,
            unit_price: cur.minor_to_string(l.price_minor),
            vat_rate: if l.vat_rate_e4 == 0 {
                String::new()
            } else {
                rate_shown(l.vat_rate_e4)
            },
            discount: if l.discount_e4 == 0 {
                String::new()
            } else {
                rate_shown(l.discount_e4)
            },
        })
        .collect();
    let delivery_address = conn.query_row(
        "SELECT delivery_street, delivery_postal_code, delivery_city, delivery_country
         FROM invoice_drafts WHERE id = ?1",
        [id],
        |r| {
            Ok(issue::DeliveryAddress {
                street: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                postal_code: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                city: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                country: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        },
    )?;
    Ok(DraftInput {
        customer,
        currency,
        delivery_date: delivery.unwrap_or_default(),
        notes,
        vat_exemption: exemption,
        lines,
        exchange_rate: rate.map(exchange_rate_text).unwrap_or_default(),
        operation,
        delivery_address,
        discount: if discount == 0 {
            String::new()
        } else {
            rate_shown(discount)
        },
    })
}

fn stored_lines(conn: &Connection, id: i64) -> Result<Vec<CheckedLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT description, quantity_e4, unit, price_minor, vat_rate_e4, discount_e4
         FROM invoice_draft_lines WHERE draft_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(CheckedLine {
            description: r.get(0)?,
            quantity_e4: r.get(1)?,
            unit: r.get(2)?,
            price_minor: r.get(3)?,
            vat_rate_e4: r.get(4)?,
            discount_e4: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// One draft with its totals.
pub fn get(conn: &Connection, id: i64) -> Result<DraftView> {
    refuse_unknown(conn, id)?;
    type Head = (
        i64,
        String,
        String,
        String,
        Option<NaiveDate>,
        String,
        String,
        String,
        Option<i64>,
        i64,
    );
    let (
        customer_id,
        reference,
        name,
        currency,
        delivery,
        notes,
        exemption,
        updated,
        rate,
        discount,
    ): Head = conn.query_row(
        "SELECT d.customer_id, c.reference, c.name, d.currency, d.delivery_date, d.notes,
                d.vat_exemption, d.updated_at, d.exchange_rate_e6, d.discount_e4
         FROM invoice_drafts d JOIN customers c ON c.id = d.customer_id WHERE d.id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        },
    )?;
    let lines = stored_lines(conn, id)?;
    let case = effective_case(conn, parse_case("vat_exemption", &exemption)?)?;
    let fr = crate::customers::get(conn, customer_id)?.language == crate::error::Lang::Fr;
    Ok(DraftView {
        id,
        customer_reference: reference,
        customer_name: name,
        delivery_date: delivery,
        notes,
        vat_exemption: exemption,
        discount: if discount == 0 {
            String::new()
        } else {
            rate_shown(discount)
        },
        totals: totals(
            &lines,
            Currency::parse(&currency)?,
            case,
            fr,
            rate,
            discount,
        )?,
        updated_at: updated,
    })
}

/// Every draft, the latest changed first.
pub fn list(conn: &Connection) -> Result<Vec<DraftView>> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM invoice_drafts ORDER BY updated_at DESC, id DESC")?
        .query_map([], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?;
    ids.into_iter().map(|id| get(conn, id)).collect()
}

/// Adds a line at the end of a draft.
pub fn add_line(conn: &mut Connection, id: i64, line: &DraftLineInput) -> Result<DraftView> {
    let mut input = input_of(conn, id)?;
    input.lines.push(line.clone());
    update(conn, id, &input)
}

/// Removes line `position` (from 1) of a draft.
pub fn remove_line(conn: &mut Connection, id: i64, position: usize) -> Result<DraftView> {
    let mut input = input_of(conn, id)?;
    if position == 0 || position > input.lines.len() {
        return Err(Error::invalid(
            "position",
            Msg::OutOfRange {
                min: 1,
                max: input.lines.len() as i64,
            },
        ));
    }
    input.lines.remove(position - 1);
    update(conn, id, &input)
}

/// A new draft with the lines of issued invoice `number` (for the same customer): lines
/// written in Relance keep their quantity, unit, price and discount; a contract's lines are
/// one unit at their net (its deductions are left out).
pub fn duplicate(conn: &mut Connection, number: &str) -> Result<DraftView> {
    let head = super::stored_by_number(conn, "invoice", number)?;
    if !issue::is_issued(conn, head.id)? {
        return Err(Error::invalid(
            "invoice",
            Msg::NotIssuedHere(head.number.clone()),
        ));
    }
    let cur = Currency::parse(&head.currency)?;
    let reference: String = conn.query_row(
        "SELECT reference FROM customers WHERE id = ?1",
        [head.customer_id],
        |r| r.get(0),
    )?;
    let issued = issue::lines(conn, head.id)?;
    let exemption = issued
        .iter()
        .find_map(|l| match l.category() {
            "K" => Some("reverse_charge_goods"),
            "AE" => Some("reverse_charge_services"),
            "G" => Some("export"),
            _ => None,
        })
        .unwrap_or_default()
        .to_string();
    // The discount on the whole invoice is the draft's again (its lines are left out).
    let discount = issued
        .iter()
        .find_map(|l| l.allowance_e4)
        .map(rate_shown)
        .unwrap_or_default();
    let lines = issued
        .into_iter()
        .filter(|l| l.net_minor >= 0 && l.allowance_e4.is_none())
        .map(|l| {
            let (quantity, unit, price, discount) = match &l.detail {
                Some(d) => {
                    let gross = round_div(
                        i128::from(d.price_minor) * i128::from(d.quantity_e4),
                        10_000,
                    );
                    let pct = if gross > 0 && d.discount_minor > 0 {
                        rate_shown(typed_percent(i128::from(d.discount_minor), gross))
                    } else {
                        String::new()
                    };
                    (
                        quantity_shown(d.quantity_e4),
                        d.unit.clone(),
                        cur.minor_to_string(d.price_minor),
                        pct,
                    )
                }
                None => (
                    "1".to_string(),
                    "C62".to_string(),
                    cur.minor_to_string(l.net_minor),
                    String::new(),
                ),
            };
            DraftLineInput {
                description: l.label,
                quantity,
                unit,
                unit_price: price,
                vat_rate: if l.vat_rate_e4 == 0 {
                    String::new()
                } else {
                    rate_shown(l.vat_rate_e4)
                },
                discount,
            }
        })
        .collect();
    create(
        conn,
        &DraftInput {
            customer: reference,
            currency: cur.code().to_string(),
            delivery_date: String::new(),
            notes: String::new(),
            vat_exemption: exemption,
            lines,
            // Today's rate is the owner's to enter again.
            exchange_rate: String::new(),
            operation: operation_of(conn, number)?,
            delivery_address: issue::delivery_address(conn, head.id)?.unwrap_or_default(),
            discount,
        },
    )
}

/// The percent (× 10,000) the owner most likely typed for a discount of `discount` on
/// `gross` (minor units): the one with the fewest decimals that gives that discount again
/// when [`compute`] rounds it (10 % of 49.98 is 5.00, not 10.004 %), else the nearest with
/// four decimals.
fn typed_percent(discount: i128, gross: i128) -> i64 {
    let mut nearest = 0;
    for step in [10_000i128, 1_000, 100, 10, 1] {
        let e4 = round_div(discount * 1_000_000, gross * step) * step;
        nearest = e4;
        if round_div(gross * e4, 1_000_000) == discount {
            return i64::try_from(e4).unwrap_or(0);
        }
    }
    i64::try_from(nearest).unwrap_or(0)
}

/// Issues draft `id` on `on` inside the caller's transaction: checks what an issued invoice
/// needs beyond the draft's own checks (a line, a positive total, the buyer's SIREN when a
/// French business, its VAT number and country for a reverse charge, a country outside the
/// EU for an export, the seller's mentions), then stores the invoice through
/// [`issue::issue`] and deletes the draft. Returns (invoice id, number).
pub fn issue_in(tx: &Connection, id: i64, on: NaiveDate) -> Result<(i64, String)> {
    let input = input_of(tx, id)?;
    let d = check(tx, &input)?;
    if d.lines.is_empty() {
        return Err(Error::invalid("lines", Msg::NoInvoiceLines));
    }
    let case = effective_case(tx, d.exemption)?;
    let c = compute_with(&d.lines, case, d.discount_e4)?;
    if c.total <= 0 {
        return Err(Error::invalid("total", Msg::NotPositive));
    }
    let customer = crate::customers::get(tx, d.customer_id)?;
    let settings = crate::settings::get(tx)?;
    let country = if customer.country.is_empty() {
        settings.country.clone()
    } else {
        customer.country.clone()
    };
    let business = customer.kind == crate::customers::CustomerKind::Business;
    if business && country == "FR" && customer.siren.is_empty() {
        return Err(Error::invalid(
            "customer",
            Msg::BuyerSirenRequired(customer.name.clone()),
        ));
    }
    match case {
        Some(VatCase::ReverseChargeGoods | VatCase::ReverseChargeServices) => {
            if customer.vat_number.is_empty() {
                return Err(Error::invalid(
                    "customer",
                    Msg::BuyerVatRequired(customer.name.clone()),
                ));
            }
            if !v::EU.contains(&country.as_str()) || country == settings.country {
                return Err(Error::invalid(
                    "vat_exemption",
                    Msg::ReverseChargeOutsideEu(country),
                ));
            }
        }
        Some(VatCase::Export) if v::EU.contains(&country.as_str()) => {
            return Err(Error::invalid(
                "vat_exemption",
                Msg::ExportInsideEu(country),
            ));
        }
        _ => {}
    }
    // Delivered elsewhere: where to, the country the customer's when none was typed; goods
    // under the intra-EU reverse charge go to another EU country, an export leaves the EU.
    let delivery_address = d.delivery_address.clone().map(|mut a| {
        if a.country.is_empty() {
            a.country = country.clone();
        }
        a
    });
    if let Some(a) = &delivery_address {
        match case {
            Some(VatCase::ReverseChargeGoods)
                if !v::EU.contains(&a.country.as_str()) || a.country == settings.country =>
            {
                return Err(Error::invalid(
                    "delivery_address.country",
                    Msg::ReverseChargeOutsideEu(a.country.clone()),
                ));
            }
            Some(VatCase::Export) if v::EU.contains(&a.country.as_str()) => {
                return Err(Error::invalid(
                    "delivery_address.country",
                    Msg::ExportInsideEu(a.country.clone()),
                ));
            }
            _ => {}
        }
    }
    // A French owner states the VAT of an invoice in another currency in euros too.
    let rate = if d.currency != Currency::EUR && settings.country == "FR" && c.vat != 0 {
        match d.exchange_rate_e6 {
            Some(r) => Some(r),
            None => {
                return Err(Error::invalid(
                    "exchange_rate",
                    Msg::ExchangeRateRequired(d.currency.code().to_string()),
                ))
            }
        }
    } else {
        None
    };
    let fr = customer.language == crate::error::Lang::Fr;
    let mut notes: Vec<String> = Vec::new();
    if let Some(k) = case {
        notes.push(exemption_mention(k, fr).to_string());
    }
    notes.extend(
        d.notes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string),
    );
    let terms = match customer.payment_terms_days {
        Some(t) => i64::from(t),
        None => settings.default_payment_terms_days,
    };
    let lines = issued_lines(&d.lines, &c, fr);
    let issued = issue::issue(
        tx,
        &issue::ToIssue {
            customer_id: d.customer_id,
            issue_date: on,
            due_date: on + chrono::Duration::days(terms),
            currency: d.currency,
            lines,
            notes: notes.join("\n"),
            reference: String::new(),
            delivery_date: Some(d.delivery_date.unwrap_or(on)),
            exchange_rate_e6: rate,
            operation: Some(d.operation),
            delivery_address,
        },
    )?;
    tx.execute("DELETE FROM invoice_draft_lines WHERE draft_id = ?1", [id])?;
    tx.execute("DELETE FROM invoice_drafts WHERE id = ?1", [id])?;
    issue::finish(tx, issued.0, &issued.1)?;
    Ok(issued)
}

/// The operation an issued invoice billed ("" when it says none).
fn operation_of(conn: &Connection, number: &str) -> Result<String> {
    Ok(conn
        .query_row(
            "SELECT operation FROM invoices WHERE number = ?1",
            [v::identifier_key(number)],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten()
        .unwrap_or_default())
}

/// The label of a discount on the whole invoice of `e4` (percent × 10,000).
pub fn allowance_label(e4: i64, fr: bool) -> String {
    if fr {
        format!(
            "Remise de {} % sur la facture",
            rate_shown(e4).replace('.', ",")
        )
    } else {
        format!("Discount of {} % on the invoice", rate_shown(e4))
    }
}

/// Checked lines as an issued document stores them, with the figures `c` computed for them:
/// the net, the VAT share, quantity, unit, price, discount and category of each; then the
/// discount on the whole invoice, a negative line per VAT rate labelled in the customer's
/// language (`fr`).
pub fn issued_lines(lines: &[CheckedLine], c: &Computed, fr: bool) -> Vec<issue::Line> {
    let allowances = c.allowances.iter().map(|a| issue::Line {
        label: allowance_label(c.discount_e4, fr),
        net_minor: -a.amount,
        vat_rate_e4: a.rate_e4,
        vat_minor: a.vat,
        detail: None,
        category: Some(a.category.to_string()),
        allowance_e4: Some(c.discount_e4),
    });
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| issue::Line {
            label: l.description.clone(),
            net_minor: c.nets[i],
            vat_rate_e4: if c.categories[i] == "S" {
                l.vat_rate_e4
            } else {
                0
            },
            vat_minor: c.vats[i],
            detail: Some(LineDetail {
                quantity_e4: l.quantity_e4,
                unit: l.unit.clone(),
                price_minor: l.price_minor,
                discount_minor: c.discounts[i],
            }),
            category: Some(c.categories[i].to_string()),
            allowance_e4: None,
        })
        .chain(allowances)
        .collect()
}

/// Whether draft `id` exists.
pub fn exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM invoice_drafts WHERE id = ?1", [id], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q: i64, price: i64, rate: i64, disc: i64) -> CheckedLine {
        CheckedLine {
            description: "x".into(),
            quantity_e4: q,
            unit: "C62".into(),
            price_minor: price,
            vat_rate_e4: rate,
            discount_e4: disc,
        }
    }

    /// Two rates on one invoice, by hand:
    /// - 3 h × 83.33 = 249.99 at 20 %; 2.5 × 19.99 = 49.975 → 49.98 at 20 %, less 10 %
    ///   (4.998 → 5.00) = 44.98; 1 × 12.35 at 5.5 %.
    /// - 20 %: basis 249.99 + 44.98 = 294.97, VAT 58.994 → 58.99 (not 50.00 + 9.00 = 59.00
    ///   line by line: BR-CO-17 rounds once per rate); 5.5 %: 12.35 → 0.67925 → 0.68.
    /// - Net 307.32, VAT 59.67, total 366.99.
    #[test]
    fn vat_is_rounded_once_per_rate_on_the_sum_of_the_nets() {
        let lines = [
            line(30_000, 8_333, 200_000, 0),
            line(25_000, 1_999, 200_000, 100_000),
            line(10_000, 1_235, 55_000, 0),
        ];
        let c = compute(&lines, None).unwrap();
        assert_eq!(c.gross, [24_999, 4_998, 1_235]);
        assert_eq!(c.discounts, [0, 500, 0]);
        assert_eq!(c.nets, [24_999, 4_498, 1_235]);
        assert_eq!(
            c.groups,
            [
                Group {
                    category: "S",
                    rate_e4: 200_000,
                    basis: 29_497,
                    vat: 5_899
                },
                Group {
                    category: "S",
                    rate_e4: 55_000,
                    basis: 1_235,
                    vat: 68
                }
            ]
        );
        // The per-line VAT adds up to each group's: 49.998 → 49.99 + 8.996 → 9.00 = 58.99.
        assert_eq!(c.vats, [4_999, 900, 68]);
        assert_eq!((c.net, c.vat, c.total), (30_732, 5_967, 36_699));
    }

    /// A duplicated line's discount is the percent typed, found back from its amount: 10 %
    /// of 49.98 is 4.998 → 5.00 (not 10.004 %), 12.5 % of 80.00 is 10.00, 33.33 % of
    /// 100.00 is 33.33; whatever the percent typed, the one found gives the same amount.
    #[test]
    fn a_discount_amount_gives_back_the_percent_typed() {
        assert_eq!(typed_percent(500, 4_998), 100_000);
        assert_eq!(typed_percent(1_000, 8_000), 125_000);
        assert_eq!(typed_percent(3_333, 10_000), 333_300);
        for gross in [1i128, 7, 99, 4_998, 12_345, 1_000_000] {
            for pct in (1..=10_000i64).step_by(37) {
                let e4 = pct * 100;
                let d = round_div(gross * i128::from(e4), 1_000_000);
                let back = typed_percent(d, gross);
                assert_eq!(
                    round_div(gross * i128::from(back), 1_000_000),
                    d,
                    "{pct} on {gross}"
                );
            }
        }
    }

    /// A 5 % discount on the whole invoice, by hand:
    /// - 20 %: lines 249.99, discount 12.4995 → 12.50, basis 237.49, VAT 47.498 → 47.50;
    /// - 5.5 %: lines 12.35, discount 0.6175 → 0.62, basis 11.73, VAT 0.645 15 → 0.65;
    /// - lines 262.34, discounts 13.12, net 249.22, VAT 48.15, total 297.37;
    /// - the 20 % VAT spread: 47.50 × 249.99 / 237.49 = 50.0001 → 50.00 on the line,
    ///   47.50 × −12.50 / 237.49 = −2.5001 → −2.50 on the discount (50.00 − 2.50 = 47.50).
    #[test]
    fn a_discount_on_the_whole_invoice_comes_off_each_rate_before_its_vat() {
        let lines = [
            line(30_000, 8_333, 200_000, 0),
            line(10_000, 1_235, 55_000, 0),
        ];
        let c = compute_with(&lines, None, 50_000).unwrap();
        assert_eq!(
            c.allowances,
            [
                Allowance {
                    category: "S",
                    rate_e4: 200_000,
                    basis: 24_999,
                    amount: 1_250,
                    vat: -250
                },
                Allowance {
                    category: "S",
                    rate_e4: 55_000,
                    basis: 1_235,
                    amount: 62,
                    vat: -3
                }
            ]
        );
        assert_eq!(
            c.groups
                .iter()
                .map(|g| (g.basis, g.vat))
                .collect::<Vec<_>>(),
            [(23_749, 4_750), (1_173, 65)]
        );
        assert_eq!(c.vats, [5_000, 68]);
        assert_eq!(
            (c.lines_net, c.net, c.vat, c.total),
            (26_234, 24_922, 4_815, 29_737)
        );
        // The issued lines: two lines, then one negative line per rate; they add up.
        let issued = issued_lines(&lines, &c, true);
        assert_eq!(issued.len(), 4);
        assert_eq!(issued[2].label, "Remise de 5 % sur la facture");
        assert_eq!(
            (
                issued[2].net_minor,
                issued[2].vat_minor,
                issued[2].allowance_e4
            ),
            (-1_250, -250, Some(50_000))
        );
        assert_eq!(issued.iter().map(|l| l.net_minor).sum::<i64>(), c.net);
        assert_eq!(issued.iter().map(|l| l.vat_minor).sum::<i64>(), c.vat);
        // No discount: the figures of `compute`, no allowance.
        assert_eq!(
            compute_with(&lines, None, 0).unwrap(),
            compute(&lines, None).unwrap()
        );
        assert!(compute(&lines, None).unwrap().allowances.is_empty());
        // Without VAT (franchise en base): one allowance at 0 %, no VAT.
        let c = compute_with(&lines, Some(VatCase::Franchise), 100_000).unwrap();
        assert_eq!(c.allowances.len(), 1);
        assert_eq!(
            (c.allowances[0].category, c.allowances[0].amount),
            ("E", 2_623)
        );
        assert_eq!((c.net, c.vat), (23_611, 0));
    }

    /// The delivery address: none when nothing is typed; refused without its postal code;
    /// a third street line joins the second; the country the customer's when empty; kept
    /// through Issue and by a duplicate.
    #[test]
    fn the_delivery_address_is_checked_kept_and_duplicated() {
        let mut conn = crate::test_support::setup_issuer();
        conn.execute(
            "UPDATE customers SET siren = '552100554', country = 'FR'",
            [],
        )
        .unwrap();
        let mut input = DraftInput {
            customer: "ACME".into(),
            lines: vec![DraftLineInput {
                description: "Pose".into(),
                quantity: "1".into(),
                unit_price: "900".into(),
                vat_rate: "20".into(),
                ..Default::default()
            }],
            delivery_address: issue::DeliveryAddress {
                street: "Chantier\nBâtiment B\nPorte 3".into(),
                city: "Lyon".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = create(&mut conn, &input).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field, msg: Msg::Required } if field == "delivery_address.postal_code"),
            "{e:?}"
        );
        input.delivery_address.postal_code = "69003".into();
        let d = create(&mut conn, &input).unwrap();
        let typed = input_of(&conn, d.id).unwrap().delivery_address;
        assert_eq!(
            typed,
            issue::DeliveryAddress {
                street: "Chantier\nBâtiment B, Porte 3".into(),
                postal_code: "69003".into(),
                city: "Lyon".into(),
                // Empty on the draft: the customer's at Issue (a draft may change customer).
                country: String::new(),
            }
        );
        // A country must be a real one.
        let mut uk = input.clone();
        uk.delivery_address.country = "UK".into();
        let e = create(&mut conn, &uk).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field, msg: Msg::BadCountry } if field == "delivery_address.country"),
            "{e:?}"
        );
        // The customer is in Belgium: the address issued says Belgium.
        conn.execute(
            "UPDATE customers SET country = 'BE' WHERE reference = 'ACME'",
            [],
        )
        .unwrap();
        let (id, number) = issue_in(&conn, d.id, "2026-03-02".parse().unwrap()).unwrap();
        let kept = issue::DeliveryAddress {
            country: "BE".into(),
            ..typed
        };
        assert_eq!(
            issue::delivery_address(&conn, id).unwrap(),
            Some(kept.clone())
        );
        // Issued, it is immutable like the rest of the invoice.
        assert!(conn
            .execute(
                "UPDATE invoices SET delivery_city = 'Paris' WHERE id = ?1",
                [id]
            )
            .is_err());
        assert_eq!(
            kept.one_line("FR", true),
            "Chantier, Bâtiment B, Porte 3, 69003 Lyon, BELGIQUE"
        );
        let copy = duplicate(&mut conn, &number).unwrap();
        assert_eq!(input_of(&conn, copy.id).unwrap().delivery_address, kept);
        // Goods under the intra-EU reverse charge delivered in France (the owner's country)
        // are not an intra-EU delivery: refused, as an export delivered inside the EU is.
        conn.execute(
            "UPDATE customers SET vat_number = 'BE0403170701' WHERE reference = 'ACME'",
            [],
        )
        .unwrap();
        for (case, country) in [("reverse_charge_goods", "FR"), ("export", "DE")] {
            let mut goods = input.clone();
            goods.vat_exemption = case.into();
            goods.lines[0].vat_rate = String::new();
            goods.delivery_address.country = country.into();
            if case == "export" {
                conn.execute(
                    "UPDATE customers SET country = 'CH' WHERE reference = 'ACME'",
                    [],
                )
                .unwrap();
            }
            let d = create(&mut conn, &goods).unwrap();
            let e = issue_in(&conn, d.id, "2026-03-03".parse().unwrap()).unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == "delivery_address.country"),
                "{case}: {e:?}"
            );
        }
        // Nothing typed: the customer's own address, nothing stored.
        input.delivery_address = issue::DeliveryAddress::default();
        let plain = create(&mut conn, &input).unwrap();
        assert_eq!(
            input_of(&conn, plain.id).unwrap().delivery_address,
            issue::DeliveryAddress::default()
        );
    }

    /// Without VAT (franchise, reverse charge, export) every line is one group at 0 %.
    #[test]
    fn no_vat_cases_are_one_group_at_zero() {
        let lines = [line(10_000, 150_000, 0, 0), line(20_000, 2_550, 0, 0)];
        for (case, cat) in [
            (VatCase::Franchise, "E"),
            (VatCase::ReverseChargeGoods, "K"),
            (VatCase::ReverseChargeServices, "AE"),
            (VatCase::Export, "G"),
        ] {
            let c = compute(&lines, Some(case)).unwrap();
            assert_eq!(c.groups.len(), 1);
            assert_eq!(c.groups[0].category, cat);
            assert_eq!((c.net, c.vat, c.total), (155_100, 0, 155_100));
        }
    }

    /// The VAT in euros, by hand: 200.00 GBP × 1.165 = 233.00 €; 0.01 GBP × 1.165 =
    /// 0.01165 → 0.01 €; 0.03 × 1.5 = 0.045 → 0.05 € (half away from zero); 1,000 JPY (no
    /// decimals) × 0.006123 = 6.123 → 6.12 €.
    #[test]
    fn vat_in_euros_by_hand() {
        let gbp = Currency::parse("GBP").unwrap();
        assert_eq!(vat_in_euros(20_000, gbp, 1_165_000), 23_300);
        assert_eq!(vat_in_euros(1, gbp, 1_165_000), 1);
        assert_eq!(vat_in_euros(3, gbp, 1_500_000), 5);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(vat_in_euros(1_000, jpy, 6_123), 612);
        assert_eq!(exchange_rate(gbp, " 1,165 ").unwrap(), Some(1_165_000));
        assert_eq!(exchange_rate(gbp, "").unwrap(), None);
        for bad in [
            "0",
            "-1",
            "1.1234567",
            "abc",
            "100000000000000000000000",
            "1000000",
        ] {
            assert!(exchange_rate(gbp, bad).is_err(), "{bad}");
        }
        assert!(exchange_rate(Currency::EUR, "1").is_err());
    }

    /// Half a cent rounds away from zero: 0.5 × 0.05 = 0.025 → 0.03; 20 % of 0.03 → 0.006
    /// → 0.01.
    #[test]
    fn half_a_cent_rounds_up() {
        let c = compute(&[line(5_000, 5, 200_000, 0)], None).unwrap();
        assert_eq!((c.net, c.vat, c.total), (3, 1, 4));
    }

    #[test]
    fn typed_lines_are_checked_with_the_field_named() {
        let typed = |q: &str, unit: &str, price: &str, rate: &str, disc: &str| DraftLineInput {
            description: "Conseil".into(),
            quantity: q.into(),
            unit: unit.into(),
            unit_price: price.into(),
            vat_rate: rate.into(),
            discount: disc.into(),
        };
        let ok = check_line(
            &typed("2,5", "hur", "80", "20", "10"),
            0,
            Currency::EUR,
            None,
        )
        .unwrap();
        assert_eq!(
            (
                ok.quantity_e4,
                ok.unit.as_str(),
                ok.price_minor,
                ok.vat_rate_e4,
                ok.discount_e4
            ),
            (25_000, "HUR", 8_000, 200_000, 100_000)
        );
        let field = |r: Result<CheckedLine>| match r {
            Err(Error::Invalid { field, msg, .. }) => (field, msg),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(check_line(
                &typed("0", "", "80", "20", ""),
                3,
                Currency::EUR,
                None
            ))
            .0,
            "lines[3].quantity"
        );
        assert!(matches!(
            field(check_line(
                &typed("1", "XYZ", "80", "20", ""),
                0,
                Currency::EUR,
                None
            ))
            .1,
            Msg::UnknownUnit(_)
        ));
        assert!(matches!(
            field(check_line(
                &typed("1", "", "80.1234", "20", ""),
                0,
                Currency::EUR,
                None
            ))
            .1,
            Msg::TooManyDecimals { .. }
        ));
        assert_eq!(
            field(check_line(
                &typed("1", "", "80", "0", ""),
                0,
                Currency::EUR,
                None
            ))
            .1,
            Msg::ZeroRateNeedsExemption
        );
        assert_eq!(
            field(check_line(
                &typed("1", "", "80", "20", ""),
                0,
                Currency::EUR,
                Some(VatCase::Franchise)
            ))
            .1,
            Msg::VatNotCharged(VatCase::Franchise)
        );
        let empty = DraftLineInput {
            description: " ".into(),
            unit_price: "1".into(),
            vat_rate: "20".into(),
            ..DraftLineInput::default()
        };
        assert_eq!(
            field(check_line(&empty, 1, Currency::EUR, None)).0,
            "lines[1].description"
        );
    }
}
