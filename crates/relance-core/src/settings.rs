//! The owner's company ("My company") and preferences, stored as validated key/value rows.
//! One table of keys drives both the Settings screen and `relance settings set KEY VALUE`.

use crate::error::{Error, Lang, Msg, Result};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

/// Every setting, as the Settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub company_name: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub email: String,
    pub phone: String,
    pub siren: String,
    pub siret: String,
    pub vat_number: String,
    pub uk_company_number: String,
    pub iban: String,
    pub bic: String,
    /// For sterling: the owner's sort code ("12-34-56") and account number, printed with
    /// the payment reference on documents asking for pounds.
    pub uk_sort_code: String,
    pub uk_account_number: String,
    /// Bank fees or rounding accepted as settled when a bank payment comes in short: at
    /// most this amount (decimal string, "1.00") and this percentage of what was due ("0.5").
    pub bank_tolerance: String,
    pub bank_tolerance_percent: String,
    /// Before a final notice or formal demand, the owner is told when the last statement
    /// imported is older than this many days.
    pub statement_stale_days: i64,
    pub default_currency: String,
    pub default_payment_terms_days: i64,
    /// Days after a promised date before the promise counts as broken.
    pub promise_grace_days: i64,
    /// Late-payment interest of the owner's terms of sale, percent per year; empty: the
    /// statutory rate of the owner's country.
    pub late_interest_rate: String,
    /// Days a formal demand gives the debtor to pay.
    pub formal_demand_days: i64,
    /// Where the envelope's address window is: "right" (French DL) or "left" (DIN 5008).
    pub letter_window: String,
    /// The prefix of the invoices Relance issues: "F" gives F2026-0001, F2026-0002, …
    pub invoice_prefix: String,
    /// The prefix of the credit notes Relance issues: "A" gives A2026-0001, … (never the
    /// invoices' prefix: the two series must not share a number).
    pub credit_note_prefix: String,
    /// Early-payment discount terms printed on issued invoices; empty: "no discount".
    pub discount_terms: String,
    /// Who the history names for what is recorded here; empty: the system account.
    pub user_name: String,
    /// "standard" (VAT charged at the lines' rates) or "franchise" (franchise en base, art.
    /// 293 B du CGI: no VAT on any invoice, category E with that mention).
    pub vat_regime: String,
    /// The owner opted to pay VAT on debits (invoicing basis) for services: every document
    /// charging VAT says "Option pour le paiement de la taxe d'après les débits".
    pub vat_on_debits: bool,
    /// Thresholds of the payer segments (see `views::segments`).
    pub segment_min_paid: i64,
    pub segment_good_days: i64,
    pub segment_slow_days: i64,
    pub segment_forgetful_days: i64,
    pub segment_trend_days: i64,
    pub ui_language: Lang,
    pub has_logo: bool,
}

/// The Settings form as typed: every value a string, checked by [`save`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct SettingsInput {
    pub company_name: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub email: String,
    pub phone: String,
    pub siren: String,
    pub siret: String,
    pub vat_number: String,
    pub uk_company_number: String,
    pub iban: String,
    pub bic: String,
    pub uk_sort_code: String,
    pub uk_account_number: String,
    pub bank_tolerance: String,
    pub bank_tolerance_percent: String,
    pub statement_stale_days: String,
    pub default_currency: String,
    pub default_payment_terms_days: String,
    pub promise_grace_days: String,
    pub late_interest_rate: String,
    pub formal_demand_days: String,
    pub letter_window: String,
    pub invoice_prefix: String,
    /// A caller that does not show it (empty) keeps the one saved.
    #[serde(default)]
    pub credit_note_prefix: String,
    pub discount_terms: String,
    /// Who the history names; `None` (a caller that does not show it) keeps the one saved,
    /// empty clears it.
    #[serde(default)]
    pub user_name: Option<String>,
    /// A caller that does not show it (empty) keeps the one saved.
    #[serde(default)]
    pub vat_regime: String,
    /// "yes" or "no"; a caller that does not show it (empty) keeps the one saved.
    #[serde(default)]
    pub vat_on_debits: String,
    pub segment_min_paid: String,
    pub segment_good_days: String,
    pub segment_slow_days: String,
    pub segment_forgetful_days: String,
    pub segment_trend_days: String,
    pub ui_language: String,
}

type Check = fn(&str, &str) -> Result<String>;

/// A numbering prefix: 1 to 10 letters, digits, `-` or `_`; empty: `default`.
fn prefix(k: &str, x: &str, default: &str) -> Result<String> {
    let p = x.trim();
    if p.is_empty() {
        return Ok(default.into());
    }
    if p.len() > 10
        || !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(k, Msg::BadInvoicePrefix));
    }
    Ok(p.to_string())
}

/// The keys, their default values, and the check that cleans a typed value.
pub const KEYS: &[(&str, &str, Check)] = &[
    ("company_name", "", |k, x| {
        v::printable(k, v::optional_name(k, x, 120)?)
    }),
    ("address", "", |k, x| {
        v::printable(k, v::multiline(k, x, 300)?)
    }),
    ("postal_code", "", |k, x| {
        v::printable(k, v::optional_line(k, x, 20)?)
    }),
    ("city", "", |k, x| {
        v::printable(k, v::optional_name(k, x, 100)?)
    }),
    ("country", "FR", v::country),
    ("email", "", v::optional_email),
    ("phone", "", v::optional_phone),
    ("siren", "", v::siren),
    ("siret", "", v::siret),
    ("vat_number", "", v::vat),
    ("uk_company_number", "", v::uk_company_number),
    ("iban", "", v::iban),
    ("bic", "", v::bic),
    ("uk_sort_code", "", |k, x| {
        let digits: String = x.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() {
            return Ok(String::new());
        }
        if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(k, Msg::BadSortCode));
        }
        Ok(format!(
            "{}-{}-{}",
            &digits[0..2],
            &digits[2..4],
            &digits[4..6]
        ))
    }),
    ("uk_account_number", "", |k, x| {
        let digits: String = x.chars().filter(|c| *c != ' ').collect();
        if digits.is_empty() {
            return Ok(String::new());
        }
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(k, Msg::BadUkAccountNumber));
        }
        Ok(digits)
    }),
    ("bank_tolerance", "1.00", |k, x| {
        if x.trim().is_empty() {
            return Ok("1.00".into());
        }
        let bad = || Error::invalid(k, Msg::BadTolerance(x.trim().to_string()));
        let d: rust_decimal::Decimal = x
            .trim()
            .trim_end_matches('€')
            .trim()
            .replace(',', ".")
            .parse()
            .map_err(|_| bad())?;
        if d.normalize().scale() > 2 || d < rust_decimal::Decimal::ZERO || d > 50.into() {
            return Err(bad());
        }
        Ok(format!("{:.2}", d))
    }),
    ("bank_tolerance_percent", "0.5", |k, x| {
        if x.trim().is_empty() {
            return Ok("0.5".into());
        }
        let r = v::rate(k, x)?;
        if r > 5.into() || r.scale() > 3 {
            return Err(Error::invalid(k, Msg::BadRate(x.trim().to_string())));
        }
        Ok(r.to_string())
    }),
    ("statement_stale_days", "5", |k, x| {
        if x.trim().is_empty() {
            return Ok("5".into());
        }
        v::int_in(k, x, 1, 90).map(|n| n.to_string())
    }),
    ("default_currency", "EUR", |k, x| {
        Currency::parse(x)
            .map(|c| c.code().to_string())
            .map_err(|_| Error::invalid(k, Msg::UnknownCurrency(x.trim().to_string())))
    }),
    ("default_payment_terms_days", "30", |k, x| {
        v::int_in(k, x, 0, 365).map(|n| n.to_string())
    }),
    ("promise_grace_days", "2", |k, x| {
        v::int_in(k, x, 0, 60).map(|n| n.to_string())
    }),
    ("late_interest_rate", "", |k, x| {
        if x.trim().is_empty() {
            return Ok(String::new());
        }
        v::rate(k, x).map(|r| r.to_string())
    }),
    ("formal_demand_days", "8", |k, x| {
        if x.trim().is_empty() {
            return Ok("8".into());
        }
        v::int_in(k, x, 1, 90).map(|n| n.to_string())
    }),
    ("letter_window", "right", |k, x| {
        match x.trim().to_ascii_lowercase().as_str() {
            "" | "right" => Ok("right".into()),
            "left" => Ok("left".into()),
            _ => Err(Error::invalid(k, Msg::OneOf(vec!["right", "left"]))),
        }
    }),
    ("invoice_prefix", "F", |k, x| prefix(k, x, "F")),
    ("credit_note_prefix", "A", |k, x| prefix(k, x, "A")),
    ("discount_terms", "", |k, x| {
        v::printable(k, v::optional_line(k, x, 200)?)
    }),
    ("user_name", "", |k, x| {
        v::printable(k, v::optional_line(k, x, 80)?)
    }),
    ("vat_regime", "standard", |k, x| {
        match x.trim().to_ascii_lowercase().as_str() {
            "" | "standard" => Ok("standard".into()),
            "franchise" => Ok("franchise".into()),
            _ => Err(Error::invalid(k, Msg::OneOf(vec!["standard", "franchise"]))),
        }
    }),
    ("vat_on_debits", "no", |k, x| {
        match x.trim().to_ascii_lowercase().as_str() {
            "" | "no" | "non" | "false" => Ok("no".into()),
            "yes" | "oui" | "true" => Ok("yes".into()),
            _ => Err(Error::invalid(k, Msg::OneOf(vec!["yes", "no"]))),
        }
    }),
    ("segment_min_paid", "3", |k, x| {
        if x.trim().is_empty() {
            return Ok("3".into());
        }
        v::int_in(k, x, 1, 50).map(|n| n.to_string())
    }),
    ("segment_good_days", "5", |k, x| {
        if x.trim().is_empty() {
            return Ok("5".into());
        }
        v::int_in(k, x, 0, 364).map(|n| n.to_string())
    }),
    ("segment_slow_days", "30", |k, x| {
        if x.trim().is_empty() {
            return Ok("30".into());
        }
        v::int_in(k, x, 1, 365).map(|n| n.to_string())
    }),
    ("segment_forgetful_days", "7", |k, x| {
        if x.trim().is_empty() {
            return Ok("7".into());
        }
        v::int_in(k, x, 0, 90).map(|n| n.to_string())
    }),
    ("segment_trend_days", "15", |k, x| {
        if x.trim().is_empty() {
            return Ok("15".into());
        }
        v::int_in(k, x, 1, 365).map(|n| n.to_string())
    }),
    ("ui_language", Lang::DEFAULT.code(), |k, x| {
        Lang::parse(x)
            .map(|l| l.code().to_string())
            .ok_or_else(|| Error::invalid(k, Msg::OneOf(vec!["fr", "en"])))
    }),
];

fn check_for(key: &str) -> Result<Check> {
    KEYS.iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, _, c)| *c)
        .ok_or_else(|| Error::invalid("key", Msg::UnknownSetting(key.to_string())))
}

/// The default of a key, from [`KEYS`] (the one place defaults are written).
fn default_of(key: &str) -> &'static str {
    KEYS.iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, d, _)| *d)
        .unwrap_or("")
}

fn raw(conn: &Connection) -> Result<HashMap<String, String>> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut map: HashMap<String, String> = KEYS
        .iter()
        .map(|(k, d, _)| (k.to_string(), d.to_string()))
        .collect();
    for row in rows {
        let (k, v): (String, String) = row?;
        map.insert(k, v);
    }
    Ok(map)
}

/// One setting as stored, or its default: for a path that needs one key per row of a bulk
/// write, where [`get`] (every key, the logo's presence) cost more than the row itself.
pub fn value(conn: &Connection, key: &str) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| default_of(key).to_string()))
}

/// Reads every setting, with defaults for those never set.
pub fn get(conn: &Connection) -> Result<Settings> {
    let m = raw(conn)?;
    let s = |k: &str| m.get(k).cloned().unwrap_or_default();
    // Stored values passed their check when written; a damaged one reads as the default.
    let days = |k: &str| -> i64 {
        s(k).parse()
            .or_else(|_| default_of(k).parse())
            .unwrap_or_default()
    };
    let has_logo: bool = conn
        .query_row("SELECT 1 FROM company_logo WHERE id = 1", [], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(Settings {
        company_name: s("company_name"),
        address: s("address"),
        postal_code: s("postal_code"),
        city: s("city"),
        country: s("country"),
        email: s("email"),
        phone: s("phone"),
        siren: s("siren"),
        siret: s("siret"),
        vat_number: s("vat_number"),
        uk_company_number: s("uk_company_number"),
        iban: s("iban"),
        bic: s("bic"),
        uk_sort_code: s("uk_sort_code"),
        uk_account_number: s("uk_account_number"),
        bank_tolerance: s("bank_tolerance"),
        bank_tolerance_percent: s("bank_tolerance_percent"),
        statement_stale_days: days("statement_stale_days"),
        default_currency: s("default_currency"),
        default_payment_terms_days: days("default_payment_terms_days"),
        promise_grace_days: days("promise_grace_days"),
        late_interest_rate: s("late_interest_rate"),
        formal_demand_days: days("formal_demand_days"),
        letter_window: s("letter_window"),
        invoice_prefix: s("invoice_prefix"),
        credit_note_prefix: s("credit_note_prefix"),
        discount_terms: s("discount_terms"),
        user_name: s("user_name"),
        vat_regime: s("vat_regime"),
        vat_on_debits: s("vat_on_debits") == "yes",
        segment_min_paid: days("segment_min_paid"),
        segment_good_days: days("segment_good_days"),
        segment_slow_days: days("segment_slow_days"),
        segment_forgetful_days: days("segment_forgetful_days"),
        segment_trend_days: days("segment_trend_days"),
        ui_language: Lang::parse(&s("ui_language")).unwrap_or_default(),
        has_logo,
    })
}

/// A good payer is late at most `good` days, a slow one at least `slow`: `good` must stay
/// below `slow`, or the two segments would overlap (the band between is Forgetful or Slow).
fn check_segments(good: Option<String>, slow: Option<String>) -> Result<()> {
    let n = |v: Option<String>| v.and_then(|x| x.parse::<i64>().ok());
    if let (Some(good), Some(slow)) = (n(good), n(slow)) {
        if good >= slow {
            return Err(Error::invalid(
                "segment_slow_days",
                Msg::SegmentThresholds { good, slow },
            ));
        }
    }
    Ok(())
}

/// Sets one key after checking its value (`relance settings set KEY VALUE`).
/// The logo is not a key: the shells read the image and call [`set_logo_from`].
pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    let clean = check_for(key)?(key, value)?;
    let now = raw(conn)?;
    let pick = |k: &str| {
        if k == key {
            Some(clean.clone())
        } else {
            now.get(k).cloned()
        }
    };
    check_segments(pick("segment_good_days"), pick("segment_slow_days"))?;
    check_prefixes(pick("invoice_prefix"), pick("credit_note_prefix"))?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, clean],
    )?;
    Ok(())
}

/// Checks one typed value as saving it would, without saving: the cleaned value, or the
/// refusal naming the field (forms check each field as it is typed).
pub fn check(key: &str, value: &str) -> Result<String> {
    check_for(key)?(key, value)
}

/// The company as the first run asks for it: who the owner is, how they are paid, their
/// language and currency.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CompanyInput {
    pub company_name: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub email: String,
    pub phone: String,
    pub siren: String,
    pub siret: String,
    pub vat_number: String,
    pub iban: String,
    pub bic: String,
    pub default_currency: String,
    pub ui_language: String,
}

/// Saves the first run's company form: each field checked, the name required, nothing
/// written unless all pass (the other settings keep their values).
pub fn setup_company(conn: &mut Connection, input: &CompanyInput) -> Result<Settings> {
    if input.company_name.trim().is_empty() {
        return Err(Error::invalid("company_name", Msg::Required));
    }
    let pairs: [(&str, &str); 13] = [
        ("company_name", &input.company_name),
        ("address", &input.address),
        ("postal_code", &input.postal_code),
        ("city", &input.city),
        ("email", &input.email),
        ("phone", &input.phone),
        ("siren", &input.siren),
        ("siret", &input.siret),
        ("vat_number", &input.vat_number),
        ("iban", &input.iban),
        ("bic", &input.bic),
        ("default_currency", &input.default_currency),
        ("ui_language", &input.ui_language),
    ];
    let mut clean = Vec::with_capacity(pairs.len());
    for (k, val) in pairs {
        clean.push((k, check(k, val)?));
    }
    write_all(conn, &clean)
}

/// Whether the ledger carries its owner's identity (a company name, SIREN, SIRET, VAT number
/// or IBAN): demo data never goes into such a ledger.
pub fn has_owner_identity(conn: &Connection) -> Result<bool> {
    let now = raw(conn)?;
    Ok(["company_name", "siren", "siret", "vat_number", "iban"]
        .iter()
        .any(|k| now.get(*k).is_some_and(|v| !v.trim().is_empty())))
}

/// Saves the whole Settings form: every field is checked first; the first refusal names its
/// field and nothing is written; otherwise all keys are written in one transaction.
pub fn save(conn: &mut Connection, input: &SettingsInput) -> Result<Settings> {
    let pairs: [(&str, &str); 32] = [
        ("company_name", &input.company_name),
        ("address", &input.address),
        ("postal_code", &input.postal_code),
        ("city", &input.city),
        ("country", &input.country),
        ("email", &input.email),
        ("phone", &input.phone),
        ("siren", &input.siren),
        ("siret", &input.siret),
        ("vat_number", &input.vat_number),
        ("uk_company_number", &input.uk_company_number),
        ("iban", &input.iban),
        ("bic", &input.bic),
        ("uk_sort_code", &input.uk_sort_code),
        ("uk_account_number", &input.uk_account_number),
        ("bank_tolerance", &input.bank_tolerance),
        ("bank_tolerance_percent", &input.bank_tolerance_percent),
        ("statement_stale_days", &input.statement_stale_days),
        ("default_currency", &input.default_currency),
        (
            "default_payment_terms_days",
            &input.default_payment_terms_days,
        ),
        ("promise_grace_days", &input.promise_grace_days),
        ("late_interest_rate", &input.late_interest_rate),
        ("formal_demand_days", &input.formal_demand_days),
        ("letter_window", &input.letter_window),
        ("invoice_prefix", &input.invoice_prefix),
        ("discount_terms", &input.discount_terms),
        ("segment_min_paid", &input.segment_min_paid),
        ("segment_good_days", &input.segment_good_days),
        ("segment_slow_days", &input.segment_slow_days),
        ("segment_forgetful_days", &input.segment_forgetful_days),
        ("segment_trend_days", &input.segment_trend_days),
        ("ui_language", &input.ui_language),
    ];
    let mut clean = Vec::with_capacity(pairs.len() + 1);
    for (k, val) in pairs {
        clean.push((k, check_for(k)?(k, val)?));
    }
    if !input.credit_note_prefix.trim().is_empty() {
        clean.push((
            "credit_note_prefix",
            check_for("credit_note_prefix")?("credit_note_prefix", &input.credit_note_prefix)?,
        ));
    }
    if !input.vat_on_debits.trim().is_empty() {
        clean.push((
            "vat_on_debits",
            check_for("vat_on_debits")?("vat_on_debits", &input.vat_on_debits)?,
        ));
    }
    if let Some(name) = &input.user_name {
        clean.push(("user_name", check_for("user_name")?("user_name", name)?));
    }
    if !input.vat_regime.trim().is_empty() {
        clean.push((
            "vat_regime",
            check_for("vat_regime")?("vat_regime", &input.vat_regime)?,
        ));
    }
    let value = |key: &str| {
        clean
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    check_segments(value("segment_good_days"), value("segment_slow_days"))?;
    let saved = raw(conn)?;
    check_prefixes(
        value("invoice_prefix"),
        value("credit_note_prefix").or_else(|| saved.get("credit_note_prefix").cloned()),
    )?;
    write_all(conn, &clean)
}

/// Refuses the same prefix for invoices and credit notes (case ignored): the two series
/// would give the same numbers. Unset values are the defaults.
fn check_prefixes(invoice: Option<String>, credit_note: Option<String>) -> Result<()> {
    let invoice = invoice.unwrap_or_else(|| "F".into());
    let credit_note = credit_note.unwrap_or_else(|| "A".into());
    if invoice.eq_ignore_ascii_case(&credit_note) {
        return Err(Error::invalid(
            "credit_note_prefix",
            Msg::SamePrefixes(credit_note),
        ));
    }
    Ok(())
}

/// Writes checked values in one transaction (all or none), then reads the settings back.
fn write_all(conn: &mut Connection, clean: &[(&str, String)]) -> Result<Settings> {
    let tx = conn.transaction()?;
    for (k, val) in clean {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![k, val],
        )?;
    }
    tx.commit()?;
    get(conn)
}

/// The largest logo accepted, in bytes.
pub const LOGO_MAX_BYTES: usize = 2 * 1024 * 1024;

/// Reads a logo from `source` (the file the shell opened) without ever holding more than
/// [`LOGO_MAX_BYTES`] + 1 bytes, then stores it: a 1 GB file or `/dev/zero` is refused
/// after 2 MB, not read whole.
pub fn set_logo_from(conn: &Connection, source: impl std::io::Read) -> Result<()> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    source
        .take(LOGO_MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    set_logo(conn, &bytes)
}

/// Stores the company logo after checking it is a PNG or JPEG of at most 2 MB.
pub fn set_logo(conn: &Connection, bytes: &[u8]) -> Result<()> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    let mime = if bytes.starts_with(PNG) {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else {
        return Err(Error::invalid("logo", Msg::BadImage));
    };
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(Error::invalid("logo", Msg::BadImage));
    }
    conn.execute(
        "INSERT INTO company_logo (id, mime, data) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET mime = excluded.mime, data = excluded.data",
        params![mime, bytes],
    )?;
    Ok(())
}

/// The stored logo as (mime type, bytes), if any.
pub fn logo(conn: &Connection) -> Result<Option<(String, Vec<u8>)>> {
    Ok(conn
        .query_row(
            "SELECT mime, data FROM company_logo WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn remove_logo(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM company_logo", [])?;
    Ok(())
}

/// The UI language setting, used by the CLI and the app to pick message language.
pub fn ui_language(conn: &Connection) -> Lang {
    get(conn).map(|s| s.ui_language).unwrap_or_default()
}

/// The default currency setting (one cached read: import calls it for every row).
pub fn default_currency(conn: &Connection) -> Result<Currency> {
    let code: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = 'default_currency'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Currency::parse(code.as_deref().unwrap_or("EUR"))
}

/// The currency typed on a form, or the company's when left empty.
pub fn currency_or_default(conn: &Connection, typed: &str) -> Result<Currency> {
    if typed.trim().is_empty() {
        default_currency(conn)
    } else {
        Currency::parse(typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_set_and_refuse() {
        let conn = crate::open_in_memory().unwrap();
        let s = get(&conn).unwrap();
        assert_eq!(s.default_currency, "EUR");
        assert_eq!(s.default_payment_terms_days, 30);
        set(&conn, "iban", "fr76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(get(&conn).unwrap().iban, "FR7630006000011234567890189");
        assert!(set(&conn, "iban", "FR00 1234").is_err());
        assert!(set(&conn, "default_currency", "ABC").is_err());
        assert!(set(&conn, "nope", "x").is_err());
        assert!(set(&conn, "default_payment_terms_days", "-3").is_err());
        assert_eq!(get(&conn).unwrap().iban, "FR7630006000011234567890189");
    }

    #[test]
    fn save_is_all_or_nothing() {
        let mut conn = crate::open_in_memory().unwrap();
        let mut input = SettingsInput {
            company_name: "Atelier Lumen".into(),
            country: "fr".into(),
            default_currency: "eur".into(),
            default_payment_terms_days: "45".into(),
            promise_grace_days: "2".into(),
            ui_language: "en".into(),
            ..Default::default()
        };
        let s = save(&mut conn, &input).unwrap();
        assert_eq!(s.default_payment_terms_days, 45);
        assert_eq!(s.ui_language, Lang::En);
        input.company_name = "Other".into();
        input.email = "not-an-email".into();
        let err = save(&mut conn, &input).unwrap_err();
        assert_eq!(err.field(), Some("email"));
        assert_eq!(get(&conn).unwrap().company_name, "Atelier Lumen");
    }

    #[test]
    fn one_source_for_each_default() {
        let conn = crate::open_in_memory().unwrap();
        let s = get(&conn).unwrap();
        // The language a fresh database speaks is the language type's own default.
        assert_eq!(s.ui_language, Lang::default());
        assert_eq!(ui_language(&conn), Lang::default());
        assert_eq!(
            s.promise_grace_days.to_string(),
            default_of("promise_grace_days")
        );
        assert_eq!(
            s.default_payment_terms_days.to_string(),
            default_of("default_payment_terms_days")
        );
        // Every default passes its own check unchanged.
        for (k, d, check) in KEYS {
            assert_eq!(check(k, d).unwrap(), *d, "{k}");
        }
        // A damaged stored value reads as the default, not as zero.
        conn.execute(
            "INSERT INTO settings VALUES ('promise_grace_days', 'x')",
            [],
        )
        .unwrap();
        assert_eq!(get(&conn).unwrap().promise_grace_days, 2);
    }

    #[test]
    fn bank_settings_are_cleaned_or_refused() {
        let conn = crate::open_in_memory().unwrap();
        for (k, typed, stored) in [
            ("uk_sort_code", "12 34 56", "12-34-56"),
            ("uk_sort_code", "", ""),
            ("uk_account_number", "3192 6819", "31926819"),
            ("bank_tolerance", "0,5", "0.50"),
            ("bank_tolerance", "2 €", "2.00"),
            ("bank_tolerance", "", "1.00"),
            ("bank_tolerance_percent", "0,25 %", "0.25"),
            ("statement_stale_days", "10", "10"),
        ] {
            set(&conn, k, typed).unwrap_or_else(|e| panic!("{k} {typed}: {e}"));
            let v: String = conn
                .query_row("SELECT value FROM settings WHERE key = ?1", [k], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(v, stored, "{k} {typed}");
        }
        for (k, typed, says) in [
            ("uk_sort_code", "12-34-5", "six digits"),
            ("uk_account_number", "1234567", "eight digits"),
            ("bank_tolerance", "1.234", "at most two decimals"),
            ("bank_tolerance", "-1", "from 0 to 50"),
            ("bank_tolerance", "100", "from 0 to 50"),
            ("bank_tolerance_percent", "6", "Invalid rate"),
            ("statement_stale_days", "0", ""),
        ] {
            let e = set(&conn, k, typed).unwrap_err();
            assert!(e.to_string().contains(says), "{k} {typed}: {e}");
        }
        let s = get(&conn).unwrap();
        assert_eq!(
            (
                s.bank_tolerance.as_str(),
                s.bank_tolerance_percent.as_str(),
                s.statement_stale_days
            ),
            ("1.00", "0.25", 10),
            "a refusal changed nothing"
        );
    }

    #[test]
    fn logo_is_read_with_a_bound() {
        let conn = crate::open_in_memory().unwrap();
        // An endless source (like /dev/zero) is refused after 2 MB instead of read whole.
        let err = set_logo_from(&conn, std::io::repeat(0x89)).unwrap_err();
        assert!(matches!(
            err,
            Error::Invalid {
                msg: Msg::BadImage,
                ..
            }
        ));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(LOGO_MAX_BYTES, 0);
        set_logo_from(&conn, png.as_slice()).unwrap();
        png.push(0);
        assert!(set_logo_from(&conn, png.as_slice()).is_err());
        assert_eq!(logo(&conn).unwrap().unwrap().1.len(), LOGO_MAX_BYTES);
    }

    #[test]
    fn logo_must_be_an_image() {
        let conn = crate::open_in_memory().unwrap();
        assert!(set_logo(&conn, b"GIF89a....").is_err());
        set_logo(&conn, b"\x89PNG\r\n\x1a\nrest").unwrap();
        assert!(get(&conn).unwrap().has_logo);
        assert_eq!(logo(&conn).unwrap().unwrap().0, "image/png");
    }
}
