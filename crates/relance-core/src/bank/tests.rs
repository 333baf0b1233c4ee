//! Parser tests: files written by hand for what we must read, and public sample files of
//! other projects' test suites (tests/fixtures/bank/SOURCES.md says where each comes from
//! and what it holds; the figures below are read off those tables).

use super::*;
use crate::error::Lang;
use crate::test_support::day;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/bank/", $name)).as_slice()
    };
}

fn read(bytes: &[u8]) -> Parsed {
    parse(bytes, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn credits(s: &Statement) -> Vec<(i64, String, String)> {
    s.lines
        .iter()
        .filter(|l| l.amount_minor > 0 && !l.reversal)
        .map(|l| (l.amount_minor, l.party.to_string(), l.text.to_string()))
        .collect()
}

#[test]
fn camt053_by_hand_batched_entry_pending_and_entities() {
    let p = read(fixture!("hand/camt053_v02_batched.xml"));
    assert_eq!(p.format, Format::Camt053);
    let s = &p.statements[0];
    assert_eq!(s.account, "FR7630006000011234567890189");
    assert_eq!((s.opening, s.closing), (Some(100_000), Some(517_456)));
    assert_eq!(s.balance_mismatch(), None);
    // The pending entry is not a line; the batch is two lines with their own amounts.
    assert_eq!(s.lines.len(), 4);
    let first = &s.lines[0];
    assert_eq!(first.amount_minor, 123_456);
    assert_eq!(first.party, "Hôtel du Parc & Spa");
    assert_eq!(first.party_account, "FR7612345678901234567890123");
    assert_eq!(first.reference, "RF82RL1");
    assert_eq!(first.bank_ref, "TX-001");
    assert_eq!(
        (first.booking_date, first.value_date),
        (Some(day("2026-11-27")), Some(day("2026-11-28")))
    );
    assert_eq!(first.date(), day("2026-11-28"), "dated by its value date");
    assert_eq!(
        credits(s)[1..],
        [
            (
                180_000,
                "Boulangerie Martin".into(),
                "FACTURE F2026-0012 MERCI".into()
            ),
            (120_000, "Studio Lumière".into(), "Acompte devis 118".into()),
        ]
    );
    assert_eq!(
        (s.lines[1].entry_ref.as_str(), s.lines[1].index_in_entry),
        ("E-002", 0)
    );
    assert_eq!(
        (s.lines[2].entry_ref.as_str(), s.lines[2].index_in_entry),
        ("E-002", 1)
    );
    let fee = &s.lines[3];
    assert_eq!(
        (fee.amount_minor, fee.text.as_str(), fee.entry_ref.as_str()),
        (-6_000, "Frais de tenue de compte", "E-003")
    );
    assert_eq!(
        fee.date(),
        day("2026-11-29"),
        "no value date: the booking date"
    );
}

#[test]
fn camt053_v02_public_sample_prcd_and_batched_debit() {
    let p = read(fixture!("camt053_v02_viafintech_vrbank_batched.xml"));
    let s = &p.statements[0];
    assert_eq!(s.account, "DE14740618130000033626");
    assert_eq!((s.opening, s.closing), (Some(3_306), Some(2_306)));
    assert_eq!(s.balance_mismatch(), None);
    let amounts: Vec<i64> = s.lines.iter().map(|l| l.amount_minor).collect();
    assert_eq!(amounts, vec![-200, -300, 100, -350, -250]);
    assert_eq!(
        credits(s),
        vec![(100, "Testkonto Nummer 2".into(), "R CKBUCHUNG".into())]
    );
}

#[test]
fn camt053_v04_batches_returns_and_reversals() {
    let p = read(fixture!(
        "camt053_v04_viafintech_postfinance_batched_reversals.xml"
    ));
    let s = &p.statements[0];
    assert_eq!(s.currency, "CHF");
    assert_eq!((s.opening, s.closing), (Some(32_215_216), Some(32_268_977)));
    assert_eq!(s.balance_mismatch(), None);
    assert_eq!(s.lines.len(), 32);
    // Entry 7: ten transactions of their own amounts, 1 000,00 in all.
    let batch: i64 = s.lines[6..16].iter().map(|l| l.amount_minor).sum();
    assert_eq!(batch, 100_000);
    assert_eq!(s.lines[7].party, "Rutschmann Pia");
    assert_eq!(s.lines[7].reference, "000000000002016030002820804");
    // Entry 9's three returns and entries 12–13's reversals are marked, never payments.
    let marked: Vec<i64> = s
        .lines
        .iter()
        .filter(|l| l.reversal)
        .map(|l| l.amount_minor)
        .collect();
    assert_eq!(marked, vec![2_000, 4_000, 5_000, -600, -1_553]);
    assert_eq!(
        s.lines[18].text,
        "MUSTER MITTEILUNG 1 MUSTER MITTEILUNG 2 MUSTER MITTEILUNG 3 MUSTER MITTEILUNG 4"
    );
}

#[test]
fn camt053_v08_party_wrappers_and_a_foreign_currency_entry() {
    let p = read(fixture!("camt053_v08_viafintech_ubs.xml"));
    let s = &p.statements[0];
    assert_eq!(s.currency, "CHF");
    assert_eq!(
        credits(s),
        vec![
            (47_440, "Jon Doe".into(), "INVOICE R77561".into()),
            (
                8_885,
                "Finanz AG".into(),
                "Credit Creditor Reference".into()
            ),
        ]
    );
    assert_eq!(s.lines[1].reference, "RF38000000000000000000552");
    assert_eq!(
        (s.lines[2].amount_minor, s.lines[2].currency.as_str()),
        (-2_097, "EUR")
    );
    // The sample's balances do not add up: reported, with both figures.
    assert_eq!(
        s.balance_mismatch(),
        Some((8_272_195 + 47_440 + 8_885, 8_451_525))
    );
}

#[test]
fn camt053_two_statements_and_odd_v08() {
    let p = read(fixture!("camt053_v02_genkgo_multi_stmt.xml"));
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.statements[0].lines[0].amount_minor, 885);
    assert_eq!(p.statements[1].lines[0].amount_minor, -700);
    // A debit's other party is its creditor; a credit without a debtor has none.
    assert_eq!(p.statements[1].lines[0].party, "Company Name 2");
    assert_eq!(p.statements[0].lines[0].party, "");
    assert!(p.statements.iter().all(|s| s.balance_mismatch().is_none()));
    let p = read(fixture!("camt053_v08_genkgo_dttm_mixed_ccy_balances.xml"));
    let s = &p.statements[0];
    assert_eq!(s.account, "NL26VAYB8060476890");
    let l = &s.lines[0];
    assert_eq!(
        (l.amount_minor, l.currency.as_str(), l.party.as_str()),
        (885, "EUR", "NAME NAME")
    );
    assert_eq!(l.booking_date, Some(day("2014-12-31")));
    assert_eq!(l.reference, "4654654654654654");
}

#[test]
fn camt054_notification() {
    let p = read(fixture!("camt054_v04_viafintech_postfinance.xml"));
    assert_eq!(p.format, Format::Camt054);
    let s = &p.statements[0];
    assert_eq!((s.opening, s.closing), (None, None));
    assert_eq!(
        credits(s),
        vec![
            (1_500, "Rutschmann Pia".into(), "Mitteilung 132".into()),
            (900, "Bernasconi Maria".into(), "Mitteilung 131".into()),
            (
                5_656,
                "Bernasconi Maria".into(),
                // No remittance: the entry's own information stands for it.
                "GUTSCHRIFT CH-DD-BASISLASTSCHRIFT ID: 41107767420881932 REFERENZ-NR: PMT-ID-1268016165-01".into()
            ),
        ]
    );
    assert_eq!(s.lines[2].party_account, "CH3709000000250094580");
}

#[test]
fn ofx1_in_windows_1252_with_decimal_commas() {
    let p = read(fixture!("hand/ofx1_cp1252.ofx"));
    assert_eq!(p.format, Format::Ofx);
    let s = &p.statements[0];
    assert_eq!(
        (s.account.as_str(), s.currency.as_str()),
        ("12345678901", "EUR")
    );
    let l: Vec<(i64, &str, &str)> = s
        .lines
        .iter()
        .map(|l| (l.amount_minor, l.fitid.as_str(), l.text.as_str()))
        .collect();
    assert_eq!(
        l,
        vec![
            (
                123_456,
                "F-1105-01",
                "VIR SEPA CAFÉ DES ARTS Règlement facture F2026-0007"
            ),
            (-4_590, "F-1106-01", "PRLV ÉLECTRICITÉ"),
            (150_000, "F-1120-01", "VIR M. RENÉ GARÇON Acompte"),
        ]
    );
    assert_eq!(s.lines[2].party, "VIR M. RENÉ GARÇON");
}

#[test]
fn ofx_public_samples() {
    let p = read(fixture!("ofx102_sgml_ofxparse_checking.ofx"));
    let s = &p.statements[0];
    assert_eq!(s.currency, "USD");
    let amounts: Vec<i64> = s.lines.iter().map(|l| l.amount_minor).collect();
    assert_eq!(amounts, vec![1, -3_451, -2_500]);
    assert_eq!(s.lines[0].booking_date, Some(day("2011-03-31")));
    let p = read(fixture!("ofx102_sgml_cp1252_asgrim_bb_two_stmtrs.ofx"));
    assert_eq!(p.statements.len(), 2);
    let s = &p.statements[1];
    assert_eq!(s.lines.len(), 36);
    let credits: i64 = s
        .lines
        .iter()
        .filter(|l| l.amount_minor > 0)
        .map(|l| l.amount_minor)
        .sum();
    let debits: i64 = s
        .lines
        .iter()
        .filter(|l| l.amount_minor < 0)
        .map(|l| l.amount_minor)
        .sum();
    assert_eq!((credits, debits), (7_478_387, -7_843_253));
    assert_eq!(s.lines[0].text, "TED-CRÉDITO EM CONTA");
    assert_eq!(s.account, "655000-2");
    let p = read(fixture!("ofx200_xml_asgrim_savings.ofx"));
    let l: Vec<(i64, &str)> = p.statements[0]
        .lines
        .iter()
        .map(|l| (l.amount_minor, l.text.as_str()))
        .collect();
    assert_eq!(
        l,
        vec![
            (20_000, "DEPOSIT automatic deposit"),
            (15_000, "TRANSFER Transfer from checking"),
            (-10_000, "Cheque")
        ]
    );
}

#[test]
fn mt940_by_hand_german_sepa_with_header_lines() {
    let p = read(fixture!("hand/mt940_sepa.sta"));
    assert_eq!(p.format, Format::Mt940);
    let s = &p.statements[0];
    assert_eq!(s.account, "DE89370400440532013000");
    assert_eq!((s.opening, s.closing), (Some(100_000), Some(192_456)));
    assert_eq!(s.balance_mismatch(), None);
    let l = &s.lines[0];
    assert_eq!(l.amount_minor, 123_456, "CR: a credit with its funds code");
    assert_eq!(l.party, "MUSTER GMBHKOELN");
    assert_eq!(l.party_account, "DE02100100109307118603");
    assert_eq!(l.end_to_end, "F2026-0009");
    assert_eq!(l.text, "Rechnung F2026-0009 vielen Dank");
    assert_eq!(l.bank_ref, "BANKREF-0001");
    assert_eq!(s.lines[1].amount_minor, -6_000);
    assert_eq!(s.lines[1].text, "Kontofuehrung November");
    let back = &s.lines[2];
    assert!(
        back.reversal && back.amount_minor == -25_000,
        "RC: a credit reversed, money out"
    );
}

#[test]
fn mt940_public_samples() {
    let p = read(fixture!("mt940_de_volksbank_sepa_8stmts.sta"));
    assert_eq!(p.statements.len(), 8);
    let all: Vec<&Line> = p.statements.iter().flat_map(|s| &s.lines).collect();
    assert_eq!(all.len(), 12);
    assert_eq!(all.iter().map(|l| l.amount_minor).sum::<i64>(), 74_500);
    assert!(p.statements.iter().all(|s| s.balance_mismatch().is_none()));
    assert_eq!(all[0].party, "Olivia Dorn");
    assert_eq!(all[0].party_account, "DE40500105174675974588");
    assert_eq!(all[3].end_to_end, "ZV0100284190949300000002");
    assert_eq!(all[0].value_date, Some(day("2020-02-19")));
    let p = read(fixture!("mt940_de_betterplace_sepa_snippet.sta"));
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.statements[0].balance_mismatch(), None);
    assert_eq!(p.statements[1].opening, Some(-197_043_187));
    assert_eq!(
        p.statements[1].balance_mismatch(),
        Some((-447_234_917, -447_204_909))
    );
    assert_eq!(p.statements[0].lines[0].amount_minor, 5_099_005);
    let p = read(fixture!("mt940_de_deutschebank_return_ocmt.sta"));
    assert_eq!(p.statements[0].lines[0].amount_minor, -1_235);
    let p = read(fixture!("mt940_nl_abnamro_header_lines.sta"));
    assert_eq!(p.statements.len(), 2);
    assert!(p
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .all(|l| l.amount_minor < 0));
    assert_eq!(
        p.statements.iter().map(|s| s.lines.len()).sum::<usize>(),
        10
    );
}

fn banque_populaire() -> csv::Mapping {
    csv::Mapping {
        layout: "date|libellé|débit|crédit|référence".into(),
        date: "Date".into(),
        debit: Some("Débit".into()),
        credit: Some("Crédit".into()),
        label: Some("Libellé".into()),
        reference: Some("Référence".into()),
        account: "FR7630006000011234567890189".into(),
        currency: "EUR".into(),
        date_format: "%d/%m/%Y".into(),
        ..csv::Mapping::default()
    }
}

#[test]
fn bank_csv_unknown_layout_then_mapped() {
    let bytes = fixture!("hand/csv_banque_populaire.csv");
    let err = parse(bytes, &[]).unwrap_err();
    let Error::Invalid {
        msg: Msg::Statement(StatementFault::UnknownLayout { columns }),
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        columns,
        &["Date", "Libellé", "Débit", "Crédit", "Référence"]
    );
    assert!(Msg::Statement(StatementFault::UnknownLayout {
        columns: columns.clone()
    })
    .text(Lang::Fr)
    .contains("relance bank mapping set"));
    let p = parse(bytes, &[banque_populaire()]).unwrap();
    let s = &p.statements[0];
    let l: Vec<(i64, &str, &str)> = s
        .lines
        .iter()
        .map(|l| (l.amount_minor, l.text.as_str(), l.reference.as_str()))
        .collect();
    assert_eq!(
        l,
        vec![
            (123_456, "VIR SEPA HOTEL DU PARC", "RF82RL1"),
            (180_000, "VIR BOULANGERIE MARTIN FACTURE F2026-0012", ""),
            (-6_000, "FRAIS TENUE DE COMPTE", ""),
        ]
    );
    assert_eq!(s.account, "FR7630006000011234567890189");
    // The same file in Windows-1252 with a signed amount column and ISO dates.
    let text = "Date,Label,Amount\n2026-11-27,VIR Hôtel,\"1234.56\"\n2026-11-28,Frais,-60\n";
    let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let m = csv::Mapping {
        layout: "date|label|amount".into(),
        date: "Date".into(),
        amount: Some("Amount".into()),
        label: Some("Label".into()),
        date_format: "%Y-%m-%d".into(),
        ..csv::Mapping::default()
    };
    let p = parse(&cp, std::slice::from_ref(&m)).unwrap();
    assert_eq!(p.statements[0].lines[0].text, "VIR Hôtel");
    assert_eq!(p.statements[0].lines[1].amount_minor, -6_000);
    // A mapping reading the wrong column: a third of the rows or more fail, refused.
    let wrong = csv::Mapping {
        date: "Label".into(),
        ..m
    };
    assert!(matches!(
        parse(text.as_bytes(), &[wrong]),
        Err(Error::Invalid {
            msg: Msg::Statement(StatementFault::MappingErrors {
                bad: 2,
                total: 2,
                ..
            }),
            ..
        })
    ));
}

/// Two more French layouts as their banks export them: one signed amount with a no-break
/// or narrow no-break space between thousands, a payer column, UTF-8 with a BOM, preamble
/// lines as wide as the table (Crédit Agricole style); quoted fields separated by commas,
/// ISO-8859-1, an account line before the header (Société Générale style).
#[test]
fn two_more_french_bank_csv_layouts() {
    let ca = fixture!("hand/csv_credit_agricole.csv");
    let Err(Error::Invalid {
        msg: Msg::Statement(StatementFault::UnknownLayout { columns }),
        ..
    }) = parse(ca, &[])
    else {
        panic!("a new layout is asked for")
    };
    assert_eq!(columns, ["Date", "Tiers", "Libellé", "Montant", "Devise"]);
    let m = csv::Mapping {
        layout: csv::layout_key(&columns),
        date: "Date".into(),
        amount: Some("Montant".into()),
        label: Some("Libellé".into()),
        payer: Some("Tiers".into()),
        account: "FR7630006000011234567890189".into(),
        currency: "EUR".into(),
        date_format: "%d/%m/%Y".into(),
        ..csv::Mapping::default()
    };
    let p = parse(ca, std::slice::from_ref(&m)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(i64, &str, String)> = p.statements[0]
        .lines
        .iter()
        .map(|l| (l.amount_minor, l.party.as_str(), l.date().to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (123_456, "HOTEL DU PARC ET SPA", "2026-11-27".to_string()),
            (180_000, "BOULANGERIE MARTIN", "2026-11-28".to_string()),
            (-8_900, "", "2026-11-28".to_string()),
            (120_000, "STUDIO LUMIERE", "2026-11-29".to_string()),
        ]
    );
    assert!(p.statements[0].lines[0].text.contains("RF82RL1"));
    let sg = fixture!("hand/csv_societe_generale.csv");
    let Err(Error::Invalid {
        msg: Msg::Statement(StatementFault::UnknownLayout { columns }),
        ..
    }) = parse(sg, &[])
    else {
        panic!("a new layout is asked for")
    };
    assert_eq!(
        columns,
        [
            "Date de l'opération",
            "Libellé",
            "Détail de l'écriture",
            "Montant de l'opération",
            "Devise"
        ]
    );
    let m = csv::Mapping {
        layout: csv::layout_key(&columns),
        date: "Date de l'opération".into(),
        amount: Some("Montant de l'opération".into()),
        label: Some("Détail de l'écriture".into()),
        account: "FR7630006000011234567890189".into(),
        currency: "EUR".into(),
        date_format: "%d/%m/%Y".into(),
        ..csv::Mapping::default()
    };
    let p = parse(sg, std::slice::from_ref(&m)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(i64, &str)> = p.statements[0]
        .lines
        .iter()
        .map(|l| (l.amount_minor, l.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (123_456, "DE: HOTEL DU PARC REF: RF82RL1"),
            (180_000, "DE: BOULANGERIE MARTIN MOTIF: FACTURE F2026-0012"),
            (-6_000, "FRAIS DE TENUE DE COMPTE"),
        ]
    );
}

#[test]
fn refusals_say_what_and_where() {
    let fault_of = |bytes: &[u8]| match parse(bytes, &[]) {
        Err(Error::Invalid {
            msg: Msg::Statement(f),
            ..
        }) => f,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        fault_of(b"Bonjour, ceci est une lettre."),
        StatementFault::Unrecognised { .. }
    ));
    assert!(matches!(fault_of(b""), StatementFault::Unrecognised { .. }));
    // The message names each format tried and why it did not read the file.
    let letter = fault_of(b"Bonjour, ceci est une lettre.");
    let said = Error::invalid("file", Msg::Statement(letter))
        .message(Lang::Fr)
        .replace(['\u{a0}', '\u{202f}'], " ");
    for tried in [
        "camt.053/054 (il ne commence pas",
        "OFX (ni en-tête",
        "MT940 (pas de champ :20:",
        "CSV (aucun séparateur",
        "Bonjour, ceci est une lettre.",
    ] {
        assert!(said.contains(tried), "{said}");
    }
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document><BkToCstmrStmt><Stmt><Ntry>&x;</Ntry></Stmt></BkToCstmrStmt></Document>"#;
    assert_eq!(fault_of(xxe), StatementFault::Dtd);
    let laughs = br#"<Document><BkToCstmrStmt><Stmt><Ntry><Amt>&lol;</Amt></Ntry></Stmt></BkToCstmrStmt></Document>"#;
    assert_eq!(fault_of(laughs), StatementFault::Dtd);
    let big = vec![b' '; (MAX_MB as usize) * 1024 * 1024 + 1];
    assert_eq!(fault_of(&big), StatementFault::TooLarge { max_mb: MAX_MB });
    // Three decimals in euros, a date in 1999, an element cut short: each named where.
    let camt = |amt: &str, date: &str| {
        format!(
            r#"<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>FR76</IBAN></Id><Ccy>EUR</Ccy></Acct><Ntry><Amt Ccy="EUR">{amt}</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>{date}</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"#
        )
    };
    assert!(matches!(
        fault_of(camt("1.234", "2026-11-02").as_bytes()),
        StatementFault::TooManyDecimals { .. }
    ));
    let f = fault_of(camt("12.00", "1999-12-31").as_bytes());
    assert!(
        matches!(&f, StatementFault::DateOutOfRange { at: Place::Element(e), .. } if e == "Stmt/Ntry[1]/BookgDt/Dt"),
        "{f:?}"
    );
    let cut = camt("12.00", "2026-11-02");
    assert!(matches!(
        fault_of(&cut.as_bytes()[..cut.len() - 20]),
        StatementFault::Malformed { .. }
    ));
    let text = Msg::Statement(fault_of(camt("1.234", "2026-11-02").as_bytes())).text(Lang::Fr);
    assert!(
        text.contains("élément Stmt/Ntry[1]/Amt") && text.contains("1.234"),
        "{text}"
    );
    // MT940 with a broken :61:.
    let mt = b":20:X\n:25:DE89\n:60F:C261127EUR0,00\n:61:26112\n:62F:C261127EUR0,00\n-\n";
    assert!(matches!(
        fault_of(mt),
        StatementFault::Malformed {
            at: Place::Line(4),
            ..
        }
    ));
}

/// Whatever the bytes: statements or a refusal with a message, never a panic.
/// A .zip of daily files (written by Python's zipfile: a folder, two deflated camt.053)
/// gives its statements; a damaged or cut archive is refused saying so, never a panic.
#[test]
fn a_zip_of_daily_statements_is_read_whole() {
    use proptest::prelude::*;
    let bytes = fixture!("hand/camt053_daily.zip");
    assert!(zip::looks_like(bytes));
    let files = zip::entries(bytes).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "2026-11/releve-2026-11-27.xml",
            "2026-11/releve-2026-11-28.xml"
        ],
        "the folder left out"
    );
    let days: Vec<(i64, String)> = files
        .iter()
        .map(|(_, b)| {
            let l = &read(b).statements[0].lines[0];
            (l.amount_minor, l.date().to_string())
        })
        .collect();
    assert_eq!(
        days,
        [
            (180_000, "2026-11-27".into()),
            (50_000, "2026-11-28".into())
        ]
    );
    let said = |b: &[u8]| match zip::entries(b) {
        Err(Error::Invalid { msg, .. }) => msg.text(Lang::En),
        other => panic!("{other:?}"),
    };
    assert!(said(&bytes[..bytes.len() - 30]).contains("cannot be read"));
    let mut flipped = bytes.to_vec();
    let i = flipped.windows(4).position(|w| w == b"PK\x03\x04").unwrap() + 120;
    flipped[i] ^= 0x55;
    assert!(
        said(&flipped).contains("cannot be read"),
        "{}",
        said(&flipped)
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
            |edits| {
                let mut b = bytes.to_vec();
                for (at, v) in edits {
                    let i = at % b.len();
                    b[i] = v;
                }
                let _ = zip::entries(&b);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn any_bytes_give_lines_or_a_refusal() {
    use proptest::prelude::*;
    let seeds: Vec<&[u8]> = vec![
        fixture!("hand/camt053_v02_batched.xml"),
        fixture!("hand/ofx1_cp1252.ofx"),
        fixture!("hand/mt940_sepa.sta"),
        fixture!("hand/csv_banque_populaire.csv"),
        fixture!("hand/csv_credit_agricole.csv"),
        fixture!("hand/csv_societe_generale.csv"),
        fixture!("mt940_de_betterplace_sepa_snippet.sta"),
    ];
    let layouts = vec![banque_populaire()];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        any::<usize>(),
    );
    runner
        .run(&strategy, |(k, edits, cut)| {
            let mut bytes = seeds[k].to_vec();
            for (at, b) in edits {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            read_or_refused(&bytes, &layouts);
            Ok(())
        })
        .unwrap();
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..400), |bytes| {
            read_or_refused(&bytes, &layouts);
            Ok(())
        })
        .unwrap();
}

/// Lines, or a refusal that says something in both languages: never an empty statement,
/// never a silent error.
fn read_or_refused(bytes: &[u8], layouts: &[csv::Mapping]) {
    match parse(bytes, layouts) {
        Ok(p) => assert!(
            p.statements.iter().any(|s| !s.lines.is_empty()),
            "read with no line: {p:?}"
        ),
        Err(e) => {
            for lang in [Lang::Fr, Lang::En] {
                let said = e.message(lang);
                assert!(said.trim().len() > 20, "{e:?}: {said:?}");
            }
        }
    }
}

mod ledger {
    use super::super::store::{self, Options};
    use super::*;
    use crate::journal::JournalKind;
    use crate::store::sql::Connection;
    use crate::test_support::{inv, setup};

    const TODAY: &str = "2026-11-30";

    fn ledger() -> Connection {
        let conn = setup();
        for (r, n) in [
            ("HOTEL", "Hôtel du Parc & Spa"),
            ("BOUL", "Boulangerie Martin"),
        ] {
            crate::customers::create(
                &conn,
                &crate::customers::CustomerInput {
                    reference: r.into(),
                    name: n.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        for i in [
            inv("F2026-0001", "HOTEL", "2026-10-01", "2026-10-31", "1234.56"),
            inv("F2026-0012", "BOUL", "2026-10-05", "2026-11-04", "1800.00"),
            inv("F2026-0013", "ACME", "2026-10-06", "2026-11-05", "500.00"),
            inv("F2026-0014", "ACME", "2026-10-07", "2026-11-06", "300.00"),
        ] {
            crate::invoices::create(&conn, &i, day(TODAY)).unwrap();
        }
        // The first reference Relance allocates is RL1: the hand-written statement carries it.
        assert_eq!(
            store::invoice_reference(&conn, "F2026-0001").unwrap(),
            "RF82RL1"
        );
        conn
    }

    /// The Bank screen's groups ([`store::groups`]: the decided lines counted and paged in
    /// SQL, the others proposed) are the whole list's lines ([`store::lines`]), grouped, in
    /// its order, a page at a time; a line asked for is on its group's page returned, the
    /// other groups' pages not read.
    fn screen_agrees(conn: &Connection) {
        screen_agrees_in(conn, &[Lang::Fr, Lang::En], &[1, 3, 50]);
    }

    /// [`screen_agrees`] in `langs`, by pages of `limits`.
    fn screen_agrees_in(conn: &Connection, langs: &[Lang], limits: &[u32]) {
        use store::{Group, PageAsk};
        for &lang in langs {
            let whole = store::lines(conn, None, lang).unwrap();
            for &limit in limits {
                let mut paged = Vec::new();
                for g in Group::ALL {
                    let mut offset = 0;
                    loop {
                        let ask = [PageAsk { group: g, offset }];
                        let got = store::groups(conn, &ask, limit, None, lang).unwrap();
                        assert_eq!(got.iter().map(|p| p.group).collect::<Vec<_>>(), Group::ALL);
                        for other in got.iter().filter(|p| p.group != g) {
                            assert!(other.lines.is_empty(), "{:?} not asked", other.group);
                        }
                        let page = got.into_iter().find(|p| p.group == g).unwrap();
                        let of = whole
                            .iter()
                            .filter(|l| Group::of(&l.status, l.confidence) == g)
                            .count();
                        assert_eq!(page.total as usize, of, "{g:?}");
                        if offset >= page.total {
                            // Past the end: the last page again.
                            assert_eq!(page.offset, page.total.saturating_sub(1) / limit * limit);
                            break;
                        }
                        assert_eq!(page.offset, offset);
                        assert!(page.lines.len() as u32 <= limit);
                        paged.extend(page.lines);
                        offset += limit;
                    }
                }
                let mut expected = whole.clone();
                expected.sort_by_key(|l| {
                    Group::ALL
                        .iter()
                        .position(|g| *g == Group::of(&l.status, l.confidence))
                });
                assert_eq!(paged, expected, "pages of {limit}");
            }
            for l in &whole {
                let got = store::groups(conn, &[], 2, l.id, lang).unwrap();
                let g = Group::of(&l.status, l.confidence);
                let page = got.iter().find(|p| p.group == g).unwrap();
                assert!(page.lines.contains(l), "line {:?} shown", l.id);
                assert_eq!(page.offset % 2, 0);
            }
        }
    }

    /// A page of matched lines, of money out or of lines set aside is read from the head of
    /// its own index, in the order shown (no sort of every such line of the ledger for fifty
    /// of them); the few lines given back by a reversal, from the reversals' index.
    #[test]
    fn a_page_of_decided_lines_walks_its_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open(&dir.path().join("relance.sqlite")).unwrap();
        for (g, first) in [
            (
                store::Group::Matched,
                "SCAN bank_lines USING INDEX bank_lines_matched",
            ),
            (
                store::Group::Debit,
                "SCAN bank_lines USING INDEX bank_lines_out",
            ),
            (
                store::Group::Ignored,
                "SCAN bank_lines USING INDEX bank_lines_ignored",
            ),
            (
                store::Group::Ignored,
                "SEARCH r USING COVERING INDEX bank_lines_reverses",
            ),
        ] {
            let plans: Vec<String> = g
                .decided_parts()
                .iter()
                .map(|part| {
                    let plan: Vec<String> = conn
                        .prepare(&format!("EXPLAIN QUERY PLAN {}", store::page_sql(part)))
                        .unwrap()
                        .query_map([50, 0], |r| r.get::<_, String>(3))
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    plan.join(" | ")
                })
                .collect();
            let plan = plans
                .iter()
                .find(|p| p.starts_with(first))
                .unwrap_or_else(|| panic!("{g:?}: {plans:?}"));
            if !first.starts_with("SEARCH r") {
                assert!(!plan.contains("TEMP B-TREE"), "{g:?} sorted: {plan}");
            }
        }
    }

    /// The credits waiting (what holds invoices on Today, and the count to review) are read
    /// from their own index, not the money out's, and each line's return is looked up by
    /// the reversals' index: nothing walks every line.
    #[test]
    fn the_credits_waiting_walk_their_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open(&dir.path().join("relance.sqlite")).unwrap();
        let plan_of = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let detail = |r: &crate::store::sql::Row| r.get::<_, String>(3);
            let plan: Vec<String> = if sql.contains("?1") {
                stmt.query_map(["2026-11-30"], detail)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            } else {
                stmt.query_map([], detail)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            };
            plan.join(" | ")
        };
        let waiting = format!(
            "SELECT id FROM bank_lines WHERE {} ORDER BY date DESC, id DESC",
            store::UNDECIDED
        );
        for sql in [store::CREDITS_WAITING, store::CREDITS_TO_REVIEW, &waiting] {
            let plan = plan_of(sql);
            let first = plan.split(" | ").next().unwrap();
            assert!(
                first.contains("bank_lines USING") && first.contains("INDEX bank_lines_waiting"),
                "{plan}"
            );
            assert!(plan.contains("INDEX bank_lines_reverses"), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "sorted: {plan}");
        }
    }

    /// A ledger built to collide for the matcher: invoice numbers that share a key through
    /// case, separators, odd characters and compatibility forms ("FA-7", "fa 7", "FA#7",
    /// "ＦＡ7"), open, part paid, paid and written off, in two currencies; references for one
    /// invoice or several; payer accounts known for one customer or two; customers whose
    /// names share words, some archived. Lines name them in every way the matcher reads.
    #[derive(Debug, Clone)]
    struct Collisions {
        customers: Vec<(usize, bool)>,
        invoices: Vec<(usize, usize, usize, usize, u8, bool)>,
        references: Vec<Vec<usize>>,
        accounts: Vec<(usize, usize)>,
        lines: Vec<Told>,
    }

    /// A line as generated: how the payer is named, the text's parts (kind, which, how),
    /// the amount (or which invoice's), the payer's name and account.
    type Told = (u8, Vec<(u8, usize, usize)>, i64, usize, usize);

    const NAMES: [&str; 8] = [
        "Hôtel du Parc SARL",
        "Boulangerie Martin",
        "Martin & Fils",
        "Studio Lumière",
        "STUDIO LUMIERE SAS",
        "Parc Hotel",
        "Acme",
        "Dupont Électricité",
    ];
    const PREFIXES: [&str; 7] = ["FA", "fa", "F", "INV", "Fé", "ＦＡ", "F#"];
    const SEPARATORS: [&str; 7] = ["", "-", " ", "/", ".", "_", "#"];
    const TOTALS: [i64; 4] = [10_000, 25_050, 30_000, 123_456];

    fn collisions() -> impl proptest::strategy::Strategy<Value = Collisions> {
        use proptest::prelude::*;
        (
            prop::collection::vec((0..NAMES.len(), prop::bool::weighted(0.15)), 2..7),
            prop::collection::vec(
                (
                    0..6usize,
                    0..7usize,
                    0..7usize,
                    0..12usize,
                    0..5u8,
                    prop::bool::weighted(0.2),
                ),
                1..25,
            ),
            prop::collection::vec(prop::collection::vec(0..25usize, 1..3), 0..4),
            prop::collection::vec((0..3usize, 0..6usize), 0..5),
            prop::collection::vec(
                (
                    0..4u8,
                    prop::collection::vec((0..6u8, 0..25usize, 0..7usize), 0..4),
                    -5_000..300_000i64,
                    0..8usize,
                    0..4usize,
                ),
                1..12,
            ),
        )
            .prop_map(
                |(customers, invoices, references, accounts, lines)| Collisions {
                    customers,
                    invoices,
                    references,
                    accounts,
                    lines,
                },
            )
    }

    /// Builds the ledger; returns each invoice created (number, id, total) and the
    /// references allocated.
    fn build(conn: &mut Connection, c: &Collisions) -> (Vec<(String, i64, i64)>, Vec<String>) {
        for (k, (name, archived)) in c.customers.iter().enumerate() {
            crate::customers::create(
                conn,
                &crate::customers::CustomerInput {
                    reference: format!("K{k}"),
                    name: NAMES[*name].into(),
                    ..Default::default()
                },
            )
            .unwrap();
            if *archived {
                conn.execute(
                    "UPDATE customers SET archived_on = '2026-11-01' WHERE reference = ?1",
                    [format!("K{k}")],
                )
                .unwrap();
            }
        }
        let mut made = Vec::new();
        for &(who, prefix, sep, n, state, usd) in &c.invoices {
            let number = format!("{}{}{}", PREFIXES[prefix], SEPARATORS[sep], n);
            let total = TOTALS[n % TOTALS.len()];
            let customer = format!("K{}", who % c.customers.len());
            let mut i = inv(&number, &customer, "2026-09-01", "2026-10-01", "0");
            i.due_date = format!("2026-10-{:02}", 1 + n % 28);
            i.total = format!("{}.{:02}", total / 100, total % 100);
            if usd {
                i.currency = "USD".into();
            }
            // Numbers equal but for case are one number to the ledger: the second is refused.
            let Ok(created) = crate::invoices::create(conn, &i, day(TODAY)) else {
                continue;
            };
            // As the ledger keeps it (compatibility forms folded: "ＦＡ7" is "FA7").
            let (id, number) = (created.id, created.number);
            let pay = |conn: &mut Connection, minor: i64| {
                crate::invoices::payments::record(
                    conn,
                    &crate::invoices::payments::PaymentInput {
                        customer: customer.clone(),
                        date: "2026-11-01".into(),
                        amount: format!("{}.{:02}", minor / 100, minor % 100),
                        allocations: vec![crate::invoices::payments::AllocationInput {
                            invoice: number.clone(),
                            amount: format!("{}.{:02}", minor / 100, minor % 100),
                        }],
                        ..Default::default()
                    },
                )
                .unwrap();
            };
            match state {
                1 => pay(conn, total / 2),
                2 => pay(conn, total),
                3 => crate::dunning::close_invoice(
                    conn,
                    &number,
                    crate::invoices::ClosureKind::WriteOff,
                    day("2026-11-01"),
                    "lost",
                )
                .unwrap(),
                _ => {}
            }
            made.push((number, id, total));
        }
        let mut references = Vec::new();
        for of in &c.references {
            let ids: Vec<i64> = of
                .iter()
                .filter_map(|&k| made.get(k % made.len().max(1)).map(|m| m.1))
                .collect();
            // A reference for invoices of several customers or currencies is refused.
            if let Ok(r) = store::references_for(conn, &ids) {
                references.push(r);
            }
        }
        for &(account, who) in &c.accounts {
            conn.execute(
                "INSERT INTO payer_accounts (customer_id, account) VALUES
                   ((SELECT id FROM customers WHERE reference = ?1), ?2) ON CONFLICT DO NOTHING",
                [
                    format!("K{}", who % c.customers.len()),
                    format!("FR76300{account}"),
                ],
            )
            .unwrap();
        }
        (made, references)
    }

    /// The lines of a case: texts naming numbers (as typed, with other separators, in
    /// lower case), references (compact or printed by four), payer names and noise.
    fn lines_of(c: &Collisions, made: &[(String, i64, i64)], references: &[String]) -> Vec<Line> {
        c.lines
            .iter()
            .map(|(party, parts, amount, name, account)| {
                let mut text = Vec::new();
                for &(kind, k, sep) in parts {
                    match (kind, made.get(k % made.len().max(1))) {
                        (0, Some(m)) => text.push(m.0.clone()),
                        (1, Some(m)) => text.push(m.0.replace(['-', '#', '/'], SEPARATORS[sep])),
                        (2, Some(m)) => text.push(m.0.to_lowercase()),
                        (3, _) if !references.is_empty() => {
                            let r = &references[k % references.len()];
                            text.push(if sep % 2 == 0 {
                                r.clone()
                            } else {
                                r.as_bytes()
                                    .chunks(4)
                                    .map(|b| String::from_utf8_lossy(b).into_owned())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            });
                        }
                        (4, _) => text.push(NAMES[k % NAMES.len()].to_uppercase()),
                        _ => text.push(["VIR SEPA", "1 234,56", "merci", "FACTURE"][k % 4].into()),
                    }
                }
                // Amounts that are an invoice's total or half of it, as often as not.
                let amount = match made.get(*name % made.len().max(1)) {
                    Some(m) if amount % 3 == 0 => m.2,
                    Some(m) if amount % 3 == 1 => m.2 / 2,
                    _ => *amount,
                };
                Line {
                    booking_date: Some(day("2026-11-20")),
                    amount_minor: amount,
                    currency: if amount % 5 == 0 { "USD" } else { "EUR" }.into(),
                    party: match party {
                        0 => "".into(),
                        1 => NAMES[*name].into(),
                        2 => NAMES[*name].to_lowercase().into(),
                        _ => "M. Jean Martin".into(),
                    },
                    party_account: format!("FR76300{account}").into(),
                    text: text.join(" ").into(),
                    ..Line::default()
                }
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("RELANCE_BOOK_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
            ..proptest::prelude::ProptestConfig::default()
        })]
        /// The book narrowed to what some lines ask proposes for each of them what the book
        /// of the whole ledger does, one by one and as an import applies them in turn (each
        /// sure match settling what the next line sees); `verify_book` finds nothing.
        #[test]
        fn the_narrowed_book_proposes_what_the_whole_ledger_does(c in collisions()) {
            let mut conn = setup();
            let (made, references) = build(&mut conn, &c);
            // The customers' name words kept (or all still marked), then one renamed: marked
            // again, their kept words outdated until the next refresh.
            if c.lines.len() % 2 == 0 {
                super::super::book::refresh_words(&mut conn).unwrap();
            }
            if c.invoices.len() % 3 == 0 {
                conn.execute(
                    "UPDATE customers SET name = ?1 WHERE reference = 'K0'",
                    [NAMES[(c.customers[0].0 + 1) % NAMES.len()]],
                )
                .unwrap();
            }
            proptest::prop_assert_eq!(
                super::super::book::verify_words(&conn, Lang::En).unwrap(),
                Vec::<String>::new()
            );
            let lines = lines_of(&c, &made, &references);
            let mut whole = super::super::book::book(&conn).unwrap();
            for l in &lines {
                let alone = super::super::book::for_lines(&conn, [l]).unwrap();
                proptest::prop_assert_eq!(
                    matching::propose(l, &alone),
                    matching::propose(l, &whole),
                    "{:?}", l
                );
            }
            let mut narrow = super::super::book::for_lines(&conn, &lines).unwrap();
            for l in &lines {
                let p = matching::propose(l, &narrow);
                proptest::prop_assert_eq!(&p, &matching::propose(l, &whole), "{:?}", l);
                if p.confidence == Some(matching::Confidence::Sure) {
                    for book in [&mut whole, &mut narrow] {
                        for (inv, amt) in p.allocations.iter().chain(&p.differences) {
                            let k = book.position(*inv).unwrap();
                            book.open[k].balance -= amt;
                        }
                    }
                }
            }
        }
    }

    /// Writes `lines` as one statement import, undecided (as an import without its sure
    /// matches applied), and folds the changes: their groups kept.
    fn write_lines(conn: &mut Connection, lines: &[Line]) {
        crate::store::write(conn, |tx| {
            let import = tx.insert(
                "INSERT INTO bank_imports (imported_on, files, format, line_count, duplicates, last_document_id)
                 VALUES ('2026-11-30', 'case.xml', 'camt.053', ?1, 0, 0)",
                [lines.len() as i64],
            )?;
            for (k, l) in lines.iter().enumerate() {
                tx.execute(
                    "INSERT INTO bank_lines (import_id, account, identity, booking_date, value_date, date,
                         amount_minor, currency, party, party_account, text, reference, end_to_end, reversal)
                     VALUES (?1, 'FR7630006000011234567890189', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '', 0)",
                    crate::store::sql::params![
                        import, format!("case-{import}-{k}"), l.booking_date, l.value_date,
                        // Days apart and alike: the groups' order by date, then by id.
                        format!("2026-11-{:02}", 10 + k % 3), l.amount_minor, l.currency.as_str(),
                        l.party.as_str(), l.party_account.as_str(), l.text.as_str(), l.reference.as_str()
                    ],
                )?;
            }
            super::super::kept::fold_in(tx)
        })
        .unwrap();
    }

    /// One change to a ledger of [`Collisions`] among those that may move a waiting line
    /// between groups: (what, which, how).
    type Move = (u8, usize, usize);

    /// Makes `m`; `Err` when the ledger refuses it (a case of no interest).
    fn make(
        conn: &mut Connection,
        c: &Collisions,
        made: &[(String, i64, i64)],
        m: Move,
    ) -> crate::error::Result<()> {
        let (mut what, k, j) = m;
        let mut invoice = made.get(k % made.len().max(1)).cloned();
        // The invoice a waiting line is proposed to pay: paid, part paid, written off, or
        // its customer renamed or archived.
        if what >= 15 {
            let proposed: Vec<String> = store::lines(conn, Some("proposed"), Lang::En)?
                .into_iter()
                .filter_map(|l| l.allocations.first().map(|a| a.invoice.clone()))
                .collect();
            let Some(number) = proposed.get(j % proposed.len().max(1)) else {
                return Ok(());
            };
            let (id, owner, total): (i64, i64, i64) = conn.query_row(
                "SELECT id, customer_id, total_minor FROM invoices WHERE number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            invoice = Some((number.clone(), id, total));
            what = match what {
                15 => 1,
                16 => 0,
                17 => 2,
                18 | 19 => {
                    let sql = if what == 18 {
                        "UPDATE customers SET name = ?2 WHERE id = ?1"
                    } else {
                        "UPDATE customers SET archived_on = '2026-11-25' WHERE id = ?1 AND ?2 <> ''"
                    };
                    conn.execute(
                        sql,
                        crate::store::sql::params![owner, NAMES[k % NAMES.len()]],
                    )?;
                    return Ok(());
                }
                _ => 14,
            };
        }
        let customer = format!("K{}", k % c.customers.len());
        let customer_id: i64 = conn.query_row(
            "SELECT id FROM customers WHERE reference = ?1",
            [&customer],
            |r| r.get(0),
        )?;
        match what {
            // A payment of part of an invoice, or of all of it.
            0 | 1 => {
                let Some((number, id, _)) = invoice else {
                    return Ok(());
                };
                let due: i64 = conn.query_row(
                    "SELECT total_minor - settled_minor FROM invoices WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )?;
                let minor = if what == 0 { due / 2 } else { due };
                if minor <= 0 {
                    return Ok(());
                }
                let owner: String = conn.query_row(
                    "SELECT c.reference FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = ?1",
                    [id],
                    |r| r.get(0),
                )?;
                let amount = format!("{}.{:02}", minor / 100, minor % 100);
                crate::invoices::payments::record(
                    conn,
                    &crate::invoices::payments::PaymentInput {
                        customer: owner,
                        date: "2026-11-25".into(),
                        amount: amount.clone(),
                        allocations: vec![crate::invoices::payments::AllocationInput {
                            invoice: number,
                            amount,
                        }],
                        ..Default::default()
                    },
                )?;
            }
            // Written off.
            2 => {
                let Some((number, ..)) = invoice else {
                    return Ok(());
                };
                crate::dunning::close_invoice(
                    conn,
                    &number,
                    crate::invoices::ClosureKind::WriteOff,
                    day("2026-11-25"),
                    "lost",
                )?;
            }
            // A new invoice, perhaps of a number a line names.
            3 => {
                let number = format!(
                    "{}{}{}",
                    PREFIXES[j % PREFIXES.len()],
                    SEPARATORS[k % SEPARATORS.len()],
                    j % 12
                );
                let total = TOTALS[j % TOTALS.len()];
                let mut i = inv(&number, &customer, "2026-11-01", "2026-11-20", "0");
                i.total = format!("{}.{:02}", total / 100, total % 100);
                crate::invoices::create(conn, &i, day(TODAY))?;
            }
            // Renamed, archived, back.
            4 => {
                conn.execute(
                    "UPDATE customers SET name = ?1 WHERE id = ?2",
                    crate::store::sql::params![NAMES[j % NAMES.len()], customer_id],
                )?;
            }
            5 => {
                conn.execute(
                    "UPDATE customers SET archived_on = CASE WHEN archived_on IS NULL THEN '2026-11-25' END WHERE id = ?1",
                    [customer_id],
                )?;
            }
            // A payer account learnt, or forgotten.
            6 => {
                conn.execute(
                    "INSERT INTO payer_accounts (customer_id, account) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    crate::store::sql::params![customer_id, format!("FR76300{}", j % 4)],
                )?;
            }
            7 => {
                conn.execute(
                    "DELETE FROM payer_accounts WHERE account = ?1",
                    [format!("FR76300{}", j % 4)],
                )?;
            }
            // A reference allocated.
            8 => {
                let Some((_, id, _)) = invoice else {
                    return Ok(());
                };
                store::references_for(conn, &[id])?;
            }
            // The tolerance.
            // (Or its setting taken away: the default again.)
            9 if j % 4 == 3 => {
                conn.execute("DELETE FROM settings WHERE key = 'bank_tolerance'", [])?;
            }
            9 => crate::settings::set(conn, "bank_tolerance", ["1.00", "5.00", "0"][j % 3])?,
            // A line decided: matched as proposed, set aside; or the sure ones applied.
            10 => {
                let waiting = store::lines(conn, Some("proposed"), Lang::En)?;
                let Some(l) = waiting.get(j % waiting.len().max(1)) else {
                    return Ok(());
                };
                let numbers: Vec<String> =
                    l.allocations.iter().map(|a| a.invoice.clone()).collect();
                store::match_line(conn, l.id.unwrap(), &numbers, Lang::En)?;
            }
            11 => {
                let waiting = store::lines(conn, Some("unmatched"), Lang::En)?;
                let Some(l) = waiting.get(j % waiting.len().max(1)) else {
                    return Ok(());
                };
                store::ignore(conn, l.id.unwrap(), "not ours")?;
            }
            12 => {
                store::apply_sure(conn, Lang::En)?;
            }
            // The customers' name words written, the changes folded.
            13 => {
                super::super::book::refresh_words(conn)?;
            }
            _ => {
                super::super::kept::fold(conn)?;
            }
        }
        Ok(())
    }

    /// The Bank screen read through the kept groups: every page and count equal to the whole
    /// list derived, and `verify_book` silent (a panic fails the case, as an assertion).
    fn kept_agree(conn: &Connection) -> Result<(), proptest::test_runner::TestCaseError> {
        screen_agrees_in(conn, &[Lang::En], &[1, 2, 50]);
        proptest::prop_assert_eq!(
            store::verify_book(conn, Lang::En).unwrap(),
            Vec::<String>::new()
        );
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            // Most changes move no line between groups: 200 cases meet the few that do
            // through each path a change takes (a mutation leaving out a customer's accounts
            // and words, or a former name, failed at 200 and passed at 48).
            // (48 on a server, where each case is a database of its own.)
            cases: std::env::var("RELANCE_BOOK_CASES").ok().and_then(|v| v.parse::<u32>().ok()).map_or(
                if std::env::var(crate::TEST_SERVER_ENV).is_ok_and(|v| !v.is_empty()) { 48 } else { 200 },
                |n| n * 4,
            ),
            ..proptest::prelude::ProptestConfig::default()
        })]
        /// The groups kept for the Bank screen (migration 54) read, after any change to the
        /// book folded or not, what the matcher derives from the whole ledger: payments,
        /// write-offs, new invoices of the numbers lines name, renamed and archived
        /// customers, payer accounts learnt and forgotten, references, the tolerance, lines
        /// decided. After a fold the kept rows serve (no line computed again).
        #[test]
        fn the_kept_groups_read_what_the_matcher_derives(
            c in collisions(),
            moves in proptest::collection::vec((0..20u8, 0..25usize, 0..12usize), 1..10),
        ) {
            let mut conn = setup();
            let (made, references) = build(&mut conn, &c);
            let lines = lines_of(&c, &made, &references);
            write_lines(&mut conn, &lines);
            kept_agree(&conn)?;
            for m in moves {
                // A change the ledger refuses changes nothing.
                let _ = make(&mut conn, &c, &made, m);
                kept_agree(&conn)?;
            }
            super::super::kept::fold(&mut conn).unwrap();
            let kept = super::super::kept::Kept::read(&conn).unwrap();
            proptest::prop_assert!(kept.is_some_and(|k| k.touched.is_empty()), "after a fold the kept rows serve");
            kept_agree(&conn)?;
        }
    }

    /// A fold clears every change logged, however many, in the statement that takes them;
    /// one logged after waits for the next fold.
    #[test]
    fn a_fold_clears_every_change_it_read() {
        let mut conn = ledger();
        super::super::kept::fold(&mut conn).unwrap();
        let logged = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM bank_book_changes", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(logged(&conn), 0);
        for k in 0..701 {
            let number = format!("BULK-{k:04}");
            crate::invoices::create(
                &conn,
                &inv(&number, "ACME", "2026-01-05", "2026-02-04", "10.00"),
                day("2026-03-01"),
            )
            .unwrap();
        }
        assert!(logged(&conn) >= 701, "{}", logged(&conn));
        super::super::kept::fold(&mut conn).unwrap();
        assert_eq!(logged(&conn), 0);
        let kept = super::super::kept::Kept::read(&conn).unwrap();
        assert!(kept.is_some_and(|k| k.touched.is_empty()));
        // A change logged after a fold waits for the next one.
        crate::invoices::create(
            &conn,
            &inv("BULK-LATE", "ACME", "2026-01-05", "2026-02-04", "10.00"),
            day("2026-03-01"),
        )
        .unwrap();
        assert_eq!(logged(&conn), 1);
        super::super::kept::fold(&mut conn).unwrap();
        assert_eq!(logged(&conn), 0);
    }

    /// Each customer's name words are kept as the matcher folds them, written for the
    /// customers marked (added, renamed) by a refresh or for everyone by a rebuild, and
    /// forgotten with the customer; `verify_words` compares them with the names.
    #[test]
    fn the_customers_name_words_are_kept_as_the_matcher_reads_them() {
        let mut conn = ledger();
        let words = |conn: &Connection, reference: &str| -> Vec<String> {
            conn.prepare(
                "SELECT w.word FROM customer_words w JOIN customers c ON c.id = w.customer_id
                 WHERE c.reference = ?1 ORDER BY w.word",
            )
            .unwrap()
            .query_map([reference], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let marked = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM customer_words_stale", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        // Four customers (ACME, BETA, HOTEL, BOUL), none written yet.
        assert_eq!(marked(&conn), 4);
        assert_eq!(super::super::book::refresh_words(&mut conn).unwrap(), 4);
        assert_eq!(marked(&conn), 0);
        assert_eq!(words(&conn, "HOTEL"), ["DU", "HÔTEL", "PARC", "SPA"]);
        assert_eq!(words(&conn, "ACME"), ["ACME"]);
        assert_eq!(super::super::book::refresh_words(&mut conn).unwrap(), 0);
        // A rename marks; the kept words are then outdated but not compared until written.
        conn.execute(
            "UPDATE customers SET name = 'Boulangerie Dupont SARL' WHERE reference = 'BOUL'",
            [],
        )
        .unwrap();
        assert_eq!(marked(&conn), 1);
        assert_eq!(words(&conn, "BOUL"), ["BOULANGERIE", "MARTIN"]);
        assert!(super::super::book::verify_words(&conn, Lang::En)
            .unwrap()
            .is_empty());
        assert_eq!(super::super::book::refresh_words(&mut conn).unwrap(), 1);
        assert_eq!(words(&conn, "BOUL"), ["BOULANGERIE", "DUPONT"]);
        // Words that lie are found, and a rebuild writes everyone's again.
        conn.execute(
            "UPDATE customer_words SET word = 'MARTIN' WHERE word = 'DUPONT'",
            [],
        )
        .unwrap();
        let found = super::super::book::verify_words(&conn, Lang::En).unwrap();
        assert_eq!(
            found,
            ["customer BOUL: name words stored \"BOULANGERIE MARTIN\", derived \"BOULANGERIE DUPONT\""]
        );
        assert_eq!(super::super::book::rebuild_words(&mut conn).unwrap(), 4);
        assert!(super::super::book::verify_words(&conn, Lang::Fr)
            .unwrap()
            .is_empty());
    }

    /// The invoices' number keys are read through their index, the odd numbers through
    /// their partial one (never a scan of every invoice for a few lines).
    #[test]
    fn the_narrowed_book_reads_the_number_indexes() {
        let conn = crate::open(&tempfile::tempdir().unwrap().path().join("r.sqlite")).unwrap();
        let dialect = conn.dialect();
        for (sql, index) in [
            (
                format!(
                    "SELECT id FROM invoices WHERE {} IN (?1, ?2)",
                    super::super::book::number_key_sql(dialect)
                ),
                "invoices_key_of_number",
            ),
            (
                format!(
                    "SELECT id, number FROM {}",
                    super::super::book::odd_numbers(dialect)
                ),
                "invoices_number_odd",
            ),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(
                    crate::store::sql::params_from_iter(
                        ["FA1", "FA2"].iter().take(sql.matches('?').count()),
                    ),
                    |r| r.get::<_, String>(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join(" | ");
            assert!(plan.contains(&format!("INDEX {index}")), "{plan}");
        }
    }

    /// Over every printable ASCII character and a few others: a number is read as odd
    /// (through the partial index, keyed in Rust) exactly when it holds a character other
    /// than ASCII letters, digits, '-', '.', '/', '_' and a space; every other number's key
    /// by the key index's expression is the matcher's own key. (The index's set, written
    /// as ranges, is the set the matcher's key keeps word for word.)
    #[test]
    fn the_odd_numbers_are_exactly_those_the_key_index_cannot_key() {
        let conn = ledger();
        let dialect = conn.dialect();
        let customer: i64 = conn
            .query_row("SELECT MIN(id) FROM customers", [], |r| r.get(0))
            .unwrap();
        let chars: Vec<char> = (0x20u8..0x7f)
            .map(char::from)
            .chain(['é', 'É', 'ß', '\u{a0}', 'ｚ', '٣'])
            .collect();
        for (n, c) in chars.iter().enumerate() {
            conn.execute(
                "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency,
                                       total_minor)
                 VALUES (?1, ?2, '2026-01-01', '2026-01-31', 'EUR', 100)",
                crate::store::sql::params![format!("Q{n}{c}x"), customer],
            )
            .unwrap();
        }
        let odd: std::collections::HashSet<String> = conn
            .prepare(&format!(
                "SELECT number FROM {}",
                super::super::book::odd_numbers(dialect)
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let keyed: Vec<(String, String)> = conn
            .prepare(&format!(
                "SELECT number, {} FROM invoices WHERE number LIKE 'Q%'",
                super::super::book::number_key_sql(dialect)
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keyed.len(), chars.len());
        // On a server too, the odd numbers are read through their partial index (its
        // predicate and the query's the same words), were a scan possible at all.
        if dialect == crate::store::sql::Dialect::Postgres {
            conn.execute_batch("SET enable_seqscan = off").unwrap();
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN SELECT id, number FROM {}",
                    super::super::book::odd_numbers(dialect)
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            conn.execute_batch("RESET enable_seqscan").unwrap();
            let plan = plan.join(" | ");
            assert!(plan.contains("invoices_number_odd"), "{plan}");
        }
        for (number, key) in keyed {
            let plain = number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-./_ ".contains(c));
            assert_eq!(odd.contains(&number), !plain, "{number:?}");
            if plain {
                assert_eq!(key, crate::bank::alnum_key(&number), "{number:?}");
            }
        }
    }

    fn balance(conn: &Connection, number: &str) -> i64 {
        conn.query_row(
            "SELECT total_minor - settled_minor FROM invoices WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn camt() -> Vec<(String, Vec<u8>)> {
        vec![(
            "releve.xml".into(),
            fixture!("hand/camt053_v02_batched.xml").to_vec(),
        )]
    }

    fn import(
        conn: &mut Connection,
        files: &[(String, Vec<u8>)],
        opts: Options,
    ) -> store::ImportReport {
        store::import(conn, files.to_vec(), opts, Lang::Fr, day(TODAY))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A known payer's line 0.40 short of their invoice is found by the tolerance alone: set
    /// to 0 it is not found; the setting taken away (the default 1.00 again) moves it to
    /// the lines to check, and the kept group follows (migration 54's `_gone` trigger).
    #[test]
    fn the_tolerance_taken_away_moves_a_known_payers_line() {
        use store::Group;
        let mut conn = ledger();
        conn.execute(
            "INSERT INTO payer_accounts (customer_id, account)
             VALUES ((SELECT id FROM customers WHERE reference = 'HOTEL'), 'FR7630001')",
            [],
        )
        .unwrap();
        crate::settings::set(&conn, "bank_tolerance", "0").unwrap();
        write_lines(
            &mut conn,
            &[Line {
                booking_date: Some(day("2026-11-20")),
                amount_minor: 123_416,
                currency: "EUR".into(),
                party: "SPA DU PARC".into(),
                party_account: "FR76 3000 1".into(),
                text: "VIREMENT".into(),
                ..Line::default()
            }],
        );
        let group = |conn: &Connection| {
            let l = &store::lines(conn, None, Lang::En).unwrap()[0];
            Group::of(&l.status, l.confidence)
        };
        assert_eq!(group(&conn), Group::Unmatched);
        screen_agrees(&conn);
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        conn.execute("DELETE FROM settings WHERE key = 'bank_tolerance'", [])
            .unwrap();
        assert_eq!(group(&conn), Group::Proposed);
        screen_agrees(&conn);
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
    }

    /// A kept group made wrong (or lost) is found by `verify_book` (`relance check`) and
    /// never shown: a page that meets it derives every line instead. A start's fold writes
    /// the rows again when they are not as many as the lines waiting; `kept::rebuild`
    /// (`relance check --rebuild`) writes them all again.
    #[test]
    fn a_damaged_kept_group_is_found_and_not_read() {
        use store::Group;
        let mut conn = ledger();
        import(&mut conn, &camt(), Options::default());
        let kept: Vec<(i64, i64)> = conn
            .prepare("SELECT line_id, grp FROM bank_line_kept ORDER BY line_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(kept.len() >= 3, "{kept:?}");
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        assert!(super::super::kept::Kept::read(&conn)
            .unwrap()
            .is_some_and(|k| k.touched.is_empty()));
        screen_agrees(&conn);
        let line = kept[0].0;
        let whole = store::lines(&conn, None, Lang::En).unwrap();
        let truly = whole.iter().find(|l| l.id == Some(line)).unwrap();
        let truly = (Group::of(&truly.status, truly.confidence), truly.clone());
        let shown_in = |conn: &Connection| -> Option<Group> {
            store::groups(conn, &[], 50, Some(line), Lang::En)
                .unwrap()
                .into_iter()
                .find(|p| p.lines.iter().any(|l| l.id == Some(line)))
                .map(|p| {
                    assert!(p.lines.contains(&truly.1));
                    p.group
                })
        };
        // Put in another group: found, and shown in its own.
        conn.execute(
            "UPDATE bank_line_kept SET grp = (grp + 1) % 3 WHERE line_id = ?1",
            [line],
        )
        .unwrap();
        let found = store::verify_book(&conn, Lang::Fr).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains(&format!("#{line}")), "{found:?}");
        assert_eq!(shown_in(&conn), Some(truly.0));
        assert_eq!(super::super::kept::rebuild(&mut conn).unwrap(), kept.len());
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        // Lost, or its asks lost: found; a lost row is written again by a start's fold.
        for damage in [
            "DELETE FROM bank_line_asks WHERE line_id = ?1",
            "DELETE FROM bank_line_kept WHERE line_id = ?1",
        ] {
            conn.execute(damage, [line]).unwrap();
            let found = store::verify_book(&conn, Lang::En).unwrap();
            assert_eq!(found.len(), 1, "{damage}: {found:?}");
            super::super::kept::rebuild(&mut conn).unwrap();
        }
        conn.execute("DELETE FROM bank_line_kept WHERE line_id = ?1", [line])
            .unwrap();
        super::super::kept::fold(&mut conn).unwrap();
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        screen_agrees(&conn);
        // A row kept for a line that does not wait is said too.
        conn.execute(
            "INSERT INTO bank_line_kept (line_id, grp, date)
             SELECT id, 2, date FROM bank_lines WHERE id NOT IN (SELECT line_id FROM bank_line_kept) LIMIT 1",
            [],
        )
        .unwrap();
        let found = store::verify_book(&conn, Lang::En).unwrap();
        assert!(found.iter().any(|f| f.contains("decided")), "{found:?}");
        // The decided groups' counts (migration 59): a fold sums the triggers' rows into
        // one per group; a count made wrong is found, and written again by the rebuild.
        super::super::kept::rebuild(&mut conn).unwrap();
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        let rows = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM bank_line_counts", [], |r| r.get(0))
                .unwrap()
        };
        assert!(rows(&conn) <= 3);
        conn.execute(
            "INSERT INTO bank_line_counts (grp, lines) VALUES ('i', 2)",
            [],
        )
        .unwrap();
        let found = store::verify_book(&conn, Lang::Fr).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("groupe Ignored") && found[0].contains("comptée"),
            "{found:?}"
        );
        super::super::kept::fold(&mut conn).unwrap();
        assert!(rows(&conn) <= 3, "folded");
        assert_eq!(
            store::verify_book(&conn, Lang::En).unwrap().len(),
            1,
            "still wrong"
        );
        super::super::kept::rebuild(&mut conn).unwrap();
        assert!(store::verify_book(&conn, Lang::En).unwrap().is_empty());
        screen_agrees(&conn);
    }

    #[test]
    fn a_statement_settles_the_sure_matches_once() {
        let mut conn = ledger();
        let dry = import(
            &mut conn,
            &camt(),
            Options {
                dry_run: true,
                ..Options::default()
            },
        );
        assert_eq!(
            (dry.import, dry.lines, dry.duplicates, dry.debits),
            (None, 4, 0, 1)
        );
        assert_eq!(dry.sure.len(), 2);
        assert!(dry.sure.iter().all(|l| l.id.is_none()));
        assert_eq!(
            balance(&conn, "F2026-0001"),
            123_456,
            "a dry run changes nothing"
        );
        let r = import(
            &mut conn,
            &camt(),
            Options {
                apply_sure: true,
                ..Options::default()
            },
        );
        assert!(r.import.is_some());
        assert_eq!((r.lines, r.duplicates, r.debits, r.applied), (4, 0, 1, 2));
        let sure: Vec<(&str, &[String], &str)> = r
            .sure
            .iter()
            .map(|l| {
                (
                    l.amount.as_str(),
                    l.invoices.as_slice(),
                    l.date.to_string().leak() as &str,
                )
            })
            .collect();
        assert_eq!(sure[0].0, "1234.56");
        assert_eq!(sure[0].1, ["F2026-0001".to_string()]);
        assert_eq!(sure[0].2, "2026-11-28", "dated by its value date");
        assert_eq!(r.sure[0].reason, "référence de paiement RF82RL1");
        assert_eq!(r.sure[1].invoices, ["F2026-0012".to_string()]);
        assert_eq!(r.unmatched.len(), 1);
        assert_eq!(r.unmatched[0].payer, "Studio Lumière");
        assert_eq!(
            (balance(&conn, "F2026-0001"), balance(&conn, "F2026-0012")),
            (0, 0)
        );
        // The payment is dated by the value date, and links to its line.
        let (date, linked): (String, i64) = conn
            .query_row(
                "SELECT p.date, (SELECT COUNT(*) FROM bank_lines l WHERE l.payment_id = p.id) FROM payments p
                 JOIN allocations a ON a.payment_id = p.id JOIN invoices i ON i.id = a.invoice_id
                 WHERE i.number = 'F2026-0001'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((date.as_str(), linked), ("2026-11-28", 1));
        // The invoice page shows where the payment came from.
        let id: i64 = conn
            .query_row(
                "SELECT id FROM invoices WHERE number = 'F2026-0001'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let page = crate::views::invoice_page::detail(&conn, id, day(TODAY)).unwrap();
        assert_eq!(page.settlements.len(), 1);
        assert_eq!(page.settlements[0].bank_date, Some(day("2026-11-28")));
        assert!(page.settlements[0].bank_line.is_some());
        // The payer's account was learnt, in the history.
        let learnt: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM payer_accounts WHERE account = 'FR7612345678901234567890123'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(learnt, 1);
        // The same file again, and an overlapping one: nothing new.
        let again = import(
            &mut conn,
            &camt(),
            Options {
                apply_sure: true,
                ..Options::default()
            },
        );
        assert_eq!(
            (again.import, again.lines, again.duplicates, again.applied),
            (None, 4, 4, 0)
        );
        screen_agrees(&conn);
        let lines = store::lines(&conn, None, Lang::Fr).unwrap();
        let statuses: Vec<&str> = lines.iter().map(|l| l.status.as_str()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == "matched").count(), 2);
        assert_eq!(statuses.iter().filter(|s| **s == "unmatched").count(), 1);
        assert_eq!(statuses.iter().filter(|s| **s == "debit").count(), 1);
    }

    #[test]
    fn the_owner_matches_or_sets_aside_and_can_undo_the_import() {
        let mut conn = ledger();
        let r = import(&mut conn, &camt(), Options::default());
        assert_eq!(r.applied, 0);
        let id = r.import.unwrap();
        let studio = r.unmatched[0].id.unwrap();
        // Refused, nothing changed: a paid-no-more? an unknown invoice, another customer's pair.
        let refuse = |conn: &mut Connection, numbers: &[&str]| {
            let n: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
            store::match_line(conn, studio, &n, Lang::Fr).unwrap_err()
        };
        assert!(matches!(
            refuse(&mut conn, &["F9999"]),
            Error::Invalid {
                msg: Msg::UnknownInvoice(_),
                ..
            }
        ));
        assert!(matches!(
            refuse(&mut conn, &["F2026-0013", "F2026-0012"]),
            Error::Invalid {
                msg: Msg::InvoiceOfOtherCustomer(_),
                ..
            }
        ));
        assert!(matches!(
            refuse(&mut conn, &[]),
            Error::Invalid {
                msg: Msg::Statement(StatementFault::NoInvoice),
                ..
            }
        ));
        // 1 200,00 on ACME's 500 + 300: both paid, 400,00 kept as their credit.
        let v = store::match_line(
            &mut conn,
            studio,
            &["F2026-0013".into(), "F2026-0014".into()],
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(v.status, "matched");
        assert_eq!(
            (balance(&conn, "F2026-0013"), balance(&conn, "F2026-0014")),
            (0, 0)
        );
        let credit = crate::invoices::payments::credit_minor(&conn, 1).unwrap();
        assert_eq!(credit, vec![("EUR".to_string(), 40_000)]);
        // Matching it again, or a debit, is refused.
        assert!(matches!(
            store::match_line(&mut conn, studio, &["F2026-0012".into()], Lang::Fr),
            Err(Error::Invalid {
                msg: Msg::Statement(StatementFault::LineDecided(_)),
                ..
            })
        ));
        let debit = store::lines(&conn, Some("debit"), Lang::Fr).unwrap()[0]
            .id
            .unwrap();
        assert!(matches!(
            store::match_line(&mut conn, debit, &["F2026-0012".into()], Lang::Fr),
            Err(Error::Invalid {
                msg: Msg::Statement(StatementFault::LineIsDebit(_)),
                ..
            })
        ));
        // A proposal set aside with a reason.
        let sure = store::lines(&conn, Some("proposed"), Lang::Fr).unwrap();
        assert_eq!(sure.len(), 2, "not applied: still proposed, sure");
        assert!(sure
            .iter()
            .all(|l| l.confidence == Some(matching::Confidence::Sure)));
        assert!(store::ignore(&conn, sure[0].id.unwrap(), " ").is_err());
        store::ignore(&conn, sure[0].id.unwrap(), "Remboursement d'un fournisseur").unwrap();
        assert_eq!(
            store::lines(&conn, Some("ignored"), Lang::Fr).unwrap()[0].reason,
            "Remboursement d'un fournisseur"
        );
        screen_agrees(&conn);
        // The other sure one, applied from the list ("Apply the sure matches").
        assert_eq!(store::apply_sure(&mut conn, Lang::Fr).unwrap(), 1);
        assert_eq!(
            store::apply_sure(&mut conn, Lang::Fr).unwrap(),
            0,
            "nothing left to apply"
        );
        assert_eq!(balance(&conn, "F2026-0001"), 0);
        // Undo the whole import: the payments go, recorded; the file can come back.
        let removed = store::undo_import(&mut conn, id, Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(removed, 4);
        assert_eq!(
            (balance(&conn, "F2026-0013"), balance(&conn, "F2026-0014")),
            (50_000, 30_000)
        );
        assert!(crate::invoices::payments::credit_minor(&conn, 1)
            .unwrap()
            .is_empty());
        let note: String = conn
            .query_row(
                "SELECT note FROM journal WHERE action = 'bank_import_undone'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(note.contains("annulé"), "{note}");
        assert!(matches!(
            store::undo_import(&mut conn, id, Lang::Fr, day(TODAY)),
            Err(Error::Invalid {
                msg: Msg::Statement(StatementFault::UnknownImport(_)),
                ..
            })
        ));
        let back = import(&mut conn, &camt(), Options::default());
        assert_eq!((back.lines, back.duplicates), (4, 0));
    }

    #[test]
    fn a_later_import_on_the_same_invoice_blocks_the_undo() {
        let mut conn = ledger();
        let csv1 = "Date;Libellé;Montant\n02/11/2026;Acompte F2026-0013;200,00\n";
        let csv2 = "Date;Libellé;Montant\n02/11/2026;Acompte F2026-0013;200,00\n03/11/2026;Solde F2026-0013;300,00\n";
        let m = csv::Mapping {
            date: "Date".into(),
            amount: Some("Montant".into()),
            label: Some("Libellé".into()),
            ..csv::Mapping::default()
        };
        store::set_mapping(&conn, csv1.as_bytes(), m).unwrap();
        let first = import(
            &mut conn,
            &[("a.csv".into(), csv1.as_bytes().to_vec())],
            Options {
                apply_sure: true,
                ..Options::default()
            },
        );
        // 200 of 500: a partial payment, proposed, not applied; the owner confirms it.
        assert_eq!((first.sure.len(), first.proposed.len()), (0, 1));
        store::match_line(
            &mut conn,
            first.proposed[0].id.unwrap(),
            &["F2026-0013".into()],
            Lang::Fr,
        )
        .unwrap();
        // The export of the next day overlaps: its first row is the same line.
        let second = import(
            &mut conn,
            &[("b.csv".into(), csv2.as_bytes().to_vec())],
            Options {
                apply_sure: true,
                ..Options::default()
            },
        );
        assert_eq!((second.lines, second.duplicates, second.applied), (2, 1, 1));
        assert_eq!(balance(&conn, "F2026-0013"), 0);
        let err =
            store::undo_import(&mut conn, first.import.unwrap(), Lang::Fr, day(TODAY)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    msg: Msg::Statement(StatementFault::ImportUsedByLater { .. }),
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(balance(&conn, "F2026-0013"), 0, "nothing changed");
        store::undo_import(&mut conn, second.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        store::undo_import(&mut conn, first.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(balance(&conn, "F2026-0013"), 50_000);
    }

    #[test]
    fn a_letter_produced_since_blocks_the_undo() {
        let mut conn = ledger();
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue"),
            ("postal_code", "69001"),
            ("city", "Lyon"),
            ("country", "FR"),
            ("siret", "73282932000074"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        conn.execute("UPDATE customers SET address = '2 rue', postal_code = '75001', city = 'Paris' WHERE reference = 'ACME'", [])
            .unwrap();
        let csv = "Date;Libellé;Montant\n20/11/2026;Acompte F2026-0013;200,00\n";
        let m = csv::Mapping {
            date: "Date".into(),
            amount: Some("Montant".into()),
            label: Some("Libellé".into()),
            ..csv::Mapping::default()
        };
        store::set_mapping(&conn, csv.as_bytes(), m).unwrap();
        let r = import(
            &mut conn,
            &[("a.csv".into(), csv.as_bytes().to_vec())],
            Options::default(),
        );
        store::match_line(
            &mut conn,
            r.proposed[0].id.unwrap(),
            &["F2026-0013".into()],
            Lang::Fr,
        )
        .unwrap();
        crate::documents::archive::produce(
            &mut conn,
            crate::documents::letters::LetterKind::Reminder,
            "F2026-0013",
            day(TODAY),
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let err =
            store::undo_import(&mut conn, r.import.unwrap(), Lang::Fr, day(TODAY)).unwrap_err();
        let Error::Invalid { msg, .. } = &err else {
            panic!("{err}")
        };
        assert!(
            matches!(
                msg,
                Msg::Statement(StatementFault::ImportUsedByDocument { .. })
            ),
            "{err}"
        );
        assert_eq!(
            msg.text(Lang::Fr),
            "Cet import ne peut plus être annulé\u{a0}: un document a été produit le 30/11/2026 sur la facture F2026-0013 qu'il règle. Corrigez plutôt la ligne concernée."
        );
        assert_eq!(balance(&conn, "F2026-0013"), 30_000, "nothing changed");
    }

    /// Money in that equals an invoice's balance holds its reminders until the owner looked.
    #[test]
    fn an_unmatched_credit_holds_the_reminders_of_the_invoice_it_may_pay() {
        let mut conn = ledger();
        let names = |conn: &Connection| -> Vec<String> {
            crate::dunning::agenda(conn, day(TODAY))
                .unwrap()
                .into_iter()
                .flat_map(|a| a.invoices)
                .collect()
        };
        assert!(
            names(&conn).contains(&"F2026-0012".to_string()),
            "overdue, reminded"
        );
        let r = import(&mut conn, &camt(), Options::default());
        assert!(
            !names(&conn).contains(&"F2026-0012".to_string()),
            "1 800,00 arrived: held"
        );
        let s = store::summary(&conn, day(TODAY)).unwrap();
        assert_eq!(
            (s.last_import, s.covered_to, s.to_review),
            (Some(day(TODAY)), Some(day("2026-11-29")), 3)
        );
        let held: Vec<(&str, &str, &str)> = s
            .held
            .iter()
            .map(|h| (h.invoice.as_str(), h.amount.as_str(), h.payer.as_str()))
            .collect();
        assert!(
            held.contains(&("F2026-0012", "1800.00", "Boulangerie Martin")),
            "{held:?}"
        );
        // Not a customer payment after all: the reminders come back.
        let line = r
            .sure
            .iter()
            .find(|l| l.invoices == ["F2026-0012".to_string()])
            .unwrap()
            .id
            .unwrap();
        store::ignore(&conn, line, "Remboursement").unwrap();
        assert!(names(&conn).contains(&"F2026-0012".to_string()));
        // Seen as of a day before the money arrived, nothing is held.
        store::match_line(
            &mut conn,
            r.unmatched[0].id.unwrap(),
            &["F2026-0013".into()],
            Lang::Fr,
        )
        .unwrap();
        assert!(store::summary(&conn, day("2026-11-01"))
            .unwrap()
            .held
            .is_empty());
    }

    /// A cheque number repeats (and some banks number entries from 1 each day): neither
    /// makes two lines one.
    #[test]
    fn repeated_cheque_numbers_and_daily_entry_numbers_keep_lines_apart() {
        let mut conn = ledger();
        let ofx = "OFXHEADER:100\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKACCTFROM><ACCTID>123</BANKACCTFROM><BANKTRANLIST>\
                   <STMTTRN><TRNTYPE>CHECK<DTPOSTED>20261101<TRNAMT>-10,00<FITID>A1<CHECKNUM>7</STMTTRN>\
                   <STMTTRN><TRNTYPE>CHECK<DTPOSTED>20261102<TRNAMT>-12,00<FITID>A2<CHECKNUM>7</STMTTRN>\
                   </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
        let r = import(
            &mut conn,
            &[("a.ofx".into(), ofx.as_bytes().to_vec())],
            Options::default(),
        );
        assert_eq!((r.lines, r.duplicates, r.debits), (2, 0, 2));
        let day_camt = |day: &str, amount: &str| {
            format!(
                "<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>FR76X</IBAN></Id><Ccy>EUR</Ccy></Acct><Ntry><NtryRef>1</NtryRef><Amt Ccy=\"EUR\">{amount}</Amt>\
                 <CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>{day}</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
            )
        };
        let r1 = import(
            &mut conn,
            &[(
                "d1.xml".into(),
                day_camt("2026-11-02", "10.00").into_bytes(),
            )],
            Options::default(),
        );
        let r2 = import(
            &mut conn,
            &[(
                "d2.xml".into(),
                day_camt("2026-11-03", "11.00").into_bytes(),
            )],
            Options::default(),
        );
        assert_eq!(
            (r1.duplicates, r2.duplicates),
            (0, 0),
            "entry 1 of two days: two lines"
        );
    }

    #[test]
    fn two_identical_payments_on_one_day_stay_two() {
        let mut conn = ledger();
        let csv = "Date;Libellé;Montant\n02/11/2026;VIR ACME;150,00\n02/11/2026;VIR ACME;150,00\n";
        let m = csv::Mapping {
            date: "Date".into(),
            amount: Some("Montant".into()),
            label: Some("Libellé".into()),
            ..csv::Mapping::default()
        };
        store::set_mapping(&conn, csv.as_bytes(), m).unwrap();
        let r = import(
            &mut conn,
            &[("a.csv".into(), csv.as_bytes().to_vec())],
            Options::default(),
        );
        assert_eq!((r.lines, r.duplicates, r.unmatched.len()), (2, 0, 2));
        let again = import(
            &mut conn,
            &[("a.csv".into(), csv.as_bytes().to_vec())],
            Options::default(),
        );
        assert_eq!(again.duplicates, 2);
    }

    #[test]
    fn a_statement_that_does_not_add_up_needs_a_confirmation() {
        let mut conn = ledger();
        let text = String::from_utf8(fixture!("hand/camt053_v02_batched.xml").to_vec()).unwrap();
        let wrong = text.replace("5174.56", "5174.65");
        let files = vec![("x.xml".to_string(), wrong.into_bytes())];
        let err = store::import(
            &mut conn,
            files.clone(),
            Options::default(),
            Lang::Fr,
            day(TODAY),
        )
        .unwrap_err();
        let Error::Invalid { field, msg } = &err else {
            panic!("{err}")
        };
        assert_eq!(field, "x.xml");
        let said = msg.text(Lang::Fr);
        assert!(
            said.contains("5\u{202f}174,56\u{a0}€") && said.contains("5\u{202f}174,65\u{a0}€"),
            "{said}"
        );
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM bank_lines", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0, "nothing imported");
        let dry = import(
            &mut conn,
            &files,
            Options {
                dry_run: true,
                ..Options::default()
            },
        );
        assert_eq!(dry.mismatches.len(), 1);
        let r = import(
            &mut conn,
            &files,
            Options {
                confirmed: true,
                ..Options::default()
            },
        );
        assert_eq!(r.mismatches[0].computed, "5174.56");
    }

    /// A camt.053 of one entry on the owner's account: money in (`CRDT`) from HOTEL's
    /// account, or (`DBIT`) given back to it, `extra` inside the transaction.
    fn one_entry(
        id: &str,
        on: &str,
        amount: &str,
        sign: &str,
        extra: &str,
    ) -> Vec<(String, Vec<u8>)> {
        let party = if sign == "CRDT" {
            "<RltdPties><Dbtr><Nm>Hôtel du Parc</Nm></Dbtr><DbtrAcct><Id><IBAN>FR7612345678901234567890123</IBAN></Id></DbtrAcct></RltdPties>"
        } else {
            "<RltdPties><Cdtr><Nm>Hôtel du Parc</Nm></Cdtr><CdtrAcct><Id><IBAN>FR7612345678901234567890123</IBAN></Id></CdtrAcct></RltdPties>"
        };
        let xml = format!(
            "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
             <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>\
             <Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>{on}</Dt></BookgDt><AcctSvcrRef>{id}</AcctSvcrRef>\
             <NtryDtls><TxDtls><Refs><EndToEndId>E2E-HOTEL-77</EndToEndId></Refs>{party}{extra}</TxDtls></NtryDtls></Ntry>\
             </Stmt></BkToCstmrStmt></Document>"
        );
        vec![(format!("{id}.xml"), xml.into_bytes())]
    }

    /// The one credit of `one_entry(id, on, amount, "CRDT", "")` imported (nothing applied):
    /// its line, waiting for a decision.
    fn waiting_credit(conn: &mut Connection, id: &str, on: &str, amount: &str) -> i64 {
        let r = import(
            conn,
            &one_entry(id, on, amount, "CRDT", ""),
            Options::default(),
        );
        r.unmatched
            .first()
            .or(r.proposed.first())
            .and_then(|l| l.id)
            .expect("the credit waits")
    }

    /// A report lists the first lines of each kind and counts them all: 20,005 unknown
    /// payers, 1,000 listed, 20,005 counted; imported, the ledger has every one; the page
    /// cache made small for so big an import is set back after.
    #[test]
    fn a_big_statement_is_reported_by_counts_and_its_first_lines() {
        let mut conn = ledger();
        let n = store::BIG_IMPORT + 5;
        let pragmas = |conn: &Connection| -> (i64, Option<i64>) {
            use crate::store::sql::OptionalExtension;
            if conn.sqlite().is_none() {
                return (0, None);
            }
            (
                conn.query_row("PRAGMA cache_size", [], |r| r.get(0))
                    .unwrap(),
                conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))
                    .optional()
                    .unwrap(),
            )
        };
        let before = pragmas(&conn);
        let entries: String = (0..n)
            .map(|i| {
                format!(
                    "<Ntry><Amt Ccy=\"EUR\">{}.17</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                     <BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>BIG-{i}</AcctSvcrRef>\
                     <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Inconnu {i}</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>",
                    7_000 + i
                )
            })
            .collect();
        let xml = format!(
            "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
             <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
        );
        let files = vec![("big.xml".to_string(), xml.into_bytes())];
        let dry = import(
            &mut conn,
            &files,
            Options {
                dry_run: true,
                ..Options::default()
            },
        );
        assert_eq!(dry.lines, n);
        assert_eq!(dry.unmatched_count, n);
        assert_eq!(dry.unmatched.len(), store::REPORT_LINES);
        assert_eq!(dry.unmatched[0].payer, "Inconnu 0");
        assert_eq!(pragmas(&conn), before);
        let done = import(&mut conn, &files, Options::default());
        assert_eq!(done.unmatched_count, n);
        assert_eq!(pragmas(&conn), before);
        let stored: i64 = conn
            .query_row("SELECT COUNT(*) FROM bank_lines", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, n as i64);
        // Again: every line known, none doubled.
        let again = import(&mut conn, &files, Options::default());
        assert_eq!((again.lines, again.duplicates), (n, n));
    }

    fn sure(conn: &mut Connection, files: &[(String, Vec<u8>)]) -> store::ImportReport {
        import(
            conn,
            files,
            Options {
                apply_sure: true,
                ..Options::default()
            },
        )
    }

    fn balance_on(conn: &Connection, number: &str, on: &str) -> String {
        let id = crate::invoices::find_id(conn, number).unwrap().unwrap();
        crate::invoices::get(conn, id, day(on)).unwrap().balance
    }

    #[test]
    fn a_short_payment_within_the_tolerance_is_settled_with_a_dated_difference() {
        let mut conn = ledger();
        // 1.00 short of 1 234,56 (0.08 %): within 1 € and 0.5 %, proposed, not sure.
        let r = import(
            &mut conn,
            &one_entry(
                "D-1",
                "2026-11-20",
                "1233.56",
                "CRDT",
                "<RmtInf><Ustrd>Facture F2026-0001</Ustrd></RmtInf>",
            ),
            Options::default(),
        );
        let line = &r.proposed[0];
        assert_eq!(line.difference.as_deref(), Some("1.00"));
        assert_eq!(
            line.confidence,
            Some(super::super::matching::Confidence::High)
        );
        store::match_line(
            &mut conn,
            line.id.unwrap(),
            &["F2026-0001".into()],
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(
            balance(&conn, "F2026-0001"),
            0,
            "settled: 1 233,56 paid + 1,00 difference"
        );
        assert_eq!(
            balance_on(&conn, "F2026-0001", "2026-11-19"),
            "1234.56",
            "dated: not before"
        );
        let diff: (String, i64) = conn
            .query_row(
                "SELECT date, amount_minor FROM settlement_differences",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(diff, ("2026-11-20".into(), 100));
        // Not a write-off (the invoice is not closed), not a credit note (no VAT changed).
        let (closures, notes): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM invoice_closures), (SELECT COUNT(*) FROM credit_notes)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((closures, notes), (0, 0));
        let id = crate::invoices::find_id(&conn, "F2026-0001")
            .unwrap()
            .unwrap();
        let page = crate::views::invoice_page::detail(&conn, id, day(TODAY)).unwrap();
        let kinds: Vec<(&str, &str)> = page
            .settlements
            .iter()
            .map(|s| (s.kind.as_str(), s.amount.as_str()))
            .collect();
        assert_eq!(kinds, [("difference", "1.00"), ("payment", "1233.56")]);
        let note: String = conn
            .query_row(
                "SELECT note FROM journal WHERE action = 'settlement_difference'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            note,
            "Écart de règlement accepté sur F2026-0001 : 1,00\u{a0}€ (frais bancaires ou arrondi)"
        );
        // Interest stops the day it was paid, as for any settlement.
        let inv = crate::invoices::stored_by_id(&conn, id).unwrap();
        let (claim, _) = crate::interest::claim_and_terms(&conn, &inv, day(TODAY), None).unwrap();
        assert!(claim.reductions.contains(&(day("2026-11-20"), 100)));
        // 0.01 left: the same, and 1.01 short is a partial payment (the rest stays due).
        let r = import(
            &mut conn,
            &one_entry(
                "D-2",
                "2026-11-21",
                "1799.99",
                "CRDT",
                "<RmtInf><Ustrd>F2026-0012</Ustrd></RmtInf>",
            ),
            Options::default(),
        );
        assert_eq!(r.proposed[0].difference.as_deref(), Some("0.01"));
        let r = import(
            &mut conn,
            &one_entry(
                "D-3",
                "2026-11-21",
                "498.99",
                "CRDT",
                "<RmtInf><Ustrd>F2026-0013</Ustrd></RmtInf>",
            ),
            Options::default(),
        );
        assert_eq!(r.proposed[0].difference, None);
        store::match_line(
            &mut conn,
            r.proposed[0].id.unwrap(),
            &["F2026-0013".into()],
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(balance(&conn, "F2026-0013"), 101);
        // The tolerance is the owner's: at 0.50 €, 1.00 short is a partial payment.
        crate::settings::set(&conn, "bank_tolerance", "0,50").unwrap();
        let r = import(
            &mut conn,
            &one_entry(
                "D-4",
                "2026-11-22",
                "299.00",
                "CRDT",
                "<RmtInf><Ustrd>F2026-0014</Ustrd></RmtInf>",
            ),
            Options::default(),
        );
        assert_eq!(r.proposed[0].difference, None);
        crate::settings::set(&conn, "bank_tolerance", "5").unwrap();
        crate::settings::set(&conn, "bank_tolerance_percent", "0.1").unwrap();
        let lines = store::lines(&conn, Some("proposed"), Lang::Fr).unwrap();
        let d4 = lines.iter().find(|l| l.amount == "299.00").unwrap();
        assert_eq!(d4.difference, None, "1.00 is 0.33 % of 300.00: over 0.1 %");
        crate::settings::set(&conn, "bank_tolerance_percent", "0.5").unwrap();
        let lines = store::lines(&conn, Some("proposed"), Lang::Fr).unwrap();
        let d4 = lines.iter().find(|l| l.amount == "299.00").unwrap();
        assert_eq!(d4.difference.as_deref(), Some("1.00"));
        // Undoing the import takes the difference with the payment.
        let import_id: i64 = conn
            .query_row(
                "SELECT import_id FROM bank_lines WHERE identity LIKE '%D-1%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        store::undo_import(&mut conn, import_id, Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(balance(&conn, "F2026-0001"), 123_456);
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM settlement_differences", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn a_returned_payment_reopens_its_invoice_from_the_day_it_came_back() {
        let mut conn = ledger();
        let paid = sure(
            &mut conn,
            &one_entry(
                "R-1",
                "2026-11-20",
                "1234.56",
                "CRDT",
                "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
            ),
        );
        assert_eq!(paid.applied, 1);
        assert_eq!(balance(&conn, "F2026-0001"), 0);
        // Eight days later the bank gives the transfer back (a return, same end-to-end id).
        let back = sure(
            &mut conn,
            &one_entry(
                "R-2",
                "2026-11-28",
                "1234.56",
                "DBIT",
                "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>",
            ),
        );
        assert_eq!((back.debits, back.applied), (1, 0));
        assert_eq!(balance(&conn, "F2026-0001"), 123_456, "due again");
        // Dated: paid between the two days, due before and after.
        assert_eq!(balance_on(&conn, "F2026-0001", "2026-11-19"), "1234.56");
        assert_eq!(balance_on(&conn, "F2026-0001", "2026-11-27"), "0.00");
        assert_eq!(balance_on(&conn, "F2026-0001", "2026-11-28"), "1234.56");
        // Nothing deleted: the payment stays, reversed, and leaves no credit.
        let hotel = crate::customers::id_by_ref(&conn, "c", "HOTEL").unwrap();
        let payments = crate::invoices::payments::for_customer(&conn, hotel).unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].reversed_on, Some(day("2026-11-28")));
        assert_eq!(payments[0].unallocated, "0.00");
        assert!(crate::invoices::payments::credit_minor(&conn, hotel)
            .unwrap()
            .is_empty());
        let id = crate::invoices::find_id(&conn, "F2026-0001")
            .unwrap()
            .unwrap();
        let page = crate::views::invoice_page::detail(&conn, id, day(TODAY)).unwrap();
        let kinds: Vec<(&str, &str, String)> = page
            .settlements
            .iter()
            .map(|s| (s.kind.as_str(), s.amount.as_str(), s.date.to_string()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("payment", "1234.56", "2026-11-20".to_string()),
                ("reversal", "-1234.56", "2026-11-28".to_string())
            ]
        );
        let note: String = conn
            .query_row(
                "SELECT note FROM journal WHERE action = 'payment_reversed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            note.starts_with("Paiement du 20/11/2026 rendu par la banque le 28/11/2026"),
            "{note}"
        );
        assert!(note.ends_with("F2026-0001 à nouveau due"), "{note}");
        // Interest runs from the due date to the payment, then again from the return.
        let inv = crate::invoices::stored_by_id(&conn, id).unwrap();
        let (claim, _) = crate::interest::claim_and_terms(&conn, &inv, day(TODAY), None).unwrap();
        let mut reductions = claim.reductions.clone();
        reductions.sort();
        assert_eq!(
            reductions,
            [(day("2026-11-20"), 123_456), (day("2026-11-28"), -123_456)]
        );
        // The statement lines say what happened.
        screen_agrees(&conn);
        let lines = store::lines(&conn, None, Lang::Fr).unwrap();
        let ret = lines.iter().find(|l| l.amount == "-1234.56").unwrap();
        assert_eq!(ret.status, "debit");
        assert!(
            ret.reason.starts_with("retour du virement du 20/11/2026"),
            "{}",
            ret.reason
        );
        let credit = lines.iter().find(|l| l.amount == "1234.56").unwrap();
        assert!(
            credit.reason.contains("rendue par la banque le 28/11/2026"),
            "{}",
            credit.reason
        );
        // The customer's history links the payment and its return to their lines.
        let linked = |conn: &Connection| -> Vec<(String, Option<i64>)> {
            let mut v: Vec<(String, Option<i64>)> = crate::journal::for_customer(conn, hotel, 50)
                .unwrap()
                .into_iter()
                .filter(|e| {
                    e.kind == JournalKind::Payment
                        || e.action.as_deref() == Some("payment_reversed")
                })
                .map(|e| (e.action.unwrap_or_else(|| "payment".into()), e.bank_line))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            linked(&conn),
            [
                ("payment".to_string(), credit.id),
                ("payment_reversed".to_string(), ret.id)
            ]
        );
        // The agenda takes the invoice back.
        let agenda = crate::dunning::agenda(&conn, day(TODAY)).unwrap();
        assert!(
            agenda
                .iter()
                .any(|a| a.invoices.contains(&"F2026-0001".to_string())),
            "{agenda:?}"
        );
        // The payment's import cannot be undone under its return; the return's can.
        let err =
            store::undo_import(&mut conn, paid.import.unwrap(), Lang::Fr, day(TODAY)).unwrap_err();
        assert!(err.to_string().contains("holds the return"), "{err}");
        store::undo_import(&mut conn, back.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(balance(&conn, "F2026-0001"), 0, "paid again");
        store::undo_import(&mut conn, paid.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(balance(&conn, "F2026-0001"), 123_456);
        // Undone, the history's entries stay and link nowhere.
        assert_eq!(
            linked(&conn),
            [
                ("payment".to_string(), None),
                ("payment_reversed".to_string(), None)
            ]
        );
    }

    #[test]
    fn a_credit_returned_before_it_was_matched_pays_nothing_and_holds_nothing() {
        let mut conn = ledger();
        // From an unknown account, no reference: the credit waits, holding F2026-0001.
        let line = waiting_credit(&mut conn, "U-1", "2026-11-20", "1234.56");
        assert_eq!(
            store::unmatched_credits(&conn, day(TODAY)).unwrap().len(),
            1
        );
        sure(
            &mut conn,
            &one_entry(
                "U-2",
                "2026-11-24",
                "1234.56",
                "DBIT",
                "<RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf>",
            ),
        );
        assert!(store::unmatched_credits(&conn, day(TODAY))
            .unwrap()
            .is_empty());
        assert_eq!(
            store::unmatched_credits(&conn, day("2026-11-23"))
                .unwrap()
                .len(),
            1,
            "held until the day it came back"
        );
        let err = store::match_line(&mut conn, line, &["F2026-0001".into()], Lang::En).unwrap_err();
        assert!(err.to_string().contains("given back by the bank"), "{err}");
        assert_eq!(store::apply_sure(&mut conn, Lang::Fr).unwrap(), 0);
        screen_agrees(&conn);
        let v = store::lines(&conn, Some("ignored"), Lang::En).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].reason,
            "given back by the bank on 2026-11-24 (return or reversal)"
        );
        assert_eq!(store::summary(&conn, day(TODAY)).unwrap().to_review, 0);
        // Lines set aside on either side of it: the group's pages (its two parts, each read
        // from its index, merged) in the whole list's order.
        for (id, date) in [
            ("U-3", "2026-11-19"),
            ("U-4", "2026-11-21"),
            ("U-5", "2026-11-20"),
        ] {
            let l = waiting_credit(&mut conn, id, date, "77.00");
            store::ignore(&conn, l, "not ours").unwrap();
        }
        let aside: Vec<Option<i64>> = store::lines(&conn, Some("ignored"), Lang::En)
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(aside.len(), 4);
        assert_eq!(aside[2], Some(line), "newest first, the same day by number");
        screen_agrees(&conn);
        // A line set aside, then given back by the bank: set aside first (the group's second
        // part, the lines given back, leaves out those set aside), shown once with the reason
        // it was set aside, counted once.
        let both = waiting_credit(&mut conn, "U-6", "2026-11-22", "88.00");
        store::ignore(&conn, both, "a deposit").unwrap();
        sure(
            &mut conn,
            &one_entry("U-7", "2026-11-23", "88.00", "DBIT", "<RtrInf/>"),
        );
        let returns: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM bank_lines WHERE reverses = ?1",
                [both],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(returns, 1, "the set-aside credit given back");
        let aside = store::lines(&conn, Some("ignored"), Lang::En).unwrap();
        assert_eq!(aside.len(), 5);
        assert_eq!(aside[0].id, Some(both));
        assert_eq!(aside[0].reason, "a deposit");
        screen_agrees(&conn);
    }

    #[test]
    fn a_return_that_names_no_credit_stays_money_out() {
        let mut conn = ledger();
        sure(
            &mut conn,
            &one_entry(
                "N-1",
                "2026-11-20",
                "1234.56",
                "CRDT",
                "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
            ),
        );
        // Another amount: not the transfer received.
        sure(
            &mut conn,
            &one_entry("N-2", "2026-11-24", "1000.00", "DBIT", "<RtrInf/>"),
        );
        assert_eq!(balance(&conn, "F2026-0001"), 0, "still paid");
        screen_agrees(&conn);
        let lines = store::lines(&conn, Some("debit"), Lang::En).unwrap();
        assert_eq!(
            lines[0].reason,
            "return or reversal: no transfer of this amount to give back"
        );
        // The same amount returned to another account than the payer's: not that transfer.
        let xml = String::from_utf8(
            one_entry("N-3", "2026-11-25", "1234.56", "DBIT", "<RtrInf/>")[0]
                .1
                .clone(),
        )
        .unwrap()
        .replace("FR7612345678901234567890123", "DE89370400440532013000")
        .replace("E2E-HOTEL-77", "NOTPROVIDED");
        sure(&mut conn, &[("n3.xml".into(), xml.into_bytes())]);
        assert_eq!(balance(&conn, "F2026-0001"), 0, "still paid");
    }

    #[test]
    fn a_credit_and_its_return_in_one_file_leave_the_invoice_due() {
        let mut conn = ledger();
        let mut xml = String::from_utf8(
            one_entry(
                "S-1",
                "2026-11-20",
                "1234.56",
                "CRDT",
                "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
            )[0]
            .1
            .clone(),
        )
        .unwrap();
        let ret = String::from_utf8(
            one_entry("S-2", "2026-11-22", "1234.56", "DBIT", "<RtrInf/>")[0]
                .1
                .clone(),
        )
        .unwrap();
        let entry = &ret[ret.find("<Ntry>").unwrap()..ret.find("</Stmt>").unwrap()];
        xml = xml.replace("</Stmt>", &format!("{entry}</Stmt>"));
        let r = sure(&mut conn, &[("both.xml".into(), xml.into_bytes())]);
        // The return is linked before anything is matched: the credit never pays.
        assert_eq!((r.lines, r.applied, r.debits, r.returned), (2, 0, 1, 1));
        assert_eq!(balance(&conn, "F2026-0001"), 123_456);
        assert_eq!(balance_on(&conn, "F2026-0001", "2026-11-21"), "1234.56");
        let payments: i64 = conn
            .query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(payments, 0);
    }

    #[test]
    fn a_return_imported_before_its_credit_waits_for_it() {
        let mut conn = ledger();
        // The return's file is given first (files dropped newest first)…
        let back = one_entry("W-2", "2026-11-24", "1234.56", "DBIT", "<RtrInf/>");
        let paid = one_entry(
            "W-1",
            "2026-11-20",
            "1234.56",
            "CRDT",
            "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
        );
        let r = sure(&mut conn, &[back[0].clone(), paid[0].clone()]);
        assert_eq!((r.applied, r.returned), (0, 1), "one import: linked first");
        assert_eq!(balance(&conn, "F2026-0001"), 123_456);
        // …or imported the day before its credit: the credit, when it comes, is not paid.
        let mut conn = ledger();
        let first = sure(&mut conn, &back);
        assert_eq!(first.debits, 1);
        let r = sure(&mut conn, &paid);
        assert_eq!((r.applied, r.returned), (0, 1));
        assert_eq!(balance(&conn, "F2026-0001"), 123_456);
        // Undoing the credit's import lets the return wait again; its own import undoes.
        store::undo_import(&mut conn, r.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        store::undo_import(&mut conn, first.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        let lines: i64 = conn
            .query_row("SELECT COUNT(*) FROM bank_lines", [], |r| r.get(0))
            .unwrap();
        assert_eq!(lines, 0);
    }

    #[test]
    fn a_return_does_not_reach_back_for_an_unrelated_credit() {
        let mut conn = ledger();
        // A payment of 1 234,56 from an unknown account without an end-to-end id, then,
        // three months later, a reversal of that amount naming nothing: not that payment.
        let xml = |id: &str, on: &str, sign: &str, extra: &str| {
            String::from_utf8(one_entry(id, on, "1234.56", sign, extra)[0].1.clone())
                .unwrap()
                .replace("FR7612345678901234567890123", "")
                .replace("E2E-HOTEL-77", "NOTPROVIDED")
                .into_bytes()
        };
        sure(
            &mut conn,
            &[(
                "a.xml".into(),
                xml(
                    "Z-1",
                    "2026-08-20",
                    "CRDT",
                    "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
                ),
            )],
        );
        assert_eq!(balance(&conn, "F2026-0001"), 0);
        sure(
            &mut conn,
            &[(
                "b.xml".into(),
                xml("Z-2", "2026-11-25", "DBIT", "<RtrInf/>"),
            )],
        );
        assert_eq!(balance(&conn, "F2026-0001"), 0, "still paid");
    }

    #[test]
    fn old_statements_and_days_no_statement_covers_are_said() {
        let mut conn = ledger();
        let s = store::summary(&conn, day(TODAY)).unwrap();
        assert_eq!(
            (s.stale_days, s.gaps.len()),
            (None, 0),
            "never imported: nothing said"
        );
        // Statements to 2026-11-10, then from 2026-11-16: 11–15 not covered.
        for (id, on) in [("G-1", "2026-11-10"), ("G-2", "2026-11-16")] {
            let xml = String::from_utf8(one_entry(id, on, "10.00", "CRDT", "")[0].1.clone())
                .unwrap()
                .replace(
                    "<Acct>",
                    &format!("<FrToDt><FrDtTm>{on}T00:00:00</FrDtTm><ToDtTm>{on}T23:59:59</ToDtTm></FrToDt><Acct>"),
                );
            import(
                &mut conn,
                &[(format!("{id}.xml"), xml.into_bytes())],
                Options::default(),
            );
        }
        let s = store::summary(&conn, day(TODAY)).unwrap();
        assert_eq!(
            s.gaps,
            [store::Gap {
                account: "FR7630006000011234567890189".into(),
                from: day("2026-11-11"),
                to: day("2026-11-15"),
            }]
        );
        // Covered to 16 November: 14 days old on the 30th, over the 5 days of the setting.
        assert_eq!(s.stale_days, Some(14));
        assert_eq!(
            store::summary(&conn, day("2026-11-21")).unwrap().stale_days,
            None
        );
        crate::settings::set(&conn, "statement_stale_days", "20").unwrap();
        assert_eq!(store::summary(&conn, day(TODAY)).unwrap().stale_days, None);
    }

    #[test]
    fn a_zip_of_daily_files_is_one_import() {
        let mut conn = ledger();
        let files = vec![(
            "novembre.zip".to_string(),
            fixture!("hand/camt053_daily.zip").to_vec(),
        )];
        let r = sure(&mut conn, &files);
        assert_eq!((r.lines, r.applied), (2, 2));
        assert_eq!(
            (balance(&conn, "F2026-0012"), balance(&conn, "F2026-0013")),
            (0, 0)
        );
        let listed: String = conn
            .query_row("SELECT files FROM bank_imports", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            listed,
            "novembre.zip/2026-11/releve-2026-11-27.xml, novembre.zip/2026-11/releve-2026-11-28.xml"
        );
        // The same archive again: nothing new. A cut one: refused, naming it.
        assert_eq!(sure(&mut conn, &files).duplicates, 2);
        let cut = vec![("cut.zip".to_string(), files[0].1[..200].to_vec())];
        let err =
            store::import(&mut conn, cut, Options::default(), Lang::Fr, day(TODAY)).unwrap_err();
        let Error::Invalid { field, msg } = &err else {
            panic!("{err}")
        };
        assert_eq!(field, "cut.zip");
        assert!(
            msg.text(Lang::Fr).contains("archive .zip est illisible"),
            "{}",
            msg.text(Lang::Fr)
        );
    }

    #[test]
    fn an_account_two_customers_pay_from_names_neither() {
        let mut conn = ledger();
        let hotel = crate::customers::id_by_ref(&conn, "c", "HOTEL").unwrap();
        let boul = crate::customers::id_by_ref(&conn, "c", "BOUL").unwrap();
        // Typed on the customer form: checked, compact, each once.
        let mut input = crate::customers::CustomerInput {
            reference: "HOTEL".into(),
            name: "Hôtel du Parc & Spa".into(),
            payer_accounts: Some(
                "FR48 1234 5678 9012 3456 7890 123\nFR4812345678901234567890123".into(),
            ),
            ..Default::default()
        };
        let c = crate::customers::update(&conn, hotel, &input).unwrap();
        assert_eq!(c.payer_accounts, ["FR4812345678901234567890123"]);
        // A transfer from it, for F2026-0001's amount, no reference: proposed for HOTEL.
        let xml = String::from_utf8(
            one_entry("P-1", "2026-11-20", "1234.56", "CRDT", "")[0]
                .1
                .clone(),
        )
        .unwrap()
        .replace("FR7612345678901234567890123", "FR4812345678901234567890123");
        let r = import(
            &mut conn,
            &[("p.xml".into(), xml.into_bytes())],
            Options::default(),
        );
        assert_eq!(r.proposed[0].customer.as_deref(), Some("HOTEL"));
        // A wrong IBAN is refused and changes nothing; None keeps what is known.
        input.payer_accounts = Some("FR76 1234".into());
        assert!(crate::customers::update(&conn, hotel, &input).is_err());
        input.payer_accounts = None;
        let c = crate::customers::update(&conn, hotel, &input).unwrap();
        assert_eq!(c.payer_accounts.len(), 1);
        // The same account typed for BOUL too: it names neither.
        let both = crate::customers::CustomerInput {
            reference: "BOUL".into(),
            name: "Boulangerie Martin".into(),
            payer_accounts: Some("FR4812345678901234567890123".into()),
            ..Default::default()
        };
        crate::customers::update(&conn, boul, &both).unwrap();
        screen_agrees(&conn);
        let lines = store::lines(&conn, None, Lang::Fr).unwrap();
        assert!(
            !lines[0].reason.contains("compte connu"),
            "{}",
            lines[0].reason
        );
    }

    #[test]
    fn a_match_against_the_payers_other_customer_is_said_and_teaches_nothing() {
        let mut conn = ledger();
        // HOTEL's account, learnt by a sure match, then undone: forgotten with the import.
        let first = sure(
            &mut conn,
            &one_entry(
                "L-1",
                "2026-11-20",
                "1234.56",
                "CRDT",
                "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
            ),
        );
        let known = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM payer_accounts", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(known(&conn), 1);
        store::undo_import(&mut conn, first.import.unwrap(), Lang::Fr, day(TODAY)).unwrap();
        assert_eq!(known(&conn), 0, "what the import taught goes with it");
        let again = sure(
            &mut conn,
            &one_entry(
                "L-1",
                "2026-11-20",
                "1234.56",
                "CRDT",
                "<RmtInf><Strd><CdtrRefInf><Ref>RF82RL1</Ref></CdtrRefInf></Strd></RmtInf>",
            ),
        );
        assert_eq!((again.applied, known(&conn)), (1, 1));
        // From that account, money the owner matches to BOUL's invoice: said, not learnt.
        let line = waiting_credit(&mut conn, "L-2", "2026-11-25", "1800.00");
        let v = store::match_line(&mut conn, line, &["F2026-0012".into()], Lang::Fr).unwrap();
        assert!(
            v.reason.contains("compte payeur est celui du client HOTEL"),
            "{}",
            v.reason
        );
        let boul: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM payer_accounts p JOIN customers c ON c.id = p.customer_id WHERE c.reference = 'BOUL'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(boul, 0);
    }

    /// Sure matches applied in bulk (an import of a statement with `apply_sure`, then
    /// [`store::apply_sure`]) keep the kept sums (per customer, per due date, per earliest
    /// due date) as they derive, on either engine: on a server, past
    /// [`crate::invoices::kept::SERVER_BULK_PAYMENTS`] lines, the balances' update trigger
    /// is set aside for the transaction and the sums of what they settled are summed again
    /// once at its end. Many invoices share a due date; some customers pay everything
    /// (their balance row goes), some their earliest invoices (their earliest date moves).
    /// Each import undone takes its payments back the same way
    /// ([`crate::invoices::kept::UnsettledAside`]).
    #[test]
    fn many_sure_matches_keep_the_kept_sums_as_they_derive() {
        let mut conn = ledger();
        let bulk = crate::invoices::kept::SERVER_BULK_PAYMENTS;
        // (C0–C39 get 82 or 83 invoices each)
        let count = 3 * bulk + 300;
        let mut customers = String::from("reference,name\n");
        for c in 0..40 {
            customers.push_str(&format!("C{c},Client numéro {c}\n"));
        }
        crate::import::import(
            &mut conn,
            crate::import::ImportKind::Customers,
            customers.as_bytes(),
            false,
        )
        .unwrap();
        // Invoice i: customer C(i % 40), due on the 15th of October (i / 40 even) or the 1st
        // of November, many per customer and date.
        let amount = |i: usize| format!("{}.{:02}", 10 + i % 50, i % 100);
        let mut invoices =
            String::from("number,customer_reference,issue_date,due_date,total,currency\n");
        for i in 0..count {
            invoices.push_str(&format!(
                "F2027-{i:05},C{},2026-09-15,{},{},EUR\n",
                i % 40,
                ["2026-10-15", "2026-11-01"][(i / 40) % 2],
                amount(i)
            ));
        }
        crate::import::import(
            &mut conn,
            crate::import::ImportKind::Invoices,
            invoices.as_bytes(),
            false,
        )
        .unwrap();
        // A credit paying invoice `i` less `short` cents, naming it (its end-to-end id
        // `{name}-{i}`); a return of the credit `A-{i}`.
        let minor = |i: usize| ((10 + i % 50) * 100 + i % 100) as i64;
        let credit = |name: &str, i: usize, short: i64| {
            let m = minor(i) - short;
            format!(
                "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                 <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>{name}-{i}</AcctSvcrRef>\
                 <NtryDtls><TxDtls><Refs><EndToEndId>{name}-{i}</EndToEndId></Refs>\
                 <RltdPties><Dbtr><Nm>Client numéro {}</Nm></Dbtr></RltdPties>\
                 <RmtInf><Ustrd>Facture F2027-{i:05}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
                m / 100,
                m % 100,
                i % 40
            )
        };
        let returned = |i: usize| {
            format!(
                "<Ntry><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>\
                 <BookgDt><Dt>2026-11-22</Dt></BookgDt><AcctSvcrRef>R-{i}</AcctSvcrRef>\
                 <NtryDtls><TxDtls><Refs><EndToEndId>A-{i}</EndToEndId></Refs><RtrInf/>\
                 </TxDtls></NtryDtls></Ntry>",
                amount(i)
            )
        };
        let file = |name: &str, entries: String| {
            vec![(
                format!("{name}.xml"),
                format!(
                    "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
                     <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
                )
                .into_bytes(),
            )]
        };
        let as_derived = crate::test_support::kept_as_derived;
        let before = as_derived(&mut conn);
        // First: C0–C19's invoices due in October, and everything of C20–C29 (C0–C19's
        // earliest date moves, C20–C29's balance goes), applied as the file is imported.
        let first: Vec<usize> = (0..count)
            .filter(|i| (i % 40 < 20 && (i / 40) % 2 == 0) || (20..30).contains(&(i % 40)))
            .collect();
        assert!(first.len() > bulk, "a bulk write");
        // And three of C30–C39's November invoices paid 3 cents short (within the
        // tolerance: proposed, not sure), matched by hand: settlement differences.
        let short: Vec<usize> = (0..count)
            .filter(|i| i % 40 >= 30 && (i / 40) % 2 == 1)
            .take(3)
            .collect();
        let entries: String = first
            .iter()
            .map(|&i| credit("A", i, 0))
            .chain(short.iter().map(|&i| credit("A", i, 3)))
            .collect();
        let r = sure(&mut conn, &file("A", entries));
        assert_eq!((r.sure_count, r.applied), (first.len(), first.len()));
        for &i in &short {
            let line: i64 = conn
                .query_row(
                    "SELECT id FROM bank_lines WHERE end_to_end = ?1",
                    [format!("A-{i}")],
                    |r| r.get(0),
                )
                .unwrap();
            let v =
                store::match_line(&mut conn, line, &[format!("F2027-{i:05}")], Lang::En).unwrap();
            assert_eq!(v.status, "matched");
        }
        let differences: i64 = conn
            .query_row("SELECT COUNT(*) FROM settlement_differences", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(differences, 3, "each short payment settled by a difference");
        let applied = as_derived(&mut conn);
        assert_ne!(applied, before, "the payments moved the kept sums");
        let c25 = crate::customers::id_by_ref(&conn, "customer", "C25").unwrap();
        let c25_rows: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM customer_balances WHERE customer_id = ?1",
                [c25],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(c25_rows, 0, "every invoice of C25 paid: no balance row");
        let oldest_of = |conn: &Connection, c: &str| -> String {
            let id = crate::customers::id_by_ref(conn, "customer", c).unwrap();
            conn.query_row(
                "SELECT oldest_due FROM customer_balances WHERE customer_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(
            oldest_of(&conn, "C5"),
            "2026-11-01",
            "its October invoices paid"
        );
        assert_eq!(oldest_of(&conn, "C35"), "2026-10-15");
        // Then: C0–C19's invoices due in November (their balance goes) and C30–C39's due in
        // October (their earliest date moves), imported first, then applied by the button.
        let second: Vec<usize> = (0..count)
            .filter(|i| match i % 40 {
                0..20 => (i / 40) % 2 == 1,
                30.. => (i / 40) % 2 == 0,
                _ => false,
            })
            .collect();
        assert!(second.len() > bulk, "a bulk write");
        // With the returns of five of the first statement's credits (C25's: its balance
        // comes back).
        let back: Vec<usize> = first
            .iter()
            .copied()
            .filter(|i| i % 40 == 25)
            .take(5)
            .collect();
        let entries: String = second
            .iter()
            .map(|&i| credit("B", i, 0))
            .chain(back.iter().map(|&i| returned(i)))
            .collect();
        let waiting = import(&mut conn, &file("B", entries), Options::default());
        assert_eq!((waiting.sure_count, waiting.applied), (second.len(), 0));
        let returns: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM bank_lines WHERE reverses IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(returns as usize, back.len(), "each return finds its credit");
        assert_eq!(
            oldest_of(&conn, "C25"),
            "2026-10-15",
            "the returns reopened C25's invoices"
        );
        assert_eq!(
            store::apply_sure(&mut conn, Lang::Fr).unwrap(),
            second.len()
        );
        let after = as_derived(&mut conn);
        assert!(after[0].len() < applied[0].len(), "C0–C19 paid everything");
        assert_eq!(
            oldest_of(&conn, "C35"),
            "2026-11-01",
            "its October invoices paid"
        );
        // The trigger is back: a payment recorded after moves the sums.
        crate::invoices::payments::record(
            &mut conn,
            &crate::invoices::payments::PaymentInput {
                customer: "C31".into(),
                date: "2026-11-25".into(),
                amount: "5.00".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let paid_by_hand = as_derived(&mut conn);
        assert_ne!(paid_by_hand, after);
        // Each statement's import undone (the later first): its payments taken back with
        // the trigger set aside on a server, the sums of what they had settled caught up.
        let undo = |conn: &mut Connection, report: &store::ImportReport| {
            let id = report.import.expect("the import is kept");
            store::undo_import(conn, id, Lang::Fr, day(TODAY)).unwrap_or_else(|e| panic!("{e}"));
        };
        undo(&mut conn, &waiting);
        assert_ne!(as_derived(&mut conn), paid_by_hand);
        assert_eq!(oldest_of(&conn, "C35"), "2026-10-15", "owed again");
        let c25_rows: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM customer_balances WHERE customer_id = ?1",
                [c25],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(c25_rows, 0, "its returns undone: C25 owes nothing again");
        undo(&mut conn, &r);
        assert_eq!(oldest_of(&conn, "C5"), "2026-10-15", "owed again");
        assert_eq!(oldest_of(&conn, "C25"), "2026-10-15", "owed again");
        let undone = as_derived(&mut conn);
        let differences: i64 = conn
            .query_row("SELECT COUNT(*) FROM settlement_differences", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(differences, 0, "taken back with their payments");
        // As before the statements, but for the hand payment: 5.00 off C31's balance and
        // off what is due on the 1st of November (C31's oldest open invoice when it was
        // recorded).
        let c31 = crate::customers::id_by_ref(&conn, "customer", "C31").unwrap();
        let mut expected = before.clone();
        let less = |rows: &mut Vec<String>, starts: &str| {
            let row = rows.iter_mut().find(|r| r.starts_with(starts)).unwrap();
            let mut fields: Vec<String> = row.split('|').map(String::from).collect();
            let owed: i64 = fields[2]
                .trim_start_matches("Integer(")
                .trim_end_matches(')')
                .parse()
                .unwrap();
            fields[2] = format!("Integer({})", owed - 500);
            *row = fields.join("|");
        };
        less(&mut expected[0], &format!("Integer({c31})|"));
        less(&mut expected[1], "Text(\"EUR\")|Text(\"2026-11-01\")|");
        assert_eq!(undone, expected, "the kept sums as before the statements");
    }
}
