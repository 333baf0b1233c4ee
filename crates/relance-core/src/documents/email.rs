//! E-mail drafts for the owner's own mail client: a `.eml` message with the matching letter
//! attached as PDF (archived like a printed letter), and `mailto:` links. Relance never
//! sends mail. The message is built by `mail-builder` (RFC 5322/2045/2047/2231: encoded
//! words for accents, RFC 2231 file names, no hand-written MIME); every address comes from
//! a customer record whose e-mail fields were checked when typed (no spaces, no brackets,
//! no control characters), so nothing from it can add a header.

use super::archive::{self, DocumentInfo};
use super::letters::{self, Letter, LetterKind};
use crate::error::{Error, Lang, Msg, Result};
use chrono::NaiveDate;
use mail_builder::MessageBuilder;
use rusqlite::Connection;

/// A draft ready to be written to disk and opened by the mail client.
#[derive(Debug, Clone)]
pub struct Draft {
    pub file_name: String,
    pub to: Vec<String>,
    pub subject: String,
    pub eml: Vec<u8>,
    /// The letter attached, as archived.
    pub document: DocumentInfo,
}

/// The customer's addresses: the accounting contact first, then the customer's own when it
/// differs. None at all is a refusal naming the customer.
fn recipients(conn: &Connection, letter: &Letter) -> Result<(String, Vec<String>)> {
    let c = crate::customers::get_by_ref(conn, &letter.customer)?;
    let mut to = Vec::new();
    for a in [&c.contact_email, &c.email] {
        if !a.is_empty() && !to.iter().any(|x: &String| x.eq_ignore_ascii_case(a)) {
            to.push(a.clone());
        }
    }
    if to.is_empty() {
        return Err(Error::invalid("customer", Msg::NoEmailAddress(c.name)));
    }
    Ok((c.name, to))
}

/// The letter's subject without its "Objet :" label, capitalised as an e-mail subject.
fn subject_of(l: &Letter) -> String {
    let bare = ["Objet : ", "Subject: "]
        .iter()
        .find_map(|p| l.subject.strip_prefix(p))
        .unwrap_or(&l.subject);
    let mut chars = bare.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One line per invoice: number, dates, days late and balance.
fn invoice_lines(l: &Letter) -> Vec<String> {
    l.lines
        .iter()
        .map(|x| match (l.lang, x.days_late > 0) {
            (Lang::Fr, true) => format!(
                "{} du {}, échue le {} ({} j de retard) : reste dû {}",
                x.number, x.issue_date, x.due_date, x.days_late, x.balance
            ),
            (Lang::Fr, false) => format!(
                "{} du {}, échéance le {} : reste dû {}",
                x.number, x.issue_date, x.due_date, x.balance
            ),
            (Lang::En, true) => format!(
                "{} of {}, due {} ({} days late): {} outstanding",
                x.number, x.issue_date, x.due_date, x.days_late, x.balance
            ),
            (Lang::En, false) => format!(
                "{} of {}, due {}: {} outstanding",
                x.number, x.issue_date, x.due_date, x.balance
            ),
        })
        .collect()
}

/// The body as paragraphs: greeting and opening, the invoices, totals, the request and what
/// follows, the signature; `attached` says the PDF is attached (a draft) or follows (mailto).
fn paragraphs(l: &Letter, attached: bool) -> (Vec<String>, Vec<String>, Vec<String>) {
    let head = l.before.clone();
    // French typography puts a space before the colon.
    let colon = if l.lang == Lang::Fr { " :" } else { ":" };
    let mut tail: Vec<String> = l
        .totals
        .iter()
        .map(|(label, amount)| format!("{label}{colon} {amount}"))
        .collect();
    tail.extend(l.after.iter().cloned());
    tail.push(
        match (l.lang, attached) {
            (Lang::Fr, true) => "Le courrier correspondant est joint en PDF.",
            (Lang::Fr, false) => "Le courrier correspondant suit en pièce jointe.",
            (Lang::En, true) => "The matching letter is attached as a PDF.",
            (Lang::En, false) => "The matching letter follows as an attachment.",
        }
        .to_string(),
    );
    tail.push(l.signature.clone());
    (head, invoice_lines(l), tail)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Composes the letter of `kind` about `invoice`, archives its PDF, and builds the e-mail
/// draft that carries it: To the customer's addresses, From the owner's when set, subject
/// and body in the customer's language, `X-Unsent: 1` (Outlook opens it as a draft).
/// `now_unix` is the message's Date (the shell reads the clock).
pub fn draft(
    conn: &mut Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
    now_unix: i64,
) -> Result<Draft> {
    let letter = letters::compose_for_email(conn, kind, invoice, as_of)?;
    let (name, to) = recipients(conn, &letter)?;
    let settings = crate::settings::get(conn)?;
    let (produced, pdf) = archive::keep(conn, &letter)?;
    let subject = subject_of(&letter);
    let (head, items, tail) = paragraphs(&letter, true);
    let mut text = head.join("\n\n");
    text.push_str("\n\n");
    for i in &items {
        text.push_str(&format!("- {i}\n"));
    }
    text.push('\n');
    text.push_str(&tail.join("\n\n"));
    text.push('\n');
    let mut html = String::from("<!DOCTYPE html><html><body>");
    for p in &head {
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    html.push_str("<ul>");
    for i in &items {
        html.push_str(&format!("<li>{}</li>", escape(i)));
    }
    html.push_str("</ul>");
    for p in &tail {
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    html.push_str("</body></html>");
    let attachment_name = format!(
        "{}-{}.pdf",
        letter.kind.code(),
        letter.invoices.first().cloned().unwrap_or_default()
    );
    let recipients: Vec<(&str, &str)> = to.iter().map(|a| (name.as_str(), a.as_str())).collect();
    let mut message = MessageBuilder::new()
        .to(recipients)
        .subject(subject.as_str())
        .date(now_unix)
        .header("X-Unsent", mail_builder::headers::raw::Raw::new("1"))
        .text_body(text)
        .html_body(html)
        .attachment("application/pdf", attachment_name, pdf.as_slice());
    if !settings.email.is_empty() {
        message = message.from((settings.company_name.as_str(), settings.email.as_str()));
    }
    let eml = message
        .write_to_vec()
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(Draft {
        file_name: format!("{}-{}-{}.eml", as_of, letter.customer, letter.kind.code()),
        to,
        subject,
        eml,
        document: produced.document,
    })
}

/// Percent-encoding of RFC 3986 / 6068: everything but unreserved characters, as UTF-8.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The most characters a mailto link may have: common clients and browsers cut longer ones.
pub const MAILTO_MAX: usize = 2000;

/// A `mailto:` link for clients that do not open `.eml` files: subject and body only (a
/// link cannot carry an attachment; the body says the PDF follows), kept under
/// [`MAILTO_MAX`] characters by listing fewer invoices when needed.
pub fn mailto(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<String> {
    let letter = letters::compose_for_email(conn, kind, invoice, as_of)?;
    let (_, to) = recipients(conn, &letter)?;
    let (head, items, tail) = paragraphs(&letter, false);
    let build = |shown: usize| {
        let mut body = head.join("\n\n");
        body.push_str("\n\n");
        for i in items.iter().take(shown) {
            body.push_str(&format!("- {i}\n"));
        }
        if shown < items.len() {
            body.push_str(&format!("- … (+{})\n", items.len() - shown));
        }
        body.push('\n');
        body.push_str(&tail.join("\n\n"));
        format!(
            "mailto:{}?subject={}&body={}",
            to.iter()
                .map(|a| encode(a).replace("%40", "@"))
                .collect::<Vec<_>>()
                .join(","),
            encode(&subject_of(&letter)),
            encode(&body)
        )
    };
    let mut shown = items.len();
    let mut link = build(shown);
    while link.len() > MAILTO_MAX && shown > 0 {
        shown -= 1;
        link = build(shown);
    }
    Ok(link)
}
