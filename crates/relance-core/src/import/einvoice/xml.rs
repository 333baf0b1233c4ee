//! The XML of an e-invoice read into a small tree, then mapped to [`Doc`]: UN/CEFACT CII
//! (`CrossIndustryInvoice`, what Factur-X and ZUGFeRD embed) and UBL 2.1 (`Invoice`,
//! `CreditNote`). Elements are found by local name, whatever their namespace prefix.
//! A DTD, or an entity other than the five predefined ones and character references,
//! refuses the file (no XXE, no billion laughs); the size and the depth are bounded.

use super::model::{Charge, Doc, Line, Party, Syntax, VatBreak};
use super::{fault, Fault};
use crate::error::Result;
use chrono::NaiveDate;
use quick_xml::events::Event;
use rust_decimal::Decimal;

/// One element: its local name, attributes (local names), text, and children.
#[derive(Debug, Default)]
pub(crate) struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at a path of child names.
    fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, name| n.child(name))
    }

    /// The trimmed text at a path ("" when absent).
    fn text(&self, path: &[&str]) -> &str {
        self.at(path).map(|n| n.text.trim()).unwrap_or("")
    }

    fn attr(&self, name: &str) -> &str {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
}

/// Deeper than any e-invoice nests: refused before the tree grows without end.
const MAX_DEPTH: usize = 48;
/// More elements (and attributes) than any invoice of a small business holds: 10,000 lines
/// are about 300,000.
const MAX_NODES: usize = 500_000;

/// Reads the XML into a tree. Only the refusals a reader must make are made here.
pub(crate) fn tree(bytes: &[u8]) -> Result<Node> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| fault(Fault::NotUtf8))?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut count = 0usize;
    let malformed = |stack: &[Node], detail: String| {
        let path: Vec<&str> = stack.iter().skip(1).map(|n| n.name.as_str()).collect();
        fault(Fault::Malformed {
            at: path.join("/"),
            detail,
        })
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| malformed(&stack, e.to_string()))?;
        match ev {
            Event::DocType(_) => return Err(fault(Fault::Dtd)),
            Event::Start(e) => {
                count += 1;
                if count > MAX_NODES || stack.len() > MAX_DEPTH {
                    return Err(malformed(&stack, "too deep or too many elements".into()));
                }
                let node = element(&e, &stack, &malformed)?;
                count += node.attrs.len();
                stack.push(node);
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_NODES {
                    return Err(malformed(&stack, "too many elements".into()));
                }
                let node = element(&e, &stack, &malformed)?;
                count += node.attrs.len();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Err(_) => return Err(malformed(&stack, format!("&{};", &*r))),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => return Err(fault(Fault::Dtd)),
                    },
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let node = stack.pop().unwrap_or_default();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Err(malformed(&[], "unbalanced".into())),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(malformed(&stack, "not closed".into()));
    }
    let root = stack.pop().unwrap_or_default();
    root.children
        .into_iter()
        .next()
        .ok_or_else(|| fault(Fault::NotEinvoice("".into())))
}

fn element(
    e: &quick_xml::events::BytesStart,
    stack: &[Node],
    malformed: &dyn Fn(&[Node], String) -> crate::error::Error,
) -> Result<Node> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(stack, err.to_string()))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| fault(Fault::Dtd))?
            .into_owned();
        attrs.push((a.key.local_name().as_ref().to_string(), value));
    }
    Ok(Node {
        name,
        attrs,
        ..Node::default()
    })
}

/// The document in the tree, whichever syntax it is.
pub(crate) fn read(root: &Node) -> Result<Doc> {
    match root.name.as_str() {
        "CrossIndustryInvoice" => cii(root),
        "Invoice" | "CreditNote" => ubl(root),
        other => Err(fault(Fault::UnknownRoot(other.to_string()))),
    }
}

/// Digits an amount, quantity or rate may have before and after its point: far beyond any
/// invoice (a quadrillion), and small enough that no product or sum of them overflows.
const MAX_INTEGER_DIGITS: usize = 15;
const MAX_FRACTION_DIGITS: usize = 10;

fn decimal(field: &'static str, value: &str) -> Result<Decimal> {
    let v = value.trim();
    // EN 16931 amounts: digits with a dot, an optional sign; no exponent, no grouping.
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let ok = !unsigned.is_empty()
        && (int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
        && int.trim_start_matches('0').len() <= MAX_INTEGER_DIGITS
        && frac.len() <= MAX_FRACTION_DIGITS
        && !(int.is_empty() && frac.is_empty());
    if !ok {
        return Err(fault(Fault::BadAmount {
            field,
            value: v.chars().take(40).collect(),
        }));
    }
    v.parse::<Decimal>().map_err(|_| {
        fault(Fault::BadAmount {
            field,
            value: v.to_string(),
        })
    })
}

/// A VAT rate in percent: 0 to 100, at most four decimals.
fn rate(field: &'static str, value: &str) -> Result<Option<Decimal>> {
    let Some(r) = opt_decimal(field, value)? else {
        return Ok(None);
    };
    if r < Decimal::ZERO || r > Decimal::from(100) || r.normalize().scale() > 4 {
        return Err(fault(Fault::BadAmount {
            field,
            value: value.trim().chars().take(40).collect(),
        }));
    }
    Ok(Some(r))
}

fn opt_decimal(field: &'static str, value: &str) -> Result<Option<Decimal>> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        decimal(field, value).map(Some)
    }
}

fn required<'a>(field: &'static str, value: &'a str) -> Result<&'a str> {
    if value.is_empty() {
        Err(fault(Fault::Missing(field)))
    } else {
        Ok(value)
    }
}

/// A CII date (`format="102"`: 20260131) or an ISO one (2026-01-31).
fn date(field: &'static str, value: &str) -> Result<NaiveDate> {
    let v = value.trim();
    let parsed = NaiveDate::parse_from_str(v, "%Y%m%d")
        .or_else(|_| NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d"))
        .map_err(|_| {
            fault(Fault::BadDate {
                field,
                value: v.chars().take(30).collect(),
            })
        })?;
    if parsed < crate::validate::earliest() || parsed > crate::validate::latest() {
        return Err(fault(Fault::BadDate {
            field,
            value: v.to_string(),
        }));
    }
    Ok(parsed)
}

fn opt_date(field: &'static str, value: &str) -> Result<Option<NaiveDate>> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        date(field, value).map(Some)
    }
}

/// A free-text note, each of its lines trimmed (files pad them with tabs).
fn note(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// UN/CEFACT Cross Industry Invoice (D16B), the syntax of Factur-X and ZUGFeRD.
fn cii(root: &Node) -> Result<Doc> {
    let doc = root.child("ExchangedDocument");
    let tx = root
        .child("SupplyChainTradeTransaction")
        .ok_or_else(|| fault(Fault::Missing("SupplyChainTradeTransaction")))?;
    let agreement = tx.child("ApplicableHeaderTradeAgreement");
    let settlement = tx
        .child("ApplicableHeaderTradeSettlement")
        .ok_or_else(|| fault(Fault::Missing("ApplicableHeaderTradeSettlement")))?;
    let text = |n: Option<&Node>, path: &[&str]| n.map(|n| n.text(path)).unwrap_or("").to_string();
    let type_code = text(doc, &["TypeCode"]);
    let party = |name: &str| -> Party {
        let Some(p) = agreement.and_then(|a| a.child(name)) else {
            return Party::default();
        };
        let mut ids: Vec<(String, String)> = p
            .all("ID")
            .map(|n| (String::new(), n.text.trim().to_string()))
            .collect();
        ids.extend(
            p.all("GlobalID")
                .map(|n| (n.attr("schemeID").to_string(), n.text.trim().to_string())),
        );
        let legal = p.at(&["SpecifiedLegalOrganization", "ID"]);
        let mut vat = String::new();
        let mut tax_id = String::new();
        for reg in p.all("SpecifiedTaxRegistration") {
            if let Some(id) = reg.child("ID") {
                match id.attr("schemeID") {
                    "VA" => vat = id.text.trim().to_string(),
                    _ => tax_id = id.text.trim().to_string(),
                }
            }
        }
        let addr = p.child("PostalTradeAddress");
        let lines: Vec<String> = ["LineOne", "LineTwo", "LineThree"]
            .iter()
            .map(|l| text(addr, &[l]))
            .filter(|l| !l.is_empty())
            .collect();
        Party {
            name: one_line(p.text(&["Name"])),
            ids,
            legal_id: legal
                .map(|n| (n.attr("schemeID").to_string(), n.text.trim().to_string()))
                .filter(|(_, v)| !v.is_empty()),
            vat,
            tax_id,
            address: lines.join("\n"),
            postal_code: text(addr, &["PostcodeCode"]),
            city: text(addr, &["CityName"]),
            country: text(addr, &["CountryID"]),
            email: p
                .all("URIUniversalCommunication")
                .map(|u| u.text(&["URIID"]))
                .find(|u| u.contains('@'))
                .unwrap_or("")
                .to_string(),
        }
    };
    let mut lines = Vec::new();
    for item in tx.all("IncludedSupplyChainTradeLineItem") {
        let ls = item.child("SpecifiedLineTradeSettlement");
        let tax = ls.and_then(|s| s.child("ApplicableTradeTax"));
        let qty = item.at(&["SpecifiedLineTradeDelivery", "BilledQuantity"]);
        lines.push(Line {
            id: item
                .text(&["AssociatedDocumentLineDocument", "LineID"])
                .into(),
            name: one_line(item.text(&["SpecifiedTradeProduct", "Name"])),
            quantity: opt_decimal("BT-129", qty.map(|q| q.text.trim()).unwrap_or(""))?,
            unit: qty.map(|q| q.attr("unitCode")).unwrap_or("").into(),
            price: opt_decimal(
                "BT-146",
                item.text(&[
                    "SpecifiedLineTradeAgreement",
                    "NetPriceProductTradePrice",
                    "ChargeAmount",
                ]),
            )?,
            net: decimal(
                "BT-131",
                required(
                    "BT-131",
                    ls.map(|s| {
                        s.text(&[
                            "SpecifiedTradeSettlementLineMonetarySummation",
                            "LineTotalAmount",
                        ])
                    })
                    .unwrap_or(""),
                )?,
            )?,
            category: text(tax, &["CategoryCode"]),
            rate: rate("BT-152", &text(tax, &["RateApplicablePercent"]))?,
        });
    }
    let mut charges = Vec::new();
    for ac in settlement.all("SpecifiedTradeAllowanceCharge") {
        charges.push(Charge {
            charge: matches!(ac.text(&["ChargeIndicator", "Indicator"]), "true" | "1"),
            amount: decimal("BT-92", required("BT-92", ac.text(&["ActualAmount"]))?)?,
            category: ac.text(&["CategoryTradeTax", "CategoryCode"]).into(),
            rate: rate(
                "BT-96",
                ac.text(&["CategoryTradeTax", "RateApplicablePercent"]),
            )?,
        });
    }
    let mut vat = Vec::new();
    for t in settlement.all("ApplicableTradeTax") {
        vat.push(VatBreak {
            category: t.text(&["CategoryCode"]).into(),
            rate: rate("BT-119", t.text(&["RateApplicablePercent"]))?,
            basis: decimal("BT-116", required("BT-116", t.text(&["BasisAmount"]))?)?,
            amount: decimal("BT-117", required("BT-117", t.text(&["CalculatedAmount"]))?)?,
            reason: one_line(t.text(&["ExemptionReason"])),
        });
    }
    let currency = settlement.text(&["InvoiceCurrencyCode"]).to_string();
    let sums = settlement.child("SpecifiedTradeSettlementHeaderMonetarySummation");
    let sum = |name: &str| text(sums, &[name]);
    // BT-110 is the TaxTotalAmount in the invoice's currency (a second one, BT-111, may
    // give it in the currency VAT is accounted in).
    let tax_total = sums
        .map(|s| {
            s.all("TaxTotalAmount")
                .find(|t| t.attr("currencyID").is_empty() || t.attr("currencyID") == currency)
                .map(|t| t.text.trim().to_string())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let terms = settlement.child("SpecifiedTradePaymentTerms");
    Ok(Doc {
        syntax: Syntax::Cii,
        type_code: type_code.clone(),
        credit: super::model::is_credit_code(&type_code),
        number: text(doc, &["ID"]),
        issue_date: date(
            "BT-2",
            required("BT-2", &text(doc, &["IssueDateTime", "DateTimeString"]))?,
        )?,
        due_date: opt_date("BT-9", &text(terms, &["DueDateDateTime", "DateTimeString"]))?,
        terms: one_line(&text(terms, &["Description"])),
        currency,
        buyer_reference: text(agreement, &["BuyerReference"]),
        order_reference: text(
            agreement,
            &["BuyerOrderReferencedDocument", "IssuerAssignedID"],
        ),
        payment_reference: settlement.text(&["PaymentReference"]).into(),
        preceding: settlement
            .all("InvoiceReferencedDocument")
            .map(|r| r.text(&["IssuerAssignedID"]).to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        seller: party("SellerTradeParty"),
        buyer: party("BuyerTradeParty"),
        delivery_date: opt_date(
            "BT-72",
            tx.text(&[
                "ApplicableHeaderTradeDelivery",
                "ActualDeliverySupplyChainEvent",
                "OccurrenceDateTime",
                "DateTimeString",
            ]),
        )?,
        notes: doc
            .map(|d| {
                d.all("IncludedNote")
                    .map(|n| note(n.text(&["Content"])))
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        lines,
        charges,
        vat,
        line_total: decimal("BT-106", required("BT-106", &sum("LineTotalAmount"))?)?,
        allowance_total: opt_decimal("BT-107", &sum("AllowanceTotalAmount"))?,
        charge_total: opt_decimal("BT-108", &sum("ChargeTotalAmount"))?,
        tax_basis: decimal("BT-109", required("BT-109", &sum("TaxBasisTotalAmount"))?)?,
        tax_total: opt_decimal("BT-110", &tax_total)?,
        grand_total: decimal("BT-112", required("BT-112", &sum("GrandTotalAmount"))?)?,
        prepaid: opt_decimal("BT-113", &sum("TotalPrepaidAmount"))?,
        rounding: opt_decimal("BT-114", &sum("RoundingAmount"))?,
        due: decimal("BT-115", required("BT-115", &sum("DuePayableAmount"))?)?,
    })
}

/// OASIS UBL 2.1 `Invoice` or `CreditNote` (the EN 16931 binding).
fn ubl(root: &Node) -> Result<Doc> {
    let credit_root = root.name == "CreditNote";
    let type_code = root
        .text(&[if credit_root {
            "CreditNoteTypeCode"
        } else {
            "InvoiceTypeCode"
        }])
        .to_string();
    let party = |name: &str| -> Party {
        let Some(p) = root.at(&[name, "Party"]) else {
            return Party::default();
        };
        let mut ids: Vec<(String, String)> = p
            .all("PartyIdentification")
            .filter_map(|i| i.child("ID"))
            .map(|n| (n.attr("schemeID").to_string(), n.text.trim().to_string()))
            .collect();
        if let Some(e) = p.child("EndpointID") {
            ids.push((e.attr("schemeID").to_string(), e.text.trim().to_string()));
        }
        let mut vat = String::new();
        let mut tax_id = String::new();
        for s in p.all("PartyTaxScheme") {
            let id = s.text(&["CompanyID"]).to_string();
            if s.text(&["TaxScheme", "ID"]).eq_ignore_ascii_case("VAT") {
                vat = id;
            } else {
                tax_id = id;
            }
        }
        let legal = p.at(&["PartyLegalEntity", "CompanyID"]);
        let addr = p.child("PostalAddress");
        let a = |path: &[&str]| addr.map(|n| n.text(path)).unwrap_or("").to_string();
        let lines: Vec<String> = [
            a(&["StreetName"]),
            a(&["AdditionalStreetName"]),
            a(&["AddressLine", "Line"]),
        ]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
        let registration = p.text(&["PartyLegalEntity", "RegistrationName"]);
        Party {
            name: one_line(if registration.is_empty() {
                p.text(&["PartyName", "Name"])
            } else {
                registration
            }),
            ids,
            legal_id: legal
                .map(|n| (n.attr("schemeID").to_string(), n.text.trim().to_string()))
                .filter(|(_, v)| !v.is_empty()),
            vat,
            tax_id,
            address: lines.join("\n"),
            postal_code: a(&["PostalZone"]),
            city: a(&["CityName"]),
            country: a(&["Country", "IdentificationCode"]),
            email: p.text(&["Contact", "ElectronicMail"]).to_string(),
        }
    };
    let line_name = if credit_root {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let qty_name = if credit_root {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    let mut lines = Vec::new();
    for l in root.all(line_name) {
        let qty = l.child(qty_name);
        let tax = l.at(&["Item", "ClassifiedTaxCategory"]);
        lines.push(Line {
            id: l.text(&["ID"]).into(),
            name: one_line(l.text(&["Item", "Name"])),
            quantity: opt_decimal("BT-129", qty.map(|q| q.text.trim()).unwrap_or(""))?,
            unit: qty.map(|q| q.attr("unitCode")).unwrap_or("").into(),
            price: opt_decimal("BT-146", l.text(&["Price", "PriceAmount"]))?,
            net: decimal(
                "BT-131",
                required("BT-131", l.text(&["LineExtensionAmount"]))?,
            )?,
            category: tax.map(|t| t.text(&["ID"])).unwrap_or("").into(),
            rate: rate("BT-152", tax.map(|t| t.text(&["Percent"])).unwrap_or(""))?,
        });
    }
    let mut charges = Vec::new();
    for ac in root.all("AllowanceCharge") {
        charges.push(Charge {
            charge: matches!(ac.text(&["ChargeIndicator"]), "true" | "1"),
            amount: decimal("BT-92", required("BT-92", ac.text(&["Amount"]))?)?,
            category: ac.text(&["TaxCategory", "ID"]).into(),
            rate: rate("BT-96", ac.text(&["TaxCategory", "Percent"]))?,
        });
    }
    let currency = root.text(&["DocumentCurrencyCode"]).to_string();
    let mut vat = Vec::new();
    let mut tax_total = None;
    for t in root.all("TaxTotal") {
        let amount = t.child("TaxAmount");
        let in_doc_currency = amount
            .map(|a| a.attr("currencyID").is_empty() || a.attr("currencyID") == currency)
            .unwrap_or(false);
        if !in_doc_currency {
            continue;
        }
        tax_total = opt_decimal("BT-110", amount.map(|a| a.text.trim()).unwrap_or(""))?;
        for s in t.all("TaxSubtotal") {
            vat.push(VatBreak {
                category: s.text(&["TaxCategory", "ID"]).into(),
                rate: rate("BT-119", s.text(&["TaxCategory", "Percent"]))?,
                basis: decimal("BT-116", required("BT-116", s.text(&["TaxableAmount"]))?)?,
                amount: decimal("BT-117", required("BT-117", s.text(&["TaxAmount"]))?)?,
                reason: one_line(s.text(&["TaxCategory", "TaxExemptionReason"])),
            });
        }
    }
    let sums = root.child("LegalMonetaryTotal");
    let sum = |name: &str| sums.map(|s| s.text(&[name])).unwrap_or("").to_string();
    let due_date = match root.text(&["DueDate"]) {
        "" => root
            .all("PaymentMeans")
            .map(|p| p.text(&["PaymentDueDate"]))
            .find(|d| !d.is_empty())
            .unwrap_or(""),
        d => d,
    };
    Ok(Doc {
        syntax: Syntax::Ubl,
        credit: credit_root || super::model::is_credit_code(&type_code),
        type_code,
        number: root.text(&["ID"]).into(),
        issue_date: date("BT-2", required("BT-2", root.text(&["IssueDate"]))?)?,
        due_date: opt_date("BT-9", due_date)?,
        terms: one_line(root.text(&["PaymentTerms", "Note"])),
        currency,
        buyer_reference: root.text(&["BuyerReference"]).into(),
        order_reference: root.text(&["OrderReference", "ID"]).into(),
        payment_reference: root
            .all("PaymentMeans")
            .map(|p| p.text(&["PaymentID"]))
            .find(|p| !p.is_empty())
            .unwrap_or("")
            .into(),
        preceding: root
            .all("BillingReference")
            .map(|r| r.text(&["InvoiceDocumentReference", "ID"]).to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        seller: party("AccountingSupplierParty"),
        buyer: party("AccountingCustomerParty"),
        delivery_date: opt_date("BT-72", root.text(&["Delivery", "ActualDeliveryDate"]))?,
        notes: root
            .all("Note")
            .map(|n| note(&n.text))
            .filter(|n| !n.is_empty())
            .collect(),
        lines,
        charges,
        vat,
        line_total: decimal("BT-106", required("BT-106", &sum("LineExtensionAmount"))?)?,
        allowance_total: opt_decimal("BT-107", &sum("AllowanceTotalAmount"))?,
        charge_total: opt_decimal("BT-108", &sum("ChargeTotalAmount"))?,
        tax_basis: decimal("BT-109", required("BT-109", &sum("TaxExclusiveAmount"))?)?,
        tax_total,
        grand_total: decimal("BT-112", required("BT-112", &sum("TaxInclusiveAmount"))?)?,
        prepaid: opt_decimal("BT-113", &sum("PrepaidAmount"))?,
        rounding: opt_decimal("BT-114", &sum("PayableRoundingAmount"))?,
        due: decimal("BT-115", required("BT-115", &sum("PayableAmount"))?)?,
    })
}
