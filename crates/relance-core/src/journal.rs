//! The journal: the append-only history of every collection action and money event.
//! A correction is a new entry that references the one it corrects (`corrects_id`);
//! SQLite triggers refuse any UPDATE or DELETE.

use crate::error::Result;
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    ActionDone,
    ActionSkipped,
    ActionSnoozed,
    /// "Done", "skipped" or "snoozed" undone: `corrects_id` names the entry it cancels.
    ActionUndone,
    Call,
    PromiseMade,
    DisputeOpened,
    DisputeResolved,
    Payment,
    CreditNote,
    InvoiceAmountChanged,
    /// An invoice's number changed: `action` holds the number it had, `note` "old → new".
    InvoiceRenamed,
    WriteOff,
    Handover,
    DocumentSent,
    /// An e-mail draft was written for the owner's mail client (with the PDF attached).
    EmailPrepared,
    /// A contract saved, amended or cancelled, or a milestone invoiced.
    Contract,
    Note,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::ActionDone => "action_done",
            JournalKind::ActionSkipped => "action_skipped",
            JournalKind::ActionSnoozed => "action_snoozed",
            JournalKind::ActionUndone => "action_undone",
            JournalKind::Call => "call",
            JournalKind::PromiseMade => "promise_made",
            JournalKind::DisputeOpened => "dispute_opened",
            JournalKind::DisputeResolved => "dispute_resolved",
            JournalKind::Payment => "payment",
            JournalKind::CreditNote => "credit_note",
            JournalKind::InvoiceAmountChanged => "invoice_amount_changed",
            JournalKind::InvoiceRenamed => "invoice_renamed",
            JournalKind::WriteOff => "write_off",
            JournalKind::Handover => "handover",
            JournalKind::DocumentSent => "document_sent",
            JournalKind::EmailPrepared => "email_prepared",
            JournalKind::Contract => "contract",
            JournalKind::Note => "note",
        }
    }
    fn parse(s: &str) -> JournalKind {
        const ALL: [JournalKind; 18] = [
            JournalKind::ActionDone,
            JournalKind::ActionSkipped,
            JournalKind::ActionSnoozed,
            JournalKind::ActionUndone,
            JournalKind::Call,
            JournalKind::PromiseMade,
            JournalKind::DisputeOpened,
            JournalKind::DisputeResolved,
            JournalKind::Payment,
            JournalKind::CreditNote,
            JournalKind::InvoiceAmountChanged,
            JournalKind::InvoiceRenamed,
            JournalKind::WriteOff,
            JournalKind::Handover,
            JournalKind::DocumentSent,
            JournalKind::EmailPrepared,
            JournalKind::Contract,
            JournalKind::Note,
        ];
        ALL.into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(JournalKind::Note)
    }
}

/// An entry to append. `invoices` pairs each invoice with the scenario step (offset) the
/// entry acted on, when it is an agenda action.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub on_date: NaiveDate,
    pub customer_id: i64,
    pub kind: JournalKind,
    pub action: Option<String>,
    pub channel: Option<String>,
    pub amount: Option<(i64, Currency)>,
    pub until_date: Option<NaiveDate>,
    pub promise_id: Option<i64>,
    pub dispute_id: Option<i64>,
    pub corrects_id: Option<i64>,
    /// The archived document this entry records (a letter sent).
    pub document_id: Option<i64>,
    /// The statement line (its identity) that caused this entry.
    pub bank_identity: Option<String>,
    pub note: String,
    pub invoices: Vec<(i64, Option<i64>)>,
}

impl NewEntry {
    pub fn new(kind: JournalKind, customer_id: i64, on_date: NaiveDate) -> NewEntry {
        NewEntry {
            on_date,
            customer_id,
            kind,
            action: None,
            channel: None,
            amount: None,
            until_date: None,
            promise_id: None,
            dispute_id: None,
            corrects_id: None,
            document_id: None,
            bank_identity: None,
            note: String::new(),
            invoices: Vec::new(),
        }
    }
}

/// The condition "entry `j` was not undone" (an `action_undone` entry names it), for the
/// queries that read what was done.
pub const NOT_UNDONE: &str = "NOT EXISTS (SELECT 1 FROM journal u INDEXED BY journal_undone
     WHERE u.corrects_id = j.id AND u.kind = 'action_undone')";

/// The ids of the entries undone (few: each is an owner's undo).
pub fn undone(conn: &Connection) -> Result<std::collections::HashSet<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT corrects_id FROM journal INDEXED BY journal_undone WHERE kind = 'action_undone'",
    )?;
    let ids = stmt.query_map([], |r| r.get::<_, i64>(0))?;
    Ok(ids.collect::<crate::store::sql::Result<_>>()?)
}

/// Appends an entry (call it inside the transaction that does the thing it records).
pub fn append(conn: &Connection, e: &NewEntry) -> Result<i64> {
    let actor = actor(conn)?;
    let id = conn.prepare_cached(
        "INSERT INTO journal (on_date, customer_id, kind, action, channel, amount_minor, currency,
            until_date, promise_id, dispute_id, corrects_id, note, document_id, bank_identity,
            actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
    )?
    .insert(params![
        e.on_date.to_string(),
        e.customer_id,
        e.kind.as_str(),
        e.action,
        e.channel,
        e.amount.map(|a| a.0),
        e.amount.map(|a| a.1.code()),
        e.until_date.map(|d| d.to_string()),
        e.promise_id,
        e.dispute_id,
        e.corrects_id,
        e.note,
        e.document_id,
        e.bank_identity,
        actor,
    ])?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO journal_invoices (journal_id, invoice_id, step_offset) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for (invoice_id, offset) in &e.invoices {
        ins.execute(params![id, invoice_id, offset])?;
    }
    Ok(id)
}

static SYSTEM_USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The system account the shell runs as (`app::system_user`): who the history names when
/// Settings gives no name. Set once per process by the shell; later calls are ignored.
pub fn set_system_user(name: &str) {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let _ = SYSTEM_USER.set(name);
}

/// Who is recording now. On a server, the database role the person logged in as (the
/// settings are the team's, so a name there would be everyone's). On a file, the name set
/// in Settings (`user_name`), else the system account, else nobody named ('').
pub fn actor(conn: &Connection) -> Result<String> {
    if let Some(role) = conn.session_user()? {
        return Ok(role);
    }
    let named: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = 'user_name'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(match named.map(|n| n.trim().to_string()) {
        Some(n) if !n.is_empty() => n,
        _ => SYSTEM_USER.get().cloned().unwrap_or_default(),
    })
}

/// A stored timestamp (UTC, `2026-11-22T09:42:05Z`) as this computer's local HH:MM.
pub fn local_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M").to_string())
        .unwrap_or_else(|_| at.get(11..16).unwrap_or(at).to_string())
}

/// A journal entry as the history timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct JournalEntry {
    #[ts(type = "number")]
    pub id: i64,
    /// When it was recorded (UTC timestamp).
    pub at: String,
    /// The business date it refers to.
    pub on_date: NaiveDate,
    pub customer_reference: String,
    pub kind: JournalKind,
    pub action: Option<String>,
    pub channel: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub until_date: Option<NaiveDate>,
    pub note: String,
    pub invoices: Vec<String>,
    #[ts(type = "number | null")]
    pub corrects_id: Option<i64>,
    /// The archived document (a letter) this entry records: Open shows it.
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    /// The statement line this entry came from (a payment read from the bank, its return):
    /// the history links to it while that line pays this customer (none once its import is
    /// undone; after a re-import, the new line when it pays the same customer again).
    #[ts(type = "number | null")]
    pub bank_line: Option<i64>,
    /// Who recorded it (the name in Settings, else the system account; '' before Relance
    /// kept it).
    pub actor: String,
}

fn query(conn: &Connection, cond: &str, arg: i64, limit: i64) -> Result<Vec<JournalEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT j.id, j.at, j.on_date, c.reference, j.kind, j.action, j.channel, j.amount_minor,
                j.currency, j.until_date, j.note, j.corrects_id, j.document_id,
                (SELECT group_concat(i.number, ',') FROM journal_invoices ji
                   JOIN invoices i ON i.id = ji.invoice_id WHERE ji.journal_id = j.id),
                (SELECT l.id FROM bank_lines l LEFT JOIN bank_lines c ON c.id = l.reverses
                   JOIN payments p ON p.id = COALESCE(l.payment_id, c.payment_id)
                  WHERE l.identity = j.bank_identity AND p.customer_id = j.customer_id),
                j.actor
         FROM journal j JOIN customers c ON c.id = j.customer_id
         WHERE {cond} ORDER BY j.on_date DESC, j.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![arg, limit], |r| {
        let currency: Option<String> = r.get(8)?;
        let amount: Option<i64> = r.get(7)?;
        let numbers: Option<String> = r.get(13)?;
        let kind: String = r.get(4)?;
        Ok(JournalEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            on_date: r.get(2)?,
            customer_reference: r.get(3)?,
            kind: JournalKind::parse(&kind),
            action: r.get(5)?,
            channel: r.get(6)?,
            amount: match (amount, currency.as_deref().map(Currency::parse)) {
                (Some(m), Some(Ok(c))) => Some(c.minor_to_string(m)),
                _ => None,
            },
            currency,
            until_date: r.get(9)?,
            note: r.get(10)?,
            invoices: numbers
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            corrects_id: r.get(11)?,
            document_id: r.get(12)?,
            bank_line: r.get(14)?,
            actor: r.get(15)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// The entries of this ledger that the attached database `other` lacks (by id and time of
/// recording) and that are not `kept` (a condition on the entry `j`: what a restore carries
/// over), newest first, at most `limit`; with their total count. What a restore of `other`
/// would drop.
pub fn missing_from(
    conn: &Connection,
    other: &str,
    kept: &str,
    limit: i64,
) -> Result<(Vec<JournalEntry>, i64)> {
    let missing = format!(
        "NOT EXISTS (SELECT 1 FROM {other}.journal f WHERE f.id = j.id AND f.at = j.at)
         AND NOT ({kept} IS TRUE)"
    );
    let entries = query(conn, &format!("?1 = ?1 AND {missing}"), 0, limit)?;
    let count = conn.query_row(
        &format!("SELECT COUNT(*) FROM main.journal j WHERE {missing}"),
        [],
        |r| r.get(0),
    )?;
    Ok((entries, count))
}

/// A customer's history, newest first.
pub fn for_customer(conn: &Connection, customer_id: i64, limit: i64) -> Result<Vec<JournalEntry>> {
    query(conn, "j.customer_id = ?1", customer_id, limit)
}

/// An invoice's history, newest first.
pub fn for_invoice(conn: &Connection, invoice_id: i64, limit: i64) -> Result<Vec<JournalEntry>> {
    query(
        conn,
        "j.id IN (SELECT journal_id FROM journal_invoices WHERE invoice_id = ?1)",
        invoice_id,
        limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{day, inv, setup};

    #[test]
    fn append_only_and_newest_first() {
        let conn = setup();
        let d = day("2026-02-01");
        let v = crate::invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-01", "2026-01-31", "100"),
            d,
        )
        .unwrap();
        let mut e = NewEntry::new(JournalKind::Note, v.customer_id, d);
        e.note = "Called, voicemail".into();
        e.invoices = vec![(v.id, None)];
        let first = append(&conn, &e).unwrap();
        e.note = "Correction: spoke to the accountant".into();
        e.corrects_id = Some(first);
        append(&conn, &e).unwrap();
        let h = for_customer(&conn, v.customer_id, 10).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].corrects_id, Some(first));
        assert_eq!(h[0].invoices, vec!["F-1".to_string()]);
        assert!(conn.execute("UPDATE journal SET note = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM journal", []).is_err());
        assert_eq!(for_invoice(&conn, v.id, 10).unwrap().len(), 2);
    }

    /// Every entry names who recorded it: the name in Settings, else the system account
    /// the shell gave; the name is kept with the entry (a later change does not rewrite it).
    #[test]
    fn an_entry_names_who_recorded_it() {
        let mut conn = setup();
        set_system_user(" sys-account\n ");
        assert_eq!(SYSTEM_USER.get().unwrap(), "sys-account");
        // On a server, every entry names the database role, whatever the settings say.
        let role: Option<String> =
            (conn.dialect() == crate::store::sql::Dialect::Postgres).then(|| {
                conn.query_row("SELECT current_user::text", [], |r| r.get(0))
                    .unwrap()
            });
        let named = |n: &str| role.clone().unwrap_or_else(|| n.to_string());
        let system = named("sys-account");
        let d = day("2026-02-01");
        let v = crate::invoices::create(
            &conn,
            &inv("F-1", "ACME", "2026-01-01", "2026-01-31", "100"),
            d,
        )
        .unwrap();
        let e = NewEntry::new(JournalKind::Note, v.customer_id, d);
        append(&conn, &e).unwrap();
        crate::settings::set(&conn, "user_name", "  Marie Dupont ").unwrap();
        append(&conn, &e).unwrap();
        let h = for_customer(&conn, v.customer_id, 10).unwrap();
        assert_eq!(h[0].actor, named("Marie Dupont"));
        assert_eq!(h[1].actor, system);
        // Through the settings form: None keeps the name, empty clears it.
        let mut input = crate::settings::SettingsInput {
            company_name: "Atelier Lumen".into(),
            country: "fr".into(),
            default_currency: "eur".into(),
            default_payment_terms_days: "30".into(),
            promise_grace_days: "2".into(),
            ui_language: "fr".into(),
            ..Default::default()
        };
        input.user_name = None;
        assert_eq!(
            crate::settings::save(&mut conn, &input).unwrap().user_name,
            "Marie Dupont"
        );
        input.user_name = Some(String::new());
        assert_eq!(
            crate::settings::save(&mut conn, &input).unwrap().user_name,
            ""
        );
        append(&conn, &e).unwrap();
        assert_eq!(
            for_customer(&conn, v.customer_id, 1).unwrap()[0].actor,
            system
        );
        // A name that is no line is refused.
        assert!(crate::settings::set(&conn, "user_name", "a\u{7}b").is_err());
    }
}
