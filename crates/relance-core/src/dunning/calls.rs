//! The call sheet: everything the owner needs on screen while phoning a customer, and the
//! call's outcome, recorded in one transaction with any promise or dispute it produced.

use super::disputes::{self, DisputeInput};
use super::promises::{self, PromiseInput};
use super::{agenda, record_acts, Act, Action};
use crate::error::{Error, Lang, Result};
use crate::journal::{self, JournalEntry, JournalKind, NewEntry};
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CallSheet {
    pub action: Action,
    /// The step's script in the UI language, with the customer's figures filled in.
    pub script: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// The customer's "how they pay" notes.
    pub payment_notes: String,
    pub invoices: Vec<crate::invoices::InvoiceView>,
    /// The last five history entries.
    pub history: Vec<JournalEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Reached,
    NotReached,
    WrongContact,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CallInput {
    pub action_id: String,
    pub outcome: CallOutcome,
    pub note: String,
    /// Not reached: call again on this date (the call is snoozed until then).
    pub callback_date: String,
    /// A promise to pay obtained on the call (date; amount empty = everything due).
    pub promise_date: String,
    pub promise_amount: String,
    /// A dispute raised on the call: category empty = none.
    pub dispute_invoice: String,
    pub dispute_category: String,
}

fn find_action(conn: &Connection, as_of: NaiveDate, today: &[Action], id: &str) -> Result<Action> {
    today
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or_else(|| super::not_on_agenda(conn, as_of, id))
}

pub fn sheet(conn: &Connection, as_of: NaiveDate, action_id: &str) -> Result<CallSheet> {
    let action = find_action(conn, as_of, &agenda(conn, as_of)?, action_id)?;
    let lang = crate::settings::ui_language(conn);
    let customer = crate::customers::get(conn, action.customer_id)?;
    let company = crate::settings::get(conn)?.company_name;
    let (scenario_id, _) = super::scenarios::effective(conn, customer.id)?;
    let offset = action.targets.iter().filter_map(|t| t.step_offset).max();
    let template: String = match offset {
        Some(o) => conn
            .query_row(
                "SELECT script_fr, script_en FROM scenario_steps WHERE scenario_id = ?1 AND offset_days = ?2",
                crate::store::sql::params![scenario_id, o],
                |r| Ok(if lang == Lang::Fr { r.get::<_, String>(0)? } else { r.get::<_, String>(1)? }),
            )
            .optional()?
            .unwrap_or_default(),
        None => String::new(),
    };
    let invoices = action
        .targets
        .iter()
        .map(|t| crate::invoices::get(conn, t.invoice_id, as_of))
        .collect::<Result<Vec<_>>>()?;
    let currency = Currency::parse(&action.currency)?;
    let amount = currency.format_minor(action.amount_minor, lang);
    let due = invoices.first().map(|i| i.due_date).unwrap_or(as_of);
    let script = template
        .replace("{company}", if company.is_empty() { "…" } else { &company })
        .replace("{invoices}", &action.invoices.join(", "))
        .replace("{amount}", &amount)
        .replace("{days}", &action.days_overdue.max(0).to_string())
        .replace(
            "{due}",
            &match lang {
                Lang::Fr => due.format("%d/%m/%Y").to_string(),
                Lang::En => due.to_string(),
            },
        );
    let (contact_phone, contact_name) = if customer.contact_phone.is_empty() {
        (customer.phone.clone(), customer.contact_name.clone())
    } else {
        (
            customer.contact_phone.clone(),
            customer.contact_name.clone(),
        )
    };
    Ok(CallSheet {
        contact_email: if customer.contact_email.is_empty() {
            customer.email.clone()
        } else {
            customer.contact_email.clone()
        },
        contact_name,
        contact_phone,
        payment_notes: customer.payment_notes,
        history: journal::for_customer(conn, action.customer_id, 5)?,
        invoices,
        script,
        action,
    })
}

/// Records a call's outcome and what it led to, all in one transaction.
pub fn record(conn: &mut Connection, as_of: NaiveDate, input: &CallInput) -> Result<()> {
    let note = v::multiline("note", &input.note, 2000)?;
    let tx = conn.transaction()?;
    // The agenda is computed once; only a promise or dispute below changes what is due.
    let mut today = agenda(&tx, as_of)?;
    let action = find_action(&tx, as_of, &today, &input.action_id)?;
    let outcome = match input.outcome {
        CallOutcome::Reached => "reached",
        CallOutcome::NotReached => "not_reached",
        CallOutcome::WrongContact => "wrong_contact",
    };
    let mut entry = NewEntry::new(JournalKind::Call, action.customer_id, as_of);
    entry.action = Some(outcome.to_string());
    entry.channel = Some("phone".into());
    entry.note = note.clone();
    entry.invoices = action
        .targets
        .iter()
        .map(|t| (t.invoice_id, None))
        .collect();
    journal::append(&tx, &entry)?;
    let mut settled_by_outcome = input.outcome == CallOutcome::Reached;
    let mut changed_agenda = false;
    if !input.promise_date.trim().is_empty() {
        promises::add_in(
            &tx,
            &PromiseInput {
                customer: action.customer.clone(),
                invoices: action.invoices.clone(),
                promised_date: input.promise_date.clone(),
                amount: input.promise_amount.clone(),
                note: note.clone(),
            },
            as_of,
        )
        .map_err(|e| match e {
            Error::Invalid { field, msg } if field == "promised_date" => {
                Error::invalid("promise_date", msg)
            }
            Error::Invalid { field, msg } if field == "amount" => {
                Error::invalid("promise_amount", msg)
            }
            other => other,
        })?;
        settled_by_outcome = true;
        changed_agenda = true;
    }
    if !input.dispute_category.trim().is_empty() {
        let invoice = if input.dispute_invoice.trim().is_empty() {
            action.invoices.first().cloned().unwrap_or_default()
        } else {
            input.dispute_invoice.clone()
        };
        disputes::open_in(
            &tx,
            &DisputeInput {
                invoice,
                category: input.dispute_category.clone(),
                note: note.clone(),
                opened_on: String::new(),
            },
            as_of,
        )
        .map_err(|e| match e {
            Error::Invalid { field, msg } if field == "category" => {
                Error::invalid("dispute_category", msg)
            }
            other => other,
        })?;
        settled_by_outcome = true;
        changed_agenda = true;
    }
    if changed_agenda {
        today = agenda(&tx, as_of)?;
    }
    if settled_by_outcome {
        // A promise or dispute may already have taken the invoices out of the agenda.
        if today.iter().any(|a| a.id == action.id) {
            record_acts(
                &tx,
                as_of,
                &today,
                std::slice::from_ref(&action.id),
                &Act::Done { note },
            )?;
        }
    } else if !input.callback_date.trim().is_empty() {
        record_acts(
            &tx,
            as_of,
            &today,
            std::slice::from_ref(&action.id),
            &Act::Snooze {
                until: input.callback_date.clone(),
                note,
            },
        )
        .map_err(|e| match e {
            Error::Invalid { field, msg } if field == "until" => {
                Error::invalid("callback_date", msg)
            }
            other => other,
        })?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{self, CustomerInput};
    use crate::invoices::{self, InvoiceInput};

    fn setup() -> Connection {
        let conn = crate::open_in_memory().unwrap();
        customers::create(
            &conn,
            &CustomerInput {
                reference: "ACME".into(),
                name: "Acme".into(),
                phone: "+33 1 00 00 00 00".into(),
                contact_name: "Paul".into(),
                contact_phone: "+33 6 11 11 11 11".into(),
                payment_notes: "PO required".into(),
                ..Default::default()
            },
        )
        .unwrap();
        crate::settings::set(&conn, "company_name", "Atelier Lumen").unwrap();
        invoices::create(
            &conn,
            &InvoiceInput {
                number: "F-1".into(),
                customer: "ACME".into(),
                issue_date: "2026-01-01".into(),
                due_date: "2026-01-31".into(),
                total: "1200".into(),
                ..Default::default()
            },
            "2026-01-01".parse().unwrap(),
        )
        .unwrap();
        conn
    }

    fn input(outcome: CallOutcome) -> CallInput {
        CallInput {
            action_id: "ACME/call/phone".into(),
            outcome,
            note: String::new(),
            callback_date: String::new(),
            promise_date: String::new(),
            promise_amount: String::new(),
            dispute_invoice: String::new(),
            dispute_category: String::new(),
        }
    }

    #[test]
    fn sheet_reports_a_database_error_instead_of_an_empty_script() {
        let conn = setup();
        // The scripts cannot be read (a damaged schema): say so, do not show a blank script.
        conn.execute_batch("ALTER TABLE scenario_steps RENAME COLUMN script_fr TO gone")
            .unwrap();
        let err = sheet(&conn, "2026-02-15".parse().unwrap(), "ACME/call/phone").unwrap_err();
        assert!(matches!(err, Error::Db(_)), "{err:?}");
    }

    #[test]
    fn sheet_fills_the_script_and_shows_the_contact() {
        let conn = setup();
        let s = sheet(&conn, "2026-02-15".parse().unwrap(), "ACME/call/phone").unwrap();
        assert!(
            s.script.contains("Atelier Lumen")
                && s.script.contains("F-1")
                && s.script.contains("15"),
            "{}",
            s.script
        );
        assert!(s.script.contains("1\u{202f}200,00\u{a0}€"), "{}", s.script);
        assert_eq!(s.contact_phone, "+33 6 11 11 11 11");
        assert_eq!(s.payment_notes, "PO required");
        assert_eq!(s.invoices.len(), 1);
    }

    #[test]
    fn outcomes() {
        let d: NaiveDate = "2026-02-15".parse().unwrap();
        // Not reached with a call-back date: snoozed until then.
        let mut conn = setup();
        let mut i = input(CallOutcome::NotReached);
        i.callback_date = "2026-02-14".into();
        assert_eq!(
            record(&mut conn, d, &i).unwrap_err().field(),
            Some("callback_date")
        );
        assert_eq!(
            journal::for_customer(&conn, 1, 10).unwrap().len(),
            0,
            "nothing written"
        );
        i.callback_date = "2026-02-17".into();
        record(&mut conn, d, &i).unwrap();
        assert!(agenda(&conn, d).unwrap().is_empty());
        assert_eq!(
            agenda(&conn, "2026-02-17".parse().unwrap()).unwrap().len(),
            1
        );
        // Reached with a promise: the invoice pauses.
        let mut conn = setup();
        let mut i = input(CallOutcome::Reached);
        i.promise_date = "2026-02-20".into();
        record(&mut conn, d, &i).unwrap();
        assert!(agenda(&conn, d).unwrap().is_empty());
        assert_eq!(promises::list(&conn, d).unwrap().len(), 1);
        let h = journal::for_customer(&conn, 1, 10).unwrap();
        assert!(h
            .iter()
            .any(|e| e.kind == JournalKind::Call && e.action.as_deref() == Some("reached")));
        // Reached, the customer disputes: the invoice leaves dunning.
        let mut conn = setup();
        let mut i = input(CallOutcome::Reached);
        i.dispute_category = "not_delivered".into();
        record(&mut conn, d, &i).unwrap();
        assert_eq!(disputes::list(&conn, d, true).unwrap().len(), 1);
        assert!(agenda(&conn, "2026-03-30".parse().unwrap())
            .unwrap()
            .is_empty());
        // Wrong contact: logged, the call stays due.
        let mut conn = setup();
        record(&mut conn, d, &input(CallOutcome::WrongContact)).unwrap();
        assert_eq!(agenda(&conn, d).unwrap().len(), 1);
    }
}
