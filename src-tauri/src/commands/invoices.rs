//! Invoices screen: list, detail, create, edit, record a payment, credit notes.

use super::{today, with_db, with_db_at, ApiResult, Db};
use relance_core::import::einvoice;
use relance_core::invoices::credit_notes::{self, CreditNoteInput, CreditNoteView};
use relance_core::invoices::payments::{self, PaymentInput, PaymentView};
use relance_core::invoices::{self, InvoiceInput, InvoicePage, InvoiceQuery, InvoiceView};
use relance_core::views::{invoice_page, InvoiceDetail};
use tauri::State;

#[tauri::command]
pub async fn list_invoices(db: State<'_, Db>, query: InvoiceQuery) -> ApiResult<InvoicePage> {
    with_db(&db, move |conn| invoices::list(conn, &query, today())).await
}

#[tauri::command]
pub async fn get_invoice(db: State<'_, Db>, id: i64) -> ApiResult<InvoiceDetail> {
    with_db(&db, move |conn| invoice_page::detail(conn, id, today())).await
}

#[tauri::command]
pub async fn create_invoice(db: State<'_, Db>, input: InvoiceInput) -> ApiResult<InvoiceView> {
    with_db(&db, move |conn| invoices::create(conn, &input, today())).await
}

#[tauri::command]
pub async fn update_invoice(
    db: State<'_, Db>,
    id: i64,
    input: InvoiceInput,
) -> ApiResult<InvoiceView> {
    with_db(&db, move |conn| invoices::update(conn, id, &input, today())).await
}

#[tauri::command]
pub async fn record_payment(db: State<'_, Db>, input: PaymentInput) -> ApiResult<PaymentView> {
    with_db(&db, move |conn| payments::record(conn, &input)).await
}

#[tauri::command]
pub async fn apply_credit(
    db: State<'_, Db>,
    invoice: String,
    amount: String,
) -> ApiResult<InvoiceView> {
    with_db(&db, move |conn| {
        let day = today();
        payments::apply_credit(conn, &invoice, &amount, day)?;
        invoices::get_by_number(conn, &invoice, day)
    })
    .await
}

#[tauri::command]
pub async fn add_credit_note(
    db: State<'_, Db>,
    input: CreditNoteInput,
) -> ApiResult<CreditNoteView> {
    with_db(&db, move |conn| credit_notes::create(conn, &input)).await
}

/// Deletes an invoice recorded by mistake (refused, saying what to do instead, once anything
/// depends on it).
#[tauri::command]
pub async fn delete_invoice(db: State<'_, Db>, number: String) -> ApiResult<()> {
    with_db(&db, move |conn| invoices::delete(conn, &number)).await
}

/// The invoice form, as the user types: the third of net / VAT rate / total.
#[tauri::command]
pub async fn complete_vat(
    db: State<'_, Db>,
    currency: String,
    net: String,
    rate: String,
    total: String,
    missing: invoices::VatPart,
) -> ApiResult<invoices::VatFigures> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        let currency = relance_core::settings::currency_or_default(conn, &currency)?;
        invoices::complete_vat(currency, &net, &rate, &total, missing, lang)
    })
    .await
}

/// The due date proposed from the customer's terms (ISO date, days).
#[tauri::command]
pub async fn proposed_due_date(
    db: State<'_, Db>,
    customer: String,
    issue_date: String,
) -> ApiResult<(chrono::NaiveDate, i64)> {
    with_db(&db, move |conn| {
        invoices::proposed_due_date(conn, &customer, &issue_date)
    })
    .await
}

/// An invoice number checked as it is typed (taken, or of Relance's own series).
#[tauri::command]
pub async fn check_invoice_number(
    db: State<'_, Db>,
    number: String,
    except: Option<i64>,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        invoices::check_number(conn, &number, except)
    })
    .await
}

/// Reads e-invoice files (the shell reads them, the engine takes bytes).
fn read_einvoices(paths: &[String]) -> relance_core::Result<Vec<einvoice::EinvoiceFile>> {
    paths
        .iter()
        .map(|path| {
            let p = std::path::Path::new(path);
            Ok(einvoice::EinvoiceFile {
                name: p
                    .file_name()
                    .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned()),
                // A file over the bound is read no further than needed to refuse it (a
                // refused row of the preview, named, as in the CLI).
                bytes: einvoice::read_bounded(p)
                    .map_err(|e| relance_core::Error::file("file", p, e))?,
            })
        })
        .collect()
}

/// What importing these e-invoice files would do, file by file; nothing is written.
#[tauri::command]
pub async fn einvoice_preview(
    db: State<'_, Db>,
    paths: Vec<String>,
) -> ApiResult<einvoice::EinvoicePreview> {
    with_db(&db, move |conn| {
        let lang = relance_core::settings::ui_language(conn);
        einvoice::preview(conn, &read_einvoices(&paths)?, lang)
    })
    .await
}

/// Imports the e-invoice files as one batch (all or nothing); `create_customers` is the
/// owner's yes to the customers the preview listed.
#[tauri::command]
pub async fn einvoice_import(
    db: State<'_, Db>,
    paths: Vec<String>,
    create_customers: bool,
) -> ApiResult<einvoice::EinvoiceReport> {
    with_db(&db, move |conn| {
        einvoice::import(conn, &read_einvoices(&paths)?, create_customers)
    })
    .await
}

/// Writes the original e-invoice file of an imported invoice, byte for byte, to `path`.
#[tauri::command]
pub async fn save_einvoice_original(
    db: State<'_, Db>,
    number: String,
    path: String,
) -> ApiResult<()> {
    with_db_at(&db, move |conn, at| {
        let db_path = at.path.as_path();
        let (_, bytes) = einvoice::original(conn, &number)?.ok_or_else(|| {
            relance_core::Error::invalid(
                "invoice",
                relance_core::Msg::UnknownInvoice(number.clone()),
            )
        })?;
        relance_core::store::write_output(db_path, std::path::Path::new(&path), &bytes, "file")
    })
    .await
}
