//! Each customer's open balance per currency (`customer_balances`, migration 38): what is
//! still due on their open invoices that are not written off, and how many they are. The
//! Customers list sorted by an amount reads its first page from it, largest first, and stops
//! at the page instead of summing every customer's invoices.
//!
//! Beside them (migration 43), what Today's headline figures read: each balance's earliest
//! due date (`customer_balances.oldest_due`), how many customers have each earliest due date
//! (`oldest_dues`), and what is due per currency and due date (`due_balances`): the figures
//! are sums over due dates, not over open invoices.
//!
//! Decisions: the tables are a cache of the settled cache (`invoices.settled_minor`), kept by
//! triggers in the transaction of every change to an invoice's total, settled amount,
//! customer, currency or due date and of every write-off, on both engines (`oldest_dues` by
//! triggers on `customer_balances`); only customers owing something, and due dates with
//! something due, have a row. [`verify`] compares them with their derivation (`relance
//! check`, the model-based test, the crash harness) and [`rebuild`] writes the derivation
//! (`relance check --rebuild`, a restore that carried invoices in with the triggers aside).
//! Both also serve the day sums the dashboard's DSO reads ([`super::day_sums`]), kept and
//! set aside the same way.

use crate::error::{Lang, Result};
use crate::invoices::kept::{step_aside, step_back, Bulk, COUNTED, SHARE};
use crate::store::sql::{Connection, OptionalExtension};
use std::collections::BTreeMap;

/// (customer, currency) → (what is still due, in minor units; how many open invoices).
pub type Balances = BTreeMap<(i64, String), (i64, i64)>;

/// Whether some kept balance of the currency reached the cap an invoice counts for (older
/// builds' totals, [`crate::customers::BALANCE_CAP`]): the readers of the kept sums then fall
/// back to their whole pass. The largest balance is the last entry of the balances' index.
pub(crate) fn at_cap(conn: &Connection, currency: &str) -> Result<bool> {
    let largest: Option<i64> = conn
        .prepare_cached(
            "SELECT open_minor FROM customer_balances WHERE currency = ?1
              ORDER BY open_minor DESC LIMIT 1",
        )?
        .query_row([currency], |r| r.get(0))
        .optional()?;
    Ok(largest.is_some_and(|b| b >= crate::customers::BALANCE_CAP))
}

/// Every customer's balance per currency, summed from their invoices.
pub fn derived(conn: &Connection) -> Result<Balances> {
    read(conn, &derivation())
}

/// The balances summed from the invoices, as SQL: what [`derived`] reads and [`rebuild_in`]
/// writes.
fn derivation() -> String {
    format!(
        "SELECT i.customer_id, i.currency, SUM({SHARE}), COUNT(*)
           FROM invoices i WHERE {COUNTED}
          GROUP BY i.customer_id, i.currency"
    )
}

/// (customer, currency) → the earliest due date of their counted open invoices.
pub type OldestDue = BTreeMap<(i64, String), String>;

/// (currency, due date) → (what is still due on the counted open invoices due that day,
/// in minor units; how many they are).
pub type Dues = BTreeMap<(String, String), (i64, i64)>;

/// (currency, earliest due date) → how many customers have it.
pub type OldestDues = BTreeMap<(String, String), i64>;

/// The earliest due dates summed from the invoices, as SQL.
fn oldest_derivation() -> String {
    format!(
        "SELECT i.customer_id, i.currency, MIN(i.due_date)
           FROM invoices i WHERE {COUNTED}
          GROUP BY i.customer_id, i.currency"
    )
}

/// What is due per currency and due date, summed from the invoices, as SQL.
fn dues_derivation() -> String {
    format!(
        "SELECT i.currency, i.due_date, SUM({SHARE}), COUNT(*)
           FROM invoices i WHERE {COUNTED}
          GROUP BY i.currency, i.due_date"
    )
}

/// The kept summaries beside the balances, and the same derived from the invoices.
struct Summaries {
    oldest: OldestDue,
    dues: Dues,
    oldest_dues: OldestDues,
}

impl Summaries {
    fn stored(conn: &Connection) -> Result<Summaries> {
        Ok(Summaries {
            oldest: pairs(
                conn,
                "SELECT customer_id, currency, oldest_due FROM customer_balances",
            )?,
            dues: read(
                conn,
                "SELECT currency, due_date, open_minor, open_count FROM due_balances",
            )?,
            oldest_dues: pairs(
                conn,
                "SELECT currency, oldest_due, customers FROM oldest_dues",
            )?,
        })
    }

    fn derived(conn: &Connection) -> Result<Summaries> {
        let oldest: OldestDue = pairs(conn, &oldest_derivation())?;
        let mut oldest_dues = OldestDues::new();
        for ((_, currency), day) in &oldest {
            *oldest_dues
                .entry((currency.clone(), day.clone()))
                .or_default() += 1;
        }
        Ok(Summaries {
            oldest,
            dues: read(conn, &dues_derivation())?,
            oldest_dues,
        })
    }
}

fn pairs<A, B, V>(conn: &Connection, sql: &str) -> Result<BTreeMap<(A, B), V>>
where
    A: crate::store::sql::FromSql + Ord,
    B: crate::store::sql::FromSql + Ord,
    V: crate::store::sql::FromSql,
{
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// The balances as kept.
pub fn stored(conn: &Connection) -> Result<Balances> {
    read(
        conn,
        "SELECT customer_id, currency, open_minor, open_count FROM customer_balances",
    )
}

/// Rows of (key, key, amount, count): the balances per customer, what is due per due date.
fn read<A, B>(conn: &Connection, sql: &str) -> Result<BTreeMap<(A, B), (i64, i64)>>
where
    A: crate::store::sql::FromSql + Ord,
    B: crate::store::sql::FromSql + Ord,
{
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// What differs between the kept balances and the derived ones, one finding per customer
/// and currency in `lang` (empty: nothing). Read it inside one snapshot on a shared ledger.
pub fn verify(conn: &Connection, lang: Lang) -> Result<Vec<String>> {
    let derived = derived(conn)?;
    let stored = stored(conn)?;
    let references: BTreeMap<i64, String> = {
        let mut stmt = conn.prepare("SELECT id, reference FROM customers")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<crate::store::sql::Result<_>>()?
    };
    let mut keys: Vec<&(i64, String)> = derived.keys().chain(stored.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut findings = Vec::new();
    for key in keys {
        let (kept, due) = (stored.get(key), derived.get(key));
        if kept == due {
            continue;
        }
        let (id, code) = key;
        let amount = |b: Option<&(i64, i64)>| {
            let (minor, n) = b.copied().unwrap_or((0, 0));
            let shown = crate::money::Currency::parse(code)
                .map(|c| c.minor_to_string(minor))
                .unwrap_or_else(|_| minor.to_string());
            match lang {
                Lang::Fr => format!(
                    "{shown} {code} ({})",
                    lang.count(n, "facture ouverte", "factures ouvertes")
                ),
                Lang::En => format!(
                    "{shown} {code} ({})",
                    lang.count(n, "open invoice", "open invoices")
                ),
            }
        };
        let customer = references
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"));
        findings.push(match lang {
            Lang::Fr => format!(
                "client {customer} : solde enregistré {}, calculé {}",
                amount(kept),
                amount(due)
            ),
            Lang::En => format!(
                "customer {customer}: balance stored {}, derived {}",
                amount(kept),
                amount(due)
            ),
        });
    }
    let (kept, due) = (Summaries::stored(conn)?, Summaries::derived(conn)?);
    let none = || match lang {
        Lang::Fr => "aucune".to_string(),
        Lang::En => "none".to_string(),
    };
    for key in keys_of(&kept.oldest, &due.oldest) {
        let (a, b) = (kept.oldest.get(key), due.oldest.get(key));
        if a == b {
            continue;
        }
        let (id, code) = key;
        let customer = references
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"));
        let (a, b) = (
            a.cloned().unwrap_or_else(none),
            b.cloned().unwrap_or_else(none),
        );
        findings.push(match lang {
            Lang::Fr => format!(
                "client {customer} ({code}) : plus ancienne échéance ouverte enregistrée {a}, \
                 calculée {b}"
            ),
            Lang::En => format!(
                "customer {customer} ({code}): earliest open due date stored {a}, derived {b}"
            ),
        });
    }
    for key in keys_of(&kept.dues, &due.dues) {
        let (a, b) = (kept.dues.get(key), due.dues.get(key));
        if a == b {
            continue;
        }
        let (code, day) = key;
        let shown = |v: Option<&(i64, i64)>| {
            let (minor, n) = v.copied().unwrap_or((0, 0));
            let amount = crate::money::Currency::parse(code)
                .map(|c| c.minor_to_string(minor))
                .unwrap_or_else(|_| minor.to_string());
            match lang {
                Lang::Fr => format!(
                    "{amount} {code} ({})",
                    lang.count(n, "facture ouverte", "factures ouvertes")
                ),
                Lang::En => format!(
                    "{amount} {code} ({})",
                    lang.count(n, "open invoice", "open invoices")
                ),
            }
        };
        findings.push(match lang {
            Lang::Fr => format!(
                "échéance du {day} : dû enregistré {}, calculé {}",
                shown(a),
                shown(b)
            ),
            Lang::En => format!(
                "due date {day}: due stored {}, derived {}",
                shown(a),
                shown(b)
            ),
        });
    }
    for key in keys_of(&kept.oldest_dues, &due.oldest_dues) {
        let (a, b) = (kept.oldest_dues.get(key), due.oldest_dues.get(key));
        if a == b {
            continue;
        }
        let (code, day) = key;
        let (a, b) = (a.copied().unwrap_or(0), b.copied().unwrap_or(0));
        findings.push(match lang {
            Lang::Fr => format!(
                "clients dont la plus ancienne échéance ouverte en {code} est le {day} : \
                 {a} enregistrés, {b} calculés"
            ),
            Lang::En => format!(
                "customers whose earliest open due date in {code} is {day}: {a} stored, \
                 {b} derived"
            ),
        });
    }
    // And the day sums the dashboard's DSO reads (kept beside them, checked with them).
    findings.extend(super::day_sums::verify(conn, lang)?);
    Ok(findings)
}

/// The keys of two maps, each once, in order.
fn keys_of<'a, K: Ord, V>(a: &'a BTreeMap<K, V>, b: &'a BTreeMap<K, V>) -> Vec<&'a K> {
    let mut keys: Vec<&K> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Writes the derived balances in place of the kept ones, inside the caller's transaction;
/// returns how many rows it wrote.
pub fn rebuild_in(tx: &Connection) -> Result<usize> {
    // (`oldest_dues` follows the balances' rows through its triggers, once emptied; on a
    // server, where a row written once per customer is quadratic, summed at once)
    step_aside(tx, Bulk::Rebuild)?;
    tx.execute("DELETE FROM customer_balances", [])?;
    tx.execute("DELETE FROM oldest_dues", [])?;
    let written = tx.execute(
        &format!(
            "INSERT INTO customer_balances (customer_id, currency, open_minor, open_count,
                                            oldest_due)
             SELECT i.customer_id, i.currency, SUM({SHARE}), COUNT(*), MIN(i.due_date)
               FROM invoices i WHERE {COUNTED}
              GROUP BY i.customer_id, i.currency"
        ),
        [],
    )?;
    if tx.dialect() == crate::store::sql::Dialect::Postgres {
        tx.execute(
            "INSERT INTO oldest_dues (currency, oldest_due, customers)
             SELECT currency, oldest_due, COUNT(*) FROM customer_balances
              WHERE oldest_due <> '' GROUP BY currency, oldest_due",
            [],
        )?;
        step_back(tx)?;
    }
    tx.execute("DELETE FROM due_balances", [])?;
    tx.execute(
        &format!(
            "INSERT INTO due_balances (currency, due_date, open_minor, open_count) {}",
            dues_derivation()
        ),
        [],
    )?;
    super::day_sums::rebuild_in(tx)?;
    Ok(written)
}

/// [`rebuild_in`] in its own transaction.
pub fn rebuild(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, rebuild_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{day, inv, setup};

    fn balance(conn: &Connection, customer: &str) -> Option<(i64, i64)> {
        let id = crate::customers::id_by_ref(conn, "customer", customer).unwrap();
        stored(conn)
            .unwrap()
            .into_iter()
            .find(|((c, _), _)| *c == id)
            .map(|(_, b)| b)
    }

    fn check(conn: &Connection) {
        assert_eq!(stored(conn).unwrap(), derived(conn).unwrap());
        let (kept, due) = (
            Summaries::stored(conn).unwrap(),
            Summaries::derived(conn).unwrap(),
        );
        assert_eq!(kept.oldest, due.oldest);
        assert_eq!(kept.dues, due.dues);
        assert_eq!(kept.oldest_dues, due.oldest_dues);
        assert!(verify(conn, Lang::En).unwrap().is_empty());
    }

    #[test]
    fn the_share_is_the_triggers_cap() {
        assert!(SHARE.contains(&crate::customers::BALANCE_CAP.to_string()));
    }

    #[test]
    fn every_fact_that_moves_a_balance_moves_the_kept_one() {
        let mut conn = setup();
        let as_of = day("2026-03-01");
        for (n, c, total) in [
            ("F-1", "ACME", "300"),
            ("F-2", "ACME", "120.50"),
            ("F-3", "BETA", "50"),
        ] {
            crate::invoices::create(&conn, &inv(n, c, "2026-01-01", "2026-01-31", total), as_of)
                .unwrap();
        }
        check(&conn);
        assert_eq!(balance(&conn, "ACME"), Some((42050, 2)));
        let id = |conn: &Connection, n: &str| -> i64 {
            conn.query_row("SELECT id FROM invoices WHERE number = ?1", [n], |r| {
                r.get(0)
            })
            .unwrap()
        };
        let f1 = id(&conn, "F-1");
        // Part of an invoice settled, then all of it.
        conn.execute(
            "UPDATE invoices SET settled_minor = 10000 WHERE id = ?1",
            [f1],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "ACME"), Some((32050, 2)));
        conn.execute(
            "UPDATE invoices SET settled_minor = total_minor WHERE id = ?1",
            [f1],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "ACME"), Some((12050, 1)));
        // A write-off takes an invoice out, another kind of closure or its removal puts it
        // back.
        let f2 = id(&conn, "F-2");
        conn.execute(
            "INSERT INTO invoice_closures (invoice_id, kind, on_date)
             VALUES (?1, 'write_off', '2026-02-01')",
            [f2],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "ACME"), None, "no open invoice, no row");
        conn.execute(
            "UPDATE invoice_closures SET kind = 'court' WHERE invoice_id = ?1",
            [f2],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "ACME"), Some((12050, 1)));
        conn.execute(
            "UPDATE invoice_closures SET kind = 'write_off' WHERE invoice_id = ?1",
            [f2],
        )
        .unwrap();
        check(&conn);
        conn.execute("DELETE FROM invoice_closures WHERE invoice_id = ?1", [f2])
            .unwrap();
        check(&conn);
        // An invoice moved to another customer, into another currency, its total changed.
        let beta = crate::customers::id_by_ref(&conn, "customer", "BETA").unwrap();
        conn.execute(
            "UPDATE invoices SET customer_id = ?1 WHERE id = ?2",
            [beta, f2],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "BETA"), Some((17050, 2)));
        conn.execute("UPDATE invoices SET currency = 'USD' WHERE id = ?1", [f2])
            .unwrap();
        check(&conn);
        conn.execute(
            "UPDATE invoices SET total_minor = 6000 WHERE id = ?1",
            [id(&conn, "F-3")],
        )
        .unwrap();
        check(&conn);
        assert_eq!(balance(&conn, "BETA"), Some((6000, 1)));
        // A due date moved, later then earlier than the customer's others.
        for due in ["2026-03-20", "2026-01-10"] {
            conn.execute(
                "UPDATE invoices SET due_date = ?1 WHERE id = ?2",
                crate::store::sql::params![due, id(&conn, "F-3")],
            )
            .unwrap();
            check(&conn);
        }
        let late = |conn: &Connection| crate::views::dashboard::dashboard(conn, as_of).unwrap();
        assert_eq!(late(&conn).customers_overdue, 1);
        // A wrong row is found, named in the user's language, and a rebuild mends it.
        conn.execute(
            "UPDATE customer_balances SET open_minor = open_minor + 1 WHERE currency = 'USD'",
            [],
        )
        .unwrap();
        let found = verify(&conn, Lang::En).unwrap();
        assert_eq!(
            found,
            [
                "customer BETA: balance stored 120.51 USD (1 open invoice), \
              derived 120.50 USD (1 open invoice)"
            ]
        );
        assert_eq!(
            verify(&conn, Lang::Fr).unwrap(),
            [
                "client BETA : solde enregistré 120.51 USD (1 facture ouverte), \
              calculé 120.50 USD (1 facture ouverte)"
            ]
        );
        assert_eq!(rebuild(&mut conn).unwrap(), 2);
        check(&conn);
        // So are the headline figures' summaries.
        conn.execute_batch(
            "UPDATE customer_balances SET oldest_due = '2026-01-11' WHERE currency = 'EUR';
             UPDATE due_balances SET open_count = open_count + 1 WHERE due_date = '2026-01-10';",
        )
        .unwrap();
        assert_eq!(
            verify(&conn, Lang::En).unwrap(),
            [
                "customer BETA (EUR): earliest open due date stored 2026-01-11, derived 2026-01-10",
                "due date 2026-01-10: due stored 60.00 EUR (2 open invoices), \
                 derived 60.00 EUR (1 open invoice)",
                "customers whose earliest open due date in EUR is 2026-01-10: 0 stored, 1 derived",
                "customers whose earliest open due date in EUR is 2026-01-11: 1 stored, 0 derived",
            ]
        );
        assert_eq!(
            verify(&conn, Lang::Fr).unwrap()[0],
            "client BETA (EUR) : plus ancienne échéance ouverte enregistrée 2026-01-11, \
             calculée 2026-01-10"
        );
        rebuild(&mut conn).unwrap();
        check(&conn);
        assert_eq!(late(&conn).customers_overdue, 1);
    }
}
