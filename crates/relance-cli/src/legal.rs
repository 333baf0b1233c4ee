//! `relance penalties`, `relance rates` and `relance letter`: late-payment interest, the
//! fixed indemnity, the reference rates they use, and the letters that claim them.

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
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
}

#[derive(Args)]
pub struct LetterArgs {
    /// The invoice the letter is about (the customer's other invoices at the same stage join it).
    #[arg(long)]
    invoice: String,
    /// courtesy, reminder, final-notice or formal-demand.
    #[arg(long)]
    kind: String,
    /// The letter's date (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The PDF file to write.
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
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
        /// ecb_mro, boe_bank_rate, fr_legal_individual or fr_legal_professional.
        #[arg(long)]
        series: String,
        /// In force from this day.
        #[arg(long, value_name = "DATE")]
        effective: String,
        /// Percent per year ("2.15").
        #[arg(long)]
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
    if let Some(PenaltiesCmd::Invoice { invoice, as_of }) = args.cmd {
        let as_of = date_or_today(&as_of, "as_of")?;
        let v = interest::invoice_penalties(conn, &invoice, as_of, lang)?;
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

pub fn letter(conn: &mut Connection, db: &std::path::Path, args: LetterArgs) -> Result<()> {
    use relance_core::documents::{archive, letters::LetterKind};
    let kind = LetterKind::parse("kind", &args.kind)?;
    let as_of = date_or_today(&args.as_of, "as_of")?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    let (p, bytes) = archive::produce(conn, kind, &args.invoice, as_of)?;
    std::fs::write(&args.out, &bytes)
        .map_err(|e| relance_core::Error::file("out", &args.out, e))?;
    let d = &p.document;
    out!(
        "{} written: {} invoice(s), {} {} claimed; {} document {}.",
        args.out.display(),
        d.invoices.len(),
        d.claimed,
        d.currency,
        if p.created {
            "archived as"
        } else {
            "already archived today as"
        },
        d.id
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum DocumentsCmd {
    /// A customer's archived documents, newest first.
    List {
        #[arg(long)]
        customer: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write an archived document's exact bytes to a file.
    Get {
        id: i64,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

pub fn documents(conn: &mut Connection, db: &std::path::Path, cmd: DocumentsCmd) -> Result<()> {
    use relance_core::documents::archive;
    match cmd {
        DocumentsCmd::List { customer, format } => {
            let id = relance_core::customers::id_by_ref(conn, "customer", &customer)?;
            let docs = archive::for_customer(conn, id)?;
            emit(
                format,
                &docs,
                &["id", "date", "kind", "invoices", "claimed", "size"],
                |d| {
                    vec![
                        d.id.to_string(),
                        d.on_date.to_string(),
                        d.kind.clone(),
                        d.invoices.join(" "),
                        format!("{} {}", d.claimed, d.currency),
                        format!("{} kB", (d.size_bytes + 1023) / 1024),
                    ]
                },
            );
        }
        DocumentsCmd::Get { id, out } => {
            relance_core::store::refuse_database_as_output(db, &out, "out")?;
            let bytes = archive::bytes(conn, id)?;
            std::fs::write(&out, &bytes).map_err(|e| relance_core::Error::file("out", &out, e))?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
    }
    Ok(())
}

#[derive(Args)]
pub struct StatementArgs {
    /// The customer's reference.
    #[arg(long)]
    customer: String,
    /// The currency of the invoices listed (default: yours).
    #[arg(long)]
    currency: Option<String>,
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
}

pub fn statement(conn: &mut Connection, db: &std::path::Path, args: StatementArgs) -> Result<()> {
    let as_of = date_or_today(&args.as_of, "as_of")?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    let (p, bytes) = relance_core::documents::archive::produce_statement(
        conn,
        &args.customer,
        args.currency.as_deref(),
        as_of,
    )?;
    std::fs::write(&args.out, &bytes)
        .map_err(|e| relance_core::Error::file("out", &args.out, e))?;
    let d = &p.document;
    out!(
        "{} written: {} open invoice(s), {} {} due; archived as document {}.",
        args.out.display(),
        d.invoices.len(),
        d.claimed,
        d.currency,
        d.id
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum LettersCmd {
    /// Every letter action of the day (or the ACTION ids given) as PDF into DIR: each is
    /// archived and its action marked done, all at once or not at all.
    Prepare {
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Only these actions (ids as `relance agenda` prints them).
        ids: Vec<String>,
    },
}

pub fn letters(conn: &mut Connection, db: &std::path::Path, cmd: LettersCmd) -> Result<()> {
    let LettersCmd::Prepare { as_of, out, ids } = cmd;
    let as_of = date_or_today(&as_of, "as_of")?;
    std::fs::create_dir_all(&out).map_err(|e| relance_core::Error::file("out", &out, e))?;
    let only = (!ids.is_empty()).then_some(ids.as_slice());
    let prepared = relance_core::documents::archive::prepare(conn, as_of, only)?;
    for p in &prepared {
        let path = out.join(&p.file_name);
        relance_core::store::refuse_database_as_output(db, &path, "out")?;
        std::fs::write(&path, &p.pdf).map_err(|e| relance_core::Error::file("out", &path, e))?;
        out!("{}  {}", p.action, path.display());
    }
    out!(
        "{} letter(s) prepared, archived and marked done.",
        prepared.len()
    );
    Ok(())
}

#[derive(Args)]
pub struct EmailArgs {
    #[arg(long)]
    invoice: String,
    /// courtesy, reminder, final-notice, formal-demand or statement.
    #[arg(long)]
    kind: String,
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The .eml file to write (opened by your mail client as a draft).
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
}

#[derive(Args)]
pub struct MailtoArgs {
    #[arg(long)]
    invoice: String,
    #[arg(long)]
    kind: String,
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

pub fn email(conn: &mut Connection, db: &std::path::Path, args: EmailArgs) -> Result<()> {
    use relance_core::documents::{email, letters::LetterKind};
    let kind = LetterKind::parse("kind", &args.kind)?;
    let as_of = date_or_today(&args.as_of, "as_of")?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let d = email::draft(conn, kind, &args.invoice, as_of, now)?;
    std::fs::write(&args.out, &d.eml)
        .map_err(|e| relance_core::Error::file("out", &args.out, e))?;
    out!(
        "{} written: to {}, \"{}\", letter archived as document {}.",
        args.out.display(),
        d.to.join(", "),
        d.subject,
        d.document.id
    );
    Ok(())
}

pub fn mailto(conn: &mut Connection, args: MailtoArgs) -> Result<()> {
    use relance_core::documents::{email, letters::LetterKind};
    let kind = LetterKind::parse("kind", &args.kind)?;
    let as_of = date_or_today(&args.as_of, "as_of")?;
    out!("{}", email::mailto(conn, kind, &args.invoice, as_of)?);
    Ok(())
}
