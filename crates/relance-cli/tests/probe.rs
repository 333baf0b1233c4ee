//! Issue 18: what a hostile probe of letters, penalties, rates, restore and output files
//! found, each reproduced on a copy of the demo as the probe did (`relance demo --as-of
//! 2026-11-22`, today 22 November 2026) and checked against the figures computed by hand.
//! PDFs are read back with `pdftotext`, e-mails with Python's `email` package.

mod common;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TODAY: &str = "2026-11-22";

struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Demo {
        let d = Demo {
            dir: tempfile::tempdir().unwrap(),
        };
        d.ok(&["demo", "--as-of", TODAY]);
        d
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("relance.sqlite")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .arg("--db")
            .arg(self.db())
            .arg("--lang")
            .arg("en")
            .args(args)
            .env_remove("RELANCE_DB")
            .env("RELANCE_TODAY", TODAY)
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
    /// Refused as an input: exit status 1, with the message on stderr.
    fn refused(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    }
    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
    fn count(&self, table: &str) -> i64 {
        rusqlite_count(&self.db(), table)
    }
}

fn rusqlite_count(db: &Path, table: &str) -> i64 {
    let o = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM ' + sys.argv[2]).fetchone()[0])",
        ])
        .arg(db)
        .arg(table)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

fn text(pdf: &Path) -> String {
    let o = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    String::from_utf8(o.stdout).unwrap()
}

fn documents(d: &Demo, customer: &str) -> Vec<serde_json::Value> {
    d.json(&[
        "documents",
        "list",
        "--customer",
        customer,
        "--format",
        "json",
    ])
    .as_array()
    .unwrap()
    .clone()
}

/// Item 1: the same letter again after a payment is a new letter with the new figures, and
/// the e-mail made then attaches it.
#[test]
fn a_letter_made_again_after_a_payment_says_what_is_owed_now() {
    let d = Demo::new();
    let a = d.path("a.pdf");
    let said = d.ok(&[
        "letter",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(said.contains("2213.11 EUR claimed"), "{said}");
    // Unchanged, the same letter again is the archived one.
    let a2 = d.path("a2.pdf");
    let said = d.ok(&[
        "letter",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--out",
        a2.to_str().unwrap(),
    ]);
    assert!(said.contains("already archived today"), "{said}");
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&a2).unwrap());
    d.ok(&[
        "payment",
        "add",
        "--customer",
        "FEST15",
        "--date",
        TODAY,
        "--amount",
        "1000",
        "--invoice",
        "F2026-0136",
    ]);
    let b = d.path("b.pdf");
    let said = d.ok(&[
        "letter",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(
        said.contains("1213.11 EUR claimed") && said.contains("archived as"),
        "{said}"
    );
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let t = text(&b);
    assert!(t.contains("1 213,11 €") && !t.contains("2 213,11 €"), "{t}");
    // The e-mail made now attaches the new letter, byte for byte.
    let eml = d.path("m.eml");
    d.ok(&[
        "email",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--out",
        eml.to_str().unwrap(),
    ]);
    let o = Command::new("python3")
        .args([
            "-c",
            "import email,sys; from email import policy; m=email.message_from_bytes(open(sys.argv[1],'rb').read(), policy=policy.default); \
             a=[p for p in m.walk() if p.get_content_disposition()=='attachment'][0]; \
             print(a.get_content()==open(sys.argv[2],'rb').read())",
        ])
        .arg(&eml)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "True");
    let docs = documents(&d, "FEST15");
    let claimed: Vec<&str> = docs
        .iter()
        .map(|x| x["claimed"].as_str().unwrap())
        .collect();
    assert_eq!(claimed, ["1213.11", "2213.11"]);
}

/// Item 2: every as-of figure from the facts dated up to that day.
#[test]
fn past_dates_count_each_fact_by_its_own_date() {
    let d = Demo::new();
    // The aged balance at the last year end: 14 customers, 109 411,68 € (the probe's sum of
    // the facts dated up to 31/12/2025).
    let aged = d.json(&["aged-balance", "--as-of", "2025-12-31", "--format", "json"]);
    assert_eq!(aged["rows"].as_array().unwrap().len(), 14);
    assert_eq!(aged["totals"]["total"], "109411.68");
    let part = aged["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customer"] == "PART21")
        .unwrap()
        .clone();
    assert_eq!(part["total"], "1134.54");
    // Today it is what the settled cache says: the same rule, no past facts missing.
    let now = d.json(&["aged-balance", "--format", "json"]);
    let dash = d.json(&["invoice", "list", "--format", "json", "--limit", "10000"]);
    let open: i64 = dash
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["currency"] == "EUR")
        .map(|i| cents(i["balance"].as_str().unwrap()))
        .sum();
    assert_eq!(cents(now["totals"]["total"].as_str().unwrap()), open);
    // The statement of PART21 at 31/12/2025: F2025-0024 had 1 134,54 € open (paid 6/1/2026);
    // a past date gives a preview, marked, and archives nothing.
    let before = d.count("documents");
    let s = d.path("s.pdf");
    let said = d.ok(&[
        "statement",
        "--customer",
        "PART21",
        "--as-of",
        "2025-12-31",
        "--out",
        s.to_str().unwrap(),
    ]);
    assert!(said.contains("preview"), "{said}");
    let t = text(&s);
    assert!(t.contains("F2025-0024") && t.contains("1 134,54 €"), "{t}");
    assert!(t.contains("APERÇU au 31/12/2025"), "{t}");
    assert_eq!(d.count("documents"), before);
    // A formal demand as of 20/08/2026: the 560,60 € paid on 29/08 is not yet paid, and
    // interest runs on the whole 1 401,50 €: 13 days at 12,15 %.
    let l = d.path("l.pdf");
    d.ok(&[
        "letter",
        "--invoice",
        "F2026-0114",
        "--kind",
        "formal-demand",
        "--as-of",
        "2026-08-20",
        "--out",
        l.to_str().unwrap(),
    ]);
    let t = text(&l);
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("F2026-0114 "))
        .unwrap();
    assert!(
        line.contains("1 401,50 €") && line.contains("0,00 €") && line.trim_end().ends_with("13"),
        "{line}"
    );
    assert!(t.contains("13 j à 12,15 % l'an sur 1 401,50 €"), "{t}");
    assert!(t.contains("APERÇU au 20/08/2026"), "{t}");
    assert_eq!(d.count("documents"), before);
    // The invoice itself as of that day, and the day after the payment.
    let show = |day: &str| {
        d.json(&[
            "invoice",
            "show",
            "F2026-0114",
            "--as-of",
            day,
            "--format",
            "json",
        ])
    };
    assert_eq!(show("2026-08-20")["invoice"]["balance"], "1401.50");
    assert_eq!(show("2026-08-29")["invoice"]["balance"], "840.90");
    // The agenda of a past day is refused.
    let e = d.refused(&["agenda", "--as-of", "2026-11-01"]);
    assert!(e.contains("today or a later date"), "{e}");
}

fn cents(s: &str) -> i64 {
    let (a, b) = s.split_once('.').unwrap();
    a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap()
}

/// Item 3: a private debtor owes the legal rate "in the other cases" from the day after the
/// first formal demand archived, and no indemnity.
#[test]
fn a_private_debtor_owes_the_other_cases_rate_from_the_formal_demand() {
    let d = Demo::new();
    let p = d.json(&["penalties", "--invoice", "F2026-0143", "--format", "json"]);
    assert_eq!(p["total"], "0.00");
    assert!(
        p["warnings"][0].as_str().unwrap().contains("not sent yet"),
        "{p}"
    );
    let l = d.path("d.pdf");
    d.ok(&[
        "letter",
        "--invoice",
        "F2026-0143",
        "--kind",
        "formal-demand",
        "--out",
        l.to_str().unwrap(),
    ]);
    let t = text(&l);
    assert!(
        !t.contains("Indemnité"),
        "no indemnity line for a private person: {t}"
    );
    // Without the half-year's rate, a refusal naming the series to enter.
    let e = d.refused(&[
        "penalties",
        "--invoice",
        "F2026-0143",
        "--as-of",
        "2026-12-22",
    ]);
    assert!(e.contains("French legal rate — other cases"), "{e}");
    d.ok(&[
        "rates",
        "add",
        "--series",
        "fr_legal_professional",
        "--effective",
        "2026-07-01",
        "--rate",
        "2.62",
    ]);
    // 963,15 € × 2,62 % × 30 / 365 = 2,0741 → 2,07 €, from 23/11 (the day after the demand).
    let p = d.json(&[
        "penalties",
        "--invoice",
        "F2026-0143",
        "--as-of",
        "2026-12-22",
        "--format",
        "json",
    ]);
    assert_eq!(
        (p["interest"].as_str(), p["indemnity"].as_str()),
        (Some("2.07"), Some("0.00"))
    );
    assert_eq!(p["periods"][0]["from"], "2026-11-23");
    assert_eq!(p["periods"][0]["rate"], "2.62");
}

/// Item 4 and 5: closed or contested invoices are not claimed, and interest is invoiced as of
/// today only.
#[test]
fn closed_disputed_and_future_claims_are_refused() {
    let d = Demo::new();
    let aged = |d: &Demo| {
        cents(
            d.json(&["aged-balance", "--format", "json"])["totals"]["total"]
                .as_str()
                .unwrap(),
        )
    };
    let before = aged(&d);
    let balance = |n: &str| {
        cents(
            d.json(&["invoice", "show", n, "--format", "json"])["invoice"]["balance"]
                .as_str()
                .unwrap(),
        )
    };
    let written_off = balance("F2026-0124");
    assert_eq!(written_off, 208_179);
    d.ok(&["invoice", "write-off", "F2026-0124", "--reason", "bankrupt"]);
    // 2 081,79 € less owed; no letter, no penalty invoice.
    assert_eq!(before - aged(&d), written_off);
    let out = d.path("w.pdf");
    let e = d.refused(&[
        "letter",
        "--invoice",
        "F2026-0124",
        "--kind",
        "formal-demand",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("written off"), "{e}");
    assert!(!out.exists());
    let e = d.refused(&["penalties", "invoice", "--invoice", "F2026-0124"]);
    assert!(e.contains("written off"), "{e}");
    // Handed over to court: still owed, never in a reminder.
    d.ok(&[
        "invoice",
        "hand-over",
        "F2025-0030",
        "--to",
        "court",
        "--reason",
        "injonction",
    ]);
    assert_eq!(before - aged(&d), written_off);
    let e = d.refused(&["penalties", "invoice", "--invoice", "F2025-0030"]);
    assert!(e.contains("handed over"), "{e}");
    let agenda = d.ok(&["agenda", "--format", "json"]);
    assert!(!agenda.contains("F2025-0030") && !agenda.contains("F2026-0124"));
    // Disputed: no penalty invoice.
    let e = d.refused(&["penalties", "invoice", "--invoice", "F2026-0141"]);
    assert!(e.contains("open dispute"), "{e}");
    // Interest not yet earned cannot be invoiced.
    let e = d.refused(&[
        "penalties",
        "invoice",
        "--invoice",
        "F2026-0136",
        "--as-of",
        "2099-12-31",
    ]);
    assert!(e.contains("as of today"), "{e}");
    // No penalty invoice was made by any of these refusals.
    assert_eq!(
        d.json(&["penalties", "overcharged", "--format", "json"]),
        serde_json::json!([])
    );
    let none: i64 = relance_core::Connection::open_sqlite_file(d.db(), false)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM penalty_charges", [], |r| r.get(0))
        .unwrap();
    assert_eq!(none, 0);
}

/// Item 7: a payment recorded after a penalty invoice, dated inside the period it charged.
/// F2026-0136 (3 562,55 €, due 05/10, 1 425,02 € paid 08/10): INT1 on 22/11 charges 45 days
/// on 2 137,53 € (35,58 €) + 40 €. The rest, paid on 20/10 and recorded afterwards, leaves
/// 3 days on 3 562,55 € and 12 on 2 137,53 € at 12,15 %: 3,5576 + 8,5386 = 12,10 € + 40 € =
/// 52,10 € owed; 23,48 € overcharged, said where the owner looks, and one credit note
/// corrects it.
#[test]
fn a_later_payment_dated_inside_a_charged_period_is_flagged_and_corrected() {
    let d = Demo::new();
    d.ok(&["penalties", "invoice", "--invoice", "F2026-0136"]);
    let none = d.json(&["penalties", "overcharged", "--format", "json"]);
    assert_eq!(none, serde_json::json!([]));
    d.ok(&[
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
    ]);
    let all = d.json(&["penalties", "overcharged", "--format", "json"]);
    let o = &all[0];
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(
        [
            &o["invoice"],
            &o["charged"],
            &o["owed"],
            &o["excess"],
            &o["correctable"]
        ],
        ["F2026-0136", "75.58", "52.10", "23.48", "23.48"]
    );
    let o = d.run(&["penalties", "--invoice", "F2026-0136"]);
    let warned = String::from_utf8_lossy(&o.stderr);
    assert!(
        warned.contains("F2026-0150 charges 23.48 EUR too much for F2026-0136"),
        "{warned}"
    );
    // The penalty invoice Relance issued is corrected by a credit note issued as a
    // document, in the credit notes' own series, with its PDF.
    let made = d.ok(&["penalties", "correct", "--invoice", "F2026-0136"]);
    assert!(
        made.contains("Credit note A2026-0001 on F2026-0150: 23.48 EUR."),
        "{made}"
    );
    let pdf = d.dir.path().join("A2026-0001.pdf");
    d.ok(&[
        "credit-note",
        "pdf",
        "A2026-0001",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    let text = String::from_utf8(
        std::process::Command::new("pdftotext")
            .args([pdf.to_str().unwrap(), "-"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("F2026-0150") && text.contains("23,48"),
        "{text}"
    );
    // A valid e-invoice (the CEN Schematron, the Factur-X XSD): type 381, one line outside
    // the scope of VAT (category O, no rate), the seller named by SIREN, not VAT number.
    let xml = d.dir.path().join("A2026-0001.xml");
    d.ok(&[
        "credit-note",
        "xml",
        "A2026-0001",
        "--out",
        xml.to_str().unwrap(),
    ]);
    let (passed, said) = common::validate_einvoices(&[xml.clone(), pdf.clone()]);
    assert!(passed, "{said}");
    let x = std::fs::read_to_string(&xml).unwrap();
    for what in [
        "<ram:TypeCode>381</ram:TypeCode>",
        "<ram:CategoryCode>O</ram:CategoryCode>",
        "<ram:GrandTotalAmount>23.48</ram:GrandTotalAmount>",
        "<ram:IssuerAssignedID>F2026-0150</ram:IssuerAssignedID>",
    ] {
        assert!(x.contains(what), "lacks {what}:\n{x}");
    }
    assert!(!x.contains("<ram:RateApplicablePercent>"), "{x}");
    let int1 = d.json(&["invoice", "show", "F2026-0150", "--format", "json"]);
    assert_eq!(int1["invoice"]["balance"], "52.10", "{int1}");
    assert_eq!(
        d.json(&["penalties", "overcharged", "--format", "json"]),
        serde_json::json!([])
    );
    let again = d.refused(&["penalties", "correct", "--invoice", "F2026-0150"]);
    assert!(
        again.contains("penalty invoices of F2026-0136 claim nothing beyond"),
        "{again}"
    );
}

/// Item 23: a character no shipped font can print is refused as it is typed, named, and
/// nothing is recorded; what the fonts print (accents, typographic quotes, the euro) passes.
#[test]
fn a_character_the_fonts_cannot_print_is_refused_when_typed() {
    let d = Demo::new();
    let customers = d.count("customers");
    let e = d.refused(&[
        "customer",
        "add",
        "--reference",
        "JP1",
        "--name",
        "株式会社サンプル",
    ]);
    assert!(e.contains("\"株\" (U+682A) cannot be printed"), "{e}");
    let e = d.refused(&[
        "customer",
        "add",
        "--reference",
        "CR1",
        "--name",
        "Crabe",
        "--city",
        "Lyon 🦀",
    ]);
    assert!(e.contains("U+1F980"), "{e}");
    assert_eq!(d.count("customers"), customers);
    let e = d.refused(&["settings", "set", "company_name", "Atelier 🦀"]);
    assert!(e.contains("U+1F980"), "{e}");
    d.ok(&[
        "customer",
        "add",
        "--reference",
        "FR1",
        "--name",
        "Société « L’Œuvre » — 5 €",
    ]);
}

/// Item 6: two penalty invoices at the same moment: one charges, the other has nothing left.
#[test]
fn two_penalty_invoices_at_once_charge_the_days_once() {
    for _ in 0..4 {
        let d = Demo::new();
        let runs: Vec<std::thread::JoinHandle<Output>> = (0..2)
            .map(|_| {
                let db = d.db();
                std::thread::spawn(move || {
                    Command::new(env!("CARGO_BIN_EXE_relance"))
                        .arg("--db")
                        .arg(db)
                        .args(["penalties", "invoice", "--invoice", "F2026-0136"])
                        .env("RELANCE_TODAY", TODAY)
                        .output()
                        .unwrap()
                })
            })
            .collect();
        let ok = runs
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|o| o.status.success())
            .count();
        assert_eq!(ok, 1);
        assert_eq!(d.count("penalty_charges"), 1);
    }
}

/// Item 9: rates are bounded, a shipped decision stands, one entry per date, help is true.
#[test]
fn rates_are_checked() {
    let d = Demo::new();
    for (series, date, rate, says) in [
        ("ecb_mro", "2026-03-01", "-10", "between 0 and 100"),
        ("ecb_mro", "2026-03-01", "-0.5", "between 0 and 100"),
        ("ecb_mro", "2026-03-01", "100.5", "between 0 and 100"),
        (
            "ecb_mro",
            "2025-06-11",
            "100",
            "shipped with Relance (2.15 %)",
        ),
    ] {
        let e = d.refused(&[
            "rates",
            "add",
            "--series",
            series,
            "--effective",
            date,
            "--rate",
            rate,
        ]);
        assert!(e.contains(says), "{rate}: {e}");
    }
    d.ok(&[
        "rates",
        "add",
        "--series",
        "fr_legal_professional",
        "--effective",
        "2026-01-01",
        "--rate",
        "6.67",
    ]);
    let e = d.refused(&[
        "rates",
        "add",
        "--series",
        "fr_legal_professional",
        "--effective",
        "2026-01-01",
        "--rate",
        "7",
    ]);
    assert!(e.contains("already entered") && e.contains("6.67"), "{e}");
    d.ok(&[
        "rates",
        "remove",
        "--series",
        "fr_legal_professional",
        "--effective",
        "2026-01-01",
    ]);
    d.ok(&[
        "rates",
        "add",
        "--series",
        "fr_legal_professional",
        "--effective",
        "2026-01-01",
        "--rate",
        "7",
    ]);
    let list = d.ok(&["rates", "list"]);
    let shipped = list
        .lines()
        .find(|l| l.contains("ecb_mro") && l.contains("2025-06-11"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        shipped.contains("2.15 %") && shipped.contains("shipped"),
        "{shipped}"
    );
    assert!(!list.contains("100 %"));
}

/// Items 15 and 16: a letter that cannot be written records nothing; `--out` writes only a
/// regular file or a new path; a killed batch's leftovers are tidied.
#[test]
fn output_files_are_written_whole_or_nothing_is_recorded() {
    let d = Demo::new();
    let before = (d.count("documents"), d.count("journal"));
    let e = d.run(&[
        "letter",
        "--invoice",
        "F2026-0136",
        "--kind",
        "formal-demand",
        "--out",
        "/missing/folder/x.pdf",
    ]);
    assert_ne!(e.status.code(), Some(0));
    assert_eq!((d.count("documents"), d.count("journal")), before);
    // A symbolic link, a FIFO and a device node are refused, untouched.
    let target = d.path("target.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = d.path("link.pdf");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = d.path("fifo.pdf");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for out in [link.to_str().unwrap(), fifo.to_str().unwrap(), "/dev/null"] {
        let e = d.refused(&[
            "letter",
            "--invoice",
            "F2026-0136",
            "--kind",
            "formal-demand",
            "--out",
            out,
        ]);
        assert!(e.contains("not a regular file"), "{out}: {e}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!((d.count("documents"), d.count("journal")), before);
    // A batch folder: a killed run's .partial files are removed by the next batch.
    let dir = d.path("letters");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("2026-11-22-X-reminder.pdf.partial"), "half").unwrap();
    d.ok(&["letters", "prepare", "--out", dir.to_str().unwrap()]);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("FEST15-formal_demand.pdf")),
        "{names:?}"
    );
}

/// Item 17: every command's help, and the wording's language as `--language`.
#[test]
fn every_command_has_help_and_a_wording_can_be_changed() {
    let d = Demo::new();
    // Every command's help is read on the way (`leaf_commands`), then every subcommand's.
    let leaves = leaf_commands(&d);
    assert!(leaves.len() > 40, "{leaves:?}");
    for leaf in &leaves {
        let mut args: Vec<&str> = leaf.split(' ').collect();
        args.push("--help");
        d.ok(&args);
    }
    d.ok(&[
        "settings",
        "template",
        "--kind",
        "reminder",
        "--language",
        "fr",
        "--part",
        "subject",
        "--text",
        "Relance : {invoice_count} facture(s)",
    ]);
    let list = d.ok(&["settings", "templates"]);
    assert!(
        list.contains("Relance : {invoice_count} facture(s)"),
        "{list}"
    );
}

/// The commands of `relance --help`, each with its subcommands ("settings show"…); a
/// command without subcommands, or whose subcommand is optional (`backup`, `penalties`), is
/// itself a leaf.
fn leaf_commands(d: &Demo) -> Vec<String> {
    let names = |help: &str| -> Vec<String> {
        help.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|c| c != "help")
            .collect()
    };
    let mut out = Vec::new();
    for c in names(&d.ok(&["--help"])) {
        let help = d.ok(&[&c, "--help"]);
        let subs = names(&help);
        let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap_or("");
        if subs.is_empty() || !usage.contains("<COMMAND>") {
            out.push(c.clone());
        }
        if !subs.is_empty() {
            out.extend(subs.into_iter().map(|s| format!("{c} {s}")));
        }
    }
    out
}

/// Item 17: one valid call of every subcommand, on the demo, in an order where each finds
/// what it needs; a subcommand added without a call here fails the test.
#[test]
fn every_subcommand_has_a_valid_call() {
    let d = Demo::new();
    let out = |name: &str| d.path(name).to_str().unwrap().to_string();
    let snapshot = out("snapshot.sqlite");
    let agenda = d.json(&["agenda", "--format", "json"]);
    let ids: Vec<&str> = agenda
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(ids.len() >= 4, "{agenda}");
    let csv = out("customers.csv");
    std::fs::write(&csv, "reference,name\nCSV1,Client importé\n").unwrap();
    // One command line each (words separated by spaces, `~` a space inside a word), in an
    // order where each finds what it needs.
    let calls = [
        "agenda".to_string(),
        "settings show".into(),
        "settings set promise_grace_days 3".into(),
        "settings template --kind reminder --language en --part subject --text Reminder:{invoice_count}".into(),
        "settings templates".into(),
        "customer add --reference NEW1 --name Nouveau --address 3~rue~Neuve --postal-code 44000 --city Nantes --email compta@nouveau.example".into(),
        "customer list".into(),
        "customer add --reference OOPS --name Erreur".into(),
        "customer delete OOPS".into(),
        "customer archive NEW1".into(),
        "customer list --archived".into(),
        "customer archive NEW1 --undo".into(),
        "customer show FEST15".into(),
        "invoice add --number EXT-1 --customer NEW1 --issue-date 2026-11-01 --total 1200".into(),
        "invoice list".into(),
        "invoice add --number OOPS-1 --customer NEW1 --issue-date 2026-11-01 --total 10".into(),
        "invoice delete OOPS-1".into(),
        "invoice edit EXT-1 --number EXT-1B --due-date 2026-12-15".into(),
        "invoice edit EXT-1B --number EXT-1".into(),
        "invoice show EXT-1".into(),
        format!("contract add --reference K9 --customer NEW1 --total 3000 --schedule 30,40,30 --signed {TODAY} --vat-rate 20"),
        "contract list".into(),
        "contract show K9".into(),
        format!("contract schedule K9 --out {}", out("k9.pdf")),
        // The deposit (30 % of 3 000) is invoiced; 2 700 of 3 600 is left: 40 % and 35 %.
        "contract amend K9 --total 3600 --schedule 40,35".into(),
        "milestone reach K9 2 --yes".into(),
        format!("invoice pdf F2026-0150 --out {}", out("f150.pdf")),
        format!("invoice xml F2026-0150 --out {}", out("f150.xml")),
        "customer edit NEW1 --siren 552100554 --vat-number FR96552100554".into(),
        "invoice draft --customer NEW1 --line Conseil|2|80|20|HUR".into(),
        "invoice line add 1 --line Livret|1|12|5.5".into(),
        "invoice line remove 1 2".into(),
        "invoice drafts".into(),
        "invoice issue 1 --yes".into(),
        "invoice duplicate F2026-0150".into(),
        "invoice discard 2".into(),
        "credit-note issue --invoice F2026-0150 --line Conseil|1|80|20|HUR --reason Geste~commercial".into(),
        format!("credit-note pdf A2026-0001 --out {}", out("a1.pdf")),
        format!("credit-note xml A2026-0001 --out {}", out("a1.xml")),
        "contract cancel K9 --reason Abandonné".into(),
        format!("payment add --customer NEW1 --date {TODAY} --amount 1300 --invoice EXT-1 --keep-as-credit"),
        "payment apply-credit --invoice F2026-0150".into(),
        format!("credit-note add --invoice F2026-0136 --amount 10 --date {TODAY}"),
        format!("action done {}", ids[0]),
        format!("action skip {} --reason Appelé", ids[1]),
        format!("action snooze {} --until 2026-11-29", ids[2]),
        "promise add --customer FEST15 --date 2026-11-30".into(),
        "promise list".into(),
        "dispute open --invoice F2026-0124 --category wrong_price".into(),
        "dispute list".into(),
        "scenario list".into(),
        "scenario assign NEW1 key_account".into(),
        "history --customer FEST15".into(),
        format!("import customers {csv}"),
        format!("export all --out {}", out("export")),
        "backup list".into(),
        format!("backup --out {snapshot}"),
        "penalties --invoice F2025-0009".into(),
        "penalties invoice --invoice F2025-0009".into(),
        // Paid on 1 September, recorded now: INT1 charged days that were not owed.
        "payment add --customer BRAS17 --date 2026-09-01 --amount 9695.05 --invoice F2025-0009".into(),
        "penalties overcharged".into(),
        "penalties correct --invoice F2025-0009".into(),
        format!("letter --invoice F2025-0030 --kind reminder --out {}", out("l.pdf")),
        format!("email --invoice F2026-0136 --kind reminder --out {}", out("r.eml")),
        "mailto --invoice F2026-0136 --kind reminder".into(),
        format!("export-reminders --out {}", out("emails")),
        format!("statement --customer FEST15 --out {}", out("s.pdf")),
        format!("letters prepare --out {}", out("letters")),
        "documents list --customer FEST15".into(),
        "invoice write-off F2026-0114 --reason Liquidation".into(),
        "invoice hand-over F2025-0030 --to court --reason Injonction".into(),
        "aged-balance".into(),
        "segments".into(),
        "segment --customer NEW1 --set good_payer --reason Historique".into(),
        "key-account --customer NEW1".into(),
        "sanctions".into(),
        "sanction --customer TRAI12 --later".into(),
        "sanction --customer NEW1 --payment-first".into(),
        "profile --customer FEST15".into(),
        "rates list".into(),
        "rates add --series fr_legal_professional --effective 2026-07-01 --rate 6.65".into(),
        "rates remove --series fr_legal_professional --effective 2026-07-01".into(),
        // After all of the above, the wake dates Today reads still say what the facts say.
        "check".into(),
    ];
    let leaves = leaf_commands(&d);
    // `Demo::new` made the first call: `demo --as-of` on an empty ledger.
    let mut done = vec!["demo".to_string()];
    let mut run = |line: &str| {
        let args: Vec<String> = line.split(' ').map(|w| w.replace('~', " ")).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        d.ok(&args);
        let two = args[..2.min(args.len())].join(" ");
        done.push(if leaves.contains(&two) {
            two
        } else {
            args[0].to_string()
        });
    };
    for line in &calls {
        run(line);
    }
    // The skip recorded above, undone (by the entry `action skip` printed).
    let customer = ids[1].split('/').next().unwrap();
    let history = d.json(&["history", "--customer", customer, "--format", "json"]);
    let skipped = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "action_skipped")
        .map(|e| e["id"].to_string())
        .expect("the skip");
    run(&format!("action undo {skipped}"));
    // The dispute opened above, resolved; a document fetched; the snapshot restored.
    let disputes = d.json(&["dispute", "list", "--format", "json"]);
    let id = disputes
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["invoice"] == "F2026-0124")
        .map(|x| x["id"].to_string())
        .expect("the dispute");
    run(&format!("dispute resolve {id} --resolution rejected"));
    let docs = d.json(&[
        "documents",
        "list",
        "--customer",
        "FEST15",
        "--format",
        "json",
    ]);
    run(&format!(
        "documents get {} --out {}",
        docs[0]["id"],
        out("doc.pdf")
    ));
    // A bank statement read, a line matched, one set aside, the import undone; a bank CSV
    // layout mapped; an invoice's payment reference.
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/bank/hand"
    );
    run(&format!(
        "bank import {fixtures}/camt053_v02_batched.xml --dry-run"
    ));
    run(&format!("bank import {fixtures}/camt053_v02_batched.xml"));
    run("bank apply");
    let unmatched = d.json(&["bank", "lines", "--status", "unmatched", "--format", "json"]);
    let ids: Vec<String> = unmatched
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].to_string())
        .collect();
    assert!(
        ids.len() >= 2,
        "the statement has lines no invoice names: {unmatched}"
    );
    run(&format!("bank match {} --invoice F2025-0031", ids[0]));
    run(&format!(
        "bank ignore {} --reason Remboursement~fournisseur",
        ids[1]
    ));
    run("bank lines");
    run("bank undo 1");
    run(&format!("bank mapping set {fixtures}/csv_banque_populaire.csv --date Date --debit Débit --credit Crédit --label Libellé --reference Référence"));
    run("reference --invoice F2026-0136");
    run(&format!("restore {snapshot} --yes"));
    // Last, as it leaves the file moved: the ledger onto a server (when the test server
    // runs, as in ./dev test).
    if std::env::var_os("RELANCE_PG_TESTS").is_some() {
        let to = relance_core::store::fresh_server_database("postgres:///postgres").unwrap();
        run(&format!("move --to {to}"));
        // The owner of the ledger now on the server lets a role work in it (here itself).
        let role = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
        let o = Command::new(env!("CARGO_BIN_EXE_relance"))
            .args(["--db", &to, "server", "grant", "--role", &role])
            .env_remove("RELANCE_DB")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        done.push("server grant".into());
    } else {
        eprintln!("move, server grant: skipped, RELANCE_PG_TESTS is not set (./dev test sets it)");
        done.push("move".into());
        done.push("server grant".into());
    }
    let mut missing: Vec<&String> = leaves.iter().filter(|c| !done.contains(c)).collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "subcommands without a valid call here: {missing:?}"
    );
}

/// Items 21 and 25: restoring a file that is not a ledger is a refused input (exit 1);
/// `aged-balance --format json --out F` writes F.
#[test]
fn exit_status_and_report_files() {
    let d = Demo::new();
    let notes = d.path("notes.txt");
    std::fs::write(&notes, "hello ".repeat(100)).unwrap();
    let e = d.refused(&["restore", notes.to_str().unwrap(), "--yes"]);
    assert!(e.contains("not a database"), "{e}");
    let out = d.path("aged.json");
    d.ok(&[
        "aged-balance",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["currency"], "EUR");
}

/// Item 12: payments recorded while restores run: every payment the program said it
/// recorded (exit 0) is in the final file or in an undo ("before restore") snapshot.
#[test]
fn a_restore_never_loses_an_acknowledged_payment() {
    let d = Demo::new();
    let snapshot = d.path("older.sqlite");
    d.ok(&["backup", "--out", snapshot.to_str().unwrap()]);
    let db = d.db();
    let payer = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for k in 0..60 {
                let reference = format!("P{k:03}");
                let o = Command::new(env!("CARGO_BIN_EXE_relance"))
                    .arg("--db")
                    .arg(&db)
                    .args([
                        "payment",
                        "add",
                        "--customer",
                        "GARA05",
                        "--amount",
                        "1",
                        "--date",
                        TODAY,
                        "--reference",
                        &reference,
                        "--keep-as-credit",
                    ])
                    .env("RELANCE_TODAY", TODAY)
                    .output()
                    .unwrap();
                if o.status.success() {
                    acknowledged.push(reference);
                }
            }
            acknowledged
        })
    };
    for _ in 0..5 {
        d.ok(&["restore", snapshot.to_str().unwrap(), "--yes"]);
        std::thread::sleep(std::time::Duration::from_millis(40));
    }
    let acknowledged = payer.join().unwrap();
    assert!(!acknowledged.is_empty());
    let references = |file: &Path| -> Vec<String> {
        let o = Command::new("python3")
            .args([
                "-c",
                "import sqlite3,sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT reference FROM payments WHERE reference LIKE 'P%'\")))",
            ])
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let mut kept = references(&db);
    for e in std::fs::read_dir(d.path("backups")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("relance-before-restore-")
        {
            kept.extend(references(&p));
        }
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|r| !kept.contains(r)).collect();
    assert!(lost.is_empty(), "acknowledged then lost: {lost:?}");
}

/// Item 13: two commands started together on the first run of a day both work, and the
/// day's snapshot is whole.
#[test]
fn two_commands_starting_together_share_the_daily_snapshot() {
    let d = Demo::new();
    for day in ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"] {
        let runs: Vec<std::thread::JoinHandle<Output>> = (0..2)
            .map(|_| {
                let db = d.db();
                let day = day.to_string();
                std::thread::spawn(move || {
                    Command::new(env!("CARGO_BIN_EXE_relance"))
                        .arg("--db")
                        .arg(db)
                        .args(["customer", "list", "--format", "json"])
                        .env("RELANCE_TODAY", day)
                        .output()
                        .unwrap()
                })
            })
            .collect();
        for o in runs.into_iter().map(|h| h.join().unwrap()) {
            assert!(
                o.status.success() && o.stderr.is_empty(),
                "{day}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let snap = d.path(&format!("backups/relance-daily-{day}.sqlite"));
        assert_eq!(rusqlite_count(&snap, "customers"), 25, "{day}");
    }
}

/// Items 8, 11 and 20: contracts split exactly, an issued invoice is dated the day it is
/// issued (the milestone's day is its service date, never before the signature), the
/// owner's series stays gapless, and the questions and messages of contracts are right.
#[test]
fn contracts_split_exactly_and_issued_invoices_are_dated_when_issued() {
    let d = Demo::new();
    // A customer on hold: the deposit is not invoiced without asking.
    d.ok(&[
        "sanction",
        "--customer",
        "HOTL03",
        "--hold",
        "Retards répétés",
    ]);
    let add = [
        "contract",
        "add",
        "--reference",
        "C5",
        "--customer",
        "HOTL03",
        "--total",
        "12000",
        "--schedule",
        "thirds",
        "--signed",
        "2026-10-01",
        "--vat-rate",
        "20",
    ];
    let e = d.refused(&add);
    assert!(e.contains("confirm") && e.contains("Hôtel du Parc"), "{e}");
    assert!(!d.ok(&["contract", "list"]).contains("C5"));
    let mut yes = add.to_vec();
    yes.push("--yes");
    let shown = d.ok(&yes);
    // Thirds of 12 000 € are 4 000 € each (not 4 000,80 / 3 999,60 / 3 999,60).
    let thirds = shown
        .lines()
        .filter(|l| l.contains(" 1/3 ") && l.contains(" 4800.00 "))
        .count();
    assert_eq!(thirds, 3, "{shown}");
    // A milestone before the signature is refused; reached in October, it is invoiced today.
    let e = d.refused(&[
        "milestone",
        "reach",
        "C5",
        "2",
        "--date",
        "2025-12-31",
        "--yes",
    ]);
    assert!(e.contains("before the contract was signed"), "{e}");
    let said = d.ok(&[
        "milestone",
        "reach",
        "C5",
        "2",
        "--date",
        "2026-10-15",
        "--yes",
    ]);
    let number = said.split_whitespace().nth(1).unwrap().to_string();
    let invoice = d.json(&["invoice", "show", &number, "--format", "json"]);
    assert_eq!(invoice["invoice"]["issue_date"], TODAY);
    let pdf = d.path("m.pdf");
    d.ok(&["invoice", "pdf", &number, "--out", pdf.to_str().unwrap()]);
    let t = text(&pdf);
    // The day the milestone was reached is the invoice's service date (BT-72).
    assert!(t.contains("Date d'exécution :      15/10/2026"), "{t}");
    let xml = d.path("m.xml");
    d.ok(&["invoice", "xml", &number, "--out", xml.to_str().unwrap()]);
    let x = std::fs::read_to_string(&xml).unwrap();
    let delivery = x
        .split("<ram:ActualDeliverySupplyChainEvent>")
        .nth(1)
        .unwrap_or_default();
    assert!(
        delivery
            .split("</ram:ActualDeliverySupplyChainEvent>")
            .next()
            .unwrap_or_default()
            .contains("20261015"),
        "{x}"
    );
    // The owner's series for 2026 is Relance's now: a number of it typed by hand is refused.
    let e = d.refused(&[
        "invoice",
        "add",
        "--number",
        "F2026-0999",
        "--customer",
        "HOTL03",
        "--issue-date",
        TODAY,
        "--total",
        "10",
    ]);
    assert!(e.contains("your own 2026 series"), "{e}");
    // A monthly plan: twelve equal instalments.
    let monthly = d.ok(&[
        "contract",
        "add",
        "--reference",
        "M12",
        "--customer",
        "ECOL10",
        "--total",
        "12000",
        "--schedule",
        "monthly:12",
        "--signed",
        TODAY,
        "--vat-rate",
        "20",
    ]);
    let twelfths = monthly
        .lines()
        .filter(|l| l.contains(" 1/12 ") && l.contains(" 1200.00 "))
        .count();
    assert_eq!(twelfths, 12, "{monthly}");
    // Amended below what is invoiced: said as such; a new VAT rate is accepted; the last
    // milestone is the balance.
    let e = d.refused(&[
        "contract",
        "amend",
        "C5",
        "--total",
        "1000",
        "--schedule",
        "100",
    ]);
    assert!(e.contains("below what is already invoiced"), "{e}");
    let amended = d.ok(&[
        "contract",
        "amend",
        "C5",
        "--total",
        "12000",
        "--schedule",
        "1/3",
        "--vat-rate",
        "10",
    ]);
    assert!(amended.contains("Solde à la livraison"), "{amended}");
    // Only the invoiced deposit keeps that name; the remaining milestone is the balance.
    assert_eq!(
        amended.matches("Acompte à la signature").count(),
        1,
        "{amended}"
    );
}

/// Item 10: a restore keeps every invoice Relance issued since the snapshot (with its
/// contract and customer), and the numbering never goes back.
#[test]
fn a_restore_keeps_issued_invoices_and_the_numbering() {
    let d = Demo::new();
    let older = d.path("older.sqlite");
    d.ok(&["backup", "--out", older.to_str().unwrap()]);
    d.ok(&[
        "customer",
        "add",
        "--reference",
        "NEWCO",
        "--name",
        "Nouvelle Société",
        "--address",
        "1 rue Neuve",
        "--postal-code",
        "69003",
        "--city",
        "Lyon",
    ]);
    d.ok(&[
        "contract",
        "add",
        "--reference",
        "C5",
        "--customer",
        "NEWCO",
        "--total",
        "3000",
        "--schedule",
        "30/70",
        "--signed",
        TODAY,
        "--vat-rate",
        "20",
    ]);
    let issued: Vec<String> = d
        .json(&[
            "invoice", "list", "--filter", "all", "--format", "json", "--limit", "10000",
        ])
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["issued"] == true)
        .map(|i| i["number"].as_str().unwrap().to_string())
        .collect();
    let deposit = issued.last().unwrap().clone();
    // Without --yes: what the restore would drop and keep is listed, then it asks.
    d.ok(&[
        "payment",
        "add",
        "--customer",
        "FEST15",
        "--date",
        TODAY,
        "--amount",
        "500",
        "--reference",
        "VIR-APRES",
    ]);
    let o = d.run(&["restore", older.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        listed.contains("dropped by the restore")
            && listed.contains("payment")
            && listed.contains("500.00 EUR")
            && listed.contains("VIR-APRES"),
        "{listed}"
    );
    assert!(
        listed.contains(&format!(
            "Invoices recorded since, kept (issued, or named by an issued credit note or penalty invoice: an issued document exists once sent): {deposit}."
        )),
        "{listed}"
    );
    let said = d.ok(&["restore", older.to_str().unwrap(), "--yes"]);
    assert!(
        said.contains("Kept 1 invoice recorded since") && said.contains(&deposit),
        "{said}"
    );
    // The deposit, its customer and its contract are there; the next number follows it.
    let shown = d.json(&["invoice", "show", &deposit, "--format", "json"]);
    assert_eq!(shown["invoice"]["customer_reference"], "NEWCO");
    assert_eq!(shown["invoice"]["total"], "1080.00");
    assert!(d.ok(&["contract", "show", "C5"]).contains(&deposit));
    d.ok(&[
        "contract",
        "add",
        "--reference",
        "C6",
        "--customer",
        "HOTL03",
        "--total",
        "1000",
        "--schedule",
        "30/70",
        "--signed",
        TODAY,
        "--vat-rate",
        "20",
    ]);
    let next = d.ok(&["contract", "show", "C6"]);
    let n = |s: &str| s[s.len() - 4..].parse::<i64>().unwrap();
    let six = next
        .split_whitespace()
        .find(|w| w.starts_with("F2026-"))
        .unwrap()
        .to_string();
    assert_eq!(n(&six), n(&deposit) + 1, "{next}");
}

/// Item 24: an accented domain goes into `To:` in its ASCII form, an accented name before
/// the @ is refused as it is typed, and a name shaped like an encoded word reads as typed.
#[test]
fn e_mail_addresses_and_names_reach_the_header_safely() {
    let d = Demo::new();
    let e = d.refused(&[
        "customer",
        "add",
        "--reference",
        "CAFE",
        "--name",
        "Café",
        "--email",
        "évelyne@café.fr",
    ]);
    assert!(e.contains("SMTPUTF8"), "{e}");
    let trick = "=?utf-8?b?SGFja2Vk?=";
    d.ok(&[
        "customer",
        "add",
        "--reference",
        "CAFE",
        "--name",
        trick,
        "--email",
        "evelyne@café.fr",
    ]);
    d.ok(&[
        "invoice",
        "add",
        "--number",
        "CF-1",
        "--customer",
        "CAFE",
        "--issue-date",
        TODAY,
        "--due-date",
        "2026-11-29",
        "--total",
        "120",
    ]);
    let eml = d.path("c.eml");
    d.ok(&[
        "email",
        "--invoice",
        "CF-1",
        "--kind",
        "courtesy",
        "--out",
        eml.to_str().unwrap(),
    ]);
    let o = Command::new("python3")
        .args([
            "-c",
            "import email,sys; from email import policy; m=email.message_from_bytes(open(sys.argv[1],'rb').read(), policy=policy.default); \
             a=m['to'].addresses[0]; print(a.display_name.strip()); print(a.addr_spec); print(repr(m.defects))",
        ])
        .arg(&eml)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, [trick, "evelyne@xn--caf-dma.fr", "[]"], "{out}");
    let raw = std::fs::read_to_string(&eml).unwrap();
    let to = raw.lines().find(|l| l.starts_with("To:")).unwrap();
    assert!(to.is_ascii() && !to.contains(trick), "{to}");
}

/// Issue 21: drafts issued by several processes at once are numbered without a gap, each
/// once; the same draft issued twice at once is issued once.
#[test]
fn drafts_issued_at_once_are_numbered_without_a_gap() {
    let d = Demo::new();
    let drafts: Vec<String> = (0..5)
        .map(|i| {
            let out = d.ok(&[
                "invoice",
                "draft",
                "--customer",
                "ARCH08",
                "--line",
                &format!("Conseil {i}|1|{}|20", 100 + i),
                "--format",
                "json",
            ]);
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            v["id"].as_i64().unwrap().to_string()
        })
        .collect();
    // Six processes: each draft once, the first one twice.
    let mut targets = drafts.clone();
    targets.push(drafts[0].clone());
    let runs: Vec<std::thread::JoinHandle<Output>> = targets
        .into_iter()
        .map(|draft| {
            let db = d.db();
            std::thread::spawn(move || {
                Command::new(env!("CARGO_BIN_EXE_relance"))
                    .arg("--db")
                    .arg(db)
                    .args(["invoice", "issue", &draft, "--yes"])
                    .env("RELANCE_TODAY", TODAY)
                    .output()
                    .unwrap()
            })
        })
        .collect();
    let ok = runs
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|o| o.status.success())
        .count();
    assert_eq!(ok, 5, "each draft issued once");
    let conn = relance_core::Connection::open_sqlite_file(d.db(), false).unwrap();
    let numbers: Vec<String> = conn
        .prepare("SELECT number FROM invoices WHERE issued = 1 ORDER BY number")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let last: Vec<i64> = numbers
        .iter()
        .filter_map(|n| n.strip_prefix("F2026-").and_then(|k| k.parse().ok()))
        .collect();
    // Consecutive, the last five the drafts' (after the demo's own issued invoices).
    for w in last.windows(2) {
        assert_eq!(w[1], w[0] + 1, "{numbers:?}");
    }
    assert_eq!(d.count("invoice_drafts"), 0);
    assert_eq!(d.count("invoice_archives"), numbers.len() as i64);
}
