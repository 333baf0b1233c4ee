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
    /// The CSV file (comma, semicolon or tab separated; UTF-8).
    file: PathBuf,
    /// Check every row and report, without writing anything.
    #[arg(long)]
    dry_run: bool,
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
        file,
        dry_run,
    } = args;
    let bytes = std::fs::read(&file).map_err(|e| Error::file("file", &file, e))?;
    let r = import::import(conn, kind.into(), &bytes, dry_run)?;
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
