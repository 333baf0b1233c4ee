//! The fonts every document is printed in (DejaVu Sans, regular and bold, shipped in
//! `assets/fonts` with its licence), read once: their bytes, which characters they have a
//! glyph for, and their advance widths. The drawing itself is `documents::pdf`; this floor
//! is low so that an input can be refused, as it is typed, when it holds a character no
//! shipped font can print (`validate::printable`).

use printpdf::ParsedFont;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// One face's metrics.
pub struct Face {
    pub bytes: &'static [u8],
    pub name: &'static str,
    /// Code point → glyph id.
    pub cmap: BTreeMap<u32, u16>,
    /// Glyph id → advance width, in font units.
    pub widths: BTreeMap<u16, u16>,
    pub units_per_em: f32,
}

/// The regular or the bold face.
pub fn face(bold: bool) -> &'static Face {
    static FACES: OnceLock<[Face; 2]> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        let load = |bytes: &'static [u8], name| {
            let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("shipped font");
            Face {
                bytes,
                name,
                cmap: parsed.codepoint_to_glyph.clone(),
                widths: parsed.glyph_widths.clone(),
                units_per_em: f32::from(parsed.units_per_em),
            }
        };
        [load(REGULAR, "DejaVuSans"), load(BOLD, "DejaVuSans-Bold")]
    });
    &faces[usize::from(bold)]
}

/// True when both faces can print `c` (a name may be printed in bold).
pub fn printable(c: char) -> bool {
    let code = u32::from(c);
    face(false).cmap.contains_key(&code) && face(true).cmap.contains_key(&code)
}
