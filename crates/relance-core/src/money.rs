//! Exact money. Amounts are `rust_decimal::Decimal` in Rust and INTEGER minor units in SQLite.
//! A [`Currency`] knows its ISO 4217 code and how many decimals it allows; converting an
//! amount to minor units refuses anything finer than that instead of rounding silently.

use crate::error::{Error, Lang, Msg, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A sum in one currency (decimal string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Amount {
    pub currency: String,
    pub amount: String,
}

impl Amount {
    /// Formats `minor` units of `currency` at the edge (the engine keeps minor units inside).
    pub fn of(currency: Currency, minor: i64) -> Amount {
        Amount {
            currency: currency.code().to_string(),
            amount: currency.minor_to_string(minor),
        }
    }
}

/// ISO 4217 currencies Relance accepts, with their number of minor-unit digits.
const CURRENCIES: &[(&str, u32)] = &[
    ("EUR", 2),
    ("GBP", 2),
    ("USD", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("NZD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("BGN", 2),
    ("MAD", 2),
    ("XOF", 0),
    ("XAF", 0),
    ("XPF", 0),
    ("JPY", 0),
    ("TND", 3),
    ("KWD", 3),
    ("BHD", 3),
    ("CNY", 2),
    ("HKD", 2),
    ("SGD", 2),
    ("INR", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("ZAR", 2),
    ("TRY", 2),
    ("AED", 2),
    ("ILS", 2),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    digits: u32,
}

impl Currency {
    pub const EUR: Currency = Currency {
        code: "EUR",
        digits: 2,
    };

    /// Looks up an ISO code (case-insensitive, surrounding spaces ignored; "€", "£", "$" accepted).
    pub fn parse(s: &str) -> Result<Currency> {
        let up = s.trim().to_ascii_uppercase();
        let code = match up.as_str() {
            "€" => "EUR",
            "£" => "GBP",
            "$" => "USD",
            other => other,
        };
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, digits)| Currency { code, digits })
            .ok_or_else(|| Error::invalid("currency", Msg::UnknownCurrency(s.trim().to_string())))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn digits(self) -> u32 {
        self.digits
    }

    fn symbol(self) -> Option<&'static str> {
        match self.code {
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            "USD" => Some("$"),
            _ => None,
        }
    }

    /// Converts an amount to integer minor units, refusing more decimals than allowed.
    pub fn to_minor(self, amount: Decimal, field: &str) -> Result<i64> {
        let normalized = amount.normalize();
        if normalized.scale() > self.digits {
            return Err(Error::invalid(
                field,
                Msg::TooManyDecimals {
                    currency: self.code.to_string(),
                    digits: self.digits,
                },
            ));
        }
        if amount.abs() >= Decimal::from(MAX_UNITS) {
            return Err(Error::invalid(
                field,
                Msg::AmountTooLarge(self.in_message(self.max_minor())),
            ));
        }
        let scaled = amount * Decimal::from(10i64.pow(self.digits));
        i64::try_from(scaled.trunc())
            .map_err(|_| Error::invalid(field, Msg::BadAmount(amount.to_string())))
    }

    /// The largest amount accepted, in minor units (999,999,999.99 for EUR).
    pub fn max_minor(self) -> i64 {
        MAX_UNITS * 10i64.pow(self.digits) - 1
    }

    /// Parses a typed amount in this currency. Like [`parse_amount`], except that the
    /// currency settles what a lone separator before three digits means: thousands for a
    /// currency without decimals ("1,500" yen), the decimal mark for a three-decimal one
    /// written with a dot ("1.500" dinar); for the others it stays ambiguous and is refused.
    pub fn parse_amount(self, input: &str, field: &str) -> Result<Decimal> {
        parse_amount_with(input, field, Some(self.digits))
    }

    /// Converts integer minor units back to an exact decimal with the currency's scale.
    pub fn from_minor(self, minor: i64) -> Decimal {
        Decimal::new(minor, self.digits)
    }

    /// Minor units as a plain decimal string with the currency's scale ("1234.50").
    pub fn minor_to_string(self, minor: i64) -> String {
        self.from_minor(minor).to_string()
    }

    /// Human formatting: "1 234,50 €" in French, "€1,234.50" in English.
    pub fn format_minor(self, minor: i64, lang: Lang) -> String {
        crate::error::format_amount(minor, self.digits, self.code, self.symbol(), lang)
    }

    /// An amount put in a message (a refusal): written for its reader, in their language,
    /// when the message is rendered ("il manque 1 000,00 €"), never as "1000.00".
    pub fn in_message(self, minor: i64) -> String {
        crate::error::amount_marker(minor, self.digits, self.code)
    }
}

impl Currency {
    /// An amount as a form shows it to be edited, in the user's writing and without the
    /// currency: "9 695,05" (fr), "9,695.05" (en). Parsed back by [`Currency::parse_amount`].
    pub fn input_minor(self, minor: i64, lang: Lang) -> String {
        let shown = self.format_minor(minor, lang);
        let bare = match (lang, self.symbol()) {
            (Lang::Fr, Some(sym)) => shown.trim_end_matches(sym).trim_end_matches('\u{a0}'),
            (Lang::En, Some(sym)) => shown.trim_start_matches(sym),
            (_, None) => shown.trim_end_matches(self.code).trim_end_matches('\u{a0}'),
        };
        // An English minus before the symbol: "-€5.00" becomes "-5.00".
        bare.replacen(&format!("-{}", self.symbol().unwrap_or("")), "-", 1)
            .replace('\u{202f}', " ")
    }
}

/// A rate as a form shows it: "20", "5,5", "2,15" (fr); "5.5" (en).
pub fn input_rate(rate: Decimal, lang: Lang) -> String {
    let s = rate.normalize().to_string();
    match lang {
        Lang::Fr => s.replace('.', ","),
        Lang::En => s,
    }
}

/// Every amount is below one billion units of its currency (999,999,999.99 €): far above
/// any invoice of a small business, and low enough that no realistic number of them can
/// overflow a sum (sums are checked all the same, see [`checked_total`]).
pub const MAX_UNITS: i64 = 1_000_000_000;

/// Adds minor amounts, refusing (instead of panicking or wrapping) a total that does not
/// fit: only a database written before the maximum existed can hold such amounts.
pub fn checked_total(values: impl IntoIterator<Item = i64>) -> Result<i64> {
    values
        .into_iter()
        .try_fold(0i64, i64::checked_add)
        .ok_or_else(|| Error::invalid("total", Msg::TotalTooLarge))
}

/// Parses a user-typed amount: "1234.56", "1 234,56", "1.234,56 €", "€1,234.56", "-12".
///
/// Spaces (including no-break and thin spaces), apostrophes and currency signs are ignored.
/// When both `.` and `,` appear, the last one is the decimal mark; a lone `,` is a decimal
/// mark. A lone separator followed by exactly three digits ("1,500", "1.500") is refused as
/// ambiguous, the message showing both readings: read one way or the other it is a silent
/// 1,000× error. [`Currency::parse_amount`] settles it where the currency can.
pub fn parse_amount(input: &str, field: &str) -> Result<Decimal> {
    parse_amount_with(input, field, None)
}

fn parse_amount_with(input: &str, field: &str, digits: Option<u32>) -> Result<Decimal> {
    let bad = || Error::invalid(field, Msg::BadAmount(input.trim().to_string()));
    let mut s: String = input
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\'' | '’' | '€' | '£' | '$')
        })
        .collect();
    for code in ["EUR", "GBP", "USD", "eur", "gbp", "usd"] {
        if let Some(stripped) = s.strip_suffix(code) {
            s = stripped.to_string();
        }
    }
    if s.is_empty() {
        return Err(bad());
    }
    let seps: Vec<(usize, char)> = s
        .char_indices()
        .filter(|(_, c)| matches!(c, '.' | ','))
        .collect();
    if let [(at, mark)] = seps[..] {
        let int = s[..at].trim_start_matches('-');
        let frac = &s[at + 1..];
        let grouped = frac.len() == 3
            && frac.chars().all(|c| c.is_ascii_digit())
            && (1..=3).contains(&int.len())
            && int.chars().all(|c| c.is_ascii_digit())
            && int.trim_start_matches('0').len() == int.len();
        if grouped {
            match (digits, mark) {
                (Some(0), _) => s = s.replacen(mark, "", 1),
                (Some(3), '.') => {}
                _ => {
                    let sign = if s.starts_with('-') { "-" } else { "" };
                    let small: Decimal =
                        format!("{sign}{int}.{frac}").parse().map_err(|_| bad())?;
                    return Err(Error::invalid(
                        field,
                        Msg::AmbiguousAmount {
                            input: input.trim().to_string(),
                            small: if small.normalize().scale() <= 2 {
                                format!("{:.2}", small.normalize())
                            } else {
                                small.normalize().to_string()
                            },
                            large: format!("{sign}{int}{frac}"),
                        },
                    ));
                }
            }
        }
    }
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let normalized = match (last_dot, last_comma) {
        (Some(d), Some(c)) if c > d => s.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => s.replace(',', ""),
        (None, Some(_)) => {
            if s.matches(',').count() > 1 {
                return Err(bad());
            }
            s.replace(',', ".")
        }
        _ => s,
    };
    if normalized.matches('.').count() > 1 {
        return Err(bad());
    }
    let body = normalized.strip_prefix('-').unwrap_or(&normalized);
    if body.is_empty()
        || body.starts_with('.')
        || body.ends_with('.')
        || !body.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Err(bad());
    }
    normalized.parse::<Decimal>().map_err(|_| bad())
}

/// Parses a strictly positive amount in `currency` and returns minor units.
pub fn parse_positive_minor(input: &str, currency: Currency, field: &str) -> Result<i64> {
    let amount = parse_amount(input, field)?;
    positive_minor(amount, currency, field)
}

/// Checks an exact amount is strictly positive and representable in `currency`.
pub fn positive_minor(amount: Decimal, currency: Currency, field: &str) -> Result<i64> {
    if amount <= Decimal::ZERO {
        return Err(Error::invalid(field, Msg::NotPositive));
    }
    currency.to_minor(amount, field)
}

/// A required amount typed on a form: refused when empty, not a number, zero or below, or
/// finer than `currency` allows.
pub fn required_positive_minor(currency: Currency, typed: &str, field: &str) -> Result<i64> {
    if typed.trim().is_empty() {
        return Err(Error::invalid(field, Msg::Required));
    }
    positive_minor(currency.parse_amount(typed, field)?, currency, field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_french_and_english_amounts() {
        for (input, want) in [
            ("1234.56", "1234.56"),
            ("1 234,56", "1234.56"),
            ("1\u{202f}234,56 €", "1234.56"),
            ("1.234,56", "1234.56"),
            ("€1,234.56", "1234.56"),
            ("1'234.50", "1234.50"),
            ("12", "12"),
            ("-12,5", "-12.5"),
            ("0,07", "0.07"),
            ("1500 EUR", "1500"),
        ] {
            assert_eq!(parse_amount(input, "x").unwrap(), d(want), "{input}");
        }
    }

    #[test]
    fn refuses_garbage_amounts() {
        for input in ["", "abc", "1,2,3", "1.2.3", "12a", ".5", "5.", "--3", "1e5"] {
            assert!(
                parse_amount(input, "x").is_err(),
                "{input} should be refused"
            );
        }
    }

    #[test]
    fn minor_units_are_exact_and_refuse_extra_decimals() {
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(eur.to_minor(d("1234.56"), "a").unwrap(), 123456);
        assert_eq!(eur.to_minor(d("0.10"), "a").unwrap(), 10);
        assert_eq!(eur.to_minor(d("1.500"), "a").unwrap(), 150);
        let err = eur.to_minor(d("1.234"), "a").unwrap_err();
        assert!(matches!(
            err,
            Error::Invalid {
                msg: Msg::TooManyDecimals { digits: 2, .. },
                ..
            }
        ));
        let jpy = Currency::parse("JPY").unwrap();
        assert!(jpy.to_minor(d("10.5"), "a").is_err());
        assert_eq!(jpy.to_minor(d("1050"), "a").unwrap(), 1050);
        let tnd = Currency::parse("TND").unwrap();
        assert_eq!(tnd.to_minor(d("1.234"), "a").unwrap(), 1234);
        assert_eq!(eur.from_minor(123450).to_string(), "1234.50");
    }

    /// "1,500" and "1.500" are refused with both readings (they were read as 1.50: a
    /// silent 1,000× error), unless the currency settles them.
    #[test]
    fn a_separator_before_three_digits_is_ambiguous_unless_the_currency_settles_it() {
        for (input, small, large) in [
            ("1,500", "1.50", "1500"),
            ("1.500", "1.50", "1500"),
            ("-2,250", "-2.25", "-2250"),
            ("12,345", "12.345", "12345"),
            ("999.999 €", "999.999", "999999"),
        ] {
            match parse_amount(input, "a") {
                Err(Error::Invalid {
                    msg:
                        Msg::AmbiguousAmount {
                            small: s, large: l, ..
                        },
                    ..
                }) => assert_eq!((s.as_str(), l.as_str()), (small, large), "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        let msg = Error::invalid(
            "a",
            Msg::AmbiguousAmount {
                input: "1,500".into(),
                small: "1.50".into(),
                large: "1500".into(),
            },
        );
        assert!(
            msg.message(Lang::Fr).contains("1,50 ou 1500"),
            "{}",
            msg.message(Lang::Fr)
        );
        assert!(msg.message(Lang::En).contains("1.50 or 1500"));
        // Not ambiguous: a leading zero, one or two decimals, both separators, spaces.
        for (input, want) in [
            ("0,500", "0.5"),
            ("1,5", "1.5"),
            ("1,50", "1.50"),
            ("1 500", "1500"),
            ("1.500,00", "1500.00"),
            ("1,500.00", "1500.00"),
            ("1234,567", "1234.567"),
        ] {
            assert_eq!(parse_amount(input, "a").unwrap(), d(want), "{input}");
        }
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(jpy.parse_amount("1,500", "a").unwrap(), d("1500"));
        assert_eq!(jpy.parse_amount("1.500", "a").unwrap(), d("1500"));
        assert_eq!(kwd.parse_amount("1.500", "a").unwrap(), d("1.5"));
        assert!(kwd.parse_amount("1,500", "a").is_err());
        assert!(Currency::EUR.parse_amount("1,500", "a").is_err());
        assert_eq!(Currency::EUR.parse_amount("1,50", "a").unwrap(), d("1.50"));
    }

    #[test]
    fn amounts_have_a_maximum_and_totals_never_overflow() {
        let eur = Currency::EUR;
        assert_eq!(
            eur.to_minor(d("999999999.99"), "a").unwrap(),
            99_999_999_999
        );
        for too_big in ["1000000000", "92233720368547758.07", "-1000000000"] {
            match eur.to_minor(d(too_big), "a") {
                Err(Error::Invalid {
                    msg: msg @ Msg::AmountTooLarge(_),
                    ..
                }) => {
                    assert!(msg
                        .text(Lang::Fr)
                        .contains("999\u{202f}999\u{202f}999,99\u{a0}€"))
                }
                other => panic!("{too_big}: {other:?}"),
            }
        }
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.max_minor(), 999_999_999);
        assert_eq!(checked_total([1, 2, 3]).unwrap(), 6);
        let e = checked_total([i64::MAX, 1]).unwrap_err();
        assert!(matches!(
            e,
            Error::Invalid {
                msg: Msg::TotalTooLarge,
                ..
            }
        ));
    }

    #[test]
    fn sums_of_cents_do_not_drift() {
        let eur = Currency::EUR;
        let total: i64 = (0..1000)
            .map(|_| eur.to_minor(d("0.10"), "a").unwrap())
            .sum();
        assert_eq!(eur.from_minor(total), d("100.00"));
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("").is_err());
        assert_eq!(Currency::parse(" gbp ").unwrap().code(), "GBP");
    }

    #[test]
    fn formats_per_language() {
        let eur = Currency::EUR;
        assert_eq!(eur.format_minor(123456, Lang::Fr), "1\u{202f}234,56\u{a0}€");
        assert_eq!(eur.format_minor(123456, Lang::En), "€1,234.56");
        assert_eq!(eur.format_minor(-5, Lang::En), "-€0.05");
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(chf.format_minor(100000, Lang::En), "1,000.00\u{a0}CHF");
    }

    #[test]
    fn positive_amounts_only() {
        assert!(parse_positive_minor("0", Currency::EUR, "a").is_err());
        assert!(parse_positive_minor("-1", Currency::EUR, "a").is_err());
        assert_eq!(parse_positive_minor("0,01", Currency::EUR, "a").unwrap(), 1);
    }
}
