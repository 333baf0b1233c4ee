//! Acceptance tests: the real `relance` binary on a temporary database.

mod common;
use common::validate_einvoices;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
    /// The day the last `--as-of` named: commands without one run on it.
    today: std::cell::RefCell<Option<String>>,
    /// With `RELANCE_TEST_SERVER` set (`./dev test` does, in a second pass), the ledger is
    /// a fresh database on that PostgreSQL server, and every command runs with
    /// `--db postgres://…`: the acceptance tests run against both engines.
    server: Option<String>,
}

impl Env {
    fn new() -> Env {
        let server = std::env::var("RELANCE_TEST_SERVER")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| relance_core::store::fresh_server_database(&s).unwrap());
        Env {
            dir: tempfile::tempdir().unwrap(),
            today: std::cell::RefCell::new(None),
            server,
        }
    }
    /// The ledger file (with a server, the file the ledger's local things go beside).
    fn db(&self) -> PathBuf {
        self.dir.path().join("relance.sqlite")
    }
    /// What `--db` names: the server's database, else the file.
    fn ledger(&self) -> std::ffi::OsString {
        match &self.server {
            Some(a) => a.into(),
            None => self.db().into(),
        }
    }
    /// For the tests about the ledger file itself (its snapshots, its restore, the outputs
    /// that would overwrite it): on a server they say so and stop.
    fn file_only(&self, what: &str) -> bool {
        if self.server.is_some() {
            eprintln!("{what}: about a ledger file, skipped on the server");
        }
        self.server.is_some()
    }
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    /// Runs a command on the day it names: with `--as-of D`, today is D (RELANCE_TODAY), as
    /// when the owner runs it that day; a past or future date is tested with `run_env`.
    fn run(&self, args: &[&str]) -> Output {
        if let Some(d) = args
            .iter()
            .position(|a| *a == "--as-of")
            .and_then(|i| args.get(i + 1))
        {
            *self.today.borrow_mut() = Some(d.to_string());
        }
        let day = self.today.borrow().clone();
        match day {
            Some(d) => self.run_env(args, &[("RELANCE_TODAY", &d)]),
            None => self.run_env(args, &[]),
        }
    }
    /// Runs with extra environment variables; RELANCE_DB and RELANCE_TODAY from the caller's
    /// environment never leak in.
    fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .arg("--db")
            .arg(self.ledger())
            .arg("--lang")
            .arg("en")
            .args(args)
            .env_remove("RELANCE_DB")
            .env_remove("RELANCE_TODAY")
            // A server ledger's local things (outputs, undo snapshots) go in the data
            // folder: this test's own, never the account's.
            .env("XDG_DATA_HOME", self.dir.path())
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_then_lists_agree_with_json() {
    let e = Env::new();
    let out = e.ok(&["demo", "--as-of", "2026-11-22"]);
    assert!(out.contains("25 customers"), "{out}");
    let customers = e.json(&[
        "customer",
        "list",
        "--format",
        "json",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(customers.as_array().unwrap().len(), 25);
    let overdue = e.json(&[
        "invoice",
        "list",
        "--filter",
        "overdue",
        "--format",
        "json",
        "--as-of",
        "2026-11-22",
    ]);
    let rows = overdue.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert!(r["balance"].is_string(), "amounts are decimal strings");
        assert_eq!(r["status"], "overdue");
        assert!(r["days_overdue"].as_i64().unwrap() > 0);
        assert!(r["due_date"].as_str().unwrap().len() == 10);
    }
    // Overdue totals per customer equal the sum of overdue invoice balances (in cents).
    let cents = |s: &str| -> i64 { s.replace('.', "").parse().unwrap() };
    let from_invoices: i64 = rows
        .iter()
        .map(|r| cents(r["balance"].as_str().unwrap()))
        .sum();
    let from_customers: i64 = customers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| cents(c["overdue"].as_str().unwrap()))
        .sum();
    assert_eq!(from_invoices, from_customers);
    // Loading the demo twice is refused and changes nothing.
    let again = e.run(&["demo"]);
    assert_eq!(code(&again), 1);
}

#[test]
fn customer_invoice_payment_flow_with_exit_codes() {
    let e = Env::new();
    e.ok(&[
        "customer",
        "add",
        "--reference",
        "ACME",
        "--name",
        "Acme SARL",
        "--email",
        "compta@acme.fr",
    ]);
    let dup = e.run(&["customer", "add", "--reference", "acme", "--name", "Other"]);
    assert_eq!(code(&dup), 1);
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));
    let bad_mail = e.run(&["customer", "add", "--name", "X", "--email", "x@y"]);
    assert_eq!(code(&bad_mail), 1);
    assert!(stderr(&bad_mail).contains("email"));

    let before = e.run(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-03-10",
        "--due-date",
        "2026-03-01",
        "--total",
        "100",
    ]);
    assert_eq!(code(&before), 1);
    assert!(stderr(&before).contains("due_date"));
    for (total, why) in [
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("10.1234", "decimals"),
        ("1,500", "1.50 or 1500"),
        ("1000000000", "at most €999,999,999.99"),
    ] {
        let o = e.run(&[
            "invoice",
            "add",
            "--number",
            "F-1",
            "--customer",
            "ACME",
            "--issue-date",
            "2026-03-10",
            "--total",
            total,
        ]);
        assert_eq!(code(&o), 1, "{total}");
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
    let cur = e.run(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-03-10",
        "--total",
        "5",
        "--currency",
        "EURO",
    ]);
    assert!(stderr(&cur).contains("Unknown currency"));
    e.ok(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "10/03/2026",
        "--total",
        "1 000,00",
    ]);
    let over = e.run(&[
        "payment",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-03-20",
        "--amount",
        "1200",
        "--invoice",
        "F-1",
    ]);
    assert_eq!(code(&over), 1);
    assert!(stderr(&over).contains("keep as customer credit"));
    e.ok(&[
        "payment",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-03-20",
        "--amount",
        "400",
        "--invoice",
        "F-1",
    ]);
    let show = e.json(&[
        "invoice",
        "show",
        "F-1",
        "--format",
        "json",
        "--as-of",
        "2026-03-21",
    ]);
    assert_eq!(show["invoice"]["balance"], "600.00");
    assert_eq!(show["invoice"]["status"], "partially_paid");
    e.ok(&[
        "payment",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-03-25",
        "--amount",
        "700",
        "--keep-as-credit",
    ]);
    let c = e.json(&[
        "customer",
        "show",
        "ACME",
        "--format",
        "json",
        "--as-of",
        "2026-03-26",
    ]);
    assert_eq!(c["credit"][0]["amount"], "100.00");
    assert_eq!(c["invoices"][0]["status"], "paid");
    // A credit note on a fully paid invoice is refused: there is nothing left to reduce.
    let cn = e.run(&[
        "credit-note",
        "add",
        "--invoice",
        "F-1",
        "--amount",
        "1",
        "--date",
        "2026-03-26",
    ]);
    assert_eq!(code(&cn), 1);
    assert!(stderr(&cn).contains("above the open balance (0.00)"));
}

#[test]
fn usage_errors_exit_2_and_help_is_complete() {
    let e = Env::new();
    assert_eq!(code(&e.run(&["frobnicate"])), 2);
    assert_eq!(code(&e.run(&["invoice", "add", "--number", "X"])), 2);
    let help = e.ok(&["--help"]);
    for cmd in [
        "demo",
        "settings",
        "customer",
        "invoice",
        "payment",
        "credit-note",
        "import",
        "export",
    ] {
        assert!(help.contains(cmd), "--help lists {cmd}");
        let sub = e.ok(&[cmd, "--help"]);
        assert!(sub.contains("Usage"), "{cmd} --help");
    }
    let inv = e.ok(&["invoice", "add", "--help"]);
    for flag in [
        "--number",
        "--customer",
        "--issue-date",
        "--due-date",
        "--total",
        "--net",
        "--currency",
        "--reference",
        "--notes",
    ] {
        assert!(inv.contains(flag), "invoice add --help documents {flag}");
    }
}

#[test]
fn settings_show_and_set() {
    let e = Env::new();
    e.ok(&["settings", "set", "company_name", "Atelier Lumen"]);
    e.ok(&[
        "settings",
        "set",
        "iban",
        "FR76 3000 6000 0112 3456 7890 189",
    ]);
    let bad = e.run(&["settings", "set", "iban", "FR76 0000"]);
    assert_eq!(code(&bad), 1);
    let unknown = e.run(&["settings", "set", "colour", "blue"]);
    assert_eq!(code(&unknown), 1);
    let s = e.json(&["settings", "show", "--format", "json"]);
    assert_eq!(s["company_name"], "Atelier Lumen");
    assert_eq!(s["iban"], "FR7630006000011234567890189");
}

fn import(e: &Env, kind: &str, path: &Path, dry: bool) -> Output {
    let p = path.to_str().unwrap();
    if dry {
        e.run(&["import", kind, p, "--dry-run"])
    } else {
        e.run(&["import", kind, p])
    }
}

#[test]
fn csv_import_all_or_nothing_and_export_round_trip() {
    let e = Env::new();
    let customers = e.file(
        "c.csv",
        "reference;name;kind;email\nACME;Acme;business;a@acme.fr\nDUP;Jean Dupont;individual;\n",
    );
    assert_eq!(code(&import(&e, "customers", &customers, true)), 0);
    assert_eq!(
        e.json(&["customer", "list", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(code(&import(&e, "customers", &customers, false)), 0);
    let bad = e.file(
        "i.csv",
        "number,customer_reference,issue_date,due_date,total\nF-1,ACME,2026-01-15,2026-02-14,100\nF-2,GHOST,2026-01-15,2026-02-14,100\nF-3,ACME,31/02/2026,2026-03-14,100\n",
    );
    let o = import(&e, "invoices", &bad, false);
    assert_eq!(code(&o), 1);
    let msg = stderr(&o);
    assert!(msg.contains("line 3") && msg.contains("GHOST"), "{msg}");
    assert!(
        msg.contains("line 4") && msg.contains("issue_date"),
        "{msg}"
    );
    assert_eq!(
        e.json(&["invoice", "list", "--filter", "all", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let binary = e.dir.path().join("x.csv");
    std::fs::write(&binary, [0x89u8, b'P', b'N', b'G', 0, 0, 1]).unwrap();
    assert!(stderr(&import(&e, "invoices", &binary, false)).contains("not a text"));
    let empty = e.file("empty.csv", "");
    assert!(stderr(&import(&e, "invoices", &empty, false)).contains("empty"));

    let good = e.file("g.csv", "number,customer_reference,issue_date,due_date,total\nF-1,ACME,2026-01-15,2026-02-14,100.50\n");
    assert_eq!(code(&import(&e, "invoices", &good, false)), 0);
    let pays = e.file(
        "p.csv",
        "customer_reference,date,amount,invoice_number\nACME,2026-02-01,50,F-1\n",
    );
    assert_eq!(code(&import(&e, "payments", &pays, false)), 0);
    for kind in ["customers", "invoices", "payments"] {
        let out = e.dir.path().join(format!("{kind}.out.csv"));
        e.ok(&["export", kind, "--out", out.to_str().unwrap()]);
    }
    // Re-import the exports into a fresh database: same balances.
    let f = Env::new();
    for kind in ["customers", "invoices", "payments"] {
        let p = e.dir.path().join(format!("{kind}.out.csv"));
        assert_eq!(
            code(&import(&f, kind, &p, false)),
            0,
            "{kind}: {}",
            stderr(&import(&f, kind, &p, true))
        );
    }
    let a = e.json(&[
        "invoice",
        "list",
        "--filter",
        "all",
        "--format",
        "json",
        "--as-of",
        "2026-03-01",
    ]);
    let b = f.json(&[
        "invoice",
        "list",
        "--filter",
        "all",
        "--format",
        "json",
        "--as-of",
        "2026-03-01",
    ]);
    assert_eq!(a[0]["balance"], b[0]["balance"]);
    assert_eq!(a[0]["balance"], "50.50");
}

#[test]
fn agenda_json_and_acting_on_it() {
    let e = Env::new();
    e.ok(&["demo", "--as-of", "2026-11-22"]);
    let agenda = e.json(&["agenda", "--as-of", "2026-11-22", "--format", "json"]);
    let actions = agenda.as_array().unwrap();
    assert!(!actions.is_empty(), "the demo leaves a week of catch-up");
    let kinds = [
        "courtesy",
        "reminder",
        "call",
        "final_notice",
        "formal_demand",
        "promise_broken",
        "statement",
    ];
    for a in actions {
        assert!(a["customer"].is_string());
        assert!(kinds.contains(&a["kind"].as_str().unwrap()), "{a}");
        assert!(a["channel"].is_string() && a["step"].is_string());
        assert!(a["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.is_string()));
        assert!(a["amount"].is_string(), "amounts are decimal strings");
        assert!(a["days_overdue"].is_i64());
    }
    // Marking one done removes it from the agenda and adds a history entry.
    let first = actions[0]["id"].as_str().unwrap().to_string();
    let customer = actions[0]["customer"].as_str().unwrap().to_string();
    // Run as the system account "alice" (no name in Settings): the history names her.
    let o = e.run_env(
        &[
            "action",
            "done",
            &first,
            "--as-of",
            "2026-11-22",
            "--note",
            "Sent",
        ],
        &[("USER", "alice"), ("LOGNAME", "alice")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let after = e.json(&["agenda", "--as-of", "2026-11-22", "--format", "json"]);
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != first.as_str()));
    let history = e.json(&["history", "--customer", &customer, "--format", "json"]);
    assert_eq!(history[0]["kind"], "action_done");
    assert_eq!(history[0]["note"], "Sent");
    // On a file, the system account; on a server, the database role logged in (the
    // test server's is PGUSER, else postgres), whatever the system account.
    let role = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
    let expected = if e.server.is_some() {
        role.as_str()
    } else {
        "alice"
    };
    assert_eq!(history[0]["actor"], expected, "{history}");
    // A name set in Settings is who the history names from then on (on a file: on a
    // server the settings are the team's, and the role names who did it).
    e.ok(&["settings", "set", "user_name", "Marie"]);
    let second = actions[1]["id"].as_str().unwrap().to_string();
    let whose = actions[1]["customer"].as_str().unwrap().to_string();
    e.ok(&["action", "done", &second, "--as-of", "2026-11-22"]);
    let history = e.json(&["history", "--customer", &whose, "--format", "json"]);
    let expected = if e.server.is_some() {
        role.as_str()
    } else {
        "Marie"
    };
    assert_eq!(history[0]["actor"], expected, "{history}");
    let table = e.ok(&["history", "--customer", &whose]);
    assert!(table.contains(expected), "{table}");
    // Acting on an action that is not on the agenda is refused.
    let o = e.run(&["action", "done", &first, "--as-of", "2026-11-22"]);
    assert_eq!(code(&o), 1);
    // Snoozing to a past date is refused.
    if let Some(second) = after.as_array().unwrap().first() {
        let id = second["id"].as_str().unwrap();
        let o = e.run(&[
            "action",
            "snooze",
            id,
            "--as-of",
            "2026-11-22",
            "--until",
            "2026-11-01",
        ]);
        assert_eq!(code(&o), 1);
        assert!(stderr(&o).contains("past"), "{}", stderr(&o));
    }
}

#[test]
fn promises_and_disputes_from_the_cli() {
    let e = Env::new();
    e.ok(&["customer", "add", "--reference", "ACME", "--name", "Acme"]);
    e.ok(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-01-01",
        "--due-date",
        "2026-01-31",
        "--total",
        "500",
    ]);
    e.ok(&[
        "invoice",
        "add",
        "--number",
        "F-2",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-01-01",
        "--due-date",
        "2026-01-31",
        "--total",
        "300",
    ]);
    let a = e.json(&["agenda", "--as-of", "2026-02-03", "--format", "json"]);
    assert_eq!(a[0]["id"], "ACME/reminder/email");
    assert_eq!(a[0]["amount"], "800.00");
    let past = e.run(&[
        "promise",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-02-01",
        "--as-of",
        "2026-02-03",
    ]);
    assert_eq!(code(&past), 1);
    let above = e.run(&[
        "promise",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-02-10",
        "--amount",
        "900",
        "--as-of",
        "2026-02-03",
    ]);
    assert_eq!(code(&above), 1);
    e.ok(&[
        "promise",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-02-10",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-02-03",
    ]);
    let a = e.json(&["agenda", "--as-of", "2026-02-03", "--format", "json"]);
    assert_eq!(
        a[0]["invoices"],
        serde_json::json!(["F-2"]),
        "the promised invoice left the agenda"
    );
    e.ok(&[
        "dispute",
        "open",
        "--invoice",
        "F-2",
        "--category",
        "wrong_price",
        "--as-of",
        "2026-02-03",
    ]);
    assert!(e
        .json(&["agenda", "--as-of", "2026-02-03", "--format", "json"])
        .as_array()
        .unwrap()
        .is_empty());
    let disputes = e.json(&[
        "dispute",
        "list",
        "--as-of",
        "2026-02-10",
        "--format",
        "json",
    ]);
    assert_eq!(disputes[0]["age_days"], 7);
    e.ok(&[
        "payment",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-02-05",
        "--amount",
        "500",
        "--invoice",
        "F-1",
    ]);
    let d = disputes[0]["id"].as_i64().unwrap().to_string();
    e.ok(&[
        "dispute",
        "resolve",
        &d,
        "--resolution",
        "credit-note",
        "--amount",
        "100",
        "--as-of",
        "2026-02-11",
    ]);
    let inv = e.json(&[
        "invoice",
        "show",
        "F-2",
        "--format",
        "json",
        "--as-of",
        "2026-02-11",
    ]);
    assert_eq!(inv["invoice"]["balance"], "200.00");
    let promises = e.json(&[
        "promise",
        "list",
        "--as-of",
        "2026-02-11",
        "--format",
        "json",
    ]);
    assert_eq!(promises[0]["status"], "kept");
    let paid_dispute = e.run(&["dispute", "open", "--invoice", "F-1", "--category", "other"]);
    assert_eq!(code(&paid_dispute), 1);
}

#[test]
fn today_is_relance_today_as_in_the_app() {
    let e = Env::new();
    e.ok(&["demo", "--as-of", "2026-11-22"]);
    // The app and the CLI read "today" by one rule: RELANCE_TODAY when set.
    let pinned = e.run_env(
        &["agenda", "--format", "json"],
        &[("RELANCE_TODAY", "2027-03-01")],
    );
    assert!(pinned.status.success(), "{}", stderr(&pinned));
    let given = e.ok(&["agenda", "--as-of", "2027-03-01", "--format", "json"]);
    assert_eq!(String::from_utf8(pinned.stdout).unwrap(), given);
    let french = e.run_env(
        &["agenda", "--format", "json"],
        &[("RELANCE_TODAY", "01/03/2027")],
    );
    assert_eq!(String::from_utf8(french.stdout).unwrap(), given);
    // A value that is not a date is refused, never replaced by the computer's date.
    let bad = e.run_env(&["agenda"], &[("RELANCE_TODAY", "tomorrow")]);
    assert_eq!(code(&bad), 1);
    assert!(stderr(&bad).contains("RELANCE_TODAY"), "{}", stderr(&bad));
}

#[test]
fn a_logo_file_is_read_by_the_shell_with_clear_messages() {
    let e = Env::new();
    let missing = e.dir.path().join("nope.png");
    let o = e.run(&["settings", "set", "logo", missing.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("File not found"), "{}", stderr(&o));
    let text = e.file("logo.png", "not an image");
    let o = e.run(&["settings", "set", "logo", text.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("PNG or JPEG"), "{}", stderr(&o));
    let png = e.dir.path().join("ok.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();
    e.ok(&["settings", "set", "logo", png.to_str().unwrap()]);
    let s = e.json(&["settings", "show", "--format", "json"]);
    assert_eq!(s["has_logo"], true);
}

#[test]
fn a_crlf_file_names_the_right_line() {
    let e = Env::new();
    e.ok(&["customer", "add", "--reference", "ACME", "--name", "Acme"]);
    let f = e.file(
        "inv.csv",
        "number,customer_reference,issue_date,due_date,total\r\n\
         F-1,ACME,2026-01-15,2026-02-14,100\r\n\
         F-2,ACME,2026-01-15,2026-01-10,100\r\n",
    );
    let o = import(&e, "invoices", &f, false);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("line 3, due_date"), "{}", stderr(&o));
}

#[test]
fn export_never_overwrites_the_database() {
    let e = Env::new();
    if e.file_only("outputs onto the ledger file") {
        return;
    }
    e.ok(&["customer", "add", "--reference", "ACME", "--name", "Acme"]);
    let db = e.db();
    let wal = format!("{}-wal", db.display());
    let dotted = e.dir.path().join(".").join("relance.sqlite");
    for target in [db.display().to_string(), wal, dotted.display().to_string()] {
        let o = e.run(&["export", "customers", "--out", &target]);
        assert_eq!(code(&o), 1, "{target}");
        assert!(stderr(&o).contains("Relance's database"), "{}", stderr(&o));
    }
    // The database is intact and still answers; a real file is still written.
    assert!(e.ok(&["customer", "list"]).contains("ACME"));
    let out = e.dir.path().join("customers.csv");
    e.ok(&["export", "customers", "--out", out.to_str().unwrap()]);
    assert!(std::fs::read_to_string(out).unwrap().contains("ACME"));
}

/// Backup, list, restore: the whole round trip through the real binary. The restore asks
/// for --yes and says what it replaces; afterwards the data is the snapshot's, and the
/// data just before is itself a snapshot.
#[test]
fn backup_list_and_restore() {
    let env = Env::new();
    if env.file_only("snapshots and restore") {
        return;
    }
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    // The first command of the day took the automatic snapshot (the database was empty
    // before the demo, so that one is taken by the next command).
    let listed = env.json(&["backup", "list", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["kind"], "daily");
    let out = env.dir.path().join("before.sqlite");
    let said = env.ok(&["backup", "--out", out.to_str().unwrap()]);
    assert!(said.contains("25 customers"), "{said}");
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "NEW",
        "--name",
        "New customer",
    ]);
    let refused = env.run(&["restore", out.to_str().unwrap()]);
    assert_eq!(code(&refused), 1);
    let msg = stderr(&refused);
    assert!(
        msg.contains("(26 customers") && msg.contains("(25 customers") && msg.contains("--yes"),
        "{msg}"
    );
    assert_eq!(code(&env.run(&["customer", "show", "NEW"])), 0);
    let done = env.ok(&["restore", out.to_str().unwrap(), "--yes"]);
    assert!(done.contains("25 customers"), "{done}");
    assert_eq!(code(&env.run(&["customer", "show", "NEW"])), 1);
    let kinds: Vec<String> = env
        .json(&["backup", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"before-restore".to_string()), "{kinds:?}");
    // Refusals: the database itself as output, a file that is not a database.
    let db = env.db();
    let o = env.run(&["backup", "--out", db.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = env.file("notes.txt", &"not a database ".repeat(100));
    let o = env.run(&["restore", text.to_str().unwrap(), "--yes"]);
    // A file given to restore from is an input: refusing it is exit 1, as the help says.
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("not a database file"), "{}", stderr(&o));
    let o = env.run(&["restore", "/nonexistent/x.sqlite", "--yes"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
}

/// --db pointing at another program's file or into a folder that does not exist: one
/// line, exit 3, nothing created or changed.
#[test]
fn foreign_database_and_missing_folder_are_refused() {
    let env = Env::new();
    let missing = env.dir.path().join("typo").join("r.sqlite");
    let o = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(["--db", missing.to_str().unwrap(), "--lang", "fr", "agenda"])
        .env_remove("RELANCE_DB")
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("n'existe pas"), "{}", stderr(&o));
    assert!(!env.dir.path().join("typo").exists());
    let foreign = env.file("other.csv", &"a,b\n1,2\n".repeat(300));
    let before = std::fs::read(&foreign).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(["--db", foreign.to_str().unwrap(), "agenda"])
        .env_remove("RELANCE_DB")
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
}

/// `export all`: every table as a file; the three import formats re-import into an empty
/// database and give the same customers, invoices and balances.
#[test]
fn export_all_writes_every_table_and_re_imports() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let dir = env.dir.path().join("export");
    let said = env.ok(&["export", "all", "--out", dir.to_str().unwrap()]);
    assert!(said.contains("files written"), "{said}");
    for name in [
        "customers.csv",
        "invoices.csv",
        "payments.csv",
        "tables/journal.csv",
        "tables/promises.csv",
        "tables/disputes.csv",
        "tables/scenario_steps.csv",
        "tables/settings.csv",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.lines().count() > 1, "{name} is empty");
    }
    // The journal: the header, then one line per entry (the demo writes over a hundred).
    let journal = std::fs::read_to_string(dir.join("tables/journal.csv")).unwrap();
    assert!(journal.starts_with("id,"), "{journal}");
    assert!(journal.lines().count() > 100);
    let other = Env::new();
    for kind in ["customers", "invoices", "payments"] {
        let f = dir.join(format!("{kind}.csv"));
        other.ok(&["import", kind, f.to_str().unwrap()]);
    }
    let a = env.json(&["customer", "list", "--limit", "100", "--format", "json"]);
    let b = other.json(&["customer", "list", "--limit", "100", "--format", "json"]);
    assert_eq!(a.as_array().unwrap().len(), 25);
    assert_eq!(a.as_array().unwrap().len(), b.as_array().unwrap().len());
    for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
        assert_eq!(x["reference"], y["reference"]);
        assert_eq!(x["outstanding"], y["outstanding"], "{}", x["reference"]);
    }
    assert_eq!(code(&env.run(&["export", "all"])), 1);
}

/// `--limit 1000000` was silently cut to 10,000: a script believed it had every row.
#[test]
fn a_page_larger_than_the_maximum_is_refused() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    for list in ["invoice", "customer"] {
        let o = env.run(&[list, "list", "--limit", "1000000"]);
        assert_eq!(code(&o), 1, "{list}");
        assert!(stderr(&o).contains("10000"), "{}", stderr(&o));
    }
    let all = env.json(&[
        "invoice", "list", "--filter", "all", "--limit", "10000", "--format", "json",
    ]);
    assert!(all.as_array().unwrap().len() > 100);
}

/// `relance penalties`: figures computed by hand (1,000 € due 31 March 2026, 30 days late,
/// ECB 2.15 % + 10 = 12.15 %: 9.99 € of interest, 40 € indemnity), the stale-rate warning,
/// and a decision entered with `rates add` taking over (12.00 %: 9.86 €, no warning).
#[test]
fn penalties_with_hand_checked_figures_and_entered_rates() {
    let env = Env::new();
    // A penalty invoice is an invoice Relance issues: the mentions it needs.
    setup_company(&env);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ACME",
        "--name",
        "Acme SARL",
        "--address",
        "3 rue Neuve",
        "--postal-code",
        "44000",
        "--city",
        "Nantes",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-03-01",
        "--due-date",
        "2026-03-31",
        "--total",
        "1000",
    ]);
    let p = env.json(&[
        "penalties",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-04-30",
        "--format",
        "json",
    ]);
    assert_eq!(
        (
            p["interest"].as_str(),
            p["indemnity"].as_str(),
            p["total"].as_str()
        ),
        (Some("9.99"), Some("40.00"), Some("49.99"))
    );
    assert_eq!(p["periods"][0]["days"], 30);
    assert_eq!(p["periods"][0]["rate"], "12.15");
    assert_eq!(p["periods"][0]["base"], "1000.00");
    // The shipped table was checked to February 2026: no warning before six months later,
    // then one naming the series in words and the day it was checked.
    assert!(p["rate_warning"].is_null(), "{p}");
    let later = env.json(&[
        "penalties",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-09-30",
        "--format",
        "json",
    ]);
    let w = later["rate_warning"].as_str().unwrap();
    assert!(
        w.contains("ECB main refinancing rate") && w.contains("2026-02-28"),
        "{w}"
    );
    env.ok(&[
        "rates",
        "add",
        "--series",
        "ecb_mro",
        "--effective",
        "2026-01-01",
        "--rate",
        "2,00",
    ]);
    let p = env.json(&[
        "penalties",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-04-30",
        "--format",
        "json",
    ]);
    assert_eq!(p["interest"], "9.86");
    assert!(p["rate_warning"].is_null(), "{p}");
    // The penalties invoiced: a separate invoice of 9.86 € interest + 40 € indemnity; the same
    // day again has nothing new to charge.
    let said = env.ok(&[
        "penalties",
        "invoice",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-04-30",
    ]);
    assert!(
        said.contains("F2026-0001") && said.contains("49.86 EUR"),
        "{said}"
    );
    let o = env.run(&[
        "penalties",
        "invoice",
        "--invoice",
        "F-1",
        "--as-of",
        "2026-04-30",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = env.run(&[
        "rates",
        "add",
        "--series",
        "libor",
        "--effective",
        "2026-01-01",
        "--rate",
        "2",
    ]);
    assert_eq!(code(&o), 1);
    let o = env.run(&["penalties", "--invoice", "NOPE", "--as-of", "2026-04-30"]);
    assert_eq!(code(&o), 1);
    let o = env.run(&["penalties", "--invoice", "F-1", "--as-of", "2026-02-01"]);
    assert_eq!(code(&o), 1, "before the issue date");
}

fn pdf_text(path: &Path) -> String {
    let o = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by ./dev");
    assert!(o.status.success());
    // Amounts use no-break spaces for grouping: compare with plain spaces.
    String::from_utf8(o.stdout)
        .unwrap()
        .replace(['\u{202f}', '\u{a0}'], " ")
}

fn setup_company(env: &Env) {
    for (k, v) in [
        ("company_name", "Atelier Test"),
        ("address", "1 rue de la Paix"),
        ("postal_code", "75002"),
        ("city", "Paris"),
        ("siret", "73282932000074"),
        ("iban", "FR7630006000011234567890189"),
    ] {
        env.ok(&["settings", "set", k, v]);
    }
}

/// A formal demand as PDF, read back by independent tools: every figure computed by hand is
/// in the text, the recipient too, and the fonts are embedded subsets.
/// 1,000.00 € due 31 March 2026 with 400.00 € paid on 10 April, demand on 30 April:
/// interest 1000 × 12.15 % × 10/365 + 600 × 12.15 % × 20/365 = 7.32; indemnity 40.00;
/// principal 600.00; claimed 647.32; deadline 30 April + 8 days = 8 May 2026.
#[test]
fn a_formal_demand_pdf_holds_the_hand_checked_figures() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ACME",
        "--name",
        "Acme SARL",
        "--address",
        "5 avenue Foch",
        "--postal-code",
        "69006",
        "--city",
        "Lyon",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-03-01",
        "--due-date",
        "2026-03-31",
        "--total",
        "1000",
    ]);
    env.ok(&[
        "payment",
        "add",
        "--customer",
        "ACME",
        "--date",
        "2026-04-10",
        "--amount",
        "400",
        "--invoice",
        "F-1",
    ]);
    let pdf = env.dir.path().join("demand.pdf");
    let said = env.ok(&[
        "letter",
        "--invoice",
        "F-1",
        "--kind",
        "formal-demand",
        "--as-of",
        "2026-04-30",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(said.contains("647.32 EUR"), "{said}");
    let text = pdf_text(&pdf);
    for want in [
        "Lettre recommandée avec accusé de réception",
        "Acme SARL",
        "5 avenue Foch",
        "69006 Lyon",
        "Paris, le 30 avril 2026",
        "mise en demeure de payer",
        "1 000,00 €",
        "400,00 €",
        "600,00 €",
        "7,32 €",
        "40,00 €",
        "647,32 €",
        "au plus tard le 8 mai 2026",
        "article 1344 du Code civil",
        "Page 1/1",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{fonts}");
    for r in rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        // name type... emb sub uni: the three yes columns come right before the object id.
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{r}");
        assert!(cols[0].contains('+'), "a subset name: {r}");
    }
    // What the file says of itself (read by poppler's pdfinfo and raw): a title, the company
    // as author, the invoices as subject, the letter's date, and no PDF/X claim.
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    let field = |k: &str| {
        info.lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{k}:"))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    assert_eq!(field("Title"), "Mise en demeure de payer", "{info}");
    assert_eq!(field("Subject"), "F-1", "{info}");
    assert!(
        !field("Author").is_empty() && field("Author") != "Relance",
        "{info}"
    );
    assert!(field("CreationDate").contains("2026"), "{info}");
    let raw = std::fs::read(&pdf).unwrap();
    assert!(!raw.windows(15).any(|w| w == b"GTS_PDFXVersion"));
    // Archived as sent: listed, its exact bytes returned; the same letter again the same day
    // is the same document, and the history shows it.
    let docs = env.json(&[
        "documents",
        "list",
        "--customer",
        "ACME",
        "--format",
        "json",
    ]);
    assert_eq!(docs.as_array().unwrap().len(), 1, "{docs}");
    assert_eq!(docs[0]["claimed"], "647.32");
    assert_eq!(docs[0]["kind"], "formal_demand");
    let id = docs[0]["id"].to_string();
    let copy = env.dir.path().join("copy.pdf");
    env.ok(&["documents", "get", &id, "--out", copy.to_str().unwrap()]);
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&pdf).unwrap());
    let again = env.ok(&[
        "letter",
        "--invoice",
        "F-1",
        "--kind",
        "formal-demand",
        "--as-of",
        "2026-04-30",
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert!(again.contains("already archived"), "{again}");
    assert_eq!(
        env.json(&[
            "documents",
            "list",
            "--customer",
            "ACME",
            "--format",
            "json"
        ])
        .as_array()
        .unwrap()
        .len(),
        1
    );
    let history = env.json(&["history", "--customer", "ACME", "--format", "json"]);
    assert_eq!(history[0]["kind"], "document_sent", "{history}");
    assert_eq!(history[0]["document_id"].to_string(), id);
    // Refusals: a reminder for an invoice that is not due, a letter for a paid invoice, a
    // customer without an address.
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "F-2",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-04-01",
        "--due-date",
        "2026-05-31",
        "--total",
        "50",
    ]);
    let o = env.run(&[
        "letter",
        "--invoice",
        "F-2",
        "--kind",
        "reminder",
        "--as-of",
        "2026-04-30",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "NOADDR",
        "--name",
        "Sans Adresse",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "F-3",
        "--customer",
        "NOADDR",
        "--issue-date",
        "2026-03-01",
        "--due-date",
        "2026-03-31",
        "--total",
        "50",
    ]);
    let o = env.run(&[
        "letter",
        "--invoice",
        "F-3",
        "--kind",
        "reminder",
        "--as-of",
        "2026-04-30",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("postal address"), "{}", stderr(&o));
}

/// Sixty overdue invoices: the table continues on the next pages with its header repeated,
/// every page says "Page N/M", and every invoice number is in the text once.
#[test]
fn a_long_letter_spans_pages_with_repeated_headers() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "BIG",
        "--name",
        "Big Customer Ltd",
        "--address",
        "10 High Street",
        "--postal-code",
        "SW1A 1AA",
        "--city",
        "London",
        "--language",
        "en",
    ]);
    let mut csv = String::from("number,customer_reference,issue_date,due_date,total\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "INV-{i:03},BIG,2026-01-{:02},2026-02-{:02},{}.25\n",
            1 + i % 28,
            1 + i % 28,
            100 + i
        ));
    }
    let file = env.file("invoices.csv", &csv);
    env.ok(&["import", "invoices", file.to_str().unwrap()]);
    let pdf = env.dir.path().join("reminder.pdf");
    env.ok(&[
        "letter",
        "--invoice",
        "INV-000",
        "--kind",
        "reminder",
        "--as-of",
        "2026-04-01",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let text = pdf_text(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 2, "{} page(s)", pages.len());
    for (i, p) in pages.iter().enumerate() {
        assert!(
            p.contains(&format!("Page {}/{}", i + 1, pages.len())),
            "page {}",
            i + 1
        );
        if p.contains("INV-") {
            assert!(
                p.contains("Invoice") && p.contains("Balance"),
                "header on page {}",
                i + 1
            );
        }
    }
    for i in 0..60 {
        assert_eq!(
            text.matches(&format!("INV-{i:03} ")).count(),
            1,
            "INV-{i:03}"
        );
    }
    // Total: 60 × 100.25 + (0 + … + 59) = 6,015.00 + 1,770.00 = 7,785.00 (English format).
    assert!(text.contains("€7,785.00"), "{text}");
    assert!(text.contains("Subject: reminder of overdue invoices"));
}

/// `letters prepare`: the day's letter actions become PDFs in a folder, archived, and the
/// actions are done; a second run has nothing left to prepare.
#[test]
fn letters_prepare_writes_archives_and_marks_done() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let agenda = env.json(&["agenda", "--as-of", "2026-11-22", "--format", "json"]);
    let letters: Vec<String> = agenda
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            let ch = a["channel"].as_str().unwrap();
            (ch == "letter" || ch == "registered_letter") && a["kind"] != "statement"
        })
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!letters.is_empty(), "the demo has letters to send today");
    let dir = env.dir.path().join("letters");
    let said = env.ok(&[
        "letters",
        "prepare",
        "--as-of",
        "2026-11-22",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let prepared = match letters.len() {
        1 => "1 letter prepared".to_string(),
        n => format!("{n} letters prepared"),
    };
    assert!(said.contains(&prepared), "{said}");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), letters.len());
    for f in &files {
        assert!(pdf_text(f).contains("Page 1/"), "{}", f.display());
    }
    let after = env.json(&["agenda", "--as-of", "2026-11-22", "--format", "json"]);
    for id in &letters {
        assert!(
            after
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["id"] != id.as_str()),
            "{id} still on the agenda"
        );
    }
    let again = env.ok(&[
        "letters",
        "prepare",
        "--as-of",
        "2026-11-22",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(again.contains("0 letters prepared"), "{again}");
    let o = env.run(&[
        "letters",
        "prepare",
        "--as-of",
        "2026-11-22",
        "--out",
        dir.to_str().unwrap(),
        "NOPE/reminder/letter",
    ]);
    assert_eq!(code(&o), 1);
}

/// A statement of 60 open invoices: every item, the header on every page, "Page N/M", and
/// the aged balance computed by hand. As of 2026-04-01, invoice i (100.25 + i €) is due on
/// 2026-02-(1 + i % 28), so 32 to 59 days late: all in "31–60 days". Two more invoices:
/// 10 € due 2026-04-15 (not due) and 20 € due 2025-12-01 (121 days: over 90), 5 € paid.
#[test]
fn a_statement_of_account_ages_every_open_item() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "BIG",
        "--name",
        "Gros Client SA",
        "--address",
        "10 quai Saint-Antoine",
        "--postal-code",
        "69002",
        "--city",
        "Lyon",
    ]);
    let mut csv = String::from("number,customer_reference,issue_date,due_date,total\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "INV-{i:03},BIG,2026-01-{:02},2026-02-{:02},{}.25\n",
            1 + i % 28,
            1 + i % 28,
            100 + i
        ));
    }
    csv.push_str("NEXT-1,BIG,2026-03-15,2026-04-15,10\nOLD-1,BIG,2025-11-01,2025-12-01,20\n");
    let file = env.file("invoices.csv", &csv);
    env.ok(&["import", "invoices", file.to_str().unwrap()]);
    env.ok(&[
        "payment",
        "add",
        "--customer",
        "BIG",
        "--date",
        "2026-01-10",
        "--amount",
        "5",
        "--invoice",
        "OLD-1",
    ]);
    let pdf = env.dir.path().join("statement.pdf");
    let said = env.ok(&[
        "statement",
        "--customer",
        "BIG",
        "--as-of",
        "2026-04-01",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(said.contains("62 open invoices"), "{said}");
    let text = pdf_text(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 2);
    for (i, p) in pages.iter().enumerate() {
        assert!(p.contains(&format!("Page {}/{}", i + 1, pages.len())));
    }
    for i in 0..60 {
        assert_eq!(
            text.matches(&format!("INV-{i:03} ")).count(),
            1,
            "INV-{i:03}"
        );
    }
    // 31–60: 60 × 100.25 + 1,770 = 7,785.00; not due 10.00; over 90: 20 − 5 = 15.00.
    // Balance: 7,785.00 + 10.00 + 15.00 = 7,810.00.
    let line = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("Non échu").contains("10,00 €"), "{}", line("Non échu"));
    assert!(line("1 à 30").contains("0,00 €"));
    assert!(
        line("31 à 60").contains("7 785,00 €"),
        "{}",
        line("31 à 60")
    );
    assert!(line("61 à 90").contains("0,00 €"));
    assert!(
        line("plus de 90").contains("15,00 €"),
        "{}",
        line("plus de 90")
    );
    assert!(
        line("Solde dû").contains("7 810,00 €"),
        "{}",
        line("Solde dû")
    );
    assert!(text.contains("relevé de compte au 1er avril 2026"));
    let docs = env.json(&["documents", "list", "--customer", "BIG", "--format", "json"]);
    assert_eq!(docs[0]["kind"], "statement");
    assert_eq!(docs[0]["claimed"], "7810.00");
}

/// The company's logo is drawn on the letterhead: the PDF holds one image, at its size.
#[test]
fn the_logo_is_on_the_letterhead() {
    let env = Env::new();
    setup_company(&env);
    // A real 4 × 2 PNG (dark blue), not just a PNG signature.
    let png: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00\x00\x02\x08\x02\x00\x00\x00\xf0\xca\xea\x34\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\x90\xb3\xa9\x80\x23\x06\x64\x0e\x00\x52\x9a\x06\x91\x1a\xf2\xaf\xff\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
    let logo = env.dir.path().join("logo.png");
    std::fs::write(&logo, png).unwrap();
    env.ok(&["settings", "set", "logo", logo.to_str().unwrap()]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ACME",
        "--name",
        "Acme SARL",
        "--address",
        "5 avenue Foch",
        "--postal-code",
        "69006",
        "--city",
        "Lyon",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "F-1",
        "--customer",
        "ACME",
        "--issue-date",
        "2026-03-01",
        "--due-date",
        "2026-03-31",
        "--total",
        "1000",
    ]);
    let pdf = env.dir.path().join("reminder.pdf");
    env.ok(&[
        "letter",
        "--invoice",
        "F-1",
        "--kind",
        "reminder",
        "--as-of",
        "2026-04-30",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let o = Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .unwrap();
    let list = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<&str> = list.lines().skip(2).collect();
    assert_eq!(rows.len(), 1, "{list}");
    let cols: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!((cols[3], cols[4]), ("4", "2"), "{list}");
}

/// An e-mail draft read back by an independent parser (Python's `email` package with
/// `policy.default`): no defects, headers decode to the expected text (accents included),
/// multipart/mixed holding multipart/alternative and the PDF, which decodes to the exact
/// archived bytes; no line over 998 octets; the HTML body shows the EPC QR code as an
/// inline image (multipart/related, named by its Content-ID), read back by zbarimg: the
/// letter's amount and payment reference, also quoted in the text. And a mailto link,
/// encoded and short enough.
#[test]
fn an_email_draft_is_a_correct_mime_message() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let eml = env.dir.path().join("demand.eml");
    let said = env.ok(&[
        "email",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--as-of",
        "2026-11-22",
        "--out",
        eml.to_str().unwrap(),
    ]);
    assert!(said.contains("prod@lumieres-electriques.fr"), "{said}");
    let docs = env.json(&[
        "documents",
        "list",
        "--customer",
        "FEST15",
        "--format",
        "json",
    ]);
    let pdf = env.dir.path().join("archived.pdf");
    env.ok(&[
        "documents",
        "get",
        &docs[0]["id"].to_string(),
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let script = r#"
import email, json, sys
from email import policy
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=policy.default)
parts = list(m.walk())
att = [p for p in parts if p.get_content_disposition() == 'attachment']
out = {
  'defects': [str(d) for p in parts for d in p.defects],
  'subject': str(m['subject']), 'to': str(m['to']), 'from': str(m['from']),
  'unsent': str(m['x-unsent']), 'date': m['date'] is not None, 'mid': m['message-id'] is not None,
  'types': [p.get_content_type() for p in parts],
  'filename': att[0].get_filename() if att else None,
  'same_pdf': att[0].get_content() == open(sys.argv[2], 'rb').read() if att else False,
  'text': m.get_body(('plain',)).get_content(),
  'html': m.get_body(('html',)).get_content(),
  'cid': [str(p['content-id']) for p in parts if p.get_content_type() == 'image/png'],
  'inline': [p.get_content_disposition() for p in parts if p.get_content_type() == 'image/png'],
  'longest': max(len(l) for l in raw.split(b'\r\n')),
}
for p in parts:
    if p.get_content_type() == 'image/png':
        open(sys.argv[3], 'wb').write(p.get_content())
print(json.dumps(out))
"#;
    let qr = env.dir.path().join("qr.png");
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&eml)
        .arg(&pdf)
        .arg(&qr)
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["defects"], serde_json::json!([]), "{r}");
    assert_eq!(r["subject"], "Mise en demeure de payer");
    assert_eq!(
        r["to"],
        "Festival Lumières Électriques <prod@lumieres-electriques.fr>"
    );
    assert_eq!(r["from"], "Atelier Lumen <bonjour@atelier-lumen.fr>");
    assert_eq!(r["unsent"], "1");
    assert!(r["date"].as_bool().unwrap() && r["mid"].as_bool().unwrap());
    assert_eq!(
        r["types"],
        serde_json::json!([
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf"
        ])
    );
    // The code in the HTML body: inline, named by the HTML, and what the letter asks for.
    assert_eq!(r["inline"], serde_json::json!(["inline"]));
    let cid = r["cid"][0]
        .as_str()
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>');
    assert!(
        r["html"]
            .as_str()
            .unwrap()
            .contains(&format!("src=\"cid:{cid}\"")),
        "{r}"
    );
    let o = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sbinary"])
        .arg(&qr)
        .output()
        .expect("zbarimg (zbar-tools) is installed by ./dev");
    assert!(o.status.success(), "the e-mail's code is not readable");
    let payload = String::from_utf8(o.stdout).unwrap();
    let fields: Vec<&str> = payload.trim_end_matches('\n').split('\n').collect();
    assert_eq!(&fields[..4], &["BCD", "002", "1", "SCT"], "{payload:?}");
    assert_eq!(fields[6], "FR7630006000011234567890189");
    assert_eq!(fields[7], "EUR2213.11", "the formal demand's total");
    let reference = env.ok(&["reference", "--invoice", "F2026-0136"]);
    assert_eq!(fields[9], reference.trim());
    assert_eq!(r["filename"], "mise-en-demeure-F2026-0136.pdf");
    assert_eq!(r["same_pdf"], true, "the attachment is the archived letter");
    let text = r["text"].as_str().unwrap();
    assert!(
        text.contains("F2026-0136") && text.contains("2\u{202f}213,11\u{a0}€"),
        "{text}"
    );
    let grouped: Vec<String> = reference
        .trim()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(
        text.contains(&format!(
            "Référence de paiement à indiquer\u{a0}: {}",
            grouped.join(" ")
        )),
        "{text}"
    );
    assert!(r["longest"].as_u64().unwrap() <= 998);
    // mailto: encoded, under the limit, subject decodable.
    let link = env.ok(&[
        "mailto",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--as-of",
        "2026-11-22",
    ]);
    let link = link.trim();
    assert!(
        link.starts_with(
            "mailto:prod@lumieres-electriques.fr?subject=Mise%20en%20demeure%20de%20payer&body="
        ),
        "{link}"
    );
    assert!(link.len() <= 2000 && !link.contains(' ') && !link.contains('\n'));
    // A customer without any e-mail address: refused, naming them.
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "NOMAIL",
        "--name",
        "Sans Courriel",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "NM-1",
        "--customer",
        "NOMAIL",
        "--issue-date",
        "2026-09-01",
        "--due-date",
        "2026-10-01",
        "--total",
        "50",
    ]);
    let o = env.run(&[
        "email",
        "--invoice",
        "NM-1",
        "--kind",
        "reminder",
        "--as-of",
        "2026-11-22",
        "--out",
        eml.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("Sans Courriel"), "{}", stderr(&o));
}

/// Every message of a folder, read by Python's `email` package (policy.default): defects,
/// decoded headers, part types, attachment name and whether it is the archived PDF given.
fn parse_emails(pairs: &[(PathBuf, PathBuf)]) -> Vec<serde_json::Value> {
    let script = r#"
import email, json, sys
from email import policy
out = []
for eml, pdf in json.loads(sys.argv[1]):
    raw = open(eml, 'rb').read()
    m = email.message_from_bytes(raw, policy=policy.default)
    parts = list(m.walk())
    att = [p for p in parts if p.get_content_disposition() == 'attachment']
    pdf_bytes = open(pdf, 'rb').read()
    out.append({
      'defects': [str(d) for p in parts for d in p.defects],
      'subject': str(m['subject']), 'to': str(m['to']), 'unsent': str(m['x-unsent']),
      'types': [p.get_content_type() for p in parts],
      'filename': att[0].get_filename() if att else None,
      'same_pdf': att[0].get_content() == pdf_bytes if att else False,
      'eml_size': len(raw), 'pdf_size': len(pdf_bytes),
      'text': m.get_body(('plain',)).get_content(),
      'html': m.get_body(('html',)).get_content(),
      'longest': max(len(l) for l in raw.split(b'\r\n')),
    })
print(json.dumps(out))
"#;
    let arg: Vec<[String; 2]> = pairs
        .iter()
        .map(|(e, p)| [e.display().to_string(), p.display().to_string()])
        .collect();
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(serde_json::to_string(&arg).unwrap())
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn export_reminders_writes_every_draft_and_names_who_was_skipped() {
    let env = Env::new();
    // The demo loaded on 30 November, as it stands on the 22nd.
    let o = env.run_env(
        &["demo", "--as-of", "2026-11-22"],
        &[("RELANCE_TODAY", "2026-11-30")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    *env.today.borrow_mut() = Some("2026-11-30".into());
    // A customer with no e-mail address at all, with an invoice in its courtesy window.
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "NOMAIL",
        "--name",
        "Sans Courriel",
    ]);
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "NM-1",
        "--customer",
        "NOMAIL",
        "--issue-date",
        "2026-11-01",
        "--due-date",
        "2026-12-03",
        "--total",
        "50",
    ]);
    let day = "2026-11-30";
    let agenda = env.json(&["agenda", "--as-of", day, "--format", "json"]);
    let emails: Vec<String> = agenda
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["channel"] == "email")
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(emails.len(), 4, "{emails:?}");
    assert!(emails.contains(&"NOMAIL".to_string()));
    // FEST15's courtesy e-mail is due the day of its formal demand: one message, the
    // formal demand, naming F2026-0147 for information only.
    assert!(!emails.contains(&"FEST15".to_string()), "{emails:?}");
    let fest = agenda
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["customer"] == "FEST15")
        .unwrap();
    assert_eq!(fest["kind"], "formal_demand");
    assert_eq!(fest["invoices"], serde_json::json!(["F2026-0136"]));
    assert_eq!(fest["for_information"], serde_json::json!(["F2026-0147"]));
    let letters = env.dir.path().join("fest");
    env.ok(&[
        "letters",
        "prepare",
        "--as-of",
        day,
        "--out",
        letters.to_str().unwrap(),
        "FEST15/formal_demand/registered_letter",
    ]);
    let text = pdf_text(&letters.join("2026-11-30-FEST15-formal_demand.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Pour information, la facture F2026-0147 du")
            && flat.contains("n'est pas concernée par le présent courrier"),
        "{text}"
    );
    assert_eq!(
        flat.matches("F2026-0147").count(),
        1,
        "named once, in no table or computation: {text}"
    );
    assert!(flat.contains("2 137,53"), "{text}");
    let history = |customer: &str| -> Vec<serde_json::Value> {
        env.json(&["history", "--customer", customer, "--format", "json"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "email_prepared")
            .cloned()
            .collect()
    };
    // A folder that cannot be written: a clear error, nothing logged, nothing done.
    let blocker = env.file("not-a-folder", "x");
    let o = env.run(&[
        "export-reminders",
        "--as-of",
        day,
        "--out",
        blocker.join("drafts").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("Cannot write to"), "{}", stderr(&o));
    assert!(history("ECOL10").is_empty());
    // One customer only.
    let out = env.dir.path().join("drafts");
    let said = env.ok(&[
        "export-reminders",
        "--as-of",
        day,
        "--out",
        out.to_str().unwrap(),
        "--customer",
        "FROM09",
    ]);
    assert!(said.contains("1 e-mail prepared"), "{said}");
    // Then the rest: one line per file, the summary naming the customer skipped and why.
    let batch = env.json(&[
        "export-reminders",
        "--as-of",
        day,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let prepared = batch["prepared"].as_array().unwrap();
    assert_eq!(prepared.len(), 2, "{batch}");
    assert_eq!(batch["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(batch["skipped"][0]["customer"], "NOMAIL");
    assert!(batch["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("\"Sans Courriel\" has no e-mail address"));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "2026-11-30-ECOL10-reminder.eml",
            "2026-11-30-FROM09-courtesy.eml",
            "2026-11-30-SPOR18-courtesy.eml",
            "index.html",
        ]
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("href=\"2026-11-30-ECOL10-reminder.eml\"")
            && index.contains("Sans Courriel")
    );
    // Every message parses cleanly and carries the archived PDF, within 1.4 × PDF + 10 kB.
    let mut pairs = Vec::new();
    for p in prepared {
        let pdf = env.dir.path().join(format!("doc-{}.pdf", p["document_id"]));
        env.ok(&[
            "documents",
            "get",
            &p["document_id"].to_string(),
            "--out",
            pdf.to_str().unwrap(),
        ]);
        pairs.push((out.join(p["file_name"].as_str().unwrap()), pdf));
    }
    let parsed = parse_emails(&pairs);
    for (p, r) in prepared.iter().zip(&parsed) {
        assert_eq!(r["defects"], serde_json::json!([]), "{r}");
        assert_eq!(r["same_pdf"], true, "{}", p["file_name"]);
        assert_eq!(r["unsent"], "1");
        assert!(r["longest"].as_u64().unwrap() <= 998);
        let (eml, pdf) = (
            r["eml_size"].as_f64().unwrap(),
            r["pdf_size"].as_f64().unwrap(),
        );
        assert!(eml <= 1.4 * pdf + 10240.0, "{eml} > 1.4 × {pdf} + 10 kB");
        assert_eq!(r["subject"], p["subject"]);
        assert!(r["html"].as_str().unwrap().contains("<li>"), "{r}");
    }
    let ecol = &parsed[prepared
        .iter()
        .position(|p| p["customer"] == "ECOL10")
        .unwrap()];
    assert_eq!(
        ecol["to"],
        "École de danse Pas de Deux <bureau@pasdedeux.fr>"
    );
    assert_eq!(ecol["subject"], "Relance pour factures échues");
    let text = ecol["text"].as_str().unwrap();
    assert!(
        text.contains("F2026-0144")
            && text.contains("(7 j de retard)")
            && text.contains("9\u{202f}090,65\u{a0}€"),
        "{text}"
    );
    // Logged once each; the actions are done, so a second run prepares nothing and names
    // again the customer still waiting for an address.
    assert_eq!(history("ECOL10").len(), 1);
    let again = env.ok(&[
        "export-reminders",
        "--as-of",
        day,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        again.contains("0 e-mails prepared") && again.contains("Sans Courriel (NOMAIL)"),
        "{again}"
    );
    assert_eq!(history("ECOL10").len(), 1);
    let none = env.ok(&[
        "export-reminders",
        "--as-of",
        day,
        "--out",
        out.to_str().unwrap(),
        "--customer",
        "ECOL10",
    ]);
    assert!(none.contains("No e-mail to prepare"), "{none}");
}

/// A 30/40/30 contract from the command line: the deposit issued at signature, refusals
/// that change nothing, the stage and the final invoice (which deducts both), the PDF read
/// back by pdftotext with every mandatory mention, and the deposit overdue on the agenda.
#[test]
fn a_contract_bills_its_milestones_with_numbered_invoices_and_legal_mentions() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "MUSEE",
        "--name",
        "Musée des Confluences",
        "--address",
        "86 quai Perrache",
        "--postal-code",
        "69002",
        "--city",
        "Lyon",
        "--payment-terms-days",
        "30",
    ]);
    let add = |extra: &[&str]| {
        let mut a = vec![
            "contract",
            "add",
            "--reference",
            "K1",
            "--customer",
            "MUSEE",
            "--total",
            "10000.01",
            "--signed",
            "2026-03-02",
            "--as-of",
            "2026-03-02",
            "--vat-rate",
            "20",
            "--title",
            "Signalétique de l'exposition",
        ];
        a.extend_from_slice(extra);
        env.run(&a)
    };
    // A schedule that does not cover the total: refused with what is missing, nothing saved.
    let o = add(&["--schedule", "30,40,20"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("1000.00 is missing"), "{}", stderr(&o));
    let o = add(&["--schedule", "30,0,70"]);
    assert!(
        stderr(&o).contains("Milestone 2: the amount must be above zero"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        env.json(&["contract", "list", "--format", "json"]),
        serde_json::json!([])
    );
    let o = add(&["--schedule", "30,40,30", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let k: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let amounts: Vec<&str> = k["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["3600.00", "4800.01", "3600.00"]);
    assert_eq!(k["milestones"][0]["invoice"], "F2026-0001");
    // The list searches by the customer's name or the title.
    let found = |search: &str| -> Vec<String> {
        env.json(&["contract", "list", "--search", search, "--format", "json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["reference"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(found("confluences"), ["K1"]);
    assert_eq!(found("signalétique"), ["K1"]);
    assert!(found("Opéra").is_empty());
    let o = env.run(&["contract", "list", "--limit", "10001"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
    // Reaching the final milestone first needs --yes; the stage comes first.
    let o = env.run_env(
        &["milestone", "reach", "K1", "3", "--date", "2026-05-11"],
        &[("RELANCE_TODAY", "2026-05-11")],
    );
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("Milestone not invoiced yet: 2."),
        "{}",
        stderr(&o)
    );
    let o = env.run_env(
        &["milestone", "reach", "K1", "2", "--date", "2026-05-11"],
        &[("RELANCE_TODAY", "2026-05-11")],
    );
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("Invoice F2026-0002 issued: 4800.01 EUR, due 2026-06-10"),
        "{said}"
    );
    assert!(
        said.contains("Work ahead of payment: 3600.00 unpaid"),
        "{said}"
    );
    let o = env.run_env(
        &["milestone", "reach", "K1", "2"],
        &[("RELANCE_TODAY", "2026-05-12")],
    );
    assert!(
        stderr(&o).contains("already invoiced (F2026-0002)"),
        "{}",
        stderr(&o)
    );
    let o = env.run_env(
        &["milestone", "reach", "K1", "3", "--date", "2026-06-15"],
        &[("RELANCE_TODAY", "2026-06-15")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The final invoice's PDF: every mandatory mention, the deductions, the total to pay.
    let pdf = env.dir.path().join("final.pdf");
    env.ok(&[
        "invoice",
        "pdf",
        "F2026-0003",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let text = pdf_text(&pdf);
    for want in [
        "FACTURE DE SOLDE",
        "F2026-0003",
        "Atelier Test",
        "1 rue de la Paix",
        "SIRET 73282932000074",
        "TVA FR44732829320",
        "Musée des Confluences",
        "86 quai Perrache",
        "15/06/2026",
        "15/07/2026",
        "10 000,01 €",
        "Déduction : facture F2026-0001",
        "-3 000,00 €",
        "Déduction : facture F2026-0002",
        "-4 000,01 €",
        "Total HT",
        "3 000,00 €",
        "TVA 20 %",
        "600,00 €",
        "Total TTC à payer",
        "3 600,00 €",
        "Pas d'escompte pour paiement anticipé",
        "indemnité",
        "forfaitaire pour frais de recouvrement de 40 €",
        "L441-10",
        "IBAN FR7630006000011234567890189",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // Issued invoices are printed, recorded ones are not; issued ones cannot be edited.
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "EXT-1",
        "--customer",
        "MUSEE",
        "--issue-date",
        "2026-06-01",
        "--total",
        "10",
    ]);
    let o = env.run(&["invoice", "pdf", "EXT-1", "--out", pdf.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("was issued elsewhere"),
        "{}",
        stderr(&o)
    );
    // The deposit, unpaid, is on the agenda like any invoice once overdue.
    let agenda = env.json(&["agenda", "--as-of", "2026-06-20", "--format", "json"]);
    assert!(
        agenda.as_array().unwrap().iter().any(|a| a["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "F2026-0001")),
        "{agenda}"
    );
    let shown = env.json(&[
        "contract",
        "show",
        "K1",
        "--as-of",
        "2026-06-20",
        "--format",
        "json",
    ]);
    assert_eq!(shown["invoiced"], "12000.01");
    assert_eq!(shown["to_invoice"], "0.00");
    assert_eq!(shown["milestones"][0]["state"], "late");
}

/// The aged balance in JSON, CSV and a second currency: the shape the issue names, totals
/// equal to the open balances, never summed across currencies.
#[test]
fn aged_balance_json_csv_and_currencies() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let a = env.json(&["aged-balance", "--as-of", "2026-11-22", "--format", "json"]);
    assert_eq!(a["as_of"], "2026-11-22");
    assert_eq!(a["currency"], "EUR");
    let keys: Vec<&str> = a["rows"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "customer", "not_due", "d1_30", "d31_60", "d61_90", "over_90", "total",
    ] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    let cents = |v: &serde_json::Value| -> i64 {
        let s = v.as_str().unwrap();
        let (u, c) = s.split_once('.').unwrap();
        u.parse::<i64>().unwrap() * 100 + c.parse::<i64>().unwrap()
    };
    let rows = a["rows"].as_array().unwrap();
    let sum: i64 = rows.iter().map(|r| cents(&r["total"])).sum();
    assert_eq!(sum, cents(&a["totals"]["total"]));
    let dash = env.ok(&[
        "invoice", "list", "--filter", "open", "--format", "json", "--limit", "10000",
    ]);
    let open: serde_json::Value = serde_json::from_str(&dash).unwrap();
    let open_sum: i64 = open
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["currency"] == "EUR")
        .map(|i| cents(&i["balance"]))
        .sum();
    assert_eq!(
        open_sum,
        cents(&a["totals"]["total"]),
        "the aged total is the open balances"
    );
    let csv = env.ok(&["aged-balance", "--as-of", "2026-11-22", "--format", "csv"]);
    let first = csv.lines().next().unwrap();
    assert_eq!(
        first,
        "customer,customer_name,not_due,d1_30,d31_60,d61_90,over_90,total,currency"
    );
    assert!(csv.lines().last().unwrap().starts_with("TOTAL,,"));
    assert_eq!(csv.lines().count(), rows.len() + 2);
    let o = env.run(&["aged-balance", "--currency", "XYZ"]);
    assert_eq!(code(&o), 1);
    // A page of it, as the Reports screen shows: the whole report's rows 3 and 4, its
    // totals and count; a printed page is refused.
    let page = env.json(&[
        "aged-balance",
        "--as-of",
        "2026-11-22",
        "--format",
        "json",
        "--offset",
        "2",
        "--limit",
        "2",
    ]);
    assert_eq!(page["rows"], serde_json::json!(rows[2..4]));
    assert_eq!(page["totals"], a["totals"]);
    assert_eq!(page["count"], rows.len());
    let printed = env.dir.path().join("page.pdf");
    let o = env.run(&[
        "aged-balance",
        "--limit",
        "2",
        "--format",
        "pdf",
        "--out",
        printed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(!printed.exists());
    // As PDF on the letterhead, and by segment with the same total.
    let pdf = env.dir.path().join("aged.pdf");
    env.ok(&[
        "aged-balance",
        "--as-of",
        "2026-11-22",
        "--format",
        "pdf",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let text = pdf_text(&pdf);
    assert!(
        text.contains("Aged balance at 22 November 2026")
            || text.contains("Balance âgée au 22 novembre 2026"),
        "{text}"
    );
    assert!(text.contains("Traiteur Les Saveurs"), "{text}");
    let seg = env.json(&[
        "aged-balance",
        "--as-of",
        "2026-11-22",
        "--format",
        "json",
        "--by-segment",
    ]);
    assert_eq!(seg["totals"]["total"], a["totals"]["total"]);
    // A payer profile: figures with the invoices they came from.
    let p = env.json(&[
        "profile",
        "--customer",
        "TRAI12",
        "--as-of",
        "2026-11-22",
        "--format",
        "json",
    ]);
    assert_eq!(p["customer"], "TRAI12");
    assert!(
        p["weighted_days_late"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 30.0,
        "{p}"
    );
    let overdue: Vec<&str> = p["sources"]["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let aged_row = rows.iter().find(|r| r["customer"] == "TRAI12").unwrap();
    let late = cents(&aged_row["total"]) - cents(&aged_row["not_due"]);
    assert_eq!(cents(&p["overdue"]), late, "{overdue:?}");
    assert!(env.run(&["profile", "--customer", "NOPE"]).status.code() == Some(1));
}

#[test]
fn demo_refuses_a_ledger_with_the_owners_identity_or_data() {
    // The owner's company set: demo data (its SIRET, its IBAN) never goes into that ledger.
    let env = Env::new();
    env.ok(&["settings", "set", "siret", "55210055400005"]);
    let o = env.run(&["demo"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("carries your company's identity")
            && stderr(&o).contains("relance --db demo.sqlite demo"),
        "{}",
        stderr(&o)
    );
    let customers = env.json(&["customer", "list", "--format", "json"]);
    assert_eq!(customers.as_array().unwrap().len(), 0, "nothing written");
    // A ledger with a customer is refused too; an empty one takes the demo.
    let other = Env::new();
    other.ok(&["customer", "add", "--reference", "C1", "--name", "Client"]);
    let o = other.run(&["demo"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("already holds customers or invoices"),
        "{}",
        stderr(&o)
    );
    let fresh = Env::new();
    fresh.ok(&["demo"]);
}

/// Issue 20: a letter carries the payment reference of its invoices and an EPC QR code,
/// read back by an independent decoder (zbarimg, Debian's zbar-tools) and compared field
/// by field; paying with that reference settles the invoices by itself.
#[test]
fn a_letter_carries_an_epc_qr_code_the_bank_reads_back() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let out = env.dir.path().join("demand.pdf");
    env.ok(&[
        "letter",
        "--invoice",
        "F2025-0009",
        "--kind",
        "formal-demand",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = pdf_text(&out);
    // The letter's reference, printed in groups of four: the one allocated for exactly its
    // invoices (one invoice alone has its own, which `relance reference` prints).
    let reference: String = text
        .lines()
        .find_map(|l| l.split("Référence de paiement : ").nth(1))
        .expect("the reference is printed")
        .split_whitespace()
        .collect();
    assert!(reference.starts_with("RF"), "{reference}");
    let own = env
        .ok(&["reference", "--invoice", "F2026-0136"])
        .trim()
        .to_string();
    assert!(
        own.starts_with("RF") && own != reference,
        "{own} {reference}"
    );
    assert_eq!(
        env.ok(&["reference", "--invoice", "F2026-0136"]).trim(),
        own,
        "allocated once"
    );
    // The pages as a scanner sees them, then the code decoded (on the letter's last page).
    let png = env.dir.path().join("page");
    let o = Command::new("pdftoppm")
        .args(["-r", "150", "-png"])
        .arg(&out)
        .arg(&png)
        .output()
        .expect("pdftoppm (poppler-utils) is installed by ./dev");
    assert!(o.status.success());
    let mut pages: Vec<PathBuf> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("page-")
        })
        .collect();
    pages.sort();
    let o = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sbinary"])
        .arg(pages.last().unwrap())
        .output()
        .expect("zbarimg (zbar-tools) is installed by ./dev");
    assert!(
        o.status.success(),
        "no QR code found: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let payload = String::from_utf8(o.stdout).unwrap();
    let fields: Vec<&str> = payload.trim_end_matches('\n').split('\n').collect();
    // The formal demand claims the principal, the interest and the indemnity: the letter's
    // own total, in the code's "EUR" amount.
    let claimed = text
        .lines()
        .find(|l| {
            l.contains("Total réclamé") || l.contains("Total à régler") || l.contains("Total dû")
        })
        .map(|l| {
            l.split_whitespace()
                .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join("")
        })
        .unwrap_or_default()
        .replace(',', ".")
        .replace('€', "");
    assert_eq!(
        &fields[..7],
        &[
            "BCD",
            "002",
            "1",
            "SCT",
            "AGRIFRPP",
            "Atelier Lumen",
            "FR7630006000011234567890189"
        ],
        "{payload:?}"
    );
    assert_eq!(fields[7], format!("EUR{claimed}"), "{payload:?}\n{text}");
    assert_eq!(fields[8], "");
    assert_eq!(fields[9], reference);
    // The customer pays with it: the statement's reference settles the invoice, sure.
    let statement = env.file(
        "releve.xml",
        &format!(
            "<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>\
             <Ntry><Amt Ccy=\"EUR\">{claimed}</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-22</Dt></BookgDt><AcctSvcrRef>QR-1</AcctSvcrRef>\
             <NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>\
             </Stmt></BkToCstmrStmt></Document>"
        ),
    );
    let r = env.json(&[
        "bank",
        "import",
        statement.to_str().unwrap(),
        "--apply-sure",
        "--format",
        "json",
    ]);
    assert_eq!(r["applied"], 1, "{r}");
    let paid = r["sure"][0]["invoices"].as_array().unwrap().clone();
    assert!(paid.contains(&serde_json::json!("F2025-0009")), "{r}");
    assert_eq!(
        r["sure"][0]["reason"],
        format!("payment reference {reference}")
    );
    // An invoice Relance issues (a contract's deposit: 30 % of 3 000 € + 20 % VAT) asks for
    // its total with its own reference.
    env.ok(&[
        "contract",
        "add",
        "--reference",
        "KQR",
        "--customer",
        "BRAS17",
        "--total",
        "3000",
        "--schedule",
        "30,70",
        "--signed",
        "2026-11-22",
        "--vat-rate",
        "20",
    ]);
    let list = env.json(&["invoice", "list", "--format", "json", "--filter", "all"]);
    let deposit = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["issued"] == true && i["reference"] == "KQR")
        .expect("the deposit invoice")["number"]
        .as_str()
        .unwrap()
        .to_string();
    let pdf = env.dir.path().join("deposit.pdf");
    env.ok(&["invoice", "pdf", &deposit, "--out", pdf.to_str().unwrap()]);
    let own = env
        .ok(&["reference", "--invoice", &deposit])
        .trim()
        .to_string();
    let png = env.dir.path().join("deposit");
    assert!(Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .unwrap()
        .success());
    let o = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sbinary"])
        .arg(png.with_extension("png"))
        .output()
        .unwrap();
    assert!(o.status.success(), "no QR code on the invoice");
    let payload = String::from_utf8(o.stdout).unwrap();
    let fields: Vec<&str> = payload.trim_end_matches('\n').split('\n').collect();
    assert_eq!(
        (fields[7], fields[9]),
        ("EUR1080.00", own.as_str()),
        "{payload:?}"
    );
}

/// Issue 20: before a final notice or formal demand, the owner is told when the bank
/// statements imported stop more days ago than Settings allow; never for a reminder, never
/// when no statement was ever imported.
#[test]
fn a_formal_demand_on_old_statements_says_so() {
    let env = Env::new();
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let out = env.dir.path().join("x.pdf");
    let letter = |kind: &str| {
        let o = env.run(&[
            "letter",
            "--invoice",
            "F2025-0009",
            "--kind",
            kind,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    assert!(
        !letter("formal-demand").contains("statements"),
        "never imported"
    );
    let old = env.file(
        "old.xml",
        "<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Ntry><Amt Ccy=\"EUR\">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>OLD-1</AcctSvcrRef></Ntry>\
         </Stmt></BkToCstmrStmt></Document>",
    );
    env.ok(&["bank", "import", old.to_str().unwrap()]);
    let said = letter("final-notice");
    assert!(
        said.contains("the bank statements imported stop on 2026-11-02, 20 days ago"),
        "{said}"
    );
    assert!(!letter("reminder").contains("statements"));
    env.ok(&["settings", "set", "statement_stale_days", "30"]);
    assert!(!letter("formal-demand").contains("statements"));
}

/// Every kind of invoice Relance issues today, as CII at the EN 16931 profile, passes the
/// official Schematron and the Factur-X XSD with no fatal assertion: a contract's deposit
/// and stage invoices (prepayment, 386) and its final invoice (380) at 20 %, an invoice
/// under the franchise en base (category E with its mention), one in pounds. The figures are
/// checked by hand; a total changed by one cent is caught by the validator (BR-CO-15).
#[test]
fn issued_invoices_are_en16931_e_invoices() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "MUSEE",
        "--name",
        "Musée des Confluences & Cie",
        "--address",
        "86 quai Perrache",
        "--postal-code",
        "69002",
        "--city",
        "Lyon",
        "--payment-terms-days",
        "30",
    ]);
    // The buyer's identifiers, added later with `customer edit`: a wrong key is refused and
    // changes nothing, a VAT number of another SIREN too.
    let o = env.run(&["customer", "edit", "MUSEE", "--siren", "552 100 555"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("Invalid SIREN"), "{}", stderr(&o));
    let o = env.run(&[
        "customer",
        "edit",
        "MUSEE",
        "--siren",
        "552 100 554",
        "--vat-number",
        "FR44732829320",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("not the one of SIREN 552100554"),
        "{}",
        stderr(&o)
    );
    env.ok(&[
        "customer",
        "edit",
        "MUSEE",
        "--siren",
        "552 100 554",
        "--vat-number",
        "FR 96 552 100 554",
    ]);
    let shown = env.json(&["customer", "show", "MUSEE", "--format", "json"]);
    assert_eq!(shown["customer"]["siren"], "552100554", "{shown}");
    assert_eq!(shown["customer"]["vat_number"], "FR96552100554");
    assert_eq!(shown["customer"]["city"], "Lyon", "the other fields kept");
    let contract = |reference: &str, extra: &[&str]| {
        let mut a = vec![
            "contract",
            "add",
            "--reference",
            reference,
            "--customer",
            "MUSEE",
            "--signed",
            "2026-03-02",
            "--as-of",
            "2026-03-02",
            "--title",
            "Signalétique de l'exposition",
        ];
        a.extend_from_slice(extra);
        env.ok(&a);
    };
    // 10,000.01 net at 20 %: 30 / 40 / 30 → 3,000.00 + 600.00; 4,000.01 + 800.00 (800.002
    // rounded); 3,000.00 + 600.00.
    contract(
        "K1",
        &[
            "--total",
            "10000.01",
            "--vat-rate",
            "20",
            "--schedule",
            "30,40,30",
        ],
    );
    for m in ["2", "3"] {
        env.ok(&["milestone", "reach", "K1", m, "--date", "2026-03-02"]);
    }
    // The franchise en base: no VAT, its mention.
    contract(
        "K2",
        &[
            "--total",
            "1500",
            "--vat-rate",
            "0",
            "--vat-mention",
            "TVA non applicable, art. 293 B du CGI",
            "--schedule",
            "100",
        ],
    );
    // In pounds: a French company needs the exchange rate (its VAT stated in euros too),
    // refused without it, nothing issued.
    let o = env.run(&[
        "contract",
        "add",
        "--reference",
        "K3",
        "--customer",
        "MUSEE",
        "--signed",
        "2026-03-02",
        "--as-of",
        "2026-03-02",
        "--total",
        "2500",
        "--vat-rate",
        "20",
        "--currency",
        "GBP",
        "--schedule",
        "100",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("exchange rate"), "{}", stderr(&o));
    contract(
        "K3",
        &[
            "--total",
            "2500",
            "--vat-rate",
            "20",
            "--currency",
            "GBP",
            "--exchange-rate",
            "1.165",
            "--schedule",
            "100",
        ],
    );
    let numbers = [
        "F2026-0001",
        "F2026-0002",
        "F2026-0003",
        "F2026-0004",
        "F2026-0005",
    ];
    let files: Vec<PathBuf> = numbers
        .iter()
        .map(|n| {
            let out = env.dir.path().join(format!("{n}.xml"));
            env.ok(&["invoice", "xml", n, "--out", out.to_str().unwrap()]);
            out
        })
        .collect();
    // Each PDF is a Factur-X container whose embedded XML is the same file, byte for byte.
    let pdfs: Vec<PathBuf> = numbers
        .iter()
        .map(|n| {
            let out = env.dir.path().join(format!("{n}.pdf"));
            env.ok(&["invoice", "pdf", n, "--out", out.to_str().unwrap()]);
            out
        })
        .collect();
    let (passed, said) = validate_einvoices(&[files.clone(), pdfs.clone()].concat());
    assert!(passed, "{said}");
    assert_eq!(said.matches("0 fatal").count(), 10, "{said}");
    assert_eq!(
        said.matches("Factur-X container, 0 problems").count(),
        5,
        "{said}"
    );
    // Archived at issue: a reprint after the company's details change is the same bytes.
    let first = std::fs::read(&pdfs[0]).unwrap();
    env.ok(&["settings", "set", "company_name", "Atelier Renommé"]);
    let again = env.dir.path().join("again.pdf");
    env.ok(&[
        "invoice",
        "pdf",
        "F2026-0001",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&again).unwrap(), first);
    // poppler (another independent reader) lists the attachment and every font embedded.
    let listed = Command::new("pdfdetach")
        .arg("-list")
        .arg(&pdfs[0])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("factur-x.xml"),
        "{listed:?}"
    );
    let fonts = Command::new("pdffonts").arg(&pdfs[0]).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(fonts.lines().skip(2).count() >= 1, "{fonts}");
    for l in fonts.lines().skip(2) {
        assert!(l.contains(" yes yes yes "), "not embedded: {l}");
    }
    let xml = |i: usize| std::fs::read_to_string(&files[i]).unwrap();
    let has = |i: usize, what: &str| {
        let x = xml(i);
        assert!(x.contains(what), "{} lacks {what}:\n{x}", numbers[i]);
    };
    // Deposit and stage: prepayment invoices; the final one a commercial invoice.
    has(0, "<ram:TypeCode>386</ram:TypeCode>");
    has(1, "<ram:TypeCode>386</ram:TypeCode>");
    has(2, "<ram:TypeCode>380</ram:TypeCode>");
    has(0, "<ram:GrandTotalAmount>3600.00</ram:GrandTotalAmount>");
    has(1, "<ram:BasisAmount>4000.01</ram:BasisAmount>");
    has(
        1,
        "<ram:TaxTotalAmount currencyID=\"EUR\">800.00</ram:TaxTotalAmount>",
    );
    has(1, "<ram:DuePayableAmount>4800.01</ram:DuePayableAmount>");
    has(0, "<ram:ID schemeID=\"0002\">732829320</ram:ID>");
    has(0, "<ram:ID schemeID=\"VA\">FR44732829320</ram:ID>");
    has(0, "<ram:IBANID>FR7630006000011234567890189</ram:IBANID>");
    has(0, "<ram:Name>Musée des Confluences &amp; Cie</ram:Name>");
    has(0, "<ram:IssuerAssignedID>K1</ram:IssuerAssignedID>");
    // The buyer's SIREN and VAT number (BT-47, BT-48).
    let buyer = xml(0);
    let buyer = &buyer[buyer.find("<ram:BuyerTradeParty>").unwrap()..];
    assert!(
        buyer.contains("<ram:ID schemeID=\"0002\">552100554</ram:ID>"),
        "{buyer}"
    );
    assert!(
        buyer.contains("<ram:ID schemeID=\"VA\">FR96552100554</ram:ID>"),
        "{buyer}"
    );
    // Due 30 days after issue.
    has(0, "<ram:DueDateDateTime>");
    has(
        0,
        "<udt:DateTimeString format=\"102\">20260401</udt:DateTimeString>",
    );
    has(3, "<ram:CategoryCode>E</ram:CategoryCode>");
    has(
        3,
        "<ram:ExemptionReason>TVA non applicable, art. 293 B du CGI</ram:ExemptionReason>",
    );
    has(3, "<ram:GrandTotalAmount>1500.00</ram:GrandTotalAmount>");
    has(4, "<ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>");
    has(4, "<ram:GrandTotalAmount>3000.00</ram:GrandTotalAmount>");
    // 500.00 GBP of VAT at 1.165: 582.50 EUR (BT-6, BT-111).
    has(4, "<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>");
    has(
        4,
        "<ram:TaxTotalAmount currencyID=\"EUR\">582.50</ram:TaxTotalAmount>",
    );
    // The payment reference the bank statements match (BT-83).
    has(0, "<ram:PaymentReference>RF");
    // The validator catches a total one cent off.
    let wrong = env.dir.path().join("wrong.xml");
    std::fs::write(
        &wrong,
        xml(0).replace(
            "<ram:GrandTotalAmount>3600.00</ram:GrandTotalAmount>",
            "<ram:GrandTotalAmount>3600.01</ram:GrandTotalAmount>",
        ),
    )
    .unwrap();
    let (passed, said) = validate_einvoices(&[wrong]);
    assert!(!passed, "{said}");
    assert!(said.contains("BR-CO-15"), "{said}");
    // An invoice recorded from elsewhere has no e-invoice from Relance.
    env.ok(&[
        "invoice",
        "add",
        "--number",
        "EXT-1",
        "--customer",
        "MUSEE",
        "--issue-date",
        "2026-03-02",
        "--total",
        "100",
    ]);
    let out = env.dir.path().join("ext.xml");
    let o = env.run(&["invoice", "xml", "EXT-1", "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!out.exists());
    // Its late-payment penalties are an invoice Relance issues: the next number of the
    // series, outside the scope of VAT (category O: no rate, no VAT identifier, the SIREN as
    // the seller's tax registration), valid like the others.
    let run = |args: &[&str]| env.run_env(args, &[("RELANCE_TODAY", "2026-06-30")]);
    let o = run(&["penalties", "invoice", "--invoice", "EXT-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(said.contains("F2026-0006"), "{said}");
    let (pxml, ppdf) = (
        env.dir.path().join("penalty.xml"),
        env.dir.path().join("penalty.pdf"),
    );
    env.ok(&[
        "invoice",
        "xml",
        "F2026-0006",
        "--out",
        pxml.to_str().unwrap(),
    ]);
    env.ok(&[
        "invoice",
        "pdf",
        "F2026-0006",
        "--out",
        ppdf.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[pxml.clone(), ppdf.clone()]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&pxml).unwrap();
    for what in [
        "<ram:CategoryCode>O</ram:CategoryCode>",
        "<ram:ExemptionReasonCode>VATEX-EU-O</ram:ExemptionReasonCode>",
        "<ram:ID schemeID=\"FC\">732829320</ram:ID>",
        "Indemnité forfaitaire pour frais de recouvrement",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    assert!(!x.contains("schemeID=\"VA\""), "no VAT identifier:\n{x}");
    // The title, wrapped before the address window.
    let text = pdf_text(&ppdf);
    assert!(
        text.contains("FACTURE DE PÉNALITÉS DE") && text.contains("RETARD"),
        "{text}"
    );
}

/// Issue 21: an invoice in pounds by a French company states its VAT in euros too (BT-6,
/// BT-111) at the rate the owner enters: 10 h × 100.00 GBP at 20 % is 200.00 GBP of VAT, at
/// 1.165 €/£ 233.00 €. Without the rate Issue is refused; a rate on a euro invoice or a
/// malformed one is refused when typed.
#[test]
fn an_invoice_in_pounds_states_its_vat_in_euros() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ATEL",
        "--name",
        "Atelier Volta",
        "--address",
        "5 rue Volta",
        "--postal-code",
        "69003",
        "--city",
        "Lyon",
        "--siren",
        "552100554",
    ]);
    let draft = |extra: &[&str]| {
        let mut a = vec![
            "invoice",
            "draft",
            "--customer",
            "ATEL",
            "--line",
            "Conseil|10|100|20|HUR",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        env.run(&a)
    };
    for (extra, said) in [
        (
            &["--exchange-rate", "1.165"][..],
            "only for an invoice in another currency",
        ),
        (
            &["--currency", "GBP", "--exchange-rate", "abc"][..],
            "Invalid exchange rate",
        ),
        (
            &["--currency", "GBP", "--exchange-rate", "1.1234567"][..],
            "Invalid exchange rate",
        ),
        // A delivery address needs its postal code and city; a country is two letters.
        (
            &["--delivery-address", "Quai Nord||Lyon"][..],
            "delivery_address.postal_code",
        ),
        (
            &["--delivery-address", "Quai Nord|69003|Lyon|France"][..],
            "delivery_address.country",
        ),
    ] {
        let o = draft(extra);
        assert_eq!(code(&o), 1, "{extra:?}");
        assert!(stderr(&o).contains(said), "{extra:?}: {}", stderr(&o));
    }
    let o = draft(&["--currency", "GBP"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = d["id"].as_i64().unwrap().to_string();
    let o = env.run(&["invoice", "issue", &id, "--yes"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("must also state its VAT in euros"),
        "{}",
        stderr(&o)
    );
    env.ok(&["invoice", "discard", &id]);
    let o = draft(&[
        "--currency",
        "GBP",
        "--exchange-rate",
        "1,1650",
        "--operation",
        "goods",
        // Delivered to a site, not to the customer's address (BG-15).
        "--delivery-address",
        "Chantier Quai Nord / Bâtiment B|69003|Lyon",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["totals"]["vat"], "200.00", "{d}");
    assert_eq!(d["totals"]["vat_eur"], "233.00", "{d}");
    let id = d["id"].as_i64().unwrap().to_string();
    // The owner opted to pay VAT on debits: the invoice says so (a coded note too).
    env.ok(&["settings", "set", "vat_on_debits", "yes"]);
    env.ok(&["invoice", "issue", &id, "--yes"]);
    let (xml, pdf) = (
        env.dir.path().join("gbp.xml"),
        env.dir.path().join("gbp.pdf"),
    );
    env.ok(&[
        "invoice",
        "xml",
        "F2026-0001",
        "--out",
        xml.to_str().unwrap(),
    ]);
    env.ok(&[
        "invoice",
        "pdf",
        "F2026-0001",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[xml.clone(), pdf.clone()]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&xml).unwrap();
    for what in [
        "<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>",
        "<ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>",
        "<ram:TaxTotalAmount currencyID=\"GBP\">200.00</ram:TaxTotalAmount>",
        "<ram:TaxTotalAmount currencyID=\"EUR\">233.00</ram:TaxTotalAmount>",
        "<ram:SubjectCode>TXD</ram:SubjectCode>",
        // The delivery address (BG-15), its country the customer's.
        "<ram:ShipToTradeParty>",
        "<ram:PostcodeCode>69003</ram:PostcodeCode>",
        "<ram:LineOne>Chantier Quai Nord</ram:LineOne>",
        "<ram:LineTwo>Bâtiment B</ram:LineTwo>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    let text = pdf_text(&pdf);
    assert!(text.contains("TVA en euros (1 GBP = 1,165"), "{text}");
    assert!(text.contains("233,00"), "{text}");
    assert!(text.contains("Livraison de biens"), "{text}");
    // "Livraison à : Chantier Quai Nord, / Bâtiment B, 69003 Lyon" (wrapped in its column).
    assert!(
        text.contains("Livraison à :           Chantier Quai Nord,"),
        "{text}"
    );
    assert!(text.contains("Bâtiment B, 69003 Lyon"), "{text}");
    assert!(
        text.contains("Option pour le paiement de la taxe d'après les débits"),
        "{text}"
    );
    // Its credit note repeats where the goods went, in its PDF and its XML.
    env.ok(&["credit-note", "issue", "--invoice", "F2026-0001"]);
    let (cn_xml, cn_pdf) = (env.dir.path().join("cn.xml"), env.dir.path().join("cn.pdf"));
    env.ok(&[
        "credit-note",
        "xml",
        "A2026-0001",
        "--out",
        cn_xml.to_str().unwrap(),
    ]);
    env.ok(&[
        "credit-note",
        "pdf",
        "A2026-0001",
        "--out",
        cn_pdf.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[cn_xml.clone(), cn_pdf.clone()]);
    assert!(passed, "{said}");
    assert!(std::fs::read_to_string(&cn_xml)
        .unwrap()
        .contains("<ram:LineOne>Chantier Quai Nord</ram:LineOne>"));
    let text = pdf_text(&cn_pdf);
    assert!(text.contains("Livraison à :"), "{text}");
    assert!(text.contains("Chantier Quai Nord,"), "{text}");
}

/// Issue 21: a credit note is a document of its own series (A2026-0001), referencing the
/// invoice it corrects, valid as an EN 16931 e-invoice (type 381) inside a Factur-X PDF;
/// it lowers the invoice's balance, never credits more than is left, and on a paid invoice
/// becomes the customer's credit.
#[test]
fn credit_notes_are_issued_as_valid_e_invoices() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ATEL",
        "--name",
        "Atelier Volta",
        "--address",
        "5 rue Volta",
        "--postal-code",
        "69003",
        "--city",
        "Lyon",
        "--siren",
        "552100554",
    ]);
    let today = "2026-06-15";
    let run = |args: &[&str]| env.run_env(args, &[("RELANCE_TODAY", today)]);
    let ok = |args: &[&str]| {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    // 3 h × 83.33 at 20 % (249.99, VAT 49.998 → 50.00) and 12.35 at 5.5 % (VAT 0.68):
    // 313.02.
    let d: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--line",
        "Conseil|3|83.33|20|HUR",
        "--line",
        "Brochure|1|12.35|5.5",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(d["totals"]["total"], "313.02", "{d}");
    let id = d["id"].as_i64().unwrap().to_string();
    ok(&["invoice", "issue", &id, "--yes"]);
    // A credit note typed on it is refused: an invoice Relance issued gets an issued one.
    let o = run(&[
        "credit-note",
        "add",
        "--invoice",
        "F2026-0001",
        "--amount",
        "1",
        "--date",
        today,
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("relance credit-note issue --invoice F2026-0001"),
        "{}",
        stderr(&o)
    );
    // One hour credited: 83.33 + 16.67 (16.666) = 100.00, all of it off the balance.
    let cn: serde_json::Value = serde_json::from_str(&ok(&[
        "credit-note",
        "issue",
        "--invoice",
        "F2026-0001",
        "--line",
        "Conseil|1|83.33|20|HUR",
        "--reason",
        "Une heure non effectuée",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(cn["number"], "A2026-0001", "{cn}");
    assert_eq!(
        (
            &cn["net"],
            &cn["vat"],
            &cn["total"],
            &cn["applied"],
            &cn["credit"]
        ),
        (
            &serde_json::json!("83.33"),
            &serde_json::json!("16.67"),
            &serde_json::json!("100.00"),
            &serde_json::json!("100.00"),
            &serde_json::json!("0.00")
        )
    );
    let shown = env.json(&[
        "invoice",
        "show",
        "F2026-0001",
        "--as-of",
        today,
        "--format",
        "json",
    ]);
    assert_eq!(shown["invoice"]["balance"], "213.02", "{shown}");
    ok(&[
        "payment",
        "add",
        "--customer",
        "ATEL",
        "--date",
        today,
        "--amount",
        "213.02",
    ]);
    // The whole invoice: more than is left to credit (313.02 − 100.00).
    let o = run(&["credit-note", "issue", "--invoice", "F2026-0001"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("213.02"), "{}", stderr(&o));
    // The brochure (12.35 + 0.68 = 13.03) on the paid invoice: the customer's credit.
    let said = ok(&[
        "credit-note",
        "issue",
        "--invoice",
        "F2026-0001",
        "--line",
        "Brochure|1|12.35|5.5",
        "--reason",
        "Brochure non livrée",
    ]);
    assert!(
        said.contains("Credit note A2026-0002 issued on F2026-0001: 13.03 EUR (0.00 EUR off its balance, 13.03 EUR to the customer's credit)."),
        "{said}"
    );
    let customer = env.json(&["customer", "show", "ATEL", "--format", "json"]);
    assert_eq!(customer["credit"][0]["amount"], "13.03", "{customer}");
    // Both are valid e-invoices (the CEN Schematron, the Factur-X XSD, the PDF container).
    let dir = env.dir.path();
    let mut files = Vec::new();
    for n in ["A2026-0001", "A2026-0002"] {
        let (pdf, xml) = (dir.join(format!("{n}.pdf")), dir.join(format!("{n}.xml")));
        ok(&["credit-note", "pdf", n, "--out", pdf.to_str().unwrap()]);
        ok(&["credit-note", "xml", n, "--out", xml.to_str().unwrap()]);
        files.push(xml);
        files.push(pdf);
    }
    let (passed, said) = validate_einvoices(&files);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&files[2]).unwrap();
    for what in [
        "<ram:TypeCode>381</ram:TypeCode>",
        "<ram:ID>A2026-0002</ram:ID>",
        "<ram:IssuerAssignedID>F2026-0001</ram:IssuerAssignedID>",
        "<qdt:DateTimeString format=\"102\">20260615</qdt:DateTimeString>",
        "<ram:CalculatedAmount>0.68</ram:CalculatedAmount>",
        "<ram:GrandTotalAmount>13.03</ram:GrandTotalAmount>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    let text = pdf_text(&files[3]);
    for what in [
        "AVOIR",
        "A2026-0002",
        "F2026-0001 du 15/06/2026",
        "Brochure non livrée",
        "13,03",
        "restent à votre crédit",
    ] {
        assert!(text.contains(what), "PDF lacks {what}:\n{text}");
    }
    // Unknown credit note: refused, named.
    let o = run(&["credit-note", "pdf", "A2026-0009", "--out", "x.pdf"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("A2026-0009"), "{}", stderr(&o));
}

/// A discount on the whole invoice ("remise globale") is a document-level allowance
/// (BG-20) per VAT rate, valid under the CEN Schematron, said among the PDF's totals.
#[test]
fn a_discount_on_the_whole_invoice_is_an_allowance_per_rate() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ATEL",
        "--name",
        "Atelier Volta",
        "--address",
        "5 rue Volta",
        "--postal-code",
        "69003",
        "--city",
        "Lyon",
        "--siren",
        "552100554",
    ]);
    let run = |args: &[&str]| env.run_env(args, &[("RELANCE_TODAY", "2026-06-15")]);
    let ok = |args: &[&str]| {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let dir = env.dir.path();
    // A discount on the whole invoice: refused at 100 % or not a percent, nothing saved;
    // else 5 % off each rate's lines before its VAT (figures by hand in `drafts`' test):
    // 249.99 − 12.50 at 20 % (VAT 47.50), 12.35 − 0.62 at 5.5 % (VAT 0.65), 297.37.
    for (discount, said) in [("100", "A 100 % discount"), ("cinq", "Invalid rate")] {
        let o = run(&[
            "invoice",
            "draft",
            "--customer",
            "ATEL",
            "--line",
            "Conseil|1|10|20",
            "--discount",
            discount,
        ]);
        assert_eq!(code(&o), 1, "{discount}");
        assert!(stderr(&o).contains(said), "{discount}: {}", stderr(&o));
    }
    assert_eq!(ok(&["invoice", "drafts", "--format", "json"]).trim(), "[]");
    let said = ok(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--line",
        "Conseil|3|83.33|20|HUR",
        "--line",
        "Brochure|1|12.35|5.5",
        "--discount",
        "5",
    ]);
    assert!(
        said.contains("Discount 5 % on the S 20 % lines (249.99): -12.50"),
        "{said}"
    );
    assert!(
        said.contains("Total net 249.22, VAT 48.15, total 297.37"),
        "{said}"
    );
    let drafts: serde_json::Value =
        serde_json::from_str(&ok(&["invoice", "drafts", "--format", "json"])).unwrap();
    let id = drafts[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(drafts[0]["discount"], "5");
    // A line added keeps the discount.
    ok(&["invoice", "line", "add", &id, "--line", "Port|1|0|20"]);
    let said = ok(&["invoice", "issue", &id, "--yes"]);
    assert!(
        said.contains("F2026-0001") && said.contains("297.37 EUR"),
        "{said}"
    );
    let (pdf2, xml2) = (dir.join("F2026-0001.pdf"), dir.join("F2026-0001.xml"));
    ok(&[
        "invoice",
        "pdf",
        "F2026-0001",
        "--out",
        pdf2.to_str().unwrap(),
    ]);
    ok(&[
        "invoice",
        "xml",
        "F2026-0001",
        "--out",
        xml2.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[xml2.clone(), pdf2.clone()]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&xml2).unwrap();
    for what in [
        "<ram:CalculationPercent>5</ram:CalculationPercent>",
        "<ram:BasisAmount>249.99</ram:BasisAmount>",
        "<ram:ActualAmount>12.50</ram:ActualAmount>",
        "<ram:ActualAmount>0.62</ram:ActualAmount>",
        "<ram:ReasonCode>95</ram:ReasonCode>",
        "<ram:Reason>Remise de 5 % sur la facture</ram:Reason>",
        "<ram:LineTotalAmount>262.34</ram:LineTotalAmount>",
        "<ram:AllowanceTotalAmount>13.12</ram:AllowanceTotalAmount>",
        "<ram:TaxBasisTotalAmount>249.22</ram:TaxBasisTotalAmount>",
        "<ram:BasisAmount>237.49</ram:BasisAmount>",
        "<ram:CalculatedAmount>47.50</ram:CalculatedAmount>",
        "<ram:CalculatedAmount>0.65</ram:CalculatedAmount>",
        "<ram:GrandTotalAmount>297.37</ram:GrandTotalAmount>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    // Three line items: the discount is not one of them.
    assert_eq!(
        x.matches("<ram:IncludedSupplyChainTradeLineItem>").count(),
        3
    );
    let text = pdf_text(&pdf2);
    for what in [
        "Remise de 5 % sur la facture",
        "-12,50",
        "-2,50",
        "-0,62",
        "249,22",
        "47,50",
        "297,37",
    ] {
        assert!(text.contains(what), "PDF lacks {what}:\n{text}");
    }
    assert!(!text.contains("Facture de solde"), "{text}");
    // Duplicated, the new draft has the discount again.
    let dup: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "duplicate",
        "F2026-0001",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(dup["discount"], "5", "{dup}");
    assert_eq!(dup["totals"]["total"], "297.37", "{dup}");
    ok(&[
        "invoice",
        "discard",
        &dup["id"].as_i64().unwrap().to_string(),
    ]);
    // What is typed is what is credited: 3 h × 83.33 = 249.99 + 50.00 VAT is more than the
    // whole invoice (297.37), refused saying so; credited as billed, the invoice's discount
    // as the line's (5 % of 249.99 = 12.50): 237.49, VAT 47.50, 284.99; the whole invoice is
    // then what is left to credit (297.37 − 284.99 = 12.38).
    let o = run(&[
        "credit-note",
        "issue",
        "--invoice",
        "F2026-0001",
        "--line",
        "Conseil|3|83.33|20|HUR",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("297.37"), "{}", stderr(&o));
    let said = ok(&[
        "credit-note",
        "issue",
        "--invoice",
        "F2026-0001",
        "--line",
        "Conseil|3|83.33|20|HUR|5",
    ]);
    assert!(
        said.contains("Credit note A2026-0001") && said.contains("284.99 EUR"),
        "{said}"
    );
    let o = run(&["credit-note", "issue", "--invoice", "F2026-0001"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("12.38"), "{}", stderr(&o));
    let (cpdf, cxml) = (dir.join("A2026-0001.pdf"), dir.join("A2026-0001.xml"));
    ok(&[
        "credit-note",
        "pdf",
        "A2026-0001",
        "--out",
        cpdf.to_str().unwrap(),
    ]);
    ok(&[
        "credit-note",
        "xml",
        "A2026-0001",
        "--out",
        cxml.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[cxml.clone(), cpdf]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&cxml).unwrap();
    for what in [
        "<ram:TypeCode>381</ram:TypeCode>",
        "<ram:ActualAmount>12.50</ram:ActualAmount>",
        "<ram:LineTotalAmount>237.49</ram:LineTotalAmount>",
        "<ram:TaxBasisTotalAmount>237.49</ram:TaxBasisTotalAmount>",
        "<ram:GrandTotalAmount>284.99</ram:GrandTotalAmount>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    // Without VAT (the franchise en base): the discount is an allowance of category E.
    // 2 × 100.00 less 10 % = 180.00, no VAT.
    ok(&["settings", "set", "vat_regime", "franchise"]);
    let d: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--line",
        "Atelier|2|100|",
        "--discount",
        "10",
        "--format",
        "json",
    ]))
    .unwrap();
    let id = d["id"].as_i64().unwrap().to_string();
    assert!(ok(&["invoice", "issue", &id, "--yes"]).contains("180.00 EUR"));
    let xml3 = dir.join("F2026-0002.xml");
    ok(&[
        "invoice",
        "xml",
        "F2026-0002",
        "--out",
        xml3.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(std::slice::from_ref(&xml3));
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&xml3).unwrap();
    let allowance = x
        .split("<ram:SpecifiedTradeAllowanceCharge>")
        .nth(1)
        .unwrap_or_default();
    for what in [
        "<ram:ActualAmount>20.00</ram:ActualAmount>",
        "<ram:CategoryCode>E</ram:CategoryCode>",
        "<ram:RateApplicablePercent>0</ram:RateApplicablePercent>",
    ] {
        assert!(allowance.contains(what), "lacks {what}:\n{x}");
    }
    assert!(
        x.contains("<ram:GrandTotalAmount>180.00</ram:GrandTotalAmount>"),
        "{x}"
    );
}

/// An invoice written in Relance, from draft to Factur-X: two VAT rates rounded once per
/// rate, refusals next to their field, Issue only with --yes, numbered after the contract
/// invoices, the PDF and XML archived at issue (the same bytes every time, even after the
/// settings change) and accepted by the official validators; then the VAT cases (franchise,
/// reverse charge, export) and a duplicate.
#[test]
fn a_draft_is_issued_as_a_valid_factur_x_invoice() {
    let env = Env::new();
    setup_company(&env);
    env.ok(&["settings", "set", "vat_number", "FR44732829320"]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "ATEL",
        "--name",
        "Atelier Volta",
        "--address",
        "5 rue Volta",
        "--postal-code",
        "69003",
        "--city",
        "Lyon",
        "--payment-terms-days",
        "30",
    ]);
    let today = "2026-06-15";
    let run = |args: &[&str]| env.run_env(args, &[("RELANCE_TODAY", today)]);
    let ok = |args: &[&str]| {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    // Refused, nothing saved: an empty description, an unknown unit, 0 % without a reason.
    for (line, said) in [
        (" |1|10|20", "lines[0].description"),
        ("Conseil|1|10|20|XYZ", "Unknown unit \"XYZ\""),
        ("Conseil|1|10|0", "A 0 % VAT rate must say why"),
    ] {
        let o = run(&["invoice", "draft", "--customer", "ATEL", "--line", line]);
        assert_eq!(code(&o), 1, "{line}");
        assert!(stderr(&o).contains(said), "{line}: {}", stderr(&o));
    }
    assert_eq!(ok(&["invoice", "drafts", "--format", "json"]).trim(), "[]");
    // 3 h × 83.33 at 20 %; 2.5 × 19.99 less 10 % at 20 %; 1 × 12.35 at 5.5 %.
    let d: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--delivery-date",
        "2026-06-10",
        "--line",
        "Conseil|3|83.33|20|HUR",
        "--line",
        "Gabarits|2.5|19.99|20|H87|10",
        "--line",
        "Brochure|1|12,35|5,5",
        "--format",
        "json",
    ]))
    .unwrap();
    let id = d["id"].as_i64().unwrap().to_string();
    let t = &d["totals"];
    assert_eq!(
        (t["net"].as_str(), t["vat"].as_str(), t["total"].as_str()),
        (Some("307.32"), Some("59.67"), Some("366.99")),
        "{d}"
    );
    assert_eq!(t["groups"][0]["vat"], "58.99");
    assert_eq!(t["groups"][1]["vat"], "0.68");
    assert_eq!(t["lines"][1]["discount_amount"], "5.00");
    // A line removed and added back: the draft is editable.
    ok(&["invoice", "line", "remove", &id, "3"]);
    ok(&[
        "invoice",
        "line",
        "add",
        &id,
        "--line",
        "Brochure|1|12.35|5.5",
    ]);
    // A French business buyer needs its SIREN; Issue needs --yes.
    let o = run(&["invoice", "issue", &id, "--yes"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("Atelier Volta's SIREN is needed"),
        "{}",
        stderr(&o)
    );
    ok(&["customer", "edit", "ATEL", "--siren", "552100554"]);
    let o = run(&["invoice", "issue", &id]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("cannot be undone"), "{}", stderr(&o));
    assert!(stderr(&o).contains("366.99 EUR"), "{}", stderr(&o));
    let said = ok(&["invoice", "issue", &id, "--yes"]);
    assert!(
        said.contains("Invoice F2026-0001 issued to Atelier Volta: 366.99 EUR."),
        "{said}"
    );
    assert_eq!(ok(&["invoice", "drafts", "--format", "json"]).trim(), "[]");
    // It is an invoice like any other: dunned, due 30 days later.
    let shown = env.json(&[
        "invoice",
        "show",
        "F2026-0001",
        "--as-of",
        today,
        "--format",
        "json",
    ]);
    assert_eq!(shown["invoice"]["total"], "366.99", "{shown}");
    assert_eq!(shown["invoice"]["due_date"], "2026-07-15");
    // The archived PDF and XML: valid, the XML inside the PDF, the same bytes after the
    // company's name changes.
    let dir = env.dir.path();
    let (pdf, xml) = (dir.join("F2026-0001.pdf"), dir.join("F2026-0001.xml"));
    ok(&[
        "invoice",
        "pdf",
        "F2026-0001",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    ok(&[
        "invoice",
        "xml",
        "F2026-0001",
        "--out",
        xml.to_str().unwrap(),
    ]);
    let (passed, said) = validate_einvoices(&[xml.clone(), pdf.clone()]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&xml).unwrap();
    for what in [
        "<ram:BilledQuantity unitCode=\"HUR\">3</ram:BilledQuantity>",
        "<ram:BilledQuantity unitCode=\"H87\">2.5</ram:BilledQuantity>",
        "<ram:ChargeAmount>19.99</ram:ChargeAmount>",
        "<ram:ActualAmount>5.00</ram:ActualAmount>",
        "<ram:LineTotalAmount>44.98</ram:LineTotalAmount>",
        "<ram:CalculatedAmount>58.99</ram:CalculatedAmount>",
        "<ram:RateApplicablePercent>5.5</ram:RateApplicablePercent>",
        "<ram:TaxTotalAmount currencyID=\"EUR\">59.67</ram:TaxTotalAmount>",
        "<ram:GrandTotalAmount>366.99</ram:GrandTotalAmount>",
        "<udt:DateTimeString format=\"102\">20260610</udt:DateTimeString>",
        "<ram:TypeCode>380</ram:TypeCode>",
        // The payment mentions as coded notes, and the electronic addresses by SIREN.
        "<ram:SubjectCode>PMT</ram:SubjectCode>",
        "<ram:SubjectCode>PMD</ram:SubjectCode>",
        "<ram:SubjectCode>AAB</ram:SubjectCode>",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
        "<ram:URIID schemeID=\"0225\">552100554</ram:URIID>",
        "<ram:URIID schemeID=\"0225\">732829320</ram:URIID>",
        // The category of the operation (services unless said).
        "<ram:Content>Prestation de services</ram:Content>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    let text = pdf_text(&pdf);
    for what in [
        "Prestation de services",
        "Conseil — 3 h × 83,33",
        "TVA 20 %",
        "58,99",
        "TVA 5,5 %",
        "0,68",
        "366,99",
    ] {
        assert!(text.contains(what), "PDF lacks {what}:\n{text}");
    }
    let before = std::fs::read(&pdf).unwrap();
    ok(&["settings", "set", "company_name", "Atelier Renommé"]);
    ok(&[
        "invoice",
        "pdf",
        "F2026-0001",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&pdf).unwrap(),
        before,
        "the archived bytes, not a redraw"
    );

    // Intra-EU services: the buyer's VAT number and another EU country are required.
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "BERLIN",
        "--name",
        "Studio Berlin GmbH",
        "--address",
        "Torstraße 1",
        "--postal-code",
        "10119",
        "--city",
        "Berlin",
        "--country",
        "DE",
    ]);
    let rc: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "BERLIN",
        "--vat-exemption",
        "reverse-charge-services",
        "--line",
        "Design|2|450|0|DAY",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(rc["totals"]["total"], "900.00");
    assert_eq!(rc["totals"]["groups"][0]["category"], "AE");
    let rc_id = rc["id"].as_i64().unwrap().to_string();
    let o = run(&["invoice", "issue", &rc_id, "--yes"]);
    assert!(
        stderr(&o).contains("VAT number is needed for a reverse charge"),
        "{}",
        stderr(&o)
    );
    ok(&["customer", "edit", "BERLIN", "--vat-number", "DE123456789"]);
    ok(&["invoice", "issue", &rc_id, "--yes"]);
    // A rate on a reverse charge is refused.
    let o = run(&[
        "invoice",
        "draft",
        "--customer",
        "BERLIN",
        "--vat-exemption",
        "reverse-charge-goods",
        "--line",
        "Panneaux|10|30|20",
    ]);
    assert!(
        stderr(&o).contains("This invoice charges no VAT"),
        "{}",
        stderr(&o)
    );
    // Goods to the same buyer (K: delivered to Germany), and an export to Switzerland (G).
    let k: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "BERLIN",
        "--vat-exemption",
        "reverse-charge-goods",
        "--line",
        "Panneaux|10|30||H87",
        "--format",
        "json",
    ]))
    .unwrap();
    ok(&[
        "invoice",
        "issue",
        &k["id"].as_i64().unwrap().to_string(),
        "--yes",
    ]);
    env.ok(&[
        "customer",
        "add",
        "--reference",
        "GENEVE",
        "--name",
        "Galerie du Rhône SA",
        "--address",
        "1 quai du Rhône",
        "--postal-code",
        "1204",
        "--city",
        "Genève",
        "--country",
        "CH",
    ]);
    let g: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "GENEVE",
        "--vat-exemption",
        "export",
        "--line",
        "Affiches|100|2.5||H87",
        "--format",
        "json",
    ]))
    .unwrap();
    ok(&[
        "invoice",
        "issue",
        &g["id"].as_i64().unwrap().to_string(),
        "--yes",
    ]);
    // An export to a buyer in the EU is refused.
    let g2: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "BERLIN",
        "--vat-exemption",
        "export",
        "--line",
        "Affiches|1|2.5|",
        "--format",
        "json",
    ]))
    .unwrap();
    let o = run(&[
        "invoice",
        "issue",
        &g2["id"].as_i64().unwrap().to_string(),
        "--yes",
    ]);
    assert!(
        stderr(&o).contains("An export needs a customer outside"),
        "{}",
        stderr(&o)
    );
    ok(&[
        "invoice",
        "discard",
        &g2["id"].as_i64().unwrap().to_string(),
    ]);
    // The franchise en base: no VAT anywhere, category E with its mention; a rate is refused.
    ok(&["settings", "set", "vat_regime", "franchise"]);
    let o = run(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--line",
        "Conseil|1|100|20",
    ]);
    assert!(stderr(&o).contains("VAT franchise"), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "draft",
        "--customer",
        "ATEL",
        "--line",
        "Conseil|1|100",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        e["totals"]["mention"],
        "TVA non applicable, art. 293 B du CGI"
    );
    ok(&[
        "invoice",
        "issue",
        &e["id"].as_i64().unwrap().to_string(),
        "--yes",
    ]);
    // Numbered without a gap; each valid.
    let numbers = ["F2026-0002", "F2026-0003", "F2026-0004", "F2026-0005"];
    let files: Vec<PathBuf> = numbers
        .iter()
        .flat_map(|n| {
            let (p, x) = (dir.join(format!("{n}.pdf")), dir.join(format!("{n}.xml")));
            ok(&["invoice", "pdf", n, "--out", p.to_str().unwrap()]);
            ok(&["invoice", "xml", n, "--out", x.to_str().unwrap()]);
            [x, p]
        })
        .collect();
    let (passed, said) = validate_einvoices(&files);
    assert!(passed, "{said}");
    assert_eq!(said.matches("0 fatal").count(), 8, "{said}");
    let xml = |n: &str| std::fs::read_to_string(dir.join(format!("{n}.xml"))).unwrap();
    assert!(xml("F2026-0002").contains("<ram:CategoryCode>AE</ram:CategoryCode>"));
    assert!(xml("F2026-0002")
        .contains("<ram:ExemptionReasonCode>VATEX-EU-AE</ram:ExemptionReasonCode>"));
    assert!(xml("F2026-0003").contains("<ram:CategoryCode>K</ram:CategoryCode>"));
    assert!(xml("F2026-0003").contains("<ram:CountryID>DE</ram:CountryID>"));
    assert!(xml("F2026-0004").contains("<ram:CategoryCode>G</ram:CategoryCode>"));
    assert!(xml("F2026-0004").contains("<ram:GrandTotalAmount>250.00</ram:GrandTotalAmount>"));
    assert!(xml("F2026-0005").contains("<ram:CategoryCode>E</ram:CategoryCode>"));
    assert!(xml("F2026-0005").contains("TVA non applicable, art. 293 B du CGI"));
    // Duplicated into a new draft with the same lines.
    let dup: serde_json::Value = serde_json::from_str(&ok(&[
        "invoice",
        "duplicate",
        "F2026-0004",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(dup["customer_reference"], "GENEVE");
    assert_eq!(dup["totals"]["lines"][0]["quantity"], "100");
    assert_eq!(dup["totals"]["total"], "250.00");
}

/// `relance import einvoice`: a preview without writing, the customers to create asked for,
/// the batch written with --yes, recognised the second time; a plain PDF refused with the
/// whole batch.
#[test]
fn e_invoices_import_from_the_cli() {
    let e = Env::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/einvoice");
    let einfach = fixtures.join("mustangproject/EN16931_Einfach.pdf");
    let plain =
        fixtures.join("mustangproject/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf");
    let (einfach, plain) = (einfach.to_str().unwrap(), plain.to_str().unwrap());
    e.ok(&["settings", "set", "vat_number", "DE123456789"]);
    let out = e.ok(&["import", "einvoice", einfach, "--dry-run"]);
    assert!(
        out.contains(
            "EN16931_Einfach.pdf: invoice 471102 to Kunden AG Mitte (new customer), 529.87 EUR"
        ),
        "{out}"
    );
    assert!(
        out.contains("Customers to create: Kunden AG Mitte."),
        "{out}"
    );
    // Without --yes: the customer to create is named, nothing written.
    let o = e.run(&["import", "einvoice", einfach]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("These customers would be created: Kunden AG Mitte."),
        "{}",
        stderr(&o)
    );
    // On a terminal the owner is asked (under `script`, a pseudo-terminal): "n" writes
    // nothing, as a script without --yes; "oui" creates the customer, as --yes (in a
    // ledger of its own: this one goes on below).
    let on_terminal = |env: &Env, answer: &str| {
        let cmd = format!(
            "'{}' --db '{}' --lang en import einvoice '{einfach}'",
            env!("CARGO_BIN_EXE_relance"),
            env.ledger().to_string_lossy()
        );
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("RELANCE_DB")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("`script` (util-linux, in every Debian) gives the CLI a terminal");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (done, said) = on_terminal(&e, "n");
    assert!(!done, "{said}");
    assert!(
        said.contains("Relance does not know Kunden AG Mitte: create it? [y/N]"),
        "{said}"
    );
    let listed = e.json(&["invoice", "list", "--filter", "all", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let asked = Env::new();
    asked.ok(&["settings", "set", "vat_number", "DE123456789"]);
    let (done, said) = on_terminal(&asked, "oui");
    assert!(done, "{said}");
    assert!(
        said.contains("Imported: 1 invoice, 0 credit notes; 1 customer created"),
        "{said}"
    );
    // A plain PDF in the batch: all refused, the reason given.
    let o = e.run(&["import", "einvoice", einfach, plain, "--yes"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("holds no e-invoice"), "{}", stderr(&o));
    let listed = e.json(&["invoice", "list", "--filter", "all", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let out = e.ok(&["import", "einvoice", einfach, "--yes"]);
    assert!(
        out.contains(
            "Imported: 1 invoice, 0 credit notes; 1 customer created; 0 already in Relance."
        ),
        "{out}"
    );
    let out = e.ok(&["import", "einvoice", einfach, "--yes"]);
    assert!(out.contains("1 already in Relance"), "{out}");
    let shown = e.json(&["invoice", "show", "471102", "--format", "json"]);
    assert_eq!(shown["invoice"]["total"], "529.87");
    // No BT-9: the due date is the payment terms' 30 days ("Zahlbar innerhalb 30 Tagen").
    assert_eq!(shown["invoice"]["due_date"], "2024-12-15");
}

/// A fresh database on the test server for the tests that need one beside a ledger file
/// (`RELANCE_PG_TESTS`, set by `./dev test`); `None` says the test was skipped.
fn server_database() -> Option<String> {
    if std::env::var_os("RELANCE_PG_TESTS").is_none() {
        eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
        return None;
    }
    Some(relance_core::store::fresh_server_database("postgres:///postgres").unwrap())
}

/// `relance move --to postgres://…` then `relance backup --out F.sqlite` from the server:
/// a ledger with letters archived, a contract billed, a bank statement and a credit note
/// goes to the server and back, every list, the agenda and the aged balance the same on
/// the three; the moved file says where the ledger lives; the copy back is a normal file.
#[test]
fn a_ledger_moves_to_a_server_and_comes_back_as_a_file() {
    let Some(address) = server_database() else {
        return;
    };
    let env = Env {
        server: None,
        ..Env::new()
    };
    env.ok(&["demo", "--as-of", "2026-11-22"]);
    let letters = env.dir.path().join("letters");
    env.ok(&[
        "letters",
        "prepare",
        "--as-of",
        "2026-11-22",
        "--out",
        letters.to_str().unwrap(),
    ]);
    env.ok(&[
        "contract",
        "add",
        "--reference",
        "K1",
        "--customer",
        "FEST15",
        "--total",
        "10000.01",
        "--signed",
        "2026-11-02",
        "--as-of",
        "2026-11-02",
        "--vat-rate",
        "20",
        "--title",
        "Signalétique",
        "--schedule",
        "30,40,30",
    ]);
    let statement = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/bank/camt053_v08_viafintech_ubs.xml");
    env.ok(&["bank", "import", statement.to_str().unwrap(), "--yes"]);
    let views = |db: &str| -> Vec<serde_json::Value> {
        [
            vec!["agenda", "--as-of", "2026-11-22", "--format", "json"],
            vec!["aged-balance", "--as-of", "2026-11-22", "--format", "json"],
            vec!["invoice", "list", "--format", "json"],
            vec!["customer", "list", "--format", "json"],
            vec!["contract", "list", "--format", "json"],
            vec!["history", "--customer", "FEST15", "--format", "json"],
        ]
        .iter()
        .map(|args| {
            let o = Command::new(env!("CARGO_BIN_EXE_relance"))
                .args(["--db", db, "--lang", "en"])
                .args(args)
                .env_remove("RELANCE_DB")
                .env("RELANCE_TODAY", "2026-11-22")
                .output()
                .unwrap();
            assert!(o.status.success(), "{args:?} on {db}: {}", stderr(&o));
            let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            // Names order by each engine's case folding (a server's puts "École" with the
            // E's, a file's after "Z": ARCHITECTURE.md, "Engines"): compared by reference.
            if args[0] == "customer" {
                v.as_array_mut()
                    .unwrap()
                    .sort_by_key(|c| c["reference"].as_str().unwrap().to_string());
            }
            v
        })
        .collect()
    };
    let file = env.db().to_string_lossy().to_string();
    let before = views(&file);

    // Moved on the day the views were read (the daily refresh of payer segments runs on
    // every start and would log the day's change otherwise).
    let o = env.run_env(
        &["move", "--to", &address],
        &[("RELANCE_TODAY", "2026-11-22")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        said.contains("invoice balances compared, all equal"),
        "{said}"
    );
    assert!(said.contains(&format!("relance --db {address}")), "{said}");
    // The file is kept as it was and refuses work, naming where the ledger is now.
    let o = env.run(&["customer", "list"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains(&address), "{}", stderr(&o));
    // A second move of the same ledger finds the file marked.
    assert_eq!(code(&env.run(&["move", "--to", &address])), 1);

    // The server ledger answers as the file did, to the cent.
    same_json(&views(&address), &before);

    // Back as a file: `backup --out`, the same again; a server ledger has no snapshots folder.
    let back = env.dir.path().join("back.sqlite");
    let on_server = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .args(["--db", &address, "--lang", "en"])
            .args(args)
            .env_remove("RELANCE_DB")
            .env("RELANCE_TODAY", "2026-11-22")
            .env("XDG_DATA_HOME", env.dir.path())
            .output()
            .unwrap()
    };
    let o = on_server(&["backup", "--out", back.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("25 customers"));
    same_json(&views(back.to_str().unwrap()), &before);
    let o = on_server(&["backup"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    // The owner restores a file onto the server, with the same preview and confirmation as
    // on a file: what was recorded since is dropped (the undo snapshot, a Relance file on
    // this computer, keeps it) and the ledger answers as the file again.
    let o = on_server(&[
        "payment",
        "add",
        "--customer",
        "FEST15",
        "--amount",
        "10",
        "--date",
        "2026-11-22",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = on_server(&["restore", back.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("dropped by the restore"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    let o = on_server(&["restore", back.to_str().unwrap(), "--yes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    same_json(&views(&address), &before);
    let undo = said
        .split("is kept in ")
        .nth(1)
        .and_then(|r| r.split(" (restore it to undo)").next())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        undo.starts_with(
            &env.dir
                .path()
                .join("relance")
                .join("backups")
                .display()
                .to_string()
        ),
        "{undo}"
    );
    // And undone: the payment is back.
    let o = on_server(&["restore", undo, "--yes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = on_server(&["history", "--customer", "FEST15", "--format", "json"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"10.00\""));
    // Refusals: an address with a password, a move into a database holding a ledger.
    let fresh = Env {
        server: None,
        ..Env::new()
    };
    fresh.ok(&["demo", "--as-of", "2026-11-22"]);
    let o = fresh.run(&["move", "--to", "postgres://u:secret@localhost/x"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("carries a password"), "{}", stderr(&o));
    let o = fresh.run(&["move", "--to", &address]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("already holds a ledger"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&fresh.run(&["customer", "list"])), 0, "left unmarked");
}

/// Asserts two lists of JSON answers are equal, naming the first place they differ.
fn same_json(got: &[serde_json::Value], want: &[serde_json::Value]) {
    fn first_difference(
        path: String,
        a: &serde_json::Value,
        b: &serde_json::Value,
    ) -> Option<String> {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Array(x), Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_difference(format!("{path}[{i}]"), p, q)),
            (Object(x), Object(y)) if x.len() == y.len() => {
                x.iter().find_map(|(k, p)| match y.get(k) {
                    Some(q) => first_difference(format!("{path}.{k}"), p, q),
                    None => Some(format!("{path}.{k} missing")),
                })
            }
            _ if a == b => None,
            _ => Some(format!("{path}: {a} ≠ {b}")),
        }
    }
    let got = serde_json::Value::Array(got.to_vec());
    let want = serde_json::Value::Array(want.to_vec());
    if let Some(d) = first_difference(String::new(), &got, &want) {
        panic!("the answers differ at {d}");
    }
}

/// `relance check` proves the wake dates Today reads say what the facts say, finds them
/// wrong when they are (here set by hand to "never"), and `--rebuild` computes them again.
#[test]
fn check_compares_the_wake_dates_with_the_derivation_and_rebuilds_them() {
    let e = Env::new();
    e.ok(&["demo", "--as-of", "2026-11-22"]);
    let agenda = e.json(&["agenda", "--format", "json"]);
    assert!(!agenda.as_array().unwrap().is_empty());
    let out = e.ok(&["check"]);
    assert!(out.contains("agree with the derivation"), "{out}");
    assert!(out.contains("2026-11-22, 2026-11-23, 2026-11-29"), "{out}");
    let conn = match &e.server {
        Some(address) => relance_core::store::connect_ledger(address).unwrap(),
        None => relance_core::store::connect(&e.db()).unwrap(),
    };
    conn.execute("UPDATE agenda_wake SET wake_on = '9999-12-31'", [])
        .unwrap();
    drop(conn);
    let wrong = e.run(&["check"]);
    // A fault of the ledger, not a refusal of what was typed.
    assert_eq!(code(&wrong), 3);
    let err = stderr(&wrong);
    assert!(
        err.contains("(wake dates, payer segments and habits, customer balances) differs"),
        "{err}"
    );
    assert!(err.contains("the agenda of 2026-11-22"), "{err}");
    assert!(err.contains("relance check --rebuild"), "{err}");
    let fixed = e.ok(&["check", "--rebuild"]);
    assert!(fixed.contains("computed again as of 2026-11-22"), "{fixed}");
    assert!(fixed.contains("agree with the derivation"), "{fixed}");
    assert!(fixed.contains("are the derived ones"), "{fixed}");
    assert_eq!(e.json(&["agenda", "--format", "json"]), agenda);
    // The payer segments Today's sanction proposals read: the day's refresh forgotten, the
    // next start refreshes them (the first ran before the demo was loaded); then one stored
    // wrong is found.
    let ledger = || match &e.server {
        Some(address) => relance_core::store::connect_ledger(address).unwrap(),
        None => relance_core::store::connect(&e.db()).unwrap(),
    };
    ledger().execute("DELETE FROM segment_refresh", []).unwrap();
    let out = e.ok(&["check"]);
    assert!(out.contains("are the derived ones"), "{out}");
    let changed = ledger()
        .execute(
            "UPDATE customer_segments SET segment = 'new', rule = 'by hand'
             WHERE customer_id = (SELECT id FROM customers WHERE reference = 'TRAI12')",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let wrong = e.run(&["check"]);
    assert_eq!(code(&wrong), 3);
    let err = stderr(&wrong);
    assert!(
        err.contains("customer TRAI12: segment stored “New” (by hand), derived “At risk” ("),
        "{err}"
    );
    let fixed = e.ok(&["check", "--rebuild"]);
    assert!(fixed.contains("are the derived ones"), "{fixed}");
    // The customers' open balances the Customers list sorts by: one kept wrong is found,
    // named with both figures, and summed again.
    let changed = ledger()
        .execute(
            "UPDATE customer_balances SET open_minor = open_minor + 1
             WHERE customer_id = (SELECT id FROM customers WHERE reference = 'TRAI12')",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let wrong = e.run(&["check"]);
    assert_eq!(code(&wrong), 3);
    let err = stderr(&wrong);
    assert!(err.contains("customer TRAI12: balance stored "), "{err}");
    let fixed = e.ok(&["check", "--rebuild"]);
    assert!(fixed.contains("open balance summed again"), "{fixed}");
    e.ok(&["check"]);
    // The habits the dashboard's forecast reads from the refresh: one stored wrong is
    // found, named with both, and computed again.
    let changed = ledger()
        .execute(
            "UPDATE customer_segments SET late_days = 999, pay_day = 'day:3'
             WHERE customer_id = (SELECT id FROM customers WHERE reference = 'TRAI12')",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let wrong = e.run(&["check"]);
    assert_eq!(code(&wrong), 3);
    let err = stderr(&wrong);
    assert!(
        err.contains(
            "customer TRAI12: habits stored 999 days late (median), pays on the 3rd, derived "
        ),
        "{err}"
    );
    let fixed = e.ok(&["check", "--rebuild"]);
    assert!(
        fixed.contains("payer rule and habits computed again"),
        "{fixed}"
    );
    e.ok(&["check"]);
}
