//! Today's sections kept for the day, so that a page of Today costs what it shows: with a
//! backlog (a long absence, a ledger of a million invoices: 108,198 actions due) every page
//! derived the whole day's agenda to count and sum its sections (1.6-1.9 s).
//!
//! A cache of the derivation, never a fact (migration 46): `agenda_kept` holds one row per
//! action of the day the row `agenda_kept_day` names (who, its id, section, days overdue,
//! currency, amount; never its text). Triggers on both engines mark a customer in
//! `agenda_stale` in the transaction of any fact the agenda reads of them: their invoices (and
//! the promises naming one: a broken promise's action gathers them), their reference,
//! scenario and key-account flag (not their name or hold: a page's actions are derived again
//! to be shown), their stored payer segment, the journal (an entry's
//! customer, its promise's maker, its invoices), promises and their invoices, disputes and
//! closures. A scenario or a step changed removes the day's row. What else the day's actions
//! follow from is kept beside it and compared on reading: the default currency (in the ids),
//! the promise grace days, and the bank's credits not matched yet (an invoice of a credit's
//! currency and amount waits): a credit come or gone since counts the customers holding an
//! open invoice of its amount (and the makers of the promises naming one) as marked.
//!
//! [`sections`] then reads Today from the index: each section's count and totals are an
//! aggregate of the kept rows, less those of the marked customers, plus the marked
//! customers' actions derived again; a section's first page is the head of the index (the
//! agenda's order: days overdue, most first, then id) past the marked customers, merged with
//! theirs, and its customers' actions are derived again to be shown (a kept row the
//! derivation does not give back means the cache is wrong: Today derives the whole day).
//! [`refresh_in`] keeps the day again: the whole day at a shell's start or when the day,
//! currency or grace changed, else only the marked customers (in the transaction of every
//! act, undo and import). `relance check`, the model-based test and the crash harness
//! compare the kept rows with the derivation ([`verify`]).

use super::{Action, Section, TodaySection};
use crate::error::{Lang, Result};
use crate::money::{checked_total, Amount, Currency};
use crate::store::sql::{params, Connection, OptionalExtension, ToSql};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Above this many customers marked, a reading derives the whole day (as many derived by
/// customer cost about what the whole day costs).
const READ_MARKED_MAX: usize = 5_000;

/// Above this many customers marked, a refresh keeps the whole day again.
const REFRESH_MARKED_MAX: usize = 20_000;

/// The bank's credits not matched yet: (currency, amount in minor units), each once.
type Arrived = BTreeSet<(String, i64)>;

/// The day's row: what the kept actions were derived with.
struct KeptDay {
    day: NaiveDate,
    currency: String,
    grace: i64,
    arrived: Arrived,
}

/// What the agenda of `as_of` is derived with now: the default currency, the promise grace
/// days, the bank's credits not matched yet.
fn inputs(conn: &Connection, as_of: NaiveDate) -> Result<(String, i64, Arrived)> {
    let currency = crate::settings::default_currency(conn)?.code().to_string();
    let grace = super::promise_grace_days(conn)?;
    let arrived = crate::bank::store::unmatched_credits(conn, as_of)?
        .into_iter()
        .map(|(currency, amount, _, _)| (currency, amount))
        .collect();
    Ok((currency, grace, arrived))
}

fn arrived_text(arrived: &Arrived) -> String {
    arrived
        .iter()
        .map(|(c, a)| format!("{c}:{a}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn arrived_parse(text: &str) -> Arrived {
    text.split(',')
        .filter_map(|pair| {
            let (c, a) = pair.split_once(':')?;
            Some((c.to_string(), a.parse().ok()?))
        })
        .collect()
}

fn kept_day(conn: &Connection) -> Result<Option<KeptDay>> {
    Ok(conn
        .query_row(
            "SELECT day, currency, grace, arrived FROM agenda_kept_day WHERE id = 1",
            [],
            |r| {
                Ok(KeptDay {
                    day: r.date(0)?,
                    currency: r.get(1)?,
                    grace: r.get(2)?,
                    arrived: arrived_parse(&r.get::<_, String>(3)?),
                })
            },
        )
        .optional()?)
}

/// The day's row when it serves `as_of` with the settings of now, and the bank's credits of
/// now.
fn serving(conn: &Connection, as_of: NaiveDate) -> Result<Option<(KeptDay, Arrived)>> {
    let Some(kept) = kept_day(conn)? else {
        return Ok(None);
    };
    if kept.day != as_of {
        return Ok(None);
    }
    let (currency, grace, arrived) = inputs(conn, as_of)?;
    if kept.currency != currency || kept.grace != grace {
        return Ok(None);
    }
    Ok(Some((kept, arrived)))
}

/// Whether Today of `as_of` reads the kept actions (rather than deriving the whole day).
pub fn serves(conn: &Connection, as_of: NaiveDate) -> Result<bool> {
    conn.reading(|| {
        Ok(match serving(conn, as_of)? {
            Some((kept, now)) => marked(conn, &kept, &now, READ_MARKED_MAX)?.is_some(),
            None => false,
        })
    })
}

/// The customers whose kept actions may be wrong: those marked, and those holding an open
/// invoice of a credit from the bank come or gone since the actions were kept (and, for the
/// promises naming one, their makers and the customers of every invoice they name). None:
/// more than `max`.
fn marked(
    conn: &Connection,
    kept: &KeptDay,
    now: &Arrived,
    max: usize,
) -> Result<Option<Vec<i64>>> {
    let mut ids: BTreeSet<i64> = BTreeSet::new();
    let limit = i64::try_from(max).unwrap_or(i64::MAX - 1) + 1;
    let mut stmt = conn.prepare_cached("SELECT customer_id FROM agenda_stale LIMIT ?1")?;
    for id in stmt.query_map([limit], |r| r.get::<_, i64>(0))? {
        ids.insert(id?);
    }
    let mut holders = conn.prepare_cached(
        "SELECT customer_id FROM invoices
          WHERE total_minor - settled_minor = ?2 AND settled_minor < total_minor AND currency = ?1
         UNION SELECT p.customer_id FROM invoices i
           CROSS JOIN promise_invoices pi ON pi.invoice_id = i.id
           CROSS JOIN promises p ON p.id = pi.promise_id
          WHERE i.total_minor - i.settled_minor = ?2 AND i.settled_minor < i.total_minor
            AND i.currency = ?1
         UNION SELECT o.customer_id FROM invoices i
           CROSS JOIN promise_invoices pi ON pi.invoice_id = i.id
           CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
           CROSS JOIN invoices o ON o.id = pj.invoice_id
          WHERE i.total_minor - i.settled_minor = ?2 AND i.settled_minor < i.total_minor
            AND i.currency = ?1",
    )?;
    for (currency, amount) in kept.arrived.symmetric_difference(now) {
        for id in holders.query_map(params![currency, amount], |r| r.get::<_, i64>(0))? {
            ids.insert(id?);
        }
    }
    Ok((ids.len() <= max).then(|| ids.into_iter().collect()))
}

fn section_code(s: Section) -> &'static str {
    match s {
        Section::Calls => "calls",
        Section::Emails => "emails",
        Section::Letters => "letters",
        Section::Decisions => "decisions",
    }
}

fn section_parse(code: &str) -> Option<Section> {
    [
        Section::Calls,
        Section::Emails,
        Section::Letters,
        Section::Decisions,
    ]
    .into_iter()
    .find(|s| section_code(*s) == code)
}

/// Writes `actions` as kept rows (inside the caller's transaction), a few hundred a statement
/// (a statement per row is a round trip per row on a server).
fn write_rows(conn: &Connection, actions: &[Action]) -> Result<()> {
    const ROWS: usize = 200;
    for chunk in actions.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO agenda_kept (customer_id, action_id, section, days_overdue, currency, amount_minor)
             VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
        );
        let sections: Vec<&str> = chunk.iter().map(|a| section_code(Section::of(a))).collect();
        let mut values: Vec<&dyn ToSql> = Vec::with_capacity(chunk.len() * 6);
        for (a, section) in chunk.iter().zip(&sections) {
            values.extend([
                &a.customer_id as &dyn ToSql,
                &a.id,
                section,
                &a.days_overdue,
                &a.currency,
                &a.amount_minor,
            ]);
        }
        let mut stmt = if chunk.len() == ROWS {
            conn.prepare_cached(&sql)?
        } else {
            conn.prepare(&sql)?
        };
        stmt.execute(values.as_slice())?;
    }
    Ok(())
}

/// The triggers that mark an invoice's customers as an invoice is inserted, and as one is
/// updated (an allocation settling it): a bulk import sets them aside and calls
/// [`forget_in`] instead (the shell's refresh after an import keeps the whole day again).
pub(crate) const INVOICE_INSERT_TRIGGER: &str = "agenda_stale_invoice_new";
pub(crate) const INVOICE_UPDATE_TRIGGER: &str = "agenda_stale_invoice";

/// Nothing kept serves any day any more (inside the caller's transaction): after rows were
/// written with the triggers set aside.
pub(crate) fn forget_in(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM agenda_kept_day", [])?;
    Ok(())
}

/// Keeps the actions of `day` again (inside the caller's transaction): the whole day when
/// nothing kept serves it with the settings of now or too many customers are marked, else the
/// marked customers'. Returns how many customers' or actions were derived.
pub(crate) fn refresh_in(conn: &Connection, day: NaiveDate) -> Result<usize> {
    keep_in(conn, day, true)
}

/// [`refresh_in`] for the customers marked only, when the actions kept serve `day` (inside
/// the caller's transaction): what an act and an undo run, so that a click after midnight
/// or after a scenario changed does not derive the whole day inside the owner's act (the next
/// start, import or reading of Today keeps it).
pub(crate) fn refresh_marked_in(conn: &Connection, day: NaiveDate) -> Result<usize> {
    keep_in(conn, day, false)
}

fn keep_in(conn: &Connection, day: NaiveDate, whole: bool) -> Result<usize> {
    let (currency, grace, now) = inputs(conn, day)?;
    let kept =
        kept_day(conn)?.filter(|k| k.day == day && k.currency == currency && k.grace == grace);
    if kept.is_none() && !whole {
        return Ok(0);
    }
    let some = match &kept {
        Some(k) => marked(conn, k, &now, REFRESH_MARKED_MAX)?,
        None => None,
    };
    let n = match some {
        Some(ids) if ids.is_empty() && kept.as_ref().is_some_and(|k| k.arrived == now) => {
            return Ok(0)
        }
        Some(ids) => {
            let actions = super::agenda::of_customers(conn, day, &ids)?;
            for chunk in ids.chunks(1000) {
                conn.execute(
                    &format!(
                        "DELETE FROM agenda_kept WHERE customer_id IN ({})",
                        crate::store::sql::id_list(chunk)
                    ),
                    [],
                )?;
            }
            write_rows(conn, &actions)?;
            ids.len()
        }
        None => {
            conn.execute("DELETE FROM agenda_kept", [])?;
            let actions = super::agenda(conn, day)?;
            write_rows(conn, &actions)?;
            actions.len()
        }
    };
    conn.execute("DELETE FROM agenda_stale", [])?;
    conn.execute(
        "INSERT INTO agenda_kept_day (id, day, currency, grace, arrived) VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET day = excluded.day, currency = excluded.currency,
             grace = excluded.grace, arrived = excluded.arrived",
        params![day.to_string(), currency, grace, arrived_text(&now)],
    )?;
    Ok(n)
}

/// [`refresh_in`] in its own transaction.
pub fn refresh(conn: &mut Connection, day: NaiveDate) -> Result<usize> {
    crate::store::write(conn, |tx| refresh_in(tx, day))
}

/// Keeps the actions of `day` when nothing kept serves it (what Today's screen asks before
/// reading: after midnight with the window open, once a scenario or a setting changed, after
/// a restore); nothing otherwise. Returns whether it kept them.
pub fn keep_if_needed(conn: &mut Connection, day: NaiveDate) -> Result<bool> {
    if serves(conn, day)? {
        return Ok(false);
    }
    refresh(conn, day)?;
    Ok(true)
}

/// Keeps the whole day of `day` again (`relance check --rebuild`).
pub fn rebuild(conn: &mut Connection, day: NaiveDate) -> Result<usize> {
    crate::store::write(conn, |tx| {
        tx.execute("DELETE FROM agenda_kept_day", [])?;
        refresh_in(tx, day)
    })
}

/// Today's sections of `as_of` read from the kept actions, showing as many of each as
/// `shown` asks; None when nothing kept serves `as_of` (Today then derives the whole day).
pub(super) fn sections(
    conn: &Connection,
    as_of: NaiveDate,
    shown: &HashMap<Section, u32>,
) -> Result<Option<Vec<TodaySection>>> {
    conn.reading(|| {
        let Some((kept, now)) = serving(conn, as_of)? else {
            return Ok(None);
        };
        let Some(marked) = marked(conn, &kept, &now, READ_MARKED_MAX)? else {
            return Ok(None);
        };
        let marked_set: HashSet<i64> = marked.iter().copied().collect();
        // The marked customers' kept rows, by section and currency: left out of the sums, and
        // read past in the heads (a section's head reads as many more rows as they hold there).
        type Sum = (String, String, i64, i64);
        let sums_of = |sql: &str| -> Result<Vec<Sum>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<crate::store::sql::Result<_>>()?)
        };
        let mut less: Vec<Sum> = Vec::new();
        for chunk in marked.chunks(1000) {
            less.extend(sums_of(&format!(
                "SELECT section, currency, COUNT(*), SUM(amount_minor) FROM agenda_kept
                  WHERE customer_id IN ({}) GROUP BY section, currency",
                crate::store::sql::id_list(chunk)
            ))?);
        }
        // Each section's head in the agenda's order, past the marked customers.
        let mut heads: Vec<(Section, usize, HashSet<String>)> = Vec::new();
        let mut who: BTreeSet<i64> = marked.iter().copied().collect();
        let mut stmt = conn.prepare_cached(
            "SELECT customer_id, action_id FROM agenda_kept WHERE section = ?1
             ORDER BY days_overdue DESC, action_id LIMIT ?2",
        )?;
        for section in super::TODAY_ORDER {
            let n = super::shown(shown.get(&section).copied());
            let past: i64 = less
                .iter()
                .filter(|l| l.0 == section_code(section))
                .map(|l| l.2)
                .sum();
            let limit = i64::try_from(n).unwrap_or(i64::MAX / 2) + past;
            let mut ids = HashSet::new();
            let mut rows = stmt.query(params![section_code(section), limit])?;
            while ids.len() < n {
                let Some(row) = rows.next()? else { break };
                let customer: i64 = row.get(0)?;
                if !marked_set.contains(&customer) {
                    ids.insert(row.get::<_, String>(1)?);
                    who.insert(customer);
                }
            }
            heads.push((section, n, ids));
        }
        drop(stmt);
        let who: Vec<i64> = who.into_iter().collect();
        let fresh = super::agenda::of_customers(conn, as_of, &who)?;
        // Counts and sums: every kept row, less the marked customers', plus theirs derived.
        let mut sums: HashMap<(Section, String), (i64, i64)> = HashMap::new();
        let mut add = |section: &str, currency: String, n: i64, minor: i64| -> Result<bool> {
            let Some(section) = section_parse(section) else {
                return Ok(false);
            };
            let e = sums.entry((section, currency)).or_default();
            e.0 += n;
            e.1 = checked_total([e.1, minor])?;
            Ok(true)
        };
        let all = sums_of(
            "SELECT section, currency, COUNT(*), SUM(amount_minor) FROM agenda_kept
             GROUP BY section, currency",
        )?;
        let known = all
            .into_iter()
            .chain(less.into_iter().map(|(s, c, n, minor)| (s, c, -n, -minor)))
            .map(|(s, c, n, minor)| add(&s, c, n, minor))
            .collect::<Result<Vec<bool>>>()?;
        if known.contains(&false) {
            return Ok(None);
        }
        for a in fresh.iter().filter(|a| marked_set.contains(&a.customer_id)) {
            add(
                section_code(Section::of(a)),
                a.currency.clone(),
                1,
                a.amount_minor,
            )?;
        }
        let mut out = Vec::new();
        for (section, n, ids) in heads {
            let mut page: Vec<Action> = fresh
                .iter()
                .filter(|a| {
                    Section::of(a) == section
                        && (marked_set.contains(&a.customer_id) || ids.contains(&a.id))
                })
                .cloned()
                .collect();
            // A kept action the derivation does not give back: the cache is wrong (`relance
            // check` says so); Today derives the whole day rather than show it.
            let found = page.iter().filter(|a| ids.contains(&a.id)).count();
            if found != ids.len() {
                return Ok(None);
            }
            super::agenda::rank(&mut page);
            page.truncate(n);
            let mut count = 0;
            let mut totals = BTreeMap::new();
            for ((s, currency), (k, minor)) in &sums {
                if *s == section && *k > 0 {
                    count += usize::try_from(*k).unwrap_or(0);
                    totals.insert(currency.clone(), *minor);
                }
            }
            let totals = totals
                .into_iter()
                .map(|(code, minor)| Ok(Amount::of(Currency::parse(&code)?, minor)))
                .collect::<Result<_>>()?;
            out.push(TodaySection {
                section,
                actions: page,
                count,
                totals,
            });
        }
        Ok(Some(out))
    })
}

/// One kept row, as [`verify`] compares them.
type Row = (i64, String, String, i64, String, i64);

fn row_of(a: &Action) -> Row {
    (
        a.customer_id,
        a.id.clone(),
        section_code(Section::of(a)).to_string(),
        a.days_overdue,
        a.currency.clone(),
        a.amount_minor,
    )
}

/// What is wrong with the kept actions: for every customer not marked, the rows kept for the
/// day differ from the day's actions derived from every open invoice. None: nothing kept
/// serves (no day kept, or the settings changed since). Read it inside one snapshot on a
/// shared ledger.
pub fn verify(conn: &Connection, lang: Lang) -> Result<Option<Vec<String>>> {
    let Some(kept) = kept_day(conn)? else {
        return Ok(None);
    };
    let Some((kept, now)) = serving(conn, kept.day)? else {
        return Ok(None);
    };
    let marked: HashSet<i64> = match marked(conn, &kept, &now, usize::MAX)? {
        Some(ids) => ids.into_iter().collect(),
        None => return Ok(None),
    };
    let mut stmt = conn.prepare(
        "SELECT customer_id, action_id, section, days_overdue, currency, amount_minor
         FROM agenda_kept",
    )?;
    let mut rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<Row>>>()?
        .into_iter()
        .filter(|r| !marked.contains(&r.0))
        .collect();
    let mut derived: Vec<Row> = super::derived(conn, kept.day)?
        .iter()
        .filter(|a| !marked.contains(&a.customer_id))
        .map(row_of)
        .collect();
    rows.sort();
    derived.sort();
    if rows == derived {
        return Ok(Some(Vec::new()));
    }
    let (k, d): (BTreeSet<&Row>, BTreeSet<&Row>) =
        (rows.iter().collect(), derived.iter().collect());
    let extra: Vec<&String> = k.difference(&d).map(|r| &r.1).take(10).collect();
    let lost: Vec<&String> = d.difference(&k).map(|r| &r.1).take(10).collect();
    let day = kept.day;
    Ok(Some(vec![if lang == Lang::Fr {
        format!(
            "les actions du {day} gardées pour Aujourd'hui diffèrent de la dérivation : {} \
             contre {} ; manquantes ou différentes {lost:?} ; en trop ou différentes {extra:?}",
            rows.len(),
            derived.len()
        )
    } else {
        format!(
            "the actions of {day} kept for Today differ from the derivation: {} against {}; \
             missing or different {lost:?}; extra or different {extra:?}",
            rows.len(),
            derived.len()
        )
    }]))
}
