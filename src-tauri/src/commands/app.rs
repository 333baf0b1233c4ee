//! First run and data: app information, demo data, CSV import and export, backups.

use super::{today, with_db, ApiResult, Db};
use relance_core::app::AppInfo;
use relance_core::backup::{self, RestorePreview, RestoreReport, Snapshot};
use relance_core::demo::{self, DemoReport};
use relance_core::import::{self, ImportKind, ImportReport};
use relance_core::views::{dashboard, Dashboard};
use relance_core::Error;
use tauri::State;

#[tauri::command]
pub async fn app_info(db: State<'_, Db>) -> ApiResult<AppInfo> {
    let db_path = db.path.display().to_string();
    with_db(&db, move |conn| {
        let (customers, invoices) = relance_core::app::counts(conn)?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            db_path,
            today: today(),
            customers,
            invoices,
            test_file: std::env::var("RELANCE_TEST_FILE").ok(),
        })
    })
    .await
}

#[tauri::command]
pub async fn load_demo(db: State<'_, Db>) -> ApiResult<DemoReport> {
    with_db(&db, |conn| demo::load(conn, today())).await
}

#[tauri::command]
pub async fn import_csv(
    db: State<'_, Db>,
    kind: ImportKind,
    path: String,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    with_db(&db, move |conn| {
        let bytes = std::fs::read(&path).map_err(|e| Error::file("file", path.as_ref(), e))?;
        import::import(conn, kind, &bytes, dry_run)
    })
    .await
}

#[tauri::command]
pub async fn export_csv(db: State<'_, Db>, kind: ImportKind, path: String) -> ApiResult<String> {
    let db_path = db.path.clone();
    with_db(&db, move |conn| {
        // The save dialog can point at the database itself: refuse it before exporting.
        relance_core::store::refuse_database_as_output(&db_path, path.as_ref(), "file")?;
        let bytes = import::export(conn, kind, today())?;
        std::fs::write(&path, bytes)?;
        Ok(path)
    })
    .await
}

#[tauri::command]
pub async fn dashboard(db: State<'_, Db>) -> ApiResult<Dashboard> {
    with_db(&db, |conn| dashboard::dashboard(conn, today())).await
}

/// Settings → Data: the snapshots kept beside the database, newest first.
#[tauri::command]
pub async fn list_backups(db: State<'_, Db>) -> ApiResult<Vec<Snapshot>> {
    let db_path = db.path.clone();
    with_db(&db, move |_| backup::list(&db_path)).await
}

/// "Back up now": to the file chosen in the save dialog, or into the backups folder.
#[tauri::command]
pub async fn backup_now(db: State<'_, Db>, path: Option<String>) -> ApiResult<Snapshot> {
    let db_path = db.path.clone();
    with_db(&db, move |conn| {
        backup::backup_now(conn, &db_path, path.as_deref().map(std::path::Path::new))
    })
    .await
}

/// What restoring a file would drop and keep, for the confirmation (nothing is written).
#[tauri::command]
pub async fn restore_preview(db: State<'_, Db>, path: String) -> ApiResult<RestorePreview> {
    let db_path = db.path.clone();
    with_db(&db, move |conn| {
        backup::restore_preview(conn, &db_path, path.as_ref())
    })
    .await
}

/// "Restore…": replaces the data with the file's (the UI asked for confirmation first).
#[tauri::command]
pub async fn restore_backup(db: State<'_, Db>, path: String) -> ApiResult<RestoreReport> {
    let db_path = db.path.clone();
    with_db(&db, move |conn| {
        backup::restore(conn, &db_path, path.as_ref())
    })
    .await
}
