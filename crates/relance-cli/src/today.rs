//! The "as of" date of a command: the one given, or today by the engine's one rule.

use chrono::NaiveDate;

/// The date given on the command line, or today by the engine's one rule
/// (`RELANCE_TODAY` when set, as in the app; otherwise the computer's date).
pub(crate) fn date_or_today(s: &Option<String>, field: &str) -> relance_core::Result<NaiveDate> {
    match s {
        Some(s) => relance_core::validate::parse_date(field, s),
        None => relance_core::app::today(),
    }
}
