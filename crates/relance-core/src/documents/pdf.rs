//! The one drawing module: everything that knows about `printpdf` is here, so the PDF crate
//! can be swapped without touching a letter.
//!
//! printpdf does no text layout: widths are measured from the font's own advance widths,
//! lines are wrapped here, and every page is laid out as a list of [`Item`]s before anything
//! is drawn (so "Page N/M" is known). The font (DejaVu Sans, regular and bold, read by
//! `crate::fonts`) is embedded as a per-document subset: only the glyphs a
//! document uses, under a `XXXXXX+` name as PDF readers expect of a subset.

use crate::error::{Error, Result};
use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use printpdf::{
    Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, RawImage, TextItem, XObjectTransform,
};
use std::collections::BTreeSet;

use crate::fonts::{face, Face};

/// A4, in millimetres.
pub const PAGE_W: f32 = 210.0;
pub const PAGE_H: f32 = 297.0;

/// The character drawn for `c`: the font has no glyph for some characters (inputs that are
/// printed refuse them, `validate::printable`; text stored before that check may hold
/// some); those are drawn as `?`.
fn drawable(c: char, f: &Face) -> char {
    if f.cmap.contains_key(&u32::from(c)) {
        c
    } else {
        '?'
    }
}

/// The width of `text` in millimetres at `size` points.
pub fn width(text: &str, bold: bool, size: f32) -> f32 {
    let f = face(bold);
    let units: f32 = text
        .chars()
        .map(|c| {
            let gid = f.cmap.get(&u32::from(drawable(c, f))).copied().unwrap_or(0);
            f32::from(f.widths.get(&gid).copied().unwrap_or(0))
        })
        .sum();
    units / f.units_per_em * size * 25.4 / 72.0
}

/// Splits `text` into lines no wider than `max` mm: at spaces, and inside a word only when
/// the word alone is wider than the line. Newlines in the text are kept.
pub fn wrap(text: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, bold, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut where it must be.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if width(&piece, bold, size) > max && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// Something drawn on a page; coordinates in millimetres from the top-left corner, `y` at
/// the text's baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        text: String,
        bold: bool,
        size: f32,
        align: Align,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        thickness: f32,
    },
    /// A filled black rectangle (a QR code's modules), in mm from the top left.
    Box { x: f32, y: f32, w: f32, h: f32 },
    /// A PNG or JPEG fitted (aspect kept) into the box whose top-right corner is (`right`,
    /// `top`); an image that cannot be decoded is left out rather than failing the letter.
    Image {
        right: f32,
        top: f32,
        max_w: f32,
        max_h: f32,
        bytes: std::sync::Arc<Vec<u8>>,
    },
}

/// The pairs of texts of `page` that print over each other: on baselines closer than most
/// of the larger text's height, with horizontal extents that intersect. What a reader would
/// see as overprinted figures; every layout test can ask it.
#[cfg(test)]
pub(crate) fn overprinted(page: &[Item]) -> Vec<(String, String)> {
    let boxes: Vec<(f32, f32, f32, f32, &str)> = page
        .iter()
        .filter_map(|i| match i {
            Item::Text {
                x,
                y,
                text,
                bold,
                size,
                align,
            } if !text.trim().is_empty() => {
                let w = width(text, *bold, *size);
                let left = match align {
                    Align::Left => *x,
                    Align::Right => x - w,
                    Align::Center => x - w / 2.0,
                };
                Some((left, left + w, *y, *size * 25.4 / 72.0 * 0.7, text.as_str()))
            }
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for (k, a) in boxes.iter().enumerate() {
        for b in &boxes[k + 1..] {
            let close = (a.2 - b.2).abs() < a.3.max(b.3);
            let cross = a.0 < b.1 - 0.1 && b.0 < a.1 - 0.1;
            if close && cross {
                out.push((a.4.to_string(), b.4.to_string()));
            }
        }
    }
    out
}

impl Item {
    pub fn text(x: f32, y: f32, text: impl Into<String>, size: f32) -> Item {
        Item::Text {
            x,
            y,
            text: text.into(),
            bold: false,
            size,
            align: Align::Left,
        }
    }
    pub fn bold(mut self) -> Item {
        if let Item::Text { bold, .. } = &mut self {
            *bold = true;
        }
        self
    }
    pub fn align(mut self, to: Align) -> Item {
        if let Item::Text { align, .. } = &mut self {
            *align = to;
        }
        self
    }
}

/// A subset of one face holding exactly `chars`, named with a tag derived from them.
fn subset(f: &Face, chars: &BTreeSet<char>) -> Result<ParsedFont> {
    let fail = |e: String| Error::Io(std::io::Error::other(format!("font subset: {e}")));
    let gids: BTreeSet<u16> = chars
        .iter()
        .filter_map(|c| f.cmap.get(&u32::from(*c)).copied())
        .collect();
    let ids: Vec<u16> = std::iter::once(0)
        .chain(gids.into_iter().filter(|g| *g != 0))
        .collect();
    let data = ReadScope::new(f.bytes)
        .read::<FontData<'_>>()
        .map_err(|e| fail(e.to_string()))?;
    let provider = data.table_provider(0).map_err(|e| fail(e.to_string()))?;
    let bytes = allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| fail(e.to_string()))?;
    let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| fail("the subset does not parse".into()))?;
    // Six capital letters from the characters used: the PDF convention for a subset.
    let mut h: u32 = 2166136261;
    for c in chars {
        h = (h ^ u32::from(*c)).wrapping_mul(16777619);
    }
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect();
    parsed.font_name = Some(format!("{tag}+{}", f.name));
    Ok(parsed)
}

fn pt(mm: f32) -> Pt {
    Mm(mm).into()
}

/// Draws the pages into a PDF document titled `title`.
/// What a PDF says of itself (its document information): what viewers show as its title,
/// author and subject, and its date.
pub struct Meta<'a> {
    pub title: &'a str,
    /// The company that sends it.
    pub author: &'a str,
    pub subject: &'a str,
    /// The document's own date (the letter's, the invoice's), as its creation date.
    pub date: chrono::NaiveDate,
}

pub fn render(meta: &Meta, pages: &[Vec<Item>]) -> Result<Vec<u8>> {
    finish(draw(meta, pages)?, meta, None)
}

/// A Factur-X invoice: its CII XML and the profile it follows ("EN 16931").
pub struct FacturX<'a> {
    pub xml: &'a [u8],
    pub level: &'a str,
}

/// The name Factur-X gives the embedded XML.
pub const FACTUR_X_NAME: &str = "factur-x.xml";

/// Draws the pages as a Factur-X PDF: PDF/A-3b with the invoice's XML embedded.
pub fn render_factur_x(meta: &Meta, pages: &[Vec<Item>], fx: &FacturX) -> Result<Vec<u8>> {
    finish(draw(meta, pages)?, meta, Some(fx))
}

fn draw(meta: &Meta, pages: &[Vec<Item>]) -> Result<Vec<u8>> {
    let title = meta.title;
    let mut used: [BTreeSet<char>; 2] = [BTreeSet::new(), BTreeSet::new()];
    for item in pages.iter().flatten() {
        if let Item::Text { text, bold, .. } = item {
            let f = face(*bold);
            used[usize::from(*bold)].extend(text.chars().map(|c| drawable(c, f)));
        }
    }
    let mut doc = PdfDocument::new(title);
    let midnight = meta
        .date
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let date = printpdf::OffsetDateTime::from_unix_timestamp(midnight)
        .map_err(|e| Error::Io(std::io::Error::other(format!("date: {e}"))))?;
    let info = &mut doc.metadata.info;
    info.author = meta.author.to_string();
    info.subject = meta.subject.to_string();
    info.creator = "Relance".to_string();
    info.producer = "Relance".to_string();
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    let mut ids = Vec::new();
    for (i, chars) in used.iter().enumerate() {
        ids.push(if chars.is_empty() {
            None
        } else {
            Some(doc.add_font(&subset(face(i == 1), chars)?))
        });
    }
    let mut out_pages = Vec::with_capacity(pages.len());
    for items in pages {
        let mut ops = Vec::new();
        for item in items {
            match item {
                Item::Text {
                    x,
                    y,
                    text,
                    bold,
                    size,
                    align,
                } => {
                    let Some(id) = &ids[usize::from(*bold)] else {
                        continue;
                    };
                    let f = face(*bold);
                    let shown: String = text.chars().map(|c| drawable(c, f)).collect();
                    let w = width(&shown, *bold, *size);
                    let left = match align {
                        Align::Left => *x,
                        Align::Right => x - w,
                        Align::Center => x - w / 2.0,
                    };
                    ops.extend([
                        Op::StartTextSection,
                        Op::SetFont {
                            font: PdfFontHandle::External(id.clone()),
                            size: Pt(*size),
                        },
                        Op::SetTextCursor {
                            pos: Point {
                                x: pt(left),
                                y: pt(PAGE_H - y),
                            },
                        },
                        Op::ShowText {
                            items: vec![TextItem::Text(shown)],
                        },
                        Op::EndTextSection,
                    ]);
                }
                Item::Image {
                    right,
                    top,
                    max_w,
                    max_h,
                    bytes,
                } => {
                    let Ok(image) = RawImage::decode_from_bytes(bytes, &mut Vec::new()) else {
                        continue;
                    };
                    let (w, h) = (image.width as f32, image.height as f32);
                    if w < 1.0 || h < 1.0 {
                        continue;
                    }
                    // At 72 dpi one pixel is one point; scale to fit the box.
                    let scale = (pt(*max_w).0 / w).min(pt(*max_h).0 / h);
                    let id = doc.add_image(&image);
                    ops.push(Op::UseXobject {
                        id,
                        transform: XObjectTransform {
                            translate_x: Some(Pt(pt(*right).0 - w * scale)),
                            translate_y: Some(Pt(pt(PAGE_H - top).0 - h * scale)),
                            scale_x: Some(scale),
                            scale_y: Some(scale),
                            dpi: Some(72.0),
                            ..XObjectTransform::default()
                        },
                    });
                }
                Item::Box { x, y, w, h } => {
                    let at = |x: f32, y: f32| LinePoint {
                        p: Point {
                            x: pt(x),
                            y: pt(PAGE_H - y),
                        },
                        bezier: false,
                    };
                    ops.push(Op::DrawPolygon {
                        polygon: printpdf::Polygon {
                            rings: vec![printpdf::PolygonRing {
                                points: vec![
                                    at(*x, *y),
                                    at(*x + *w, *y),
                                    at(*x + *w, *y + *h),
                                    at(*x, *y + *h),
                                ],
                            }],
                            mode: printpdf::PaintMode::Fill,
                            winding_order: printpdf::WindingOrder::NonZero,
                        },
                    });
                }
                Item::Rule {
                    x1,
                    x2,
                    y,
                    thickness,
                } => {
                    let at = |x: f32| LinePoint {
                        p: Point {
                            x: pt(x),
                            y: pt(PAGE_H - y),
                        },
                        bezier: false,
                    };
                    ops.extend([
                        Op::SetOutlineThickness { pt: Pt(*thickness) },
                        Op::DrawLine {
                            line: Line {
                                points: vec![at(*x1), at(*x2)],
                                is_closed: false,
                            },
                        },
                    ]);
                }
            }
        }
        out_pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    let opts = PdfSaveOptions {
        subset_fonts: false, // already subset, above
        ..PdfSaveOptions::default()
    };
    Ok(doc.with_pages(out_pages).save(&opts, &mut Vec::new()))
}

/// What printpdf cannot write, finished on the document it produced (read back by lopdf).
///
/// Always: printpdf writes a `GTS_PDFXVersion` (empty when the file claims no PDF/X
/// conformance), which makes some viewers report a PDF/X file, empty keywords and
/// identifier, and `Trapped` as a string where PDF wants a name: taken out of the document
/// information.
///
/// With a Factur-X XML: PDF 1.7 declaring PDF/A-3b. The XML is an embedded file
/// (`/EmbeddedFiles` name tree and the catalog's `/AF`, `AFRelationship /Alternative` as
/// Factur-X asks of the EN 16931 profile, subtype `text/xml`); the XMP metadata repeats the
/// document information (title, author, subject, producer, dates) and declares `pdfaid`
/// part 3 conformance B and the Factur-X extension schema with its properties; the output
/// intent is sRGB (`GTS_PDFA1`, the profile shipped in `assets/icc`, zlib licence). The
/// fonts are already embedded subsets.
fn finish(bytes: Vec<u8>, meta: &Meta, fx: Option<&FacturX>) -> Result<Vec<u8>> {
    use lopdf::{Dictionary, Object, Stream, StringFormat};
    let fail = |e: lopdf::Error| Error::Io(std::io::Error::other(format!("PDF: {e}")));
    let mut doc = lopdf::Document::load_mem(&bytes).map_err(fail)?;
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .map_err(fail)?;
    let dict = doc
        .get_object_mut(info)
        .and_then(Object::as_dict_mut)
        .map_err(fail)?;
    for key in [
        &b"GTS_PDFXVersion"[..],
        b"Keywords",
        b"Identifier",
        b"Trapped",
    ] {
        dict.remove(key);
    }
    if let Some(fx) = fx {
        let name = |n: &str| Object::Name(n.as_bytes().to_vec());
        let text = |t: &str| Object::String(pdf_text_bytes(t), StringFormat::Literal);
        let day = meta.date.format("%Y%m%d").to_string();
        let pdf_date = format!("D:{day}000000+00'00'");
        let iso_date = format!("{}T00:00:00+00:00", meta.date.format("%Y-%m-%d"));
        let mut file = Stream::new(
            Dictionary::from_iter([
                ("Type", name("EmbeddedFile")),
                ("Subtype", name("text/xml")),
                (
                    "Params",
                    Object::Dictionary(Dictionary::from_iter([
                        ("Size", Object::Integer(fx.xml.len() as i64)),
                        ("ModDate", text(&pdf_date)),
                    ])),
                ),
            ]),
            fx.xml.to_vec(),
        );
        file.compress().map_err(fail)?;
        let file = doc.add_object(file);
        let spec = doc.add_object(Dictionary::from_iter([
            ("Type", name("Filespec")),
            ("F", text(FACTUR_X_NAME)),
            ("UF", text(FACTUR_X_NAME)),
            ("Desc", text("Factur-X invoice")),
            ("AFRelationship", name("Alternative")),
            (
                "EF",
                Object::Dictionary(Dictionary::from_iter([
                    ("F", Object::Reference(file)),
                    ("UF", Object::Reference(file)),
                ])),
            ),
        ]));
        let xmp = xmp(meta, &iso_date, fx.level);
        let metadata = doc.add_object(
            Stream::new(
                Dictionary::from_iter([("Type", name("Metadata")), ("Subtype", name("XML"))]),
                xmp.into_bytes(),
            )
            .with_compression(false),
        );
        let profile = doc.add_object(Stream::new(
            Dictionary::from_iter([("N", Object::Integer(3))]),
            include_bytes!("../../assets/icc/sRGB.icc").to_vec(),
        ));
        let intent = Dictionary::from_iter([
            ("Type", name("OutputIntent")),
            ("S", name("GTS_PDFA1")),
            ("OutputConditionIdentifier", text("sRGB")),
            ("Info", text("sRGB IEC61966-2.1")),
            ("DestOutputProfile", Object::Reference(profile)),
        ]);
        let catalog = doc.catalog_mut().map_err(fail)?;
        catalog.set(
            "Names",
            Dictionary::from_iter([(
                "EmbeddedFiles",
                Object::Dictionary(Dictionary::from_iter([(
                    "Names",
                    Object::Array(vec![text(FACTUR_X_NAME), Object::Reference(spec)]),
                )])),
            )]),
        );
        catalog.set("AF", Object::Array(vec![Object::Reference(spec)]));
        catalog.set("Metadata", Object::Reference(metadata));
        catalog.set(
            "OutputIntents",
            Object::Array(vec![Object::Dictionary(intent)]),
        );
        doc.version = "1.7".to_string();
        doc.binary_mark = vec![0xE2, 0xE3, 0xCF, 0xD3];
    }
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out)
        .map_err(|e| Error::Io(std::io::Error::other(format!("PDF: {e}"))))?;
    Ok(out)
}

/// A PDF text string: ASCII as is, anything else UTF-16BE with its byte-order mark.
fn pdf_text_bytes(t: &str) -> Vec<u8> {
    if t.is_ascii() {
        t.as_bytes().to_vec()
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in t.encode_utf16() {
            v.extend(u.to_be_bytes());
        }
        v
    }
}

/// The XMP packet of a Factur-X PDF/A-3b (see [`finish`]).
fn xmp(meta: &Meta, date: &str, level: &str) -> String {
    let e = |s: &str| quick_xml::escape::escape(s).into_owned();
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>\n"
        )
    };
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">
<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>
</rdf:Description>
<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">
<pdf:Producer>Relance</pdf:Producer>
</rdf:Description>
<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">
<xmp:CreatorTool>Relance</xmp:CreatorTool>
<xmp:CreateDate>{date}</xmp:CreateDate>
<xmp:ModifyDate>{date}</xmp:ModifyDate>
<xmp:MetadataDate>{date}</xmp:MetadataDate>
</rdf:Description>
<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
{p1}{p2}{p3}{p4}</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about=\"\" xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>{FACTUR_X_NAME}</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>{level}</fx:ConformanceLevel>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end=\"w\"?>",
        title = e(meta.title),
        author = e(meta.author),
        subject = e(meta.subject),
        level = e(level),
        p1 = property("DocumentFileName", "The name of the embedded XML document"),
        p2 = property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        p3 = property("Version", "The actual version of the standard applying to the embedded XML document"),
        p4 = property("ConformanceLevel", "The conformance level of the embedded XML document"),
    )
}

/// A QR code's dark modules as boxes, `size` mm wide with its top left at (`x`, `y`): each
/// run of dark modules in a row is one box (fewer operators, no hairline between modules).
pub fn qr(x: f32, y: f32, size: f32, modules: &[Vec<bool>]) -> Vec<Item> {
    let n = modules.len().max(1) as f32;
    let m = size / n;
    let mut out = Vec::new();
    for (r, row) in modules.iter().enumerate() {
        let mut c = 0;
        while c < row.len() {
            if !row[c] {
                c += 1;
                continue;
            }
            let start = c;
            while c < row.len() && row[c] {
                c += 1;
            }
            out.push(Item::Box {
                x: x + start as f32 * m,
                y: y + r as f32 * m,
                w: (c - start) as f32 * m,
                h: m,
            });
        }
    }
    out
}

/// French typography on every text of laid-out pages (no-break spaces before ":" and "%",
/// inside « », narrow ones before ";", "?" and "!"): what the letters do sentence by
/// sentence, for documents laid out from many small pieces (issued invoices, reports).
pub fn french_typography(pages: &mut [Vec<Item>]) {
    for item in pages.iter_mut().flatten() {
        if let Item::Text { text, .. } = item {
            *text = crate::error::french_spaces(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_wrapping_follow_the_font() {
        let w = width("Relance", false, 10.0);
        assert!(w > 10.0 && w < 20.0, "{w}");
        assert!(width("W", true, 10.0) > width("i", true, 10.0));
        let text = "Malgré nos relances, les factures ci-dessous restent impayées à ce jour.";
        let lines = wrap(text, false, 10.0, 60.0);
        assert!(lines.len() > 1);
        assert!(
            lines.iter().all(|l| width(l, false, 10.0) <= 60.0),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), text);
        // A word longer than the line is cut, never overflows.
        let long = wrap(&"x".repeat(200), false, 10.0, 30.0);
        assert!(long.len() > 1 && long.iter().all(|l| width(l, false, 10.0) <= 30.0));
    }
}
