//! `relance payment` and `relance credit-note`: money received and invoices reduced.

use crate::today::date_or_today;
use clap::Subcommand;
use relance_core::invoices;
use relance_core::invoices::credit_notes::{self, CreditNoteInput};
use relance_core::invoices::payments::{self, AllocationInput, PaymentInput};
use relance_core::{Connection, Result};

#[derive(Subcommand)]
pub enum PaymentCmd {
    /// Record a payment. Without --invoice it pays the customer's oldest open invoices first.
    Add {
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        #[arg(long)]
        date: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long, default_value = "")]
        currency: String,
        /// transfer, direct_debit, card, cheque or cash (default: the customer's).
        #[arg(long, default_value = "")]
        method: String,
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long, default_value = "")]
        note: String,
        /// Invoice to pay, as NUMBER or NUMBER=AMOUNT; repeat for several.
        #[arg(long = "invoice", value_name = "NUMBER[=AMOUNT]")]
        invoices: Vec<String>,
        /// Keep any amount above what it pays as customer credit.
        #[arg(long)]
        keep_as_credit: bool,
    },
    /// Use a customer's credit to settle one of their invoices.
    ApplyCredit {
        #[arg(long)]
        invoice: String,
        /// Default: as much as the credit and the balance allow.
        #[arg(long, default_value = "")]
        amount: String,
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum CreditNoteCmd {
    /// Record a credit note that reduces an invoice's balance.
    Add {
        #[arg(long)]
        invoice: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        date: String,
        /// Default: AV-<invoice number>.
        #[arg(long, default_value = "")]
        number: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Issue a credit note (a document, type 381, numbered in its own yearly series, A by
    /// default) that corrects an invoice: the whole invoice, or the lines given. It reduces
    /// the invoice's balance; what exceeds it (a paid invoice) is the customer's credit.
    /// Dated today; cannot be undone.
    Issue {
        #[arg(long)]
        invoice: String,
        /// "description|quantity|unit price excl. tax|VAT rate[|unit[|discount %]]"; repeat
        /// for each line. None: the whole invoice.
        #[arg(long = "line", value_name = "LINE")]
        lines: Vec<String>,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, value_enum, default_value_t)]
        format: crate::output::Format,
    },
    /// The PDF of an issued credit note (a Factur-X PDF, as archived when issued).
    Pdf {
        number: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// The e-invoice of an issued credit note: its CII XML (EN 16931, type 381).
    Xml {
        number: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

pub fn run(conn: &mut Connection, cmd: PaymentCmd) -> Result<()> {
    match cmd {
        PaymentCmd::Add {
            customer,
            date,
            amount,
            currency,
            method,
            reference,
            note,
            invoices: targets,
            keep_as_credit,
        } => {
            let allocations = targets
                .iter()
                .map(|t| {
                    let (invoice, amount) = t.split_once('=').unwrap_or((t, ""));
                    AllocationInput {
                        invoice: invoice.into(),
                        amount: amount.into(),
                    }
                })
                .collect();
            let p = payments::record(
                conn,
                &PaymentInput {
                    customer,
                    date,
                    amount,
                    currency,
                    method,
                    reference,
                    note,
                    allocations,
                    keep_as_credit,
                },
            )?;
            out!("Payment of {} {} recorded.", p.amount, p.currency);
            for a in &p.allocations {
                out!("  {} -> {}", a.amount, a.invoice_number);
            }
            if p.unallocated != "0" && !p.unallocated.chars().all(|c| c == '0' || c == '.') {
                out!("  {} kept as customer credit", p.unallocated);
            }
        }
        PaymentCmd::ApplyCredit {
            invoice,
            amount,
            date,
        } => {
            let date = date_or_today(&date, "date")?;
            payments::apply_credit(conn, &invoice, &amount, date)?;
            let v = invoices::get_by_number(conn, &invoice, date)?;
            out!(
                "Credit applied to {}: balance now {} {}.",
                v.number,
                v.balance,
                v.currency
            );
        }
    }
    Ok(())
}

pub fn run_credit_note(
    conn: &mut Connection,
    db: &std::path::Path,
    cmd: CreditNoteCmd,
) -> Result<()> {
    use relance_core::documents::credit_note;
    match cmd {
        CreditNoteCmd::Issue {
            invoice,
            lines,
            reason,
            format,
        } => {
            let input = relance_core::invoices::credit_documents::CreditNoteIssueInput {
                invoice,
                lines: lines
                    .iter()
                    .map(|l| crate::invoices::line_of(l))
                    .collect::<Result<_>>()?,
                reason,
            };
            let today = date_or_today(&None, "as_of")?;
            let (id, _) = credit_note::issue(conn, &input, today)?;
            let v = relance_core::invoices::credit_documents::view(conn, id)?;
            if format == crate::output::Format::Json {
                crate::output::print_json(&serde_json::json!({
                    "number": v.number,
                    "invoice": v.invoice_number,
                    "net": v.net,
                    "vat": v.vat,
                    "total": v.total,
                    "applied": v.applied,
                    "credit": v.left,
                    "currency": v.currency,
                }));
            } else {
                out!(
                    "Credit note {} issued on {}: {} {} ({} {} off its balance, {} {} to the customer's credit).",
                    v.number,
                    v.invoice_number,
                    v.total,
                    v.currency,
                    v.applied,
                    v.currency,
                    v.left,
                    v.currency
                );
            }
        }
        CreditNoteCmd::Pdf { number, out } => {
            let bytes = credit_note::pdf(conn, &number)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        CreditNoteCmd::Xml { number, out } => {
            let bytes = credit_note::xml(conn, &number)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        CreditNoteCmd::Add {
            invoice,
            amount,
            date,
            number,
            reason,
        } => {
            let cn = credit_notes::create(
                conn,
                &CreditNoteInput {
                    number,
                    invoice,
                    date,
                    amount,
                    reason,
                },
            )?;
            out!(
                "Credit note {} of {} {} on {}.",
                cn.number,
                cn.amount,
                cn.currency,
                cn.invoice_number
            );
        }
    }
    Ok(())
}
