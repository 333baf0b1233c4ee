//! Writing an invoice: drafts (saved as typed, totals from the engine), Issue, duplicate,
//! and the e-invoice XML of an issued invoice.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::invoices::drafts::{self, DraftInput, DraftTotals, DraftView};
use serde::Serialize;
use tauri::State;

/// The totals of the draft as typed (nothing saved): the form shows them as the owner types.
#[tauri::command]
pub async fn preview_draft(db: State<'_, Db>, input: DraftInput) -> ApiResult<DraftTotals> {
    with_db(&db, move |conn| drafts::preview(conn, &input)).await
}

/// Saves a new draft (`id` none) or replaces one.
#[tauri::command]
pub async fn save_draft(
    db: State<'_, Db>,
    id: Option<i64>,
    input: DraftInput,
) -> ApiResult<DraftView> {
    with_db(&db, move |conn| match id {
        Some(id) => drafts::update(conn, id, &input),
        None => drafts::create(conn, &input),
    })
    .await
}

/// A draft as saved and as typed back (what the form edits).
#[derive(Serialize)]
pub struct DraftForm {
    pub draft: DraftView,
    pub input: DraftInput,
}

#[tauri::command]
pub async fn get_draft(db: State<'_, Db>, id: i64) -> ApiResult<DraftForm> {
    with_db(&db, move |conn| {
        Ok(DraftForm {
            draft: drafts::get(conn, id)?,
            input: drafts::input_of(conn, id)?,
        })
    })
    .await
}

#[tauri::command]
pub async fn list_drafts(db: State<'_, Db>) -> ApiResult<Vec<DraftView>> {
    with_db(&db, |conn| drafts::list(conn)).await
}

#[tauri::command]
pub async fn delete_draft(db: State<'_, Db>, id: i64) -> ApiResult<()> {
    with_db(&db, move |conn| drafts::delete(conn, id)).await
}

/// What Issue gives back: the invoice's id (its page) and number.
#[derive(Serialize)]
pub struct Issued {
    pub id: i64,
    pub number: String,
}

/// Issues a draft today (the page asked for a confirmation: it cannot be undone).
#[tauri::command]
pub async fn issue_draft(db: State<'_, Db>, id: i64) -> ApiResult<Issued> {
    with_db(&db, move |conn| {
        let (id, number) = relance_core::documents::invoice::issue_draft(conn, id, today())?;
        Ok(Issued { id, number })
    })
    .await
}

/// A new draft with the lines of an issued invoice.
#[tauri::command]
pub async fn duplicate_invoice(db: State<'_, Db>, number: String) -> ApiResult<DraftView> {
    with_db(&db, move |conn| drafts::duplicate(conn, &number)).await
}

/// Writes the e-invoice (CII XML) of an issued invoice to the file chosen in the save dialog.
#[tauri::command]
pub async fn save_invoice_xml(db: State<'_, Db>, number: String, path: String) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let bytes = relance_core::documents::invoice::xml(conn, &number)?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}

/// Issues a credit note on an invoice (the whole invoice, or the lines typed), dated
/// today, its PDF and XML archived. Returns what it came to.
#[tauri::command]
pub async fn issue_credit_note(
    db: State<'_, Db>,
    input: relance_core::invoices::credit_documents::CreditNoteIssueInput,
) -> ApiResult<relance_core::invoices::credit_documents::CreditDocumentView> {
    with_db(&db, move |conn| {
        let (id, _) = relance_core::documents::credit_note::issue(conn, &input, today())?;
        relance_core::invoices::credit_documents::view(conn, id)
    })
    .await
}

/// Writes an issued credit note's archived PDF (`xml`: its CII XML) to `path`.
#[tauri::command]
pub async fn save_credit_note(
    db: State<'_, Db>,
    number: String,
    xml: bool,
    path: String,
) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let bytes = if xml {
            relance_core::documents::credit_note::xml(conn, &number)?
        } else {
            relance_core::documents::credit_note::pdf(conn, &number)?
        };
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}
