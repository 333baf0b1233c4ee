//! The archive: every document produced is stored with its exact bytes, its kind, customer,
//! invoices, figures and date, and is a journal entry linked to it. Months later, **Open**
//! shows the very PDF that was sent, whatever changed since (templates, address, rates).
//! Producing the same document again the same day for the same invoices does not make a
//! second entry: the first one is returned. Archived documents are never changed (triggers).

use super::letters::{self, Letter, LetterKind};
use crate::error::{Error, Msg, Result};
use crate::journal::{self, JournalKind, NewEntry};
use crate::money::Currency;
use crate::store::sql::{params, Connection, OptionalExtension};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use ts_rs::TS;

/// An archived document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocumentInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: String,
    pub customer: String,
    pub on_date: NaiveDate,
    pub invoices: Vec<String>,
    pub currency: String,
    /// What it claimed (principal + interest + indemnity), decimal string.
    pub claimed: String,
    pub language: String,
    #[ts(type = "number")]
    pub size_bytes: i64,
    /// When it was produced (UTC).
    pub created_at: String,
}

/// What [`produce`] did: the archived document, and whether this call created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Produced {
    pub document: DocumentInfo,
    pub created: bool,
    /// What the owner should know before sending it (a reference rate not checked for
    /// over six months), in the letter's language.
    pub warnings: Vec<String>,
}

/// How a document reaches the customer: printed and posted, or attached to an e-mail
/// draft. Each way has its own journal entry ("letter sent", "e-mail prepared"), logged
/// once per document: the same letter printed and e-mailed the same day is one archived
/// document with two entries; printed twice, one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Post,
    Email,
}

/// Composes, renders and archives a letter dated `today` in one transaction, with its
/// journal entry; `sink` receives the PDF inside the transaction (the shell stages its file
/// there, and names it after the commit), so a file that cannot be written records
/// nothing. The same letter again the same day (same kind, customer, invoices and content:
/// figures and wording) returns the archived one, unchanged; after a payment the content
/// differs and a new letter is archived.
pub fn produce(
    conn: &mut Connection,
    kind: LetterKind,
    invoice: &str,
    today: NaiveDate,
    sink: &mut crate::store::Sink,
) -> Result<(Produced, Vec<u8>)> {
    let letter = letters::compose(conn, kind, invoice, today)?;
    keep(conn, &letter, Via::Post, sink)
}

/// [`produce`] for a statement of account (see [`letters::statement`]).
pub fn produce_statement(
    conn: &mut Connection,
    reference: &str,
    currency: Option<&str>,
    today: NaiveDate,
    sink: &mut crate::store::Sink,
) -> Result<(Produced, Vec<u8>)> {
    let letter = letters::statement(conn, reference, currency, today)?;
    keep(conn, &letter, Via::Post, sink)
}

/// A letter as it would have read on another day (a past date: the facts dated up to it),
/// marked as a preview on the page; never archived, logged or counted as sent, so it never
/// starts interest.
pub fn preview(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<Vec<u8>> {
    let mut letter = letters::compose(conn, kind, invoice, as_of)?;
    letter.mark_preview();
    letters::render(&letter)
}

/// [`preview`] for a statement of account.
pub fn preview_statement(
    conn: &Connection,
    reference: &str,
    currency: Option<&str>,
    as_of: NaiveDate,
) -> Result<Vec<u8>> {
    let mut letter = letters::statement(conn, reference, currency, as_of)?;
    letter.mark_preview();
    letters::render(&letter)
}

/// Renders and archives a composed letter, unless the same one was archived today, in one
/// transaction (two processes producing the same letter get one archived document); `sink`
/// gets the bytes before the commit.
pub(crate) fn keep(
    conn: &mut Connection,
    letter: &Letter,
    via: Via,
    sink: &mut crate::store::Sink,
) -> Result<(Produced, Vec<u8>)> {
    let customer_id = crate::customers::id_by_ref(conn, "customer", &letter.customer)?;
    let tx = conn.transaction()?;
    let kept = keep_in(&tx, letter, customer_id, via, &letter.subject)?;
    sink(&tx, &kept.1)?;
    tx.commit()?;
    Ok(kept)
}

/// [`keep`] inside the caller's transaction: the archived document and its bytes, either
/// found (same kind, customer, date, invoices and content) or rendered and stored now, and
/// its journal entry for `via` (with `note`: the letter's or the e-mail's subject) unless
/// it has one.
pub(crate) fn keep_in(
    tx: &Connection,
    letter: &Letter,
    customer_id: i64,
    via: Via,
    note: &str,
) -> Result<(Produced, Vec<u8>)> {
    if letter.preview.is_some() {
        return Err(Error::invalid("as_of", Msg::PreviewNotArchived));
    }
    let key = letter.invoices.join(",");
    let content = letter.content_key();
    let found = find(
        tx,
        letter.kind.code(),
        customer_id,
        letter.as_of,
        &key,
        &content,
    )?;
    let (id, created, pdf) = match found {
        Some(id) => (id, false, bytes(tx, id)?),
        None => {
            let pdf = letters::render(letter)?;
            (
                store(tx, letter, customer_id, &key, &content, &pdf)?,
                true,
                pdf,
            )
        }
    };
    log(tx, letter, customer_id, id, via, note)?;
    Ok((
        Produced {
            document: info(tx, id)?,
            created,
            warnings: letter.warnings.clone(),
        },
        pdf,
    ))
}

/// A letter prepared from Today's agenda: the action it does, the archived document, the
/// file name to give it, and its bytes.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub action: String,
    pub produced: Produced,
    pub file_name: String,
    pub pdf: Vec<u8>,
}

/// The letter an agenda action sends, if it sends one.
pub fn letter_kind_of(kind: crate::dunning::ActionKind) -> Option<LetterKind> {
    use crate::dunning::ActionKind;
    match kind {
        ActionKind::Courtesy => Some(LetterKind::Courtesy),
        ActionKind::Reminder => Some(LetterKind::Reminder),
        ActionKind::FinalNotice => Some(LetterKind::FinalNotice),
        ActionKind::FormalDemand => Some(LetterKind::FormalDemand),
        ActionKind::Statement => Some(LetterKind::Statement),
        ActionKind::Call | ActionKind::PromiseBroken => None,
    }
}

/// The letter an agenda action of `as_of` sends, composed exactly as [`prepare`] (or the
/// e-mail batch, `for_email`) composes it: its invoices, those named for information, its
/// figures. Nothing is written. An id not on the agenda, or an action that sends no letter,
/// is refused.
pub fn action_letter(
    conn: &Connection,
    as_of: NaiveDate,
    action_id: &str,
    for_email: bool,
) -> Result<letters::Letter> {
    let today = crate::dunning::agenda_of(conn, as_of, &[action_id.to_string()])?;
    let unknown = || Error::invalid("action", Msg::UnknownAction(action_id.to_string()));
    let action = today
        .iter()
        .find(|a| a.id == action_id)
        .ok_or_else(|| crate::dunning::not_on_agenda(conn, as_of, action_id))?;
    let kind = letter_kind_of(action.kind).ok_or_else(unknown)?;
    letters::compose_for_action(conn, kind, action, as_of, for_email)
}

/// A file name from parts typed by people ("2026-11-22-ACME-reminder"): letters, digits,
/// `-`, `_` and `.` kept, anything else (a slash, a space, a colon) made a `-`.
pub fn file_name(parts: &[&str], extension: &str) -> String {
    let stem: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.{extension}", stem.trim_start_matches('.'))
}

/// Today's letter actions (all of them, or those in `ids`): each letter is composed for
/// the action's invoices, archived, handed to `sink` (file name, bytes: the shell writes
/// it), and the action marked done, all in one transaction: if any letter cannot be
/// composed or written, nothing is archived and no action is done.
pub fn prepare(
    conn: &mut Connection,
    as_of: NaiveDate,
    ids: Option<&[String]>,
    sink: &mut crate::store::BatchSink,
) -> Result<Vec<Prepared>> {
    use crate::dunning::{self, scenarios::Channel};
    let tx = conn.transaction()?;
    // The actions asked for read with their customers' only (the whole day otherwise).
    let today = dunning::agenda_for(&tx, as_of, ids)?;
    let mut out = Vec::new();
    let mut done = Vec::new();
    let asked: Option<HashSet<&str>> = ids.map(|ids| ids.iter().map(String::as_str).collect());
    let mut names = HashSet::new();
    for a in &today {
        let Some(kind) = letter_kind_of(a.kind) else {
            continue;
        };
        let is_letter = matches!(a.channel, Channel::Letter | Channel::RegisteredLetter);
        if !is_letter
            || asked
                .as_ref()
                .is_some_and(|asked| !asked.contains(a.id.as_str()))
            || a.invoices.is_empty()
        {
            continue;
        }
        let letter = letters::compose_for_action(&tx, kind, a, as_of, false)?;
        let (produced, pdf) = keep_in(&tx, &letter, a.customer_id, Via::Post, &letter.subject)?;
        let mut name = file_name(&[&as_of.to_string(), &a.customer, kind.code()], "pdf");
        if names.contains(&name) {
            name = file_name(
                &[&as_of.to_string(), &a.customer, kind.code(), &a.currency],
                "pdf",
            );
        }
        sink(&tx, &name, &pdf)?;
        names.insert(name.clone());
        out.push(Prepared {
            action: a.id.clone(),
            produced,
            file_name: name,
            pdf,
        });
        done.push(a.id.clone());
    }
    close_batch(&tx, as_of, &today, ids, &done, &done)?;
    tx.commit()?;
    Ok(out)
}

/// The end of a batch from Today, inside its transaction: an id asked for that the batch
/// did not meet (`seen`) is refused (the caller's transaction then rolls back); the actions
/// `done` are marked done.
pub(crate) fn close_batch(
    tx: &Connection,
    as_of: NaiveDate,
    today: &[crate::dunning::Action],
    ids: Option<&[String]>,
    seen: &[String],
    done: &[String],
) -> Result<()> {
    use crate::dunning::{self, Act};
    let seen: HashSet<&str> = seen.iter().map(String::as_str).collect();
    if let Some(missing) = ids.and_then(|ids| ids.iter().find(|id| !seen.contains(id.as_str()))) {
        return Err(dunning::not_on_agenda(tx, as_of, missing));
    }
    if !done.is_empty() {
        let act = Act::Done {
            note: String::new(),
        };
        dunning::record_acts(tx, as_of, today, done, &act)?;
    }
    Ok(())
}

fn find(
    conn: &Connection,
    kind: &str,
    customer_id: i64,
    on: NaiveDate,
    key: &str,
    content: &str,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM documents WHERE kind = ?1 AND customer_id = ?2 AND on_date = ?3
               AND invoices = ?4 AND content = ?5 ORDER BY id DESC LIMIT 1",
            params![kind, customer_id, on.to_string(), key, content],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores the letter's bytes and links its invoices, inside the caller's transaction.
pub(crate) fn store(
    tx: &Connection,
    l: &Letter,
    customer_id: i64,
    key: &str,
    content: &str,
    pdf: &[u8],
) -> Result<i64> {
    let id = tx.insert(
        "INSERT INTO documents (kind, customer_id, on_date, invoices, currency, due_minor,
             interest_minor, indemnity_minor, claimed_minor, language, pdf, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            l.kind.code(),
            customer_id,
            l.as_of.to_string(),
            key,
            l.currency,
            l.due_minor,
            l.interest_minor,
            l.indemnity_minor,
            l.claimed_minor,
            l.lang.code(),
            pdf,
            content
        ],
    )?;
    for n in &l.invoices {
        if let Some(iid) = crate::invoices::find_id(tx, n)? {
            tx.execute(
                "INSERT INTO document_invoices (document_id, invoice_id) VALUES (?1, ?2)",
                params![id, iid],
            )?;
        }
    }
    Ok(id)
}

/// Appends the journal entry of a document sent `via` post or e-mail, unless the document
/// already has one for that way (the same letter again the same day logs nothing).
fn log(tx: &Connection, l: &Letter, customer_id: i64, id: i64, via: Via, note: &str) -> Result<()> {
    let kind = match via {
        Via::Post => JournalKind::DocumentSent,
        Via::Email => JournalKind::EmailPrepared,
    };
    let logged = tx
        .query_row(
            "SELECT 1 FROM journal WHERE document_id = ?1 AND kind = ?2",
            params![id, kind.as_str()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if logged {
        return Ok(());
    }
    let invoice_ids = tx
        .prepare_cached("SELECT invoice_id FROM document_invoices WHERE document_id = ?1")?
        .query_map([id], |r| r.get::<_, i64>(0))?
        .map(|r| r.map(|i| (i, None)))
        .collect::<crate::store::sql::Result<Vec<_>>>()?;
    let mut entry = NewEntry::new(kind, customer_id, l.as_of);
    entry.action = Some(l.kind.code().to_string());
    entry.channel = Some(
        match (via, l.kind) {
            (Via::Email, _) => "email",
            (Via::Post, LetterKind::FormalDemand) => "registered_letter",
            (Via::Post, _) => "letter",
        }
        .to_string(),
    );
    entry.amount = Some((l.claimed_minor, Currency::parse(&l.currency)?));
    entry.document_id = Some(id);
    entry.note = note.to_string();
    entry.invoices = invoice_ids;
    journal::append(tx, &entry)?;
    Ok(())
}

const INFO: &str =
    "SELECT d.id, d.kind, c.reference, d.on_date, d.invoices, d.currency, d.claimed_minor,
        d.language, length(d.pdf), d.created_at
     FROM documents d JOIN customers c ON c.id = d.customer_id";

fn row(r: &crate::store::sql::Row) -> crate::store::sql::Result<(DocumentInfo, i64)> {
    let invoices: String = r.get(4)?;
    Ok((
        DocumentInfo {
            id: r.get(0)?,
            kind: r.get(1)?,
            customer: r.get(2)?,
            on_date: r.get(3)?,
            invoices: invoices
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            currency: r.get(5)?,
            claimed: String::new(),
            language: r.get(7)?,
            size_bytes: r.get(8)?,
            created_at: r.get(9)?,
        },
        r.get(6)?,
    ))
}

fn finish((mut d, claimed): (DocumentInfo, i64)) -> Result<DocumentInfo> {
    d.claimed = Currency::parse(&d.currency)?.minor_to_string(claimed);
    Ok(d)
}

/// One archived document's description.
pub fn info(conn: &Connection, id: i64) -> Result<DocumentInfo> {
    let found = conn
        .query_row(&format!("{INFO} WHERE d.id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| Error::invalid("document", Msg::UnknownDocument(id)))?;
    finish(found)
}

/// The exact bytes that were produced.
pub fn bytes(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    conn.query_row("SELECT pdf FROM documents WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| Error::invalid("document", Msg::UnknownDocument(id)))
}

/// A customer's documents, newest first.
pub fn for_customer(conn: &Connection, customer_id: i64) -> Result<Vec<DocumentInfo>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{INFO} WHERE d.customer_id = ?1 ORDER BY d.on_date DESC, d.id DESC"
    ))?;
    let rows = stmt.query_map([customer_id], row)?;
    rows.map(|r| finish(r?)).collect()
}

/// The documents that covered an invoice, newest first.
pub fn for_invoice(conn: &Connection, invoice_id: i64) -> Result<Vec<DocumentInfo>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{INFO} JOIN document_invoices di ON di.document_id = d.id
         WHERE di.invoice_id = ?1 ORDER BY d.on_date DESC, d.id DESC"
    ))?;
    let rows = stmt.query_map([invoice_id], row)?;
    rows.map(|r| finish(r?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    /// An invoice's number is what the documents sent print: once an issued penalty
    /// invoice, an issued credit note or an archived letter names it, it no longer changes
    /// (its other fields may), with the document named in the user's language; an invoice
    /// no document names is renamed freely.
    #[test]
    fn a_number_a_document_names_no_longer_changes() {
        use crate::error::Lang;
        use crate::test_support::{inv, setup_issuer};
        let mut conn = setup_issuer();
        let today = day("2026-11-22");
        for (number, customer) in [
            ("A-1", "ACME"),
            ("A-2", "ACME"),
            ("A-4", "ACME"),
            ("B-3", "BETA"),
        ] {
            crate::invoices::create(
                &conn,
                &inv(number, customer, "2026-01-01", "2026-01-31", "1200.00"),
                today,
            )
            .unwrap();
        }
        let penalty = crate::interest::invoice_penalties(&mut conn, "A-1", today).unwrap();
        let (_, credit) = crate::documents::credit_note::issue(
            &mut conn,
            &crate::invoices::credit_documents::CreditNoteIssueInput {
                invoice: "A-2".into(),
                lines: vec![crate::invoices::drafts::DraftLineInput {
                    description: "Remise".into(),
                    unit_price: "100.00".into(),
                    vat_rate: "20".into(),
                    ..Default::default()
                }],
                reason: "Geste commercial".into(),
            },
            today,
        )
        .unwrap();
        let (letter, _) = produce(
            &mut conn,
            LetterKind::Reminder,
            "B-3",
            today,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(letter.document.invoices, ["B-3"]);
        let rename = |conn: &mut Connection, number: &str, customer: &str, to: &str, due: &str| {
            let id = crate::invoices::find_id(conn, number).unwrap().unwrap();
            crate::invoices::update(
                conn,
                id,
                &inv(to, customer, "2026-01-01", due, "1200.00"),
                today,
            )
        };
        let cases = [
            (
                "A-1",
                "ACME",
                Msg::NumberOnPenaltyInvoice(penalty.number.clone()),
                penalty.number.clone(),
            ),
            (
                "A-2",
                "ACME",
                Msg::NumberOnCreditNote(credit.clone()),
                credit.clone(),
            ),
            (
                "B-3",
                "BETA",
                Msg::NumberOnLetter(today),
                "22/11/2026".to_string(),
            ),
        ];
        for (number, customer, msg, named) in cases {
            let e = rename(&mut conn, number, customer, "RENAMED", "2026-01-31").unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, msg: m } if field == "number" && *m == msg),
                "{number}: {e:?}"
            );
            assert!(
                e.message(Lang::Fr).contains(&named)
                    && e.message(Lang::Fr).contains("ne peut plus changer"),
                "{}",
                e.message(Lang::Fr)
            );
            assert!(
                e.message(Lang::En).contains("can no longer change"),
                "{}",
                e.message(Lang::En)
            );
            // Nothing changed; the same invoice keeps its number and may change otherwise.
            assert!(crate::invoices::find_id(&conn, "RENAMED")
                .unwrap()
                .is_none());
            rename(&mut conn, number, customer, number, "2026-02-15").unwrap();
        }
        // Named by nothing sent: renamed, and the documents still find theirs.
        rename(&mut conn, "A-4", "ACME", "A-4-bis", "2026-01-31").unwrap();
        assert!(crate::invoices::find_id(&conn, "A-4").unwrap().is_none());
        assert_eq!(info(&conn, letter.document.id).unwrap().invoices, ["B-3"]);
    }

    #[test]
    fn a_letter_is_archived_once_as_sent_and_journaled() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let as_of = day("2026-11-22");
        let (first, pdf) = produce(
            &mut conn,
            LetterKind::FormalDemand,
            "F2025-0009",
            as_of,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert!(first.created);
        assert_eq!(first.document.invoices, ["F2025-0009", "F2026-0114"]);
        assert_eq!(first.document.claimed, "12115.18");
        assert_eq!(bytes(&conn, first.document.id).unwrap(), pdf);
        // Again the same day: the same entry, the same bytes, no second journal entry.
        let count = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'document_sent'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(count(&conn), 1);
        let (again, pdf2) = produce(
            &mut conn,
            LetterKind::FormalDemand,
            "F2026-0114",
            as_of,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert!(!again.created);
        assert_eq!(again.document.id, first.document.id);
        assert_eq!(pdf2, pdf);
        assert_eq!(count(&conn), 1);
        // The history links to it, by customer and by invoice.
        let customer = crate::customers::get_by_ref(&conn, &first.document.customer).unwrap();
        let history = journal::for_customer(&conn, customer.id, 10).unwrap();
        assert_eq!(history[0].document_id, Some(first.document.id));
        assert_eq!(history[0].kind, JournalKind::DocumentSent);
        let inv = crate::invoices::find_id(&conn, "F2026-0114")
            .unwrap()
            .unwrap();
        assert_eq!(for_invoice(&conn, inv).unwrap()[0].id, first.document.id);
        // Later changes (company address) do not touch what was sent.
        crate::settings::set(&conn, "address", "99 avenue Nouvelle").unwrap();
        assert_eq!(bytes(&conn, first.document.id).unwrap(), pdf);
        // Archived documents are never changed nor deleted.
        assert!(conn
            .execute("UPDATE documents SET claimed_minor = 0", [])
            .is_err());
        assert!(conn.execute("DELETE FROM documents", []).is_err());
        assert!(matches!(
            info(&conn, 999),
            Err(Error::Invalid {
                msg: Msg::UnknownDocument(999),
                ..
            })
        ));
    }
}
