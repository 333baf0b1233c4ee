//! `relance customer`: add, list and show customers.

use crate::invoices::print_invoices;
use crate::output::{print_json, table, Format};
use crate::today::date_or_today;
use clap::{Args, Subcommand, ValueEnum};
use relance_core::customers::{self, CustomerInput, CustomerQuery, CustomerSort};
use relance_core::{views, Connection, Result};

#[derive(Args)]
pub struct CustomerFields {
    /// Unique reference (generated when omitted).
    #[arg(long, default_value = "")]
    reference: String,
    #[arg(long)]
    name: String,
    /// business or individual.
    #[arg(long, default_value = "business")]
    kind: String,
    /// Letter language: fr or en.
    #[arg(long, default_value = "fr")]
    language: String,
    #[arg(long, default_value = "")]
    email: String,
    #[arg(long, default_value = "")]
    phone: String,
    /// Street lines of the postal address.
    #[arg(long, default_value = "")]
    address: String,
    #[arg(long, default_value = "")]
    postal_code: String,
    #[arg(long, default_value = "")]
    city: String,
    /// Two-letter country code.
    #[arg(long, default_value = "")]
    country: String,
    /// transfer, direct_debit, card, cheque or cash.
    #[arg(long, default_value = "")]
    payment_method: String,
    /// Payment terms in days (default: the company's).
    #[arg(long, default_value = "")]
    payment_terms_days: String,
    #[arg(long, default_value = "")]
    contact_name: String,
    #[arg(long, default_value = "")]
    contact_email: String,
    #[arg(long, default_value = "")]
    contact_phone: String,
    /// How they pay: approver, PO required, supplier portal, payment runs.
    #[arg(long, default_value = "")]
    payment_notes: String,
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    credit_limit: String,
    #[arg(long)]
    on_hold: bool,
    #[arg(long, default_value = "")]
    hold_reason: String,
    /// Accounts the customer pays from (IBANs, comma-separated): the bank matcher
    /// proposes their transfers by these.
    #[arg(long)]
    payer_accounts: Option<String>,
    /// SIREN (9 digits): named on their e-invoices.
    #[arg(long, default_value = "")]
    siren: String,
    /// VAT number (a reverse charge needs it).
    #[arg(long, default_value = "")]
    vat_number: String,
}

/// What `customer edit` changes: only the options given; an empty value clears a field.
#[derive(Args)]
pub struct CustomerEdit {
    /// The customer's current reference.
    reference: String,
    /// A new reference.
    #[arg(long = "new-reference")]
    new_reference: Option<String>,
    #[arg(long)]
    name: Option<String>,
    /// business or individual.
    #[arg(long)]
    kind: Option<String>,
    /// Letter language: fr or en.
    #[arg(long)]
    language: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    postal_code: Option<String>,
    #[arg(long)]
    city: Option<String>,
    #[arg(long)]
    country: Option<String>,
    #[arg(long)]
    payment_method: Option<String>,
    #[arg(long)]
    payment_terms_days: Option<String>,
    #[arg(long)]
    contact_name: Option<String>,
    #[arg(long)]
    contact_email: Option<String>,
    #[arg(long)]
    contact_phone: Option<String>,
    #[arg(long)]
    payment_notes: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    credit_limit: Option<String>,
    /// yes or no.
    #[arg(long)]
    on_hold: Option<String>,
    #[arg(long)]
    hold_reason: Option<String>,
    #[arg(long)]
    payer_accounts: Option<String>,
    #[arg(long)]
    siren: Option<String>,
    #[arg(long)]
    vat_number: Option<String>,
}

#[derive(Subcommand)]
pub enum CustomerCmd {
    /// Add a customer.
    Add(Box<CustomerFields>),
    /// Change a customer's details: only the options given change.
    Edit(Box<CustomerEdit>),
    /// List customers with outstanding and overdue totals.
    List {
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long, value_enum, default_value_t = SortCustomer::Name)]
        sort: SortCustomer,
        /// Largest first / Z to A.
        #[arg(long)]
        desc: bool,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        /// The archived customers instead.
        #[arg(long)]
        archived: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete a customer entered by mistake (refused once anything depends on them: archive
    /// them instead).
    Delete { reference: String },
    /// Archive a customer who owes nothing: hidden from the lists and Today, history kept.
    Archive {
        reference: String,
        /// Bring them back from the archive.
        #[arg(long)]
        undo: bool,
    },
    /// Show one customer with their invoices, payments and credit.
    Show {
        reference: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortCustomer {
    Name,
    Outstanding,
    Overdue,
}

pub fn run(conn: &mut Connection, cmd: CustomerCmd) -> Result<()> {
    match cmd {
        CustomerCmd::Add(f) => {
            let f = *f;
            let c = customers::create(
                conn,
                &CustomerInput {
                    reference: f.reference,
                    name: f.name,
                    kind: f.kind,
                    language: f.language,
                    email: f.email,
                    phone: f.phone,
                    address: f.address,
                    postal_code: f.postal_code,
                    city: f.city,
                    country: f.country,
                    payment_method: f.payment_method,
                    payment_terms_days: f.payment_terms_days,
                    contact_name: f.contact_name,
                    contact_email: f.contact_email,
                    contact_phone: f.contact_phone,
                    payment_notes: f.payment_notes,
                    credit_limit: f.credit_limit,
                    on_hold: f.on_hold,
                    hold_reason: f.hold_reason,
                    payer_accounts: f.payer_accounts,
                    siren: f.siren,
                    vat_number: f.vat_number,
                    loaded_version: String::new(),
                },
            )?;
            out!("Customer {} added: {}", c.reference, c.name);
        }
        CustomerCmd::Edit(e) => {
            let e = *e;
            let existing =
                customers::get(conn, customers::id_by_ref(conn, "reference", &e.reference)?)?;
            let mut input = existing.as_input();
            let set = |field: &mut String, value: Option<String>| {
                if let Some(v) = value {
                    *field = v;
                }
            };
            set(&mut input.reference, e.new_reference);
            set(&mut input.name, e.name);
            set(&mut input.kind, e.kind);
            set(&mut input.language, e.language);
            set(&mut input.email, e.email);
            set(&mut input.phone, e.phone);
            set(&mut input.address, e.address);
            set(&mut input.postal_code, e.postal_code);
            set(&mut input.city, e.city);
            set(&mut input.country, e.country);
            set(&mut input.payment_method, e.payment_method);
            set(&mut input.payment_terms_days, e.payment_terms_days);
            set(&mut input.contact_name, e.contact_name);
            set(&mut input.contact_email, e.contact_email);
            set(&mut input.contact_phone, e.contact_phone);
            set(&mut input.payment_notes, e.payment_notes);
            set(&mut input.credit_limit, e.credit_limit);
            set(&mut input.hold_reason, e.hold_reason);
            set(&mut input.siren, e.siren);
            set(&mut input.vat_number, e.vat_number);
            if let Some(h) = e.on_hold {
                input.on_hold = relance_core::validate::boolean("on_hold", &h)?;
            }
            input.payer_accounts = e.payer_accounts;
            let c = customers::update(conn, existing.id, &input)?;
            out!("Customer {} updated: {}", c.reference, c.name);
        }
        CustomerCmd::Delete { reference } => {
            customers::delete(conn, &reference)?;
            out!("Customer {} deleted.", reference.trim());
        }
        CustomerCmd::Archive { reference, undo } => {
            let today = date_or_today(&None, "as_of")?;
            customers::set_archived(conn, &reference, !undo, relance_core::Lang::En, today)?;
            if undo {
                out!("Customer {} is back from the archive.", reference.trim());
            } else {
                out!("Customer {} archived.", reference.trim());
            }
        }
        CustomerCmd::List {
            search,
            sort,
            desc,
            as_of,
            limit,
            archived,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let page = customers::list(
                conn,
                &CustomerQuery {
                    search,
                    sort: match sort {
                        SortCustomer::Name => CustomerSort::Name,
                        SortCustomer::Outstanding => CustomerSort::Outstanding,
                        SortCustomer::Overdue => CustomerSort::Overdue,
                    },
                    descending: desc,
                    archived,
                    limit,
                    offset: 0,
                },
                as_of,
            )?;
            if format == Format::Json {
                print_json(&page.rows);
            } else {
                let rows: Vec<Vec<String>> = page
                    .rows
                    .iter()
                    .map(|c| {
                        vec![
                            c.reference.clone(),
                            c.name.clone(),
                            c.kind.as_str().into(),
                            c.open_invoices.to_string(),
                            c.outstanding.clone(),
                            c.overdue.clone(),
                            c.other_currencies
                                .iter()
                                .map(|b| format!("{} {}", b.outstanding, b.currency))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if c.on_hold {
                                "on hold".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect();
                table(
                    &[
                        "reference",
                        "name",
                        "kind",
                        "open",
                        "outstanding",
                        "overdue",
                        "other currencies",
                        "",
                    ],
                    &rows,
                );
                out!(
                    "{}",
                    relance_core::Lang::En.count(page.total, "customer", "customers")
                );
            }
        }
        CustomerCmd::Show {
            reference,
            as_of,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let c = customers::get_by_ref(conn, &reference)?;
            let d = views::customer_page::detail(conn, c.id, as_of)?;
            if format == Format::Json {
                print_json(&d);
            } else {
                let c = &d.customer;
                out!("{} — {} ({})", c.reference, c.name, c.kind.as_str());
                for (label, value) in [
                    ("e-mail", &c.email),
                    ("phone", &c.phone),
                    ("address", &c.address),
                    (
                        "city",
                        &format!("{} {} {}", c.postal_code, c.city, c.country),
                    ),
                    ("contact", &c.contact_name),
                    ("how they pay", &c.payment_notes),
                ] {
                    if !value.trim().is_empty() {
                        out!("  {label:<13} {}", value.replace('\n', ", "));
                    }
                }
                if c.on_hold {
                    out!("  ON HOLD: {}", c.hold_reason);
                }
                for a in &d.outstanding {
                    out!("  outstanding   {} {}", a.amount, a.currency);
                }
                for a in &d.overdue {
                    out!("  overdue       {} {}", a.amount, a.currency);
                }
                for a in &d.credit {
                    out!("  credit        {} {}", a.amount, a.currency);
                }
                print_invoices(&d.invoices);
            }
        }
    }
    Ok(())
}
