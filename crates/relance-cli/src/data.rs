//! `relance demo`, `import` and `export`: data in and out (the shell reads and writes the files).

use crate::today::date_or_today;
use clap::{Args, ValueEnum};
use relance_core::import::{self, ImportKind};
use relance_core::{demo, Connection, Error, Result};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct DemoArgs {
    /// Lay the demo's dates out relative to this day (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(value_enum)]
    kind: KindArg,
    /// The CSV file (comma, semicolon or tab separated; UTF-8); for `einvoice`, one or more
    /// Factur-X / ZUGFeRD PDFs, CII or UBL XML files, imported as one batch.
    #[arg(required = true, num_args = 1..)]
    files: Vec<PathBuf>,
    /// Check everything and report, without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// `einvoice`: create the customers the files name but Relance does not know, instead
    /// of stopping to list them.
    #[arg(long)]
    yes: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    kind: ExportKind,
    /// Write to this file instead of standard output (`all`: the folder to write into).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportKind {
    Customers,
    Invoices,
    Payments,
    /// Every table as CSV (customers, invoices, payments in the import format) and the logo.
    All,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Customers,
    Invoices,
    Payments,
    /// E-invoices: invoices and credit notes issued elsewhere, from their e-invoice files.
    Einvoice,
}

impl From<KindArg> for ImportKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Customers => ImportKind::Customers,
            KindArg::Invoices => ImportKind::Invoices,
            KindArg::Payments => ImportKind::Payments,
            // Never converted: `import` handles e-invoices before.
            KindArg::Einvoice => ImportKind::Invoices,
        }
    }
}

pub fn demo(conn: &mut Connection, args: DemoArgs) -> Result<()> {
    let DemoArgs { as_of } = args;
    let as_of = date_or_today(&as_of, "as_of")?;
    let r = demo::load(conn, as_of)?;
    out!(
        "Demo loaded as of {as_of}: {} customers, {} invoices, {} payments.",
        r.customers,
        r.invoices,
        r.payments
    );
    Ok(())
}

pub fn import(conn: &mut Connection, args: ImportArgs) -> Result<()> {
    let ImportArgs {
        kind,
        files,
        dry_run,
        yes,
    } = args;
    if let KindArg::Einvoice = kind {
        return import_einvoices(conn, &files, dry_run, yes);
    }
    let [file] = files.as_slice() else {
        return Err(Error::invalid("file", relance_core::Msg::OneFileOnly));
    };
    let bytes = std::fs::read(file).map_err(|e| Error::file("file", file, e))?;
    let r = import::import(conn, kind.into(), &bytes, dry_run)?;
    if !r.dry_run {
        // The imported invoices' wake dates and the day's actions kept for Today, as the app
        // computes them after an import. The import stands either way: what is left to
        // compute is derived by the agenda meanwhile and computed at the next start or action.
        let _ = relance_core::app::today()
            .and_then(|today| relance_core::dunning::refresh_day(conn, today));
    }
    if r.dry_run {
        out!(
            "Dry run: {} would be imported; nothing was written.",
            relance_core::Lang::En.count(r.rows as i64, "row", "rows")
        );
    } else {
        out!(
            "{} imported.",
            relance_core::Lang::En.count(r.rows as i64, "row", "rows")
        );
    }
    Ok(())
}

/// `relance import einvoice FILE...`: the preview, file by file; then the batch written
/// (all of it or nothing), unless `--dry-run`.
fn import_einvoices(
    conn: &mut Connection,
    paths: &[PathBuf],
    dry_run: bool,
    yes: bool,
) -> Result<()> {
    use relance_core::import::einvoice::{self, EinvoiceFile, EinvoiceStatus};
    let mut files = Vec::new();
    for path in paths {
        // A file over the bound is read no further than needed to refuse it (by name).
        let bytes = einvoice::read_bounded(path).map_err(|e| Error::file("file", path, e))?;
        files.push(EinvoiceFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes,
        });
    }
    let lang = relance_core::Lang::En;
    let p = einvoice::preview(conn, &files, lang)?;
    for f in &p.files {
        match f.status {
            EinvoiceStatus::Refused => out!("{}: refused: {}", f.file, f.message),
            _ => {
                let what = if f.credit_note {
                    "credit note"
                } else {
                    "invoice"
                };
                let whom = if f.new_customer {
                    format!("{} (new customer)", f.buyer)
                } else {
                    format!("{} ({})", f.buyer, f.customer_reference)
                };
                let against = if f.against.is_empty() {
                    String::new()
                } else {
                    format!(" against {}", f.against)
                };
                let due = f.due_date.map(|d| format!(", due {d}")).unwrap_or_default();
                let known = if f.status == EinvoiceStatus::Known {
                    " — already in Relance"
                } else {
                    ""
                };
                out!(
                    "{}: {what} {}{against} to {whom}, {} {}{due} [{}]{known}",
                    f.file,
                    f.number,
                    f.total,
                    f.currency,
                    f.format
                );
            }
        }
    }
    if dry_run {
        if p.refused == 0 && !p.new_customers.is_empty() {
            out!("Customers to create: {}.", p.new_customers.join(", "));
        }
        out!(
            "Dry run: {} to import, {} already in Relance, {} refused; nothing was written.",
            p.to_create,
            p.known,
            p.refused
        );
        return Ok(());
    }
    // Customers to create: asked on a terminal (the same yes as --yes); a script that did
    // not say --yes is refused by the engine, naming them.
    let yes =
        yes || (p.refused == 0 && !p.new_customers.is_empty() && confirm_new(&p.new_customers));
    let r = einvoice::import(conn, &files, yes)?;
    out!(
        "Imported: {}, {}; {} created; {} already in Relance.",
        lang.count(r.invoices as i64, "invoice", "invoices"),
        lang.count(r.credit_notes as i64, "credit note", "credit notes"),
        lang.count(r.customers_created as i64, "customer", "customers"),
        r.known
    );
    Ok(())
}

/// Asks on the terminal whether to create `names` (false at once when stdin or stderr is
/// not a terminal: nothing is asked of a script).
fn confirm_new(names: &[String]) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return false;
    }
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "Relance does not know {}: create {}? [y/N] ",
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" }
    );
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "o" | "oui"
    )
}

pub fn export(conn: &mut Connection, db: &Path, args: ExportArgs) -> Result<()> {
    let ExportArgs { kind, out } = args;
    let today = relance_core::app::today()?;
    let kind = match kind {
        ExportKind::Customers => KindArg::Customers,
        ExportKind::Invoices => KindArg::Invoices,
        ExportKind::Payments => KindArg::Payments,
        ExportKind::All => {
            let Some(dir) = out else {
                return Err(Error::invalid("out", relance_core::Msg::Required));
            };
            let files = import::export_all(conn, today)?;
            std::fs::create_dir_all(&dir).map_err(|e| Error::file("out", &dir, e))?;
            for (name, bytes) in &files {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| Error::file("out", parent, e))?;
                }
                relance_core::store::write_output(db, &path, bytes, "out")?;
            }
            out!("{} files written to {}.", files.len(), dir.display());
            return Ok(());
        }
    };
    let bytes = import::export(conn, kind.into(), today)?;
    match out {
        Some(path) => {
            relance_core::store::write_output(db, &path, &bytes, "out")?;
            eprintln!("Written to {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
