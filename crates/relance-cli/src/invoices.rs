//! `relance invoice`: add, list, show, write off and hand over invoices.

use crate::output::{json_str, print_json, table, Format};
use crate::today::date_or_today;
use clap::{Subcommand, ValueEnum};
use relance_core::customers;
use relance_core::dunning;
use relance_core::invoices::{
    self, ClosureKind, InvoiceFilter, InvoiceInput, InvoiceQuery, InvoiceSort,
};
use relance_core::{views, Connection, Error, Result};

#[derive(Subcommand)]
pub enum InvoiceCmd {
    /// Add an invoice.
    Add {
        #[arg(long)]
        number: String,
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        #[arg(long)]
        issue_date: String,
        /// Default: issue date plus payment terms.
        #[arg(long, default_value = "")]
        due_date: String,
        /// Total including tax.
        #[arg(long, allow_hyphen_values = true)]
        total: String,
        /// Amount excluding tax.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        net: String,
        /// ISO code (default: the company's currency).
        #[arg(long, default_value = "")]
        currency: String,
        /// Customer's reference or purchase-order number.
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List invoices.
    List {
        #[arg(long, value_enum, default_value_t = FilterArg::Open)]
        filter: FilterArg,
        #[arg(long, value_enum, default_value_t = SortInvoice::Due)]
        sort: SortInvoice,
        #[arg(long)]
        desc: bool,
        /// Only this customer's invoices (reference).
        #[arg(long)]
        customer: Option<String>,
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write an invoice off (it leaves dunning; the reason is kept in the history).
    WriteOff {
        number: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// Hand an invoice over to a collection agency or to court (it leaves the scenario).
    HandOver {
        number: String,
        #[arg(long, value_enum)]
        to: HandOverArg,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// Delete an invoice recorded by mistake (refused once anything depends on it: a
    /// credit note or a write-off instead).
    Delete { number: String },
    /// The PDF of an invoice Relance issued (a contract milestone), with its legal mentions.
    Pdf {
        number: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// The e-invoice of an invoice Relance issued: its CII XML at the EN 16931 profile (what
    /// a Factur-X PDF embeds), to deposit on an e-invoicing platform.
    Xml {
        number: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Show one invoice with what settled it, as of a date (each payment, credit note,
    /// dispute and closure counted from its own date).
    Show {
        number: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum HandOverArg {
    Agency,
    Court,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FilterArg {
    Open,
    Overdue,
    Paid,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortInvoice {
    Due,
    Amount,
    Customer,
    Number,
}

pub fn run(conn: &mut Connection, db: &std::path::Path, cmd: InvoiceCmd) -> Result<()> {
    match cmd {
        InvoiceCmd::Delete { number } => {
            relance_core::invoices::delete(conn, &number)?;
            out!("Invoice {} deleted.", number.trim());
        }
        InvoiceCmd::Pdf { number, out } => {
            let bytes = relance_core::documents::invoice::pdf(conn, &number)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        InvoiceCmd::Xml { number, out } => {
            let bytes = relance_core::documents::cii::xml(conn, &number)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        InvoiceCmd::Add {
            number,
            customer,
            issue_date,
            due_date,
            total,
            net,
            currency,
            reference,
            notes,
        } => {
            let today = relance_core::app::today()?;
            let v = invoices::create(
                conn,
                &InvoiceInput {
                    number,
                    customer,
                    issue_date,
                    due_date,
                    total,
                    net,
                    currency,
                    reference,
                    notes,
                },
                today,
            )?;
            out!(
                "Invoice {} added: {} {} due {}",
                v.number,
                v.total,
                v.currency,
                v.due_date
            );
        }
        InvoiceCmd::List {
            filter,
            sort,
            desc,
            customer,
            search,
            as_of,
            limit,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let customer_id = match customer {
                Some(r) => Some(customers::id_by_ref(conn, "customer", &r)?),
                None => None,
            };
            let page = invoices::list(
                conn,
                &InvoiceQuery {
                    filter: match filter {
                        FilterArg::Open => InvoiceFilter::Open,
                        FilterArg::Overdue => InvoiceFilter::Overdue,
                        FilterArg::Paid => InvoiceFilter::Paid,
                        FilterArg::All => InvoiceFilter::All,
                    },
                    sort: match sort {
                        SortInvoice::Due => InvoiceSort::DueDate,
                        SortInvoice::Amount => InvoiceSort::Amount,
                        SortInvoice::Customer => InvoiceSort::Customer,
                        SortInvoice::Number => InvoiceSort::Number,
                    },
                    descending: desc,
                    customer_id,
                    search,
                    limit,
                    offset: 0,
                },
                as_of,
            )?;
            if format == Format::Json {
                print_json(&page.rows);
            } else {
                print_invoices(&page.rows);
                out!(
                    "{}",
                    relance_core::Lang::En.count(page.total, "invoice", "invoices")
                );
            }
        }
        InvoiceCmd::WriteOff {
            number,
            reason,
            date,
        } => {
            let date = date_or_today(&date, "date")?;
            dunning::close_invoice(conn, &number, ClosureKind::WriteOff, date, &reason)?;
            out!("Invoice {number} written off.");
        }
        InvoiceCmd::HandOver {
            number,
            to,
            reason,
            date,
        } => {
            let date = date_or_today(&date, "date")?;
            let kind = match to {
                HandOverArg::Agency => ClosureKind::Agency,
                HandOverArg::Court => ClosureKind::Court,
            };
            dunning::close_invoice(conn, &number, kind, date, &reason)?;
            out!("Invoice {number} handed over.");
        }
        InvoiceCmd::Show {
            number,
            as_of,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let id = invoices::find_id(conn, &number)?.ok_or(Error::NotFound {
                what: "invoice",
                key: number.clone(),
            })?;
            let d = views::invoice_page::detail(conn, id, as_of)?;
            if format == Format::Json {
                print_json(&d);
            } else {
                let i = &d.invoice;
                out!(
                    "{} — {} {}",
                    i.number,
                    i.customer_reference,
                    i.customer_name
                );
                out!(
                    "  issued {}  due {}  ({:?})",
                    i.issue_date,
                    i.due_date,
                    i.status
                );
                out!(
                    "  total {} {}  settled {}  balance {}",
                    i.total,
                    i.currency,
                    i.settled,
                    i.balance
                );
                let rows: Vec<Vec<String>> = d
                    .settlements
                    .iter()
                    .map(|s| {
                        vec![
                            s.date.to_string(),
                            s.kind.clone(),
                            s.amount.clone(),
                            s.reference.clone(),
                        ]
                    })
                    .collect();
                if !rows.is_empty() {
                    table(&["date", "kind", "amount", "reference"], &rows);
                }
            }
        }
    }
    Ok(())
}

/// The invoice table (also used by `customer show`).
pub(crate) fn print_invoices(rows: &[invoices::InvoiceView]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|i| {
            vec![
                i.number.clone(),
                i.customer_reference.clone(),
                i.issue_date.to_string(),
                i.due_date.to_string(),
                format!("{} {}", i.total, i.currency),
                i.balance.clone(),
                json_str(&i.status),
            ]
        })
        .collect();
    table(
        &[
            "number", "customer", "issued", "due", "total", "balance", "status",
        ],
        &rows,
    );
}
