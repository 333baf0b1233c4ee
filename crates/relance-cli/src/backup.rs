//! `relance backup`, `backup list` and `restore`: snapshots of the whole database.

use crate::output::{emit, Format};
use clap::{Args, Subcommand};
use relance_core::backup::{self, Contents};
use relance_core::error::ServerFault;
use relance_core::store::sql::Dialect;
use relance_core::store::Place;
use relance_core::{Connection, Error, Msg, Result};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    cmd: Option<BackupCmd>,
    /// Write the snapshot to this file (default: the backups folder beside the database).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum BackupCmd {
    /// The snapshots in the backups folder, newest first, with what each holds.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A snapshot (from `relance backup list`) or any Relance database file.
    file: PathBuf,
    /// Replace the current data without asking (the current data is snapshotted first).
    #[arg(long)]
    yes: bool,
}

/// Opens the ledger (`--db`, else `RELANCE_DB`, else the platform data folder: a file, or a
/// server's `postgres://…`) and takes the day's automatic snapshot of a file; a snapshot
/// that fails is a warning, not a stop. Returns the file beside which local things go (for
/// a server, the platform data folder's) and the connection.
pub fn start(db: Option<&std::ffi::OsStr>) -> Result<(PathBuf, Connection)> {
    let place = Place::chosen(db)?;
    let (conn, warning) = relance_core::start_at(&place, relance_core::app::today()?)?;
    if let Some(w) = warning {
        let lang = relance_core::settings::ui_language(&conn);
        eprintln!("relance: automatic backup failed: {}", w.message(lang));
    }
    Ok((place.local_file(), conn))
}

#[derive(Args)]
pub struct MoveArgs {
    /// The empty database on the server: postgres://host[:port]/database (the password from
    /// PGPASSWORD or ~/.pgpass, never in the address).
    #[arg(long, value_name = "postgres://…")]
    to: String,
}

/// `relance move --to postgres://…`: the file's ledger onto the server, compared, then the
/// file marked as moved.
pub fn move_ledger(conn: &mut Connection, args: MoveArgs) -> Result<()> {
    if !relance_core::store::is_server_address(&args.to) {
        return Err(Error::Server(ServerFault::BadAddress(format!(
            "{}: expected postgres://host/database",
            args.to
        ))));
    }
    let t = backup::move_to_server(conn, &args.to)?;
    report(&t);
    out!(
        "Moved to {}. From now on open it there: relance --db {} (or set RELANCE_DB); this file is kept as it was.",
        args.to,
        args.to
    );
    Ok(())
}

/// Every table copied with its rows, and the balances compared.
fn report(t: &backup::Transfer) {
    let rows: Vec<Vec<String>> = t
        .tables
        .iter()
        .filter(|c| c.rows > 0)
        .map(|c| vec![c.table.clone(), c.rows.to_string()])
        .collect();
    crate::output::table(&["table", "rows (equal on both sides)"], &rows);
    out!(
        "{} tables copied and compared row by row; {} invoice balances compared, all equal.",
        t.tables.len(),
        t.balances
    );
}

fn counts(c: &Contents) -> [i64; 3] {
    [c.customers, c.invoices, c.payments]
}

/// What a backup wrote, and where.
fn backed_up(s: &relance_core::backup::Snapshot) {
    out!(
        "Backed up to {} ({} kB: {} customers, {} invoices, {} payments).",
        s.path,
        s.size_bytes.div_ceil(1024),
        s.contents.customers,
        s.contents.invoices,
        s.contents.payments
    );
}

pub fn run(conn: &mut Connection, db: &Path, args: BackupArgs) -> Result<()> {
    match args.cmd {
        Some(BackupCmd::List { .. }) if conn.dialect() == Dialect::Postgres => {
            return Err(Error::Server(ServerFault::FileOnly("backup list")));
        }
        Some(BackupCmd::List { format }) => {
            let snaps = backup::list(db)?;
            emit(
                format,
                &snaps,
                &[
                    "taken",
                    "kind",
                    "size",
                    "customers",
                    "invoices",
                    "payments",
                    "file",
                ],
                |s| {
                    vec![
                        s.taken.clone(),
                        s.kind.clone(),
                        format!("{} kB", s.size_bytes.div_ceil(1024)),
                        s.contents.customers.to_string(),
                        s.contents.invoices.to_string(),
                        s.contents.payments.to_string(),
                        s.path.clone(),
                    ]
                },
            );
        }
        None if conn.dialect() == Dialect::Postgres => {
            // A server ledger's snapshots are its administrator's; a copy as a file on demand.
            let out = args.out.ok_or(Error::Server(ServerFault::FileOnly(
                "backup (give --out FILE.sqlite)",
            )))?;
            relance_core::store::refuse_database_as_output(db, &out, "out")?;
            let (s, t) = backup::backup_server(conn, &out)?;
            report(&t);
            backed_up(&s);
        }
        None => {
            let s = backup::backup_now(conn, db, args.out.as_deref())?;
            backed_up(&s);
        }
    }
    Ok(())
}

pub fn restore(conn: &mut Connection, db: &Path, args: RestoreArgs) -> Result<()> {
    let RestoreArgs { file, yes } = args;
    if !file.exists() {
        return Err(Error::file(
            "file",
            &file,
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    if !yes {
        // What the restore would drop (kept in the undo snapshot) and keep, then the question.
        let p = backup::restore_preview(conn, db, &file)?;
        if p.dropped_count > 0 {
            out!("Recorded since the file was taken, dropped by the restore (the undo snapshot keeps it):");
            let rows: Vec<Vec<String>> = p
                .dropped
                .iter()
                .map(|e| {
                    vec![
                        e.on_date.to_string(),
                        crate::output::json_str(&e.kind),
                        e.customer_reference.clone(),
                        e.invoices.join(" "),
                        crate::output::entry_amount(e),
                        e.note.clone(),
                    ]
                })
                .collect();
            crate::output::table(
                &["date", "what", "customer", "invoices", "amount", "note"],
                &rows,
            );
            if p.dropped_count > p.dropped.len() as i64 {
                out!(
                    "… and {} older entries.",
                    p.dropped_count - p.dropped.len() as i64
                );
            }
        }
        if !p.dropped_invoices.is_empty() {
            out!(
                "Invoices recorded since, dropped: {}.",
                p.dropped_invoices.join(", ")
            );
        }
        if !p.dropped_customers.is_empty() {
            out!(
                "Customers added since, dropped: {}.",
                p.dropped_customers.join(", ")
            );
        }
        if !p.carried.is_empty() {
            out!(
                "Invoices recorded since, kept (issued, or named by an issued credit note or penalty invoice: an issued document exists once sent): {}.",
                p.carried.join(", ")
            );
        }
        if !p.carried_credit_notes.is_empty() {
            out!(
                "Credit notes made since, kept: {}.",
                p.carried_credit_notes.join(", ")
            );
        }
        if !p.carried_letters.is_empty() {
            out!(
                "Letters sent since, kept with their history (a letter sent exists once sent): {}.",
                letters(&p.carried_letters)
            );
        }
        return Err(Error::invalid(
            "yes",
            Msg::RestoreNeedsConfirmation {
                now: counts(&p.now),
                file: counts(&p.file),
            },
        ));
    }
    let r = backup::restore(conn, db, &file)?;
    out!(
        "Restored {}: {} customers, {} invoices, {} payments.\nThe data as it was just before is kept in {} (restore it to undo).",
        file.display(),
        r.restored.customers,
        r.restored.invoices,
        r.restored.payments,
        r.undo.path
    );
    if !r.carried.is_empty() {
        out!(
            "Kept {} recorded since, which the file lacked (issued, or named by an issued credit note or penalty invoice: an issued document exists once sent): {}.",
            relance_core::Lang::En.count(r.carried.len() as i64, "invoice", "invoices"),
            r.carried.join(", ")
        );
    }
    if !r.carried_credit_notes.is_empty() {
        out!(
            "Kept {} made since, which the file lacked: {}.",
            relance_core::Lang::En.count(
                r.carried_credit_notes.len() as i64,
                "credit note",
                "credit notes"
            ),
            r.carried_credit_notes.join(", ")
        );
    }
    if !r.carried_letters.is_empty() {
        out!(
            "Kept {} sent since, which the file lacked: {}.",
            relance_core::Lang::En.count(r.carried_letters.len() as i64, "letter", "letters"),
            letters(&r.carried_letters)
        );
    }
    Ok(())
}

/// Letters a restore carries, as a list: "2026-03-02 formal demand to ACME (F-1, F-2)".
fn letters(list: &[relance_core::backup::CarriedLetter]) -> String {
    list.iter()
        .map(|l| {
            format!(
                "{} {} to {} ({})",
                l.on_date,
                l.kind.replace('_', " "),
                l.customer,
                l.invoices.replace(',', ", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
