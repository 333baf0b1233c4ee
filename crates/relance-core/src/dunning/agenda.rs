//! The agenda, derived in named steps: load the facts ([`load_steps`], [`open_invoices`],
//! [`history_of`], [`promise_effects`]) → derive each invoice's due step ([`due_steps`]) →
//! group per customer ([`group_per_customer`]) → rank ([`rank`]).
//!
//! Grouping rules (per customer and currency):
//! - **One message a day.** Every written step due (courtesy, reminder, final notice, formal
//!   demand, statement) becomes one e-mail or letter, at the most advanced stage due (its
//!   kind, channel and name). It claims the overdue invoices; those not yet due are listed
//!   for information only (`for_information`: no interest, no demand on them). Its targets
//!   name every invoice with its own step, so doing the message journals the lower-stage
//!   steps it covers as done.
//! - Calls stay one action per customer and currency, beside the message.
//! - **No courtesy to a customer under formal demand**: while one of the customer's open,
//!   claimable invoices (same currency) has had a final notice or a formal demand done, no
//!   pre-due courtesy step is proposed for their other invoices; they enter the scenario at
//!   their due date like any invoice. Nor is a courtesy note proposed once the invoice is
//!   overdue (a catch-up after a gap): the first step past the due date takes over.

use super::scenarios::{self, Channel, StepKind};
use super::{promises, Action, ActionKind, ActionTarget};
use crate::error::{Lang, Result};
use crate::money::{checked_total, Currency};
use crate::store::sql::{params, Connection};
use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, HashMap, HashSet};

pub(super) struct StepRow {
    pub(super) offset: i64,
    pub(super) channel: Channel,
    pub(super) kind: StepKind,
    pub(super) needs_decision: bool,
    pub(super) min_minor: Option<i64>,
    pub(super) name_fr: String,
    pub(super) name_en: String,
}

struct OpenInvoice {
    id: i64,
    number: String,
    customer_id: i64,
    customer_ref: String,
    customer_name: String,
    on_hold: bool,
    scenario_id: i64,
    due: NaiveDate,
    currency: String,
    balance: i64,
}

#[derive(Default)]
pub(super) struct History {
    /// Offsets done or skipped, with the journal id that recorded them.
    pub(super) handled: Vec<(i64, i64)>,
    /// Offsets done (not skipped): what was really sent.
    done: Vec<i64>,
    /// Offsets snoozed until a date.
    pub(super) snoozed: Vec<(i64, NaiveDate)>,
}

/// What promises do to the agenda: invoices paused (live promise, or a broken one waiting
/// for the owner's decision), invoices to resume one step past the last step handled before
/// the broken promise was acknowledged (journal id), and the "promise broken" actions.
struct PromiseEffects {
    paused: HashSet<i64>,
    bumped_after: HashMap<i64, i64>,
    actions: Vec<Action>,
}

/// How far a written step goes: a courtesy note before the due date, then a statement of
/// account, a reminder, a final notice, a formal demand.
fn stage(kind: StepKind) -> u8 {
    match kind {
        StepKind::Courtesy => 0,
        StepKind::Statement => 1,
        StepKind::Reminder => 2,
        StepKind::FinalNotice => 3,
        StepKind::FormalDemand => 4,
    }
}

/// Today's actions: derived from the invoices the wake dates say may have a step due
/// ([`super::wake`]) and those under a promise, or from every open invoice for a day before
/// the wake dates were computed. Always what [`derived`] says.
pub fn agenda(conn: &Connection, as_of: NaiveDate) -> Result<Vec<Action>> {
    // One moment of the ledger, its lock taken once for the thousands of reads of a day.
    conn.reading(|| {
        let scope = if super::wake::serves(conn, as_of)? && !super::wake::crowded(conn, as_of)? {
            Scope::Woken
        } else {
            Scope::All
        };
        actions(conn, as_of, scope)
    })
}

/// The actions of `as_of` of the customers the action ids `ids` name, as [`agenda`] has
/// them: what acting on a few actions reads instead of the whole day (a click on Today at a
/// million invoices computed every action of the day first). An id begins with its
/// customer's reference, which may itself hold a '/': every prefix of an id ending before a
/// '/' that is a customer's reference counts (one too many is harmless: its actions are
/// read, not acted on).
pub fn agenda_of(conn: &Connection, as_of: NaiveDate, ids: &[String]) -> Result<Vec<Action>> {
    conn.reading(|| {
        let customers = customers_named(conn, ids)?;
        of_customers(conn, as_of, &customers)
    })
}

/// The actions of `as_of` of the customers `customers` (ids, ascending), as [`agenda`] has
/// them.
pub(super) fn of_customers(
    conn: &Connection,
    as_of: NaiveDate,
    customers: &[i64],
) -> Result<Vec<Action>> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let mut actions = actions(conn, as_of, Scope::Customers(customers))?;
    let wanted: HashSet<i64> = customers.iter().copied().collect();
    actions.retain(|a| wanted.contains(&a.customer_id));
    Ok(actions)
}

/// The actions `ids` name with their customers' ([`agenda_of`]), or the whole day's when
/// none are named ([`agenda`]): what a batch over chosen actions or all of them reads.
pub fn agenda_for(
    conn: &Connection,
    as_of: NaiveDate,
    ids: Option<&[String]>,
) -> Result<Vec<Action>> {
    match ids {
        Some(ids) => agenda_of(conn, as_of, ids),
        None => agenda(conn, as_of),
    }
}

/// The customers whose reference begins one of the action ids `ids` (see [`agenda_of`]).
fn customers_named(conn: &Connection, ids: &[String]) -> Result<Vec<i64>> {
    use crate::store::sql::OptionalExtension;
    let prefixes: std::collections::BTreeSet<&str> = ids
        .iter()
        .flat_map(|id| id.match_indices('/').map(|(k, _)| &id[..k]))
        .collect();
    let mut stmt = conn.prepare_cached("SELECT id FROM customers WHERE reference = ?1")?;
    let mut out = Vec::new();
    for reference in prefixes {
        if let Some(id) = stmt
            .query_row([reference], |r| r.get::<_, i64>(0))
            .optional()?
        {
            out.push(id);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Today's actions read through the wake dates however many invoices are awake (what
/// [`super::wake::verify`] compares with [`derived`]).
pub(super) fn woken(conn: &Connection, as_of: NaiveDate) -> Result<Vec<Action>> {
    actions(conn, as_of, Scope::Woken)
}

/// Today's actions derived from every open invoice, without the wake dates: what
/// [`agenda`] must equal (`relance check`, the model test and the crash harness compare).
pub fn derived(conn: &Connection, as_of: NaiveDate) -> Result<Vec<Action>> {
    actions(conn, as_of, Scope::All)
}

/// Which open invoices the agenda reads.
#[derive(Clone, Copy)]
enum Scope<'a> {
    All,
    /// Those whose wake date has come (or is to compute), and those under a promise.
    Woken,
    /// Every one of these customers (ids), and those under a promise (a broken promise's
    /// action gathers every open invoice it names, whoever they belong to now): the actions
    /// of these customers are then [`All`]'s.
    ///
    /// [`All`]: Scope::All
    Customers(&'a [i64]),
}

fn actions(conn: &Connection, as_of: NaiveDate, scope: Scope) -> Result<Vec<Action>> {
    let lang = crate::settings::ui_language(conn);
    let default_currency = crate::settings::default_currency(conn)?;
    let steps = load_steps(conn)?;
    let out = OutOfDunning::read(conn, as_of)?;
    let invoices = open_invoices(conn, as_of, scope, &out)?;
    // Every open invoice's history in one pass; the woken few's invoice by invoice.
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let history = history_of(conn, &ids, matches!(scope, Scope::All))?;
    let promised = promise_effects(conn, as_of, &invoices, lang)?;
    let due = due_steps(&invoices, &steps, &history, &promised, as_of);
    // No courtesy note to a customer under formal demand: asked only of those with one due.
    let courtesy: HashSet<(i64, String)> = due
        .iter()
        .filter(|(_, step)| step.kind == StepKind::Courtesy)
        .map(|(inv, _)| (inv.customer_id, inv.currency.clone()))
        .collect();
    let escalated = match scope {
        _ if courtesy.is_empty() => HashSet::new(),
        Scope::Woken => escalated_among(conn, as_of, &courtesy, &invoices, &steps, &out)?,
        // Every open invoice of each customer read (those of others under a promise only
        // partly: their actions are not kept).
        Scope::All | Scope::Customers(_) => escalated(&invoices, &steps, &history),
    };
    let due: Vec<_> = due
        .into_iter()
        .filter(|(inv, step)| {
            step.kind != StepKind::Courtesy
                || !escalated.contains(&(inv.customer_id, inv.currency.clone()))
        })
        .collect();
    let mut actions = promised.actions;
    actions.extend(group_per_customer(due, as_of, lang, default_currency)?);
    rank(&mut actions);
    Ok(actions)
}

/// Every scenario's steps, by scenario, in offset order.
pub(super) fn load_steps(conn: &Connection) -> Result<HashMap<i64, Vec<StepRow>>> {
    let mut steps: HashMap<i64, Vec<StepRow>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT scenario_id, offset_days, channel, kind, needs_decision, min_amount_minor, name_fr, name_en
         FROM scenario_steps ORDER BY scenario_id, offset_days",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    for row in rows {
        let (sid, offset, channel, kind, needs_decision, min_minor, name_fr, name_en) = row?;
        steps.entry(sid).or_default().push(StepRow {
            offset,
            channel: Channel::parse("channel", &channel)?,
            kind: StepKind::parse("kind", &kind)?,
            needs_decision,
            min_minor,
            name_fr,
            name_en,
        });
    }
    Ok(steps)
}

/// What keeps an open invoice out of the agenda, read once per agenda.
struct OutOfDunning {
    /// Disputed (not resolved) or closed: few, so loaded once and filtered in Rust
    /// (measured: two NOT EXISTS probes per open invoice cost 70 ms over 28,000 of them).
    excluded: HashSet<i64>,
    /// Money in from the bank, not matched yet: an invoice whose balance it equals waits
    /// until the owner has looked (never remind a customer who may have paid).
    arrived: HashSet<(String, i64)>,
    default_scenario: i64,
}

impl OutOfDunning {
    fn read(conn: &Connection, as_of: NaiveDate) -> Result<OutOfDunning> {
        let mut excluded: HashSet<i64> = HashSet::new();
        let mut stmt = conn.prepare_cached(
            "SELECT invoice_id FROM disputes WHERE resolved_on IS NULL
             UNION SELECT invoice_id FROM invoice_closures",
        )?;
        for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            excluded.insert(id?);
        }
        let arrived = crate::bank::store::unmatched_credits(conn, as_of)?
            .into_iter()
            .map(|(currency, amount, _, _)| (currency, amount))
            .collect();
        Ok(OutOfDunning {
            excluded,
            arrived,
            default_scenario: scenarios::default_id(conn)?,
        })
    }
}

/// The open invoices dunning may act on (not disputed, not closed; no scenario step is more
/// than 90 days early) within `scope`, oldest due date first.
fn open_invoices(
    conn: &Connection,
    as_of: NaiveDate,
    scope: Scope,
    out: &OutOfDunning,
) -> Result<Vec<OpenInvoice>> {
    let OutOfDunning {
        excluded,
        arrived,
        default_scenario,
    } = out;
    let mut invoices: Vec<OpenInvoice> = Vec::new();
    // The woken: an invoice whose wake date has come, or is to compute ('' sorts first),
    // and any under a promise (a promise pauses, then bumps its invoices a step on). Not a
    // UNION: SQLite merges a UNION's two sides in id order, and so read every wake date in
    // the table (its rowid order) rather than the index's range of those come (at a
    // million invoices, an empty Today cost 10-35 ms; `views::growth` counts the reads).
    // Each read: its FROM, a condition of its own, and whether it binds the day (?3).
    let reads: Vec<(String, String, Option<String>)> = match scope {
        Scope::All => vec![("invoices i".to_string(), String::new(), None)],
        Scope::Woken => vec![(
            "(SELECT invoice_id AS id FROM agenda_wake WHERE wake_on <= ?3
              UNION ALL
              SELECT DISTINCT p.invoice_id FROM promise_invoices p
              WHERE NOT EXISTS (SELECT 1 FROM agenda_wake a
                                WHERE a.invoice_id = p.invoice_id AND a.wake_on <= ?3)) w
             CROSS JOIN invoices i ON i.id = w.id"
                .to_string(),
            String::new(),
            Some(as_of.to_string()),
        )],
        // The customers' invoices by their index, then those under a promise, merged: one
        // read of their union joined to the invoices made PostgreSQL hash it against every
        // open invoice (13 ms of a Today's 110 ms at 100,000 invoices, on a server).
        // (integers only: nothing typed reaches the statement)
        Scope::Customers(ids) => vec![
            (
                "invoices i INDEXED BY invoices_customer".to_string(),
                format!(
                    " AND i.customer_id IN ({})",
                    crate::store::sql::id_list(ids)
                ),
                None,
            ),
            (
                "(SELECT DISTINCT invoice_id AS id FROM promise_invoices) w
                 CROSS JOIN invoices i ON i.id = w.id"
                    .to_string(),
                String::new(),
                None,
            ),
        ],
    };
    let horizon = (as_of + Duration::days(90)).to_string();
    let map = |r: &crate::store::sql::Row<'_>| {
        Ok(OpenInvoice {
            id: r.get(0)?,
            number: r.get(1)?,
            customer_id: r.get(2)?,
            customer_ref: r.get(3)?,
            customer_name: r.get(4)?,
            on_hold: r.get(9)?,
            scenario_id: r.get(5)?,
            due: r.get(6)?,
            currency: r.get(7)?,
            balance: r.get(8)?,
        })
    };
    let mut rows: Vec<OpenInvoice> = Vec::new();
    let scenario = scenarios::effective_sql(conn)?;
    for (from, filter, key) in &reads {
        let sql = format!(
            "SELECT i.id, i.number, i.customer_id, c.reference, c.name, {},
                    i.due_date, i.currency, i.total_minor - i.settled_minor, c.on_hold
                 FROM {from} CROSS JOIN customers c ON c.id = i.customer_id
                 {}
                 WHERE i.settled_minor < i.total_minor AND i.due_date <= ?1{filter}
                 ORDER BY i.due_date, i.id",
            scenario,
            scenarios::SEGMENT_JOIN
        );
        // A statement naming customers is of this call only: not kept prepared.
        let mut stmt = match scope {
            Scope::Customers(_) => conn.prepare(&sql)?,
            _ => conn.prepare_cached(&sql)?,
        };
        match key {
            Some(key) => {
                for row in stmt.query_map(params![horizon, *default_scenario, key], map)? {
                    rows.push(row?);
                }
            }
            None => {
                for row in stmt.query_map(params![horizon, *default_scenario], map)? {
                    rows.push(row?);
                }
            }
        }
    }
    if reads.len() > 1 {
        // One order, each invoice once (a customer's invoice under a promise is in both).
        rows.sort_by(|a, b| a.due.cmp(&b.due).then(a.id.cmp(&b.id)));
        rows.dedup_by_key(|i| i.id);
    }
    for inv in rows {
        if !excluded.contains(&inv.id) && !arrived.contains(&(inv.currency.clone(), inv.balance)) {
            invoices.push(inv);
        }
    }
    Ok(invoices)
}

/// Above this many invoices, their history is read in one pass over every step journaled
/// rather than invoice by invoice: on a file a query costs microseconds (at a million
/// invoices, one pass over a day's 100,000 steps journaled made the next day's agenda
/// 285 → 705 ms); on a server each is a round trip.
fn history_by_invoice_max(conn: &Connection) -> usize {
    match conn.dialect() {
        crate::store::sql::Dialect::Sqlite => 20_000,
        _ => 2_000,
    }
}

/// How many invoices' history one statement reads when read invoice by invoice.
const HISTORY_CHUNK: usize = 500;

/// What the journal says was done, skipped or snoozed (and not undone), per invoice of
/// `ids`: in one pass over every step journaled when `one_pass` or for many invoices (a
/// query per invoice is a round trip on a server), else invoice by invoice.
pub(super) fn history_of(
    conn: &Connection,
    ids: &[i64],
    one_pass: bool,
) -> Result<HashMap<i64, History>> {
    let undone = crate::journal::undone(conn)?;
    let mut history: HashMap<i64, History> = HashMap::new();
    type Step = (i64, i64, String, Option<NaiveDate>, i64);
    let mut rows: Vec<Step> = Vec::new();
    let step = |r: &crate::store::sql::Row<'_>| -> crate::store::sql::Result<Step> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    };
    if one_pass || ids.len() > history_by_invoice_max(conn) {
        let wanted: HashSet<i64> = ids.iter().copied().collect();
        let mut stmt = conn.prepare_cached(
            "SELECT ji.invoice_id, ji.step_offset, j.kind, j.until_date, j.id
             FROM journal_invoices ji INDEXED BY journal_invoices_steps
             CROSS JOIN journal j ON j.id = ji.journal_id
             WHERE ji.step_offset IS NOT NULL
               AND j.kind IN ('action_done', 'action_skipped', 'action_snoozed')",
        )?;
        for row in stmt.query_map([], step)? {
            let row = row?;
            if wanted.contains(&row.0) {
                rows.push(row);
            }
        }
    } else {
        // A few hundred invoices a statement: one a time was a round trip each on a server
        // (468 of them, half of a Today's 110 ms at 100,000 invoices).
        // (integers only: nothing typed reaches the statement)
        for chunk in ids.chunks(HISTORY_CHUNK) {
            let mut stmt = conn.prepare(&format!(
                "SELECT ji.invoice_id, ji.step_offset, j.kind, j.until_date, j.id
                 FROM journal_invoices ji INDEXED BY journal_invoices_steps
                 CROSS JOIN journal j ON j.id = ji.journal_id
                 WHERE ji.invoice_id IN ({}) AND ji.step_offset IS NOT NULL
                   AND j.kind IN ('action_done', 'action_skipped', 'action_snoozed')",
                crate::store::sql::id_list(chunk)
            ))?;
            for row in stmt.query_map([], step)? {
                rows.push(row?);
            }
        }
    }
    for (invoice_id, offset, kind, until, id) in rows {
        if undone.contains(&id) {
            continue;
        }
        let h = history.entry(invoice_id).or_default();
        match (kind.as_str(), until) {
            ("action_snoozed", Some(until)) => h.snoozed.push((offset, until)),
            ("action_snoozed", None) => {}
            ("action_done", _) => {
                h.done.push(offset);
                h.handled.push((offset, id));
            }
            _ => h.handled.push((offset, id)),
        }
    }
    Ok(history)
}

/// Live promises pause their invoices; a broken one becomes a decision, then, once handled,
/// bumps its invoices one step on.
fn promise_effects(
    conn: &Connection,
    as_of: NaiveDate,
    invoices: &[OpenInvoice],
    lang: Lang,
) -> Result<PromiseEffects> {
    let grace = super::promise_grace_days(conn)?;
    let mut out = PromiseEffects {
        paused: HashSet::new(),
        bumped_after: HashMap::new(),
        actions: Vec::new(),
    };
    let by_id: HashMap<i64, &OpenInvoice> = invoices.iter().map(|i| (i.id, i)).collect();
    for p in &promises::states(conn, as_of, grace)? {
        match p.status {
            promises::PromiseStatus::Live => out.paused.extend(p.invoice_ids.iter().copied()),
            promises::PromiseStatus::Kept => {}
            promises::PromiseStatus::Broken => match p.acknowledged_by {
                Some(entry_id) => {
                    for id in &p.invoice_ids {
                        let e = out.bumped_after.entry(*id).or_insert(entry_id);
                        *e = (*e).max(entry_id);
                    }
                }
                None => {
                    out.paused.extend(p.invoice_ids.iter().copied());
                    // In the agenda's order (due date, id), found by id: a scan of every
                    // open invoice per broken promise grew with both.
                    let mut open: Vec<&OpenInvoice> = p
                        .invoice_ids
                        .iter()
                        .filter_map(|id| by_id.get(id).copied())
                        .collect();
                    open.sort_by_key(|i| (i.due, i.id));
                    open.dedup_by_key(|i| i.id);
                    let Some(oldest) = open.first() else {
                        continue;
                    };
                    let currency = Currency::parse(&oldest.currency)?;
                    let open_minor = checked_total(open.iter().map(|i| i.balance))?;
                    out.actions.push(Action {
                        id: format!("{}/promise_broken/{}", oldest.customer_ref, p.id),
                        customer: oldest.customer_ref.clone(),
                        customer_id: oldest.customer_id,
                        customer_name: oldest.customer_name.clone(),
                        on_hold: oldest.on_hold,
                        kind: ActionKind::PromiseBroken,
                        channel: Channel::Phone,
                        step: match lang {
                            Lang::Fr => format!(
                                "Promesse non tenue (payer le {})",
                                p.promised_date.format("%d/%m/%Y")
                            ),
                            Lang::En => format!(
                                "Broken promise (to pay on {})",
                                p.promised_date.format("%d/%m/%Y")
                            ),
                        },
                        needs_decision: true,
                        invoices: open.iter().map(|i| i.number.clone()).collect(),
                        for_information: Vec::new(),
                        amount: currency.minor_to_string(open_minor),
                        amount_minor: open_minor,
                        currency: oldest.currency.clone(),
                        days_overdue: (as_of - oldest.due).num_days(),
                        promise_id: Some(p.id),
                        targets: open
                            .iter()
                            .map(|i| ActionTarget {
                                invoice_id: i.id,
                                invoice: i.number.clone(),
                                step_offset: None,
                            })
                            .collect(),
                    });
                }
            },
        }
    }
    Ok(out)
}

/// Customers (and currencies) under formal demand among `invoices`: an open, claimable
/// invoice whose final notice or formal demand was done (sent; a skipped one does not
/// count).
fn escalated(
    invoices: &[OpenInvoice],
    steps: &HashMap<i64, Vec<StepRow>>,
    history: &HashMap<i64, History>,
) -> HashSet<(i64, String)> {
    let empty = History::default();
    invoices
        .iter()
        .filter(|inv| {
            let h = history.get(&inv.id).unwrap_or(&empty);
            steps
                .get(&inv.scenario_id)
                .is_some_and(|all| h.done.iter().any(|offset| formal_step(all, *offset)))
        })
        .map(|inv| (inv.customer_id, inv.currency.clone()))
        .collect()
}

/// Whether the step at `offset` of a scenario (`steps`) is a final notice or a formal
/// demand: once done, its customer is under formal demand.
fn formal_step(steps: &[StepRow], offset: i64) -> bool {
    steps
        .iter()
        .any(|s| s.offset == offset && stage(s.kind) >= stage(StepKind::FinalNotice))
}

/// [`escalated`] when only the woken invoices were read, for the customers and currencies
/// `asked` (those with a courtesy note due): from each customer's open invoices with a step
/// done, one query a customer (a customer's invoices all follow the customer's scenario).
fn escalated_among(
    conn: &Connection,
    as_of: NaiveDate,
    asked: &HashSet<(i64, String)>,
    woken: &[OpenInvoice],
    steps: &HashMap<i64, Vec<StepRow>>,
    out: &OutOfDunning,
) -> Result<HashSet<(i64, String)>> {
    let scenario_of: HashMap<i64, i64> = woken
        .iter()
        .map(|inv| (inv.customer_id, inv.scenario_id))
        .collect();
    let customers: std::collections::BTreeSet<i64> = asked.iter().map(|(c, _)| *c).collect();
    let undone = crate::journal::undone(conn)?;
    let horizon = (as_of + Duration::days(90)).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.currency, i.total_minor - i.settled_minor, ji.step_offset, j.id
         FROM invoices i CROSS JOIN journal_invoices ji ON ji.invoice_id = i.id
         CROSS JOIN journal j ON j.id = ji.journal_id
         WHERE i.customer_id = ?1 AND i.settled_minor < i.total_minor AND i.due_date <= ?2
           AND ji.step_offset IS NOT NULL AND j.kind = 'action_done'",
    )?;
    let mut found = HashSet::new();
    for customer in customers {
        let Some(all) = scenario_of.get(&customer).and_then(|s| steps.get(s)) else {
            continue;
        };
        let rows = stmt.query_map(params![customer, horizon], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (id, currency, balance, offset, entry) = row?;
            let claimable = !out.excluded.contains(&id)
                && !out.arrived.contains(&(currency.clone(), balance))
                && !undone.contains(&entry);
            let formal = formal_step(all, offset);
            if claimable && formal {
                found.insert((customer, currency));
            }
        }
    }
    Ok(found)
}

/// The step due today for each invoice, if any: the latest step reached by `as_of` (due
/// date + offset, open amount ≥ the step's minimum), or the one after the last handled
/// before an acknowledged broken promise; none when it was done or skipped, snoozed past
/// `as_of`, or a courtesy note past the due date (one to a customer under formal demand is
/// taken out by the caller).
fn due_steps<'a>(
    invoices: &'a [OpenInvoice],
    steps: &'a HashMap<i64, Vec<StepRow>>,
    history: &HashMap<i64, History>,
    promised: &PromiseEffects,
    as_of: NaiveDate,
) -> Vec<(&'a OpenInvoice, &'a StepRow)> {
    let empty = History::default();
    let mut due = Vec::new();
    for inv in invoices {
        if promised.paused.contains(&inv.id) {
            continue;
        }
        let Some(all_steps) = steps.get(&inv.scenario_id) else {
            continue;
        };
        let applicable: Vec<&StepRow> = all_steps
            .iter()
            .filter(|s| s.min_minor.is_none_or(|m| inv.balance >= m))
            .collect();
        let h = history.get(&inv.id).unwrap_or(&empty);
        let by_date = applicable
            .iter()
            .rposition(|s| inv.due + Duration::days(s.offset) <= as_of);
        let bump = promised.bumped_after.get(&inv.id).map(|&ack| {
            let last_handled = applicable
                .iter()
                .rposition(|s| h.handled.iter().any(|(o, id)| *o == s.offset && *id < ack));
            last_handled.map_or(0, |i| (i + 1).min(applicable.len().saturating_sub(1)))
        });
        let idx = match (by_date, bump) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => match a.or(b) {
                Some(i) => i,
                None => continue,
            },
        };
        let Some(step) = applicable.get(idx) else {
            continue;
        };
        let handled = h.handled.iter().any(|(o, _)| *o == step.offset);
        let snoozed = h
            .snoozed
            .iter()
            .any(|(o, until)| *o == step.offset && *until > as_of);
        // A courtesy note is for before the due date: never sent after it (the next step
        // takes over), nor to a customer under formal demand (the caller's filter).
        let courtesy_out_of_place = step.kind == StepKind::Courtesy && inv.due < as_of;
        if handled || snoozed || courtesy_out_of_place {
            continue;
        }
        due.push((inv, *step));
    }
    due
}

/// Per customer and currency: one call action for the phone steps, one message (e-mail or
/// letter) for the written ones at the most advanced stage due.
fn group_per_customer(
    due: Vec<(&OpenInvoice, &StepRow)>,
    as_of: NaiveDate,
    lang: Lang,
    default_currency: Currency,
) -> Result<Vec<Action>> {
    // (customer, currency, is a call) → members, in due-date order.
    type Key = (i64, String, bool);
    let mut groups: BTreeMap<Key, Vec<(&OpenInvoice, &StepRow)>> = BTreeMap::new();
    for (inv, step) in due {
        let call = step.channel == Channel::Phone;
        groups
            .entry((inv.customer_id, inv.currency.clone(), call))
            .or_default()
            .push((inv, step));
    }
    let mut actions = Vec::new();
    for ((_, currency_code, call), mut members) in groups {
        // As the letter lists them: oldest due date first, then by number.
        members.sort_by(|a, b| (a.0.due, &a.0.number).cmp(&(b.0.due, &b.0.number)));
        let currency = Currency::parse(&currency_code)?;
        let first = members[0].0;
        // The most advanced stage, the latest step at that stage.
        let top = members
            .iter()
            .map(|m| m.1)
            .max_by_key(|s| (if call { 0 } else { stage(s.kind) }, s.offset))
            .expect("non-empty");
        let kind = ActionKind::of_step(top.kind, top.channel);
        let mut id = format!(
            "{}/{}/{}",
            first.customer_ref,
            kind.as_str(),
            top.channel.as_str()
        );
        if currency != default_currency {
            id.push('/');
            id.push_str(currency.code());
        }
        // A message past the due date claims the overdue invoices and lists the others for
        // information; a courtesy note or a statement covers them all.
        let splits = !call && !matches!(top.kind, StepKind::Courtesy | StepKind::Statement);
        let (claimed, informed): (Vec<&(&OpenInvoice, &StepRow)>, Vec<_>) =
            members.iter().partition(|m| !splits || m.0.due < as_of);
        let amount_minor = checked_total(claimed.iter().map(|m| m.0.balance))?;
        actions.push(Action {
            id,
            customer: first.customer_ref.clone(),
            customer_id: first.customer_id,
            customer_name: first.customer_name.clone(),
            on_hold: first.on_hold,
            kind,
            channel: top.channel,
            step: match lang {
                Lang::Fr => top.name_fr.clone(),
                Lang::En => top.name_en.clone(),
            },
            needs_decision: members.iter().any(|m| m.1.needs_decision),
            invoices: claimed.iter().map(|m| m.0.number.clone()).collect(),
            for_information: informed.iter().map(|m| m.0.number.clone()).collect(),
            amount: currency.minor_to_string(amount_minor),
            amount_minor,
            currency: currency_code,
            days_overdue: members
                .iter()
                .map(|m| (as_of - m.0.due).num_days())
                .max()
                .unwrap_or(0),
            promise_id: None,
            targets: members
                .iter()
                .map(|m| ActionTarget {
                    invoice_id: m.0.id,
                    invoice: m.0.number.clone(),
                    step_offset: Some(m.1.offset),
                })
                .collect(),
        });
    }
    Ok(actions)
}

/// The most overdue first; ties by id, so the order is the same every time.
pub(super) fn rank(actions: &mut [Action]) {
    actions.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.id.cmp(&b.id))
    });
}
