//! First run and data: app information, demo data, CSV import and export.

use super::{today, with_db, ApiResult, Db};
use relance_core::app::AppInfo;
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
