//! The invoice XML inside a Factur-X / ZUGFeRD / XRechnung PDF: found among the PDF's
//! embedded files (the catalog's `/AF` array and its `/Names /EmbeddedFiles` tree),
//! whatever its name. Read with lopdf, every stream bounded in size.

use super::{fault, Fault, MAX_XML};
use crate::error::Result;
use lopdf::{Dictionary, Document, Object};

/// The names the profiles give their XML, preferred in this order.
const KNOWN: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
];

/// How many file specifications are looked at, and how deep the name tree is followed.
const MAX_FILES: usize = 64;
const MAX_TREE_DEPTH: usize = 8;

/// Returns the name and bytes of the invoice XML embedded in `bytes` (a PDF).
pub(crate) fn invoice_xml(bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    // lopdf is a third-party parser of hostile input: a panic inside it (loading, walking
    // the objects, decoding a stream) is a refusal of the file, never the end of the program.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extract(bytes)))
        .unwrap_or_else(|_| Err(fault(Fault::PdfUnreadable("parser failure".into()))))
}

/// Whether a stream's PNG or TIFF predictor asks for rows wider than any XML we read: lopdf
/// allocates two such rows before any size limit applies (a tiny file asking for gigabytes).
fn predictor_too_wide(dict: &Dictionary) -> bool {
    let params: Vec<&Dictionary> = match dict.get(b"DecodeParms") {
        Ok(Object::Dictionary(d)) => vec![d],
        Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_dict().ok()).collect(),
        _ => Vec::new(),
    };
    params.iter().any(|p| {
        let get = |k: &[u8], default: i64| p.get(k).and_then(Object::as_i64).unwrap_or(default);
        let (colors, bits, columns) = (
            get(b"Colors", 1),
            get(b"BitsPerComponent", 8),
            get(b"Columns", 1),
        );
        let row = colors
            .checked_mul(bits)
            .and_then(|x| x.checked_mul(columns))
            .map(|x| x / 8);
        colors < 0 || bits < 0 || columns < 0 || row.is_none_or(|r| r > MAX_XML as i64)
    })
}

/// Drops, while the PDF loads, every stream whose predictor is too wide to decode safely
/// (object streams are decoded during the load).
fn drop_wide_predictors(id: (u32, u16), object: &mut Object) -> Option<((u32, u16), Object)> {
    if let Object::Stream(stream) = object {
        if predictor_too_wide(&stream.dict) {
            return None;
        }
    }
    Some((id, object.clone()))
}

fn extract(bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(MAX_XML),
        filter: Some(drop_wide_predictors),
        ..Default::default()
    };
    let doc = Document::load_mem_with_options(bytes, options)
        .map_err(|e| fault(Fault::PdfUnreadable(short(&e.to_string()))))?;
    if doc.is_encrypted() {
        return Err(fault(Fault::PdfEncrypted));
    }
    let mut specs: Vec<&Dictionary> = Vec::new();
    if let Ok(catalog) = doc.catalog() {
        if let Ok(af) = catalog.get_deref(b"AF", &doc).and_then(Object::as_array) {
            for o in af.iter().take(MAX_FILES) {
                if let Ok((_, Object::Dictionary(d))) = doc.dereference(o) {
                    specs.push(d);
                }
            }
        }
        if let Ok(tree) = catalog
            .get_deref(b"Names", &doc)
            .and_then(Object::as_dict)
            .and_then(|n| n.get_deref(b"EmbeddedFiles", &doc))
            .and_then(Object::as_dict)
        {
            name_tree(&doc, tree, 0, &mut specs);
        }
    }
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for spec in specs.into_iter().take(MAX_FILES) {
        let name = ["UF", "F"]
            .iter()
            .find_map(|k| {
                spec.get_deref(k.as_bytes(), &doc)
                    .and_then(Object::as_str)
                    .ok()
            })
            .map(text_string)
            .unwrap_or_default();
        let Some(stream) = spec
            .get_deref(b"EF", &doc)
            .and_then(Object::as_dict)
            .ok()
            .and_then(|ef| {
                ["F", "UF"].iter().find_map(|k| {
                    ef.get_deref(k.as_bytes(), &doc)
                        .and_then(Object::as_stream)
                        .ok()
                })
            })
        else {
            continue;
        };
        if predictor_too_wide(&stream.dict) {
            continue;
        }
        let content = match stream.decompressed_content_with_limit(MAX_XML) {
            Ok(c) => c,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => {
                return Err(fault(Fault::TooLarge {
                    max_mb: (MAX_XML / (1024 * 1024)) as u64,
                }))
            }
            Err(_) => continue,
        };
        if found.iter().any(|(n, _)| *n == name) {
            continue;
        }
        found.push((name, content));
    }
    let rank = |name: &str| {
        let lower = name.to_ascii_lowercase();
        KNOWN
            .iter()
            .position(|k| *k == lower)
            .unwrap_or(KNOWN.len())
    };
    found.sort_by_key(|(n, _)| rank(n));
    found
        .into_iter()
        .find(|(name, content)| rank(name) < KNOWN.len() || looks_like_invoice(content))
        .ok_or_else(|| fault(Fault::PdfWithoutInvoice))
}

/// Follows a name tree's `/Names` pairs and `/Kids`, bounded.
fn name_tree<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    depth: usize,
    out: &mut Vec<&'a Dictionary>,
) {
    if depth > MAX_TREE_DEPTH || out.len() >= MAX_FILES {
        return;
    }
    if let Ok(names) = node.get_deref(b"Names", doc).and_then(Object::as_array) {
        for pair in names.chunks(2).take(MAX_FILES) {
            if let Some(Ok((_, Object::Dictionary(d)))) = pair.get(1).map(|o| doc.dereference(o)) {
                if !out.iter().any(|x| std::ptr::eq(*x, d)) {
                    out.push(d);
                }
            }
        }
    }
    if let Ok(kids) = node.get_deref(b"Kids", doc).and_then(Object::as_array) {
        for kid in kids.iter().take(MAX_FILES) {
            if let Ok((_, Object::Dictionary(d))) = doc.dereference(kid) {
                name_tree(doc, d, depth + 1, out);
            }
        }
    }
}

/// A PDF text string: UTF-16BE with its byte-order mark, else PDFDocEncoding (read as
/// Latin-1, which it equals for file names).
fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// An XML whose root element is an invoice or credit note of a known syntax.
fn looks_like_invoice(content: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&content[..content.len().min(2048)]);
    [
        "CrossIndustryInvoice",
        "<Invoice",
        ":Invoice",
        "<CreditNote",
        ":CreditNote",
    ]
    .iter()
    .any(|k| head.contains(k))
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}
