//! Customers: who they are, how to reach the person who pays, and how they pay.

use crate::error::{Error, Lang, Msg, Result};
use crate::money::{parse_amount, Currency};
use crate::store::sql::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};
use crate::store::{is_unique_violation, like_pattern};
use crate::validate as v;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Business,
    Individual,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Business => "business",
            CustomerKind::Individual => "individual",
        }
    }
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "business" | "company" | "entreprise" | "societe" | "société" | "pro" => {
                Ok(CustomerKind::Business)
            }
            "individual" | "private" | "particulier" | "person" => Ok(CustomerKind::Individual),
            _ => Err(Error::invalid(
                field,
                Msg::OneOf(vec!["business", "individual"]),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Transfer,
    DirectDebit,
    Card,
    Cheque,
    Cash,
}

impl PaymentMethod {
    pub const ALL: [&'static str; 5] = ["transfer", "direct_debit", "card", "cheque", "cash"];
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Transfer => "transfer",
            PaymentMethod::DirectDebit => "direct_debit",
            PaymentMethod::Card => "card",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
        }
    }
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "transfer" | "virement" | "bank_transfer" => Ok(PaymentMethod::Transfer),
            "direct_debit" | "prelevement" | "prélèvement" | "sepa" => {
                Ok(PaymentMethod::DirectDebit)
            }
            "card" | "carte" | "cb" => Ok(PaymentMethod::Card),
            "cheque" | "chèque" | "check" => Ok(PaymentMethod::Cheque),
            "cash" | "especes" | "espèces" => Ok(PaymentMethod::Cash),
            _ => Err(Error::invalid(field, Msg::OneOf(Self::ALL.to_vec()))),
        }
    }
}

/// The enums are stored as their snake_case names.
macro_rules! to_sql_as_str {
    ($($t:ty => $f:expr),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
                Ok(crate::store::sql::ToSqlOutput::from($f(*self)))
            }
        }
    )*};
}
to_sql_as_str!(CustomerKind => CustomerKind::as_str, PaymentMethod => PaymentMethod::as_str, Lang => Lang::code);

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Customer {
    #[ts(type = "number")]
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub kind: CustomerKind,
    pub language: Lang,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub payment_method: PaymentMethod,
    /// Days; `None` means the company's default terms.
    pub payment_terms_days: Option<i32>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// Free notes on how they pay: approver, PO required, supplier portal, payment runs.
    pub payment_notes: String,
    /// Decimal string in the company's default currency; `None` when no limit.
    pub credit_limit: Option<String>,
    pub on_hold: bool,
    pub hold_reason: String,
    /// The dunning scenario they follow; `None`: the one their segment or key-account mark
    /// chooses, else Standard.
    #[ts(type = "number | null")]
    pub scenario_id: Option<i64>,
    /// Marked by the owner: follows the Key account scenario unless they chose one.
    pub key_account: bool,
    /// Archived on that date (hidden from the lists and Today, history kept); `None` when not.
    pub archived_on: Option<NaiveDate>,
    /// The accounts (IBAN, compact) they pay from: typed by the owner, or learnt from a
    /// confirmed bank match. The bank matcher proposes their transfers by these.
    pub payer_accounts: Vec<String>,
    /// SIREN (9 digits), empty when unknown: named on their e-invoices (BT-47).
    pub siren: String,
    /// VAT number (compact), empty when unknown (BT-48; required for a reverse charge).
    pub vat_number: String,
    /// What it holds now, as one token (every field and its payer accounts; empty in
    /// lists): what a form opened on it carries back, so a save over someone else's later
    /// change is refused, not silently lost (a save that changed nothing loses nothing).
    pub version: String,
}

/// The customer form as typed. Every value is a string and is checked by [`NewCustomer::parse`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CustomerInput {
    /// Empty: a new reference is generated (C-0001, C-0002…).
    pub reference: String,
    pub name: String,
    pub kind: String,
    pub language: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub payment_method: String,
    pub payment_terms_days: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub payment_notes: String,
    pub credit_limit: String,
    pub on_hold: bool,
    pub hold_reason: String,
    /// The accounts they pay from, IBANs separated by commas or new lines; `None` (a caller
    /// that does not show them) keeps those known.
    #[serde(default)]
    #[ts(optional)]
    pub payer_accounts: Option<String>,
    /// SIREN: 9 digits with their key (spaces allowed).
    #[serde(default)]
    pub siren: String,
    /// VAT number: country prefix then up to 13 characters (a French one's key is checked,
    /// and must match the SIREN when both are given).
    #[serde(default)]
    pub vat_number: String,
    /// The customer's `version` when the form was opened on it (an edit): the save is
    /// refused if someone changed the customer since. Empty: no such check (a new customer,
    /// an import).
    #[serde(default)]
    pub loaded_version: String,
}

impl Customer {
    /// The customer as the form shows it: what an edit starts from (payer accounts kept).
    pub fn as_input(&self) -> CustomerInput {
        CustomerInput {
            reference: self.reference.clone(),
            name: self.name.clone(),
            kind: self.kind.as_str().into(),
            language: self.language.code().into(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            payment_method: self.payment_method.as_str().into(),
            payment_terms_days: self
                .payment_terms_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            payment_notes: self.payment_notes.clone(),
            credit_limit: self.credit_limit.clone().unwrap_or_default(),
            on_hold: self.on_hold,
            hold_reason: self.hold_reason.clone(),
            payer_accounts: None,
            siren: self.siren.clone(),
            vat_number: self.vat_number.clone(),
            loaded_version: self.version.clone(),
        }
    }
}

/// The most payer accounts one customer may have.
const MAX_PAYER_ACCOUNTS: usize = 10;

/// The payer accounts as typed: each an IBAN (checked, compact), each once.
fn payer_accounts(typed: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in typed.split(['\n', ',', ';']) {
        if part.trim().is_empty() {
            continue;
        }
        let iban = v::iban("payer_accounts", part)?;
        if !out.contains(&iban) {
            out.push(iban);
        }
    }
    if out.len() > MAX_PAYER_ACCOUNTS {
        return Err(Error::invalid(
            "payer_accounts",
            Msg::OutOfRange {
                min: 0,
                max: MAX_PAYER_ACCOUNTS as i64,
            },
        ));
    }
    Ok(out)
}

/// A postal address fits an envelope window: at most 4 lines (with the name, the contact,
/// the postcode and city and the country: 8), as the postal standards ask.
fn address_lines(address: &str) -> Result<String> {
    let a = v::printable("address", v::multiline("address", address, 300)?)?;
    let n = a.lines().filter(|l| !l.trim().is_empty()).count();
    if n > 4 {
        return Err(Error::invalid("address", Msg::AddressTooLong(n)));
    }
    Ok(a)
}

/// A customer whose every field has been checked: the only thing the store writes.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    reference: Option<String>,
    name: String,
    kind: CustomerKind,
    language: Lang,
    email: String,
    phone: String,
    address: String,
    postal_code: String,
    city: String,
    country: String,
    payment_method: PaymentMethod,
    payment_terms_days: Option<i64>,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    payment_notes: String,
    credit_limit_minor: Option<i64>,
    on_hold: bool,
    hold_reason: String,
    payer_accounts: Option<Vec<String>>,
    siren: String,
    vat_number: String,
}

impl NewCustomer {
    /// Checks every field; `currency` is the company's default (for the credit limit).
    pub fn parse(input: &CustomerInput, currency: Currency) -> Result<NewCustomer> {
        let reference = v::optional_identifier("reference", &input.reference, 40)?;
        let language = if input.language.trim().is_empty() {
            Lang::default()
        } else {
            Lang::parse(&input.language)
                .ok_or_else(|| Error::invalid("language", Msg::OneOf(vec!["fr", "en"])))?
        };
        let kind = if input.kind.trim().is_empty() {
            CustomerKind::Business
        } else {
            CustomerKind::parse("kind", &input.kind)?
        };
        let payment_method = if input.payment_method.trim().is_empty() {
            PaymentMethod::Transfer
        } else {
            PaymentMethod::parse("payment_method", &input.payment_method)?
        };
        let payment_terms_days = match input.payment_terms_days.trim() {
            "" => None,
            s => Some(v::int_in("payment_terms_days", s, 0, 365)?),
        };
        let credit_limit_minor = match input.credit_limit.trim() {
            "" => None,
            s => {
                let amount = parse_amount(s, "credit_limit")?;
                if amount.is_sign_negative() {
                    return Err(Error::invalid("credit_limit", Msg::Negative));
                }
                Some(currency.to_minor(amount, "credit_limit")?)
            }
        };
        let hold_reason = v::multiline("hold_reason", &input.hold_reason, 500)?;
        let siren = v::siren("siren", &input.siren)?;
        let vat_number = v::vat("vat_number", &input.vat_number)?;
        if let Some(of_vat) = vat_number.strip_prefix("FR").and_then(|r| r.get(2..)) {
            if !siren.is_empty() && of_vat != siren {
                return Err(Error::invalid("vat_number", Msg::VatNotOfSiren(siren)));
            }
        }
        Ok(NewCustomer {
            reference: Some(reference).filter(|r| !r.is_empty()),
            name: v::printable("name", v::required_name("name", &input.name, 120)?)?,
            kind,
            language,
            email: v::optional_email("email", &input.email)?,
            phone: v::optional_phone("phone", &input.phone)?,
            address: address_lines(&input.address)?,
            postal_code: v::printable(
                "postal_code",
                v::optional_line("postal_code", &input.postal_code, 20)?,
            )?,
            city: v::printable("city", v::optional_name("city", &input.city, 100)?)?,
            country: v::country("country", &input.country)?,
            payment_method,
            payment_terms_days,
            contact_name: v::printable(
                "contact_name",
                v::optional_name("contact_name", &input.contact_name, 120)?,
            )?,
            contact_email: v::optional_email("contact_email", &input.contact_email)?,
            contact_phone: v::optional_phone("contact_phone", &input.contact_phone)?,
            payment_notes: v::multiline("payment_notes", &input.payment_notes, 4000)?,
            credit_limit_minor,
            on_hold: input.on_hold,
            hold_reason: if input.on_hold {
                hold_reason
            } else {
                String::new()
            },
            payer_accounts: input
                .payer_accounts
                .as_deref()
                .map(payer_accounts)
                .transpose()?,
            siren,
            vat_number,
        })
    }
}

impl NewCustomer {
    /// The 21 column values in the order INSERT and UPDATE both use (?1..?21).
    fn values<'a>(&'a self, reference: &'a dyn ToSql) -> [&'a dyn ToSql; 21] {
        [
            reference,
            &self.name,
            &self.kind,
            &self.language,
            &self.email,
            &self.phone,
            &self.address,
            &self.postal_code,
            &self.city,
            &self.country,
            &self.payment_method,
            &self.payment_terms_days,
            &self.contact_name,
            &self.contact_email,
            &self.contact_phone,
            &self.payment_notes,
            &self.credit_limit_minor,
            &self.on_hold,
            &self.hold_reason,
            &self.siren,
            &self.vat_number,
        ]
    }
}

const COLUMNS: &str =
    "id, reference, name, kind, language, email, phone, address, postal_code, city, \
    country, payment_method, payment_terms_days, contact_name, contact_email, contact_phone, \
    payment_notes, credit_limit_minor, on_hold, hold_reason, scenario_id, key_account, archived_on, \
    siren, vat_number";

fn from_row(r: &Row, currency: Currency) -> crate::store::sql::Result<Customer> {
    let kind: String = r.get(3)?;
    let lang: String = r.get(4)?;
    let method: String = r.get(11)?;
    let limit: Option<i64> = r.get(17)?;
    Ok(Customer {
        id: r.get(0)?,
        reference: r.get(1)?,
        name: r.get(2)?,
        kind: CustomerKind::parse("kind", &kind).unwrap_or(CustomerKind::Business),
        language: Lang::parse(&lang).unwrap_or_default(),
        email: r.get(5)?,
        phone: r.get(6)?,
        address: r.get(7)?,
        postal_code: r.get(8)?,
        city: r.get(9)?,
        country: r.get(10)?,
        payment_method: PaymentMethod::parse("m", &method).unwrap_or(PaymentMethod::Transfer),
        payment_terms_days: r.get(12)?,
        contact_name: r.get(13)?,
        contact_email: r.get(14)?,
        contact_phone: r.get(15)?,
        payment_notes: r.get(16)?,
        credit_limit: limit.map(|m| currency.minor_to_string(m)),
        on_hold: r.get(18)?,
        hold_reason: r.get(19)?,
        scenario_id: r.get(20)?,
        key_account: r.get(21)?,
        archived_on: r.get(22)?,
        payer_accounts: Vec::new(),
        siren: r.get(23)?,
        vat_number: r.get(24)?,
        version: String::new(),
    })
}

/// The token of what a customer holds now (see [`Customer::version`]).
fn version_of(c: &Customer) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{c:?}").hash(&mut h);
    format!("{:016x}", h.finish())
}

/// A customer's payer accounts, as stored.
fn payer_accounts_of(conn: &Connection, id: i64) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT account FROM payer_accounts WHERE customer_id = ?1 ORDER BY account",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?)
}

/// Replaces a customer's payer accounts with those typed (when the caller gave them).
fn write_payer_accounts(conn: &Connection, id: i64, c: &NewCustomer) -> Result<()> {
    let Some(accounts) = &c.payer_accounts else {
        return Ok(());
    };
    conn.execute("DELETE FROM payer_accounts WHERE customer_id = ?1", [id])?;
    for a in accounts {
        conn.execute(
            "INSERT INTO payer_accounts (customer_id, account) VALUES (?1, ?2)",
            params![id, a],
        )?;
    }
    Ok(())
}

fn next_reference(conn: &Connection) -> Result<String> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?;
    let mut i = n + 1;
    loop {
        let candidate = format!("C-{i:04}");
        if find_id(conn, &candidate)?.is_none() {
            return Ok(candidate);
        }
        i += 1;
    }
}

fn map_unique(e: crate::store::sql::Error, reference: &str) -> Error {
    if is_unique_violation(&e) {
        Error::invalid(
            "reference",
            Msg::DuplicateCustomerRef(reference.to_string()),
        )
    } else {
        e.into()
    }
}

/// Inserts a checked customer; returns its id. Refuses a duplicate reference.
pub fn insert(conn: &Connection, c: &NewCustomer) -> Result<i64> {
    let reference = match &c.reference {
        Some(r) => r.clone(),
        None => next_reference(conn)?,
    };
    let new_id = conn.prepare_cached(
        "INSERT INTO customers (reference, name, kind, language, email, phone, address, postal_code,
            city, country, payment_method, payment_terms_days, contact_name, contact_email,
            contact_phone, payment_notes, credit_limit_minor, on_hold, hold_reason, siren, vat_number)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
            ?20, ?21) RETURNING id",
    )?
    .insert(params_from_iter(c.values(&reference)))
    .map_err(|e| map_unique(e, &reference))?;
    Ok(new_id)
}

/// Creates a customer from the form.
pub fn create(conn: &Connection, input: &CustomerInput) -> Result<Customer> {
    let currency = crate::settings::default_currency(conn)?;
    let c = NewCustomer::parse(input, currency)?;
    let id = conn.atomically(|| -> Result<i64> {
        let id = insert(conn, &c)?;
        write_payer_accounts(conn, id, &c)?;
        Ok(id)
    })?;
    get(conn, id)
}

/// Replaces a customer's details from the form.
pub fn update(conn: &Connection, id: i64, input: &CustomerInput) -> Result<Customer> {
    let currency = crate::settings::default_currency(conn)?;
    let existing = get(conn, id)?;
    let c = NewCustomer::parse(input, currency)?;
    let reference = c.reference.clone().unwrap_or(existing.reference);
    let loaded = input.loaded_version.trim().to_string();
    conn.atomically(|| -> Result<()> {
        // Inside the write transaction: someone else's save since the form was opened is
        // seen here, whoever came first (their change is kept, this one refused).
        if !loaded.is_empty() && get(conn, id)?.version != loaded {
            let at: String = conn.query_row(
                "SELECT updated_at FROM customers WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            return Err(Error::invalid(
                "customer",
                Msg::ChangedMeanwhile(crate::journal::local_time(&at)),
            ));
        }
        conn.execute(
            "UPDATE customers SET reference = ?1, name = ?2, kind = ?3, language = ?4, email = ?5,
            phone = ?6, address = ?7, postal_code = ?8, city = ?9, country = ?10,
            payment_method = ?11, payment_terms_days = ?12, contact_name = ?13,
            contact_email = ?14, contact_phone = ?15, payment_notes = ?16,
            credit_limit_minor = ?17, on_hold = ?18, hold_reason = ?19, siren = ?20,
            vat_number = ?21, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?22",
            params_from_iter(c.values(&reference).into_iter().chain([&id as &dyn ToSql])),
        )
        .map_err(|e| map_unique(e, &reference))?;
        write_payer_accounts(conn, id, &c)
    })?;
    get(conn, id)
}

pub fn get(conn: &Connection, id: i64) -> Result<Customer> {
    let currency = crate::settings::default_currency(conn)?;
    let mut c = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM customers WHERE id = ?1"),
            [id],
            |r| from_row(r, currency),
        )
        .optional()?
        .ok_or(Error::NotFound {
            what: "customer",
            key: id.to_string(),
        })?;
    c.payer_accounts = payer_accounts_of(conn, id)?;
    c.version = version_of(&c);
    Ok(c)
}

/// The id of the customer with this reference (case-insensitive), if any.
pub fn find_id(conn: &Connection, reference: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM customers WHERE reference = ?1")?
        .query_row([v::identifier_key(reference)], |r| r.get(0))
        .optional()?)
}

/// The id of the customer with this reference, or a refusal naming `field`.
pub fn id_by_ref(conn: &Connection, field: &str, reference: &str) -> Result<i64> {
    find_id(conn, reference)?
        .ok_or_else(|| Error::invalid(field, Msg::UnknownCustomer(reference.trim().to_string())))
}

pub fn get_by_ref(conn: &Connection, reference: &str) -> Result<Customer> {
    let id = find_id(conn, reference)?.ok_or(Error::NotFound {
        what: "customer",
        key: reference.to_string(),
    })?;
    get(conn, id)
}

/// Every customer, ordered by reference (for export).
pub fn all(conn: &Connection) -> Result<Vec<Customer>> {
    let currency = crate::settings::default_currency(conn)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM customers ORDER BY reference"
    ))?;
    let rows = stmt.query_map([], |r| from_row(r, currency))?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSort {
    #[default]
    Name,
    Outstanding,
    Overdue,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CustomerQuery {
    /// Matches name, reference, e-mail or city (case-insensitive, substring).
    pub search: String,
    pub sort: CustomerSort,
    /// Sort descending (largest amounts first is the natural order for money sorts).
    pub descending: bool,
    #[ts(type = "number")]
    pub limit: u32,
    #[ts(type = "number")]
    pub offset: u32,
    /// The archived customers instead of the others.
    #[serde(default)]
    pub archived: bool,
}

/// A row of the Customers list: `outstanding` and `overdue` are decimal strings in the
/// company's default currency (the sort uses them); what is owed in any other currency is
/// in `other_currencies`, one entry per currency, never added to the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub kind: CustomerKind,
    pub email: String,
    pub city: String,
    pub on_hold: bool,
    pub currency: String,
    pub outstanding: String,
    pub overdue: String,
    #[ts(type = "number")]
    pub open_invoices: i64,
    pub other_currencies: Vec<CurrencyBalance>,
}

/// What a customer owes in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CurrencyBalance {
    pub currency: String,
    pub outstanding: String,
    pub overdue: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CustomerPage {
    pub rows: Vec<CustomerSummary>,
    #[ts(type = "number")]
    pub total: i64,
}

/// The Customers list with outstanding and overdue totals as of `as_of`.
///
/// By name, the page of customers is chosen first (the name index serves the order and
/// stops at the page), and only its customers' invoices are summed. By an amount, largest
/// first, the kept balances (`customer_balances`, views::balances) are read from the
/// largest down and the walk stops once no balance left can reach the page; those owing
/// nothing come after, by name, from the name index. Smallest first, those owing nothing
/// lead. Either way a first page costs about the same at any size; a page past
/// [`AMOUNT_PAGES_END`], or smallest first past those owing nothing, sums every customer's
/// invoices ([`list_derived`], what the tests compare the others with).
pub fn list(conn: &Connection, q: &CustomerQuery, as_of: NaiveDate) -> Result<CustomerPage> {
    list_as(conn, q, as_of, false)
}

/// [`list`] with every customer's totals summed from their invoices, whatever the sort.
pub fn list_derived(
    conn: &Connection,
    q: &CustomerQuery,
    as_of: NaiveDate,
) -> Result<CustomerPage> {
    list_as(conn, q, as_of, true)
}

/// The most an invoice counts for in a kept balance (`customer_balances`, migration 38):
/// older builds let totals in whose sums overflow. A balance this large makes the list sum
/// every customer's invoices (which refuses an overflow clearly).
pub const BALANCE_CAP: i64 = 1_000_000_000_000_000;

/// Where the quick reading of a list sorted by an amount ends (offset + limit): beyond, the
/// page is read by summing every customer's invoices.
pub const AMOUNT_PAGES_END: u32 = 1_000;

/// The customers' filter, as SQL on `customers c` with the list's parameters.
const LIST_FILTER: &str =
    "(?1 = '%%' OR c.name LIKE ?1 ESCAPE '\\' OR c.reference LIKE ?1 ESCAPE '\\'
                   OR c.email LIKE ?1 ESCAPE '\\' OR c.city LIKE ?1 ESCAPE '\\')
                   AND (c.archived_on IS NOT NULL) = ?6";

fn list_as(
    conn: &Connection,
    q: &CustomerQuery,
    as_of: NaiveDate,
    derived: bool,
) -> Result<CustomerPage> {
    let currency = crate::settings::default_currency(conn)?;
    let pattern = like_pattern(&q.search);
    let limit = v::page_limit(q.limit)?;
    let args = ListArgs {
        pattern: &pattern,
        as_of,
        currency,
        limit,
        offset: q.offset,
        archived: q.archived,
    };
    let mut rows = match q.sort {
        CustomerSort::Name => {
            let dir = if q.descending { "DESC" } else { "ASC" };
            let order = format!("c.name COLLATE NOCASE {dir}, c.reference");
            summaries(conn, "", true, &order, args)?
        }
        _ if derived => by_amount_derived(conn, q, args)?,
        _ => match by_amount(conn, q, args)? {
            Some(rows) => rows,
            None => by_amount_derived(conn, q, args)?,
        },
    };
    // Debts in other currencies, for the page's customers only (one query).
    if !rows.is_empty() {
        let ids: Vec<String> = rows.iter().map(|c| c.id.to_string()).collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT customer_id, currency, SUM(total_minor - settled_minor),
                    SUM(CASE WHEN due_date < ?2 THEN total_minor - settled_minor ELSE 0 END)
             FROM invoices i
             WHERE customer_id IN ({}) AND currency <> ?1 AND settled_minor < total_minor
               AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                                WHERE x.invoice_id = i.id AND x.kind = 'write_off')
             GROUP BY customer_id, currency ORDER BY currency",
            ids.join(",")
        ))?;
        let at: std::collections::HashMap<i64, usize> =
            rows.iter().enumerate().map(|(k, c)| (c.id, k)).collect();
        let mut found = stmt.query(params![currency.code(), as_of.to_string()])?;
        while let Some(r) = found.next()? {
            let (id, code): (i64, String) = (r.get(0)?, r.get(1)?);
            let cur = Currency::parse(&code)?;
            if let Some(c) = at.get(&id).map(|&k| &mut rows[k]) {
                c.other_currencies.push(CurrencyBalance {
                    currency: code,
                    outstanding: cur.minor_to_string(r.get(2)?),
                    overdue: cur.minor_to_string(r.get(3)?),
                });
            }
        }
    }
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM customers c WHERE {LIST_FILTER}"
        ))?
        .query_row(
            params![
                pattern,
                None::<String>,
                None::<String>,
                None::<i64>,
                None::<i64>,
                q.archived
            ],
            |r| r.get(0),
        )?;
    Ok(CustomerPage { rows, total })
}

/// The parameters every query of the list binds: ?1 the search pattern, ?2 the as-of day,
/// ?3 the default currency, ?4 and ?5 the page, ?6 archived or not.
#[derive(Clone, Copy)]
struct ListArgs<'a> {
    pattern: &'a str,
    as_of: NaiveDate,
    currency: Currency,
    limit: u32,
    offset: u32,
    archived: bool,
}

/// A customer owing something in the default currency (SQL on `c`, the list's parameters).
const OWES_ANYTHING: &str = "SELECT 1 FROM customer_balances b
                              WHERE b.customer_id = c.id AND b.currency = ?3";
/// A customer owing something past due on the as-of day.
const OWES_OVERDUE: &str = "SELECT 1 FROM invoices o
     WHERE o.customer_id = c.id AND o.settled_minor < o.total_minor AND o.currency = ?3
       AND o.due_date < ?2
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = o.id AND x.kind = 'write_off')";

/// The filtered customers that also meet `extra` (SQL beginning with AND, or empty), with
/// their totals in the default currency, in `order`: the page chosen among the customers
/// first (`page_first`, `order` then names only customers' columns) or after summing.
fn summaries(
    conn: &Connection,
    extra: &str,
    page_first: bool,
    order: &str,
    a: ListArgs,
) -> Result<Vec<CustomerSummary>> {
    let (from, condition, page) = if page_first {
        (
            format!(
                "(SELECT * FROM customers c WHERE {LIST_FILTER} {extra}
                   ORDER BY {order} LIMIT ?4 OFFSET ?5) c"
            ),
            String::new(),
            "",
        )
    } else {
        (
            "customers c".to_string(),
            format!("WHERE {LIST_FILTER} {extra}"),
            "LIMIT ?4 OFFSET ?5",
        )
    };
    let sql = format!(
        "SELECT c.id, c.reference, c.name, c.kind, c.email, c.city, c.on_hold,
                COALESCE(SUM(CASE WHEN i.currency = ?3 THEN i.total_minor - i.settled_minor END), 0) AS outstanding,
                COALESCE(SUM(CASE WHEN i.currency = ?3 AND i.due_date < ?2 THEN i.total_minor - i.settled_minor END), 0) AS overdue,
                COUNT(i.id)
         FROM {from}
         LEFT JOIN invoices i ON i.customer_id = c.id AND i.settled_minor < i.total_minor
              AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                               WHERE x.invoice_id = i.id AND x.kind = 'write_off')
         {condition}
         GROUP BY c.id, c.reference, c.name, c.kind, c.email, c.city, c.on_hold
         ORDER BY {order}
         {page}"
    );
    // A page chosen by ids is a new statement each time: not kept in the cache.
    let mut stmt = if extra.contains(" IN (") {
        conn.prepare(&sql)?
    } else {
        conn.prepare_cached(&sql)?
    };
    let currency = a.currency;
    let rows = stmt.query_map(
        params![
            a.pattern,
            a.as_of.to_string(),
            currency.code(),
            a.limit,
            a.offset,
            a.archived
        ],
        |r| {
            let kind: String = r.get(3)?;
            Ok(CustomerSummary {
                id: r.get(0)?,
                reference: r.get(1)?,
                name: r.get(2)?,
                kind: CustomerKind::parse("kind", &kind).unwrap_or(CustomerKind::Business),
                email: r.get(4)?,
                city: r.get(5)?,
                on_hold: r.get(6)?,
                currency: currency.code().to_string(),
                outstanding: currency.minor_to_string(r.get(7)?),
                overdue: currency.minor_to_string(r.get(8)?),
                open_invoices: r.get(9)?,
                other_currencies: Vec::new(),
            })
        },
    )?;
    Ok(rows.collect::<crate::store::sql::Result<Vec<_>>>()?)
}

/// The column a money sort orders by.
fn amount_column(q: &CustomerQuery) -> &'static str {
    if q.sort == CustomerSort::Overdue {
        "overdue"
    } else {
        "outstanding"
    }
}

/// A page sorted by an amount, every filtered customer's totals summed.
fn by_amount_derived(
    conn: &Connection,
    q: &CustomerQuery,
    a: ListArgs,
) -> Result<Vec<CustomerSummary>> {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let order = format!("{} {dir}, c.name COLLATE NOCASE, c.id", amount_column(q));
    summaries(conn, "", false, &order, a)
}

/// A page sorted by an amount read from the kept balances, or None where that reading
/// does not serve (see [`list`]). Its reads are several statements, as the list's count
/// always was: a write landing between them may show one reading with that customer
/// where it stood before (never twice); the next reading is the ledger's.
fn by_amount(
    conn: &Connection,
    q: &CustomerQuery,
    a: ListArgs,
) -> Result<Option<Vec<CustomerSummary>>> {
    use std::cmp::Reverse;
    // (a few customers at a time in the unit tests, so that a page spans several)
    const CHUNK: u32 = if cfg!(test) { 3 } else { 256 };
    // A walk that has not settled after this many balances (few customers owing anything
    // overdue among many owing: every balance would be read) sums every customer instead,
    // which then costs about what it always did.
    let budget = if cfg!(test) {
        9
    } else {
        4 * AMOUNT_PAGES_END as usize + 4096
    };
    let end = a.offset.saturating_add(a.limit);
    if end > AMOUNT_PAGES_END {
        return Ok(None);
    }
    let overdue = q.sort == CustomerSort::Overdue;
    let owes = if overdue { OWES_OVERDUE } else { OWES_ANYTHING };
    // Those owing nothing (in the sort's sense) all tie at zero: by name, then id.
    let nothing = format!("AND NOT EXISTS ({owes})");
    let by_name = "c.name COLLATE NOCASE, c.id";
    if !q.descending {
        let rows = summaries(conn, &nothing, true, by_name, a)?;
        return Ok((rows.len() == a.limit as usize).then_some(rows));
    }
    // Largest first: the balances from the largest down, each customer's amount (what is
    // overdue is at most the balance), until no balance left can reach the k-th largest.
    let k = end as usize;
    let mut best: std::collections::BinaryHeap<Reverse<i64>> = Default::default();
    let mut owing: Vec<(i64, i64)> = Vec::new();
    let mut walked = 0usize;
    let mut seen = std::collections::HashSet::new();
    // Chunk after chunk from where the last one ended (the balance, then the customer, both
    // lower): each chunk reads only its own rows from the index.
    let mut after = (i64::MAX, i64::MAX);
    let walk = format!(
        "SELECT b.customer_id, b.open_minor FROM customer_balances b
           CROSS JOIN customers c ON c.id = b.customer_id
          WHERE b.currency = ?3 AND {LIST_FILTER}
            AND (b.open_minor, b.customer_id) < (?7, ?8)
          ORDER BY b.open_minor DESC, b.customer_id DESC LIMIT ?4"
    );
    let exhausted = loop {
        if walked >= budget {
            return Ok(None);
        }
        let chunk: Vec<(i64, i64)> = conn
            .prepare_cached(&walk)?
            .query_map(
                params![
                    a.pattern,
                    None::<String>,
                    a.currency.code(),
                    CHUNK,
                    None::<i64>,
                    a.archived,
                    after.0,
                    after.1
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<crate::store::sql::Result<_>>()?;
        if chunk.first().is_some_and(|&(_, open)| open >= BALANCE_CAP) {
            return Ok(None);
        }
        if let Some(&(id, open)) = chunk.last() {
            after = (open, id);
        }
        let late: std::collections::HashMap<i64, i64> = if overdue && !chunk.is_empty() {
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.to_string()).collect();
            conn.prepare(&format!(
                "SELECT i.customer_id, SUM(i.total_minor - i.settled_minor) FROM invoices i
                  WHERE i.customer_id IN ({}) AND i.settled_minor < i.total_minor
                    AND i.currency = ?1 AND i.due_date < ?2
                    AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                                     WHERE x.invoice_id = i.id AND x.kind = 'write_off')
                  GROUP BY i.customer_id",
                ids.join(",")
            ))?
            .query_map(params![a.currency.code(), a.as_of.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<crate::store::sql::Result<_>>()?
        } else {
            Default::default()
        };
        let mut stopped = false;
        for &(id, open) in &chunk {
            // (a balance moved down by a write during the walk is met again: once is all)
            if !seen.insert(id) {
                continue;
            }
            if best.len() == k && best.peek().is_some_and(|Reverse(kth)| open < *kth) {
                stopped = true;
                break;
            }
            let amount = if overdue {
                late.get(&id).copied().unwrap_or(0)
            } else {
                open
            };
            if amount > 0 {
                owing.push((id, amount));
                best.push(Reverse(amount));
                if best.len() > k {
                    best.pop();
                }
            }
        }
        if stopped {
            break false;
        }
        if chunk.len() < CHUNK as usize {
            break true;
        }
        walked += chunk.len();
    };
    // The customers at or above the k-th largest amount lead the whole order (every other
    // one owes less): the page is among them, with those owing nothing after if they are
    // fewer than the page's end (then every customer owing something was walked).
    let threshold = match best.peek() {
        Some(Reverse(kth)) if best.len() == k => *kth,
        _ => 1,
    };
    let ids: Vec<String> = owing
        .iter()
        .filter(|(_, amount)| *amount >= threshold)
        .map(|(id, _)| id.to_string())
        .collect();
    let order = format!("{} DESC, {by_name}", amount_column(q));
    let mut rows = if ids.is_empty() {
        Vec::new()
    } else {
        summaries(
            conn,
            &format!("AND c.id IN ({})", ids.join(",")),
            false,
            &order,
            a,
        )?
    };
    if !exhausted || rows.len() == a.limit as usize {
        return Ok(Some(rows));
    }
    let leading = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let rest = ListArgs {
        limit: a.limit - rows.len() as u32,
        offset: a.offset.saturating_sub(leading),
        ..a
    };
    rows.extend(summaries(conn, &nothing, true, by_name, rest)?);
    Ok(Some(rows))
}

/// A sanction the owner decides on a customer (never automatic): put them on hold, require
/// payment before the next delivery or milestone (a hold that says so), or lower their
/// credit limit. Recorded in their history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sanction {
    Hold { reason: String },
    PaymentFirst,
    CreditLimit { amount: String },
}

/// Applies a sanction (see [`Sanction`]); refused, nothing changed: an empty hold reason, a
/// limit that is not an amount of the company's currency. Returns the journal entry that
/// records it, what [`undo_sanction`] takes.
pub fn apply_sanction(
    conn: &mut Connection,
    reference: &str,
    sanction: &Sanction,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<i64> {
    let id = id_by_ref(conn, "customer", reference)?;
    let fr = lang == Lang::Fr;
    let tx = conn.transaction()?;
    let before: (bool, String, Option<i64>) = tx.query_row(
        "SELECT on_hold, hold_reason, credit_limit_minor FROM customers WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let note = match sanction {
        Sanction::Hold { reason } => {
            let reason = v::required_line("reason", reason, 300)?;
            tx.execute(
                "UPDATE customers SET on_hold = 1, hold_reason = ?2 WHERE id = ?1",
                params![id, reason],
            )?;
            if fr {
                format!("Client suspendu : {reason}")
            } else {
                format!("Customer put on hold: {reason}")
            }
        }
        Sanction::PaymentFirst => {
            let reason = if fr {
                "paiement exigé avant toute nouvelle livraison ou étape"
            } else {
                "payment required before any further delivery or milestone"
            };
            tx.execute(
                "UPDATE customers SET on_hold = 1, hold_reason = ?2 WHERE id = ?1",
                params![id, reason],
            )?;
            if fr {
                format!("Sanction : {reason}")
            } else {
                format!("Sanction: {reason}")
            }
        }
        Sanction::CreditLimit { amount } => {
            let cur = crate::settings::default_currency(&tx)?;
            let minor = cur.to_minor(cur.parse_amount(amount, "amount")?, "amount")?;
            if minor < 0 {
                return Err(Error::invalid("amount", Msg::NotPositive));
            }
            tx.execute(
                "UPDATE customers SET credit_limit_minor = ?2 WHERE id = ?1",
                params![id, minor],
            )?;
            let shown = cur.format_minor(minor, lang);
            if fr {
                format!("Encours autorisé abaissé à {shown}")
            } else {
                format!("Credit limit lowered to {shown}")
            }
        }
    };
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    entry.action = Some("sanction".into());
    entry.note = note;
    let entry_id = crate::journal::append(&tx, &entry)?;
    tx.execute(
        "INSERT INTO sanction_before (journal_id, on_hold, hold_reason, credit_limit_minor,
             after_on_hold, after_hold_reason, after_credit_limit_minor, has_after)
         SELECT ?1, ?2, ?3, ?4, on_hold, hold_reason, credit_limit_minor, 1
         FROM customers WHERE id = ?5",
        params![entry_id, before.0, before.1, before.2, id],
    )?;
    tx.commit()?;
    Ok(entry_id)
}

/// Undoes a sanction: the customer is put back as they were just before it (on hold or
/// not, the hold's reason, the credit limit), and the undo is recorded in their history
/// (an entry naming the sanction's). Only what the sanction changed and nobody changed
/// since is put back: a credit limit or hold the owner edited after the sanction keeps the
/// owner's value. Refused, nothing changed: an entry that is not a
/// sanction, one already undone, or one followed by a later sanction still in force.
pub fn undo_sanction(
    conn: &mut Connection,
    entry: i64,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let tx = conn.transaction()?;
    type State = (bool, String, Option<i64>);
    let found: Option<(i64, State, Option<State>, State)> = tx
        .query_row(
            "SELECT j.customer_id, s.on_hold, s.hold_reason, s.credit_limit_minor,
                    s.has_after, s.after_on_hold, s.after_hold_reason, s.after_credit_limit_minor,
                    c.on_hold, c.hold_reason, c.credit_limit_minor
             FROM journal j JOIN sanction_before s ON s.journal_id = j.id
             JOIN customers c ON c.id = j.customer_id WHERE j.id = ?1",
            [entry],
            |r| {
                let after = if r.get::<_, bool>(4)? {
                    Some((r.get(5)?, r.get(6)?, r.get(7)?))
                } else {
                    None
                };
                Ok((
                    r.get(0)?,
                    (r.get(1)?, r.get(2)?, r.get(3)?),
                    after,
                    (r.get(8)?, r.get(9)?, r.get(10)?),
                ))
            },
        )
        .optional()?;
    let Some((customer_id, before, after, now)) = found else {
        return Err(Error::invalid("entry", Msg::NotUndoable));
    };
    let undone = |tx: &Connection, id: i64| -> Result<bool> {
        Ok(tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM journal WHERE corrects_id = ?1 AND action = 'sanction_undone')",
            [id],
            |r| r.get(0),
        )?)
    };
    if undone(&tx, entry)? {
        return Err(Error::invalid("entry", Msg::AlreadyUndone));
    }
    let later: Vec<i64> = tx
        .prepare(
            "SELECT s.journal_id FROM sanction_before s JOIN journal j ON j.id = s.journal_id
             WHERE j.customer_id = ?1 AND s.journal_id > ?2",
        )?
        .query_map(params![customer_id, entry], |r| r.get(0))?
        .collect::<crate::store::sql::Result<_>>()?;
    for l in later {
        if !undone(&tx, l)? {
            return Err(Error::invalid("entry", Msg::LaterSanction));
        }
    }
    // Field by field: back to the state before the sanction where the sanction left it so,
    // the owner's later edit kept where there was one. The hold and its reason go together.
    let (on_hold, hold_reason, limit) = match after {
        None => before,
        Some(after) => {
            let hold_kept = (now.0, &now.1) == (after.0, &after.1);
            let (on_hold, hold_reason) = if hold_kept {
                (before.0, before.1)
            } else {
                (now.0, now.1)
            };
            let limit = if now.2 == after.2 { before.2 } else { now.2 };
            (on_hold, hold_reason, limit)
        }
    };
    tx.execute(
        "UPDATE customers SET on_hold = ?2, hold_reason = ?3, credit_limit_minor = ?4 WHERE id = ?1",
        params![customer_id, on_hold, hold_reason, limit],
    )?;
    let mut e =
        crate::journal::NewEntry::new(crate::journal::JournalKind::Note, customer_id, as_of);
    e.action = Some("sanction_undone".into());
    e.corrects_id = Some(entry);
    e.note = match lang {
        Lang::Fr => "Sanction annulée".into(),
        Lang::En => "Sanction undone".into(),
    };
    crate::journal::append(&tx, &e)?;
    tx.commit()?;
    Ok(())
}

/// Deletes a customer entered by mistake, while nothing depends on them: no invoice, payment,
/// promise, contract, document or history entry. Otherwise refused, saying what they have
/// and to archive them instead; nothing changed.
pub fn delete(conn: &mut Connection, reference: &str) -> Result<()> {
    let id = id_by_ref(conn, "customer", reference)?;
    let tx = conn.transaction()?;
    let count = |table: &str| -> Result<i64> {
        Ok(tx.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE customer_id = ?1"),
            [id],
            |r| r.get(0),
        )?)
    };
    let invoices = count("invoices")?;
    let payments = count("payments")?;
    // An invoice being written for them counts too (deleting would lose it).
    let entries = count("journal")?
        + count("promises")?
        + count("contracts")?
        + count("documents")?
        + count("invoice_drafts")?;
    if invoices + payments + entries > 0 {
        return Err(Error::invalid(
            "customer",
            Msg::CustomerInUse {
                invoices,
                payments,
                entries,
            },
        ));
    }
    tx.execute("DELETE FROM segment_overrides WHERE customer_id = ?1", [id])?;
    tx.execute("DELETE FROM customer_segments WHERE customer_id = ?1", [id])?;
    tx.execute("DELETE FROM customers WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(())
}

/// Archives a customer (hidden from the lists, the pickers and Today; their history kept),
/// or brings them back (`archived` false). Refused while they still owe something in any
/// currency: their invoices are written off or handed over first. Recorded in their history.
pub fn set_archived(
    conn: &mut Connection,
    reference: &str,
    archived: bool,
    lang: Lang,
    as_of: NaiveDate,
) -> Result<()> {
    let id = id_by_ref(conn, "customer", reference)?;
    let tx = conn.transaction()?;
    if archived {
        let owed: Option<(String, i64)> = tx
            .query_row(
                "SELECT currency, SUM(total_minor - settled_minor) FROM invoices i
                 WHERE customer_id = ?1 AND settled_minor < total_minor
                   AND NOT EXISTS (SELECT 1 FROM invoice_closures x WHERE x.invoice_id = i.id)
                 GROUP BY currency ORDER BY currency LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((code, minor)) = owed {
            let shown = Currency::parse(&code)?.format_minor(minor, lang);
            return Err(Error::invalid("customer", Msg::CustomerStillOwes(shown)));
        }
    }
    let changed = tx.execute(
        "UPDATE customers SET archived_on = ?2 WHERE id = ?1 AND (archived_on IS NOT NULL) <> ?3",
        params![id, archived.then(|| as_of.to_string()), archived],
    )?;
    if changed == 0 {
        return Ok(());
    }
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    entry.action = Some(if archived { "archived" } else { "unarchived" }.into());
    entry.note = match (lang, archived) {
        (Lang::Fr, true) => "Client archivé".into(),
        (Lang::Fr, false) => "Client désarchivé".into(),
        (Lang::En, true) => "Customer archived".into(),
        (Lang::En, false) => "Customer brought back from the archive".into(),
    };
    crate::journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

/// Marks (or unmarks) a key account: without a scenario of their own, they follow the Key
/// account scenario. Recorded in their history.
pub fn set_key_account(
    conn: &mut Connection,
    reference: &str,
    on: bool,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let id = id_by_ref(conn, "customer", reference)?;
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE customers SET key_account = ?2 WHERE id = ?1",
        params![id, on],
    )?;
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    entry.action = Some("key_account".into());
    entry.note = match (lang, on) {
        (Lang::Fr, true) => "Marqué compte clé".into(),
        (Lang::Fr, false) => "N'est plus un compte clé".into(),
        (Lang::En, true) => "Marked as a key account".into(),
        (Lang::En, false) => "No longer a key account".into(),
    };
    crate::journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

/// The payer segments an owner may choose (see `views::segments` for the rules).
pub const SEGMENT_CODES: [&str; 6] = [
    "new",
    "good_payer",
    "forgetful",
    "slow_payer",
    "at_risk",
    "in_dispute",
];

/// The owner chooses a customer's segment (`Some(code)`, with a reason, which is required)
/// or gives it back to the rules (`None`). Recorded in the customer's history.
pub fn set_segment(
    conn: &mut Connection,
    reference: &str,
    segment: Option<&str>,
    reason: &str,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let id = id_by_ref(conn, "customer", reference)?;
    let tx = conn.transaction()?;
    let mut entry = crate::journal::NewEntry::new(crate::journal::JournalKind::Note, id, as_of);
    match segment {
        Some(code) => {
            let code = SEGMENT_CODES
                .into_iter()
                .find(|c| *c == code.trim())
                .ok_or_else(|| Error::invalid("segment", Msg::OneOf(SEGMENT_CODES.to_vec())))?;
            if reason.trim().is_empty() {
                return Err(Error::invalid("reason", Msg::Required));
            }
            let reason = v::required_line("reason", reason, 300)?;
            tx.execute(
                "INSERT INTO segment_overrides (customer_id, segment, reason, set_on) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(customer_id) DO UPDATE SET segment = excluded.segment,
                     reason = excluded.reason, set_on = excluded.set_on",
                params![id, code, reason, as_of.to_string()],
            )?;
            entry.action = Some("segment".into());
            entry.note = format!("segment: {code} — {reason}");
        }
        None => {
            tx.execute("DELETE FROM segment_overrides WHERE customer_id = ?1", [id])?;
            entry.action = Some("segment".into());
            entry.note = "segment: rules".into();
        }
    }
    crate::journal::append(&tx, &entry)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The owner may change their mind the same day (before the next refresh): a segment
    /// chosen, another chosen, the same again, then given back to the rules, twice. Each
    /// choice is written and recorded (the second used to fail: an upsert overrode the
    /// conflict clause of the trigger marking the customer already marked).
    #[test]
    fn a_segment_chosen_again_the_same_day_is_written_each_time() {
        use crate::store::sql::OptionalExtension;
        let as_of = crate::test_support::day("2026-11-30");
        let mut conn = crate::test_support::busy_ledger(2, as_of);
        let choices = [
            Some("good_payer"),
            Some("slow_payer"),
            Some("slow_payer"),
            None,
            None,
        ];
        for choice in choices {
            set_segment(&mut conn, "C00000", choice, "changed my mind", as_of).unwrap();
            let stored: Option<String> = conn
                .query_row(
                    "SELECT segment FROM segment_overrides
                      WHERE customer_id = (SELECT id FROM customers WHERE reference = 'C00000')",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .unwrap();
            assert_eq!(stored.as_deref(), choice);
        }
        let noted: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM journal WHERE action = 'segment'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(noted, 5);
    }

    /// A form opened on a customer and saved after someone else saved it is refused with
    /// the time of their change; nothing of it is written, theirs is kept.
    #[test]
    fn a_save_over_someone_elses_later_change_is_refused() {
        let conn = crate::test_support::setup();
        let c = create(
            &conn,
            &CustomerInput {
                reference: "STALE".into(),
                name: "Stale Form SARL".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let c = get(&conn, c.id).unwrap();
        let mine = c.as_input();
        assert_eq!(mine.loaded_version, c.version);
        assert!(!c.version.is_empty());
        // Someone else's save, within the same second or not: seen.
        conn.execute("UPDATE customers SET phone = '01' WHERE id = ?1", [c.id])
            .unwrap();
        let e = update(
            &conn,
            c.id,
            &CustomerInput {
                email: "x@acme.example".into(),
                ..mine.clone()
            },
        )
        .unwrap_err();
        let text = e.message(Lang::En);
        assert!(text.contains("Someone changed this record at"), "{text}");
        assert!(e
            .message(Lang::Fr)
            .contains("Quelqu'un a modifié cette fiche"));
        let now = get(&conn, c.id).unwrap();
        assert_eq!((now.phone.as_str(), now.email.as_str()), ("01", ""));
        // Opened again, the same change saves.
        let again = CustomerInput {
            email: "x@acme.example".into(),
            ..now.as_input()
        };
        let saved = update(&conn, c.id, &again).unwrap();
        assert_eq!(
            (saved.phone.as_str(), saved.email.as_str()),
            ("01", "x@acme.example")
        );
        // No form (an import, a script): no check.
        update(
            &conn,
            c.id,
            &CustomerInput {
                loaded_version: String::new(),
                ..mine
            },
        )
        .unwrap();
    }

    #[test]
    fn a_sanction_is_undone_back_to_the_customer_as_before() {
        let mut conn = crate::test_support::setup();
        let today = crate::test_support::day("2026-11-30");
        let state = |c: &Connection| -> (bool, String, Option<i64>) {
            c.query_row(
                "SELECT on_hold, hold_reason, credit_limit_minor FROM customers WHERE reference = 'ACME'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        let initial = state(&conn);
        let limit = |amount: &str| Sanction::CreditLimit {
            amount: amount.into(),
        };
        let first = apply_sanction(&mut conn, "ACME", &limit("5000"), Lang::Fr, today).unwrap();
        let hold = Sanction::Hold {
            reason: "Impayés".into(),
        };
        let second = apply_sanction(&mut conn, "ACME", &hold, Lang::Fr, today).unwrap();
        let held = state(&conn);
        assert_eq!(held, (true, "Impayés".into(), Some(500_000)));
        // The earlier one waits for the later one to be undone.
        assert!(matches!(
            undo_sanction(&mut conn, first, Lang::Fr, today),
            Err(Error::Invalid {
                msg: Msg::LaterSanction,
                ..
            })
        ));
        assert_eq!(state(&conn), held, "nothing changed");
        undo_sanction(&mut conn, second, Lang::Fr, today).unwrap();
        assert_eq!(state(&conn), (false, String::new(), Some(500_000)));
        assert!(matches!(
            undo_sanction(&mut conn, second, Lang::Fr, today),
            Err(Error::Invalid {
                msg: Msg::AlreadyUndone,
                ..
            })
        ));
        undo_sanction(&mut conn, first, Lang::Fr, today).unwrap();
        assert_eq!(state(&conn), initial);
        let history = crate::journal::for_customer(&conn, 1, 1).unwrap();
        assert_eq!(history[0].note, "Sanction annulée");
        assert_eq!(history[0].corrects_id, Some(first));
        // An entry that is not a sanction.
        assert!(undo_sanction(&mut conn, history[0].id, Lang::Fr, today).is_err());
    }

    /// The owner edits the customer after a sanction: its undo puts back only what the
    /// sanction changed and nobody changed since.
    #[test]
    fn an_undo_keeps_what_the_owner_changed_after_the_sanction() {
        let mut conn = crate::test_support::setup();
        let today = crate::test_support::day("2026-11-30");
        let state = |c: &Connection| -> (bool, String, Option<i64>) {
            c.query_row(
                "SELECT on_hold, hold_reason, credit_limit_minor FROM customers WHERE reference = 'ACME'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        let (hold0, reason0, limit0) = state(&conn);
        assert!(!hold0);
        let hold = Sanction::Hold {
            reason: "Impayés".into(),
        };
        let entry = apply_sanction(&mut conn, "ACME", &hold, Lang::Fr, today).unwrap();
        // Meanwhile the owner types a credit limit in the customer form.
        let id = id_by_ref(&conn, "customer", "ACME").unwrap();
        conn.execute(
            "UPDATE customers SET credit_limit_minor = 250000 WHERE id = ?1",
            [id],
        )
        .unwrap();
        undo_sanction(&mut conn, entry, Lang::Fr, today).unwrap();
        assert_eq!(state(&conn), (false, reason0.clone(), Some(250_000)));
        assert_ne!(limit0, Some(250_000));
        // A limit lowered by a sanction, then the hold the owner set by hand: the undo
        // restores the limit and keeps the owner's hold.
        let limit = Sanction::CreditLimit {
            amount: "1000".into(),
        };
        let entry = apply_sanction(&mut conn, "ACME", &limit, Lang::Fr, today).unwrap();
        conn.execute(
            "UPDATE customers SET on_hold = 1, hold_reason = 'Litige' WHERE id = ?1",
            [id],
        )
        .unwrap();
        undo_sanction(&mut conn, entry, Lang::Fr, today).unwrap();
        assert_eq!(state(&conn), (true, "Litige".into(), Some(250_000)));
    }

    pub(crate) fn input(reference: &str, name: &str) -> CustomerInput {
        CustomerInput {
            reference: reference.into(),
            name: name.into(),
            kind: "business".into(),
            language: "fr".into(),
            ..Default::default()
        }
    }

    #[test]
    fn create_get_update() {
        let conn = crate::open_in_memory().unwrap();
        let mut i = input("ACME", "Acme SARL");
        i.email = "compta@acme.fr".into();
        i.credit_limit = "5 000,00".into();
        i.payment_method = "virement".into();
        let c = create(&conn, &i).unwrap();
        assert_eq!(c.reference, "ACME");
        assert_eq!(c.credit_limit.as_deref(), Some("5000.00"));
        assert_eq!(c.payment_method, PaymentMethod::Transfer);
        i.name = "Acme SAS".into();
        i.on_hold = true;
        i.hold_reason = "Disputed order".into();
        let u = update(&conn, c.id, &i).unwrap();
        assert_eq!(u.name, "Acme SAS");
        assert!(u.on_hold);
        assert_eq!(get_by_ref(&conn, "acme").unwrap().id, c.id);
    }

    #[test]
    fn refusals_change_nothing() {
        let conn = crate::open_in_memory().unwrap();
        create(&conn, &input("A1", "First")).unwrap();
        let dup = create(&conn, &input("a1", "Second")).unwrap_err();
        assert!(matches!(
            dup,
            Error::Invalid {
                msg: Msg::DuplicateCustomerRef(_),
                ..
            }
        ));
        let mut bad = input("B1", "Bad");
        bad.email = "nope@".into();
        assert_eq!(create(&conn, &bad).unwrap_err().field(), Some("email"));
        let html = create(&conn, &input("B2", "<img src=x onerror=alert(1)>")).unwrap_err();
        assert_eq!(html.field(), Some("name"));
        let mut neg = input("B3", "Neg");
        neg.credit_limit = "-5".into();
        assert_eq!(
            create(&conn, &neg).unwrap_err().field(),
            Some("credit_limit")
        );
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn generated_references_are_unique() {
        let conn = crate::open_in_memory().unwrap();
        let a = create(&conn, &input("", "A")).unwrap();
        let b = create(&conn, &input("", "B")).unwrap();
        assert_eq!(a.reference, "C-0001");
        assert_eq!(b.reference, "C-0002");
    }

    #[test]
    fn search_escapes_wildcards() {
        let conn = crate::open_in_memory().unwrap();
        create(&conn, &input("X1", "100% Bio")).unwrap();
        create(&conn, &input("X2", "Bio 100")).unwrap();
        let q = CustomerQuery {
            search: "100%".into(),
            ..Default::default()
        };
        let page = list(&conn, &q, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0].reference, "X1");
    }

    /// 1,000,000 JPY showed as outstanding 0.00: every currency's balance is listed, and
    /// none is added to another.
    #[test]
    fn debts_in_other_currencies_are_shown_not_summed() {
        let conn = crate::open_in_memory().unwrap();
        create(&conn, &input("JP", "Tokyo KK")).unwrap();
        create(&conn, &input("FR", "Lyon SARL")).unwrap();
        let as_of = "2026-06-01".parse().unwrap();
        for (n, c, cur, total, due) in [
            ("J1", "JP", "JPY", "1000000", "2026-05-01"),
            ("J2", "JP", "EUR", "120", "2026-07-01"),
            ("J3", "JP", "USD", "50.5", "2026-07-01"),
            ("F1", "FR", "EUR", "80", "2026-05-01"),
        ] {
            crate::invoices::create(
                &conn,
                &crate::invoices::InvoiceInput {
                    number: n.into(),
                    customer: c.into(),
                    issue_date: "2026-04-01".into(),
                    due_date: due.into(),
                    total: total.into(),
                    currency: cur.into(),
                    ..Default::default()
                },
                as_of,
            )
            .unwrap();
        }
        let page = list(
            &conn,
            &CustomerQuery {
                limit: 10,
                ..Default::default()
            },
            as_of,
        )
        .unwrap();
        let jp = page.rows.iter().find(|c| c.reference == "JP").unwrap();
        assert_eq!(
            (jp.outstanding.as_str(), jp.overdue.as_str()),
            ("120.00", "0.00")
        );
        assert_eq!(
            jp.other_currencies,
            vec![
                CurrencyBalance {
                    currency: "JPY".into(),
                    outstanding: "1000000".into(),
                    overdue: "1000000".into()
                },
                CurrencyBalance {
                    currency: "USD".into(),
                    outstanding: "50.50".into(),
                    overdue: "0.00".into()
                },
            ]
        );
        let fr = page.rows.iter().find(|c| c.reference == "FR").unwrap();
        assert!(fr.other_currencies.is_empty());
        assert_eq!(fr.overdue, "80.00");
    }

    /// Any ledger, any page of the list sorted by an amount read from the kept balances is
    /// the page summed from every customer's invoices: ties of amounts and of names (those
    /// ordered by name, then id), those owing nothing, archived customers, write-offs,
    /// other currencies, searches, pages past the walk's chunks (3 customers each here).
    #[test]
    fn a_page_by_amount_is_the_page_summed_from_every_invoice() {
        use proptest::prelude::*;
        let server = std::env::var(crate::TEST_SERVER_ENV).is_ok_and(|a| !a.is_empty());
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: if server { 6 } else { 48 },
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        // A customer: name, archived; an invoice: customer, amount, days due after the
        // as-of day, settled (none, part, all), written off, in dollars.
        let customer = (0usize..4, proptest::bool::weighted(0.15));
        let invoice = (
            0usize..14,
            prop::sample::select(vec![1000i64, 2500, 2500, 7000]),
            -60i64..30,
            0u8..3,
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.1),
        );
        let ledger = (
            proptest::collection::vec(customer, 1..14),
            proptest::collection::vec(invoice, 0..30),
        );
        let as_of = crate::test_support::day("2026-06-15");
        runner
            .run(&ledger, |(people, invoices)| {
                let conn = crate::open_in_memory().unwrap();
                let names = ["Alpha", "alpha", "Beta", "Zed"];
                for (k, (name, _)) in people.iter().enumerate() {
                    create(
                        &conn,
                        &CustomerInput {
                            reference: format!("C{k:02}"),
                            name: names[*name].into(),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                }
                for (n, (c, amount, due, settled, written_off, dollars)) in
                    invoices.iter().enumerate()
                {
                    let c = c % people.len();
                    let due = as_of + chrono::Duration::days(*due);
                    let mut input = crate::test_support::inv(
                        &format!("F{n:03}"),
                        &format!("C{c:02}"),
                        &(due - chrono::Duration::days(30)).to_string(),
                        &due.to_string(),
                        &Currency::EUR.minor_to_string(*amount),
                    );
                    if *dollars {
                        input.currency = "USD".into();
                    }
                    let id = crate::invoices::create(&conn, &input, as_of).unwrap().id;
                    conn.execute(
                        "UPDATE invoices SET settled_minor = total_minor * ?2 / 2 WHERE id = ?1",
                        params![id, *settled as i64],
                    )
                    .unwrap();
                    if *written_off {
                        conn.execute(
                            "INSERT INTO invoice_closures (invoice_id, kind, on_date)
                             VALUES (?1, 'write_off', '2026-06-01')",
                            [id],
                        )
                        .unwrap();
                    }
                }
                // (archived once their invoices are in: an archived customer is billed no more)
                for (k, (_, archived)) in people.iter().enumerate() {
                    if *archived {
                        conn.execute(
                            "UPDATE customers SET archived_on = '2026-01-01' WHERE reference = ?1",
                            [format!("C{k:02}")],
                        )
                        .unwrap();
                    }
                }
                for sort in [CustomerSort::Outstanding, CustomerSort::Overdue] {
                    for descending in [true, false] {
                        for (search, archived) in [("", false), ("alp", false), ("", true)] {
                            for (limit, offset) in
                                [(1, 0), (2, 1), (3, 0), (5, 2), (100, 0), (4, 9), (10, 995)]
                            {
                                let q = CustomerQuery {
                                    search: search.into(),
                                    sort,
                                    descending,
                                    limit,
                                    offset,
                                    archived,
                                };
                                let page = list(&conn, &q, as_of).unwrap();
                                let summed = list_derived(&conn, &q, as_of).unwrap();
                                prop_assert_eq!(&page.rows, &summed.rows, "{:?}", q);
                                prop_assert_eq!(page.total, summed.total);
                            }
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
