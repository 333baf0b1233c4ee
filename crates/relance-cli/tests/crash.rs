//! Crash harness: the real `relance` binary on a copy of the demo, killed with SIGKILL at a
//! random moment of a write (CSV import, payment, bulk Done, backup, restore, letter, penalty
//! invoice, the day's e-mail drafts, a milestone invoice, the credit note correcting an
//! overcharged penalty invoice, the undo of a call marked done, an invoice deleted, a bank
//! statement imported with its sure matches, the sure matches waiting applied, a batch of
//! e-invoices imported with the customer they name, a return
//! that gives a bank payment back, a line matched with a settlement difference), over and
//! over. After every kill the database must pass `integrity_check` and the ledger's
//! invariants, and a write the binary reported as done (exit 0 before the kill) must be
//! there whole; a write it did not finish must be absent whole.
//!
//! The same writes run again on a shared ledger (`RELANCE_PG_TESTS`): each victim a database
//! made from a template database on the test server, the CLI killed while its session holds
//! the server's transaction, and the ledger checked through its compared copy as a file
//! (`backup --out`), so one set of invariants serves both engines.
//!
//! `./dev test` runs 120 kills on a file and 40 on the server; `./dev bench` runs 1,000 on a
//! file (RELANCE_CRASH_KILLS, RELANCE_CRASH_SERVER_KILLS). The seed is printed and can be
//! replayed with RELANCE_CRASH_SEED.

#![cfg(unix)]

use relance_core::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TODAY: &str = "2026-11-22";
/// Enough rows for an import's bulk path (`import::BULK_ROWS`): its indexes built and its
/// insert triggers' caches updated once at the end, all in its transaction.
const IMPORT_ROWS: usize = 10_000;

/// A small deterministic generator (xorshift64*): no dependency, replayable from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn relance(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_relance"));
    c.arg("--db")
        .arg(db)
        .arg("--lang")
        .arg("en")
        .args(args)
        .env_remove("RELANCE_DB")
        .env("RELANCE_TODAY", TODAY)
        // A server ledger's local things (a restore's undo snapshot) go in the data folder:
        // the harness's own, never the account's.
        .env(
            "XDG_DATA_HOME",
            std::env::temp_dir().join("relance-crash-data"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn run_ok(db: &Path, args: &[&str]) -> String {
    let o = relance(db, args).stdout(Stdio::piped()).output().unwrap();
    assert!(o.status.success(), "{args:?}");
    String::from_utf8(o.stdout).unwrap()
}

/// What the ledger holds, as far as the invariants need.
#[derive(Debug, Clone, PartialEq)]
struct State {
    invoices: i64,
    imported: i64,
    payments: i64,
    journal: i64,
    customers: i64,
    documents: i64,
    penalty_charges: i64,
    credit_notes: i64,
    bank_lines: i64,
    drafts: i64,
    /// Issued invoices' archived PDF and XML.
    archives: i64,
    /// Issued credit notes, and their archived PDF and XML.
    credit_documents: i64,
    credit_archives: i64,
    /// Originals of imported e-invoices.
    originals: i64,
    /// The invoice renamed under the kill, under its new number.
    renamed: i64,
    /// Hash of the journal rows present in the template (they must never change).
    old_journal: u64,
}

fn query_i64(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn journal_hash(conn: &Connection, up_to: i64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut st = conn
        .prepare(
            "SELECT id, kind, customer_id, on_date, note FROM journal WHERE id <= ?1 ORDER BY id",
        )
        .unwrap();
    let rows = st
        .query_map([up_to], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        row.unwrap().hash(&mut h);
    }
    h.finish()
}

/// Opens the database as SQLite would after a crash, and checks everything that must
/// hold whatever the moment of the kill. Returns the violations found.
fn check(db: &Path, template_journal_max: i64) -> (State, Vec<String>) {
    let conn = Connection::open_sqlite_file(db, false).unwrap();
    let mut bad = Vec::new();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if integrity != "ok" {
        bad.push(format!("integrity_check: {integrity}"));
    }
    let fk = query_i64(&conn, "SELECT COUNT(*) FROM pragma_foreign_key_check");
    if fk != 0 {
        bad.push(format!("{fk} foreign key violation(s)"));
    }
    let drift = query_i64(
        &conn,
        "SELECT COUNT(*) FROM invoices i WHERE settled_minor <>
           COALESCE((SELECT SUM(amount_minor) FROM allocations a WHERE a.invoice_id = i.id), 0)
         + COALESCE((SELECT SUM(amount_minor) FROM credit_notes c WHERE c.invoice_id = i.id), 0)
         + COALESCE((SELECT SUM(amount_minor) FROM settlement_differences d WHERE d.invoice_id = i.id), 0)
         - COALESCE((SELECT SUM(a.amount_minor) FROM payment_reversals r
                     JOIN allocations a ON a.payment_id = r.payment_id WHERE a.invoice_id = i.id), 0)
         - COALESCE((SELECT SUM(d.amount_minor) FROM payment_reversals r
                     JOIN settlement_differences d ON d.payment_id = r.payment_id WHERE d.invoice_id = i.id), 0)",
    );
    if drift != 0 {
        bad.push(format!(
            "settled cache differs from allocations + credit notes + settlement differences \
             - reversed payments on {drift} invoice(s)"
        ));
    }
    // A return linked to a credit that became a payment has reversed that payment; a
    // settlement difference belongs to a payment from a statement line.
    let half_returns = query_i64(
        &conn,
        "SELECT COUNT(*) FROM bank_lines r JOIN bank_lines c ON c.id = r.reverses
         WHERE c.payment_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM payment_reversals x WHERE x.line_id = r.id AND x.payment_id = c.payment_id)",
    );
    if half_returns != 0 {
        bad.push(format!(
            "{half_returns} return(s) linked to a matched credit without its reversal"
        ));
    }
    let loose_differences = query_i64(
        &conn,
        "SELECT COUNT(*) FROM settlement_differences d
         WHERE NOT EXISTS (SELECT 1 FROM bank_lines l WHERE l.payment_id = d.payment_id)",
    );
    if loose_differences != 0 {
        bad.push(format!(
            "{loose_differences} settlement difference(s) without their statement line"
        ));
    }
    // The paid-on cache: the last settlement's date for a settled invoice, NULL otherwise.
    let paid_drift = query_i64(
        &conn,
        "SELECT COUNT(*) FROM invoices i WHERE i.paid_on IS NOT CASE WHEN i.settled_minor >= i.total_minor THEN max(
             COALESCE((SELECT MAX(a.date) FROM allocations a WHERE a.invoice_id = i.id), ''),
             COALESCE((SELECT MAX(n.date) FROM credit_notes n WHERE n.invoice_id = i.id), ''),
             COALESCE((SELECT MAX(d.date) FROM settlement_differences d WHERE d.invoice_id = i.id), ''),
             COALESCE((SELECT MAX(r.date) FROM payment_reversals r
                       JOIN allocations a ON a.payment_id = r.payment_id WHERE a.invoice_id = i.id), '')) END",
    );
    if paid_drift != 0 {
        bad.push(format!(
            "paid_on cache differs from the settlements on {paid_drift} invoice(s)"
        ));
    }
    // The numbering: the sequence's last number is the highest number issued (a number is
    // never allocated without its invoice).
    let seq_gap = query_i64(
        &conn,
        "SELECT COUNT(*) FROM invoice_sequence s WHERE s.last <> (
             SELECT COALESCE(MAX(CAST(substr(number, -4) AS INTEGER)), 0) FROM invoices
             WHERE issued = 1 AND substr(issue_date, 1, 4) = CAST(s.year AS TEXT))",
    );
    if seq_gap != 0 {
        bad.push(format!(
            "invoice sequence ahead of the invoices issued in {seq_gap} year(s)"
        ));
    }
    // The wake dates Today reads: one per open invoice, none for a settled one, and the
    // agenda read through them the derived one, today and on the later days compared.
    let today = relance_core::validate::parse_date("today", TODAY).unwrap();
    bad.extend(
        relance_core::dunning::wake::verify(&conn, today, relance_core::Lang::En)
            .unwrap()
            .findings,
    );
    // The actions kept for Today: the derived ones for every customer not marked since.
    bad.extend(
        relance_core::dunning::kept::verify(&conn, relance_core::Lang::En)
            .unwrap()
            .unwrap_or_default(),
    );
    // The payer segments Today's sanction proposals read: the stored ones are the derived
    // ones for every customer not marked since the day's refresh.
    bad.extend(
        relance_core::views::segments::verify(&conn, today, relance_core::Lang::En)
            .unwrap()
            .unwrap_or_default(),
    );
    // The payer habits the dashboard's forecast reads through the same refresh.
    bad.extend(
        relance_core::views::segments::verify_habits(&conn, today, relance_core::Lang::En)
            .unwrap()
            .unwrap_or_default(),
    );
    // The customers' open balances the Customers list sorts by: the kept ones are the sums
    // of their invoices.
    bad.extend(relance_core::views::balances::verify(&conn, relance_core::Lang::En).unwrap());
    // The bank lines waiting are proposed the same through the invoice numbers' index.
    bad.extend(relance_core::bank::store::verify_book(&conn, relance_core::Lang::En).unwrap());
    // Each customer's name words kept for the matcher are their name's (or they are marked).
    bad.extend(relance_core::bank::book::verify_words(&conn, relance_core::Lang::En).unwrap());
    // An invoice Relance issued has its PDF and XML archived in the same transaction.
    let unarchived = query_i64(
        &conn,
        "SELECT COUNT(*) FROM invoices i WHERE i.issued = 1
           AND NOT EXISTS (SELECT 1 FROM invoice_archives a WHERE a.invoice_id = i.id)",
    );
    if unarchived != 0 {
        bad.push(format!(
            "{unarchived} issued invoice(s) without their archived PDF and XML"
        ));
    }
    // An issued invoice's lines (its discount on the whole invoice among them) add up to
    // its net and VAT, and those to its total; an issued credit note's too.
    let unbalanced = query_i64(
        &conn,
        "SELECT (SELECT COUNT(*) FROM invoices i WHERE i.issued = 1 AND (
                    i.net_minor + i.vat_minor <> i.total_minor
                    OR i.net_minor <> (SELECT SUM(net_minor) FROM invoice_lines l
                                       WHERE l.invoice_id = i.id)
                    OR i.vat_minor <> (SELECT SUM(vat_minor) FROM invoice_lines l
                                       WHERE l.invoice_id = i.id)))
              + (SELECT COUNT(*) FROM credit_note_documents d WHERE
                    d.net_minor + d.vat_minor <> d.total_minor
                    OR d.net_minor <> (SELECT SUM(net_minor) FROM credit_note_document_lines l
                                       WHERE l.credit_note_id = d.id)
                    OR d.vat_minor <> (SELECT SUM(vat_minor) FROM credit_note_document_lines l
                                       WHERE l.credit_note_id = d.id))",
    );
    if unbalanced != 0 {
        bad.push(format!(
            "{unbalanced} issued document(s) whose lines do not add up to their totals"
        ));
    }
    // An issued credit note: its archive, its number the sequence's last at most, and what
    // it imputed never more than its total.
    let credit_unarchived = query_i64(
        &conn,
        "SELECT COUNT(*) FROM credit_note_documents d
          WHERE NOT EXISTS (SELECT 1 FROM credit_note_archives a WHERE a.credit_note_id = d.id)",
    );
    if credit_unarchived != 0 {
        bad.push(format!(
            "{credit_unarchived} issued credit note(s) without their archived PDF and XML"
        ));
    }
    let credit_gap = query_i64(
        &conn,
        "SELECT COUNT(*) FROM credit_note_sequence s WHERE s.last <> (
             SELECT COALESCE(MAX(CAST(substr(number, -4) AS INTEGER)), 0) FROM credit_note_documents
             WHERE substr(date, 1, 4) = CAST(s.year AS TEXT))",
    );
    if credit_gap != 0 {
        bad.push(format!(
            "credit-note sequence ahead of the credit notes issued in {credit_gap} year(s)"
        ));
    }
    let over_imputed = query_i64(
        &conn,
        "SELECT COUNT(*) FROM credit_note_documents d WHERE d.total_minor <
             (SELECT COALESCE(SUM(n.amount_minor), 0) FROM credit_notes n WHERE n.document_id = d.id)",
    );
    if over_imputed != 0 {
        bad.push(format!(
            "{over_imputed} credit note(s) imputed beyond their total"
        ));
    }
    // A bank import is whole: never a payment from the statement without its line, never a
    // line without its import.
    let orphan_payments = query_i64(
        &conn,
        "SELECT COUNT(*) FROM payments p WHERE (p.note LIKE 'Relevé bancaire%' OR p.note LIKE 'Bank statement%')
           AND NOT EXISTS (SELECT 1 FROM bank_lines l WHERE l.payment_id = p.id)",
    );
    if orphan_payments != 0 {
        bad.push(format!(
            "{orphan_payments} payment(s) from a statement without their line"
        ));
    }
    let orphan_lines = query_i64(
        &conn,
        "SELECT COUNT(*) FROM bank_lines l WHERE NOT EXISTS (SELECT 1 FROM bank_imports i WHERE i.id = l.import_id)
            OR (l.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = l.payment_id))",
    );
    if orphan_lines != 0 {
        bad.push(format!(
            "{orphan_lines} statement line(s) without their import or payment"
        ));
    }
    // An e-invoice import is whole: every invoice it brought has its original.
    let without_original = query_i64(
        &conn,
        "SELECT COUNT(*) FROM invoices i WHERE i.number LIKE 'EXT-%'
           AND NOT EXISTS (SELECT 1 FROM einvoice_originals o WHERE o.invoice_id = i.id)",
    );
    if without_original != 0 {
        bad.push(format!(
            "{without_original} imported e-invoice(s) without their original"
        ));
    }
    let state = State {
        invoices: query_i64(&conn, "SELECT COUNT(*) FROM invoices"),
        imported: query_i64(
            &conn,
            "SELECT COUNT(*) FROM invoices WHERE number LIKE 'CRASH-%'",
        ),
        payments: query_i64(&conn, "SELECT COUNT(*) FROM payments"),
        journal: query_i64(&conn, "SELECT COUNT(*) FROM journal"),
        customers: query_i64(&conn, "SELECT COUNT(*) FROM customers"),
        documents: query_i64(&conn, "SELECT COUNT(*) FROM documents"),
        penalty_charges: query_i64(&conn, "SELECT COUNT(*) FROM penalty_charges"),
        credit_notes: query_i64(&conn, "SELECT COUNT(*) FROM credit_notes"),
        bank_lines: query_i64(&conn, "SELECT COUNT(*) FROM bank_lines"),
        drafts: query_i64(&conn, "SELECT COUNT(*) FROM invoice_drafts"),
        archives: query_i64(&conn, "SELECT COUNT(*) FROM invoice_archives"),
        credit_documents: query_i64(&conn, "SELECT COUNT(*) FROM credit_note_documents"),
        credit_archives: query_i64(&conn, "SELECT COUNT(*) FROM credit_note_archives"),
        originals: query_i64(&conn, "SELECT COUNT(*) FROM einvoice_originals"),
        renamed: query_i64(
            &conn,
            "SELECT COUNT(*) FROM invoices WHERE number = 'OOPS-2-B'",
        ),
        old_journal: journal_hash(&conn, template_journal_max),
    };
    (state, bad)
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Import,
    Payment,
    BulkDone,
    Backup,
    Restore,
    Letter,
    PenaltyInvoice,
    Emails,
    Milestone,
    CorrectOvercharge,
    Undo,
    DeleteInvoice,
    BankImport,
    BankApply,
    BankReturn,
    BankMatch,
    IssueDraft,
    IssueCreditNote,
    EinvoiceImport,
    RenameInvoice,
    ImportPayments,
    BankUndo,
}

const OPS: [Op; 22] = [
    Op::Import,
    Op::Payment,
    Op::BulkDone,
    Op::Backup,
    Op::Restore,
    Op::Letter,
    Op::PenaltyInvoice,
    Op::Emails,
    Op::Milestone,
    Op::CorrectOvercharge,
    Op::Undo,
    Op::DeleteInvoice,
    Op::BankImport,
    Op::BankApply,
    Op::BankReturn,
    Op::BankMatch,
    Op::IssueDraft,
    Op::IssueCreditNote,
    Op::EinvoiceImport,
    Op::RenameInvoice,
    Op::ImportPayments,
    Op::BankUndo,
];

struct Setup {
    dir: PathBuf,
    template: PathBuf,
    csv: PathBuf,
    /// Payments of the demo's customers, as many as take the import's bulk path (their
    /// caches brought up to date once at the end): imported under the kill.
    payments_csv: PathBuf,
    /// A camt.053 paying open invoices by their numbers: imported and applied under the kill.
    statement: PathBuf,
    /// Its lines paying an invoice (each applied)…
    statement_lines: i64,
    /// …and all its lines (credits from unknown payers too, left waiting).
    statement_credits: i64,
    /// A camt.053 giving back a transfer the template applied: imported under the kill.
    returned: PathBuf,
    /// The import of that transfer (one line, its payment): undone under the kill.
    paid_import: i64,
    /// A line 0.50 short of its invoice, waiting, and that invoice: matched under the kill
    /// (a settlement difference).
    short_line: i64,
    short_invoice: String,
    snapshot: PathBuf,
    action_ids: Vec<String>,
    /// A call marked done on the template: undone under the kill.
    undo_entry: i64,
    /// The day's e-mail actions: the drafts `export-reminders` prepares.
    email_actions: i64,
    /// An invoice draft (two lines, two rates, 7.5 % off the whole invoice): issued under
    /// the kill.
    draft: i64,
    /// An invoice Relance issued (a contract's deposit): credited whole under the kill, and
    /// whether its balance was open (the credit note then settles it).
    credit_invoice: String,
    credit_invoice_open: bool,
    /// E-invoices (CII) the owner issued elsewhere to a buyer Relance does not know:
    /// imported under the kill, the buyer created.
    einvoices: Vec<PathBuf>,
    journal_max: i64,
    before: State,
}

/// How many e-invoices the kill interrupts the import of.
const EINVOICES: usize = 60;

/// A CII e-invoice at the EN 16931 profile from the seller with VAT number `seller_vat`:
/// one line of `net` at 20 %; with `credits`, the credit note (381) of that invoice.
fn cii_invoice(number: &str, seller_vat: &str, net_minor: i64, credits: Option<&str>) -> String {
    let (type_code, referenced) = match credits {
        Some(invoice) => (
            "381",
            format!("<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{invoice}</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>"),
        ),
        None => ("380", String::new()),
    };
    let vat = (net_minor * 20 + 50) / 100;
    let m = |x: i64| format!("{}.{:02}", x / 100, x % 100);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" \
xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" \
xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">\
<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>\
<ram:IssueDateTime><udt:DateTimeString format=\"102\">20261101</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>\
<rsm:SupplyChainTradeTransaction>\
<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>\
<ram:SpecifiedTradeProduct><ram:Name>Prestation</ram:Name></ram:SpecifiedTradeProduct>\
<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{net}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>\
<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>\
<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>\
<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{net}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>\
</ram:IncludedSupplyChainTradeLineItem>\
<ram:ApplicableHeaderTradeAgreement>\
<ram:SellerTradeParty><ram:Name>Seller</ram:Name><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>\
<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{seller_vat}</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>\
<ram:BuyerTradeParty><ram:Name>Crash Buyer SAS</ram:Name><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>\
</ram:ApplicableHeaderTradeAgreement><ram:ApplicableHeaderTradeDelivery/>\
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>\
<ram:ApplicableTradeTax><ram:CalculatedAmount>{vat_s}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{net}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>\
<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format=\"102\">20261201</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>\
<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{net}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount>\
<ram:TaxTotalAmount currencyID=\"EUR\">{vat_s}</ram:TaxTotalAmount><ram:GrandTotalAmount>{total}</ram:GrandTotalAmount><ram:DuePayableAmount>{total}</ram:DuePayableAmount>\
</ram:SpecifiedTradeSettlementHeaderMonetarySummation>{referenced}</ram:ApplicableHeaderTradeSettlement>\
</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>",
        net = m(net_minor),
        vat_s = m(vat),
        total = m(net_minor + vat),
    )
}

fn setup(dir: &Path) -> Setup {
    let template = dir.join("template.sqlite");
    run_ok(&template, &["demo", "--as-of", TODAY]);
    // A contract whose deposit is invoiced; its second milestone is reached under the kill.
    run_ok(
        &template,
        &[
            "contract",
            "add",
            "--reference",
            "K1",
            "--customer",
            "ARCH08",
            "--total",
            "9000",
            "--schedule",
            "30,40,30",
            "--signed",
            TODAY,
            "--vat-rate",
            "20",
        ],
    );
    // A penalty invoice on F2026-0136, then a payment dated inside the period it charged:
    // it is overcharged, and the credit note that corrects it is made under the kill.
    run_ok(
        &template,
        &["penalties", "invoice", "--invoice", "F2026-0136"],
    );
    run_ok(
        &template,
        &[
            "payment",
            "add",
            "--customer",
            "FEST15",
            "--date",
            "2026-10-20",
            "--amount",
            "2137.53",
            "--invoice",
            "F2026-0136",
        ],
    );
    // An invoice recorded by mistake, deleted under the kill; another, renamed under it.
    for number in ["OOPS-1", "OOPS-2"] {
        run_ok(
            &template,
            &[
                "invoice",
                "add",
                "--number",
                number,
                "--customer",
                "BOUL01",
                "--issue-date",
                TODAY,
                "--total",
                "10",
            ],
        );
    }
    // A call marked done, to be undone under the kill.
    let agenda = run_ok(&template, &["agenda", "--format", "json"]);
    let agenda: serde_json::Value = serde_json::from_str(&agenda).unwrap();
    let call = agenda
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["channel"] == "phone")
        .expect("the demo has a call to make")["id"]
        .as_str()
        .unwrap()
        .to_string();
    run_ok(&template, &["action", "done", &call]);
    let conn = Connection::open_sqlite_file(&template, false).unwrap();
    let undo_entry = query_i64(&conn, "SELECT MAX(id) FROM journal");
    drop(conn);
    // A transfer from the bank, applied, that the bank gives back under the kill; and one
    // 0.50 short, waiting, that the owner matches under the kill (a settlement difference).
    let camt = |entry: String| {
        format!(
            "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\
             <Stmt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>{entry}</Stmt></BkToCstmrStmt></Document>"
        )
    };
    let entry = |id: &str, sign: &str, cents: i64, inside: &str| {
        format!(
            "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{TODAY}</Dt></BookgDt>\
             <AcctSvcrRef>{id}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-{id}</EndToEndId></Refs>{inside}</TxDtls></NtryDtls></Ntry>",
            cents / 100,
            cents % 100
        )
    };
    let list = run_ok(&template, &["invoice", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let mut big: Vec<(String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] != "paid" && i["closure"].is_null() && i["currency"] == "EUR")
        .map(|i| {
            let b = i["balance"].as_str().unwrap();
            let (units, cents) = b.split_once('.').unwrap_or((b, "0"));
            (
                i["number"].as_str().unwrap().to_string(),
                units.parse::<i64>().unwrap() * 100
                    + format!("{cents:0<2}").parse::<i64>().unwrap(),
            )
        })
        .filter(|(n, b)| {
            *b >= 20_000 && !n.starts_with("OOPS-") && n != "F2025-0009" && n != "F2026-0136"
        })
        .collect();
    let (paid_no, paid_cents) = big.pop().expect("an open invoice to pay");
    let (short_invoice, short_cents) = big.pop().expect("another open invoice");
    let paid = dir.join("paid.xml");
    std::fs::write(
        &paid,
        camt(entry(
            "PAID-1",
            "CRDT",
            paid_cents,
            &format!("<RmtInf><Ustrd>Facture {paid_no}</Ustrd></RmtInf>"),
        )),
    )
    .unwrap();
    run_ok(
        &template,
        &["bank", "import", paid.to_str().unwrap(), "--apply-sure"],
    );
    let conn = Connection::open_sqlite_file(&template, false).unwrap();
    let paid_import = query_i64(&conn, "SELECT MAX(id) FROM bank_imports");
    drop(conn);
    let returned = dir.join("returned.xml");
    std::fs::write(
        &returned,
        camt(entry(
            "PAID-1-BACK",
            "DBIT",
            paid_cents,
            "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>",
        ))
        .replace("E2E-PAID-1-BACK", "E2E-PAID-1"),
    )
    .unwrap();
    let short = dir.join("short.xml");
    std::fs::write(
        &short,
        camt(entry(
            "SHORT-1",
            "CRDT",
            short_cents - 50,
            &format!("<RmtInf><Ustrd>Facture {short_invoice}</Ustrd></RmtInf>"),
        )),
    )
    .unwrap();
    run_ok(&template, &["bank", "import", short.to_str().unwrap()]);
    let proposed = run_ok(
        &template,
        &["bank", "lines", "--status", "proposed", "--format", "json"],
    );
    let proposed: serde_json::Value = serde_json::from_str(&proposed).unwrap();
    let short_line = proposed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["invoices"][0] == short_invoice.as_str())
        .expect("the short transfer is proposed");
    assert_eq!(short_line["difference"], "0.50");
    let short_line = short_line["id"].as_i64().unwrap();
    // An older snapshot to restore: the demo plus one customer the template lacks.
    let snapshot = dir.join("snapshot.sqlite");
    let extra = dir.join("extra.sqlite");
    std::fs::copy(&template, &extra).unwrap();
    run_ok(
        &extra,
        &[
            "customer",
            "add",
            "--reference",
            "SNAP",
            "--name",
            "Only in the snapshot",
        ],
    );
    run_ok(&extra, &["backup", "--out", snapshot.to_str().unwrap()]);
    let agenda = run_ok(&template, &["agenda", "--format", "json"]);
    let agenda: serde_json::Value = serde_json::from_str(&agenda).unwrap();
    let action_ids: Vec<String> = agenda
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(action_ids.len() >= 3, "the demo's agenda has actions");
    let email_actions = agenda
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["channel"] == "email")
        .count() as i64;
    assert!(email_actions >= 1, "the agenda has e-mails to prepare");
    let mut csv = String::from("number,customer_reference,issue_date,due_date,total\n");
    for i in 0..IMPORT_ROWS {
        csv.push_str(&format!(
            "CRASH-{i:05},BOUL01,2026-10-01,2026-10-31,{}.50\n",
            10 + i
        ));
    }
    let csv_path = dir.join("invoices.csv");
    std::fs::write(&csv_path, csv).unwrap();
    // Each to the customer's oldest open invoices, any excess kept as credit.
    let mut payments = String::from("customer_reference,date,amount,keep_as_credit\n");
    for i in 0..IMPORT_ROWS {
        let customer = ["BOUL01", "GARA05", "PART21", "HOTL03", "ECOL10"][i % 5];
        payments.push_str(&format!(
            "{customer},{TODAY},{}.{:02},true\n",
            1 + i % 40,
            i % 100
        ));
    }
    let payments_csv = dir.join("payments.csv");
    std::fs::write(&payments_csv, payments).unwrap();
    // Each line pays one open invoice (not written off, not the one deleted under the kill,
    // none of today's actions: a credit waiting to be matched holds its invoice) to the
    // cent, naming its number: all sure.
    let on_agenda: Vec<&str> = agenda
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["invoices"]
                .as_array()
                .unwrap()
                .iter()
                .chain(a["for_information"].as_array().unwrap())
        })
        .filter_map(|n| n.as_str())
        .collect();
    let list = run_ok(&template, &["invoice", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let mut entries = String::new();
    let mut statement_lines = 0;
    for inv in list.as_array().unwrap() {
        let open = inv["status"] != "paid"
            && inv["closure"].is_null()
            && !inv["number"].as_str().unwrap().starts_with("OOPS-")
            && !on_agenda.contains(&inv["number"].as_str().unwrap());
        if !open || inv["currency"] != "EUR" || statement_lines == 25 {
            continue;
        }
        statement_lines += 1;
        entries.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{TODAY}</Dt></BookgDt>\
             <AcctSvcrRef>CRASH-{statement_lines}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Facture {}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            inv["balance"].as_str().unwrap(),
            inv["number"].as_str().unwrap()
        ));
    }
    assert!(statement_lines >= 10, "the demo has open invoices to pay");
    // And as many credits from unknown payers as make it a bulk write on a server (the
    // balances' trigger set aside, the sums caught up once: `invoices::kept::SettledAside`),
    // for the import applying its sure matches and for the button applying the waiting ones.
    let fillers = relance_core::invoices::kept::SERVER_BULK_PAYMENTS as i64;
    for k in 0..fillers {
        entries.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{}.17</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{TODAY}</Dt></BookgDt>\
             <AcctSvcrRef>CRASH-FILL-{k}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Inconnu {k}</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>",
            90_000 + k
        ));
    }
    let statement_credits = statement_lines + fillers;
    // The same kind of statement, imported on the template without applying: its sure
    // matches are applied under the kill.
    let waiting = dir.join("waiting.xml");
    std::fs::write(
        &waiting,
        format!(
            "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
             <Stmt><Acct><Id><IBAN>FR7630006000011234567890190</IBAN></Id><Ccy>EUR</Ccy></Acct>{}</Stmt></BkToCstmrStmt></Document>",
            entries.replace("CRASH-", "WAIT-")
        ),
    )
    .unwrap();
    run_ok(&template, &["bank", "import", waiting.to_str().unwrap()]);
    let statement = dir.join("statement.xml");
    std::fs::write(
        &statement,
        format!(
            "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
             <Stmt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
        ),
    )
    .unwrap();
    // An invoice written in Relance, waiting to be issued.
    let draft: serde_json::Value = serde_json::from_str(&run_ok(
        &template,
        &[
            "invoice",
            "draft",
            "--customer",
            "GARA05",
            "--line",
            "Réfection|2|150|20|HUR",
            "--line",
            "Livre|1|24.90|5.5",
            "--discount",
            "7,5",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let draft = draft["id"].as_i64().unwrap();
    let conn = Connection::open_sqlite_file(&template, false).unwrap();
    let (credit_invoice, credit_invoice_open): (String, bool) = conn
        .query_row(
            "SELECT number, settled_minor < total_minor FROM invoices
              WHERE issued = 1 AND reference = 'K1' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let journal_max = query_i64(&conn, "SELECT MAX(id) FROM journal");
    let owner_vat: String = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'vat_number'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let mut einvoices: Vec<PathBuf> = (1..=EINVOICES)
        .map(|i| {
            let path = dir.join(format!("einvoice-{i}.xml"));
            let xml = cii_invoice(
                &format!("EXT-{i:04}"),
                &owner_vat,
                10_000 + i as i64 * 137,
                None,
            );
            std::fs::write(&path, xml).unwrap();
            path
        })
        .collect();
    // A credit note of 50.00 + VAT on the first of them, given before it.
    let credit = dir.join("einvoice-credit.xml");
    std::fs::write(
        &credit,
        cii_invoice("EXT-AV-1", &owner_vat, 5_000, Some("EXT-0001")),
    )
    .unwrap();
    einvoices.insert(0, credit);
    // The day's segment refresh forgotten (the template's ran on an empty ledger, before
    // the demo): each copy's first command refreshes them (a kill may land inside), and the
    // checks compare the stored segment of every customer not marked since.
    Connection::open_sqlite_file(&template, false)
        .unwrap()
        .execute("DELETE FROM segment_refresh", [])
        .unwrap();
    let (before, bad) = check(&template, journal_max);
    assert!(bad.is_empty(), "template: {bad:?}");
    // The template's own daily snapshot would differ per copy: start every copy clean.
    let _ = std::fs::remove_dir_all(dir.join("backups"));
    Setup {
        dir: dir.to_path_buf(),
        template,
        csv: csv_path,
        payments_csv,
        statement,
        statement_lines,
        statement_credits,
        returned,
        paid_import,
        short_line,
        short_invoice,
        snapshot,
        action_ids,
        undo_entry,
        email_actions,
        draft,
        credit_invoice,
        credit_invoice_open,
        einvoices,
        journal_max,
        before,
    }
}

fn args_for(op: Op, s: &Setup, out: &Path) -> Vec<String> {
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match op {
        Op::Import => v(&["import", "invoices", s.csv.to_str().unwrap()]),
        Op::ImportPayments => v(&["import", "payments", s.payments_csv.to_str().unwrap()]),
        Op::Payment => v(&[
            "payment",
            "add",
            "--customer",
            "GARA05",
            "--amount",
            "100",
            "--date",
            TODAY,
        ]),
        Op::BulkDone => {
            let mut a = v(&["action", "done"]);
            a.extend(s.action_ids.iter().cloned());
            a
        }
        Op::Backup => v(&["backup", "--out", out.to_str().unwrap()]),
        Op::Restore => v(&["restore", s.snapshot.to_str().unwrap(), "--yes"]),
        Op::Letter => v(&[
            "letter",
            "--invoice",
            "F2025-0009",
            "--kind",
            "formal-demand",
            "--out",
            out.to_str().unwrap(),
        ]),
        Op::PenaltyInvoice => v(&["penalties", "invoice", "--invoice", "F2025-0009"]),
        Op::Milestone => v(&["milestone", "reach", "K1", "2", "--date", TODAY]),
        Op::CorrectOvercharge => v(&["penalties", "correct", "--invoice", "F2026-0136"]),
        Op::DeleteInvoice => v(&["invoice", "delete", "OOPS-1"]),
        Op::RenameInvoice => v(&["invoice", "edit", "OOPS-2", "--number", "OOPS-2-B"]),
        Op::BankApply => v(&["bank", "apply"]),
        Op::BankReturn => v(&["bank", "import", s.returned.to_str().unwrap()]),
        Op::BankUndo => v(&["bank", "undo", &s.paid_import.to_string()]),
        Op::BankMatch => v(&[
            "bank",
            "match",
            &s.short_line.to_string(),
            "--invoice",
            &s.short_invoice,
        ]),
        Op::BankImport => v(&[
            "bank",
            "import",
            s.statement.to_str().unwrap(),
            "--apply-sure",
        ]),
        Op::IssueDraft => v(&["invoice", "issue", &s.draft.to_string(), "--yes"]),
        Op::EinvoiceImport => {
            let mut a = v(&["import", "einvoice", "--yes"]);
            a.extend(s.einvoices.iter().map(|p| p.to_str().unwrap().to_string()));
            a
        }
        Op::IssueCreditNote => v(&[
            "credit-note",
            "issue",
            "--invoice",
            &s.credit_invoice,
            "--reason",
            "Annulation",
        ]),
        Op::Undo => v(&[
            "action",
            "undo",
            &s.undo_entry.to_string(),
            "--as-of",
            TODAY,
        ]),
        Op::Emails => v(&[
            "export-reminders",
            "--as-of",
            TODAY,
            "--out",
            out.to_str().unwrap(),
        ]),
    }
}

/// The state after `op` completed, and the state if it never happened.
fn outcomes(op: Op, s: &Setup) -> (State, State) {
    let before = s.before.clone();
    let mut after = before.clone();
    match op {
        Op::Import => {
            after.invoices += IMPORT_ROWS as i64;
            after.imported = IMPORT_ROWS as i64;
        }
        Op::Payment => {
            after.payments += 1;
            after.journal += 1;
        }
        Op::ImportPayments => {
            after.payments += IMPORT_ROWS as i64;
            after.journal += IMPORT_ROWS as i64;
        }
        Op::BulkDone => after.journal += s.action_ids.len() as i64,
        Op::Backup => {}
        // The snapshot predates the waiting statement's import and the draft.
        Op::Restore => {
            after.customers += 1;
            after.bank_lines -= s.statement_credits;
            after.drafts -= 1;
        }
        Op::Letter => {
            after.documents += 1;
            after.journal += 1;
        }
        // An invoice Relance issues: numbered, its PDF and XML archived.
        Op::PenaltyInvoice => {
            after.invoices += 1;
            after.penalty_charges += 1;
            after.archives += 1;
        }
        // Each e-mail action of the day: its letter archived, "e-mail prepared" and "done"
        // logged.
        Op::Emails => {
            after.documents += s.email_actions;
            after.journal += 2 * s.email_actions;
        }
        // The stage invoice, numbered, with its history entry and its archived PDF and XML.
        Op::Milestone => {
            after.invoices += 1;
            after.journal += 1;
            after.archives += 1;
        }
        // The issued penalty invoice corrected by a credit note issued as a document: its
        // imputation, its history entry, the document and its archived PDF and XML.
        Op::CorrectOvercharge => {
            after.credit_notes += 1;
            after.journal += 1;
            after.credit_documents += 1;
            after.credit_archives += 1;
        }
        Op::Undo => after.journal += 1,
        Op::DeleteInvoice => after.invoices -= 1,
        // The new number with the history entry that keeps the old one.
        Op::RenameInvoice => {
            after.renamed = 1;
            after.journal += 1;
        }
        // The invoice, numbered, with its archived PDF and XML; the draft gone.
        Op::IssueDraft => {
            after.invoices += 1;
            after.archives += 1;
            after.drafts -= 1;
        }
        // Every e-invoice with its original, their buyer, and the credit note on the first
        // (its original and history entry).
        Op::EinvoiceImport => {
            after.invoices += EINVOICES as i64;
            after.originals += EINVOICES as i64 + 1;
            after.customers += 1;
            after.credit_notes += 1;
            after.journal += 1;
        }
        // The credit note with its archive and history entry; on an open invoice, the row
        // that settles it.
        Op::IssueCreditNote => {
            after.credit_documents += 1;
            after.credit_archives += 1;
            after.journal += 1;
            if s.credit_invoice_open {
                after.credit_notes += 1;
            }
        }
        // The waiting statement's lines, each a payment with its history entry.
        Op::BankApply => {
            after.payments += s.statement_lines;
            after.journal += s.statement_lines;
        }
        // The return's line and the history entry of the payment given back.
        Op::BankReturn => {
            after.bank_lines += 1;
            after.journal += 1;
        }
        // The transfer's line and its payment gone, the history entry that says so.
        Op::BankUndo => {
            after.bank_lines -= 1;
            after.payments -= 1;
            after.journal += 1;
        }
        // The payment with its history entry, and the settlement difference's.
        Op::BankMatch => {
            after.payments += 1;
            after.journal += 2;
        }
        // Every line, each paying line a payment with its history entry.
        Op::BankImport => {
            after.bank_lines += s.statement_credits;
            after.payments += s.statement_lines;
            after.journal += s.statement_lines;
        }
    }
    (after, before)
}

/// What is wrong with a folder of e-mail drafts: a file cut short under its final name, or
/// (when the batch was committed) a file missing.
fn drafts_problems(dir: &Path, committed: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        let whole = if name.ends_with(".eml") {
            bytes.ends_with(b"--\r\n") || bytes.ends_with(b"--")
        } else if name == "index.html" {
            bytes.ends_with(b"</html>\n")
        } else {
            name.ends_with(".partial")
        };
        if !whole {
            bad.push(format!(
                "draft file {name} is not whole ({} bytes)",
                bytes.len()
            ));
        }
        names.push(name);
    }
    if committed {
        for want in ["2026-11-22-ECOL10-courtesy.eml", "index.html"] {
            if !names.iter().any(|n| n == want) {
                bad.push(format!("committed batch without {want}: {names:?}"));
            }
        }
    }
    bad
}

/// Where the victim ledgers live: copies of the template file, or databases made from a
/// template database on the test server.
enum Target {
    File,
    Server { admin: Connection, template: String },
}

impl Target {
    /// A fresh copy of the template to run a write on (its `--db`).
    fn victim(&self, s: &Setup, name: &str) -> PathBuf {
        match self {
            Target::File => {
                let db = s.dir.join(format!("{name}.sqlite"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
                std::fs::copy(&s.template, &db).unwrap();
                db
            }
            Target::Server { admin, template } => {
                let db = format!("{template}_{name}");
                // The killed client's session may still be ending: FORCE ends it.
                admin
                    .execute_batch(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .unwrap();
                admin
                    .execute_batch(&format!("CREATE DATABASE {db} TEMPLATE {template}"))
                    .unwrap();
                PathBuf::from(format!("postgres:///{db}"))
            }
        }
    }

    /// The victim as a ledger file to check: itself, or for a server its checked copy
    /// (`backup --out`: every table read back and compared), taken after the next start's
    /// `finish_pending` on it.
    fn inspected(&self, victim: &Path, s: &Setup) -> PathBuf {
        match self {
            Target::File => {
                let conn = Connection::open_sqlite_file(victim, false).unwrap();
                relance_core::store::finish_pending(&conn).unwrap();
                victim.to_path_buf()
            }
            Target::Server { .. } => {
                let address = victim.to_str().unwrap();
                let mut conn = relance_core::store::connect_server(address).unwrap();
                relance_core::store::finish_pending(&conn).unwrap();
                let out = s.dir.join("inspected.sqlite");
                let _ = std::fs::remove_file(&out);
                relance_core::backup::backup_server(&mut conn, &out).unwrap();
                out
            }
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Target::Server { admin, template } = self {
            let _ =
                admin.execute_batch(&format!("DROP DATABASE IF EXISTS {template} WITH (FORCE)"));
            for name in ["victim", "calibrate"] {
                let _ = admin.execute_batch(&format!(
                    "DROP DATABASE IF EXISTS {template}_{name} WITH (FORCE)"
                ));
            }
        }
    }
}

fn kills(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("RELANCE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

#[test]
fn sigkill_during_writes_leaves_a_whole_ledger() {
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path());
    harness(
        &Target::File,
        &s,
        &OPS,
        kills("RELANCE_CRASH_KILLS", 120),
        seed(),
    );
}

/// The same writes on a shared ledger, the CLI killed while its session holds the server's
/// transaction: the server rolls back what was not committed. A backup is `backup --out`
/// (server to file); a restore is the owner's (its undo snapshot a file on this computer).
#[test]
fn sigkill_during_writes_leaves_a_whole_server_ledger() {
    if std::env::var_os("RELANCE_PG_TESTS").is_none() {
        eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let s = setup(root.path());
    let admin = relance_core::store::connect_server("postgres:///postgres").unwrap();
    let template = format!("relance_crash_{}", std::process::id());
    admin
        .execute_batch(&format!("CREATE DATABASE {template}"))
        .unwrap();
    let target = Target::Server { admin, template };
    // The template file moved onto the template database (a copy of it: a moved file no
    // longer opens).
    let Target::Server { template, .. } = &target else {
        unreachable!()
    };
    let moved = s.dir.join("to-move.sqlite");
    std::fs::copy(&s.template, &moved).unwrap();
    run_ok(
        &moved,
        &["move", "--to", &format!("postgres:///{template}")],
    );
    harness(
        &target,
        &s,
        &OPS,
        kills("RELANCE_CRASH_SERVER_KILLS", 40),
        seed(),
    );
    // The restores' undo snapshots (files of this computer).
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join("relance-crash-data"));
}

fn harness(target: &Target, s: &Setup, ops: &[Op], kills: u64, seed: u64) {
    let mut rng = Rng(seed);

    // Calibrate: run each write to completion once, measuring how long it takes, and check
    // that completing it gives exactly the expected state.
    let mut durations = Vec::new();
    for &op in ops {
        let db = target.victim(s, "calibrate");
        let out = s.dir.join(format!("calibrate-{op:?}.backup"));
        let t = Instant::now();
        let st = relance(
            &db,
            &args_for(op, s, &out)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .status()
        .unwrap();
        durations.push(t.elapsed());
        assert!(st.success(), "{op:?} fails without a kill");
        let (state, bad) = check(&target.inspected(&db, s), s.journal_max);
        assert!(bad.is_empty(), "{op:?}: {bad:?}");
        let (after, _) = outcomes(op, s);
        assert_eq!(state, after, "{op:?} completed");
    }

    let mut violations = Vec::new();
    let (mut interrupted, mut finished) = (0u64, 0u64);
    for n in 0..kills {
        let which = rng.below(ops.len() as u64) as usize;
        let op = ops[which];
        let _ = std::fs::remove_dir_all(s.dir.join("backups"));
        let db = target.victim(s, "victim");
        let out = s.dir.join("victim.backup");
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_dir_all(&out);
        // Kill anywhere from the start to a little after the calibrated duration.
        let span = durations[which].as_micros() as u64 * 12 / 10;
        let delay = Duration::from_micros(rng.below(span));
        let args = args_for(op, s, &out);
        let mut child = relance(&db, &args.iter().map(String::as_str).collect::<Vec<_>>())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let done = match child.try_wait().unwrap() {
            Some(status) => status.success(),
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                false
            }
        };
        if done {
            finished += 1;
        } else {
            interrupted += 1;
        }
        // The next command's start names the files a committed write staged but did not
        // get to name (`store::finish_pending`).
        let (state, bad) = check(&target.inspected(&db, s), s.journal_max);
        let (after, before) = outcomes(op, s);
        let whole = if done {
            state == after
        } else {
            state == after || state == before
        };
        let mut problems = bad;
        if !whole {
            problems.push(format!(
                "half-written or lost: {state:?}, expected {after:?} or (if not done) {before:?}"
            ));
        }
        if state.old_journal != s.before.old_journal {
            problems.push("a journal entry of the template changed".into());
        }
        // A snapshot is absent or whole, never torn under its final name.
        if matches!(op, Op::Backup) && out.exists() {
            let (_, snap_bad) = check(&out, 0);
            problems.extend(snap_bad.into_iter().map(|b| format!("snapshot: {b}")));
        }
        // E-mail drafts: every file under its final name is whole, and a batch the ledger
        // shows as done has all its files (they are written before the commit).
        if matches!(op, Op::Emails) {
            problems.extend(drafts_problems(&out, state == after));
        }
        // A letter: the file is whole under its name, and there if the ledger archived it.
        if matches!(op, Op::Letter) {
            let bytes = std::fs::read(&out).ok();
            match (&bytes, state == after) {
                (Some(b), _) if !b.ends_with(b"%%EOF\n") && !b.ends_with(b"%%EOF") => {
                    problems.push(format!("letter file cut short ({} bytes)", b.len()))
                }
                (None, true) => problems.push("archived letter without its file".into()),
                _ => {}
            }
        }
        for p in problems {
            violations.push(format!(
                "kill {n} during {op:?} after {delay:?} (done: {done}): {p}"
            ));
        }
    }
    println!(
        "crash harness ({}): seed {seed}, {kills} runs, {interrupted} killed mid-write, {finished} finished before the kill, {} violation(s); calibrated durations {:?}",
        match target {
            Target::File => "file",
            Target::Server { .. } => "server",
        },
        violations.len(),
        ops.iter().zip(&durations).map(|(o, d)| format!("{o:?} {} ms", d.as_millis())).collect::<Vec<_>>()
    );
    assert!(
        violations.is_empty(),
        "seed {seed}:\n{}",
        violations.join("\n")
    );
    assert!(
        interrupted > 0,
        "no run was interrupted: the kills never landed"
    );
}
