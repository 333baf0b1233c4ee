//! One error type for the engine. Validation errors carry the field they concern and a
//! [`Msg`] that renders in the user's language, so the UI can show it next to the field.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The two languages of the product (UI and letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fr,
    En,
}

/// French: the product's first language, and the one a new database and a new customer
/// start with (the settings' `ui_language` default is this value).
impl Default for Lang {
    fn default() -> Self {
        Lang::DEFAULT
    }
}

impl Lang {
    pub const DEFAULT: Lang = Lang::Fr;
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" | "french" | "français" | "francais" => Some(Lang::Fr),
            "en" | "english" | "anglais" => Some(Lang::En),
            _ => None,
        }
    }
    /// "`n` `one`" or "`n` `many`" by the plural rule of the language (French: one for 0
    /// and 1, "0 jour"; English: one for 1 only). Never "facture(s)".
    pub fn count(self, n: i64, one: &str, many: &str) -> String {
        let single = match self {
            Lang::Fr => n.abs() < 2,
            Lang::En => n.abs() == 1,
        };
        format!("{n} {}", if single { one } else { many })
    }
}

/// Where in a statement file something was found: a line of a text file (OFX 1, MT940,
/// CSV) or an element of an XML one ("Stmt/Ntry[3]/Amt").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Line(usize),
    Element(String),
}

impl Place {
    fn text(&self, fr: bool) -> String {
        match (self, fr) {
            (Place::Line(n), true) => format!("ligne {n}"),
            (Place::Line(n), false) => format!("line {n}"),
            (Place::Element(e), true) => format!("élément {e}"),
            (Place::Element(e), false) => format!("element {e}"),
        }
    }
}

/// What is wrong where a statement breaks its format, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// The XML reader's own words (quoted as they are).
    Xml(String),
    Truncated,
    TooDeep,
    BadCharacter(String),
    NotBankToCustomer,
    TagNotClosed,
    /// A field too short to hold what it must (":61:", "balance").
    TooShort(&'static str),
    /// A field without its credit or debit mark.
    NoMark(&'static str),
    NoAmount,
    /// A CSV row with (found, expected) columns.
    Columns(usize, usize),
}

impl Detail {
    fn text(&self, fr: bool) -> String {
        match (self, fr) {
            (Detail::Xml(e), true) => format!("XML mal formé ({e})"),
            (Detail::Xml(e), false) => format!("malformed XML ({e})"),
            (Detail::Truncated, true) => "le fichier s'arrête au milieu d'un élément (fichier tronqué ?)".into(),
            (Detail::Truncated, false) => "the file ends inside an element (cut short?)".into(),
            (Detail::TooDeep, true) => "éléments imbriqués trop profondément pour un relevé".into(),
            (Detail::TooDeep, false) => "elements nested too deep for a statement".into(),
            (Detail::BadCharacter(c), true) => format!("caractère invalide {c}"),
            (Detail::BadCharacter(c), false) => format!("invalid character {c}"),
            (Detail::NotBankToCustomer, true) => "ce n'est pas un relevé ISO 20022 de la banque au client (BkToCstmrStmt ou BkToCstmrDbtCdtNtfctn)".into(),
            (Detail::NotBankToCustomer, false) => "not an ISO 20022 bank-to-customer statement (BkToCstmrStmt or BkToCstmrDbtCdtNtfctn)".into(),
            (Detail::TagNotClosed, true) => "une balise n'est pas fermée par « > »".into(),
            (Detail::TagNotClosed, false) => "a tag is not closed by '>'".into(),
            (Detail::TooShort(f), true) => format!("{f} trop court"),
            (Detail::TooShort(f), false) => format!("{f} too short"),
            (Detail::NoMark(f), true) => format!("{f} sans indication C (crédit), D (débit), RC ou RD"),
            (Detail::NoMark(f), false) => format!("{f} without its C (credit), D (debit), RC or RD mark"),
            (Detail::NoAmount, true) => ":61: sans montant".into(),
            (Detail::NoAmount, false) => ":61: without an amount".into(),
            (Detail::Columns(n, w), true) => format!("{n} colonnes au lieu de {w}"),
            (Detail::Columns(n, w), false) => format!("{n} columns instead of {w}"),
        }
    }
}

/// Why a bank statement file was refused (nothing imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementFault {
    /// None of the formats read it: what its start looked like.
    Unrecognised {
        looked_like: String,
    },
    /// An XML file declaring a DTD or entities (never expanded: XXE, billion laughs).
    Dtd,
    /// Over the size bound, in MB.
    TooLarge {
        max_mb: u64,
    },
    /// A .zip that cannot be read: why, in English words kept short ("truncated", "zip64").
    ZipUnreadable(String),
    /// A .zip whose files are encrypted.
    ZipEncrypted,
    /// A .zip holding no file.
    ZipEmpty,
    /// The format was recognised but the file breaks it at `at`.
    Malformed {
        format: String,
        at: Place,
        detail: Detail,
    },
    /// A value every line needs is missing.
    Missing {
        format: String,
        at: Place,
        field: String,
    },
    BadAmount {
        format: String,
        at: Place,
        value: String,
    },
    /// More decimals than the currency has.
    TooManyDecimals {
        format: String,
        at: Place,
        value: String,
        currency: String,
    },
    BadDate {
        format: String,
        at: Place,
        value: String,
    },
    /// A date outside 2000–2099.
    DateOutOfRange {
        format: String,
        at: Place,
        value: String,
    },
    /// A bank CSV whose layout is not mapped yet: its columns, and the command that maps them.
    UnknownLayout {
        columns: Vec<String>,
    },
    /// A CSV mapping without a date or an amount column.
    MappingIncomplete,
    /// A column the mapping names is not in the file.
    NoSuchColumn(String),
    /// The mapping turns too many rows into errors: how many, out of how many, the first ones.
    MappingErrors {
        bad: usize,
        total: usize,
        first: Vec<Msg>,
    },
    /// Nothing to import in the file.
    NoLines,
    /// Opening balance plus the lines is not the closing balance (amounts as in messages).
    Unbalanced {
        account: String,
        computed: String,
        closing: String,
    },
    UnknownLine(i64),
    /// The line was already matched or set aside.
    LineDecided(i64),
    /// Money out is never matched to invoices.
    LineIsDebit(i64),
    UnknownImport(i64),
    /// An import cannot be undone: a document was produced on an invoice it paid since.
    ImportUsedByDocument {
        invoice: String,
        date: String,
    },
    /// …or a later import was matched against an invoice it paid.
    ImportUsedByLater {
        import: i64,
        invoice: String,
    },
    /// …or a later import gave back (returned, reversed) a credit it brought.
    ImportReturnedLater {
        import: i64,
    },
    /// The credit was given back by the bank (a return or reversal): it pays nothing.
    LineReturned(i64),
    /// A bank line matched to an invoice already paid.
    InvoicePaid(String),
    /// …or written off or handed over.
    InvoiceClosed(String),
    /// A match names no invoice.
    NoInvoice,
    /// A line status that does not exist.
    UnknownStatus(String),
}

impl StatementFault {
    fn text(&self, fr: bool) -> String {
        use StatementFault::*;
        match self {
            Unrecognised { looked_like } => if fr {
                format!("Ce fichier n'est pas un relevé bancaire lisible. Formats essayés : camt.053/054 (il ne commence pas par une balise XML), OFX (ni en-tête OFXHEADER ni balise <OFX> dans ses 600 premiers caractères), MT940 (pas de champ :20: suivi de :25:, :60F: ou :61: en début de ligne dans ses 4 000 premiers caractères), CSV (aucun séparateur « ; », « , » ou tabulation ne découpe au moins deux lignes en autant de colonnes, trois au moins). Il commence par « {looked_like} ».")
            } else {
                format!("This file is not a bank statement Relance can read. Formats tried: camt.053/054 (it does not start with an XML tag), OFX (no OFXHEADER header or <OFX> tag in its first 600 characters), MT940 (no :20: field followed by :25:, :60F: or :61: at the start of a line in its first 4,000 characters), CSV (no \";\", \",\" or tab separator cuts at least two lines into as many columns, three or more). It starts with \"{looked_like}\".")
            },
            Dtd => t(fr,
                "Ce fichier XML déclare une DTD ou des entités : refusé par sécurité (un relevé bancaire n'en a pas besoin).",
                "This XML file declares a DTD or entities: refused for safety (a bank statement never needs them)."),
            ZipUnreadable(why) => if fr {
                format!("Cette archive .zip est illisible ({why}) : exportez-la de nouveau depuis votre banque.")
            } else {
                format!("This .zip archive cannot be read ({why}): export it again from your bank.")
            },
            ZipEncrypted => t(fr,
                "Cette archive .zip est protégée par un mot de passe : extrayez les relevés et importez-les.",
                "This .zip archive is password-protected: extract the statements and import them."),
            ZipEmpty => t(fr,
                "Cette archive .zip ne contient aucun fichier.",
                "This .zip archive holds no file."),
            TooLarge { max_mb } => if fr {
                format!("Ce fichier dépasse {max_mb} Mo : découpez l'export en périodes plus courtes.")
            } else {
                format!("This file is over {max_mb} MB: export shorter periods.")
            },
            Malformed { format, at, detail } => if fr {
                format!("Relevé {format} illisible ({}) : {}.", at.text(fr), detail.text(fr))
            } else {
                format!("Unreadable {format} statement ({}): {}.", at.text(fr), detail.text(fr))
            },
            Missing { format, at, field } => if fr {
                format!("Relevé {format} incomplet ({}) : {field} manquant.", at.text(fr))
            } else {
                format!("Incomplete {format} statement ({}): {field} is missing.", at.text(fr))
            },
            BadAmount { format, at, value } => if fr {
                format!("Relevé {format} ({}) : montant illisible « {value} ».", at.text(fr))
            } else {
                format!("{format} statement ({}): unreadable amount \"{value}\".", at.text(fr))
            },
            TooManyDecimals { format, at, value, currency } => if fr {
                format!("Relevé {format} ({}) : le montant « {value} » a plus de décimales que le {currency} n'en a.", at.text(fr))
            } else {
                format!("{format} statement ({}): the amount \"{value}\" has more decimals than {currency} has.", at.text(fr))
            },
            BadDate { format, at, value } => if fr {
                format!("Relevé {format} ({}) : date illisible « {value} ».", at.text(fr))
            } else {
                format!("{format} statement ({}): unreadable date \"{value}\".", at.text(fr))
            },
            DateOutOfRange { format, at, value } => if fr {
                format!("Relevé {format} ({}) : la date « {value} » n'est pas entre 2000 et 2099.", at.text(fr))
            } else {
                format!("{format} statement ({}): the date \"{value}\" is not between 2000 and 2099.", at.text(fr))
            },
            UnknownLayout { columns } => if fr {
                format!("Ce relevé CSV a une présentation encore inconnue (colonnes : {}). Indiquez une fois quelle colonne est la date, le montant (ou débit et crédit), le libellé : relance bank mapping set FICHIER --date COLONNE --amount COLONNE --label COLONNE (ou --debit COLONNE --credit COLONNE au lieu de --amount).", columns.join(", "))
            } else {
                format!("This CSV statement's layout is not known yet (columns: {}). Say once which column is the date, the amount (or debit and credit), the label: relance bank mapping set FILE --date COLUMN --amount COLUMN --label COLUMN (or --debit COLUMN --credit COLUMN instead of --amount).", columns.join(", "))
            },
            MappingIncomplete => t(fr,
                "Il faut au moins la colonne de la date et celle du montant (ou les colonnes débit et crédit).",
                "The date column and the amount column (or the debit and credit columns) are needed at least."),
            NoSuchColumn(c) => if fr {
                format!("Ce fichier n'a pas de colonne « {c} ».")
            } else {
                format!("This file has no column \"{c}\".")
            },
            MappingErrors { bad, total, first } => {
                let lang = if fr { Lang::Fr } else { Lang::En };
                let first: Vec<String> = first.iter().map(|m| m.raw_text(lang)).collect();
                if fr {
                    format!("Avec ces colonnes, {bad} lignes sur {total} sont illisibles : {} Vérifiez la correspondance des colonnes.", first.join(" "))
                } else {
                    format!("With these columns, {bad} rows out of {total} cannot be read: {} Check the column mapping.", first.join(" "))
                }
            }
            NoLines => t(fr, "Ce relevé ne contient aucune opération.", "This statement holds no transaction."),
            Unbalanced { account, computed, closing } => if fr {
                format!("Le relevé du compte {account} ne tombe pas juste : solde d'ouverture plus les opérations = {computed}, mais le solde de clôture indiqué est {closing}. Une opération manque ou a été mal lue ; importez quand même seulement si vous l'avez vérifié (--yes).")
            } else {
                format!("The statement of account {account} does not add up: opening balance plus the lines = {computed}, but the closing balance given is {closing}. A line is missing or misread; import anyway only once you have checked (--yes).")
            },
            UnknownLine(id) => if fr { format!("Aucune ligne de relevé n°{id}.") } else { format!("No statement line {id}.") },
            LineDecided(id) => if fr {
                format!("La ligne de relevé n°{id} est déjà rapprochée ou écartée.")
            } else {
                format!("Statement line {id} is already matched or set aside.")
            },
            LineIsDebit(id) => if fr {
                format!("La ligne de relevé n°{id} est une sortie d'argent : elle ne règle pas de facture.")
            } else {
                format!("Statement line {id} is money out: it pays no invoice.")
            },
            UnknownImport(id) => if fr { format!("Aucun import de relevé n°{id}.") } else { format!("No statement import {id}.") },
            ImportUsedByDocument { invoice, date } => if fr {
                format!("Cet import ne peut plus être annulé : un document a été produit le {date} sur la facture {invoice} qu'il règle. Corrigez plutôt la ligne concernée.")
            } else {
                format!("This import can no longer be undone: a document was produced on {date} on invoice {invoice}, which it pays. Correct the line concerned instead.")
            },
            ImportUsedByLater { import, invoice } => if fr {
                format!("Cet import ne peut plus être annulé : l'import n°{import}, plus récent, a été rapproché de la facture {invoice}. Annulez-le d'abord.")
            } else {
                format!("This import can no longer be undone: the later import {import} was matched against invoice {invoice}. Undo it first.")
            },
            ImportReturnedLater { import } => if fr {
                format!("Cet import ne peut plus être annulé : l'import n°{import}, plus récent, contient le retour d'un virement qu'il a apporté. Annulez-le d'abord.")
            } else {
                format!("This import can no longer be undone: the later import {import} holds the return of a transfer it brought. Undo it first.")
            },
            LineReturned(id) => if fr {
                format!("Le virement de la ligne n°{id} a été rendu par la banque (retour ou annulation) : il ne règle aucune facture.")
            } else {
                format!("The transfer of line {id} was given back by the bank (a return or reversal): it pays no invoice.")
            },
            InvoicePaid(n) => if fr {
                format!("La facture {n} est déjà payée : choisissez une facture ouverte, ou gardez ce paiement comme avoir du client.")
            } else {
                format!("Invoice {n} is already paid: choose an open invoice, or keep this payment as the customer's credit.")
            },
            InvoiceClosed(n) => if fr {
                format!("La facture {n} a été passée en perte ou confiée au recouvrement : elle ne peut pas être rapprochée d'un virement ici.")
            } else {
                format!("Invoice {n} was written off or handed over: a transfer cannot be matched to it here.")
            },
            NoInvoice => t(fr, "Indiquez au moins une facture.", "Name at least one invoice."),
            UnknownStatus(v) => if fr {
                format!("Statut « {v} » inconnu : unmatched (non rapprochée), proposed (proposée), matched (rapprochée), ignored (écartée) ou debit (sortie d'argent).")
            } else {
                format!("Unknown status \"{v}\": unmatched, proposed, matched, ignored or debit.")
            },
        }
    }
}

/// Why an e-invoice file was refused (`relance import einvoice`): nothing of its batch was
/// written. Element names are the EN 16931 business terms (BT-…) the file lacks or breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EinvoiceFault {
    /// Neither a PDF nor an XML document: what its start looked like.
    NotEinvoice(String),
    /// An XML whose root element is none of CrossIndustryInvoice, Invoice, CreditNote.
    UnknownRoot(String),
    NotUtf8,
    /// A DTD or entities (never expanded: XXE, billion laughs).
    Dtd,
    TooLarge {
        max_mb: u64,
    },
    Malformed {
        at: String,
        detail: String,
    },
    PdfUnreadable(String),
    PdfEncrypted,
    /// A PDF with no invoice XML among its attachments.
    PdfWithoutInvoice,
    /// A business term every invoice must have is missing.
    Missing(&'static str),
    BadAmount {
        field: &'static str,
        value: String,
    },
    BadDate {
        field: &'static str,
        value: String,
    },
    /// An amount with more decimals than its currency has, or of a billion or more.
    NotMoney {
        field: &'static str,
        value: String,
        currency: String,
    },
    /// No invoice line (BG-25).
    NoLines,
    /// A line's VAT category and rate have no row in the VAT breakdown.
    LineWithoutBreakdown {
        category: String,
        rate: String,
    },
    /// More files than one import takes.
    TooManyFiles {
        max: usize,
    },
    UnknownCurrency(String),
    UnsupportedType(String),
    /// An EN 16931 arithmetic rule broken: what the figures give, what the file says.
    DoesNotAddUp {
        rule: String,
        expected: String,
        found: String,
    },
    /// The seller is not the owner: an invoice received, not issued.
    Purchase {
        seller: String,
    },
    /// The owner's SIREN, VAT number and name are all unset: who the seller must be is unknown.
    OwnerUnknown,
    /// Nothing is left to pay (prepaid in full).
    NothingDue,
    /// An invoice of this number exists with other figures.
    NumberTaken {
        number: String,
    },
    /// The same number twice in one batch with different figures.
    TwiceInBatch {
        number: String,
    },
    /// Several customers fit the buyer's name and none by SIREN or VAT number.
    AmbiguousBuyer(String),
    CustomerArchived(String),
    /// A credit note naming no invoice (BT-25).
    CreditWithoutInvoice,
    /// …naming an invoice Relance does not have.
    CreditUnknownInvoice(String),
    /// …naming an invoice Relance issued: it is corrected by a credit note Relance issues.
    CreditOnIssuedInvoice(String),
    /// …in another currency than the invoice.
    CreditCurrency {
        invoice: String,
        currency: String,
    },
    /// …for more than the invoice still asks.
    CreditAboveBalance {
        invoice: String,
        balance: String,
    },
    /// …whose buyer is another customer than the invoice's.
    CreditOtherCustomer {
        invoice: String,
        customer: String,
    },
    /// A date before the invoice's (credit note) or a due date before the issue date.
    DueBeforeIssue,
    CreditBeforeInvoice(String),
    /// The file holds no e-invoice at all (an empty batch).
    NoFile,
}

impl EinvoiceFault {
    fn text(&self, fr: bool) -> String {
        use EinvoiceFault::*;
        match self {
            NotEinvoice(start) => if fr {
                format!("Ce fichier n'est pas une facture électronique : ni un PDF Factur-X/ZUGFeRD, ni un XML CII ou UBL. Il commence par « {start} ».")
            } else {
                format!("This file is not an e-invoice: neither a Factur-X/ZUGFeRD PDF nor a CII or UBL XML. It starts with \"{start}\".")
            },
            UnknownRoot(root) => if fr {
                format!("Ce XML est un « {root} », pas une facture : seuls CrossIndustryInvoice (CII, Factur-X), Invoice et CreditNote (UBL) sont lus.")
            } else {
                format!("This XML is a \"{root}\", not an invoice: only CrossIndustryInvoice (CII, Factur-X), Invoice and CreditNote (UBL) are read.")
            },
            NotUtf8 => t(fr, "Ce XML n'est pas encodé en UTF-8, comme la norme EN 16931 l'exige.", "This XML is not UTF-8 encoded, as EN 16931 requires."),
            Dtd => t(fr,
                "Ce XML déclare une DTD ou des entités : refusé par sécurité (une facture électronique n'en a pas besoin).",
                "This XML declares a DTD or entities: refused for safety (an e-invoice never needs them)."),
            TooLarge { max_mb } => if fr {
                format!("Ce fichier dépasse {max_mb} Mo : ce n'est pas une facture ordinaire.")
            } else {
                format!("This file is over {max_mb} MB: it is not an ordinary invoice.")
            },
            Malformed { at, detail } => if fr {
                format!("XML mal formé (élément {at}) : {detail}.")
            } else {
                format!("Malformed XML (element {at}): {detail}.")
            },
            PdfUnreadable(why) => if fr { format!("Ce PDF est illisible ({why}).") } else { format!("This PDF cannot be read ({why}).") },
            PdfEncrypted => t(fr, "Ce PDF est chiffré : demandez la facture sans mot de passe.", "This PDF is encrypted: ask for the invoice without a password."),
            PdfWithoutInvoice => t(fr,
                "Ce PDF ne contient aucune facture électronique (pas de pièce jointe factur-x.xml, zugferd-invoice.xml ou xrechnung.xml) : c'est un PDF ordinaire, saisissez la facture à la main.",
                "This PDF holds no e-invoice (no factur-x.xml, zugferd-invoice.xml or xrechnung.xml attachment): it is a plain PDF; record the invoice by hand."),
            Missing(bt) => if fr {
                format!("Facture incomplète : {} ({bt}) manque.", term(bt, true))
            } else {
                format!("Incomplete invoice: {} ({bt}) is missing.", term(bt, false))
            },
            BadAmount { field, value } => if fr {
                format!("{} ({field}) est illisible ou hors limites : « {value} ».", capital(&term(field, true)))
            } else {
                format!("Unreadable or out-of-bounds {} ({field}): \"{value}\".", term(field, false))
            },
            BadDate { field, value } => if fr {
                format!("{} ({field}) est illisible ou hors de 2000–2099 : « {value} ».", capital(&term(field, true)))
            } else {
                format!("Unreadable {} ({field}) or outside 2000–2099: \"{value}\".", term(field, false))
            },
            NotMoney { field, value, currency } => if fr {
                format!("{} ({field}) « {value} » a plus de décimales que le {currency} n'en a, ou atteint un milliard.", capital(&term(field, true)))
            } else {
                format!("{} ({field}) \"{value}\" has more decimals than {currency} has, or reaches a billion.", capital(&term(field, false)))
            },
            NoLines => t(fr, "Cette facture n'a aucune ligne (BG-25).", "This invoice has no line (BG-25)."),
            LineWithoutBreakdown { category, rate } => if fr {
                format!("Une ligne est en catégorie de TVA {category} à {} % mais la ventilation de la TVA (BG-23) n'a pas ce taux : la facture est incohérente.", rate.replace('.', ","))
            } else {
                format!("A line is in VAT category {category} at {rate}% but the VAT breakdown (BG-23) has no such rate: the invoice is inconsistent.")
            },
            TooManyFiles { max } => if fr {
                format!("Un import prend au plus {max} fichiers : importez-les en plusieurs fois.")
            } else {
                format!("One import takes at most {max} files: import them in several goes.")
            },
            UnknownCurrency(c) => if fr { format!("Devise inconnue « {c} » (code ISO 4217 attendu).") } else { format!("Unknown currency \"{c}\" (an ISO 4217 code is expected).") },
            UnsupportedType(c) => if fr {
                format!("Type de document « {c} » inconnu : ce n'est ni une facture ni un avoir (EN 16931, UNTDID 1001).")
            } else {
                format!("Unknown document type \"{c}\": neither an invoice nor a credit note (EN 16931, UNTDID 1001).")
            },
            DoesNotAddUp { rule, expected, found } => if fr {
                format!("Les montants ne tombent pas juste (règle EN 16931 {rule}) : le calcul donne {}, la facture indique {}. Demandez une facture corrigée à son émetteur.", expected.replace('.', ","), found.replace('.', ","))
            } else {
                format!("The figures do not add up (EN 16931 rule {rule}): they give {expected}, the invoice says {found}. Ask its issuer for a corrected invoice.")
            },
            Purchase { seller } => if fr {
                format!("C'est une facture d'achat : elle a été émise par « {seller} », pas par vous (ni votre SIREN, ni votre numéro de TVA, ni à défaut votre nom). Relance ne suit que les factures que vous émettez.")
            } else {
                format!("This is a purchase invoice: it was issued by \"{seller}\", not by you (neither your SIREN, nor your VAT number, nor failing those your name). Relance follows only the invoices you issue.")
            },
            OwnerUnknown => t(fr,
                "Indiquez d'abord votre SIREN ou votre numéro de TVA dans Réglages : Relance vérifie que chaque facture importée a bien été émise par vous.",
                "Enter your SIREN or VAT number in Settings first: Relance checks that every invoice imported was issued by you."),
            NothingDue => t(fr,
                "Cette facture ne demande rien à payer (montant à payer, BT-115, nul ou négatif) : rien à relancer.",
                "This invoice asks for nothing to be paid (amount due, BT-115, zero or negative): nothing to follow up."),
            NumberTaken { number } => if fr {
                format!("Une autre facture porte déjà le numéro {number}, avec d'autres montants, un autre client ou une autre date : ce fichier n'est pas la même facture.")
            } else {
                format!("Another invoice already has the number {number}, with other figures, customer or date: this file is not the same invoice.")
            },
            TwiceInBatch { number } => if fr {
                format!("Deux fichiers de cet import portent le numéro {number} avec des contenus différents.")
            } else {
                format!("Two files of this import have the number {number} with different contents.")
            },
            AmbiguousBuyer(name) => if fr {
                format!("Plusieurs clients s'appellent « {name} » : renseignez le SIREN ou le numéro de TVA du bon client pour que Relance le reconnaisse.")
            } else {
                format!("Several customers are called \"{name}\": enter the right one's SIREN or VAT number so Relance recognises it.")
            },
            CustomerArchived(name) => if fr {
                format!("Le client « {name} » est archivé : réactivez-le d'abord.")
            } else {
                format!("The customer \"{name}\" is archived: restore it first.")
            },
            CreditWithoutInvoice => t(fr,
                "Cet avoir ne dit pas quelle facture il corrige (BT-25) : enregistrez-le à la main sur la bonne facture.",
                "This credit note does not say which invoice it corrects (BT-25): record it by hand against the right invoice."),
            CreditUnknownInvoice(n) => if fr {
                format!("Cet avoir corrige la facture {n}, que Relance ne connaît pas : importez d'abord la facture.")
            } else {
                format!("This credit note corrects invoice {n}, which Relance does not have: import the invoice first.")
            },
            CreditOnIssuedInvoice(n) => if fr {
                format!("Cet avoir corrige la facture {n}, émise par Relance : émettez son avoir dans Relance (page de la facture, « Émettre un avoir »), qui lui donne son numéro et sa facture électronique.")
            } else {
                format!("This credit note corrects invoice {n}, which Relance issued: issue its credit note in Relance (the invoice's page, \"Issue a credit note\"), which gives it its number and e-invoice.")
            },
            CreditCurrency { invoice, currency } => if fr {
                format!("Cet avoir est en {currency}, la facture {invoice} non.")
            } else {
                format!("This credit note is in {currency}, invoice {invoice} is not.")
            },
            CreditAboveBalance { invoice, balance } => if fr {
                format!("Cet avoir dépasse ce que la facture {invoice} demande encore ({balance}) : enregistrez le remboursement ou l'avoir à la main.")
            } else {
                format!("This credit note is more than invoice {invoice} still asks ({balance}): record the refund or credit by hand.")
            },
            CreditOtherCustomer { invoice, customer } => if fr {
                format!("Cet avoir est adressé à un autre client que la facture {invoice} (celle-ci est au nom de « {customer} »).")
            } else {
                format!("This credit note is addressed to another customer than invoice {invoice} (which is in the name of \"{customer}\").")
            },
            DueBeforeIssue => t(fr, "L'échéance (BT-9) est avant la date de la facture.", "The due date (BT-9) is before the invoice's date."),
            CreditBeforeInvoice(d) => if fr {
                format!("Cet avoir est daté d'avant la facture qu'il corrige ({d}).")
            } else {
                format!("This credit note is dated before the invoice it corrects ({d}).")
            },
            NoFile => t(fr, "Aucun fichier à importer.", "No file to import."),
        }
    }
}

/// An EN 16931 business term in words.
fn term(bt: &str, fr: bool) -> String {
    let (f, e) = match bt {
        "BT-1" => ("le numéro de facture", "the invoice number"),
        "BT-2" => ("la date de facture", "the invoice date"),
        "BT-5" => ("la devise", "the currency"),
        "BT-9" => ("l'échéance", "the due date"),
        "BT-72" => ("la date de livraison", "the delivery date"),
        "BT-92" => ("le montant d'une remise", "an allowance's amount"),
        "BT-96" | "BT-119" | "BT-152" => ("un taux de TVA", "a VAT rate"),
        "BT-106" => ("la somme des lignes", "the sum of the lines"),
        "BT-107" => ("le total des remises", "the allowances' total"),
        "BT-108" => ("le total des frais", "the charges' total"),
        "BT-109" => ("le total HT", "the total without VAT"),
        "BT-110" => ("le total de la TVA", "the VAT total"),
        "BT-112" => ("le total TTC", "the total with VAT"),
        "BT-113" => ("le montant payé d'avance", "the amount prepaid"),
        "BT-114" => ("l'arrondi", "the rounding amount"),
        "BT-115" => ("le montant à payer", "the amount due"),
        "BT-116" => ("la base d'une ligne de TVA", "a VAT breakdown's basis"),
        "BT-117" => ("le montant d'une ligne de TVA", "a VAT breakdown's amount"),
        "BT-129" => ("la quantité d'une ligne", "a line's quantity"),
        "BT-131" => ("le montant d'une ligne", "a line's net amount"),
        "BT-146" => ("le prix d'une ligne", "a line's price"),
        "BG-23" => ("la ventilation de la TVA", "the VAT breakdown"),
        _ => ("un élément obligatoire", "a required element"),
    };
    (if fr { f } else { e }).to_string()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Why an invoice charges no VAT (EN 16931 categories E, K, AE, G): said in refusals, and the
/// case a draft is issued under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VatCase {
    /// The owner's franchise en base (art. 293 B du CGI): category E on every invoice.
    Franchise,
    /// Goods delivered to a business in another EU country: category K.
    ReverseChargeGoods,
    /// Services to a business in another EU country: category AE ("Autoliquidation").
    ReverseChargeServices,
    /// Outside the EU: category G.
    Export,
    /// Outside the scope of VAT (late-payment interest and indemnity): category O.
    OutsideScope,
}

/// Every message the engine can refuse an input with, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Required,
    TooLong(usize),
    ControlChars,
    BidiControl,
    NoMarkup,
    BadEmail,
    BadDate(String),
    DateOutOfRange {
        min: String,
        max: String,
    },
    /// A follow-up date further ahead than allowed (the last date allowed).
    TooFarAhead(String),
    /// Dated before the invoice it concerns was issued (its issue date).
    BeforeInvoiceDate(String),
    /// A dispute resolved before the day it was opened.
    BeforeDisputeOpened(String),
    DateInFuture,
    BadAmount(String),
    BadRate(String),
    LetterForOverdue,
    LetterForNotDue,
    CompanyIncomplete,
    NoPostalAddress(String),
    UnknownDocument(i64),
    PenaltyOnPenalty,
    NoEmailAddress(String),
    UnknownPlaceholder(String),
    BrokenPlaceholder,
    NothingToCharge,
    /// A character no shipped font has a glyph for, in a text that is printed.
    Unprintable {
        character: String,
        code: String,
    },
    /// The invoice's penalty invoices charge nothing beyond what is owed.
    NothingToCorrect(String),
    /// What the penalty invoices overcharged is already paid: a credit note cannot reduce a
    /// paid invoice; the amount is to refund.
    OverchargePaid {
        amount: String,
    },
    /// No reference rate known for a series on a date (before the table).
    NoRateFor {
        series: String,
        date: String,
    },
    /// The owner's country has no built-in late-payment rule.
    NoLateInterestRule(String),
    /// A lone separator before three digits: `small` and `large` are the two readings.
    AmbiguousAmount {
        input: String,
        small: String,
        large: String,
    },
    /// Above the maximum amount (given in the currency's plain notation).
    AmountTooLarge(String),
    TotalTooLarge,
    NotPositive,
    /// A discount on the whole invoice of 100 %: nothing would be left to invoice.
    DiscountWholeInvoice,
    /// A unit that is not one of the UN/ECE Recommendation 20 codes Relance offers.
    UnknownUnit(String),
    /// A quantity that is not a number above zero with at most 4 decimals.
    BadQuantity(String),
    /// A line charging VAT on an invoice that charges none: why none (a VAT case).
    VatNotCharged(VatCase),
    /// A 0 % rate on an invoice that charges VAT: which exemption applies must be said.
    ZeroRateNeedsExemption,
    /// A French business buyer without their SIREN (the e-invoicing reform requires it).
    BuyerSirenRequired(String),
    /// A reverse charge without the buyer's VAT number.
    BuyerVatRequired(String),
    /// An intra-EU reverse charge to a buyer in France, or outside the EU.
    ReverseChargeOutsideEu(String),
    /// An export (outside the EU) to a buyer in the EU.
    ExportInsideEu(String),
    /// A draft with no line cannot be issued.
    NoInvoiceLines,
    /// Issuing cannot be undone: the CLI asks for --yes (the app for a confirmation).
    IssueNeedsYes {
        customer: String,
        total: String,
    },
    Negative,
    TooManyDecimals {
        currency: String,
        digits: u32,
    },
    UnknownCurrency(String),
    CurrencyMismatch {
        expected: String,
        got: String,
    },
    DueBeforeIssue,
    DuplicateInvoiceNumber(String),
    DuplicateCustomerRef(String),
    DuplicateCreditNoteNumber(String),
    UnknownCustomer(String),
    UnknownInvoice(String),
    InvoiceOfOtherCustomer(String),
    OneOf(Vec<&'static str>),
    BadInteger(String),
    OutOfRange {
        min: i64,
        max: i64,
    },
    AboveBalance {
        balance: String,
    },
    OverpaymentNeedsCredit {
        excess: String,
    },
    AllocationsExceedPayment,
    NoOpenInvoices,
    NotEnoughCredit {
        available: String,
    },
    BadIban,
    BadBic,
    BadSiren,
    /// A French VAT number that is not the SIREN given beside it (its last 9 digits).
    VatNotOfSiren(String),
    BadSiret,
    BadVat,
    BadUkCompanyNumber,
    BadCountry,
    BadImage,
    FileNotFound(String),
    FileUnreadable(String),
    BadInvoicePrefix,
    /// A UK sort code is six digits (12-34-56).
    BadSortCode,
    /// A UK account number is eight digits.
    BadUkAccountNumber,
    /// The tolerance for bank fees: an amount from 0 to 50, at most two decimals.
    BadTolerance(String),
    /// The seller identity fields an invoice needs and Settings lacks (setting keys).
    IssuerIncomplete(Vec<String>),
    /// The schedule does not cover the contract total: what is missing (positive) or in
    /// excess (negative), formatted.
    ScheduleGap {
        amount: String,
        excess: bool,
    },
    /// A milestone's share and fixed amount: exactly one is needed (1-based position).
    ShareOrAmount(usize),
    /// A milestone of zero or below (1-based position).
    MilestoneNotPositive(usize),
    MilestoneAlreadyInvoiced {
        position: usize,
        invoice: String,
    },
    /// Reaching a milestone while earlier ones are not invoiced needs a confirmation.
    EarlierMilestonesNotInvoiced(Vec<usize>),
    /// A milestone invoice for a customer on hold needs a confirmation.
    CustomerOnHoldConfirm(String),
    UnknownContract(String),
    DuplicateContract(String),
    UnknownMilestone(usize),
    ContractCancelled(String),
    /// A schedule needs at least one milestone.
    EmptySchedule,
    IssuedInvoiceImmutable,
    /// A good payer's maximum lateness must stay below a slow payer's minimum.
    SegmentThresholds {
        good: i64,
        slow: i64,
    },
    /// Only invoices Relance issued are printed by it.
    NotIssuedHere(String),
    /// A file or folder that cannot be written (permissions, read-only medium).
    CannotWrite(String),
    OutputIsDatabase(String),
    RestoreFromItself,
    /// A restore would give `number` to two invoices: one renamed since from `former`, and
    /// another the file holds under `number`.
    RestoreNumberTaken {
        number: String,
        former: String,
    },
    /// A restore would keep `former` on an invoice a document of the file names so, while
    /// a document carried since names it `number`.
    RestoreNumberNamedTwice {
        number: String,
        former: String,
    },
    /// Restoring replaces (customers, invoices, payments) now with those of the file.
    RestoreNeedsConfirmation {
        now: [i64; 3],
        file: [i64; 3],
    },
    UnknownSetting(String),
    TotalBelowSettled {
        settled: String,
    },
    LockedBySettlement,
    NotEmpty,
    /// A customer with data cannot be deleted: how much they have.
    CustomerInUse {
        invoices: i64,
        payments: i64,
        entries: i64,
    },
    /// A customer who still owes (the amount, formatted) cannot be archived.
    CustomerStillOwes(String),
    /// An invoice Relance issued keeps its number: a credit note cancels it.
    InvoiceIssuedKept,
    /// No sanction is proposed today for this customer.
    NoProposal(String),
    /// The amount excluding tax is above the total.
    NetAboveTotal,
    /// New invoices are refused for an archived customer.
    CustomerArchived,
    /// Payments or credit notes are recorded against the invoice.
    InvoiceSettledKept,
    /// The invoice has a history (reminders, letters, promises, disputes, closure, penalties).
    InvoiceHistoryKept,
    /// Demo data refused: the ledger carries the owner's company identity.
    OwnerLedger,
    NoSteps,
    InvoiceSettled,
    DuplicateStepOffset(i64),
    DateInPast,
    DisputeOnPaidInvoice,
    AlreadyDisputed,
    NotOpenDispute,
    AlreadyClosed,
    /// Only what was done, skipped or snoozed today (or a sanction) can be undone.
    NotUndoable,
    /// Undone already.
    AlreadyUndone,
    /// A later sanction on the same customer must be undone first.
    LaterSanction,
    /// A bank statement refused as a whole: nothing was imported.
    Statement(StatementFault),
    /// A CSV import takes one file.
    OneFileOnly,
    /// A credit note typed on an invoice Relance issued: it must be issued as a document.
    CreditNoteNeedsDocument(String),
    /// An invoice imported from its e-invoice keeps the file's number, customer, date,
    /// currency and amount.
    ImportedInvoiceFixed,
    /// An invoice's number changed though an issued penalty invoice (its number) names it.
    NumberOnPenaltyInvoice(String),
    /// An invoice's number changed though an issued credit note (its number) names it.
    NumberOnCreditNote(String),
    /// An invoice's number changed though a letter archived on this date names it.
    NumberOnLetter(chrono::NaiveDate),
    /// An e-invoice file refused.
    Einvoice(EinvoiceFault),
    /// An e-invoice import refused as a whole: each refused file with its reason.
    EinvoiceBatch(Vec<(String, Msg)>),
    /// An e-invoice import would create these customers: it needs the owner's yes.
    EinvoiceNewCustomers(Vec<String>),
    InvoiceNotYetIssued,
    InvoiceWrittenOff,
    InvoiceHandedOver,
    InvoiceDisputed,
    PastAgenda,
    IssueNotToday,
    AddressTooLong(usize),
    EmailLocalNotAscii,
    TotalBelowInvoiced(String),
    BadShare(String),
    IssueBeforeLast(String),
    NumberInOwnSeries {
        number: String,
        year: i32,
    },
    /// The invoices' and the credit notes' prefixes are the same (the value).
    SamePrefixes(String),
    /// A credit note on an invoice recorded from elsewhere must say what it credits.
    CreditNoteNeedsLines(String),
    /// More than the invoice's total not yet credited (what is left to credit).
    CreditAboveInvoiced(String),
    /// A credit note was issued on that date: none is dated before it.
    CreditNoteBeforeLast(String),
    /// A credit note line at a VAT category and rate the invoice does not have.
    CreditRateNotInvoiced(String),
    UnknownCreditNote(String),
    /// An invoice in that currency by a French owner states its VAT in euros: the rate.
    ExchangeRateRequired(String),
    ExchangeRateNotNeeded,
    BadExchangeRate(String),
    /// A currency with more than two decimals: no EN 16931 invoice in it.
    CurrencyNotForEinvoice(String),
    BeforeSignature(String),
    /// A file given as input that is not a usable Relance ledger (restore): the reason in
    /// both languages.
    FileRefused {
        fr: String,
        en: String,
    },
    RateOnShippedDate {
        series: String,
        date: String,
        rate: String,
    },
    RateAlreadyEntered {
        series: String,
        date: String,
        rate: String,
    },
    PreviewNotArchived,
    NotARegularFile(String),
    PenaltiesNotToday,
    UnknownAction(String),
    /// Someone saved the record at this local time (HH:MM) since the form was opened.
    ChangedMeanwhile(String),
    /// The action was acted on today by someone (a name, or empty) at a time (HH:MM):
    /// `what` is done, skipped or snoozed.
    ActionTaken {
        what: String,
        by: String,
        at: String,
    },
    UnknownScenario(String),
    CsvEmpty,
    CsvBinary,
    CsvMissingColumns(Vec<String>),
    CsvUnknownColumn(String),
    CsvMalformed(String),
    CsvUnterminatedQuote(usize),
    CsvDuplicateColumn(String),
    /// 1-based position of a column that has data but no header.
    CsvUnnamedColumn(usize),
}

/// A reference-rate series in words (the engine names them by code: `ecb_mro`).
pub fn series_label(code: &str, lang: Lang) -> Option<&'static str> {
    let fr = lang == Lang::Fr;
    Some(match code {
        "ecb_mro" if fr => "taux directeur de la BCE (opérations principales de refinancement)",
        "ecb_mro" => "ECB main refinancing rate",
        "boe_bank_rate" if fr => "taux directeur de la Banque d'Angleterre",
        "boe_bank_rate" => "Bank of England Bank Rate",
        "fr_legal_individual" if fr => "taux légal — créancier particulier",
        "fr_legal_individual" => "French legal rate — private creditor",
        "fr_legal_professional" if fr => "taux légal — autres cas",
        "fr_legal_professional" => "French legal rate — other cases",
        _ => return None,
    })
}

/// An amount written for a reader: "1\u{202f}234,50\u{a0}€" (fr), "€1,234.50" (en); a
/// currency without a symbol is named after the figure.
pub fn format_amount(
    minor: i64,
    digits: u32,
    code: &str,
    symbol: Option<&str>,
    lang: Lang,
) -> String {
    let neg = minor < 0;
    let abs = minor.unsigned_abs();
    let div = 10u64.pow(digits);
    let int = (abs / div).to_string();
    let frac = abs % div;
    let (group, dec) = match lang {
        Lang::Fr => ('\u{202f}', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    let number = if digits > 0 {
        format!("{grouped}{dec}{:0width$}", frac, width = digits as usize)
    } else {
        grouped
    };
    let sign = if neg { "-" } else { "" };
    match (lang, symbol) {
        (Lang::Fr, Some(sym)) => format!("{sign}{number}\u{a0}{sym}"),
        (Lang::En, Some(sym)) => format!("{sign}{sym}{number}"),
        (_, None) => format!("{sign}{number}\u{a0}{code}"),
    }
}

/// Marks an amount inside a message's parameter, to be written for the reader when the
/// message is ([`as_read`]): the message's language is known only then.
pub fn amount_marker(minor: i64, digits: u32, code: &str) -> String {
    format!("\u{2063}{code}|{digits}|{minor}\u{2063}")
}

fn symbol_of(code: &str) -> Option<&'static str> {
    match code {
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "USD" => Some("$"),
        _ => None,
    }
}

/// Writes each amount marked by [`amount_marker`] for the reader.
fn amounts_as_read(text: String, lang: Lang) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('\u{2063}') {
        out.push_str(&rest[..start]);
        let after = &rest[start + '\u{2063}'.len_utf8()..];
        let Some(end) = after.find('\u{2063}') else {
            rest = after;
            continue;
        };
        let mut parts = after[..end].splitn(3, '|');
        match (
            parts.next(),
            parts.next().and_then(|d| d.parse().ok()),
            parts.next().and_then(|m| m.parse().ok()),
        ) {
            (Some(code), Some(digits), Some(minor)) => {
                out.push_str(&format_amount(minor, digits, code, symbol_of(code), lang));
            }
            _ => out.push_str(&after[..end]),
        }
        rest = &after[end + '\u{2063}'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// French typography: a no-break space before ":" and "%" and inside « », a narrow one
/// before ";", "?" and "!" (the UI's `frenchSpaces` does the same to its texts).
pub fn french_spaces(text: &str) -> String {
    text.replace(" :", "\u{a0}:")
        .replace(" %", "\u{202f}%")
        .replace(" ;", "\u{202f};")
        .replace(" ?", "\u{202f}?")
        .replace(" !", "\u{202f}!")
        .replace("« ", "«\u{a0}")
        .replace(" »", "\u{a0}»")
}

/// A message as the user reads it: every date the engine put in (ISO) in their writing
/// ("22/11/2026", "22 Nov 2026"), and a path under their home folder from that folder
/// ("Documents/Relance/…"). A value the user typed that is not a valid date stays as typed.
fn as_read(text: String, lang: Lang) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = text.get(i..i + 10).filter(|s| {
            let b = s.as_bytes();
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit())
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                && bytes.get(i + 10).is_none_or(|c| !c.is_ascii_alphanumeric())
        });
        if let Some(date) =
            candidate.and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        {
            use chrono::Datelike;
            out.push_str(&match lang {
                Lang::Fr => date.format("%d/%m/%Y").to_string(),
                Lang::En => format!(
                    "{} {} {}",
                    date.day(),
                    MONTHS[date.month0() as usize],
                    date.year()
                ),
            });
            i += 10;
            continue;
        }
        let c = text[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    match std::env::var("HOME") {
        Ok(home) if home.len() > 1 => out.replace(&format!("{}/", home.trim_end_matches('/')), ""),
        _ => out,
    }
}

impl Msg {
    /// The message in the given language. Parameters are inserted as plain text; dates and
    /// paths as the user reads them ([`as_read`]).
    pub fn text(&self, lang: Lang) -> String {
        let text = as_read(amounts_as_read(self.raw_text(lang), lang), lang);
        match lang {
            Lang::Fr => french_spaces(&text),
            Lang::En => text,
        }
    }

    fn raw_text(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        match self {
            Msg::Required => t(fr, "Ce champ est obligatoire.", "This field is required."),
            Msg::TooLong(n) => {
                if fr {
                    format!("Trop long : {n} caractères au plus.")
                } else {
                    format!("Too long: at most {n} characters.")
                }
            }
            Msg::ControlChars => t(
                fr,
                "Contient des caractères de contrôle invisibles ; retapez la valeur.",
                "Contains invisible control characters; retype the value.",
            ),
            Msg::BidiControl => t(
                fr,
                "Contient des caractères invisibles qui inversent le sens d'affichage du texte ; \
                 retapez la valeur.",
                "Contains invisible characters that reverse how the text is displayed; retype \
                 the value.",
            ),
            Msg::NoMarkup => t(
                fr,
                "Les caractères < et > ne sont pas acceptés ici.",
                "The characters < and > are not accepted here.",
            ),
            Msg::BadEmail => t(
                fr,
                "Adresse e-mail invalide (exemple : compta@exemple.fr).",
                "Invalid e-mail address (example: accounts@example.com).",
            ),
            Msg::BadDate(v) => {
                if fr {
                    format!("Date invalide « {v} » : utilisez AAAA-MM-JJ ou JJ/MM/AAAA.")
                } else {
                    format!("Invalid date \"{v}\": use YYYY-MM-DD or DD/MM/YYYY.")
                }
            }
            Msg::DateOutOfRange { min, max } => {
                if fr {
                    format!("Date hors des limites : entre le {min} et le {max}.")
                } else {
                    format!("Date out of range: between {min} and {max}.")
                }
            }
            Msg::TooFarAhead(max) => {
                if fr {
                    format!(
                        "Plus d'un an à l'avance : au plus tard le {max}, sinon la dette \
                         disparaîtrait de vue ; notez une date plus proche."
                    )
                } else {
                    format!(
                        "More than a year ahead: {max} at the latest, or the debt would drop \
                         out of sight; choose a nearer date."
                    )
                }
            }
            Msg::BeforeInvoiceDate(d) => {
                if fr {
                    format!("Date antérieure à la facture (émise le {d}).")
                } else {
                    format!("Dated before the invoice (issued on {d}).")
                }
            }
            Msg::BeforeDisputeOpened(d) => {
                if fr {
                    format!("Le litige a été ouvert le {d} : il ne peut pas être clos avant.")
                } else {
                    format!("The dispute was opened on {d}: it cannot be resolved before.")
                }
            }
            Msg::DateInFuture => t(
                fr,
                "Cette date est dans le futur.",
                "This date is in the future.",
            ),
            Msg::NoRateFor { series, date } => {
                let series = series_label(series, lang).unwrap_or(series);
                if fr {
                    format!("Aucune valeur du {series} n'est connue au {date} : saisissez-la dans Réglages → Taux.")
                } else {
                    format!("No value of the {series} is known on {date}: enter it in Settings → Rates.")
                }
            }
            Msg::NoLateInterestRule(c) => {
                if fr {
                    format!("Pas de règle d'intérêts de retard pour le pays « {c} » : Relance connaît la France, l'Union européenne et le Royaume-Uni.")
                } else {
                    format!("No late-payment interest rule for the country \"{c}\": Relance knows France, the European Union and the United Kingdom.")
                }
            }
            Msg::LetterForOverdue => t(
                fr,
                "Cette facture est déjà échue : choisissez une relance plutôt qu'un rappel courtois.",
                "This invoice is already overdue: choose a reminder rather than a courtesy letter.",
            ),
            Msg::LetterForNotDue => t(
                fr,
                "Cette facture n'est pas encore échue : seul un rappel courtois est possible.",
                "This invoice is not due yet: only a courtesy reminder is possible.",
            ),
            Msg::CompanyIncomplete => t(
                fr,
                "Renseignez le nom et l'adresse de votre entreprise dans Réglages avant d'écrire une lettre.",
                "Enter your company's name and address in Settings before writing a letter.",
            ),
            Msg::UnknownPlaceholder(name) => {
                if fr {
                    format!("Champ inconnu « {{{name}}} » : utilisez {{customer}}, {{company}}, {{total_due}}, {{deadline}}, {{date}}, {{days}}, {{claimed}}, {{interest}}, {{indemnity}} ou {{invoice_count}}.")
                } else {
                    format!("Unknown placeholder \"{{{name}}}\": use {{customer}}, {{company}}, {{total_due}}, {{deadline}}, {{date}}, {{days}}, {{claimed}}, {{interest}}, {{indemnity}} or {{invoice_count}}.")
                }
            }
            Msg::BrokenPlaceholder => t(
                fr,
                "Accolade non refermée : un champ s'écrit entre {accolades}, par exemple {customer}.",
                "Unclosed brace: a placeholder is written between {braces}, for example {customer}.",
            ),
            Msg::NoEmailAddress(name) => {
                if fr {
                    format!("Le client « {name} » n'a pas d'adresse e-mail (ni comptable ni générale) : complétez sa fiche.")
                } else {
                    format!("The customer \"{name}\" has no e-mail address (neither accounting nor general): complete their record.")
                }
            }
            Msg::PenaltyOnPenalty => t(
                fr,
                "Cette facture porte déjà des pénalités : aucun intérêt n'est calculé sur des intérêts.",
                "This invoice is itself for penalties: no interest is charged on interest.",
            ),
            Msg::NothingToCharge => t(
                fr,
                "Aucune pénalité à facturer à cette date (rien de nouveau depuis la dernière facture de pénalités).",
                "No penalties to invoice at this date (nothing new since the last penalty invoice).",
            ),
            Msg::Unprintable { character, code } => {
                if fr {
                    format!("Le caractère « {character} » ({code}) ne peut pas être imprimé dans les courriers et factures : remplacez-le ou retirez-le.")
                } else {
                    format!("The character \"{character}\" ({code}) cannot be printed in letters and invoices: replace or remove it.")
                }
            }
            Msg::NothingToCorrect(number) => {
                if fr {
                    format!("Les factures de pénalités de {number} ne réclament rien de plus que ce qui est dû : aucun avoir à établir.")
                } else {
                    format!("The penalty invoices of {number} claim nothing beyond what is owed: no credit note is needed.")
                }
            }
            Msg::OverchargePaid { amount } => {
                if fr {
                    format!("Les {amount} réclamés en trop sont déjà payés : un avoir ne peut réduire une facture payée ; remboursez-les au client.")
                } else {
                    format!("The {amount} overcharged is already paid: a credit note cannot reduce a paid invoice; refund it to the customer.")
                }
            }
            Msg::UnknownDocument(id) => {
                if fr {
                    format!("Aucun document archivé n° {id}.")
                } else {
                    format!("No archived document number {id}.")
                }
            }
            Msg::NoPostalAddress(name) => {
                if fr {
                    format!("Le client « {name} » n'a pas d'adresse postale (adresse et ville) : complétez sa fiche.")
                } else {
                    format!("The customer \"{name}\" has no postal address (address and city): complete their record.")
                }
            }
            Msg::BadRate(v) => {
                if fr {
                    format!("Taux invalide « {v} » : un pourcentage entre 0 et 100, 4 décimales au plus (exemple : 2,15).")
                } else {
                    format!("Invalid rate \"{v}\": a percentage between 0 and 100, at most 4 decimals (example: 2.15).")
                }
            }
            Msg::BadAmount(v) => {
                if fr {
                    format!("Montant invalide « {v} » (exemple : 1 234,56).")
                } else {
                    format!("Invalid amount \"{v}\" (example: 1234.56).")
                }
            }
            Msg::AmbiguousAmount { input, small, large } => {
                if fr {
                    let small = small.replace('.', ",");
                    format!(
                        "Montant ambigu « {input} » : {small} ou {large} ? Tapez l'un ou \
                         l'autre tel quel."
                    )
                } else {
                    format!(
                        "Ambiguous amount \"{input}\": {small} or {large}? Type the one you \
                         mean as written here."
                    )
                }
            }
            Msg::AmountTooLarge(max) => {
                if fr {
                    format!("Montant trop élevé : {max} au plus.")
                } else {
                    format!("Amount too large: at most {max}.")
                }
            }
            Msg::TotalTooLarge => t(
                fr,
                "Un total dépasse ce que Relance sait compter : un montant enregistré est \
                 sûrement faux ; corrigez-le.",
                "A total exceeds what Relance can count: a recorded amount is surely wrong; \
                 correct it.",
            ),
            Msg::UnknownUnit(u) => {
                if fr {
                    format!("Unité inconnue : « {u} ». Unités possibles : C62 (unité), H87 (pièce), HUR (heure), DAY (jour), WEE (semaine), MON (mois), ANN (année), MIN (minute), KGM (kg), MTR (m), MTK (m²), MTQ (m³), LTR (litre), KMT (km), LS (forfait), E48 (prestation).")
                } else {
                    format!("Unknown unit \"{u}\". Units: C62 (one), H87 (piece), HUR (hour), DAY, WEE (week), MON (month), ANN (year), MIN (minute), KGM (kg), MTR (m), MTK (m²), MTQ (m³), LTR (litre), KMT (km), LS (lump sum), E48 (service unit).")
                }
            }
            Msg::BadQuantity(q) => {
                if fr {
                    format!("Quantité invalide : « {q} ». Un nombre au-dessus de zéro, 4 décimales au plus (1, 2,5, 0,25).")
                } else {
                    format!("Invalid quantity \"{q}\": a number above zero with at most 4 decimals (1, 2.5, 0.25).")
                }
            }
            Msg::VatNotCharged(case) => {
                let why = match (case, fr) {
                    (VatCase::Franchise, true) => "vous êtes en franchise en base de TVA (Paramètres)",
                    (VatCase::Franchise, false) => "you are under the VAT franchise (Settings)",
                    (VatCase::ReverseChargeGoods | VatCase::ReverseChargeServices, true) => "la TVA est autoliquidée par le client",
                    (VatCase::ReverseChargeGoods | VatCase::ReverseChargeServices, false) => "the customer accounts for the VAT (reverse charge)",
                    (VatCase::Export, true) => "une exportation hors de l'Union européenne est exonérée",
                    (VatCase::Export, false) => "an export outside the European Union is exempt",
                    (VatCase::OutsideScope, true) => "les pénalités de retard ne sont pas soumises à la TVA",
                    (VatCase::OutsideScope, false) => "late-payment penalties are not subject to VAT",
                };
                if fr {
                    format!("Cette facture ne facture pas de TVA ({why}) : mettez le taux de la ligne à 0 ou laissez-le vide.")
                } else {
                    format!("This invoice charges no VAT ({why}): set the line's rate to 0 or leave it empty.")
                }
            }
            Msg::ZeroRateNeedsExemption => t(
                fr,
                "Un taux de TVA de 0 % doit dire pourquoi : autoliquidation, exportation, ou franchise en base (Paramètres).",
                "A 0 % VAT rate must say why: reverse charge, export, or the VAT franchise (Settings).",
            ),
            Msg::BuyerSirenRequired(name) => {
                if fr {
                    format!("Le SIREN de {name} est nécessaire : une facture à une entreprise française doit le porter. Ajoutez-le sur sa fiche client.")
                } else {
                    format!("{name}'s SIREN is needed: an invoice to a French business must carry it. Add it on their customer page.")
                }
            }
            Msg::BuyerVatRequired(name) => {
                if fr {
                    format!("Le numéro de TVA intracommunautaire de {name} est nécessaire pour une autoliquidation. Ajoutez-le sur sa fiche client.")
                } else {
                    format!("{name}'s VAT number is needed for a reverse charge. Add it on their customer page.")
                }
            }
            Msg::ReverseChargeOutsideEu(country) => {
                if fr {
                    format!("L'autoliquidation intracommunautaire suppose un client dans un autre pays de l'Union européenne (pays du client : {country}).")
                } else {
                    format!("An intra-EU reverse charge needs a customer in another European Union country (customer's country: {country}).")
                }
            }
            Msg::ExportInsideEu(country) => {
                if fr {
                    format!("Une exportation suppose un client hors de l'Union européenne (pays du client : {country}).")
                } else {
                    format!("An export needs a customer outside the European Union (customer's country: {country}).")
                }
            }
            Msg::IssueNeedsYes { customer, total } => {
                if fr {
                    format!("Émettre la facture de {total} à {customer} ne peut pas être annulé : elle reçoit son numéro définitif et ne se corrige que par un avoir. Relancez avec --yes pour l'émettre.")
                } else {
                    format!("Issuing the invoice of {total} to {customer} cannot be undone: it gets its final number and can only be corrected by a credit note. Run again with --yes to issue it.")
                }
            }
            Msg::NoInvoiceLines => t(
                fr,
                "Ajoutez au moins une ligne avant d'émettre la facture.",
                "Add at least one line before issuing the invoice.",
            ),
            Msg::DiscountWholeInvoice => t(
                fr,
                "Une remise de 100 % ne laisse rien à facturer : indiquez une remise inférieure à 100 %, ou n'émettez pas cette facture.",
                "A 100 % discount leaves nothing to invoice: enter a discount under 100 %, or do not issue this invoice.",
            ),
            Msg::NotPositive => t(
                fr,
                "Le montant doit être supérieur à zéro.",
                "The amount must be greater than zero.",
            ),
            Msg::Negative => t(
                fr,
                "La valeur ne peut pas être négative.",
                "The value cannot be negative.",
            ),
            Msg::TooManyDecimals { currency, digits } => {
                if fr {
                    format!("Trop de décimales : {currency} en accepte {digits} au plus.")
                } else {
                    format!("Too many decimals: {currency} allows at most {digits}.")
                }
            }
            Msg::UnknownCurrency(c) => {
                if fr {
                    format!("Devise inconnue « {c} » : utilisez un code ISO 4217 comme EUR, GBP ou USD.")
                } else {
                    format!("Unknown currency \"{c}\": use an ISO 4217 code such as EUR, GBP or USD.")
                }
            }
            Msg::CurrencyMismatch { expected, got } => {
                if fr {
                    format!("Devise {got} différente de celle de la facture ({expected}).")
                } else {
                    format!("Currency {got} differs from the invoice's ({expected}).")
                }
            }
            Msg::DueBeforeIssue => t(
                fr,
                "L'échéance ne peut pas précéder la date d'émission.",
                "The due date cannot be before the issue date.",
            ),
            Msg::DuplicateInvoiceNumber(n) => {
                if fr {
                    format!("Le numéro de facture « {n} » existe déjà.")
                } else {
                    format!("Invoice number \"{n}\" already exists.")
                }
            }
            Msg::DuplicateCustomerRef(r) => {
                if fr {
                    format!("La référence client « {r} » existe déjà.")
                } else {
                    format!("Customer reference \"{r}\" already exists.")
                }
            }
            Msg::DuplicateCreditNoteNumber(n) => {
                if fr {
                    format!("Le numéro d'avoir « {n} » existe déjà.")
                } else {
                    format!("Credit note number \"{n}\" already exists.")
                }
            }
            Msg::UnknownCustomer(r) => {
                if fr {
                    format!("Aucun client avec la référence « {r} ».")
                } else {
                    format!("No customer with reference \"{r}\".")
                }
            }
            Msg::UnknownInvoice(n) => {
                if fr {
                    format!("Aucune facture numéro « {n} ».")
                } else {
                    format!("No invoice numbered \"{n}\".")
                }
            }
            Msg::InvoiceOfOtherCustomer(n) => {
                if fr {
                    format!("La facture « {n} » appartient à un autre client.")
                } else {
                    format!("Invoice \"{n}\" belongs to another customer.")
                }
            }
            Msg::OneOf(list) => {
                if fr {
                    format!("Valeur attendue : {}.", list.join(", "))
                } else {
                    format!("Expected one of: {}.", list.join(", "))
                }
            }
            Msg::BadInteger(v) => {
                if fr {
                    format!("Nombre entier attendu, pas « {v} ».")
                } else {
                    format!("Whole number expected, not \"{v}\".")
                }
            }
            Msg::OutOfRange { min, max } => {
                if fr {
                    format!("Valeur attendue entre {min} et {max}.")
                } else {
                    format!("Value must be between {min} and {max}.")
                }
            }
            Msg::AboveBalance { balance } => {
                if fr {
                    format!("Montant supérieur au solde restant dû ({balance}).")
                } else {
                    format!("Amount above the open balance ({balance}).")
                }
            }
            Msg::OverpaymentNeedsCredit { excess } => {
                if fr {
                    format!("Le paiement dépasse le solde dû de {excess} : cochez « garder en avoir client » ou corrigez le montant.")
                } else {
                    format!("The payment exceeds the open balance by {excess}: tick \"keep as customer credit\" or correct the amount.")
                }
            }
            Msg::AllocationsExceedPayment => t(
                fr,
                "La somme affectée aux factures dépasse le montant du paiement.",
                "The amounts allocated to invoices exceed the payment.",
            ),
            Msg::NoOpenInvoices => t(
                fr,
                "Ce client n'a aucune facture ouverte.",
                "This customer has no open invoice.",
            ),
            Msg::NotEnoughCredit { available } => {
                if fr {
                    format!("Avoir client disponible insuffisant ({available}).")
                } else {
                    format!("Not enough customer credit available ({available}).")
                }
            }
            Msg::BadIban => t(
                fr,
                "IBAN invalide (la clé de contrôle ne correspond pas).",
                "Invalid IBAN (the check digits do not match).",
            ),
            Msg::BadBic => t(
                fr,
                "BIC invalide : 8 ou 11 caractères, par exemple BNPAFRPP.",
                "Invalid BIC: 8 or 11 characters, for example BNPAFRPP.",
            ),
            Msg::BadSiren => t(
                fr,
                "SIREN invalide : 9 chiffres avec une clé valide.",
                "Invalid SIREN: 9 digits with a valid check digit.",
            ),
            Msg::VatNotOfSiren(siren) => {
                if fr {
                    format!("Ce numéro de TVA n'est pas celui du SIREN {siren} : un numéro de TVA français est FR, une clé de 2 chiffres, puis le SIREN.")
                } else {
                    format!("This VAT number is not the one of SIREN {siren}: a French VAT number is FR, a 2-digit key, then the SIREN.")
                }
            }
            Msg::BadSiret => t(
                fr,
                "SIRET invalide : 14 chiffres avec une clé valide.",
                "Invalid SIRET: 14 digits with a valid check digit.",
            ),
            Msg::BadVat => t(
                fr,
                "Numéro de TVA invalide : 2 lettres de pays puis 2 à 13 caractères.",
                "Invalid VAT number: 2-letter country code then 2 to 13 characters.",
            ),
            Msg::BadUkCompanyNumber => t(
                fr,
                "Numéro Companies House invalide : 8 caractères (ex. 01234567 ou SC123456).",
                "Invalid Companies House number: 8 characters (e.g. 01234567 or SC123456).",
            ),
            Msg::BadCountry => t(
                fr,
                "Code pays ISO attendu, sur 2 lettres (FR, BE, GB pour le Royaume-Uni…).",
                "Expected an ISO 2-letter country code (FR, BE, GB for the United Kingdom…).",
            ),
            Msg::BadImage => t(
                fr,
                "Le logo doit être une image PNG ou JPEG de 2 Mo au plus.",
                "The logo must be a PNG or JPEG image of at most 2 MB.",
            ),
            Msg::FileNotFound(p) => {
                if fr {
                    format!("Fichier introuvable : {p}")
                } else {
                    format!("File not found: {p}")
                }
            }
            Msg::RestoreNumberNamedTwice { number, former } => if fr {
                format!("Un document de cette sauvegarde cite la facture {former}, renumérotée {number} depuis, et un document émis depuis la cite sous {number} : restaurée, elle ne pourrait répondre qu'à un des deux numéros. Restaurez une sauvegarde plus récente. Rien n'a changé.")
            } else {
                format!("A document in this backup names invoice {former}, renamed {number} since, and a document issued since names it {number}: restored, it could answer to only one of them. Restore a newer backup. Nothing changed.")
            },
            Msg::RestoreNumberTaken { number, former } => if fr {
                format!("Depuis cette sauvegarde, la facture {former} a pris le numéro {number}, que la sauvegarde donne à une autre facture : restauré, ce numéro désignerait deux factures. Renumérotez d'abord la facture {number} actuelle, ou restaurez une sauvegarde plus récente. Rien n'a changé.")
            } else {
                format!("Since this backup, invoice {former} took the number {number}, which the backup gives to another invoice: restored, one number would name two invoices. Rename the current invoice {number} first, or restore a newer backup. Nothing changed.")
            },
            Msg::RestoreFromItself => t(
                fr,
                "C'est la base ouverte elle-même : choisissez une sauvegarde.",
                "That is the open database itself: choose a backup file.",
            ),
            Msg::RestoreNeedsConfirmation { now, file } => {
                let [c, i, p] = now;
                let [fc, fi, fp] = file;
                if fr {
                    format!(
                        "La restauration remplace les données actuelles ({c} clients, {i} factures, \
                         {p} paiements) par celles du fichier ({fc} clients, {fi} factures, \
                         {fp} paiements). Relancez avec --yes pour confirmer."
                    )
                } else {
                    format!(
                        "Restoring replaces the current data ({c} customers, {i} invoices, \
                         {p} payments) with the file's ({fc} customers, {fi} invoices, \
                         {fp} payments). Run again with --yes to confirm."
                    )
                }
            }
            Msg::OutputIsDatabase(p) => {
                if fr {
                    format!("{p} est la base de données de Relance (ou l'un de ses fichiers) : choisissez un autre fichier.")
                } else {
                    format!("{p} is Relance's database (or one of its files): choose another file.")
                }
            }
            Msg::IssuerIncomplete(keys) => {
                let label = |k: &str| -> &'static str {
                    match (k, fr) {
                        ("company_name", true) => "raison sociale",
                        ("company_name", false) => "company name",
                        ("address", true) => "adresse et ville",
                        ("address", false) => "address and city",
                        ("siret", true) => "SIREN ou SIRET",
                        ("siret", false) => "SIREN or SIRET",
                        ("vat_number", true) => "numéro de TVA intracommunautaire",
                        (_, true) => "numéro de TVA",
                        (_, false) => "VAT number",
                    }
                };
                let list = keys.iter().map(|k| label(k)).collect::<Vec<_>>().join(", ");
                if fr {
                    format!("Une facture doit porter les mentions légales : complétez dans Réglages → Mon entreprise : {list}. Rien n'a été émis.")
                } else {
                    format!("An invoice must carry the legal mentions: complete in Settings → My company: {list}. Nothing was issued.")
                }
            }
            Msg::ScheduleGap { amount, excess } => match (fr, excess) {
                (true, false) => format!("Le calendrier ne couvre pas le total : il manque {amount}."),
                (true, true) => format!("Le calendrier dépasse le total de {amount}."),
                (false, false) => format!("The schedule does not cover the total: {amount} is missing."),
                (false, true) => format!("The schedule exceeds the total by {amount}."),
            },
            Msg::ShareOrAmount(p) => {
                if fr {
                    format!("Étape {p} : indiquez soit un pourcentage, soit un montant fixe.")
                } else {
                    format!("Milestone {p}: give either a percentage or a fixed amount.")
                }
            }
            Msg::MilestoneNotPositive(p) => {
                if fr {
                    format!("Étape {p} : le montant doit être supérieur à zéro.")
                } else {
                    format!("Milestone {p}: the amount must be above zero.")
                }
            }
            Msg::MilestoneAlreadyInvoiced { position, invoice } => {
                if fr {
                    format!("L'étape {position} est déjà facturée ({invoice}) : une facture émise ne se modifie pas (faites un avoir).")
                } else {
                    format!("Milestone {position} is already invoiced ({invoice}): an issued invoice cannot change (issue a credit note).")
                }
            }
            Msg::EarlierMilestonesNotInvoiced(ps) => {
                let list = ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
                match (fr, ps.len()) {
                    (true, 1) => format!("Étape pas encore facturée : {list}. La facture de solde l'inclura ; confirmez pour continuer."),
                    (true, _) => format!("Étapes pas encore facturées : {list}. La facture de solde les inclura ; confirmez pour continuer."),
                    (false, 1) => format!("Milestone not invoiced yet: {list}. The final invoice will include it; confirm to go on."),
                    (false, _) => format!("Milestones not invoiced yet: {list}. The final invoice will include them; confirm to go on."),
                }
            }
            Msg::CustomerOnHoldConfirm(name) => {
                if fr {
                    format!("Le client « {name} » est suspendu (en attente de paiement) : confirmez pour facturer quand même.")
                } else {
                    format!("The customer \"{name}\" is on hold (waiting for payment): confirm to invoice anyway.")
                }
            }
            Msg::UnknownContract(r) => {
                if fr {
                    format!("Contrat « {r} » inconnu.")
                } else {
                    format!("Unknown contract \"{r}\".")
                }
            }
            Msg::DuplicateContract(r) => {
                if fr {
                    format!("Un contrat « {r} » existe déjà.")
                } else {
                    format!("A contract \"{r}\" already exists.")
                }
            }
            Msg::UnknownMilestone(p) => {
                if fr {
                    format!("Ce contrat n'a pas d'étape {p}.")
                } else {
                    format!("This contract has no milestone {p}.")
                }
            }
            Msg::ContractCancelled(r) => {
                if fr {
                    format!("Le contrat « {r} » est annulé.")
                } else {
                    format!("The contract \"{r}\" is cancelled.")
                }
            }
            Msg::NotIssuedHere(n) => {
                if fr {
                    format!("La facture {n} a été émise ailleurs : Relance n'imprime que les factures qu'il émet (échéances de contrats).")
                } else {
                    format!("Invoice {n} was issued elsewhere: Relance prints only the invoices it issues (contract milestones).")
                }
            }
            Msg::SegmentThresholds { good, slow } => {
                if fr {
                    format!("Seuils incohérents : un bon payeur a au plus {good} j de retard et un payeur lent au moins {slow} j ; le premier doit être inférieur au second.")
                } else {
                    format!("Inconsistent thresholds: a good payer is at most {good} days late and a slow payer at least {slow}; the first must be below the second.")
                }
            }
            Msg::IssuedInvoiceImmutable => t(
                fr,
                "Une facture émise par Relance ne se modifie plus : corrigez-la par un avoir.",
                "An invoice issued by Relance cannot change: correct it with a credit note.",
            ),
            Msg::EmptySchedule => t(
                fr,
                "Le calendrier doit compter au moins une étape.",
                "The schedule needs at least one milestone.",
            ),
            Msg::BadSortCode => t(
                fr,
                "Le sort code britannique : six chiffres (par exemple 12-34-56).",
                "The sort code: six digits (for example 12-34-56).",
            ),
            Msg::BadUkAccountNumber => t(
                fr,
                "Le numéro de compte britannique : huit chiffres (par exemple 31926819).",
                "The account number: eight digits (for example 31926819).",
            ),
            Msg::BadTolerance(v) => {
                if fr {
                    format!("Tolérance invalide « {v} » : un montant de 0 à 50, deux décimales au plus (exemple : 1,00).")
                } else {
                    format!("Invalid tolerance \"{v}\": an amount from 0 to 50, at most two decimals (example: 1.00).")
                }
            }
            Msg::BadInvoicePrefix => t(
                fr,
                "Le préfixe des factures : 1 à 10 lettres, chiffres, - ou _ (par exemple F ou FAC-).",
                "The invoice prefix: 1 to 10 letters, digits, - or _ (for example F or INV-).",
            ),
            Msg::CannotWrite(p) => {
                if fr {
                    format!("Impossible d'écrire dans {p} (droits d'accès, support en lecture seule ?) : rien n'a été enregistré.")
                } else {
                    format!("Cannot write to {p} (permissions, read-only medium?): nothing was recorded.")
                }
            }
            Msg::FileUnreadable(p) => {
                if fr {
                    format!("Impossible de lire le fichier {p} (droits d'accès ?).")
                } else {
                    format!("Cannot read the file {p} (permissions?).")
                }
            }
            Msg::UnknownSetting(k) => {
                if fr {
                    format!("Réglage inconnu « {k} ».")
                } else {
                    format!("Unknown setting \"{k}\".")
                }
            }
            Msg::TotalBelowSettled { settled } => {
                if fr {
                    format!("Le total ne peut pas être inférieur à ce qui est déjà réglé ({settled}).")
                } else {
                    format!("The total cannot be below what is already settled ({settled}).")
                }
            }
            Msg::LockedBySettlement => t(
                fr,
                "Impossible de changer le client ou la devise d'une facture déjà (partiellement) réglée.",
                "Cannot change the customer or currency of an invoice that is already (partly) settled.",
            ),
            Msg::CustomerInUse {
                invoices,
                payments,
                entries,
            } => {
                let l = if fr { Lang::Fr } else { Lang::En };
                let mut has = Vec::new();
                if *invoices > 0 {
                    has.push(l.count(*invoices, if fr { "facture" } else { "invoice" }, if fr { "factures" } else { "invoices" }));
                }
                if *payments > 0 {
                    has.push(l.count(*payments, if fr { "paiement" } else { "payment" }, if fr { "paiements" } else { "payments" }));
                }
                if *entries > 0 {
                    has.push(l.count(*entries, if fr { "entrée d'historique" } else { "history entry" }, if fr { "entrées d'historique" } else { "history entries" }));
                }
                let joined = match has.len() {
                    0 | 1 => has.concat(),
                    n => format!("{} {} {}", has[..n - 1].join(", "), if fr { "et" } else { "and" }, has[n - 1]),
                };
                if fr {
                    format!("Ce client a {joined} : il ne peut pas être supprimé. Archivez-le : il disparaît des listes et d'Aujourd'hui, son historique est gardé.")
                } else {
                    format!("This customer has {joined}: they cannot be deleted. Archive them: they leave the lists and Today, their history is kept.")
                }
            }
            Msg::CustomerStillOwes(amount) => if fr {
                format!("Ce client doit encore {amount} : passez ses factures en perte ou confiez-les au recouvrement avant de l'archiver.")
            } else {
                format!("This customer still owes {amount}: write their invoices off or hand them over before archiving them.")
            },
            Msg::CustomerArchived => t(
                fr,
                "Ce client est archivé : ramenez-le de l'archive (sa fiche, menu « … », « Ramener de l'archive ») avant de lui ajouter une facture.",
                "This customer is archived: bring them back from the archive (their page, menu \"…\", \"Bring back from the archive\") before adding an invoice.",
            ),
            Msg::NetAboveTotal => t(
                fr,
                "Le montant HT dépasse le montant TTC.",
                "The amount excluding tax is above the total.",
            ),
            Msg::NoProposal(c) => if fr {
                format!("Aucune sanction n'est proposée aujourd'hui pour « {c} ».")
            } else {
                format!("No sanction is proposed today for \"{c}\".")
            },
            Msg::InvoiceIssuedKept => t(
                fr,
                "Cette facture a été émise par Relance et garde son numéro : elle ne peut pas être supprimée. Pour l'annuler, établissez un avoir.",
                "Relance issued this invoice and it keeps its number: it cannot be deleted. To cancel it, issue a credit note.",
            ),
            Msg::InvoiceSettledKept => t(
                fr,
                "Des paiements ou des avoirs sont enregistrés sur cette facture : elle ne peut pas être supprimée. Pour l'annuler, établissez un avoir du reste dû, ou passez-la en perte.",
                "Payments or credit notes are recorded against this invoice: it cannot be deleted. To cancel it, issue a credit note for what is left, or write it off.",
            ),
            Msg::InvoiceHistoryKept => t(
                fr,
                "Cette facture a un historique (relances, courriers, promesses, litiges ou pénalités) : elle ne peut pas être supprimée. Établissez un avoir ou passez-la en perte : l'historique reste.",
                "This invoice has a history (reminders, letters, promises, disputes or penalties): it cannot be deleted. Issue a credit note or write it off: the history stays.",
            ),
            Msg::OwnerLedger => t(
                fr,
                "Ce registre porte l'identité de votre entreprise : les données de démonstration n'y entrent pas. Ouvrez la démonstration dans un registre à part (dans l'application : « Essayer la démonstration » ; en ligne de commande : relance --db demo.sqlite demo).",
                "This ledger carries your company's identity: demo data does not go into it. Open the demo in a ledger of its own (in the app: \"Try the demo\"; on the command line: relance --db demo.sqlite demo).",
            ),
            Msg::NotEmpty => t(
                fr,
                "Ce registre contient déjà des clients ou des factures : les données de démonstration ne se chargent que dans un registre vide.",
                "This ledger already holds customers or invoices: demo data only loads into an empty ledger.",
            ),
            Msg::InvoiceSettled => t(
                fr,
                "Cette facture est entièrement réglée.",
                "This invoice is fully settled.",
            ),
            Msg::NoSteps => t(
                fr,
                "Un scénario doit avoir au moins une étape.",
                "A scenario needs at least one step.",
            ),
            Msg::DuplicateStepOffset(d) => {
                if fr {
                    format!("Deux étapes tombent le même jour (J{d:+}) : changez l'un des décalages.")
                } else {
                    format!("Two steps fall on the same day (D{d:+}): change one of the offsets.")
                }
            }
            Msg::DateInPast => t(
                fr,
                "Cette date est déjà passée : choisissez aujourd'hui ou une date future.",
                "This date is in the past: choose today or a later date.",
            ),
            Msg::DisputeOnPaidInvoice => t(
                fr,
                "Cette facture est soldée : il n'y a rien à contester.",
                "This invoice is fully settled: there is nothing to dispute.",
            ),
            Msg::AlreadyDisputed => t(
                fr,
                "Un litige est déjà ouvert sur cette facture.",
                "A dispute is already open on this invoice.",
            ),
            Msg::NotOpenDispute => t(
                fr,
                "Ce litige n'existe pas ou est déjà résolu.",
                "This dispute does not exist or is already resolved.",
            ),
            Msg::InvoiceNotYetIssued => t(
                fr,
                "Cette facture n'était pas encore émise à cette date.",
                "This invoice had not been issued yet on that date.",
            ),
            Msg::InvoiceWrittenOff => t(
                fr,
                "Cette facture est passée en perte : elle ne se réclame plus.",
                "This invoice is written off: it is no longer claimed.",
            ),
            Msg::InvoiceHandedOver => t(
                fr,
                "Cette facture est confiée au recouvrement (agence ou tribunal) : c'est lui qui la réclame désormais.",
                "This invoice is handed over (agency or court): they claim it now.",
            ),
            Msg::InvoiceDisputed => t(
                fr,
                "Cette facture fait l'objet d'un litige ouvert : elle ne se réclame pas avant qu'il soit résolu.",
                "This invoice has an open dispute: it is not claimed until the dispute is resolved.",
            ),
            Msg::NotARegularFile(path) => {
                if fr {
                    format!("« {path} » n'est pas un fichier ordinaire (lien, dossier ou périphérique) : choisissez un fichier ou un nouveau nom.")
                } else {
                    format!("\"{path}\" is not a regular file (a link, folder or device): choose a file or a new name.")
                }
            }
            Msg::PreviewNotArchived => t(
                fr,
                "Une lettre datée d'un autre jour qu'aujourd'hui n'est qu'un aperçu : elle ne s'archive pas et ne s'envoie pas.",
                "A letter dated another day than today is only a preview: it is not archived or sent.",
            ),
            Msg::RateOnShippedDate { series, date, rate } => {
                let series = series_label(series, lang).unwrap_or(series);
                if fr {
                    format!("Le {date}, le {series} est une décision publiée, livrée avec Relance ({rate} %) : elle ne se remplace pas.")
                } else {
                    format!("On {date} the {series} is a published decision shipped with Relance ({rate} %): it cannot be replaced.")
                }
            }
            Msg::RateAlreadyEntered { series, date, rate } => {
                let series = series_label(series, lang).unwrap_or(series);
                if fr {
                    format!("Une valeur du {series} est déjà saisie au {date} ({rate} %) : supprimez-la d'abord pour la corriger.")
                } else {
                    format!("A value of the {series} is already entered on {date} ({rate} %): remove it first to correct it.")
                }
            }
            Msg::FileRefused { fr: f, en: e } => t(fr, f, e),
            Msg::IssueBeforeLast(d) => {
                if fr {
                    format!("Une facture a déjà été émise le {d} : une facture est datée du jour où elle est émise, jamais avant la précédente (les numéros suivent les dates).")
                } else {
                    format!("An invoice was already issued on {d}: an invoice is dated the day it is issued, never before the previous one (numbers follow dates).")
                }
            }
            Msg::NumberInOwnSeries { number, year } => {
                if fr {
                    format!("« {number} » est un numéro de votre propre série {year}, que Relance attribue : choisissez un autre numéro (la série reste sans trou).")
                } else {
                    format!("\"{number}\" is a number of your own {year} series, which Relance allocates: choose another number (the series stays without gaps).")
                }
            }
            Msg::SamePrefixes(p) => {
                if fr {
                    format!("Les factures et les avoirs ont chacun leur série : choisissez pour les avoirs un autre préfixe que « {p} » (A, par exemple).")
                } else {
                    format!("Invoices and credit notes each have their own series: choose a credit-note prefix other than \"{p}\" (A, for example).")
                }
            }
            Msg::CreditNoteNeedsLines(n) => {
                if fr {
                    format!("La facture {n} a été enregistrée, pas émise par Relance : Relance n'en connaît pas les lignes. Indiquez ce que l'avoir rembourse (une ligne au moins : désignation, quantité, prix unitaire HT, taux de TVA).")
                } else {
                    format!("Invoice {n} was recorded, not issued by Relance, which does not know its lines: say what the credit note credits (at least one line: description, quantity, unit price excl. tax, VAT rate).")
                }
            }
            Msg::CreditAboveInvoiced(left) => {
                if fr {
                    format!("Un avoir ne peut pas dépasser ce qui reste de la facture après ses avoirs : {left} au plus.")
                } else {
                    format!("A credit note cannot exceed what is left of the invoice after its credit notes: {left} at most.")
                }
            }
            Msg::CreditRateNotInvoiced(r) => {
                if fr {
                    format!("La facture ne contient aucune ligne de TVA {r} : un avoir ne rembourse que ce qui a été facturé, taux par taux.")
                } else {
                    format!("The invoice has no line with VAT {r}: a credit note only credits what was invoiced, rate by rate.")
                }
            }
            Msg::CreditNoteBeforeLast(d) => {
                if fr {
                    format!("Un avoir a déjà été émis le {d} : un avoir est daté du jour où il est émis, jamais avant le précédent (les numéros suivent les dates).")
                } else {
                    format!("A credit note was already issued on {d}: a credit note is dated the day it is issued, never before the previous one (numbers follow dates).")
                }
            }
            Msg::ExchangeRateRequired(c) => {
                if fr {
                    format!("Une facture en {c} doit aussi indiquer sa TVA en euros : saisissez le taux de change (combien d'euros pour 1 {c}, par exemple 1,165).")
                } else {
                    format!("An invoice in {c} must also state its VAT in euros: enter the exchange rate (how many euros for 1 {c}, for example 1.165).")
                }
            }
            Msg::CurrencyNotForEinvoice(c) => {
                if fr {
                    format!("Une facture électronique (EN 16931) n'a que deux décimales : Relance ne peut pas émettre de facture en {c}. Facturez dans une autre monnaie.")
                } else {
                    format!("An e-invoice (EN 16931) has two decimals at most: Relance cannot issue an invoice in {c}. Invoice in another currency.")
                }
            }
            Msg::ExchangeRateNotNeeded => t(
                fr,
                "Un taux de change ne sert qu'à une facture dans une autre monnaie que l'euro : laissez ce champ vide.",
                "An exchange rate is only for an invoice in another currency than the euro: leave this field empty.",
            ),
            Msg::BadExchangeRate(v) => {
                if fr {
                    format!("Taux de change invalide « {v} » : un nombre positif, six décimales au plus (exemple : 1,165).")
                } else {
                    format!("Invalid exchange rate \"{v}\": a positive number with at most six decimals (example: 1.165).")
                }
            }
            Msg::UnknownCreditNote(n) => {
                if fr {
                    format!("Aucun avoir émis ne porte le numéro « {n} ».")
                } else {
                    format!("No issued credit note is numbered \"{n}\".")
                }
            }
            Msg::BeforeSignature(d) => {
                if fr {
                    format!("Date antérieure à la signature du contrat ({d}).")
                } else {
                    format!("Dated before the contract was signed ({d}).")
                }
            }
            Msg::BadShare(v) => {
                if fr {
                    format!("Part invalide « {v} » : un pourcentage (30 ou 33,33) ou une fraction du total, dénominateur de 1 à 36 (1/3, 1/12).")
                } else {
                    format!("Invalid share \"{v}\": a percentage (30 or 33.33) or a fraction of the total with a denominator from 1 to 36 (1/3, 1/12).")
                }
            }
            Msg::TotalBelowInvoiced(v) => {
                if fr {
                    format!("Le nouveau total est inférieur à ce qui est déjà facturé ({v} HT) : un avoir corrige une facture émise.")
                } else {
                    format!("The new total is below what is already invoiced ({v} excl. tax): a credit note corrects an issued invoice.")
                }
            }
            Msg::EmailLocalNotAscii => t(
                fr,
                "La partie avant le @ contient des lettres accentuées : la plupart des serveurs de messagerie refusent une telle adresse (SMTPUTF8). Vérifiez l'adresse auprès du client.",
                "The part before the @ has accented letters: most mail servers refuse such an address (SMTPUTF8). Check the address with the customer.",
            ),
            Msg::AddressTooLong(n) => {
                if fr {
                    format!("{n} lignes d'adresse : 4 au plus (la fenêtre de l'enveloppe reçoit aussi le nom, le contact, le code postal et la ville).")
                } else {
                    format!("{n} address lines: 4 at most (the envelope window also holds the name, the contact, the postcode and city).")
                }
            }
            Msg::IssueNotToday => t(
                fr,
                "Une facture est datée du jour où elle est émise : la date ne peut être qu'aujourd'hui.",
                "An invoice is dated the day it is issued: the date can only be today.",
            ),
            Msg::PastAgenda => t(
                fr,
                "L'agenda se consulte pour aujourd'hui ou une date future : ce qui était à faire un jour passé dépend de ce qui a été fait depuis.",
                "The agenda is for today or a later date: what was due on a past day depends on what was done since.",
            ),
            Msg::PenaltiesNotToday => t(
                fr,
                "Une facture de pénalités est émise à la date du jour : les intérêts d'une autre date ne se facturent pas (un aperçu se fait avec « penalties »).",
                "A penalty invoice is issued as of today: interest at another date is not invoiced (preview it with \"penalties\").",
            ),
            Msg::NotUndoable => t(
                fr,
                "Seul ce qui a été fait, passé ou reporté aujourd'hui, ou une sanction, peut être annulé.",
                "Only what was done, skipped or snoozed today, or a sanction, can be undone.",
            ),
            Msg::AlreadyUndone => t(fr, "C'est déjà annulé.", "This is already undone."),
            Msg::Statement(f) => f.text(fr),
            Msg::NumberOnPenaltyInvoice(number) => if fr {
                format!("La facture de pénalités {number} cite déjà cette facture par son numéro : il ne peut plus changer.")
            } else {
                format!("Penalty invoice {number} already names this invoice by its number: it can no longer change.")
            },
            Msg::NumberOnCreditNote(number) => if fr {
                format!("L'avoir {number} cite déjà cette facture par son numéro : il ne peut plus changer.")
            } else {
                format!("Credit note {number} already names this invoice by its number: it can no longer change.")
            },
            Msg::NumberOnLetter(on) => if fr {
                format!("Une lettre archivée du {on} cite déjà cette facture par son numéro : il ne peut plus changer.")
            } else {
                format!("A letter archived on {on} already names this invoice by its number: it can no longer change.")
            },
            Msg::ImportedInvoiceFixed => t(fr,
                "Cette facture vient de sa facture électronique : son numéro, son client, sa date, sa devise et son montant sont ceux du fichier. Corrigez-la par un avoir ; l'échéance, la référence et les notes restent modifiables.",
                "This invoice came from its e-invoice: its number, customer, date, currency and amount are the file's. Correct it with a credit note; the due date, reference and notes can still be changed."),
            Msg::CreditNoteNeedsDocument(number) => if fr {
                format!("Relance a émis la facture {number} : corrigez-la par un avoir émis, qui reçoit son propre numéro et son PDF (page de la facture → Émettre un avoir, ou relance credit-note issue --invoice {number}).")
            } else {
                format!("Relance issued invoice {number}: correct it with an issued credit note, which gets its own number and PDF (invoice page → Issue a credit note, or relance credit-note issue --invoice {number}).")
            },
            Msg::OneFileOnly => t(fr, "Un import CSV prend un seul fichier.", "A CSV import takes one file."),
            Msg::Einvoice(f) => f.text(fr),
            Msg::EinvoiceBatch(files) => {
                let lang = if fr { Lang::Fr } else { Lang::En };
                let each: Vec<String> = files
                    .iter()
                    .map(|(file, m)| format!("{file} : {}", m.raw_text(lang)))
                    .collect();
                let each: Vec<String> = if fr {
                    each
                } else {
                    each.into_iter().map(|e| e.replacen(" : ", ": ", 1)).collect()
                };
                if fr {
                    format!("Rien n'a été importé ({} fichier{} refusé{}). {}", files.len(), if files.len() > 1 { "s" } else { "" }, if files.len() > 1 { "s" } else { "" }, each.join(" "))
                } else {
                    format!("Nothing was imported ({} refused). {}", lang.count(files.len() as i64, "file", "files"), each.join(" "))
                }
            }
            Msg::EinvoiceNewCustomers(names) => if fr {
                format!("Ces clients seraient créés : {}. Confirmez pour les créer (--yes), ou créez-les d'abord avec leur SIREN.", names.join(", "))
            } else {
                format!("These customers would be created: {}. Confirm to create them (--yes), or create them first with their SIREN.", names.join(", "))
            },
            Msg::LaterSanction => t(
                fr,
                "Une sanction plus récente a été décidée pour ce client : annulez-la d'abord.",
                "A later sanction was decided for this customer: undo it first.",
            ),
            Msg::AlreadyClosed => t(
                fr,
                "Cette facture est déjà passée en perte ou confiée au recouvrement.",
                "This invoice is already written off or handed over.",
            ),
            Msg::ActionTaken { what, by, at } => {
                let (fr_what, en_what) = match what.as_str() {
                    "skipped" => ("déjà écartée", "already skipped"),
                    "snoozed" => ("déjà reportée", "already snoozed"),
                    _ => ("déjà faite", "already done"),
                };
                let at_fr = at.replacen(':', " h ", 1);
                match (fr, by.is_empty()) {
                    (true, false) => format!(
                        "Cette action a été {fr_what} par {by} à {at_fr} : elle n'est plus à l'agenda du jour."
                    ),
                    (true, true) => format!(
                        "Cette action a été {fr_what} à {at_fr} : elle n'est plus à l'agenda du jour."
                    ),
                    (false, false) => format!(
                        "This action was {en_what} by {by} at {at}: it is no longer on the day's agenda."
                    ),
                    (false, true) => format!(
                        "This action was {en_what} at {at}: it is no longer on the day's agenda."
                    ),
                }
            }
            Msg::ChangedMeanwhile(at) => {
                if fr {
                    format!(
                        "Quelqu'un a modifié cette fiche à {} depuis que vous l'avez ouverte : \
                         rien n'a été enregistré, et votre saisie reste à l'écran. Rouvrez la \
                         fiche pour voir ses changements, puis refaites les vôtres.",
                        at.replacen(':', " h ", 1)
                    )
                } else {
                    format!(
                        "Someone changed this record at {at} since you opened it: nothing was \
                         saved, and what you typed stays on screen. Open the record again to see \
                         their change, then make yours again."
                    )
                }
            }
            Msg::UnknownAction(a) => {
                if fr {
                    format!("Aucune action « {a} » à l'agenda de ce jour.")
                } else {
                    format!("No action \"{a}\" on that day's agenda.")
                }
            }
            Msg::UnknownScenario(s) => {
                if fr {
                    format!("Scénario inconnu « {s} ».")
                } else {
                    format!("Unknown scenario \"{s}\".")
                }
            }
            Msg::CsvEmpty => t(
                fr,
                "Le fichier est vide : il faut une ligne d'en-tête et au moins une ligne.",
                "The file is empty: it needs a header line and at least one row.",
            ),
            Msg::CsvBinary => t(
                fr,
                "Ce fichier n'est pas un CSV texte (UTF-8).",
                "This file is not a text (UTF-8) CSV.",
            ),
            Msg::CsvMissingColumns(cols) => {
                if fr {
                    format!("Colonnes obligatoires absentes : {}.", cols.join(", "))
                } else {
                    format!("Required columns missing: {}.", cols.join(", "))
                }
            }
            Msg::CsvUnknownColumn(c) => {
                if fr {
                    format!("Colonne inconnue « {c} ».")
                } else {
                    format!("Unknown column \"{c}\".")
                }
            }
            Msg::CsvUnterminatedQuote(line) => {
                if fr {
                    format!(
                        "Guillemet ouvert à la ligne {line} et jamais refermé : tout le reste du \
                         fichier serait lu comme une seule cellule."
                    )
                } else {
                    format!(
                        "Quote opened on line {line} and never closed: the rest of the file \
                         would be read as one cell."
                    )
                }
            }
            Msg::CsvDuplicateColumn(h) => {
                if fr {
                    format!("La colonne « {h} » apparaît deux fois dans l'en-tête.")
                } else {
                    format!("The column \"{h}\" appears twice in the header.")
                }
            }
            Msg::CsvUnnamedColumn(n) => {
                if fr {
                    format!("La colonne n° {n} contient des données mais n'a pas de nom dans l'en-tête.")
                } else {
                    format!("Column {n} has data but no name in the header.")
                }
            }
            Msg::CsvMalformed(d) => {
                if fr {
                    format!("Ligne CSV mal formée : {d}.")
                } else {
                    format!("Malformed CSV line: {d}.")
                }
            }
        }
    }
}

fn t(fr: bool, f: &str, e: &str) -> String {
    if fr { f } else { e }.to_string()
}

/// One refused row of an import: its line number in the file, the column and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub field: String,
    pub msg: Msg,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was refused; nothing was changed.
    #[error("{field}: {}", msg.text(Lang::En))]
    Invalid { field: String, msg: Msg },
    /// Something named does not exist.
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    /// An import was refused as a whole; every bad row is listed.
    #[error("{} refused", Lang::En.count(.0.len() as i64, "row", "rows"))]
    Import(Vec<RowError>),
    /// The database file was written by a newer Relance.
    #[error("this database was written by a newer version of Relance (schema {found}, this build knows {known}); update Relance")]
    NewerSchema { found: i64, known: i64 },
    /// A SQLite file of another program: refused, and left untouched.
    #[error("{0} is not a Relance database (another program's SQLite file); nothing was changed")]
    ForeignDatabase(String),
    /// Not a SQLite file at all (or a folder).
    #[error("{0} is not a database file; nothing was changed")]
    NotADatabase(String),
    /// A Relance file that cannot be read as one: damaged header or schema.
    #[error("{path} is damaged ({detail}); restore a backup")]
    DamagedDatabase { path: String, detail: String },
    /// The disk (or the database's size limit) is full: the write was rolled back.
    #[error("the disk is full: nothing was written; free some space and try again")]
    DiskFull,
    /// The database cannot be written (file permissions, read-only medium).
    #[error("the database is read-only: nothing was written; check the file's permissions")]
    ReadOnly,
    /// Another writer held the ledger too long (a file's lock past its timeout), or the
    /// server gave up the transaction to let another through (a serialization failure or a
    /// deadlock, which only another program writing the tables can cause: Relance's
    /// writers queue on one lock). The transaction was rolled back whole; trying again is
    /// safe. On a server, the writes that go through `store::write` (a payment, an action)
    /// are run again before this is said; the others' work is not proven free of effects
    /// outside the ledger (files they stage).
    #[error(
        "someone else was saving in the ledger at the same moment: nothing was saved; try again"
    )]
    Busy,
    /// The folder given for the database does not exist (it is not created silently).
    #[error("the folder {0} does not exist")]
    FolderNotFound(String),
    /// A shared ledger on a PostgreSQL server that cannot be used as asked (see [`ServerFault`]).
    #[error("{}", .0.text(Lang::En))]
    Server(ServerFault),
    /// `relance check` found a cache the ledger keeps (the wake dates, the payer segments
    /// and habits, the customers' balances) that no longer says what its facts say; each
    /// finding in words.
    #[error("what the ledger keeps for Today (wake dates, payer segments and habits, customer balances) differs from what its facts say: {}; `relance check --rebuild` computes it again", .0.join("; "))]
    CacheDiffers(Vec<String>),
    #[error("database error: {0}")]
    Db(rusqlite::Error),
    #[error("file error: {0}")]
    Io(std::io::Error),
}

impl Error {
    pub fn invalid(field: impl Into<String>, msg: Msg) -> Error {
        Error::Invalid {
            field: field.into(),
            msg,
        }
    }

    /// A file the user named could not be opened: a missing or unreadable file is a refusal
    /// that names it; anything else stays a system error. The shells open files, the
    /// engine only words what went wrong.
    pub fn file(field: &str, path: &std::path::Path, e: std::io::Error) -> Error {
        let shown = path.display().to_string();
        match e.kind() {
            std::io::ErrorKind::NotFound => Error::invalid(field, Msg::FileNotFound(shown)),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::IsADirectory => {
                Error::invalid(field, Msg::FileUnreadable(shown))
            }
            _ => Error::Io(e),
        }
    }

    /// A file or folder that could not be written: permissions and read-only media worded
    /// with the path, a missing folder named, a full disk as such.
    pub fn write(field: &str, path: &std::path::Path, e: std::io::Error) -> Error {
        let shown = path.display().to_string();
        match e.kind() {
            std::io::ErrorKind::NotFound => Error::FolderNotFound(shown),
            std::io::ErrorKind::PermissionDenied
            | std::io::ErrorKind::ReadOnlyFilesystem
            | std::io::ErrorKind::IsADirectory
            | std::io::ErrorKind::NotADirectory => Error::invalid(field, Msg::CannotWrite(shown)),
            _ => Error::from(e),
        }
    }

    /// A file that is ours but unreadable as such; `detail` is kept to its first line.
    pub fn damaged(path: impl Into<String>, detail: &dyn std::fmt::Display) -> Error {
        let detail = detail.to_string();
        let mut line: String = detail
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(160)
            .collect();
        if line.len() < detail.len() {
            line.push('…');
        }
        Error::DamagedDatabase {
            path: path.into(),
            detail: line,
        }
    }

    /// A stable machine-readable kind, for the UI and the CLI's exit status.
    pub fn kind(&self) -> &'static str {
        match self {
            // Two refusals the Bank screen answers with a step of its own: mapping a CSV
            // layout, and confirming a statement whose balances do not add up.
            Error::Invalid {
                msg: Msg::Statement(StatementFault::UnknownLayout { .. }),
                ..
            } => "unknown_layout",
            Error::Invalid {
                msg: Msg::Statement(StatementFault::Unbalanced { .. }),
                ..
            } => "unbalanced",
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::Import(_) => "import",
            Error::NewerSchema { .. } => "newer_schema",
            Error::ForeignDatabase(_) => "foreign_database",
            Error::NotADatabase(_) => "not_a_database",
            Error::DamagedDatabase { .. } => "damaged_database",
            Error::FolderNotFound(_) => "folder_not_found",
            Error::Server(_) => "server",
            Error::DiskFull => "disk_full",
            Error::ReadOnly => "read_only",
            Error::Busy => "busy",
            Error::CacheDiffers(_) => "cache_differs",
            Error::Db(_) => "database",
            Error::Io(_) => "io",
        }
    }

    /// True when the user's input was refused (as opposed to a fault of the system).
    /// A file given as input (to restore from) that cannot be used: a refusal of that input
    /// (exit status 1), where the same state of the open database is a failure.
    pub fn as_input_refusal(self, field: &str) -> Error {
        match self {
            Error::NotADatabase(_)
            | Error::ForeignDatabase(_)
            | Error::DamagedDatabase { .. }
            | Error::NewerSchema { .. } => Error::invalid(
                field,
                Msg::FileRefused {
                    fr: self.message(Lang::Fr),
                    en: self.message(Lang::En),
                },
            ),
            other => other,
        }
    }

    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Invalid { .. } | Error::NotFound { .. } | Error::Import(_)
        ) || matches!(
            self,
            Error::Server(
                ServerFault::PasswordInAddress
                    | ServerFault::BadAddress(_)
                    | ServerFault::FileOnly(_)
                    | ServerFault::Moved(_)
                    | ServerFault::NotEmpty
                    | ServerFault::OwnerOnly(_)
                    | ServerFault::Denied(_)
                    | ServerFault::NeedsUpgrade { .. }
                    | ServerFault::TlsSetup(_)
                    | ServerFault::NoPassword(_)
                    | ServerFault::LoginRefused(..)
            )
        )
    }

    /// The field concerned, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The whole message in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        match self {
            Error::Invalid { msg, .. } => msg.text(lang),
            Error::NotFound { what, key } => {
                if fr {
                    format!("Introuvable ({what}) : {key}")
                } else {
                    format!("{what} not found: {key}")
                }
            }
            Error::Import(rows) => {
                let mut s = if fr {
                    format!(
                        "Import refusé, rien n'a été importé : {} en erreur.",
                        Lang::Fr.count(rows.len() as i64, "ligne", "lignes")
                    )
                } else {
                    format!(
                        "Import refused, nothing was imported: {} in error.",
                        Lang::En.count(rows.len() as i64, "row", "rows")
                    )
                };
                for r in rows {
                    let line = if fr { "ligne" } else { "line" };
                    s.push_str(&format!(
                        "\n  {line} {}, {}: {}",
                        r.line,
                        r.field,
                        r.msg.text(lang)
                    ));
                }
                s
            }
            Error::NewerSchema { found, known } if fr => format!(
                "Cette base a été écrite par une version plus récente de Relance (schéma {found}, \
                 cette version connaît {known}) ; mettez Relance à jour."
            ),
            Error::ForeignDatabase(p) if fr => format!(
                "{p} n'est pas une base Relance (fichier SQLite d'un autre programme) ; rien n'a été modifié."
            ),
            Error::NotADatabase(p) if fr => {
                format!("{p} n'est pas un fichier de base de données ; rien n'a été modifié.")
            }
            Error::DamagedDatabase { path, detail } if fr => {
                format!("{path} est endommagé ({detail}) ; restaurez une sauvegarde.")
            }
            Error::FolderNotFound(p) if fr => format!("Le dossier {p} n'existe pas."),
            Error::Server(f) => f.text(lang),
            Error::DiskFull if fr => "Le disque est plein : rien n'a été enregistré ; libérez \
                                      de la place puis recommencez."
                .to_string(),
            Error::ReadOnly if fr => "La base de données est en lecture seule : rien n'a été \
                                      enregistré ; vérifiez les droits du fichier."
                .to_string(),
            Error::Busy if fr => "Quelqu'un d'autre enregistrait dans le registre au même \
                                  moment : rien n'a été enregistré ; recommencez."
                .to_string(),
            Error::CacheDiffers(found) if fr => format!(
                "Ce que le registre garde pour Aujourd'hui (dates de réveil, segments et \
                 habitudes des payeurs, soldes des clients) ne dit plus ce que disent ses faits : {} ; « relance check \
                 --rebuild » le recalcule.",
                found.join(" ; ")
            ),
            other => other.to_string(),
        }
    }
}

/// Why a ledger on a PostgreSQL server cannot be used as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFault {
    /// The address carries a password, which would end up in shell histories and process
    /// lists; Relance reads it from `PGPASSWORD`, the keyring or `~/.pgpass` instead.
    PasswordInAddress,
    /// The address cannot be read as a PostgreSQL connection string.
    BadAddress(String),
    /// The server did not answer or refused the session (its words).
    Unreachable(String),
    /// Something only a ledger file has (a snapshot file, a file restore).
    FileOnly(&'static str),
    /// The ledger file was moved to a server (the address): it is kept as it was and no
    /// longer written.
    Moved(String),
    /// The database a ledger is copied into already holds one.
    NotEmpty,
    /// A copy read back differs from what it copied (which table, how): nothing was kept.
    CopyDiffers(String),
    /// A move copied the ledger onto the server, but the file could not be marked as moved
    /// afterwards (why): the two must not both be used.
    CopyKeptSourceUnmarked(String),
    /// Only the ledger's owner (the role that owns its tables) may do this.
    OwnerOnly(&'static str),
    /// The server refused the logged-in role what was asked (its words).
    Denied(String),
    /// The ledger on the server is at an older version than this Relance needs, and the
    /// role logged in is not its owner (who upgrades it by opening it once).
    NeedsUpgrade { found: i64, needed: i64 },
    /// The TLS the address asks for cannot be set up on this computer.
    TlsSetup(TlsSetup),
    /// The server and this computer could not agree on a protected session (the TLS
    /// library's or the server's words): a certificate not trusted, a name that does not
    /// match, a server without TLS.
    TlsRefused(TlsRefusal),
    /// The server asks a password for this role (`role@host:port`) and none was found in
    /// `PGPASSWORD`, the keyring or `.pgpass`.
    NoPassword(String),
    /// The server refused the login of this role (`role@host:port`; the server's words): a
    /// wrong password, a role it does not let in.
    LoginRefused(String, String),
    /// A bulk write could not have the invoices to itself within its wait: the server's
    /// maintenance (a `VACUUM`, an index built) holds them, most likely. Nothing was written.
    InvoicesHeld,
}

/// Why the server and this computer could not agree on a protected session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRefusal {
    /// The server offers no TLS, which the address requires.
    NoTls,
    /// The server's certificate is not signed by the authority given.
    NotSigned,
    /// The server's certificate does not carry the name it was addressed by (that name).
    WrongName(String),
    /// The server's certificate has expired, or is not valid yet.
    Expired,
    /// Another reason, in the TLS library's words.
    Other(String),
}

impl TlsRefusal {
    fn text(&self, fr: bool) -> String {
        match self {
            TlsRefusal::NoTls if fr => "le serveur ne propose pas de connexion chiffrée, que \
                l'adresse exige (sslmode)"
                .to_string(),
            TlsRefusal::NoTls => "the server offers no encrypted connection, which the address \
                requires (sslmode)"
                .to_string(),
            TlsRefusal::NotSigned if fr => "le certificat du serveur n'est pas signé par \
                l'autorité indiquée (sslrootcert)"
                .to_string(),
            TlsRefusal::NotSigned => "the server's certificate is not signed by the authority \
                given (sslrootcert)"
                .to_string(),
            TlsRefusal::WrongName(h) if fr => format!(
                "le certificat du serveur ne porte pas le nom {h} : nommez le serveur dans \
                 l'adresse comme son certificat le nomme"
            ),
            TlsRefusal::WrongName(h) => format!(
                "the server's certificate does not carry the name {h}: name the server in the \
                 address as its certificate does"
            ),
            TlsRefusal::Expired if fr => "le certificat du serveur a expiré ou n'est pas \
                encore valable : son administrateur doit le renouveler"
                .to_string(),
            TlsRefusal::Expired => "the server's certificate has expired or is not valid yet: \
                its administrator must renew it"
                .to_string(),
            TlsRefusal::Other(d) => d.clone(),
        }
    }
}

/// What stops the TLS of a server address from being set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// `verify-ca` or `verify-full` without a root certificate to check against.
    NoRootCert,
    /// A client certificate without its key, or a key without its certificate (the one given).
    Incomplete(String),
    /// A file the address names does not exist.
    Missing(String),
    /// `sslrootcert=system` with a mode that does not check the host's name.
    SystemNeedsFull,
    /// A client's private key that others may read (libpq refuses it too).
    KeyReadable(String),
    /// A file the address names cannot be read as a certificate or key (the library's words).
    Unreadable(String, String),
    /// The TLS library itself failed (its words).
    Library(String),
}

impl TlsSetup {
    fn text(&self, fr: bool) -> String {
        match self {
            TlsSetup::NoRootCert if fr => "sslmode=verify-ca et verify-full vérifient le \
                certificat du serveur : indiquez le certificat de l'autorité qui l'a signé \
                (sslrootcert=/chemin/ca.crt dans l'adresse, ou sslrootcert=system pour les \
                autorités de ce système)"
                .to_string(),
            TlsSetup::NoRootCert => "sslmode=verify-ca and verify-full check the server's \
                certificate: name the certificate of the authority that signed it \
                (sslrootcert=/path/ca.crt in the address, or sslrootcert=system for this \
                system's authorities)"
                .to_string(),
            TlsSetup::Incomplete(f) if fr => format!(
                "un certificat client et sa clé vont ensemble (sslcert et sslkey) : seul {f} \
                 est indiqué"
            ),
            TlsSetup::Incomplete(f) => format!(
                "a client certificate and its key go together (sslcert and sslkey): only {f} \
                 is given"
            ),
            TlsSetup::SystemNeedsFull if fr => "les autorités du système signent des \
                certificats pour les noms de tout le monde : avec sslrootcert=system, seul \
                sslmode=verify-full (qui vérifie aussi le nom du serveur) prouve quelque chose"
                .to_string(),
            TlsSetup::SystemNeedsFull => "the system's authorities sign certificates for \
                anyone's names: with sslrootcert=system, only sslmode=verify-full (which checks \
                the server's name too) proves anything"
                .to_string(),
            TlsSetup::KeyReadable(f) if fr => {
                format!("la clé privée {f} est lisible par d'autres comptes : chmod 600 {f}")
            }
            TlsSetup::KeyReadable(f) => {
                format!("the private key {f} can be read by other accounts: chmod 600 {f}")
            }
            TlsSetup::Missing(f) if fr => format!("le fichier {f} n'existe pas"),
            TlsSetup::Missing(f) => format!("the file {f} does not exist"),
            TlsSetup::Unreadable(f, d) if fr => {
                format!("le fichier {f} n'est pas un certificat ou une clé lisible ({d})")
            }
            TlsSetup::Unreadable(f, d) => {
                format!("the file {f} is not a readable certificate or key ({d})")
            }
            TlsSetup::Library(d) if fr => format!("la bibliothèque TLS a échoué ({d})"),
            TlsSetup::Library(d) => format!("the TLS library failed ({d})"),
        }
    }
}

impl ServerFault {
    pub fn text(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        match self {
            ServerFault::PasswordInAddress if fr => "L'adresse du serveur contient un mot de \
                passe : retirez-le (il resterait dans l'historique du terminal) ; Relance le lit \
                dans le trousseau du bureau, PGPASSWORD ou le fichier ~/.pgpass."
                .to_string(),
            ServerFault::PasswordInAddress => "The server address carries a password: remove it \
                (it would stay in the shell's history); Relance reads it from the desktop's \
                keyring, PGPASSWORD or the ~/.pgpass file."
                .to_string(),
            ServerFault::BadAddress(d) if fr => {
                format!("L'adresse du serveur PostgreSQL n'est pas lisible ({d}).")
            }
            ServerFault::BadAddress(d) => {
                format!("The PostgreSQL server address cannot be read ({d}).")
            }
            ServerFault::Unreachable(d) if fr => format!(
                "Le serveur du registre partagé ne répond pas ({d}) ; rien n'a été enregistré."
            ),
            ServerFault::Unreachable(d) => {
                format!("The shared ledger's server does not answer ({d}); nothing was saved.")
            }
            ServerFault::FileOnly(what) if fr => format!(
                "Le registre est sur un serveur : « {what} » ne s'applique qu'à un fichier."
            ),
            ServerFault::FileOnly(what) => {
                format!("The ledger is on a server: \"{what}\" applies to a ledger file only.")
            }
            ServerFault::Moved(to) if fr => format!(
                "Ce registre a été déplacé sur le serveur {to} : ouvrez-le là-bas \
                 (relance --db {to}). Ce fichier est gardé tel quel et n'est plus modifié."
            ),
            ServerFault::Moved(to) => format!(
                "This ledger was moved to the server {to}: open it there \
                 (relance --db {to}). This file is kept as it was and no longer written."
            ),
            ServerFault::NotEmpty if fr => "La base de destination contient déjà un registre \
                (clients, factures ou historique) : choisissez une base vide ; rien n'a été copié."
                .to_string(),
            ServerFault::NotEmpty => "The destination database already holds a ledger \
                (customers, invoices or history): choose an empty database; nothing was copied."
                .to_string(),
            ServerFault::CopyDiffers(d) if fr => {
                format!("La copie relue diffère de l'original ({d}) : rien n'a été gardé.")
            }
            ServerFault::CopyDiffers(d) => {
                format!("The copy read back differs from the original ({d}): nothing was kept.")
            }
            ServerFault::CopyKeptSourceUnmarked(d) if fr => format!(
                "Le registre a été copié sur le serveur, mais ce fichier n'a pas pu être marqué \
                 comme déplacé ({d}) : travaillez désormais sur le serveur seulement, et \
                 n'utilisez plus ce fichier."
            ),
            ServerFault::CopyKeptSourceUnmarked(d) => format!(
                "The ledger was copied onto the server, but this file could not be marked as \
                 moved ({d}): from now on work on the server only, and do not use this file."
            ),
            ServerFault::OwnerOnly(what) if fr => {
                format!("Seul le propriétaire du registre partagé peut faire ceci : « {what} ».")
            }
            ServerFault::OwnerOnly(what) => {
                format!("Only the shared ledger's owner can do this: \"{what}\".")
            }
            ServerFault::Denied(d) if fr => format!(
                "Le serveur du registre partagé refuse cela à votre compte ({d}) : seul son \
                 propriétaire le peut ; rien n'a été enregistré."
            ),
            ServerFault::Denied(d) => format!(
                "The shared ledger's server refuses this to your account ({d}): only its \
                 owner can; nothing was saved."
            ),
            ServerFault::NeedsUpgrade { found, needed } if fr => format!(
                "Le registre partagé est à la version {found} ; cette version de Relance a \
                 besoin de la version {needed}. Son propriétaire la met à jour en l'ouvrant \
                 une fois avec cette version de Relance."
            ),
            ServerFault::NeedsUpgrade { found, needed } => format!(
                "The shared ledger is at version {found}; this Relance needs version {needed}. \
                 Its owner upgrades it by opening it once with this version of Relance."
            ),
            ServerFault::TlsSetup(t) if fr => format!(
                "La connexion chiffrée (TLS) au serveur ne peut pas être préparée : {} ; rien \
                 n'a été enregistré.",
                t.text(true)
            ),
            ServerFault::TlsSetup(t) => format!(
                "The encrypted connection (TLS) to the server cannot be set up: {}; nothing was \
                 saved.",
                t.text(false)
            ),
            ServerFault::NoPassword(who) if fr => {
                let (role, place) = who.rsplit_once('@').unwrap_or((who, ""));
                let (host, port) = place.rsplit_once(':').unwrap_or((place, "5432"));
                format!(
                    "Le serveur demande un mot de passe pour {who} et aucun n'a été trouvé : \
                     rangez-le dans le trousseau du bureau (secret-tool store --label Relance \
                     application relance host {host} port {port} user {role}), ou dans \
                     ~/.pgpass ou PGPASSWORD (s'il y est déjà, déverrouillez le trousseau) ; rien \
                     n'a été enregistré."
                )
            }
            ServerFault::NoPassword(who) => {
                let (role, place) = who.rsplit_once('@').unwrap_or((who, ""));
                let (host, port) = place.rsplit_once(':').unwrap_or((place, "5432"));
                format!(
                    "The server asks a password for {who} and none was found: keep it in the \
                     desktop's keyring (secret-tool store --label Relance application relance \
                     host {host} port {port} user {role}), or in ~/.pgpass or PGPASSWORD (if it \
                     is kept there already, unlock the keyring); nothing was saved."
                )
            }
            ServerFault::LoginRefused(who, d) if fr => format!(
                "Le serveur refuse la connexion de {who} ({d}) : vérifiez le mot de passe gardé \
                 pour ce compte et que le serveur l'accepte ; rien n'a été enregistré."
            ),
            ServerFault::LoginRefused(who, d) => format!(
                "The server refuses the login of {who} ({d}): check the password kept for this \
                 account and that the server lets it in; nothing was saved."
            ),
            ServerFault::InvoicesHeld if fr => "Le serveur retient en ce moment la table des \
                factures (un VACUUM ou un index en construction) : rien n'a été enregistré ; \
                réessayez dans quelques minutes."
                .to_string(),
            ServerFault::InvoicesHeld => "The server holds the invoices table right now (a \
                VACUUM or an index being built): nothing was saved; try again in a few minutes."
                .to_string(),
            ServerFault::TlsRefused(why) if fr => format!(
                "La connexion chiffrée (TLS) au serveur du registre partagé a échoué : {} ; \
                 rien n'a été enregistré.",
                why.text(true)
            ),
            ServerFault::TlsRefused(why) => format!(
                "The encrypted connection (TLS) to the shared ledger's server failed: {}; \
                 nothing was saved.",
                why.text(false)
            ),
        }
    }
}

/// SQLite's `SUM()` stops with "integer overflow" where Rust would panic: only amounts
/// recorded before the maximum existed can reach it, and the user is told so. A full disk
/// and a read-only file get their own one-line messages (the transaction is rolled back).
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(_, Some(m)) if m == "integer overflow" => {
                Error::invalid("total", Msg::TotalTooLarge)
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => {
                Error::DiskFull
            }
            rusqlite::Error::SqliteFailure(f, Some(m))
                if f.code == rusqlite::ErrorCode::PermissionDenied =>
            {
                Error::Server(ServerFault::Denied(m.clone()))
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ReadOnly => {
                Error::ReadOnly
            }
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    || f.code == rusqlite::ErrorCode::DatabaseLocked =>
            {
                Error::Busy
            }
            _ => Error::Db(e),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::StorageFull => Error::DiskFull,
            std::io::ErrorKind::ReadOnlyFilesystem => Error::ReadOnly,
            _ => Error::Io(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as the UI receives it: what kind, the message in the user's language, the
/// field to show it next to, and for imports every refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiError {
    pub kind: String,
    pub message: String,
    pub field: Option<String>,
    pub rows: Vec<ApiRowError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiRowError {
    #[ts(type = "number")]
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn from_error(e: &Error, lang: Lang) -> ApiError {
        let rows = match e {
            Error::Import(rows) => rows
                .iter()
                .map(|r| ApiRowError {
                    line: r.line,
                    field: r.field.clone(),
                    message: r.msg.text(lang),
                })
                .collect(),
            _ => Vec::new(),
        };
        ApiError {
            kind: e.kind().to_string(),
            message: e.message(lang),
            field: e.field().map(str::to_string),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_give_dates_as_the_user_reads_them_and_series_in_words() {
        let m = Msg::BeforeInvoiceDate("2026-01-10".into());
        assert!(
            m.text(Lang::Fr).contains("10/01/2026"),
            "{}",
            m.text(Lang::Fr)
        );
        assert!(
            m.text(Lang::En).contains("10 Jan 2026"),
            "{}",
            m.text(Lang::En)
        );
        // A typed value that is no date stays as typed.
        assert!(Msg::BadDate("2026-13-45".into())
            .text(Lang::Fr)
            .contains("2026-13-45"));
        let r = Msg::NoRateFor {
            series: "ecb_mro".into(),
            date: "2026-03-18".into(),
        };
        let fr = r.text(Lang::Fr);
        assert_eq!(
            fr,
            "Aucune valeur du taux directeur de la BCE (opérations principales de refinancement) n'est connue au 18/03/2026\u{a0}: saisissez-la dans Réglages → Taux."
        );
        assert!(!r.text(Lang::En).contains("ecb_mro"));
        assert_eq!(
            as_read("x2026-01-10 2026-01-10y".into(), Lang::Fr),
            "x2026-01-10 2026-01-10y"
        );
    }

    #[test]
    fn amounts_in_messages_are_written_for_their_reader() {
        let m = Msg::OverpaymentNeedsCredit {
            excess: amount_marker(100_000, 2, "EUR"),
        };
        assert!(
            m.text(Lang::Fr)
                .contains("de 1\u{202f}000,00\u{a0}€\u{a0}:"),
            "{}",
            m.text(Lang::Fr)
        );
        assert!(
            m.text(Lang::En).contains("by €1,000.00:"),
            "{}",
            m.text(Lang::En)
        );
        let m = Msg::NotEnoughCredit {
            available: amount_marker(-5, 0, "JPY"),
        };
        assert!(
            m.text(Lang::En).contains("(-5\u{a0}JPY)"),
            "{}",
            m.text(Lang::En)
        );
    }

    #[test]
    fn a_path_in_the_home_folder_is_said_from_there() {
        let home = std::env::var("HOME").unwrap_or_default();
        if home.len() > 1 {
            let m = Msg::CannotWrite(format!("{home}/Documents/Relance/lettre.pdf"));
            let text = m.text(Lang::Fr);
            assert!(
                text.contains("Documents/Relance/lettre.pdf") && !text.contains(&home),
                "{text}"
            );
        }
    }
}
