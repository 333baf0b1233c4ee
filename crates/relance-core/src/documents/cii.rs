//! The e-invoice of an invoice Relance issued: UN/CEFACT Cross Industry Invoice (CII D16B)
//! at the EN 16931 profile, the XML a Factur-X PDF embeds as `factur-x.xml` and what
//! `relance invoice xml` writes. A function of the issued invoice's stored lines and of the
//! identities it names, so the XML and the PDF say the same thing.
//!
//! Encoding decisions (EN 16931 business terms in brackets):
//! - document type (BT-3): 386 "prepayment invoice" for a contract's deposit and stage
//!   invoices, 380 otherwise; a final invoice's deduction of what was invoiced before is a
//!   line of quantity -1 at a positive price (BR-27 forbids a negative price);
//! - VAT category per line: S (standard rate) when a rate is charged, else E (exempt) with
//!   the invoice's VAT mention as the exemption reason (BT-120), "TVA non applicable, art.
//!   293 B du CGI" by default in France; the breakdown (BG-23) groups the lines per category
//!   and rate, its tax amount the VAT the invoice states for them;
//! - seller: name, SIREN as legal registration (BT-30, scheme 0002) when French, VAT number
//!   (BT-31), postal address; buyer: name, SIREN (BT-47) and VAT number (BT-48) when known,
//!   postal address (the seller's country when none given);
//! - payment: the due date (BT-9), the payment reference (BT-83, the RF reference the bank
//!   statements match), SEPA credit transfer (58) to the owner's IBAN (BT-84) when set.

use crate::error::{Error, Msg, Result};
use crate::invoices::issue;
use crate::money::Currency;
use crate::store::sql::{Connection, OptionalExtension};
use chrono::NaiveDate;

/// The EN 16931 specification identifier (BT-24): Factur-X's EN 16931 profile uses it as is.
pub const EN16931: &str = "urn:cen.eu:en16931:2017";

/// A tiny XML writer: elements in order, text escaped, two-space indentation.
struct Xml {
    out: String,
    open: Vec<&'static str>,
}

impl Xml {
    fn new() -> Xml {
        Xml {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }
    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }
    /// An indented opening tag with its attributes, values escaped (without the closing `>`).
    fn open_tag(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&quick_xml::escape::escape(*v));
            self.out.push('"');
        }
    }
    fn start(&mut self, tag: &'static str, attrs: &[(&str, &str)]) {
        self.open_tag(tag, attrs);
        self.out.push_str(">\n");
        self.open.push(tag);
    }
    fn end(&mut self) {
        let tag = self.open.pop().expect("an element is open");
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
    fn leaf(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open_tag(tag, attrs);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
    fn text(&mut self, tag: &str, text: &str) {
        self.leaf(tag, &[], text);
    }
    fn date(&mut self, tag: &'static str, d: NaiveDate) {
        self.start(tag, &[]);
        self.leaf(
            "udt:DateTimeString",
            &[("format", "102")],
            &d.format("%Y%m%d").to_string(),
        );
        self.end();
    }
}

/// A party as the XML names it.
struct Party {
    name: String,
    siren: String,
    vat_number: String,
    address: String,
    postal_code: String,
    city: String,
    country: String,
    email: String,
    /// The seller's tax registration (BT-32) when it has no VAT number: its SIREN (a
    /// franchise en base seller; an invoice outside the scope of VAT).
    tax_registration: String,
}

fn party(x: &mut Xml, tag: &'static str, p: &Party) {
    x.start(tag, &[]);
    x.text("ram:Name", &p.name);
    if !p.siren.is_empty() {
        x.start("ram:SpecifiedLegalOrganization", &[]);
        x.leaf("ram:ID", &[("schemeID", "0002")], &p.siren);
        x.end();
    }
    x.start("ram:PostalTradeAddress", &[]);
    if !p.postal_code.is_empty() {
        x.text("ram:PostcodeCode", &p.postal_code);
    }
    let mut address = p.address.lines().map(str::trim).filter(|l| !l.is_empty());
    for tag in ["ram:LineOne", "ram:LineTwo", "ram:LineThree"] {
        if let Some(l) = address.next() {
            x.text(tag, l);
        }
    }
    if !p.city.is_empty() {
        x.text("ram:CityName", &p.city);
    }
    x.text("ram:CountryID", &p.country);
    x.end();
    // The electronic address (BT-34, BT-49) the French platforms route by: the SIREN
    // (scheme 0225), else the e-mail address.
    if !p.siren.is_empty() {
        x.start("ram:URIUniversalCommunication", &[]);
        x.leaf("ram:URIID", &[("schemeID", "0225")], &p.siren);
        x.end();
    } else if !p.email.is_empty() {
        x.start("ram:URIUniversalCommunication", &[]);
        x.leaf("ram:URIID", &[("schemeID", "EM")], &p.email);
        x.end();
    }
    if !p.vat_number.is_empty() {
        x.start("ram:SpecifiedTaxRegistration", &[]);
        x.leaf("ram:ID", &[("schemeID", "VA")], &p.vat_number);
        x.end();
    } else if !p.tax_registration.is_empty() {
        x.start("ram:SpecifiedTaxRegistration", &[]);
        x.leaf("ram:ID", &[("schemeID", "FC")], &p.tax_registration);
        x.end();
    }
    x.end();
}

/// One group of the VAT breakdown: category, rate, the lines' net sum and their VAT.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Breakdown {
    category: String,
    rate_e4: i64,
    basis: i64,
    vat: i64,
}

/// The exemption reason code (BT-121) of a category without VAT, when one applies.
fn exemption_code(category: &str, franchise: bool) -> Option<&'static str> {
    use crate::error::VatCase;
    use crate::invoices::drafts::exemption_code as code;
    match category {
        "E" if franchise => Some(code(VatCase::Franchise)),
        "K" => Some(code(VatCase::ReverseChargeGoods)),
        "AE" => Some(code(VatCase::ReverseChargeServices)),
        "G" => Some(code(VatCase::Export)),
        "O" => Some(code(VatCase::OutsideScope)),
        _ => None,
    }
}

/// A quantity × 10,000 as a decimal ("1", "2.5").
fn quantity(e4: i64) -> String {
    rust_decimal::Decimal::new(e4, 4).normalize().to_string()
}

/// "1234.56" / "-12.30" in the currency's minor digits.
fn amount(c: Currency, minor: i64) -> String {
    c.minor_to_string(minor)
}

/// The CII of issued invoice `number`. Refused: an unknown invoice, or one recorded from
/// elsewhere (only what Relance issued has the lines an e-invoice needs).
pub fn xml(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    let head = crate::invoices::stored_by_number(conn, "invoice", number)?;
    if !issue::is_issued(conn, head.id)? {
        return Err(Error::invalid(
            "invoice",
            Msg::NotIssuedHere(head.number.clone()),
        ));
    }
    type Extra = (
        String,
        String,
        Option<NaiveDate>,
        Option<i64>,
        Option<String>,
    );
    let (reference, mut notes, delivery, vat_eur, operation): Extra = conn.query_row(
        "SELECT reference, notes, delivery_date, vat_eur_minor, operation FROM invoices
         WHERE id = ?1",
        [head.id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let s = crate::settings::get(conn)?;
    let cur = Currency::parse(&head.currency)?;
    let lines = issue::lines(conn, head.id)?;
    // A contract's deposit or stage invoice (not its final one) is a prepayment invoice.
    let prepayment: bool = conn
        .query_row(
            "SELECT m.position < (SELECT MAX(position) FROM milestones x
                 WHERE x.contract_id = m.contract_id AND x.cancelled = 0)
             FROM milestones m WHERE m.invoice_id = ?1",
            [head.id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    let deduction = lines
        .iter()
        .any(|l| l.net_minor < 0 && l.allowance_e4.is_none());
    let type_code = if prepayment && !deduction {
        "386"
    } else {
        "380"
    };
    let payment_reference = crate::bank::store::references_for(conn, &[head.id])?;
    // The category of the operation, as the PDF says it (a note after the invoice's own).
    if let Some(op) = &operation {
        let fr = crate::customers::get(conn, head.customer_id)?.language == crate::error::Lang::Fr;
        let said = crate::invoices::drafts::operation_mention(op, fr);
        notes = if notes.trim().is_empty() {
            said.to_string()
        } else {
            format!("{notes}\n{said}")
        };
    }

    let franchise = s.vat_regime == "franchise";
    // Why no VAT (BT-120): an invoice written in a draft says it in its first note (the
    // case's mention, put there at issue); a contract's, in its VAT mention; else the
    // owner's franchise, else a plain exemption.
    let exemption = {
        let written_here = lines.iter().any(|l| l.category.is_some());
        let first = notes
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let contract: String = if reference.is_empty() {
            String::new()
        } else {
            conn.query_row(
                "SELECT vat_mention FROM contracts WHERE reference = ?1",
                [&reference],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default()
        };
        if written_here && !first.is_empty() {
            first.to_string()
        } else if !contract.trim().is_empty() {
            contract.trim().to_string()
        } else if franchise {
            crate::invoices::drafts::exemption_mention(crate::error::VatCase::Franchise, true)
                .to_string()
        } else if s.country == "FR" {
            "Exonération de TVA".to_string()
        } else {
            "Exempt from VAT".to_string()
        }
    };

    write(
        conn,
        &Doc {
            number: head.number.clone(),
            type_code,
            issue_date: head.issue_date,
            due_date: Some(head.due_date),
            customer_id: head.customer_id,
            currency: cur,
            lines,
            notes,
            reference,
            delivery,
            ship_to: issue::delivery_address(conn, head.id)?,
            preceding: None,
            total: head.total_minor,
            payment_reference,
            exemption,
            vat_eur,
        },
    )
}

/// What an e-invoice says, gathered from an issued invoice or credit note.
struct Doc {
    number: String,
    /// BT-3: 380, 386 or 381.
    type_code: &'static str,
    issue_date: NaiveDate,
    /// BT-9 (an invoice); a credit note says how it is settled instead (BT-20).
    due_date: Option<NaiveDate>,
    customer_id: i64,
    currency: Currency,
    lines: Vec<issue::Line>,
    notes: String,
    /// The contract (BT-12).
    reference: String,
    delivery: Option<NaiveDate>,
    /// Where, when not at the buyer's address (BG-15).
    ship_to: Option<crate::invoices::issue::DeliveryAddress>,
    /// The invoice a credit note corrects (BT-25, BT-26).
    preceding: Option<(String, NaiveDate)>,
    total: i64,
    payment_reference: String,
    /// Why no VAT (BT-120), for the groups not at a standard rate.
    exemption: String,
    /// The VAT in euros (BT-111, the tax currency BT-6 EUR) of an invoice in another currency.
    vat_eur: Option<i64>,
}

/// The CII of issued credit note `number` (type 381): its lines and totals as positive
/// amounts, the invoice it corrects (BG-3), how it is settled (BT-20: imputed on that
/// invoice, any excess the customer's credit).
pub fn credit_note_xml(conn: &Connection, number: &str) -> Result<Vec<u8>> {
    use crate::invoices::credit_documents as cd;
    let d = cd::by_number(conn, number)?;
    let inv = crate::invoices::stored_by_id(conn, d.invoice_id)?;
    let s = crate::settings::get(conn)?;
    let lines = cd::lines(conn, d.id)?;
    let fr = crate::customers::get(conn, inv.customer_id)?.language == crate::error::Lang::Fr;
    let (inv_delivery, rate): (Option<NaiveDate>, Option<i64>) = conn.query_row(
        "SELECT delivery_date, exchange_rate_e6 FROM invoices WHERE id = ?1",
        [inv.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut notes: Vec<String> = Vec::new();
    if !d.notes.trim().is_empty() {
        notes.push(d.notes.trim().to_string());
    }
    if !d.reason.trim().is_empty() {
        notes.extend(
            d.reason
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    let exemption = if !d.notes.trim().is_empty() {
        d.notes.trim().to_string()
    } else if s.vat_regime == "franchise" {
        crate::invoices::drafts::exemption_mention(crate::error::VatCase::Franchise, fr).to_string()
    } else if fr {
        "Exonération de TVA".to_string()
    } else {
        "Exempt from VAT".to_string()
    };
    write(
        conn,
        &Doc {
            number: d.number.clone(),
            type_code: "381",
            issue_date: d.date,
            due_date: None,
            customer_id: inv.customer_id,
            currency: Currency::parse(&d.currency)?,
            lines,
            notes: notes.join("\n"),
            reference: String::new(),
            // The invoice's delivery date (BR-IC-11 for goods delivered in the EU) and place.
            delivery: inv_delivery,
            ship_to: crate::invoices::issue::delivery_address(conn, inv.id)?,
            preceding: Some((inv.number.clone(), inv.issue_date)),
            total: d.total_minor,
            payment_reference: String::new(),
            exemption,
            // At the rate of the invoice it corrects.
            vat_eur: rate.map(|r| {
                crate::invoices::drafts::vat_in_euros(
                    d.vat_minor,
                    Currency::parse(&d.currency).unwrap_or(Currency::EUR),
                    r,
                )
            }),
        },
    )
}

/// Writes `d` as CII.
fn write(conn: &Connection, d: &Doc) -> Result<Vec<u8>> {
    let s = crate::settings::get(conn)?;
    let c = crate::customers::get(conn, d.customer_id)?;
    let cur = d.currency;
    let lines = &d.lines;
    let notes = &d.notes;
    let reference = &d.reference;
    let exemption = &d.exemption;
    let franchise = s.vat_regime == "franchise";
    let mut groups: Vec<Breakdown> = Vec::new();
    for l in lines {
        let cat = l.category();
        match groups
            .iter_mut()
            .find(|g| g.category == cat && g.rate_e4 == l.vat_rate_e4)
        {
            Some(g) => {
                g.basis += l.net_minor;
                g.vat += l.vat_minor;
            }
            None => groups.push(Breakdown {
                category: cat.to_string(),
                rate_e4: l.vat_rate_e4,
                basis: l.net_minor,
                vat: l.vat_minor,
            }),
        }
    }
    let net = crate::money::checked_total(lines.iter().map(|l| l.net_minor))?;
    let vat = crate::money::checked_total(lines.iter().map(|l| l.vat_minor))?;
    // The discount on the whole invoice is a document-level allowance (BG-20), not a line.
    let (allowances, items): (Vec<&issue::Line>, Vec<&issue::Line>) =
        lines.iter().partition(|l| l.allowance_e4.is_some());
    let lines_net = crate::money::checked_total(items.iter().map(|l| l.net_minor))?;
    let allowance_total = crate::money::checked_total(allowances.iter().map(|l| -l.net_minor))?;
    let outside = lines.iter().any(|l| l.category() == "O");
    // A French seller's SIREN (its SIRET's first nine digits when only that is set).
    let siren: String = match (s.country.as_str(), s.siren.is_empty()) {
        ("FR", true) => s.siret.chars().take(9).collect(),
        ("FR", false) => s.siren.clone(),
        _ => String::new(),
    };
    let seller = Party {
        name: s.company_name.clone(),
        // Outside the scope of VAT, no VAT identifier is named (BR-O-02): the SIREN is the
        // seller's tax registration (BT-32).
        vat_number: if outside {
            String::new()
        } else {
            s.vat_number.clone()
        },
        tax_registration: if s.vat_number.is_empty() || outside {
            siren.clone()
        } else {
            String::new()
        },
        siren,
        address: s.address.clone(),
        postal_code: s.postal_code.clone(),
        city: s.city.clone(),
        country: if s.country.is_empty() {
            "FR".into()
        } else {
            s.country.clone()
        },
        email: s.email.clone(),
    };
    let buyer = Party {
        name: c.name.clone(),
        siren: c.siren.clone(),
        vat_number: if outside {
            String::new()
        } else {
            c.vat_number.clone()
        },
        address: c.address.clone(),
        postal_code: c.postal_code.clone(),
        city: c.city.clone(),
        country: if c.country.is_empty() {
            seller.country.clone()
        } else {
            c.country.clone()
        },
        email: c.email.clone(),
        tax_registration: String::new(),
    };

    let mut x = Xml::new();
    x.start(
        "rsm:CrossIndustryInvoice",
        &[
            (
                "xmlns:rsm",
                "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
            ),
            (
                "xmlns:qdt",
                "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
            ),
            (
                "xmlns:ram",
                "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
            ),
            (
                "xmlns:udt",
                "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
            ),
        ],
    );
    x.start("rsm:ExchangedDocumentContext", &[]);
    x.start("ram:GuidelineSpecifiedDocumentContextParameter", &[]);
    x.text("ram:ID", EN16931);
    x.end();
    x.end();

    x.start("rsm:ExchangedDocument", &[]);
    x.text("ram:ID", &d.number);
    x.text("ram:TypeCode", d.type_code);
    x.date("ram:IssueDateTime", d.issue_date);
    for n in notes.lines().map(str::trim).filter(|l| !l.is_empty()) {
        x.start("ram:IncludedNote", &[]);
        x.text("ram:Content", n);
        x.end();
    }
    // The payment mentions as coded notes (PMT, PMD, AAB) on an invoice; the VAT-on-debits
    // option (TXD) when VAT is charged.
    let mut coded = Vec::new();
    if d.due_date.is_some() {
        coded = super::invoice::coded_mentions(&s, &c, c.language);
    }
    if let Some(m) = super::invoice::debits_mention(&s, vat, c.language) {
        coded.push(("TXD", m));
    }
    for (code, content) in &coded {
        x.start("ram:IncludedNote", &[]);
        x.text("ram:Content", content);
        x.text("ram:SubjectCode", code);
        x.end();
    }
    x.end();

    x.start("rsm:SupplyChainTradeTransaction", &[]);
    for (i, l) in items.iter().enumerate() {
        x.start("ram:IncludedSupplyChainTradeLineItem", &[]);
        x.start("ram:AssociatedDocumentLineDocument", &[]);
        x.text("ram:LineID", &(i + 1).to_string());
        x.end();
        x.start("ram:SpecifiedTradeProduct", &[]);
        x.text("ram:Name", &l.label);
        x.end();
        // A line written in a draft: its quantity, unit and unit price, its discount a line
        // allowance (BG-27); a contract's line: one unit at its net, a deduction -1.
        let (qty, unit, price, discount) = match &l.detail {
            Some(d) => (
                quantity(d.quantity_e4),
                d.unit.as_str(),
                d.price_minor,
                d.discount_minor,
            ),
            None => (
                if l.net_minor < 0 { "-1" } else { "1" }.to_string(),
                "C62",
                l.net_minor.abs(),
                0,
            ),
        };
        x.start("ram:SpecifiedLineTradeAgreement", &[]);
        x.start("ram:NetPriceProductTradePrice", &[]);
        x.text("ram:ChargeAmount", &amount(cur, price));
        x.end();
        x.end();
        x.start("ram:SpecifiedLineTradeDelivery", &[]);
        x.leaf("ram:BilledQuantity", &[("unitCode", unit)], &qty);
        x.end();
        x.start("ram:SpecifiedLineTradeSettlement", &[]);
        x.start("ram:ApplicableTradeTax", &[]);
        x.text("ram:TypeCode", "VAT");
        x.text("ram:CategoryCode", l.category());
        if l.category() != "O" {
            x.text(
                "ram:RateApplicablePercent",
                &issue::rate_text(l.vat_rate_e4),
            );
        }
        x.end();
        if discount != 0 {
            x.start("ram:SpecifiedTradeAllowanceCharge", &[]);
            x.start("ram:ChargeIndicator", &[]);
            x.text("udt:Indicator", "false");
            x.end();
            x.text("ram:ActualAmount", &amount(cur, discount));
            x.text("ram:Reason", "Remise");
            x.end();
        }
        x.start("ram:SpecifiedTradeSettlementLineMonetarySummation", &[]);
        x.text("ram:LineTotalAmount", &amount(cur, l.net_minor));
        x.end();
        x.end();
        x.end();
    }

    x.start("ram:ApplicableHeaderTradeAgreement", &[]);
    party(&mut x, "ram:SellerTradeParty", &seller);
    party(&mut x, "ram:BuyerTradeParty", &buyer);
    if !reference.is_empty() {
        x.start("ram:ContractReferencedDocument", &[]);
        x.text("ram:IssuerAssignedID", reference);
        x.end();
    }
    x.end();

    x.start("ram:ApplicableHeaderTradeDelivery", &[]);
    if let Some(a) = &d.ship_to {
        // The delivery address (BG-15): also where goods delivered in the EU go (BT-80).
        x.start("ram:ShipToTradeParty", &[]);
        x.start("ram:PostalTradeAddress", &[]);
        x.text("ram:PostcodeCode", &a.postal_code);
        let mut street = a.street.lines().map(str::trim).filter(|l| !l.is_empty());
        for tag in ["ram:LineOne", "ram:LineTwo"] {
            if let Some(l) = street.next() {
                x.text(tag, l);
            }
        }
        x.text("ram:CityName", &a.city);
        x.text("ram:CountryID", &a.country);
        x.end();
        x.end();
    } else if lines.iter().any(|l| l.category() == "K") {
        // Goods delivered elsewhere in the EU: where to (BT-80, BR-IC-12).
        x.start("ram:ShipToTradeParty", &[]);
        x.start("ram:PostalTradeAddress", &[]);
        x.text("ram:CountryID", &buyer.country);
        x.end();
        x.end();
    }
    if let Some(day) = d.delivery {
        x.start("ram:ActualDeliverySupplyChainEvent", &[]);
        x.date("ram:OccurrenceDateTime", day);
        x.end();
    }
    x.end();

    x.start("ram:ApplicableHeaderTradeSettlement", &[]);
    if !d.payment_reference.is_empty() {
        x.text("ram:PaymentReference", &d.payment_reference);
    }
    if d.vat_eur.is_some() {
        x.text("ram:TaxCurrencyCode", "EUR");
    }
    x.text("ram:InvoiceCurrencyCode", cur.code());
    let iban: String = s.iban.chars().filter(|c| !c.is_whitespace()).collect();
    if !iban.is_empty() && d.due_date.is_some() {
        x.start("ram:SpecifiedTradeSettlementPaymentMeans", &[]);
        x.text("ram:TypeCode", "58");
        x.start("ram:PayeePartyCreditorFinancialAccount", &[]);
        x.text("ram:IBANID", &iban);
        x.end();
        x.end();
    }
    for g in &groups {
        x.start("ram:ApplicableTradeTax", &[]);
        x.text("ram:CalculatedAmount", &amount(cur, g.vat));
        x.text("ram:TypeCode", "VAT");
        if g.category != "S" {
            x.text("ram:ExemptionReason", exemption);
        }
        x.text("ram:BasisAmount", &amount(cur, g.basis));
        x.text("ram:CategoryCode", &g.category);
        if let Some(code) = exemption_code(&g.category, franchise) {
            x.text("ram:ExemptionReasonCode", code);
        }
        // No rate outside the scope of VAT (BR-O-05, BR-48).
        if g.category != "O" {
            x.text("ram:RateApplicablePercent", &issue::rate_text(g.rate_e4));
        }
        x.end();
    }
    for a in &allowances {
        let basis = crate::money::checked_total(
            items
                .iter()
                .filter(|l| l.category() == a.category() && l.vat_rate_e4 == a.vat_rate_e4)
                .map(|l| l.net_minor),
        )?;
        x.start("ram:SpecifiedTradeAllowanceCharge", &[]);
        x.start("ram:ChargeIndicator", &[]);
        x.text("udt:Indicator", "false");
        x.end();
        x.text(
            "ram:CalculationPercent",
            &issue::rate_text(a.allowance_e4.unwrap_or_default()),
        );
        x.text("ram:BasisAmount", &amount(cur, basis));
        x.text("ram:ActualAmount", &amount(cur, -a.net_minor));
        // UNTDID 5189 code 95, "Discount", and its words.
        x.text("ram:ReasonCode", "95");
        x.text("ram:Reason", &a.label);
        x.start("ram:CategoryTradeTax", &[]);
        x.text("ram:TypeCode", "VAT");
        x.text("ram:CategoryCode", a.category());
        if a.category() != "O" {
            x.text(
                "ram:RateApplicablePercent",
                &issue::rate_text(a.vat_rate_e4),
            );
        }
        x.end();
        x.end();
    }
    x.start("ram:SpecifiedTradePaymentTerms", &[]);
    match (d.due_date, &d.preceding) {
        (Some(due), _) => x.date("ram:DueDateDateTime", due),
        (None, Some((invoice, _))) => x.text(
            "ram:Description",
            &if c.language == crate::error::Lang::Fr {
                format!("Avoir imputé sur la facture {invoice} ; l'excédent éventuel reste au crédit du client.")
            } else {
                format!("Credit note set against invoice {invoice}; any excess remains to the customer's credit.")
            },
        ),
        (None, None) => {}
    }
    x.end();
    x.start("ram:SpecifiedTradeSettlementHeaderMonetarySummation", &[]);
    x.text("ram:LineTotalAmount", &amount(cur, lines_net));
    if !allowances.is_empty() {
        x.text("ram:AllowanceTotalAmount", &amount(cur, allowance_total));
    }
    x.text("ram:TaxBasisTotalAmount", &amount(cur, net));
    x.leaf(
        "ram:TaxTotalAmount",
        &[("currencyID", cur.code())],
        &amount(cur, vat),
    );
    if let Some(eur) = d.vat_eur {
        x.leaf(
            "ram:TaxTotalAmount",
            &[("currencyID", "EUR")],
            &amount(Currency::EUR, eur),
        );
    }
    x.text("ram:GrandTotalAmount", &amount(cur, d.total));
    x.text("ram:DuePayableAmount", &amount(cur, d.total));
    x.end();
    if let Some((invoice, issued)) = &d.preceding {
        x.start("ram:InvoiceReferencedDocument", &[]);
        x.text("ram:IssuerAssignedID", invoice);
        x.start("ram:FormattedIssueDateTime", &[]);
        x.leaf(
            "qdt:DateTimeString",
            &[("format", "102")],
            &issued.format("%Y%m%d").to_string(),
        );
        x.end();
        x.end();
    }
    x.end();

    x.end();
    x.end();
    Ok(x.out.into_bytes())
}
