//! Today grouped by the customers' payer segment instead of by section: the agenda (a
//! dunning subject) read with every customer's segment (a read model of its own), each
//! group counted and summed in full and shown a page at a time, as the sections are.

use super::segments::{self, Segment};
use crate::dunning::{self, kept, Action};
use crate::error::{Lang, Result};
use crate::money::Amount;
use crate::store::sql::Connection;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use ts_rs::TS;

/// The actions of the customers of one payer segment.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SegmentGroup {
    pub segment: Segment,
    /// The segment's name, in the UI language.
    pub name: String,
    /// The group's first actions in the agenda's order: as many as asked.
    pub actions: Vec<Action>,
    /// How many actions the group holds in all.
    #[ts(type = "number")]
    pub count: usize,
    /// Sum of all the group's actions' amounts, per currency.
    pub totals: Vec<Amount>,
}

/// Today's actions by their customer's segment, in the segments' order (new customers
/// first, in dispute last), groups without actions left out; each shows as many actions as
/// `shown` asks ([`dunning::TODAY_PAGE`] for a segment it does not name; never fewer). A customer
/// with no segment computed (none yet) counts as new.
///
/// Read from the day's actions kept when they serve (each kept with its customer's stored
/// segment) and the day's segment refresh serves; derived whole otherwise
/// ([`derived_by_segment`]).
pub fn by_segment(
    conn: &Connection,
    as_of: NaiveDate,
    lang: Lang,
    shown: &HashMap<Segment, u32>,
) -> Result<Vec<SegmentGroup>> {
    conn.reading(|| match kept_by_segment(conn, as_of, lang, shown)? {
        Some(groups) => Ok(groups),
        None => derived_by_segment(conn, as_of, lang, shown),
    })
}

/// [`by_segment`] read from the kept actions: the customers whose segment was computed again
/// since the day's refresh are regrouped; the marked customers' actions derived again go to
/// their segment as it stands. None when the kept actions or the refresh do not serve.
fn kept_by_segment(
    conn: &Connection,
    as_of: NaiveDate,
    lang: Lang,
    shown: &HashMap<Segment, u32>,
) -> Result<Option<Vec<SegmentGroup>>> {
    // The segments computed again cost a profile each: only those of the customers with an
    // action kept or derived again (a day's work marks every customer reminded, most of
    // them with nothing left to do).
    if !kept::serves(conn, as_of)? {
        return Ok(None);
    }
    let among = |ids: &[i64]| kept::involved(conn, as_of, ids);
    let Some(changed) = segments::changed_since_refresh(conn, as_of, lang, &among)? else {
        return Ok(None);
    };
    let regrouped: HashMap<i64, String> = changed
        .iter()
        .map(|(id, s)| (*id, s.code().to_string()))
        .collect();
    let code_of = |actions: &[Action]| -> Result<Vec<String>> {
        let others: Vec<i64> = actions
            .iter()
            .map(|a| a.customer_id)
            .filter(|c| !changed.contains_key(c))
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let stored = segments::stored(conn, &others)?;
        Ok(actions
            .iter()
            .map(|a| {
                let s = changed.get(&a.customer_id).or(stored.get(&a.customer_id));
                s.copied().unwrap_or(Segment::New).code().to_string()
            })
            .collect())
    };
    let grouping = kept::Grouping {
        column: "segment",
        groups: Segment::ALL
            .iter()
            .map(|s| (s.code(), dunning::shown(shown.get(s).copied())))
            .collect(),
        regrouped: &regrouped,
        code_of: &code_of,
    };
    let Some(groups) = kept::grouped(conn, as_of, &grouping)? else {
        return Ok(None);
    };
    Ok(Some(
        groups
            .into_iter()
            .zip(Segment::ALL)
            .filter(|(g, _)| g.count > 0)
            .map(|(g, segment)| SegmentGroup {
                segment,
                name: segment.name(lang).to_string(),
                actions: g.actions,
                count: g.count,
                totals: g.totals,
            })
            .collect(),
    ))
}

/// [`by_segment`] derived from the whole day's agenda and every customer's segment: what the
/// kept actions must give.
pub fn derived_by_segment(
    conn: &Connection,
    as_of: NaiveDate,
    lang: Lang,
    shown: &HashMap<Segment, u32>,
) -> Result<Vec<SegmentGroup>> {
    conn.reading(|| {
        let actions = dunning::agenda(conn, as_of)?;
        if actions.is_empty() {
            return Ok(Vec::new());
        }
        let segment_of: HashMap<i64, Segment> = segments::current(conn, as_of, lang)?
            .into_iter()
            .map(|c| (c.customer_id, c.segment))
            .collect();
        let mut groups: BTreeMap<Segment, Vec<Action>> = BTreeMap::new();
        for a in actions {
            let s = segment_of
                .get(&a.customer_id)
                .copied()
                .unwrap_or(Segment::New);
            groups.entry(s).or_default().push(a);
        }
        groups
            .into_iter()
            .map(|(segment, all)| {
                let (actions, count, totals) = dunning::page_of(all, shown.get(&segment).copied())?;
                Ok(SegmentGroup {
                    segment,
                    name: segment.name(lang).to_string(),
                    actions,
                    count,
                    totals,
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dunning::TODAY_PAGE;
    use crate::test_support::{busy_ledger, day};

    /// Grouped by segment, Today is the same agenda cut another way: every action once, in
    /// the group of its customer's segment (as the Customers screen has it), groups in the
    /// segments' order, each a page of the agenda's order counted and summed whole.
    #[test]
    fn the_segment_groups_cut_the_agenda_without_losing_an_action() {
        let as_of = day("2026-11-30");
        let mut conn = busy_ledger(150, as_of);
        // Chosen by hand: 60 good payers (more than a page), 20 at risk; the rest new.
        for c in 0..80 {
            let code = if c < 60 { "good_payer" } else { "at_risk" };
            crate::customers::set_segment(
                &mut conn,
                &format!("C{c:05}"),
                Some(code),
                "test",
                as_of,
            )
            .unwrap();
        }
        assert!(
            Segment::ALL.windows(2).all(|w| w[0] < w[1]),
            "the segments order as ALL lists them"
        );
        let all = dunning::agenda(&conn, as_of).unwrap();
        let segment_of: HashMap<i64, Segment> = segments::current(&conn, as_of, Lang::En)
            .unwrap()
            .into_iter()
            .map(|c| (c.customer_id, c.segment))
            .collect();
        for shown in [
            HashMap::new(),
            HashMap::from([(Segment::GoodPayer, 55)]),
            HashMap::from([(Segment::New, u32::MAX), (Segment::AtRisk, 3)]),
        ] {
            let groups = by_segment(&conn, as_of, Lang::En, &shown).unwrap();
            let order: Vec<Segment> = groups.iter().map(|g| g.segment).collect();
            assert_eq!(order, [Segment::New, Segment::GoodPayer, Segment::AtRisk]);
            assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), all.len());
            for g in &groups {
                let whole: Vec<&Action> = all
                    .iter()
                    .filter(|a| segment_of[&a.customer_id] == g.segment)
                    .collect();
                let wanted = shown
                    .get(&g.segment)
                    .map_or(TODAY_PAGE, |&n| (n as usize).max(TODAY_PAGE));
                assert_eq!(g.count, whole.len());
                assert_eq!(g.name, g.segment.name(Lang::En));
                let ids: Vec<&str> = g.actions.iter().map(|a| a.id.as_str()).collect();
                let first: Vec<&str> = whole.iter().take(wanted).map(|a| a.id.as_str()).collect();
                assert_eq!(ids, first, "{:?} {shown:?}", g.segment);
                let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
                for a in &whole {
                    *sums.entry(a.currency.as_str()).or_default() += a.amount_minor;
                }
                let expected: Vec<(&str, String)> = sums
                    .into_iter()
                    .map(|(code, sum)| (code, format!("{}.{:02}", sum / 100, sum % 100)))
                    .collect();
                let totals: Vec<(&str, String)> = g
                    .totals
                    .iter()
                    .map(|t| (t.currency.as_str(), t.amount.clone()))
                    .collect();
                assert_eq!(totals, expected, "{:?}", g.segment);
                assert_eq!(totals.len(), 2, "euros and dollars");
            }
            let good = &groups[1];
            let asked = shown.get(&Segment::GoodPayer).map_or(0, |&n| n as usize);
            assert_eq!(good.count, 60);
            assert_eq!(good.actions.len(), asked.clamp(TODAY_PAGE, 60));
        }
        // Nothing to do: no group at all.
        let empty = crate::test_support::setup();
        assert!(by_segment(&empty, as_of, Lang::Fr, &HashMap::new())
            .unwrap()
            .is_empty());
    }

    /// Grouped by segment, Today read through the kept actions (each kept with its customer's
    /// stored segment) is the grouping derived from the whole day and every customer's
    /// segment, after every fact written behind the caches' back: those that move a customer
    /// to another segment without touching their actions (an owner's choice, its removal: the
    /// customer's kept actions are regrouped; a stored segment changed: its customer is
    /// marked), and every fact Today's sections are proved against.
    #[test]
    fn today_by_segment_read_through_the_kept_actions_is_the_derived_grouping_after_every_fact() {
        let as_of = day("2026-11-30");
        let mut conn = busy_ledger(180, as_of);
        for c in 0..60 {
            let code = match c {
                0..40 => "good_payer",
                40..50 => "at_risk",
                _ => "in_dispute",
            };
            crate::customers::set_segment(
                &mut conn,
                &format!("C{c:05}"),
                Some(code),
                "test",
                as_of,
            )
            .unwrap();
        }
        // As a start: the day's segments, then the day's actions kept.
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        crate::dunning::refresh_day(&mut conn, as_of).unwrap();
        // The refresh's language: the one the owner reads Today in.
        let lang = crate::settings::ui_language(&conn);
        let asks: Vec<HashMap<Segment, u32>> = vec![
            HashMap::new(),
            HashMap::from([(Segment::GoodPayer, 7), (Segment::New, 51)]),
            HashMap::from([(Segment::New, 1000), (Segment::AtRisk, 1)]),
        ];
        let json = |g: Vec<SegmentGroup>| serde_json::to_string(&g).unwrap();
        let same = |conn: &Connection, what: &str| {
            for shown in &asks {
                assert_eq!(
                    json(by_segment(conn, as_of, lang, shown).unwrap()),
                    json(derived_by_segment(conn, as_of, lang, shown).unwrap()),
                    "{what} {shown:?}"
                );
            }
        };
        let kept_serves = |conn: &Connection| {
            kept_by_segment(conn, as_of, lang, &asks[0])
                .unwrap()
                .is_some()
        };
        let groups = derived_by_segment(&conn, as_of, lang, &asks[0]).unwrap();
        assert_eq!(groups.len(), 4, "new, good payers, at risk, in dispute");
        assert!(kept_serves(&conn), "read from the kept actions");
        same(&conn, "kept at start");
        let id_of = |conn: &Connection, reference: &str| -> i64 {
            conn.query_row(
                "SELECT id FROM customers WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .unwrap()
        };
        // A customer with nothing due: their segment marked since the refresh, no kept row.
        conn.execute(
            "UPDATE invoices SET settled_minor = total_minor WHERE customer_id = ?1",
            [id_of(&conn, "C00120")],
        )
        .unwrap();
        crate::dunning::refresh_day(&mut conn, as_of).unwrap();
        let kept_rows: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM agenda_kept WHERE customer_id = ?1",
                [id_of(&conn, "C00120")],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept_rows, 0);
        same(&conn, "a customer with nothing due");
        type Fact<'a> = (&'a str, Box<dyn Fn(&Connection) + 'a>);
        let segment_facts: Vec<Fact> = vec![
            (
                "an owner's choice of segment",
                Box::new(move |conn| {
                    conn.execute(
                        "INSERT INTO segment_overrides (customer_id, segment, reason, set_on)
                         VALUES (?1, 'slow_payer', 'test', '2026-11-30')",
                        [id_of(conn, "C00070")],
                    )
                    .unwrap();
                }),
            ),
            (
                "an owner's choice removed",
                Box::new(|conn| {
                    conn.execute(
                        "DELETE FROM segment_overrides WHERE customer_id = ?1",
                        [id_of(conn, "C00003")],
                    )
                    .unwrap();
                }),
            ),
            (
                "a customer with nothing due chooses a segment, then owes again",
                Box::new(move |conn| {
                    let c = id_of(conn, "C00120");
                    conn.execute(
                        "INSERT INTO segment_overrides (customer_id, segment, reason, set_on)
                         VALUES (?1, 'slow_payer', 'test', '2026-11-30')",
                        [c],
                    )
                    .unwrap();
                    conn.execute(
                        "UPDATE invoices SET settled_minor = 0 WHERE customer_id = ?1",
                        [c],
                    )
                    .unwrap();
                }),
            ),
            (
                "a stored segment changed",
                Box::new(|conn| {
                    conn.execute(
                        "UPDATE customer_segments SET segment = 'forgetful' WHERE customer_id = ?1",
                        [id_of(conn, "C00071")],
                    )
                    .unwrap();
                }),
            ),
        ];
        for (name, write) in &segment_facts {
            let before = json(derived_by_segment(&conn, as_of, lang, &asks[2]).unwrap());
            write(&conn);
            let after = json(derived_by_segment(&conn, as_of, lang, &asks[2]).unwrap());
            assert_ne!(after, before, "{name} changes the grouping");
            assert!(kept_serves(&conn), "{name}");
            same(&conn, name);
        }
        // Every fact Today's sections are proved against, one at a time, then kept again as
        // the next start does.
        for k in 0.. {
            let names = crate::dunning::tests::kept_facts(&conn, as_of, Some(k));
            let Some(name) = names.first() else { break };
            let global = ["a scenario's step", "the default currency"].contains(name);
            assert_eq!(kept_serves(&conn), !global, "{name}");
            same(&conn, name);
            // As the next start does (a new default currency wants the segments again).
            crate::daily::refresh_segments(&mut conn, as_of).unwrap();
            crate::dunning::refresh_day(&mut conn, as_of).unwrap();
            assert!(kept_serves(&conn), "{name}");
            same(&conn, name);
        }
    }
}
