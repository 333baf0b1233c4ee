//! Fixtures shared by the engine's unit tests (compiled for tests only). Test code may use
//! any floor; the layering rule (`tests/layers.rs`) reads production code only.

use crate::invoices::InvoiceInput;
use crate::store::sql::Connection;
use chrono::NaiveDate;

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn setup() -> Connection {
    let conn = crate::open_in_memory().unwrap();
    for (r, n) in [("ACME", "Acme SARL"), ("BETA", "Beta & Co")] {
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
    conn
}

pub fn inv(number: &str, customer: &str, issue: &str, due: &str, total: &str) -> InvoiceInput {
    InvoiceInput {
        number: number.into(),
        customer: customer.into(),
        issue_date: issue.into(),
        due_date: due.into(),
        total: total.into(),
        ..Default::default()
    }
}

/// The company's identity an issued document needs: name, address, SIRET, VAT number.
pub fn company(conn: &Connection) {
    for (k, v) in [
        ("company_name", "Atelier Lumen"),
        ("address", "12 rue des Arts"),
        ("postal_code", "69001"),
        ("city", "Lyon"),
        ("siret", "73282932000074"),
        ("vat_number", "FR44732829320"),
    ] {
        crate::settings::set(conn, k, v).unwrap();
    }
}

/// [`setup`] with the company's identity and the customers' addresses: what issuing an
/// invoice (a penalty invoice, a credit note) needs.
pub fn setup_issuer() -> Connection {
    let conn = setup();
    company(&conn);
    conn.execute(
        "UPDATE customers SET address = '1 rue de la Paix', postal_code = '75002', city = 'Paris'",
        [],
    )
    .unwrap();
    conn
}

/// A ledger (in memory) with a Today of many actions: `customers` customers C00000…, each
/// owing one invoice of 100 + n euros and n % 100 cents (dollars when n ends in 9), 5, 20 or
/// 35 days late by turn (the standard scenario's reminder e-mail, call and reminder
/// letter), so each section holds a third.
pub fn busy_ledger(customers: usize, as_of: NaiveDate) -> Connection {
    use std::fmt::Write;
    let mut conn = crate::open_in_memory().unwrap();
    let mut cs = String::from("reference,name,email,address,postal_code,city\n");
    let mut is = String::from("number,customer_reference,issue_date,due_date,total,currency\n");
    for c in 0..customers {
        writeln!(
            cs,
            "C{c:05},Client {c},c{c}@example.fr,{c} rue de la Paix,75002,Paris"
        )
        .unwrap();
        let due = as_of - chrono::Duration::days([5, 20, 35][c % 3]);
        let issue = due - chrono::Duration::days(30);
        let currency = if c % 10 == 9 { "USD" } else { "EUR" };
        writeln!(
            is,
            "F{c:05},C{c:05},{issue},{due},{}.{:02},{currency}",
            100 + c,
            c % 100
        )
        .unwrap();
    }
    for (kind, csv) in [
        (crate::import::ImportKind::Customers, cs),
        (crate::import::ImportKind::Invoices, is),
    ] {
        crate::import::import(&mut conn, kind, csv.as_bytes(), false).unwrap();
    }
    company(&conn);
    crate::dunning::refresh_day(&mut conn, as_of).unwrap();
    conn
}

/// A table's rows, every column, in order: for comparing two ledgers' caches.
pub fn rows(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_names().unwrap().len();
    stmt.query_map([], |r| {
        Ok((0..columns)
            .map(|k| format!("{:?}", r.get::<_, crate::store::sql::Value>(k).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .collect::<crate::store::sql::Result<_>>()
    .unwrap()
}

/// The kept sums (per customer, per due date, per earliest due date), row by row.
pub fn kept(conn: &Connection) -> [Vec<String>; 3] {
    [
        "SELECT * FROM customer_balances ORDER BY customer_id, currency",
        "SELECT * FROM due_balances ORDER BY currency, due_date",
        "SELECT * FROM oldest_dues ORDER BY currency, oldest_due",
    ]
    .map(|sql| rows(conn, sql))
}

/// [`kept`], once proven as they derive: the check finds nothing and a rebuild writes
/// the same rows.
pub fn kept_as_derived(conn: &mut Connection) -> [Vec<String>; 3] {
    assert_eq!(
        crate::views::balances::verify(conn, crate::Lang::En).unwrap(),
        Vec::<String>::new()
    );
    let found = kept(conn);
    crate::views::balances::rebuild(conn).unwrap();
    assert_eq!(kept(conn), found, "the kept sums as a rebuild derives them");
    found
}
