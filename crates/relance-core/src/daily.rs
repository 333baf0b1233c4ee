//! What happens once a day when a shell first starts (beside the automatic snapshot of
//! [`crate::backup::daily`]): the payer segments are refreshed and their changes logged.

use crate::error::Result;
use crate::store::sql::Connection;

/// Once a day (the first start of a shell that day): each customer's payer segment is
/// computed and compared with the one last seen. A change is a history entry naming the
/// rule that fired; a customer seen for the first time is recorded without one. The stored
/// segment is what lets the dunning scenario follow it (`dunning` reads it). Returns how
/// many customers changed segment.
pub fn refresh_segments(conn: &mut Connection, today: chrono::NaiveDate) -> Result<usize> {
    use crate::store::sql::OptionalExtension;
    let done: Option<String> = conn
        .query_row(
            "SELECT on_date FROM segment_refresh WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if done.as_deref() == Some(today.to_string().as_str()) {
        return Ok(0);
    }
    let lang = crate::settings::ui_language(conn);
    let all = crate::views::segments::all(conn, today, lang)?;
    let tx = conn.transaction()?;
    let mut changed = 0;
    for c in &all {
        let before: Option<String> = tx
            .query_row(
                "SELECT segment FROM customer_segments WHERE customer_id = ?1",
                [c.customer_id],
                |r| r.get(0),
            )
            .optional()?;
        let code = c.segment.code();
        if before.as_deref() == Some(code) {
            continue;
        }
        tx.execute(
            "INSERT INTO customer_segments (customer_id, segment, rule, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(customer_id) DO UPDATE SET segment = excluded.segment, rule = excluded.rule,
                 since = excluded.since",
            crate::store::sql::params![c.customer_id, code, c.rule, today.to_string()],
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
    tx.execute(
        "INSERT INTO segment_refresh (id, on_date) VALUES (1, ?1)
         ON CONFLICT(id) DO UPDATE SET on_date = excluded.on_date",
        [today.to_string()],
    )?;
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
}
