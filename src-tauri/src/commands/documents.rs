//! Letters from the invoice page: preview what a letter says, save it as PDF (archived).

use super::{today, with_db, ApiResult, Db};
use relance_core::documents::archive::{self, DocumentInfo};
use relance_core::documents::letters::{self, Letter, LetterKind};
use tauri::State;

/// What the letter would say today (nothing is written).
#[tauri::command]
pub async fn preview_letter(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
) -> ApiResult<Letter> {
    with_db(&db, move |conn| {
        letters::compose(conn, kind, &invoice, today())
    })
    .await
}

/// Produces the letter (archived with its journal entry; the same letter again today is
/// the archived one) and writes its PDF to the file chosen in the save dialog.
#[tauri::command]
pub async fn save_letter(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
    path: String,
) -> ApiResult<DocumentInfo> {
    let db_path = db.path.clone();
    with_db(&db, move |conn| {
        let out = std::path::Path::new(&path);
        relance_core::store::refuse_database_as_output(&db_path, out, "file")?;
        let (produced, bytes) = archive::produce(conn, kind, &invoice, today())?;
        std::fs::write(out, bytes).map_err(|e| relance_core::Error::file("file", out, e))?;
        Ok(produced.document)
    })
    .await
}
