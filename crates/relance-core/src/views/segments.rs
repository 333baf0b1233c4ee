//! Segments: which kind of payer each customer is, by explicit rules over their profile
//! (see [`super::profile`]), with thresholds the owner can change in Settings.
//!
//! The rules, first match wins:
//! 1. **In dispute**: an invoice is disputed right now.
//! 2. **At risk**: over the credit limit, a promise broken, or lateness growing by at least
//!    `segment_trend_days` (last 6 months against the 6 before).
//! 3. **New**: fewer than `segment_min_paid` paid invoices: too little history to judge.
//! 4. **Good payer**: days late weighted by amount at most `segment_good_days`.
//! 5. **Slow payer**: days late weighted by amount at least `segment_slow_days`.
//! 6. **Forgetful**: between the two, and pays within `segment_forgetful_days` of the first
//!    reminder, or was never reminded; otherwise **Slow payer**.

use super::profile::Profile;
use crate::error::{Error, Lang, Msg, Result};
use crate::store::sql::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    New,
    GoodPayer,
    Forgetful,
    SlowPayer,
    AtRisk,
    InDispute,
}

impl Segment {
    pub const ALL: [Segment; 6] = [
        Segment::New,
        Segment::GoodPayer,
        Segment::Forgetful,
        Segment::SlowPayer,
        Segment::AtRisk,
        Segment::InDispute,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Segment::New => "new",
            Segment::GoodPayer => "good_payer",
            Segment::Forgetful => "forgetful",
            Segment::SlowPayer => "slow_payer",
            Segment::AtRisk => "at_risk",
            Segment::InDispute => "in_dispute",
        }
    }
    /// The segment a stored code names (`None` for a code this version does not know).
    pub fn from_code(code: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Segment::New, Lang::Fr) => "Nouveau",
            (Segment::New, Lang::En) => "New",
            (Segment::GoodPayer, Lang::Fr) => "Bon payeur",
            (Segment::GoodPayer, Lang::En) => "Good payer",
            (Segment::Forgetful, Lang::Fr) => "Distrait",
            (Segment::Forgetful, Lang::En) => "Forgetful",
            (Segment::SlowPayer, Lang::Fr) => "Payeur lent",
            (Segment::SlowPayer, Lang::En) => "Slow payer",
            (Segment::AtRisk, Lang::Fr) => "À risque",
            (Segment::AtRisk, Lang::En) => "At risk",
            (Segment::InDispute, Lang::Fr) => "En litige",
            (Segment::InDispute, Lang::En) => "In dispute",
        }
    }
}

/// The thresholds of the rules (Settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Thresholds {
    #[ts(type = "number")]
    pub min_paid: i64,
    #[ts(type = "number")]
    pub good_days: i64,
    #[ts(type = "number")]
    pub slow_days: i64,
    #[ts(type = "number")]
    pub forgetful_days: i64,
    #[ts(type = "number")]
    pub trend_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_paid: 3,
            good_days: 5,
            slow_days: 30,
            forgetful_days: 7,
            trend_days: 15,
        }
    }
}

impl Thresholds {
    /// Refuses thresholds that would make two segments overlap or leave a gap between them.
    pub fn check(self) -> Result<Thresholds> {
        if self.good_days >= self.slow_days {
            return Err(Error::invalid(
                "segment_slow_days",
                Msg::SegmentThresholds {
                    good: self.good_days,
                    slow: self.slow_days,
                },
            ));
        }
        Ok(self)
    }

    /// The thresholds stored in Settings.
    pub fn of(conn: &Connection) -> Result<Thresholds> {
        let s = crate::settings::get(conn)?;
        Ok(Thresholds {
            min_paid: s.segment_min_paid,
            good_days: s.segment_good_days,
            slow_days: s.segment_slow_days,
            forgetful_days: s.segment_forgetful_days,
            trend_days: s.segment_trend_days,
        })
    }
}

/// A customer's segment and the rule that put them there (in `lang`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Segmented {
    pub segment: Segment,
    pub name: String,
    pub rule: String,
    /// Which rule fired, whatever the language and figures ("over_limit", "trend", …).
    pub rule_code: String,
}

/// A profile's days figure ("12.5") as an exact decimal (never a float).
fn days(s: &Option<String>) -> Option<rust_decimal::Decimal> {
    s.as_deref().and_then(|x| x.parse().ok())
}

/// The segment of a profile; `over_limit` tells whether they owe more than their credit
/// limit.
pub fn segment_of(p: &Profile, over_limit: bool, t: Thresholds, lang: Lang) -> Segmented {
    let fr = lang == Lang::Fr;
    // A figure as the profile gives it (one decimal), with a decimal comma in French.
    let shown = |x: &Option<String>| {
        let v = x.clone().unwrap_or_else(|| "0.0".into());
        if fr {
            v.replace('.', ",")
        } else {
            v
        }
    };
    let done = |segment: Segment, code: &str, rule: String| Segmented {
        segment,
        name: segment.name(lang).to_string(),
        rule,
        rule_code: code.to_string(),
    };
    if p.disputes_open > 0 {
        return done(
            Segment::InDispute,
            "disputes",
            if fr {
                Lang::Fr.count(p.disputes_open, "litige en cours", "litiges en cours")
            } else {
                Lang::En.count(p.disputes_open, "open dispute", "open disputes")
            },
        );
    }
    if over_limit {
        return done(
            Segment::AtRisk,
            "over_limit",
            if fr {
                "encours au-dessus de la limite autorisée".into()
            } else {
                "owes more than the credit limit".into()
            },
        );
    }
    if p.promises_broken > 0 {
        return done(
            Segment::AtRisk,
            "promises_broken",
            if fr {
                Lang::Fr.count(
                    p.promises_broken,
                    "promesse non tenue",
                    "promesses non tenues",
                )
            } else {
                Lang::En.count(p.promises_broken, "broken promise", "broken promises")
            },
        );
    }
    if let (Some(r), Some(b)) = (days(&p.trend_recent), days(&p.trend_before)) {
        let (recent, before) = (shown(&p.trend_recent), shown(&p.trend_before));
        if r - b >= rust_decimal::Decimal::from(t.trend_days) {
            return done(
                Segment::AtRisk,
                "trend",
                if fr {
                    format!(
                        "retard en hausse : {recent} j contre {before} j (seuil +{} j)",
                        t.trend_days
                    )
                } else {
                    format!(
                        "lateness growing: {recent} days against {before} (threshold +{})",
                        t.trend_days
                    )
                },
            );
        }
    }
    if p.paid_invoices < t.min_paid {
        return done(
            Segment::New,
            "few_paid",
            if fr {
                format!(
                    "{}, moins de {}",
                    Lang::Fr.count(p.paid_invoices, "facture payée", "factures payées"),
                    t.min_paid
                )
            } else {
                format!(
                    "{}, fewer than {}",
                    Lang::En.count(p.paid_invoices, "paid invoice", "paid invoices"),
                    t.min_paid
                )
            },
        );
    }
    let late = days(&p.weighted_days_late).unwrap_or_default();
    let w = shown(&p.weighted_days_late);
    if late <= rust_decimal::Decimal::from(t.good_days) {
        return done(
            Segment::GoodPayer,
            "good",
            if fr {
                format!("{w} j de retard pondéré, au plus {}", t.good_days)
            } else {
                format!("{w} days late weighted, at most {}", t.good_days)
            },
        );
    }
    if late >= rust_decimal::Decimal::from(t.slow_days) {
        return done(
            Segment::SlowPayer,
            "slow",
            if fr {
                format!("{w} j de retard pondéré, au moins {}", t.slow_days)
            } else {
                format!("{w} days late weighted, at least {}", t.slow_days)
            },
        );
    }
    match p.delay_after_reminder {
        // Never reminded: nothing says a reminder would not work ("does not pay within N
        // days of a reminder" needs a reminder); a little late without one is forgetful.
        None if p.reminders_sent == 0 => done(
            Segment::Forgetful,
            "never_reminded",
            if fr {
                format!("{w} j de retard, sans relance envoyée : entre les deux seuils")
            } else {
                format!("{w} days late, never reminded: between the two thresholds")
            },
        ),
        Some(d) if d <= t.forgetful_days => done(
            Segment::Forgetful,
            "pays_when_reminded",
            if fr {
                format!(
                    "{w} j de retard, mais paie {d} j après la première relance (au plus {})",
                    t.forgetful_days
                )
            } else {
                format!(
                    "{w} days late, but pays {d} days after the first reminder (at most {})",
                    t.forgetful_days
                )
            },
        ),
        _ => done(
            Segment::SlowPayer,
            "slow_after_reminder",
            if fr {
                format!(
                    "{w} j de retard et ne paie pas dans les {} j d'une relance",
                    t.forgetful_days
                )
            } else {
                format!(
                    "{w} days late and does not pay within {} days of a reminder",
                    t.forgetful_days
                )
            },
        ),
    }
}

/// The owner's choice for a customer, if any: (segment, reason).
fn override_of(conn: &Connection, customer_id: i64) -> Result<Option<(Segment, String)>> {
    use crate::store::sql::OptionalExtension;
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT segment, reason FROM segment_overrides WHERE customer_id = ?1",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(code, reason)| Segment::from_code(&code).map(|s| (s, reason))))
}

/// What the owner chose, as the segment and its "rule".
fn chosen(segment: Segment, reason: &str, lang: Lang) -> Segmented {
    Segmented {
        segment,
        rule_code: "chosen".into(),
        name: segment.name(lang).to_string(),
        rule: match lang {
            Lang::Fr => format!("choisi par vous : {reason}"),
            Lang::En => format!("chosen by you: {reason}"),
        },
    }
}

/// A customer with their segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerSegment {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub segment: Segment,
    pub name: String,
    pub rule: String,
    pub rule_code: String,
}

/// Every customer's segment as of `as_of`.
pub fn all(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<CustomerSegment>> {
    let t = Thresholds::of(conn)?;
    let cur = crate::settings::default_currency(conn)?;
    // Credit limits and the owner's choices, read once.
    let limits: std::collections::HashMap<i64, i64> = conn
        .prepare(
            "SELECT id, credit_limit_minor FROM customers WHERE credit_limit_minor IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let chosen_by_owner: std::collections::HashMap<i64, (String, String)> = conn
        .prepare("SELECT customer_id, segment, reason FROM segment_overrides")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<crate::store::sql::Result<_>>()?;
    Ok(super::profile::profiles(conn, as_of, lang)?
        .into_iter()
        .map(|p| {
            let over = over_limit(&p, limits.get(&p.customer_id).copied(), cur);
            let own = chosen_by_owner
                .get(&p.customer_id)
                .and_then(|(code, reason)| Segment::from_code(code).map(|s| (s, reason)));
            let s = match own {
                Some((seg, reason)) => chosen(seg, reason, lang),
                None => segment_of(&p, over, t, lang),
            };
            CustomerSegment {
                customer: p.customer,
                customer_name: p.customer_name,
                customer_id: p.customer_id,
                segment: s.segment,
                name: s.name,
                rule: s.rule,
                rule_code: s.rule_code,
            }
        })
        .collect())
}

/// One customer's segment and the rule that fired.
pub fn of_customer(
    conn: &Connection,
    reference: &str,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Segmented> {
    let p = super::profile::profile(conn, reference, as_of, lang)?;
    if let Some((seg, reason)) = override_of(conn, p.customer_id)? {
        return Ok(chosen(seg, &reason, lang));
    }
    let cur = crate::settings::default_currency(conn)?;
    let limit: Option<i64> = conn.query_row(
        "SELECT credit_limit_minor FROM customers WHERE id = ?1",
        [p.customer_id],
        |r| r.get(0),
    )?;
    let over = over_limit(&p, limit, cur);
    Ok(segment_of(&p, over, Thresholds::of(conn)?, lang))
}

/// Whether a customer owes more than their credit limit (the profile's outstanding, in the
/// company's currency): one rule for one customer and for all.
fn over_limit(p: &Profile, limit: Option<i64>, cur: crate::money::Currency) -> bool {
    let owed = cur
        .to_minor(p.outstanding.parse().unwrap_or_default(), "owed")
        .unwrap_or(0);
    limit.is_some_and(|l| owed > l)
}

/// A customer at risk, and the sanctions proposed for the owner to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SanctionProposal {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    /// Why they are at risk (the rule that fired).
    pub rule: String,
    pub owed: String,
    pub overdue: String,
    pub currency: String,
    pub credit_limit: Option<String>,
    /// A lower limit to propose: half of the current limit or of what they owe, whichever
    /// is lower, rounded down to a hundred.
    pub proposed_limit: String,
    /// Which rule fired (see [`Segmented::rule_code`]): what "later" and "ignore" remember.
    pub rule_code: String,
}

/// How long "later" puts a proposal aside.
pub const LATER_DAYS: i64 = 7;

/// The segment spell a customer is in: since when (as the daily refresh recorded it).
fn segment_since(conn: &Connection, customer_id: i64) -> Result<Option<String>> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT since FROM customer_segments WHERE customer_id = ?1",
            [customer_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Puts a customer's sanction proposal aside: "later" (`ignore` false) for [`LATER_DAYS`]
/// days, or ignored with a reason (required). Recorded in their history; the proposal comes
/// back when their segment or the rule that fired changes (or, for "later", after the date).
pub fn set_aside(
    conn: &mut Connection,
    reference: &str,
    rule_code: &str,
    ignore: bool,
    reason: &str,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let id = crate::customers::id_by_ref(conn, "customer", reference)?;
    let reason = if ignore {
        crate::validate::required_line("reason", reason, 300)?
    } else {
        crate::validate::optional_line("reason", reason, 300)?
    };
    let rule_code = crate::validate::required_line("rule", rule_code, 40)?;
    let tx = conn.transaction()?;
    let since = segment_since(&tx, id)?;
    let until = (!ignore).then(|| as_of + chrono::Duration::days(LATER_DAYS));
    tx.execute(
        "INSERT INTO proposal_decisions (customer_id, rule_code, segment_since, decision, until_date, reason, on_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        crate::store::sql::params![
            id,
            rule_code,
            since,
            if ignore { "ignored" } else { "later" },
            until.map(|d| d.to_string()),
            reason,
            as_of.to_string()
        ],
    )?;
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    entry.action = Some("proposal_aside".into());
    entry.note = match (lang, until) {
        (Lang::Fr, Some(d)) => format!(
            "Sanction proposée mise de côté jusqu'au {}",
            d.format("%d/%m/%Y")
        ),
        (Lang::En, Some(d)) => {
            format!("Proposed sanction put aside until {}", d.format("%d/%m/%Y"))
        }
        (Lang::Fr, None) => format!("Sanction proposée ignorée : {reason}"),
        (Lang::En, None) => format!("Proposed sanction ignored: {reason}"),
    };
    crate::journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

/// Whether the latest decision on this customer's proposal still holds: same rule, same
/// segment spell, and "ignored" or "later" not yet past.
fn put_aside(
    conn: &Connection,
    customer_id: i64,
    rule_code: &str,
    as_of: chrono::NaiveDate,
) -> Result<bool> {
    use crate::store::sql::OptionalExtension;
    let last: Option<(String, Option<String>, String, Option<chrono::NaiveDate>)> = conn
        .query_row(
            "SELECT rule_code, segment_since, decision, until_date FROM proposal_decisions
             WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((rule, since, decision, until)) = last else {
        return Ok(false);
    };
    let same = rule == rule_code && since == segment_since(conn, customer_id)?;
    let holds = decision == "ignored" || until.is_some_and(|u| u > as_of);
    Ok(same && holds)
}

/// The customers at risk who are not on hold yet: each with the sanctions to propose
/// (on Today, as decisions: never applied automatically).
pub fn sanctions(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<SanctionProposal>> {
    let cur = crate::settings::default_currency(conn)?;
    let mut out = Vec::new();
    for c in all(conn, as_of, lang)?
        .into_iter()
        .filter(|c| c.segment == Segment::AtRisk)
    {
        let customer = crate::customers::get(conn, c.customer_id)?;
        if customer.on_hold
            || customer.archived_on.is_some()
            || put_aside(conn, c.customer_id, &c.rule_code, as_of)?
        {
            continue;
        }
        let (owed, overdue): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(total_minor - settled_minor), 0),
                    COALESCE(SUM(CASE WHEN due_date < ?3 THEN total_minor - settled_minor END), 0)
             FROM invoices WHERE customer_id = ?1 AND currency = ?2 AND settled_minor < total_minor",
            crate::store::sql::params![c.customer_id, cur.code(), as_of.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let limit: Option<i64> = conn.query_row(
            "SELECT credit_limit_minor FROM customers WHERE id = ?1",
            [c.customer_id],
            |r| r.get(0),
        )?;
        let hundred = 100 * 10i64.pow(cur.digits());
        let base = limit.map_or(owed, |l| l.min(owed));
        let proposed = (base / 2) / hundred * hundred;
        out.push(SanctionProposal {
            customer: c.customer,
            customer_name: c.customer_name,
            customer_id: c.customer_id,
            rule: c.rule,
            owed: cur.minor_to_string(owed),
            overdue: cur.minor_to_string(overdue),
            currency: cur.code().to_string(),
            credit_limit: limit.map(|l| cur.minor_to_string(l)),
            proposed_limit: cur.minor_to_string(proposed),
            rule_code: c.rule_code,
        });
    }
    Ok(out)
}

/// The aged balance by segment: one line per segment (its code as `customer`, its name as
/// `customer_name`), the same totals as by customer.
pub fn aged_by_segment(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    currency: Option<&str>,
    lang: Lang,
) -> Result<super::aged::AgedBalance> {
    let by_customer = super::aged::aged_balance(conn, as_of, currency)?;
    let cur = crate::money::Currency::parse(&by_customer.currency)?;
    let seg: std::collections::HashMap<i64, Segment> = all(conn, as_of, lang)?
        .into_iter()
        .map(|c| (c.customer_id, c.segment))
        .collect();
    let minor = |s: &str| -> Result<i64> { cur.to_minor(cur.parse_amount(s, "amount")?, "amount") };
    let mut sums: Vec<(Segment, [i64; 6])> = Segment::ALL.iter().map(|s| (*s, [0; 6])).collect();
    for r in &by_customer.rows {
        let s = seg.get(&r.customer_id).copied().unwrap_or(Segment::New);
        let cells = r.amounts();
        let slot = &mut sums
            .iter_mut()
            .find(|(x, _)| *x == s)
            .expect("every segment")
            .1;
        for (acc, c) in slot.iter_mut().zip(cells) {
            *acc = crate::money::checked_total([*acc, minor(c)?])?;
        }
    }
    let rows = sums
        .into_iter()
        .filter(|(_, a)| a[5] != 0)
        .map(|(s, a)| {
            super::aged::AgedRow::from_minor(
                cur,
                s.code().to_string(),
                s.name(lang).to_string(),
                0,
                a,
            )
        })
        .collect();
    Ok(super::aged::AgedBalance {
        rows,
        ..by_customer
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::profile::Sources;

    #[test]
    fn a_proposal_put_aside_comes_back_after_later_or_when_its_segment_or_rule_changes() {
        let mut conn = crate::open_in_memory().unwrap();
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let today = day("2026-11-22");
        crate::demo::load(&mut conn, today).unwrap();
        crate::daily::refresh_segments(&mut conn, today).unwrap();
        let ids = |c: &Connection, d| -> Vec<String> {
            sanctions(c, d, Lang::Fr)
                .unwrap()
                .into_iter()
                .map(|p| p.customer)
                .collect()
        };
        let first = sanctions(&conn, today, Lang::Fr).unwrap();
        let p = first
            .iter()
            .find(|p| p.customer == "TRAI12")
            .expect("TRAI12 at risk");
        // Later: a week aside, back on the eighth day.
        set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            false,
            "",
            Lang::Fr,
            today,
        )
        .unwrap();
        assert!(!ids(&conn, today).contains(&"TRAI12".to_string()));
        assert!(!ids(&conn, day("2026-11-28")).contains(&"TRAI12".to_string()));
        assert!(ids(&conn, day("2026-11-29")).contains(&"TRAI12".to_string()));
        // Ignored: a reason is required; then aside for good while nothing changes.
        assert!(set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            true,
            " ",
            Lang::Fr,
            today
        )
        .is_err());
        set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            true,
            "Client historique",
            Lang::Fr,
            today,
        )
        .unwrap();
        assert!(!ids(&conn, day("2027-01-30")).contains(&"TRAI12".to_string()));
        let history = crate::journal::for_customer(
            &conn,
            crate::customers::id_by_ref(&conn, "c", "TRAI12").unwrap(),
            1,
        )
        .unwrap();
        assert_eq!(
            history[0].note,
            "Sanction proposée ignorée : Client historique"
        );
        // A new spell in the segment (they left it and came back): the proposal is back.
        conn.execute(
            "UPDATE customer_segments SET since = '2026-12-01' WHERE customer_id =
               (SELECT id FROM customers WHERE reference = 'TRAI12')",
            [],
        )
        .unwrap();
        assert!(ids(&conn, today).contains(&"TRAI12".to_string()));
    }

    /// `customers` (a lower floor) keeps its own list of the codes an owner may choose: it
    /// must name exactly these segments, in this order, and each code must read back.
    #[test]
    fn the_codes_an_owner_may_choose_are_the_segments() {
        assert_eq!(
            Segment::ALL.map(Segment::code),
            crate::customers::SEGMENT_CODES
        );
        for s in Segment::ALL {
            assert_eq!(Segment::from_code(s.code()), Some(s));
        }
        assert_eq!(Segment::from_code("gone"), None);
    }

    fn profile(paid: i64, weighted: &str, after_reminder: Option<i64>) -> Profile {
        Profile {
            customer: "C".into(),
            customer_name: "C".into(),
            customer_id: 1,
            currency: "EUR".into(),
            invoices: paid,
            billed: "0.00".into(),
            paid_invoices: paid,
            weighted_days_late: Some(weighted.into()),
            median_days_late: None,
            on_time_share: None,
            overdue: "0.00".into(),
            outstanding: "0.00".into(),
            pay_day: None,
            pay_day_text: None,
            delay_after_reminder: after_reminder,
            reminders_sent: i64::from(after_reminder.is_some()),
            promises_kept: 0,
            promises_broken: 0,
            disputes: 0,
            disputes_open: 0,
            trend_recent: None,
            trend_before: None,
            dso: None,
            sources: Sources::default(),
        }
    }

    #[test]
    fn rules_in_order_with_the_rule_that_fired() {
        let t = Thresholds::default();
        let seg = |p: &Profile| segment_of(p, false, t, Lang::En).segment;
        assert_eq!(seg(&profile(2, "0.0", None)), Segment::New);
        assert_eq!(seg(&profile(5, "5.0", None)), Segment::GoodPayer);
        assert_eq!(seg(&profile(5, "12.0", Some(4))), Segment::Forgetful);
        assert_eq!(seg(&profile(5, "12.0", Some(20))), Segment::SlowPayer);
        // Between the thresholds and never reminded: not "does not pay after a reminder";
        // reminded and still unpaid: slow.
        assert_eq!(seg(&profile(5, "6.0", None)), Segment::Forgetful);
        let mut reminded = profile(5, "6.0", None);
        reminded.reminders_sent = 2;
        assert_eq!(seg(&reminded), Segment::SlowPayer);
        assert_eq!(seg(&profile(5, "30.0", Some(1))), Segment::SlowPayer);
        let mut p = profile(5, "1.0", None);
        p.promises_broken = 1;
        assert_eq!(seg(&p), Segment::AtRisk);
        p.disputes_open = 1;
        let s = segment_of(&p, false, t, Lang::Fr);
        assert_eq!(
            (s.segment, s.rule.as_str()),
            (Segment::InDispute, "1 litige en cours")
        );
        let mut q = profile(5, "10.0", Some(2));
        q.trend_recent = Some("40.0".into());
        q.trend_before = Some("10.0".into());
        assert_eq!(seg(&q), Segment::AtRisk);
        assert_eq!(
            segment_of(&profile(5, "1.0", None), true, t, Lang::En).segment,
            Segment::AtRisk
        );
        // On the demo, every customer gets a segment and its rule; thresholds are settings.
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, crate::test_support::day("2026-11-22")).unwrap();
        let all = all(&conn, crate::test_support::day("2026-11-22"), Lang::Fr).unwrap();
        assert_eq!(all.len(), 25);
        // By segment: the same grand total, each segment's line the sum of its customers'.
        let by = aged_by_segment(
            &conn,
            crate::test_support::day("2026-11-22"),
            None,
            Lang::Fr,
        )
        .unwrap();
        let plain =
            crate::views::aged::aged_balance(&conn, crate::test_support::day("2026-11-22"), None)
                .unwrap();
        assert_eq!(by.totals, plain.totals);
        let c = |s: &str| {
            crate::money::Currency::EUR
                .to_minor(s.parse().unwrap(), "x")
                .unwrap()
        };
        assert_eq!(
            by.rows.iter().map(|r| c(&r.total)).sum::<i64>(),
            c(&plain.totals.total)
        );
        assert!(all.iter().all(|c| !c.rule.is_empty()));
        let e = crate::settings::set(&conn, "segment_good_days", "40").unwrap_err();
        assert!(e.message(Lang::Fr).contains("Seuils incohérents"), "{e:?}");
        crate::settings::set(&conn, "segment_slow_days", "60").unwrap();
        crate::settings::set(&conn, "segment_good_days", "40").unwrap();
        assert_eq!(Thresholds::of(&conn).unwrap().good_days, 40);
        // The owner's choice wins, with its reason; without a reason it is refused; "rules"
        // gives the customer back to the rules. Each is in the history.
        let e = crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            Some("at_risk"),
            " ",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("reason"));
        crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            Some("at_risk"),
            "Changement de gérant",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap();
        let s = of_customer(
            &conn,
            "BOUL01",
            crate::test_support::day("2026-11-22"),
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(
            (s.segment, s.rule.as_str()),
            (Segment::AtRisk, "choisi par vous : Changement de gérant")
        );
        crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            None,
            "",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap();
        assert_ne!(
            of_customer(
                &conn,
                "BOUL01",
                crate::test_support::day("2026-11-22"),
                Lang::Fr
            )
            .unwrap()
            .segment,
            Segment::AtRisk
        );
        let notes: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM journal WHERE action = 'segment'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(notes, 2);
        // Thresholds that overlap are refused.
        let bad = Thresholds {
            good_days: 30,
            slow_days: 30,
            ..t
        };
        assert!(bad.check().is_err());
    }
}
