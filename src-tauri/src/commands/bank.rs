//! The Bank screen: statement files read (the shell reads them, the engine takes bytes),
//! the lines with their proposals, the owner's decisions, the CSV mapping step, and what
//! Today says about the bank. Thin: each command is one engine call.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::bank::csv::{Mapping, Preview};
use relance_core::bank::store::{
    self, BankSummary, GroupPage, ImportReport, LineView, Options, PageAsk,
};
use relance_core::Error;
use tauri::State;

fn read(path: &str) -> relance_core::Result<(String, Vec<u8>)> {
    let p = std::path::Path::new(path);
    relance_core::bank::check_size(p.metadata().map_err(|e| Error::file("file", p, e))?.len())?;
    let bytes = std::fs::read(p).map_err(|e| Error::file("file", p, e))?;
    let name = p
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, bytes))
}

/// Reads the files and imports their new lines (see `bank::store::import`).
#[tauri::command]
pub async fn bank_import(
    db: State<'_, Db>,
    paths: Vec<String>,
    dry_run: bool,
    apply_sure: bool,
    confirmed: bool,
) -> ApiResult<ImportReport> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        let files = paths
            .iter()
            .map(|p| read(p))
            .collect::<relance_core::Result<Vec<_>>>()?;
        store::import(
            conn,
            files,
            Options {
                dry_run,
                apply_sure,
                confirmed,
            },
            lang,
            today(),
        )
    })
    .await
}

/// The demo's statement, written for today and imported (only in the demo's own ledger:
/// it is made of the demo's invoices).
#[tauri::command]
pub async fn bank_import_demo(db: State<'_, Db>, apply_sure: bool) -> ApiResult<ImportReport> {
    with_db_at(&db, move |conn, at| {
        let demo = at.demo;
        if !demo {
            return Err(Error::invalid("database", relance_core::Msg::OwnerLedger));
        }
        let lang = relance_core::settings::ui_language(conn);
        let bytes = relance_core::demo::statement(conn, today())?;
        store::import(
            conn,
            vec![("releve-demo.xml".to_string(), bytes)],
            Options {
                apply_sure,
                ..Options::default()
            },
            lang,
            today(),
        )
    })
    .await
}

/// The Bank screen: every group's count, a page of each group asked (folded groups are
/// counted, not read), and with `show` the page of that line's group that holds it.
#[tauri::command]
pub async fn bank_groups(
    db: State<'_, Db>,
    pages: Vec<PageAsk>,
    limit: u32,
    show: Option<i64>,
) -> ApiResult<Vec<GroupPage>> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        store::groups(conn, &pages, limit, show, lang)
    })
    .await
}

#[tauri::command]
pub async fn bank_apply_sure(db: State<'_, Db>) -> ApiResult<usize> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        store::apply_sure(conn, lang)
    })
    .await
}

#[tauri::command]
pub async fn bank_match(
    db: State<'_, Db>,
    line: i64,
    invoices: Vec<String>,
) -> ApiResult<LineView> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        store::match_line(conn, line, &invoices, lang)
    })
    .await
}

#[tauri::command]
pub async fn bank_ignore(db: State<'_, Db>, line: i64, reason: String) -> ApiResult<()> {
    with_db(&db, move |conn| store::ignore(conn, line, &reason)).await
}

#[tauri::command]
pub async fn bank_undo(db: State<'_, Db>, import: i64) -> ApiResult<usize> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        store::undo_import(conn, import, lang, today())
    })
    .await
}

#[tauri::command]
pub async fn bank_summary(db: State<'_, Db>) -> ApiResult<BankSummary> {
    with_db(&db, move |conn| store::summary(conn, today())).await
}

/// A CSV file's columns and first rows, for the mapping step; `None` when it is no table.
#[tauri::command]
pub async fn bank_csv_preview(db: State<'_, Db>, path: String) -> ApiResult<Option<Preview>> {
    with_db(&db, move |_| {
        let (_, bytes) = read(&path)?;
        Ok(relance_core::bank::csv::preview(
            &relance_core::bank::decode(&bytes),
        ))
    })
    .await
}

#[tauri::command]
pub async fn bank_set_mapping(
    db: State<'_, Db>,
    path: String,
    mapping: Mapping,
) -> ApiResult<Mapping> {
    with_db(&db, move |conn| {
        let (_, bytes) = read(&path)?;
        store::set_mapping(conn, &bytes, mapping)
    })
    .await
}
