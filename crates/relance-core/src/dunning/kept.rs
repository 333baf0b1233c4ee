//! Today's sections kept for the day, so that a page of Today costs what it shows: with a
//! backlog (a long absence, a ledger of a million invoices: 108,198 actions due) every page
//! derived the whole day's agenda to count and sum its sections (1.6-1.9 s).
//!
//! A cache of the derivation, never a fact (migrations 46 and 47): `agenda_kept` holds one
//! row per action of the day the row `agenda_kept_day` names (who, its id, section, the
//! customer's stored payer segment, days overdue, currency, amount; never its text). Triggers on both engines mark a customer in
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
//! [`grouped`] then reads Today from the index, by section ([`sections`]) or by segment
//! (`views::today::by_segment`, whose customers with a segment computed again since the
//! day's refresh have their kept rows regrouped): each group's count and totals are an
//! aggregate of the kept rows, less those of the customers set apart, plus the marked
//! customers' actions derived again; a group's first page is the head of the index (the
//! agenda's order: days overdue, most first, then id) past the customers set apart, merged
//! with theirs, and its customers' actions are derived again to be shown (a kept row the
//! derivation does not give back means the cache is wrong: Today derives the whole day).
//! [`refresh_in`] keeps the day again: the whole day at a shell's start or when the day,
//! currency or grace changed, else only the marked customers (in the transaction of every
//! act, undo and import). `relance check`, the model-based test and the crash harness
//! compare the kept rows with the derivation ([`verify`]).

use super::{Action, Section, TodaySection};
use crate::error::{Lang, Result};
use crate::money::{checked_total, Amount};
use crate::store::sql::{params, Connection, OptionalExtension, ToSql};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Above this many customers marked, a reading derives the whole day (as many derived by
/// customer cost about what the whole day costs).
const READ_MARKED_MAX: usize = 5_000;

/// Above this many customers marked, a refresh keeps the whole day again.
const REFRESH_MARKED_MAX: usize = 20_000;

/// The segment kept for a customer with none stored (Today counts them as new).
const NO_SEGMENT: &str = "new";

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
    match kept_day(conn)? {
        Some(kept) => serving_from(conn, kept, as_of),
        None => Ok(None),
    }
}

/// [`serving`] for the day's row already read.
fn serving_from(
    conn: &Connection,
    kept: KeptDay,
    as_of: NaiveDate,
) -> Result<Option<(KeptDay, Arrived)>> {
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

/// Writes `actions` as kept rows (inside the caller's transaction), a few hundred a statement
/// (a statement per row is a round trip per row on a server).
fn write_rows(conn: &Connection, actions: &[Action]) -> Result<()> {
    const ROWS: usize = 200;
    for chunk in actions.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO agenda_kept
                 (customer_id, action_id, section, segment, days_overdue, currency, amount_minor)
             VALUES {}",
            vec![
                format!(
                    "(?, ?, ?, COALESCE((SELECT segment FROM customer_segments
                                          WHERE customer_id = ?), '{NO_SEGMENT}'), ?, ?, ?)"
                );
                chunk.len()
            ]
            .join(", ")
        );
        let sections: Vec<&str> = chunk.iter().map(|a| section_code(Section::of(a))).collect();
        let mut values: Vec<&dyn ToSql> = Vec::with_capacity(chunk.len() * 7);
        for (a, section) in chunk.iter().zip(&sections) {
            values.extend([
                &a.customer_id as &dyn ToSql,
                &a.id,
                section,
                &a.customer_id,
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

/// Of the customers `ids` (in order), those whose actions a reading of `as_of` shows or
/// counts: those holding a kept row, and those marked (their actions derived again); None
/// when nothing kept serves `as_of`.
pub(crate) fn involved(
    conn: &Connection,
    as_of: NaiveDate,
    ids: &[i64],
) -> Result<Option<Vec<i64>>> {
    conn.reading(|| {
        let Some((kept, now)) = serving(conn, as_of)? else {
            return Ok(None);
        };
        let Some(marked) = marked(conn, &kept, &now, READ_MARKED_MAX)? else {
            return Ok(None);
        };
        let asked: HashSet<i64> = ids.iter().copied().collect();
        let mut out: BTreeSet<i64> = marked.into_iter().filter(|c| asked.contains(c)).collect();
        for chunk in ids.chunks(1000) {
            let mut stmt = conn.prepare(&format!(
                "SELECT DISTINCT customer_id FROM agenda_kept WHERE customer_id IN ({})",
                crate::store::sql::id_list(chunk)
            ))?;
            for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
                out.insert(id?);
            }
        }
        Ok(Some(out.into_iter().collect()))
    })
}

/// How a reading groups the kept actions: by section (Today's sections) or by their
/// customer's payer segment (Today grouped by segment).
pub(crate) struct Grouping<'a> {
    /// The kept column the groups are read from: `section` or `segment` (a constant, never
    /// input).
    pub column: &'static str,
    /// The groups' codes in the order shown, each with how many actions it shows.
    pub groups: Vec<(&'a str, usize)>,
    /// Customers whose kept actions stand but belong to the group given here instead (a
    /// segment computed again since the day's segment refresh).
    pub regrouped: &'a HashMap<i64, String>,
    /// The group of each action derived again, in order: a marked customer's, or one shown.
    pub code_of: &'a dyn Fn(&[Action]) -> Result<Vec<String>>,
}

/// One group read from the kept actions: its first actions in the agenda's order, how many
/// it holds, and the sum of their amounts per currency.
pub(crate) struct Group {
    pub actions: Vec<Action>,
    pub count: usize,
    pub totals: Vec<Amount>,
}

/// What a reading knows of an action without its text: where it was read from and where it
/// goes.
#[derive(Clone)]
struct Light {
    customer_id: i64,
    action_id: String,
    code: String,
    days_overdue: i64,
    currency: String,
    amount_minor: i64,
}

impl Light {
    /// The agenda's order ([`super::agenda::rank`]): the most overdue first, then by id.
    fn rank(rows: &mut [Light]) {
        rows.sort_by(|a, b| {
            b.days_overdue
                .cmp(&a.days_overdue)
                .then_with(|| a.action_id.cmp(&b.action_id))
        });
    }
}

/// (group code, currency) -> (how many actions, their sum in minor units).
type Sums = HashMap<(String, String), (i64, i64)>;

fn add_to(sums: &mut Sums, code: &str, currency: &str, n: i64, minor: i64) -> Result<()> {
    let e = sums
        .entry((code.to_string(), currency.to_string()))
        .or_default();
    e.0 += n;
    e.1 = checked_total([e.1, minor])?;
    Ok(())
}

/// The kept rows' count and sum per group and currency (of the customers `among` only, when
/// given), added to `sums` with `sign`.
fn kept_sums(
    conn: &Connection,
    column: &str,
    among: Option<&[i64]>,
    sign: i64,
    sums: &mut Sums,
) -> Result<()> {
    let mut read = |filter: String| -> Result<()> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {column}, currency, COUNT(*), SUM(amount_minor) FROM agenda_kept{filter}
             GROUP BY {column}, currency"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (code, currency, n, minor) = row?;
            add_to(sums, &code, &currency, sign * n, sign * minor)?;
        }
        Ok(())
    };
    match among {
        None => read(String::new()),
        Some(ids) => ids.chunks(1000).try_for_each(|chunk| {
            read(format!(
                " WHERE customer_id IN ({})",
                crate::store::sql::id_list(chunk)
            ))
        }),
    }
}

/// Today's actions of `as_of` read from the kept actions, grouped as `g` says; None when
/// nothing kept serves `as_of` (Today then derives the whole day). Every group is given, in
/// `g`'s order, empty ones too.
///
/// Each group's count and totals are an aggregate of the kept rows, less those of the
/// customers set apart, plus theirs: a marked customer's actions derived again, a regrouped
/// customer's kept rows in their new group. A group's first page is the head of the index
/// (the agenda's order) past the customers set apart, merged with theirs; the customers it
/// shows are derived again, and a kept row the derivation does not give back as it was kept
/// means the cache is wrong: Today derives the whole day rather than show it.
pub(crate) fn grouped(
    conn: &Connection,
    as_of: NaiveDate,
    g: &Grouping,
) -> Result<Option<Vec<Group>>> {
    conn.reading(|| {
        let Some((kept, now)) = serving(conn, as_of)? else {
            return Ok(None);
        };
        let Some(marked) = marked(conn, &kept, &now, READ_MARKED_MAX)? else {
            return Ok(None);
        };
        let marked_set: HashSet<i64> = marked.iter().copied().collect();
        let mut regrouped: Vec<i64> = g
            .regrouped
            .keys()
            .filter(|c| !marked_set.contains(c))
            .copied()
            .collect();
        regrouped.sort_unstable();
        let apart: Vec<i64> = marked_set
            .iter()
            .chain(&regrouped)
            .copied()
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let apart_set: HashSet<i64> = apart.iter().copied().collect();
        let column = g.column;
        // The customers set apart: their kept rows leave the sums (and are read past in the
        // heads), their actions as they stand now come in.
        let mut less: Sums = HashMap::new();
        kept_sums(conn, column, Some(&apart), 1, &mut less)?;
        let mut theirs: Vec<Light> = Vec::new();
        for chunk in regrouped.chunks(1000) {
            let mut stmt = conn.prepare(&format!(
                "SELECT customer_id, action_id, days_overdue, currency, amount_minor
                   FROM agenda_kept WHERE customer_id IN ({})",
                crate::store::sql::id_list(chunk)
            ))?;
            let rows = stmt.query_map([], |r| {
                let customer_id: i64 = r.get(0)?;
                Ok(Light {
                    customer_id,
                    action_id: r.get(1)?,
                    code: g.regrouped[&customer_id].clone(),
                    days_overdue: r.get(2)?,
                    currency: r.get(3)?,
                    amount_minor: r.get(4)?,
                })
            })?;
            for row in rows {
                theirs.push(row?);
            }
        }
        // Each group's head in the agenda's order, past the customers set apart.
        let mut heads: Vec<Vec<Light>> = Vec::new();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT customer_id, action_id, days_overdue FROM agenda_kept WHERE {column} = ?1
             ORDER BY days_overdue DESC, action_id LIMIT ?2"
        ))?;
        for &(code, n) in &g.groups {
            let past: i64 = less
                .iter()
                .filter(|((c, _), _)| c == code)
                .map(|(_, (k, _))| k)
                .sum();
            let limit = i64::try_from(n).unwrap_or(i64::MAX / 2) + past;
            let mut head: Vec<Light> = Vec::new();
            let mut rows = stmt.query(params![code, limit])?;
            while head.len() < n {
                let Some(row) = rows.next()? else { break };
                let customer_id: i64 = row.get(0)?;
                if !apart_set.contains(&customer_id) {
                    head.push(Light {
                        customer_id,
                        action_id: row.get(1)?,
                        code: code.to_string(),
                        days_overdue: row.get(2)?,
                        currency: String::new(),
                        amount_minor: 0,
                    });
                }
            }
            heads.push(head);
        }
        drop(stmt);
        // The marked customers' actions and the heads' customers', derived again in one go
        // (their text is what a page shows).
        let derive: Vec<i64> = marked
            .iter()
            .copied()
            .chain(heads.iter().flatten().map(|l| l.customer_id))
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let mut derived = super::agenda::of_customers(conn, as_of, &derive)?;
        let mut codes = (g.code_of)(&derived)?;
        theirs.extend(
            derived
                .iter()
                .zip(&codes)
                .filter(|(a, _)| marked_set.contains(&a.customer_id))
                .map(|(a, code)| Light {
                    customer_id: a.customer_id,
                    action_id: a.id.clone(),
                    code: code.clone(),
                    days_overdue: a.days_overdue,
                    currency: a.currency.clone(),
                    amount_minor: a.amount_minor,
                }),
        );
        // Each group's page: its head merged with the actions of the customers set apart.
        let pages: Vec<Vec<Light>> = g
            .groups
            .iter()
            .zip(heads)
            .map(|(&(code, n), mut page)| {
                page.extend(theirs.iter().filter(|l| l.code == code).cloned());
                Light::rank(&mut page);
                page.truncate(n);
                page
            })
            .collect();
        // A regrouped customer shown whose actions are not derived yet.
        let known: HashSet<i64> = derive.iter().copied().collect();
        let more: Vec<i64> = pages
            .iter()
            .flatten()
            .map(|l| l.customer_id)
            .filter(|c| !known.contains(c))
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        if !more.is_empty() {
            let again = super::agenda::of_customers(conn, as_of, &more)?;
            codes.extend((g.code_of)(&again)?);
            derived.extend(again);
        }
        let by_id: HashMap<&str, (&Action, &str)> = derived
            .iter()
            .zip(&codes)
            .map(|(a, code)| (a.id.as_str(), (a, code.as_str())))
            .collect();
        // Counts and sums: every kept row, less the customers set apart, plus theirs.
        let mut sums: Sums = HashMap::new();
        kept_sums(conn, column, None, 1, &mut sums)?;
        for ((code, currency), (n, minor)) in &less {
            add_to(&mut sums, code, currency, -n, -minor)?;
        }
        for l in &theirs {
            add_to(&mut sums, &l.code, &l.currency, 1, l.amount_minor)?;
        }
        // A kept group no group of `g` names: the cache is wrong.
        if sums
            .iter()
            .any(|((code, _), (n, _))| *n != 0 && !g.groups.iter().any(|(c, _)| c == code))
        {
            return Ok(None);
        }
        let mut out = Vec::new();
        for (&(code, _), page) in g.groups.iter().zip(pages) {
            let mut actions = Vec::with_capacity(page.len());
            for l in page {
                let Some(&(a, derived_code)) = by_id.get(l.action_id.as_str()) else {
                    return Ok(None);
                };
                // A kept row shown must be the action derived now, in the same group.
                if a.customer_id != l.customer_id
                    || a.days_overdue != l.days_overdue
                    || derived_code != code
                {
                    return Ok(None);
                }
                actions.push(a.clone());
            }
            let mut count = 0;
            let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
            for ((c, currency), (n, minor)) in &sums {
                if c == code && *n > 0 {
                    count += usize::try_from(*n).unwrap_or(0);
                    totals.insert(currency.as_str(), *minor);
                }
            }
            out.push(Group {
                actions,
                count,
                totals: super::totals_of(totals)?,
            });
        }
        Ok(Some(out))
    })
}

/// Today's sections of `as_of` read from the kept actions, showing as many of each as
/// `shown` asks; None when nothing kept serves `as_of` (Today then derives the whole day).
pub(super) fn sections(
    conn: &Connection,
    as_of: NaiveDate,
    shown: &HashMap<Section, u32>,
) -> Result<Option<Vec<TodaySection>>> {
    let groups = super::TODAY_ORDER
        .iter()
        .map(|s| (section_code(*s), super::shown(shown.get(s).copied())))
        .collect();
    let code_of = |actions: &[Action]| -> Result<Vec<String>> {
        Ok(actions
            .iter()
            .map(|a| section_code(Section::of(a)).to_string())
            .collect())
    };
    let grouping = Grouping {
        column: "section",
        groups,
        regrouped: &HashMap::new(),
        code_of: &code_of,
    };
    Ok(grouped(conn, as_of, &grouping)?.map(|groups| {
        groups
            .into_iter()
            .zip(super::TODAY_ORDER)
            .map(|(g, section)| TodaySection {
                section,
                actions: g.actions,
                count: g.count,
                totals: g.totals,
            })
            .collect()
    }))
}

/// One kept row, as [`verify`] compares them.
/// (customer, action, section, segment, days overdue, currency, amount).
type Row = (i64, String, String, String, i64, String, i64);

/// An action as it should be kept, its customer's stored segment read in `stored`.
fn row_of(a: &Action, stored: &HashMap<i64, String>) -> Row {
    (
        a.customer_id,
        a.id.clone(),
        section_code(Section::of(a)).to_string(),
        stored
            .get(&a.customer_id)
            .cloned()
            .unwrap_or_else(|| NO_SEGMENT.to_string()),
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
    let day = kept.day;
    let Some((kept, now)) = serving_from(conn, kept, day)? else {
        return Ok(None);
    };
    let marked: HashSet<i64> = match marked(conn, &kept, &now, usize::MAX)? {
        Some(ids) => ids.into_iter().collect(),
        None => return Ok(None),
    };
    let mut stmt = conn.prepare(
        "SELECT customer_id, action_id, section, segment, days_overdue, currency, amount_minor
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
                r.get(6)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<Row>>>()?
        .into_iter()
        .filter(|r| !marked.contains(&r.0))
        .collect();
    let stored: HashMap<i64, String> = conn
        .prepare("SELECT customer_id, segment FROM customer_segments")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let mut derived: Vec<Row> = super::derived(conn, kept.day)?
        .iter()
        .filter(|a| !marked.contains(&a.customer_id))
        .map(|a| row_of(a, &stored))
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
