//! Reports: `relance aged-balance` (what each customer owes, by lateness) and `relance
//! profile` (how a customer really pays).

use crate::output::{print_json, table};
use crate::today::date_or_today;
use clap::{Args, Subcommand, ValueEnum};
use relance_core::views::aged;
use relance_core::{Connection, Result};

/// The report commands, flattened into the top level.
#[derive(Subcommand)]
pub enum ReportCmd {
    /// What each customer owes by lateness: not due, 1–30, 31–60, 61–90, over 90 days.
    AgedBalance(AgedArgs),
    /// Every customer's payer segment and the rule that put them there.
    Segments {
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::output::Format,
    },
    /// Choose a customer's segment yourself (with a reason), or give it back to the rules.
    Segment {
        #[arg(long)]
        customer: String,
        /// new, good_payer, forgetful, slow_payer, at_risk, in_dispute; or "rules".
        #[arg(long)]
        set: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Mark a key account (it follows the Key account scenario unless one is chosen), or
    /// unmark it with --off.
    KeyAccount {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        off: bool,
    },
    /// Customers at risk and not on hold, with the sanctions proposed.
    Sanctions {
        #[arg(long, value_enum, default_value_t)]
        format: crate::output::Format,
    },
    /// Decide a sanction: put on hold (with a reason), require payment first, or lower
    /// the credit limit.
    Sanction {
        #[arg(long)]
        customer: String,
        #[arg(long, value_name = "REASON", conflicts_with_all = ["payment_first", "credit_limit"])]
        hold: Option<String>,
        #[arg(long)]
        payment_first: bool,
        #[arg(long, value_name = "AMOUNT")]
        credit_limit: Option<String>,
        /// Put the proposal aside for a week instead of deciding.
        #[arg(long, conflicts_with_all = ["hold", "payment_first", "credit_limit", "ignore"])]
        later: bool,
        /// Ignore the proposal (with a reason) until their segment or its rule changes.
        #[arg(long, value_name = "REASON", conflicts_with_all = ["hold", "payment_first", "credit_limit"])]
        ignore: Option<String>,
    },
    /// How a customer really pays: days late, usual pay day, promises, trend, DSO.
    Profile {
        #[arg(long)]
        customer: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::output::Format,
    },
}

#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
    /// On the letterhead, into the file given by --out.
    Pdf,
}

#[derive(Args)]
pub struct AgedArgs {
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: ReportFormat,
    /// One currency per report (default: yours); never summed across currencies.
    #[arg(long)]
    currency: Option<String>,
    /// One line per payer segment instead of per customer.
    #[arg(long)]
    by_segment: bool,
    /// The file to write (--format pdf).
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
    /// Only this many customers (0: 50), largest first, as the Reports screen pages them
    /// (table or JSON; the totals and the count stay the whole report's).
    #[arg(long, conflicts_with = "by_segment")]
    limit: Option<u32>,
    /// The customers to pass over before the page (with --limit, or 50 by default).
    #[arg(long, default_value_t = 0, conflicts_with = "by_segment")]
    offset: u32,
}

pub fn run(
    conn: &mut Connection,
    db: &std::path::Path,
    cmd: ReportCmd,
    lang: relance_core::Lang,
) -> Result<()> {
    let a = match cmd {
        ReportCmd::AgedBalance(a) => a,
        ReportCmd::Segment {
            customer,
            set,
            reason,
        } => {
            let today = date_or_today(&None, "as_of")?;
            let choice = (set.trim() != "rules").then_some(set.as_str());
            relance_core::customers::set_segment(conn, &customer, choice, &reason, today)?;
            let s = relance_core::views::segments::of_customer(conn, &customer, today, lang)?;
            out!("{customer}: {} ({})", s.name, s.rule);
            return Ok(());
        }
        ReportCmd::KeyAccount { customer, off } => {
            let today = date_or_today(&None, "as_of")?;
            relance_core::customers::set_key_account(conn, &customer, !off, lang, today)?;
            out!(
                "{customer}: {}",
                if off {
                    "no longer a key account"
                } else {
                    "key account"
                }
            );
            return Ok(());
        }
        ReportCmd::Sanctions { format } => {
            let today = date_or_today(&None, "as_of")?;
            let all = relance_core::views::segments::sanctions(conn, today, lang)?;
            crate::output::emit(
                format,
                &all,
                &[
                    "customer",
                    "why",
                    "owed",
                    "overdue",
                    "limit",
                    "proposed limit",
                ],
                |p| {
                    vec![
                        format!("{} {}", p.customer, p.customer_name),
                        p.rule.clone(),
                        p.owed.clone(),
                        p.overdue.clone(),
                        p.credit_limit.clone().unwrap_or_default(),
                        p.proposed_limit.clone(),
                    ]
                },
            );
            return Ok(());
        }
        ReportCmd::Sanction {
            customer,
            hold,
            payment_first,
            credit_limit,
            later,
            ignore,
        } => {
            use relance_core::customers::Sanction;
            let today = date_or_today(&None, "as_of")?;
            if later || ignore.is_some() {
                let proposal = relance_core::views::segments::sanctions(conn, today, lang)?
                    .into_iter()
                    .find(|p| p.customer.eq_ignore_ascii_case(customer.trim()))
                    .ok_or_else(|| {
                        relance_core::Error::invalid(
                            "customer",
                            relance_core::error::Msg::NoProposal(customer.trim().to_string()),
                        )
                    })?;
                let reason = ignore.clone().unwrap_or_default();
                relance_core::views::segments::set_aside(
                    conn,
                    &proposal.customer,
                    &proposal.rule_code,
                    ignore.is_some(),
                    &reason,
                    lang,
                    today,
                )?;
                out!("{customer}: proposal put aside, recorded in the history.");
                return Ok(());
            }
            let sanction = match (hold, payment_first, credit_limit) {
                (Some(reason), _, _) => Sanction::Hold { reason },
                (None, true, None) => Sanction::PaymentFirst,
                (None, false, Some(amount)) => Sanction::CreditLimit { amount },
                _ => {
                    return Err(relance_core::Error::invalid(
                        "sanction",
                        relance_core::error::Msg::OneOf(vec![
                            "--hold REASON",
                            "--payment-first",
                            "--credit-limit AMOUNT",
                        ]),
                    ))
                }
            };
            relance_core::customers::apply_sanction(conn, &customer, &sanction, lang, today)?;
            out!("{customer}: done, recorded in the history.");
            return Ok(());
        }
        ReportCmd::Segments { as_of, format } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let all = relance_core::views::segments::current(conn, as_of, lang)?;
            crate::output::emit(format, &all, &["customer", "segment", "rule"], |c| {
                vec![
                    format!("{} {}", c.customer, c.customer_name),
                    c.name.clone(),
                    c.rule.clone(),
                ]
            });
            return Ok(());
        }
        ReportCmd::Profile {
            customer,
            as_of,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let p = relance_core::views::profile::profile(conn, &customer, as_of, lang)?;
            if format == crate::output::Format::Json {
                print_json(&p);
                return Ok(());
            }
            let none = || "-".to_string();
            let rows = vec![
                vec![
                    "invoices".into(),
                    format!(
                        "{} ({} paid), billed {} {}",
                        p.invoices, p.paid_invoices, p.billed, p.currency
                    ),
                ],
                vec![
                    "days late, weighted / median".into(),
                    format!(
                        "{} / {}",
                        p.weighted_days_late.clone().unwrap_or_else(none),
                        p.median_days_late
                            .map(|d| d.to_string())
                            .unwrap_or_else(none)
                    ),
                ],
                vec![
                    "paid on time".into(),
                    p.on_time_share
                        .clone()
                        .map(|s| format!("{s} %"))
                        .unwrap_or_else(none),
                ],
                vec![
                    "overdue now".into(),
                    format!("{} {}", p.overdue, p.currency),
                ],
                vec![
                    "usual pay day".into(),
                    p.pay_day_text.clone().unwrap_or_else(none),
                ],
                vec![
                    "days from first reminder to payment".into(),
                    p.delay_after_reminder
                        .map(|d| d.to_string())
                        .unwrap_or_else(none),
                ],
                vec![
                    "days unpaid since a first reminder (the longest of the open invoices)".into(),
                    p.unanswered_reminder_days
                        .map(|d| d.to_string())
                        .unwrap_or_else(none),
                ],
                vec![
                    "promises kept / broken".into(),
                    format!("{} / {}", p.promises_kept, p.promises_broken),
                ],
                vec![
                    "disputes (open)".into(),
                    format!("{} ({})", p.disputes, p.disputes_open),
                ],
                vec![
                    "trend: last 6 months / 6 before".into(),
                    format!(
                        "{} / {}",
                        p.trend_recent.clone().unwrap_or_else(none),
                        p.trend_before.clone().unwrap_or_else(none)
                    ),
                ],
                vec!["DSO (days)".into(), p.dso.clone().unwrap_or_else(none)],
            ];
            out!("{} {}", p.customer, p.customer_name);
            table(&["figure", "value"], &rows);
            return Ok(());
        }
    };
    let as_of = date_or_today(&a.as_of, "as_of")?;
    let paged = a.limit.is_some() || a.offset > 0;
    if paged && matches!(a.format, ReportFormat::Pdf | ReportFormat::Csv) {
        // An export is the whole report (its TOTAL line sums the lines above it).
        return Err(relance_core::Error::invalid(
            "format",
            relance_core::error::Msg::OneOf(vec!["table", "json"]),
        ));
    }
    let report = if a.by_segment {
        relance_core::views::segments::aged_by_segment(conn, as_of, a.currency.as_deref(), lang)?
    } else if paged {
        aged::aged_page(
            conn,
            as_of,
            a.currency.as_deref(),
            a.offset,
            a.limit.unwrap_or(0),
        )?
    } else {
        aged::aged_balance(conn, as_of, a.currency.as_deref())?
    };
    match a.format {
        ReportFormat::Pdf => {
            let out = a.out.ok_or_else(|| {
                relance_core::Error::invalid("out", relance_core::error::Msg::Required)
            })?;
            let bytes = relance_core::documents::report::aged_balance_pdf(conn, &report, lang)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        ReportFormat::Json | ReportFormat::Csv => {
            let bytes = if a.format == ReportFormat::Json {
                let mut b = serde_json::to_vec_pretty(&report).map_err(std::io::Error::from)?;
                b.push(b'\n');
                b
            } else {
                relance_core::import::aged_balance_csv(&report)?
            };
            match &a.out {
                Some(out) => {
                    relance_core::store::write_output(db, out, &bytes, "out")?;
                    out!("{} written ({} bytes).", out.display(), bytes.len());
                }
                None => out!("{}", String::from_utf8_lossy(&bytes).trim_end()),
            }
        }
        ReportFormat::Table => {
            let line = |r: &aged::AgedRow, name: &str| {
                let mut cells = vec![name.to_string()];
                cells.extend(r.amounts().map(str::to_string));
                cells
            };
            let mut rows: Vec<Vec<String>> = report
                .rows
                .iter()
                .map(|r| line(r, &format!("{} {}", r.customer, r.customer_name)))
                .collect();
            rows.push(line(&report.totals, "TOTAL"));
            out!("Aged balance at {} in {}", report.as_of, report.currency);
            if paged && report.rows.is_empty() {
                out!("no customer past {} of {}", a.offset, report.count);
            } else if paged {
                out!(
                    "customers {} to {} of {} (the totals are all of them)",
                    a.offset as usize + 1,
                    a.offset as usize + report.rows.len(),
                    report.count
                );
            }
            table(
                &[
                    "customer", "not due", "1-30", "31-60", "61-90", "over 90", "total",
                ],
                &rows,
            );
        }
    }
    Ok(())
}
