//! The EPC QR code (EPC069-12, "SEPA credit transfer" code) printed on what Relance asks to
//! be paid: the customer's banking app reads the payee's name, IBAN, the amount and the
//! structured payment reference from it and fills in the transfer. Version 002, UTF-8, SCT,
//! BIC optional, error correction level M, at most 331 bytes.

/// A transfer the code asks for.
pub struct Transfer<'a> {
    pub name: &'a str,
    pub iban: &'a str,
    pub bic: &'a str,
    /// Euro cents.
    pub amount_minor: i64,
    /// An RF creditor reference (ISO 11649).
    pub reference: &'a str,
}

/// The code's text, or `None` when it cannot be one: no IBAN, no name, an amount outside
/// 0.01–999 999 999.99 €, a reference that is not a valid RF one.
pub fn payload(t: &Transfer) -> Option<String> {
    let iban: String = t
        .iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bic: String = t
        .bic
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let name: String = t.name.trim().chars().take(70).collect();
    let reference = super::reference::valid(t.reference)?;
    if iban.len() < 15
        || iban.len() > 34
        || name.is_empty()
        || !(1..=99_999_999_999).contains(&t.amount_minor)
    {
        return None;
    }
    let amount = format!("EUR{}.{:02}", t.amount_minor / 100, t.amount_minor % 100);
    // Service tag, version, character set (1: UTF-8), identification, BIC, name, IBAN,
    // amount, purpose (none), structured reference; no unstructured text beside it.
    let text = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic.as_str(),
        name.as_str(),
        iban.as_str(),
        amount.as_str(),
        "",
        reference.as_str(),
    ]
    .join("\n");
    (text.len() <= 331).then_some(text)
}

/// The code a document of the company asks to be paid with: its name, IBAN and BIC, the
/// amount and the reference; `None` for another currency than the euro, without an IBAN,
/// or when the payload cannot be one (see [`payload`]).
pub fn company_code(
    settings: &crate::settings::Settings,
    currency: &str,
    amount_minor: i64,
    reference: &str,
) -> Option<Vec<Vec<bool>>> {
    if currency != "EUR" || settings.iban.is_empty() {
        return None;
    }
    modules(&payload(&Transfer {
        name: &settings.company_name,
        iban: &settings.iban,
        bic: &settings.bic,
        amount_minor,
        reference,
    })?)
}

/// How a UK customer pays pounds: "sort code 12-34-56 · account number 31926819" (in
/// French: "sort code 12-34-56 · compte n° 31926819"), when the document asks for sterling
/// and the owner gave both in Settings; the payment reference goes with it.
pub fn sterling_details(
    settings: &crate::settings::Settings,
    currency: &str,
    lang: crate::error::Lang,
) -> Option<String> {
    if currency != "GBP"
        || settings.uk_sort_code.is_empty()
        || settings.uk_account_number.is_empty()
    {
        return None;
    }
    Some(match lang {
        crate::error::Lang::Fr => format!(
            "sort code {} · compte n° {}",
            settings.uk_sort_code, settings.uk_account_number
        ),
        crate::error::Lang::En => format!(
            "sort code {} · account number {}",
            settings.uk_sort_code, settings.uk_account_number
        ),
    })
}

/// The code as a PNG image for an e-mail: `scale` pixels per module, black on white, with
/// the four-module quiet zone the standard asks for.
pub fn png(modules: &[Vec<bool>], scale: u32) -> Vec<u8> {
    let quiet = 4usize;
    let n = modules.len();
    let side = (n + 2 * quiet) * scale as usize;
    let mut pixels = vec![255u8; side * side];
    for (r, row) in modules.iter().enumerate() {
        for (c, dark) in row.iter().enumerate() {
            if !dark {
                continue;
            }
            for dy in 0..scale as usize {
                let y = (r + quiet) * scale as usize + dy;
                let x = (c + quiet) * scale as usize;
                pixels[y * side + x..y * side + x + scale as usize].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(::png::ColorType::Grayscale);
        enc.set_depth(::png::BitDepth::Eight);
        // Writing to a Vec with the header just set cannot fail.
        let mut w = enc.write_header().expect("PNG header into memory");
        w.write_image_data(&pixels).expect("PNG data into memory");
    }
    out
}

/// The code's modules, row by row (`true`: dark), without the quiet zone.
pub fn modules(payload: &str) -> Option<Vec<Vec<bool>>> {
    let code =
        qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    Some(
        colors
            .chunks(width)
            .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_follows_epc069_12_version_2() {
        let t = Transfer {
            name: "Atelier Lumen",
            iban: "FR76 3000 6000 0112 3456 7890 189",
            bic: "AGRIFRPP",
            amount_minor: 123_456,
            reference: "RF82RL1",
        };
        assert_eq!(
            payload(&t).unwrap(),
            "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Lumen\nFR7630006000011234567890189\nEUR1234.56\n\nRF82RL1"
        );
        let long = "N".repeat(90);
        let p = payload(&Transfer {
            name: &long,
            bic: "",
            ..t
        })
        .unwrap();
        assert!(
            p.contains(&format!("\n\n{}\n", "N".repeat(70))),
            "name cut to 70, BIC empty"
        );
        assert!(payload(&Transfer {
            amount_minor: 0,
            ..t
        })
        .is_none());
        assert!(payload(&Transfer {
            amount_minor: 100_000_000_000,
            ..t
        })
        .is_none());
        assert!(payload(&Transfer {
            reference: "RF00RL1",
            ..t
        })
        .is_none());
        assert!(payload(&Transfer { iban: "", ..t }).is_none());
        let m = modules(&payload(&t).unwrap()).unwrap();
        assert!(m.len() >= 21 && m.iter().all(|r| r.len() == m.len()));
    }
}
