//! What happens once a day when a shell first starts (beside the automatic snapshot of
//! [`crate::backup::daily`]): the payer segments are refreshed and their changes logged.

use crate::error::Result;
use crate::store::sql::Connection;

/// Once a day (the first start of a shell that day): each customer's payer segment is
/// computed and compared with the one last seen. A change is a history entry naming the
/// rule that fired; a customer seen for the first time is recorded without one. The stored
/// segment is what lets the dunning scenario follow it (`dunning` reads it). Each
/// customer's rule (its text in the interface's language, and its code) is kept too: with the
/// customers marked since (migration 37), it is what Today's sanction proposals read
/// ([`crate::views::segments::sanctions`]). Done again the same day when the interface's
/// language changed. Returns how many customers changed segment.
pub fn refresh_segments(conn: &mut Connection, today: chrono::NaiveDate) -> Result<usize> {
    let lang = crate::settings::ui_language(conn);
    if refreshed(conn)? == Some((today.to_string(), lang.code().to_string())) {
        return Ok(0);
    }
    write_segments(conn, today, lang, true)
}

/// The day and language of the last refresh.
fn refreshed(conn: &Connection) -> Result<Option<(String, String)>> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT on_date, lang FROM segment_refresh WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// What `relance check --rebuild` does to the segments Today reads, as of `day`: every
/// customer's rule computed again and the marks cleared, as a refresh does, but no segment
/// changed (the dunning scenarios follow them, and a change is the daily refresh's to log):
/// a customer whose segment is no longer the stored one stays marked, computed again by
/// Today until the next refresh.
pub fn rebuild_segments(conn: &mut Connection, day: chrono::NaiveDate) -> Result<usize> {
    let lang = crate::settings::ui_language(conn);
    write_segments(conn, day, lang, false)
}

/// A refresh (`spells`: a changed segment is stored and logged) or a rebuild (a customer
/// whose segment is not the stored one is marked). Returns how many customers changed
/// segment (a refresh) or were marked (a rebuild).
fn write_segments(
    conn: &mut Connection,
    today: chrono::NaiveDate,
    lang: crate::error::Lang,
    spells: bool,
) -> Result<usize> {
    // This run's token: the process and the clock's nanoseconds.
    let run = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    // Before the profiles are read, in one transaction: the refresh row given to this run,
    // serving no day (Today derives everything until this run writes, or for good if it
    // stops half-way), and the marks cleared. A fact written meanwhile marks its customer
    // again. The row first: on a server, a reminder being written holds it shared until it
    // commits (migration 52 reads the refresh's day), so this waits for it, then clears its
    // marks and reads it; taken first, it makes every reminder written meanwhile one that
    // may move its customer.
    {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO segment_refresh (id, on_date, lang, run) VALUES (1, '', ?1, ?2)
             ON CONFLICT(id) DO UPDATE SET on_date = '', lang = excluded.lang, run = excluded.run",
            crate::store::sql::params![lang.code(), run],
        )?;
        for marks in [
            "segment_dirty",
            "segment_reminded",
            "segment_reminder_moves",
            "habits_dirty",
        ] {
            tx.execute(&format!("DELETE FROM {marks}"), [])?;
        }
        tx.commit()?;
    }
    let all = crate::views::segments::all(conn, today, lang)?;
    // Each customer's habits beside their segment (the dashboard's forecast reads them).
    let habits = crate::views::profile::habits(conn, today)?;
    let tx = conn.transaction()?;
    // Written only if the row is still this run's: another run begun since (another start
    // on a shared ledger) read later and writes instead, and a setting the segments read
    // changed meanwhile (its trigger removes the row) makes this read stale.
    let ours = tx.execute(
        "UPDATE segment_refresh SET on_date = ?1, run = '' WHERE id = 1 AND run = ?2",
        crate::store::sql::params![today.to_string(), run],
    )?;
    if ours == 0 {
        return Ok(0);
    }
    type Stored = (String, String, String, i64, String);
    let stored: std::collections::HashMap<i64, Stored> = tx
        .prepare(
            "SELECT customer_id, segment, rule, rule_code, late_days, pay_day
             FROM customer_segments",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    let mut changed = 0;
    for c in &all {
        let code = c.segment.code();
        let (late_days, pay_day) = crate::views::segments::habits_row(habits.get(&c.customer_id));
        let before = stored.get(&c.customer_id);
        if let Some((segment, rule, rule_code, late, day)) = before {
            let same_habits = *late == late_days && *day == pay_day;
            if segment == code {
                if *rule != c.rule || *rule_code != c.rule_code || !same_habits {
                    tx.execute(
                        "UPDATE customer_segments
                         SET rule = ?2, rule_code = ?3, late_days = ?4, pay_day = ?5
                         WHERE customer_id = ?1",
                        crate::store::sql::params![
                            c.customer_id,
                            c.rule,
                            c.rule_code,
                            late_days,
                            pay_day
                        ],
                    )?;
                }
                continue;
            }
            if !spells && !same_habits {
                // A rebuild keeps the segment, not the habits (they change no scenario).
                tx.execute(
                    "UPDATE customer_segments SET late_days = ?2, pay_day = ?3
                     WHERE customer_id = ?1",
                    crate::store::sql::params![c.customer_id, late_days, pay_day],
                )?;
            }
        }
        if !spells {
            tx.execute(
                "INSERT INTO segment_dirty (customer_id) VALUES (?1) ON CONFLICT DO NOTHING",
                [c.customer_id],
            )?;
            if before.is_none() {
                // No row to keep the habits in: the dashboard computes them again.
                tx.execute(
                    "INSERT INTO habits_dirty (customer_id) VALUES (?1) ON CONFLICT DO NOTHING",
                    [c.customer_id],
                )?;
            }
            changed += 1;
            continue;
        }
        let before = before.map(|(segment, ..)| segment.clone());
        tx.execute(
            "INSERT INTO customer_segments
                 (customer_id, segment, rule, rule_code, since, late_days, pay_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(customer_id) DO UPDATE SET segment = excluded.segment, rule = excluded.rule,
                 rule_code = excluded.rule_code, since = excluded.since,
                 late_days = excluded.late_days, pay_day = excluded.pay_day",
            crate::store::sql::params![
                c.customer_id,
                code,
                c.rule,
                c.rule_code,
                today.to_string(),
                late_days,
                pay_day
            ],
        )?;
        if let Some(old) = before {
            let old_name = crate::views::segments::Segment::from_code(&old)
                .map_or(old.clone(), |s| s.name(lang).to_string());
            let mut e = crate::journal::NewEntry::new(
                crate::journal::JournalKind::Note,
                c.customer_id,
                today,
            );
            e.action = Some("segment".into());
            e.note = format!("{old_name} → {} ({})", c.name, c.rule);
            crate::journal::append(&tx, &e)?;
            changed += 1;
        }
    }
    tx.commit()?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dunning::scenarios::{self, ScenarioSource};
    use crate::test_support::day;

    #[test]
    fn segments_are_refreshed_once_a_day_and_a_change_is_a_history_entry() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let entries = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE action = 'segment'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        // First sight: every customer recorded, no history entry.
        assert_eq!(refresh_segments(&mut conn, day("2026-11-22")).unwrap(), 0);
        let stored: i64 = conn
            .query_row("SELECT COUNT(*) FROM customer_segments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 25);
        assert_eq!(entries(&conn), 0);
        // The owner's choice changes BOUL01's segment: the next day's refresh logs it once.
        crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            Some("at_risk"),
            "Gérant parti",
            day("2026-11-22"),
        )
        .unwrap();
        let before = entries(&conn);
        assert_eq!(
            refresh_segments(&mut conn, day("2026-11-22")).unwrap(),
            0,
            "once a day"
        );
        assert_eq!(refresh_segments(&mut conn, day("2026-11-23")).unwrap(), 1);
        assert_eq!(entries(&conn), before + 1);
        let note: String = conn
            .query_row(
                "SELECT note FROM journal WHERE action = 'segment' ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(note.starts_with("Bon payeur → À risque"), "{note}");
        // Its scenario follows the segment (Late payer), unless the owner chose one; a key
        // account follows Key account.
        let boul = crate::customers::id_by_ref(&conn, "customer", "BOUL01").unwrap();
        let late = scenarios::find(&conn, "late_payer").unwrap();
        assert_eq!(
            scenarios::effective(&conn, boul).unwrap(),
            (late, ScenarioSource::Segment)
        );
        crate::customers::set_key_account(
            &mut conn,
            "BOUL01",
            true,
            crate::error::Lang::Fr,
            day("2026-11-23"),
        )
        .unwrap();
        let key = scenarios::find(&conn, "key_account").unwrap();
        assert_eq!(
            scenarios::effective(&conn, boul).unwrap(),
            (key, ScenarioSource::KeyAccount)
        );
        let standard = scenarios::find(&conn, "standard").unwrap();
        scenarios::assign(&conn, boul, standard).unwrap();
        assert_eq!(
            scenarios::effective(&conn, boul).unwrap(),
            (standard, ScenarioSource::Chosen)
        );
    }

    /// Migration 45: segments stored by a refresh of the old last rule (a customer reminded
    /// that day was a slow payer at once) are refreshed again at the next start, the moves
    /// logged; until then Today derives every customer.
    #[test]
    fn the_segments_stored_under_the_old_rule_are_refreshed_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v44.sqlite");
        let today = day("2026-11-22");
        let lang = crate::Lang::En;
        let forgetful;
        {
            // A ledger of version 44: the same tables as 45, which only clears a row.
            let mut conn = crate::open(&path).unwrap();
            crate::demo::load(&mut conn, today).unwrap();
            refresh_segments(&mut conn, today).unwrap();
            forgetful = crate::views::segments::all(&conn, today, lang)
                .unwrap()
                .into_iter()
                .find(|c| c.rule_code == "never_reminded")
                .unwrap()
                .customer_id;
            // As the old rule stored a customer reminded that day (this build's rule says
            // "never reminded": no reminder is journaled here).
            conn.execute(
                "UPDATE customer_segments SET segment = 'slow_payer', rule_code = 'slow_after_reminder',
                        rule = 'old rule' WHERE customer_id = ?1",
                [forgetful],
            )
            .unwrap();
            assert!(crate::views::segments::verify(&conn, today, lang)
                .unwrap()
                .is_some_and(|found| found.len() == 1));
            // Without what later migrations create (their triggers, indexes and tables, read
            // off their SQL), but for what existed before them (a later one drops it before
            // it creates it again).
            let later = &crate::store::MIGRATIONS[44..];
            let all = later.join("\n");
            for kind in ["TRIGGER", "INDEX", "TABLE"] {
                let opening = format!("CREATE {kind} ");
                for name in later.iter().flat_map(|sql| {
                    sql.split(opening.as_str()).skip(1).filter_map(|rest| {
                        rest.split(|c: char| c.is_whitespace() || c == '(').next()
                    })
                }) {
                    // The first place `name` itself (not a longer one) follows `what`.
                    let first = |what: &str| {
                        let head = format!("{what}{name}");
                        all.match_indices(head.as_str())
                            .find(|(at, _)| {
                                all[at + head.len()..]
                                    .starts_with(|c: char| !c.is_alphanumeric() && c != '_')
                            })
                            .map(|(at, _)| at)
                    };
                    let created = first(&opening);
                    let dropped = first(&format!("DROP {kind} "));
                    if dropped.is_none() || dropped > created {
                        conn.execute_batch(&format!("DROP {kind} IF EXISTS {name}"))
                            .unwrap();
                    }
                }
            }
            conn.pragma_update("user_version", 44).unwrap();
        }
        let mut conn = crate::open(&path).unwrap();
        assert_eq!(
            crate::store::schema_version(&conn).unwrap(),
            crate::store::SCHEMA_VERSION
        );
        // No refresh serves the day: Today derives, and nothing stored is compared.
        assert_eq!(
            crate::views::segments::verify(&conn, today, lang).unwrap(),
            None
        );
        let mut derived = crate::views::segments::all(&conn, today, lang).unwrap();
        derived.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
        assert_eq!(
            crate::views::segments::current(&conn, today, lang).unwrap(),
            derived
        );
        // The next start's refresh stores the new rule's segment and logs the move.
        assert_eq!(refresh_segments(&mut conn, today).unwrap(), 1);
        assert_eq!(
            crate::views::segments::verify(&conn, today, lang).unwrap(),
            Some(vec![])
        );
    }
}
