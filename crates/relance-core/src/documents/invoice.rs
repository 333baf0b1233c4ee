//! The PDF of an invoice Relance issued: the same letterhead as the letters, the buyer in
//! the envelope window, number, dates and contract, the lines (excluding tax, VAT rate,
//! VAT, including tax), the totals, and the mentions the law requires: in France (Code de
//! commerce L441-9, CGI art. 242 nonies A) the seller's and buyer's identities, SIREN/SIRET,
//! VAT number, the due date, the late-payment penalty rate, the 40 € recovery indemnity
//! (business customers) and the early-payment discount terms (or none); in the UK the VAT
//! invoice particulars (VAT registration number, tax point, rate and VAT per line). The
//! invoice is immutable, so its PDF says the same thing every time it is printed.

use super::letters::{self, Layout, BODY, LEFT, LINE, RIGHT};
use super::pdf::{self, Align, Item};
use super::short_date;
use crate::error::{Error, Lang, Msg, Result};
use crate::invoices::issue;
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Everything an issued invoice says, before layout (what tests read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceDoc {
    pub number: String,
    pub lang: Lang,
    /// "Facture d'acompte", "Facture de solde", "Facture", "VAT invoice", …
    pub title: String,
    pub sender: Vec<String>,
    pub recipient: Vec<String>,
    /// (label, value): number, date, due date, contract.
    pub facts: Vec<(String, String)>,
    pub headers: Vec<String>,
    /// Per line: label, net, VAT rate, VAT, total (formatted).
    pub lines: Vec<[String; 5]>,
    pub totals: Vec<(String, String)>,
    /// The VAT-exemption mention and other notes.
    pub notes: Vec<String>,
    /// Payment terms, discount, penalties, indemnity, bank details.
    pub mentions: Vec<String>,
    pub footer: String,
    pub window_left: bool,
    /// The document's date (issue date, or the day a schedule is printed).
    #[serde(skip)]
    #[ts(skip)]
    pub date: chrono::NaiveDate,
    #[serde(skip)]
    #[ts(skip)]
    pub logo: Option<std::sync::Arc<Vec<u8>>>,
    /// The invoice's RF payment reference (empty on a billing schedule).
    pub reference: String,
    /// The EPC QR code asking for the invoice's total (euros, the company's IBAN set).
    #[serde(skip)]
    #[ts(skip)]
    pub qr: Option<Vec<Vec<bool>>>,
}

pub(super) fn t(lang: Lang, fr: &str, en: &str) -> String {
    if lang == Lang::Fr { fr } else { en }.to_string()
}

/// Gathers what invoice `number` says. Refused: an unknown invoice, or one recorded from
/// elsewhere (Relance prints only the invoices it issued).
pub fn compose(conn: &Connection, number: &str) -> Result<InvoiceDoc> {
    let head = crate::invoices::stored_by_number(conn, "invoice", number)?;
    if !issue::is_issued(conn, head.id)? {
        return Err(Error::invalid(
            "invoice",
            Msg::NotIssuedHere(head.number.clone()),
        ));
    }
    let issue_date = head.issue_date;
    type Extra = (
        String,
        String,
        Option<i64>,
        Option<chrono::NaiveDate>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let (reference, notes, vat_minor, delivery, rate_e6, vat_eur, operation): Extra = conn
        .query_row(
            "SELECT reference, notes, vat_minor, delivery_date, exchange_rate_e6, vat_eur_minor,
                operation
         FROM invoices WHERE id = ?1",
            [head.id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
    let settings = crate::settings::get(conn)?;
    let c = crate::customers::get(conn, head.customer_id)?;
    let lang = c.language;
    let currency = Currency::parse(&head.currency)?;
    let money = |m: i64| currency.format_minor(m, lang);
    let lines = issue::lines(conn, head.id)?;
    let net: i64 = lines.iter().map(|l| l.net_minor).sum();
    let vat = vat_minor.unwrap_or(head.total_minor - net);
    let deduction = lines
        .iter()
        .any(|l| l.net_minor < 0 && l.allowance_e4.is_none());
    let milestone: Option<(i64, bool)> = conn
        .query_row(
            "SELECT m.position, m.position = (SELECT MAX(position) FROM milestones x
                 WHERE x.contract_id = m.contract_id AND x.cancelled = 0)
             FROM milestones m WHERE m.invoice_id = ?1",
            [head.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let uk = settings.country == "GB";
    let penalty = crate::interest::is_penalty_invoice(conn, head.id)?;
    let title = match (milestone, deduction, lang) {
        _ if penalty => t(
            lang,
            "Facture de pénalités de retard",
            "Late-payment invoice",
        ),
        (_, true, _) | (Some((_, true)), _, _) => t(lang, "Facture de solde", "Final invoice"),
        (Some((1, false)), _, _) => t(lang, "Facture d'acompte", "Deposit invoice"),
        _ if uk && vat > 0 => "VAT invoice".to_string(),
        _ => t(lang, "Facture", "Invoice"),
    };
    let (sender, footer) = letters::company_lines(&settings, lang);
    let recipient = letters::recipient_lines(&c, &settings, lang);
    let mut facts = vec![
        (t(lang, "Facture n°", "Invoice No."), head.number.clone()),
        (
            t(
                lang,
                "Date d'émission",
                if uk { "Date (tax point)" } else { "Date" },
            ),
            short_date(issue_date, lang),
        ),
        (
            t(lang, "Date d'échéance", "Due date"),
            short_date(head.due_date, lang),
        ),
    ];
    if !reference.is_empty() {
        facts.push((t(lang, "Contrat", "Contract"), reference.clone()));
    }
    if let Some(d) = delivery.filter(|d| *d != issue_date) {
        facts.push((
            // A service is performed, goods delivered (BT-72 either way).
            if operation.as_deref() == Some("services") {
                t(lang, "Date d'exécution", "Service date")
            } else {
                t(lang, "Date de livraison", "Delivery date")
            },
            short_date(d, lang),
        ));
    }
    // Where, when not at the buyer's address (France's e-invoicing reform).
    if let Some(a) = crate::invoices::issue::delivery_address(conn, head.id)? {
        let home = crate::settings::get(conn)?.country;
        facts.push((
            t(lang, "Livraison à", "Delivered to"),
            a.one_line(&home, lang == Lang::Fr),
        ));
    }
    // The category of the operation (France's e-invoicing reform).
    if let Some(op) = &operation {
        facts.push((
            t(lang, "Opération", "Operation"),
            crate::invoices::drafts::operation_mention(op, lang == Lang::Fr).to_string(),
        ));
    }
    // The buyer's identifiers (France's e-invoicing reform; a reverse charge needs the VAT
    // number).
    if !c.siren.is_empty() {
        facts.push((t(lang, "SIREN client", "Customer SIREN"), c.siren.clone()));
    }
    if !c.vat_number.is_empty() {
        facts.push((t(lang, "TVA client", "Customer VAT"), c.vat_number.clone()));
    }
    let (headers, rows, mut totals) = table(&lines, vat, currency, lang);
    // The VAT in euros of an invoice in another currency, at the rate entered.
    if let (Some(rate), Some(eur)) = (rate_e6, vat_eur) {
        let rate = rust_decimal::Decimal::new(rate, 6).normalize().to_string();
        let rate = if lang == Lang::Fr {
            rate.replace('.', ",")
        } else {
            rate
        };
        totals.push((
            if lang == Lang::Fr {
                format!("TVA en euros (1 {} = {rate} €)", head.currency)
            } else {
                format!("VAT in euros (1 {} = €{rate})", head.currency)
            },
            Currency::EUR.format_minor(eur, lang),
        ));
    }
    totals.push((
        t(lang, "Total TTC à payer", "Total to pay"),
        money(head.total_minor),
    ));
    let mut notes_out: Vec<String> = notes
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if vat == 0 && notes_out.is_empty() && settings.country == "FR" {
        notes_out.push(t(lang, "TVA non applicable.", "No VAT charged."));
    }
    notes_out.extend(debits_mention(&settings, vat, lang));
    // The mentions the law requires.
    let due = super::long_date(head.due_date, lang);
    let terms = (head.due_date - issue_date).num_days();
    let mut mentions = vec![match (lang, terms) {
        (Lang::Fr, 0) => format!("Paiement à réception, au plus tard le {due}."),
        (Lang::Fr, n) => format!("Paiement à {n} jours, au plus tard le {due}."),
        (Lang::En, 0) => format!("Payment on receipt, by {due} at the latest."),
        (Lang::En, n) => format!("Payment within {n} days, by {due} at the latest."),
    }];
    mentions.push(discount(&settings, lang));
    mentions.push(late_payment(&settings, &c, lang));
    mentions.extend(bank_line(&settings, &head.currency, lang));
    let reference = crate::bank::store::references_for(conn, &[head.id])?;
    let qr =
        crate::bank::epc::company_code(&settings, &head.currency, head.total_minor, &reference);
    Ok(InvoiceDoc {
        date: issue_date,
        number: head.number,
        lang,
        title,
        sender,
        recipient,
        facts,
        headers,
        lines: rows,
        totals,
        notes: notes_out,
        mentions,
        footer,
        window_left: settings.letter_window == "left",
        logo: crate::settings::logo(conn)?.map(|(_, b)| std::sync::Arc::new(b)),
        reference,
        qr,
    })
}

/// The table of a document's lines (headers, rows) and its totals before the final one:
/// the net, then one VAT line per rate in the order the lines name them (`vat`, the
/// A document's table: headers, rows, totals.
pub(super) type Table = (Vec<String>, Vec<[String; 5]>, Vec<(String, String)>);

/// document's VAT, when it has no line).
pub(super) fn table(lines: &[issue::Line], vat: i64, currency: Currency, lang: Lang) -> Table {
    let money = |m: i64| currency.format_minor(m, lang);
    let net: i64 = lines.iter().map(|l| l.net_minor).sum();
    let headers = if lang == Lang::Fr {
        ["Désignation", "Montant HT", "Taux TVA", "TVA", "Total TTC"]
    } else {
        ["Description", "Net", "VAT rate", "VAT", "Total"]
    }
    .map(str::to_string)
    .to_vec();
    // A discount on the whole invoice is a row per rate with its share of the VAT, so that
    // every column adds up to the totals under it.
    let rows = lines
        .iter()
        .map(|l| {
            [
                described(l, currency, lang),
                money(l.net_minor),
                format!(
                    "{} %",
                    issue::rate_text(l.vat_rate_e4)
                        .replace('.', if lang == Lang::Fr { "," } else { "." })
                ),
                money(l.vat_minor),
                money(l.net_minor + l.vat_minor),
            ]
        })
        .collect();
    // One VAT line per rate (in the order the lines name them), each the VAT of its lines.
    let mut rates: Vec<(i64, i64)> = Vec::new();
    for l in lines {
        match rates.iter_mut().find(|(r, _)| *r == l.vat_rate_e4) {
            Some((_, v)) => *v += l.vat_minor,
            None => rates.push((l.vat_rate_e4, l.vat_minor)),
        }
    }
    if rates.is_empty() {
        rates.push((0, vat));
    }
    let mut totals = vec![(t(lang, "Total HT", "Total net"), money(net))];
    for (r, v) in &rates {
        let rate = issue::rate_text(*r).replace('.', if lang == Lang::Fr { "," } else { "." });
        totals.push((
            if lang == Lang::Fr {
                format!("TVA {rate} %")
            } else {
                format!("VAT at {rate} %")
            },
            money(*v),
        ));
    }
    (headers, rows, totals)
}

/// A line's description as printed: for a line written in a draft, its quantity, unit and
/// unit price (and its discount) after the text: "Conseil — 2,5 h × 80,00 € − 10 %".
fn described(l: &issue::Line, currency: Currency, lang: Lang) -> String {
    let Some(d) = &l.detail else {
        return l.label.clone();
    };
    let fr = lang == Lang::Fr;
    let q = rust_decimal::Decimal::new(d.quantity_e4, 4)
        .normalize()
        .to_string();
    let q = if fr { q.replace('.', ",") } else { q };
    let unit = unit_label(&d.unit, fr);
    let mut s = format!(
        "{} — {q}{}{} × {}",
        l.label,
        if unit.is_empty() { "" } else { " " },
        unit,
        currency.format_minor(d.price_minor, lang)
    );
    if d.discount_minor != 0 {
        s.push_str(&if fr {
            format!(", remise {}", currency.format_minor(d.discount_minor, lang))
        } else {
            format!(", less {}", currency.format_minor(d.discount_minor, lang))
        });
    }
    s
}

/// A UN/ECE unit as a reader says it ("" for C62, one).
pub fn unit_label(code: &str, fr: bool) -> &'static str {
    match (code, fr) {
        ("H87", true) => "pièce(s)",
        ("H87", false) => "piece(s)",
        ("HUR", _) => "h",
        ("DAY", true) => "jour(s)",
        ("DAY", false) => "day(s)",
        ("WEE", true) => "semaine(s)",
        ("WEE", false) => "week(s)",
        ("MON", true) => "mois",
        ("MON", false) => "month(s)",
        ("ANN", true) => "an(s)",
        ("ANN", false) => "year(s)",
        ("MIN", _) => "min",
        ("KGM", _) => "kg",
        ("MTR", _) => "m",
        ("MTK", _) => "m²",
        ("MTQ", _) => "m³",
        ("LTR", _) => "l",
        ("KMT", _) => "km",
        ("LS", true) => "forfait",
        ("LS", false) => "lump sum",
        ("E48", true) => "prestation(s)",
        ("E48", false) => "service(s)",
        _ => "",
    }
}

/// The early-payment discount terms, or that there are none.
fn discount(settings: &crate::settings::Settings, lang: Lang) -> String {
    if settings.discount_terms.is_empty() {
        t(
            lang,
            "Pas d'escompte pour paiement anticipé.",
            "No discount for early payment.",
        )
    } else if lang == Lang::Fr {
        format!(
            "Escompte pour paiement anticipé : {}.",
            settings.discount_terms.trim_end_matches('.')
        )
    } else {
        format!(
            "Early-payment discount: {}.",
            settings.discount_terms.trim_end_matches('.')
        )
    }
}

/// The payment mentions an e-invoice carries as coded notes (BT-21/22, the French rules):
/// PMT the late-payment penalties, PMD the fixed recovery indemnity, AAB the early-payment
/// discount; the same facts as the PDF's mentions, one per code.
pub(super) fn coded_mentions(
    settings: &crate::settings::Settings,
    c: &crate::customers::Customer,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    let fr = lang == Lang::Fr;
    let business = c.kind == crate::customers::CustomerKind::Business;
    let rate = (!settings.late_interest_rate.is_empty()).then(|| {
        settings
            .late_interest_rate
            .replace('.', if fr { "," } else { "." })
    });
    let uk = settings.country == "GB";
    let pmt = match (uk, business, fr, &rate) {
        (true, true, _, _) => "Late payment: statutory interest at 8 % above the Bank of England base rate (Late Payment of Commercial Debts (Interest) Act 1998).".to_string(),
        (true, false, _, _) => "Late payment may bear interest at the statutory rate.".to_string(),
        (false, true, true, Some(r)) => format!("Pénalités de retard : taux annuel de {r} % (art. L441-10 du Code de commerce)."),
        (false, true, true, None) => "Pénalités de retard : taux de refinancement de la BCE majoré de 10 points (art. L441-10 du Code de commerce).".to_string(),
        (false, true, false, Some(r)) => format!("Late-payment penalties: {r} % a year (French Commercial Code, art. L441-10)."),
        (false, true, false, None) => "Late-payment penalties: the ECB refinancing rate plus 10 points (French Commercial Code, art. L441-10).".to_string(),
        (false, false, true, _) => "En cas de retard de paiement, des intérêts au taux légal sont dus.".to_string(),
        (false, false, false, _) => "Late payment bears interest at the statutory rate.".to_string(),
    };
    let pmd = match (uk, business, fr) {
        (true, true, _) => "Fixed sum compensation for the costs of recovering the debt (Late Payment of Commercial Debts (Interest) Act 1998).".to_string(),
        (false, true, true) => "Indemnité forfaitaire pour frais de recouvrement : 40 € (art. D441-5 du Code de commerce).".to_string(),
        (false, true, false) => "Fixed recovery indemnity: €40 (French Commercial Code, art. D441-5).".to_string(),
        (_, false, true) => "Pas d'indemnité forfaitaire pour frais de recouvrement (client non professionnel).".to_string(),
        (_, false, false) => "No fixed recovery indemnity (consumer customer).".to_string(),
    };
    vec![
        ("PMT", pmt),
        ("PMD", pmd),
        ("AAB", discount(settings, lang)),
    ]
}

/// "Option pour le paiement de la taxe d'après les débits", when the owner chose it and the
/// document charges VAT.
pub(super) fn debits_mention(
    settings: &crate::settings::Settings,
    vat: i64,
    lang: Lang,
) -> Option<String> {
    (settings.vat_on_debits && vat != 0).then(|| {
        t(
            lang,
            "Option pour le paiement de la taxe d'après les débits.",
            "The seller opted to pay VAT on debits (invoicing basis).",
        )
    })
}

/// What late payment costs, as the invoice must say: the penalty rate and, for a business
/// customer, the fixed recovery indemnity (France), or the statutory interest (UK).
fn late_payment(
    settings: &crate::settings::Settings,
    c: &crate::customers::Customer,
    lang: Lang,
) -> String {
    let uk = settings.country == "GB";
    let business = c.kind == crate::customers::CustomerKind::Business;
    let contract_rate = (!settings.late_interest_rate.is_empty()).then(|| {
        settings
            .late_interest_rate
            .replace('.', if lang == Lang::Fr { "," } else { "." })
    });
    match (uk, business, lang, &contract_rate) {
        (true, true, _, _) => "Late payment: statutory interest under the Late Payment of Commercial Debts (Interest) Act 1998 (8 % above the Bank of England base rate) and fixed compensation for recovery costs.".to_string(),
        (true, false, _, _) => "Late payment may bear interest at the statutory rate.".to_string(),
        (false, true, Lang::Fr, Some(r)) => format!("En cas de retard de paiement, pénalités au taux annuel de {r} % et indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de commerce)."),
        (false, true, Lang::Fr, None) => "En cas de retard de paiement, pénalités au taux de refinancement de la BCE majoré de 10 points et indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de commerce).".to_string(),
        (false, true, Lang::En, Some(r)) => format!("Late payment: penalties at {r} % a year and a fixed recovery indemnity of €40 (French Commercial Code, art. L441-10 and D441-5)."),
        (false, true, Lang::En, None) => "Late payment: penalties at the ECB refinancing rate plus 10 points and a fixed recovery indemnity of €40 (French Commercial Code, art. L441-10 and D441-5).".to_string(),
        (false, false, Lang::Fr, _) => "En cas de retard de paiement, des intérêts au taux légal sont dus.".to_string(),
        (false, false, Lang::En, _) => "Late payment bears interest at the statutory rate.".to_string(),
    }
}

/// Bank details, when set.
fn bank_line(settings: &crate::settings::Settings, currency: &str, lang: Lang) -> Option<String> {
    if let Some(details) = crate::bank::epc::sterling_details(settings, currency, lang) {
        return Some(format!(
            "{} {details}",
            t(
                lang,
                "Règlement par virement :",
                "Payment by bank transfer:"
            )
        ));
    }
    if settings.iban.is_empty() {
        return None;
    }
    let bic = if settings.bic.is_empty() {
        String::new()
    } else {
        format!(" · BIC {}", settings.bic)
    };
    Some(format!(
        "{} IBAN {}{bic}",
        t(
            lang,
            "Règlement par virement :",
            "Payment by bank transfer:"
        ),
        settings.iban
    ))
}

/// The billing schedule of a contract, to send with the quote: the same letterhead, each
/// milestone with its share, trigger and amounts, the totals, how each invoice is paid and
/// what late payment costs; in the customer's language.
pub fn schedule(
    conn: &Connection,
    reference: &str,
    as_of: chrono::NaiveDate,
) -> Result<InvoiceDoc> {
    let k = crate::contracts::get(conn, reference, as_of)?;
    let settings = crate::settings::get(conn)?;
    if settings.company_name.trim().is_empty() || settings.address.trim().is_empty() {
        return Err(Error::invalid("settings", Msg::CompanyIncomplete));
    }
    let c = crate::customers::get(conn, k.customer_id)?;
    let lang = c.language;
    let currency = Currency::parse(&k.currency)?;
    let money = |d: &str| -> Result<String> {
        Ok(currency.format_minor(
            currency.to_minor(currency.parse_amount(d, "amount")?, "amount")?,
            lang,
        ))
    };
    let (sender, footer) = letters::company_lines(&settings, lang);
    let recipient = letters::recipient_lines(&c, &settings, lang);
    let comma = |x: &str| {
        if lang == Lang::Fr {
            x.replace('.', ",")
        } else {
            x.to_string()
        }
    };
    let mut lines = Vec::new();
    for m in k
        .milestones
        .iter()
        .filter(|m| m.state != crate::contracts::MilestoneState::Cancelled)
    {
        let when = match (m.trigger.as_str(), lang) {
            ("signature", Lang::Fr) => "à la signature".to_string(),
            ("signature", Lang::En) => "at signature".to_string(),
            ("date", Lang::Fr) => format!(
                "le {}",
                m.date.map(|d| short_date(d, lang)).unwrap_or_default()
            ),
            ("date", Lang::En) => format!(
                "on {}",
                m.date.map(|d| short_date(d, lang)).unwrap_or_default()
            ),
            (_, Lang::Fr) => "à l'achèvement de l'étape".to_string(),
            (_, Lang::En) => "when the stage is completed".to_string(),
        };
        let terms = match (lang, m.terms_days) {
            (Lang::Fr, 0) => "payable à réception".to_string(),
            (Lang::Fr, n) => format!("payable à {n} jours"),
            (Lang::En, 0) => "due on receipt".to_string(),
            (Lang::En, n) => format!("due in {n} days"),
        };
        lines.push([
            format!("{}. {} ({when}, {terms})", m.position, m.label),
            money(&m.net)?,
            m.share
                .as_deref()
                .map(|s| crate::contracts::share_with_unit(s, lang == Lang::Fr))
                .unwrap_or_default(),
            money(&m.vat)?,
            money(&m.amount)?,
        ]);
    }
    let headers = if lang == Lang::Fr {
        ["Étape", "Montant HT", "Part", "TVA", "Total TTC"]
    } else {
        ["Milestone", "Net", "Share", "VAT", "Total"]
    }
    .map(str::to_string)
    .to_vec();
    let totals = vec![
        (t(lang, "Total HT", "Total net"), money(&k.net)?),
        (
            if lang == Lang::Fr {
                format!("TVA {} %", comma(&k.vat_rate))
            } else {
                format!("VAT at {} %", k.vat_rate)
            },
            money(&k.vat)?,
        ),
        (
            t(lang, "Total TTC du contrat", "Contract total"),
            money(&k.total)?,
        ),
    ];
    let mut notes: Vec<String> = vec![k.vat_mention.clone()];
    notes.retain(|n| !n.is_empty());
    let mut mentions = vec![t(
        lang,
        "Chaque étape fait l'objet d'une facture à sa date ; la facture de solde reprend le montant total du contrat et déduit les factures d'acompte et d'étape déjà émises.",
        "Each milestone is invoiced when it falls due; the final invoice states the contract total and deducts the deposit and stage invoices already issued.",
    )];
    mentions.push(late_payment(&settings, &c, lang));
    mentions.extend(bank_line(&settings, &k.currency, lang));
    Ok(InvoiceDoc {
        date: as_of,
        number: k.reference.clone(),
        lang,
        title: t(lang, "Échéancier de facturation", "Billing schedule"),
        sender,
        recipient,
        facts: vec![
            (t(lang, "Contrat", "Contract"), k.reference.clone()),
            (t(lang, "Objet", "For"), k.title.clone()),
            (
                t(lang, "Signé le", "Signed on"),
                short_date(k.signed_on, lang),
            ),
            (t(lang, "Établi le", "Issued on"), short_date(as_of, lang)),
        ],
        headers,
        lines,
        totals,
        notes,
        mentions,
        footer,
        window_left: settings.letter_window == "left",
        logo: crate::settings::logo(conn)?.map(|(_, b)| std::sync::Arc::new(b)),
        reference: String::new(),
        qr: None,
    })
}

/// The space each amount column takes at least (net, VAT rate, VAT, total), its gap to the
/// column on its left included, in mm: right edges at 120, 138, 160 and 190 mm, and 74 mm
/// for the description.
const MIN_COLUMNS: [f32; 4] = [26.0, 18.0, 22.0, 30.0];
const GAP: f32 = 3.0;
/// Below this the description would be a word a line: the figures are set smaller instead.
const MIN_LABEL_W: f32 = 60.0;

/// The amount columns' right edges, the description's width and the figures' size: each
/// column is as wide as its widest figure or header needs (a long VAT figure pushes its
/// column left rather than overprint its neighbour), and the figures shrink, down to 6 pt,
/// when that would leave the description less than [`MIN_LABEL_W`].
fn columns(d: &InvoiceDoc) -> ([f32; 4], f32, f32) {
    let mut fitted = ([0.0; 4], 0.0, 0.0);
    for size in [9.0f32, 8.0, 7.0, 6.0] {
        let mut edges = [0.0f32; 4];
        let mut right = RIGHT;
        for col in (0..4).rev() {
            edges[col] = right;
            let widest = d
                .lines
                .iter()
                .map(|r| pdf::width(&r[col + 1], false, size))
                .chain(d.headers.get(col + 1).map(|h| pdf::width(h, true, 8.5)))
                .fold(0.0f32, f32::max);
            right -= MIN_COLUMNS[col].max(widest + GAP);
        }
        fitted = (edges, right - LEFT, size);
        if right - LEFT >= MIN_LABEL_W {
            break;
        }
    }
    fitted
}

/// Lays the invoice out on A4 pages (the table continues with its header repeated).
pub fn layout(d: &InvoiceDoc) -> Vec<Vec<Item>> {
    let mut lay = Layout::new();
    letters::letterhead(&mut lay, &d.sender, d.logo.as_ref());
    letters::address_window(&mut lay, &d.recipient, None, d.window_left);
    // Title and facts, left of (or below) the window.
    let (fx, mut fy) = if d.window_left {
        (125.0, 50.0)
    } else {
        (LEFT, 52.0)
    };
    // The title wraps before the window (right) or the page edge (left window).
    let title_w = if d.window_left {
        RIGHT - fx
    } else {
        110.0 - 4.0 - fx
    };
    for (i, line) in pdf::wrap(&d.title.to_uppercase(), true, 14.0, title_w)
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            fy += 6.0;
        }
        lay.page().push(Item::text(fx, fy, line, 14.0).bold());
    }
    fy += 8.0;
    for (label, value) in &d.facts {
        lay.page().push(Item::text(
            fx,
            fy,
            t(d.lang, &format!("{label} :"), &format!("{label}:")),
            9.0,
        ));
        for (i, line) in pdf::wrap(value, true, 9.0, 52.0).into_iter().enumerate() {
            if i > 0 {
                fy += 4.2;
            }
            lay.page().push(Item::text(fx + 34.0, fy, line, 9.0).bold());
        }
        fy += 4.8;
    }
    lay.y = 100.0_f32.max(fy + 6.0);
    let (edges, label_w, size) = columns(d);
    let header = |lay: &mut Layout| {
        let y = lay.y;
        lay.page()
            .push(Item::text(LEFT, y, d.headers[0].clone(), 8.5).bold());
        for (h, x) in d.headers[1..].iter().zip(edges) {
            lay.page()
                .push(Item::text(x, y, h.clone(), 8.5).bold().align(Align::Right));
        }
        lay.page().push(Item::Rule {
            x1: LEFT,
            x2: RIGHT,
            y: y + 1.5,
            thickness: 0.6,
        });
        lay.y += 6.0;
    };
    header(&mut lay);
    for row in &d.lines {
        let wrapped = pdf::wrap(&row[0], false, 9.0, label_w);
        if lay.need(LINE * wrapped.len() as f32) {
            header(&mut lay);
        }
        let y = lay.y;
        for (x, cell) in edges.iter().zip(&row[1..]) {
            lay.page()
                .push(Item::text(*x, y, cell.clone(), size).align(Align::Right));
        }
        for line in wrapped {
            let y = lay.y;
            lay.page().push(Item::text(LEFT, y, line, 9.0));
            lay.y += 4.4;
        }
        lay.y += 1.2;
    }
    lay.y += 0.5;
    letters::totals(&mut lay, &d.totals, 9.5);
    lay.y += 3.0;
    for n in &d.notes {
        lay.paragraph(n, BODY - 1.0, true);
    }
    lay.y += 2.0;
    for m in &d.mentions {
        lay.paragraph(m, 8.0, false);
        lay.y -= 1.0;
    }
    letters::pay_block(&mut lay, d.lang, &d.reference, d.qr.as_deref());
    letters::finish(&mut lay.pages, &d.footer);
    if d.lang == Lang::Fr {
        pdf::french_typography(&mut lay.pages);
    }
    lay.pages
}

/// What the PDF of `d` says of itself (`title`: its title and number).
pub(super) fn meta<'a>(d: &'a InvoiceDoc, title: &'a str) -> pdf::Meta<'a> {
    pdf::Meta {
        title,
        author: d.sender.first().map_or("", String::as_str),
        subject: &d.number,
        date: d.date,
    }
}

/// The invoice as PDF bytes.
pub fn render(d: &InvoiceDoc) -> Result<Vec<u8>> {
    let title = format!("{} {}", d.title, d.number);
    pdf::render(&meta(d, &title), &layout(d))
}

/// The PDF of a contract's billing schedule (see [`schedule`]).
pub fn schedule_pdf(
    conn: &Connection,
    reference: &str,
    as_of: chrono::NaiveDate,
) -> Result<Vec<u8>> {
    render(&schedule(conn, reference, as_of)?)
}

/// The PDF of invoice `number`: the bytes archived when it was issued from a draft, else
/// (a contract's invoice) drawn from [`compose`]: a Factur-X PDF/A-3b at the EN 16931
/// profile, its CII XML ([`super::cii::xml`]) embedded.
pub fn pdf(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    match archived(conn, number)? {
        Some((pdf, _)) => Ok(pdf),
        None => draw(conn, number, &super::cii::xml(conn, number)?),
    }
}

/// The CII XML of invoice `number`: the archived bytes, else written now.
pub fn xml(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    match archived(conn, number)? {
        Some((_, xml)) => Ok(xml),
        None => super::cii::xml(conn, number),
    }
}

/// The (PDF, XML) archived at issue, if any.
fn archived(conn: &Connection, number: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let head = crate::invoices::stored_by_number(conn, "invoice", number)?;
    Ok(conn
        .query_row(
            "SELECT pdf, xml FROM invoice_archives WHERE invoice_id = ?1",
            [head.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Issues draft `id` on `on` ([`crate::invoices::drafts::issue_in`]), its Factur-X PDF and
/// CII XML archived ([`archive_issued`]), all in one transaction. Returns (id, number).
pub fn issue_draft(conn: &mut Connection, id: i64, on: chrono::NaiveDate) -> Result<(i64, String)> {
    let tx = conn.transaction()?;
    let issued = crate::invoices::drafts::issue_in(&tx, id, on)?;
    tx.commit()?;
    Ok(issued)
}

/// Archives the Factur-X PDF and the CII XML of invoice `invoice_id` (`number`), just
/// issued, inside the issuing transaction: what `relance invoice pdf|xml` return from then
/// on. Registered by `crate::open` as the invoices' [`crate::invoices::issue::finish`].
pub fn archive_issued(tx: &Connection, invoice_id: i64, number: &str) -> Result<()> {
    let xml = super::cii::xml(tx, number)?;
    let pdf = draw(tx, number, &xml)?;
    tx.execute(
        "INSERT INTO invoice_archives (invoice_id, pdf, xml) VALUES (?1, ?2, ?3)",
        crate::store::sql::params![invoice_id, pdf, xml],
    )?;
    Ok(())
}

/// Draws invoice `number` as a Factur-X PDF around `xml`.
fn draw(conn: &Connection, number: &str, xml: &[u8]) -> Result<Vec<u8>> {
    let d = compose(conn, number)?;
    let title = format!("{} {}", d.title, d.number);
    pdf::render_factur_x(
        &meta(&d, &title),
        &layout(&d),
        &pdf::FacturX {
            xml,
            level: "EN 16931",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: Vec<[String; 5]>, totals: Vec<(String, String)>) -> InvoiceDoc {
        InvoiceDoc {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            number: "F2026-0001".into(),
            lang: Lang::Fr,
            title: "Facture".into(),
            sender: vec!["Atelier".into(), "1 rue".into(), "69001 Lyon".into()],
            recipient: vec!["Client".into(), "2 rue".into(), "75001 Paris".into()],
            facts: vec![("Numéro".into(), "F2026-0001".into())],
            headers: ["Désignation", "HT", "TVA %", "TVA", "TTC"]
                .map(String::from)
                .to_vec(),
            lines,
            totals,
            notes: vec![],
            mentions: vec![],
            footer: String::new(),
            window_left: false,
            logo: None,
            reference: String::new(),
            qr: None,
        }
    }

    /// Issue 19: a French invoice is set in French typography (a no-break space before
    /// every ":" and "%", whatever piece of the layout wrote it); an English one has none.
    #[test]
    fn french_invoices_keep_colons_with_their_words() {
        let totals = vec![("TVA 20 %".to_string(), "2,40\u{a0}€".to_string())];
        let mut d = doc(vec![], totals.clone());
        d.notes = vec!["Règlement par virement : IBAN FR76".into()];
        let texts = |d: &InvoiceDoc| -> Vec<String> {
            layout(d)
                .concat()
                .into_iter()
                .filter_map(|i| match i {
                    Item::Text { text, .. } => Some(text),
                    _ => None,
                })
                .collect()
        };
        let fr = texts(&d);
        assert!(fr.contains(&"Numéro\u{a0}:".to_string()), "{fr:?}");
        assert!(
            fr.iter().any(|t| t.contains("virement\u{a0}: IBAN")),
            "{fr:?}"
        );
        assert!(fr.iter().any(|t| t == "TVA 20\u{202f}%"), "{fr:?}");
        assert!(
            !fr.iter().any(|t| t.contains(" :") || t.contains(" %")),
            "{fr:?}"
        );
        d.lang = Lang::En;
        d.facts = vec![("Invoice No.".into(), "F2026-0001".into())];
        assert!(texts(&d).contains(&"Invoice No.:".to_string()));
    }

    /// A long title wraps before the address window instead of running into it.
    #[test]
    fn a_long_title_stays_left_of_the_window() {
        let mut d = doc(vec![], vec![]);
        d.title = "Facture de pénalités de retard".into();
        for left in [false, true] {
            d.window_left = left;
            for page in layout(&d) {
                let bad = pdf::overprinted(&page);
                assert!(bad.is_empty(), "window left {left}: {bad:?}");
            }
        }
    }

    /// Issue 18, item 23: whatever the figures (a few cents to ten billion, rates with three
    /// decimals) and the description, no text of an invoice prints over another; ordinary
    /// figures keep the usual columns (right edges 120, 138, 160, 190 mm, 74 mm of text).
    #[test]
    fn no_figure_overprints_another() {
        let money = |s: &str| format!("{s}\u{a0}€");
        let labels = [
            "Acompte",
            "Développement de l'application de gestion des rendez-vous, recette et mise en production comprises",
        ];
        let figures = [
            "0,01",
            "1\u{202f}234,56",
            "987\u{202f}654\u{202f}321,09",
            "9\u{202f}999\u{202f}999\u{202f}999,99",
        ];
        let rates = ["20\u{a0}%", "5,5\u{a0}%", "8,125\u{a0}%", "19,625\u{a0}%"];
        for label in labels {
            for (k, figure) in figures.iter().enumerate() {
                let rate = rates[k % rates.len()];
                let lines = vec![
                    [
                        label.to_string(),
                        money(figure),
                        rate.to_string(),
                        money(figure),
                        money(figure),
                    ],
                    [
                        "Frais".to_string(),
                        money("12,00"),
                        "20\u{a0}%".into(),
                        money("2,40"),
                        money("14,40"),
                    ],
                ];
                let totals = vec![
                    ("Total HT".to_string(), money(figure)),
                    (format!("TVA {rate}"), money(figure)),
                    ("Total TTC".to_string(), money(figure)),
                ];
                let d = doc(lines, totals);
                for (p, page) in layout(&d).iter().enumerate() {
                    let bad = pdf::overprinted(page);
                    assert!(bad.is_empty(), "{figure} {rate}, page {}: {bad:?}", p + 1);
                }
                if k < 2 {
                    assert_eq!(columns(&d), ([120.0, 138.0, 160.0, RIGHT], 74.0, 9.0));
                }
            }
        }
    }
}
