//! `relance agenda`, `action`, `scenario` and `history`: the daily dunning work.

use crate::output::{emit, json_str, print_json, Format};
use crate::today::date_or_today;
use clap::{Args, Subcommand};
use relance_core::customers;
use relance_core::dunning::{self, scenarios, Act};
use relance_core::{Connection, Result};

/// What to do today: reminders, calls, letters and decisions, derived from the facts.
#[derive(Args)]
pub struct AgendaArgs {
    /// The day to compute the agenda for (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `relance check`: the wake dates, the day's payer segments and habits, and the customers'
/// open balances against the derivation.
#[derive(Args)]
pub struct CheckArgs {
    /// The first day compared (default: today); later ones follow it.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Compute every wake date, payer rule and payer habits again (as of that day), and sum
    /// every customer's open balance again, before comparing.
    #[arg(long)]
    rebuild: bool,
}

pub fn check(conn: &mut Connection, args: CheckArgs, lang: relance_core::Lang) -> Result<()> {
    let as_of = date_or_today(&args.as_of, "as_of")?;
    if args.rebuild {
        let n = dunning::wake::rebuild(conn, as_of)?;
        out!("{n} wake date(s) computed again as of {as_of}.");
        let n = relance_core::daily::rebuild_segments(conn, as_of)?;
        out!(
            "Every customer's payer rule and habits computed again as of {as_of}; customers \
             whose segment changed since the daily refresh, computed on each reading until the \
             next: {n}."
        );
        let n = relance_core::views::balances::rebuild(conn)?;
        out!("Every customer's open balance summed again from their invoices: {n} balance(s).");
        out!("What was billed and settled each day (the dashboard's DSO) summed again from the invoices and settlements.");
        let n = dunning::kept::rebuild(conn, as_of)?;
        out!("The actions of {as_of} kept for Today derived again: {n} action(s).");
        let n = relance_core::bank::book::rebuild_words(conn)?;
        out!("Every customer's name words (the bank matcher's) written again: {n} customer(s).");
        let n = relance_core::bank::kept::rebuild(conn)?;
        out!("The group of every statement line waiting, kept for the Bank screen, derived again: {n} line(s); the lines decided counted again by group.");
    }
    // Both readings of one moment: another person's write between them is no difference.
    let (verified, segments, habits, balances, kept, book, words) = {
        let snapshot = conn.snapshot()?;
        (
            dunning::wake::verify(&snapshot, as_of, lang)?,
            relance_core::views::segments::verify(&snapshot, as_of, lang)?,
            relance_core::views::segments::verify_habits(&snapshot, as_of, lang)?,
            relance_core::views::balances::verify(&snapshot, lang)?,
            dunning::kept::verify(&snapshot, lang)?,
            relance_core::bank::store::verify_book(&snapshot, lang)?,
            relance_core::bank::book::verify_words(&snapshot, lang)?,
        )
    };
    let mut findings = verified.findings.clone();
    findings.extend(segments.clone().unwrap_or_default());
    findings.extend(habits.clone().unwrap_or_default());
    findings.extend(balances);
    findings.extend(kept.clone().unwrap_or_default());
    findings.extend(book);
    findings.extend(words);
    if !findings.is_empty() {
        return Err(relance_core::Error::CacheDiffers(findings));
    }
    out!("Every customer's open balance kept for the Customers list is the sum of their invoices.");
    out!("What was billed and settled each day, kept for the dashboard's DSO, is the sum of the invoices and settlements.");
    out!(
        "Every customer's name words kept for the bank matcher are their name's, and the \
         statement lines waiting for a decision are proposed the same through the invoice \
         numbers' index and the name words as from the whole ledger."
    );
    match kept {
        Some(_) => out!(
            "The actions kept for Today are the derived ones for every customer whose facts \
             did not change since they were kept."
        ),
        None => out!(
            "No actions are kept for Today (none kept, or a setting they follow from changed \
             since): Today derives the whole day (`relance check --rebuild` keeps them)."
        ),
    }
    match segments {
        Some(_) => out!(
            "The payer segments stored by the refresh of {as_of} are the derived ones for \
             every customer whose facts did not change since."
        ),
        None => out!(
            "No segment refresh serves {as_of} (none that day, or too many customers changed \
             since): Today derives every customer's segment (`relance check --rebuild` \
             computes them as of {as_of})."
        ),
    }
    match habits {
        Some(_) => out!(
            "The payer habits stored by the refresh of {as_of} (the dashboard's forecast) are \
             the derived ones for every customer whose invoices and payments did not change \
             since."
        ),
        None => out!(
            "No refresh of {as_of} serves the payer habits (none that day, or too many \
             customers' invoices and payments changed since): the dashboard derives them."
        ),
    }
    if verified.compared.is_empty() {
        let from = dunning::wake::serving_from(conn)?;
        out!(
            "Every open invoice has its wake date. They serve from {} on: an agenda before \
             that is derived from every open invoice, so there was nothing to compare \
             (`relance check --rebuild` computes them as of {as_of}).",
            from.map_or_else(String::new, |d| d.to_string())
        );
        return Ok(());
    }
    let days: Vec<String> = verified.compared.iter().map(|d| d.to_string()).collect();
    out!(
        "The wake dates agree with the derivation: every open invoice has one, and the agenda \
         read through them is the derived one on {}.",
        days.join(", ")
    );
    Ok(())
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The customer's reference.
    #[arg(long)]
    customer: String,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Args)]
pub struct ActOn {
    /// Action ids as `relance agenda` prints them (CUSTOMER/kind/channel); several at once.
    #[arg(required = true)]
    ids: Vec<String>,
    /// The agenda day the actions belong to (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

#[derive(Subcommand)]
pub enum ActionCmd {
    /// Mark actions done.
    Done {
        #[command(flatten)]
        on: ActOn,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Skip actions, saying why.
    Skip {
        #[command(flatten)]
        on: ActOn,
        #[arg(long)]
        reason: String,
    },
    /// Hide actions until a later date.
    Snooze {
        #[command(flatten)]
        on: ActOn,
        #[arg(long, value_name = "DATE")]
        until: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Undo what `action done`, `skip` or `snooze` recorded today (the entries it printed):
    /// the actions come back on the agenda; the history keeps both.
    Undo {
        /// History entry ids.
        #[arg(required = true)]
        entries: Vec<i64>,
        /// The day the entries were recorded for (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ScenarioCmd {
    /// List scenarios and their steps.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Make a customer follow a scenario (standard, key_account, late_payer or an id).
    Assign { customer: String, scenario: String },
}

pub fn agenda(conn: &mut Connection, args: AgendaArgs) -> Result<()> {
    let AgendaArgs { as_of, format } = args;
    let as_of = crate::today::today_or_later(&as_of, "as_of")?;
    let actions = dunning::agenda(conn, as_of)?;
    emit(
        format,
        &actions,
        &["action", "step", "invoices", "amount", "days late", ""],
        |a| {
            vec![
                a.id.clone(),
                a.step.clone(),
                if a.for_information.is_empty() {
                    a.invoices.join(" ")
                } else {
                    format!(
                        "{} (for information: {})",
                        a.invoices.join(" "),
                        a.for_information.join(" ")
                    )
                },
                format!("{} {}", a.amount, a.currency),
                a.days_overdue.to_string(),
                if a.needs_decision {
                    "decide".into()
                } else {
                    String::new()
                },
            ]
        },
    );
    if format == Format::Table {
        out!(
            "{} for {as_of}",
            relance_core::Lang::En.count(actions.len() as i64, "action", "actions")
        );
    }
    Ok(())
}

pub fn act(conn: &mut Connection, cmd: ActionCmd) -> Result<()> {
    let (on, what) = match cmd {
        ActionCmd::Done { on, note } => (on, Act::Done { note }),
        ActionCmd::Skip { on, reason } => (on, Act::Skip { reason }),
        ActionCmd::Snooze { on, until, note } => (on, Act::Snooze { until, note }),
        ActionCmd::Undo { entries, as_of } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let n = dunning::undo(conn, as_of, &entries)?;
            out!(
                "{} undone.",
                relance_core::Lang::En.count(n as i64, "action", "actions")
            );
            return Ok(());
        }
    };
    let as_of = date_or_today(&on.as_of, "as_of")?;
    let entries = dunning::act(conn, as_of, &on.ids, &what)?;
    let list: Vec<String> = entries.iter().map(i64::to_string).collect();
    out!(
        "{} recorded (undo: relance action undo {}).",
        relance_core::Lang::En.count(entries.len() as i64, "action", "actions"),
        list.join(" ")
    );
    Ok(())
}

pub fn scenario(conn: &mut Connection, cmd: ScenarioCmd) -> Result<()> {
    match cmd {
        ScenarioCmd::List { format } => {
            let list = scenarios::list(conn)?;
            if format == Format::Json {
                print_json(&list);
            } else {
                for s in &list {
                    out!(
                        "{} {} ({})",
                        s.id,
                        s.name_en,
                        s.code.as_deref().unwrap_or("custom")
                    );
                    for st in &s.steps {
                        out!(
                            "    D{:+}  {:<18} {:<14} {}{}",
                            st.offset_days,
                            st.channel.as_str(),
                            st.kind.as_str(),
                            st.name_en,
                            if st.needs_decision {
                                "  [decision]"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
        }
        ScenarioCmd::Assign { customer, scenario } => {
            let cid = customers::id_by_ref(conn, "customer", &customer)?;
            let sid = scenarios::find(conn, &scenario)?;
            scenarios::assign(conn, cid, sid)?;
            out!("{customer} now follows scenario {scenario}.");
        }
    }
    Ok(())
}

pub fn history(conn: &mut Connection, args: HistoryArgs) -> Result<()> {
    let HistoryArgs {
        customer,
        limit,
        format,
    } = args;
    let cid = customers::id_by_ref(conn, "customer", &customer)?;
    let entries = relance_core::journal::for_customer(conn, cid, limit)?;
    emit(
        format,
        &entries,
        &["date", "what", "action", "invoices", "amount", "by", "note"],
        |e| {
            vec![
                e.on_date.to_string(),
                json_str(&e.kind),
                e.action.clone().unwrap_or_default(),
                e.invoices.join(" "),
                crate::output::entry_amount(e),
                e.actor.clone(),
                e.note.clone(),
            ]
        },
    );
    Ok(())
}
