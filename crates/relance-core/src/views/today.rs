//! Today grouped by the customers' payer segment instead of by section: the agenda (a
//! dunning subject) read with every customer's segment (a read model of its own), each
//! group counted and summed in full and shown a page at a time, as the sections are.

use super::segments::{self, Segment};
use crate::dunning::{self, Action};
use crate::error::{Lang, Result};
use crate::money::Amount;
use crate::store::sql::Connection;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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
pub fn by_segment(
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
}
