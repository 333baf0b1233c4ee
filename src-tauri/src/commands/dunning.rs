//! Today, promises, disputes, history, scenarios: the dunning screens' commands.

use super::{today, with_db, ApiResult, Db};
use relance_core::dunning::disputes::{self, DisputeInput, DisputeView, ResolutionInput};
use relance_core::dunning::promises::{self, PromiseInput, PromiseView};
use relance_core::dunning::scenarios::{self, Scenario};
use relance_core::dunning::{self, Act, Section, TodaySection};
use relance_core::invoices::ClosureKind;
use relance_core::journal::{self, JournalEntry};
use relance_core::views::segments::Segment;
use relance_core::views::today::SegmentGroup;
use std::collections::HashMap;
use tauri::State;

/// Today's sections, each showing its first page of actions or as many as `shown` asks
/// (after "Show more"), with every action counted and summed.
#[tauri::command]
pub async fn agenda_today(
    db: State<'_, Db>,
    shown: HashMap<Section, u32>,
) -> ApiResult<Vec<TodaySection>> {
    with_db(&db, move |conn| {
        // The day's actions kept when nothing kept serves today (the window open past
        // midnight, a scenario or setting changed): Today then reads them, as after a start.
        // Best effort: Today derives the day when it cannot keep them.
        let _ = dunning::kept::keep_if_needed(conn, today());
        dunning::today_showing(conn, today(), &shown)
    })
    .await
}

/// Today grouped by the customers' payer segment, paged as the sections are.
#[tauri::command]
pub async fn agenda_by_segment(
    db: State<'_, Db>,
    shown: HashMap<Segment, u32>,
) -> ApiResult<Vec<SegmentGroup>> {
    with_db(&db, move |conn| {
        // As for the sections: the groups read the day's actions kept.
        let _ = dunning::kept::keep_if_needed(conn, today());
        let lang = relance_core::settings::ui_language(conn);
        relance_core::views::today::by_segment(conn, today(), lang, &shown)
    })
    .await
}

/// Done, skip or snooze one or several of today's actions (all or none): the journal
/// entries written, for an undo.
#[tauri::command]
pub async fn act_on_actions(db: State<'_, Db>, ids: Vec<String>, act: Act) -> ApiResult<Vec<i64>> {
    with_db(&db, move |conn| dunning::act(conn, today(), &ids, &act)).await
}

/// Undoes today's "done", "skipped" or "snoozed" entries (all or none).
#[tauri::command]
pub async fn undo_actions(db: State<'_, Db>, entries: Vec<i64>) -> ApiResult<usize> {
    with_db(&db, move |conn| dunning::undo(conn, today(), &entries)).await
}

#[tauri::command]
pub async fn add_promise(db: State<'_, Db>, input: PromiseInput) -> ApiResult<PromiseView> {
    with_db(&db, move |conn| promises::add(conn, &input, today())).await
}

#[tauri::command]
pub async fn list_promises(db: State<'_, Db>) -> ApiResult<Vec<PromiseView>> {
    with_db(&db, |conn| promises::list(conn, today())).await
}

#[tauri::command]
pub async fn open_dispute(db: State<'_, Db>, input: DisputeInput) -> ApiResult<DisputeView> {
    with_db(&db, move |conn| disputes::open(conn, &input, today())).await
}

#[tauri::command]
pub async fn resolve_dispute(db: State<'_, Db>, input: ResolutionInput) -> ApiResult<DisputeView> {
    with_db(&db, move |conn| disputes::resolve(conn, &input, today())).await
}

#[tauri::command]
pub async fn list_disputes(db: State<'_, Db>, open_only: bool) -> ApiResult<Vec<DisputeView>> {
    with_db(&db, move |conn| disputes::list(conn, today(), open_only)).await
}

#[tauri::command]
pub async fn customer_history(db: State<'_, Db>, customer_id: i64) -> ApiResult<Vec<JournalEntry>> {
    with_db(&db, move |conn| {
        journal::for_customer(conn, customer_id, 200)
    })
    .await
}

#[tauri::command]
pub async fn invoice_history(db: State<'_, Db>, invoice_id: i64) -> ApiResult<Vec<JournalEntry>> {
    with_db(&db, move |conn| journal::for_invoice(conn, invoice_id, 200)).await
}

#[tauri::command]
pub async fn close_invoice(
    db: State<'_, Db>,
    invoice: String,
    kind: ClosureKind,
    reason: String,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        dunning::close_invoice(conn, &invoice, kind, today(), &reason)
    })
    .await
}

#[tauri::command]
pub async fn list_scenarios(db: State<'_, Db>) -> ApiResult<Vec<Scenario>> {
    with_db(&db, |conn| scenarios::list(conn)).await
}

#[tauri::command]
pub async fn assign_scenario(
    db: State<'_, Db>,
    customer_id: i64,
    scenario_id: i64,
) -> ApiResult<()> {
    with_db(&db, move |conn| {
        scenarios::assign(conn, customer_id, scenario_id)
    })
    .await
}

#[tauri::command]
pub async fn call_sheet(
    db: State<'_, Db>,
    action_id: String,
) -> ApiResult<dunning::calls::CallSheet> {
    with_db(&db, move |conn| {
        dunning::calls::sheet(conn, today(), &action_id)
    })
    .await
}

#[tauri::command]
pub async fn record_call(db: State<'_, Db>, input: dunning::calls::CallInput) -> ApiResult<()> {
    with_db(&db, move |conn| {
        dunning::calls::record(conn, today(), &input)
    })
    .await
}

/// Creates (`id` null) or replaces a scenario; refused with no steps or two steps on one day.
#[tauri::command]
pub async fn save_scenario(
    db: State<'_, Db>,
    id: Option<i64>,
    input: scenarios::ScenarioInput,
) -> ApiResult<Scenario> {
    with_db(&db, move |conn| scenarios::save(conn, id, &input)).await
}
