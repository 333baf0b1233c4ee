//! Reports: a customer's payment profile, the aged balance, a cell's invoices, and the
//! aged balance exported as CSV.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::invoices::InvoiceView;
use relance_core::views::aged::{self, AgedBalance};
use relance_core::views::profile::{self, Profile};
use tauri::State;

#[tauri::command]
pub async fn customer_profile(db: State<'_, Db>, reference: String) -> ApiResult<Profile> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        profile::profile(conn, &reference, today(), lang)
    })
    .await
}

/// The customer's payer segment and the rule that fired.
#[tauri::command]
pub async fn customer_segment(
    db: State<'_, Db>,
    reference: String,
) -> ApiResult<relance_core::views::segments::Segmented> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::segments::of_customer(conn, &reference, today(), lang)
    })
    .await
}

/// The owner chooses the customer's segment (with a reason), or `None` gives it back to
/// the rules; returns the segment now in force.
#[tauri::command]
pub async fn set_customer_segment(
    db: State<'_, Db>,
    reference: String,
    segment: Option<String>,
    reason: String,
) -> ApiResult<relance_core::views::segments::Segmented> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::customers::set_segment(
            conn,
            &reference,
            segment.as_deref(),
            &reason,
            today(),
        )?;
        relance_core::views::segments::of_customer(conn, &reference, today(), lang)
    })
    .await
}

/// Marks or unmarks a key account (recorded in the history).
#[tauri::command]
pub async fn set_key_account(db: State<'_, Db>, reference: String, on: bool) -> ApiResult<()> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::customers::set_key_account(conn, &reference, on, lang, today())
    })
    .await
}

/// Customers → filter by segment: a page of that segment's customers, by name, each with
/// the rule that put them there, and how many there are.
#[tauri::command]
pub async fn customers_in_segment(
    db: State<'_, Db>,
    segment: relance_core::views::segments::Segment,
    offset: u32,
    limit: u32,
) -> ApiResult<relance_core::views::segments::SegmentPage> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::segments::in_segment(conn, today(), lang, segment, offset, limit)
    })
    .await
}

/// Customers at risk and not on hold: the sanctions to propose on Today, the first `shown`
/// of them and how many there are.
#[tauri::command]
pub async fn sanction_proposals(
    db: State<'_, Db>,
    shown: u32,
) -> ApiResult<relance_core::views::segments::SanctionPage> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::segments::sanctions_page(conn, today(), lang, shown)
    })
    .await
}

/// The owner decides a sanction on a customer (recorded in the history): the journal
/// entry, for an undo.
#[tauri::command]
pub async fn apply_sanction(
    db: State<'_, Db>,
    reference: String,
    sanction: relance_core::customers::Sanction,
) -> ApiResult<i64> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::customers::apply_sanction(conn, &reference, &sanction, lang, today())
    })
    .await
}

/// A sanction proposal put aside: "later" (a week) or ignored with a reason.
#[tauri::command]
pub async fn set_proposal_aside(
    db: State<'_, Db>,
    reference: String,
    rule_code: String,
    ignore: bool,
    reason: String,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::segments::set_aside(
            conn,
            &reference,
            &rule_code,
            ignore,
            &reason,
            lang,
            today(),
        )
    })
    .await
}

/// Undoes a sanction: the customer as they were before it.
#[tauri::command]
pub async fn undo_sanction(db: State<'_, Db>, entry: i64) -> ApiResult<()> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::customers::undo_sanction(conn, entry, lang, today())
    })
    .await
}

/// Everything the dashboard shows.
#[tauri::command]
pub async fn overview(db: State<'_, Db>) -> ApiResult<relance_core::views::overview::Overview> {
    with_db(&db, |conn| {
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::overview::overview(conn, today(), lang)
    })
    .await
}

/// The aged balance by payer segment (a handful of rows), or `limit` customers of it from
/// `offset`, with the whole report's totals and row count.
#[tauri::command]
pub async fn aged_balance(
    db: State<'_, Db>,
    currency: String,
    by_segment: bool,
    offset: u32,
    limit: u32,
) -> ApiResult<AgedBalance> {
    with_db(&db, move |conn| {
        if by_segment {
            let lang = relance_core::settings::ui_language(conn);
            relance_core::views::segments::aged_by_segment(conn, today(), Some(&currency), lang)
        } else {
            aged::aged_page(conn, today(), Some(&currency), offset, limit)
        }
    })
    .await
}

/// The invoices behind one cell of the aged balance (a customer or all, a bucket or all).
#[tauri::command]
pub async fn aged_cell(
    db: State<'_, Db>,
    currency: String,
    customer_id: Option<i64>,
    bucket: Option<String>,
) -> ApiResult<Vec<InvoiceView>> {
    with_db(&db, move |conn| {
        aged::cell_invoices(
            conn,
            today(),
            Some(&currency),
            customer_id,
            bucket.as_deref(),
        )
    })
    .await
}

/// Writes the aged balance (by customer or by segment) as PDF to the file chosen.
#[tauri::command]
pub async fn export_aged_pdf(
    db: State<'_, Db>,
    currency: String,
    by_segment: bool,
    path: String,
) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let lang = relance_core::settings::ui_language(conn);
        let report = if by_segment {
            relance_core::views::segments::aged_by_segment(conn, today(), Some(&currency), lang)?
        } else {
            aged::aged_balance(conn, today(), Some(&currency))?
        };
        let bytes = relance_core::documents::report::aged_balance_pdf(conn, &report, lang)?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}

/// Writes the aged balance as CSV to the file chosen in the save dialog.
#[tauri::command]
pub async fn export_aged_csv(db: State<'_, Db>, currency: String, path: String) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let report = aged::aged_balance(conn, today(), Some(&currency))?;
        let bytes = relance_core::import::aged_balance_csv(&report)?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}
