//! Workbook writing (rust_xlsxwriter types stay inside this module): the blank templates handed
//! to units, the county summary workbook and the per-unit feedback workbooks; and writing
//! outputs safely: each command's outputs as one set ([`outset`]), each file atomically
//! ([`crate::io::write_atomic`]).

pub mod edition_notes;
pub mod feedback;
pub mod outset;
mod styles;
pub mod summary;
pub mod template;

/// A fixed document timestamp, so the same inputs give byte-identical workbooks.
pub const FIXED_DATETIME: (u16, u8, u8) = (2000, 1, 1);

/// Deflate level of the zip container. Excel 365 saves at 3; the writer's default 6 spent twice
/// as long compressing (a fifth of writing the 1-million-cell summary at 10,000 units) for files
/// about 5 % smaller.
const ZIP_LEVEL: u8 = 3;

/// A new workbook with the house zip settings.
fn new_workbook() -> rust_xlsxwriter::Workbook {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.set_zip_compression_level(ZIP_LEVEL);
    wb
}
