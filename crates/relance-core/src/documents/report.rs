//! The aged balance as PDF, on the same letterhead as the letters: one line per customer
//! (or per segment), the five buckets and the total, the totals line, page numbers.

use super::letters::{self, Layout, LEFT, RIGHT};
use super::pdf::{self, Align, Item};
use crate::error::{Lang, Result};
use crate::money::Currency;
use crate::store::sql::Connection;
use crate::views::aged::AgedBalance;

/// Right edges of the amount columns, in mm; the customer's name wraps left of them.
const COLS: [f32; 6] = [86.0, 107.0, 128.0, 149.0, 170.0, RIGHT];
const SIZE: f32 = 8.0;

/// The aged balance as PDF bytes, in `lang`.
pub fn aged_balance_pdf(conn: &Connection, a: &AgedBalance, lang: Lang) -> Result<Vec<u8>> {
    let settings = crate::settings::get(conn)?;
    let (sender, footer) = letters::company_lines(&settings, lang);
    let cur = Currency::parse(&a.currency)?;
    let money = |s: &str| -> Result<String> {
        let m = cur.to_minor(cur.parse_amount(s, "amount")?, "amount")?;
        Ok(if m == 0 {
            String::new()
        } else {
            cur.format_minor(m, lang)
        })
    };
    let fr = lang == Lang::Fr;
    let title = if fr {
        format!("Balance âgée au {}", super::long_date(a.as_of, lang))
    } else {
        format!("Aged balance at {}", super::long_date(a.as_of, lang))
    };
    let headers: [&str; 7] = if fr {
        [
            "Client",
            "Non échu",
            "1–30\u{a0}j",
            "31–60\u{a0}j",
            "61–90\u{a0}j",
            "+\u{a0}90\u{a0}j",
            "Total",
        ]
    } else {
        [
            "Customer",
            "Not due",
            "1–30 d",
            "31–60 d",
            "61–90 d",
            "90+ d",
            "Total",
        ]
    };
    let mut lay = Layout::new();
    letters::letterhead(&mut lay, &sender, None);
    lay.y = 52.0;
    lay.paragraph(&title, 13.0, true);
    lay.paragraph(
        &if fr {
            format!(
                "Soldes ouverts en {}, par jours de retard après l'échéance.",
                a.currency
            )
        } else {
            format!(
                "Open balances in {}, by days past the due date.",
                a.currency
            )
        },
        SIZE,
        false,
    );
    lay.y += 2.0;
    let header = |lay: &mut Layout| {
        let y = lay.y;
        lay.page()
            .push(Item::text(LEFT, y, headers[0], SIZE).bold());
        for (h, x) in headers[1..].iter().zip(COLS) {
            lay.page()
                .push(Item::text(x, y, *h, SIZE).bold().align(Align::Right));
        }
        lay.page().push(Item::Rule {
            x1: LEFT,
            x2: RIGHT,
            y: y + 1.5,
            thickness: 0.6,
        });
        lay.y += 5.5;
    };
    header(&mut lay);
    let mut rows: Vec<(String, Vec<String>, bool)> = Vec::new();
    for (r, strong) in a.rows.iter().map(|r| (r, false)).chain([(&a.totals, true)]) {
        let name = if strong {
            "Total".to_string()
        } else {
            r.customer_name.clone()
        };
        let cells = r
            .amounts()
            .into_iter()
            .map(money)
            .collect::<Result<Vec<_>>>()?;
        rows.push((name, cells, strong));
    }
    for (name, cells, strong) in rows {
        let wrapped = pdf::wrap(&name, strong, SIZE, COLS[0] - LEFT - 22.0);
        if lay.need(4.2 * wrapped.len() as f32 + 1.0) {
            header(&mut lay);
        }
        if strong {
            let y = lay.y - 3.5;
            lay.page().push(Item::Rule {
                x1: LEFT,
                x2: RIGHT,
                y,
                thickness: 0.3,
            });
        }
        let y = lay.y;
        for (x, c) in COLS.iter().zip(cells) {
            let mut item = Item::text(*x, y, c, SIZE).align(Align::Right);
            if strong {
                item = item.bold();
            }
            lay.page().push(item);
        }
        for line in wrapped {
            let y = lay.y;
            let mut item = Item::text(LEFT, y, line, SIZE);
            if strong {
                item = item.bold();
            }
            lay.page().push(item);
            lay.y += 4.2;
        }
        lay.y += 0.8;
    }
    letters::finish(&mut lay.pages, &footer);
    if fr {
        pdf::french_typography(&mut lay.pages);
    }
    pdf::render(
        &pdf::Meta {
            title: &title,
            author: &settings.company_name,
            subject: &title,
            date: a.as_of,
        },
        &lay.pages,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::day;

    #[test]
    fn the_demo_aged_balance_prints() {
        let mut conn = crate::open_in_memory().unwrap();
        crate::demo::load(&mut conn, day("2026-11-22")).unwrap();
        let a = crate::views::aged::aged_balance(&conn, day("2026-11-22"), None).unwrap();
        let bytes = aged_balance_pdf(&conn, &a, Lang::Fr).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
    }
}
