//! Demo data: "Atelier Lumen", a fictional design studio in Lyon, with 25 customers
//! (businesses and private individuals, good and bad payers) and about 150 invoices over
//! 18 months, laid out relative to `as_of`. Deterministic: the same day gives the same data.
//! Everything is written through the engine's own checks, in one transaction.

use crate::customers::{self, CustomerInput, NewCustomer};
use crate::error::{Error, Msg, Result};
use crate::invoices::payments::{self, AllocationInput, PaymentInput};
use crate::invoices::{self, InvoiceInput, NewInvoice};
use crate::money::Currency;
use crate::store::sql::{params, Connection};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use ts_rs::TS;

/// How a demo customer pays.
#[derive(Clone, Copy)]
enum Habit {
    /// On time or a little early.
    Prompt,
    /// A week or two late.
    Average,
    /// One to two months late.
    Late,
    /// Often does not pay at all.
    Bad,
    /// Pays in instalments.
    Partial,
}

struct DemoCustomer {
    reference: &'static str,
    name: &'static str,
    individual: bool,
    city: &'static str,
    postal_code: &'static str,
    email: &'static str,
    contact: &'static str,
    habit: Habit,
    terms: i64,
    notes: &'static str,
    lang: &'static str,
}

/// One row of the demo table; positional so the table below reads as a table.
#[allow(clippy::too_many_arguments)]
const fn c(
    reference: &'static str,
    name: &'static str,
    individual: bool,
    city: &'static str,
    postal_code: &'static str,
    email: &'static str,
    contact: &'static str,
    habit: Habit,
    terms: i64,
    notes: &'static str,
) -> DemoCustomer {
    DemoCustomer {
        reference,
        name,
        individual,
        city,
        postal_code,
        email,
        contact,
        habit,
        terms,
        notes,
        lang: "fr",
    }
}

const CUSTOMERS: &[DemoCustomer] = &[
    c(
        "BOUL01",
        "Boulangerie Martin & Fils",
        false,
        "Lyon",
        "69002",
        "compta@boulangerie-martin.fr",
        "Sophie Martin",
        Habit::Prompt,
        30,
        "Paie par virement dès réception de la facture.",
    ),
    c(
        "CAVE02",
        "La Cave des Canuts",
        false,
        "Lyon",
        "69004",
        "factures@cavecanuts.fr",
        "Marc Rivière",
        Habit::Average,
        30,
        "Règlements groupés le 10 du mois.",
    ),
    c(
        "HOTL03",
        "Hôtel du Parc Tête d'Or",
        false,
        "Lyon",
        "69006",
        "ap@hotelduparc.fr",
        "Claire Dubois (comptabilité)",
        Habit::Late,
        45,
        "Bon de commande obligatoire ; validation par la direction le lundi.",
    ),
    c(
        "MAIR04",
        "Mairie de Villeurbanne – Service communication",
        false,
        "Villeurbanne",
        "69100",
        "mandatement@mairie-villeurbanne.fr",
        "Service financier",
        Habit::Late,
        30,
        "Dépôt sur Chorus Pro obligatoire ; délai de mandatement 30 jours.",
    ),
    c(
        "GARA05",
        "Garage Lopez Automobiles",
        false,
        "Vénissieux",
        "69200",
        "contact@garage-lopez.fr",
        "Antonio Lopez",
        Habit::Bad,
        30,
        "Difficile à joindre ; préférer le téléphone le matin.",
    ),
    c(
        "PHAR06",
        "Pharmacie des Terreaux",
        false,
        "Lyon",
        "69001",
        "pharmacie.terreaux@orange.fr",
        "Dr Hélène Petit",
        Habit::Prompt,
        30,
        "",
    ),
    c(
        "STRT07",
        "Startup Nébuleuse SAS",
        false,
        "Lyon",
        "69007",
        "finance@nebuleuse.io",
        "Julien Roche (CFO)",
        Habit::Partial,
        30,
        "Trésorerie tendue : paie en plusieurs fois, toujours prévenir avant.",
    ),
    c(
        "ARCH08",
        "Cabinet d'architectes Vidal",
        false,
        "Lyon",
        "69003",
        "admin@vidal-archi.fr",
        "Nathalie Vidal",
        Habit::Average,
        45,
        "Validation des factures par l'associée, absente le vendredi.",
    ),
    c(
        "FROM09",
        "Fromagerie Mère Richard",
        false,
        "Lyon",
        "69003",
        "compta@mere-richard.fr",
        "Paul Richard",
        Habit::Prompt,
        30,
        "",
    ),
    c(
        "ECOL10",
        "École de danse Pas de Deux",
        false,
        "Caluire-et-Cuire",
        "69300",
        "bureau@pasdedeux.fr",
        "Isabelle Moreau",
        Habit::Average,
        30,
        "Association : trésorier bénévole, paie en fin de mois.",
    ),
    c(
        "RENO11",
        "Rénov'Habitat Rhône",
        false,
        "Bron",
        "69500",
        "factures@renovhabitat.fr",
        "Karim Benali",
        Habit::Late,
        60,
        "Portail fournisseur ; numéro de commande à rappeler.",
    ),
    c(
        "TRAI12",
        "Traiteur Les Saveurs",
        false,
        "Lyon",
        "69008",
        "contact@lessaveurs.fr",
        "Émilie Faure",
        Habit::Bad,
        30,
        "Deux relances l'an dernier avant paiement.",
    ),
    c(
        "LIBR13",
        "Librairie Passages",
        false,
        "Lyon",
        "69002",
        "librairie@passages.fr",
        "Olivier Blanc",
        Habit::Prompt,
        30,
        "",
    ),
    c(
        "CLIN14",
        "Clinique vétérinaire Bellecour",
        false,
        "Lyon",
        "69002",
        "gestion@vet-bellecour.fr",
        "Dr Laurent Girard",
        Habit::Average,
        30,
        "",
    ),
    c(
        "FEST15",
        "Festival Lumières Électriques",
        false,
        "Lyon",
        "69001",
        "prod@lumieres-electriques.fr",
        "Camille Roux (production)",
        Habit::Partial,
        30,
        "Budget versé par subventions : acomptes puis solde après l'événement.",
    ),
    c(
        "IMMO16",
        "Agence Immo Presqu'île",
        false,
        "Lyon",
        "69002",
        "compta@immo-presquile.fr",
        "Thomas Lefèvre",
        Habit::Prompt,
        30,
        "",
    ),
    c(
        "BRAS17",
        "Brasserie Georges & Cie",
        false,
        "Lyon",
        "69002",
        "ap@brasserie-georges.fr",
        "Service comptable",
        Habit::Late,
        45,
        "Paiements le 15 et le 30 ; joindre le bon de livraison.",
    ),
    c(
        "SPOR18",
        "Salle d'escalade Vertical'",
        false,
        "Villeurbanne",
        "69100",
        "hello@vertical-escalade.fr",
        "Léa Garnier",
        Habit::Average,
        30,
        "",
    ),
    c(
        "UKDS19",
        "Northbridge Design Ltd",
        false,
        "London",
        "EC1V 9HX",
        "accounts@northbridge.co.uk",
        "Oliver Hughes",
        Habit::Average,
        30,
        "Pays by BACS on the last Friday of the month.",
    ),
    c(
        "PART20",
        "M. Jean-Pierre Morel",
        true,
        "Écully",
        "69130",
        "jp.morel@free.fr",
        "",
        Habit::Prompt,
        15,
        "Particulier : faire-part de mariage.",
    ),
    c(
        "PART21",
        "Mme Amélie Chevalier",
        true,
        "Lyon",
        "69005",
        "amelie.chevalier@gmail.com",
        "",
        Habit::Late,
        15,
        "Particulier ; préfère être appelée le soir.",
    ),
    c(
        "PART22",
        "M. et Mme Nguyen",
        true,
        "Tassin-la-Demi-Lune",
        "69160",
        "famille.nguyen@laposte.net",
        "",
        Habit::Bad,
        15,
        "Particuliers : logo pour leur gîte.",
    ),
    c(
        "PART23",
        "Mme Sarah Cohen",
        true,
        "Lyon",
        "69006",
        "sarah.cohen@outlook.fr",
        "",
        Habit::Prompt,
        15,
        "",
    ),
    c(
        "COOP24",
        "Coopérative Bio Croix-Rousse",
        false,
        "Lyon",
        "69004",
        "compta@biocroixrousse.fr",
        "Yann Perrin",
        Habit::Partial,
        30,
        "Conseil d'administration valide les dépenses > 2 000 €.",
    ),
    c(
        "MUSE25",
        "Musée des Miniatures",
        false,
        "Lyon",
        "69005",
        "administration@musee-miniatures.fr",
        "Agnès Fontaine",
        Habit::Average,
        30,
        "",
    ),
];

/// Tiny deterministic generator (SplitMix64), so demo data needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn chance(&mut self, percent: i64) -> bool {
        self.range(1, 100) <= percent
    }
}

const JOBS: &[&str] = &[
    "Identité visuelle",
    "Refonte du logo",
    "Maquette site web",
    "Affiches et flyers",
    "Charte graphique",
    "Plaquette commerciale",
    "Signalétique",
    "Packaging",
    "Photographies produits",
    "Campagne réseaux sociaux",
    "Menu et carte des vins",
    "Rapport annuel",
];

/// What the demo loaded.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DemoReport {
    #[ts(type = "number")]
    pub customers: usize,
    #[ts(type = "number")]
    pub invoices: usize,
    #[ts(type = "number")]
    pub payments: usize,
}

/// Loads the demo into an empty database (refused if any customer exists).
pub fn load(conn: &mut Connection, as_of: NaiveDate) -> Result<DemoReport> {
    let existing: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM invoices)",
        [],
        |r| r.get(0),
    )?;
    if existing > 0 {
        return Err(Error::invalid("database", Msg::NotEmpty));
    }
    // The demo's company (SIRET, IBAN) must never end up on the owner's letters.
    if crate::settings::has_owner_identity(conn)? {
        return Err(Error::invalid("database", Msg::OwnerLedger));
    }
    let tx = conn.transaction()?;
    for (k, v) in [
        ("company_name", "Atelier Lumen"),
        ("address", "12 rue des Capucins"),
        ("postal_code", "69001"),
        ("city", "Lyon"),
        ("country", "FR"),
        ("email", "bonjour@atelier-lumen.fr"),
        ("phone", "+33 4 78 00 12 34"),
        ("siren", "732829320"),
        ("siret", "73282932000074"),
        ("vat_number", "FR44732829320"),
        ("iban", "FR7630006000011234567890189"),
        ("bic", "AGRIFRPP"),
    ] {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![k, v],
        )?;
    }
    let currency = Currency::EUR;
    let mut rng = Rng(0x5EED_0001);
    let mut report = DemoReport {
        customers: 0,
        invoices: 0,
        payments: 0,
    };
    let mut seq = 0u32;
    // Invoices are numbered in issue order across customers, as a real studio would.
    let mut planned: Vec<(NaiveDate, usize, i64)> = Vec::new();
    for (ci, dc) in CUSTOMERS.iter().enumerate() {
        let uk = dc.reference == "UKDS19";
        let input = CustomerInput {
            reference: dc.reference.into(),
            name: dc.name.into(),
            kind: if dc.individual {
                "individual"
            } else {
                "business"
            }
            .into(),
            language: if uk { "en" } else { dc.lang }.into(),
            email: dc.email.into(),
            phone: format!(
                "+33 4 7{} {:02} {:02} {:02}",
                ci % 10,
                rng.range(10, 99),
                rng.range(10, 99),
                rng.range(10, 99)
            ),
            address: format!(
                "{} {}",
                rng.range(1, 120),
                [
                    "rue de la République",
                    "quai Saint-Antoine",
                    "avenue Jean Jaurès",
                    "place Bellecour",
                    "rue Mercière",
                    "cours Lafayette"
                ][ci % 6]
            ),
            postal_code: dc.postal_code.into(),
            city: dc.city.into(),
            country: if uk { "GB" } else { "FR" }.into(),
            payment_method: if dc.individual { "cheque" } else { "transfer" }.into(),
            payment_terms_days: dc.terms.to_string(),
            contact_name: dc.contact.into(),
            contact_email: if dc.contact.is_empty() {
                String::new()
            } else {
                dc.email.into()
            },
            contact_phone: String::new(),
            payment_notes: dc.notes.into(),
            credit_limit: if dc.individual {
                String::new()
            } else {
                "10000".into()
            },
            on_hold: matches!(dc.habit, Habit::Bad) && dc.reference == "GARA05",
            hold_reason: if dc.reference == "GARA05" {
                "Impayés répétés malgré plusieurs relances : plus de travaux avant règlement."
                    .into()
            } else {
                String::new()
            },
            payer_accounts: None,
            siren: if dc.individual || uk {
                String::new()
            } else {
                demo_siren(ci)
            },
            vat_number: if dc.individual || uk {
                String::new()
            } else {
                let siren: u64 = demo_siren(ci).parse().unwrap_or_default();
                format!("FR{:02}{siren:09}", (12 + 3 * (siren % 97)) % 97)
            },
            loaded_version: String::new(),
        };
        customers::insert(&tx, &NewCustomer::parse(&input, currency)?)?;
        report.customers += 1;
        let count = if dc.individual {
            rng.range(1, 3)
        } else {
            rng.range(4, 9)
        };
        for _ in 0..count {
            let issued = as_of - Duration::days(rng.range(3, 540));
            planned.push((issued, ci, dc.terms));
        }
    }
    planned.sort_by_key(|p| (p.0, p.1));
    for (issued, ci, terms) in planned {
        let dc = &CUSTOMERS[ci];
        seq += 1;
        let number = format!("F{}-{:04}", chrono::Datelike::year(&issued), seq);
        let cents = if dc.individual {
            rng.range(18_000, 250_000)
        } else {
            rng.range(35_000, 980_000)
        };
        let total = currency.minor_to_string(cents - cents % 5);
        let due = issued + Duration::days(terms);
        invoices::insert(
            &tx,
            &NewInvoice::parse(
                &tx,
                &InvoiceInput {
                    number: number.clone(),
                    customer: dc.reference.into(),
                    issue_date: issued.to_string(),
                    due_date: due.to_string(),
                    total,
                    net: String::new(),
                    currency: "EUR".into(),
                    reference: if terms >= 45 {
                        format!("BC-{}", rng.range(1000, 9999))
                    } else {
                        String::new()
                    },
                    notes: JOBS[rng.range(0, JOBS.len() as i64 - 1) as usize].into(),
                },
            )?,
        )?;
        report.invoices += 1;
        let (delay, never) = match dc.habit {
            Habit::Prompt => (rng.range(-10, 2), false),
            Habit::Average => (rng.range(0, 15), false),
            Habit::Late => (rng.range(20, 60), rng.chance(10)),
            Habit::Bad => (rng.range(30, 90), rng.chance(45)),
            Habit::Partial => (rng.range(0, 30), false),
        };
        let pay_day = (due + Duration::days(delay)).max(issued);
        if never || pay_day > as_of {
            continue;
        }
        let mut pay = |date: NaiveDate, amount: String| -> Result<()> {
            payments::record_in(
                &tx,
                &PaymentInput {
                    customer: dc.reference.into(),
                    date: date.to_string(),
                    amount,
                    allocations: vec![AllocationInput {
                        invoice: number.clone(),
                        amount: String::new(),
                    }],
                    reference: format!(
                        "{}-{}",
                        if dc.individual { "CHQ" } else { "VIR" },
                        date.format("%y%m%d")
                    ),
                    ..Default::default()
                },
            )?;
            report.payments += 1;
            Ok(())
        };
        let instalments = matches!(dc.habit, Habit::Partial)
            || (matches!(dc.habit, Habit::Late | Habit::Bad) && rng.chance(25));
        if instalments {
            let first = (cents - cents % 5) * 2 / 5;
            pay(pay_day, currency.minor_to_string(first))?;
            let second = pay_day + Duration::days(rng.range(30, 120));
            if second <= as_of {
                pay(second, currency.minor_to_string(cents - cents % 5 - first))?;
            }
        } else {
            pay(pay_day, currency.minor_to_string(cents - cents % 5))?;
        }
    }
    // Scenarios: institutions and big accounts get the key-account treatment, known late
    // payers the short one; everyone else follows Standard.
    for (reference, code) in [
        ("HOTL03", "key_account"),
        ("MAIR04", "key_account"),
        ("BRAS17", "key_account"),
        ("GARA05", "late_payer"),
        ("TRAI12", "late_payer"),
        ("PART22", "late_payer"),
    ] {
        let cid = customers::id_by_ref(&tx, "customer", reference)?;
        let sid = crate::dunning::scenarios::find(&tx, code)?;
        crate::dunning::scenarios::assign(&tx, cid, sid)?;
    }
    // The owner's history: every action proposed until a week ago was done on its day, as
    // if they had just come back from a week away (Today shows the week's catch-up).
    let back = as_of - Duration::days(7);
    let mut d = as_of - Duration::days(120);
    while d < back {
        let ids: Vec<String> = crate::dunning::agenda(&tx, d)?
            .into_iter()
            .filter(|a| a.kind != crate::dunning::ActionKind::PromiseBroken)
            .map(|a| a.id)
            .collect();
        if !ids.is_empty() {
            crate::dunning::act_in(
                &tx,
                d,
                &ids,
                &crate::dunning::Act::Done {
                    note: String::new(),
                },
            )?;
        }
        d += Duration::days(1);
    }
    // A promise still running, and an open dispute.
    let open_numbers =
        |tx: &crate::store::sql::Transaction, reference: &str| -> Result<Vec<String>> {
            let mut stmt = tx.prepare(
                "SELECT i.number FROM invoices i JOIN customers c ON c.id = i.customer_id
             WHERE c.reference = ?1 AND i.settled_minor < i.total_minor ORDER BY i.due_date",
            )?;
            let rows = stmt.query_map([reference], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<crate::store::sql::Result<_>>()?)
        };
    if let Some(number) = open_numbers(&tx, "STRT07")?.first() {
        crate::dunning::promises::add_in(
            &tx,
            &crate::dunning::promises::PromiseInput {
                customer: "STRT07".into(),
                invoices: vec![number.clone()],
                promised_date: (as_of + Duration::days(6)).to_string(),
                amount: String::new(),
                note: "Julien Roche : virement après la levée de fonds, fin de semaine prochaine."
                    .into(),
            },
            as_of - Duration::days(2),
        )?;
    }
    if let Some(number) = open_numbers(&tx, "COOP24")?.first() {
        crate::dunning::disputes::open_in(
            &tx,
            &crate::dunning::disputes::DisputeInput {
                invoice: number.clone(),
                category: "wrong_price".into(),
                note:
                    "Le devis validé mentionnait 4 800 € HT ; à vérifier avec le bon de commande."
                        .into(),
                opened_on: (as_of - Duration::days(12)).to_string(),
            },
            as_of,
        )?;
    }
    // Today of the demo reads its invoices by their wake dates and its actions kept.
    crate::dunning::wake::refresh_in(&tx, as_of)?;
    crate::dunning::kept::refresh_in(&tx, as_of)?;
    tx.commit()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::{InvoiceFilter, InvoiceQuery};

    #[test]
    fn demo_is_realistic_and_deterministic() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut conn = crate::open_in_memory().unwrap();
        let r = load(&mut conn, as_of).unwrap();
        assert_eq!(r.customers, 25);
        assert!((120..=180).contains(&r.invoices), "{} invoices", r.invoices);
        let q = |filter| InvoiceQuery {
            filter,
            limit: 1000,
            ..Default::default()
        };
        let overdue = invoices::list(&conn, &q(InvoiceFilter::Overdue), as_of)
            .unwrap()
            .total;
        let paid = invoices::list(&conn, &q(InvoiceFilter::Paid), as_of)
            .unwrap()
            .total;
        assert!(overdue >= 8, "{overdue} overdue");
        assert!(paid > r.invoices as i64 / 2, "{paid} paid");
        let partial: i64 = conn
            .query_row("SELECT COUNT(*) FROM invoices WHERE settled_minor > 0 AND settled_minor < total_minor", [], |r| r.get(0))
            .unwrap();
        assert!(partial >= 1, "some invoices are partially paid");
        let oldest: NaiveDate = conn
            .query_row("SELECT MIN(issue_date) FROM invoices", [], |r| r.get(0))
            .unwrap();
        assert!((as_of - oldest).num_days() > 365, "spans more than a year");
        // Same day, same data.
        let mut again = crate::open_in_memory().unwrap();
        assert_eq!(load(&mut again, as_of).unwrap().payments, r.payments);
        // Refused on a non-empty database, nothing added.
        assert!(load(&mut conn, as_of).is_err());
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 25);
    }
}

/// A syntactically valid French IBAN (mod 97 check digits) for the demo's payers.
fn demo_iban(n: u64) -> String {
    let bban = format!("3000400{:016}", 100_000_000 + n * 7919);
    let digits = format!("{bban}152700");
    let rem = digits.chars().fold(0u64, |r, c| {
        (r * 10 + c.to_digit(10).unwrap_or(0) as u64) % 97
    });
    format!("FR{:02}{bban}", 98 - rem)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A made-up SIREN for demo customer `i` (nine digits, a valid Luhn key): 8 digits from the
/// index, then the key.
fn demo_siren(i: usize) -> String {
    let stem = format!("{:08}", 81_234_500 + i * 7);
    let digits: Vec<u32> = stem.chars().filter_map(|c| c.to_digit(10)).collect();
    // The key is the digit that makes the Luhn sum of the nine digits a multiple of 10: the
    // stem's digits, doubled every other one from the one just left of the key.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, d)| {
            if k % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    format!("{stem}{}", (10 - sum % 10) % 10)
}

/// The demo's bank statement (camt.053.001.08), written for `as_of` from the demo's open
/// invoices, so that a newcomer can try the whole loop in a minute: two paid by their
/// payment reference and two naming their number (sure), one from a payer whose account
/// Relance knows (proposed), a partial payment, an unknown payer, a line the bank repeats
/// (a duplicate), bank fees and the second transfer by reference recalled the next day by
/// its payer's bank (linked to it, never applied). Allocates the two
/// references and records the known payer's account: the statement is then what the
/// customers' banks would have sent.
pub fn statement(conn: &Connection, as_of: NaiveDate) -> Result<Vec<u8>> {
    let mut stmt = conn.prepare(
        "SELECT i.id, i.number, i.total_minor - i.settled_minor, c.id, c.name FROM invoices i
         JOIN customers c ON c.id = i.customer_id
         WHERE i.settled_minor < i.total_minor AND i.currency = 'EUR' AND i.issue_date <= ?1
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x WHERE x.invoice_id = i.id)
           AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.resolved_on IS NULL)
         ORDER BY i.due_date, i.id",
    )?;
    let open: Vec<(i64, String, i64, i64, String)> = stmt
        .query_map([as_of], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<crate::store::sql::Result<_>>()?;
    // One invoice per customer, so that each line names a different one.
    let mut picked: Vec<&(i64, String, i64, i64, String)> = Vec::new();
    for inv in &open {
        if !picked.iter().any(|p| p.3 == inv.3) {
            picked.push(inv);
        }
    }
    if picked.len() < 6 {
        return Err(Error::invalid("database", Msg::NotEmpty));
    }
    let cur = Currency::EUR;
    let day = |back: i64| (as_of - Duration::days(back)).to_string();
    let mut entries = String::new();
    let mut total: i64 = 0;
    let mut n = 0;
    let mut entry = |amount: i64,
                     credit: bool,
                     reversal: bool,
                     booked: i64,
                     reference: &str,
                     party: &str,
                     iban: &str,
                     structured: &str,
                     text: &str| {
        n += 1;
        let signed = if credit { amount } else { -amount };
        total += signed;
        let party_xml = if party.is_empty() {
            String::new()
        } else {
            let role = if credit { "Dbtr" } else { "Cdtr" };
            let account = if iban.is_empty() {
                String::new()
            } else {
                format!("<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>")
            };
            format!(
                "<RltdPties><{role}><Pty><Nm>{}</Nm></Pty></{role}>{account}</RltdPties>",
                xml_escape(party)
            )
        };
        let rmt = if !structured.is_empty() {
            format!("<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{structured}</Ref></CdtrRefInf></Strd></RmtInf>")
        } else {
            format!("<RmtInf><Ustrd>{}</Ustrd></RmtInf>", xml_escape(text))
        };
        entries.push_str(&format!(
            "<Ntry><NtryRef>{n}</NtryRef><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd>{}<Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt><AcctSvcrRef>{reference}</AcctSvcrRef>\
             <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>{party_xml}{rmt}</TxDtls></NtryDtls></Ntry>",
            cur.minor_to_string(amount),
            if credit { "CRDT" } else { "DBIT" },
            if reversal { "<RvslInd>true</RvslInd>" } else { "" },
            day(booked),
            day(booked),
        ));
    };
    // Paid by the payment reference their banking app filled in.
    for (k, inv) in picked[..2].iter().enumerate() {
        let rf = crate::bank::store::invoice_reference(conn, &inv.1)?;
        entry(
            inv.2,
            true,
            false,
            2,
            &format!("DEMO-REF-{k}"),
            &inv.4,
            &demo_iban(inv.3 as u64),
            &rf,
            "",
        );
    }
    // Naming their number in the transfer's text.
    for (k, inv) in picked[2..4].iter().enumerate() {
        let text = format!("VIR SEPA {} FACT {}", inv.4.to_uppercase(), inv.1);
        entry(
            inv.2,
            true,
            false,
            2,
            &format!("DEMO-NUM-{k}"),
            &inv.4,
            "",
            "",
            &text,
        );
    }
    // The bank repeats the first of them (an export overlapping the previous one).
    let dup = picked[2];
    entry(
        dup.2,
        true,
        false,
        2,
        "DEMO-NUM-0",
        &dup.4,
        "",
        "",
        &format!("VIR SEPA {} FACT {}", dup.4.to_uppercase(), dup.1),
    );
    // From an account Relance knows, the amount of an invoice, no number.
    let known = picked[4];
    let iban = demo_iban(known.3 as u64);
    conn.execute(
        "INSERT INTO payer_accounts (customer_id, account) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![known.3, iban],
    )?;
    entry(
        known.2,
        true,
        false,
        1,
        "DEMO-IBAN",
        &known.4,
        &iban,
        "",
        "VIREMENT",
    );
    // Part of an invoice, naming it.
    let part = picked[5];
    let partial = (part.2 * 4 / 10).max(1);
    entry(
        partial,
        true,
        false,
        1,
        "DEMO-PART",
        &part.4,
        "",
        "",
        &format!("ACOMPTE {}", part.1),
    );
    // Someone Relance does not know.
    entry(
        25_000,
        true,
        false,
        1,
        "DEMO-UNKNOWN",
        "M. OU MME DURAND-LEBLANC",
        &demo_iban(999),
        "",
        "REMBOURSEMENT TROP PERCU",
    );
    // Money out: the bank's fees, and the second of the transfers paid by reference given
    // back the next day (its payer's bank recalled it): linked by the payer's account, it is
    // never applied and its invoice stays due.
    entry(
        1_290,
        false,
        false,
        1,
        "DEMO-FEES",
        "",
        "",
        "",
        "FRAIS TENUE DE COMPTE",
    );
    let recalled = picked[1];
    entry(
        recalled.2,
        false,
        true,
        1,
        "DEMO-RETURN",
        &recalled.4,
        &demo_iban(recalled.3 as u64),
        "",
        "RETOUR VIR SEPA RAPPEL DONNEUR D ORDRE",
    );
    let opening = 500_000;
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
         <BkToCstmrStmt><GrpHdr><MsgId>DEMO-{as_of}</MsgId><CreDtTm>{as_of}T06:00:00</CreDtTm></GrpHdr>\
         <Stmt><Id>DEMO-{as_of}</Id><FrToDt><FrDtTm>{}T00:00:00</FrDtTm><ToDtTm>{}T23:59:59</ToDtTm></FrToDt>\
         <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>\
         {entries}</Stmt></BkToCstmrStmt></Document>\n",
        day(2),
        day(1),
        cur.minor_to_string(opening),
        day(2),
        cur.minor_to_string(opening + total),
        day(1),
    );
    Ok(xml.into_bytes())
}

#[cfg(test)]
mod statement_tests {
    use super::*;
    use crate::bank::store::{self, Options};
    use crate::error::Lang;

    /// The demo statement, imported, gives each kind of line the issue names.
    #[test]
    fn the_demo_statement_shows_every_kind_of_line() {
        let mut conn = crate::open_in_memory().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        load(&mut conn, today).unwrap();
        let bytes = statement(&conn, today).unwrap();
        let files = vec![("releve-demo.xml".to_string(), bytes)];
        let r = store::import(
            &mut conn,
            files,
            Options {
                apply_sure: true,
                ..Options::default()
            },
            Lang::Fr,
            today,
        )
        .unwrap();
        assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
        assert_eq!((r.lines, r.duplicates, r.debits), (10, 1, 2));
        // The transfer given back the next day is not applied (it holds nothing).
        assert_eq!(r.returned, 1);
        assert_eq!((r.sure.len(), r.applied), (3, 3));
        let reasons: Vec<&str> = r.proposed.iter().map(|l| l.reason.as_str()).collect();
        assert_eq!(r.proposed.len(), 2, "{reasons:?}");
        assert!(
            reasons.iter().any(|x| x.starts_with("compte connu")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|x| x.contains("paiement partiel")),
            "{reasons:?}"
        );
        assert_eq!(r.unmatched.len(), 1);
        assert_eq!(r.unmatched[0].payer, "M. OU MME DURAND-LEBLANC");
    }
}
