//! `relance promise` and `relance dispute`: promises to pay and disputed invoices.

use crate::output::{emit, json_str, Format};
use crate::today::date_or_today;
use clap::{Subcommand, ValueEnum};
use relance_core::dunning::disputes::{self, DisputeInput, Resolution, ResolutionInput};
use relance_core::dunning::promises::{self, PromiseInput};
use relance_core::{Connection, Result};

#[derive(Subcommand)]
pub enum PromiseCmd {
    /// Record a promise to pay: dunning pauses on its invoices until the date plus grace days.
    Add {
        #[arg(long)]
        customer: String,
        /// The promised payment date.
        #[arg(long, value_name = "DATE")]
        date: String,
        /// Default: the open balance of the invoices.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        amount: String,
        /// Invoice numbers (repeat); default: all the customer's open invoices.
        #[arg(long = "invoice")]
        invoices: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
        /// The day the promise was made (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// List promises with their status (live, kept, broken).
    List {
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum DisputeCmd {
    /// Open a dispute: the invoice leaves dunning until it is resolved.
    Open {
        #[arg(long)]
        invoice: String,
        /// not_delivered, wrong_price, not_ordered, invoicing_error, defective or other.
        #[arg(long)]
        category: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Resolve a dispute by a credit note, by rejecting it (dunning resumes), or as settled.
    Resolve {
        /// The dispute number (see `relance dispute list`).
        id: i64,
        #[arg(long, value_enum)]
        resolution: ResolutionArg,
        /// For --resolution credit-note: the credit note's amount (default: the whole balance).
        #[arg(long, default_value = "")]
        amount: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// List disputes with their age (open ones; --all for resolved too).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ResolutionArg {
    CreditNote,
    Rejected,
    Settled,
}

pub fn run(conn: &mut Connection, cmd: PromiseCmd) -> Result<()> {
    match cmd {
        PromiseCmd::Add {
            customer,
            date,
            amount,
            invoices,
            note,
            as_of,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let p = promises::add(
                conn,
                &PromiseInput {
                    customer,
                    invoices,
                    promised_date: date,
                    amount,
                    note,
                },
                as_of,
            )?;
            out!(
                "Promise {} recorded: {} {} by {} ({}).",
                p.id,
                p.amount,
                p.currency,
                p.promised_date,
                p.invoices.join(", ")
            );
        }
        PromiseCmd::List { as_of, format } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let list = promises::list(conn, as_of)?;
            emit(
                format,
                &list,
                &[
                    "id", "customer", "promised", "amount", "paid", "status", "invoices",
                ],
                |p| {
                    vec![
                        p.id.to_string(),
                        p.customer.clone(),
                        p.promised_date.to_string(),
                        format!("{} {}", p.amount, p.currency),
                        p.paid.clone(),
                        json_str(&p.status),
                        p.invoices.join(" "),
                    ]
                },
            );
        }
    }
    Ok(())
}

pub fn run_dispute(conn: &mut Connection, cmd: DisputeCmd) -> Result<()> {
    match cmd {
        DisputeCmd::Open {
            invoice,
            category,
            note,
            as_of,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let d = disputes::open(
                conn,
                &DisputeInput {
                    invoice,
                    category,
                    note,
                    opened_on: String::new(),
                },
                as_of,
            )?;
            out!(
                "Dispute {} opened on {}: it leaves dunning until resolved.",
                d.id,
                d.invoice
            );
        }
        DisputeCmd::Resolve {
            id,
            resolution,
            amount,
            note,
            as_of,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let resolution = match resolution {
                ResolutionArg::CreditNote => Resolution::CreditNote,
                ResolutionArg::Rejected => Resolution::Rejected,
                ResolutionArg::Settled => Resolution::Settled,
            };
            let d = disputes::resolve(
                conn,
                &ResolutionInput {
                    dispute_id: id,
                    resolution,
                    credit_amount: amount,
                    note,
                },
                as_of,
            )?;
            out!(
                "Dispute {} on {} resolved ({}); balance {} {}.",
                d.id,
                d.invoice,
                json_str(&d.resolution),
                d.balance,
                d.currency
            );
        }
        DisputeCmd::List { all, as_of, format } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let list = disputes::list(conn, as_of, !all)?;
            emit(
                format,
                &list,
                &[
                    "id",
                    "invoice",
                    "customer",
                    "category",
                    "age (days)",
                    "balance",
                    "state",
                ],
                |d| {
                    vec![
                        d.id.to_string(),
                        d.invoice.clone(),
                        d.customer.clone(),
                        json_str(&d.category),
                        d.age_days.to_string(),
                        format!("{} {}", d.balance, d.currency),
                        d.resolution
                            .map(|r| json_str(&r))
                            .unwrap_or_else(|| "open".into()),
                    ]
                },
            );
        }
    }
    Ok(())
}
