//! RF creditor references (ISO 11649): "RF", two check digits (ISO 7064 mod 97-10), then at
//! most 21 letters and digits. Relance allocates one per invoice and one per letter covering
//! several invoices, stores them (`store`), and the matcher resolves a reference found on a
//! bank line to the invoices it was allocated for — never by stripping an invoice number.

/// The value of `s` (letters as 10..35) modulo 97, digit by digit.
fn mod97(s: &str) -> Option<u32> {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    Some(r)
}

/// The RF reference for `body` (1 to 21 letters and digits, upper-cased), or `None` when the
/// body is not that.
pub fn rf(body: &str) -> Option<String> {
    let body = body.to_ascii_uppercase();
    if body.is_empty() || body.len() > 21 || !body.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let check = 98 - mod97(&format!("{body}RF00"))?;
    Some(format!("RF{check:02}{body}"))
}

/// Whether `s` (spaces allowed, any case) is a valid RF reference; its compact upper-case
/// form when it is.
pub fn valid(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if !compact.is_ascii() || compact.len() < 5 || compact.len() > 25 || !compact.starts_with("RF")
    {
        return None;
    }
    if !compact[2..4].chars().all(|c| c.is_ascii_digit())
        || !compact[4..].chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let rotated = format!("{}{}", &compact[4..], &compact[..4]);
    (mod97(&rotated)? == 1).then_some(compact)
}

/// Every valid RF reference that may be written in `text`, as a whole or in groups of four
/// ("RF18 5390 0754 7034"). Where groups follow one another, each valid reading is given
/// (a word after the reference may by chance give another valid one): the matcher keeps
/// the readings it allocated.
pub fn find(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if starts_word
            && chars[i].eq_ignore_ascii_case(&'R')
            && chars[i + 1].eq_ignore_ascii_case(&'F')
        {
            // The first word, then following words of at most four characters while every
            // word before was exactly four (the printed form), up to 25 characters.
            let mut compact = String::new();
            let mut ends = Vec::new();
            let mut j = i;
            let mut group = 0;
            let mut words = 0;
            while j < chars.len() && compact.len() <= 25 {
                let c = chars[j];
                if c.is_ascii_alphanumeric() {
                    compact.push(c.to_ascii_uppercase());
                    group += 1;
                    if words > 0 && group > 4 {
                        break;
                    }
                    if chars.get(j + 1).is_none_or(|n| !n.is_ascii_alphanumeric()) {
                        ends.push(compact.len());
                        words += 1;
                    }
                } else if c == ' '
                    && group == 4
                    && chars.get(j + 1).is_some_and(|n| n.is_ascii_alphanumeric())
                {
                    group = 0;
                } else {
                    break;
                }
                j += 1;
            }
            for n in ends {
                if let Some(hit) = compact.get(..n).and_then(valid) {
                    found.push(hit);
                }
            }
        }
        i += 1;
    }
    found.dedup();
    found
}

/// The body Relance gives the `n`-th reference it allocates: "RL" and the number, so that
/// our references never look like an invoice number.
/// A reference as it is printed and typed: groups of four ("RF82 RL1").
pub fn grouped(reference: &str) -> String {
    reference
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn body_for(n: i64) -> String {
    format!("RL{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISO 11649's own example, and a reference printed by a French bank.
    #[test]
    fn check_digits_are_those_of_the_standard() {
        assert_eq!(rf("539007547034").as_deref(), Some("RF18539007547034"));
        assert_eq!(
            valid("RF18 5390 0754 7034").as_deref(),
            Some("RF18539007547034")
        );
        assert!(valid("RF19539007547034").is_none());
        assert!(valid("RF18").is_none());
        assert_eq!(rf("RL42").map(|r| valid(&r).is_some()), Some(true));
        assert!(rf("").is_none());
        assert!(rf("A-1").is_none());
        assert!(rf(&"9".repeat(22)).is_none());
    }

    #[test]
    fn references_are_found_in_free_text_whole_or_grouped() {
        assert!(
            find("Virement RF18 5390 0754 7034 merci").contains(&"RF18539007547034".to_string())
        );
        assert!(find("RF18 5390 0754 7034").contains(&"RF18539007547034".to_string()));
        assert_eq!(find("ref:RF18539007547034."), vec!["RF18539007547034"]);
        // Not at a word start, or a wrong check: nothing.
        assert!(find("XRF18539007547034").is_empty());
        assert!(find("RF19539007547034").is_empty());
        assert!(find("").is_empty());
        assert!(valid("RF1é23").is_none() && valid("RFé123456").is_none());
    }
}
