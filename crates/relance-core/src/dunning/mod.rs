//! Dunning: scenarios, the daily agenda, promises to pay, disputes, write-offs and hand-overs.
//!
//! The agenda is derived from facts every time it is asked for (open invoices, each
//! customer's scenario, the journal, promises, disputes, closures); nothing is a stored
//! to-do list. Rules:
//! - For each open invoice, not disputed, not closed, not covered by a live promise, the
//!   latest step reached by `as_of` (due date + offset, and open amount ≥ the step's minimum)
//!   is due unless the journal says it was done or skipped, or it is snoozed past `as_of`.
//!   Earlier steps never come back: after a gap only the most advanced step is proposed.
//! - A broken promise (not kept by its date + grace days) puts one "promise broken" action on
//!   the agenda for its invoices; once that is handled, those invoices resume their scenario
//!   one step past the last step handled before it.
//! - Actions of the same customer, kind, channel and currency are grouped into one.

pub mod calls;
pub mod disputes;
pub mod promises;
pub mod scenarios;

use crate::error::{Error, Lang, Msg, Result};
use crate::invoices::ClosureKind;
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::{checked_total, Amount, Currency};
use crate::validate as v;
use chrono::{Duration, NaiveDate};
use rusqlite::{params, Connection};
use scenarios::{Channel, StepKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Courtesy,
    Reminder,
    Call,
    FinalNotice,
    FormalDemand,
    PromiseBroken,
    Statement,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Courtesy => "courtesy",
            ActionKind::Reminder => "reminder",
            ActionKind::Call => "call",
            ActionKind::FinalNotice => "final_notice",
            ActionKind::FormalDemand => "formal_demand",
            ActionKind::PromiseBroken => "promise_broken",
            ActionKind::Statement => "statement",
        }
    }
    fn of_step(kind: StepKind, channel: Channel) -> ActionKind {
        match (kind, channel) {
            (StepKind::Courtesy, _) => ActionKind::Courtesy,
            (_, Channel::Phone) => ActionKind::Call,
            (StepKind::Reminder, _) => ActionKind::Reminder,
            (StepKind::FinalNotice, _) => ActionKind::FinalNotice,
            (StepKind::FormalDemand, _) => ActionKind::FormalDemand,
            (StepKind::Statement, _) => ActionKind::Statement,
        }
    }
}

/// One invoice an action concerns, and the scenario step (offset) it is at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionTarget {
    #[ts(type = "number")]
    pub invoice_id: i64,
    pub invoice: String,
    #[ts(type = "number | null")]
    pub step_offset: Option<i64>,
}

/// Something to do today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Action {
    /// Stable for the day: "CUSTOMER/kind/channel" (plus "/CUR" outside the default currency).
    pub id: String,
    /// The customer's reference.
    pub customer: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub customer_name: String,
    pub kind: ActionKind,
    pub channel: Channel,
    /// The scenario step's name, in the UI language.
    pub step: String,
    /// Proposed for the owner's decision (never automatic), or a broken promise.
    pub needs_decision: bool,
    /// Invoice numbers, oldest due date first.
    pub invoices: Vec<String>,
    /// Sum of the open balances (decimal string).
    pub amount: String,
    /// The same sum in minor units, for the engine's own arithmetic (never re-parsed from
    /// `amount`); not part of the JSON or the UI's types.
    #[serde(skip)]
    #[ts(skip)]
    pub amount_minor: i64,
    pub currency: String,
    /// Of the oldest invoice; negative before its due date.
    #[ts(type = "number")]
    pub days_overdue: i64,
    #[ts(type = "number | null")]
    pub promise_id: Option<i64>,
    pub targets: Vec<ActionTarget>,
    /// The customer is on hold (shown wherever they appear).
    pub on_hold: bool,
}

struct StepRow {
    offset: i64,
    channel: Channel,
    kind: StepKind,
    needs_decision: bool,
    min_minor: Option<i64>,
    name_fr: String,
    name_en: String,
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
struct History {
    /// Offsets done or skipped, with the journal id that recorded them.
    handled: Vec<(i64, i64)>,
    /// Offsets snoozed until a date.
    snoozed: Vec<(i64, NaiveDate)>,
}

/// The grace period after a promised date before a promise counts as broken (the setting;
/// its default lives with the other settings' defaults).
pub fn promise_grace_days(conn: &Connection) -> Result<i64> {
    Ok(crate::settings::get(conn)?.promise_grace_days)
}

/// Today's actions.
pub fn agenda(conn: &Connection, as_of: NaiveDate) -> Result<Vec<Action>> {
    let lang = crate::settings::ui_language(conn);
    let default_currency = crate::settings::default_currency(conn)?;
    let default_scenario = scenarios::default_id(conn)?;

    let mut steps: HashMap<i64, Vec<StepRow>> = HashMap::new();
    {
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
    }

    // Invoices out of dunning for good or for now: few, so loaded once and filtered in Rust
    // (measured: two NOT EXISTS probes per open invoice cost 70 ms over 28,000 of them).
    let mut excluded: HashSet<i64> = HashSet::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT invoice_id FROM disputes WHERE resolved_on IS NULL
             UNION SELECT invoice_id FROM invoice_closures",
        )?;
        for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            excluded.insert(id?);
        }
    }
    // Open invoices that dunning may act on (no scenario step is more than 90 days early).
    let mut invoices: Vec<OpenInvoice> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT i.id, i.number, i.customer_id, c.reference, c.name, {},
                    i.due_date, i.currency, i.total_minor - i.settled_minor, c.on_hold
                 FROM invoices i CROSS JOIN customers c ON c.id = i.customer_id
                 WHERE i.settled_minor < i.total_minor AND i.due_date <= ?1
                 ORDER BY i.due_date, i.id",
            scenarios::EFFECTIVE_SCENARIO_SQL
        ))?;
        let horizon = (as_of + Duration::days(90)).to_string();
        let rows = stmt.query_map(params![horizon, default_scenario], |r| {
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
        })?;
        for row in rows {
            let inv = row?;
            if !excluded.contains(&inv.id) {
                invoices.push(inv);
            }
        }
    }
    let open_ids: HashSet<i64> = invoices.iter().map(|i| i.id).collect();

    // What the journal says was done, skipped or snoozed, per open invoice.
    let mut history: HashMap<i64, History> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT ji.invoice_id, ji.step_offset, j.kind, j.until_date, j.id
             FROM journal_invoices ji INDEXED BY journal_invoices_steps
             CROSS JOIN journal j ON j.id = ji.journal_id
             WHERE ji.step_offset IS NOT NULL
               AND j.kind IN ('action_done', 'action_skipped', 'action_snoozed')",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<NaiveDate>>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (invoice_id, offset, kind, until, id) = row?;
            if !open_ids.contains(&invoice_id) {
                continue;
            }
            let h = history.entry(invoice_id).or_default();
            match (kind.as_str(), until) {
                ("action_snoozed", Some(until)) => h.snoozed.push((offset, until)),
                ("action_snoozed", None) => {}
                _ => h.handled.push((offset, id)),
            }
        }
    }

    // Promises: live ones pause their invoices; broken ones become an action, then bump.
    let grace = promise_grace_days(conn)?;
    let promise_states = promises::states(conn, as_of, grace)?;
    let mut paused: HashMap<i64, ()> = HashMap::new();
    let mut bumped_after: HashMap<i64, i64> = HashMap::new();
    let mut actions: Vec<Action> = Vec::new();
    for p in &promise_states {
        match p.status {
            promises::PromiseStatus::Live => {
                for id in &p.invoice_ids {
                    paused.insert(*id, ());
                }
            }
            promises::PromiseStatus::Broken => match p.acknowledged_by {
                Some(entry_id) => {
                    for id in &p.invoice_ids {
                        let e = bumped_after.entry(*id).or_insert(entry_id);
                        *e = (*e).max(entry_id);
                    }
                }
                None => {
                    for id in &p.invoice_ids {
                        paused.insert(*id, ());
                    }
                    let open: Vec<&OpenInvoice> = invoices
                        .iter()
                        .filter(|i| p.invoice_ids.contains(&i.id))
                        .collect();
                    if let Some(oldest) = open.first() {
                        let currency = Currency::parse(&oldest.currency)?;
                        let open_minor = checked_total(open.iter().map(|i| i.balance))?;
                        actions.push(Action {
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
                                Lang::En => {
                                    format!("Broken promise (to pay on {})", p.promised_date)
                                }
                            },
                            needs_decision: true,
                            invoices: open.iter().map(|i| i.number.clone()).collect(),
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
                }
            },
            promises::PromiseStatus::Kept => {}
        }
    }

    // The step due for each invoice, grouped by customer, kind, channel and currency.
    type Key = (i64, ActionKind, Channel, String);
    let mut groups: BTreeMap<Key, Vec<(&OpenInvoice, &StepRow)>> = BTreeMap::new();
    let empty = History::default();
    for inv in &invoices {
        if paused.contains_key(&inv.id) {
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
        let bump = bumped_after.get(&inv.id).map(|&ack| {
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
        if h.handled.iter().any(|(o, _)| *o == step.offset) {
            continue;
        }
        if h.snoozed
            .iter()
            .any(|(o, until)| *o == step.offset && *until > as_of)
        {
            continue;
        }
        let kind = ActionKind::of_step(step.kind, step.channel);
        groups
            .entry((inv.customer_id, kind, step.channel, inv.currency.clone()))
            .or_default()
            .push((inv, step));
    }
    for ((_, kind, channel, currency_code), members) in groups {
        let currency = Currency::parse(&currency_code)?;
        let first = members[0].0;
        let top = members
            .iter()
            .map(|m| m.1)
            .max_by_key(|s| s.offset)
            .expect("non-empty");
        let mut id = format!(
            "{}/{}/{}",
            first.customer_ref,
            kind.as_str(),
            channel.as_str()
        );
        if currency != default_currency {
            id.push('/');
            id.push_str(currency.code());
        }
        let amount_minor = checked_total(members.iter().map(|m| m.0.balance))?;
        actions.push(Action {
            id,
            customer: first.customer_ref.clone(),
            customer_id: first.customer_id,
            customer_name: first.customer_name.clone(),
            on_hold: first.on_hold,
            kind,
            channel,
            step: match lang {
                Lang::Fr => top.name_fr.clone(),
                Lang::En => top.name_en.clone(),
            },
            needs_decision: members.iter().any(|m| m.1.needs_decision),
            invoices: members.iter().map(|m| m.0.number.clone()).collect(),
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
    actions.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(actions)
}

/// The Today screen's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Calls,
    Emails,
    Letters,
    /// Formal demands to approve and broken promises.
    Decisions,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TodaySection {
    pub section: Section,
    pub actions: Vec<Action>,
    /// Sum of the actions' amounts, per currency.
    pub totals: Vec<Amount>,
}

/// Today's agenda in its four sections (always all four, possibly empty).
pub fn today(conn: &Connection, as_of: NaiveDate) -> Result<Vec<TodaySection>> {
    let mut sections: Vec<TodaySection> = [
        Section::Decisions,
        Section::Calls,
        Section::Emails,
        Section::Letters,
    ]
    .into_iter()
    .map(|section| TodaySection {
        section,
        actions: Vec::new(),
        totals: Vec::new(),
    })
    .collect();
    for a in agenda(conn, as_of)? {
        let section = if a.needs_decision {
            Section::Decisions
        } else {
            match a.channel {
                Channel::Phone => Section::Calls,
                Channel::Email => Section::Emails,
                Channel::Letter | Channel::RegisteredLetter => Section::Letters,
            }
        };
        let s = sections
            .iter_mut()
            .find(|s| s.section == section)
            .expect("all sections");
        s.actions.push(a);
    }
    for s in &mut sections {
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        for a in &s.actions {
            let sum = sums.entry(a.currency.clone()).or_default();
            *sum = checked_total([*sum, a.amount_minor])?;
        }
        s.totals = sums
            .into_iter()
            .map(|(code, minor)| Ok(Amount::of(Currency::parse(&code)?, minor)))
            .collect::<Result<_>>()?;
    }
    Ok(sections)
}

/// What the owner did with an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Act {
    Done { note: String },
    Skip { reason: String },
    Snooze { until: String, note: String },
}

/// Records what was done with one or several of `as_of`'s actions, in one transaction:
/// all are recorded or none.
pub fn act(conn: &mut Connection, as_of: NaiveDate, ids: &[String], what: &Act) -> Result<usize> {
    let tx = conn.transaction()?;
    let n = act_in(&tx, as_of, ids, what)?;
    tx.commit()?;
    Ok(n)
}

/// [`act`] inside the caller's transaction.
pub(crate) fn act_in(
    tx: &Connection,
    as_of: NaiveDate,
    ids: &[String],
    what: &Act,
) -> Result<usize> {
    let today = agenda(tx, as_of)?;
    record_acts(tx, as_of, &today, ids, what)
}

/// Records what was done with actions of `today` (the agenda of `as_of`, already computed
/// by the caller); an id not on it is refused.
pub(crate) fn record_acts(
    tx: &Connection,
    as_of: NaiveDate,
    today: &[Action],
    ids: &[String],
    what: &Act,
) -> Result<usize> {
    let (kind, note, until) = match what {
        Act::Done { note } => (
            JournalKind::ActionDone,
            v::multiline("note", note, 2000)?,
            None,
        ),
        Act::Skip { reason } => (
            JournalKind::ActionSkipped,
            v::required_line("reason", reason, 500)?,
            None,
        ),
        Act::Snooze { until, note } => {
            let until = v::parse_date("until", until)?;
            if until <= as_of {
                return Err(Error::invalid("until", Msg::DateInPast));
            }
            v::within_a_year("until", until, as_of)?;
            (
                JournalKind::ActionSnoozed,
                v::multiline("note", note, 2000)?,
                Some(until),
            )
        }
    };
    for id in ids {
        let action = today
            .iter()
            .find(|a| &a.id == id)
            .ok_or_else(|| Error::invalid("action", Msg::UnknownAction(id.clone())))?;
        let currency = Currency::parse(&action.currency)?;
        let mut entry = NewEntry::new(kind, action.customer_id, as_of);
        entry.action = Some(action.kind.as_str().to_string());
        entry.channel = Some(action.channel.as_str().to_string());
        entry.amount = Some((action.amount_minor, currency));
        entry.until_date = until;
        entry.promise_id = action.promise_id;
        entry.note = note.clone();
        entry.invoices = action
            .targets
            .iter()
            .map(|t| (t.invoice_id, t.step_offset))
            .collect();
        journal::append(tx, &entry)?;
    }
    Ok(ids.len())
}

/// Writes an invoice off, or hands it over to a collection agency or to court.
pub fn close_invoice(
    conn: &mut Connection,
    invoice: &str,
    kind: ClosureKind,
    on_date: NaiveDate,
    reason: &str,
) -> Result<()> {
    let reason = v::required_line("reason", reason, 500)?;
    let tx = conn.transaction()?;
    let id = crate::invoices::find_id(&tx, invoice)?.ok_or_else(|| {
        Error::invalid("invoice", Msg::UnknownInvoice(invoice.trim().to_string()))
    })?;
    let (customer_id, currency, balance, issued): (i64, String, i64, NaiveDate) = tx.query_row(
        "SELECT customer_id, currency, total_minor - settled_minor, issue_date FROM invoices WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    if balance == 0 {
        return Err(Error::invalid("invoice", Msg::InvoiceSettled));
    }
    if on_date < issued {
        return Err(Error::invalid(
            "date",
            Msg::BeforeInvoiceDate(issued.to_string()),
        ));
    }
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO invoice_closures (invoice_id, kind, on_date, reason) VALUES (?1, ?2, ?3, ?4)",
        params![id, kind.as_str(), on_date.to_string(), reason],
    )?;
    if inserted == 0 {
        return Err(Error::invalid("invoice", Msg::AlreadyClosed));
    }
    let mut entry = NewEntry::new(
        if kind == ClosureKind::WriteOff {
            JournalKind::WriteOff
        } else {
            JournalKind::Handover
        },
        customer_id,
        on_date,
    );
    entry.action = Some(kind.as_str().to_string());
    entry.amount = Some((balance, Currency::parse(&currency)?));
    entry.note = reason;
    entry.invoices = vec![(id, None)];
    journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests;
