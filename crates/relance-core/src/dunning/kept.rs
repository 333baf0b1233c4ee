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
/// invoice of a credit from the bank come or gone since the actions were kept (and the makers
/// of the promises naming one). None: more than `max`.
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

/// Keeps the actions of `day` again (inside the caller's transaction): the whole day when
/// nothing kept serves it with the settings of now or too many customers are marked, else the
/// marked customers'. Returns how many customers' or actions were derived.
pub(crate) fn refresh_in(conn: &Connection, day: NaiveDate) -> Result<usize> {
    let (currency, grace, now) = inputs(conn, day)?;
    let kept =
        kept_day(conn)?.filter(|k| k.day == day && k.currency == currency && k.grace == grace);
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
        // Each section's head in the agenda's order, past the marked customers.
        let mut heads: Vec<(Section, usize, HashSet<String>)> = Vec::new();
        let mut who: BTreeSet<i64> = marked.iter().copied().collect();
        let mut stmt = conn.prepare_cached(
            "SELECT customer_id, action_id FROM agenda_kept WHERE section = ?1
             ORDER BY days_overdue DESC, action_id",
        )?;
        for section in super::TODAY_ORDER {
            let n = super::shown(shown.get(&section).copied());
            let mut ids = HashSet::new();
            let mut rows = stmt.query([section_code(section)])?;
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
        let mut sums: HashMap<(Section, String), (usize, i64)> = HashMap::new();
        let mut add = |section: Section, currency: String, n: i64, minor: i64| -> Result<()> {
            let e = sums.entry((section, currency)).or_default();
            e.0 = (e.0 as i64 + n) as usize;
            e.1 = checked_total([e.1, minor])?;
            Ok(())
        };
        let mut all = conn.prepare_cached(
            "SELECT section, currency, COUNT(*), SUM(amount_minor) FROM agenda_kept
             GROUP BY section, currency",
        )?;
        let rows: Vec<(String, String, i64, i64)> = all
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<crate::store::sql::Result<_>>()?;
        for chunk in marked.chunks(1000) {
            let mut stmt = conn.prepare(&format!(
                "SELECT section, currency, -COUNT(*), -SUM(amount_minor) FROM agenda_kept
                  WHERE customer_id IN ({}) GROUP BY section, currency",
                crate::store::sql::id_list(chunk)
            ))?;
            let less: Vec<(String, String, i64, i64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<crate::store::sql::Result<_>>()?;
            for (section, currency, n, minor) in less {
                let Some(section) = section_parse(&section) else {
                    return Ok(None);
                };
                add(section, currency, n, minor)?;
            }
        }
        for (section, currency, n, minor) in rows {
            let Some(section) = section_parse(&section) else {
                return Ok(None);
            };
            add(section, currency, n, minor)?;
        }
        for a in fresh.iter().filter(|a| marked_set.contains(&a.customer_id)) {
            add(Section::of(a), a.currency.clone(), 1, a.amount_minor)?;
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
                    count += k;
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
