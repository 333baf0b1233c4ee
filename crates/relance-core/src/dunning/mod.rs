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
//! - Per customer and currency, one message a day at the most advanced stage due, and one
//!   call; no courtesy note to a customer under formal demand (see [`agenda`]'s module).

mod agenda;
pub mod calls;
pub mod disputes;
pub mod kept;
pub mod promises;
pub mod scenarios;
pub mod wake;

pub use agenda::{agenda, agenda_for, agenda_of, derived};

use crate::error::{Error, Msg, Result};
use crate::invoices::ClosureKind;
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::{checked_total, Amount, Currency};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use scenarios::{Channel, StepKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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
    /// The invoices it claims (or reminds of, before their due date), oldest due date first.
    pub invoices: Vec<String>,
    /// Invoices not yet due that a message past the due date lists for information only (no
    /// interest, no demand on them); their courtesy step is done with it.
    pub for_information: Vec<String>,
    /// Sum of the open balances of `invoices` (decimal string).
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

/// The grace period after a promised date before a promise counts as broken (the setting;
/// its default lives with the other settings' defaults).
pub fn promise_grace_days(conn: &Connection) -> Result<i64> {
    Ok(crate::settings::get(conn)?.promise_grace_days)
}

/// The Today screen's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Calls,
    Emails,
    Letters,
    /// Formal demands to approve and broken promises.
    Decisions,
}

impl Section {
    /// Where an action goes on Today: a decision first, else by its channel.
    pub fn of(a: &Action) -> Section {
        if a.needs_decision {
            Section::Decisions
        } else {
            match a.channel {
                Channel::Phone => Section::Calls,
                Channel::Email => Section::Emails,
                Channel::Letter | Channel::RegisteredLetter => Section::Letters,
            }
        }
    }
}

/// How many actions of a section (or group) Today shows until the owner asks for more: a
/// backlog of thousands (a long absence, a ledger of a million invoices) is counted and
/// summed in full, and shown a page at a time.
pub const TODAY_PAGE: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TodaySection {
    pub section: Section,
    /// The section's first actions in the agenda's order (most overdue first): as many as
    /// asked ([`TODAY_PAGE`] unless more were asked for).
    pub actions: Vec<Action>,
    /// How many actions the section holds in all.
    #[ts(type = "number")]
    pub count: usize,
    /// Sum of all the section's actions' amounts, per currency.
    pub totals: Vec<Amount>,
}

/// How many actions a page shows when `asked` for so many: [`TODAY_PAGE`] when none is asked;
/// never fewer.
pub(crate) fn shown(asked: Option<u32>) -> usize {
    asked.map_or(TODAY_PAGE, |n| (n as usize).max(TODAY_PAGE))
}

/// Today's sections, in the order the screen shows them.
const TODAY_ORDER: [Section; 4] = [
    Section::Decisions,
    Section::Calls,
    Section::Emails,
    Section::Letters,
];

/// Sums per currency code (in minor units, in the codes' order) as amounts: a page's totals.
fn totals_of<'a>(sums: impl IntoIterator<Item = (&'a str, i64)>) -> Result<Vec<Amount>> {
    sums.into_iter()
        .map(|(code, minor)| Ok(Amount::of(Currency::parse(code)?, minor)))
        .collect()
}

/// A page of actions: the first of `all` (in their order), as many as `asked` ([`TODAY_PAGE`]
/// when none is asked; never fewer), how many there are, and the sum of all their amounts
/// per currency.
pub fn page_of(all: Vec<Action>, asked: Option<u32>) -> Result<(Vec<Action>, usize, Vec<Amount>)> {
    let shown = shown(asked);
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for a in &all {
        let sum = sums.entry(a.currency.as_str()).or_default();
        *sum = checked_total([*sum, a.amount_minor])?;
    }
    let totals = totals_of(sums)?;
    let count = all.len();
    let mut actions = all;
    actions.truncate(shown);
    Ok((actions, count, totals))
}

/// Today's agenda in its four sections (always all four, possibly empty), each showing its
/// first [`TODAY_PAGE`] actions.
pub fn today(conn: &Connection, as_of: NaiveDate) -> Result<Vec<TodaySection>> {
    today_showing(conn, as_of, &HashMap::new())
}

/// [`today`] showing as many actions of each section as `shown` asks ([`TODAY_PAGE`] for a
/// section it does not name; never fewer).
pub fn today_showing(
    conn: &Connection,
    as_of: NaiveDate,
    shown: &HashMap<Section, u32>,
) -> Result<Vec<TodaySection>> {
    // Read from the actions kept for the day when they serve it (a backlog is counted and
    // summed from an index, not derived whole for each page).
    if let Some(sections) = kept::sections(conn, as_of, shown)? {
        return Ok(sections);
    }
    derived_sections(conn, as_of, shown)
}

/// [`today_showing`] derived from the whole day's agenda: what the kept actions must give.
pub fn derived_sections(
    conn: &Connection,
    as_of: NaiveDate,
    shown: &HashMap<Section, u32>,
) -> Result<Vec<TodaySection>> {
    let mut by_section: BTreeMap<Section, Vec<Action>> = BTreeMap::new();
    for a in agenda(conn, as_of)? {
        by_section.entry(Section::of(&a)).or_default().push(a);
    }
    TODAY_ORDER
        .into_iter()
        .map(|section| {
            let all = by_section.remove(&section).unwrap_or_default();
            let (actions, count, totals) = page_of(all, shown.get(&section).copied())?;
            Ok(TodaySection {
                section,
                actions,
                count,
                totals,
            })
        })
        .collect()
}

/// Every action of one section of Today, in the agenda's order: what "Prepare all the
/// e-mails" of a section acts on, shown or not.
pub fn section_actions(
    conn: &Connection,
    as_of: NaiveDate,
    section: Section,
) -> Result<Vec<Action>> {
    let mut all = agenda(conn, as_of)?;
    all.retain(|a| Section::of(a) == section);
    Ok(all)
}

/// What a shell runs at start and after an import: the wake dates set to be computed
/// ([`wake::refresh`]), then the actions kept for Today ([`kept::refresh`]), each in its own
/// transaction (the wake dates stand if keeping the day fails).
pub fn refresh_day(conn: &mut Connection, day: NaiveDate) -> Result<()> {
    wake::refresh(conn, day)?;
    kept::refresh(conn, day)?;
    Ok(())
}

/// The journal entry of `kind` for what was done with `action` on `as_of`: its customer,
/// kind of action and channel, and each invoice with the step it reached (what moves the
/// scenario on).
pub(crate) fn step_entry(kind: JournalKind, action: &Action, as_of: NaiveDate) -> NewEntry {
    let mut entry = NewEntry::new(kind, action.customer_id, as_of);
    entry.action = Some(action.kind.as_str().to_string());
    entry.channel = Some(action.channel.as_str().to_string());
    entry.invoices = action
        .targets
        .iter()
        .map(|t| (t.invoice_id, t.step_offset))
        .collect();
    entry
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
/// all are recorded or none. Returns the journal entries written (one per action), what
/// [`undo`] takes.
pub fn act(
    conn: &mut Connection,
    as_of: NaiveDate,
    ids: &[String],
    what: &Act,
) -> Result<Vec<i64>> {
    crate::store::write(conn, |tx| act_in(tx, as_of, ids, what))
}

/// Undoes "done", "skipped" or "snoozed" entries of `as_of` (the journal stays append-only:
/// each undo is an `action_undone` entry naming the one it cancels), in one transaction:
/// the actions come back on the agenda as they were. Refused, nothing written: an entry
/// that is not one of these, of another day, or already undone.
pub fn undo(conn: &mut Connection, as_of: NaiveDate, entries: &[i64]) -> Result<usize> {
    let tx = conn.transaction()?;
    let undone = journal::undone(&tx)?;
    for &id in entries {
        // (kind, date, customer, action, channel)
        type Found = (String, NaiveDate, i64, Option<String>, Option<String>);
        let found: Option<Found> = tx
            .query_row(
                "SELECT kind, on_date, customer_id, action, channel FROM journal WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((kind, on_date, customer_id, action, channel)) = found else {
            return Err(Error::invalid("entry", Msg::NotUndoable));
        };
        let undoable = ["action_done", "action_skipped", "action_snoozed"].contains(&kind.as_str());
        if !undoable || on_date != as_of {
            return Err(Error::invalid("entry", Msg::NotUndoable));
        }
        if undone.contains(&id) {
            return Err(Error::invalid("entry", Msg::AlreadyUndone));
        }
        let mut entry = NewEntry::new(JournalKind::ActionUndone, customer_id, as_of);
        entry.action = action;
        entry.channel = channel;
        entry.corrects_id = Some(id);
        let mut stmt = tx.prepare_cached(
            "SELECT invoice_id FROM journal_invoices WHERE journal_id = ?1 ORDER BY invoice_id",
        )?;
        entry.invoices = stmt
            .query_map([id], |r| Ok((r.get::<_, i64>(0)?, None)))?
            .collect::<crate::store::sql::Result<_>>()?;
        journal::append(&tx, &entry)?;
    }
    // The undone steps come back: their invoices' wake dates again, and their customers'
    // actions kept for Today, in the same transaction.
    wake::refresh_in(&tx, as_of)?;
    kept::refresh_marked_in(&tx, as_of)?;
    tx.commit()?;
    Ok(entries.len())
}

/// [`act`] inside the caller's transaction.
pub(crate) fn act_in(
    tx: &Connection,
    as_of: NaiveDate,
    ids: &[String],
    what: &Act,
) -> Result<Vec<i64>> {
    // The actions of the customers named only: a click costs what it acts on.
    let today = agenda_of(tx, as_of, ids)?;
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
) -> Result<Vec<i64>> {
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
    // By id, so a batch costs what it holds (a scan per id made marking a whole agenda of
    // 137,594 actions done take 112 s).
    let by_id: HashMap<&str, &Action> = today.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut entries = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(&action) = by_id.get(id.as_str()) else {
            return Err(not_on_agenda(tx, as_of, id));
        };
        let currency = Currency::parse(&action.currency)?;
        let mut entry = step_entry(kind, action, as_of);
        entry.amount = Some((action.amount_minor, currency));
        entry.until_date = until;
        entry.promise_id = action.promise_id;
        entry.note = note.clone();
        entries.push(journal::append(tx, &entry)?);
    }
    // The steps just journaled move their invoices' wake dates on, and their customers'
    // actions kept for Today, in the same transaction.
    wake::refresh_in(tx, as_of)?;
    kept::refresh_marked_in(tx, as_of)?;
    Ok(entries)
}

/// Why an action id is not on `as_of`'s agenda, for the person who asked: when someone
/// already acted on it that day (two people on one ledger, or one in two windows), who and
/// at what time ("already done by Marie at 10:42"); otherwise that there is no such action.
pub(crate) fn not_on_agenda(conn: &Connection, as_of: NaiveDate, id: &str) -> Error {
    let unknown = || Error::invalid("action", Msg::UnknownAction(id.to_string()));
    // An id is CUSTOMER/ACTION/CHANNEL; a customer reference may itself hold a '/'.
    let mut parts = id.rsplitn(3, '/');
    let (Some(channel), Some(action), Some(customer)) = (parts.next(), parts.next(), parts.next())
    else {
        return unknown();
    };
    let taken = || -> Result<Option<(i64, String, String, String)>> {
        let undone = journal::undone(conn)?;
        let mut stmt = conn.prepare_cached(
            "SELECT j.id, j.kind, j.actor, j.at FROM journal j
               JOIN customers c ON c.id = j.customer_id
              WHERE c.reference = ?1 AND j.action = ?2 AND j.channel = ?3 AND j.on_date = ?4
                AND j.kind IN ('action_done', 'action_skipped', 'action_snoozed')
              ORDER BY j.id DESC",
        )?;
        let rows = stmt.query_map(params![customer, action, channel, as_of.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        for row in rows {
            let row: (i64, String, String, String) = row?;
            if !undone.contains(&row.0) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    };
    match taken() {
        Ok(Some((_, kind, by, at))) => Error::invalid(
            "action",
            Msg::ActionTaken {
                what: kind.trim_start_matches("action_").to_string(),
                by,
                at: journal::local_time(&at),
            },
        ),
        _ => unknown(),
    }
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
        "INSERT INTO invoice_closures (invoice_id, kind, on_date, reason) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
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
pub(crate) mod tests;
