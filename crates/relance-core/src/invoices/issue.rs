//! Invoices Relance issues itself (milestone invoices of a contract): numbered from the
//! owner's yearly sequence (`F2026-0042`: the setting `invoice_prefix`, the year, four
//! digits), continuous and never reused because the number is allocated inside the very
//! transaction that stores the invoice (writers are serialised by `BEGIN IMMEDIATE`), and
//! immutable once issued (triggers; a correction is a credit note). Each keeps its lines
//! (label, net, VAT rate, VAT) for its PDF.
//!
//! Before issuing, the mentions the law requires must be available: the seller's name and
//! address; in France its SIREN/SIRET, and its VAT number when VAT is charged; in the UK its
//! VAT number when VAT is charged; the buyer's name and address.

use crate::error::{Error, Msg, Result};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One line of an issued invoice; a deduction has negative amounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub label: String,
    pub net_minor: i64,
    /// Percent × 10,000 (20 % is 200000).
    pub vat_rate_e4: i64,
    pub vat_minor: i64,
    /// Quantity, unit, unit price and discount of a line written in a draft; `None` for
    /// the lines of contracts (one unit at the net).
    pub detail: Option<LineDetail>,
    /// The EN 16931 VAT category (S, E, K, AE, G, O); `None`: S when a rate is charged,
    /// else E.
    pub category: Option<String>,
    /// A discount on the whole invoice (EN 16931 BG-20): this percent × 10,000 of the
    /// lines of its category and rate, as a negative line. `None`: a line.
    pub allowance_e4: Option<i64>,
}

/// What a line written in a draft says beyond its net.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDetail {
    /// × 10,000 (1.5 is 15000).
    pub quantity_e4: i64,
    /// UN/ECE Recommendation 20 code.
    pub unit: String,
    pub price_minor: i64,
    /// The line discount taken off quantity × price.
    pub discount_minor: i64,
}

impl Line {
    /// Its VAT category: the one stored, else S when VAT is charged, else E.
    pub fn category(&self) -> &str {
        match &self.category {
            Some(c) => c,
            None if self.vat_rate_e4 > 0 => "S",
            None => "E",
        }
    }
}

/// An invoice to issue: who, when, the lines. The total is the lines' sum.
#[derive(Debug, Clone)]
pub struct ToIssue {
    pub customer_id: i64,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Currency,
    pub lines: Vec<Line>,
    /// Printed under the lines (e.g. "TVA non applicable, art. 293 B du CGI").
    pub notes: String,
    /// The contract reference, shown on the invoice and in lists.
    pub reference: String,
    /// The day the goods were delivered or the service done (BT-72), when said.
    pub delivery_date: Option<NaiveDate>,
    /// Euros for one unit of the currency (× 1,000,000): the VAT is also stated in euros.
    pub exchange_rate_e6: Option<i64>,
    /// "goods", "services" or "mixed" (the reform's mention); None: none said.
    pub operation: Option<&'static str>,
    /// Where the goods were delivered or the service done, when not at the buyer's address.
    pub delivery_address: Option<DeliveryAddress>,
}

/// The delivery address when it differs from the buyer's (EN 16931 BG-15, a mention of
/// France's e-invoicing reform): a job site, a warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct DeliveryAddress {
    /// One or two lines.
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166 code ("FR").
    pub country: String,
}

impl DeliveryAddress {
    /// "12 rue du Chantier, 69003 Lyon" (the country named when it is not `home`'s).
    pub fn one_line(&self, home: &str, french: bool) -> String {
        let street = self
            .street
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let mut s = format!("{street}, {} {}", self.postal_code, self.city);
        if self.country != home {
            s.push_str(&format!(
                ", {}",
                crate::validate::country_name(&self.country, french)
            ));
        }
        s
    }
}

/// The delivery address stored on invoice `id` (None: the buyer's own).
pub fn delivery_address(conn: &Connection, invoice_id: i64) -> Result<Option<DeliveryAddress>> {
    type Columns = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Columns> = conn
        .query_row(
            "SELECT delivery_street, delivery_postal_code, delivery_city, delivery_country
             FROM invoices WHERE id = ?1",
            [invoice_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(match row {
        Some((Some(street), postal_code, city, country)) => Some(DeliveryAddress {
            street,
            postal_code: postal_code.unwrap_or_default(),
            city: city.unwrap_or_default(),
            country: country.unwrap_or_default(),
        }),
        _ => None,
    })
}

/// A line as the UI and the PDF read it (decimal strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LineView {
    pub label: String,
    pub net: String,
    /// "20" or "5.5" (percent).
    pub vat_rate: String,
    pub vat: String,
    pub total: String,
}

/// The seller identity fields missing for an invoice (empty: complete).
pub fn missing_identity(conn: &Connection, vat_charged: bool) -> Result<Vec<&'static str>> {
    let s = crate::settings::get(conn)?;
    let mut missing = Vec::new();
    if s.company_name.trim().is_empty() {
        missing.push("company_name");
    }
    if s.address.trim().is_empty() || s.city.trim().is_empty() {
        missing.push("address");
    }
    match s.country.as_str() {
        "FR" => {
            if s.siren.is_empty() && s.siret.is_empty() {
                missing.push("siret");
            }
            if vat_charged && s.vat_number.is_empty() {
                missing.push("vat_number");
            }
        }
        "GB" if vat_charged && s.vat_number.is_empty() => missing.push("vat_number"),
        _ => {}
    }
    Ok(missing)
}

/// Refuses when an invoice could not carry its mandatory mentions: the seller's identity
/// (see [`missing_identity`]) or the buyer's name and postal address.
pub fn check_mentions(conn: &Connection, customer_id: i64, vat_charged: bool) -> Result<()> {
    let missing = missing_identity(conn, vat_charged)?;
    if !missing.is_empty() {
        return Err(Error::invalid(
            "settings",
            Msg::IssuerIncomplete(missing.iter().map(|m| m.to_string()).collect()),
        ));
    }
    let c = crate::customers::get(conn, customer_id)?;
    if c.address.trim().is_empty() || c.city.trim().is_empty() {
        return Err(Error::invalid("customer", Msg::NoPostalAddress(c.name)));
    }
    Ok(())
}

/// The next number of `year`, inside the caller's transaction: one more than the last one
/// issued that year, or than the highest invoice already recorded under that prefix and
/// year (an invoice typed in from elsewhere never collides with the sequence).
fn next_number(tx: &Connection, year: i32) -> Result<String> {
    let prefix = crate::settings::get(tx)?.invoice_prefix;
    allocate(tx, Series::Invoices, &prefix, year)
}

/// A yearly series Relance numbers: its sequence table and the table of the numbers
/// recorded by hand it must go past.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Series {
    Invoices,
    CreditNotes,
}

impl Series {
    fn sequence(self) -> &'static str {
        match self {
            Series::Invoices => "invoice_sequence",
            Series::CreditNotes => "credit_note_sequence",
        }
    }
    fn recorded(self) -> &'static str {
        match self {
            Series::Invoices => "invoices",
            Series::CreditNotes => "credit_notes",
        }
    }
}

/// The next number of `series` in `year` under `prefix`, allocated inside the caller's
/// transaction (see [`next_number`]).
pub(crate) fn allocate(tx: &Connection, series: Series, prefix: &str, year: i32) -> Result<String> {
    let stem = format!("{prefix}{year}-");
    let last: i64 = tx
        .query_row(
            &format!("SELECT last FROM {} WHERE year = ?1", series.sequence()),
            [year],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let mut recorded = 0i64;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT number FROM {} WHERE number LIKE ?1 ESCAPE '\\'",
        series.recorded()
    ))?;
    let like = format!(
        "{}%",
        stem.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = stmt.query_map([&like], |r| r.get::<_, String>(0))?;
    for n in rows {
        let n = n?;
        if let Some(k) = n
            .get(stem.len()..)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|rest| rest.parse::<i64>().ok())
        {
            recorded = recorded.max(k);
        }
    }
    let next = last.max(recorded) + 1;
    tx.execute(
        &format!(
            "INSERT INTO {} (year, last) VALUES (?1, ?2)
             ON CONFLICT(year) DO UPDATE SET last = excluded.last",
            series.sequence()
        ),
        params![year, next],
    )?;
    Ok(format!("{stem}{next:04}"))
}

/// Refuses a number recorded by hand or imported that falls in the owner's own series
/// (`F2026-0007`: prefix, year, digits) for a year in which Relance has issued: "gapless"
/// means every number of that series up to the highest is an invoice Relance issued.
pub fn refuse_own_series(conn: &Connection, number: &str) -> Result<()> {
    let prefix = crate::settings::value(conn, "invoice_prefix")?;
    refuse_in_series(conn, Series::Invoices, &prefix, number)
}

/// Refuses `number` when it is of the form `prefix` + year + `-` + digits and Relance has
/// numbered `series` in that year.
pub(crate) fn refuse_in_series(
    conn: &Connection,
    series: Series,
    prefix: &str,
    number: &str,
) -> Result<()> {
    let Some(rest) = number
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| number.get(prefix.len()..))
    else {
        return Ok(());
    };
    let Some((year, digits)) = rest.split_once('-') else {
        return Ok(());
    };
    let year: Option<i32> = (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
        .then(|| year.parse().ok())
        .flatten();
    let own = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if let (Some(year), true) = (year, own) {
        let issued: bool = conn.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE year = ?1)",
                series.sequence()
            ),
            [year],
            |r| r.get(0),
        )?;
        if issued {
            return Err(Error::invalid(
                "number",
                Msg::NumberInOwnSeries {
                    number: number.to_string(),
                    year,
                },
            ));
        }
    }
    Ok(())
}

/// Issues an invoice inside the caller's transaction: checks the mentions, allocates its
/// number, stores it with its lines (immutable from then on). Returns (id, number).
pub fn issue(tx: &Connection, inv: &ToIssue) -> Result<(i64, String)> {
    // The seller's VAT number is required when VAT is charged, and on a reverse charge or
    // an export (EN 16931 BR-IC-02, BR-AE-02, BR-G-02).
    let vat_named = inv
        .lines
        .iter()
        .any(|l| l.vat_rate_e4 > 0 || matches!(l.category(), "K" | "AE" | "G"));
    // EN 16931 amounts have two decimals at most (BR-DEC).
    if inv.currency.digits() > 2 {
        return Err(Error::invalid(
            "currency",
            Msg::CurrencyNotForEinvoice(inv.currency.code().to_string()),
        ));
    }
    check_mentions(tx, inv.customer_id, vat_named)?;
    let net = crate::money::checked_total(inv.lines.iter().map(|l| l.net_minor))?;
    let vat = crate::money::checked_total(inv.lines.iter().map(|l| l.vat_minor))?;
    let total = crate::money::checked_total([net, vat])?;
    if total <= 0 || net <= 0 {
        return Err(Error::invalid("total", Msg::NotPositive));
    }
    // Numbers follow dates: nothing is issued dated before the last invoice issued.
    let last: Option<NaiveDate> = tx.query_row(
        "SELECT MAX(issue_date) FROM invoices WHERE issued = 1",
        [],
        |r| r.get(0),
    )?;
    if let Some(last) = last.filter(|l| *l > inv.issue_date) {
        return Err(Error::invalid(
            "date",
            Msg::IssueBeforeLast(last.to_string()),
        ));
    }
    let number = next_number(tx, inv.issue_date.year())?;
    let id = tx.insert(
        "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor,
            net_minor, vat_minor, reference, notes, issued, delivery_date, exchange_rate_e6,
            vat_eur_minor, operation, delivery_street, delivery_postal_code, delivery_city,
            delivery_country)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18)",
        params![
            number,
            inv.customer_id,
            inv.issue_date.to_string(),
            inv.due_date.to_string(),
            inv.currency.code(),
            total,
            net,
            vat,
            inv.reference,
            inv.notes,
            inv.delivery_date.map(|d| d.to_string()),
            inv.exchange_rate_e6,
            inv.exchange_rate_e6
                .map(|r| super::drafts::vat_in_euros(vat, inv.currency, r)),
            inv.operation,
            inv.delivery_address.as_ref().map(|a| a.street.as_str()),
            inv.delivery_address
                .as_ref()
                .map(|a| a.postal_code.as_str()),
            inv.delivery_address.as_ref().map(|a| a.city.as_str()),
            inv.delivery_address.as_ref().map(|a| a.country.as_str()),
        ],
    )?;
    write_lines(tx, "invoice_lines", "invoice_id", id, &inv.lines)?;
    Ok((id, number))
}

/// Stores the lines of document `id` in `table` (`invoice_lines` by `invoice_id`,
/// `credit_note_document_lines` by `credit_note_id`: the same columns), in order.
pub(crate) fn write_lines(
    tx: &Connection,
    table: &str,
    owner: &str,
    id: i64,
    lines: &[Line],
) -> Result<()> {
    let mut ins = tx.prepare_cached(&format!(
        "INSERT INTO {table} ({owner}, position, label, net_minor, vat_rate_e4, vat_minor,
            quantity_e4, unit, price_minor, discount_minor, vat_category, allowance_e4)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?;
    for (i, l) in lines.iter().enumerate() {
        let d = l.detail.as_ref();
        ins.execute(params![
            id,
            i as i64 + 1,
            l.label,
            l.net_minor,
            l.vat_rate_e4,
            l.vat_minor,
            d.map(|d| d.quantity_e4),
            d.map(|d| d.unit.as_str()),
            d.map(|d| d.price_minor),
            d.map(|d| d.discount_minor),
            l.category,
            l.allowance_e4,
        ])?;
    }
    Ok(())
}

/// What is done with an invoice once issued, inside the transaction that issues it, after
/// its issuer has written everything it says (a milestone's link, a draft's removal): the
/// archiving of its Factur-X PDF and CII XML. That needs the documents floor, above this
/// one: `crate::open` registers it ([`register_finish`]); a store opened otherwise archives
/// nothing (the PDF is then drawn on demand).
pub type Finish = fn(&Connection, i64, &str) -> Result<()>;

/// A finishing step an upper floor registers once per process (invoices', credit notes').
pub(crate) struct FinishHook(std::sync::OnceLock<Finish>);

impl FinishHook {
    pub(crate) const fn new() -> FinishHook {
        FinishHook(std::sync::OnceLock::new())
    }
    /// Later registrations are ignored.
    pub(crate) fn register(&self, f: Finish) {
        let _ = self.0.set(f);
    }
    /// Runs it on document `id` (`number`); nothing when none was registered.
    pub(crate) fn run(&self, tx: &Connection, id: i64, number: &str) -> Result<()> {
        match self.0.get() {
            Some(f) => f(tx, id, number),
            None => Ok(()),
        }
    }
}

static FINISH: FinishHook = FinishHook::new();

/// Registers what [`finish`] does (once per process; later calls are ignored).
pub fn register_finish(f: Finish) {
    FINISH.register(f);
}

/// Finishes issued invoice `id` (`number`) inside the issuing transaction.
pub fn finish(tx: &Connection, id: i64, number: &str) -> Result<()> {
    FINISH.run(tx, id, number)
}

/// "20" / "5.5" from percent × 10,000.
pub fn rate_text(rate_e4: i64) -> String {
    rust_decimal::Decimal::new(rate_e4, 4)
        .normalize()
        .to_string()
}

/// An issued invoice's lines, in order (empty for an invoice recorded from elsewhere).
pub fn lines(conn: &Connection, invoice_id: i64) -> Result<Vec<Line>> {
    read_lines(
        conn,
        "SELECT label, net_minor, vat_rate_e4, vat_minor, quantity_e4, unit, price_minor,
                discount_minor, vat_category, allowance_e4
         FROM invoice_lines WHERE invoice_id = ?1 ORDER BY position",
        invoice_id,
    )
}

/// Lines read by `sql` (its columns those of [`lines`]) for the document `id`.
pub(crate) fn read_lines(conn: &Connection, sql: &str, id: i64) -> Result<Vec<Line>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([id], |r| {
        let quantity_e4: Option<i64> = r.get(4)?;
        Ok(Line {
            label: r.get(0)?,
            net_minor: r.get(1)?,
            vat_rate_e4: r.get(2)?,
            vat_minor: r.get(3)?,
            detail: match quantity_e4 {
                Some(quantity_e4) => Some(LineDetail {
                    quantity_e4,
                    unit: r
                        .get::<_, Option<String>>(5)?
                        .unwrap_or_else(|| "C62".into()),
                    price_minor: r.get::<_, Option<i64>>(6)?.unwrap_or_default(),
                    discount_minor: r.get::<_, Option<i64>>(7)?.unwrap_or_default(),
                }),
                None => None,
            },
            category: r.get(8)?,
            allowance_e4: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// The lines as decimal strings in `currency`.
pub fn line_views(lines: &[Line], currency: Currency) -> Vec<LineView> {
    lines
        .iter()
        .map(|l| LineView {
            label: l.label.clone(),
            net: currency.minor_to_string(l.net_minor),
            vat_rate: rate_text(l.vat_rate_e4),
            vat: currency.minor_to_string(l.vat_minor),
            total: currency.minor_to_string(l.net_minor + l.vat_minor),
        })
        .collect()
}

/// Whether Relance issued this invoice (numbered, immutable, with lines).
pub fn is_issued(conn: &Connection, invoice_id: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT issued FROM invoices WHERE id = ?1",
            [invoice_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        == Some(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    fn ready(conn: &Connection) -> i64 {
        crate::test_support::company(conn);
        conn.insert(
            "INSERT INTO customers (reference, name, kind, language, address, city) VALUES ('K', 'Client', 'business', 'fr', '1 rue', 'Paris')",
            [],
        )
        .unwrap()
    }

    fn one(customer_id: i64, on: &str) -> ToIssue {
        ToIssue {
            customer_id,
            issue_date: day(on),
            due_date: day(on),
            currency: Currency::EUR,
            lines: vec![Line {
                label: "Acompte".into(),
                net_minor: 10000,
                vat_rate_e4: 200000,
                vat_minor: 2000,
                ..Line::default()
            }],
            notes: String::new(),
            reference: "K1".into(),
            delivery_date: None,
            exchange_rate_e6: None,
            operation: None,
            delivery_address: None,
        }
    }

    #[test]
    fn numbers_follow_each_other_per_year_after_recorded_ones_and_never_change() {
        let mut conn = crate::open_in_memory().unwrap();
        // Identity incomplete: refused, naming what is missing, nothing allocated.
        conn.execute(
            "INSERT INTO customers (reference, name, kind, language, address, city) VALUES ('Z', 'Z', 'business', 'fr', '1 rue', 'Paris')",
            [],
        )
        .unwrap();
        let e = issue(&conn, &one(1, "2026-03-01")).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { msg: Msg::IssuerIncomplete(m), .. } if m.contains(&"siret".to_string())),
            "{e:?}"
        );
        let c = ready(&conn);
        // An invoice typed in from elsewhere under the same stem: the sequence goes past it.
        conn.execute(
            "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
             VALUES ('F2026-0007', ?1, '2026-01-01', '2026-01-31', 'EUR', 100)",
            [c],
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let a = issue(&tx, &one(c, "2026-03-01")).unwrap();
        let b = issue(&tx, &one(c, "2026-03-02")).unwrap();
        let next_year = issue(&tx, &one(c, "2027-01-02")).unwrap();
        tx.commit().unwrap();
        assert_eq!((a.1.as_str(), b.1.as_str()), ("F2026-0008", "F2026-0009"));
        assert_eq!(next_year.1, "F2027-0001");
        assert_eq!(lines(&conn, a.0).unwrap()[0].vat_minor, 2000);
        // Immutable: amount, number, lines; payments still settle it.
        assert!(conn
            .execute("UPDATE invoices SET total_minor = 1 WHERE id = ?1", [a.0])
            .is_err());
        assert!(conn
            .execute("UPDATE invoices SET number = 'X' WHERE id = ?1", [a.0])
            .is_err());
        assert!(conn
            .execute("UPDATE invoice_lines SET net_minor = 1", [])
            .is_err());
        assert!(conn
            .execute("DELETE FROM invoices WHERE id = ?1", [a.0])
            .is_err());
        conn.execute(
            "UPDATE invoices SET settled_minor = 100 WHERE id = ?1",
            [a.0],
        )
        .unwrap();
        // A rolled-back issue gives its number back: no gap.
        let tx = conn.transaction().unwrap();
        issue(&tx, &one(c, "2027-01-03")).unwrap();
        drop(tx);
        let tx = conn.transaction().unwrap();
        assert_eq!(issue(&tx, &one(c, "2027-01-03")).unwrap().1, "F2027-0002");
        // Numbers follow dates: nothing is issued dated before the last one.
        assert!(matches!(
            issue(&tx, &one(c, "2026-03-03")).unwrap_err(),
            Error::Invalid {
                msg: Msg::IssueBeforeLast(_),
                ..
            }
        ));
        drop(tx);
        // Renaming a typed invoice into the own series is refused too.
        let typed = crate::invoices::create(
            &conn,
            &crate::test_support::inv("EXT-1", "Z", "2026-01-01", "2026-01-31", "10"),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
        let mut conn = conn;
        let r = crate::invoices::update(
            &mut conn,
            typed.id,
            &crate::test_support::inv("F2026-0012", "Z", "2026-01-01", "2026-01-31", "10"),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        assert!(
            matches!(
                r,
                Err(Error::Invalid {
                    msg: Msg::NumberInOwnSeries { .. },
                    ..
                })
            ),
            "{r:?}"
        );
        // A number of the own series, typed or imported once Relance issued that year.
        for (number, refused) in [
            ("F2026-0011", true),
            ("f2027-0099", true),
            ("F2025-0001", false),
            ("F2026-0011-B", false),
        ] {
            let r = crate::invoices::create(
                &conn,
                &crate::test_support::inv(number, "Z", "2026-01-01", "2026-01-31", "10"),
                chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            );
            assert_eq!(
                matches!(
                    r,
                    Err(Error::Invalid {
                        msg: Msg::NumberInOwnSeries { .. },
                        ..
                    })
                ),
                refused,
                "{number}: {r:?}"
            );
        }
    }

    #[test]
    fn two_connections_issuing_at_once_leave_no_gap_and_no_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seq.sqlite");
        let conn = crate::open(&path).unwrap();
        let c = ready(&conn);
        drop(conn);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = crate::open(&path).unwrap();
                    for _ in 0..60 {
                        let tx = conn.transaction().unwrap();
                        issue(&tx, &one(c, "2026-05-01")).unwrap();
                        tx.commit().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let conn = crate::open(&path).unwrap();
        let mut numbers: Vec<String> = conn
            .prepare("SELECT number FROM invoices WHERE issued = 1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        numbers.sort();
        let want: Vec<String> = (1..=120).map(|k| format!("F2026-{k:04}")).collect();
        assert_eq!(numbers, want);
    }
}
