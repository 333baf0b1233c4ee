//! Matching a bank line to the invoices it pays: a pure function of the line, the open
//! invoices, the known payer accounts and the references allocated. The rules, in order —
//! the first that decides wins:
//! 1. a reference (RF creditor reference, or Relance's) found in the structured reference or
//!    the text → the invoices it was allocated for. Sure.
//! 2. invoice numbers in the text, as whole tokens (letters and digits compared, "FA 2026
//!    101" is FA-2026-101, `F12` never inside `F123`). Sure when the amount is their open
//!    balance; otherwise a partial payment, proposed.
//! 3. a known payer account whose amount is one open invoice, or up to 3 of the customer's 12
//!    oldest open invoices (oldest first on ties). Proposed, high confidence.
//! 4. the payer's name like a customer's and the amount one of their open invoices.
//!    Proposed, low confidence. An amount alone never applies itself.

use super::{alnum_key, reference, Line};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

/// An open invoice as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub currency: String,
    /// Open balance, minor units (> 0).
    pub balance: i64,
    /// Due date then id: "oldest first".
    pub due: chrono::NaiveDate,
}

/// An invoice that is not open (paid, written off, handed over), named so that a line
/// naming it says so rather than matching nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedInvoice {
    pub number: String,
    pub customer_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: i64,
    pub name: String,
}

/// Everything the matcher reads.
#[derive(Debug, Default)]
pub struct Book {
    pub open: Vec<OpenInvoice>,
    pub closed: Vec<ClosedInvoice>,
    pub customers: Vec<Customer>,
    /// Payer account (IBAN, compact upper-case) → customer.
    pub payers: HashMap<String, i64>,
    /// RF reference (compact) → invoice ids it was allocated for.
    pub references: HashMap<String, Vec<i64>>,
    /// Bank fees or rounding accepted as settled: up to this many minor units…
    pub tolerance_minor: i64,
    /// …and at most this many hundred-thousandths of the amount due (0.5 %: 500).
    pub tolerance_per_100k: i64,
    /// Built on first use (see [`Index`]); `open` may then only have balances lowered (an
    /// invoice paid to zero stays in place and is skipped), never entries added or removed.
    pub(super) index: std::cell::OnceCell<Index>,
}

/// What the rules look up, built once per book: thousands of lines against a hundred
/// thousand invoices stay linear (no rule scans every invoice or customer per line).
#[derive(Debug, Default)]
pub(super) struct Index {
    by_id: HashMap<i64, usize>,
    /// Invoice numbers as letters and digits → the open invoice.
    by_key: HashMap<String, usize>,
    closed_keys: HashMap<String, usize>,
    /// Each customer's open invoices, oldest first.
    per_customer: HashMap<i64, Vec<usize>>,
    /// A name word → the customers whose name has it; each customer's words.
    by_word: HashMap<String, Vec<usize>>,
    customer_words: Vec<HashSet<String>>,
}

impl Index {
    fn build(book: &Book) -> Index {
        // Sized once: at a million invoices, growing the maps rehashed them a dozen times.
        let mut ix = Index {
            by_id: HashMap::with_capacity(book.open.len()),
            by_key: HashMap::with_capacity(book.open.len()),
            closed_keys: HashMap::with_capacity(book.closed.len()),
            customer_words: Vec::with_capacity(book.customers.len()),
            ..Index::default()
        };
        for (k, inv) in book.open.iter().enumerate() {
            ix.by_id.insert(inv.id, k);
            ix.by_key.insert(alnum_key(&inv.number), k);
            ix.per_customer.entry(inv.customer_id).or_default().push(k);
        }
        for list in ix.per_customer.values_mut() {
            list.sort_by_key(|&k| (book.open[k].due, book.open[k].id));
        }
        for (k, c) in book.closed.iter().enumerate() {
            ix.closed_keys.insert(alnum_key(&c.number), k);
        }
        for (k, c) in book.customers.iter().enumerate() {
            let words = name_words(&c.name);
            for w in &words {
                ix.by_word.entry(w.clone()).or_default().push(k);
            }
            ix.customer_words.push(words);
        }
        ix
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MatchConfidence")]
pub enum Confidence {
    Sure,
    High,
    Low,
}

/// Why a line was matched (or not), shown beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[ts(rename = "MatchReason")]
pub enum Reason {
    /// Rule 1: the reference it carries.
    Reference { reference: String },
    /// Rule 2: the invoice numbers in its text; `partial` when the amount is less.
    Numbers { numbers: Vec<String>, partial: bool },
    /// Rule 3: a known payer account.
    KnownPayer { account: String },
    /// Rule 4: the payer's name.
    Name { name: String },
    /// Named invoices that are not open (paid, written off): said, not matched.
    NotOpen { numbers: Vec<String> },
    /// Numbers of invoices of several customers.
    SeveralCustomers { numbers: Vec<String> },
    /// Nothing found.
    Nothing,
    /// Money out, not a customer payment.
    Debit,
}

/// (invoice id, minor units) for each invoice concerned.
pub type Shares = Vec<(i64, i64)>;

/// What the matcher proposes for one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub customer_id: Option<i64>,
    /// (invoice id, minor units) in the order paid.
    pub allocations: Vec<(i64, i64)>,
    /// What is left unpaid within the tolerance (bank fees, rounding): (invoice id, minor
    /// units), recorded as settlement differences with the payment; empty when none.
    pub differences: Vec<(i64, i64)>,
    /// `None`: unmatched.
    pub confidence: Option<Confidence>,
    pub reason: Reason,
}

impl Proposal {
    /// The settlement difference in all, minor units.
    pub fn difference(&self) -> i64 {
        self.differences.iter().map(|(_, m)| m).sum()
    }

    pub(super) fn none(reason: Reason) -> Proposal {
        Proposal {
            customer_id: None,
            allocations: Vec::new(),
            differences: Vec::new(),
            confidence: None,
            reason,
        }
    }
}

impl Book {
    fn within_tolerance(&self, due: i64, missing: i64) -> bool {
        missing > 0
            && missing <= self.tolerance_minor
            && i128::from(missing) * 100_000
                <= i128::from(due) * i128::from(self.tolerance_per_100k)
    }

    /// The number of open invoice `id`, through the index (built on first use).
    pub(super) fn number(&self, id: i64) -> Option<&str> {
        self.position(id).map(|k| self.open[k].number.as_str())
    }

    /// Where open invoice `id` is in `open`, through the index (built on first use).
    pub(super) fn position(&self, id: i64) -> Option<usize> {
        let ix = self.index.get_or_init(|| Index::build(self));
        ix.by_id.get(&id).copied()
    }

    /// Pays `invoices` (oldest first) with `amount`: the allocations, and the differences
    /// left on each invoice when what is missing in all is within the tolerance (else none:
    /// the rest stays open, a partial payment).
    pub(super) fn pay(&self, invoices: &[&OpenInvoice], amount: i64) -> (Shares, Shares, bool) {
        let mut sorted: Vec<&OpenInvoice> = invoices.to_vec();
        sorted.sort_by_key(|i| (i.due, i.id));
        let due: i64 = sorted.iter().map(|i| i.balance).sum();
        let settle = self.within_tolerance(due, due - amount);
        let mut left = amount;
        let mut allocations = Vec::new();
        let mut differences = Vec::new();
        let mut unpaid = false;
        for inv in sorted {
            let take = inv.balance.min(left);
            if take > 0 {
                allocations.push((inv.id, take));
                left -= take;
            } else {
                unpaid = true;
            }
            if settle && take < inv.balance {
                differences.push((inv.id, inv.balance - take));
            }
        }
        // A difference completes a payment; it never settles an invoice the payment did
        // not reach (that would be a write-off).
        if unpaid {
            differences.clear();
        }
        (allocations, differences, amount >= due)
    }
}

/// The words of a text, each reduced to its letters and digits: words are separated by
/// spaces and punctuation other than `-`, `.` and `_`, which are dropped inside a word
/// ("FA-2026.101" is one word; "F12/F13" two).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '.' | '_')))
        .map(alnum_key)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Every key rule 2 may look up in `text`: each whole word and each run of up to four
/// words ("FA 2026 101") that has a letter, in the order met (repeats included).
fn runs(text: &str, mut each: impl FnMut(&str)) {
    let w = words(text);
    for i in 0..w.len() {
        let mut joined = String::new();
        for (k, word) in w.iter().skip(i).take(4).enumerate() {
            joined.push_str(word);
            // Several words make a number only when one has a letter ("FA 2026 101"): digits
            // alone run together from an amount ("1 234,56") never do.
            if k > 0
                && !w[i..=i + k]
                    .iter()
                    .any(|x| x.chars().any(char::is_alphabetic))
            {
                continue;
            }
            each(joined.as_str());
        }
    }
}

/// Invoice numbers named in `text` as whole words or runs of up to four words ("FA 2026
/// 101"): each key `known` accepts, once.
fn numbers_in(text: &str, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    runs(text, |key| {
        if known(key) && !found.iter().any(|f| f == key) {
            found.push(key.to_string());
        }
    });
    found
}

/// What the matcher may look up in the ledger for some lines: the invoice numbers' keys
/// their texts may name, the references they carry, their payers' accounts and name words.
/// Built by [`Asks::add`] beside [`propose`], which reads nothing else: a book holding
/// every invoice with one of these keys, the references' invoices, and every customer
/// these accounts and words lead to with all their open invoices proposes for these lines
/// what the book of the whole ledger does (`bank::book::narrowed`, a property test says so).
#[derive(Debug, Default)]
pub(crate) struct Asks {
    pub(crate) keys: HashSet<String>,
    pub(crate) references: HashSet<String>,
    pub(crate) accounts: HashSet<String>,
    pub(crate) words: HashSet<String>,
    /// How many lines asked.
    pub(crate) lines: usize,
}

impl Asks {
    /// Adds what `line` asks (nothing for a line that does not read the book).
    pub(crate) fn add(&mut self, line: &Line) {
        if !reads_book(line) {
            return;
        }
        self.lines += 1;
        let haystack = haystack(line);
        self.references.extend(reference::find(&haystack));
        runs(&haystack, |key| {
            if !self.keys.contains(key) {
                self.keys.insert(key.to_string());
            }
        });
        let account = alnum_key(&line.party_account);
        if !account.is_empty() {
            self.accounts.insert(account);
        }
        self.words.extend(name_words(payer(line)));
    }
}

/// Where rules 1 and 2 look: the structured reference, then the free text.
fn haystack(line: &Line) -> String {
    format!("{} {}", line.reference, line.text)
}

/// Whose name rule 4 compares: the payer's, else the free text.
fn payer(line: &Line) -> &str {
    if line.party.is_empty() {
        &line.text
    } else {
        &line.party
    }
}

/// Folded words of a name, short ones and legal forms left out.
pub(crate) fn name_words(name: &str) -> HashSet<String> {
    const FORMS: [&str; 12] = [
        "SARL", "SAS", "SASU", "SA", "EURL", "SCI", "LTD", "GMBH", "SNC", "EI", "MME", "M",
    ];
    words(name)
        .into_iter()
        .filter(|w| w.len() > 1 && !FORMS.contains(&w.as_str()))
        .collect()
}

/// Rule 4's likeness: most of the customer's name words are in the payer's name.
fn alike_words(p: &HashSet<String>, c: &HashSet<String>) -> bool {
    if p.is_empty() || c.is_empty() {
        return false;
    }
    let common = c.intersection(p).count();
    common * 2 >= c.len().max(1) && common > 0 && common * 2 >= p.len().min(c.len())
}

/// Whether a line asks the book anything: money in that is not a reversal. Of any other
/// line [`propose`] says "debit" without reading the book.
pub fn reads_book(line: &Line) -> bool {
    line.amount_minor > 0 && !line.reversal
}

/// Proposes what `line` pays (see the module's rules).
pub fn propose(line: &Line, book: &Book) -> Proposal {
    if !reads_book(line) {
        return Proposal::none(Reason::Debit);
    }
    let amount = line.amount_minor;
    let ix = book.index.get_or_init(|| Index::build(book));
    // An invoice the line may pay: open (a balance left) and in the line's currency.
    let usable = |k: usize| -> Option<&OpenInvoice> {
        let inv = &book.open[k];
        (inv.balance > 0 && inv.currency == line.currency).then_some(inv)
    };
    let haystack = haystack(line);

    // 1. A reference allocated by Relance (or an RF one the owner's invoices carry).
    let mut referenced_paid = None;
    for found in reference::find(&haystack) {
        if let Some(ids) = book.references.get(&found) {
            let invoices: Vec<&OpenInvoice> = ids
                .iter()
                .filter_map(|id| ix.by_id.get(id).and_then(|&k| usable(k)))
                .collect();
            if invoices.is_empty() {
                referenced_paid = Some(found);
                continue;
            }
            let (allocations, differences, _) = book.pay(&invoices, amount);
            // A settlement difference is the owner's to accept: proposed, never applied
            // by itself.
            let confidence = if differences.is_empty() {
                Confidence::Sure
            } else {
                Confidence::High
            };
            return Proposal {
                customer_id: Some(invoices[0].customer_id),
                allocations,
                differences,
                confidence: Some(confidence),
                reason: Reason::Reference { reference: found },
            };
        }
    }

    // A reference of ours whose invoices are all paid: said, never matched elsewhere.
    if let Some(reference) = referenced_paid {
        return Proposal::none(Reason::NotOpen {
            numbers: vec![reference],
        });
    }

    // 2. Invoice numbers in the text.
    let named = numbers_in(&haystack, |k| {
        ix.by_key.contains_key(k) || ix.closed_keys.contains_key(k)
    });
    if !named.is_empty() {
        let invoices: Vec<&OpenInvoice> = named
            .iter()
            .filter_map(|k| ix.by_key.get(k).and_then(|&i| usable(i)))
            .collect();
        let not_open: Vec<String> = named
            .iter()
            .filter(|k| ix.by_key.get(*k).and_then(|&i| usable(i)).is_none())
            .filter_map(|k| {
                ix.closed_keys
                    .get(k)
                    .map(|&c| book.closed[c].number.clone())
                    .or_else(|| ix.by_key.get(k).map(|&i| book.open[i].number.clone()))
            })
            .collect();
        let customers: HashSet<i64> = invoices.iter().map(|i| i.customer_id).collect();
        if customers.len() > 1 {
            return Proposal::none(Reason::SeveralCustomers {
                numbers: invoices.iter().map(|i| i.number.clone()).collect(),
            });
        }
        if !invoices.is_empty() {
            let (allocations, differences, full) = book.pay(&invoices, amount);
            let partial = !full && differences.is_empty();
            let due: i64 = invoices.iter().map(|i| i.balance).sum();
            let sure = amount == due;
            return Proposal {
                customer_id: Some(invoices[0].customer_id),
                allocations,
                differences,
                confidence: Some(if sure {
                    Confidence::Sure
                } else {
                    Confidence::High
                }),
                reason: Reason::Numbers {
                    numbers: invoices.iter().map(|i| i.number.clone()).collect(),
                    partial,
                },
            };
        }
        if !not_open.is_empty() {
            return Proposal::none(Reason::NotOpen { numbers: not_open });
        }
    }

    // A customer's open invoices in the line's currency, oldest first.
    let oldest = |customer: i64| -> Vec<&OpenInvoice> {
        ix.per_customer
            .get(&customer)
            .map(|list| list.iter().filter_map(|&k| usable(k)).collect())
            .unwrap_or_default()
    };

    // 3. A known payer account.
    let account = alnum_key(&line.party_account);
    if let Some(&customer) = book.payers.get(&account).filter(|_| !account.is_empty()) {
        let theirs = oldest(customer);
        if let Some(combo) = combination(&theirs, amount, book) {
            let (allocations, differences, _) = book.pay(&combo, amount);
            return Proposal {
                customer_id: Some(customer),
                allocations,
                differences,
                confidence: Some(Confidence::High),
                reason: Reason::KnownPayer {
                    account: line.party_account.to_string(),
                },
            };
        }
        return Proposal {
            customer_id: Some(customer),
            allocations: Vec::new(),
            differences: Vec::new(),
            confidence: None,
            reason: Reason::KnownPayer {
                account: line.party_account.to_string(),
            },
        };
    }

    // 4. A name like a customer's, and the amount of one of their open invoices: only the
    // customers sharing a word with the payer's name are looked at.
    let payer_words = name_words(payer(line));
    let mut candidates: Vec<usize> = payer_words
        .iter()
        .filter_map(|w| ix.by_word.get(w))
        .flatten()
        .copied()
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    for k in candidates {
        let c = &book.customers[k];
        if !alike_words(&payer_words, &ix.customer_words[k]) {
            continue;
        }
        let theirs = oldest(c.id);
        if let Some(combo) = combination(&theirs, amount, book) {
            let (allocations, differences, _) = book.pay(&combo, amount);
            return Proposal {
                customer_id: Some(c.id),
                allocations,
                differences,
                confidence: Some(Confidence::Low),
                reason: Reason::Name {
                    name: c.name.clone(),
                },
            };
        }
    }
    Proposal::none(Reason::Nothing)
}

/// The first set of up to 3 invoices (from `theirs`, oldest first) whose balance is the
/// amount — exactly, else within the tolerance: singles first, then pairs, then triples,
/// each in the order of the oldest.
fn combination<'a>(
    all: &[&'a OpenInvoice],
    amount: i64,
    book: &Book,
) -> Option<Vec<&'a OpenInvoice>> {
    // Any one open invoice; pairs and triples among the 12 oldest.
    let theirs = &all[..all.len().min(12)];
    let n = theirs.len();
    let fits = |due: i64, exact: bool| {
        if exact {
            due == amount
        } else {
            book.within_tolerance(due, due - amount)
        }
    };
    for exact in [true, false] {
        if let Some(one) = all.iter().find(|i| fits(i.balance, exact)) {
            return Some(vec![*one]);
        }
        for i in 0..n {
            for j in i + 1..n {
                if fits(theirs[i].balance + theirs[j].balance, exact) {
                    return Some(vec![theirs[i], theirs[j]]);
                }
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                for k in j + 1..n {
                    if fits(
                        theirs[i].balance + theirs[j].balance + theirs[k].balance,
                        exact,
                    ) {
                        return Some(vec![theirs[i], theirs[j], theirs[k]]);
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    fn inv(id: i64, number: &str, customer: i64, balance: i64, due: &str) -> OpenInvoice {
        OpenInvoice {
            id,
            number: number.into(),
            customer_id: customer,
            currency: "EUR".into(),
            balance,
            due: day(due),
        }
    }

    fn book() -> Book {
        let mut b = Book {
            open: vec![
                inv(1, "F12", 1, 10_000, "2026-01-10"),
                inv(2, "F123", 2, 25_000, "2026-01-15"),
                inv(3, "FA-2026-101", 3, 123_456, "2026-02-01"),
                inv(4, "FA-2026-102", 3, 50_000, "2026-02-15"),
                inv(5, "FA-2026-103", 3, 20_000, "2026-03-01"),
                inv(6, "FA-2026-104", 3, 30_000, "2026-03-15"),
            ],
            closed: vec![ClosedInvoice {
                number: "F99".into(),
                customer_id: 1,
            }],
            customers: vec![
                Customer {
                    id: 1,
                    name: "Hôtel du Parc SARL".into(),
                },
                Customer {
                    id: 2,
                    name: "Boulangerie Martin".into(),
                },
                Customer {
                    id: 3,
                    name: "ACME Industries".into(),
                },
            ],
            tolerance_minor: 100,
            tolerance_per_100k: 500,
            ..Book::default()
        };
        b.payers.insert("FR7630006000011234567890189".into(), 3);
        b.references
            .insert(reference::rf("RL7").unwrap(), vec![4, 5]);
        b
    }

    fn credit(amount: i64, text: &str) -> Line {
        Line {
            booking_date: Some(day("2026-03-20")),
            amount_minor: amount,
            currency: "EUR".into(),
            text: text.into(),
            ..Line::default()
        }
    }

    /// A reference paying short within the tolerance is proposed, not applied; a known
    /// payer's amount is looked for among all their open invoices (not only the 12 oldest)
    /// when it is one invoice; a difference never settles an invoice the payment missed.
    #[test]
    fn differences_are_proposed_and_one_invoice_is_found_anywhere() {
        let r = reference::rf("RL7").unwrap();
        let p = propose(&credit(69_950, &format!("VIR {r}")), &book());
        assert_eq!(p.confidence, Some(Confidence::High));
        assert_eq!(p.differences, vec![(5, 50)]);
        // Customer 3 with 14 more open invoices, older than the one paid.
        let mut b = book();
        for k in 0..14 {
            b.open.push(inv(
                100 + k,
                &format!("OLD-{k}"),
                3,
                1_000 + k,
                "2025-01-01",
            ));
        }
        let mut from = credit(30_000, "VIREMENT");
        from.party_account = "FR7630006000011234567890189".into();
        let p = propose(&from, &b);
        assert_eq!(
            (p.confidence, p.allocations.clone()),
            (Some(Confidence::High), vec![(6, 30_000)])
        );
        // 0.60 short of two invoices of 0.50 and 1 234,56: the 0.50 one gets nothing, so
        // no difference settles it; the rest stays open.
        let b = Book {
            open: vec![
                inv(1, "A-1", 1, 123_456, "2026-01-01"),
                inv(2, "A-2", 1, 50, "2026-02-01"),
            ],
            tolerance_minor: 100,
            tolerance_per_100k: 500,
            ..Book::default()
        };
        let (alloc, diff, _) = b.pay(&[&b.open[0], &b.open[1]], 123_446);
        assert_eq!((alloc, diff), (vec![(1, 123_446)], vec![]));
        let (alloc, diff, _) = b.pay(&[&b.open[0], &b.open[1]], 123_500);
        assert_eq!((alloc, diff), (vec![(1, 123_456), (2, 44)], vec![(2, 6)]));
    }

    #[test]
    fn a_reference_decides_first_and_names_its_invoices() {
        let r = reference::rf("RL7").unwrap();
        let p = propose(&credit(70_000, &format!("VIR {r} F12")), &book());
        assert_eq!(p.confidence, Some(Confidence::Sure));
        assert_eq!(p.allocations, vec![(4, 50_000), (5, 20_000)]);
        assert_eq!(p.customer_id, Some(3));
    }

    #[test]
    fn numbers_match_as_whole_tokens_only() {
        let b = book();
        let p = propose(&credit(25_000, "Paiement facture F123"), &b);
        assert_eq!(p.allocations, vec![(2, 25_000)], "F123, not F12 inside it");
        assert_eq!(p.confidence, Some(Confidence::Sure));
        let p = propose(&credit(10_000, "Facture:F12, merci"), &b);
        assert_eq!(p.allocations, vec![(1, 10_000)]);
        // Spaces, dashes and case do not matter: "fa 2026 101" is FA-2026-101.
        let p = propose(&credit(123_456, "reglement fa 2026 101"), &b);
        assert_eq!(p.allocations, vec![(3, 123_456)]);
        assert_eq!(p.confidence, Some(Confidence::Sure));
        // "F1234" names no invoice: nothing.
        assert_eq!(propose(&credit(10_000, "F1234"), &b).confidence, None);
    }

    #[test]
    fn less_than_the_balance_is_a_partial_payment_proposed() {
        let p = propose(&credit(60_000, "FA-2026-101"), &book());
        assert_eq!(p.confidence, Some(Confidence::High));
        assert_eq!(p.allocations, vec![(3, 60_000)]);
        assert_eq!(
            p.reason,
            Reason::Numbers {
                numbers: vec!["FA-2026-101".into()],
                partial: true
            }
        );
        // 0.01 short of a 1 234,56 invoice: within the tolerance, a settlement difference.
        let p = propose(&credit(123_455, "FA-2026-101"), &book());
        assert_eq!((p.difference(), p.confidence), (1, Some(Confidence::High)));
        assert_eq!(p.differences, vec![(3, 1)]);
        // An overpayment: the invoice paid, the rest the customer's credit (not allocated).
        let p = propose(&credit(130_000, "FA-2026-101"), &book());
        assert_eq!(p.allocations, vec![(3, 123_456)]);
    }

    #[test]
    fn a_known_payer_pays_an_invoice_or_a_combination() {
        let mut line = credit(50_000, "VIREMENT");
        line.party_account = "FR76 3000 6000 0112 3456 7890 189".into();
        let p = propose(&line, &book());
        assert_eq!(
            (p.allocations.clone(), p.confidence),
            (vec![(4, 50_000)], Some(Confidence::High))
        );
        // 500 + 300 = 800: two invoices; 200 + 300 = 500 is not reached since 500 alone is
        // invoice 4: singles first.
        line.amount_minor = 80_000;
        let p = propose(&line, &book());
        assert_eq!(p.allocations, vec![(4, 50_000), (6, 30_000)]);
        line.amount_minor = 1;
        assert_eq!(propose(&line, &book()).confidence, None);
    }

    #[test]
    fn a_name_and_an_amount_are_only_a_low_proposal() {
        let mut line = credit(10_000, "VIR SEPA");
        line.party = "HOTEL DU PARC".into();
        let p = propose(&line, &book());
        assert_eq!(
            (p.allocations, p.confidence),
            (vec![(1, 10_000)], Some(Confidence::Low))
        );
        // The amount alone, no name: nothing.
        let p = propose(&credit(10_000, "VIR SEPA"), &book());
        assert_eq!(p.confidence, None);
    }

    #[test]
    fn debits_and_paid_invoices_are_said_not_matched() {
        assert_eq!(
            propose(&credit(-10_000, "F12"), &book()).reason,
            Reason::Debit
        );
        let p = propose(&credit(10_000, "F99"), &book());
        assert_eq!(
            p.reason,
            Reason::NotOpen {
                numbers: vec!["F99".into()]
            }
        );
        let p = propose(&credit(35_000, "F12 F123"), &book());
        assert!(matches!(p.reason, Reason::SeveralCustomers { .. }));
        // Two numbers written with a slash are two; an amount's digits never make a number.
        let p = propose(&credit(35_000, "F12/F123"), &book());
        assert!(
            matches!(p.reason, Reason::SeveralCustomers { .. }),
            "{:?}",
            p.reason
        );
        let mut b = book();
        b.open.push(inv(9, "1234", 1, 12_345, "2026-01-01"));
        let p = propose(&credit(50, "VIR 1 234,56 EUR"), &b);
        assert_eq!(p.confidence, None, "{:?}", p.reason);
        // A reference whose invoice is paid: said, not matched by another rule.
        let mut b = book();
        b.references.insert(reference::rf("RL9").unwrap(), vec![77]);
        b.closed.push(ClosedInvoice {
            number: "F77".into(),
            customer_id: 1,
        });
        let p = propose(
            &credit(
                10_000,
                &format!("{} Hôtel du Parc", reference::rf("RL9").unwrap()),
            ),
            &b,
        );
        assert!(matches!(p.reason, Reason::NotOpen { .. }), "{:?}", p.reason);
    }
}
