//! How each customer really pays: a profile computed from their invoices, payments,
//! reminders, promises and disputes, every figure with the invoices it came from.
//!
//! Definitions (decisions):
//! - Figures are in the company's currency; invoices in other currencies are left out of
//!   the averages (amounts in two currencies cannot be weighted together).
//! - An invoice is paid on the date of the last payment or credit note that settled it;
//!   its days late are that date minus its due date, at least 0.
//! - Days late weighted by amount: Σ(days × total) / Σ total over the paid invoices.
//! - The usual pay day, from the dates of at least 3 payments: "at month end" when 60 % of
//!   them fall in a month's last 3 days; "on the Nth" when 60 % fall within a day of the
//!   Nth; "on Fridays" when 60 % fall on one weekday.
//! - The delay after the first reminder: for each paid invoice that got a reminder, a
//!   final notice, a formal demand or a call, the days from the first one to payment; the
//!   median.
//! - Trend: weighted days late of invoices paid in the last 6 months against the 6 before.
//! - DSO: what is owed today ÷ what was billed over the last 365 days × 365.

use crate::error::{Lang, Result};
use crate::store::sql::{params, Connection};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

/// When a customer usually pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum PayDay {
    DayOfMonth(#[ts(type = "number")] u32),
    MonthEnd,
    /// 0 = Monday … 6 = Sunday.
    Weekday(#[ts(type = "number")] u32),
}

impl PayDay {
    /// As the daily refresh stores it (`customer_segments.pay_day`, migration 39).
    pub fn code(self) -> String {
        match self {
            PayDay::MonthEnd => "month_end".into(),
            PayDay::DayOfMonth(d) => format!("day:{d}"),
            PayDay::Weekday(w) => format!("weekday:{w}"),
        }
    }

    /// What [`PayDay::code`] wrote (none for `''` or anything else).
    pub fn from_code(code: &str) -> Option<PayDay> {
        if code == "month_end" {
            return Some(PayDay::MonthEnd);
        }
        let (kind, n) = code.split_once(':')?;
        let n: u32 = n.parse().ok()?;
        match kind {
            "day" if (1..=31).contains(&n) => Some(PayDay::DayOfMonth(n)),
            "weekday" if n < 7 => Some(PayDay::Weekday(n)),
            _ => None,
        }
    }

    pub fn text(self, lang: Lang) -> String {
        const FR: [&str; 7] = [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ];
        const EN: [&str; 7] = [
            "Mondays",
            "Tuesdays",
            "Wednesdays",
            "Thursdays",
            "Fridays",
            "Saturdays",
            "Sundays",
        ];
        match (self, lang) {
            (PayDay::MonthEnd, Lang::Fr) => "paie en fin de mois".into(),
            (PayDay::MonthEnd, Lang::En) => "pays at month end".into(),
            (PayDay::DayOfMonth(d), Lang::Fr) => format!("paie le {d} du mois"),
            (PayDay::DayOfMonth(d), Lang::En) => {
                let suffix = match (d % 10, d % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                format!("pays on the {d}{suffix}")
            }
            (PayDay::Weekday(w), Lang::Fr) => format!("paie le {}", FR[w as usize % 7]),
            (PayDay::Weekday(w), Lang::En) => format!("pays on {}", EN[w as usize % 7]),
        }
    }
}

/// The invoices each figure came from (numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Sources {
    pub billed: Vec<String>,
    pub paid: Vec<String>,
    pub paid_late: Vec<String>,
    pub overdue: Vec<String>,
    pub reminded: Vec<String>,
    /// Still open though reminded (the reminder not yet answered by a payment).
    pub unanswered: Vec<String>,
    pub recent: Vec<String>,
    pub before: Vec<String>,
    pub disputed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Profile {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub currency: String,
    #[ts(type = "number")]
    pub invoices: i64,
    pub billed: String,
    #[ts(type = "number")]
    pub paid_invoices: i64,
    /// Days, one decimal ("12.5"); none before a first paid invoice.
    pub weighted_days_late: Option<String>,
    #[ts(type = "number | null")]
    pub median_days_late: Option<i64>,
    /// Percent of the paid invoices paid by their due date ("75").
    pub on_time_share: Option<String>,
    pub overdue: String,
    /// Everything still owed (due or not).
    pub outstanding: String,
    pub pay_day: Option<PayDay>,
    pub pay_day_text: Option<String>,
    #[ts(type = "number | null")]
    pub delay_after_reminder: Option<i64>,
    /// Invoices that had a reminder sent (paid or not).
    #[ts(type = "number")]
    pub reminders_sent: i64,
    /// Days since the first reminder of the open invoice reminded longest ago (as of the
    /// day): how long a reminder has gone unanswered; none when no open invoice was reminded.
    #[ts(type = "number | null")]
    pub unanswered_reminder_days: Option<i64>,
    #[ts(type = "number")]
    pub promises_kept: i64,
    #[ts(type = "number")]
    pub promises_broken: i64,
    #[ts(type = "number")]
    pub disputes: i64,
    #[ts(type = "number")]
    pub disputes_open: i64,
    /// Weighted days late over the last 6 months and the 6 before.
    pub trend_recent: Option<String>,
    pub trend_before: Option<String>,
    /// Days of sales outstanding, one decimal.
    pub dso: Option<String>,
    pub sources: Sources,
}

struct Inv {
    id: i64,
    customer_id: i64,
    number: String,
    issue: NaiveDate,
    due: NaiveDate,
    total: i64,
    settled: i64,
    /// When it was settled (the `paid_on` cache the settlement triggers keep, migration 14).
    paid_on: Option<NaiveDate>,
}

fn one_decimal(num: i128, den: i128) -> Option<String> {
    if den == 0 {
        return None;
    }
    // Rounded half up to a tenth.
    let tenths = (num * 10 * 2 + den) / (den * 2);
    Some(format!("{}.{}", tenths / 10, (tenths % 10).abs()))
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// The usual pay day from payment dates (see the module's rules).
pub fn pay_day(dates: &[NaiveDate]) -> Option<PayDay> {
    let n = dates.len();
    if n < 3 {
        return None;
    }
    let enough = |k: usize| k * 10 >= n * 6;
    let last_day = |d: NaiveDate| {
        let next = if d.month() == 12 {
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
        };
        next.map_or(31, |x| (x - Duration::days(1)).day())
    };
    if enough(
        dates
            .iter()
            .filter(|d| d.day() + 2 >= last_day(**d))
            .count(),
    ) {
        return Some(PayDay::MonthEnd);
    }
    let best_day = (1..=31u32)
        .map(|c| (dates.iter().filter(|d| d.day().abs_diff(c) <= 1).count(), c))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    if let Some((k, c)) = best_day {
        if enough(k) {
            // The day itself when it is the most frequent of the three.
            let exact = |x: u32| dates.iter().filter(|d| d.day() == x).count();
            let day = [c.saturating_sub(1).max(1), c, (c + 1).min(31)]
                .into_iter()
                .max_by_key(|x| (exact(*x), u32::MAX - x.abs_diff(c)))
                .unwrap_or(c);
            return Some(PayDay::DayOfMonth(day));
        }
    }
    let best_weekday = (0..7u32)
        .map(|w| {
            (
                dates
                    .iter()
                    .filter(|d| d.weekday().num_days_from_monday() == w)
                    .count(),
                w,
            )
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    match best_weekday {
        Some((k, w)) if enough(k) => Some(PayDay::Weekday(w)),
        _ => None,
    }
}

/// Each customer's habits only, for the cash-in forecast: the median days late of the
/// invoices they paid over the last 12 months and their usual pay day over those months
/// (the profile's rules on its most recent year: recent behaviour predicts best, and it
/// halves what the dashboard reads).
pub fn habits(conn: &Connection, as_of: NaiveDate) -> Result<Habits> {
    habits_among(conn, as_of, None)
}

/// Each customer's habits: (median days late, usual pay day), for those who have any.
pub type Habits = HashMap<i64, (i64, Option<PayDay>)>;

/// The habits of the customers `ids` only (read through the indexes by customer): what the
/// dashboard computes again for the customers whose invoices or payments changed since the
/// day's refresh.
pub fn habits_of(conn: &Connection, as_of: NaiveDate, ids: &[i64]) -> Result<Habits> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    habits_among(conn, as_of, Some(ids))
}

fn habits_among(conn: &Connection, as_of: NaiveDate, only: Option<&[i64]>) -> Result<Habits> {
    let cur = crate::settings::default_currency(conn)?;
    let asof = as_of.to_string();
    let mut late: HashMap<i64, Vec<i64>> = HashMap::new();
    // The whole ledger's statements are kept prepared; those naming customers are not.
    let prepare = |sql: &str| match only {
        None => conn.prepare_cached(sql),
        Some(_) => conn.prepare(sql),
    };
    let mut stmt = prepare(&format!(
        // Paid by the as-of date, so issued by it: no issue-date filter, and the partial
        // index invoices_paid covers the query (measured 110 ms → 6 ms on 100,000 invoices).
        "SELECT customer_id, due_date, paid_on FROM invoices
         WHERE currency = ?1 AND paid_on IS NOT NULL AND paid_on <= ?2 AND paid_on > ?3{}",
        among("customer_id", only)
    ))?;
    let year_before = (as_of - chrono::Duration::days(365)).to_string();
    for row in stmt.query_map(params![cur.code(), asof, year_before], |r| {
        Ok((r.get::<_, i64>(0)?, r.date(1)?, r.date(2)?))
    })? {
        let (c, due, paid) = row?;
        late.entry(c)
            .or_default()
            .push((paid - due).num_days().max(0));
    }
    let mut payments: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    let mut stmt = prepare(&format!(
        "SELECT customer_id, date FROM payments WHERE currency = ?1 AND date <= ?2 AND date > ?3{}",
        among("customer_id", only)
    ))?;
    for row in stmt.query_map(params![cur.code(), asof, year_before], |r| {
        Ok((r.get::<_, i64>(0)?, r.date(1)?))
    })? {
        let (c, d) = row?;
        payments.entry(c).or_default().push(d);
    }
    let mut out: Habits = HashMap::new();
    for (c, days) in late {
        out.insert(c, (median(days).unwrap_or(0), None));
    }
    for (c, dates) in payments {
        out.entry(c).or_insert((0, None)).1 = pay_day(&dates);
    }
    Ok(out)
}

/// Every customer's profile as of `as_of` (customers without invoices included), in the
/// language `lang` for the pay-day text.
pub fn profiles(conn: &Connection, as_of: NaiveDate, lang: Lang) -> Result<Vec<Profile>> {
    compute(conn, as_of, lang, None, true)
}

/// The profiles of every customer (`only` None) or of the customers `only` (those that
/// exist, each read through the indexes by customer), without the invoices each figure
/// comes from (`sources` left empty): what the segments read, the daily refresh's for
/// every customer (three million invoice numbers copied at a million invoices).
pub(crate) fn figures(
    conn: &Connection,
    as_of: NaiveDate,
    lang: Lang,
    only: Option<&[i64]>,
) -> Result<Vec<Profile>> {
    if only.is_some_and(|ids| ids.is_empty()) {
        return Ok(Vec::new());
    }
    compute(conn, as_of, lang, only, false)
}

/// One customer's profile.
pub fn profile(
    conn: &Connection,
    reference: &str,
    as_of: NaiveDate,
    lang: Lang,
) -> Result<Profile> {
    let id = crate::customers::id_by_ref(conn, "customer", reference)?;
    Ok(compute(conn, as_of, lang, Some(&[id]), true)?.remove(0))
}

/// The customers `only` as an SQL condition on `col` (` AND col IN (…)`; integers only,
/// nothing typed reaches it), or none for every customer.
pub(crate) fn among(col: &str, only: Option<&[i64]>) -> String {
    match only {
        Some([id]) => format!(" AND {col} = {id}"),
        Some(ids) => format!(" AND {col} IN ({})", crate::store::sql::id_list(ids)),
        None => String::new(),
    }
}

fn compute(
    conn: &Connection,
    as_of: NaiveDate,
    lang: Lang,
    only: Option<&[i64]>,
    sources: bool,
) -> Result<Vec<Profile>> {
    let cur = crate::settings::default_currency(conn)?;
    let filter = |col: &str| among(col, only);
    let asof = as_of.to_string();
    // Customers.
    let mut customers: Vec<(i64, String, String)> = conn
        .prepare(&format!(
            "SELECT id, reference, name FROM customers WHERE 1 = 1{} ORDER BY name",
            filter("id")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    customers.sort_by(|a, b| a.2.cmp(&b.2));
    // Invoices in the company's currency, issued by the as-of date; each customer's in due
    // date and number order below. The whole ledger's in one pass over the table: through
    // an index on the currency and issue date, each row was a random read of the table
    // (at a million invoices, 1.5 s against 0.11 s, and 1 s more to sort them all).
    let invoices: Vec<Inv> = conn
        .prepare(&match only {
            None => "SELECT id, customer_id, number, issue_date, due_date, total_minor,
                            settled_minor, paid_on
                     FROM invoices NOT INDEXED WHERE currency = ?1 AND issue_date <= ?2"
                .to_string(),
            // Some customers' through the index by customer: SQLite's planner (no
            // statistics) took the index on currency and issue date, every invoice of the
            // ledger read for a page of 50 customers (50 ms at 100,000 invoices).
            Some(_) => format!(
                "SELECT id, customer_id, number, issue_date, due_date, total_minor,
                        settled_minor, paid_on
                 FROM invoices INDEXED BY invoices_customer
                 WHERE currency = ?1 AND issue_date <= ?2{}",
                filter("customer_id")
            ),
        })?
        .query_map(params![cur.code(), asof], |r| {
            Ok(Inv {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                number: r.get(2)?,
                issue: r.date(3)?,
                due: r.date(4)?,
                total: r.get(5)?,
                settled: r.get(6)?,
                paid_on: r.date_opt(7)?,
            })
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    // The first reminder of each invoice (courtesy reminders before the due date do not count).
    let first_reminder: HashMap<i64, NaiveDate> = conn
        .prepare(&format!(
            "SELECT ji.invoice_id, MIN(j.on_date) FROM journal j JOIN journal_invoices ji ON ji.journal_id = j.id
             WHERE j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call')
               AND (j.action IN ('reminder', 'final_notice', 'formal_demand', 'call') OR j.kind = 'call')
               AND {}{}
             GROUP BY ji.invoice_id",
            crate::journal::NOT_UNDONE,
            // By the invoice's customer (an invoice moved to another customer keeps its
            // reminders), as the whole ledger's reading counts them.
            match only {
                Some(_) => format!(
                    " AND ji.invoice_id IN (SELECT id FROM invoices WHERE true{})",
                    filter("customer_id")
                ),
                None => String::new(),
            }
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.date(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    // Payment dates per customer.
    let mut payments: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT customer_id, date FROM payments WHERE currency = ?1 AND date <= ?2{}",
        filter("customer_id")
    ))?;
    for row in stmt.query_map(params![cur.code(), asof], |r| {
        Ok((r.get::<_, i64>(0)?, r.date(1)?))
    })? {
        let (c, d) = row?;
        payments.entry(c).or_default().push(d);
    }
    // Disputes per invoice.
    let mut disputes: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT d.invoice_id, COUNT(*), SUM(CASE WHEN d.resolved_on IS NULL THEN 1 ELSE 0 END)
         FROM disputes d JOIN invoices i ON i.id = d.invoice_id
         WHERE d.opened_on <= ?1{} GROUP BY d.invoice_id",
        filter("i.customer_id")
    ))?;
    for row in stmt.query_map([&asof], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (i, n, open) = row?;
        disputes.insert(i, (n, open));
    }
    // Promises kept and broken per customer.
    let mut promises: HashMap<String, (i64, i64)> = HashMap::new();
    for p in crate::dunning::promises::list(conn, as_of)? {
        let e = promises.entry(p.customer.clone()).or_default();
        match p.status {
            crate::dunning::promises::PromiseStatus::Kept => e.0 += 1,
            crate::dunning::promises::PromiseStatus::Broken => e.1 += 1,
            crate::dunning::promises::PromiseStatus::Live => {}
        }
    }
    let mut by_customer: HashMap<i64, Vec<&Inv>> = HashMap::new();
    for i in &invoices {
        by_customer.entry(i.customer_id).or_default().push(i);
    }
    let six_months = as_of - Duration::days(182);
    let twelve_months = as_of - Duration::days(365);
    let mut out = Vec::with_capacity(customers.len());
    for (id, reference, name) in customers {
        let mut list = by_customer.remove(&id).unwrap_or_default();
        if sources {
            // Listed in due date and number order, the number compared as the column's
            // NOCASE collation does (ASCII letters folded); nothing else depends on it.
            let folded = |n: &str| {
                n.bytes()
                    .map(|b| b.to_ascii_lowercase())
                    .collect::<Vec<u8>>()
            };
            list.sort_by_cached_key(|i| (i.due, folded(&i.number)));
        }
        let mut s = Sources::default();
        // The invoices each figure comes from, when asked for.
        let source = |list: &mut Vec<String>, number: &String| {
            if sources {
                list.push(number.clone());
            }
        };
        let (mut billed, mut overdue, mut open) = (0i64, 0i64, 0i64);
        let (mut w_num, mut w_den) = (0i128, 0i128);
        let (mut r_num, mut r_den, mut b_num, mut b_den) = (0i128, 0i128, 0i128, 0i128);
        let (mut days, mut after_reminder) = (Vec::new(), Vec::new());
        let (mut on_time, mut billed_year) = (0i64, 0i64);
        let (mut n_disputes, mut n_open_disputes) = (0i64, 0i64);
        let mut reminders_sent = 0i64;
        let mut unanswered: Option<i64> = None;
        for i in &list {
            billed += i.total;
            source(&mut s.billed, &i.number);
            if first_reminder.contains_key(&i.id) {
                reminders_sent += 1;
            }
            if i.issue > twelve_months {
                billed_year += i.total;
            }
            if let Some((n, o)) = disputes.get(&i.id) {
                n_disputes += n;
                n_open_disputes += o;
                source(&mut s.disputed, &i.number);
            }
            if i.settled < i.total {
                open += i.total - i.settled;
                if let Some(first) = first_reminder.get(&i.id).filter(|d| **d <= as_of) {
                    let waited = (as_of - *first).num_days();
                    unanswered = Some(unanswered.map_or(waited, |u| u.max(waited)));
                    source(&mut s.unanswered, &i.number);
                }
                if i.due < as_of {
                    overdue += i.total - i.settled;
                    source(&mut s.overdue, &i.number);
                }
                continue;
            }
            let Some(paid) = i.paid_on.filter(|d| *d <= as_of) else {
                continue;
            };
            let late = (paid - i.due).num_days().max(0);
            source(&mut s.paid, &i.number);
            days.push(late);
            if late == 0 {
                on_time += 1;
            } else {
                source(&mut s.paid_late, &i.number);
            }
            w_num += late as i128 * i.total as i128;
            w_den += i.total as i128;
            if paid > six_months {
                r_num += late as i128 * i.total as i128;
                r_den += i.total as i128;
                source(&mut s.recent, &i.number);
            } else if paid > six_months - Duration::days(182) {
                b_num += late as i128 * i.total as i128;
                b_den += i.total as i128;
                source(&mut s.before, &i.number);
            }
            if let Some(first) = first_reminder.get(&i.id).filter(|d| **d <= paid) {
                after_reminder.push((paid - *first).num_days());
                source(&mut s.reminded, &i.number);
            }
        }
        let pd = pay_day(payments.get(&id).map(Vec::as_slice).unwrap_or(&[]));
        let (kept, broken) = promises.get(&reference).copied().unwrap_or_default();
        out.push(Profile {
            customer: reference,
            customer_name: name,
            customer_id: id,
            currency: cur.code().to_string(),
            invoices: list.len() as i64,
            billed: cur.minor_to_string(billed),
            paid_invoices: days.len() as i64,
            weighted_days_late: one_decimal(w_num, w_den),
            median_days_late: median(days.clone()),
            on_time_share: (!days.is_empty()).then(|| {
                format!(
                    "{}",
                    (on_time * 100 + days.len() as i64 / 2) / days.len() as i64
                )
            }),
            overdue: cur.minor_to_string(overdue),
            outstanding: cur.minor_to_string(open),
            pay_day: pd,
            pay_day_text: pd.map(|p| p.text(lang)),
            delay_after_reminder: median(after_reminder),
            reminders_sent,
            unanswered_reminder_days: unanswered,
            promises_kept: kept,
            promises_broken: broken,
            disputes: n_disputes,
            disputes_open: n_open_disputes,
            trend_recent: one_decimal(r_num, r_den),
            trend_before: one_decimal(b_num, b_den),
            dso: one_decimal(open as i128 * 365, billed_year as i128),
            sources: s,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::payments::{AllocationInput, PaymentInput};
    use crate::test_support::{day, inv, setup};

    fn pay(conn: &mut Connection, customer: &str, date: &str, invoice: &str, amount: &str) {
        crate::invoices::payments::record(
            conn,
            &PaymentInput {
                customer: customer.into(),
                date: date.into(),
                amount: amount.into(),
                allocations: vec![AllocationInput {
                    invoice: invoice.into(),
                    amount: amount.into(),
                }],
                ..Default::default()
            },
        )
        .unwrap();
    }

    /// The whole ledger's profiles (read in one pass over the table), the figures the
    /// segments read (no sources) and each customer's own profile (read through the
    /// indexes) agree, and each list of sources is in the order the database sorts the
    /// invoices by due date and number (mixed-case numbers due the same day among them).
    #[test]
    fn every_reading_of_a_profile_agrees() {
        let mut conn = crate::open_in_memory().unwrap();
        let today = day("2026-11-22");
        crate::demo::load(&mut conn, today).unwrap();
        for number in ["b-2", "a-1", "B-1", "A-3", "Z-0"] {
            crate::invoices::create(
                &conn,
                &inv(number, "BOUL01", "2026-10-01", "2026-11-01", "100"),
                today,
            )
            .unwrap();
        }
        let all = profiles(&conn, today, Lang::En).unwrap();
        let mut sorted = conn
            .prepare(
                "SELECT number FROM invoices WHERE customer_id = ?1 AND currency = 'EUR'
                  ORDER BY due_date, number",
            )
            .unwrap();
        for p in &all {
            let by_engine: Vec<String> = sorted
                .query_map([p.customer_id], |r| r.get(0))
                .unwrap()
                .collect::<crate::store::sql::Result<_>>()
                .unwrap();
            assert_eq!(p.sources.billed, by_engine, "{}", p.customer);
        }
        assert_eq!(all.len(), 25);
        assert!(all
            .iter()
            .any(|p| p.sources.billed.windows(2).any(|w| w == ["a-1", "A-3"])));
        let ids: Vec<i64> = all.iter().map(|p| p.customer_id).collect();
        for figures in [
            figures(&conn, today, Lang::En, None).unwrap(),
            figures(&conn, today, Lang::En, Some(&ids)).unwrap(),
        ] {
            let bare: Vec<Profile> = all
                .iter()
                .map(|p| Profile {
                    sources: Sources::default(),
                    ..p.clone()
                })
                .collect();
            assert_eq!(figures, bare);
        }
        for p in &all {
            assert_eq!(&profile(&conn, &p.customer, today, Lang::En).unwrap(), p);
        }
        assert!(all.iter().any(|p| p.sources.billed.len() > 3));
    }

    #[test]
    fn a_payer_who_always_pays_on_the_10th() {
        let mut conn = setup();
        let as_of = day("2026-07-31");
        // Monthly invoices due at month end, each paid on the 10th of the next month.
        for (n, (issue, due, paid, total)) in [
            ("2026-01-01", "2026-01-31", "2026-02-10", "100"),
            ("2026-02-01", "2026-02-28", "2026-03-10", "300"),
            ("2026-03-01", "2026-03-31", "2026-04-10", "100"),
            ("2026-04-01", "2026-04-30", "2026-05-10", "100"),
        ]
        .into_iter()
        .enumerate()
        {
            let number = format!("M{n}");
            crate::invoices::create(&conn, &inv(&number, "ACME", issue, due, total), as_of)
                .unwrap();
            pay(&mut conn, "ACME", paid, &number, total);
        }
        // One open, overdue.
        crate::invoices::create(
            &conn,
            &inv("M9", "ACME", "2026-06-01", "2026-06-30", "50"),
            as_of,
        )
        .unwrap();
        let p = profile(&conn, "ACME", as_of, Lang::En).unwrap();
        assert_eq!(p.pay_day, Some(PayDay::DayOfMonth(10)));
        assert_eq!(p.pay_day_text.as_deref(), Some("pays on the 10th"));
        assert_eq!((p.invoices, p.paid_invoices), (5, 4));
        assert_eq!(p.billed, "650.00");
        // Days late 10, 10 (28 Feb → 10 Mar), 10, 10: weighted 10.0, median 10, none on time.
        assert_eq!(p.weighted_days_late.as_deref(), Some("10.0"));
        assert_eq!(p.median_days_late, Some(10));
        assert_eq!(p.on_time_share.as_deref(), Some("0"));
        assert_eq!(p.overdue, "50.00");
        assert_eq!(p.sources.overdue, ["M9"]);
        // Billed 650 in the last year, 50 owed: DSO 50 / 650 × 365 = 28.1 days.
        assert_eq!(p.dso.as_deref(), Some("28.1"));
        assert_eq!(PayDay::DayOfMonth(10).text(Lang::Fr), "paie le 10 du mois");
        // The forecast's habits agree with the profile.
        let h = habits(&conn, as_of).unwrap();
        assert_eq!(h[&p.customer_id], (10, Some(PayDay::DayOfMonth(10))));
    }

    #[test]
    fn one_invoice_only_and_only_credit_notes() {
        let mut conn = setup();
        let as_of = day("2026-05-01");
        crate::invoices::create(
            &conn,
            &inv("A1", "ACME", "2026-03-01", "2026-03-31", "200"),
            as_of,
        )
        .unwrap();
        pay(&mut conn, "ACME", "2026-03-20", "A1", "200");
        let p = profile(&conn, "ACME", as_of, Lang::Fr).unwrap();
        assert_eq!(
            (
                p.paid_invoices,
                p.median_days_late,
                p.on_time_share.as_deref()
            ),
            (1, Some(0), Some("100"))
        );
        assert_eq!(p.pay_day, None, "one payment says nothing of a habit");
        assert_eq!(p.dso.as_deref(), Some("0.0"));
        // Settled by a credit note only: paid on the credit note's date.
        crate::invoices::create(
            &conn,
            &inv("B1", "BETA", "2026-03-01", "2026-03-31", "80"),
            as_of,
        )
        .unwrap();
        crate::invoices::credit_notes::create(
            &mut conn,
            &crate::invoices::credit_notes::CreditNoteInput {
                number: "AV1".into(),
                invoice: "B1".into(),
                date: "2026-04-05".into(),
                amount: "80".into(),
                reason: "geste".into(),
            },
        )
        .unwrap();
        let b = profile(&conn, "BETA", as_of, Lang::En).unwrap();
        assert_eq!((b.paid_invoices, b.median_days_late), (1, Some(5)));
        // No invoice at all: a profile with nothing to say.
        conn.execute("INSERT INTO customers (reference, name, kind, language) VALUES ('NEW', 'Nouveau', 'business', 'fr')", []).unwrap();
        // Another currency stays out of the figures (never weighted with euros).
        let mut gbp = inv("G1", "ACME", "2026-03-01", "2026-03-02", "999");
        gbp.currency = "GBP".into();
        crate::invoices::create(&conn, &gbp, as_of).unwrap();
        let p = profile(&conn, "ACME", as_of, Lang::Fr).unwrap();
        assert_eq!(
            (p.invoices, p.billed.as_str(), p.overdue.as_str()),
            (1, "200.00", "0.00")
        );
        let n = profile(&conn, "NEW", as_of, Lang::Fr).unwrap();
        assert_eq!((n.invoices, n.weighted_days_late, n.dso), (0, None, None));
    }

    #[test]
    fn month_end_and_weekday_payers() {
        let d = |s: &str| day(s);
        assert_eq!(
            pay_day(&[
                d("2026-01-30"),
                d("2026-02-27"),
                d("2026-03-31"),
                d("2026-04-15")
            ]),
            Some(PayDay::MonthEnd)
        );
        // Fridays on different days of the month.
        assert_eq!(
            pay_day(&[
                d("2026-01-02"),
                d("2026-01-16"),
                d("2026-02-13"),
                d("2026-03-20")
            ]),
            Some(PayDay::Weekday(4))
        );
        assert_eq!(PayDay::Weekday(4).text(Lang::En), "pays on Fridays");
        assert_eq!(
            pay_day(&[d("2026-01-02"), d("2026-01-13"), d("2026-02-23")]),
            None
        );
    }
}
