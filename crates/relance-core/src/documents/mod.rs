//! Documents the owner sends: letters (courtesy reminder, reminder, final notice, formal
//! demand) as PDF. [`letters::compose`] gathers and computes everything a letter says into a
//! structured [`letters::Letter`] (what tests read); [`letters::render`] lays it out and
//! draws it through [`pdf`], the only module that knows the PDF crate; [`archive`] keeps
//! every document produced, as it was sent.

pub mod archive;
pub mod cii;
pub mod credit_note;
pub mod email;
pub mod invoice;
pub mod letters;
pub mod pdf;
pub mod report;
pub mod templates;

use crate::error::Lang;
use chrono::{Datelike, NaiveDate};

/// "22 novembre 2026" / "22 November 2026".
pub fn long_date(d: NaiveDate, lang: Lang) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let m = d.month0() as usize;
    match lang {
        Lang::Fr if d.day() == 1 => format!("1er {} {}", FR[m], d.year()),
        Lang::Fr => format!("{} {} {}", d.day(), FR[m], d.year()),
        Lang::En => format!("{} {} {}", d.day(), EN[m], d.year()),
    }
}

/// "22/11/2026" / "22 Nov 2026": dates in tables.
pub fn short_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Fr => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%d %b %Y").to_string(),
    }
}
