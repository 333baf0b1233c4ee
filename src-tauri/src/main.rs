//! Relance desktop shell: opens the database, registers the commands, starts the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod changes;
mod commands;

use std::sync::{Arc, Mutex};

fn main() {
    // RELANCE_DB names a file or a shared ledger on a server (postgres://…); unset, the
    // platform data folder's file.
    let mut place = match relance_core::store::Place::chosen(None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("Relance: {}", e.message(relance_core::Lang::En));
            std::process::exit(1);
        }
    };
    // "Today" follows one rule for the app and the CLI; a RELANCE_TODAY that is not a date
    // stops here with a message instead of being replaced by the computer's date.
    if let Err(e) = relance_core::app::today() {
        eprintln!("Relance: {}", e.message(relance_core::Lang::En));
        std::process::exit(1);
    }
    let today = commands::today();
    // Who the history names when Settings gives no name: the system account.
    relance_core::journal::set_system_user(&relance_core::app::system_user());
    // The window shows once the ledger is open; the day's refreshes and the day's snapshot
    // of a file follow on a thread of their own (below).
    let mut opened = relance_core::open_at(&place);
    // A ledger file moved to a server (relance move): the window follows it there, and this
    // computer remembers where it went.
    if let Err(relance_core::Error::Server(relance_core::error::ServerFault::Moved(to))) = &opened {
        place = relance_core::store::Place::Server(to.clone());
        let _ = relance_core::store::remember_server(Some(to));
        opened = relance_core::open_at(&place);
    }
    let (conn, warning) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!(
                "Relance cannot open its database {}: {}",
                place,
                e.message(relance_core::Lang::En)
            );
            std::process::exit(1);
        }
    };
    let ledger = match commands::Ledger::open(&place, conn) {
        Ok(l) => Arc::new(Mutex::new(l)),
        Err(e) => {
            eprintln!("Relance: {}", e.message(relance_core::Lang::En));
            std::process::exit(1);
        }
    };
    // The day's refreshes hold the ledger from before the window shows, so its first reads
    // wait for them (the window says it is loading); then the day's snapshot of a file, on a
    // connection of its own while the window works (`Ledger::keep_day`, which runs them
    // again whenever another ledger opens or the day turns). At a million invoices the window waited
    // 4.8 s for the refreshes and 18-33 s more for the snapshot of the first start of a day
    // before it showed at all.
    // Where the ledger is, read before the start's thread holds it.
    let db = commands::Db::new(ledger.clone());
    let (held, hold) = std::sync::mpsc::channel();
    let starting = ledger.clone();
    std::thread::spawn(move || {
        let mut g = starting.lock().unwrap_or_else(|p| p.into_inner());
        let _ = held.send(());
        if let Some(w) = warning {
            commands::said("filing a stopped write failed", &w);
        }
        g.keep_day(today);
    });
    let _ = hold.recv();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(db)
        .setup(move |app| {
            // Someone else's commits (another window, another person) refresh this one.
            changes::watch(app.handle().clone(), ledger);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::dashboard,
            commands::app::load_demo,
            commands::app::leave_demo,
            commands::settings::check_setting,
            commands::settings::check_server,
            commands::settings::use_server,
            commands::settings::use_file,
            commands::settings::setup_company,
            commands::app::import_csv,
            commands::app::export_csv,
            commands::app::list_backups,
            commands::app::backup_now,
            commands::app::restore_backup,
            commands::app::restore_preview,
            commands::documents::preview_letter,
            commands::documents::preview_action_letter,
            commands::documents::preview_action_email,
            commands::documents::save_letter,
            commands::documents::open_letter,
            commands::documents::prepare_letters,
            commands::documents::open_email,
            commands::contracts::list_contracts,
            commands::contracts::get_contract,
            commands::contracts::plan_contract,
            commands::contracts::contract_template,
            commands::contracts::create_contract,
            commands::contracts::reach_milestone,
            commands::contracts::cancel_contract,
            commands::contracts::contract_alerts,
            commands::contracts::save_invoice_pdf,
            commands::invoices::einvoice_preview,
            commands::invoices::einvoice_import,
            commands::invoices::save_einvoice_original,
            commands::drafts::preview_draft,
            commands::drafts::save_draft,
            commands::drafts::get_draft,
            commands::drafts::list_drafts,
            commands::drafts::delete_draft,
            commands::drafts::issue_draft,
            commands::drafts::duplicate_invoice,
            commands::drafts::save_invoice_xml,
            commands::drafts::issue_credit_note,
            commands::drafts::save_credit_note,
            commands::reports::customer_profile,
            commands::bank::bank_import,
            commands::bank::bank_import_demo,
            commands::bank::bank_groups,
            commands::bank::bank_apply_sure,
            commands::bank::bank_match,
            commands::bank::bank_ignore,
            commands::bank::bank_undo,
            commands::bank::bank_summary,
            commands::bank::bank_csv_preview,
            commands::bank::bank_set_mapping,
            commands::reports::customers_in_segment,
            commands::reports::set_key_account,
            commands::reports::sanction_proposals,
            commands::reports::apply_sanction,
            commands::reports::undo_sanction,
            commands::reports::set_proposal_aside,
            commands::reports::export_aged_pdf,
            commands::reports::overview,
            commands::reports::customer_segment,
            commands::reports::set_customer_segment,
            commands::reports::aged_balance,
            commands::reports::aged_cell,
            commands::reports::export_aged_csv,
            commands::contracts::plan_amendment,
            commands::contracts::amend_contract,
            commands::contracts::save_contract_schedule,
            commands::documents::preview_email,
            commands::documents::mailto_link,
            commands::documents::open_mailto,
            commands::documents::prepare_emails,
            commands::documents::open_document,
            commands::documents::invoice_penalties,
            commands::documents::issue_penalty_invoice,
            commands::documents::penalty_overcharges,
            commands::documents::correct_penalty_overcharge,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::set_logo,
            commands::settings::remove_logo,
            commands::settings::list_rates,
            commands::settings::add_rate,
            commands::settings::remove_rate,
            commands::settings::list_templates,
            commands::settings::set_template,
            commands::customers::list_customers,
            commands::customers::get_customer,
            commands::customers::create_customer,
            commands::customers::update_customer,
            commands::customers::delete_customer,
            commands::customers::archive_customer,
            commands::invoices::delete_invoice,
            commands::invoices::complete_vat,
            commands::invoices::proposed_due_date,
            commands::invoices::check_invoice_number,
            commands::invoices::list_invoices,
            commands::invoices::get_invoice,
            commands::invoices::create_invoice,
            commands::invoices::update_invoice,
            commands::invoices::record_payment,
            commands::invoices::apply_credit,
            commands::invoices::add_credit_note,
            commands::dunning::agenda_today,
            commands::dunning::agenda_by_segment,
            commands::dunning::act_on_actions,
            commands::dunning::undo_actions,
            commands::dunning::add_promise,
            commands::dunning::list_promises,
            commands::dunning::open_dispute,
            commands::dunning::resolve_dispute,
            commands::dunning::list_disputes,
            commands::dunning::customer_history,
            commands::dunning::invoice_history,
            commands::dunning::close_invoice,
            commands::dunning::list_scenarios,
            commands::dunning::assign_scenario,
            commands::dunning::call_sheet,
            commands::dunning::record_call,
            commands::dunning::save_scenario,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Relance");
}
