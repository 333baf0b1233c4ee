//! Letters: what they say ([`compose`]) and how they look ([`render`]).
//!
//! A letter covers the named invoice and the customer's other invoices at the same stage in
//! the same currency: not yet due for a courtesy reminder, overdue for the others. It is
//! written in the customer's letter language. The formal demand states the debt invoice by
//! invoice, the late-payment interest to the letter's date and the fixed indemnity (see
//! [`crate::interest`]), the total claimed and the deadline (setting `formal_demand_days`).

use super::pdf::{self, Align, Item, PAGE_H, PAGE_W};
use super::{long_date, short_date};
use crate::error::{Error, Lang, Msg, Result};
use crate::interest::{self, Jurisdiction};
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The kinds of letter, firmer step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    Courtesy,
    Reminder,
    FinalNotice,
    FormalDemand,
    /// A statement of account: every open item, aged.
    Statement,
}

impl LetterKind {
    pub fn parse(field: &str, s: &str) -> Result<LetterKind> {
        match s.trim().replace('-', "_").as_str() {
            "courtesy" => Ok(LetterKind::Courtesy),
            "reminder" => Ok(LetterKind::Reminder),
            "final_notice" => Ok(LetterKind::FinalNotice),
            "formal_demand" => Ok(LetterKind::FormalDemand),
            "statement" => Ok(LetterKind::Statement),
            _ => Err(Error::invalid(
                field,
                Msg::OneOf(vec![
                    "courtesy",
                    "reminder",
                    "final-notice",
                    "formal-demand",
                ]),
            )),
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            LetterKind::Courtesy => "courtesy",
            LetterKind::Reminder => "reminder",
            LetterKind::FinalNotice => "final_notice",
            LetterKind::FormalDemand => "formal_demand",
            LetterKind::Statement => "statement",
        }
    }
}

/// One invoice in a letter's table; amounts formatted for the letter's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LetterLine {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    pub total: String,
    pub paid: String,
    pub balance: String,
    /// Days past the due date (0 when not yet due).
    #[ts(type = "number")]
    pub days_late: i64,
    /// Interest and indemnity on this invoice (formal demand only).
    pub penalties: Option<String>,
}

/// Everything a letter says, before layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Letter {
    pub kind: LetterKind,
    pub lang: Lang,
    pub as_of: NaiveDate,
    pub customer: String,
    pub invoices: Vec<String>,
    pub sender: Vec<String>,
    pub recipient: Vec<String>,
    pub place_date: String,
    /// "Lettre recommandée avec accusé de réception" on a formal demand.
    pub mention: Option<String>,
    pub subject: String,
    pub before: Vec<String>,
    pub headers: Vec<String>,
    pub lines: Vec<LetterLine>,
    /// (label, amount) under the table.
    pub totals: Vec<(String, String)>,
    /// How the interest was computed, one line per period (formal demand).
    pub breakdown: Vec<String>,
    pub after: Vec<String>,
    /// Invoices not yet due named for information only, under the claim ("Pour information,
    /// la facture … arrive à échéance le …"): never in the table, the totals or the interest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub for_information: Vec<String>,
    /// The sentence naming them (empty when there are none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub information: String,
    pub signature: String,
    pub footer: String,
    pub currency: String,
    /// Principal still due, interest, indemnity, and what the letter claims: minor units.
    #[ts(type = "number")]
    pub due_minor: i64,
    #[ts(type = "number")]
    pub interest_minor: i64,
    #[ts(type = "number")]
    pub indemnity_minor: i64,
    #[ts(type = "number")]
    pub claimed_minor: i64,
    pub deadline: Option<NaiveDate>,
    /// The envelope's address window is on the left (DIN 5008) rather than the right.
    pub window_left: bool,
    /// The company's logo (PNG or JPEG bytes), drawn at the top right of the first page.
    #[serde(skip)]
    #[ts(skip)]
    pub logo: Option<std::sync::Arc<Vec<u8>>>,
    /// The values of the wording's placeholders (see [`super::templates`]), for e-mails.
    #[serde(skip)]
    #[ts(skip)]
    pub values: Vec<(&'static str, String)>,
    /// The RF payment reference allocated for exactly this letter's invoices (one invoice:
    /// the invoice's own), printed with the way to pay and in the EPC QR code.
    pub reference: String,
    /// The EPC QR code's modules (euro letters, when the company's IBAN is set).
    #[serde(skip)]
    #[ts(skip)]
    pub qr: Option<Vec<Vec<bool>>>,
    /// How to pay ("Règlement par virement : IBAN …"), empty when no IBAN is set.
    #[serde(skip)]
    #[ts(skip)]
    pub payment: String,
    /// "Aperçu au …, non envoyé": a letter composed for another day than today, printed
    /// with this banner and never archived.
    #[serde(skip)]
    #[ts(skip)]
    pub preview: Option<String>,
    /// Warnings about the figures (a reference rate not checked for over six months), in the
    /// owner's language (the `ui_language` setting): the shells show them before the letter
    /// goes out, the letter never prints them.
    pub warnings: Vec<String>,
}

impl Letter {
    /// Marks the letter as a preview (see [`Letter::preview`]).
    pub fn mark_preview(&mut self) {
        let date = short_date(self.as_of, self.lang);
        self.preview = Some(if self.lang == Lang::Fr {
            format!("APERÇU au {date} — document non envoyé, non archivé")
        } else {
            format!("PREVIEW as of {date} — not sent, not archived")
        });
    }

    /// What the letter says, as one string: its kind, date, parties, wording, every line
    /// and figure. Two letters with the same key print the same; the archive keys "the same
    /// letter again" on it.
    pub fn content_key(&self) -> String {
        let mut key = serde_json::to_string(self).unwrap_or_default();
        key.push_str(&self.payment);
        if let Some(logo) = &self.logo {
            key.push_str(&format!("|logo:{}", logo.len()));
        }
        key
    }
}

struct Row {
    number: String,
    issue: NaiveDate,
    due: NaiveDate,
    total: i64,
    settled: i64,
}

fn t(lang: Lang, fr: &str, en: &str) -> String {
    if lang == Lang::Fr { fr } else { en }.to_string()
}

/// Gathers and computes a letter of `kind` about `invoice` as of `as_of`. Refused, with
/// nothing written: an unknown, paid or disputed invoice; a courtesy reminder for an
/// overdue invoice or a reminder for one not yet due; an as-of date before the issue date;
/// a customer without a postal address; no company name or address in Settings.
pub fn compose(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
) -> Result<Letter> {
    compose_with(conn, kind, invoice, as_of, None)
}

/// A statement of account of the customer `reference`: every open invoice in `currency`
/// (default: the company's), its payments and credit notes, days late, the aged balance.
pub fn statement(
    conn: &Connection,
    reference: &str,
    currency: Option<&str>,
    as_of: NaiveDate,
) -> Result<Letter> {
    let first = first_open_invoice(conn, reference, currency, as_of)?;
    compose_with(conn, LetterKind::Statement, &first, as_of, None)
}

/// The customer's open invoice due first in `currency` (default: the company's): where a
/// statement of account starts. None open: a refusal.
pub fn first_open_invoice(
    conn: &Connection,
    reference: &str,
    currency: Option<&str>,
    as_of: NaiveDate,
) -> Result<String> {
    let customer_id = crate::customers::id_by_ref(conn, "customer", reference)?;
    let currency = match currency {
        Some(c) => Currency::parse(c)?,
        None => crate::settings::default_currency(conn)?,
    };
    let at = crate::invoices::AsOf::new(conn, as_of)?;
    // Every per-customer read of a letter starts from the customer's invoices: left to
    // itself, SQLite reads every invoice of the currency issued by the date through the
    // billing index, once per letter (a batch of 1,081 letters ran for more than 15 minutes
    // on a ledger of 1,000,000 invoices; `views::growth` counts it).
    let first: Option<String> = conn
        .query_row(
            &format!(
                "SELECT i.number FROM invoices i INDEXED BY invoices_customer
                  WHERE i.customer_id = ?1 AND i.currency = ?2
                   AND {} ORDER BY i.due_date, i.number LIMIT 1",
                at.owed()
            ),
            crate::store::sql::params![customer_id, currency.code()],
            |r| r.get(0),
        )
        .optional()?;
    first.ok_or_else(|| Error::invalid("customer", Msg::NoOpenInvoices))
}

/// What a letter composed for an agenda action covers: only the invoices it claims, and
/// those it names for information (not yet due).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cover<'a> {
    pub only: Option<&'a [String]>,
    pub for_information: &'a [String],
}

impl<'a> Cover<'a> {
    /// What an agenda action covers.
    pub fn of_action(a: &'a crate::dunning::Action) -> Cover<'a> {
        Cover {
            only: Some(&a.invoices),
            for_information: &a.for_information,
        }
    }
}

/// [`compose`], covering only the invoices in `only` (an agenda action's invoices) when given.
pub fn compose_with(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
    only: Option<&[String]>,
) -> Result<Letter> {
    let cover = Cover {
        only,
        ..Default::default()
    };
    compose_inner(conn, kind, invoice, as_of, cover, true)
}

/// The letter (`for_email`: the e-mail) an agenda action sends.
pub fn compose_for_action(
    conn: &Connection,
    kind: LetterKind,
    action: &crate::dunning::Action,
    as_of: NaiveDate,
    for_email: bool,
) -> Result<Letter> {
    let head = action
        .invoices
        .first()
        .ok_or_else(|| Error::invalid("action", Msg::UnknownAction(action.id.clone())))?;
    compose_inner(
        conn,
        kind,
        head,
        as_of,
        Cover::of_action(action),
        !for_email,
    )
}

/// [`compose_with`] for an e-mail: the customer needs no postal address.
pub fn compose_for_email(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
    only: Option<&[String]>,
) -> Result<Letter> {
    let cover = Cover {
        only,
        ..Default::default()
    };
    compose_inner(conn, kind, invoice, as_of, cover, false)
}

fn compose_inner(
    conn: &Connection,
    kind: LetterKind,
    invoice: &str,
    as_of: NaiveDate,
    cover: Cover,
    need_address: bool,
) -> Result<Letter> {
    let only = cover.only;
    let head = crate::invoices::stored_by_number(conn, "invoice", invoice)?;
    head.refuse_before_issue(as_of)?;
    let at = crate::invoices::AsOf::new(conn, as_of)?;
    let statement = kind == LetterKind::Statement;
    if statement {
        let owed: bool = conn.query_row(
            &format!("SELECT {} FROM invoices i WHERE i.id = ?1", at.owed()),
            [head.id],
            |r| r.get(0),
        )?;
        if !owed {
            return Err(Error::invalid("invoice", Msg::InvoiceSettled));
        }
    } else {
        crate::invoices::refuse_unclaimable(conn, head.id, &at)?;
    }
    let overdue = head.due_date < as_of;
    match (kind, overdue) {
        (LetterKind::Statement, _) => {}
        (LetterKind::Courtesy, true) => return Err(Error::invalid("kind", Msg::LetterForOverdue)),
        (LetterKind::Courtesy, false) => {}
        (_, false) => return Err(Error::invalid("kind", Msg::LetterForNotDue)),
        (_, true) => {}
    }
    let settings = crate::settings::get(conn)?;
    if settings.company_name.trim().is_empty() || settings.address.trim().is_empty() {
        return Err(Error::invalid("settings", Msg::CompanyIncomplete));
    }
    let c = crate::customers::get(conn, head.customer_id)?;
    if need_address && (c.address.trim().is_empty() || c.city.trim().is_empty()) {
        return Err(Error::invalid(
            "customer",
            Msg::NoPostalAddress(c.name.clone()),
        ));
    }
    let lang = c.language;
    let currency_code = head.currency.clone();
    let currency = Currency::parse(&currency_code)?;
    let money = |minor: i64| currency.format_minor(minor, lang);
    let rows = covered_invoices(conn, kind, &head, &at, only)?;
    let informed = if kind == LetterKind::Courtesy || cover.for_information.is_empty() {
        Vec::new()
    } else {
        not_yet_due(conn, &head, &at, cover.for_information)?
    };
    let information = information_sentence(&informed, lang, currency);
    let Figures {
        lines,
        breakdown,
        due_minor,
        interest_minor,
        indemnity_minor,
        jurisdiction,
        warnings,
    } = figures(conn, kind, &rows, as_of, currency, lang)?;
    let claimed_minor = due_minor + interest_minor + indemnity_minor;
    let deadline = match kind {
        LetterKind::Courtesy | LetterKind::Statement => None,
        LetterKind::FormalDemand => Some(as_of + Duration::days(settings.formal_demand_days)),
        _ => Some(as_of + Duration::days(8)),
    };
    let deadline_text = deadline.map(|d| long_date(d, lang)).unwrap_or_default();

    let (sender, footer) = company_lines(&settings, lang);
    let recipient = recipient_lines(&c, &settings, lang);

    let place = if settings.city.is_empty() {
        String::new()
    } else {
        settings.city.clone()
    };
    let date = long_date(as_of, lang);
    let place_date = match (lang, place.is_empty()) {
        (_, true) => date.clone(),
        (Lang::Fr, false) => format!("{place}, le {date}"),
        (Lang::En, false) => format!("{place}, {date}"),
    };
    let sterling = crate::bank::epc::sterling_details(&settings, &currency_code, lang);
    let pay = if let Some(details) = sterling {
        if lang == Lang::Fr {
            format!("Règlement par virement : {details}.")
        } else {
            format!("Payment by bank transfer: {details}.")
        }
    } else if settings.iban.is_empty() {
        String::new()
    } else {
        let bic = if settings.bic.is_empty() {
            String::new()
        } else {
            format!(" (BIC {})", settings.bic)
        };
        if lang == Lang::Fr {
            format!("Règlement par virement : IBAN {}{bic}.", settings.iban)
        } else {
            format!("Payment by bank transfer: IBAN {}{bic}.", settings.iban)
        }
    };
    let due_text = money(due_minor);
    let words = Words {
        date: date.clone(),
        due: due_text.clone(),
        claimed: money(claimed_minor),
        interest: money(interest_minor),
        indemnity: (indemnity_minor > 0).then(|| money(indemnity_minor)),
        deadline: deadline_text.clone(),
        days: settings.formal_demand_days,
        jurisdiction,
        single: rows.len() == 1,
    };
    let (subject, mention, mut before, mut after) = wording(kind, lang, &words);
    let closing = t(
        lang,
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "Yours faithfully,",
    );
    // The owner's own wording, where they wrote one (checked when saved).
    let values = [
        ("customer", c.name.clone()),
        ("company", settings.company_name.clone()),
        ("total_due", due_text.clone()),
        ("deadline", deadline_text.clone()),
        ("date", date.clone()),
        ("days", settings.formal_demand_days.to_string()),
        ("claimed", money(claimed_minor)),
        ("interest", money(interest_minor)),
        ("indemnity", money(indemnity_minor)),
        ("invoice_count", rows.len().to_string()),
    ];
    let own = |part: &str| -> Result<Option<String>> {
        Ok(super::templates::get(conn, kind, lang, part)?
            .map(|b| super::templates::fill(&b, &values)))
    };
    let subject = own("subject")?.unwrap_or(subject);
    if let (Some(text), Some(p)) = (own("opening")?, before.get_mut(1)) {
        *p = text;
    }
    if let (Some(text), Some(p)) = (own("request")?, after.get_mut(0)) {
        *p = text;
    }
    if !pay.is_empty() {
        after.push(pay.clone());
    }
    after.push(closing);
    before.retain(|p| !p.is_empty());

    let mut headers = if lang == Lang::Fr {
        vec![
            "Facture",
            "Date",
            "Échéance",
            "Montant",
            "Réglé",
            "Reste dû",
            "Retard (j)",
        ]
    } else {
        vec![
            "Invoice",
            "Date",
            "Due",
            "Amount",
            "Paid",
            "Balance",
            "Days late",
        ]
    };
    if kind == LetterKind::Courtesy {
        headers.pop();
    }
    let totals = totals_of(kind, lang, &rows, as_of, &words, currency);
    // French typography on every sentence the letter prints (no-break spaces before ":"
    // and inside « »), the owner's wording included.
    let fix = |s: String| match lang {
        Lang::Fr => crate::error::french_spaces(&s),
        Lang::En => s,
    };
    let subject = fix(subject);
    let before: Vec<String> = before.into_iter().map(fix).collect();
    let after: Vec<String> = after.into_iter().map(fix).collect();
    let breakdown: Vec<String> = breakdown.into_iter().map(fix).collect();
    let information = fix(information);
    let totals: Vec<(String, String)> = totals.into_iter().map(|(l, a)| (fix(l), a)).collect();
    // The payment reference of exactly these invoices, and the EPC QR code asking for what
    // the letter claims (euros, with the company's IBAN).
    let mut ids = Vec::new();
    for r in &rows {
        ids.push(conn.query_row(
            "SELECT id FROM invoices WHERE number = ?1",
            [&r.number],
            |x| x.get::<_, i64>(0),
        )?);
    }
    let reference = if ids.is_empty() {
        String::new()
    } else {
        crate::bank::store::references_for(conn, &ids)?
    };
    let qr = crate::bank::epc::company_code(&settings, &currency_code, claimed_minor, &reference);
    Ok(Letter {
        kind,
        lang,
        as_of,
        customer: c.reference.clone(),
        invoices: rows.iter().map(|r| r.number.clone()).collect(),
        sender,
        recipient,
        place_date,
        mention,
        subject,
        before,
        headers: headers.into_iter().map(str::to_string).collect(),
        lines,
        totals,
        breakdown,
        after,
        for_information: informed.iter().map(|r| r.number.clone()).collect(),
        information,
        signature: settings.company_name.clone(),
        footer,
        currency: currency_code,
        due_minor,
        interest_minor,
        indemnity_minor,
        claimed_minor,
        deadline,
        window_left: settings.letter_window == "left",
        logo: crate::settings::logo(conn)?.map(|(_, bytes)| std::sync::Arc::new(bytes)),
        values: values.to_vec(),
        reference,
        qr,
        payment: pay,
        preview: None,
        warnings,
    })
}

/// What a letter's invoices come to as of the date, before any wording: a table line per
/// invoice, and for a formal demand the interest and indemnity of each (with the breakdown
/// by period and rate) and the warnings on those figures (in the owner's language).
struct Figures {
    lines: Vec<LetterLine>,
    breakdown: Vec<String>,
    due_minor: i64,
    interest_minor: i64,
    indemnity_minor: i64,
    jurisdiction: Jurisdiction,
    warnings: Vec<String>,
}

/// The [`Figures`] of `rows` (what [`covered_invoices`] chose) as of `as_of`, amounts in
/// `currency` written for a reader of `lang`.
fn figures(
    conn: &Connection,
    kind: LetterKind,
    rows: &[Row],
    as_of: NaiveDate,
    currency: Currency,
    lang: Lang,
) -> Result<Figures> {
    let money = |minor: i64| currency.format_minor(minor, lang);
    let formal = kind == LetterKind::FormalDemand;
    let mut lines = Vec::new();
    let mut breakdown = Vec::new();
    let (mut due_minor, mut interest_minor, mut indemnity_minor) = (0i64, 0i64, 0i64);
    let mut jurisdiction = Jurisdiction::France;
    let mut warnings: Vec<String> = Vec::new();
    let owner = crate::settings::ui_language(conn);
    for r in rows {
        let balance = r.total - r.settled;
        due_minor = crate::money::checked_total([due_minor, balance])?;
        let mut penalties = None;
        // A penalty invoice is claimed as it is: no interest on interest.
        let penalty = match crate::invoices::find_id(conn, &r.number)? {
            Some(id) => interest::is_penalty_invoice(conn, id)?,
            None => false,
        };
        if formal && !penalty {
            let (_, terms, p) = interest::of_invoice(conn, &r.number, as_of, Some(as_of))?;
            for w in &p.warnings {
                let text = w.text(owner);
                if !warnings.contains(&text) {
                    warnings.push(text);
                }
            }
            jurisdiction = terms.jurisdiction;
            interest_minor += p.interest_minor;
            indemnity_minor += p.indemnity_minor;
            penalties = Some(money(p.total_minor()));
            for q in &p.periods {
                let rate = q.rate.normalize().to_string();
                let rate = if lang == Lang::Fr {
                    rate.replace('.', ",")
                } else {
                    rate
                };
                breakdown.push(if lang == Lang::Fr {
                    format!(
                        "{} : du {} au {}, {} j à {} % l'an sur {}",
                        r.number,
                        short_date(q.from, lang),
                        short_date(q.to, lang),
                        q.days,
                        rate,
                        money(q.base_minor)
                    )
                } else {
                    format!(
                        "{}: {} to {}, {} days at {} % a year on {}",
                        r.number,
                        short_date(q.from, lang),
                        short_date(q.to, lang),
                        q.days,
                        rate,
                        money(q.base_minor)
                    )
                });
            }
        }
        lines.push(LetterLine {
            number: r.number.clone(),
            issue_date: short_date(r.issue, lang),
            due_date: short_date(r.due, lang),
            total: money(r.total),
            paid: money(r.settled),
            balance: money(balance),
            days_late: (as_of - r.due).num_days().max(0),
            penalties,
        });
    }
    Ok(Figures {
        lines,
        breakdown,
        due_minor,
        interest_minor,
        indemnity_minor,
        jurisdiction,
        warnings,
    })
}

/// The figures a letter's sentences name, already written for its reader.
#[derive(Clone)]
struct Words {
    date: String,
    due: String,
    claimed: String,
    interest: String,
    /// `None` when no indemnity is owed: the sentence does not name one.
    indemnity: Option<String>,
    deadline: String,
    days: i64,
    jurisdiction: Jurisdiction,
    /// One invoice: the sentences speak of "la facture ci-dessous", not "les factures".
    single: bool,
}

/// The standard wording of a letter of `kind` in `lang`: subject, the mention above it
/// (recorded delivery), the paragraphs before the table and after it (the request first;
/// the closing is added by the caller after the owner's own wording and payment details).
fn wording(
    kind: LetterKind,
    lang: Lang,
    w: &Words,
) -> (String, Option<String>, Vec<String>, Vec<String>) {
    let greeting = t(lang, "Madame, Monsieur,", "Dear Sir or Madam,");
    let Words {
        date,
        due: due_text,
        claimed,
        interest,
        indemnity,
        deadline: deadline_text,
        days,
        jurisdiction,
        single,
    } = w;
    // The sentence for one invoice, or for several.
    let n = |one: &str, many: &str| -> String { if *single { one } else { many }.to_string() };
    match kind {
        LetterKind::Statement => (
            if lang == Lang::Fr {
                format!("Objet : relevé de compte au {date}")
            } else {
                format!("Subject: statement of account at {date}")
            },
            None,
            vec![
                greeting,
                t(lang,
                  "Veuillez trouver ci-dessous le relevé des factures restant à régler sur votre compte, avec leur ancienneté.",
                  "Please find below the invoices still open on your account, with their age."),
            ],
            vec![t(lang,
                   "Si un règlement nous est parvenu entre-temps, merci de ne pas en tenir compte. Pour toute question sur ce relevé, nous restons à votre disposition.",
                   "If a payment has reached us in the meantime, please disregard it. We remain at your disposal for any question about this statement.")],
        ),
        LetterKind::Courtesy => (
            match lang {
                Lang::Fr => n("Objet : facture arrivant à échéance", "Objet : factures arrivant à échéance"),
                Lang::En => n("Subject: invoice falling due", "Subject: invoices falling due"),
            },
            None,
            vec![
                greeting,
                match lang {
                    Lang::Fr => n(
                        "La facture ci-dessous arrive prochainement à échéance. Pourriez-vous nous confirmer que vous l'avez bien reçue et que rien ne s'oppose à son règlement à la date prévue ?",
                        "Les factures ci-dessous arrivent prochainement à échéance. Pourriez-vous nous confirmer que vous les avez bien reçues et que rien ne s'oppose à leur règlement à la date prévue ?",
                    ),
                    Lang::En => n(
                        "The invoice below falls due shortly. Could you confirm that you have received it and that nothing stands in the way of its payment on the due date?",
                        "The invoices below fall due shortly. Could you confirm that you have received them and that nothing stands in the way of their payment on the due date?",
                    ),
                },
            ],
            vec![
                t(lang,
                  "Nous vous remercions de votre confiance et restons à votre disposition pour toute question.",
                  "Thank you for your business; we remain at your disposal for any question."),
            ],
        ),
        LetterKind::Reminder => (
            match lang {
                Lang::Fr => n("Objet : relance pour facture échue", "Objet : relance pour factures échues"),
                Lang::En => n("Subject: reminder of an overdue invoice", "Subject: reminder of overdue invoices"),
            },
            None,
            vec![
                greeting,
                match (lang, single) {
                    (Lang::Fr, true) => format!("Sauf erreur de notre part, la facture ci-dessous, arrivée à échéance, reste impayée à ce jour pour un montant de {due_text}."),
                    (Lang::Fr, false) => format!("Sauf erreur de notre part, les factures ci-dessous, arrivées à échéance, restent impayées à ce jour pour un montant total de {due_text}."),
                    (Lang::En, true) => format!("Unless we are mistaken, the invoice below is past its due date and remains unpaid, for {due_text}."),
                    (Lang::En, false) => format!("Unless we are mistaken, the invoices below are past their due date and remain unpaid, for a total of {due_text}."),
                },
            ],
            vec![if lang == Lang::Fr {
                let leur = if *single { "son" } else { "leur" };
                format!("Nous vous remercions de bien vouloir procéder à {leur} règlement au plus tard le {deadline_text}. Si votre paiement nous est parvenu entre-temps, merci de ne pas tenir compte de ce courrier.")
            } else {
                format!("Please arrange payment by {deadline_text} at the latest. If your payment has reached us in the meantime, please disregard this letter.")
            }],
        ),
        LetterKind::FinalNotice => (
            t(lang, "Objet : dernier rappel avant mise en demeure", "Subject: final notice before formal demand"),
            None,
            vec![
                greeting,
                match (lang, single) {
                    (Lang::Fr, true) => format!("Malgré nos précédentes relances, la facture ci-dessous reste impayée pour un montant de {due_text}."),
                    (Lang::Fr, false) => format!("Malgré nos précédentes relances, les factures ci-dessous restent impayées pour un montant total de {due_text}."),
                    (Lang::En, true) => format!("Despite our previous reminders, the invoice below remains unpaid, for {due_text}."),
                    (Lang::En, false) => format!("Despite our previous reminders, the invoices below remain unpaid, for a total of {due_text}."),
                },
            ],
            vec![if lang == Lang::Fr {
                format!("Nous vous demandons de régler cette somme au plus tard le {deadline_text}. À défaut, nous vous adresserons une mise en demeure, et les intérêts de retard ainsi que l'indemnité forfaitaire pour frais de recouvrement prévus par la loi vous seront réclamés.")
            } else {
                format!("We ask you to pay this amount by {deadline_text} at the latest. Failing that, we will send you a formal demand, and the late-payment interest and fixed recovery costs provided by law will be claimed.")
            }],
        ),
        LetterKind::FormalDemand => {
            // The indemnity is named only when one is owed (never to a private individual,
            // nor on an invoice in another currency than the law's).
            let mut after = vec![match (lang, indemnity) {
                (Lang::Fr, Some(indemnity)) => format!("Par la présente, nous vous mettons en demeure de nous régler la somme de {claimed}, soit {due_text} en principal, {interest} d'intérêts de retard arrêtés au {date} et {indemnity} d'indemnité forfaitaire pour frais de recouvrement, dans un délai de {days} jours à compter de la réception de la présente, soit au plus tard le {deadline_text}."),
                (Lang::Fr, None) => format!("Par la présente, nous vous mettons en demeure de nous régler la somme de {claimed}, soit {due_text} en principal et {interest} d'intérêts de retard arrêtés au {date}, dans un délai de {days} jours à compter de la réception de la présente, soit au plus tard le {deadline_text}."),
                (Lang::En, Some(indemnity)) => format!("We hereby formally demand payment of {claimed}, being {due_text} of principal, {interest} of late-payment interest to {date} and {indemnity} of fixed recovery costs, within {days} days of receipt of this letter, that is by {deadline_text} at the latest."),
                (Lang::En, None) => format!("We hereby formally demand payment of {claimed}, being {due_text} of principal and {interest} of late-payment interest to {date}, within {days} days of receipt of this letter, that is by {deadline_text} at the latest."),
            }];
            after.push(match (jurisdiction, lang) {
                (Jurisdiction::France, Lang::Fr) => "À défaut de paiement dans ce délai, nous saisirons sans autre avis le tribunal compétent d'une requête en injonction de payer. Les intérêts continueront de courir jusqu'au complet paiement. La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil.".to_string(),
                (Jurisdiction::France, Lang::En) => "Failing payment within this period, we will apply to the competent court for an order for payment (injonction de payer) without further notice. Interest will continue to accrue until payment in full. This letter is a formal notice (mise en demeure) within the meaning of article 1344 of the French Civil Code.".to_string(),
                (Jurisdiction::UnitedKingdom, _) => t(lang,
                    "À défaut de paiement dans ce délai, nous engagerons sans autre avis une procédure judiciaire pour recouvrer cette créance. Les intérêts continueront de courir jusqu'au complet paiement.",
                    "Failing payment within this period, we will issue court proceedings to recover the debt without further notice. Interest will continue to accrue until payment in full."),
                (Jurisdiction::EuropeanUnion, _) => t(lang,
                    "À défaut de paiement dans ce délai, nous engagerons sans autre avis une procédure de recouvrement judiciaire. Les intérêts continueront de courir jusqu'au complet paiement.",
                    "Failing payment within this period, we will start court proceedings to recover the debt without further notice. Interest will continue to accrue until payment in full."),
            });
            (
                t(lang, "Objet : mise en demeure de payer", "Subject: formal demand for payment"),
                Some(t(lang, "Lettre recommandée avec accusé de réception", "Recorded delivery")),
                vec![
                    greeting,
                    match lang {
                        Lang::Fr => n(
                            "Malgré nos relances, la facture ci-dessous reste impayée à ce jour.",
                            "Malgré nos relances, les factures ci-dessous restent impayées à ce jour.",
                        ),
                        Lang::En => n(
                            "Despite our reminders, the invoice below remains unpaid to this day.",
                            "Despite our reminders, the invoices below remain unpaid to this day.",
                        ),
                    },
                ],
                after,
            )
        }
    }
}

/// The totals under a letter's table: the aged balance of a statement, the principal,
/// interest, indemnity and total claimed of a formal demand, else the total due.
fn totals_of(
    kind: LetterKind,
    lang: Lang,
    rows: &[Row],
    as_of: NaiveDate,
    w: &Words,
    currency: Currency,
) -> Vec<(String, String)> {
    let money = |minor: i64| currency.format_minor(minor, lang);
    let mut totals = Vec::new();
    if kind == LetterKind::Statement {
        // Aged balance: not yet due, then 1–30, 31–60, 61–90 and over 90 days late.
        let mut buckets = [0i64; 5];
        for r in rows {
            let b = match (as_of - r.due).num_days() {
                i64::MIN..=0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                _ => 4,
            };
            buckets[b] += r.total - r.settled;
        }
        let labels = if lang == Lang::Fr {
            [
                "Non échu",
                "Retard de 1 à 30 jours",
                "Retard de 31 à 60 jours",
                "Retard de 61 à 90 jours",
                "Retard de plus de 90 jours",
            ]
        } else {
            [
                "Not yet due",
                "1–30 days late",
                "31–60 days late",
                "61–90 days late",
                "Over 90 days late",
            ]
        };
        for (label, minor) in labels.iter().zip(buckets) {
            totals.push((label.to_string(), money(minor)));
        }
        totals.push((t(lang, "Solde dû", "Balance due"), w.due.clone()));
    } else if kind == LetterKind::FormalDemand {
        totals.push((
            t(lang, "Principal restant dû", "Principal due"),
            w.due.clone(),
        ));
        totals.push((
            if lang == Lang::Fr {
                format!("Intérêts de retard au {}", short_date(as_of, lang))
            } else {
                format!("Late-payment interest to {}", short_date(as_of, lang))
            },
            w.interest.clone(),
        ));
        if let Some(indemnity) = &w.indemnity {
            totals.push((
                t(
                    lang,
                    "Indemnité forfaitaire pour frais de recouvrement",
                    "Fixed recovery costs",
                ),
                indemnity.clone(),
            ));
        }
        totals.push((t(lang, "Total réclamé", "Total claimed"), w.claimed.clone()));
    } else {
        totals.push((t(lang, "Total", "Total"), w.due.clone()));
    }
    totals
}

/// The invoices a letter of `kind` about `head` covers as of the date: the customer's
/// invoices in the same currency at the same stage (not yet due for a courtesy reminder,
/// overdue for the others) that may be claimed then ([`crate::invoices::AsOf::claimable`]),
/// or every invoice still owed for a statement; only those in `only` when given; oldest due
/// date first, with what settled each by the date.
fn covered_invoices(
    conn: &Connection,
    kind: LetterKind,
    head: &crate::invoices::Stored,
    at: &crate::invoices::AsOf,
    only: Option<&[String]>,
) -> Result<Vec<Row>> {
    let statement = kind == LetterKind::Statement;
    let rule = if statement { at.owed() } else { at.claimable() };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.number, i.issue_date, i.due_date, i.total_minor, {} FROM invoices i INDEXED BY invoices_customer
         WHERE i.customer_id = ?1 AND i.currency = ?2 AND {rule}
         ORDER BY i.due_date, i.number",
        at.settled
    ))?;
    let overdue = head.due_date < at.date;
    let found = stmt.query_map(
        crate::store::sql::params![head.customer_id, head.currency],
        |r| {
            Ok(Row {
                number: r.get(0)?,
                issue: r.get(1)?,
                due: r.get(2)?,
                total: r.get(3)?,
                settled: r.get(4)?,
            })
        },
    )?;
    let only: Option<std::collections::HashSet<&str>> =
        only.map(|numbers| numbers.iter().map(String::as_str).collect());
    let mut rows = Vec::new();
    for row in found {
        let row = row?;
        let same_stage = statement || (row.due < at.date) == overdue;
        let chosen = only
            .as_ref()
            .is_none_or(|numbers| numbers.contains(row.number.as_str()));
        if same_stage && chosen {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The customer's invoices in `numbers` still claimable and not yet due at the date, in the
/// head's currency, oldest due date first: what a message past the due date names for
/// information.
fn not_yet_due(
    conn: &Connection,
    head: &crate::invoices::Stored,
    at: &crate::invoices::AsOf,
    numbers: &[String],
) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.number, i.issue_date, i.due_date, i.total_minor, {} FROM invoices i INDEXED BY invoices_customer
         WHERE i.customer_id = ?1 AND i.currency = ?2 AND i.due_date >= ?3 AND {}
         ORDER BY i.due_date, i.number",
        at.settled,
        at.claimable()
    ))?;
    let found = stmt.query_map(
        crate::store::sql::params![head.customer_id, head.currency, at.date.to_string()],
        |r| {
            Ok(Row {
                number: r.get(0)?,
                issue: r.get(1)?,
                due: r.get(2)?,
                total: r.get(3)?,
                settled: r.get(4)?,
            })
        },
    )?;
    let numbers: std::collections::HashSet<&str> = numbers.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    for row in found {
        let row = row?;
        if numbers.contains(row.number.as_str()) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// "Pour information, la facture F-3 du 02/11/2026 (1 200,00 €) arrive à échéance le
/// 12/12/2026 ; elle n'est pas concernée par le présent courrier." (one sentence for several).
fn information_sentence(rows: &[Row], lang: Lang, currency: Currency) -> String {
    let item = |r: &Row| match lang {
        Lang::Fr => format!(
            "{} du {} ({}, échéance le {})",
            r.number,
            short_date(r.issue, lang),
            currency.format_minor(r.total - r.settled, lang),
            short_date(r.due, lang)
        ),
        Lang::En => format!(
            "{} of {} ({}, due {})",
            r.number,
            short_date(r.issue, lang),
            currency.format_minor(r.total - r.settled, lang),
            short_date(r.due, lang)
        ),
    };
    match (rows, lang) {
        ([], _) => String::new(),
        ([r], Lang::Fr) => format!(
            "Pour information, la facture {} du {} ({}) arrive à échéance le {} ; elle n'est pas concernée par le présent courrier.",
            r.number,
            short_date(r.issue, lang),
            currency.format_minor(r.total - r.settled, lang),
            short_date(r.due, lang)
        ),
        ([r], Lang::En) => format!(
            "For your information, invoice {} of {} ({}) falls due on {}; it is not part of this letter.",
            r.number,
            short_date(r.issue, lang),
            currency.format_minor(r.total - r.settled, lang),
            short_date(r.due, lang)
        ),
        (_, Lang::Fr) => format!(
            "Pour information, les factures suivantes arrivent à échéance prochainement ; elles ne sont pas concernées par le présent courrier : {}.",
            rows.iter().map(item).collect::<Vec<_>>().join(", ")
        ),
        (_, Lang::En) => format!(
            "For your information, the following invoices fall due shortly and are not part of this letter: {}.",
            rows.iter().map(item).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// "À l'attention de Marc Girard", elided before a vowel or a mute h: "À l'attention
/// d'Isabelle Moreau", "d'Hélène"; "For the attention of …" in English.
fn attention(contact: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return format!("For the attention of {contact}");
    }
    let first = contact
        .chars()
        .next()
        .map(|c| c.to_lowercase().collect::<String>())
        .unwrap_or_default();
    let vowel = "aàâäeéèêëiîïoôöuùûüyÿh".contains(first.as_str()) && !first.is_empty();
    if vowel {
        format!("À l'attention d'{contact}")
    } else {
        format!("À l'attention de {contact}")
    }
}

/// The letterhead lines (name, address, contact) and the footer (name, identifiers, IBAN)
/// of every document.
pub(super) fn company_lines(
    settings: &crate::settings::Settings,
    lang: Lang,
) -> (Vec<String>, String) {
    let mut sender = vec![settings.company_name.clone()];
    sender.extend(settings.address.lines().map(str::to_string));
    sender.push(
        format!("{} {}", settings.postal_code, settings.city)
            .trim()
            .to_string(),
    );
    let contact: Vec<&str> = [settings.phone.as_str(), settings.email.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if !contact.is_empty() {
        sender.push(contact.join(" · "));
    }
    let mut ids = Vec::new();
    if !settings.siret.is_empty() {
        ids.push(format!("SIRET {}", settings.siret));
    } else if !settings.siren.is_empty() {
        ids.push(format!("SIREN {}", settings.siren));
    }
    if !settings.vat_number.is_empty() {
        ids.push(t(lang, "TVA ", "VAT ") + &settings.vat_number);
    }
    if !settings.uk_company_number.is_empty() {
        ids.push(format!("Company No. {}", settings.uk_company_number));
    }
    let mut footer = vec![settings.company_name.clone()];
    footer.extend(ids.iter().cloned());
    if !settings.iban.is_empty() {
        footer.push(format!("IBAN {}", settings.iban));
    }

    (sender, footer.join(" · "))
}

/// The recipient block: name, contact, address, and the country when not the company's.
pub(super) fn recipient_lines(
    c: &crate::customers::Customer,
    settings: &crate::settings::Settings,
    lang: Lang,
) -> Vec<String> {
    let mut recipient = vec![c.name.clone()];
    if !c.contact_name.is_empty() {
        recipient.push(attention(&c.contact_name, lang));
    }
    recipient.extend(c.address.lines().map(str::to_string));
    recipient.push(format!("{} {}", c.postal_code, c.city).trim().to_string());
    if !c.country.is_empty() && c.country != settings.country {
        // The country's name, in capitals, in the sender's language (the post reads it).
        recipient.push(crate::validate::country_name(
            &c.country,
            settings.country == "FR" || (settings.country.is_empty() && lang == Lang::Fr),
        ));
    }
    recipient
}

pub(super) const LEFT: f32 = 20.0;
pub(super) const RIGHT: f32 = PAGE_W - 20.0;
const BOTTOM: f32 = PAGE_H - 22.0;
pub(super) const BODY: f32 = 10.0;
pub(super) const LINE: f32 = 5.0;

/// Column right edges (amounts) or left edges (text) of the invoice table, in mm.
const COLS: [(f32, Align); 7] = [
    (LEFT, Align::Left),
    (52.0, Align::Left),
    (76.0, Align::Left),
    (122.0, Align::Right),
    (146.0, Align::Right),
    (172.0, Align::Right),
    (RIGHT, Align::Right),
];

/// Pages being filled from the top: the documents' shared layout (letters, invoices).
pub(super) struct Layout {
    pub(super) pages: Vec<Vec<Item>>,
    pub(super) y: f32,
}

impl Layout {
    pub(super) fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: 20.0,
        }
    }
    pub(super) fn page(&mut self) -> &mut Vec<Item> {
        self.pages.last_mut().expect("a page")
    }
    /// Room for `h` mm more, or a new page (its top below the letterhead's height).
    pub(super) fn need(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM {
            self.pages.push(Vec::new());
            self.y = 25.0;
            return true;
        }
        false
    }
    pub(super) fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        for line in pdf::wrap(text, bold, size, RIGHT - LEFT) {
            self.need(LINE);
            let mut item = Item::text(LEFT, self.y, line, size);
            if bold {
                item = item.bold();
            }
            self.page().push(item);
            self.y += LINE * size / BODY;
        }
        self.y += 2.0;
    }
    fn table_header(&mut self, headers: &[String]) {
        let y = self.y;
        for (h, (x, align)) in headers.iter().zip(COLS) {
            let x = if headers.len() < COLS.len() && align == Align::Right && x == COLS[5].0 {
                RIGHT
            } else {
                x
            };
            self.page()
                .push(Item::text(x, y, h.clone(), 8.5).bold().align(align));
        }
        self.page().push(Item::Rule {
            x1: LEFT,
            x2: RIGHT,
            y: y + 1.5,
            thickness: 0.6,
        });
        self.y += 6.0;
    }
}

/// Lays the letter out on A4 pages: letterhead, recipient in the envelope window (French
/// right-hand window), place and date, subject, text, the invoice table (continued with its
/// header repeated on the next page), totals, signature; a footer and "Page N/M" on each page.
pub fn layout(l: &Letter) -> Vec<Vec<Item>> {
    let mut lay = Layout::new();
    letterhead(&mut lay, &l.sender, l.logo.as_ref());
    // Recipient block, inside the window of a DL envelope (right-hand window: 100–200 mm
    // from the left edge, 45–80 mm from the top).
    // Right-hand window of a French DL envelope (100–200 mm from the left edge), or the left
    // window of DIN 5008 (20–105 mm); both 45 mm from the top.
    address_window(&mut lay, &l.recipient, l.mention.as_deref(), l.window_left);
    lay.page()
        .push(Item::text(RIGHT, 92.0, l.place_date.clone(), BODY).align(Align::Right));
    if let Some(banner) = &l.preview {
        lay.page()
            .push(Item::text(LEFT, 98.0, banner.clone(), BODY).bold());
    }
    lay.y = 104.0;
    lay.paragraph(&l.subject, BODY, true);
    lay.y += 2.0;
    for p in &l.before {
        lay.paragraph(p, BODY, false);
    }
    // The invoice table.
    lay.y += 2.0;
    lay.need(12.0);
    lay.table_header(&l.headers);
    // The end of the letter (totals, interest breakdown, closing paragraphs, signature) stays
    // with at least the last lines of the table: never a page holding only the signature.
    let tail = tail_height(l);
    let keep = l.lines.len().min(3);
    for (k, line) in l.lines.iter().enumerate() {
        let with_tail = k + keep == l.lines.len() && tail + LINE * (keep as f32) < BOTTOM - 40.0;
        let room = if with_tail {
            LINE * keep as f32 + tail
        } else {
            LINE
        };
        if lay.need(room) {
            lay.table_header(&l.headers);
        }
        let mut cells = vec![
            line.number.clone(),
            line.issue_date.clone(),
            line.due_date.clone(),
            line.total.clone(),
            line.paid.clone(),
            line.balance.clone(),
        ];
        if l.headers.len() == COLS.len() {
            cells.push(line.days_late.to_string());
        }
        let y = lay.y;
        let last = cells.len() - 1;
        for (i, (cell, (x, align))) in cells.into_iter().zip(COLS).enumerate() {
            let x = if i == last && align == Align::Right {
                RIGHT
            } else {
                x
            };
            lay.page().push(Item::text(x, y, cell, 9.0).align(align));
        }
        lay.y += LINE;
    }
    totals(&mut lay, &l.totals, 9.0);
    if !l.breakdown.is_empty() {
        lay.y += 2.0;
        let title = t(
            l.lang,
            "Calcul des intérêts (intérêts simples, jours exacts / 365) :",
            "Interest computation (simple interest, actual days / 365):",
        );
        lay.paragraph(&title, 7.5, true);
        lay.y -= 1.2;
        for b in &l.breakdown {
            lay.paragraph(b, 7.5, false);
            lay.y -= 1.2;
        }
    }
    lay.y += 4.0;
    if !l.information.is_empty() {
        lay.paragraph(&l.information, BODY, false);
    }
    for p in &l.after {
        lay.paragraph(p, BODY, false);
    }
    // The way to pay shares the signature's band: the QR code on the left, room to sign on
    // the right (a one-page letter stays one page).
    lay.need(28.0_f32.max(if l.qr.is_some() { QR_MM + 4.0 } else { 0.0 }));
    let band = lay.y;
    pay_block(&mut lay, l.lang, &l.reference, l.qr.as_deref());
    if l.qr.is_some() {
        lay.y = band;
    }
    // Signature area: the company's name, room to sign above it.
    lay.need(28.0);
    let y = lay.y + 22.0;
    lay.page().push(
        Item::text(RIGHT, y, l.signature.clone(), BODY)
            .bold()
            .align(Align::Right),
    );
    finish(&mut lay.pages, &l.footer);
    lay.pages
}

/// The size of the EPC QR code, in mm (EPC069-12 asks for at least 2 cm; banking apps read
/// 25 mm from a printed page easily).
const QR_MM: f32 = 25.0;

/// How to pay, where the customer looks: the payment reference (in groups of four, as it is
/// typed) and, for euros with the company's IBAN, the EPC QR code their banking app reads.
pub(super) fn pay_block(lay: &mut Layout, lang: Lang, reference: &str, qr: Option<&[Vec<bool>]>) {
    if reference.is_empty() {
        return;
    }
    let fr = lang == Lang::Fr;
    let grouped = crate::bank::reference::grouped(reference);
    let fix = |s: String| {
        if fr {
            crate::error::french_spaces(&s)
        } else {
            s
        }
    };
    let reference = fix(if fr {
        format!("Référence de paiement : {grouped}")
    } else {
        format!("Payment reference: {grouped}")
    });
    match qr {
        Some(modules) => {
            lay.need(QR_MM + 4.0);
            let top = lay.y - 2.0;
            lay.page().extend(pdf::qr(LEFT, top, QR_MM, modules));
            let x = LEFT + QR_MM + 5.0;
            let scan = fix(if fr {
                "Payer par virement : scannez ce code avec l'application de votre banque, tout est rempli.".to_string()
            } else {
                "Pay by bank transfer: scan this code with your banking app, everything is filled in.".to_string()
            });
            let mut y = top + 4.0;
            for line in pdf::wrap(&scan, true, BODY - 1.0, RIGHT - x) {
                lay.page().push(Item::text(x, y, line, BODY - 1.0).bold());
                y += 4.4;
            }
            lay.page()
                .push(Item::text(x, y + 1.0, reference, BODY - 1.0));
            lay.y = top + QR_MM + 4.0;
        }
        None => lay.paragraph(&reference, BODY - 1.0, false),
    }
}

/// The height of what follows a letter's table, as [`layout`] draws it.
fn tail_height(l: &Letter) -> f32 {
    let para = |text: &str, size: f32, bold: bool| -> f32 {
        pdf::wrap(text, bold, size, RIGHT - LEFT).len() as f32 * LINE * size / BODY + 2.0
    };
    let mut h = 2.0 + LINE * l.totals.len() as f32;
    if !l.breakdown.is_empty() {
        h += 2.0 + para("x", 7.5, true) - 1.2;
        h += l
            .breakdown
            .iter()
            .map(|b| para(b, 7.5, false) - 1.2)
            .sum::<f32>();
    }
    h += 4.0 + l.after.iter().map(|p| para(p, BODY, false)).sum::<f32>();
    if !l.information.is_empty() {
        h += para(&l.information, BODY, false);
    }
    if l.qr.is_some() {
        return h + 28.0_f32.max(QR_MM + 4.0);
    } else if !l.reference.is_empty() {
        h += para("x", BODY - 1.0, false);
    }
    h + 28.0
}

/// Under a table: a rule, then each (label, amount) right-aligned, the last one in bold.
pub(super) fn totals(lay: &mut Layout, totals: &[(String, String)], size: f32) {
    let y = lay.y - 3.0;
    lay.page().push(Item::Rule {
        x1: LEFT,
        x2: RIGHT,
        y,
        thickness: 0.3,
    });
    lay.y += 2.0;
    // The labels end at 150 mm, or further left when an amount is wider than the 40 mm
    // right of it.
    let widest = totals
        .iter()
        .map(|(_, a)| pdf::width(a, true, size))
        .fold(0.0f32, f32::max);
    let label_right = 150.0f32.min(RIGHT - widest - 4.0);
    for (i, (label, amount)) in totals.iter().enumerate() {
        lay.need(LINE);
        let strong = i + 1 == totals.len();
        let y = lay.y;
        let mut a = Item::text(label_right, y, label.clone(), size).align(Align::Right);
        let mut b = Item::text(RIGHT, y, amount.clone(), size).align(Align::Right);
        if strong {
            a = a.bold();
            b = b.bold();
        }
        lay.page().push(a);
        lay.page().push(b);
        lay.y += LINE;
    }
}

/// The letterhead: the logo at the top right, the company's name and lines at the left.
pub(super) fn letterhead(
    lay: &mut Layout,
    sender: &[String],
    logo: Option<&std::sync::Arc<Vec<u8>>>,
) {
    if let Some(bytes) = logo {
        lay.page().push(Item::Image {
            right: RIGHT,
            top: 12.0,
            max_w: 50.0,
            max_h: 22.0,
            bytes: bytes.clone(),
        });
    }
    for (i, s) in sender.iter().enumerate() {
        let item = if i == 0 {
            Item::text(LEFT, 20.0, s.clone(), 13.0).bold()
        } else {
            Item::text(LEFT, 20.0 + 4.0 + 4.2 * i as f32, s.clone(), 8.5)
        };
        lay.page().push(item);
    }
}

/// The recipient's address in the envelope's window: the right-hand window of a French DL
/// envelope (110 mm from the left edge) or the left window of DIN 5008; 45 mm from the top.
pub(super) fn address_window(
    lay: &mut Layout,
    recipient: &[String],
    mention: Option<&str>,
    left: bool,
) {
    let (x, width) = if left {
        (LEFT, 85.0)
    } else {
        (110.0, RIGHT - 110.0)
    };
    let mut y = 50.0;
    if let Some(m) = mention {
        lay.page()
            .push(Item::text(x, 45.0, m.to_string(), 8.5).bold());
        y = 52.0;
    }
    // The window ends above the date line (88 mm): a long address is set smaller to fit
    // (never over the date, subject or table). Down to 5.5 pt, the longest address the
    // inputs accept fits whole (a test checks it); a line would be cut only past that.
    let bottom = 88.0;
    let wrapped = |size: f32| -> Vec<(bool, String)> {
        recipient
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                pdf::wrap(r, i == 0, size, width)
                    .into_iter()
                    .map(move |l| (i == 0, l))
            })
            .collect()
    };
    let (mut size, mut step) = (BODY, 4.6);
    let mut lines = wrapped(size);
    while y + step * (lines.len() as f32 - 1.0) > bottom && size > 5.5 {
        size -= 0.5;
        step = size * 0.46;
        lines = wrapped(size);
    }
    for (bold, line) in lines {
        if y > bottom {
            break;
        }
        let mut item = Item::text(x, y, line, size);
        if bold {
            item = item.bold();
        }
        lay.page().push(item);
        y += step;
    }
}

/// The footer and "Page N/M" on every page, once the count is known.
pub(super) fn finish(pages: &mut [Vec<Item>], footer: &str) {
    let n = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.push(Item::Rule {
            x1: LEFT,
            x2: RIGHT,
            y: PAGE_H - 15.0,
            thickness: 0.3,
        });
        for (k, line) in pdf::wrap(footer, false, 7.0, RIGHT - LEFT - 25.0)
            .into_iter()
            .enumerate()
        {
            page.push(Item::text(LEFT, PAGE_H - 11.0 + 3.2 * k as f32, line, 7.0));
        }
        page.push(
            Item::text(RIGHT, PAGE_H - 11.0, format!("Page {}/{n}", i + 1), 7.0)
                .align(Align::Right),
        );
    }
}

/// The letter as PDF bytes.
pub fn render(l: &Letter) -> Result<Vec<u8>> {
    let subject = l
        .subject
        .trim_start_matches("Objet\u{a0}: ")
        .trim_start_matches("Objet : ")
        .trim_start_matches("Subject: ");
    let mut chars = subject.chars();
    let title: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    pdf::render(
        &pdf::Meta {
            title: &title,
            author: &l.signature,
            subject: &l.invoices.join(", "),
            date: l.as_of,
        },
        &layout(l),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{day, inv};

    /// The selection alone: at 20 April, a reminder about F-1 covers the overdue F-1 and F-2,
    /// a courtesy letter about F-3 only F-3; `only` narrows; after F-2 is written off the
    /// reminder leaves it out, and so does a statement (it is no longer owed).
    #[test]
    fn covered_invoices_by_stage_and_claim() {
        let mut conn = ledger();
        let at = |conn: &Connection| crate::invoices::AsOf::new(conn, day("2026-04-20")).unwrap();
        let numbers = |rows: Vec<Row>| rows.into_iter().map(|r| r.number).collect::<Vec<_>>();
        let head =
            |conn: &Connection, n: &str| crate::invoices::stored_by_number(conn, "i", n).unwrap();
        let f1 = head(&conn, "F-1");
        let f3 = head(&conn, "F-3");
        let pick = |conn: &Connection, kind, h, only| {
            numbers(covered_invoices(conn, kind, h, &at(conn), only).unwrap())
        };
        assert_eq!(pick(&conn, LetterKind::Reminder, &f1, None), ["F-1", "F-2"]);
        assert_eq!(pick(&conn, LetterKind::Courtesy, &f3, None), ["F-3"]);
        let only = ["F-1".to_string()];
        assert_eq!(
            pick(&conn, LetterKind::Reminder, &f1, Some(&only[..])),
            ["F-1"]
        );
        crate::dunning::close_invoice(
            &mut conn,
            "F-2",
            crate::invoices::ClosureKind::WriteOff,
            day("2026-04-20"),
            "liquidation",
        )
        .unwrap();
        assert_eq!(pick(&conn, LetterKind::Reminder, &f1, None), ["F-1"]);
        assert_eq!(
            pick(&conn, LetterKind::Statement, &f1, None),
            ["F-1", "F-3"]
        );
    }

    /// French elides "de" before a vowel or a mute h; English has nothing to elide.
    #[test]
    fn attention_lines_read_as_written_by_hand() {
        assert_eq!(
            attention("Isabelle Moreau", Lang::Fr),
            "À l'attention d'Isabelle Moreau"
        );
        assert_eq!(
            attention("Hélène Roy", Lang::Fr),
            "À l'attention d'Hélène Roy"
        );
        assert_eq!(
            attention("Émile Zola", Lang::Fr),
            "À l'attention d'Émile Zola"
        );
        assert_eq!(
            attention("Marc Girard", Lang::Fr),
            "À l'attention de Marc Girard"
        );
        assert_eq!(
            attention("Isabelle Moreau", Lang::En),
            "For the attention of Isabelle Moreau"
        );
    }

    /// The three steps of a letter, each alone. Figures: F-1 (100 €, due 31 March, 40 € paid
    /// on 10 April) as of 30 April: 10 days on 100 € and 20 on 60 € at 12.15 % = 0.3329 +
    /// 0.3995 = 0.73 €, and the 40 € indemnity.
    #[test]
    fn figures_then_wording_then_totals() {
        let conn = ledger();
        let row = Row {
            number: "F-1".into(),
            issue: day("2026-03-01"),
            due: day("2026-03-31"),
            total: 10_000,
            settled: 4_000,
        };
        let payment = conn
            .insert(
                "INSERT INTO payments (customer_id, date, currency, amount_minor, method)
                 VALUES (1, '2026-04-10', 'EUR', 4000, 'transfer')",
                [],
            )
            .unwrap();
        conn.execute(
            "INSERT INTO allocations (payment_id, invoice_id, amount_minor, date)
             VALUES (?1, 1, 4000, '2026-04-10')",
            [payment],
        )
        .unwrap();
        let f = figures(
            &conn,
            LetterKind::FormalDemand,
            std::slice::from_ref(&row),
            day("2026-04-30"),
            Currency::EUR,
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(
            (f.due_minor, f.interest_minor, f.indemnity_minor),
            (6_000, 73, 4_000)
        );
        assert_eq!(f.lines[0].balance, "60,00\u{a0}€");
        assert_eq!(f.lines[0].days_late, 30);
        assert_eq!(
            f.breakdown,
            [
                "F-1 : du 01/04/2026 au 10/04/2026, 10 j à 12,15 % l'an sur 100,00\u{a0}€",
                "F-1 : du 11/04/2026 au 30/04/2026, 20 j à 12,15 % l'an sur 60,00\u{a0}€"
            ]
        );
        // A reminder has no interest to compute.
        let r = figures(
            &conn,
            LetterKind::Reminder,
            std::slice::from_ref(&row),
            day("2026-04-30"),
            Currency::EUR,
            Lang::Fr,
        )
        .unwrap();
        assert_eq!((r.interest_minor, r.indemnity_minor), (0, 0));
        // Wording names the indemnity only when one is owed.
        let mut w = Words {
            date: "30 avril 2026".into(),
            due: "60,00 €".into(),
            claimed: "100,73 €".into(),
            interest: "0,73 €".into(),
            indemnity: Some("40,00 €".into()),
            deadline: "8 mai 2026".into(),
            days: 8,
            jurisdiction: Jurisdiction::France,
            single: true,
        };
        let (subject, mention, _, after) = wording(LetterKind::FormalDemand, Lang::Fr, &w);
        assert_eq!(subject, "Objet : mise en demeure de payer");
        assert!(mention.is_some());
        assert!(
            after[0].contains("40,00 € d'indemnité forfaitaire"),
            "{}",
            after[0]
        );
        assert!(after[1].contains("article 1344 du Code civil"));
        // One invoice is spoken of in the singular.
        let (_, _, before, _) = wording(LetterKind::FormalDemand, Lang::Fr, &w);
        assert_eq!(
            before[1],
            "Malgré nos relances, la facture ci-dessous reste impayée à ce jour."
        );
        let (subject, _, before, after) = wording(LetterKind::Reminder, Lang::Fr, &w);
        assert_eq!(subject, "Objet : relance pour facture échue");
        assert!(before[1].contains("la facture ci-dessous, arrivée à échéance, reste impayée"));
        assert!(after[0].contains("procéder à son règlement"));
        let several = Words {
            single: false,
            ..w.clone()
        };
        let (subject, _, _, _) = wording(LetterKind::Reminder, Lang::Fr, &several);
        assert_eq!(subject, "Objet : relance pour factures échues");
        w.indemnity = None;
        let (_, _, _, after) = wording(LetterKind::FormalDemand, Lang::Fr, &w);
        assert!(!after[0].contains("indemnité"), "{}", after[0]);
        let totals = totals_of(
            LetterKind::FormalDemand,
            Lang::Fr,
            std::slice::from_ref(&row),
            day("2026-04-30"),
            &w,
            Currency::EUR,
        );
        let labels: Vec<&str> = totals.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Principal restant dû",
                "Intérêts de retard au 30/04/2026",
                "Total réclamé"
            ]
        );
        // A statement's totals are its aged balance: 60 € 1–30 days late.
        let totals = totals_of(
            LetterKind::Statement,
            Lang::En,
            &[row],
            day("2026-04-30"),
            &w,
            Currency::EUR,
        );
        assert_eq!(
            totals[1],
            ("1–30 days late".to_string(), "€60.00".to_string())
        );
    }

    fn ledger() -> Connection {
        let conn = crate::open_in_memory().unwrap();
        crate::customers::create(
            &conn,
            &crate::customers::CustomerInput {
                reference: "ACME".into(),
                name: "Acme".into(),
                address: "5 avenue Foch".into(),
                postal_code: "69006".into(),
                city: "Lyon".into(),
                language: "en".into(),
                ..Default::default()
            },
        )
        .unwrap();
        for (n, due, total) in [
            ("F-1", "2026-03-31", "100"),
            ("F-2", "2026-04-15", "50"),
            ("F-3", "2026-06-30", "70"),
        ] {
            crate::invoices::create(
                &conn,
                &inv(n, "ACME", "2026-03-01", due, total),
                day("2026-03-01"),
            )
            .unwrap();
        }
        conn
    }

    fn refused(r: Result<Letter>) -> Msg {
        match r {
            Err(Error::Invalid { msg, .. }) => msg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_stage_and_the_settings_decide_what_a_letter_covers() {
        let conn = ledger();
        let as_of = day("2026-05-01");
        // No company yet: refused before anything else is said.
        assert_eq!(
            refused(compose(&conn, LetterKind::Reminder, "F-1", as_of)),
            Msg::CompanyIncomplete
        );
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue A"),
            ("city", "Paris"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        let l = compose(&conn, LetterKind::Reminder, "F-1", as_of).unwrap();
        assert_eq!(l.invoices, ["F-1", "F-2"], "the overdue ones, not F-3");
        assert_eq!(l.due_minor, 15_000);
        assert_eq!(l.lang, Lang::En);
        assert_eq!(l.deadline, Some(day("2026-05-09")));
        assert_eq!(l.totals.last().unwrap().1, "€150.00");
        let c = compose(&conn, LetterKind::Courtesy, "F-3", as_of).unwrap();
        assert_eq!(c.invoices, ["F-3"]);
        assert_eq!(
            refused(compose(&conn, LetterKind::Courtesy, "F-1", as_of)),
            Msg::LetterForOverdue
        );
        assert_eq!(
            refused(compose(&conn, LetterKind::FinalNotice, "F-3", as_of)),
            Msg::LetterForNotDue
        );
        assert!(matches!(
            refused(compose(
                &conn,
                LetterKind::Reminder,
                "F-1",
                day("2026-02-01")
            )),
            Msg::BeforeInvoiceDate(_)
        ));
        // A disputed invoice gets no letter, and leaves the others' letters.
        let mut conn = conn;
        crate::dunning::disputes::open(
            &mut conn,
            &crate::dunning::disputes::DisputeInput {
                invoice: "F-2".into(),
                category: "defective".into(),
                note: String::new(),
                opened_on: String::new(),
            },
            as_of,
        )
        .unwrap();
        assert_eq!(
            refused(compose(&conn, LetterKind::Reminder, "F-2", as_of)),
            Msg::InvoiceDisputed
        );
        assert_eq!(
            compose(&conn, LetterKind::Reminder, "F-1", as_of)
                .unwrap()
                .invoices,
            ["F-1"]
        );
        // The PDF: one page, and what the layout wrote is what pdf::render draws.
        let pages = layout(&compose(&conn, LetterKind::FormalDemand, "F-1", as_of).unwrap());
        assert_eq!(pages.len(), 1);
        let bytes =
            render(&compose(&conn, LetterKind::FormalDemand, "F-1", as_of).unwrap()).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }

    /// Issue 18, items 22 and 23: the end of a long statement keeps table lines with it,
    /// and the recipient block never reaches the date line; a foreign country is named.
    #[test]
    fn long_statements_and_long_addresses_stay_in_their_place() {
        let conn = ledger();
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue"),
            ("city", "Lyon"),
            ("country", "FR"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        let text_items = |page: &Vec<Item>| -> Vec<(f32, String)> {
            page.iter()
                .filter_map(|i| match i {
                    Item::Text { y, text, .. } => Some((*y, text.clone())),
                    _ => None,
                })
                .collect()
        };
        for n in [20usize, 40, 55, 60, 70, 90] {
            let conn = ledger();
            for (k, v) in [
                ("company_name", "Atelier"),
                ("address", "1 rue"),
                ("city", "Lyon"),
            ] {
                crate::settings::set(&conn, k, v).unwrap();
            }
            for i in 0..n {
                crate::invoices::create(
                    &conn,
                    &inv(
                        &format!("S-{i:03}"),
                        "ACME",
                        "2026-01-01",
                        "2026-02-01",
                        "10",
                    ),
                    day("2026-01-01"),
                )
                .unwrap();
            }
            let l = statement(&conn, "ACME", None, day("2026-05-01")).unwrap();
            let pages = layout(&l);
            for (p, page) in pages.iter().enumerate() {
                let bad = pdf::overprinted(page);
                assert!(bad.is_empty(), "{n} invoices, page {}: {bad:?}", p + 1);
            }
            let last = text_items(pages.last().unwrap());
            assert!(
                last.iter()
                    .any(|(_, t)| t.starts_with("S-") || t.starts_with("F-")),
                "{n} invoices: the last page has no line of the table"
            );
            assert!(last.iter().any(|(_, t)| t == "Atelier"), "{n}: signature");
        }
        // A long address (four lines, one that wraps, a long contact, a country) stays
        // above the date line.
        conn.execute(
            "UPDATE customers SET address = 'Bâtiment A\nEscalier 3\nRésidence des Tilleuls, appartement 1204, porte gauche\n5 avenue Foch', contact_name = 'Madame la Directrice administrative et financière', country = 'GB' WHERE reference = 'ACME'",
            [],
        )
        .unwrap();
        let l = compose(&conn, LetterKind::Reminder, "F-1", day("2026-05-01")).unwrap();
        assert_eq!(l.recipient.last().unwrap(), "ROYAUME-UNI");
        let first = &layout(&l)[0];
        assert_eq!(pdf::overprinted(first), Vec::<(String, String)>::new());
        // The longest recipient the inputs accept (a 120-character name and contact, four
        // address lines in 300 characters, a foreign country) is printed whole.
        let mut longest = l.clone();
        longest.recipient = vec![
            "N".repeat(60) + " " + &"o".repeat(59),
            format!(
                "À l'attention de {}",
                "C".repeat(60) + " " + &"d".repeat(59)
            ),
            "A".repeat(74),
            "B".repeat(74),
            "C".repeat(74),
            "D".repeat(75),
            "75001 PARIS".into(),
            "ROYAUME-UNI".into(),
        ];
        let page = &layout(&longest)[0];
        let printed: String = page
            .iter()
            .filter_map(|i| match i {
                Item::Text { x, y, text, .. } if (*x - 110.0).abs() < 0.01 && *y <= 88.0 => {
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        // Wrapping drops only the spaces it breaks at: every other character is there.
        let want: String = longest.recipient.concat().replace(' ', "");
        assert_eq!(printed.replace(' ', ""), want);
        let date_y = text_items(first)
            .iter()
            .find(|(_, t)| *t == l.place_date)
            .unwrap()
            .0;
        // The window's lines are the texts drawn at its left edge (110 mm).
        let lowest = first
            .iter()
            .filter_map(|i| match i {
                Item::Text { x, y, .. } if (*x - 110.0).abs() < 0.01 => Some(*y),
                _ => None,
            })
            .fold(0.0f32, f32::max);
        assert!(
            lowest < date_y - 2.0,
            "address at {lowest} mm, date at {date_y} mm"
        );
    }

    /// A letter asking for pounds names the owner's sort code and account number with the
    /// payment reference, and no EPC code (euros only); in euros, the IBAN and the code.
    #[test]
    fn sterling_letters_carry_the_sort_code_and_account_number() {
        let conn = ledger();
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue A"),
            ("city", "Paris"),
            ("iban", "FR7630006000011234567890189"),
            ("uk_sort_code", "123456"),
            ("uk_account_number", "31926819"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        let mut gbp = inv("UK-1", "ACME", "2026-03-01", "2026-03-31", "120");
        gbp.currency = "GBP".into();
        crate::invoices::create(&conn, &gbp, day("2026-03-01")).unwrap();
        let l = compose(&conn, LetterKind::Reminder, "UK-1", day("2026-05-01")).unwrap();
        assert_eq!(
            l.payment,
            "Payment by bank transfer: sort code 12-34-56 · account number 31926819."
        );
        assert!(l.qr.is_none(), "no EPC code for pounds");
        assert!(l.reference.starts_with("RF"), "{}", l.reference);
        let eur = compose(&conn, LetterKind::Reminder, "F-1", day("2026-05-01")).unwrap();
        assert!(
            eur.payment.contains("IBAN FR7630006000011234567890189"),
            "{}",
            eur.payment
        );
        assert!(eur.qr.is_some());
        // Without both UK details, pounds are asked for with the IBAN as before.
        crate::settings::set(&conn, "uk_account_number", "").unwrap();
        let l = compose(&conn, LetterKind::Reminder, "UK-1", day("2026-05-01")).unwrap();
        assert!(l.payment.contains("IBAN"), "{}", l.payment);
    }

    /// The recipient sits in the envelope's window: right-hand by default, left with DIN 5008.
    #[test]
    fn the_recipient_follows_the_window_setting() {
        let conn = ledger();
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue A"),
            ("city", "Paris"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        let x_of_recipient = |conn: &Connection| -> f32 {
            let l = compose(conn, LetterKind::Reminder, "F-1", day("2026-05-01")).unwrap();
            layout(&l)[0]
                .iter()
                .find_map(|i| match i {
                    Item::Text { x, text, .. } if text == "Acme" => Some(*x),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(x_of_recipient(&conn), 110.0);
        crate::settings::set(&conn, "letter_window", "left").unwrap();
        assert_eq!(x_of_recipient(&conn), LEFT);
        assert!(crate::settings::set(&conn, "letter_window", "middle").is_err());
    }

    /// The owner's wording replaces the built-in one, placeholders filled in.
    #[test]
    fn an_own_wording_is_used_with_its_placeholders_filled() {
        let conn = ledger();
        for (k, v) in [
            ("company_name", "Atelier"),
            ("address", "1 rue A"),
            ("city", "Paris"),
        ] {
            crate::settings::set(&conn, k, v).unwrap();
        }
        super::super::templates::set(
            &conn,
            "reminder",
            "en",
            "opening",
            "{customer}, {invoice_count} invoices await: {total_due} by {deadline}.",
        )
        .unwrap();
        super::super::templates::set(&conn, "reminder", "en", "subject", "Re: {company} invoices")
            .unwrap();
        let l = compose(&conn, LetterKind::Reminder, "F-1", day("2026-05-01")).unwrap();
        assert_eq!(l.subject, "Re: Atelier invoices");
        assert_eq!(
            l.before[1],
            "Acme, 2 invoices await: €150.00 by 9 May 2026."
        );
        // The French wording and the other kinds are untouched (one invoice: the singular).
        let c = compose(&conn, LetterKind::Courtesy, "F-3", day("2026-05-01")).unwrap();
        assert!(c.subject.starts_with("Subject: invoice falling due"));
    }
}
