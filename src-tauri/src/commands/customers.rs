//! Customers screen: list, detail, create, edit.

use super::{today, with_db, ApiResult, Db};
use relance_core::customers::{self, Customer, CustomerInput, CustomerPage, CustomerQuery};
use relance_core::views::{customer_page, CustomerDetail};
use tauri::State;

#[tauri::command]
pub async fn list_customers(db: State<'_, Db>, query: CustomerQuery) -> ApiResult<CustomerPage> {
    with_db(&db, move |conn| customers::list(conn, &query, today())).await
}

#[tauri::command]
pub async fn get_customer(db: State<'_, Db>, id: i64) -> ApiResult<CustomerDetail> {
    with_db(&db, move |conn| customer_page::detail(conn, id, today())).await
}

#[tauri::command]
pub async fn create_customer(db: State<'_, Db>, input: CustomerInput) -> ApiResult<Customer> {
    with_db(&db, move |conn| customers::create(conn, &input)).await
}

#[tauri::command]
pub async fn update_customer(
    db: State<'_, Db>,
    id: i64,
    input: CustomerInput,
) -> ApiResult<Customer> {
    with_db(&db, move |conn| customers::update(conn, id, &input)).await
}

/// Deletes a customer entered by mistake (refused, saying why, once anything depends on them).
#[tauri::command]
pub async fn delete_customer(db: State<'_, Db>, reference: String) -> ApiResult<()> {
    with_db(&db, move |conn| customers::delete(conn, &reference)).await
}

/// Archives a customer who owes nothing, or brings them back.
#[tauri::command]
pub async fn archive_customer(
    db: State<'_, Db>,
    reference: String,
    archived: bool,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        customers::set_archived(conn, &reference, archived, lang, today())
    })
    .await
}
