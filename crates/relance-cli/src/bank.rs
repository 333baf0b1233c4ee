//! `relance bank` and `relance reference`: bank statements read, matched and applied, the
//! CSV layouts mapped, and an invoice's payment reference.

use crate::output::{emit, print_json, table, Format};
use clap::{Args, Subcommand};
use relance_core::bank::csv::Mapping;
use relance_core::bank::store::{self, ImportReport, LineView, Options};
use relance_core::{Connection, Error, Lang, Result};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BankCmd {
    /// Read statement files (camt.053/054, OFX, MT940, a mapped bank CSV): every new line
    /// once, each with the invoices it would settle and why.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Read and match, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Record the sure matches as payments.
        #[arg(long)]
        apply_sure: bool,
        /// Import a statement whose balances do not add up (after checking it).
        #[arg(long)]
        yes: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Record every sure match waiting as a payment (one transaction).
    Apply,
    /// The statement lines, newest first, with their status and proposal.
    Lines {
        /// unmatched, proposed, matched, ignored or debit.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Match a line to invoices (one customer's, open): the payment is recorded.
    Match {
        line: i64,
        #[arg(long = "invoice", required = true)]
        invoices: Vec<String>,
    },
    /// "Not a customer payment": set a line aside with a reason.
    Ignore {
        line: i64,
        #[arg(long)]
        reason: String,
    },
    /// Undo an import whole (its payments go with it), while nothing has used it since.
    Undo { import: i64 },
    /// Bank CSV layouts: map a file's columns once, list or remove the mappings.
    #[command(subcommand)]
    Mapping(Box<MappingCmd>),
}

#[derive(Subcommand)]
pub enum MappingCmd {
    /// Map the columns of FILE's layout (remembered for every file of that layout).
    Set(Box<MappingSet>),
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    Remove {
        layout: String,
    },
}

#[derive(Args)]
pub struct MappingSet {
    file: PathBuf,
    #[arg(long)]
    date: String,
    #[arg(long)]
    amount: Option<String>,
    #[arg(long)]
    debit: Option<String>,
    #[arg(long)]
    credit: Option<String>,
    #[arg(long)]
    label: Option<String>,
    #[arg(long)]
    payer: Option<String>,
    #[arg(long)]
    reference: Option<String>,
    /// chrono's format (default %d/%m/%Y).
    #[arg(long, default_value = "")]
    date_format: String,
    /// The account these statements belong to (default: the IBAN in Settings).
    #[arg(long, default_value = "")]
    account: String,
}

#[derive(Args)]
pub struct ReferenceArgs {
    /// The invoice's number.
    #[arg(long)]
    invoice: String,
}

fn read(path: &PathBuf) -> Result<(String, Vec<u8>)> {
    relance_core::bank::check_size(
        path.metadata()
            .map_err(|e| Error::file("file", path, e))?
            .len(),
    )?;
    let bytes = std::fs::read(path).map_err(|e| Error::file("file", path, e))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((name, bytes))
}

fn line_rows(lines: &[LineView]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            vec![
                l.id.map_or_else(String::new, |i| i.to_string()),
                l.date.to_string(),
                format!("{} {}", l.amount, l.currency),
                l.payer.clone(),
                l.text.chars().take(40).collect(),
                l.invoices.join(", "),
                l.status.clone(),
                l.reason.clone(),
            ]
        })
        .collect()
}

const LINE_HEADERS: [&str; 8] = [
    "line", "date", "amount", "payer", "text", "invoices", "status", "why",
];

fn print_report(r: &ImportReport, format: Format, lang: Lang) {
    if format == Format::Json {
        print_json(&serde_json::json!({
            "import": r.import,
            "lines": r.lines,
            "duplicates": r.duplicates,
            "debits": r.debits,
            "sure": r.sure,
            "proposed": r.proposed,
            "unmatched": r.unmatched,
            "listed_at_most": relance_core::bank::store::REPORT_LINES,
            "sure_count": r.sure_count,
            "proposed_count": r.proposed_count,
            "unmatched_count": r.unmatched_count,
            "applied": r.applied,
            "returned": r.returned,
            "mismatches": r.mismatches,
            "skipped": r.skipped,
            "foreign": r.foreign,
        }));
        return;
    }
    let fr = lang == Lang::Fr;
    out!(
        "{}",
        if fr {
            format!(
                "{} lignes lues, {} déjà importées, {} sorties d'argent ; {} sûres, {} proposées, {} non rapprochées ; {} appliquées.",
                r.lines, r.duplicates, r.debits, r.sure_count, r.proposed_count, r.unmatched_count, r.applied
            )
        } else {
            format!(
                "{} lines read, {} already imported, {} money out; {} sure, {} proposed, {} unmatched; {} applied.",
                r.lines, r.duplicates, r.debits, r.sure_count, r.proposed_count, r.unmatched_count, r.applied
            )
        }
    );
    if r.returned > 0 {
        out!(
            "{}",
            if fr {
                format!("{} virement(s) rendu(s) par la banque avant d'être rapproché(s) : jamais appliqué(s).", r.returned)
            } else {
                format!(
                    "{} transfer(s) given back by the bank before being matched: never applied.",
                    r.returned
                )
            }
        );
    }
    for m in &r.mismatches {
        out!(
            "{}",
            if fr {
                format!("Attention : le relevé du compte {} ne tombe pas juste (calculé {}, clôture {}).", m.account, m.computed, m.closing)
            } else {
                format!("Warning: the statement of account {} does not add up (computed {}, closing {}).", m.account, m.computed, m.closing)
            }
        );
    }
    for s in &r.skipped {
        out!("{s}");
    }
    for f in &r.foreign {
        out!(
            "{}",
            if fr {
                format!("Compte dans une devise non utilisée, non rapproché : {f}")
            } else {
                format!("Account in a currency the ledger does not use, not matched: {f}")
            }
        );
    }
    let all: Vec<LineView> = r
        .sure
        .iter()
        .chain(&r.proposed)
        .chain(&r.unmatched)
        .cloned()
        .collect();
    if !all.is_empty() {
        table(&LINE_HEADERS, &line_rows(&all));
    }
    if r.sure_count + r.proposed_count + r.unmatched_count > all.len() {
        out!(
            "{}",
            if fr {
                format!("(les {} premières lignes de chaque sorte ; `relance bank lines` les liste toutes, par état, une fois importées)", relance_core::bank::store::REPORT_LINES)
            } else {
                format!("(the first {} lines of each kind; `relance bank lines` lists them all by status once imported)", relance_core::bank::store::REPORT_LINES)
            }
        );
    }
}

pub fn run(conn: &mut Connection, cmd: BankCmd, lang: Lang) -> Result<()> {
    let today = relance_core::app::today()?;
    match cmd {
        BankCmd::Import {
            files,
            dry_run,
            apply_sure,
            yes,
            format,
        } => {
            let files = files.iter().map(read).collect::<Result<Vec<_>>>()?;
            let r = store::import(
                conn,
                files,
                Options {
                    dry_run,
                    apply_sure,
                    confirmed: yes,
                },
                lang,
                today,
            )?;
            print_report(&r, format, lang);
        }
        BankCmd::Apply => {
            let n = store::apply_sure(conn, lang)?;
            out!(
                "{}",
                if lang == Lang::Fr {
                    let s = if n > 1 { "s" } else { "" };
                    format!("{n} rapprochement{s} sûr{s} appliqué{s}.")
                } else {
                    format!("{n} sure match{} applied.", if n == 1 { "" } else { "es" })
                }
            );
        }
        BankCmd::Lines { status, format } => {
            if let Some(s) = &status {
                if !["unmatched", "proposed", "matched", "ignored", "debit"].contains(&s.as_str()) {
                    return Err(Error::invalid(
                        "status",
                        relance_core::Msg::Statement(
                            relance_core::error::StatementFault::UnknownStatus(s.clone()),
                        ),
                    ));
                }
            }
            let lines = store::lines(conn, status.as_deref(), lang)?;
            emit(format, &lines, &LINE_HEADERS, |l| {
                line_rows(std::slice::from_ref(l)).remove(0)
            });
        }
        BankCmd::Match { line, invoices } => {
            let v = store::match_line(conn, line, &invoices, lang)?;
            out!("{} {} → {}", v.amount, v.currency, v.invoices.join(", "));
        }
        BankCmd::Ignore { line, reason } => store::ignore(conn, line, &reason)?,
        BankCmd::Undo { import } => {
            let n = store::undo_import(conn, import, lang, today)?;
            out!(
                "{}",
                if lang == Lang::Fr {
                    format!("Import n°{import} annulé ({n} lignes).")
                } else {
                    format!("Import {import} undone ({n} lines).")
                }
            );
        }
        BankCmd::Mapping(cmd) => mapping(conn, *cmd)?,
    }
    Ok(())
}

fn mapping(conn: &mut Connection, cmd: MappingCmd) -> Result<()> {
    match cmd {
        MappingCmd::Set(set) => {
            let MappingSet {
                file,
                date,
                amount,
                debit,
                credit,
                label,
                payer,
                reference,
                date_format,
                account,
            } = *set;
            let (_, bytes) = read(&file)?;
            let m = store::set_mapping(
                conn,
                &bytes,
                Mapping {
                    date,
                    amount,
                    debit,
                    credit,
                    label,
                    payer,
                    reference,
                    date_format,
                    account,
                    ..Mapping::default()
                },
            )?;
            out!("{}", m.layout);
        }
        MappingCmd::List { format } => {
            let list = store::mappings(conn)?;
            emit(
                format,
                &list,
                &[
                    "layout",
                    "date",
                    "amount",
                    "debit/credit",
                    "label",
                    "account",
                ],
                |m| {
                    vec![
                        m.layout.clone(),
                        m.date.clone(),
                        m.amount.clone().unwrap_or_default(),
                        match (&m.debit, &m.credit) {
                            (Some(d), Some(c)) => format!("{d} / {c}"),
                            _ => String::new(),
                        },
                        m.label.clone().unwrap_or_default(),
                        m.account.clone(),
                    ]
                },
            );
        }
        MappingCmd::Remove { layout } => {
            if !store::remove_mapping(conn, &layout)? {
                return Err(Error::NotFound {
                    what: "mapping",
                    key: layout,
                });
            }
        }
    }
    Ok(())
}

pub fn reference(conn: &Connection, a: ReferenceArgs) -> Result<()> {
    out!("{}", store::invoice_reference(conn, &a.invoice)?);
    Ok(())
}
