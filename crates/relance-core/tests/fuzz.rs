//! Property-based fuzzing of what users type and files they import: amounts, dates,
//! references, CSV files and letter templates. Every input either parses or is refused with a message;
//! nothing panics, a refused import writes nothing, and what the product writes (formatted
//! amounts, ISO dates, exported CSV) reads back to the same value.
//!
//! Cases per property: `PROPTEST_CASES` (default 256 here; `./dev bench` runs 10,000).

use proptest::prelude::*;
use relance_core::import::{self, ImportKind};
use relance_core::money::{parse_amount, Currency};
use relance_core::validate::{identifier_key, parse_date};
use relance_core::{Error, Lang};
use rust_decimal::Decimal;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Text shaped like what people type in an amount field, plus arbitrary noise.
fn amount_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9 .,'€$£\u{a0}\u{202f}]{0,16}(EUR|eur|USD)?",
        "[0-9]{1,4}[.,][0-9]{1,4}",
        any::<String>(),
    ]
}

/// Every refusal carries a message in both languages, never empty.
fn refusal_is_worded(e: &Error) -> bool {
    e.is_refusal() && !e.message(Lang::Fr).is_empty() && !e.message(Lang::En).is_empty()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn amounts_parse_or_are_refused_with_a_message(s in amount_like()) {
        match parse_amount(&s, "amount") {
            Ok(d) => {
                // Whatever parses converts to minor units or is refused; never a panic.
                if let Err(e) = Currency::EUR.to_minor(d, "amount") {
                    prop_assert!(refusal_is_worded(&e), "{e:?}");
                }
            }
            Err(e) => prop_assert!(refusal_is_worded(&e), "{s:?}: {e:?}"),
        }
        for code in ["EUR", "JPY", "KWD"] {
            let c = Currency::parse(code).unwrap();
            if let Err(e) = c.parse_amount(&s, "amount") {
                prop_assert!(refusal_is_worded(&e));
            }
        }
    }

    /// Any amount up to the maximum, as the product shows it in French or English or as
    /// it exports it, reads back exactly.
    #[test]
    fn formatted_amounts_read_back(minor in 1i64..=Currency::EUR.max_minor()) {
        let eur = Currency::EUR;
        let want = eur.from_minor(minor);
        for shown in [
            eur.format_minor(minor, Lang::Fr),
            eur.format_minor(minor, Lang::En),
            eur.minor_to_string(minor),
        ] {
            let got = eur.parse_amount(&shown, "amount").unwrap();
            prop_assert_eq!(got, want, "{}", shown);
            prop_assert_eq!(eur.to_minor(got, "amount").unwrap(), minor);
        }
    }

    #[test]
    fn dates_parse_inside_the_horizon_or_are_refused(s in prop_oneof![
        "[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}",
        any::<String>(),
    ]) {
        match parse_date("date", &s) {
            Ok(d) => {
                prop_assert!(d >= relance_core::validate::earliest() && d <= relance_core::validate::latest());
                prop_assert_eq!(parse_date("date", &d.to_string()).unwrap(), d);
            }
            Err(e) => prop_assert!(refusal_is_worded(&e)),
        }
    }

    #[test]
    fn identifier_keys_are_stable(s in any::<String>()) {
        let k = identifier_key(&s);
        prop_assert_eq!(identifier_key(&k), k.clone());
        prop_assert_eq!(k.trim(), k.as_str());
    }

    /// A CSV of arbitrary cells (quotes, separators, newlines, formulas, control and
    /// invisible characters) imports whole or not at all, and a file the product exported
    /// imports back to the same customers.
    #[test]
    fn csv_imports_all_or_nothing(rows in prop::collection::vec(
        (
            "[A-Za-z0-9Ｔ\u{200b}\u{a0} '=\"-]{0,8}",
            prop_oneof!["[A-Za-zéèà &'=+@\"-]{0,20}", any::<String>()],
            prop_oneof!["", "[a-z]{1,6}@[a-z]{1,6}\\.fr", any::<String>()],
            prop_oneof!["", "[0-9 ,.]{1,8}", any::<String>()],
        ),
        1..8,
    ), sep in prop_oneof![Just(','), Just(';'), Just('\t')]) {
        let mut conn = relance_core::open_in_memory().unwrap();
        let quote = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
        let mut csv = format!("reference{sep}name{sep}email{sep}credit_limit\n");
        for (r, n, e, l) in &rows {
            csv.push_str(&[quote(r), quote(n), quote(e), quote(l)].join(&sep.to_string()));
            csv.push('\n');
        }
        let count = |c: &relance_core::Connection| -> i64 {
            c.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0)).unwrap()
        };
        match import::import(&mut conn, ImportKind::Customers, csv.as_bytes(), false) {
            Ok(report) => {
                prop_assert_eq!(count(&conn), report.rows as i64);
                let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
                let exported = import::export(&conn, ImportKind::Customers, as_of).unwrap();
                let mut again = relance_core::open_in_memory().unwrap();
                import::import(&mut again, ImportKind::Customers, &exported, false).unwrap();
                // Ids follow the order of the rows, which the export sorts: compare the rest.
                let without_ids = |c: &relance_core::Connection| {
                    let mut v = relance_core::customers::all(c).unwrap();
                    v.iter_mut().for_each(|c| c.id = 0);
                    v
                };
                prop_assert_eq!(without_ids(&again), without_ids(&conn));
            }
            Err(e) => {
                prop_assert!(refusal_is_worded(&e), "{e:?}");
                prop_assert_eq!(count(&conn), 0, "a refused import wrote rows");
            }
        }
    }

    /// Letter and e-mail templates: any text is accepted or refused with a message, never a
    /// panic; an accepted one leaves no placeholder unfilled.
    #[test]
    fn letter_templates_are_checked(body in prop_oneof![
        "[a-z {}]{0,30}",
        "(\\{(customer|total_due|deadline|invoices|payment|nope|)\\}|[a-z ]{0,5}){0,6}",
        any::<String>(),
    ], part in prop::sample::select(relance_core::documents::templates::PARTS.to_vec())) {
        use relance_core::documents::templates;
        match templates::check("body", part, &body) {
            Ok(clean) => {
                let values: Vec<(&str, String)> = templates::PLACEHOLDERS
                    .iter()
                    .chain(templates::EMAIL_PLACEHOLDERS.iter())
                    .map(|(p, _)| (*p, "x".to_string()))
                    .collect();
                let filled = templates::fill(&clean, &values);
                prop_assert!(!filled.contains('{') && !filled.contains('}'), "{filled:?}");
            }
            Err(e) => prop_assert!(refusal_is_worded(&e), "{e:?}"),
        }
    }

    /// Raw bytes as a CSV file: refused or imported, never a panic, never half.
    #[test]
    fn arbitrary_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), kind in 0usize..3) {
        let kind = [ImportKind::Customers, ImportKind::Invoices, ImportKind::Payments][kind];
        let mut conn = relance_core::open_in_memory().unwrap();
        if let Err(e) = import::import(&mut conn, kind, &bytes, false) {
            prop_assert!(refusal_is_worded(&e), "{e:?}");
        }
    }
}

#[test]
fn the_maximum_amount_is_documented_in_the_refusal() {
    let e = Currency::EUR
        .to_minor(Decimal::from(1_000_000_000i64), "amount")
        .unwrap_err();
    assert!(e
        .message(Lang::Fr)
        .contains("999\u{202f}999\u{202f}999,99\u{a0}€"));
}

proptest! {
    /// Milestone amounts: for any total and any split in percent (up to 4 decimals, summing
    /// to 100 %), the parts sum exactly to the total and each is within one cent of its
    /// exact share; the contract's VAT split in proportion to them sums exactly too.
    #[test]
    fn milestones_sum_exactly_to_the_total_and_the_vat(
        total in 1i64..100_000_000_000,
        cuts in prop::collection::vec(1i64..1_000_000, 0..8),
        rate_e4 in prop::sample::select(vec![0i64, 21_000, 55_000, 100_000, 200_000]),
    ) {
        use relance_core::contracts::{largest_remainder, vat_of};
        // Shares in percent × 10,000 from cut points of 100 %.
        let mut points: Vec<i64> = cuts.clone();
        points.push(0);
        points.push(1_000_000);
        points.sort();
        points.dedup();
        let shares: Vec<i128> = points.windows(2).map(|w| (w[1] - w[0]) as i128).collect();
        prop_assert_eq!(shares.iter().sum::<i128>(), 1_000_000);
        let parts = largest_remainder(total, &shares, 1_000_000);
        prop_assert_eq!(parts.iter().sum::<i64>(), total);
        for (p, s) in parts.iter().zip(&shares) {
            let exact_times_den = total as i128 * s;
            prop_assert!((*p as i128 * 1_000_000 - exact_times_den).abs() < 1_000_000, "{p} vs {s}");
        }
        let vat = vat_of(total, rate_e4);
        let weights: Vec<i128> = parts.iter().map(|p| *p as i128).collect();
        let vats = largest_remainder(vat, &weights, total as i128);
        prop_assert_eq!(vats.iter().sum::<i64>(), vat);
        for (v, p) in vats.iter().zip(&parts) {
            let exact_times_den = vat as i128 * *p as i128;
            prop_assert!((*v as i128 * total as i128 - exact_times_den).abs() < total as i128);
        }
    }
}

/// A public sample e-invoice (tests/fixtures/einvoice), as bytes.
fn einvoice_sample(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/einvoice/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Bytes shaped like an e-invoice: arbitrary ones, or a real sample (XML or Factur-X PDF)
/// with bytes changed, inserted, cut off.
fn einvoice_like() -> impl Strategy<Value = Vec<u8>> {
    let xml = einvoice_sample("cen/CII_example1.xml");
    let pdf = einvoice_sample("mustangproject/EN16931_Einfach.pdf");
    let mutate = |base: Vec<u8>| {
        let len = base.len();
        (
            proptest::collection::vec((0..len, any::<u8>()), 0..8),
            0..=len,
            proptest::collection::vec(any::<u8>(), 0..16),
            0..len,
        )
            .prop_map(move |(flips, cut, insert, at)| {
                let mut b = base.clone();
                for (i, v) in flips {
                    b[i] = v;
                }
                b.splice(at..at, insert);
                b.truncate(cut.max(1));
                b
            })
    };
    // The sample's numbers (amounts, quantities, rates, dates) replaced by anything
    // number-like: huge, signed, long decimals, empty.
    let text = String::from_utf8(xml.clone()).unwrap();
    let spans: Vec<(usize, usize)> = text
        .match_indices('>')
        .filter_map(|(i, _)| {
            let rest = &text[i + 1..];
            let len = rest.find('<')?;
            let v = &rest[..len];
            (!v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'))
            .then_some((i + 1, i + 1 + len))
        })
        .collect();
    let numbers = proptest::collection::vec(
        (
            0..spans.len(),
            "[-+]?[0-9]{0,32}(\\.[0-9]{0,14})?|[0-9]{1,6}|-?[0-9]{1,3}\\.[0-9]{1,2}",
        ),
        1..6,
    )
    .prop_map(move |changes| {
        let mut t = text.clone();
        let mut changes: Vec<(usize, String)> = changes;
        // From the end, so earlier spans keep their place.
        changes.sort_by_key(|(k, _)| std::cmp::Reverse(spans[*k].0));
        changes.dedup_by_key(|(k, _)| *k);
        for (k, v) in changes {
            let (a, b) = spans[k];
            t.replace_range(a..b, &v);
        }
        t.into_bytes()
    });
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        mutate(xml),
        mutate(pdf),
        numbers,
    ]
}

proptest! {
    // Each case opens a ledger and reads a PDF: a twentieth of the other properties' cases
    // (64 in `./dev test`, 500 in `./dev bench`).
    #![proptest_config(ProptestConfig { cases: (cases() / 20).max(64), ..ProptestConfig::default() })]

    /// Any bytes as an e-invoice: imported, or refused with a message and nothing written;
    /// never a panic.
    #[test]
    fn any_bytes_as_an_e_invoice_import_or_are_refused(bytes in einvoice_like()) {
        let mut conn = relance_core::open_in_memory().unwrap();
        // The CII sample's seller: its mutations reach the matching and the writing.
        for (k, v) in [("company_name", "De Koksmaat"), ("vat_number", "NL820098395B01")] {
            relance_core::settings::set(&conn, k, v).unwrap();
        }
        let files = [import::einvoice::EinvoiceFile { name: "x".into(), bytes }];
        let preview = import::einvoice::preview(&conn, &files, Lang::En);
        prop_assert!(preview.is_ok(), "{preview:?}");
        let preview = preview.unwrap();
        match import::einvoice::import(&mut conn, &files, true) {
            Ok(r) => {
                prop_assert_eq!(r.invoices + r.credit_notes + r.known, 1);
                // What was written is what the preview announced.
                prop_assert_eq!(preview.to_create, r.invoices + r.credit_notes);
            }
            Err(e) => {
                prop_assert!(refusal_is_worded(&e), "{e:?}");
                // The preview said so beforehand: never "to import" and then refused.
                prop_assert_eq!(preview.refused, 1, "{:?}", e);
                let n: i64 = conn
                    .query_row("SELECT COUNT(*) FROM invoices", [], |r| r.get(0))
                    .unwrap();
                prop_assert_eq!(n, 0);
            }
        }
    }
}
