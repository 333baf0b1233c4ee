//! `relance settings`: show or change My company, defaults and language.

use crate::output::{print_json, table, Format};
use clap::Subcommand;
use relance_core::{settings, Connection, Error, Result};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SettingsCmd {
    /// Show every setting.
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Set one setting. Keys: company_name, address, postal_code, city, country, email, phone,
    /// siren, siret, vat_number, uk_company_number, iban, bic, default_currency,
    /// default_payment_terms_days, ui_language, logo (a PNG/JPEG file path).
    Set { key: String, value: String },
    /// Reword a letter's subject, opening or request paragraph (empty text: the built-in
    /// wording). Placeholders: {customer} {company} {total_due} {deadline} {date} {days}
    /// {claimed} {interest} {indemnity} {invoice_count}.
    Template {
        /// courtesy, reminder, final-notice, formal-demand or statement.
        #[arg(long)]
        kind: String,
        /// The wording's language: fr or en (the global --lang is the language of messages).
        #[arg(long)]
        language: String,
        /// subject, opening or request.
        #[arg(long)]
        part: String,
        #[arg(long)]
        text: String,
    },
    /// The wordings you wrote (the others are the built-in ones).
    Templates {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(conn: &mut Connection, cmd: SettingsCmd) -> Result<()> {
    use relance_core::documents::templates;
    match cmd {
        SettingsCmd::Template {
            kind,
            language: lang,
            part,
            text,
        } => {
            templates::set(conn, &kind, &lang, &part, &text)?;
            out!("Saved.");
        }
        SettingsCmd::Templates { format } => {
            let list = templates::list(conn)?;
            crate::output::emit(format, &list, &["kind", "language", "part", "text"], |t| {
                vec![
                    t.kind.code().to_string(),
                    t.language.code().to_string(),
                    t.part.clone(),
                    t.body.clone(),
                ]
            });
        }
        SettingsCmd::Show { format } => {
            let s = settings::get(conn)?;
            if format == Format::Json {
                print_json(&s);
            } else {
                let value = serde_json::to_value(&s).expect("serializable");
                let rows: Vec<Vec<String>> = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        vec![
                            k.clone(),
                            v.as_str().map(String::from).unwrap_or(v.to_string()),
                        ]
                    })
                    .collect();
                table(&["key", "value"], &rows);
            }
        }
        SettingsCmd::Set { key, value } if key == "logo" => {
            // The shell opens the file; the engine reads at most 2 MB of it.
            let path = PathBuf::from(value.trim());
            let file = std::fs::File::open(&path).map_err(|e| Error::file("logo", &path, e))?;
            settings::set_logo_from(conn, file)?;
            out!("{key} saved.");
        }
        SettingsCmd::Set { key, value } => {
            settings::set(conn, &key, &value)?;
            out!("{key} saved.");
        }
    }
    Ok(())
}
