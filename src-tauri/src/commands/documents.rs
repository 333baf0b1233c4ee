//! Letters, e-mails and penalties: preview what a letter says, save or open it as PDF
//! (archived), open it as an e-mail draft in the mail client or as a mailto link, prepare
//! Today's letters and e-mails into a folder, open an archived document; the late-payment
//! interest to date and the penalty invoice.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::documents::archive::{self, DocumentInfo};
use relance_core::documents::email::{self, EmailBatch, EmailPreview};
use relance_core::documents::letters::{self, Letter, LetterKind};
use relance_core::dunning::Section;
use relance_core::interest::{self, Overcharge, PenaltiesView};
use relance_core::invoices::credit_notes::CreditNoteView;
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
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let out = std::path::Path::new(&path);
        relance_core::store::refuse_database_as_output(db_path, out, "file")?;
        let mut staged = None;
        let (produced, _) = archive::produce(conn, kind, &invoice, today(), &mut |tx, bytes| {
            staged = Some(relance_core::store::stage_output_in(
                tx, db_path, out, bytes, "file",
            )?);
            Ok(())
        })?;
        if let Some(s) = staged {
            s.finish_in(conn)?;
        }
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
        let (produced, bytes) =
            archive::produce(conn, kind, &invoice, today(), &mut |_, _| Ok(()))?;
        let path = write_temp(&pdf_name(&produced.document), &bytes)?;
        Ok((produced.document, path))
    })
    .await?;
    open_in_viewer(&path)?;
    Ok(d)
}

/// The file name of an archived document's PDF.
fn pdf_name(d: &DocumentInfo) -> String {
    archive::file_name(
        &[
            &d.on_date.to_string(),
            &d.customer,
            &d.kind,
            &d.id.to_string(),
        ],
        "pdf",
    )
}

/// Writes a file the app hands to another program into the temporary folder; returns its
/// path.
fn write_temp(name: &str, bytes: &[u8]) -> relance_core::Result<PathBuf> {
    let dir = std::env::temp_dir().join("relance-documents");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| relance_core::Error::write("file", &path, e))?;
    Ok(path)
}

/// "Open in mail client": the letter's e-mail draft (.eml, PDF attached and archived,
/// "e-mail prepared" in the history) written to the temporary folder and handed to the
/// system's handler for .eml files (the owner's mail client), which opens it to send.
#[tauri::command]
pub async fn open_email(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
) -> ApiResult<DocumentInfo> {
    let (d, path) = with_db(&db, move |conn| {
        let now = relance_core::app::now_unix();
        let d = email::draft(conn, kind, &invoice, today(), now, &mut |_, _| Ok(()))?;
        let path = write_temp(&d.file_name, &d.eml)?;
        Ok((d.document, path))
    })
    .await?;
    open_in_viewer(&path)?;
    Ok(d)
}

/// What a Today action's letter will say, as the action sends it (nothing is written).
#[tauri::command]
pub async fn preview_action_letter(db: State<'_, Db>, action: String) -> ApiResult<Letter> {
    with_db(&db, move |conn| {
        relance_core::documents::archive::action_letter(conn, today(), &action, false)
    })
    .await
}

/// What a Today action's e-mail will say, as the action sends it (nothing is written).
#[tauri::command]
pub async fn preview_action_email(db: State<'_, Db>, action: String) -> ApiResult<EmailPreview> {
    with_db(&db, move |conn| {
        email::action_preview(conn, today(), &action)
    })
    .await
}

/// What the letter's e-mail would say today (nothing is written).
#[tauri::command]
pub async fn preview_email(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
) -> ApiResult<EmailPreview> {
    with_db(&db, move |conn| {
        email::preview(conn, kind, &invoice, today())
    })
    .await
}

/// The mailto link of a letter's e-mail (subject and body; nothing is written), for
/// "Copy mailto link".
#[tauri::command]
pub async fn mailto_link(
    db: State<'_, Db>,
    invoice: String,
    kind: LetterKind,
) -> ApiResult<String> {
    with_db(&db, move |conn| {
        email::mailto(conn, kind, &invoice, today())
    })
    .await
}

/// "Open with mailto": the link handed to the system's mail handler.
#[tauri::command]
pub async fn open_mailto(db: State<'_, Db>, invoice: String, kind: LetterKind) -> ApiResult<()> {
    let link = with_db(&db, move |conn| {
        email::mailto(conn, kind, &invoice, today())
    })
    .await?;
    tauri_plugin_opener::open_url(link, None::<&str>).map_err(|e| {
        relance_core::ApiError::from_error(
            &relance_core::Error::Io(std::io::Error::other(e.to_string())),
            relance_core::Lang::En,
        )
    })
}

/// Today → Prepare e-mails: the chosen e-mail actions become .eml drafts (PDF attached) and
/// an index.html in the folder the owner picked; each archived, logged and its action done
/// in one transaction, customers without an address named; then the folder is opened.
#[tauri::command]
pub async fn prepare_emails(
    db: State<'_, Db>,
    ids: Vec<String>,
    section: Option<Section>,
    dir: String,
) -> ApiResult<EmailBatch> {
    let folder = PathBuf::from(&dir);
    let target = folder.clone();
    let batch = with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        std::fs::create_dir_all(&target)
            .map_err(|e| relance_core::Error::write("dir", &target, e))?;
        let lang = relance_core::settings::ui_language(conn);
        relance_core::store::tidy_partials(&target);
        // A whole section ("Prepare today's e-mails"), shown or not: its e-mails with invoices
        // to claim, never one waiting for a decision (those are prepared one by one, as
        // shown); or the actions named.
        let ids = match section {
            Some(section) => relance_core::dunning::section_actions(conn, today(), section)?
                .into_iter()
                .filter(|a| {
                    a.channel == relance_core::dunning::scenarios::Channel::Email
                        && !a.needs_decision
                        && !a.invoices.is_empty()
                })
                .map(|a| a.id)
                .collect(),
            None => ids,
        };
        let mut staged = Vec::new();
        let batch = email::prepare(
            conn,
            today(),
            Some(&ids),
            None,
            relance_core::app::now_unix(),
            lang,
            &mut |tx, name, bytes| {
                let file = target.join(name);
                let s = relance_core::store::stage_output_in(tx, db_path, &file, bytes, "dir")?;
                staged.push(s);
                Ok(())
            },
        )?;
        staged.into_iter().try_for_each(|s| s.finish_in(conn))?;
        Ok(batch)
    })
    .await?;
    if !batch.prepared.is_empty() {
        open_in_viewer(&folder)?;
    }
    Ok(batch)
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
/// each archived and each action marked done in one transaction (a file that cannot be
/// written undoes it all); then the folder is opened.
#[tauri::command]
pub async fn prepare_letters(
    db: State<'_, Db>,
    ids: Vec<String>,
    dir: String,
) -> ApiResult<Vec<DocumentInfo>> {
    let folder = std::path::PathBuf::from(&dir);
    let target = folder.clone();
    let docs = with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        std::fs::create_dir_all(&target)
            .map_err(|e| relance_core::Error::write("dir", &target, e))?;
        relance_core::store::tidy_partials(&target);
        let mut staged = Vec::new();
        let prepared = archive::prepare(conn, today(), Some(&ids), &mut |tx, name, bytes| {
            let file = target.join(name);
            let s = relance_core::store::stage_output_in(tx, db_path, &file, bytes, "dir")?;
            staged.push(s);
            Ok(())
        })?;
        staged.into_iter().try_for_each(|s| s.finish_in(conn))?;
        Ok(prepared.into_iter().map(|p| p.produced.document).collect())
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
        let path = write_temp(&pdf_name(&d), &archive::bytes(conn, id)?)?;
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

/// Penalty invoices that charge more than is owed since a later, backdated payment.
#[tauri::command]
pub async fn penalty_overcharges(db: State<'_, Db>) -> ApiResult<Vec<Overcharge>> {
    with_db(&db, |conn| interest::overcharges(conn)).await
}

/// Issues the credit notes that remove an overcharge (dated today).
#[tauri::command]
pub async fn correct_penalty_overcharge(
    db: State<'_, Db>,
    invoice: String,
) -> ApiResult<Vec<CreditNoteView>> {
    with_db(&db, move |conn| {
        interest::correct_overcharge(conn, &invoice, today())
    })
    .await
}

/// Issues the separate invoice for those penalties (never charged twice).
#[tauri::command]
pub async fn issue_penalty_invoice(db: State<'_, Db>, invoice: String) -> ApiResult<InvoiceView> {
    with_db(&db, move |conn| {
        interest::invoice_penalties(conn, &invoice, today())
    })
    .await
}
