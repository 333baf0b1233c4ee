//! Dunning scenarios: ordered steps, each at an offset in days from the due date (negative:
//! before it), with a channel, a document kind, a tone, an optional minimum open amount,
//! FR/EN names and, for calls, a script. Three editable scenarios ship with the app.

use crate::error::{Error, Msg, Result};
use crate::money::{parse_amount, Currency};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;

macro_rules! str_enum {
    ($name:ident { $($variant:ident = $s:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }
        impl $name {
            pub const ALL: &'static [&'static str] = &[$($s),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),* } }
            pub fn parse(field: &str, s: &str) -> Result<Self> {
                match s.trim() { $($s => Ok($name::$variant),)* _ => Err(Error::invalid(field, Msg::OneOf(Self::ALL.to_vec()))) }
            }
        }
    };
}

str_enum!(Channel { Email = "email", Letter = "letter", Phone = "phone", RegisteredLetter = "registered_letter" });
str_enum!(StepKind { Courtesy = "courtesy", Reminder = "reminder", FinalNotice = "final_notice", FormalDemand = "formal_demand", Statement = "statement" });
str_enum!(Tone { Friendly = "friendly", Firm = "firm", Formal = "formal" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Step {
    #[ts(type = "number")]
    pub offset_days: i64,
    pub channel: Channel,
    pub kind: StepKind,
    pub tone: Tone,
    /// Skipped when the open amount is below this (decimal string, default currency).
    pub min_amount: Option<String>,
    /// Never automatic: proposed for the owner's decision.
    pub needs_decision: bool,
    pub name_fr: String,
    pub name_en: String,
    pub script_fr: String,
    pub script_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Scenario {
    #[ts(type = "number")]
    pub id: i64,
    pub code: Option<String>,
    pub name_fr: String,
    pub name_en: String,
    /// Ordered by offset.
    pub steps: Vec<Step>,
}

/// The scenario editor's form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ScenarioInput {
    pub name_fr: String,
    pub name_en: String,
    pub steps: Vec<StepInput>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct StepInput {
    pub offset_days: String,
    pub channel: String,
    pub kind: String,
    pub tone: String,
    pub min_amount: String,
    pub needs_decision: bool,
    pub name_fr: String,
    pub name_en: String,
    pub script_fr: String,
    pub script_en: String,
}

struct CheckedStep {
    offset: i64,
    channel: Channel,
    kind: StepKind,
    tone: Tone,
    min_minor: Option<i64>,
    needs_decision: bool,
    name_fr: String,
    name_en: String,
    script_fr: String,
    script_en: String,
}

/// A name in both languages, one of them at least: the other falls back to it.
fn both_names(fields: (&str, &str), fr: &str, en: &str) -> Result<(String, String)> {
    match (fr.trim().is_empty(), en.trim().is_empty()) {
        (true, true) => Err(Error::invalid(fields.0, Msg::Required)),
        (false, true) => {
            let n = v::required_name(fields.0, fr, 80)?;
            Ok((n.clone(), n))
        }
        (true, false) => {
            let n = v::required_name(fields.1, en, 80)?;
            Ok((n.clone(), n))
        }
        (false, false) => Ok((
            v::required_name(fields.0, fr, 80)?,
            v::required_name(fields.1, en, 80)?,
        )),
    }
}

fn check(input: &ScenarioInput, currency: Currency) -> Result<(String, String, Vec<CheckedStep>)> {
    let (name_fr, name_en) = both_names(("name_fr", "name_en"), &input.name_fr, &input.name_en)?;
    if input.steps.is_empty() {
        return Err(Error::invalid("steps", Msg::NoSteps));
    }
    let mut seen = BTreeSet::new();
    let mut steps = Vec::new();
    for (i, s) in input.steps.iter().enumerate() {
        let f = |name: &str| format!("steps[{i}].{name}");
        let offset = v::int_in(&f("offset_days"), &s.offset_days, -90, 365)?;
        if !seen.insert(offset) {
            return Err(Error::invalid(
                f("offset_days"),
                Msg::DuplicateStepOffset(offset),
            ));
        }
        let min_minor = match s.min_amount.trim() {
            "" => None,
            m => Some(crate::money::positive_minor(
                parse_amount(m, &f("min_amount"))?,
                currency,
                &f("min_amount"),
            )?),
        };
        let (name_fr, name_en) =
            both_names((&f("name_fr"), &f("name_en")), &s.name_fr, &s.name_en)?;
        steps.push(CheckedStep {
            offset,
            channel: Channel::parse(&f("channel"), &s.channel)?,
            kind: StepKind::parse(&f("kind"), &s.kind)?,
            tone: Tone::parse(&f("tone"), &s.tone)?,
            min_minor,
            needs_decision: s.needs_decision,
            name_fr,
            name_en,
            script_fr: v::multiline(&f("script_fr"), &s.script_fr, 4000)?,
            script_en: v::multiline(&f("script_en"), &s.script_en, 4000)?,
        });
    }
    steps.sort_by_key(|s| s.offset);
    Ok((name_fr, name_en, steps))
}

fn write_steps(conn: &Connection, scenario_id: i64, steps: &[CheckedStep]) -> Result<()> {
    conn.execute(
        "DELETE FROM scenario_steps WHERE scenario_id = ?1",
        [scenario_id],
    )?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO scenario_steps (scenario_id, offset_days, channel, kind, tone, min_amount_minor,
            needs_decision, name_fr, name_en, script_fr, script_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for s in steps {
        ins.execute(params![
            scenario_id,
            s.offset,
            s.channel.as_str(),
            s.kind.as_str(),
            s.tone.as_str(),
            s.min_minor,
            s.needs_decision,
            s.name_fr,
            s.name_en,
            s.script_fr,
            s.script_en
        ])?;
    }
    Ok(())
}

/// Creates a scenario (`id` None) or replaces one's name and steps, in one transaction.
pub fn save(conn: &mut Connection, id: Option<i64>, input: &ScenarioInput) -> Result<Scenario> {
    let currency = crate::settings::default_currency(conn)?;
    let (name_fr, name_en, steps) = check(input, currency)?;
    let tx = conn.transaction()?;
    let id = match id {
        Some(id) => {
            let n = tx.execute(
                "UPDATE scenarios SET name_fr = ?2, name_en = ?3 WHERE id = ?1",
                params![id, name_fr, name_en],
            )?;
            if n == 0 {
                return Err(Error::invalid(
                    "scenario",
                    Msg::UnknownScenario(id.to_string()),
                ));
            }
            id
        }
        None => tx.insert(
            "INSERT INTO scenarios (name_fr, name_en) VALUES (?1, ?2)",
            params![name_fr, name_en],
        )?,
    };
    write_steps(&tx, id, &steps)?;
    tx.commit()?;
    get(conn, id)
}

pub fn get(conn: &Connection, id: i64) -> Result<Scenario> {
    let (code, name_fr, name_en) = conn
        .query_row(
            "SELECT code, name_fr, name_en FROM scenarios WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(Error::NotFound {
            what: "scenario",
            key: id.to_string(),
        })?;
    let currency = crate::settings::default_currency(conn)?;
    let mut stmt = conn.prepare_cached(
        "SELECT offset_days, channel, kind, tone, min_amount_minor, needs_decision, name_fr, name_en,
                script_fr, script_en
         FROM scenario_steps WHERE scenario_id = ?1 ORDER BY offset_days",
    )?;
    let steps = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
            ))
        })?
        .collect::<crate::store::sql::Result<Vec<_>>>()?
        .into_iter()
        .map(|(offset, ch, kind, tone, min, nd, nf, ne, sf, se)| {
            Ok(Step {
                offset_days: offset,
                channel: Channel::parse("channel", &ch)?,
                kind: StepKind::parse("kind", &kind)?,
                tone: Tone::parse("tone", &tone)?,
                min_amount: min.map(|m| currency.minor_to_string(m)),
                needs_decision: nd,
                name_fr: nf,
                name_en: ne,
                script_fr: sf,
                script_en: se,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Scenario {
        id,
        code,
        name_fr,
        name_en,
        steps,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<Scenario>> {
    let ids = conn
        .prepare("SELECT id FROM scenarios ORDER BY id")?
        .query_map([], |r| r.get::<_, i64>(0))?
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    ids.into_iter().map(|id| get(conn, id)).collect()
}

/// The id of the scenario customers follow unless told otherwise (Standard).
pub fn default_id(conn: &Connection) -> Result<i64> {
    Ok(id_by_code(conn, "standard")?.ok_or(crate::store::sql::Error::QueryReturnedNoRows)?)
}

/// The id of the shipped scenario `code` names, if it is still there.
fn id_by_code(conn: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT id FROM scenarios WHERE code = ?1", [code], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The join [`effective_sql`] reads a customer's segment through: at most one row per
/// customer (its key).
pub const SEGMENT_JOIN: &str = "LEFT JOIN customer_segments cs ON cs.customer_id = c.id";

/// The scenario a customer follows, as SQL over a customer row `c` joined to its segment row
/// `cs` by [`SEGMENT_JOIN`] (what [`effective`] reads for one customer, the agenda and the
/// wake dates for many): their own choice; else Key account for a key account; else Late
/// payer when their segment (last refreshed, `customer_segments`) is Slow payer or At risk;
/// else the default (parameter `?2`). A key account whose scenario is gone follows the
/// default, not Late payer. The ids of the Key account and Late payer scenarios are read
/// here and written into the statement (integers: nothing typed) rather than looked up by
/// code in a subquery for every row, which was a third of the agenda's read of its woken
/// invoices.
pub fn effective_sql(conn: &Connection) -> Result<String> {
    let id_of = |code: &str| -> Result<String> {
        // (typed: a server resolves a CASE of bare NULLs to text)
        Ok(id_by_code(conn, code)?
            .map_or_else(|| "CAST(NULL AS BIGINT)".to_string(), |id| id.to_string()))
    };
    Ok(format!(
        "COALESCE(c.scenario_id,
            CASE WHEN c.key_account = 1 THEN {}
                 WHEN cs.segment IN ('slow_payer', 'at_risk') THEN {} END,
            ?2)",
        id_of("key_account")?,
        id_of("late_payer")?
    ))
}

/// Why a customer follows the scenario they follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioSource {
    Chosen,
    KeyAccount,
    Segment,
    Default,
}

/// The scenario a customer follows (see [`effective_sql`]) and why.
pub fn effective(conn: &Connection, customer_id: i64) -> Result<(i64, ScenarioSource)> {
    let default = default_id(conn)?;
    let (id, chosen, key, segment): (i64, bool, bool, Option<String>) = conn.query_row(
        &format!(
            "SELECT {}, c.scenario_id IS NOT NULL, c.key_account = 1, cs.segment
             FROM customers c {SEGMENT_JOIN} WHERE c.id = ?1",
            effective_sql(conn)?
        ),
        params![customer_id, default],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let source = match (chosen, key, segment.as_deref()) {
        (true, _, _) => ScenarioSource::Chosen,
        (false, true, _) => ScenarioSource::KeyAccount,
        (false, false, Some("slow_payer" | "at_risk")) => ScenarioSource::Segment,
        _ => ScenarioSource::Default,
    };
    Ok((id, source))
}

/// Finds a scenario by id or code ("standard", "key_account", "late_payer").
pub fn find(conn: &Connection, key: &str) -> Result<i64> {
    let key = key.trim();
    conn.query_row(
        "SELECT id FROM scenarios WHERE code = ?1 OR CAST(id AS TEXT) = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::invalid("scenario", Msg::UnknownScenario(key.to_string())))
}

/// Sets which scenario a customer follows.
pub fn assign(conn: &Connection, customer_id: i64, scenario_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE customers SET scenario_id = ?2 WHERE id = ?1",
        params![customer_id, scenario_id],
    )?;
    Ok(())
}

fn step(
    offset: i64,
    channel: &str,
    kind: &str,
    tone: &str,
    needs_decision: bool,
    names: (&str, &str),
    scripts: (&str, &str),
) -> StepInput {
    StepInput {
        offset_days: offset.to_string(),
        channel: channel.into(),
        kind: kind.into(),
        tone: tone.into(),
        min_amount: String::new(),
        needs_decision,
        name_fr: names.0.into(),
        name_en: names.1.into(),
        script_fr: scripts.0.into(),
        script_en: scripts.1.into(),
    }
}

const NO_SCRIPT: (&str, &str) = ("", "");
const CALL_LATE: (&str, &str) = (
    "Bonjour, je suis {company}. Je vous appelle au sujet de la facture {invoices} de {amount}, échue depuis {days} jours. Avez-vous bien reçu nos relances ? Pouvez-vous me dire quand le règlement partira ? (Noter la date promise et le nom de l'interlocuteur.)",
    "Hello, this is {company}. I'm calling about invoice {invoices} for {amount}, now {days} days overdue. Did you receive our reminders? Could you tell me when the payment will be made? (Write down the promised date and who you spoke to.)",
);
const CALL_COURTESY: (&str, &str) = (
    "Bonjour, je suis {company}. Notre facture {invoices} de {amount} arrive à échéance le {due}. Je voulais simplement m'assurer qu'elle vous est bien parvenue et qu'elle a été validée. Vous manque-t-il un bon de commande ou une information ?",
    "Hello, this is {company}. Our invoice {invoices} for {amount} falls due on {due}. I just wanted to make sure it reached you and has been approved. Do you need a purchase order number or anything else?",
);

/// The three shipped scenarios (codes, names and steps).
fn shipped() -> Vec<(&'static str, ScenarioInput)> {
    let standard = ScenarioInput {
        name_fr: "Standard".into(),
        name_en: "Standard".into(),
        steps: vec![
            step(
                -7,
                "email",
                "courtesy",
                "friendly",
                false,
                (
                    "E-mail de courtoisie avant échéance",
                    "Courtesy e-mail before due date",
                ),
                NO_SCRIPT,
            ),
            step(
                3,
                "email",
                "reminder",
                "friendly",
                false,
                ("E-mail de relance", "Reminder e-mail"),
                NO_SCRIPT,
            ),
            step(
                15,
                "phone",
                "reminder",
                "firm",
                false,
                ("Appel de relance", "Reminder call"),
                CALL_LATE,
            ),
            step(
                30,
                "letter",
                "reminder",
                "firm",
                false,
                (
                    "Lettre de relance avec relevé",
                    "Reminder letter with statement",
                ),
                NO_SCRIPT,
            ),
            step(
                45,
                "registered_letter",
                "formal_demand",
                "formal",
                false,
                (
                    "Mise en demeure (LRAR)",
                    "Formal demand (registered letter)",
                ),
                NO_SCRIPT,
            ),
        ],
    };
    let key_account = ScenarioInput {
        name_fr: "Grand compte".into(),
        name_en: "Key account".into(),
        steps: vec![
            step(
                -10,
                "phone",
                "courtesy",
                "friendly",
                false,
                (
                    "Appel de courtoisie au service comptable",
                    "Courtesy call to accounts payable",
                ),
                CALL_COURTESY,
            ),
            step(
                5,
                "email",
                "reminder",
                "friendly",
                false,
                ("E-mail de relance", "Reminder e-mail"),
                NO_SCRIPT,
            ),
            step(
                10,
                "phone",
                "reminder",
                "firm",
                false,
                ("Appel de relance", "Reminder call"),
                CALL_LATE,
            ),
            step(
                30,
                "letter",
                "reminder",
                "firm",
                false,
                ("Lettre de relance", "Reminder letter"),
                NO_SCRIPT,
            ),
            step(
                45,
                "registered_letter",
                "formal_demand",
                "formal",
                true,
                (
                    "Mise en demeure — à décider",
                    "Formal demand — your decision",
                ),
                NO_SCRIPT,
            ),
        ],
    };
    let late_payer = ScenarioInput {
        name_fr: "Mauvais payeur".into(),
        name_en: "Late payer".into(),
        steps: vec![
            step(
                -3,
                "email",
                "courtesy",
                "friendly",
                false,
                (
                    "E-mail de courtoisie avant échéance",
                    "Courtesy e-mail before due date",
                ),
                NO_SCRIPT,
            ),
            step(
                1,
                "email",
                "reminder",
                "firm",
                false,
                ("E-mail de relance", "Reminder e-mail"),
                NO_SCRIPT,
            ),
            step(
                7,
                "phone",
                "reminder",
                "firm",
                false,
                ("Appel de relance", "Reminder call"),
                CALL_LATE,
            ),
            step(
                15,
                "letter",
                "final_notice",
                "firm",
                false,
                ("Dernier rappel avant mise en demeure", "Final notice"),
                NO_SCRIPT,
            ),
            step(
                21,
                "registered_letter",
                "formal_demand",
                "formal",
                false,
                (
                    "Mise en demeure (LRAR)",
                    "Formal demand (registered letter)",
                ),
                NO_SCRIPT,
            ),
        ],
    };
    vec![
        ("standard", standard),
        ("key_account", key_account),
        ("late_payer", late_payer),
    ]
}

/// Inserts the shipped scenarios the first time a database is opened with this schema.
pub fn ensure_shipped(conn: &Connection) -> Result<()> {
    install_missing(conn, shipped())
}

/// Inserts each scenario whose code is not there yet. Minimum amounts are written in major
/// units and stored in the company's currency's minor units (¥50 is 50, 50 KWD is 50000),
/// as the scenario editor does; an upgraded database already has its currency set.
fn install_missing(conn: &Connection, scenarios: Vec<(&'static str, ScenarioInput)>) -> Result<()> {
    let currency = crate::settings::default_currency(conn)?;
    for (code, input) in scenarios {
        let exists: bool = conn
            .query_row(
                "SELECT 1 FROM scenarios WHERE code = ?1",
                [code],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            continue;
        }
        let (name_fr, name_en, steps) = check(&input, currency)?;
        let new_id = conn.insert(
            "INSERT INTO scenarios (code, name_fr, name_en) VALUES (?1, ?2, ?3)",
            params![code, name_fr, name_en],
        )?;
        write_steps(conn, new_id, &steps)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_scenarios_exist_once() {
        let conn = crate::open_in_memory().unwrap();
        ensure_shipped(&conn).unwrap();
        let all = list(&conn).unwrap();
        assert_eq!(all.len(), 3);
        let offsets: Vec<i64> = all[0].steps.iter().map(|s| s.offset_days).collect();
        assert_eq!(offsets, [-7, 3, 15, 30, 45]);
        assert!(all[1].steps.last().unwrap().needs_decision);
        assert_eq!(find(&conn, "late_payer").unwrap(), all[2].id);
    }

    /// The scenario each customer follows, read for many rows ([`effective_sql`]) and for
    /// one ([`effective`]), is the rule worked out by hand for every combination of a chosen
    /// scenario, a key account and a segment, and again when the Key account and Late payer
    /// scenarios are gone.
    #[test]
    fn the_scenario_a_customer_follows_is_the_rule_for_every_combination() {
        let conn = crate::open_in_memory().unwrap();
        ensure_shipped(&conn).unwrap();
        // Chosen: Late payer, which the segment rule also gives (the source tells them apart).
        let chosen = find(&conn, "late_payer").unwrap();
        let mut cases = Vec::new();
        for scenario in [None, Some(chosen)] {
            for key in [false, true] {
                for segment in [None, Some("slow_payer"), Some("at_risk"), Some("reliable")] {
                    let n = cases.len() + 1;
                    let c = crate::customers::create(
                        &conn,
                        &crate::customers::CustomerInput {
                            reference: format!("C{n}"),
                            name: format!("Client {n}"),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    conn.execute(
                        "UPDATE customers SET scenario_id = ?1, key_account = ?2 WHERE id = ?3",
                        params![scenario, key as i64, c.id],
                    )
                    .unwrap();
                    if let Some(segment) = segment {
                        conn.execute(
                            "INSERT INTO customer_segments (customer_id, segment, rule, since)
                             VALUES (?1, ?2, '', '2026-01-01')",
                            params![c.id, segment],
                        )
                        .unwrap();
                    }
                    cases.push((c.id, scenario, key, segment));
                }
            }
        }
        let compare = |conn: &Connection, key_account: Option<i64>, late_payer: Option<i64>| {
            let default = default_id(conn).unwrap();
            let sql = format!(
                "SELECT c.id, {} FROM customers c {SEGMENT_JOIN} WHERE c.id > ?1 ORDER BY c.id",
                effective_sql(conn).unwrap()
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            let many: Vec<(i64, i64)> = stmt
                .query_map(params![0, default], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<crate::store::sql::Result<_>>()
                .unwrap();
            let slow = |s: Option<&str>| matches!(s, Some("slow_payer" | "at_risk"));
            let expected: Vec<(i64, i64, ScenarioSource)> = cases
                .iter()
                .map(|&(id, scenario, key, segment)| match scenario {
                    Some(s) => (id, s, ScenarioSource::Chosen),
                    None if key => (
                        id,
                        key_account.unwrap_or(default),
                        ScenarioSource::KeyAccount,
                    ),
                    None if slow(segment) => {
                        (id, late_payer.unwrap_or(default), ScenarioSource::Segment)
                    }
                    None => (id, default, ScenarioSource::Default),
                })
                .collect();
            let one: Vec<(i64, i64, ScenarioSource)> = cases
                .iter()
                .map(|c| {
                    let (s, why) = effective(conn, c.0).unwrap();
                    (c.0, s, why)
                })
                .collect();
            assert_eq!(one, expected);
            let ids: Vec<(i64, i64)> = expected.iter().map(|e| (e.0, e.1)).collect();
            assert_eq!(many, ids);
        };
        let key_account = find(&conn, "key_account").unwrap();
        let late_payer = find(&conn, "late_payer").unwrap();
        let default = default_id(&conn).unwrap();
        assert!(key_account != late_payer && ![key_account, late_payer].contains(&default));
        compare(&conn, Some(key_account), Some(late_payer));
        conn.execute_batch(
            "UPDATE scenarios SET code = code || '_gone' WHERE code IN ('key_account', 'late_payer')",
        )
        .unwrap();
        compare(&conn, None, None);
    }

    #[test]
    fn a_name_in_one_language_serves_both() {
        let mut conn = crate::open_in_memory().unwrap();
        let mut input = ScenarioInput {
            name_fr: "Prudent".into(),
            name_en: String::new(),
            steps: vec![StepInput {
                offset_days: "5".into(),
                channel: "email".into(),
                kind: "reminder".into(),
                tone: "friendly".into(),
                name_fr: String::new(),
                name_en: "Gentle reminder".into(),
                ..Default::default()
            }],
        };
        let s = save(&mut conn, None, &input).unwrap();
        assert_eq!(
            (s.name_fr.as_str(), s.name_en.as_str()),
            ("Prudent", "Prudent")
        );
        assert_eq!(s.steps[0].name_fr, "Gentle reminder");
        input.steps[0].name_en = String::new();
        assert!(
            save(&mut conn, None, &input).is_err(),
            "a step needs one name at least"
        );
    }

    #[test]
    fn refuses_empty_and_duplicate_offsets() {
        let mut conn = crate::open_in_memory().unwrap();
        let mut input = shipped().remove(0).1;
        input.name_fr = "Mon scénario".into();
        let mut dup = input.clone();
        dup.steps[1].offset_days = "-7".into();
        let e = save(&mut conn, None, &dup).unwrap_err();
        assert!(matches!(
            e,
            Error::Invalid {
                msg: Msg::DuplicateStepOffset(-7),
                ..
            }
        ));
        let mut empty = input.clone();
        empty.steps.clear();
        assert!(matches!(
            save(&mut conn, None, &empty).unwrap_err(),
            Error::Invalid {
                msg: Msg::NoSteps,
                ..
            }
        ));
        assert_eq!(list(&conn).unwrap().len(), 3, "nothing written");
        let s = save(&mut conn, None, &input).unwrap();
        assert_eq!(s.steps.len(), 5);
        let std = default_id(&conn).unwrap();
        let mut edited = input.clone();
        edited.steps.truncate(2);
        assert_eq!(save(&mut conn, Some(std), &edited).unwrap().steps.len(), 2);
    }

    #[test]
    fn shipped_minimums_follow_the_company_currency() {
        // A shipped step's minimum is written in major units ("50"); a company in yen or in
        // dinars (an upgraded database has its currency before the scenarios are installed)
        // must read back 50 of its own currency, not a euro-scaled 5000 or 0.50.
        for (code, shown) in [("JPY", "50"), ("KWD", "50.000"), ("EUR", "50.00")] {
            let conn = crate::store::connect_in_memory().unwrap();
            crate::settings::set(&conn, "default_currency", code).unwrap();
            let mut input = shipped().remove(0).1;
            input.steps[4].min_amount = "50".into();
            install_missing(&conn, vec![("standard", input)]).unwrap();
            let s = get(&conn, find(&conn, "standard").unwrap()).unwrap();
            assert_eq!(s.steps[4].min_amount.as_deref(), Some(shown), "{code}");
            assert_eq!(s.steps[0].min_amount, None);
        }
    }
}
