//! The dashboard beside Today: headline figures, the aged balance, a 12-week cash-in
//! forecast, the top 10 overdue customers and the DSO over 12 months, in the company's
//! currency.
//!
//! Decisions:
//! - Forecast: each open invoice is expected at its due date plus that customer's median
//!   days late (their profile), moved to their usual pay day when they have one; an invoice
//!   already overdue whose expected date has passed is the "overdue backlog", shown apart,
//!   not spread over the weeks. Weeks start on the as-of date.
//! - DSO at a month end: what was owed that day (totals of the invoices issued by then,
//!   less the payments and credit notes dated by then) ÷ what was billed over the 365 days
//!   before × 365. Computed in one pass over invoices, allocations and credit notes.

use super::aged::AgedBalance;
use super::profile::{Habits, PayDay};
use crate::error::{Lang, Result};
use crate::money::Currency;
use crate::store::sql::{params, Connection};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

/// One week of the forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ForecastWeek {
    pub start: NaiveDate,
    pub amount: String,
    /// The first [`LISTED_AT_MOST`] invoices expected that week (earliest due first).
    pub invoices: Vec<String>,
    /// How many invoices are expected that week.
    #[ts(type = "number")]
    pub count: i64,
}

/// How many invoice numbers a forecast week or the backlog lists (the count says the rest):
/// at a million invoices the backlog alone held 240,000 numbers.
pub const LISTED_AT_MOST: usize = 100;

/// A customer among those owing the most overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TopOverdue {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub overdue: String,
    #[ts(type = "number")]
    pub oldest_days: i64,
}

/// DSO at a month end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DsoPoint {
    pub month: String,
    /// Days, one decimal; none when nothing was billed over the year before.
    pub dso: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Overview {
    pub as_of: NaiveDate,
    pub currency: String,
    pub outstanding: String,
    pub overdue: String,
    /// Percent of the outstanding that is overdue ("42.5").
    pub overdue_share: String,
    pub dso: Option<String>,
    pub in_dispute: String,
    #[ts(type = "number")]
    pub promises_this_week: i64,
    pub promised_this_week: String,
    /// The aged balance's totals (`rows` empty: the Reports screen lists the customers).
    pub aged: AgedBalance,
    pub backlog: String,
    /// The first [`LISTED_AT_MOST`] invoices of the backlog (earliest due first).
    pub backlog_invoices: Vec<String>,
    #[ts(type = "number")]
    pub backlog_count: i64,
    pub forecast: Vec<ForecastWeek>,
    pub top_overdue: Vec<TopOverdue>,
    pub dso_trend: Vec<DsoPoint>,
}

fn one_decimal(num: i128, den: i128) -> Option<String> {
    if den == 0 {
        return None;
    }
    let tenths = (num * 20 + den) / (den * 2);
    Some(format!("{}.{}", tenths / 10, tenths % 10))
}

/// The day a payment expected on `d` lands for a customer who pays on `pay_day`.
fn on_pay_day(d: NaiveDate, pay_day: Option<PayDay>) -> NaiveDate {
    match pay_day {
        None => d,
        Some(PayDay::Weekday(w)) => {
            let now = d.weekday().num_days_from_monday();
            d + Duration::days(((w + 7 - now) % 7) as i64)
        }
        Some(PayDay::DayOfMonth(n)) => {
            // The Nth of the month (its last day in a shorter month), this month or next.
            let in_month = |m: NaiveDate| m.with_day(n.min(month_end(m).day())).unwrap_or(m);
            let this = in_month(d);
            if this >= d {
                this
            } else {
                in_month(month_end(d) + Duration::days(1))
            }
        }
        Some(PayDay::MonthEnd) => month_end(d),
    }
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let first_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_next.map_or(d, |f| f - Duration::days(1))
}

/// Everything the dashboard shows, as of `as_of`.
pub fn overview(conn: &Connection, as_of: NaiveDate, lang: Lang) -> Result<Overview> {
    // One moment of the ledger for every figure of the screen, on a server too: the kept
    // sums are corrected by what other statements read (the invoices issued later, those
    // written off, the window, the customers' balances).
    conn.reading_together(|| overview_at(conn, as_of, lang))
}

fn overview_at(conn: &Connection, as_of: NaiveDate, lang: Lang) -> Result<Overview> {
    let cur = crate::settings::default_currency(conn)?;
    let _ = lang;
    // From the day's refresh, with the customers changed since computed again.
    let habits = super::segments::habits(conn, as_of)?;
    let written_off = written_off(conn)?;
    let open = match kept_open(conn, cur, as_of, &habits, &written_off, FAR_AT_MOST)? {
        Some(open) => open,
        None => derived_open(conn, cur, as_of, &habits, &written_off)?,
    };
    overview_of(conn, cur, as_of, open)
}

/// The dashboard with its open-invoice figures read by their definition, one pass over every
/// open invoice of the currency: what [`overview`] must equal (the model-based test compares
/// them after every step, on several days). One moment of the ledger.
pub fn derived(conn: &Connection, as_of: NaiveDate, lang: Lang) -> Result<Overview> {
    let _ = lang;
    conn.reading_together(|| {
        let cur = crate::settings::default_currency(conn)?;
        let habits = super::segments::habits(conn, as_of)?;
        let written_off = written_off(conn)?;
        let open = derived_open(conn, cur, as_of, &habits, &written_off)?;
        overview_of(conn, cur, as_of, open)
    })
}

/// The invoices written off (few), left out of every figure but what is owed now.
fn written_off(conn: &Connection) -> Result<HashSet<i64>> {
    Ok(conn
        .prepare_cached("SELECT invoice_id FROM invoice_closures WHERE kind = 'write_off'")?
        .query_map([], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?)
}

/// Invoices expected in a span (a forecast week, the backlog): their amount, how many they
/// are, and (due date, id) of the first ones by due date ([`Listed::first`] keeps
/// [`LISTED_AT_MOST`] of them).
#[derive(Default)]
struct Listed {
    amount: i64,
    count: i64,
    invoices: Vec<(NaiveDate, i64)>,
}

impl Listed {
    fn add(&mut self, due: NaiveDate, id: i64, balance: i64) {
        self.amount += balance;
        self.count += 1;
        self.invoices.push((due, id));
    }

    /// The first [`LISTED_AT_MOST`] invoices by due date (then id).
    fn first(mut self) -> Self {
        if self.invoices.len() > LISTED_AT_MOST {
            self.invoices.select_nth_unstable(LISTED_AT_MOST);
            self.invoices.truncate(LISTED_AT_MOST);
        }
        self.invoices.sort_unstable();
        self
    }
}

/// What the dashboard shows of the open invoices: the forecast, the backlog, the totals and
/// the aged buckets (issued by the as-of date, not written off), what every open invoice of
/// the currency owes now (the DSO's), and the ten customers owing the most overdue
/// (customer, overdue, days since their oldest overdue due date).
struct Open {
    weeks: Vec<Listed>,
    backlog: Listed,
    outstanding: i64,
    overdue: i64,
    buckets: [i64; 6],
    owed_now: i64,
    top: Vec<(i64, (i64, i64))>,
}

/// The aged bucket of a balance `late` days past due (0: not yet due).
fn bucket(late: i64) -> usize {
    match late {
        i64::MIN..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// How many weeks the forecast shows.
const WEEKS: usize = 12;

/// Where an open invoice due on `due` is expected, from its customer's habits: the forecast
/// week it falls in, or the backlog; None beyond the forecast.
fn expected_in<'a>(
    weeks: &'a mut [Listed],
    backlog: &'a mut Listed,
    habits: &Habits,
    as_of: NaiveDate,
    customer_id: i64,
    due: NaiveDate,
) -> Option<&'a mut Listed> {
    let week = expected_week(habits, as_of, customer_id, due);
    if week < 0 {
        Some(backlog)
    } else {
        weeks.get_mut(week as usize)
    }
}

/// The week from `as_of` an open invoice due on `due` is expected in, from its customer's
/// habits (negative: before the day, the backlog).
fn expected_week(habits: &Habits, as_of: NaiveDate, customer_id: i64, due: NaiveDate) -> i64 {
    let (delay, pay_day) = habits.get(&customer_id).copied().unwrap_or((0, None));
    let expected = on_pay_day(due + Duration::days(delay), pay_day);
    (expected - as_of).num_days().div_euclid(7)
}

/// How many days at most a customer's habits move an invoice after its due date: the
/// delay, then up to a week to a weekday they pay on, or a month to a day of the month.
fn reach((delay, pay_day): &(i64, Option<PayDay>)) -> i64 {
    delay
        + match pay_day {
            None => 0,
            Some(PayDay::Weekday(_)) => 6,
            Some(_) => 31,
        }
}

/// The customers whose habits move an invoice furthest, at most this many, have their
/// invoices due before the forecast's window read by customer: a customer paying months
/// late then widens no window of everyone's invoices. In the bench at a million invoices,
/// after a day's statement of 37,000 payments, the furthest reached 728 days, 3,117
/// customers more than 50, and 97,619 more than 0: the window started 728 days before
/// the day (for 1,000 customers set apart, 271; for 5,000, 46: 133,000 invoices read one
/// by one, then 75,000; a far customer's invoices cost a seek by customer).
const FAR_AT_MOST: usize = 5_000;

/// The days before the as-of date whose due invoices the window reads (every customer but
/// the far ones moves an invoice by at most that), and the far customers, with their reach:
/// at most `far_at_most` of them, those reaching further than every other.
fn window_reach(habits: &Habits, far_at_most: usize) -> (i64, Vec<(i64, i64)>) {
    let mut reaches: Vec<i64> = habits.values().map(reach).collect();
    let ahead = if reaches.len() > far_at_most {
        // The reach of the first customer past the far ones, furthest first.
        *reaches
            .select_nth_unstable_by(far_at_most, |a, b| b.cmp(a))
            .1
    } else {
        0
    }
    .max(0);
    let far = habits
        .iter()
        .map(|(id, h)| (*id, reach(h)))
        .filter(|(_, r)| *r > ahead)
        .collect();
    (ahead, far)
}

/// Adds an overdue invoice to its customer's (overdue amount, days the oldest is late).
fn add_overdue(
    per_customer: &mut HashMap<i64, (i64, i64)>,
    customer: i64,
    balance: i64,
    late: i64,
) {
    let e = per_customer.entry(customer).or_insert((0, 0));
    e.0 += balance;
    e.1 = e.1.max(late);
}

/// The top ten of overdue amounts per customer: largest first, then by customer id.
fn top_ten(per_customer: impl IntoIterator<Item = (i64, (i64, i64))>) -> Vec<(i64, (i64, i64))> {
    let mut top: Vec<(i64, (i64, i64))> = per_customer.into_iter().collect();
    top.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    top.truncate(10);
    top
}

/// [`Open`] by its definition: one pass over every open invoice of the currency, from the
/// open-invoice index alone (reading each row for its number was 3 s at a million invoices).
fn derived_open(
    conn: &Connection,
    cur: Currency,
    as_of: NaiveDate,
    habits: &Habits,
    written_off: &HashSet<i64>,
) -> Result<Open> {
    let mut stmt = conn.prepare_cached(
        // No join to customers: their names are read for the top 10 only.
        // Every open invoice of the currency, issued by the as-of date or not: what the DSO
        // counts as owed now (written off or not) is summed from the same rows.
        "SELECT i.id, i.customer_id, i.due_date, i.total_minor - i.settled_minor,
                CASE WHEN i.issue_date <= ?2 THEN 1 ELSE 0 END
         FROM invoices i INDEXED BY invoices_open_aging
         WHERE i.settled_minor < i.total_minor AND i.currency = ?1",
    )?;
    let rows = stmt.query_map(params![cur.code(), as_of.to_string()], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, NaiveDate>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)? == 1,
        ))
    })?;
    let mut weeks: Vec<Listed> = (0..WEEKS).map(|_| Listed::default()).collect();
    let mut backlog = Listed::default();
    let (mut outstanding, mut overdue, mut owed_now) = (0i64, 0i64, 0i64);
    let mut per_customer: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut buckets = [0i64; 6];
    for row in rows {
        let (id, customer_id, due, balance, issued) = row?;
        owed_now += balance;
        if !issued || written_off.contains(&id) {
            continue;
        }
        outstanding += balance;
        buckets[bucket((as_of - due).num_days())] += balance;
        buckets[5] += balance;
        if due < as_of {
            overdue += balance;
            add_overdue(
                &mut per_customer,
                customer_id,
                balance,
                (as_of - due).num_days(),
            );
        }
        if let Some(span) = expected_in(&mut weeks, &mut backlog, habits, as_of, customer_id, due) {
            span.add(due, id, balance);
        }
    }
    Ok(Open {
        weeks: weeks.into_iter().map(Listed::first).collect(),
        backlog: backlog.first(),
        outstanding,
        overdue,
        buckets,
        owed_now,
        top: top_ten(per_customer),
    })
}

/// The open invoices of a currency (`?1`) due in a window (from `?2`, before `?3`), from the
/// open due dates' index alone (migration 58: reading the table's rows too was 98 ms for the
/// 88,000 invoices of the window at a million invoices, 28 ms without).
const WINDOW: &str = "SELECT id, customer_id, due_date, total_minor - settled_minor
                        FROM invoices INDEXED BY invoices_open_due
                       WHERE settled_minor < total_minor AND due_date >= ?2 AND due_date < ?3
                         AND currency = ?1";

/// An open invoice as the window and the top ten read it: id, customer, due date, balance.
fn open_row(r: &crate::store::sql::Row) -> crate::store::sql::Result<(i64, i64, NaiveDate, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// [`Open`] from the kept sums (`due_balances`, `customer_balances`: see
/// [`super::balances`]) and the few invoices they cannot place, or None where they do not
/// serve (a kept balance at the cap an invoice counts for there: older builds' totals).
///
/// The kept sums count every open invoice not written off, at its settled cache: the
/// dashboard's figures but for the invoices issued after the as-of date, read apart and
/// taken out. The totals and the aged buckets are sums over due dates. An invoice is
/// expected at its due date moved by its customer's habits, by at most the habits' largest
/// delay (and a pay day, a month at most) and at least their smallest: an invoice due
/// before the as-of date less the largest move is surely in the backlog, one due 12 weeks
/// after it less the smallest move surely beyond the forecast. Only the invoices due
/// between are read one by one (a pass over every open invoice was 260 ms at a million
/// invoices); the backlog's first ones are the earliest due, from the due dates' index. The
/// top ten: customers by their kept balance, largest first, each one's overdue invoices
/// read, until the next balance is below the tenth overdue amount found (a customer's
/// overdue amount is at most their balance).
fn kept_open(
    conn: &Connection,
    cur: Currency,
    as_of: NaiveDate,
    habits: &Habits,
    written_off: &HashSet<i64>,
    far_at_most: usize,
) -> Result<Option<Open>> {
    let code = cur.code();
    let asof = as_of.to_string();
    if super::balances::at_cap(conn, code)? {
        return Ok(None);
    }
    // The window of due dates whose invoices are read one by one, and the far customers'
    // invoices due before it, read by customer.
    let (ahead, far) = window_reach(habits, far_at_most);
    let behind = habits
        .values()
        .map(|(delay, _)| *delay)
        .min()
        .unwrap_or(0)
        .min(0);
    let low = as_of - Duration::days(ahead);
    let high = as_of + Duration::days(7 * WEEKS as i64 - behind);
    // The open invoices written off (not counted by the kept sums; owed now all the same)
    // and those issued after the as-of date (counted there, not shown here).
    let mut owed_now = 0i64;
    if !written_off.is_empty() {
        owed_now += conn.query_row(
            &format!(
                "SELECT COALESCE(SUM(total_minor - settled_minor), 0) FROM invoices
                  WHERE id IN ({}) AND settled_minor < total_minor AND currency = ?1",
                crate::store::sql::id_list(&written_off.iter().copied().collect::<Vec<_>>())
            ),
            params![code],
            |r| r.get::<_, i64>(0),
        )?;
    }
    let later: Vec<(i64, NaiveDate, i64)> = conn
        .prepare_cached(
            "SELECT id, due_date, total_minor - settled_minor
               FROM invoices INDEXED BY invoices_billing
              WHERE currency = ?1 AND issue_date > ?2 AND settled_minor < total_minor",
        )?
        .query_map(params![code, asof], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(id, _, _)| !written_off.contains(id))
        .collect();
    // The totals, the buckets and the sure backlog, per due date.
    let (mut outstanding, mut overdue) = (0i64, 0i64);
    let mut buckets = [0i64; 6];
    let mut backlog = Listed::default();
    let mut place = |due: NaiveDate, amount: i64, count: i64| {
        outstanding += amount;
        buckets[bucket((as_of - due).num_days())] += amount;
        buckets[5] += amount;
        if due < as_of {
            overdue += amount;
        }
        if due < low {
            backlog.amount += amount;
            backlog.count += count;
        }
    };
    let mut dues = conn.prepare_cached(
        "SELECT due_date, open_minor, open_count FROM due_balances WHERE currency = ?1",
    )?;
    for row in dues.query_map(params![code], |r| {
        Ok((
            r.get::<_, NaiveDate>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (due, amount, count) = row?;
        owed_now += amount;
        place(due, amount, count);
    }
    for (_, due, balance) in &later {
        place(*due, -balance, -1);
    }
    let unissued: HashSet<i64> = later.iter().map(|(id, _, _)| *id).collect();
    let mut weeks: Vec<Listed> = (0..WEEKS).map(|_| Listed::default()).collect();
    // The far customers' invoices due before the window: counted in the backlog above,
    // those expected from the day on are taken out of it (into the forecast, or beyond it).
    let mut not_behind: HashSet<i64> = HashSet::new();
    if let Some(furthest) = far.iter().map(|(_, r)| *r).max() {
        let ids: Vec<i64> = far.iter().map(|(id, _)| *id).collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT id, customer_id, due_date, total_minor - settled_minor
               FROM invoices INDEXED BY invoices_open_customer
              WHERE customer_id IN ({}) AND settled_minor < total_minor
                AND due_date >= ?2 AND due_date < ?3 AND currency = ?1",
            crate::store::sql::id_list(&ids)
        ))?;
        let from = as_of - Duration::days(furthest);
        for row in stmt.query_map(params![code, from.to_string(), low.to_string()], open_row)? {
            let (id, customer_id, due, balance) = row?;
            if unissued.contains(&id) || written_off.contains(&id) {
                continue;
            }
            let week = expected_week(habits, as_of, customer_id, due);
            if week < 0 {
                continue;
            }
            backlog.amount -= balance;
            backlog.count -= 1;
            not_behind.insert(id);
            if let Some(span) = weeks.get_mut(week as usize) {
                span.add(due, id, balance);
            }
        }
    }
    // The sure backlog's first invoices, earliest due first.
    let first: Vec<(NaiveDate, i64)> = conn
        .prepare_cached(
            "SELECT due_date, id FROM invoices INDEXED BY invoices_open_due
              WHERE settled_minor < total_minor AND due_date < ?2 AND currency = ?1
                AND issue_date <= ?3
              ORDER BY due_date, id LIMIT ?4",
        )?
        .query_map(
            params![
                code,
                low.to_string(),
                asof,
                (LISTED_AT_MOST + written_off.len() + not_behind.len()) as i64
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<crate::store::sql::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, id)| !written_off.contains(id) && !not_behind.contains(id))
        .take(LISTED_AT_MOST)
        .collect();
    // The invoices due in the window, placed one by one.
    let mut window_backlog = Listed::default();
    let mut window = conn.prepare_cached(WINDOW)?;
    for row in window.query_map(params![code, low.to_string(), high.to_string()], open_row)? {
        let (id, customer_id, due, balance) = row?;
        if unissued.contains(&id) || written_off.contains(&id) {
            continue;
        }
        if let Some(span) = expected_in(
            &mut weeks,
            &mut window_backlog,
            habits,
            as_of,
            customer_id,
            due,
        ) {
            span.add(due, id, balance);
        }
    }
    backlog.amount += window_backlog.amount;
    backlog.count += window_backlog.count;
    backlog.invoices = first;
    backlog.invoices.extend(window_backlog.invoices);
    // The top ten, from the customers' kept balances down.
    let mut top: Vec<(i64, (i64, i64))> = Vec::new();
    let mut next = conn.prepare_cached(
        "SELECT customer_id, open_minor FROM customer_balances
          WHERE currency = ?1 AND oldest_due < ?2
            AND (open_minor < ?3 OR (open_minor = ?3 AND customer_id < ?4))
          ORDER BY open_minor DESC, customer_id DESC LIMIT 50",
    )?;
    let mut after = (i64::MAX, i64::MAX);
    loop {
        let batch: Vec<(i64, i64)> = next
            .query_map(params![code, asof, after.0, after.1], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<crate::store::sql::Result<_>>()?;
        let Some(&(last_id, last_balance)) = batch.last() else {
            break;
        };
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let mut per_customer: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut overdue_of = conn.prepare(&format!(
            "SELECT id, customer_id, due_date, total_minor - settled_minor
               FROM invoices INDEXED BY invoices_open_customer
              WHERE customer_id IN ({}) AND settled_minor < total_minor
                AND due_date < ?2 AND currency = ?1 AND issue_date <= ?2",
            crate::store::sql::id_list(&ids)
        ))?;
        for row in overdue_of.query_map(params![code, asof], open_row)? {
            let (id, customer_id, due, balance) = row?;
            if written_off.contains(&id) {
                continue;
            }
            add_overdue(
                &mut per_customer,
                customer_id,
                balance,
                (as_of - due).num_days(),
            );
        }
        top = top_ten(top.into_iter().chain(per_customer));
        after = (last_balance, last_id);
        if top.len() == 10 && last_balance < top[9].1 .0 {
            break;
        }
    }
    Ok(Some(Open {
        weeks: weeks.into_iter().map(Listed::first).collect(),
        backlog: backlog.first(),
        outstanding,
        overdue,
        buckets,
        owed_now,
        top,
    }))
}

/// The screen from the open invoices' figures and the few reads beside them.
fn overview_of(conn: &Connection, cur: Currency, as_of: NaiveDate, open: Open) -> Result<Overview> {
    let code = cur.code();
    // The first invoices of a list, by number (read for those only).
    // (one statement for all of them: one per invoice was 1,300 round trips on a server)
    let listed: Vec<i64> = open
        .weeks
        .iter()
        .chain([&open.backlog])
        .flat_map(|l| l.invoices.iter().map(|(_, id)| *id))
        .collect();
    let mut number_of: HashMap<i64, String> = HashMap::new();
    if !listed.is_empty() {
        let mut stmt = conn.prepare(&format!(
            "SELECT id, number FROM invoices WHERE id IN ({})",
            crate::store::sql::id_list(&listed)
        ))?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, number) = row?;
            number_of.insert(id, number);
        }
    }
    let numbers = |listed: &Listed| -> Result<Vec<String>> {
        listed
            .invoices
            .iter()
            .map(|(_, id)| {
                number_of
                    .get(id)
                    .cloned()
                    .ok_or_else(|| crate::store::sql::Error::QueryReturnedNoRows.into())
            })
            .collect()
    };
    let backlog_invoices = numbers(&open.backlog)?;
    let aged = AgedBalance {
        as_of,
        currency: code.to_string(),
        rows: Vec::new(),
        totals: super::aged::AgedRow::from_minor(
            cur,
            String::new(),
            String::new(),
            0,
            open.buckets,
        ),
        // (the dashboard shows the totals only: no customer is listed or counted here)
        count: 0,
    };
    let forecast = open
        .weeks
        .iter()
        .enumerate()
        .map(|(k, week)| {
            Ok(ForecastWeek {
                start: as_of + Duration::days(7 * k as i64),
                amount: cur.minor_to_string(week.amount),
                invoices: numbers(week)?,
                count: week.count,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut top_overdue = Vec::new();
    let ids: Vec<i64> = open.top.iter().map(|(id, _)| *id).collect();
    let mut names: HashMap<i64, (String, String)> = HashMap::new();
    if !ids.is_empty() {
        let mut stmt = conn.prepare(&format!(
            "SELECT id, reference, name FROM customers WHERE id IN ({})",
            crate::store::sql::id_list(&ids)
        ))?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?))))? {
            let (id, named) = row?;
            names.insert(id, named);
        }
    }
    for (id, (amount, days)) in open.top {
        let (reference, name) = names
            .remove(&id)
            .ok_or(crate::store::sql::Error::QueryReturnedNoRows)?;
        top_overdue.push(TopOverdue {
            customer: reference,
            customer_name: name,
            customer_id: id,
            overdue: cur.minor_to_string(amount),
            oldest_days: days,
        });
    }
    let (outstanding, overdue, owed_now) = (open.outstanding, open.overdue, open.owed_now);
    // From the open disputes (few; at most one open per invoice) to their invoices.
    let in_dispute: i64 = conn.query_row(
        "SELECT COALESCE(SUM(i.total_minor - i.settled_minor), 0)
         FROM disputes d CROSS JOIN invoices i ON i.id = d.invoice_id
         WHERE d.resolved_on IS NULL AND i.currency = ?1 AND i.settled_minor < i.total_minor",
        [code],
        |r| r.get(0),
    )?;
    let week_end = as_of + Duration::days(7);
    let (mut promises_this_week, mut promised) = (0i64, 0i64);
    for p in crate::dunning::promises::list(conn, as_of)? {
        if p.status == crate::dunning::promises::PromiseStatus::Live
            && p.promised_date >= as_of
            && p.promised_date < week_end
            && p.currency == code
        {
            promises_this_week += 1;
            promised += cur
                .to_minor(p.amount.parse().unwrap_or_default(), "amount")
                .unwrap_or(0);
        }
    }
    let dso_trend = dso_trend_owing(conn, cur, as_of, owed_now)?;
    let dso = dso_trend.last().and_then(|p| p.dso.clone());
    Ok(Overview {
        as_of,
        currency: code.to_string(),
        outstanding: cur.minor_to_string(outstanding),
        overdue: cur.minor_to_string(overdue),
        overdue_share: one_decimal(overdue as i128 * 100, outstanding as i128)
            .unwrap_or_else(|| "0.0".into()),
        dso,
        in_dispute: cur.minor_to_string(in_dispute),
        promises_this_week,
        promised_this_week: cur.minor_to_string(promised),
        aged,
        backlog: cur.minor_to_string(open.backlog.amount),
        backlog_invoices,
        backlog_count: open.backlog.count,
        forecast,
        top_overdue,
        dso_trend,
    })
}

/// [`dso_trend_owing`] with what is owed now summed apart (the tests' way in).
#[cfg(test)]
fn dso_trend(conn: &Connection, cur: Currency, as_of: NaiveDate) -> Result<Vec<DsoPoint>> {
    let owed_now: i64 = conn.query_row(
        "SELECT COALESCE(SUM(total_minor - settled_minor), 0)
         FROM invoices INDEXED BY invoices_open_aging
         WHERE settled_minor < total_minor AND currency = ?1",
        [cur.code()],
        |r| r.get(0),
    )?;
    dso_trend_owing(conn, cur, as_of, owed_now)
}

/// DSO at the end of each of the 11 months before `as_of`, then at `as_of`: what was owed
/// that day ÷ what was billed over the 365 days before × 365. What was owed on a day is what
/// every open invoice of the currency owes now (`owed_now`: the settled cache, which
/// [`overview`] sums from its own pass over the open-invoice index) less what was billed
/// after that day plus what was settled after it: only the last two years of the kept day
/// sums are read ([`super::day_sums`]; every day since the first invoice was 5 s at a million
/// invoices, the invoices and settlements of two years 75 ms).
fn dso_trend_owing(
    conn: &Connection,
    cur: Currency,
    as_of: NaiveDate,
    owed_now: i64,
) -> Result<Vec<DsoPoint>> {
    let mut points: Vec<NaiveDate> = (1..12)
        .rev()
        .filter_map(|k| {
            let first = NaiveDate::from_ymd_opt(as_of.year(), as_of.month(), 1)?;
            let m = first.checked_sub_months(chrono::Months::new(k - 1))?;
            Some(m - Duration::days(1))
        })
        .collect();
    points.push(as_of);
    // What was billed and settled each day since a year before the first point, from the
    // kept day sums (summing the invoices and settlements of those two years was 75 ms on a
    // file and 185 ms on a server at a million invoices); then what comes after each day.
    let first = points[0] - Duration::days(365);
    let days = super::day_sums::after(conn, cur.code(), first)?;
    let after = |d: NaiveDate| -> (i128, i128) {
        days.iter()
            .filter(|(day, _, _)| *day > d)
            .fold((0, 0), |(b, s), (_, billed, settled)| {
                (b + billed, s + settled)
            })
    };
    Ok(points
        .into_iter()
        .map(|d| {
            let (billed_after, settled_after) = after(d);
            let billed = after(d - Duration::days(365)).0 - billed_after;
            let owed = (owed_now as i128 - billed_after + settled_after).max(0);
            DsoPoint {
                month: d.format("%Y-%m").to_string(),
                dso: one_decimal(owed * 365, billed),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    #[test]
    fn the_demo_dashboard_adds_up() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let as_of = day("2026-11-22");
        let o = overview(&conn, as_of, Lang::Fr).unwrap();
        let cents = |s: &str| Currency::EUR.to_minor(s.parse().unwrap(), "x").unwrap();
        // The outstanding is the dashboard's and the aged balance's.
        let d = crate::views::dashboard::dashboard(&conn, as_of).unwrap();
        assert_eq!(
            (o.outstanding.as_str(), o.overdue.as_str()),
            (d.outstanding.as_str(), d.overdue.as_str())
        );
        assert_eq!(o.aged.totals.total, o.outstanding);
        let report = crate::views::aged::aged_balance(&conn, as_of, None).unwrap();
        assert_eq!(
            o.aged.totals, report.totals,
            "the same buckets as the report"
        );
        // Every open invoice is in the backlog, in one of the 12 weeks, or later.
        let forecast: i64 = o.forecast.iter().map(|w| cents(&w.amount)).sum();
        assert!(forecast + cents(&o.backlog) <= cents(&o.outstanding));
        let listed =
            o.forecast.iter().map(|w| w.invoices.len()).sum::<usize>() + o.backlog_invoices.len();
        assert!(listed > 0);
        // The top overdue customers are sorted and add up to at most the overdue.
        let top: Vec<i64> = o.top_overdue.iter().map(|t| cents(&t.overdue)).collect();
        assert!(top.windows(2).all(|w| w[0] >= w[1]));
        assert!(top.iter().sum::<i64>() <= cents(&o.overdue));
        assert_eq!(o.dso_trend.len(), 12);
        // What is owed now, summed in the dashboard's own pass, is the one summed apart.
        assert_eq!(o.dso_trend, dso_trend(&conn, Currency::EUR, as_of).unwrap());
        assert_eq!(o.dso_trend.last().unwrap().month, "2026-11");
    }

    /// The screen read from the kept sums is the one summed over every open invoice, on days
    /// before, among and after the due dates of a ledger that reaches each of their limits:
    /// - a customer 10 days late by habit who pays at month end, with an invoice due 14
    ///   days ago the pay day brings into the forecast's second week (the window of due
    ///   dates read one by one reaches back by the delay and a month);
    /// - 150 invoices overdue (a backlog longer than its list), owed by 30 customers with
    ///   ties in the top ten;
    /// - 60 customers owing more than any of those, but 1.00 overdue each (the top ten
    ///   reads past the first customers by balance);
    /// - an invoice issued after some of the days, one written off and one in another
    ///   currency.
    #[test]
    fn the_dashboard_from_the_kept_sums_is_its_definition() {
        use std::fmt::Write;
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        let mut cs = String::from("reference,name\n");
        let mut is = String::from("number,customer_reference,issue_date,due_date,total,currency\n");
        writeln!(cs, "P,Paie fin de mois").unwrap();
        for (k, due) in ["2026-07-21", "2026-08-21", "2026-09-20", "2026-10-21"]
            .iter()
            .enumerate()
        {
            writeln!(is, "P{k},P,2026-06-01,{due},100.00,EUR").unwrap();
        }
        writeln!(is, "P8,P,2026-10-01,2026-11-08,300.00,EUR").unwrap();
        writeln!(is, "P9,P,2026-09-01,2026-10-01,50.00,EUR").unwrap();
        for c in 0..30 {
            writeln!(cs, "T{c:02},Tiers {c}").unwrap();
        }
        for k in 0..150 {
            let due = today - Duration::days(200 - k);
            let issue = due - Duration::days(30);
            let total = if k % 3 == 0 { 500 } else { 100 + k };
            writeln!(is, "X{k:03},T{:02},{issue},{due},{total}.00,EUR", k % 30).unwrap();
        }
        for c in 0..60 {
            writeln!(cs, "B{c:02},Gros {c}").unwrap();
            writeln!(is, "BA{c:02},B{c:02},2026-11-01,2026-12-31,10000.00,EUR").unwrap();
            writeln!(is, "BB{c:02},B{c:02},2026-10-01,2026-11-01,1.00,EUR").unwrap();
        }
        writeln!(is, "X900,T01,2026-12-01,2026-12-31,777.00,EUR").unwrap();
        writeln!(is, "X901,T02,2026-01-10,2026-02-10,999.00,USD").unwrap();
        writeln!(is, "X902,T03,2026-01-10,2026-02-10,444.00,EUR").unwrap();
        // Three customers paying months late (L and N 60 days, M 150), each from three
        // invoices paid late: past `far_at_most` customers, their invoices due before the
        // window are read by customer. L's and M's open ones (N has none) are due before the
        // window, some expected in the forecast, some beyond it or in the backlog.
        // N pays as L does (a tie at the window's start when one customer is set apart).
        writeln!(cs, "L,Lent\nM,Tres lent\nN,Lent aussi").unwrap();
        let late = [
            ("L", "2026-01-01", "2026-03-02"),
            ("L", "2026-02-14", "2026-04-15"),
            ("L", "2026-03-23", "2026-05-22"),
            ("N", "2026-01-01", "2026-03-02"),
            ("N", "2026-02-14", "2026-04-15"),
            ("N", "2026-03-23", "2026-05-22"),
            ("M", "2025-10-01", "2026-02-28"),
            ("M", "2025-11-05", "2026-04-04"),
            ("M", "2025-12-12", "2026-05-11"),
        ];
        for (k, (c, due, _)) in late.iter().enumerate() {
            writeln!(is, "{c}P{k},{c},2025-09-01,{due},80.00,EUR").unwrap();
        }
        for (number, c, due) in [
            ("L1", "L", "2026-10-23"),
            ("L2", "L", "2026-09-13"),
            ("M1", "M", "2026-08-14"),
            ("M2", "M", "2026-11-02"),
            ("M3", "M", "2026-05-06"),
            // Expected in the forecast's first weeks, and due among the backlog's first
            // invoices (which the kept read lists from the due dates' index).
            ("M4", "M", "2026-07-05"),
            // Written off: in no figure but what is owed now.
            ("M5", "M", "2026-07-20"),
        ] {
            writeln!(is, "{number},{c},2026-01-05,{due},60.00,EUR").unwrap();
        }
        for (kind, csv) in [
            (crate::import::ImportKind::Customers, cs),
            (crate::import::ImportKind::Invoices, is),
        ] {
            crate::import::import(&mut conn, kind, csv.as_bytes(), false).unwrap();
        }
        // Each payment settles one invoice whole: (customer, invoice, date, amount).
        let paid: Vec<(String, String, String, &str)> =
            ["2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31"]
                .iter()
                .enumerate()
                .map(|(k, date)| ("P".to_string(), format!("P{k}"), date.to_string(), "100"))
                .chain(late.iter().enumerate().map(|(k, (c, _, date))| {
                    (c.to_string(), format!("{c}P{k}"), date.to_string(), "80")
                }))
                .collect();
        for (customer, invoice, date, amount) in paid {
            crate::invoices::payments::record(
                &mut conn,
                &crate::invoices::payments::PaymentInput {
                    customer,
                    date,
                    amount: amount.into(),
                    allocations: vec![crate::invoices::payments::AllocationInput {
                        invoice,
                        amount: amount.into(),
                    }],
                    ..Default::default()
                },
            )
            .unwrap();
        }
        for number in ["X902", "M5"] {
            crate::dunning::close_invoice(
                &mut conn,
                number,
                crate::invoices::ClosureKind::WriteOff,
                today,
                "Company closed",
            )
            .unwrap();
        }
        let habits = super::super::segments::habits(&conn, today).unwrap();
        let p: i64 = conn
            .query_row("SELECT id FROM customers WHERE reference = 'P'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(habits.get(&p), Some(&(10, Some(PayDay::MonthEnd))));
        let delays: Vec<i64> = habits.values().map(|(d, _)| *d).collect();
        assert_eq!(delays.iter().filter(|d| **d > 10).count(), 3, "{habits:?}");
        assert!(delays.contains(&60) && delays.contains(&150), "{habits:?}");
        for days in [-300, -120, -40, 0, 9, 30, 200] {
            let as_of = today + Duration::days(days);
            let habits = super::super::segments::habits(&conn, as_of).unwrap();
            let written_off = written_off(&conn).unwrap();
            let due = derived(&conn, as_of, Lang::Fr).unwrap();
            // No customer read by customer, the furthest one, two, three, and every one.
            for far_at_most in [0, 1, 2, 3, FAR_AT_MOST] {
                let open = kept_open(
                    &conn,
                    Currency::EUR,
                    as_of,
                    &habits,
                    &written_off,
                    far_at_most,
                )
                .unwrap()
                .unwrap_or_else(|| panic!("the kept sums serve on {as_of}"));
                let kept = overview_of(&conn, Currency::EUR, as_of, open).unwrap();
                assert_eq!(
                    kept, due,
                    "on {as_of}, {far_at_most} customers read by customer"
                );
            }
            let kept = overview(&conn, as_of, Lang::Fr).unwrap();
            assert_eq!(kept, due, "on {as_of}");
            if days == 0 {
                let forecast: Vec<&str> = kept
                    .forecast
                    .iter()
                    .flat_map(|w| w.invoices.iter().map(String::as_str))
                    .collect();
                for n in ["L1", "M1", "M4"] {
                    assert!(forecast.contains(&n), "{n} in {forecast:?}");
                }
                for n in ["L2", "M2", "M3", "M5"] {
                    assert!(!forecast.contains(&n), "{n} in {forecast:?}");
                }
                assert_eq!(
                    kept.forecast[1].invoices,
                    ["M4", "P8"],
                    "P8 expected on 30 November, M4 (due 5 July, 150 days late) that week too"
                );
                assert!(kept.backlog_count > LISTED_AT_MOST as i64);
                assert_eq!(kept.backlog_invoices.len(), LISTED_AT_MOST);
                let top: Vec<&str> = kept
                    .top_overdue
                    .iter()
                    .map(|t| t.customer.as_str())
                    .collect();
                assert_eq!(top.len(), 10);
                assert!(top.iter().all(|c| c.starts_with('T')), "{top:?}");
            }
        }
        // A balance at the cap the kept sums count an invoice for: the screen is summed.
        conn.execute(
            "UPDATE customer_balances SET open_minor = ?1
              WHERE currency = 'EUR' AND customer_id = (SELECT MIN(customer_id)
                                                          FROM customer_balances)",
            [crate::customers::BALANCE_CAP],
        )
        .unwrap();
        let habits = super::super::segments::habits(&conn, today).unwrap();
        assert!(kept_open(
            &conn,
            Currency::EUR,
            today,
            &habits,
            &written_off(&conn).unwrap(),
            FAR_AT_MOST
        )
        .unwrap()
        .is_none());
    }

    /// The window of the forecast is read from the open due dates' index alone, not from the
    /// table's rows (a file's plan: the server's has the same index).
    #[test]
    fn the_forecast_window_reads_the_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open(&dir.path().join("relance.sqlite")).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {WINDOW}"))
            .unwrap()
            .query_map(["EUR", "2026-10-01", "2027-02-01"], |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            plan,
            ["SEARCH invoices USING COVERING INDEX invoices_open_due (due_date>? AND due_date<?)"]
        );
    }

    #[test]
    fn a_pay_day_moves_the_expected_date() {
        let d = day("2026-03-04"); // a Wednesday
        assert_eq!(on_pay_day(d, None), d);
        assert_eq!(on_pay_day(d, Some(PayDay::Weekday(4))), day("2026-03-06"));
        assert_eq!(
            on_pay_day(d, Some(PayDay::DayOfMonth(10))),
            day("2026-03-10")
        );
        assert_eq!(
            on_pay_day(day("2026-03-12"), Some(PayDay::DayOfMonth(10))),
            day("2026-04-10")
        );
        assert_eq!(on_pay_day(d, Some(PayDay::MonthEnd)), day("2026-03-31"));
        assert_eq!(
            on_pay_day(day("2026-02-01"), Some(PayDay::DayOfMonth(31))),
            day("2026-02-28")
        );
    }

    /// The DSO read from the last two years is the one summed over all history (the
    /// definition: owed = billed by the day − settled by the day), on the demo at month ends
    /// and on days before, among and after its payments.
    #[test]
    fn the_dso_read_from_recent_facts_is_the_one_over_all_history() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let over_history = |d: NaiveDate| -> Option<String> {
            let sum = |sql: &str| -> i128 {
                conn.query_row(sql, [d.to_string()], |r| r.get::<_, i64>(0))
                    .unwrap() as i128
            };
            let issued = sum(
                "SELECT COALESCE(SUM(total_minor), 0) FROM invoices WHERE currency = 'EUR' AND issue_date <= ?1",
            );
            let settled =
                sum("SELECT COALESCE(SUM(amount_minor), 0) FROM settlements WHERE date <= ?1");
            let year = d - Duration::days(365);
            let billed = issued
                - conn
                    .query_row(
                        "SELECT COALESCE(SUM(total_minor), 0) FROM invoices WHERE currency = 'EUR' AND issue_date <= ?1",
                        [year.to_string()],
                        |r| r.get::<_, i64>(0),
                    )
                    .unwrap() as i128;
            one_decimal((issued - settled).max(0) * 365, billed)
        };
        let mut compared = 0;
        for as_of in ["2026-11-22", "2026-10-15", "2026-06-30", "2027-03-01"] {
            let as_of = day(as_of);
            let trend = dso_trend(&conn, Currency::EUR, as_of).unwrap();
            assert_eq!(trend.len(), 12);
            for (k, p) in trend.iter().enumerate() {
                let d = if k == 11 {
                    as_of
                } else {
                    NaiveDate::parse_from_str(&format!("{}-01", p.month), "%Y-%m-%d")
                        .unwrap()
                        .checked_add_months(chrono::Months::new(1))
                        .unwrap()
                        - Duration::days(1)
                };
                assert_eq!(p.dso, over_history(d), "{as_of}: {}", p.month);
                compared += p.dso.is_some() as i32;
            }
        }
        assert!(compared > 20, "{compared} points with a DSO");
    }

    #[test]
    fn dso_of_a_hand_checked_ledger() {
        let mut conn = crate::test_support::setup();
        // 1,000 billed on 1 June, 400 paid on 20 June: at 30 June, 600 owed of 1,000 billed
        // in the year: DSO 600 / 1000 × 365 = 219.0 days.
        crate::invoices::create(
            &conn,
            &crate::test_support::inv("D1", "ACME", "2026-06-01", "2026-07-01", "1000"),
            day("2026-06-30"),
        )
        .unwrap();
        crate::invoices::payments::record(
            &mut conn,
            &crate::invoices::payments::PaymentInput {
                customer: "ACME".into(),
                date: "2026-06-20".into(),
                amount: "400".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let t = dso_trend(&conn, Currency::EUR, day("2026-06-30")).unwrap();
        assert_eq!(t.last().unwrap().dso.as_deref(), Some("219.0"));
        assert_eq!(t[10].dso, None, "nothing billed before June");
    }
}
