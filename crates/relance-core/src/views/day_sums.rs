//! What was billed and settled per currency and day (`day_sums`, migration 60), kept for the
//! dashboard's DSO trend: it reads at most two years of days instead of every invoice and
//! settlement of those years (75 ms of a 134 ms dashboard on a file, 185 ms on a server, at
//! a million invoices).
//!
//! Decisions: billed is an invoice's total on its issue date; settled is the `settlements`
//! view (allocations, credit notes, settlement differences, and what a reversal takes back
//! from the later of its date and the settlement's) in its invoice's currency. Triggers on
//! both engines insert a row per change, in the writing transaction, and never update one
//! (on a server, a row updated once per invoice of an import is quadratic); a day's figure
//! is the sum of its rows. [`fold_in`] (at a start, after an import) writes them back as one
//! row per currency and day. A file's bulk imports drop the insert triggers, a server's
//! import of invoices sets its trigger aside (`relance.bulk`), and each adds what it wrote
//! at once ([`invoices_since`], [`allocations_since`]). [`verify`] compares the sums with
//! the facts (`relance check`, the model-based test, the crash harness) and [`rebuild_in`]
//! writes them from the facts (`relance check --rebuild`, a restore that carried invoices in
//! with the triggers aside).

use crate::error::{Lang, Result};
use crate::store::sql::{params, Connection};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The trigger that adds each invoice inserted: a bulk import sets it aside and calls
/// [`invoices_since`] once instead.
pub(crate) const INVOICE_INSERT_TRIGGER: &str = "day_sums_invoice_new";

/// The trigger that adds each allocation inserted: a file's bulk import of payments drops it
/// and calls [`allocations_since`] once instead.
pub(crate) const ALLOCATION_INSERT_TRIGGER: &str = "day_sums_allocation_new";

/// (currency, day) → (billed, settled), in minor units; days where both are zero left out.
/// Summed in 128 bits: totals an older build accepted (up to 2⁶³ − 1 each) never overflow
/// a check.
pub type DaySums = BTreeMap<(String, String), (i128, i128)>;

/// Every fact the sums count, a row each, as SQL: (currency, day, billed, settled).
const FACTS: &str = "SELECT currency, issue_date AS day, total_minor AS billed, 0 AS settled
       FROM invoices
     UNION ALL
     SELECT i.currency, s.date, 0, s.amount_minor
       FROM settlements s JOIN invoices i ON i.id = s.invoice_id";

/// The rows of `rows` (SQL of `currency, day, billed, settled`) summed per currency and day
/// by the database in two parts each, the billions and the rest (`x / 10⁹`, `x % 10⁹`):
/// neither overflows the databases' 64-bit sums, where totals an older build accepted (up
/// to 2⁶³ − 1 each) would; [`read`] puts them together in 128 bits.
fn grouped(rows: &str) -> String {
    format!("SELECT currency, day, {IN_TWO_PARTS} FROM ({rows}) f GROUP BY currency, day")
}

/// `billed` and `settled` summed in two parts each (SQL, four columns): see [`grouped`].
const IN_TWO_PARTS: &str = "SUM(billed / 1000000000), SUM(billed % 1000000000),
     SUM(settled / 1000000000), SUM(settled % 1000000000)";

/// (billed, settled) from the four columns of [`IN_TWO_PARTS`] from column `from` on, put
/// together in 128 bits.
fn in_two_parts(
    r: &crate::store::sql::Row,
    from: usize,
) -> crate::store::sql::Result<(i128, i128)> {
    const BILLION: i128 = 1_000_000_000;
    let part = |k: usize| r.get::<_, i64>(from + k).map(i128::from);
    Ok((part(0)? * BILLION + part(1)?, part(2)? * BILLION + part(3)?))
}

/// The sums as the facts say.
pub fn derived(conn: &Connection) -> Result<DaySums> {
    read(conn, &grouped(FACTS))
}

/// The sums as kept.
pub fn stored(conn: &Connection) -> Result<DaySums> {
    read(
        conn,
        &grouped(
            "SELECT currency, day, billed_minor AS billed, settled_minor AS settled
               FROM day_sums",
        ),
    )
}

/// The rows of [`grouped`] SQL, put together.
fn read(conn: &Connection, sql: &str) -> Result<DaySums> {
    let mut out = DaySums::new();
    let mut stmt = conn.prepare(sql)?;
    for row in stmt.query_map([], |r| {
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            in_two_parts(r, 2)?,
        ))
    })? {
        let (key, sums) = row?;
        if sums != (0, 0) {
            out.insert(key, sums);
        }
    }
    Ok(out)
}

/// Each currency and day whose kept sums differ from the facts', said in `lang`.
pub fn verify(conn: &Connection, lang: Lang) -> Result<Vec<String>> {
    let (due, kept) = (derived(conn)?, stored(conn)?);
    let mut keys: Vec<&(String, String)> = due.keys().chain(kept.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut findings = Vec::new();
    for key in keys {
        let (k, d) = (
            kept.get(key).copied().unwrap_or_default(),
            due.get(key).copied().unwrap_or_default(),
        );
        if k == d {
            continue;
        }
        let (code, day) = key;
        let shown = |minor: i128| match (crate::money::Currency::parse(code), i64::try_from(minor))
        {
            (Ok(c), Ok(m)) => c.minor_to_string(m),
            _ => minor.to_string(),
        };
        findings.push(match lang {
            Lang::Fr => format!(
                "{day} ({code}) : facturé enregistré {}, calculé {} ; réglé enregistré {}, calculé {}",
                shown(k.0),
                shown(d.0),
                shown(k.1),
                shown(d.1)
            ),
            Lang::En => format!(
                "{day} ({code}): billed kept {}, derived {}; settled kept {}, derived {}",
                shown(k.0),
                shown(d.0),
                shown(k.1),
                shown(d.1)
            ),
        });
    }
    Ok(findings)
}

/// The sums written again from the facts, in the caller's transaction; how many days. On a
/// server the sums are locked first: a write outside a transaction between the deletion
/// and the reading of the facts would be counted twice.
pub(crate) fn rebuild_in(tx: &Connection) -> Result<usize> {
    if tx.dialect() == crate::store::sql::Dialect::Postgres {
        tx.execute_batch("LOCK TABLE day_sums IN SHARE ROW EXCLUSIVE MODE")?;
    }
    tx.execute("DELETE FROM day_sums WHERE true", [])?;
    let sums = derived(tx)?;
    put(tx, &sums)?;
    Ok(sums.len())
}

/// Writes `sums`, a row per currency and day, or several for a day beyond 64 bits.
fn put(tx: &Connection, sums: &DaySums) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let part = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128);
    for ((currency, day), &(mut billed, mut settled)) in sums {
        while (billed, settled) != (0, 0) {
            let (b, s) = (part(billed), part(settled));
            put.execute(params![currency, day, b as i64, s as i64])?;
            billed -= b;
            settled -= s;
        }
    }
    Ok(())
}

/// [`rebuild_in`] in its own transaction.
pub fn rebuild(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, rebuild_in)
}

/// The days written more than once taken and written back as one row each (several for a
/// day beyond 64 bits, taken again only once written again), in the caller's transaction: a row another writer adds meanwhile (a
/// write outside a transaction on a server) stays for the next fold. Returns how many rows
/// it took (none when every day has one row: a start of a day without writes).
pub(crate) fn fold_in(tx: &Connection) -> Result<usize> {
    const MAX: i64 = i64::MAX;
    const MIN: i64 = i64::MIN;
    let mut sums = DaySums::new();
    let mut taken = 0;
    {
        let mut stmt = tx.prepare(&format!(
            // (a day beyond 64 bits is written as whole 64-bit parts and one last row: it
            // is taken when it has more than one row besides its whole parts)
            "DELETE FROM day_sums
              WHERE (currency, day) IN (
                    SELECT currency, day FROM day_sums GROUP BY currency, day
                    HAVING COUNT(*) > 1 + SUM(CASE WHEN billed_minor IN ({MAX}, {MIN})
                                                     OR settled_minor IN ({MAX}, {MIN})
                                                   THEN 1 ELSE 0 END))
             RETURNING currency, day, billed_minor, settled_minor"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (currency, day, billed, settled) = row?;
            let e = sums.entry((currency, day)).or_default();
            e.0 += billed as i128;
            e.1 += settled as i128;
            taken += 1;
        }
    }
    put(tx, &sums)?;
    Ok(taken)
}

/// [`fold_in`] in its own transaction (a start).
pub fn fold(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, fold_in)
}

/// What the invoices inserted after `last_id` bill, added at once (a bulk import that set
/// [`INVOICE_INSERT_TRIGGER`] aside).
pub(crate) fn invoices_since(tx: &Connection, last_id: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
         SELECT currency, issue_date, SUM(total_minor), 0 FROM invoices WHERE id > ?1
          GROUP BY currency, issue_date",
        [last_id],
    )?;
    Ok(())
}

/// What the allocations inserted after `last_allocation` settle, added at once (a file's
/// bulk import of payments that dropped [`ALLOCATION_INSERT_TRIGGER`]); with what a
/// reversal of their payment takes back, as the trigger would.
pub(crate) fn allocations_since(tx: &Connection, last_allocation: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
         SELECT i.currency, a.date, 0, SUM(a.amount_minor)
           FROM allocations a JOIN invoices i ON i.id = a.invoice_id
          WHERE a.id > ?1
          GROUP BY i.currency, a.date
         UNION ALL
         SELECT i.currency, CASE WHEN r.date > a.date THEN r.date ELSE a.date END, 0,
                -SUM(a.amount_minor)
           FROM allocations a JOIN payment_reversals r ON r.payment_id = a.payment_id
           JOIN invoices i ON i.id = a.invoice_id
          WHERE a.id > ?1
          GROUP BY i.currency, CASE WHEN r.date > a.date THEN r.date ELSE a.date END",
        [last_allocation],
    )?;
    Ok(())
}

/// What was billed and settled per day of `currency` after `after`, by day: one row a day
/// however many the day has until the next fold, each summed in two parts as [`grouped`]
/// (exact for a day beyond 64 bits).
pub(crate) fn after(
    conn: &Connection,
    currency: &str,
    after: NaiveDate,
) -> Result<Vec<(NaiveDate, i128, i128)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT day, {IN_TWO_PARTS}
           FROM (SELECT day, billed_minor AS billed, settled_minor AS settled
                   FROM day_sums WHERE currency = ?1 AND day > ?2) f
          GROUP BY day ORDER BY day"
    ))?;
    let rows = stmt.query_map(params![currency, after.to_string()], |r| {
        let (billed, settled) = in_two_parts(r, 1)?;
        Ok((r.get::<_, NaiveDate>(0)?, billed, settled))
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{day, inv, setup};

    fn exec(conn: &Connection, sql: &str) {
        conn.execute_batch(sql).unwrap();
    }

    /// The kept sums are the facts' after each kind of write the triggers follow, and a fold
    /// keeps them, one row per currency and day.
    fn as_derived(conn: &Connection, step: &str) -> DaySums {
        assert_eq!(
            verify(conn, Lang::En).unwrap(),
            Vec::<String>::new(),
            "{step}"
        );
        stored(conn).unwrap()
    }

    /// Every write the triggers follow, each checked against the facts: invoices inserted,
    /// changed (total, date, currency: what settled it moves too) and deleted; allocations
    /// and settlement differences inserted and deleted, before and after their payment's
    /// reversal; credit notes inserted, moved and deleted; a reversal inserted and deleted.
    /// A fold writes one row per currency and day with the same sums; the DSO reads them.
    #[test]
    fn the_day_sums_follow_every_fact() {
        let mut conn = setup();
        for (n, issue, total) in [
            ("F-1", "2026-01-10", "1000"),
            ("F-2", "2026-01-10", "500"),
            ("F-3", "2026-02-03", "250.50"),
        ] {
            crate::invoices::create(
                &conn,
                &inv(n, "ACME", issue, "2026-03-01", total),
                day("2026-03-01"),
            )
            .unwrap();
        }
        let mut want = DaySums::new();
        want.insert(("EUR".into(), "2026-01-10".into()), (150_000, 0));
        want.insert(("EUR".into(), "2026-02-03".into()), (25_050, 0));
        assert_eq!(as_derived(&conn, "invoices"), want);
        exec(
            &conn,
            "INSERT INTO bank_imports (id, imported_on, files, format, line_count, duplicates)
                 VALUES (1, '2026-02-10', 'x', 'camt', 2, 0);
             INSERT INTO payments (id, customer_id, date, currency, amount_minor, method)
                 VALUES (1, 1, '2026-02-05', 'EUR', 60000, 'transfer'),
                        (2, 1, '2026-02-06', 'EUR', 10000, 'transfer');
             INSERT INTO allocations (payment_id, invoice_id, amount_minor, date)
                 VALUES (1, 1, 59000, '2026-02-05'), (2, 2, 10000, '2026-02-06');
             INSERT INTO settlement_differences (invoice_id, payment_id, date, amount_minor)
                 VALUES (1, 1, '2026-02-05', 1000);
             INSERT INTO credit_notes (number, invoice_id, date, amount_minor)
                 VALUES ('AV-1', 3, '2026-02-04', 5000);",
        );
        as_derived(&conn, "settled");
        // Payment 1 given back on 2026-02-20: its allocation and difference taken back then.
        exec(
            &conn,
            "INSERT INTO bank_lines (id, import_id, account, identity, date, amount_minor, currency,
                                     party, party_account, text, reference, end_to_end, reversal)
                 VALUES (1, 1, 'A', 'l1', '2026-02-05', 60000, 'EUR', '', '', '', '', '', 0),
                        (2, 1, 'A', 'l2', '2026-02-20', -60000, 'EUR', '', '', '', '', '', 1);
             INSERT INTO payment_reversals (payment_id, line_id, date) VALUES (1, 2, '2026-02-20');",
        );
        let reversed = as_derived(&conn, "reversal");
        assert_eq!(
            reversed.get(&("EUR".to_string(), "2026-02-20".to_string())),
            Some(&(0, -60_000))
        );
        // An allocation of the reversed payment dated after the reversal is taken back from
        // its own date (as the `settlements` view says).
        exec(
            &conn,
            "INSERT INTO allocations (payment_id, invoice_id, amount_minor, date)
                 VALUES (1, 3, 100, '2026-02-25');",
        );
        as_derived(&conn, "allocation after the reversal");
        exec(&conn, "DELETE FROM allocations WHERE date = '2026-02-25'");
        as_derived(&conn, "that allocation deleted");
        exec(&conn, "DELETE FROM payment_reversals");
        as_derived(&conn, "reversal undone");
        exec(&conn, "UPDATE credit_notes SET date = '2026-02-07'");
        as_derived(&conn, "credit note moved");
        exec(
            &conn,
            "UPDATE invoices SET total_minor = 30000, issue_date = '2026-02-04' WHERE id = 3",
        );
        as_derived(&conn, "invoice changed");
        exec(&conn, "UPDATE invoices SET currency = 'USD' WHERE id = 1");
        let moved = as_derived(&conn, "currency changed");
        assert_eq!(
            moved.get(&("USD".to_string(), "2026-02-05".to_string())),
            Some(&(0, 60_000)),
            "what settled it moves with it"
        );
        exec(&conn, "UPDATE invoices SET currency = 'EUR' WHERE id = 1");
        exec(
            &conn,
            "DELETE FROM settlement_differences; DELETE FROM allocations WHERE payment_id = 2;
             DELETE FROM credit_notes; DELETE FROM invoices WHERE id = 2",
        );
        let before = as_derived(&conn, "deleted");
        let rows = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM day_sums", [], |r| r.get(0))
                .unwrap()
        };
        assert!(rows(&conn) > before.len() as i64);
        crate::store::write(&mut conn, fold_in).unwrap();
        assert_eq!(as_derived(&conn, "folded"), before);
        let days: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT DISTINCT currency, day FROM day_sums) d",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows(&conn), days, "one row per currency and day");
        assert_eq!(
            crate::store::write(&mut conn, fold_in).unwrap(),
            0,
            "a fold without writes since takes nothing"
        );
        // A damaged row is found, and a rebuild writes the facts' sums.
        exec(
            &conn,
            "UPDATE day_sums SET billed_minor = billed_minor + 1 WHERE day = '2026-01-10'",
        );
        let found = verify(&conn, Lang::En).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("2026-01-10 (EUR): billed kept 1000.01, derived 1000.00"),
            "{found:?}"
        );
        rebuild(&mut conn).unwrap();
        assert_eq!(as_derived(&conn, "rebuilt"), before);
    }

    /// Totals an older build accepted (2⁶³ − 1 each) sum beyond 64 bits on one day: the
    /// check, the fold (several rows for that day), the rebuild and the DSO's reading
    /// neither fail nor lose them.
    #[test]
    fn days_beyond_64_bits_are_kept_in_several_rows() {
        let mut conn = setup();
        for n in ["F-H1", "F-H2"] {
            conn.execute(
                "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
                 VALUES (?1, 1, '2026-03-01', '2026-04-01', 'EUR', 9223372036854775807)",
                [n],
            )
            .unwrap();
        }
        let huge = 2 * i64::MAX as i128;
        let want = DaySums::from([(("EUR".into(), "2026-03-01".into()), (huge, 0))]);
        assert_eq!(as_derived(&conn, "inserted"), want);
        crate::store::write(&mut conn, fold_in).unwrap();
        assert_eq!(as_derived(&conn, "folded"), want);
        let rows = |conn: &Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM day_sums", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(rows(&conn), 2, "a day beyond 64 bits in two rows");
        rebuild(&mut conn).unwrap();
        assert_eq!(as_derived(&conn, "rebuilt"), want);
        assert_eq!(rows(&conn), 2);
        assert_eq!(
            after(&conn, "EUR", day("2026-02-01")).unwrap(),
            vec![(day("2026-03-01"), huge, 0)]
        );
        // (a whole 64-bit part and the last row: not taken again until written again)
        assert_eq!(crate::store::write(&mut conn, fold_in).unwrap(), 0);
        // One more row is already whole parts and a rest; a second makes the day taken.
        for (n, total) in [("F-3", 5), ("F-4", 7)] {
            conn.execute(
                "INSERT INTO invoices (number, customer_id, issue_date, due_date, currency, total_minor)
                 VALUES (?1, 1, '2026-03-01', '2026-04-01', 'EUR', ?2)",
                crate::store::sql::params![n, total],
            )
            .unwrap();
        }
        assert_eq!(crate::store::write(&mut conn, fold_in).unwrap(), 4);
        let want = DaySums::from([(("EUR".into(), "2026-03-01".into()), (huge + 12, 0))]);
        assert_eq!(as_derived(&conn, "written again"), want);
        assert_eq!(rows(&conn), 3, "two whole parts and the rest");
        assert_eq!(crate::store::write(&mut conn, fold_in).unwrap(), 0);
    }
}
