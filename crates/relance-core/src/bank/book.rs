//! The matcher's book read from the ledger: of the whole ledger ([`book`]), or narrowed to
//! what some lines ask ([`narrowed`], through [`for_lines`]). Both hold the same entries for
//! what those lines look up, in the same order, so [`matching::propose`] answers the same:
//! a property test compares them line for line on ledgers built to collide.
//!
//! A narrowed book reads the invoices whose number's key a line may name through an index
//! on that key (migration 50): the number upper-cased without `-`, `.`, `/`, `_` and
//! spaces, which is [`super::alnum_key`] exactly for a number of ASCII letters, digits and
//! those five; the few numbers with any other character are kept apart by a partial index
//! and keyed here, in Rust. The customers a payer's name may be (rule 4) are found through
//! each customer's name words, kept in `customer_words` (migration 51: marked by triggers
//! when a customer is added or renamed, written by [`refresh_words`]; a marked customer is
//! read from their name meanwhile).

use super::matching::{self, Asks, Book};
use super::store::tolerance;
use super::{alnum_key, Line};
use crate::error::Result;
use crate::store::sql::{params_from_iter, Connection, Dialect, Row};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// Up to this many lines reading the book, it is narrowed to what they ask; above, the
/// book of the whole ledger is read once (a statement of thousands of lines names most of
/// the open invoices anyway, and one pass over the table beats thousands of lookups).
pub(crate) const NARROW_UP_TO: usize = 2_000;

/// The book `lines` need: narrowed to what they ask, or the whole ledger's when they are
/// many (see [`NARROW_UP_TO`]).
pub(crate) fn for_lines<'a>(
    conn: &Connection,
    lines: impl IntoIterator<Item = &'a Line>,
) -> Result<Book> {
    let mut asks = Asks::default();
    for l in lines {
        asks.add(l);
        if asks.lines > NARROW_UP_TO {
            return book(conn);
        }
    }
    narrowed(conn, &asks)
}

/// The ledger's view for the matcher: open invoices (not written off or handed over), the
/// others by number, customers, payer accounts and references.
pub fn book(conn: &Connection) -> Result<Book> {
    let (tolerance_minor, tolerance_per_100k) = tolerance(conn)?;
    let mut b = Book {
        tolerance_minor,
        tolerance_per_100k,
        ..Book::default()
    };
    // The open invoices in full; of the others only what says "already paid or closed"
    // (their dates and currencies are not read: most of a ledger is paid).
    let mut stmt = conn.prepare(
        "SELECT i.id, i.number, i.customer_id, i.currency, i.total_minor - i.settled_minor, i.due_date
         FROM invoices i
         WHERE i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures c WHERE c.invoice_id = i.id)
         ORDER BY i.id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        b.open.push(open_invoice(&r)?);
    }
    let mut stmt = conn.prepare(
        "SELECT i.number, i.customer_id FROM invoices i
         WHERE i.settled_minor >= i.total_minor
            OR EXISTS (SELECT 1 FROM invoice_closures c WHERE c.invoice_id = i.id)
         ORDER BY i.id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        b.closed.push(matching::ClosedInvoice {
            number: r.get(0)?,
            customer_id: r.get(1)?,
        });
    }
    // By id: rule 4 tries the customers sharing a word with the payer in this order.
    let mut stmt =
        conn.prepare("SELECT id, name FROM customers WHERE archived_on IS NULL ORDER BY id")?;
    b.customers = stmt
        .query_map([], |r| {
            Ok(matching::Customer {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    // An account several customers pay from names none of them (rule 3 would guess).
    let mut stmt = conn.prepare(
        "SELECT account, MIN(customer_id) FROM payer_accounts GROUP BY account
         HAVING COUNT(DISTINCT customer_id) = 1",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (account, customer) = row?;
        b.payers.insert(account, customer);
    }
    // A reference's invoices by id: rule 1 names the customer of the first.
    let mut stmt = conn.prepare(
        "SELECT r.reference, ri.invoice_id FROM payment_references r
         JOIN payment_reference_invoices ri ON ri.reference_id = r.id
         ORDER BY r.reference, ri.invoice_id",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (reference, invoice) = row?;
        b.references.entry(reference).or_default().push(invoice);
    }
    Ok(b)
}

/// An open invoice read as `id, number, customer_id, currency, balance, due_date`.
pub(crate) fn open_invoice(r: &Row<'_>) -> crate::store::sql::Result<matching::OpenInvoice> {
    Ok(matching::OpenInvoice {
        id: r.get(0)?,
        number: r.get(1)?,
        customer_id: r.get(2)?,
        currency: r.get(3)?,
        balance: r.get(4)?,
        due: match r.get_ref(5)?.as_str().ok().and_then(iso_date) {
            Some(d) => d,
            None => r.get::<_, NaiveDate>(5)?,
        },
    })
}

/// "2026-11-30" read without a format parser (the book reads one per open invoice).
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)
}

/// An invoice number's key as the index of migration 50 keeps it (the same expression, so
/// that each engine's planner finds that index).
pub(crate) fn number_key_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => {
            "upper(replace(replace(replace(replace(replace(number, '-', ''), '.', ''), '/', ''), '_', ''), ' ', ''))"
        }
        Dialect::Postgres => "upper(translate(number COLLATE \"C\", '-./_ ', ''))",
    }
}

/// The invoices whose number's key the index above does not give (any character but ASCII
/// letters, digits, `-`, `.`, `/`, `_` and a space), read through the partial index of
/// migrations 50 and 61: `FROM` this. (SQLite, without statistics, would rather scan the
/// numbers' unique index: told which one.)
pub(crate) fn odd_numbers(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => {
            "invoices INDEXED BY invoices_number_odd
             WHERE number GLOB '*[^-A-Za-z0-9 ./_]*'"
        }
        Dialect::Postgres => {
            "invoices
             WHERE (number COLLATE \"C\") ~ '[^-A-Za-z0-9 ./_]'"
        }
    }
}

/// Values bound per statement: a list is read in pieces of this many, the last one padded
/// with its first value (one prepared statement for every piece).
const PIECE: usize = 64;

fn marks() -> String {
    (1..=PIECE)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `sql` (with `{marks}` standing for the piece's placeholders) once per piece of
/// `values`, handing each row to `each`.
fn in_pieces<V: crate::store::sql::ToSql + Clone>(
    conn: &Connection,
    sql: &str,
    values: &[V],
    mut each: impl FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let sql = sql.replace("{marks}", &marks());
    for piece in values.chunks(PIECE) {
        let mut args = piece.to_vec();
        args.resize(PIECE, piece[0].clone());
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            each(&r)?;
        }
    }
    Ok(())
}

/// The book for the lines that asked `asks`: every invoice whose number has one of the keys
/// (open or not), the invoices of the references found, the customers the payer accounts
/// name and those sharing a name word with a payer (rule 4 tries only them), each with all
/// of their open invoices. Of what those lines look up it holds what the whole book holds.
pub(crate) fn narrowed(conn: &Connection, asks: &Asks) -> Result<Book> {
    // No line reads the book (money out, reversals): nothing, not even the tolerance, is
    // read.
    if asks.lines == 0 {
        return Ok(Book::default());
    }
    let (tolerance_minor, tolerance_per_100k) = tolerance(conn)?;
    let mut b = Book {
        tolerance_minor,
        tolerance_per_100k,
        ..Book::default()
    };
    let dialect = conn.dialect();
    // Sorted: the same pieces, so the same statements, for the same asks.
    let sorted = |set: &std::collections::HashSet<String>| -> Vec<String> {
        let mut v: Vec<String> = set.iter().cloned().collect();
        v.sort_unstable();
        v
    };
    let mut by_id: BTreeSet<i64> = BTreeSet::new();
    let mut customers: BTreeSet<i64> = BTreeSet::new();

    // Rule 1: the references found, and their invoices.
    let mut referenced: Vec<(String, i64)> = Vec::new();
    in_pieces(
        conn,
        "SELECT r.reference, ri.invoice_id FROM payment_references r
         JOIN payment_reference_invoices ri ON ri.reference_id = r.id
         WHERE r.reference IN ({marks})",
        &sorted(&asks.references),
        |r| {
            referenced.push((r.get(0)?, r.get(1)?));
            Ok(())
        },
    )?;
    referenced.sort_unstable();
    referenced.dedup();
    for (reference, invoice) in referenced {
        by_id.insert(invoice);
        b.references.entry(reference).or_default().push(invoice);
    }

    // Rule 3: the payer accounts known for one customer.
    in_pieces(
        conn,
        "SELECT account, MIN(customer_id) FROM payer_accounts WHERE account IN ({marks})
         GROUP BY account HAVING COUNT(DISTINCT customer_id) = 1",
        &sorted(&asks.accounts),
        |r| {
            let customer: i64 = r.get(1)?;
            customers.insert(customer);
            b.payers.insert(r.get(0)?, customer);
            Ok(())
        },
    )?;

    // Rule 4: the customers sharing a name word with a payer, by id as in the whole book:
    // found through their name words kept (migration 51) and, for those marked since their
    // words were kept, through their names; each then kept on its name's words alone.
    if !asks.words.is_empty() {
        let mut maybe: BTreeSet<i64> = BTreeSet::new();
        in_pieces(
            conn,
            "SELECT customer_id FROM customer_words WHERE word IN ({marks})",
            &sorted(&asks.words),
            |r| {
                maybe.insert(r.get(0)?);
                Ok(())
            },
        )?;
        let mut stmt = conn.prepare_cached("SELECT customer_id FROM customer_words_stale")?;
        for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            maybe.insert(id?);
        }
        drop(stmt);
        let maybe: Vec<i64> = maybe.into_iter().collect();
        let mut named: BTreeMap<i64, String> = BTreeMap::new();
        in_pieces(
            conn,
            "SELECT id, name FROM customers WHERE id IN ({marks}) AND archived_on IS NULL",
            &maybe,
            |r| {
                named.insert(r.get(0)?, r.get(1)?);
                Ok(())
            },
        )?;
        for (id, name) in named {
            if matching::name_words(&name)
                .iter()
                .any(|w| asks.words.contains(w))
            {
                customers.insert(id);
                b.customers.push(matching::Customer { id, name });
            }
        }
    }

    // The invoices: by key (rule 2), by id (rule 1), and every open one of the customers
    // rules 3 and 4 may pay. Each read once, in id order, then split as the whole book is.
    const COLUMNS: &str =
        "id, number, customer_id, currency, total_minor - settled_minor, due_date,
         (settled_minor >= total_minor
          OR EXISTS (SELECT 1 FROM invoice_closures c WHERE c.invoice_id = invoices.id))";
    let mut found: BTreeMap<i64, (matching::OpenInvoice, bool)> = BTreeMap::new();
    let mut keep = |r: &Row<'_>| -> Result<()> {
        let inv = open_invoice(r)?;
        let closed: bool = r.get(6)?;
        found.entry(inv.id).or_insert((inv, closed));
        Ok(())
    };
    let keys = sorted(&asks.keys);
    in_pieces(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM invoices WHERE {} IN ({{marks}})",
            number_key_sql(dialect)
        ),
        &keys,
        &mut keep,
    )?;
    // The numbers the index cannot key: few, each keyed here.
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM {}", odd_numbers(dialect)))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let number: String = r.get(1)?;
        if asks.keys.contains(&alnum_key(&number)) {
            keep(&r)?;
        }
    }
    drop(rows);
    drop(stmt);
    let ids: Vec<i64> = by_id.into_iter().collect();
    in_pieces(
        conn,
        &format!("SELECT {COLUMNS} FROM invoices WHERE id IN ({{marks}})"),
        &ids,
        &mut keep,
    )?;
    let customers: Vec<i64> = customers.into_iter().collect();
    in_pieces(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM invoices
             WHERE customer_id IN ({{marks}}) AND settled_minor < total_minor"
        ),
        &customers,
        &mut keep,
    )?;
    for (_, (inv, closed)) in found {
        if closed {
            b.closed.push(matching::ClosedInvoice {
                number: inv.number,
                customer_id: inv.customer_id,
            });
        } else {
            b.open.push(inv);
        }
    }
    Ok(b)
}

/// Writes the name words of the customers marked since theirs were kept (added, renamed:
/// migration 51's triggers) and clears their marks, in the caller's transaction. Returns how
/// many customers it wrote. Cheap when none is marked: a start calls it.
pub(crate) fn refresh_words_in(tx: &Connection) -> Result<usize> {
    let marked: Vec<(i64, Option<String>)> = tx
        .prepare_cached(
            "SELECT s.customer_id, c.name FROM customer_words_stale s
             LEFT JOIN customers c ON c.id = s.customer_id ORDER BY s.customer_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::sql::Result<_>>()?;
    for (id, name) in &marked {
        tx.prepare_cached("DELETE FROM customer_words WHERE customer_id = ?1")?
            .execute([id])?;
        let mut words: Vec<String> = name
            .as_deref()
            .map(|n| matching::name_words(n).into_iter().collect())
            .unwrap_or_default();
        words.sort_unstable();
        let mut insert =
            tx.prepare_cached("INSERT INTO customer_words (word, customer_id) VALUES (?1, ?2)")?;
        for w in words {
            insert.execute(crate::store::sql::params![w, id])?;
        }
        tx.prepare_cached("DELETE FROM customer_words_stale WHERE customer_id = ?1")?
            .execute([id])?;
    }
    Ok(marked.len())
}

/// [`refresh_words_in`] in a transaction of its own (a start, after a bulk import).
pub fn refresh_words(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, refresh_words_in)
}

/// Every customer marked, in the caller's transaction: their name words are read from their
/// names until the next refresh writes them (a restore that carried customers in with the
/// triggers set aside).
pub(crate) fn mark_everyone_in(tx: &Connection) -> Result<()> {
    tx.execute(
        "INSERT INTO customer_words_stale (customer_id) SELECT id FROM customers WHERE true
         ON CONFLICT DO NOTHING",
        [],
    )?;
    Ok(())
}

/// `relance check --rebuild`: every customer's name words written again (and none kept for
/// a customer that is gone).
pub fn rebuild_words(conn: &mut Connection) -> Result<usize> {
    crate::store::write(conn, |tx| {
        tx.execute("DELETE FROM customer_words", [])?;
        mark_everyone_in(tx)?;
        refresh_words_in(tx)
    })
}

/// The customers (not marked since) whose kept name words are not their name's, one finding
/// each in `lang` (empty: none): `relance check`, the crash harness and the model-based test
/// ask it. Read it inside one snapshot on a shared ledger.
pub fn verify_words(conn: &Connection, lang: crate::error::Lang) -> Result<Vec<String>> {
    let mut kept: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT w.customer_id, w.word FROM customer_words w
         WHERE NOT EXISTS (SELECT 1 FROM customer_words_stale s WHERE s.customer_id = w.customer_id)",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, word) = row?;
        kept.entry(id).or_default().insert(word);
    }
    let mut stmt = conn.prepare(
        "SELECT c.id, c.reference, c.name FROM customers c
         WHERE NOT EXISTS (SELECT 1 FROM customer_words_stale s WHERE s.customer_id = c.id)
         ORDER BY c.id",
    )?;
    let mut findings = Vec::new();
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (id, reference, name) = row?;
        let derived: BTreeSet<String> = matching::name_words(&name).into_iter().collect();
        let stored = kept.remove(&id).unwrap_or_default();
        if stored != derived {
            let list = |w: &BTreeSet<String>| w.iter().cloned().collect::<Vec<_>>().join(" ");
            findings.push(match lang {
                crate::error::Lang::Fr => format!(
                    "client {reference} : mots du nom enregistrés « {} », calculés « {} »",
                    list(&stored),
                    list(&derived)
                ),
                crate::error::Lang::En => format!(
                    "customer {reference}: name words stored \"{}\", derived \"{}\"",
                    list(&stored),
                    list(&derived)
                ),
            });
        }
    }
    // Words kept for a customer that no longer exists.
    for id in kept.keys() {
        findings.push(match lang {
            crate::error::Lang::Fr => {
                format!("mots du nom enregistrés pour un client disparu (#{id})")
            }
            crate::error::Lang::En => format!("name words stored for a customer gone (#{id})"),
        });
    }
    Ok(findings)
}
