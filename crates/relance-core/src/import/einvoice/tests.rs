//! E-invoice import: public sample files from other projects' test suites (tests/fixtures/
//! einvoice, each with its source and licence), imported to figures written here by hand,
//! and every refusal the issue names.

use super::*;
use crate::test_support::{company, day, setup, setup_issuer};

fn fixture(path: &str) -> EinvoiceFile {
    let full = format!(
        "{}/../../tests/fixtures/einvoice/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    EinvoiceFile {
        name: path.rsplit('/').next().unwrap().to_string(),
        bytes: std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}")),
    }
}

fn named(name: &str, text: &str) -> EinvoiceFile {
    EinvoiceFile {
        name: name.into(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// The owner as the sample's seller: by VAT number (SIREN and SIRET cleared).
fn owner_vat(conn: &Connection, vat: &str) {
    for (k, v) in [("siren", ""), ("siret", ""), ("vat_number", vat)] {
        crate::settings::set(conn, k, v).unwrap();
    }
}

fn fault_of(e: Error) -> Fault {
    match e {
        Error::Invalid {
            msg: Msg::Einvoice(f),
            ..
        } => f,
        Error::Invalid {
            msg: Msg::EinvoiceBatch(files),
            ..
        } => match files.into_iter().next() {
            Some((_, Msg::Einvoice(f))) => f,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// (number, customer name, issue, due, currency, total, net, vat) of an invoice.
fn invoice_row(
    conn: &Connection,
    number: &str,
) -> (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
) {
    conn.query_row(
        "SELECT c.name, i.issue_date, i.due_date, i.currency, i.total_minor, i.net_minor, i.vat_minor
         FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.number = ?1",
        [number],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )
    .unwrap()
}

/// VAT of the stored lines per rate × 10,000.
fn line_vat(conn: &Connection, number: &str) -> Vec<(i64, i64, i64)> {
    conn.prepare(
        "SELECT l.vat_rate_e4, SUM(l.net_minor), SUM(l.vat_minor) FROM invoice_lines l
         JOIN invoices i ON i.id = l.invoice_id WHERE i.number = ?1
         GROUP BY l.vat_category, l.vat_rate_e4 ORDER BY l.vat_category, l.vat_rate_e4",
    )
    .unwrap()
    .query_map([number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

#[test]
fn the_cen_cii_example_imports_to_the_cent_with_a_new_customer() {
    let mut conn = setup();
    owner_vat(&conn, "NL820098395B01");
    let file = fixture("cen/CII_example1.xml");
    let p = preview(&conn, std::slice::from_ref(&file), Lang::En).unwrap();
    assert_eq!(p.refused, 0, "{:?}", p.files[0].message);
    assert_eq!(p.new_customers, vec!["ODIN 59".to_string()]);
    let f = &p.files[0];
    assert_eq!(
        (
            f.number.as_str(),
            f.total.as_str(),
            f.net.as_str(),
            f.vat.as_str(),
            f.lines
        ),
        ("12115118", "250.33", "229.60", "20.73", 20)
    );
    assert_eq!(f.format, "CII");
    // Without the owner's yes, the customer is not created and nothing is written.
    let e = import(&mut conn, std::slice::from_ref(&file), false).unwrap_err();
    assert!(
        matches!(e, Error::Invalid { msg: Msg::EinvoiceNewCustomers(ref n), .. } if n == &["ODIN 59"]),
        "{e:?}"
    );
    assert_eq!(count(&conn, "invoices"), 0);
    let r = import(&mut conn, std::slice::from_ref(&file), true).unwrap();
    assert_eq!((r.invoices, r.customers_created, r.known), (1, 1, 0));
    // 229.60 + 20.73 = 250.33; due on the day (BT-9 20150109).
    assert_eq!(
        invoice_row(&conn, "12115118"),
        (
            "ODIN 59".into(),
            "2015-01-09".into(),
            "2015-01-09".into(),
            "EUR".into(),
            25033,
            Some(22960),
            Some(2073)
        )
    );
    // Per rate: 6 % on 183.23 = 10.99, 21 % on 46.37 = 9.74, as the breakdown says.
    assert_eq!(
        line_vat(&conn, "12115118"),
        vec![(60000, 18323, 1099), (210000, 4637, 974)]
    );
    // The original, byte for byte.
    let (name, bytes) = original(&conn, "12115118").unwrap().unwrap();
    assert_eq!(
        (name.as_str(), bytes),
        ("CII_example1.xml", file.bytes.clone())
    );
    // Its figures are the file's; its due date is the owner's to change.
    let id: i64 = conn
        .query_row(
            "SELECT id FROM invoices WHERE number = '12115118'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let reference: String = conn
        .query_row(
            "SELECT reference FROM customers WHERE name = 'ODIN 59'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut edit = crate::invoices::InvoiceInput {
        number: "12115118".into(),
        customer: reference,
        issue_date: "2015-01-09".into(),
        due_date: "2015-02-09".into(),
        total: "250.33".into(),
        currency: "EUR".into(),
        ..Default::default()
    };
    crate::invoices::update(&mut conn, id, &edit, day("2026-11-30")).unwrap();
    edit.total = "260.33".into();
    let e = crate::invoices::update(&mut conn, id, &edit, day("2026-11-30")).unwrap_err();
    assert!(
        matches!(e, Error::Invalid { ref field, msg: Msg::ImportedInvoiceFixed } if field == "total"),
        "{e:?}"
    );
    // Again: recognised, not duplicated.
    let r = import(&mut conn, std::slice::from_ref(&file), true).unwrap();
    assert_eq!((r.invoices, r.known), (0, 1));
    assert_eq!(count(&conn, "invoices"), 1);
    assert_eq!(count(&conn, "customers"), 3);
}

#[test]
fn a_ubl_invoice_with_allowances_charges_and_a_prepayment_asks_for_what_is_due() {
    let mut conn = setup();
    owner_vat(&conn, "NO123456789MVA");
    let file = fixture("cen/ubl-tc434-example2.xml");
    let r = import(&mut conn, std::slice::from_ref(&file), true).unwrap();
    assert_eq!(r.invoices, 1);
    // 1801.78 with VAT, 1000.00 prepaid: 801.78 due (BT-115), in kroner.
    let row = invoice_row(&conn, "TOSL108");
    assert_eq!(
        (row.0.as_str(), row.2.as_str(), row.3.as_str(), row.4, row.5),
        ("The Buyercompany", "2013-07-20", "NOK", 80178, None)
    );
    // Lines plus the allowance and the charge, per category and rate: E 0 % −25.00;
    // S 15 % 1.00 with 0.15; S 25 % 1273.00 + 187.50 − 100 + 100 = 1460.50 with 365.13.
    assert_eq!(
        line_vat(&conn, "TOSL108"),
        vec![(0, -2500, 0), (150000, 100, 15), (250000, 146050, 36513)]
    );
}

#[test]
fn factur_x_and_zugferd_pdfs_give_their_embedded_invoice() {
    let mut conn = setup();
    owner_vat(&conn, "DE123456789");
    let einfach = fixture("mustangproject/EN16931_Einfach.pdf");
    let p = preview(&conn, std::slice::from_ref(&einfach), Lang::En).unwrap();
    assert_eq!(p.files[0].format, "Factur-X, factur-x.xml");
    assert_eq!(p.files[0].total, "529.87");
    import(&mut conn, std::slice::from_ref(&einfach), true).unwrap();
    // 275.00 at 7 % (19.25) and 198.00 at 19 % (37.62): 473.00 + 56.87 = 529.87.
    assert_eq!(invoice_row(&conn, "471102").4, 52987);
    assert_eq!(
        line_vat(&conn, "471102"),
        vec![(70000, 27500, 1925), (190000, 19800, 3762)]
    );
    // The ZUGFeRD 2.0 PDF has the same number, another date: not the same invoice.
    let zugferd = fixture("mustangproject/attributeBasedXMP_zugferd_2p0_EN16931_Einfach.pdf");
    let p = preview(&conn, std::slice::from_ref(&zugferd), Lang::En).unwrap();
    assert_eq!(p.files[0].status, EinvoiceStatus::Refused);
    let e = import(&mut conn, std::slice::from_ref(&zugferd), true).unwrap_err();
    assert_eq!(
        fault_of(e),
        Fault::NumberTaken {
            number: "471102".into()
        }
    );
    // Into a ledger of its own it reads from zugferd-invoice.xml.
    let conn2 = setup();
    owner_vat(&conn2, "DE123456789");
    let p = preview(&conn2, std::slice::from_ref(&zugferd), Lang::En).unwrap();
    assert_eq!(p.files[0].format, "ZUGFeRD, zugferd-invoice.xml");
    assert_eq!((p.files[0].total.as_str(), p.refused), ("529.87", 0));
    // A stage invoice with 50.00 prepaid: 197.65 − 50.00 = 147.65 due.
    let part = fixture("mustangproject/EN16931_1_Teilrechnung.pdf");
    let p = preview(&conn2, std::slice::from_ref(&part), Lang::En).unwrap();
    assert_eq!(
        (p.files[0].total.as_str(), p.files[0].net.as_str()),
        ("147.65", "177.49")
    );
}

#[test]
fn a_french_factur_x_with_four_vat_categories_matches_the_customer_by_siren() {
    let mut conn = setup_issuer();
    // The sample's seller: SIREN 123456782, VAT FR11123456782.
    for (k, v) in [
        ("siren", "123456782"),
        ("siret", ""),
        ("vat_number", "FR11123456782"),
    ] {
        crate::settings::set(&conn, k, v).unwrap();
    }
    // A customer known by the SIREN the buyer's French VAT number holds (FR05 987654321),
    // under another name: matched by identifier, not by name.
    conn.execute(
        "UPDATE customers SET vat_number = 'FR05987654321' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    let file = fixture("akretion-factur-x/invoice_EN16931.pdf");
    let p = preview(&conn, std::slice::from_ref(&file), Lang::Fr).unwrap();
    assert_eq!(p.refused, 0, "{}", p.files[0].message);
    assert_eq!(
        (
            p.files[0].customer_reference.as_str(),
            p.files[0].new_customer
        ),
        ("BETA", false)
    );
    import(&mut conn, std::slice::from_ref(&file), false).unwrap();
    // 95.00 of lines − 9.00 + 14.00 = 100.00; VAT 2.20 + 2.70 = 4.90; due 2026-03-02.
    assert_eq!(
        invoice_row(&conn, "F20260023"),
        (
            "Beta & Co".into(),
            "2026-01-31".into(),
            "2026-03-02".into(),
            "EUR".into(),
            10490,
            Some(10000),
            Some(490)
        )
    );
    // Per category and rate: E 60.00; K 2.00; S 10 % 27.00 with 2.70; S 20 % 11.00 with 2.20.
    assert_eq!(
        line_vat(&conn, "F20260023"),
        vec![
            (0, 6000, 0),
            (0, 200, 0),
            (100000, 2700, 270),
            (200000, 1100, 220)
        ]
    );
}

#[test]
fn a_credit_note_reduces_the_invoice_it_references() {
    let mut conn = setup();
    owner_vat(&conn, "SE123456789001");
    let credit = fixture("cen/BIS_Billing_30-Kreditering_med_kreditnota.xml");
    // Its invoice 2018133 is not in Relance.
    let e = import(&mut conn, std::slice::from_ref(&credit), true).unwrap_err();
    assert_eq!(fault_of(e), Fault::CreditUnknownInvoice("2018133".into()));
    // The buyer is known by name; the invoice was recorded by hand, in kronor.
    conn.execute(
        "UPDATE customers SET name = 'Project services AB' WHERE reference = 'ACME'",
        [],
    )
    .unwrap();
    let mut invoice =
        crate::test_support::inv("2018133", "ACME", "2018-02-08", "2018-03-10", "25000");
    invoice.currency = "SEK".into();
    crate::invoices::create(&conn, &invoice, day("2018-02-10")).unwrap();
    // The buyer is another customer than the invoice's: refused.
    conn.execute(
        "UPDATE customers SET name = 'Other' WHERE reference = 'ACME'",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE customers SET name = 'Project services AB' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    let e = import(&mut conn, std::slice::from_ref(&credit), false).unwrap_err();
    assert_eq!(
        fault_of(e),
        Fault::CreditOtherCustomer {
            invoice: "2018133".into(),
            customer: "Other".into()
        }
    );
    conn.execute(
        "UPDATE customers SET name = 'Beta & Co' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    let r = import(&mut conn, std::slice::from_ref(&credit), false).unwrap();
    assert_eq!(r.credit_notes, 1);
    // 10,835.00 with VAT − 834.90 prepaid − 0.10 rounding: 10,000.00 credited.
    let (amount, invoice): (i64, String) = conn
        .query_row(
            "SELECT cn.amount_minor, i.number FROM credit_notes cn JOIN invoices i
             ON i.id = cn.invoice_id WHERE cn.number = '2018140'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((amount, invoice.as_str()), (1_000_000, "2018133"));
    let settled: i64 = conn
        .query_row(
            "SELECT settled_minor FROM invoices WHERE number = '2018133'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(settled, 1_000_000);
    // Again: known.
    assert_eq!(
        import(&mut conn, std::slice::from_ref(&credit), false)
            .unwrap()
            .known,
        1
    );
    // A credit note naming no invoice is refused.
    owner_vat(&conn, "BE0000000196");
    let e = import(&mut conn, &[fixture("cen/ubl-tc434-creditnote1.xml")], true).unwrap_err();
    assert_eq!(fault_of(e), Fault::CreditWithoutInvoice);
}

/// A credit note naming an invoice Relance issued is refused: that invoice is corrected by
/// a credit note Relance issues (a typed one would be refused too), nothing written.
#[test]
fn a_credit_note_on_an_invoice_relance_issued_is_refused() {
    let mut conn = setup();
    owner_vat(&conn, "SE123456789001");
    conn.execute(
        "UPDATE customers SET name = 'Project services AB' WHERE reference = 'ACME'",
        [],
    )
    .unwrap();
    let mut invoice =
        crate::test_support::inv("2018133", "ACME", "2018-02-08", "2018-03-10", "25000");
    invoice.currency = "SEK".into();
    crate::invoices::create(&conn, &invoice, day("2018-02-10")).unwrap();
    conn.execute(
        "UPDATE invoices SET issued = 1 WHERE number = '2018133'",
        [],
    )
    .unwrap();
    let credit = fixture("cen/BIS_Billing_30-Kreditering_med_kreditnota.xml");
    let e = import(&mut conn, std::slice::from_ref(&credit), false).unwrap_err();
    assert_eq!(fault_of(e), Fault::CreditOnIssuedInvoice("2018133".into()));
    for table in ["credit_notes", "einvoice_originals", "customers"] {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, if table == "customers" { 2 } else { 0 }, "{table}");
    }
}

#[test]
fn refusals_name_the_reason_and_write_nothing() {
    let mut conn = setup();
    owner_vat(&conn, "NL820098395B01");
    let good = fixture("cen/CII_example1.xml");
    let text = String::from_utf8(good.bytes.clone()).unwrap();
    let cases: Vec<(EinvoiceFile, Fault)> = vec![
        (
            fixture("mustangproject/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf"),
            Fault::PdfWithoutInvoice,
        ),
        (
            // Another seller: a purchase invoice.
            fixture("mustangproject/EN16931_Einfach.pdf"),
            Fault::Purchase {
                seller: "Lieferant GmbH".into(),
            },
        ),
        (
            named(
                "grand.xml",
                &text.replace(
                    "<ram:GrandTotalAmount>250.33</ram:GrandTotalAmount>",
                    "<ram:GrandTotalAmount>251.33</ram:GrandTotalAmount>",
                ),
            ),
            Fault::DoesNotAddUp {
                rule: "BR-CO-15".into(),
                expected: "250.33".into(),
                found: "251.33".into(),
            },
        ),
        (
            named(
                "currency.xml",
                &text.replace(
                    "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
                    "<ram:InvoiceCurrencyCode>ZZZ</ram:InvoiceCurrencyCode>",
                ),
            ),
            Fault::UnknownCurrency("ZZZ".into()),
        ),
        (
            named(
                "dtd.xml",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><CrossIndustryInvoice>&a;</CrossIndustryInvoice>",
            ),
            Fault::Dtd,
        ),
        (
            named("entity.xml", "<CrossIndustryInvoice>&xxe;</CrossIndustryInvoice>"),
            Fault::Dtd,
        ),
        (
            named("order.xml", "<Order><ID>1</ID></Order>"),
            Fault::UnknownRoot("Order".into()),
        ),
        (named("notes.txt", "hello"), Fault::NotEinvoice("hello".into())),
        (
            EinvoiceFile {
                name: "huge.xml".into(),
                bytes: vec![b' '; (MAX_MB * 1024 * 1024 + 1) as usize],
            },
            Fault::TooLarge { max_mb: MAX_MB },
        ),
    ];
    for (file, expected) in cases {
        let e = import(&mut conn, &[good.clone(), file.clone()], true).unwrap_err();
        assert_eq!(fault_of(e), expected, "{}", file.name);
        assert_eq!(count(&conn, "invoices"), 0, "{}", file.name);
        assert_eq!(count(&conn, "customers"), 2, "{}", file.name);
        // The preview says the same of that file, and nothing of the good one.
        let p = preview(&conn, &[good.clone(), file.clone()], Lang::Fr).unwrap();
        assert_eq!(
            (p.refused, p.files[0].status.clone()),
            (1, EinvoiceStatus::New)
        );
        assert!(!p.files[1].message.is_empty());
    }
    // A due date before the invoice's date (CEN's business example 02).
    owner_vat(&conn, "DE1111111");
    let e = import(
        &mut conn,
        &[fixture("cen/CII_business_example_02.xml")],
        true,
    )
    .unwrap_err();
    assert_eq!(fault_of(e), Fault::DueBeforeIssue);
    // The owner must be known to tell a sale from a purchase.
    for k in ["vat_number", "company_name"] {
        crate::settings::set(&conn, k, "").unwrap();
    }
    let e = import(&mut conn, std::slice::from_ref(&good), true).unwrap_err();
    assert_eq!(fault_of(e), Fault::OwnerUnknown);
}

#[test]
fn an_invoice_relance_issued_round_trips_through_its_factur_x() {
    let mut a = setup_issuer();
    a.execute("UPDATE customers SET siren = '552100554'", [])
        .unwrap();
    let draft = crate::invoices::drafts::create(
        &mut a,
        &crate::invoices::drafts::DraftInput {
            customer: "ACME".into(),
            lines: vec![
                crate::invoices::drafts::DraftLineInput {
                    description: "Conseil".into(),
                    quantity: "3".into(),
                    unit_price: "333.33".into(),
                    vat_rate: "20".into(),
                    ..Default::default()
                },
                crate::invoices::drafts::DraftLineInput {
                    description: "Livre".into(),
                    quantity: "1".into(),
                    unit_price: "19.99".into(),
                    vat_rate: "5,5".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    )
    .unwrap();
    let (_, number) =
        crate::documents::invoice::issue_draft(&mut a, draft.id, day("2026-11-30")).unwrap();
    let pdf = crate::documents::invoice::pdf(&a, &number).unwrap();
    let file = EinvoiceFile {
        name: format!("{number}.pdf"),
        bytes: pdf,
    };
    // Into the same ledger: it is already there.
    let p = preview(&a, std::slice::from_ref(&file), Lang::En).unwrap();
    assert_eq!(
        p.files[0].status,
        EinvoiceStatus::Known,
        "{}",
        p.files[0].message
    );
    // Into another ledger of the same owner, where the customer is known by SIREN.
    let mut b = setup_issuer();
    b.execute(
        "UPDATE customers SET siren = '552100554' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    company(&b);
    let r = import(&mut b, std::slice::from_ref(&file), false).unwrap();
    assert_eq!(r.invoices, 1);
    // 999.99 at 20 % (200.00) and 19.99 at 5.5 % (1.10): 1019.98 + 201.10 = 1221.08.
    let row = invoice_row(&b, &number);
    assert_eq!(
        (row.0.as_str(), row.4, row.5, row.6),
        ("Beta & Co", 122108, Some(101998), Some(20110))
    );
}

#[test]
fn payment_terms_give_the_due_date_when_bt9_is_missing() {
    assert_eq!(terms_days("PAIEMENT 30 JOURS NET"), Some((30, false)));
    assert_eq!(terms_days("Net 45"), Some((45, false)));
    assert_eq!(terms_days("Zahlbar innerhalb 14 Tagen"), Some((14, false)));
    // The net term wins over the discount's; else the longest where a discount is offered.
    assert_eq!(
        terms_days("Escompte 2 % à 10 jours, net 30 jours"),
        Some((30, false))
    );
    assert_eq!(
        terms_days("2 % Skonto bei Zahlung in 10 Tagen, zahlbar in 30 Tagen"),
        Some((30, false))
    );
    assert_eq!(terms_days("45 jours fin de mois"), Some((45, true)));
    assert_eq!(terms_days("Payable on receipt"), None);
}

/// The CEN CII example with `from` replaced by `to` (once, or everywhere with `all`).
fn cii_with(name: &str, from: &str, to: &str) -> EinvoiceFile {
    let text = String::from_utf8(fixture("cen/CII_example1.xml").bytes).unwrap();
    assert!(text.contains(from), "{from}");
    named(name, &text.replacen(from, to, 1))
}

#[test]
fn hostile_numbers_and_shapes_are_refused_never_a_panic() {
    let mut conn = setup();
    owner_vat(&conn, "NL820098395B01");
    let cases: Vec<(EinvoiceFile, &str)> = vec![
        // Numbers no invoice has: they would overflow the arithmetic.
        (
            cii_with(
                "qty.xml",
                r#"<ram:BilledQuantity unitCode="H87">2</ram:BilledQuantity>"#,
                r#"<ram:BilledQuantity unitCode="H87">99999999999999999999999999</ram:BilledQuantity>"#,
            ),
            "BT-129",
        ),
        (
            cii_with(
                "rate.xml",
                "<ram:RateApplicablePercent>6</ram:RateApplicablePercent>",
                "<ram:RateApplicablePercent>1000000000000000</ram:RateApplicablePercent>",
            ),
            "BT-152",
        ),
        (
            cii_with(
                "total.xml",
                "<ram:GrandTotalAmount>250.33</ram:GrandTotalAmount>",
                "<ram:GrandTotalAmount>79228162514264337593543950335</ram:GrandTotalAmount>",
            ),
            "BT-112",
        ),
        // A number longer than a typed one may be.
        (
            cii_with(
                "long.xml",
                "<ram:ID>12115118</ram:ID>",
                "<ram:ID>12115118-12115118-12115118-12115118-12115118</ram:ID>",
            ),
            "40",
        ),
        // An entity inside an attribute, a file in Latin-1, nesting without end.
        (
            cii_with("attr.xml", r#"unitCode="H87""#, r#"unitCode="&xxe;""#),
            "DTD",
        ),
        (
            EinvoiceFile {
                name: "latin1.xml".into(),
                bytes: b"<CrossIndustryInvoice>caf\xe9</CrossIndustryInvoice>".to_vec(),
            },
            "UTF-8",
        ),
        (
            named(
                "deep.xml",
                &format!("<CrossIndustryInvoice>{}", "<a>".repeat(10_000)),
            ),
            "XML",
        ),
    ];
    for (file, says) in cases {
        let p = preview(&conn, std::slice::from_ref(&file), Lang::En).unwrap();
        assert_eq!(p.files[0].status, EinvoiceStatus::Refused, "{}", file.name);
        assert!(
            p.files[0].message.contains(says),
            "{}: {}",
            file.name,
            p.files[0].message
        );
        assert!(import(&mut conn, std::slice::from_ref(&file), true).is_err());
        assert_eq!(count(&conn, "invoices"), 0);
    }
}

#[test]
fn an_invoice_and_its_credit_note_come_in_one_batch_in_any_order() {
    let mut conn = setup();
    owner_vat(&conn, "NL820098395B01");
    let invoice = fixture("cen/CII_example1.xml");
    // Its credit note: one line of 50.00, exempt (category E), made from the invoice's file.
    let text = String::from_utf8(invoice.bytes.clone()).unwrap();
    let start = text.find("<ram:IncludedSupplyChainTradeLineItem>").unwrap();
    let end = text
        .rfind("</ram:IncludedSupplyChainTradeLineItem>")
        .unwrap()
        + "</ram:IncludedSupplyChainTradeLineItem>".len();
    let settlement = text.find("<ram:ApplicableHeaderTradeSettlement>").unwrap();
    let settlement_end = text.find("</ram:ApplicableHeaderTradeSettlement>").unwrap()
        + "</ram:ApplicableHeaderTradeSettlement>".len();
    let line = r#"<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>Geste commercial</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>50.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>E</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>50.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>"#;
    let settlement_of = |vat: &str| {
        format!(
            r#"<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:ApplicableTradeTax><ram:CalculatedAmount>{vat}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:ExemptionReason>Geste</ram:ExemptionReason><ram:BasisAmount>50.00</ram:BasisAmount><ram:CategoryCode>E</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>50.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>50.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">{vat}</ram:TaxTotalAmount><ram:GrandTotalAmount>50.00</ram:GrandTotalAmount><ram:DuePayableAmount>50.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:InvoiceReferencedDocument><ram:IssuerAssignedID>12115118</ram:IssuerAssignedID></ram:InvoiceReferencedDocument></ram:ApplicableHeaderTradeSettlement>"#
        )
    };
    let credit_text = |vat: &str| {
        format!(
            "{}{line}{}{}{}",
            &text[..start],
            &text[end..settlement],
            settlement_of(vat),
            &text[settlement_end..]
        )
        .replacen("<ram:ID>12115118</ram:ID>", "<ram:ID>AV-7</ram:ID>", 1)
        .replacen(
            "<ram:TypeCode>380</ram:TypeCode>",
            "<ram:TypeCode>381</ram:TypeCode>",
            1,
        )
    };
    let credit = named("AV-7.xml", &credit_text("0.00"));
    // An exempt category's VAT is none at all (BR-E-09), not "within a unit".
    let e = import(&mut conn, &[invoice.clone(), named("AV-7b.xml", &credit_text("0.50").replace(
        r#"<ram:GrandTotalAmount>50.00</ram:GrandTotalAmount><ram:DuePayableAmount>50.00</ram:DuePayableAmount>"#,
        r#"<ram:GrandTotalAmount>50.50</ram:GrandTotalAmount><ram:DuePayableAmount>50.50</ram:DuePayableAmount>"#,
    ))], true)
    .unwrap_err();
    assert!(matches!(fault_of(e), Fault::DoesNotAddUp { ref rule, .. } if rule == "BR-E-09"));
    // The credit note first, then its invoice, and the credit note again: one of each.
    let p = preview(
        &conn,
        &[credit.clone(), invoice.clone(), credit.clone()],
        Lang::En,
    )
    .unwrap();
    let statuses: Vec<_> = p.files.iter().map(|f| f.status.clone()).collect();
    assert_eq!(
        statuses,
        vec![
            EinvoiceStatus::New,
            EinvoiceStatus::New,
            EinvoiceStatus::Known
        ],
        "{:?}",
        p.files.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert_eq!(p.files[0].against, "12115118");
    let r = import(
        &mut conn,
        &[credit.clone(), invoice.clone(), credit.clone()],
        true,
    )
    .unwrap();
    assert_eq!((r.invoices, r.credit_notes, r.known), (1, 1, 1));
    // 250.33 − 50.00 = 200.33 still asked.
    let left: i64 = conn
        .query_row(
            "SELECT total_minor - settled_minor FROM invoices WHERE number = '12115118'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 20033);
    // The credit note's original, byte for byte, named on the invoice's page.
    assert_eq!(original(&conn, "AV-7").unwrap().unwrap().1, credit.bytes);
    let id: i64 = conn
        .query_row(
            "SELECT id FROM invoices WHERE number = '12115118'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page = crate::views::invoice_page::detail(&conn, id, day("2026-11-30")).unwrap();
    let row = page
        .settlements
        .iter()
        .find(|s| s.reference == "AV-7")
        .unwrap();
    assert_eq!(row.original.as_deref(), Some("AV-7.xml"));
    // Again, the whole batch: all known, even with the customer archived since.
    conn.execute(
        "UPDATE customers SET archived_on = '2026-11-30' WHERE name = 'ODIN 59'",
        [],
    )
    .unwrap();
    let r = import(&mut conn, &[credit.clone(), invoice.clone()], true).unwrap();
    assert_eq!((r.invoices, r.credit_notes, r.known), (0, 0, 2));
}

#[test]
fn a_customer_of_the_same_name_but_another_siren_is_someone_else() {
    let conn = setup_issuer();
    for (k, v) in [
        ("siren", "123456782"),
        ("siret", ""),
        ("vat_number", "FR11123456782"),
    ] {
        crate::settings::set(&conn, k, v).unwrap();
    }
    // "LE CLIENT" (VAT FR05987654321) in the file; a customer "Le Client" with another VAT.
    conn.execute(
        "UPDATE customers SET name = 'Le Client', vat_number = 'FR96552100554' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    let file = fixture("akretion-factur-x/invoice_EN16931.pdf");
    let p = preview(&conn, std::slice::from_ref(&file), Lang::En).unwrap();
    assert!(p.files[0].new_customer, "{:?}", p.files[0]);
    // Without any identifier on the customer, the name is enough.
    conn.execute(
        "UPDATE customers SET vat_number = '' WHERE reference = 'BETA'",
        [],
    )
    .unwrap();
    let p = preview(&conn, std::slice::from_ref(&file), Lang::En).unwrap();
    assert_eq!(p.files[0].customer_reference, "BETA");
    // The owner known by a SIREN written without its scheme is still the seller.
    crate::settings::set(&conn, "vat_number", "").unwrap();
    let text = String::from_utf8(fixture("cen/CII_example1.xml").bytes).unwrap();
    assert!(text.contains("<ram:ID>57151520</ram:ID>"));
    for (k, v) in [("siren", "732829320"), ("company_name", "Autre")] {
        crate::settings::set(&conn, k, v).unwrap();
    }
    let mine = named("mine.xml", &text.replacen("57151520", "732829320", 1));
    let p = preview(&conn, std::slice::from_ref(&mine), Lang::En).unwrap();
    assert_eq!(
        p.files[0].status,
        EinvoiceStatus::New,
        "{}",
        p.files[0].message
    );
}

#[test]
fn a_pdf_asking_for_gigantic_rows_is_skipped_not_allocated() {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let mut bomb = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Filter" => "FlateDecode",
            "DecodeParms" => dictionary! { "Predictor" => 12, "Columns" => 2_000_000_000i64 },
        },
        vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    bomb.allows_compression = false;
    let bomb = doc.add_object(bomb);
    let spec = doc.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal("factur-x.xml"),
        "EF" => dictionary! { "F" => bomb },
    });
    let pages = doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![], "Count" => 0 });
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages,
        "AF" => vec![spec.into()],
        "Names" => dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("factur-x.xml"), spec.into()] } },
    });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let e = super::pdf::invoice_xml(&bytes).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Invalid {
                msg: Msg::Einvoice(Fault::PdfWithoutInvoice),
                ..
            }
        ),
        "{e:?}"
    );
}
