//! Segments: which kind of payer each customer is, by explicit rules over their profile
//! (see [`super::profile`]), with thresholds the owner can change in Settings.
//!
//! The rules, first match wins:
//! 1. **In dispute**: an invoice is disputed right now.
//! 2. **At risk**: over the credit limit, a promise broken, or lateness growing by at least
//!    `segment_trend_days` (last 6 months against the 6 before).
//! 3. **New**: fewer than `segment_min_paid` paid invoices: too little history to judge.
//! 4. **Good payer**: days late weighted by amount at most `segment_good_days`.
//! 5. **Slow payer**: days late weighted by amount at least `segment_slow_days`.
//! 6. **Forgetful**: between the two, and pays within `segment_forgetful_days` of the first
//!    reminder (the median over the invoices paid after one), or, having paid none after a
//!    reminder, has no reminder left unpaid longer than that (never reminded, or reminded
//!    too recently to judge); otherwise **Slow payer**.

use super::profile::Profile;
use crate::error::{Error, Lang, Msg, Result};
use crate::store::sql::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// In the order of [`Segment::ALL`] (new customers first, in dispute last): how Today
/// orders its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    New,
    GoodPayer,
    Forgetful,
    SlowPayer,
    AtRisk,
    InDispute,
}

impl Segment {
    pub const ALL: [Segment; 6] = [
        Segment::New,
        Segment::GoodPayer,
        Segment::Forgetful,
        Segment::SlowPayer,
        Segment::AtRisk,
        Segment::InDispute,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Segment::New => "new",
            Segment::GoodPayer => "good_payer",
            Segment::Forgetful => "forgetful",
            Segment::SlowPayer => "slow_payer",
            Segment::AtRisk => "at_risk",
            Segment::InDispute => "in_dispute",
        }
    }
    /// The segment a stored code names (`None` for a code this version does not know).
    pub fn from_code(code: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Segment::New, Lang::Fr) => "Nouveau",
            (Segment::New, Lang::En) => "New",
            (Segment::GoodPayer, Lang::Fr) => "Bon payeur",
            (Segment::GoodPayer, Lang::En) => "Good payer",
            (Segment::Forgetful, Lang::Fr) => "Distrait",
            (Segment::Forgetful, Lang::En) => "Forgetful",
            (Segment::SlowPayer, Lang::Fr) => "Payeur lent",
            (Segment::SlowPayer, Lang::En) => "Slow payer",
            (Segment::AtRisk, Lang::Fr) => "À risque",
            (Segment::AtRisk, Lang::En) => "At risk",
            (Segment::InDispute, Lang::Fr) => "En litige",
            (Segment::InDispute, Lang::En) => "In dispute",
        }
    }
}

/// The thresholds of the rules (Settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Thresholds {
    #[ts(type = "number")]
    pub min_paid: i64,
    #[ts(type = "number")]
    pub good_days: i64,
    #[ts(type = "number")]
    pub slow_days: i64,
    #[ts(type = "number")]
    pub forgetful_days: i64,
    #[ts(type = "number")]
    pub trend_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_paid: 3,
            good_days: 5,
            slow_days: 30,
            forgetful_days: 7,
            trend_days: 15,
        }
    }
}

impl Thresholds {
    /// Refuses thresholds that would make two segments overlap or leave a gap between them.
    pub fn check(self) -> Result<Thresholds> {
        if self.good_days >= self.slow_days {
            return Err(Error::invalid(
                "segment_slow_days",
                Msg::SegmentThresholds {
                    good: self.good_days,
                    slow: self.slow_days,
                },
            ));
        }
        Ok(self)
    }

    /// The thresholds stored in Settings.
    pub fn of(conn: &Connection) -> Result<Thresholds> {
        let s = crate::settings::get(conn)?;
        Ok(Thresholds {
            min_paid: s.segment_min_paid,
            good_days: s.segment_good_days,
            slow_days: s.segment_slow_days,
            forgetful_days: s.segment_forgetful_days,
            trend_days: s.segment_trend_days,
        })
    }
}

/// A customer's segment and the rule that put them there (in `lang`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Segmented {
    pub segment: Segment,
    pub name: String,
    pub rule: String,
    /// Which rule fired, whatever the language and figures ("over_limit", "trend", …).
    pub rule_code: String,
}

/// A profile's days figure ("12.5") as an exact decimal (never a float).
fn days(s: &Option<String>) -> Option<rust_decimal::Decimal> {
    s.as_deref().and_then(|x| x.parse().ok())
}

/// The segment of a profile; `over_limit` tells whether they owe more than their credit
/// limit.
pub fn segment_of(p: &Profile, over_limit: bool, t: Thresholds, lang: Lang) -> Segmented {
    let fr = lang == Lang::Fr;
    // A figure as the profile gives it (one decimal), with a decimal comma in French.
    let shown = |x: &Option<String>| {
        let v = x.clone().unwrap_or_else(|| "0.0".into());
        if fr {
            v.replace('.', ",")
        } else {
            v
        }
    };
    let done = |segment: Segment, code: &str, rule: String| Segmented {
        segment,
        name: segment.name(lang).to_string(),
        rule,
        rule_code: code.to_string(),
    };
    if p.disputes_open > 0 {
        return done(
            Segment::InDispute,
            "disputes",
            if fr {
                Lang::Fr.count(p.disputes_open, "litige en cours", "litiges en cours")
            } else {
                Lang::En.count(p.disputes_open, "open dispute", "open disputes")
            },
        );
    }
    if over_limit {
        return done(
            Segment::AtRisk,
            "over_limit",
            if fr {
                "encours au-dessus de la limite autorisée".into()
            } else {
                "owes more than the credit limit".into()
            },
        );
    }
    if p.promises_broken > 0 {
        return done(
            Segment::AtRisk,
            "promises_broken",
            if fr {
                Lang::Fr.count(
                    p.promises_broken,
                    "promesse non tenue",
                    "promesses non tenues",
                )
            } else {
                Lang::En.count(p.promises_broken, "broken promise", "broken promises")
            },
        );
    }
    if let (Some(r), Some(b)) = (days(&p.trend_recent), days(&p.trend_before)) {
        let (recent, before) = (shown(&p.trend_recent), shown(&p.trend_before));
        if r - b >= rust_decimal::Decimal::from(t.trend_days) {
            return done(
                Segment::AtRisk,
                "trend",
                if fr {
                    format!(
                        "retard en hausse : {recent} j contre {before} j (seuil +{} j)",
                        t.trend_days
                    )
                } else {
                    format!(
                        "lateness growing: {recent} days against {before} (threshold +{})",
                        t.trend_days
                    )
                },
            );
        }
    }
    if p.paid_invoices < t.min_paid {
        return done(
            Segment::New,
            "few_paid",
            if fr {
                format!(
                    "{}, moins de {}",
                    Lang::Fr.count(p.paid_invoices, "facture payée", "factures payées"),
                    t.min_paid
                )
            } else {
                format!(
                    "{}, fewer than {}",
                    Lang::En.count(p.paid_invoices, "paid invoice", "paid invoices"),
                    t.min_paid
                )
            },
        );
    }
    let late = days(&p.weighted_days_late).unwrap_or_default();
    let w = shown(&p.weighted_days_late);
    if late <= rust_decimal::Decimal::from(t.good_days) {
        return done(
            Segment::GoodPayer,
            "good",
            if fr {
                format!("{w} j de retard pondéré, au plus {}", t.good_days)
            } else {
                format!("{w} days late weighted, at most {}", t.good_days)
            },
        );
    }
    if late >= rust_decimal::Decimal::from(t.slow_days) {
        return done(
            Segment::SlowPayer,
            "slow",
            if fr {
                format!("{w} j de retard pondéré, au moins {}", t.slow_days)
            } else {
                format!("{w} days late weighted, at least {}", t.slow_days)
            },
        );
    }
    let n = t.forgetful_days;
    let slow_after_reminder = || {
        done(
            Segment::SlowPayer,
            "slow_after_reminder",
            if fr {
                format!("{w} j de retard et ne paie pas dans les {n} j d'une relance")
            } else {
                format!("{w} days late and does not pay within {n} days of a reminder")
            },
        )
    };
    match (p.delay_after_reminder, p.unanswered_reminder_days) {
        (Some(d), _) if d <= n => done(
            Segment::Forgetful,
            "pays_when_reminded",
            if fr {
                format!("{w} j de retard, mais paie {d} j après la première relance (au plus {n})")
            } else {
                format!("{w} days late, but pays {d} days after the first reminder (at most {n})")
            },
        ),
        (Some(_), _) => slow_after_reminder(),
        // Nothing paid after a reminder: a reminder left unpaid longer than the threshold
        // says it does not work.
        (None, Some(waited)) if waited > n => slow_after_reminder(),
        // Never reminded: nothing says a reminder would not work ("does not pay within N
        // days of a reminder" needs a reminder); a little late without one is forgetful.
        (None, _) if p.reminders_sent == 0 => done(
            Segment::Forgetful,
            "never_reminded",
            if fr {
                format!("{w} j de retard, sans relance envoyée : entre les deux seuils")
            } else {
                format!("{w} days late, never reminded: between the two thresholds")
            },
        ),
        // Reminded, and the reminder's N days not yet run out (or every reminded invoice
        // was settled before its reminder): nothing says yet that it does not work.
        (None, waited) => {
            done(
                Segment::Forgetful,
                "reminder_pending",
                match (fr, waited) {
                    (true, Some(0)) => {
                        format!("{w} j de retard, relancé aujourd'hui : on attend {n} j")
                    }
                    (false, Some(0)) => format!("{w} days late, reminded today: waiting {n} days"),
                    (true, Some(d)) => {
                        format!("{w} j de retard, relancé il y a {d} j : pas encore {n} j sans paiement")
                    }
                    (false, Some(d)) => format!(
                        "{w} days late, reminded {} ago: not yet {n} days without paying",
                        Lang::En.count(d, "day", "days")
                    ),
                    (true, None) => format!("{w} j de retard, aucune relance restée sans paiement"),
                    (false, None) => format!("{w} days late, no reminder left unpaid"),
                },
            )
        }
    }
}

/// The owner's choice for a customer, if any: (segment, reason).
fn override_of(conn: &Connection, customer_id: i64) -> Result<Option<(Segment, String)>> {
    use crate::store::sql::OptionalExtension;
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT segment, reason FROM segment_overrides WHERE customer_id = ?1",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(code, reason)| Segment::from_code(&code).map(|s| (s, reason))))
}

/// What the owner chose, as the segment and its "rule".
fn chosen(segment: Segment, reason: &str, lang: Lang) -> Segmented {
    Segmented {
        segment,
        rule_code: "chosen".into(),
        name: segment.name(lang).to_string(),
        rule: match lang {
            Lang::Fr => format!("choisi par vous : {reason}"),
            Lang::En => format!("chosen by you: {reason}"),
        },
    }
}

/// A customer with their segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerSegment {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    pub segment: Segment,
    pub name: String,
    pub rule: String,
    pub rule_code: String,
}

/// Every customer's segment as of `as_of`.
pub fn all(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<CustomerSegment>> {
    computed(conn, as_of, lang, None)
}

/// The segments of every customer (`only` None) or of the customers `only`.
fn computed(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    only: Option<&[i64]>,
) -> Result<Vec<CustomerSegment>> {
    if only.is_some_and(|ids| ids.is_empty()) {
        return Ok(Vec::new());
    }
    let t = Thresholds::of(conn)?;
    let cur = crate::settings::default_currency(conn)?;
    // Credit limits and the owner's choices, read once.
    let among = |col: &str| super::profile::among(col, only);
    let limits: std::collections::HashMap<i64, i64> = conn
        .prepare(&format!(
            "SELECT id, credit_limit_minor FROM customers WHERE credit_limit_minor IS NOT NULL{}",
            among("id")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let chosen_by_owner: std::collections::HashMap<i64, (String, String)> = conn
        .prepare(&format!(
            "SELECT customer_id, segment, reason FROM segment_overrides WHERE true{}",
            among("customer_id")
        ))?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<crate::store::sql::Result<_>>()?;
    let profiles = super::profile::figures(conn, as_of, lang, only)?;
    Ok(profiles
        .into_iter()
        .map(|p| {
            let over = over_limit(&p, limits.get(&p.customer_id).copied(), cur);
            let own = chosen_by_owner
                .get(&p.customer_id)
                .and_then(|(code, reason)| Segment::from_code(code).map(|s| (s, reason)));
            let s = match own {
                Some((seg, reason)) => chosen(seg, reason, lang),
                None => segment_of(&p, over, t, lang),
            };
            CustomerSegment {
                customer: p.customer,
                customer_name: p.customer_name,
                customer_id: p.customer_id,
                segment: s.segment,
                name: s.name,
                rule: s.rule,
                rule_code: s.rule_code,
            }
        })
        .collect())
}

/// One customer's segment and the rule that fired.
pub fn of_customer(
    conn: &Connection,
    reference: &str,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Segmented> {
    let p = super::profile::profile(conn, reference, as_of, lang)?;
    if let Some((seg, reason)) = override_of(conn, p.customer_id)? {
        return Ok(chosen(seg, &reason, lang));
    }
    let cur = crate::settings::default_currency(conn)?;
    let limit: Option<i64> = conn.query_row(
        "SELECT credit_limit_minor FROM customers WHERE id = ?1",
        [p.customer_id],
        |r| r.get(0),
    )?;
    let over = over_limit(&p, limit, cur);
    Ok(segment_of(&p, over, Thresholds::of(conn)?, lang))
}

/// Whether a customer owes more than their credit limit (the profile's outstanding, in the
/// company's currency): one rule for one customer and for all.
fn over_limit(p: &Profile, limit: Option<i64>, cur: crate::money::Currency) -> bool {
    let owed = cur
        .to_minor(p.outstanding.parse().unwrap_or_default(), "owed")
        .unwrap_or(0);
    limit.is_some_and(|l| owed > l)
}

/// A customer at risk, and the sanctions proposed for the owner to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SanctionProposal {
    pub customer: String,
    pub customer_name: String,
    #[ts(type = "number")]
    pub customer_id: i64,
    /// Why they are at risk (the rule that fired).
    pub rule: String,
    pub owed: String,
    pub overdue: String,
    pub currency: String,
    pub credit_limit: Option<String>,
    /// A lower limit to propose: half of the current limit or of what they owe, whichever
    /// is lower, rounded down to a hundred.
    pub proposed_limit: String,
    /// Which rule fired (see [`Segmented::rule_code`]): what "later" and "ignore" remember.
    pub rule_code: String,
}

/// How long "later" puts a proposal aside.
pub const LATER_DAYS: i64 = 7;

/// The segment spell a customer is in: since when (as the daily refresh recorded it).
fn segment_since(conn: &Connection, customer_id: i64) -> Result<Option<String>> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT since FROM customer_segments WHERE customer_id = ?1",
            [customer_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Puts a customer's sanction proposal aside: "later" (`ignore` false) for [`LATER_DAYS`]
/// days, or ignored with a reason (required). Recorded in their history; the proposal comes
/// back when their segment or the rule that fired changes (or, for "later", after the date).
pub fn set_aside(
    conn: &mut Connection,
    reference: &str,
    rule_code: &str,
    ignore: bool,
    reason: &str,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let id = crate::customers::id_by_ref(conn, "customer", reference)?;
    let reason = if ignore {
        crate::validate::required_line("reason", reason, 300)?
    } else {
        crate::validate::optional_line("reason", reason, 300)?
    };
    let rule_code = crate::validate::required_line("rule", rule_code, 40)?;
    let tx = conn.transaction()?;
    let since = segment_since(&tx, id)?;
    let until = (!ignore).then(|| as_of + chrono::Duration::days(LATER_DAYS));
    tx.execute(
        "INSERT INTO proposal_decisions (customer_id, rule_code, segment_since, decision, until_date, reason, on_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        crate::store::sql::params![
            id,
            rule_code,
            since,
            if ignore { "ignored" } else { "later" },
            until.map(|d| d.to_string()),
            reason,
            as_of.to_string()
        ],
    )?;
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    entry.action = Some("proposal_aside".into());
    entry.note = match (lang, until) {
        (Lang::Fr, Some(d)) => format!(
            "Sanction proposée mise de côté jusqu'au {}",
            d.format("%d/%m/%Y")
        ),
        (Lang::En, Some(d)) => {
            format!("Proposed sanction put aside until {}", d.format("%d/%m/%Y"))
        }
        (Lang::Fr, None) => format!("Sanction proposée ignorée : {reason}"),
        (Lang::En, None) => format!("Proposed sanction ignored: {reason}"),
    };
    crate::journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

/// The latest decision on a customer's proposal: the rule it was about, the segment spell
/// it was taken in, "ignored" or "later", and until when.
type Decision = (String, Option<String>, String, Option<chrono::NaiveDate>);

/// Whether the latest decision on this customer's proposal still holds: same rule, same
/// segment spell (`since`, as the refresh recorded it), and "ignored" or "later" not yet
/// past.
fn aside_holds(
    last: Option<&Decision>,
    rule_code: &str,
    since: Option<&str>,
    as_of: chrono::NaiveDate,
) -> bool {
    let Some((rule, decided_in, decision, until)) = last else {
        return false;
    };
    let same = rule == rule_code && decided_in.as_deref() == since;
    let holds = decision == "ignored" || until.is_some_and(|u| u > as_of);
    same && holds
}

/// What a sanction proposal reads of one customer at risk to know whether it is proposed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Standing {
    on_hold: bool,
    archived: bool,
    credit_limit: Option<i64>,
    /// Their segment spell's start, as the refresh recorded it.
    since: Option<String>,
    last_decision: Option<Decision>,
}

/// How many customers one statement of [`standing`] or [`owed_sums`] reads.
const FACTS_CHUNK: usize = 1000;

/// The [`Standing`] of the customers `ids`, read `chunk` at a time: two statements per
/// chunk, whatever the number of customers (Today's proposals read one customer after the
/// other before: six statements each, a round trip each on a server, 20 s for 19,283
/// customers at risk). A customer not in the ledger is absent from the answer.
fn standing(
    conn: &Connection,
    ids: &[i64],
    chunk: usize,
) -> Result<std::collections::HashMap<i64, Standing>> {
    let mut out: std::collections::HashMap<i64, Standing> =
        std::collections::HashMap::with_capacity(ids.len());
    let list = crate::store::sql::IdChunks::new(1, chunk);
    let marks = &list.marks;
    for part in ids.chunks(list.size()) {
        let args = list.padded(part);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT c.id, c.on_hold, c.archived_on IS NOT NULL, c.credit_limit_minor, s.since
               FROM customers c LEFT JOIN customer_segments s ON s.customer_id = c.id
              WHERE c.id IN ({marks})"
        ))?;
        let rows = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Standing {
                    on_hold: r.get(1)?,
                    archived: r.get(2)?,
                    credit_limit: r.get(3)?,
                    since: r.get(4)?,
                    last_decision: None,
                },
            ))
        })?;
        for row in rows {
            let (id, facts) = row?;
            out.insert(id, facts);
        }
        // Every decision of theirs in order: the last one read is the latest.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT customer_id, rule_code, segment_since, decision, until_date
               FROM proposal_decisions WHERE customer_id IN ({marks}) ORDER BY customer_id, id"
        ))?;
        let rows = stmt.query_map(crate::store::sql::params_from_iter(args.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })?;
        for row in rows {
            let (id, decision) = row?;
            if let Some(f) = out.get_mut(&id) {
                f.last_decision = Some(decision);
            }
        }
    }
    Ok(out)
}

/// What each of the customers `ids` owes in `currency`, and of it what is overdue on
/// `as_of` (minor units), read `chunk` at a time (one statement per chunk); a customer who
/// owes nothing is absent from the answer.
fn owed_sums(
    conn: &Connection,
    ids: &[i64],
    currency: crate::money::Currency,
    as_of: chrono::NaiveDate,
    chunk: usize,
) -> Result<std::collections::HashMap<i64, (i64, i64)>> {
    use crate::store::sql::ToSql;
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    let list = crate::store::sql::IdChunks::new(3, chunk);
    let marks = &list.marks;
    let (code, day) = (currency.code(), as_of.to_string());
    for part in ids.chunks(list.size()) {
        let args = list.padded(part);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT customer_id, COALESCE(SUM(total_minor - settled_minor), 0),
                    COALESCE(SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor END), 0)
               FROM invoices
              WHERE customer_id IN ({marks}) AND currency = ?1 AND settled_minor < total_minor
              GROUP BY customer_id"
        ))?;
        let values: Vec<&dyn ToSql> = [&code as &dyn ToSql, &day]
            .into_iter()
            .chain(args.iter().map(|id| id as &dyn ToSql))
            .collect();
        let rows = stmt.query_map(crate::store::sql::params_from_iter(values), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?),
            ))
        })?;
        for row in rows {
            let (id, sums) = row?;
            out.insert(id, sums);
        }
    }
    Ok(out)
}

/// How many customers whose facts changed since the day's refresh Today computes again
/// before it computes every customer's segment instead (after a large import, say): each
/// costs a few indexed reads, where deriving everyone reads the whole ledger.
const CHANGED_AT_MOST: usize = 20_000;

/// The refresh row: its day, language and run under way (`''` when none).
fn refresh_row(conn: &Connection) -> Result<Option<(String, String, String)>> {
    use crate::store::sql::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT on_date, lang, run FROM segment_refresh WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Whether the stored refresh serves `as_of` in `lang`.
fn serves(row: &Option<(String, String, String)>, as_of: chrono::NaiveDate, lang: Lang) -> bool {
    refreshed_on(row, as_of) && row.as_ref().is_some_and(|(_, l, _)| l == lang.code())
}

/// Whether the stored refresh is of `as_of` (in any language: what holds no text).
fn refreshed_on(row: &Option<(String, String, String)>, as_of: chrono::NaiveDate) -> bool {
    row.as_ref()
        .is_some_and(|(day, ..)| *day == as_of.to_string())
}

/// The customers whose segment must be computed again since the refresh: every one in
/// `segment_dirty` (by the triggers of migration 37, every fact a profile reads but the
/// reminders done), and those in `segment_reminded` (the reminders done and their undoing,
/// migration 44) who have no rule stored, or whose stored rule reads reminders
/// ([`REMINDER_RULES`]) and whose reminders may move them (`segment_reminder_moves`,
/// migration 52); a reminded customer under another rule keeps it.
fn marked_sql() -> String {
    marked_among(true)
}

/// [`marked_sql`], or, when `reminder_rules` is false, without the reminded customers whose
/// stored rule reads reminders: what a reading of one segment that no such rule reaches
/// (outside [`REMINDER_SEGMENTS`]) needs computed again, since those customers stay among
/// those rules whatever reminders are done or undone. A reminded customer under such a rule
/// whose reminders cannot move them (not in `segment_reminder_moves`, migration 52) keeps
/// their stored segment in every reading; only the rule's words are computed again, for the
/// rows shown ([`words`]).
fn marked_among(reminder_rules: bool) -> String {
    let rules = match reminder_rules {
        true => format!(" OR ({})", reminded_under_rules("segment_reminder_moves")),
        false => String::new(),
    };
    format!(
        "(SELECT customer_id FROM segment_dirty UNION
          SELECT r.customer_id FROM segment_reminded r
            LEFT JOIN customer_segments s ON s.customer_id = r.customer_id
           WHERE s.rule_code IS NULL{rules}) m"
    )
}

/// [`REMINDER_RULES`] as an SQL list (constants only): what the benchmark counts with too.
pub fn reminder_rules_sql() -> String {
    REMINDER_RULES.map(|r| format!("'{r}'")).join(", ")
}

/// The rules that read a customer's reminders (how many, how long before a payment, how long
/// unpaid): the last ones [`segment_of`] tries. A customer whose stored rule is another one
/// keeps it, word for word, whatever reminders are done or undone (every rule before reads
/// none of them).
pub(crate) const REMINDER_RULES: [&str; 4] = [
    "pays_when_reminded",
    "slow_after_reminder",
    "never_reminded",
    "reminder_pending",
];

/// The segments the rules in [`REMINDER_RULES`] put a customer in: a reminded customer under
/// one of them stays in one of these, so a reading of any other segment keeps their stored
/// row out without computing them again (a property test draws every rule's figures).
pub(crate) const REMINDER_SEGMENTS: [Segment; 2] = [Segment::Forgetful, Segment::SlowPayer];

/// The customers marked since the refresh that a reading of `only` (every segment when
/// None) computes again, when they are not too many: those marked by a fact other than a
/// reminder done; for every segment and [`REMINDER_SEGMENTS`], also those reminded whose
/// stored rule reads reminders ([`REMINDER_RULES`]) by a reminder that may move them; for
/// another segment, those reminded with no stored rule; for the customers at risk, the
/// first only. A reminder changes only a profile's first reminders, which the rules read
/// after every other rule, those that put a customer at risk among them ([`segment_of`]).
fn marked(conn: &Connection, only: Option<Segment>) -> Result<Option<Vec<i64>>> {
    let table = match only {
        Some(Segment::AtRisk) => "segment_dirty".to_string(),
        Some(segment) => marked_among(REMINDER_SEGMENTS.contains(&segment)),
        None => marked_sql(),
    };
    marks(conn, &table, CHANGED_AT_MOST)
}

/// The customers marked in `table` (`segment_dirty`, `habits_dirty` or [`marked_sql`]), when at
/// most `at_most`.
fn marks(conn: &Connection, table: &str, at_most: usize) -> Result<Option<Vec<i64>>> {
    let changed: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT customer_id FROM {table} ORDER BY customer_id LIMIT ?1"
        ))?
        .query_map([at_most as i64 + 1], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?;
    Ok((changed.len() <= at_most).then_some(changed))
}

/// Marks every customer: Today computes each one's segment again until the next refresh
/// (facts written with the triggers set aside, as a restore that carries invoices does,
/// mark no customer themselves).
pub(crate) fn mark_everyone(conn: &Connection) -> Result<()> {
    // Customer ids start at 1: everyone.
    mark(conn, "SELECT id FROM customers WHERE id > ?1", 0)
}

/// Marks the customers `select` reads (one column, `?1` bound to `last_id`) for both the
/// segments and the habits.
fn mark(conn: &Connection, select: &str, last_id: i64) -> Result<()> {
    for table in ["segment_dirty", "habits_dirty"] {
        conn.execute(
            &format!("INSERT INTO {table} (customer_id) {select} ON CONFLICT DO NOTHING"),
            [last_id],
        )?;
    }
    Ok(())
}

/// The triggers that mark the customer of each invoice inserted (its segment, its habits):
/// a bulk import sets them aside and calls [`mark_invoices_since`] once instead.
pub(crate) const INVOICE_INSERT_TRIGGERS: [&str; 2] =
    ["segment_dirty_invoice_new", "habits_dirty_invoice_new"];

/// What [`INVOICE_INSERT_TRIGGERS`] do, for every invoice inserted after `last_id` at once
/// (inside the caller's transaction): their customers are marked.
pub(crate) fn mark_invoices_since(conn: &Connection, last_id: i64) -> Result<()> {
    mark(
        conn,
        "SELECT DISTINCT customer_id FROM invoices WHERE id > ?1",
        last_id,
    )
}

/// The triggers that mark the customers of each payment inserted, of each allocation and
/// of each invoice it settles (their segment, their habits; the segment of whoever promised
/// to pay that invoice): a bulk import of payments sets them aside and calls
/// [`mark_payments_since`] once instead.
pub(crate) const PAYMENT_TRIGGERS: [&str; 5] = [
    "segment_dirty_payment_new",
    "habits_dirty_payment_new",
    "segment_dirty_allocation_new",
    "segment_dirty_invoice",
    "habits_dirty_invoice",
];

/// What [`PAYMENT_TRIGGERS`] do, for every payment inserted after `last_payment` and every
/// allocation after `last_allocation` at once (inside the caller's transaction): the payers
/// and the customers of the invoices settled are marked, and those who promised to pay
/// one of those invoices (their segment only).
pub(crate) fn mark_payments_since(
    conn: &Connection,
    last_payment: i64,
    last_allocation: i64,
) -> Result<()> {
    mark(
        conn,
        "SELECT DISTINCT customer_id FROM payments WHERE id > ?1",
        last_payment,
    )?;
    mark(
        conn,
        "SELECT DISTINCT i.customer_id FROM allocations a
           CROSS JOIN invoices i ON i.id = a.invoice_id WHERE a.id > ?1",
        last_allocation,
    )?;
    conn.execute(
        "INSERT INTO segment_dirty (customer_id)
         SELECT DISTINCT p.customer_id FROM allocations a
           CROSS JOIN promise_invoices pi ON pi.invoice_id = a.invoice_id
           CROSS JOIN promises p ON p.id = pi.promise_id
          WHERE a.id > ?1
         ON CONFLICT DO NOTHING",
        [last_allocation],
    )?;
    Ok(())
}

/// How many customers whose invoices or payments changed since the day's refresh the
/// dashboard computes the habits of again (two indexed reads each) before it computes every
/// customer's instead (one pass over a year of paid invoices and payments: half a second at
/// a million invoices).
const HABITS_CHANGED_AT_MOST: usize = 2_000;

/// Each customer's habits as of `as_of` (the cash-in forecast's: [`profile::habits`]), read
/// through the day's refresh when it serves: the stored habits of the customers whose
/// invoices and payments did not change since (migration 39), computed again for the others.
///
/// [`profile::habits`]: super::profile::habits
pub fn habits(conn: &Connection, as_of: chrono::NaiveDate) -> Result<super::profile::Habits> {
    match stored_habits(conn, as_of)? {
        Some(h) => Ok(h),
        None => super::profile::habits(conn, as_of),
    }
}

/// The customers whose invoices or payments changed since the refresh, when not too many.
fn habits_marked(conn: &Connection) -> Result<Option<Vec<i64>>> {
    marks(conn, "habits_dirty", HABITS_CHANGED_AT_MOST)
}

/// The habits stored by the refresh of `as_of` (any language: they hold no text), with
/// those of the customers marked since computed again; `None` when no refresh of that day
/// serves, too many customers are marked, or a refresh run began while this read.
fn stored_habits(
    conn: &Connection,
    as_of: chrono::NaiveDate,
) -> Result<Option<super::profile::Habits>> {
    let row = refresh_row(conn)?;
    if !refreshed_on(&row, as_of) {
        return Ok(None);
    }
    // The stored rows first, then the marks (as [`through_the_refresh`]). A customer with
    // no habit (no row, or none stored) has none: `habits` leaves them out too.
    let mut out: super::profile::Habits = conn
        .prepare_cached(
            "SELECT s.customer_id, s.late_days, s.pay_day FROM customer_segments s
             WHERE (s.late_days <> 0 OR s.pay_day <> '')
               AND NOT EXISTS (SELECT 1 FROM habits_dirty d WHERE d.customer_id = s.customer_id)",
        )?
        .query_map([], |r| {
            let code: String = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                (
                    r.get::<_, i64>(1)?,
                    super::profile::PayDay::from_code(&code),
                ),
            ))
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    let Some(changed) = habits_marked(conn)? else {
        return Ok(None);
    };
    if refresh_row(conn)? != row {
        return Ok(None);
    }
    for id in &changed {
        out.remove(id);
    }
    out.extend(super::profile::habits_of(conn, as_of, &changed)?);
    Ok(Some(out))
}

/// A customer's habits as the refresh stores them: (days late, pay-day code).
pub(crate) fn habits_row(h: Option<&(i64, Option<super::profile::PayDay>)>) -> (i64, String) {
    h.map_or((0, String::new()), |(late, pay_day)| {
        (*late, pay_day.map_or(String::new(), |p| p.code()))
    })
}

/// Every customer's segment (or those of the segment `only`) from the day's refresh (unmarked customers)
/// and computed again (marked ones), or `None` when the refresh does not serve: no refresh of that day and
/// language, too many customers marked, or a refresh run began while this read.
fn through_the_refresh(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    only: Option<Segment>,
) -> Result<Option<Read>> {
    // A reminder moves no customer into or out of a segment outside REMINDER_SEGMENTS (the
    // rules reading reminders come after every rule putting a customer there, and put none
    // there): those segments are read past the customers only reminded.
    let row = refresh_row(conn)?;
    if !serves(&row, as_of, lang) {
        return Ok(None);
    }
    // The stored rows first, then the marks: a customer marked in between is in both (and
    // computed again); one unmarked in between was by a refresh run, which the row shows.
    // A reminded customer under a rule reading reminders: computed again when a reminder
    // may move them, else their stored segment is read and the rule's words are stale
    // ([`words`] computes them again; [`current`] and [`in_segment`] read one snapshot on
    // a server, so the stored rows, the marks and the words agree).
    let not_moved = format!(
        " AND NOT ({})",
        reminded_under_rules("segment_reminder_moves")
    );
    let mut stale = std::collections::HashSet::new();
    let mut stored: Vec<CustomerSegment> = conn
        .prepare_cached(&format!(
            "SELECT {}
                 FROM customer_segments s JOIN customers c ON c.id = s.customer_id
                 WHERE NOT EXISTS (SELECT 1 FROM segment_dirty d
                                    WHERE d.customer_id = s.customer_id){}",
            stored_row_sql(),
            match only {
                // Reminded since the refresh: only a rule that reads reminders may move, and
                // only among the segments of those rules.
                Some(segment) if REMINDER_SEGMENTS.contains(&segment) => {
                    format!(" AND s.segment = '{}'{not_moved}", segment.code())
                }
                Some(segment) => format!(" AND s.segment = '{}'", segment.code()),
                None => not_moved,
            }
        ))?
        .query_map([], |r| stored_row(r, lang))?
        .map(|row| {
            row.map(|(c, words_stale)| {
                if words_stale {
                    stale.insert(c.customer_id);
                }
                c
            })
        })
        .collect::<crate::store::sql::Result<_>>()?;
    let Some(changed) = marked(conn, only)? else {
        return Ok(None);
    };
    if refresh_row(conn)? != row {
        return Ok(None);
    }
    let again: std::collections::HashSet<i64> = changed.iter().copied().collect();
    stored.retain(|c| !again.contains(&c.customer_id));
    stale.retain(|id| !again.contains(id));
    stored.extend(computed(conn, as_of, lang, Some(&changed))?);
    Ok(Some(Read {
        rows: stored,
        stale,
    }))
}

/// Whether a stored row's customer was reminded since the refresh (marked in `marks`:
/// `segment_reminded`, or `segment_reminder_moves` for the reminders that may move them)
/// under a rule reading reminders, as an SQL condition on `s` (customer_segments).
fn reminded_under_rules(marks: &str) -> String {
    format!(
        "s.rule_code IN ({}) AND EXISTS (SELECT 1 FROM {marks} d
                                         WHERE d.customer_id = s.customer_id)",
        reminder_rules_sql()
    )
}

/// The columns [`stored_row`] reads, from `c` (customers) and `s` (customer_segments): the
/// stored row and whether its rule's words are stale (reminded since under a rule reading
/// reminders).
fn stored_row_sql() -> String {
    format!(
        "c.id, c.reference, c.name, s.segment, s.rule, s.rule_code,
         CASE WHEN {} THEN 1 ELSE 0 END",
        reminded_under_rules("segment_reminded")
    )
}

/// A customer's stored segment as [`stored_row_sql`] reads it, and whether its words are
/// stale.
fn stored_row(
    r: &crate::store::sql::Row<'_>,
    lang: Lang,
) -> crate::store::sql::Result<(CustomerSegment, bool)> {
    let code: String = r.get(3)?;
    let segment = Segment::from_code(&code).unwrap_or(Segment::New);
    Ok((
        CustomerSegment {
            customer_id: r.get(0)?,
            customer: r.get(1)?,
            customer_name: r.get(2)?,
            segment,
            name: segment.name(lang).to_string(),
            rule: r.get(4)?,
            rule_code: r.get(5)?,
        },
        r.get::<_, i64>(6)? == 1,
    ))
}

/// Customers' segments read through the day's refresh: `stale` names those whose stored
/// segment is theirs but whose rule's words may not be (reminded since, under a rule
/// reading reminders, by reminders that cannot move them: [`words`] computes them again).
struct Read {
    rows: Vec<CustomerSegment>,
    stale: std::collections::HashSet<i64>,
}

/// Computes again the rule's words of the rows whose words are `stale`. None when one of
/// them computes to another segment than the one stored (which migration 52's reasoning
/// says cannot happen): the reading then derives every customer.
fn words(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    rows: &mut [CustomerSegment],
    stale: &std::collections::HashSet<i64>,
) -> Result<Option<()>> {
    let ids: Vec<i64> = rows
        .iter()
        .map(|c| c.customer_id)
        .filter(|id| stale.contains(id))
        .collect();
    let again: std::collections::HashMap<i64, CustomerSegment> =
        computed(conn, as_of, lang, Some(&ids))?
            .into_iter()
            .map(|c| (c.customer_id, c))
            .collect();
    for row in rows.iter_mut().filter(|c| stale.contains(&c.customer_id)) {
        match again.get(&row.customer_id) {
            Some(c) if c.segment == row.segment => *row = c.clone(),
            // A damaged cache (`relance check` says which customer): derive everyone.
            _ => return Ok(None),
        }
    }
    Ok(Some(()))
}

/// Narrows customers to those a reading needs (None: the reading cannot serve).
pub type Among<'a> = dyn Fn(&[i64]) -> Result<Option<Vec<i64>>> + 'a;

/// The segments computed again since the day's refresh, for the customers it marked that
/// `among` keeps (those whose segment a reading needs: Today's, those with an action): every
/// other customer's segment is the one stored (new when none is), as [`current`] reads them
/// through the refresh. None when no refresh of `as_of` in `lang` serves (as for
/// [`current`], which then derives every customer), when `among` says None, or when more
/// than 20,000 customers are kept.
pub fn changed_since_refresh(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    among: &Among,
) -> Result<Option<std::collections::HashMap<i64, Segment>>> {
    /// Marks read before `among` narrows them (a day's work at a million invoices marks
    /// 37,509 customers reminded).
    const READ_AT_MOST: usize = 1_000_000;
    let row = refresh_row(conn)?;
    if !serves(&row, as_of, lang) {
        return Ok(None);
    }
    let Some(marked) = marks(conn, &marked_sql(), READ_AT_MOST)? else {
        return Ok(None);
    };
    let Some(changed) = among(&marked)?.filter(|c| c.len() <= CHANGED_AT_MOST) else {
        return Ok(None);
    };
    // A refresh run begun since (on a server, where a reading is no snapshot) may have
    // cleared the marks: as through the refresh, read everyone then.
    if refresh_row(conn)? != row {
        return Ok(None);
    }
    Ok(Some(
        computed(conn, as_of, lang, Some(&changed))?
            .into_iter()
            .map(|c| (c.customer_id, c.segment))
            .collect(),
    ))
}

/// The stored segment of each of the customers `ids` that has one.
pub fn stored(conn: &Connection, ids: &[i64]) -> Result<std::collections::HashMap<i64, Segment>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        let mut stmt = conn.prepare(&format!(
            "SELECT customer_id, segment FROM customer_segments WHERE customer_id IN ({})",
            crate::store::sql::id_list(chunk)
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, code) = row?;
            out.insert(id, Segment::from_code(&code).unwrap_or(Segment::New));
        }
    }
    Ok(out)
}

/// Every customer's segment as of `as_of` (or those of the segment `only`), by name: from
/// the day's refresh and the customers changed since when it serves (`through_refresh`),
/// otherwise derived from every customer.
fn read(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    through_refresh: bool,
    only: Option<Segment>,
) -> Result<Vec<CustomerSegment>> {
    Ok(read_page(conn, as_of, lang, through_refresh, only, None)?.0)
}

/// The order of every segment reading: by name in byte order (Rust's order of strings, which
/// [`kept_page`]'s walk follows), then customer id.
fn by_name(rows: &mut [CustomerSegment]) {
    rows.sort_by(|a, b| name_order(a).cmp(&name_order(b)));
}

/// A row's place in [`by_name`]'s order.
fn name_order(c: &CustomerSegment) -> (&str, i64) {
    (c.customer_name.as_str(), c.customer_id)
}

/// [`read`], cut to `page` (offset, count) when one is asked for, and how many rows there
/// were before the cut: the stale words of the rows kept only are computed again.
fn read_page(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    through_refresh: bool,
    only: Option<Segment>,
    page: Option<(usize, usize)>,
) -> Result<(Vec<CustomerSegment>, usize)> {
    let cut = |mut out: Vec<CustomerSegment>| {
        if let Some(segment) = only {
            out.retain(|c| c.segment == segment);
        }
        by_name(&mut out);
        let total = out.len();
        let rows: Vec<CustomerSegment> = match page {
            Some((offset, count)) => out.into_iter().skip(offset).take(count).collect(),
            None => out,
        };
        (rows, total)
    };
    if through_refresh {
        if let Some(Read { rows, stale }) = through_the_refresh(conn, as_of, lang, only)? {
            let (mut rows, total) = cut(rows);
            if words(conn, as_of, lang, &mut rows, &stale)?.is_some() {
                return Ok((rows, total));
            }
        }
    }
    Ok(cut(all(conn, as_of, lang)?))
}

/// Every customer's segment as of `as_of`, by name, read through the day's refresh when it
/// serves (as [`sanctions`]): what `relance segments` reads, and Today's grouping by
/// segment when the day's kept actions do not serve (the Customers screen's filter reads
/// one segment, [`in_segment`]).
pub fn current(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<CustomerSegment>> {
    // One snapshot on a server: the stored rows, the marks and the words computed again
    // must agree (without waiting for a write in progress, an import: `reading_together`).
    conn.reading_together(|| read(conn, as_of, lang, true, None))
}

/// A page of the customers of one payer segment, by name, and how many it holds: the
/// Customers screen's filter (which received every customer's segment, 100,000 at a
/// million invoices, and drew every one of the segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SegmentPage {
    pub rows: Vec<CustomerSegment>,
    #[ts(type = "number")]
    pub total: usize,
}

/// The customers of `segment` as of `as_of`, by name: `limit` of them (at most 500) from
/// `offset`, read through the day's refresh as [`current`] reads every customer (the
/// stored rows of that segment only, and the customers marked since computed again).
pub fn in_segment(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    segment: Segment,
    offset: u32,
    limit: u32,
) -> Result<SegmentPage> {
    let page = (offset as usize, limit.min(500) as usize);
    // (one snapshot on a server, as `current`'s)
    conn.reading_together(|| {
        let (rows, total) = match kept_page(conn, as_of, lang, segment, page, WALK_ABOVE)? {
            Some(found) => found,
            None => read_page(conn, as_of, lang, true, Some(segment), Some(page))?,
        };
        Ok(SegmentPage { rows, total })
    })
}

/// Above this many customers in a segment, [`kept_page`] walks the customers by name to
/// the page's end; up to it, it reads the segment's rows and sorts them.
const WALK_ABOVE: i64 = 2_000;

/// A page of [`in_segment`] read from the day's refresh without reading the whole segment:
/// the stored rows of `segment` walked by name in byte order (`customers_name_bytes`,
/// migration 53) up to the page's end, beside the customers marked since computed again
/// ([`marked`]: those a reading of `segment` needs); counted from the index on the segment,
/// less the marked ones stored there, plus those computed into it. None when the refresh
/// does not serve (or a run began meanwhile), too many are marked, or a row's words
/// computed again say another segment (a damaged cache): [`read_page`] then reads. On a
/// server, read in one snapshot (its count and its rows must agree).
fn kept_page(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    segment: Segment,
    (offset, count): (usize, usize),
    walk_above: i64,
) -> Result<Option<(Vec<CustomerSegment>, usize)>> {
    let row = refresh_row(conn)?;
    if !serves(&row, as_of, lang) {
        return Ok(None);
    }
    let Some(changed) = marked(conn, Some(segment))? else {
        return Ok(None);
    };
    let again: std::collections::HashSet<i64> = changed.iter().copied().collect();
    // The marked customers stored in the segment (as its count counts them, by code).
    let mut taken_out = 0usize;
    for chunk in changed.chunks(1000) {
        let n: i64 = conn.query_row(
            &format!(
                "SELECT COUNT(*) FROM customer_segments WHERE segment = ?1 AND customer_id IN ({})",
                crate::store::sql::id_list(chunk)
            ),
            [segment.code()],
            |r| r.get(0),
        )?;
        taken_out += n as usize;
    }
    let held: i64 = conn.query_row(
        "SELECT COUNT(*) FROM customer_segments WHERE segment = ?1",
        [segment.code()],
        |r| r.get(0),
    )?;
    // Every stored row before the page's end is among the first `offset + count` rows
    // not marked, so among the first `offset + count + taken_out` in name order. A segment
    // of few customers is read whole through its index (walking every customer by name to
    // find a page of a sparse one would read the whole table).
    let want = (offset + count + taken_out) as i64;
    let walk = held > walk_above;
    let mut stale = std::collections::HashSet::new();
    let mut rows: Vec<CustomerSegment> = Vec::new();
    let (from, tail) = stored_rows_by_name(walk, "?2");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}
           {from}
          WHERE s.segment = ?1{tail}",
        stored_row_sql(),
    ))?;
    let found = stmt.query_map(crate::store::sql::params![segment.code(), want], |r| {
        stored_row(r, lang)
    })?;
    for found in found {
        let (c, words_stale) = found?;
        if again.contains(&c.customer_id) {
            continue;
        }
        if words_stale {
            stale.insert(c.customer_id);
        }
        rows.push(c);
    }
    let computed: Vec<CustomerSegment> = computed(conn, as_of, lang, Some(&changed))?
        .into_iter()
        .filter(|c| c.segment == segment)
        .collect();
    if refresh_row(conn)? != row {
        return Ok(None);
    }
    let Some(total) = (held as usize).checked_sub(taken_out) else {
        return Ok(None);
    };
    let total = total + computed.len();
    rows.extend(computed);
    by_name(&mut rows);
    let mut rows: Vec<CustomerSegment> = rows.into_iter().skip(offset).take(count).collect();
    Ok(words(conn, as_of, lang, &mut rows, &stale)?.map(|()| (rows, total)))
}

/// The `FROM` of a reading of stored segment rows (`s`) with their customers (`c`), and the
/// tail of its `WHERE`: walking the customers by name in byte order
/// (`customers_name_bytes`) up to `LIMIT {limit}` when `walk`, else through the segment's
/// index, every row (sorted by the caller; the limit's mark is still bound).
fn stored_rows_by_name(walk: bool, limit: &str) -> (&'static str, String) {
    match walk {
        true => (
            "FROM customers c INDEXED BY customers_name_bytes
                 CROSS JOIN customer_segments s ON s.customer_id = c.id",
            format!(" ORDER BY c.name COLLATE BINARY, c.id LIMIT {limit}"),
        ),
        false => (
            "FROM customer_segments s INDEXED BY customer_segments_segment
                  CROSS JOIN customers c ON c.id = s.customer_id",
            format!(" AND {limit} > 0"),
        ),
    }
}

/// Whether what Today reads through the day's refresh is the derivation: for every customer
/// whose facts did not change since, the stored segment, rule and rule code are the ones
/// computed now, in the language the refresh wrote them (for a customer only reminded
/// since, when their stored rule reads no reminder, as every customer's segment reads
/// them, or when they are or are derived at risk, as the sanction proposals do). The
/// differences found, in `lang`; `None` when no refresh serves `as_of` (or too many
/// customers changed by other facts than reminders), so that Today derives everything.
pub fn verify(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Option<Vec<String>>> {
    // The refresh row, read once: its language is the one the stored rules are in.
    let row = refresh_row(conn)?;
    let Some(written_in) = row.as_ref().and_then(|(_, l, _)| Lang::parse(l)) else {
        return Ok(None);
    };
    // The customers marked by a fact other than a reminder done: computed again by every
    // reading (too many, and Today derives everyone). Those reminded only: their stored
    // segment is what the sanction proposals read, however many they are.
    if !serves(&row, as_of, written_in) {
        return Ok(None);
    }
    let Some(dirty) = marks(conn, "segment_dirty", CHANGED_AT_MOST)? else {
        return Ok(None);
    };
    let dirty: std::collections::HashSet<i64> = dirty.into_iter().collect();
    // Each reminded customer, and whether their reminders may move them (migration 52).
    let reminded: std::collections::HashMap<i64, bool> = conn
        .prepare(
            "SELECT customer_id, EXISTS (SELECT 1 FROM segment_reminder_moves v
                                          WHERE v.customer_id = r.customer_id)
               FROM segment_reminded r",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, bool>(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let mut stored: std::collections::HashMap<i64, (String, String, String)> = conn
        .prepare("SELECT customer_id, segment, rule, rule_code FROM customer_segments")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
        .collect::<crate::store::sql::Result<_>>()?;
    let quoted = |name: &str| match lang {
        Lang::Fr => format!("« {name} »"),
        Lang::En => format!("“{name}”"),
    };
    let mut findings = Vec::new();
    for c in all(conn, as_of, written_in)? {
        let kept = stored.remove(&c.customer_id);
        if dirty.contains(&c.customer_id) {
            continue;
        }
        let derived = (
            c.segment.code().to_string(),
            c.rule.clone(),
            c.rule_code.clone(),
        );
        // Reminded since: read stored unless their stored rule reads reminders; the
        // sanction proposals read the stored segment when it is or is derived at risk.
        // Under such a rule, by reminders that cannot move them, their stored segment is
        // read (the words computed again): the segment is compared.
        let at_risk = |segment: &str| segment == Segment::AtRisk.code();
        let mut segment_only = false;
        if let Some(may_move) = reminded.get(&c.customer_id) {
            if kept
                .as_ref()
                .is_none_or(|k| REMINDER_RULES.contains(&k.2.as_str()))
                && !at_risk(&derived.0)
                && !kept.as_ref().is_some_and(|k| at_risk(&k.0))
            {
                if *may_move || kept.is_none() {
                    continue;
                }
                segment_only = true;
            }
        }
        let differs = match (&kept, segment_only) {
            (Some(k), true) => k.0 != derived.0,
            _ => kept.as_ref() != Some(&derived),
        };
        if differs {
            let kept = kept.map_or_else(
                || match lang {
                    Lang::Fr => "aucun".to_string(),
                    Lang::En => "none".to_string(),
                },
                |(segment, rule, _)| {
                    let name =
                        Segment::from_code(&segment).map_or(segment, |s| s.name(lang).to_string());
                    format!("{} ({rule})", quoted(&name))
                },
            );
            // The rules are in the language the refresh wrote them in.
            let derived = format!("{} ({})", quoted(c.segment.name(lang)), c.rule);
            findings.push(match lang {
                Lang::Fr => format!(
                    "client {} : segment enregistré {kept}, calculé {derived}",
                    c.customer
                ),
                Lang::En => format!(
                    "customer {}: segment stored {kept}, derived {derived}",
                    c.customer
                ),
            });
        }
    }
    Ok(Some(findings))
}

/// Whether the habits the dashboard reads through the refresh ([`habits`]) are the
/// derivation: for every customer whose invoices and payments did not change since, the
/// stored habits are the ones computed now. The differences found, in `lang`; `None` when
/// the dashboard reads none stored (no refresh of `as_of`, or too many customers changed),
/// whatever the segments' marks.
pub fn verify_habits(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Option<Vec<String>>> {
    let row = refresh_row(conn)?;
    if !refreshed_on(&row, as_of) {
        return Ok(None);
    }
    let Some(changed) = habits_marked(conn)? else {
        return Ok(None);
    };
    let changed: std::collections::HashSet<i64> = changed.into_iter().collect();
    let references: std::collections::HashMap<i64, String> = conn
        .prepare("SELECT id, reference FROM customers")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    let stored: std::collections::HashMap<i64, (i64, String)> = conn
        .prepare("SELECT customer_id, late_days, pay_day FROM customer_segments")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<crate::store::sql::Result<_>>()?;
    let derived = super::profile::habits(conn, as_of)?;
    let shown = |(late, code): &(i64, String)| -> String {
        let pay_day = super::profile::PayDay::from_code(code).map(|p| p.text(lang));
        match lang {
            Lang::Fr => format!(
                "{late} j de retard (médiane), {}",
                pay_day.unwrap_or_else(|| "sans jour de paiement habituel".into())
            ),
            Lang::En => format!(
                "{late} days late (median), {}",
                pay_day.unwrap_or_else(|| "no usual pay day".into())
            ),
        }
    };
    let mut ids: Vec<&i64> = references.keys().collect();
    ids.sort_unstable();
    let mut findings = Vec::new();
    for id in ids {
        if changed.contains(id) {
            continue;
        }
        let kept = stored.get(id).cloned().unwrap_or((0, String::new()));
        let now = habits_row(derived.get(id));
        if kept != now {
            let reference = &references[id];
            findings.push(match lang {
                Lang::Fr => format!(
                    "client {reference} : habitudes enregistrées {}, calculées {}",
                    shown(&kept),
                    shown(&now)
                ),
                Lang::En => format!(
                    "customer {reference}: habits stored {}, derived {}",
                    shown(&kept),
                    shown(&now)
                ),
            });
        }
    }
    Ok(Some(findings))
}

/// The customers at risk who are not on hold yet: each with the sanctions to propose
/// (on Today, as decisions: never applied automatically). Read through the day's segment
/// refresh: only the customers whose facts changed since are computed again.
pub fn sanctions(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<SanctionProposal>> {
    conn.reading(|| proposals(conn, as_of, lang, true, None).map(|(all, _)| all))
}

/// The first `first` proposals of [`sanctions`] (by name) and how many there
/// are: what Today shows (at a million invoices, tens of thousands of customers may be at
/// risk on a bad day; what each owes is read for those shown only).
pub fn sanctions_page(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    first: u32,
) -> Result<SanctionPage> {
    // (one snapshot on a server: the count and the page must agree)
    conn.reading_together(|| {
        let (proposals, total) = proposals(conn, as_of, lang, true, Some(first as usize))?;
        Ok(SanctionPage { proposals, total })
    })
}

/// The first sanction proposals and how many there are (see [`sanctions_page`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SanctionPage {
    pub proposals: Vec<SanctionProposal>,
    #[ts(type = "number")]
    pub total: usize,
}

/// [`sanctions`] derived from every customer's profile, whatever the refresh: what
/// `relance check` and the tests compare it with.
pub fn sanctions_derived(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<Vec<SanctionProposal>> {
    proposals(conn, as_of, lang, false, None).map(|(all, _)| all)
}

/// The proposals of [`sanctions`] (`through_refresh`) or [`sanctions_derived`]: the
/// `first` of them when asked, and how many there are.
fn proposals(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    through_refresh: bool,
    first: Option<usize>,
) -> Result<(Vec<SanctionProposal>, usize)> {
    proposals_walking(conn, as_of, lang, through_refresh, first, WALK_ABOVE)
}

/// [`proposals`], a page of which ([`kept_proposals`]) walks the customers by name when
/// more than `walk_above` stored rows are proposed.
fn proposals_walking(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    through_refresh: bool,
    first: Option<usize>,
    walk_above: i64,
) -> Result<(Vec<SanctionProposal>, usize)> {
    let cur = crate::settings::default_currency(conn)?;
    let kept = match (through_refresh, first) {
        (true, Some(first)) => kept_proposals(conn, as_of, lang, first, walk_above)?,
        _ => None,
    };
    let (proposed, total) = match kept {
        Some(found) => found,
        None => {
            let at_risk = read(conn, as_of, lang, through_refresh, Some(Segment::AtRisk))?;
            let mut proposed = still_proposed(conn, at_risk, as_of)?;
            let total = proposed.len();
            proposed.truncate(first.unwrap_or(total));
            (proposed, total)
        }
    };
    // What they owe, read for the proposals shown only.
    let ids: Vec<i64> = proposed.iter().map(|(c, _)| c.customer_id).collect();
    let sums = owed_sums(conn, &ids, cur, as_of, FACTS_CHUNK)?;
    let mut out = Vec::with_capacity(proposed.len());
    let hundred = 100 * 10i64.pow(cur.digits());
    for (c, limit) in proposed {
        let (owed, overdue) = sums.get(&c.customer_id).copied().unwrap_or((0, 0));
        let base = limit.map_or(owed, |l| l.min(owed));
        let proposed = (base / 2) / hundred * hundred;
        out.push(SanctionProposal {
            customer: c.customer,
            customer_name: c.customer_name,
            customer_id: c.customer_id,
            rule: c.rule,
            owed: cur.minor_to_string(owed),
            overdue: cur.minor_to_string(overdue),
            currency: cur.code().to_string(),
            credit_limit: limit.map(|l| cur.minor_to_string(l)),
            proposed_limit: cur.minor_to_string(proposed),
            rule_code: c.rule_code,
        });
    }
    Ok((out, total))
}

/// The customers at risk `at_risk` (in their order) whose proposal stands, with their credit
/// limit: not on hold, not archived, and not put aside by a decision that still holds
/// ([`aside_holds`]).
fn still_proposed(
    conn: &Connection,
    at_risk: Vec<CustomerSegment>,
    as_of: chrono::NaiveDate,
) -> Result<Vec<(CustomerSegment, Option<i64>)>> {
    let ids: Vec<i64> = at_risk.iter().map(|c| c.customer_id).collect();
    let facts = standing(conn, &ids, FACTS_CHUNK)?;
    let mut proposed = Vec::new();
    for c in at_risk {
        let f = facts.get(&c.customer_id).ok_or(Error::NotFound {
            what: "customer",
            key: c.customer_id.to_string(),
        })?;
        if f.on_hold
            || f.archived
            || aside_holds(
                f.last_decision.as_ref(),
                &c.rule_code,
                f.since.as_deref(),
                as_of,
            )
        {
            continue;
        }
        proposed.push((c, f.credit_limit));
    }
    Ok(proposed)
}

/// Proposals (each customer at risk with their credit limit) and how many there are.
type Proposed = (Vec<(CustomerSegment, Option<i64>)>, usize);

/// The condition on `s` (customer_segments) and `c` (customers) under which a stored row of
/// a customer not marked since the refresh is proposed, `?2` the day: at risk, not on hold,
/// not archived, and their latest decision not one that holds ([`aside_holds`] in SQL: the
/// same rule and segment spell, ignored or "later" not yet past; a stored spell is never
/// empty, and a decision taken with none is of no stored spell).
const PROPOSED_SQL: &str = "s.segment = ?1
        AND NOT EXISTS (SELECT 1 FROM segment_dirty d WHERE d.customer_id = s.customer_id)
        AND c.on_hold = 0 AND c.archived_on IS NULL
        AND NOT EXISTS (SELECT 1 FROM proposal_decisions p
                         WHERE p.id = (SELECT MAX(x.id) FROM proposal_decisions x
                                        WHERE x.customer_id = s.customer_id)
                           AND p.rule_code = s.rule_code AND p.segment_since = s.since
                           AND (p.decision = 'ignored' OR p.until_date > ?2))";

/// The first `first` proposals by name, with each customer's credit limit, and how many
/// there are, read from the day's refresh without reading every customer at risk (19,283
/// on a bad day at a million invoices): the stored rows proposed ([`PROPOSED_SQL`]) are
/// counted, and walked by name to the page's end (`customers_name_bytes`) when more than
/// `walk_above`, else read through the segment's index and sorted; the customers marked
/// since are computed again and read as [`still_proposed`] reads them. None when the refresh
/// does not serve (or a run began meanwhile), too many are marked, the marks changed while
/// this read (without a snapshot, a customer marked in between would be in neither part),
/// or a stored row read for the page has stale words (a rule reading reminders, which puts
/// no one at risk: a damaged cache): [`proposals`] then reads every customer at risk. On a
/// server, read in one snapshot ([`sanctions_page`]).
fn kept_proposals(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    lang: Lang,
    first: usize,
    walk_above: i64,
) -> Result<Option<Proposed>> {
    let row = refresh_row(conn)?;
    if !serves(&row, as_of, lang) {
        return Ok(None);
    }
    let Some(changed) = marked(conn, Some(Segment::AtRisk))? else {
        return Ok(None);
    };
    let (code, day) = (Segment::AtRisk.code(), as_of.to_string());
    let held: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM customer_segments s CROSS JOIN customers c ON c.id = s.customer_id
              WHERE {PROPOSED_SQL}"
        ))?
        .query_row(crate::store::sql::params![code, day], |r| r.get(0))?;
    let walk = held > walk_above;
    let (from, tail) = stored_rows_by_name(walk, "?3");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}, c.credit_limit_minor
           {from}
          WHERE {PROPOSED_SQL}{tail}",
        stored_row_sql(),
    ))?;
    let mut rows: Vec<(CustomerSegment, Option<i64>)> = Vec::new();
    let found = stmt.query_map(crate::store::sql::params![code, day, first as i64], |r| {
        Ok((stored_row(r, lang)?, r.get::<_, Option<i64>>(7)?))
    })?;
    for found in found {
        let ((c, words_stale), limit) = found?;
        if words_stale {
            return Ok(None);
        }
        rows.push((c, limit));
    }
    let computed: Vec<CustomerSegment> = computed(conn, as_of, lang, Some(&changed))?
        .into_iter()
        .filter(|c| c.segment == Segment::AtRisk)
        .collect();
    let computed = still_proposed(conn, computed, as_of)?;
    if refresh_row(conn)? != row || marked(conn, Some(Segment::AtRisk))? != Some(changed) {
        return Ok(None);
    }
    let total = held as usize + computed.len();
    rows.extend(computed);
    rows.sort_by(|(a, _), (b, _)| name_order(a).cmp(&name_order(b)));
    rows.truncate(first);
    Ok(Some((rows, total)))
}

/// The aged balance by segment: one line per segment (its code as `customer`, its name as
/// `customer_name`), the same totals as by customer.
pub fn aged_by_segment(
    conn: &Connection,
    as_of: chrono::NaiveDate,
    currency: Option<&str>,
    lang: Lang,
) -> Result<super::aged::AgedBalance> {
    let by_customer = super::aged::aged_balance(conn, as_of, currency)?;
    let cur = crate::money::Currency::parse(&by_customer.currency)?;
    let seg: std::collections::HashMap<i64, Segment> = all(conn, as_of, lang)?
        .into_iter()
        .map(|c| (c.customer_id, c.segment))
        .collect();
    let minor = |s: &str| -> Result<i64> { cur.to_minor(cur.parse_amount(s, "amount")?, "amount") };
    let mut sums: Vec<(Segment, [i64; 6])> = Segment::ALL.iter().map(|s| (*s, [0; 6])).collect();
    for r in &by_customer.rows {
        let s = seg.get(&r.customer_id).copied().unwrap_or(Segment::New);
        let cells = r.amounts();
        let slot = &mut sums
            .iter_mut()
            .find(|(x, _)| *x == s)
            .expect("every segment")
            .1;
        for (acc, c) in slot.iter_mut().zip(cells) {
            *acc = crate::money::checked_total([*acc, minor(c)?])?;
        }
    }
    let rows: Vec<_> = sums
        .into_iter()
        .filter(|(_, a)| a[5] != 0)
        .map(|(s, a)| {
            super::aged::AgedRow::from_minor(
                cur,
                s.code().to_string(),
                s.name(lang).to_string(),
                0,
                a,
            )
        })
        .collect();
    Ok(super::aged::AgedBalance {
        count: rows.len() as i64,
        rows,
        ..by_customer
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::profile::Sources;

    /// The Customers screen's filter: a page of one segment's customers, by name, is that
    /// page of every customer's segment derived and filtered, read through the day's refresh
    /// with customers marked since (an owner's choice; reminders done, which move only a
    /// rule reading reminders) as without any refresh.
    #[test]
    fn a_segment_page_is_the_derived_segment_cut_by_name() {
        let as_of = crate::test_support::day("2026-11-30");
        let mut conn = crate::test_support::busy_ledger(150, as_of);
        // Names that tie, and that differ by case or accent (byte order, as Rust's).
        for (k, name) in ["Alpha", "alpha", "Élan", "Zeta", "Alpha", "ébène", "Élan"]
            .into_iter()
            .enumerate()
        {
            crate::customers::create(
                &conn,
                &crate::customers::CustomerInput {
                    reference: format!("N{k}"),
                    name: name.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        for c in 0..30 {
            let code = if c < 20 { "good_payer" } else { "at_risk" };
            let reference = format!("C{c:05}");
            crate::customers::set_segment(&mut conn, &reference, Some(code), "test", as_of)
                .unwrap();
        }
        let lang = crate::settings::ui_language(&conn);
        let check = |conn: &Connection, what: &str| {
            let mut everyone = all(conn, as_of, lang).unwrap();
            everyone.sort_by(|a, b| {
                (a.customer_name.as_str(), a.customer_id)
                    .cmp(&(b.customer_name.as_str(), b.customer_id))
            });
            let mut seen = 0;
            for segment in Segment::ALL {
                let whole: Vec<&CustomerSegment> =
                    everyone.iter().filter(|c| c.segment == segment).collect();
                seen += whole.len();
                let n = whole.len() as u32;
                for (offset, limit) in [(0, 50), (3, 7), (0, 1000), (n, 5), (n + 9, 5)] {
                    let page = in_segment(conn, as_of, lang, segment, offset, limit).unwrap();
                    assert_eq!(page.total, whole.len(), "{what} {segment:?}");
                    let wanted: Vec<&CustomerSegment> = whole
                        .iter()
                        .skip(offset as usize)
                        .take(limit.min(500) as usize)
                        .copied()
                        .collect();
                    assert_eq!(
                        page.rows.iter().collect::<Vec<_>>(),
                        wanted,
                        "{what} {segment:?} {offset} {limit}"
                    );
                    // The page read from the refresh, walking the customers by name or
                    // reading the segment whole, when the refresh serves.
                    let asked = (offset as usize, limit.min(500) as usize);
                    for walk_above in [0, i64::MAX] {
                        let kept =
                            kept_page(conn, as_of, lang, segment, asked, walk_above).unwrap();
                        if !refreshed_on(&refresh_row(conn).unwrap(), as_of) {
                            assert_eq!(kept, None, "{what}");
                            continue;
                        }
                        let (rows, total) = kept.expect(what);
                        assert_eq!(total, whole.len(), "{what} {segment:?} {walk_above}");
                        assert_eq!(
                            rows.iter().collect::<Vec<_>>(),
                            wanted,
                            "{what} {segment:?} {offset} {limit} {walk_above}"
                        );
                    }
                }
            }
            assert_eq!(seen, 157, "{what}: every customer in one segment");
            let good = in_segment(conn, as_of, lang, Segment::GoodPayer, 0, 50).unwrap();
            assert_eq!(good.total, 20, "{what}");
        };
        check(&conn, "no refresh");
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        check(&conn, "refreshed");
        // Marked since: an owner's choice, and a morning's reminders done.
        crate::customers::set_segment(&mut conn, "C00100", Some("slow_payer"), "test", as_of)
            .unwrap();
        let ids: Vec<String> = crate::dunning::agenda(&conn, as_of)
            .unwrap()
            .into_iter()
            .take(40)
            .map(|a| a.id)
            .collect();
        crate::dunning::act(
            &mut conn,
            as_of,
            &ids,
            &crate::dunning::Act::Done {
                note: String::new(),
            },
        )
        .unwrap();
        let reminded: i64 = conn
            .query_row("SELECT COUNT(*) FROM segment_reminded", [], |r| r.get(0))
            .unwrap();
        assert!(reminded > 10, "{reminded}");
        assert!(refreshed_on(&refresh_row(&conn).unwrap(), as_of));
        check(&conn, "marked since the refresh");
        // Read through the refresh indeed (not derived whole for want of it).
        for segment in Segment::ALL {
            assert!(
                through_the_refresh(&conn, as_of, lang, Some(segment))
                    .unwrap()
                    .is_some(),
                "{segment:?}"
            );
        }
    }

    /// Today's sanction proposals, their figures read for every customer at risk at once
    /// (a few statements per thousand customers), are those read one customer after the
    /// other: on hold, archived, put aside (later, ignored, about another rule or another
    /// spell, a later decision over an earlier one), at risk since the refresh (no spell
    /// stored), limits under and over what is owed, invoices paid in part, in another
    /// currency, not yet due and due on the day; through the refresh and derived, on five
    /// days. The statements run do not grow with the customers at risk but by the
    /// thousand.
    #[test]
    fn proposals_read_at_once_are_those_read_customer_by_customer() {
        use std::fmt::Write as _;
        let as_of = crate::test_support::day("2026-11-30");
        let mut conn = crate::test_support::busy_ledger(120, as_of);
        let import = |conn: &mut Connection, kind: crate::import::ImportKind, csv: &str| {
            crate::import::import(conn, kind, csv.as_bytes(), false).unwrap();
        };
        // Refreshed in the language read (a refresh in another serves no reading in this).
        crate::settings::set(&conn, "ui_language", "en").unwrap();
        // A second invoice for some: one not due yet, one overdue in the other currency.
        let mut more =
            String::from("number,customer_reference,issue_date,due_date,total,currency\n");
        for c in (0..120).step_by(4) {
            let (due, currency) = if c % 8 == 0 {
                (as_of + chrono::Duration::days(10), "EUR")
            } else {
                (as_of - chrono::Duration::days(50), "USD")
            };
            let issue = due - chrono::Duration::days(30);
            writeln!(
                more,
                "G{c:05},C{c:05},{issue},{due},{}.37,{currency}",
                700 + c
            )
            .unwrap();
        }
        // One due on the third day (overdue from the fourth, not on it).
        let third = as_of + chrono::Duration::days(3);
        writeln!(more, "H00011,C00011,{as_of},{third},55.00,EUR").unwrap();
        import(&mut conn, crate::import::ImportKind::Invoices, &more);
        // Paid in part: what is owed is what is left.
        let mut paid = String::from("customer_reference,date,amount,invoice_number\n");
        for c in 10..20 {
            writeln!(paid, "C{c:05},{as_of},40.00,F{c:05}").unwrap();
        }
        import(&mut conn, crate::import::ImportKind::Payments, &paid);
        for c in 0..70 {
            crate::customers::set_segment(
                &mut conn,
                &format!("C{c:05}"),
                Some("at_risk"),
                "test",
                as_of,
            )
            .unwrap();
        }
        let set = |conn: &Connection, sql: &str, c: usize| {
            conn.execute(sql, [format!("C{c:05}")]).unwrap();
        };
        for c in (0..70).step_by(7) {
            set(
                &conn,
                "UPDATE customers SET on_hold = 1 WHERE reference = ?1",
                c,
            );
        }
        set(
            &conn,
            "UPDATE customers SET archived_on = '2026-11-01' WHERE reference = ?1",
            3,
        );
        for c in (0..70).step_by(5) {
            // 500.00, 800.00, 1,100.00: under and over what each owes.
            let limit = 50_000 + 30_000 * (c as i64 % 3);
            conn.execute(
                "UPDATE customers SET credit_limit_minor = ?2 WHERE reference = ?1",
                crate::store::sql::params![format!("C{c:05}"), limit],
            )
            .unwrap();
        }
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        // The rule that put a customer at risk on a day, as Today reads it.
        let rule = |conn: &Connection, d: chrono::NaiveDate, reference: &str| -> String {
            read(conn, d, Lang::En, true, Some(Segment::AtRisk))
                .unwrap()
                .into_iter()
                .find(|x| x.customer == reference)
                .expect("at risk")
                .rule_code
        };
        let aside =
            |conn: &mut Connection, c: usize, rule: &str, ignore: bool, on: chrono::NaiveDate| {
                set_aside(conn, &format!("C{c:05}"), rule, ignore, "r", Lang::En, on).unwrap();
            };
        let r = rule(&conn, as_of, "C00001");
        aside(&mut conn, 1, &r, false, as_of - chrono::Duration::days(10)); // later, past
        aside(&mut conn, 2, &r, false, as_of); // later, holds a week
        aside(&mut conn, 4, &r, true, as_of); // ignored
        aside(&mut conn, 6, &r, true, as_of); // ignored, then another spell
        conn.execute(
            "UPDATE proposal_decisions SET segment_since = '2000-01-01' WHERE customer_id =
               (SELECT id FROM customers WHERE reference = 'C00006')",
            [],
        )
        .unwrap();
        // About another rule.
        aside(&mut conn, 8, "another_rule", true, as_of);
        // Two customers at risk since the refresh (no spell stored): one put aside then (no
        // spell either: the decision holds), one not.
        for late in ["LATE1", "LATE2"] {
            crate::customers::create(
                &conn,
                &crate::customers::CustomerInput {
                    reference: late.into(),
                    name: format!("Client {late}"),
                    ..Default::default()
                },
            )
            .unwrap();
            crate::customers::set_segment(&mut conn, late, Some("at_risk"), "test", as_of).unwrap();
        }
        let late_rule = rule(&conn, as_of, "LATE1");
        set_aside(&mut conn, "LATE1", &late_rule, true, "r", Lang::En, as_of).unwrap();
        aside(&mut conn, 9, &r, true, as_of - chrono::Duration::days(3));
        // The latest: past.
        aside(&mut conn, 9, &r, false, as_of - chrono::Duration::days(20));
        // One at a time, as Today read them before.
        let one_by_one = |conn: &Connection, d: chrono::NaiveDate, through: bool| {
            let cur = crate::settings::default_currency(conn).unwrap();
            let mut out = Vec::new();
            for c in read(conn, d, Lang::En, through, Some(Segment::AtRisk)).unwrap() {
                let customer = crate::customers::get(conn, c.customer_id).unwrap();
                use crate::store::sql::OptionalExtension;
                let since: Option<String> = conn
                    .query_row(
                        "SELECT since FROM customer_segments WHERE customer_id = ?1",
                        [c.customer_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .unwrap();
                let last: Option<Decision> = conn
                    .query_row(
                        "SELECT rule_code, segment_since, decision, until_date FROM proposal_decisions
                          WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1",
                        [c.customer_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .unwrap();
                // (as the reading one by one said it, not through `aside_holds`)
                let aside = last.is_some_and(|(rule, decided_in, decision, until)| {
                    rule == c.rule_code
                        && decided_in == since
                        && (decision == "ignored" || until.is_some_and(|u| u > d))
                });
                if customer.on_hold || customer.archived_on.is_some() || aside {
                    continue;
                }
                let (owed, overdue): (i64, i64) = conn
                    .query_row(
                        "SELECT COALESCE(SUM(total_minor - settled_minor), 0),
                                COALESCE(SUM(CASE WHEN due_date < ?3 THEN total_minor - settled_minor END), 0)
                           FROM invoices
                          WHERE customer_id = ?1 AND currency = ?2 AND settled_minor < total_minor",
                        crate::store::sql::params![c.customer_id, cur.code(), d.to_string()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                let limit = customer.credit_limit.as_deref().map(|l| {
                    cur.to_minor(cur.parse_amount(l, "l").unwrap(), "l")
                        .unwrap()
                });
                let hundred = 100 * 10i64.pow(cur.digits());
                let proposed = (limit.map_or(owed, |l| l.min(owed)) / 2) / hundred * hundred;
                out.push(SanctionProposal {
                    customer: c.customer,
                    customer_name: c.customer_name,
                    customer_id: c.customer_id,
                    rule: c.rule,
                    owed: cur.minor_to_string(owed),
                    overdue: cur.minor_to_string(overdue),
                    currency: cur.code().to_string(),
                    credit_limit: limit.map(|l| cur.minor_to_string(l)),
                    proposed_limit: cur.minor_to_string(proposed),
                    rule_code: c.rule_code,
                });
            }
            out
        };
        let refs = |p: &[SanctionProposal]| -> Vec<String> {
            p.iter().map(|x| x.customer.clone()).collect()
        };
        for d in [0, 3, 4, 7, 8].map(|n| as_of + chrono::Duration::days(n)) {
            for through in [true, false] {
                let wanted = one_by_one(&conn, d, through);
                let (got, total) = proposals(&conn, d, Lang::En, through, None).unwrap();
                assert_eq!(got, wanted, "{d} through the refresh {through}");
                assert_eq!(total, got.len());
                // A page is the first of them, with how many there are: walked by name
                // or read through the segment's index.
                for first in [0, 1, 5, total, total + 3] {
                    for walk_above in [0, i64::MAX] {
                        let page =
                            proposals_walking(&conn, d, Lang::En, through, Some(first), walk_above)
                                .unwrap();
                        assert_eq!(page.0, got[..first.min(total)], "first {first}");
                        assert_eq!(page.1, total);
                    }
                }
                // Read from the refresh where it serves (the day it was run).
                assert_eq!(
                    d == as_of,
                    kept_proposals(&conn, d, Lang::En, 5, 0).unwrap().is_some()
                );
                let shown = refs(&got);
                for (c, there) in [
                    (0, false),
                    (3, false),
                    (4, false),
                    (6, true),
                    (8, true),
                    (9, true),
                    (1, true),
                ] {
                    assert_eq!(shown.contains(&format!("C{c:05}")), there, "C{c:05} on {d}");
                }
                assert!(!shown.contains(&"LATE1".to_string()), "{d}");
                assert!(shown.contains(&"LATE2".to_string()), "{d}");
                // Paid in part; due on the third day, overdue from the fourth.
                let of = |r: &str| got.iter().find(|p| p.customer == r).expect(r);
                assert_eq!(of("C00012").owed, "72.12");
                let c11 = of("C00011");
                let overdue = if d > third { "126.11" } else { "71.11" };
                assert_eq!(
                    (c11.owed.as_str(), c11.overdue.as_str()),
                    ("126.11", overdue)
                );
                // "Later" holds a week.
                assert_eq!(
                    shown.contains(&"C00002".to_string()),
                    d >= as_of + chrono::Duration::days(7)
                );
            }
        }
        // The branches are reached: a limit under what is owed, an invoice not yet due.
        let got = sanctions(&conn, as_of, Lang::En).unwrap();
        assert_eq!(
            sanctions_page(&conn, as_of, Lang::En, 3).unwrap().proposals,
            got[..3]
        );
        assert!(got
            .iter()
            .any(|p| p.credit_limit.is_some() && p.proposed_limit != "0.00"));
        assert!(got.iter().any(|p| p.owed != p.overdue));
        // Today's page runs as many statements with 40 more customers at risk.
        let statements = |conn: &Connection| {
            let before = crate::store::sql::runs();
            let page = sanctions_page(conn, as_of, Lang::En, 5).unwrap();
            (crate::store::sql::runs() - before, page.total)
        };
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        let (fewer, total) = statements(&conn);
        for c in 70..110 {
            crate::customers::set_segment(
                &mut conn,
                &format!("C{c:05}"),
                Some("at_risk"),
                "test",
                as_of,
            )
            .unwrap();
        }
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        let (more, more_total) = statements(&conn);
        assert!(more_total >= total + 30, "{total} → {more_total}");
        assert_eq!(
            more, fewer,
            "statements for {total} and {more_total} at risk"
        );
        // By the thousand: three statements per chunk, the same answer for any chunk.
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM customers ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        let cur = crate::settings::default_currency(&conn).unwrap();
        let whole = (
            standing(&conn, &ids, FACTS_CHUNK).unwrap(),
            owed_sums(&conn, &ids, cur, as_of, FACTS_CHUNK).unwrap(),
        );
        assert_eq!(whole.0.len(), ids.len());
        assert!(whole.1.len() > 100, "{}", whole.1.len());
        for chunk in [1, 7, 120] {
            let before = crate::store::sql::runs();
            let read = (
                standing(&conn, &ids, chunk).unwrap(),
                owed_sums(&conn, &ids, cur, as_of, chunk).unwrap(),
            );
            assert_eq!(read, whole, "chunk {chunk}");
            let statements = crate::store::sql::runs() - before;
            assert_eq!(
                statements as usize,
                3 * ids.len().div_ceil(chunk),
                "chunk {chunk}"
            );
        }
        // On the refresh's day (the 40 customers put at risk above still marked) and
        // refreshed on three later days, with customers changed since: Today's page, read
        // from the refresh (walked by name or through the segment's index), is the derived
        // list's first rows, with its count.
        for (k, d) in [0, 3, 7, 8]
            .map(|n| as_of + chrono::Duration::days(n))
            .into_iter()
            .enumerate()
        {
            crate::daily::refresh_segments(&mut conn, d).unwrap();
            // Put at risk, on hold, paid, put aside ("later", holding past the days read).
            let c = 110 + k;
            crate::customers::set_segment(
                &mut conn,
                &format!("C{c:05}"),
                Some("at_risk"),
                "test",
                d,
            )
            .unwrap();
            set(
                &conn,
                "UPDATE customers SET on_hold = 1 WHERE reference = ?1",
                20 + k,
            );
            let paid = format!("customer_reference,date,amount\nC{:05},{d},10.00\n", 30 + k);
            import(&mut conn, crate::import::ImportKind::Payments, &paid);
            let c = 40 + k;
            let r = rule(&conn, d, &format!("C{c:05}"));
            aside(&mut conn, c, &r, false, d);
            let derived = proposals(&conn, d, Lang::En, false, None).unwrap().0;
            let total = derived.len();
            assert!(total > 20, "{total} on {d}");
            let shown = refs(&derived);
            assert!(shown.contains(&format!("C{:05}", 110 + k)), "{d}");
            assert!(!shown.contains(&format!("C{:05}", 40 + k)), "{d}");
            assert!(kept_proposals(&conn, d, Lang::En, 5, 0).unwrap().is_some());
            for first in [0, 1, 5, total - 1, total, total + 3] {
                for walk_above in [0, i64::MAX] {
                    let page = proposals_walking(&conn, d, Lang::En, true, Some(first), walk_above)
                        .unwrap();
                    assert_eq!(page.0, derived[..first.min(total)], "first {first} on {d}");
                    assert_eq!(page.1, total, "{d}");
                }
            }
        }
    }

    /// Today asks for as many proposals as "Show more" has reached: past 500 too (a bad
    /// day at a million invoices puts thousands at risk).
    #[test]
    fn today_has_every_proposal_it_asks_for() {
        let as_of = crate::test_support::day("2026-11-30");
        let mut conn = crate::test_support::busy_ledger(560, as_of);
        for c in 0..560 {
            let reference = format!("C{c:05}");
            crate::customers::set_segment(&mut conn, &reference, Some("at_risk"), "t", as_of)
                .unwrap();
        }
        crate::daily::refresh_segments(&mut conn, as_of).unwrap();
        let page = sanctions_page(&conn, as_of, Lang::En, 550).unwrap();
        assert_eq!((page.proposals.len(), page.total), (550, 560));
        let all = sanctions(&conn, as_of, Lang::En).unwrap();
        assert_eq!(page.proposals, all[..550]);
    }

    #[test]
    fn a_proposal_put_aside_comes_back_after_later_or_when_its_segment_or_rule_changes() {
        let mut conn = crate::open_in_memory().unwrap();
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let today = day("2026-11-22");
        crate::demo::load(&mut conn, today).unwrap();
        crate::daily::refresh_segments(&mut conn, today).unwrap();
        let ids = |c: &Connection, d| -> Vec<String> {
            sanctions(c, d, Lang::Fr)
                .unwrap()
                .into_iter()
                .map(|p| p.customer)
                .collect()
        };
        let first = sanctions(&conn, today, Lang::Fr).unwrap();
        let p = first
            .iter()
            .find(|p| p.customer == "TRAI12")
            .expect("TRAI12 at risk");
        // Later: a week aside, back on the eighth day.
        set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            false,
            "",
            Lang::Fr,
            today,
        )
        .unwrap();
        assert!(!ids(&conn, today).contains(&"TRAI12".to_string()));
        assert!(!ids(&conn, day("2026-11-28")).contains(&"TRAI12".to_string()));
        assert!(ids(&conn, day("2026-11-29")).contains(&"TRAI12".to_string()));
        // Ignored: a reason is required; then aside for good while nothing changes.
        assert!(set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            true,
            " ",
            Lang::Fr,
            today
        )
        .is_err());
        set_aside(
            &mut conn,
            "TRAI12",
            &p.rule_code,
            true,
            "Client historique",
            Lang::Fr,
            today,
        )
        .unwrap();
        assert!(!ids(&conn, day("2027-01-30")).contains(&"TRAI12".to_string()));
        let history = crate::journal::for_customer(
            &conn,
            crate::customers::id_by_ref(&conn, "c", "TRAI12").unwrap(),
            1,
        )
        .unwrap();
        assert_eq!(
            history[0].note,
            "Sanction proposée ignorée : Client historique"
        );
        // A new spell in the segment (they left it and came back): the proposal is back.
        conn.execute(
            "UPDATE customer_segments SET since = '2026-12-01' WHERE customer_id =
               (SELECT id FROM customers WHERE reference = 'TRAI12')",
            [],
        )
        .unwrap();
        assert!(ids(&conn, today).contains(&"TRAI12".to_string()));
    }

    /// The first customer (id and reference) whose segment the rule `code` gives on `on`.
    fn first_under_rule(conn: &Connection, on: chrono::NaiveDate, code: &str) -> (i64, String) {
        let c = all(conn, on, Lang::En)
            .unwrap()
            .into_iter()
            .find(|c| c.rule_code == code)
            .unwrap();
        (c.customer_id, c.customer)
    }

    /// Today reads the sanction proposals through the day's refresh and the customers marked
    /// since: each kind of fact a profile reads, written after the refresh, changes some
    /// customer's derived segment or rule, and the reading through the refresh still equals
    /// the derivation (the fact's trigger marked its customer). A setting the segments read
    /// makes the refresh stale: everything is derived again.
    #[test]
    fn every_fact_a_segment_reads_marks_its_customer_for_today() {
        let mut conn = crate::open_in_memory().unwrap();
        let today: chrono::NaiveDate = "2026-11-22".parse().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('ui_language', 'en')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
        assert_eq!(crate::settings::ui_language(&conn), Lang::En);
        let customer = |c: &Connection, r: &str| crate::customers::id_by_ref(c, "c", r).unwrap();
        let trai = customer(&conn, "TRAI12");
        // The customer with the most invoices paid who owes some still.
        let payer: i64 = conn
            .query_row(
                "SELECT customer_id FROM invoices WHERE paid_on IS NOT NULL AND customer_id IN
                   (SELECT customer_id FROM invoices WHERE settled_minor < total_minor)
                 GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // A customer a little late and never reminded.
        let (forgetful, _) = first_under_rule(&conn, today, "never_reminded");
        // An invoice of theirs with no history yet, which may be removed.
        let payer_ref = crate::customers::get(&conn, payer).unwrap().reference;
        crate::invoices::create(
            &conn,
            &crate::test_support::inv("X-DEL", &payer_ref, "2026-11-01", "2026-12-01", "100"),
            today,
        )
        .unwrap();
        let open_of = |c: &Connection, id: i64| -> i64 {
            c.query_row(
                "SELECT MIN(id) FROM invoices WHERE customer_id = ?1 AND settled_minor < total_minor",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        let facts: Vec<(&str, String)> = vec![
            (
                "due dates of paid invoices moved",
                format!("UPDATE invoices SET due_date = date(due_date, '-40 days') WHERE customer_id = {payer} AND paid_on IS NOT NULL"),
            ),
            (
                "a dispute opened",
                format!("INSERT INTO disputes (invoice_id, category, opened_on) VALUES ({}, 'other', '2026-11-20')", open_of(&conn, payer)),
            ),
            (
                "the dispute resolved",
                "UPDATE disputes SET resolved_on = '2026-11-21', resolution = 'rejected' WHERE resolved_on IS NULL".to_string(),
            ),
            (
                "a first reminder",
                format!("INSERT INTO journal (id, on_date, customer_id, kind, action) VALUES (9000, '2026-11-21', {forgetful}, 'action_done', 'reminder'); INSERT INTO journal_invoices (journal_id, invoice_id, step_offset) VALUES (9000, (SELECT MIN(id) FROM invoices WHERE customer_id = {forgetful}), 10)"),
            ),
            (
                "the reminder undone",
                format!("INSERT INTO journal (on_date, customer_id, kind, corrects_id) VALUES ('2026-11-21', {forgetful}, 'action_undone', 9000)"),
            ),
            (
                "a promise broken",
                format!("INSERT INTO promises (id, customer_id, made_on, promised_date, currency, amount_minor) VALUES (900, {payer}, '2026-10-01', '2026-10-05', 'EUR', 100); INSERT INTO promise_invoices (promise_id, invoice_id) VALUES (900, {})", open_of(&conn, payer)),
            ),
            (
                "a credit limit below what is owed",
                format!("UPDATE customers SET credit_limit_minor = (SELECT SUM(total_minor - settled_minor) FROM invoices WHERE customer_id = {payer}) - 1 WHERE id = {payer}"),
            ),
            (
                "an invoice removed (owed now within the limit)",
                "DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE number = 'X-DEL'); DELETE FROM invoices WHERE number = 'X-DEL'".to_string(),
            ),
            (
                "the owner's chosen segment",
                format!("INSERT INTO segment_overrides (customer_id, segment, reason, set_on) VALUES ({trai}, 'good_payer', 'Historique', '2026-11-21')"),
            ),
            (
                "the owner's choice changed",
                format!("UPDATE segment_overrides SET segment = 'slow_payer' WHERE customer_id = {trai}"),
            ),
            (
                "the owner's choice removed",
                format!("DELETE FROM segment_overrides WHERE customer_id = {trai}"),
            ),
            (
                "an invoice settled",
                format!("UPDATE invoices SET settled_minor = total_minor, paid_on = '2026-11-21' WHERE customer_id = {trai} AND settled_minor < total_minor"),
            ),
        ];
        let derived = |c: &Connection| -> Vec<(i64, Segment, String)> {
            all(c, today, Lang::En)
                .unwrap()
                .into_iter()
                .map(|s| (s.customer_id, s.segment, s.rule))
                .collect()
        };
        for (what, sql) in &facts {
            // A refresh of the day (as the next start would do): nobody marked.
            conn.execute("DELETE FROM segment_refresh", []).unwrap();
            crate::daily::refresh_segments(&mut conn, today).unwrap();
            let marked: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {}", marked_sql()), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(marked, 0, "{what}");
            assert_eq!(
                verify(&conn, today, Lang::En).unwrap(),
                Some(vec![]),
                "{what}"
            );
            let before = derived(&conn);
            conn.execute_batch(sql).unwrap();
            assert_ne!(
                derived(&conn),
                before,
                "{what}: the fact changes no segment"
            );
            assert_eq!(
                verify(&conn, today, Lang::En).unwrap(),
                Some(vec![]),
                "{what}"
            );
            assert_eq!(
                sanctions(&conn, today, Lang::En).unwrap(),
                sanctions_derived(&conn, today, Lang::En).unwrap(),
                "{what}"
            );
            let mut everyone = all(&conn, today, Lang::En).unwrap();
            everyone.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
            assert_eq!(current(&conn, today, Lang::En).unwrap(), everyone, "{what}");
        }
        // A threshold the rules read: the refresh no longer serves, Today derives.
        crate::daily::rebuild_segments(&mut conn, today).unwrap();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('segment_good_days', '1')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
        assert_eq!(Thresholds::of(&conn).unwrap().good_days, 1);
        assert_eq!(verify(&conn, today, Lang::En).unwrap(), None);
        // Read in another language than the refresh's: derived; compared in the refresh's.
        crate::daily::rebuild_segments(&mut conn, today).unwrap();
        assert!(!serves(&refresh_row(&conn).unwrap(), today, Lang::Fr));
        assert_eq!(verify(&conn, today, Lang::Fr).unwrap(), Some(vec![]));
        // A stored segment made wrong by hand is found.
        conn.execute(
            "UPDATE customer_segments SET segment = 'new', rule = 'by hand' WHERE customer_id = ?1",
            [trai],
        )
        .unwrap();
        let found = verify(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "customer TRAI12: segment stored “New” (by hand), derived “At risk” ("
            ),
            "{found:?}"
        );
    }

    /// The habits the dashboard's forecast reads through the day's refresh are the derived
    /// ones after every kind of fact a habit reads (migration 39's triggers mark its
    /// customer), a reminder marks no habit, and a habit stored wrong is found.
    #[test]
    fn every_fact_a_habit_reads_marks_its_customer() {
        use super::super::profile::{habits as derived_habits, Habits};
        let mut conn = crate::open_in_memory().unwrap();
        let today: chrono::NaiveDate = "2026-11-22".parse().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        let norm = |h: Habits| -> std::collections::BTreeMap<i64, (i64, String)> {
            h.iter()
                .map(|(id, v)| (*id, habits_row(Some(v))))
                .filter(|(_, v)| *v != (0, String::new()))
                .collect()
        };
        // The customer with the most invoices paid over the year, and another.
        let payer: i64 = conn
            .query_row(
                "SELECT customer_id FROM invoices WHERE paid_on > '2025-11-22'
                 GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let other = crate::customers::id_by_ref(&conn, "c", "TRAI12").unwrap();
        assert_ne!(payer, other);
        let facts: Vec<(&str, String)> = vec![
            (
                "due dates of paid invoices moved",
                format!("UPDATE invoices SET issue_date = date(issue_date, '-40 days'), due_date = date(due_date, '-40 days') WHERE customer_id = {payer} AND paid_on IS NOT NULL"),
            ),
            (
                "payments dated at month end",
                format!("UPDATE payments SET date = '2026-10-31' WHERE customer_id = {payer} AND date > '2025-11-22'"),
            ),
            (
                "ten payments on the 3rd",
                format!("INSERT INTO payments (customer_id, date, currency, amount_minor, method) VALUES ({other}, '2026-09-03', 'EUR', 100, 'transfer'), ({other}, '2026-10-03', 'EUR', 100, 'transfer'), ({other}, '2026-11-03', 'EUR', 100, 'transfer'), ({other}, '2026-08-03', 'EUR', 100, 'transfer'), ({other}, '2026-07-03', 'EUR', 100, 'transfer'), ({other}, '2026-06-03', 'EUR', 100, 'transfer'), ({other}, '2026-05-03', 'EUR', 100, 'transfer'), ({other}, '2026-04-03', 'EUR', 100, 'transfer'), ({other}, '2026-03-03', 'EUR', 100, 'transfer'), ({other}, '2026-02-03', 'EUR', 100, 'transfer')"),
            ),
            (
                "those payments removed",
                format!("DELETE FROM payments WHERE customer_id = {other} AND amount_minor = 100 AND date LIKE '%-03'"),
            ),
            (
                "a paid invoice moved to another customer",
                format!("UPDATE invoices SET customer_id = {other} WHERE id = (SELECT MAX(id) FROM invoices WHERE customer_id = {payer} AND paid_on > '2025-11-22')"),
            ),
            (
                "payments moved to another customer",
                format!("UPDATE payments SET customer_id = {other} WHERE customer_id = {payer}"),
            ),
            (
                "invoices settled later (their settlement dates)",
                format!("UPDATE invoices SET paid_on = date(paid_on, '+30 days') WHERE customer_id = {payer} AND paid_on > '2025-11-22' AND paid_on < '2026-10-01'"),
            ),
            (
                "paid invoices in another currency",
                format!("UPDATE invoices SET currency = 'USD' WHERE customer_id = {payer} AND paid_on > '2025-11-22'"),
            ),
        ];
        for (what, sql) in &facts {
            conn.execute("DELETE FROM segment_refresh", []).unwrap();
            crate::daily::refresh_segments(&mut conn, today).unwrap();
            let marked: i64 = conn
                .query_row("SELECT COUNT(*) FROM habits_dirty", [], |r| r.get(0))
                .unwrap();
            assert_eq!(marked, 0, "{what}");
            let before = norm(derived_habits(&conn, today).unwrap());
            assert_eq!(norm(habits(&conn, today).unwrap()), before, "{what}");
            conn.execute_batch(sql).unwrap();
            let now = norm(derived_habits(&conn, today).unwrap());
            assert_ne!(now, before, "{what}: the fact changes no habit");
            assert_eq!(norm(habits(&conn, today).unwrap()), now, "{what}");
            assert_eq!(
                verify_habits(&conn, today, Lang::En).unwrap(),
                Some(vec![]),
                "{what}"
            );
        }
        // A reminder journaled changes a segment's facts, not a habit: no habit marked.
        conn.execute("DELETE FROM segment_refresh", []).unwrap();
        crate::daily::refresh_segments(&mut conn, today).unwrap();
        conn.execute_batch(&format!("INSERT INTO journal (on_date, customer_id, kind, action) VALUES ('2026-11-21', {payer}, 'action_done', 'reminder')")).unwrap();
        let marked: i64 = conn
            .query_row("SELECT COUNT(*) FROM habits_dirty", [], |r| r.get(0))
            .unwrap();
        assert_eq!(marked, 0);
        // Another day: the stored habits no longer serve; derived.
        let tomorrow = today + chrono::Duration::days(1);
        assert_eq!(stored_habits(&conn, tomorrow).unwrap(), None);
        assert_eq!(verify_habits(&conn, tomorrow, Lang::En).unwrap(), None);
        // Many customers' segments changed (a day of reminders), none of their habits:
        // the dashboard reads the stored habits, and they are still compared.
        conn.execute(
            "INSERT INTO segment_dirty (customer_id) SELECT id FROM customers WHERE true
             ON CONFLICT DO NOTHING",
            [],
        )
        .unwrap();
        assert!(stored_habits(&conn, today).unwrap().is_some());
        assert_eq!(verify_habits(&conn, today, Lang::En).unwrap(), Some(vec![]));
        // A habit stored wrong is found, in both languages, and a rebuild mends it.
        conn.execute(
            "UPDATE customer_segments SET late_days = 999, pay_day = 'weekday:4'
             WHERE customer_id = ?1",
            [other],
        )
        .unwrap();
        let found = verify_habits(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "customer TRAI12: habits stored 999 days late (median), pays on Fridays, derived "
            ),
            "{found:?}"
        );
        let found = verify_habits(&conn, today, Lang::Fr).unwrap().unwrap();
        assert!(
            found[0].starts_with(
                "client TRAI12 : habitudes enregistrées 999 j de retard (médiane), paie le vendredi, calculées "
            ),
            "{found:?}"
        );
        crate::daily::rebuild_segments(&mut conn, today).unwrap();
        assert_eq!(verify_habits(&conn, today, Lang::En).unwrap(), Some(vec![]));
        assert_eq!(
            norm(habits(&conn, today).unwrap()),
            norm(derived_habits(&conn, today).unwrap())
        );
        // A rebuild mends the habits of a customer whose stored segment it keeps (their
        // segment is no longer the derived one), and marks one with no row to keep them in.
        let (keeper, keeper_habits) = norm(derived_habits(&conn, today).unwrap())
            .into_iter()
            .find(|(id, _)| *id != other)
            .unwrap();
        conn.execute_batch(&format!(
            "UPDATE customer_segments SET segment = CASE segment WHEN 'new' THEN 'at_risk' ELSE 'new' END,
                    late_days = 999, pay_day = '' WHERE customer_id = {keeper};
             DELETE FROM customer_segments WHERE customer_id = {other};"
        ))
        .unwrap();
        crate::daily::rebuild_segments(&mut conn, today).unwrap();
        let kept: (i64, String) = conn
            .query_row(
                "SELECT late_days, pay_day FROM customer_segments WHERE customer_id = ?1",
                [keeper],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, keeper_habits);
        let marked: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM habits_dirty WHERE customer_id = ?1",
                [other],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(marked, 1);
        assert_eq!(verify_habits(&conn, today, Lang::En).unwrap(), Some(vec![]));
        assert_eq!(
            norm(habits(&conn, today).unwrap()),
            norm(derived_habits(&conn, today).unwrap())
        );
        // Every code a refresh writes is read back as the pay day it was.
        for p in [
            super::super::profile::PayDay::MonthEnd,
            super::super::profile::PayDay::DayOfMonth(1),
            super::super::profile::PayDay::DayOfMonth(31),
            super::super::profile::PayDay::Weekday(0),
            super::super::profile::PayDay::Weekday(6),
        ] {
            assert_eq!(super::super::profile::PayDay::from_code(&p.code()), Some(p));
        }
        for bad in ["", "day:0", "day:32", "weekday:7", "month", "day:x"] {
            assert_eq!(super::super::profile::PayDay::from_code(bad), None, "{bad}");
        }
    }

    /// Each trigger of migration 37 marks the customer its row concerns, including the rows
    /// no rule shows alone (a payment's date feeds the pay day; an allocation settles through
    /// its invoice), and a setting the segments read forgets the refresh. A promise stays its
    /// maker's: an invoice it names moved to another customer and settled marks the maker.
    #[test]
    fn each_kind_of_row_a_profile_reads_marks_its_customer() {
        let mut conn = crate::open_in_memory().unwrap();
        let today: chrono::NaiveDate = "2026-11-22".parse().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        let id = |c: &Connection, r: &str| crate::customers::id_by_ref(c, "c", r).unwrap();
        let (a, b) = (id(&conn, "TRAI12"), id(&conn, "HOTL03"));
        let open_of = |c: &Connection, who: i64| -> i64 {
            c.query_row(
                "SELECT MIN(id) FROM invoices WHERE customer_id = ?1 AND settled_minor < total_minor
                   AND issued = 0",
                [who],
                |r| r.get(0),
            )
            .unwrap()
        };
        let (ia, ib) = (open_of(&conn, a), open_of(&conn, b));
        // A reminder done (an entry a profile reads).
        conn.execute(
            "INSERT INTO journal (id, on_date, customer_id, kind, action)
             VALUES (9050, '2026-11-20', ?1, 'action_done', 'reminder')",
            [a],
        )
        .unwrap();
        let journal_of_a = 9050;
        let rows: Vec<(&str, String, Vec<i64>)> = vec![
            ("a payment", format!("INSERT INTO payments (id, customer_id, date, currency, amount_minor, method) VALUES (9100, {a}, '2026-11-20', 'EUR', 500, 'transfer')"), vec![a]),
            ("a payment's date", "UPDATE payments SET date = '2026-11-19' WHERE id = 9100".into(), vec![a]),
            ("a payment removed", "DELETE FROM payments WHERE id = 9100".into(), vec![a]),
            ("a promise", format!("INSERT INTO promises (id, customer_id, made_on, promised_date, currency, amount_minor) VALUES (9100, {a}, '2026-11-20', '2026-11-30', 'EUR', 100)"), vec![a]),
            ("its invoice", format!("INSERT INTO promise_invoices (promise_id, invoice_id) VALUES (9100, {ia})"), vec![a]),
            ("the promise changed", "UPDATE promises SET note = 'x' WHERE id = 9100".into(), vec![a]),
            ("a dispute", format!("INSERT INTO disputes (id, invoice_id, category, opened_on) VALUES (9100, {ib}, 'other', '2026-11-20')"), vec![b]),
            ("the dispute removed", "DELETE FROM disputes WHERE id = 9100".into(), vec![b]),
            ("an entry's invoice", format!("INSERT INTO journal_invoices (journal_id, invoice_id) VALUES ({journal_of_a}, {ia})"), vec![a]),
            ("that invoice taken off the entry", format!("DELETE FROM journal_invoices WHERE journal_id = {journal_of_a} AND invoice_id = {ia}"), vec![a]),
            ("an entry naming another customer's invoice", format!("INSERT INTO journal_invoices (journal_id, invoice_id) VALUES ({journal_of_a}, {ib})"), vec![a, b]),
            ("another customer's invoice taken off the entry", format!("DELETE FROM journal_invoices WHERE journal_id = {journal_of_a} AND invoice_id = {ib}"), vec![a, b]),
            ("the promised invoice moved, then paid by its new customer", format!("UPDATE invoices SET customer_id = {b} WHERE id = {ia}; INSERT INTO payments (id, customer_id, date, currency, amount_minor, method) VALUES (9101, {b}, '2026-11-21', 'EUR', 100, 'transfer')"), vec![a, b]),
            ("an allocation", format!("INSERT INTO allocations (id, payment_id, invoice_id, amount_minor, date) VALUES (9101, 9101, {ia}, 100, '2026-11-21')"), vec![a, b]),
            ("the allocation removed", "DELETE FROM allocations WHERE id = 9101".into(), vec![a, b]),
            ("the promise's invoice taken off", format!("DELETE FROM promise_invoices WHERE promise_id = 9100 AND invoice_id = {ia}"), vec![a]),
            ("the promise removed", "DELETE FROM promises WHERE id = 9100".into(), vec![a]),
            ("a customer", "INSERT INTO customers (id, reference, name, kind, language) VALUES (9100, 'NEW91', 'Nouveau client', 'business', 'fr')".into(), vec![9100]),
        ];
        let marked_in = |c: &Connection, table: &str| -> Vec<i64> {
            c.prepare(&format!(
                "SELECT customer_id FROM {table} ORDER BY customer_id"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap()
        };
        let marked = |c: &Connection| {
            marked_in(
                c,
                "(SELECT customer_id FROM segment_dirty
                  UNION SELECT customer_id FROM segment_reminded) m",
            )
        };
        let unmark = |c: &Connection| {
            c.execute_batch("DELETE FROM segment_dirty; DELETE FROM segment_reminded;")
                .unwrap()
        };
        for (what, sql, who) in &rows {
            unmark(&conn);
            conn.execute_batch(sql).unwrap();
            let now = marked(&conn);
            for w in who {
                assert!(now.contains(w), "{what}: {w} not marked ({now:?})");
            }
            // A reminder's entry marks its customer among the reminded only (migration 44):
            // the sanction proposals do not compute them again. Naming another customer's
            // invoice (moved since), it marks that customer with every other fact, the
            // reminder counting for the invoice's customer (migration 52).
            let reminder = what.contains("entry");
            let dirty = marked_in(&conn, "segment_dirty");
            match (reminder, what.contains("another customer")) {
                (true, true) => assert_eq!(dirty, vec![b], "{what}"),
                (true, false) => assert_eq!(dirty, Vec::<i64>::new(), "{what}"),
                (false, _) => assert!(!dirty.is_empty(), "{what}"),
            }
        }
        unmark(&conn);
        conn.execute(
            "INSERT INTO journal (on_date, customer_id, kind, action)
             VALUES ('2026-11-21', ?1, 'action_done', 'reminder')",
            [b],
        )
        .unwrap();
        assert_eq!(marked_in(&conn, "segment_reminded"), vec![b]);
        assert_eq!(marked_in(&conn, "segment_dirty"), Vec::<i64>::new());
        // The journal entries a profile does not read mark nobody (a day of bulk skips and
        // snoozes would make Today derive every customer touched again).
        for (id, (what, kind)) in (9300..).zip([
            ("a skip", "action_skipped"),
            ("a snooze", "action_snoozed"),
            ("a note", "note"),
            ("a promise's entry", "promise_made"),
        ]) {
            unmark(&conn);
            conn.execute_batch(&format!(
                "INSERT INTO journal (id, on_date, customer_id, kind, action)
                 VALUES ({id}, '2026-11-21', {a}, '{kind}', 'reminder');
                 INSERT INTO journal_invoices (journal_id, invoice_id, step_offset)
                 VALUES ({id}, {ia}, 10);
                 DELETE FROM journal_invoices WHERE journal_id = {id};"
            ))
            .unwrap();
            assert_eq!(marked(&conn), Vec::<i64>::new(), "{what}");
        }
        // The settings the segments read: added, changed, removed, each forgets the refresh.
        for (what, sql) in [
            (
                "added",
                "INSERT INTO settings (key, value) VALUES ('segment_trend_days', '20')",
            ),
            (
                "changed",
                "UPDATE settings SET value = '21' WHERE key = 'segment_trend_days'",
            ),
            (
                "removed",
                "DELETE FROM settings WHERE key = 'segment_trend_days'",
            ),
        ] {
            crate::daily::rebuild_segments(&mut conn, today).unwrap();
            assert!(refresh_row(&conn).unwrap().is_some(), "{what}");
            conn.execute_batch(sql).unwrap();
            assert_eq!(refresh_row(&conn).unwrap(), None, "a setting {what}");
        }
        // Another setting leaves it.
        crate::daily::rebuild_segments(&mut conn, today).unwrap();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('company_name', 'Autre')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
        assert!(refresh_row(&conn).unwrap().is_some());
    }

    /// A day's reminders (every open invoice of every customer reminded, first reminders
    /// among them, then one undone and one dated the day before) mark their customers among
    /// the reminded only: Today's sanction proposals read every stored segment and are the
    /// derived ones; every customer's segment is computed again only for those reminded
    /// under a rule reading reminders by a reminder that may move them (the others' words
    /// only, for the rows read); `relance check` still compares the stored segment of a
    /// customer reminded when it is, or is derived, at risk, and of one whose reminders
    /// cannot move them.
    #[test]
    fn a_days_reminders_leave_the_customers_at_risk_as_they_were() {
        let mut conn = crate::open_in_memory().unwrap();
        let today: chrono::NaiveDate = "2026-11-22".parse().unwrap();
        crate::demo::load(&mut conn, today).unwrap();
        crate::daily::refresh_segments(&mut conn, today).unwrap();
        // The readings in the language the refresh wrote (in another, they derive).
        let lang = crate::settings::ui_language(&conn);
        let at_risk_before = sanctions_derived(&conn, today, lang).unwrap();
        assert!(!at_risk_before.is_empty());
        let segments_before = all(&conn, today, lang).unwrap();
        let open: Vec<(i64, i64)> = conn
            .prepare(
                "SELECT id, customer_id FROM invoices WHERE settled_minor < total_minor ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<crate::store::sql::Result<_>>()
            .unwrap();
        for (k, (invoice, customer)) in open.iter().enumerate() {
            let id = 9_000 + k as i64;
            conn.execute_batch(&format!(
                "INSERT INTO journal (id, on_date, customer_id, kind, action)
                 VALUES ({id}, '2026-11-22', {customer}, 'action_done', 'reminder');
                 INSERT INTO journal_invoices (journal_id, invoice_id, step_offset)
                 VALUES ({id}, {invoice}, 10);"
            ))
            .unwrap();
        }
        let rule_of = |id: i64| -> String {
            conn.query_row(
                "SELECT rule_code FROM customer_segments WHERE customer_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        // Reminders dated the refresh's day on open invoices of their customers move no
        // segment (migration 52): no reading computes a reminded customer again, and every
        // reading is the derivation's, rule's words included ("never reminded" became
        // "reminded today").
        assert_eq!(marked(&conn, None).unwrap(), Some(vec![]));
        let under_rules: Vec<i64> = open
            .iter()
            .map(|(_, c)| *c)
            .filter(|c| REMINDER_RULES.contains(&rule_of(*c).as_str()))
            .collect();
        assert!(!under_rules.is_empty());
        let derived = |conn: &Connection| {
            let mut v = all(conn, today, lang).unwrap();
            v.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
            v
        };
        let words_changed = derived(&conn);
        assert_ne!(words_changed, {
            let mut v = segments_before.clone();
            v.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
            v
        });
        assert_eq!(current(&conn, today, lang).unwrap(), words_changed);
        // Through the refresh indeed, the stored segments kept and the words of those
        // reminded computed again (not derived whole for want of it).
        let Read { mut rows, stale } = through_the_refresh(&conn, today, lang, None)
            .unwrap()
            .unwrap();
        assert!(stale.contains(&under_rules[0]), "{stale:?}");
        rows.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
        assert_eq!(
            words(&conn, today, lang, &mut rows, &stale).unwrap(),
            Some(())
        );
        assert_eq!(rows, words_changed);
        // Each segment's page read from the refresh, walking the customers by name or
        // reading the segment whole, is the derivation's.
        let pages_are_derived = |conn: &Connection, everyone: &[CustomerSegment]| {
            for segment in Segment::ALL {
                let of: Vec<CustomerSegment> = everyone
                    .iter()
                    .filter(|c| c.segment == segment)
                    .cloned()
                    .collect();
                for (offset, count) in [(0, 500), (1, 2), (of.len().saturating_sub(1), 3)] {
                    for walk_above in [0, i64::MAX] {
                        let page =
                            kept_page(conn, today, lang, segment, (offset, count), walk_above)
                                .unwrap()
                                .unwrap();
                        let want: Vec<CustomerSegment> =
                            of.iter().skip(offset).take(count).cloned().collect();
                        assert_eq!(page, (want, of.len()), "{segment:?} {offset} {walk_above}");
                    }
                }
            }
        };
        pages_are_derived(&conn, &words_changed);
        assert_eq!(verify(&conn, today, Lang::En).unwrap(), Some(vec![]));
        // A customer reminded by reminders that cannot move them: their stored words are
        // not read (every reading computes them again), their stored segment is, and
        // `relance check` compares it.
        let safe = under_rules[0];
        let (segment, rule): (String, String) = conn
            .query_row(
                "SELECT segment, rule FROM customer_segments WHERE customer_id = ?1",
                [safe],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        conn.execute(
            "UPDATE customer_segments SET rule = 'stale words' WHERE customer_id = ?1",
            [safe],
        )
        .unwrap();
        assert_eq!(current(&conn, today, lang).unwrap(), words_changed);
        assert_eq!(verify(&conn, today, Lang::En).unwrap(), Some(vec![]));
        conn.execute(
            "UPDATE customer_segments SET segment = CASE segment WHEN 'forgetful'
                 THEN 'slow_payer' ELSE 'forgetful' END WHERE customer_id = ?1",
            [safe],
        )
        .unwrap();
        let found = verify(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        // A reading that finds it derives everyone.
        assert_eq!(current(&conn, today, lang).unwrap(), words_changed);
        conn.execute(
            "UPDATE customer_segments SET segment = ?2, rule = ?3 WHERE customer_id = ?1",
            crate::store::sql::params![safe, segment, rule],
        )
        .unwrap();
        // An undoing, and a call dated three weeks before (unanswered longer than the
        // threshold: a slow payer now), may move their customer.
        conn.execute(
            "INSERT INTO journal (on_date, customer_id, kind, corrects_id)
             VALUES ('2026-11-22', ?1, 'action_undone', 9000)",
            [open[0].1],
        )
        .unwrap();
        let late = under_rules[under_rules.len() - 1];
        let invoice = open.iter().find(|(_, c)| *c == late).unwrap().0;
        conn.execute_batch(&format!(
            "INSERT INTO journal (id, on_date, customer_id, kind, action)
             VALUES (8999, '2026-11-01', {late}, 'call', 'call');
             INSERT INTO journal_invoices (journal_id, invoice_id, step_offset)
             VALUES (8999, {invoice}, 0);"
        ))
        .unwrap();
        // The segments no rule reading reminders reaches compute no reminded customer again.
        for segment in Segment::ALL {
            if !REMINDER_SEGMENTS.contains(&segment) {
                assert_eq!(marked(&conn, Some(segment)).unwrap(), Some(vec![]));
            }
        }
        // Every customer's segment computes again only those whose stored rule reads
        // reminders and whose reminders may move them; the others keep theirs word for word.
        let again = marked(&conn, None).unwrap().unwrap();
        assert!(again.contains(&late), "{again:?}");
        for id in &again {
            assert!(REMINDER_RULES.contains(&rule_of(*id).as_str()), "{id}");
            assert!([late, open[0].1].contains(id), "{id}");
        }
        let kept_reminded: Vec<i64> = open
            .iter()
            .map(|(_, c)| *c)
            .filter(|c| !again.contains(c))
            .collect();
        assert!(!kept_reminded.is_empty());
        // Some rule did change (a first reminder), none into or out of the customers at risk.
        let segments_after = all(&conn, today, lang).unwrap();
        assert_ne!(segments_after, segments_before);
        let at_risk = |v: &[CustomerSegment]| -> Vec<CustomerSegment> {
            v.iter()
                .filter(|c| c.segment == Segment::AtRisk)
                .cloned()
                .collect()
        };
        assert_eq!(at_risk(&segments_after), at_risk(&segments_before));
        assert_eq!(
            sanctions(&conn, today, lang).unwrap(),
            sanctions_derived(&conn, today, lang).unwrap()
        );
        let mut everyone = segments_after;
        everyone.sort_by_key(|c| (c.customer_name.clone(), c.customer_id));
        let segment_of = |v: &[CustomerSegment], id: i64| {
            v.iter().find(|c| c.customer_id == id).unwrap().segment
        };
        assert_eq!(segment_of(&words_changed, late), Segment::Forgetful);
        assert_eq!(segment_of(&everyone, late), Segment::SlowPayer);
        assert_eq!(current(&conn, today, lang).unwrap(), everyone);
        pages_are_derived(&conn, &everyone);
        // Each segment's page, read past the reminded customers outside REMINDER_SEGMENTS, is
        // the derivation's (the reminded moved among REMINDER_SEGMENTS only).
        for segment in Segment::ALL {
            let page = in_segment(&conn, today, lang, segment, 0, 500).unwrap();
            let derived: Vec<CustomerSegment> = everyone
                .iter()
                .filter(|c| c.segment == segment)
                .cloned()
                .collect();
            assert_eq!(page.total, derived.len(), "{segment:?}");
            assert_eq!(page.rows, derived, "{segment:?}");
        }
        assert!(everyone
            .iter()
            .any(|c| !REMINDER_SEGMENTS.contains(&c.segment)));
        assert_eq!(verify(&conn, today, Lang::En).unwrap(), Some(vec![]));
        // A reminded customer's stored segment at risk, made wrong by hand, is found.
        let reminded = at_risk_before[0].customer_id;
        conn.execute(
            "UPDATE customer_segments SET rule = 'by hand' WHERE customer_id = ?1",
            [reminded],
        )
        .unwrap();
        let found = verify(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("(by hand)"), "{found:?}");
        // So is one of a reminded customer kept for their rule reading no reminder.
        let good = kept_reminded
            .iter()
            .copied()
            .find(|c| {
                rule_of(*c) != "over_limit" && !at_risk_before.iter().any(|a| a.customer_id == *c)
            })
            .unwrap();
        let good_rule: String = conn
            .query_row(
                "SELECT rule FROM customer_segments WHERE customer_id = ?1",
                [good],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "UPDATE customer_segments SET rule = 'by hand too' WHERE customer_id = ?1",
            [good],
        )
        .unwrap();
        let found = verify(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().any(|f| f.contains("(by hand too)")),
            "{found:?}"
        );
        conn.execute(
            "UPDATE customer_segments SET rule = ?2 WHERE customer_id = ?1",
            crate::store::sql::params![good, good_rule],
        )
        .unwrap();
        // However many are reminded (a day's work at a million invoices), the proposals read
        // their stored segments, and `relance check` compares them all the same.
        conn.execute_batch(&format!(
            "INSERT INTO segment_reminded (customer_id)
             WITH RECURSIVE n(x) AS (SELECT 1000000 UNION ALL SELECT x + 1 FROM n
                                     WHERE x < {})
             SELECT x FROM n WHERE true ON CONFLICT DO NOTHING",
            1_000_000 + CHANGED_AT_MOST
        ))
        .unwrap();
        assert_eq!(marked(&conn, None).unwrap(), None);
        let found = verify(&conn, today, Lang::En).unwrap().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    /// `customers` (a lower floor) keeps its own list of the codes an owner may choose: it
    /// must name exactly these segments, in this order, and each code must read back.
    #[test]
    fn the_codes_an_owner_may_choose_are_the_segments() {
        assert_eq!(
            Segment::ALL.map(Segment::code),
            crate::customers::SEGMENT_CODES
        );
        for s in Segment::ALL {
            assert_eq!(Segment::from_code(s.code()), Some(s));
        }
        assert_eq!(Segment::from_code("gone"), None);
    }

    fn profile(paid: i64, weighted: &str, after_reminder: Option<i64>) -> Profile {
        Profile {
            customer: "C".into(),
            customer_name: "C".into(),
            customer_id: 1,
            currency: "EUR".into(),
            invoices: paid,
            billed: "0.00".into(),
            paid_invoices: paid,
            weighted_days_late: Some(weighted.into()),
            median_days_late: None,
            on_time_share: None,
            overdue: "0.00".into(),
            outstanding: "0.00".into(),
            pay_day: None,
            pay_day_text: None,
            delay_after_reminder: after_reminder,
            reminders_sent: i64::from(after_reminder.is_some()),
            unanswered_reminder_days: None,
            promises_kept: 0,
            promises_broken: 0,
            disputes: 0,
            disputes_open: 0,
            trend_recent: None,
            trend_before: None,
            dso: None,
            sources: Sources::default(),
        }
    }

    /// A customer a little late and never reminded gets a first reminder: they stay
    /// forgetful while its days run, become a slow payer the day after they have run out
    /// unpaid, and forgetful again ("pays when reminded") once that invoice is paid within
    /// them. (A first reminder made a slow payer of them the day it was sent: "does not pay
    /// within 7 days of a reminder" on the day of the reminder.)
    #[test]
    fn a_first_reminder_makes_no_slow_payer_before_its_days_have_run_out() {
        let mut conn = crate::open_in_memory().unwrap();
        let today = crate::test_support::day("2026-11-22");
        crate::demo::load(&mut conn, today).unwrap();
        let n = Thresholds::of(&conn).unwrap().forgetful_days;
        let of = |c: &Connection, id: i64, on: chrono::NaiveDate| {
            let s = all(c, on, Lang::En)
                .unwrap()
                .into_iter()
                .find(|s| s.customer_id == id)
                .unwrap();
            (s.segment, s.rule_code, s.rule)
        };
        let (forgetful, reference) = first_under_rule(&conn, today, "never_reminded");
        // An invoice of theirs overdue since the 10th, reminded today.
        let number = "X-REM".to_string();
        crate::invoices::create(
            &conn,
            &crate::test_support::inv(&number, &reference, "2026-10-10", "2026-11-10", "1200"),
            today,
        )
        .unwrap();
        let (invoice, owed): (i64, i64) = conn
            .query_row(
                "SELECT id, total_minor FROM invoices WHERE number = ?1",
                [&number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let (segment, code, _) = of(&conn, forgetful, today);
        assert_eq!(
            (segment, code.as_str()),
            (Segment::Forgetful, "never_reminded")
        );
        conn.execute_batch(&format!(
            "INSERT INTO journal (id, on_date, customer_id, kind, action) VALUES (9000, '{today}', {forgetful}, 'action_done', 'reminder');
             INSERT INTO journal_invoices (journal_id, invoice_id, step_offset) VALUES (9000, {invoice}, 10)"
        ))
        .unwrap();
        let (segment, code, rule) = of(&conn, forgetful, today);
        assert_eq!(
            (segment, code.as_str()),
            (Segment::Forgetful, "reminder_pending")
        );
        assert!(
            rule.ends_with(&format!("reminded today: waiting {n} days")),
            "{rule}"
        );
        let on = |days: i64| today + chrono::Duration::days(days);
        let (segment, code, rule) = of(&conn, forgetful, on(n));
        assert_eq!(
            (segment, code.as_str()),
            (Segment::Forgetful, "reminder_pending")
        );
        assert!(
            rule.ends_with(&format!(
                "reminded {n} days ago: not yet {n} days without paying"
            )),
            "{rule}"
        );
        let (segment, code, _) = of(&conn, forgetful, on(n + 1));
        assert_eq!(
            (segment, code.as_str()),
            (Segment::SlowPayer, "slow_after_reminder")
        );
        // Paid 3 days after the reminder: that invoice answered it.
        crate::invoices::payments::record(
            &mut conn,
            &crate::invoices::payments::PaymentInput {
                customer: reference,
                date: on(3).to_string(),
                amount: crate::money::Currency::EUR.minor_to_string(owed),
                allocations: vec![crate::invoices::payments::AllocationInput {
                    invoice: number,
                    amount: crate::money::Currency::EUR.minor_to_string(owed),
                }],
                ..Default::default()
            },
        )
        .unwrap();
        let (segment, code, rule) = of(&conn, forgetful, on(n + 1));
        assert_eq!(
            (segment, code.as_str()),
            (Segment::Forgetful, "pays_when_reminded")
        );
        assert!(
            rule.contains("pays 3 days after the first reminder"),
            "{rule}"
        );
    }

    /// The family: a rule that judges how a customer answers reminders speaks only once a
    /// reminder's days have run out. For any profile with nothing paid after a reminder, a
    /// reminder left unpaid at most `forgetful_days` gives the segment the customer had
    /// never reminded; one left unpaid longer gives the same or Slow payer.
    #[test]
    fn a_reminder_still_running_never_moves_a_segment() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let t = Thresholds::default();
        let drawn = (
            0i64..8,
            0u32..600,
            prop::option::of((0u32..600, 0u32..600)),
            0i64..2,
            0i64..2,
            any::<bool>(),
            1i64..4,
            0i64..30,
        );
        runner
            .run(
                &drawn,
                |(paid, tenths, trend, broken, disputes, over, sent, waited)| {
                    let tenth = |x: u32| format!("{}.{}", x / 10, x % 10);
                    let mut never = profile(paid, &tenth(tenths), None);
                    never.reminders_sent = 0;
                    never.trend_recent = trend.map(|(r, _)| tenth(r));
                    never.trend_before = trend.map(|(_, b)| tenth(b));
                    never.promises_broken = broken;
                    never.disputes_open = disputes;
                    let mut reminded = never.clone();
                    reminded.reminders_sent = sent;
                    reminded.unanswered_reminder_days = Some(waited);
                    let before = segment_of(&never, over, t, Lang::En).segment;
                    let after = segment_of(&reminded, over, t, Lang::En).segment;
                    if waited <= t.forgetful_days {
                        prop_assert_eq!(after, before);
                    } else {
                        prop_assert!(after == before || after == Segment::SlowPayer);
                    }
                    Ok(())
                },
            )
            .unwrap();
    }

    /// The family behind reading a reminded customer's stored segment: whatever their
    /// reminder figures become (how many reminded, how long from a reminder to a payment,
    /// how long unpaid), a customer whose rule is not one of [`REMINDER_RULES`] keeps their
    /// segment and rule word for word, and one whose rule is stays among them, in
    /// [`REMINDER_SEGMENTS`]; a reminder of the day on an open invoice moves no segment.
    #[test]
    fn reminders_move_only_the_rules_that_read_them() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 1024,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let t = Thresholds::default();
        let reminders = (
            0i64..4,
            prop::option::of(0i64..30),
            prop::option::of(0i64..30),
        );
        let drawn = (
            0i64..8,
            0u32..600,
            prop::option::of((0u32..600, 0u32..600)),
            0i64..2,
            0i64..2,
            any::<bool>(),
            reminders.clone(),
            reminders,
            0i64..=90,
        );
        runner
            .run(
                &drawn,
                |(paid, tenths, trend, broken, disputes, over, before, after, n)| {
                    let t = Thresholds {
                        forgetful_days: n,
                        ..t
                    };
                    let tenth = |x: u32| format!("{}.{}", x / 10, x % 10);
                    let mut p = profile(paid, &tenth(tenths), None);
                    p.trend_recent = trend.map(|(r, _)| tenth(r));
                    p.trend_before = trend.map(|(_, b)| tenth(b));
                    p.promises_broken = broken;
                    p.disputes_open = disputes;
                    let with = |(sent, delay, waited): (i64, Option<i64>, Option<i64>)| {
                        let mut q = p.clone();
                        q.reminders_sent = sent;
                        q.delay_after_reminder = delay;
                        q.unanswered_reminder_days = waited;
                        segment_of(&q, over, t, Lang::Fr)
                    };
                    let (was, is) = (with(before), with(after));
                    let reads = |s: &Segmented| REMINDER_RULES.contains(&s.rule_code.as_str());
                    prop_assert_eq!(reads(&was), reads(&is));
                    for s in [&was, &is].into_iter().filter(|s| reads(s)) {
                        prop_assert!(REMINDER_SEGMENTS.contains(&s.segment), "{:?}", s);
                    }
                    if !reads(&was) {
                        prop_assert_eq!(&was, &is);
                    }
                    // A reminder dated the day on an open invoice (migration 52: not in
                    // `segment_reminder_moves`): one more reminder sent, an unanswered one of 0 days, the same
                    // delay to a payment. The segment stays; only the words may change.
                    let (sent, delay, waited) = before;
                    let today = with((sent + 1, delay, Some(waited.unwrap_or(0))));
                    prop_assert_eq!(today.segment, was.segment, "{:?} -> {:?}", was, today);
                    Ok(())
                },
            )
            .unwrap();
    }

    #[test]
    fn rules_in_order_with_the_rule_that_fired() {
        let t = Thresholds::default();
        let seg = |p: &Profile| segment_of(p, false, t, Lang::En).segment;
        assert_eq!(seg(&profile(2, "0.0", None)), Segment::New);
        assert_eq!(seg(&profile(5, "5.0", None)), Segment::GoodPayer);
        assert_eq!(seg(&profile(5, "12.0", Some(4))), Segment::Forgetful);
        assert_eq!(seg(&profile(5, "12.0", Some(20))), Segment::SlowPayer);
        // Between the thresholds and never reminded: not "does not pay after a reminder";
        // reminded and still unpaid longer than the threshold: slow; reminded more recently:
        // not yet (the day of a first reminder does not make a slow payer).
        assert_eq!(seg(&profile(5, "6.0", None)), Segment::Forgetful);
        let mut reminded = profile(5, "6.0", None);
        reminded.reminders_sent = 2;
        for (waited, segment, code) in [
            (None, Segment::Forgetful, "reminder_pending"),
            (Some(0), Segment::Forgetful, "reminder_pending"),
            (
                Some(t.forgetful_days),
                Segment::Forgetful,
                "reminder_pending",
            ),
            (
                Some(t.forgetful_days + 1),
                Segment::SlowPayer,
                "slow_after_reminder",
            ),
        ] {
            reminded.unanswered_reminder_days = waited;
            let s = segment_of(&reminded, false, t, Lang::En);
            assert_eq!(
                (s.segment, s.rule_code.as_str()),
                (segment, code),
                "{waited:?}"
            );
        }
        reminded.unanswered_reminder_days = Some(3);
        assert_eq!(
            segment_of(&reminded, false, t, Lang::Fr).rule,
            format!(
                "6,0 j de retard, relancé il y a 3 j : pas encore {} j sans paiement",
                t.forgetful_days
            )
        );
        // What was paid after a reminder says more than a reminder still running.
        let mut paid_slowly = profile(5, "6.0", Some(t.forgetful_days + 5));
        paid_slowly.unanswered_reminder_days = Some(0);
        assert_eq!(seg(&paid_slowly), Segment::SlowPayer);
        assert_eq!(seg(&profile(5, "30.0", Some(1))), Segment::SlowPayer);
        let mut p = profile(5, "1.0", None);
        p.promises_broken = 1;
        assert_eq!(seg(&p), Segment::AtRisk);
        p.disputes_open = 1;
        let s = segment_of(&p, false, t, Lang::Fr);
        assert_eq!(
            (s.segment, s.rule.as_str()),
            (Segment::InDispute, "1 litige en cours")
        );
        let mut q = profile(5, "10.0", Some(2));
        q.trend_recent = Some("40.0".into());
        q.trend_before = Some("10.0".into());
        assert_eq!(seg(&q), Segment::AtRisk);
        assert_eq!(
            segment_of(&profile(5, "1.0", None), true, t, Lang::En).segment,
            Segment::AtRisk
        );
        // On the demo, every customer gets a segment and its rule; thresholds are settings.
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, crate::test_support::day("2026-11-22")).unwrap();
        let all = all(&conn, crate::test_support::day("2026-11-22"), Lang::Fr).unwrap();
        assert_eq!(all.len(), 25);
        // By segment: the same grand total, each segment's line the sum of its customers'.
        let by = aged_by_segment(
            &conn,
            crate::test_support::day("2026-11-22"),
            None,
            Lang::Fr,
        )
        .unwrap();
        let plain =
            crate::views::aged::aged_balance(&conn, crate::test_support::day("2026-11-22"), None)
                .unwrap();
        assert_eq!(by.totals, plain.totals);
        let c = |s: &str| {
            crate::money::Currency::EUR
                .to_minor(s.parse().unwrap(), "x")
                .unwrap()
        };
        assert_eq!(
            by.rows.iter().map(|r| c(&r.total)).sum::<i64>(),
            c(&plain.totals.total)
        );
        assert!(all.iter().all(|c| !c.rule.is_empty()));
        let e = crate::settings::set(&conn, "segment_good_days", "40").unwrap_err();
        assert!(e.message(Lang::Fr).contains("Seuils incohérents"), "{e:?}");
        crate::settings::set(&conn, "segment_slow_days", "60").unwrap();
        crate::settings::set(&conn, "segment_good_days", "40").unwrap();
        assert_eq!(Thresholds::of(&conn).unwrap().good_days, 40);
        // The owner's choice wins, with its reason; without a reason it is refused; "rules"
        // gives the customer back to the rules. Each is in the history.
        let e = crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            Some("at_risk"),
            " ",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("reason"));
        crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            Some("at_risk"),
            "Changement de gérant",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap();
        let s = of_customer(
            &conn,
            "BOUL01",
            crate::test_support::day("2026-11-22"),
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(
            (s.segment, s.rule.as_str()),
            (Segment::AtRisk, "choisi par vous : Changement de gérant")
        );
        crate::customers::set_segment(
            &mut conn,
            "BOUL01",
            None,
            "",
            crate::test_support::day("2026-11-22"),
        )
        .unwrap();
        assert_ne!(
            of_customer(
                &conn,
                "BOUL01",
                crate::test_support::day("2026-11-22"),
                Lang::Fr
            )
            .unwrap()
            .segment,
            Segment::AtRisk
        );
        let notes: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM journal WHERE action = 'segment'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(notes, 2);
        // Thresholds that overlap are refused.
        let bad = Thresholds {
            good_days: 30,
            slow_days: 30,
            ..t
        };
        assert!(bad.check().is_err());
    }
}
