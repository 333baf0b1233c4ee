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

/// [`date_or_today`] for what acts on the day's agenda: a past date is refused (what was due
/// then depends on what was done since; the history says what happened).
pub(crate) fn today_or_later(s: &Option<String>, field: &str) -> relance_core::Result<NaiveDate> {
    let d = date_or_today(s, field)?;
    if d < relance_core::app::today()? {
        return Err(relance_core::Error::invalid(
            field,
            relance_core::Msg::PastAgenda,
        ));
    }
    Ok(d)
}

/// [`date_or_today`] for what records a document or an invoice: only today (a letter, an
/// e-mail and an invoice are dated the day they are produced).
pub(crate) fn today_only(s: &Option<String>, field: &str) -> relance_core::Result<NaiveDate> {
    let d = date_or_today(s, field)?;
    if d != relance_core::app::today()? {
        return Err(relance_core::Error::invalid(
            field,
            relance_core::Msg::PreviewNotArchived,
        ));
    }
    Ok(d)
}
