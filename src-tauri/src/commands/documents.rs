//! Letters and penalties from the invoice page: preview what a letter says, save or open it
//! as PDF (archived), prepare Today's letters, open an archived document; the late-payment
//! interest to date and the penalty invoice.

use super::{today, with_db, ApiResult, Db};
use relance_core::documents::archive::{self, DocumentInfo};
use relance_core::documents::letters::{self, Letter, LetterKind};
use relance_core::interest::{self, PenaltiesView};
use relance_core::invoices::InvoiceView;
use std::path::{Path, PathBuf};
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

/// "Open to print": produces (archives) the letter, writes it to the temporary folder and
/// opens it in the system's PDF viewer. The path is chosen here, never by the page, so
/// the window needs no permission to open arbitrary files.
#[tauri::command]
pub async fn open_letter(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
) -> ApiResult<DocumentInfo> {
    let (d, path) = with_db(&db, move |conn| {
        let (produced, bytes) = archive::produce(conn, kind, &invoice, today())?;
        let path = write_temp(&produced.document, &bytes)?;
        Ok((produced.document, path))
    })
    .await?;
    open_in_viewer(&path)?;
    Ok(d)
}

/// Writes a document's PDF to the temporary folder, named after it; returns the path.
fn write_temp(d: &DocumentInfo, bytes: &[u8]) -> relance_core::Result<PathBuf> {
    let dir = std::env::temp_dir().join("relance-letters");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!(
        "{}-{}-{}-{}.pdf",
        d.on_date, d.customer, d.kind, d.id
    ));
    std::fs::write(&path, bytes).map_err(|e| relance_core::Error::file("file", &path, e))?;
    Ok(path)
}

/// Hands a file or folder the app wrote to the system's viewer (from Rust: the page holds
/// no permission to open paths).
fn open_in_viewer(path: &Path) -> ApiResult<()> {
    tauri_plugin_opener::open_path(path, None::<&str>).map_err(|e| {
        relance_core::ApiError::from_error(
            &relance_core::Error::Io(std::io::Error::other(e.to_string())),
            relance_core::Lang::En,
        )
    })
}

/// Today → Prepare: the chosen letter actions become PDFs in the folder the owner picked,
/// each archived and each action marked done in one transaction; then the folder is opened.
/// (Files are written after the transaction: if one cannot be written, the letters are
/// still archived and can be saved again from the invoice's history.)
#[tauri::command]
pub async fn prepare_letters(
    db: State<'_, Db>,
    ids: Vec<String>,
    dir: String,
) -> ApiResult<Vec<DocumentInfo>> {
    let db_path = db.path.clone();
    let folder = std::path::PathBuf::from(&dir);
    let target = folder.clone();
    let docs = with_db(&db, move |conn| {
        std::fs::create_dir_all(&target)
            .map_err(|e| relance_core::Error::file("dir", &target, e))?;
        let prepared = archive::prepare(conn, today(), Some(&ids))?;
        let mut docs = Vec::new();
        for p in prepared {
            let path = target.join(&p.file_name);
            relance_core::store::refuse_database_as_output(&db_path, &path, "dir")?;
            std::fs::write(&path, &p.pdf)
                .map_err(|e| relance_core::Error::file("dir", &path, e))?;
            docs.push(p.produced.document);
        }
        Ok(docs)
    })
    .await?;
    open_in_viewer(&folder)?;
    Ok(docs)
}

/// History → Open: the archived document's exact bytes, written to the temporary folder and
/// opened in the system's viewer (the very PDF that was sent, whatever changed since).
#[tauri::command]
pub async fn open_document(db: State<'_, Db>, id: i64) -> ApiResult<DocumentInfo> {
    let (d, path) = with_db(&db, move |conn| {
        let d = archive::info(conn, id)?;
        let path = write_temp(&d, &archive::bytes(conn, id)?)?;
        Ok((d, path))
    })
    .await?;
    open_in_viewer(&path)?;
    Ok(d)
}

/// Late-payment interest and indemnity of an invoice to today, with the breakdown.
#[tauri::command]
pub async fn invoice_penalties(db: State<'_, Db>, invoice: String) -> ApiResult<PenaltiesView> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        interest::for_invoice(conn, &invoice, today(), None, lang)
    })
    .await
}

/// Issues the separate invoice for those penalties (never charged twice).
#[tauri::command]
pub async fn issue_penalty_invoice(db: State<'_, Db>, invoice: String) -> ApiResult<InvoiceView> {
    with_db(&db, move |conn| {
        let customer_lang: Option<relance_core::Lang> = conn
            .query_row(
                "SELECT c.language FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.number = ?1",
                [relance_core::validate::identifier_key(&invoice)],
                |r| r.get::<_, String>(0),
            )
            .ok()
            .and_then(|l| relance_core::Lang::parse(&l));
        // The notes of the penalty invoice are read by the customer: their language.
        let lang = customer_lang.unwrap_or_else(|| relance_core::settings::ui_language(conn));
        interest::invoice_penalties(conn, &invoice, today(), lang)
    })
    .await
}
