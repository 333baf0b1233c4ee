//! `relance contract` and `relance milestone`: contracts billed in milestones, and the
//! invoices Relance issues for them.

use crate::output::{emit, print_json, table, Format};
use crate::today::date_or_today;
use clap::Subcommand;
use relance_core::contracts::{self, ContractInput, ContractView, MilestoneInput};
use relance_core::{Connection, Lang, Result};

#[derive(Subcommand)]
pub enum ContractCmd {
    /// Save a contract; a milestone due at signature is invoiced at once.
    Add {
        #[arg(long)]
        reference: String,
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        /// What the contract is for (printed on its invoices; default: the reference).
        #[arg(long, default_value = "")]
        title: String,
        /// Total excluding tax.
        #[arg(long)]
        total: String,
        /// Shares in percent or as fractions of the total ("30,40,30", "1/3,1/3,1/3") or a
        /// template: 30/70, 30/40/30, thirds, monthly:N. The first share is due at
        /// signature, the others when reached.
        #[arg(long)]
        schedule: String,
        /// The signature date (default: today).
        #[arg(long, value_name = "DATE")]
        signed: Option<String>,
        /// VAT rate in percent (0 or empty for a VAT-exempt seller).
        #[arg(long, default_value = "")]
        vat_rate: String,
        /// Printed on the invoices, e.g. "TVA non applicable, art. 293 B du CGI".
        #[arg(long, default_value = "")]
        vat_mention: String,
        /// ISO code (default: the company's currency).
        #[arg(long, default_value = "")]
        currency: String,
        /// Euros for one unit of the currency (e.g. 1.165): a contract in another currency
        /// by a French company states its invoices' VAT in euros too.
        #[arg(long, value_name = "RATE", default_value = "")]
        exchange_rate: String,
        /// Payment terms of each milestone invoice, in days (default: the customer's).
        #[arg(long, default_value = "")]
        terms: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Invoice the deposit even though the customer is on hold (asked otherwise).
        #[arg(long)]
        yes: bool,
    },
    /// Every contract with its figures.
    List {
        /// Only the contracts whose reference or title, or customer's name or reference,
        /// contains this.
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One contract: totals and each milestone's amounts and state.
    Show {
        reference: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The billing schedule as PDF, to send with the quote (the customer's language).
    Schedule {
        reference: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Change what is left: a new total, and the milestones still to invoice (the invoiced
    /// ones stay as billed; shares are of the new total).
    Amend {
        reference: String,
        /// The new total excluding tax.
        #[arg(long)]
        total: String,
        /// The remaining milestones: shares ("40,30") of the new total, or a template.
        #[arg(long)]
        schedule: String,
        #[arg(long, default_value = "")]
        vat_rate: String,
        /// Euros for one unit of the contract's currency, for the invoices to come (default:
        /// the rate entered before).
        #[arg(long, value_name = "RATE", default_value = "")]
        exchange_rate: String,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Cancel what is left to invoice (what was invoiced stays).
    Cancel {
        reference: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum MilestoneCmd {
    /// The milestone is reached: its invoice is issued, dated that day.
    Reach {
        contract: String,
        /// 1 for the first milestone.
        index: i64,
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        /// Issue it although earlier milestones are not invoiced or the customer is on hold.
        #[arg(long)]
        yes: bool,
    },
}

fn schedule(
    conn: &Connection,
    spec: &str,
    customer: &str,
    signed: chrono::NaiveDate,
    terms: &str,
) -> Result<Vec<MilestoneInput>> {
    let lang = relance_core::customers::get_by_ref(conn, customer)
        .map(|c| c.language)
        .unwrap_or(Lang::Fr);
    let spec = spec.trim();
    let template = matches!(spec, "30/70" | "30/40/30" | "thirds") || spec.starts_with("monthly:");
    let mut out = if !template {
        let shares: Vec<&str> = spec.split(',').map(str::trim).collect();
        let n = shares.len();
        let named = contracts::template("30/40/30", signed, lang)?;
        shares
            .iter()
            .enumerate()
            .map(|(i, s)| MilestoneInput {
                label: match i {
                    0 => named[0].label.clone(),
                    _ if i + 1 == n => named[2].label.clone(),
                    _ if lang == Lang::Fr => format!("Étape {}", i + 1),
                    _ => format!("Stage {}", i + 1),
                },
                share: s.to_string(),
                trigger: if i == 0 { "signature" } else { "reached" }.into(),
                ..Default::default()
            })
            .collect()
    } else {
        contracts::template(spec, signed, lang)?
    };
    for m in &mut out {
        m.terms_days = terms.to_string();
    }
    Ok(out)
}

fn print(v: &ContractView, format: Format) {
    if format == Format::Json {
        print_json(v);
        return;
    }
    out!(
        "{} · {} · {} ({})\nsigned {} · total {} {} (net {}, VAT {} at {} %)\ninvoiced {} · paid {} · outstanding {} · to invoice {}",
        v.reference, v.title, v.customer_name, v.customer, v.signed_on, v.total, v.currency,
        v.net, v.vat, v.vat_rate, v.invoiced, v.paid, v.outstanding, v.to_invoice
    );
    let rows: Vec<Vec<String>> = v
        .milestones
        .iter()
        .map(|m| {
            vec![
                m.position.to_string(),
                m.label.clone(),
                m.share
                    .as_deref()
                    .map(|s| contracts::share_with_unit(s, false))
                    .unwrap_or_default(),
                m.amount.clone(),
                format!("{:?}", m.state).to_lowercase(),
                m.invoice.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["#", "milestone", "share", "amount", "state", "invoice"],
        &rows,
    );
    if let Some(a) = &v.alert {
        out!(
            "Work ahead of payment: {} reached while {} is unpaid ({}).",
            a.reached,
            a.unpaid,
            a.late_invoices.join("; ")
        );
    }
}

pub fn run(conn: &mut Connection, db: &std::path::Path, cmd: ContractCmd) -> Result<()> {
    match cmd {
        ContractCmd::Schedule {
            reference,
            out,
            as_of,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let bytes = relance_core::documents::invoice::schedule_pdf(conn, &reference, as_of)?;
            relance_core::store::write_output(db, &out, &bytes, "out")?;
            out!("{} written ({} bytes).", out.display(), bytes.len());
        }
        ContractCmd::Add {
            reference,
            customer,
            title,
            total,
            schedule: spec,
            signed,
            vat_rate,
            vat_mention,
            currency,
            exchange_rate,
            terms,
            as_of,
            format,
            yes,
        } => {
            // A deposit is an invoice issued now: it is dated today.
            let as_of = date_or_today(&as_of, "as_of")?;
            if as_of != relance_core::app::today()? {
                return Err(relance_core::Error::invalid(
                    "as_of",
                    relance_core::Msg::IssueNotToday,
                ));
            }
            let signed = date_or_today(&signed, "signed")?;
            let input = ContractInput {
                confirm: yes,
                title: if title.trim().is_empty() {
                    reference.clone()
                } else {
                    title
                },
                milestones: schedule(conn, &spec, &customer, signed, &terms)?,
                reference,
                customer,
                signed_on: signed.to_string(),
                currency,
                total,
                vat_rate,
                vat_mention,
                exchange_rate,
            };
            let v = contracts::create(conn, &input, as_of)?;
            print(&v, format);
        }
        ContractCmd::Amend {
            reference,
            total,
            schedule: spec,
            vat_rate,
            exchange_rate,
            as_of,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let k = contracts::get(conn, &reference, as_of)?;
            let mut milestones = schedule(conn, &spec, &k.customer, k.signed_on, "")?;
            // The remaining milestones are invoiced when reached (the signature is past),
            // numbered after the invoiced ones.
            let done = k.milestones.iter().filter(|m| m.invoice.is_some()).count();
            let n = milestones.len();
            let lang = relance_core::customers::get_by_ref(conn, &k.customer)?.language;
            let fr = lang == Lang::Fr;
            // The last one is the balance, whatever the template called it.
            let balance = contracts::template("30/70", k.signed_on, lang)?[1]
                .label
                .clone();
            for (i, m) in milestones.iter_mut().enumerate() {
                if m.trigger == "signature" {
                    m.trigger = "reached".into();
                }
                m.label = if i + 1 == n {
                    balance.clone()
                } else if fr {
                    format!("Étape {}", done + i + 1)
                } else {
                    format!("Stage {}", done + i + 1)
                };
            }
            let input = ContractInput {
                reference: k.reference.clone(),
                customer: k.customer.clone(),
                title: k.title.clone(),
                signed_on: k.signed_on.to_string(),
                currency: k.currency.clone(),
                total,
                vat_rate: if vat_rate.is_empty() {
                    k.vat_rate.clone()
                } else {
                    vat_rate
                },
                vat_mention: k.vat_mention.clone(),
                milestones,
                confirm: false,
                exchange_rate: if exchange_rate.is_empty() {
                    k.exchange_rate.clone()
                } else {
                    exchange_rate
                },
            };
            print(&contracts::amend(conn, &reference, &input, as_of)?, format);
        }
        ContractCmd::List {
            search,
            as_of,
            limit,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            let page = contracts::list(
                conn,
                &contracts::ContractQuery {
                    search,
                    limit,
                    offset: 0,
                },
                as_of,
            )?;
            emit(
                format,
                &page.rows,
                &[
                    "contract",
                    "customer",
                    "signed",
                    "total",
                    "invoiced",
                    "paid",
                    "to invoice",
                    "alert",
                ],
                |k| {
                    vec![
                        k.reference.clone(),
                        k.customer.clone(),
                        k.signed_on.to_string(),
                        format!("{} {}", k.total, k.currency),
                        k.invoiced.clone(),
                        k.paid.clone(),
                        k.to_invoice.clone(),
                        if k.alert.is_some() {
                            "work ahead of payment".into()
                        } else {
                            String::new()
                        },
                    ]
                },
            );
            if format != Format::Json && page.total > page.rows.len() as i64 {
                out!(
                    "{} of {} contracts shown (--limit, --search for the others).",
                    page.rows.len(),
                    page.total
                );
            }
        }
        ContractCmd::Show {
            reference,
            as_of,
            format,
        } => {
            let as_of = date_or_today(&as_of, "as_of")?;
            print(&contracts::get(conn, &reference, as_of)?, format);
        }
        ContractCmd::Cancel {
            reference,
            reason,
            date,
        } => {
            let on = date_or_today(&date, "date")?;
            let v = contracts::cancel(conn, &reference, on, &reason, on)?;
            out!(
                "{} cancelled; invoiced {} {} stays.",
                v.reference,
                v.invoiced,
                v.currency
            );
        }
    }
    Ok(())
}

pub fn milestone(conn: &mut Connection, cmd: MilestoneCmd) -> Result<()> {
    let MilestoneCmd::Reach {
        contract,
        index,
        date,
        yes,
    } = cmd;
    let today = date_or_today(&None, "as_of")?;
    let on = date_or_today(&date, "date")?;
    let (v, number) = contracts::reach(conn, &contract, index, on, yes, today)?;
    let m = v
        .milestones
        .iter()
        .find(|m| m.invoice.as_deref() == Some(number.as_str()));
    out!(
        "Invoice {number} issued: {} {}, due {}.",
        m.map(|m| m.amount.clone()).unwrap_or_default(),
        v.currency,
        m.and_then(|m| m.invoice_due)
            .map(|d| d.to_string())
            .unwrap_or_default()
    );
    if let Some(a) = &v.alert {
        out!(
            "Work ahead of payment: {} unpaid ({}).",
            a.unpaid,
            a.late_invoices.join("; ")
        );
    }
    Ok(())
}
