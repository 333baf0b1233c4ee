//! Wake dates: the earliest day the agenda may propose a step for each open invoice, so
//! Today reads what may be due rather than every open invoice (a million invoices, a
//! hundred thousand of them open, were two seconds a day).
//!
//! A cache of the derivation, never a fact: `agenda_wake` holds one row per open invoice
//! (the triggers of migration 36 add it when the invoice opens, remove it when it closes,
//! and set it to '' — to compute — when anything it follows from changes: the invoice's due
//! date or customer, a step journaled for it or undone, its customer's scenario, key-account
//! flag or payer segment, any scenario or step). [`refresh`] computes the rows set to '' as of
//! a day; [`super::agenda`] then reads the invoices whose wake date has come, those set to '',
//! and those under a promise, and is always what [`super::derived`] reads from every open
//! invoice (`relance check`, the model test and the crash harness compare the two).
//!
//! What a wake date may ignore, because it only ever takes an action away: the open amount
//! (a step's minimum), disputes, closures, money arrived from the bank, the customer being
//! under formal demand. Promises pause and then bump invoices a step on: their invoices are
//! always read. So the wake date is the earliest day, from the day it is computed on, when
//! a step not done or skipped is reached (due date + offset, or the end of its snooze) while
//! it can still be the latest step reached: before the next step that has no minimum, and for
//! a courtesy note no later than the due date.

use super::agenda::{history_of, load_steps, History, StepRow};
use super::scenarios::{self, StepKind};
use crate::error::{Lang, Result};
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// The wake date of an invoice none of whose steps can come again (until a fact changes).
pub const NEVER: &str = "9999-12-31";

/// Whether the wake dates serve an agenda of `as_of`: each was computed from a day on which
/// it holds for every later day; before the latest such day, the agenda reads every open
/// invoice.
pub(super) fn serves(conn: &Connection, as_of: NaiveDate) -> Result<bool> {
    Ok(serving_from(conn)?.is_none_or(|d| d <= as_of))
}

/// Up to this many invoices awake, the agenda reads the woken ones (counted no further:
/// an empty Today costs one short count).
const CROWDED: i64 = 20_000;

/// Whether the agenda of `as_of` reads every open invoice in due-date order (one pass over
/// an index) rather than the woken ones by id: when more than [`CROWDED`] are awake and
/// more than half the open invoices. A woken invoice read by id costs about twice an
/// invoice of the pass, so the pass wins past half. Measured at a million invoices, a week
/// after a day's work (72,945 awake of 279,972 open, 175,380 of them with nothing left to
/// do): 869 ms by wake date against 1,656 ms in one pass, which a fixed 20,000 had chosen
/// (at 100,000 invoices, 28,000 all awake: 245 ms by wake date against 160 ms in one pass).
pub(super) fn crowded(conn: &Connection, as_of: NaiveDate) -> Result<bool> {
    crowded_above(conn, as_of, CROWDED)
}

/// [`crowded`] with `floor` for [`CROWDED`] (tests).
fn crowded_above(conn: &Connection, as_of: NaiveDate, floor: i64) -> Result<bool> {
    let awake = |limit: i64| -> Result<i64> {
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM agenda_wake WHERE wake_on <= ?1 LIMIT ?2) w",
            params![as_of.to_string(), limit],
            |r| r.get(0),
        )?)
    };
    if awake(floor + 1)? <= floor {
        return Ok(false);
    }
    let open: i64 = conn.query_row("SELECT COUNT(*) FROM agenda_wake", [], |r| r.get(0))?;
    Ok(awake(open / 2 + 1)? > open / 2)
}

/// The earliest day from `since` on which the derivation may propose one of `steps` (in
/// offset order) for an invoice due on `due` with this `history`; None: never.
pub(super) fn wake_on(
    due: NaiveDate,
    steps: &[StepRow],
    history: &History,
    since: NaiveDate,
) -> Option<NaiveDate> {
    let mut earliest: Option<NaiveDate> = None;
    for (k, step) in steps.iter().enumerate() {
        if history.handled.iter().any(|(o, _)| *o == step.offset) {
            continue;
        }
        let mut start = (due + Duration::days(step.offset)).max(since);
        for (offset, until) in &history.snoozed {
            if *offset == step.offset {
                start = start.max(*until);
            }
        }
        // The latest step reached is the one proposed: this one stops being it once a later
        // step that every amount reaches is reached (one with a minimum may not apply).
        let mut end = steps[k + 1..]
            .iter()
            .find(|s| s.min_minor.is_none())
            .map(|s| due + Duration::days(s.offset));
        if step.kind == StepKind::Courtesy {
            let after_due = due + Duration::days(1);
            end = Some(end.map_or(after_due, |e| e.min(after_due)));
        }
        if end.is_none_or(|e| start < e) {
            earliest = Some(earliest.map_or(start, |e| e.min(start)));
        }
    }
    earliest
}

/// Computes, as of `day`, every wake date set to be computed (inside the caller's
/// transaction). Returns how many.
pub(crate) fn refresh_in(conn: &Connection, day: NaiveDate) -> Result<usize> {
    let default_scenario = scenarios::default_id(conn)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT w.invoice_id, i.due_date, {}
         FROM agenda_wake w CROSS JOIN invoices i ON i.id = w.invoice_id
         CROSS JOIN customers c ON c.id = i.customer_id
         {}
         WHERE w.wake_on = ?1",
        scenarios::effective_sql(conn)?,
        scenarios::SEGMENT_JOIN
    ))?;
    let stale: Vec<(i64, NaiveDate, i64)> = stmt
        .query_map(params!["", default_scenario], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    if stale.is_empty() {
        return Ok(0);
    }
    let steps = load_steps(conn)?;
    let ids: Vec<i64> = stale.iter().map(|s| s.0).collect();
    let history = history_of(conn, &ids, false)?;
    let empty = History::default();
    let none: Vec<StepRow> = Vec::new();
    // Written a date at a time, a thousand invoices a statement (a statement per invoice
    // is a round trip per invoice on a server).
    let mut by_date: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (id, due, scenario) in &stale {
        let wake = wake_on(
            *due,
            steps.get(scenario).unwrap_or(&none),
            history.get(id).unwrap_or(&empty),
            day,
        );
        by_date
            .entry(wake.map_or_else(|| NEVER.to_string(), |d| d.to_string()))
            .or_default()
            .push(*id);
    }
    for (wake, ids) in by_date {
        for chunk in ids.chunks(1000) {
            conn.execute(
                &format!(
                    "UPDATE agenda_wake SET wake_on = ?1 WHERE invoice_id IN ({})",
                    crate::store::sql::id_list(chunk)
                ),
                [&wake],
            )?;
        }
    }
    conn.execute(
        "INSERT INTO agenda_wake_since (id, day) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET day = CASE WHEN excluded.day > agenda_wake_since.day
             THEN excluded.day ELSE agenda_wake_since.day END",
        [day.to_string()],
    )?;
    Ok(stale.len())
}

/// The first day the wake dates serve (None: any day).
pub fn serving_from(conn: &Connection) -> Result<Option<NaiveDate>> {
    Ok(conn
        .query_row("SELECT day FROM agenda_wake_since WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// [`refresh_in`] in its own transaction: what a shell runs at start and after an import.
pub fn refresh(conn: &mut Connection, day: NaiveDate) -> Result<usize> {
    crate::store::write(conn, |tx| refresh_in(tx, day))
}

/// Sets every open invoice's wake date to be computed, and drops any other row (inside the
/// caller's transaction): after rows were written with the triggers set aside (a restore's
/// carried invoices).
pub fn reset_in(conn: &Connection) -> Result<()> {
    // Invoice ids start at 1: every open invoice.
    opened_since(conn, 0)?;
    conn.execute(
        "DELETE FROM agenda_wake WHERE invoice_id IN
            (SELECT id FROM invoices WHERE settled_minor >= total_minor)",
        [],
    )?;
    Ok(())
}

/// The trigger that gives each invoice inserted open a wake date to compute: a bulk import
/// sets it aside and calls [`opened_since`] once instead.
pub(crate) const INSERT_TRIGGER: &str = "agenda_wake_new";

/// What [`INSERT_TRIGGER`] does, for every invoice inserted after `last_id` at once (inside
/// the caller's transaction): each one open gets a wake date to compute.
pub(crate) fn opened_since(conn: &Connection, last_id: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO agenda_wake (invoice_id, wake_on)
         SELECT id, '' FROM invoices WHERE id > ?1 AND settled_minor < total_minor
         ON CONFLICT (invoice_id) DO UPDATE SET wake_on = ''",
        [last_id],
    )?;
    Ok(())
}

/// The triggers that drop the wake date of an invoice settled and give one to compute to an
/// invoice open again: a bulk import of payments (which only settles) sets them aside and
/// calls [`settled_since`] once instead.
pub(crate) const SETTLE_TRIGGERS: [&str; 2] = ["agenda_wake_closed", "agenda_wake_reopened"];

/// What [`SETTLE_TRIGGERS`] do for the invoices the allocations after `last_allocation`
/// settled, at once (inside the caller's transaction): those now paid lose their wake date.
/// (An allocation only adds to what is settled: none is opened again.)
pub(crate) fn settled_since(conn: &Connection, last_allocation: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM agenda_wake WHERE invoice_id IN
           (SELECT a.invoice_id FROM allocations a CROSS JOIN invoices i ON i.id = a.invoice_id
             WHERE a.id > ?1 AND NOT (i.settled_minor < i.total_minor))",
        [last_allocation],
    )?;
    Ok(())
}

/// Sets every wake date to be computed, then computes them as of `day` (`relance check
/// --rebuild`): they then serve from `day` on, even after a refresh of a later day (an
/// action recorded ahead of time) had them serve only from that one. Returns how many.
pub fn rebuild(conn: &mut Connection, day: NaiveDate) -> Result<usize> {
    crate::store::write(conn, |tx| {
        reset_in(tx)?;
        tx.execute("DELETE FROM agenda_wake_since", [])?;
        refresh_in(tx, day)
    })
}

/// The days [`verify`] compares the agenda on: `as_of` and later ones, where a wake date
/// set too late would first show.
pub const VERIFY_DAYS: [i64; 7] = [0, 1, 7, 15, 30, 60, 120];

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// What is wrong, in the language asked (empty: nothing).
    pub findings: Vec<String>,
    /// The days compared: those the wake dates serve (an agenda of an earlier day is the
    /// derivation itself, so there is nothing to compare).
    pub compared: Vec<NaiveDate>,
}

/// What is wrong with the wake dates: an open invoice without its row or a settled one
/// with a row, and any day of [`VERIFY_DAYS`] from `as_of` on which the agenda read through
/// them (however many invoices are awake) differs from the agenda derived from every open
/// invoice. Read it inside one snapshot ([`Connection::snapshot`]) on a shared ledger, or
/// another person's write between the two readings is a difference.
pub fn verify(conn: &Connection, as_of: NaiveDate, lang: Lang) -> Result<Verified> {
    verify_on(conn, as_of, &VERIFY_DAYS, lang)
}

/// [`verify`] on the days `days` after `as_of` (the model-based test compares after every
/// step, on fewer days).
pub fn verify_on(
    conn: &Connection,
    as_of: NaiveDate,
    days: &[i64],
    lang: Lang,
) -> Result<Verified> {
    let fr = lang == Lang::Fr;
    let mut findings = Vec::new();
    let missing: i64 = conn.query_row(
        "SELECT COUNT(*) FROM invoices i WHERE i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM agenda_wake w WHERE w.invoice_id = i.id)",
        [],
        |r| r.get(0),
    )?;
    if missing > 0 {
        findings.push(if fr {
            format!(
                "{} sans date de réveil",
                lang.count(missing, "facture ouverte", "factures ouvertes")
            )
        } else {
            format!(
                "{} without a wake date",
                lang.count(missing, "open invoice", "open invoices")
            )
        });
    }
    let extra: i64 = conn.query_row(
        "SELECT COUNT(*) FROM agenda_wake w CROSS JOIN invoices i ON i.id = w.invoice_id
          WHERE i.settled_minor >= i.total_minor",
        [],
        |r| r.get(0),
    )?;
    if extra > 0 {
        findings.push(if fr {
            format!(
                "{} avec une date de réveil",
                lang.count(extra, "facture soldée", "factures soldées")
            )
        } else {
            format!(
                "{} with a wake date",
                lang.count(extra, "settled invoice", "settled invoices")
            )
        });
    }
    let from = serving_from(conn)?;
    let mut compared = Vec::new();
    for days in days {
        let day = as_of + Duration::days(*days);
        if from.is_some_and(|from| day < from) {
            continue;
        }
        compared.push(day);
        let woken = super::agenda::woken(conn, day)?;
        let derived = super::derived(conn, day)?;
        if woken != derived {
            let ids = |a: &[super::Action]| -> HashMap<String, usize> {
                a.iter()
                    .enumerate()
                    .map(|(i, x)| (x.id.clone(), i))
                    .collect()
            };
            let (c, d) = (ids(&woken), ids(&derived));
            let mut lost: Vec<&String> = d.keys().filter(|k| !c.contains_key(*k)).collect();
            let mut more: Vec<&String> = c.keys().filter(|k| !d.contains_key(*k)).collect();
            lost.sort();
            more.sort();
            findings.push(if fr {
                format!(
                    "l'agenda du {day} lu par les dates de réveil diffère de la dérivation : \
                     {} action(s) contre {} ; manquantes {lost:?} ; en trop {more:?}",
                    woken.len(),
                    derived.len()
                )
            } else {
                format!(
                    "the agenda of {day} read through the wake dates differs from the derivation: \
                     {} action(s) against {}; missing {lost:?}; extra {more:?}",
                    woken.len(),
                    derived.len()
                )
            });
        }
    }
    Ok(Verified { findings, compared })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    fn agendas(conn: &Connection, as_of: NaiveDate) -> Vec<Vec<super::super::Action>> {
        VERIFY_DAYS
            .iter()
            .map(|d| super::super::derived(conn, as_of + Duration::days(*d)).unwrap())
            .collect()
    }

    /// The one pass over every open invoice is chosen past the floor and past half the open
    /// invoices awake, not before.
    #[test]
    fn the_agenda_reads_every_open_invoice_only_when_most_are_awake() {
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        refresh(&mut conn, today).unwrap();
        let count = |sql: &str| -> i64 {
            conn.query_row(sql, [today.to_string()], |r| r.get(0))
                .unwrap()
        };
        let open = count("SELECT COUNT(*) FROM agenda_wake WHERE ?1 = ?1");
        let awake = count("SELECT COUNT(*) FROM agenda_wake WHERE wake_on <= ?1");
        assert!(open >= 4 && awake >= 2, "{awake} awake of {open}");
        // The floor: at or under it, the woken, however many of the open they are.
        assert!(!crowded_above(&conn, today, awake).unwrap());
        assert_eq!(
            crowded_above(&conn, today, awake - 1).unwrap(),
            awake > open / 2
        );
        // Every open invoice awake: the pass; half of them or fewer: the woken.
        conn.execute("UPDATE agenda_wake SET wake_on = ?1", [today.to_string()])
            .unwrap();
        assert!(crowded_above(&conn, today, 1).unwrap());
        conn.execute(
            "UPDATE agenda_wake SET wake_on = ?2
              WHERE invoice_id IN (SELECT invoice_id FROM agenda_wake
                                    ORDER BY invoice_id LIMIT ?1)",
            params![open - open / 2, NEVER],
        )
        .unwrap();
        assert_eq!(
            count("SELECT COUNT(*) FROM agenda_wake WHERE wake_on <= ?1"),
            open / 2
        );
        assert!(!crowded_above(&conn, today, 1).unwrap());
        conn.execute(
            "UPDATE agenda_wake SET wake_on = ?1
              WHERE invoice_id = (SELECT MIN(invoice_id) FROM agenda_wake WHERE wake_on = ?2)",
            params![today.to_string(), NEVER],
        )
        .unwrap();
        assert!(crowded_above(&conn, today, 1).unwrap());
    }

    fn stale(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM agenda_wake WHERE wake_on = ''",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Each fact the wake dates follow from, changed so that some day's agenda changes:
    /// its trigger sets them to be computed, and once computed the agenda read through them
    /// is the derivation on every day compared. A missing trigger leaves a wake date that
    /// no longer holds, which `verify` sees.
    #[test]
    fn every_fact_a_wake_date_follows_from_sets_it_to_compute() {
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        refresh(&mut conn, today).unwrap();
        assert_eq!(stale(&conn), 0);
        assert_eq!(
            verify(&conn, today, Lang::En).unwrap().findings,
            Vec::<String>::new()
        );
        let woken: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM agenda_wake WHERE wake_on <= ?1",
                [today.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        let open: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM invoices WHERE settled_minor < total_minor",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(woken < open, "some open invoices sleep: {woken} of {open}");
        // The customer with the most open invoices.
        let customer: i64 = conn
            .query_row(
                "SELECT customer_id FROM invoices WHERE settled_minor < total_minor
                 GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let changes: Vec<(&str, String)> = vec![
            (
                "the customer's chosen scenario",
                format!(
                    "UPDATE customers SET scenario_id = (SELECT id FROM scenarios
                       WHERE code = 'key_account') WHERE id = {customer}"
                ),
            ),
            (
                "the customer's chosen scenario removed",
                format!("UPDATE customers SET scenario_id = NULL WHERE id = {customer}"),
            ),
            (
                "the key-account flag",
                format!("UPDATE customers SET key_account = 1 WHERE id = {customer}"),
            ),
            (
                "the key-account flag removed",
                format!("UPDATE customers SET key_account = 0 WHERE id = {customer}"),
            ),
            (
                "the payer segment",
                format!(
                    "INSERT INTO customer_segments (customer_id, segment, rule, since)
                     VALUES ({customer}, 'slow_payer', 'test', '2026-11-22')
                     ON CONFLICT (customer_id) DO UPDATE SET segment = 'slow_payer'"
                ),
            ),
            (
                "the late payers' scenario code taken away",
                "UPDATE scenarios SET code = 'former' WHERE code = 'late_payer'".to_string(),
            ),
            (
                "the late payers' scenario code given back",
                "UPDATE scenarios SET code = 'late_payer' WHERE code = 'former'".to_string(),
            ),
            (
                "the payer segment gone",
                format!("DELETE FROM customer_segments WHERE customer_id = {customer}"),
            ),
            (
                "a step's offset",
                "UPDATE scenario_steps SET offset_days = offset_days + 20
                  WHERE id = (SELECT MAX(st.id) FROM scenario_steps st
                              JOIN scenarios s ON s.id = st.scenario_id WHERE s.code = 'standard')"
                    .to_string(),
            ),
            (
                "a step removed",
                "DELETE FROM scenario_steps
                  WHERE id = (SELECT MIN(st.id) FROM scenario_steps st
                              JOIN scenarios s ON s.id = st.scenario_id WHERE s.code = 'standard'
                                AND st.offset_days > 0)"
                    .to_string(),
            ),
            (
                "an invoice's due date",
                format!(
                    "UPDATE invoices SET due_date = '2026-12-20'
                      WHERE id = (SELECT MIN(id) FROM invoices WHERE customer_id = {customer}
                                    AND settled_minor < total_minor AND issued = 0)"
                ),
            ),
        ];
        for (what, sql) in changes {
            let before = agendas(&conn, today);
            conn.execute_batch(&sql).unwrap();
            assert!(stale(&conn) > 0, "{what}: no wake date set to compute");
            assert!(agendas(&conn, today) != before, "{what}: changes no agenda");
            refresh(&mut conn, today).unwrap();
            assert_eq!(stale(&conn), 0, "{what}");
            assert_eq!(
                verify(&conn, today, Lang::En).unwrap().findings,
                Vec::<String>::new(),
                "{what}"
            );
        }
    }

    /// Done, skipped, snoozed and undone: the wake dates move with the journal, and the
    /// agenda of every later day compared stays the derivation's.
    #[test]
    fn acting_on_today_moves_the_wake_dates_with_it() {
        let today = day("2026-11-22");
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        refresh(&mut conn, today).unwrap();
        let ids = |conn: &Connection| -> Vec<String> {
            super::super::agenda(conn, today)
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect()
        };
        let all = ids(&conn);
        assert!(all.len() >= 3, "the demo has work today: {all:?}");
        let done = super::super::act(
            &mut conn,
            today,
            &all[..1],
            &super::super::Act::Done {
                note: String::new(),
            },
        )
        .unwrap();
        super::super::act(
            &mut conn,
            today,
            &all[1..2],
            &super::super::Act::Snooze {
                until: "2026-12-04".into(),
                note: String::new(),
            },
        )
        .unwrap();
        super::super::act(
            &mut conn,
            today,
            &all[2..3],
            &super::super::Act::Skip {
                reason: "seen".into(),
            },
        )
        .unwrap();
        assert_eq!(stale(&conn), 0);
        assert_eq!(ids(&conn), all[3..].to_vec());
        assert_eq!(
            verify(&conn, today, Lang::En).unwrap().findings,
            Vec::<String>::new()
        );
        super::super::undo(&mut conn, today, &done).unwrap();
        assert_eq!(stale(&conn), 0);
        assert!(ids(&conn).contains(&all[0]));
        assert_eq!(
            verify(&conn, today, Lang::En).unwrap().findings,
            Vec::<String>::new()
        );
        // An agenda of a day before the wake dates were computed reads every open invoice:
        // nothing to compare that day.
        assert!(!serves(&conn, day("2026-11-21")).unwrap());
        assert!(serves(&conn, today).unwrap());
        let v = verify(&conn, day("2026-11-21"), Lang::En).unwrap();
        assert_eq!(v.compared.first(), Some(&day("2026-11-22")));
        assert_eq!(v.compared.len(), VERIFY_DAYS.len() - 1);
        // Computed ahead of time (an action recorded for a later day), they serve from
        // that day only; a rebuild as of today has them serve from today again.
        conn.execute(
            "UPDATE agenda_wake SET wake_on = '' WHERE invoice_id =
                (SELECT MIN(invoice_id) FROM agenda_wake)",
            [],
        )
        .unwrap();
        assert_eq!(refresh(&mut conn, day("2026-12-10")).unwrap(), 1);
        assert!(!serves(&conn, today).unwrap());
        assert!(verify(&conn, today, Lang::En).unwrap().compared.len() < VERIFY_DAYS.len());
        rebuild(&mut conn, today).unwrap();
        assert!(serves(&conn, today).unwrap());
        let v = verify(&conn, today, Lang::En).unwrap();
        assert_eq!((v.findings.len(), v.compared.len()), (0, VERIFY_DAYS.len()));
    }

    #[test]
    fn a_wake_date_is_the_first_day_a_step_can_be_the_one_reached() {
        let step = |offset: i64, kind: StepKind, min: Option<i64>| StepRow {
            offset,
            channel: super::super::scenarios::Channel::Email,
            kind,
            needs_decision: false,
            min_minor: min,
            name_fr: String::new(),
            name_en: String::new(),
        };
        let steps = vec![
            step(-5, StepKind::Courtesy, None),
            step(3, StepKind::Reminder, None),
            step(15, StepKind::Reminder, Some(10_000)),
            step(30, StepKind::FinalNotice, None),
        ];
        let due = day("2026-03-01");
        let mut h = History::default();
        // Nothing handled, long before: the courtesy note five days before the due date.
        assert_eq!(
            wake_on(due, &steps, &h, day("2026-01-01")),
            Some(day("2026-02-24"))
        );
        // From the day after the due date, a courtesy note never comes: the reminder of +3.
        assert_eq!(
            wake_on(due, &steps, &h, day("2026-03-02")),
            Some(day("2026-03-04"))
        );
        // Handled at +3; the +15 step has a minimum, so +3's turn would have ended at +30
        // only: +15 is next.
        h.handled.push((3, 1));
        h.handled.push((-5, 2));
        assert_eq!(
            wake_on(due, &steps, &h, day("2026-03-05")),
            Some(day("2026-03-16"))
        );
        // +15 snoozed to the 20th.
        h.snoozed.push((15, day("2026-03-20")));
        assert_eq!(
            wake_on(due, &steps, &h, day("2026-03-05")),
            Some(day("2026-03-20"))
        );
        // Snoozed past +30: the final notice comes first, on its day.
        h.snoozed.push((15, day("2026-04-15")));
        assert_eq!(
            wake_on(due, &steps, &h, day("2026-03-05")),
            Some(day("2026-03-31"))
        );
        // Everything handled: never.
        h.handled.push((15, 3));
        h.handled.push((30, 4));
        assert_eq!(wake_on(due, &steps, &h, day("2026-03-05")), None);
    }
}
