//! `relance penalties` and `relance rates`: late-payment interest, the fixed indemnity and
//! the reference rates they use (the letters that claim them: `documents.rs`).

use crate::output::{emit, print_json, table, Format};
use crate::today::date_or_today;
use clap::{Args, Subcommand};
use relance_core::rates::{self, RateTable};
use relance_core::{interest, Connection, Lang, Result};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PenaltiesArgs {
    #[command(subcommand)]
    cmd: Option<PenaltiesCmd>,
    /// The invoice number.
    #[arg(long)]
    invoice: Option<String>,
    /// Interest up to and including this day (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The day of the formal demand (interest on a private individual runs from it).
    #[arg(long, value_name = "DATE")]
    demand_date: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Subcommand)]
enum PenaltiesCmd {
    /// Issue a separate invoice for the interest to date and the fixed indemnity (the
    /// days and the indemnity it charges are never charged again).
    Invoice {
        #[arg(long)]
        invoice: String,
        /// Only today is accepted: a penalty invoice is issued as of the day it is made.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Penalty invoices that charge more than is owed, since a payment or credit note dated
    /// inside the period they charge was recorded after them.
    Overcharged {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Issue, dated today, the credit notes that remove what the penalty invoices of an
    /// invoice overcharge (the invoice's number or a penalty invoice's).
    Correct {
        #[arg(long)]
        invoice: String,
    },
}

#[derive(Subcommand)]
pub enum RatesCmd {
    /// Every decision known, shipped and entered.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Enter a decision published after the shipped table (or a half-year's legal rate).
    Add {
        /// ecb_mro, boe_bank_rate, fr_legal_individual (a private creditor's legal rate) or
        /// fr_legal_professional (the legal rate "in the other cases": what a private
        /// debtor owes a business, and the L441-10 minimum).
        #[arg(long)]
        series: String,
        /// In force from this day (not the date of a shipped decision; one entry per date).
        #[arg(long, value_name = "DATE")]
        effective: String,
        /// Percent per year, 0 to 100 ("2.15").
        #[arg(long, allow_hyphen_values = true)]
        rate: String,
    },
    /// Remove a decision you entered.
    Remove {
        #[arg(long)]
        series: String,
        #[arg(long, value_name = "DATE")]
        effective: String,
    },
}

pub fn penalties(conn: &mut Connection, args: PenaltiesArgs, lang: Lang) -> Result<()> {
    if let Some(PenaltiesCmd::Overcharged { format }) = args.cmd {
        let all = interest::overcharges(conn)?;
        emit(
            format,
            &all,
            &[
                "invoice",
                "customer",
                "penalty invoices",
                "charged",
                "owed",
                "excess",
                "to credit",
                "to refund",
                "currency",
            ],
            |o| {
                vec![
                    o.invoice.clone(),
                    o.customer.clone(),
                    o.penalty_invoices.join(" "),
                    o.charged.clone(),
                    o.owed.clone(),
                    o.excess.clone(),
                    o.correctable.clone(),
                    o.paid.clone(),
                    o.currency.clone(),
                ]
            },
        );
        return Ok(());
    }
    if let Some(PenaltiesCmd::Correct { invoice }) = args.cmd {
        let today = relance_core::app::today()?;
        for n in interest::correct_overcharge(conn, &invoice, today)? {
            out!(
                "Credit note {} on {}: {} {}.",
                n.number,
                n.invoice_number,
                n.amount,
                n.currency
            );
        }
        return Ok(());
    }
    if let Some(PenaltiesCmd::Invoice { invoice, as_of }) = args.cmd {
        let today = relance_core::app::today()?;
        if date_or_today(&as_of, "as_of")? != today {
            return Err(relance_core::Error::invalid(
                "as_of",
                relance_core::Msg::PenaltiesNotToday,
            ));
        }
        let v = interest::invoice_penalties(conn, &invoice, today)?;
        out!(
            "Invoice {} issued: {} {}, due {}.",
            v.number,
            v.total,
            v.currency,
            v.due_date
        );
        return Ok(());
    }
    let Some(invoice) = args.invoice else {
        return Err(relance_core::Error::invalid(
            "invoice",
            relance_core::Msg::Required,
        ));
    };
    let as_of = date_or_today(&args.as_of, "as_of")?;
    let demand = args
        .demand_date
        .as_deref()
        .map(|d| relance_core::validate::parse_date("demand_date", d))
        .transpose()?;
    let p = interest::for_invoice(conn, &invoice, as_of, demand, lang)?;
    if args.format == Format::Json {
        print_json(&p);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = p
        .periods
        .iter()
        .map(|x| {
            vec![
                x.from.to_string(),
                x.to.to_string(),
                x.days.to_string(),
                format!("{} %", x.rate),
                x.base.clone(),
                x.amount.clone(),
            ]
        })
        .collect();
    table(&["from", "to", "days", "rate", "base", "interest"], &rows);
    out!("interest  {} {}", p.interest, p.currency);
    out!("indemnity {} {}", p.indemnity, p.currency);
    out!("total     {} {}", p.total, p.currency);
    for w in &p.warnings {
        eprintln!("relance: {w}");
    }
    let id = relance_core::invoices::stored_by_number(conn, "invoice", &p.invoice)?.id;
    if let Some(o) = interest::overcharge(conn, id)? {
        eprintln!("relance: {}", o.text(lang));
    }
    Ok(())
}

pub fn rates(conn: &mut Connection, cmd: RatesCmd) -> Result<()> {
    match cmd {
        RatesCmd::List { format } => {
            let t = RateTable::load(conn)?;
            emit(
                format,
                t.changes(),
                &["series", "effective", "rate", "source"],
                |c| {
                    vec![
                        c.series.code().to_string(),
                        c.effective.to_string(),
                        format!("{} %", c.rate),
                        if c.entered { "entered" } else { "shipped" }.to_string(),
                    ]
                },
            );
        }
        RatesCmd::Add {
            series,
            effective,
            rate,
        } => {
            let c = rates::add(conn, &series, &effective, &rate)?;
            out!("{} {} % from {}.", c.series.code(), c.rate, c.effective);
        }
        RatesCmd::Remove { series, effective } => {
            rates::remove(conn, &series, &effective)?;
            out!("Removed.");
        }
    }
    Ok(())
}
