//! Several people on one ledger at once: `relance` processes started together, each held
//! at its start until all are running, then released at the same moment. Every check runs
//! on a ledger file and, when the test server runs (`RELANCE_PG_TESTS`, set by `./dev test`),
//! on a ledger on the server: the rules are the domain's, so both engines answer alike.
//!
//! - the same reminder marked done twice: one is recorded, the other is told who did it and
//!   when, and nothing is doubled;
//! - 200 payments of 1.00 on one invoice of 150.00: 150 are kept, 50 refused with what the
//!   invoice still asks (exactly the answer each would get alone, after the others), and
//!   the balance is 0.00;
//! - the day's letters prepared twice at once: each letter once;
//! - ten invoices issued at once: ten numbers, unique and gapless;
//! - a write given up for another (a lock held too long, an injected serialization
//!   failure): said so, nothing kept, and the same again recorded once.

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const DAY: &str = "2026-11-22";

/// A ledger for one check: a file in a temporary folder, or a fresh server database.
struct Ledger {
    dir: tempfile::TempDir,
    db: OsString,
    engine: &'static str,
}

impl Ledger {
    fn both() -> Vec<Ledger> {
        let file = {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("relance.sqlite").into_os_string();
            Ledger {
                dir,
                db,
                engine: "file",
            }
        };
        let mut all = vec![file];
        if std::env::var_os("RELANCE_PG_TESTS").is_some() {
            let address =
                relance_core::store::fresh_server_database("postgres:///postgres").unwrap();
            all.push(Ledger {
                dir: tempfile::tempdir().unwrap(),
                db: address.into(),
                engine: "server",
            });
        } else {
            eprintln!("server half skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
        }
        all
    }

    /// `relance --db LEDGER --lang en ARGS` on [`DAY`], as `user` (the system account the
    /// history names on a file).
    fn command(&self, user: &str, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_relance"));
        c.arg("--db")
            .arg(&self.db)
            .args(["--lang", "en"])
            .args(args)
            .env_remove("RELANCE_DB")
            .env("RELANCE_TODAY", DAY)
            .env("USER", user)
            .env("LOGNAME", user)
            // Times in messages are local: pinned, so they compare with the journal's UTC.
            .env("TZ", "UTC")
            // Outputs and snapshots of a server ledger go beside the platform data folder.
            .env("XDG_DATA_HOME", self.dir.path());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.command("owner", args).output().unwrap();
        assert!(
            o.status.success(),
            "{} {args:?}: {}",
            self.engine,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

/// Starts every command held at its start (a shell waiting for a line), then releases them
/// all at once and waits for each: their outputs, in order.
fn together(commands: Vec<Command>) -> Vec<Output> {
    let children: Vec<std::process::Child> = commands
        .into_iter()
        .map(|c| {
            let mut held = Command::new("bash");
            held.args(["-c", "read -r _ && exec \"$0\" \"$@\""])
                .arg(c.get_program())
                .args(c.get_args());
            for (k, v) in c.get_envs() {
                match v {
                    Some(v) => held.env(k, v),
                    None => held.env_remove(k),
                };
            }
            held.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut children = children;
    for c in &mut children {
        c.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_same_reminder_done_twice_is_recorded_once_and_says_who() {
    for l in Ledger::both() {
        l.ok(&["demo", "--as-of", DAY]);
        let agenda = l.json(&["agenda", "--as-of", DAY, "--format", "json"]);
        let action = agenda[0]["id"].as_str().unwrap().to_string();
        let customer = agenda[0]["customer"].as_str().unwrap().to_string();
        let done = |user: &str| {
            l.command(
                user,
                &["action", "done", &action, "--as-of", DAY, "--note", user],
            )
        };
        let outs = together(vec![done("marie"), done("paul")]);
        let won: Vec<&Output> = outs.iter().filter(|o| o.status.success()).collect();
        assert_eq!(won.len(), 1, "{}: exactly one is recorded", l.engine);
        let lost = outs.iter().find(|o| !o.status.success()).unwrap();
        assert_eq!(lost.status.code(), Some(1), "{}", stderr(lost));
        let history = l.json(&["history", "--customer", &customer, "--format", "json"]);
        let entries: Vec<&serde_json::Value> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "action_done" && e["on_date"] == DAY)
            .collect();
        assert_eq!(entries.len(), 1, "{}: nothing doubled: {history}", l.engine);
        // The one who lost is told who won and when (on a server, the database role).
        let by = entries[0]["actor"].as_str().unwrap();
        let at = &entries[0]["at"].as_str().unwrap()[11..16];
        let said = stderr(lost);
        assert!(
            said.contains(&format!("already done by {by} at ")),
            "{}: {said}",
            l.engine
        );
        assert!(said.contains(at), "{said} {at}");
        if l.engine == "file" {
            assert!(["marie", "paul"].contains(&by), "{by}");
        }
    }
}

#[test]
fn two_hundred_payments_on_one_invoice_keep_the_balance_right() {
    for l in Ledger::both() {
        l.ok(&["customer", "add", "--reference", "ACME", "--name", "Acme"]);
        l.ok(&[
            "invoice",
            "add",
            "--number",
            "F-1",
            "--customer",
            "ACME",
            "--issue-date",
            "2026-11-01",
            "--total",
            "150.00",
        ]);
        // 20 people, each recording 10 payments of 1.00 one after the other.
        let script = "for i in 1 2 3 4 5 6 7 8 9 10; do \
                      \"$0\" \"$@\" >/dev/null 2>>\"$ERRORS\"; echo $?; done";
        let commands: Vec<Command> = (0..20)
            .map(|n| {
                let base = l.command(
                    &format!("clerk{n}"),
                    &[
                        "payment",
                        "add",
                        "--customer",
                        "ACME",
                        "--date",
                        DAY,
                        "--amount",
                        "1.00",
                        "--invoice",
                        "F-1",
                    ],
                );
                let mut c = Command::new("bash");
                c.args(["-c", script])
                    .arg(base.get_program())
                    .args(base.get_args())
                    .env("ERRORS", l.dir.path().join(format!("errors{n}.txt")));
                for (k, v) in base.get_envs() {
                    if let Some(v) = v {
                        c.env(k, v);
                    } else {
                        c.env_remove(k);
                    }
                }
                c
            })
            .collect();
        let outs = together(commands);
        let codes: Vec<String> = outs
            .iter()
            .flat_map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(codes.len(), 200, "{}", l.engine);
        let kept = codes.iter().filter(|c| *c == "0").count();
        let refused = codes.iter().filter(|c| *c == "1").count();
        assert_eq!((kept, refused), (150, 50), "{}: {codes:?}", l.engine);
        let errors: String = (0..20)
            .map(|n| {
                std::fs::read_to_string(l.dir.path().join(format!("errors{n}.txt")))
                    .unwrap_or_default()
            })
            .collect();
        // Each refusal is what a payment alone on a paid invoice hears.
        let alone = {
            let o = l
                .command(
                    "owner",
                    &[
                        "payment",
                        "add",
                        "--customer",
                        "ACME",
                        "--date",
                        DAY,
                        "--amount",
                        "1.00",
                        "--invoice",
                        "F-1",
                    ],
                )
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(1));
            stderr(&o)
        };
        assert_eq!(errors.lines().count(), 50, "{errors}");
        assert!(
            errors.lines().all(|e| format!("{e}\n") == alone),
            "{errors}\nalone: {alone}"
        );
        let invoice = l.json(&["invoice", "show", "F-1", "--format", "json"]);
        let invoice = &invoice["invoice"];
        assert_eq!(invoice["balance"], "0.00", "{}: {invoice}", l.engine);
        assert_eq!(invoice["settled"], "150.00", "{}: {invoice}", l.engine);
    }
}

#[test]
fn the_days_letters_prepared_twice_at_once_are_prepared_once() {
    for l in Ledger::both() {
        l.ok(&["demo", "--as-of", DAY]);
        let agenda = l.json(&["agenda", "--as-of", DAY, "--format", "json"]);
        let customers: Vec<&str> = agenda
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["channel"]
                    .as_str()
                    .is_some_and(|c| c == "letter" || c == "registered_letter")
            })
            .map(|a| a["customer"].as_str().unwrap())
            .collect();
        let letters = customers.len();
        assert!(letters >= 1, "{agenda}");
        let folders = [l.dir.path().join("a"), l.dir.path().join("b")];
        let outs = together(
            folders
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    l.command(
                        &format!("clerk{i}"),
                        &[
                            "letters",
                            "prepare",
                            "--as-of",
                            DAY,
                            "--out",
                            f.to_str().unwrap(),
                        ],
                    )
                })
                .collect(),
        );
        for o in &outs {
            assert!(o.status.success(), "{}: {}", l.engine, stderr(o));
        }
        let written: usize = folders
            .iter()
            .map(|f| {
                std::fs::read_dir(f).map_or(0, |d| {
                    d.filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pdf"))
                    })
                    .count()
                })
            })
            .sum();
        assert_eq!(written, letters, "{}: each letter once", l.engine);
        let archived: usize = customers
            .iter()
            .map(|c| {
                l.json(&["documents", "list", "--customer", c, "--format", "json"])
                    .as_array()
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(archived, letters, "{}: archived once", l.engine);
    }
}

#[test]
fn invoices_issued_at_once_get_unique_gapless_numbers() {
    for l in Ledger::both() {
        // The demo's company has what an issued invoice must name.
        l.ok(&["demo", "--as-of", DAY]);
        let before = l.json(&["invoice", "list", "--format", "json"]);
        l.ok(&[
            "customer",
            "add",
            "--reference",
            "NEW1",
            "--name",
            "Nouveau",
            "--address",
            "3 rue Neuve",
            "--postal-code",
            "44000",
            "--city",
            "Nantes",
        ]);
        l.ok(&[
            "customer",
            "edit",
            "NEW1",
            "--siren",
            "552100554",
            "--vat-number",
            "FR96552100554",
        ]);
        for _ in 0..10 {
            l.ok(&[
                "invoice",
                "draft",
                "--customer",
                "NEW1",
                "--line",
                "Conseil|2|80|20|HUR",
            ]);
        }
        let drafts = l.json(&["invoice", "drafts", "--format", "json"]);
        let ids: Vec<String> = drafts
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].to_string())
            .collect();
        assert_eq!(ids.len(), 10, "{drafts}");
        let outs = together(
            ids.iter()
                .enumerate()
                .map(|(i, id)| l.command(&format!("clerk{i}"), &["invoice", "issue", id, "--yes"]))
                .collect(),
        );
        for o in &outs {
            assert!(o.status.success(), "{}: {}", l.engine, stderr(o));
        }
        let numbers = |list: &serde_json::Value| -> Vec<u32> {
            list.as_array()
                .unwrap()
                .iter()
                .filter_map(|i| i["number"].as_str()?.strip_prefix("F2026-")?.parse().ok())
                .collect()
        };
        let last_before = numbers(&before).into_iter().max().unwrap();
        let mut issued: Vec<u32> = numbers(&l.json(&["invoice", "list", "--format", "json"]))
            .into_iter()
            .filter(|n| *n > last_before)
            .collect();
        issued.sort();
        let expected: Vec<u32> = (last_before + 1..=last_before + 10).collect();
        assert_eq!(issued, expected, "{}: unique and gapless", l.engine);
    }
}

/// The entries of a ledger's history of one kind on one day, over every customer.
fn entries_on(l: &Ledger, kind: &str, day: &str) -> usize {
    let customers = l.json(&["customer", "list", "--format", "json"]);
    customers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let reference = c["reference"].as_str().unwrap();
            l.json(&["history", "--customer", reference, "--format", "json"])
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == kind && e["on_date"] == day)
                .count()
        })
        .sum()
}

#[test]
fn the_days_refresh_and_a_statement_imported_twice_at_once_happen_once() {
    let statement = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/bank/hand/camt053_v02_batched.xml"
    );
    for (alone, twice) in Ledger::both().into_iter().zip(Ledger::both()) {
        for l in [&alone, &twice] {
            l.ok(&["demo", "--as-of", DAY]);
        }
        // Two people import the same statement at once: each line once.
        alone.ok(&["bank", "import", statement]);
        let outs = together(vec![
            twice.command("marie", &["bank", "import", statement]),
            twice.command("paul", &["bank", "import", statement]),
        ]);
        for o in &outs {
            assert!(o.status.success(), "{}: {}", twice.engine, stderr(o));
        }
        let lines = |l: &Ledger| {
            l.json(&["bank", "lines", "--format", "json"])
                .as_array()
                .unwrap()
                .len()
        };
        assert!(lines(&alone) > 0);
        assert_eq!(
            lines(&twice),
            lines(&alone),
            "{}: each line once",
            twice.engine
        );
        // Two people starting the next day at once: its refresh happens once. (A credit
        // limit below what a customer owes makes that refresh move it to "at risk", with a
        // history note.)
        let start = |l: &Ledger, user: &str, day: &str| {
            let mut c = l.command(user, &["agenda", "--as-of", day]);
            c.env("RELANCE_TODAY", day);
            c
        };
        // The first refresh records every customer's segment (no note: nothing changed).
        for l in [&alone, &twice] {
            assert!(start(l, "owner", "2026-11-23")
                .output()
                .unwrap()
                .status
                .success());
            l.ok(&["customer", "edit", "ARCH08", "--credit-limit", "1"]);
        }
        const NEXT: &str = "2026-11-24";
        let o = start(&alone, "owner", NEXT).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        for o in together(vec![
            start(&twice, "marie", NEXT),
            start(&twice, "paul", NEXT),
        ]) {
            assert!(o.status.success(), "{}: {}", twice.engine, stderr(&o));
        }
        let notes = |l: &Ledger| entries_on(l, "note", NEXT);
        assert!(notes(&alone) > 0, "the refresh notes the change");
        assert_eq!(
            notes(&twice),
            notes(&alone),
            "{}: the day's refresh once",
            twice.engine
        );
    }
}

#[test]
fn people_editing_one_customer_at_once_never_lose_each_others_changes() {
    for l in Ledger::both() {
        l.ok(&["customer", "add", "--reference", "ACME", "--name", "Acme"]);
        // Each changes one field; `customer edit` reads the customer, then saves it whole.
        let edits: [(&str, &str, &str); 5] = [
            ("--phone", "phone", "+33 1 00 00 00 01"),
            ("--email", "email", "compta@acme.example"),
            ("--city", "city", "Lyon"),
            ("--contact-name", "contact_name", "Marie"),
            ("--payment-notes", "payment_notes", "Bon de commande exigé"),
        ];
        let outs = together(
            edits
                .iter()
                .enumerate()
                .map(|(i, (flag, _, value))| {
                    l.command(
                        &format!("clerk{i}"),
                        &["customer", "edit", "ACME", flag, value],
                    )
                })
                .collect(),
        );
        let shown = l.json(&["customer", "show", "ACME", "--format", "json"]);
        let customer = &shown["customer"];
        let mut kept = 0;
        for ((flag, field, value), o) in edits.iter().zip(&outs) {
            if o.status.success() {
                kept += 1;
                assert_eq!(
                    customer[field], *value,
                    "{}: {flag} saved but lost: {shown}",
                    l.engine
                );
            } else {
                assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
                assert!(
                    stderr(o).contains("Someone changed this record at"),
                    "{}: {}",
                    l.engine,
                    stderr(o)
                );
            }
        }
        assert!(kept >= 1, "{}: the first save is kept", l.engine);
    }
}

/// A write the engine gives up to let another through. On a server, a serialization
/// failure injected once (a trigger raising SQLSTATE 40001 on the first payment: Relance's
/// own writers queue on one lock and never cause one, another program writing the tables
/// could): the payment is run again, as a pure function of its input, and recorded once.
/// On a file, another writer holding the ledger past the lock's timeout (5 s): said in the
/// user's words, exit 3 (a failure, not a refusal), nothing kept, and the same again
/// recorded once.
#[test]
fn a_write_given_up_for_another_is_run_again_or_saves_nothing() {
    for l in Ledger::both() {
        l.ok(&["demo", "--as-of", DAY]);
        let pay = [
            "payment",
            "add",
            "--customer",
            "GARA05",
            "--amount",
            "100",
            "--date",
            DAY,
        ];
        let before = entries_on(&l, "payment", DAY);
        if l.engine == "server" {
            let admin = relance_core::store::connect_server(l.db.to_str().unwrap()).unwrap();
            admin
                .execute_batch(
                    "CREATE SEQUENCE relance_injected;
                     CREATE FUNCTION relance_injected() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                       IF nextval('relance_injected') = 1 THEN
                         RAISE EXCEPTION 'could not serialize access due to concurrent update'
                           USING ERRCODE = '40001';
                       END IF;
                       RETURN NEW;
                     END $$;
                     CREATE TRIGGER relance_injected BEFORE INSERT ON payments
                       FOR EACH ROW EXECUTE FUNCTION relance_injected();",
                )
                .unwrap();
            l.ok(&pay);
            assert_eq!(
                entries_on(&l, "payment", DAY),
                before + 1,
                "run again, kept once"
            );
            let tries: i64 = admin
                .query_row("SELECT last_value FROM relance_injected", [], |r| r.get(0))
                .unwrap();
            assert_eq!(tries, 2, "the first try was given up, the second kept");
            continue;
        }
        // Another process's write transaction, held past the lock's timeout.
        let holder = relance_core::store::sql::Connection::open_sqlite_file(&l.db, false).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let given_up = l.command("owner", &pay).output().unwrap();
        holder.execute_batch("ROLLBACK").unwrap();
        assert_eq!(given_up.status.code(), Some(3), "{}", stderr(&given_up));
        assert!(
            stderr(&given_up).contains(
                "someone else was saving in the ledger at the same moment: nothing was saved; try again"
            ),
            "{}",
            stderr(&given_up)
        );
        assert_eq!(entries_on(&l, "payment", DAY), before, "nothing kept");
        l.ok(&pay);
        assert_eq!(entries_on(&l, "payment", DAY), before + 1);
    }
}
