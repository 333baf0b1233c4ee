//! First run and data: app information, demo data, CSV import and export, backups.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::app::AppInfo;
use relance_core::backup::{self, RestorePreview, RestoreReport, Snapshot};
use relance_core::demo::{self, DemoReport};
use relance_core::import::{self, ImportKind, ImportReport};
use relance_core::views::{dashboard, Dashboard};
use relance_core::{ApiError, Error};
use tauri::State;

#[tauri::command]
pub async fn app_info(db: State<'_, Db>) -> ApiResult<AppInfo> {
    let at = db.at();
    let (db_path, shared, in_demo) = (at.shown, at.shared, at.demo);
    with_db(&db, move |conn| {
        let (customers, invoices) = relance_core::app::counts(conn)?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            db_path,
            today: today(),
            customers,
            invoices,
            test_file: std::env::var("RELANCE_TEST_FILE").ok(),
            demo: in_demo,
            company_name: relance_core::settings::get(conn)?.company_name,
            home_dir: std::env::var("HOME").unwrap_or_default(),
            shared,
            ledger_from_env: std::env::var_os(relance_core::store::DB_ENV)
                .is_some_and(|v| !v.is_empty()),
        })
    })
    .await
}

/// Runs `f` with the ledger itself (to swap the connection), errors in the UI's language.
pub(super) async fn with_ledger<T, F>(db: &Db, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut super::Ledger) -> relance_core::Result<T> + Send + 'static,
{
    let ledger = std::sync::Arc::clone(&db.ledger);
    let at = std::sync::Arc::clone(&db.at);
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = ledger.lock().unwrap_or_else(|p| p.into_inner());
        let lang = relance_core::settings::ui_language(&guard.conn);
        let done = f(&mut guard).map_err(|e| ApiError::from_error(&e, lang));
        // The ledger may be another now: where it is follows, before anyone else reads it.
        *at.lock().unwrap_or_else(|p| p.into_inner()) = super::At::of(&guard);
        done
    })
    .await
    .map_err(|e| {
        ApiError::from_error(
            &Error::Io(std::io::Error::other(e.to_string())),
            relance_core::Lang::En,
        )
    })?
}

/// Opens the demo: a fresh ledger of its own beside the owner's (`store::demo_path`),
/// loaded with the demo data in the owner's language. The owner's ledger is not written;
/// [`leave_demo`] (or the next start) brings it back.
#[tauri::command]
pub async fn load_demo(db: State<'_, Db>) -> ApiResult<DemoReport> {
    with_ledger(&db, |ledger| {
        if ledger.demo {
            return Err(Error::invalid("database", relance_core::Msg::NotEmpty));
        }
        let owner_file = ledger.owner.local_file();
        let owner = owner_file.as_path();
        let lang = relance_core::settings::ui_language(&ledger.conn);
        let path = relance_core::store::demo_path(owner);
        let dir = path.parent().unwrap_or(owner);
        std::fs::create_dir_all(dir).map_err(|e| Error::file("demo", dir, e))?;
        // A fresh demo each time: the previous demo ledger is removed, file by file.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let f = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if f.exists() {
                std::fs::remove_file(&f).map_err(|e| Error::file("demo", &f, e))?;
            }
        }
        let mut conn = relance_core::open(&path)?;
        relance_core::settings::set(&conn, "ui_language", lang.code())?;
        let report = demo::load(&mut conn, today())?;
        // The demo is a file of this computer, whatever the owner's ledger is.
        *ledger = super::Ledger {
            conn,
            path,
            demo: true,
            server: None,
            session: None,
            owner: ledger.owner.clone(),
            suspect: false,
            day: None,
        };
        Ok(report)
    })
    .await
}

/// Leaves the demo: the owner's ledger is open again, as it was.
#[tauri::command]
pub async fn leave_demo(db: State<'_, Db>) -> ApiResult<()> {
    with_ledger(&db, |ledger| {
        if ledger.demo {
            let owner = ledger.owner.clone();
            ledger.switch_to(&owner)?;
        }
        Ok(())
    })
    .await
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
        let report = import::import(conn, kind, &bytes, dry_run)?;
        if !report.dry_run {
            // Today reads the imported invoices by their wake dates and the day's actions
            // kept. The import stands either way: what is left to compute is derived by the
            // agenda meanwhile and computed at the next start or action.
            let _ = relance_core::dunning::refresh_day(conn, today());
        }
        Ok(report)
    })
    .await
}

#[tauri::command]
pub async fn export_csv(db: State<'_, Db>, kind: ImportKind, path: String) -> ApiResult<String> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        // The save dialog can point at the database itself: refuse it before exporting.
        relance_core::store::refuse_database_as_output(db_path, path.as_ref(), "file")?;
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
    with_db_at(&db, move |_, at| backup::list(&at.path)).await
}

/// "Back up now": to the file chosen in the save dialog, or into the backups folder.
#[tauri::command]
pub async fn backup_now(db: State<'_, Db>, path: Option<String>) -> ApiResult<Snapshot> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        backup::backup_now(conn, db_path, path.as_deref().map(std::path::Path::new))
    })
    .await
}

/// What restoring a file would drop and keep, for the confirmation (nothing is written).
#[tauri::command]
pub async fn restore_preview(db: State<'_, Db>, path: String) -> ApiResult<RestorePreview> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        backup::restore_preview(conn, db_path, path.as_ref())
    })
    .await
}

/// "Restore…": replaces the data with the file's (the UI asked for confirmation first).
#[tauri::command]
pub async fn restore_backup(db: State<'_, Db>, path: String) -> ApiResult<RestoreReport> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        backup::restore(conn, db_path, path.as_ref())
    })
    .await
}
