//! The write side of the kept balances (`customer_balances`, `due_balances`, `oldest_dues`;
//! their reads, check and rebuild are [`crate::views::balances`]'s): what a bulk write sets
//! aside on a server and how it catches up once, grouped. Here, below the bank, so that the
//! bank's sure matches applied in bulk take the same path as an import of payments.

use crate::error::{Error, Result, ServerFault};
use crate::store::sql::{params_from_iter, Connection};

/// What an invoice counts for (alias `i`): what is still due on it, at most
/// [`crate::customers::BALANCE_CAP`] (as the triggers count it).
pub(crate) const SHARE: &str = "CASE WHEN i.total_minor - i.settled_minor > 1000000000000000
                          THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END";

/// The open invoices not written off that a customer's balance counts, as SQL (alias `i`).
pub(crate) const COUNTED: &str = "i.settled_minor < i.total_minor
     AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                      WHERE x.invoice_id = i.id AND x.kind = 'write_off')";

/// The trigger that adds each invoice inserted to its customer's balance: a bulk import sets
/// it aside and calls [`add_invoices_since`] once instead.
pub(crate) const INVOICE_INSERT_TRIGGER: &str = "customer_balance_invoice_new";

/// What a bulk write on a server sets aside ([`step_aside`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bulk {
    /// Invoices inserted: the balances' insert trigger; then [`add_invoices_since`].
    Invoices,
    /// Payments allocated: the balances' update trigger on invoices; then [`settled_since`].
    Payments,
    /// The kept sums written again ([`rebuild_in`]): the earliest due dates' triggers only,
    /// then summed at once.
    Rebuild,
}

/// On a server, sets aside for the rest of the caller's transaction (until [`step_back`])
/// the balances' trigger `what` fires and the earliest due dates' triggers (server
/// migration 55): within one transaction PostgreSQL walks every version of a row it
/// updated, so an import of many invoices sharing a due date (or of payments settling
/// them), each moving that date's row, was quadratic. The importer then calls the matching
/// catch-up. On a file, nothing: its bulk imports drop the triggers
/// ([`crate::store::drop_triggers`]), and SQLite updates in place.
///
/// It first locks the invoices and their write-offs against any other change until the
/// commit (others still read them): a write made outside a transaction takes no writer's
/// lock, and its own triggers would count what the catch-up counts again (an invoice
/// inserted meanwhile, above the import's first id) or move a balance between the
/// catch-up's counts out and in. Call it before reading where the import starts.
pub(crate) fn step_aside(tx: &Connection, what: Bulk) -> Result<()> {
    if tx.dialect() == crate::store::sql::Dialect::Postgres {
        lock_invoices(tx)?;
        tx.execute_batch(match what {
            Bulk::Invoices => "SET LOCAL relance.bulk = 'invoices'",
            Bulk::Payments => "SET LOCAL relance.bulk = 'payments'",
            Bulk::Rebuild => "SET LOCAL relance.bulk = 'rebuild'",
        })?;
    }
    Ok(())
}

/// The longest [`step_aside`] waits for the invoices, in milliseconds (a session's own
/// shorter wait is kept): Relance's writers hold the writers' lock, so what can hold them
/// is the server's own work (a manual or anti-wraparound `VACUUM`, an index built
/// concurrently; an ordinary autovacuum gives way) or a write made outside a transaction
/// (a moment), and every other writer would wait behind the import.
const LOCK_WAIT_MS: i64 = 10_000;

/// Locks the invoices and their write-offs for [`step_aside`], waiting at most
/// [`LOCK_WAIT_MS`], then sets the session's wait back for the rest of the transaction.
/// The wait run out: [`ServerFault::InvoicesHeld`], said as such (a deadlock stays
/// [`Error::Busy`]: someone else was saving).
fn lock_invoices(tx: &Connection) -> Result<()> {
    let (before, ms): (String, i64) = tx.query_row(
        "SELECT current_setting('lock_timeout'),
                (SELECT CAST(setting AS BIGINT) FROM pg_settings WHERE name = 'lock_timeout')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if ms == 0 || ms > LOCK_WAIT_MS {
        tx.execute_batch(&format!("SET LOCAL lock_timeout = {LOCK_WAIT_MS}"))?;
    }
    match tx.execute_batch("LOCK TABLE invoices, invoice_closures IN SHARE ROW EXCLUSIVE MODE") {
        Err(crate::store::sql::Error::SqliteFailure(f, _))
            if f.extended_code == crate::store::sql::ffi::SQLITE_BUSY_TIMEOUT =>
        {
            return Err(Error::Server(ServerFault::InvoicesHeld));
        }
        other => other?,
    }
    tx.query_row(
        "SELECT set_config('lock_timeout', ?1, true)",
        [before],
        |_| Ok(()),
    )?;
    Ok(())
}

/// The triggers [`step_aside`] set aside, back for the rest of the transaction.
pub(crate) fn step_back(tx: &Connection) -> Result<()> {
    if tx.dialect() == crate::store::sql::Dialect::Postgres {
        tx.execute_batch("SET LOCAL relance.bulk = ''")?;
    }
    Ok(())
}

/// On a server with the earliest due dates' triggers set aside ([`step_aside`]), moves
/// their counts for the customers `named` selects (SQL of distinct `customer_id, currency`
/// taking `since` as its parameters): out of where their balances' rows say now (`out`), or into it.
/// Grouped by currency and date: one row written per date, not per customer. On a file,
/// nothing (its triggers move them).
fn move_oldest(tx: &Connection, named: &str, since: &[i64], out: bool) -> Result<()> {
    if tx.dialect() != crate::store::sql::Dialect::Postgres {
        return Ok(());
    }
    let grouped = format!(
        "SELECT b.currency, b.oldest_due, COUNT(*) AS n
           FROM ({named}) k
           JOIN customer_balances b
             ON b.customer_id = k.customer_id AND b.currency = k.currency
          WHERE b.oldest_due <> ''
          GROUP BY b.currency, b.oldest_due"
    );
    if out {
        tx.execute(
            &format!(
                "UPDATE oldest_dues SET customers = oldest_dues.customers - k.n
                   FROM ({grouped}) k
                  WHERE oldest_dues.currency = k.currency AND oldest_dues.oldest_due = k.oldest_due"
            ),
            params_from_iter(since.iter()),
        )?;
    } else {
        tx.execute(
            &format!(
                "INSERT INTO oldest_dues (currency, oldest_due, customers)
                 SELECT currency, oldest_due, n FROM ({grouped}) k
                 ON CONFLICT (currency, oldest_due) DO UPDATE
                    SET customers = oldest_dues.customers + excluded.customers"
            ),
            params_from_iter(since.iter()),
        )?;
        tx.execute("DELETE FROM oldest_dues WHERE customers = 0", [])?;
    }
    Ok(())
}

/// What [`INVOICE_INSERT_TRIGGER`] does, for every invoice inserted after `last_id` at once
/// (inside the caller's transaction): what each one counts is added to its customer's
/// balance in its currency and to its due date's row. On a server, with the triggers
/// [`step_aside`] set aside, the earliest due dates' counts are moved here too
/// ([`move_oldest`]): the customers the invoices name counted out, then in.
pub(crate) fn add_invoices_since(tx: &Connection, last_id: i64) -> Result<()> {
    let named = "SELECT DISTINCT customer_id, currency FROM invoices WHERE id > ?1";
    move_oldest(tx, named, &[last_id], true)?;
    // (an invoice added only lowers its customer's earliest due date)
    tx.execute(
        &format!(
            "INSERT INTO customer_balances (customer_id, currency, open_minor, open_count,
                                            oldest_due)
             SELECT i.customer_id, i.currency, SUM({SHARE}), COUNT(*), MIN(i.due_date)
               FROM invoices i WHERE i.id > ?1 AND {COUNTED}
              GROUP BY i.customer_id, i.currency
             ON CONFLICT (customer_id, currency) DO UPDATE
                SET open_minor = customer_balances.open_minor + excluded.open_minor,
                    open_count = customer_balances.open_count + excluded.open_count,
                    oldest_due = CASE WHEN excluded.oldest_due < customer_balances.oldest_due
                                      THEN excluded.oldest_due
                                      ELSE customer_balances.oldest_due END"
        ),
        [last_id],
    )?;
    tx.execute(
        &format!(
            "INSERT INTO due_balances (currency, due_date, open_minor, open_count)
             SELECT i.currency, i.due_date, SUM({SHARE}), COUNT(*)
               FROM invoices i WHERE i.id > ?1 AND {COUNTED}
              GROUP BY i.currency, i.due_date
             ON CONFLICT (currency, due_date) DO UPDATE
                SET open_minor = due_balances.open_minor + excluded.open_minor,
                    open_count = due_balances.open_count + excluded.open_count"
        ),
        [last_id],
    )?;
    move_oldest(tx, named, &[last_id], false)
}

/// The trigger that moves an invoice's share of its customer's balance and of its due
/// date's row when it changes (a payment settling it): a bulk import of payments sets it
/// aside and calls [`settled_since`] once instead.
pub(crate) const INVOICE_UPDATE_TRIGGER: &str = "customer_balance_invoice";

/// What [`INVOICE_UPDATE_TRIGGER`] does for the invoices the allocations after
/// `last_allocation` and the settlement differences after `last_difference` settled, at
/// once (inside the caller's transaction): the balance of each of their customers in their
/// currency, and the row of each of their due dates, are summed again from the open
/// invoices (their customer's, or due that day: the open invoices' indexes).
pub(crate) fn settled_since(
    tx: &Connection,
    last_allocation: i64,
    last_difference: i64,
) -> Result<()> {
    sum_again(
        tx,
        "(SELECT invoice_id FROM allocations WHERE id > ?1
          UNION ALL SELECT invoice_id FROM settlement_differences WHERE id > ?2) s",
        &[last_allocation, last_difference],
    )
}

/// The balance of each customer, in each currency, and the row of each due date of the
/// invoices `settled` names (SQL of a subquery of `invoice_id`, alias `s`, taking `since`
/// as its parameters), summed again from the open invoices (their customer's, or due that
/// day: the open invoices' indexes).
fn sum_again(tx: &Connection, settled: &str, since: &[i64]) -> Result<()> {
    // (the earliest open due dates' counts follow the balances' rows through their
    // triggers on a file; on a server, set aside, they are moved here: `move_oldest`)
    let named = format!(
        "SELECT DISTINCT i.customer_id, i.currency FROM {settled}
           CROSS JOIN invoices i ON i.id = s.invoice_id"
    );
    let customers = format!("({named})");
    move_oldest(tx, &named, since, true)?;
    tx.execute(
        &format!("DELETE FROM customer_balances WHERE (customer_id, currency) IN {customers}"),
        params_from_iter(since.iter()),
    )?;
    tx.execute(
        &format!(
            "INSERT INTO customer_balances (customer_id, currency, open_minor, open_count,
                                            oldest_due)
             SELECT i.customer_id, i.currency, SUM({SHARE}), COUNT(*), MIN(i.due_date)
               FROM {customers} k
              CROSS JOIN invoices i INDEXED BY invoices_open_customer
                 ON i.customer_id = k.customer_id AND i.settled_minor < i.total_minor
              WHERE i.currency = k.currency AND {COUNTED}
              GROUP BY i.customer_id, i.currency"
        ),
        params_from_iter(since.iter()),
    )?;
    move_oldest(tx, &named, since, false)?;
    let dues = format!(
        "(SELECT DISTINCT i.currency, i.due_date FROM {settled}
            CROSS JOIN invoices i ON i.id = s.invoice_id)"
    );
    tx.execute(
        &format!("DELETE FROM due_balances WHERE (currency, due_date) IN {dues}"),
        params_from_iter(since.iter()),
    )?;
    tx.execute(
        &format!(
            "INSERT INTO due_balances (currency, due_date, open_minor, open_count)
             SELECT i.currency, i.due_date, SUM({SHARE}), COUNT(*)
               FROM {dues} k
              CROSS JOIN invoices i INDEXED BY invoices_open_due
                 ON i.due_date = k.due_date AND i.settled_minor < i.total_minor
              WHERE i.currency = k.currency AND {COUNTED}
              GROUP BY i.currency, i.due_date"
        ),
        params_from_iter(since.iter()),
    )?;
    Ok(())
}

/// Past this many payments recorded in one transaction on a server (an import's lines, a
/// bank statement's lines), they set the balances' trigger aside ([`SettledAside`]): its
/// catch-up sums again every open invoice of the customers and due dates they settled, a
/// cost of the ledger's size that a few payments moved by the trigger do not pay (the
/// trigger's cost grows with the square of the payments sharing a due date: 1,000 payments
/// of a file took 5.3 s through it, 3.8 s set aside, with the debug CLI).
pub const SERVER_BULK_PAYMENTS: usize = 1_000;

/// Payments recorded in bulk on a server (an import of payments, a bank statement's sure
/// matches applied): the balances' update trigger set aside for the rest of the
/// transaction ([`step_aside`]), then, once all are recorded, the balances and due dates'
/// rows of what they settled summed again ([`SettledAside::catch_up`]). Each payment moved
/// its invoices' due date's row through the trigger, one row rewritten again and again in
/// one transaction, which PostgreSQL makes quadratic.
#[must_use = "the kept sums are wrong until `catch_up`"]
pub(crate) struct SettledAside {
    last_allocation: i64,
    last_difference: i64,
}

impl SettledAside {
    /// On a server, sets the trigger aside (the invoices locked first) and notes where the
    /// payments start; on a file, nothing (`None`): SQLite updates in place.
    pub(crate) fn begin(tx: &Connection) -> Result<Option<SettledAside>> {
        if tx.dialect() != crate::store::sql::Dialect::Postgres {
            return Ok(None);
        }
        step_aside(tx, Bulk::Payments)?;
        Ok(Some(SettledAside {
            last_allocation: crate::store::last_id(tx, "allocations")?,
            last_difference: crate::store::last_id(tx, "settlement_differences")?,
        }))
    }

    /// As [`SettledAside::begin`] when more than [`SERVER_BULK_PAYMENTS`] payments are about
    /// to be recorded (`count`: their lines); below, nothing (the trigger keeps the sums).
    pub(crate) fn begin_past(tx: &Connection, count: usize) -> Result<Option<SettledAside>> {
        if count > SERVER_BULK_PAYMENTS {
            SettledAside::begin(tx)
        } else {
            Ok(None)
        }
    }

    /// The kept sums of what the payments recorded since [`SettledAside::begin`] settled,
    /// summed again; the trigger back.
    pub(crate) fn catch_up(self, tx: &Connection) -> Result<()> {
        settled_since(tx, self.last_allocation, self.last_difference)?;
        step_back(tx)
    }
}

/// Payments taken back in bulk on a server (a bank statement's import undone, with its
/// returns): as [`SettledAside`], the balances' update trigger set aside for the rest of
/// the transaction, then the kept sums of the invoices they had settled summed again once.
/// Those invoices are named by the caller, read before the payments go (the allocations
/// after a point, which [`SettledAside`] reads, are what is removed).
#[must_use = "the kept sums are wrong until `catch_up`"]
pub(crate) struct UnsettledAside(());

impl UnsettledAside {
    /// On a server, when more than [`SERVER_BULK_PAYMENTS`] payments are to be taken back
    /// (`count`), sets the trigger aside (the invoices locked first: read what they
    /// settled after); otherwise nothing (`None`: the trigger keeps the sums).
    pub(crate) fn begin_past(tx: &Connection, count: usize) -> Result<Option<UnsettledAside>> {
        if count <= SERVER_BULK_PAYMENTS || tx.dialect() != crate::store::sql::Dialect::Postgres {
            return Ok(None);
        }
        step_aside(tx, Bulk::Payments)?;
        Ok(Some(UnsettledAside(())))
    }

    /// The kept sums of `invoices` (every invoice the payments taken back had settled,
    /// through an allocation or a settlement difference) summed again; the trigger back.
    pub(crate) fn catch_up(self, tx: &Connection, invoices: &[i64]) -> Result<()> {
        if !invoices.is_empty() {
            sum_again(
                tx,
                &format!(
                    "(SELECT id AS invoice_id FROM invoices WHERE id IN ({})) s",
                    crate::store::sql::id_list(invoices)
                ),
                &[],
            )?;
        }
        step_back(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::payments::{self, AllocationInput, PaymentInput};
    use crate::test_support::{day, inv, setup};

    /// On a server, payments recorded with the trigger set aside, one of them with a
    /// settlement difference (bank fees accepted on a statement line), leave the kept sums
    /// as they derive once caught up: the difference's invoice is counted too. The setting
    /// is back, inside the transaction, after the catch-up.
    #[test]
    fn a_catch_up_counts_what_settlement_differences_settled() {
        let mut conn = setup();
        if conn.dialect() != crate::store::sql::Dialect::Postgres {
            // A file has no setting to step aside (RELANCE_TEST_SERVER runs it on a server).
            return;
        }
        for i in [
            inv("K1", "ACME", "2026-01-02", "2026-02-01", "100.00"),
            inv("K2", "ACME", "2026-01-03", "2026-03-01", "0.50"),
            inv("K4", "ACME", "2026-01-03", "2026-04-01", "20.00"),
            inv("K3", "BETA", "2026-01-04", "2026-02-01", "80.00"),
        ] {
            crate::invoices::create(&conn, &i, day("2026-01-05")).unwrap();
        }
        let tx = conn.transaction().unwrap();
        let aside = SettledAside::begin(&tx)
            .unwrap()
            .expect("a server steps aside");
        let bulk = |tx: &Connection| -> String {
            tx.query_row("SELECT current_setting('relance.bulk', true)", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(bulk(&tx), "payments");
        let pay = |customer: &str, invoice: &str, amount: &str| {
            payments::record_with(
                &tx,
                &PaymentInput {
                    customer: customer.into(),
                    date: "2026-02-10".into(),
                    amount: amount.into(),
                    allocations: vec![AllocationInput {
                        invoice: invoice.into(),
                        amount: amount.into(),
                    }],
                    ..Default::default()
                },
                None,
            )
            .unwrap()
        };
        // K1 paid whole, and K2's 0.50 accepted as a difference of the same payment (no
        // allocation names K2): ACME's earliest due date moves past both, to K4's.
        let paid = pay("ACME", "K1", "100.00");
        tx.execute(
            "INSERT INTO settlement_differences (invoice_id, payment_id, date, amount_minor)
             SELECT id, ?1, '2026-02-10', 50 FROM invoices WHERE number = 'K2'",
            [paid],
        )
        .unwrap();
        pay("BETA", "K3", "30.00");
        aside.catch_up(&tx).unwrap();
        assert_eq!(
            bulk(&tx),
            "",
            "the triggers back for the rest of the transaction"
        );
        tx.commit().unwrap();
        assert_eq!(
            crate::views::balances::verify(&conn, crate::Lang::En).unwrap(),
            Vec::<String>::new()
        );
        let acme: (i64, String) = conn
            .query_row(
                "SELECT b.open_minor, b.oldest_due FROM customer_balances b
                   JOIN customers c ON c.id = b.customer_id WHERE c.reference = 'ACME'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(acme, (2_000, "2026-04-01".to_string()));
    }
}
