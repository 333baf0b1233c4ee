//! The TypeScript the UI imports (ui/src/lib/bindings) is generated from the Rust types.
//! This test fails when a committed binding is stale; regenerate with
//! `UPDATE_BINDINGS=1 cargo test -p relance-core --test bindings`.

use relance_core::backup::{Contents, RestoreReport, Snapshot};
use relance_core::contracts::{
    ContractInput, ContractPage, ContractQuery, ContractView, MilestoneInput, MilestoneState,
    MilestoneView, Plan, PlannedMilestone, WorkAheadAlert,
};
use relance_core::customers::*;
use relance_core::demo::DemoReport;
use relance_core::documents::archive::{DocumentInfo, Produced};
use relance_core::documents::email::{EmailBatch, EmailPreview, PreparedEmail, SkippedEmail};
use relance_core::documents::letters::{Letter, LetterKind, LetterLine};
use relance_core::documents::templates::Template;
use relance_core::import::{ImportKind, ImportReport};
use relance_core::interest::{Debtor, Jurisdiction, Overcharge, PenaltiesView, PeriodView};
use relance_core::invoices::credit_notes::*;
use relance_core::invoices::payments::*;
use relance_core::invoices::*;
use relance_core::rates::{RateChange, Series};
use relance_core::settings::{CompanyInput, Settings, SettingsInput};
use relance_core::views::aged::{AgedBalance, AgedRow};
use relance_core::views::overview::{DsoPoint, ForecastWeek, Overview, TopOverdue};
use relance_core::views::profile::{PayDay, Profile, Sources};
use relance_core::views::segments::{
    CustomerSegment, SanctionPage, SanctionProposal, Segment, SegmentPage, Segmented, Thresholds,
};
use relance_core::views::{CustomerDetail, InvoiceDetail, Settlement};
use relance_core::{Amount, ApiError, Lang};
use std::path::PathBuf;
use ts_rs::{Config, TS};

fn bindings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
}

fn check<T: TS + 'static + ?Sized>(stale: &mut Vec<String>) {
    let cfg = Config::new();
    let name = T::ident(&cfg);
    let want = T::export_to_string(&cfg).expect("export");
    let path = bindings_dir().join(format!("{name}.ts"));
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(bindings_dir()).unwrap();
            std::fs::write(&path, want).unwrap();
        } else {
            stale.push(name);
        }
    }
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let mut stale = Vec::new();
    check::<ApiError>(&mut stale);
    check::<Snapshot>(&mut stale);
    check::<Letter>(&mut stale);
    check::<Template>(&mut stale);
    check::<DocumentInfo>(&mut stale);
    check::<EmailBatch>(&mut stale);
    check::<AgedBalance>(&mut stale);
    check::<AgedRow>(&mut stale);
    check::<Profile>(&mut stale);
    check::<Overview>(&mut stale);
    check::<ForecastWeek>(&mut stale);
    check::<TopOverdue>(&mut stale);
    check::<DsoPoint>(&mut stale);
    check::<Segment>(&mut stale);
    check::<SanctionProposal>(&mut stale);
    check::<relance_core::dunning::scenarios::ScenarioSource>(&mut stale);
    check::<Sanction>(&mut stale);
    check::<Segmented>(&mut stale);
    check::<CustomerSegment>(&mut stale);
    check::<SegmentPage>(&mut stale);
    check::<SanctionPage>(&mut stale);
    check::<Thresholds>(&mut stale);
    check::<PayDay>(&mut stale);
    check::<Sources>(&mut stale);
    check::<ContractInput>(&mut stale);
    check::<MilestoneInput>(&mut stale);
    check::<Plan>(&mut stale);
    check::<PlannedMilestone>(&mut stale);
    check::<ContractView>(&mut stale);
    check::<ContractPage>(&mut stale);
    check::<ContractQuery>(&mut stale);
    check::<MilestoneView>(&mut stale);
    check::<MilestoneState>(&mut stale);
    check::<WorkAheadAlert>(&mut stale);
    check::<EmailPreview>(&mut stale);
    check::<PreparedEmail>(&mut stale);
    check::<SkippedEmail>(&mut stale);
    check::<Produced>(&mut stale);
    check::<LetterKind>(&mut stale);
    check::<LetterLine>(&mut stale);
    check::<PenaltiesView>(&mut stale);
    check::<Overcharge>(&mut stale);
    check::<relance_core::backup::RestorePreview>(&mut stale);
    check::<PeriodView>(&mut stale);
    check::<Jurisdiction>(&mut stale);
    check::<Debtor>(&mut stale);
    check::<RateChange>(&mut stale);
    check::<Series>(&mut stale);
    check::<Contents>(&mut stale);
    check::<RestoreReport>(&mut stale);
    check::<relance_core::backup::CarriedLetter>(&mut stale);
    check::<relance_core::error::ApiRowError>(&mut stale);
    check::<Lang>(&mut stale);
    check::<Settings>(&mut stale);
    check::<SettingsInput>(&mut stale);
    check::<CompanyInput>(&mut stale);
    check::<relance_core::invoices::VatFigures>(&mut stale);
    check::<relance_core::invoices::VatPart>(&mut stale);
    check::<Customer>(&mut stale);
    check::<CustomerInput>(&mut stale);
    check::<CustomerKind>(&mut stale);
    check::<PaymentMethod>(&mut stale);
    check::<CustomerQuery>(&mut stale);
    check::<CustomerSort>(&mut stale);
    check::<CustomerSummary>(&mut stale);
    check::<CurrencyBalance>(&mut stale);
    check::<CustomerPage>(&mut stale);
    check::<CustomerDetail>(&mut stale);
    check::<Amount>(&mut stale);
    check::<InvoiceView>(&mut stale);
    check::<InvoiceInput>(&mut stale);
    check::<InvoiceStatus>(&mut stale);
    check::<InvoiceFilter>(&mut stale);
    check::<InvoiceSort>(&mut stale);
    check::<InvoiceQuery>(&mut stale);
    check::<InvoicePage>(&mut stale);
    check::<InvoiceDetail>(&mut stale);
    check::<Settlement>(&mut stale);
    check::<PaymentInput>(&mut stale);
    check::<AllocationInput>(&mut stale);
    check::<PaymentView>(&mut stale);
    check::<AllocationView>(&mut stale);
    check::<CreditNoteInput>(&mut stale);
    check::<CreditNoteView>(&mut stale);
    check::<ImportKind>(&mut stale);
    check::<ImportReport>(&mut stale);
    check::<DemoReport>(&mut stale);
    check::<relance_core::views::Dashboard>(&mut stale);
    check::<relance_core::app::AppInfo>(&mut stale);
    check::<relance_core::app::ServerCheck>(&mut stale);
    {
        use relance_core::dunning::disputes::*;
        use relance_core::dunning::promises::*;
        use relance_core::dunning::scenarios::*;
        use relance_core::dunning::*;
        use relance_core::journal::*;
        check::<Action>(&mut stale);
        check::<ActionKind>(&mut stale);
        check::<ActionTarget>(&mut stale);
        check::<Act>(&mut stale);
        check::<ClosureKind>(&mut stale);
        check::<Scenario>(&mut stale);
        check::<ScenarioInput>(&mut stale);
        check::<Step>(&mut stale);
        check::<StepInput>(&mut stale);
        check::<Channel>(&mut stale);
        check::<StepKind>(&mut stale);
        check::<Tone>(&mut stale);
        check::<PromiseInput>(&mut stale);
        check::<PromiseView>(&mut stale);
        check::<PromiseStatus>(&mut stale);
        check::<DisputeInput>(&mut stale);
        check::<DisputeView>(&mut stale);
        check::<DisputeCategory>(&mut stale);
        check::<Resolution>(&mut stale);
        check::<ResolutionInput>(&mut stale);
        check::<JournalEntry>(&mut stale);
        check::<JournalKind>(&mut stale);
        check::<Section>(&mut stale);
        check::<TodaySection>(&mut stale);
        check::<relance_core::views::today::SegmentGroup>(&mut stale);
        check::<calls::CallSheet>(&mut stale);
        check::<calls::CallInput>(&mut stale);
        check::<calls::CallOutcome>(&mut stale);
        {
            use relance_core::bank::{csv, matching, store};
            check::<store::LineAllocation>(&mut stale);
            check::<store::LineView>(&mut stale);
            check::<store::Group>(&mut stale);
            check::<store::PageAsk>(&mut stale);
            check::<store::GroupPage>(&mut stale);
            check::<store::Mismatch>(&mut stale);
            check::<store::ImportReport>(&mut stale);
            check::<store::Held>(&mut stale);
            check::<store::BankSummary>(&mut stale);
            check::<store::Gap>(&mut stale);
            check::<store::ImportInfo>(&mut stale);
            check::<csv::Mapping>(&mut stale);
            check::<csv::Preview>(&mut stale);
            check::<matching::Confidence>(&mut stale);
        }
        {
            use relance_core::invoices::drafts;
            check::<drafts::DraftLineInput>(&mut stale);
            check::<drafts::DraftInput>(&mut stale);
            check::<credit_documents::CreditNoteIssueInput>(&mut stale);
            check::<credit_documents::CreditDocumentView>(&mut stale);
            check::<drafts::DraftLineView>(&mut stale);
            check::<drafts::VatGroupView>(&mut stale);
            check::<drafts::AllowanceView>(&mut stale);
            check::<drafts::DraftTotals>(&mut stale);
            check::<drafts::DraftView>(&mut stale);
            check::<relance_core::error::VatCase>(&mut stale);
        }
        {
            use relance_core::import::einvoice;
            check::<einvoice::EinvoiceStatus>(&mut stale);
            check::<einvoice::EinvoiceFilePreview>(&mut stale);
            check::<einvoice::EinvoicePreview>(&mut stale);
            check::<einvoice::EinvoiceReport>(&mut stale);
            check::<relance_core::invoices::issue::LineView>(&mut stale);
            check::<relance_core::invoices::issue::DeliveryAddress>(&mut stale);
            check::<relance_core::views::invoice_page::OriginalView>(&mut stale);
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings in ui/src/lib/bindings: {stale:?}; run UPDATE_BINDINGS=1 cargo test -p relance-core --test bindings"
    );
}
