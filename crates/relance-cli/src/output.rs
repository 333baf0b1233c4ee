//! Output: "table or JSON" for every command. JSON amounts are decimal strings; tables are
//! plain aligned text with amounts right-aligned. A closed pipe (`relance … | head`) ends quietly.

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

use clap::ValueEnum;
use serde::Serialize;

#[derive(Clone, Copy, ValueEnum, Default, PartialEq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

pub fn print_json<T: Serialize>(value: &T) {
    out!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}

/// Prints `items` as pretty JSON, or as a table with one row per item.
pub fn emit<T: Serialize>(
    format: Format,
    items: &[T],
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) {
    if format == Format::Json {
        print_json(&items);
    } else {
        let rows: Vec<Vec<String>> = items.iter().map(row).collect();
        table(headers, &rows);
    }
}

/// A history entry's amount with its currency ("500.00 EUR"), or "".
pub fn entry_amount(e: &relance_core::journal::JournalEntry) -> String {
    e.amount
        .as_ref()
        .map(|a| format!("{a} {}", e.currency.as_deref().unwrap_or_default()))
        .unwrap_or_default()
}

/// The JSON name of an enum value ("partially_paid"), for tables.
pub fn json_str<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Prints an aligned text table; columns whose cells are all numbers are right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..headers.len())
        .map(|i| {
            !rows.is_empty()
                && rows.iter().all(|r| {
                    let c = r[i].split(' ').next().unwrap_or("");
                    !c.is_empty()
                        && c.chars()
                            .all(|ch| ch.is_ascii_digit() || ch == '.' || ch == '-')
                })
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i].saturating_sub(c.chars().count());
                if numeric[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out!("{}", parts.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(|s| s.as_str()).collect());
    }
}

/// `--lang`: the language of messages.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LangArg {
    Fr,
    En,
}

impl LangArg {
    pub fn lang(self) -> relance_core::Lang {
        match self {
            LangArg::Fr => relance_core::Lang::Fr,
            LangArg::En => relance_core::Lang::En,
        }
    }
}

/// Prints a failure in the user's language and gives the exit status: 1 when the input was
/// refused, 3 when the system failed.
pub fn fail(e: &relance_core::Error, lang: relance_core::Lang) -> std::process::ExitCode {
    let field = e.field().map(|f| format!("{f}: ")).unwrap_or_default();
    eprintln!("relance: {field}{}", e.message(lang));
    std::process::ExitCode::from(if e.is_refusal() { 1 } else { 3 })
}

/// `relance --help`: one line, the description, and what every command shares.
pub const ABOUT: &str = "Relance: keep customers and invoices, record payments, get paid.";
pub const LONG_ABOUT: &str =
    "Relance keeps your customers and invoices and tells you whom to remind.\n\
    Every command works on the same database as the desktop app.";
pub const AFTER_HELP: &str =
    "Exit status: 0 success, 1 input refused, 2 usage error, 3 system failure.\n\
    Dates: YYYY-MM-DD or DD/MM/YYYY. Amounts: 1234.56 or 1 234,56.\n\
    Today is $RELANCE_TODAY when set (as in the app), otherwise the computer's date.";
