//! Reference rates for late-payment interest: the central banks' decisions shipped with the
//! product (`data/reference-rates.csv`, embedded in the binary) and the decisions the owner
//! enters after them (table `rate_decisions`), plus the French legal rate for private
//! individuals, which the owner enters per half-year.
//!
//! A rate is an exact `Decimal` percent in Rust and an INTEGER (percent × 10,000) in SQL.

use crate::error::{Error, Msg, Result};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The shipped table, checked to February 2026 (see its header).
const SHIPPED: &str = include_str!("../data/reference-rates.csv");

/// A rate series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// ECB main refinancing operations rate (EU directive, Code de commerce L441-10).
    EcbMro,
    /// Bank of England Bank Rate (Late Payment of Commercial Debts (Interest) Act 1998).
    BoeBankRate,
    /// French legal interest rate for creditors' claims on private individuals.
    FrLegalIndividual,
    /// French legal interest rate for the other cases (professionals), per half-year: a
    /// contractual late-payment rate may not be below three times it (L441-10).
    FrLegalProfessional,
}

impl Series {
    pub const ALL: [Series; 4] = [
        Series::EcbMro,
        Series::BoeBankRate,
        Series::FrLegalIndividual,
        Series::FrLegalProfessional,
    ];

    /// The series in words, for warnings and help.
    pub fn label(self, lang: crate::error::Lang) -> &'static str {
        crate::error::series_label(self.code(), lang).expect("every series has its words")
    }

    pub fn code(self) -> &'static str {
        match self {
            Series::EcbMro => "ecb_mro",
            Series::BoeBankRate => "boe_bank_rate",
            Series::FrLegalIndividual => "fr_legal_individual",
            Series::FrLegalProfessional => "fr_legal_professional",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Series> {
        Series::ALL
            .into_iter()
            .find(|x| x.code() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    Msg::OneOf(Series::ALL.iter().map(|x| x.code()).collect()),
                )
            })
    }
}

/// One decision: `rate` percent, in force from `effective` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RateChange {
    pub series: Series,
    pub effective: NaiveDate,
    /// Percent, as a decimal string in JSON ("2.15").
    #[ts(type = "string")]
    pub rate: Decimal,
    /// True when the owner entered it (false: shipped with the product).
    pub entered: bool,
}

/// Every series' decisions, sorted by series then date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTable {
    changes: Vec<RateChange>,
}

fn parse_shipped() -> Vec<RateChange> {
    SHIPPED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("series") && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split(',');
            let (s, d, r) = (it.next(), it.next(), it.next());
            RateChange {
                series: Series::parse("series", s.unwrap_or("")).expect("shipped series"),
                effective: d.unwrap_or("").parse().expect("shipped date"),
                rate: r.unwrap_or("").trim().parse().expect("shipped rate"),
                entered: false,
            }
        })
        .collect()
}

impl RateTable {
    /// The shipped decisions only (tests, and a database without entries).
    pub fn shipped() -> RateTable {
        RateTable::from_changes(parse_shipped())
    }

    /// Builds a table from decisions; an entered decision replaces a shipped one of the same
    /// series and date.
    pub fn from_changes(mut changes: Vec<RateChange>) -> RateTable {
        changes.sort_by(|a, b| {
            (a.series, a.effective, a.entered).cmp(&(b.series, b.effective, b.entered))
        });
        // Keep the last of each (series, date): entered sorts after shipped.
        let mut out: Vec<RateChange> = Vec::with_capacity(changes.len());
        for c in changes {
            match out.last_mut() {
                Some(last) if last.series == c.series && last.effective == c.effective => *last = c,
                _ => out.push(c),
            }
        }
        RateTable { changes: out }
    }

    /// The shipped decisions and the owner's.
    pub fn load(conn: &Connection) -> Result<RateTable> {
        let mut changes = parse_shipped();
        let mut stmt = conn.prepare_cached(
            "SELECT series, effective, rate_e4 FROM rate_decisions ORDER BY series, effective",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, NaiveDate>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (s, effective, e4) = row?;
            changes.push(RateChange {
                series: Series::parse("series", &s)?,
                effective,
                rate: Decimal::new(e4, 4).normalize(),
                entered: true,
            });
        }
        Ok(RateTable::from_changes(changes))
    }

    /// The rate of `series` in force on `day`, if any decision precedes it.
    pub fn on(&self, series: Series, day: NaiveDate) -> Option<Decimal> {
        self.changes
            .iter()
            .rfind(|c| c.series == series && c.effective <= day)
            .map(|c| c.rate)
    }

    /// The date of the last known decision of `series`.
    pub fn last_decision(&self, series: Series) -> Option<NaiveDate> {
        self.changes
            .iter()
            .rfind(|c| c.series == series)
            .map(|c| c.effective)
    }

    pub fn changes(&self) -> &[RateChange] {
        &self.changes
    }
}

/// The day the shipped table was last checked against the central banks' decisions (its
/// header): a rate is stale only six months after the later of this day and its last
/// decision.
pub fn shipped_checked_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 28).expect("valid")
}

/// Records a decision the owner read from the central bank (or the legal rate of a
/// half-year), between 0 and 100 %. Refused: the date of a shipped decision of that series
/// (the published figure stands), and a second entry on the same date (remove it first).
pub fn add(conn: &Connection, series: &str, effective: &str, rate: &str) -> Result<RateChange> {
    let series = Series::parse("series", series)?;
    let effective = v::parse_date("effective", effective)?;
    let rate = v::rate("rate", rate)?;
    if let Some(shipped) = parse_shipped()
        .into_iter()
        .find(|c| c.series == series && c.effective == effective)
    {
        return Err(Error::invalid(
            "effective",
            Msg::RateOnShippedDate {
                series: series.code().into(),
                date: effective.to_string(),
                rate: shipped.rate.normalize().to_string(),
            },
        ));
    }
    let existing: Option<i64> = conn
        .query_row(
            "SELECT rate_e4 FROM rate_decisions WHERE series = ?1 AND effective = ?2",
            params![series.code(), effective.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(e4) = existing {
        return Err(Error::invalid(
            "effective",
            Msg::RateAlreadyEntered {
                series: series.code().into(),
                date: effective.to_string(),
                rate: Decimal::new(e4, 4).normalize().to_string(),
            },
        ));
    }
    conn.execute(
        "INSERT INTO rate_decisions (series, effective, rate_e4) VALUES (?1, ?2, ?3)",
        params![series.code(), effective.to_string(), to_e4(rate)],
    )?;
    Ok(RateChange {
        series,
        effective,
        rate,
        entered: true,
    })
}

/// Removes an entered decision (shipped ones cannot be removed).
pub fn remove(conn: &Connection, series: &str, effective: &str) -> Result<()> {
    let series = Series::parse("series", series)?;
    let effective = v::parse_date("effective", effective)?;
    let n = conn.execute(
        "DELETE FROM rate_decisions WHERE series = ?1 AND effective = ?2",
        params![series.code(), effective.to_string()],
    )?;
    if n == 0 {
        return Err(Error::NotFound {
            what: "rate decision",
            key: format!("{} {effective}", series.code()),
        });
    }
    Ok(())
}

fn to_e4(rate: Decimal) -> i64 {
    i64::try_from((rate * Decimal::from(10_000)).trunc()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_table_answers_the_rate_in_force() {
        let t = RateTable::shipped();
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(t.on(Series::EcbMro, d("2025-06-10")), Some(dec("2.40")));
        assert_eq!(t.on(Series::EcbMro, d("2025-06-11")), Some(dec("2.15")));
        assert_eq!(t.on(Series::EcbMro, d("2023-01-01")), Some(dec("2.50")));
        assert_eq!(
            t.on(Series::BoeBankRate, d("2024-12-31")),
            Some(dec("4.75"))
        );
        assert_eq!(
            t.on(Series::BoeBankRate, d("2025-12-18")),
            Some(dec("3.75"))
        );
        assert_eq!(t.on(Series::EcbMro, d("2010-01-01")), None);
        assert_eq!(t.last_decision(Series::EcbMro), Some(d("2025-06-11")));
        assert_eq!(t.on(Series::FrLegalIndividual, d("2026-01-01")), None);
    }

    #[test]
    fn entered_decisions_extend_and_replace() {
        let conn = crate::open_in_memory().unwrap();
        add(&conn, "ecb_mro", "2026-03-18", "1,90 %").unwrap();
        // A shipped decision's date, and a second entry on one date, are refused.
        assert!(add(&conn, "ecb_mro", "2025-06-11", "100").is_err());
        assert!(add(&conn, "ecb_mro", "2026-03-18", "2").is_err());
        assert!(add(&conn, "ecb_mro", "2026-01-01", "-0.5").is_err());
        add(&conn, "fr_legal_professional", "2026-01-01", "6.67").unwrap();
        let t = RateTable::load(&conn).unwrap();
        assert_eq!(
            t.on(Series::EcbMro, d("2026-04-01")).unwrap().to_string(),
            "1.9"
        );
        assert_eq!(
            t.on(Series::EcbMro, d("2025-06-11")).unwrap().to_string(),
            "2.15"
        );
        assert_eq!(t.last_decision(Series::EcbMro), Some(d("2026-03-18")));
        for bad in ["abc", "2.12345", "150", ""] {
            assert!(add(&conn, "ecb_mro", "2026-01-01", bad).is_err(), "{bad}");
        }
        assert!(add(&conn, "libor", "2026-01-01", "1").is_err());
        remove(&conn, "ecb_mro", "2026-03-18").unwrap();
        assert!(remove(&conn, "ecb_mro", "2026-03-18").is_err());
    }
}
