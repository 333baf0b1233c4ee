//! What the owner sends: `relance letter`, `statement`, `letters prepare`, `documents`,
//! `email`, `mailto` and `export-reminders`. Every file is written whole or not at all
//! (`store::write_output`: a temporary name, then a rename).

use crate::output::{emit, Format};
use crate::today::date_or_today;
use clap::{Args, Subcommand};
use relance_core::documents::{archive, email, letters::LetterKind};
use relance_core::store::{stage_output_in, write_output, Staged};
use relance_core::{Connection, Lang, Result};
use std::path::{Path, PathBuf};

/// The document commands, flattened into the top level (`relance letter …`).
#[derive(Subcommand)]
pub enum DocCmd {
    /// A letter as PDF, archived: courtesy, reminder, final notice or formal demand.
    Letter(LetterArgs),
    /// An e-mail draft (.eml) with the letter attached as PDF, for your own mail client.
    Email(EmailArgs),
    /// A mailto: link (subject and body; a link cannot carry the PDF: attach it yourself).
    Mailto(Which),
    /// The day's e-mail reminders as .eml drafts (PDF attached) into a folder, with an
    /// index.html; each archived, logged and its action marked done, all or nothing.
    ExportReminders(ExportRemindersArgs),
    /// A customer's statement of account as PDF (open items, aged balance), archived.
    Statement(StatementArgs),
    /// Today's letters: `letters prepare --out DIR` writes, archives and marks them done.
    #[command(subcommand)]
    Letters(LettersCmd),
    /// Archived documents: list a customer's, get one's exact bytes.
    #[command(subcommand)]
    Documents(DocumentsCmd),
}

pub fn run(conn: &mut Connection, db: &Path, cmd: DocCmd, lang: Lang) -> Result<()> {
    match cmd {
        DocCmd::Letter(a) => letter(conn, db, a, lang),
        DocCmd::Email(a) => email(conn, db, a, lang),
        DocCmd::Mailto(a) => mailto(conn, a),
        DocCmd::ExportReminders(a) => export_reminders(conn, db, a, lang),
        DocCmd::Statement(a) => statement(conn, db, a),
        DocCmd::Letters(c) => letters(conn, db, c),
        DocCmd::Documents(c) => documents(conn, db, c),
    }
}

/// Which letter: shared by `letter`, `email` and `mailto`.
#[derive(Args)]
pub struct Which {
    /// The invoice the letter is about (the customer's other invoices at the same stage join it).
    #[arg(long)]
    invoice: String,
    /// courtesy, reminder, final-notice, formal-demand or statement.
    #[arg(long)]
    kind: String,
    /// The letter's date (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

impl Which {
    fn parse(&self) -> Result<(LetterKind, chrono::NaiveDate)> {
        Ok((
            LetterKind::parse("kind", &self.kind)?,
            date_or_today(&self.as_of, "as_of")?,
        ))
    }
}

#[derive(Args)]
pub struct LetterArgs {
    #[command(flatten)]
    which: Which,
    /// The PDF file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Before a final notice or formal demand: the owner is told when the bank statements
/// imported stop more days ago than Settings allow (a payment may have arrived since).
fn warn_stale(
    conn: &Connection,
    kind: LetterKind,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<()> {
    if !matches!(kind, LetterKind::FinalNotice | LetterKind::FormalDemand) {
        return Ok(());
    }
    let s = relance_core::bank::store::summary(conn, as_of)?;
    if let (Some(days), Some(to)) = (s.stale_days, s.covered_to) {
        match lang {
            Lang::Fr => eprintln!(
                "relance : les relevés bancaires importés s'arrêtent le {}, il y a {days} jours : importez le plus récent (relance bank import FICHIER) avant d'envoyer, ce client a peut-être payé.",
                to.format("%d/%m/%Y")
            ),
            Lang::En => eprintln!(
                "relance: the bank statements imported stop on {to}, {days} days ago: import the latest (relance bank import FILE) before sending, this customer may have paid."
            ),
        }
    }
    Ok(())
}

fn letter(conn: &mut Connection, db: &Path, args: LetterArgs, lang: Lang) -> Result<()> {
    let (kind, as_of) = args.which.parse()?;
    warn_stale(conn, kind, as_of, lang)?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    relance_core::store::refuse_special_output(&args.out, "out")?;
    if as_of != relance_core::app::today()? {
        let bytes = archive::preview(conn, kind, &args.which.invoice, as_of)?;
        write_output(db, &args.out, &bytes, "out")?;
        out!(
            "{} written: a preview as of {as_of}, not archived and not sent (a letter is dated the day it is produced).",
            args.out.display()
        );
        return Ok(());
    }
    let mut staged = None;
    let (p, _) = archive::produce(conn, kind, &args.which.invoice, as_of, &mut |tx, b| {
        staged = Some(stage_output_in(tx, db, &args.out, b, "out")?);
        Ok(())
    })?;
    if let Some(s) = staged {
        s.finish_in(conn)?;
    }
    for w in &p.warnings {
        eprintln!("relance: {w}");
    }
    let d = &p.document;
    out!(
        "{} written: {}, {} {} claimed; {} document {}.",
        args.out.display(),
        relance_core::Lang::En.count(d.invoices.len() as i64, "invoice", "invoices"),
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
        out: PathBuf,
    },
}

fn documents(conn: &mut Connection, db: &Path, cmd: DocumentsCmd) -> Result<()> {
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
            let bytes = archive::bytes(conn, id)?;
            write_output(db, &out, &bytes, "out")?;
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
    out: PathBuf,
}

fn statement(conn: &mut Connection, db: &Path, args: StatementArgs) -> Result<()> {
    let as_of = date_or_today(&args.as_of, "as_of")?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    relance_core::store::refuse_special_output(&args.out, "out")?;
    let currency = args.currency.as_deref();
    if as_of != relance_core::app::today()? {
        let bytes = archive::preview_statement(conn, &args.customer, currency, as_of)?;
        write_output(db, &args.out, &bytes, "out")?;
        out!(
            "{} written: the statement as of {as_of}, a preview (not archived).",
            args.out.display()
        );
        return Ok(());
    }
    let mut staged = None;
    let (p, _) =
        archive::produce_statement(conn, &args.customer, currency, as_of, &mut |tx, b| {
            staged = Some(stage_output_in(tx, db, &args.out, b, "out")?);
            Ok(())
        })?;
    if let Some(s) = staged {
        s.finish_in(conn)?;
    }
    let d = &p.document;
    out!(
        "{} written: {}, {} {} due; archived as document {}.",
        args.out.display(),
        relance_core::Lang::En.count(d.invoices.len() as i64, "open invoice", "open invoices"),
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
        out: PathBuf,
        /// Only these actions (ids as `relance agenda` prints them).
        ids: Vec<String>,
    },
}

/// The sink of a batch: each file staged whole into `dir` (which must exist) and kept in
/// `staged`, to be named once the batch is committed ([`finish`]). The `.partial` files a
/// killed batch left there are removed first.
fn into_folder<'a>(
    db: &'a Path,
    dir: &'a Path,
    staged: &'a mut Vec<Staged>,
) -> impl FnMut(&Connection, &str, &[u8]) -> Result<()> + 'a {
    relance_core::store::tidy_partials(dir);
    move |tx, name, bytes| {
        staged.push(stage_output_in(tx, db, &dir.join(name), bytes, "out")?);
        Ok(())
    }
}

/// Names the files of a committed batch.
fn finish(conn: &Connection, staged: Vec<Staged>) -> Result<()> {
    staged.into_iter().try_for_each(|s| s.finish_in(conn))
}

/// The folder of a batch: created if missing (its parent must exist).
fn folder(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| relance_core::Error::write("out", out, e))
}

fn letters(conn: &mut Connection, db: &Path, cmd: LettersCmd) -> Result<()> {
    let LettersCmd::Prepare { as_of, out, ids } = cmd;
    let as_of = crate::today::today_only(&as_of, "as_of")?;
    folder(&out)?;
    let only = (!ids.is_empty()).then_some(ids.as_slice());
    let mut staged = Vec::new();
    let prepared = archive::prepare(conn, as_of, only, &mut into_folder(db, &out, &mut staged))?;
    finish(conn, staged)?;
    for p in &prepared {
        out!("{}  {}", p.action, out.join(&p.file_name).display());
    }
    out!(
        "{} prepared, archived and marked done.",
        relance_core::Lang::En.count(prepared.len() as i64, "letter", "letters")
    );
    Ok(())
}

#[derive(Args)]
pub struct EmailArgs {
    #[command(flatten)]
    which: Which,
    /// The .eml file to write (opened by your mail client as a draft).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn email(conn: &mut Connection, db: &Path, args: EmailArgs, lang: Lang) -> Result<()> {
    let (kind, as_of) = args.which.parse()?;
    warn_stale(conn, kind, as_of, lang)?;
    relance_core::store::refuse_database_as_output(db, &args.out, "out")?;
    relance_core::store::refuse_special_output(&args.out, "out")?;
    if as_of != relance_core::app::today()? {
        return Err(relance_core::Error::invalid(
            "as_of",
            relance_core::Msg::PreviewNotArchived,
        ));
    }
    let mut staged = None;
    let d = email::draft(
        conn,
        kind,
        &args.which.invoice,
        as_of,
        relance_core::app::now_unix(),
        &mut |tx, eml| {
            staged = Some(stage_output_in(tx, db, &args.out, eml, "out")?);
            Ok(())
        },
    )?;
    if let Some(s) = staged {
        s.finish_in(conn)?;
    }
    out!(
        "{} written: to {}, \"{}\", letter archived as document {}.",
        args.out.display(),
        d.to.join(", "),
        d.subject,
        d.document.id
    );
    Ok(())
}

fn mailto(conn: &mut Connection, which: Which) -> Result<()> {
    let (kind, as_of) = which.parse()?;
    out!("{}", email::mailto(conn, kind, &which.invoice, as_of)?);
    Ok(())
}

#[derive(Args)]
pub struct ExportRemindersArgs {
    /// The day whose e-mail actions are prepared (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The folder the drafts and index.html go to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only this customer's e-mail actions.
    #[arg(long, value_name = "REF")]
    customer: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn export_reminders(
    conn: &mut Connection,
    db: &Path,
    args: ExportRemindersArgs,
    lang: Lang,
) -> Result<()> {
    let as_of = crate::today::today_only(&args.as_of, "as_of")?;
    folder(&args.out)?;
    let mut staged = Vec::new();
    let batch = email::prepare(
        conn,
        as_of,
        None,
        args.customer.as_deref(),
        relance_core::app::now_unix(),
        lang,
        &mut into_folder(db, &args.out, &mut staged),
    )?;
    finish(conn, staged)?;
    if args.format == Format::Json {
        crate::output::print_json(&batch);
        return Ok(());
    }
    for p in &batch.prepared {
        out!(
            "{}  {} {}  {}",
            args.out.join(&p.file_name).display(),
            p.amount,
            p.currency,
            p.to.join(", ")
        );
    }
    let fr = lang == Lang::Fr;
    if batch.prepared.is_empty() && batch.skipped.is_empty() {
        out!(
            "{}",
            if fr {
                "Aucun e-mail à préparer ce jour-là (aucune action e-mail, ou déjà faites)."
            } else {
                "No e-mail to prepare on that day (no e-mail action, or already done)."
            }
        );
        return Ok(());
    }
    if !batch.index_file.is_empty() {
        out!("{}", args.out.join(&batch.index_file).display());
    }
    out!(
        "{}",
        if fr {
            let fr = relance_core::Lang::Fr;
            format!(
                "{}, courriers archivés, actions faites ; {}.",
                fr.count(
                    batch.prepared.len() as i64,
                    "e-mail préparé",
                    "e-mails préparés"
                ),
                fr.count(
                    batch.skipped.len() as i64,
                    "client non préparé",
                    "clients non préparés"
                )
            )
        } else {
            let en = relance_core::Lang::En;
            format!(
                "{} prepared, letters archived, actions done; {} skipped.",
                en.count(batch.prepared.len() as i64, "e-mail", "e-mails"),
                en.count(batch.skipped.len() as i64, "customer", "customers")
            )
        }
    );
    for s in &batch.skipped {
        out!("  {} ({}): {}", s.customer_name, s.customer, s.reason);
    }
    Ok(())
}
