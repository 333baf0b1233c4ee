//! The aged balance: what each customer owes, by how late it is (not yet due, 1–30,
//! 31–60, 61–90, over 90 days past due), in one currency (never summed across currencies).
//!
//! Decisions: it ages what was owed on the as-of date, each payment and credit note counted
//! from its own date (`invoices::AsOf`), for the invoices issued by then; written-off
//! invoices are left out, disputed and handed-over ones are still owed and count. As of
//! today it is the settled cache over the covering index of open invoices.

use crate::error::Result;
use crate::money::Currency;
use crate::store::sql::{params, Connection};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One customer's line (or the totals): decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgedRow {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub not_due: String,
    pub d1_30: String,
    pub d31_60: String,
    pub d61_90: String,
    pub over_90: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgedBalance {
    pub as_of: NaiveDate,
    pub currency: String,
    /// Largest total first, ties by reference (see [`order`]): the whole report, or one
    /// page of it ([`aged_page`]).
    pub rows: Vec<AgedRow>,
    /// The whole report's totals, whatever page `rows` holds.
    pub totals: AgedRow,
    /// How many rows the whole report has (customers owing, or segments).
    #[ts(type = "number")]
    pub count: i64,
}

/// The buckets' names, in order, as the JSON and CSV columns.
pub const BUCKETS: [&str; 5] = ["not_due", "d1_30", "d31_60", "d61_90", "over_90"];

/// The rows the Reports screen shows at a time.
pub const PAGE: u32 = 50;

/// The aged balance as of `as_of` in `currency` (default: the company's): every customer
/// owing. What the exports print and what every page is compared with.
pub fn aged_balance(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
) -> Result<AgedBalance> {
    let cur = crate::settings::currency_or_default(conn, currency.unwrap_or(""))?;
    // Its parts (see `owed`) read one moment: on a server, a payment recorded between them
    // would count twice or not at all (without waiting for a writer: `reading_together`).
    let mut rows = conn.reading_together(|| {
        let at = crate::invoices::AsOf::split(conn, as_of)?;
        owed(conn, &at, cur, Among::All)
    })?;
    order(&mut rows);
    let mut totals = [0i64; 6];
    for (_, _, _, amounts) in &rows {
        add(&mut totals, amounts, 1)?;
    }
    Ok(AgedBalance {
        as_of,
        currency: cur.code().to_string(),
        count: rows.len() as i64,
        rows: rows
            .into_iter()
            .map(|(reference, name, id, a)| line(cur, reference, name, id, a))
            .collect(),
        totals: line(cur, String::new(), String::new(), 0, totals),
    })
}

/// One customer's reference, name, id, then five buckets and total in minor units.
type Owed = (String, String, i64, [i64; 6]);

/// The report's order, on every engine alike: largest total first, then by reference
/// regardless of case, then as written, then by customer id.
fn order(rows: &mut [Owed]) {
    rows.sort_by_cached_key(|(reference, _, id, a)| key(reference, a[5], *id));
}

/// Where a customer owing `total` stands in the report's order.
fn key(reference: &str, total: i64, id: i64) -> (std::cmp::Reverse<i64>, String, String, i64) {
    (
        std::cmp::Reverse(total),
        reference.to_lowercase(),
        reference.to_string(),
        id,
    )
}

/// What each customer owed on the date in `cur`, by bucket (unordered): every customer
/// owing, or those `among` asks for.
fn owed(
    conn: &Connection,
    at: &crate::invoices::AsOf,
    cur: Currency,
    among: Among,
) -> Result<Vec<Owed>> {
    Ok(owed_counted(conn, at, cur, among)?
        .into_iter()
        .map(|(row, _)| row)
        .collect())
}

/// [`owed`] with how many invoices each row counts.
fn owed_counted(
    conn: &Connection,
    at: &crate::invoices::AsOf,
    cur: Currency,
    among: Among,
) -> Result<Vec<(Owed, i64)>> {
    let mut parts = at.parts().into_iter();
    let Some(first) = parts.next() else {
        return Ok(Vec::new());
    };
    let mut rows = sums(
        conn,
        (at.date, first.hint),
        cur,
        &first.settled,
        &first.owed(),
        among,
    )?;
    // The invoices touched by a settlement dated after the day, summed apart: added to
    // their customers' rows (or rows of their own).
    for part in parts {
        let row_of: std::collections::HashMap<i64, usize> = rows
            .iter()
            .enumerate()
            .map(|(k, ((_, _, id, _), _))| (*id, k))
            .collect();
        for (row, n) in sums(
            conn,
            (at.date, part.hint),
            cur,
            &part.settled,
            &part.owed(),
            among,
        )? {
            match row_of.get(&row.2) {
                Some(&k) => {
                    add(&mut rows[k].0 .3, &row.3, 1)?;
                    rows[k].1 += n;
                }
                None => rows.push((row, n)),
            }
        }
    }
    Ok(rows)
}

/// What the kept balances count of the invoices `ids`, per customer (unordered), in the
/// buckets of the date, with how many: every open invoice not written off, whatever its
/// dates, at its settled cache.
fn kept(
    conn: &Connection,
    as_of: NaiveDate,
    cur: Currency,
    ids: &[i64],
) -> Result<Vec<(Owed, i64)>> {
    sums(
        conn,
        (as_of, "NOT INDEXED"),
        cur,
        "i.settled_minor",
        crate::invoices::kept::COUNTED,
        Among::Invoices(ids),
    )
}

/// Which invoices a sum reads: every one, or those of some customers, or some invoices.
#[derive(Clone, Copy)]
enum Among<'a> {
    All,
    Customers(&'a [i64]),
    Invoices(&'a [i64]),
}

/// Each customer's invoices meeting `counted` (SQL on `i`), summed by bucket on the date
/// with `settled` as what settled each, `invoices i` read with the planner's `hint` (some
/// invoices: by their ids, never through an index); with how many invoices each sum counts.
fn sums(
    conn: &Connection,
    (as_of, hint): (NaiveDate, &str),
    cur: Currency,
    settled: &str,
    counted: &str,
    among: Among,
) -> Result<Vec<(Owed, i64)>> {
    let hint = match among {
        Among::Invoices(_) => "NOT INDEXED",
        _ => hint,
    };
    let among = match among {
        Among::All => String::new(),
        Among::Customers([]) | Among::Invoices([]) => return Ok(Vec::new()),
        Among::Customers(ids) => {
            format!("AND i.customer_id IN ({})", crate::store::sql::id_list(ids))
        }
        Among::Invoices(ids) => format!("AND i.id IN ({})", crate::store::sql::id_list(ids)),
    };
    let open = format!("(i.total_minor - {settled})");
    // (prepared each time: the date's settled amounts and the customers are written in)
    let mut stmt = conn.prepare(&format!(
        "SELECT MAX(c.reference), MAX(c.name), i.customer_id, {}, COUNT(*)
         FROM invoices i {} JOIN customers c ON c.id = i.customer_id
         WHERE {counted} AND i.currency = ?1 {among}
         GROUP BY i.customer_id",
        bucket_sums("i.due_date", &open),
        hint
    ))?;
    let rows = stmt.query_map(bucket_params(cur, as_of), |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?, bucket_amounts(r, 3)?),
            r.get(9)?,
        ))
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// The five buckets' sums of `amount` by `due` (SQL), then their total: six columns, with
/// the currency and the bucket bounds of [`bucket_params`] as ?1 to ?5 (0 over no row).
fn bucket_sums(due: &str, amount: &str) -> String {
    let sum = |when: &str| format!("COALESCE(SUM(CASE WHEN {when} THEN {amount} ELSE 0 END), 0)");
    [
        sum(&format!("{due} >= ?2")),
        sum(&format!("{due} < ?2 AND {due} >= ?3")),
        sum(&format!("{due} < ?3 AND {due} >= ?4")),
        sum(&format!("{due} < ?4 AND {due} >= ?5")),
        sum(&format!("{due} < ?5")),
        format!("COALESCE(SUM({amount}), 0)"),
    ]
    .join(", ")
}

/// ?1 the currency, ?2 to ?5 the due dates that start the buckets on `as_of`: the day, 30,
/// 60 and 90 days before.
fn bucket_params(cur: Currency, as_of: NaiveDate) -> [String; 5] {
    let day = |d: i64| (as_of - Duration::days(d)).to_string();
    [cur.code().to_string(), day(0), day(30), day(60), day(90)]
}

/// The six columns of [`bucket_sums`] from column `from` on.
fn bucket_amounts(r: &crate::store::sql::Row, from: usize) -> crate::store::sql::Result<[i64; 6]> {
    let mut a = [0i64; 6];
    for (k, x) in a.iter_mut().enumerate() {
        *x = r.get(from + k)?;
    }
    Ok(a)
}

/// Adds `sign` times `amounts` to `totals`, refusing an overflow.
fn add(totals: &mut [i64; 6], amounts: &[i64; 6], sign: i64) -> Result<()> {
    for (t, x) in totals.iter_mut().zip(amounts) {
        *t = crate::money::checked_total([*t, sign * *x])?;
    }
    Ok(())
}

/// `limit` rows of the aged balance from `offset` (0: [`PAGE`]), with the whole report's
/// totals and row count: the Reports screen's page, the same rows as the whole report's
/// slice (a property test compares them on SQLite ledgers, the model-based test after each
/// step on both engines).
///
/// The page is read from the kept balances ([`kept_page`]): the customers from their kept
/// balances, largest first and stopping at the page, their buckets from their own open
/// invoices, the totals and the count from the sums kept per due date, each adjusted by
/// the few invoices with facts dated after the day. Where they do not serve, the whole
/// report is computed and sliced.
pub fn aged_page(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<AgedBalance> {
    let limit = crate::validate::page_limit(if limit == 0 { PAGE } else { limit })?;
    let cur = crate::settings::currency_or_default(conn, currency.unwrap_or(""))?;
    conn.reading_together(|| match kept_page(conn, as_of, cur, offset, limit)? {
        Some(page) => Ok(page),
        None => aged_page_derived(conn, as_of, Some(cur.code()), offset, limit),
    })
}

/// [`aged_page`] as the whole report's slice: what the tests compare the pages with.
pub fn aged_page_derived(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<AgedBalance> {
    let limit = crate::validate::page_limit(if limit == 0 { PAGE } else { limit })?;
    let mut whole = aged_balance(conn, as_of, currency)?;
    whole.rows = whole
        .rows
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(whole)
}

/// Above this many invoices whose kept figure is not what was owed on the date, a page
/// reads the whole report.
const TOUCHED_AT_MOST: usize = 20_000;

/// A page read from the kept balances (`customer_balances`, `due_balances`, `oldest_dues`:
/// see [`super::balances`]), or None where they do not serve.
///
/// The kept balances count every open invoice not written off, at its settled cache: what
/// was owed on the date for every invoice but those issued, written off or settled (a
/// payment, a credit note, a reversal) after it. Those few are read by their ids: what
/// the kept sums counted of them and what they owed on the date, summed per customer by
/// bucket. The totals and the count are the kept ones corrected by the difference, and so
/// is each of their customers' balance, which places them among the others (read largest
/// first through the balances' index). The cost is that of the facts dated after the day
/// (at a million invoices a week ago: 8,199 invoices issued since), not of the ledger.
/// More than [`TOUCHED_AT_MOST`] such invoices (a date long past), or a kept balance at the
/// cap an invoice counts for there (older builds' totals: the whole report then sums, and
/// refuses an overflow clearly), read the whole report. So does a page customer whose
/// total on the date is not the one placed (a damaged cache, which `relance check`
/// reports). A page past the end is empty, read from the totals and the count alone.
pub fn kept_page(
    conn: &Connection,
    as_of: NaiveDate,
    cur: Currency,
    offset: u32,
    limit: u32,
) -> Result<Option<AgedBalance>> {
    if super::balances::at_cap(conn, cur.code())? {
        return Ok(None);
    }
    // (the closures and the settlements first: left to itself, SQLite read every invoice of
    // the currency to probe its closure, 70 ms at a million invoices)
    let touched: Vec<i64> = conn
        .prepare_cached(
            "SELECT i.id FROM invoices i
              WHERE i.currency = ?1 AND i.issue_date > ?2
             UNION
             SELECT i.id
               FROM invoice_closures x CROSS JOIN invoices i ON i.id = x.invoice_id
              WHERE x.kind = 'write_off' AND x.on_date > ?2 AND i.currency = ?1
             UNION
             SELECT i.id FROM settlements s CROSS JOIN invoices i ON i.id = s.invoice_id
              WHERE s.date > ?2 AND i.currency = ?1
             LIMIT ?3",
        )?
        .query_map(
            params![cur.code(), as_of.to_string(), TOUCHED_AT_MOST as i64 + 1],
            |r| r.get(0),
        )?
        .collect::<crate::store::sql::Result<_>>()?;
    if touched.len() > TOUCHED_AT_MOST {
        return Ok(None);
    }
    // What the kept sums counted of the touched invoices, and what they owed on the date
    // (by date only for those a later settlement touches, when few settlements are later:
    // see `AsOf::parts`).
    let at = crate::invoices::AsOf::split(conn, as_of)?;
    let counted = kept(conn, as_of, cur, &touched)?;
    let exact = owed_counted(conn, &at, cur, Among::Invoices(&touched))?;
    let (mut totals, mut count) = conn
        .prepare_cached(&format!(
            "SELECT {},
                    (SELECT COALESCE(SUM(customers), 0) FROM oldest_dues WHERE currency = ?1)
               FROM due_balances WHERE currency = ?1",
            bucket_sums("due_date", "open_minor")
        ))?
        .query_row(bucket_params(cur, as_of), |r| {
            Ok((bucket_amounts(r, 0)?, r.get::<_, i64>(6)?))
        })?;
    // Per customer touched: (reference, total difference, invoices owed difference).
    let mut change: std::collections::HashMap<i64, (String, i64, i64)> =
        std::collections::HashMap::new();
    for (sign, rows) in [(-1, &counted), (1, &exact)] {
        for ((reference, _, id, a), n) in rows {
            add(&mut totals, a, sign)?;
            let e = change.entry(*id).or_insert((reference.clone(), 0, 0));
            e.1 = crate::money::checked_total([e.1, sign * a[5]])?;
            e.2 += sign * n;
        }
    }
    // Their kept balances and open invoices, then what they owed on the date: a customer
    // is a row of the report when an invoice of theirs was owed.
    let changed: Vec<i64> = change.keys().copied().collect();
    let mut balances: std::collections::HashMap<i64, (i64, i64)> = std::collections::HashMap::new();
    if !changed.is_empty() {
        let mut stmt = conn.prepare(&format!(
            "SELECT customer_id, open_minor, open_count FROM customer_balances
              WHERE currency = ?1 AND customer_id IN ({})",
            crate::store::sql::id_list(&changed)
        ))?;
        for row in stmt.query_map(params![cur.code()], |r| {
            Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
        })? {
            let (id, kept) = row?;
            balances.insert(id, kept);
        }
    }
    let mut reached: Vec<(i64, i64, String)> = Vec::new();
    for (id, (reference, total, invoices)) in change {
        let (balance, open) = balances.get(&id).copied().unwrap_or((0, 0));
        let owing = open + invoices > 0;
        count += i64::from(owing) - i64::from(open > 0);
        if owing {
            reached.push((
                id,
                crate::money::checked_total([balance, total])?,
                reference,
            ));
        }
    }
    let empty = |totals: [i64; 6], count: i64| AgedBalance {
        as_of,
        currency: cur.code().to_string(),
        rows: Vec::new(),
        totals: line(cur, String::new(), String::new(), 0, totals),
        count,
    };
    if i64::from(offset) >= count {
        return Ok(Some(empty(totals, count)));
    }
    // The other customers whose kept balance reaches the page's last one (ties included),
    // largest first through the balances' index, beside the changed ones; then the page in
    // the report's order.
    let others = if changed.is_empty() {
        String::new()
    } else {
        format!(
            "AND customer_id NOT IN ({})",
            crate::store::sql::id_list(&changed)
        )
    };
    let end = i64::from(offset) + i64::from(limit);
    let mut stmt = conn.prepare(&format!(
        "SELECT b.customer_id, b.open_minor, c.reference
           FROM customer_balances b CROSS JOIN customers c ON c.id = b.customer_id
          WHERE b.currency = ?1 {others}
            AND b.open_minor >= COALESCE((SELECT open_minor FROM customer_balances
                                          WHERE currency = ?1 {others}
                                          ORDER BY open_minor DESC
                                          LIMIT 1 OFFSET ?2), 0)"
    ))?;
    for row in stmt.query_map(params![cur.code(), end - 1], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })? {
        reached.push(row?);
    }
    reached.sort_by_cached_key(|(id, total, reference)| key(reference, *total, *id));
    let page: std::collections::HashMap<i64, i64> = reached
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(id, total, _)| (id, total))
        .collect();
    // The page's rows as owed on the date, each customer's own invoices read.
    let ids: Vec<i64> = page.keys().copied().collect();
    let mut rows = owed(conn, &at, cur, Among::Customers(&ids))?;
    if rows.len() != page.len() || rows.iter().any(|(_, _, id, a)| page.get(id) != Some(&a[5])) {
        return Ok(None);
    }
    order(&mut rows);
    Ok(Some(AgedBalance {
        rows: rows
            .into_iter()
            .map(|(reference, name, id, a)| line(cur, reference, name, id, a))
            .collect(),
        ..empty(totals, count)
    }))
}

fn line(cur: Currency, customer: String, name: String, id: i64, a: [i64; 6]) -> AgedRow {
    AgedRow::from_minor(cur, customer, name, id, a)
}

impl AgedRow {
    /// A line from its five buckets and total in minor units of `cur`.
    pub fn from_minor(
        cur: Currency,
        customer: String,
        name: String,
        id: i64,
        a: [i64; 6],
    ) -> AgedRow {
        let s = |m: i64| cur.minor_to_string(m);
        AgedRow {
            customer,
            customer_name: name,
            customer_id: id,
            not_due: s(a[0]),
            d1_30: s(a[1]),
            d31_60: s(a[2]),
            d61_90: s(a[3]),
            over_90: s(a[4]),
            total: s(a[5]),
        }
    }

    /// The five buckets then the total, in [`BUCKETS`] order (decimal strings).
    pub fn amounts(&self) -> [&str; 6] {
        [
            &self.not_due,
            &self.d1_30,
            &self.d31_60,
            &self.d61_90,
            &self.over_90,
            &self.total,
        ]
    }
}

/// The invoices of one cell: a customer (or all, with `None`) and a bucket (or all).
pub fn cell_invoices(
    conn: &Connection,
    as_of: NaiveDate,
    currency: Option<&str>,
    customer_id: Option<i64>,
    bucket: Option<&str>,
) -> Result<Vec<crate::invoices::InvoiceView>> {
    let cur = crate::settings::currency_or_default(conn, currency.unwrap_or(""))?;
    let (from, to) = match bucket {
        None => (None, None),
        Some(b) => {
            let k = BUCKETS.iter().position(|x| *x == b).ok_or_else(|| {
                crate::error::Error::invalid("bucket", crate::error::Msg::OneOf(BUCKETS.to_vec()))
            })?;
            // Days past due: (0 or less), 1–30, 31–60, 61–90, 91 and more.
            let bounds = [
                (None, Some(0)),
                (Some(1), Some(30)),
                (Some(31), Some(60)),
                (Some(61), Some(90)),
                (Some(91), None),
            ];
            bounds[k]
        }
    };
    // One customer's: from their invoices (left to itself, SQLite reads every invoice of
    // the currency issued by the date, through the billing index).
    let index = if customer_id.is_some() {
        "INDEXED BY invoices_customer"
    } else {
        ""
    };
    let mut args: Vec<String> = vec![cur.code().to_string(), as_of.to_string()];
    let mut cond = String::new();
    if let Some(id) = customer_id {
        args.push(id.to_string());
        cond.push_str(&format!(
            " AND i.customer_id = CAST(?{} AS INTEGER)",
            args.len()
        ));
    }
    // A due date d is `days` late when as_of - d = days.
    if let Some(min_days) = from {
        args.push((as_of - Duration::days(min_days)).to_string());
        cond.push_str(&format!(" AND i.due_date <= ?{}", args.len()));
    }
    if let Some(max_days) = to {
        args.push((as_of - Duration::days(max_days)).to_string());
        cond.push_str(&format!(" AND i.due_date >= ?{}", args.len()));
    }
    conn.reading_together(|| {
        let at = crate::invoices::AsOf::split(conn, as_of)?;
        // Each part of the invoices (see `AsOf::parts`) read on its own, the rows ordered
        // together by the view's column names in one statement (as one read orders them,
        // the column's collation included).
        let parts: Vec<String> = at
            .parts()
            .iter()
            .map(|p| {
                format!(
                    "SELECT {} FROM invoices i {} CROSS JOIN customers c ON c.id = i.customer_id
                     WHERE {} AND i.currency = ?1 AND CAST(?2 AS TEXT) IS NOT NULL{cond}",
                    p.view_columns(),
                    if p.hint.is_empty() { index } else { p.hint },
                    p.owed()
                )
            })
            .collect();
        let sql = format!(
            "SELECT * FROM ({}) AS u ORDER BY u.due_date, u.number",
            parts.join(" UNION ALL ")
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
            crate::invoices::view_from_row(r, as_of)
        })?;
        Ok(rows.collect::<crate::store::sql::Result<_>>()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    #[test]
    fn buckets_sum_to_the_open_balances_and_to_the_dashboard() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let as_of = day("2026-11-22");
        let a = aged_balance(&conn, as_of, None).unwrap();
        let cur = Currency::EUR;
        let minor = |s: &str| cur.to_minor(s.parse().unwrap(), "x").unwrap();
        // Each row's buckets sum to its total; the totals are the rows' sums.
        for r in &a.rows {
            let b = &r.amounts()[..5];
            assert_eq!(
                b.iter().map(|x| minor(x)).sum::<i64>(),
                minor(&r.total),
                "{r:?}"
            );
        }
        let sum: i64 = a.rows.iter().map(|r| minor(&r.total)).sum();
        assert_eq!(sum, minor(&a.totals.total));
        // The total is every open balance in euros, to the cent, and the dashboard's.
        let open: i64 = conn
            .query_row(
                "SELECT SUM(total_minor - settled_minor) FROM invoices WHERE settled_minor < total_minor AND currency = 'EUR'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(minor(&a.totals.total), open);
        let d = crate::views::dashboard::dashboard(&conn, as_of).unwrap();
        assert_eq!(d.outstanding, a.totals.total);
        // A cell's invoices are exactly that cell's amount.
        for (k, b) in BUCKETS.iter().enumerate() {
            let list = cell_invoices(&conn, as_of, None, None, Some(b)).unwrap();
            let got: i64 = list.iter().map(|i| minor(&i.balance)).sum();
            let want = minor(
                [
                    &a.totals.not_due,
                    &a.totals.d1_30,
                    &a.totals.d31_60,
                    &a.totals.d61_90,
                    &a.totals.over_90,
                ][k],
            );
            assert_eq!(got, want, "{b}");
        }
        // Another currency is its own report.
        assert!(aged_balance(&conn, as_of, Some("GBP")).unwrap().rows.len() <= 1);
        // After a write-off, the aged balance, the dashboard, the Customers list and the
        // customer's page all leave it out, and still agree to the cent.
        crate::dunning::close_invoice(
            &mut conn,
            "F2026-0124",
            crate::invoices::ClosureKind::WriteOff,
            as_of,
            "liquidation",
        )
        .unwrap();
        let a = aged_balance(&conn, as_of, None).unwrap();
        let d = crate::views::dashboard::dashboard(&conn, as_of).unwrap();
        assert_eq!(d.outstanding, a.totals.total);
        let list = crate::customers::list(
            &conn,
            &crate::customers::CustomerQuery {
                limit: 1000,
                ..Default::default()
            },
            as_of,
        )
        .unwrap();
        let listed: i64 = list.rows.iter().map(|c| minor(&c.outstanding)).sum();
        assert_eq!(listed, minor(&a.totals.total));
        for c in &list.rows {
            let page = crate::views::customer_page::detail(&conn, c.id, as_of).unwrap();
            let row = a.rows.iter().find(|r| r.customer_id == c.id);
            let paged: i64 = page
                .outstanding
                .iter()
                .filter(|b| b.currency == "EUR")
                .map(|b| minor(&b.amount))
                .sum();
            assert_eq!(paged, row.map_or(0, |r| minor(&r.total)), "{}", c.reference);
        }
    }

    #[test]
    fn a_hand_checked_customer() {
        let mut conn = crate::test_support::setup();
        let as_of = day("2026-06-30");
        for (n, due, total) in [
            ("A", "2026-07-10", "100"), // not due
            ("B", "2026-06-30", "1"),   // due today: not due
            ("C", "2026-06-29", "10"),  // 1 day
            ("D", "2026-05-31", "20"),  // 30 days
            ("E", "2026-05-30", "30"),  // 31 days
            ("F", "2026-04-01", "40"),  // 90 days
            ("G", "2026-03-31", "50"),  // 91 days
        ] {
            crate::invoices::create(
                &conn,
                &crate::test_support::inv(n, "ACME", "2026-01-01", due, total),
                as_of,
            )
            .unwrap();
        }
        let p = crate::invoices::payments::PaymentInput {
            customer: "ACME".into(),
            date: "2026-06-30".into(),
            amount: "5".into(),
            allocations: vec![crate::invoices::payments::AllocationInput {
                invoice: "G".into(),
                amount: "5".into(),
            }],
            ..Default::default()
        };
        crate::invoices::payments::record(&mut conn, &p).unwrap();
        let a = aged_balance(&conn, as_of, None).unwrap();
        let r = &a.rows[0];
        assert_eq!(
            [
                r.not_due.as_str(),
                &r.d1_30,
                &r.d31_60,
                &r.d61_90,
                &r.over_90,
                &r.total
            ],
            ["101.00", "30.00", "30.00", "40.00", "45.00", "246.00"]
        );
        let over = cell_invoices(&conn, as_of, None, Some(r.customer_id), Some("over_90")).unwrap();
        assert_eq!(
            over.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(),
            ["G"]
        );
    }

    /// What a generated ledger holds: customers (by index into `REFERENCES`), invoices and
    /// facts dated around `BASE`.
    #[derive(Debug, Clone)]
    struct Made {
        /// (customer, issued days from BASE, due days after issue, whole euros, in pounds)
        invoices: Vec<(usize, i64, i64, u32, bool)>,
        /// (invoice, cents, days from BASE, a credit note) a payment or a credit note; with
        /// u32::MAX cents, a write-off
        facts: Vec<(usize, u32, i64, bool)>,
    }

    /// References whose order by case, accents and digits tells the report's order apart.
    const REFERENCES: [&str; 6] = ["b", "A", "c10", "C2", "Éa", "a1"];
    const BASE: &str = "2026-06-30";

    fn made() -> impl proptest::strategy::Strategy<Value = Made> {
        use proptest::prelude::*;
        let invoice = (
            0..REFERENCES.len(),
            -120i64..=10,
            0i64..=90,
            1u32..=4,
            proptest::bool::weighted(0.2),
        );
        let fact = (
            0usize..16,
            prop_oneof![4 => 1u32..=400, 1 => Just(u32::MAX)],
            -60i64..=15,
            proptest::bool::weighted(0.3),
        );
        (
            proptest::collection::vec(invoice, 1..14),
            proptest::collection::vec(fact, 0..8),
        )
            .prop_map(|(invoices, facts)| Made { invoices, facts })
    }

    fn build(m: &Made) -> crate::Connection {
        let mut conn = crate::open_in_memory().unwrap();
        for r in REFERENCES {
            crate::customers::create(
                &conn,
                &crate::customers::CustomerInput {
                    reference: r.into(),
                    name: format!("Client {r}"),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let base = day(BASE);
        for (k, &(c, issue, due, euros, pounds)) in m.invoices.iter().enumerate() {
            let issue = base + Duration::days(issue);
            let mut input = crate::test_support::inv(
                &format!("F{k}"),
                REFERENCES[c],
                &issue.to_string(),
                &(issue + Duration::days(due)).to_string(),
                &format!("{euros}.00"),
            );
            if pounds {
                input.currency = "GBP".into();
            }
            crate::invoices::create(&conn, &input, base).unwrap();
        }
        // Facts the ledger refuses (an overpayment, a payment or credit note before the
        // invoice or beyond its balance, a write-off of a paid invoice) change nothing and
        // are left out.
        for &(k, cents, on, credit) in &m.facts {
            let Some(&(c, ..)) = m.invoices.get(k % m.invoices.len()) else {
                continue;
            };
            let number = format!("F{}", k % m.invoices.len());
            let on = base + Duration::days(on);
            let amount = format!("{}.{:02}", cents / 100, cents % 100);
            if cents == u32::MAX {
                let kind = crate::invoices::ClosureKind::WriteOff;
                let _ = crate::dunning::close_invoice(&mut conn, &number, kind, on, "faillite");
            } else if credit {
                let note = crate::invoices::credit_notes::CreditNoteInput {
                    invoice: number,
                    date: on.to_string(),
                    amount,
                    reason: "remise".into(),
                    ..Default::default()
                };
                let _ = crate::invoices::credit_notes::create(&mut conn, &note);
            } else {
                let p = crate::invoices::payments::PaymentInput {
                    customer: REFERENCES[c].into(),
                    date: on.to_string(),
                    amount: amount.clone(),
                    allocations: vec![crate::invoices::payments::AllocationInput {
                        invoice: number,
                        amount,
                    }],
                    ..Default::default()
                };
                let _ = crate::invoices::payments::record(&mut conn, &p);
            }
        }
        conn
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("RELANCE_AGED_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40),
            ..proptest::prelude::ProptestConfig::default()
        })]
        /// Every page of the aged balance, on dates before, among and after the ledger's
        /// facts, in both currencies and several page sizes, is the whole report's slice,
        /// with its totals and row count; the page is read from the kept balances (so that
        /// path is the one compared, adjusted for the invoices with facts after the date or
        /// not), and the pages in turn are the whole report.
        #[test]
        fn every_page_is_the_whole_reports_slice(m in made()) {
            let conn = build(&m);
            let base = day(BASE);
            for shift in [-40i64, -10, 0, 5, 400] {
                let as_of = base + Duration::days(shift);
                for currency in ["EUR", "GBP"] {
                    let whole = aged_balance(&conn, as_of, Some(currency)).unwrap();
                    proptest::prop_assert_eq!(whole.count, whole.rows.len() as i64);
                    let cur = Currency::parse(currency).unwrap();
                    for limit in [1u32, 3, 50] {
                        let mut rows = Vec::new();
                        let mut offset = 0;
                        while offset <= whole.rows.len() as u32 + 1 {
                            let want = aged_page_derived(&conn, as_of, Some(currency), offset, limit).unwrap();
                            // (six customers: the kept balances always serve, adjusted or
                            // not, so the page compared is theirs, never the fallback)
                            let kept = kept_page(&conn, as_of, cur, offset, limit).unwrap();
                            proptest::prop_assert_eq!(kept.as_ref(), Some(&want), "{} {} from {} by {}", as_of, currency, offset, limit);
                            let page = aged_page(&conn, as_of, Some(currency), offset, limit).unwrap();
                            proptest::prop_assert_eq!(&page, &want);
                            proptest::prop_assert_eq!(&page.totals, &whole.totals);
                            proptest::prop_assert_eq!(page.count, whole.count);
                            rows.extend(page.rows);
                            offset += limit;
                        }
                        proptest::prop_assert_eq!(&rows, &whole.rows, "{} {} by {}", as_of, currency, limit);
                    }
                }
            }
        }
    }

    #[test]
    fn a_page_is_refused_beyond_the_largest_page() {
        let conn = crate::test_support::setup();
        let as_of = day("2026-06-30");
        let e = aged_page(&conn, as_of, None, 0, 100_000).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
        // Zero asks for the screen's page.
        assert_eq!(aged_page(&conn, as_of, None, 0, 0).unwrap().count, 0);
    }
}
