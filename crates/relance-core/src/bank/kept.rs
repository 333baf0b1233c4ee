//! The Bank screen's waiting lines kept by group (issue 23, migration 54).
//!
//! The screen counts the lines waiting for a decision in three groups (sure, to check, not
//! found) and shows a page of each. Each count needs every waiting line's proposal, and with
//! tens of thousands waiting that was the whole ledger's book read and every line proposed
//! at each reading. Now:
//!
//! - each waiting line's group is kept in `bank_line_kept`, with the line's date (the
//!   groups' order, newest first, is read from the head of an index);
//! - what its proposal may read is kept in `bank_line_asks` ([`asks_of`]: the invoice
//!   numbers' keys its texts may name, its references, its payer account, its payer's name
//!   words), a function of the line alone;
//! - the migration's triggers log in `bank_book_changes`, in the transaction that makes
//!   them, what changed in the book: an invoice, a number, a customer, a former name, a
//!   reference, a payer account, a line, or everything (the tolerance, a bulk import);
//! - a reading computes again only the lines those changes may touch ([`touched`]): the
//!   lines asking an invoice's number key, the references holding it, an account of its
//!   customer or a word of its customer's name (rule 4's customers share a word with the
//!   payer), read in batches of [`BATCH`]; more than [`NARROW_UP_TO`] lines touched, or
//!   everything, and the reading derives every line as before;
//! - a fold ([`fold_in`]: each bank import and match, each start, `relance check
//!   --rebuild`) takes every change logged, clearing them in the same statement, then
//!   writes the lines they touch again; a change logged after that (another person's, on
//!   a server) is a row of its own, left for the next.
//!
//! A page's lines are proposed again from the book they ask (so a page shows what the
//! matcher says now); one whose group is not the one kept is a damaged cache: the reading
//! then derives every line, and [`verify`] (`relance check`, the crash harness, the
//! model-based test) finds it.

use super::book::{for_lines, NARROW_UP_TO};
use super::matching::{self, Asks, Proposal};
use super::store::{lines_by_id, status_of, undecided_among, waiting, Group, UNDECIDED};
use super::{alnum_key, Line};
use crate::error::{Lang, Result};
use crate::store::sql::{params, Connection, OptionalExtension};
use std::collections::{BTreeSet, HashMap};

/// Migration 54's trigger logging each invoice inserted, set aside by a bulk import of
/// invoices (which then logs everything once: [`forget_in`]).
pub(crate) const INVOICE_INSERT_TRIGGER: &str = "bank_book_invoice_new";
/// Migration 54's trigger logging each invoice changed (settled by a payment), set aside by
/// a bulk import of payments likewise.
pub(crate) const INVOICE_UPDATE_TRIGGER: &str = "bank_book_invoice_changed";

/// A waiting line as a group lists it: id, line, proposal, status.
pub(crate) type Entry = (i64, Line, Proposal, &'static str);

/// The kept code of a waiting group (the others are never kept).
fn code(g: Group) -> Option<i64> {
    match g {
        Group::Sure => Some(0),
        Group::Proposed => Some(1),
        Group::Unmatched => Some(2),
        _ => None,
    }
}

fn group_of(code: i64) -> Option<Group> {
    match code {
        0 => Some(Group::Sure),
        1 => Some(Group::Proposed),
        2 => Some(Group::Unmatched),
        _ => None,
    }
}

/// The group the matcher puts a waiting line in.
fn group(p: &Proposal) -> Group {
    Group::of(status_of(p), p.confidence)
}

/// What `line`'s proposal may read, as kept rows (kind, value): `k` an invoice number's key,
/// `r` a reference, `a` a payer account, `w` a payer's name word ([`Asks`] of the line
/// alone).
pub(crate) fn asks_of(line: &Line) -> BTreeSet<(&'static str, String)> {
    let mut a = Asks::default();
    a.add(line);
    let mut out = BTreeSet::new();
    out.extend(a.keys.into_iter().map(|v| ("k", v)));
    out.extend(a.references.into_iter().map(|v| ("r", v)));
    out.extend(a.accounts.into_iter().map(|v| ("a", v)));
    out.extend(a.words.into_iter().map(|v| ("w", v)));
    out
}

/// A change logged by migration 54's triggers: kind, value, how many times more it was logged.
type Change = (String, String, i64);

/// The changes logged since the last fold: all of them, or `None` when there are more than
/// `up_to` (a reading then derives every line rather than map them all: 62,715 lines set
/// aside in one statement took 20 ms to read back).
fn changes(conn: &Connection, up_to: Option<usize>) -> Result<Option<Vec<Change>>> {
    let limit = up_to.map_or(i64::MAX, |n| n as i64 + 1);
    let read: Vec<Change> = conn
        .prepare_cached(
            "SELECT kind, value, seq FROM bank_book_changes ORDER BY kind, value LIMIT ?1",
        )?
        .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    Ok(up_to.is_none_or(|n| read.len() <= n).then_some(read))
}

/// Every change logged since the last fold.
fn all_changes(conn: &Connection) -> Result<Vec<Change>> {
    Ok(changes(conn, None)?.unwrap_or_default())
}

/// A reading maps up to this many changes to the lines they touch; above, it derives.
const CHANGES_READ_UP_TO: usize = 10_000;

/// Ids (integers read from the ledger) or values per statement when the changes' asks are
/// read in batches: a statement each, on a server a round trip each (the 10,000 changes of
/// an import of invoices were 40,000 round trips at each reading of the Bank screen).
const BATCH: usize = 500;

/// What the changes of some customers may touch: the lines paying from one of their
/// accounts, and those whose payer shares a word with their name (as it is, and as kept).
fn customers_asks(
    conn: &Connection,
    customers: &BTreeSet<i64>,
    asks: &mut BTreeSet<(&'static str, String)>,
) -> Result<()> {
    let customers: Vec<i64> = customers.iter().copied().collect();
    for chunk in customers.chunks(BATCH) {
        let ids = crate::store::sql::id_list(chunk);
        let mut stmt = conn.prepare(&format!(
            "SELECT account FROM payer_accounts WHERE customer_id IN ({ids})"
        ))?;
        for a in stmt.query_map([], |r| r.get::<_, String>(0))? {
            asks.insert(("a", alnum_key(&a?)));
        }
        let mut stmt = conn.prepare(&format!("SELECT name FROM customers WHERE id IN ({ids})"))?;
        for name in stmt.query_map([], |r| r.get::<_, String>(0))? {
            asks.extend(matching::name_words(&name?).into_iter().map(|w| ("w", w)));
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT word FROM customer_words WHERE customer_id IN ({ids})"
        ))?;
        for w in stmt.query_map([], |r| r.get::<_, String>(0))? {
            asks.insert(("w", w?));
        }
    }
    Ok(())
}

/// The lines `changes` may touch (waiting or not, kept or not); `None`: every line, or more
/// than `up_to` of them. Read in batches ([`BATCH`]): as many statements for ten changes of
/// a kind as for a thousand.
fn touched(
    conn: &Connection,
    changes: &[Change],
    up_to: Option<usize>,
) -> Result<Option<BTreeSet<i64>>> {
    let over = |lines: &BTreeSet<i64>| up_to.is_some_and(|n| lines.len() > n);
    let mut asks: BTreeSet<(&'static str, String)> = BTreeSet::new();
    let mut lines: BTreeSet<i64> = BTreeSet::new();
    let mut customers: BTreeSet<i64> = BTreeSet::new();
    let mut invoices: Vec<i64> = Vec::new();
    for (kind, value, _) in changes {
        let id = || value.parse::<i64>().ok();
        match kind.as_str() {
            "l" => {
                lines.extend(id());
                if over(&lines) {
                    return Ok(None);
                }
            }
            "n" => {
                asks.insert(("k", alnum_key(value)));
            }
            "r" => {
                asks.insert(("r", value.clone()));
            }
            "a" => {
                asks.insert(("a", alnum_key(value)));
            }
            "m" => asks.extend(matching::name_words(value).into_iter().map(|w| ("w", w))),
            "c" => customers.extend(id()),
            "i" => invoices.extend(id()),
            // Everything, or a kind this version does not know.
            _ => return Ok(None),
        }
    }
    // An invoice's change asks its number's key, its references, and its customer's asks.
    for chunk in invoices.chunks(BATCH) {
        let ids = crate::store::sql::id_list(chunk);
        let mut stmt = conn.prepare(&format!(
            "SELECT number, customer_id FROM invoices WHERE id IN ({ids})"
        ))?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (number, customer) = row?;
            asks.insert(("k", alnum_key(&number)));
            customers.insert(customer);
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT r.reference FROM payment_reference_invoices ri
               JOIN payment_references r ON r.id = ri.reference_id
              WHERE ri.invoice_id IN ({ids})"
        ))?;
        for r in stmt.query_map([], |r| r.get::<_, String>(0))? {
            asks.insert(("r", r?));
        }
    }
    customers_asks(conn, &customers, &mut asks)?;
    // The lines asking any of them, a kind at a time.
    let mut by_kind: HashMap<&'static str, Vec<&String>> = HashMap::new();
    for (kind, value) in &asks {
        by_kind.entry(kind).or_default().push(value);
    }
    for (kind, values) in by_kind {
        for chunk in values.chunks(BATCH) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = conn.prepare(&format!(
                "SELECT line_id FROM bank_line_asks WHERE kind = '{kind}' AND value IN ({marks})"
            ))?;
            let found = stmt.query_map(crate::store::sql::params_from_iter(chunk.iter()), |r| {
                r.get::<_, i64>(0)
            })?;
            for id in found {
                lines.insert(id?);
            }
            if over(&lines) {
                return Ok(None);
            }
        }
    }
    Ok(Some(lines))
}

/// The waiting lines among `ids` with their dates, newest first.
fn waiting_among(conn: &Connection, ids: &BTreeSet<i64>) -> Result<Vec<(i64, Line, String)>> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH) {
        out.extend(undecided_among(conn, chunk)?);
    }
    out.sort_by(|a, b| (&b.2, b.0).cmp(&(&a.2, a.0)));
    Ok(out)
}

/// Every change logged since the last fold, cleared in the same statement (in the caller's
/// transaction: a fold that fails leaves them logged). Cleared one statement each, with the
/// count read (`seq`), the 10,000 a start's name words log cost a second of round trips on
/// a server.
fn take_changes(tx: &Connection) -> Result<Vec<Change>> {
    let mut taken: Vec<Change> = tx
        .prepare("DELETE FROM bank_book_changes WHERE true RETURNING kind, value, seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    taken.sort_unstable();
    Ok(taken)
}

/// Writes the kept rows of the changes logged so far and clears those changes, in the
/// caller's transaction. Returns how many waiting lines it proposed again.
pub(crate) fn fold_in(tx: &Connection) -> Result<usize> {
    compact_counts(tx)?;
    let changes = take_changes(tx)?;
    if changes.is_empty() {
        return Ok(0);
    }
    let lines = match touched(tx, &changes, None)? {
        None => {
            tx.execute("DELETE FROM bank_line_kept WHERE true", [])?;
            tx.execute("DELETE FROM bank_line_asks WHERE true", [])?;
            waiting(tx)?
        }
        Some(ids) => {
            let list: Vec<i64> = ids.iter().copied().collect();
            // (prepared apart: `execute` keeps what it runs, and these lists would push
            // the statements run often out of SQLite's cache)
            for chunk in list.chunks(BATCH) {
                let listed = crate::store::sql::id_list(chunk);
                for table in ["bank_line_kept", "bank_line_asks"] {
                    tx.prepare(&format!("DELETE FROM {table} WHERE line_id IN ({listed})"))?
                        .execute([])?;
                }
            }
            waiting_among(tx, &ids)?
        }
    };
    let book = for_lines(tx, lines.iter().map(|(_, l, _)| l))?;
    let mut keep = tx.prepare_cached(
        // Upserts: a row left by a fold that another line's change does not touch is
        // written over (a fold never overlaps another: a fold runs in a write transaction,
        // which on a server takes the ledger's write lock in turn).
        "INSERT INTO bank_line_kept (line_id, grp, date) VALUES (?1, ?2, ?3)
         ON CONFLICT (line_id) DO UPDATE SET grp = excluded.grp, date = excluded.date",
    )?;
    let mut ask = tx.prepare_cached(
        "INSERT INTO bank_line_asks (kind, value, line_id) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for (id, l, date) in &lines {
        let p = matching::propose(l, &book);
        let Some(c) = code(group(&p)) else { continue };
        keep.execute(params![id, c, date])?;
        for (kind, value) in asks_of(l) {
            ask.execute(params![kind, value, id])?;
        }
    }
    Ok(lines.len())
}

/// [`fold_in`] in a transaction of its own (a start); then, when the rows kept are not as
/// many as the lines waiting (a row lost or left behind: nothing the triggers do), every
/// line is kept again.
pub fn fold(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, |tx| {
        let n = fold_in(tx)?;
        let counts: (i64, i64) = tx.query_row(
            &format!(
                "SELECT (SELECT COUNT(*) FROM bank_line_kept),
                        (SELECT COUNT(*) FROM bank_lines WHERE {UNDECIDED})"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if counts.0 == counts.1 {
            return Ok(n);
        }
        forget_in(tx)?;
        fold_in(tx)
    })
}

/// Every kept row forgotten, in the caller's transaction: the next reading derives every
/// line, the next fold keeps them again (a bulk import or a restore that set the triggers
/// aside).
pub(crate) fn forget_in(tx: &Connection) -> Result<()> {
    tx.execute(
        "INSERT INTO bank_book_changes (kind, value, seq) VALUES ('*', '', 0)
         ON CONFLICT (kind, value) DO UPDATE SET seq = bank_book_changes.seq + 1",
        [],
    )?;
    Ok(())
}

/// `relance check --rebuild`: every waiting line's group and asks written again, and the
/// decided lines counted again.
pub fn rebuild(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, |tx| {
        tx.execute("DELETE FROM bank_line_counts WHERE true", [])?;
        tx.execute(
            &format!("INSERT INTO bank_line_counts (grp, lines) {COUNTED_FROM_THE_LINES}"),
            [],
        )?;
        forget_in(tx)?;
        fold_in(tx)
    })
}

/// The lines counted by what decides their group from the line alone (migration 59's
/// `bank_line_counts`), as the lines say: 'm' with a payment, 'i' set aside, 'd' neither, of
/// money out or a reversal.
const COUNTED_FROM_THE_LINES: &str =
    "SELECT 'm', COUNT(*) FROM bank_lines WHERE payment_id IS NOT NULL
     UNION ALL SELECT 'i', COUNT(*) FROM bank_lines WHERE ignored IS NOT NULL
     UNION ALL SELECT 'd', COUNT(*) FROM bank_lines
                WHERE payment_id IS NULL AND ignored IS NULL AND (amount_minor <= 0 OR reversal <> 0)";

/// The rows the triggers added to `bank_line_counts` (one per change) summed into one per
/// group, in the caller's transaction (each fold: the table stays a few rows long). The rows
/// summed are those the `DELETE … RETURNING` took: on a server, a row another writer's
/// trigger adds meanwhile (a line set aside outside a transaction) stays for the next fold.
fn compact_counts(tx: &Connection) -> Result<()> {
    let (rows, groups): (i64, i64) = tx
        .prepare_cached("SELECT COUNT(*), COUNT(DISTINCT grp) FROM bank_line_counts")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if rows == groups {
        return Ok(());
    }
    let mut sums: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for row in tx
        .prepare_cached("DELETE FROM bank_line_counts WHERE true RETURNING grp, lines")?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
    {
        let (grp, lines) = row?;
        *sums.entry(grp).or_default() += lines;
    }
    let mut put = tx.prepare_cached("INSERT INTO bank_line_counts (grp, lines) VALUES (?1, ?2)")?;
    for (grp, lines) in sums {
        put.execute(params![grp, lines])?;
    }
    Ok(())
}

/// How many lines each decided group holds (matched, set aside, money out), from the kept
/// counts (`bank_line_counts`, migration 59) and the lines given back before they were
/// decided: set aside whatever they were (money in or out), read from the reversals' index
/// (few: a count of the whole group walked it, 11.5 ms for the 62,715 lines set aside at a
/// million invoices on a server).
pub(crate) fn decided_totals(conn: &Connection) -> Result<HashMap<Group, u32>> {
    let (matched, ignored, debit, given_back, debit_given_back): (i64, i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT COALESCE(SUM(lines), 0) FROM bank_line_counts WHERE grp = 'm'),
                    (SELECT COALESCE(SUM(lines), 0) FROM bank_line_counts WHERE grp = 'i'),
                    (SELECT COALESCE(SUM(lines), 0) FROM bank_line_counts WHERE grp = 'd'),
                    (SELECT COUNT(*) FROM bank_lines r CROSS JOIN bank_lines l ON l.id = r.reverses
                      WHERE r.reverses IS NOT NULL AND l.payment_id IS NULL AND l.ignored IS NULL),
                    (SELECT COUNT(*) FROM bank_lines r CROSS JOIN bank_lines l ON l.id = r.reverses
                      WHERE r.reverses IS NOT NULL AND l.payment_id IS NULL AND l.ignored IS NULL
                        AND (l.amount_minor <= 0 OR l.reversal <> 0))",
        )?
        .query_row([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let size = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    Ok([
        (Group::Matched, size(matched)),
        (Group::Ignored, size(ignored + given_back)),
        (Group::Debit, size(debit - debit_given_back)),
    ]
    .into_iter()
    .collect())
}

/// Each decided group whose kept size ([`decided_totals`]) is not the count of its lines,
/// one finding each in `lang` (empty: none).
fn verify_totals(conn: &Connection, lang: Lang) -> Result<Vec<String>> {
    let kept = decided_totals(conn)?;
    let mut findings = Vec::new();
    for g in Group::ALL {
        let Some(rows) = g.decided_rows() else {
            continue;
        };
        let derived: u32 =
            conn.query_row(&format!("SELECT COUNT(*) FROM ({rows}) g"), [], |r| {
                r.get(0)
            })?;
        let said = kept.get(&g).copied().unwrap_or(0);
        if said != derived {
            findings.push(match lang {
                Lang::Fr => format!(
                    "relevés, groupe {g:?} : {said} ligne(s) comptée(s), {derived} calculée(s)"
                ),
                Lang::En => format!(
                    "statement lines, group {g:?}: {said} line(s) counted, {derived} derived"
                ),
            });
        }
    }
    Ok(findings)
}

/// The waiting lines as the kept rows and the changes since say: read through
/// [`Kept::read`], `None` when the reading must derive every line.
pub(crate) struct Kept {
    /// The lines the changes since the last fold may touch.
    pub(super) touched: BTreeSet<i64>,
    /// The touched lines waiting, proposed now, by group, newest first; with their dates.
    computed: HashMap<Group, Vec<(Entry, String)>>,
    /// The kept rows of touched lines, by group: (date, id).
    stale: HashMap<Group, Vec<(String, i64)>>,
    /// Kept rows by group.
    counts: HashMap<Group, u32>,
}

/// Whether (date, id) comes before (newest first) (`d`, `id`).
fn before(a: (&str, i64), b: (&str, i64)) -> bool {
    a > b
}

impl Kept {
    /// The kept rows and what changed since: `None` when everything changed or more lines
    /// are touched than a narrowed book serves.
    pub(crate) fn read(conn: &Connection) -> Result<Option<Kept>> {
        let Some(changes) = changes(conn, Some(CHANGES_READ_UP_TO))? else {
            return Ok(None);
        };
        let Some(touched) = touched(conn, &changes, Some(NARROW_UP_TO))? else {
            return Ok(None);
        };
        let lines = waiting_among(conn, &touched)?;
        let book = for_lines(conn, lines.iter().map(|(_, l, _)| l))?;
        let mut computed: HashMap<Group, Vec<(Entry, String)>> = HashMap::new();
        for (id, l, date) in lines {
            let p = matching::propose(&l, &book);
            let state = status_of(&p);
            computed
                .entry(group(&p))
                .or_default()
                .push(((id, l, p, state), date));
        }
        let mut stale: HashMap<Group, Vec<(String, i64)>> = HashMap::new();
        let ids: Vec<i64> = touched.iter().copied().collect();
        for chunk in ids.chunks(BATCH) {
            let mut stmt = conn.prepare(&format!(
                "SELECT grp, date, line_id FROM bank_line_kept WHERE line_id IN ({})",
                crate::store::sql::id_list(chunk)
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (c, date, id) = row?;
                let Some(g) = group_of(c) else {
                    return Ok(None);
                };
                stale.entry(g).or_default().push((date, id));
            }
        }
        for list in stale.values_mut() {
            list.sort_by(|a, b| (&b.0, b.1).cmp(&(&a.0, a.1)));
        }
        let mut counts = HashMap::new();
        let mut stmt =
            conn.prepare_cached("SELECT grp, COUNT(*) FROM bank_line_kept GROUP BY grp")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (c, n) = row?;
            let Some(g) = group_of(c) else {
                return Ok(None);
            };
            counts.insert(g, n as u32);
        }
        Ok(Some(Kept {
            touched,
            computed,
            stale,
            counts,
        }))
    }

    fn computed(&self, g: Group) -> &[(Entry, String)] {
        self.computed.get(&g).map_or(&[], Vec::as_slice)
    }

    fn stale(&self, g: Group) -> &[(String, i64)] {
        self.stale.get(&g).map_or(&[], Vec::as_slice)
    }

    /// How many lines wait in `g`.
    pub(crate) fn total(&self, g: Group) -> u32 {
        (self.counts.get(&g).copied().unwrap_or(0)).saturating_sub(self.stale(g).len() as u32)
            + self.computed(g).len() as u32
    }

    /// The group of a waiting line and how many lines come before it there; `None` when it
    /// does not wait.
    pub(crate) fn position(&self, conn: &Connection, line: i64) -> Result<Option<(Group, u32)>> {
        let (g, date) = if self.touched.contains(&line) {
            let found = Group::ALL.iter().find_map(|g| {
                self.computed(*g)
                    .iter()
                    .find(|(e, _)| e.0 == line)
                    .map(|(_, d)| (*g, d.clone()))
            });
            match found {
                Some(f) => f,
                None => return Ok(None),
            }
        } else {
            let row: Option<(i64, String)> = conn
                .prepare_cached("SELECT grp, date FROM bank_line_kept WHERE line_id = ?1")?
                .query_row([line], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match row.and_then(|(c, d)| group_of(c).map(|g| (g, d))) {
                Some(f) => f,
                None => return Ok(None),
            }
        };
        let code = code(g).unwrap_or(0);
        let kept_before: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM bank_line_kept
                 WHERE grp = ?1 AND (date > ?2 OR (date = ?2 AND line_id > ?3))",
            )?
            .query_row(params![code, date, line], |r| r.get(0))?;
        let at = (date.as_str(), line);
        let stale_before = self
            .stale(g)
            .iter()
            .filter(|(d, id)| before((d.as_str(), *id), at))
            .count();
        let computed_before = self
            .computed(g)
            .iter()
            .filter(|(e, d)| before((d.as_str(), e.0), at))
            .count();
        Ok(Some((
            g,
            (kept_before as usize - stale_before + computed_before) as u32,
        )))
    }

    /// The lines of `g` from `offset`, `limit` of them, newest first, each proposed now;
    /// `None` when a kept line's group is not the matcher's, or its line is gone (a damaged
    /// cache).
    pub(crate) fn page(
        &self,
        conn: &Connection,
        g: Group,
        offset: u32,
        limit: u32,
    ) -> Result<Option<Vec<Entry>>> {
        let Some(code) = code(g) else {
            return Ok(Some(Vec::new()));
        };
        let want = offset as usize + limit as usize;
        let walked: Vec<(String, i64)> = conn
            .prepare_cached(
                "SELECT date, line_id FROM bank_line_kept WHERE grp = ?1
                 ORDER BY date DESC, line_id DESC LIMIT ?2",
            )?
            .query_map(params![code, (want + self.stale(g).len()) as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<crate::store::sql::Result<_>>()?;
        // Both lists newest first: merged, the touched kept rows left out.
        enum From<'a> {
            Kept(i64),
            Computed(&'a Entry),
        }
        let mut merged: Vec<(&str, i64, From)> = walked
            .iter()
            .filter(|(_, id)| !self.touched.contains(id))
            .map(|(d, id)| (d.as_str(), *id, From::Kept(*id)))
            .chain(
                self.computed(g)
                    .iter()
                    .map(|(e, d)| (d.as_str(), e.0, From::Computed(e))),
            )
            .collect();
        merged.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
        let chosen: Vec<From> = merged
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(_, _, f)| f)
            .collect();
        // The kept lines of the page, read together, proposed from the book they ask.
        let kept: Vec<i64> = chosen
            .iter()
            .filter_map(|f| match f {
                From::Kept(id) => Some(*id),
                From::Computed(_) => None,
            })
            .collect();
        let mut read = lines_by_id(conn, &kept)?;
        let book = for_lines(conn, read.values())?;
        let mut out = Vec::with_capacity(chosen.len());
        for f in chosen {
            match f {
                From::Computed(e) => out.push(e.clone()),
                From::Kept(id) => {
                    // (a kept row of a line that is gone: a damaged cache)
                    let Some(l) = read.remove(&id) else {
                        return Ok(None);
                    };
                    let p = matching::propose(&l, &book);
                    if group(&p) != g {
                        return Ok(None);
                    }
                    let state = status_of(&p);
                    out.push((id, l, p, state));
                }
            }
        }
        Ok(Some(out))
    }
}

/// The kept rows that differ from what the matcher says of the waiting lines no change
/// since touches, one finding each in `lang` (empty: none). `derived` is every waiting
/// line with its date and group (from the whole ledger's book); read inside one snapshot
/// on a shared ledger.
pub(crate) fn verify(
    conn: &Connection,
    derived: &[(i64, &Line, &str, Group)],
    lang: Lang,
) -> Result<Vec<String>> {
    let mut findings = verify_totals(conn, lang)?;
    let Some(touched) = touched(conn, &all_changes(conn)?, None)? else {
        return Ok(findings);
    };
    let mut kept: HashMap<i64, (i64, String)> = conn
        .prepare("SELECT line_id, grp, date FROM bank_line_kept")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<crate::store::sql::Result<_>>()?;
    let mut asked: HashMap<i64, BTreeSet<(String, String)>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT line_id, kind, value FROM bank_line_asks")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (id, kind, value) = row?;
        asked.entry(id).or_default().insert((kind, value));
    }
    drop(stmt);
    for &(id, line, date, g) in derived {
        let row = kept.remove(&id);
        let asks = asked.remove(&id);
        if touched.contains(&id) {
            continue;
        }
        let said = row
            .as_ref()
            .and_then(|(c, d)| group_of(*c).filter(|_| *d == date));
        let wanted: BTreeSet<(String, String)> = asks_of(line)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if said != Some(g) || asks.unwrap_or_default() != wanted {
            findings.push(match lang {
                Lang::Fr => format!(
                    "ligne de relevé #{id} : groupe enregistré {}, calculé {g:?} (ou ce qu'elle demande au grand livre diffère)",
                    said.map_or("aucun".to_string(), |g| format!("{g:?}")),
                ),
                Lang::En => format!(
                    "statement line #{id}: group kept {}, derived {g:?} (or what it asks the ledger differs)",
                    said.map_or("none".to_string(), |g| format!("{g:?}")),
                ),
            });
        }
    }
    // Rows kept for a line that no longer waits, no change since touching it.
    for id in kept.keys().chain(asked.keys()) {
        if touched.contains(id) {
            continue;
        }
        findings.push(match lang {
            Lang::Fr => format!(
                "ligne de relevé #{id} : gardée comme en attente, alors qu'elle est décidée"
            ),
            Lang::En => format!("statement line #{id}: kept as waiting, though it is decided"),
        });
    }
    findings.sort();
    findings.dedup();
    Ok(findings)
}
