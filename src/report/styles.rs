//! Shared look of the summary and feedback workbooks: cell formats, CJK-aware column widths and
//! a small worksheet wrapper that remembers how wide each column needs to be.
//!
//! `Worksheet::autofit()` under-sizes Chinese text (it counts a CJK character as one narrow column), so widths are estimated
//! here from the text actually written: a CJK character counts about two Latin characters.

use rust_xlsxwriter::{ColNum, Format, FormatAlign, FormatBorder, RowNum, Worksheet, XlsxError};
use std::collections::BTreeMap;

use crate::schema::ValueType;

/// Number format for counts (件, 次, 人 …).
pub const NUM_COUNT: &str = "#,##0";
/// Number format for amounts in 元.
pub const NUM_AMOUNT: &str = "#,##0.00";
/// Percent with one decimal (同比).
pub const NUM_PCT1: &str = "0.0%";
/// Fill for cells with an error (Excel's light red).
pub const FILL_ERROR: &str = "#FFC7CE";
/// Fill for cells with a warning or an anomaly (Excel's light yellow).
pub const FILL_WARNING: &str = "#FFEB9C";
/// Fill of header rows.
const FILL_HEADER: &str = "#DDEBF7";
/// Fill of section rows in the 汇总 sheet.
const FILL_SECTION: &str = "#F2F2F2";

/// The scale of a sheet printed in blocks: 11-point text prints at 9 points.
pub const BLOCK_SCALE: u16 = 82;
/// How many character units of columns a landscape A4 page holds at [`BLOCK_SCALE`], with the
/// default margins, as LibreOffice prints them (measured: tests/print.rs), with some room.
const PAGE_UNITS: f64 = 128.0;
/// Excel's width of a column nothing was written to.
const DEFAULT_WIDTH: f64 = 8.43;

/// Where the page breaks of [`Sheet::print_readably`] fall (before which columns), given the
/// columns' widths; empty when the whole table fits on one page at [`BLOCK_SCALE`].
fn block_breaks(widths: Vec<f64>, repeat: ColNum) -> Vec<u32> {
    if widths.iter().sum::<f64>() <= PAGE_UNITS {
        return Vec::new();
    }
    let repeat = usize::from(repeat).min(widths.len());
    let room = (PAGE_UNITS - widths[..repeat].iter().sum::<f64>()).max(10.0);
    let mut breaks = Vec::new();
    let mut used = 0.0;
    for (col, w) in widths.iter().enumerate().skip(repeat) {
        if used > 0.0 && used + w > room {
            breaks.push(col as u32);
            used = 0.0;
        }
        used += w;
    }
    breaks
}

/// The least a header label widens its column, in Excel character units.
const HEADER_MIN: f64 = 4.5;
/// Narrowest and widest column we set, in Excel character units.
const MIN_WIDTH: f64 = 6.0;
const MAX_WIDTH: f64 = 60.0;
/// Text wider than this wraps in its cell, and its column is no wider: a message or note that
/// ran on in one line made a sheet so wide that fitting it to the page printed it at 5 pt.
pub const WRAP_WIDTH: f64 = 36.0;

/// The page header and footer of every sheet: the sheet's name in the middle, the date it is
/// printed on the right (Excel's own `&D`, so the file's bytes do not depend on the day), and
/// 第 n 页 共 m 页 below. `&A` is the sheet name, `&P`/`&N` the page number and count.
const PAGE_HEADER: &str = "&C&\"-,Bold\"&A&R打印日期：&D";
const PAGE_FOOTER: &str = "&C第 &P 页 共 &N 页";

/// Turns a rust_xlsxwriter failure into the tool's error type.
pub fn xlsx_err(e: XlsxError) -> crate::Error {
    crate::Error::Other(format!("生成 Excel 工作簿失败：{e}"))
}

/// Every format the report workbooks use, built once per workbook.
#[derive(Debug, Clone)]
pub struct Styles {
    pub title: Format,
    pub note: Format,
    pub header: Format,
    pub section: Format,
    pub text: Format,
    pub wrap: Format,
    pub count: Format,
    pub amount: Format,
    pub pct1: Format,
    /// 百分点 with two decimals.
    pub pp: Format,
    /// Plain decimal for statistics and scores.
    pub decimal: Format,
}

impl Default for Styles {
    fn default() -> Self {
        // Rows made high for a wrapped text elsewhere in them keep their figures in the middle.
        let border = |f: Format| {
            f.set_border(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter)
        };
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_font_color("#595959"),
            header: border(
                Format::new()
                    .set_bold()
                    .set_background_color(FILL_HEADER)
                    .set_align(FormatAlign::Center)
                    .set_align(FormatAlign::VerticalCenter)
                    .set_text_wrap(),
            ),
            section: border(Format::new().set_bold().set_background_color(FILL_SECTION)),
            text: border(Format::new()),
            wrap: border(Format::new().set_text_wrap()),
            count: border(Format::new().set_num_format(NUM_COUNT)),
            amount: border(Format::new().set_num_format(NUM_AMOUNT)),
            pct1: border(Format::new().set_num_format(NUM_PCT1)),
            pp: border(Format::new().set_num_format("0.00")),
            decimal: border(Format::new().set_num_format("0.00")),
        }
    }
}

impl Styles {
    /// The number format for an indicator's values.
    pub fn for_value(&self, value_type: ValueType) -> &Format {
        match value_type {
            ValueType::Amount => &self.amount,
            ValueType::Count | ValueType::YesNo => &self.count,
        }
    }

    /// A percent format with `decimals` places (`0%`, `0.0%`, `0.00%` …).
    pub fn pct(&self, decimals: u8) -> Format {
        let places = "0".repeat(usize::from(decimals.min(6)));
        let code = if places.is_empty() {
            "0%".to_string()
        } else {
            format!("0.{places}%")
        };
        self.text.clone().set_num_format(code)
    }
}

/// Estimated display width of `s` in Excel character units: wide (CJK, full-width) characters
/// count about two.
pub fn text_width(s: &str) -> f64 {
    s.lines()
        .map(|line| line.chars().map(char_width).sum::<f64>())
        .fold(0.0, f64::max)
}

fn char_width(c: char) -> f64 {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        2.1
    } else {
        1.1
    }
}

/// Width of a number: its text with two decimals, plus room for grouping separators.
fn number_width(abs: f64) -> f64 {
    format!("{abs:.2}").len() as f64 * 1.3 + 1.0
}

/// A worksheet being written, with the widest text seen in each column.
pub struct Sheet {
    pub ws: Worksheet,
    /// Columns kept visible when scrolling right (e.g. unit code and name).
    pub freeze_cols: ColNum,
    widths: BTreeMap<ColNum, f64>,
    /// Long lines above the table (row, text, format), merged across it and wrapped by
    /// [`Sheet::finish`], once the column widths are known.
    notes: Vec<(RowNum, String, Format)>,
    /// Rows with wrapped text and the most lines such a text needs: their height is set by
    /// [`Sheet::finish`], as Excel and LibreOffice show only the first line otherwise.
    wrapped: BTreeMap<RowNum, f64>,
    /// Columns that wrap wider than [`WRAP_WIDTH`] ([`Sheet::wrap_at`]).
    wrap_widths: BTreeMap<ColNum, f64>,
    /// Header labels (row, column, width): a label may take two lines, and its row is made as
    /// high as the longest needs once the widths are known.
    labels: Vec<(RowNum, ColNum, f64)>,
    /// The first row printed on every page (the header rows up to the table's are repeated).
    repeat_from: RowNum,
    /// The first vertical page break, when the sheet prints in blocks: notes are merged up to
    /// it only, so each prints whole on the first block's pages.
    first_break: Option<ColNum>,
    /// Print in blocks of columns when one page wide would shrink the text below 9 points
    /// ([`Sheet::print_readably`]): the leading columns repeated on every page.
    auto_blocks: Option<ColNum>,
}

impl Sheet {
    /// A new, named worksheet with the house print setup (landscape, one page wide).
    pub fn new(name: &str) -> crate::Result<Sheet> {
        let mut ws = Worksheet::new();
        ws.set_name(name).map_err(xlsx_err)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_print_fit_to_pages(1, 0);
        ws.set_header(PAGE_HEADER);
        ws.set_footer(PAGE_FOOTER);
        Ok(Sheet {
            ws,
            freeze_cols: 0,
            widths: BTreeMap::new(),
            notes: Vec::new(),
            wrapped: BTreeMap::new(),
            wrap_widths: BTreeMap::new(),
            labels: Vec::new(),
            repeat_from: 0,
            first_break: None,
            auto_blocks: None,
        })
    }

    fn widen(&mut self, col: ColNum, width: f64) {
        let w = self.widths.entry(col).or_insert(0.0);
        *w = w.max(width);
    }

    /// Writes text and counts it towards the column width; text wider than [`WRAP_WIDTH`]
    /// wraps in its cell instead of widening the column past it.
    pub fn text(&mut self, row: RowNum, col: ColNum, s: &str, f: &Format) -> crate::Result<()> {
        let width = text_width(s);
        let wrap = self.wrap_widths.get(&col).copied().unwrap_or(WRAP_WIDTH);
        if width > wrap {
            self.widen(col, wrap);
            let lines = self.wrapped.entry(row).or_insert(0.0);
            *lines = lines.max((width / wrap).ceil());
            let wrapped = f.clone().set_text_wrap();
            self.ws
                .write_string_with_format(row, col, s, &wrapped)
                .map_err(xlsx_err)?;
            return Ok(());
        }
        self.widen(col, width);
        self.ws
            .write_string_with_format(row, col, s, f)
            .map_err(xlsx_err)?;
        Ok(())
    }

    /// Prints the sheet one page wide when that keeps the text at 9 points or more, and
    /// otherwise in blocks of columns at [`BLOCK_SCALE`] %, breaking where a page is full, with
    /// the first `repeat` columns (what a row is about) on every page.
    pub fn print_readably(&mut self, repeat: ColNum) {
        self.auto_blocks = Some(repeat);
    }

    /// Lets long text in `col` run to `width` before it wraps (a column printed on a page of
    /// its own has the room: fewer lines, lower rows). Call before writing the column.
    pub fn wrap_at(&mut self, col: ColNum, width: f64) {
        self.wrap_widths.insert(col, width);
    }

    /// Prints a sheet too wide for one page in blocks at a readable `scale` (percent; 11 pt
    /// text stays at 9 pt or more from 82 up), instead of shrinking it to one page wide:
    /// `repeat` leading columns (the unit) are printed on every page, and a page break falls
    /// before each column of `breaks` (where a section starts).
    pub fn print_in_blocks(
        &mut self,
        repeat: ColNum,
        breaks: &[u32],
        scale: u16,
    ) -> crate::Result<()> {
        self.ws.set_print_scale(scale);
        self.first_break = breaks.iter().min().and_then(|&b| ColNum::try_from(b).ok());
        if repeat > 0 {
            self.ws
                .set_repeat_columns(0, repeat - 1)
                .map_err(xlsx_err)?;
        }
        if !breaks.is_empty() {
            self.ws.set_vertical_page_breaks(breaks).map_err(xlsx_err)?;
        }
        Ok(())
    }

    /// Writes text that may be long (titles, notes): it does not widen its column.
    pub fn long_text(
        &mut self,
        row: RowNum,
        col: ColNum,
        s: &str,
        f: &Format,
    ) -> crate::Result<()> {
        self.ws
            .write_string_with_format(row, col, s, f)
            .map_err(xlsx_err)?;
        Ok(())
    }

    /// A long line above the table (what the figures cover, how to read them): merged across
    /// the table's columns and wrapped, with the row as high as the text needs. Written out
    /// in the table's width: a line left to run on widened the printed area, and the sheet was
    /// shrunk to fit it.
    pub fn note(&mut self, row: RowNum, s: &str, f: &Format) {
        self.notes.push((row, s.to_string(), f.clone()));
    }

    /// Writes a number; `None` leaves a formatted blank cell.
    pub fn number(
        &mut self,
        row: RowNum,
        col: ColNum,
        v: Option<f64>,
        f: &Format,
    ) -> crate::Result<()> {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                self.widen(col, number_width(v.abs()));
                self.ws
                    .write_number_with_format(row, col, v, f)
                    .map_err(xlsx_err)?;
            }
            None => {
                self.ws.write_blank(row, col, f).map_err(xlsx_err)?;
            }
        }
        Ok(())
    }

    /// Counts a number written without [`Sheet::number`] towards its column width; `abs` is
    /// the largest magnitude in the column (the text of a larger number is never shorter).
    pub fn widen_for_number(&mut self, col: ColNum, abs: f64) {
        self.widen(col, number_width(abs));
    }

    /// Writes one header row starting at column 0. A label may wrap onto a second line, so it
    /// widens its column by only half its width: "上年（可比口径）" above a column of numbers
    /// made the printed table a third wider than its figures.
    pub fn header(&mut self, row: RowNum, labels: &[&str], f: &Format) -> crate::Result<()> {
        for (col, label) in (0..).zip(labels) {
            let width = text_width(label);
            self.widen(col, (width / 2.0).max(HEADER_MIN));
            self.labels.push((row, col, width));
            self.ws
                .write_string_with_format(row, col, *label, f)
                .map_err(xlsx_err)?;
        }
        Ok(())
    }

    /// Prints the rows from `row` to the table's header on every page, not the title and
    /// notes above them.
    pub fn repeat_rows_from(&mut self, row: RowNum) {
        self.repeat_from = row;
    }

    /// Sets a column's width outright, whatever was written in it (a page whose figures are
    /// known to be short, like 概览's).
    pub fn fix_width(&mut self, col: ColNum, width: f64) {
        self.widths.insert(col, width);
    }

    /// Sets a minimum width for a column (e.g. a narrow number under a wide header).
    pub fn min_width(&mut self, col: ColNum, width: f64) {
        self.widen(col, width);
    }

    /// Applies column widths, freezes and repeats the header rows (`0..header_rows`), adds an
    /// autofilter over the table whose header is the last header row, and returns the sheet.
    pub fn finish(
        mut self,
        header_rows: RowNum,
        last_row: RowNum,
        last_col: ColNum,
    ) -> crate::Result<Worksheet> {
        if let Some(repeat) = self.auto_blocks {
            let width = |c: ColNum| {
                self.widths
                    .get(&c)
                    .map_or(DEFAULT_WIDTH, |w| (w + 1.5).clamp(MIN_WIDTH, MAX_WIDTH))
            };
            let breaks = block_breaks((0..=last_col).map(width).collect(), repeat);
            if !breaks.is_empty() {
                self.print_in_blocks(repeat, &breaks, BLOCK_SCALE)?;
            }
        }
        let note_col = match self.first_break {
            Some(b) if b > 0 => last_col.min(b - 1),
            _ => last_col,
        };
        let mut table_width = 0.0;
        let mut set = BTreeMap::new();
        for (&col, &w) in &self.widths {
            let width = (w + 1.5).clamp(MIN_WIDTH, MAX_WIDTH);
            self.ws.set_column_width(col, width).map_err(xlsx_err)?;
            set.insert(col, width);
            if col <= note_col {
                table_width += width;
            }
        }
        for &(row, col, width) in &self.labels {
            let room = set.get(&col).copied().unwrap_or(MIN_WIDTH) - 1.0;
            let lines = (width / room.max(1.0)).ceil().max(1.0);
            if lines > 1.0 {
                let l = self.wrapped.entry(row).or_insert(0.0);
                *l = l.max(lines);
            }
        }
        for (&row, &lines) in &self.wrapped {
            // The column of a wrapped text is as wide as its wrap width (plus the margin of the
            // loop above): 16 points a line of 11-point CJK text.
            self.ws
                .set_row_height(row, 16.0 * lines + 2.0)
                .map_err(xlsx_err)?;
        }
        for (row, text, f) in std::mem::take(&mut self.notes) {
            let f = f.set_text_wrap().set_align(FormatAlign::Top);
            if note_col == 0 {
                self.ws
                    .write_string_with_format(row, 0, &text, &f)
                    .map_err(xlsx_err)?;
            } else {
                self.ws
                    .merge_range(row, 0, row, note_col, &text, &f)
                    .map_err(xlsx_err)?;
            }
            let lines = (text_width(&text) / table_width.max(1.0)).ceil().max(1.0);
            self.ws
                .set_row_height(row, 15.0 * lines + 3.0)
                .map_err(xlsx_err)?;
        }
        if header_rows > 0 {
            self.ws
                .set_freeze_panes(header_rows, self.freeze_cols)
                .map_err(xlsx_err)?;
            self.ws
                .set_repeat_rows(self.repeat_from.min(header_rows - 1), header_rows - 1)
                .map_err(xlsx_err)?;
            let filter_row = header_rows - 1;
            self.ws
                .autofilter(filter_row, 0, last_row.max(filter_row), last_col)
                .map_err(xlsx_err)?;
        }
        Ok(self.ws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_double() {
        assert!((text_width("abc") - 3.3).abs() < 1e-9);
        assert!((text_width("汇总") - 4.2).abs() < 1e-9);
        assert!((text_width("（）") - 4.2).abs() < 1e-9);
        assert!((text_width("ab\n汇总表") - 6.3).abs() < 1e-9);
    }

    #[test]
    fn blocks_break_where_a_page_is_full() {
        // fits: no breaks
        assert!(block_breaks(vec![10.0; 12], 2).is_empty());
        // 20 columns of 10 with 2 repeated: 108 units of room, 10 columns a page
        assert_eq!(block_breaks(vec![10.0; 20], 2), [12]);
        // one column wider than the room still gets a page of its own
        assert_eq!(block_breaks(vec![10.0, 10.0, 60.0, 120.0, 5.0], 2), [3, 4]);
    }

    #[test]
    fn percent_formats_follow_decimals() {
        let s = Styles::default();
        assert_eq!(s.pct(2), s.text.clone().set_num_format("0.00%"));
        assert_eq!(s.pct(0), s.text.clone().set_num_format("0%"));
    }
}
