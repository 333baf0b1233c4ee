// The only place that calls invoke(). Every type comes from the generated bindings.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { EinvoicePreview } from './bindings/EinvoicePreview';
import type { BankGroup } from './bindings/BankGroup';
import type { BankPageAsk } from './bindings/BankPageAsk';
import type { ServerCheck } from './bindings/ServerCheck';
import type { EinvoiceReport } from './bindings/EinvoiceReport';
import type { ApiError } from './bindings/ApiError';
import type { DraftInput } from './bindings/DraftInput';
import type { CreditNoteIssueInput } from './bindings/CreditNoteIssueInput';
import type { CreditDocumentView } from './bindings/CreditDocumentView';
import type { DraftTotals } from './bindings/DraftTotals';
import type { DraftView } from './bindings/DraftView';
import type { CompanyInput } from './bindings/CompanyInput';
import type { VatFigures } from './bindings/VatFigures';
import type { VatPart } from './bindings/VatPart';
import type { CreditNoteInput } from './bindings/CreditNoteInput';
import type { CreditNoteView } from './bindings/CreditNoteView';
import type { Customer } from './bindings/Customer';
import type { CustomerDetail } from './bindings/CustomerDetail';
import type { CustomerInput } from './bindings/CustomerInput';
import type { CustomerPage } from './bindings/CustomerPage';
import type { CustomerQuery } from './bindings/CustomerQuery';
import type { DemoReport } from './bindings/DemoReport';
import type { RestorePreview } from './bindings/RestorePreview';
import type { Overcharge } from './bindings/Overcharge';
import type { ImportKind } from './bindings/ImportKind';
import type { ImportReport } from './bindings/ImportReport';
import type { InvoiceDetail } from './bindings/InvoiceDetail';
import type { InvoiceInput } from './bindings/InvoiceInput';
import type { InvoicePage } from './bindings/InvoicePage';
import type { InvoiceQuery } from './bindings/InvoiceQuery';
import type { InvoiceView } from './bindings/InvoiceView';
import type { PaymentInput } from './bindings/PaymentInput';
import type { PaymentView } from './bindings/PaymentView';
import type { Settings } from './bindings/Settings';
import type { SettingsInput } from './bindings/SettingsInput';
import type { AppInfo } from './bindings/AppInfo';
import type { Dashboard } from './bindings/Dashboard';
import type { Act } from './bindings/Act';
import type { BankReport } from './bindings/BankReport';
import type { BankLine } from './bindings/BankLine';
import type { BankSummary } from './bindings/BankSummary';
import type { CsvMapping } from './bindings/CsvMapping';
import type { CsvPreview } from './bindings/CsvPreview';
import type { CallInput } from './bindings/CallInput';
import type { CallSheet } from './bindings/CallSheet';
import type { ClosureKind } from './bindings/ClosureKind';
import type { DisputeInput } from './bindings/DisputeInput';
import type { DisputeView } from './bindings/DisputeView';
import type { JournalEntry } from './bindings/JournalEntry';
import type { PromiseInput } from './bindings/PromiseInput';
import type { PromiseView } from './bindings/PromiseView';
import type { ResolutionInput } from './bindings/ResolutionInput';
import type { Scenario } from './bindings/Scenario';
import type { ScenarioInput } from './bindings/ScenarioInput';
import type { TodaySection } from './bindings/TodaySection';
import type { Section } from './bindings/Section';
import type { Segment } from './bindings/Segment';
import type { SegmentGroup } from './bindings/SegmentGroup';
import type { RestoreReport } from './bindings/RestoreReport';
import type { Snapshot } from './bindings/Snapshot';
import type { RateChange } from './bindings/RateChange';
import type { Template } from './bindings/Template';
import type { PenaltiesView } from './bindings/PenaltiesView';
import type { ContractInput } from './bindings/ContractInput';
import type { ContractPage } from './bindings/ContractPage';
import type { ContractQuery } from './bindings/ContractQuery';
import type { ContractView } from './bindings/ContractView';
import type { MilestoneInput } from './bindings/MilestoneInput';
import type { Plan } from './bindings/Plan';
import type { WorkAheadAlert } from './bindings/WorkAheadAlert';
import type { EmailBatch } from './bindings/EmailBatch';
import type { AgedBalance } from './bindings/AgedBalance';
import type { Profile } from './bindings/Profile';
import type { Overview } from './bindings/Overview';
import type { SegmentPage } from './bindings/SegmentPage';
import type { SanctionPage } from './bindings/SanctionPage';
import type { Sanction } from './bindings/Sanction';
import type { Segmented } from './bindings/Segmented';
import type { EmailPreview } from './bindings/EmailPreview';
import type { Letter } from './bindings/Letter';
import type { LetterKind } from './bindings/LetterKind';
import type { DocumentInfo } from './bindings/DocumentInfo';

/** Normalises anything thrown by invoke() into an ApiError. */
/** Someone else changed the ledger (another window, another person on the server), and
 *  whether the server answers: the shell's watcher tells (see src-tauri/src/changes.rs). */
export function onLedgerEvents(changed: () => void, reachable: (now: boolean) => void): void {
  void listen('ledger-changed', () => changed());
  void listen<boolean>('ledger-reachable', (e) => reachable(e.payload));
}

export function asApiError(e: unknown): ApiError {
  if (e && typeof e === 'object' && 'message' in e && 'kind' in e) return e as ApiError;
  return { kind: 'internal', message: String(e), field: null, rows: [] };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asApiError(e);
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  dashboard: () => call<Dashboard>('dashboard'),
  loadDemo: () => call<DemoReport>('load_demo'),
  leaveDemo: () => call<null>('leave_demo'),
  checkSetting: (key: string, value: string) => call<string>('check_setting', { key, value }),
  checkServer: (address: string) => call<ServerCheck>('check_server', { address }),
  useServer: (address: string) => call<void>('use_server', { address }),
  useFile: () => call<void>('use_file'),
  setupCompany: (input: CompanyInput) => call<Settings>('setup_company', { input }),
  importCsv: (kind: ImportKind, path: string, dryRun: boolean) =>
    call<ImportReport>('import_csv', { kind, path, dryRun }),
  exportCsv: (kind: ImportKind, path: string) => call<string>('export_csv', { kind, path }),
  listBackups: () => call<Snapshot[]>('list_backups'),
  backupNow: (path: string | null) => call<Snapshot>('backup_now', { path }),
  restoreBackup: (path: string) => call<RestoreReport>('restore_backup', { path }),
  restorePreview: (path: string) => call<RestorePreview>('restore_preview', { path }),
  previewLetter: (invoice: string, kind: LetterKind) => call<Letter>('preview_letter', { invoice, kind }),
  previewActionLetter: (action: string) => call<Letter>('preview_action_letter', { action }),
  previewActionEmail: (action: string) => call<EmailPreview>('preview_action_email', { action }),
  saveLetter: (invoice: string, kind: LetterKind, path: string) => call<DocumentInfo>('save_letter', { invoice, kind, path }),
  openLetter: (invoice: string, kind: LetterKind) => call<DocumentInfo>('open_letter', { invoice, kind }),
  prepareLetters: (ids: string[], dir: string) => call<DocumentInfo[]>('prepare_letters', { ids, dir }),
  listContracts: (query: ContractQuery) => call<ContractPage>('list_contracts', { query }),
  getContract: (reference: string) => call<ContractView>('get_contract', { reference }),
  planContract: (input: ContractInput) => call<Plan>('plan_contract', { input }),
  contractTemplate: (name: string, signedOn: string) => call<MilestoneInput[]>('contract_template', { name, signedOn }),
  createContract: (input: ContractInput) => call<ContractView>('create_contract', { input }),
  reachMilestone: (reference: string, position: number, confirm: boolean) => call<ContractView>('reach_milestone', { reference, position, confirm }),
  cancelContract: (reference: string, reason: string) => call<ContractView>('cancel_contract', { reference, reason }),
  contractAlerts: () => call<WorkAheadAlert[]>('contract_alerts'),
  planAmendment: (reference: string, input: ContractInput) => call<Plan>('plan_amendment', { reference, input }),
  amendContract: (reference: string, input: ContractInput) => call<ContractView>('amend_contract', { reference, input }),
  saveContractSchedule: (reference: string, path: string) => call<null>('save_contract_schedule', { reference, path }),
  customerProfile: (reference: string) => call<Profile>('customer_profile', { reference }),
  customerSegment: (reference: string) => call<Segmented>('customer_segment', { reference }),
  setCustomerSegment: (reference: string, segment: string | null, reason: string) => call<Segmented>('set_customer_segment', { reference, segment, reason }),
  setKeyAccount: (reference: string, on: boolean) => call<null>('set_key_account', { reference, on }),
  customersInSegment: (segment: Segment, offset: number, limit: number) =>
    call<SegmentPage>('customers_in_segment', { segment, offset, limit }),
  sanctionProposals: (shown: number) => call<SanctionPage>('sanction_proposals', { shown }),
  applySanction: (reference: string, sanction: Sanction) => call<number>('apply_sanction', { reference, sanction }),
  undoSanction: (entry: number) => call<null>('undo_sanction', { entry }),
  setProposalAside: (reference: string, ruleCode: string, ignore: boolean, reason: string) => call<null>('set_proposal_aside', { reference, ruleCode, ignore, reason }),
  overview: () => call<Overview>('overview'),
  agedBalance: (currency: string, bySegment = false, offset = 0, limit = 50) => call<AgedBalance>('aged_balance', { currency, bySegment, offset, limit }),
  agedCell: (currency: string, customerId: number | null, bucket: string | null) => call<InvoiceView[]>('aged_cell', { currency, customerId, bucket }),
  exportAgedPdf: (currency: string, bySegment: boolean, path: string) => call<null>('export_aged_pdf', { currency, bySegment, path }),
  exportAgedCsv: (currency: string, path: string) => call<null>('export_aged_csv', { currency, path }),
  saveInvoicePdf: (number: string, path: string) => call<null>('save_invoice_pdf', { number, path }),
  einvoicePreview: (paths: string[]) => call<EinvoicePreview>('einvoice_preview', { paths }),
  einvoiceImport: (paths: string[], createCustomers: boolean) => call<EinvoiceReport>('einvoice_import', { paths, createCustomers }),
  saveEinvoiceOriginal: (number: string, path: string) => call<null>('save_einvoice_original', { number, path }),
  saveInvoiceXml: (number: string, path: string) => call<null>('save_invoice_xml', { number, path }),
  issueCreditNote: (input: CreditNoteIssueInput) => call<CreditDocumentView>('issue_credit_note', { input }),
  saveCreditNote: (number: string, xml: boolean, path: string) => call<null>('save_credit_note', { number, xml, path }),
  previewDraft: (input: DraftInput) => call<DraftTotals>('preview_draft', { input }),
  saveDraft: (id: number | null, input: DraftInput) => call<DraftView>('save_draft', { id, input }),
  getDraft: (id: number) => call<{ draft: DraftView; input: DraftInput }>('get_draft', { id }),
  listDrafts: () => call<DraftView[]>('list_drafts'),
  deleteDraft: (id: number) => call<null>('delete_draft', { id }),
  issueDraft: (id: number) => call<{ id: number; number: string }>('issue_draft', { id }),
  duplicateInvoice: (number: string) => call<DraftView>('duplicate_invoice', { number }),
  previewEmail: (invoice: string, kind: LetterKind) => call<EmailPreview>('preview_email', { invoice, kind }),
  openEmail: (invoice: string, kind: LetterKind) => call<DocumentInfo>('open_email', { invoice, kind }),
  mailtoLink: (invoice: string, kind: LetterKind) => call<string>('mailto_link', { invoice, kind }),
  openMailto: (invoice: string, kind: LetterKind) => call<void>('open_mailto', { invoice, kind }),
  /** The e-mail actions `ids`, or every e-mail action of a Today section (shown or not). */
  prepareEmails: (ids: string[], dir: string, section: Section | null = null) => call<EmailBatch>('prepare_emails', { ids, section, dir }),
  openDocument: (id: number) => call<DocumentInfo>('open_document', { id }),
  invoicePenalties: (invoice: string) => call<PenaltiesView>('invoice_penalties', { invoice }),
  issuePenaltyInvoice: (invoice: string) => call<InvoiceView>('issue_penalty_invoice', { invoice }),
  penaltyOvercharges: () => call<Overcharge[]>('penalty_overcharges'),
  correctPenaltyOvercharge: (invoice: string) => call<CreditNoteView[]>('correct_penalty_overcharge', { invoice }),

  getSettings: () => call<Settings>('get_settings'),
  listRates: () => call<RateChange[]>('list_rates'),
  listTemplates: () => call<Template[]>('list_templates'),
  setTemplate: (kind: string, language: string, part: string, body: string) => call<null>('set_template', { kind, language, part, body }),
  addRate: (series: string, effective: string, rate: string) => call<RateChange>('add_rate', { series, effective, rate }),
  removeRate: (series: string, effective: string) => call<null>('remove_rate', { series, effective }),
  saveSettings: (input: SettingsInput) => call<Settings>('save_settings', { input }),
  setLogo: (path: string) => call<Settings>('set_logo', { path }),
  removeLogo: () => call<Settings>('remove_logo'),

  listCustomers: (query: CustomerQuery) => call<CustomerPage>('list_customers', { query }),
  deleteCustomer: (reference: string) => call<null>('delete_customer', { reference }),
  archiveCustomer: (reference: string, archived: boolean) => call<null>('archive_customer', { reference, archived }),
  deleteInvoice: (number: string) => call<null>('delete_invoice', { number }),
  completeVat: (currency: string, net: string, rate: string, total: string, missing: VatPart) => call<VatFigures>('complete_vat', { currency, net, rate, total, missing }),
  proposedDueDate: (customer: string, issueDate: string) => call<[string, number]>('proposed_due_date', { customer, issueDate }),
  checkInvoiceNumber: (number: string, except: number | null) => call<null>('check_invoice_number', { number, except }),
  getCustomer: (id: number) => call<CustomerDetail>('get_customer', { id }),
  createCustomer: (input: CustomerInput) => call<Customer>('create_customer', { input }),
  updateCustomer: (id: number, input: CustomerInput) => call<Customer>('update_customer', { id, input }),

  listInvoices: (query: InvoiceQuery) => call<InvoicePage>('list_invoices', { query }),
  getInvoice: (id: number) => call<InvoiceDetail>('get_invoice', { id }),
  createInvoice: (input: InvoiceInput) => call<InvoiceView>('create_invoice', { input }),
  updateInvoice: (id: number, input: InvoiceInput) => call<InvoiceView>('update_invoice', { id, input }),
  recordPayment: (input: PaymentInput) => call<PaymentView>('record_payment', { input }),
  applyCredit: (invoice: string, amount: string) => call<InvoiceView>('apply_credit', { invoice, amount }),
  addCreditNote: (input: CreditNoteInput) => call<CreditNoteView>('add_credit_note', { input }),

  agendaToday: (shown: Partial<Record<Section, number>>) => call<TodaySection[]>('agenda_today', { shown }),
  agendaBySegment: (shown: Partial<Record<Segment, number>>) => call<SegmentGroup[]>('agenda_by_segment', { shown }),
  actOnActions: (ids: string[], act: Act) => call<number[]>('act_on_actions', { ids, act }),
  undoActions: (entries: number[]) => call<number>('undo_actions', { entries }),
  addPromise: (input: PromiseInput) => call<PromiseView>('add_promise', { input }),
  listPromises: () => call<PromiseView[]>('list_promises'),
  openDispute: (input: DisputeInput) => call<DisputeView>('open_dispute', { input }),
  resolveDispute: (input: ResolutionInput) => call<DisputeView>('resolve_dispute', { input }),
  listDisputes: (openOnly: boolean) => call<DisputeView[]>('list_disputes', { openOnly }),
  bankImport: (paths: string[], dryRun: boolean, applySure: boolean, confirmed: boolean) => call<BankReport>('bank_import', { paths, dryRun, applySure, confirmed }),
  bankImportDemo: (applySure: boolean) => call<BankReport>('bank_import_demo', { applySure }),
  bankGroups: (pages: BankPageAsk[], limit: number, show: number | null) => call<BankGroup[]>('bank_groups', { pages, limit, show }),
  bankApplySure: () => call<number>('bank_apply_sure'),
  bankMatch: (line: number, invoices: string[]) => call<BankLine>('bank_match', { line, invoices }),
  bankIgnore: (line: number, reason: string) => call<null>('bank_ignore', { line, reason }),
  bankUndo: (importId: number) => call<number>('bank_undo', { import: importId }),
  bankSummary: () => call<BankSummary>('bank_summary'),
  bankCsvPreview: (path: string) => call<CsvPreview | null>('bank_csv_preview', { path }),
  bankSetMapping: (path: string, mapping: CsvMapping) => call<CsvMapping>('bank_set_mapping', { path, mapping }),
  customerHistory: (customerId: number) => call<JournalEntry[]>('customer_history', { customerId }),
  invoiceHistory: (invoiceId: number) => call<JournalEntry[]>('invoice_history', { invoiceId }),
  closeInvoice: (invoice: string, kind: ClosureKind, reason: string) => call<null>('close_invoice', { invoice, kind, reason }),
  listScenarios: () => call<Scenario[]>('list_scenarios'),
  assignScenario: (customerId: number, scenarioId: number) => call<null>('assign_scenario', { customerId, scenarioId }),
  callSheet: (actionId: string) => call<CallSheet>('call_sheet', { actionId }),
  recordCall: (input: CallInput) => call<null>('record_call', { input }),
  saveScenario: (id: number | null, input: ScenarioInput) => call<Scenario>('save_scenario', { id, input }),
};
