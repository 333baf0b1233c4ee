//! `relance`: parses arguments, calls one engine function, prints the result. Each subject's
//! arguments and execution live in their own module (a new subcommand is one new file).
//! Exit status: 0 success, 1 input refused (the message names the row and field),
//! 2 usage error, 3 system failure (database or file could not be read or written).

#[macro_use]
mod output;
mod backup;
mod bank;
mod contracts;
mod customers;
mod data;
mod documents;
mod dunning;
mod invoices;
mod legal;
mod payments;
mod promises;
mod reports;
mod server;
mod settings;
mod today;
use clap::{Parser, Subcommand};
use output::{fail, LangArg};
use relance_core::{Connection, Lang};
use std::path::Path;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "relance",
    version,
    about = output::ABOUT,
    long_about = output::LONG_ABOUT,
    after_help = output::AFTER_HELP
)]
struct Cli {
    /// The ledger: a file, or a shared ledger on a PostgreSQL server (postgres://host/db,
    /// never with a password: PGPASSWORD, the desktop's keyring or ~/.pgpass; over TLS with
    /// ?sslmode=verify-full&sslrootcert=ca.crt). Default: $RELANCE_DB, else the app's data
    /// folder.
    #[arg(long, global = true, value_name = "PATH|postgres://…")]
    db: Option<std::ffi::OsString>,
    /// Language of messages (default: the ui_language setting).
    #[arg(long, global = true, value_enum)]
    lang: Option<LangArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the demo data set (a design studio, 25 customers, ~150 invoices) into an empty database.
    Demo(data::DemoArgs),
    /// Show or change settings (My company, defaults, language).
    #[command(subcommand)]
    Settings(settings::SettingsCmd),
    /// Customers: add, list, show.
    #[command(subcommand)]
    Customer(customers::CustomerCmd),
    /// Invoices: add, list, show.
    #[command(subcommand)]
    Invoice(invoices::InvoiceCmd),
    /// Contracts billed in milestones: add (deposit issued at signature), list, show, cancel.
    #[command(subcommand)]
    Contract(contracts::ContractCmd),
    /// Reach a contract's milestone: its invoice is issued (numbered, with legal mentions).
    #[command(subcommand)]
    Milestone(contracts::MilestoneCmd),
    /// Payments received.
    #[command(subcommand)]
    Payment(payments::PaymentCmd),
    /// Credit notes reducing an invoice.
    #[command(subcommand, name = "credit-note")]
    CreditNote(payments::CreditNoteCmd),
    /// What to do today: reminders, calls, letters and decisions, derived from the facts.
    Agenda(dunning::AgendaArgs),
    /// Compare what Today reads with its derivation: the wake dates with the agenda derived
    /// from every open invoice, on the day given and later ones, and the day's stored payer
    /// segments with every customer's profile (`--rebuild` computes them again first).
    Check(dunning::CheckArgs),
    /// Mark agenda actions done, skipped (with a reason) or snoozed until a date.
    #[command(subcommand)]
    Action(dunning::ActionCmd),
    /// Promises to pay.
    #[command(subcommand)]
    Promise(promises::PromiseCmd),
    /// Disputed invoices.
    #[command(subcommand)]
    Dispute(promises::DisputeCmd),
    /// Dunning scenarios.
    #[command(subcommand)]
    Scenario(dunning::ScenarioCmd),
    /// A customer's history (every action, payment and change), newest first.
    History(dunning::HistoryArgs),
    /// Import a CSV file (all rows or none).
    Import(data::ImportArgs),
    /// Export as CSV (canonical columns); `export all --out DIR` writes every table.
    Export(data::ExportArgs),
    /// Snapshot the whole database (`backup list`: the snapshots kept beside it); from a
    /// server ledger, `backup --out F.sqlite` writes it as a normal Relance file.
    Backup(backup::BackupArgs),
    /// A shared ledger on a PostgreSQL server: `server grant --role NAME` (the owner's).
    #[command(subcommand)]
    Server(server::ServerCmd),
    /// Move this ledger file onto an empty database on a PostgreSQL server (every table and
    /// every balance compared); the file is then kept as it was and says where it went.
    Move(backup::MoveArgs),
    /// Replace the data with a snapshot's (the current data is snapshotted first).
    Restore(backup::RestoreArgs),
    /// Late-payment interest and fixed indemnity of an invoice, with the breakdown.
    Penalties(legal::PenaltiesArgs),
    #[command(flatten)]
    Doc(documents::DocCmd),
    #[command(flatten)]
    Report(reports::ReportCmd),
    /// Bank statements: import (camt.053/054, OFX, MT940, bank CSV), lines, match, ignore, undo.
    #[command(subcommand)]
    Bank(bank::BankCmd),
    /// An invoice's payment reference (RF creditor reference, allocated once).
    Reference(bank::ReferenceArgs),
    /// Reference rates (ECB, Bank of England, French legal rate): list, add, remove.
    #[command(subcommand)]
    Rates(legal::RatesCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Who the history names when Settings gives no name: the system account.
    relance_core::journal::set_system_user(&relance_core::app::system_user());
    let (path, mut conn) = match backup::start(cli.db.as_deref()) {
        Ok(pc) => pc,
        Err(e) => return fail(&e, cli.lang.map_or(Lang::En, LangArg::lang)),
    };
    let lang = cli
        .lang
        .map_or_else(|| relance_core::settings::ui_language(&conn), LangArg::lang);
    match run(&mut conn, &path, cli.command, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, lang),
    }
}

fn run(conn: &mut Connection, db: &Path, command: Command, lang: Lang) -> relance_core::Result<()> {
    match command {
        Command::Demo(a) => data::demo(conn, a),
        Command::Settings(c) => settings::run(conn, c),
        Command::Customer(c) => customers::run(conn, c),
        Command::Invoice(c) => invoices::run(conn, db, c),
        Command::Contract(c) => contracts::run(conn, db, c),
        Command::Milestone(c) => contracts::milestone(conn, c),
        Command::Payment(c) => payments::run(conn, c),
        Command::CreditNote(c) => payments::run_credit_note(conn, db, c),
        Command::Agenda(a) => dunning::agenda(conn, a),
        Command::Action(c) => dunning::act(conn, c),
        Command::Check(a) => dunning::check(conn, a, lang),
        Command::Promise(c) => promises::run(conn, c),
        Command::Dispute(c) => promises::run_dispute(conn, c),
        Command::Scenario(c) => dunning::scenario(conn, c),
        Command::History(a) => dunning::history(conn, a),
        Command::Import(a) => data::import(conn, a),
        Command::Export(a) => data::export(conn, db, a),
        Command::Backup(a) => backup::run(conn, db, a),
        Command::Move(a) => backup::move_ledger(conn, a),
        Command::Server(c) => server::run(conn, c),
        Command::Restore(a) => backup::restore(conn, db, a),
        Command::Penalties(a) => legal::penalties(conn, a, lang),
        Command::Rates(c) => legal::rates(conn, c),
        Command::Bank(c) => bank::run(conn, c, lang),
        Command::Reference(a) => bank::reference(conn, a),
        Command::Doc(c) => documents::run(conn, db, c, lang),
        Command::Report(c) => reports::run(conn, db, c, lang),
    }
}
