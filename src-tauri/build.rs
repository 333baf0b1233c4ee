//! Registers the app's own commands so capabilities/default.json grants them one by one.

const COMMANDS: &[&str] = &[
    "app_info",
    "dashboard",
    "load_demo",
    "import_csv",
    "export_csv",
    "list_backups",
    "backup_now",
    "restore_backup",
    "preview_letter",
    "save_letter",
    "open_letter",
    "prepare_letters",
    "open_document",
    "get_settings",
    "save_settings",
    "set_logo",
    "remove_logo",
    "list_rates",
    "add_rate",
    "remove_rate",
    "list_customers",
    "get_customer",
    "create_customer",
    "update_customer",
    "list_invoices",
    "get_invoice",
    "create_invoice",
    "update_invoice",
    "record_payment",
    "apply_credit",
    "add_credit_note",
    "agenda_today",
    "act_on_actions",
    "add_promise",
    "list_promises",
    "open_dispute",
    "resolve_dispute",
    "list_disputes",
    "customer_history",
    "invoice_history",
    "close_invoice",
    "list_scenarios",
    "assign_scenario",
    "call_sheet",
    "record_call",
    "save_scenario",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
