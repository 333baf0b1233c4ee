//! `relance`: the command-line face of the engine. Parses arguments, calls one engine
//! function, prints the result. No business logic lives here.
//!
//! Exit status: 0 success, 1 input refused (the message names the row and field),
//! 2 usage error, 3 system failure (database or file could not be read or written).

/// Prints a line to standard output; a closed pipe (`relance … | head`) ends quietly.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod table;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use relance_core::customers::{self, CustomerInput, CustomerQuery, CustomerSort};
use relance_core::dunning::disputes::{self, DisputeInput, Resolution, ResolutionInput};
use relance_core::dunning::promises::{self, PromiseInput};
use relance_core::dunning::{self, scenarios, Act, ClosureKind};
use relance_core::import::{self, ImportKind};
use relance_core::invoices::credit_notes::{self, CreditNoteInput};
use relance_core::invoices::payments::{self, AllocationInput, PaymentInput};
use relance_core::invoices::{self, InvoiceFilter, InvoiceInput, InvoiceQuery, InvoiceSort};
use relance_core::{demo, settings, store, Error, Lang};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "relance",
    version,
    about = "Relance: keep customers and invoices, record payments, get paid.",
    long_about = "Relance keeps your customers and invoices and tells you whom to remind.\n\
        Every command works on the same database as the desktop app.",
    after_help = "Exit status: 0 success, 1 input refused, 2 usage error, 3 system failure.\n\
        Dates: YYYY-MM-DD or DD/MM/YYYY. Amounts: 1234.56 or 1 234,56."
)]
struct Cli {
    /// Database file (default: $RELANCE_DB, else the app's data folder).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Language of messages (default: the ui_language setting).
    #[arg(long, global = true, value_enum)]
    lang: Option<LangArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Fr,
    En,
}

#[derive(Clone, Copy, ValueEnum, Default, PartialEq)]
enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Load the demo data set (a design studio, 25 customers, ~150 invoices) into an empty database.
    Demo {
        /// Lay the demo's dates out relative to this day (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Show or change settings (My company, defaults, language).
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Customers: add, list, show.
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Invoices: add, list, show.
    #[command(subcommand)]
    Invoice(InvoiceCmd),
    /// Payments received.
    #[command(subcommand)]
    Payment(PaymentCmd),
    /// Credit notes reducing an invoice.
    #[command(subcommand, name = "credit-note")]
    CreditNote(CreditNoteCmd),
    /// What to do today: reminders, calls, letters and decisions, derived from the facts.
    Agenda {
        /// The day to compute the agenda for (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Mark agenda actions done, skipped (with a reason) or snoozed until a date.
    #[command(subcommand)]
    Action(ActionCmd),
    /// Promises to pay.
    #[command(subcommand)]
    Promise(PromiseCmd),
    /// Disputed invoices.
    #[command(subcommand)]
    Dispute(DisputeCmd),
    /// Dunning scenarios.
    #[command(subcommand)]
    Scenario(ScenarioCmd),
    /// A customer's history (every action, payment and change), newest first.
    History {
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Import a CSV file (all rows or none).
    Import {
        #[arg(value_enum)]
        kind: KindArg,
        /// The CSV file (comma, semicolon or tab separated; UTF-8).
        file: PathBuf,
        /// Check every row and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export as CSV (canonical columns).
    Export {
        #[arg(value_enum)]
        kind: KindArg,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct ActOn {
    /// Action ids as `relance agenda` prints them (CUSTOMER/kind/channel); several at once.
    #[arg(required = true)]
    ids: Vec<String>,
    /// The agenda day the actions belong to (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

#[derive(Subcommand)]
enum ActionCmd {
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
}

#[derive(Subcommand)]
enum PromiseCmd {
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
enum DisputeCmd {
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
enum ResolutionArg {
    CreditNote,
    Rejected,
    Settled,
}

#[derive(Subcommand)]
enum ScenarioCmd {
    /// List scenarios and their steps.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Make a customer follow a scenario (standard, key_account, late_payer or an id).
    Assign { customer: String, scenario: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Customers,
    Invoices,
    Payments,
}

impl From<KindArg> for ImportKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Customers => ImportKind::Customers,
            KindArg::Invoices => ImportKind::Invoices,
            KindArg::Payments => ImportKind::Payments,
        }
    }
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Show every setting.
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Set one setting. Keys: company_name, address, postal_code, city, country, email, phone,
    /// siren, siret, vat_number, uk_company_number, iban, bic, default_currency,
    /// default_payment_terms_days, ui_language, logo (a PNG/JPEG file path).
    Set { key: String, value: String },
}

#[derive(Args)]
struct CustomerFields {
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
}

#[derive(Subcommand)]
enum CustomerCmd {
    /// Add a customer.
    Add(Box<CustomerFields>),
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
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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
enum SortCustomer {
    Name,
    Outstanding,
    Overdue,
}

#[derive(Subcommand)]
enum InvoiceCmd {
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
    /// Show one invoice with what settled it.
    Show {
        number: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum HandOverArg {
    Agency,
    Court,
}

#[derive(Clone, Copy, ValueEnum)]
enum FilterArg {
    Open,
    Overdue,
    Paid,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum SortInvoice {
    Due,
    Amount,
    Customer,
    Number,
}

#[derive(Subcommand)]
enum PaymentCmd {
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
enum CreditNoteCmd {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = cli.db.clone().unwrap_or_else(store::default_path);
    let mut conn = match store::open(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("relance: cannot open {}: {}", path.display(), e);
            return ExitCode::from(3);
        }
    };
    let lang = match cli.lang {
        Some(LangArg::Fr) => Lang::Fr,
        Some(LangArg::En) => Lang::En,
        None => settings::ui_language(&conn),
    };
    match run(&mut conn, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let field = e.field().map(|f| format!("{f}: ")).unwrap_or_default();
            eprintln!("relance: {field}{}", e.message(lang));
            ExitCode::from(if e.is_refusal() { 1 } else { 3 })
        }
    }
}

fn date_or_today(s: &Option<String>, field: &str) -> relance_core::Result<NaiveDate> {
    match s {
        Some(s) => relance_core::validate::parse_date(field, s),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

fn print_json<T: Serialize>(value: &T) {
    out!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}

fn run(conn: &mut relance_core::Connection, command: Command) -> relance_core::Result<()> {
    match command {
        Command::Demo { as_of } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let r = demo::load(conn, as_of)?;
            out!(
                "Demo loaded as of {as_of}: {} customers, {} invoices, {} payments.",
                r.customers,
                r.invoices,
                r.payments
            );
        }
        Command::Settings(SettingsCmd::Show { format }) => {
            let s = settings::get(conn)?;
            if format == Format::Json {
                print_json(&s);
            } else {
                let value = serde_json::to_value(&s).expect("serializable");
                let rows: Vec<Vec<String>> = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        vec![
                            k.clone(),
                            v.as_str().map(String::from).unwrap_or(v.to_string()),
                        ]
                    })
                    .collect();
                table::print(&["key", "value"], &rows);
            }
        }
        Command::Settings(SettingsCmd::Set { key, value }) => {
            settings::set(conn, &key, &value)?;
            out!("{key} saved.");
        }
        Command::Customer(CustomerCmd::Add(f)) => {
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
                },
            )?;
            out!("Customer {} added: {}", c.reference, c.name);
        }
        Command::Customer(CustomerCmd::List {
            search,
            sort,
            desc,
            as_of,
            limit,
            format,
        }) => {
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
                            if c.on_hold {
                                "on hold".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect();
                table::print(
                    &[
                        "reference",
                        "name",
                        "kind",
                        "open",
                        "outstanding",
                        "overdue",
                        "",
                    ],
                    &rows,
                );
                out!("{} customer(s)", page.total);
            }
        }
        Command::Customer(CustomerCmd::Show {
            reference,
            as_of,
            format,
        }) => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let c = customers::get_by_ref(conn, &reference)?;
            let d = customers::detail(conn, c.id, as_of)?;
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
        Command::Invoice(InvoiceCmd::Add {
            number,
            customer,
            issue_date,
            due_date,
            total,
            net,
            currency,
            reference,
            notes,
        }) => {
            let today = chrono::Local::now().date_naive();
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
        Command::Invoice(InvoiceCmd::List {
            filter,
            sort,
            desc,
            customer,
            search,
            as_of,
            limit,
            format,
        }) => {
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
                out!("{} invoice(s)", page.total);
            }
        }
        Command::Invoice(InvoiceCmd::WriteOff {
            number,
            reason,
            date,
        }) => {
            let date = date_or_today(&date, "date")?;
            dunning::close_invoice(conn, &number, ClosureKind::WriteOff, date, &reason)?;
            out!("Invoice {number} written off.");
        }
        Command::Invoice(InvoiceCmd::HandOver {
            number,
            to,
            reason,
            date,
        }) => {
            let date = date_or_today(&date, "date")?;
            let kind = match to {
                HandOverArg::Agency => ClosureKind::Agency,
                HandOverArg::Court => ClosureKind::Court,
            };
            dunning::close_invoice(conn, &number, kind, date, &reason)?;
            out!("Invoice {number} handed over.");
        }
        Command::Invoice(InvoiceCmd::Show {
            number,
            as_of,
            format,
        }) => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let id = invoices::find_id(conn, &number)?.ok_or(Error::NotFound {
                what: "invoice",
                key: number.clone(),
            })?;
            let d = invoices::detail(conn, id, as_of)?;
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
                    table::print(&["date", "kind", "amount", "reference"], &rows);
                }
            }
        }
        Command::Payment(PaymentCmd::Add {
            customer,
            date,
            amount,
            currency,
            method,
            reference,
            note,
            invoices: targets,
            keep_as_credit,
        }) => {
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
        Command::Payment(PaymentCmd::ApplyCredit {
            invoice,
            amount,
            date,
        }) => {
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
        Command::CreditNote(CreditNoteCmd::Add {
            invoice,
            amount,
            date,
            number,
            reason,
        }) => {
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
        Command::Agenda { as_of, format } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let actions = dunning::agenda(conn, as_of)?;
            emit(
                format,
                &actions,
                &["action", "step", "invoices", "amount", "days late", ""],
                |a| {
                    vec![
                        a.id.clone(),
                        a.step.clone(),
                        a.invoices.join(" "),
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
                out!("{} action(s) for {as_of}", actions.len());
            }
        }
        Command::Action(cmd) => {
            let (on, what) = match cmd {
                ActionCmd::Done { on, note } => (on, Act::Done { note }),
                ActionCmd::Skip { on, reason } => (on, Act::Skip { reason }),
                ActionCmd::Snooze { on, until, note } => (on, Act::Snooze { until, note }),
            };
            let as_of = date_or_today(&on.as_of, "as_of")?;
            let n = dunning::act(conn, as_of, &on.ids, &what)?;
            out!("{n} action(s) recorded.");
        }
        Command::Promise(PromiseCmd::Add {
            customer,
            date,
            amount,
            invoices,
            note,
            as_of,
        }) => {
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
        Command::Promise(PromiseCmd::List { as_of, format }) => {
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
        Command::Dispute(DisputeCmd::Open {
            invoice,
            category,
            note,
            as_of,
        }) => {
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
        Command::Dispute(DisputeCmd::Resolve {
            id,
            resolution,
            amount,
            note,
            as_of,
        }) => {
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
        Command::Dispute(DisputeCmd::List { all, as_of, format }) => {
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
        Command::Scenario(ScenarioCmd::List { format }) => {
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
        Command::Scenario(ScenarioCmd::Assign { customer, scenario }) => {
            let cid = customers::id_by_ref(conn, "customer", &customer)?;
            let sid = scenarios::find(conn, &scenario)?;
            scenarios::assign(conn, cid, sid)?;
            out!("{customer} now follows scenario {scenario}.");
        }
        Command::History {
            customer,
            limit,
            format,
        } => {
            let cid = customers::id_by_ref(conn, "customer", &customer)?;
            let entries = relance_core::journal::for_customer(conn, cid, limit)?;
            emit(
                format,
                &entries,
                &["date", "what", "action", "invoices", "amount", "note"],
                |e| {
                    vec![
                        e.on_date.to_string(),
                        json_str(&e.kind),
                        e.action.clone().unwrap_or_default(),
                        e.invoices.join(" "),
                        e.amount
                            .clone()
                            .map(|a| format!("{a} {}", e.currency.clone().unwrap_or_default()))
                            .unwrap_or_default(),
                        e.note.clone(),
                    ]
                },
            );
        }
        Command::Import {
            kind,
            file,
            dry_run,
        } => {
            let bytes = std::fs::read(&file)?;
            let r = import::import(conn, kind.into(), &bytes, dry_run)?;
            if r.dry_run {
                out!(
                    "Dry run: {} row(s) would be imported; nothing was written.",
                    r.rows
                );
            } else {
                out!("{} row(s) imported.", r.rows);
            }
        }
        Command::Export { kind, out } => {
            let today = chrono::Local::now().date_naive();
            let bytes = import::export(conn, kind.into(), today)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &bytes)?;
                    eprintln!("Written to {}", path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(())
}

/// Prints `items` as pretty JSON, or as a table with one row per item.
fn emit<T: Serialize>(
    format: Format,
    items: &[T],
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) {
    if format == Format::Json {
        print_json(&items);
    } else {
        let rows: Vec<Vec<String>> = items.iter().map(row).collect();
        table::print(headers, &rows);
    }
}

/// The JSON name of an enum value ("partially_paid"), for tables.
fn json_str<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn print_invoices(rows: &[invoices::InvoiceView]) {
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
    table::print(
        &[
            "number", "customer", "issued", "due", "total", "balance", "status",
        ],
        &rows,
    );
}
