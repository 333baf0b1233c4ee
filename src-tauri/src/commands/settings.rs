//! Settings screen: My company, defaults, language, logo, reference rates, letter wording.

use super::{with_db, ApiResult, Db};
use relance_core::documents::templates::{self, Template};
use relance_core::rates::{self, RateChange, RateTable};
use relance_core::settings::{self, CompanyInput, Settings, SettingsInput};
use relance_core::Error;
use tauri::State;

#[tauri::command]
pub async fn get_settings(db: State<'_, Db>) -> ApiResult<Settings> {
    with_db(&db, |conn| settings::get(conn)).await
}

#[tauri::command]
pub async fn save_settings(db: State<'_, Db>, input: SettingsInput) -> ApiResult<Settings> {
    with_db(&db, move |conn| settings::save(conn, &input)).await
}

/// One field checked as it is typed: its cleaned value, or the refusal next to it.
#[tauri::command]
pub async fn check_setting(db: State<'_, Db>, key: String, value: String) -> ApiResult<String> {
    with_db(&db, move |_| settings::check(&key, &value)).await
}

/// The first run's "Set up my company".
#[tauri::command]
pub async fn setup_company(db: State<'_, Db>, input: CompanyInput) -> ApiResult<Settings> {
    with_db(&db, move |conn| settings::setup_company(conn, &input)).await
}

/// Stores the logo picked in the file dialog (the path comes from the dialog).
#[tauri::command]
pub async fn set_logo(db: State<'_, Db>, path: String) -> ApiResult<Settings> {
    with_db(&db, move |conn| {
        // The shell opens the file; the engine reads at most 2 MB of it.
        let path = std::path::PathBuf::from(path);
        let file = std::fs::File::open(&path).map_err(|e| Error::file("logo", &path, e))?;
        settings::set_logo_from(conn, file)?;
        settings::get(conn)
    })
    .await
}

#[tauri::command]
pub async fn remove_logo(db: State<'_, Db>) -> ApiResult<Settings> {
    with_db(&db, |conn| {
        settings::remove_logo(conn)?;
        settings::get(conn)
    })
    .await
}

/// Settings → Reference rates: every decision known, shipped and entered.
#[tauri::command]
pub async fn list_rates(db: State<'_, Db>) -> ApiResult<Vec<RateChange>> {
    with_db(&db, |conn| Ok(RateTable::load(conn)?.changes().to_vec())).await
}

/// Enters a decision published after the shipped table (or a half-year's legal rate).
#[tauri::command]
pub async fn add_rate(
    db: State<'_, Db>,
    series: String,
    effective: String,
    rate: String,
) -> ApiResult<RateChange> {
    with_db(&db, move |conn| {
        rates::add(conn, &series, &effective, &rate)
    })
    .await
}

/// Removes a decision the owner entered.
#[tauri::command]
pub async fn remove_rate(db: State<'_, Db>, series: String, effective: String) -> ApiResult<()> {
    with_db(&db, move |conn| rates::remove(conn, &series, &effective)).await
}

/// Settings → Letter wording: the wordings the owner wrote.
#[tauri::command]
pub async fn list_templates(db: State<'_, Db>) -> ApiResult<Vec<Template>> {
    with_db(&db, |conn| templates::list(conn)).await
}

/// Saves (or, with an empty text, removes) the owner's wording of a letter part.
#[tauri::command]
pub async fn set_template(
    db: State<'_, Db>,
    kind: String,
    language: String,
    part: String,
    body: String,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        templates::set(conn, &kind, &language, &part, &body)
    })
    .await
}

/// Settings → Shared ledger, "Test the connection": what is at the address, nothing written.
#[tauri::command]
pub async fn check_server(
    db: State<'_, Db>,
    address: String,
) -> ApiResult<relance_core::app::ServerCheck> {
    // Not through the ledger: a server slow to answer must not hold the window's work, nor
    // wait for it (the interface's language is read when the ledger is free, the default's
    // otherwise: a start's refreshes hold it for seconds at a million invoices).
    let ledger = std::sync::Arc::clone(&db.ledger);
    tauri::async_runtime::spawn_blocking(move || {
        let lang = match ledger.try_lock() {
            Ok(g) => relance_core::settings::ui_language(&g.conn),
            Err(_) => relance_core::Lang::default(),
        };
        relance_core::app::check_server(&address)
            .map_err(|e| relance_core::ApiError::from_error(&e, lang))
    })
    .await
    .map_err(|e| {
        relance_core::ApiError::from_error(
            &Error::Io(std::io::Error::other(e.to_string())),
            relance_core::Lang::En,
        )
    })?
}

/// "Use this shared ledger": the window works on the server's ledger from now on (created
/// there when the database is empty and this role may), and this computer remembers it for
/// the next start (app and CLI).
#[tauri::command]
pub async fn use_server(db: State<'_, Db>, address: String) -> ApiResult<()> {
    super::app::with_ledger(&db, move |ledger| {
        let address = address.trim().to_string();
        relance_core::app::check_server(&address)?;
        ledger.switch_to(&relance_core::store::Place::Server(address.clone()))?;
        relance_core::store::remember_server(Some(&address))
    })
    .await
}

/// "Back to the file of this computer": the ledger file opens again and is remembered.
#[tauri::command]
pub async fn use_file(db: State<'_, Db>) -> ApiResult<()> {
    super::app::with_ledger(&db, move |ledger| {
        let path = relance_core::store::prepare_default_path()?;
        ledger.switch_to(&relance_core::store::Place::File(path))?;
        relance_core::store::remember_server(None)
    })
    .await
}
