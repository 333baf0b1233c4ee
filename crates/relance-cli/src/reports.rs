//! Reports: `relance aged-balance` (what each customer owes, by lateness).

use crate::output::{print_json, table};
use crate::today::date_or_today;
use clap::{Args, Subcommand, ValueEnum};
use relance_core::views::aged;
use relance_core::{Connection, Result};

/// The report commands, flattened into the top level.
#[derive(Subcommand)]
pub enum ReportCmd {
    /// What each customer owes by lateness: not due, 1–30, 31–60, 61–90, over 90 days.
    AgedBalance(AgedArgs),
}

#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct AgedArgs {
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: ReportFormat,
    /// One currency per report (default: yours); never summed across currencies.
    #[arg(long)]
    currency: Option<String>,
}

pub fn run(conn: &mut Connection, cmd: ReportCmd) -> Result<()> {
    let ReportCmd::AgedBalance(a) = cmd;
    let as_of = date_or_today(&a.as_of, "as_of")?;
    let report = aged::aged_balance(conn, as_of, a.currency.as_deref())?;
    match a.format {
        ReportFormat::Json => print_json(&report),
        ReportFormat::Csv => {
            let bytes = relance_core::import::aged_balance_csv(&report)?;
            out!("{}", String::from_utf8_lossy(&bytes).trim_end());
        }
        ReportFormat::Table => {
            let line = |r: &aged::AgedRow, name: &str| {
                vec![
                    name.to_string(),
                    r.not_due.clone(),
                    r.d1_30.clone(),
                    r.d31_60.clone(),
                    r.d61_90.clone(),
                    r.over_90.clone(),
                    r.total.clone(),
                ]
            };
            let mut rows: Vec<Vec<String>> = report
                .rows
                .iter()
                .map(|r| line(r, &format!("{} {}", r.customer, r.customer_name)))
                .collect();
            rows.push(line(&report.totals, "TOTAL"));
            out!("Aged balance at {} in {}", report.as_of, report.currency);
            table(
                &[
                    "customer", "not due", "1-30", "31-60", "61-90", "over 90", "total",
                ],
                &rows,
            );
        }
    }
    Ok(())
}
