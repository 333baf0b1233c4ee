//! `relance invoice`: add, edit, list, show, write off and hand over invoices.

use crate::output::{json_str, print_json, table, Format};
use crate::today::date_or_today;
use clap::{Subcommand, ValueEnum};
use relance_core::customers;
use relance_core::dunning;
use relance_core::invoices::{
    self, drafts, ClosureKind, InvoiceFilter, InvoiceInput, InvoiceQuery, InvoiceSort,
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
    /// Change an invoice recorded by hand or imported: only the fields given change. An
    /// invoice Relance issued never changes (a credit note corrects it); a number no longer
    /// changes once a document sent names it.
    Edit {
        number: String,
        /// Its new number (the renaming is kept in its history).
        #[arg(long = "number", value_name = "NUMBER")]
        new_number: Option<String>,
        /// The customer's reference.
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        issue_date: Option<String>,
        #[arg(long)]
        due_date: Option<String>,
        /// Total including tax.
        #[arg(long, allow_hyphen_values = true)]
        total: Option<String>,
        /// Amount excluding tax.
        #[arg(long, allow_hyphen_values = true)]
        net: Option<String>,
        /// Customer's reference or purchase-order number.
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// The PDF of an invoice Relance issued (a contract milestone), with its legal mentions.
    Pdf {
        number: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Start an invoice: a draft for a customer, with its lines. Prints the draft's id and
    /// totals (VAT per rate on the sum of the line nets).
    Draft {
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        /// "description|quantity|unit price excl. tax|VAT rate[|unit[|discount %]]", e.g.
        /// "Conseil|2.5|80|20|HUR"; repeat for each line.
        #[arg(long = "line", value_name = "LINE", allow_hyphen_values = true)]
        lines: Vec<String>,
        /// The day the goods were delivered or the service done (default: the issue date).
        #[arg(long, value_name = "DATE", default_value = "")]
        delivery_date: String,
        /// No VAT charged because of a reverse charge or an export.
        #[arg(long, value_enum)]
        vat_exemption: Option<ExemptionArg>,
        #[arg(long, default_value = "")]
        notes: String,
        /// ISO code (default: the company's currency).
        #[arg(long, default_value = "")]
        currency: String,
        /// Euros for one unit of the currency (e.g. 1.165): an invoice in another currency
        /// by a French company states its VAT in euros too.
        #[arg(long, value_name = "RATE", default_value = "")]
        exchange_rate: String,
        /// What the invoice bills: services (the default), goods or mixed.
        #[arg(long, default_value = "")]
        operation: String,
        /// Where the goods were delivered or the service done, when not at the customer's
        /// address: "street|postal code|city[|country]" (a second street line after " / ").
        #[arg(long, value_name = "ADDRESS")]
        delivery_address: Option<String>,
        /// A discount on the whole invoice, in percent (e.g. 5): taken off every VAT rate's
        /// lines before its VAT.
        #[arg(long, value_name = "PERCENT", default_value = "")]
        discount: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The drafts not issued yet.
    Drafts {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Add or remove a draft's lines.
    #[command(subcommand)]
    Line(LineCmd),
    /// Issue a draft: dated today, numbered from the yearly sequence, immutable; its
    /// Factur-X PDF and XML are archived. Cannot be undone (--yes).
    Issue {
        draft: i64,
        #[arg(long)]
        yes: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete a draft.
    Discard { draft: i64 },
    /// A new draft with the lines of an invoice Relance issued.
    Duplicate {
        number: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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

#[derive(Subcommand)]
pub enum LineCmd {
    /// Add a line at the end of a draft.
    Add {
        draft: i64,
        /// "description|quantity|unit price excl. tax|VAT rate[|unit[|discount %]]".
        #[arg(long = "line", value_name = "LINE", allow_hyphen_values = true)]
        line: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Remove line POSITION (from 1) of a draft.
    Remove {
        draft: i64,
        position: usize,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExemptionArg {
    ReverseChargeGoods,
    ReverseChargeServices,
    Export,
}

/// A delivery address as the CLI takes it: "street|postal code|city[|country]", a second
/// street line after " / ".
fn address_of(spec: &str) -> Result<relance_core::invoices::issue::DeliveryAddress> {
    let parts: Vec<&str> = spec.split('|').map(str::trim).collect();
    if !(3..=4).contains(&parts.len()) {
        return Err(Error::invalid(
            "delivery_address",
            relance_core::Msg::OneOf(vec![
                "street|postal code|city",
                "street|postal code|city|country",
            ]),
        ));
    }
    Ok(relance_core::invoices::issue::DeliveryAddress {
        street: parts[0]
            .split(" / ")
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n"),
        postal_code: parts[1].into(),
        city: parts[2].into(),
        country: parts.get(3).copied().unwrap_or("").into(),
    })
}

/// A line as the CLI takes it: "description|quantity|unit price|VAT rate[|unit[|discount]]".
pub(crate) fn line_of(spec: &str) -> Result<drafts::DraftLineInput> {
    let parts: Vec<&str> = spec.split('|').collect();
    // The VAT rate may be left out where none is charged (franchise, reverse charge, export).
    if !(3..=6).contains(&parts.len()) {
        return Err(Error::invalid(
            "line",
            relance_core::Msg::OneOf(vec![
                "description|quantity|unit price|VAT rate",
                "description|quantity|unit price|VAT rate|unit",
                "description|quantity|unit price|VAT rate|unit|discount",
            ]),
        ));
    }
    let at = |i: usize| parts.get(i).map_or(String::new(), |s| s.trim().to_string());
    Ok(drafts::DraftLineInput {
        description: at(0),
        quantity: at(1),
        unit_price: at(2),
        vat_rate: at(3),
        unit: at(4),
        discount: at(5),
    })
}

/// A draft: its lines, the VAT breakdown and the totals (or JSON).
fn print_draft(d: &drafts::DraftView, format: Format) {
    if format == Format::Json {
        print_json(d);
        return;
    }
    let t = &d.totals;
    out!(
        "Draft {} for {} ({}), {}:",
        d.id,
        d.customer_name,
        d.customer_reference,
        t.currency
    );
    table(
        &[
            "#",
            "description",
            "qty",
            "unit",
            "unit price",
            "VAT %",
            "discount",
            "net",
        ],
        &t.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                vec![
                    (i + 1).to_string(),
                    l.description.clone(),
                    l.quantity.clone(),
                    l.unit.clone(),
                    l.unit_price.clone(),
                    l.vat_rate.clone(),
                    l.discount_amount.clone(),
                    l.net.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    );
    for a in &t.allowances {
        out!(
            "Discount {} % on the {} {} % lines ({}): -{}",
            a.percent,
            a.category,
            a.rate,
            a.basis,
            a.amount
        );
    }
    for g in &t.groups {
        out!("VAT {} {} % on {}: {}", g.category, g.rate, g.basis, g.vat);
    }
    out!(
        "Total net {}, VAT {}, total {} {}.",
        t.net,
        t.vat,
        t.total,
        t.currency
    );
    if !t.mention.is_empty() {
        out!("{}", t.mention);
    }
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
        InvoiceCmd::Edit {
            number,
            new_number,
            customer,
            issue_date,
            due_date,
            total,
            net,
            reference,
            notes,
        } => {
            let today = relance_core::app::today()?;
            let was = invoices::stored_by_number(conn, "number", &number)?;
            let v = invoices::get(conn, was.id, today)?;
            let input = InvoiceInput {
                number: new_number.unwrap_or_else(|| v.number.clone()),
                customer: customer.unwrap_or(v.customer_reference),
                issue_date: issue_date.unwrap_or_else(|| v.issue_date.to_string()),
                due_date: due_date.unwrap_or_else(|| v.due_date.to_string()),
                total: total.unwrap_or(v.total),
                net: net.unwrap_or_else(|| v.net.unwrap_or_default()),
                currency: v.currency,
                reference: reference.unwrap_or(v.reference),
                notes: notes.unwrap_or(v.notes),
            };
            let saved = invoices::update(conn, v.id, &input, today)?;
            if saved.number == v.number {
                out!("Invoice {} saved.", saved.number);
            } else {
                out!("Invoice {} saved (was {}).", saved.number, v.number);
            }
        }
        InvoiceCmd::Pdf { number, out } => {
            let bytes = relance_core::documents::invoice::pdf(conn, &number)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        InvoiceCmd::Draft {
            customer,
            lines,
            delivery_date,
            vat_exemption,
            notes,
            currency,
            exchange_rate,
            operation,
            delivery_address,
            discount,
            format,
        } => {
            let input = drafts::DraftInput {
                discount,
                delivery_address: match delivery_address {
                    Some(spec) => address_of(&spec)?,
                    None => Default::default(),
                },
                customer,
                currency,
                exchange_rate,
                operation,
                delivery_date,
                notes,
                vat_exemption: match vat_exemption {
                    None => String::new(),
                    Some(ExemptionArg::ReverseChargeGoods) => "reverse_charge_goods".into(),
                    Some(ExemptionArg::ReverseChargeServices) => "reverse_charge_services".into(),
                    Some(ExemptionArg::Export) => "export".into(),
                },
                lines: lines.iter().map(|l| line_of(l)).collect::<Result<_>>()?,
            };
            let d = drafts::create(conn, &input)?;
            print_draft(&d, format);
        }
        InvoiceCmd::Drafts { format } => {
            let list = drafts::list(conn)?;
            if format == Format::Json {
                print_json(&list);
            } else {
                table(
                    &["draft", "customer", "lines", "total", "currency", "changed"],
                    &list
                        .iter()
                        .map(|d| {
                            vec![
                                d.id.to_string(),
                                d.customer_reference.clone(),
                                d.totals.lines.len().to_string(),
                                d.totals.total.clone(),
                                d.totals.currency.clone(),
                                d.updated_at.clone(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                );
            }
        }
        InvoiceCmd::Line(LineCmd::Add {
            draft,
            line,
            format,
        }) => {
            let d = drafts::add_line(conn, draft, &line_of(&line)?)?;
            print_draft(&d, format);
        }
        InvoiceCmd::Line(LineCmd::Remove {
            draft,
            position,
            format,
        }) => {
            let d = drafts::remove_line(conn, draft, position)?;
            print_draft(&d, format);
        }
        InvoiceCmd::Issue { draft, yes, format } => {
            let d = drafts::get(conn, draft)?;
            if !yes {
                return Err(Error::invalid(
                    "yes",
                    relance_core::Msg::IssueNeedsYes {
                        customer: d.customer_name,
                        total: format!("{} {}", d.totals.total, d.totals.currency),
                    },
                ));
            }
            let today = date_or_today(&None, "as_of")?;
            let (_, number) = relance_core::documents::invoice::issue_draft(conn, draft, today)?;
            if format == Format::Json {
                print_json(&serde_json::json!({
                    "number": number,
                    "total": d.totals.total,
                    "currency": d.totals.currency,
                }));
            } else {
                out!(
                    "Invoice {number} issued to {}: {} {}.",
                    d.customer_name,
                    d.totals.total,
                    d.totals.currency
                );
            }
        }
        InvoiceCmd::Discard { draft } => {
            drafts::delete(conn, draft)?;
            out!("Draft {draft} deleted.");
        }
        InvoiceCmd::Duplicate { number, format } => {
            let d = drafts::duplicate(conn, &number)?;
            print_draft(&d, format);
        }
        InvoiceCmd::Xml { number, out } => {
            let bytes = relance_core::documents::invoice::xml(conn, &number)?;
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
