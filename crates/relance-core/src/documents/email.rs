//! E-mail drafts for the owner's own mail client: a `.eml` message with the matching letter
//! attached as PDF (archived like a printed letter, logged "e-mail prepared"), `mailto:`
//! links, and the day's e-mail actions prepared in one batch. Relance never sends mail.
//!
//! The message is built by `mail-builder` (RFC 5322/2045/2047/2231: encoded words for
//! accents, RFC 2231 file names, no hand-written MIME). Every address and name comes from a
//! customer record and is checked again here with the same rules as when typed (no spaces,
//! brackets or control characters), so nothing from it can add a header or break the
//! structure, even in a record written by an older version or by hand.
//!
//! The wording: the owner's e-mail subject and body for the kind and language (Settings,
//! checked like the letters' wording), else the letter's own text. One plain-text body is
//! made, and the HTML alternative is made from it (paragraphs, the invoice list as a list).

use super::archive::{self, DocumentInfo, Via};
use super::letters::{self, Letter, LetterKind};
use super::templates;
use crate::error::{Error, Lang, Msg, Result};
use crate::store::sql::Connection;
use crate::validate as v;
use chrono::NaiveDate;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A draft ready to be written to disk and opened by the mail client.
#[derive(Debug, Clone)]
pub struct Draft {
    pub file_name: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The plain-text body (the HTML alternative is made from it).
    pub text: String,
    pub eml: Vec<u8>,
    /// The letter attached, as archived.
    pub document: DocumentInfo,
}

/// The customer's name and addresses: the accounting contact first, then the customer's
/// own when it differs. None at all is a refusal naming the customer.
fn recipients(conn: &Connection, letter: &Letter) -> Result<(String, Vec<String>)> {
    let c = crate::customers::get_by_ref(conn, &letter.customer)?;
    let name = v::required_name("name", &c.name, 200)?;
    let mut to = Vec::new();
    for (field, a) in [("contact_email", &c.contact_email), ("email", &c.email)] {
        let a = v::optional_email(field, a)?;
        if a.is_empty() {
            continue;
        }
        let a = v::email_for_header(field, &a)?;
        if !to.iter().any(|x: &String| x.eq_ignore_ascii_case(&a)) {
            to.push(a);
        }
    }
    if to.is_empty() {
        return Err(Error::invalid("customer", Msg::NoEmailAddress(c.name)));
    }
    Ok((name, to))
}

/// The letter's subject without its "Objet :" label, capitalised as an e-mail subject.
fn subject_of(l: &Letter) -> String {
    let bare = ["Objet\u{a0}: ", "Objet : ", "Subject: "]
        .iter()
        .find_map(|p| l.subject.strip_prefix(p))
        .unwrap_or(&l.subject);
    let mut chars = bare.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// French typography in an e-mail (no-break spaces before ":" and inside « »).
fn typeset(text: String, lang: Lang) -> String {
    match lang {
        Lang::Fr => crate::error::french_spaces(&text),
        Lang::En => text,
    }
}

/// The payment reference to quote, in groups of four as it is typed; empty without one.
fn reference_line(l: &Letter) -> String {
    if l.reference.is_empty() {
        return String::new();
    }
    let grouped = crate::bank::reference::grouped(&l.reference);
    match l.lang {
        Lang::Fr => format!("Référence de paiement à indiquer : {grouped}"),
        Lang::En => format!("Payment reference to quote: {grouped}"),
    }
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

/// The owner's e-mail wording for a letter's kind and language, read once.
struct Wording {
    subject: Option<String>,
    body: Option<String>,
}

impl Wording {
    fn of(conn: &Connection, l: &Letter) -> Result<Wording> {
        Ok(Wording {
            subject: templates::get(conn, l.kind, l.lang, "email_subject")?,
            body: templates::get(conn, l.kind, l.lang, "email_body")?,
        })
    }

    fn subject(&self, l: &Letter) -> String {
        let s = match &self.subject {
            Some(s) => templates::fill(s, &l.values),
            None => subject_of(l),
        };
        typeset(s, l.lang)
    }

    /// The plain-text body listing the first `shown` invoices (a "… (+n)" line for the
    /// rest); `attached`: the PDF is attached (a draft), else (a mailto link) nothing is said
    /// of an attachment.
    fn body(&self, l: &Letter, attached: bool, shown: usize) -> String {
        let lines = invoice_lines(l);
        let mut list: Vec<String> = lines.iter().take(shown).map(|i| format!("- {i}")).collect();
        if shown < lines.len() {
            list.push(format!("- … (+{})", lines.len() - shown));
        }
        let list = list.join("\n");
        // A mailto link cannot carry an attachment: its text promises none.
        let attachment = match (l.lang, attached) {
            (Lang::Fr, true) => "Le courrier correspondant est joint en PDF.",
            (Lang::En, true) => "The matching letter is attached as a PDF.",
            (_, false) => "",
        };
        if let Some(own) = &self.body {
            let mut values = l.values.clone();
            // The invoices named for information follow the list: never lost to a wording
            // written before they existed.
            let listed = if l.information.is_empty() {
                list
            } else {
                format!("{list}\n\n{}", l.information)
            };
            // How to pay always comes with the reference that settles exactly these
            // invoices, whatever the owner's wording says.
            let payment = [l.payment.clone(), reference_line(l)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            values.extend([
                ("invoices", listed),
                ("payment", payment),
                ("signature", l.signature.clone()),
                ("attachment", attachment.to_string()),
            ]);
            return typeset(
                format!("{}\n", templates::fill(own, &values).trim_end()),
                l.lang,
            );
        }
        // The letter's text as an e-mail: a plain greeting and sign-off (a formal demand
        // keeps the letter's), the attachment named before the sign-off.
        let formal = l.kind == LetterKind::FormalDemand;
        let mut before = l.before.clone();
        let mut after = l.after.clone();
        let closing = after.pop().unwrap_or_default();
        let closing = match (formal, l.lang) {
            (true, _) => closing,
            (false, Lang::Fr) => "Cordialement,".to_string(),
            (false, Lang::En) => "Kind regards,".to_string(),
        };
        if let (false, Some(greeting)) = (formal, before.first_mut()) {
            *greeting = if l.lang == Lang::Fr {
                "Bonjour,"
            } else {
                "Hello,"
            }
            .to_string();
        }
        // French typography puts a space before the colon.
        let colon = if l.lang == Lang::Fr { " :" } else { ":" };
        let mut paragraphs = before;
        paragraphs.push(list);
        paragraphs.push(
            l.totals
                .iter()
                .map(|(label, amount)| format!("{label}{colon} {amount}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        paragraphs.push(l.information.clone());
        paragraphs.extend(after);
        paragraphs.push(reference_line(l));
        paragraphs.push(attachment.to_string());
        paragraphs.push(format!("{closing}\n{}", l.signature));
        paragraphs.retain(|p| !p.trim().is_empty());
        typeset(format!("{}\n", paragraphs.join("\n\n")), l.lang)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML body with the EPC QR code (Content-ID `cid`) and how to use it, before its end.
fn with_qr(html: &str, cid: &str, lang: Lang) -> String {
    let (alt, how) = match lang {
        Lang::Fr => (
            "Code QR de paiement",
            "Pour payer par virement, scannez ce code avec l'application de votre banque\u{a0}: tout est rempli.",
        ),
        Lang::En => (
            "Payment QR code",
            "To pay by bank transfer, scan this code with your banking app: everything is filled in.",
        ),
    };
    html.replace(
        "</body>",
        &format!(
            "<p><img src=\"cid:{}\" width=\"164\" height=\"164\" alt=\"{alt}\"></p>\n<p>{how}</p>\n</body>",
            escape(cid)
        ),
    )
}

/// The HTML alternative of a plain-text body: blank lines separate paragraphs, lines
/// starting with "- " make a list, other line breaks are kept.
pub fn html_of(text: &str) -> String {
    let mut html =
        String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n");
    for paragraph in text.split("\n\n") {
        let mut in_list = false;
        let mut lines: Vec<String> = Vec::new();
        let flush = |lines: &mut Vec<String>, html: &mut String| {
            if !lines.is_empty() {
                html.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
                lines.clear();
            }
        };
        for line in paragraph.lines().filter(|l| !l.trim().is_empty()) {
            match line.strip_prefix("- ") {
                Some(item) => {
                    flush(&mut lines, &mut html);
                    if !in_list {
                        html.push_str("<ul>\n");
                        in_list = true;
                    }
                    html.push_str(&format!("<li>{}</li>\n", escape(item)));
                }
                None => {
                    if in_list {
                        html.push_str("</ul>\n");
                        in_list = false;
                    }
                    lines.push(escape(line));
                }
            }
        }
        flush(&mut lines, &mut html);
        if in_list {
            html.push_str("</ul>\n");
        }
    }
    html.push_str("</body></html>\n");
    html
}

/// The attached PDF's name says what it covers, in the letter's language: the kind and
/// every invoice it claims ("relance-F2026-0136-F2026-0141.pdf", "reminder-…" in English),
/// or, when that would be too long a name, the kind, the customer and the day (the letter's
/// reference in the archive).
pub fn attachment_name(letter: &Letter) -> String {
    let kind = match (letter.kind, letter.lang) {
        (LetterKind::Courtesy, Lang::Fr) => "rappel-courtois",
        (LetterKind::Reminder, Lang::Fr) => "relance",
        (LetterKind::FinalNotice, Lang::Fr) => "dernier-rappel",
        (LetterKind::FormalDemand, Lang::Fr) => "mise-en-demeure",
        (LetterKind::Statement, Lang::Fr) => "releve-de-compte",
        (LetterKind::Courtesy, Lang::En) => "courtesy-note",
        (LetterKind::Reminder, Lang::En) => "reminder",
        (LetterKind::FinalNotice, Lang::En) => "final-notice",
        (LetterKind::FormalDemand, Lang::En) => "formal-demand",
        (LetterKind::Statement, Lang::En) => "statement",
    };
    let all = format!("{kind}-{}.pdf", letter.invoices.join("-"));
    if all.chars().count() <= 80 {
        all
    } else {
        format!("{kind}-{}-{}.pdf", letter.customer, letter.as_of)
    }
}

/// A draft of a composed letter, inside the caller's transaction: the PDF archived (or the
/// one archived today), "e-mail prepared" logged once, the message built.
fn draft_in(tx: &Connection, letter: &Letter, customer_id: i64, now_unix: i64) -> Result<Draft> {
    let (name, to) = recipients(tx, letter)?;
    let settings = crate::settings::get(tx)?;
    let wording = Wording::of(tx, letter)?;
    let subject = wording.subject(letter);
    let (produced, pdf) = archive::keep_in(tx, letter, customer_id, Via::Email, &subject)?;
    let text = wording.body(letter, true, letter.lines.len());
    let from_email = v::optional_email("email", &settings.email)?;
    let from_email = if from_email.is_empty() {
        from_email
    } else {
        v::email_for_header("email", &from_email)?
    };
    let attachment_name = attachment_name(letter);
    // A name that looks like an encoded word ("=?utf-8?b?…?=") would be decoded by mail
    // readers: a trailing space makes the builder encode it, so it reads as typed.
    let shown = if name.contains("=?") {
        format!("{name} ")
    } else {
        name.clone()
    };
    let recipients: Vec<(&str, &str)> = to.iter().map(|a| (shown.as_str(), a.as_str())).collect();
    let mut message = MessageBuilder::new()
        .to(recipients)
        .subject(subject.as_str())
        .date(now_unix)
        .header("X-Unsent", mail_builder::headers::raw::Raw::new("1"))
        // The mail client checks the spelling in the customer's language.
        .header(
            "Content-Language",
            mail_builder::headers::raw::Raw::new(letter.lang.code()),
        );
    // A euro letter's EPC QR code is shown in the HTML body (an inline image the HTML
    // names by its Content-ID), so the customer can scan it from the screen.
    let html = html_of(&text);
    message = match &letter.qr {
        None => message.text_body(text.as_str()).html_body(html).attachment(
            "application/pdf",
            attachment_name,
            pdf.as_slice(),
        ),
        Some(modules) => {
            let cid = format!("epc-qr-{}@relance", produced.document.id);
            let html = with_qr(&html, &cid, letter.lang);
            let png = crate::bank::epc::png(modules, 6);
            message.body(MimePart::new(
                "multipart/mixed",
                vec![
                    MimePart::new(
                        "multipart/alternative",
                        vec![
                            MimePart::new("text/plain", text.clone()),
                            MimePart::new(
                                "multipart/related",
                                vec![
                                    MimePart::new("text/html", html),
                                    MimePart::new("image/png", png).inline().cid(cid),
                                ],
                            ),
                        ],
                    ),
                    MimePart::new("application/pdf", pdf.as_slice()).attachment(attachment_name),
                ],
            ))
        }
    };
    if !from_email.is_empty() {
        message = message.from((settings.company_name.as_str(), from_email.as_str()));
    }
    let eml = message
        .write_to_vec()
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(Draft {
        file_name: archive::file_name(
            &[
                &letter.as_of.to_string(),
                &letter.customer,
                letter.kind.code(),
            ],
            "eml",
        ),
        to,
        subject,
        text,
        eml,
        document: produced.document,
    })
}

/// Composes the letter of `kind` about `invoice` (for a statement: the customer's open
/// invoices in its currency), archives its PDF and builds the e-mail draft that carries it:
/// To the customer's addresses, From the owner's when set, subject and body in the
/// customer's language, `X-Unsent: 1` (Outlook opens it as a draft). `now_unix` is the
/// message's Date (the shell reads the clock). Refused, nothing written: no e-mail address,
/// and whatever the letter itself refuses.
/// `today` is the letter's date (an e-mail is sent the day it is drafted); `sink` receives
/// the `.eml` bytes inside the transaction (the shell stages the file, and names it after
/// the commit), so a draft that cannot be written logs nothing.
pub fn draft(
    conn: &mut Connection,
    kind: LetterKind,
    invoice: &str,
    today: NaiveDate,
    now_unix: i64,
    sink: &mut crate::store::Sink,
) -> Result<Draft> {
    let letter = letters::compose_for_email(conn, kind, invoice, today, None)?;
    let customer_id = crate::customers::id_by_ref(conn, "customer", &letter.customer)?;
    let tx = conn.transaction()?;
    let d = draft_in(&tx, &letter, customer_id, now_unix)?;
    sink(&tx, &d.eml)?;
    tx.commit()?;
    Ok(d)
}

/// What an e-mail draft will say, before anything is written: recipients, subject, body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EmailPreview {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    /// The attached PDF's name ([`attachment_name`]).
    pub attachment: String,
}

/// The e-mail [`draft`] would write now, without archiving or logging anything. Refused
/// as the draft is (no address, and whatever the letter refuses).
pub fn preview(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<EmailPreview> {
    let letter = letters::compose_for_email(conn, kind, invoice, as_of, None)?;
    preview_of(conn, &letter)
}

/// What the draft of `letter` will say: recipients, subject, body, attachment.
fn preview_of(conn: &Connection, letter: &Letter) -> Result<EmailPreview> {
    let (_, to) = recipients(conn, letter)?;
    let wording = Wording::of(conn, letter)?;
    Ok(EmailPreview {
        to,
        subject: wording.subject(letter),
        text: wording.body(letter, true, letter.lines.len()),
        attachment: attachment_name(letter),
    })
}

/// The e-mail an agenda action of `as_of` sends (see [`archive::action_letter`]); nothing
/// is written.
pub fn action_preview(
    conn: &Connection,
    as_of: NaiveDate,
    action_id: &str,
) -> Result<EmailPreview> {
    let letter = archive::action_letter(conn, as_of, action_id, true)?;
    preview_of(conn, &letter)
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
/// [`MAILTO_MAX`] characters by listing fewer invoices when needed. Nothing is written.
pub fn mailto(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<String> {
    let letter = letters::compose_for_email(conn, kind, invoice, as_of, None)?;
    let (_, to) = recipients(conn, &letter)?;
    let wording = Wording::of(conn, &letter)?;
    let subject = encode(&wording.subject(&letter));
    let to = to
        .iter()
        .map(|a| encode(a).replace("%40", "@"))
        .collect::<Vec<_>>()
        .join(",");
    let build = |shown: usize| {
        let body = encode(wording.body(&letter, false, shown).trim_end());
        format!("mailto:{to}?subject={subject}&body={body}")
    };
    let mut shown = letter.lines.len();
    let mut link = build(shown);
    while link.len() > MAILTO_MAX && shown > 0 {
        shown -= 1;
        link = build(shown);
    }
    Ok(link)
}

/// One draft of a batch, as listed in its summary and `index.html`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreparedEmail {
    pub action: String,
    pub customer: String,
    pub customer_name: String,
    /// What the e-mail asks for (decimal string) and its currency.
    pub amount: String,
    #[serde(skip)]
    #[ts(skip)]
    pub amount_minor: i64,
    pub currency: String,
    pub invoices: Vec<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub file_name: String,
    #[ts(type = "number")]
    pub size_bytes: i64,
    #[ts(type = "number")]
    pub document_id: i64,
}

/// An e-mail action the batch could not prepare, and why (in the owner's language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SkippedEmail {
    pub action: String,
    pub customer: String,
    pub customer_name: String,
    pub reason: String,
}

/// What a batch did: the drafts written, the actions skipped, the index file's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EmailBatch {
    pub as_of: NaiveDate,
    pub prepared: Vec<PreparedEmail>,
    pub skipped: Vec<SkippedEmail>,
    /// `index.html`, or empty when nothing was prepared (no file written).
    pub index_file: String,
}

/// Today's e-mail actions (all of them, those in `ids`, or those of `customer`) as `.eml`
/// drafts: for each, the letter composed for the action's invoices, its PDF archived and
/// attached, handed to `sink` (file name, bytes: the shell writes them), then an
/// `index.html` listing them; every draft logged "e-mail prepared" and its action marked
/// done, all in one transaction: if a file cannot be written nothing is logged. A customer
/// without any e-mail address is skipped and named, with the reason, in `lang`; the others
/// are prepared. An action id that is not an e-mail action of the day is refused.
pub fn prepare(
    conn: &mut Connection,
    as_of: NaiveDate,
    ids: Option<&[String]>,
    customer: Option<&str>,
    now_unix: i64,
    lang: Lang,
    sink: &mut crate::store::BatchSink,
) -> Result<EmailBatch> {
    use crate::dunning::{self, scenarios::Channel};
    let customer_id = customer
        .map(|r| crate::customers::id_by_ref(conn, "customer", r))
        .transpose()?;
    let tx = conn.transaction()?;
    // The actions asked for read with their customers' only (the whole day otherwise).
    let today = dunning::agenda_for(&tx, as_of, ids)?;
    let mut batch = EmailBatch {
        as_of,
        prepared: Vec::new(),
        skipped: Vec::new(),
        index_file: String::new(),
    };
    let mut seen = Vec::new();
    let asked: Option<std::collections::HashSet<&str>> =
        ids.map(|ids| ids.iter().map(String::as_str).collect());
    let mut names = std::collections::HashSet::new();
    for a in &today {
        let Some(kind) = archive::letter_kind_of(a.kind) else {
            continue;
        };
        if a.channel != Channel::Email
            || a.invoices.is_empty()
            || asked
                .as_ref()
                .is_some_and(|asked| !asked.contains(a.id.as_str()))
            || customer_id.is_some_and(|c| c != a.customer_id)
        {
            continue;
        }
        seen.push(a.id.clone());
        let letter = letters::compose_for_action(&tx, kind, a, as_of, true)?;
        let d = match draft_in(&tx, &letter, a.customer_id, now_unix) {
            Err(Error::Invalid { field, msg })
                if field == "customer" || field.ends_with("email") =>
            {
                batch.skipped.push(SkippedEmail {
                    action: a.id.clone(),
                    customer: a.customer.clone(),
                    customer_name: a.customer_name.clone(),
                    reason: Error::Invalid { field, msg }.message(lang),
                });
                continue;
            }
            other => other?,
        };
        let mut file_name = d.file_name.clone();
        if names.contains(&file_name) {
            file_name = archive::file_name(
                &[&as_of.to_string(), &a.customer, kind.code(), &a.currency],
                "eml",
            );
        }
        sink(&tx, &file_name, &d.eml)?;
        names.insert(file_name.clone());
        batch.prepared.push(PreparedEmail {
            action: a.id.clone(),
            customer: a.customer.clone(),
            customer_name: a.customer_name.clone(),
            amount: a.amount.clone(),
            amount_minor: a.amount_minor,
            currency: a.currency.clone(),
            invoices: letter.invoices.clone(),
            to: d.to,
            subject: d.subject,
            file_name,
            size_bytes: d.eml.len() as i64,
            document_id: d.document.id,
        });
    }
    let done: Vec<String> = batch.prepared.iter().map(|p| p.action.clone()).collect();
    archive::close_batch(&tx, as_of, &today, ids, &seen, &done)?;
    if !done.is_empty() {
        batch.index_file = "index.html".to_string();
        sink(&tx, &batch.index_file, index_html(&batch, lang).as_bytes())?;
    }
    tx.commit()?;
    Ok(batch)
}

/// `index.html` of a batch: one row per draft (customer, amount, invoices, a link to the
/// file), then the customers skipped and why. Opened in a browser beside the files.
pub fn index_html(batch: &EmailBatch, lang: Lang) -> String {
    let fr = lang == Lang::Fr;
    let tr = |f: &'static str, e: &'static str| if fr { f } else { e };
    let date = super::long_date(batch.as_of, lang);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} {}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ccc;padding:.3em .8em;text-align:left}}\
         td.r{{text-align:right}}</style></head><body>\n<h1>{} {}</h1>\n",
        lang.code(),
        tr("E-mails du", "E-mails of"),
        escape(&date),
        tr("E-mails préparés le", "E-mails prepared on"),
        escape(&date),
    );
    h.push_str(&format!(
        "<p>{}</p>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        tr(
            "Ouvrez chaque brouillon dans votre messagerie, relisez-le et envoyez-le.",
            "Open each draft in your mail client, read it over and send it."
        ),
        tr("Client", "Customer"),
        tr("Montant", "Amount"),
        tr("Factures", "Invoices"),
        tr("Destinataires", "To"),
        tr("Brouillon", "Draft"),
    ));
    for p in &batch.prepared {
        let href = encode(&p.file_name);
        h.push_str(&format!(
            "<tr><td>{} ({})</td><td class=\"r\">{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">{}</a></td></tr>\n",
            escape(&p.customer_name),
            escape(&p.customer),
            escape(&crate::money::Currency::parse(&p.currency).map_or_else(
                |_| format!("{} {}", p.amount, p.currency),
                |c| c.format_minor(p.amount_minor, lang),
            )),
            escape(&p.invoices.join(", ")),
            escape(&p.to.join(", ")),
            href,
            escape(&p.file_name),
        ));
    }
    h.push_str("</table>\n");
    if !batch.skipped.is_empty() {
        h.push_str(&format!(
            "<h2>{}</h2>\n<ul>\n",
            tr("Non préparés", "Not prepared")
        ));
        for s in &batch.skipped {
            h.push_str(&format!(
                "<li>{} ({}){} {}</li>\n",
                escape(&s.customer_name),
                escape(&s.customer),
                tr(" :", ":"),
                escape(&s.reason)
            ));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    /// The demo as loaded on 2026-11-22.
    fn demo() -> Connection {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        conn
    }

    fn count(conn: &Connection, kind: &str) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM journal WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// The header block's lines, raw (continuations start with a space); no line of the
    /// message over 998 octets.
    fn headers(eml: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(eml);
        assert!(text.split('\n').all(|l| l.len() <= 998));
        let text = text.replace("\r\n", "\n");
        let head = text.split("\n\n").next().unwrap();
        head.lines().map(str::to_string).collect()
    }

    /// Headers unfolded: one string per header.
    fn unfolded(eml: &[u8]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in headers(eml) {
            match (l.starts_with([' ', '\t']), out.last_mut()) {
                (true, Some(last)) => last.push_str(&l),
                _ => out.push(l),
            }
        }
        out
    }

    #[test]
    fn a_draft_carries_the_letter_and_is_logged_once_per_way() {
        let mut conn = demo();
        let as_of = day("2026-11-22");
        let d = draft(
            &mut conn,
            LetterKind::Courtesy,
            "F2026-0144",
            as_of,
            1_795_000_000,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(d.to, ["bureau@pasdedeux.fr"]);
        assert_eq!(d.subject, "Factures arrivant à échéance");
        assert_eq!(d.file_name, "2026-11-22-ECOL10-courtesy.eml");
        assert!(d.text.starts_with("Bonjour,\n\n"), "{}", d.text);
        assert!(d.text.contains("- F2026-0145 du 27/10/2026"), "{}", d.text);
        assert!(d.text.trim_end().ends_with("Cordialement,\nAtelier Lumen"));
        let h = headers(&d.eml);
        for want in [
            "X-Unsent: 1",
            "MIME-Version: 1.0",
            "Subject: =?utf-8?",
            "Content-Language: fr",
        ] {
            assert!(h.iter().any(|l| l.starts_with(want)), "{want} in {h:?}");
        }
        let body = String::from_utf8_lossy(&d.eml);
        for part in [
            "multipart/mixed",
            "multipart/alternative",
            "text/html",
            "application/pdf",
        ] {
            assert!(body.contains(part), "{part}");
        }
        // Archived and logged "e-mail prepared" once, however often it is drafted today.
        assert_eq!(d.document.invoices, ["F2026-0144", "F2026-0145"]);
        let again = draft(
            &mut conn,
            LetterKind::Courtesy,
            "F2026-0145",
            as_of,
            1_795_000_100,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(again.document.id, d.document.id);
        assert_eq!(count(&conn, "email_prepared"), 1);
        // The same letter printed too: the same document, its own "letter sent" entry.
        let (printed, _) = archive::produce(
            &mut conn,
            LetterKind::Courtesy,
            "F2026-0144",
            as_of,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(printed.document.id, d.document.id);
        assert_eq!(count(&conn, "document_sent"), 1);
        assert_eq!(count(&conn, "email_prepared"), 1);
        // The preview says what the draft says, and writes nothing.
        let p = preview(&conn, LetterKind::Courtesy, "F2026-0144", as_of).unwrap();
        assert_eq!(
            (p.to, p.subject, p.text),
            (d.to.clone(), d.subject.clone(), d.text.clone())
        );
        // A mailto link: no attachment, and the body promises none; nothing logged.
        assert_eq!(p.attachment, "rappel-courtois-F2026-0144-F2026-0145.pdf");
        let link = mailto(&conn, LetterKind::Courtesy, "F2026-0144", as_of).unwrap();
        assert!(link.starts_with("mailto:bureau@pasdedeux.fr?subject=Factures%20arrivant%20%C3%A0"));
        assert!(!link.contains(&encode("joint")) && !link.contains(&encode("pièce jointe")));
        assert!(link.len() <= MAILTO_MAX);
        assert_eq!(count(&conn, "email_prepared"), 1);
    }

    #[test]
    fn nothing_from_a_customer_record_can_add_a_header() {
        let mut conn = demo();
        let as_of = day("2026-11-22");
        // A name with quotes, a comma, a semicolon and accents is encoded, not split.
        conn.execute(
            "UPDATE customers SET name = 'Dupont, \"Fils\" & Cie; Émile' WHERE reference = 'ECOL10'",
            [],
        )
        .unwrap();
        let d = draft(
            &mut conn,
            LetterKind::Courtesy,
            "F2026-0144",
            as_of,
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let h = headers(&d.eml);
        let u = unfolded(&d.eml);
        let to: Vec<&String> = u.iter().filter(|l| l.starts_with("To:")).collect();
        assert_eq!(to.len(), 1);
        assert!(
            to[0].contains("<bureau@pasdedeux.fr>") && !to[0].contains("Émile"),
            "{to:?}"
        );
        assert!(
            h.iter().all(|l| l.starts_with(' ')
                || [
                    "To:",
                    "Subject:",
                    "Date:",
                    "X-Unsent:",
                    "Content-Language:",
                    "From:",
                    "Message-ID:",
                    "MIME-Version:",
                    "Content-Type:"
                ]
                .iter()
                .any(|p| l.starts_with(p))),
            "{h:?}"
        );
        // Line breaks written into the record behind the app's back are refused, not sent.
        for (column, value) in [
            ("name", "Evil\r\nBcc: spy@example.com"),
            ("email", "bureau@pasdedeux.fr\r\nBcc: spy@example.com"),
            ("contact_email", "a@b.fr>, <spy@example.com"),
        ] {
            let mut c = demo();
            c.execute(
                &format!("UPDATE customers SET {column} = ?1 WHERE reference = 'ECOL10'"),
                [value],
            )
            .unwrap();
            let e = draft(
                &mut c,
                LetterKind::Courtesy,
                "F2026-0144",
                as_of,
                0,
                &mut |_, _| Ok(()),
            )
            .unwrap_err();
            assert!(matches!(e, Error::Invalid { .. }), "{column}: {e:?}");
            assert_eq!(count(&c, "email_prepared"), 0, "{column}");
        }
    }

    #[test]
    fn the_owners_wording_makes_the_subject_and_both_bodies() {
        let mut conn = demo();
        let as_of = day("2026-11-22");
        templates::set(
            &conn,
            "courtesy",
            "fr",
            "email_subject",
            "Échéance proche : {total_due}",
        )
        .unwrap();
        templates::set(
            &conn,
            "courtesy",
            "fr",
            "email_body",
            "Bonjour {customer},\n\nPetit rappel :\n{invoices}\n\n{payment}\n{attachment}\n\nÀ bientôt,\n{signature}",
        )
        .unwrap();
        let d = draft(
            &mut conn,
            LetterKind::Courtesy,
            "F2026-0144",
            as_of,
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(d.subject, "Échéance proche\u{a0}: 9\u{202f}090,65\u{a0}€");
        assert!(d.text.starts_with(
            "Bonjour École de danse Pas de Deux,\n\nPetit rappel\u{a0}:\n- F2026-0144"
        ));
        assert!(d.text.contains("IBAN FR76"));
        let html = html_of(&d.text);
        assert!(
            html.contains("<p>Petit rappel\u{a0}:</p>\n<ul>\n<li>F2026-0144"),
            "{html}"
        );
        assert!(
            html.contains("<p>À bientôt,<br>\nAtelier Lumen</p>"),
            "{html}"
        );
        // The link uses the same wording.
        let link = mailto(&conn, LetterKind::Courtesy, "F2026-0144", as_of).unwrap();
        assert!(link.contains(&encode("Échéance proche")));
        // A block placeholder is refused in a letter's paragraph.
        assert!(templates::set(&conn, "courtesy", "fr", "opening", "{invoices}").is_err());
    }

    #[test]
    fn a_batch_names_who_it_skipped_and_is_all_or_nothing() {
        let as_of = day("2026-11-30");
        let mut conn = demo();
        conn.execute(
            "UPDATE customers SET email = '', contact_email = '' WHERE reference = 'SPOR18'",
            [],
        )
        .unwrap();
        let emails = |c: &Connection| -> Vec<String> {
            crate::dunning::agenda(c, as_of)
                .unwrap()
                .into_iter()
                .filter(|a| a.channel == crate::dunning::scenarios::Channel::Email)
                .map(|a| a.id)
                .collect()
        };
        let before = emails(&conn);
        // ECOL10, FROM09 and SPOR18 (FEST15's courtesy e-mail goes with its formal demand).
        assert_eq!(before.len(), 3, "{before:?}");
        let done_before = count(&conn, "action_done");
        // A file that cannot be written: nothing archived, logged or done.
        let mut n = 0;
        let e = prepare(&mut conn, as_of, None, None, 0, Lang::En, &mut |_, _, _| {
            n += 1;
            if n == 2 {
                Err(Error::invalid("dir", Msg::CannotWrite("/x".into())))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }));
        assert_eq!(count(&conn, "email_prepared"), 0);
        assert_eq!(count(&conn, "action_done"), done_before);
        assert_eq!(
            conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            0
        );
        assert_eq!(emails(&conn), before);
        // Then for real: two drafts and the index, the customer without an address named.
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let batch = prepare(
            &mut conn,
            as_of,
            None,
            None,
            0,
            Lang::En,
            &mut |_, name, bytes| {
                files.push((name.to_string(), bytes.to_vec()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(batch.prepared.len(), 2);
        assert_eq!(batch.skipped.len(), 1);
        assert_eq!(batch.skipped[0].customer, "SPOR18");
        assert!(
            batch.skipped[0].reason.contains("has no e-mail address"),
            "{:?}",
            batch.skipped
        );
        assert_eq!(files.len(), 3);
        assert_eq!(files[2].0, "index.html");
        let index = String::from_utf8(files[2].1.clone()).unwrap();
        for p in &batch.prepared {
            assert!(
                index.contains(&format!("href=\"{}\"", p.file_name)),
                "{index}"
            );
        }
        assert!(index.contains("Not prepared") && index.contains("SPOR18"));
        assert_eq!(count(&conn, "email_prepared"), 2);
        // The prepared actions are done; the skipped one stays on the agenda.
        let left = emails(&conn);
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with("SPOR18/"));
        // An action that is not an e-mail action of the day is refused.
        let e = prepare(
            &mut conn,
            as_of,
            Some(&["NOPE/x/email".to_string()]),
            None,
            0,
            Lang::Fr,
            &mut |_, _, _| Ok(()),
        )
        .unwrap_err();
        assert!(e.message(Lang::Fr).contains("NOPE"), "{e:?}");
    }
}
