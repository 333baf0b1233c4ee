//! Calendar tests: an invoice walked day by day through each shipped scenario.

use super::promises::{self, PromiseInput, PromiseStatus};
use super::scenarios;
use super::*;
use crate::customers::{self, CustomerInput};
use crate::invoices::payments::{self, AllocationInput, PaymentInput};
use crate::invoices::{self, InvoiceInput};
use chrono::Duration;

const DUE: &str = "2026-03-31";

fn due() -> NaiveDate {
    DUE.parse().unwrap()
}

fn day(offset: i64) -> NaiveDate {
    due() + Duration::days(offset)
}

/// A customer following `scenario`, with invoices (number, total) all due on DUE.
fn setup(scenario: &str, invoices: &[(&str, &str)]) -> Connection {
    let mut conn = crate::open_in_memory().unwrap();
    let c = customers::create(
        &conn,
        &CustomerInput {
            reference: "ACME".into(),
            name: "Acme".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let sid = scenarios::find(&conn, scenario).unwrap();
    scenarios::assign(&conn, c.id, sid).unwrap();
    for (number, total) in invoices {
        invoices::create(
            &conn,
            &InvoiceInput {
                number: number.to_string(),
                customer: "ACME".into(),
                issue_date: "2026-02-01".into(),
                due_date: DUE.into(),
                total: total.to_string(),
                ..Default::default()
            },
            day(-60),
        )
        .unwrap();
    }
    crate::settings::set(&conn, "ui_language", "en").unwrap();
    let _ = &mut conn;
    conn
}

fn summary(a: &Action) -> String {
    format!("{}/{}", a.kind.as_str(), a.channel.as_str())
}

/// Walks D-15..=D+60; each proposed action is marked done the day it appears.
/// Returns (day offset, action) for every day something was proposed.
fn walk_doing_everything(conn: &mut Connection) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    for offset in -15..=60 {
        let today = agenda(conn, day(offset)).unwrap();
        for a in &today {
            seen.push((offset, summary(a)));
        }
        let ids: Vec<String> = today.iter().map(|a| a.id.clone()).collect();
        if !ids.is_empty() {
            act(
                conn,
                day(offset),
                &ids,
                &Act::Done {
                    note: String::new(),
                },
            )
            .unwrap();
        }
    }
    seen
}

#[test]
fn each_shipped_scenario_day_by_day() {
    let cases: &[(&str, &[(i64, &str)])] = &[
        (
            "standard",
            &[
                (-7, "courtesy/email"),
                (3, "reminder/email"),
                (15, "call/phone"),
                (30, "reminder/letter"),
                (45, "formal_demand/registered_letter"),
            ],
        ),
        (
            "key_account",
            &[
                (-10, "courtesy/phone"),
                (5, "reminder/email"),
                (10, "call/phone"),
                (30, "reminder/letter"),
                (45, "formal_demand/registered_letter"),
            ],
        ),
        (
            "late_payer",
            &[
                (-3, "courtesy/email"),
                (1, "reminder/email"),
                (7, "call/phone"),
                (15, "final_notice/letter"),
                (21, "formal_demand/registered_letter"),
            ],
        ),
    ];
    for (scenario, expected) in cases {
        let mut conn = setup(scenario, &[("F-1", "1000")]);
        let seen = walk_doing_everything(&mut conn);
        let want: Vec<(i64, String)> = expected.iter().map(|(d, s)| (*d, s.to_string())).collect();
        assert_eq!(seen, want, "scenario {scenario}");
    }
}

#[test]
fn key_account_formal_demand_needs_a_decision() {
    let conn = setup("key_account", &[("F-1", "1000")]);
    let a = agenda(&conn, day(50)).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, ActionKind::FormalDemand);
    assert!(a[0].needs_decision);
    let std = setup("standard", &[("F-1", "1000")]);
    assert!(!agenda(&std, day(50)).unwrap()[0].needs_decision);
}

#[test]
fn catch_up_proposes_only_the_most_advanced_step() {
    let conn = setup("standard", &[("F-1", "1000")]);
    for (offset, want) in [
        (-8, None),
        (-7, Some("courtesy/email")),
        // A courtesy note is never sent once the invoice is overdue.
        (2, None),
        (20, Some("call/phone")),
        (60, Some("formal_demand/registered_letter")),
    ] {
        let a = agenda(&conn, day(offset)).unwrap();
        assert_eq!(
            a.iter().map(summary).collect::<Vec<_>>(),
            want.into_iter().map(String::from).collect::<Vec<_>>(),
            "D{offset:+}"
        );
        if let Some(first) = a.first() {
            assert_eq!(first.days_overdue, offset);
        }
    }
}

#[test]
fn partial_payment_keeps_the_scenario_with_the_new_balance_and_payment_leaves_it() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let pay = |conn: &mut Connection, amount: &str, date: NaiveDate| {
        payments::record(
            conn,
            &PaymentInput {
                customer: "ACME".into(),
                date: date.to_string(),
                amount: amount.into(),
                allocations: vec![AllocationInput {
                    invoice: "F-1".into(),
                    amount: String::new(),
                }],
                ..Default::default()
            },
        )
        .unwrap();
    };
    pay(&mut conn, "400", day(5));
    let a = agenda(&conn, day(15)).unwrap();
    assert_eq!(a[0].amount, "600.00");
    assert_eq!(a[0].kind, ActionKind::Call);
    pay(&mut conn, "600", day(16));
    assert!(
        agenda(&conn, day(16)).unwrap().is_empty(),
        "paid invoices leave at once"
    );
    assert!(agenda(&conn, day(60)).unwrap().is_empty());
}

#[test]
fn grouping_one_action_per_customer_kind_and_channel() {
    let conn = setup("standard", &[("F-1", "100"), ("F-2", "250.50")]);
    let a = agenda(&conn, day(3)).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].invoices, vec!["F-1".to_string(), "F-2".to_string()]);
    assert_eq!(a[0].amount, "350.50");
    assert_eq!(a[0].id, "ACME/reminder/email");
}

/// Adds an invoice of ACME due `due_offset` days after DUE.
fn add_invoice(conn: &Connection, number: &str, total: &str, due_offset: i64) {
    invoices::create(
        conn,
        &InvoiceInput {
            number: number.into(),
            customer: "ACME".into(),
            issue_date: "2026-02-01".into(),
            due_date: day(due_offset).to_string(),
            total: total.into(),
            ..Default::default()
        },
        day(-60),
    )
    .unwrap();
}

#[test]
fn one_message_per_customer_a_day_at_the_most_advanced_stage() {
    // F-1 reaches its formal demand (D+45) the day F-2's courtesy e-mail is due (its due
    // date is 7 days later) and F-3 its reminder e-mail (due 3 days before).
    let mut conn = setup("standard", &[("F-1", "1000")]);
    add_invoice(&conn, "F-2", "250.50", 52);
    add_invoice(&conn, "F-3", "80", 42);
    crate::settings::set(&conn, "company_name", "Relance SARL").unwrap();
    let a = agenda(&conn, day(45)).unwrap();
    assert_eq!(
        a.iter().map(summary).collect::<Vec<_>>(),
        ["formal_demand/registered_letter"]
    );
    assert_eq!(
        a[0].invoices,
        ["F-1", "F-3"],
        "the overdue invoices are claimed"
    );
    assert_eq!(
        a[0].for_information,
        ["F-2"],
        "the one not yet due, for information"
    );
    assert_eq!(a[0].amount, "1080.00", "only what is claimed");
    assert_eq!(a[0].targets.len(), 3);
    // Done: the courtesy and the reminder it covered are done too.
    act(
        &mut conn,
        day(45),
        &[a[0].id.clone()],
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    assert!(agenda(&conn, day(46)).unwrap().is_empty());
    let history = journal::for_customer(&conn, 1, 1).unwrap();
    assert_eq!(history[0].invoices, ["F-1", "F-2", "F-3"]);
}

#[test]
fn no_courtesy_note_to_a_customer_under_formal_demand() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    add_invoice(&conn, "F-2", "250.50", 60);
    let a = agenda(&conn, day(45)).unwrap();
    assert_eq!(a[0].kind, ActionKind::FormalDemand);
    assert!(
        a[0].for_information.is_empty(),
        "F-2's courtesy is 8 days away"
    );
    act(
        &mut conn,
        day(45),
        &[a[0].id.clone()],
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    // D+53: F-2's courtesy day; F-1 is still unpaid under formal demand.
    assert!(agenda(&conn, day(53)).unwrap().is_empty());
    // F-1 paid: the courtesy of F-2 comes back while F-2 is not yet due.
    payments::record(
        &mut conn,
        &PaymentInput {
            customer: "ACME".into(),
            date: day(54).to_string(),
            amount: "1000".into(),
            allocations: vec![AllocationInput {
                invoice: "F-1".into(),
                amount: String::new(),
            }],
            ..Default::default()
        },
    )
    .unwrap();
    let a = agenda(&conn, day(55)).unwrap();
    assert_eq!(
        a.iter().map(summary).collect::<Vec<_>>(),
        ["courtesy/email"]
    );
    assert_eq!(a[0].invoices, ["F-2"]);
}

#[test]
fn snooze_hides_until_the_date_and_refuses_the_past() {
    let mut conn = setup("standard", &[("F-1", "100")]);
    let id = vec!["ACME/reminder/email".to_string()];
    let past = act(
        &mut conn,
        day(3),
        &id,
        &Act::Snooze {
            until: day(3).to_string(),
            note: String::new(),
        },
    );
    assert!(matches!(
        past,
        Err(Error::Invalid {
            msg: Msg::DateInPast,
            ..
        })
    ));
    act(
        &mut conn,
        day(3),
        &id,
        &Act::Snooze {
            until: day(6).to_string(),
            note: String::new(),
        },
    )
    .unwrap();
    assert!(agenda(&conn, day(5)).unwrap().is_empty());
    assert_eq!(agenda(&conn, day(6)).unwrap().len(), 1);
    let skip_without_reason = act(&mut conn, day(6), &id, &Act::Skip { reason: " ".into() });
    assert!(skip_without_reason.is_err());
    act(
        &mut conn,
        day(6),
        &id,
        &Act::Skip {
            reason: "Sent by hand".into(),
        },
    )
    .unwrap();
    assert!(agenda(&conn, day(7)).unwrap().is_empty());
    let history = journal::for_customer(&conn, 1, 10).unwrap();
    assert_eq!(history[0].kind, JournalKind::ActionSkipped);
    assert_eq!(history[0].invoices, vec!["F-1".to_string()]);
    assert!(act(
        &mut conn,
        day(7),
        &["NOPE/x/y".to_string()],
        &Act::Done {
            note: String::new()
        }
    )
    .is_err());
}

#[test]
fn promise_kept_pauses_then_closes() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let p = promises::add(
        &mut conn,
        &PromiseInput {
            customer: "ACME".into(),
            promised_date: day(10).to_string(),
            ..Default::default()
        },
        day(4),
    )
    .unwrap();
    assert_eq!(p.status, PromiseStatus::Live);
    assert_eq!(p.amount, "1000.00");
    for d in 4..=12 {
        assert!(agenda(&conn, day(d)).unwrap().is_empty(), "paused on D+{d}");
    }
    payments::record(
        &mut conn,
        &PaymentInput {
            customer: "ACME".into(),
            date: day(9).to_string(),
            amount: "1000".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        promises::list(&conn, day(20)).unwrap()[0].status,
        PromiseStatus::Kept
    );
    assert!(agenda(&conn, day(20)).unwrap().is_empty());
}

/// Issue 18, found by the model-based test: a payment recorded before the promise, the same
/// day, is already netted from the amount promised and does not keep it; a payment dated
/// before the promise but recorded after it (the statement came later) does.
#[test]
fn a_promise_is_kept_by_what_is_recorded_after_it() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let pay = |conn: &mut Connection, date: NaiveDate, amount: &str| {
        payments::record(
            conn,
            &PaymentInput {
                customer: "ACME".into(),
                date: date.to_string(),
                amount: amount.into(),
                ..Default::default()
            },
        )
        .unwrap();
    };
    pay(&mut conn, day(4), "500");
    let p = promises::add(
        &mut conn,
        &PromiseInput {
            customer: "ACME".into(),
            promised_date: day(4).to_string(),
            ..Default::default()
        },
        day(4),
    )
    .unwrap();
    assert_eq!(p.amount, "500.00");
    let broken = promises::list(&conn, day(7)).unwrap();
    assert_eq!(broken[0].status, PromiseStatus::Broken, "{broken:?}");
    assert!(agenda(&conn, day(7))
        .unwrap()
        .iter()
        .any(|a| a.kind == ActionKind::PromiseBroken));
    // The rest, paid on the promised day and recorded afterwards: kept.
    pay(&mut conn, day(4), "500");
    assert_eq!(
        promises::list(&conn, day(7)).unwrap()[0].status,
        PromiseStatus::Kept
    );
}

#[test]
fn promise_broken_then_scenario_resumes_one_step_further() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    act(
        &mut conn,
        day(3),
        &["ACME/reminder/email".to_string()],
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    promises::add(
        &mut conn,
        &PromiseInput {
            customer: "ACME".into(),
            invoices: vec!["F-1".into()],
            promised_date: day(10).to_string(),
            amount: "1000".into(),
            note: String::new(),
        },
        day(4),
    )
    .unwrap();
    assert!(
        agenda(&conn, day(12)).unwrap().is_empty(),
        "within the 2 grace days"
    );
    let a = agenda(&conn, day(13)).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, ActionKind::PromiseBroken);
    assert!(a[0].needs_decision);
    assert_eq!(
        promises::list(&conn, day(13)).unwrap()[0].status,
        PromiseStatus::Broken
    );
    act(
        &mut conn,
        day(13),
        &[a[0].id.clone()],
        &Act::Done {
            note: "Called".into(),
        },
    )
    .unwrap();
    // The D+15 call comes forward: one step past the last step handled (the D+3 reminder).
    let next = agenda(&conn, day(13)).unwrap();
    assert_eq!(
        next.iter().map(summary).collect::<Vec<_>>(),
        vec!["call/phone".to_string()]
    );
    // Undoing the acknowledgement puts the broken promise back, and the call away.
    let ack: i64 = conn
        .query_row(
            "SELECT MAX(id) FROM journal WHERE kind = 'action_done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    undo(&mut conn, day(13), &[ack]).unwrap();
    assert_eq!(agenda(&conn, day(13)).unwrap(), a);
}

#[test]
fn done_skipped_and_snoozed_are_undone_by_an_entry() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let before = agenda(&conn, day(3)).unwrap();
    let ids = vec![before[0].id.clone()];
    for what in [
        Act::Done {
            note: String::new(),
        },
        Act::Skip {
            reason: "Sent by hand".into(),
        },
        Act::Snooze {
            until: day(9).to_string(),
            note: String::new(),
        },
    ] {
        let entries = act(&mut conn, day(3), &ids, &what).unwrap();
        assert_eq!(entries.len(), 1);
        assert!(agenda(&conn, day(3)).unwrap().is_empty());
        assert_eq!(undo(&mut conn, day(3), &entries).unwrap(), 1);
        assert_eq!(agenda(&conn, day(3)).unwrap(), before, "{what:?} undone");
        // Once only; the journal keeps both entries.
        assert!(matches!(
            undo(&mut conn, day(3), &entries),
            Err(Error::Invalid {
                msg: Msg::AlreadyUndone,
                ..
            })
        ));
        let h = journal::for_customer(&conn, 1, 2).unwrap();
        assert_eq!(h[0].kind, JournalKind::ActionUndone);
        assert_eq!(h[0].corrects_id, Some(entries[0]));
        assert_eq!(h[0].invoices, ["F-1"]);
    }
    // Another day's entry, or an entry that is not an action, is refused; nothing written.
    let entries = act(
        &mut conn,
        day(3),
        &ids,
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    let count = |c: &Connection| -> i64 {
        c.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .unwrap()
    };
    let n = count(&conn);
    for (date, entry) in [(day(4), entries[0]), (day(3), 999)] {
        assert!(matches!(
            undo(&mut conn, date, &[entry]),
            Err(Error::Invalid {
                msg: Msg::NotUndoable,
                ..
            })
        ));
    }
    assert_eq!(count(&conn), n);
}

#[test]
fn promise_refusals() {
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let past = PromiseInput {
        customer: "ACME".into(),
        promised_date: day(1).to_string(),
        ..Default::default()
    };
    assert!(matches!(
        promises::add(&mut conn, &past, day(4)),
        Err(Error::Invalid {
            msg: Msg::DateInPast,
            ..
        })
    ));
    let above = PromiseInput {
        customer: "ACME".into(),
        promised_date: day(10).to_string(),
        amount: "1000.01".into(),
        ..Default::default()
    };
    assert!(matches!(
        promises::add(&mut conn, &above, day(4)),
        Err(Error::Invalid {
            msg: Msg::AboveBalance { .. },
            ..
        })
    ));
    assert!(promises::list(&conn, day(4)).unwrap().is_empty());
}

#[test]
fn dispute_takes_the_invoice_out_until_rejected() {
    use super::disputes::{self, DisputeInput, Resolution, ResolutionInput};
    let mut conn = setup("standard", &[("F-1", "1000"), ("F-2", "200")]);
    let d = disputes::open(
        &mut conn,
        &DisputeInput {
            invoice: "F-1".into(),
            category: "wrong_price".into(),
            note: "Quote said 900".into(),
            opened_on: String::new(),
        },
        day(5),
    )
    .unwrap();
    assert!(matches!(
        disputes::open(
            &mut conn,
            &DisputeInput {
                invoice: "F-1".into(),
                category: "other".into(),
                ..Default::default()
            },
            day(5)
        ),
        Err(Error::Invalid {
            msg: Msg::AlreadyDisputed,
            ..
        })
    ));
    let a = agenda(&conn, day(15)).unwrap();
    assert_eq!(
        a[0].invoices,
        vec!["F-2".to_string()],
        "the disputed invoice left dunning"
    );
    assert!(
        invoices::get_by_number(&conn, "F-1", day(15))
            .unwrap()
            .disputed
    );
    assert_eq!(
        disputes::list(&conn, day(15), true).unwrap()[0].age_days,
        10
    );
    disputes::resolve(
        &mut conn,
        &ResolutionInput {
            dispute_id: d.id,
            resolution: Resolution::Rejected,
            credit_amount: String::new(),
            note: "Quote attached".into(),
        },
        day(20),
    )
    .unwrap();
    let back = agenda(&conn, day(20)).unwrap();
    assert_eq!(back[0].invoices, vec!["F-1".to_string(), "F-2".to_string()]);
    assert!(disputes::list(&conn, day(20), true).unwrap().is_empty());
}

/// An invoice Relance issued is not credited by a figure typed in a dispute: the owner
/// issues the credit note (its number, its PDF), then resolves the dispute as settled.
#[test]
fn a_dispute_on_an_issued_invoice_is_not_resolved_by_a_typed_credit_note() {
    use super::disputes::{self, DisputeInput, Resolution, ResolutionInput};
    let mut conn = setup("standard", &[("F-9", "1000")]);
    conn.execute("UPDATE invoices SET issued = 1 WHERE number = 'F-9'", [])
        .unwrap();
    let d = disputes::open(
        &mut conn,
        &DisputeInput {
            invoice: "F-9".into(),
            category: "wrong_price".into(),
            ..Default::default()
        },
        day(5),
    )
    .unwrap();
    let by_credit = ResolutionInput {
        dispute_id: d.id,
        resolution: Resolution::CreditNote,
        credit_amount: "100".into(),
        note: String::new(),
    };
    let e = disputes::resolve(&mut conn, &by_credit, day(6)).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, msg: Msg::CreditNoteNeedsDocument(n) } if field == "resolution" && n == "F-9"),
        "{e:?}"
    );
    let credited: i64 = conn
        .query_row("SELECT COUNT(*) FROM credit_notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(credited, 0);
    let settled = ResolutionInput {
        resolution: Resolution::Settled,
        credit_amount: String::new(),
        ..by_credit
    };
    assert_eq!(
        disputes::resolve(&mut conn, &settled, day(6))
            .unwrap()
            .resolution,
        Some(Resolution::Settled)
    );
}

#[test]
fn dispute_resolved_by_credit_note_and_refused_on_paid_invoice() {
    use super::disputes::{self, DisputeInput, Resolution, ResolutionInput};
    let mut conn = setup("standard", &[("F-1", "1000")]);
    let d = disputes::open(
        &mut conn,
        &DisputeInput {
            invoice: "F-1".into(),
            category: "wrong_price".into(),
            ..Default::default()
        },
        day(5),
    )
    .unwrap();
    let too_much = ResolutionInput {
        dispute_id: d.id,
        resolution: Resolution::CreditNote,
        credit_amount: "2000".into(),
        note: String::new(),
    };
    assert!(disputes::resolve(&mut conn, &too_much, day(6)).is_err());
    assert!(
        disputes::list(&conn, day(6), true).unwrap().len() == 1,
        "nothing changed"
    );
    let full = ResolutionInput {
        credit_amount: String::new(),
        ..too_much
    };
    let r = disputes::resolve(&mut conn, &full, day(6)).unwrap();
    assert_eq!(r.resolution, Some(Resolution::CreditNote));
    assert_eq!(
        invoices::get_by_number(&conn, "F-1", day(6))
            .unwrap()
            .balance,
        "0.00"
    );
    let paid = disputes::open(
        &mut conn,
        &DisputeInput {
            invoice: "F-1".into(),
            category: "other".into(),
            ..Default::default()
        },
        day(7),
    );
    assert!(matches!(
        paid,
        Err(Error::Invalid {
            msg: Msg::DisputeOnPaidInvoice,
            ..
        })
    ));
}

#[test]
fn write_off_and_hand_over_leave_the_agenda() {
    let mut conn = setup("standard", &[("F-1", "100"), ("F-2", "200")]);
    close_invoice(
        &mut conn,
        "F-1",
        ClosureKind::WriteOff,
        day(50),
        "Company closed",
    )
    .unwrap();
    close_invoice(
        &mut conn,
        "F-2",
        ClosureKind::Agency,
        day(50),
        "Sent to agency",
    )
    .unwrap();
    assert!(agenda(&conn, day(50)).unwrap().is_empty());
    let f1 = invoices::get_by_number(&conn, "F-1", day(50)).unwrap();
    assert_eq!(
        f1.closure,
        Some(ClosureKind::WriteOff),
        "the status shows on the invoice"
    );
    assert!(matches!(
        close_invoice(&mut conn, "F-2", ClosureKind::Court, day(51), "x"),
        Err(Error::Invalid {
            msg: Msg::AlreadyClosed,
            ..
        })
    ));
    let h = journal::for_customer(&conn, 1, 10).unwrap();
    assert_eq!(h[0].kind, JournalKind::Handover);
    assert_eq!(h[1].kind, JournalKind::WriteOff);
}

#[test]
fn minimum_amount_skips_a_step() {
    let mut conn = setup("standard", &[("F-1", "50")]);
    let sid = scenarios::default_id(&conn).unwrap();
    let mut s = scenarios::get(&conn, sid).unwrap();
    let input = scenarios::ScenarioInput {
        name_fr: s.name_fr.clone(),
        name_en: s.name_en.clone(),
        steps: s
            .steps
            .drain(..)
            .map(|st| scenarios::StepInput {
                offset_days: st.offset_days.to_string(),
                channel: st.channel.as_str().into(),
                kind: st.kind.as_str().into(),
                tone: st.tone.as_str().into(),
                min_amount: if st.offset_days == 45 {
                    "500".into()
                } else {
                    String::new()
                },
                needs_decision: st.needs_decision,
                name_fr: st.name_fr,
                name_en: st.name_en,
                script_fr: st.script_fr,
                script_en: st.script_en,
            })
            .collect(),
    };
    scenarios::save(&mut conn, Some(sid), &input).unwrap();
    let a = agenda(&conn, day(50)).unwrap();
    assert_eq!(
        a[0].kind,
        ActionKind::Reminder,
        "the formal demand is skipped below 500"
    );
}

#[test]
fn today_sections_with_totals() {
    let conn = setup("key_account", &[("F-1", "100"), ("F-2", "50.25")]);
    let sections = today(&conn, day(10)).unwrap();
    let calls = sections
        .iter()
        .find(|s| s.section == Section::Calls)
        .unwrap();
    assert_eq!(calls.actions.len(), 1);
    assert_eq!(calls.totals[0].amount, "150.25");
    let decisions = today(&conn, day(46)).unwrap();
    assert_eq!(decisions[0].section, Section::Decisions);
    assert_eq!(
        decisions[0].actions.len(),
        1,
        "the key account's formal demand waits for a decision"
    );
}

#[test]
fn recorded_amounts_come_from_minor_units_not_from_display_strings() {
    // The journal and Today's totals use the action's minor units; the decimal string is only
    // for display, so a string the engine cannot read back never turns into 0.
    let conn = setup("standard", &[("F-1", "1234.56"), ("F-2", "0.44")]);
    let mut today = agenda(&conn, day(3)).unwrap();
    assert_eq!(today.len(), 1);
    assert_eq!(today[0].amount_minor, 123_500);
    today[0].amount = "1 235,00 €".into();
    let id = today[0].id.clone();
    record_acts(
        &conn,
        day(3),
        &today,
        &[id],
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    let cid = today[0].customer_id;
    let h = journal::for_customer(&conn, cid, 1).unwrap();
    assert_eq!(h[0].amount.as_deref(), Some("1235.00"));
    let sections = super::today(&conn, day(15)).unwrap();
    let totals: Vec<String> = sections
        .iter()
        .flat_map(|s| {
            s.totals
                .iter()
                .map(|t| format!("{} {}", t.amount, t.currency))
        })
        .collect();
    assert_eq!(totals, ["1235.00 EUR"]);
}

/// Two invoices of 92,233,720,368,547,758.07 were accepted; then `agenda` panicked and the
/// customer list failed for everyone. Now such an amount is refused, and a database that
/// already holds them gets a refusal naming the cause from every total, never a panic.
#[test]
fn huge_amounts_are_refused_and_old_ones_never_panic() {
    let conn = setup("standard", &[("F-1", "100")]);
    let huge = InvoiceInput {
        number: "F-HUGE".into(),
        customer: "ACME".into(),
        issue_date: "2026-03-01".into(),
        due_date: DUE.into(),
        total: "92233720368547758.07".into(),
        ..Default::default()
    };
    let e = invoices::create(&conn, &huge, due()).unwrap_err();
    assert_eq!(e.field(), Some("total"));
    assert!(
        e.message(crate::Lang::En)
            .contains("at most €999,999,999.99"),
        "{}",
        e.message(crate::Lang::En)
    );
    // Written directly (as an older build allowed): every total is a clear refusal.
    for n in ["F-H1", "F-H2"] {
        conn.execute(
            "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
             VALUES (?1, 1, '2026-03-01', ?2, 'EUR', 9223372036854775807)",
            crate::store::sql::params![n, DUE],
        )
        .unwrap();
    }
    let e = agenda(&conn, day(20)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Invalid {
                msg: Msg::TotalTooLarge,
                ..
            }
        ),
        "{e}"
    );
    let q = customers::CustomerQuery {
        limit: 50,
        ..Default::default()
    };
    // Sorted by any order: the kept balances (each invoice counted up to a cap, so
    // that they never overflow) send the list to the sums, which refuse.
    for sort in [
        customers::CustomerSort::Name,
        customers::CustomerSort::Outstanding,
        customers::CustomerSort::Overdue,
    ] {
        for descending in [true, false] {
            let q = customers::CustomerQuery {
                sort,
                descending,
                ..q.clone()
            };
            let e = customers::list(&conn, &q, day(20)).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Invalid {
                        msg: Msg::TotalTooLarge,
                        ..
                    }
                ),
                "{q:?}: {e}"
            );
        }
    }
    assert!(crate::views::balances::verify(&conn, crate::Lang::En)
        .unwrap()
        .is_empty());
}

fn refused_with(r: Result<impl std::fmt::Debug>, want: fn(&Msg) -> bool) {
    match r {
        Err(Error::Invalid { msg, .. }) if want(&msg) => {}
        other => panic!("unexpected: {other:?}"),
    }
}

/// A 0.01 € promise dated 2999-12-31 hid a 50,000 € overdue invoice for ever; payments of
/// 1900 and 2999 were accepted; a dispute could be resolved before it was opened, a credit
/// note or a write-off dated before its invoice. What cannot be is refused; what is
/// implausible (a promise or snooze more than a year ahead) is bounded.
#[test]
fn dates_have_a_horizon_and_follow_their_invoice() {
    let mut conn = setup("standard", &[("F-1", "50000")]);
    let promise = |date: NaiveDate| PromiseInput {
        customer: "ACME".into(),
        invoices: vec![],
        promised_date: date.to_string(),
        amount: "0.01".into(),
        note: String::new(),
    };
    let far = "2999-12-31".parse().unwrap();
    refused_with(promises::add(&mut conn, &promise(far), day(10)), |m| {
        matches!(m, Msg::DateOutOfRange { .. })
    });
    refused_with(
        promises::add(&mut conn, &promise(day(10 + 400)), day(10)),
        |m| matches!(m, Msg::TooFarAhead(_)),
    );
    assert!(
        !agenda(&conn, day(10)).unwrap().is_empty(),
        "the invoice is still chased"
    );
    promises::add(&mut conn, &promise(day(10 + 300)), day(10)).unwrap();
    // A snooze two years ahead.
    let id = vec!["ACME/reminder/email".to_string()];
    let snooze = Act::Snooze {
        until: day(10 + 730).to_string(),
        note: String::new(),
    };
    refused_with(act(&mut conn, day(3), &id, &snooze), |m| {
        matches!(m, Msg::TooFarAhead(_))
    });
    // Payments in 1900 and 2999.
    for date in ["1900-01-01", "2999-06-01"] {
        let p = PaymentInput {
            customer: "ACME".into(),
            date: date.into(),
            amount: "10".into(),
            ..Default::default()
        };
        refused_with(payments::record(&mut conn, &p), |m| {
            matches!(m, Msg::DateOutOfRange { .. })
        });
    }
    // A credit note and a write-off dated before the invoice (issued 2026-02-01).
    let cn = crate::invoices::credit_notes::CreditNoteInput {
        number: String::new(),
        invoice: "F-1".into(),
        date: "2026-01-15".into(),
        amount: "10".into(),
        reason: "geste".into(),
    };
    refused_with(
        crate::invoices::credit_notes::create(&mut conn, &cn),
        |m| matches!(m, Msg::BeforeInvoiceDate(d) if d == "2026-02-01"),
    );
    let before = "2026-01-15".parse().unwrap();
    refused_with(
        close_invoice(
            &mut conn,
            "F-1",
            crate::invoices::ClosureKind::WriteOff,
            before,
            "lost",
        ),
        |m| matches!(m, Msg::BeforeInvoiceDate(_)),
    );
    // A dispute opened in the future, then one resolved before it was opened.
    let dispute = |opened: NaiveDate| super::disputes::DisputeInput {
        invoice: "F-1".into(),
        category: "defective".into(),
        note: String::new(),
        opened_on: opened.to_string(),
    };
    refused_with(
        super::disputes::open(&mut conn, &dispute(day(20)), day(10)),
        |m| matches!(m, Msg::DateInFuture),
    );
    let d = super::disputes::open(&mut conn, &dispute(day(10)), day(10)).unwrap();
    let resolve = super::disputes::ResolutionInput {
        dispute_id: d.id,
        resolution: super::disputes::Resolution::Rejected,
        credit_amount: String::new(),
        note: String::new(),
    };
    refused_with(super::disputes::resolve(&mut conn, &resolve, day(5)), |m| {
        matches!(m, Msg::BeforeDisputeOpened(_))
    });
    super::disputes::resolve(&mut conn, &resolve, day(12)).unwrap();
}

/// The look-alike references of the probe are one customer, and are found under any form.
#[test]
fn look_alike_references_are_one_customer() {
    let conn = crate::open_in_memory().unwrap();
    let make = |r: &str| {
        customers::create(
            &conn,
            &CustomerInput {
                reference: r.into(),
                // The twins are references; a full-width letter could not be printed in a name.
                name: "Customer T1".into(),
                ..Default::default()
            },
        )
    };
    make("T1").unwrap();
    for twin in ["Ｔ1", "T\u{200B}1", "T1\u{00A0}", "t1"] {
        let e = make(twin).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    msg: Msg::DuplicateCustomerRef(_),
                    ..
                }
            ),
            "{twin:?}: {e:?}"
        );
        assert_eq!(customers::get_by_ref(&conn, twin).unwrap().reference, "T1");
    }
}

/// The actions of the customers some ids name are the agenda's for those customers, on
/// every customer of the demo one by one, on all of them, with a reference that begins
/// another's ("ACME" and "ACME/2": both read, each keeps its own), and under a broken
/// promise naming an invoice moved to another customer; acting reads only those.
#[test]
fn the_actions_of_a_few_customers_are_the_agendas() {
    let mut conn = crate::open_in_memory().unwrap();
    let today: NaiveDate = "2026-11-22".parse().unwrap();
    crate::demo::load(&mut conn, today).unwrap();
    for reference in ["ACME", "ACME/2"] {
        customers::create(
            &conn,
            &CustomerInput {
                reference: reference.into(),
                name: format!("Client {reference}"),
                ..Default::default()
            },
        )
        .unwrap();
        invoices::create(
            &conn,
            &InvoiceInput {
                number: format!("F-{reference}"),
                customer: reference.into(),
                issue_date: "2026-08-01".into(),
                due_date: "2026-09-01".into(),
                total: "500".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
    }
    let full = agenda(&conn, today).unwrap();
    let of = |ids: &[String]| agenda_of(&conn, today, ids).unwrap();
    let customers: std::collections::BTreeSet<i64> = full.iter().map(|a| a.customer_id).collect();
    assert!(customers.len() >= 5, "{} customers", customers.len());
    // What an id names: every customer whose reference and a '/' begin it.
    let named = |full: &[Action], id: &str| -> Vec<Action> {
        full.iter()
            .filter(|a| id.starts_with(&format!("{}/", a.customer)))
            .cloned()
            .collect()
    };
    for c in &customers {
        let id = full
            .iter()
            .find(|a| a.customer_id == *c)
            .unwrap()
            .id
            .clone();
        let mine = named(&full, &id);
        assert!(mine.iter().any(|a| a.customer_id == *c));
        assert_eq!(of(&[id]), mine, "customer {c}");
    }
    let all: Vec<String> = full.iter().map(|a| a.id.clone()).collect();
    assert_eq!(of(&all), full);
    // "ACME/2/…" names ACME/2 and, by its prefix, ACME: both are read.
    let acme2: Vec<String> = full
        .iter()
        .filter(|a| a.customer == "ACME/2")
        .map(|a| a.id.clone())
        .collect();
    assert!(!acme2.is_empty());
    let read: std::collections::BTreeSet<String> =
        of(&acme2).into_iter().map(|a| a.customer).collect();
    assert_eq!(
        read,
        ["ACME".to_string(), "ACME/2".to_string()]
            .into_iter()
            .collect()
    );
    assert!(of(&["NOBODY/reminder/email".to_string()]).is_empty());
    assert!(of(&["no slash".to_string()]).is_empty());
    // A broken promise of ACME's naming its invoice and an older one since moved to
    // TRAI12: the action is TRAI12's (the oldest invoice's) and gathers both.
    let acme = customers::id_by_ref(&conn, "customer", "ACME").unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
             VALUES ('F-MOVED', {acme}, '2026-06-01', '2026-07-01', 'EUR', 30000);
         INSERT INTO promises (id, customer_id, made_on, promised_date, currency, amount_minor)
             VALUES (900, {acme}, '2026-10-01', '2026-10-05', 'EUR', 100);
         INSERT INTO promise_invoices (promise_id, invoice_id)
             SELECT 900, id FROM invoices WHERE number IN ('F-ACME', 'F-MOVED');
         UPDATE invoices SET customer_id = (SELECT id FROM customers WHERE reference = 'TRAI12')
          WHERE number = 'F-MOVED';"
    ))
    .unwrap();
    let full = agenda(&conn, today).unwrap();
    let broken = full
        .iter()
        .find(|a| a.kind == ActionKind::PromiseBroken)
        .unwrap();
    assert_eq!(broken.customer, "TRAI12");
    assert_eq!(broken.invoices, ["F-MOVED", "F-ACME"]);
    for a in &full {
        assert_eq!(
            of(std::slice::from_ref(&a.id)),
            named(&full, &a.id),
            "{}",
            a.id
        );
    }
    // Acting on one action reads its customer's only, and does what the whole day did.
    let first = full[0].id.clone();
    act(
        &mut conn,
        today,
        std::slice::from_ref(&first),
        &Act::Done {
            note: String::new(),
        },
    )
    .unwrap();
    assert!(!agenda(&conn, today).unwrap().iter().any(|a| a.id == first));
    let refused = act(
        &mut conn,
        today,
        std::slice::from_ref(&first),
        &Act::Done {
            note: String::new(),
        },
    );
    assert!(refused.is_err());
}

/// Today shows a page of each section and counts and sums all of it: whatever is asked,
/// each section's actions are the first of the agenda's in that section, in its order;
/// the count and the totals are the whole section's (summed here from how the ledger was
/// made, not from the agenda); and asking for every action gives back the agenda, each
/// action once.
#[test]
fn today_pages_its_sections_and_counts_and_sums_them_whole() {
    let as_of = crate::test_support::day("2026-11-30");
    // 180 customers: 60 reminder e-mails (5 days late), 60 calls (20), 60 letters (35).
    let conn = crate::test_support::busy_ledger(180, as_of);
    let all = agenda(&conn, as_of).unwrap();
    assert_eq!(all.len(), 180);
    // In euros, and in dollars for the customers whose number ends in 9.
    let by_hand = |turn: usize, dollars: bool| -> i64 {
        (0..180usize)
            .filter(|c| c % 3 == turn && (c % 10 == 9) == dollars)
            .map(|c| (100 + c as i64) * 100 + (c % 100) as i64)
            .sum()
    };
    let expected = [
        (Section::Emails, 0usize, Channel::Email),
        (Section::Calls, 1, Channel::Phone),
        (Section::Letters, 2, Channel::Letter),
    ];
    let asks: Vec<HashMap<Section, u32>> = vec![
        HashMap::new(),
        HashMap::from([(Section::Calls, 7)]),
        HashMap::from([(Section::Calls, 51), (Section::Letters, 100)]),
        HashMap::from([(Section::Emails, 60), (Section::Letters, 1000)]),
        HashMap::from([(Section::Decisions, 0), (Section::Calls, u32::MAX)]),
    ];
    for shown in &asks {
        let sections = today_showing(&conn, as_of, shown).unwrap();
        let order: Vec<Section> = sections.iter().map(|s| s.section).collect();
        assert_eq!(
            order,
            [
                Section::Decisions,
                Section::Calls,
                Section::Emails,
                Section::Letters
            ]
        );
        for s in &sections {
            let whole: Vec<&Action> = all.iter().filter(|a| Section::of(a) == s.section).collect();
            let wanted = shown
                .get(&s.section)
                .map_or(TODAY_PAGE, |&n| (n as usize).max(TODAY_PAGE));
            assert_eq!(s.count, whole.len(), "{:?} {shown:?}", s.section);
            assert_eq!(
                s.actions.len(),
                whole.len().min(wanted),
                "{:?} {shown:?}",
                s.section
            );
            let ids: Vec<&str> = s.actions.iter().map(|a| a.id.as_str()).collect();
            let first: Vec<&str> = whole.iter().take(wanted).map(|a| a.id.as_str()).collect();
            assert_eq!(
                ids, first,
                "{:?}: the first of the agenda, in order",
                s.section
            );
            let section_actions = section_actions(&conn, as_of, s.section).unwrap();
            assert_eq!(section_actions.len(), s.count);
            match expected
                .iter()
                .find(|(section, _, _)| *section == s.section)
            {
                Some((_, turn, channel)) => {
                    assert_eq!(s.count, 60);
                    assert!(s.actions.iter().all(|a| a.channel == *channel));
                    let totals: Vec<(&str, String)> = s
                        .totals
                        .iter()
                        .map(|t| (t.currency.as_str(), t.amount.clone()))
                        .collect();
                    let (euros, dollars) = (by_hand(*turn, false), by_hand(*turn, true));
                    assert_eq!(
                        totals,
                        [
                            ("EUR", format!("{}.{:02}", euros / 100, euros % 100)),
                            ("USD", format!("{}.{:02}", dollars / 100, dollars % 100)),
                        ],
                        "{:?}: every action summed per currency, shown or not",
                        s.section
                    );
                }
                None => assert_eq!((s.count, s.totals.len()), (0, 0)),
            }
        }
    }
    // Everything asked: the agenda, each action once.
    let every: HashMap<Section, u32> = [
        Section::Decisions,
        Section::Calls,
        Section::Emails,
        Section::Letters,
    ]
    .into_iter()
    .map(|s| (s, u32::MAX))
    .collect();
    let mut shown: Vec<String> = today_showing(&conn, as_of, &every)
        .unwrap()
        .into_iter()
        .flat_map(|s| s.actions.into_iter().map(|a| a.id))
        .collect();
    let mut ids: Vec<String> = all.iter().map(|a| a.id.clone()).collect();
    shown.sort();
    ids.sort();
    assert_eq!(shown, ids);
    // The first page by default.
    assert!(today(&conn, as_of)
        .unwrap()
        .iter()
        .all(|s| s.actions.len() == s.count.min(TODAY_PAGE)));
}

/// The facts the agenda reads, each written behind the kept actions' back (raw SQL, or the
/// journal without an act's refresh), on the busy ledger of 2026-11-30: each changes the
/// derived Today. With `Some(fact)`, only that one.
pub(crate) fn kept_facts(
    conn: &Connection,
    as_of: NaiveDate,
    which: Option<usize>,
) -> Vec<&'static str> {
    let id_of = |table: &str, column: &str, value: &str| -> i64 {
        conn.query_row(
            &format!("SELECT id FROM {table} WHERE {column} = ?1"),
            [value],
            |r| r.get(0),
        )
        .unwrap()
    };
    type Fact<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let facts: Vec<Fact> = vec![
        (
            "an invoice settled",
            Box::new(|| {
                conn.execute(
                    "UPDATE invoices SET settled_minor = total_minor WHERE number = 'F00000'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "an invoice part paid",
            Box::new(|| {
                conn.execute(
                    "UPDATE invoices SET settled_minor = 1000 WHERE number = 'F00004'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a due date moved",
            Box::new(|| {
                conn.execute(
                    "UPDATE invoices SET due_date = '2026-10-20' WHERE number = 'F00007'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "an invoice imported",
            Box::new(|| {
                // A copy of the customer's invoice, due earlier, under another number.
                let columns: Vec<String> = conn
                    .prepare("SELECT * FROM invoices LIMIT 0")
                    .unwrap()
                    .column_names()
                    .unwrap()
                    .into_iter()
                    .filter(|c| c != "id")
                    .collect();
                let values: Vec<String> = columns
                    .iter()
                    .map(|c| match c.as_str() {
                        "number" => "'G00010'".to_string(),
                        "due_date" => "'2026-10-01'".to_string(),
                        "issue_date" => "'2026-09-01'".to_string(),
                        _ => c.clone(),
                    })
                    .collect();
                conn.execute(
                    &format!(
                        "INSERT INTO invoices ({}) SELECT {} FROM invoices WHERE number = 'F00010'",
                        columns.join(", "),
                        values.join(", ")
                    ),
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a customer put on hold",
            Box::new(|| {
                conn.execute(
                    "UPDATE customers SET on_hold = 1 WHERE reference = 'C00013'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a customer renamed",
            Box::new(|| {
                conn.execute(
                    "UPDATE customers SET name = 'Renommé' WHERE reference = 'C00016'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a scenario chosen",
            Box::new(|| {
                // Late payer: a final notice at 15 days rather than a call.
                conn.execute(
                    "UPDATE customers SET scenario_id = (SELECT id FROM scenarios WHERE code = 'late_payer')
                      WHERE reference = 'C00019'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a payer segment stored",
            Box::new(|| {
                conn.execute(
                    "INSERT INTO customer_segments (customer_id, segment, rule, since)
                     VALUES (?1, 'at_risk', 'by hand', '2026-11-30')
                     ON CONFLICT (customer_id) DO UPDATE SET segment = 'at_risk'",
                    [id_of("customers", "reference", "C00022")],
                )
                .unwrap();
            }),
        ),
        (
            "a dispute",
            Box::new(|| {
                conn.execute(
                    "INSERT INTO disputes (invoice_id, category, opened_on) VALUES (?1, 'other', '2026-11-30')",
                    [id_of("invoices", "number", "F00025")],
                )
                .unwrap();
            }),
        ),
        (
            "a write-off",
            Box::new(|| {
                conn.execute(
                    "INSERT INTO invoice_closures (invoice_id, kind, on_date) VALUES (?1, 'write_off', '2026-11-30')",
                    [id_of("invoices", "number", "F00028")],
                )
                .unwrap();
            }),
        ),
        (
            "a promise",
            Box::new(|| {
                let p = conn
                    .insert(
                        "INSERT INTO promises (customer_id, made_on, promised_date, currency, amount_minor)
                         VALUES (?1, '2026-11-30', '2026-12-10', 'EUR', 100)",
                        [id_of("customers", "reference", "C00031")],
                    )
                    .unwrap();
                conn.execute(
                    "INSERT INTO promise_invoices (promise_id, invoice_id) VALUES (?1, ?2)",
                    [p, id_of("invoices", "number", "F00031")],
                )
                .unwrap();
            }),
        ),
        (
            "a step journaled",
            Box::new(|| {
                let action = agenda(conn, as_of)
                    .unwrap()
                    .into_iter()
                    .find(|a| a.customer == "C00034")
                    .unwrap();
                let entry = super::step_entry(JournalKind::ActionDone, &action, as_of);
                journal::append(conn, &entry).unwrap();
            }),
        ),
        (
            "an invoice moved to another customer",
            Box::new(|| {
                conn.execute(
                    "UPDATE invoices SET customer_id = ?1 WHERE number = 'F00040'",
                    [id_of("customers", "reference", "C00041")],
                )
                .unwrap();
            }),
        ),
        (
            "a payment on an invoice of another customer's promise",
            Box::new(|| {
                // C00043 promises for C00044's and C00047's invoices (made today: both
                // paused); a payment on C00044's keeps the promise, so C00047's invoice
                // resumes: neither its customer nor the promise's maker paid anything.
                let promised: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
                          WHERE i.number = 'F00047'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                if promised == 0 {
                    let p = conn
                        .insert(
                            "INSERT INTO promises (customer_id, made_on, promised_date, currency, amount_minor)
                             VALUES (?1, '2026-11-30', '2026-12-10', 'EUR', 500)",
                            [id_of("customers", "reference", "C00043")],
                        )
                        .unwrap();
                    for number in ["F00044", "F00047"] {
                        conn.execute(
                            "INSERT INTO promise_invoices (promise_id, invoice_id) VALUES (?1, ?2)",
                            [p, id_of("invoices", "number", number)],
                        )
                        .unwrap();
                    }
                    // As an act's transaction would: kept again.
                    super::kept::refresh_in(conn, as_of).unwrap();
                }
                crate::invoices::payments::record_in(
                    conn,
                    &PaymentInput {
                        customer: "C00044".into(),
                        date: "2026-11-30".into(),
                        amount: "5".into(),
                        allocations: vec![AllocationInput {
                            invoice: "F00044".into(),
                            amount: String::new(),
                        }],
                        ..Default::default()
                    },
                )
                .unwrap();
            }),
        ),
        (
            "a step undone by an entry naming no invoice",
            Box::new(|| {
                // The step journaled above (C00034's), or one journaled here and kept as an
                // act keeps it; undone by an entry of another customer's naming no invoice.
                let done: Option<i64> = conn
                    .query_row(
                        "SELECT MAX(j.id) FROM journal j JOIN customers c ON c.id = j.customer_id
                          WHERE c.reference = 'C00034' AND j.kind = 'action_done'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                let done = done.unwrap_or_else(|| {
                    let action = agenda(conn, as_of)
                        .unwrap()
                        .into_iter()
                        .find(|a| a.customer == "C00034")
                        .unwrap();
                    let entry = super::step_entry(JournalKind::ActionDone, &action, as_of);
                    let id = journal::append(conn, &entry).unwrap();
                    super::kept::refresh_in(conn, as_of).unwrap();
                    id
                });
                let mut undo = NewEntry::new(
                    JournalKind::ActionUndone,
                    id_of("customers", "reference", "C00001"),
                    as_of,
                );
                undo.corrects_id = Some(done);
                journal::append(conn, &undo).unwrap();
            }),
        ),
        (
            "a scenario's step",
            Box::new(|| {
                conn.execute(
                    "UPDATE scenario_steps SET channel = 'letter' WHERE channel = 'email'",
                    [],
                )
                .unwrap();
            }),
        ),
        (
            "a credit from the bank of an invoice's amount",
            Box::new(|| {
                let import = conn
                    .insert(
                        "INSERT INTO bank_imports (imported_on, files, format, line_count, duplicates)
                         VALUES ('2026-11-30', 'x.xml', 'camt053', 1, 0)",
                        [],
                    )
                    .unwrap();
                conn.execute(
                    "INSERT INTO bank_lines (import_id, account, identity, date, amount_minor, currency,
                         party, party_account, text, reference, end_to_end, reversal)
                     SELECT ?1, 'FR76', 'line-1', '2026-11-29', total_minor - settled_minor, currency,
                            'Client 37', '', '', '', '', 0
                       FROM invoices WHERE number = 'F00037'",
                    [import],
                )
                .unwrap();
            }),
        ),
        (
            "the default currency",
            Box::new(|| {
                crate::settings::set(conn, "default_currency", "USD").unwrap();
            }),
        ),
    ];
    let mut names = Vec::new();
    for (k, (name, write)) in facts.into_iter().enumerate() {
        if which.is_none_or(|w| w == k) {
            write();
            names.push(name);
        }
    }
    names
}

/// Today read through the kept actions is the derived Today after each kind of fact the
/// agenda reads, written behind their back: each fact's trigger marks its customers (or a
/// scenario's removes the day's row, or the bank's credits and the settings are compared on
/// reading), a marked customer's actions are derived again, and the sections' counts,
/// totals and pages are the derived ones. Without the triggers, every fact but the bank's
/// leaves kept actions `verify` finds wrong (a customer's name and hold are in no kept row).
#[test]
fn today_read_through_the_kept_actions_is_the_derived_today_after_every_fact() {
    let as_of = crate::test_support::day("2026-11-30");
    let asks: Vec<HashMap<Section, u32>> = vec![
        HashMap::new(),
        HashMap::from([(Section::Calls, 7), (Section::Letters, 51)]),
        HashMap::from([(Section::Emails, 1000), (Section::Decisions, 1)]),
    ];
    // (`serving`: the kept actions serve the day, else nothing kept serves it.)
    let same = |conn: &Connection, serving: bool| {
        for shown in &asks {
            assert_eq!(
                serde_json::to_string(&today_showing(conn, as_of, shown).unwrap()).unwrap(),
                serde_json::to_string(&derived_sections(conn, as_of, shown).unwrap()).unwrap()
            );
        }
        let found = kept::verify(conn, crate::Lang::En).unwrap();
        assert_eq!(found, serving.then(Vec::new));
    };
    let derived = |conn: &Connection| {
        serde_json::to_string(&derived_sections(conn, as_of, &asks[2]).unwrap()).unwrap()
    };
    let mut conn = crate::test_support::busy_ledger(180, as_of);
    assert!(kept::serves(&conn, as_of).unwrap(), "the day is kept");
    same(&conn, true);
    for k in 0.. {
        let before = derived(&conn);
        let names = kept_facts(&conn, as_of, Some(k));
        let Some(name) = names.first() else { break };
        assert_ne!(derived(&conn), before, "{name} changes Today");
        let global = ["a scenario's step", "the default currency"].contains(name);
        assert_eq!(kept::serves(&conn, as_of).unwrap(), !global, "{name}");
        same(&conn, !global);
        // As the next act or start does: kept again, nobody marked.
        dunning_refresh(&mut conn, as_of);
        assert!(kept::serves(&conn, as_of).unwrap(), "{name}");
        let marked: i64 = conn
            .query_row("SELECT COUNT(*) FROM agenda_stale", [], |r| r.get(0))
            .unwrap();
        assert_eq!(marked, 0, "{name}");
        same(&conn, true);
    }
    // Without the triggers, the same facts leave kept actions found wrong (the bank's
    // credits are compared on reading, not marked).
    for k in 0.. {
        let conn = crate::test_support::busy_ledger(60, as_of);
        let server = conn.dialect() == crate::store::sql::Dialect::Postgres;
        let triggers: Vec<(String, String)> = conn
            .prepare(if server {
                "SELECT DISTINCT trigger_name::text, event_object_table::text
                   FROM information_schema.triggers
                  WHERE trigger_name LIKE 'agenda_stale%' OR trigger_name LIKE 'agenda_kept%'"
            } else {
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'
                   AND (name LIKE 'agenda_stale%' OR name LIKE 'agenda_kept%')"
            })
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        assert!(
            triggers.len() >= if server { 14 } else { 30 },
            "{triggers:?}"
        );
        for (t, table) in triggers {
            let on = if server {
                format!(" ON {table}")
            } else {
                String::new()
            };
            conn.execute_batch(&format!("DROP TRIGGER {t}{on}"))
                .unwrap();
        }
        let names = kept_facts(&conn, as_of, Some(k));
        let Some(name) = names.first() else { break };
        let found = kept::verify(&conn, crate::Lang::En).unwrap();
        match *name {
            // Compared on reading, or in no kept row (a page's actions are derived again), or
            // done and undone by the fact itself here (the loop above proves its marks: the
            // step it undoes was kept done).
            "a credit from the bank of an invoice's amount"
            | "a customer put on hold"
            | "a customer renamed"
            | "a step undone by an entry naming no invoice" => {
                assert_eq!(found, Some(Vec::new()), "{name}")
            }
            // A setting compared on reading: nothing kept serves.
            "the default currency" => assert_eq!(found, None, "{name}"),
            _ => assert!(found.is_some_and(|f| f.len() == 1), "{name}"),
        }
    }
}

fn dunning_refresh(conn: &mut Connection, as_of: NaiveDate) {
    refresh_day(conn, as_of).unwrap();
}

/// A kept row made wrong by hand is found (`relance check`), and `--rebuild` mends it; a
/// kept action the derivation does not give back makes Today derive the whole day.
#[test]
fn a_wrong_kept_action_is_found_and_today_derives_rather_than_show_it() {
    let as_of = crate::test_support::day("2026-11-30");
    let mut conn = crate::test_support::busy_ledger(90, as_of);
    conn.execute(
        "UPDATE agenda_kept SET amount_minor = amount_minor + 1
          WHERE action_id = (SELECT MIN(action_id) FROM agenda_kept)",
        [],
    )
    .unwrap();
    let found = kept::verify(&conn, crate::Lang::En).unwrap().unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("C00000/"), "{found:?}");
    kept::rebuild(&mut conn, as_of).unwrap();
    assert_eq!(
        kept::verify(&conn, crate::Lang::En).unwrap(),
        Some(Vec::new())
    );
    // A kept action at the head of its section that no longer exists.
    conn.execute(
        "UPDATE agenda_kept SET action_id = 'C00000/nothing/email', days_overdue = 999
          WHERE action_id = (SELECT MIN(action_id) FROM agenda_kept)",
        [],
    )
    .unwrap();
    let shown = HashMap::new();
    assert_eq!(
        serde_json::to_string(&today_showing(&conn, as_of, &shown).unwrap()).unwrap(),
        serde_json::to_string(&derived_sections(&conn, as_of, &shown).unwrap()).unwrap()
    );
}
