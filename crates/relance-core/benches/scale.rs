//! Scale benchmark (run: `./dev bench` or `cargo bench -p relance-core --bench scale`).
//!
//! Generates 10,000 customers, 100,000 invoices and 80,000 payments as CSV files, imports
//! them through the real import path into a temporary database, then reports the median of
//! repeated list queries and the database size. Figures are printed, never asserted.

use chrono::{Duration, NaiveDate};
use relance_core::contracts::ContractQuery;
use relance_core::customers::{self, CustomerQuery, CustomerSort};
use relance_core::import::{self, ImportKind};
use relance_core::invoices::{self, InvoiceFilter, InvoiceQuery, InvoiceSort};
use std::fmt::Write as _;
use std::time::{Duration as StdDuration, Instant};

const CUSTOMERS: usize = 10_000;
const INVOICES: usize = 100_000;
const PAYMENTS: usize = 80_000;

/// A ledger's size for the generator.
struct Size {
    customers: usize,
    invoices: usize,
    payments: usize,
}

/// The usual run.
const USUAL: Size = Size {
    customers: CUSTOMERS,
    invoices: INVOICES,
    payments: PAYMENTS,
};

/// Ten years of a busy business (`./dev bench --large`): ten times the usual run.
const LARGE: Size = Size {
    customers: 10 * CUSTOMERS,
    invoices: 10 * INVOICES,
    payments: 10 * PAYMENTS,
};

/// The generated CSV files and how many invoices they pay.
struct Data {
    customers_csv: String,
    invoices_csv: String,
    payments_csv: String,
    paid: usize,
}

/// Customers, then invoices spread over two years, the first `payments` of those older
/// than 60 days (fully or partly) paid.
fn data(size: &Size, as_of: NaiveDate, rng: &mut Lcg) -> Data {
    let mut customers_csv =
        String::from("reference,name,kind,email,address,postal_code,city,payment_terms_days\n");
    for i in 0..size.customers {
        let kind = if i % 5 == 0 { "individual" } else { "business" };
        writeln!(
            customers_csv,
            "C{i:05},Client {i} SARL,{kind},compta{i}@exemple.fr,{} rue de la République,{:05},Ville {},30",
            1 + i % 200,
            10_000 + i % 80_000,
            i % 300
        )
        .unwrap();
    }
    // Invoices: spread over two years; the first `payments` of them are (fully or partly) paid.
    let mut invoices_csv = String::from("number,customer_reference,issue_date,due_date,total\n");
    let mut payments_csv = String::from("customer_reference,date,amount,invoice_number\n");
    let mut paid = 0usize;
    for i in 0..size.invoices {
        let customer = rng.range(0, size.customers as u64 - 1);
        let issue = as_of - Duration::days(rng.range(1, 730) as i64);
        let due = issue + Duration::days(30);
        let cents = rng.range(5_000, 2_000_000);
        writeln!(
            invoices_csv,
            "F{i:06},C{customer:05},{issue},{due},{}.{:02}",
            cents / 100,
            cents % 100
        )
        .unwrap();
        // Older invoices are mostly paid; recent ones mostly open.
        if paid < size.payments && (as_of - issue).num_days() > 60 {
            let amount = if rng.range(0, 9) == 0 {
                cents / 2
            } else {
                cents
            };
            let date = (due + Duration::days(rng.range(0, 20) as i64)).min(as_of);
            writeln!(
                payments_csv,
                "C{customer:05},{date},{}.{:02},F{i:06}",
                amount / 100,
                amount % 100
            )
            .unwrap();
            paid += 1;
        }
    }

    Data {
        customers_csv,
        invoices_csv,
        payments_csv,
        paid,
    }
}

/// Contracts billed in milestones, one for every tenth customer, signed over two years (one
/// in twenty cancelled since): a deposit at signature invoiced by the customer's first
/// invoice, a stage on a date invoiced by their last one (every other contract), and a final
/// milestone not yet reached. Written in one transaction (the engine's `contracts::create`
/// issues each deposit as a new invoice and commits each contract: the generated invoices
/// stand for them). Returns how many.
fn contracts(conn: &mut relance_core::Connection, as_of: NaiveDate, rng: &mut Lcg) -> usize {
    let tx = conn.transaction().unwrap();
    let firsts: Vec<(i64, i64, i64, i64)> = tx
        .prepare(
            "SELECT customer_id, MIN(id), MAX(id), COUNT(*) FROM invoices
             GROUP BY customer_id ORDER BY customer_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut n = 0;
    for (customer, first, last, count) in firsts.into_iter().step_by(10) {
        n += 1;
        let signed = as_of - Duration::days(rng.range(1, 730) as i64);
        let cancelled = (n % 20 == 0).then(|| (signed + Duration::days(60)).min(as_of));
        let net = rng.range(100_000, 5_000_000) as i64;
        let (deposit, stage) = (net * 3 / 10, net * 4 / 10);
        let parts = [deposit, stage, net - deposit - stage];
        // The milestones' VAT adds up to the contract's, the odd cent on the last.
        let vats = [deposit / 5, stage / 5, net / 5 - deposit / 5 - stage / 5];
        let contract = tx.insert(
            "INSERT INTO contracts (reference, customer_id, title, signed_on, currency, net_minor,
                vat_rate_e4, vat_minor, cancelled_on)
             VALUES (?1, ?2, ?3, ?4, 'EUR', ?5, 200000, ?6, ?7)",
            relance_core::store::sql::params![
                format!("K{n:06}"),
                customer,
                format!("Chantier {n}"),
                signed.to_string(),
                net,
                net / 5,
                cancelled.map(|d| d.to_string()),
            ],
        )
        .unwrap();
        for (position, (net_minor, trigger, on_date, invoice)) in [
            (parts[0], "signature", None, Some(first)),
            (
                parts[1],
                "date",
                Some(signed + Duration::days(90)),
                (n % 2 == 0 && count > 1).then_some(last),
            ),
            (parts[2], "reached", None, None),
        ]
        .into_iter()
        .enumerate()
        {
            // A cancellation drops the milestones not invoiced (as contracts::cancel does).
            let dropped = cancelled.is_some() && invoice.is_none();
            tx.execute(
                "INSERT INTO milestones (contract_id, position, label, share_e4, net_minor,
                    vat_minor, trigger, on_date, terms_days, invoice_id, cancelled)
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, 30, ?8, ?9)",
                relance_core::store::sql::params![
                    contract,
                    position as i64 + 1,
                    format!("Étape {}", position + 1),
                    net_minor,
                    vats[position],
                    trigger,
                    on_date.map(|d: NaiveDate| d.to_string()),
                    invoice,
                    i64::from(dropped),
                ],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    n
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The ledger at `path` (its journal written back) copied as DIR/bench-<invoices>.sqlite.
fn keep_ledger(
    conn: &relance_core::Connection,
    path: &std::path::Path,
    dir: &str,
    invoices: usize,
    what: &str,
) {
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let to = std::path::Path::new(dir).join(format!("bench-{invoices}.sqlite"));
    std::fs::copy(path, &to).unwrap();
    println!("{what} ledger kept at {}", to.display());
}

fn median(mut samples: Vec<StdDuration>) -> StdDuration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (StdDuration, T) {
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f());
        samples.push(start.elapsed());
    }
    (median(samples), last.expect("at least one run"))
}

fn ms(d: StdDuration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A camt.053 of `n` credit lines over `open` invoices (number, balance).
fn statement(open: &[(String, i64)], n: usize, as_of: NaiveDate, rng: &mut Lcg) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
         <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>",
    );
    for i in 0..n {
        let (number, balance) = &open[rng.range(0, open.len() as u64 - 1) as usize];
        let kind = rng.range(0, 9);
        let (amount, text) = match kind {
            0..=3 => (*balance, format!("VIR SEPA FACTURE {number}")),
            4..=6 => ((*balance / 2).max(1), format!("ACOMPTE {number}")),
            _ => (
                rng.range(100, 500_000) as i64,
                format!("VIREMENT DIVERS {i}"),
            ),
        };
        write!(
            x,
            "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{as_of}</Dt></BookgDt>\
             <AcctSvcrRef>B{i}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payeur {i}</Nm></Dbtr></RltdPties>\
             <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            amount / 100,
            amount % 100
        )
        .unwrap();
    }
    x.push_str("</Stmt></BkToCstmrStmt></Document>");
    x
}

/// Resets the process's peak resident memory to what it holds now (Linux: `5` written to
/// `/proc/self/clear_refs`) and returns that, in MB.
fn reset_peak() -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_mb()
}

/// The process's peak resident memory so far (Linux `VmHWM`), in MB.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The company a letter needs (name and address).
fn company(conn: &relance_core::Connection) {
    for (k, v) in [
        ("company_name", "Atelier Bench"),
        ("address", "1 rue de la Paix"),
        ("postal_code", "75002"),
        ("city", "Paris"),
    ] {
        relance_core::settings::set(conn, k, v).unwrap();
    }
}

/// One figure of a run, in the order measured: what, how many, how long.
struct Figure {
    what: String,
    count: String,
    took: StdDuration,
}

/// `./dev bench --large` (`RELANCE_BENCH_LARGE=1`): the same generator at the usual size and
/// at ten times it, the same figures at both, then each figure's growth for 10× the work
/// (about 10 for a linear path, 100 for a quadratic one; a first page should not grow).
fn growth() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut runs = Vec::new();
    // `RELANCE_BENCH_LARGE=usual`: the usual size's figures only (a quick look at a change).
    let only_usual = std::env::var("RELANCE_BENCH_LARGE").is_ok_and(|v| v == "usual");
    // `RELANCE_BENCH_LARGE=large`: the large size's figures only (to study one of them).
    let only_large = std::env::var("RELANCE_BENCH_LARGE").is_ok_and(|v| v == "large");
    for size in [&USUAL, &LARGE] {
        if only_large && size.invoices == USUAL.invoices {
            continue;
        }
        println!(
            "--- {} customers, {} invoices, up to {} payments",
            size.customers, size.invoices, size.payments
        );
        runs.push(figures(size, as_of));
        if only_usual {
            return;
        }
    }
    if only_large {
        return;
    }
    println!();
    println!(
        "| measure | {} invoices | {} invoices | growth for 10× |",
        USUAL.invoices, LARGE.invoices
    );
    println!("|---|---|---|---|");
    for (small, large) in runs[0].iter().zip(&runs[1]) {
        assert_eq!(small.what, large.what, "both runs measure the same things");
        let cell = |f: &Figure| {
            if f.count.is_empty() {
                ms(f.took)
            } else {
                format!("{} ({})", ms(f.took), f.count)
            }
        };
        println!(
            "| {} | {} | {} | {:.1}× |",
            small.what,
            cell(small),
            cell(large),
            large.took.as_secs_f64() / small.took.as_secs_f64().max(1e-9)
        );
    }
}

/// The dashboard screen after the day's refresh of the segments (the habits its forecast
/// reads), beside its definition (one pass over every open invoice) and its habits alone.
fn dashboard_figures(
    conn: &mut relance_core::Connection,
    as_of: NaiveDate,
    runs: usize,
    note: &mut dyn FnMut(&str, String, StdDuration),
) {
    relance_core::daily::refresh_segments(conn, as_of).unwrap();
    // (as a start: the day sums one row per day again, after a migration or an import)
    relance_core::views::day_sums::fold(conn).unwrap();
    let (t, habits) = time(runs, || {
        relance_core::views::segments::habits(conn, as_of).unwrap()
    });
    note(
        "the forecast's habits",
        format!(
            "{} customers, at most {} days late",
            habits.len(),
            habits.values().map(|h| h.0).max().unwrap_or(0)
        ),
        t,
    );
    let lang = relance_core::Lang::Fr;
    let (t, kept) = time(runs, || {
        relance_core::views::overview::overview(conn, as_of, lang).unwrap()
    });
    note("dashboard screen", String::new(), t);
    let (t, derived) = time(runs, || {
        relance_core::views::overview::derived(conn, as_of, lang).unwrap()
    });
    assert_eq!(kept, derived);
    note(
        "dashboard screen by its definition (every open invoice)",
        String::new(),
        t,
    );
}

/// The aged balance whole, and the Reports screen's pages: the first, one deep in the list,
/// and the first as of a week ago (the customers paid since adjusted from their invoices).
fn aged_figures(
    conn: &relance_core::Connection,
    as_of: NaiveDate,
    runs: usize,
    note: &mut dyn FnMut(&str, String, StdDuration),
) {
    use relance_core::views::aged;
    let (t, whole) = time(runs, || aged::aged_balance(conn, as_of, None).unwrap());
    note("aged balance", format!("{} customers", whole.rows.len()), t);
    for (what, offset, day) in [
        ("aged balance, first page (Reports)", 0, as_of),
        ("aged balance, page 101", 5_000, as_of),
        (
            "aged balance, first page a week ago",
            0,
            as_of - Duration::days(7),
        ),
    ] {
        let (t, page) = time(runs, || {
            aged::aged_page(conn, day, None, offset, 50).unwrap()
        });
        if day == as_of {
            assert_eq!(page.totals, whole.totals);
            assert_eq!(page.count, whole.count);
        }
        let served = aged::kept_page(conn, day, relance_core::Currency::EUR, offset, 50)
            .unwrap()
            .is_some();
        let how = if served {
            "kept"
        } else {
            "whole report sliced"
        };
        note(
            what,
            format!("{} of {} customers, {how}", page.rows.len(), page.count),
            t,
        );
    }
}

/// The figures of one size, on a fresh ledger file (and, when `RELANCE_BENCH_SERVER` is
/// set, the screens' reads on a server copy of it, beside the file's).
fn figures(size: &Size, as_of: NaiveDate) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::new();
    let mut note = |what: &str, count: String, took: StdDuration| {
        println!("{what} ({count})   {}", ms(took));
        out.push(Figure {
            what: what.to_string(),
            count,
            took,
        });
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite");
    // `RELANCE_BENCH_REUSE=DIR` with `RELANCE_BENCH_ONLY=dashboard`: the ledger kept by
    // `RELANCE_BENCH_KEEP_IMPORTED=DIR` read again instead of imported (a quicker look).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("dashboard") {
        if let Ok(reuse) = std::env::var("RELANCE_BENCH_REUSE") {
            // A server's address: the ledger moved there before (`RELANCE_BENCH_SERVER`
            // set too: this run moves the kept file onto a fresh database of that server
            // first, and prints its address).
            if relance_core::store::is_server_address(&reuse) {
                let mut server = relance_core::open_server(&reuse).unwrap();
                dashboard_figures(&mut server, as_of, 7, &mut note);
                return out;
            }
            let from = std::path::Path::new(&reuse).join(format!("bench-{}.sqlite", size.invoices));
            std::fs::copy(&from, &path).unwrap();
            let mut conn = relance_core::open(&path).unwrap();
            if let Ok(address) = std::env::var("RELANCE_BENCH_SERVER") {
                let target = relance_core::store::fresh_server_database(&address).unwrap();
                let start = Instant::now();
                relance_core::backup::move_to_server(&mut conn, &target).unwrap();
                note("move onto the server", target.clone(), start.elapsed());
                let mut server = relance_core::open_server(&target).unwrap();
                dashboard_figures(&mut server, as_of, 7, &mut note);
                return out;
            }
            dashboard_figures(&mut conn, as_of, 7, &mut note);
            return out;
        }
    }
    let mut conn = relance_core::open(&path).unwrap();
    let mut rng = Lcg(42);
    let d = data(size, as_of, &mut rng);
    // `RELANCE_BENCH_KEEP_CSV=DIR`: the generated files kept as DIR/<kind>-<invoices>.csv (to
    // profile an import alone with `relance import`).
    if let Ok(keep) = std::env::var("RELANCE_BENCH_KEEP_CSV") {
        for (kind, csv) in [
            ("customers", &d.customers_csv),
            ("invoices", &d.invoices_csv),
            ("payments", &d.payments_csv),
        ] {
            let to = std::path::Path::new(&keep).join(format!("{kind}-{}.csv", size.invoices));
            std::fs::write(&to, csv).unwrap();
        }
    }
    for (kind, csv, what) in [
        (ImportKind::Customers, &d.customers_csv, "import customers"),
        (ImportKind::Invoices, &d.invoices_csv, "import invoices"),
        (ImportKind::Payments, &d.payments_csv, "import payments"),
    ] {
        let start = Instant::now();
        let report = import::import(&mut conn, kind, csv.as_bytes(), false).unwrap();
        note(what, format!("{} rows", report.rows), start.elapsed());
    }
    drop(d);
    // What the shells do after an import: the imported invoices' wake dates.
    let start = Instant::now();
    let n = relance_core::dunning::wake::refresh(&mut conn, as_of).unwrap();
    note(
        "wake dates computed after the imports",
        format!("{n} open invoices"),
        start.elapsed(),
    );
    let made = contracts(&mut conn, as_of, &mut Lcg(11));
    println!("{made} contracts written");
    // `RELANCE_BENCH_KEEP_IMPORTED=DIR`: the imported ledger kept as DIR/bench-<invoices>.sqlite
    // (to study its queries with the sqlite3 shell).
    if let Ok(keep) = std::env::var("RELANCE_BENCH_KEEP_IMPORTED") {
        keep_ledger(&conn, &path, &keep, size.invoices, "imported");
    }
    // `RELANCE_BENCH_ONLY=import`: the imports alone, at both sizes (to profile them).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("import") {
        return out;
    }
    // `RELANCE_BENCH_ONLY=start`: a first start of a day alone, on the imported ledger.
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("start") {
        drop(start_figures(&path, conn, as_of, &mut note));
        return out;
    }
    // No ANALYZE: the app never gathers SQLite's statistics, so its plans are the
    // planner's own rules and the hints the queries carry; the bench measures those (with
    // statistics it measured other plans than a user's: a letter batch that takes more than
    // 15 minutes on a user's ledger of a million invoices took 6 s here).
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let runs = 7;
    // `RELANCE_BENCH_ONLY=aged`: the aged balance alone, whole and paged (a quick look).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("aged") {
        aged_figures(&conn, as_of, runs, &mut note);
        return out;
    }
    // `RELANCE_BENCH_ONLY=dashboard`: the dashboard screen alone, after the day's refresh of
    // the segments (the habits its forecast reads).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("dashboard") {
        dashboard_figures(&mut conn, as_of, runs, &mut note);
        return out;
    }
    // `RELANCE_BENCH_ONLY=bank-server`: the statement of one line per ten invoices, then the
    // Bank screen's first page on a server copy (kept there, to study its queries).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("bank-server") {
        bank_on_server(&mut conn, size, as_of, runs, &mut note);
        return out;
    }
    let page = |filter, sort, descending| InvoiceQuery {
        filter,
        sort,
        descending,
        limit: 100,
        ..Default::default()
    };
    for (what, q) in [
        (
            "invoice list, first 100 open by due date",
            page(InvoiceFilter::Open, InvoiceSort::DueDate, false),
        ),
        (
            "invoice list, first 100 open by amount due",
            page(InvoiceFilter::Open, InvoiceSort::Amount, true),
        ),
        (
            "invoice list, first 100 overdue by due date",
            page(InvoiceFilter::Overdue, InvoiceSort::DueDate, false),
        ),
    ] {
        let (t, p) = time(runs, || invoices::list(&conn, &q, as_of).unwrap());
        note(what, format!("of {}", p.total), t);
    }
    for (what, sort, descending) in [
        (
            "customer list, first 100 by name",
            CustomerSort::Name,
            false,
        ),
        (
            "customer list, first 100 by overdue amount",
            CustomerSort::Overdue,
            true,
        ),
        (
            "customer list, first 100 by outstanding amount",
            CustomerSort::Outstanding,
            true,
        ),
    ] {
        let q = CustomerQuery {
            search: String::new(),
            sort,
            descending,
            limit: 100,
            offset: 0,
            archived: false,
        };
        let (t, p) = time(runs, || customers::list(&conn, &q, as_of).unwrap());
        note(what, format!("of {}", p.total), t);
    }
    for (what, search) in [
        ("contract list, first 50 by signature", ""),
        ("contract search \"Chantier 42\"", "Chantier 42"),
    ] {
        let q = ContractQuery {
            search: search.into(),
            limit: 50,
            offset: 0,
        };
        let (t, p) = time(runs, || {
            relance_core::contracts::list(&conn, &q, as_of).unwrap()
        });
        note(what, format!("of {}", p.total), t);
    }
    let customer = customers::id_by_ref(&conn, "customer", "C00042").unwrap();
    let (t, _) = time(runs, || {
        relance_core::views::customer_page::detail(&conn, customer, as_of).unwrap()
    });
    note("customer page", String::new(), t);
    let invoice: i64 = conn
        .query_row(
            "SELECT id FROM invoices WHERE number = 'F000042'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (t, _) = time(runs, || {
        relance_core::views::invoice_page::detail(&conn, invoice, as_of).unwrap()
    });
    note("invoice page", String::new(), t);
    let (t, _) = time(runs, || {
        relance_core::views::dashboard::dashboard(&conn, as_of).unwrap()
    });
    note("dashboard figures", String::new(), t);
    aged_figures(&conn, as_of, runs, &mut note);
    let (t, actions) = time(3, || relance_core::dunning::agenda(&conn, as_of).unwrap());
    // (the whole derivation, `relance agenda`: Today reads its kept page, measured below)
    note(
        "agenda, the whole derivation (relance agenda)",
        format!("{} actions", actions.len()),
        t,
    );
    // The day's refresh of the payer segments (a shell's first start of the day): what
    // Today's sanction proposals read, with the customers whose facts change after it.
    let start = Instant::now();
    let moved = relance_core::daily::refresh_segments(&mut conn, as_of).unwrap();
    note(
        "daily refresh of the payer segments (a start's)",
        format!("{moved} changed"),
        start.elapsed(),
    );
    // Then, as a start does, the wake dates of the customers whose segment (so scenario)
    // changed: here every customer, seen for the first time.
    let start = Instant::now();
    let n = relance_core::dunning::wake::refresh(&mut conn, as_of).unwrap();
    note(
        "wake dates after the refresh (a start's)",
        format!("{n} open invoices"),
        start.elapsed(),
    );
    // And the customers' name words the bank matcher's narrowed book reads (every customer
    // the first time; a start after that writes only those added or renamed).
    let start = Instant::now();
    let n = relance_core::bank::book::refresh_words(&mut conn).unwrap();
    note(
        "customers' name words written (a start's, all the first time)",
        format!("{n} customers"),
        start.elapsed(),
    );
    // Today as the start then shows it: the stored segments choose each customer's
    // scenario, so the first refresh can change channels (the batches below act on this).
    let (t, actions) = time(3, || relance_core::dunning::agenda(&conn, as_of).unwrap());
    note(
        "agenda, the whole derivation, after the start's refreshes",
        format!("{} actions", actions.len()),
        t,
    );
    // Then, as a start does, the day's actions kept for Today: what each page of Today then
    // counts, sums and cuts from an index.
    let start = Instant::now();
    let n = relance_core::dunning::kept::refresh(&mut conn, as_of).unwrap();
    note(
        "actions kept for Today (a start's)",
        format!("{n} actions"),
        start.elapsed(),
    );
    assert!(relance_core::dunning::kept::serves(&conn, as_of).unwrap());
    // `RELANCE_BENCH_ONLY=act`: from the start's keeping straight to the clicks and the bulk
    // done, skip and snooze (to profile them), without the screens and batches between.
    let only_act = std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("act");
    if !only_act {
        let (t, derived) = time(3, || {
            relance_core::dunning::derived_sections(&conn, as_of, &Default::default()).unwrap()
        });
        note(
            "Today's sections with the backlog, derived whole (nothing kept)",
            format!("{} actions", derived.iter().map(|s| s.count).sum::<usize>()),
            t,
        );
        // What the window receives of that backlog: each section's first page, every action
        // counted and summed (the whole agenda was sent, and drawn, before Today was paged),
        // read through the kept actions.
        let (t, sections) = time(3, || relance_core::dunning::today(&conn, as_of).unwrap());
        assert_eq!(
            serde_json::to_string(&sections).unwrap(),
            serde_json::to_string(&derived).unwrap()
        );
        let sent = serde_json::to_vec(&sections).unwrap().len();
        let whole = serde_json::to_vec(&actions).unwrap().len();
        note(
            "Today's sections with the backlog (a page each)",
            format!(
                "{} of {} actions sent: {} KB, the whole agenda {} KB",
                sections.iter().map(|s| s.actions.len()).sum::<usize>(),
                sections.iter().map(|s| s.count).sum::<usize>(),
                sent / 1024,
                whole / 1024
            ),
            t,
        );
        // The same backlog grouped by the customers' payer segment (the Today screen's other
        // view): derived whole, then read through the kept actions (each kept with its
        // customer's stored segment) and the day's refresh of the segments.
        let ui = relance_core::settings::ui_language(&conn);
        let (t, derived) = time(3, || {
            relance_core::views::today::derived_by_segment(&conn, as_of, ui, &Default::default())
                .unwrap()
        });
        note(
            "Today grouped by segment with the backlog, derived whole (nothing kept)",
            format!("{} groups", derived.len()),
            t,
        );
        let (t, groups) = time(3, || {
            relance_core::views::today::by_segment(&conn, as_of, ui, &Default::default()).unwrap()
        });
        assert_eq!(
            serde_json::to_string(&groups).unwrap(),
            serde_json::to_string(&derived).unwrap()
        );
        note(
            "Today grouped by segment with the backlog (a page each)",
            format!(
                "{} groups, {} of {} actions sent",
                groups.len(),
                groups.iter().map(|g| g.actions.len()).sum::<usize>(),
                groups.iter().map(|g| g.count).sum::<usize>(),
            ),
            t,
        );
        // The screens as a morning opens them, after the start's refreshes: the dashboard
        // (its forecast reads the habits the refresh stored) and Today's sanction proposals.
        let (t, _) = time(3, || {
            relance_core::views::overview::overview(&conn, as_of, relance_core::Lang::Fr).unwrap()
        });
        note("dashboard screen", String::new(), t);
        let (t, page) = time(3, || {
            relance_core::views::segments::sanctions_page(&conn, as_of, relance_core::Lang::Fr, 50)
                .unwrap()
        });
        note(
            "Today: sanction proposals after the refresh (first 50, counted)",
            format!("{} at risk", page.total),
            t,
        );
        // The Customers screen filtered by a segment: its first page, through the refresh.
        for segment in [
            relance_core::views::segments::Segment::GoodPayer,
            relance_core::views::segments::Segment::New,
        ] {
            let (t, p) = time(3, || {
                relance_core::views::segments::in_segment(&conn, as_of, ui, segment, 0, 50).unwrap()
            });
            note(
                &format!(
                    "customer list, first 50 of a segment ({}) after the refresh",
                    segment.code()
                ),
                format!("of {}", p.total),
                t,
            );
        }

        // Batches from Today: one in a hundred actions as letters, one in a hundred as e-mail
        // drafts (each batch its own transaction: compose, PDF, archive, journal).
        let of_channel = |letter: bool| -> Vec<String> {
            use relance_core::dunning::scenarios::Channel;
            let mut ids: Vec<String> = actions
                .iter()
                .filter(|a| !a.invoices.is_empty())
                .filter(|a| {
                    relance_core::documents::archive::letter_kind_of(a.kind).is_some()
                        && (a.channel == Channel::Email) != letter
                })
                .map(|a| a.id.clone())
                .collect();
            ids.truncate(actions.len() / 100);
            ids
        };
        company(&conn);
        let letters = of_channel(true);
        let start = Instant::now();
        let made = relance_core::documents::archive::prepare(
            &mut conn,
            as_of,
            Some(&letters),
            &mut |_, _, _| Ok(()),
        )
        .unwrap();
        note(
            "letters from Today in one batch",
            format!("{} letters", made.len()),
            start.elapsed(),
        );
        conn.execute(
            "UPDATE customers SET email = lower(reference) || '@example.com' WHERE email = ''",
            [],
        )
        .unwrap();
        let emails = of_channel(false);
        let start = Instant::now();
        let batch = relance_core::documents::email::prepare(
            &mut conn,
            as_of,
            Some(&emails),
            None,
            0,
            relance_core::Lang::Fr,
            &mut |_, _, _| Ok(()),
        )
        .unwrap();
        note(
            "e-mail drafts from Today in one batch",
            format!("{} drafts", batch.prepared.len()),
            start.elapsed(),
        );
        // The documents' lists (no screen lists the whole archive): a customer's history as
        // its page shows it (the journal, each letter and e-mail linked to its document,
        // the first 200), their archived documents (`relance doc documents list`), and an
        // invoice's history; each for the one with the most entries.
        let most = |table: &str, key: &str| -> (i64, i64) {
            conn.query_row(
                &format!(
                    "SELECT {key}, COUNT(*) FROM {table} WHERE {key} IS NOT NULL GROUP BY {key}
                     ORDER BY COUNT(*) DESC, {key} LIMIT 1"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        let (customer, entries) = most("journal", "customer_id");
        let (t, _) = time(runs, || {
            relance_core::journal::for_customer(&conn, customer, 200).unwrap()
        });
        note(
            "customer history, first 200 (documents linked)",
            format!("of {entries}"),
            t,
        );
        let (customer, _) = most("documents", "customer_id");
        let (t, docs) = time(runs, || {
            relance_core::documents::archive::for_customer(&conn, customer).unwrap()
        });
        note(
            "customer's archived documents",
            format!("{} documents", docs.len()),
            t,
        );
        let (invoice, entries) = most("journal_invoices", "invoice_id");
        let (t, _) = time(runs, || {
            relance_core::journal::for_invoice(&conn, invoice, 200).unwrap()
        });
        note(
            "invoice history, first 200 (documents linked)",
            format!("of {entries}"),
            t,
        );
    }
    // A click on Today: one action marked done (three of them, the median), from Today as
    // it stands after the batches.
    let clicks: Vec<StdDuration> = relance_core::dunning::agenda(&conn, as_of)
        .unwrap()
        .iter()
        .rev()
        .take(3)
        .map(|a| {
            let start = Instant::now();
            relance_core::dunning::act(
                &mut conn,
                as_of,
                std::slice::from_ref(&a.id),
                &relance_core::dunning::Act::Done {
                    note: String::new(),
                },
            )
            .unwrap();
            start.elapsed()
        })
        .collect();
    note(
        "marking one action of Today done (a click)",
        String::new(),
        median(clicks),
    );
    // The rest of the agenda: a third done, a third skipped, a third snoozed, each in one
    // transaction.
    let rest: Vec<String> = relance_core::dunning::agenda(&conn, as_of)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let third = rest.len() / 3;
    for (what, ids, act) in [
        (
            "marking a third of Today's actions done",
            &rest[..third],
            relance_core::dunning::Act::Done {
                note: String::new(),
            },
        ),
        (
            "skipping a third",
            &rest[third..2 * third],
            relance_core::dunning::Act::Skip {
                reason: "bench".into(),
            },
        ),
        (
            "snoozing the last third",
            &rest[2 * third..],
            relance_core::dunning::Act::Snooze {
                until: (as_of + Duration::days(7)).to_string(),
                note: String::new(),
            },
        ),
    ] {
        let start = Instant::now();
        relance_core::dunning::act(&mut conn, as_of, ids, &act).unwrap();
        note(what, format!("{} actions", ids.len()), start.elapsed());
    }
    if only_act {
        return out;
    }
    let (t, after) = time(3, || relance_core::dunning::agenda(&conn, as_of).unwrap());
    note(
        "agenda again, nothing left to do",
        format!("{} actions", after.len()),
        t,
    );
    // The next days: what the wake dates bring back (snoozes end, steps come due).
    for days in [1, 7] {
        let day = as_of + chrono::Duration::days(days);
        let (t, next) = time(3, || relance_core::dunning::agenda(&conn, day).unwrap());
        note(
            &format!("agenda {days} day(s) later"),
            format!("{} actions", next.len()),
            t,
        );
    }
    // Every read the Today screen makes when it opens (the app runs them together; here
    // one after the other): the agenda's sections, the headline figures, contract alerts,
    // sanction proposals, penalty overcharges, the bank summary; then the Customers
    // screen's segment filter, Today grouped by segment, and the whole list of payer
    // segments (the `relance report segments` export; Today grouped by segment reads it
    // whole only where its kept actions do not serve).
    let lang = relance_core::Lang::Fr;
    let proposals = relance_core::views::segments::sanctions(&conn, as_of, lang)
        .unwrap()
        .len();
    // The customers the day's work (letters, e-mails, actions done) changed since the
    // refresh: by a reminder done, computed again by the payer segments only (migration
    // 44), and only those whose stored rule reads reminders and whose reminders may move
    // them (migration 52); by any other fact, by both readings.
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let changed = count("SELECT COUNT(*) FROM segment_dirty");
    let reminded = count(
        "SELECT COUNT(*) FROM segment_reminded r
          WHERE NOT EXISTS (SELECT 1 FROM segment_dirty d WHERE d.customer_id = r.customer_id)",
    );
    let reminder_rules = count(&format!(
        "SELECT COUNT(*) FROM segment_reminded r JOIN customer_segments s USING (customer_id)
          WHERE s.rule_code IN ({})
            AND NOT EXISTS (SELECT 1 FROM segment_dirty d WHERE d.customer_id = r.customer_id)",
        relance_core::views::segments::reminder_rules_sql()
    ));
    // Of those, the ones whose reminders may move them (migration 52: computed again; the
    // others keep their stored segment, their rule's words computed for the rows shown).
    let may_move = count(&format!(
        "SELECT COUNT(*) FROM segment_reminded r JOIN customer_segments s USING (customer_id)
          WHERE s.rule_code IN ({})
            AND EXISTS (SELECT 1 FROM segment_reminder_moves v WHERE v.customer_id = r.customer_id)
            AND NOT EXISTS (SELECT 1 FROM segment_dirty d WHERE d.customer_id = r.customer_id)",
        relance_core::views::segments::reminder_rules_sql()
    ));
    for (what, read) in [
        (
            "Today: sections",
            Box::new(|c: &relance_core::Connection| {
                drop(relance_core::dunning::today(c, as_of).unwrap())
            }) as Box<dyn Fn(&relance_core::Connection)>,
        ),
        (
            "Today: headline figures",
            Box::new(|c: &relance_core::Connection| {
                drop(relance_core::views::dashboard::dashboard(c, as_of).unwrap())
            }),
        ),
        (
            "Today: contract alerts",
            Box::new(|c: &relance_core::Connection| {
                drop(relance_core::contracts::alerts(c, as_of).unwrap())
            }),
        ),
        (
            "Today: sanction proposals (first 50, counted)",
            Box::new(move |c: &relance_core::Connection| {
                drop(relance_core::views::segments::sanctions_page(c, as_of, lang, 50).unwrap())
            }),
        ),
        (
            "sanction proposals, all (relance sanctions, not Today)",
            Box::new(move |c: &relance_core::Connection| {
                drop(relance_core::views::segments::sanctions(c, as_of, lang).unwrap())
            }),
        ),
        (
            "Today: penalty overcharges",
            Box::new(|c: &relance_core::Connection| {
                drop(relance_core::interest::overcharges(c).unwrap())
            }),
        ),
        (
            "Today: bank summary",
            Box::new(|c: &relance_core::Connection| {
                drop(relance_core::bank::store::summary(c, as_of).unwrap())
            }),
        ),
        (
            "customer list, first 50 good payers after the day's work",
            Box::new(move |c: &relance_core::Connection| {
                drop(
                    relance_core::views::segments::in_segment(
                        c,
                        as_of,
                        relance_core::settings::ui_language(c),
                        relance_core::views::segments::Segment::GoodPayer,
                        0,
                        50,
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "customer list, first 50 forgetful after the day's work",
            Box::new(move |c: &relance_core::Connection| {
                drop(
                    relance_core::views::segments::in_segment(
                        c,
                        as_of,
                        relance_core::settings::ui_language(c),
                        relance_core::views::segments::Segment::Forgetful,
                        0,
                        50,
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "Today: grouped by segment",
            Box::new(move |c: &relance_core::Connection| {
                drop(
                    relance_core::views::today::by_segment(
                        c,
                        as_of,
                        relance_core::settings::ui_language(c),
                        &Default::default(),
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "every payer segment (relance report segments, not Today)",
            Box::new(move |c: &relance_core::Connection| {
                drop(relance_core::views::segments::current(c, as_of, lang).unwrap())
            }),
        ),
        (
            "dashboard screen after the day's work",
            Box::new(move |c: &relance_core::Connection| {
                drop(relance_core::views::overview::overview(c, as_of, lang).unwrap())
            }),
        ),
    ] {
        let (t, ()) = time(3, || read(&conn));
        let detail = match what {
            "Today: sanction proposals (first 50, counted)"
            | "sanction proposals, all (relance sanctions, not Today)"
            | "every payer segment (relance report segments, not Today)"
            | "Today: grouped by segment"
            | "customer list, first 50 good payers after the day's work"
            | "customer list, first 50 forgetful after the day's work" => {
                format!(
                    "{proposals} customers at risk; since the day's refresh {changed} changed, \
                 {reminded} reminded only, {reminder_rules} of them under a rule reading reminders, \
                 {may_move} of those by a reminder that may move them"
                )
            }
            _ => String::new(),
        };
        note(what, detail, t);
    }
    let start = Instant::now();
    let csv = import::export(&conn, ImportKind::Invoices, as_of).unwrap();
    note(
        "export of the invoices (CSV)",
        format!("{:.0} MB", csv.len() as f64 / 1e6),
        start.elapsed(),
    );
    let snap = dir.path().join("snapshot.sqlite");
    let start = Instant::now();
    let s = relance_core::backup::backup_now(&conn, &path, Some(&snap)).unwrap();
    note(
        "backup (online API, check, fsync)",
        format!("{:.0} MB", s.size_bytes as f64 / 1e6),
        start.elapsed(),
    );
    // The Bank screen after a statement of one line per ten invoices (10,000 | 100,000),
    // its sure matches applied on import: the rest waits for the owner (partial payments
    // proposed, unknown payers); a first page of each group, a later page of the matched
    // ones, and the whole list as `relance bank lines` prints it.
    let open: Vec<(String, i64)> = conn
        .prepare("SELECT number, total_minor - settled_minor FROM invoices WHERE settled_minor < total_minor ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let camt = statement(&open, size.invoices / 10, as_of, &mut Lcg(5));
    drop(open);
    let start = Instant::now();
    let report = relance_core::bank::store::import(
        &mut conn,
        vec![("bench.xml".to_string(), camt.into_bytes())],
        relance_core::bank::store::Options {
            apply_sure: true,
            ..Default::default()
        },
        relance_core::Lang::Fr,
        as_of,
    )
    .unwrap();
    note(
        "bank statement imported, sure matches applied",
        format!("{} lines, {} payments", report.lines, report.applied),
        start.elapsed(),
    );
    {
        use relance_core::bank::store::{self as bank, Group, PageAsk};
        let first = [Group::Sure, Group::Proposed, Group::Unmatched]
            .map(|group| PageAsk { group, offset: 0 });
        let (t, got) = time(runs, || {
            bank::groups(&conn, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        let counts: Vec<String> = got
            .iter()
            .map(|g| format!("{:?} {}", g.group, g.total))
            .collect();
        note(
            "Bank screen: first page of each group waiting",
            counts.join(", "),
            t,
        );
        let later = [PageAsk {
            group: Group::Matched,
            offset: 500,
        }];
        let (t, _) = time(runs, || {
            bank::groups(&conn, &later, 50, None, relance_core::Lang::Fr).unwrap()
        });
        note("Bank screen: a page of the matched lines", String::new(), t);
        // A reviewed statement: all but 50 of the lines waiting set aside (as the owner's
        // "not a customer payment" does, one statement here): what a first page costs is then
        // the book of the ledger the 50 are proposed against, and the decided groups' pages.
        conn.execute(
            "UPDATE bank_lines SET ignored = 'bench' WHERE id IN (SELECT id FROM bank_lines
               WHERE payment_id IS NULL AND ignored IS NULL AND amount_minor > 0
               ORDER BY id LIMIT (SELECT COUNT(*) - 50 FROM bank_lines
                                  WHERE payment_id IS NULL AND ignored IS NULL AND amount_minor > 0))",
            [],
        )
        .unwrap();
        let (t, got) = time(runs, || {
            bank::groups(&conn, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        let counts: Vec<String> = got
            .iter()
            .map(|g| format!("{:?} {}", g.group, g.total))
            .collect();
        note(
            "Bank screen: first page of each group, 50 lines waiting",
            counts.join(", "),
            t,
        );
        // The same once the next start has folded what changed (the lines set aside): their
        // groups read from what is kept.
        let start = Instant::now();
        let folded = relance_core::bank::kept::fold(&mut conn).unwrap();
        note(
            "bank lines' kept groups folded at a start",
            format!("{folded} lines proposed again"),
            start.elapsed(),
        );
        let (t, _) = time(runs, || {
            bank::groups(&conn, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        note(
            "Bank screen: first page of each group, 50 lines waiting, folded",
            String::new(),
            t,
        );
        let (t, all) = time(3, || {
            bank::lines(&conn, None, relance_core::Lang::Fr).unwrap()
        });
        note(
            "bank lines, the whole list (relance bank lines)",
            format!("{} lines", all.len()),
            t,
        );
    }
    // The next morning's statement, 30 lines: its import reads the book those lines ask for
    // (through the invoice numbers' index), not the whole ledger's.
    let (report, took) = day_statement(&mut conn, as_of + Duration::days(1), 9);
    note(
        "bank statement of a day imported (30 lines), sure matches applied",
        format!(
            "{} payments, {} already known",
            report.applied, report.duplicates
        ),
        took,
    );
    // The next day's first start (last: it moves the day the stored segments serve): the refresh of every customer's segment as a morning
    // pays it (the first one above also wrote every row for the first time).
    let next_day = as_of + Duration::days(1);
    let start = Instant::now();
    let moved = relance_core::daily::refresh_segments(&mut conn, next_day).unwrap();
    note(
        "daily refresh of the payer segments, the next day",
        format!("{moved} changed"),
        start.elapsed(),
    );
    let mut conn = start_figures(&path, conn, as_of, &mut note);
    // `RELANCE_BENCH_KEEP_WORKED=DIR`: the ledger after the day's work, just before it moves
    // onto the server, kept as DIR/bench-<invoices>.sqlite (read again by
    // `RELANCE_BENCH_REUSE=DIR` with `RELANCE_BENCH_ONLY=dashboard`).
    if let Ok(keep) = std::env::var("RELANCE_BENCH_KEEP_WORKED") {
        keep_ledger(&conn, &path, &keep, size.invoices, "worked");
    }
    // Last: the ledger moves onto the server (a file moved opens no more).
    for (what, file, on_server) in server(&mut conn, as_of) {
        if let Some(file) = file {
            note(&format!("file: {what}"), String::new(), file);
        }
        note(&format!("server: {what}"), String::new(), on_server);
    }
    out
}

/// A whole first start of a day, two days after the bench's day (`RELANCE_BENCH_ONLY=start`:
/// right after the imports, to look at it alone).
fn start_figures(
    path: &std::path::Path,
    conn: relance_core::Connection,
    as_of: NaiveDate,
    note: &mut dyn FnMut(&str, String, StdDuration),
) -> relance_core::Connection {
    // A whole first start of a day: the window's, which shows once the ledger is open, then
    // runs the day's refreshes (its first reads waiting for them) and takes the day's
    // snapshot on a connection of its own (here timed one after the other), and the CLI's,
    // which takes the snapshot first.
    drop(conn);
    let place = relance_core::store::Place::File(path.to_path_buf());
    let day = as_of + Duration::days(2);
    let start = Instant::now();
    let (mut conn, warning) = relance_core::open_at(&place).unwrap();
    assert!(warning.is_none());
    note(
        "a window's first start of a day, until it shows",
        String::new(),
        start.elapsed(),
    );
    let start = Instant::now();
    assert!(relance_core::refresh_start(&mut conn, day).is_none());
    note(
        "the day's refreshes, the window showing (its first reads wait)",
        String::new(),
        start.elapsed(),
    );
    let start = Instant::now();
    let snap = relance_core::backup::daily_apart(path, day).unwrap();
    assert!(snap.is_some());
    note(
        "the day's snapshot, taken apart (copy, check, fsync)",
        String::new(),
        start.elapsed(),
    );
    drop(conn);
    let start = Instant::now();
    let (conn, warning) = relance_core::start_with(
        &place,
        day + Duration::days(1),
        relance_core::DailySnapshot::First,
    )
    .unwrap();
    assert!(warning.is_none());
    note(
        "a CLI's first start of a day (the snapshot first, then the refreshes)",
        String::new(),
        start.elapsed(),
    );
    conn
}

fn main() {
    if std::env::var_os("RELANCE_BENCH_LARGE").is_some() {
        growth();
        return;
    }
    // First, before anything else grows the process: the peak memory of a 50 MB statement,
    // read from its file as the shells read it (the file's own bytes included), measured
    // from a reset high-water mark for each step (parsed; imported as a dry run; imported
    // for real into a ledger file).
    {
        let open: Vec<(String, i64)> = (0..1000)
            .map(|i| (format!("F{i:06}"), 10_000 + i))
            .collect();
        let mut rng = Lcg(7);
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let per_line = statement(&open, 1000, day, &mut rng).len() / 1000;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big.xml");
        std::fs::write(
            &file,
            statement(&open, 50_000_000 / per_line.max(1), day, &mut rng),
        )
        .unwrap();
        let size = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;
        let before = reset_peak();
        let bytes = std::fs::read(&file).unwrap();
        let parsed = relance_core::bank::parse(&bytes, &[]).unwrap();
        println!(
            "a {size:.1} MB camt.053 ({} lines) read and parsed: peak resident memory {:.0} MB (was {before:.0} MB before reading it)",
            parsed.statements[0].lines.len(),
            peak_mb(),
        );
        drop((parsed, bytes));
        // Into a ledger file, as the app and the CLI import (an in-memory database would
        // count the whole ledger as the process's memory).
        for dry_run in [false, true] {
            // Each into a ledger of its own (the dry run would otherwise find every line
            // known).
            let mut conn =
                relance_core::open(&dir.path().join(format!("big-{dry_run}.sqlite"))).unwrap();
            let before = reset_peak();
            let t = Instant::now();
            let r = relance_core::bank::store::import(
                &mut conn,
                vec![("big.xml".to_string(), std::fs::read(&file).unwrap())],
                relance_core::bank::store::Options {
                    dry_run,
                    ..Default::default()
                },
                relance_core::Lang::Fr,
                day,
            )
            .unwrap();
            println!(
                "the same file imported ({}, {} lines matched and counted in {}): peak resident memory {:.0} MB (was {before:.0} MB before reading it)",
                if dry_run { "dry run" } else { "for real, every line written" },
                r.sure_count + r.proposed_count + r.unmatched_count,
                ms(t.elapsed()),
                peak_mb()
            );
        }
    }

    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite");
    let mut conn = relance_core::open(&path).unwrap();
    let mut rng = Lcg(42);

    let Data {
        customers_csv,
        invoices_csv,
        payments_csv,
        paid,
    } = data(&USUAL, as_of, &mut rng);
    println!(
        "Relance scale benchmark: {CUSTOMERS} customers, {INVOICES} invoices, {paid} payments"
    );
    for (kind, csv) in [
        (ImportKind::Customers, &customers_csv),
        (ImportKind::Invoices, &invoices_csv),
        (ImportKind::Payments, &payments_csv),
    ] {
        let start = Instant::now();
        let report = import::import(&mut conn, kind, csv.as_bytes(), false).unwrap();
        println!(
            "import {:<10} {:>7} rows  {:>10}  ({:.1} MB CSV)",
            format!("{kind:?}").to_lowercase(),
            report.rows,
            ms(start.elapsed()),
            csv.len() as f64 / 1e6
        );
    }
    let start = Instant::now();
    let n = relance_core::dunning::wake::refresh(&mut conn, as_of).unwrap();
    println!(
        "wake dates of {n} open invoices computed after the imports: {}",
        ms(start.elapsed())
    );
    let made = contracts(&mut conn, as_of, &mut Lcg(11));
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    // `RELANCE_BENCH_ONLY=bank`: the statement figures alone, on the same ledger (to profile).
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("bank") {
        bank(&mut conn, as_of, &mut rng);
        return;
    }
    // `RELANCE_BENCH_ONLY=server`: the shared-ledger figures alone.
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("server") {
        server(&mut conn, as_of);
        return;
    }
    // `RELANCE_BENCH_ONLY=einvoice`: the invoices written and issued, alone.
    if std::env::var("RELANCE_BENCH_ONLY").as_deref() == Ok("einvoice") {
        einvoice(&mut conn, as_of);
        einvoice_import(&mut conn, as_of);
        return;
    }

    let runs = 31;
    let open_first_100 = InvoiceQuery {
        filter: InvoiceFilter::Open,
        sort: InvoiceSort::DueDate,
        limit: 100,
        ..Default::default()
    };
    let (t, page) = time(runs, || {
        invoices::list(&conn, &open_first_100, as_of).unwrap()
    });
    println!(
        "invoice list: first 100 open by due date (of {} open)   median {}",
        page.total,
        ms(t)
    );
    let overdue = InvoiceQuery {
        filter: InvoiceFilter::Overdue,
        ..open_first_100.clone()
    };
    let (t, page) = time(runs, || invoices::list(&conn, &overdue, as_of).unwrap());
    println!(
        "invoice list: first 100 overdue by due date (of {} overdue)   median {}",
        page.total,
        ms(t)
    );
    let by_amount = InvoiceQuery {
        sort: InvoiceSort::Amount,
        descending: true,
        ..open_first_100.clone()
    };
    let (t, _) = time(runs, || invoices::list(&conn, &by_amount, as_of).unwrap());
    println!(
        "invoice list: first 100 open by amount due   median {}",
        ms(t)
    );

    // The same first page computed without the settled cache, from allocations and credit notes.
    let (t, n) = time(11, || {
        let mut stmt = conn
            .prepare_cached(
                "SELECT i.id, i.total_minor
                   - COALESCE((SELECT SUM(amount_minor) FROM allocations a WHERE a.invoice_id = i.id), 0)
                   - COALESCE((SELECT SUM(amount_minor) FROM credit_notes c WHERE c.invoice_id = i.id), 0) AS bal
                 FROM invoices i WHERE bal > 0 ORDER BY i.due_date LIMIT 100",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count()
    });
    println!(
        "  (same page derived without the settled cache: {n} rows, median {})",
        ms(t)
    );

    let q = |sort, descending, limit| CustomerQuery {
        search: String::new(),
        sort,
        descending,
        limit,
        offset: 0,
        archived: false,
    };
    let (t, page) = time(runs, || {
        customers::list(&conn, &q(CustomerSort::Name, false, 100), as_of).unwrap()
    });
    println!(
        "customer list: first 100 by name with outstanding/overdue (of {})   median {}",
        page.total,
        ms(t)
    );
    let (t, _) = time(runs, || {
        customers::list(&conn, &q(CustomerSort::Overdue, true, 100), as_of).unwrap()
    });
    println!(
        "customer list: first 100 by overdue amount   median {}",
        ms(t)
    );
    let (t, page) = time(11, || {
        customers::list(&conn, &q(CustomerSort::Name, false, 10_000), as_of).unwrap()
    });
    println!(
        "customer list: all {} customers with totals   median {}",
        page.rows.len(),
        ms(t)
    );
    let search = CustomerQuery {
        search: "Client 42".into(),
        ..q(CustomerSort::Name, false, 100)
    };
    let (t, page) = time(runs, || customers::list(&conn, &search, as_of).unwrap());
    println!(
        "customer search \"Client 42\" ({} matches)   median {}",
        page.total,
        ms(t)
    );
    for search in ["", "Chantier 42"] {
        let q = ContractQuery {
            search: search.into(),
            limit: 50,
            offset: 0,
        };
        let (t, page) = time(runs, || {
            relance_core::contracts::list(&conn, &q, as_of).unwrap()
        });
        println!(
            "contract list: first 50 by signature, search \"{search}\" (of {} of {made})   median {}",
            page.total,
            ms(t)
        );
    }
    let (t, n) = time(5, || {
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.id, SUM(i.total_minor
                   - COALESCE((SELECT SUM(amount_minor) FROM allocations a WHERE a.invoice_id = i.id), 0)
                   - COALESCE((SELECT SUM(amount_minor) FROM credit_notes n WHERE n.invoice_id = i.id), 0)) AS open
                 FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id
                 GROUP BY c.id ORDER BY open DESC LIMIT 100",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count()
    });
    println!(
        "  (customers by outstanding derived without the settled cache: {n} rows, median {})",
        ms(t)
    );
    let (t, _) = time(runs, || {
        relance_core::views::dashboard::dashboard(&conn, as_of).unwrap()
    });
    println!("dashboard figures   median {}", ms(t));
    let (t, aged) = time(runs, || {
        relance_core::views::aged::aged_balance(&conn, as_of, None).unwrap()
    });
    println!(
        "aged balance: {} customers, total {}   median {}",
        aged.rows.len(),
        aged.totals.total,
        ms(t)
    );
    let (t, all) = time(5, || {
        relance_core::views::profile::profiles(&conn, as_of, relance_core::Lang::Fr).unwrap()
    });
    println!("all {} payer profiles   median {}", all.len(), ms(t));
    let (t, segs) = time(5, || {
        relance_core::views::segments::all(&conn, as_of, relance_core::Lang::Fr).unwrap()
    });
    println!(
        "all {} payer segments (profiles + credit limits)   median {}",
        segs.len(),
        ms(t)
    );
    let (t, _) = time(5, || {
        relance_core::views::overview::overview(&conn, as_of, relance_core::Lang::Fr).unwrap()
    });
    println!("dashboard screen (figures, aged balance, forecast from each customer's habits, top 10, DSO trend)   median {}", ms(t));
    let (t, actions) = time(11, || relance_core::dunning::agenda(&conn, as_of).unwrap());
    let invoices_in: usize = actions.iter().map(|a| a.invoices.len()).sum();
    println!(
        "agenda over {INVOICES} invoices: {} actions covering {invoices_in} invoices   median {}",
        actions.len(),
        ms(t)
    );
    // Today as a start shows it: the day's actions kept, then each section's first page,
    // counted and summed from them.
    let start = Instant::now();
    let kept = relance_core::dunning::kept::refresh(&mut conn, as_of).unwrap();
    println!(
        "actions kept for Today (a start's): {kept} actions   {}",
        ms(start.elapsed())
    );
    let (t, sections) = time(11, || relance_core::dunning::today(&conn, as_of).unwrap());
    println!(
        "Today's sections (a page each) read through them: {} of {} actions   median {}",
        sections.iter().map(|s| s.actions.len()).sum::<usize>(),
        sections.iter().map(|s| s.count).sum::<usize>(),
        ms(t)
    );
    // Mark the whole agenda done (one journal entry per action), then ask again.
    let ids: Vec<String> = actions.iter().map(|a| a.id.clone()).collect();
    let start = Instant::now();
    let done = relance_core::dunning::Act::Done {
        note: String::new(),
    };
    relance_core::dunning::act(&mut conn, as_of, &ids, &done).unwrap();
    println!(
        "marking all {} actions done: {}",
        ids.len(),
        ms(start.elapsed())
    );
    let (t, after) = time(11, || relance_core::dunning::agenda(&conn, as_of).unwrap());
    println!(
        "agenda with that history: {} actions   median {}",
        after.len(),
        ms(t)
    );
    let (t, sections) = time(11, || relance_core::dunning::today(&conn, as_of).unwrap());
    println!(
        "Today's sections with that history: {} actions   median {}",
        sections.iter().map(|s| s.count).sum::<usize>(),
        ms(t)
    );

    // Letters: compose (figures, interest) + layout + PDF with font subsets.
    company(&conn);
    let overdue: Vec<String> = conn
        .prepare("SELECT number FROM invoices WHERE settled_minor < total_minor AND due_date < ?1 ORDER BY due_date LIMIT 1000")
        .unwrap()
        .query_map([as_of.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    use relance_core::documents::letters::{self, LetterKind};
    let one = |number: &str, kind| {
        letters::render(&letters::compose(&conn, kind, number, as_of).unwrap()).unwrap()
    };
    let (t, bytes) = time(21, || one(&overdue[0], LetterKind::FormalDemand));
    println!(
        "one formal demand (compose + interest + PDF): median {}, {} KB",
        ms(t),
        bytes.len() / 1024
    );
    let out = dir.path().join("letters");
    std::fs::create_dir_all(&out).unwrap();
    let start = Instant::now();
    for n in &overdue {
        std::fs::write(out.join(format!("{n}.pdf")), one(n, LetterKind::Reminder)).unwrap();
    }
    println!(
        "{} reminders into a folder: {} ({:.2} ms a letter)",
        overdue.len(),
        ms(start.elapsed()),
        start.elapsed().as_secs_f64() * 1000.0 / overdue.len() as f64
    );

    // E-mail drafts: 500 customers' reminders, each an .eml with its letter attached
    // (compose, PDF, archive, journal, MIME), written to a folder as the shells do.
    conn.execute(
        "UPDATE customers SET email = lower(reference) || '@example.com' WHERE email = ''",
        [],
    )
    .unwrap();
    let firsts: Vec<String> = conn
        .prepare(
            "SELECT MIN(number) FROM invoices WHERE settled_minor < total_minor AND due_date < ?1
             GROUP BY customer_id LIMIT 500",
        )
        .unwrap()
        .query_map([as_of.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let out = dir.path().join("drafts");
    std::fs::create_dir_all(&out).unwrap();
    let (mut worst, mut eml_total, mut pdf_total) = (0f64, 0usize, 0i64);
    let start = Instant::now();
    for n in &firsts {
        let mut staged = None;
        let d = relance_core::documents::email::draft(
            &mut conn,
            LetterKind::Reminder,
            n,
            as_of,
            0,
            &mut |tx, eml| {
                let file = out.join(format!("{n}.eml"));
                staged = Some(relance_core::store::stage_output_in(
                    tx, &path, &file, eml, "out",
                )?);
                Ok(())
            },
        )
        .unwrap();
        staged.unwrap().finish_in(&conn).unwrap();
        let pdf = d.document.size_bytes;
        assert!(
            d.eml.len() as f64 <= 1.4 * pdf as f64 + 10240.0,
            "{n}: {} > 1.4 × {pdf} + 10 kB",
            d.eml.len()
        );
        worst = worst.max(d.eml.len() as f64 / pdf as f64);
        eml_total += d.eml.len();
        pdf_total += pdf;
    }
    println!(
        "{} e-mail drafts with the letter attached: {} ({:.2} ms a draft); .eml {:.1} KB on average for a {:.1} KB PDF, at most {:.2} × its PDF",
        firsts.len(),
        ms(start.elapsed()),
        start.elapsed().as_secs_f64() * 1000.0 / firsts.len().max(1) as f64,
        eml_total as f64 / firsts.len().max(1) as f64 / 1024.0,
        pdf_total as f64 / firsts.len().max(1) as f64 / 1024.0,
        worst
    );

    // The cost of synchronous=FULL: one fsync per commit, felt on many small writes.
    for mode in ["FULL", "NORMAL"] {
        conn.pragma_update("synchronous", mode).unwrap();
        let start = Instant::now();
        for i in 0..200 {
            let p = relance_core::invoices::payments::PaymentInput {
                customer: format!("C{:05}", i % 100),
                date: as_of.to_string(),
                amount: "1".into(),
                keep_as_credit: true,
                ..Default::default()
            };
            relance_core::invoices::payments::record(&mut conn, &p).unwrap();
        }
        println!(
            "200 payments, one transaction each, synchronous={mode:<6}: {} ({:.2} ms each)",
            ms(start.elapsed()),
            start.elapsed().as_secs_f64() * 1000.0 / 200.0
        );
    }
    conn.pragma_update("synchronous", "FULL").unwrap();

    bank(&mut conn, as_of, &mut rng);
    einvoice(&mut conn, as_of);
    einvoice_import(&mut conn, as_of);

    // Backup and restore of the whole ledger.
    let snap = dir.path().join("snapshot.sqlite");
    let start = Instant::now();
    let s = relance_core::backup::backup_now(&conn, &path, Some(&snap)).unwrap();
    println!(
        "backup (online API, integrity_check, fsync, rename): {}  {:.1} MB",
        ms(start.elapsed()),
        s.size_bytes as f64 / 1e6
    );
    let start = Instant::now();
    relance_core::backup::restore(&mut conn, &path, &snap).unwrap();
    println!(
        "restore (check the file, snapshot the current data, copy in one transaction): {}",
        ms(start.elapsed())
    );

    // Last: it moves the ledger file onto the server (the file is then marked as moved).
    server(&mut conn, as_of);

    drop(conn);
    if let Ok(keep) = std::env::var("RELANCE_BENCH_KEEP") {
        std::fs::copy(&path, &keep).unwrap();
        println!("database kept at {keep}");
    }
    let size: u64 = ["bench.sqlite", "bench.sqlite-wal"]
        .iter()
        .filter_map(|n| std::fs::metadata(dir.path().join(n)).ok())
        .map(|m| m.len())
        .sum();
    println!("database size on disk: {:.1} MB", size as f64 / 1e6);
}

/// A bank statement of 10,000 lines against the 100,000 invoices: read, then matched.
/// An invoice of 20 lines (two VAT rates, discounts) written as a draft, then issued: its
/// number, its Factur-X PDF drawn with the CII XML embedded, both archived, in one
/// transaction; on the 100,000-invoice ledger.
fn einvoice(conn: &mut relance_core::Connection, as_of: NaiveDate) {
    use relance_core::invoices::drafts::{self, DraftInput, DraftLineInput};
    for (k, v) in [
        ("company_name", "Atelier Banc d'Essai"),
        ("address", "1 rue de la Mesure"),
        ("postal_code", "69001"),
        ("city", "Lyon"),
        ("country", "FR"),
        ("siret", "73282932000074"),
        ("vat_number", "FR44732829320"),
        ("iban", "FR7630006000011234567890189"),
    ] {
        relance_core::settings::set(conn, k, v).unwrap();
    }
    relance_core::customers::create(
        conn,
        &relance_core::customers::CustomerInput {
            reference: "BENCH-EINV".into(),
            name: "Client du banc".into(),
            address: "2 quai du Test".into(),
            postal_code: "69002".into(),
            city: "Lyon".into(),
            siren: "552100554".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let input = DraftInput {
        customer: "BENCH-EINV".into(),
        lines: (0..20)
            .map(|i| DraftLineInput {
                description: format!("Prestation n° {i} : conception et suivi"),
                quantity: format!("{}.5", 1 + i % 4),
                unit: "HUR".into(),
                unit_price: format!("{}.{:02}", 40 + i * 3, i * 7 % 100),
                vat_rate: if i % 5 == 0 { "5.5" } else { "20" }.into(),
                discount: if i % 3 == 0 { "10" } else { "" }.into(),
            })
            .collect(),
        ..Default::default()
    };
    let mut size = 0;
    let (t, number) = time(21, || {
        let d = drafts::create(conn, &input).unwrap();
        let (_, number) = relance_core::documents::invoice::issue_draft(conn, d.id, as_of).unwrap();
        size = relance_core::documents::invoice::pdf(conn, &number)
            .unwrap()
            .len();
        number
    });
    println!(
        "a 20-line invoice written and issued as Factur-X (draft, number, PDF/A-3 with its CII, archived; last {number}, {:.0} kB)   median {}",
        size as f64 / 1000.0,
        ms(t)
    );
}

/// 1,000 Factur-X PDFs the owner issued with another ledger (two lines, two rates, numbered
/// EXT…), imported in one batch into the 100,000-invoice ledger: each PDF's XML found and
/// read, its figures checked, its buyer matched by SIREN, then all written with their
/// originals in one transaction. Runs after [`einvoice`] (the company and the customer).
fn einvoice_import(conn: &mut relance_core::Connection, as_of: NaiveDate) {
    use relance_core::import::einvoice::{import, preview, EinvoiceFile};
    use relance_core::invoices::drafts::{self, DraftInput, DraftLineInput};
    let mut other = relance_core::open_in_memory().unwrap();
    let s = relance_core::settings::get(conn).unwrap();
    for (k, v) in [
        ("company_name", s.company_name),
        ("address", s.address),
        ("postal_code", s.postal_code),
        ("city", s.city),
        ("country", s.country),
        ("siret", s.siret),
        ("vat_number", s.vat_number),
        ("iban", s.iban),
        ("invoice_prefix", "EXT".to_string()),
    ] {
        relance_core::settings::set(&other, k, &v).unwrap();
    }
    let customer = relance_core::customers::get_by_ref(conn, "BENCH-EINV").unwrap();
    relance_core::customers::create(&other, &customer.as_input()).unwrap();
    let start = Instant::now();
    let files: Vec<EinvoiceFile> = (0..1000)
        .map(|i| {
            let d = drafts::create(
                &mut other,
                &DraftInput {
                    customer: "BENCH-EINV".into(),
                    lines: vec![
                        DraftLineInput {
                            description: "Conseil".into(),
                            quantity: format!("{}", 1 + i % 7),
                            unit_price: format!("{}.{:02}", 80 + i % 50, i % 100),
                            vat_rate: "20".into(),
                            ..Default::default()
                        },
                        DraftLineInput {
                            description: "Ouvrage".into(),
                            quantity: "1".into(),
                            unit_price: "24.90".into(),
                            vat_rate: "5.5".into(),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                },
            )
            .unwrap();
            let (_, number) =
                relance_core::documents::invoice::issue_draft(&mut other, d.id, as_of).unwrap();
            EinvoiceFile {
                name: format!("{number}.pdf"),
                bytes: relance_core::documents::invoice::pdf(&other, &number).unwrap(),
            }
        })
        .collect();
    let made = start.elapsed();
    let mb = files.iter().map(|f| f.bytes.len()).sum::<usize>() as f64 / 1e6;
    let start = Instant::now();
    let p = preview(conn, &files, relance_core::Lang::En).unwrap();
    let previewed = start.elapsed();
    assert_eq!((p.to_create, p.refused), (1000, 0), "{:?}", p.files.first());
    let start = Instant::now();
    let r = import(conn, &files, false).unwrap();
    let imported = start.elapsed();
    assert_eq!(r.invoices, 1000);
    println!(
        "1,000 Factur-X PDFs ({mb:.0} MB, made in {:.1} s) previewed in {:.2} s, imported into the 100,000-invoice ledger in {:.2} s (aim: under 10 s)",
        made.as_secs_f64(),
        previewed.as_secs_f64(),
        imported.as_secs_f64()
    );
}

fn bank(conn: &mut relance_core::Connection, as_of: NaiveDate, rng: &mut Lcg) {
    // A bank statement of 10,000 lines against the 100,000 invoices: read, then matched
    // (a dry run: nothing written). Four in ten name an open invoice with its exact balance,
    // three in ten pay part of one, the rest are unknown payers.
    let open: Vec<(String, i64)> = conn
        .prepare("SELECT number, total_minor - settled_minor FROM invoices WHERE settled_minor < total_minor ORDER BY id LIMIT 20000")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let camt = statement(&open, 10_000, as_of, rng);
    let (t, parsed) = time(5, || {
        relance_core::bank::parse(camt.as_bytes(), &[]).unwrap()
    });
    println!(
        "camt.053 of {} lines ({:.1} MB) parsed   median {}",
        parsed.statements[0].lines.len(),
        camt.len() as f64 / 1e6,
        ms(t)
    );
    // As a start does: the customers' name words the matcher's narrowed book reads (every
    // customer the first time).
    let start = Instant::now();
    let n = relance_core::bank::book::refresh_words(conn).unwrap();
    println!(
        "customers' name words written (a start's, all {n} the first time)   {}",
        ms(start.elapsed())
    );
    let files = vec![("bench.xml".to_string(), camt.into_bytes())];
    let opts = relance_core::bank::store::Options {
        dry_run: true,
        ..Default::default()
    };
    // Each run takes its own copy of the file, made before the clock starts.
    let mut copies = vec![files.clone(); 3];
    let (t, report) = time(3, || {
        let files = copies.pop().expect("a copy per run");
        relance_core::bank::store::import(conn, files, opts, relance_core::Lang::Fr, as_of).unwrap()
    });
    println!(
        "camt.053 of 10,000 lines parsed and matched against {INVOICES} invoices (dry run: {} sure, {} proposed, {} unmatched)   median {}",
        report.sure_count,
        report.proposed_count,
        report.unmatched_count,
        ms(t)
    );
    // For real, once (the lines are then known): written, returns linked, the sure matches
    // applied as payments, in one transaction.
    let t = Instant::now();
    let report = relance_core::bank::store::import(
        conn,
        files,
        relance_core::bank::store::Options {
            apply_sure: true,
            ..Default::default()
        },
        relance_core::Lang::Fr,
        as_of,
    )
    .unwrap();
    println!(
        "the same 10,000 lines imported for real with the sure matches applied ({} payments)   {}",
        report.applied,
        ms(t.elapsed())
    );
    // The bank screen: every line with its status, payer and proposal (issue 23 asks its
    // first page under 30 ms at a million invoices; it lists them all).
    let (t, lines) = time(3, || {
        relance_core::bank::store::lines(conn, None, relance_core::Lang::Fr).unwrap()
    });
    println!(
        "bank screen: all {} lines with their status and proposals   median {}",
        lines.len(),
        ms(t)
    );
}

/// A day's statement of 30 lines (seeded by `seed`) naming the ledger's latest open invoices,
/// imported on `day` with its sure matches applied: the report and how long the import took.
fn day_statement(
    conn: &mut relance_core::Connection,
    day: NaiveDate,
    seed: u64,
) -> (relance_core::bank::store::ImportReport, StdDuration) {
    let open: Vec<(String, i64)> = conn
        .prepare(
            "SELECT number, total_minor - settled_minor FROM invoices
             WHERE settled_minor < total_minor ORDER BY id DESC LIMIT 5000",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let camt = statement(&open, 30, day, &mut Lcg(seed));
    let start = Instant::now();
    let report = relance_core::bank::store::import(
        conn,
        vec![("day.xml".to_string(), camt.into_bytes())],
        relance_core::bank::store::Options {
            apply_sure: true,
            ..Default::default()
        },
        relance_core::Lang::Fr,
        day,
    )
    .unwrap();
    (report, start.elapsed())
}

/// `RELANCE_BENCH_ONLY=bank-server`: the bank statement of one line per ten invoices, its sure
/// matches applied and all but 50 of the rest set aside, moved onto the server of
/// `RELANCE_BENCH_SERVER`, a day's statement imported there, then the Bank screen's first
/// page of each group (the database is left on the server, its address printed).
fn bank_on_server(
    conn: &mut relance_core::Connection,
    size: &Size,
    as_of: NaiveDate,
    runs: usize,
    note: &mut dyn FnMut(&str, String, StdDuration),
) {
    use relance_core::bank::store::{self as bank, Group, PageAsk};
    let address = std::env::var("RELANCE_BENCH_SERVER").expect("RELANCE_BENCH_SERVER is set");
    let open: Vec<(String, i64)> = conn
        .prepare("SELECT number, total_minor - settled_minor FROM invoices WHERE settled_minor < total_minor ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let camt = statement(&open, size.invoices / 10, as_of, &mut Lcg(5));
    drop(open);
    let start = Instant::now();
    let report = bank::import(
        conn,
        vec![("bench.xml".to_string(), camt.into_bytes())],
        bank::Options {
            apply_sure: true,
            ..Default::default()
        },
        relance_core::Lang::Fr,
        as_of,
    )
    .unwrap();
    note(
        "bank statement imported, sure matches applied",
        format!("{} lines, {} payments", report.lines, report.applied),
        start.elapsed(),
    );
    let applied = report.applied;
    conn.execute(
        "UPDATE bank_lines SET ignored = 'bench' WHERE id IN (SELECT id FROM bank_lines
           WHERE payment_id IS NULL AND ignored IS NULL AND amount_minor > 0
           ORDER BY id LIMIT (SELECT COUNT(*) - 50 FROM bank_lines
                              WHERE payment_id IS NULL AND ignored IS NULL AND amount_minor > 0))",
        [],
    )
    .unwrap();
    relance_core::bank::kept::fold(conn).unwrap();
    // (as the whole bench leaves the file: the next morning's statement imported)
    day_statement(conn, as_of + Duration::days(1), 9);
    let target = relance_core::store::fresh_server_database(&address).unwrap();
    let start = Instant::now();
    relance_core::backup::move_to_server(conn, &target).unwrap();
    note("move onto the server", String::new(), start.elapsed());
    let mut server = relance_core::open_server(&target).unwrap();
    assert!(relance_core::refresh_start(&mut server, as_of).is_none());
    server.execute_batch("ANALYZE").unwrap();
    let (report, took) = day_statement(&mut server, as_of, 11);
    note(
        "on the server: bank statement of a day imported (30 lines)",
        format!("{} payments", report.applied),
        took,
    );
    // `RELANCE_BENCH_LOG_STATEMENTS=1`: every statement of the reads below in the server's
    // log, with its duration (the connection's role must be a superuser).
    if std::env::var_os("RELANCE_BENCH_LOG_STATEMENTS").is_some() {
        server
            .execute_batch("SET log_min_duration_statement = 0")
            .unwrap();
    }
    for group in [Group::Sure, Group::Matched, Group::Ignored] {
        let first = [Group::Sure, Group::Proposed, Group::Unmatched, group]
            .map(|group| PageAsk { group, offset: 0 });
        let (t, got) = time(runs, || {
            bank::groups(&server, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        let counts: Vec<String> = got
            .iter()
            .map(|g| format!("{:?} {}", g.group, g.total))
            .collect();
        note(
            &format!("on the server: Bank screen, first page of each group waiting and {group:?}"),
            counts.join(", "),
            t,
        );
    }
    // Today on the same server (the whole bench's figures come after the day's work).
    let lang = relance_core::settings::ui_language(&server);
    let (t, sections) = time(runs, || {
        relance_core::dunning::today(&server, as_of).unwrap()
    });
    note(
        "on the server: Today's sections (through the kept actions)",
        format!(
            "{} actions",
            sections.iter().map(|s| s.count).sum::<usize>()
        ),
        t,
    );
    let (t, _) = time(runs, || {
        relance_core::views::today::by_segment(&server, as_of, lang, &Default::default()).unwrap()
    });
    note(
        "on the server: Today grouped by segment (through the kept actions)",
        String::new(),
        t,
    );
    let (t, _) = time(runs, || {
        relance_core::views::overview::overview(&server, as_of, lang).unwrap()
    });
    note("on the server: dashboard screen", String::new(), t);
    // The same once the server has done what its autovacuum does after a bulk write (the
    // rows moved in have their visibility map and statistics): the server as a team uses it.
    server.execute_batch("VACUUM ANALYZE").unwrap();
    let (t, _) = time(runs, || {
        relance_core::views::overview::overview(&server, as_of, lang).unwrap()
    });
    note(
        "on the server: dashboard screen, after a VACUUM ANALYZE",
        String::new(),
        t,
    );
    // The big statement's import undone on the server: its payments taken back at once
    // (past the threshold, the balances' trigger aside and caught up once).
    let first_import: i64 = server
        .query_row("SELECT MIN(id) FROM bank_imports", [], |r| r.get(0))
        .unwrap();
    let start = Instant::now();
    let lines =
        bank::undo_import(&mut server, first_import, relance_core::Lang::Fr, as_of).unwrap();
    note(
        "on the server: the statement's import undone",
        format!("{lines} lines, {applied} payments taken back"),
        start.elapsed(),
    );
    println!("server ledger kept at {target}");
}

/// The shared ledger: the same data set moved onto a PostgreSQL server (`relance move`,
/// timed), then the screens' reads on both engines, each as a ratio to the file's. Needs
/// `RELANCE_BENCH_SERVER` (`./dev bench` runs beside a throw-away PostgreSQL and sets it).
fn server(
    conn: &mut relance_core::Connection,
    as_of: NaiveDate,
) -> Vec<(String, Option<StdDuration>, StdDuration)> {
    let Some(address) = std::env::var("RELANCE_BENCH_SERVER")
        .ok()
        .filter(|a| !a.is_empty())
    else {
        println!("shared ledger: skipped (RELANCE_BENCH_SERVER is not set; ./dev bench sets it)");
        return Vec::new();
    };
    type Read<'a> = (&'a str, Box<dyn Fn(&relance_core::Connection) + 'a>);
    // The pages' subjects, read on the file (the move keeps every id): as the file's own
    // figures above, a customer, an invoice, and those with the most history and documents.
    let customer = customers::id_by_ref(conn, "customer", "C00042").unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let invoice = one("SELECT id FROM invoices WHERE number = 'F000042'");
    let most = |table: &str| -> i64 {
        one(&format!(
            "SELECT customer_id FROM {table} WHERE customer_id IS NOT NULL
             GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1"
        ))
    };
    let (historied, documented) = (most("journal"), most("documents"));
    let lang = relance_core::settings::ui_language(conn);
    let reads: Vec<Read> = vec![
        (
            "agenda",
            Box::new(move |c| drop(relance_core::dunning::agenda(c, as_of).unwrap())),
        ),
        (
            "invoice list, first 100 open by due date",
            Box::new(move |c| {
                let q = InvoiceQuery {
                    filter: InvoiceFilter::Open,
                    sort: InvoiceSort::DueDate,
                    limit: 100,
                    ..Default::default()
                };
                drop(invoices::list(c, &q, as_of).unwrap())
            }),
        ),
        (
            "customer list, first 100 by name with totals",
            Box::new(move |c| {
                let q = CustomerQuery {
                    search: String::new(),
                    sort: CustomerSort::Name,
                    descending: false,
                    limit: 100,
                    offset: 0,
                    archived: false,
                };
                drop(customers::list(c, &q, as_of).unwrap())
            }),
        ),
        (
            "aged balance",
            Box::new(move |c| {
                drop(relance_core::views::aged::aged_balance(c, as_of, None).unwrap())
            }),
        ),
        (
            "aged balance, first page (Reports)",
            Box::new(move |c| {
                drop(relance_core::views::aged::aged_page(c, as_of, None, 0, 50).unwrap())
            }),
        ),
        (
            "dashboard figures",
            Box::new(move |c| drop(relance_core::views::dashboard::dashboard(c, as_of).unwrap())),
        ),
        (
            "dashboard screen",
            Box::new(move |c| {
                drop(
                    relance_core::views::overview::overview(c, as_of, relance_core::Lang::Fr)
                        .unwrap(),
                )
            }),
        ),
        (
            "Today's sections (through the kept actions)",
            Box::new(move |c| drop(relance_core::dunning::today(c, as_of).unwrap())),
        ),
        (
            "Today: contract alerts",
            Box::new(move |c| drop(relance_core::contracts::alerts(c, as_of).unwrap())),
        ),
        (
            "Today: sanction proposals (first 50, counted)",
            Box::new(move |c| {
                drop(relance_core::views::segments::sanctions_page(c, as_of, lang, 50).unwrap())
            }),
        ),
        (
            "sanction proposals, all (relance sanctions, not Today)",
            Box::new(move |c| {
                drop(relance_core::views::segments::sanctions(c, as_of, lang).unwrap())
            }),
        ),
        (
            "Today: penalty overcharges",
            Box::new(move |c| drop(relance_core::interest::overcharges(c).unwrap())),
        ),
        (
            "contract list, first 50 by signature",
            Box::new(move |c| {
                let q = ContractQuery {
                    search: String::new(),
                    limit: 50,
                    offset: 0,
                };
                drop(relance_core::contracts::list(c, &q, as_of).unwrap())
            }),
        ),
        (
            "customer page",
            Box::new(move |c| {
                drop(relance_core::views::customer_page::detail(c, customer, as_of).unwrap())
            }),
        ),
        (
            "invoice page",
            Box::new(move |c| {
                drop(relance_core::views::invoice_page::detail(c, invoice, as_of).unwrap())
            }),
        ),
        (
            "customer history, first 200 (documents linked)",
            Box::new(move |c| {
                drop(relance_core::journal::for_customer(c, historied, 200).unwrap())
            }),
        ),
        (
            "customer's archived documents",
            Box::new(move |c| {
                drop(relance_core::documents::archive::for_customer(c, documented).unwrap())
            }),
        ),
        (
            "Today grouped by segment (through the kept actions)",
            Box::new(move |c| {
                let lang = relance_core::settings::ui_language(c);
                drop(
                    relance_core::views::today::by_segment(c, as_of, lang, &Default::default())
                        .unwrap(),
                )
            }),
        ),
        (
            "customer list, first 50 forgetful (through the refresh)",
            Box::new(move |c| {
                let lang = relance_core::settings::ui_language(c);
                drop(
                    relance_core::views::segments::in_segment(
                        c,
                        as_of,
                        lang,
                        relance_core::views::segments::Segment::Forgetful,
                        0,
                        50,
                    )
                    .unwrap(),
                )
            }),
        ),
    ];
    // Both engines read as a start leaves them: the day's segments, wake dates and actions
    // kept (the file's figures were otherwise read without them, the derivation's).
    assert!(relance_core::refresh_start(conn, as_of).is_none());
    let on_file: Vec<StdDuration> = reads.iter().map(|(_, f)| time(11, || f(conn)).0).collect();
    let target = relance_core::store::fresh_server_database(&address).unwrap();
    let start = Instant::now();
    let moved = relance_core::backup::move_to_server(conn, &target).unwrap();
    let rows: i64 = moved.tables.iter().map(|t| t.rows).sum();
    println!(
        "move onto the server (relance move: {rows} rows in {} tables copied and compared, {} balances compared): {}",
        moved.tables.len(),
        moved.balances,
        ms(start.elapsed())
    );
    let mut figures = vec![("move onto the server".to_string(), None, start.elapsed())];
    let mut server = relance_core::open_server(&target).unwrap();
    // As a start on the server would: the day's refreshes (segments, wake dates, actions
    // kept, name words, the Bank screen's groups).
    assert!(relance_core::refresh_start(&mut server, as_of).is_none());
    // (the move vacuumed and analysed the server's tables: PostgreSQL plans with
    // statistics, the file without, see above)
    for ((name, f), file) in reads.iter().zip(on_file) {
        let (t, ()) = time(11, || f(&server));
        println!(
            "on the server: {name}   median {} (file {}: {:.1}x)",
            ms(t),
            ms(file),
            t.as_secs_f64() / file.as_secs_f64().max(1e-9)
        );
        figures.push((name.to_string(), Some(file), t));
    }
    // The bank matcher's book narrowed on the server (its key index in the "C" collation,
    // the customers' name words): a day's statement of 30 lines imported, its sure matches
    // applied, then the Bank screen's first page of each group with what is left waiting.
    let (report, took) = day_statement(&mut server, as_of, 11);
    println!(
        "on the server: bank statement of a day imported (30 lines, {} payments)   {}",
        report.applied,
        ms(took)
    );
    figures.push((
        "bank statement of a day imported (30 lines)".to_string(),
        None,
        took,
    ));
    {
        use relance_core::bank::store::{self as bank, Group, PageAsk};
        let first = [Group::Sure, Group::Proposed, Group::Unmatched]
            .map(|group| PageAsk { group, offset: 0 });
        // `RELANCE_BENCH_LOG_STATEMENTS=1`: this read's statements in the server's log.
        if std::env::var_os("RELANCE_BENCH_LOG_STATEMENTS").is_some() {
            server
                .execute_batch("SET log_min_duration_statement = 0")
                .unwrap();
        }
        let (t, got) = time(11, || {
            bank::groups(&server, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        if std::env::var_os("RELANCE_BENCH_LOG_STATEMENTS").is_some() {
            server
                .execute_batch("SET log_min_duration_statement = -1")
                .unwrap();
        }
        let waiting: u32 = got
            .iter()
            .filter(|g| matches!(g.group, Group::Sure | Group::Proposed | Group::Unmatched))
            .map(|g| g.total)
            .sum();
        println!(
            "on the server: Bank screen, first page of each group ({waiting} lines waiting)   median {}",
            ms(t)
        );
        figures.push((
            "Bank screen: first page of each group, a day's lines waiting".to_string(),
            None,
            t,
        ));
        // 2,000 invoices imported (a row each, as the server's triggers log each one for
        // the bank), then the Bank screen read before any fold maps those changes to the
        // lines they touch, then the fold that keeps them.
        let mut csv = String::from("number,customer_reference,issue_date,due_date,total\n");
        for i in 0..2_000 {
            writeln!(
                csv,
                "SRV{i:05},C{:05},{as_of},{},{}.00",
                i * 7 % 1_000,
                as_of + Duration::days(30),
                100 + i
            )
            .unwrap();
        }
        let start = Instant::now();
        import::import(&mut server, ImportKind::Invoices, csv.as_bytes(), false).unwrap();
        let imported = start.elapsed();
        let (t, _) = time(5, || {
            bank::groups(&server, &first, 50, None, relance_core::Lang::Fr).unwrap()
        });
        let start = Instant::now();
        relance_core::bank::kept::fold(&mut server).unwrap();
        let folded = start.elapsed();
        println!(
            "on the server: 2000 invoices imported {}, then the Bank screen before a fold: median {}, the fold {}",
            ms(imported),
            ms(t),
            ms(folded)
        );
        figures.push((
            "Bank screen after 2000 invoices imported, before a fold".to_string(),
            None,
            t,
        ));
        figures.push((
            "bank fold after 2000 invoices imported".to_string(),
            None,
            folded,
        ));
    }
    figures
}
