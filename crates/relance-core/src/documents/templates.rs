//! The owner's wording of letters (subject, opening paragraph, request paragraph) and of
//! e-mail drafts (subject, whole body), per kind and language, with placeholders filled in
//! when the document is composed.
//! A placeholder that is unknown or not closed is refused when the text is saved, with its
//! name, never discovered when printing. The legal sentences of a formal demand (what
//! follows if unpaid, article 1344) are not templates: they stay as the law wants them.

use super::letters::LetterKind;
use crate::error::{Error, Lang, Msg, Result};
use crate::store::sql::{params, Connection, OptionalExtension};
use crate::validate as v;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The placeholders a template may use, and what they become.
pub const PLACEHOLDERS: [(&str, &str); 10] = [
    ("customer", "the customer's name"),
    ("company", "your company's name"),
    ("total_due", "the principal still due"),
    ("deadline", "the pay-by date"),
    ("date", "the letter's date"),
    ("days", "the days a formal demand gives"),
    ("claimed", "the total claimed (formal demand)"),
    ("interest", "the late-payment interest (formal demand)"),
    ("indemnity", "the fixed recovery costs (formal demand)"),
    ("invoice_count", "how many invoices the letter lists"),
];

/// Placeholders only an e-mail body may use: blocks of several lines.
pub const EMAIL_PLACEHOLDERS: [(&str, &str); 4] = [
    ("invoices", "the invoices, one line each"),
    ("payment", "how to pay (IBAN), when set"),
    ("signature", "your company's name"),
    (
        "attachment",
        "the sentence saying the letter is attached as a PDF",
    ),
];

/// The French name of each placeholder: `{client}` is `{customer}`, and so on. Either name
/// is accepted when a wording is saved and filled in when it is used.
pub const FRENCH_NAMES: [(&str, &str); 14] = [
    ("customer", "client"),
    ("company", "entreprise"),
    ("total_due", "reste_du"),
    ("deadline", "date_limite"),
    ("date", "date"),
    ("days", "jours"),
    ("claimed", "total_reclame"),
    ("interest", "interets"),
    ("indemnity", "indemnite"),
    ("invoice_count", "nombre_factures"),
    ("invoices", "factures"),
    ("payment", "paiement"),
    ("signature", "signature"),
    ("attachment", "piece_jointe"),
];

/// The placeholder a name stands for (its English name), French names included.
fn canonical(name: &str) -> &str {
    FRENCH_NAMES
        .iter()
        .find(|(_, fr)| *fr == name)
        .map_or(name, |(en, _)| en)
}

/// The parts the owner may reword: a letter's subject, opening and request paragraph; an
/// e-mail's subject and whole body.
pub const PARTS: [&str; 5] = [
    "subject",
    "opening",
    "request",
    "email_subject",
    "email_body",
];

/// A stored wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Template {
    pub kind: LetterKind,
    pub language: Lang,
    pub part: String,
    pub body: String,
}

/// Checks a template of `part`: text rules, then every `{name}` known for that part and
/// every brace closed.
pub fn check(field: &str, part: &str, body: &str) -> Result<String> {
    let body = v::multiline(field, body, if part == "email_body" { 6000 } else { 2000 })?;
    // A letter's wording is printed; an e-mail's subject and body are not.
    let body = if part.starts_with("email_") {
        body
    } else {
        v::printable(field, body)?
    };
    let known = |name: &str| {
        let name = canonical(name);
        PLACEHOLDERS.iter().any(|(p, _)| *p == name)
            || (part == "email_body" && EMAIL_PLACEHOLDERS.iter().any(|(p, _)| *p == name))
    };
    let mut rest = body.as_str();
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(Error::invalid(field, Msg::BrokenPlaceholder));
        }
        let after = &rest[i + 1..];
        let Some(end) = after
            .find(['}', '{'])
            .filter(|&e| after[e..].starts_with('}'))
        else {
            return Err(Error::invalid(field, Msg::BrokenPlaceholder));
        };
        let name = &after[..end];
        if !known(name) {
            return Err(Error::invalid(
                field,
                Msg::UnknownPlaceholder(name.chars().take(40).collect()),
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(body)
}

/// Replaces each `{name}` (or its French name) with its value (a checked template has no
/// other braces).
pub fn fill(body: &str, values: &[(&str, String)]) -> String {
    let mut out = body.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
        if let Some((_, fr)) = FRENCH_NAMES.iter().find(|(en, _)| en == name) {
            out = out.replace(&format!("{{{fr}}}"), value);
        }
    }
    out
}

fn part_of(field: &str, part: &str) -> Result<&'static str> {
    PARTS
        .into_iter()
        .find(|p| *p == part.trim())
        .ok_or_else(|| Error::invalid(field, Msg::OneOf(PARTS.to_vec())))
}

/// The owner's wording of a part, if any.
pub fn get(conn: &Connection, kind: LetterKind, lang: Lang, part: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT body FROM letter_templates WHERE kind = ?1 AND language = ?2 AND part = ?3",
            params![kind.code(), lang.code(), part],
            |r| r.get(0),
        )
        .optional()?)
}

/// Saves the owner's wording of a part (checked first; nothing written if refused). An
/// empty text brings the built-in wording back.
pub fn set(conn: &Connection, kind: &str, lang: &str, part: &str, body: &str) -> Result<()> {
    let kind = LetterKind::parse("kind", kind)?;
    let lang = Lang::parse(lang)
        .ok_or_else(|| Error::invalid("language", Msg::OneOf(vec!["fr", "en"])))?;
    let part = part_of("part", part)?;
    if body.trim().is_empty() {
        conn.execute(
            "DELETE FROM letter_templates WHERE kind = ?1 AND language = ?2 AND part = ?3",
            params![kind.code(), lang.code(), part],
        )?;
        return Ok(());
    }
    let body = check("body", part, body)?;
    conn.execute(
        "INSERT INTO letter_templates (kind, language, part, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(kind, language, part) DO UPDATE SET body = excluded.body",
        params![kind.code(), lang.code(), part, body],
    )?;
    Ok(())
}

/// Every stored wording.
pub fn list(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare(
        "SELECT kind, language, part, body FROM letter_templates ORDER BY kind, language, part",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (k, l, part, body) = row?;
        out.push(Template {
            kind: LetterKind::parse("kind", &k)?,
            language: Lang::parse(&l).unwrap_or_default(),
            part,
            body,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_placeholder_names_are_the_same_placeholders() {
        assert_eq!(
            check("t", "opening", "Bonjour {client}, il reste {reste_du}.").unwrap(),
            "Bonjour {client}, il reste {reste_du}."
        );
        assert!(
            check("t", "opening", "{factures}").is_err(),
            "a block, e-mail only"
        );
        check("t", "email_body", "{factures}\n{piece_jointe}").unwrap();
        assert_eq!(
            fill(
                "{client} / {customer} : {reste_du}",
                &[("customer", "Acme".into()), ("total_due", "10,00 €".into())]
            ),
            "Acme / Acme : 10,00 €"
        );
    }

    #[test]
    fn placeholders_are_checked_when_saved() {
        assert!(check(
            "b",
            "opening",
            "Bonjour {customer}, merci de régler {total_due} avant le {deadline}."
        )
        .is_ok());
        for (bad, want) in [
            (
                "Montant : {montant}",
                Msg::UnknownPlaceholder("montant".into()),
            ),
            ("Montant : {total_due", Msg::BrokenPlaceholder),
            ("Montant : total_due}", Msg::BrokenPlaceholder),
            ("{ {customer} }", Msg::BrokenPlaceholder),
            ("{}", Msg::UnknownPlaceholder(String::new())),
        ] {
            match check("b", "opening", bad) {
                Err(Error::Invalid { msg, .. }) => assert_eq!(msg, want, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        // The blocks of an e-mail body are known there only.
        assert!(check("b", "email_body", "{invoices}\n\n{payment}\n{signature}").is_ok());
        assert!(matches!(
            check("b", "request", "{invoices}"),
            Err(Error::Invalid {
                msg: Msg::UnknownPlaceholder(_),
                ..
            })
        ));
        let filled = fill(
            "{customer} doit {total_due}",
            &[("customer", "Acme".into()), ("total_due", "10,00 €".into())],
        );
        assert_eq!(filled, "Acme doit 10,00 €");
    }

    #[test]
    fn a_saved_wording_is_used_and_an_empty_one_restores_the_default() {
        let conn = crate::open_in_memory().unwrap();
        set(
            &conn,
            "reminder",
            "fr",
            "opening",
            "Cher {customer}, il reste {total_due} à régler.",
        )
        .unwrap();
        assert_eq!(list(&conn).unwrap().len(), 1);
        let e = set(&conn, "reminder", "fr", "request", "Payez {maintenant}").unwrap_err();
        assert_eq!(e.field(), Some("body"));
        assert!(e.message(Lang::Fr).contains("maintenant"));
        assert!(set(&conn, "reminder", "fr", "footer", "x").is_err());
        set(&conn, "reminder", "fr", "opening", "  ").unwrap();
        assert!(list(&conn).unwrap().is_empty());
    }
}
