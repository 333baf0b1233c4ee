//! Field checks shared by every input type. Each returns the cleaned value or an
//! [`Error::Invalid`] naming the field, so a value is checked once, where it is built.

use crate::error::{Error, Msg, Result};
use chrono::NaiveDate;

/// A required single-line text: trimmed, non-empty, no control characters, bounded.
pub fn required_line(field: &str, value: &str, max: usize) -> Result<String> {
    let v = optional_line(field, value, max)?;
    if v.is_empty() {
        return Err(Error::invalid(field, Msg::Required));
    }
    Ok(v)
}

/// Right-to-left and left-to-right overrides, embeddings and isolates: they make a text
/// display in another order than it is stored ("Trojan source"), in a name, a reference
/// or a letter. Refused in every text.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that print as nothing: zero-width spaces and joiners, word joiner, soft
/// hyphen, byte-order mark, direction marks.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

fn refuse_invisible_controls(field: &str, v: &str) -> Result<()> {
    if v.chars().any(is_bidi_control) {
        return Err(Error::invalid(field, Msg::BidiControl));
    }
    Ok(())
}

/// The form under which a reference or a number is stored, compared and looked up:
/// compatibility-normalised (NFKC: full-width `Ｔ1` is `T1`, a no-break space is a space),
/// invisible characters removed, trimmed. Two references a person cannot tell apart on
/// screen are one reference.
pub fn identifier_key(value: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // (ASCII is its own NFKC form and holds nothing invisible: only trimmed, without the
    // normaliser's pass, for the references of an import's every row)
    if value.is_ascii() {
        return value.trim().to_string();
    }
    let v: String = value.nfkc().filter(|c| !is_invisible(*c)).collect();
    v.trim().to_string()
}

/// A customer reference or a document number as typed: normalised by [`identifier_key`],
/// then checked like a name. Empty is allowed (the caller numbers it).
/// Identifiers are printed on every letter: refused when a shipped font cannot print them.
pub fn optional_identifier(field: &str, value: &str, max: usize) -> Result<String> {
    refuse_invisible_controls(field, value)?;
    printable(field, optional_name(field, &identifier_key(value), max)?)
}

/// [`optional_identifier`], required.
pub fn required_identifier(field: &str, value: &str, max: usize) -> Result<String> {
    refuse_invisible_controls(field, value)?;
    printable(field, required_name(field, &identifier_key(value), max)?)
}

/// An optional single-line text ("" when absent).
pub fn optional_line(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, Msg::ControlChars));
    }
    refuse_invisible_controls(field, v)?;
    if v.chars().count() > max {
        return Err(Error::invalid(field, Msg::TooLong(max)));
    }
    Ok(v.to_string())
}

/// A name or identifier shown in letters and lists: also refuses markup characters, which
/// have no place in a name and are the signature of pasted HTML.
pub fn required_name(field: &str, value: &str, max: usize) -> Result<String> {
    let v = required_line(field, value, max)?;
    refuse_markup(field, &v)?;
    Ok(v)
}

pub fn optional_name(field: &str, value: &str, max: usize) -> Result<String> {
    let v = optional_line(field, value, max)?;
    refuse_markup(field, &v)?;
    Ok(v)
}

fn refuse_markup(field: &str, v: &str) -> Result<()> {
    if v.contains('<') || v.contains('>') {
        return Err(Error::invalid(field, Msg::NoMarkup));
    }
    Ok(())
}

/// Free text over several lines (notes, postal address): tabs and newlines allowed.
pub fn multiline(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim().replace("\r\n", "\n");
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(field, Msg::ControlChars));
    }
    refuse_invisible_controls(field, &v)?;
    if v.chars().count() > max {
        return Err(Error::invalid(field, Msg::TooLong(max)));
    }
    Ok(v)
}

/// A text that is printed in letters and invoices: refused, naming the character, when it
/// holds one that no shipped font can print (it would print as "?"). Newlines and tabs are
/// layout, not glyphs.
pub fn printable(field: &str, value: String) -> Result<String> {
    if let Some(c) = value
        .chars()
        .find(|c| *c != '\n' && *c != '\t' && !crate::fonts::printable(*c))
    {
        return Err(Error::invalid(
            field,
            Msg::Unprintable {
                character: c.to_string(),
                code: format!("U+{:04X}", u32::from(c)),
            },
        ));
    }
    Ok(value)
}

/// An optional e-mail address. Deliberately simple: one `@`, a dotted domain, no spaces.
pub fn optional_email(field: &str, value: &str) -> Result<String> {
    let v = optional_line(field, value, 254)?;
    if v.is_empty() {
        return Ok(v);
    }
    let bad = || Error::invalid(field, Msg::BadEmail);
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty()
        && !local.contains(char::is_whitespace)
        && !local.contains(['<', '>', '(', ')', ',', ';', ':', '"', '[', ']', '\\']);
    if !domain_ok || !local_ok || domain.contains('@') {
        return Err(bad());
    }
    // An accented domain (café.fr) is fine: it is sent in its ASCII form (IDNA). An accented
    // name before the @ needs SMTPUTF8, which most mail servers refuse.
    if !local.is_ascii() {
        return Err(Error::invalid(field, Msg::EmailLocalNotAscii));
    }
    Ok(v)
}

/// An address as it goes into a message header: the domain in its ASCII form (IDNA:
/// `café.fr` → `xn--caf-dma.fr`); the part before the @ is ASCII already
/// ([`optional_email`]).
pub fn email_for_header(field: &str, address: &str) -> Result<String> {
    let (local, domain) = address
        .split_once('@')
        .ok_or_else(|| Error::invalid(field, Msg::BadEmail))?;
    if domain.is_ascii() {
        return Ok(address.to_string());
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| Error::invalid(field, Msg::BadEmail))?;
    Ok(format!("{local}@{ascii}"))
}

/// An optional phone number: digits, spaces, + . - ( ) only.
pub fn optional_phone(field: &str, value: &str) -> Result<String> {
    let v = optional_line(field, value, 40)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || " +.-()/".contains(c))
    {
        return Err(Error::invalid(field, Msg::OneOf(vec!["+33 1 23 45 67 89"])));
    }
    Ok(v)
}

/// The first day any date of the ledger may be: receivables older than this are not
/// chased, and 1900 or 0001 is a typing slip.
pub fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid")
}

/// The last day any date of the ledger may be: a year like 2999 is a typing slip that would
/// otherwise hide an invoice from the agenda for ever.
pub fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).expect("valid")
}

/// How far ahead a promise or a snooze may reach: further, the debt would drop out of sight.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// Refuses a follow-up date (promise, snooze) more than [`MAX_DAYS_AHEAD`] after `as_of`.
pub fn within_a_year(field: &str, date: NaiveDate, as_of: NaiveDate) -> Result<()> {
    let max = as_of + chrono::Duration::days(MAX_DAYS_AHEAD);
    if date > max {
        return Err(Error::invalid(field, Msg::TooFarAhead(max.to_string())));
    }
    Ok(())
}

/// Parses a date written `YYYY-MM-DD` or `DD/MM/YYYY` (also `DD.MM.YYYY`, `DD-MM-YYYY`).
/// Refused outside [`earliest`]..=[`latest`], with both limits in the message.
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate> {
    let v = value.trim();
    let bad = || Error::invalid(field, Msg::BadDate(v.to_string()));
    if v.is_empty() {
        return Err(Error::invalid(field, Msg::Required));
    }
    for fmt in ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(v, fmt) {
            // chrono accepts 1- to 4-digit years in %Y: insist on four.
            if !(1000..=9999).contains(&chrono::Datelike::year(&d)) {
                return Err(bad());
            }
            let (min, max) = (earliest(), latest());
            if d < min || d > max {
                return Err(Error::invalid(
                    field,
                    Msg::DateOutOfRange {
                        min: min.to_string(),
                        max: max.to_string(),
                    },
                ));
            }
            return Ok(d);
        }
    }
    Err(bad())
}

/// A two-letter country code, upper-cased.
pub fn country(field: &str, value: &str) -> Result<String> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Ok(v);
    }
    // A real ISO 3166 country ("UK" is GB): what every document and e-invoice names.
    if v.len() != 2 || !v.chars().all(|c| c.is_ascii_uppercase()) || !is_iso_country(&v) {
        return Err(Error::invalid(field, Msg::BadCountry));
    }
    Ok(v)
}

/// ISO 3166-1 alpha-2 country codes (249, from Debian's iso-codes), sorted: what EN 16931
/// accepts as a country (BR-CL-14).
const ISO_COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` (upper case, two letters) is an ISO 3166-1 country.
pub fn is_iso_country(code: &str) -> bool {
    ISO_COUNTRIES.binary_search(&code).is_ok()
}

/// The member states of the European Union (ISO codes), for the VAT cases.
pub const EU: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The countries a small European business writes to, by ISO code: (code, French, English).
const COUNTRY_NAMES: &[(&str, &str, &str)] = &[
    ("AD", "Andorre", "Andorra"),
    ("AT", "Autriche", "Austria"),
    ("BE", "Belgique", "Belgium"),
    ("BG", "Bulgarie", "Bulgaria"),
    ("CA", "Canada", "Canada"),
    ("CH", "Suisse", "Switzerland"),
    ("CY", "Chypre", "Cyprus"),
    ("CZ", "Tchéquie", "Czechia"),
    ("DE", "Allemagne", "Germany"),
    ("DK", "Danemark", "Denmark"),
    ("DZ", "Algérie", "Algeria"),
    ("EE", "Estonie", "Estonia"),
    ("ES", "Espagne", "Spain"),
    ("FI", "Finlande", "Finland"),
    ("FR", "France", "France"),
    ("GB", "Royaume-Uni", "United Kingdom"),
    ("GR", "Grèce", "Greece"),
    ("HR", "Croatie", "Croatia"),
    ("HU", "Hongrie", "Hungary"),
    ("IE", "Irlande", "Ireland"),
    ("IS", "Islande", "Iceland"),
    ("IT", "Italie", "Italy"),
    ("LI", "Liechtenstein", "Liechtenstein"),
    ("LT", "Lituanie", "Lithuania"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("LV", "Lettonie", "Latvia"),
    ("MA", "Maroc", "Morocco"),
    ("MC", "Monaco", "Monaco"),
    ("MT", "Malte", "Malta"),
    ("NL", "Pays-Bas", "Netherlands"),
    ("NO", "Norvège", "Norway"),
    ("PL", "Pologne", "Poland"),
    ("PT", "Portugal", "Portugal"),
    ("RO", "Roumanie", "Romania"),
    ("SE", "Suède", "Sweden"),
    ("SI", "Slovénie", "Slovenia"),
    ("SK", "Slovaquie", "Slovakia"),
    ("SN", "Sénégal", "Senegal"),
    ("TN", "Tunisie", "Tunisia"),
    ("US", "États-Unis", "United States"),
];

/// A country's name for an envelope, in capitals as the postal services ask ("ROYAUME-UNI"),
/// in French or English; the code itself for a country not in the list.
pub fn country_name(code: &str, french: bool) -> String {
    COUNTRY_NAMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, fr, en)| if french { *fr } else { *en })
        .unwrap_or(code)
        .to_uppercase()
}

/// A percentage as typed ("2,15", "2.15 %"): at most 4 decimals, between 0 and 100.
pub fn rate(field: &str, value: &str) -> Result<rust_decimal::Decimal> {
    let cleaned = value.trim().trim_end_matches('%').trim().replace(',', ".");
    let bad = || Error::invalid(field, Msg::BadRate(value.trim().to_string()));
    let rate: rust_decimal::Decimal = cleaned.parse().map_err(|_| bad())?;
    if rate.normalize().scale() > 4
        || rate < rust_decimal::Decimal::ZERO
        || rate > rust_decimal::Decimal::from(100)
    {
        return Err(bad());
    }
    Ok(rate.normalize())
}

/// The most rows one page of a list returns.
pub const MAX_PAGE: u32 = 10_000;

/// A list's page size: 0 means the default of 100; above [`MAX_PAGE`] is refused with the
/// bounds (it was silently cut to 10,000, so a script believed it had every row).
pub fn page_limit(limit: u32) -> Result<u32> {
    match limit {
        0 => Ok(100),
        n if n > MAX_PAGE => Err(Error::invalid(
            "limit",
            Msg::OutOfRange {
                min: 1,
                max: MAX_PAGE.into(),
            },
        )),
        n => Ok(n),
    }
}

/// A whole number within bounds.
pub fn int_in(field: &str, value: &str, min: i64, max: i64) -> Result<i64> {
    let v = value.trim();
    let n: i64 = v
        .parse()
        .map_err(|_| Error::invalid(field, Msg::BadInteger(v.to_string())))?;
    if n < min || n > max {
        return Err(Error::invalid(field, Msg::OutOfRange { min, max }));
    }
    Ok(n)
}

/// Parses yes/no in English or French.
pub fn boolean(field: &str, value: &str) -> Result<bool> {
    match value.trim().to_lowercase().as_str() {
        "" | "0" | "no" | "non" | "false" | "faux" | "n" => Ok(false),
        "1" | "yes" | "oui" | "true" | "vrai" | "y" | "o" => Ok(true),
        _ => Err(Error::invalid(field, Msg::OneOf(vec!["yes", "no"]))),
    }
}

fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// French SIREN: 9 digits, Luhn key.
pub fn siren(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    if v.len() != 9 || !v.chars().all(|c| c.is_ascii_digit()) || !luhn_ok(&v) {
        return Err(Error::invalid(field, Msg::BadSiren));
    }
    Ok(v)
}

/// French SIRET: 14 digits, Luhn key (La Poste's SIRETs are a known exception).
pub fn siret(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    let la_poste = v.starts_with("356000000")
        && v.chars()
            .filter_map(|c| c.to_digit(10))
            .sum::<u32>()
            .is_multiple_of(5);
    if v.len() != 14 || !v.chars().all(|c| c.is_ascii_digit()) || !(luhn_ok(&v) || la_poste) {
        return Err(Error::invalid(field, Msg::BadSiret));
    }
    Ok(v)
}

/// EU-style VAT number: country prefix then 2..=13 alphanumerics.
pub fn vat(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    let ok = v.len() >= 4
        && v.len() <= 15
        && v[..2].chars().all(|c| c.is_ascii_uppercase())
        && v[2..].chars().all(|c| c.is_ascii_alphanumeric());
    if !ok {
        return Err(Error::invalid(field, Msg::BadVat));
    }
    // A French number with a numeric key: the key is (12 + 3 × (SIREN mod 97)) mod 97.
    if let Some((key, siren)) = v
        .strip_prefix("FR")
        .filter(|r| r.len() == 11 && r.bytes().all(|b| b.is_ascii_digit()))
        .map(|r| (r[..2].parse::<u64>(), r[2..].parse::<u64>()))
    {
        if let (Ok(key), Ok(siren)) = (key, siren) {
            if key != (12 + 3 * (siren % 97)) % 97 {
                return Err(Error::invalid(field, Msg::BadVat));
            }
        }
    }
    Ok(v)
}

/// UK Companies House number: 8 characters, digits or a 2-letter prefix and 6 digits.
pub fn uk_company_number(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    let ok = v.len() == 8
        && (v.chars().all(|c| c.is_ascii_digit())
            || (v[..2].chars().all(|c| c.is_ascii_uppercase())
                && v[2..].chars().all(|c| c.is_ascii_digit())));
    if !ok {
        return Err(Error::invalid(field, Msg::BadUkCompanyNumber));
    }
    Ok(v)
}

/// IBAN with its ISO 7064 mod-97 check.
pub fn iban(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    let bad = || Error::invalid(field, Msg::BadIban);
    if v.len() < 15 || v.len() > 34 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    if !v[..2].chars().all(|c| c.is_ascii_uppercase())
        || !v[2..4].chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let rearranged = format!("{}{}", &v[4..], &v[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let n = c.to_digit(36).ok_or_else(bad)?;
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    if rem != 1 {
        return Err(bad());
    }
    Ok(v)
}

/// BIC / SWIFT code: 4 letters bank, 2 letters country, 2 location, optional 3 branch.
pub fn bic(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if v.is_empty() {
        return Ok(v);
    }
    let ok = (v.len() == 8 || v.len() == 11)
        && v.chars().all(|c| c.is_ascii_alphanumeric())
        && v[..6].chars().all(|c| c.is_ascii_uppercase());
    if !ok {
        return Err(Error::invalid(field, Msg::BadBic));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the shipped fonts print passes (French, typographic spaces and quotes, euro and
    /// pound, Greek, Cyrillic); an emoji DejaVu lacks or Japanese is refused, naming the
    /// character.
    #[test]
    fn printed_text_is_in_the_fonts() {
        for ok in [
            "Société Générale — « Œuvres » d’été",
            "1\u{202f}000,00\u{a0}€ · £ · ß · Ελλάδα · Москва",
            "Ligne 1\nLigne 2\tfin",
        ] {
            assert_eq!(printable("name", ok.to_string()).unwrap(), ok);
        }
        for (bad, code) in [("Café 🦀", "U+1F980"), ("株式会社", "U+682A")] {
            let e = printable("name", bad.to_string()).unwrap_err();
            match e {
                Error::Invalid {
                    msg: Msg::Unprintable { character, code: c },
                    ..
                } => {
                    assert_eq!(c, code);
                    assert!(bad.contains(&character));
                }
                e => panic!("{e}"),
            }
        }
        let e = required_identifier("reference", "CLI🦀", 40).unwrap_err();
        assert!(e.to_string().contains("U+1F980"), "{e}");
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.fr",
            "compta.client+x@sub.example.com",
            "",
            "evelyne@café.fr",
        ] {
            assert!(optional_email("e", ok).is_ok(), "{ok}");
        }
        // An accented local part needs SMTPUTF8: refused, saying so.
        assert!(matches!(
            optional_email("e", "évelyne@cafe.fr"),
            Err(Error::Invalid {
                msg: Msg::EmailLocalNotAscii,
                ..
            })
        ));
        assert_eq!(
            email_for_header("e", "evelyne@café.fr").unwrap(),
            "evelyne@xn--caf-dma.fr"
        );
        assert_eq!(email_for_header("e", "a@b.fr").unwrap(), "a@b.fr");
        for bad in [
            "a@b", "@b.fr", "a b@c.fr", "a@@b.fr", "a@b..fr", "<a>@b.fr", "a@.fr",
        ] {
            assert!(optional_email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(parse_date("d", "2026-03-31").unwrap(), d);
        assert_eq!(parse_date("d", "31/03/2026").unwrap(), d);
        assert_eq!(parse_date("d", "31.03.2026").unwrap(), d);
        for bad in [
            "2026-02-30",
            "31/04/2026",
            "32/01/2026",
            "2026/13/01",
            "yesterday",
            "26-3-31",
        ] {
            assert!(parse_date("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers() {
        assert!(iban("i", "FR76 3000 6000 0112 3456 7890 189").is_ok());
        assert!(iban("i", "FR76 3000 6000 0112 3456 7890 188").is_err());
        assert!(iban("i", "GB82 WEST 1234 5698 7654 32").is_ok());
        assert!(bic("b", "BNPAFRPP").is_ok());
        assert!(bic("b", "BNPAFRPPXXX").is_ok());
        assert!(bic("b", "BNP").is_err());
        assert!(siren("s", "732 829 320").is_ok());
        // A French VAT number's key is computed from its SIREN.
        assert_eq!(vat("v", "FR 44 732829320").unwrap(), "FR44732829320");
        assert!(vat("v", "FR45732829320").is_err());
        assert!(vat("v", "DE123456789").is_ok());
        assert!(siren("s", "732 829 321").is_err());
        assert!(siret("s", "732 829 320 00074").is_ok());
        assert!(siret("s", "732 829 320 00075").is_err());
        assert!(vat("v", "FR 40 303 265 045").is_ok());
        assert!(vat("v", "40303265045").is_err());
        assert!(uk_company_number("u", "SC123456").is_ok());
        assert!(uk_company_number("u", "1234").is_err());
    }

    #[test]
    fn names_refuse_markup_and_control_characters() {
        assert!(required_name("n", "Dupont & Fils", 100).is_ok());
        assert!(required_name("n", "<script>alert(1)</script>", 100).is_err());
        assert!(required_name("n", "  ", 100).is_err());
        assert!(required_name("n", "a\u{0}b", 100).is_err());
        assert!(multiline("a", "12 rue X\nBât. B", 100).is_ok());
    }

    /// `T1` and `Ｔ1` (full-width), or with a zero-width space or a no-break space, were
    /// four customers; a right-to-left override was accepted in a name.
    #[test]
    fn look_alike_identifiers_are_one_and_bidi_overrides_are_refused() {
        for typed in ["T1", "Ｔ1", "T\u{200B}1", " T1\u{FEFF}", "\u{00AD}T1"] {
            assert_eq!(
                required_identifier("r", typed, 40).unwrap(),
                "T1",
                "{typed:?}"
            );
        }
        assert_eq!(identifier_key("F\u{00A0}2026\u{202F}1"), "F 2026 1");
        for hostile in ["Acme\u{202E}lanruoj", "\u{2066}x\u{2069}"] {
            for r in [
                required_line("name", hostile, 100),
                multiline("notes", hostile, 100),
                required_identifier("r", hostile, 40),
            ] {
                assert!(
                    matches!(
                        r,
                        Err(Error::Invalid {
                            msg: Msg::BidiControl,
                            ..
                        })
                    ),
                    "{hostile:?}"
                );
            }
        }
        // Ordinary accents and scripts are untouched.
        assert_eq!(
            required_line("name", "Société Générale — Zürich", 100).unwrap(),
            "Société Générale — Zürich"
        );
        assert_eq!(multiline("notes", "مرحبا", 100).unwrap(), "مرحبا");
    }
}
