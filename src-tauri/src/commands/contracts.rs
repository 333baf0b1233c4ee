//! Contracts screen: list, the form (templates, the plan shown before saving), the contract
//! page (reach a milestone, cancel), the work-ahead alerts for Today, and the PDF of an
//! invoice Relance issued.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::contracts::{
    self, ContractInput, ContractPage, ContractQuery, ContractView, MilestoneInput, Plan,
    WorkAheadAlert,
};
use tauri::State;

#[tauri::command]
pub async fn list_contracts(db: State<'_, Db>, query: ContractQuery) -> ApiResult<ContractPage> {
    with_db(&db, move |conn| contracts::list(conn, &query, today())).await
}

#[tauri::command]
pub async fn get_contract(db: State<'_, Db>, reference: String) -> ApiResult<ContractView> {
    with_db(&db, move |conn| contracts::get(conn, &reference, today())).await
}

/// What the schedule comes to (amounts, what is missing or in excess); nothing is written.
#[tauri::command]
pub async fn plan_contract(db: State<'_, Db>, input: ContractInput) -> ApiResult<Plan> {
    with_db(&db, move |conn| contracts::plan(conn, &input)).await
}

/// A usual schedule (30/70, 30/40/30, thirds, monthly:N) in the UI's language.
#[tauri::command]
pub async fn contract_template(
    db: State<'_, Db>,
    name: String,
    signed_on: String,
) -> ApiResult<Vec<MilestoneInput>> {
    with_db(&db, move |conn| {
        let signed =
            relance_core::validate::parse_date("signed_on", &signed_on).unwrap_or_else(|_| today());
        let lang = relance_core::settings::ui_language(conn);
        contracts::template(&name, signed, lang)
    })
    .await
}

#[tauri::command]
pub async fn create_contract(db: State<'_, Db>, input: ContractInput) -> ApiResult<ContractView> {
    with_db(&db, move |conn| contracts::create(conn, &input, today())).await
}

/// The milestone is reached today: its invoice is issued. `confirm` answers the question
/// asked when earlier milestones are not invoiced or the customer is on hold.
#[tauri::command]
pub async fn reach_milestone(
    db: State<'_, Db>,
    reference: String,
    position: i64,
    confirm: bool,
) -> ApiResult<ContractView> {
    with_db(&db, move |conn| {
        let day = today();
        contracts::reach(conn, &reference, position, day, confirm, day).map(|(v, _)| v)
    })
    .await
}

#[tauri::command]
pub async fn cancel_contract(
    db: State<'_, Db>,
    reference: String,
    reason: String,
) -> ApiResult<ContractView> {
    with_db(&db, move |conn| {
        let day = today();
        contracts::cancel(conn, &reference, day, &reason, day)
    })
    .await
}

#[tauri::command]
pub async fn contract_alerts(db: State<'_, Db>) -> ApiResult<Vec<WorkAheadAlert>> {
    with_db(&db, |conn| contracts::alerts(conn, today())).await
}

/// Writes the PDF of an issued invoice to the file chosen in the save dialog.
#[tauri::command]
pub async fn save_invoice_pdf(db: State<'_, Db>, number: String, path: String) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let bytes = relance_core::documents::invoice::pdf(conn, &number)?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}

/// What an amendment would come to: invoiced milestones as billed, then those typed.
#[tauri::command]
pub async fn plan_amendment(
    db: State<'_, Db>,
    reference: String,
    input: ContractInput,
) -> ApiResult<Plan> {
    with_db(&db, move |conn| {
        contracts::plan_amendment(conn, &reference, &input)
    })
    .await
}

/// Changes what is left of a contract (what is invoiced stays), recorded in the history.
#[tauri::command]
pub async fn amend_contract(
    db: State<'_, Db>,
    reference: String,
    input: ContractInput,
) -> ApiResult<ContractView> {
    with_db(&db, move |conn| {
        contracts::amend(conn, &reference, &input, today())
    })
    .await
}

/// Writes the billing schedule's PDF to the file chosen in the save dialog.
#[tauri::command]
pub async fn save_contract_schedule(
    db: State<'_, Db>,
    reference: String,
    path: String,
) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let bytes = relance_core::documents::invoice::schedule_pdf(conn, &reference, today())?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}
